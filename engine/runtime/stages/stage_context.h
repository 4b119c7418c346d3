// What the stages of one job share: the settings, the clock, the bounded queues between them,
// the control channel, the checkpoint coordinator and the job-wide flags and metrics. The Job owns
// one StageContext; each stage holds a reference and runs on its own thread.
#pragma once

#include "checkpoint/checkpoint_coordinator.h"
#include "runtime/job_config.h"
#include "metrics/metrics.h"
#include "util/blocking_queue.h"
#include "runtime/control_channel.h"
#include "runtime/ingest.h"
#include "runtime/job.h"
#include "runtime/live_results.h"
#include "runtime/recent_dead_letters.h"
#include "checkpoint/savepoint.h"
#include "sink/output.h"
#include "source/source.h"
#include "state/count_state.h"
#include "time/clock.h"
#include "window/aggregations.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tally {

// A polled (and decoded) batch on its way from the source thread to the ingest thread.
struct IngestInput {
    SourceBatch batch;
    size_t recordCount = 0;  // records polled (the batch's events and dead letters, once decoded)
    bool hasData = false;    // false: a tick that lets the ingest thread re-evaluate idleness
    std::optional<std::vector<int>> owned; // the source's partitions, when they changed
    bool endOfInput = false; // the source ended or the job is stopping: drain
};

// What a window task, a decoder or the ingest stage sends the output stage.
struct OutputMessage {
    int task = -1; // -1: not a task (side records, epoch positions)
    std::vector<OutputRow> rows;
    std::vector<TopKUpdate> topK;
    std::vector<DeadLetter> deadLetters;
    std::vector<LateEvent> lateEvents;
    int64_t watermark = kMinWatermark;
    uint64_t epoch = 0; // tasks: the epoch of the batch that produced the rows
    bool endOfInput = false;
    // A task's acknowledgement of a snapshot barrier: builds its state into the snapshot (run by
    // the snapshot writer, so RocksDB's read of its database snapshot does not hold the task up),
    // and what the barrier cost it.
    StatePart takeState;
    int64_t alignmentUs = 0; // barrier sent by the ingest stage -> reached by the task
    int64_t syncUs = 0;      // the task's synchronous part of the snapshot
    // The ingest stage at an epoch barrier: per partition the next offset to read once every
    // record of the epochs before `epoch` is counted (-1: not read yet).
    std::optional<std::vector<int64_t>> epochPositions;
};

// Milliseconds since the Unix epoch: when something happened, for people (not for windows).
inline int64_t wallNowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

inline int64_t steadyNowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time the calling thread has used.
inline uint64_t threadCpuNs()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(t.tv_nsec);
}

inline uint64_t nanosSince(std::chrono::steady_clock::time_point t0)
{
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
}

// Busy, idle and backpressured time of one operator, as Flink reports them.
struct OperatorTimes {
    std::string name;
    OperatorKind kind;
    int index;
    Counter *busyNs = nullptr;
    Counter *idleNs = nullptr;
    Counter *backpressuredNs = nullptr;
    Counter *recordsIn = nullptr;  // what the operator took (records, events, pane deltas, rows)
    Counter *recordsOut = nullptr; // what it handed on
    // CPU time the operator's thread spent in its steps: unlike busy time it leaves out waiting
    // for a core, so the capacity estimate is not inflated when the threads outnumber the cores;
    // and unlike the thread's whole CPU time it leaves out the idle loop's wake-ups, which cost
    // per second, not per record.
    Counter *cpuNs = nullptr;

    OperatorTimes(MetricsRegistry &m, OperatorKind kind, int index, bool numbered);
    // A step begins (on the operator's own thread): its start, for the step's busy time.
    std::chrono::steady_clock::time_point startStep()
    {
        stepCpuStartNs = threadCpuNs();
        return std::chrono::steady_clock::now();
    }
    // Adds the step: `busy` of which `blocked` was spent waiting on a full downstream queue, and
    // the thread's CPU time since startStep().
    void addStep(uint64_t busy, uint64_t blocked)
    {
        backpressuredNs->add(blocked);
        busyNs->add(busy - std::min(blocked, busy));
        const uint64_t cpu = threadCpuNs();
        if (stepCpuStartNs > 0 && cpu > stepCpuStartNs)
            cpuNs->add(cpu - stepCpuStartNs);
        stepCpuStartNs = 0;
    }
    void addRecords(uint64_t in, uint64_t out)
    {
        recordsIn->add(in);
        recordsOut->add(out);
    }

private:
    uint64_t stepCpuStartNs = 0; // the thread's CPU time when the step began; 0: none begun
};

// Job-wide counters and gauges the stages update and the job's status reads.
struct JobMetrics {
    explicit JobMetrics(MetricsRegistry &m, const JobConfig &config, int partitions);

    Counter &recordsIn;
    Counter &eventsIn;
    Counter &rowsOut;
    Counter &windowsFired;
    Counter &deadLetters;
    Counter &late;
    Counter &dropped;
    Gauge &watermark;
    Gauge &skew;
    Gauge &bound;
    Counter &sinkErrors;
    std::vector<Counter *> rejectedByReason;
    std::vector<Counter *> lateByWindow, droppedByWindow;
    std::vector<Counter *> partitionRecords;
    std::vector<Gauge *> partitionWatermark, partitionIdle;
    std::vector<Counter *> rowsByAggregation;
    std::vector<Gauge *> stateEntries; // per task
};

struct StageContext {
    StageContext(JobConfig config, std::unique_ptr<Source> source, std::unique_ptr<OutputSink> sink,
                 MetricsRegistry &metrics, const Clock &clock);

    const JobConfig config;
    const int parallelism;
    std::unique_ptr<Source> source;
    std::unique_ptr<OutputSink> sink; // may be null: results are counted, not stored
    MetricsRegistry &registry;
    const Clock &clock;
    JobMetrics metrics;
    ArrivalObserver observer;
    std::optional<Savepoint> restored; // set before start()
    // What a restore reports when the last task has its key groups: the file, when reading it
    // began (steadyNowNs), the tasks still restoring.
    std::string restoredFrom;
    int64_t restoreStartedNs = 0;
    std::atomic<int> tasksRestoring{0};
    void taskRestored();
    TaskCheckpoints taskCheckpoints = TaskCheckpoints::Whole; // set by start()

    std::vector<std::unique_ptr<BlockingQueue<IngestInput>>> decodeQueues;  // source -> decoder i
    std::vector<std::unique_ptr<BlockingQueue<IngestInput>>> decodedQueues; // decoder i -> ingest
    std::vector<std::unique_ptr<BlockingQueue<TaskBatch>>> taskQueues;      // ingest -> task t
    BlockingQueue<OutputMessage> outputQueue;                                // everyone -> output
    std::vector<std::unique_ptr<TaskState>> taskStates; // opened by Job::start(), each task takes its own

    // Every operator's times, in pipeline order: source, decoders, ingest, window tasks, output.
    std::vector<std::unique_ptr<OperatorTimes>> operators;
    OperatorTimes &operatorTimes(OperatorKind kind, int index = 0);

    SourceControl sourceControl;
    CheckpointCoordinator coordinator;
    LiveResults live;
    RecentDeadLetters recentDeadLetters;

    std::atomic<bool> stopRequested{false};
    std::atomic<bool> paused{false};
    std::atomic<JobState> state{JobState::Created};
    std::atomic<uint64_t> currentEpoch{0};   // written by the ingest stage
    std::atomic<uint64_t> committedEpoch{0}; // written by the output stage
    // Every window ending at or before it has fired and its rows are in epochs <= committedEpoch
    // (written by the output stage).
    std::atomic<int64_t> windowsHandedOverByMs{kMinWatermark};
    std::atomic<bool> closeEpochNow{false};  // a drain asks the ingest stage for a barrier
    std::atomic<bool> sinkAbandoned{false};  // a stop ran past runtime.stop_timeout_ms (Job)

    // Why the job stopped on its own (a failed checkpoint policy); first reason wins.
    void fail(std::string why);
    std::string failure() const;

    // Writes with retries: a sink error must never lose results or stop the job, except once the
    // sink was abandoned (a stop out of time), when the first error ends the job as failed.
    template <typename Write>
    void writeWithRetry(Write &&write);

private:
    mutable std::mutex m_mutex;
    std::string m_failure;
};

template <typename Write>
void StageContext::writeWithRetry(Write &&write)
{
    if (!sink)
        return;
    for (int attempt = 0;; ++attempt) {
        Status s = write();
        if (s.isOk())
            return;
        metrics.sinkErrors.add();
        if (sinkAbandoned) {
            fail("the stop ran out of time (runtime.stop_timeout_ms = " + std::to_string(config.runtime.stopTimeoutMs) +
                 " ms): " + s.message());
            return;
        }
        if (attempt == 0 || attempt % 10 == 0)
            fprintf(stderr, "tally: sink write failed (attempt %d), retrying: %s\n", attempt + 1, s.toString().c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 10 << std::min(attempt, 6))));
    }
}

} // namespace tally
