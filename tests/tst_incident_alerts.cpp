// Alerts during real incidents, sent by the real `tally --headless` to a webhook receiver (a local
// HTTP server in the test):
// - the postgres_server fixture's PostgreSQL stopped for 30 s: sink_down fires within 10 s of the
//   stop and resolves within 10 s of the restart, each message once, with the runbook link, and
//   /metrics (PostgreSQL mode, the database down) passes promtool;
//   the database's freshness ages through the outage and comes back after it;
// - the same PostgreSQL down when tally starts: it starts anyway, sink_down fires, and resolves
//   once the server is up and the results arrive;
// - the checkpoint folder replaced by a file: checkpoint_failing fires while the job still runs,
//   then the job gives up, and its job_failed alert still goes out before the process ends.
#include "support/postgres_server.h"
#include "support/process_signal.h"
#include "support/sink_results.h"
#include "support/wait.h"
#include "support/web_client.h"
#include "support/webhook_receiver.h"

#include <QtTest>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <csignal>
#include <cstring>
#include <optional>

using namespace std::chrono_literals;
using namespace tally::test;

namespace {

constexpr auto kOutage = 30s;
constexpr int64_t kFireWithinMs = 10000;
constexpr int64_t kResolveWithinMs = 10000;

// The messages of the rule the receiver got with this status ("firing", "resolved").
QList<QJsonObject> received(const WebhookReceiver &receiver, const char *rule, const QString &status)
{
    QList<QJsonObject> found;
    for (const QByteArray &body : receiver.delivered()) {
        const QJsonObject message = QJsonDocument::fromJson(body).object();
        for (const QJsonValue &a : message[QStringLiteral("alerts")].toArray()) {
            const QJsonObject alert = a.toObject();
            if (alert[QStringLiteral("labels")].toObject()[QStringLiteral("alertname")] == QLatin1String(rule) &&
                alert[QStringLiteral("status")] == status)
                found.append(alert);
        }
    }
    return found;
}

QList<QJsonObject> sinkDown(const WebhookReceiver &receiver, const QString &status)
{
    return received(receiver, "sink_down", status);
}

// Starts the real tally, headless, in `dir` with `config` as its job.toml and `sink` (its output
// arguments); standard output and error go to one channel.
bool startTally(QProcess &tally, const QString &dir, const QString &config, const QStringList &sink)
{
    QFile file(QDir(dir).filePath(QStringLiteral("job.toml")));
    if (!file.open(QIODevice::WriteOnly) || file.write(config.toUtf8()) < 0)
        return false;
    file.close();
    tally.setWorkingDirectory(dir);
    tally.setProcessChannelMode(QProcess::MergedChannels);
    tally.start(QStringLiteral(TALLY_BINARY), QStringList{QStringLiteral("--headless"), QStringLiteral("--quiet"),
                                                          QStringLiteral("--config"), file.fileName(),
                                                          QStringLiteral("--audit-log"), QStringLiteral("audit.db")} +
                                                  sink);
    return tally.waitForStarted();
}

// Appends what `tally` wrote to `log`; whether it still runs.
bool stillRunning(QProcess &tally, QByteArray &log)
{
    log += tally.readAll();
    return tally.state() == QProcess::Running;
}

// tally_freshness_seconds from the console's /metrics: how far the database is behind.
std::optional<double> freshnessSeconds(const QByteArray &log)
{
    const QByteArray metrics = httpGet(webConsoleUrl(log).resolved(QUrl(QStringLiteral("/metrics"))));
    for (const QByteArray &line : metrics.split('\n'))
        if (line.startsWith("tally_freshness_seconds "))
            return line.mid(static_cast<qsizetype>(std::strlen("tally_freshness_seconds "))).toDouble();
    return std::nullopt;
}

int64_t msOf(const QJsonValue &rfc3339) { return QDateTime::fromString(rfc3339.toString(), Qt::ISODateWithMs).toMSecsSinceEpoch(); }

} // namespace

class TestIncidentAlerts : public QObject {
    Q_OBJECT

private slots:
    void databaseOutage()
    {
        QVERIFY2(!postgresServerDir().isEmpty(), "TALLY_POSTGRES_DIR is not set: run through ctest (fixture postgres_server)");
        const std::string url = freshPostgresDatabase("incident_alerts");
        WebhookReceiver receiver;
        QVERIFY(receiver.isListening());
        QTemporaryDir dir;
        QProcess tally;
        // A paced stream that outlasts the test; exactly-once into PostgreSQL with checkpoints.
        QVERIFY(startTally(tally, dir.path(),
                           QStringLiteral("[source.generator]\nevents_per_second = 5000\nevent_time_rate = 5000\n"
                                          "[checkpoint]\nenabled = true\ninterval_ms = 1000\n"
                                          "[web]\nport = 0\n"
                                          "[alerts]\nwebhook_url = \"%1\"\n")
                               .arg(receiver.url().toString()),
                           {QStringLiteral("--postgres"), QString::fromStdString(url)}));
        QByteArray log;
        const auto running = [&] { return stillRunning(tally, log); };

        // Running and committing before the outage.
        TALLY_WAIT_UNTIL(!running() || log.contains("web console: "), 30s, "the web console's startup line");
        QVERIFY2(running(), log.constData());
        TALLY_WAIT_UNTIL(!running() || postgresInteger(url, "SELECT count(*) FROM sink_commits") > 0, 30s,
                         "the first committed epoch");
        QVERIFY2(running(), log.constData());
        std::optional<double> before;
        TALLY_WAIT_UNTIL((before = freshnessSeconds(log)).has_value(), 30s, "tally_freshness_seconds");
        qInfo("the database was %.1f s behind before the outage", *before);

        const int64_t stoppedAt = QDateTime::currentMSecsSinceEpoch();
        QVERIFY(postgresServerScript(QStringLiteral("stop")));
        TALLY_WAIT_UNTIL(!running() || !sinkDown(receiver, QStringLiteral("firing")).isEmpty(), 30s,
                         "the sink_down alert's firing message");
        QVERIFY2(running(), log.constData());
        const QJsonObject firing = sinkDown(receiver, QStringLiteral("firing")).front();
        const int64_t firedAt = msOf(firing[QStringLiteral("startsAt")]);
        qInfo("sink_down fired %.1f s after the server stopped", (firedAt - stoppedAt) / 1000.0);
        QVERIFY2(firedAt - stoppedAt <= kFireWithinMs, qPrintable(QString::fromUtf8(QJsonDocument(firing).toJson())));
        // The runbook link opens the rule's runbook on the web console.
        const QString runbook = firing[QStringLiteral("annotations")].toObject()[QStringLiteral("runbook_url")].toString();
        QVERIFY2(runbook.startsWith(QLatin1String("http://127.0.0.1:")) && runbook.endsWith(QLatin1String("/#alerts/sink_down")),
                 qPrintable(runbook));
        QVERIFY(sinkDown(receiver, QStringLiteral("resolved")).isEmpty());
        // /metrics in PostgreSQL mode, with the database down, passes promtool.
        const QByteArray metrics = httpGet(webConsoleUrl(log).resolved(QUrl(QStringLiteral("/metrics"))));
        QVERIFY2(metrics.contains("tally_sink_circuit_state{"), metrics.constData());
        const QString problems = promtoolProblems(metrics);
        QVERIFY2(problems.isEmpty(), qPrintable(problems));

        // The rest of the outage: the alert stays firing, the process keeps running.
        const Wait outage = waitUntil([&] { return !running(); }, kOutage - std::chrono::milliseconds(QDateTime::currentMSecsSinceEpoch() - stoppedAt),
                                      "the end of the outage");
        QVERIFY2(!outage, log.constData()); // tally must not end during the outage
        QVERIFY(sinkDown(receiver, QStringLiteral("resolved")).isEmpty());
        // Nothing reached the database during the outage: its freshness aged with the clock.
        const std::optional<double> during = freshnessSeconds(log);
        QVERIFY(during);
        qInfo("%.1f s behind at the end of the outage", *during);
        QVERIFY2(*during >= *before + std::chrono::duration<double>(kOutage).count() - 5, qPrintable(QString::number(*during)));

        // From when the server answers again (pg.sh returns then; a loaded machine takes seconds).
        const int64_t startingAt = QDateTime::currentMSecsSinceEpoch();
        QVERIFY(postgresServerScript(QStringLiteral("start")));
        const int64_t restartedAt = QDateTime::currentMSecsSinceEpoch();
        qInfo("the server took %.1f s to start", (restartedAt - startingAt) / 1000.0);
        TALLY_WAIT_UNTIL(!running() || !sinkDown(receiver, QStringLiteral("resolved")).isEmpty(), 30s,
                         "the sink_down alert's resolved message");
        QVERIFY2(running(), log.constData());
        const QJsonObject resolved = sinkDown(receiver, QStringLiteral("resolved")).front();
        const int64_t resolvedAt = msOf(resolved[QStringLiteral("endsAt")]);
        qInfo("sink_down resolved %.1f s after the server started again", (resolvedAt - restartedAt) / 1000.0);
        QVERIFY2(resolvedAt - restartedAt <= kResolveWithinMs, qPrintable(QString::fromUtf8(QJsonDocument(resolved).toJson())));
        QCOMPARE(resolved[QStringLiteral("fingerprint")], firing[QStringLiteral("fingerprint")]);
        QCOMPARE(sinkDown(receiver, QStringLiteral("firing")).size(), 1); // no flapping
        // The backlog is written: the database is as fresh as before the outage.
        std::optional<double> after;
        TALLY_WAIT_UNTIL(!running() || ((after = freshnessSeconds(log)) && *after <= *before + 5), 30s,
                         "the freshness of before the outage");
        QVERIFY2(running(), log.constData());
        qInfo("%.1f s behind %.1f s after the server started again", *after,
              (QDateTime::currentMSecsSinceEpoch() - restartedAt) / 1000.0);

        // The log says the same.
        QVERIFY(signalProcess(tally, SIGTERM));
        QVERIFY(tally.waitForFinished(60000));
        log += tally.readAll();
        QVERIFY2(tally.exitStatus() == QProcess::NormalExit && tally.exitCode() == 0, log.constData());
        QVERIFY2(log.contains("tally: alert firing: sink_down") && log.contains("tally: alert resolved: sink_down"),
                 log.constData());
    }

    // The database is down when tally starts (a host reboot that brought Tally up first): it
    // starts anyway (a service manager would otherwise restart it in a loop), sink_down fires,
    // and once the server is up the alert resolves and the results arrive; SIGTERM then ends it
    // cleanly.
    void databaseDownAtStart()
    {
        QVERIFY2(!postgresServerDir().isEmpty(), "TALLY_POSTGRES_DIR is not set: run through ctest (fixture postgres_server)");
        const std::string url = freshPostgresDatabase("down_at_start");
        WebhookReceiver receiver;
        QVERIFY(receiver.isListening());
        QTemporaryDir dir;
        QVERIFY(postgresServerScript(QStringLiteral("stop")));
        QProcess tally;
        const bool started = startTally(tally, dir.path(),
                                        QStringLiteral("[source.generator]\nevents_per_second = 5000\nevent_time_rate = 5000\n"
                                                       "[checkpoint]\nenabled = true\ninterval_ms = 1000\n"
                                                       "[web]\nport = 0\n"
                                                       "[alerts]\nwebhook_url = \"%1\"\n")
                                            .arg(receiver.url().toString()),
                                        {QStringLiteral("--postgres"), QString::fromStdString(url)});
        QByteArray log;
        const auto running = [&] { return stillRunning(tally, log); };
        const auto firing = [&] { return !sinkDown(receiver, QStringLiteral("firing")).isEmpty(); };
        const Wait fired = waitUntil([&] { return !running() || firing(); }, 30s, "the sink_down alert's firing message");
        const bool ranThrough = running();
        QVERIFY(postgresServerScript(QStringLiteral("start"))); // before any check can return
        QVERIFY(started);
        QVERIFY2(ranThrough, log.constData());
        QVERIFY2(fired && firing(), fired.message().c_str());
        QVERIFY2(log.contains("not reachable at start"), log.constData());
        QVERIFY2(log.contains("web console: "), log.constData());

        TALLY_WAIT_UNTIL(!running() || !sinkDown(receiver, QStringLiteral("resolved")).isEmpty(), 30s,
                         "the sink_down alert's resolved message");
        QVERIFY2(running(), log.constData());
        TALLY_WAIT_UNTIL(!running() || postgresInteger(url, "SELECT count(*) FROM window_results") > 0, 30s,
                         "the first results in the database");
        QVERIFY2(running(), log.constData());
        QVERIFY(postgresInteger(url, "SELECT epoch FROM sink_commits WHERE job = 'tally'") > 0);

        QVERIFY(signalProcess(tally, SIGTERM));
        QVERIFY(tally.waitForFinished(60000));
        log += tally.readAll();
        QVERIFY2(tally.exitStatus() == QProcess::NormalExit && tally.exitCode() == 0, log.constData());
    }

    void checkpointFolderGone()
    {
        WebhookReceiver receiver;
        QVERIFY(receiver.isListening());
        QTemporaryDir dir;
        QProcess tally;
        // The job gives up after 10 failed checkpoints in a row, the alert comes after 3 intervals.
        QVERIFY(startTally(tally, dir.path(),
                           QStringLiteral("[source.generator]\nevents_per_second = 5000\nevent_time_rate = 5000\n"
                                          "[checkpoint]\nenabled = true\ninterval_ms = 500\ntolerable_failures = 10\n"
                                          "[web]\nenabled = false\n"
                                          "[alerts]\nwebhook_url = \"%1\"\n")
                               .arg(receiver.url().toString()),
                           {QStringLiteral("--db"), QStringLiteral("tally.db")}));
        QByteArray log;
        const auto running = [&] { return stillRunning(tally, log); };
        const QDir checkpoints(dir.filePath(QStringLiteral("checkpoints")));
        TALLY_WAIT_UNTIL(!running() || !checkpoints.entryList({QStringLiteral("checkpoint-*.tsp")}, QDir::Files).isEmpty(), 30s,
                         "the first checkpoint");
        QVERIFY2(running(), log.constData());

        // As root no permission stops a write: a file where the folder was does.
        QVERIFY(QDir(dir.path()).rename(QStringLiteral("checkpoints"), QStringLiteral("checkpoints.moved")));
        QFile blocker(dir.filePath(QStringLiteral("checkpoints")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();

        TALLY_WAIT_UNTIL(!running() || !received(receiver, "checkpoint_failing", QStringLiteral("firing")).isEmpty(), 30s,
                         "the checkpoint_failing alert's firing message");
        QVERIFY2(running(), log.constData()); // before the job gave up
        TALLY_WAIT_UNTIL(!running(), 60s, "the job to give up after 10 failed checkpoints");
        QVERIFY2(tally.exitCode() == 1, log.constData());
        QVERIFY2(log.contains("tally: alert firing: job_failed"), log.constData());
        QVERIFY2(!received(receiver, "job_failed", QStringLiteral("firing")).isEmpty(), log.constData());
    }
};

QTEST_GUILESS_MAIN(TestIncidentAlerts)
#include "tst_incident_alerts.moc"
