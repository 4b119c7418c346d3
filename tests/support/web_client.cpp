#include "support/web_client.h"

#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTimer>

namespace tally::test {

QByteArray httpGet(const QUrl &url, int timeoutMs, const QByteArray &token)
{
    QNetworkAccessManager network;
    QNetworkRequest request(url);
    request.setTransferTimeout(timeoutMs);
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token);
    QNetworkReply *reply = network.get(request);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = status == 200 ? reply->readAll() : QByteArray();
    reply->deleteLater();
    return body;
}

QString promtoolProblems(const QByteArray &text)
{
    const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    if (promtool.isEmpty())
        return QStringLiteral("promtool is missing: scripts/install-deps.sh installs it (Debian package prometheus)");
    QProcess check;
    check.setProcessChannelMode(QProcess::MergedChannels);
    check.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
    if (!check.waitForStarted())
        return QStringLiteral("cannot run promtool: ") + check.errorString();
    check.write(text);
    check.closeWriteChannel();
    if (!check.waitForFinished(30000))
        return QStringLiteral("promtool did not finish within 30 s");
    const QString output = QString::fromUtf8(check.readAll());
    return check.exitStatus() == QProcess::NormalExit && check.exitCode() == 0
               ? QString()
               : QStringLiteral("promtool check metrics: ") + output;
}

QUrl webConsoleUrl(const QByteArray &log)
{
    static const QRegularExpression line(QStringLiteral("web console: (https?://[^/\\s]+/)"));
    const QRegularExpressionMatch m = line.match(QString::fromUtf8(log));
    return m.hasMatch() ? QUrl(m.captured(1)) : QUrl();
}

QByteArray webConsoleToken(const QByteArray &log)
{
    // A test's tally writes to a pipe, so the token is in the file the line names.
    static const QRegularExpression line(QStringLiteral("web console: https?://\\S* \\(one-time operator token in ([^;]+);"));
    const QRegularExpressionMatch m = line.match(QString::fromUtf8(log));
    if (!m.hasMatch())
        return {};
    QFile file(m.captured(1));
    return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed() : QByteArray();
}

int postAction(const QUrl &web, const QByteArray &token, const QString &action, int timeoutMs)
{
    QNetworkAccessManager network;
    QNetworkRequest request(web.resolved(QUrl(QStringLiteral("/api/v1/actions/") + action)));
    request.setTransferTimeout(timeoutMs);
    request.setRawHeader("Authorization", "Bearer " + token);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = network.post(request, QByteArrayLiteral("{}"));
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    reply->deleteLater();
    return status;
}

} // namespace tally::test
