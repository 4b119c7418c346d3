#include "models/alert_notifier.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QNetworkRequest>

#include <algorithm>
#include <cstdio>

namespace tally {

namespace {

constexpr int kFirstRetryMs = 1000;
constexpr std::string_view kNotificationsHelp =
    "Alert webhook posts by outcome: delivered, retried (failed and posted again), dropped (refused by the "
    "receiver, or the oldest past the queue's bound)";
constexpr int kLastRetryMs = 60000;

// Alertmanager's times: RFC 3339 in UTC; endsAt of a firing alert is the zero time.
QString rfc3339(int64_t ms) { return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs); }
const QString kZeroTime = QStringLiteral("0001-01-01T00:00:00Z");

// Worth posting again: no answer, or an answer that says "later".
bool retryable(QNetworkReply *reply)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

} // namespace

AlertNotifier::AlertNotifier(AlertModel &alerts, AlertNotifierOptions options, MetricsRegistry &metrics, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_rules(alerts),
      m_delivered(metrics.counter("tally_alert_notifications_total", {{"outcome", "delivered"}}, kNotificationsHelp)),
      m_retried(metrics.counter("tally_alert_notifications_total", {{"outcome", "retried"}}, kNotificationsHelp)),
      m_dropped(metrics.counter("tally_alert_notifications_total", {{"outcome", "dropped"}}, kNotificationsHelp))
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &AlertNotifier::postNext);
    connect(&alerts, &AlertModel::alertFired, this, &AlertNotifier::enqueue);
    connect(&alerts, &AlertModel::alertResolved, this, &AlertNotifier::enqueue);
    // Alerts that fired before the notifier existed (the host's first sample) go out too.
    for (auto it = alerts.alerts().crbegin(); it != alerts.alerts().crend(); ++it)
        if (it->active())
            enqueue(*it);
}

AlertNotifier::~AlertNotifier()
{
    if (m_inFlight) {
        m_inFlight->disconnect(this);
        m_inFlight->abort();
    }
}

QString AlertNotifier::runbookUrl(const QString &ruleId) const
{
    QString url = m_options.runbookUrl;
    return url.replace(QStringLiteral("{rule}"), ruleId);
}

QByteArray AlertNotifier::message(const Alert &alert) const
{
    const QString status = alert.active() ? QStringLiteral("firing") : QStringLiteral("resolved");
    const QJsonObject labels{{QStringLiteral("alertname"), alert.ruleId}, {QStringLiteral("job"), m_options.jobName}};
    // The unit of the rule's threshold, for the description ("6.0 s failing, threshold 5.0").
    QString unit;
    for (const AlertRule &rule : m_rules.rules())
        if (rule.id == alert.ruleId)
            unit = rule.thresholdUnit.english();
    QJsonObject annotations{
        {QStringLiteral("summary"), alert.title.english()},
        {QStringLiteral("description"), QStringLiteral("%1 %2 (threshold %3)")
                                            .arg(QString::number(alert.value, 'f', 1), unit,
                                                 QString::number(alert.threshold, 'f', 1))}};
    if (const QString runbook = runbookUrl(alert.ruleId); !runbook.isEmpty())
        annotations.insert(QStringLiteral("runbook_url"), runbook);
    const QByteArray fingerprint =
        QCryptographicHash::hash(QJsonDocument(labels).toJson(QJsonDocument::Compact), QCryptographicHash::Sha256)
            .toHex()
            .left(16);
    const QJsonObject entry{{QStringLiteral("status"), status},
                            {QStringLiteral("labels"), labels},
                            {QStringLiteral("annotations"), annotations},
                            {QStringLiteral("startsAt"), rfc3339(alert.firedAtMs)},
                            {QStringLiteral("endsAt"), alert.resolvedAtMs ? rfc3339(*alert.resolvedAtMs) : kZeroTime},
                            {QStringLiteral("generatorURL"), m_options.externalUrl},
                            {QStringLiteral("fingerprint"), QString::fromLatin1(fingerprint)}};
    const QJsonObject group{{QStringLiteral("alertname"), alert.ruleId}};
    const QJsonObject body{
        {QStringLiteral("version"), QStringLiteral("4")},
        {QStringLiteral("groupKey"), QStringLiteral("{}:{alertname=\"%1\"}").arg(alert.ruleId)},
        {QStringLiteral("truncatedAlerts"), 0},
        {QStringLiteral("status"), status},
        {QStringLiteral("receiver"), QStringLiteral("tally")},
        {QStringLiteral("groupLabels"), group},
        {QStringLiteral("commonLabels"), labels},
        {QStringLiteral("commonAnnotations"), annotations},
        {QStringLiteral("externalURL"), m_options.externalUrl},
        {QStringLiteral("alerts"), QJsonArray{entry}}};
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

void AlertNotifier::enqueue(const Alert &alert)
{
    if (m_queue.size() >= kMaxQueued) {
        // The oldest waiting one goes (not the one being posted: its reply may still count).
        const auto oldest = m_queue.begin() + (m_inFlight ? 1 : 0);
        if (oldest != m_queue.end()) {
            m_queue.erase(oldest);
            m_dropped.add();
        }
    }
    m_queue.push_back(message(alert));
    if (!m_inFlight && !m_retry.isActive())
        postNext();
}

void AlertNotifier::postNext()
{
    if (m_queue.empty() || m_inFlight)
        return;
    QNetworkRequest request(m_options.webhook);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("tally-alerts"));
    request.setTransferTimeout(m_options.timeoutMs);
    m_inFlight = m_network.post(request, m_queue.front());
    connect(m_inFlight, &QNetworkReply::finished, this, [this, reply = m_inFlight] { finished(reply); });
}

void AlertNotifier::finished(QNetworkReply *reply)
{
    reply->deleteLater();
    m_inFlight = nullptr;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->error() == QNetworkReply::NoError && status >= 200 && status < 300) {
        m_delivered.add();
        m_failures = 0;
        m_queue.pop_front();
        postNext();
        return;
    }
    const QString why = status ? QStringLiteral("HTTP %1").arg(status) : reply->errorString();
    if (!retryable(reply)) {
        std::fprintf(stderr, "tally: alert webhook %s refused an alert (%s); dropped\n",
                     qPrintable(m_options.webhook.toDisplayString()), qPrintable(why));
        m_dropped.add();
        m_failures = 0;
        m_queue.pop_front();
        postNext();
        return;
    }
    m_retried.add();
    const int delay = std::min(kLastRetryMs, kFirstRetryMs << std::min(m_failures, 6));
    if (m_failures++ == 0) // an outage logs once, not per retry
        std::fprintf(stderr, "tally: alert webhook %s: %s; retrying (%zu waiting)\n",
                     qPrintable(m_options.webhook.toDisplayString()), qPrintable(why), m_queue.size());
    m_retry.start(delay);
}

bool AlertNotifier::flush(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!m_queue.empty() && !deadline.hasExpired()) {
        if (m_retry.isActive()) { // no waiting for the backoff now: one more try, at once
            m_retry.stop();
            postNext();
        }
        QEventLoop loop;
        QTimer::singleShot(std::max<qint64>(1, std::min<qint64>(100, deadline.remainingTime())), &loop, &QEventLoop::quit);
        loop.exec();
    }
    return m_queue.empty();
}

} // namespace tally
