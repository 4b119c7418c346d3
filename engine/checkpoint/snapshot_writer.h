// The snapshot writer builds a collected snapshot from the tasks' parts and writes it as a
// checkpoint and/or a savepoint file, on a thread of its own, so neither the tasks nor the output
// stage wait for the state to be read (RocksDB: a pinned database snapshot) or the file written.
//
// Tasks that track changes hand over only what changed since the previous checkpoint; the writer
// stores that as an incremental checkpoint on the previous one's chain. Tasks whose state is
// database files hand over links to them and their write-back cache's changes; the writer
// publishes the tables no earlier checkpoint has and writes a checkpoint naming them all. When the coordinator
// asks the tasks for all of their state (a savepoint; a chain that is long or whose changes
// outweigh its full checkpoint; no chain the changes apply to), the writer writes it full.
#pragma once

#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "util/blocking_queue.h"
#include "util/status.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace tally {

// One task's part of a snapshot: adds the task's state (or its changes) to the barrier's.
using StatePart = std::function<void(KeyedStateChanges &)>;

// A snapshot every task has acknowledged.
struct SnapshotWork {
    uint64_t epoch = 0;
    bool checkpoint = false;
    bool savepoint = false;
    std::shared_ptr<Savepoint> state; // the ingest part, pending rows; the tasks' parts go in
    std::vector<StatePart> parts;
    CheckpointChain previous; // the newest completed checkpoint's chain: what changes apply to
    std::vector<uint32_t> previousCacheDepths; // its tasks' cache depths, when it is of files
    int64_t alignmentUs = 0;  // the slowest task's
    int64_t syncUs = 0;       // the slowest task's
};

struct SnapshotResult {
    uint64_t epoch = 0;
    bool checkpoint = false; // a checkpoint was asked for (checkpointFile says how it went)
    bool savepoint = false;
    std::shared_ptr<const Savepoint> state; // keyed state empty when the checkpoint is incremental
    Result<std::string> checkpointFile = Status::aborted("not written");
    Result<std::string> savepointFile = Status::aborted("not written");
    CheckpointChain chain;      // the written checkpoint's, itself last (one file when full)
    uint64_t writtenBytes = 0;  // by the checkpoint
    int sharedFiles = 0;        // files of earlier checkpoints it is built from (0: full)
    bool stateFiles = false;    // a checkpoint of the tasks' database files
    std::vector<uint32_t> cacheDepths; // of files: per task, how many earlier cache parts its own builds on
    uint64_t stateRecords = 0;  // records the checkpoint file holds: all of them, or those changed (files: the caches' parts)
    int64_t alignmentUs = 0;
    int64_t syncUs = 0;
    int64_t asyncUs = 0; // building the snapshot and writing the file(s)
};

// Thread-safe submit(); the callbacks run on the writer's thread.
class SnapshotWriter {
public:
    // `checkpointWanted(epoch)`: false once that checkpoint failed (timed out), so its file is
    // not written. `done` receives every result, in submission order.
    SnapshotWriter(std::string checkpointDir, std::string savepointDir, std::function<bool(uint64_t)> checkpointWanted,
                   std::function<void(const SnapshotResult &)> done);
    ~SnapshotWriter(); // finish()es

    void start();
    void submit(SnapshotWork work);
    // Writes what was submitted, then joins the thread.
    void finish();

private:
    void run();
    SnapshotResult write(SnapshotWork &work);

    const std::string m_checkpointDir;
    const std::string m_savepointDir;
    std::function<bool(uint64_t)> m_checkpointWanted;
    std::function<void(const SnapshotResult &)> m_done;
    BlockingQueue<SnapshotWork> m_queue{4}; // an empty work item (no state) ends the thread
    std::thread m_thread;
};

} // namespace tally
