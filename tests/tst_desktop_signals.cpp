// The desktop console as a service manager or a session logout stops it: the real `tally` with its
// window on a real X display (xvfb-run), a paced generator stream into SQLite, and SIGTERM in the
// middle of the stream. The source stops, every window of what was read fires and is written, the
// window closes and the process exits 0. Its final summary says how many events it read; the
// database must equal the oracle of exactly that prefix of the stream (the allowed lateness
// exceeds the stream's largest delay, so the results do not depend on arrival times).
#include "config/job_config.h"
#include "runtime/job_options.h"
#include "source/generator.h"
#include "support/oracle.h"
#include "support/process_signal.h"
#include "support/sink_results.h"
#include "support/wait.h"
#include "time/watermark.h"

#include <QtTest>

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <csignal>

using namespace std::chrono_literals;
using namespace tally;
using namespace tally::test;

namespace {

// The test windows, a lateness longer than any delay of the stream, and 200 s of input at 10,000
// events a second: SIGTERM comes long before its end. One partition: the events read are then a
// prefix of the generator's stream (with several, each partition's own).
JobConfig jobConfig(const std::string &database)
{
    JobConfig c;
    useTestWindows(c);
    c.runtime.allowedLatenessMs = 60000;
    c.runtime.parallelism = 2;
    GeneratorConfig &g = c.source.generator;
    g.totalEvents = 2000000;
    g.eventsPerSecond = 10000;
    g.seed = 91;
    g.startTimeMs = 1767225600000; // fixed: the test generates the same stream again
    g.partitions = 1;
    g.eventTimeRate = 2000;
    g.posts = 2000;
    g.users = 5000;
    g.meanDelayMs = 300;
    g.lateFraction = 0.01;
    g.lateDelayMs = 20000;
    c.output.type = OutputConfig::Type::Sqlite;
    c.output.sqlitePath = database;
    c.web.enabled = false;
    return c;
}

} // namespace

class TestDesktopSignals : public QObject {
    Q_OBJECT

private slots:
    void sigtermDrainsAndCloses()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DISPLAY"), "no X display: run through ctest (xvfb-run)");
        QTemporaryDir dir;
        const std::string database = dir.filePath(QStringLiteral("tally.db")).toStdString();
        const JobConfig config = jobConfig(database);
        QFile file(dir.filePath(QStringLiteral("job.toml")));
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write(QByteArray::fromStdString(writeConfigToml(config))) > 0);
        file.close();

        QProcess tally;
        tally.setWorkingDirectory(dir.path());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.filePath(QStringLiteral("config"))); // fresh settings
        env.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
        env.remove(QStringLiteral("QT_QPA_PLATFORM")); // the real window
        tally.setProcessEnvironment(env);
        tally.start(QStringLiteral(TALLY_BINARY), {QStringLiteral("--config"), file.fileName(), QStringLiteral("--audit-log"),
                                                   QStringLiteral("audit.db")});
        QVERIFY(tally.waitForStarted());
        QByteArray errors;
        const auto running = [&] {
            errors += tally.readAllStandardError();
            return tally.state() == QProcess::Running;
        };
        // Running, with windows fired and written: the middle of the stream.
        TALLY_WAIT_UNTIL(!running() || (QFile::exists(QString::fromStdString(database)) &&
                                        sqliteInteger(database, "SELECT count(*) FROM window_results") > 100),
                         30s, "the first results in the database");
        QVERIFY2(running(), errors.constData());
        QVERIFY2(errors.contains("desktop console"), errors.constData());

        QVERIFY(signalProcess(tally, SIGTERM));
        QVERIFY2(tally.waitForFinished(60000), "the desktop console did not end within 60 s of SIGTERM");
        errors += tally.readAllStandardError();
        const QByteArray out = tally.readAllStandardOutput();
        QVERIFY2(tally.exitStatus() == QProcess::NormalExit && tally.exitCode() == 0, (errors + out).constData());

        static const QRegularExpression read(QStringLiteral("^\\[final\\] .*\\| events ([0-9,]+) \\|"), QRegularExpression::MultilineOption);
        const QRegularExpressionMatch m = read.match(QString::fromUtf8(out));
        QVERIFY2(m.hasMatch(), out.constData());
        const uint64_t events = m.captured(1).remove(QLatin1Char(',')).toULongLong();
        qInfo("SIGTERM after %llu of 2,000,000 events", static_cast<unsigned long long>(events));
        QVERIFY2(events > 0 && events < 2000000, out.constData()); // stopped in the middle

        GeneratorSource source(config.source.generator);
        std::vector<Arrival> prefix;
        SourceBatch batch;
        while (prefix.size() < events && source.poll(batch, 4096) != Source::PollStatus::End)
            for (const LikeEvent &e : batch.events)
                if (prefix.size() < events)
                    prefix.push_back({e, kMinWatermark});
        QCOMPARE(prefix.size(), size_t(events));
        const ResultTable expected = computeOracle(config, prefix).table;
        const std::string diff = describeDifference(expected, readSqliteResults(database));
        QVERIFY2(diff.empty(), diff.c_str());
        qInfo("%zu result rows equal the oracle's", expected.size());
    }
};

QTEST_GUILESS_MAIN(TestDesktopSignals)
#include "tst_desktop_signals.moc"
