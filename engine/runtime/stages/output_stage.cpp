#include "runtime/stages/output_stage.h"

#include "runtime/stages/trending_merge.h"

#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <tuple>

namespace tally {

std::future<Status> OutputStage::requestDrain()
{
    std::lock_guard lock(m_drainMutex);
    std::promise<Status> p;
    auto f = p.get_future();
    if (m_ended) {
        p.set_value(Status::ok()); // the job ended: everything is written
        return f;
    }
    m_drains.push_back({m_context.currentEpoch.load(), std::move(p), std::nullopt});
    m_context.closeEpochNow = true;
    return f;
}

void OutputStage::writeRestoredRows()
{
    StageContext &c = m_context;
    if (!c.restored || !c.sink || c.restored->pendingRows.empty())
        return;
    // Rows the restored job had produced without knowing them committed. They are written again
    // whatever the database holds (it may not even answer yet): the same upserts in the same
    // order, ahead of this run's rows.
    c.writeWithRetry([&] { return c.sink->writeRestoredRows(c.restored->pendingRows); });
    // Kept, in every checkpoint, until this run's first epoch is stored: they are written before it.
    std::vector<OutputRow> &kept = m_uncommittedRows[c.committedEpoch + 1];
    kept.insert(kept.end(), c.restored->pendingRows.begin(), c.restored->pendingRows.end());
}

void OutputStage::noteTaskWatermark(int task, uint64_t epoch, int64_t watermark)
{
    auto &q = m_taskWatermarks[static_cast<size_t>(task)];
    if (!q.empty() && q.back().first >= epoch)
        q.back().second = std::max(q.back().second, watermark);
    else
        q.emplace_back(epoch, watermark);
}

int64_t OutputStage::windowsCoveredBy(uint64_t epoch)
{
    int64_t covered = kMaxWatermark;
    for (auto &q : m_taskWatermarks) {
        while (q.size() > 1 && q[1].first <= epoch)
            q.pop_front();
        covered = std::min(covered, q.front().first <= epoch ? q.front().second : kMinWatermark);
    }
    return covered;
}

std::vector<OutputRow> OutputStage::rowsBefore(uint64_t epoch) const
{
    std::vector<OutputRow> out;
    for (auto it = m_uncommittedRows.begin(); it != m_uncommittedRows.end() && it->first < epoch; ++it)
        out.insert(out.end(), it->second.begin(), it->second.end());
    return out;
}

void OutputStage::run()
{
    StageContext &c = m_context;
    OperatorTimes &times = c.operatorTimes(OperatorKind::Output);
    writeRestoredRows();
    TrendingMerge merge(c.parallelism, static_cast<size_t>(c.config.trendingHourly.topK), c.config.runtime.allowedLatenessMs);
    std::vector<uint64_t> taskEpochs(static_cast<size_t>(c.parallelism), c.committedEpoch.load());
    const int64_t restoredWatermark = c.restored ? c.restored->state.watermark : kMinWatermark;
    m_taskWatermarks.assign(static_cast<size_t>(c.parallelism), {{c.committedEpoch.load(), restoredWatermark}});
    absl::flat_hash_set<std::tuple<Aggregation, int64_t, int64_t>> firedWindows;
    int64_t prunedAt = kMinWatermark;
    int ended = 0;
    while (ended < c.parallelism) {
        auto t0 = std::chrono::steady_clock::now();
        std::optional<OutputMessage> msg = merge.nextAligned();
        if (!msg) {
            msg = c.outputQueue.pop(std::chrono::milliseconds(100));
            times.idleNs->add(nanosSince(t0));
            if (!msg) {
                if (c.sink)
                    commitEpochs(c.committedEpoch);
                continue;
            }
            if (msg->task >= 0) {
                merge.add(std::move(*msg));
                continue;
            }
        }
        t0 = times.startStep();
        uint64_t blocked = 0; // time the sink held the output stage back
        auto timed = [&](auto &&write) {
            const auto w0 = std::chrono::steady_clock::now();
            c.writeWithRetry(write);
            blocked += nanosSince(w0);
        };
        // Everything it takes it hands to the sink: rows, dead letters, late events.
        const uint64_t records = msg->rows.size() + msg->deadLetters.size() + msg->lateEvents.size();
        if (!msg->deadLetters.empty()) {
            c.recentDeadLetters.note(msg->deadLetters, wallNowMs());
            timed([&] { return c.sink->writeDeadLetters(msg->deadLetters); });
        }
        if (!msg->lateEvents.empty())
            timed([&] { return c.sink->writeLateEvents(msg->lateEvents); });
        if (msg->epochPositions)
            m_epochPositions[msg->epoch] = std::move(*msg->epochPositions);
        if (msg->takeState) {
            c.coordinator.acknowledge(msg->epoch, std::move(msg->takeState), msg->alignmentUs, msg->syncUs,
                                      [&, epoch = msg->epoch] { return rowsBefore(epoch); });
        } else if (msg->task >= 0) {
            std::vector<OutputRow> &rows = msg->rows;
            const int64_t minWatermark = merge.merge(*msg);
            std::tuple<Aggregation, int64_t, int64_t> previous{Aggregation::kCount, 0, 0};
            for (OutputRow &r : rows) {
                r.epoch = msg->epoch;
                c.metrics.rowsByAggregation[static_cast<size_t>(r.aggregation)]->add();
                const std::tuple window{r.aggregation, r.windowStartMs, r.windowEndMs};
                if (window != previous && firedWindows.insert(window).second) // rows come grouped by window
                    c.metrics.windowsFired.add();
                previous = window;
            }
            // Forget windows past their allowed lateness (they produce no more rows), when the
            // watermark moved, to keep the set small.
            if (minWatermark != prunedAt) {
                prunedAt = minWatermark;
                absl::erase_if(firedWindows, [&](const auto &w) {
                    return std::get<2>(w) - 1 + c.config.runtime.allowedLatenessMs <= minWatermark;
                });
            }
            c.metrics.rowsOut.add(rows.size());
            c.live.note(rows);
            if (!rows.empty()) {
                timed([&] { return c.sink->writeRows(rows); });
                std::vector<OutputRow> &kept = m_uncommittedRows[msg->epoch];
                kept.insert(kept.end(), rows.begin(), rows.end());
            }
            taskEpochs[static_cast<size_t>(msg->task)] = msg->epoch;
            noteTaskWatermark(msg->task, msg->epoch, msg->watermark);
            if (msg->endOfInput)
                ++ended;
            // Epoch e is complete once every task sent a message of a later epoch (or ended).
            const uint64_t oldest = *std::min_element(taskEpochs.begin(), taskEpochs.end());
            const uint64_t passed = ended == c.parallelism || oldest == 0 ? oldest : oldest - 1;
            commitEpochs(passed, ended == c.parallelism);
        }
        times.addStep(nanosSince(t0), blocked);
        times.addRecords(records, records);
    }
    c.writeWithRetry([&] { return c.sink->flush(); });
    commitEpochs(c.committedEpoch, true); // commits the last epoch and publishes what flush() stored
    // The last epoch's rows too are stored (or counted as not) before the job says it finished.
    c.writeWithRetry([&] { return c.sink->flush(); });
    commitEpochs(c.committedEpoch, true);
    std::lock_guard lock(m_drainMutex);
    m_ended = true;
    for (auto &r : m_drains) // the job ended: everything is written
        r.done.set_value(Status::ok());
    m_drains.clear();
}

void OutputStage::commitEpochs(uint64_t passed, bool final)
{
    StageContext &c = m_context;
    // With checkpoints, an epoch commits once a checkpoint after it is on disk: a crash can then
    // only replay epochs the sink has not committed.
    if (c.config.checkpoint.enabled && !final) {
        const uint64_t checkpointed = c.coordinator.lastCompletedEpoch();
        passed = std::min(passed, checkpointed > 0 ? checkpointed - 1 : c.committedEpoch.load());
    }
    if (passed > c.committedEpoch) {
        const int64_t covered = windowsCoveredBy(passed);
        c.committedEpoch = passed;
        c.windowsHandedOverByMs = covered;
        if (c.sink && covered > kMinWatermark)
            c.sink->noteEpochCovers(passed, covered);
        c.writeWithRetry([&] { return c.sink->commitEpoch(passed); });
    }
    // An exactly-once sink commits asynchronously: rows stay here, and so in every later
    // checkpoint, until their commit is stored. A crash in between restores them from the newest
    // checkpoint instead of losing them.
    const uint64_t stored = c.sink && c.config.output.delivery == Delivery::ExactlyOnce
                                ? std::min<uint64_t>(c.sink->committedEpoch(), c.committedEpoch)
                                : c.committedEpoch.load();
    m_uncommittedRows.erase(m_uncommittedRows.begin(), m_uncommittedRows.upper_bound(stored));
    // The source publishes how far the stored results reach (a Kafka group's committed
    // offsets, for lag tools): the positions epoch stored + 1 started at.
    if (stored > m_publishedEpoch) {
        auto it = m_epochPositions.upper_bound(stored + 1);
        if (it != m_epochPositions.begin()) {
            --it;
            c.sourceControl.commitPositions(it->second);
            m_publishedEpoch = stored;
            m_epochPositions.erase(m_epochPositions.begin(), it);
        }
    }
    if (!c.sink)
        return;
    std::lock_guard lock(m_drainMutex);
    for (auto it = m_drains.begin(); it != m_drains.end();) {
        if (!it->sinkDrained && it->afterEpoch <= c.committedEpoch)
            it->sinkDrained = c.sink->drain();
        if (it->sinkDrained && it->sinkDrained->wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
            it->done.set_value(it->sinkDrained->get());
            it = m_drains.erase(it);
        } else {
            ++it;
        }
    }
}

} // namespace tally
