#include "runtime/job.h"

#include "metrics/time_series.h"
#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "runtime/config_fingerprint.h"
#include "runtime/stages/decode_stage.h"
#include "runtime/stages/ingest_stage.h"
#include "runtime/stages/output_stage.h"
#include "runtime/stages/source_stage.h"
#include "runtime/stages/stage_context.h"
#include "runtime/stages/window_task.h"

#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

namespace tally {

std::string_view jobStateName(JobStatus::State s)
{
    static constexpr std::string_view kNames[] = {"created", "running", "paused", "finished"};
    return kNames[static_cast<size_t>(s)];
}

std::string_view operatorKindName(OperatorKind kind)
{
    static constexpr std::string_view kNames[] = {"source", "decode", "ingest", "window", "output"};
    return kNames[static_cast<size_t>(kind)];
}

struct Job::Impl {
    StageContext context;
    TimeSeriesStore timeSeries;
    std::optional<StateWorkDir> stateWorkDir; // RocksDB working copies, removed with the job
    SourceStage sourceStage{context};
    std::vector<std::unique_ptr<DecodeStage>> decoders;
    IngestStage ingestStage{context};
    std::vector<std::unique_ptr<WindowTask>> tasks;
    OutputStage outputStage{context};

    std::vector<std::thread> threads; // the watcher and the sampler once started
    mutable std::mutex mutex;         // guards done
    std::condition_variable finishedCv;
    bool done = false;

    Impl(JobConfig config, std::unique_ptr<Source> source, std::unique_ptr<OutputSink> sink, MetricsRegistry &m,
         const Clock &clock)
        : context(std::move(config), std::move(source), std::move(sink), m, clock)
    {
        for (size_t i = 0; i < context.decodeQueues.size(); ++i)
            decoders.push_back(std::make_unique<DecodeStage>(context, i));
        for (int t = 0; t < context.parallelism; ++t)
            tasks.push_back(std::make_unique<WindowTask>(context, t));
    }

    // A stop drains for at most runtime.stop_timeout_ms of the job's clock; then the sink is
    // abandoned (what it has not written is diverted or counted as lost, and the job fails saying
    // how much), so a dead database never keeps a stopping process alive.
    void enforceStopTimeout(std::optional<int64_t> &stopSeenAtMs, int64_t nowMs)
    {
        if (!context.stopRequested || context.sinkAbandoned || !context.sink)
            return;
        if (!stopSeenAtMs)
            stopSeenAtMs = nowMs;
        if (nowMs - *stopSeenAtMs < context.config.runtime.stopTimeoutMs)
            return;
        fprintf(stderr, "tally: still draining after %lld ms (runtime.stop_timeout_ms): giving up on what the sink has "
                        "not written\n", static_cast<long long>(nowMs - *stopSeenAtMs));
        context.sinkAbandoned = true;
        context.sink->abandon();
    }

    // Samples every metric into the fixed-memory time series once a second of the job's clock,
    // until the job ends; and watches a stop's deadline.
    void runSampler()
    {
        const auto wallMs = [] {
            using namespace std::chrono;
            return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
        };
        std::optional<int64_t> sampledAt;
        std::optional<int64_t> stopSeenAt;
        std::unique_lock lock(mutex);
        while (!done) {
            const int64_t now = context.clock.nowMs();
            enforceStopTimeout(stopSeenAt, now);
            if (!sampledAt || now - *sampledAt >= 1000) {
                sampledAt = now;
                lock.unlock();
                timeSeries.append(context.registry.snapshot(wallMs()));
                lock.lock();
            }
            finishedCv.wait_for(lock, std::chrono::milliseconds(50), [&] { return done; });
        }
        lock.unlock();
        timeSeries.append(context.registry.snapshot(wallMs()));
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

void Job::setArrivalObserver(ArrivalObserver observer) { d->context.observer = std::move(observer); }

Status Job::start()
{
    StageContext &c = d->context;
    if (Status s = c.config.validate(); !s.isOk())
        return s;
    if (c.state != JobState::Created)
        return Status::invalidArgument("job already started");
    // With checkpoints and no explicit savepoint, continue from the newest good checkpoint.
    std::optional<CheckpointChain> restoredChain;
    if (c.config.checkpoint.enabled && !c.restored) {
        const int64_t startedNs = steadyNowNs();
        Result<std::optional<CheckpointFile>> found = c.coordinator.latestCheckpoint();
        if (!found)
            return found.status();
        if (std::optional<CheckpointFile> &latest = *found) {
            if (Status s = adopt(latest->path, "checkpoint " + latest->path, std::move(latest->savepoint)); !s.isOk())
                return s;
            restoredChain = std::move(latest->chain);
            c.restoreStartedNs = startedNs;
        }
    }
    if (c.restored)
        c.tasksRestoring = c.parallelism;
    if (c.config.state.backend == StateConfig::Backend::RocksDb)
        d->stateWorkDir.emplace(c.config.state);
    const std::string workDir = d->stateWorkDir ? d->stateWorkDir->path() : std::string();
    for (int t = 0; t < c.parallelism; ++t) {
        Result<std::unique_ptr<TaskState>> state =
            c.restored && c.restored->files
                ? openTaskStateFromFiles(c.config.state, workDir, c.restored->files->tasks[static_cast<size_t>(t)])
                : openTaskState(c.config.state, workDir, t);
        if (!state)
            return state.status();
        c.taskStates.push_back(std::move(state).value());
    }
    const TaskState &front = *c.taskStates.front();
    if (c.config.checkpoint.enabled && c.config.checkpoint.incremental)
        c.taskCheckpoints = front.canExportFiles()     ? TaskCheckpoints::Files
                            : front.canTrackChanges() ? TaskCheckpoints::Changes
                                                      : TaskCheckpoints::Whole;
    c.coordinator.setTaskCheckpoints(c.taskCheckpoints);
    // The next checkpoints go on from the restored one's chain; changes cannot go on from files.
    if (restoredChain)
        c.coordinator.restored(c.taskCheckpoints == TaskCheckpoints::Changes && restoredChain->back().file.ends_with(".tsf")
                                   ? std::nullopt
                                   : std::move(restoredChain));
    c.state = JobState::Running;
    // Epochs continue after the restored checkpoint's, after every checkpoint on disk (a restore
    // of an older savepoint must not number its checkpoints below the ones retention keeps), and
    // after the newest one the sink has committed (a sink that cannot tell yet shifts them once
    // it can).
    uint64_t continueAfter = c.restored ? c.restored->epoch - 1 : 0;
    if (c.config.checkpoint.enabled)
        if (const uint64_t onDisk = newestCheckpointEpoch(c.config.checkpoint.dir); onDisk > 0)
            continueAfter = std::max(continueAfter, onDisk - 1);
    c.committedEpoch = c.sink ? c.sink->continueEpochs(continueAfter) : continueAfter;
    c.currentEpoch = c.committedEpoch + 1;
    c.coordinator.start();
    std::vector<std::thread> stages;
    stages.emplace_back([this] {
        d->outputStage.run();
        d->context.coordinator.finish(); // after the output stage: nothing acknowledges any more
    });
    for (auto &task : d->tasks)
        stages.emplace_back([&task] { task->run(); });
    stages.emplace_back([this] { d->ingestStage.run(); });
    for (auto &decoder : d->decoders)
        stages.emplace_back([&decoder] { decoder->run(); });
    stages.emplace_back([this] { d->sourceStage.run(); });
    // A watcher marks the job finished once every stage has returned.
    d->threads.emplace_back([this, stages = std::move(stages)]() mutable {
        for (auto &t : stages)
            t.join();
        std::lock_guard lock(d->mutex);
        d->done = true;
        d->context.state = JobState::Finished;
        d->finishedCv.notify_all();
    });
    d->threads.emplace_back([this] { d->runSampler(); });
    return Status::ok();
}

void Job::requestStop() { d->context.stopRequested = true; }

Status Job::waitFinished()
{
    if (d->context.state == JobState::Created)
        return Status::ok(); // never started: nothing to wait for
    {
        std::unique_lock lock(d->mutex);
        d->finishedCv.wait(lock, [&] { return d->done; });
    }
    for (auto &t : d->threads)
        if (t.joinable())
            t.join();
    const std::string failure = d->context.failure();
    return failure.empty() ? Status::ok() : Status::aborted(failure);
}

void Job::releaseConnections()
{
    std::lock_guard lock(d->mutex); // submit(SinkCommand) reads the sink under it
    if (!d->done)
        return;
    d->context.source.reset();
    d->context.sink.reset();
}

bool Job::finished() const
{
    std::lock_guard lock(d->mutex);
    return d->done;
}

Status Job::restoreFrom(const std::string &path)
{
    StageContext &c = d->context;
    if (c.state != JobState::Created)
        return Status::invalidArgument("restore before start()");
    const int64_t startedNs = steadyNowNs();
    // The read comes before the consoles can show anything (at start) or the new job exists (a
    // restore in the console): the log says what is being read and how much of it.
    std::error_code sizeError;
    const uintmax_t bytes = std::filesystem::file_size(path, sizeError);
    if (!sizeError)
        std::fprintf(stderr, "tally: reading %s (%.1f MiB)...\n", path.c_str(), static_cast<double>(bytes) / (1024.0 * 1024.0));
    Result<Savepoint> savepoint = readRestorePoint(path);
    if (!savepoint)
        return savepoint.status();
    if (Status s = adopt(path, path, std::move(savepoint).value()); !s.isOk())
        return s;
    c.restoreStartedNs = startedNs;
    c.coordinator.restored(std::nullopt); // not a chain this job's checkpoints go on from
    return Status::ok();
}

Status Job::adopt(const std::string &path, const std::string &named, Savepoint savepoint)
{
    StageContext &c = d->context;
    const std::string difference = fingerprintDifference(savepoint.fingerprint, configFingerprint(c.config));
    if (!difference.empty())
        return Status::invalidArgument("savepoint " + path + " does not fit this job: " + difference);
    // A checkpoint's database files open as they are only in RocksDB at their parallelism; else
    // they are read into records here (in a scratch folder of state.dir, removed after).
    if (savepoint.files && (c.config.state.backend != StateConfig::Backend::RocksDb ||
                            savepoint.files->parallelism != c.parallelism)) {
        StateWorkDir scratch(c.config.state);
        if (Status s = readStateFiles(savepoint, scratch.path()); !s.isOk())
            return Status::corruption("checkpoint " + path + ": " + s.message());
    }
    if (Status s = c.source->seek(savepoint.sourcePositions); !s.isOk())
        return s;
    fprintf(stderr, "tally: restoring from %s (epoch %llu)...\n", named.c_str(), static_cast<unsigned long long>(savepoint.epoch));
    c.restored = std::move(savepoint);
    c.restoredFrom = named;
    return Status::ok();
}

std::future<Result<std::string>> Job::savepoint(bool stop)
{
    StageContext &c = d->context;
    if (c.state == JobState::Created || c.stopRequested || finished()) {
        std::promise<Result<std::string>> p;
        p.set_value(Status::aborted(c.state == JobState::Created ? "the job has not started" : "the job has stopped"));
        return p.get_future();
    }
    return c.coordinator.requestSavepoint(stop);
}

std::future<Status> Job::submit(SourceCommand command) { return d->context.sourceControl.submit(command); }

std::future<Status> Job::submit(SinkCommand command)
{
    StageContext &c = d->context;
    auto answer = [](Status s) {
        std::promise<Status> p;
        p.set_value(std::move(s));
        return p.get_future();
    };
    std::lock_guard lock(d->mutex);
    if (c.stopRequested || d->done)
        return answer(Status::aborted("the job has stopped"));
    if (!c.sink)
        return answer(Status::unimplemented("the job has no sink"));
    switch (command) {
    case SinkCommand::Drain:
        return d->outputStage.requestDrain();
    case SinkCommand::ResumeWrites:
        return answer(c.sink->resumeWrites());
    case SinkCommand::Divert:
    case SinkCommand::Undivert:
        return answer(c.sink->setDivert(command == SinkCommand::Divert));
    }
    return answer(Status::invalidArgument("unknown sink command"));
}

JobStatus Job::status() const
{
    const StageContext &c = d->context;
    JobStatus s;
    s.state = c.state;
    s.recordsIn = c.metrics.recordsIn.value();
    s.eventsIn = c.metrics.eventsIn.value();
    s.deadLetters = c.metrics.deadLetters.value();
    s.lateEvents = c.metrics.late.value();
    s.droppedEvents = c.metrics.dropped.value();
    s.rowsOut = c.metrics.rowsOut.value();
    s.windowsFired = c.metrics.windowsFired.value();
    s.watermarkMs = static_cast<int64_t>(c.metrics.watermark.value());
    s.watermarkSkewMs = static_cast<int64_t>(c.metrics.skew.value());
    s.watermarkBoundMs = static_cast<int64_t>(c.metrics.bound.value());
    s.epoch = c.currentEpoch;
    s.committedEpoch = c.committedEpoch;
    s.windowsHandedOverByMs = c.windowsHandedOverByMs;
    s.checkpointsEnabled = c.config.checkpoint.enabled;
    s.checkpointIntervalMs = c.config.checkpoint.intervalMs;
    s.checkpoints = c.coordinator.history();
    s.failure = c.failure();
    for (const auto &o : c.operators)
        s.operators.push_back({o->name, o->kind, o->index, o->busyNs->value(), o->idleNs->value(),
                               o->backpressuredNs->value(), o->recordsIn->value(), o->recordsOut->value(),
                               o->cpuNs->value()});
    if (const int left = c.tasksRestoring.load(); left > 0)
        s.restoring = JobStatus::Restoring{c.restoredFrom, c.parallelism - left, c.parallelism,
                                           (steadyNowNs() - c.restoreStartedNs) / 1'000'000};
    for (size_t p = 0; p < c.metrics.partitionRecords.size(); ++p) {
        PartitionStatus ps;
        ps.partition = static_cast<int>(p);
        ps.records = c.metrics.partitionRecords[p]->value();
        ps.watermarkMs = static_cast<int64_t>(c.metrics.partitionWatermark[p]->value());
        ps.idle = c.metrics.partitionIdle[p]->value() != 0;
        s.partitions.push_back(ps);
    }
    std::lock_guard lock(d->mutex); // releaseConnections() may reset the source and sink
    if (c.source) {
        if (const std::optional<SourceLag> lag = c.source->lag()) {
            for (const SourceLag::Partition &p : lag->partitions) {
                if (p.partition < 0 || static_cast<size_t>(p.partition) >= s.partitions.size())
                    continue;
                s.partitions[static_cast<size_t>(p.partition)].lagRecords = p.records;
                s.partitions[static_cast<size_t>(p.partition)].lagSeconds = p.seconds;
                s.partitions[static_cast<size_t>(p.partition)].committedOffset = p.committedOffset;
                s.partitions[static_cast<size_t>(p.partition)].committedAtMs = p.committedAtMs;
                s.partitions[static_cast<size_t>(p.partition)].logEndOffset = p.logEndOffset;
            }
            s.timeToCatchUpSeconds = lag->timeToCatchUpSeconds;
        }
        s.topic = c.source->topicView();
    }
    if (c.sink)
        s.sink = c.sink->sinkStatus();
    return s;
}

const JobConfig &Job::config() const { return d->context.config; }

const TimeSeriesStore &Job::timeSeries() const { return d->timeSeries; }

LiveResults &Job::liveResults() { return d->context.live; }

const LiveResults &Job::liveResults() const { return d->context.live; }

const RecentDeadLetters &Job::recentDeadLetters() const { return d->context.recentDeadLetters; }

bool Job::awaitCompletedCheckpoints(uint64_t count, std::chrono::milliseconds timeout) const
{
    return d->context.coordinator.awaitCompleted(count, timeout);
}

bool Job::awaitFailedCheckpoints(uint64_t count, std::chrono::milliseconds timeout) const
{
    return d->context.coordinator.awaitFailed(count, timeout);
}

} // namespace tally
