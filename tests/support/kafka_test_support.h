// Kafka test support: the broker of the kafka_broker CTest fixture (its address, topics, stopping
// and restarting it with scripts/kafka/kafka.sh), producing events with tally-loadgen, and the
// job configuration the Kafka tests share.
//
// Header-only, unlike the rest of tests/support: these helpers use Qt (QProcess, QJsonObject)
// and the load generator's path, which each Kafka test target defines (TALLY_LOADGEN_PATH),
// while the tally_test_support library is plain C++ over tally_engine.
#pragma once

#include "config/job_config.h"
#include "support/oracle.h"

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
#include <thread>

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

// Produces `count` generated events with the load generator, keyed by post, and returns its JSON
// report (empty on failure). Event ids are 1..count. `lateFraction` of the events are delayed by
// up to 15 s of event time.
inline QJsonObject produceWith(const QString &loadgen, const QString &topic, int count, double malformedFraction,
                               uint64_t seed, double lateFraction = 0.03)
{
    const QString report = QDir::temp().filePath(QStringLiteral("tally-loadgen-%1.json").arg(topic));
    const QStringList args{QStringLiteral("--bootstrap"), bootstrap(), QStringLiteral("--topic"), topic,
                           QStringLiteral("--count"), QString::number(count), QStringLiteral("--seed"), QString::number(seed),
                           QStringLiteral("--format"), QStringLiteral("json"), QStringLiteral("--acks"), QStringLiteral("all"),
                           QStringLiteral("--key"), QStringLiteral("post"), QStringLiteral("--posts"), QStringLiteral("300"),
                           QStringLiteral("--users"), QStringLiteral("400"), QStringLiteral("--event-time-rate"), QStringLiteral("400"),
                           QStringLiteral("--start-time-ms"), QStringLiteral("1767225600000"),
                           QStringLiteral("--late-fraction"), QString::number(lateFraction),
                           QStringLiteral("--late-delay-ms"), QStringLiteral("15000"),
                           QStringLiteral("--malformed-fraction"), QString::number(malformedFraction),
                           QStringLiteral("--quiet"), QStringLiteral("--report-json"), report};
    if (!runQuietly(loadgen, args))
        return {};
    QFile f(report);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
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
