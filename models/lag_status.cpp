#include "models/lag_status.h"

#include <algorithm>

namespace tally {

namespace {

LagStatus statusOf(const std::deque<LagStatusEvaluator::Sample> &w, int64_t nowMs, int64_t spacingMs)
{
    if (w.size() < 2 || std::any_of(w.begin(), w.end(), [](const auto &x) { return x.lag == 0; }))
        return LagStatus::Ok;
    const int64_t spanMs = std::max<int64_t>(w.back().atMs - w.front().atMs, (LagStatusEvaluator::kWindowSamples - 1) * spacingMs);
    if (nowMs - w.back().committedAtMs >= spanMs)
        return LagStatus::Stop;
    const bool moved = w.front().committedOffset != w.back().committedOffset;
    if (!moved)
        return w.size() >= static_cast<size_t>(LagStatusEvaluator::kWindowSamples) ? LagStatus::Stall : LagStatus::Ok;
    bool growing = w.back().lag > w.front().lag;
    for (size_t i = 1; i < w.size() && growing; ++i)
        growing = w[i].lag >= w[i - 1].lag;
    return growing ? LagStatus::Warn : LagStatus::Ok;
}

} // namespace

void LagStatusEvaluator::evaluate(ConsoleSnapshot &s)
{
    if (!s.kafka)
        return;
    // A pause or a resume starts the windows again: a paused job's offsets stand still on purpose,
    // and a resumed one's window would still remember the pause.
    if (m_state && *m_state != s.job.state)
        m_windows.clear();
    m_state = s.job.state;
    const int64_t spacingMs = std::max<int64_t>(1000, s.job.checkpointIntervalMs);
    const bool brokerDown = s.metrics.value("tally_kafka_broker_up", {}, 1) == 0;
    for (PartitionFigures &p : s.partitions) {
        if (brokerDown) {
            p.lagStatus = LagStatus::Err;
            continue;
        }
        // Judged once this consumer has committed for it and knows its log end: not a partition
        // of another member, not one this job has not stored anything of yet.
        if (p.committedOffset < 0 || p.logEndOffset < 0) {
            m_windows.erase(p.partition);
            continue;
        }
        std::deque<Sample> &w = m_windows[p.partition];
        if (w.empty() || s.takenAtMs - w.back().atMs >= spacingMs) {
            w.push_back({s.takenAtMs, p.committedOffset, p.committedAtMs, std::max<int64_t>(0, p.logEndOffset - p.committedOffset)});
            if (w.size() > static_cast<size_t>(kWindowSamples))
                w.pop_front();
        }
        p.lagStatus = statusOf(w, s.takenAtMs, spacingMs);
    }
}

} // namespace tally
