#include "models/alerts.h"

#include "models/audit_log.h"
#include "models/snapshot_models.h"

#include <QDateTime>

#include <algorithm>
#include <deque>
#include <memory>

namespace tally {

namespace {

std::optional<double> over(double value, double threshold)
{
    return value > threshold ? std::optional(value) : std::nullopt;
}

std::optional<double> under(double value, double threshold)
{
    return value < threshold ? std::optional(value) : std::nullopt;
}

std::optional<double> atLeast(double value, double threshold)
{
    return value >= threshold ? std::optional(value) : std::nullopt;
}

// How long a condition has held, across the snapshots a rule sees: seconds since the first
// snapshot in which it held, or nullopt while it does not hold.
class Holding {
public:
    std::optional<double> seconds(bool holds, int64_t nowMs)
    {
        if (!holds) {
            m_sinceMs.reset();
            return std::nullopt;
        }
        if (!m_sinceMs)
            m_sinceMs = nowMs;
        return static_cast<double>(nowMs - *m_sinceMs) / 1000.0;
    }

private:
    std::optional<int64_t> m_sinceMs;
};

} // namespace

AlertModel::AlertModel(QObject *parent) : QAbstractTableModel(parent)
{
    const auto text = [](const char *source) { return UiText(staticMetaObject.className(), source); };
    m_rules = {
        // Incidents: something is down or stopped. Each holds from the first snapshot that shows
        // it; the threshold is how long (0: at once).
        {QStringLiteral("sink_down"), text(QT_TR_NOOP("Sink down: writes to the database fail")),
         text(QT_TR_NOOP("s failing")), 5, 0,
         [holding = std::make_shared<Holding>()](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             // The circuit is open (or trying one write), or the newest write failed: results
             // wait in memory (or in the divert buffer) instead of reaching the database.
             const bool failing = s.job.sink && (s.job.sink->circuit != CircuitBreaker::State::Closed ||
                                                 !s.job.sink->lastError.empty());
             const std::optional<double> seconds = holding->seconds(failing, s.takenAtMs);
             return seconds ? atLeast(*seconds, t) : std::nullopt;
         },
         {}},
        {QStringLiteral("job_failed"), text(QT_TR_NOOP("The job failed and stopped")), text(QT_TR_NOOP("s stopped")), 0, 0,
         [holding = std::make_shared<Holding>()](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             const std::optional<double> seconds = holding->seconds(!s.job.failure.empty(), s.takenAtMs);
             return seconds ? atLeast(*seconds, t) : std::nullopt;
         },
         {}},
        {QStringLiteral("checkpoint_failing"), text(QT_TR_NOOP("No completed checkpoint for several intervals")),
         text(QT_TR_NOOP("intervals")), 3, 0,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             // While the newest attempt failed: the intervals since the newest completed
             // checkpoint was on disk (since the oldest attempt when none completed). A slow
             // checkpoint still in flight, or barriers skipped for checkpoint.min_pause_ms, are
             // not failures (checkpoint_slow covers the first).
             const auto &c = s.job.checkpoints; // newest first
             if (!s.job.checkpointsEnabled || s.job.checkpointIntervalMs <= 0 || c.empty() || c.front().completed)
                 return std::nullopt;
             const auto completed = std::find_if(c.begin(), c.end(), [](const CheckpointRecord &r) { return r.completed; });
             const int64_t sinceMs = completed != c.end() ? completed->triggeredAtMs + completed->durationMs
                                                          : c.back().triggeredAtMs;
             return atLeast(static_cast<double>(s.takenAtMs - sinceMs) / static_cast<double>(s.job.checkpointIntervalMs), t);
         },
         {}},
        {QStringLiteral("output_stalled"), text(QT_TR_NOOP("Output stalled while input flows")),
         text(QT_TR_NOOP("s without a commit")), 30, 0,
         [progress = std::make_shared<std::pair<std::pair<uint64_t, uint64_t>, int64_t>>()](
             const ConsoleSnapshot &s, double t) -> std::optional<double> {
             // While input comes in (events decoded, or a backlog in Kafka) and the sink has
             // something to store (rows pending, or epochs the tasks passed that an exactly-once
             // sink has not committed), it must make progress: commit an epoch or write rows.
             // Without a sink, the tasks must pass epochs. An exactly-once sink commits once per
             // checkpoint interval, so the allowance is at least three of them; a sink an
             // operator drained (held) is not stalled.
             const bool input = s.eventsPerSecond > 0 || s.lagSeconds > 0;
             std::pair<uint64_t, uint64_t> now{s.job.committedEpoch, 0};
             bool waiting = true;
             if (const std::optional<SinkStatus> &k = s.job.sink) {
                 now = {k->committedEpoch, k->rowsWritten};
                 waiting = !k->held &&
                           (k->pendingRows > 0 || (k->committedEpoch > 0 && s.job.committedEpoch > k->committedEpoch));
             }
             t = std::max(t, 3 * static_cast<double>(s.job.checkpointIntervalMs) / 1000.0);
             auto &[last, movedAtMs] = *progress;
             if (now != last || movedAtMs == 0 || !input || !waiting) {
                 last = now;
                 movedAtMs = s.takenAtMs;
                 return std::nullopt;
             }
             return atLeast(static_cast<double>(s.takenAtMs - movedAtMs) / 1000.0, t);
         },
         {}},
        {QStringLiteral("results_stale"), text(QT_TR_NOOP("Database behind: stored results older than the bound")),
         text(QT_TR_NOOP("s behind")), 60, 10,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             // The freshness age: now minus the end of the newest window that the database holds
             // every window before. 0 turns the rule off (alerts.stale_after_ms = 0).
             if (t <= 0 || !s.freshness.ageSeconds)
                 return std::nullopt;
             return over(*s.freshness.ageSeconds, t);
         },
         {}},
        {QStringLiteral("broker_unreachable"), text(QT_TR_NOOP("Kafka broker unreachable")), text(QT_TR_NOOP("s unreachable")),
         10, 0,
         [holding = std::make_shared<Holding>()](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             const bool down = s.kafka && s.metrics.value("tally_kafka_broker_up", {}, 1) == 0;
             const std::optional<double> seconds = holding->seconds(down, s.takenAtMs);
             return seconds ? atLeast(*seconds, t) : std::nullopt;
         },
         {}},
        {QStringLiteral("partition_stalled"), text(QT_TR_NOOP("Consumer stalled: committed offsets stopped while lag grows")),
         text(QT_TR_NOOP("partitions")), 1, 0,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             // Partitions in Burrow's STALL or STOP (models/lag_status.h: the window already
             // spans ten commits). An operator's pause stalls them on purpose.
             if (s.job.state == JobStatus::State::Paused)
                 return std::nullopt;
             const auto stalled = std::count_if(s.partitions.begin(), s.partitions.end(), [](const PartitionFigures &p) {
                 return p.lagStatus == LagStatus::Stall || p.lagStatus == LagStatus::Stop;
             });
             return atLeast(static_cast<double>(stalled), t);
         },
         {}},
        // Degradation: the pipeline runs, worse than it should.
        {QStringLiteral("checkpoint_slow"), text(QT_TR_NOOP("Checkpoint duration above 80% of the interval")),
         text(QT_TR_NOOP("% of interval")), 80, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             // Checkpoints are taken every interval: the gap between the last two is the interval.
             const auto &c = s.job.checkpoints;
             if (c.size() < 2 || c[0].triggeredAtMs <= c[1].triggeredAtMs)
                 return std::nullopt;
             return over(static_cast<double>(c[0].durationMs) * 100 / static_cast<double>(c[0].triggeredAtMs - c[1].triggeredAtMs), t);
         },
         {}},
        {QStringLiteral("consumer_lag"), text(QT_TR_NOOP("Consumer lag above twice the watermark bound")),
         text(QT_TR_NOOP("x bound")), 2, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             const double bound = static_cast<double>(s.watermarkBoundMs) / 1000.0;
             if (!s.kafka || bound <= 0)
                 return std::nullopt;
             return over(s.lagSeconds / bound, t);
         },
         {}},
        {QStringLiteral("sink_latency"), text(QT_TR_NOOP("Sink write latency p99 above 5x its baseline")),
         text(QT_TR_NOOP("x baseline")), 5, 30,
         [baseline = std::make_shared<std::optional<double>>()](const ConsoleSnapshot &s,
                                                                double t) -> std::optional<double> {
             if (!s.sink.recentP99Ms)
                 return std::nullopt;
             const double p99 = std::max(*s.sink.recentP99Ms, 0.05); // below 50 us is noise
             if (!*baseline) {
                 *baseline = p99;
                 return std::nullopt;
             }
             const double ratio = p99 / **baseline;
             if (ratio <= t) // the baseline follows normal operation slowly, never an incident
                 *baseline = **baseline * 0.98 + p99 * 0.02;
             return over(ratio, t);
         },
         {}},
        {QStringLiteral("backpressure"), text(QT_TR_NOOP("Sustained backpressure")),
         text(QT_TR_NOOP("% of time")), 50, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             double worst = 0;
             for (const OperatorFigures &o : s.operators)
                 worst = std::max(worst, o.backpressured * 100);
             return over(worst, t);
         },
         {}},
        {QStringLiteral("hot_partition"), text(QT_TR_NOOP("One partition takes most of the traffic")),
         text(QT_TR_NOOP("% of records")), 60, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             const auto hot = s.hottestPartition();
             if (!hot || s.partitions.size() < 2)
                 return std::nullopt;
             return over(hot->second * 100, t);
         },
         {}},
        {QStringLiteral("dead_letters"), text(QT_TR_NOOP("Dead-letter rate over the threshold")),
         text(QT_TR_NOOP("% of records")), 1, 10,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             if (s.recordsPerSecond < 10)
                 return std::nullopt;
             return over(s.deadLettersPerSecond * 100 / s.recordsPerSecond, t);
         },
         {}},
        {QStringLiteral("kafka_partitions_unhealthy"),
         text(QT_TR_NOOP("Kafka partitions without a leader or under-replicated")), text(QT_TR_NOOP("partitions")), 1, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             if (!s.kafka)
                 return std::nullopt;
             return atLeast(s.metrics.value("tally_kafka_partitions_without_leader", {}, 0) +
                                s.metrics.value("tally_kafka_partitions_under_replicated", {}, 0),
                            t);
         },
         {}},
        {QStringLiteral("rebalance_storm"), text(QT_TR_NOOP("Rebalance storm: the consumer group keeps rebalancing")),
         text(QT_TR_NOOP("rebalances in 5 min")), 5, 0,
         [history = std::make_shared<std::deque<std::pair<int64_t, double>>>()](const ConsoleSnapshot &s,
                                                                                double t) -> std::optional<double> {
             // Rebalances (assignments and revocations) over the last five minutes.
             if (!s.kafka)
                 return std::nullopt;
             const double count = s.metrics.value("tally_kafka_rebalances_total", {{"kind", "assign"}}, 0) +
                                  s.metrics.value("tally_kafka_rebalances_total", {{"kind", "revoke"}}, 0);
             if (!history->empty() && count < history->back().second)
                 history->clear(); // a new job's counter
             history->emplace_back(s.takenAtMs, count);
             while (history->size() > 1 && s.takenAtMs - (*history)[1].first >= 5 * 60 * 1000)
                 history->pop_front();
             return atLeast(count - history->front().second, t);
         },
         {}},
        {QStringLiteral("memory_high"), text(QT_TR_NOOP("Memory above its share of the limit")),
         text(QT_TR_NOOP("% of limit")), 80, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             // Resident memory against the cgroup's limit, else the machine's memory.
             if (!s.residentBytes || !s.memoryLimitBytes || *s.memoryLimitBytes <= 0)
                 return std::nullopt;
             return over(*s.residentBytes * 100 / *s.memoryLimitBytes, t);
         },
         {}},
        {QStringLiteral("disk_low"), text(QT_TR_NOOP("Free disk space low where the job writes")),
         text(QT_TR_NOOP("% free")), 10, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             // The fullest of the folders the job writes to (checkpoints, savepoints, RocksDB
             // state, the divert buffer, the SQLite file).
             std::optional<double> lowest;
             for (const FolderSpace &f : s.folders)
                 if (f.sizeBytes > 0)
                     lowest = std::min(lowest.value_or(100.0), f.freeBytes * 100 / f.sizeBytes);
             return lowest ? under(*lowest, t) : std::nullopt;
         },
         {}},
        {QStringLiteral("late_drops"), text(QT_TR_NOOP("Late-drop rate over the threshold")),
         text(QT_TR_NOOP("% of events")), 1, 10,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             if (s.eventsPerSecond < 10)
                 return std::nullopt;
             return over(s.droppedPerSecond * 100 / s.eventsPerSecond, t);
         },
         {}},
    };
}

QString AlertModel::runbookPath(const QString &ruleId) { return QStringLiteral(":/runbooks/%1.md").arg(ruleId); }

void AlertModel::setThreshold(const QString &ruleId, double threshold)
{
    for (AlertRule &r : m_rules)
        if (r.id == ruleId)
            r.threshold = threshold;
}

int AlertModel::activeCount() const
{
    return static_cast<int>(std::count_if(m_alerts.begin(), m_alerts.end(), [](const Alert &a) { return a.active(); }));
}

std::optional<double> AlertModel::threshold(const QString &ruleId) const
{
    for (const AlertRule &r : m_rules)
        if (r.id == ruleId)
            return r.threshold;
    return std::nullopt;
}

bool AlertModel::isActive(const QString &ruleId) const
{
    return std::any_of(m_alerts.begin(), m_alerts.end(), [&](const Alert &a) { return a.ruleId == ruleId && a.active(); });
}

void AlertModel::evaluate(const ConsoleSnapshot &s)
{
    bool changed = false;
    for (AlertRule &rule : m_rules) {
        const std::optional<double> value = rule.check(s, rule.threshold);
        auto active = std::find_if(m_alerts.begin(), m_alerts.end(),
                                   [&](const Alert &a) { return a.ruleId == rule.id && a.active(); });
        if (!value) {
            rule.holdingSinceMs.reset();
            if (active != m_alerts.end()) {
                active->resolvedAtMs = s.takenAtMs;
                changed = true;
                emit alertResolved(*active);
            }
            continue;
        }
        if (!rule.holdingSinceMs)
            rule.holdingSinceMs = s.takenAtMs;
        if (active != m_alerts.end()) {
            active->value = *value;
            changed = true;
        } else if (static_cast<double>(s.takenAtMs - *rule.holdingSinceMs) >= rule.forSeconds * 1000) {
            beginResetModel();
            m_alerts.prepend({rule.id, rule.title, s.takenAtMs, std::nullopt, *value, rule.threshold});
            endResetModel();
            emit alertFired(m_alerts.front());
        }
    }
    if (changed && !m_alerts.isEmpty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

int AlertModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : static_cast<int>(m_alerts.size()); }

int AlertModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : 6; }

QVariant AlertModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Alert &a = m_alerts[index.row()];
    if (role == kHighlightRole)
        return a.active();
    if (role == Qt::UserRole)
        return a.ruleId;
    if (role == kTextRole) {
        if (index.column() == 0)
            return QVariant::fromValue(a.title);
        if (index.column() == 1)
            return QVariant::fromValue(a.active() ? UiText(staticMetaObject.className(), QT_TR_NOOP("active"))
                                                  : UiText(staticMetaObject.className(), QT_TR_NOOP("resolved")));
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case 0:
    case 1:
        return textData(data(index, kTextRole).value<UiText>(), Qt::DisplayRole);
    case 2:
        return formatClockTime(a.firedAtMs);
    case 3:
        return a.resolvedAtMs ? formatClockTime(*a.resolvedAtMs) : QString();
    case 4:
        return QLocale().toString(a.value, 'f', 1);
    case 5:
        return QLocale().toString(a.threshold, 'f', 1);
    }
    return {};
}

QVariant AlertModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    static const char *const h[] = {QT_TR_NOOP("Alert"),    QT_TR_NOOP("State"), QT_TR_NOOP("Fired"),
                                    QT_TR_NOOP("Resolved"), QT_TR_NOOP("Value"), QT_TR_NOOP("Threshold")};
    if (orientation == Qt::Horizontal && section >= 0 && section < static_cast<int>(std::size(h)))
        if (QVariant v = textData(UiText(staticMetaObject.className(), h[section]), role); v.isValid())
            return v;
    return QAbstractTableModel::headerData(section, orientation, role);
}

// ---------------------------------------------------------------------------------------------
// AuditModel

AuditModel::AuditModel(AuditLog &log, QObject *parent) : QAbstractTableModel(parent), m_log(log)
{
    connect(&m_log, &AuditLog::appended, this, &AuditModel::refresh);
    refresh();
}

void AuditModel::refresh()
{
    beginResetModel();
    m_entries = m_log.recent();
    endResetModel();
}

int AuditModel::rowCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : static_cast<int>(m_entries.size()); }

int AuditModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : 7; }

QVariant AuditModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AuditEntry &e = m_entries[index.row()];
    if (role == kHighlightRole)
        return e.outcome == QLatin1String("failed") || e.outcome == QLatin1String("refused") || e.outcome == QLatin1String("not verified");
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case 0:
        return formatClockTime(e.atMs);
    case 1:
        return e.user;
    case 2:
        return e.source;
    case 3:
        return e.action;
    case 4:
        return e.parameters;
    case 5:
        return e.outcome;
    case 6:
        return e.detail;
    }
    return {};
}

QVariant AuditModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    static const char *const h[] = {QT_TR_NOOP("Time"),       QT_TR_NOOP("User"),    QT_TR_NOOP("From"),
                                    QT_TR_NOOP("Action"),     QT_TR_NOOP("Parameters"), QT_TR_NOOP("Outcome"),
                                    QT_TR_NOOP("Detail")};
    if (orientation == Qt::Horizontal && section >= 0 && section < static_cast<int>(std::size(h)))
        if (QVariant v = textData(UiText(staticMetaObject.className(), h[section]), role); v.isValid())
            return v;
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace tally
