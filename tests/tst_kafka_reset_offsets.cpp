// Offset resets of a consumer group (`tally reset-offsets`, engine/source/offset_reset.h) against
// the real broker of the kafka_broker CTest fixture, checked with Kafka's own consumer-group tool
// (kafka.sh groups): a topic of three partitions whose records carry known timestamps, a group
// with committed offsets. The dry run's new offsets for a time, the log start and the log end
// equal what Kafka's tool computes, and change nothing; --execute moves the group's offsets there,
// as Kafka's tool then describes them; a group with an active member is refused and keeps its
// offsets; a savepoint's positions that retention deleted are moved to the log start, with the
// records lost counted, and a restore from it is refused (checkPositionsRetained, the consoles'
// pre-flight check positions_retained).
#include "checkpoint/savepoint.h"
#include "models/action_checks.h"
#include "runtime/config_fingerprint.h"
#include "runtime/job_builder.h"
#include "source/kafka_source.h"
#include "source/offset_reset.h"
#include "support/kafka_test_support.h"

#include <QtTest>

#include <QDateTime>
#include <QTemporaryDir>

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <future>
#include <thread>

using namespace tally;
using namespace tally::test;

namespace {

constexpr int kPartitions = 3;
constexpr int kRecords = 100;
// Record i of partition p has timestamp t0 + i * (p + 1) seconds: partitions reach a time at
// different offsets.
int64_t recordTime(int64_t t0, int partition, int i) { return t0 + int64_t(i) * 1000 * (partition + 1); }

QString isoUtc(int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzzZ"));
}

// Runs `tally reset-offsets` with the arguments on the fixture's broker; its exit code (-1: it
// did not end), standard output and error.
struct Run {
    int exitCode = -1;
    QString out, err;
};
Run tallyResetOffsets(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(TALLY_BINARY), QStringList{QStringLiteral("reset-offsets")} + args);
    Run run;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished(5000);
        return run;
    }
    run.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    run.out = QString::fromUtf8(p.readAllStandardOutput());
    run.err = QString::fromUtf8(p.readAllStandardError());
    return run;
}

// The NEW column of the dry run's table, by partition.
std::map<int, int64_t> newOffsets(const QString &table)
{
    std::map<int, int64_t> offsets;
    bool inTable = false;
    for (const QString &line : table.split(QLatin1Char('\n'))) {
        const QStringList fields = line.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (fields.size() >= 5 && fields[0] == QLatin1String("PARTITION")) {
            inTable = true;
            continue;
        }
        bool ok = false;
        const int partition = fields.isEmpty() ? -1 : fields[0].toInt(&ok);
        if (inTable && ok && fields.size() >= 5)
            offsets[partition] = fields[4].toLongLong();
    }
    return offsets;
}

// Kafka's tool's dry run (kafka.sh groups reset-offsets ... --dry-run): NEW-OFFSET by partition.
std::map<int, int64_t> kafkaToolNewOffsets(const QString &group, const QString &topic, const QStringList &options)
{
    QByteArray out;
    std::map<int, int64_t> offsets;
    if (!runQuietly(kafkaScript(),
                    QStringList{QStringLiteral("groups"), brokerDir(), QStringLiteral("reset-offsets"), group, topic} + options +
                        QStringList{QStringLiteral("--dry-run")},
                    &out, 60000))
        return offsets;
    for (const QString &line : QString::fromUtf8(out).split(QLatin1Char('\n'))) {
        const QStringList fields = line.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (fields.size() == 4 && fields[0] == group && fields[1] == topic)
            offsets[fields[2].toInt()] = fields[3].toLongLong();
    }
    return offsets;
}

// The group's committed offsets as Kafka's tool describes them.
std::map<int, int64_t> committed(const QString &group, const QString &topic)
{
    std::map<int, int64_t> offsets;
    for (const auto &[partition, p] : describeGroup(group, topic))
        offsets[partition] = p.current.value_or(-1);
    return offsets;
}

QString text(const std::map<int, int64_t> &offsets)
{
    QStringList parts;
    for (const auto &[partition, offset] : offsets)
        parts << QStringLiteral("%1:%2").arg(partition).arg(offset);
    return parts.join(QLatin1Char(' '));
}

} // namespace

class TestKafkaResetOffsets : public QObject {
    Q_OBJECT

    QString m_topic, m_group;
    int64_t m_t0 = 0;
    const std::map<int, int64_t> m_committed{{0, 60}, {1, 70}, {2, 80}};

    QStringList target(const QString &to) const
    {
        return {to, QStringLiteral("--kafka"), bootstrap(), QStringLiteral("--topic"), m_topic, QStringLiteral("--group"), m_group};
    }

    KafkaSourceConfig config() const
    {
        KafkaSourceConfig c;
        c.bootstrapServers = bootstrap().toStdString();
        c.topic = m_topic.toStdString();
        c.groupId = m_group.toStdString();
        return c;
    }

    // Commits `offsets` for the group as a consumer that is assigned the partitions without
    // joining the group (Kafka accepts that while the group has no members).
    bool commitOffsets(const std::map<int, int64_t> &offsets)
    {
        char err[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", qPrintable(bootstrap()), err, sizeof err);
        rd_kafka_conf_set(conf, "group.id", qPrintable(m_group), err, sizeof err);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
        if (!rk)
            return false;
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(kPartitions);
        for (const auto &[partition, offset] : offsets)
            rd_kafka_topic_partition_list_add(list, qPrintable(m_topic), partition)->offset = offset;
        const rd_kafka_resp_err_t e = rd_kafka_commit(rk, list, 0);
        rd_kafka_topic_partition_list_destroy(list);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
            qWarning("commit: %s", rd_kafka_err2str(e));
        return e == RD_KAFKA_RESP_ERR_NO_ERROR;
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(!bootstrap().isEmpty(), "the kafka_broker fixture's broker is not running (run the test through ctest)");
        m_topic = QStringLiteral("reset-offsets-%1").arg(QCoreApplication::applicationPid());
        m_group = m_topic + QStringLiteral("-group");
        QVERIFY(createTopic(m_topic, kPartitions));
        // Two hours ago, on a whole second: every record is inside the topic's retention.
        m_t0 = (QDateTime::currentMSecsSinceEpoch() - 2 * 3600 * 1000) / 1000 * 1000;
        char err[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", qPrintable(bootstrap()), err, sizeof err);
        rd_kafka_t *producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
        QVERIFY2(producer, err);
        for (int p = 0; p < kPartitions; ++p)
            for (int i = 0; i < kRecords; ++i) {
                const QByteArray value = QByteArrayLiteral("record ") + QByteArray::number(i);
                const rd_kafka_resp_err_t e =
                    rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(qPrintable(m_topic)), RD_KAFKA_V_PARTITION(p),
                                      RD_KAFKA_V_VALUE(const_cast<char *>(value.constData()), static_cast<size_t>(value.size())),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(recordTime(m_t0, p, i)), RD_KAFKA_V_END);
                QCOMPARE(e, RD_KAFKA_RESP_ERR_NO_ERROR);
            }
        QCOMPARE(rd_kafka_flush(producer, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_destroy(producer);
        QVERIFY(commitOffsets(m_committed));
        QCOMPARE(committed(m_group, m_topic), m_committed);
    }

    // The first record at or after a time: 30.5 s after t0 that is record 31 of partition 0, 16
    // of partition 1 (2 s apart), 11 of partition 2 (3 s apart); after the last record, the log end.
    void dryRunByTimeAgreesWithKafkasTool_data()
    {
        QTest::addColumn<int64_t>("afterT0Ms");
        QTest::addColumn<QList<qint64>>("expected");
        QTest::newRow("30.5 s after the first record") << int64_t(30'500) << QList<qint64>{31, 16, 11};
        QTest::newRow("after the last record") << int64_t(400'000) << QList<qint64>{kRecords, kRecords, kRecords};
    }
    void dryRunByTimeAgreesWithKafkasTool()
    {
        QFETCH(int64_t, afterT0Ms);
        QFETCH(QList<qint64>, expected);
        const QString time = isoUtc(m_t0 + afterT0Ms);
        const Run run = tallyResetOffsets(target(time));
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        qInfo("%s", qPrintable(run.out));
        std::map<int, int64_t> want;
        for (int p = 0; p < kPartitions; ++p)
            want[p] = expected[p];
        QCOMPARE(text(newOffsets(run.out)), text(want));
        QCOMPARE(text(kafkaToolNewOffsets(m_group, m_topic, {QStringLiteral("--to-datetime"), time})), text(want));
        QVERIFY(run.out.contains(QLatin1String("Dry run: nothing changed")));
        QVERIFY2(run.out.contains(QStringLiteral("%1 records read again").arg(60 - expected[0])) ||
                     run.out.contains(QStringLiteral("%1 records skipped").arg(expected[0] - 60)),
                 qPrintable(run.out));
        QCOMPARE(text(committed(m_group, m_topic)), text(m_committed)); // a dry run changes nothing
    }

    // The log start and end, as Kafka's tool has them (partition 0's start moved by a deletion).
    void earliestAndLatestAgreeWithKafkasTool()
    {
        QVERIFY(runQuietly(kafkaScript(), {QStringLiteral("records"), brokerDir(), QStringLiteral("delete"), m_topic,
                                           QStringLiteral("0"), QStringLiteral("20")}));
        for (const char *to : {"earliest", "latest"}) {
            const Run run = tallyResetOffsets(target(QLatin1String(to)));
            QVERIFY2(run.exitCode == 0, qPrintable(run.err));
            const std::map<int, int64_t> ours = newOffsets(run.out);
            QCOMPARE(text(ours), text(kafkaToolNewOffsets(m_group, m_topic, {QStringLiteral("--to-") + QLatin1String(to)})));
            QCOMPARE(ours.at(0), std::strcmp(to, "earliest") == 0 ? 20 : kRecords);
        }
    }

    // A savepoint's positions: below the log start they move to it, with the deleted records
    // counted; past the log end they move to it; another partition count is refused.
    void savepointPositionsOutsideTheLog()
    {
        QVERIFY(runQuietly(kafkaScript(), {QStringLiteral("records"), brokerDir(), QStringLiteral("delete"), m_topic,
                                           QStringLiteral("0"), QStringLiteral("20")})); // deleting again changes nothing
        QTemporaryDir dir;
        Savepoint sp;
        sp.epoch = 7;
        sp.sourcePositions = {5, 50, 120};
        Result<std::string> file = writeSavepointFile(dir.path().toStdString(), "savepoint", sp);
        QVERIFY2(file, file.status().toString().c_str());
        const Run run = tallyResetOffsets(target(QString::fromStdString(*file)));
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        qInfo("%s", qPrintable(run.out));
        QCOMPARE(text(newOffsets(run.out)), QStringLiteral("0:20 1:50 2:100"));
        QVERIFY2(run.out.contains(QLatin1String("asked for 5, but retention deleted the 15 records before the log start")), qPrintable(run.out));
        QVERIFY2(run.out.contains(QLatin1String("asked for 120, past the log end")), qPrintable(run.out));

        // A restore from it is refused before the running job stops, with the records gone.
        JobConfig job;
        job.source.type = SourceConfig::Type::Kafka;
        job.source.kafka = config();
        sp.fingerprint = configFingerprint(job);
        Result<std::string> fitting = writeSavepointFile(dir.path().toStdString(), "fitting", sp);
        QVERIFY2(fitting, fitting.status().toString().c_str());
        const Status restore = checkPositionsRetained(job.source.kafka, *fitting, sp.sourcePositions);
        QVERIFY(!restore.isOk());
        QVERIFY2(restore.message().find("partition 0 resumes at offset 5, its log now starts at 20: 15 records gone") != std::string::npos &&
                     restore.message().find("partition 1") == std::string::npos,
                 restore.message().c_str());
        // The consoles' Restore runs it as its pre-flight check positions_retained.
        ActionContext preflight{};
        preflight.action = OperatorAction::Restore;
        preflight.config = job;
        preflight.restoreFrom = *fitting;
        preflight.memoryLimitBytes = 8e9;
        preflight.config.checkpoint.savepointDir = dir.path().toStdString();
        std::vector<CheckResult> checks = runPreflight(preflight);
        QVERIFY(!preflightPassed(checks));
        QVERIFY2(describeChecks(checks).find("positions_retained failed: ") != std::string::npos &&
                     describeChecks(checks).find("15 records gone") != std::string::npos,
                 describeChecks(checks).c_str());
        sp.sourcePositions = {20, 0, 100};
        Result<std::string> retained = writeSavepointFile(dir.path().toStdString(), "retained", sp);
        QVERIFY2(retained, retained.status().toString().c_str());
        QVERIFY2(checkPositionsRetained(job.source.kafka, *retained, sp.sourcePositions).isOk(), "retained positions refused");
        preflight.restoreFrom = *retained;
        checks = runPreflight(preflight);
        QVERIFY2(preflightPassed(checks), describeChecks(checks).c_str());
        // A broker that does not answer is no pass.
        job.source.kafka.bootstrapServers = "127.0.0.1:1";
        const Status unknown = checkPositionsRetained(job.source.kafka, *retained, sp.sourcePositions);
        QVERIFY2(!unknown.isOk() && unknown.message().find("cannot check that topic") != std::string::npos, unknown.toString().c_str());
        preflight.config.source.kafka.bootstrapServers = "127.0.0.1:1";
        checks = runPreflight(preflight);
        QVERIFY2(describeChecks(checks).find("positions_retained unknown: cannot check that topic") != std::string::npos &&
                     !preflightPassed(checks),
                 describeChecks(checks).c_str());

        // A partition without a position (never read: -1), and one the topic gained since the
        // savepoint (it holds two positions of three): left as they are, and nothing of them
        // counts as deleted.
        const OffsetResetTarget partial{OffsetResetTarget::Kind::Positions, 0, {-1, 40}, "a savepoint of two partitions"};
        Result<OffsetResetPlan> plan = planOffsetReset(config(), partial);
        QVERIFY2(plan, plan.status().toString().c_str());
        qInfo("%s", plan->describe().c_str());
        QCOMPARE(plan->partitions.at(0).target, int64_t(-1));
        QCOMPARE(plan->partitions.at(1).target, int64_t(40));
        QCOMPARE(plan->partitions.at(2).target, int64_t(-1));
        QVERIFY(plan->describe().find("no position in a savepoint of two partitions: unchanged") != std::string::npos);
        Result<std::vector<DeletedPositions>> none = positionsDeletedByRetention(config(), partial.positions);
        QVERIFY2(none && none->empty(), none ? "a partition counted as deleted" : none.status().toString().c_str());

        const OffsetResetTarget four{OffsetResetTarget::Kind::Positions, 0, {1, 2, 3, 4}, "a savepoint of four partitions"};
        Result<OffsetResetPlan> refused = planOffsetReset(config(), four);
        QVERIFY(!refused);
        QVERIFY2(refused.status().message().find("positions of 4 partitions; topic " + m_topic.toStdString() + " has 3") != std::string::npos,
                 refused.status().message().c_str());
    }

    // While a consumer is a member of the group, --execute is refused and the offsets stay.
    void refusedWhileTheGroupHasAMember()
    {
        QVERIFY(commitOffsets(m_committed)); // as they were, whatever ran before
        char err[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", qPrintable(bootstrap()), err, sizeof err);
        rd_kafka_conf_set(conf, "group.id", qPrintable(m_group), err, sizeof err);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
        rd_kafka_t *member = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
        QVERIFY2(member, err);
        rd_kafka_poll_set_consumer(member);
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(topics, qPrintable(m_topic), RD_KAFKA_PARTITION_UA);
        QCOMPARE(rd_kafka_subscribe(member, topics), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_topic_partition_list_destroy(topics);
        // The member polls on a thread of its own (it must, to stay in the group) and says when
        // the group assigned it partitions.
        std::atomic<bool> stop{false};
        std::promise<void> assignment;
        std::thread polling([&] {
            bool told = false;
            while (!stop) {
                if (rd_kafka_message_t *m = rd_kafka_consumer_poll(member, 100))
                    rd_kafka_message_destroy(m);
                rd_kafka_topic_partition_list_t *now = nullptr;
                if (rd_kafka_assignment(member, &now) == RD_KAFKA_RESP_ERR_NO_ERROR && now) {
                    if (now->cnt > 0 && !told) {
                        assignment.set_value();
                        told = true;
                    }
                    rd_kafka_topic_partition_list_destroy(now);
                }
            }
        });
        const bool assigned = assignment.get_future().wait_for(std::chrono::seconds(60)) == std::future_status::ready;
        const Run dryRun = tallyResetOffsets(target(QStringLiteral("earliest")));
        const Run execute = tallyResetOffsets(target(QStringLiteral("earliest")) << QStringLiteral("--execute"));
        const std::map<int, int64_t> after = committed(m_group, m_topic);
        stop = true;
        polling.join();
        rd_kafka_consumer_close(member);
        rd_kafka_destroy(member);
        QVERIFY2(assigned, "the member was not assigned partitions within 60 s");
        QVERIFY2(dryRun.exitCode == 0 && dryRun.out.contains(QLatin1String("--execute would be refused: the group")), qPrintable(dryRun.out));
        QVERIFY2(execute.exitCode == 1, qPrintable(execute.out + execute.err));
        QVERIFY2(execute.err.contains(QLatin1String("offset reset refused: the group ")) && execute.err.contains(QLatin1String("has 1 member")),
                 qPrintable(execute.err));
        QCOMPARE(text(after), text(m_committed));
    }

    // Arguments out of place are refused before anything is asked of the broker (and before a
    // job could start); a time without a zone is UTC; a number too small for milliseconds is
    // refused as likely seconds.
    void argumentsOutOfPlaceAreRefused()
    {
        const Run optionFirst = tallyResetOffsets({QStringLiteral("--execute"), QStringLiteral("latest")});
        QVERIFY2(optionFirst.exitCode == 2 && optionFirst.err.contains(QLatin1String("needs its TARGET first")), qPrintable(optionFirst.err));
        QProcess p;
        p.start(QStringLiteral(TALLY_BINARY), {QStringLiteral("--kafka"), bootstrap(), QStringLiteral("reset-offsets"), QStringLiteral("earliest")});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY2(QString::fromUtf8(p.readAllStandardError()).contains(QLatin1String("unexpected argument reset-offsets")), "no reason given");
        p.start(QStringLiteral(TALLY_BINARY), {QStringLiteral("--execute"), QStringLiteral("--kafka"), bootstrap()});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 2);
        QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains(QLatin1String("it needs --reset-offsets TARGET")));
        const Run seconds = tallyResetOffsets(target(QStringLiteral("1700000000")));
        QVERIFY2(seconds.exitCode == 2 && seconds.err.contains(QLatin1String("(seconds?)")), qPrintable(seconds.err));

        const QString zoned = isoUtc(m_t0 + 30'500);
        const Run utc = tallyResetOffsets(target(zoned.left(zoned.size() - 1))); // without the "Z"
        QVERIFY2(utc.exitCode == 0, qPrintable(utc.err));
        QCOMPARE(text(newOffsets(utc.out)), text(newOffsets(tallyResetOffsets(target(zoned)).out)));
        const Run millis = tallyResetOffsets(target(QString::number(m_t0 + 30'500)));
        QCOMPARE(text(newOffsets(millis.out)), text(newOffsets(utc.out)));
    }

    // --execute moves the committed offsets to the dry run's new ones (Kafka's tool describes them).
    void executeMovesTheGroupsOffsets()
    {
        const QString time = isoUtc(m_t0 + 30'500);
        const Run run = tallyResetOffsets(target(time) << QStringLiteral("--execute"));
        QVERIFY2(run.exitCode == 0, qPrintable(run.out + run.err));
        QVERIFY(run.out.contains(QLatin1String("Applied")));
        QCOMPARE(text(committed(m_group, m_topic)), QStringLiteral("0:31 1:16 2:11"));
        // Twice is the same: nothing to read again or skip.
        const Run again = tallyResetOffsets(target(time));
        QVERIFY2(again.out.contains(QLatin1String("In all: 0 records read again, 0 skipped")), qPrintable(again.out));
    }

    void cleanupTestCase() { runQuietly(kafkaScript(), {QStringLiteral("topics"), brokerDir(), QStringLiteral("delete"), m_topic}); }
};

QTEST_GUILESS_MAIN(TestKafkaResetOffsets)
#include "tst_kafka_reset_offsets.moc"
