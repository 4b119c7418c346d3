// Alert rules over console snapshots (the defaults of DESIGN.md), their thresholds editable, and
// the history of alerts that fired. A rule fires when its condition has held for `forSeconds`
// and resolves when it stops holding. Each rule names its runbook (resources/runbooks/<id>.md).
#pragma once

#include "models/console_snapshot.h"
#include "models/ui_text.h"

#include <QAbstractTableModel>
#include <QString>
#include <QVector>

#include <functional>
#include <optional>

namespace tally {

struct AlertRule {
    QString id;          // also the runbook's file name
    UiText title;        // English; views translate
    UiText thresholdUnit;
    double threshold = 0;
    double forSeconds = 10;
    // The observed value when the condition holds, nullopt otherwise (or when there is no data).
    std::function<std::optional<double>(const ConsoleSnapshot &, double threshold)> check;
    // Internal: when the condition started holding.
    std::optional<int64_t> holdingSinceMs;
};

struct Alert {
    QString ruleId;
    UiText title;
    int64_t firedAtMs = 0;
    std::optional<int64_t> resolvedAtMs;
    double value = 0;     // the newest observed value while active
    double threshold = 0;
    bool active() const { return !resolvedAtMs; }
};

// The rules and the alert history as a table (newest first): rule, state, since, value, threshold.
// Text cells and headers are English; their UiText is under kTextRole (snapshot_models.h) for the
// views to translate.
class AlertModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit AlertModel(QObject *parent = nullptr);

    // Evaluates every rule against the snapshot and updates the alerts.
    void evaluate(const ConsoleSnapshot &snapshot);

    QVector<AlertRule> &rules() { return m_rules; }
    const QVector<AlertRule> &rules() const { return m_rules; }
    void setThreshold(const QString &ruleId, double threshold);
    int activeCount() const;
    bool isActive(const QString &ruleId) const;
    std::optional<double> threshold(const QString &ruleId) const; // nullopt: no such rule
    const QVector<Alert> &alerts() const { return m_alerts; }
    // Runbook resource path for a rule: ":/runbooks/<id>.md".
    static QString runbookPath(const QString &ruleId);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

signals:
    void alertFired(const tally::Alert &alert);
    void alertResolved(const tally::Alert &alert);

private:
    QVector<AlertRule> m_rules;
    QVector<Alert> m_alerts; // newest first
};

// Rows of the audit log (newest first): time, user, source, action, parameters, outcome, detail.
// The rows are as recorded (English); the headers' UiText is under kTextRole.
class AuditLog;
class AuditModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit AuditModel(AuditLog &log, QObject *parent = nullptr);
    void refresh();

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    AuditLog &m_log;
    QVector<struct AuditEntry> m_entries;
};

} // namespace tally

Q_DECLARE_METATYPE(tally::Alert)
