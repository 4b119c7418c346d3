// A savepoint is the job's state at one barrier, portable across state backends and parallelism:
// the window state by key group (window/keyed_state.h), the ingest stage's watermarks, the source
// positions, the result rows the sink had not committed yet, and a fingerprint of the aggregation
// definitions, so a restore into an incompatible job is refused with the difference named.
//
// File (one, written to a temporary name, fsynced and renamed, so it is whole or absent):
//   "TALLYSP1", u32 version, u64 epoch, i64 taken_at_ms, then length-prefixed sections
//   (u32 length + bytes): fingerprint text, ingest state, source positions, pending rows,
//   keyed state; and a u32 CRC-32C of everything before it.
#pragma once

#include "core/results.h"
#include "time/watermark.h"
#include "util/status.h"
#include "window/keyed_state.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tally {

struct Savepoint {
    uint64_t epoch = 0;       // the barrier: the restored job continues with this epoch
    int64_t takenAtMs = 0;
    std::string fingerprint;  // configFingerprint() (runtime/config_fingerprint.h) of the job that took it
    WatermarkState ingest;   // the ingest stage's watermarks
    std::vector<int64_t> sourcePositions; // per partition: next offset to read
    std::vector<OutputRow> pendingRows;   // rows of epochs < epoch the sink had not committed
    KeyedStateSnapshot state;
};

// Empty if a job with `current` may restore a savepoint taken with `saved`; else the first
// difference, e.g. "aggregations.likes_per_post.window_ms: savepoint 60000, job 30000".
std::string fingerprintDifference(const std::string &saved, const std::string &current);

std::string encodeSavepoint(const Savepoint &savepoint);
// Refuses (Corruption, naming what is wrong) damaged bytes and also well-formed contents no job
// may continue from: epoch 0 or beyond 2^62, negative positions, times outside the range the
// window arithmetic is safe for, records filed under the wrong key group (window/aggregations.h).
Result<Savepoint> decodeSavepoint(std::string_view bytes);

// Writes `savepoint` into `directory` (created if missing) as <prefix>-<epoch>-<time>.tsp;
// returns the file's path.
Result<std::string> writeSavepointFile(const std::string &directory, const std::string &prefix, const Savepoint &savepoint);

// Checkpoints are savepoint files named checkpoint-<epoch>-<time>.tsp in one folder. The newest
// that reads back whole (magic, checksum, sections); each newer damaged one is skipped and
// described in `skipped`. nullopt when there is none.
std::optional<std::string> latestCheckpoint(const std::string &directory, std::vector<std::string> &skipped);
// Deletes all but the newest `retained` checkpoints, and the unfinished ones.
void pruneCheckpoints(const std::string &directory, size_t retained);
// Deletes checkpoint-*.tsp.tmp files: writes a killed process left behind (one in flight at a
// time, so none is being written when a job starts or has just finished one). Returns how many.
size_t removeUnfinishedCheckpoints(const std::string &directory);
// Reads a regular file only (a device or a directory is refused), checking the magic before
// reading the rest.
Result<Savepoint> readSavepointFile(const std::string &path);

} // namespace tally
