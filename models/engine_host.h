// The EngineHost runs the job inside the console process: it builds the source and the sink from
// the options, samples a ConsoleSnapshot at a fixed rate on its own (GUI) thread and evaluates the
// alert rules on every sample, and carries out operator actions off that thread, writing each to
// the audit log. The desktop window, the web console and the headless runner all sit on one
// EngineHost and read its snapshot and alerts.
#pragma once

#include "config/job_config.h"
#include "metrics/metrics.h"
#include "models/action_catalogue.h"
#include "models/alerts.h"
#include "models/audit_log.h"
#include "models/console_snapshot.h"
#include "models/ui_text.h"
#include "runtime/job.h"
#include "time/clock.h"

#include <QObject>
#include <QString>
#include <QTimer>
#include <QVariantMap>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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

    // Opens the sink, the source and the audit log; `error` says what failed.
    static std::unique_ptr<EngineHost> create(EngineOptions options, QString *error);
    ~EngineHost() override; // stops the job and waits for it

    Status start();
    void requestStop();
    bool finished() const;

    const ConsoleSnapshot &snapshot() const { return m_snapshot; }
    const Job &job() const { return *m_job; }
    Job &job() { return *m_job; }
    const EngineOptions &options() const { return m_options; }
    QString sourceDescription() const { return m_sourceDescription; }
    QString sinkDescription() const { return m_sinkDescription; }
    AuditLog &auditLog() { return *m_audit; }
    // The console's alerts, evaluated on every snapshot before snapshotUpdated(); the views and
    // the web console read them (and may change thresholds).
    AlertModel &alerts() { return m_alerts; }
    const AlertModel &alerts() const { return m_alerts; }
    // The running job's time series (the charts) and the post whose history the snapshot follows.
    const TimeSeriesStore &timeSeries() const;
    void watchPost(uint64_t post);

    Availability availability(Action action) const;
    static QString actionName(Action action) { return ActionCatalogue::spec(action).name; }
    static std::optional<Action> actionFromName(const QString &name);
    // The values the action's parameters have now, to start a dialog from (rescale: the job's
    // parallelism).
    QVariantMap currentParameters(Action action) const;

    // Starts an action; its outcome arrives as actionFinished(id, ...) and in the audit log
    // (a "started" row, then "ok" or "failed"; a savepoint's detail is its file). Refused actions
    // (not available now, or parameters the catalogue does not accept) return 0 and log "refused"
    // with the reason. Rescale takes "parallelism": stop with a savepoint, then a job at
    // the new parallelism continues from it in this process.
    qint64 run(Action action, const QString &user, const QString &source, const QVariantMap &parameters = {});

    // Takes a snapshot now (also done by the timer).
    void sample();

signals:
    void snapshotUpdated();
    void actionFinished(qint64 id, tally::EngineHost::Action action, bool ok, const QString &message);
    void jobFinished();

private:
    EngineHost(EngineOptions options, std::unique_ptr<AuditLog> audit);
    std::unique_ptr<Job> buildJob(const JobConfig &config, const std::string &restoreFrom, QString *error);
    qint64 runSavepoint(qint64 id, Action action, const QString &user, const QString &source, const QString &params,
                        bool stop, int rescaleTo);
    // Rescale: the stopped job gives way to one at `parallelism` restored from the savepoint.
    bool replaceJob(int parallelism, const std::string &savepointPath, QString *error);

    EngineOptions m_options;
    MetricsRegistry m_metrics;
    SteadyClock m_clock;
    std::unique_ptr<AuditLog> m_audit;
    std::unique_ptr<Job> m_job;
    bool m_kafka = false;
    QString m_sourceDescription;
    QString m_sinkDescription;
    bool m_divertConfigured = false;
    ConsoleSnapshot m_snapshot;
    AlertModel m_alerts;
    QTimer m_timer;
    bool m_finishedSignalled = false;
    bool m_rescaling = false;
    std::string m_lastSavepoint;
    std::mutex m_workersMutex;
    std::vector<std::thread> m_workers; // waiting for action outcomes
};

} // namespace tally
