// Soak runs: long faults against the real broker and the real PostgreSQL server (the kafka_broker
// and postgres_server fixtures), outside the default test run (`scripts/soak.sh faults` and
// `scripts/soak.sh throttle`). In both, tally-loadgen produces a paced stream (idempotent, retried
// without a time limit, so the broker's outages lose and repeat nothing) into a topic that the
// real `tally --headless` counts into PostgreSQL, exactly-once, with a checkpoint every second; at
// the end the database must equal the oracle of the produced stream: nothing lost, nothing twice.
//
// brokerAndDatabaseOutages: TALLY_SOAK_OUTAGES (default 10) rounds of: PostgreSQL stopped for 30 s
// (every second round the job is also killed with SIGKILL in the middle of it, and started again
// once the server is back); the broker stopped and started again on its port (every other round
// the job is killed while the broker is down); and one more SIGKILL at a random moment. After each
// fault the test waits until the group's committed offsets move again (the sink has stored newer
// epochs). A job that is not killed must ride out every outage: the process never ends by itself.
//
// throttledSink: after a minute at full speed, a trigger on window_results makes every row the
// sink writes cost ten times the time the job has for it (capacity 10% of the measured row rate)
// for TALLY_SOAK_THROTTLE_SECONDS (default 600). The job must hold back, not fall over: the lag
// grows, the consumer group never rebalances (the held-back source keeps polling), the process's
// memory stays bounded (output.max_pending_rows), and once the trigger is gone the lag drains.
//
// Every random choice comes from the seed printed first (TALLY_TEST_SEED replays it).
#include "config/job_config.h"
#include "runtime/job_options.h"
#include "support/kafka_test_support.h"
#include "support/oracle.h"
#include "support/postgres_server.h"
#include "support/seed.h"
#include "support/sink_results.h"
#include "support/wait.h"
#include "support/process_signal.h"

#include <QtTest>

#include <pqxx/pqxx>

#include <QRegularExpression>
#include <QTcpSocket>

#include <csignal>
#include <numeric>
#include <random>
#include <thread>

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr int kPartitions = 4;
constexpr double kRate = 2000; // events per second produced (and of event time)

int envInt(const char *name, int fallback)
{
    return qEnvironmentVariableIsSet(name) ? qEnvironmentVariableIntValue(name) : fallback;
}

using Steady = std::chrono::steady_clock;
double secondsSince(Steady::time_point t) { return std::chrono::duration<double>(Steady::now() - t).count(); }

// Sum over the topic's partitions of what the consumer-group tool reports.
struct GroupTotals {
    int64_t committed = 0; // committed offsets (a partition without one counts 0)
    int64_t logEnd = 0;
    bool complete = false; // the tool answered for every partition, each with a committed offset
    int64_t lag() const { return logEnd - committed; }
};

GroupTotals groupTotals(const QString &group, const QString &topic)
{
    GroupTotals t;
    const auto partitions = describeGroup(group, topic);
    t.complete = partitions.size() == size_t(kPartitions);
    for (const auto &[partition, p] : partitions) {
        t.committed += p.current.value_or(0);
        t.complete = t.complete && p.current.has_value();
        t.logEnd += p.logEnd;
    }
    return t;
}

// The resident set of a process, in MiB (0 if it is gone).
double rssMiB(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toDouble() / 1024.0;
    return 0;
}

// One Kafka-to-PostgreSQL job of the real tally, started again after each kill. Each run logs to
// tally-N.out / tally-N.err in the test's folder.
class TallyJob {
public:
    TallyJob(QString dir, QStringList args) : m_dir(std::move(dir)), m_args(std::move(args)) {}
    ~TallyJob()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(10000);
        }
    }

    // Starts the next run and waits for its web console's address (the startup line).
    bool start()
    {
        ++m_run;
        m_port = 0;
        if (!startLogged(m_process, QStringLiteral(TALLY_BINARY), m_args, m_dir, name()))
            return false;
        static const QRegularExpression line(QStringLiteral("^web console: http://127\\.0\\.0\\.1:(\\d+)/"),
                                             QRegularExpression::MultilineOption);
        const Wait w = waitUntil(
            [&] {
                QFile out(QDir(m_dir).filePath(name() + QStringLiteral(".out")));
                if (out.open(QIODevice::ReadOnly))
                    if (const auto m = line.match(QString::fromUtf8(out.readAll())); m.hasMatch())
                        m_port = static_cast<quint16>(m.captured(1).toUInt());
                return m_port != 0 || m_process.state() == QProcess::NotRunning;
            },
            60s, "tally's startup line");
        return w && m_port != 0;
    }

    // SIGKILL; false if the process had already ended by itself.
    [[nodiscard]] bool kill()
    {
        const bool sent = signalProcess(m_process, SIGKILL);
        m_process.waitForFinished(10000);
        m_kills += sent;
        return sent;
    }

    // SIGTERM: the job drains (every window fires) and ends; true if it exited with 0 in time.
    bool stop()
    {
        signalProcess(m_process, SIGTERM);
        return m_process.waitForFinished(120000) && m_process.exitStatus() == QProcess::NormalExit &&
               m_process.exitCode() == 0;
    }

    bool running() { return m_process.state() == QProcess::Running && !m_process.waitForFinished(0); }
    qint64 pid() const { return m_process.processId(); }
    int kills() const { return m_kills; }
    int runs() const { return m_run; }
    QString errors() const { return loggedErrors(m_dir, name()); }

    // A sample's value from the run's /metrics (loopback: no token), -1 if there is none.
    double metric(const QByteArray &sample)
    {
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), m_port);
        if (!socket.waitForConnected(5000))
            return -1;
        socket.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_port) +
                     "\r\nConnection: close\r\n\r\n");
        QByteArray response;
        while (socket.state() == QAbstractSocket::ConnectedState && socket.waitForReadyRead(10000))
            response += socket.readAll();
        response += socket.readAll();
        for (const QByteArray &line : response.split('\n'))
            if (line.startsWith(sample + ' '))
                return line.mid(sample.size() + 1).trimmed().toDouble();
        return -1;
    }

private:
    QString name() const { return QStringLiteral("tally-%1").arg(m_run); }

    QString m_dir;
    QStringList m_args;
    QProcess m_process;
    quint16 m_port = 0;
    int m_run = 0;
    int m_kills = 0;
};

// What both soaks share: a topic, the paced production into it, the job's configuration and the
// final comparison with the oracle.
class SoakRun {
public:
    SoakRun(const QString &name, int seconds, int maxPendingRows)
    {
        std::mt19937_64 rng = seededGenerator(name.toStdString());
        m_topic = QStringLiteral("soak-%1-%2").arg(name).arg(QCoreApplication::applicationPid());
        m_group = QStringLiteral("tst-") + m_topic;
        m_stream = LoadgenStream{.count = int(kRate * seconds), .seed = rng() % 1000000 + 1, .rate = kRate,
                                 .eventTimeRate = kRate, .lateFraction = 0};
        m_postgresUrl = freshPostgresDatabase("soak_" + name.toStdString());

        // The shared test windows; a lateness longer than any delay of the stream, so the results
        // do not depend on when, across kills and outages, each event arrived.
        m_config = kafkaJobConfig();
        m_config.runtime.allowedLatenessMs = 60000;
        m_config.source.type = SourceConfig::Type::Kafka;
        m_config.source.kafka.bootstrapServers = bootstrap().toStdString();
        m_config.source.kafka.topic = m_topic.toStdString();
        m_config.source.kafka.groupId = m_group.toStdString();
        m_config.source.kafka.sessionTimeoutMs = 6000; // a killed member's partitions come back soon
        m_config.checkpoint.enabled = true;
        m_config.checkpoint.intervalMs = 1000;
        m_config.checkpoint.dir = m_dir.filePath(QStringLiteral("checkpoints")).toStdString();
        m_config.output.type = OutputConfig::Type::Postgres;
        m_config.output.postgresUrl = m_postgresUrl;
        m_config.output.maxPendingRows = maxPendingRows;
        m_config.web.port = 0;
        QFile f(m_dir.filePath(QStringLiteral("job.toml")));
        if (f.open(QIODevice::WriteOnly))
            f.write(QByteArray::fromStdString(writeConfigToml(m_config)));
    }
    ~SoakRun()
    {
        if (m_loadgen.state() != QProcess::NotRunning) {
            m_loadgen.kill();
            m_loadgen.waitForFinished(10000);
        }
    }

    bool createTopicAndProduce()
    {
        if (!m_dir.isValid() || !createTopic(m_topic, kPartitions))
            return false;
        QFile::remove(loadgenReportFile(m_topic));
        // Idempotent and without a delivery time limit: a stopped broker delays the stream, never
        // loses or repeats a record. The final flush may have to wait out an outage too.
        QStringList args = m_stream.arguments(m_topic, loadgenReportFile(m_topic));
        args << QStringLiteral("--idempotence") << QStringLiteral("-X") << QStringLiteral("message.timeout.ms=0")
             << QStringLiteral("--flush-timeout-ms") << QStringLiteral("600000");
        return startLogged(m_loadgen, QStringLiteral(TALLY_LOADGEN_PATH), args, m_dir.path(), QStringLiteral("loadgen"));
    }

    TallyJob job() const
    {
        return TallyJob(m_dir.path(), {QStringLiteral("--headless"), QStringLiteral("--quiet"), QStringLiteral("--config"),
                                       QStringLiteral("job.toml"), QStringLiteral("--audit-log"), QStringLiteral("audit.db")});
    }

    bool produced() { return m_loadgen.state() == QProcess::NotRunning || m_loadgen.waitForFinished(0); }
    QProcess &loadgen() { return m_loadgen; }
    int events() const { return m_stream.count; }
    const QString &topic() const { return m_topic; }
    const QString &group() const { return m_group; }
    const std::string &postgresUrl() const { return m_postgresUrl; }
    GroupTotals totals() const { return groupTotals(m_group, m_topic); }

    // The records the group has committed, once it moved past `before` or reached the log end.
    Wait waitForProgress(int64_t before, std::chrono::seconds timeout, const char *what)
    {
        return waitUntil(
            [&] {
                const GroupTotals t = totals();
                return t.complete && (t.committed > before || (produced() && t.committed == m_stream.count));
            },
            timeout, what, 1000ms);
    }

    // The end of a run: production complete, the group at the log end, then SIGTERM (the job drains)
    // and the database equal to the oracle. Returns an empty string or what went wrong.
    QString finish(TallyJob &job, double *drainSeconds = nullptr)
    {
        if (!waitUntil([&] { return produced(); }, std::chrono::seconds(m_stream.count / int(kRate) + 900),
                       "tally-loadgen's end", 1000ms))
            return QStringLiteral("tally-loadgen did not finish: %1").arg(loggedErrors(m_dir.path(), QStringLiteral("loadgen")));
        const QJsonObject report = readLoadgenReport(m_topic);
        if (m_loadgen.exitCode() != 0 || report.value(QStringLiteral("acknowledged")).toInteger() != m_stream.count)
            return QStringLiteral("tally-loadgen: exit %1, %2 of %3 acknowledged: %4")
                .arg(m_loadgen.exitCode())
                .arg(report.value(QStringLiteral("acknowledged")).toInteger())
                .arg(m_stream.count)
                .arg(loggedErrors(m_dir.path(), QStringLiteral("loadgen")));
        const Steady::time_point drainStart = Steady::now();
        if (const Wait w = waitUntil(
                [&] {
                    const GroupTotals t = totals();
                    return !job.running() || (t.complete && t.committed == m_stream.count);
                },
                900s, "the group's committed offsets at the log end", 2000ms);
            !w || !job.running())
            return QString::fromStdString(w.message()) + QStringLiteral("; tally: ") + job.errors();
        if (drainSeconds)
            *drainSeconds = secondsSince(drainStart);
        if (!job.stop())
            return QStringLiteral("tally did not end with 0 after SIGTERM: ") + job.errors();

        const std::vector<Arrival> events = m_stream.validEvents();
        if (events.size() != size_t(m_stream.count))
            return QStringLiteral("the regenerated stream has %1 events").arg(events.size());
        if (const int64_t late = postgresInteger(m_postgresUrl, "SELECT count(*) FROM late_events"); late != 0)
            return QStringLiteral("%1 late events").arg(late);
        const ResultTable results = readPostgresResults(m_postgresUrl);
        const std::string diff = describeDifference(computeOracle(m_config, events).table, results);
        if (!diff.empty())
            return QString::fromStdString(diff);
        m_resultRows = results.size();
        return {};
    }
    size_t resultRows() const { return m_resultRows; }

private:
    QTemporaryDir m_dir;
    QString m_topic, m_group;
    LoadgenStream m_stream;
    std::string m_postgresUrl;
    JobConfig m_config;
    QProcess m_loadgen;
    size_t m_resultRows = 0;
};

} // namespace

class TestSoak : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        testSeed(); // prints it
        QVERIFY2(!brokerDir().isEmpty(), "TALLY_KAFKA_BROKER_DIR is not set: run through ctest (kafka_broker fixture)");
        QVERIFY2(!postgresServerDir().isEmpty(), "TALLY_POSTGRES_DIR is not set: run through ctest (postgres_server fixture)");
        const QString address = bootstrap();
        m_brokerPort = address.section(QLatin1Char(':'), -1).toInt();
        QVERIFY2(m_brokerPort > 0, qPrintable(QStringLiteral("no broker address: %1").arg(address)));
    }

    void brokerAndDatabaseOutages()
    {
        const int rounds = envInt("TALLY_SOAK_OUTAGES", 10);
        constexpr auto kDatabaseOutage = 30s;
        std::mt19937_64 rng = seededGenerator("outages");
        // About 75 s per round (the outage, the broker's restart, the recoveries): the stream
        // lasts the whole run, so records flow through every fault.
        SoakRun soak(QStringLiteral("outages"), 75 * rounds, 200000);
        QVERIFY(soak.createTopicAndProduce());
        TallyJob job = soak.job();
        QVERIFY2(job.start(), qPrintable(job.errors()));
        QVERIFY2(soak.waitForProgress(0, 120s, "the first committed offsets"), qPrintable(job.errors()));

        const auto stillRunning = [&](const char *when) {
            return job.running() ? QString()
                                 : QStringLiteral("tally ended by itself %1: %2").arg(QLatin1String(when), job.errors());
        };
        int databaseOutages = 0, brokerRestarts = 0, killsInOutages = 0;
        double longestRecovery = 0;
        const Steady::time_point started = Steady::now();
        for (int round = 0; round < rounds; ++round) {
            // PostgreSQL stopped for 30 s; every second round the job is killed in the middle.
            int64_t before = soak.totals().committed;
            const bool killInOutage = round % 2 == 1;
            const auto killAt = std::chrono::milliseconds(5000 + rng() % 20000);
            QVERIFY(postgresServerScript(QStringLiteral("stop")));
            const Steady::time_point stopped = Steady::now();
            bool killed = false;
            while (Steady::now() - stopped < kDatabaseOutage) {
                if (killInOutage && !killed && Steady::now() - stopped >= killAt) {
                    QVERIFY2(job.kill(), qPrintable(QStringLiteral("tally had ended by itself: ") + job.errors()));
                    killed = true;
                    ++killsInOutages;
                }
                if (!killed) {
                    const QString error = stillRunning("while the database was down");
                    QVERIFY2(error.isEmpty(), qPrintable(error));
                }
                std::this_thread::sleep_for(200ms);
            }
            QVERIFY(postgresServerScript(QStringLiteral("start")));
            ++databaseOutages;
            Steady::time_point back = Steady::now();
            if (killed)
                QVERIFY2(job.start(), qPrintable(job.errors()));
            if (const Wait w = soak.waitForProgress(before, 300s, "new committed offsets after the database outage"); !w)
                QFAIL(qPrintable(QString::fromStdString(w.message()) + QStringLiteral("; tally: ") + job.errors()));
            longestRecovery = std::max(longestRecovery, secondsSince(back));
            QString error = stillRunning("after the database outage");
            QVERIFY2(error.isEmpty(), qPrintable(error));

            // The broker stopped and started again on its port; every other round the job is
            // killed while it is down.
            before = soak.totals().committed;
            QVERIFY(stopBroker());
            const bool killInBrokerOutage = round % 2 == 0;
            if (killInBrokerOutage) {
                QVERIFY2(job.kill(), qPrintable(QStringLiteral("tally had ended by itself: ") + job.errors()));
                ++killsInOutages;
            }
            const QString startError = startBroker(m_brokerPort);
            QVERIFY2(startError.isEmpty(), qPrintable(startError));
            ++brokerRestarts;
            back = Steady::now();
            if (killInBrokerOutage)
                QVERIFY2(job.start(), qPrintable(job.errors()));
            if (const Wait w = soak.waitForProgress(before, 300s, "new committed offsets after the broker's restart"); !w)
                QFAIL(qPrintable(QString::fromStdString(w.message()) + QStringLiteral("; tally: ") + job.errors()));
            longestRecovery = std::max(longestRecovery, secondsSince(back));
            error = stillRunning("after the broker's restart");
            QVERIFY2(error.isEmpty(), qPrintable(error));

            // One more kill, at a random moment of the next few seconds.
            std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 3000));
            QVERIFY2(job.kill(), qPrintable(QStringLiteral("tally had ended by itself: ") + job.errors()));
            QVERIFY2(job.start(), qPrintable(job.errors()));
            qInfo("round %d of %d done after %.0f s: %d kills so far, group at %lld of %d records", round + 1, rounds,
                  secondsSince(started), job.kills(), static_cast<long long>(soak.totals().committed), soak.events());
        }

        const QString failure = soak.finish(job);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        qInfo("outages soak: %d database outages of %lld s, %d broker restarts, %d kills (%d of them during an outage), "
              "%d runs, longest recovery %.1f s; %d events, %zu result rows equal the oracle (0 lost, 0 duplicated)",
              databaseOutages, static_cast<long long>(kDatabaseOutage.count()), brokerRestarts, job.kills(),
              killsInOutages, job.runs(), longestRecovery, soak.events(), soak.resultRows());
        QVERIFY(databaseOutages >= rounds && brokerRestarts >= rounds);
    }

    void throttledSink()
    {
        const int throttleSeconds = envInt("TALLY_SOAK_THROTTLE_SECONDS", 600);
        constexpr int kWarmUpSeconds = 60;
        // Pending rows the job may hold while the database is slow: small enough that the hold-back
        // engages within the first minutes of the throttle.
        constexpr int kMaxPendingRows = 20000;
        SoakRun soak(QStringLiteral("throttle"), kWarmUpSeconds + throttleSeconds + 60, kMaxPendingRows);
        QVERIFY(soak.createTopicAndProduce());
        TallyJob job = soak.job();
        QVERIFY2(job.start(), qPrintable(job.errors()));
        QVERIFY2(soak.waitForProgress(0, 120s, "the first committed offsets"), qPrintable(job.errors()));

        // The rows the sink writes per second at full speed (inserted and updated).
        const auto rowsWritten = [&] {
            return postgresInteger(soak.postgresUrl(), "SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) FROM "
                                                       "pg_stat_user_tables WHERE relname = 'window_results'");
        };
        const int64_t rowsBefore = rowsWritten();
        const Steady::time_point measured = Steady::now();
        std::this_thread::sleep_for(std::chrono::seconds(kWarmUpSeconds));
        const double rowsPerSecond = (rowsWritten() - rowsBefore) / secondsSince(measured);
        QVERIFY2(rowsPerSecond > 10, qPrintable(QStringLiteral("only %1 rows/s written").arg(rowsPerSecond)));
        const double rssBefore = rssMiB(job.pid());
        const double assignsBefore = job.metric(R"(tally_kafka_rebalances_total{kind="assign"})");
        QVERIFY2(assignsBefore >= 1, "no assignment in /metrics");

        // The throttle: every row written costs 1 / (10% of the measured rate) seconds.
        const double secondsPerRow = 1.0 / (0.1 * rowsPerSecond);
        {
            pqxx::connection c(soak.postgresUrl());
            pqxx::nontransaction tx(c);
            tx.exec("CREATE FUNCTION soak_throttle() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(" +
                    std::to_string(secondsPerRow) + "); RETURN NEW; END $$");
            tx.exec("CREATE TRIGGER soak_throttle BEFORE INSERT OR UPDATE ON window_results FOR EACH ROW "
                    "EXECUTE FUNCTION soak_throttle()");
        }
        qInfo("throttle on: %.0f rows/s measured at full speed, each row now costs %.1f ms (10%%) for %d s", rowsPerSecond,
              secondsPerRow * 1000, throttleSeconds);
        const Steady::time_point throttled = Steady::now();
        double rssPeak = rssBefore, rssAtHalf = 0, rssAtEnd = 0;
        int64_t lagPeak = 0;
        double pendingPeak = 0;
        while (secondsSince(throttled) < throttleSeconds) {
            QVERIFY2(job.running(), qPrintable(QStringLiteral("tally ended by itself: ") + job.errors()));
            const double rss = rssMiB(job.pid());
            rssPeak = std::max(rssPeak, rss);
            if (rssAtHalf == 0 && secondsSince(throttled) >= throttleSeconds / 2.0)
                rssAtHalf = rss;
            rssAtEnd = rss;
            const GroupTotals t = soak.totals();
            lagPeak = std::max(lagPeak, t.lag());
            const double pending = job.metric(R"(tally_sink_pending_rows{sink="postgres"})");
            pendingPeak = std::max(pendingPeak, pending);
            qInfo("throttled %.0f s: lag %lld records, %.0f rows pending, RSS %.0f MiB", secondsSince(throttled),
                  static_cast<long long>(t.lag()), pending, rss);
            std::this_thread::sleep_for(10s);
        }
        const double assignsAfter = job.metric(R"(tally_kafka_rebalances_total{kind="assign"})");
        const double revokes = job.metric(R"(tally_kafka_rebalances_total{kind="revoke"})");
        {
            pqxx::connection c(soak.postgresUrl());
            pqxx::nontransaction tx(c);
            tx.exec("DROP TRIGGER soak_throttle ON window_results");
        }
        qInfo("throttle off after %.0f s", secondsSince(throttled));

        double drainSeconds = 0;
        const QString failure = soak.finish(job, &drainSeconds);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        qInfo("throttle soak: %d s at 10%% of the sink's rate: lag peaked at %lld records (%.0f s of input), "
              "%.0f rows pending at most (bound %d), rebalances %.0f -> %.0f assignments and %.0f revocations, RSS %.0f MiB before, %.0f at half time, %.0f at "
              "the end, %.0f at most; drained %.0f s after the production ended; %d events, %zu result rows equal the "
              "oracle",
              throttleSeconds, static_cast<long long>(lagPeak), lagPeak / kRate, pendingPeak, kMaxPendingRows, assignsBefore, assignsAfter, revokes,
              rssBefore, rssAtHalf, rssAtEnd, rssPeak, drainSeconds, soak.events(), soak.resultRows());
        // The throttle held the job back: the sink's rows in memory reached their bound and stayed
        // within it, and the lag grew past a minute of input...
        QVERIFY2(pendingPeak >= kMaxPendingRows / 2, "the sink's pending rows never neared their bound");
        // (A write waits below the bound, then adds its whole batch of rows.)
        QVERIFY2(pendingPeak <= 2 * kMaxPendingRows, "the sink held far more rows than its bound");
        QVERIFY2(lagPeak > kRate * 60, "the lag never grew past a minute of input");
        // ...without a rebalance...
        QCOMPARE(assignsAfter, assignsBefore);
        QCOMPARE(revokes, 0.0);
        // ...with bounded memory: the second half of the throttle added less than 32 MiB.
        QVERIFY2(rssAtEnd - rssAtHalf < 32, "RSS still grew in the second half of the throttle");
        QVERIFY2(rssPeak < rssBefore + 512, "RSS grew by more than 512 MiB under the throttle");
    }

private:
    int m_brokerPort = 0;
};

QTEST_GUILESS_MAIN(TestSoak)
#include "tst_soak.moc"
