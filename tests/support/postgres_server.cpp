#include "support/postgres_server.h"

#include <pqxx/pqxx>

#include <QFile>
#include <QProcess>
#include <QtGlobal>

namespace tally::test {

QString postgresServerDir() { return qEnvironmentVariable("TALLY_POSTGRES_DIR"); }

std::string postgresBaseUrl()
{
    QFile f(postgresServerDir() + QStringLiteral("/url"));
    if (!f.open(QIODevice::ReadOnly))
        qFatal("no PostgreSQL URL in %s/url: run through ctest (fixture postgres_server)", qPrintable(postgresServerDir()));
    return f.readAll().trimmed().toStdString();
}

bool postgresServerScript(const QString &command)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(QStringLiteral("bash"), {qEnvironmentVariable("TALLY_POSTGRES_SCRIPT"), command, postgresServerDir()});
    return p.waitForFinished(120000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

std::string freshPostgresDatabase(const std::string &name)
{
    const std::string base = postgresBaseUrl();
    pqxx::connection c(base);
    pqxx::nontransaction tx(c);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
    tx.exec("CREATE DATABASE " + tx.quote_name(name));
    return base.substr(0, base.rfind('/') + 1) + name;
}

} // namespace tally::test
