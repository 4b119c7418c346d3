#include "models/action_checks.h"

#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "metrics/process_metrics.h"
#include "runtime/config_fingerprint.h"
#include "runtime/job_builder.h"
#include "state/key_groups.h"
#include "util/folders.h"

#include <cmath>
#include <cstdio>

namespace tally {

namespace {

// Estimates, generous on purpose: a check that passes must not leave the action short.
constexpr double kSavepointBytesPerCount = 12;  // ~5.4 in the compact format, twice that
constexpr double kHeapBytesPerCount = 40;       // a 16-byte slot at the hash tables' load, plus the restore's buffers
constexpr double kRocksDbBytesPerCount = 16;    // SST files, before compression
constexpr double kDivertBytesPerRow = 256;      // a result row in the divert buffer
constexpr double kDivertFloorBytes = 64 << 20;  // room for the rows of an outage to come
constexpr double kSpareBytes = 1 << 20;

std::string bytesText(double bytes)
{
    const char *units[] = {"bytes", "KB", "MB", "GB", "TB"};
    int unit = 0;
    while (bytes >= 1000 && unit < 4) {
        bytes /= 1000;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
    return text;
}

CheckResult passed(const char *name, std::string detail) { return {name, CheckResult::State::Passed, std::move(detail)}; }
CheckResult failed(const char *name, std::string detail) { return {name, CheckResult::State::Failed, std::move(detail)}; }
CheckResult unknown(const char *name, std::string detail) { return {name, CheckResult::State::Unknown, std::move(detail)}; }

// The restore point a restore's checks read, once.
struct RestorePointRead {
    Result<Savepoint> savepoint = Status::notFound("not read");
    uint64_t records = 0; // 0: not known
};

CheckResult freeSpace(const char *name, const std::string &folder, const char *what, double needed)
{
    const std::optional<DiskSpace> space = diskSpaceOf(folder);
    if (!space)
        return unknown(name, std::string("the free space of ") + what + " " + folder + " cannot be read");
    const std::string found = bytesText(space->freeBytes) + " free in " + folder + ", about " + bytesText(needed) + " needed";
    return space->freeBytes >= needed ? passed(name, found) : failed(name, std::string(what) + " is too full: " + found);
}

CheckResult foldersWritable(const ActionContext &c)
{
    constexpr const char *name = "folders_writable";
    if (Status s = checkWritableFolder(c.config.checkpoint.savepointDir, "checkpoint.savepoint_dir"); !s.isOk())
        return failed(name, s.message());
    if (c.action == OperatorAction::Rescale || c.action == OperatorAction::Restore)
        if (Status s = checkJobCanStart(c.config); !s.isOk())
            return failed(name, s.message());
    return passed(name, "the savepoint" + std::string(c.config.checkpoint.enabled ? ", checkpoint" : "") +
                            (c.config.state.backend == StateConfig::Backend::RocksDb ? " and state" : "") + " folders take files");
}

CheckResult parallelismInBounds(const ActionContext &c)
{
    constexpr const char *name = "parallelism_in_bounds";
    if (c.parallelism < 1 || c.parallelism > kMaxParallelism)
        return failed(name, "parallelism " + std::to_string(c.parallelism) + " is not between 1 and " + std::to_string(kMaxParallelism));
    return passed(name, std::to_string(c.parallelism) + " window tasks (now " + std::to_string(c.config.runtime.parallelism) + ")");
}

CheckResult restorePointFits(const ActionContext &c, const RestorePointRead &read)
{
    constexpr const char *name = "restore_point_fits";
    if (!read.savepoint)
        return failed(name, c.restoreFrom + " does not read back: " + read.savepoint.status().message());
    if (const std::string difference = fingerprintDifference(read.savepoint->fingerprint, configFingerprint(c.config)); !difference.empty())
        return failed(name, c.restoreFrom + " does not fit this job: " + difference);
    return passed(name, c.restoreFrom + " reads back whole (epoch " + std::to_string(read.savepoint->epoch) + ") and fits this job");
}

CheckResult positionsRetained(const ActionContext &c, const RestorePointRead &read)
{
    constexpr const char *name = "positions_retained";
    if (c.config.source.type != SourceConfig::Type::Kafka)
        return passed(name, "the generator: every position can be read again");
    if (!read.savepoint)
        return unknown(name, "the restore point does not read back, so its positions are not known");
    const Status s = checkPositionsRetained(c.config.source.kafka, c.restoreFrom, read.savepoint->sourcePositions);
    if (s.code() == Status::Code::Unavailable)
        return unknown(name, s.message());
    if (!s.isOk())
        return failed(name, s.message());
    return passed(name, "topic " + c.config.source.kafka.topic + " still holds every position of " + c.restoreFrom);
}

// The counts the new job will hold: the restore point's, else the running job's.
double countsAfter(const ActionContext &c, const RestorePointRead *read)
{
    if (read && read->savepoint && read->records > 0)
        return static_cast<double>(read->records);
    return static_cast<double>(c.stateRecords);
}

CheckResult stateFitsMemory(const ActionContext &c, const RestorePointRead *read)
{
    constexpr const char *name = "state_fits_memory";
    if (!c.memoryLimitBytes)
        return unknown(name, "the memory this process may use cannot be read");
    const double counts = countsAfter(c, read);
    const bool heap = c.config.state.backend == StateConfig::Backend::Heap;
    // RocksDB holds its write-back caches and block caches in memory, the rest on disk.
    const double needed = heap ? counts * kHeapBytesPerCount
                               : static_cast<double>(c.parallelism > 0 ? c.parallelism : c.config.runtime.parallelism) *
                                     (c.config.state.rocksdbCacheKb * 1024.0 + c.config.state.rocksdbBlockCacheMb * 1048576.0);
    // The job before holds its memory until the new one has loaded (its tables go with it).
    const double held = c.residentBytes.value_or(0);
    const std::string found = "about " + bytesText(needed) + " for " + std::to_string(static_cast<uint64_t>(counts)) + " counts (" +
                              (heap ? "heap" : "rocksdb caches") + ") besides the " + bytesText(held) + " the process holds, " +
                              bytesText(*c.memoryLimitBytes) + " allowed (the cgroup's limit, else the machine's memory)";
    return held + needed <= *c.memoryLimitBytes * 0.9 ? passed(name, found) : failed(name, "the state does not fit in memory: " + found);
}

} // namespace

std::string_view checkStateName(CheckResult::State state)
{
    switch (state) {
    case CheckResult::State::Passed:
        return "passed";
    case CheckResult::State::Failed:
        return "failed";
    case CheckResult::State::Unknown:
        return "unknown";
    }
    return "unknown";
}

ActionContext actionContext(OperatorAction action, const JobConfig &config, const ConsoleSnapshot &snapshot)
{
    ActionContext c;
    c.action = action;
    c.config = config;
    c.parallelism = config.runtime.parallelism;
    // The running job's tasks: a rescale down leaves the gauges of the tasks it had beyond them.
    double entries = 0;
    for (int task = 0; task < config.runtime.parallelism; ++task)
        entries += snapshot.metrics.value("tally_state_entries", {{"task", std::to_string(task)}});
    c.stateRecords = static_cast<uint64_t>(std::max(0.0, entries));
    c.residentBytes = snapshot.residentBytes;
    c.memoryLimitBytes = snapshot.memoryLimitBytes;
    c.pendingRows = snapshot.sink.pendingRows;
    c.eventsIn = snapshot.job.eventsIn;
    c.capacity = snapshot.capacity;
    c.cores = snapshot.cores;
    return c;
}

std::vector<std::string> preflightChecks(OperatorAction action)
{
    switch (action) {
    case OperatorAction::TriggerSavepoint:
    case OperatorAction::StopWithSavepoint:
        return {"folders_writable", "savepoint_space"};
    case OperatorAction::Rescale:
        return {"parallelism_in_bounds", "folders_writable", "savepoint_space", "state_fits_memory", "state_folder_space"};
    case OperatorAction::Restore:
        return {"restore_point_fits", "positions_retained", "folders_writable", "savepoint_space", "state_fits_memory",
                "state_folder_space"};
    case OperatorAction::DivertSink:
        return {"divert_space"};
    case OperatorAction::PauseSource:
    case OperatorAction::ResumeSource:
    case OperatorAction::DrainSink:
    case OperatorAction::ResumeSink:
    case OperatorAction::UndivertSink:
        return {};
    }
    return {};
}

std::vector<CheckResult> runPreflight(const ActionContext &c)
{
    std::optional<RestorePointRead> read;
    if (c.action == OperatorAction::Restore) {
        read.emplace();
        read->savepoint = readRestorePoint(c.restoreFrom);
        // A checkpoint of files holds its counts in tables: the running job's count stands in.
        if (read->savepoint && !read->savepoint->files)
            read->records = read->savepoint->state.recordCount();
    }
    const RestorePointRead *restorePoint = read ? &*read : nullptr;
    std::vector<CheckResult> results;
    for (const std::string &check : preflightChecks(c.action)) {
        if (check == "folders_writable")
            results.push_back(foldersWritable(c));
        else if (check == "savepoint_space")
            // A rescale and a restore stop the running job with a savepoint first.
            results.push_back(freeSpace("savepoint_space", c.config.checkpoint.savepointDir, "the savepoint folder",
                                        static_cast<double>(c.stateRecords) * kSavepointBytesPerCount + kSpareBytes));
        else if (check == "parallelism_in_bounds")
            results.push_back(parallelismInBounds(c));
        else if (check == "state_fits_memory")
            results.push_back(stateFitsMemory(c, restorePoint));
        else if (check == "state_folder_space")
            results.push_back(c.config.state.backend == StateConfig::Backend::RocksDb
                                  ? freeSpace("state_folder_space", c.config.state.dir, "the state folder",
                                              countsAfter(c, restorePoint) * kRocksDbBytesPerCount + 64 * kSpareBytes)
                                  : passed("state_folder_space", "the heap backend keeps its state in memory"));
        else if (check == "restore_point_fits")
            results.push_back(restorePointFits(c, *read));
        else if (check == "positions_retained")
            results.push_back(positionsRetained(c, *read));
        else if (check == "divert_space")
            // The buffer takes an outage's rows: room for the pending ones and a floor for more.
            results.push_back(c.config.output.divertPath.empty()
                                  ? failed("divert_space", "no output.divert_path is configured")
                                  : freeSpace("divert_space", c.config.output.divertPath, "the divert folder",
                                              static_cast<double>(c.pendingRows) * kDivertBytesPerRow + kDivertFloorBytes));
    }
    return results;
}

bool preflightPassed(const std::vector<CheckResult> &checks)
{
    for (const CheckResult &c : checks)
        if (c.state != CheckResult::State::Passed)
            return false;
    return true;
}

std::string describeChecks(const std::vector<CheckResult> &checks)
{
    std::string text;
    for (const CheckResult &c : checks)
        text += (text.empty() ? "" : "; ") + c.name + " " + std::string(checkStateName(c.state)) + ": " + c.detail;
    return text;
}

namespace {

std::string recordsPerSecond(double rate)
{
    char text[64];
    std::snprintf(text, sizeof text, "%.0f records/s", rate);
    return text;
}

// " At 4 window tasks this machine sustains about ... (now ...)." when the costs are known.
std::string capacityChange(const ActionContext &c)
{
    if (!c.capacity || !c.cores)
        return {};
    const CapacityEstimate now = estimateCapacity(*c.capacity, c.config.runtime.parallelism, *c.cores);
    const CapacityEstimate after = estimateCapacity(*c.capacity, c.parallelism, *c.cores);
    const auto limit = [](const CapacityEstimate &e) { return e.limitedBy == "cpu" ? std::string("the CPU cores") : e.limitedBy; };
    return " At " + std::to_string(c.parallelism) + " window tasks this machine sustains about " +
           recordsPerSecond(after.sustainableRecordsPerSecond) + ", limited by " + limit(after) + " (now about " +
           recordsPerSecond(now.sustainableRecordsPerSecond) + ", limited by " + limit(now) + "; the input is " +
           recordsPerSecond(now.inputRecordsPerSecond) + ").";
}

} // namespace

std::string dryRun(const ActionContext &c)
{
    const std::string counts = std::to_string(c.stateRecords) + " counts";
    const std::string savepointInto = "a savepoint of about " + counts + " into " + c.config.checkpoint.savepointDir;
    switch (c.action) {
    case OperatorAction::PauseSource:
        return "Stops reading the source; the windows still fire as the watermark allows, and the lag grows until the source resumes.";
    case OperatorAction::ResumeSource:
        return "Reads the source again from where it stopped.";
    case OperatorAction::DrainSink:
        return "Writes the sink's " + std::to_string(c.pendingRows) + " pending rows, then holds new ones until its writes resume.";
    case OperatorAction::ResumeSink:
        return "Lets the sink write again, the rows it held first.";
    case OperatorAction::DivertSink:
        return "While the database cannot be reached, the sink spills its rows (" + std::to_string(c.pendingRows) +
               " pending now) into " + c.config.output.divertPath + " instead of holding them in memory, and replays them into the database once it is back.";
    case OperatorAction::UndivertSink:
        return "The sink holds its rows in memory again while the database cannot be reached; rows already in " + c.config.output.divertPath +
               " are still replayed.";
    case OperatorAction::TriggerSavepoint:
        return "Writes " + savepointInto + " at the next barrier; the job goes on.";
    case OperatorAction::StopWithSavepoint:
        return "Stops the source, writes " + savepointInto + " at the next barrier and ends the job; tally --restore continues from it.";
    case OperatorAction::Rescale:
        return "Stops the job with " + savepointInto + ", then starts " + std::to_string(c.parallelism) + " window tasks (now " +
               std::to_string(c.config.runtime.parallelism) + ") from it in this process; the source waits meanwhile, and the lag it builds is read afterwards." +
               capacityChange(c);
    case OperatorAction::Restore:
        return "Stops the job with " + savepointInto + ", then continues from " + c.restoreFrom +
               " in this process: what came after it is read and counted again.";
    }
    return {};
}

std::optional<Verification> Verification::start(const ActionContext &context, int64_t nowMs)
{
    int64_t forMs = 0;
    switch (context.action) {
    case OperatorAction::PauseSource:
    case OperatorAction::ResumeSource:
        forMs = 10'000;
        break;
    case OperatorAction::DrainSink:
    case OperatorAction::Rescale:
    case OperatorAction::Restore:
        forMs = 60'000;
        break;
    case OperatorAction::ResumeSink:
    case OperatorAction::DivertSink:
        forMs = 30'000;
        break;
    case OperatorAction::UndivertSink:
    case OperatorAction::TriggerSavepoint:  // the file is read back when it is written
    case OperatorAction::StopWithSavepoint: // the same
        return std::nullopt;
    }
    Verification v;
    v.m_action = context.action;
    v.m_startedMs = nowMs;
    v.m_deadlineMs = nowMs + forMs;
    v.m_eventsBefore = context.eventsIn;
    return v;
}

std::optional<Verification::Outcome> Verification::check(const ConsoleSnapshot &now, int64_t nowMs)
{
    const std::string after = " after " + std::to_string((nowMs - m_startedMs + 500) / 1000) + " s";
    const bool timeUp = nowMs >= m_deadlineMs;
    const auto notSeen = [&](const std::string &what) -> std::optional<Outcome> {
        if (!timeUp)
            return std::nullopt;
        return Outcome{false, what + after};
    };
    // A job that ended because its input did (the generator's total, a bounded Kafka read), not
    // one that failed or was stopped.
    const bool inputEnded = now.job.state == JobState::Finished && now.job.failure.empty() && now.job.windowsHandedOverByMs == kMaxWatermark;
    switch (m_action) {
    case OperatorAction::PauseSource:
        if (now.job.state == JobState::Paused)
            return Outcome{true, "the source is paused" + after};
        return notSeen("the source is not paused");
    case OperatorAction::ResumeSource:
        if (now.job.state == JobState::Running && (now.eventsPerSecond > 0 || now.job.eventsIn > m_eventsBefore))
            return Outcome{true, "the source reads again" + after};
        if (inputEnded)
            return Outcome{true, "the input ended"};
        return notSeen("no event was read");
    case OperatorAction::DrainSink: // its rows were written when it succeeded: now it must hold new ones
        if (now.sink.held)
            return Outcome{true, "the sink holds new rows (" + std::to_string(now.sink.pendingRows) + " so far)" + after};
        return notSeen("the sink does not hold its rows");
    case OperatorAction::ResumeSink:
        if (!now.sink.held)
            return Outcome{true, "the sink writes again" + after};
        return notSeen("the sink still holds its rows");
    case OperatorAction::DivertSink:
        if (now.job.sink && now.job.sink->divertEnabled)
            return Outcome{true, "an outage spills to the divert buffer (" + std::to_string(now.sink.divertedRows) + " rows in it)" + after};
        return notSeen("the sink's divert is not on");
    case OperatorAction::Rescale:
    case OperatorAction::Restore: {
        // The new job's counters start from 0: throughput is back once it reads events again; a
        // Kafka job must also be catching up (its total lag going down) or have none.
        if (inputEnded)
            return Outcome{true, "the new job read its input to the end" + after};
        const bool reading = now.job.state == JobState::Running && !now.job.restoring && now.eventsPerSecond > 0;
        bool lagShrinking = true;
        if (now.kafka) {
            // Only samples with every partition's lag count: a partition without a figure yet
            // (a new consumer) is not one without lag.
            double lag = 0;
            bool known = !now.partitions.empty();
            for (const PartitionFigures &p : now.partitions) {
                known = known && p.lagRecords.has_value();
                lag += p.lagRecords.value_or(0);
            }
            if (reading && known && (!m_lowestLag || lag < *m_lowestLag)) {
                m_lagDrops += m_lowestLag ? 1 : 0;
                m_lowestLag = lag;
            }
            lagShrinking = (m_lowestLag && *m_lowestLag == 0) || m_lagDrops >= 2;
        }
        if (reading && lagShrinking) {
            char rate[64];
            std::snprintf(rate, sizeof rate, "%.0f", now.eventsPerSecond);
            return Outcome{true, std::string("the new job reads ") + rate + " events/s" + (now.kafka ? " and its lag shrinks" : "") + after};
        }
        return notSeen(!reading ? "the new job does not read events" : "the new job's lag does not shrink");
    }
    case OperatorAction::UndivertSink:
    case OperatorAction::TriggerSavepoint:
    case OperatorAction::StopWithSavepoint:
        break;
    }
    return Outcome{true, {}};
}

Verification::Outcome verifySavepointFile(const std::string &path)
{
    Result<Savepoint> read = readSavepointFile(path);
    if (!read)
        return {false, path + " does not read back: " + read.status().message()};
    return {true, path + " reads back whole: epoch " + std::to_string(read->epoch) + ", " + std::to_string(read->state.recordCount()) +
                      " counts, " + std::to_string(read->sourcePositions.size()) + " source positions"};
}

} // namespace tally
