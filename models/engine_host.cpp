#include "models/engine_host.h"

#include "metrics/process_metrics.h"
#include "metrics/time_series.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaObject>
#include <QThread>

#include <chrono>
#include <cmath>

namespace tally {

std::unique_ptr<EngineHost> EngineHost::create(EngineOptions options, QString *error)
{
    auto audit = AuditLog::open(options.auditPath);
    if (!audit) {
        *error = QString::fromStdString(audit.status().message());
        return nullptr;
    }
    // A live generator (start_time_ms = 0) starts at the wall clock once per host, so that the
    // source of a rescaled job regenerates the same stream.
    if (options.config.source.generator.startTimeMs == 0)
        options.config.source.generator.startTimeMs = QDateTime::currentMSecsSinceEpoch();
    std::unique_ptr<EngineHost> host(new EngineHost(std::move(options), std::move(audit).value()));
    if (Status s = host->m_runner.open(host->m_options.restoreFrom); !s.isOk()) {
        *error = QString::fromStdString(s.message());
        return nullptr;
    }
    host->m_job = host->m_runner.job();
    return host;
}

EngineHost::EngineHost(EngineOptions options, std::unique_ptr<AuditLog> audit)
    : m_options(std::move(options)), m_audit(std::move(audit)), m_runner(m_options.config, m_metrics, m_clock)
{
    m_audit->setParent(nullptr);
    m_alerts.setThreshold(QStringLiteral("results_stale"), static_cast<double>(m_options.config.alerts.staleAfterMs) / 1000.0);
    // Thresholds operators set in earlier runs win over the defaults and the configuration.
    const QMap<QString, double> saved = m_audit->thresholds();
    for (auto it = saved.begin(); it != saved.end(); ++it)
        m_alerts.setThreshold(it.key(), it.value());
    connect(&m_timer, &QTimer::timeout, this, &EngineHost::sample);
}

EngineHost::~EngineHost()
{
    m_timer.stop();
    m_runner.requestStop();
    if (std::shared_ptr<Job> job = m_runner.job())
        (void)job->waitFinished();
}

Status EngineHost::start()
{
    Status s = m_runner.start();
    if (s.isOk()) {
        sample();
        m_timer.start(m_options.sampleIntervalMs);
    }
    return s;
}

void EngineHost::requestStop() { m_runner.requestStop(); }

bool EngineHost::finished() const { return m_job->finished() && !m_replacing; }

Status EngineHost::waitFinished()
{
    for (;;) {
        std::shared_ptr<Job> job = m_runner.job();
        Status s = job->waitFinished();
        // A rescale or restore stops the job on purpose and puts another in its place.
        if (!m_replacing && m_runner.job() == job)
            return s;
        QThread::msleep(10);
    }
}

void EngineHost::sample()
{
    std::shared_ptr<Job> current = m_runner.job();
    const bool replaced = current != m_job;
    m_job = std::move(current);
    const ConsoleSnapshot previous = std::move(m_snapshot);
    // Rates need two samples of the same job: a replaced job's counters start again.
    if (m_watchedPost && replaced) // a new job (a rescale or restore) watches it too
        m_job->liveResults().pinPost(*m_watchedPost);
    m_snapshot = takeConsoleSnapshot(*m_job, m_metrics, m_runner.description().kafka,
                                     previous.takenAtMs && !replaced ? &previous : nullptr,
                                     QDateTime::currentMSecsSinceEpoch(), m_watchedPost);
    m_snapshot.lastSavepoint = m_lastSavepoint;
    // Between the two jobs of a rescale or restore (the old one stopped, the new one's file is
    // being read): the Overview's Restoring row says so, as it does while the new tasks load.
    if (m_replacing && m_replacement && !m_snapshot.job.restoring && m_job->finished())
        m_snapshot.job.restoring = JobStatus::Restoring{m_replacement->from, 0, m_replacement->parallelism,
                                                        QDateTime::currentMSecsSinceEpoch() - m_replacement->startedMs};
    if (replaced)
        m_snapshot.freshness = computeFreshness(m_snapshot, &previous.freshness);
    if (replaced)
        m_lagStatus = LagStatusEvaluator(); // the new job's consumer commits afresh
    m_lagStatus.evaluate(m_snapshot);
    sampleResources(m_snapshot);
    m_alerts.evaluate(m_snapshot);
    if (replaced)
        m_finishedSignalled = false;
    emit snapshotUpdated();
    checkVerifications(replaced);
    if (m_job->finished() && !m_finishedSignalled && !m_replacing) {
        m_finishedSignalled = true;
        m_timer.stop();
        emit jobFinished();
    }
}

void EngineHost::sampleResources(ConsoleSnapshot &s) const
{
    const MemoryUse memory = readMemoryUse();
    s.residentBytes = memory.residentBytes;
    s.memoryLimitBytes = memory.limitBytes;
    s.cores = m_cores;
    const JobConfig &c = m_options.config;
    std::vector<std::pair<const char *, std::string>> folders{{"savepoints", c.checkpoint.savepointDir}};
    if (c.checkpoint.enabled)
        folders.emplace_back("checkpoints", c.checkpoint.dir);
    if (c.state.backend == StateConfig::Backend::RocksDb)
        folders.emplace_back("state", c.state.dir);
    if (!c.output.divertPath.empty())
        folders.emplace_back("divert", c.output.divertPath);
    if (c.output.type == OutputConfig::Type::Sqlite)
        folders.emplace_back("sqlite", c.output.sqlitePath);
    for (const auto &[folder, path] : folders)
        if (const std::optional<DiskSpace> space = diskSpaceOf(path))
            s.folders.push_back({folder, path, space->freeBytes, space->sizeBytes});
}

Status EngineHost::setAlertThreshold(const QString &ruleId, double threshold, const QString &user, const QString &source)
{
    const std::optional<double> was = m_alerts.threshold(ruleId);
    const QString parameters = QStringLiteral("rule=%1 threshold=%2").arg(ruleId).arg(threshold);
    const auto refuse = [&](const std::string &why) {
        m_audit->append(user, source, QStringLiteral("set_alert_threshold"), parameters, QStringLiteral("refused"),
                        QString::fromStdString(why));
        return Status::invalidArgument(why);
    };
    if (!was)
        return refuse("no alert rule " + ruleId.toStdString());
    if (!std::isfinite(threshold) || threshold < 0)
        return refuse("the threshold must be a finite number >= 0");
    m_alerts.setThreshold(ruleId, threshold);
    const bool saved = m_audit->saveThreshold(ruleId, threshold);
    m_audit->append(user, source, QStringLiteral("set_alert_threshold"), parameters, QStringLiteral("ok"),
                    QStringLiteral("was %1%2").arg(*was).arg(saved ? QString() : QStringLiteral("; not saved for the next run")));
    emit alertThresholdChanged(ruleId, threshold);
    return Status::ok();
}

const TimeSeriesStore &EngineHost::timeSeries() const { return m_job->timeSeries(); }

void EngineHost::watchPost(uint64_t post)
{
    m_watchedPost = post;
    m_job->liveResults().pinPost(post);
}

const RecentDeadLetters &EngineHost::recentDeadLetters() const { return m_job->recentDeadLetters(); }

Result<StoredDeadLetters> EngineHost::storedDeadLetters(std::optional<RejectReason> reason, size_t limit, uint64_t before) const
{
    const JobConfig c = m_runner.config();
    if (c.source.type == SourceConfig::Type::Kafka)
        return Status::unavailable("this job's dead letters are stored in the dead-letter topic " +
                                   (c.source.kafka.deadLetterTopic.empty() ? c.source.kafka.topic + ".dlq" : c.source.kafka.deadLetterTopic) +
                                   ", not in a table this console reads");
    if (c.output.type != OutputConfig::Type::Sqlite)
        return Status::unavailable(c.output.type == OutputConfig::Type::Postgres
                                       ? "this job's dead letters are stored in PostgreSQL's dead_letters table, which this console does not read"
                                       : "this job has no sink: its dead letters are not stored");
    constexpr qint64 kReuseMs = 5000;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    if (const auto &r = m_storedDeadLetters;
        r && r->reason == reason && r->limit == limit && r->before == before && now - r->atMs >= 0 && now - r->atMs < kReuseMs)
        return r->answer;
    m_storedDeadLetters = StoredDeadLettersRead{
        reason, limit, before, now, readStoredDeadLetters(c.output.sqlitePath, reason, limit, before, RecentDeadLetters::kPayloadBytes)};
    return m_storedDeadLetters->answer;
}

std::vector<RestorePoint> EngineHost::restorePoints() const
{
    const JobConfig c = m_runner.config();
    return listRestorePoints(c.checkpoint.dir, c.checkpoint.savepointDir);
}

std::vector<WindowValue> EngineHost::watchedWindows(uint64_t post)
{
    m_job->liveResults().watchPost(post);
    return m_job->liveResults().history(post).value_or(std::vector<WindowValue>{});
}

std::optional<EngineHost::Action> EngineHost::actionFromName(const QString &name)
{
    const ActionSpec *spec = ActionCatalogue::find(name);
    return spec ? std::optional(spec->action) : std::nullopt;
}

QVariantMap EngineHost::currentParameters(Action action) const
{
    if (action == Action::Rescale)
        return {{QString::fromLatin1(kParallelismParameter), m_runner.config().runtime.parallelism}};
    if (action == Action::Restore) { // the newest file on disk
        const std::vector<RestorePoint> points = restorePoints();
        return points.empty() ? QVariantMap{} : QVariantMap{{QString::fromLatin1(kRestoreFromParameter), QString::fromStdString(points.front().path)}};
    }
    return {};
}

std::optional<UiText> EngineHost::parameterProblem(Action action, const QVariantMap &parameters) const
{
    if (std::optional<UiText> wrong = ActionCatalogue::checkParameters(action, parameters))
        return wrong;
    if (action == Action::Restore && !listedRestorePoint(parameters))
        return notListed(parameters);
    return std::nullopt;
}

UiText EngineHost::notListed(const QVariantMap &parameters)
{
    return UiText(staticMetaObject.className(),
                  QT_TR_NOOP("%1 is not a checkpoint or savepoint in this job's folders (checkpoint.dir, "
                             "checkpoint.savepoint_dir)"))
        .arg(parameters.value(QString::fromLatin1(kRestoreFromParameter)).toString().left(256));
}

std::optional<std::string> EngineHost::listedRestorePoint(const QVariantMap &parameters) const
{
    // A restore reads only what the job's own folders list: never any file a request names.
    const QString from = parameters.value(QString::fromLatin1(kRestoreFromParameter)).toString();
    for (const RestorePoint &p : restorePoints())
        if (QString::fromStdString(p.path) == from)
            return p.path;
    return std::nullopt;
}

EngineHost::Availability EngineHost::availability(Action action) const
{
    // English source text in this class's context: the views translate it, REST sends it as is.
    const auto no = [](const char *reason) { return Availability{false, UiText(staticMetaObject.className(), reason)}; };
    const Availability yes{true, {}};
    if (m_job->finished())
        return no(QT_TR_NOOP("The job has stopped."));
    const JobStatus::State state = m_snapshot.job.state;
    const bool hasSink = m_snapshot.sink.present;
    switch (action) {
    case Action::PauseSource:
        return state == JobStatus::State::Paused ? no(QT_TR_NOOP("The source is already paused.")) : yes;
    case Action::ResumeSource:
        return state == JobStatus::State::Paused ? yes : no(QT_TR_NOOP("The source is not paused."));
    case Action::DrainSink:
        return hasSink ? yes : no(QT_TR_NOOP("The job has no sink (output.type is \"none\")."));
    case Action::ResumeSink:
        if (!hasSink)
            return no(QT_TR_NOOP("The job has no sink (output.type is \"none\")."));
        return m_snapshot.sink.held ? yes : no(QT_TR_NOOP("The sink is not holding writes."));
    case Action::DivertSink:
    case Action::UndivertSink:
        if (!hasSink)
            return no(QT_TR_NOOP("The job has no sink (output.type is \"none\")."));
        return m_runner.description().divertConfigured ? yes : no(QT_TR_NOOP("No divert buffer is configured (set output.divert_path)."));
    case Action::TriggerSavepoint:
    case Action::StopWithSavepoint:
        return yes;
    case Action::Rescale:
    case Action::Restore:
        return m_replacing ? no(QT_TR_NOOP("A rescale or restore is already running.")) : yes;
    }
    return {false, {}};
}

qint64 EngineHost::run(Action action, const QString &user, const QString &source, const QVariantMap &parameters)
{
    const QString name = actionName(action);
    const QString params = QString::fromUtf8(QJsonDocument(QJsonObject::fromVariantMap(parameters)).toJson(QJsonDocument::Compact));
    const Availability available = availability(action);
    if (!available.enabled) {
        m_audit->append(user, source, name, params, QStringLiteral("refused"), available.reason.english());
        return 0;
    }
    if (const std::optional<UiText> wrong = ActionCatalogue::checkParameters(action, parameters)) {
        m_audit->append(user, source, name, params, QStringLiteral("refused"), wrong->english());
        return 0;
    }
    // The listed file itself, from one listing of the folders.
    const std::optional<std::string> listed = action == Action::Restore ? listedRestorePoint(parameters) : std::nullopt;
    if (action == Action::Restore && !listed) {
        m_audit->append(user, source, name, params, QStringLiteral("refused"), notListed(parameters).english());
        return 0;
    }
    const std::string restoreFrom = listed.value_or(std::string());
    const ActionContext context = contextFor(action, parameters, restoreFrom);
    const qint64 id = m_audit->append(user, source, name, params, QStringLiteral("started"));
    const std::shared_ptr<Job> job = m_job;
    // Waits for an engine future without blocking the worker.
    const auto watch = [](auto future, auto toOutcome) -> ActionWorker::Poll {
        auto shared = std::make_shared<decltype(future)>(std::move(future));
        return [shared, toOutcome]() -> std::optional<ActionOutcome> {
            if (shared->wait_for(std::chrono::seconds(0)) != std::future_status::ready)
                return std::nullopt;
            return toOutcome(shared->get());
        };
    };
    const auto fromStatus = [](const Status &s) { return ActionOutcome{s.isOk(), s.isOk() ? std::string() : s.toString()}; };
    const auto fromSavepoint = [this](const Result<std::string> &path) {
        if (!path)
            return ActionOutcome{false, path.status().toString()};
        QMetaObject::invokeMethod(this, [this, file = *path] { m_lastSavepoint = file; }, Qt::QueuedConnection);
        ActionOutcome outcome{true, *path};
        const Verification::Outcome readBack = verifySavepointFile(*path);
        outcome.verified = readBack.verified;
        outcome.verification = readBack.detail;
        return outcome;
    };
    auto command = [&](auto c) {
        runOnWorker(id, context, user, source, params, [job, c, watch, fromStatus] { return watch(job->submit(c), fromStatus); });
    };
    switch (action) {
    case Action::PauseSource:
        command(SourceCommand::Pause);
        break;
    case Action::ResumeSource:
        command(SourceCommand::Resume);
        break;
    case Action::DrainSink:
        command(SinkCommand::Drain);
        break;
    case Action::ResumeSink:
        command(SinkCommand::ResumeWrites);
        break;
    case Action::DivertSink:
        command(SinkCommand::Divert);
        break;
    case Action::UndivertSink:
        command(SinkCommand::Undivert);
        break;
    case Action::TriggerSavepoint:
    case Action::StopWithSavepoint: {
        const bool stop = action == Action::StopWithSavepoint;
        runOnWorker(id, context, user, source, params,
                    [job, stop, watch, fromSavepoint] { return watch(job->savepoint(stop), fromSavepoint); });
        break;
    }
    case Action::Rescale:
    case Action::Restore: {
        // Parameters checked above. The runner checks what it can before it stops the job, and
        // never leaves the host without one.
        const int parallelism = parameters.value(QString::fromLatin1(kParallelismParameter)).toInt();
        m_replacing = true;
        m_replacement = Replacement{action == Action::Restore ? restoreFrom : "the savepoint the job stops with",
                                    action == Action::Rescale ? parallelism : m_runner.config().runtime.parallelism,
                                    QDateTime::currentMSecsSinceEpoch()};
        runOnWorker(id, context, user, source, params, [this, action, parallelism, restoreFrom]() -> ActionWorker::Poll {
            const ReplaceOutcome r = action == Action::Rescale ? m_runner.rescale(parallelism) : m_runner.restore(restoreFrom);
            if (!r.savepoint.empty())
                QMetaObject::invokeMethod(this, [this, file = r.savepoint] { m_lastSavepoint = file; }, Qt::QueuedConnection);
            const std::string done = action == Action::Rescale
                                         ? std::to_string(parallelism) + " window tasks, from " + r.savepoint
                                         : "continued from " + r.from + " (the job before stopped with " + r.savepoint + ")";
            ActionOutcome outcome{r.status.isOk(), r.status.isOk() ? done : r.status.message()};
            QMetaObject::invokeMethod(this, [this] {
                m_replacing = false;
                m_replacement.reset();
                sample(); // shows the new job (or why there is none) at once
                if (!m_timer.isActive() && !finished())
                    m_timer.start(m_options.sampleIntervalMs);
            }, Qt::QueuedConnection);
            return [outcome] { return std::optional(outcome); };
        });
        break;
    }
    }
    return id;
}

void EngineHost::runOnWorker(qint64 id, const ActionContext &context, const QString &user, const QString &source,
                             const QString &params, ActionWorker::Start start)
{
    const Action action = context.action;
    const QString name = actionName(action);
    // The checks run on the worker just before the action starts (after the actions before it
    // started, not necessarily finished).
    ActionWorker::Start checked = [this, context, user, source, params, name, start = std::move(start)]() -> ActionWorker::Poll {
        const std::vector<CheckResult> checks = runPreflight(context);
        if (checks.empty())
            return start();
        const bool passed = preflightPassed(checks);
        m_audit->append(user, source, name, params, QStringLiteral("checked"), QString::fromStdString(describeChecks(checks)));
        if (passed)
            return start();
        std::vector<CheckResult> notPassed;
        for (const CheckResult &c : checks)
            if (c.state != CheckResult::State::Passed)
                notPassed.push_back(c);
        ActionOutcome refused{false, "refused by its pre-flight checks, nothing was done: " + describeChecks(notPassed)};
        refused.refused = true;
        return [refused] { return std::optional(refused); };
    };
    m_worker.post(std::move(checked), [this, id, context, user, source, params, name](const ActionOutcome &outcome) {
        const QString message = QString::fromStdString(outcome.message);
        m_audit->append(user, source, name, params,
                        outcome.refused ? QStringLiteral("refused") : outcome.ok ? QStringLiteral("ok") : QStringLiteral("failed"), message);
        QMetaObject::invokeMethod(
            this,
            [this, id, context, user, source, params, outcome, message] {
                const Action action = context.action;
                if (outcome.refused && (action == Action::Rescale || action == Action::Restore)) {
                    m_replacing = false; // the running job was left alone
                    m_replacement.reset();
                    sample(); // the consoles stop showing it as under way at once
                }
                emit actionFinished(id, action, outcome.ok, message);
                if (outcome.verified) {
                    finishVerification({id, action, user, source, params, {}}, *outcome.verified, outcome.verification);
                } else if (outcome.ok) {
                    if (std::optional<Verification> v = Verification::start(context, QDateTime::currentMSecsSinceEpoch())) {
                        m_verifications.push_back({id, action, user, source, params, *v});
                        if (!m_timer.isActive()) // the job ended: no sample will come to check it
                            checkVerifications(false);
                    }
                }
            },
            Qt::QueuedConnection);
    });
}

// Between the two jobs of a rescale or restore nothing is checked; a verification of the job
// before (a drain, a pause) ends when a new job replaced it; one still open when the job has
// ended (no more samples come) ends with it.
void EngineHost::checkVerifications(bool replaced)
{
    if (m_replacing)
        return;
    const int64_t nowMs = QDateTime::currentMSecsSinceEpoch();
    for (size_t i = 0; i < m_verifications.size();) {
        Watched &w = m_verifications[i];
        std::optional<Verification::Outcome> outcome;
        if (replaced && w.action != Action::Rescale && w.action != Action::Restore)
            outcome = Verification::Outcome{false, "a rescale or restore replaced the job first"};
        else
            outcome = w.verification.check(m_snapshot, nowMs);
        if (!outcome && m_job->finished())
            outcome = Verification::Outcome{false, "the job ended before the action could be seen to work"};
        if (!outcome) {
            ++i;
            continue;
        }
        const Watched done = w;
        m_verifications.erase(m_verifications.begin() + static_cast<std::ptrdiff_t>(i));
        finishVerification(done, outcome->verified, outcome->detail);
    }
}

void EngineHost::finishVerification(const Watched &w, bool verified, const std::string &detail)
{
    const QString message = QString::fromStdString(detail);
    m_audit->append(w.user, w.source, actionName(w.action), w.params, verified ? QStringLiteral("verified") : QStringLiteral("not verified"),
                    message);
    emit actionVerified(w.id, w.action, verified, message);
}

ActionContext EngineHost::contextFor(Action action, const QVariantMap &parameters, const std::string &restoreFrom) const
{
    ActionContext context = actionContext(action, m_runner.config(), m_snapshot);
    if (action == Action::Rescale)
        context.parallelism = parameters.value(QString::fromLatin1(kParallelismParameter)).toInt();
    context.restoreFrom = restoreFrom;
    return context;
}

EngineHost::Plan EngineHost::plan(Action action, const QVariantMap &parameters) const
{
    const std::optional<std::string> listed = action == Action::Restore ? listedRestorePoint(parameters) : std::nullopt;
    const ActionContext context = contextFor(action, parameters, listed.value_or(std::string()));
    return {dryRun(context), preflightChecks(action)};
}

} // namespace tally
