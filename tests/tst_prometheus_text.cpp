// The Prometheus text exposition of a metrics snapshot: base-unit names, escaping, one HELP and
// TYPE per family, and exact cumulative histogram buckets (checked against the recorded values).
#include "metrics/metrics.h"
#include "metrics/prometheus_text.h"

#include <QTest>

#include <sstream>

using namespace tally;

class TestPrometheusText : public QObject {
    Q_OBJECT

private slots:
    void names_data();
    void names();
    void countersAndGauges();
    void histogramBucketsAreExact();
};

void TestPrometheusText::names_data()
{
    QTest::addColumn<QString>("registered");
    QTest::addColumn<QString>("exported");
    QTest::addColumn<double>("scale");
    QTest::newRow("ms") << "tally_watermark_skew_ms" << "tally_watermark_skew_seconds" << 1e-3;
    QTest::newRow("us") << "tally_sink_write_latency_us" << "tally_sink_write_latency_seconds" << 1e-6;
    QTest::newRow("ns counter") << "tally_operator_busy_nanoseconds_total" << "tally_operator_busy_seconds_total" << 1e-9;
    QTest::newRow("inside") << "tally_kafka_broker_rtt_avg_us" << "tally_kafka_broker_rtt_avg_seconds" << 1e-6;
    QTest::newRow("ms then total") << "x_ms_total" << "x_seconds_total" << 1e-3;
    QTest::newRow("unchanged") << "tally_sink_rows_total" << "tally_sink_rows_total" << 1.0;
    QTest::newRow("seconds") << "tally_kafka_consumer_lag_seconds" << "tally_kafka_consumer_lag_seconds" << 1.0;
    QTest::newRow("first word is not a unit") << "ms_count" << "ms_count" << 1.0;
    QTest::newRow("word, not a substring") << "tally_items_msg" << "tally_items_msg" << 1.0;
}

void TestPrometheusText::names()
{
    QFETCH(QString, registered);
    QFETCH(QString, exported);
    QFETCH(double, scale);
    const PrometheusName n = prometheusName(registered.toStdString());
    QCOMPARE(QString::fromStdString(n.name), exported);
    QCOMPARE(n.scale, scale);
}

void TestPrometheusText::countersAndGauges()
{
    MetricsRegistry registry;
    registry.counter("tally_events_total", {}, "Events decoded").add(42);
    registry.gauge("tally_watermark_skew_ms", {}, "Skew").set(1500);
    registry.gauge("tally_partition_idle", {{"partition", "1"}}, "Idle").set(1);
    registry.gauge("tally_partition_idle", {{"partition", "0"}}).set(0);
    registry.gauge("tally_odd", {{"path", "a\"b\\c\nd"}}, "Line one\nline two \\ end").set(-2.5);
    const std::string text = prometheusText(registry.snapshot(0));
    const QString t = QString::fromStdString(text);
    QVERIFY2(t.contains(QLatin1String("# HELP tally_events_total Events decoded\n# TYPE tally_events_total counter\n"
                                      "tally_events_total 42\n")),
             text.c_str());
    QVERIFY2(t.contains(QLatin1String("# TYPE tally_watermark_skew_seconds gauge\ntally_watermark_skew_seconds 1.5\n")), text.c_str());
    // One HELP/TYPE for the family, samples adjacent.
    QCOMPARE(t.count(QLatin1String("# TYPE tally_partition_idle gauge")), 1);
    QVERIFY(t.contains(QLatin1String("tally_partition_idle{partition=\"0\"} 0\ntally_partition_idle{partition=\"1\"} 1\n")));
    QVERIFY2(t.contains(QLatin1String("# HELP tally_odd Line one\\nline two \\\\ end\n")), text.c_str());
    QVERIFY2(t.contains(QLatin1String("tally_odd{path=\"a\\\"b\\\\c\\nd\"} -2.5\n")), text.c_str());
    QVERIFY(text.ends_with('\n'));
}

void TestPrometheusText::histogramBucketsAreExact()
{
    MetricsRegistry registry;
    Histogram &h = registry.histogram("tally_sink_write_latency_us", {{"sink", "sqlite"}}, "Write latency");
    const std::vector<uint64_t> values{0, 1, 2, 3, 7, 8, 63, 64, 100, 127, 128, 1000, 65535, 65536, 1u << 20, 5000000};
    for (uint64_t v : values)
        h.record(v);
    const std::string text = prometheusText(registry.snapshot(0));
    std::istringstream in(text);
    std::string line;
    int buckets = 0;
    double previous = 0;
    while (std::getline(in, line)) {
        if (!line.starts_with("tally_sink_write_latency_seconds_bucket{"))
            continue;
        const size_t le = line.find("le=\"") + 4;
        const std::string bound = line.substr(le, line.find('"', le) - le);
        const double count = std::stod(line.substr(line.rfind(' ') + 1));
        QVERIFY(count >= previous);
        previous = count;
        ++buckets;
        if (bound == "+Inf") {
            QCOMPARE(count, double(values.size()));
            continue;
        }
        // Exactly the values <= the bound (in µs, exported in seconds).
        const double boundUs = std::stod(bound) * 1e6;
        const auto expected = std::count_if(values.begin(), values.end(), [&](uint64_t v) { return double(v) <= boundUs + 1e-6; });
        QVERIFY2(count == double(expected), line.c_str());
        QVERIFY(line.find("sink=\"sqlite\",le=") != std::string::npos);
    }
    QCOMPARE(buckets, int(HistogramSnapshot::kMaxValueBits) + 2);
    // Bounds read as written: 15 us is 1.5e-05 s, not the product's 1.4999999999999999e-05.
    QVERIFY2(text.find("le=\"1.5e-05\"") != std::string::npos, text.c_str());
    QVERIFY2(text.find("le=\"0.000511\"") != std::string::npos, text.c_str());
    QVERIFY2(text.find("99999") == std::string::npos, text.c_str());
    double sum = 0;
    for (uint64_t v : values)
        sum += double(v);
    QVERIFY(text.find("tally_sink_write_latency_seconds_count{sink=\"sqlite\"} 16\n") != std::string::npos);
    const size_t at = text.find("tally_sink_write_latency_seconds_sum{sink=\"sqlite\"} ");
    QVERIFY(at != std::string::npos);
    const double exportedSum = std::stod(text.substr(text.find(' ', at) + 1));
    QVERIFY(std::abs(exportedSum - sum * 1e-6) < 1e-9);
    QVERIFY(text.find("# TYPE tally_sink_write_latency_seconds histogram\n") != std::string::npos);
}

QTEST_APPLESS_MAIN(TestPrometheusText)
#include "tst_prometheus_text.moc"
