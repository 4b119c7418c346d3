// Kafka test support: the broker of the kafka_broker CTest fixture (its address, topics, consumer
// groups, stopping and restarting it with scripts/kafka/kafka.sh), producing events with
// tally-loadgen and regenerating them for an oracle, and the job configuration the Kafka tests
// share.
//
// Header-only, unlike the rest of tests/support: these helpers use Qt (QProcess, QJsonObject)
// and the load generator's path, which each Kafka test target defines (TALLY_LOADGEN_PATH),
// while the tally_test_support library is plain C++ over tally_engine.
#pragma once

#include "config/job_config.h"
#include "event/codec.h"
#include "source/generator.h"
#include "support/oracle.h"
#include "time/watermark.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <variant>
#include <vector>

namespace tally::test {

// The fixture's broker folder ($TALLY_KAFKA_BROKER_DIR); empty outside ctest.
inline QString brokerDir() { return qEnvironmentVariable("TALLY_KAFKA_BROKER_DIR"); }

// scripts/kafka/kafka.sh ($TALLY_KAFKA_SCRIPT).
inline QString kafkaScript() { return qEnvironmentVariable("TALLY_KAFKA_SCRIPT"); }

// The broker's address (host:port) while it runs; empty when it is stopped.
inline QString bootstrap()
{
    QFile f(brokerDir() + QStringLiteral("/bootstrap"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readAll()).trimmed();
}

// Runs a program to its end; true if it exited with 0. Its standard error is logged on failure.
inline bool runQuietly(const QString &program, const QStringList &args, QByteArray *out = nullptr,
                       int timeoutMs = 120000)
{
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        qWarning("%s %s: no result within %d ms", qPrintable(program), qPrintable(args.join(QLatin1Char(' '))), timeoutMs);
        return false;
    }
    if (out)
        *out = p.readAllStandardOutput();
    if (p.exitCode() != 0)
        qWarning("%s failed: %s", qPrintable(program), p.readAllStandardError().constData());
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

// Starts `program` in `dir` with its standard output and error in files there (NAME.out,
// NAME.err), so that a program the test does not read while it runs never blocks on a full pipe.
inline bool startLogged(QProcess &process, const QString &program, const QStringList &args, const QString &dir,
                        const QString &name)
{
    process.setWorkingDirectory(dir);
    process.setStandardOutputFile(QDir(dir).filePath(name + QStringLiteral(".out")));
    process.setStandardErrorFile(QDir(dir).filePath(name + QStringLiteral(".err")));
    process.start(program, args);
    return process.waitForStarted();
}

// The standard error a program started with startLogged() wrote so far.
inline QString loggedErrors(const QString &dir, const QString &name)
{
    QFile f(QDir(dir).filePath(name + QStringLiteral(".err")));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// The job file of a test that runs the real tally on the fixture's broker: `topic` read as
// `group`, results into tally.db (SQLite) in the working folder, the web console on any free port.
inline QByteArray kafkaJobToml(const QString &topic, const QString &group)
{
    return QStringLiteral("[source]\ntype = \"kafka\"\n\n[source.kafka]\nbootstrap = \"%1\"\ntopic = \"%2\"\n"
                          "group = \"%3\"\n\n[output]\ntype = \"sqlite\"\nsqlite_path = \"tally.db\"\n\n[web]\nport = 0\n")
        .arg(bootstrap(), topic, group)
        .toUtf8();
}

inline bool createTopic(const QString &name, int partitions)
{
    return runQuietly(kafkaScript(),
                      {QStringLiteral("topics"), brokerDir(), QStringLiteral("create"), name, QString::number(partitions)});
}

// True if the fixture's broker runs (kafka.sh status).
inline bool brokerRunning()
{
    QProcess p;
    p.start(kafkaScript(), {QStringLiteral("status"), brokerDir()});
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished(5000);
        return false;
    }
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

// Stops the fixture's broker (SIGTERM, SIGKILL after the script's timeout).
inline bool stopBroker()
{
    return runQuietly(kafkaScript(), {QStringLiteral("stop"), brokerDir()}, nullptr, 120000);
}

// Starts the fixture's broker again from its folder (its topics and committed offsets are kept)
// on `port` (0: the folder's port if free, else any), calling `whileWaiting` about every 50 ms;
// returns kafka.sh's error output, empty on success. kafka.sh refuses a port that any socket on
// the machine still has, and the broker's end of each connection it closed when it stopped stays
// in TIME_WAIT for up to a minute (Linux): a start that fails with the port "already in use" is
// retried every second until `timeout`.
inline QString startBroker(int port, std::chrono::milliseconds timeout = std::chrono::seconds(150),
                           const std::function<void()> &whileWaiting = {})
{
    QStringList args{QStringLiteral("start"), brokerDir()};
    if (port > 0)
        args << QStringLiteral("--port") << QString::number(port);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        QProcess p;
        p.start(kafkaScript(), args);
        while (p.state() != QProcess::NotRunning && !p.waitForFinished(50)) {
            if (whileWaiting)
                whileWaiting();
            if (std::chrono::steady_clock::now() >= deadline) {
                p.kill();
                p.waitForFinished(5000);
                return QStringLiteral("kafka.sh %1: no result in time").arg(args.join(QLatin1Char(' ')));
            }
        }
        if (p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0)
            return {};
        const QString error = QString::fromUtf8(p.readAllStandardError()).trimmed();
        if (!error.contains(QLatin1String("already in use")) || std::chrono::steady_clock::now() >= deadline)
            return QStringLiteral("kafka.sh %1: %2").arg(args.join(QLatin1Char(' ')), error);
        for (int i = 0; i < 20; ++i) {
            if (whileWaiting)
                whileWaiting();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
}

// The events tally-loadgen produces, said once: its command line, and the generator
// configuration that regenerates the same stream in the test (for an oracle). Event ids are
// 1..count, keyed by post (so each post stays on one partition).
struct LoadgenStream {
    int count = 0;
    uint64_t seed = 1;
    double rate = 0;                 // events per second produced; 0 = as fast as the broker takes them
    double eventTimeRate = 400;      // events per second of event time
    double lateFraction = 0.03;      // share of events delayed by up to lateDelayMs of event time
    int64_t lateDelayMs = 15000;
    double malformedFraction = 0;    // share of records corrupted (they become dead letters)

    QStringList arguments(const QString &topic, const QString &reportFile) const
    {
        QStringList args{QStringLiteral("--bootstrap"), bootstrap(), QStringLiteral("--topic"), topic,
                         QStringLiteral("--count"), QString::number(count), QStringLiteral("--seed"), QString::number(seed),
                         QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--acks"), QStringLiteral("all"),
                         QStringLiteral("--key"), QStringLiteral("post"), QStringLiteral("--posts"), QString::number(kPosts),
                         QStringLiteral("--users"), QString::number(kUsers),
                         QStringLiteral("--event-time-rate"), QString::number(eventTimeRate),
                         QStringLiteral("--start-time-ms"), QString::number(kStartTimeMs),
                         QStringLiteral("--late-fraction"), QString::number(lateFraction),
                         QStringLiteral("--late-delay-ms"), QString::number(lateDelayMs),
                         QStringLiteral("--malformed-fraction"), QString::number(malformedFraction),
                         QStringLiteral("--quiet"), QStringLiteral("--report-json"), reportFile};
        if (rate > 0)
            args << QStringLiteral("--rate") << QString::number(rate);
        return args;
    }

    // The load generator's own: one generator partition, delivery order (see app/loadgen.cpp);
    // serialized with malformedFraction, so that a record is corrupted exactly where loadgen's
    // is. The pacing is left out: it decides when, not what.
    GeneratorConfig generatorConfig() const
    {
        GeneratorConfig g;
        g.seed = seed;
        g.totalEvents = static_cast<uint64_t>(count);
        g.partitions = 1;
        g.startTimeMs = kStartTimeMs;
        g.eventTimeRate = eventTimeRate;
        g.posts = kPosts;
        g.users = kUsers;
        g.lateFraction = lateFraction;
        g.lateDelayMs = lateDelayMs;
        g.serialized = true;
        g.malformedFraction = malformedFraction;
        return g;
    }

    // The events a job counts, in production order (each arriving at kMinWatermark: an oracle
    // input for a job whose allowed lateness exceeds the stream's delays), and how many records
    // were malformed.
    std::vector<Arrival> validEvents(uint64_t *malformed = nullptr) const
    {
        GeneratorSource source(generatorConfig());
        RecordDecoder decoder;
        std::vector<Arrival> out;
        uint64_t rejected = 0;
        SourceBatch batch;
        while (source.poll(batch, 4096) != Source::PollStatus::End)
            for (size_t i = 0; i < batch.records.size(); ++i) {
                DecodeResult decoded = decoder.decode(batch.records.at(i));
                if (const LikeEvent *e = std::get_if<LikeEvent>(&decoded))
                    out.push_back({*e, kMinWatermark});
                else
                    ++rejected;
            }
        if (malformed)
            *malformed = rejected;
        return out;
    }

    static constexpr uint64_t kPosts = 300;
    static constexpr uint64_t kUsers = 400;
    static constexpr int64_t kStartTimeMs = 1767225600000; // 2026-01-01T00:00:00Z
};

// The load generator's JSON report of a run into `topic`.
inline QString loadgenReportFile(const QString &topic)
{
    return QDir::temp().filePath(QStringLiteral("tally-loadgen-%1.json").arg(topic));
}

inline QJsonObject readLoadgenReport(const QString &topic)
{
    QFile f(loadgenReportFile(topic));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

// Produces `stream` into `topic` with the load generator and returns its JSON report (empty on
// failure).
inline QJsonObject produceWith(const QString &loadgen, const QString &topic, const LoadgenStream &stream)
{
    QFile::remove(loadgenReportFile(topic));
    if (!runQuietly(loadgen, stream.arguments(topic, loadgenReportFile(topic))))
        return {};
    return readLoadgenReport(topic);
}

// Produces `count` generated events with the load generator, keyed by post, and returns its JSON
// report (empty on failure). Event ids are 1..count. `lateFraction` of the events are delayed by
// up to 15 s of event time.
inline QJsonObject produceWith(const QString &loadgen, const QString &topic, int count, double malformedFraction,
                               uint64_t seed, double lateFraction = 0.03)
{
    return produceWith(loadgen, topic,
                       LoadgenStream{.count = count,
                                     .seed = seed,
                                     .lateFraction = lateFraction,
                                     .malformedFraction = malformedFraction});
}

// Per partition of a topic, what Kafka's consumer-group tool (kafka.sh groups describe, the
// tool behind kafka-consumer-groups.sh) says of a group: its committed offset (none: "-") and the
// partition's log end offset.
struct GroupPartitionOffsets {
    std::optional<int64_t> current;
    int64_t logEnd = -1;
};

// The tool's table for `group` and `topic`, by partition; empty if the tool failed or knows no
// such group. `output` (optional) receives the tool's output.
inline std::map<int, GroupPartitionOffsets> describeGroup(const QString &group, const QString &topic,
                                                          QString *output = nullptr)
{
    QByteArray out;
    std::map<int, GroupPartitionOffsets> offsets;
    const bool ran = runQuietly(kafkaScript(), {QStringLiteral("groups"), brokerDir(), QStringLiteral("describe"), group},
                                &out, 60000);
    if (output)
        *output = QString::fromUtf8(out);
    if (!ran)
        return offsets;
    QStringList header;
    for (const QString &line : QString::fromUtf8(out).split(QLatin1Char('\n'))) {
        const QStringList fields = line.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (fields.contains(QLatin1String("CURRENT-OFFSET"))) {
            header = fields;
            for (const char *name : {"TOPIC", "PARTITION", "LOG-END-OFFSET"})
                if (!header.contains(QLatin1String(name)))
                    header.clear(); // not the table this reads
            continue;
        }
        if (header.isEmpty() || fields.size() != header.size())
            continue;
        const auto field = [&](const char *name) { return fields.at(header.indexOf(QLatin1String(name))); };
        if (field("TOPIC") != topic)
            continue;
        GroupPartitionOffsets p;
        bool ok = false;
        if (const qint64 current = field("CURRENT-OFFSET").toLongLong(&ok); ok)
            p.current = current;
        if (const qint64 logEnd = field("LOG-END-OFFSET").toLongLong(&ok); ok)
            p.logEnd = logEnd;
        offsets[field("PARTITION").toInt()] = p;
    }
    return offsets;
}

#ifdef TALLY_LOADGEN_PATH
inline QJsonObject produce(const QString &topic, int count, double malformedFraction, uint64_t seed,
                           double lateFraction = 0.03)
{
    return produceWith(QStringLiteral(TALLY_LOADGEN_PATH), topic, count, malformedFraction, seed, lateFraction);
}
#endif

// The windows of the oracle tests, scaled to a stream of about two minutes of event time.
inline JobConfig kafkaJobConfig()
{
    JobConfig c;
    useTestWindows(c);
    c.runtime.parallelism = 2;
    c.runtime.batchSize = 500;
    return c;
}

} // namespace tally::test
