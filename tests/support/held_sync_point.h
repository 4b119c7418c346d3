// Holds every engine thread that reaches a sync point until the test releases them, for tests
// that look at the engine while it stands at a known place (a restore half done, a job between
// two others). Releases and clears the sync points when it goes.
#pragma once

#include "util/sync_point.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>

namespace tally::test {

class HeldSyncPoint {
public:
    explicit HeldSyncPoint(std::string name)
    {
        SyncPoints::set(std::move(name), [this] {
            ++m_arrived;
            std::unique_lock lock(m_mutex);
            m_released.wait(lock, [this] { return m_release; });
        });
    }
    ~HeldSyncPoint()
    {
        release();
        SyncPoints::clear();
    }
    HeldSyncPoint(const HeldSyncPoint &) = delete;
    HeldSyncPoint &operator=(const HeldSyncPoint &) = delete;

    // Threads that reached it so far (held, or released since).
    int arrived() const { return m_arrived.load(); }
    // Lets the held threads go on, and every later one pass.
    void release()
    {
        {
            std::lock_guard lock(m_mutex);
            m_release = true;
        }
        m_released.notify_all();
    }

private:
    std::atomic<int> m_arrived{0};
    std::mutex m_mutex;
    std::condition_variable m_released;
    bool m_release = false;
};

} // namespace tally::test
