// A DivertBuffer holds window results on local disk while the database is unreachable: batches
// are appended in order to a SQLite file and replayed from the oldest, each with the epoch it
// belongs to, so the replay is in order and idempotent (upserts; an epoch commits once).
//
// Schema: divert_batches(seq INTEGER PRIMARY KEY AUTOINCREMENT, epoch INTEGER NULL,
//                        row_count INTEGER, rows BLOB) with rows packed by packRows() (core/results.h).
#pragma once

#include "sink/output.h"
#include "util/status.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

struct sqlite3;

namespace tally {

struct DivertedBatch {
    int64_t seq = 0;
    std::optional<uint64_t> epoch;
    std::vector<OutputRow> rows;
};

// Not thread-safe: used by a SinkWriter's writer thread.
class DivertBuffer {
public:
    // Opens (or creates) the buffer file; batches left by an earlier run are kept for replay.
    static Result<std::unique_ptr<DivertBuffer>> open(const std::string &path);
    ~DivertBuffer();

    Status append(std::optional<uint64_t> epoch, std::span<const OutputRow> rows);
    // The oldest batch, if any.
    Result<std::optional<DivertedBatch>> oldest();
    Status remove(int64_t seq);

    uint64_t batchCount() const { return m_batches; }
    uint64_t rowCount() const { return m_rows; }
    const std::string &path() const { return m_path; }

private:
    DivertBuffer(sqlite3 *db, std::string path) : m_db(db), m_path(std::move(path)) {}
    Status exec(const char *sql);
    Status error(const char *what) const;

    sqlite3 *m_db;
    std::string m_path;
    // Read by other threads for status; written by the owning thread only.
    std::atomic<uint64_t> m_batches{0};
    std::atomic<uint64_t> m_rows{0};
};

} // namespace tally
