// A PostgresStore keeps the job's output in PostgreSQL (through libpqxx), for production: a small
// connection pool, prepared statements, and batches written as set-based statements (one upsert
// and one delete over arrays of rows, unnest()), each batch in one transaction (a large
// at-least-once batch in parallel transactions over the pool).
//
// Schema, version 1, created and migrated on open, or on first use when the server was down at
// open (table tally_schema holds the version; an advisory lock serializes concurrent migrations). Same tables and columns as SqliteStore:
//   window_results(aggregation text, window_start bigint, window_end bigint, key text,
//                  value bigint, flag boolean, epoch bigint, updated_at_ms bigint,
//                  PRIMARY KEY (aggregation, window_start, window_end, key))
//   dead_letters(id bigserial, reason text, detail text, partition integer, "offset" bigint,
//                payload bytea, at_ms bigint)
//   late_events(id bigserial, event_id bigint, post_id bigint, user_id bigint, region text,
//               action text, event_time_ms bigint, device_type text NULL, dropped_by text,
//               watermark_ms bigint, at_ms bigint)
//   sink_commits(job text PRIMARY KEY, epoch bigint, committed_at_ms bigint)
//   rejected_rows(id bigserial, aggregation text, window_start bigint, window_end bigint,
//                 key text, kind text, value bigint, flag boolean, epoch bigint, error text,
//                 at_ms bigint)
// Unsigned 64-bit ids and epochs are stored as bigint (two's complement), as in SQLite.
#pragma once

#include "sink/result_store.h"
#include "util/status.h"

#include <memory>
#include <string>

namespace tally {

struct PostgresStoreOptions {
    // A libpq connection string or URI, e.g. "postgresql://tally@127.0.0.1:5432/tally".
    std::string url;
    // Connections open at most (the pool grows on demand up to this). Default 4.
    int poolSize = 4;
    // The name this job's committed epochs are recorded under (sink_commits.job).
    std::string jobId = "tally";
    // Server-side limit per statement, so a stuck server fails a write instead of hanging it.
    int statementTimeoutMs = 30000;
    // Limit on establishing a connection (libpq's connect_timeout), unless the URL sets one: a
    // host that drops packets, or a port that accepts and never answers, fails the attempt
    // instead of holding the start or the writer for the system's TCP timeout (minutes).
    int connectTimeoutSeconds = 10;
};

// Thread-safe: each call borrows a pooled connection.
class PostgresStore final : public ResultStore {
public:
    static constexpr int kSchemaVersion = 1;

    // Tries to connect and create or check the schema. Fails when the database holds a newer
    // schema or the options (the URL) are invalid; a server that cannot be reached is reported:
    // every call then fails with Unavailable until it answers, and the first to reach it creates
    // the schema.
    static Result<std::unique_ptr<PostgresStore>> open(PostgresStoreOptions options);
    ~PostgresStore() override;

    Result<WriteOutcome> write(const StoreBatch &batch) override;
    Result<uint64_t> committedEpoch() override;
    Status flush() override { return Status::ok(); } // every commit is durable on the server
    std::string describe() const override;

    int openConnections() const; // for tests and the console

private:
    struct Impl;
    explicit PostgresStore(std::unique_ptr<Impl> impl);
    Result<WriteOutcome> writeTransaction(const StoreBatch &batch);
    std::unique_ptr<Impl> d;
};

} // namespace tally
