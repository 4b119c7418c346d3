// Crafted savepoints against the real `tally --headless`: files an attacker (or a bad disk, or a
// bad script) could hand to --restore or leave in checkpoint.dir. Each crafted file is a real
// checkpoint of a short run, decoded, changed and encoded again, so its checksum is valid and only
// the contents are wrong. Every one must be refused with a message naming what is wrong, quickly
// and with a non-zero exit: none may hang (huge generator positions were regenerated one by one,
// ignoring --duration and SIGTERM) or be accepted and run (epoch 0 wrapped "epoch - 1" and dropped
// every result with exit code 0). The unchanged checkpoint restores and exits 0.
#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "util/checksummed.h"
#include "support/wait.h"
#include "support/process_signal.h"

#include <QRegularExpression>
#include <QtTest>

#include <QElapsedTimer>
#include <QProcess>

#include <csignal>
#include <functional>

using namespace tally;
using namespace tally::test;

namespace {

// A short paced stream (about a second) with a checkpoint every 100 ms, so the run leaves
// checkpoints behind.
constexpr const char *kConfig = R"toml(
[source.generator]
total_events = 40000
events_per_second = 40000
partitions = 4

[runtime]
parallelism = 2

[checkpoint]
enabled = true
interval_ms = 100
retained = 3

[web]
enabled = false
)toml";

// The same job on an unbounded stream: nothing in the configuration limits the positions.
constexpr const char *kUnboundedConfig = R"toml(
[source.generator]
total_events = 0
events_per_second = 40000
partitions = 4

[runtime]
parallelism = 2

[web]
enabled = false
)toml";

// Refused within this long (the issue's bound is 2 s; the margin is for a loaded machine). A
// hang is minutes.
constexpr int kRefusalBoundMs = 10000;

struct Outcome {
    bool finished = false;
    int exitCode = -1;
    qint64 elapsedMs = 0;
    QString errors;
};

} // namespace

class TestCraftedSavepoints : public QObject {
    Q_OBJECT

    Outcome runTally(const QStringList &arguments, int boundMs = kRefusalBoundMs)
    {
        QProcess tally;
        tally.setWorkingDirectory(m_dir.path());
        QElapsedTimer clock;
        clock.start();
        tally.start(QStringLiteral(TALLY_BINARY), QStringList{QStringLiteral("--headless"), QStringLiteral("--quiet"),
                                                              QStringLiteral("--db"), QStringLiteral("tally.db"),
                                                              QStringLiteral("--audit-log"), QStringLiteral("audit.db")} +
                                                      arguments);
        Outcome o;
        if (!tally.waitForStarted())
            return o;
        o.finished = tally.waitForFinished(boundMs);
        o.elapsedMs = clock.elapsed();
        if (!o.finished) {
            signalProcess(tally, SIGKILL);
            tally.waitForFinished(10000);
        }
        o.exitCode = tally.exitStatus() == QProcess::NormalExit ? tally.exitCode() : -1;
        o.errors = QString::fromUtf8(tally.readAllStandardError());
        return o;
    }

    QString writeCrafted(const QString &name, const std::function<void(Savepoint &)> &change)
    {
        Savepoint s = m_checkpoint;
        change(s);
        const std::string bytes = encodeSavepoint(s);
        QFile f(m_dir.filePath(name));
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes.data(), qint64(bytes.size())) != qint64(bytes.size()))
            return {};
        return f.fileName();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        for (const auto &[name, text] : {std::pair{"job.toml", kConfig}, std::pair{"unbounded.toml", kUnboundedConfig}}) {
            QFile f(m_dir.filePath(QString::fromLatin1(name)));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(text);
        }
        const Outcome run = runTally({QStringLiteral("--config"), QStringLiteral("job.toml")}, 120000);
        QVERIFY2(run.finished && run.exitCode == 0, qPrintable(run.errors));
        std::vector<std::string> skipped;
        auto newest = latestCheckpoint(m_dir.filePath(QStringLiteral("checkpoints")).toStdString(), skipped);
        QVERIFY2(newest, "the run left no checkpoint");
        m_checkpoint = std::move(newest->savepoint);
        QCOMPARE(m_checkpoint.sourcePositions.size(), size_t(4));
        size_t records = 0;
        for (const auto &group : m_checkpoint.state.keyGroups)
            records += group.size();
        QVERIFY2(records > 0, "the checkpoint holds no window state to craft from");
    }

    void craftedFileIsRefused_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("expected"); // a part of the message
        QTest::newRow("huge generator positions") << QStringLiteral("positions.tsp") << QStringLiteral("positions add up to");
        QTest::newRow("negative position") << QStringLiteral("negative.tsp") << QStringLiteral("is negative");
        QTest::newRow("epoch 0") << QStringLiteral("epoch0.tsp") << QStringLiteral("epoch 0 is outside");
        QTest::newRow("epoch 2^64-1") << QStringLiteral("epochmax.tsp") << QStringLiteral("epoch 18446744073709551615 is outside");
        QTest::newRow("watermark INT64_MAX") << QStringLiteral("watermark.tsp") << QStringLiteral("watermark 9223372036854775807");
        QTest::newRow("partition time INT64_MIN") << QStringLiteral("eventtime.tsp") << QStringLiteral("newest event time");
        QTest::newRow("window start INT64_MAX") << QStringLiteral("namespace.tsp") << QStringLiteral("window start 9223372036854775807");
        QTest::newRow("key in the wrong key group") << QStringLiteral("keygroup.tsp") << QStringLiteral("the key belongs to key group");
        QTest::newRow("unknown state structure") << QStringLiteral("structure.tsp") << QStringLiteral("unknown state structure");
        QTest::newRow("pending row from the future") << QStringLiteral("pending.tsp") << QStringLiteral("is not before the savepoint's epoch");
        QTest::newRow("section longer than the file") << QStringLiteral("section.tsp") << QStringLiteral("truncated or malformed sections");
        QTest::newRow("/dev/zero") << QStringLiteral("/dev/zero") << QStringLiteral("not a regular file");
        QTest::newRow("a directory") << QStringLiteral("checkpoints") << QStringLiteral("not a regular file");
        QTest::newRow("not a savepoint") << QStringLiteral("job.toml") << QStringLiteral("not a Tally savepoint");
    }
    void craftedFileIsRefused()
    {
        QFETCH(QString, name);
        QFETCH(QString, expected);
        QString path = name.startsWith(QLatin1Char('/')) ? name : m_dir.filePath(name);
        const auto firstRecord = [](Savepoint &s) -> KeyedStateRecord & {
            for (auto &group : s.state.keyGroups)
                if (!group.empty())
                    return group.front();
            return s.state.keyGroups.front().emplace_back();
        };
        const QString tag = QString::fromLatin1(QTest::currentDataTag());
        if (tag == QLatin1String("huge generator positions"))
            path = writeCrafted(name, [](Savepoint &s) { s.sourcePositions.assign(s.sourcePositions.size(), int64_t(1) << 62); });
        else if (tag == QLatin1String("negative position"))
            path = writeCrafted(name, [](Savepoint &s) { s.sourcePositions[1] = -5; });
        else if (tag == QLatin1String("epoch 0"))
            path = writeCrafted(name, [](Savepoint &s) { s.epoch = 0; });
        else if (tag == QLatin1String("epoch 2^64-1"))
            path = writeCrafted(name, [](Savepoint &s) { s.epoch = UINT64_MAX; });
        else if (tag == QLatin1String("watermark INT64_MAX"))
            path = writeCrafted(name, [](Savepoint &s) { s.ingest.watermark = INT64_MAX; });
        else if (tag == QLatin1String("partition time INT64_MIN"))
            path = writeCrafted(name, [](Savepoint &s) { s.ingest.maxEventTimesMs.back() = INT64_MIN; });
        else if (tag == QLatin1String("window start INT64_MAX"))
            path = writeCrafted(name, [&](Savepoint &s) { firstRecord(s).ns = INT64_MAX; });
        else if (tag == QLatin1String("key in the wrong key group"))
            path = writeCrafted(name, [](Savepoint &s) {
                for (size_t g = 0; g + 1 < s.state.keyGroups.size(); ++g)
                    if (!s.state.keyGroups[g].empty()) {
                        s.state.keyGroups[g + 1].push_back(s.state.keyGroups[g].front());
                        return;
                    }
            });
        else if (tag == QLatin1String("unknown state structure"))
            path = writeCrafted(name, [&](Savepoint &s) { firstRecord(s).structure = 5; });
        else if (tag == QLatin1String("pending row from the future"))
            path = writeCrafted(name, [](Savepoint &s) {
                OutputRow row;
                row.epoch = s.epoch + 5;
                s.pendingRows.push_back(row);
            });
        else if (tag == QLatin1String("section longer than the file")) {
            // The fingerprint section's length (after magic, version, epoch, time) says 4 GiB; the
            // checksum is made valid again.
            std::string bytes = encodeSavepoint(m_checkpoint);
            const size_t lengthAt = 8 + 4 + 8 + 8;
            std::memset(bytes.data() + lengthAt, 0xff, 4);
            bytes.resize(bytes.size() - 4);
            sealChecksummed(bytes);
            QFile f(m_dir.filePath(name));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(bytes.data(), qint64(bytes.size()));
            path = f.fileName();
        }
        QVERIFY(!path.isEmpty());

        const Outcome o = runTally({QStringLiteral("--config"), QStringLiteral("job.toml"), QStringLiteral("--restore"), path});
        QVERIFY2(o.finished, qPrintable(QStringLiteral("still running after %1 ms: %2").arg(o.elapsedMs).arg(o.errors)));
        qInfo("refused in %lld ms: %s", o.elapsedMs, qPrintable(o.errors.trimmed()));
        QVERIFY2(o.exitCode != 0, qPrintable(o.errors));
        QVERIFY2(o.errors.contains(expected), qPrintable(o.errors));
    }

    // On an unbounded stream nothing limits the positions, so the skip towards 2^62 starts; it
    // still ends with --duration (and with SIGTERM) instead of running for hours.
    void hugePositionsOnAnUnboundedStreamStillStop()
    {
        const QString path = writeCrafted(QStringLiteral("unbounded.tsp"),
                                          [](Savepoint &s) { s.sourcePositions.assign(s.sourcePositions.size(), int64_t(1) << 62); });
        QVERIFY(!path.isEmpty());
        const Outcome o = runTally({QStringLiteral("--config"), QStringLiteral("unbounded.toml"), QStringLiteral("--duration"),
                                    QStringLiteral("1"), QStringLiteral("--restore"), path});
        QVERIFY2(o.finished, qPrintable(QStringLiteral("still running after %1 ms: %2").arg(o.elapsedMs).arg(o.errors)));
        qInfo("ended after %lld ms", o.elapsedMs);
    }

    // A crafted file in checkpoint.dir is refused like one given to --restore: the job falls back
    // to the checkpoint before it and says why. The unfinished write a killed process left
    // behind is removed at start.
    void craftedCheckpointFallsBack()
    {
        QTemporaryDir dir;
        QVERIFY(QFile::copy(m_dir.filePath(QStringLiteral("job.toml")), dir.filePath(QStringLiteral("job.toml"))));
        const QString checkpoints = dir.filePath(QStringLiteral("checkpoints"));
        QVERIFY(QDir().mkpath(checkpoints));
        Savepoint older = m_checkpoint;
        auto good = writeSavepointFile(checkpoints.toStdString(), "checkpoint", older);
        QVERIFY2(good, good.status().toString().c_str());
        Savepoint crafted = m_checkpoint;
        crafted.epoch = m_checkpoint.epoch + 1;
        crafted.ingest.watermark = INT64_MAX;
        auto bad = writeSavepointFile(checkpoints.toStdString(), "checkpoint", crafted);
        QVERIFY2(bad, bad.status().toString().c_str());
        const QString unfinished = checkpoints + QStringLiteral("/checkpoint-99-1.tsp.tmp");
        QFile tmp(unfinished);
        QVERIFY(tmp.open(QIODevice::WriteOnly));
        tmp.write("half a checkpoint");
        tmp.close();

        QProcess tally;
        tally.setWorkingDirectory(dir.path());
        tally.start(QStringLiteral(TALLY_BINARY),
                    {QStringLiteral("--headless"), QStringLiteral("--quiet"), QStringLiteral("--config"), QStringLiteral("job.toml"),
                     QStringLiteral("--db"), QStringLiteral("tally.db"), QStringLiteral("--audit-log"), QStringLiteral("audit.db")});
        QVERIFY(tally.waitForFinished(60000));
        const QString errors = QString::fromUtf8(tally.readAllStandardError());
        QVERIFY2(errors.contains(QStringLiteral("does not restore")) && errors.contains(QStringLiteral("watermark 9223372036854775807")),
                 qPrintable(errors));
        QVERIFY2(errors.contains(QStringLiteral("restored from checkpoint")), qPrintable(errors));
        QVERIFY2(errors.contains(QStringLiteral("removed 1 unfinished checkpoint file")), qPrintable(errors));
        QVERIFY(!QFile::exists(unfinished));
        QCOMPARE(tally.exitCode(), 0);
    }

    // The checkpoint the crafted files come from restores as it is, and the log says what was
    // restored: the file, its epoch, its records and how long it took.
    void unchangedCheckpointRestores()
    {
        const QString path = writeCrafted(QStringLiteral("unchanged.tsp"), [](Savepoint &) {});
        const Outcome o = runTally({QStringLiteral("--config"), QStringLiteral("job.toml"), QStringLiteral("--restore"), path}, 60000);
        QVERIFY2(o.finished && o.exitCode == 0, qPrintable(o.errors));
        const QRegularExpression restored(QStringLiteral("restored from %1 \\(epoch %2, %3 state records, \\d+ ms\\)")
                                              .arg(QRegularExpression::escape(path))
                                              .arg(m_checkpoint.epoch)
                                              .arg(m_checkpoint.state.recordCount()));
        QVERIFY2(restored.match(o.errors).hasMatch(), qPrintable(o.errors));
    }

private:
    QTemporaryDir m_dir;
    Savepoint m_checkpoint;
};

QTEST_GUILESS_MAIN(TestCraftedSavepoints)
#include "tst_crafted_savepoints.moc"
