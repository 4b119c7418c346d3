// The checkpoint coordinator owns the checkpoint protocol of one job, as Flink's
// CheckpointCoordinator does: at each epoch barrier it decides whether the barrier takes a
// checkpoint and/or a savepoint, collects every task's acknowledgement (its part of the state),
// hands a complete snapshot to the snapshot writer, fails a checkpoint that is not on disk
// checkpoint.timeout_ms after its barrier wherever it is stuck (alignment, a task, the writer),
// and applies the minimum pause, the tolerable consecutive failures and the retention.
#pragma once

#include "checkpoint/checkpoint_config.h"
#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "checkpoint/snapshot_writer.h"
#include "metrics/metrics.h"
#include "time/clock.h"
#include "util/status.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tally {

// One checkpoint, for the console's history.
struct CheckpointRecord {
    uint64_t epoch = 0;
    int64_t triggeredAtMs = 0; // wall clock at the barrier
    int64_t durationMs = 0;    // barrier to file on disk (or to the failure)
    double alignmentMs = 0;    // barrier sent -> reached by the slowest task (queued batches ahead of it)
    double syncMs = 0;         // the slowest task's synchronous part (heap: copying the counts changed since the last checkpoint, or all of them; RocksDB: writing its cache, linking its files)
    double asyncMs = 0;        // off the tasks: building the snapshot and writing the file (RocksDB: publishing new tables)
    uint64_t sizeBytes = 0;     // what this checkpoint wrote
    uint64_t fullSizeBytes = 0; // every file its state is built from, its own included
    uint64_t stateRecords = 0;  // records it wrote: all of them (full), or those changed (incremental); of files: the counts of the caches' parts
    bool incremental = false;
    int sharedFiles = 0;        // files of earlier checkpoints it is built from (0: full): checkpoints, or tables
    bool completed = false;
    std::string failure;       // why, when not completed
};

// What a barrier asks of each task's state.
enum class TaskSnapshot : uint8_t {
    None,
    Whole,        // all of it: a savepoint, or tasks whose checkpoints are whole
    WholeNewBase, // all of it, and changes are tracked from here: a checkpoint that starts a chain
    Changes,      // what changed since the previous checkpoint's barrier
    Files,        // the files of its database and its cache's changes since the checkpoint before (TaskState::exportFiles)
    FilesCacheWritten, // the same after writing its cache into the files: the cache's chain of changes starts again
};

// How the tasks' checkpoints are taken, by what their state backend can (count_state.h).
enum class TaskCheckpoints : uint8_t {
    Whole,   // every checkpoint has all of the state
    Changes, // the tasks track changes: incremental checkpoints on a chain (heap)
    Files,   // the tasks hand over their database's files, tables shared between checkpoints (RocksDB)
};

// What one epoch barrier takes.
struct BarrierPlan {
    bool checkpoint = false; // a periodic checkpoint into checkpoint.dir
    bool savepoint = false;  // answers the oldest savepoint request
    bool stop = false;       // that request stops the job at the barrier (open windows stay unfired)
    TaskSnapshot tasks = TaskSnapshot::None;
    bool snapshot() const { return checkpoint || savepoint; }
};

// Thread-safe. The ingest stage triggers barriers, the output stage acknowledges the tasks'
// parts, the writer thread completes; a timer thread of its own enforces the timeout.
class CheckpointCoordinator {
public:
    // Called once, on the coordinator's threads, when more than checkpoint.tolerable_failures
    // checkpoints failed in a row: the job must stop (it would lose more with every epoch on its
    // next crash). `why` names the failures.
    using FatalHandler = std::function<void(std::string why)>;

    CheckpointCoordinator(const CheckpointConfig &config, int tasks, MetricsRegistry &metrics, const Clock &clock,
                          FatalHandler onFatal);
    ~CheckpointCoordinator(); // finish()es
    CheckpointCoordinator(const CheckpointCoordinator &) = delete;
    CheckpointCoordinator &operator=(const CheckpointCoordinator &) = delete;

    // The newest checkpoint in checkpoint.dir that restores; newer damaged ones are skipped with
    // a log line each and counted (tally_checkpoint_restore_fallbacks_total). nullopt when the
    // folder holds none; Corruption when it holds checkpoints and none restores.
    Result<std::optional<CheckpointFile>> latestCheckpoint();

    // Before start(): how the tasks take their part of a checkpoint (default Whole).
    void setTaskCheckpoints(TaskCheckpoints mode);
    // Before start(), when the job restores: from a checkpoint of this folder, whose chain the
    // next checkpoints continue (`chain`), or from another file (nullopt): the first checkpoint is
    // then whole.
    void restored(std::optional<CheckpointChain> chain);

    void start();  // the timer and writer threads
    // The output stage ended: the writer finishes what it was handed, savepoint requests still
    // waiting fail, the threads are joined.
    void finish();

    // Any thread. The future holds the savepoint file's path once it is on disk.
    std::future<Result<std::string>> requestSavepoint(bool stop);

    // Ingest thread, before each batch: what a barrier opening `epoch` would take now.
    // `intervalDue`: the epoch interval has passed. When the plan takes a snapshot, the
    // coordinator starts tracking it with `ingestPart()` (the ingest stage's state and positions).
    BarrierPlan trigger(uint64_t epoch, bool intervalDue, const std::function<Savepoint()> &ingestPart);

    // Output thread: a task reached the barrier of `epoch`; `part` builds its state into the
    // snapshot (it may run on the writer thread). Once every task acknowledged, `pendingRows()`
    // gives the rows of earlier epochs the sink has not committed, and the snapshot goes to the
    // writer. A part of a checkpoint that already failed is dropped.
    void acknowledge(uint64_t epoch, StatePart part, int64_t alignmentUs,
                     int64_t syncUs, const std::function<std::vector<OutputRow>()> &pendingRows);

    uint64_t lastCompletedEpoch() const;          // 0: none yet
    std::vector<CheckpointRecord> history() const; // newest first, the last 50

    // Sync points for tests and tools: block until `count` checkpoints have completed (failed)
    // since the job started, or `timeout` passed; true if they did.
    bool awaitCompleted(uint64_t count, std::chrono::milliseconds timeout) const;
    bool awaitFailed(uint64_t count, std::chrono::milliseconds timeout) const;

private:
    struct Pending {
        BarrierPlan plan;
        std::shared_ptr<Savepoint> savepoint;
        std::vector<StatePart> parts;
        int acknowledged = 0;
        int64_t triggeredMs = 0; // this->m_clock
        int64_t alignmentUs = 0;  // the slowest task's
        int64_t syncUs = 0;       // the slowest task's
    };

    void runTimer();
    void written(const SnapshotResult &result); // writer thread
    // mutex held: a checkpoint ended without a file; applies the failure policy.
    void failLocked(uint64_t epoch, const Savepoint &checkpoint, std::string why, std::vector<std::string> &fatal);
    void recordLocked(CheckpointRecord record);
    // mutex held: the chain is long (checkpoint.full_every) or its changes outweigh its full
    // checkpoint, so the next checkpoint is whole (restores read less).
    bool chainDueForFullLocked() const;
    // mutex held, checkpoints of files: the cache parts the newest one builds on are many or
    // large, so the next checkpoint writes the tasks' caches into their files.
    bool cacheChainDueForWriteLocked() const;

    const CheckpointConfig m_config;
    const int m_tasks;
    const Clock &m_clock;
    FatalHandler m_onFatal;
    SnapshotWriter m_writer;

    mutable std::mutex m_mutex;
    mutable std::condition_variable m_changed; // a checkpoint ended; the timer's wake-up
    std::map<uint64_t, Pending> m_pending;     // barriers whose parts are being collected
    std::optional<uint64_t> m_inFlight;        // the checkpoint's epoch, from barrier to file
    int64_t m_inFlightSinceMs = 0;
    std::optional<int64_t> m_lastEndedMs;      // when the last checkpoint completed or failed
    TaskCheckpoints m_taskCheckpoints = TaskCheckpoints::Whole;
    CheckpointChain m_chain;                   // the newest completed checkpoint's (empty: none, or the empty state)
    std::vector<uint32_t> m_cacheDepths;       // its tasks' cache depths, when it is of files
    bool m_needWhole = false;                  // the tasks' tracked changes do not apply to m_chain
    std::deque<std::pair<bool, std::promise<Result<std::string>>>> m_savepointRequests; // stop?, oldest first
    size_t m_savepointsToTrigger = 0;          // requests no barrier has taken yet
    std::deque<CheckpointRecord> m_history;
    uint64_t m_lastCompletedEpoch = 0;
    uint64_t m_completed = 0, m_failed = 0;
    int m_consecutiveFailures = 0;
    bool m_fatalReported = false;
    bool m_stopping = false;
    std::thread m_timer;

    Counter &m_completedTotal;
    Counter &m_failedTotal;
    Counter &m_restoreFallbacks;
    Histogram &m_durationMs;
    Gauge &m_sizeBytes;
    Gauge &m_fullSizeBytes;
    Gauge &m_chainLength;
    Gauge &m_stateRecords;
    Gauge &m_lastEpoch;
    MetricsRegistry &m_metrics;
    Gauge *m_lastSuccessAtMs = nullptr; // registered at the first completed checkpoint
};

} // namespace tally
