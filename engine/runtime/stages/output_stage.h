// The output stage is the job's last operator, on its own thread: it takes the tasks' results
// through the trending merge, writes rows, dead letters and late events to the sink, commits
// each epoch every task has passed (with checkpoints: once a checkpoint after it is complete),
// hands the coordinator the tasks' snapshot parts, keeps the rows whose commit is not stored yet
// (they go into every later checkpoint), answers drains, and asks the source to publish the
// positions whose results the sink has stored.
#pragma once

#include "runtime/stages/stage_context.h"

#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace tally {

class OutputStage {
public:
    explicit OutputStage(StageContext &context) : m_context(context) {}
    void run();

    // Any thread: the epoch open now closes, everything up to it is written, then the sink
    // holds its writes until SinkCommand::ResumeWrites.
    std::future<Status> requestDrain();

private:
    void writeRestoredRows();
    void process(OutputMessage &message);
    // Hands the sink every epoch all tasks have passed; answers drains; publishes positions.
    void commitEpochs(uint64_t passed, bool final = false);
    std::vector<OutputRow> rowsBefore(uint64_t epoch) const;
    void noteTaskWatermark(int task, uint64_t epoch, int64_t watermark);
    // Every window ending at or before the result has its rows in epochs <= `epoch`.
    int64_t windowsCoveredBy(uint64_t epoch);

    StageContext &m_context;
    // Output thread only: rows handed to the sink whose epoch's commit is not stored yet, and the
    // positions each epoch started at.
    std::map<uint64_t, std::vector<OutputRow>> m_uncommittedRows;
    std::map<uint64_t, std::vector<int64_t>> m_epochPositions;
    // Per task, the watermark of its newest message in each epoch not yet handed to the sink
    // (the front: the newest such epoch that was). A task's rows of windows ending at or before
    // the watermark of its message in epoch e are in messages of epochs <= e.
    std::vector<std::deque<std::pair<uint64_t, int64_t>>> m_taskWatermarks;
    uint64_t m_publishedEpoch = 0; // positions of epochs up to it were published

    // A drain waits for the epoch that was open when it was asked for, then for the sink.
    struct DrainRequest {
        uint64_t afterEpoch = 0;
        std::promise<Status> done;
        std::optional<std::future<Status>> sinkDrained;
    };
    std::mutex m_drainMutex;
    std::vector<DrainRequest> m_drains; // guarded by m_drainMutex
    bool m_ended = false;               // guarded by m_drainMutex
};

} // namespace tally
