// A ResultStore is the database at the end of the pipeline: it writes one batch of the job's
// output per transaction. Two implementations: SqliteStore (the embedded default) and
// PostgresStore. A SinkWriter (sink_writer.h) puts batching, retries, the circuit breaker,
// drain and divert in front of a store; the store itself only knows transactions.
#pragma once

#include "sink/output.h"
#include "util/status.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace tally {

// A row the database refused for good (a constraint, an encoding), kept with the error so that
// nothing is dropped silently: stores write these to their rejected_rows table.
struct RejectedRow {
    OutputRow row;
    std::string error;
};

struct StoreBatch {
    // At most one row per (aggregation, window_start, window_end, key): a SinkWriter coalesces
    // re-fires first, since one multi-row upsert cannot touch the same row twice.
    std::span<const OutputRow> rows;
    std::span<const DeadLetter> deadLetters;
    std::span<const LateEvent> lateEvents;
    std::span<const RejectedRow> rejected;
    // Exactly-once delivery: the transaction also records this epoch as committed for the job,
    // and a batch whose epoch is not newer than the recorded one changes nothing (a replay).
    std::optional<uint64_t> epoch;
    // Rolls the transaction back instead of committing it: tells whether the database would
    // accept the batch, used to find the rows it refuses.
    bool probe = false;
};

enum class WriteOutcome {
    Committed,
    AlreadyCommitted, // the batch's epoch was committed before: nothing was written
    ProbeAccepted     // a probe batch would have been accepted (and was rolled back)
};

class ResultStore {
public:
    virtual ~ResultStore() = default;

    // One transaction: everything is written or nothing. Errors say how to react:
    //   Unavailable, IoError, Aborted, Internal: transient (connection lost, server down, busy);
    //                                            retry later
    //   InvalidArgument: the database refuses some record for good; retrying cannot help
    virtual Result<WriteOutcome> write(const StoreBatch &batch) = 0;

    // The newest epoch committed by this job (0: none yet).
    virtual Result<uint64_t> committedEpoch() = 0;

    // Makes committed data durable beyond a crash of this process where the store distinguishes
    // the two (SQLite: checkpoints its WAL).
    virtual Status flush() = 0;

    // For logs and the console: "sqlite tally.db", "postgresql 127.0.0.1:5432/tally".
    virtual std::string describe() const = 0;
};

// True for the errors a retry cannot fix (see ResultStore::write).
inline bool isPermanentStoreError(const Status &s) { return s.code() == Status::Code::InvalidArgument; }

} // namespace tally
