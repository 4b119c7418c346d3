// A Job is one running Tally pipeline: its stages (runtime/stages/: source, decoders, ingest, P
// window tasks that own key-group ranges, output with the trending merge), each on its own
// thread and connected by bounded queues, its checkpoint coordinator, and the control channel
// into it. The Job owns their lifecycle; what each stage does is in its own file.
#pragma once

#include "checkpoint/checkpoint_coordinator.h"
#include "runtime/job_config.h"
#include "metrics/metrics.h"
#include "runtime/control_channel.h"
#include "runtime/live_results.h"
#include "runtime/recent_dead_letters.h"
#include "sink/output.h"
#include "source/source.h"
#include "time/clock.h"
#include "time/watermark.h"
#include "util/status.h"
#include "window/top_k.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tally {

class TimeSeriesStore;

enum class JobState { Created, Running, Paused, Finished };

// Sees each polled batch after decoding, with the watermark its events are judged against.
// Called on the ingest thread; for tests and tools.
using ArrivalObserver = std::function<void(int partition, const std::vector<LikeEvent> &, int64_t watermark)>;

// The kinds of operator a job has, in pipeline order.
enum class OperatorKind { Source, Decode, Ingest, Window, Output };
std::string_view operatorKindName(OperatorKind kind); // "source", "decode", "ingest", "window", "output"

struct OperatorStatus {
    std::string name; // "source", "decode-0", "ingest", "window-0", "output"
    OperatorKind kind = OperatorKind::Source;
    int index = 0;    // among the operators of its kind
    uint64_t busyNs = 0;          // since the job started; the console takes shares of intervals
    uint64_t idleNs = 0;
    uint64_t backpressuredNs = 0; // blocked by a full downstream queue
    uint64_t recordsIn = 0;       // since the job started (tally_operator_records_in_total)
    uint64_t recordsOut = 0;
    uint64_t cpuNs = 0;           // CPU time of the operator's thread
};

struct PartitionStatus {
    int partition = 0;
    uint64_t records = 0;             // polled so far
    int64_t watermarkMs = 0;          // kMinWatermark while the partition has none
    bool idle = false;
    std::optional<double> lagRecords; // sources with a lag (Kafka) only
    std::optional<double> lagSeconds;
    int64_t committedOffset = -1; // Kafka: the group's offset committed by this job, and when
    int64_t committedAtMs = -1;   //        (-1: none yet)
    int64_t logEndOffset = -1;    // Kafka: -1 until known
};

struct JobStatus {
    using State = JobState;
    State state = State::Created;
    uint64_t recordsIn = 0;     // records polled from the source
    uint64_t eventsIn = 0;      // records that decoded into events
    uint64_t deadLetters = 0;
    uint64_t lateEvents = 0;    // events accepted after a window of theirs fired (re-fires)
    uint64_t droppedEvents = 0; // events later than the allowed lateness for a window of theirs: late_events rows
    uint64_t rowsOut = 0;
    uint64_t windowsFired = 0;  // distinct (aggregation, window) results emitted
    int64_t watermarkMs = 0;
    int64_t watermarkSkewMs = 0;
    int64_t watermarkBoundMs = 0; // the out-of-orderness bound in force (adaptive: as it is now)
    uint64_t epoch = 0;          // the epoch the ingest stage is in
    uint64_t committedEpoch = 0; // the newest epoch every task has passed (handed to the sink)
    // Every window ending at or before it has fired and its rows reached the sink (kMinWatermark:
    // none yet; kMaxWatermark: the input ended). Where the sink's database stands is
    // SinkStatus::upToDateMs.
    int64_t windowsHandedOverByMs = kMinWatermark;
    bool checkpointsEnabled = false;
    int64_t checkpointIntervalMs = 0; // the epoch (and checkpoint) interval
    // waitFinished() also returns it, as an Aborted status.
    std::string failure; // why the job stopped on its own, if it failed (empty otherwise)
    std::vector<CheckpointRecord> checkpoints; // newest first, the last 50
    std::vector<PartitionStatus> partitions;   // every partition of the source
    std::vector<OperatorStatus> operators;     // in pipeline order
    std::optional<SinkStatus> sink;            // absent: no sink, or one without a writer
    std::optional<double> timeToCatchUpSeconds; // sources with a lag only; 0: keeping up; +inf: not catching up
    std::optional<TopicView> topic;             // sources that read a broker only (Kafka)
    // While the window tasks still load a restored checkpoint or savepoint: which, how many
    // tasks have it loaded, and for how long the restore has run (its file read included).
    struct Restoring {
        std::string from; // "checkpoint PATH" or PATH
        int tasksDone = 0;
        int tasks = 0;
        int64_t forMs = 0;
    };
    std::optional<Restoring> restoring;
};

std::string_view jobStateName(JobStatus::State s);

class Job {
public:
    using ArrivalObserver = tally::ArrivalObserver;

    // `sink` may be null (results are counted, not stored). `metrics` and `clock` must outlive the job.
    Job(JobConfig config, std::unique_ptr<Source> source, std::unique_ptr<OutputSink> sink,
        MetricsRegistry &metrics, const Clock &clock);
    ~Job(); // stops and joins
    Job(const Job &) = delete;
    Job &operator=(const Job &) = delete;

    void setArrivalObserver(ArrivalObserver observer); // before start()
    Status start();

    // Stops the source and drains: every window fires (as at the end of a bounded input) and all
    // results reach the sink. Returns immediately; waitFinished() waits.
    void requestStop();
    // Blocks until the job finished (bounded input ended, or after requestStop()).
    Status waitFinished();
    bool finished() const;
    // Closes a finished job's source and sink now rather than with the job: a Kafka consumer
    // leaves its group and the database connections close, so the job that replaces this one
    // (a rescale) gets the partitions and the database at once. A no-op until the job finished.
    void releaseConnections();

    // Operator commands; the future holds the outcome (a drain's once the sink holds). Thread-safe.
    std::future<Status> submit(SourceCommand command);
    std::future<Status> submit(SinkCommand command);

    // Takes a savepoint at the next barrier into checkpoint.savepoint_dir; the future holds the
    // file's path. With `stop`, the job then ends without firing its open windows (they stay in
    // the savepoint). Thread-safe.
    std::future<Result<std::string>> savepoint(bool stop);
    // Continues from a savepoint or a checkpoint file (at this job's parallelism: a rescale when it differs). Refused
    // when the aggregation definitions differ (the message names the difference) or the source
    // cannot continue from the savepoint's positions. Call before start().
    Status restoreFrom(const std::string &path);
    JobStatus status() const;                           // thread-safe, a value snapshot
    const JobConfig &config() const;
    // Every metric sampled once a second into fixed-memory ring buffers (15 minutes). Thread-safe.
    const TimeSeriesStore &timeSeries() const;
    // The newest window of every aggregation with its leading keys, and a watched post's history.
    LiveResults &liveResults();
    const LiveResults &liveResults() const;
    // The newest dead letters of the run, for the dead-letter browser.
    const RecentDeadLetters &recentDeadLetters() const;

    // Sync points for tests and tools: block until `count` checkpoints have completed (failed)
    // since start(), or `timeout` passed; true if they did. Thread-safe.
    bool awaitCompletedCheckpoints(uint64_t count, std::chrono::milliseconds timeout) const;
    bool awaitFailedCheckpoints(uint64_t count, std::chrono::milliseconds timeout) const;

private:
    // Takes a read savepoint as the state to restore, refused as restoreFrom() says; `named` is
    // how the log names it ("checkpoint PATH" when the job found it in checkpoint.dir).
    Status adopt(const std::string &path, const std::string &named, Savepoint savepoint);
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace tally
