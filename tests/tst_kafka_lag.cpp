// Consumer lag while the source is paused, against the real broker of the kafka_broker CTest
// fixture: tally-loadgen produces at a steady rate into a topic the real `tally` consumes; an
// operator pauses the source through the web console for 20 s while the production goes on. A
// paused consumer fetches nothing, so the high watermarks its fetches brought stand still: the
// lag must come from the broker's log end instead. Once the production has ended (the log end
// stands still too), tally's lag in /metrics must be within 5% of Kafka's own consumer-group
// tool's (log end minus the group's offsets, which a paused job has committed up to its
// position), the time to catch up must never be negative and must say "not catching up" while
// paused; every partition's Burrow status goes to STALL or STOP without an alert (the pause is an
// operator's); resumed, the lag goes back to 0 and the status to OK.
#include "support/kafka_test_support.h"
#include "support/process_signal.h"
#include "support/wait.h"
#include "support/web_client.h"

#include <QtTest>

#include <QRegularExpression>

#include <csignal>
#include <cmath>

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr int kPartitions = 4;
constexpr double kRate = 2000; // records per second
constexpr int kEvents = 70000; // 35 s of production
constexpr auto kPaused = 20s;

// Every sample of a family (name{labels} value) in a /metrics text, by its labels.
std::map<QString, double> samples(const QByteArray &text, const QString &name)
{
    std::map<QString, double> out;
    const QRegularExpression line(QStringLiteral("^%1(\\{[^}]*\\})? (\\S+)$").arg(name), QRegularExpression::MultilineOption);
    for (auto it = line.globalMatch(QString::fromUtf8(text)); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        const QString value = m.captured(2);
        out[m.captured(1)] = value == QLatin1String("+Inf") ? INFINITY : value.toDouble();
    }
    return out;
}

double sample(const QByteArray &text, const QString &name)
{
    const auto all = samples(text, name);
    return all.size() == 1 ? all.begin()->second : NAN;
}

} // namespace

class TestKafkaLag : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(!brokerDir().isEmpty(), "TALLY_KAFKA_BROKER_DIR is not set: run through ctest (kafka_broker fixture)");
        QVERIFY2(!bootstrap().isEmpty(), "the broker's bootstrap file is missing");
    }

    void lagWhilePausedComesFromTheBroker()
    {
        const QString topic = QStringLiteral("lag-%1").arg(QCoreApplication::applicationPid());
        const QString group = QStringLiteral("tst-") + topic;
        QVERIFY(createTopic(topic, kPartitions));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        {
            QFile f(dir.filePath(QStringLiteral("job.toml")));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(kafkaJobToml(topic, group));
        }
        QProcess loadgen, tally;
        const auto cleanup = qScopeGuard([&] {
            for (QProcess *p : {&tally, &loadgen})
                if (p->state() != QProcess::NotRunning) {
                    p->kill();
                    p->waitForFinished(10000);
                }
        });
        const LoadgenStream stream{.count = kEvents, .seed = 53, .rate = kRate, .eventTimeRate = kRate, .lateFraction = 0};
        QFile::remove(loadgenReportFile(topic));
        QVERIFY(startLogged(loadgen, QStringLiteral(TALLY_LOADGEN_PATH), stream.arguments(topic, loadgenReportFile(topic)),
                            dir.path(), QStringLiteral("loadgen")));
        QVERIFY(startLogged(tally, QStringLiteral(TALLY_BINARY),
                            {QStringLiteral("--headless"), QStringLiteral("--quiet"), QStringLiteral("--config"),
                             QStringLiteral("job.toml"), QStringLiteral("--audit-log"), QStringLiteral("audit.db")},
                            dir.path(), QStringLiteral("tally")));
        const auto errors = [&] { return qPrintable(loggedErrors(dir.path(), QStringLiteral("tally"))); };
        QByteArray startup;
        TALLY_WAIT_UNTIL(tally.state() != QProcess::Running || [&] {
            QFile out(dir.filePath(QStringLiteral("tally.out")));
            startup = out.open(QIODevice::ReadOnly) ? out.readAll() : QByteArray();
            return !webConsoleToken(startup).isEmpty();
        }(), 30s, "the web console's startup line");
        QVERIFY2(tally.state() == QProcess::Running, errors());
        const QUrl web = webConsoleUrl(startup);
        const QByteArray token = webConsoleToken(startup);
        // Its standard output is a pipe here, as under systemd: the one-time token is in a file
        // only its user reads, never in the log.
        QVERIFY2(!startup.contains(token), startup.constData());
        const QFileDevice::Permissions tokenFile = QFile(dir.filePath(QStringLiteral("web-token"))).permissions();
        const QFileDevice::Permissions othersMay = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup |
                                                   QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
        QVERIFY2((tokenFile & QFileDevice::ReadOwner) && !(tokenFile & othersMay), qPrintable(QString::number(int(tokenFile), 16)));
        const auto metrics = [&] { return httpGet(web.resolved(QUrl(QStringLiteral("/metrics")))); };

        // Consuming and keeping up: every partition has a position, and the lag is small.
        TALLY_WAIT_UNTIL(tally.state() != QProcess::Running ||
                             (samples(metrics(), QStringLiteral("tally_kafka_consumer_lag_records")).size() == size_t(kPartitions) &&
                              sample(metrics(), QStringLiteral("tally_kafka_consumer_group_lag_records")) < kRate),
                         30s, "the job to consume every partition and keep up");
        QVERIFY2(tally.state() == QProcess::Running, errors());
        // ...and committing: the group has an offset for every partition.
        QString table;
        TALLY_WAIT_UNTIL(tally.state() != QProcess::Running || [&] {
            const auto offsets = describeGroup(group, topic, &table);
            return offsets.size() == size_t(kPartitions) &&
                   std::all_of(offsets.begin(), offsets.end(), [](const auto &p) { return p.second.current.has_value(); });
        }(), 30s, "the group's first committed offsets");
        QVERIFY2(tally.state() == QProcess::Running, errors());

        QCOMPARE(postAction(web, token, QStringLiteral("pause_source")), 202);
        const auto pausedAt = std::chrono::steady_clock::now();
        // While paused (sampled every half second at most): the time to catch up says "not
        // catching up" (+Inf) once the lag has grown past a second of input, and is never negative.
        // Burrow's status: the group's committed offsets stop moving while the lag grows, so every
        // partition goes to STALL or STOP, but an operator's pause raises no alert.
        double lastCatchUp = 0;
        int notCatchingUp = 0;
        int allStalled = 0;
        bool stalledAlert = false;
        const Wait paused = waitUntil(
            [&] {
                const QByteArray m = metrics();
                const double catchUp = sample(m, QStringLiteral("tally_kafka_time_to_catch_up_seconds"));
                lastCatchUp = catchUp;
                if (!(catchUp >= 0)) // negative, or NaN: no such sample
                    return true;
                notCatchingUp += std::isinf(catchUp) ? 1 : 0;
                const auto status = samples(m, QStringLiteral("tally_kafka_partition_status"));
                allStalled += status.size() == size_t(kPartitions) &&
                              std::all_of(status.begin(), status.end(), [](const auto &e) { return e.second == 2 || e.second == 3; });
                stalledAlert |= samples(m, QStringLiteral("tally_alerts_active"))[QStringLiteral("{rule=\"partition_stalled\"}")] != 0;
                return tally.state() != QProcess::Running;
            },
            std::chrono::duration_cast<std::chrono::milliseconds>(kPaused), "the pause to pass", 500ms);
        QVERIFY2(tally.state() == QProcess::Running, errors());
        QVERIFY2(!paused, qPrintable(QStringLiteral("time to catch up %1 while paused").arg(lastCatchUp)));
        QVERIFY2(notCatchingUp > 0, "the time to catch up never said \"not catching up\" while the source was paused");
        QVERIFY2(allStalled > 0, "the partitions never showed STALL or STOP while the source was paused");
        QVERIFY2(!stalledAlert, "partition_stalled fired during an operator's pause");

        // The production ends while the source is still paused; then the log end stands still.
        QVERIFY2(loadgen.waitForFinished(60000) && loadgen.exitCode() == 0, "tally-loadgen did not finish");
        QCOMPARE(readLoadgenReport(topic).value(QStringLiteral("acknowledged")).toInteger(), qint64(kEvents));
        // tally asks the broker once a second: its figure settles on the final log end.
        double tallyLag = 0;
        TALLY_WAIT_UNTIL([&] {
            const QByteArray m = metrics();
            double logEnd = 0;
            for (const auto &[labels, v] : samples(m, QStringLiteral("tally_kafka_log_end_offset")))
                logEnd += v;
            tallyLag = sample(m, QStringLiteral("tally_kafka_consumer_group_lag_records"));
            return logEnd == kEvents;
        }(), 10s, "tally's log end offsets to reach the end of the production");
        const auto group_ = describeGroup(group, topic, &table);
        int64_t toolLag = 0;
        for (const auto &[partition, p] : group_) {
            QVERIFY2(p.current, qPrintable(table));
            toolLag += p.logEnd - *p.current;
        }
        QCOMPARE(int(group_.size()), kPartitions);
        const double pausedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - pausedAt).count();
        qInfo("paused %.1f s: tally's lag %.0f records, the consumer-group tool's %lld", pausedSeconds, tallyLag,
              static_cast<long long>(toolLag));
        // At least half the paused time's production is lag (the old figure, from fetches, was
        // ~1,000 records).
        QVERIFY2(toolLag > kRate * 10, qPrintable(table));
        QVERIFY2(std::abs(tallyLag - double(toolLag)) <= 0.05 * double(toolLag),
                 qPrintable(QStringLiteral("tally says %1, the tool %2\n%3").arg(tallyLag).arg(toolLag).arg(table)));

        // Resumed, it catches up: the lag goes to 0, the estimate back to "keeping up".
        QCOMPARE(postAction(web, token, QStringLiteral("resume_source")), 202);
        TALLY_WAIT_UNTIL(tally.state() != QProcess::Running ||
                             (sample(metrics(), QStringLiteral("tally_kafka_consumer_group_lag_records")) == 0 &&
                              sample(metrics(), QStringLiteral("tally_kafka_time_to_catch_up_seconds")) == 0),
                         60s, "the lag to go back to 0 after the resume");
        QVERIFY2(tally.state() == QProcess::Running, errors());
        TALLY_WAIT_UNTIL([&] {
            const auto status = samples(metrics(), QStringLiteral("tally_kafka_partition_status"));
            return status.size() == size_t(kPartitions) &&
                   std::all_of(status.begin(), status.end(), [](const auto &e) { return e.second == 0; });
        }(), 30s, "every partition's status back to OK once caught up");
        signalProcess(tally, SIGTERM);
        QVERIFY(tally.waitForFinished(60000));
        QVERIFY2(tally.exitStatus() == QProcess::NormalExit && tally.exitCode() == 0, errors());
    }
};

QTEST_GUILESS_MAIN(TestKafkaLag)
#include "tst_kafka_lag.moc"
