#include "models/alerts.h"

#include "models/audit_log.h"
#include "models/snapshot_models.h"

#include <QDateTime>

#include <algorithm>
#include <memory>

namespace tally {

namespace {

QString clockTime(int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

std::optional<double> over(double value, double threshold)
{
    return value > threshold ? std::optional(value) : std::nullopt;
}

} // namespace

AlertModel::AlertModel(QObject *parent) : QAbstractTableModel(parent)
{
    m_rules = {
        {QStringLiteral("checkpoint_slow"), tr("Checkpoint duration above 80% of the interval"), tr("% of interval"),
         80, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             // Checkpoints are taken every interval: the gap between the last two is the interval.
             const auto &c = s.job.checkpoints;
             if (c.size() < 2 || c[0].triggeredAtMs <= c[1].triggeredAtMs)
                 return std::nullopt;
             return over(static_cast<double>(c[0].durationMs) * 100 / static_cast<double>(c[0].triggeredAtMs - c[1].triggeredAtMs), t);
         },
         {}},
        {QStringLiteral("consumer_lag"), tr("Consumer lag above twice the watermark bound"), tr("x bound"), 2, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             const double bound = s.metrics.value("tally_watermark_bound_ms") / 1000.0;
             if (!s.kafka || bound <= 0)
                 return std::nullopt;
             return over(s.lagSeconds / bound, t);
         },
         {}},
        {QStringLiteral("sink_latency"), tr("Sink write latency p99 above 5x its baseline"), tr("x baseline"), 5, 30,
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
        {QStringLiteral("backpressure"), tr("Sustained backpressure"), tr("% of time"), 50, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             double worst = 0;
             for (const OperatorFigures &o : s.operators)
                 worst = std::max(worst, o.backpressured * 100);
             return over(worst, t);
         },
         {}},
        {QStringLiteral("hot_partition"), tr("One partition takes most of the traffic"), tr("% of records"), 60, 30,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             const auto hot = s.hottestPartition();
             if (!hot || s.partitions.size() < 2)
                 return std::nullopt;
             return over(hot->second * 100, t);
         },
         {}},
        {QStringLiteral("dead_letters"), tr("Dead-letter rate over the threshold"), tr("% of records"), 1, 10,
         [](const ConsoleSnapshot &s, double t) -> std::optional<double> {
             if (s.recordsPerSecond < 10)
                 return std::nullopt;
             return over(s.deadLettersPerSecond * 100 / s.recordsPerSecond, t);
         },
         {}},
        {QStringLiteral("late_drops"), tr("Late-drop rate over the threshold"), tr("% of events"), 1, 10,
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
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case 0:
        return a.title;
    case 1:
        return a.active() ? tr("active") : tr("resolved");
    case 2:
        return clockTime(a.firedAtMs);
    case 3:
        return a.resolvedAtMs ? clockTime(*a.resolvedAtMs) : QString();
    case 4:
        return QLocale().toString(a.value, 'f', 1);
    case 5:
        return QLocale().toString(a.threshold, 'f', 1);
    }
    return {};
}

QVariant AlertModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    const QStringList h = {tr("Alert"), tr("State"), tr("Fired"), tr("Resolved"), tr("Value"), tr("Threshold")};
    return section >= 0 && section < h.size() ? QVariant(h[section]) : QVariant();
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
        return e.outcome == QLatin1String("failed") || e.outcome == QLatin1String("refused");
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case 0:
        return clockTime(e.atMs);
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
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    const QStringList h = {tr("Time"), tr("User"), tr("From"), tr("Action"), tr("Parameters"), tr("Outcome"), tr("Detail")};
    return section >= 0 && section < h.size() ? QVariant(h[section]) : QVariant();
}

} // namespace tally
