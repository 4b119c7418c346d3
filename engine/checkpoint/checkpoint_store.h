// The checkpoint folder (checkpoint.dir): full and incremental checkpoint files, the newest
// restorable one, and retention by reference.
//
// A full checkpoint is a savepoint file, checkpoint-<epoch>-<time>.tsp: the whole state.
// An incremental checkpoint, checkpoint-<epoch>-<time>.tsi, holds what changed in the keyed state
// since the checkpoint before it (window/keyed_state.h KeyedStateChanges) and names the files its
// state is built from, oldest first: a full checkpoint, then the incremental ones between. Each
// name comes with the file's size and CRC-32C (its last four bytes), so a replaced or damaged file
// is found before anything is restored from it. Everything else (epoch, positions, pending rows,
// watermarks) is whole in every file.
//
//   "TALLYCI1", u32 version, the savepoint head (epoch .. pending rows, savepoint.h), the chain
//   (u32 count, then per file: section name, u32 CRC, u64 size), a section of keyed-state
//   changes, and a u32 CRC-32C of everything before it.
//
// A checkpoint of state files, checkpoint-<epoch>-<time>.tsf (rocksdb backend), holds each task's
// database as its SST files, published into the folder's shared/ and named in the chain (the
// CRC-32C of the whole file, computed when it was published), plus the database's private files
// (MANIFEST, CURRENT, OPTIONS) whole. SST files never change, so a table that a previous
// checkpoint published is named again, not written again: a checkpoint writes the tables created
// since the last one (the write-back cache's, when it was full, and compactions').
// What each task's write-back cache holds beyond its tables is a part of changes: all of it when
// the cache was written into the tables since the checkpoint before (depth 0), otherwise what
// changed since that checkpoint, on the parts it had (depth + 1). So the chain also names the
// earlier checkpoints of files whose parts a task still needs, and a restore replays a task's
// parts, oldest first, over its tables.
//
//   "TALLYCF1", u32 version (2; 1 had no cache parts), the savepoint head, the tables (as the
//   chain above: shared/NAME), the earlier checkpoints of files whose parts it needs (oldest
//   first), a section of keyed-state changes holding the watermark, sliding flags and fired
//   windows, u32 parallelism, u32 task count, then per task: u32 task, u32 table count + (local
//   name section, u32 chain index), u32 private file count + (name section, bytes section), u32
//   cache depth (how many of the earlier checkpoints' parts its own builds on), a section of
//   keyed-state changes (its cache part); and a u32 CRC-32C of everything before it.
//
// Files are written whole or not at all (temporary name, fsync, rename), and deleted only when no
// retained checkpoint names them, so a process killed at any point leaves a folder that restores.
#pragma once

#include "checkpoint/savepoint.h"
#include "util/status.h"
#include "window/keyed_state.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tally {

// A file a checkpoint is built from, as the checkpoint names it.
struct CheckpointLink {
    std::string file; // name within the checkpoint folder (tables: shared/NAME)
    uint32_t crc = 0; // the file's stored CRC-32C (its last four bytes); a table's: of all of it
    uint64_t bytes = 0;
    friend bool operator==(const CheckpointLink &, const CheckpointLink &) = default;
};

// The files a checkpoint's state is built from, itself last: a full checkpoint, then incremental
// ones; or tables, then earlier checkpoints of files.
using CheckpointChain = std::vector<CheckpointLink>;
// Does the link name a table (shared/NAME), not a checkpoint file?
bool isTable(const CheckpointLink &link);

// What the folder answers about one checkpoint file.
struct CheckpointFile {
    std::string path;
    Savepoint savepoint;   // the state built from its chain
    CheckpointChain chain; // ends with the file itself
};

// `savepoint` as a full checkpoint; returns its link (a chain of its own).
Result<CheckpointLink> writeFullCheckpoint(const std::string &directory, const Savepoint &savepoint);
// The changes since `previous` (the chain of the checkpoint before; not empty) as an incremental
// checkpoint with `head`'s epoch, positions and pending rows; returns its link.
Result<CheckpointLink> writeIncrementalCheckpoint(const std::string &directory, const Savepoint &head,
                                                  const KeyedStateChanges &changes, const CheckpointChain &previous);

// What writing a checkpoint of state files did.
struct WrittenCheckpoint {
    CheckpointChain chain;     // the tables it names, the earlier checkpoints whose cache parts it needs, itself
    uint64_t writtenBytes = 0; // the tables it published and its own file
    int sharedFiles = 0;       // tables the previous checkpoint had published, and earlier checkpoints
    std::vector<uint32_t> cacheDepths; // per task: how many earlier cache parts its own builds on
    uint64_t cacheRecords = 0;         // counts in its cache parts
};
// The tasks' state as files (`changes.files`, with the watermark, sliding flags and fired
// windows) at `parallelism` as a checkpoint: publishes the tables `previous` (the chain of the
// checkpoint before) does not name, then writes the file. A task's cache part that does not
// start a chain goes on from `previousCacheDepths` (the checkpoint before's WrittenCheckpoint).
Result<WrittenCheckpoint> writeFilesCheckpoint(const std::string &directory, const Savepoint &head, int parallelism,
                                               const KeyedStateChanges &changes, const CheckpointChain &previous,
                                               const std::vector<uint32_t> &previousCacheDepths);
// Reads a savepoint's state files into records (savepoint.state), each task's in a folder under
// scratchDir, and drops the files.
Status readStateFiles(Savepoint &savepoint, const std::string &scratchDir);

// Reads a checkpoint file of either kind and builds its state from its chain (every file checked
// against the size and CRC its chain names); Corruption names the file that is damaged or missing.
Result<CheckpointFile> readCheckpoint(const std::string &path);
// What a job continues from: a checkpoint file (.tsf, .tsi: read with its chain) or a savepoint.
Result<Savepoint> readRestorePoint(const std::string &path);
// The newest checkpoint of `directory` that restores; each newer one that does not is described
// in `skipped`. nullopt when there is none.
std::optional<CheckpointFile> latestCheckpoint(const std::string &directory, std::vector<std::string> &skipped);

// Keeps the newest `retained` checkpoints and every file they are built from (an older
// checkpoint of files they need for its cache parts is kept restorable: with its tables), and
// every file of `keep` (the chain the next checkpoints build on: after a restore that fell back
// past damaged newer files, those are the newest by name); deletes every other checkpoint file,
// and unfinished ones.
void pruneCheckpoints(const std::string &directory, size_t retained, const CheckpointChain &keep);
// Are the chain's files there, each of the size the chain names? (A cheap check before building
// on it; readCheckpoint() checks the contents.)
bool chainPresent(const std::string &directory, const CheckpointChain &chain);
// Deletes checkpoint-*.tmp files: writes a killed process left behind (one in flight at a time,
// so none is being written when a job starts or has just finished one). Returns how many.
size_t removeUnfinishedCheckpoints(const std::string &directory);
// Checkpoint files (.tsp, .tsi, .tsf) of `directory`, newest (highest epoch, then time) first.
std::vector<std::string> checkpointFiles(const std::string &directory);
// The highest epoch among them, whether they restore or not (0: none). A job numbers its epochs
// past it, so that retention, which keeps the highest, never takes a new checkpoint for an old one.
uint64_t newestCheckpointEpoch(const std::string &directory);

// A file a job can continue from (tally --restore FILE), as the consoles list them.
struct RestorePoint {
    enum class Kind { Checkpoint, Savepoint };
    Kind kind = Kind::Checkpoint;
    std::string path; // absolute
    uint64_t epoch = 0;
    int64_t takenAtMs = 0;
    uint64_t bytes = 0;       // the file itself
    bool incremental = false; // it names earlier files of its folder (.tsi) or shared tables (.tsf)
};
// The checkpoints of `checkpointDir` and the savepoints (savepoint-EPOCH-TIME.tsp) of
// `savepointDir`, newest first by time, with absolute paths; by their names, none of them read (readCheckpoint() and
// readSavepointFile() check one). Either folder may be "" or missing.
std::vector<RestorePoint> listRestorePoints(const std::string &checkpointDir, const std::string &savepointDir);

} // namespace tally
