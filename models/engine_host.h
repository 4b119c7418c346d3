// The EngineHost runs the job inside the console process: its JobRunner builds the job from the
// configuration (and replaces it on a rescale or restore), the host samples a ConsoleSnapshot at a fixed rate
// on its own (GUI) thread and evaluates the alert rules on every sample, and its ActionWorker
// carries out operator actions off that thread, each written to the audit log. The desktop window, the web console and the headless runner all sit on one
// EngineHost and read its snapshot and alerts.
#pragma once

#include "checkpoint/checkpoint_store.h"
#include "config/job_config.h"
#include "metrics/metrics.h"
#include "metrics/process_metrics.h"
#include "models/action_catalogue.h"
#include "models/action_checks.h"
#include "models/action_worker.h"
#include "models/alerts.h"
#include "models/lag_status.h"
#include "models/audit_log.h"
#include "models/console_snapshot.h"
#include "models/ui_text.h"
#include "runtime/job.h"
#include "runtime/job_runner.h"
#include "sink/sqlite_store.h"
#include "time/clock.h"

#include <QObject>
#include <QString>
#include <QTimer>
#include <QVariantMap>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tally {

struct EngineOptions {
    JobConfig config; // the source (generator or Kafka) is config.source
    QString auditPath = QStringLiteral("tally-audit.db");
    std::string restoreFrom; // a savepoint to continue from
    int sampleIntervalMs = 250;
};

class EngineHost : public QObject {
    Q_OBJECT
public:
    using Action = OperatorAction; // described by the ActionCatalogue

    struct Availability {
        bool enabled = false;
        UiText reason; // why not, when disabled (English; views translate)
    };

    // Opens the sink, the source and the audit log; `error` says what failed (English).
    static std::unique_ptr<EngineHost> create(EngineOptions options, QString *error);
    ~EngineHost() override; // stops the job and waits for it

    Status start();
    void requestStop();
    bool finished() const; // the job has finished, and no rescale or restore is replacing it
    // Blocks until the current job has finished; returns why it failed, if it did.
    Status waitFinished();

    const ConsoleSnapshot &snapshot() const { return m_snapshot; }
    JobStatus jobStatus() const { return m_runner.job()->status(); } // now, not as of the last sample
    // The running job's configuration (a rescale changes its parallelism).
    JobConfig config() const { return m_runner.config(); }
    const EngineOptions &options() const { return m_options; }
    QString sourceDescription() const { return QString::fromStdString(m_runner.description().sourceDescription); }
    QString sinkDescription() const { return QString::fromStdString(m_runner.description().sinkDescription); }
    AuditLog &auditLog() { return *m_audit; }
    // The engine's metrics registry (/metrics); the console's own parts register theirs here too.
    MetricsRegistry &metrics() { return m_metrics; }
    // The console's alerts, evaluated on every snapshot before snapshotUpdated(); the views and
    // the web console read them (thresholds change through setAlertThreshold()).
    AlertModel &alerts() { return m_alerts; }
    // An operator's new threshold for an alert rule: applied at once, kept in the audit log's file
    // (it outlasts a restart) and audited, refusals too. Refused: an unknown rule, a value that is
    // not a finite number >= 0.
    Status setAlertThreshold(const QString &ruleId, double threshold, const QString &user, const QString &source);
    const AlertModel &alerts() const { return m_alerts; }
    // The running job's time series (the charts), valid until the job is replaced (a rescale or restore;
    // GUI thread only).
    const TimeSeriesStore &timeSeries() const;
    // The post whose windows the snapshot follows (the desktop's Windows page; GUI thread).
    void watchPost(uint64_t post);
    // Another view's watched post (a web page's own choice): its windows since it was first asked
    // for, which keeps it watched for LiveResults::kWatchIdle more.
    std::vector<WindowValue> watchedWindows(uint64_t post);
    // The running job's newest dead letters (a rescale's new job starts afresh; GUI thread).
    const RecentDeadLetters &recentDeadLetters() const;
    // The dead letters the sink stored, every run's (readStoredDeadLetters): the SQLite sink's
    // dead_letters table. Unavailable, with where they are instead, for a job whose dead letters
    // go to a dead-letter topic (Kafka) or to PostgreSQL, or without a sink. Reads the file (at
    // most half a second): call it when asked, not on every snapshot. The same question within
    // 5 s gets the same answer without another read, so no client can keep the GUI thread reading.
    Result<StoredDeadLetters> storedDeadLetters(std::optional<RejectReason> reason, size_t limit, uint64_t before) const;
    // The checkpoints and savepoints on disk this job's configuration can continue from
    // (tally --restore FILE), newest first.
    std::vector<RestorePoint> restorePoints() const;

    Availability availability(Action action) const;
    static QString actionName(Action action) { return ActionCatalogue::spec(action).name; }
    static std::optional<Action> actionFromName(const QString &name);
    // The values the action's parameters have now, to start a dialog from (rescale: the job's
    // parallelism; restore: the newest checkpoint or savepoint on disk).
    QVariantMap currentParameters(Action action) const;
    // What is wrong with `parameters` for `action`: the catalogue's checks, and a restore's file
    // must be one of restorePoints(). Nothing when they are right. run() refuses with it.
    std::optional<UiText> parameterProblem(Action action, const QVariantMap &parameters) const;

    // What `action` with `parameters` will do (action_checks.h dryRun) and the pre-flight checks
    // it runs first, by name; from the last sample, nothing asked of the broker (GUI thread).
    struct Plan {
        std::string dryRun;
        std::vector<std::string> checks;
    };
    Plan plan(Action action, const QVariantMap &parameters) const;

    // Starts an action; its outcome arrives as actionFinished(id, ...) and in the audit log: a
    // "started" row; the pre-flight checks' results ("checked", each check passed, failed or
    // unknown); then "ok", "failed", or "refused" when a check did not pass (nothing was done).
    // A savepoint's detail is its file. After an "ok", the action's verification watches the
    // samples (action_checks.h Verification; a savepoint's file is read back at once) and ends
    // with a "verified" or "not verified" row and actionVerified(). Refused before it starts
    // (not available now, or parameters the catalogue does not accept): returns 0 and logs
    // "refused" with the reason. Rescale takes "parallelism": stop with a savepoint, then a job
    // at the new parallelism continues from it in this process.
    qint64 run(Action action, const QString &user, const QString &source, const QVariantMap &parameters = {});

    // Takes a snapshot now (also done by the timer).
    void sample();

signals:
    void snapshotUpdated();
    void actionFinished(qint64 id, tally::EngineHost::Action action, bool ok, const QString &message);
    void actionVerified(qint64 id, tally::EngineHost::Action action, bool verified, const QString &message);
    void jobFinished();
    void alertThresholdChanged(const QString &ruleId, double threshold);

private:
    // Memory and the free space of the folders the job writes to, into the snapshot.
    void sampleResources(ConsoleSnapshot &s) const;
    EngineHost(EngineOptions options, std::unique_ptr<AuditLog> audit);
    // Hands `start` to the worker, after the action's pre-flight checks; its outcome goes to the
    // audit log and actionFinished(), and an "ok" starts its verification.
    void runOnWorker(qint64 id, const ActionContext &context, const QString &user, const QString &source, const QString &params,
                     ActionWorker::Start start);
    // The action's context for its checks: from the last sample and the running job's configuration.
    ActionContext contextFor(Action action, const QVariantMap &parameters, const std::string &restoreFrom) const;
    // Verifications under way (GUI thread), checked on every sample.
    struct Watched {
        qint64 id;
        Action action;
        QString user, source, params;
        Verification verification;
    };
    std::vector<Watched> m_verifications;
    void checkVerifications(bool jobReplaced);
    void finishVerification(const Watched &w, bool verified, const std::string &detail);

    EngineOptions m_options;
    const double m_cores = availableCores(); // read once: a process's CPU quota hardly changes
    MetricsRegistry m_metrics;
    SteadyClock m_clock;
    std::unique_ptr<AuditLog> m_audit;
    JobRunner m_runner;
    std::shared_ptr<Job> m_job; // the runner's current job as of the last sample (GUI thread)
    std::optional<uint64_t> m_watchedPost; // see watchPost(); kept across a rescale's new job
    ConsoleSnapshot m_snapshot;
    AlertModel m_alerts;
    LagStatusEvaluator m_lagStatus;
    QTimer m_timer;
    bool m_finishedSignalled = false;
    std::atomic<bool> m_replacing{false}; // a rescale or restore was accepted and has not finished
    struct StoredDeadLettersRead {        // the newest storedDeadLetters() answer (GUI thread)
        std::optional<RejectReason> reason;
        size_t limit = 0;
        uint64_t before = 0;
        qint64 atMs = 0;
        Result<StoredDeadLetters> answer = Status::notFound("not read");
    };
    mutable std::optional<StoredDeadLettersRead> m_storedDeadLetters;
    struct Replacement { // the rescale or restore under way (GUI thread), for the snapshot
        std::string from;
        int parallelism = 0;
        qint64 startedMs = 0;
    };
    std::optional<Replacement> m_replacement;
    // The listed restore point a restore's parameters name (its own path), if there is one.
    std::optional<std::string> listedRestorePoint(const QVariantMap &parameters) const;
    static UiText notListed(const QVariantMap &parameters); // why a restore's file is refused
    std::string m_lastSavepoint;
    ActionWorker m_worker; // last: joined first, while everything it uses still exists
};

} // namespace tally
