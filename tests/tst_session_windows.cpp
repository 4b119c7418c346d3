// Session window tests: for random out-of-order streams, the final sessions (after every fire,
// re-fire and retraction) equal the brute-force union of [t, t + gap) intervals of the accepted
// events, per key; dropped events are exactly those with t + lateness <= watermark.
#include "window/session_counter.h"

#include <QtTest>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

using namespace tally;

class TestSessionWindows : public QObject {
    Q_OBJECT

private slots:
    void matchesIntervalUnion_data();
    void matchesIntervalUnion();
    void lateEventBridgesTwoFiredSessions();
};

void TestSessionWindows::matchesIntervalUnion_data()
{
    QTest::addColumn<int>("seed");
    QTest::addColumn<int64_t>("gap");
    QTest::addColumn<int64_t>("lateness");
    for (int seed = 1; seed <= 20; ++seed)
        QTest::addRow("seed %d", seed) << seed << int64_t(50 + seed * 7) << int64_t(seed % 4 == 0 ? 0 : 30 * seed);
}

void TestSessionWindows::matchesIntervalUnion()
{
    QFETCH(int, seed);
    QFETCH(int64_t, gap);
    QFETCH(int64_t, lateness);
    std::mt19937_64 rng(static_cast<uint64_t>(seed));
    SessionCounter counter(gap, lateness);
    using Key = std::tuple<uint64_t, int64_t, int64_t>;
    std::map<Key, int64_t> table;
    auto apply = [&](SessionCounter::Update u, uint64_t key, int64_t start, int64_t end, int64_t count) {
        if (u == SessionCounter::Update::Delete) {
            QVERIFY2(table.erase({key, start, end}) == 1, "retracted a session that was never emitted");
        } else {
            table[{key, start, end}] = count;
        }
    };

    std::map<uint64_t, std::vector<int64_t>> accepted;
    uint64_t dropped = 0, expectedDropped = 0;
    int64_t watermark = -1000000, maxSeen = 0;
    for (int i = 0; i < 5000; ++i) {
        const uint64_t key = rng() % 7;
        // Bursty activity with pauses longer than the gap, delivered out of order.
        const int64_t t = i * 20 + ((i / 50) % 3) * 400 - static_cast<int64_t>(rng() % 600);
        maxSeen = std::max(maxSeen, t);
        const bool tooLate = t + lateness <= watermark;
        expectedDropped += tooLate;
        if (counter.add(key, t, 1, watermark))
            accepted[key].push_back(t);
        else
            ++dropped;
        if (i % 16 == 15) {
            counter.drainUpdates(apply);
            watermark = std::max(watermark, maxSeen - static_cast<int64_t>(rng() % 300));
            counter.advance(watermark, apply);
        }
    }
    counter.drainUpdates(apply);
    counter.advance(INT64_MAX / 4, apply);
    QCOMPARE(dropped, expectedDropped);
    QVERIFY(dropped > 0);
    QCOMPARE(counter.sessionCount(), size_t(0));

    // Oracle: sort each key's accepted times and merge overlapping [t, t + gap) intervals.
    std::map<Key, int64_t> oracle;
    for (auto &[key, times] : accepted) {
        std::sort(times.begin(), times.end());
        int64_t start = times[0], end = times[0] + gap, count = 0;
        for (int64_t t : times) {
            if (t >= end) {
                oracle[{key, start, end}] = count;
                start = t;
                count = 0;
            }
            end = std::max(end, t + gap);
            ++count;
        }
        oracle[{key, start, end}] = count;
    }
    QCOMPARE(table.size(), oracle.size());
    QVERIFY(table == oracle);
}

void TestSessionWindows::lateEventBridgesTwoFiredSessions()
{
    SessionCounter counter(100, 1000);
    std::vector<std::tuple<SessionCounter::Update, int64_t, int64_t, int64_t>> out;
    auto record = [&](SessionCounter::Update u, uint64_t, int64_t s, int64_t e, int64_t c) { out.emplace_back(u, s, e, c); };
    QVERIFY(counter.add(1, 0, 1, 0));
    QVERIFY(counter.add(1, 250, 1, 0));
    counter.advance(400, record); // fires [0,100) and [250,350)
    QCOMPARE(out.size(), size_t(2));
    out.clear();
    QVERIFY(counter.add(1, 120, 1, 400));  // [120,220) overlaps neither
    QVERIFY(counter.add(1, 90, 1, 400));   // bridges [0,100) and [120,220)
    QVERIFY(counter.add(1, 200, 1, 400));  // bridges to [250,350)
    counter.drainUpdates(record);
    // Applied in order, the updates retract [0,100) and [250,350) (and the intermediate [0,220))
    // and leave one merged session [0,350) with all five events.
    std::map<std::pair<int64_t, int64_t>, int64_t> table{{{0, 100}, 1}, {{250, 350}, 1}};
    for (const auto &[u, s, e, c] : out) {
        if (u == SessionCounter::Update::Delete)
            QVERIFY(table.erase({s, e}) == 1);
        else
            table[{s, e}] = c;
    }
    const std::map<std::pair<int64_t, int64_t>, int64_t> expected{{{0, 350}, 5}};
    QVERIFY(table == expected);
}

QTEST_GUILESS_MAIN(TestSessionWindows)
#include "tst_session_windows.moc"
