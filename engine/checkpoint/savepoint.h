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
#include "util/byte_io.h"
#include "util/status.h"
#include "window/keyed_state.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tally {

// A checkpoint's keyed state as the files of its tasks' databases (the rocksdb backend) instead of
// records: a restore at the same parallelism opens them, any other reads them into records
// (checkpoint_store.h readStateFiles).
struct StateFiles {
    int parallelism = 0;
    std::vector<NamespaceRef> fired; // sorted: the tumbling windows that had fired
    std::vector<TaskFiles> tasks;    // one per task, in task order
};

struct Savepoint {
    uint64_t epoch = 0;       // the barrier: the restored job continues with this epoch
    int64_t takenAtMs = 0;
    std::string fingerprint;  // configFingerprint() (runtime/config_fingerprint.h) of the job that took it
    WatermarkState ingest;   // the ingest stage's watermarks
    std::vector<int64_t> sourcePositions; // per partition: next offset to read
    std::vector<OutputRow> pendingRows;   // rows of epochs < epoch the sink had not committed
    KeyedStateSnapshot state;
    // Set: the keyed state is these files, and `state` holds only its watermark and sliding flags.
    std::optional<StateFiles> files;
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
// Reads a regular file only (a device or a directory is refused), checking the magic before
// reading the rest.
Result<Savepoint> readSavepointFile(const std::string &path);

// The building blocks checkpoint files share with savepoints (checkpoint/checkpoint_store.h).
// The sections from the epoch to the pending rows:
void encodeSavepointHead(std::string &out, const Savepoint &savepoint);
Status decodeSavepointHead(ByteReader &in, Savepoint &savepoint);
// Refuses well-formed contents no job may continue from (see decodeSavepoint).
Status checkSavepointContents(const Savepoint &savepoint);
// Writes `bytes` to directory/name through a temporary file, fsynced and renamed, so the file is
// whole or absent; returns its path.
Result<std::string> writeFileDurably(const std::string &directory, const std::string &name, std::string_view bytes);
// The bytes of a regular file that starts with `magic`, else an error naming `what` and `path`.
Result<std::string> readFramedFile(const std::string &path, std::string_view what, std::string_view magic);

} // namespace tally
