// A Clock tells processing time. The engine uses it only for idleness and rates, never for
// window assignment, and tests inject a ManualClock to make idleness deterministic.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tally {

class Clock {
public:
    virtual ~Clock() = default;
    virtual int64_t nowMs() const = 0; // thread-safe
};

class SteadyClock final : public Clock {
public:
    int64_t nowMs() const override
    {
        using namespace std::chrono;
        return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
    }
};

// Time moves only when a test says so.
class ManualClock final : public Clock {
public:
    explicit ManualClock(int64_t startMs = 0) : m_now(startMs) {}
    int64_t nowMs() const override { return m_now.load(std::memory_order_acquire); }
    void advance(int64_t ms) { m_now.fetch_add(ms, std::memory_order_acq_rel); }
    void set(int64_t ms) { m_now.store(ms, std::memory_order_release); }

private:
    std::atomic<int64_t> m_now;
};

} // namespace tally
