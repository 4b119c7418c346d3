// Savepoints through the running job: a job at P=2 stops with a savepoint half-way through a
// seeded stream; a new job restores it at P=1, P=2 or P=4 and runs to the end. What the two jobs
// wrote into one table equals the oracle of the arrivals that count (the first job's before the
// barrier, then the second job's). The restored source regenerates the stream and skips to the
// savepoint's positions, so its batches interleave partitions differently from an uninterrupted
// run: the watermarks at arrival, and with them which events are late, can differ, which is why
// the reference is the oracle of the counted arrivals (an uninterrupted run is checked against
// its own oracle in the same test). Also: a trigger-only
// savepoint lets the job run on; a changed aggregation definition is refused by name.
#include "runtime/job.h"
#include "runtime/config_fingerprint.h"
#include "runtime/job_runner.h"
#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "source/generator.h"
#include "support/oracle.h"
#include "support/held_sync_point.h"
#include "support/sink_results.h"
#include "support/wait.h"
#include "time/clock.h"
#include "util/sync_point.h"

#include <QtTest>

#include <atomic>
#include <filesystem>

using namespace tally;
using namespace tally::test;

namespace {

// Forwards rows to a table the test owns, so it outlives each job.
class SharedTableSink final : public OutputSink {
public:
    explicit SharedTableSink(MemorySink &table) : m_table(table) {}
    Status writeRows(std::span<const OutputRow> rows) override { return m_table.writeRows(rows); }
    Status writeDeadLetters(std::span<const DeadLetter>) override { return Status::ok(); }
    Status writeLateEvents(std::span<const LateEvent>) override { return Status::ok(); }
    Status flush() override { return Status::ok(); }

private:
    MemorySink &m_table;
};

JobConfig streamConfig(const QString &savepointDir)
{
    JobConfig c = sinkTestConfig(23, 120000);
    c.checkpoint.savepointDir = savepointDir.toStdString();
    return c;
}

// A generator job into an in-memory table, for tests that drive it while it runs.
struct LiveJob {
    explicit LiveJob(const JobConfig &config)
        : job(config, std::make_unique<GeneratorSource>(config.source.generator), std::make_unique<SharedTableSink>(table),
              metrics, clock)
    {
    }
    MemorySink table;
    MetricsRegistry metrics;
    SteadyClock clock;
    Job job;
};

struct RunResult {
    std::vector<Arrival> arrivals;
    Result<std::string> savepoint = Status::notFound("no savepoint taken");
};

// Runs a job into `table`; with `stopAfterEvents`, stops with a savepoint once that many events
// went in. `restoreFrom` continues from a savepoint.
RunResult runJob(JobConfig config, MemorySink &table, std::optional<uint64_t> stopAfterEvents,
                 const std::string &restoreFrom = {})
{
    RunResult result;
    MetricsRegistry metrics;
    SteadyClock clock;
    Job job(config, std::make_unique<GeneratorSource>(config.source.generator), std::make_unique<SharedTableSink>(table),
            metrics, clock);
    ArrivalRecorder recorder(job);
    if (!restoreFrom.empty()) {
        const Status s = job.restoreFrom(restoreFrom);
        if (!s.isOk())
            qFatal("restore: %s", s.toString().c_str());
    }
    if (Status s = job.start(); !s.isOk())
        qFatal("start: %s", s.toString().c_str());
    if (stopAfterEvents) {
        // Past the deadline the savepoint comes all the same; the test then fails on the counts.
        if (const Wait w = waitUntil([&] { return job.status().eventsIn >= *stopAfterEvents || job.finished(); },
                                     std::chrono::seconds(120), std::to_string(*stopAfterEvents) + " events in",
                                     std::chrono::milliseconds(2)); // the stream is short: stop close to it
            !w)
            qWarning("%s", w.message().c_str());
        result.savepoint = job.savepoint(true).get();
    }
    (void)job.waitFinished();
    result.arrivals = std::move(recorder.arrivals);
    return result;
}

} // namespace

class TestJobSavepoint : public QObject {
    Q_OBJECT

private slots:
    // The consoles' list of files to continue from: checkpoints and savepoints by their names,
    // newest first, other files left out.
    void restorePointsListed()
    {
        QTemporaryDir dir;
        const std::string checkpoints = dir.filePath(QStringLiteral("checkpoints")).toStdString();
        const std::string savepoints = dir.filePath(QStringLiteral("savepoints")).toStdString();
        Savepoint older;
        older.epoch = 3;
        older.takenAtMs = 1'000;
        Savepoint newer;
        newer.epoch = 5;
        newer.takenAtMs = 2'000;
        QVERIFY(writeFullCheckpoint(checkpoints, older));
        const auto savepoint = writeSavepointFile(savepoints, "savepoint", newer);
        QVERIFY(savepoint);
        for (const char *junk : {"savepoint-x.tsp", "notes.txt", "savepoint-7-3000.tsp.tmp"})
            QVERIFY(QFile(QDir(QString::fromStdString(savepoints)).filePath(QLatin1String(junk))).open(QIODevice::WriteOnly));
        QVERIFY(QFile(QDir(QString::fromStdString(checkpoints)).filePath(QStringLiteral("checkpoint-9-4000.tmp"))).open(QIODevice::WriteOnly));
        const std::vector<RestorePoint> points = listRestorePoints(checkpoints, savepoints);
        QCOMPARE(points.size(), size_t(2));
        QCOMPARE(points[0].kind, RestorePoint::Kind::Savepoint);
        QCOMPARE(points[0].path, std::filesystem::absolute(*savepoint).lexically_normal().string());
        QCOMPARE(points[0].epoch, uint64_t(5));
        QCOMPARE(points[0].takenAtMs, int64_t(2'000));
        QCOMPARE(points[0].bytes, static_cast<uint64_t>(QFileInfo(QString::fromStdString(*savepoint)).size()));
        QCOMPARE(points[1].kind, RestorePoint::Kind::Checkpoint);
        QCOMPARE(points[1].epoch, uint64_t(3));
        QVERIFY(!points[1].incremental);
        QVERIFY(points[1].bytes > 0);
        // A missing folder, or none configured, lists nothing.
        QVERIFY(listRestorePoints(dir.filePath(QStringLiteral("none")).toStdString(), "").empty());
    }

    // While the window tasks load a restored savepoint, the status says so (the consoles show
    // it); once they all have, it says nothing more. The tasks are held at their sync point.
    void restoreInProgressIsReported()
    {
        QTemporaryDir dir;
        JobConfig config = streamConfig(dir.path());
        config.source.generator.eventsPerSecond = 150000;
        config.runtime.parallelism = 2;
        MemorySink first;
        const RunResult stopped = runJob(config, first, 20000);
        QVERIFY2(stopped.savepoint, stopped.savepoint.status().toString().c_str());

        HeldSyncPoint held("WindowTask::restored");
        LiveJob live(config);
        QVERIFY(live.job.restoreFrom(*stopped.savepoint).isOk());
        QVERIFY(live.job.start().isOk());
        TALLY_WAIT_UNTIL(held.arrived() == 2, std::chrono::seconds(30), "both tasks at their restore's end");
        const std::optional<JobStatus::Restoring> restoring = live.job.status().restoring;
        QVERIFY(restoring.has_value());
        QCOMPARE(restoring->from, *stopped.savepoint);
        QCOMPARE(restoring->tasksDone, 0);
        QCOMPARE(restoring->tasks, 2);
        QVERIFY(restoring->forMs >= 0);
        held.release();
        TALLY_WAIT_UNTIL(!live.job.status().restoring.has_value(), std::chrono::seconds(30), "the restore's end");
        live.job.requestStop();
        (void)live.job.waitFinished();
    }

    void stopRestoreRescale_data()
    {
        QTest::addColumn<int>("restoreAt");
        QTest::newRow("P=2 -> P=1") << 1;
        QTest::newRow("P=2 -> P=2") << 2;
        QTest::newRow("P=2 -> P=4") << 4;
    }
    void stopRestoreRescale()
    {
        QFETCH(int, restoreAt);
        QTemporaryDir dir;
        JobConfig config = streamConfig(dir.path());
        config.source.generator.eventsPerSecond = 150000; // the stop lands mid-stream

        MemorySink uninterrupted;
        const RunResult whole = runJob(config, uninterrupted, std::nullopt);
        const OracleResult oracle = computeOracle(config, whole.arrivals);
        std::string diff = describeDifference(oracle.table, uninterrupted.table());
        QVERIFY2(diff.empty(), diff.c_str());

        MemorySink table;
        const RunResult first = runJob(config, table, 50000);
        QVERIFY2(first.savepoint, first.savepoint.status().toString().c_str());
        QVERIFY(QFileInfo::exists(QString::fromStdString(*first.savepoint)));
        auto savepoint = readSavepointFile(*first.savepoint);
        QVERIFY(savepoint);
        QVERIFY(savepoint->state.recordCount() > 0);
        // The first job stopped at the barrier: nothing after it was ingested.
        uint64_t before = 0;
        for (int64_t p : savepoint->sourcePositions)
            before += static_cast<uint64_t>(p);
        QCOMPARE(first.arrivals.size(), size_t(before));
        QVERIFY(before > 0 && before < config.source.generator.totalEvents);

        JobConfig second = config;
        second.runtime.parallelism = restoreAt;
        const RunResult rest = runJob(second, table, std::nullopt, *first.savepoint);
        QCOMPARE(first.arrivals.size() + rest.arrivals.size(), size_t(config.source.generator.totalEvents));

        std::vector<Arrival> counted = first.arrivals;
        counted.insert(counted.end(), rest.arrivals.begin(), rest.arrivals.end());
        diff = describeDifference(computeOracle(config, counted).table, table.table());
        QVERIFY2(diff.empty(), diff.c_str());
    }

    void triggerOnlyKeepsRunning()
    {
        QTemporaryDir dir;
        JobConfig config = streamConfig(dir.path());
        config.source.generator.eventsPerSecond = 100000;
        LiveJob live(config);
        Job &job = live.job;
        QVERIFY(job.start().isOk());
        QTRY_VERIFY_WITH_TIMEOUT(job.status().eventsIn > 10000, 10000);
        const Result<std::string> path = job.savepoint(false).get();
        QVERIFY2(path, path.status().toString().c_str());
        QVERIFY(!job.finished());
        QVERIFY(job.waitFinished().isOk());
        QCOMPARE(job.status().eventsIn, config.source.generator.totalEvents);
    }

    // The coordinator: one checkpoint at a time and checkpoint.min_pause_ms between them, however
    // often the epoch barriers come.
    void minPauseSpacesCheckpoints()
    {
        QTemporaryDir dir;
        JobConfig config = streamConfig(dir.path());
        config.source.generator.eventsPerSecond = 100000;
        config.checkpoint.enabled = true;
        config.checkpoint.dir = dir.filePath(QStringLiteral("checkpoints")).toStdString();
        config.checkpoint.intervalMs = 20;
        config.checkpoint.minPauseMs = 400;
        config.source.generator.totalEvents = 10'000'000; // stopped long before
        LiveJob live(config);
        Job &job = live.job;
        QVERIFY(job.start().isOk());
        QTRY_VERIFY_WITH_TIMEOUT(job.status().checkpoints.size() >= 4, 20000);
        job.requestStop();
        QVERIFY(job.waitFinished().isOk());
        const std::vector<CheckpointRecord> history = job.status().checkpoints; // newest first
        for (size_t i = 0; i + 1 < history.size(); ++i) {
            const CheckpointRecord &newer = history[i], &older = history[i + 1];
            QVERIFY(newer.completed);
            // The newer one's barrier came at least min_pause after the older one was on disk.
            QVERIFY2(newer.triggeredAtMs >= older.triggeredAtMs + older.durationMs + config.checkpoint.minPauseMs - 5,
                     qPrintable(QStringLiteral("checkpoint %1 at %2, previous ended at %3")
                                    .arg(newer.epoch)
                                    .arg(newer.triggeredAtMs)
                                    .arg(older.triggeredAtMs + older.durationMs)));
            QVERIFY(newer.alignmentMs >= 0 && newer.syncMs >= 0 && newer.asyncMs > 0);
        }
    }

    // Checkpoints that keep failing (the folder cannot be created) stop the job after
    // checkpoint.tolerable_failures, and waitFinished() says why.
    void failingCheckpointsStopTheJob()
    {
        QTemporaryDir dir;
        QFile blocker(dir.filePath(QStringLiteral("not-a-folder")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        JobConfig config = streamConfig(dir.path());
        config.source.generator.eventsPerSecond = 100000;
        config.checkpoint.enabled = true;
        config.checkpoint.dir = dir.filePath(QStringLiteral("not-a-folder/checkpoints")).toStdString();
        config.checkpoint.intervalMs = 50;
        config.checkpoint.tolerableFailures = 2;
        config.source.generator.totalEvents = 10'000'000;
        LiveJob live(config);
        Job &job = live.job;
        QVERIFY(job.start().isOk());
        QTRY_VERIFY_WITH_TIMEOUT(job.finished(), 20000);
        const Status result = job.waitFinished();
        QCOMPARE(result.code(), Status::Code::Aborted);
        QVERIFY2(result.message().find("3 checkpoints failed in a row (checkpoint.tolerable_failures 2)") != std::string::npos,
                 result.message().c_str());
        const JobStatus status = job.status();
        QCOMPARE(status.checkpoints.size(), size_t(3));
        for (const CheckpointRecord &c : status.checkpoints)
            QVERIFY(!c.completed && !c.failure.empty());
        QVERIFY(status.eventsIn < config.source.generator.totalEvents); // it stopped early
    }

    // A checkpoint stuck in alignment (one task held at the barrier) fails at
    // checkpoint.timeout_ms, and the failure counts toward checkpoint.tolerable_failures: with
    // none tolerated the job stops and says why; otherwise, once the task goes on, later
    // checkpoints complete.
    void stuckCheckpointTimesOut_data()
    {
        QTest::addColumn<int>("tolerable");
        QTest::newRow("tolerated") << 3;
        QTest::newRow("none tolerated") << 0;
    }
    void stuckCheckpointTimesOut()
    {
        QFETCH(int, tolerable);
        QTemporaryDir dir;
        JobConfig config = streamConfig(dir.path());
        config.source.generator.eventsPerSecond = 100000;
        config.source.generator.totalEvents = 10'000'000; // stopped long before
        config.checkpoint.enabled = true;
        config.checkpoint.dir = dir.filePath(QStringLiteral("checkpoints")).toStdString();
        config.checkpoint.intervalMs = 50;
        // Well above what a checkpoint of this small state takes, also in a sanitized build, so only
        // the held one fails.
        config.checkpoint.timeoutMs = 1500;
        config.checkpoint.tolerableFailures = tolerable;
        std::promise<void> release;
        std::shared_future<void> released = release.get_future().share();
        std::atomic<bool> held{false};
        SyncPoints::set("WindowTask::barrier", [&] {
            if (!held.exchange(true))
                released.wait(); // the first task at the first barrier stays there
        });
        LiveJob live(config);
        // Declared after the job, so a failed check releases the task before the job is joined.
        bool releasedYet = false;
        const auto releaseTask = [&] {
            if (!std::exchange(releasedYet, true))
                release.set_value();
        };
        const std::shared_ptr<void> guard(nullptr, [&](void *) {
            releaseTask();
            SyncPoints::clear();
        });
        Job &job = live.job;
        QVERIFY(job.start().isOk());
        QVERIFY2(job.awaitFailedCheckpoints(1, std::chrono::seconds(20)), "the held checkpoint never failed");
        const CheckpointRecord failed = job.status().checkpoints.front();
        QVERIFY(!failed.completed);
        QVERIFY2(failed.failure.find("expired") != std::string::npos &&
                     failed.failure.find("(checkpoint.timeout_ms 1500)") != std::string::npos,
                 failed.failure.c_str());
        QVERIFY(failed.durationMs >= 1500);
        QCOMPARE(live.metrics.snapshot(0).value("tally_checkpoints_total", {{"status", "failed"}}), 1.0);
        releaseTask();
        if (tolerable == 0) {
            const Status result = job.waitFinished();
            QCOMPARE(result.code(), Status::Code::Aborted);
            QVERIFY2(result.message().find("1 checkpoints failed in a row (checkpoint.tolerable_failures 0)") !=
                         std::string::npos,
                     result.message().c_str());
        } else {
            QVERIFY2(job.awaitCompletedCheckpoints(2, std::chrono::seconds(20)), "no checkpoint completed after the release");
            job.requestStop();
            QVERIFY(job.waitFinished().isOk());
            QCOMPARE(job.status().checkpoints.front().completed, true);
        }
    }

    // Restoring an earlier savepoint inside the running process (the console's Restore): the
    // runner stops the job with a safety savepoint and a new job continues from the chosen file.
    // What came after it is counted again as upserts of the same values, so the SQLite tables end
    // equal to the oracle of the whole stream. A file that does not fit the job is refused before
    // the running job is touched.
    void restoreInProcessFromAnEarlierSavepoint()
    {
        QTemporaryDir dir;
        JobConfig config = streamConfig(dir.path());
        GeneratorConfig &g = config.source.generator;
        g.totalEvents = 200000;
        g.eventsPerSecond = 50000; // 4 s: the savepoint and the restore land mid-stream
        g.lateFraction = 0;        // every event counts whatever the watermark at its arrival,
        g.meanDelayMs = 20;        // so both runs over the replayed part count the same
        config.output.type = OutputConfig::Type::Sqlite;
        config.output.sqlitePath = dir.filePath(QStringLiteral("tally.db")).toStdString();
        MetricsRegistry metrics;
        SteadyClock clock;
        JobRunner runner(config, metrics, clock);
        QVERIFY(runner.open().isOk());
        QVERIFY(runner.start().isOk());
        const std::shared_ptr<Job> first = runner.job();
        TALLY_WAIT_UNTIL(first->status().eventsIn >= 40000 || first->finished(), std::chrono::seconds(60), "40,000 events in");
        const Result<std::string> earlier = first->savepoint(false).get();
        QVERIFY2(earlier, earlier.status().toString().c_str());
        TALLY_WAIT_UNTIL(first->status().eventsIn >= 100000 || first->finished(), std::chrono::seconds(60), "100,000 events in");
        QVERIFY2(!first->finished(), "the stream ended before the restore");

        // Refused before anything stops: a file of another configuration.
        JobConfig other = config;
        other.likesPerPost.windowMs *= 2;
        const std::string foreign = [&] {
            Savepoint s = readSavepointFile(*earlier).value();
            s.fingerprint = configFingerprint(other);
            QDir().mkpath(dir.filePath(QStringLiteral("foreign")));
            return writeSavepointFile(dir.filePath(QStringLiteral("foreign")).toStdString(), "savepoint", s).value();
        }();
        const ReplaceOutcome refused = runner.restore(foreign);
        QVERIFY(!refused.status.isOk());
        QVERIFY2(refused.status.message().find("does not fit this job") != std::string::npos, refused.status.toString().c_str());
        QVERIFY(refused.savepoint.empty());
        QCOMPARE(runner.job(), first);
        QVERIFY(!first->finished());

        const ReplaceOutcome restored = runner.restore(*earlier);
        QVERIFY2(restored.status.isOk(), restored.status.toString().c_str());
        QVERIFY(!restored.savepoint.empty() && restored.savepoint != *earlier); // the safety savepoint
        QCOMPARE(restored.from, *earlier);
        QVERIFY(first->finished());
        const std::shared_ptr<Job> second = runner.job();
        QVERIFY(second != first);
        QVERIFY(second->waitFinished().isOk());
        second->releaseConnections();

        std::vector<Arrival> events;
        GeneratorSource source(g);
        SourceBatch batch;
        while (source.poll(batch, 4096) != Source::PollStatus::End)
            for (const LikeEvent &e : batch.events)
                events.push_back({e, kMinWatermark});
        QCOMPARE(events.size(), size_t(g.totalEvents));
        // The chosen savepoint lies before where the first job was stopped: a part was counted twice.
        const Result<Savepoint> chosen = readSavepointFile(*earlier);
        QVERIFY(chosen);
        uint64_t from = 0;
        for (int64_t p : chosen->sourcePositions)
            from += static_cast<uint64_t>(p);
        QVERIFY2(from >= 40000 && from < 100000, qPrintable(QString::number(from)));
        const std::string diff = describeDifference(computeOracle(config, events).table, readSqliteResults(config.output.sqlitePath));
        QVERIFY2(diff.empty(), diff.c_str());
    }

    void incompatibleConfigurationIsRefused()
    {
        QTemporaryDir dir;
        JobConfig config = streamConfig(dir.path());
        config.source.generator.eventsPerSecond = 100000;
        MemorySink table;
        const RunResult first = runJob(config, table, 20000);
        QVERIFY(first.savepoint);
        JobConfig changed = config;
        changed.likesPerPost.windowMs *= 2;
        MetricsRegistry metrics;
        SteadyClock clock;
        Job job(changed, std::make_unique<GeneratorSource>(changed.source.generator),
                std::make_unique<SharedTableSink>(table), metrics, clock);
        const Status s = job.restoreFrom(*first.savepoint);
        QCOMPARE(s.code(), Status::Code::InvalidArgument);
        QVERIFY2(s.message().find("aggregations.likes_per_post.window_ms: savepoint " +
                                  std::to_string(config.likesPerPost.windowMs) + ", job " +
                                  std::to_string(changed.likesPerPost.windowMs)) != std::string::npos,
                 s.message().c_str());
        // A damaged file is refused too.
        QFile f(QString::fromStdString(*first.savepoint));
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.seek(f.size() / 2);
        f.write("XXXX");
        f.close();
        JobConfig same = config;
        Job again(same, std::make_unique<GeneratorSource>(same.source.generator),
                  std::make_unique<SharedTableSink>(table), metrics, clock);
        QCOMPARE(again.restoreFrom(*first.savepoint).code(), Status::Code::Corruption);
    }
};

QTEST_GUILESS_MAIN(TestJobSavepoint)
#include "tst_job_savepoint.moc"
