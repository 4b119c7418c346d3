// The operator actions' pre-flight checks and verifications (models/action_checks.h), each named
// check once passing and once refusing with its reason, against real folders: a nearly full file
// system is a 4 MiB tmpfs mounted for the test (root, or CAP_SYS_ADMIN, is needed: the test fails
// saying so without), a folder that cannot be made is one under a regular file, restore points are
// real savepoint files. The Kafka check (positions_retained) runs against the real broker in
// tst_kafka_reset_offsets. Verifications are fed console samples as the EngineHost feeds them.
#include "checkpoint/savepoint.h"
#include "models/action_checks.h"
#include "runtime/config_fingerprint.h"

#include <QtTest>

#include <QProcess>
#include <QTemporaryDir>

using namespace tally;

namespace {

// A folder on a file system of `megabytes`, unmounted when it goes.
class SmallFileSystem {
public:
    explicit SmallFileSystem(int megabytes)
    {
        QProcess mount;
        mount.start(QStringLiteral("mount"), {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                                              QStringLiteral("size=%1m").arg(megabytes), QStringLiteral("tmpfs"), m_dir.path()});
        m_mounted = mount.waitForFinished(30000) && mount.exitStatus() == QProcess::NormalExit && mount.exitCode() == 0;
        if (!m_mounted)
            m_error = QString::fromUtf8(mount.readAllStandardError()).trimmed();
    }
    ~SmallFileSystem()
    {
        if (m_mounted)
            QProcess::execute(QStringLiteral("umount"), {m_dir.path()});
    }
    bool mounted() const { return m_mounted; }
    QString error() const { return m_error; }
    std::string path(const char *name = "") const { return (m_dir.path() + QLatin1Char('/') + QLatin1String(name)).toStdString(); }

private:
    QTemporaryDir m_dir;
    bool m_mounted = false;
    QString m_error;
};

#define REQUIRE_MOUNTED(fs)                                                                                              \
    QVERIFY2((fs).mounted(), qPrintable(QStringLiteral("cannot mount a small tmpfs for a nearly full file system (run the " \
                                                       "tests as root): %1")                                            \
                                            .arg((fs).error())))

ActionContext contextFor(OperatorAction action, const QTemporaryDir &dir)
{
    ActionContext c;
    c.action = action;
    c.config.checkpoint.savepointDir = (dir.path() + QStringLiteral("/savepoints")).toStdString();
    c.config.checkpoint.dir = (dir.path() + QStringLiteral("/checkpoints")).toStdString();
    c.config.state.dir = (dir.path() + QStringLiteral("/state")).toStdString();
    c.config.runtime.parallelism = 2;
    c.parallelism = 2;
    c.stateRecords = 1000;
    c.memoryLimitBytes = 8e9;
    return c;
}

CheckResult find(const std::vector<CheckResult> &checks, const std::string &name)
{
    for (const CheckResult &c : checks)
        if (c.name == name)
            return c;
    return {"missing", CheckResult::State::Unknown, "no check " + name + " ran"};
}

QString text(const CheckResult &c) { return QString::fromStdString(c.name + " " + std::string(checkStateName(c.state)) + ": " + c.detail); }

#define CHECK_STATE(checks, name, expected, fragment)                                                                    \
    do {                                                                                                                 \
        const CheckResult r = find(checks, name);                                                                       \
        QVERIFY2(r.state == (expected) && r.detail.find(fragment) != std::string::npos, qPrintable(text(r)));           \
    } while (false)

ConsoleSnapshot sample(JobState state, double eventsPerSecond = 0)
{
    ConsoleSnapshot s;
    s.job.state = state;
    s.eventsPerSecond = eventsPerSecond;
    return s;
}

} // namespace

class TestActionChecks : public QObject {
    Q_OBJECT

private slots:
    void everyActionNamesItsChecks()
    {
        for (const ActionSpec &spec : ActionCatalogue::all()) {
            QTemporaryDir dir;
            ActionContext c = contextFor(spec.action, dir);
            const std::vector<CheckResult> ran = runPreflight(c);
            QCOMPARE(ran.size(), preflightChecks(spec.action).size());
            for (size_t i = 0; i < ran.size(); ++i)
                QCOMPARE(ran[i].name, preflightChecks(spec.action)[i]);
            QVERIFY2(!dryRun(c).empty(), qPrintable(spec.name));
        }
    }

    void parallelismInBounds()
    {
        QTemporaryDir dir;
        ActionContext c = contextFor(OperatorAction::Rescale, dir);
        c.parallelism = 4;
        CHECK_STATE(runPreflight(c), "parallelism_in_bounds", CheckResult::State::Passed, "4 window tasks (now 2)");
        c.parallelism = 129;
        CHECK_STATE(runPreflight(c), "parallelism_in_bounds", CheckResult::State::Failed, "not between 1 and 128");
        QVERIFY(!preflightPassed(runPreflight(c)));
    }

    // A savepoint folder that cannot be made (a regular file stands where its parent should be).
    void foldersWritable()
    {
        QTemporaryDir dir;
        ActionContext c = contextFor(OperatorAction::TriggerSavepoint, dir);
        CHECK_STATE(runPreflight(c), "folders_writable", CheckResult::State::Passed, "take files");
        QFile blocker(dir.path() + QStringLiteral("/file"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        c.config.checkpoint.savepointDir = (dir.path() + QStringLiteral("/file/savepoints")).toStdString();
        CHECK_STATE(runPreflight(c), "folders_writable", CheckResult::State::Failed, "checkpoint.savepoint_dir");
    }

    // 4 MiB free: a savepoint of 10 counts fits, one of 1M counts (~12 MB) does not.
    void savepointSpace()
    {
        SmallFileSystem fs(4);
        REQUIRE_MOUNTED(fs);
        QTemporaryDir dir;
        ActionContext c = contextFor(OperatorAction::StopWithSavepoint, dir);
        c.config.checkpoint.savepointDir = fs.path("savepoints");
        c.stateRecords = 10;
        CHECK_STATE(runPreflight(c), "savepoint_space", CheckResult::State::Passed, "free in");
        c.stateRecords = 1'000'000;
        CHECK_STATE(runPreflight(c), "savepoint_space", CheckResult::State::Failed, "the savepoint folder is too full: ");
    }

    void stateFitsMemory()
    {
        QTemporaryDir dir;
        ActionContext c = contextFor(OperatorAction::Rescale, dir);
        c.stateRecords = 1'000'000;
        c.memoryLimitBytes = 1e9;
        CHECK_STATE(runPreflight(c), "state_fits_memory", CheckResult::State::Passed, "1000000 counts (heap)");
        c.stateRecords = 100'000'000; // 4 GB in hash tables
        CHECK_STATE(runPreflight(c), "state_fits_memory", CheckResult::State::Failed, "the state does not fit in memory");
        c.memoryLimitBytes.reset();
        CHECK_STATE(runPreflight(c), "state_fits_memory", CheckResult::State::Unknown, "cannot be read");
        QVERIFY(!preflightPassed(runPreflight(c))); // not known is no pass
    }

    // RocksDB's files need room in state.dir: 4 MiB is not enough for any state (64 MiB spare).
    void stateFolderSpace()
    {
        SmallFileSystem fs(4);
        REQUIRE_MOUNTED(fs);
        QTemporaryDir dir;
        ActionContext c = contextFor(OperatorAction::Rescale, dir);
        CHECK_STATE(runPreflight(c), "state_folder_space", CheckResult::State::Passed, "heap backend");
        c.config.state.backend = StateConfig::Backend::RocksDb;
        CHECK_STATE(runPreflight(c), "state_folder_space", CheckResult::State::Passed, "free in");
        c.config.state.dir = fs.path("state");
        CHECK_STATE(runPreflight(c), "state_folder_space", CheckResult::State::Failed, "the state folder is too full");
    }

    // A restore point that reads back and fits; one taken with other windows; one that is damaged.
    void restorePointFits()
    {
        QTemporaryDir dir;
        ActionContext c = contextFor(OperatorAction::Restore, dir);
        Savepoint sp;
        sp.epoch = 3;
        sp.fingerprint = configFingerprint(c.config);
        sp.sourcePositions = std::vector<int64_t>(static_cast<size_t>(c.config.source.generator.partitions), 0);
        const Result<std::string> fits = writeSavepointFile(dir.path().toStdString(), "fits", sp);
        QVERIFY(fits);
        c.restoreFrom = *fits;
        std::vector<CheckResult> checks = runPreflight(c);
        CHECK_STATE(checks, "restore_point_fits", CheckResult::State::Passed, "reads back whole (epoch 3) and fits this job");
        CHECK_STATE(checks, "positions_retained", CheckResult::State::Passed, "the generator");
        QVERIFY2(preflightPassed(checks), describeChecks(checks).c_str());

        JobConfig other = c.config;
        other.likesPerPost.windowMs *= 2;
        sp.fingerprint = configFingerprint(other);
        const Result<std::string> otherWindows = writeSavepointFile(dir.path().toStdString(), "other", sp);
        QVERIFY(otherWindows);
        c.restoreFrom = *otherWindows;
        CHECK_STATE(runPreflight(c), "restore_point_fits", CheckResult::State::Failed, "does not fit this job: aggregations.likes_per_post");

        QFile damaged(QString::fromStdString(*fits));
        QVERIFY(damaged.open(QIODevice::ReadWrite));
        damaged.seek(damaged.size() - 2);
        damaged.write("xx");
        damaged.close();
        c.restoreFrom = *fits;
        checks = runPreflight(c);
        CHECK_STATE(checks, "restore_point_fits", CheckResult::State::Failed, "does not read back");
        CHECK_STATE(checks, "positions_retained", CheckResult::State::Passed, "the generator"); // whatever the file: nothing is deleted
    }

    void divertSpace()
    {
        SmallFileSystem fs(4);
        REQUIRE_MOUNTED(fs);
        QTemporaryDir dir;
        ActionContext c = contextFor(OperatorAction::DivertSink, dir);
        CHECK_STATE(runPreflight(c), "divert_space", CheckResult::State::Failed, "no output.divert_path");
        c.config.output.divertPath = (dir.path() + QStringLiteral("/divert.jsonl")).toStdString();
        c.pendingRows = 100;
        CHECK_STATE(runPreflight(c), "divert_space", CheckResult::State::Passed, "free in");
        c.config.output.divertPath = fs.path("divert.jsonl"); // 4 MiB: less than an outage's floor of 64 MiB
        CHECK_STATE(runPreflight(c), "divert_space", CheckResult::State::Failed, "the divert folder is too full");
    }

    // Verifications: each sees its action work, or says what it saw when its time is up.
    void pauseIsVerifiedOnceThePausedStateShows()
    {
        QTemporaryDir dir;
        std::optional<Verification> v = Verification::start(contextFor(OperatorAction::PauseSource, dir), 1000);
        QVERIFY(v);
        QVERIFY(!v->check(sample(JobState::Running, 5000), 2000));
        const std::optional<Verification::Outcome> seen = v->check(sample(JobState::Paused), 3000);
        QVERIFY(seen && seen->verified);
        QCOMPARE(QString::fromStdString(seen->detail), QStringLiteral("the source is paused after 2 s"));
        std::optional<Verification> late = Verification::start(contextFor(OperatorAction::PauseSource, dir), 1000);
        const std::optional<Verification::Outcome> timeUp = late->check(sample(JobState::Running, 5000), 11'000);
        QVERIFY(timeUp && !timeUp->verified);
        QCOMPARE(QString::fromStdString(timeUp->detail), QStringLiteral("the source is not paused after 10 s"));
    }

    // A drain (its rows were written when it succeeded) is verified once the sink holds new ones.
    void drainIsVerifiedWhenTheSinkHolds()
    {
        QTemporaryDir dir;
        std::optional<Verification> v = Verification::start(contextFor(OperatorAction::DrainSink, dir), 0);
        ConsoleSnapshot s = sample(JobState::Running, 100);
        s.sink.present = true;
        s.sink.pendingRows = 40;
        QVERIFY(!v->check(s, 1000));
        s.sink.held = true;
        const std::optional<Verification::Outcome> seen = v->check(s, 2000);
        QVERIFY(seen && seen->verified);
        QCOMPARE(QString::fromStdString(seen->detail), QStringLiteral("the sink holds new rows (40 so far) after 2 s"));
        s.sink.held = false;
        std::optional<Verification> stuck = Verification::start(contextFor(OperatorAction::DrainSink, dir), 0);
        const std::optional<Verification::Outcome> timeUp = stuck->check(s, 60'000);
        QVERIFY(timeUp && !timeUp->verified && timeUp->detail == "the sink does not hold its rows after 60 s");
    }

    // A divert is verified by the sink's divert being on (an outage then spills), not by rows.
    void divertIsVerifiedByTheSinksSetting()
    {
        QTemporaryDir dir;
        std::optional<Verification> v = Verification::start(contextFor(OperatorAction::DivertSink, dir), 0);
        ConsoleSnapshot s = sample(JobState::Running, 100);
        s.job.sink = SinkStatus{};
        QVERIFY(!v->check(s, 1000));
        s.job.sink->divertEnabled = true;
        const std::optional<Verification::Outcome> seen = v->check(s, 2000);
        QVERIFY(seen && seen->verified);
    }

    // A rescale's new job that failed, or was stopped, is not one that read its input to the end.
    void rescaleOfAFailedJobIsNotVerified()
    {
        QTemporaryDir dir;
        std::optional<Verification> v = Verification::start(contextFor(OperatorAction::Rescale, dir), 0);
        ConsoleSnapshot s = sample(JobState::Finished);
        s.job.failure = "the sink failed";
        s.job.windowsHandedOverByMs = kMaxWatermark;
        QVERIFY(!v->check(s, 1000));
        s.job.failure.clear();
        s.job.windowsHandedOverByMs = 5000; // stopped, not at the end of its input
        QVERIFY(!v->check(s, 2000));
        const std::optional<Verification::Outcome> timeUp = v->check(s, 60'000);
        QVERIFY(timeUp && !timeUp->verified);
        s.job.windowsHandedOverByMs = kMaxWatermark;
        std::optional<Verification> ended = Verification::start(contextFor(OperatorAction::Rescale, dir), 0);
        const std::optional<Verification::Outcome> done = ended->check(s, 1000);
        QVERIFY(done && done->verified && done->detail == "the new job read its input to the end after 1 s");
    }

    // A rescale of a Kafka job: reading again is not enough, its lag must shrink.
    void rescaleOfKafkaNeedsTheLagToShrink()
    {
        QTemporaryDir dir;
        std::optional<Verification> v = Verification::start(contextFor(OperatorAction::Rescale, dir), 0);
        ConsoleSnapshot s = sample(JobState::Running, 0);
        s.kafka = true;
        s.partitions.resize(2);
        const auto lag = [&](double a, double b) {
            s.partitions[0].lagRecords = a;
            s.partitions[1].lagRecords = b;
        };
        s.eventsPerSecond = 90'000;
        s.partitions[0].lagRecords = 0; // the other partition's lag is not known yet: no figure, not 0
        QVERIFY(!v->check(s, 500));
        s.eventsPerSecond = 0;
        lag(5000, 5000);
        QVERIFY(!v->check(s, 1000)); // not reading yet
        s.eventsPerSecond = 90'000;
        QVERIFY(!v->check(s, 2000));
        lag(9000, 9000); // growing: no
        QVERIFY(!v->check(s, 3000));
        lag(4000, 4000);
        QVERIFY(!v->check(s, 4000));
        lag(1000, 500);
        const std::optional<Verification::Outcome> seen = v->check(s, 5000);
        QVERIFY2(seen && seen->verified, seen ? seen->detail.c_str() : "no outcome");
        QCOMPARE(QString::fromStdString(seen->detail), QStringLiteral("the new job reads 90000 events/s and its lag shrinks after 5 s"));

        std::optional<Verification> growing = Verification::start(contextFor(OperatorAction::Rescale, dir), 0);
        lag(100, 100);
        QVERIFY(!growing->check(s, 1000));
        for (int64_t t = 2000; t < 60'000; t += 1000) {
            lag(100 + static_cast<double>(t), 100 + static_cast<double>(t));
            QVERIFY(!growing->check(s, t));
        }
        const std::optional<Verification::Outcome> timeUp = growing->check(s, 60'000);
        QVERIFY(timeUp && !timeUp->verified);
        QCOMPARE(QString::fromStdString(timeUp->detail), QStringLiteral("the new job's lag does not shrink after 60 s"));
    }

    // A savepoint is verified by reading its file back.
    void savepointFileReadsBack()
    {
        QTemporaryDir dir;
        Savepoint sp;
        sp.epoch = 9;
        sp.sourcePositions = {1, 2};
        const Result<std::string> file = writeSavepointFile(dir.path().toStdString(), "sp", sp);
        QVERIFY(file);
        const Verification::Outcome whole = verifySavepointFile(*file);
        QVERIFY2(whole.verified && whole.detail.find("reads back whole: epoch 9, 0 counts, 2 source positions") != std::string::npos,
                 whole.detail.c_str());
        QFile::resize(QString::fromStdString(*file), 20);
        const Verification::Outcome torn = verifySavepointFile(*file);
        QVERIFY2(!torn.verified && torn.detail.find("does not read back") != std::string::npos, torn.detail.c_str());
    }
};

QTEST_GUILESS_MAIN(TestActionChecks)
#include "tst_action_checks.moc"
