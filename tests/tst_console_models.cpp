// The console's models: each passes QAbstractItemModelTester while it is fed snapshots, and maps a
// known snapshot to known rows in English, with the UiText behind each text for the views to
// translate. Snapshots are made from known job statuses (rates and shares over the interval
// between two), and a real job's snapshot shows what the job's status says. Alerts fire after their hold time and resolve, evaluated by the host on every sample;
// the audit log keeps what it is given. The action catalogue describes every action once and the
// host refuses parameters it does not accept, with the catalogue's message.
#include "models/action_catalogue.h"
#include "models/alerts.h"
#include "models/lag_status.h"
#include "models/audit_log.h"
#include "models/console_snapshot.h"
#include "models/engine_host.h"
#include "models/restore_point_model.h"
#include "models/snapshot_models.h"
#include "runtime/live_results.h"
#include "state/key_groups.h"

#include <QAbstractItemModelTester>
#include <QtTest>

using namespace tally;

namespace {

QString cell(const QAbstractItemModel &m, int row, int column)
{
    return m.data(m.index(row, column)).toString();
}

// Row whose first column reads `name`, or -1.
int rowNamed(const QAbstractItemModel &m, const QString &name)
{
    for (int r = 0; r < m.rowCount(); ++r)
        if (cell(m, r, 0) == name)
            return r;
    return -1;
}

// A host on the generator writing into `dir`, started.
std::unique_ptr<EngineHost> startHost(const QTemporaryDir &dir, uint64_t events = 200000)
{
    EngineOptions options;
    options.config.source.generator.totalEvents = events;
    options.config.source.generator.eventsPerSecond = 100000;
    options.config.output.sqlitePath = dir.filePath(QStringLiteral("tally.db")).toStdString();
    options.auditPath = dir.filePath(QStringLiteral("audit.db"));
    QString error;
    auto host = EngineHost::create(options, &error);
    if (!host || !host->start().isOk())
        qWarning("cannot start the host: %s", qPrintable(error));
    return host;
}

// `count` sink writes of `us` microseconds each, added to `h`.
void record(Histogram &h, int count, uint64_t us)
{
    for (int i = 0; i < count; ++i)
        h.record(us);
}

// What a Kafka job reports after `seconds` of steady work: 12,345 events/s, 678 rows/s; three
// partitions, of which partition 1 takes 90% of the records and partition 2 is idle; the source
// backpressured 70% of the time and ingest busy 95%; a PostgreSQL sink with its circuit open whose
// writes all take 12 ms.
JobStatus knownStatus(uint64_t seconds)
{
    JobStatus j;
    j.state = JobStatus::State::Running;
    j.recordsIn = 12400 * seconds;
    j.eventsIn = 12345 * seconds;
    j.deadLetters = 55 * seconds;
    j.droppedEvents = 3 * seconds;
    j.rowsOut = 678 * seconds;
    j.watermarkMs = 1767225600000; // 2026-01-01 00:00:00 UTC
    j.watermarkSkewMs = 1500;
    j.partitions = {{0, 100 * seconds, 1767225600000, false, 10.0, 0.5},
                    {1, 900 * seconds, 1767225599000, false, 4000.0, 4.5},
                    {2, 0, 0, true, std::nullopt, std::nullopt}};
    constexpr uint64_t ms = 1'000'000; // ns
    j.operators = {{"source", OperatorKind::Source, 0, 200 * ms * seconds, 100 * ms * seconds, 700 * ms * seconds,
                    12400 * seconds, 12400 * seconds},
                   {"ingest", OperatorKind::Ingest, 0, 950 * ms * seconds, 50 * ms * seconds, 0, 12345 * seconds, 500 * seconds},
                   {"output", OperatorKind::Output, 0, 100 * ms * seconds, 900 * ms * seconds, 0, 678 * seconds, 678 * seconds}};
    SinkStatus k;
    k.name = "postgres";
    k.circuit = CircuitBreaker::State::Open;
    k.pendingRows = 2500;
    k.committedEpoch = 42;
    k.lastWindowEndMs = 1767225600000;
    k.rowsWritten = 678 * seconds;
    k.retries = 2 * seconds;
    k.transientErrors = seconds;
    Histogram latency;
    record(latency, static_cast<int>(10 * seconds), 12000);
    k.writeLatencyUs = latency.snapshot();
    j.sink = k;
    j.timeToCatchUpSeconds = 30;
    return j;
}

// The console's snapshot of knownStatus(10), one second after that of knownStatus(9), with some
// live windows.
ConsoleSnapshot knownSnapshot(int64_t atMs = 1'000'000)
{
    const ConsoleSnapshot before = consoleSnapshotFromStatus(knownStatus(9), true, nullptr, atMs - 1000);
    ConsoleSnapshot s = consoleSnapshotFromStatus(knownStatus(10), true, &before, atMs);
    s.windows = {{Aggregation::LikesPerPost, 1767225540000, 1767225600000, {{7, 500, false}, {3, 200, false}}},
                 {Aggregation::LikesByRegion, 1767225540000, 1767225600000, {{regionKey(*parseRegion("US")), 900, false}}},
                 {Aggregation::LikesByRegion, 1767222000000, 1767225600000, {{regionKey(*parseRegion("DE")), 50, false}}},
                 {Aggregation::LikeVelocity, 1767224700000, 1767225600000, {{7, 150, true}, {9, 20, false}}}};
    return s;
}

// The known snapshot's sink with its circuit closed and nothing pending, for tests of other rules.
void makeSinkHealthy(ConsoleSnapshot &s)
{
    s.job.sink->circuit = CircuitBreaker::State::Closed;
    s.job.sink->pendingRows = 0;
}

// A snapshot at `ms` in which no alert rule holds: input flows over balanced partitions, nothing
// is backpressured, there is no lag, the sink (circuit closed, nothing pending) has committed the
// epoch of each second, a checkpoint (every second) completed half a second ago, the broker is up.
ConsoleSnapshot healthySnapshot(int64_t ms)
{
    ConsoleSnapshot s = knownSnapshot(ms);
    s.operators.clear();
    for (PartitionFigures &p : s.partitions)
        p.recordsPerSecond = 100;
    s.lagSeconds = 0;
    makeSinkHealthy(s);
    const uint64_t epoch = static_cast<uint64_t>(ms / 1000);
    s.job.sink->committedEpoch = epoch;
    s.job.committedEpoch = epoch;
    s.job.checkpointsEnabled = true;
    s.job.checkpointIntervalMs = 1000;
    s.job.checkpoints = {{.epoch = epoch, .triggeredAtMs = ms - 500, .durationMs = 100, .completed = true}};
    s.metrics.samples = {MetricSample{.name = "tally_kafka_broker_up", .kind = MetricKind::Gauge, .value = 1}};
    return s;
}

// The figures of `s` say what `j` says: every count as the job reports it, nothing read elsewhere.
void compareWithStatus(const ConsoleSnapshot &s, const JobStatus &j)
{
    QCOMPARE(s.job.recordsIn, j.recordsIn);
    QCOMPARE(s.job.eventsIn, j.eventsIn);
    QCOMPARE(s.job.rowsOut, j.rowsOut);
    QCOMPARE(s.job.deadLetters, j.deadLetters);
    QCOMPARE(s.job.droppedEvents, j.droppedEvents);
    QCOMPARE(s.job.watermarkMs, j.watermarkMs);
    QCOMPARE(s.job.checkpoints.size(), j.checkpoints.size());
    QCOMPARE(s.partitions.size(), j.partitions.size());
    double lag = 0;
    for (size_t i = 0; i < j.partitions.size(); ++i) {
        const PartitionStatus &p = j.partitions[i];
        const PartitionFigures &f = s.partitions[i];
        QCOMPARE(f.partition, p.partition);
        QCOMPARE(f.records, p.records);
        QCOMPARE(f.watermarkMs, p.watermarkMs);
        QCOMPARE(f.idle, p.idle);
        QCOMPARE(f.lagRecords, p.lagRecords);
        QCOMPARE(f.lagSeconds, p.lagSeconds);
        lag = std::max(lag, p.lagSeconds.value_or(0));
    }
    QCOMPARE(s.lagSeconds, lag);
    QCOMPARE(s.timeToCatchUpSeconds, j.timeToCatchUpSeconds.value_or(0));
    QCOMPARE(s.operators.size(), j.operators.size());
    for (size_t i = 0; i < j.operators.size(); ++i) {
        QCOMPARE(s.operators[i].name, j.operators[i].name);
        QCOMPARE(s.operators[i].kind, j.operators[i].kind);
    }
    QCOMPARE(s.sink.present, j.sink.has_value());
    if (!j.sink)
        return;
    const SinkStatus &k = *j.sink;
    QCOMPARE(s.sink.name, k.name);
    QCOMPARE(s.sink.circuit, k.circuit);
    QCOMPARE(s.sink.held, k.held);
    QCOMPARE(s.sink.pendingRows, k.pendingRows);
    QCOMPARE(s.sink.divertedRows, k.divertedRows);
    QCOMPARE(s.sink.retries, k.retries);
    QCOMPARE(s.sink.transientErrors, k.transientErrors);
    QCOMPARE(s.sink.rejectedRows, k.rejectedRows);
    QCOMPARE(s.sink.committedEpoch, k.committedEpoch);
    QCOMPARE(s.sink.lastWindowEndMs, k.lastWindowEndMs);
    QCOMPARE(s.sink.p50Ms, k.writeLatencyUs.quantile(0.5) / 1000);
    QCOMPARE(s.sink.p99Ms, k.writeLatencyUs.quantile(0.99) / 1000);
    QCOMPARE(s.sink.maxMs, static_cast<double>(k.writeLatencyUs.max) / 1000);
}

template <typename Model>
void checkWithTester(Model &model, const ConsoleSnapshot &first, const ConsoleSnapshot &second)
{
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setSnapshot(first);
    model.setSnapshot(first);  // same shape: dataChanged
    model.setSnapshot(second); // other shape: reset
    model.setSnapshot(ConsoleSnapshot{});
    model.setSnapshot(first);
}

} // namespace

class TestConsoleModels : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates)); }

    void everyModelPassesTheTester()
    {
        ConsoleSnapshot shrunk = knownSnapshot();
        shrunk.partitions.resize(1);
        shrunk.operators.resize(1);
        shrunk.windows.resize(1);
        shrunk.sink.present = false;
        OverviewModel overview;
        PartitionModel partitions;
        OperatorModel operators;
        SinkModel sink;
        CheckpointModel checkpoints;
        WindowLeadersModel posts(Aggregation::LikesPerPost);
        checkWithTester(overview, knownSnapshot(), shrunk);
        checkWithTester(partitions, knownSnapshot(), shrunk);
        checkWithTester(operators, knownSnapshot(), shrunk);
        checkWithTester(sink, knownSnapshot(), shrunk);
        checkWithTester(checkpoints, knownSnapshot(), shrunk);
        checkWithTester(posts, knownSnapshot(), shrunk);
        AlertModel alerts;
        QAbstractItemModelTester tester(&alerts, QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (int i = 0; i < 40; ++i)
            alerts.evaluate(knownSnapshot(1'000'000 + i * 1000));
    }

    // Each view watches its own post: only watched posts keep windows, from their first ask on;
    // a delete reads 0; at most kMaxWatched posts, the one asked for longest ago giving way, but
    // never the console's own (pinned) post.
    void liveResultsWatchPostsPerView()
    {
        LiveResults live;
        const auto likes = [](uint64_t post, int64_t start, int64_t value) {
            return OutputRow{Aggregation::LikesPerPost, OutputRow::Kind::Upsert, false, start, start + 60000, post, value, 0};
        };
        live.note(std::vector{likes(1, 0, 5)}); // before anyone watches
        live.watchPost(1);
        live.watchPost(2);
        QVERIFY(!live.history(3).has_value());
        live.note(std::vector{likes(1, 60000, 7), likes(2, 60000, 3), likes(3, 60000, 9), likes(1, 120000, 4)});
        OutputRow gone = likes(2, 60000, 0);
        gone.kind = OutputRow::Kind::Delete;
        live.note(std::vector{gone, likes(2, 0, 1)}); // a late re-fire of an older window sorts first
        const std::vector<WindowValue> one = *live.history(1);
        QCOMPARE(one.size(), size_t(2));
        QCOMPARE(one[0].windowStartMs, int64_t(60000));
        QCOMPARE(one[0].value, int64_t(7));
        QCOMPARE(one[1].value, int64_t(4));
        const std::vector<WindowValue> two = *live.history(2);
        QCOMPARE(two.size(), size_t(2));
        QCOMPARE(two[0].windowStartMs, int64_t(0));
        QCOMPARE(two[1].value, int64_t(0));
        QVERIFY(!live.history(3).has_value());
        // A full set: post 2 was asked for longest ago once post 1 is asked again.
        live.watchPost(1);
        for (uint64_t post = 100; live.watchedCount() < LiveResults::kMaxWatched; ++post)
            live.watchPost(post);
        live.watchPost(1);
        live.watchPost(99999);
        QCOMPARE(live.watchedCount(), LiveResults::kMaxWatched);
        QVERIFY(live.history(1).has_value());
        QVERIFY(!live.history(2).has_value());
        QVERIFY(live.history(99999).has_value());
        // The console's own post stays whatever other views ask for.
        live.pinPost(7);
        live.note(std::vector{likes(7, 0, 3)});
        for (uint64_t post = 1000; post < 1000 + 2 * LiveResults::kMaxWatched; ++post)
            live.watchPost(post);
        QCOMPARE(live.watchedCount(), LiveResults::kMaxWatched);
        QVERIFY(live.history(7).has_value());
        QCOMPARE(live.history(7)->front().value, int64_t(3));
        live.watchPost(99999);
        // At most kHistory windows per post, the newest.
        std::vector<OutputRow> many;
        for (size_t i = 0; i < LiveResults::kHistory + 10; ++i)
            many.push_back(likes(99999, static_cast<int64_t>(i) * 60000, 1));
        live.note(many);
        QCOMPARE(live.history(99999)->size(), LiveResults::kHistory);
        QCOMPARE(live.history(99999)->front().windowStartMs, int64_t(10 * 60000));
    }

    // The command that continues from a file is one a POSIX shell reads back as that path.
    void restoreCommandQuotesThePath()
    {
        RestorePoint p;
        p.path = "/var/lib/tally/savepoints/savepoint-12-1700000000000.tsp";
        QCOMPARE(restoreCommand(p), QStringLiteral("tally --restore /var/lib/tally/savepoints/savepoint-12-1700000000000.tsp"));
        p.path = "/home/o'neil/my savepoints/savepoint-1-2.tsp";
        QCOMPARE(restoreCommand(p), QStringLiteral("tally --restore '/home/o'\\''neil/my savepoints/savepoint-1-2.tsp'"));
    }

    void overviewShowsTheHeadlines()
    {
        OverviewModel m;
        m.setActiveAlerts(2);
        m.setSnapshot(knownSnapshot());
        QCOMPARE(cell(m, rowNamed(m, QStringLiteral("Throughput in")), 1), QStringLiteral("12,345/s"));
        QCOMPARE(cell(m, rowNamed(m, QStringLiteral("Likes counted up to")), 1), QStringLiteral("2026-01-01 00:00:00 UTC"));
        QCOMPARE(cell(m, rowNamed(m, QStringLiteral("Consumer lag")), 1), QStringLiteral("4.5 s"));
        QCOMPARE(cell(m, rowNamed(m, QStringLiteral("Sink")), 1), QStringLiteral("postgres: open (paused after errors, retrying)"));
        QCOMPARE(cell(m, rowNamed(m, QStringLiteral("Active alerts")), 1), QStringLiteral("2"));
        QVERIFY(m.data(m.index(rowNamed(m, QStringLiteral("Sink")), 0), kHighlightRole).toBool());
    }

    // Capacity: "measuring" until the operators' costs are known; then the ceiling, its owner,
    // the headroom, and the burst forecast (the arithmetic itself is tst_capacity's).
    void overviewShowsCapacity()
    {
        ConsoleSnapshot s = knownSnapshot();
        s.capacity.reset();
        OverviewModel m;
        m.setSnapshot(s);
        QCOMPARE(cell(m, rowNamed(m, QStringLiteral("Capacity")), 1), QStringLiteral("measuring (needs more input)"));
        QCOMPARE(rowNamed(m, QStringLiteral("A 500K/s burst for 1 min")), -1);
        // 100K records/s; window-0 uses 400 ms of CPU each second: 250K/s; 16 cores do not limit.
        CapacityModel model;
        model.parallelism = 1;
        model.smoothedInputPerSecond = 100000;
        model.costs = {{OperatorKind::Source, 1, 1000, 1000, "source"}, {OperatorKind::Window, 1, 4000, 4000, "window-0"}};
        s.capacity = model;
        s.cores = 16;
        m.setSnapshot(s);
        QCOMPARE(cell(m, rowNamed(m, QStringLiteral("Capacity")), 1),
                 QStringLiteral("about 250,000 records/s (2.5 times the input), limited by window-0"));
        // 500K/s for 60 s against 250K/s: 15M pile up; the 150K/s spare clear them in 100 s.
        QCOMPARE(cell(m, rowNamed(m, QStringLiteral("A 500K/s burst for 1 min")), 1),
                 QStringLiteral("lag peaks at 15,000,000 records, cleared 1 min 40 s after the burst"));
    }

    // While the tasks load a restored state, the overview says from what, how far, how long.
    void overviewShowsARestoreInProgress()
    {
        ConsoleSnapshot s = knownSnapshot();
        OverviewModel m;
        m.setSnapshot(s);
        QCOMPARE(rowNamed(m, QStringLiteral("Restoring")), -1);
        s.job.restoring = JobStatus::Restoring{"checkpoint /var/lib/tally/checkpoints/checkpoint-7-1.tsp", 1, 4, 12500};
        m.setSnapshot(s);
        const int row = rowNamed(m, QStringLiteral("Restoring"));
        QVERIFY(row >= 0);
        QCOMPARE(cell(m, row, 1),
                 QStringLiteral("from checkpoint /var/lib/tally/checkpoints/checkpoint-7-1.tsp: 1 of 4 window tasks loaded, 12.5 s so far"));
        QVERIFY(m.data(m.index(row, 0), kHighlightRole).toBool());
    }

    // The Kafka page's tables: records between log start and end, the group's lag, the owner
    // (this process's marked), and highlights for a partition without a leader, one with fewer
    // in-sync replicas than replicas, and one nobody in the group owns.
    void kafkaTablesShowTheTopicAndGroup()
    {
        ConsoleSnapshot s = knownSnapshot();
        KafkaPartitionModel partitions;
        KafkaMemberModel members;
        partitions.setSnapshot(s);
        members.setSnapshot(s);
        QCOMPARE(partitions.rowCount(), 0); // no topic: the generator
        TopicView v;
        v.topic = "likes";
        v.group = "tally";
        v.refreshedAtMs = 1767225600000;
        v.brokers = {{1, "127.0.0.1", 9092}, {2, "127.0.0.1", 9093}};
        v.groupState = "Stable";
        v.assignor = "cooperative-sticky";
        v.coordinator = 2;
        const std::string self = "tally-5e2b4c5e-1111-2222-3333-444455556666", other = "tally-0b7b1d3a-aaaa-bbbb-cccc-ddddeeeeffff";
        v.partitions = {{0, 1, {1, 2}, {1, 2}, 100, 1100, 1000, self},
                        {1, -1, {1, 2}, {}, 0, 500, -1, other},
                        {2, 2, {2, 1}, {2}, 0, 700, 650, other},
                        {3, 1, {1, 2}, {1, 2}, 0, 10, 10, ""}};
        v.members = {{other, "tally", "/10.0.0.2", "", {1, 2}, false}, {self, "tally", "/10.0.0.1", "node-a", {0}, true}};
        s.job.topic = v;
        partitions.setSnapshot(s);
        members.setSnapshot(s);
        QCOMPARE(partitions.rowCount(), 4);
        QCOMPARE(cell(partitions, 0, 6), formatCount(1000));      // records: end - start
        QCOMPARE(cell(partitions, 0, 8), formatCount(100));       // group lag: end - group offset
        QCOMPARE(cell(partitions, 0, 9), QStringLiteral("tally-5e2b4c5e\u2026 (this process)"));
        QCOMPARE(cell(partitions, 1, 1), QStringLiteral("none")); // no leader
        QCOMPARE(cell(partitions, 1, 7), QStringLiteral("-"));    // nothing committed
        QCOMPARE(cell(partitions, 1, 8), QStringLiteral("-"));
        QCOMPARE(cell(partitions, 2, 2), QStringLiteral("2, 1"));
        QCOMPARE(cell(partitions, 3, 9), QStringLiteral("-"));
        const auto highlighted = [&](int row) { return partitions.data(partitions.index(row, 0), kHighlightRole).toBool(); };
        QVERIFY(!highlighted(0));
        QVERIFY(highlighted(1)); // leaderless
        QVERIFY(highlighted(2)); // under-replicated
        QVERIFY(highlighted(3)); // owned by nobody while the group has members
        QCOMPARE(members.rowCount(), 2);
        QCOMPARE(cell(members, 1, 0), QStringLiteral("tally-5e2b4c5e\u2026 (this process)"));
        QCOMPARE(cell(members, 1, 3), QStringLiteral("node-a"));
        QCOMPARE(cell(members, 0, 4), QStringLiteral("1, 2"));
        QCOMPARE(formatTopicSummary(v).english(),
                 QStringLiteral("Topic likes: 4 partitions, brokers 1 (127.0.0.1:9092), 2 (127.0.0.1:9093). Group tally: "
                                "Stable, members: 2 (cooperative-sticky), coordinator broker 2. Described at %1.")
                     .arg(formatClockTime(v.refreshedAtMs)));
        v.error = "group: no answer in time";
        QVERIFY(formatTopicSummary(v).english().endsWith(
            QStringLiteral("The last description failed: group: no answer in time (the figures are older).")));
    }

    // Freshness: where the database stands, its age, and parts that add up to the age; it does
    // not go back when a new job's sink has stored nothing yet.
    void freshnessAddsUpToItsParts()
    {
        JobStatus j = knownStatus(10);          // watermark 2026-01-01 00:00:00, partition lag up to 4.5 s
        j.windowsHandedOverByMs = 1767225598000; // fired windows wait 2 s for their epoch
        j.sink->upToDateMs = 1767225597500;     // and 0.5 s in the sink
        const int64_t now = 1767225610000;      // 00:00:10
        const ConsoleSnapshot s = consoleSnapshotFromStatus(j, true, nullptr, now);
        const Freshness &f = s.freshness;
        QCOMPARE(f.upToDateMs, std::optional<int64_t>(1767225597500));
        QCOMPARE(f.ageSeconds, std::optional<double>(12.5));
        QCOMPARE(f.sourceLagSeconds, 4.5);
        QCOMPARE(f.watermarkDelaySeconds, 5.5);
        QCOMPARE(f.firingSeconds, 2.0);
        QCOMPARE(f.sinkSeconds, 0.5);
        QCOMPARE(f.sourceLagSeconds + f.watermarkDelaySeconds + f.firingSeconds + f.sinkSeconds, *f.ageSeconds);

        OverviewModel m;
        m.setSnapshot(s);
        QCOMPARE(cell(m, rowNamed(m, QStringLiteral("Database up to date to")), 1),
                 QStringLiteral("2025-12-31 23:59:57 UTC (12.5 s behind)"));
        QCOMPARE(cell(m, rowNamed(m, QStringLiteral("Behind by")), 1),
                 QStringLiteral("Kafka lag 4.5 s + watermark 5.5 s + firing 2.0 s + sink 500 ms"));

        // A new job whose sink has stored nothing: the database still holds what it held.
        JobStatus fresh = knownStatus(1);
        fresh.sink->upToDateMs.reset();
        ConsoleSnapshot next = consoleSnapshotFromStatus(fresh, true, nullptr, now + 1000);
        QCOMPARE(next.freshness.upToDateMs, std::nullopt);
        QCOMPARE(formatFreshness(next.freshness).english(), QStringLiteral("nothing stored yet"));
        QCOMPARE(computeFreshness(next, &f).upToDateMs, f.upToDateMs);
        QCOMPARE(computeFreshness(next, &f).ageSeconds, std::optional<double>(13.5));

        // The input ended: every window is stored.
        j.sink->upToDateMs = kMaxWatermark;
        const Freshness done = consoleSnapshotFromStatus(j, true, nullptr, now).freshness;
        QVERIFY(done.complete);
        QCOMPARE(done.ageSeconds, std::nullopt);
        QCOMPARE(formatFreshness(done).english(), QStringLiteral("every window (input ended)"));
    }

    // results_stale fires once the database has been further behind than its threshold for
    // 10 s; threshold 0 (alerts.stale_after_ms = 0) turns it off.
    void staleResultsAlert_data()
    {
        QTest::addColumn<double>("threshold");
        QTest::addColumn<bool>("fires");
        QTest::newRow("60 s bound, 70 s behind") << 60.0 << true;
        QTest::newRow("80 s bound, 70 s behind") << 80.0 << false;
        QTest::newRow("off") << 0.0 << false;
    }
    void staleResultsAlert()
    {
        QFETCH(double, threshold);
        QFETCH(bool, fires);
        AlertModel alerts;
        alerts.setThreshold(QStringLiteral("results_stale"), threshold);
        for (int i = 0; i <= 12; ++i) {
            const int64_t now = 1767225600000 + i * 1000;
            ConsoleSnapshot s = healthySnapshot(now);
            s.job.sink->upToDateMs = now - 70000;
            s.freshness = computeFreshness(s, nullptr);
            alerts.evaluate(s);
        }
        QCOMPARE(alerts.isActive(QStringLiteral("results_stale")), fires);
    }

    // Burrow's status per partition over the window of the group's commits, one sample a second.
    void lagStatusOverTheWindow_data()
    {
        QTest::addColumn<QString>("story");
        QTest::addColumn<QString>("expected");
        QTest::newRow("offsets move, lag steady") << "steady" << "OK";
        QTest::newRow("offsets move, lag grows") << "growing" << "WARN";
        QTest::newRow("commits at the same offset") << "stalled" << "STALL";
        QTest::newRow("no commits") << "stopped" << "STOP";
        QTest::newRow("caught up once") << "caughtUp" << "OK";
        QTest::newRow("no log end yet") << "noLogEnd" << "-";
        QTest::newRow("nothing committed yet") << "noCommit" << "-";
        QTest::newRow("broker down") << "brokerDown" << "ERR";
    }
    void lagStatusOverTheWindow()
    {
        QFETCH(QString, story);
        QFETCH(QString, expected);
        LagStatusEvaluator evaluator;
        AlertModel alerts;
        ConsoleSnapshot s;
        const int64_t t0 = 1767225600000;
        for (int i = 0; i < 12; ++i) {
            JobStatus j;
            j.state = JobStatus::State::Running;
            PartitionStatus p;
            p.partition = 0;
            p.logEndOffset = 10000 + 1000 * i;
            p.committedOffset = 9000 + 1000 * i; // 1,000 behind
            p.committedAtMs = t0 + 1000 * i;
            if (story == QLatin1String("growing"))
                p.committedOffset = 9000 + 900 * i;
            if (story == QLatin1String("stalled"))
                p.committedOffset = 9000;
            if (story == QLatin1String("stopped")) {
                p.committedOffset = 9000;
                p.committedAtMs = t0;
            }
            if (story == QLatin1String("caughtUp") && i == 4)
                p.committedOffset = p.logEndOffset;
            if (story == QLatin1String("noLogEnd"))
                p.logEndOffset = -1;
            if (story == QLatin1String("noCommit"))
                p.committedOffset = p.committedAtMs = -1;
            j.partitions = {p};
            s = consoleSnapshotFromStatus(j, true, nullptr, t0 + 1000 * i + 10);
            if (story == QLatin1String("brokerDown"))
                s.metrics.add("tally_kafka_broker_up", MetricKind::Gauge, "", 0);
            evaluator.evaluate(s);
            alerts.evaluate(s);
        }
        const std::optional<LagStatus> status = s.partitions.front().lagStatus;
        QCOMPARE(status ? QString::fromUtf8(lagStatusName(*status).data()) : QStringLiteral("-"), expected);
        const bool stuck = expected == QLatin1String("STALL") || expected == QLatin1String("STOP");
        QCOMPARE(alerts.isActive(QStringLiteral("partition_stalled")), stuck);
        PartitionModel m;
        m.setSnapshot(s);
        QCOMPARE(cell(m, 0, 7), expected);
        // An operator's pause stalls the partitions on purpose: no alert.
        s.job.state = JobStatus::State::Paused;
        alerts.evaluate(s);
        QVERIFY(!alerts.isActive(QStringLiteral("partition_stalled")));
    }

    // The resource rules: memory against its limit, the fullest folder the job writes to, and
    // rebalances over five minutes (a new job's counter starts again).
    void resourceAndRebalanceRules()
    {
        AlertModel alerts;
        const int64_t t0 = 1767225600000;
        for (int i = 0; i <= 40; ++i) {
            ConsoleSnapshot s = healthySnapshot(t0 + i * 1000);
            s.residentBytes = 900e6;
            s.memoryLimitBytes = 1000e6;                                      // 90% of the limit
            s.folders = {{"checkpoints", "checkpoints", 50e9, 100e9}, {"sqlite", "tally.db", 5e9, 100e9}}; // 5% free
            // As the source counts them: assignments and revocations.
            s.metrics.add("tally_kafka_rebalances_total", MetricKind::Counter, "", i < 20 ? i / 8 : i / 4, {{"kind", "assign"}});
            s.metrics.add("tally_kafka_rebalances_total", MetricKind::Counter, "", i < 20 ? i / 8 : i / 4, {{"kind", "revoke"}});
            alerts.evaluate(s);
            if (i == 29) {
                QVERIFY(!alerts.isActive(QStringLiteral("memory_high"))); // held 30 s first
                QVERIFY(!alerts.isActive(QStringLiteral("disk_low")));
            }
        }
        QVERIFY(alerts.isActive(QStringLiteral("memory_high")));
        QVERIFY(alerts.isActive(QStringLiteral("disk_low")));
        QVERIFY(alerts.isActive(QStringLiteral("rebalance_storm"))); // 20 in 40 s
        const auto value = [&](const char *rule) {
            return std::find_if(alerts.alerts().begin(), alerts.alerts().end(),
                                [&](const Alert &a) { return a.ruleId == QLatin1String(rule) && a.active(); })
                ->value;
        };
        QCOMPARE(value("memory_high"), 90.0);
        QCOMPARE(value("disk_low"), 5.0);

        // The topic's metadata: one partition under-replicated, held 30 s.
        AlertModel kafka;
        for (int i = 0; i <= 31; ++i) {
            ConsoleSnapshot s = healthySnapshot(t0 + i * 1000);
            s.metrics.add("tally_kafka_partitions_without_leader", MetricKind::Gauge, "", 0);
            s.metrics.add("tally_kafka_partitions_under_replicated", MetricKind::Gauge, "", 1);
            kafka.evaluate(s);
        }
        QVERIFY(kafka.isActive(QStringLiteral("kafka_partitions_unhealthy")));

        // Within the bounds: nothing; a rebalance every 90 s is no storm.
        AlertModel calm;
        for (int i = 0; i <= 400; i += 10) {
            ConsoleSnapshot s = healthySnapshot(t0 + i * 1000);
            s.residentBytes = 700e6;
            s.memoryLimitBytes = 1000e6;
            s.folders = {{"checkpoints", "checkpoints", 50e9, 100e9}};
            s.metrics.add("tally_kafka_rebalances_total", MetricKind::Counter, "", i / 180, {{"kind", "assign"}});
            s.metrics.add("tally_kafka_rebalances_total", MetricKind::Counter, "", i / 180, {{"kind", "revoke"}});
            calm.evaluate(s);
        }
        QCOMPARE(calm.activeCount(), 0);
    }

    void partitionsHighlightTheHotOne()
    {
        PartitionModel m;
        m.setSnapshot(knownSnapshot());
        QCOMPARE(m.rowCount(), 3);
        QCOMPARE(cell(m, 1, 2), QStringLiteral("900"));
        QCOMPARE(cell(m, 1, 5), QStringLiteral("4,000"));
        QCOMPARE(cell(m, 2, 4), QStringLiteral("idle"));
        QCOMPARE(cell(m, 2, 6), QStringLiteral("-"));
        // Partition 1 takes 90% of the records: highlighted, with the reason.
        QVERIFY(m.data(m.index(1, 0), kHighlightRole).toBool());
        QVERIFY(m.data(m.index(1, 0), Qt::ToolTipRole).toString().contains(QLatin1String("Hot partition")));
        QVERIFY(!m.data(m.index(2, 0), kHighlightRole).toBool());
    }

    void operatorsAndSink()
    {
        OperatorModel ops;
        ops.setSnapshot(knownSnapshot());
        QCOMPARE(ops.rowCount(), 3);
        QCOMPARE(cell(ops, 0, 5), QStringLiteral("70 %"));
        QCOMPARE(cell(ops, 0, 2), QStringLiteral("12,400/s")); // the source's records out
        QCOMPARE(cell(ops, 1, 1), QStringLiteral("12,345/s")); // ingest's events in
        QVERIFY(ops.data(ops.index(0, 0), kHighlightRole).toBool()); // backpressured
        QVERIFY(ops.data(ops.index(1, 0), kHighlightRole).toBool()); // busy
        QVERIFY(!ops.data(ops.index(2, 0), kHighlightRole).toBool());
        SinkModel sink;
        sink.setSnapshot(knownSnapshot());
        QCOMPARE(cell(sink, rowNamed(sink, QStringLiteral("Circuit")), 1), QStringLiteral("open (paused after errors, retrying)"));
        QCOMPARE(cell(sink, rowNamed(sink, QStringLiteral("Pending rows")), 1), QStringLiteral("2,500"));
        QCOMPARE(cell(sink, rowNamed(sink, QStringLiteral("Last committed epoch")), 1), QStringLiteral("42"));
        QCOMPARE(cell(sink, rowNamed(sink, QStringLiteral("Rows/s")), 1), QStringLiteral("678"));
        QCOMPARE(cell(sink, rowNamed(sink, QStringLiteral("Retries")), 1), QStringLiteral("20"));
        QCOMPARE(sink.data(sink.index(rowNamed(sink, QStringLiteral("Write latency p99")), 1), kSortRole).toDouble(), 12.0);
    }

    // Rates and shares come from two successive statuses: over the interval between them, none
    // without an earlier one, and none for a counter that went down (the job was replaced).
    void figuresFromTheTypedStatus_data()
    {
        QTest::addColumn<int>("before");  // seconds of work in the earlier status; -1: none
        QTest::addColumn<int>("seconds"); // ... in the status of the snapshot, taken 1 s later
        QTest::addColumn<double>("rate"); // what each per-second figure reads, as a share of the steady one
        QTest::newRow("steady") << 9 << 10 << 1.0;
        QTest::newRow("two seconds of work in one") << 8 << 10 << 1.0;
        QTest::newRow("first sample") << -1 << 10 << 0.0;
        QTest::newRow("counters went down") << 10 << 2 << 0.0;
    }
    void figuresFromTheTypedStatus()
    {
        QFETCH(int, before);
        QFETCH(int, seconds);
        QFETCH(double, rate);
        const double factor = before >= 0 && seconds > before ? rate * (seconds - before) : 0;
        std::optional<ConsoleSnapshot> earlier;
        if (before >= 0)
            earlier = consoleSnapshotFromStatus(knownStatus(static_cast<uint64_t>(before)), true, nullptr, 9000);
        const JobStatus status = knownStatus(static_cast<uint64_t>(seconds));
        const ConsoleSnapshot s = consoleSnapshotFromStatus(status, true, earlier ? &*earlier : nullptr, 10000);
        compareWithStatus(s, status);
        QCOMPARE(s.takenAtMs, int64_t(10000));
        QCOMPARE(s.eventsPerSecond, 12345 * factor);
        QCOMPARE(s.recordsPerSecond, 12400 * factor);
        QCOMPARE(s.rowsPerSecond, 678 * factor);
        QCOMPARE(s.deadLettersPerSecond, 55 * factor);
        QCOMPARE(s.droppedPerSecond, 3 * factor);
        QCOMPARE(s.partitions[0].recordsPerSecond, 100 * factor);
        QCOMPARE(s.partitions[1].recordsPerSecond, 900 * factor);
        QCOMPARE(s.partitions[2].recordsPerSecond, 0.0);
        QCOMPARE(s.lagSeconds, 4.5);
        QCOMPARE(s.timeToCatchUpSeconds, 30.0);
        QCOMPARE(s.operators[0].kind, OperatorKind::Source);
        QCOMPARE(s.operators[1].kind, OperatorKind::Ingest);
        QCOMPARE(s.operators[2].kind, OperatorKind::Output);
        // Shares of time cannot exceed the interval.
        QCOMPARE(s.operators[0].busy, std::min(1.0, 0.2 * factor));
        QCOMPARE(s.operators[0].idle, std::min(1.0, 0.1 * factor));
        QCOMPARE(s.operators[0].backpressured, std::min(1.0, 0.7 * factor));
        QCOMPARE(s.operators[1].busy, std::min(1.0, 0.95 * factor));
        // Records in and out per second, as Flink shows them per operator.
        QCOMPARE(s.operators[0].recordsOutPerSecond, 12400 * factor);
        QCOMPARE(s.operators[1].recordsInPerSecond, 12345 * factor);
        QCOMPARE(s.operators[1].recordsOutPerSecond, 500 * factor);
        QCOMPARE(s.sink.rowsPerSecond, 678 * factor);
        QCOMPARE(s.sink.p50Ms, 12.0);
        QCOMPARE(s.sink.p99Ms, 12.0);
        QCOMPARE(s.sink.maxMs, 12.0);
        QCOMPARE(s.sink.recentP99Ms, std::optional(12.0));
        QCOMPARE(s.sink.circuit, CircuitBreaker::State::Open);
    }

    // The recent p99 is that of the writes since the previous snapshot; none when there were none.
    void recentSinkLatency()
    {
        JobStatus j = knownStatus(1);
        Histogram latency;
        record(latency, 1000, 1000);
        j.sink->writeLatencyUs = latency.snapshot();
        const ConsoleSnapshot quiet = consoleSnapshotFromStatus(j, true, nullptr, 1000);
        QCOMPARE(quiet.sink.recentP99Ms.has_value(), true); // no earlier sample: the whole run
        const ConsoleSnapshot still = consoleSnapshotFromStatus(j, true, &quiet, 2000);
        QVERIFY(!still.sink.recentP99Ms); // no write in the interval
        record(latency, 5, 50000);
        j.sink->writeLatencyUs = latency.snapshot();
        const ConsoleSnapshot slow = consoleSnapshotFromStatus(j, true, &still, 3000);
        QVERIFY(slow.sink.p99Ms < 1.1);                         // over the run: the fast writes
        QCOMPARE(slow.sink.recentP99Ms, std::optional(50.0)); // over the interval: the slow ones
        QCOMPARE(slow.sink.maxMs, 50.0);
    }

    void windowLeaders()
    {
        WindowLeadersModel posts(Aggregation::LikesPerPost);
        posts.setSnapshot(knownSnapshot());
        QCOMPARE(posts.rowCount(), 2);
        QCOMPARE(cell(posts, 0, 1), QStringLiteral("7"));
        QCOMPARE(cell(posts, 0, 2), QStringLiteral("500"));
        QCOMPARE(posts.windowText().english(), QStringLiteral("23:59:00 - 00:00:00 UTC"));
        // The shortest region window unless a length is chosen.
        WindowLeadersModel regions(Aggregation::LikesByRegion);
        regions.setSnapshot(knownSnapshot());
        QCOMPARE(cell(regions, 0, 1), QStringLiteral("US"));
        WindowLeadersModel hourly(Aggregation::LikesByRegion, 3600000);
        hourly.setSnapshot(knownSnapshot());
        QCOMPARE(cell(hourly, 0, 1), QStringLiteral("DE"));
        WindowLeadersModel velocity(Aggregation::LikeVelocity);
        velocity.setSnapshot(knownSnapshot());
        QCOMPARE(cell(velocity, 0, 3), QStringLiteral("viral"));
        QVERIFY(velocity.data(velocity.index(0, 0), kHighlightRole).toBool());
        QCOMPARE(cell(velocity, 1, 3), QString());
        WindowLeadersModel spam(Aggregation::SpamSuspects);
        spam.setSnapshot(knownSnapshot());
        QCOMPARE(spam.rowCount(), 0);
        QCOMPARE(spam.windowText().english(), QStringLiteral("no window has fired yet"));
    }

    // A rule fires once its condition held for its hold time, and resolves when it stops.
    void alertsFireAndResolve()
    {
        AlertModel alerts;
        QSignalSpy fired(&alerts, &AlertModel::alertFired);
        ConsoleSnapshot s = knownSnapshot();
        s.operators = {{"source", OperatorKind::Source, 0.1, 0.2, 0.7}}; // backpressured 70% > 50%
        for (PartitionFigures &p : s.partitions)
            p.recordsPerSecond = 100; // balanced: only the backpressure rule holds
        makeSinkHealthy(s);
        const double hold = [&] {
            for (const AlertRule &r : alerts.rules())
                if (r.id == QLatin1String("backpressure"))
                    return r.forSeconds;
            return -1.0;
        }();
        QVERIFY(hold > 0);
        for (int i = 0; i * 1000 < hold * 1000; ++i) {
            s.takenAtMs = 1'000'000 + i * 1000;
            alerts.evaluate(s);
        }
        QCOMPARE(alerts.activeCount(), 0); // not held long enough yet
        s.takenAtMs = 1'000'000 + static_cast<int64_t>(hold * 1000);
        alerts.evaluate(s);
        QCOMPARE(alerts.activeCount(), 1);
        QCOMPARE(fired.size(), 1);
        QCOMPARE(alerts.alerts().front().ruleId, QStringLiteral("backpressure"));
        QCOMPARE(alerts.data(alerts.index(0, 1)).toString(), QStringLiteral("active"));
        // Raising the threshold over the value resolves it.
        alerts.setThreshold(QStringLiteral("backpressure"), 80);
        s.takenAtMs += 1000;
        alerts.evaluate(s);
        QCOMPARE(alerts.activeCount(), 0);
        QCOMPARE(alerts.data(alerts.index(0, 1)).toString(), QStringLiteral("resolved"));
    }

    void slowCheckpointsAlert()
    {
        AlertModel alerts;
        ConsoleSnapshot s = knownSnapshot();
        s.partitions.clear();
        s.operators.clear();
        makeSinkHealthy(s);
        for (int i = 0; i < 40; ++i) {
            s.takenAtMs = 1'000'000 + i * 1000;
            // Checkpoints every second taking 900 ms: 90% of the interval.
            s.job.checkpoints = {{.epoch = uint64_t(i + 2), .triggeredAtMs = s.takenAtMs, .durationMs = 900, .completed = true},
                                 {.epoch = uint64_t(i + 1), .triggeredAtMs = s.takenAtMs - 1000, .durationMs = 900, .completed = true}};
            alerts.evaluate(s);
        }
        QCOMPARE(alerts.activeCount(), 1);
        QCOMPARE(alerts.alerts().front().ruleId, QStringLiteral("checkpoint_slow"));
        QCOMPARE(alerts.alerts().front().value, 90.0);
    }

    // The incident rules, each alone in a snapshot where everything else is healthy.
    void incidentRules_data()
    {
        QTest::addColumn<QString>("rule");
        QTest::addColumn<double>("secondsToFire"); // from the first snapshot that shows the incident
        QTest::addColumn<double>("valueAtFire");
        QTest::newRow("sink down") << "sink_down" << 5.0 << 5.0;
        QTest::newRow("job failed") << "job_failed" << 0.0 << 0.0;
        QTest::newRow("checkpoints failing") << "checkpoint_failing" << 2.0 << 3.0;
        // (counted from the last snapshot in which the sink had caught up, 250 ms before)
        QTest::newRow("output stalled") << "output_stalled" << 29.75 << 30.0;
        QTest::newRow("broker unreachable") << "broker_unreachable" << 10.0 << 10.0;
    }
    void incidentRules()
    {
        QFETCH(QString, rule);
        QFETCH(double, secondsToFire);
        QFETCH(double, valueAtFire);
        AlertModel alerts;
        QSignalSpy fired(&alerts, &AlertModel::alertFired);
        QSignalSpy resolved(&alerts, &AlertModel::alertResolved);
        constexpr int64_t kStart = 1'000'000'000;
        const auto snapshotAt = [&](int64_t ms, bool incident) {
            ConsoleSnapshot s = healthySnapshot(ms);
            SinkStatus &k = *s.job.sink;
            const uint64_t epoch = static_cast<uint64_t>(ms / 1000);
            if (incident) {
                if (rule == QLatin1String("sink_down")) {
                    k.lastError = "connection refused";
                    k.pendingRows = 5000;
                    k.committedEpoch = kStart / 1000;
                } else if (rule == QLatin1String("job_failed")) {
                    s.job.failure = "checkpoints failed 4 times in a row";
                } else if (rule == QLatin1String("checkpoint_failing")) {
                    // The last completed one was triggered at kStart - 1000 ms; failures since.
                    s.job.checkpoints = {{.epoch = epoch, .triggeredAtMs = ms, .durationMs = 1, .completed = false,
                                          .failure = "cannot write"},
                                         {.epoch = kStart / 1000 - 1, .triggeredAtMs = kStart - 1000, .completed = true}};
                } else if (rule == QLatin1String("output_stalled")) {
                    k.committedEpoch = kStart / 1000 - 1; // stuck, while the tasks move on
                    k.rowsWritten = 678 * 10;
                } else if (rule == QLatin1String("broker_unreachable")) {
                    s.metrics.samples.front().value = 0; // tally_kafka_broker_up
                }
            }
            return s;
        };
        // Healthy for a minute: nothing fires.
        for (int64_t ms = kStart - 60000; ms < kStart; ms += 250)
            alerts.evaluate(snapshotAt(ms, false));
        QCOMPARE(alerts.activeCount(), 0);
        // The incident, sampled four times a second: the rule fires once, after its time.
        int64_t firedAt = -1;
        for (int64_t ms = kStart; ms <= kStart + 60000 && firedAt < 0; ms += 250) {
            alerts.evaluate(snapshotAt(ms, true));
            if (!fired.isEmpty())
                firedAt = ms;
        }
        QCOMPARE(fired.size(), 1);
        const Alert alert = fired.front().front().value<Alert>();
        QCOMPARE(alert.ruleId, rule);
        QCOMPARE(static_cast<double>(firedAt - kStart) / 1000.0, secondsToFire);
        QCOMPARE(alert.value, valueAtFire);
        QCOMPARE(alerts.activeCount(), 1);
        // Healthy again: it resolves at the next snapshot, and says so.
        alerts.evaluate(snapshotAt(firedAt + 250, false));
        QCOMPARE(alerts.activeCount(), 0);
        QCOMPARE(resolved.size(), 1);
        QCOMPARE(resolved.front().front().value<Alert>().ruleId, rule);
    }

    // What the incident rules must not take for an incident: checkpoints that complete slowly or
    // are skipped for the minimum pause, an exactly-once sink that commits once per long
    // checkpoint interval, a sink an operator drained. Five minutes of each, sampled 4 times a
    // second: nothing fires.
    void noFalseAlarms_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::newRow("slow checkpoints") << "slow checkpoints";
        QTest::newRow("long checkpoint interval") << "long checkpoint interval";
        QTest::newRow("drained sink") << "drained sink";
    }
    void noFalseAlarms()
    {
        QFETCH(QString, scenario);
        AlertModel alerts;
        QStringList fired;
        connect(&alerts, &AlertModel::alertFired, this, [&](const Alert &a) { fired << a.ruleId; });
        for (int64_t ms = 1'000'000'000; ms < 1'000'000'000 + 300'000; ms += 250) {
            ConsoleSnapshot s = healthySnapshot(ms);
            SinkStatus &k = *s.job.sink;
            if (scenario == QLatin1String("slow checkpoints")) {
                // Each takes 7 s, and the barriers in between are skipped: one completes every
                // 8 s (checkpoint_slow's business, not a failure).
                const int64_t started = ms - ms % 8000;
                s.job.checkpoints = {{.epoch = uint64_t(started / 1000), .triggeredAtMs = started - 8000, .durationMs = 7000,
                                      .completed = true}};
                k.committedEpoch = s.job.committedEpoch = uint64_t(ms / 1000);
            } else if (scenario == QLatin1String("long checkpoint interval")) {
                // Exactly-once with checkpoints every 60 s: rows wait, staged, a minute at a time.
                s.job.checkpointIntervalMs = 60000;
                const int64_t last = ms - ms % 60000;
                s.job.checkpoints = {{.epoch = uint64_t(last / 60000), .triggeredAtMs = last, .durationMs = 200, .completed = true}};
                k.committedEpoch = uint64_t(last / 60000);
                s.job.committedEpoch = uint64_t(ms / 60000) + 1;
                k.pendingRows = 4000;
                k.rowsWritten = uint64_t(last / 60000) * 1000;
            } else {
                // Drained: writes held, rows pending, nothing committed for the whole time.
                k.held = true;
                k.pendingRows = 20000;
                k.committedEpoch = 7;
                s.job.committedEpoch = uint64_t(ms / 1000);
                s.job.checkpoints = {{.epoch = 1, .triggeredAtMs = ms - 300, .durationMs = 100, .completed = true}};
            }
            alerts.evaluate(s);
        }
        QVERIFY2(fired.isEmpty(), qPrintable(fired.join(QLatin1Char(' '))));
    }

    // Every rule has its runbook, titled as the rule, and the runbooks' action links name actions
    // of the catalogue.
    void runbooks()
    {
        AlertModel alerts;
        const QDir dir(QStringLiteral(TALLY_RUNBOOKS_DIR));
        QStringList ids;
        for (const AlertRule &rule : alerts.rules()) {
            ids << rule.id + QStringLiteral(".md");
            QFile file(dir.filePath(rule.id + QStringLiteral(".md")));
            QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
            const QString text = QString::fromUtf8(file.readAll());
            QCOMPARE(text.section(QLatin1Char('\n'), 0, 0), QStringLiteral("# ") + rule.title.english());
            static const QRegularExpression action(QStringLiteral("\\(action:([a-z_]+)\\)"));
            for (auto it = action.globalMatch(text); it.hasNext();) {
                const QString name = it.next().captured(1);
                QVERIFY2(ActionCatalogue::find(name), qPrintable(rule.id + QStringLiteral(": no action ") + name));
            }
        }
        ids.sort();
        QCOMPARE(dir.entryList({QStringLiteral("*.md")}, QDir::Files, QDir::Name), ids); // no runbook without a rule
    }

    void auditLogKeepsEntries()
    {
        QTemporaryDir dir;
        auto log = AuditLog::open(dir.filePath(QStringLiteral("audit.db")));
        QVERIFY(log);
        AuditModel model(**log);
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QVERIFY((*log)->append(QStringLiteral("ana"), QStringLiteral("desktop"), QStringLiteral("drain_sink"), QStringLiteral("{}"),
                               QStringLiteral("started")) > 0);
        QVERIFY((*log)->append(QStringLiteral("ana"), QStringLiteral("desktop"), QStringLiteral("drain_sink"), QStringLiteral("{}"),
                               QStringLiteral("ok")) > 0);
        QTRY_COMPARE(model.rowCount(), 2);
        QCOMPARE(model.data(model.index(0, 5)).toString(), QStringLiteral("ok")); // newest first
        QCOMPARE(model.data(model.index(0, 1)).toString(), QStringLiteral("ana"));
        QCOMPARE(model.data(model.index(1, 5)).toString(), QStringLiteral("started"));
    }

    // Snapshots of a real job: partitions, operators and the sink show up with sensible values.
    // A threshold an operator sets applies at once, is audited (refusals too) and outlasts a
    // restart (kept in the audit log's file).
    void thresholdsAreKeptAndAudited()
    {
        QTemporaryDir dir;
        const auto thresholdOf = [](EngineHost &h, const char *rule) {
            for (const AlertRule &r : h.alerts().rules())
                if (r.id == QLatin1String(rule))
                    return r.threshold;
            return -1.0;
        };
        {
            auto host = startHost(dir, 1000);
            QVERIFY(host);
            QSignalSpy changed(host.get(), &EngineHost::alertThresholdChanged);
            QVERIFY(host->setAlertThreshold(QStringLiteral("backpressure"), 65, QStringLiteral("carol"), QStringLiteral("desktop")).isOk());
            QCOMPARE(thresholdOf(*host, "backpressure"), 65.0);
            QCOMPARE(changed.size(), 1);
            QVERIFY(!host->setAlertThreshold(QStringLiteral("backpressure"), -3, QStringLiteral("carol"), QStringLiteral("desktop")).isOk());
            QVERIFY(!host->setAlertThreshold(QStringLiteral("nonsense"), 3, QStringLiteral("carol"), QStringLiteral("desktop")).isOk());
            QVERIFY(!host->setAlertThreshold(QStringLiteral("backpressure"), std::nan(""), QStringLiteral("carol"), QStringLiteral("desktop")).isOk());
            QCOMPARE(thresholdOf(*host, "backpressure"), 65.0);
            QStringList outcomes;
            for (const AuditEntry &e : host->auditLog().recent())
                if (e.action == QLatin1String("set_alert_threshold"))
                    outcomes << e.outcome + QLatin1Char(' ') + e.parameters + QLatin1Char(' ') + e.detail;
            QCOMPARE(outcomes.size(), 4);
            QVERIFY2(outcomes.back() == QStringLiteral("ok rule=backpressure threshold=65 was 50"), qPrintable(outcomes.join('\n')));
            QVERIFY(outcomes.front().startsWith(QLatin1String("refused rule=backpressure threshold=nan")));
            QTRY_VERIFY_WITH_TIMEOUT(host->finished(), 30000);
        }
        auto again = startHost(dir, 1000);
        QVERIFY(again);
        QCOMPARE(thresholdOf(*again, "backpressure"), 65.0);
        QCOMPARE(thresholdOf(*again, "sink_latency"), 5.0); // untouched: its default
        QTRY_VERIFY_WITH_TIMEOUT(again->finished(), 30000);
    }

    void snapshotOfARunningJob()
    {
        QTemporaryDir dir;
        auto host = startHost(dir);
        QVERIFY(host);
        QTRY_VERIFY_WITH_TIMEOUT(host->snapshot().eventsPerSecond > 0, 10000);
        {
            const ConsoleSnapshot &s = host->snapshot();
            QCOMPARE(static_cast<int>(s.partitions.size()), host->config().source.generator.partitions);
            QVERIFY(!s.operators.empty());
            QCOMPARE(s.operators.front().name, std::string("source"));
            QCOMPARE(s.operators.front().kind, OperatorKind::Source);
            QCOMPARE(s.operators.back().kind, OperatorKind::Output);
            for (size_t i = 1; i < s.operators.size(); ++i) // in pipeline order
                QVERIFY(s.operators[i - 1].kind <= s.operators[i].kind);
            for (const OperatorFigures &o : s.operators)
                QVERIFY(o.busy >= 0 && o.busy <= 1 && o.idle >= 0 && o.idle <= 1);
            QVERIFY(s.sink.present);
            QCOMPARE(s.sink.name, std::string("sqlite"));
            QVERIFY(s.watermarkBoundMs > 0);
            QVERIFY(!s.kafka);
            QCOMPARE(s.lagSeconds, 0.0);
            QVERIFY(host->availability(EngineHost::Action::TriggerSavepoint).enabled);
            QVERIFY(host->availability(EngineHost::Action::Rescale).enabled);
            QVERIFY(host->availability(EngineHost::Action::DrainSink).enabled);
            QVERIFY(!host->availability(EngineHost::Action::DivertSink).enabled); // no divert_path
        }
        QTRY_VERIFY_WITH_TIMEOUT(host->finished(), 30000);
        // Once the job stands still, a snapshot shows what the job's status says.
        host->sample();
        const JobStatus status = host->jobStatus();
        compareWithStatus(host->snapshot(), status);
        QCOMPARE(status.recordsIn, host->options().config.source.generator.totalEvents);
        QVERIFY(status.sink && status.sink->rowsWritten > 0);
    }

    // Text cells and headers are English under DisplayRole and carry their UiText for the views.
    void modelsSpeakEnglishAndCarryTheirText()
    {
        OverviewModel m;
        m.setSnapshot(knownSnapshot());
        QCOMPARE(m.headerData(0, Qt::Horizontal).toString(), QStringLiteral("Figure"));
        const UiText header = m.headerData(0, Qt::Horizontal, kTextRole).value<UiText>();
        QCOMPARE(QString::fromUtf8(header.context()), QStringLiteral("tally::OverviewModel"));
        QCOMPARE(QString::fromUtf8(header.source()), QStringLiteral("Figure"));
        const int lag = rowNamed(m, QStringLiteral("Consumer lag"));
        const UiText value = m.data(m.index(lag, 1), kTextRole).value<UiText>();
        QCOMPARE(QString::fromUtf8(value.source()), QStringLiteral("%1 s")); // formatDuration's unit
        QCOMPARE(value.english(), QStringLiteral("4.5 s"));
        QVERIFY(!m.data(m.index(lag, 1), kSortRole).isNull());
        // A number cell has no text to translate.
        PartitionModel partitions;
        partitions.setSnapshot(knownSnapshot());
        QVERIFY(!partitions.data(partitions.index(0, 0), kTextRole).isValid());
        QCOMPARE(QString::fromUtf8(partitions.data(partitions.index(1, 0), kToolTipTextRole).value<UiText>().context()),
                 QStringLiteral("tally::PartitionModel"));
    }

    // The circuit state reads as the engine names it, then what that means, in the overview and on
    // the sink's table.
    void circuitStateAsTheEngineNamesIt_data()
    {
        QTest::addColumn<CircuitBreaker::State>("state");
        QTest::addColumn<QString>("meaning");
        QTest::newRow("closed") << CircuitBreaker::State::Closed << QStringLiteral(" (writing)");
        QTest::newRow("open") << CircuitBreaker::State::Open << QStringLiteral(" (paused after errors, retrying)");
        QTest::newRow("half open") << CircuitBreaker::State::HalfOpen << QStringLiteral(" (trying one write)");
    }
    void circuitStateAsTheEngineNamesIt()
    {
        QFETCH(CircuitBreaker::State, state);
        QFETCH(QString, meaning);
        ConsoleSnapshot s = knownSnapshot();
        s.sink.circuit = state;
        const QString name = QString::fromUtf8(circuitStateName(state).data()) + meaning;
        SinkModel sink;
        sink.setSnapshot(s);
        QCOMPARE(cell(sink, rowNamed(sink, QStringLiteral("Circuit")), 1), name);
        OverviewModel overview;
        overview.setSnapshot(s);
        QCOMPARE(cell(overview, rowNamed(overview, QStringLiteral("Sink")), 1), QStringLiteral("postgres: ") + name);
        QCOMPARE(overview.data(overview.index(rowNamed(overview, QStringLiteral("Sink")), 0), kHighlightRole).toBool(),
                 state != CircuitBreaker::State::Closed);
    }

    void fillPlaceholdersOnce()
    {
        QCOMPARE(fillPlaceholders(QStringLiteral("%2 after %1"), {QStringLiteral("a%2"), QStringLiteral("b")}),
                 QStringLiteral("b after a%2"));
        QCOMPARE(fillPlaceholders(QStringLiteral("%1 %"), {QStringLiteral("42")}), QStringLiteral("42 %"));
        QCOMPARE(fillPlaceholders(QStringLiteral("%3 stays"), {QStringLiteral("x")}), QStringLiteral("%3 stays"));
        const UiText joined = UiText::verbatim(QStringLiteral("sqlite: ")) + UiText::verbatim(QStringLiteral("open")) +
                              UiText("tally::OverviewModel", ", holding writes (drained)");
        QCOMPARE(joined.english(), QStringLiteral("sqlite: open, holding writes (drained)"));
    }

    // Every action once: a unique name that maps back, a label, a description; the ones that ask
    // before they run have their question; rescale's parallelism spans the engine's range.
    void catalogueDescribesEveryAction()
    {
        const std::vector<ActionSpec> &all = ActionCatalogue::all();
        QCOMPARE(static_cast<int>(all.size()), static_cast<int>(OperatorAction::Restore) + 1);
        QSet<QString> names;
        for (const ActionSpec &spec : all) {
            QVERIFY2(!names.contains(spec.name), qPrintable(spec.name));
            names.insert(spec.name);
            QCOMPARE(&ActionCatalogue::spec(spec.action), &spec);
            QCOMPARE(EngineHost::actionFromName(spec.name), std::optional(spec.action));
            QCOMPARE(EngineHost::actionName(spec.action), spec.name);
            QVERIFY(!spec.label.isEmpty());
            QVERIFY(!spec.description.isEmpty());
            QCOMPARE(QString::fromUtf8(spec.label.context()), QStringLiteral("tally::ActionCatalogue"));
        }
        QVERIFY(!EngineHost::actionFromName(QStringLiteral("format_disk")));
        for (OperatorAction a : {OperatorAction::DrainSink, OperatorAction::DivertSink, OperatorAction::StopWithSavepoint,
                                 OperatorAction::Rescale, OperatorAction::Restore})
            QVERIFY2(ActionCatalogue::spec(a).confirms(), qPrintable(ActionCatalogue::spec(a).name));
        QVERIFY(!ActionCatalogue::spec(OperatorAction::PauseSource).asks());
        QCOMPARE(ActionCatalogue::spec(OperatorAction::PauseSource).shortcut, QStringLiteral("Ctrl+Shift+P"));
        const ActionSpec &rescale = ActionCatalogue::spec(OperatorAction::Rescale);
        QCOMPARE(rescale.parameters.size(), size_t(1));
        QCOMPARE(rescale.parameters[0].name, QStringLiteral("parallelism"));
        QCOMPARE(rescale.parameters[0].minimum, 1);
        QCOMPARE(rescale.parameters[0].maximum, kMaxParallelism);
        QCOMPARE(ActionCatalogue::withoutMnemonic(rescale.label.english()), QStringLiteral("Rescale"));
        QCOMPARE(ActionCatalogue::withoutMnemonic(QStringLiteral("ソースを一時停止(&P)…")), QStringLiteral("ソースを一時停止…"));
        QCOMPARE(ActionCatalogue::withoutMnemonic(QStringLiteral("Salt && &Pepper")), QStringLiteral("Salt & Pepper"));
    }

    void catalogueChecksParameters_data()
    {
        QTest::addColumn<OperatorAction>("action");
        QTest::addColumn<QVariantMap>("parameters");
        QTest::addColumn<QString>("problem"); // empty: accepted
        const QString range = QStringLiteral("parallelism must be an integer from 1 to %1").arg(kMaxParallelism);
        const auto rescale = [](QVariant v) { return QVariantMap{{QStringLiteral("parallelism"), v}}; };
        QTest::newRow("rescale 4") << OperatorAction::Rescale << rescale(4) << QString();
        QTest::newRow("rescale 4.0 (JSON)") << OperatorAction::Rescale << rescale(4.0) << QString();
        QTest::newRow("rescale 1") << OperatorAction::Rescale << rescale(1) << QString();
        QTest::newRow("rescale max") << OperatorAction::Rescale << rescale(kMaxParallelism) << QString();
        QTest::newRow("rescale 0") << OperatorAction::Rescale << rescale(0) << range;
        QTest::newRow("rescale max+1") << OperatorAction::Rescale << rescale(kMaxParallelism + 1) << range;
        QTest::newRow("rescale -3") << OperatorAction::Rescale << rescale(-3) << range;
        QTest::newRow("rescale 2.5") << OperatorAction::Rescale << rescale(2.5) << range;
        QTest::newRow("rescale text") << OperatorAction::Rescale << rescale(QStringLiteral("4; rm -rf /")) << range;
        QTest::newRow("rescale true") << OperatorAction::Rescale << rescale(true) << range;
        QTest::newRow("rescale none") << OperatorAction::Rescale << QVariantMap{}
                                      << QStringLiteral("rescale needs the parameter \"parallelism\"");
        const auto restore = [](QVariant v) { return QVariantMap{{QStringLiteral("from"), v}}; };
        const QString notAFile = QStringLiteral("from must be the path of a checkpoint or savepoint");
        QTest::newRow("restore path") << OperatorAction::Restore << restore(QStringLiteral("/var/lib/tally/savepoints/s.tsp"))
                                      << QString();
        QTest::newRow("restore empty") << OperatorAction::Restore << restore(QString()) << notAFile;
        QTest::newRow("restore number") << OperatorAction::Restore << restore(7) << notAFile;
        QTest::newRow("restore too long") << OperatorAction::Restore << restore(QString(5000, QLatin1Char('a'))) << notAFile;
        QTest::newRow("restore none") << OperatorAction::Restore << QVariantMap{}
                                      << QStringLiteral("restore needs the parameter \"from\"");
        QTest::newRow("pause none") << OperatorAction::PauseSource << QVariantMap{} << QString();
        QTest::newRow("pause script") << OperatorAction::PauseSource << QVariantMap{{QStringLiteral("script"), 1}}
                                      << QStringLiteral("pause_source takes no parameter \"script\"");
    }
    void catalogueChecksParameters()
    {
        QFETCH(OperatorAction, action);
        QFETCH(QVariantMap, parameters);
        QFETCH(QString, problem);
        const std::optional<UiText> wrong = ActionCatalogue::checkParameters(action, parameters);
        QCOMPARE(wrong ? wrong->english() : QString(), problem);
    }

    // The host refuses a rescale the catalogue does not accept, audits it with the catalogue's
    // message and keeps running at its parallelism.
    void hostRefusesParametersWithTheCataloguesMessage()
    {
        QTemporaryDir dir;
        auto host = startHost(dir, 0); // runs until stopped
        QVERIFY(host);
        QTRY_VERIFY_WITH_TIMEOUT(host->snapshot().job.state == JobStatus::State::Running, 10000);
        QCOMPARE(host->currentParameters(OperatorAction::Rescale).value(QStringLiteral("parallelism")).toInt(),
                 host->config().runtime.parallelism);
        QSignalSpy finished(host.get(), &EngineHost::actionFinished);
        for (const int p : {0, kMaxParallelism + 1}) {
            const QVariantMap parameters{{QStringLiteral("parallelism"), p}};
            const QString message = ActionCatalogue::checkParameters(OperatorAction::Rescale, parameters)->english();
            QCOMPARE(host->run(OperatorAction::Rescale, QStringLiteral("ana"), QStringLiteral("test"), parameters), qint64(0));
            const AuditEntry newest = host->auditLog().recent(1).value(0);
            QCOMPARE(newest.action, QStringLiteral("rescale"));
            QCOMPARE(newest.outcome, QStringLiteral("refused"));
            QCOMPARE(newest.detail, message);
            QCOMPARE(newest.parameters, QStringLiteral("{\"parallelism\":%1}").arg(p));
        }
        // Nothing started: the worker answers actions in order, so once a later accepted action has
        // finished, a refused one would already have reported.
        const qint64 later = host->run(OperatorAction::PauseSource, QStringLiteral("ana"), QStringLiteral("test"));
        QVERIFY(later > 0);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QCOMPARE(finished.front().at(0).toLongLong(), later);
        QVERIFY(!host->finished());
        host->requestStop();
        QTRY_VERIFY_WITH_TIMEOUT(host->finished(), 30000);
    }

    // The host evaluates the alerts on every sample: no view needs to exist (headless).
    void hostEvaluatesAlerts()
    {
        QTemporaryDir dir;
        auto host = startHost(dir, 0);
        QVERIFY(host);
        for (AlertRule &rule : host->alerts().rules()) {
            if (rule.id == QLatin1String("backpressure")) {
                rule.threshold = -1; // holds whatever the job does
                rule.forSeconds = 0;
            }
        }
        QSignalSpy fired(&host->alerts(), &AlertModel::alertFired);
        QTRY_VERIFY_WITH_TIMEOUT(host->alerts().activeCount() == 1, 10000);
        QCOMPARE(fired.size(), 1);
        QCOMPARE(host->alerts().alerts().front().title.english(), QStringLiteral("Sustained backpressure"));
        host->requestStop();
        QTRY_VERIFY_WITH_TIMEOUT(host->finished(), 30000);
    }
};

QTEST_GUILESS_MAIN(TestConsoleModels)
#include "tst_console_models.moc"
