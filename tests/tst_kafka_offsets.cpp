// The consumer group's committed offsets of a real `tally --headless` process, read with Kafka's
// own consumer-group tool (kafka.sh groups describe), against the real broker of the kafka_broker
// CTest fixture: while tally-loadgen produces at a steady rate, the job (checkpoints every second,
// SQLite, exactly-once) keeps the group's offsets within about one checkpoint of the log end; it
// is killed with SIGKILL and started again (it restores from the newest checkpoint), and per
// partition the offsets never go backwards across the kill and the restart; once the production
// ends they reach the log end, and the SQLite results equal the oracle of the produced stream.
#include "config/job_config.h"
#include "runtime/job_options.h"
#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "support/kafka_test_support.h"
#include "support/oracle.h"
#include "support/sink_results.h"
#include "support/process_signal.h"

#include <QtTest>

#include <algorithm>

#include <csignal>

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr int kPartitions = 4;
constexpr double kRate = 2000;     // records per second the load generator produces
constexpr int kEvents = 60000;     // 30 s of production
constexpr int64_t kIntervalMs = 1000; // checkpoint (and epoch) interval
// The first process is killed this long after it started, the second is stopped once the group
// has committed the log end. A bounded sample needs the process this long in the group first
// (start, join, first checkpoint, and catching up with what was produced meanwhile: on a busy
// machine a sample 4.1 s in was still 2.5 s of production behind).
constexpr auto kKillAfter = 15s;
constexpr auto kWarmUp = 7s;
// Past one checkpoint's worth of records, what the trail may also hold. From a completed
// checkpoint to the group's offsets the job passes four waits of up to 100 ms each: the output
// stage's queue wait, to see the checkpoint complete and again to see the sink's commit stored;
// the source thread serves the commit after its current fetch, which waits up to 100 ms for
// records; and the records that fetch is collecting are not yet in the positions of a barrier.
// Then the broker's commit round trip, and the tool (a cold JVM) reads the committed offsets and
// the log end one after the other. Measured on the shared 2-core machine: 0.1-0.4 s from a barrier
// to its positions committed besides the checkpoint's duration, trails up to 1.3 s of production
// when the machine is otherwise idle; with the crash test beside it one sample passed the bound
// below by 5% (ctest now runs this test alone). A job that committed one epoch late would trail up to about 2.5 s: many
// of its samples would fail.
constexpr double kSlackSeconds = 1.0;

struct Sample {
    double atSeconds = 0; // since the first process started
    int run = 1;          // the process that ran: 1 (killed) or 2 (restarted)
    double runSeconds = 0; // since that process started
    std::map<int, GroupPartitionOffsets> partitions;

    bool complete() const { return partitions.size() == size_t(kPartitions); }
    bool everyCommitted() const
    {
        return complete() && std::all_of(partitions.begin(), partitions.end(),
                                         [](const auto &p) { return p.second.current.has_value(); });
    }
    int64_t trail() const // records between the committed offsets and the log end, all partitions
    {
        int64_t sum = 0;
        for (const auto &[partition, p] : partitions)
            sum += p.logEnd - p.current.value_or(0);
        return sum;
    }
    int64_t logEnd() const
    {
        int64_t sum = 0;
        for (const auto &[partition, p] : partitions)
            sum += p.logEnd;
        return sum;
    }
};

QString describe(const Sample &s)
{
    QStringList parts;
    for (const auto &[partition, p] : s.partitions)
        parts << QStringLiteral("%1: %2/%3")
                     .arg(partition)
                     .arg(p.current ? QString::number(*p.current) : QStringLiteral("-"))
                     .arg(p.logEnd);
    return QStringLiteral("%1 s (run %2, %3 s in): %4")
        .arg(s.atSeconds, 0, 'f', 1)
        .arg(s.run)
        .arg(s.runSeconds, 0, 'f', 1)
        .arg(parts.join(QStringLiteral(", ")));
}

// Checkpoint durations, barrier to file on disk: the wall clock at the barrier is in the file
// (takenAtMs), the file's modification time is when it was written.
std::vector<int64_t> checkpointDurationsMs(const QString &dir)
{
    std::vector<int64_t> out;
    for (const std::string &path : checkpointFiles(dir.toStdString())) {
        const auto checkpoint = readCheckpoint(path);
        if (checkpoint)
            out.push_back(QFileInfo(QString::fromStdString(path)).lastModified().toMSecsSinceEpoch() -
                          checkpoint->savepoint.takenAtMs);
    }
    return out;
}

} // namespace

class TestKafkaOffsets : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void committedOffsetsFollowCheckpointsAcrossAKill();
};

void TestKafkaOffsets::initTestCase()
{
    QVERIFY2(!brokerDir().isEmpty(), "TALLY_KAFKA_BROKER_DIR is not set: run through ctest (kafka_broker fixture)");
    QVERIFY2(!bootstrap().isEmpty(), "the broker's bootstrap file is missing");
}

void TestKafkaOffsets::committedOffsetsFollowCheckpointsAcrossAKill()
{
    const QString topic = QStringLiteral("offsets-%1").arg(QCoreApplication::applicationPid());
    const QString group = QStringLiteral("tst-") + topic;
    QVERIFY(createTopic(topic, kPartitions));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());

    // The job: the shared test windows, a lateness longer than any delay of the stream (no event
    // is dropped, so the results do not depend on when, across the restart, each event arrived).
    JobConfig config = kafkaJobConfig();
    config.runtime.allowedLatenessMs = 60000;
    config.source.type = SourceConfig::Type::Kafka;
    config.source.kafka.bootstrapServers = bootstrap().toStdString();
    config.source.kafka.topic = topic.toStdString();
    config.source.kafka.groupId = group.toStdString();
    // The killed member holds its partitions until its session expires: the broker's least.
    config.source.kafka.sessionTimeoutMs = 6000;
    config.checkpoint.enabled = true;
    config.checkpoint.intervalMs = kIntervalMs;
    config.checkpoint.dir = dir.filePath(QStringLiteral("checkpoints")).toStdString();
    config.checkpoint.retained = 1000; // all of them, for their durations
    config.output.type = OutputConfig::Type::Sqlite;
    config.output.sqlitePath = dir.filePath(QStringLiteral("tally.db")).toStdString();
    config.web.enabled = false;
    {
        QFile f(dir.filePath(QStringLiteral("job.toml")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray::fromStdString(writeConfigToml(config)));
    }
    const QStringList tallyArgs{QStringLiteral("--headless"), QStringLiteral("--quiet"), QStringLiteral("--config"),
                                QStringLiteral("job.toml")};

    const LoadgenStream stream{.count = kEvents, .seed = 31, .rate = kRate, .eventTimeRate = kRate, .lateFraction = 0};
    QProcess loadgen;
    QFile::remove(loadgenReportFile(topic));
    QVERIFY(startLogged(loadgen, QStringLiteral(TALLY_LOADGEN_PATH), stream.arguments(topic, loadgenReportFile(topic)),
                        dir.path(), QStringLiteral("loadgen")));

    QProcess tally;
    const auto runName = [](int run) { return QStringLiteral("tally-%1").arg(run); };
    const auto startTally = [&](int run) {
        return startLogged(tally, QStringLiteral(TALLY_BINARY), tallyArgs, dir.path(), runName(run));
    };
    const auto log = [&](int run) { return loggedErrors(dir.path(), runName(run)); };
    // Whatever happens, no process outlives the test.
    const auto cleanup = qScopeGuard([&] {
        for (QProcess *p : {&tally, &loadgen})
            if (p->state() != QProcess::NotRunning) {
                p->kill();
                p->waitForFinished(10000);
            }
    });

    using Steady = std::chrono::steady_clock;
    const auto seconds = [](Steady::time_point since) {
        return std::chrono::duration<double>(Steady::now() - since).count();
    };
    const Steady::time_point started = Steady::now();
    Steady::time_point runStarted = started;
    QVERIFY(startTally(1));
    int run = 1;
    std::vector<Sample> samples;
    // The group's offsets as the killed process left them: it commits until the kill, after the
    // last sample of its run.
    std::map<int, int64_t> killedAt;
    bool drained = false;
    const auto deadline = started + 90s;
    while (!drained && Steady::now() < deadline) {
        QVERIFY2(tally.state() == QProcess::Running, qPrintable(QStringLiteral("tally exited: %1").arg(log(run))));
        Sample s;
        s.run = run;
        s.atSeconds = seconds(started);
        s.runSeconds = seconds(runStarted);
        s.partitions = describeGroup(group, topic);
        samples.push_back(s);
        const bool produced = loadgen.state() == QProcess::NotRunning || loadgen.waitForFinished(0);
        // The kill waits for two samples past the warm-up: on a loaded machine one sample (Kafka's
        // own group tool, a JVM) takes seconds, and (a) below needs them.
        const auto sampledAfterWarmUp = std::count_if(samples.begin(), samples.end(), [&](const Sample &x) {
            return x.run == 1 && x.runSeconds >= std::chrono::duration<double>(kWarmUp).count();
        });
        if (run == 1 && Steady::now() - runStarted >= kKillAfter && sampledAfterWarmUp >= 2) {
            signalProcess(tally, SIGKILL);
            QVERIFY(tally.waitForFinished(10000));
            for (const auto &[partition, p] : describeGroup(group, topic))
                killedAt[partition] = p.current.value_or(-1);
            run = 2;
            runStarted = Steady::now();
            QVERIFY(startTally(2));
        } else if (run == 2 && produced && s.everyCommitted() && s.trail() == 0 && s.logEnd() == kEvents) {
            drained = true;
        }
    }
    QVERIFY2(loadgen.state() == QProcess::NotRunning && loadgen.exitCode() == 0, "tally-loadgen did not finish");
    const QJsonObject report = readLoadgenReport(topic);
    QCOMPARE(report.value(QStringLiteral("acknowledged")).toInteger(), qint64(kEvents));
    for (const Sample &s : samples)
        qInfo("%s", qPrintable(describe(s)));
    QVERIFY2(drained, "the group's committed offsets did not reach the log end after the production ended");

    // SIGTERM stops the source and drains: every window fires and reaches the database.
    signalProcess(tally, SIGTERM);
    QVERIFY(tally.waitForFinished(60000));
    QVERIFY2(tally.exitStatus() == QProcess::NormalExit && tally.exitCode() == 0, qPrintable(log(2)));
    QVERIFY2(log(2).contains(QStringLiteral("restored from checkpoint")), qPrintable(log(2)));
    // Leaving the group, the stopped process committed what it had delivered: the log end still.
    Sample stopped;
    stopped.run = 2;
    stopped.atSeconds = seconds(started);
    stopped.runSeconds = seconds(runStarted);
    stopped.partitions = describeGroup(group, topic);
    qInfo("after the stop: %s", qPrintable(describe(stopped)));
    QVERIFY2(stopped.everyCommitted() && stopped.trail() == 0, qPrintable(describe(stopped)));

    // (a) While a process runs and keeps up, the committed offsets are those of the last completed
    // checkpoint's barrier (the sink has stored the epochs before it): the trail is what was
    // produced since that barrier, at most one interval and the next checkpoint's duration ago,
    // plus the slack above: bound = rate * (interval + longest checkpoint + slack).
    const std::vector<int64_t> durations = checkpointDurationsMs(dir.filePath(QStringLiteral("checkpoints")));
    QVERIFY(durations.size() > 10);
    const int64_t longestMs = *std::max_element(durations.begin(), durations.end());
    const double boundSeconds = kIntervalMs / 1000.0 + longestMs / 1000.0 + kSlackSeconds;
    const auto bound = static_cast<int64_t>(kRate * boundSeconds);
    int64_t longestTrail[3] = {0, 0, 0};
    int bounded[3] = {0, 0, 0};
    // The second process has caught up once it has committed every partition past where the first
    // left it (until then the offsets are the killed process's) and is within the bound.
    for (const Sample &s : samples)
        if (s.run == 1)
            for (const auto &[partition, p] : s.partitions)
                killedAt[partition] = std::max(killedAt[partition], p.current.value_or(-1));
    bool caughtUp = false;
    for (const Sample &s : samples) {
        if (s.run == 1 && s.runSeconds < std::chrono::duration<double>(kWarmUp).count())
            continue;
        if (s.run == 2 && !caughtUp) {
            caughtUp = s.everyCommitted() && s.trail() <= bound &&
                       std::all_of(s.partitions.begin(), s.partitions.end(),
                                   [&](const auto &p) { return *p.second.current > killedAt[p.first]; });
            if (!caughtUp)
                continue;
        }
        QVERIFY2(s.everyCommitted(), qPrintable(QStringLiteral("no committed offset: %1").arg(describe(s))));
        QVERIFY2(s.trail() <= bound,
                 qPrintable(QStringLiteral("%1 records behind the log end, more than %2 (%3 s of production): %4")
                                .arg(s.trail())
                                .arg(bound)
                                .arg(boundSeconds)
                                .arg(describe(s))));
        longestTrail[s.run] = std::max(longestTrail[s.run], s.trail());
        ++bounded[s.run];
    }
    QVERIFY2(bounded[1] >= 2, "too few samples while the first process ran");
    QVERIFY2(caughtUp, "the second process never caught up");
    qInfo("%zu checkpoints, the longest %lld ms; trail bound %lld records (%.2f s of production); longest trail "
          "%lld records (%.2f s) in %d samples of the first process, %lld (%.2f s) in %d samples of the second after "
          "it caught up",
          durations.size(), static_cast<long long>(longestMs), static_cast<long long>(bound), boundSeconds,
          static_cast<long long>(longestTrail[1]), longestTrail[1] / kRate, bounded[1],
          static_cast<long long>(longestTrail[2]), longestTrail[2] / kRate, bounded[2]);

    // (b) Per partition the committed offset never goes back, across the kill, the restart and the
    // stop.
    samples.push_back(stopped);
    std::map<int, int64_t> highest;
    for (const Sample &s : samples)
        for (const auto &[partition, p] : s.partitions) {
            const auto seen = highest.find(partition);
            if (seen != highest.end())
                QVERIFY2(p.current && *p.current >= seen->second,
                         qPrintable(QStringLiteral("partition %1 went back from %2: %3")
                                        .arg(partition)
                                        .arg(seen->second)
                                        .arg(describe(s))));
            if (p.current)
                highest[partition] = *p.current;
        }

    // (c) Every produced event counted once: the results equal the oracle of the whole stream.
    const std::vector<Arrival> events = stream.validEvents();
    QCOMPARE(events.size(), size_t(kEvents));
    const std::string db = config.output.sqlitePath;
    QCOMPARE(sqliteInteger(db, "SELECT count(*) FROM late_events"), int64_t(0));
    int64_t netLikes = 0;
    for (const Arrival &a : events)
        netLikes += a.event.action == Action::Like ? 1 : -1;
    QCOMPARE(sqliteInteger(db, "SELECT coalesce(sum(value), 0) FROM window_results"
                               " WHERE aggregation = 'likes_per_post'"),
             netLikes);
    const ResultTable expected = computeOracle(config, events).table;
    QVERIFY(expected.size() > 1000);
    const std::string diff = describeDifference(expected, readSqliteResults(db));
    QVERIFY2(diff.empty(), diff.c_str());
}

QTEST_GUILESS_MAIN(TestKafkaOffsets)
#include "tst_kafka_offsets.moc"
