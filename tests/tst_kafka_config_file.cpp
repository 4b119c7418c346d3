// A Kafka job configured by its TOML file alone, against the real broker of the kafka_broker
// CTest fixture: `tally --headless --config job.toml` with [source] type = "kafka" and the broker,
// topic, group and dead-letter topic in [source.kafka] (no Kafka command-line flags) consumes a
// topic tally-loadgen filled with valid and malformed records, writes every aggregation to the
// SQLite file the configuration names, and publishes the malformed records to the dead-letter
// topic; the results equal the oracle of the produced stream. Its /metrics, in Kafka mode, passes
// promtool, and has every metric the shipped Grafana dashboard reads.
#include "config/job_config.h"
#include "support/kafka_test_support.h"
#include "support/web_client.h"
#include "support/oracle.h"
#include "support/sink_results.h"
#include "support/wait.h"
#include "support/process_signal.h"

#include <QtTest>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include <librdkafka/rdkafka.h>

#include <csignal>

using namespace tally;
using namespace tally::test;
using namespace std::chrono_literals;

namespace {

// %1 bootstrap, %2 topic, %3 group, %4 dead-letter topic. The test windows of the oracle tests;
// a lateness longer than any delay of the stream, so no event is dropped.
constexpr const char *kConfig = R"toml(
[source]
type = "kafka"

[source.kafka]
bootstrap = "%1"
topic = "%2"
group = "%3"
dead_letter_topic = "%4"

[watermark]
bound_ms = 1000
idle_timeout_ms = 0

[runtime]
parallelism = 2
batch_size = 500
allowed_lateness_ms = 60000

[aggregations.likes_per_post]
window_ms = 5000

[aggregations.trending_hourly]
window_ms = 20000
top_k = 5

[aggregations.likes_by_region]
windows_ms = [5000, 20000]

[aggregations.like_velocity]
size_ms = 15000
slide_ms = 5000
min_per_minute = 8.0
viral_per_minute = 40.0

[aggregations.spam_suspects]
size_ms = 5000
slide_ms = 1000
threshold = 8
min_likes = 4
baseline_factor = 3.0
baseline_bucket_ms = 5000
baseline_buckets = 3

[checkpoint]
enabled = true

[output]
type = "sqlite"
sqlite_path = "results.db"

[web]
port = 0
)toml";

// Messages in a topic: the sum of its partitions' high watermarks (nothing is ever deleted here),
// from the broker.
int64_t topicMessages(const std::string &topic, int partitions)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap().toStdString().c_str(), err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk)
        qFatal("consumer: %s", err);
    int64_t sum = 0;
    for (int p = 0; p < partitions && sum >= 0; ++p) {
        int64_t low = 0, high = 0;
        if (rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR)
            sum += high;
        else
            sum = -1;
    }
    rd_kafka_destroy(rk);
    return sum;
}

// The metric names the Grafana dashboard's queries (panels and template variables) read: every
// tally_* and process_* name in them.
QSet<QString> dashboardMetrics(const QJsonObject &dashboard)
{
    QStringList queries;
    for (const QJsonValue &v : dashboard[QStringLiteral("templating")][QStringLiteral("list")].toArray())
        queries.append(v[QStringLiteral("definition")].toString());
    for (const QJsonValue &p : dashboard[QStringLiteral("panels")].toArray())
        for (const QJsonValue &t : p[QStringLiteral("targets")].toArray())
            queries.append(t[QStringLiteral("expr")].toString());
    QSet<QString> names;
    static const QRegularExpression name(QStringLiteral(R"(\b(?:tally|process)_[a-z_]+)"));
    for (const QString &q : queries)
        for (const QRegularExpressionMatch &m : name.globalMatch(q))
            names.insert(m.captured());
    return names;
}

// The metric names of a Prometheus text exposition (histograms by their series: _bucket, _sum, _count).
QSet<QString> exportedMetrics(const QByteArray &exposition)
{
    QSet<QString> names;
    for (const QByteArray &line : exposition.split('\n'))
        if (!line.isEmpty() && !line.startsWith('#'))
            names.insert(QString::fromLatin1(line.left(line.indexOf(line.contains('{') ? '{' : ' '))));
    return names;
}

} // namespace

class TestKafkaConfigFile : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void kafkaJobFromTheConfigFileAlone();
};

void TestKafkaConfigFile::initTestCase()
{
    QVERIFY2(!brokerDir().isEmpty(), "TALLY_KAFKA_BROKER_DIR is not set: run through ctest (kafka_broker fixture)");
    QVERIFY2(!bootstrap().isEmpty(), "the broker's bootstrap file is missing");
}

void TestKafkaConfigFile::kafkaJobFromTheConfigFileAlone()
{
    const QString topic = QStringLiteral("config-file-%1").arg(QCoreApplication::applicationPid());
    const QString dlqTopic = topic + QStringLiteral("-rejected");
    const QString group = QStringLiteral("tst-") + topic;
    QVERIFY(createTopic(topic, 4));
    QVERIFY(createTopic(dlqTopic, 1));
    const LoadgenStream stream{.count = 20000, .seed = 41, .lateFraction = 0, .malformedFraction = 0.03};
    const QJsonObject report = produceWith(QStringLiteral(TALLY_LOADGEN_PATH), topic, stream);
    QVERIFY2(!report.isEmpty(), "tally-loadgen failed");
    QCOMPARE(report.value(QStringLiteral("acknowledged")).toInteger(), qint64(stream.count));
    uint64_t malformed = 0;
    const std::vector<Arrival> events = stream.validEvents(&malformed);
    QCOMPARE(qint64(malformed), report.value(QStringLiteral("malformed")).toInteger());
    QVERIFY(malformed > 300);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString configPath = dir.filePath(QStringLiteral("job.toml"));
    {
        QFile f(configPath);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QString::fromUtf8(kConfig).arg(bootstrap(), topic, group, dlqTopic).toUtf8());
    }
    const auto config = loadJobConfig(configPath.toStdString());
    QVERIFY2(config, config.status().toString().c_str());

    QProcess tally;
    const auto cleanup = qScopeGuard([&] {
        if (tally.state() != QProcess::NotRunning) {
            tally.kill();
            tally.waitForFinished(10000);
        }
    });
    QVERIFY(startLogged(tally, QStringLiteral(TALLY_BINARY),
                        {QStringLiteral("--headless"), QStringLiteral("--quiet"), QStringLiteral("--config"),
                         QStringLiteral("job.toml")},
                        dir.path(), QStringLiteral("tally")));
    // The job has consumed the topic once the group's committed offsets (Kafka's consumer-group
    // tool) reach the log end: it commits the positions of what the sink has stored.
    QString groupTable;
    const Wait consumed = waitUntil(
        [&] {
            if (tally.state() != QProcess::Running)
                return true; // fails below, with its log
            const auto partitions = describeGroup(group, topic, &groupTable);
            int64_t committed = 0;
            for (const auto &[partition, p] : partitions) {
                if (!p.current || *p.current != p.logEnd)
                    return false;
                committed += *p.current;
            }
            return partitions.size() == 4 && committed == stream.count;
        },
        30s, "the group's offsets at the log end");
    QVERIFY2(tally.state() == QProcess::Running, qPrintable(loggedErrors(dir.path(), QStringLiteral("tally"))));
    QVERIFY2(consumed, qPrintable(QString::fromStdString(consumed.message()) + QLatin1Char('\n') + groupTable));
    // The Kafka source's metrics (lag per partition, rebalances, broker round trips) pass promtool.
    QFile startup(dir.filePath(QStringLiteral("tally.out")));
    QVERIFY(startup.open(QIODevice::ReadOnly));
    const QUrl web = webConsoleUrl(startup.readAll());
    QVERIFY2(web.isValid(), "no web console line on standard output");
    const QByteArray metrics = httpGet(web.resolved(QUrl(QStringLiteral("/metrics"))));
    QVERIFY2(metrics.contains("tally_kafka_consumer_lag_records{"), metrics.constData());
    const QString problems = promtoolProblems(metrics);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));
    // The topic's metadata, read every 10 s: a healthy single broker leads every partition.
    QVERIFY2(metrics.contains("\ntally_kafka_partitions_without_leader 0\n") &&
                 metrics.contains("\ntally_kafka_partitions_under_replicated 0\n"),
             metrics.constData());
    // Every metric the shipped Grafana dashboard reads is one Tally exports (Kafka mode with
    // checkpoints has them all).
    QFile dashboardFile(QStringLiteral(TALLY_GRAFANA_DASHBOARD));
    QVERIFY(dashboardFile.open(QIODevice::ReadOnly));
    QJsonParseError parseError;
    const QJsonDocument dashboard = QJsonDocument::fromJson(dashboardFile.readAll(), &parseError);
    QVERIFY2(dashboard.isObject(), qPrintable(parseError.errorString()));
    const QSet<QString> read = dashboardMetrics(dashboard.object());
    QVERIFY2(read.size() > 30, qPrintable(QStringList(read.begin(), read.end()).join(QLatin1Char(' '))));
    const QSet<QString> missing = read - exportedMetrics(metrics);
    QVERIFY2(missing.isEmpty(), qPrintable(QStringLiteral("the dashboard reads metrics /metrics does not have: ") +
                                           QStringList(missing.begin(), missing.end()).join(QLatin1Char(' '))));
    // SIGTERM stops the source and drains: every window fires and reaches the database.
    signalProcess(tally, SIGTERM);
    QVERIFY(tally.waitForFinished(30000));
    const QString log = loggedErrors(dir.path(), QStringLiteral("tally"));
    QVERIFY2(tally.exitStatus() == QProcess::NormalExit && tally.exitCode() == 0, qPrintable(log));
    QVERIFY2(log.contains(QStringLiteral("kafka %1/%2").arg(bootstrap(), topic)), qPrintable(log));

    // The SQLite file the configuration names has every aggregation, equal to the oracle.
    const std::string db = dir.filePath(QStringLiteral("results.db")).toStdString();
    for (size_t a = 0; a < size_t(Aggregation::kCount); ++a) {
        const std::string name(aggregationName(static_cast<Aggregation>(a)));
        const int64_t rows = sqliteInteger(db, "SELECT count(*) FROM window_results WHERE aggregation = '" + name + "'");
        QVERIFY2(rows > 0, ("no rows of " + name).c_str());
        qInfo("%s: %lld rows", name.c_str(), static_cast<long long>(rows));
    }
    int64_t netLikes = 0;
    for (const Arrival &a : events)
        netLikes += a.event.action == Action::Like ? 1 : -1;
    QCOMPARE(sqliteInteger(db, "SELECT coalesce(sum(value), 0) FROM window_results"
                               " WHERE aggregation = 'likes_per_post'"),
             netLikes);
    QCOMPARE(sqliteInteger(db, "SELECT count(*) FROM late_events"), int64_t(0));
    const std::string diff = describeDifference(computeOracle(*config, events).table, readSqliteResults(db));
    QVERIFY2(diff.empty(), diff.c_str());

    // Every malformed record is a dead letter in the database and on the configured topic.
    QCOMPARE(sqliteInteger(db, "SELECT count(*) FROM dead_letters"), int64_t(malformed));
    QCOMPARE(topicMessages(dlqTopic.toStdString(), 1), int64_t(malformed));
}

QTEST_GUILESS_MAIN(TestKafkaConfigFile)
#include "tst_kafka_config_file.moc"
