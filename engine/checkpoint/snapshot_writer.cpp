#include "checkpoint/snapshot_writer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

namespace tally {

namespace {

int64_t steadyNowUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

SnapshotWriter::SnapshotWriter(std::string checkpointDir, std::string savepointDir,
                               std::function<bool(uint64_t)> checkpointWanted,
                               std::function<void(const SnapshotResult &)> done)
    : m_checkpointDir(std::move(checkpointDir)), m_savepointDir(std::move(savepointDir)),
      m_checkpointWanted(std::move(checkpointWanted)), m_done(std::move(done))
{
}

SnapshotWriter::~SnapshotWriter() { finish(); }

void SnapshotWriter::start()
{
    m_thread = std::thread([this] { run(); });
}

void SnapshotWriter::submit(SnapshotWork work) { m_queue.push(std::move(work)); }

void SnapshotWriter::finish()
{
    if (!m_thread.joinable())
        return;
    m_queue.push(SnapshotWork{});
    m_thread.join();
}

void SnapshotWriter::run()
{
    for (;;) {
        std::optional<SnapshotWork> work = m_queue.pop(std::chrono::milliseconds(100));
        if (!work)
            continue;
        if (!work->state)
            return;
        const int64_t t0 = steadyNowUs();
        SnapshotResult result = write(*work);
        result.asyncUs = steadyNowUs() - t0;
        m_done(result);
    }
}

SnapshotResult SnapshotWriter::write(SnapshotWork &work)
{
    SnapshotResult result;
    result.epoch = work.epoch;
    result.checkpoint = work.checkpoint;
    result.savepoint = work.savepoint;
    result.alignmentUs = work.alignmentUs;
    result.syncUs = work.syncUs;
    Savepoint &sp = *work.state;
    const auto finished = [&] {
        result.state = std::move(work.state);
        return std::move(result);
    };
    const auto failed = [&](const Status &why) {
        if (work.checkpoint)
            result.checkpointFile = why;
        if (work.savepoint)
            result.savepointFile = why;
        return finished();
    };

    KeyedStateChanges changes;
    for (size_t i = 0; i < work.parts.size(); ++i) {
        KeyedStateChanges taken;
        work.parts[i](taken);
        if (i == 0)
            changes = std::move(taken);
        else
            changes.merge(std::move(taken));
    }
    work.parts.clear(); // lets go of the tasks' copies and database snapshots
    // (The barrier's links to the tasks' files go with `changes`: TaskFiles::stagingDir.)
    if (!changes.failure.empty())
        return failed(Status::ioError("a task could not hand over its state: " + changes.failure));
    if (!changes.files.empty()) {
        if (work.savepoint) // the coordinator asks for all of the state at a savepoint
            return failed(Status::internal("a savepoint cannot be built from database files"));
        std::sort(changes.files.begin(), changes.files.end(),
                  [](const TaskFiles &a, const TaskFiles &b) { return a.task < b.task; });
        changes.sortNamespaces();
        if (!m_checkpointWanted(work.epoch)) {
            result.checkpointFile = Status::aborted("the checkpoint failed before it was written");
            return finished();
        }
        auto written = writeFilesCheckpoint(m_checkpointDir, sp, static_cast<int>(changes.files.size()), changes,
                                            work.previous, work.previousCacheDepths);
        if (!written)
            return failed(written.status());
        result.checkpointFile = (std::filesystem::path(m_checkpointDir) / written->chain.back().file).string();
        result.chain = std::move(written->chain);
        result.writtenBytes = written->writtenBytes;
        result.sharedFiles = written->sharedFiles;
        result.stateFiles = true;
        result.cacheDepths = std::move(written->cacheDepths);
        result.stateRecords = written->cacheRecords;
        return finished();
    }
    // Savepoints are canonical (equal state, equal bytes); a checkpoint leaves the sort of its
    // records to the restore, which is rare.
    if (work.savepoint)
        changes.canonicalize();
    else
        changes.sortNamespaces();

    // Changes go on the chain of the checkpoint before; the first checkpoint's changes are the
    // whole state (the tasks started tracking from empty).
    const bool incremental = !changes.complete && !work.previous.empty();
    if (incremental && work.savepoint) // the coordinator asks for all of the state at a savepoint
        return failed(Status::internal("a savepoint cannot be built from changes alone"));
    if (changes.complete) {
        sp.state = std::move(changes.records);
    } else if (!incremental) {
        changes.records.canonicalize();
        applyChanges(sp.state, std::move(changes));
    } else if (!chainPresent(m_checkpointDir, work.previous)) {
        // A file of the chain gone (deleted by hand): nothing can build on it; after the failure
        // the coordinator asks the tasks for all of their state.
        return failed(Status::ioError("a file of the checkpoint before (" + work.previous.back().file +
                                      "'s chain) is missing or changed in " + m_checkpointDir));
    }

    if (work.checkpoint) {
        if (!m_checkpointWanted(work.epoch)) {
            result.checkpointFile = Status::aborted("the checkpoint failed before it was written");
        } else {
            Result<CheckpointLink> link = incremental
                                              ? writeIncrementalCheckpoint(m_checkpointDir, sp, changes, work.previous)
                                              : writeFullCheckpoint(m_checkpointDir, sp);
            if (link) {
                result.checkpointFile = (std::filesystem::path(m_checkpointDir) / link->file).string();
                result.chain = incremental ? work.previous : CheckpointChain{};
                result.chain.push_back(*link);
                result.writtenBytes = link->bytes;
                result.sharedFiles = static_cast<int>(result.chain.size()) - 1;
                result.stateRecords = incremental ? changes.records.recordCount() : sp.state.recordCount();
            } else {
                result.checkpointFile = link.status();
            }
        }
    }
    if (work.savepoint) {
        result.savepointFile = writeSavepointFile(m_savepointDir, "savepoint", sp);
        if (result.savepointFile)
            fprintf(stderr, "tally: savepoint %s (epoch %llu, %zu state records)\n", result.savepointFile->c_str(),
                    static_cast<unsigned long long>(sp.epoch), sp.state.recordCount());
    }
    return finished();
}

} // namespace tally
