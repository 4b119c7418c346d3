#include "checkpoint/snapshot_writer.h"

#include <chrono>
#include <cstdio>

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
        Savepoint &sp = *work->state;
        for (auto &part : work->parts) {
            KeyedStateSnapshot taken;
            part(taken);
            sp.state.merge(std::move(taken));
        }
        work->parts.clear(); // lets go of the tasks' copies and database snapshots
        sp.state.canonicalize();
        SnapshotResult result;
        result.epoch = work->epoch;
        result.checkpoint = work->checkpoint;
        result.savepoint = work->savepoint;
        result.alignmentUs = work->alignmentUs;
        result.syncUs = work->syncUs;
        if (work->checkpoint) {
            if (m_checkpointWanted(work->epoch))
                result.checkpointFile = writeSavepointFile(m_checkpointDir, "checkpoint", sp);
            else
                result.checkpointFile = Status::aborted("the checkpoint failed before it was written");
        }
        if (work->savepoint) {
            result.savepointFile = writeSavepointFile(m_savepointDir, "savepoint", sp);
            if (result.savepointFile)
                fprintf(stderr, "tally: savepoint %s (epoch %llu, %zu state records)\n", result.savepointFile->c_str(),
                        static_cast<unsigned long long>(sp.epoch), sp.state.recordCount());
        }
        result.asyncUs = steadyNowUs() - t0;
        result.state = std::move(work->state);
        m_done(result);
    }
}

} // namespace tally
