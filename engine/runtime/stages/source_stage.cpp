#include "runtime/stages/source_stage.h"

#include "util/sync_point.h"

#include <thread>

namespace tally {

void SourceStage::serveControl()
{
    SourceControl::Mail mail = m_context.sourceControl.take();
    if (mail.commit) {
        if (Status s = m_context.source->commitPositions(*mail.commit); !s.isOk())
            fprintf(stderr, "tally: publishing the source positions failed: %s\n", s.toString().c_str());
    }
    for (auto &r : mail.commands) {
        switch (r.command) {
        case SourceCommand::Pause:
            m_context.paused = true;
            m_context.state = JobState::Paused;
            break;
        case SourceCommand::Resume:
            m_context.paused = false;
            m_context.state = JobState::Running;
            break;
        }
        r.done.set_value(Status::ok());
    }
}

// The source thread polls; D decoder threads decode (the costliest per-record step) and the
// ingest thread sequences. Batch k goes to decoder k mod D and the ingest thread takes batch k
// from decoder k mod D, so batches reach it in poll order and results stay deterministic.
void SourceStage::run()
{
    StageContext &c = m_context;
    OperatorTimes &times = c.operatorTimes(OperatorKind::Source);
    const auto maxRecords = static_cast<size_t>(c.config.runtime.batchSize);
    const size_t decoders = c.decodeQueues.size();
    size_t next = 0; // decoder of the next batch
    auto lastIdleTick = std::chrono::steady_clock::now();
    uint64_t ownership = 0;
    // A full queue blocks the source, but in slices: between them the source keeps its
    // session alive (a Kafka consumer pauses its partitions and keeps polling).
    auto send = [&](IngestInput in) {
        const auto t0 = std::chrono::steady_clock::now();
        while (!c.decodeQueues[next]->pushFor(in, std::chrono::milliseconds(100)))
            c.source->keepAlive();
        next = (next + 1) % decoders;
        return nanosSince(t0);
    };
    for (;;) {
        serveControl();
        if (c.paused && !c.stopRequested) {
            c.source->keepAlive(); // a paused Kafka consumer keeps polling: no rebalance
            SyncPoints::process("SourceStage::paused");
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            times.idleNs->add(5'000'000);
            continue;
        }
        const auto t0 = times.startStep();
        IngestInput in;
        const Source::PollStatus ps = c.stopRequested ? Source::PollStatus::End : c.source->poll(in.batch, maxRecords);
        if (c.source->ownershipVersion() != ownership) {
            ownership = c.source->ownershipVersion();
            in.owned = c.source->ownedPartitions();
            lastIdleTick = {}; // make sure the change travels even without data
        }
        if (ps == Source::PollStatus::End)
            break;
        if (ps == Source::PollStatus::Idle) {
            // A poll that found nothing spent its time waiting (for a fetch, for the generator's
            // pacing): idle, or the capacity estimate would take waiting for work.
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            times.idleNs->add(nanosSince(t0));
            // Without data the ingest thread still re-evaluates idleness now and then.
            if (std::chrono::steady_clock::now() - lastIdleTick >= std::chrono::milliseconds(10)) {
                lastIdleTick = std::chrono::steady_clock::now();
                times.backpressuredNs->add(send(std::move(in)));
            }
            continue;
        }
        c.metrics.recordsIn.add(in.batch.size());
        in.recordCount = in.batch.size();
        c.metrics.partitionRecords[static_cast<size_t>(in.batch.partition)]->add(in.batch.size());
        in.hasData = true;
        const uint64_t records = in.recordCount;
        const uint64_t blocked = send(std::move(in));
        times.addStep(nanosSince(t0), blocked);
        times.addRecords(records, records);
    }
    // The end marker goes to the decoder whose turn it is, then to the others so they stop.
    for (size_t i = 0; i < decoders; ++i)
        send(IngestInput{.endOfInput = true});
    // What the output stage still asks to publish after this point is lost with the process; the
    // next run publishes its own positions.
    serveControl();
    c.sourceControl.close("the job has stopped");
}

} // namespace tally
