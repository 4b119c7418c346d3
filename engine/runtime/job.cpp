#include "runtime/job.h"

#include "runtime/blocking_queue.h"
#include "runtime/ingest.h"
#include "runtime/live_results.h"
#include "runtime/savepoint.h"
#include "metrics/time_series.h"
#include "runtime/trending_merger.h"
#include "state/count_state.h"
#include "time/watermark.h"
#include "window/aggregations.h"
#include "window/key_counts.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <filesystem>
#include <map>

#include <algorithm>
#include <cstdio>
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <tuple>

namespace tally {

namespace {

using SteadyTime = std::chrono::steady_clock;

int64_t steadyNowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyTime::now().time_since_epoch()).count();
}

uint64_t nanosSince(SteadyTime::time_point t0)
{
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyTime::now() - t0).count());
}

// What a task (or the source, task == -1) sends the output stage.
struct OutputMessage {
    int task = -1;
    std::vector<OutputRow> rows;
    std::vector<TopKUpdate> topK;
    std::vector<DeadLetter> deadLetters;
    std::vector<LateEvent> lateEvents;
    int64_t watermark = kMinWatermark;
    uint64_t epoch = 0; // tasks: the epoch of the batch that produced the rows
    bool endOfInput = false;
    // Savepoint barrier parts: the ingest stage's (task == -1) and each task's state.
    std::shared_ptr<Savepoint> barrier;
    bool forSavepoint = false;  // the barrier answers a savepoint request
    bool forCheckpoint = false; // the barrier is a periodic checkpoint
    // A task's part: builds its state into the snapshot (run by the output thread, so RocksDB's
    // read of its database snapshot does not hold the task up), and what the barrier cost it.
    std::function<void(KeyedStateSnapshot &)> takeState;
    int64_t alignmentUs = 0; // barrier sent by the ingest stage -> reached by the task
    int64_t syncUs = 0;      // the task's synchronous part of the snapshot
};

// A savepoint or checkpoint whose parts every task has handed over, for the snapshot writer.
struct SnapshotWork {
    std::shared_ptr<Savepoint> savepoint; // null: the end marker
    std::vector<std::function<void(KeyedStateSnapshot &)>> parts;
    bool forSavepoint = false;
    bool forCheckpoint = false;
    int64_t alignmentUs = 0; // the slowest task's
    int64_t syncUs = 0;      // the slowest task's
    int64_t buildUs = 0;     // the writer building the snapshot from the parts
};

// Busy, idle and backpressured time of one operator, as Flink reports them.
struct OperatorTimes {
    Counter *busyNs = nullptr;
    Counter *idleNs = nullptr;
    Counter *backpressuredNs = nullptr;

    OperatorTimes(MetricsRegistry &m, const std::string &name)
    {
        const Labels l{{"operator", name}};
        busyNs = &m.counter("tally_operator_busy_nanoseconds_total", l, "Time the operator spent working");
        idleNs = &m.counter("tally_operator_idle_nanoseconds_total", l, "Time the operator waited for input");
        backpressuredNs = &m.counter("tally_operator_backpressured_nanoseconds_total", l,
                                     "Time the operator was blocked by a full downstream queue");
    }
};

// A polled (and decoded) batch on its way from the source thread to the ingest thread.
struct IngestInput {
    SourceBatch batch;
    size_t recordCount = 0;  // records polled (the batch's events and dead letters, once decoded)
    bool hasData = false;    // false: a tick that lets the ingest thread re-evaluate idleness
    std::optional<std::vector<int>> owned; // the source's partitions, when they changed
    bool endOfInput = false; // the source ended or the job is stopping: drain
};

struct ControlRequest {
    ControlCommand command;
    std::promise<Status> done;
};

struct SavepointRequest {
    bool stop = false; // stop the job once the savepoint is taken (without firing open windows)
    std::promise<Result<std::string>> done;
};

// A drain waits for the epoch that was open when it was asked for, then for the sink.
struct DrainRequest {
    uint64_t afterEpoch = 0;
    std::promise<Status> done;
    std::optional<std::future<Status>> sinkDrained;
};

} // namespace

std::string_view jobStateName(JobStatus::State s)
{
    static constexpr std::string_view kNames[] = {"created", "running", "paused", "finished"};
    return kNames[static_cast<size_t>(s)];
}

struct Job::Impl {
    JobConfig config;
    std::unique_ptr<Source> source;
    std::unique_ptr<OutputSink> sink;
    MetricsRegistry &metrics;
    const Clock &clock;
    const int parallelism;
    ArrivalObserver observer;

    TimeSeriesStore timeSeries;
    std::vector<std::unique_ptr<BlockingQueue<IngestInput>>> decodeQueues;  // source -> decoder i
    std::vector<std::unique_ptr<BlockingQueue<IngestInput>>> decodedQueues; // decoder i -> ingest
    std::vector<std::unique_ptr<BlockingQueue<TaskBatch>>> taskQueues;
    BlockingQueue<OutputMessage> outputQueue;
    std::vector<std::thread> threads;

    std::atomic<bool> stopRequested{false};
    std::atomic<bool> paused{false};
    std::atomic<JobStatus::State> state{JobStatus::State::Created};
    mutable std::mutex mutex; // guards controlQueue, drainRequests, done
    std::condition_variable finishedCv;
    bool done = false;
    bool sourceDone = false;
    std::deque<ControlRequest> controlQueue;
    LiveResults live;
    // Output thread only: rows handed to the sink whose epoch is not committed yet, and the
    // savepoint being collected.
    std::map<uint64_t, std::vector<OutputRow>> uncommittedRows;
    std::unique_ptr<SnapshotWork> collecting;
    // Collected snapshots on their way to the snapshot writer thread; an empty one ends it.
    BlockingQueue<SnapshotWork> snapshotQueue{4};
    // Checkpoint coordination (ingest thread triggers, output thread completes): one checkpoint
    // at a time, and checkpoint.min_pause_ms between the end of one and the next.
    std::atomic<bool> checkpointInFlight{false};
    std::atomic<int64_t> lastCheckpointEndedNs{0}; // steady clock; 0: none yet
    int consecutiveCheckpointFailures = 0;         // output thread
    std::string failure;                           // guarded by mutex: why the job stopped, if it failed
    std::atomic<uint64_t> lastCheckpointEpoch{0}; // written by the snapshot writer
    std::deque<CheckpointRecord> checkpointHistory; // guarded by mutex, newest first
    std::vector<DrainRequest> drainRequests; // guarded by mutex
    std::atomic<uint64_t> currentEpoch{0};   // written by the ingest thread
    std::atomic<uint64_t> committedEpoch{0}; // written by the output thread
    std::atomic<bool> closeEpochNow{false};  // a drain asks the ingest thread for a barrier
    std::atomic<bool> snapshotRequested{false}; // the next barrier takes a savepoint
    std::deque<SavepointRequest> savepointRequests; // guarded by mutex, oldest first
    std::optional<Savepoint> restored;              // set by restoreFrom() before start()
    // Window state: opened by start(), each task takes its own.
    std::optional<StateWorkDir> stateWorkDir;
    std::vector<std::unique_ptr<TaskState>> taskStates;

    // Metrics
    Counter &recordsIn;
    Counter &eventsIn;
    Counter &rowsOut;
    Counter &windowsFired;
    Counter &deadLettersTotal;
    Counter &lateTotal;
    Counter &droppedTotal;
    Gauge &watermarkGauge;
    Gauge &skewGauge;
    Gauge &boundGauge;
    Counter &sinkErrors;
    Counter &checkpointsCompleted;
    Counter &checkpointsFailed;
    Counter &checkpointFallbacks;
    Histogram &checkpointDurationMs;
    Gauge &checkpointSizeBytes;
    Gauge &checkpointStateRecords;
    Gauge &checkpointLastEpoch;
    std::vector<Counter *> rejectedByReason;
    std::vector<Counter *> lateByWindow, droppedByWindow;
    std::vector<Counter *> partitionRecords;
    std::vector<Gauge *> partitionWatermark, partitionIdle;
    std::vector<Counter *> rowsByAggregation;
    std::vector<Gauge *> stateEntries;

    Impl(JobConfig cfg, std::unique_ptr<Source> src, std::unique_ptr<OutputSink> snk, MetricsRegistry &m, const Clock &c)
        : config(std::move(cfg)), source(std::move(src)), sink(std::move(snk)), metrics(m), clock(c),
          parallelism(config.runtime.parallelism),
          outputQueue(static_cast<size_t>(config.runtime.queueCapacity) * static_cast<size_t>(parallelism + 1)),
          recordsIn(m.counter("tally_source_records_total", {}, "Records polled from the source")),
          eventsIn(m.counter("tally_events_total", {}, "Records decoded into like events")),
          rowsOut(m.counter("tally_output_rows_total", {}, "Window result rows written")),
          windowsFired(m.counter("tally_windows_fired_total", {}, "Distinct windows that produced results")),
          deadLettersTotal(m.counter("tally_dead_letters_total", {}, "Records sent to the dead-letter output")),
          lateTotal(m.counter("tally_late_events_total", {}, "Events that re-fired a window (within allowed lateness)")),
          droppedTotal(m.counter("tally_dropped_events_total", {}, "Events later than the allowed lateness")),
          watermarkGauge(m.gauge("tally_watermark_ms", {}, "Job watermark (event time, ms since epoch)")),
          skewGauge(m.gauge("tally_watermark_skew_ms", {}, "Max minus min partition watermark")),
          boundGauge(m.gauge("tally_watermark_bound_ms", {}, "Current out-of-orderness bound")),
          sinkErrors(m.counter("tally_output_write_errors_total", {}, "Failed sink calls (retried by the output stage)")),
          checkpointsCompleted(m.counter("tally_checkpoints_total", {{"status", "completed"}}, "Checkpoints by outcome")),
          checkpointsFailed(m.counter("tally_checkpoints_total", {{"status", "failed"}}, "Checkpoints by outcome")),
          checkpointFallbacks(m.counter("tally_checkpoint_restore_fallbacks_total", {},
                                        "Damaged checkpoints skipped at restore for an older one")),
          checkpointDurationMs(m.histogram("tally_checkpoint_duration_ms", {}, "Barrier to checkpoint file on disk")),
          checkpointSizeBytes(m.gauge("tally_checkpoint_size_bytes", {}, "Size of the newest checkpoint")),
          checkpointStateRecords(m.gauge("tally_checkpoint_state_records", {}, "Keyed state records in the newest checkpoint")),
          checkpointLastEpoch(m.gauge("tally_checkpoint_last_epoch", {}, "Epoch of the newest completed checkpoint"))
    {
        for (size_t r = 0; r < kRejectReasonCount; ++r)
            rejectedByReason.push_back(&m.counter("tally_rejected_records_total",
                                                  {{"reason", std::string(rejectReasonName(static_cast<RejectReason>(r)))}},
                                                  "Records rejected by decoding, by reason"));
        for (const auto &w : aggregationWindows(config)) {
            const Labels l{{"aggregation", std::string(aggregationName(w.aggregation))},
                           {"window_ms", std::to_string(w.spec.sizeMs)}};
            lateByWindow.push_back(&m.counter("tally_window_late_events_total", l, "Late events per window"));
            droppedByWindow.push_back(&m.counter("tally_window_dropped_events_total", l, "Dropped late events per window"));
        }
        for (int p = 0; p < source->partitionCount(); ++p) {
            const Labels l{{"partition", std::to_string(p)}};
            partitionRecords.push_back(&m.counter("tally_partition_records_total", l, "Records polled per partition"));
            partitionWatermark.push_back(&m.gauge("tally_partition_watermark_ms", l, "Watermark per partition"));
            partitionIdle.push_back(&m.gauge("tally_partition_idle", l, "1 if the partition is idle"));
        }
        for (size_t a = 0; a < kAggregationCount; ++a)
            rowsByAggregation.push_back(&m.counter("tally_aggregation_rows_total",
                                                   {{"aggregation", std::string(aggregationName(static_cast<Aggregation>(a)))}},
                                                   "Result rows per aggregation"));
        const auto queueCapacity = static_cast<size_t>(config.runtime.queueCapacity);
        for (int i = 0; i < std::max(1, config.runtime.decodeThreads); ++i) {
            decodeQueues.push_back(std::make_unique<BlockingQueue<IngestInput>>(queueCapacity));
            decodedQueues.push_back(std::make_unique<BlockingQueue<IngestInput>>(queueCapacity));
        }
        for (int t = 0; t < parallelism; ++t) {
            taskQueues.push_back(std::make_unique<BlockingQueue<TaskBatch>>(static_cast<size_t>(config.runtime.queueCapacity)));
            stateEntries.push_back(&m.gauge("tally_state_entries", {{"task", std::to_string(t)}}, "Keyed state entries per task"));
        }
    }

    void handleControl()
    {
        std::deque<ControlRequest> requests;
        {
            std::lock_guard lock(mutex);
            requests.swap(controlQueue);
        }
        for (auto &r : requests) {
            switch (r.command) {
            case ControlCommand::PauseSource:
                paused = true;
                state = JobStatus::State::Paused;
                break;
            case ControlCommand::ResumeSource:
                paused = false;
                state = JobStatus::State::Running;
                break;
            case ControlCommand::CommitSourceOffsets:
                break;
            }
            r.done.set_value(r.command == ControlCommand::CommitSourceOffsets ? source->commitPositions() : Status::ok());
        }
    }

    void publishIngestMetrics(Ingest &ingest)
    {
        IngestCounts c = ingest.takeCounts();
        eventsIn.add(c.events);
        for (size_t i = 0; i < c.late.size(); ++i) {
            lateByWindow[i]->add(c.late[i]);
            droppedByWindow[i]->add(c.dropped[i]);
            lateTotal.add(c.late[i]);
            droppedTotal.add(c.dropped[i]);
        }
        const WatermarkTracker &wt = ingest.watermarks();
        watermarkGauge.set(static_cast<double>(ingest.watermark()));
        skewGauge.set(static_cast<double>(wt.skewMs()));
        boundGauge.set(static_cast<double>(wt.boundMs()));
        for (const auto &p : wt.partitions()) {
            partitionWatermark[static_cast<size_t>(p.partition)]->set(static_cast<double>(p.watermarkMs));
            partitionIdle[static_cast<size_t>(p.partition)]->set(p.idle ? 1 : 0);
        }
    }

    // The source thread polls; D decoder threads decode (the costliest per-record step) and the
    // ingest thread sequences. Batch k goes to decoder k mod D and the ingest thread takes batch k
    // from decoder k mod D, so batches reach it in poll order and results stay deterministic.
    void runSource()
    {
        OperatorTimes times(metrics, "source");
        const auto maxRecords = static_cast<size_t>(config.runtime.batchSize);
        const size_t decoders = decodeQueues.size();
        size_t next = 0; // decoder of the next batch
        auto lastIdleTick = SteadyTime::now();
        uint64_t ownership = 0;
        // A full queue blocks the source, but in slices: between them the source keeps its
        // session alive (a Kafka consumer pauses its partitions and keeps polling).
        auto send = [&](IngestInput in) {
            const auto t0 = SteadyTime::now();
            while (!decodeQueues[next]->pushFor(in, std::chrono::milliseconds(100)))
                source->keepAlive();
            next = (next + 1) % decoders;
            return nanosSince(t0);
        };
        for (;;) {
            handleControl();
            if (paused && !stopRequested) {
                source->keepAlive(); // a paused Kafka consumer keeps polling: no rebalance
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                times.idleNs->add(5'000'000);
                continue;
            }
            auto t0 = SteadyTime::now();
            IngestInput in;
            const Source::PollStatus ps = stopRequested ? Source::PollStatus::End : source->poll(in.batch, maxRecords);
            if (source->ownershipVersion() != ownership) {
                ownership = source->ownershipVersion();
                in.owned = source->ownedPartitions();
                lastIdleTick = {}; // make sure the change travels even without data
            }
            if (ps == Source::PollStatus::End)
                break;
            if (ps == Source::PollStatus::Idle) {
                times.busyNs->add(nanosSince(t0));
                t0 = SteadyTime::now();
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                times.idleNs->add(nanosSince(t0));
                // Without data the ingest thread still re-evaluates idleness now and then.
                if (SteadyTime::now() - lastIdleTick >= std::chrono::milliseconds(10)) {
                    lastIdleTick = SteadyTime::now();
                    times.backpressuredNs->add(send(std::move(in)));
                }
                continue;
            }
            recordsIn.add(in.batch.size());
            in.recordCount = in.batch.size();
            partitionRecords[static_cast<size_t>(in.batch.partition)]->add(in.batch.size());
            in.hasData = true;
            const uint64_t blocked = send(std::move(in));
            times.backpressuredNs->add(blocked);
            times.busyNs->add(nanosSince(t0) - std::min(blocked, nanosSince(t0)));
        }
        // The end marker goes to the decoder whose turn it is, then to the others so they stop.
        for (size_t i = 0; i < decoders; ++i)
            send(IngestInput{.endOfInput = true});
        std::lock_guard lock(mutex);
        for (auto &r : controlQueue)
            r.done.set_value(Status::aborted("the job has stopped"));
        controlQueue.clear();
        sourceDone = true;
    }

    void runDecoder(size_t index)
    {
        OperatorTimes times(metrics, "decode-" + std::to_string(index));
        RecordDecoder decoder(config.source.limits);
        for (;;) {
            auto t0 = SteadyTime::now();
            std::optional<IngestInput> in = decodeQueues[index]->pop(std::chrono::milliseconds(100));
            times.idleNs->add(nanosSince(t0));
            if (!in)
                continue;
            t0 = SteadyTime::now();
            uint64_t blocked = 0;
            if (!in->batch.records.empty()) {
                std::array<uint64_t, kRejectReasonCount> rejected{};
                OutputMessage side;
                decodeBatch(in->batch, decoder, side.deadLetters, rejected);
                for (size_t r = 0; r < kRejectReasonCount; ++r) {
                    rejectedByReason[r]->add(rejected[r]);
                    deadLettersTotal.add(rejected[r]);
                }
                if (!side.deadLetters.empty())
                    outputQueue.push(std::move(side), &blocked);
            }
            const bool end = in->endOfInput;
            decodedQueues[index]->push(std::move(*in), &blocked);
            times.backpressuredNs->add(blocked);
            times.busyNs->add(nanosSince(t0) - std::min(blocked, nanosSince(t0)));
            if (end)
                return;
        }
    }

    // A savepoint barrier: the ingest stage's part of the savepoint (its state and the source
    // positions before the batch at hand), then the tasks' parts follow on their queues.
    std::shared_ptr<Savepoint> savepointBarrier(uint64_t epoch, const Ingest &ingest, const std::vector<int64_t> &positions)
    {
        auto sp = std::make_shared<Savepoint>();
        sp->epoch = epoch;
        sp->takenAtMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
        sp->fingerprint = configFingerprint(config);
        sp->ingest = ingest.state();
        sp->sourcePositions = positions;
        return sp;
    }

    void runIngest()
    {
        OperatorTimes times(metrics, "ingest");
        Ingest ingest(config, source->partitionCount(), clock);
        std::vector<int64_t> positions(static_cast<size_t>(source->partitionCount()), 0); // next offset per partition
        if (restored) {
            ingest.restore(restored->ingest);
            positions = restored->sourcePositions;
        }
        std::vector<TaskBatch> perTask;
        size_t next = 0; // decoder holding the next batch in poll order
        const auto epochInterval = std::chrono::milliseconds(config.checkpoint.intervalMs);
        uint64_t epoch = currentEpoch;
        auto epochStarted = SteadyTime::now();
        bool stopping = false; // stop-with-savepoint: discard what still arrives until the end marker
        for (;;) {
            auto t0 = SteadyTime::now();
            std::optional<IngestInput> in = decodedQueues[next]->pop(std::chrono::milliseconds(20));
            times.idleNs->add(nanosSince(t0));
            if (stopping) {
                if (in) {
                    next = (next + 1) % decodedQueues.size();
                    if (in->endOfInput)
                        return;
                }
                continue;
            }
            // Epoch barrier: every task gets a batch of the new epoch at the same point of the
            // stream, with data or without (a paused or silent source still closes epochs).
            const bool savepoint = snapshotRequested.exchange(false);
            const bool intervalDue = SteadyTime::now() - epochStarted >= epochInterval;
            const bool checkpoint = config.checkpoint.enabled && (savepoint || (intervalDue && checkpointDue()));
            if (checkpoint)
                checkpointInFlight = true;
            const bool snapshot = savepoint || checkpoint;
            const bool epochDue = snapshot || intervalDue || closeEpochNow.exchange(false);
            if (epochDue) {
                currentEpoch = ++epoch;
                epochStarted = SteadyTime::now();
            }
            if (!in && !epochDue)
                continue;
            t0 = SteadyTime::now();
            uint64_t blocked = 0;
            bool stopNow = false;
            if (snapshot) {
                OutputMessage part;
                part.barrier = savepointBarrier(epoch, ingest, positions);
                part.epoch = epoch;
                part.forSavepoint = savepoint;
                part.forCheckpoint = checkpoint;
                if (savepoint) {
                    std::lock_guard lock(mutex);
                    stopNow = !savepointRequests.empty() && savepointRequests.front().stop;
                }
                outputQueue.push(std::move(part), &blocked);
            }
            OutputMessage side;
            bool send = false;
            const bool end = stopNow || (in && in->endOfInput);
            if (in) {
                next = (next + 1) % decodedQueues.size();
                if (in->owned)
                    ingest.setOwnedPartitions(*in->owned);
                if (in->hasData && !stopNow) {
                    ingest.add(in->batch.partition, in->batch.events, side.lateEvents);
                    positions[static_cast<size_t>(in->batch.partition)] =
                        in->batch.nextOffset >= 0 ? in->batch.nextOffset
                                                  : in->batch.firstOffset + static_cast<int64_t>(in->recordCount);
                    if (observer)
                        observer(in->batch.partition, in->batch.events, ingest.watermark());
                }
                if (!stopNow)
                    send = ingest.flush(perTask, end);
                publishIngestMetrics(ingest);
            }
            if (!send && (epochDue || stopNow)) {
                // A barrier without data; when stopping with a savepoint, the last batch leaves
                // the watermark where it is, so no open window fires.
                perTask.assign(static_cast<size_t>(parallelism), TaskBatch{});
                for (auto &t : perTask) {
                    t.watermarkBefore = t.watermarkAfter = ingest.watermark();
                    t.endOfInput = stopNow;
                }
                send = true;
            }
            if (!side.lateEvents.empty())
                outputQueue.push(std::move(side), &blocked);
            if (send) {
                const int64_t sentNs = steadyNowNs();
                for (int t = 0; t < parallelism; ++t) {
                    TaskBatch &b = perTask[static_cast<size_t>(t)];
                    b.epoch = epoch;
                    b.snapshot = snapshot;
                    b.barrierSentNs = sentNs;
                    taskQueues[static_cast<size_t>(t)]->push(std::move(b), &blocked);
                }
            }
            times.backpressuredNs->add(blocked);
            times.busyNs->add(nanosSince(t0) - std::min(blocked, nanosSince(t0)));
            if (stopNow) {
                stopRequested = true; // the source ends; what it still sends is discarded
                stopping = !(in && in->endOfInput);
                if (!stopping)
                    return;
                continue;
            }
            if (end)
                return;
        }
    }

    void runTask(int index)
    {
        OperatorTimes times(metrics, "window-" + std::to_string(index));
        TaskAggregations aggregations(config, std::move(taskStates[static_cast<size_t>(index)]));
        BlockingQueue<TaskBatch> &in = *taskQueues[static_cast<size_t>(index)];
        if (restored) {
            // This task's key groups of the savepoint, at this job's parallelism; the output
            // stage rebuilds the trending merge from the local top-K lists.
            OutputMessage out;
            out.task = index;
            out.epoch = currentEpoch;
            aggregations.restore(restored->state, index, parallelism, out.topK);
            out.watermark = restored->state.watermark;
            outputQueue.push(std::move(out));
        }
        for (;;) {
            auto t0 = SteadyTime::now();
            std::optional<TaskBatch> batch = in.pop(std::chrono::milliseconds(100));
            times.idleNs->add(nanosSince(t0));
            if (!batch)
                continue;
            t0 = SteadyTime::now();
            if (batch->snapshot) { // the state as it was before this batch: the barrier's cut
                OutputMessage part;
                part.task = index;
                part.epoch = batch->epoch;
                part.watermark = batch->watermarkBefore;
                const int64_t reachedNs = steadyNowNs();
                part.alignmentUs = (reachedNs - batch->barrierSentNs) / 1000;
                part.takeState = aggregations.snapshot();
                part.syncUs = (steadyNowNs() - reachedNs) / 1000;
                outputQueue.push(std::move(part));
            }
            OutputMessage out;
            out.task = index;
            for (size_t f = 0; f < kKeyFamilyCount; ++f) {
                const auto family = static_cast<KeyFamily>(f);
                const std::vector<PaneDelta> &records = batch->records[f];
                constexpr size_t kPrefetchDistance = 8;
                for (size_t i = 0; i < records.size(); ++i) {
                    if (i + kPrefetchDistance < records.size())
                        aggregations.prefetch(family, records[i + kPrefetchDistance]);
                    aggregations.apply(family, records[i], batch->watermarkBefore);
                }
            }
            aggregations.finishBatch(batch->watermarkAfter, out.rows, out.topK);
            stateEntries[static_cast<size_t>(index)]->set(static_cast<double>(aggregations.stateEntries()));
            out.watermark = batch->watermarkAfter;
            out.epoch = batch->epoch;
            out.endOfInput = batch->endOfInput;
            uint64_t blocked = 0;
            outputQueue.push(std::move(out), &blocked);
            times.backpressuredNs->add(blocked);
            times.busyNs->add(nanosSince(t0) - std::min(blocked, nanosSince(t0)));
            if (batch->endOfInput)
                return;
        }
    }

    // Writes with retries: a sink error must never lose results or stop the job.
    template <typename Write>
    void writeWithRetry(Write &&write)
    {
        if (!sink)
            return;
        for (int attempt = 0;; ++attempt) {
            Status s = write();
            if (s.isOk())
                return;
            sinkErrors.add();
            if (attempt == 0 || attempt % 10 == 0)
                fprintf(stderr, "tally: sink write failed (attempt %d), retrying: %s\n", attempt + 1, s.toString().c_str());
            std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1000, 10 << std::min(attempt, 6))));
        }
    }

    // Samples every metric into the fixed-memory time series once a second, until the job ends.
    void runSampler()
    {
        auto sample = [&] {
            const auto now = std::chrono::system_clock::now().time_since_epoch();
            timeSeries.append(metrics.snapshot(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()));
        };
        std::unique_lock lock(mutex);
        while (!done) {
            lock.unlock();
            sample();
            lock.lock();
            finishedCv.wait_for(lock, std::chrono::seconds(1), [&] { return done; });
        }
        lock.unlock();
        sample();
    }

    // Hands the sink every epoch all tasks have passed; answers drains whose epoch is committed.
    void commitEpochs(uint64_t passed, bool final = false)
    {
        // With checkpoints, an epoch commits once a checkpoint after it is on disk: a crash can
        // then only replay epochs the sink has not committed.
        if (config.checkpoint.enabled && !final)
            passed = std::min(passed, lastCheckpointEpoch > 0 ? lastCheckpointEpoch - 1 : committedEpoch.load());
        if (passed > committedEpoch) {
            committedEpoch = passed;
            writeWithRetry([&] { return sink->commitEpoch(passed); });
        }
        // An exactly-once sink commits asynchronously: rows stay here, and so in every later
        // checkpoint, until their commit is stored. A crash in between restores them from the
        // newest checkpoint instead of losing them.
        const uint64_t stored = config.output.delivery == Delivery::ExactlyOnce
                                    ? std::min<uint64_t>(sink->committedEpoch(), committedEpoch)
                                    : committedEpoch.load();
        uncommittedRows.erase(uncommittedRows.begin(), uncommittedRows.upper_bound(stored));
        std::lock_guard lock(mutex);
        for (auto it = drainRequests.begin(); it != drainRequests.end();) {
            if (!it->sinkDrained && it->afterEpoch <= committedEpoch)
                it->sinkDrained = sink->drain();
            if (it->sinkDrained && it->sinkDrained->wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
                it->done.set_value(it->sinkDrained->get());
                it = drainRequests.erase(it);
            } else {
                ++it;
            }
        }
    }

    // Output thread: adds a task's part to the savepoint being collected; once every task's part
    // is in, hands it to the snapshot writer, so building and writing the file hold up neither the
    // tasks nor the output stage.
    void collectSavepoint(OutputMessage &msg)
    {
        if (msg.barrier) {
            collecting = std::make_unique<SnapshotWork>();
            collecting->savepoint = std::move(msg.barrier);
            collecting->forSavepoint = msg.forSavepoint;
            collecting->forCheckpoint = msg.forCheckpoint;
            return;
        }
        if (!msg.takeState || !collecting || msg.epoch != collecting->savepoint->epoch)
            return;
        collecting->parts.push_back(std::move(msg.takeState));
        collecting->alignmentUs = std::max(collecting->alignmentUs, msg.alignmentUs);
        collecting->syncUs = std::max(collecting->syncUs, msg.syncUs);
        if (collecting->parts.size() < static_cast<size_t>(parallelism))
            return;
        // Rows of earlier epochs the sink has not committed: a restore commits them.
        Savepoint &sp = *collecting->savepoint;
        for (auto it = uncommittedRows.begin(); it != uncommittedRows.end() && it->first < sp.epoch; ++it)
            sp.pendingRows.insert(sp.pendingRows.end(), it->second.begin(), it->second.end());
        snapshotQueue.push(std::move(*collecting));
        collecting.reset();
    }

    // Snapshot writer thread: builds each collected snapshot from the tasks' parts and writes it
    // as a checkpoint and/or savepoint. Ends at the output stage's end marker.
    void runSnapshotWriter()
    {
        for (;;) {
            std::optional<SnapshotWork> work = snapshotQueue.pop(std::chrono::milliseconds(100));
            if (!work)
                continue;
            if (!work->savepoint)
                break; // the output stage ended
            const int64_t t0 = steadyNowNs();
            Savepoint &sp = *work->savepoint;
            for (auto &part : work->parts) {
                KeyedStateSnapshot taken;
                part(taken);
                sp.state.merge(std::move(taken));
            }
            work->parts.clear(); // lets go of the tasks' copies and database snapshots
            sp.state.canonicalize();
            work->buildUs = (steadyNowNs() - t0) / 1000;
            if (work->forCheckpoint)
                writeCheckpoint(*work);
            if (!work->forSavepoint)
                continue;
            Result<std::string> written = writeSavepointFile(config.checkpoint.savepointDir, "savepoint", sp);
            if (written)
                fprintf(stderr, "tally: savepoint %s (epoch %llu, %zu state records)\n", written->c_str(),
                        static_cast<unsigned long long>(sp.epoch), sp.state.recordCount());
            std::lock_guard lock(mutex);
            if (!savepointRequests.empty()) {
                savepointRequests.front().done.set_value(std::move(written));
                savepointRequests.pop_front();
            }
        }
        std::lock_guard lock(mutex);
        for (auto &r : savepointRequests)
            r.done.set_value(Status::aborted("the job ended before the savepoint's barrier went through"));
        savepointRequests.clear();
    }

    // Ingest thread: may a periodic checkpoint start now? Not while one is in flight, and not
    // before checkpoint.min_pause_ms after the last one ended (so a slow checkpoint cannot make
    // the job do nothing but checkpoint).
    bool checkpointDue() const
    {
        if (checkpointInFlight)
            return false;
        const int64_t ended = lastCheckpointEndedNs;
        return ended == 0 || steadyNowNs() - ended >= config.checkpoint.minPauseMs * 1'000'000;
    }

    void writeCheckpoint(const SnapshotWork &work)
    {
        const Savepoint &checkpoint = *work.savepoint;
        const auto wallMs = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
        };
        const int64_t asyncStartedNs = steadyNowNs();
        Result<std::string> written = Status::aborted("");
        if (const int64_t elapsed = wallMs() - checkpoint.takenAtMs; elapsed > config.checkpoint.timeoutMs)
            written = Status::aborted("expired: " + std::to_string(elapsed) + " ms after its barrier (checkpoint.timeout_ms " +
                                      std::to_string(config.checkpoint.timeoutMs) + ")");
        else
            written = writeSavepointFile(config.checkpoint.dir, "checkpoint", checkpoint);
        const int64_t now = wallMs();
        CheckpointRecord record;
        record.epoch = checkpoint.epoch;
        record.triggeredAtMs = checkpoint.takenAtMs;
        record.durationMs = std::max<int64_t>(0, now - checkpoint.takenAtMs);
        record.alignmentMs = work.alignmentUs / 1000.0;
        record.syncMs = work.syncUs / 1000.0;
        record.asyncMs = (work.buildUs + (steadyNowNs() - asyncStartedNs) / 1000) / 1000.0;
        record.stateRecords = checkpoint.state.recordCount();
        record.completed = written.isOk();
        record.failure = written ? std::string() : written.status().message();
        if (written) {
            std::error_code sizeError;
            record.sizeBytes = static_cast<uint64_t>(std::filesystem::file_size(*written, sizeError));
        }
        {
            std::lock_guard lock(mutex);
            checkpointHistory.push_front(record);
            if (checkpointHistory.size() > 50)
                checkpointHistory.pop_back();
        }
        lastCheckpointEndedNs = steadyNowNs();
        checkpointInFlight = false;
        if (!written) {
            checkpointsFailed.add();
            fprintf(stderr, "tally: checkpoint %llu failed: %s\n", static_cast<unsigned long long>(checkpoint.epoch),
                    record.failure.c_str());
            if (++consecutiveCheckpointFailures > config.checkpoint.tolerableFailures) {
                // As Flink does: a job that cannot checkpoint would lose more on its next crash
                // with every epoch, so it stops rather than run on unprotected.
                std::string why = std::to_string(consecutiveCheckpointFailures) +
                                  " checkpoints failed in a row (checkpoint.tolerable_failures " +
                                  std::to_string(config.checkpoint.tolerableFailures) + "), the last: " + record.failure;
                fprintf(stderr, "tally: stopping the job: %s\n", why.c_str());
                {
                    std::lock_guard lock(mutex);
                    failure = std::move(why);
                }
                stopRequested = true;
            }
            return;
        }
        consecutiveCheckpointFailures = 0;
        checkpointsCompleted.add();
        checkpointDurationMs.record(static_cast<uint64_t>(record.durationMs));
        checkpointStateRecords.set(static_cast<double>(checkpoint.state.recordCount()));
        checkpointSizeBytes.set(static_cast<double>(record.sizeBytes));
        checkpointLastEpoch.set(static_cast<double>(checkpoint.epoch));
        lastCheckpointEpoch = checkpoint.epoch;
        pruneCheckpoints(config.checkpoint.dir, static_cast<size_t>(config.checkpoint.retained));
    }

    void runOutput()
    {
        OperatorTimes times(metrics, "output");
        if (restored && sink && sink->committedEpoch() + 1 < restored->epoch) {
            // Rows the savepoint's job had produced but its sink had not committed.
            writeWithRetry([&] { return sink->writeRows(restored->pendingRows); });
            writeWithRetry([&] { return sink->commitEpoch(restored->epoch - 1); });
            for (const OutputRow &r : restored->pendingRows) // kept until that commit is stored
                uncommittedRows[r.epoch].push_back(r);
        }
        TrendingMerger merger(parallelism, static_cast<size_t>(config.trendingHourly.topK), config.runtime.allowedLatenessMs);
        std::vector<int64_t> taskWatermarks(static_cast<size_t>(parallelism), kMinWatermark);
        std::vector<uint64_t> taskEpochs(static_cast<size_t>(parallelism), committedEpoch.load());
        absl::flat_hash_set<std::tuple<Aggregation, int64_t, int64_t>> firedWindows;
        int64_t prunedAt = kMinWatermark;
        int ended = 0;
        // Barrier alignment: the trending merge combines the tasks, so a task's messages of
        // epoch e wait until every task has reached e, as a multi-input operator aligns barriers.
        // No row of an epoch then carries a later epoch's data, and a restore rebuilds exactly
        // the merge that the committed rows show.
        std::vector<std::deque<OutputMessage>> waiting(static_cast<size_t>(parallelism));
        std::vector<uint64_t> reached(static_cast<size_t>(parallelism), 0); // newest epoch per task
        auto nextAligned = [&]() -> std::optional<OutputMessage> {
            const uint64_t all = *std::min_element(reached.begin(), reached.end());
            std::deque<OutputMessage> *oldest = nullptr;
            for (auto &q : waiting)
                if (!q.empty() && q.front().epoch <= all && (!oldest || q.front().epoch < oldest->front().epoch))
                    oldest = &q;
            if (!oldest)
                return std::nullopt;
            OutputMessage m = std::move(oldest->front());
            oldest->pop_front();
            return m;
        };
        while (ended < parallelism) {
            auto t0 = SteadyTime::now();
            std::optional<OutputMessage> msg = nextAligned();
            if (!msg) {
                msg = outputQueue.pop(std::chrono::milliseconds(100));
                times.idleNs->add(nanosSince(t0));
                if (!msg) {
                    if (sink)
                        commitEpochs(committedEpoch);
                    continue;
                }
                if (msg->task >= 0) {
                    uint64_t &r = reached[static_cast<size_t>(msg->task)];
                    r = msg->endOfInput ? UINT64_MAX : std::max(r, msg->epoch);
                    waiting[static_cast<size_t>(msg->task)].push_back(std::move(*msg));
                    continue;
                }
            }
            t0 = SteadyTime::now();
            uint64_t blocked = 0; // time the sink held the output stage back
            auto timed = [&](auto &&write) {
                const auto w0 = SteadyTime::now();
                writeWithRetry(write);
                blocked += nanosSince(w0);
            };
            if (!msg->deadLetters.empty())
                timed([&] { return sink->writeDeadLetters(msg->deadLetters); });
            if (!msg->lateEvents.empty())
                timed([&] { return sink->writeLateEvents(msg->lateEvents); });
            collectSavepoint(*msg);
            if (msg->task >= 0) {
                std::vector<OutputRow> &rows = msg->rows;
                for (const TopKUpdate &u : msg->topK)
                    merger.update(msg->task, u, rows);
                taskWatermarks[static_cast<size_t>(msg->task)] = msg->watermark;
                const int64_t minWatermark = *std::min_element(taskWatermarks.begin(), taskWatermarks.end());
                merger.expire(minWatermark);
                std::tuple<Aggregation, int64_t, int64_t> previous{Aggregation::kCount, 0, 0};
                for (OutputRow &r : rows) {
                    r.epoch = msg->epoch;
                    rowsByAggregation[static_cast<size_t>(r.aggregation)]->add();
                    const std::tuple window{r.aggregation, r.windowStartMs, r.windowEndMs};
                    if (window != previous && firedWindows.insert(window).second) // rows come grouped by window
                        windowsFired.add();
                    previous = window;
                }
                // Forget windows past their allowed lateness (they produce no more rows), when
                // the watermark moved, to keep the set small.
                if (minWatermark != prunedAt) {
                    prunedAt = minWatermark;
                    absl::erase_if(firedWindows, [&](const auto &w) {
                        return std::get<2>(w) - 1 + config.runtime.allowedLatenessMs <= minWatermark;
                    });
                }
                rowsOut.add(rows.size());
                live.note(rows);
                if (!rows.empty()) {
                    timed([&] { return sink->writeRows(rows); });
                    std::vector<OutputRow> &kept = uncommittedRows[msg->epoch];
                    kept.insert(kept.end(), rows.begin(), rows.end());
                }
                taskEpochs[static_cast<size_t>(msg->task)] = msg->epoch;
                if (msg->endOfInput)
                    ++ended;
                // Epoch e is complete once every task sent a message of a later epoch (or ended).
                const uint64_t oldest = *std::min_element(taskEpochs.begin(), taskEpochs.end());
                const uint64_t passed = ended == parallelism || oldest == 0 ? oldest : oldest - 1;
                if (sink)
                    commitEpochs(passed, ended == parallelism);
            }
            times.backpressuredNs->add(blocked);
            times.busyNs->add(nanosSince(t0) - std::min(blocked, nanosSince(t0)));
        }
        writeWithRetry([&] { return sink->flush(); });
        snapshotQueue.push(SnapshotWork{}); // the writer finishes what it has, then ends
        std::lock_guard lock(mutex);
        for (auto &r : drainRequests) // the job ended: everything is written
            r.done.set_value(Status::ok());
        drainRequests.clear();
    }
};

Job::Job(JobConfig config, std::unique_ptr<Source> source, std::unique_ptr<OutputSink> sink, MetricsRegistry &metrics,
         const Clock &clock)
    : d(std::make_unique<Impl>(std::move(config), std::move(source), std::move(sink), metrics, clock))
{
}

Job::~Job()
{
    if (!d->threads.empty()) {
        requestStop();
        for (auto &t : d->threads)
            if (t.joinable())
                t.join();
    }
}

void Job::setArrivalObserver(ArrivalObserver observer) { d->observer = std::move(observer); }

Status Job::start()
{
    if (Status s = d->config.validate(); !s.isOk())
        return s;
    if (d->state != JobStatus::State::Created)
        return Status::invalidArgument("job already started");
    // With checkpoints and no explicit savepoint, continue from the newest good checkpoint.
    if (d->config.checkpoint.enabled && !d->restored) {
        std::vector<std::string> skipped;
        const std::optional<std::string> latest = latestCheckpoint(d->config.checkpoint.dir, skipped);
        for (const std::string &why : skipped) {
            d->checkpointFallbacks.add();
            fprintf(stderr, "tally: %s; falling back to an older checkpoint\n", why.c_str());
        }
        if (latest) {
            if (Status s = restoreFrom(*latest); !s.isOk())
                return s;
            fprintf(stderr, "tally: restored from checkpoint %s\n", latest->c_str());
        }
    }
    if (d->config.state.backend == StateConfig::Backend::RocksDb)
        d->stateWorkDir.emplace(d->config.state);
    for (int t = 0; t < d->parallelism; ++t) {
        Result<std::unique_ptr<TaskState>> state =
            openTaskState(d->config.state, d->stateWorkDir ? d->stateWorkDir->path() : std::string(), t, d->parallelism);
        if (!state)
            return state.status();
        d->taskStates.push_back(std::move(state).value());
    }
    d->state = JobStatus::State::Running;
    // Epochs continue after the newest one the sink has committed (and after a savepoint's).
    const uint64_t sinkEpoch = d->sink ? d->sink->committedEpoch() : 0;
    d->committedEpoch = d->restored ? std::max(sinkEpoch, d->restored->epoch - 1) : sinkEpoch;
    d->currentEpoch = d->committedEpoch + 1;
    d->threads.emplace_back([this] { d->runOutput(); });
    d->threads.emplace_back([this] { d->runSnapshotWriter(); });
    for (int t = 0; t < d->parallelism; ++t)
        d->threads.emplace_back([this, t] { d->runTask(t); });
    d->threads.emplace_back([this] { d->runIngest(); });
    for (size_t i = 0; i < d->decodeQueues.size(); ++i)
        d->threads.emplace_back([this, i] { d->runDecoder(i); });
    d->threads.emplace_back([this] { d->runSource(); });
    // A watcher marks the job finished once every stage has returned.
    std::thread watcher([this, workers = std::move(d->threads)]() mutable {
        for (auto &t : workers)
            t.join();
        std::lock_guard lock(d->mutex);
        d->done = true;
        d->state = JobStatus::State::Finished;
        d->finishedCv.notify_all();
    });
    d->threads.clear();
    d->threads.push_back(std::move(watcher));
    d->threads.emplace_back([this] { d->runSampler(); });
    return Status::ok();
}

void Job::requestStop() { d->stopRequested = true; }

Status Job::waitFinished()
{
    if (d->state == JobStatus::State::Created)
        return Status::ok(); // never started: nothing to wait for
    {
        std::unique_lock lock(d->mutex);
        d->finishedCv.wait(lock, [&] { return d->done; });
    }
    for (auto &t : d->threads)
        if (t.joinable())
            t.join();
    std::lock_guard lock(d->mutex);
    return d->failure.empty() ? Status::ok() : Status::aborted(d->failure);
}

bool Job::finished() const
{
    std::lock_guard lock(d->mutex);
    return d->done;
}

Status Job::restoreFrom(const std::string &path)
{
    if (d->state != JobStatus::State::Created)
        return Status::invalidArgument("restore before start()");
    auto savepoint = readSavepointFile(path);
    if (!savepoint)
        return savepoint.status();
    const std::string difference = fingerprintDifference(savepoint->fingerprint, configFingerprint(d->config));
    if (!difference.empty())
        return Status::invalidArgument("savepoint " + path + " does not fit this job: " + difference);
    if (Status s = d->source->seek(savepoint->sourcePositions); !s.isOk())
        return s;
    d->restored = std::move(savepoint).value();
    return Status::ok();
}

std::future<Result<std::string>> Job::savepoint(bool stop)
{
    std::lock_guard lock(d->mutex);
    std::promise<Result<std::string>> p;
    if (d->sourceDone || d->state == JobStatus::State::Created) {
        p.set_value(Status::aborted(d->sourceDone ? "the job has stopped" : "the job has not started"));
        return p.get_future();
    }
    auto f = p.get_future();
    d->savepointRequests.push_back({stop, std::move(p)});
    d->snapshotRequested = true;
    return f;
}

std::future<Status> Job::submit(ControlCommand command)
{
    auto answer = [](Status s) {
        std::promise<Status> p;
        p.set_value(std::move(s));
        return p.get_future();
    };
    std::lock_guard lock(d->mutex);
    if (d->sourceDone)
        return answer(Status::aborted("the job has stopped"));
    switch (command) {
    case ControlCommand::PauseSource:
    case ControlCommand::ResumeSource:
    case ControlCommand::CommitSourceOffsets:
        d->controlQueue.push_back({command, {}});
        return d->controlQueue.back().done.get_future();
    case ControlCommand::DrainSink: {
        if (!d->sink)
            return answer(Status::unimplemented("the job has no sink"));
        d->drainRequests.push_back({d->currentEpoch.load(), {}, std::nullopt});
        d->closeEpochNow = true;
        return d->drainRequests.back().done.get_future();
    }
    case ControlCommand::ResumeSink:
        return answer(d->sink ? d->sink->resumeWrites() : Status::unimplemented("the job has no sink"));
    case ControlCommand::DivertSink:
    case ControlCommand::UndivertSink:
        return answer(d->sink ? d->sink->setDivert(command == ControlCommand::DivertSink)
                              : Status::unimplemented("the job has no sink"));
    }
    return answer(Status::invalidArgument("unknown command"));
}

JobStatus Job::status() const
{
    JobStatus s;
    s.state = d->state;
    s.recordsIn = d->recordsIn.value();
    s.eventsIn = d->eventsIn.value();
    s.deadLetters = d->deadLettersTotal.value();
    s.lateEvents = d->lateTotal.value();
    s.droppedEvents = d->droppedTotal.value();
    s.rowsOut = d->rowsOut.value();
    s.windowsFired = d->windowsFired.value();
    s.watermarkMs = static_cast<int64_t>(d->watermarkGauge.value());
    s.watermarkSkewMs = static_cast<int64_t>(d->skewGauge.value());
    s.epoch = d->currentEpoch;
    s.committedEpoch = d->committedEpoch;
    s.checkpointsEnabled = d->config.checkpoint.enabled;
    {
        std::lock_guard lock(d->mutex);
        s.checkpoints.assign(d->checkpointHistory.begin(), d->checkpointHistory.end());
        s.failure = d->failure;
    }
    return s;
}

const JobConfig &Job::config() const { return d->config; }

const TimeSeriesStore &Job::timeSeries() const { return d->timeSeries; }

LiveResults &Job::liveResults() { return d->live; }

const LiveResults &Job::liveResults() const { return d->live; }

} // namespace tally
