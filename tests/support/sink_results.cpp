#include "support/sink_results.h"

#include "event/like_event.h"
#include "runtime/job.h"
#include "source/generator.h"

#include <pqxx/pqxx>
#include <sqlite3.h>

#include <QtGlobal>

#include <charconv>

namespace tally::test {

namespace {

uint64_t parseKey(Aggregation a, std::string_view text)
{
    if (a == Aggregation::LikesByRegion) {
        const size_t slash = text.find('/');
        const auto region = parseRegion(text.substr(0, slash));
        if (!region)
            qFatal("unexpected region key '%.*s'", int(text.size()), text.data());
        DeviceType device = DeviceType::None;
        if (slash != std::string_view::npos) {
            const auto d = parseDeviceType(text.substr(slash + 1));
            if (!d)
                qFatal("unexpected device in key '%.*s'", int(text.size()), text.data());
            device = *d;
        }
        return regionKey(*region, device);
    }
    uint64_t key = 0;
    std::from_chars(text.data(), text.data() + text.size(), key);
    return key;
}

Aggregation parseAggregation(std::string_view name)
{
    for (size_t i = 0; i < kAggregationCount; ++i)
        if (aggregationName(static_cast<Aggregation>(i)) == name)
            return static_cast<Aggregation>(i);
    qFatal("unknown aggregation '%.*s'", int(name.size()), name.data());
}

} // namespace

ResultTable readSqliteResults(const std::string &path)
{
    sqlite3 *db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
        qFatal("cannot open %s", path.c_str());
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT aggregation, window_start, window_end, key, value, flag FROM window_results", -1,
                           &stmt, nullptr) != SQLITE_OK)
        qFatal("cannot read %s: %s", path.c_str(), sqlite3_errmsg(db));
    ResultTable table;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const Aggregation a = parseAggregation(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0)));
        const uint64_t key = parseKey(a, reinterpret_cast<const char *>(sqlite3_column_text(stmt, 3)));
        table[{a, sqlite3_column_int64(stmt, 1), sqlite3_column_int64(stmt, 2), key}] =
            ResultValue{sqlite3_column_int64(stmt, 4), sqlite3_column_int64(stmt, 5) != 0};
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return table;
}

ResultTable readPostgresResults(const std::string &url)
{
    pqxx::connection c(url);
    pqxx::read_transaction tx(c);
    ResultTable table;
    for (const auto &row : tx.exec("SELECT aggregation, window_start, window_end, key, value, flag FROM window_results")) {
        const Aggregation a = parseAggregation(row[0].c_str());
        table[{a, row[1].as<int64_t>(), row[2].as<int64_t>(), parseKey(a, row[3].c_str())}] =
            ResultValue{row[4].as<int64_t>(), row[5].as<bool>()};
    }
    return table;
}

int64_t sqliteInteger(const std::string &path, const std::string &sql)
{
    sqlite3 *db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt *stmt = nullptr;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    else
        qWarning("%s: %s", sql.c_str(), sqlite3_errmsg(db));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return v;
}

int64_t postgresInteger(const std::string &url, const std::string &sql)
{
    pqxx::connection c(url);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<int64_t>();
}

JobConfig sinkTestConfig(uint64_t seed, uint64_t events)
{
    JobConfig c;
    GeneratorConfig &g = c.source.generator;
    g = GeneratorConfig{}; // a reproducible replay, as fast as the job consumes (the job default is live)
    g.seed = seed;
    g.totalEvents = events;
    g.partitions = 4;
    g.eventTimeRate = 500;
    g.posts = 500;
    g.users = 600;
    g.spamUserFraction = 0.01;
    g.spamShare = 0.15;
    g.unlikeFraction = 0.1;
    g.burstEveryMs = 20000;
    g.burstDurationMs = 5000;
    g.meanDelayMs = 300;
    g.lateFraction = 0.03;
    g.lateDelayMs = 15000;
    useTestWindows(c);
    c.runtime.parallelism = 2;
    c.runtime.batchSize = 256;
    c.checkpoint.intervalMs = 50; // many epochs per run
    c.output.retryInitialMs = 20;
    c.output.retryMaxMs = 200;
    c.output.breakerFailures = 3;
    c.output.breakerOpenMs = 300;
    return c;
}

SinkRun runIntoSink(const JobConfig &config, std::unique_ptr<OutputSink> sink, MetricsRegistry &metrics,
                    const std::function<void(Job &)> &whileRunning)
{
    SinkRun run;
    SteadyClock clock;
    Job job(config, std::make_unique<GeneratorSource>(config.source.generator), std::move(sink), metrics, clock);
    std::mutex mutex;
    job.setArrivalObserver([&](int, const std::vector<LikeEvent> &events, int64_t watermark) {
        std::lock_guard lock(mutex);
        for (const LikeEvent &e : events)
            run.arrivals.push_back({e, watermark});
    });
    if (Status s = job.start(); !s.isOk())
        qFatal("job did not start: %s", s.toString().c_str());
    if (whileRunning)
        whileRunning(job);
    if (Status s = job.waitFinished(); !s.isOk())
        qFatal("job failed: %s", s.toString().c_str());
    run.oracle = computeOracle(config, run.arrivals);
    return run;
}

OutputRow likesPerPostRow(uint64_t key, int64_t value, uint64_t epoch, int64_t start)
{
    OutputRow r;
    r.aggregation = Aggregation::LikesPerPost;
    r.windowStartMs = start;
    r.windowEndMs = start + 60'000;
    r.key = key;
    r.value = value;
    r.epoch = epoch;
    return r;
}

ResultTable tableOf(const std::vector<OutputRow> &rows)
{
    MemorySink memory;
    (void)memory.writeRows(rows);
    return memory.table();
}

Status RecordingSink::writeRows(std::span<const OutputRow> rows)
{
    (void)m_recorded.writeRows(rows);
    return m_inner->writeRows(rows);
}

Status RecordingSink::writeRestoredRows(std::span<const OutputRow> rows)
{
    (void)m_recorded.writeRows(rows);
    return m_inner->writeRestoredRows(rows);
}

} // namespace tally::test
