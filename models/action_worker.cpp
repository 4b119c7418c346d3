#include "models/action_worker.h"

#include <chrono>

namespace tally {

ActionWorker::ActionWorker() : m_thread([this] { run(); }) {}

ActionWorker::~ActionWorker()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void ActionWorker::post(Start start, Done done)
{
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back({std::move(start), std::move(done)});
    }
    m_wake.notify_all();
}

void ActionWorker::run()
{
    for (;;) {
        std::deque<Queued> started;
        {
            std::unique_lock lock(m_mutex);
            // Outcomes are futures of the engine: poll them every few milliseconds while any runs.
            const auto waitFor = m_running.empty() ? std::chrono::milliseconds(1000) : std::chrono::milliseconds(10);
            m_wake.wait_for(lock, waitFor, [&] { return !m_queue.empty() || m_stopping; });
            if (m_stopping && m_queue.empty() && m_running.empty())
                return;
            started.swap(m_queue);
        }
        for (Queued &q : started)
            m_running.push_back({q.start(), std::move(q.done)});
        for (auto it = m_running.begin(); it != m_running.end();) {
            if (std::optional<ActionOutcome> outcome = it->poll()) {
                it->done(*outcome);
                it = m_running.erase(it);
            } else {
                ++it;
            }
        }
    }
}

} // namespace tally
