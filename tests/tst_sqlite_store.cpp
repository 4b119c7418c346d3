// Tests for SqliteStore: what it writes is read back with plain SQL and compared with an oracle
// (a std::map that applies the same upserts and deletes), plus epoch commits and replays, probes,
// schema migration, reopening, refusing bad files, read-only databases and a busy database.
#include "event/codec.h"
#include "event/like_event.h"
#include "sink/output.h"
#include "sink/sqlite_store.h"
#include "time/clock.h"

#include <QtTest>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

using namespace tally;

namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kBaseMs = 1'700'000'000'000; // 2023-11-14T22:13:20Z

// A plain connection that reads back what the writer wrote, bypassing the code under test.
class RawDb {
public:
    explicit RawDb(const std::string &path)
    {
        m_rc = sqlite3_open_v2(path.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    }
    ~RawDb() { sqlite3_close(m_db); }
    RawDb(const RawDb &) = delete;
    RawDb &operator=(const RawDb &) = delete;

    bool isOpen() const { return m_rc == SQLITE_OK; }
    const char *errorMessage() const { return sqlite3_errmsg(m_db); }

    bool exec(const std::string &sql) { return sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; }

    // Runs `sql` and calls onRow(stmt) for each result row. False on any SQLite error.
    template <typename F>
    bool query(const std::string &sql, F onRow)
    {
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            return false;
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
            onRow(stmt);
        sqlite3_finalize(stmt);
        return rc == SQLITE_DONE;
    }

    int64_t integer(const std::string &sql)
    {
        int64_t value = -1;
        if (!query(sql, [&](sqlite3_stmt *s) { value = columnInt(s, 0); }))
            qWarning("query failed: %s: %s", sql.c_str(), errorMessage());
        return value;
    }

    QByteArray text(const std::string &sql)
    {
        QByteArray value;
        query(sql, [&](sqlite3_stmt *s) { value = columnText(s, 0); });
        return value;
    }

    // QByteArray rather than std::string: QCOMPARE prints it on a mismatch.
    static QByteArray columnText(sqlite3_stmt *s, int i)
    {
        const auto *p = reinterpret_cast<const char *>(sqlite3_column_text(s, i));
        return p ? QByteArray(p, sqlite3_column_bytes(s, i)) : QByteArray();
    }
    static QByteArray columnBlob(sqlite3_stmt *s, int i)
    {
        const auto *p = static_cast<const char *>(sqlite3_column_blob(s, i));
        return p ? QByteArray(p, sqlite3_column_bytes(s, i)) : QByteArray();
    }
    static int64_t columnInt(sqlite3_stmt *s, int i) { return sqlite3_column_int64(s, i); }

private:
    sqlite3 *m_db = nullptr;
    int m_rc = SQLITE_ERROR;
};

// The oracle's view of window_results: primary key -> (value, flag, epoch, updated_at_ms).
using RowKey = std::tuple<std::string, int64_t, int64_t, std::string>;
using RowValue = std::tuple<int64_t, int64_t, int64_t, int64_t>;
using RowMap = std::map<RowKey, RowValue>;

RowMap readWindowResults(RawDb &db)
{
    RowMap rows;
    const bool ok = db.query(
        "SELECT aggregation, window_start, window_end, key, value, flag, epoch, updated_at_ms FROM window_results",
        [&](sqlite3_stmt *s) {
            RowKey key{RawDb::columnText(s, 0).toStdString(), RawDb::columnInt(s, 1), RawDb::columnInt(s, 2),
                       RawDb::columnText(s, 3).toStdString()};
            rows[key] = {RawDb::columnInt(s, 4), RawDb::columnInt(s, 5), RawDb::columnInt(s, 6),
                         RawDb::columnInt(s, 7)};
        });
    if (!ok)
        qWarning("reading window_results failed: %s", db.errorMessage());
    return rows;
}

void applyToOracle(RowMap &oracle, const OutputRow &row, int64_t nowMs)
{
    RowKey key{std::string(aggregationName(row.aggregation)), row.windowStartMs, row.windowEndMs,
               keyText(row.aggregation, row.key)};
    if (row.kind == OutputRow::Kind::Delete)
        oracle.erase(key);
    else
        oracle[key] = {row.value, row.flag ? 1 : 0, static_cast<int64_t>(row.epoch), nowMs};
}

// Seeded rows over a small key space, so keys are re-upserted and deleted many times.
std::vector<OutputRow> randomRows(uint64_t seed, int count, int deletePercent)
{
    std::mt19937_64 rng(seed);
    auto pick = [&](uint64_t n) { return rng() % n; };
    const RegionCode regions[] = {*parseRegion("US"), *parseRegion("DE"), *parseRegion("BR")};
    std::vector<OutputRow> rows;
    for (int i = 0; i < count; ++i) {
        OutputRow row;
        row.aggregation = static_cast<Aggregation>(pick(kAggregationCount));
        const int64_t length = row.aggregation == Aggregation::TrendingHourly ? kHour : kMinute;
        row.windowStartMs = kBaseMs + static_cast<int64_t>(pick(3)) * length;
        row.windowEndMs = row.windowStartMs + length;
        if (row.aggregation == Aggregation::LikesByRegion)
            row.key = regionKey(regions[pick(3)], static_cast<DeviceType>(pick(static_cast<uint64_t>(DeviceType::kCount))));
        else
            row.key = pick(6) == 0 ? std::numeric_limits<uint64_t>::max() - pick(2) : pick(6);
        row.kind = static_cast<int>(pick(100)) < deletePercent ? OutputRow::Kind::Delete : OutputRow::Kind::Upsert;
        row.value = static_cast<int64_t>(pick(1000)) - 100;
        row.flag = pick(2) == 1;
        row.epoch = static_cast<uint64_t>(i / 10);
        rows.push_back(row);
    }
    return rows;
}

SqliteStoreOptions withClock(const Clock &clock, int busyTimeoutMs = 2000)
{
    SqliteStoreOptions options;
    options.busyTimeoutMs = busyTimeoutMs;
    options.clock = &clock;
    return options;
}

std::unique_ptr<SqliteStore> openOrFail(const std::string &path, SqliteStoreOptions options = {})
{
    auto writer = SqliteStore::open(path, std::move(options));
    if (!writer.isOk()) {
        qWarning("open %s: %s", path.c_str(), writer.status().toString().c_str());
        return nullptr;
    }
    return std::move(writer).value();
}

// One batch per call, as the SinkWriter sends them.
Status writeRows(SqliteStore &store, std::span<const OutputRow> rows)
{
    StoreBatch batch;
    batch.rows = rows;
    return store.write(batch).status();
}
Status writeDeadLetters(SqliteStore &store, std::span<const DeadLetter> records)
{
    StoreBatch batch;
    batch.deadLetters = records;
    return store.write(batch).status();
}
Status writeLateEvents(SqliteStore &store, std::span<const LateEvent> events)
{
    StoreBatch batch;
    batch.lateEvents = events;
    return store.write(batch).status();
}

OutputRow upsert(Aggregation a, int64_t start, uint64_t key, int64_t value, bool flag = false, uint64_t epoch = 0)
{
    OutputRow row;
    row.aggregation = a;
    row.windowStartMs = start;
    row.windowEndMs = start + (a == Aggregation::TrendingHourly ? kHour : kMinute);
    row.key = key;
    row.value = value;
    row.flag = flag;
    row.epoch = epoch;
    return row;
}

OutputRow remove(OutputRow row)
{
    row.kind = OutputRow::Kind::Delete;
    return row;
}

} // namespace

class TestSqliteStore : public QObject {
    Q_OBJECT

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_path = m_dir->filePath("tally.db").toStdString();
    }
    void cleanup() { m_dir.reset(); }

    void createsVersionedSchemaInWalMode()
    {
        QVERIFY(openOrFail(m_path));
        RawDb db(m_path);
        QVERIFY(db.isOpen());
        QCOMPARE(db.integer("PRAGMA user_version"), int64_t(SqliteStore::kSchemaVersion));
        QCOMPARE(db.text("PRAGMA journal_mode"), QByteArray("wal"));
        QCOMPARE(db.text("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_schema "
                         "WHERE type = 'table' ORDER BY name)"),
                 QByteArray("dead_letters,late_events,rejected_rows,sink_commits,window_results"));
        QCOMPARE(db.integer("SELECT count(*) FROM pragma_table_info('window_results') WHERE pk > 0"), int64_t(4));
    }

    void upsertReplacesAndDeleteRemoves()
    {
        ManualClock clock(kBaseMs);
        auto writer = openOrFail(m_path, withClock(clock));
        QVERIFY(writer);
        const OutputRow first = upsert(Aggregation::LikesPerPost, kBaseMs, 42, 7);
        const OutputRow other = upsert(Aggregation::LikeVelocity, kBaseMs, 42, 150, true, 3);
        const OutputRow rows1[] = {first, other};
        QVERIFY(writeRows(*writer, rows1).isOk());

        clock.advance(1000);
        OutputRow again = first;
        again.value = 9;
        again.epoch = 1;
        const OutputRow rows2[] = {again};
        QVERIFY(writeRows(*writer, rows2).isOk());

        RawDb db(m_path);
        QCOMPARE(db.integer("SELECT count(*) FROM window_results"), int64_t(2));
        QCOMPARE(db.integer("SELECT value FROM window_results WHERE aggregation = 'likes_per_post' AND key = '42'"),
                 int64_t(9));
        QCOMPARE(db.integer("SELECT epoch FROM window_results WHERE aggregation = 'likes_per_post'"), int64_t(1));
        QCOMPARE(db.integer("SELECT updated_at_ms FROM window_results WHERE aggregation = 'likes_per_post'"),
                 kBaseMs + 1000);
        QCOMPARE(db.integer("SELECT flag FROM window_results WHERE aggregation = 'like_velocity'"), int64_t(1));
        QCOMPARE(db.integer("SELECT updated_at_ms FROM window_results WHERE aggregation = 'like_velocity'"),
                 kBaseMs);

        const OutputRow rows3[] = {remove(first), remove(upsert(Aggregation::SpamSuspects, kBaseMs, 1, 0))};
        QVERIFY(writeRows(*writer, rows3).isOk()); // deleting a row that never existed is fine
        QCOMPARE(db.integer("SELECT count(*) FROM window_results"), int64_t(1));
        QCOMPARE(db.text("SELECT aggregation FROM window_results"), QByteArray("like_velocity"));
    }

    void keysAsText()
    {
        auto writer = openOrFail(m_path);
        QVERIFY(writer);
        const OutputRow rows[] = {
            upsert(Aggregation::LikesByRegion, kBaseMs, regionKey(*parseRegion("US")), 5),
            upsert(Aggregation::LikesByRegion, kBaseMs, regionKey(*parseRegion("US"), DeviceType::Ios), 3),
            upsert(Aggregation::SpamSuspects, kBaseMs, std::numeric_limits<uint64_t>::max(), 60, true),
        };
        QVERIFY(writeRows(*writer, rows).isOk());
        RawDb db(m_path);
        QCOMPARE(db.text("SELECT group_concat(key, ' ') FROM (SELECT key FROM window_results ORDER BY key)"),
                 QByteArray("18446744073709551615 US US/ios"));
    }

    void rowsMatchOracle_data()
    {
        QTest::addColumn<quint64>("seed");
        QTest::addColumn<int>("count");
        QTest::addColumn<int>("batchSize");
        QTest::addColumn<int>("deletePercent");
        QTest::newRow("one batch") << quint64(1) << 600 << 600 << 10;
        QTest::newRow("small batches") << quint64(2) << 600 << 7 << 10;
        QTest::newRow("one row per call") << quint64(3) << 80 << 1 << 25;
        QTest::newRow("delete heavy") << quint64(4) << 500 << 16 << 60;
        QTest::newRow("upserts only") << quint64(5) << 500 << 64 << 0;
    }

    void rowsMatchOracle()
    {
        QFETCH(quint64, seed);
        QFETCH(int, count);
        QFETCH(int, batchSize);
        QFETCH(int, deletePercent);

        ManualClock clock(kBaseMs);
        auto writer = openOrFail(m_path, withClock(clock));
        QVERIFY(writer);
        const std::vector<OutputRow> rows = randomRows(seed, count, deletePercent);
        RowMap oracle;
        for (size_t begin = 0; begin < rows.size(); begin += static_cast<size_t>(batchSize)) {
            const size_t end = std::min(rows.size(), begin + static_cast<size_t>(batchSize));
            clock.advance(250);
            const Status status = writeRows(*writer, std::span(rows).subspan(begin, end - begin));
            QVERIFY2(status.isOk(), status.toString().c_str());
            for (size_t i = begin; i < end; ++i)
                applyToOracle(oracle, rows[i], clock.nowMs());
        }
        QVERIFY(writer->flush().isOk());

        RawDb db(m_path);
        const RowMap stored = readWindowResults(db);
        QVERIFY(!oracle.empty() || deletePercent > 0);
        QCOMPARE(stored.size(), oracle.size());
        QVERIFY(stored == oracle);
    }

    void deadLetters()
    {
        ManualClock clock(kBaseMs);
        auto writer = openOrFail(m_path, withClock(clock));
        QVERIFY(writer);
        const std::vector<DeadLetter> records = {
            {RejectReason::Malformed, "expected ',' or '}'", 0, 17, "{\"event_id\":1"},
            {RejectReason::UnknownSchema, "schema id 9", 3, int64_t(1) << 40, std::string("\0\0\0\0\x09\xff", 6)},
            {RejectReason::Oversize, "5000 bytes", 1, 0, std::string(5000, 'x')},
            {RejectReason::MissingField, "", 2, 5, ""},
        };
        QVERIFY(writeDeadLetters(*writer, std::span(records).first(2)).isOk());
        clock.advance(10);
        QVERIFY(writeDeadLetters(*writer, std::span(records).subspan(2)).isOk());

        RawDb db(m_path);
        size_t i = 0;
        const bool ok = db.query(
            "SELECT reason, detail, partition, offset, payload, typeof(payload), at_ms FROM dead_letters ORDER BY id",
            [&](sqlite3_stmt *s) {
                QVERIFY(i < records.size());
                const DeadLetter &r = records[i];
                QCOMPARE(RawDb::columnText(s, 0), QByteArray::fromStdString(std::string(rejectReasonName(r.reason))));
                QCOMPARE(RawDb::columnText(s, 1), QByteArray::fromStdString(r.detail));
                QCOMPARE(RawDb::columnInt(s, 2), int64_t(r.partition));
                QCOMPARE(RawDb::columnInt(s, 3), r.offset);
                QCOMPARE(RawDb::columnBlob(s, 4), QByteArray::fromStdString(r.payload));
                QCOMPARE(RawDb::columnText(s, 5), QByteArray("blob"));
                QCOMPARE(RawDb::columnInt(s, 6), i < 2 ? kBaseMs : kBaseMs + 10);
                ++i;
            });
        QVERIFY(ok);
        QCOMPARE(i, records.size());
    }

    // The dead-letter browser's read of the table: newest first, by reason, below a row id, each
    // payload cut with its whole size kept; a missing file or table is an error, not a crash; a
    // budget spent stops the read with what it found and says so.
    void storedDeadLettersForTheBrowser()
    {
        ManualClock clock(kBaseMs);
        auto writer = openOrFail(m_path, withClock(clock));
        QVERIFY(writer);
        const std::vector<DeadLetter> records = {
            {RejectReason::Malformed, "expected ',' or '}'", 0, 17, "{\"event_id\":1"},
            {RejectReason::UnknownSchema, "schema id 9", 3, int64_t(1) << 40, std::string("\0\0\0\0\x09\xff", 6)},
            {RejectReason::Oversize, "5000 bytes", 1, 0, std::string(5000, 'x')},
            {RejectReason::Malformed, "", 2, 5, "{"},
        };
        QVERIFY(writeDeadLetters(*writer, records).isOk());
        const auto all = readStoredDeadLetters(m_path, std::nullopt, 10, UINT64_MAX, 4096);
        QVERIFY2(all, all.status().toString().c_str());
        QVERIFY(all->complete);
        QCOMPARE(all->letters.size(), records.size());
        for (size_t i = 0; i < records.size(); ++i) { // newest first
            const BrowsedDeadLetter &l = all->letters[i];
            const DeadLetter &r = records[records.size() - 1 - i];
            QCOMPARE(l.reason, r.reason);
            QCOMPARE(l.detail, r.detail);
            QCOMPARE(l.partition, r.partition);
            QCOMPARE(l.offset, r.offset);
            QCOMPARE(l.payloadBytes, r.payload.size());
            QCOMPARE(l.payload, r.payload.substr(0, 4096));
            QCOMPARE(l.atMs, kBaseMs);
        }
        const auto malformed = readStoredDeadLetters(m_path, RejectReason::Malformed, 10, UINT64_MAX, 4096);
        QVERIFY(malformed);
        QCOMPARE(malformed->letters.size(), size_t(2));
        QVERIFY(malformed->letters[0].sequence > malformed->letters[1].sequence);
        const auto older = readStoredDeadLetters(m_path, std::nullopt, 1, all->letters[1].sequence, 4096);
        QVERIFY(older);
        QCOMPARE(older->letters.size(), size_t(1));
        QCOMPARE(older->letters[0].sequence, all->letters[2].sequence);

        // A rare reason at the start of a long table, with no time to look: what was found, incomplete.
        std::vector<DeadLetter> many(50000, DeadLetter{RejectReason::WrongType, "x", 0, 1, "{}"});
        QVERIFY(writeDeadLetters(*writer, many).isOk());
        const auto hurried = readStoredDeadLetters(m_path, RejectReason::UnknownSchema, 10, UINT64_MAX, 4096, 0);
        QVERIFY2(hurried, hurried.status().toString().c_str());
        QVERIFY(!hurried->complete);
        QVERIFY(hurried->letters.empty());
        const auto patient = readStoredDeadLetters(m_path, RejectReason::UnknownSchema, 10, UINT64_MAX, 4096, 10000);
        QVERIFY(patient && patient->complete);
        QCOMPARE(patient->letters.size(), size_t(1));

        QVERIFY(!readStoredDeadLetters(m_dir->filePath("missing.db").toStdString(), std::nullopt, 10, UINT64_MAX, 4096));
    }

    void lateEvents()
    {
        ManualClock clock(kBaseMs + 5 * kMinute);
        auto writer = openOrFail(m_path, withClock(clock));
        QVERIFY(writer);

        LateEvent v1;
        v1.event = {1001, 42, 7, kBaseMs, *parseRegion("US"), Action::Like, DeviceType::None, 1};
        v1.droppedMask = (1u << unsigned(Aggregation::LikesPerPost)) | (1u << unsigned(Aggregation::LikeVelocity));
        v1.watermarkMs = kBaseMs + 2 * kMinute;
        LateEvent v2;
        v2.event = {std::numeric_limits<uint64_t>::max(), uint64_t(1) << 63, 8, kBaseMs - 1, *parseRegion("DE"),
                    Action::Unlike, DeviceType::Android, 2};
        v2.droppedMask = (1u << kAggregationCount) - 1;
        v2.watermarkMs = kBaseMs + 3 * kMinute;
        const std::vector<LateEvent> events = {v1, v2};
        QVERIFY(writeLateEvents(*writer, events).isOk());

        struct Expected {
            const LateEvent &late;
            const char *region;
            const char *action;
            const char *device; // nullptr: SQL NULL
            const char *droppedBy;
        };
        const Expected expected[] = {
            {v1, "US", "like", nullptr, "likes_per_post,like_velocity"},
            {v2, "DE", "unlike", "android", "likes_per_post,trending_hourly,likes_by_region,like_velocity,spam_suspects"},
        };
        RawDb db(m_path);
        size_t i = 0;
        const bool ok = db.query("SELECT event_id, post_id, user_id, region, action, event_time_ms, device_type, "
                                 "dropped_by, watermark_ms, at_ms FROM late_events ORDER BY id",
                                 [&](sqlite3_stmt *s) {
                                     QVERIFY(i < std::size(expected));
                                     const Expected &x = expected[i];
                                     const LikeEvent &e = x.late.event;
                                     QCOMPARE(uint64_t(RawDb::columnInt(s, 0)), e.eventId);
                                     QCOMPARE(uint64_t(RawDb::columnInt(s, 1)), e.postId);
                                     QCOMPARE(uint64_t(RawDb::columnInt(s, 2)), e.userId);
                                     QCOMPARE(RawDb::columnText(s, 3), QByteArray(x.region));
                                     QCOMPARE(RawDb::columnText(s, 4), QByteArray(x.action));
                                     QCOMPARE(RawDb::columnInt(s, 5), e.eventTimeMs);
                                     if (x.device)
                                         QCOMPARE(RawDb::columnText(s, 6), QByteArray(x.device));
                                     else
                                         QCOMPARE(sqlite3_column_type(s, 6), SQLITE_NULL);
                                     QCOMPARE(RawDb::columnText(s, 7), QByteArray(x.droppedBy));
                                     QCOMPARE(RawDb::columnInt(s, 8), x.late.watermarkMs);
                                     QCOMPARE(RawDb::columnInt(s, 9), kBaseMs + 5 * kMinute);
                                     ++i;
                                 });
        QVERIFY(ok);
        QCOMPARE(i, std::size(expected));
    }

    void emptyWritesTouchNothing()
    {
        auto writer = openOrFail(m_path);
        QVERIFY(writer);
        QVERIFY(writeRows(*writer, {}).isOk());
        QVERIFY(writeDeadLetters(*writer, {}).isOk());
        QVERIFY(writeLateEvents(*writer, {}).isOk());
        QVERIFY(writer->flush().isOk());
        RawDb db(m_path);
        QCOMPARE(db.integer("SELECT (SELECT count(*) FROM window_results) + (SELECT count(*) FROM dead_letters) + "
                            "(SELECT count(*) FROM late_events)"),
                 int64_t(0));
    }

    void reopenKeepsSchemaAndData()
    {
        const OutputRow row1 = upsert(Aggregation::TrendingHourly, kBaseMs, 5, 100);
        const DeadLetter letter{RejectReason::WrongType, "post_id is a string", 0, 1, "{}"};
        {
            auto writer = openOrFail(m_path);
            QVERIFY(writer);
            QVERIFY(writeRows(*writer, std::span(&row1, 1)).isOk());
            QVERIFY(writeDeadLetters(*writer, std::span(&letter, 1)).isOk());
        }
        int64_t schemaCookie = 0;
        {
            RawDb db(m_path);
            schemaCookie = db.integer("PRAGMA schema_version"); // changes with every DDL statement
            QVERIFY(schemaCookie > 0);
        }
        {
            auto writer = openOrFail(m_path);
            QVERIFY(writer);
            const OutputRow row2 = upsert(Aggregation::TrendingHourly, kBaseMs, 6, 90);
            QVERIFY(writeRows(*writer, std::span(&row2, 1)).isOk());
        }
        RawDb db(m_path);
        QCOMPARE(db.integer("PRAGMA schema_version"), schemaCookie);
        QCOMPARE(db.integer("PRAGMA user_version"), int64_t(SqliteStore::kSchemaVersion));
        QCOMPARE(db.text("SELECT group_concat(key || '=' || value, ' ') FROM "
                         "(SELECT key, value FROM window_results ORDER BY key)"),
                 QByteArray("5=100 6=90"));
        QCOMPARE(db.integer("SELECT count(*) FROM dead_letters"), int64_t(1));
    }

    void missingFolderIsAnError()
    {
        const std::string path = m_dir->filePath("no/such/folder/tally.db").toStdString();
        const auto writer = SqliteStore::open(path);
        QVERIFY(!writer.isOk());
        QCOMPARE(writer.status().code(), Status::Code::IoError);
        QVERIFY2(writer.status().message().find("unable to open") != std::string::npos,
                 writer.status().message().c_str());
        QVERIFY(writer.status().message().find(path) != std::string::npos);
        QVERIFY(!QFileInfo::exists(m_dir->filePath("no")));
    }

    void notADatabaseIsAnError()
    {
        QFile file(QString::fromStdString(m_path));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(4096, 'x'));
        file.close();
        const auto writer = SqliteStore::open(m_path);
        QVERIFY(!writer.isOk());
        QCOMPARE(writer.status().code(), Status::Code::Corruption);
    }

    void foreignDatabaseIsRefused()
    {
        {
            RawDb db(m_path);
            QVERIFY(db.exec("CREATE TABLE accounts(id INTEGER PRIMARY KEY, name TEXT)"));
        }
        const auto writer = SqliteStore::open(m_path);
        QVERIFY(!writer.isOk());
        QCOMPARE(writer.status().code(), Status::Code::InvalidArgument);
        RawDb db(m_path);
        QCOMPARE(db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table'"), int64_t(1));
    }

    void newerSchemaIsRefused()
    {
        QVERIFY(openOrFail(m_path));
        {
            RawDb db(m_path);
            QVERIFY(db.exec("PRAGMA user_version = " + std::to_string(SqliteStore::kSchemaVersion + 1)));
        }
        const auto writer = SqliteStore::open(m_path);
        QVERIFY(!writer.isOk());
        QCOMPARE(writer.status().code(), Status::Code::InvalidArgument);
        QVERIFY2(writer.status().message().find("newer") != std::string::npos, writer.status().message().c_str());
    }

    // A database opened read-only (SQLite's mode=ro, which holds for root too, unlike file
    // permissions) opens, and every write fails with a Status, changing nothing.
    void readOnlyDatabaseFailsOnWrite()
    {
        const OutputRow row = upsert(Aggregation::LikesPerPost, kBaseMs, 1, 1);
        {
            auto writer = openOrFail(m_path);
            QVERIFY(writer);
            QVERIFY(writeRows(*writer, std::span(&row, 1)).isOk());
        }
        const std::string openPath = "file:" + m_path + "?mode=ro";

        auto writer = openOrFail(openPath);
        QVERIFY(writer);
        OutputRow changed = row;
        changed.value = 2;
        const Status rows = writeRows(*writer, std::span(&changed, 1));
        QVERIFY(!rows.isOk());
        QCOMPARE(rows.code(), Status::Code::IoError);
        QVERIFY2(rows.message().find("readonly") != std::string::npos, rows.message().c_str());
        const DeadLetter letter{RejectReason::Malformed, "", 0, 0, "x"};
        QVERIFY(!writeDeadLetters(*writer, std::span(&letter, 1)).isOk());
        const LateEvent late{};
        QVERIFY(!writeLateEvents(*writer, std::span(&late, 1)).isOk());
        writer.reset();

        RawDb db(m_path);
        QCOMPARE(db.integer("SELECT value FROM window_results"), int64_t(1));
    }

    void busyDatabaseTimesOut()
    {
        auto writer = openOrFail(m_path, withClock(m_clock, 100));
        QVERIFY(writer);
        RawDb other(m_path);
        QVERIFY(other.exec("BEGIN IMMEDIATE")); // holds the write lock

        const OutputRow row = upsert(Aggregation::LikesPerPost, kBaseMs, 1, 1);
        QElapsedTimer timer;
        timer.start();
        const Status status = writeRows(*writer, std::span(&row, 1));
        QVERIFY(!status.isOk());
        QCOMPARE(status.code(), Status::Code::Unavailable);
        QVERIFY2(timer.elapsed() >= 90, "the writer gave up without waiting for the busy timeout");

        QVERIFY(other.exec("COMMIT"));
        QVERIFY(writeRows(*writer, std::span(&row, 1)).isOk());
        QCOMPARE(other.integer("SELECT count(*) FROM window_results"), int64_t(1));
    }

    void busyDatabaseIsWaitedFor()
    {
        auto writer = openOrFail(m_path, withClock(m_clock, 10'000));
        QVERIFY(writer);
        RawDb other(m_path);
        QVERIFY(other.exec("BEGIN IMMEDIATE"));
        bool released = false; // QtTest macros belong to the test thread
        std::thread release([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            released = other.exec("COMMIT");
        });
        const OutputRow row = upsert(Aggregation::LikesPerPost, kBaseMs, 1, 1);
        const Status status = writeRows(*writer, std::span(&row, 1));
        release.join();
        QVERIFY(released);
        QVERIFY2(status.isOk(), status.toString().c_str());
        QCOMPARE(other.integer("SELECT count(*) FROM window_results"), int64_t(1));
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::string m_path;
    ManualClock m_clock{kBaseMs};

    // Exactly-once: an epoch commits once per job; committing it again (a replay after a crash
    // between the commit and the checkpoint's completion) or an older one changes nothing.
    void epochCommitsOnce()
    {
        auto writer = openOrFail(m_path);
        QVERIFY(writer);
        QCOMPARE(writer->committedEpoch().value(), uint64_t(0));
        const std::vector<OutputRow> first = {upsert(Aggregation::LikesPerPost, kBaseMs, 1, 10, false, 5),
                                              upsert(Aggregation::LikesPerPost, kBaseMs, 2, 20, false, 5)};
        StoreBatch batch;
        batch.rows = first;
        batch.epoch = 5;
        auto r = writer->write(batch);
        QVERIFY2(r.isOk(), r.status().toString().c_str());
        QCOMPARE(*r, WriteOutcome::Committed);
        QCOMPARE(writer->committedEpoch().value(), uint64_t(5));

        RawDb db(m_path);
        const QByteArray before = db.text("SELECT group_concat(key || '=' || value, ' ') FROM "
                                          "(SELECT key, value FROM window_results ORDER BY key)");
        QCOMPARE(before, QByteArray("1=10 2=20"));

        const std::vector<OutputRow> replay = {upsert(Aggregation::LikesPerPost, kBaseMs, 1, 99, false, 5),
                                               upsert(Aggregation::LikesPerPost, kBaseMs, 3, 30, false, 5)};
        batch.rows = replay;
        for (uint64_t epoch : {uint64_t(5), uint64_t(4)}) {
            batch.epoch = epoch;
            r = writer->write(batch);
            QVERIFY(r.isOk());
            QCOMPARE(*r, WriteOutcome::AlreadyCommitted);
        }
        QCOMPARE(db.text("SELECT group_concat(key || '=' || value, ' ') FROM "
                         "(SELECT key, value FROM window_results ORDER BY key)"),
                 before);

        // Another job id has its own epochs.
        SqliteStoreOptions other;
        other.jobId = "other";
        auto second = openOrFail(m_path, other);
        QVERIFY(second);
        QCOMPARE(second->committedEpoch().value(), uint64_t(0));
        batch.epoch = 6;
        r = writer->write(batch);
        QVERIFY(r.isOk());
        QCOMPARE(*r, WriteOutcome::Committed);
        QCOMPARE(db.text("SELECT group_concat(key || '=' || value, ' ') FROM "
                         "(SELECT key, value FROM window_results ORDER BY key)"),
                 QByteArray("1=99 2=20 3=30"));
        QCOMPARE(db.integer("SELECT epoch FROM sink_commits WHERE job = 'tally'"), int64_t(6));
        QCOMPARE(second->committedEpoch().value(), uint64_t(0));
    }

    // A probe says whether the database accepts a batch and leaves no trace.
    void probeRollsBack()
    {
        auto writer = openOrFail(m_path);
        QVERIFY(writer);
        const OutputRow row = upsert(Aggregation::LikesPerPost, kBaseMs, 1, 10);
        const RejectedRow refused{upsert(Aggregation::LikesPerPost, kBaseMs, 2, -1), "value must be >= 0"};
        StoreBatch batch;
        batch.rows = std::span(&row, 1);
        batch.rejected = std::span(&refused, 1);
        batch.epoch = 3;
        batch.probe = true;
        auto r = writer->write(batch);
        QVERIFY(r.isOk());
        QCOMPARE(*r, WriteOutcome::ProbeAccepted);
        RawDb db(m_path);
        QCOMPARE(db.integer("SELECT count(*) FROM window_results"), int64_t(0));
        QCOMPARE(db.integer("SELECT count(*) FROM rejected_rows"), int64_t(0));
        QCOMPARE(writer->committedEpoch().value(), uint64_t(0));

        // Committed for real, the refused row is kept with its error.
        batch.probe = false;
        r = writer->write(batch);
        QVERIFY(r.isOk());
        QCOMPARE(db.integer("SELECT count(*) FROM window_results"), int64_t(1));
        QCOMPARE(db.text("SELECT key || ':' || kind || ':' || value || ':' || error FROM rejected_rows"),
                 QByteArray("2:upsert:-1:value must be >= 0"));
    }

    // A constraint the database enforces (here a trigger, as an operator might add) is a
    // permanent error: InvalidArgument, nothing of the batch written.
    void constraintViolationIsPermanent()
    {
        auto writer = openOrFail(m_path);
        QVERIFY(writer);
        {
            RawDb db(m_path);
            QVERIFY(db.exec("CREATE TRIGGER no_negative BEFORE INSERT ON window_results WHEN NEW.value < 0 "
                            "BEGIN SELECT RAISE(ABORT, 'negative counts are refused'); END"));
        }
        const std::vector<OutputRow> rows = {upsert(Aggregation::LikesPerPost, kBaseMs, 1, 10),
                                             upsert(Aggregation::LikesPerPost, kBaseMs, 2, -5)};
        const Status s = writeRows(*writer, rows);
        QCOMPARE(s.code(), Status::Code::InvalidArgument);
        QVERIFY(isPermanentStoreError(s));
        QVERIFY2(s.message().find("negative counts are refused") != std::string::npos, s.message().c_str());
        RawDb db(m_path);
        QCOMPARE(db.integer("SELECT count(*) FROM window_results"), int64_t(0));
    }

    // A version 1 file (before epochs) is migrated in place, its data kept.
    void migratesVersion1()
    {
        {
            RawDb db(m_path);
            QVERIFY(db.exec("CREATE TABLE window_results (aggregation TEXT NOT NULL, window_start INTEGER NOT NULL, "
                            "window_end INTEGER NOT NULL, key TEXT NOT NULL, value INTEGER NOT NULL, flag INTEGER "
                            "NOT NULL, epoch INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, PRIMARY KEY "
                            "(aggregation, window_start, window_end, key)) WITHOUT ROWID"));
            QVERIFY(db.exec("CREATE TABLE dead_letters (id INTEGER PRIMARY KEY, reason TEXT NOT NULL, detail TEXT NOT "
                            "NULL, partition INTEGER NOT NULL, offset INTEGER NOT NULL, payload BLOB NOT NULL, at_ms "
                            "INTEGER NOT NULL)"));
            QVERIFY(db.exec("CREATE TABLE late_events (id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL, post_id "
                            "INTEGER NOT NULL, user_id INTEGER NOT NULL, region TEXT NOT NULL, action TEXT NOT NULL, "
                            "event_time_ms INTEGER NOT NULL, device_type TEXT, dropped_by TEXT NOT NULL, watermark_ms "
                            "INTEGER NOT NULL, at_ms INTEGER NOT NULL)"));
            QVERIFY(db.exec("INSERT INTO window_results VALUES ('likes_per_post', 0, 60000, '7', 3, 0, 0, 0)"));
            QVERIFY(db.exec("PRAGMA user_version = 1"));
        }
        auto writer = openOrFail(m_path);
        QVERIFY(writer);
        RawDb db(m_path);
        QCOMPARE(db.integer("PRAGMA user_version"), int64_t(SqliteStore::kSchemaVersion));
        QCOMPARE(db.integer("SELECT value FROM window_results WHERE key = '7'"), int64_t(3));
        QCOMPARE(db.integer("SELECT count(*) FROM sink_commits"), int64_t(0));
        QCOMPARE(db.integer("SELECT count(*) FROM rejected_rows"), int64_t(0));
    }
};

QTEST_GUILESS_MAIN(TestSqliteStore)
#include "tst_sqlite_store.moc"
