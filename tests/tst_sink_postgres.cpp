// Tests for the PostgreSQL sink against the real local server the postgres_server fixture starts
// (tests/postgres_fixture.cmake): what a job writes equals the oracle in both delivery modes;
// replayed commits change nothing; refused rows are kept aside; the server stopped mid-run opens
// the circuit and loses nothing (held in memory, or diverted and replayed); drain; and the pool
// never opens more connections than it may (pg_stat_activity); SIGTERM to the real tally with
// the server down ends within runtime.stop_timeout_ms; a server down at start is waited for, and
// the job's epochs go past a database that is ahead of them; a server that never answers costs a
// connect timeout, not minutes. Each test case gets its own database.
#include "runtime/job.h"
#include "sink/postgres_store.h"
#include "sink/sink_factory.h"
#include "sink/sink_writer.h"
#include "support/oracle.h"
#include "support/postgres_server.h"
#include "support/sink_results.h"
#include "support/wait.h"
#include "support/process_signal.h"

#include <QtTest>

#include <pqxx/pqxx>

#include <QElapsedTimer>
#include <QProcess>
#include <QTcpServer>

#include <atomic>
#include <csignal>
#include <thread>

using namespace tally;
using namespace tally::test;

namespace {

constexpr int64_t kMinute = 60'000;

OutputConfig postgresOutput(const std::string &url, Delivery delivery)
{
    OutputConfig o = sinkTestConfig(1, 1).output;
    o.type = OutputConfig::Type::Postgres;
    o.postgresUrl = url;
    o.delivery = delivery;
    return o;
}

std::unique_ptr<SinkWriter> openPostgresSink(const OutputConfig &output, MetricsRegistry &metrics)
{
    auto sink = openSink(output, metrics);
    if (!sink || !*sink)
        qFatal("postgres sink: %s", sink.status().toString().c_str());
    return std::move(sink).value();
}




} // namespace

class TestSinkPostgres : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(!postgresServerDir().isEmpty(), "TALLY_POSTGRES_DIR is not set: run through ctest (fixture postgres_server)");
        QVERIFY(!postgresBaseUrl().empty());
    }

    // A seeded job (serialized records, some malformed, so dead letters and late events are
    // written too) ends with exactly the oracle's table in PostgreSQL, in both delivery modes.
    void jobResultsEqualOracle_data()
    {
        QTest::addColumn<bool>("exactlyOnce");
        QTest::newRow("exactly-once") << true;
        QTest::newRow("at-least-once") << false;
    }
    void jobResultsEqualOracle()
    {
        QFETCH(bool, exactlyOnce);
        const std::string url = freshPostgresDatabase(exactlyOnce ? "oracle_eo" : "oracle_alo");
        JobConfig config = sinkTestConfig(21, 40000);
        config.source.generator.eventsPerSecond = 80000; // half a second: several epochs
        config.source.generator.serialized = true;
        config.source.generator.malformedFraction = 0.01;
        config.output = postgresOutput(url, exactlyOnce ? Delivery::ExactlyOnce : Delivery::AtLeastOnce);
        MetricsRegistry metrics;
        const SinkRun run = runIntoSink(config, openPostgresSink(config.output, metrics), metrics);
        QVERIFY(run.oracle.table.size() > 1000);
        const std::string diff = describeDifference(run.oracle.table, readPostgresResults(url));
        QVERIFY2(diff.empty(), diff.c_str());
        const MetricsSnapshot s = metrics.snapshot(0);
        QVERIFY(s.value("tally_dead_letters_total") > 0);
        QCOMPARE(double(postgresInteger(url, "SELECT count(*) FROM dead_letters")), s.value("tally_dead_letters_total"));
        QCOMPARE(uint64_t(postgresInteger(url, "SELECT count(*) FROM late_events")), run.oracle.lateEvents);
        QCOMPARE(postgresInteger(url, "SELECT count(*) FROM rejected_rows"), int64_t(0));
        if (exactlyOnce) {
            const int64_t committed = postgresInteger(url, "SELECT epoch FROM sink_commits WHERE job = 'tally'");
            QVERIFY2(committed > 3, std::to_string(committed).c_str());
            QCOMPARE(postgresInteger(url, "SELECT max(epoch) FROM window_results"), committed);
        }
    }

    // Commit epoch n, then commit it again with other values (as after a crash between the
    // commit and the checkpoint's completion): the tables are unchanged.
    void replayedCommitIsNoOp()
    {
        const std::string url = freshPostgresDatabase("replay");
        const OutputConfig output = postgresOutput(url, Delivery::ExactlyOnce);
        std::vector<OutputRow> epoch4;
        for (uint64_t k = 1; k <= 500; ++k)
            epoch4.push_back(likesPerPostRow(k, static_cast<int64_t>(k), 4));
        {
            MetricsRegistry metrics;
            auto writer = openPostgresSink(output, metrics);
            QVERIFY(writer->writeRows(epoch4).isOk());
            QVERIFY(writer->commitEpoch(4).isOk());
            QVERIFY(writer->flush().isOk());
        }
        const ResultTable committed = readPostgresResults(url);
        QCOMPARE(committed, tableOf(epoch4));
        const int64_t updatedAt = postgresInteger(url, "SELECT max(updated_at_ms) FROM window_results");

        MetricsRegistry metrics;
        auto writer = openPostgresSink(output, metrics);
        QCOMPARE(writer->committedEpoch(), uint64_t(4));
        std::vector<OutputRow> replay = epoch4;
        for (OutputRow &r : replay)
            r.value *= 7;
        replay.push_back(likesPerPostRow(9999, 1, 4));
        QVERIFY(writer->writeRows(replay).isOk());
        QVERIFY(writer->commitEpoch(4).isOk());
        QVERIFY(writer->flush().isOk());
        QCOMPARE(readPostgresResults(url), committed);
        QCOMPARE(postgresInteger(url, "SELECT max(updated_at_ms) FROM window_results"), updatedAt);
        QCOMPARE(postgresInteger(url, "SELECT epoch FROM sink_commits WHERE job = 'tally'"), int64_t(4));
        QCOMPARE(metrics.snapshot(0).value("tally_sink_replayed_commits_total", {{"sink", "postgres"}}), 1.0);
    }

    // A CHECK constraint refuses some rows for good: they go to rejected_rows with the server's
    // error, the rest of the epoch commits.
    void refusedRowsAreKeptAside()
    {
        const std::string url = freshPostgresDatabase("refused");
        MetricsRegistry metrics;
        auto writer = openPostgresSink(postgresOutput(url, Delivery::ExactlyOnce), metrics);
        {
            pqxx::connection c(url);
            pqxx::nontransaction tx(c);
            tx.exec("ALTER TABLE window_results ADD CONSTRAINT value_not_negative CHECK (value >= 0)");
        }
        std::vector<OutputRow> rows;
        for (uint64_t k = 1; k <= 400; ++k)
            rows.push_back(likesPerPostRow(k, k % 97 == 0 ? -static_cast<int64_t>(k) : static_cast<int64_t>(k), 1));
        QVERIFY(writer->writeRows(rows).isOk());
        QVERIFY(writer->commitEpoch(1).isOk());
        QVERIFY(writer->flush().isOk());
        std::vector<OutputRow> accepted;
        for (const OutputRow &r : rows)
            if (r.value >= 0)
                accepted.push_back(r);
        QCOMPARE(readPostgresResults(url), tableOf(accepted));
        QCOMPARE(postgresInteger(url, "SELECT count(*) FROM rejected_rows WHERE error LIKE '%value_not_negative%'"),
                 int64_t(4));
        QCOMPARE(postgresInteger(url, "SELECT epoch FROM sink_commits"), int64_t(1));
    }

    // The server is stopped mid-run until the writer has retried several times: the circuit opens,
    // results wait (in memory, or in the divert buffer), and after the server is back the run
    // completes with the oracle's totals.
    void serverOutageLosesNothing_data()
    {
        QTest::addColumn<bool>("divert");
        QTest::addColumn<bool>("exactlyOnce");
        QTest::newRow("held in memory, exactly-once") << false << true;
        QTest::newRow("diverted, exactly-once") << true << true;
        QTest::newRow("diverted, at-least-once") << true << false;
    }
    void serverOutageLosesNothing()
    {
        QFETCH(bool, divert);
        QFETCH(bool, exactlyOnce);
        const std::string url = freshPostgresDatabase("outage");
        QTemporaryDir dir;
        JobConfig config = sinkTestConfig(33, 90000);
        config.source.generator.eventsPerSecond = 30000; // three seconds of input
        config.output = postgresOutput(url, exactlyOnce ? Delivery::ExactlyOnce : Delivery::AtLeastOnce);
        if (divert)
            config.output.divertPath = dir.filePath(QStringLiteral("divert.db")).toStdString();
        MetricsRegistry metrics;
        auto sink = openPostgresSink(config.output, metrics);
        SinkWriter *writer = sink.get();
        bool sawOpen = false;
        uint64_t divertedDuringOutage = 0;
        const SinkRun run = runIntoSink(config, std::move(sink), metrics, [&](Job &job) {
            StopJobOnExit stopIfFailed{job};
            if (divert)
                QCOMPARE(job.submit(SinkCommand::Divert).get().code(), Status::Code::Ok);
            QTRY_VERIFY_WITH_TIMEOUT(writer->status().rowsWritten > 0, 10000);
            QVERIFY(postgresServerScript(QStringLiteral("stop")));
            QTRY_VERIFY_WITH_TIMEOUT(writer->status().circuit != CircuitBreaker::State::Closed, 10000);
            sawOpen = true;
            // The outage lasts until the writer has failed and retried a few times and, with
            // divert, results went to the buffer.
            TALLY_WAIT_UNTIL(metrics.snapshot(0).value("tally_sink_errors_total", {{"sink", "postgres"}, {"kind", "transient"}}) >= 3 &&
                                 (!divert || writer->status().divertedRows > 0),
                             std::chrono::seconds(30), "three failed writes (and diverted rows) during the outage");
            divertedDuringOutage = writer->status().divertedRows;
            QVERIFY(postgresServerScript(QStringLiteral("start")));
            QTRY_VERIFY_WITH_TIMEOUT(job.finished(), 60000); // the bounded input ends by itself
        });
        QVERIFY(sawOpen);
        if (divert)
            QVERIFY2(divertedDuringOutage > 0, "nothing was diverted during the outage");
        const std::string diff = describeDifference(run.oracle.table, readPostgresResults(url));
        QVERIFY2(diff.empty(), diff.c_str());
        const MetricsSnapshot s = metrics.snapshot(0);
        QVERIFY(s.value("tally_sink_errors_total", {{"sink", "postgres"}, {"kind", "transient"}}) >= 3);
        if (divert)
            QVERIFY(s.value("tally_sink_replayed_rows_total", {{"sink", "postgres"}}) > 0);
    }

    // Drain with the source paused: once it reports, everything the job produced is in the
    // database.
    void drainWritesEverything()
    {
        const std::string url = freshPostgresDatabase("drain");
        JobConfig config = sinkTestConfig(8, 0);
        config.source.generator.eventsPerSecond = 20000;
        config.output = postgresOutput(url, Delivery::AtLeastOnce);
        MetricsRegistry metrics;
        MemorySink recorded;
        auto sink = std::make_unique<RecordingSink>(openPostgresSink(config.output, metrics), recorded);
        runIntoSink(config, std::move(sink), metrics, [&](Job &job) {
            StopJobOnExit stop{job};
            QTRY_VERIFY_WITH_TIMEOUT(job.status().rowsOut > 500, 10000);
            QCOMPARE(job.submit(SourceCommand::Pause).get().code(), Status::Code::Ok);
            uint64_t rows = 0;
            for (int stable = 0; stable < 5;) {
                QTest::qWait(100);
                const uint64_t now = job.status().rowsOut;
                stable = now == rows ? stable + 1 : 0;
                rows = now;
            }
            auto drained = job.submit(SinkCommand::Drain);
            QCOMPARE(drained.wait_for(std::chrono::seconds(20)), std::future_status::ready);
            QVERIFY(drained.get().isOk());
            QCOMPARE(readPostgresResults(url), recorded.table());
            QCOMPARE(job.submit(SinkCommand::ResumeWrites).get().code(), Status::Code::Ok);
        });
        QCOMPARE(readPostgresResults(url), recorded.table());
    }

    // Eight threads write through one store with a pool of two: pg_stat_activity never shows more
    // than two Tally connections, and every write lands.
    void connectionBudget()
    {
        const std::string url = freshPostgresDatabase("budget");
        PostgresStoreOptions options;
        options.url = url;
        options.poolSize = 2;
        auto opened = PostgresStore::open(options);
        QVERIFY2(opened, opened.status().toString().c_str());
        PostgresStore &store = **opened;

        std::atomic<bool> writing{true};
        std::atomic<int64_t> maxSeen{0};
        std::thread monitor([&] {
            pqxx::connection c(postgresBaseUrl()); // the monitor's own connection is not a Tally one
            while (writing) {
                pqxx::nontransaction tx(c);
                const int64_t n = tx.exec1("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tally' "
                                           "AND datname = 'budget'")[0]
                                      .as<int64_t>();
                maxSeen = std::max(maxSeen.load(), n);
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        });
        std::vector<OutputRow> all;
        std::vector<std::thread> writers;
        std::atomic<int> failures{0};
        constexpr int kThreads = 8, kBatches = 25, kRows = 200;
        for (int t = 0; t < kThreads; ++t)
            for (int b = 0; b < kBatches; ++b)
                for (int k = 0; k < kRows; ++k)
                    all.push_back(likesPerPostRow(static_cast<uint64_t>(k), t * 1000 + b, 0, (t * kBatches + b) * kMinute));
        for (int t = 0; t < kThreads; ++t) {
            writers.emplace_back([&, t] {
                for (int b = 0; b < kBatches; ++b) {
                    StoreBatch batch;
                    batch.rows = std::span(all).subspan(static_cast<size_t>((t * kBatches + b) * kRows), kRows);
                    if (!store.write(batch))
                        ++failures;
                }
            });
        }
        for (auto &w : writers)
            w.join();
        writing = false;
        monitor.join();
        QCOMPARE(failures.load(), 0);
        QVERIFY2(maxSeen <= 2, std::to_string(maxSeen).c_str());
        QVERIFY2(maxSeen >= 1, "the monitor never saw a Tally connection");
        QVERIFY(store.openConnections() <= 2);
        QCOMPARE(readPostgresResults(url), tableOf(all));
    }

    // SIGTERM to the real tally while the server is down: the stop drains for
    // runtime.stop_timeout_ms, then gives up on the sink. Without a divert buffer the rows are
    // lost, so tally says how many and exits 1; with one they are kept there and it exits 0.
    // Either way it ends in time (it waited forever before).
    void stopWithTheServerDownEndsInTime_data()
    {
        QTest::addColumn<bool>("divert");
        QTest::newRow("no divert buffer: lost, exit 1") << false;
        QTest::newRow("divert buffer: kept, exit 0") << true;
    }
    void stopWithTheServerDownEndsInTime()
    {
        QFETCH(bool, divert);
        constexpr int kStopTimeoutMs = 2000;
        const std::string url = freshPostgresDatabase(divert ? "stopdivert" : "stoplost");
        QTemporaryDir dir;
        QStringList args{QStringLiteral("--headless"), QStringLiteral("--quiet"), QStringLiteral("--no-web"),
                         QStringLiteral("--postgres"), QString::fromStdString(url), QStringLiteral("--rate"),
                         QStringLiteral("20000"), QStringLiteral("--audit-log"), QStringLiteral("audit.db"),
                         QStringLiteral("--set"), QStringLiteral("runtime.stop_timeout_ms=%1").arg(kStopTimeoutMs)};
        if (divert)
            args << QStringLiteral("--set") << QStringLiteral("output.divert_path=divert.db");
        QProcess tally;
        tally.setWorkingDirectory(dir.path());
        tally.start(QStringLiteral(TALLY_BINARY), args);
        QVERIFY(tally.waitForStarted());
        const auto rowsInDatabase = [&] {
            try {
                pqxx::connection c(url);
                pqxx::nontransaction tx(c);
                return tx.exec1("SELECT count(*) FROM window_results")[0].as<int64_t>();
            } catch (const std::exception &) {
                return int64_t(0);
            }
        };
        TALLY_WAIT_UNTIL(rowsInDatabase() > 0, std::chrono::seconds(30), "the first rows in the database");
        QVERIFY(postgresServerScript(QStringLiteral("stop")));
        QByteArray errors;
        TALLY_WAIT_UNTIL((errors += tally.readAllStandardError()).contains("write failed"), std::chrono::seconds(30),
                         "a failed write after the server stopped");

        QElapsedTimer stopping;
        stopping.start();
        signalProcess(tally, SIGTERM);
        const bool ended = tally.waitForFinished(kStopTimeoutMs + 20000);
        const qint64 tookMs = stopping.elapsed();
        errors += tally.readAllStandardError();
        QVERIFY(postgresServerScript(QStringLiteral("start")));
        if (!ended)
            tally.kill();
        QVERIFY2(ended, qPrintable(QStringLiteral("still running %1 ms after SIGTERM: %2").arg(tookMs).arg(QString::fromUtf8(errors))));
        qInfo("ended %lld ms after SIGTERM", tookMs);
        QVERIFY2(errors.contains("giving up on what the sink has not written"), errors.constData());
        if (divert) {
            QVERIFY2(tally.exitCode() == 0, errors.constData());
            QVERIFY(sqliteInteger(dir.filePath(QStringLiteral("divert.db")).toStdString(),
                                  "SELECT coalesce(sum(row_count), 0) FROM divert_batches") > 0);
        } else {
            QCOMPARE(tally.exitCode(), 1);
            QVERIFY2(errors.contains("result rows were not written to postgresql"), errors.constData());
        }
    }

    // The server is down when the job starts: the sink opens anyway, the job runs, and the writer
    // reports the outage as it reports a later one (failed attempts and an open circuit, which
    // the sink_down alert reads) until the server is back; then the tables equal the oracle.
    // "Ahead": the database already holds a later run's commits (an epoch far past any this run
    // numbers, and scrambled values), which a job that numbered its epochs without the database
    // must not take for replays of its own commits.
    void serverDownAtStart_data()
    {
        QTest::addColumn<bool>("databaseAhead");
        QTest::newRow("fresh database") << false;
        QTest::newRow("database ahead of the job") << true;
    }
    void serverDownAtStart()
    {
        QFETCH(bool, databaseAhead);
        const std::string url = freshPostgresDatabase(databaseAhead ? "down_ahead" : "down_fresh");
        JobConfig config = sinkTestConfig(44, 60000);
        config.source.generator.eventsPerSecond = 30000; // two seconds: several epochs
        config.output = postgresOutput(url, Delivery::ExactlyOnce);
        ResultTable scrambled;
        if (databaseAhead) {
            MetricsRegistry metrics;
            runIntoSink(config, openPostgresSink(config.output, metrics), metrics);
            pqxx::connection c(url);
            pqxx::work tx(c);
            tx.exec("UPDATE window_results SET value = value + 1000");
            tx.exec("UPDATE sink_commits SET epoch = epoch + 1000");
            tx.commit();
            scrambled = readPostgresResults(url);
        }
        // A fresh database has no tables yet: the sink creates them once it reaches the server.
        const int64_t epochBefore = databaseAhead ? postgresInteger(url, "SELECT epoch FROM sink_commits") : 0;

        QVERIFY(postgresServerScript(QStringLiteral("stop")));
        MetricsRegistry metrics;
        auto opened = openSink(config.output, metrics);
        if (!opened) // before anything else, so a failure leaves the server running
            QVERIFY(postgresServerScript(QStringLiteral("start")));
        QVERIFY2(opened, opened.status().toString().c_str());
        SinkWriter *writer = opened->get();
        uint64_t eventsDuringOutage = 0;
        const SinkRun run = runIntoSink(config, std::move(opened).value(), metrics, [&](Job &job) {
            StopJobOnExit stopIfFailed{job};
            TALLY_WAIT_UNTIL(writer->status().circuit == CircuitBreaker::State::Open && !writer->status().lastError.empty(),
                             std::chrono::seconds(30), "the circuit opening on the unreachable server");
            QVERIFY2(writer->status().lastError.find("connect") != std::string::npos, writer->status().lastError.c_str());
            TALLY_WAIT_UNTIL(job.status().eventsIn > 0, std::chrono::seconds(30), "the job running during the outage");
            eventsDuringOutage = job.status().eventsIn;
            QCOMPARE(writer->status().rowsWritten, uint64_t(0));
            QVERIFY(postgresServerScript(QStringLiteral("start")));
            QTRY_VERIFY_WITH_TIMEOUT(job.finished(), 60000);
        });
        qInfo("%llu events in while the server was down", static_cast<unsigned long long>(eventsDuringOutage));
        // Every row of this run is as the oracle says. Rows of the earlier run's windows that this
        // run did not produce (its spam verdicts depend on arrival timing) stay as they were.
        ResultTable stored = readPostgresResults(url);
        for (auto it = stored.begin(); it != stored.end();) {
            const auto earlier = scrambled.find(it->first);
            const bool leftOver = !run.oracle.table.contains(it->first) && earlier != scrambled.end() && earlier->second == it->second;
            it = leftOver ? stored.erase(it) : std::next(it);
        }
        const std::string diff = describeDifference(run.oracle.table, stored);
        QVERIFY2(diff.empty(), diff.c_str());
        const int64_t epochAfter = postgresInteger(url, "SELECT epoch FROM sink_commits WHERE job = 'tally'");
        QVERIFY2(epochAfter > epochBefore, qPrintable(QStringLiteral("%1 after, %2 before").arg(epochAfter).arg(epochBefore)));
    }

    // A port that accepts connections and never answers (a hung server, a proxy in front of a
    // dead one): each connection attempt ends after the connect timeout instead of waiting for
    // the system's TCP timeout, at open and afterwards.
    void silentServerTimesOut()
    {
        QTcpServer silent; // listening: the kernel completes the handshakes, nobody ever answers
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        PostgresStoreOptions options;
        options.url = "postgresql://tally@127.0.0.1:" + std::to_string(silent.serverPort()) + "/tally";
        options.connectTimeoutSeconds = 2;
        QElapsedTimer timer;
        timer.start();
        auto opened = PostgresStore::open(options); // reported, not fatal: retried later
        QVERIFY2(opened, opened.status().toString().c_str());
        const qint64 openMs = timer.restart();
        const Result<uint64_t> epoch = (*opened)->committedEpoch();
        const qint64 readMs = timer.elapsed();
        qInfo("open gave up after %lld ms, a read after %lld ms", openMs, readMs);
        QVERIFY(!epoch);
        QCOMPARE(epoch.status().code(), Status::Code::Unavailable);
        QVERIFY2(openMs < 8000 && readMs < 8000, qPrintable(QStringLiteral("%1 ms, %2 ms").arg(openMs).arg(readMs)));
    }

    void cleanupTestCase()
    {
        // Leave the server running for other tests even if an outage case failed half-way.
        postgresServerScript(QStringLiteral("start"));
    }
};

QTEST_GUILESS_MAIN(TestSinkPostgres)
#include "tst_sink_postgres.moc"
