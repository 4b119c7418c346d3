// A small local HTTP server that receives webhook posts (the alerts' notifications) for tests:
// it answers each POST with the next status of a list (then 200) and keeps the bodies it
// answered 2xx, in order. One request per connection, as the notifier sends them.
#pragma once

#include <QByteArray>
#include <QList>
#include <QTcpServer>
#include <QUrl>

namespace tally::test {

class WebhookReceiver final : public QTcpServer {
public:
    // Listens on 127.0.0.1, on a free port.
    WebhookReceiver();
    QUrl url() const; // http://127.0.0.1:PORT/hook

    // Statuses for the next posts, in order (e.g. {503} makes the first one fail).
    void answerNext(QList<int> statuses) { m_statuses = std::move(statuses); }
    const QList<QByteArray> &delivered() const { return m_delivered; } // bodies answered 2xx
    int posts() const { return m_posts; }                              // every POST received

private:
    void serve(QTcpSocket *socket);

    QList<int> m_statuses;
    QList<QByteArray> m_delivered;
    int m_posts = 0;
};

} // namespace tally::test
