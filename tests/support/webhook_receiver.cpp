#include "support/webhook_receiver.h"

#include <QTcpSocket>

namespace tally::test {

WebhookReceiver::WebhookReceiver()
{
    listen(QHostAddress::LocalHost, 0);
    connect(this, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, socket, [this, socket] { serve(socket); });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
}

QUrl WebhookReceiver::url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1/hook").arg(serverPort())); }

void WebhookReceiver::serve(QTcpSocket *socket)
{
    // The whole request first: the head, then Content-Length bytes of body.
    const QByteArray buffered = socket->peek(socket->bytesAvailable());
    const qsizetype headEnd = buffered.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return;
    qsizetype length = 0;
    for (const QByteArray &line : buffered.left(headEnd).split('\n'))
        if (line.toLower().startsWith("content-length:"))
            length = line.mid(15).trimmed().toLongLong();
    if (buffered.size() < headEnd + 4 + length)
        return;
    const QByteArray request = socket->read(headEnd + 4 + length);
    const int status = m_statuses.isEmpty() ? 200 : m_statuses.takeFirst();
    if (request.startsWith("POST ")) {
        ++m_posts;
        if (status >= 200 && status < 300)
            m_delivered.append(request.mid(headEnd + 4));
    }
    socket->write("HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    socket->disconnectFromHost();
}

} // namespace tally::test
