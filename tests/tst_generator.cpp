// Tests of the generator source: reproducibility, exactly-once delivery over partitions, the
// traffic shape it promises (Zipf posts, bursts, spam users, fractions), serialized records and
// pacing.
#include "event/codec.h"
#include "source/generator.h"
#include "source/zipf.h"

#include <QtTest>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace tally;

namespace {

struct Delivered {
    int partition = 0;
    int64_t firstOffset = 0;
    std::vector<LikeEvent> events;
    std::vector<std::string> records;
};

// Polls until End (or a poll limit, reported through `ended`) and keeps every batch.
std::vector<Delivered> drain(GeneratorSource &source, size_t maxRecords, bool *ended = nullptr)
{
    std::vector<Delivered> out;
    SourceBatch batch;
    for (int polls = 0; polls < 10'000'000; ++polls) {
        const auto status = source.poll(batch, maxRecords);
        if (status == Source::PollStatus::End) {
            if (ended)
                *ended = true;
            return out;
        }
        if (status == Source::PollStatus::Idle) {
            if (batch.size() != 0)
                qWarning("Idle poll returned records");
            continue;
        }
        Delivered d;
        d.partition = batch.partition;
        d.firstOffset = batch.firstOffset;
        d.events = batch.events;
        for (size_t i = 0; i < batch.records.size(); ++i)
            d.records.emplace_back(batch.records.at(i));
        out.push_back(std::move(d));
    }
    if (ended)
        *ended = false;
    return out;
}

std::vector<LikeEvent> allEvents(const std::vector<Delivered> &batches)
{
    std::vector<LikeEvent> all;
    for (const Delivered &b : batches)
        all.insert(all.end(), b.events.begin(), b.events.end());
    return all;
}

GeneratorConfig smallConfig(uint64_t totalEvents)
{
    GeneratorConfig c;
    c.totalEvents = totalEvents;
    c.posts = 10000;
    c.users = 100000;
    c.spamUserFraction = 0.001;
    c.burstEveryMs = 5000;
    c.burstDurationMs = 1000;
    return c;
}

// SplitMix64 as the uniform source of the sampler tests: independent of the generator's own.
struct SplitMix {
    uint64_t state;
    double operator()()
    {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        return static_cast<double>(z >> 11) * 0x1.0p-53;
    }
};

} // namespace

class TestGenerator : public QObject {
    Q_OBJECT

private slots:
    void seekResumesTheSameStream_data();
    void seekResumesTheSameStream();
    void sameSeedSameStream_data();
    void sameSeedSameStream();
    void differentSeedsDiffer();
    void everyEventDeliveredOnce_data();
    void everyEventDeliveredOnce();
    void eventTimes_data();
    void eventTimes();
    void outOfOrderBounded();
    void inOrderWithoutDelay();
    void zipfRatio_data();
    void zipfRatio();
    void zipfMatchesPmf_data();
    void zipfMatchesPmf();
    void zipfEdges();
    void postsAreZipf();
    void bursts();
    void spamUsers();
    void fractions_data();
    void fractions();
    void regionsAndDevices();
    void unboundedStaysBounded();
    void invalidConfigThrows();
    void serializedMatchesDecoded_data();
    void serializedMatchesDecoded();
    void malformedRecordsCounted_data();
    void malformedRecordsCounted();
    void pacing();
};

void TestGenerator::sameSeedSameStream_data()
{
    QTest::addColumn<bool>("serialized");
    QTest::addColumn<int>("format");
    QTest::addColumn<int>("silent");
    QTest::addColumn<double>("malformed");
    QTest::newRow("decoded") << false << 0 << 0 << 0.0;
    QTest::newRow("decoded, silent partition") << false << 0 << 1 << 0.0;
    QTest::newRow("json with corruption") << true << int(WireFormat::Json) << 0 << 0.05;
    QTest::newRow("protobuf with corruption") << true << int(WireFormat::Protobuf) << 0 << 0.05;
}

void TestGenerator::sameSeedSameStream()
{
    QFETCH(bool, serialized);
    QFETCH(int, format);
    QFETCH(int, silent);
    QFETCH(double, malformed);
    GeneratorConfig c = smallConfig(30000);
    c.serialized = serialized;
    c.format = static_cast<WireFormat>(format);
    c.silentPartitions = silent;
    c.malformedFraction = malformed;
    GeneratorSource a(c), b(c);
    const auto runA = drain(a, 500), runB = drain(b, 500);
    QCOMPARE(runA.size(), runB.size());
    for (size_t i = 0; i < runA.size(); ++i) {
        QCOMPARE(runA[i].partition, runB[i].partition);
        QCOMPARE(runA[i].firstOffset, runB[i].firstOffset);
        QVERIFY(runA[i].events == runB[i].events);
        QVERIFY(runA[i].records == runB[i].records);
    }
    QCOMPARE(a.corrupted(), b.corrupted());
}

void TestGenerator::differentSeedsDiffer()
{
    GeneratorConfig c = smallConfig(5000);
    GeneratorSource a(c);
    c.seed = 43;
    GeneratorSource b(c);
    const auto eventsA = allEvents(drain(a, 256)), eventsB = allEvents(drain(b, 256));
    QCOMPARE(eventsA.size(), eventsB.size());
    size_t samePost = 0, sameUser = 0;
    for (size_t i = 0; i < eventsA.size(); ++i) {
        samePost += eventsA[i].postId == eventsB[i].postId;
        sameUser += eventsA[i].userId == eventsB[i].userId;
    }
    QVERIFY(eventsA != eventsB);
    QVERIFY(sameUser < eventsA.size() / 100);
    QVERIFY(samePost < eventsA.size() / 2); // Zipf: hot posts coincide now and then, not mostly
}

void TestGenerator::everyEventDeliveredOnce_data()
{
    QTest::addColumn<int>("partitions");
    QTest::addColumn<int>("silent");
    QTest::addColumn<int>("maxRecords");
    QTest::addColumn<double>("lateFraction");
    QTest::addColumn<qint64>("lateDelayMs");
    // A fat late tail keeps events in flight across many polls; the heavy one mixes long and short
    // delays within the same delivery millisecond.
    QTest::newRow("1 partition") << 1 << 0 << 1000 << 0.01 << qint64(30000);
    QTest::newRow("4 partitions") << 4 << 0 << 4096 << 0.01 << qint64(30000);
    QTest::newRow("8 partitions, 2 silent") << 8 << 2 << 512 << 0.01 << qint64(30000);
    QTest::newRow("3 partitions, tiny batches") << 3 << 0 << 7 << 0.01 << qint64(30000);
    QTest::newRow("4 partitions, heavy late tail") << 4 << 0 << 1000 << 0.5 << qint64(5000);
}

void TestGenerator::everyEventDeliveredOnce()
{
    QFETCH(int, partitions);
    QFETCH(int, silent);
    QFETCH(int, maxRecords);
    QFETCH(double, lateFraction);
    QFETCH(qint64, lateDelayMs);
    GeneratorConfig c;
    c.totalEvents = 200000;
    c.partitions = partitions;
    c.silentPartitions = silent;
    c.lateFraction = lateFraction;
    c.lateDelayMs = lateDelayMs;
    GeneratorSource source(c);
    QCOMPARE(source.partitionCount(), partitions);

    bool ended = false;
    const auto batches = drain(source, static_cast<size_t>(maxRecords), &ended);
    QVERIFY(ended);
    QCOMPARE(source.generated(), c.totalEvents);

    std::vector<uint8_t> seen(c.totalEvents + 1, 0);
    std::vector<int64_t> nextOffset(static_cast<size_t>(partitions), 0);
    const int active = partitions - silent;
    for (const Delivered &b : batches) {
        QVERIFY(b.partition >= 0 && b.partition < active); // silent partitions never deliver
        QVERIFY(!b.events.empty());
        QVERIFY(b.events.size() <= static_cast<size_t>(maxRecords));
        QCOMPARE(b.firstOffset, nextOffset[static_cast<size_t>(b.partition)]);
        nextOffset[static_cast<size_t>(b.partition)] += static_cast<int64_t>(b.events.size());
        for (const LikeEvent &e : b.events) {
            QVERIFY(e.eventId >= 1 && e.eventId <= c.totalEvents);
            QCOMPARE(seen[e.eventId], uint8_t{0});
            seen[e.eventId] = 1;
            QCOMPARE(GeneratorSource::partitionFor(e.postId, active), b.partition);
        }
    }
    QCOMPARE(size_t(std::count(seen.begin() + 1, seen.end(), uint8_t{1})), size_t(c.totalEvents));

    // Exhausted stays exhausted.
    SourceBatch batch;
    QCOMPARE(source.poll(batch, 100), Source::PollStatus::End);
    QCOMPARE(batch.size(), size_t{0});
}

void TestGenerator::eventTimes_data()
{
    QTest::addColumn<double>("rate");
    QTest::newRow("10000/s") << 10000.0;
    QTest::newRow("1000/s") << 1000.0;
    QTest::newRow("3000/s (equal timestamps)") << 3000.0;
    QTest::newRow("7/s (sparse)") << 7.0;
    QTest::newRow("333.3/s (fractional)") << 333.3;
    QTest::newRow("0.5/s (slower than 1/s)") << 0.5;
}

void TestGenerator::eventTimes()
{
    QFETCH(double, rate);
    GeneratorConfig c = smallConfig(20000);
    c.eventTimeRate = rate;
    c.burstEveryMs = 0;
    GeneratorSource source(c);
    const auto events = allEvents(drain(source, 1000));
    QCOMPARE(events.size(), size_t(c.totalEvents));
    for (const LikeEvent &e : events) {
        int64_t offset;
        if (std::floor(rate) == rate)
            offset = static_cast<int64_t>((e.eventId - 1) * 1000 / static_cast<uint64_t>(rate));
        else
            offset = static_cast<int64_t>(std::floor(static_cast<double>(e.eventId - 1) * 1000.0 / rate));
        QCOMPARE(e.eventTimeMs, c.startTimeMs + offset);
    }
}

void TestGenerator::outOfOrderBounded()
{
    // The delay is not exposed, but its consequence is: within a partition an event never trails
    // the newest event time already delivered by more than the largest delay.
    GeneratorConfig c = smallConfig(200000);
    c.lateFraction = 0.01;
    c.lateDelayMs = 20000;
    c.meanDelayMs = 100; // the exponential tail stays far below lateDelayMs at this mean
    GeneratorSource source(c);
    std::vector<int64_t> newest(static_cast<size_t>(c.partitions), INT64_MIN);
    int64_t worst = 0;
    uint64_t outOfOrder = 0;
    for (const Delivered &b : drain(source, 1024)) {
        int64_t &top = newest[static_cast<size_t>(b.partition)];
        for (const LikeEvent &e : b.events) {
            if (top != INT64_MIN && e.eventTimeMs < top) {
                worst = std::max(worst, top - e.eventTimeMs);
                ++outOfOrder;
            }
            top = std::max(top, e.eventTimeMs);
        }
    }
    QVERIFY2(worst <= c.lateDelayMs, qPrintable(QString::number(worst)));
    QVERIFY(worst > c.lateDelayMs / 2); // the late tail is really there
    QVERIFY(outOfOrder > c.totalEvents / 10); // and delays really shuffle the stream
}

void TestGenerator::inOrderWithoutDelay()
{
    GeneratorConfig c = smallConfig(100000);
    c.lateFraction = 0;
    c.meanDelayMs = 0;
    c.eventTimeRate = 5000; // several events per millisecond
    GeneratorSource source(c);
    std::vector<int64_t> lastTime(static_cast<size_t>(c.partitions), INT64_MIN);
    std::vector<uint64_t> lastId(static_cast<size_t>(c.partitions), 0);
    for (const Delivered &b : drain(source, 333)) {
        for (const LikeEvent &e : b.events) {
            const auto p = static_cast<size_t>(b.partition);
            QVERIFY(e.eventTimeMs >= lastTime[p]);
            QVERIFY(e.eventId > lastId[p]);
            lastTime[p] = e.eventTimeMs;
            lastId[p] = e.eventId;
        }
    }
}

void TestGenerator::zipfRatio_data()
{
    QTest::addColumn<double>("s");
    QTest::addColumn<quint64>("n");
    for (double s : {0.5, 1.0, 1.1, 2.0}) {
        QTest::addRow("s=%.1f n=1000", s) << s << quint64(1000);
        QTest::addRow("s=%.1f n=1M", s) << s << quint64(1000000);
    }
}

void TestGenerator::zipfRatio()
{
    QFETCH(double, s);
    QFETCH(quint64, n);
    const ZipfSampler zipf(n, s);
    SplitMix uniform{12345};
    const int samples = 2000000;
    uint64_t rank1 = 0, rank2 = 0, maxRank = 0, minRank = UINT64_MAX;
    for (int i = 0; i < samples; ++i) {
        const uint64_t k = zipf(uniform);
        rank1 += k == 1;
        rank2 += k == 2;
        maxRank = std::max(maxRank, k);
        minRank = std::min(minRank, k);
    }
    QCOMPARE(minRank, uint64_t{1});
    QVERIFY(maxRank <= n);
    QVERIFY(maxRank > 2); // the tail is sampled too
    // Flat distributions over many ranks give ranks 1 and 2 few samples: the tolerance is four
    // standard errors of the ratio, and never tighter than 3%.
    const double ratio = double(rank1) / double(rank2);
    const double expected = std::pow(2.0, s);
    const double tolerance = std::max(0.03, 4 * std::sqrt(1.0 / double(rank1) + 1.0 / double(rank2)));
    QVERIFY2(std::abs(ratio / expected - 1) < tolerance,
             qPrintable(QStringLiteral("rank1/rank2 = %1, expected %2").arg(ratio).arg(expected)));
}

void TestGenerator::zipfMatchesPmf_data()
{
    QTest::addColumn<double>("s");
    QTest::addColumn<quint64>("n");
    QTest::newRow("uniform") << 0.0 << quint64(10);
    QTest::newRow("s=0.7") << 0.7 << quint64(20);
    QTest::newRow("s=1") << 1.0 << quint64(20);
    QTest::newRow("s=1.3") << 1.3 << quint64(12);
    QTest::newRow("s=3") << 3.0 << quint64(8);
}

void TestGenerator::zipfMatchesPmf()
{
    // Every rank against the exact probability: a biased squeeze or hat would show here.
    QFETCH(double, s);
    QFETCH(quint64, n);
    const ZipfSampler zipf(n, s);
    SplitMix uniform{777};
    const int samples = 400000;
    std::vector<int> counts(n + 1, 0);
    for (int i = 0; i < samples; ++i)
        ++counts[zipf(uniform)];
    double norm = 0;
    for (uint64_t k = 1; k <= n; ++k)
        norm += std::pow(double(k), -s);
    for (uint64_t k = 1; k <= n; ++k) {
        const double p = std::pow(double(k), -s) / norm;
        const double expected = p * samples;
        const double sigma = std::sqrt(samples * p * (1 - p));
        QVERIFY2(std::abs(counts[k] - expected) < 5 * sigma + 1,
                 qPrintable(QStringLiteral("rank %1: %2 vs %3").arg(k).arg(counts[k]).arg(expected)));
    }
}

void TestGenerator::zipfEdges()
{
    SplitMix uniform{1};
    const ZipfSampler one(1, 1.1);
    for (int i = 0; i < 1000; ++i)
        QCOMPARE(one(uniform), uint64_t{1});
    const ZipfSampler huge(uint64_t{1} << 40, 0.8); // no table: memory does not grow with n
    uint64_t beyondBillion = 0;
    for (int i = 0; i < 100000; ++i) {
        const uint64_t k = huge(uniform);
        QVERIFY(k >= 1 && k <= (uint64_t{1} << 40));
        beyondBillion += k > 1'000'000'000ULL;
    }
    QVERIFY(beyondBillion > 0);
    // The extreme ends of the uniform input stay in range (later draws are ordinary, in case the
    // extreme one is rejected).
    const ZipfSampler z(1000, 1.0);
    for (const double extreme : {0.0, std::nextafter(1.0, 0.0)}) {
        bool first = true;
        const uint64_t k = z([&] {
            const double u = first ? extreme : uniform();
            first = false;
            return u;
        });
        QVERIFY(k >= 1 && k <= 1000);
    }
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ZipfSampler(0, 1.0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ZipfSampler(10, -1.0));
}

void TestGenerator::postsAreZipf()
{
    GeneratorConfig c = smallConfig(300000);
    c.burstEveryMs = 0;
    c.postSkew = 1.1;
    GeneratorSource source(c);
    std::vector<uint64_t> counts(c.posts + 1, 0);
    for (const LikeEvent &e : allEvents(drain(source, 4096))) {
        QVERIFY(e.postId >= 1 && e.postId <= c.posts);
        ++counts[e.postId];
    }
    // id = rank: post 1 is the hottest, and post 1 vs post 2 follows 2^s.
    QCOMPARE(size_t(std::max_element(counts.begin() + 1, counts.end()) - counts.begin()), size_t{1});
    const double ratio = double(counts[1]) / double(counts[2]);
    QVERIFY2(std::abs(ratio / std::pow(2.0, 1.1) - 1) < 0.06, qPrintable(QString::number(ratio)));
}

void TestGenerator::bursts()
{
    GeneratorConfig c = smallConfig(0);
    c.eventTimeRate = 2000;
    c.burstEveryMs = 10000;
    c.burstDurationMs = 3000;
    c.burstShare = 0.4;
    c.totalEvents = uint64_t(2000 * 45); // 45 s of event time: bursts 1..4
    GeneratorSource source(c);
    QVERIFY(source.burstPost(1) >= 1 && source.burstPost(1) <= c.posts);
    QVERIFY(source.burstPost(1) > 1); // not the post that is hot anyway

    struct Window {
        uint64_t events = 0, celebrity = 0;
    };
    std::map<int64_t, Window> inBurst; // burst k -> counts
    uint64_t quietEvents = 0;
    std::map<uint64_t, uint64_t> quietByPost;
    for (const LikeEvent &e : allEvents(drain(source, 1000))) {
        const int64_t offset = e.eventTimeMs - c.startTimeMs;
        const int64_t k = offset / c.burstEveryMs;
        if (k >= 1 && offset - k * c.burstEveryMs < c.burstDurationMs) {
            Window &w = inBurst[k];
            ++w.events;
            w.celebrity += e.postId == source.burstPost(k);
        } else {
            ++quietEvents;
            ++quietByPost[e.postId];
        }
    }
    QCOMPARE(inBurst.size(), size_t{4});
    for (const auto &[k, w] : inBurst) {
        QCOMPARE(w.events, uint64_t(2000 * 3));
        const double share = double(w.celebrity) / double(w.events);
        QVERIFY2(std::abs(share - c.burstShare) < 0.03,
                 qPrintable(QStringLiteral("burst %1: share %2").arg(k).arg(share)));
        // Outside bursts the celebrity is an ordinary mid-popularity post.
        QVERIFY(double(quietByPost[source.burstPost(k)]) / double(quietEvents) < 0.01);
    }
}

void TestGenerator::spamUsers()
{
    GeneratorConfig c = smallConfig(200000);
    c.users = 100000;
    c.spamUserFraction = 0.001; // 100 spammers
    c.spamShare = 0.05;
    GeneratorSource source(c);

    uint64_t spammers = 0, firstSpammer = 0, lastSpammer = 0;
    for (uint64_t u = 1; u <= c.users; ++u) {
        if (source.isSpamUser(u)) {
            ++spammers;
            if (!firstSpammer)
                firstSpammer = u;
            lastSpammer = u;
        }
    }
    QCOMPARE(spammers, uint64_t{100});
    QVERIFY(lastSpammer - firstSpammer > c.users / 2); // spread across the id range
    QVERIFY(!source.isSpamUser(0));
    QVERIFY(!source.isSpamUser(c.users + 1));

    uint64_t fromSpammers = 0;
    std::set<uint64_t> activeSpammers;
    const auto events = allEvents(drain(source, 2048));
    for (const LikeEvent &e : events) {
        QVERIFY(e.userId >= 1 && e.userId <= c.users);
        if (source.isSpamUser(e.userId)) {
            ++fromSpammers;
            activeSpammers.insert(e.userId);
        }
    }
    // Normal traffic is uniform, so it hits spam ids at their share of all ids as well.
    const double expected = c.spamShare + (1 - c.spamShare) * 100.0 / double(c.users);
    const double share = double(fromSpammers) / double(events.size());
    QVERIFY2(std::abs(share - expected) < 0.004, qPrintable(QString::number(share)));
    QCOMPARE(activeSpammers.size(), size_t{100});
    // Per user, a spammer likes about (0.05 / 100) / (0.95 / 100000) = 50 times as often.
    const double perSpammer = double(fromSpammers) / 100.0;
    const double perUser = double(events.size() - fromSpammers) / double(c.users - 100);
    QVERIFY2(perSpammer > 40 * perUser, qPrintable(QString::number(perSpammer / perUser)));

    // A fraction that rounds to zero spammers still yields one.
    GeneratorConfig tiny = c;
    tiny.spamUserFraction = 0;
    GeneratorSource one(tiny);
    uint64_t count = 0;
    for (uint64_t u = 1; u <= c.users; ++u)
        count += one.isSpamUser(u);
    QCOMPARE(count, uint64_t{1});
}

void TestGenerator::fractions_data()
{
    QTest::addColumn<double>("unlike");
    QTest::addColumn<double>("v2");
    QTest::newRow("defaults") << 0.05 << 0.5;
    QTest::newRow("none") << 0.0 << 0.0;
    QTest::newRow("all") << 1.0 << 1.0;
    QTest::newRow("skewed") << 0.3 << 0.1;
}

void TestGenerator::fractions()
{
    QFETCH(double, unlike);
    QFETCH(double, v2);
    GeneratorConfig c = smallConfig(100000);
    c.unlikeFraction = unlike;
    c.v2Fraction = v2;
    GeneratorSource source(c);
    uint64_t unlikes = 0, v2s = 0, total = 0;
    for (const LikeEvent &e : allEvents(drain(source, 4096))) {
        ++total;
        unlikes += e.action == Action::Unlike;
        if (e.schemaVersion == 2) {
            ++v2s;
            QVERIFY(e.deviceType != DeviceType::None);
        } else {
            QCOMPARE(e.schemaVersion, uint8_t{1});
            QCOMPARE(e.deviceType, DeviceType::None);
        }
    }
    QVERIFY(std::abs(double(unlikes) / double(total) - unlike) < 0.01);
    QVERIFY(std::abs(double(v2s) / double(total) - v2) < 0.01);
}

void TestGenerator::regionsAndDevices()
{
    GeneratorConfig c = smallConfig(200000);
    c.v2Fraction = 1;
    GeneratorSource source(c);
    std::map<RegionCode, uint64_t> regions;
    std::map<DeviceType, uint64_t> devices;
    for (const LikeEvent &e : allEvents(drain(source, 4096))) {
        ++regions[e.region];
        ++devices[e.deviceType];
    }
    QVERIFY(regions.size() >= 25 && regions.size() <= 40);
    for (const auto &[code, n] : regions)
        QVERIFY(parseRegion(regionName(code)) == code);
    const auto us = regions[*parseRegion("US")], in = regions[*parseRegion("IN")], br = regions[*parseRegion("BR")];
    QVERIFY(us > in && in > br);
    QVERIFY(std::abs(double(us) / double(in) / std::pow(2.0, c.regionSkew) - 1) < 0.05);
    QCOMPARE(devices.size(), size_t{4});
    QVERIFY(devices[DeviceType::Android] > devices[DeviceType::Web]);
    QVERIFY(devices[DeviceType::Ios] > devices[DeviceType::Other]);
}

void TestGenerator::unboundedStaysBounded()
{
    // All traffic on one partition (a single post) while three others are polled too: polls of the
    // cold partitions must not pile events up without limit.
    GeneratorConfig c;
    c.posts = 1;
    c.burstEveryMs = 0;
    c.partitions = 4;
    GeneratorSource source(c);
    SourceBatch batch;
    uint64_t delivered = 0, idle = 0;
    for (int i = 0; i < 4000; ++i) {
        const auto status = source.poll(batch, 256);
        QVERIFY(status != Source::PollStatus::End);
        QVERIFY(batch.size() <= 256);
        delivered += batch.size();
        idle += status == Source::PollStatus::Idle;
        QVERIFY2(source.generated() - delivered < 256 * 4 * 8 + 10000,
                 qPrintable(QString::number(source.generated() - delivered)));
    }
    QVERIFY(delivered > 256 * 500);
    QVERIFY(idle > 0);
}

void TestGenerator::invalidConfigThrows()
{
    auto throwsFor = [](auto change) {
        GeneratorConfig c;
        change(c);
        try {
            GeneratorSource s(c);
        } catch (const std::invalid_argument &) {
            return true;
        }
        return false;
    };
    QVERIFY(throwsFor([](GeneratorConfig &c) { c.partitions = 0; }));
    QVERIFY(throwsFor([](GeneratorConfig &c) { c.silentPartitions = c.partitions; }));
    QVERIFY(throwsFor([](GeneratorConfig &c) { c.posts = 0; }));
    QVERIFY(throwsFor([](GeneratorConfig &c) { c.eventTimeRate = 0; }));
    QVERIFY(!throwsFor([](GeneratorConfig &c) { c.silentPartitions = c.partitions - 1; }));
}

void TestGenerator::serializedMatchesDecoded_data()
{
    QTest::addColumn<int>("format");
    QTest::newRow("json") << int(WireFormat::Json);
    QTest::newRow("protobuf") << int(WireFormat::Protobuf);
}

void TestGenerator::serializedMatchesDecoded()
{
    QFETCH(int, format);
    GeneratorConfig c = smallConfig(20000);
    GeneratorSource decoded(c);
    c.serialized = true;
    c.format = static_cast<WireFormat>(format);
    GeneratorSource serialized(c);

    const auto plain = drain(decoded, 300);
    const auto framed = drain(serialized, 300);
    QCOMPARE(framed.size(), plain.size());
    RecordDecoder decoder;
    for (size_t i = 0; i < plain.size(); ++i) {
        QCOMPARE(framed[i].partition, plain[i].partition);
        QCOMPARE(framed[i].firstOffset, plain[i].firstOffset);
        QVERIFY(framed[i].events.empty());
        QCOMPARE(framed[i].records.size(), plain[i].events.size());
        for (size_t j = 0; j < framed[i].records.size(); ++j) {
            const DecodeResult r = decoder.decode(framed[i].records[j]);
            if (const auto *err = std::get_if<DecodeError>(&r))
                QFAIL(qPrintable(QString::fromStdString(err->detail)));
            QVERIFY(std::get<LikeEvent>(r) == plain[i].events[j]);
        }
    }
    QCOMPARE(serialized.corrupted(), uint64_t{0});
}

void TestGenerator::malformedRecordsCounted_data()
{
    QTest::addColumn<int>("format");
    QTest::newRow("json") << int(WireFormat::Json);
    QTest::newRow("protobuf") << int(WireFormat::Protobuf);
}

void TestGenerator::malformedRecordsCounted()
{
    QFETCH(int, format);
    GeneratorConfig c = smallConfig(40000);
    GeneratorSource decoded(c);
    c.serialized = true;
    c.format = static_cast<WireFormat>(format);
    c.malformedFraction = 0.05;
    GeneratorSource serialized(c);

    std::vector<LikeEvent> expected = allEvents(drain(decoded, 500));
    RecordDecoder decoder;
    uint64_t rejected = 0;
    std::map<RejectReason, uint64_t> reasons;
    std::vector<LikeEvent> accepted;
    for (const Delivered &b : drain(serialized, 500)) {
        for (const std::string &rec : b.records) {
            const DecodeResult r = decoder.decode(rec);
            if (const auto *e = std::get_if<LikeEvent>(&r)) {
                accepted.push_back(*e);
            } else {
                ++rejected;
                ++reasons[std::get<DecodeError>(r).reason];
            }
        }
    }
    QCOMPARE(rejected, serialized.corrupted());
    QVERIFY(std::abs(double(rejected) / double(c.totalEvents) - c.malformedFraction) < 0.01);
    QCOMPARE(uint64_t(accepted.size() + rejected), c.totalEvents);
    QVERIFY2(reasons.size() >= 4, qPrintable(QString::number(reasons.size()))); // varied corruption
    // The records that survive are exactly the decoded stream minus the corrupted ones.
    size_t j = 0;
    for (const LikeEvent &e : accepted) {
        while (j < expected.size() && expected[j].eventId != e.eventId)
            ++j;
        QVERIFY(j < expected.size());
        QVERIFY(expected[j] == e);
    }
}

void TestGenerator::pacing()
{
    GeneratorConfig c;
    c.eventsPerSecond = 20000;
    GeneratorSource source(c);
    SourceBatch batch;
    uint64_t delivered = 0;
    const auto start = std::chrono::steady_clock::now();
    const auto stop = start + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < stop) {
        (void)source.poll(batch, 100);
        delivered += batch.size();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double expected = c.eventsPerSecond * seconds;
    QVERIFY2(std::abs(double(delivered) / expected - 1) < 0.3,
             qPrintable(QStringLiteral("%1 delivered, %2 expected").arg(delivered).arg(expected)));
}

void TestGenerator::seekResumesTheSameStream_data()
{
    QTest::addColumn<bool>("serialized");
    QTest::newRow("decoded events") << false;
    QTest::newRow("serialized records, some corrupted") << true;
}

// A generator that seeks to positions (a restore, a rescale) delivers exactly what the same
// generator delivers from there on, partition by partition, events or wire records alike.
void TestGenerator::seekResumesTheSameStream()
{
    QFETCH(bool, serialized);
    GeneratorConfig c = smallConfig(20000);
    c.partitions = 3;
    c.serialized = serialized;
    c.malformedFraction = serialized ? 0.05 : 0.0;
    GeneratorSource whole(c);
    // Each partition's stream as one list of records (events printed, or wire bytes).
    // Batches come in offset order, without gaps: the first from its partition's position.
    bool contiguous = true;
    const auto byPartition = [&](const std::vector<Delivered> &batches, const std::vector<int64_t> &from) {
        std::vector<std::vector<std::string>> out(static_cast<size_t>(c.partitions));
        for (const Delivered &b : batches) {
            auto &p = out[static_cast<size_t>(b.partition)];
            contiguous = contiguous && b.firstOffset == from[static_cast<size_t>(b.partition)] + static_cast<int64_t>(p.size());
            for (const LikeEvent &e : b.events)
                p.push_back(std::to_string(e.eventId) + "/" + std::to_string(e.eventTimeMs));
            for (const std::string &r : b.records)
                p.push_back(r);
        }
        return out;
    };
    bool ended = false;
    const auto all = byPartition(drain(whole, 97, &ended), std::vector<int64_t>(static_cast<size_t>(c.partitions), 0));
    QVERIFY(ended);
    QVERIFY(contiguous);
    std::vector<int64_t> positions;
    for (const auto &p : all)
        positions.push_back(static_cast<int64_t>(p.size() / 3)); // a third of the way in
    GeneratorSource resumed(c);
    QVERIFY(resumed.seek(positions).isOk());
    const auto rest = byPartition(drain(resumed, 97, &ended), positions);
    QVERIFY(ended);
    QVERIFY(contiguous);
    for (size_t p = 0; p < all.size(); ++p) {
        const std::vector<std::string> expected(all[p].begin() + positions[p], all[p].end());
        QCOMPARE(rest[p].size(), expected.size());
        QVERIFY2(rest[p] == expected, qPrintable(QStringLiteral("partition %1 differs after the seek").arg(p)));
    }
}

QTEST_GUILESS_MAIN(TestGenerator)
#include "tst_generator.moc"
