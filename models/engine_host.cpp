#include "models/engine_host.h"

#include "metrics/time_series.h"
#include "sink/kafka_dead_letters.h"
#include "sink/sink_factory.h"
#include "source/generator.h"
#include "source/kafka_source.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaObject>

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
    if (Status s = host->m_options.config.validate(); !s.isOk()) {
        *error = QString::fromStdString(s.message());
        return nullptr;
    }
    host->m_job = host->buildJob(host->m_options.config, host->m_options.restoreFrom, error);
    if (!host->m_job)
        return nullptr;
    return host;
}

std::unique_ptr<Job> EngineHost::buildJob(const JobConfig &config, const std::string &restoreFrom, QString *error)
{
    auto sinkWriter = openSink(config.output, m_metrics);
    if (!sinkWriter) {
        *error = QStringLiteral("cannot open the output: %1").arg(QString::fromStdString(sinkWriter.status().toString()));
        return nullptr;
    }
    m_sinkDescription = *sinkWriter ? QString::fromStdString((*sinkWriter)->describe()) + QStringLiteral(" (") +
                                          QString::fromUtf8(deliveryName(config.output.delivery)) + QLatin1Char(')')
                                    : QStringLiteral("no output");
    m_divertConfigured = *sinkWriter && !config.output.divertPath.empty();
    std::unique_ptr<OutputSink> sink = std::move(sinkWriter).value();

    std::unique_ptr<Source> source;
    if (config.source.type == SourceConfig::Type::Kafka) {
        const KafkaSourceConfig &kafka = config.source.kafka;
        auto opened = KafkaSource::open(kafka, m_metrics);
        if (!opened) {
            *error = QString::fromStdString(opened.status().message());
            return nullptr;
        }
        source = std::move(opened).value();
        const std::string deadLetterTopic = kafka.deadLetterTopic.empty() ? kafka.topic + ".dlq" : kafka.deadLetterTopic;
        auto writer = KafkaDeadLetterWriter::open(kafka.bootstrapServers, deadLetterTopic, kafka.topic, m_metrics,
                                                  kafka.properties);
        if (!writer) {
            *error = QString::fromStdString(writer.status().message());
            return nullptr;
        }
        sink = std::make_unique<DeadLetterTopicSink>(std::move(sink), std::move(writer).value());
        m_kafka = true;
        m_sourceDescription =
            QStringLiteral("kafka %1/%2").arg(QString::fromStdString(kafka.bootstrapServers), QString::fromStdString(kafka.topic));
    } else {
        source = std::make_unique<GeneratorSource>(config.source.generator);
        m_sourceDescription = QStringLiteral("generator");
    }
    auto job = std::make_unique<Job>(config, std::move(source), std::move(sink), m_metrics, m_clock);
    if (!restoreFrom.empty()) {
        if (Status s = job->restoreFrom(restoreFrom); !s.isOk()) {
            *error = QString::fromStdString(s.message());
            return nullptr;
        }
    }
    return job;
}

EngineHost::EngineHost(EngineOptions options, std::unique_ptr<AuditLog> audit)
    : m_options(std::move(options)), m_audit(std::move(audit))
{
    m_audit->setParent(nullptr);
    connect(&m_timer, &QTimer::timeout, this, &EngineHost::sample);
}

EngineHost::~EngineHost()
{
    m_timer.stop();
    if (m_job) {
        m_job->requestStop();
        (void)m_job->waitFinished();
    }
    std::lock_guard lock(m_workersMutex);
    for (auto &t : m_workers)
        t.join();
}

Status EngineHost::start()
{
    Status s = m_job->start();
    if (s.isOk()) {
        sample();
        m_timer.start(m_options.sampleIntervalMs);
    }
    return s;
}

void EngineHost::requestStop() { m_job->requestStop(); }

bool EngineHost::finished() const { return m_job->finished() && !m_rescaling; }

void EngineHost::sample()
{
    const ConsoleSnapshot previous = std::move(m_snapshot);
    m_snapshot = takeConsoleSnapshot(*m_job, m_metrics, m_kafka, previous.takenAtMs ? &previous : nullptr,
                                     QDateTime::currentMSecsSinceEpoch());
    m_snapshot.lastSavepoint = m_lastSavepoint;
    m_alerts.evaluate(m_snapshot);
    emit snapshotUpdated();
    if (m_job->finished() && !m_finishedSignalled && !m_rescaling) {
        m_finishedSignalled = true;
        m_timer.stop();
        emit jobFinished();
    }
}

const TimeSeriesStore &EngineHost::timeSeries() const { return m_job->timeSeries(); }

void EngineHost::watchPost(uint64_t post) { m_job->liveResults().watchPost(post); }

std::optional<EngineHost::Action> EngineHost::actionFromName(const QString &name)
{
    const ActionSpec *spec = ActionCatalogue::find(name);
    return spec ? std::optional(spec->action) : std::nullopt;
}

QVariantMap EngineHost::currentParameters(Action action) const
{
    if (action == Action::Rescale)
        return {{QString::fromLatin1(kParallelismParameter), m_options.config.runtime.parallelism}};
    return {};
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
        return m_divertConfigured ? yes : no(QT_TR_NOOP("No divert buffer is configured (set output.divert_path)."));
    case Action::TriggerSavepoint:
    case Action::StopWithSavepoint:
        return yes;
    case Action::Rescale:
        return m_rescaling ? no(QT_TR_NOOP("A rescale is already running.")) : yes;
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
    const qint64 id = m_audit->append(user, source, name, params, QStringLiteral("started"));
    std::future<Status> outcome;
    switch (action) {
    case Action::PauseSource:
        outcome = m_job->submit(SourceCommand::Pause);
        break;
    case Action::ResumeSource:
        outcome = m_job->submit(SourceCommand::Resume);
        break;
    case Action::DrainSink:
        outcome = m_job->submit(SinkCommand::Drain);
        break;
    case Action::ResumeSink:
        outcome = m_job->submit(SinkCommand::ResumeWrites);
        break;
    case Action::DivertSink:
        outcome = m_job->submit(SinkCommand::Divert);
        break;
    case Action::UndivertSink:
        outcome = m_job->submit(SinkCommand::Undivert);
        break;
    case Action::TriggerSavepoint:
    case Action::StopWithSavepoint:
        return runSavepoint(id, action, user, source, params, action == Action::StopWithSavepoint, 0);
    case Action::Rescale: {
        // In the catalogue's range: checked above.
        const int p = parameters.value(QString::fromLatin1(kParallelismParameter)).toInt();
        m_rescaling = true;
        return runSavepoint(id, action, user, source, params, true, p);
    }
    }
    std::lock_guard lock(m_workersMutex);
    m_workers.emplace_back([this, id, action, user, source, name, params, outcome = std::move(outcome)]() mutable {
        const Status s = outcome.get();
        const QString message = s.isOk() ? QString() : QString::fromStdString(s.toString());
        m_audit->append(user, source, name, params, s.isOk() ? QStringLiteral("ok") : QStringLiteral("failed"), message);
        QMetaObject::invokeMethod(
            this, [this, id, action, ok = s.isOk(), message] { emit actionFinished(id, action, ok, message); },
            Qt::QueuedConnection);
    });
    return id;
}

qint64 EngineHost::runSavepoint(qint64 id, Action action, const QString &user, const QString &source,
                                const QString &params, bool stop, int rescaleTo)
{
    std::future<Result<std::string>> outcome = m_job->savepoint(stop);
    std::lock_guard lock(m_workersMutex);
    m_workers.emplace_back([this, id, action, user, source, params, rescaleTo, outcome = std::move(outcome)]() mutable {
        Result<std::string> path = outcome.get();
        // The rest happens on the host's thread: a rescale replaces the job there.
        QMetaObject::invokeMethod(
            this,
            [this, id, action, user, source, params, rescaleTo, path = std::move(path)] {
                QString message = path ? QString::fromStdString(*path) : QString::fromStdString(path.status().toString());
                bool ok = path.isOk();
                if (ok)
                    m_lastSavepoint = *path;
                if (ok && rescaleTo > 0) {
                    QString error;
                    ok = replaceJob(rescaleTo, *path, &error);
                    message = ok ? tr("%1 window tasks, from %2").arg(rescaleTo).arg(message) : error;
                }
                if (rescaleTo > 0)
                    m_rescaling = false;
                m_audit->append(user, source, actionName(action), params, ok ? QStringLiteral("ok") : QStringLiteral("failed"),
                                message);
                emit actionFinished(id, action, ok, message);
            },
            Qt::QueuedConnection);
    });
    return id;
}

bool EngineHost::replaceJob(int parallelism, const std::string &savepointPath, QString *error)
{
    (void)m_job->waitFinished(); // stopped by its savepoint: its sink has written everything
    m_job.reset();
    JobConfig config = m_options.config;
    config.runtime.parallelism = parallelism;
    std::unique_ptr<Job> job = buildJob(config, savepointPath, error);
    if (!job)
        return false;
    if (Status s = job->start(); !s.isOk()) {
        *error = QString::fromStdString(s.toString());
        return false;
    }
    m_options.config = config;
    m_job = std::move(job);
    m_finishedSignalled = false;
    m_snapshot = {};
    sample();
    if (!m_timer.isActive())
        m_timer.start(m_options.sampleIntervalMs);
    return true;
}

} // namespace tally
