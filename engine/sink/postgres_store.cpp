#include "sink/postgres_store.h"

#include "event/codec.h"
#include "event/like_event.h"

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <vector>

namespace tally {

namespace {

// Schema migrations: entry i takes the database from version i to i + 1. A released entry is
// never edited; a new schema version appends one.
constexpr const char *kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE window_results (
    aggregation   text    NOT NULL,
    window_start  bigint  NOT NULL,
    window_end    bigint  NOT NULL,
    key           text    NOT NULL,
    value         bigint  NOT NULL,
    flag          boolean NOT NULL,
    epoch         bigint  NOT NULL,
    updated_at_ms bigint  NOT NULL,
    PRIMARY KEY (aggregation, window_start, window_end, key)
);
CREATE TABLE dead_letters (
    id        bigserial PRIMARY KEY,
    reason    text    NOT NULL,
    detail    text    NOT NULL,
    partition integer NOT NULL,
    "offset"  bigint  NOT NULL,
    payload   bytea   NOT NULL,
    at_ms     bigint  NOT NULL
);
CREATE TABLE late_events (
    id            bigserial PRIMARY KEY,
    event_id      bigint NOT NULL,
    post_id       bigint NOT NULL,
    user_id       bigint NOT NULL,
    region        text   NOT NULL,
    action        text   NOT NULL,
    event_time_ms bigint NOT NULL,
    device_type   text,
    dropped_by    text   NOT NULL,
    watermark_ms  bigint NOT NULL,
    at_ms         bigint NOT NULL
);
CREATE TABLE sink_commits (
    job             text   PRIMARY KEY,
    epoch           bigint NOT NULL,
    committed_at_ms bigint NOT NULL
);
CREATE TABLE rejected_rows (
    id           bigserial PRIMARY KEY,
    aggregation  text    NOT NULL,
    window_start bigint  NOT NULL,
    window_end   bigint  NOT NULL,
    key          text    NOT NULL,
    kind         text    NOT NULL,
    value        bigint  NOT NULL,
    flag         boolean NOT NULL,
    epoch        bigint  NOT NULL,
    error        text    NOT NULL,
    at_ms        bigint  NOT NULL
);
)sql",
};
static_assert(std::size(kMigrations) == PostgresStore::kSchemaVersion);

// Any fixed number: the advisory lock that serializes schema migrations across processes.
constexpr int64_t kMigrationLock = 0x74616c6c79; // "tally"

// Prepared statements, one set per connection. Arrays travel as one text parameter each.
constexpr const char *kUpsertRows =
    "INSERT INTO window_results (aggregation, window_start, window_end, key, value, flag, epoch, updated_at_ms) "
    "SELECT a, ws, we, k, v, f, e, $8 FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], "
    "$5::bigint[], $6::boolean[], $7::bigint[]) AS u(a, ws, we, k, v, f, e) "
    "ON CONFLICT (aggregation, window_start, window_end, key) DO UPDATE SET value = EXCLUDED.value, "
    "flag = EXCLUDED.flag, epoch = EXCLUDED.epoch, updated_at_ms = EXCLUDED.updated_at_ms";
constexpr const char *kDeleteRows =
    "DELETE FROM window_results w USING unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) "
    "AS d(a, ws, we, k) WHERE w.aggregation = d.a AND w.window_start = d.ws AND w.window_end = d.we AND w.key = d.k";
constexpr const char *kInsertDeadLetters =
    "INSERT INTO dead_letters (reason, detail, partition, \"offset\", payload, at_ms) "
    "SELECT r, d, p, o, decode(h, 'hex'), $6 FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], "
    "$5::text[]) AS u(r, d, p, o, h)";
constexpr const char *kInsertLateEvents =
    "INSERT INTO late_events (event_id, post_id, user_id, region, action, event_time_ms, device_type, dropped_by, "
    "watermark_ms, at_ms) SELECT * , $10 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], "
    "$5::text[], $6::bigint[], $7::text[], $8::text[], $9::bigint[])";
constexpr const char *kInsertRejected =
    "INSERT INTO rejected_rows (aggregation, window_start, window_end, key, kind, value, flag, epoch, error, at_ms) "
    "SELECT *, $10 FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], "
    "$7::boolean[], $8::bigint[], $9::text[])";
constexpr const char *kLockEpoch = "SELECT epoch FROM sink_commits WHERE job = $1 FOR UPDATE";
constexpr const char *kInsertJob =
    "INSERT INTO sink_commits (job, epoch, committed_at_ms) VALUES ($1, 0, 0) ON CONFLICT (job) DO NOTHING";
constexpr const char *kSetEpoch = "UPDATE sink_commits SET epoch = $2, committed_at_ms = $3 WHERE job = $1";
constexpr const char *kReadEpoch = "SELECT epoch FROM sink_commits WHERE job = $1";

// Builds a PostgreSQL array literal: {1,2,3}, {"a","b"}, {t,f}, NULL elements unquoted.
class ArrayLiteral {
public:
    void integer(int64_t v)
    {
        sep();
        char buf[24];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
        m_text.append(buf, end);
    }
    void boolean(bool v)
    {
        sep();
        m_text += v ? 't' : 'f';
    }
    void null()
    {
        sep();
        m_text += "NULL";
    }
    void text(std::string_view s)
    {
        sep();
        m_text += '"';
        for (char c : s) {
            if (c == '"' || c == '\\')
                m_text += '\\';
            m_text += c;
        }
        m_text += '"';
    }
    std::string str() const { return "{" + m_text + "}"; }

private:
    void sep()
    {
        if (!m_text.empty())
            m_text += ',';
    }
    std::string m_text;
};

// Text PostgreSQL accepts: valid UTF-8 without NUL (invalid bytes become '?'). Dead-letter
// details quote broken input, which must not make the database refuse the record.
std::string cleanText(std::string_view s)
{
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool valid = len > 0 && c != 0 && i + len <= s.size();
        for (size_t k = 1; valid && k < len; ++k)
            valid = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
        if (valid) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += '?';
            ++i;
        }
    }
    return out;
}

std::string hex(std::string_view bytes)
{
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (char b : bytes) {
        out += kDigits[(static_cast<unsigned char>(b) >> 4) & 0xf];
        out += kDigits[static_cast<unsigned char>(b) & 0xf];
    }
    return out;
}


int64_t nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// How a failure maps onto the store's error codes (ResultStore::write), and whether the
// connection is still usable. SQLSTATE classes: 22 data exception, 23 integrity constraint.
struct Failure {
    Status status;
    bool connectionBroken = false;
};

Failure classify(const std::exception &e, const std::string &where)
{
    const std::string message = where + ": " + e.what();
    if (dynamic_cast<const pqxx::broken_connection *>(&e))
        return {Status::unavailable(message), true};
    if (dynamic_cast<const pqxx::in_doubt_error *>(&e))
        return {Status::unavailable(message), true}; // a retry is safe: upserts, epoch check
    if (const auto *sql = dynamic_cast<const pqxx::sql_error *>(&e)) {
        const std::string &state = sql->sqlstate();
        if (state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0)
            return {Status::invalidArgument(message + " (SQLSTATE " + state + ")")};
        const bool broken = state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0;
        return {Status::unavailable(message + " (SQLSTATE " + state + ")"), broken};
    }
    return {Status::unavailable(message), true};
}

// The URL with connect_timeout added unless it has one (libpq's default is to wait forever).
std::string withConnectTimeout(const std::string &url, int seconds)
{
    PQconninfoOption *options = PQconninfoParse(url.c_str(), nullptr);
    bool set = false;
    for (PQconninfoOption *o = options; o && o->keyword; ++o)
        set = set || (std::string_view(o->keyword) == "connect_timeout" && o->val && *o->val);
    PQconninfoFree(options);
    if (set || seconds <= 0)
        return url;
    const std::string option = "connect_timeout=" + std::to_string(seconds);
    const bool uri = url.starts_with("postgresql://") || url.starts_with("postgres://");
    if (!uri)
        return url + " " + option;
    return url + (url.find('?') == std::string::npos ? "?" : "&") + option;
}

// "postgresql HOST:PORT/DB" for messages, without the password, parsed by libpq without
// connecting (the server may be down at start).
Result<std::string> serverName(const std::string &url)
{
    char *error = nullptr;
    PQconninfoOption *options = PQconninfoParse(url.c_str(), &error);
    if (!options) {
        std::string why = error ? error : "out of memory";
        PQfreemem(error);
        while (!why.empty() && why.back() == '\n')
            why.pop_back();
        return Status::invalidArgument("postgresql: cannot parse the connection URL: " + why);
    }
    std::string host, port, db, user;
    for (PQconninfoOption *o = options; o->keyword; ++o) {
        const std::string_view key = o->keyword;
        const std::string value = o->val ? o->val : "";
        if (key == "host" || (key == "hostaddr" && host.empty()))
            host = value;
        else if (key == "port")
            port = value;
        else if (key == "dbname")
            db = value;
        else if (key == "user")
            user = value;
    }
    PQconninfoFree(options);
    // libpq's defaults: the local socket, port 5432, a database named like the user.
    return "postgresql " + (host.empty() ? std::string("localhost") : host) + ":" + (port.empty() ? "5432" : port) +
           "/" + (db.empty() ? user : db);
}

} // namespace

struct PostgresStore::Impl {
    PostgresStoreOptions opt;
    std::string where; // "postgresql host:port/db" for messages

    mutable std::mutex mutex;
    std::condition_variable available;
    std::vector<std::unique_ptr<pqxx::connection>> idle;
    int open = 0;
    std::mutex schemaMutex;
    std::atomic<bool> schemaReady{false};

    Result<std::unique_ptr<pqxx::connection>> connect()
    {
        try {
            auto c = std::make_unique<pqxx::connection>(opt.url);
            pqxx::nontransaction setup(*c);
            setup.exec("SET statement_timeout = " + std::to_string(opt.statementTimeoutMs));
            setup.exec("SET application_name = 'tally'");
            setup.commit();
            c->prepare("tally_upsert_rows", kUpsertRows);
            c->prepare("tally_delete_rows", kDeleteRows);
            c->prepare("tally_insert_dead_letters", kInsertDeadLetters);
            c->prepare("tally_insert_late_events", kInsertLateEvents);
            c->prepare("tally_insert_rejected", kInsertRejected);
            c->prepare("tally_lock_epoch", kLockEpoch);
            c->prepare("tally_insert_job", kInsertJob);
            c->prepare("tally_set_epoch", kSetEpoch);
            c->prepare("tally_read_epoch", kReadEpoch);
            return c;
        } catch (const std::exception &e) {
            return classify(e, where + ": connect").status;
        }
    }

    // Borrows a connection: an idle one, a new one while fewer than poolSize are open, or waits.
    Result<std::unique_ptr<pqxx::connection>> acquire()
    {
        {
            std::unique_lock lock(mutex);
            available.wait(lock, [&] { return !idle.empty() || open < opt.poolSize; });
            if (!idle.empty()) {
                auto c = std::move(idle.back());
                idle.pop_back();
                return c;
            }
            ++open;
        }
        auto c = connect();
        if (!c) {
            std::lock_guard lock(mutex);
            --open;
            available.notify_one();
        }
        return c;
    }

    void release(std::unique_ptr<pqxx::connection> c, bool broken)
    {
        std::lock_guard lock(mutex);
        if (broken || !c->is_open()) {
            --open;
            c.reset();
        } else {
            idle.push_back(std::move(c));
        }
        available.notify_one();
    }

    // Runs `body` in one transaction on a pooled connection; maps exceptions onto Status.
    template <typename Body>
    auto withConnection(const char *what, Body &&body) -> decltype(body(std::declval<pqxx::connection &>()))
    {
        auto c = acquire();
        if (!c)
            return c.status();
        try {
            auto result = body(**c);
            release(std::move(c).value(), false);
            return result;
        } catch (const std::exception &e) {
            Failure f = classify(e, where + ": " + what);
            release(std::move(c).value(), f.connectionBroken);
            return f.status;
        }
    }

    // Creates or migrates the schema once per store: at open, or at the first use after a start
    // with the server down.
    Status ensureSchema()
    {
        if (schemaReady)
            return Status::ok();
        std::lock_guard lock(schemaMutex);
        if (schemaReady)
            return Status::ok();
        auto r = withConnection("create schema", [&](pqxx::connection &c) -> Result<int> {
            pqxx::work tx(c);
            tx.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
            tx.exec("CREATE TABLE IF NOT EXISTS tally_schema (version integer NOT NULL)");
            pqxx::result v = tx.exec("SELECT version FROM tally_schema");
            int version = v.empty() ? 0 : v[0][0].as<int>();
            if (version > kSchemaVersion)
                return Status::invalidArgument(where + ": schema version " + std::to_string(version) +
                                               " is newer than this build supports (" +
                                               std::to_string(kSchemaVersion) + ")");
            for (int i = version; i < kSchemaVersion; ++i)
                tx.exec(kMigrations[i]);
            if (v.empty())
                tx.exec("INSERT INTO tally_schema (version) VALUES (" + std::to_string(kSchemaVersion) + ")");
            else
                tx.exec("UPDATE tally_schema SET version = " + std::to_string(kSchemaVersion));
            tx.commit();
            return version;
        });
        schemaReady = r.isOk();
        return r.status();
    }
};

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(PostgresStoreOptions options)
{
    if (options.url.empty())
        return Status::invalidArgument("postgresql: no connection URL");
    if (options.poolSize < 1)
        return Status::invalidArgument("postgresql: the pool needs at least one connection");
    auto where = serverName(options.url);
    if (!where)
        return where.status();
    auto impl = std::make_unique<Impl>();
    impl->opt = std::move(options);
    impl->opt.url = withConnectTimeout(impl->opt.url, impl->opt.connectTimeoutSeconds);
    impl->where = *where;
    // A server that is down now is retried by the writer like one that goes down later; only
    // what a retry cannot fix (a newer schema) refuses the start.
    if (Status s = impl->ensureSchema(); !s.isOk()) {
        if (isPermanentStoreError(s))
            return s;
        fprintf(stderr, "tally: %s: not reachable at start, writes wait and are retried: %s\n", impl->where.c_str(),
                s.toString().c_str());
    }
    return std::unique_ptr<PostgresStore>(new PostgresStore(std::move(impl)));
}

PostgresStore::PostgresStore(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}
PostgresStore::~PostgresStore() = default;

std::string PostgresStore::describe() const { return d->where; }

int PostgresStore::openConnections() const
{
    std::lock_guard lock(d->mutex);
    return d->open;
}

Result<uint64_t> PostgresStore::committedEpoch()
{
    if (Status s = d->ensureSchema(); !s.isOk())
        return s;
    return d->withConnection("read the committed epoch", [&](pqxx::connection &c) -> Result<uint64_t> {
        pqxx::read_transaction tx(c);
        pqxx::result r = tx.exec_prepared("tally_read_epoch", d->opt.jobId);
        return r.empty() ? uint64_t{0} : static_cast<uint64_t>(r[0][0].as<int64_t>());
    });
}

Result<WriteOutcome> PostgresStore::write(const StoreBatch &batch)
{
    if (Status s = d->ensureSchema(); !s.isOk())
        return s;
    if (batch.rows.empty() && batch.deadLetters.empty() && batch.lateEvents.empty() && batch.rejected.empty() &&
        !batch.epoch)
        return batch.probe ? WriteOutcome::ProbeAccepted : WriteOutcome::Committed;
    // The server's upsert is the cost (about 16 us a row here), so a large at-least-once batch is
    // split over pooled connections and written in parallel transactions. Rows are unique per
    // batch, so no row is written twice; a failed part fails the batch, and its retry rewrites
    // the parts that committed (idempotent upserts). Exactly-once epochs stay one transaction.
    constexpr size_t kRowsPerPart = 4000;
    const size_t parts = std::min<size_t>(static_cast<size_t>(d->opt.poolSize), batch.rows.size() / kRowsPerPart);
    if (batch.epoch || batch.probe || parts < 2)
        return writeTransaction(batch);
    std::vector<std::future<Result<WriteOutcome>>> running;
    const size_t per = (batch.rows.size() + parts - 1) / parts;
    for (size_t i = 0; i < parts; ++i) {
        StoreBatch part;
        part.rows = batch.rows.subspan(i * per, std::min(per, batch.rows.size() - i * per));
        if (i == 0) {
            part.deadLetters = batch.deadLetters;
            part.lateEvents = batch.lateEvents;
            part.rejected = batch.rejected;
        }
        running.push_back(std::async(std::launch::async, [this, part] { return writeTransaction(part); }));
    }
    Result<WriteOutcome> outcome = WriteOutcome::Committed;
    for (auto &r : running) {
        Result<WriteOutcome> done = r.get();
        if (!done && outcome)
            outcome = std::move(done);
    }
    return outcome;
}

Result<WriteOutcome> PostgresStore::writeTransaction(const StoreBatch &batch)
{
    return d->withConnection("write", [&](pqxx::connection &c) -> Result<WriteOutcome> {
        pqxx::work tx(c);
        const int64_t now = nowMs();
        if (batch.epoch) {
            // The job's row is locked for the transaction: two writers cannot commit one epoch.
            tx.exec_prepared("tally_insert_job", d->opt.jobId);
            pqxx::result r = tx.exec_prepared("tally_lock_epoch", d->opt.jobId);
            if (static_cast<uint64_t>(r[0][0].as<int64_t>()) >= *batch.epoch) {
                tx.abort();
                return WriteOutcome::AlreadyCommitted;
            }
        }
        ArrayLiteral ua, uws, uwe, uk, uv, uf, ue; // upserts
        ArrayLiteral da, dws, dwe, dk;             // deletes
        size_t upserts = 0, deletes = 0;
        for (const OutputRow &row : batch.rows) {
            const std::string key = keyText(row.aggregation, row.key);
            if (row.kind == OutputRow::Kind::Upsert) {
                ua.text(aggregationName(row.aggregation));
                uws.integer(row.windowStartMs);
                uwe.integer(row.windowEndMs);
                uk.text(key);
                uv.integer(row.value);
                uf.boolean(row.flag);
                ue.integer(static_cast<int64_t>(row.epoch));
                ++upserts;
            } else {
                da.text(aggregationName(row.aggregation));
                dws.integer(row.windowStartMs);
                dwe.integer(row.windowEndMs);
                dk.text(key);
                ++deletes;
            }
        }
        if (upserts > 0)
            tx.exec_prepared("tally_upsert_rows", ua.str(), uws.str(), uwe.str(), uk.str(), uv.str(), uf.str(), ue.str(),
                             now);
        if (deletes > 0)
            tx.exec_prepared("tally_delete_rows", da.str(), dws.str(), dwe.str(), dk.str());
        if (!batch.deadLetters.empty()) {
            ArrayLiteral reason, detail, partition, offset, payload;
            for (const DeadLetter &dl : batch.deadLetters) {
                reason.text(rejectReasonName(dl.reason));
                detail.text(cleanText(dl.detail));
                partition.integer(dl.partition);
                offset.integer(dl.offset);
                payload.text(hex(dl.payload));
            }
            tx.exec_prepared("tally_insert_dead_letters", reason.str(), detail.str(), partition.str(), offset.str(),
                             payload.str(), now);
        }
        if (!batch.lateEvents.empty()) {
            ArrayLiteral id, post, user, region, action, time, device, droppedBy, watermark;
            for (const LateEvent &late : batch.lateEvents) {
                const LikeEvent &e = late.event;
                id.integer(static_cast<int64_t>(e.eventId));
                post.integer(static_cast<int64_t>(e.postId));
                user.integer(static_cast<int64_t>(e.userId));
                region.text(regionName(e.region));
                action.text(actionName(e.action));
                time.integer(e.eventTimeMs);
                if (e.deviceType == DeviceType::None)
                    device.null();
                else
                    device.text(deviceTypeName(e.deviceType));
                droppedBy.text(droppedByNames(late.droppedMask));
                watermark.integer(late.watermarkMs);
            }
            tx.exec_prepared("tally_insert_late_events", id.str(), post.str(), user.str(), region.str(), action.str(),
                             time.str(), device.str(), droppedBy.str(), watermark.str(), now);
        }
        if (!batch.rejected.empty()) {
            ArrayLiteral a, ws, we, k, kind, v, f, e, err;
            for (const RejectedRow &r : batch.rejected) {
                a.text(aggregationName(r.row.aggregation));
                ws.integer(r.row.windowStartMs);
                we.integer(r.row.windowEndMs);
                k.text(keyText(r.row.aggregation, r.row.key));
                kind.text(r.row.kind == OutputRow::Kind::Upsert ? "upsert" : "delete");
                v.integer(r.row.value);
                f.boolean(r.row.flag);
                e.integer(static_cast<int64_t>(r.row.epoch));
                err.text(cleanText(r.error));
            }
            tx.exec_prepared("tally_insert_rejected", a.str(), ws.str(), we.str(), k.str(), kind.str(), v.str(), f.str(),
                             e.str(), err.str(), now);
        }
        if (batch.epoch)
            tx.exec_prepared("tally_set_epoch", d->opt.jobId, static_cast<int64_t>(*batch.epoch), now);
        if (batch.probe) {
            tx.abort();
            return WriteOutcome::ProbeAccepted;
        }
        tx.commit();
        return WriteOutcome::Committed;
    });
}

} // namespace tally
