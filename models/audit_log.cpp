#include "models/audit_log.h"

#include <QDateTime>
#include <QMetaObject>

#include <sqlite3.h>

#include <cstdio>

namespace tally {

Result<std::unique_ptr<AuditLog>> AuditLog::open(const QString &path)
{
    sqlite3 *db = nullptr;
    const QByteArray file = path.toUtf8();
    if (sqlite3_open_v2(file.constData(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        Status s = Status::ioError("audit log " + file.toStdString() + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
        sqlite3_close(db);
        return s;
    }
    const char *schema = "PRAGMA journal_mode = WAL;"
                         "CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, "
                         "user TEXT NOT NULL, source TEXT NOT NULL, action TEXT NOT NULL, parameters TEXT NOT NULL, "
                         "outcome TEXT NOT NULL, detail TEXT NOT NULL);"
                         "CREATE TABLE IF NOT EXISTS alert_thresholds (rule TEXT PRIMARY KEY, threshold REAL NOT NULL)";
    if (sqlite3_exec(db, schema, nullptr, nullptr, nullptr) != SQLITE_OK) {
        Status s = Status::ioError("audit log " + file.toStdString() + ": " + sqlite3_errmsg(db));
        sqlite3_close(db);
        return s;
    }
    sqlite3_busy_timeout(db, 2000);
    return std::unique_ptr<AuditLog>(new AuditLog(db, path));
}

AuditLog::~AuditLog() { sqlite3_close(m_db); }

qint64 AuditLog::append(const QString &user, const QString &source, const QString &action, const QString &parameters,
                        const QString &outcome, const QString &detail)
{
    sqlite3_stmt *stmt = nullptr;
    const char *sql = "INSERT INTO audit_log (at_ms, user, source, action, parameters, outcome, detail) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    qint64 id = 0;
    if (sqlite3_prepare_v2(m_db, sql, -1, &stmt, nullptr) == SQLITE_OK) {
        const QByteArray fields[] = {user.toUtf8(),       source.toUtf8(),  action.toUtf8(),
                                     parameters.toUtf8(), outcome.toUtf8(), detail.toUtf8()};
        sqlite3_bind_int64(stmt, 1, QDateTime::currentMSecsSinceEpoch());
        for (int i = 0; i < 6; ++i)
            sqlite3_bind_text(stmt, i + 2, fields[i].constData(), static_cast<int>(fields[i].size()), SQLITE_TRANSIENT);
        if (sqlite3_step(stmt) == SQLITE_DONE)
            id = sqlite3_last_insert_rowid(m_db);
    }
    if (id == 0)
        std::fprintf(stderr, "tally: audit log %s: cannot record %s: %s\n", qPrintable(m_path), qPrintable(action),
                     sqlite3_errmsg(m_db));
    sqlite3_finalize(stmt);
    if (id != 0)
        QMetaObject::invokeMethod(this, [this, id] { emit appended(id); }, Qt::QueuedConnection);
    return id;
}

QMap<QString, double> AuditLog::thresholds() const
{
    QMap<QString, double> out;
    sqlite3_stmt *stmt = nullptr;
    if (sqlite3_prepare_v2(m_db, "SELECT rule, threshold FROM alert_thresholds", -1, &stmt, nullptr) != SQLITE_OK)
        return out;
    while (sqlite3_step(stmt) == SQLITE_ROW)
        out.insert(QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0))),
                   sqlite3_column_double(stmt, 1));
    sqlite3_finalize(stmt);
    return out;
}

bool AuditLog::saveThreshold(const QString &ruleId, double threshold)
{
    sqlite3_stmt *stmt = nullptr;
    bool saved = false;
    if (sqlite3_prepare_v2(m_db, "INSERT OR REPLACE INTO alert_thresholds (rule, threshold) VALUES (?1, ?2)", -1, &stmt,
                           nullptr) == SQLITE_OK) {
        const QByteArray rule = ruleId.toUtf8();
        sqlite3_bind_text(stmt, 1, rule.constData(), static_cast<int>(rule.size()), SQLITE_TRANSIENT);
        sqlite3_bind_double(stmt, 2, threshold);
        saved = sqlite3_step(stmt) == SQLITE_DONE;
    }
    if (!saved)
        std::fprintf(stderr, "tally: audit log %s: cannot save the threshold of %s: %s\n", qPrintable(m_path),
                     qPrintable(ruleId), sqlite3_errmsg(m_db));
    sqlite3_finalize(stmt);
    return saved;
}

QVector<AuditEntry> AuditLog::recent(int limit) const
{
    QVector<AuditEntry> out;
    sqlite3_stmt *stmt = nullptr;
    const char *sql = "SELECT id, at_ms, user, source, action, parameters, outcome, detail FROM audit_log "
                      "ORDER BY id DESC LIMIT ?1";
    if (sqlite3_prepare_v2(m_db, sql, -1, &stmt, nullptr) != SQLITE_OK)
        return out;
    sqlite3_bind_int(stmt, 1, limit);
    auto text = [&](int col) { return QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, col))); };
    while (sqlite3_step(stmt) == SQLITE_ROW)
        out.push_back({sqlite3_column_int64(stmt, 0), sqlite3_column_int64(stmt, 1), text(2), text(3), text(4), text(5),
                       text(6), text(7)});
    sqlite3_finalize(stmt);
    return out;
}

} // namespace tally
