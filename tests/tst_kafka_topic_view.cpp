// The Kafka page's topic and consumer-group view (GET /api/v1/kafka, the desktop's Kafka page),
// against the real broker of the kafka_broker CTest fixture: two real tally processes share a
// consumer group over a three-partition topic whose partition 1 lost its first records to
// kafka-delete-records. What each process says must equal what Kafka's own tools say: the log end
// and the group's committed offsets (the consumer-group tool's table), the members and their
// assignments (its --members --verbose table), leader, replicas and in-sync replicas (the topic
// tool), and the log start the deletion set. Each process marks one member as itself, and not
// the same one; once one process leaves, the other shows itself alone, owning every partition.
#include "support/kafka_test_support.h"
#include "support/process_signal.h"
#include "support/wait.h"
#include "support/web_client.h"

#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <csignal>
#include <set>

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

constexpr int kPartitions = 3;
constexpr int kEvents = 6000;
constexpr int kDeletedBefore = 100; // partition 1's log start offset after the deletion

struct Instance {
    QTemporaryDir dir;
    QProcess process;
    QUrl web;
    QByteArray token;

    QJsonObject view() const
    {
        return QJsonDocument::fromJson(httpGet(web.resolved(QUrl(QStringLiteral("/api/v1/kafka"))), 10000, token)).object();
    }
    QString errors() const { return loggedErrors(dir.path(), QStringLiteral("tally")); }
};

bool start(Instance &instance, const QString &topic, const QString &group)
{
    QFile f(instance.dir.filePath(QStringLiteral("job.toml")));
    if (!f.open(QIODevice::WriteOnly))
        return false;
    f.write(kafkaJobToml(topic, group));
    f.close();
    return startLogged(instance.process, QStringLiteral(TALLY_BINARY),
                       {QStringLiteral("--headless"), QStringLiteral("--quiet"), QStringLiteral("--config"),
                        QStringLiteral("job.toml"), QStringLiteral("--audit-log"), QStringLiteral("audit.db")},
                       instance.dir.path(), QStringLiteral("tally"));
}

std::vector<int> ints(const QJsonValue &array)
{
    std::vector<int> out;
    for (const QJsonValue &v : array.toArray())
        out.push_back(v.toInt());
    return out;
}

// Member id -> partitions, as a view names them.
std::map<QString, std::vector<int>> members(const QJsonObject &view)
{
    std::map<QString, std::vector<int>> out;
    for (const QJsonValue &m : view.value(QStringLiteral("members")).toArray())
        out[m[QStringLiteral("memberId")].toString()] = ints(m[QStringLiteral("partitions")]);
    return out;
}

// A view in which the group is stable with `memberCount` members that own every partition once,
// and the group has committed every record (the instances have consumed the whole topic).
bool settled(const QJsonObject &view, size_t memberCount)
{
    if (!view.value(QStringLiteral("kafka")).toBool() || !view.value(QStringLiteral("error")).isNull() ||
        view.value(QStringLiteral("groupState")).toString() != QLatin1String("Stable"))
        return false;
    const auto owned = members(view);
    std::multiset<int> partitions;
    for (const auto &[id, parts] : owned)
        partitions.insert(parts.begin(), parts.end());
    if (owned.size() != memberCount || partitions != std::multiset<int>{0, 1, 2})
        return false;
    for (const QJsonValue &p : view.value(QStringLiteral("partitions")).toArray())
        if (p[QStringLiteral("groupOffset")].isNull() || p[QStringLiteral("groupOffset")] != p[QStringLiteral("logEndOffset")])
            return false;
    return true;
}

// The member id a view marks as its own process's, or empty.
QString self(const QJsonObject &view)
{
    QString id;
    for (const QJsonValue &m : view.value(QStringLiteral("members")).toArray())
        if (m[QStringLiteral("self")].toBool())
            id = id.isEmpty() ? m[QStringLiteral("memberId")].toString() : QStringLiteral("(twice)");
    return id;
}

} // namespace

class TestKafkaTopicView : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(!brokerDir().isEmpty(), "TALLY_KAFKA_BROKER_DIR is not set: run through ctest (kafka_broker fixture)");
        QVERIFY2(!bootstrap().isEmpty(), "the broker's bootstrap file is missing");
    }

    void twoInstancesAsKafkasToolsSeeThem()
    {
        const QString topic = QStringLiteral("view-%1").arg(QCoreApplication::applicationPid());
        const QString group = QStringLiteral("tst-") + topic;
        QVERIFY(createTopic(topic, kPartitions));
        const QJsonObject produced = produceWith(QStringLiteral(TALLY_LOADGEN_PATH), topic,
                                                 LoadgenStream{.count = kEvents, .seed = 71, .lateFraction = 0});
        QCOMPARE(produced.value(QStringLiteral("acknowledged")).toInteger(), qint64(kEvents));
        QByteArray deleted;
        QVERIFY2(runQuietly(kafkaScript(), {QStringLiteral("records"), brokerDir(), QStringLiteral("delete"), topic,
                                            QStringLiteral("1"), QString::number(kDeletedBefore)},
                            &deleted),
                 deleted.constData());

        Instance a, b;
        const auto cleanup = qScopeGuard([&] {
            for (QProcess *p : {&a.process, &b.process})
                if (p->state() != QProcess::NotRunning) {
                    p->kill();
                    p->waitForFinished(10000);
                }
        });
        for (Instance *i : {&a, &b}) {
            QVERIFY(i->dir.isValid());
            QVERIFY(start(*i, topic, group));
        }
        for (Instance *i : {&a, &b}) {
            QByteArray startup;
            TALLY_WAIT_UNTIL(i->process.state() != QProcess::Running || [&] {
                QFile out(i->dir.filePath(QStringLiteral("tally.out")));
                startup = out.open(QIODevice::ReadOnly) ? out.readAll() : QByteArray();
                return !webConsoleToken(startup).isEmpty();
            }(), 30s, "the web console's startup line");
            QVERIFY2(i->process.state() == QProcess::Running, qPrintable(i->errors()));
            i->web = webConsoleUrl(startup);
            i->token = webConsoleToken(startup);
        }

        // Both see the same group: two members sharing the three partitions, every record committed.
        QJsonObject viewA, viewB;
        TALLY_WAIT_UNTIL(a.process.state() != QProcess::Running || b.process.state() != QProcess::Running ||
                             (settled(viewA = a.view(), 2) && settled(viewB = b.view(), 2) && members(viewA) == members(viewB)),
                         90s, "both instances to show the settled group");
        QVERIFY2(a.process.state() == QProcess::Running, qPrintable(a.errors()));
        QVERIFY2(b.process.state() == QProcess::Running, qPrintable(b.errors()));
        qInfo("A: %s", QJsonDocument(viewA).toJson(QJsonDocument::Compact).constData());

        // Each marks its own consumer, and they are different members.
        QVERIFY2(!self(viewA).isEmpty() && !self(viewB).isEmpty() && self(viewA) != self(viewB) &&
                     self(viewA) != QLatin1String("(twice)") && self(viewB) != QLatin1String("(twice)"),
                 qPrintable(self(viewA) + QLatin1Char(' ') + self(viewB)));
        QCOMPARE(viewA.value(QStringLiteral("topic")).toString(), topic);
        QCOMPARE(viewA.value(QStringLiteral("group")).toString(), group);

        // Each view against Kafka's tools, run once both views are settled (nothing moves now).
        QString table;
        const auto offsets = describeGroup(group, topic, &table);
        QCOMPARE(int(offsets.size()), kPartitions);
        QByteArray membersOut, topicOut;
        QVERIFY(runQuietly(kafkaScript(), {QStringLiteral("groups"), brokerDir(), QStringLiteral("members"), group}, &membersOut, 60000));
        QVERIFY(runQuietly(kafkaScript(), {QStringLiteral("topics"), brokerDir(), QStringLiteral("describe"), topic}, &topicOut));
        // Members and assignments from the tool's --members --verbose table, by its header:
        // CONSUMER-ID and (Kafka 4) CURRENT-ASSIGNMENT as "topic:0,2", or (older) ASSIGNMENT "topic(0,2)".
        std::map<QString, std::vector<int>> toolMembers;
        QStringList header;
        for (const QString &line : QString::fromUtf8(membersOut).split(QLatin1Char('\n'))) {
            const QStringList fields = line.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
            if (fields.contains(QLatin1String("CONSUMER-ID"))) {
                header = fields;
                continue;
            }
            const int idColumn = header.indexOf(QLatin1String("CONSUMER-ID"));
            int assignmentColumn = header.indexOf(QLatin1String("CURRENT-ASSIGNMENT"));
            if (assignmentColumn < 0)
                assignmentColumn = header.indexOf(QLatin1String("ASSIGNMENT"));
            if (idColumn < 0 || assignmentColumn < 0 || fields.size() != header.size())
                continue;
            static const QRegularExpression listed(QStringLiteral("^(.+)[:(]([\\d,]+)\\)?$"));
            std::vector<int> parts;
            const QRegularExpressionMatch m = listed.match(fields[assignmentColumn]);
            if (m.hasMatch() && m.captured(1) == topic)
                for (const QString &p : m.captured(2).split(QLatin1Char(','), Qt::SkipEmptyParts))
                    parts.push_back(p.toInt());
            std::sort(parts.begin(), parts.end());
            toolMembers[fields[idColumn]] = parts;
        }
        const QRegularExpression described(QStringLiteral("Partition: (\\d+)\\s+Leader: (-?\\d+)\\s+Replicas: ([\\d,]+)\\s+Isr: ([\\d,]*)"));
        const auto list = [](const QString &s) {
            std::vector<int> v;
            for (const QString &n : s.split(QLatin1Char(','), Qt::SkipEmptyParts))
                v.push_back(n.toInt());
            return v;
        };
        for (const QJsonObject &view : {viewA, viewB}) {
            // Offsets as the consumer-group tool has them; the log start as the deletion left it.
            const QJsonArray partitions = view.value(QStringLiteral("partitions")).toArray();
            QCOMPARE(partitions.size(), kPartitions);
            qint64 records = 0;
            for (const QJsonValue &p : partitions) {
                const int partition = p[QStringLiteral("partition")].toInt();
                const auto tool = offsets.find(partition);
                QVERIFY2(tool != offsets.end() && tool->second.current, qPrintable(table));
                QCOMPARE(p[QStringLiteral("logEndOffset")].toInteger(), tool->second.logEnd);
                QCOMPARE(p[QStringLiteral("groupOffset")].toInteger(), *tool->second.current);
                QCOMPARE(p[QStringLiteral("logStartOffset")].toInteger(), qint64(partition == 1 ? kDeletedBefore : 0));
                records += p[QStringLiteral("logEndOffset")].toInteger();
                // Its owner is the member assigned it.
                const auto assigned = members(view)[p[QStringLiteral("owner")].toString()];
                QVERIFY(std::count(assigned.begin(), assigned.end(), partition) == 1);
            }
            QCOMPARE(records, qint64(kEvents)); // the log ends count every record produced, deleted or not
            QVERIFY2(toolMembers == members(view), membersOut.constData());
            for (const QJsonValue &m : view.value(QStringLiteral("members")).toArray())
                QCOMPARE(m[QStringLiteral("clientId")].toString(), QStringLiteral("tally"));
            // Leader, replicas and ISR as the topic tool describes them.
            int rows = 0;
            for (auto it = described.globalMatch(QString::fromUtf8(topicOut)); it.hasNext(); ++rows) {
                const QRegularExpressionMatch m = it.next();
                const QJsonValue p = partitions.at(m.captured(1).toInt());
                QCOMPARE(p[QStringLiteral("leader")].toInt(), m.captured(2).toInt());
                QVERIFY(ints(p[QStringLiteral("replicas")]) == list(m.captured(3)));
                QVERIFY(ints(p[QStringLiteral("inSync")]) == list(m.captured(4)));
            }
            QVERIFY2(rows == kPartitions, topicOut.constData());
            QCOMPARE(view.value(QStringLiteral("topicPartitions")).toInt(), kPartitions);
            QVERIFY(!view.value(QStringLiteral("brokers")).toArray().isEmpty());
        }

        // One leaves: the other shows itself alone, owning every partition.
        signalProcess(b.process, SIGTERM);
        QVERIFY(b.process.waitForFinished(60000));
        QVERIFY2(b.process.exitStatus() == QProcess::NormalExit && b.process.exitCode() == 0, qPrintable(b.errors()));
        const QString selfA = self(viewA);
        TALLY_WAIT_UNTIL(a.process.state() != QProcess::Running || settled(viewA = a.view(), 1), 60s,
                         "the remaining instance to own every partition");
        QVERIFY2(a.process.state() == QProcess::Running, qPrintable(a.errors()));
        QCOMPARE(self(viewA), selfA); // a cooperative rebalance keeps the member
        QCOMPARE(members(viewA).begin()->first, selfA);
        signalProcess(a.process, SIGTERM);
        QVERIFY(a.process.waitForFinished(60000));
        QVERIFY2(a.process.exitStatus() == QProcess::NormalExit && a.process.exitCode() == 0, qPrintable(a.errors()));
    }
};

QTEST_GUILESS_MAIN(TestKafkaTopicView)
#include "tst_kafka_topic_view.moc"
