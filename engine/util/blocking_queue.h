// A BlockingQueue is the bounded channel between pipeline stages: a full queue blocks the sender,
// which is how backpressure travels upstream. Items are whole batches, so a mutex is cheap here.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace tally {

// Thread-safe, any number of producers and consumers.
template <typename T>
class BlockingQueue {
public:
    explicit BlockingQueue(size_t capacity) : m_capacity(capacity == 0 ? 1 : capacity) {}

    // Blocks while full; returns false if the queue was closed (the item is dropped: the receiver
    // is gone). Adds the time spent blocked to *blockedNs when given.
    bool push(T item, uint64_t *blockedNs = nullptr)
    {
        std::unique_lock lock(m_mutex);
        if (m_items.size() >= m_capacity && !m_closed) {
            const auto t0 = std::chrono::steady_clock::now();
            m_notFull.wait(lock, [&] { return m_items.size() < m_capacity || m_closed; });
            if (blockedNs)
                *blockedNs += static_cast<uint64_t>(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
        }
        if (m_closed)
            return false;
        m_items.push_back(std::move(item));
        m_notEmpty.notify_one();
        return true;
    }

    // Like push(), but gives up after `timeout`: returns false and leaves `item` untouched if the
    // queue stayed full (or was closed).
    bool pushFor(T &item, std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(m_mutex);
        if (!m_notFull.wait_for(lock, timeout, [&] { return m_items.size() < m_capacity || m_closed; }) || m_closed)
            return false;
        m_items.push_back(std::move(item));
        m_notEmpty.notify_one();
        return true;
    }

    // Waits up to `timeout` for an item; std::nullopt on timeout or when closed and empty.
    std::optional<T> pop(std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(m_mutex);
        if (!m_notEmpty.wait_for(lock, timeout, [&] { return !m_items.empty() || m_closed; }))
            return std::nullopt;
        if (m_items.empty())
            return std::nullopt;
        T item = std::move(m_items.front());
        m_items.pop_front();
        m_notFull.notify_one();
        return item;
    }

    // Wakes every waiter; later pushes fail, pops drain what is left.
    void close()
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
        m_notEmpty.notify_all();
        m_notFull.notify_all();
    }

    size_t size() const
    {
        std::lock_guard lock(m_mutex);
        return m_items.size();
    }
    size_t capacity() const { return m_capacity; }

private:
    const size_t m_capacity;
    mutable std::mutex m_mutex;
    std::condition_variable m_notEmpty, m_notFull;
    std::deque<T> m_items;
    bool m_closed = false;
};

} // namespace tally
