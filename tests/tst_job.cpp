// Job tests: the control channel pauses and resumes the source, a stop drains every window to the
// sink, metrics and status are readable from another thread while the engine runs, and the
// metrics land in the time series.
#include "metrics/metrics.h"
#include "metrics/time_series.h"
#include "runtime/job.h"
#include "source/generator.h"
#include "support/oracle.h"
#include "time/clock.h"
#include "util/sync_point.h"

#include <QtTest>

#include <thread>

using namespace tally;
using namespace tally::test;

namespace {

JobConfig pacedConfig()
{
    JobConfig c;
    c.source.generator.eventsPerSecond = 50000;
    c.source.generator.posts = 1000;
    c.source.generator.users = 5000;
    c.output.type = OutputConfig::Type::None;
    c.runtime.batchSize = 512;
    return c;
}

} // namespace

class TestJob : public QObject {
    Q_OBJECT

private slots:
    void pauseAndResume();
    void stopDrainsEveryWindow();
    void metricsReadableWhileRunning();
    void rejectsInvalidConfig();
};

void TestJob::pauseAndResume()
{
    MetricsRegistry metrics;
    SteadyClock clock;
    const JobConfig config = pacedConfig();
    Job job(config, std::make_unique<GeneratorSource>(config.source.generator), nullptr, metrics, clock);
    QVERIFY(job.start().isOk());
    QTRY_VERIFY_WITH_TIMEOUT(job.status().eventsIn > 1000, 5000);

    // The pause is answered by the source thread between two polls: what it counted is final.
    QVERIFY(job.submit(SourceCommand::Pause).get().isOk());
    QCOMPARE(job.status().state, JobStatus::State::Paused);
    const uint64_t paused = job.status().recordsIn;
    std::atomic<int> idleTurns{0};
    SyncPoints::set("SourceStage::paused", [&] { ++idleTurns; });
    QTRY_VERIFY_WITH_TIMEOUT(idleTurns.load() >= 20, 5000); // the source thread went round paused
    SyncPoints::clear();
    QCOMPARE(job.status().recordsIn, paused); // nothing polled while paused

    QVERIFY(job.submit(SourceCommand::Resume).get().isOk());
    QCOMPARE(job.status().state, JobStatus::State::Running);
    QTRY_VERIFY_WITH_TIMEOUT(job.status().recordsIn > paused + 1000, 5000);
    job.requestStop();
    QVERIFY(job.waitFinished().isOk());
    QCOMPARE(job.status().state, JobStatus::State::Finished);
    // A command after the end is answered, not left hanging.
    QCOMPARE(job.submit(SourceCommand::Pause).get().code(), Status::Code::Aborted);
}

void TestJob::stopDrainsEveryWindow()
{
    // An unbounded source stopped mid-run: every event taken in is counted in the sink, so
    // likes_per_post sums to the net likes of the events observed.
    MetricsRegistry metrics;
    SteadyClock clock;
    JobConfig config = pacedConfig();
    config.source.generator.eventsPerSecond = 0;
    config.source.generator.lateFraction = 0; // no event may be dropped as late
    auto sink = std::make_unique<MemorySink>();
    MemorySink *memory = sink.get();
    Job job(config, std::make_unique<GeneratorSource>(config.source.generator), std::move(sink), metrics, clock);
    int64_t netLikes = 0;
    job.setArrivalObserver([&](int, const std::vector<LikeEvent> &events, int64_t) {
        for (const LikeEvent &e : events)
            netLikes += e.action == Action::Like ? 1 : -1;
    });
    QVERIFY(job.start().isOk());
    QTRY_VERIFY_WITH_TIMEOUT(job.status().eventsIn > 200000, 10000);
    job.requestStop();
    QVERIFY(job.waitFinished().isOk());
    int64_t counted = 0;
    for (const auto &[key, value] : memory->table())
        if (std::get<0>(key) == Aggregation::LikesPerPost)
            counted += value.value;
    QCOMPARE(counted, netLikes);
    QCOMPARE(job.status().droppedEvents, uint64_t(0));
}

void TestJob::metricsReadableWhileRunning()
{
    MetricsRegistry metrics;
    SteadyClock clock;
    const JobConfig config = pacedConfig();
    Job job(config, std::make_unique<GeneratorSource>(config.source.generator), nullptr, metrics, clock);
    QVERIFY(job.start().isOk());
    double lastEvents = 0;
    for (int i = 0; i < 200; ++i) {
        const MetricsSnapshot s = metrics.snapshot(i);
        const double events = s.value("tally_events_total");
        QVERIFY(events >= lastEvents); // counters never go backwards between snapshots
        lastEvents = events;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    QVERIFY(lastEvents > 0);
    QTRY_VERIFY_WITH_TIMEOUT(job.timeSeries().series("tally_events_total:rate").size() >= 1, 5000);
    QVERIFY(!job.timeSeries().series("tally_operator_busy_nanoseconds_total", {{"operator", "window-0"}}).empty());
    job.requestStop();
    QVERIFY(job.waitFinished().isOk());
}

void TestJob::rejectsInvalidConfig()
{
    MetricsRegistry metrics;
    SteadyClock clock;
    JobConfig config = pacedConfig();
    config.likeVelocity.slideMs = 7000; // does not divide the 15 min window
    Job job(config, std::make_unique<GeneratorSource>(config.source.generator), nullptr, metrics, clock);
    const Status s = job.start();
    QVERIFY(!s.isOk());
    QVERIFY2(s.message().find("slide_ms") != std::string::npos, s.message().c_str());
}

QTEST_GUILESS_MAIN(TestJob)
#include "tst_job.moc"
