#include "runtime/stages/ingest_stage.h"

#include "runtime/config_fingerprint.h"
#include "util/sync_point.h"

namespace tally {

void IngestStage::publishMetrics(Ingest &ingest)
{
    JobMetrics &m = m_context.metrics;
    IngestCounts counts = ingest.takeCounts();
    m.eventsIn.add(counts.events);
    m.late.add(counts.lateEvents);
    m.dropped.add(counts.droppedEvents);
    for (size_t i = 0; i < counts.late.size(); ++i) {
        m.lateByWindow[i]->add(counts.late[i]);
        m.droppedByWindow[i]->add(counts.dropped[i]);
    }
    const WatermarkTracker &wt = ingest.watermarks();
    m.watermark.set(static_cast<double>(ingest.watermark()));
    m.skew.set(static_cast<double>(wt.skewMs()));
    m.bound.set(static_cast<double>(wt.boundMs()));
    for (const auto &p : wt.partitions()) {
        m.partitionWatermark[static_cast<size_t>(p.partition)]->set(static_cast<double>(p.watermarkMs));
        m.partitionIdle[static_cast<size_t>(p.partition)]->set(p.idle ? 1 : 0);
    }
}

void IngestStage::run()
{
    StageContext &c = m_context;
    OperatorTimes &times = c.operatorTimes(OperatorKind::Ingest);
    const int partitions = c.source->partitionCount();
    Ingest ingest(c.config, partitions, c.clock);
    std::vector<int64_t> positions(static_cast<size_t>(partitions), 0); // next offset per partition
    std::vector<bool> read(static_cast<size_t>(partitions), false);     // positions[p] is known
    if (c.restored) {
        ingest.restore(c.restored->ingest);
        // A savepoint may know fewer partitions than the source has (a Kafka topic that gained
        // some), and -1 for one the saved job never read: those start where the source puts them.
        const std::vector<int64_t> &saved = c.restored->sourcePositions;
        for (size_t p = 0; p < saved.size() && p < positions.size(); ++p)
            if (saved[p] >= 0) {
                positions[p] = saved[p];
                read[p] = true;
            }
    }
    auto knownPositions = [&] {
        std::vector<int64_t> out(positions.size(), -1);
        for (size_t p = 0; p < positions.size(); ++p)
            if (read[p])
                out[p] = positions[p];
        return out;
    };
    std::vector<TaskBatch> perTask;
    size_t next = 0; // decoder holding the next batch in poll order
    uint64_t epoch = c.currentEpoch;
    int64_t epochStartedMs = c.clock.nowMs();
    bool stopping = false; // stop-with-savepoint: discard what still arrives until the end marker
    for (;;) {
        auto t0 = std::chrono::steady_clock::now();
        std::optional<IngestInput> in = c.decodedQueues[next]->pop(std::chrono::milliseconds(20));
        times.idleNs->add(nanosSince(t0));
        if (stopping) {
            if (in) {
                next = (next + 1) % c.decodedQueues.size();
                if (in->endOfInput)
                    return;
            }
            continue;
        }
        // Epoch barrier: every task gets a batch of the new epoch at the same point of the
        // stream, with data or without (a paused or silent source still closes epochs).
        const bool intervalDue = c.clock.nowMs() - epochStartedMs >= c.config.checkpoint.intervalMs;
        const BarrierPlan plan = c.coordinator.trigger(epoch + 1, intervalDue, [&] {
            Savepoint sp;
            sp.epoch = epoch + 1;
            sp.takenAtMs = wallNowMs();
            sp.fingerprint = configFingerprint(c.config);
            sp.ingest = ingest.state();
            sp.sourcePositions = positions; // before the batch at hand
            return sp;
        });
        const bool epochDue = plan.snapshot() || intervalDue || c.closeEpochNow.exchange(false);
        if (epochDue) {
            c.currentEpoch = ++epoch;
            epochStartedMs = c.clock.nowMs();
        }
        if (!in && !epochDue)
            continue;
        t0 = times.startStep();
        uint64_t blocked = 0;
        uint64_t eventsIn = 0, panesOut = 0;
        if (epochDue) {
            OutputMessage opened;
            opened.epoch = epoch;
            opened.epochPositions = knownPositions();
            c.outputQueue.push(std::move(opened), &blocked);
        }
        const bool stopNow = plan.stop;
        OutputMessage side;
        bool send = false;
        const bool end = stopNow || (in && in->endOfInput);
        if (in) {
            next = (next + 1) % c.decodedQueues.size();
            if (in->owned)
                ingest.setOwnedPartitions(*in->owned);
            if (in->hasData && !stopNow) {
                ingest.add(in->batch.partition, in->batch.events, side.lateEvents);
                eventsIn = in->batch.events.size();
                const auto p = static_cast<size_t>(in->batch.partition);
                positions[p] = in->batch.nextOffset >= 0 ? in->batch.nextOffset
                                                         : in->batch.firstOffset + static_cast<int64_t>(in->recordCount);
                read[p] = true;
                if (c.observer)
                    c.observer(in->batch.partition, in->batch.events, ingest.watermark());
            }
            if (!stopNow)
                send = ingest.flush(perTask, end);
            publishMetrics(ingest);
        }
        if (!send && (epochDue || stopNow)) {
            // A barrier without data; when stopping with a savepoint, the last batch leaves
            // the watermark where it is, so no open window fires.
            perTask.assign(static_cast<size_t>(c.parallelism), TaskBatch{});
            for (auto &t : perTask) {
                t.watermarkBefore = t.watermarkAfter = ingest.watermark();
                t.endOfInput = stopNow;
            }
            send = true;
        }
        if (!side.lateEvents.empty())
            c.outputQueue.push(std::move(side), &blocked);
        if (end && !stopNow) {
            // Everything read is in the last epoch: its positions are published once it is stored.
            OutputMessage last;
            last.epoch = epoch + 1;
            last.epochPositions = knownPositions();
            c.outputQueue.push(std::move(last), &blocked);
        }
        if (send) {
            const int64_t sentNs = steadyNowNs();
            for (int t = 0; t < c.parallelism; ++t) {
                TaskBatch &b = perTask[static_cast<size_t>(t)];
                for (const auto &family : b.records)
                    panesOut += family.size();
                b.epoch = epoch;
                b.snapshot = plan.tasks;
                b.barrierSentNs = sentNs;
                c.taskQueues[static_cast<size_t>(t)]->push(std::move(b), &blocked);
            }
        }
        times.addStep(nanosSince(t0), blocked);
        times.addRecords(eventsIn, panesOut);
        if (stopNow) {
            c.stopRequested = true; // the source ends; what it still sends is discarded
            stopping = !(in && in->endOfInput);
            if (!stopping)
                return;
            continue;
        }
        if (end)
            return;
    }
}

} // namespace tally
