// Tests for the metrics registry and the time series store: concurrent updates against concurrent
// snapshots, histogram quantiles against a sorted-vector oracle, naming rules and ring buffers.
#include "metrics/metrics.h"
#include "metrics/time_series.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace tally;

namespace {

// The registry's definition of a quantile: nearest rank, computed the same way.
uint64_t oracleQuantile(const std::vector<uint64_t> &sorted, double q)
{
    const auto rank = std::max<uint64_t>(1, uint64_t(std::ceil(q * double(sorted.size()))));
    return sorted[rank - 1];
}

std::string describe(const Labels &labels)
{
    std::string s;
    for (const auto &[k, v] : labels)
        s += k + "=" + v + ",";
    return s;
}

} // namespace

class TestMetrics : public QObject {
    Q_OBJECT
private slots:
    void concurrentUpdatesWhileSnapshotting();
    void bucketLayout();
    void quantileAccuracy_data();
    void quantileAccuracy();
    void quantileEdgeCases();
    void histogramReset();
    void labelOrderIsNormalized();
    void invalidNamesAreRejected_data();
    void invalidNamesAreRejected();
    void invalidLabelsAreRejected_data();
    void invalidLabelsAreRejected();
    void sameNameAndLabelsReturnSameObject();
    void kindMismatchIsABug();
    void snapshotLookup();
    void ringKeepsNewestPoints();
    void counterRateSeries();
    void gaugeAndHistogramSeries();
    void timeSeriesConcurrentReaders();
};

void TestMetrics::concurrentUpdatesWhileSnapshotting()
{
    constexpr int kWriters = 4;
    constexpr uint64_t kPerWriter = 200000;
    MetricsRegistry registry;
    std::atomic<int> writersDone{0};
    std::atomic<bool> start{false};
    std::vector<Counter *> sharedSeen(kWriters);

    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            // Registration races with the other writers and with snapshots on purpose.
            Counter &shared = registry.counter("events_total", {{"stage", "source"}}, "Events seen");
            Counter &own = registry.counter("writer_events_total", {{"writer", std::to_string(w)}});
            Gauge &inFlight = registry.gauge("in_flight_records");
            Histogram &latency = registry.histogram("latency_us");
            sharedSeen[size_t(w)] = &shared;
            while (!start.load())
                std::this_thread::yield();
            for (uint64_t i = 0; i < kPerWriter; ++i) {
                shared.add();
                own.add(2);
                inFlight.add(1.0);
                latency.record(i % 5000);
            }
            writersDone.fetch_add(1);
        });
    }

    // The reader checks invariants on every snapshot and reports the first violation afterwards
    // (QtTest macros are only safe on the test thread).
    std::string violation;
    int snapshots = 0;
    std::thread reader([&] {
        double lastShared = 0;
        uint64_t lastCount = 0;
        start.store(true);
        while (violation.empty()) {
            const bool finalRound = writersDone.load() == kWriters;
            const MetricsSnapshot s = registry.snapshot(snapshots);
            ++snapshots;
            const double shared = s.value("events_total", {{"stage", "source"}});
            if (shared < lastShared)
                violation = "counter went backwards: " + std::to_string(shared) + " < " + std::to_string(lastShared);
            lastShared = shared;
            if (const MetricSample *h = s.find("latency_us")) {
                uint64_t sum = 0;
                for (uint64_t c : h->histogram.bucketCounts)
                    sum += c;
                if (sum != h->histogram.count)
                    violation = "histogram count " + std::to_string(h->histogram.count) + " != bucket sum " +
                                std::to_string(sum);
                if (h->histogram.count < lastCount)
                    violation = "histogram count went backwards";
                lastCount = h->histogram.count;
            }
            if (finalRound)
                break;
        }
    });
    for (auto &t : writers)
        t.join();
    reader.join();

    QVERIFY2(violation.empty(), violation.c_str());
    QVERIFY(snapshots > 1);
    for (Counter *c : sharedSeen)
        QCOMPARE(c, sharedSeen[0]);

    const MetricsSnapshot s = registry.snapshot(1);
    QCOMPARE(s.value("events_total", {{"stage", "source"}}), double(kWriters * kPerWriter));
    for (int w = 0; w < kWriters; ++w)
        QCOMPARE(s.value("writer_events_total", {{"writer", std::to_string(w)}}), double(2 * kPerWriter));
    QCOMPARE(s.value("in_flight_records"), double(kWriters * kPerWriter));
    const MetricSample *h = s.find("latency_us");
    QVERIFY(h);
    QCOMPARE(h->histogram.count, kWriters * kPerWriter);
    QCOMPARE(h->value, double(kWriters * kPerWriter));
    QCOMPARE(h->histogram.max, uint64_t(4999));
    const double perWriterSum = double(kPerWriter / 5000) * (4999.0 * 5000.0 / 2.0);
    QCOMPARE(h->histogram.sum, kWriters * perWriterSum);
    QCOMPARE(s.find("events_total", {{"stage", "source"}})->help, std::string("Events seen"));
}

void TestMetrics::bucketLayout()
{
    using H = HistogramSnapshot;
    QCOMPARE(H::bucketIndex(0), size_t(0));
    QCOMPARE(H::bucketIndex(63), size_t(63));
    QCOMPARE(H::bucketIndex((uint64_t(1) << 40) - 1), H::kBucketCount - 2);
    QCOMPARE(H::bucketIndex(uint64_t(1) << 40), H::kBucketCount - 1);
    QCOMPARE(H::bucketIndex(UINT64_MAX), H::kBucketCount - 1);
    QCOMPARE(H::bucketUpperBound(H::kBucketCount - 1), UINT64_MAX);

    for (size_t i = 0; i + 1 < H::kBucketCount; ++i) {
        const uint64_t lo = H::bucketLowerBound(i);
        const uint64_t hi = H::bucketUpperBound(i);
        QVERIFY2(lo <= hi, qPrintable(QStringLiteral("bucket %1").arg(i)));
        QCOMPARE(H::bucketIndex(lo), i);
        QCOMPARE(H::bucketIndex(hi), i);
        QCOMPARE(H::bucketLowerBound(i + 1), hi + 1);
        // The stated precision: a bucket is never wider than 1/32 of its lower bound.
        QVERIFY(lo == 0 || double(hi - lo) / double(lo) < 1.0 / 32);
    }

    std::mt19937_64 rng(7);
    for (int n = 0; n < 100000; ++n) {
        const uint64_t v = rng() >> (rng() % 64);
        const size_t i = H::bucketIndex(v);
        QVERIFY(H::bucketLowerBound(i) <= v && v <= H::bucketUpperBound(i));
    }
}

void TestMetrics::quantileAccuracy_data()
{
    QTest::addColumn<QString>("distribution");
    QTest::addColumn<int>("n");
    QTest::addColumn<quint64>("seed");
    for (const char *dist : {"uniform", "exponential", "pareto", "lognormal", "small_integers"}) {
        QTest::addRow("%s_1k", dist) << QString::fromLatin1(dist) << 1000 << quint64(1);
        QTest::addRow("%s_200k", dist) << QString::fromLatin1(dist) << 200000 << quint64(2);
    }
}

void TestMetrics::quantileAccuracy()
{
    QFETCH(QString, distribution);
    QFETCH(int, n);
    QFETCH(quint64, seed);

    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<uint64_t> uniform(0, 10'000'000);
    std::exponential_distribution<double> exponential(1.0 / 2000.0);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::lognormal_distribution<double> lognormal(8.0, 2.0);
    std::uniform_int_distribution<uint64_t> small(0, 40);
    const double maxValue = double((uint64_t(1) << 40) - 1);

    Histogram h;
    std::vector<uint64_t> values;
    values.reserve(size_t(n));
    for (int i = 0; i < n; ++i) {
        uint64_t v = 0;
        if (distribution == QLatin1String("uniform"))
            v = uniform(rng);
        else if (distribution == QLatin1String("exponential"))
            v = uint64_t(exponential(rng));
        else if (distribution == QLatin1String("pareto")) // alpha 1.1: infinite variance
            v = uint64_t(std::min(maxValue, 100.0 / std::pow(1.0 - unit(rng), 1.0 / 1.1)));
        else if (distribution == QLatin1String("lognormal"))
            v = uint64_t(std::min(maxValue, lognormal(rng)));
        else
            v = small(rng);
        values.push_back(v);
        h.record(v);
    }
    std::sort(values.begin(), values.end());

    const HistogramSnapshot s = h.snapshot();
    QCOMPARE(s.count, uint64_t(n));
    QCOMPARE(s.max, values.back());
    for (double q : {0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0}) {
        const double truth = double(oracleQuantile(values, q));
        const double estimate = s.quantile(q);
        QVERIFY2(estimate >= truth && estimate <= truth * (1.0 + 1.0 / 32),
                 qPrintable(QStringLiteral("q=%1 truth=%2 estimate=%3").arg(q).arg(truth).arg(estimate)));
    }
    QCOMPARE(s.quantile(1.0), double(values.back()));
}

void TestMetrics::quantileEdgeCases()
{
    Histogram h;
    QCOMPARE(h.snapshot().quantile(0.5), 0.0);
    QCOMPARE(h.snapshot().count, uint64_t(0));
    QVERIFY(h.snapshot().bucketCounts.empty());

    h.record(1234);
    const HistogramSnapshot one = h.snapshot();
    // A single value is its own every quantile, exactly, because max caps the bucket bound.
    QCOMPARE(one.quantile(0.0), 1234.0);
    QCOMPARE(one.quantile(0.5), 1234.0);
    QCOMPARE(one.quantile(1.0), 1234.0);
    QCOMPARE(one.quantile(-1.0), 1234.0);
    QCOMPARE(one.quantile(2.0), 1234.0);

    // Values beyond 2^40 land in the overflow bucket; the max keeps the estimate finite.
    h.record(uint64_t(1) << 50);
    QCOMPARE(h.snapshot().quantile(1.0), double(uint64_t(1) << 50));
}

void TestMetrics::histogramReset()
{
    Histogram h;
    for (uint64_t v = 0; v < 100; ++v)
        h.record(v);
    h.reset();
    const HistogramSnapshot s = h.snapshot();
    QCOMPARE(s.count, uint64_t(0));
    QCOMPARE(s.sum, 0.0);
    QCOMPARE(s.max, uint64_t(0));
    h.record(7);
    QCOMPARE(h.snapshot().quantile(0.5), 7.0);
}

void TestMetrics::labelOrderIsNormalized()
{
    MetricsRegistry registry;
    Counter &a = registry.counter("rows_written_total", {{"sink", "sqlite"}, {"aggregation", "likes_per_post"}});
    Counter &b = registry.counter("rows_written_total", {{"aggregation", "likes_per_post"}, {"sink", "sqlite"}});
    QCOMPARE(&a, &b);
    a.add(3);

    const MetricsSnapshot s = registry.snapshot(0);
    QCOMPARE(s.samples.size(), size_t(1));
    const Labels expected = {{"aggregation", "likes_per_post"}, {"sink", "sqlite"}};
    QCOMPARE(describe(s.samples[0].labels), describe(expected));
    QCOMPARE(s.value("rows_written_total", {{"sink", "sqlite"}, {"aggregation", "likes_per_post"}}), 3.0);
    QCOMPARE(s.value("rows_written_total", expected), 3.0);
}

void TestMetrics::invalidNamesAreRejected_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("valid");
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("leading digit") << "9lives_total" << false;
    QTest::newRow("dash") << "sink-latency_ms" << false;
    QTest::newRow("dot") << "sink.latency_ms" << false;
    QTest::newRow("space") << "sink latency_ms" << false;
    QTest::newRow("non-ascii") << QStringLiteral("lat\u00e9ncy_ms") << false;
    QTest::newRow("snake") << "events_ingested_total" << true;
    QTest::newRow("colon") << "job:events:rate5m" << true;
    QTest::newRow("leading colon") << ":recording_rule" << true;
    QTest::newRow("leading underscore") << "_internal_bytes" << true;
    QTest::newRow("digits") << "p99_9_latency_us" << true;
}

void TestMetrics::invalidNamesAreRejected()
{
    QFETCH(QString, name);
    QFETCH(bool, valid);
    const std::string n = name.toStdString();
    MetricsRegistry registry;
    QCOMPARE(MetricsRegistry::isValidMetricName(n), valid);
    if (valid) {
        registry.counter(n).add();
        QCOMPARE(registry.snapshot(0).value(n), 1.0);
    } else {
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, registry.counter(n));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, registry.gauge(n));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, registry.histogram(n));
        QVERIFY(registry.snapshot(0).samples.empty());
    }
}

void TestMetrics::invalidLabelsAreRejected_data()
{
    QTest::addColumn<QString>("first");
    QTest::addColumn<QString>("second");
    QTest::newRow("reserved prefix") << "__name__" << "partition";
    QTest::newRow("colon") << "task:id" << "partition";
    QTest::newRow("leading digit") << "0partition" << "task";
    QTest::newRow("empty") << "" << "task";
    QTest::newRow("duplicate") << "partition" << "partition";
}

void TestMetrics::invalidLabelsAreRejected()
{
    QFETCH(QString, first);
    QFETCH(QString, second);
    MetricsRegistry registry;
    const Labels labels = {{first.toStdString(), "0"}, {second.toStdString(), "1"}};
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, registry.gauge("consumer_lag_records", labels));
}

void TestMetrics::sameNameAndLabelsReturnSameObject()
{
    MetricsRegistry registry;
    Counter &c1 = registry.counter("dead_letters_total", {{"reason", "malformed"}}, "Records sent to the DLQ");
    Counter &c2 = registry.counter("dead_letters_total", {{"reason", "malformed"}});
    Counter &other = registry.counter("dead_letters_total", {{"reason", "oversize"}});
    QCOMPARE(&c1, &c2);
    QVERIFY(&c1 != &other);
    QCOMPARE(&registry.gauge("watermark_skew_ms"), &registry.gauge("watermark_skew_ms"));
    QCOMPARE(&registry.histogram("sink_write_latency_us"), &registry.histogram("sink_write_latency_us"));

    // References stay valid while many more metrics are registered.
    c1.add(5);
    for (int i = 0; i < 1000; ++i)
        registry.counter("filler_total", {{"i", std::to_string(i)}}).add();
    c1.add(1);
    const MetricsSnapshot s = registry.snapshot(0);
    QCOMPARE(s.value("dead_letters_total", {{"reason", "malformed"}}), 6.0);
    QCOMPARE(s.find("dead_letters_total", {{"reason", "malformed"}})->help, std::string("Records sent to the DLQ"));
    QCOMPARE(s.samples.size(), size_t(1004));
}

void TestMetrics::kindMismatchIsABug()
{
    MetricsRegistry registry;
    registry.counter("checkpoints_total");
    QVERIFY_THROWS_EXCEPTION(std::logic_error, registry.gauge("checkpoints_total"));
    QVERIFY_THROWS_EXCEPTION(std::logic_error, registry.histogram("checkpoints_total"));
    // One name is one Prometheus family with one type, whatever the labels.
    QVERIFY_THROWS_EXCEPTION(std::logic_error, registry.gauge("checkpoints_total", {{"state", "failed"}}));
    registry.counter("checkpoints_total", {{"state", "failed"}});
    QCOMPARE(registry.snapshot(0).samples.size(), size_t(2));
}

void TestMetrics::snapshotLookup()
{
    MetricsRegistry registry;
    registry.gauge("watermark_ms", {{"partition", "1"}}).set(200);
    registry.gauge("watermark_ms", {{"partition", "0"}}).set(100);
    registry.counter("alpha_total").add(2);
    registry.histogram("batch_size_records").record(64);

    const MetricsSnapshot s = registry.snapshot(1234);
    QCOMPARE(s.takenAtMs, int64_t(1234));
    QCOMPARE(s.samples.size(), size_t(4));
    // Sorted by (name, labels): one family's samples are adjacent.
    QCOMPARE(s.samples[0].name, std::string("alpha_total"));
    QCOMPARE(s.samples[1].name, std::string("batch_size_records"));
    QCOMPARE(s.samples[2].labels[0].second, std::string("0"));
    QCOMPARE(s.samples[3].labels[0].second, std::string("1"));

    QCOMPARE(s.find("alpha_total")->kind, MetricKind::Counter);
    QCOMPARE(s.find("batch_size_records")->kind, MetricKind::Histogram);
    QCOMPARE(s.find("batch_size_records")->histogram.quantile(0.5), 64.0);
    QCOMPARE(s.value("watermark_ms", {{"partition", "1"}}), 200.0);
    QCOMPARE(s.value("watermark_ms", {{"partition", "7"}}, -1), -1.0);
    QCOMPARE(s.value("watermark_ms", {}, -2), -2.0);
    QVERIFY(!s.find("missing_total"));
    QCOMPARE(s.value("missing_total"), 0.0);
}

void TestMetrics::ringKeepsNewestPoints()
{
    constexpr size_t kPoints = 5;
    TimeSeriesStore store(kPoints);
    QCOMPARE(store.pointsPerSeries(), kPoints);
    MetricsRegistry registry;
    Gauge &g = registry.gauge("queue_depth_batches");
    for (int i = 0; i < 12; ++i) {
        g.set(i * 10);
        store.append(registry.snapshot(1000 * i));
        const auto points = store.series("queue_depth_batches");
        QCOMPARE(points.size(), std::min<size_t>(size_t(i) + 1, kPoints));
        QCOMPARE(points.back(), (TimeSeriesPoint{1000 * i, i * 10.0}));
    }
    const std::vector<TimeSeriesPoint> expected = {
        {7000, 70}, {8000, 80}, {9000, 90}, {10000, 100}, {11000, 110}};
    QCOMPARE(store.series("queue_depth_batches"), expected);
    QVERIFY(store.series("unknown_metric").empty());
}

void TestMetrics::counterRateSeries()
{
    TimeSeriesStore store(100);
    MetricsRegistry registry;
    Counter &c = registry.counter("events_ingested_total", {{"source", "generator"}, {"partition", "0"}});
    // value at time: 0@0, 10@1000, 30@2000, 30@4000, 100@4500
    const std::vector<std::pair<int64_t, uint64_t>> steps = {{0, 0}, {1000, 10}, {2000, 20}, {4000, 0}, {4500, 70}};
    for (auto [t, add] : steps) {
        c.add(add);
        store.append(registry.snapshot(t));
    }
    const Labels labels = {{"source", "generator"}, {"partition", "0"}};
    const std::vector<TimeSeriesPoint> values = {{0, 0}, {1000, 10}, {2000, 30}, {4000, 30}, {4500, 100}};
    const std::vector<TimeSeriesPoint> rates = {{1000, 10}, {2000, 20}, {4000, 0}, {4500, 140}};
    QCOMPARE(store.series("events_ingested_total", labels), values);
    QCOMPARE(store.series("events_ingested_total:rate", labels), rates);

    // A counter that goes backwards (a restarted engine) counts from zero, as Prometheus' rate() does.
    MetricsSnapshot restarted;
    restarted.takenAtMs = 5500;
    restarted.samples.push_back({"events_ingested_total", labels, MetricKind::Counter, {}, 5, {}});
    store.append(restarted);
    QCOMPARE(store.series("events_ingested_total:rate", labels).back(), (TimeSeriesPoint{5500, 5}));

    // A repeated timestamp has no defined rate: the value is kept, no rate point is added.
    restarted.samples[0].value = 9;
    store.append(restarted);
    QCOMPARE(store.series("events_ingested_total", labels).size(), size_t(7));
    QCOMPARE(store.series("events_ingested_total:rate", labels).size(), size_t(5));
}

void TestMetrics::gaugeAndHistogramSeries()
{
    TimeSeriesStore store;
    MetricsRegistry registry;
    registry.gauge("watermark_skew_ms").set(-3.5);
    Histogram &h = registry.histogram("sink_write_latency_us", {{"sink", "sqlite"}});
    for (uint64_t v = 1; v <= 100; ++v)
        h.record(v * 10);
    store.append(registry.snapshot(1000));

    h.record(5000);
    store.append(registry.snapshot(2000));
    store.append(registry.snapshot(3000)); // nothing recorded in this interval
    for (int i = 0; i < 10; ++i)
        h.record(40);
    store.append(registry.snapshot(4000));

    const Labels sink = {{"sink", "sqlite"}};
    QCOMPARE(store.series("watermark_skew_ms").size(), size_t(4));
    QCOMPARE(store.series("watermark_skew_ms").front().value, -3.5);
    const auto p50 = store.series("sink_write_latency_us:p50", sink);
    const auto p99 = store.series("sink_write_latency_us:p99", sink);
    const auto max = store.series("sink_write_latency_us:max", sink);
    QCOMPARE(p50.size(), size_t(3));
    QCOMPARE(max.size(), size_t(3));
    // First interval: the whole histogram, 10..1000.
    QCOMPARE(p50[0].tMs, int64_t(1000));
    QVERIFY(p50[0].value >= 500 && p50[0].value <= 500 * (1 + 1.0 / 32));
    QVERIFY(p99[0].value >= 990 && p99[0].value <= 990 * (1 + 1.0 / 32));
    QCOMPARE(max[0].value, 1000.0);
    // Second interval: only the 5000, whatever came before.
    QCOMPARE(p50[1], (TimeSeriesPoint{2000, 5000}));
    QCOMPARE(max[1], (TimeSeriesPoint{2000, 5000}));
    // Fourth interval: only the 40s; the all-time max of 5000 does not leak into it.
    QCOMPARE(p50[2], (TimeSeriesPoint{4000, 40}));
    QCOMPARE(p99[2], (TimeSeriesPoint{4000, 40}));
    QCOMPARE(max[2], (TimeSeriesPoint{4000, 40}));

    const auto names = store.seriesNames();
    std::vector<std::string> flat;
    for (const auto &[name, labels] : names)
        flat.push_back(name + "{" + describe(labels) + "}");
    const std::vector<std::string> expected = {"sink_write_latency_us:max{sink=sqlite,}",
                                               "sink_write_latency_us:p50{sink=sqlite,}",
                                               "sink_write_latency_us:p99{sink=sqlite,}", "watermark_skew_ms{}"};
    QCOMPARE(flat, expected);
}

void TestMetrics::timeSeriesConcurrentReaders()
{
    TimeSeriesStore store(50);
    MetricsRegistry registry;
    Counter &c = registry.counter("ticks_total");
    std::atomic<bool> done{false};
    std::atomic<bool> bad{false};
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&] {
            while (!done.load()) {
                const auto points = store.series("ticks_total");
                if (points.size() > 50)
                    bad.store(true);
                for (size_t i = 1; i < points.size(); ++i) {
                    if (points[i].tMs <= points[i - 1].tMs || points[i].value < points[i - 1].value)
                        bad.store(true);
                }
                (void)store.seriesNames();
            }
        });
    }
    for (int i = 1; i <= 2000; ++i) {
        c.add();
        store.append(registry.snapshot(i));
    }
    done.store(true);
    for (auto &t : readers)
        t.join();
    QVERIFY(!bad.load());
    const auto points = store.series("ticks_total");
    QCOMPARE(points.size(), size_t(50));
    QCOMPARE(points.front(), (TimeSeriesPoint{1951, 1951}));
    QCOMPARE(points.back(), (TimeSeriesPoint{2000, 2000}));
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
