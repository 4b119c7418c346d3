#include "runtime/stages/window_task.h"

#include "util/sync_point.h"

namespace tally {

void WindowTask::run()
{
    StageContext &c = m_context;
    const auto index = static_cast<size_t>(m_index);
    OperatorTimes &times = c.operatorTimes(OperatorKind::Window, m_index);
    TaskAggregations aggregations(c.config, c.config.runtime.allowedLatenessMs, std::move(c.taskStates[index]));
    BlockingQueue<TaskBatch> &in = *c.taskQueues[index];
    if (c.restored) {
        // This task's key groups of the savepoint, at this job's parallelism; the output stage
        // rebuilds the trending merge from the local top-K lists.
        OutputMessage out;
        out.task = m_index;
        out.epoch = c.currentEpoch;
        if (c.restored->files) // this task's database, opened from the checkpoint's files
            aggregations.restoreFromFiles(c.restored->state, c.restored->files->fired, out.topK);
        else
            aggregations.restore(c.restored->state, m_index, c.parallelism, out.topK);
        out.watermark = c.restored->state.watermark;
        c.outputQueue.push(std::move(out));
        SyncPoints::process("WindowTask::restored");
        c.taskRestored();
    }
    // Incremental checkpoints count changes from the state as restored (or empty).
    if (c.taskCheckpoints == TaskCheckpoints::Changes)
        aggregations.trackChanges();
    for (;;) {
        auto t0 = std::chrono::steady_clock::now();
        std::optional<TaskBatch> batch = in.pop(std::chrono::milliseconds(100));
        times.idleNs->add(nanosSince(t0));
        if (!batch)
            continue;
        t0 = times.startStep();
        if (batch->snapshot != TaskSnapshot::None) { // the state as it was before this batch: the barrier's cut
            SyncPoints::process("WindowTask::barrier");
            OutputMessage part;
            part.task = m_index;
            part.epoch = batch->epoch;
            part.watermark = batch->watermarkBefore;
            const int64_t reachedNs = steadyNowNs();
            part.alignmentUs = (reachedNs - batch->barrierSentNs) / 1000;
            const TaskSnapshot taken = batch->snapshot;
            part.takeState = taken == TaskSnapshot::Files || taken == TaskSnapshot::FilesCacheWritten
                                 ? aggregations.snapshotFiles(taken == TaskSnapshot::FilesCacheWritten)
                                 : aggregations.snapshot(taken == TaskSnapshot::Changes);
            if (batch->snapshot == TaskSnapshot::WholeNewBase)
                aggregations.trackChanges();
            part.syncUs = (steadyNowNs() - reachedNs) / 1000;
            c.outputQueue.push(std::move(part));
        }
        OutputMessage out;
        out.task = m_index;
        uint64_t panesIn = 0;
        for (size_t f = 0; f < kKeyFamilyCount; ++f) {
            const auto family = static_cast<KeyFamily>(f);
            const std::vector<PaneDelta> &records = batch->records[f];
            panesIn += records.size();
            constexpr size_t kPrefetchDistance = 8;
            for (size_t i = 0; i < records.size(); ++i) {
                if (i + kPrefetchDistance < records.size())
                    aggregations.prefetch(family, records[i + kPrefetchDistance]);
                aggregations.apply(family, records[i], batch->watermarkBefore);
            }
        }
        aggregations.finishBatch(batch->watermarkAfter, out.rows, out.topK);
        c.metrics.stateEntries[index]->set(static_cast<double>(aggregations.stateEntries()));
        out.watermark = batch->watermarkAfter;
        out.epoch = batch->epoch;
        out.endOfInput = batch->endOfInput;
        uint64_t blocked = 0;
        const uint64_t rowsOut = out.rows.size();
        c.outputQueue.push(std::move(out), &blocked);
        times.addStep(nanosSince(t0), blocked);
        times.addRecords(panesIn, rowsOut);
        if (batch->endOfInput)
            return;
    }
}

} // namespace tally
