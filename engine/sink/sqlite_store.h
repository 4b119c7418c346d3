// A SqliteStore keeps the job's output (window results, dead letters, late events) in one SQLite
// database file, the embedded default: WAL journal, one transaction per batch, rows upserted by
// their window key.
//
// Schema, version 2 (PRAGMA user_version = 2; version 1 files are migrated on open):
//   window_results(aggregation TEXT, window_start INTEGER, window_end INTEGER, key TEXT,
//                  value INTEGER, flag INTEGER, epoch INTEGER, updated_at_ms INTEGER,
//                  PRIMARY KEY(aggregation, window_start, window_end, key)) WITHOUT ROWID
//   dead_letters(id INTEGER PRIMARY KEY, reason TEXT, detail TEXT, partition INTEGER,
//                offset INTEGER, payload BLOB, at_ms INTEGER)
//   late_events(id INTEGER PRIMARY KEY, event_id INTEGER, post_id INTEGER, user_id INTEGER,
//               region TEXT, action TEXT, event_time_ms INTEGER, device_type TEXT,
//               dropped_by TEXT, watermark_ms INTEGER, at_ms INTEGER)
//   sink_commits(job TEXT PRIMARY KEY, epoch INTEGER, committed_at_ms INTEGER) WITHOUT ROWID
//   rejected_rows(id INTEGER PRIMARY KEY, aggregation TEXT, window_start INTEGER,
//                 window_end INTEGER, key TEXT, kind TEXT, value INTEGER, flag INTEGER,
//                 epoch INTEGER, error TEXT, at_ms INTEGER)
// Names are the engine's own: aggregationName(), keyText(), rejectReasonName(), regionName(),
// actionName(), deviceTypeName(). dropped_by lists aggregation names, comma-separated, in
// Aggregation order; device_type is NULL for events without one (schema v1). Times are
// milliseconds since the Unix epoch (UTC). Unsigned 64-bit ids and epochs are stored as SQLite's
// signed 64-bit INTEGER (two's complement), so ids of 2^63 and above read back negative.
#pragma once

#include "sink/result_store.h"
#include "util/status.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace tally {

class Clock;

struct SqliteStoreOptions {
    // How long a write waits for another connection's lock before it fails with
    // Status::Code::Unavailable. Default 2000 ms.
    int busyTimeoutMs = 2000;
    // Clock for updated_at_ms and at_ms, read once per write call; it must tell ms since the
    // Unix epoch and outlive the writer (not owned). Default nullptr: std::chrono::system_clock.
    // Tests inject a ManualClock.
    const Clock *clock = nullptr;
    // The name this job's committed epochs are recorded under (sink_commits.job). Default "tally".
    std::string jobId = "tally";
};

// The dead letters a SQLite sink has stored (its dead_letters table: every run's), for the
// consoles' dead-letter browser: the newest `limit` (of `reason`, if given) with a row id below
// `before`, newest first, each payload cut to `payloadBytes`; `sequence` is the row id. Opens the
// file read-only (the writer goes on: WAL), and gives up after `budgetMs`: a rare reason in a long
// table is not scanned to its start, and a locked file is not waited for. `complete` says whether
// the read got to the end of what it looked for.
struct StoredDeadLetters {
    std::vector<BrowsedDeadLetter> letters;
    bool complete = true;
};
Result<StoredDeadLetters> readStoredDeadLetters(const std::string &path, std::optional<RejectReason> reason, size_t limit,
                                                uint64_t before, size_t payloadBytes, int budgetMs = 500);

// Not thread-safe: one thread at a time (a SinkWriter's writer thread). Several stores, in this
// process or others, may share one file: SQLite's locks serialize them.
class SqliteStore final : public ResultStore {
public:
    static constexpr int kSchemaVersion = 2;

    // Opens the database at `path` (created if missing; a "file:" URI such as
    // "file:tally.db?mode=ro" is accepted too) and creates or checks its schema. Fails when the
    // file cannot be opened, is not a SQLite database, holds tables but no Tally schema, or has a
    // schema version newer than kSchemaVersion. A read-only database opens; writes to it fail.
    static Result<std::unique_ptr<SqliteStore>> open(const std::string &path, SqliteStoreOptions options = {});

    ~SqliteStore() override;
    SqliteStore(const SqliteStore &) = delete;
    SqliteStore &operator=(const SqliteStore &) = delete;

    // One transaction (ResultStore::write). Upsert rows insert or replace the row with the same
    // (aggregation, window_start, window_end, key); Delete rows remove it (deleting a missing row
    // is not an error). Busy (another connection holds the lock past the busy timeout) is
    // Unavailable; a constraint or type violation is InvalidArgument.
    Result<WriteOutcome> write(const StoreBatch &batch) override;
    Result<uint64_t> committedEpoch() override;

    // Every write has already committed; flush also moves the WAL into the database file (a
    // passive checkpoint), so committed data survives a power loss, not only a crash.
    Status flush() override;
    std::string describe() const override { return "sqlite " + m_path; }

    const std::string &path() const { return m_path; }

private:
    SqliteStore(sqlite3 *db, std::string path, SqliteStoreOptions options);

    Status initialize();
    Result<uint64_t> readCommittedEpoch();
    Status writeRows(std::span<const OutputRow> rows, int64_t now);
    Status writeDeadLetters(std::span<const DeadLetter> records, int64_t now);
    Status writeLateEvents(std::span<const LateEvent> events, int64_t now);
    Status writeRejected(std::span<const RejectedRow> rejected, int64_t now);
    Status migrateSchema();
    Status prepare(const char *sql, sqlite3_stmt **stmt);
    Status exec(const char *sql, const char *what);
    Status begin(const char *what);
    Status commit(const char *what);
    void rollback();
    Status error(int rc, const char *what) const;
    int64_t nowMs() const;

    sqlite3 *m_db = nullptr;
    std::string m_path;
    SqliteStoreOptions m_options;
    sqlite3_stmt *m_begin = nullptr;
    sqlite3_stmt *m_commit = nullptr;
    sqlite3_stmt *m_rollback = nullptr;
    sqlite3_stmt *m_upsertRow = nullptr;
    sqlite3_stmt *m_deleteRow = nullptr;
    sqlite3_stmt *m_insertDeadLetter = nullptr;
    sqlite3_stmt *m_insertLateEvent = nullptr;
    sqlite3_stmt *m_insertRejected = nullptr;
    sqlite3_stmt *m_selectEpoch = nullptr;
    sqlite3_stmt *m_upsertEpoch = nullptr;
};

} // namespace tally
