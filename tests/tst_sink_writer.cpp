// Tests for the SinkWriter over a real SQLite database: what a job writes equals the oracle in
// both delivery modes; replayed commits change nothing; refused rows land in rejected_rows; an
// outage opens the circuit, holds results (backpressure) or diverts them, and loses nothing; drain
// writes everything and then holds. Outages are injected by a store that wraps the real SQLite
// store and fails while "down", the way a dead server answers.
#include "runtime/job.h"
#include "sink/divert_buffer.h"
#include "sink/sink_writer.h"
#include "sink/sqlite_store.h"
#include "support/oracle.h"
#include "support/sink_results.h"
#include "support/wait.h"

#include <QtTest>

#include <sqlite3.h>

#include <atomic>
#include <thread>

using namespace tally;
using namespace tally::test;

namespace {

constexpr int64_t kMinute = 60'000;

// The real SQLite store, with a switch that makes every write fail as an unreachable server would.
class SwitchableStore final : public ResultStore {
public:
    explicit SwitchableStore(std::unique_ptr<SqliteStore> inner) : m_inner(std::move(inner)) {}
    Result<WriteOutcome> write(const StoreBatch &batch) override
    {
        ++m_attempts;
        if (m_down)
            return Status::unavailable("connection refused (store switched off)");
        return m_inner->write(batch);
    }
    Result<uint64_t> committedEpoch() override
    {
        if (m_down)
            return Status::unavailable("connection refused (store switched off)");
        return m_inner->committedEpoch();
    }
    Status flush() override { return m_inner->flush(); }
    std::string describe() const override { return m_inner->describe(); }

    std::atomic<bool> m_down{false};
    std::atomic<int> m_attempts{0};

private:
    std::unique_ptr<SqliteStore> m_inner;
};

std::unique_ptr<SqliteStore> openStore(const std::string &path)
{
    auto store = SqliteStore::open(path);
    if (!store)
        qFatal("open %s: %s", path.c_str(), store.status().toString().c_str());
    return std::move(store).value();
}

SinkWriterOptions fastOptions(Delivery delivery)
{
    SinkWriterOptions o;
    o.delivery = delivery;
    o.batchRows = 100;
    o.batchInterval = std::chrono::milliseconds(20);
    o.retryInitial = std::chrono::milliseconds(5);
    o.retryMax = std::chrono::milliseconds(40);
    o.breakerFailures = 3;
    o.breakerOpen = std::chrono::milliseconds(100);
    return o;
}

std::unique_ptr<SinkWriter> openWriter(std::unique_ptr<ResultStore> store, SinkWriterOptions options,
                                       MetricsRegistry &metrics)
{
    auto writer = SinkWriter::open(std::move(store), std::move(options), metrics);
    if (!writer)
        qFatal("sink writer: %s", writer.status().toString().c_str());
    return std::move(writer).value();
}


// Rows for keys 1..n; several versions of some keys (re-fires), the last one wins.
// A test's data: its bool column "exactlyOnce", one row per delivery mode.
void bothDeliveryModes()
{
    QTest::addColumn<bool>("exactlyOnce");
    QTest::newRow("exactly-once") << true;
    QTest::newRow("at-least-once") << false;
}

std::vector<OutputRow> refiringRows(uint64_t n, uint64_t epoch = 0)
{
    std::vector<OutputRow> rows;
    for (uint64_t k = 1; k <= n; ++k)
        rows.push_back(likesPerPostRow(k, static_cast<int64_t>(k), epoch));
    for (uint64_t k = 1; k <= n; k += 3)
        rows.push_back(likesPerPostRow(k, static_cast<int64_t>(k * 10), epoch));
    return rows;
}


} // namespace

class TestSinkWriter : public QObject {
    Q_OBJECT

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_path = m_dir->filePath("tally.db").toStdString();
    }
    void cleanup() { m_dir.reset(); }

    // The central check: a seeded job through the SinkWriter into SQLite ends with exactly the
    // oracle's table, in both delivery modes.
    void jobResultsEqualOracle_data()
    {
        QTest::addColumn<bool>("exactlyOnce");
        QTest::addColumn<int>("batchRows");
        QTest::newRow("exactly-once") << true << 1000;
        QTest::newRow("at-least-once, batch 100") << false << 100;
        QTest::newRow("at-least-once, batch 5000") << false << 5000;
    }
    void jobResultsEqualOracle()
    {
        QFETCH(bool, exactlyOnce);
        QFETCH(int, batchRows);
        JobConfig config = sinkTestConfig(7, 40000);
        config.source.generator.eventsPerSecond = 80000; // half a second: several epochs
        config.output.delivery = exactlyOnce ? Delivery::ExactlyOnce : Delivery::AtLeastOnce;
        config.output.batchRows = batchRows;
        MetricsRegistry metrics;
        SinkWriterOptions options = fastOptions(config.output.delivery);
        options.batchRows = static_cast<size_t>(batchRows);
        auto writer = openWriter(openStore(m_path), options, metrics);
        const SinkRun run = runIntoSink(config, std::move(writer), metrics);
        const ResultTable written = readSqliteResults(m_path);
        QVERIFY(run.oracle.table.size() > 1000);
        const std::string diff = describeDifference(run.oracle.table, written);
        QVERIFY2(diff.empty(), diff.c_str());
        if (exactlyOnce) {
            // Epochs were committed one after another, the last one at the end of the input.
            const int64_t committed = sqliteInteger(m_path, "SELECT epoch FROM sink_commits WHERE job = 'tally'");
            QVERIFY2(committed > 3, std::to_string(committed).c_str());
            QCOMPARE(sqliteInteger(m_path, "SELECT max(epoch) FROM window_results"), committed);
        }
        QCOMPARE(sqliteInteger(m_path, "SELECT count(*) FROM rejected_rows"), int64_t(0));
    }

    // A second run against the same database continues the epoch numbering, so its commits are
    // not mistaken for replays; the table then holds the second run's results where they differ.
    void secondRunContinuesEpochs()
    {
        JobConfig config = sinkTestConfig(11, 8000);
        MetricsRegistry metrics;
        runIntoSink(config, openWriter(openStore(m_path), fastOptions(Delivery::ExactlyOnce), metrics), metrics);
        const int64_t first = sqliteInteger(m_path, "SELECT epoch FROM sink_commits");
        config.source.generator.seed = 12;
        MetricsRegistry metrics2;
        const SinkRun second =
            runIntoSink(config, openWriter(openStore(m_path), fastOptions(Delivery::ExactlyOnce), metrics2), metrics2);
        QVERIFY(sqliteInteger(m_path, "SELECT epoch FROM sink_commits") > first);
        const ResultTable written = readSqliteResults(m_path);
        for (const auto &[key, value] : second.oracle.table) {
            auto it = written.find(key);
            QVERIFY(it != written.end());
            QCOMPARE(it->second.value, value.value);
        }
        QCOMPARE(metrics2.snapshot(0).value("tally_sink_replayed_commits_total", {{"sink", "sqlite"}}), 0.0);
    }

    // Exactly-once: nothing of an epoch is visible before its commit; a commit replayed after a
    // restart (the same epoch, as recomputed from the checkpoint) changes nothing.
    void replayedCommitIsNoOp()
    {
        MetricsRegistry metrics;
        const std::vector<OutputRow> epoch3 = refiringRows(50, 3);
        {
            auto writer = openWriter(openStore(m_path), fastOptions(Delivery::ExactlyOnce), metrics);
            QVERIFY(writer->writeRows(epoch3).isOk());
            QVERIFY(writer->flush().isOk());
            QCOMPARE(readSqliteResults(m_path).size(), size_t(0)); // staged, not committed
            QVERIFY(writer->commitEpoch(3).isOk());
            QVERIFY(writer->flush().isOk());
        }
        const ResultTable committed = readSqliteResults(m_path);
        QCOMPARE(committed, tableOf(epoch3));

        MetricsRegistry metrics2;
        auto writer = openWriter(openStore(m_path), fastOptions(Delivery::ExactlyOnce), metrics2);
        QCOMPARE(writer->committedEpoch(), uint64_t(3));
        std::vector<OutputRow> replay = refiringRows(60, 3);
        for (OutputRow &r : replay)
            r.value += 1000; // whatever the replay holds, the committed epoch stays as it was
        QVERIFY(writer->writeRows(replay).isOk());
        QVERIFY(writer->commitEpoch(3).isOk());
        QVERIFY(writer->flush().isOk());
        QCOMPARE(readSqliteResults(m_path), committed);
        QCOMPARE(metrics2.snapshot(0).value("tally_sink_replayed_commits_total", {{"sink", "sqlite"}}), 1.0);
    }

    // A row the database refuses for good goes to rejected_rows with the error; the rest of its
    // batch is written; nothing is retried forever.
    void refusedRowsAreKeptAside_data()
    {
        bothDeliveryModes();
    }
    void refusedRowsAreKeptAside()
    {
        QFETCH(bool, exactlyOnce);
        openStore(m_path); // creates the schema
        {
            sqlite3 *db = nullptr;
            QCOMPARE(sqlite3_open(m_path.c_str(), &db), SQLITE_OK);
            QCOMPARE(sqlite3_exec(db,
                                  "CREATE TRIGGER no_negative BEFORE INSERT ON window_results WHEN NEW.value < 0 "
                                  "BEGIN SELECT RAISE(ABORT, 'negative counts are refused'); END",
                                  nullptr, nullptr, nullptr),
                     SQLITE_OK);
            sqlite3_close(db);
        }
        MetricsRegistry metrics;
        auto writer = openWriter(openStore(m_path),
                                 fastOptions(exactlyOnce ? Delivery::ExactlyOnce : Delivery::AtLeastOnce), metrics);
        std::vector<OutputRow> rows = refiringRows(300, 1);
        rows[17].value = -17;
        rows[205].value = -205;
        QVERIFY(writer->writeRows(rows).isOk());
        QVERIFY(writer->commitEpoch(1).isOk());
        QVERIFY(writer->flush().isOk());

        std::vector<OutputRow> accepted;
        for (const OutputRow &r : rows)
            if (r.value >= 0)
                accepted.push_back(r);
        QCOMPARE(readSqliteResults(m_path), tableOf(accepted));
        QCOMPARE(sqliteInteger(m_path, "SELECT count(*) FROM rejected_rows WHERE error LIKE "
                                       "'%negative counts are refused%'"),
                 int64_t(2));
        QCOMPARE(sqliteInteger(m_path, "SELECT sum(value) FROM rejected_rows"), int64_t(-222));
        QCOMPARE(writer->status().rejectedRows, uint64_t(2));
        if (exactlyOnce)
            QCOMPARE(writer->committedEpoch(), uint64_t(1));
    }

    // The database goes away: writes fail, the circuit opens, results wait in memory; it comes
    // back: the trial write closes the circuit and everything lands.
    void outageOpensCircuitAndLosesNothing()
    {
        auto store = std::make_unique<SwitchableStore>(openStore(m_path));
        SwitchableStore *sw = store.get();
        MetricsRegistry metrics;
        auto writer = openWriter(std::move(store), fastOptions(Delivery::AtLeastOnce), metrics);
        sw->m_down = true;
        const std::vector<OutputRow> rows = refiringRows(500);
        QVERIFY(writer->writeRows(rows).isOk());
        QTRY_VERIFY_WITH_TIMEOUT(writer->status().circuit == CircuitBreaker::State::Open, 5000);
        QVERIFY(writer->status().pendingRows > 0);
        QVERIFY(!writer->status().lastError.empty());
        // While open, the breaker holds writes back: far fewer attempts than retry delays allow.
        const int attempts = sw->m_attempts;
        QTest::qWait(250);
        QVERIFY2(sw->m_attempts - attempts <= 3, std::to_string(sw->m_attempts - attempts).c_str());
        sw->m_down = false;
        QVERIFY(writer->flush().isOk());
        QCOMPARE(writer->status().circuit, CircuitBreaker::State::Closed);
        QCOMPARE(readSqliteResults(m_path), tableOf(rows));
        const MetricsSnapshot s = metrics.snapshot(0);
        QVERIFY(s.value("tally_sink_retries_total", {{"sink", "sqlite"}}) >= 3);
        QVERIFY(s.value("tally_sink_errors_total", {{"sink", "sqlite"}, {"kind", "transient"}}) >= 3);
    }

    // With the database down and the memory bound reached, writeRows blocks (backpressure) until
    // the database is back.
    void boundedMemoryBackpressures()
    {
        auto store = std::make_unique<SwitchableStore>(openStore(m_path));
        SwitchableStore *sw = store.get();
        MetricsRegistry metrics;
        SinkWriterOptions options = fastOptions(Delivery::AtLeastOnce);
        options.maxPendingRows = 200;
        auto writer = openWriter(std::move(store), options, metrics);
        sw->m_down = true;
        std::atomic<int> batchesWritten{0};
        std::vector<OutputRow> all;
        for (int b = 0; b < 10; ++b)
            for (const OutputRow &r : refiringRows(100))
                all.push_back(likesPerPostRow(r.key, r.value, 0, b * kMinute));
        std::thread producer([&] {
            for (int b = 0; b < 10; ++b) {
                (void)writer->writeRows(std::span(all).subspan(static_cast<size_t>(b) * 134, 134));
                ++batchesWritten;
            }
        });
        QTest::qWait(400);
        QVERIFY2(batchesWritten < 10, "writeRows did not block with the database down");
        QVERIFY(writer->status().pendingRows <= options.maxPendingRows + 134);
        sw->m_down = false;
        producer.join();
        QVERIFY(writer->flush().isOk());
        QCOMPARE(readSqliteResults(m_path), tableOf(all));
    }

    // Divert: during the outage results go to the local buffer instead of memory; once the
    // database is back they are replayed, in order, and the buffer empties.
    void divertSpillsAndReplays_data()
    {
        bothDeliveryModes();
    }
    void divertSpillsAndReplays()
    {
        QFETCH(bool, exactlyOnce);
        auto store = std::make_unique<SwitchableStore>(openStore(m_path));
        SwitchableStore *sw = store.get();
        MetricsRegistry metrics;
        SinkWriterOptions options = fastOptions(exactlyOnce ? Delivery::ExactlyOnce : Delivery::AtLeastOnce);
        options.divertPath = m_dir->filePath("divert.db").toStdString();
        options.maxPendingRows = 150; // without divert, the writes below would block
        auto writer = openWriter(std::move(store), options, metrics);
        QVERIFY(writer->setDivert(true).isOk());
        sw->m_down = true;
        std::vector<OutputRow> all;
        for (uint64_t epoch = 1; epoch <= 8; ++epoch) {
            // The same keys every epoch with growing values: a replay out of order would leave
            // an older value behind.
            std::vector<OutputRow> rows = refiringRows(100, epoch);
            for (OutputRow &r : rows)
                r.value += static_cast<int64_t>(epoch) * 1000;
            QVERIFY(writer->writeRows(rows).isOk());
            // Side records wait in memory while results are diverted, and are written after.
            const DeadLetter letter{RejectReason::Malformed, "not JSON", 0, static_cast<int64_t>(epoch), "{"};
            QVERIFY(writer->writeDeadLetters(std::span(&letter, 1)).isOk());
            QVERIFY(writer->commitEpoch(epoch).isOk());
            all.insert(all.end(), rows.begin(), rows.end());
            QTest::qWait(30);
        }
        QTRY_VERIFY_WITH_TIMEOUT(writer->status().divertedRows > 0, 5000);
        QCOMPARE(readSqliteResults(m_path).size(), size_t(0));
        sw->m_down = false;
        QVERIFY(writer->flush().isOk());
        QCOMPARE(writer->status().divertedRows, uint64_t(0));
        QCOMPARE(readSqliteResults(m_path), tableOf(all));
        QCOMPARE(sqliteInteger(m_path, "SELECT count(*) FROM dead_letters"), int64_t(8));
        if (exactlyOnce)
            QCOMPARE(writer->committedEpoch(), uint64_t(8));
        QVERIFY(metrics.snapshot(0).value("tally_sink_replayed_rows_total", {{"sink", "sqlite"}}) > 0);
    }

    // Where the database stands moves only once the rows before a mark are stored: not while the
    // database is down, not while they wait in the divert buffer, not before their epoch commits.
    void upToDateFollowsStoredRows_data()
    {
        bothDeliveryModes();
    }
    void upToDateFollowsStoredRows()
    {
        QFETCH(bool, exactlyOnce);
        auto store = std::make_unique<SwitchableStore>(openStore(m_path));
        SwitchableStore *sw = store.get();
        MetricsRegistry metrics;
        SinkWriterOptions options = fastOptions(exactlyOnce ? Delivery::ExactlyOnce : Delivery::AtLeastOnce);
        options.divertPath = m_dir->filePath("divert.db").toStdString();
        auto writer = openWriter(std::move(store), options, metrics);
        QCOMPARE(writer->status().upToDateMs, std::nullopt);

        sw->m_down = true;
        QVERIFY(writer->writeRows(refiringRows(150, 1)).isOk());
        writer->noteEpochCovers(1, 60000);
        QVERIFY(writer->commitEpoch(1).isOk());
        QTRY_VERIFY_WITH_TIMEOUT(writer->status().circuit == CircuitBreaker::State::Open, 5000);
        QCOMPARE(writer->status().upToDateMs, std::nullopt);
        sw->m_down = false;
        QVERIFY(writer->flush().isOk());
        QCOMPARE(writer->status().upToDateMs, std::optional<int64_t>(60000));

        // Diverted: stored locally, not in the database.
        QVERIFY(writer->setDivert(true).isOk());
        sw->m_down = true;
        QVERIFY(writer->writeRows(refiringRows(150, 2)).isOk());
        writer->noteEpochCovers(2, 120000);
        QVERIFY(writer->commitEpoch(2).isOk());
        QTRY_VERIFY_WITH_TIMEOUT(writer->status().divertedRows > 0, 5000);
        QCOMPARE(writer->status().upToDateMs, std::optional<int64_t>(60000));
        sw->m_down = false;
        QVERIFY(writer->flush().isOk());
        QCOMPARE(writer->status().divertedRows, uint64_t(0));
        QCOMPARE(writer->status().upToDateMs, std::optional<int64_t>(120000));

        // Exactly-once: an epoch's rows are stored only by its commit.
        QVERIFY(writer->writeRows(refiringRows(150, 3)).isOk());
        writer->noteEpochCovers(3, 180000);
        QVERIFY(writer->flush().isOk());
        if (exactlyOnce) {
            QCOMPARE(writer->status().upToDateMs, std::optional<int64_t>(120000));
            QVERIFY(writer->commitEpoch(3).isOk());
            QVERIFY(writer->flush().isOk());
        }
        QCOMPARE(writer->status().upToDateMs, std::optional<int64_t>(180000));
    }

    // The freshness the consoles show never runs ahead of the database: whenever the sink says it
    // is up to date to U, every window of the oracle that ends at or before U is in the database
    // with its final value (without late events each window fires once).
    void upToDateNeverRunsAhead_data()
    {
        bothDeliveryModes();
    }
    void upToDateNeverRunsAhead()
    {
        QFETCH(bool, exactlyOnce);
        JobConfig config = sinkTestConfig(21, 60000);
        config.source.generator.lateFraction = 0;
        config.watermark.boundMs = 10000; // delays are exponential with a mean of 300 ms: none is late
        config.source.generator.eventsPerSecond = 20000; // 3 s of input, about 2 min of event time
        config.output.delivery = exactlyOnce ? Delivery::ExactlyOnce : Delivery::AtLeastOnce;
        config.checkpoint.enabled = exactlyOnce;
        config.checkpoint.dir = m_dir->filePath(QStringLiteral("checkpoints")).toStdString();
        MetricsRegistry metrics;
        struct Sample {
            int64_t upToDateMs;
            ResultTable stored;
        };
        std::vector<Sample> samples;
        const SinkRun run = runIntoSink(config, openWriter(openStore(m_path), fastOptions(config.output.delivery), metrics),
                                        metrics, [&](Job &job) {
                                            // A sample each time the sink's claim moves: where the sink
                                            // stands first, then the database (which only grows).
                                            int64_t claimed = kMinWatermark;
                                            const auto moved = [&] {
                                                const std::optional<SinkStatus> k = job.status().sink;
                                                claimed = k && k->upToDateMs ? *k->upToDateMs : kMinWatermark;
                                                return job.finished() || (claimed > kMinWatermark && claimed < kMaxWatermark &&
                                                                          (samples.empty() || claimed != samples.back().upToDateMs));
                                            };
                                            while (waitUntil(moved, std::chrono::seconds(30), "the sink's claim to move",
                                                             std::chrono::milliseconds(10)) &&
                                                   !job.finished())
                                                samples.push_back({claimed, readSqliteResults(m_path)});
                                        });
        size_t checked = 0;
        for (const Sample &sample : samples) {
            for (const auto &[key, value] : run.oracle.table) {
                if (std::get<2>(key) > sample.upToDateMs)
                    continue;
                const auto it = sample.stored.find(key);
                QVERIFY2(it != sample.stored.end() && it->second == value,
                         qPrintable(QStringLiteral("up to date to %1, but the %4 row of a window ending at %2 is %3")
                                        .arg(sample.upToDateMs)
                                        .arg(std::get<2>(key))
                                        .arg(it == sample.stored.end() ? QStringLiteral("missing")
                                                                       : QStringLiteral("not final"))
                                        .arg(QString::fromUtf8(aggregationName(std::get<0>(key)).data()))));
                ++checked;
            }
        }
        qInfo("%zu samples, %zu rows checked, %zu arrivals", samples.size(), checked, run.arrivals.size());
        QVERIFY2(samples.size() >= 5 && checked > 0, "too few samples with windows behind them");
    }

    // Rows left in the divert buffer by a run that ended during an outage are replayed by the
    // next run.
    void divertBufferSurvivesRestart()
    {
        const std::string divertPath = m_dir->filePath("divert.db").toStdString();
        const std::vector<OutputRow> rows = refiringRows(120);
        {
            auto buffer = DivertBuffer::open(divertPath);
            QVERIFY(buffer);
            QVERIFY((*buffer)->append(std::nullopt, rows).isOk());
        }
        MetricsRegistry metrics;
        SinkWriterOptions options = fastOptions(Delivery::AtLeastOnce);
        options.divertPath = divertPath;
        auto writer = openWriter(openStore(m_path), options, metrics);
        QVERIFY(writer->flush().isOk());
        QCOMPARE(readSqliteResults(m_path), tableOf(rows));
        QCOMPARE(writer->status().divertedRows, uint64_t(0));
    }

    // The database is down when a run starts, and holds commits past the epoch the run goes on
    // from (here: epoch 5 of an earlier run, whose epochs 6 and 7 wait in the divert buffer, and
    // the run starts from scratch). Once reached, the earlier run's batches are written as plain
    // upserts, and this run's epochs are stored past everything there: none is taken for a
    // replay, nothing is lost.
    void downAtStartShiftsEpochsPastTheDatabase()
    {
        const std::string divertPath = m_dir->filePath("divert.db").toStdString();
        SinkWriterOptions options = fastOptions(Delivery::ExactlyOnce);
        options.divertPath = divertPath;
        std::vector<OutputRow> earlier;
        {
            MetricsRegistry metrics;
            auto store = std::make_unique<SwitchableStore>(openStore(m_path));
            SwitchableStore *switchable = store.get();
            auto writer = openWriter(std::move(store), options, metrics);
            for (uint64_t epoch = 1; epoch <= 5; ++epoch) {
                QVERIFY(writer->writeRows(std::vector{likesPerPostRow(epoch, 10, epoch)}).isOk());
                QVERIFY(writer->commitEpoch(epoch).isOk());
            }
            QVERIFY(writer->flush().isOk());
            QCOMPARE(sqliteInteger(m_path, "SELECT epoch FROM sink_commits"), int64_t(5));
            switchable->m_down = true;
            QVERIFY(writer->setDivert(true).isOk());
            for (uint64_t epoch = 6; epoch <= 7; ++epoch) {
                earlier.push_back(likesPerPostRow(100 + epoch, 20, epoch));
                QVERIFY(writer->writeRows(std::vector{earlier.back()}).isOk());
                QVERIFY(writer->commitEpoch(epoch).isOk());
            }
            TALLY_WAIT_UNTIL(writer->status().divertedRows == 2, std::chrono::seconds(10), "the earlier run's rows diverted");
        }
        MetricsRegistry metrics;
        auto store = std::make_unique<SwitchableStore>(openStore(m_path));
        SwitchableStore *switchable = store.get();
        switchable->m_down = true;
        auto writer = openWriter(std::move(store), options, metrics); // down: opens all the same
        QCOMPARE(writer->continueEpochs(0), uint64_t(0));                  // a fresh run, numbered from 1
        TALLY_WAIT_UNTIL(!writer->status().lastError.empty(), std::chrono::seconds(10), "the failed reach for the database");
        std::vector<OutputRow> ours;
        for (uint64_t epoch = 1; epoch <= 3; ++epoch) {
            ours.push_back(likesPerPostRow(200 + epoch, 30, epoch));
            QVERIFY(writer->writeRows(std::vector{ours.back()}).isOk());
            QVERIFY(writer->commitEpoch(epoch).isOk());
        }
        switchable->m_down = false;
        QVERIFY(writer->flush().isOk());
        ResultTable expected = tableOf(std::vector<OutputRow>{likesPerPostRow(1, 10, 1), likesPerPostRow(2, 10, 2),
                                                              likesPerPostRow(3, 10, 3), likesPerPostRow(4, 10, 4),
                                                              likesPerPostRow(5, 10, 5)});
        for (const ResultTable &more : {tableOf(earlier), tableOf(ours)})
            expected.insert(more.begin(), more.end());
        QCOMPARE(readSqliteResults(m_path), expected);
        QCOMPARE(writer->committedEpoch(), uint64_t(3));                            // in the job's numbering
        QCOMPARE(sqliteInteger(m_path, "SELECT epoch FROM sink_commits"), int64_t(8)); // shifted past 5
        QCOMPARE(metrics.snapshot(0).value("tally_sink_replayed_commits_total", {{"sink", "sqlite"}}), 0.0);
    }

    // Drain through the job: with the source paused, once drain reports, every result the job
    // produced so far is in the database; later writes are held until resumed.
    void drainWritesEverythingThenHolds()
    {
        JobConfig config = sinkTestConfig(5, 0); // unbounded
        config.source.generator.eventsPerSecond = 20000;
        config.output.delivery = Delivery::ExactlyOnce;
        MetricsRegistry metrics;
        MemorySink recorded; // what the job handed to the sink
        auto sinkWriter = openWriter(openStore(m_path), fastOptions(Delivery::ExactlyOnce), metrics);
        SinkWriter *writer = sinkWriter.get(); // valid while the job runs
        auto recording = std::make_unique<RecordingSink>(std::move(sinkWriter), recorded);
        runIntoSink(config, std::move(recording), metrics, [&](Job &job) {
            StopJobOnExit stop{job};
            QTRY_VERIFY_WITH_TIMEOUT(job.status().rowsOut > 500, 10000);
            QCOMPARE(job.submit(SourceCommand::Pause).get().code(), Status::Code::Ok);
            // Let in-flight batches reach the output stage: the row count stops moving.
            uint64_t rows = 0;
            for (int stable = 0; stable < 5;) {
                QTest::qWait(100);
                const uint64_t now = job.status().rowsOut;
                stable = now == rows ? stable + 1 : 0;
                rows = now;
            }
            auto drained = job.submit(SinkCommand::Drain);
            QCOMPARE(drained.wait_for(std::chrono::seconds(10)), std::future_status::ready);
            const Status s = drained.get();
            QVERIFY2(s.isOk(), s.toString().c_str());
            QVERIFY(writer->status().held);
            QCOMPARE(readSqliteResults(m_path), recorded.table());

            // Held: new results stay out of the database until resumed.
            QCOMPARE(job.submit(SourceCommand::Resume).get().code(), Status::Code::Ok);
            QTRY_VERIFY_WITH_TIMEOUT(recorded.table() != readSqliteResults(m_path), 10000);
            QTest::qWait(300);
            QVERIFY(writer->status().held);
            QCOMPARE(job.submit(SinkCommand::ResumeWrites).get().code(), Status::Code::Ok);
            QTRY_VERIFY_WITH_TIMEOUT(!writer->status().held, 5000);
        });
        // Stopped and drained to the end: the database holds everything the job produced.
        QCOMPARE(readSqliteResults(m_path), recorded.table());
    }

    void divertWithoutBufferIsRefused()
    {
        MetricsRegistry metrics;
        auto writer = openWriter(openStore(m_path), fastOptions(Delivery::AtLeastOnce), metrics);
        const Status s = writer->setDivert(true);
        QCOMPARE(s.code(), Status::Code::Unimplemented);
        QVERIFY(s.message().find("divert_path") != std::string::npos);
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::string m_path;
};

QTEST_GUILESS_MAIN(TestSinkWriter)
#include "tst_sink_writer.moc"
