// Watermark tests: per-partition watermarks and the job watermark are monotone and follow the
// bound; an idle partition stops holding the job watermark back after the idleness timeout and
// holds it again when it delivers; the adaptive bound stays within its clamp and follows the
// observed lateness.
#include "time/clock.h"
#include "time/watermark.h"
#include "window/window_spec.h"

#include <QtTest>

#include <random>

using namespace tally;

class TestWatermark : public QObject {
    Q_OBJECT

private slots:
    void fixedBoundIsMaxMinusBound();
    void monotoneUnderRandomInput_data();
    void monotoneUnderRandomInput();
    void idlePartitionStopsHoldingBack();
    void partitionOwnedElsewhereNeverHoldsBack();
    void adaptiveBoundStaysWithinClamp_data();
    void adaptiveBoundStaysWithinClamp();
    void adaptiveBoundFollowsLateness();
    void windowRulesAtBoundaries_data();
    void windowRulesAtBoundaries();
};

void TestWatermark::fixedBoundIsMaxMinusBound()
{
    ManualClock clock;
    WatermarkConfig c;
    c.boundMs = 100;
    c.idleTimeoutMs = 0;
    WatermarkTracker t(c, 2, clock);
    QCOMPARE(t.advance(), kMinWatermark); // no partition has data yet
    t.observe(0, 1000);
    QCOMPARE(t.advance(), kMinWatermark); // partition 1 still empty and not idle
    t.observe(1, 5000);
    QCOMPARE(t.advance(), 1000 - 100 - 1); // min over partitions
    QCOMPARE(t.laggingPartition(), 0);
    QCOMPARE(t.skewMs(), int64_t(4000));
    t.observe(0, 800); // out of order: the max does not go back
    QCOMPARE(t.advance(), 1000 - 100 - 1);
    t.observe(0, 9000);
    QCOMPARE(t.advance(), 5000 - 100 - 1);
    QCOMPARE(t.laggingPartition(), 1);
}

void TestWatermark::monotoneUnderRandomInput_data()
{
    QTest::addColumn<bool>("adaptive");
    QTest::newRow("fixed") << false;
    QTest::newRow("adaptive") << true;
}

void TestWatermark::monotoneUnderRandomInput()
{
    QFETCH(bool, adaptive);
    ManualClock clock;
    WatermarkConfig c;
    c.strategy = adaptive ? WatermarkConfig::Strategy::Adaptive : WatermarkConfig::Strategy::Fixed;
    c.boundMs = 500;
    c.adaptiveMinMs = 10;
    c.adaptiveMaxMs = 5000;
    c.idleTimeoutMs = 30;
    const int partitions = 4;
    WatermarkTracker t(c, partitions, clock);
    std::mt19937_64 rng(7);
    std::vector<int64_t> lastPartition(partitions, kMinWatermark);
    int64_t last = kMinWatermark;
    int64_t now = 100000;
    for (int step = 0; step < 20000; ++step) {
        const int p = static_cast<int>(rng() % partitions);
        // Occasionally a partition pauses, goes idle, and comes back far behind.
        if (rng() % 500 == 0)
            clock.advance(40);
        now += static_cast<int64_t>(rng() % 20);
        t.touch(p);
        for (int i = 0; i < 8; ++i)
            t.observe(p, now - static_cast<int64_t>(rng() % 3000));
        const int64_t wm = t.advance();
        QVERIFY2(wm >= last, "job watermark went backwards");
        last = wm;
        for (const auto &pw : t.partitions()) {
            QVERIFY2(pw.watermarkMs >= lastPartition[static_cast<size_t>(pw.partition)], "partition watermark went backwards");
            lastPartition[static_cast<size_t>(pw.partition)] = pw.watermarkMs;
            if (pw.maxEventTimeMs != kMinWatermark)
                QVERIFY(pw.watermarkMs <= pw.maxEventTimeMs - t.boundMs() - 1 || pw.watermarkMs == lastPartition[static_cast<size_t>(pw.partition)]);
        }
    }
    QVERIFY(last > kMinWatermark);
}

void TestWatermark::idlePartitionStopsHoldingBack()
{
    ManualClock clock(0);
    WatermarkConfig c;
    c.boundMs = 0;
    c.idleTimeoutMs = 1000;
    WatermarkTracker t(c, 2, clock);
    t.touch(0);
    t.observe(0, 10000);
    t.touch(1);
    t.observe(1, 2000);
    QCOMPARE(t.advance(), int64_t(1999));

    // Partition 1 goes silent; partition 0 keeps delivering.
    for (int i = 1; i <= 9; ++i) {
        clock.advance(100);
        t.touch(0);
        t.observe(0, 10000 + i * 100);
        QCOMPARE(t.advance(), int64_t(1999)); // not idle yet: still held back
    }
    clock.advance(100); // 1000 ms since partition 1's last record
    t.touch(0);
    t.observe(0, 11000);
    QCOMPARE(t.advance(), int64_t(10999));
    QVERIFY(t.partitions()[1].idle);
    QCOMPARE(t.laggingPartition(), 0);
    QCOMPARE(t.skewMs(), int64_t(0)); // idle partitions do not count towards skew

    // It comes back: active again, but the job watermark never goes back.
    t.touch(1);
    t.observe(1, 3000);
    QCOMPARE(t.advance(), int64_t(10999));
    QVERIFY(!t.partitions()[1].idle);
    t.observe(1, 20000);
    t.observe(0, 15000);
    QCOMPARE(t.advance(), int64_t(14999));
}

void TestWatermark::partitionOwnedElsewhereNeverHoldsBack()
{
    ManualClock clock(0);
    WatermarkConfig c;
    c.boundMs = 0;
    c.idleTimeoutMs = 0; // never idle: only ownership can release the watermark
    WatermarkTracker t(c, 3, clock);
    t.observe(0, 5000);
    QCOMPARE(t.advance(), kMinWatermark); // partitions 1 and 2 have nothing yet
    t.setOwned(1, false);
    t.setOwned(2, false);
    QCOMPARE(t.advance(), int64_t(4999)); // at once, without waiting for idleness
    t.setOwned(2, true);                  // given back: holds the watermark again...
    t.observe(0, 9000);
    QCOMPARE(t.advance(), int64_t(4999)); // ...while it has delivered nothing
    t.observe(2, 7000);
    QCOMPARE(t.advance(), int64_t(6999));
}

void TestWatermark::adaptiveBoundStaysWithinClamp_data()
{
    QTest::addColumn<int64_t>("maxLateness");
    QTest::addColumn<double>("quantile");
    QTest::newRow("tiny lateness") << int64_t(2) << 0.99;
    QTest::newRow("moderate lateness") << int64_t(800) << 0.9;
    QTest::newRow("huge lateness") << int64_t(1000000) << 0.99;
}

void TestWatermark::adaptiveBoundStaysWithinClamp()
{
    QFETCH(int64_t, maxLateness);
    QFETCH(double, quantile);
    ManualClock clock;
    WatermarkConfig c;
    c.strategy = WatermarkConfig::Strategy::Adaptive;
    c.adaptiveQuantile = quantile;
    c.adaptiveMinMs = 50;
    c.adaptiveMaxMs = 20000;
    c.idleTimeoutMs = 0;
    WatermarkTracker t(c, 1, clock);
    std::mt19937_64 rng(3);
    int64_t now = 1'000'000'000;
    for (int i = 0; i < 200000; ++i) {
        now += 1;
        t.observe(0, now - static_cast<int64_t>(rng() % static_cast<uint64_t>(maxLateness + 1)));
        if (i % 1000 == 0) {
            t.advance();
            QVERIFY(t.boundMs() >= c.adaptiveMinMs);
            QVERIFY(t.boundMs() <= c.adaptiveMaxMs);
        }
    }
}

void TestWatermark::adaptiveBoundFollowsLateness()
{
    ManualClock clock;
    WatermarkConfig c;
    c.strategy = WatermarkConfig::Strategy::Adaptive;
    c.adaptiveQuantile = 0.9;
    c.adaptiveMinMs = 1;
    c.adaptiveMaxMs = 100000;
    c.idleTimeoutMs = 0;
    WatermarkTracker t(c, 1, clock);
    // Lateness uniform in [0, 1000]: the 0.9 quantile is about 900 (bucket precision 1/8).
    std::mt19937_64 rng(5);
    int64_t now = 1'000'000'000;
    for (int i = 0; i < 100000; ++i) {
        now += 2000; // every event sets a new maximum far ahead ...
        t.observe(0, now);
        t.observe(0, now - static_cast<int64_t>(rng() % 1001)); // ... and one trails it
    }
    t.advance();
    // Half the observations have lateness 0, so the 0.9 quantile of all is the 0.8 quantile of
    // the trailing ones: about 800.
    QVERIFY2(t.boundMs() >= 700 && t.boundMs() <= 1000, qPrintable(QString::number(t.boundMs())));
}

void TestWatermark::windowRulesAtBoundaries_data()
{
    QTest::addColumn<int64_t>("eventTime");
    QTest::addColumn<int64_t>("watermark");
    QTest::addColumn<int>("expected");
    // Tumbling 1000 ms, lateness 500 ms. Window [1000, 2000) fires at wm >= 1999, expires at wm >= 2499.
    QTest::newRow("on time, last ms") << int64_t(1999) << int64_t(1998) << int(Lateness::OnTime);
    QTest::newRow("fired: late") << int64_t(1999) << int64_t(1999) << int(Lateness::Late);
    QTest::newRow("first ms, fired") << int64_t(1000) << int64_t(1999) << int(Lateness::Late);
    QTest::newRow("last accepting wm") << int64_t(1000) << int64_t(2498) << int(Lateness::Late);
    QTest::newRow("expired") << int64_t(1000) << int64_t(2499) << int(Lateness::Dropped);
    QTest::newRow("next window start") << int64_t(2000) << int64_t(2499) << int(Lateness::OnTime);
    QTest::newRow("negative time") << int64_t(-1) << int64_t(-2) << int(Lateness::OnTime);
    QTest::newRow("negative, expired") << int64_t(-1000) << int64_t(499) << int(Lateness::Dropped);
}

void TestWatermark::windowRulesAtBoundaries()
{
    QFETCH(int64_t, eventTime);
    QFETCH(int64_t, watermark);
    QFETCH(int, expected);
    const WindowSpec tumbling{1000, 1000};
    QCOMPARE(int(tumbling.classify(eventTime, watermark, 500)), expected);
}

QTEST_GUILESS_MAIN(TestWatermark)
#include "tst_watermark.moc"
