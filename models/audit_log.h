// The audit log keeps every operator action (who, what, with which parameters, when, and how it
// ended) in a SQLite file, so a shift hand-over or a post-mortem can read what was done.
//
// Schema: audit_log(id INTEGER PRIMARY KEY, at_ms INTEGER, user TEXT, source TEXT, action TEXT,
//                   parameters TEXT, outcome TEXT, detail TEXT)
// outcome is "started", "checked" (the pre-flight checks' results), "ok", "failed", "refused",
// then "verified" or "not verified" (models/action_checks.h); source is "desktop", "web" or "api".
// The same file keeps the alert thresholds operators set (alert_thresholds(rule TEXT PRIMARY KEY,
// threshold REAL)), so that they outlast a restart; each change is also an audit entry.
#pragma once

#include "util/status.h"

#include <QMap>
#include <QObject>
#include <QString>
#include <QVector>

#include <memory>

struct sqlite3;

namespace tally {

struct AuditEntry {
    qint64 id = 0;
    qint64 atMs = 0;
    QString user;
    QString source;
    QString action;
    QString parameters;
    QString outcome;
    QString detail;
};

// Thread-safe (SQLite serialized mode); appends signal `appended` on the object's thread.
class AuditLog : public QObject {
    Q_OBJECT
public:
    static Result<std::unique_ptr<AuditLog>> open(const QString &path);
    ~AuditLog() override;

    // Returns the new entry's id (0 when it could not be written: the failure is logged).
    qint64 append(const QString &user, const QString &source, const QString &action, const QString &parameters,
                  const QString &outcome, const QString &detail = {});
    // Newest first.
    QVector<AuditEntry> recent(int limit = 500) const;
    // The thresholds operators set, by rule id; saveThreshold() replaces one (false: not written,
    // the failure is logged).
    QMap<QString, double> thresholds() const;
    bool saveThreshold(const QString &ruleId, double threshold);
    QString path() const { return m_path; }

signals:
    void appended(qint64 id);

private:
    AuditLog(sqlite3 *db, QString path) : m_db(db), m_path(std::move(path)) {}
    sqlite3 *m_db;
    QString m_path;
};

} // namespace tally
