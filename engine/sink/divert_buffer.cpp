#include "sink/divert_buffer.h"

#include "util/byte_io.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>

namespace tally {

namespace {

// Runs one statement with its bindings and steps it to the end; returns the last step's code.
class Statement {
public:
    Statement(sqlite3 *db, const char *sql) { m_rc = sqlite3_prepare_v2(db, sql, -1, &m_stmt, nullptr); }
    ~Statement() { sqlite3_finalize(m_stmt); }
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    bool ok() const { return m_rc == SQLITE_OK; }
    sqlite3_stmt *get() const { return m_stmt; }

private:
    sqlite3_stmt *m_stmt = nullptr;
    int m_rc;
};

} // namespace

Result<std::unique_ptr<DivertBuffer>> DivertBuffer::open(const std::string &path)
{
    sqlite3 *db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   nullptr);
    if (rc != SQLITE_OK) {
        Status s = Status::ioError("divert buffer " + path + ": open: " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
        sqlite3_close(db);
        return s;
    }
    std::unique_ptr<DivertBuffer> buffer(new DivertBuffer(db, path));
    // FULL: a diverted batch is the only copy of those results once it leaves memory.
    for (const char *sql : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                            "CREATE TABLE IF NOT EXISTS divert_batches (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                            "epoch INTEGER, row_count INTEGER NOT NULL, rows BLOB NOT NULL)"}) {
        if (Status s = buffer->exec(sql); !s.isOk())
            return s;
    }
    Statement count(db, "SELECT count(*), coalesce(sum(row_count), 0) FROM divert_batches");
    if (!count.ok() || sqlite3_step(count.get()) != SQLITE_ROW)
        return buffer->error("count batches");
    buffer->m_batches = static_cast<uint64_t>(sqlite3_column_int64(count.get(), 0));
    buffer->m_rows = static_cast<uint64_t>(sqlite3_column_int64(count.get(), 1));
    return buffer;
}

DivertBuffer::~DivertBuffer() { sqlite3_close(m_db); }

Status DivertBuffer::append(std::optional<uint64_t> epoch, std::span<const OutputRow> rows)
{
    Statement insert(m_db, "INSERT INTO divert_batches (epoch, row_count, rows) VALUES (?1, ?2, ?3)");
    if (!insert.ok())
        return error("prepare append");
    const std::string packed = packRows(rows);
    if (epoch)
        sqlite3_bind_int64(insert.get(), 1, static_cast<int64_t>(*epoch));
    sqlite3_bind_int64(insert.get(), 2, static_cast<int64_t>(rows.size()));
    sqlite3_bind_blob64(insert.get(), 3, packed.data(), packed.size(), SQLITE_STATIC);
    if (sqlite3_step(insert.get()) != SQLITE_DONE)
        return error("append");
    ++m_batches;
    m_rows += rows.size();
    return Status::ok();
}

Result<std::optional<DivertedBatch>> DivertBuffer::oldest()
{
    Statement select(m_db, "SELECT seq, epoch, rows FROM divert_batches ORDER BY seq LIMIT 1");
    if (!select.ok())
        return error("prepare read");
    const int rc = sqlite3_step(select.get());
    if (rc == SQLITE_DONE)
        return std::optional<DivertedBatch>();
    if (rc != SQLITE_ROW)
        return error("read");
    DivertedBatch batch;
    batch.seq = sqlite3_column_int64(select.get(), 0);
    if (sqlite3_column_type(select.get(), 1) != SQLITE_NULL)
        batch.epoch = static_cast<uint64_t>(sqlite3_column_int64(select.get(), 1));
    const auto *data = static_cast<const char *>(sqlite3_column_blob(select.get(), 2));
    auto rows = unpackRows(std::string_view(data ? data : "", static_cast<size_t>(sqlite3_column_bytes(select.get(), 2))));
    if (!rows)
        return rows.status();
    batch.rows = std::move(rows).value();
    return std::optional<DivertedBatch>(std::move(batch));
}

Status DivertBuffer::remove(int64_t seq)
{
    Statement rowCount(m_db, "SELECT row_count FROM divert_batches WHERE seq = ?1");
    Statement del(m_db, "DELETE FROM divert_batches WHERE seq = ?1");
    if (!rowCount.ok() || !del.ok())
        return error("prepare remove");
    sqlite3_bind_int64(rowCount.get(), 1, seq);
    const uint64_t rows = sqlite3_step(rowCount.get()) == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(rowCount.get(), 0)) : 0;
    sqlite3_bind_int64(del.get(), 1, seq);
    if (sqlite3_step(del.get()) != SQLITE_DONE)
        return error("remove");
    if (sqlite3_changes(m_db) > 0) {
        --m_batches;
        m_rows -= std::min(m_rows.load(), rows);
    }
    return Status::ok();
}

Status DivertBuffer::exec(const char *sql)
{
    return sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) == SQLITE_OK ? Status::ok() : error(sql);
}

Status DivertBuffer::error(const char *what) const
{
    return Status::ioError("divert buffer " + m_path + ": " + what + ": " + sqlite3_errmsg(m_db));
}

} // namespace tally
