// tally-bench measures Tally's throughput and memory and prints a table; with --json it also
// writes {"suite": ..., "results": [{"name", "value", "unit"}, ...]}. Figures are meant to be read
// as ratios against the baseline measured in the same run, because the machine is shared.
#include "event/codec.h"
#include "metrics/metrics.h"
#include "metrics/process_metrics.h"
#include "models/capacity.h"
#include "models/console_snapshot.h"
#include "runtime/config_fingerprint.h"
#include "runtime/job.h"
#include "runtime/job_builder.h"
#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "sink/postgres_store.h"
#include "sink/sink_writer.h"
#include "sink/sqlite_store.h"
#include "source/generator.h"
#include "source/kafka_source.h"
#include "state/count_state.h"
#include "window/aggregations.h"

#include <absl/container/flat_hash_map.h>
#include <librdkafka/rdkafka.h>
#include <pqxx/pqxx>
#include <sqlite3.h>
#include "time/clock.h"
#include "time/watermark.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <iterator>
#include <thread>
#include <tuple>
#include <vector>

using namespace tally;

namespace {

struct BenchResult {
    std::string name;
    double value;
    std::string unit;
    std::string note = {}; // printed after the unit (a ratio, a target), not in the JSON
};

// Replays batches prepared in memory, so the engine is measured without the cost of making input.
class ReplaySource final : public Source {
public:
    ReplaySource(const std::vector<SourceBatch> &batches, int partitions) : m_batches(batches), m_partitions(partitions) {}
    int partitionCount() const override { return m_partitions; }
    PollStatus poll(SourceBatch &batch, size_t) override
    {
        if (m_next == m_batches.size())
            return PollStatus::End;
        batch = m_batches[m_next++]; // a copy, as a real source fills a fresh batch
        return PollStatus::Data;
    }

private:
    const std::vector<SourceBatch> &m_batches;
    int m_partitions;
    size_t m_next = 0;
};

GeneratorConfig benchGenerator(uint64_t events)
{
    GeneratorConfig g;
    g.seed = 7;
    g.totalEvents = events;
    g.partitions = 8;
    g.eventTimeRate = 100000;
    g.posts = 1000000;
    g.users = 1000000;
    return g;
}

std::vector<SourceBatch> prepare(const GeneratorConfig &g, size_t batchSize)
{
    GeneratorSource source(g);
    std::vector<SourceBatch> batches;
    SourceBatch b;
    for (;;) {
        const auto status = source.poll(b, batchSize);
        if (status == Source::PollStatus::End)
            break;
        if (status == Source::PollStatus::Data)
            batches.push_back(b);
    }
    return batches;
}

uint64_t countRecords(const std::vector<SourceBatch> &batches)
{
    uint64_t n = 0;
    for (const auto &b : batches)
        n += b.size();
    return n;
}

double secondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time (user + system) of every thread of this process so far, in nanoseconds.
double processCpuNs()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto ns = [](const timeval &t) { return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_usec) * 1e3; };
    return ns(u.ru_utime) + ns(u.ru_stime);
}

struct EngineRun {
    double eventsPerSecond = 0;
    double cpuNsPerEvent = 0;      // all threads: a steadier figure than wall time on a busy machine
    double sourceBackpressure = 0; // share of the run the source waited on full task queues
    double taskBusy = 0;           // mean share of the run the window tasks were working
};

// Builds the job a suite measures (from the configuration, or on `source`); a job that cannot be
// built ends the benchmark.
std::unique_ptr<Job> benchJob(const JobConfig &config, MetricsRegistry &metrics, const Clock &clock,
                              std::unique_ptr<Source> source = nullptr)
{
    JobParts parts;
    parts.source = std::move(source);
    Result<BuiltJob> built = buildJob(config, metrics, clock, std::move(parts));
    if (!built) {
        std::fprintf(stderr, "tally-bench: %s\n", built.status().toString().c_str());
        std::exit(1);
    }
    return std::move(built->job);
}

// Runs the whole job (all five aggregations, no sink I/O) over the batches.
EngineRun runEngine(const std::vector<SourceBatch> &batches, int partitions, int parallelism,
                    StateConfig::Backend backend = StateConfig::Backend::Heap, int rocksdbCacheKb = StateConfig().rocksdbCacheKb)
{
    const std::string stateDir = (std::filesystem::temp_directory_path() / ("tally-bench-state-" + std::to_string(getpid()))).string();
    JobConfig config;
    config.runtime.parallelism = parallelism;
    config.output.type = OutputConfig::Type::None;
    config.state.backend = backend;
    config.state.dir = stateDir;
    config.state.rocksdbCacheKb = rocksdbCacheKb;
    MetricsRegistry metrics;
    SteadyClock clock;
    const std::unique_ptr<Job> built = benchJob(config, metrics, clock, std::make_unique<ReplaySource>(batches, partitions));
    Job &job = *built;
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = processCpuNs();
    if (Status s = job.start(); !s.isOk()) {
        std::fprintf(stderr, "tally-bench: %s\n", s.toString().c_str());
        std::exit(1);
    }
    (void)job.waitFinished();
    const double seconds = secondsSince(t0);
    const MetricsSnapshot m = metrics.snapshot(0);
    EngineRun run;
    run.eventsPerSecond = static_cast<double>(countRecords(batches)) / seconds;
    run.cpuNsPerEvent = (processCpuNs() - cpu0) / static_cast<double>(countRecords(batches));
    run.sourceBackpressure = m.value("tally_operator_backpressured_nanoseconds_total", {{"operator", "source"}}) / 1e9 / seconds;
    for (int t = 0; t < parallelism; ++t)
        run.taskBusy += m.value("tally_operator_busy_nanoseconds_total", {{"operator", "window-" + std::to_string(t)}}) / 1e9 /
                        seconds / parallelism;
    std::filesystem::remove_all(stateDir);
    return run;
}

// The floor under any engine figure: copying the batches out of the source with no processing.
double runReplayOnly(const std::vector<SourceBatch> &batches, int partitions)
{
    ReplaySource source(batches, partitions);
    SourceBatch b;
    uint64_t n = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (source.poll(b, 0) == Source::PollStatus::Data)
        n += b.size();
    return static_cast<double>(n) / secondsSince(t0);
}

int64_t peakRssBytes()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stoll(line.substr(6)) * 1024;
    return 0;
}

// Peak RSS of a process that runs only the engine (P=2, the live generator, no prepared input)
// over `events`: measured in a forked child so the benchmark's own buffers do not count. Call
// before any thread starts.
int64_t enginePeakRssBytes(uint64_t events)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    const pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        JobConfig config;
        config.source.generator = benchGenerator(events);
        config.output.type = OutputConfig::Type::None;
        MetricsRegistry metrics;
        SteadyClock clock;
        const std::unique_ptr<Job> job = benchJob(config, metrics, clock);
        int64_t rss = -1;
        if (job->start().isOk() && job->waitFinished().isOk())
            rss = peakRssBytes();
        [[maybe_unused]] auto n = write(fds[1], &rss, sizeof rss);
        _exit(0);
    }
    close(fds[1]);
    int64_t rss = -1;
    if (child < 0 || read(fds[0], &rss, sizeof rss) != sizeof rss)
        rss = -1;
    close(fds[0]);
    if (child > 0)
        waitpid(child, nullptr, 0);
    return rss;
}

std::vector<BenchResult> engineSuite(uint64_t events)
{
    std::vector<BenchResult> r;
    const int64_t engineRss = enginePeakRssBytes(events);
    const GeneratorConfig g = benchGenerator(events);
    const std::vector<SourceBatch> decoded = prepare(g, 4096);
    const double replay = runReplayOnly(decoded, g.partitions);
    const EngineRun p1 = runEngine(decoded, g.partitions, 1);
    const EngineRun p2 = runEngine(decoded, g.partitions, 2);
    r.push_back({"engine.baseline.replay.events_per_s", replay, "events/s"});
    r.push_back({"engine.p1.predecoded.events_per_s", p1.eventsPerSecond, "events/s"});
    r.push_back({"engine.p2.predecoded.events_per_s", p2.eventsPerSecond, "events/s"});
    r.push_back({"engine.p2_over_p1.ratio", p2.eventsPerSecond / p1.eventsPerSecond, "ratio"});
    r.push_back({"engine.p1.predecoded.cpu_ns_per_event", p1.cpuNsPerEvent, "ns"});
    r.push_back({"engine.p2.predecoded.cpu_ns_per_event", p2.cpuNsPerEvent, "ns"});
    r.push_back({"engine.p2.predecoded.source_backpressure_ratio", p2.sourceBackpressure, "ratio"});
    r.push_back({"engine.p2.predecoded.task_busy_ratio", p2.taskBusy, "ratio"});

    // The same run with the state in RocksDB: with its write-back cache at the default size, and
    // with one of 8 MiB per task, far below the stream's state, so nearly every count goes through
    // RocksDB.
    const EngineRun rocksdb = runEngine(decoded, g.partitions, 2, StateConfig::Backend::RocksDb);
    const EngineRun rocksdbSmall = runEngine(decoded, g.partitions, 2, StateConfig::Backend::RocksDb, 8192);
    r.push_back({"engine.p2.rocksdb.events_per_s", rocksdb.eventsPerSecond, "events/s"});
    r.push_back({"engine.p2.rocksdb.cpu_ns_per_event", rocksdb.cpuNsPerEvent, "ns"});
    r.push_back({"engine.rocksdb_over_heap.ratio", rocksdb.eventsPerSecond / p2.eventsPerSecond, "ratio", "P=2; target >= 0.33"});
    r.push_back({"engine.p2.rocksdb_8mib_cache.events_per_s", rocksdbSmall.eventsPerSecond, "events/s"});
    r.push_back({"engine.rocksdb_8mib_cache_over_heap.ratio", rocksdbSmall.eventsPerSecond / p2.eventsPerSecond, "ratio"});

    GeneratorConfig gj = benchGenerator(events / 2);
    gj.serialized = true;
    gj.format = WireFormat::Json;
    const std::vector<SourceBatch> json = prepare(gj, 4096);
    const EngineRun p2json = runEngine(json, gj.partitions, 2);
    r.push_back({"engine.p2.json.events_per_s", p2json.eventsPerSecond, "events/s"});
    r.push_back({"engine.json_over_predecoded.ratio", p2json.eventsPerSecond / p2.eventsPerSecond, "ratio"});
    r.push_back({"engine.p2.json.cpu_ns_per_event", p2json.cpuNsPerEvent, "ns"});
    r.push_back({"engine.p2.json.source_backpressure_ratio", p2json.sourceBackpressure, "ratio"});
    r.push_back({"engine.p2.json.task_busy_ratio", p2json.taskBusy, "ratio"});
    r.push_back({"engine.peak_rss_bytes", static_cast<double>(engineRss), "bytes"});
    r.push_back({"bench.peak_rss_bytes", static_cast<double>(peakRssBytes()), "bytes"}); // with prepared input
    return r;
}

// ---- suite checkpoint ---------------------------------------------------------------------
// Checkpoint cost by state size and backend: one window task holds `entries` counts (posts in a
// window that never fires), and a checkpoint is taken as the job takes one: the task's part
// (sync), building the snapshot and writing the file (async). Then the file is restored into a
// fresh task. And the overhead: the whole job's throughput with a checkpoint every second over
// its throughput without, per backend, in one run.

const char *backendName(StateConfig::Backend b) { return b == StateConfig::Backend::Heap ? "heap" : "rocksdb"; }

JobConfig checkpointBenchConfig(StateConfig::Backend backend, const std::string &dir)
{
    JobConfig c;
    c.runtime.parallelism = 1;
    c.output.type = OutputConfig::Type::None;
    c.state.backend = backend;
    c.state.dir = dir + "/state";
    c.checkpoint.dir = dir + "/checkpoints";
    return c;
}

struct CheckpointCost {
    double syncMs = 0, asyncMs = 0, totalMs = 0, restoreMs = 0;
    double rescaledRestoreMs = 0; // into P=2
    double sizeBytes = 0;
    size_t records = 0;
};

struct CheckpointCosts {
    CheckpointCost full;
    std::optional<CheckpointCost> incremental; // where the backend tracks changes
};

std::unique_ptr<TaskAggregations> openTask(const JobConfig &c, const StateWorkDir &workDir)
{
    Result<std::unique_ptr<TaskState>> state = openTaskState(c.state, workDir.path(), 0);
    if (!state) {
        std::fprintf(stderr, "tally-bench: %s\n", state.status().toString().c_str());
        std::exit(1);
    }
    return std::make_unique<TaskAggregations>(c, c.runtime.allowedLatenessMs, std::move(state).value());
}

template <typename T>
T orExit(Result<T> r)
{
    if (!r) {
        std::fprintf(stderr, "tally-bench: %s\n", r.status().toString().c_str());
        std::exit(1);
    }
    return std::move(r).value();
}

// Restores a checkpoint file taken at P=1 into fresh tasks at `parallelism` (each on a thread
// of its own, as a job's tasks restore); returns the milliseconds it took, the read included.
double restoreMs(const JobConfig &c, const std::string &file, int parallelism = 1)
{
    const auto t0 = std::chrono::steady_clock::now();
    CheckpointFile read = orExit(readCheckpoint(file));
    StateWorkDir restoreDir(c.state);
    // A checkpoint of files opens as it is at its parallelism, else is read into records (as a job).
    const Savepoint &sp = read.savepoint;
    const bool openFiles = sp.files && sp.files->parallelism == parallelism;
    if (sp.files && !openFiles)
        if (Status s = readStateFiles(read.savepoint, restoreDir.path()); !s.isOk())
            orExit(Result<int>(s));
    std::vector<std::thread> tasks;
    for (int t = 0; t < parallelism; ++t)
        tasks.emplace_back([&, t] {
            std::unique_ptr<TaskState> state =
                orExit(openFiles ? openTaskStateFromFiles(c.state, restoreDir.path(), sp.files->tasks[static_cast<size_t>(t)])
                                 : openTaskState(c.state, restoreDir.path(), t));
            TaskAggregations restored(c, c.runtime.allowedLatenessMs, std::move(state));
            std::vector<TopKUpdate> restoredTopK;
            if (openFiles)
                restored.restoreFromFiles(sp.state, sp.files->fired, restoredTopK);
            else
                restored.restore(sp.state, t, parallelism, restoredTopK);
        });
    for (std::thread &t : tasks)
        t.join();
    return secondsSince(t0) * 1e3;
}

// A checkpoint as the job takes one: the task's part at the barrier (sync), then building the
// snapshot and writing the file (async). Returns the file's link.
CheckpointLink timedCheckpoint(TaskAggregations &task, bool changesOnly, const JobConfig &c, const CheckpointChain &previous,
                               CheckpointCost &cost)
{
    const auto t0 = std::chrono::steady_clock::now();
    StatePart part = task.snapshot(changesOnly);
    cost.syncMs = secondsSince(t0) * 1e3;
    const auto t1 = std::chrono::steady_clock::now();
    KeyedStateChanges changes;
    part(changes);
    part = {};
    changes.sortNamespaces(); // as the snapshot writer: a checkpoint's records are sorted by the restore
    Savepoint sp;
    sp.epoch = previous.size() + 1;
    sp.fingerprint = configFingerprint(c);
    CheckpointLink link;
    if (changesOnly) {
        cost.records = changes.records.recordCount();
        link = orExit(writeIncrementalCheckpoint(c.checkpoint.dir, sp, changes, previous));
    } else {
        sp.state = std::move(changes.records);
        cost.records = sp.state.recordCount();
        link = orExit(writeFullCheckpoint(c.checkpoint.dir, sp));
    }
    cost.asyncMs = secondsSince(t1) * 1e3;
    cost.totalMs = secondsSince(t0) * 1e3;
    cost.sizeBytes = static_cast<double>(link.bytes);
    return link;
}

// A checkpoint of the task's database files, as the job takes one (RocksDB): the task links its
// files and takes its cache's changes (sync), the writer publishes the new files and writes the
// checkpoint (async).
WrittenCheckpoint timedFilesCheckpoint(TaskAggregations &task, const JobConfig &c, const WrittenCheckpoint &previous,
                                       CheckpointCost &cost)
{
    const auto t0 = std::chrono::steady_clock::now();
    StatePart part = task.snapshotFiles(false);
    cost.syncMs = secondsSince(t0) * 1e3;
    const auto t1 = std::chrono::steady_clock::now();
    KeyedStateChanges changes;
    part(changes);
    Savepoint sp;
    sp.epoch = previous.chain.size() + 1;
    sp.takenAtMs = static_cast<int64_t>(sp.epoch);
    sp.fingerprint = configFingerprint(c);
    WrittenCheckpoint written =
        orExit(writeFilesCheckpoint(c.checkpoint.dir, sp, 1, changes, previous.chain, previous.cacheDepths));
    cost.asyncMs = secondsSince(t1) * 1e3;
    cost.totalMs = secondsSince(t0) * 1e3;
    cost.sizeBytes = static_cast<double>(written.writtenBytes);
    return written;
}

// One window task holding `entries` counts: a full checkpoint, then 1% of the keys change and an
// incremental one follows (heap: the changes; RocksDB: the files, after a first checkpoint of
// files to share them with); each is restored into a fresh task.
CheckpointCosts measureCheckpoint(StateConfig::Backend backend, size_t entries)
{
    const std::string dir = (std::filesystem::temp_directory_path() / ("tally-bench-ckpt-" + std::to_string(getpid()))).string();
    std::filesystem::remove_all(dir);
    JobConfig c = checkpointBenchConfig(backend, dir);
    c.likesPerPost.windowMs = c.trendingHourly.windowMs = 3'600'000;
    CheckpointCosts costs;
    {
        StateWorkDir workDir(c.state);
        std::unique_ptr<TaskAggregations> task = openTask(c, workDir);
        // Every post record lands in likes_per_post, trending_hourly and a like_velocity pane.
        const size_t posts = entries / 3;
        for (size_t k = 0; k < posts; ++k)
            task->apply(KeyFamily::Post, {k + 1, 0, 1, 1}, kMinWatermark);
        std::vector<OutputRow> rows;
        std::vector<TopKUpdate> topK;
        task->finishBatch(1000, rows, topK);

        const CheckpointLink full = timedCheckpoint(*task, false, c, {}, costs.full);
        const bool files = task->canExportFiles();
        const bool tracks = files || task->canTrackChanges();
        WrittenCheckpoint base;
        base.chain = {full};
        if (files) {
            CheckpointCost first;
            base = timedFilesCheckpoint(*task, c, {}, first);
        } else if (tracks) {
            task->trackChanges(); // as after a checkpoint that starts a chain
        }
        std::string incrementalFile;
        if (tracks) {
            std::mt19937_64 random(7);
            for (size_t n = 0; n < posts / 100; ++n)
                task->apply(KeyFamily::Post, {random() % posts + 1, 0, 1, 1}, 1000);
            task->finishBatch(1000, rows, topK);
            costs.incremental.emplace();
            const CheckpointLink link = files ? timedFilesCheckpoint(*task, c, base, *costs.incremental).chain.back()
                                              : timedCheckpoint(*task, true, c, base.chain, *costs.incremental);
            incrementalFile = (std::filesystem::path(c.checkpoint.dir) / link.file).string();
        }
        task.reset();
        const std::string fullFile = (std::filesystem::path(c.checkpoint.dir) / full.file).string();
        costs.full.restoreMs = restoreMs(c, fullFile);
        costs.full.rescaledRestoreMs = restoreMs(c, fullFile, 2);
        if (tracks)
            costs.incremental->restoreMs = restoreMs(c, incrementalFile);
        if (files)
            costs.incremental->rescaledRestoreMs = restoreMs(c, incrementalFile, 2);
    }
    std::filesystem::remove_all(dir);
    return costs;
}

struct CheckpointedRun {
    double eventsPerSecond = 0;
    int checkpoints = 0; // completed
    int incremental = 0; // of them
};

CheckpointedRun checkpointedThroughput(const std::vector<SourceBatch> &batches, int partitions, StateConfig::Backend backend,
                                       bool checkpoints)
{
    const std::string dir = (std::filesystem::temp_directory_path() / ("tally-bench-job-" + std::to_string(getpid()))).string();
    std::filesystem::remove_all(dir);
    JobConfig config = checkpointBenchConfig(backend, dir);
    config.runtime.parallelism = 2;
    config.checkpoint.enabled = checkpoints;
    config.checkpoint.intervalMs = 1000;
    MetricsRegistry metrics;
    SteadyClock clock;
    CheckpointedRun run;
    {
        const std::unique_ptr<Job> built = benchJob(config, metrics, clock, std::make_unique<ReplaySource>(batches, partitions));
        Job &job = *built;
        const auto t0 = std::chrono::steady_clock::now();
        if (Status s = job.start(); !s.isOk()) {
            std::fprintf(stderr, "tally-bench: %s\n", s.toString().c_str());
            std::exit(1);
        }
        (void)job.waitFinished();
        run.eventsPerSecond = static_cast<double>(countRecords(batches)) / secondsSince(t0);
        for (const CheckpointRecord &c : job.status().checkpoints) {
            run.checkpoints += c.completed ? 1 : 0;
            run.incremental += c.completed && c.incremental ? 1 : 0;
        }
    }
    std::filesystem::remove_all(dir);
    return run;
}

// The whole job with a checkpoint every second and without (suite checkpoint-overhead alone).
std::vector<BenchResult> checkpointOverhead(uint64_t events)
{
    std::vector<BenchResult> r;
    using Backend = StateConfig::Backend;
    // Long enough for many checkpoints, alternating with and without, best of two each: the
    // machine is shared.
    const GeneratorConfig g = benchGenerator(events);
    const std::vector<SourceBatch> batches = prepare(g, 4096);
    for (Backend backend : {Backend::Heap, Backend::RocksDb}) {
        double without = 0, with = 0;
        CheckpointedRun best;
        for (int round = 0; round < 2; ++round) {
            without = std::max(without, checkpointedThroughput(batches, g.partitions, backend, false).eventsPerSecond);
            const CheckpointedRun run = checkpointedThroughput(batches, g.partitions, backend, true);
            if (run.eventsPerSecond > with) {
                with = run.eventsPerSecond;
                best = run;
            }
        }
        const std::string p = std::string("checkpoint.") + backendName(backend) + ".";
        r.push_back({p + "no_checkpoints.events_per_s", without, "events/s", "baseline"});
        r.push_back({p + "every_1s.events_per_s", with, "events/s"});
        r.push_back({p + "every_1s.checkpoints", static_cast<double>(best.checkpoints), "checkpoints", "completed in that run"});
        r.push_back({p + "every_1s.incremental", static_cast<double>(best.incremental), "checkpoints", "of them incremental"});
        r.push_back({p + "overhead_ratio", with / without, "ratio", "target >= 0.90"});
    }
    return r;
}

std::vector<BenchResult> checkpointSuite(uint64_t events)
{
    std::vector<BenchResult> r;
    using Backend = StateConfig::Backend;
    for (Backend backend : {Backend::Heap, Backend::RocksDb}) {
        for (auto [label, entries] : {std::pair{"1m", size_t(1'000'000)}, std::pair{"10m", size_t(10'000'000)}}) {
            const CheckpointCosts costs = measureCheckpoint(backend, entries);
            const CheckpointCost &c = costs.full;
            const std::string p = std::string("checkpoint.") + backendName(backend) + "." + label + ".";
            r.push_back({p + "duration_ms", c.totalMs, "ms", "full"});
            r.push_back({p + "sync_ms", c.syncMs, "ms", "full: on the task"});
            r.push_back({p + "async_ms", c.asyncMs, "ms", "full: off the task"});
            r.push_back({p + "size_bytes", c.sizeBytes, "bytes", "full"});
            r.push_back({p + "state_records", static_cast<double>(c.records), "records"});
            if (costs.incremental) {
                const CheckpointCost &i = *costs.incremental;
                r.push_back({p + "incremental.duration_ms", i.totalMs, "ms", "1% of keys changed; target <= 500"});
                r.push_back({p + "incremental.sync_ms", i.syncMs, "ms", "on the task; target <= 10"});
                r.push_back({p + "incremental.async_ms", i.asyncMs, "ms", "off the task"});
                r.push_back({p + "incremental.bytes_written", i.sizeBytes, "bytes", "target <= 10% of full"});
                r.push_back({p + "incremental.over_full.ratio", i.sizeBytes / c.sizeBytes, "ratio"});
            }
            if (std::string(label) == "10m" && backend == Backend::Heap) {
                r.push_back({"restore.heap.10m.ms", c.restoreMs, "ms", "full"});
                r.push_back({"restore.heap.10m.rescaled.ms", c.rescaledRestoreMs, "ms", "P=1 -> P=2"});
                if (costs.incremental)
                    r.push_back({"restore.heap.10m.incremental.ms", costs.incremental->restoreMs, "ms", "full + incremental"});
            }
            // RocksDB restores its newest checkpoint, one of files: opened at the same parallelism,
            // read into records at another.
            if (std::string(label) == "10m" && backend == Backend::RocksDb && costs.incremental) {
                r.push_back({"restore.rocksdb.10m.ms", costs.incremental->restoreMs, "ms", "of files, P=1; target <= 3000"});
                r.push_back({"restore.rocksdb.10m.rescaled.ms", costs.incremental->rescaledRestoreMs, "ms",
                             "of files, P=1 -> P=2; target <= 6000"});
                r.push_back({"restore.rocksdb.10m.full.ms", c.restoreMs, "ms", "a full checkpoint file"});
            }
        }
    }
    const std::vector<BenchResult> overhead = checkpointOverhead(events);
    r.insert(r.end(), overhead.begin(), overhead.end());
    return r;
}

// ---- suite kafka --------------------------------------------------------------------------

// Runs tally-loadgen and returns one number from its JSON report (or -1).
double runLoadgen(const std::vector<std::string> &args, const std::string &field)
{
    const std::string report = "/tmp/tally-bench-loadgen-" + std::to_string(getpid()) + ".json";
    std::string command = TALLY_LOADGEN_PATH;
    for (const auto &a : args)
        command += " '" + a + "'";
    command += " --quiet --report-json " + report + " > /dev/null";
    if (std::system(command.c_str()) != 0)
        return -1;
    std::ifstream in(report);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove(report.c_str());
    const size_t at = text.find("\"" + field + "\":");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + field.size() + 3));
}

// librdkafka alone reading the whole topic, nothing else: the limit of this machine.
double rawConsume(const std::string &bootstrap, const std::string &topic, int partitions, uint64_t events)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", ("bench-raw-" + topic).c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk)
        return -1;
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p)
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
    std::vector<rd_kafka_message_t *> messages(4096);
    uint64_t seen = 0;
    uint64_t bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    auto t0 = start; // the clock starts at the first message, as for the job
    while (seen < events && secondsSince(start) < 600) {
        const ssize_t n = rd_kafka_consume_batch_queue(queue, 1000, messages.data(), messages.size());
        if (seen == 0 && n > 0)
            t0 = std::chrono::steady_clock::now();
        for (ssize_t i = 0; i < n; ++i) {
            if (!messages[static_cast<size_t>(i)]->err) {
                ++seen;
                bytes += messages[static_cast<size_t>(i)]->len;
            }
            rd_kafka_message_destroy(messages[static_cast<size_t>(i)]);
        }
    }
    const double rate = static_cast<double>(seen) / secondsSince(t0);
    rd_kafka_queue_destroy(queue);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return seen == events ? rate : -1;
}

// The whole job on the topic: consume, decode, all five aggregations (no sink I/O).
double tallyConsume(const std::string &bootstrap, const std::string &topic, uint64_t events)
{
    JobConfig config;
    config.output.type = OutputConfig::Type::None;
    MetricsRegistry metrics;
    SteadyClock clock;
    config.source.type = SourceConfig::Type::Kafka;
    config.source.kafka.bootstrapServers = bootstrap;
    config.source.kafka.topic = topic;
    config.source.kafka.groupId = "bench-tally-" + topic;
    Result<BuiltJob> built = buildJob(config, metrics, clock);
    if (!built)
        return -1;
    Job &job = *built->job;
    const auto start = std::chrono::steady_clock::now();
    if (!job.start().isOk())
        return -1;
    // The clock starts at the first record: joining the group is a fixed cost, not throughput.
    auto t0 = start;
    while (metrics.snapshot(0).value("tally_source_records_total") == 0 && secondsSince(start) < 60)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    t0 = std::chrono::steady_clock::now();
    while (metrics.snapshot(0).value("tally_source_records_total") < static_cast<double>(events) && secondsSince(start) < 600)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    job.requestStop();
    (void)job.waitFinished();
    return static_cast<double>(events) / secondsSince(t0);
}

std::vector<BenchResult> kafkaSuite(const std::string &bootstrap, uint64_t events)
{
    std::vector<BenchResult> r;
    const std::string stamp = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    const std::string topic = "bench-" + stamp;
    const std::string count = std::to_string(events);
    // One fill at acks=1 is the topic the consumers read; acks=all is measured on a second topic.
    const double acks1 = runLoadgen({"--bootstrap", bootstrap, "--topic", topic, "--create-topic", "--partitions", "4",
                                     "--count", count, "--acks", "1", "--posts", "1000000", "--users", "1000000"},
                                    "acknowledged_per_s");
    const double acksAll = runLoadgen({"--bootstrap", bootstrap, "--topic", topic + "-acksall", "--create-topic",
                                       "--partitions", "4", "--count", count, "--acks", "all", "--posts", "1000000",
                                       "--users", "1000000"},
                                      "acknowledged_per_s");
    const double raw = rawConsume(bootstrap, topic, 4, events);
    const double tally = tallyConsume(bootstrap, topic, events);
    r.push_back({"kafka.produce_acks1.events_per_s", acks1, "events/s"});
    r.push_back({"kafka.produce_acksall.events_per_s", acksAll, "events/s"});
    r.push_back({"kafka.raw_consume.events_per_s", raw, "events/s"});
    r.push_back({"kafka.tally.events_per_s", tally, "events/s"});
    r.push_back({"kafka.ratio", raw > 0 ? tally / raw : -1, "ratio"});
    return r;
}

// ---- suite sink ---------------------------------------------------------------------------

// The sink suite pushes window results through a SinkWriter into each store, per delivery mode
// and batch size, and measures rows per second from the first writeRows to the end of flush()
// (every row in the database), plus the write latency per batch from the writer's own histogram.
// Each case starts on fresh tables and checks what the database holds afterwards.

constexpr int64_t kSinkMinuteMs = 60000;
constexpr int64_t kSinkHourMs = 3600000;

// Output as a busy job emits it, in firing order: mostly likes_per_post rows (20,000 posts per
// one-minute window, skewed towards popular posts), the other aggregations in smaller shares,
// re-fires of keys written up to a few batches before (late data, new values), and ~1% Delete
// rows retracting earlier trending_hourly and like_velocity keys.
std::vector<OutputRow> sinkRows(size_t n)
{
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<int> percent(0, 999);
    std::uniform_real_distribution<double> unit(0, 1);
    const int64_t start = 1'700'002'800'000; // a whole hour
    std::vector<OutputRow> rows;
    rows.reserve(n);
    std::vector<OutputRow> recent(50000);   // ring of recent upserts, for re-fires
    std::vector<OutputRow> retractable(5000); // ring of recent trending/velocity upserts
    size_t recentCount = 0, retractableCount = 0;
    auto post = [&] { return static_cast<uint64_t>(1'000'000 * std::pow(unit(rng), 3)) + 1; };
    for (size_t i = 0; i < n; ++i) {
        const int64_t minute = start + static_cast<int64_t>(i / 20000) * kSinkMinuteMs;
        const int roll = percent(rng);
        OutputRow r;
        if (roll < 10 && retractableCount > 0) {
            r = retractable[rng() % std::min(retractableCount, retractable.size())];
            r.kind = OutputRow::Kind::Delete;
            r.value = 0;
            r.flag = false;
        } else if (roll < 110 && recentCount > 0) {
            r = recent[rng() % std::min(recentCount, recent.size())];
            r.value += 1 + static_cast<int64_t>(rng() % 5);
        } else {
            const int kind = percent(rng);
            if (kind < 850) {
                r.aggregation = Aggregation::LikesPerPost;
                r.windowStartMs = minute;
                r.windowEndMs = minute + kSinkMinuteMs;
                r.key = post();
                r.value = 1 + static_cast<int64_t>(rng() % 200);
            } else if (kind < 930) {
                r.aggregation = Aggregation::LikeVelocity;
                r.windowStartMs = minute - 14 * kSinkMinuteMs;
                r.windowEndMs = minute + kSinkMinuteMs;
                r.key = post();
                r.value = 15 + static_cast<int64_t>(rng() % 3000);
                r.flag = r.value >= 1500;
            } else if (kind < 960) {
                r.aggregation = Aggregation::TrendingHourly;
                r.windowStartMs = minute - (minute - start) % kSinkHourMs;
                r.windowEndMs = r.windowStartMs + kSinkHourMs;
                r.key = post();
                r.value = 1000 + static_cast<int64_t>(rng() % 100000);
            } else if (kind < 990) {
                r.aggregation = Aggregation::SpamSuspects;
                r.windowStartMs = minute + static_cast<int64_t>(rng() % 60) * 1000;
                r.windowEndMs = r.windowStartMs + 10000;
                r.key = 1 + rng() % 1'000'000;
                r.value = 20 + static_cast<int64_t>(rng() % 100);
                r.flag = true;
            } else {
                static constexpr const char *kRegions[] = {"US", "DE", "FR", "BR", "IN", "JP", "GB", "NG"};
                r.aggregation = Aggregation::LikesByRegion;
                r.windowStartMs = minute;
                r.windowEndMs = minute + kSinkMinuteMs;
                const RegionCode region = *parseRegion(kRegions[rng() % std::size(kRegions)]);
                r.key = regionKey(region, static_cast<DeviceType>(rng() % static_cast<size_t>(DeviceType::kCount)));
                r.value = 1000 + static_cast<int64_t>(rng() % 100000);
            }
        }
        if (r.kind == OutputRow::Kind::Upsert) {
            recent[recentCount++ % recent.size()] = r;
            if (r.aggregation == Aggregation::TrendingHourly || r.aggregation == Aggregation::LikeVelocity)
                retractable[retractableCount++ % retractable.size()] = r;
        }
        rows.push_back(r);
    }
    return rows;
}

using SinkRowKey = std::tuple<Aggregation, int64_t, int64_t, uint64_t>;

SinkRowKey sinkRowKey(const OutputRow &r) { return {r.aggregation, r.windowStartMs, r.windowEndMs, r.key}; }

// What a table holds: its row count and the sum of its values.
struct SinkTable {
    int64_t rows = 0;
    int64_t valueSum = 0;
    friend bool operator==(const SinkTable &, const SinkTable &) = default;
};

// The table the rows must leave behind, whatever the batching.
SinkTable expectedTable(const std::vector<OutputRow> &rows)
{
    absl::flat_hash_map<SinkRowKey, const OutputRow *> last;
    for (const OutputRow &r : rows)
        last[sinkRowKey(r)] = &r;
    SinkTable t;
    for (const auto &[key, r] : last)
        if (r->kind == OutputRow::Kind::Upsert) {
            ++t.rows;
            t.valueSum += r->value;
        }
    return t;
}

// The floor under the database figures: a store that only keeps the rows in a hash map.
class MemoryStore final : public ResultStore {
public:
    explicit MemoryStore(absl::flat_hash_map<SinkRowKey, int64_t> &table) : m_table(table) {}
    Result<WriteOutcome> write(const StoreBatch &batch) override
    {
        if (batch.epoch && *batch.epoch <= m_epoch)
            return WriteOutcome::AlreadyCommitted;
        if (batch.probe)
            return WriteOutcome::ProbeAccepted;
        for (const OutputRow &r : batch.rows) {
            if (r.kind == OutputRow::Kind::Upsert)
                m_table[sinkRowKey(r)] = r.value;
            else
                m_table.erase(sinkRowKey(r));
        }
        if (batch.epoch)
            m_epoch = *batch.epoch;
        return WriteOutcome::Committed;
    }
    Result<uint64_t> committedEpoch() override { return m_epoch; }
    Status flush() override { return Status::ok(); }
    std::string describe() const override { return "memory"; }

private:
    absl::flat_hash_map<SinkRowKey, int64_t> &m_table;
    uint64_t m_epoch = 0;
};

struct SinkCase {
    double rowsPerSecond = 0;
    double p50Ms = 0;
    double p99Ms = 0;
    double rowsPerTransaction = 0; // after coalescing re-fires within a batch
    uint64_t committedEpoch = 0;
};

// Thrown up to main, so that temporary files and the PostgreSQL schema are removed on the way.
[[noreturn]] void sinkFail(const std::string &what) { throw std::runtime_error("sink: " + what); }

// Pushes the rows through a SinkWriter over `store`, in the engine's output-thread chunks.
// Exactly-once: every `batch` rows close an epoch, committed once the previous epoch is in the
// database, so that each transaction holds one epoch of `batch` rows (the writer would otherwise
// merge the epochs committed while it writes into one transaction). At-least-once: the writer
// writes whenever `batch` rows are waiting.
SinkCase runSinkCase(std::unique_ptr<ResultStore> store, const std::string &name, Delivery delivery, size_t batch,
                     std::vector<OutputRow> rows)
{
    const bool exactlyOnce = delivery == Delivery::ExactlyOnce;
    for (size_t i = 0; i < rows.size(); ++i)
        rows[i].epoch = exactlyOnce ? i / batch + 1 : 0;
    MetricsRegistry metrics;
    SinkWriterOptions options;
    options.delivery = delivery;
    options.batchRows = batch;
    options.name = name;
    auto opened = SinkWriter::open(std::move(store), options, metrics);
    if (!opened)
        sinkFail(opened.status().toString());
    std::unique_ptr<SinkWriter> writer = std::move(opened).value();
    const size_t chunk = std::min<size_t>(batch, 1000);
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t begin = 0; begin < rows.size(); begin += batch) {
        const size_t end = std::min(begin + batch, rows.size());
        for (size_t c = begin; c < end; c += chunk) {
            const std::span<const OutputRow> part(rows.data() + c, std::min(chunk, end - c));
            if (Status s = writer->writeRows(part); !s.isOk())
                sinkFail(s.toString());
        }
        if (exactlyOnce) {
            const uint64_t epoch = begin / batch + 1;
            while (writer->committedEpoch() + 1 < epoch)
                std::this_thread::sleep_for(std::chrono::microseconds(20));
            if (Status s = writer->commitEpoch(epoch); !s.isOk())
                sinkFail(s.toString());
        }
    }
    if (Status s = writer->flush(); !s.isOk())
        sinkFail(s.toString());
    const double seconds = secondsSince(t0);
    SinkCase c;
    c.rowsPerSecond = static_cast<double>(rows.size()) / seconds;
    c.committedEpoch = writer->committedEpoch();
    const MetricsSnapshot m = metrics.snapshot(0);
    if (const MetricSample *latency = m.find("tally_sink_write_latency_us", {{"sink", name}})) {
        c.p50Ms = latency->histogram.quantile(0.50) / 1000;
        c.p99Ms = latency->histogram.quantile(0.99) / 1000;
    }
    const MetricSample *perBatch = m.find("tally_sink_batch_rows", {{"sink", name}});
    if (perBatch && perBatch->value > 0)
        c.rowsPerTransaction = perBatch->histogram.sum / perBatch->value;
    const SinkStatus status = writer->status();
    if (status.rejectedRows > 0 || status.pendingRows > 0)
        sinkFail(name + ": " + std::to_string(status.rejectedRows) + " rows rejected, " +
                 std::to_string(status.pendingRows) + " pending after flush");
    return c;
}

// A SQLite database file in a folder of its own, removed with it.
class TempFolder {
public:
    TempFolder()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "tally-bench-sink-XXXXXX").string();
        if (!mkdtemp(pattern.data()))
            sinkFail("cannot make a temporary folder");
        m_path = pattern;
    }
    ~TempFolder() { std::filesystem::remove_all(m_path); }
    const std::filesystem::path &path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

SinkTable sqliteTable(const std::string &path, uint64_t *epoch)
{
    sqlite3 *db = nullptr;
    SinkTable t;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT count(*), coalesce(sum(value), 0) FROM window_results", -1, &stmt,
                               nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW) {
            t.rows = sqlite3_column_int64(stmt, 0);
            t.valueSum = sqlite3_column_int64(stmt, 1);
        }
        sqlite3_finalize(stmt);
        *epoch = 0;
        if (sqlite3_prepare_v2(db, "SELECT epoch FROM sink_commits", -1, &stmt, nullptr) == SQLITE_OK &&
            sqlite3_step(stmt) == SQLITE_ROW)
            *epoch = static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return t;
}

// The bench's tables live in a schema of their own (search_path), made fresh for every case and
// dropped at the end, so nothing else in the database is touched.
class PostgresBenchSchema {
public:
    explicit PostgresBenchSchema(std::string url)
        : m_url(std::move(url)), m_schema("tally_bench_" + std::to_string(getpid()))
    {
        const std::string option = "options=-c%20search_path%3D" + m_schema;
        if (m_url.find("://") != std::string::npos)
            m_storeUrl = m_url + (m_url.find('?') == std::string::npos ? "?" : "&") + option;
        else
            m_storeUrl = m_url + " options='-c search_path=" + m_schema + "'";
    }
    ~PostgresBenchSchema() { exec("DROP SCHEMA IF EXISTS " + m_schema + " CASCADE", true); }
    // The URL stores use: the schema first on their search path.
    const std::string &storeUrl() const { return m_storeUrl; }
    void reset()
    {
        exec("DROP SCHEMA IF EXISTS " + m_schema + " CASCADE");
        exec("CREATE SCHEMA " + m_schema);
        exec("CHECKPOINT", true); // a checkpoint of the previous case's writes would land in this one
    }
    SinkTable table(uint64_t *epoch)
    {
        SinkTable t;
        *epoch = 0;
        try {
            pqxx::connection c(m_storeUrl);
            pqxx::nontransaction tx(c);
            const pqxx::result r = tx.exec("SELECT count(*), coalesce(sum(value), 0) FROM window_results");
            t.rows = r[0][0].as<int64_t>();
            t.valueSum = r[0][1].as<int64_t>();
            const pqxx::result e = tx.exec("SELECT epoch FROM sink_commits");
            if (!e.empty())
                *epoch = static_cast<uint64_t>(e[0][0].as<int64_t>());
        } catch (const std::exception &e) {
            sinkFail(std::string("postgres: ") + e.what());
        }
        return t;
    }

private:
    void exec(const std::string &sql, bool mayFail = false)
    {
        try {
            pqxx::connection c(m_url);
            pqxx::nontransaction tx(c);
            tx.exec(sql);
        } catch (const std::exception &e) {
            if (!mayFail)
                sinkFail(std::string("postgres: ") + sql + ": " + e.what());
        }
    }

    std::string m_url;
    std::string m_schema;
    std::string m_storeUrl;
};

// Checks a case's result: the table the rows must leave, and in exactly-once mode the last epoch.
void checkSinkCase(const std::string &label, const SinkTable &got, const SinkTable &want, uint64_t epoch,
                   uint64_t wantEpoch)
{
    if (got == want && epoch == wantEpoch)
        return;
    sinkFail(label + ": the database holds " + std::to_string(got.rows) + " rows (value sum " +
             std::to_string(got.valueSum) + "), epoch " + std::to_string(epoch) + "; expected " +
             std::to_string(want.rows) + " rows (value sum " + std::to_string(want.valueSum) + "), epoch " +
             std::to_string(wantEpoch));
}

// Rows per case, so that each takes 1-3 s on the 2-core development machine: the first rows of
// the suite's input (at most `rows`), more for the faster stores and batch sizes.
size_t sinkCaseRows(const std::string &store, size_t batch, size_t rows)
{
    if (store == "postgres")
        return batch <= 100 ? rows / 8 : rows / 2;
    return batch <= 100 ? rows / 4 : rows;
}

std::vector<BenchResult> sinkSuite(const std::string &postgresUrl, uint64_t rowCount)
{
    const std::vector<OutputRow> rows = sinkRows(rowCount);
    const SinkTable want = expectedTable(rows);
    std::vector<BenchResult> r;

    // Baseline: the whole pipeline over the in-memory store, ten times the rows (it is fast).
    double baseline = 0;
    {
        std::vector<OutputRow> many;
        for (int i = 0; i < 10; ++i)
            many.insert(many.end(), rows.begin(), rows.end());
        absl::flat_hash_map<SinkRowKey, int64_t> table;
        const SinkCase c = runSinkCase(std::make_unique<MemoryStore>(table), "memory", Delivery::AtLeastOnce, 10000,
                                       std::move(many));
        SinkTable got;
        for (const auto &[key, value] : table) {
            ++got.rows;
            got.valueSum += value;
        }
        checkSinkCase("sink.baseline.memory", got, want, 0, 0);
        baseline = c.rowsPerSecond;
        r.push_back({"sink.baseline.memory.rows_per_s", baseline, "rows/s", "1.000 x baseline"});
    }

    std::vector<std::string> stores = {"sqlite"};
    if (postgresUrl.empty())
        std::printf("sink: postgres rows skipped: no --postgres URL given\n");
    else
        stores.push_back("postgres");
    std::unique_ptr<PostgresBenchSchema> schema;
    if (!postgresUrl.empty()) {
        schema = std::make_unique<PostgresBenchSchema>(postgresUrl);
        schema->reset(); // fails now, not after the SQLite cases, when the server cannot be reached
    }

    double headline[2] = {0, 0};
    for (const std::string &store : stores) {
        for (const Delivery delivery : {Delivery::ExactlyOnce, Delivery::AtLeastOnce}) {
            for (const size_t batch : {size_t{100}, size_t{1000}, size_t{10000}}) {
                const std::string label =
                    "sink." + store + "." + std::string(deliveryName(delivery)) + ".b" + std::to_string(batch);
                const size_t n = std::max<size_t>(1, sinkCaseRows(store, batch, rows.size()));
                const std::vector<OutputRow> input(rows.begin(), rows.begin() + static_cast<ptrdiff_t>(n));
                const uint64_t wantEpoch = delivery == Delivery::ExactlyOnce ? (n + batch - 1) / batch : 0;
                SinkCase c;
                SinkTable got;
                uint64_t epoch = 0;
                if (store == "sqlite") {
                    const TempFolder folder;
                    const std::string path = (folder.path() / "bench.db").string();
                    auto opened = SqliteStore::open(path);
                    if (!opened)
                        sinkFail(opened.status().toString());
                    c = runSinkCase(std::move(opened).value(), store, delivery, batch, input);
                    got = sqliteTable(path, &epoch);
                } else {
                    schema->reset();
                    PostgresStoreOptions options;
                    options.url = schema->storeUrl();
                    auto opened = PostgresStore::open(options);
                    if (!opened)
                        sinkFail(opened.status().toString());
                    c = runSinkCase(std::move(opened).value(), store, delivery, batch, input);
                    got = schema->table(&epoch);
                }
                checkSinkCase(label, got, n == rows.size() ? want : expectedTable(input), epoch, wantEpoch);
                std::fprintf(stderr, "sink: %s %s b%zu: %zu rows in %.2f s, %.0f rows per transaction\n",
                             store.c_str(), std::string(deliveryName(delivery)).c_str(), batch, n,
                             static_cast<double>(n) / c.rowsPerSecond, c.rowsPerTransaction);
                char ratio[64];
                std::snprintf(ratio, sizeof ratio, "%.3f x baseline", c.rowsPerSecond / baseline);
                r.push_back({label + ".rows_per_s", c.rowsPerSecond, "rows/s", ratio});
                r.push_back({label + ".p50_ms", c.p50Ms, "ms"});
                r.push_back({label + ".p99_ms", c.p99Ms, "ms"});
                if (delivery == Delivery::AtLeastOnce && batch == 10000)
                    headline[store == "sqlite" ? 0 : 1] = c.rowsPerSecond;
            }
        }
    }
    // The headline figures: at-least-once at batch 10,000.
    for (size_t i = 0; i < stores.size(); ++i) {
        const double target = i == 0 ? 300000 : 100000;
        char note[96];
        std::snprintf(note, sizeof note, "%.3f x baseline; target >= %.0fK: %s", headline[i] / baseline, target / 1000,
                      headline[i] >= target ? "met" : "MISSED");
        r.push_back({"sink." + stores[i] + ".b10000.rows_per_s", headline[i], "rows/s", note});
    }
    return r;
}

// The capacity suite: how well the console's headroom figure (models/capacity.h) predicts what
// the job sustains. At each fixed generator rate the job runs 8 s, sampled once a second as the
// console does, and predicts its sustainable rate; then the pace rises 20% every 2 s until the
// stream falls behind its schedule by a tenth of a step's records, and the rate delivered in that
// step is what the job sustains. Reported: each prediction over the sustained rate.
std::vector<BenchResult> capacitySuite()
{
    std::vector<BenchResult> r;
    const double cores = availableCores();
    for (const double fixedRate : {200000.0, 600000.0, 1000000.0}) {
        MetricsRegistry metrics;
        SteadyClock clock;
        JobConfig config;
        config.source.generator.eventsPerSecond = fixedRate;
        config.source.generator.serialized = true; // decoded as records from Kafka are
        config.source.generator.eventTimeRate = fixedRate; // event time about as fast as the wall clock
        config.output.type = OutputConfig::Type::None;
        config.checkpoint.enabled = false;
        auto generator = std::make_unique<GeneratorSource>(config.source.generator);
        GeneratorSource *source = generator.get();
        Job job(config, std::move(generator), nullptr, metrics, clock);
        if (!job.start().isOk())
            throw std::runtime_error("capacity: the job did not start");
        ConsoleSnapshot last = consoleSnapshotFromStatus(job.status(), false, nullptr, clock.nowMs());
        for (int i = 0; i < 8; ++i) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            last = consoleSnapshotFromStatus(job.status(), false, &last, clock.nowMs());
            last.cores = cores;
        }
        const std::optional<CapacityEstimate> predicted = last.capacityNow();
        double rate = fixedRate, sustained = 0;
        for (int step = 0; step < 40 && sustained == 0; ++step) {
            rate *= 1.2;
            source->setEventsPerSecond(rate);
            const uint64_t before = job.status().recordsIn;
            const auto t0 = std::chrono::steady_clock::now();
            std::this_thread::sleep_for(std::chrono::seconds(2));
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (static_cast<double>(source->behindSchedule()) > 0.1 * rate * seconds)
                sustained = static_cast<double>(job.status().recordsIn - before) / seconds;
        }
        job.requestStop();
        if (const Status s = job.waitFinished(); !s.isOk())
            throw std::runtime_error("capacity: the job failed: " + s.toString());
        const std::string label = "capacity.at_" + std::to_string(static_cast<int>(fixedRate / 1000)) + "k";
        const double prediction = predicted ? predicted->sustainableRecordsPerSecond : 0;
        char note[96];
        std::snprintf(note, sizeof note, "limited by %s", predicted ? predicted->limitedBy.c_str() : "(no estimate)");
        r.push_back({label + ".predicted_records_per_s", prediction, "records/s", note});
        r.push_back({label + ".sustained_records_per_s", sustained, "records/s"});
        std::snprintf(note, sizeof note, "target within 0.75..1.25: %s",
                      sustained > 0 && std::abs(prediction / sustained - 1) <= 0.25 ? "met" : "MISSED");
        r.push_back({label + ".ratio", sustained > 0 ? prediction / sustained : 0, "", note});
    }
    return r;
}

void printTable(const std::string &suite, const std::vector<BenchResult> &results)
{
    int width = 40;
    for (const auto &r : results)
        width = std::max(width, static_cast<int>(r.name.size()));
    std::printf("%-*s %18s  %s\n", width, ("suite " + suite).c_str(), "value", "unit");
    for (const auto &r : results) {
        if (r.note.empty())
            std::printf("%-*s %18.3f  %s\n", width, r.name.c_str(), r.value, r.unit.c_str());
        else
            std::printf("%-*s %18.3f  %-9s %s\n", width, r.name.c_str(), r.value, r.unit.c_str(), r.note.c_str());
    }
}

bool writeJson(const std::string &path, const std::string &suite, const std::vector<BenchResult> &results)
{
    std::ofstream out(path);
    if (!out)
        return false;
    out << "{\"suite\": \"" << suite << "\", \"results\": [";
    for (size_t i = 0; i < results.size(); ++i) {
        char value[64];
        std::snprintf(value, sizeof value, "%.6g", results[i].value);
        out << (i ? ", " : "") << "{\"name\": \"" << results[i].name << "\", \"value\": " << value
            << ", \"unit\": \"" << results[i].unit << "\"}";
    }
    out << "]}\n";
    return static_cast<bool>(out);
}

int usage()
{
    std::fprintf(stderr, "usage: tally-bench --suite engine [--json FILE] [--events N]\n"
                         "       tally-bench --suite kafka --bootstrap HOST:PORT [--json FILE] [--events N]\n"
                         "       tally-bench --suite sink [--postgres URL] [--json FILE] [--rows N]\n"
                         "       tally-bench --suite checkpoint [--json FILE] [--events N]\n"
                         "       tally-bench --suite checkpoint-overhead [--json FILE] [--events N]\n"
                         "       tally-bench --suite capacity [--json FILE]\n");
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    std::string suite, jsonPath, bootstrap, postgres;
    uint64_t events = 8'000'000;
    uint64_t rows = 200'000;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--suite" && i + 1 < argc)
            suite = argv[++i];
        else if (arg == "--json" && i + 1 < argc)
            jsonPath = argv[++i];
        else if (arg == "--bootstrap" && i + 1 < argc)
            bootstrap = argv[++i];
        else if (arg == "--events" && i + 1 < argc)
            events = std::stoull(argv[++i]);
        else if (arg == "--postgres" && i + 1 < argc)
            postgres = argv[++i];
        else if (arg == "--rows" && i + 1 < argc)
            rows = std::stoull(argv[++i]);
        else
            return usage();
    }
    std::vector<BenchResult> results;
    if (suite == "engine")
        results = engineSuite(events);
    else if (suite == "checkpoint")
        results = checkpointSuite(events);
    else if (suite == "checkpoint-overhead") // the checkpoint suite's last part: minutes less
        results = checkpointOverhead(events);
    else if (suite == "capacity") {
        try {
            results = capacitySuite();
        } catch (const std::exception &e) {
            std::fprintf(stderr, "tally-bench: %s\n", e.what());
            return 1;
        }
    }
    else if (suite == "kafka" && !bootstrap.empty())
        results = kafkaSuite(bootstrap, events == 8'000'000 ? 10'000'000 : events);
    else if (suite == "sink" && rows > 0) {
        try {
            results = sinkSuite(postgres, rows);
        } catch (const std::exception &e) {
            std::fprintf(stderr, "tally-bench: %s\n", e.what());
            return 1;
        }
    }
    else
        return usage();
    printTable(suite, results);
    if (!jsonPath.empty() && !writeJson(jsonPath, suite, results)) {
        std::fprintf(stderr, "tally-bench: cannot write %s\n", jsonPath.c_str());
        return 1;
    }
    return 0;
}
