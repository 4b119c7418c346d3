#include "checkpoint/checkpoint_coordinator.h"

#include "util/sync_point.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace tally {

namespace {

int64_t wallNowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

constexpr size_t kHistoryLength = 50;

} // namespace

CheckpointCoordinator::CheckpointCoordinator(const CheckpointConfig &config, int tasks, MetricsRegistry &m, const Clock &clock,
                                             FatalHandler onFatal)
    : m_config(config), m_tasks(tasks), m_clock(clock), m_onFatal(std::move(onFatal)),
      m_writer(
          config.dir, config.savepointDir,
          [this](uint64_t epoch) {
              std::lock_guard lock(m_mutex);
              return m_inFlight == epoch;
          },
          [this](const SnapshotResult &r) { written(r); }),
      m_completedTotal(m.counter("tally_checkpoints_total", {{"status", "completed"}}, "Checkpoints by outcome")),
      m_failedTotal(m.counter("tally_checkpoints_total", {{"status", "failed"}}, "Checkpoints by outcome")),
      m_restoreFallbacks(m.counter("tally_checkpoint_restore_fallbacks_total", {},
                                   "Damaged checkpoints skipped at restore for an older one")),
      m_durationMs(m.histogram("tally_checkpoint_duration_ms", {}, "Barrier to checkpoint file on disk")),
      m_sizeBytes(m.gauge("tally_checkpoint_size_bytes", {}, "Bytes the newest checkpoint wrote")),
      m_fullSizeBytes(m.gauge("tally_checkpoint_full_size_bytes", {},
                              "Bytes of every file the newest checkpoint's state is built from: the checkpointed state")),
      m_chainLength(m.gauge("tally_checkpoint_chain_length", {},
                            "Incremental checkpoints since the full one the newest checkpoint is built from (of files: the most cache parts a task replays before its own)")),
      m_stateRecords(m.gauge("tally_checkpoint_state_records", {}, "Keyed state records the newest checkpoint wrote: all of them, or those changed")),
      m_lastEpoch(m.gauge("tally_checkpoint_last_epoch", {}, "Epoch of the newest completed checkpoint")),
      m_metrics(m)
{
    m.gauge("tally_checkpoint_interval_ms", {}, "The epoch (and checkpoint) interval")
        .set(static_cast<double>(config.intervalMs));
}

CheckpointCoordinator::~CheckpointCoordinator() { finish(); }

Result<std::optional<CheckpointFile>> CheckpointCoordinator::latestCheckpoint()
{
    std::vector<std::string> skipped;
    std::optional<CheckpointFile> latest = tally::latestCheckpoint(m_config.dir, skipped);
    for (const std::string &why : skipped) {
        m_restoreFallbacks.add();
        fprintf(stderr, "tally: %s; falling back to an older checkpoint\n", why.c_str());
    }
    // Starting over would count the stream's start again into a sink that already holds it.
    if (!latest && !skipped.empty())
        return Status::corruption("no checkpoint in " + m_config.dir + " restores (" + std::to_string(skipped.size()) +
                                  " tried, the newest: " + skipped.front() +
                                  "); restore a savepoint with --restore, or move the folder away to start from the "
                                  "beginning of the stream");
    return latest;
}

void CheckpointCoordinator::setTaskCheckpoints(TaskCheckpoints mode)
{
    std::lock_guard lock(m_mutex);
    m_taskCheckpoints = mode;
}

void CheckpointCoordinator::restored(std::optional<CheckpointChain> chain)
{
    std::lock_guard lock(m_mutex);
    m_needWhole = !chain;
    m_chain = chain ? std::move(*chain) : CheckpointChain{};
    m_cacheDepths.clear(); // restored tasks hand over all of their cache first
}

void CheckpointCoordinator::start()
{
    if (m_config.enabled)
        if (const size_t removed = removeUnfinishedCheckpoints(m_config.dir))
            fprintf(stderr, "tally: removed %zu unfinished checkpoint file(s) from %s\n", removed, m_config.dir.c_str());
    m_writer.start();
    m_timer = std::thread([this] { runTimer(); });
}

void CheckpointCoordinator::finish()
{
    m_writer.finish();
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        for (auto &[stop, done] : m_savepointRequests)
            done.set_value(Status::aborted("the job ended before the savepoint's barrier went through"));
        m_savepointRequests.clear();
        m_savepointsToTrigger = 0;
    }
    m_changed.notify_all();
    if (m_timer.joinable())
        m_timer.join();
}

std::future<Result<std::string>> CheckpointCoordinator::requestSavepoint(bool stop)
{
    std::lock_guard lock(m_mutex);
    std::promise<Result<std::string>> p;
    auto f = p.get_future();
    if (m_stopping) {
        p.set_value(Status::aborted("the job has stopped"));
        return f;
    }
    m_savepointRequests.emplace_back(stop, std::move(p));
    ++m_savepointsToTrigger;
    return f;
}

BarrierPlan CheckpointCoordinator::trigger(uint64_t epoch, bool intervalDue, const std::function<Savepoint()> &ingestPart)
{
    BarrierPlan plan;
    {
        std::lock_guard lock(m_mutex);
        // One checkpoint at a time, and checkpoint.min_pause_ms from the end of one to the next,
        // so a slow checkpoint cannot make the job do nothing but checkpoint.
        const int64_t now = m_clock.nowMs();
        const bool mayStart = !m_inFlight && (!m_lastEndedMs || now - *m_lastEndedMs >= m_config.minPauseMs);
        // With checkpoints on, a savepoint barrier is a checkpoint too, so a job restarted from
        // checkpoint.dir goes on from the savepoint (a stop with savepoint, a rescale), not from
        // before it: while no checkpoint may start, the savepoint waits for a later barrier.
        if (m_savepointsToTrigger > 0 && (!m_config.enabled || mayStart)) {
            plan.savepoint = true;
            // Requests are answered in order; this barrier answers the oldest one not yet taken.
            const size_t index = m_savepointRequests.size() - m_savepointsToTrigger;
            plan.stop = m_savepointRequests[index].first;
            --m_savepointsToTrigger;
        }
        plan.checkpoint = m_config.enabled && mayStart && (intervalDue || plan.savepoint);
        if (!plan.snapshot())
            return plan;
        if (!plan.checkpoint || m_taskCheckpoints == TaskCheckpoints::Whole)
            plan.tasks = TaskSnapshot::Whole;
        else if (m_taskCheckpoints == TaskCheckpoints::Files)
            plan.tasks = plan.savepoint                                ? TaskSnapshot::Whole // a savepoint is portable
                         : m_needWhole || cacheChainDueForWriteLocked() ? TaskSnapshot::FilesCacheWritten
                                                                         : TaskSnapshot::Files;
        else
            plan.tasks = m_needWhole || plan.savepoint || chainDueForFullLocked() ? TaskSnapshot::WholeNewBase
                                                                                 : TaskSnapshot::Changes;
        if (plan.checkpoint) {
            m_inFlight = epoch;
            m_inFlightSinceMs = now;
        }
    }
    Pending pending;
    pending.plan = plan;
    pending.savepoint = std::make_shared<Savepoint>(ingestPart());
    pending.triggeredMs = m_clock.nowMs();
    std::lock_guard lock(m_mutex);
    m_pending.emplace(epoch, std::move(pending));
    return plan;
}

void CheckpointCoordinator::acknowledge(uint64_t epoch, StatePart part,
                                        int64_t alignmentUs, int64_t syncUs,
                                        const std::function<std::vector<OutputRow>()> &pendingRows)
{
    SnapshotWork work;
    {
        std::lock_guard lock(m_mutex);
        const auto it = m_pending.find(epoch);
        if (it == m_pending.end())
            return; // its checkpoint failed (timed out) and it was no savepoint
        Pending &p = it->second;
        p.parts.push_back(std::move(part));
        p.alignmentUs = std::max(p.alignmentUs, alignmentUs);
        p.syncUs = std::max(p.syncUs, syncUs);
        if (++p.acknowledged < m_tasks)
            return;
        work.epoch = epoch;
        work.checkpoint = p.plan.checkpoint;
        work.savepoint = p.plan.savepoint;
        work.state = std::move(p.savepoint);
        work.parts = std::move(p.parts);
        work.previous = m_chain;
        work.previousCacheDepths = m_cacheDepths;
        work.alignmentUs = p.alignmentUs;
        work.syncUs = p.syncUs;
        m_pending.erase(it);
    }
    work.state->pendingRows = pendingRows();
    m_writer.submit(std::move(work));
}

void CheckpointCoordinator::written(const SnapshotResult &r)
{
    std::vector<std::string> fatal;
    std::optional<std::promise<Result<std::string>>> answer;
    std::optional<CheckpointChain> prune; // after a completed checkpoint: the chain to keep
    {
        std::lock_guard lock(m_mutex);
        if (r.savepoint && !m_savepointRequests.empty()) {
            answer = std::move(m_savepointRequests.front().second);
            m_savepointRequests.pop_front();
        }
        if (r.checkpoint && m_inFlight == r.epoch) {
            if (!r.checkpointFile) {
                failLocked(r.epoch, *r.state, r.checkpointFile.status().message(), fatal);
            } else {
                CheckpointRecord record;
                record.epoch = r.epoch;
                record.triggeredAtMs = r.state->takenAtMs;
                record.durationMs = std::max<int64_t>(0, m_clock.nowMs() - m_inFlightSinceMs);
                record.alignmentMs = r.alignmentUs / 1000.0;
                record.syncMs = r.syncUs / 1000.0;
                record.asyncMs = r.asyncUs / 1000.0;
                record.stateRecords = r.stateRecords;
                record.completed = true;
                record.incremental = r.sharedFiles > 0;
                record.sharedFiles = r.sharedFiles;
                record.sizeBytes = r.writtenBytes;
                for (const CheckpointLink &link : r.chain)
                    record.fullSizeBytes += link.bytes;
                m_chain = r.chain;
                m_cacheDepths = r.cacheDepths;
                m_needWhole = false;
                m_consecutiveFailures = 0;
                m_completedTotal.add();
                ++m_completed;
                m_durationMs.record(static_cast<uint64_t>(record.durationMs));
                m_stateRecords.set(static_cast<double>(record.stateRecords));
                m_sizeBytes.set(static_cast<double>(record.sizeBytes));
                m_fullSizeBytes.set(static_cast<double>(record.fullSizeBytes));
                m_chainLength.set(r.stateFiles ? (r.cacheDepths.empty() ? 0.0 : *std::max_element(r.cacheDepths.begin(), r.cacheDepths.end()))
                                               : static_cast<double>(record.sharedFiles));
                m_lastEpoch.set(static_cast<double>(r.epoch));
                // Registered at the first success: before it there is no such time (no 0 = 1970).
                if (!m_lastSuccessAtMs)
                    m_lastSuccessAtMs = &m_metrics.gauge("tally_last_checkpoint_success_timestamp_ms", {},
                                                         "When the newest checkpoint completed, since the Unix epoch");
                m_lastSuccessAtMs->set(static_cast<double>(record.triggeredAtMs + record.durationMs));
                m_lastCompletedEpoch = r.epoch;
                m_inFlight.reset();
                m_lastEndedMs = m_clock.nowMs();
                recordLocked(std::move(record));
                prune = m_chain;
            }
        } else if (r.checkpoint && r.checkpointFile) {
            // Written after its checkpoint had failed: it must not be restored from.
            std::error_code ignored;
            std::filesystem::remove(*r.checkpointFile, ignored);
        }
    }
    // Outside the lock: it reads the retained checkpoints' chains. This is the writer's thread, so
    // no other checkpoint file is written meanwhile.
    if (prune)
        pruneCheckpoints(m_config.dir, static_cast<size_t>(m_config.retained), *prune);
    m_changed.notify_all();
    if (answer)
        answer->set_value(r.savepointFile);
    for (std::string &why : fatal)
        m_onFatal(std::move(why));
    if (r.checkpoint)
        SyncPoints::process("CheckpointCoordinator::written");
}

void CheckpointCoordinator::failLocked(uint64_t epoch, const Savepoint &checkpoint, std::string why,
                                       std::vector<std::string> &fatal)
{
    CheckpointRecord record;
    record.epoch = epoch;
    record.triggeredAtMs = checkpoint.takenAtMs;
    record.durationMs = std::max<int64_t>(0, m_clock.nowMs() - m_inFlightSinceMs);
    record.failure = why;
    fprintf(stderr, "tally: checkpoint %llu failed: %s\n", static_cast<unsigned long long>(epoch), why.c_str());
    m_needWhole = m_taskCheckpoints != TaskCheckpoints::Whole; // the changes the tasks handed over are not stored
    m_failedTotal.add();
    ++m_failed;
    m_inFlight.reset();
    m_lastEndedMs = m_clock.nowMs();
    recordLocked(std::move(record));
    if (++m_consecutiveFailures > m_config.tolerableFailures && !m_fatalReported) {
        // As Flink does: a job that cannot checkpoint would lose more on its next crash with
        // every epoch, so it stops rather than run on unprotected.
        m_fatalReported = true;
        fatal.push_back(std::to_string(m_consecutiveFailures) + " checkpoints failed in a row (checkpoint.tolerable_failures " +
                        std::to_string(m_config.tolerableFailures) + "), the last: " + why);
    }
}

bool CheckpointCoordinator::cacheChainDueForWriteLocked() const
{
    // The earlier checkpoints of files whose cache parts the newest one needs: a restore replays
    // them all, and retention keeps them. Past checkpoint.full_every of them, or once their bytes
    // outweigh the tables (and a floor, so that a small state does not write its cache at every
    // checkpoint), the tasks write their caches and the chain starts again.
    constexpr uint64_t kCacheChainFloorBytes = 64 << 20;
    int earlier = -1; // the newest itself is in the chain
    uint64_t earlierBytes = 0, tableBytes = 0;
    for (const CheckpointLink &link : m_chain) {
        if (isTable(link)) {
            tableBytes += link.bytes;
        } else {
            ++earlier;
            earlierBytes += link.bytes;
        }
    }
    if (earlier <= 0)
        return false;
    earlierBytes -= m_chain.back().bytes;
    return earlier >= m_config.fullEvery || earlierBytes >= std::max(tableBytes, kCacheChainFloorBytes);
}

bool CheckpointCoordinator::chainDueForFullLocked() const
{
    if (m_chain.empty())
        return false; // the first checkpoint: its changes are the whole state
    if (static_cast<int>(m_chain.size()) > m_config.fullEvery)
        return true;
    uint64_t changedBytes = 0;
    for (size_t i = 1; i < m_chain.size(); ++i)
        changedBytes += m_chain[i].bytes;
    return changedBytes >= m_chain.front().bytes;
}

void CheckpointCoordinator::recordLocked(CheckpointRecord record)
{
    m_history.push_front(std::move(record));
    if (m_history.size() > kHistoryLength)
        m_history.pop_back();
}

void CheckpointCoordinator::runTimer()
{
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
        // The clock may be a test's manual clock, so the deadline is checked, not slept to.
        m_changed.wait_for(lock, std::chrono::milliseconds(10));
        if (!m_inFlight)
            continue;
        const int64_t elapsed = m_clock.nowMs() - m_inFlightSinceMs;
        if (elapsed <= m_config.timeoutMs)
            continue;
        const uint64_t epoch = *m_inFlight;
        std::vector<std::string> fatal;
        Savepoint barrier;
        barrier.takenAtMs = wallNowMs() - elapsed;
        if (auto it = m_pending.find(epoch); it != m_pending.end()) {
            barrier.takenAtMs = it->second.savepoint->takenAtMs;
            // Its parts are dropped as they come; a savepoint on the same barrier goes on.
            if (it->second.plan.savepoint)
                it->second.plan.checkpoint = false;
            else
                m_pending.erase(it);
        }
        failLocked(epoch, barrier,
                   "expired: " + std::to_string(elapsed) + " ms after its barrier (checkpoint.timeout_ms " +
                       std::to_string(m_config.timeoutMs) + ")",
                   fatal);
        lock.unlock();
        m_changed.notify_all();
        for (std::string &why : fatal)
            m_onFatal(std::move(why));
        lock.lock();
    }
}

uint64_t CheckpointCoordinator::lastCompletedEpoch() const
{
    std::lock_guard lock(m_mutex);
    return m_lastCompletedEpoch;
}

std::vector<CheckpointRecord> CheckpointCoordinator::history() const
{
    std::lock_guard lock(m_mutex);
    return {m_history.begin(), m_history.end()};
}

bool CheckpointCoordinator::awaitCompleted(uint64_t count, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout, [&] { return m_completed >= count; });
}

bool CheckpointCoordinator::awaitFailed(uint64_t count, std::chrono::milliseconds timeout) const
{
    std::unique_lock lock(m_mutex);
    return m_changed.wait_for(lock, timeout, [&] { return m_failed >= count; });
}

} // namespace tally
