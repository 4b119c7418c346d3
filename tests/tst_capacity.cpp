// Capacity headroom: the model's arithmetic on crafted operator CPU times: ceilings per operator and
// for the cores, another parallelism, a burst's peak lag and clearing time, smoothing and its
// restarts. How well it predicts the machine is measured by tally-bench --suite capacity.
#include "models/capacity.h"

#include <QtTest>

#include <cmath>

using namespace tally;

namespace {

OperatorStatus op(OperatorKind kind, int index, uint64_t cpuNs)
{
    OperatorStatus o;
    o.kind = kind;
    o.index = index;
    o.name = operatorKindName(kind);
    if (kind == OperatorKind::Decode || kind == OperatorKind::Window)
        o.name += '-' + std::to_string(index);
    o.cpuNs = cpuNs;
    return o;
}

// A pipeline whose operators' threads used the given CPU milliseconds each over one second (index order: source,
// decode-0, decode-1, ingest, window-0.., output).
std::vector<OperatorStatus> pipeline(double source, std::vector<double> decode, double ingest, std::vector<double> window,
                                     double output)
{
    std::vector<OperatorStatus> ops{op(OperatorKind::Source, 0, static_cast<uint64_t>(source * 1e6))};
    for (size_t i = 0; i < decode.size(); ++i)
        ops.push_back(op(OperatorKind::Decode, static_cast<int>(i), static_cast<uint64_t>(decode[i] * 1e6)));
    ops.push_back(op(OperatorKind::Ingest, 0, static_cast<uint64_t>(ingest * 1e6)));
    for (size_t i = 0; i < window.size(); ++i)
        ops.push_back(op(OperatorKind::Window, static_cast<int>(i), static_cast<uint64_t>(window[i] * 1e6)));
    ops.push_back(op(OperatorKind::Output, 0, static_cast<uint64_t>(output * 1e6)));
    return ops;
}

std::vector<OperatorStatus> zeroed(std::vector<OperatorStatus> ops)
{
    for (OperatorStatus &o : ops)
        o.cpuNs = 0;
    return ops;
}

} // namespace

class TestCapacity : public QObject {
    Q_OBJECT

private slots:
    void busiestOperatorSetsTheCeiling();
    void coresSetTheCeilingWhenOperatorsShareThem();
    void otherParallelismSplitsTheWindowTasks();
    void burstForecast();
    void smoothingAndRestarts();
};

void TestCapacity::busiestOperatorSetsTheCeiling()
{
    // 100K records in one second; window-1 used 400 ms of CPU: 4 us a record, so 250K/s at most.
    const auto now = pipeline(100, {50, 60}, 80, {200, 400}, 20);
    const auto model = CapacityModel::update(nullptr, now, zeroed(now), 100000, 1000);
    QVERIFY(model);
    QCOMPARE(model->parallelism, 2);
    const CapacityEstimate e = estimateCapacity(*model, 2, 16);
    QCOMPARE(e.limitedBy, std::string("window-1"));
    QVERIFY(qFuzzyCompare(e.sustainableRecordsPerSecond, 250000.0));
    QVERIFY(qFuzzyCompare(e.inputRecordsPerSecond, 100000.0));
    QVERIFY(qFuzzyCompare(e.headroom(), 2.5));
}

void TestCapacity::coresSetTheCeilingWhenOperatorsShareThem()
{
    // Summed CPU 910 ms per 100K records; on one core that is 110K/s, below window-1's 250K.
    const auto now = pipeline(100, {50, 60}, 80, {200, 400}, 20);
    const auto model = CapacityModel::update(nullptr, now, zeroed(now), 100000, 1000);
    const CapacityEstimate e = estimateCapacity(*model, 2, 1);
    QCOMPARE(e.limitedBy, std::string("cpu"));
    QVERIFY(qFuzzyCompare(e.sustainableRecordsPerSecond, 1e9 / (910e6 / 100000)));
}

void TestCapacity::otherParallelismSplitsTheWindowTasks()
{
    // Two window tasks at 200 and 400 ms: total 600, the hot one 100 ms over an even share.
    const auto now = pipeline(100, {50, 60}, 80, {200, 400}, 20);
    const auto model = CapacityModel::update(nullptr, now, zeroed(now), 100000, 1000);
    // At 4 tasks: an even share is 150 ms, the hottest 250 ms: 400K/s for the windows; the source
    // (100 ms per 100K: 1M/s) and ingest (800K/s) are further off.
    CapacityEstimate four = estimateCapacity(*model, 4, 64);
    QCOMPARE(four.limitedBy, std::string("window"));
    QVERIFY(qFuzzyCompare(four.sustainableRecordsPerSecond, 400000.0));
    // At 1 task it carries all 600 ms: 166,667/s.
    CapacityEstimate one = estimateCapacity(*model, 1, 64);
    QVERIFY(qFuzzyCompare(one.sustainableRecordsPerSecond, 1e9 / 6000.0));
    // At 16 tasks the hottest still carries its 100 ms excess: 137.5 ms, 727K/s, below the source.
    CapacityEstimate many = estimateCapacity(*model, 16, 64);
    QCOMPARE(many.limitedBy, std::string("window"));
    QVERIFY(qFuzzyCompare(many.sustainableRecordsPerSecond, 1e9 / 1375.0));
    // Evenly loaded tasks at 16: 37.5 ms each; the source limits, 1 us a record.
    const auto even = pipeline(100, {50, 60}, 80, {300, 300}, 20);
    const auto evenModel = CapacityModel::update(nullptr, even, zeroed(even), 100000, 1000);
    CapacityEstimate evenMany = estimateCapacity(*evenModel, 16, 64);
    QCOMPARE(evenMany.limitedBy, std::string("source"));
    QVERIFY(qFuzzyCompare(evenMany.sustainableRecordsPerSecond, 1e6));
}

void TestCapacity::burstForecast()
{
    CapacityEstimate e;
    e.sustainableRecordsPerSecond = 300000;
    e.inputRecordsPerSecond = 100000;
    // 500K/s for 60 s against 300K/s: 200K/s pile up, 12M at the peak; then the 200K/s of spare
    // capacity over the normal input clear them in 60 s.
    const BurstForecast f = forecastBurst(e, 500000, 60);
    QVERIFY(qFuzzyCompare(f.peakLagRecords, 12e6));
    QVERIFY(f.clearSeconds);
    QVERIFY(qFuzzyCompare(*f.clearSeconds, 60.0));
    // Below the capacity no lag builds up.
    const BurstForecast none = forecastBurst(e, 250000, 60);
    QCOMPARE(none.peakLagRecords, 0.0);
    QCOMPARE(none.clearSeconds.value_or(-1), 0.0);
    // A job already beyond its capacity never clears.
    e.inputRecordsPerSecond = 350000;
    QVERIFY(!forecastBurst(e, 500000, 60).clearSeconds);
}

void TestCapacity::smoothingAndRestarts()
{
    const auto t1 = pipeline(100, {50, 50}, 100, {300, 300}, 20);
    auto model = CapacityModel::update(nullptr, t1, zeroed(t1), 100000, 1000);
    QVERIFY(model);
    // The next second costs twice as much per record: with a 5 s time constant the smoothed cost
    // moves 1 - e^-0.2 (18%) of the way.
    auto t2 = t1;
    for (OperatorStatus &o : t2)
        o.cpuNs *= 3; // +2x over the previous second's CPU time
    const auto smoothed = CapacityModel::update(&*model, t2, t1, 100000, 1000);
    QVERIFY(smoothed);
    const double window = smoothed->costs[3].busiestNsPerRecord; // source, decode, ingest, window, output
    QCOMPARE(smoothed->costs[3].kind, OperatorKind::Window);
    const double weight = 1 - std::exp(-0.2);
    QVERIFY(qFuzzyCompare(window, (1 - weight) * 3000 + weight * 6000));
    // A quiet second (500 records) teaches nothing: the model stays.
    auto t3 = t2;
    for (OperatorStatus &o : t3)
        o.cpuNs += 1000000;
    const auto quiet = CapacityModel::update(&*smoothed, t3, t2, 500, 1000);
    QVERIFY(quiet);
    QCOMPARE(quiet->costs[3].busiestNsPerRecord, window);
    // ... but the input it is measured against follows: 100K/s smoothed towards 500/s.
    QVERIFY(qFuzzyCompare(quiet->smoothedInputPerSecond, (1 - weight) * 100000 + weight * 500));
    // Nor does a second in which no operator used 1% of a core: fixed overheads, not costs.
    auto t4 = t2;
    for (OperatorStatus &o : t4)
        o.cpuNs += 9000000; // 9 ms each
    const auto idle = CapacityModel::update(&*smoothed, t4, t2, 100000, 1000);
    QVERIFY(idle);
    QCOMPARE(idle->costs[3].busiestNsPerRecord, window);
    // A rescale (another number of window tasks) starts over from the new job's costs.
    const auto r0 = pipeline(0, {0, 0}, 0, {0, 0, 0, 0}, 0);
    const auto r1 = pipeline(100, {50, 50}, 100, {100, 100, 100, 100}, 20);
    const auto rescaled = CapacityModel::update(&*smoothed, r1, r0, 100000, 1000);
    QVERIFY(rescaled);
    QCOMPARE(rescaled->parallelism, 4);
    QVERIFY(qFuzzyCompare(rescaled->costs[3].busiestNsPerRecord, 1000.0));
    // Counters that went down (a new job's against the old one's): the model stays as it was.
    const auto lower = CapacityModel::update(&*smoothed, zeroed(t1), t2, 100000, 1000);
    QVERIFY(lower);
    QCOMPARE(lower->costs[3].busiestNsPerRecord, window);
}

QTEST_GUILESS_MAIN(TestCapacity)
#include "tst_capacity.moc"
