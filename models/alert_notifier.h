// Sends the console's alerts out: every alert that fires or resolves is posted to a webhook
// receiver as Alertmanager's webhook message (version 4: status, alerts[] with labels,
// annotations.runbook_url, startsAt/endsAt), so receivers built for Alertmanager (chat bridges,
// paging services) take Tally's alerts as they are.
//
// Posts go out one at a time, in order, on the thread the notifier lives on (the host's); nothing
// waits for them, so a slow or dead receiver never holds back the engine or the consoles. A post
// that fails (no connection, a timeout, a 5xx, 408 or 429) is retried after 1 s, doubling to
// 60 s; one the receiver refuses (another 4xx) is dropped with a log line. At most kMaxQueued
// messages wait; past that the oldest is dropped. tally_alert_notifications_total{outcome}
// counts delivered, retried and dropped posts.
#pragma once

#include "metrics/metrics.h"
#include "models/alerts.h"

#include <QByteArray>
#include <QNetworkAccessManager>
#include <QObject>
#include <QString>
#include <QTimer>
#include <QUrl>

#include <deque>

class QNetworkReply;

namespace tally {

struct AlertNotifierOptions {
    QUrl webhook;           // http:// or https://
    QString runbookUrl;     // "{rule}" is replaced by the rule's id; "" = no runbook link
    QString jobName;        // the alerts' label "job"
    QString externalUrl;    // where the alerts can be seen (the web console), "" = none
    int timeoutMs = 5000;   // per post
};

class AlertNotifier final : public QObject {
    Q_OBJECT
public:
    static constexpr size_t kMaxQueued = 1000;

    AlertNotifier(AlertModel &alerts, AlertNotifierOptions options, MetricsRegistry &metrics, QObject *parent = nullptr);
    ~AlertNotifier() override;

    // The message for one alert, as posted (a JSON object).
    QByteArray message(const Alert &alert) const;
    QString runbookUrl(const QString &ruleId) const;
    // Messages not yet delivered, the one being posted included.
    size_t pending() const { return m_queue.size(); }
    // Keeps posting until nothing is pending or `timeoutMs` has passed (at exit: the alert that
    // ends the program still goes out). Returns whether everything was delivered.
    bool flush(int timeoutMs);

private:
    void enqueue(const Alert &alert);
    void postNext();
    void finished(QNetworkReply *reply);

    AlertNotifierOptions m_options;
    const AlertModel &m_rules; // for each rule's threshold unit
    QNetworkAccessManager m_network;
    std::deque<QByteArray> m_queue; // front: being posted, or waiting for its retry
    QNetworkReply *m_inFlight = nullptr;
    QTimer m_retry;
    int m_failures = 0; // of the front message, in a row
    Counter &m_delivered;
    Counter &m_retried;
    Counter &m_dropped;
};

} // namespace tally
