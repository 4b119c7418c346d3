// Oracle tests: the engine's final window results, late counts and dropped counts equal a brute-
// force recomputation from the same arrivals, for many seeded out-of-order streams and at several
// parallelisms.
#include "metrics/metrics.h"
#include "runtime/job.h"
#include "event/codec.h"
#include "source/generator.h"
#include "support/oracle.h"
#include "time/clock.h"
#include "window/aggregations.h"

#include <QtTest>

#include <set>

using namespace tally;
using namespace tally::test;

namespace {

// Processing time that advances 1 ms per reading: deterministic idleness without sleeping.
class TickClock final : public Clock {
public:
    int64_t nowMs() const override { return m_now.fetch_add(1, std::memory_order_relaxed); }

private:
    mutable std::atomic<int64_t> m_now{0};
};

JobConfig baseConfig(uint64_t seed)
{
    JobConfig c;
    GeneratorConfig &g = c.source.generator;
    g = GeneratorConfig{}; // a reproducible replay, as fast as the job consumes (the job default is live)
    g.seed = seed;
    g.totalEvents = 30000;
    g.partitions = 4;
    g.eventTimeRate = 400; // 75 s of event time
    g.posts = 300;
    g.users = 400;
    g.spamUserFraction = 0.01;
    g.spamShare = 0.15;
    g.unlikeFraction = 0.1;
    g.burstEveryMs = 20000;
    g.burstDurationMs = 5000;
    g.meanDelayMs = 300;
    g.lateFraction = 0.03;
    g.lateDelayMs = 15000;
    useTestWindows(c);
    c.runtime.parallelism = 2;
    c.runtime.batchSize = 256;
    return c;
}

struct Run {
    ResultTable table;
    std::vector<Arrival> arrivals;
    std::vector<LateEvent> lateEvents;
    std::vector<DeadLetter> deadLetters;
    MetricsSnapshot metrics;
    bool watermarkMatchedBruteForce = true;
};

Run runJob(const JobConfig &config, const Clock &clock, bool checkWatermark)
{
    Run run;
    MetricsRegistry metrics;
    auto sink = std::make_unique<MemorySink>();
    MemorySink *memory = sink.get();
    Job job(config, std::make_unique<GeneratorSource>(config.source.generator), std::move(sink), metrics, clock);
    BruteForceWatermark bruteForce(config.source.generator.partitions, config.watermark.boundMs);
    job.setArrivalObserver([&](int partition, const std::vector<LikeEvent> &events, int64_t watermark) {
        if (checkWatermark && watermark != bruteForce.watermark())
            run.watermarkMatchedBruteForce = false;
        for (const LikeEvent &e : events) {
            run.arrivals.push_back({e, watermark});
            bruteForce.observe(partition, e.eventTimeMs);
        }
    });
    const Status started = job.start();
    if (!started.isOk())
        qFatal("job did not start: %s", started.toString().c_str());
    const Status finished = job.waitFinished();
    if (!finished.isOk())
        qFatal("job failed: %s", finished.toString().c_str());
    run.table = memory->table();
    run.lateEvents = memory->lateEvents();
    run.deadLetters = memory->deadLetters();
    run.metrics = metrics.snapshot(0);
    return run;
}

} // namespace

Q_DECLARE_METATYPE(tally::JobConfig)

class TestWindowsOracle : public QObject {
    Q_OBJECT

private slots:
    void matchesOracle_data();
    void matchesOracle();
    void sameResultsAtAnyParallelism_data();
    void sameResultsAtAnyParallelism();
    void decodesAndDeadLettersSerializedInput();
    void viralMeansAccelerating();
};

void TestWindowsOracle::matchesOracle_data()
{
    QTest::addColumn<JobConfig>("config");
    QTest::addColumn<bool>("tickClock");
    for (uint64_t seed = 1; seed <= 24; ++seed)
        QTest::addRow("seed %llu", static_cast<unsigned long long>(seed)) << baseConfig(seed) << false;
    {
        JobConfig c = baseConfig(10);
        c.source.generator.partitions = 8;
        c.runtime.batchSize = 17; // many small batches: the watermark moves between almost every event
        c.runtime.parallelism = 3;
        QTest::newRow("small batches, 8 partitions, P=3") << c << false;
    }
    {
        JobConfig c = baseConfig(11);
        c.source.generator.eventTimeRate = 20000; // 20 events per millisecond: many equal timestamps
        c.source.generator.totalEvents = 60000;
        c.source.generator.meanDelayMs = 5;
        c.source.generator.lateDelayMs = 4000;
        c.watermark.boundMs = 2;
        c.runtime.allowedLatenessMs = 500;
        c.likesPerPost.windowMs = 1000;
        c.likesByRegion.windowsMs = {500, 1000};
        c.spamSuspects.baselineBucketMs = 1000;
        QTest::newRow("equal timestamps") << c << false;
    }
    {
        JobConfig c = baseConfig(12);
        c.runtime.allowedLatenessMs = 0;
        QTest::newRow("no allowed lateness") << c << false;
    }
    {
        JobConfig c = baseConfig(13);
        c.runtime.allowedLatenessMs = 100000;
        QTest::newRow("everything within lateness") << c << false;
    }
    {
        JobConfig c = baseConfig(14);
        c.source.generator.lateFraction = 0;
        c.source.generator.meanDelayMs = 0;
        QTest::newRow("in order") << c << false;
    }
    {
        JobConfig c = baseConfig(15);
        c.watermark.strategy = WatermarkConfig::Strategy::Adaptive;
        c.watermark.adaptiveQuantile = 0.9;
        c.watermark.adaptiveMinMs = 10;
        c.watermark.adaptiveMaxMs = 2000;
        QTest::newRow("adaptive watermark") << c << false;
    }
    {
        JobConfig c = baseConfig(16);
        c.source.generator.silentPartitions = 1;
        c.watermark.idleTimeoutMs = 50; // in clock ticks
        QTest::newRow("idle partition") << c << true;
    }
    {
        JobConfig c = baseConfig(17);
        c.runtime.parallelism = 4;
        c.runtime.batchSize = 1000;
        c.source.generator.unlikeFraction = 0.4;
        QTest::newRow("many unlikes P=4") << c << false;
    }
}

void TestWindowsOracle::matchesOracle()
{
    QFETCH(JobConfig, config);
    QFETCH(bool, tickClock);
    TickClock ticks;
    ManualClock still;
    const bool fixedBound = config.watermark.strategy == WatermarkConfig::Strategy::Fixed && !tickClock;
    const Run run = runJob(config, tickClock ? static_cast<const Clock &>(ticks) : still, fixedBound);

    QCOMPARE(run.arrivals.size(), static_cast<size_t>(config.source.generator.totalEvents));
    QVERIFY2(run.watermarkMatchedBruteForce, "the job watermark differs from the brute-force watermark");

    const OracleResult oracle = computeOracle(config, run.arrivals);
    const std::string diff = describeDifference(oracle.table, run.table);
    QVERIFY2(diff.empty(), diff.c_str());

    // Both values of like_velocity's flag occur, so neither is vacuously equal (where the stream
    // spans a few slides: acceleration compares slides).
    int viral = 0, notViral = 0;
    for (const auto &[key, value] : oracle.table)
        if (std::get<0>(key) == Aggregation::LikeVelocity)
            ++(value.flag ? viral : notViral);
    const GeneratorConfig &g = config.source.generator;
    if (static_cast<double>(g.totalEvents) / g.eventTimeRate * 1000 >= 3.0 * static_cast<double>(config.likeVelocity.slideMs))
        QVERIFY2(viral > 0 && notViral > 0, qPrintable(QStringLiteral("%1 viral, %2 not").arg(viral).arg(notViral)));

    // Every aggregation produced results, so none is vacuously equal.
    for (size_t a = 0; a < kAggregationCount; ++a) {
        const auto agg = static_cast<Aggregation>(a);
        const bool any = std::any_of(oracle.table.begin(), oracle.table.end(),
                                     [&](const auto &kv) { return std::get<0>(kv.first) == agg; });
        QVERIFY2(any, qPrintable(QStringLiteral("no %1 results").arg(QString::fromUtf8(aggregationName(agg).data()))));
    }

    const auto windows = aggregationWindows(config);
    uint64_t lateSum = 0, droppedSum = 0;
    for (size_t i = 0; i < windows.size(); ++i) {
        const Labels l{{"aggregation", std::string(aggregationName(windows[i].aggregation))},
                       {"window_ms", std::to_string(windows[i].spec.sizeMs)}};
        QCOMPARE(run.metrics.value("tally_window_late_events_total", l), static_cast<double>(oracle.late[i]));
        QCOMPARE(run.metrics.value("tally_window_dropped_events_total", l), static_cast<double>(oracle.dropped[i]));
        lateSum += oracle.late[i];
        droppedSum += oracle.dropped[i];
    }
    QCOMPARE(run.lateEvents.size(), static_cast<size_t>(oracle.lateEvents));
    // The job's totals count events, not (event, window) pairs: what the final summary prints.
    QCOMPARE(run.metrics.value("tally_dropped_events_total"), static_cast<double>(oracle.lateEvents));
    QCOMPARE(run.metrics.value("tally_late_events_total"), static_cast<double>(oracle.refiringEvents));
    if (config.source.generator.lateFraction > 0 && config.runtime.allowedLatenessMs < 100000)
        QVERIFY2(droppedSum > 0, "the stream should contain dropped events");
    if (config.runtime.allowedLatenessMs > 0 && config.source.generator.lateFraction > 0)
        QVERIFY2(lateSum > 0, "the stream should contain late events");
}

void TestWindowsOracle::sameResultsAtAnyParallelism_data()
{
    QTest::addColumn<quint64>("seed");
    QTest::newRow("seed 21") << quint64(21);
    QTest::newRow("seed 22") << quint64(22);
}

void TestWindowsOracle::sameResultsAtAnyParallelism()
{
    QFETCH(quint64, seed);
    ManualClock clock;
    std::vector<ResultTable> tables;
    for (int p : {1, 2, 4}) {
        JobConfig c = baseConfig(seed);
        c.runtime.parallelism = p;
        tables.push_back(runJob(c, clock, true).table);
    }
    QVERIFY(!tables[0].empty());
    QVERIFY2(describeDifference(tables[0], tables[1]).empty(), "P=1 and P=2 differ");
    QVERIFY2(describeDifference(tables[0], tables[2]).empty(), "P=1 and P=4 differ");
}

void TestWindowsOracle::decodesAndDeadLettersSerializedInput()
{
    // Decoder threads work on batches in parallel; the brute-force watermark check below fails if
    // a batch reaches the ingest thread out of poll order.
    for (auto [format, decoders] : {std::pair{WireFormat::Json, 1}, std::pair{WireFormat::Json, 3},
                                    std::pair{WireFormat::Protobuf, 2}}) {
        JobConfig c = baseConfig(31);
        c.source.generator.serialized = true;
        c.source.generator.format = format;
        c.runtime.decodeThreads = decoders;
        c.runtime.batchSize = 64;
        c.source.generator.malformedFraction = 0.02;
        ManualClock clock;
        const Run run = runJob(c, clock, true);
        // The events reached the ingest thread in poll order: replay the source and compare.
        GeneratorSource replay(c.source.generator);
        RecordDecoder decoder(c.source.limits);
        std::vector<uint64_t> polledIds;
        SourceBatch batch;
        for (Source::PollStatus ps; (ps = replay.poll(batch, static_cast<size_t>(c.runtime.batchSize))) != Source::PollStatus::End;) {
            for (size_t i = 0; i < batch.records.size(); ++i) {
                const DecodeResult r = decoder.decode(batch.records.at(i));
                if (const auto *e = std::get_if<LikeEvent>(&r))
                    polledIds.push_back(e->eventId);
            }
        }
        QCOMPARE(run.arrivals.size(), polledIds.size());
        for (size_t i = 0; i < polledIds.size(); ++i)
            QVERIFY2(run.arrivals[i].event.eventId == polledIds[i], "batches reached the ingest thread out of poll order");
        // Every record is either an event or a dead letter; nothing disappears.
        QCOMPARE(run.arrivals.size() + run.deadLetters.size(), static_cast<size_t>(c.source.generator.totalEvents));
        QVERIFY(run.deadLetters.size() > 0);
        QCOMPARE(run.metrics.value("tally_dead_letters_total"), static_cast<double>(run.deadLetters.size()));
        for (const DeadLetter &d : run.deadLetters)
            QVERIFY(!d.detail.empty());
        const OracleResult oracle = computeOracle(c, run.arrivals);
        const std::string diff = describeDifference(oracle.table, run.table);
        QVERIFY2(diff.empty(), diff.c_str());
    }
}

// like_velocity's "viral" with the default settings (15 min sliding every minute, 100 likes/min,
// acceleration 3): 30 minutes of a skewed stream with two celebrity bursts. The most liked post,
// popular all along at a steady rate far above 100/min, is never viral; each burst's post is, in
// the window its burst ends; and every flag equals the oracle's.
void TestWindowsOracle::viralMeansAccelerating()
{
    JobConfig c;
    GeneratorConfig &g = c.source.generator;
    g = GeneratorConfig{};
    g.seed = 7;
    g.partitions = 2;
    g.posts = 1000;
    g.eventTimeRate = 200;
    g.totalEvents = 200 * 30 * 60; // 30 min of event time
    g.burstEveryMs = 600000;       // bursts at 10 and 20 min, for a minute each
    g.burstDurationMs = 60000;
    g.burstShare = 0.5;
    g.lateFraction = 0;
    g.meanDelayMs = 50;
    c.output.type = OutputConfig::Type::None;
    QCOMPARE(c.likeVelocity.viralAcceleration, 3.0); // the defaults under test
    QCOMPARE(c.likeVelocity.viralPerMinute, 100.0);
    ManualClock clock;
    const Run run = runJob(c, clock, false);
    const OracleResult oracle = computeOracle(c, run.arrivals);
    const std::string diff = describeDifference(oracle.table, run.table);
    QVERIFY2(diff.empty(), diff.c_str());

    GeneratorSource generator(g);
    const std::set<uint64_t> bursts{generator.burstPost(1), generator.burstPost(2)};
    std::map<uint64_t, int64_t> likes;
    for (const auto &[key, value] : run.table)
        if (std::get<0>(key) == Aggregation::LikesPerPost)
            likes[std::get<3>(key)] += value.value;
    uint64_t top = 0;
    for (const auto &[post, n] : likes)
        if (!bursts.count(post) && (top == 0 || n > likes[top]))
            top = post;
    int topWindows = 0, burstViral = 0;
    std::set<uint64_t> viralPosts;
    for (const auto &[key, value] : run.table) {
        if (std::get<0>(key) != Aggregation::LikeVelocity)
            continue;
        const uint64_t post = std::get<3>(key);
        if (value.flag)
            viralPosts.insert(post);
        if (post == top) {
            ++topWindows;
            QVERIFY2(value.value >= velocityViralMin(c.likeVelocity), "the top post is above the viral rate");
        }
        burstViral += value.flag && bursts.count(post);
    }
    qInfo("top post %llu: %lld likes, %d windows; burst posts %llu and %llu; viral posts: %zu",
          static_cast<unsigned long long>(top), static_cast<long long>(likes[top]), topWindows,
          static_cast<unsigned long long>(*bursts.begin()), static_cast<unsigned long long>(*bursts.rbegin()), viralPosts.size());
    QVERIFY(topWindows > 10);
    QVERIFY2(!viralPosts.count(top), "a popular post at a steady rate was flagged viral");
    for (uint64_t post : bursts)
        QVERIFY2(viralPosts.count(post), qPrintable(QStringLiteral("burst post %1 was never viral").arg(post)));
    QVERIFY(burstViral > 0);
}

QTEST_GUILESS_MAIN(TestWindowsOracle)
#include "tst_windows_oracle.moc"
