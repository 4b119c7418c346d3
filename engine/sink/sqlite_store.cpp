#include "sink/sqlite_store.h"

#include "event/codec.h"
#include "event/like_event.h"
#include "time/clock.h"

#include <sqlite3.h>

#include <cassert>
#include <chrono>
#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <string_view>
#include <utility>

namespace tally {

namespace {

// Schema migrations: entry i takes the database from user_version i to i + 1. A released entry
// is never edited; a new schema version appends one.
constexpr const char *kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE window_results (
    aggregation   TEXT    NOT NULL,
    window_start  INTEGER NOT NULL,
    window_end    INTEGER NOT NULL,
    key           TEXT    NOT NULL,
    value         INTEGER NOT NULL,
    flag          INTEGER NOT NULL,
    epoch         INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (aggregation, window_start, window_end, key)
) WITHOUT ROWID;
CREATE TABLE dead_letters (
    id        INTEGER PRIMARY KEY,
    reason    TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    partition INTEGER NOT NULL,
    offset    INTEGER NOT NULL,
    payload   BLOB    NOT NULL,
    at_ms     INTEGER NOT NULL
);
CREATE TABLE late_events (
    id            INTEGER PRIMARY KEY,
    event_id      INTEGER NOT NULL,
    post_id       INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    region        TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    event_time_ms INTEGER NOT NULL,
    device_type   TEXT,
    dropped_by    TEXT    NOT NULL,
    watermark_ms  INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL
);
)sql",
    // 1 -> 2: exactly-once commits and rows the database refused
    R"sql(
CREATE TABLE sink_commits (
    job             TEXT    NOT NULL PRIMARY KEY,
    epoch           INTEGER NOT NULL,
    committed_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE rejected_rows (
    id           INTEGER PRIMARY KEY,
    aggregation  TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    window_end   INTEGER NOT NULL,
    key          TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    value        INTEGER NOT NULL,
    flag         INTEGER NOT NULL,
    epoch        INTEGER NOT NULL,
    error        TEXT    NOT NULL,
    at_ms        INTEGER NOT NULL
);
)sql",
};
static_assert(std::size(kMigrations) == SqliteStore::kSchemaVersion);

constexpr const char *kUpsertRowSql =
    "INSERT INTO window_results (aggregation, window_start, window_end, key, value, flag, epoch, updated_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "ON CONFLICT (aggregation, window_start, window_end, key) DO UPDATE SET "
    "value = excluded.value, flag = excluded.flag, epoch = excluded.epoch, updated_at_ms = excluded.updated_at_ms";
constexpr const char *kDeleteRowSql =
    "DELETE FROM window_results WHERE aggregation = ?1 AND window_start = ?2 AND window_end = ?3 AND key = ?4";
constexpr const char *kInsertDeadLetterSql =
    "INSERT INTO dead_letters (reason, detail, partition, offset, payload, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char *kInsertLateEventSql =
    "INSERT INTO late_events (event_id, post_id, user_id, region, action, event_time_ms, device_type, dropped_by, "
    "watermark_ms, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr const char *kInsertRejectedSql =
    "INSERT INTO rejected_rows (aggregation, window_start, window_end, key, kind, value, flag, epoch, error, at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr const char *kSelectEpochSql = "SELECT epoch FROM sink_commits WHERE job = ?1";
constexpr const char *kUpsertEpochSql =
    "INSERT INTO sink_commits (job, epoch, committed_at_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (job) DO UPDATE SET epoch = excluded.epoch, committed_at_ms = excluded.committed_at_ms";

Status statusFor(int rc, std::string message)
{
    switch (rc & 0xff) { // primary result code; extended codes keep it in the low byte
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return Status::unavailable(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return Status::corruption(std::move(message));
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
        return Status::invalidArgument(std::move(message));
    case SQLITE_INTERRUPT:
    case SQLITE_ABORT:
        return Status::aborted(std::move(message));
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
        return Status::ioError(std::move(message));
    default:
        return Status::internal(std::move(message));
    }
}

// Binds one statement's parameters and remembers the first failure, so a write loop checks once.
// Text and blobs are bound SQLITE_STATIC: the caller keeps them alive until the statement is reset.
class Binder {
public:
    explicit Binder(sqlite3_stmt *stmt) : m_stmt(stmt) {}
    Binder &integer(int i, int64_t v) { return check(sqlite3_bind_int64(m_stmt, i, v)); }
    Binder &null(int i) { return check(sqlite3_bind_null(m_stmt, i)); }
    Binder &text(int i, std::string_view s)
    {
        // A null data pointer would bind SQL NULL; an empty name is an empty string.
        return check(sqlite3_bind_text64(m_stmt, i, s.data() ? s.data() : "", s.size(), SQLITE_STATIC, SQLITE_UTF8));
    }
    Binder &blob(int i, std::string_view b)
    {
        if (b.empty()) // keep X'' distinct from NULL
            return check(sqlite3_bind_zeroblob(m_stmt, i, 0));
        return check(sqlite3_bind_blob64(m_stmt, i, b.data(), b.size(), SQLITE_STATIC));
    }
    int rc() const { return m_rc; }

private:
    Binder &check(int rc)
    {
        if (m_rc == SQLITE_OK)
            m_rc = rc;
        return *this;
    }
    sqlite3_stmt *m_stmt;
    int m_rc = SQLITE_OK;
};

// Returns a reused statement to its initial state, and drops bindings that point into the
// caller's (soon destroyed) strings.
class ResetOnExit {
public:
    explicit ResetOnExit(sqlite3_stmt *stmt) : m_stmt(stmt) {}
    ~ResetOnExit()
    {
        sqlite3_reset(m_stmt);
        sqlite3_clear_bindings(m_stmt);
    }
    ResetOnExit(const ResetOnExit &) = delete;
    ResetOnExit &operator=(const ResetOnExit &) = delete;

private:
    sqlite3_stmt *m_stmt;
};

// Runs a bound statement that returns no rows.
int run(sqlite3_stmt *stmt, const Binder &binder)
{
    const int rc = binder.rc() == SQLITE_OK ? sqlite3_step(stmt) : binder.rc();
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}


} // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string &path, SqliteStoreOptions options)
{
    sqlite3 *db = nullptr;
    // NOMUTEX: a writer is used by one thread at a time, so SQLite's own connection mutex is waste.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX |
                      SQLITE_OPEN_EXRESCODE;
    const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        Status status = statusFor(rc, "sqlite " + path + ": open: " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
        sqlite3_close(db); // the handle exists even when opening failed (null only without memory)
        return status;
    }
    std::unique_ptr<SqliteStore> writer(new SqliteStore(db, path, std::move(options)));
    if (Status status = writer->initialize(); !status.isOk())
        return status;
    return writer;
}

SqliteStore::SqliteStore(sqlite3 *db, std::string path, SqliteStoreOptions options)
    : m_db(db), m_path(std::move(path)), m_options(std::move(options))
{
}

SqliteStore::~SqliteStore()
{
    for (sqlite3_stmt *stmt : {m_begin, m_commit, m_rollback, m_upsertRow, m_deleteRow, m_insertDeadLetter,
                               m_insertLateEvent, m_insertRejected, m_selectEpoch, m_upsertEpoch})
        sqlite3_finalize(stmt); // no-op on null
    [[maybe_unused]] const int rc = sqlite3_close(m_db);
    assert(rc == SQLITE_OK && "a statement outlived its writer");
}

Status SqliteStore::initialize()
{
    sqlite3_busy_timeout(m_db, m_options.busyTimeoutMs);

    // The journal mode is stored in the file, so a database created here stays in WAL. SQLite
    // answers with the mode in force rather than failing when it cannot switch.
    sqlite3_stmt *stmt = nullptr;
    if (Status status = prepare("PRAGMA journal_mode = WAL", &stmt); !status.isOk())
        return status;
    int rc = sqlite3_step(stmt);
    const std::string mode =
        rc == SQLITE_ROW ? reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0)) : std::string();
    Status status = rc == SQLITE_ROW ? Status::ok() : error(rc, "switch to WAL");
    sqlite3_finalize(stmt);
    if (!status.isOk())
        return status;
    const bool inMemory = *sqlite3_db_filename(m_db, "main") == '\0';
    if (mode != "wal" && !inMemory)
        return Status::ioError("sqlite " + m_path + ": cannot switch to WAL (journal mode stays '" + mode + "')");

    // NORMAL in WAL mode: a commit survives a crash of this process; a power loss may drop the
    // last commits until the next checkpoint (see flush()).
    if (Status s = exec("PRAGMA synchronous = NORMAL", "set synchronous"); !s.isOk())
        return s;
    if (Status s = migrateSchema(); !s.isOk())
        return s;

    const std::pair<const char *, sqlite3_stmt **> statements[] = {
        {"BEGIN IMMEDIATE", &m_begin},
        {"COMMIT", &m_commit},
        {"ROLLBACK", &m_rollback},
        {kUpsertRowSql, &m_upsertRow},
        {kDeleteRowSql, &m_deleteRow},
        {kInsertDeadLetterSql, &m_insertDeadLetter},
        {kInsertLateEventSql, &m_insertLateEvent},
        {kInsertRejectedSql, &m_insertRejected},
        {kSelectEpochSql, &m_selectEpoch},
        {kUpsertEpochSql, &m_upsertEpoch},
    };
    for (const auto &[sql, target] : statements)
        if (Status s = prepare(sql, target); !s.isOk())
            return s;
    return Status::ok();
}

Status SqliteStore::migrateSchema()
{
    auto readInt = [this](const char *sql, int64_t *value) -> Status {
        sqlite3_stmt *stmt = nullptr;
        if (Status s = prepare(sql, &stmt); !s.isOk())
            return s;
        const int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW)
            *value = sqlite3_column_int64(stmt, 0);
        Status s = rc == SQLITE_ROW ? Status::ok() : error(rc, sql);
        sqlite3_finalize(stmt);
        return s;
    };

    int64_t version = 0;
    if (Status s = readInt("PRAGMA user_version", &version); !s.isOk())
        return s;
    if (version == kSchemaVersion)
        return Status::ok(); // the common case needs no write lock, so read-only files open too

    // Check again under the write lock: another process may be migrating the same file.
    if (Status s = exec("BEGIN IMMEDIATE", "begin schema migration"); !s.isOk())
        return s;
    Status status = readInt("PRAGMA user_version", &version);
    if (status.isOk() && version > kSchemaVersion) {
        status = Status::invalidArgument("sqlite " + m_path + ": schema version " + std::to_string(version) +
                                         " is newer than this build supports (" + std::to_string(kSchemaVersion) +
                                         ")");
    }
    if (status.isOk() && version == 0) {
        int64_t tables = 0;
        status = readInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", &tables);
        if (status.isOk() && tables > 0)
            status = Status::invalidArgument("sqlite " + m_path +
                                             ": the database holds other tables and no Tally schema version");
    }
    for (int64_t v = version; status.isOk() && v < kSchemaVersion; ++v)
        status = exec(kMigrations[v], "create schema");
    if (status.isOk()) {
        const std::string setVersion = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
        status = exec(setVersion.c_str(), "set schema version");
    }
    if (status.isOk())
        status = exec("COMMIT", "commit schema migration");
    if (!status.isOk() && !sqlite3_get_autocommit(m_db))
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    return status;
}

Result<WriteOutcome> SqliteStore::write(const StoreBatch &batch)
{
    if (batch.rows.empty() && batch.deadLetters.empty() && batch.lateEvents.empty() && batch.rejected.empty() &&
        !batch.epoch)
        return batch.probe ? WriteOutcome::ProbeAccepted : WriteOutcome::Committed;
    if (Status s = begin("write"); !s.isOk())
        return s;
    // Under the write lock, so two writers of one job cannot both commit an epoch.
    if (batch.epoch) {
        auto committed = readCommittedEpoch();
        if (!committed) {
            rollback();
            return committed.status();
        }
        if (*committed >= *batch.epoch) {
            rollback();
            return WriteOutcome::AlreadyCommitted;
        }
    }
    const int64_t now = nowMs();
    Status status = writeRows(batch.rows, now);
    if (status.isOk())
        status = writeDeadLetters(batch.deadLetters, now);
    if (status.isOk())
        status = writeLateEvents(batch.lateEvents, now);
    if (status.isOk())
        status = writeRejected(batch.rejected, now);
    if (status.isOk() && batch.epoch) {
        const ResetOnExit reset(m_upsertEpoch);
        Binder bind(m_upsertEpoch);
        bind.text(1, m_options.jobId).integer(2, static_cast<int64_t>(*batch.epoch)).integer(3, now);
        if (const int rc = run(m_upsertEpoch, bind); rc != SQLITE_OK)
            status = error(rc, "record the committed epoch");
    }
    if (!status.isOk() || batch.probe) {
        rollback();
        if (!status.isOk())
            return status;
        return WriteOutcome::ProbeAccepted;
    }
    if (Status s = commit("write"); !s.isOk())
        return s;
    return WriteOutcome::Committed;
}

Result<uint64_t> SqliteStore::committedEpoch() { return readCommittedEpoch(); }

Result<uint64_t> SqliteStore::readCommittedEpoch()
{
    const ResetOnExit reset(m_selectEpoch);
    Binder bind(m_selectEpoch);
    bind.text(1, m_options.jobId);
    const int rc = bind.rc() == SQLITE_OK ? sqlite3_step(m_selectEpoch) : bind.rc();
    if (rc == SQLITE_ROW)
        return static_cast<uint64_t>(sqlite3_column_int64(m_selectEpoch, 0));
    if (rc == SQLITE_DONE)
        return uint64_t{0};
    return error(rc, "read the committed epoch");
}

Status SqliteStore::writeRows(std::span<const OutputRow> rows, int64_t now)
{
    for (const OutputRow &row : rows) {
        const std::string key = keyText(row.aggregation, row.key);
        const bool upsert = row.kind == OutputRow::Kind::Upsert;
        sqlite3_stmt *stmt = upsert ? m_upsertRow : m_deleteRow;
        const ResetOnExit reset(stmt);
        Binder bind(stmt);
        bind.text(1, aggregationName(row.aggregation))
            .integer(2, row.windowStartMs)
            .integer(3, row.windowEndMs)
            .text(4, key);
        if (upsert) {
            bind.integer(5, row.value)
                .integer(6, row.flag ? 1 : 0)
                .integer(7, static_cast<int64_t>(row.epoch))
                .integer(8, now);
        }
        if (const int rc = run(stmt, bind); rc != SQLITE_OK)
            return error(rc, "write window rows");
    }
    return Status::ok();
}

Status SqliteStore::writeDeadLetters(std::span<const DeadLetter> records, int64_t now)
{
    for (const DeadLetter &record : records) {
        const ResetOnExit reset(m_insertDeadLetter);
        Binder bind(m_insertDeadLetter);
        bind.text(1, rejectReasonName(record.reason))
            .text(2, record.detail)
            .integer(3, record.partition)
            .integer(4, record.offset)
            .blob(5, record.payload)
            .integer(6, now);
        if (const int rc = run(m_insertDeadLetter, bind); rc != SQLITE_OK)
            return error(rc, "write dead letters");
    }
    return Status::ok();
}

Status SqliteStore::writeLateEvents(std::span<const LateEvent> events, int64_t now)
{
    for (const LateEvent &late : events) {
        const LikeEvent &e = late.event;
        const std::string region = regionName(e.region);
        const std::string droppedBy = droppedByNames(late.droppedMask);
        const ResetOnExit reset(m_insertLateEvent);
        Binder bind(m_insertLateEvent);
        bind.integer(1, static_cast<int64_t>(e.eventId))
            .integer(2, static_cast<int64_t>(e.postId))
            .integer(3, static_cast<int64_t>(e.userId))
            .text(4, region)
            .text(5, actionName(e.action))
            .integer(6, e.eventTimeMs);
        if (e.deviceType == DeviceType::None)
            bind.null(7);
        else
            bind.text(7, deviceTypeName(e.deviceType));
        bind.text(8, droppedBy).integer(9, late.watermarkMs).integer(10, now);
        if (const int rc = run(m_insertLateEvent, bind); rc != SQLITE_OK)
            return error(rc, "write late events");
    }
    return Status::ok();
}

Status SqliteStore::writeRejected(std::span<const RejectedRow> rejected, int64_t now)
{
    for (const RejectedRow &r : rejected) {
        const std::string key = keyText(r.row.aggregation, r.row.key);
        const ResetOnExit reset(m_insertRejected);
        Binder bind(m_insertRejected);
        bind.text(1, aggregationName(r.row.aggregation))
            .integer(2, r.row.windowStartMs)
            .integer(3, r.row.windowEndMs)
            .text(4, key)
            .text(5, r.row.kind == OutputRow::Kind::Upsert ? "upsert" : "delete")
            .integer(6, r.row.value)
            .integer(7, r.row.flag ? 1 : 0)
            .integer(8, static_cast<int64_t>(r.row.epoch))
            .text(9, r.error)
            .integer(10, now);
        if (const int rc = run(m_insertRejected, bind); rc != SQLITE_OK)
            return error(rc, "write rejected rows");
    }
    return Status::ok();
}

Status SqliteStore::flush()
{
    const int rc = sqlite3_wal_checkpoint_v2(m_db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return rc == SQLITE_OK ? Status::ok() : error(rc, "checkpoint");
}

Status SqliteStore::prepare(const char *sql, sqlite3_stmt **stmt)
{
    const int rc = sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr);
    return rc == SQLITE_OK ? Status::ok() : error(rc, "prepare");
}

Status SqliteStore::exec(const char *sql, const char *what)
{
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? Status::ok() : error(rc, what);
}

// BEGIN IMMEDIATE takes the write lock up front, so a busy database is waited for (busy
// timeout) before any row is written, never half-way through a batch.
Status SqliteStore::begin(const char *what)
{
    const ResetOnExit reset(m_begin);
    const int rc = sqlite3_step(m_begin);
    return rc == SQLITE_DONE ? Status::ok() : error(rc, what);
}

Status SqliteStore::commit(const char *what)
{
    int rc = SQLITE_OK;
    {
        const ResetOnExit reset(m_commit);
        rc = sqlite3_step(m_commit);
    }
    if (rc == SQLITE_DONE)
        return Status::ok();
    Status status = error(rc, what);
    rollback();
    return status;
}

// The caller reports the error that caused the rollback; a failing ROLLBACK adds nothing useful,
// and SQLite has already rolled back whenever it left the connection in autocommit mode.
void SqliteStore::rollback()
{
    if (sqlite3_get_autocommit(m_db))
        return;
    const ResetOnExit reset(m_rollback);
    sqlite3_step(m_rollback);
}

Status SqliteStore::error(int rc, const char *what) const
{
    return statusFor(rc, "sqlite " + m_path + ": " + what + ": " + sqlite3_errmsg(m_db) + " (code " +
                             std::to_string(rc) + ")");
}

int64_t SqliteStore::nowMs() const
{
    if (m_options.clock)
        return m_options.clock->nowMs();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Result<StoredDeadLetters> readStoredDeadLetters(const std::string &path, std::optional<RejectReason> reason, size_t limit,
                                                uint64_t before, size_t payloadBytes, int budgetMs)
{
    sqlite3 *db = nullptr;
    const int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return Status::unavailable("cannot open " + path + ": " + message);
    }
    const std::unique_ptr<sqlite3, int (*)(sqlite3 *)> closer(db, sqlite3_close);
    // The budget: a progress handler stops the statement (SQLITE_INTERRUPT) once it has run out.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(budgetMs);
    struct Budget {
        std::chrono::steady_clock::time_point deadline;
        bool spent = false;
    } budget{deadline};
    sqlite3_busy_timeout(db, std::max(1, budgetMs / 2));
    sqlite3_progress_handler(
        db, 100,
        [](void *p) {
            auto *b = static_cast<Budget *>(p);
            b->spent = b->spent || std::chrono::steady_clock::now() >= b->deadline;
            return b->spent ? 1 : 0;
        },
        &budget);
    const char *sql = reason ? "SELECT id, at_ms, reason, detail, partition, offset, substr(payload, 1, ?4), length(payload) "
                               "FROM dead_letters WHERE id < ?1 AND reason = ?2 ORDER BY id DESC LIMIT ?3"
                             : "SELECT id, at_ms, reason, detail, partition, offset, substr(payload, 1, ?4), length(payload) "
                               "FROM dead_letters WHERE id < ?1 ORDER BY id DESC LIMIT ?3";
    sqlite3_stmt *raw = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK)
        return Status::unavailable(path + ": " + sqlite3_errmsg(db)); // e.g. no dead_letters table: not a Tally database
    const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt *)> statement(raw, sqlite3_finalize);
    const auto below = static_cast<sqlite3_int64>(std::min<uint64_t>(before, static_cast<uint64_t>(INT64_MAX)));
    sqlite3_bind_int64(raw, 1, below);
    if (reason) {
        const std::string_view name = rejectReasonName(*reason);
        sqlite3_bind_text(raw, 2, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    }
    sqlite3_bind_int64(raw, 3, static_cast<sqlite3_int64>(limit));
    sqlite3_bind_int64(raw, 4, static_cast<sqlite3_int64>(payloadBytes));
    StoredDeadLetters out;
    const auto text = [raw](int column) {
        const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(raw, column));
        return std::string(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(raw, column)));
    };
    for (;;) {
        if (std::chrono::steady_clock::now() >= budget.deadline && !out.letters.empty()) {
            out.complete = false; // what was found by then
            break;
        }
        const int rc = sqlite3_step(raw);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            if (budget.spent || rc == SQLITE_BUSY || (rc & 0xff) == SQLITE_BUSY || rc == SQLITE_INTERRUPT) {
                out.complete = false; // what was found by then
                break;
            }
            return Status::unavailable(path + ": " + sqlite3_errmsg(db));
        }
        BrowsedDeadLetter l;
        l.sequence = static_cast<uint64_t>(sqlite3_column_int64(raw, 0));
        l.atMs = sqlite3_column_int64(raw, 1);
        l.reason = rejectReasonFromName(text(2)).value_or(RejectReason::Malformed);
        l.detail = text(3);
        l.partition = sqlite3_column_int(raw, 4);
        l.offset = sqlite3_column_int64(raw, 5);
        const auto *payload = static_cast<const char *>(sqlite3_column_blob(raw, 6));
        l.payload.assign(payload ? payload : "", static_cast<size_t>(sqlite3_column_bytes(raw, 6)));
        l.payloadBytes = static_cast<size_t>(sqlite3_column_int64(raw, 7));
        out.letters.push_back(std::move(l));
    }
    return out;
}

} // namespace tally
