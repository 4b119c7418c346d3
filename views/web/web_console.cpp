#include "views/web/web_console.h"

#include "metrics/process_metrics.h"
#include "metrics/prometheus_text.h"
#include "models/alerts.h"
#include "views/web/web_json.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkInterface>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUrlQuery>
#include <QWebSocket>
#include <QWebSocketCorsAuthenticator>
#include <QWebSocketServer>

#if QT_CONFIG(ssl)
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>
#endif

namespace tally {

namespace {

constexpr qint64 kMaxHeadBytes = 16 * 1024;    // request line and headers
constexpr int kMaxHeaderFields = 100;          // header lines in a head (browsers send about 20)
constexpr int kHeadTimeoutMs = 10'000;         // to send them while fewer than half the connections are open,
constexpr int kHeadTimeoutFloorMs = 1'000;     // falling to this at kMaxConnections (see headTimeoutMs)
constexpr int kSweepIntervalMs = 250;          // how often connections over their time are looked for
constexpr int kRequestTimeoutMs = 30'000;      // to send the body once the head is in, and to read the reply
// Requests one kept-alive connection serves before it is closed (as nginx's keepalive_requests),
// so no client holds a connection for good.
constexpr int kMaxRequestsPerConnection = 100;
constexpr int kMaxConnections = 256;           // open at once, WebSockets included
// Open at once from one client address. A browser opens at most 6 connections per host over
// HTTP/1.1, plus one live feed per tab; 64 leaves room for a few people behind one NAT or proxy
// address with several tabs each, while one address holds at most a quarter of kMaxConnections,
// so a single host holding connections open (slowloris) cannot lock the others out.
constexpr int kMaxConnectionsPerAddress = 64;
// Of kMaxConnections, the last ones are for /healthz, /readyz and /metrics: other requests and
// live feeds that passed the gate hold at most kMaxConnections - kProbeConnections, so monitoring
// is answered when everything else is busy. 8 covers a few probes at once; each takes milliseconds.
constexpr int kProbeConnections = 8;
constexpr int kPushIntervalMs = 500;           // live snapshots at most twice a second
constexpr int kUpgradeValidMs = 10'000;        // a screened upgrade must complete within this
// A live feed's unsent bytes (QWebSocket::bytesToWrite): above kLiveSkipBytes, about three
// snapshots, snapshots are skipped for that client until it catches up; a message that would take
// it past kLiveCloseBytes closes it, and so does kLiveStalledMs of skipped snapshots. A client
// that stops reading thus holds a bounded amount of memory, and not its connection for ever.
constexpr qint64 kLiveSkipBytes = 64 * 1024;
constexpr qint64 kLiveCloseBytes = 1024 * 1024;
constexpr int kLiveStalledMs = 30'000;
constexpr int kLiveCloseGraceMs = 5'000;        // for the closing handshake, then the connection is cut
// The kernel's send buffer of a live feed. Left to autotuning it grows to megabytes for a client
// that does not read (over loopback, at least), which hides the backlog from bytesToWrite and
// holds kernel memory instead; fixed, the backlog shows up in tally's buffer, where the bounds
// above apply. (Linux doubles the value for its bookkeeping.)
constexpr int kLiveSendBufferBytes = 64 * 1024;
const QByteArray kSessionCookie = "tally_session";

int64_t nowMs() { return QDateTime::currentMSecsSinceEpoch(); }

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

QByteArray contentTypeFor(const QString &path)
{
    static const QHash<QString, QByteArray> types{
        {QStringLiteral("html"), "text/html; charset=utf-8"},
        {QStringLiteral("js"), "text/javascript; charset=utf-8"},
        {QStringLiteral("mjs"), "text/javascript; charset=utf-8"},
        {QStringLiteral("css"), "text/css; charset=utf-8"},
        {QStringLiteral("svg"), "image/svg+xml"},
        {QStringLiteral("png"), "image/png"},
        {QStringLiteral("ico"), "image/x-icon"},
        {QStringLiteral("json"), "application/json"},
        {QStringLiteral("yaml"), "application/yaml; charset=utf-8"},
        {QStringLiteral("md"), "text/markdown; charset=utf-8"},
        {QStringLiteral("txt"), "text/plain; charset=utf-8"},
        {QStringLiteral("woff2"), "font/woff2"},
    };
    const QString ext = path.section(QLatin1Char('.'), -1).toLower();
    return types.value(ext, "application/octet-stream");
}

QUrlQuery queryOf(const QByteArray &target)
{
    const qsizetype question = target.indexOf('?');
    return question < 0 ? QUrlQuery() : QUrlQuery(QString::fromLatin1(target.mid(question + 1)));
}

// A request's "limit": 100 when absent; nothing when it is not a whole number in 1..most.
std::optional<int> limitQuery(const QUrlQuery &query, int most)
{
    if (!query.hasQueryItem(QStringLiteral("limit")))
        return 100;
    bool ok = false;
    const int limit = query.queryItemValue(QStringLiteral("limit")).toInt(&ok);
    return ok && limit >= 1 && limit <= most ? std::optional(limit) : std::nullopt;
}

QByteArray pathOf(const QByteArray &target)
{
    const qsizetype q = target.indexOf('?');
    return q < 0 ? target : target.left(q);
}

// Qt's parser would keep the last of the duplicates; which one the client meant is not ours to guess.
QString duplicateKeyMessage(const QString &key)
{
    return QStringLiteral("the JSON body has the key \"%1\" more than once in one object").arg(key.left(80));
}

QPair<QByteArray, QByteArray> headerPair(const QByteArray &name, const QByteArray &value) { return {name, value}; }

QString peerKey(const QHostAddress &address, quint16 port) { return address.toString() + QLatin1Char('|') + QString::number(port); }

QByteArray hostPort(const QByteArray &host, int port)
{
    return (host.contains(':') ? "[" + host + "]" : host).toLower() + ':' + QByteArray::number(port);
}

} // namespace

// ---------------------------------------------------------------------------------------------
// The gate: accepts connections and reads each request on them: the head first, without
// consuming it, which it refuses or lets through (screen()); then the body, and the console
// answers. A WebSocket upgrade is handed, bytes intact, to the WebSocket server.

class WebGate final : public QTcpServer {
public:
    explicit WebGate(WebConsole *console) : QTcpServer(console), m_console(console)
    {
        m_sweep.setInterval(kSweepIntervalMs);
        connect(&m_sweep, &QTimer::timeout, this, [this] { sweep(nowMs()); });
    }

    // What the gate holds and has turned away, for /metrics.
    struct Counts {
        int open = 0;               // connections, WebSockets included
        quint64 refused = 0;        // closed at once: the address's share or the server was full
        quint64 busy = 0;           // answered 503: every connection outside the probes' was in use
        quint64 headsDropped = 0;   // closed with their head unfinished: too slow, or the oldest when full
    };
    Counts counts() const { return {static_cast<int>(m_connections.size()), m_refused, m_busy, m_headsDropped}; }

protected:
    void incomingConnection(qintptr handle) override
    {
        QTcpSocket *socket = nullptr;
#if QT_CONFIG(ssl)
        if (m_console->m_tls) {
            auto *ssl = new QSslSocket(this);
            ssl->setSslConfiguration(m_console->m_ssl);
            socket = ssl;
        }
#endif
        if (!socket)
            socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(handle)) {
            delete socket;
            return;
        }
        const QString address = socket->peerAddress().toString();
        const int64_t now = nowMs();
        sweep(now);
        // Room for one more: within the address's share, then within the whole. A full share or a
        // full server first gives up its oldest connection still sending its head (heads cost the
        // gate nothing to drop and a slow one is the likeliest attacker), and refuses the new one
        // only when every connection has passed the gate.
        if ((m_perAddress.value(address) >= kMaxConnectionsPerAddress && !dropOldestHead(address, now)) ||
            (m_connections.size() >= kMaxConnections && !dropOldestHead({}, now))) {
            ++m_refused;
            socket->abort();
            socket->deleteLater();
            return;
        }
        Connection connection;
        connection.address = address;
        connection.order = ++m_accepted;
        connection.sinceMs = now;
        m_connections.insert(socket, connection);
        ++m_perAddress[address];
        connect(socket, &QObject::destroyed, this, [this, socket] { forget(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, [socket] {
            if (!socket->property("tally_passed").toBool())
                socket->deleteLater();
        });
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { inspect(socket); });
        connect(socket, &QTcpSocket::bytesWritten, this, [this, socket] { replySent(socket); });
        if (!m_sweep.isActive())
            m_sweep.start();
#if QT_CONFIG(ssl)
        if (auto *ssl = qobject_cast<QSslSocket *>(socket)) {
            connect(ssl, &QSslSocket::sslErrors, ssl, [ssl](const QList<QSslError> &) { ssl->abort(); });
            ssl->startServerEncryption();
        }
#endif
    }

private:
    enum class Stage {
        Head,     // the gate is reading a request head, or waiting for one (kept alive)
        Body,     // the head passed; the gate is reading the body
        Writing,  // the reply is on its way; nothing more is read until the client has taken it
        Answered, // refused; the gate's reply is on its way, then the connection closes
        Passed,   // a WebSocket, handed to the WebSocket server
    };
    struct Connection {
        QString address;
        quint64 order = 0; // accept order
        int64_t sinceMs = 0; // since when it is in its stage (a head's time runs from here)
        Stage stage = Stage::Head;
        bool general = false; // reading a body, writing a reply or passed, and not a probe (/healthz, /readyz, /metrics)
        bool closing = false; // Writing: the connection closes once the reply is sent
        int requests = 0;     // answered on this connection
        RequestHead head;     // Body: the request being read
        qint64 requestBytes = 0; // Body: head and body together
        qint64 headBytes = 0;
    };

    void forget(QTcpSocket *socket)
    {
        const auto it = m_connections.find(socket);
        if (it == m_connections.end())
            return;
        if (it->general)
            --m_general;
        if (--m_perAddress[it->address] <= 0)
            m_perAddress.remove(it->address);
        m_connections.erase(it);
    }

    // Closes a connection the gate still holds. A head that never came costs its address one
    // request of its rate, as the request would have (a kept-alive connection that sent nothing
    // more is only idle).
    void drop(QTcpSocket *socket, int64_t now)
    {
        const auto it = m_connections.find(socket);
        if (it == m_connections.end())
            return;
        if (it->stage == Stage::Head && (it->requests == 0 || socket->bytesAvailable() > 0)) {
            (void)m_console->m_rate.allow(it->address, now);
            ++m_headsDropped;
        }
        forget(socket);
        socket->abort();
        socket->deleteLater();
    }

    // Drops the oldest connection the gate holds (from `address`, or from anyone when empty),
    // preferring one still sending its head (or idle between requests) over one being refused;
    // false when there is none. A request being read is never given up for a newcomer.
    bool dropOldestHead(const QString &address, int64_t now)
    {
        const auto rank = [](const Connection &c) { return std::pair(c.stage == Stage::Head ? 0 : 1, c.order); };
        QTcpSocket *oldest = nullptr;
        std::pair<int, quint64> oldestRank;
        for (auto it = m_connections.cbegin(); it != m_connections.cend(); ++it) {
            const Connection &c = it.value();
            if (c.stage == Stage::Passed || c.stage == Stage::Body || c.stage == Stage::Writing ||
                (!address.isEmpty() && c.address != address))
                continue;
            if (!oldest || rank(c) < oldestRank) {
                oldest = it.key();
                oldestRank = rank(c);
            }
        }
        if (!oldest)
            return false;
        drop(oldest, now);
        return true;
    }

    // Drops the connections that have had longer than headTimeoutMs() allows at the current
    // number of open connections for a head, or kRequestTimeoutMs for a body or a reply; stops
    // the sweep when the gate holds none.
    void sweep(int64_t now)
    {
        const int headLimit = headTimeoutMs(static_cast<int>(m_connections.size()), kMaxConnections, kHeadTimeoutMs,
                                             kHeadTimeoutFloorMs);
        QList<QTcpSocket *> late;
        bool held = false;
        for (auto it = m_connections.begin(); it != m_connections.end(); ++it) {
            if (it->stage == Stage::Passed)
                continue;
            const bool request = it->stage == Stage::Body || it->stage == Stage::Writing;
            if (now - it->sinceMs > (request ? kRequestTimeoutMs : headLimit))
                late.append(it.key());
            else
                held = true;
        }
        for (QTcpSocket *socket : late)
            drop(socket, now);
        if (!held)
            m_sweep.stop();
    }

    void inspect(QTcpSocket *socket)
    {
        const auto it = m_connections.find(socket);
        // While a reply is on its way the next request waits (replySent() reads it): a client
        // that does not read its replies gets no more of them.
        if (it == m_connections.end() || it->stage == Stage::Answered || it->stage == Stage::Passed ||
            it->stage == Stage::Writing)
            return;
        if (it->stage == Stage::Body) {
            answerWhenRead(socket);
            return;
        }
        const HeadParse parsed = parseRequestHead(socket->peek(kMaxHeadBytes + 4), kMaxHeadBytes, kMaxHeaderFields);
        if (parsed.outcome == HeadParse::Outcome::Incomplete)
            return; // wait for the rest of the head
        if (parsed.outcome == HeadParse::Outcome::Refused) {
            refuse(socket, WebConsole::error(parsed.status, parsed.reason));
            return;
        }
        const WebConsole::Head &head = parsed.head;
        // The last kProbeConnections connections are kept for the probes, so a console whose
        // other connections are all busy (slow bodies, live feeds) still answers its monitoring.
        const QByteArray path = pathOf(head.target);
        const bool probe = path == "/healthz" || path == "/readyz" || path == "/metrics";
        if (!probe && m_general >= kMaxConnections - kProbeConnections) {
            WebConsole::Reply busy = WebConsole::error(503, QStringLiteral("too many open connections; try again shortly"));
            busy.headers.append(headerPair("Retry-After", "1"));
            ++m_busy;
            refuse(socket, busy);
            return;
        }
        if (auto reply = m_console->screen(head, socket, parsed.headBytes)) {
            refuse(socket, *reply);
            return;
        }
        if (!head.header("upgrade").isEmpty()) {
            passToWebSockets(socket, !probe);
            return;
        }
        // The screen checked the Content-Length (one, digits, within the limit).
        const qint64 bodyBytes = head.header("content-length").toLongLong();
        Connection &c = m_connections[socket];
        c.stage = Stage::Body;
        c.sinceMs = nowMs();
        c.general = !probe;
        m_general += c.general;
        c.head = head;
        c.headBytes = parsed.headBytes;
        c.requestBytes = parsed.headBytes + bodyBytes;
        if (socket->bytesAvailable() < c.requestBytes && head.header("expect").compare("100-continue", Qt::CaseInsensitive) == 0)
            socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        answerWhenRead(socket);
    }

    // Once the whole body is in: answers the request, then waits for the next one on a
    // connection kept alive (HTTP/1.1, no "Connection: close", fewer than
    // kMaxRequestsPerConnection answered).
    void answerWhenRead(QTcpSocket *socket)
    {
        Connection &c = m_connections[socket];
        if (socket->bytesAvailable() < c.requestBytes)
            return;
        const QByteArray bytes = socket->read(c.requestBytes);
        const WebConsole::Request request{c.head, bytes.mid(c.headBytes), socket->peerAddress().toString()};
        ++c.requests;
        bool close = c.requests >= kMaxRequestsPerConnection || c.head.version != "HTTP/1.1";
        for (const auto &[name, value] : c.head.headers)
            close = close || (name == "connection" && hasToken(value, "close"));
        c.stage = Stage::Writing;
        c.closing = close;
        c.sinceMs = nowMs();
        c.head = {};
        if (close)
            disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
        if (!m_sweep.isActive())
            m_sweep.start();
        m_console->writeReply(socket, m_console->route(request), request.head.method == "HEAD", !close);
        replySent(socket);
    }

    // Once a kept-alive connection's reply has left (Qt's buffer is empty), the connection waits
    // for its next request, and reads one the client already sent.
    void replySent(QTcpSocket *socket)
    {
        const auto it = m_connections.find(socket);
        if (it == m_connections.end() || it->stage != Stage::Writing || it->closing || socket->bytesToWrite() > 0)
            return;
        m_general -= it->general;
        it->general = false;
        it->stage = Stage::Head;
        it->sinceMs = nowMs();
        if (socket->bytesAvailable() > 0)
            QMetaObject::invokeMethod(this, [this, socket = QPointer<QTcpSocket>(socket)] {
                if (socket)
                    inspect(socket);
            }, Qt::QueuedConnection);
    }

    void refuse(QTcpSocket *socket, const WebConsole::Reply &reply)
    {
        if (const auto it = m_connections.find(socket); it != m_connections.end()) {
            it->stage = Stage::Answered;
            it->sinceMs = nowMs();
        }
        disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
        m_console->writeReply(socket, reply, false);
    }

    void passToWebSockets(QTcpSocket *socket, bool general)
    {
        socket->setProperty("tally_passed", true);
        if (const auto it = m_connections.find(socket); it != m_connections.end()) {
            it->stage = Stage::Passed;
            it->general = general;
            m_general += general;
        }
        // Only the gate's reading stops; the connection counts still follow the socket.
        disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
        disconnect(socket, &QTcpSocket::bytesWritten, this, nullptr);
        disconnect(socket, &QTcpSocket::disconnected, socket, nullptr);
        socket->setParent(nullptr);
        // Qt 6.4 has no hook to refuse an upgrade before its handshake, so the gate, having
        // checked it, gives screened upgrades to a WebSocket server of its own.
        socket->setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, kLiveSendBufferBytes);
        m_console->m_webSockets->handleConnection(socket);
        // The head is still buffered: let the server read it now.
        QMetaObject::invokeMethod(socket, [socket] { emit socket->readyRead(); }, Qt::QueuedConnection);
    }

    // Whether a comma-separated header value lists `token` (case-insensitive).
    static bool hasToken(const QByteArray &value, const QByteArray &token)
    {
        for (const QByteArray &part : value.split(','))
            if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
                return true;
        return false;
    }

    WebConsole *m_console;
    QHash<QTcpSocket *, Connection> m_connections; // every open connection, WebSockets included
    QHash<QString, int> m_perAddress;              // open connections by client address
    int m_general = 0;                             // connections busy with a request, or live feeds, that are not probes
    quint64 m_accepted = 0;
    quint64 m_refused = 0, m_busy = 0, m_headsDropped = 0; // see Counts
    QTimer m_sweep;
};

// ---------------------------------------------------------------------------------------------

WebConsoleOptions WebConsoleOptions::fromConfig(const WebConfig &c)
{
    WebConsoleOptions o;
    o.address = QString::fromStdString(c.address);
    o.port = c.port;
    o.tokensFile = QString::fromStdString(c.tokensFile);
    o.tlsCert = QString::fromStdString(c.tlsCert);
    o.tlsKey = QString::fromStdString(c.tlsKey);
    o.publicOrigin = QString::fromStdString(c.publicOrigin);
    o.maxRequestBytes = c.maxRequestBytes;
    o.rateLimitPerSecond = c.rateLimitPerSecond;
    o.rateLimitBurst = c.rateLimitBurst;
    return o;
}

WebConsole::WebConsole(EngineHost &host, WebConsoleOptions options, QObject *parent)
    : QObject(parent), m_host(host), m_options(std::move(options)),
      m_rate(m_options.rateLimitPerSecond, m_options.rateLimitBurst)
{
    m_webSockets = new QWebSocketServer(QStringLiteral("tally"), QWebSocketServer::NonSecureMode, this);
    connect(m_webSockets, &QWebSocketServer::newConnection, this, &WebConsole::onNewWebSocket);
    // The gate refuses a foreign Origin before this server sees the upgrade; should one get here
    // anyway, the handshake itself is refused (403).
    connect(m_webSockets, &QWebSocketServer::originAuthenticationRequired, this,
            [this](QWebSocketCorsAuthenticator *auth) {
                auth->setAllowed(auth->origin().isEmpty() || originAllowed(auth->origin().toLatin1()));
            });
    connect(&m_host, &EngineHost::snapshotUpdated, this, [this] { m_snapshotDirty = true; });
    // An action's outcome, then its verification: {"type", "id", "action", "ok", "message"}.
    const auto broadcastAction = [this](const QString &type, qint64 id, EngineHost::Action action, bool ok, const QString &message) {
        broadcast(QJsonDocument(QJsonObject{{QStringLiteral("type"), type},
                                            {QStringLiteral("id"), static_cast<double>(id)},
                                            {QStringLiteral("action"), EngineHost::actionName(action)},
                                            {QStringLiteral("ok"), ok},
                                            {QStringLiteral("message"), message}})
                      .toJson(QJsonDocument::Compact),
                  false);
    };
    connect(&m_host, &EngineHost::actionFinished, this, [broadcastAction](qint64 id, EngineHost::Action action, bool ok, const QString &message) {
        broadcastAction(QStringLiteral("action"), id, action, ok, message);
    });
    connect(&m_host, &EngineHost::actionVerified, this, [broadcastAction](qint64 id, EngineHost::Action action, bool ok, const QString &message) {
        broadcastAction(QStringLiteral("verification"), id, action, ok, message);
    });
    connect(&m_pushTimer, &QTimer::timeout, this, &WebConsole::pushSnapshot);
}

WebConsole::~WebConsole()
{
    for (LiveClient &c : m_live)
        if (c.socket)
            c.socket->abort();
    // The token ends with the run: its file goes too, unless another run has written its own.
    if (!m_oneTimeToken.isEmpty() && !m_options.oneTimeTokenFile.isEmpty()) {
        QFile file(m_options.oneTimeTokenFile);
        if (file.open(QIODevice::ReadOnly) && file.readAll().trimmed() == m_oneTimeToken.toLatin1()) {
            file.close();
            file.remove();
        }
    }
}

Status WebConsole::start()
{
    const QString address = m_options.address.trimmed();
    if (address.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        m_address = QHostAddress(QHostAddress::LocalHost);
    else if (!m_address.setAddress(address))
        return Status::invalidArgument("web console: \"" + address.toStdString() +
                                       "\" is not an IP address (use e.g. 127.0.0.1, ::1 or 0.0.0.0)");
    if (m_options.port < 0 || m_options.port > 65535)
        return Status::invalidArgument("web console: port must be 0..65535");

    if (!m_options.tokensFile.isEmpty()) {
        Result<WebTokens> tokens = WebTokens::load(m_options.tokensFile);
        if (!tokens)
            return Status::invalidArgument("web console: " + tokens.status().message());
        m_tokens = std::move(tokens).value();
    } else if (!m_address.isLoopback()) {
        return Status::invalidArgument(
            "web console: refusing to listen on " + address.toStdString() +
            ", which is not a loopback address, without a token file: configure tokens (--web-tokens FILE or "
            "web.tokens_file) or listen on 127.0.0.1");
    } else {
        m_tokens = WebTokens::oneTimeToken(QStringLiteral("local"), WebRole::Operator, &m_oneTimeToken);
        if (!m_options.oneTimeTokenFile.isEmpty())
            if (Status s = writeOneTimeToken(); !s.isOk())
                return s;
    }

    if (!m_options.tlsCert.isEmpty() || !m_options.tlsKey.isEmpty()) {
#if QT_CONFIG(ssl)
        if (m_options.tlsCert.isEmpty() || m_options.tlsKey.isEmpty())
            return Status::invalidArgument("web console: TLS needs both a certificate and a key");
        if (!QSslSocket::supportsSsl())
            return Status::unavailable("web console: TLS was asked for, but Qt has no TLS backend here (OpenSSL "
                                       "missing?)");
        const QList<QSslCertificate> chain = QSslCertificate::fromPath(m_options.tlsCert, QSsl::Pem);
        if (chain.isEmpty())
            return Status::invalidArgument("web console: no PEM certificate in " + m_options.tlsCert.toStdString());
        QFile keyFile(m_options.tlsKey);
        if (!keyFile.open(QIODevice::ReadOnly))
            return Status::ioError("web console: cannot read " + m_options.tlsKey.toStdString() + ": " +
                                   keyFile.errorString().toStdString());
        const QByteArray keyPem = keyFile.readAll();
        QSslKey key;
        for (QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
            key = QSslKey(keyPem, algorithm, QSsl::Pem);
            if (!key.isNull())
                break;
        }
        if (key.isNull())
            return Status::invalidArgument("web console: no usable PEM private key in " + m_options.tlsKey.toStdString() +
                                           " (an encrypted key is not supported)");
        m_ssl = QSslConfiguration::defaultConfiguration();
        m_ssl.setLocalCertificateChain(chain);
        m_ssl.setPrivateKey(key);
        m_ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
        m_ssl.setProtocol(QSsl::TlsV1_2OrLater);
        m_tls = true;
#else
        return Status::unimplemented("web console: TLS was asked for, but this Qt was built without SSL support");
#endif
    }

    m_gate = new WebGate(this);
    if (!m_gate->listen(m_address, static_cast<quint16>(m_options.port)))
        return Status::unavailable("web console: cannot listen on " + address.toStdString() + ":" +
                                   std::to_string(m_options.port) + ": " + m_gate->errorString().toStdString() +
                                   " (choose another port with --web-port or web.port, or turn the console off with --no-web)");

    // The names a browser may use for this console: loopback names, the bound address, every
    // local address when bound to all of them, and the configured public origin.
    const int port = m_gate->serverPort();
    QList<QByteArray> hosts{"127.0.0.1", "localhost", "::1"};
    if (m_address == QHostAddress::Any || m_address == QHostAddress::AnyIPv4 || m_address == QHostAddress::AnyIPv6) {
        for (const QHostAddress &a : QNetworkInterface::allAddresses())
            hosts << a.toString().section(QLatin1Char('%'), 0, 0).toLatin1();
        hosts << QHostInfo::localHostName().toLatin1();
    } else {
        hosts << m_address.toString().toLatin1();
    }
    const QByteArray scheme = m_tls ? "https" : "http";
    for (const QByteArray &h : hosts) {
        m_allowedHosts.insert(hostPort(h, port));
        m_allowedOrigins.insert(scheme + "://" + hostPort(h, port));
        if (port == (m_tls ? 443 : 80)) {
            const QByteArray bare = (h.contains(':') ? "[" + h + "]" : h).toLower();
            m_allowedHosts.insert(bare);
            m_allowedOrigins.insert(scheme + "://" + bare);
        }
    }
    if (!m_options.publicOrigin.isEmpty()) {
        const QUrl origin(m_options.publicOrigin);
        const QByteArray authority = origin.authority().toLower().toLatin1();
        m_allowedHosts.insert(authority);
        m_allowedOrigins.insert(origin.scheme().toLatin1() + "://" + authority);
    }
    m_pushTimer.start(kPushIntervalMs);
    return Status::ok();
}

quint16 WebConsole::port() const { return m_gate ? m_gate->serverPort() : 0; }

QUrl WebConsole::url() const
{
    QUrl u;
    u.setScheme(m_tls ? QStringLiteral("https") : QStringLiteral("http"));
    const bool any = m_address == QHostAddress::Any || m_address == QHostAddress::AnyIPv4;
    u.setHost(any ? QStringLiteral("127.0.0.1") : m_address == QHostAddress::AnyIPv6 ? QStringLiteral("::1") : m_address.toString());
    u.setPort(port());
    u.setPath(QStringLiteral("/"));
    return u;
}

QString WebConsole::startupLine() const
{
    QString line = QStringLiteral("web console: ") + url().toString();
    if (m_oneTimeToken.isEmpty())
        return line;
    if (!m_options.oneTimeTokenFile.isEmpty())
        return line + QStringLiteral(" (one-time operator token in ") + QFileInfo(m_options.oneTimeTokenFile).absoluteFilePath() +
               QStringLiteral("; web.tokens_file sets lasting tokens)");
    return line + QStringLiteral("#token=") + m_oneTimeToken;
}

Status WebConsole::writeOneTimeToken() const
{
    // Created for the owner alone before the token is in it; an older file is replaced.
    const QString path = m_options.oneTimeTokenFile;
    QFile::remove(path);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly, QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
        file.write(m_oneTimeToken.toLatin1() + '\n') < 0 || !file.flush())
        return Status::ioError("web console: cannot write the one-time token to " + path.toStdString() + ": " +
                               file.errorString().toStdString());
    return Status::ok();
}

bool WebConsole::hostAllowed(const QByteArray &host) const { return m_allowedHosts.contains(host.toLower()); }

bool WebConsole::originAllowed(const QByteArray &origin) const { return m_allowedOrigins.contains(origin.toLower()); }

bool WebConsole::metricsNeedAuth() const { return !m_address.isLoopback(); }

void WebConsole::appendJobMetrics(MetricsSnapshot &snapshot, const ConsoleSnapshot &console) const
{
    snapshot.add("tally_build_info", MetricKind::Gauge, "Always 1; the labels say which Tally this is", 1,
                 {{"qt", qVersion()}, {"version", QCoreApplication::applicationVersion().toStdString()}});
    // One series per state, 1 for the current one (a job that stopped on an error is "failed").
    const std::string current = !console.job.failure.empty() ? "failed" : std::string(jobStateName(console.job.state));
    for (const char *state : {"created", "running", "paused", "finished", "failed"})
        snapshot.add("tally_job_state", MetricKind::Gauge,
                     "1 for the job's current state (created, running, paused, finished, failed), 0 for the others",
                     current == state, {{"state", state}});
    for (const PartitionFigures &p : console.partitions)
        if (p.lagStatus)
            snapshot.add("tally_kafka_partition_status", MetricKind::Gauge,
                         "Burrow's status of the partition over the group's last ten commits: 0 OK, 1 WARN (lag "
                         "growing), 2 STALL (committed offset not moving), 3 STOP (no commits), 4 ERR (no figures)",
                         static_cast<double>(*p.lagStatus), {{"partition", std::to_string(p.partition)}});
    if (console.memoryLimitBytes)
        snapshot.add("tally_memory_limit_bytes", MetricKind::Gauge,
                     "The most memory the process may use: its cgroup's limit, else the machine's memory",
                     *console.memoryLimitBytes);
    // Each family's samples together: a family's HELP comes once.
    for (const FolderSpace &f : console.folders)
        snapshot.add("tally_folder_free_bytes", MetricKind::Gauge,
                     "Free bytes of the file system holding a folder the job writes to", f.freeBytes, {{"folder", f.folder}});
    for (const FolderSpace &f : console.folders)
        snapshot.add("tally_folder_size_bytes", MetricKind::Gauge,
                     "Size in bytes of the file system holding a folder the job writes to", f.sizeBytes,
                     {{"folder", f.folder}});
    // Capacity: absent until there has been input.
    if (const std::optional<CapacityEstimate> e = console.capacityNow()) {
        snapshot.add("tally_capacity_sustainable_records_per_second", MetricKind::Gauge,
                     "Estimated highest input rate the job sustains on this machine at its parallelism, from each "
                     "operator's busy time per record",
                     e->sustainableRecordsPerSecond, {{"limited_by", e->limitedBy}});
        if (std::isfinite(e->headroom()))
            snapshot.add("tally_capacity_headroom_ratio", MetricKind::Gauge,
                         "tally_capacity_sustainable_records_per_second over the current input rate", e->headroom());
        const BurstForecast burst = forecastBurst(*e, kForecastBurstRate, kForecastBurstSeconds);
        snapshot.add("tally_capacity_burst_peak_lag_records", MetricKind::Gauge,
                     "Records the lag would peak at after a burst of 500,000 records/s for 60 s", burst.peakLagRecords);
    }
    // Freshness: absent while nothing is stored; 0 once the input ended and everything is.
    const Freshness &f = console.freshness;
    if (f.complete || f.ageSeconds)
        snapshot.add("tally_freshness_seconds", MetricKind::Gauge,
                     "How far the database is behind: now minus the end of the newest window it holds every window before",
                     f.ageSeconds.value_or(0));
    if (f.ageSeconds) {
        snapshot.add("tally_up_to_date_timestamp_seconds", MetricKind::Gauge,
                     "Event time through which the database holds every window, seconds since the Unix epoch",
                     static_cast<double>(*f.upToDateMs) / 1000.0);
        for (const auto &[part, seconds] : {std::pair{"kafka_lag", f.sourceLagSeconds},
                                            std::pair{"watermark", f.watermarkDelaySeconds},
                                            std::pair{"firing", f.firingSeconds}, std::pair{"sink", f.sinkSeconds}})
            snapshot.add("tally_freshness_breakdown_seconds", MetricKind::Gauge,
                         "Parts of tally_freshness_seconds: records waiting in Kafka, the watermark's delay, fired "
                         "windows waiting for their epoch to close, rows waiting in the sink",
                         seconds, {{"part", part}});
    }
}

void WebConsole::appendWebMetrics(MetricsSnapshot &snapshot) const
{
    const WebGate::Counts gate = m_gate->counts();
    snapshot.add("tally_web_connections", MetricKind::Gauge,
                 "Connections the web console holds open, live feeds included", gate.open);
    snapshot.add("tally_web_connections_refused_total", MetricKind::Counter,
                 "Connections the web console closed at once: the client address's share or the server was full",
                 gate.refused);
    snapshot.add("tally_web_busy_replies_total", MetricKind::Counter,
                 "Requests answered 503: every connection outside those kept for /healthz, /readyz and /metrics was in use",
                 gate.busy);
    snapshot.add("tally_web_unfinished_heads_dropped_total", MetricKind::Counter,
                 "Connections closed before their request head was complete: too slow, or the oldest when the console was full",
                 gate.headsDropped);
    snapshot.add("tally_web_live_feeds_closed_slow_total", MetricKind::Counter,
                 "Live feeds the web console closed because their client did not read its snapshots",
                 m_liveFeedsClosedSlow);
}

WebConsole::Reply WebConsole::error(int status, const QString &message)
{
    return json(status, QJsonObject{{QStringLiteral("error"), message}});
}

WebConsole::Reply WebConsole::json(int status, const QJsonObject &object)
{
    Reply r;
    r.status = status;
    r.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return r;
}

void WebConsole::writeReply(QTcpSocket *socket, const Reply &reply, bool headOnly, bool keepAlive)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(reply.status) + ' ' + reasonPhrase(reply.status) + "\r\n";
    out += "Content-Type: " + reply.contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(reply.body.size()) + "\r\n";
    out += "Content-Security-Policy: default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
           "frame-ancestors 'none'; form-action 'self'\r\n";
    out += "X-Content-Type-Options: nosniff\r\n";
    out += "X-Frame-Options: DENY\r\n";
    out += "Referrer-Policy: no-referrer\r\n";
    out += "Cross-Origin-Opener-Policy: same-origin\r\n";
    out += "Cross-Origin-Resource-Policy: same-origin\r\n";
    if (m_tls)
        out += "Strict-Transport-Security: max-age=31536000\r\n";
    bool cacheSet = false;
    for (const auto &[k, v] : reply.headers) {
        out += k + ": " + v + "\r\n";
        cacheSet = cacheSet || k.compare("Cache-Control", Qt::CaseInsensitive) == 0;
    }
    if (!cacheSet)
        out += "Cache-Control: no-store\r\n";
    out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    if (!headOnly)
        out += reply.body;
    socket->write(out);
    if (!keepAlive)
        socket->disconnectFromHost();
}

// ---------------------------------------------------------------------------------------------
// The gate's checks

std::optional<WebConsole::Reply> WebConsole::screen(const Head &head, QTcpSocket *socket, qint64 headBytes)
{
    const QString client = socket->peerAddress().toString();
    if (!m_rate.allow(client, nowMs())) {
        Reply r = error(429, QStringLiteral("too many requests"));
        r.headers.append(headerPair("Retry-After", QByteArray::number(m_rate.retryAfterSeconds(client))));
        return r;
    }
    if (head.count("host") != 1)
        return error(400, QStringLiteral("exactly one Host header is required"));
    if (!hostAllowed(head.header("host")))
        return error(403, QStringLiteral("this Host is not served here"));
    if (!head.target.startsWith('/'))
        return error(400, QStringLiteral("bad request target"));
    const QByteArray rawPath = pathOf(head.target);
    // Every path served has the shape of an asset path (API ids included), so anything else,
    // however encoded, stops here.
    static const QRegularExpression safePath(QStringLiteral("^(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*/?$"));
    const std::optional<QByteArray> decoded = percentDecodeOnce(rawPath);
    if (!decoded || !safePath.match(QString::fromLatin1(*decoded)).hasMatch() || decoded->contains("//"))
        return error(400, QStringLiteral("bad path"));
    if (head.count("transfer-encoding") > 0)
        return error(411, QStringLiteral("send a Content-Length, not a chunked body"));
    qint64 contentLength = 0;
    if (head.count("content-length") > 1)
        return error(400, QStringLiteral("more than one Content-Length"));
    if (const QByteArray cl = head.header("content-length"); !cl.isEmpty()) {
        bool ok = false;
        contentLength = cl.toLongLong(&ok);
        if (!ok || contentLength < 0 || !std::all_of(cl.begin(), cl.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return error(400, QStringLiteral("bad Content-Length"));
        if (contentLength > m_options.maxRequestBytes)
            return error(413, QStringLiteral("request body over %1 bytes").arg(m_options.maxRequestBytes));
    }

    const QByteArray upgrade = head.header("upgrade");
    if (!upgrade.isEmpty()) {
        if (upgrade.compare("websocket", Qt::CaseInsensitive) != 0)
            return error(400, QStringLiteral("only WebSocket upgrades are served"));
        if (rawPath != "/api/v1/live")
            return error(404, QStringLiteral("no WebSocket here; the live feed is /api/v1/live"));
        if (head.method != "GET")
            return error(405, QStringLiteral("use GET"));
        if (contentLength != 0 || socket->bytesAvailable() > headBytes)
            return error(400, QStringLiteral("a WebSocket upgrade has no body and waits for its handshake"));
        const QByteArray origin = head.header("origin");
        if (!origin.isEmpty() && !originAllowed(origin))
            return error(403, QStringLiteral("cross-origin WebSocket refused"));
        Principal principal;
        if (authenticate(head, &principal) != Auth::Ok)
            return error(401, QStringLiteral("log in first"));
        // A browser always sends Origin; only a script with its own token may leave it out.
        if (origin.isEmpty() && !principal.sessionId.isEmpty())
            return error(403, QStringLiteral("WebSocket upgrade without Origin"));
        const int64_t now = nowMs();
        for (auto it = m_pendingUpgrades.begin(); it != m_pendingUpgrades.end();)
            it = now - it->atMs > kUpgradeValidMs ? m_pendingUpgrades.erase(it) : std::next(it);
        m_pendingUpgrades.insert(peerKey(socket->peerAddress(), socket->peerPort()),
                                 {principal.sessionId, principal.user, now});
    }
    return std::nullopt;
}

WebConsole::Auth WebConsole::authenticate(const Head &head, Principal *principal)
{
    const QByteArray authorization = head.header("authorization");
    if (!authorization.isEmpty()) {
        // A token given explicitly decides alone: a wrong one never falls back to a cookie.
        if (!authorization.startsWith("Bearer "))
            return Auth::Invalid;
        const std::optional<WebUser> user = m_tokens.authenticate(authorization.mid(7).trimmed());
        if (!user)
            return Auth::Invalid;
        *principal = {*user, {}, {}};
        return Auth::Ok;
    }
    for (const auto &[name, value] : head.headers) {
        if (name != "cookie")
            continue;
        for (const QByteArray &part : value.split(';')) {
            const QByteArray p = part.trimmed();
            if (!p.startsWith(kSessionCookie + '='))
                continue;
            if (const WebSessions::Session *s = m_sessions.find(p.mid(kSessionCookie.size() + 1), nowMs())) {
                *principal = {s->user, s->id, s->csrf};
                return Auth::Ok;
            }
            return Auth::Invalid;
        }
    }
    return Auth::None;
}

std::optional<WebConsole::Reply> WebConsole::checkStateChange(const Head &head, const Principal *principal, bool hasBody)
{
    const QByteArray origin = head.header("origin");
    if (!origin.isEmpty() && !originAllowed(origin))
        return error(403, QStringLiteral("cross-origin request refused"));
    const QByteArray site = head.header("sec-fetch-site");
    if (site == "cross-site" || site == "same-site")
        return error(403, QStringLiteral("cross-site request refused"));
    if (hasBody && !isJsonMediaType(head.header("content-type")))
        return error(415, QStringLiteral("send JSON (Content-Type: application/json)"));
    if (principal && !principal->sessionId.isEmpty() &&
        !constantTimeEquals(head.header("x-tally-csrf"), principal->csrf))
        return error(403, QStringLiteral("missing or wrong X-Tally-CSRF header"));
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Requests that passed the gate

// Answers a request that passed the gate's screen.
WebConsole::Reply WebConsole::route(const Request &request)
{
    const Head &head = request.head;
    const QByteArray rawPath = pathOf(head.target);
    const QByteArray path = percentDecodeOnce(rawPath).value_or(QByteArray());
    const bool read = head.method == "GET" || head.method == "HEAD";

    if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
        if (!read) {
            Reply r = error(405, QStringLiteral("use GET"));
            r.headers.append(headerPair("Allow", "GET, HEAD"));
            return r;
        }
        if (path == "/healthz")
            return json(200, QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")}});
        if (path == "/readyz") {
            const ConsoleSnapshot &s = m_host.snapshot();
            QJsonArray problems;
            if (m_host.finished() || s.job.state == JobStatus::State::Finished || s.job.state == JobStatus::State::Created)
                problems.append(QStringLiteral("the job is not running"));
            if (s.sink.present && s.sink.circuit == CircuitBreaker::State::Open)
                problems.append(QStringLiteral("the sink's circuit breaker is open"));
            // The bound is results_stale's threshold (alerts.stale_after_ms, or what an operator set).
            const double bound = m_host.alerts().threshold(QStringLiteral("results_stale")).value_or(0);
            if (bound > 0 && s.freshness.ageSeconds && *s.freshness.ageSeconds > bound)
                problems.append(QStringLiteral("the database is %1 s behind (the results_stale bound is %2 s)")
                                    .arg(*s.freshness.ageSeconds, 0, 'f', 1)
                                    .arg(bound));
            return json(problems.isEmpty() ? 200 : 503,
                        QJsonObject{{QStringLiteral("status"), problems.isEmpty() ? QStringLiteral("ready")
                                                                                  : QStringLiteral("not ready")},
                                    {QStringLiteral("state"), QString::fromUtf8(jobStateName(s.job.state).data())},
                                    {QStringLiteral("freshnessSeconds"), s.freshness.ageSeconds
                                                                             ? QJsonValue(*s.freshness.ageSeconds)
                                                                             : QJsonValue(QJsonValue::Null)},
                                    {QStringLiteral("problems"), problems}});
        }
        if (metricsNeedAuth()) {
            Principal p;
            if (authenticate(head, &p) != Auth::Ok)
                return error(401, QStringLiteral("/metrics needs a token here (Authorization: Bearer)"));
        }
        const ConsoleSnapshot &console = m_host.snapshot();
        MetricsSnapshot snapshot = console.metrics;
        // Two console figures that exist for every source and every alert rule, so dashboards
        // and alert rules need not special-case the generator.
        snapshot.add("tally_lag_seconds", MetricKind::Gauge,
                     "Consumer lag: the largest partition lag in seconds (Kafka); 0 for the generator, which has no backlog",
                     console.lagSeconds);
        const AlertModel &alerts = m_host.alerts();
        for (const AlertRule &rule : alerts.rules())
            snapshot.add("tally_alerts_active", MetricKind::Gauge, "1 while the console's alert rule is firing, else 0",
                         alerts.isActive(rule.id),
                         {{"rule", rule.id.toStdString()}});
        appendWebMetrics(snapshot);
        appendJobMetrics(snapshot, console);
        appendProcessMetrics(snapshot);
        Reply r;
        r.contentType = "text/plain; version=0.0.4; charset=utf-8";
        r.body = QByteArray::fromStdString(prometheusText(snapshot));
        return r;
    }
    if (path.startsWith("/api/"))
        return routeApi(request, path);

    if (!read) {
        Reply r = error(405, QStringLiteral("use GET"));
        r.headers.append(headerPair("Allow", "GET, HEAD"));
        return r;
    }
    const std::optional<QString> asset = webAssetPath(rawPath);
    if (!asset)
        return error(404, QStringLiteral("not found"));
    QFile file(*asset);
    if (!file.open(QIODevice::ReadOnly))
        return error(404, QStringLiteral("not found"));
    Reply r;
    r.contentType = contentTypeFor(*asset);
    r.body = file.readAll();
    r.headers.append(headerPair("Cache-Control", "no-cache"));
    return r;
}

WebConsole::Reply WebConsole::routeApi(const Request &request, const QByteArray &path)
{
    const Head &head = request.head;
    const bool read = head.method == "GET" || head.method == "HEAD";
    const bool post = head.method == "POST";
    const auto onlyGet = [&]() -> std::optional<Reply> {
        if (read)
            return std::nullopt;
        Reply r = error(405, QStringLiteral("use GET"));
        r.headers.append(headerPair("Allow", "GET, HEAD"));
        return r;
    };
    const auto onlyPost = [&]() -> std::optional<Reply> {
        if (post)
            return std::nullopt;
        Reply r = error(405, QStringLiteral("use POST"));
        r.headers.append(headerPair("Allow", "POST"));
        return r;
    };
    if (path == "/api/v1/login") {
        if (auto r = onlyPost())
            return *r;
        if (auto r = checkStateChange(head, nullptr, true))
            return *r;
        return login(request);
    }

    static const QRegularExpression actionPath(QStringLiteral("^/api/v1/actions/([a-z_]+)$"));
    static const QRegularExpression planPath(QStringLiteral("^/api/v1/actions/([a-z_]+)/plan$"));
    static const QRegularExpression runbookPath(QStringLiteral("^/api/v1/runbooks/([a-z0-9_]+)$"));
    static const QRegularExpression thresholdPath(QStringLiteral("^/api/v1/alerts/([a-z0-9_]+)/threshold$"));
    static const QRegularExpression postWindowsPath(QStringLiteral("^/api/v1/posts/([0-9]{1,20})/windows$"));
    const QRegularExpressionMatch action = actionPath.match(QString::fromLatin1(path));
    const QRegularExpressionMatch plan = planPath.match(QString::fromLatin1(path));
    const QRegularExpressionMatch postWindows = postWindowsPath.match(QString::fromLatin1(path));
    const QRegularExpressionMatch runbook = runbookPath.match(QString::fromLatin1(path));
    const QRegularExpressionMatch threshold = thresholdPath.match(QString::fromLatin1(path));
    const bool known = path == "/api/v1/logout" || path == "/api/v1/session" || path == "/api/v1/snapshot" ||
                       path == "/api/v1/series" || path == "/api/v1/audit" || path == "/api/v1/actions" || path == "/api/v1/dead-letters" ||
                       path == "/api/v1/restore-points" || path == "/api/v1/kafka" ||
                       path == "/api/v1/live" || action.hasMatch() || plan.hasMatch() || runbook.hasMatch() || threshold.hasMatch() ||
                       postWindows.hasMatch();
    if (!known)
        return error(404, QStringLiteral("no such endpoint"));
    if ((action.hasMatch() && !EngineHost::actionFromName(action.captured(1))) ||
        (plan.hasMatch() && !EngineHost::actionFromName(plan.captured(1))))
        return error(404, QStringLiteral("no such action"));
    // The method is checked before authentication: it is a property of the endpoint, not of
    // the caller, and says nothing about the console's state.
    if (action.hasMatch() || threshold.hasMatch() || path == "/api/v1/logout") {
        if (auto r = onlyPost())
            return *r;
    } else if (auto r = onlyGet()) {
        return *r;
    }
    if (post) { // a foreign origin is refused whoever it claims to be
        const QByteArray origin = head.header("origin");
        if (!origin.isEmpty() && !originAllowed(origin))
            return error(403, QStringLiteral("cross-origin request refused"));
    }

    Principal principal;
    switch (authenticate(head, &principal)) {
    case Auth::None:
        return error(401, QStringLiteral("log in first (POST /api/v1/login, or Authorization: Bearer TOKEN)"));
    case Auth::Invalid:
        return error(401, QStringLiteral("invalid token or expired session"));
    case Auth::Ok:
        break;
    }
    const auto sessionBody = [&] {
        return QJsonObject{{QStringLiteral("user"), principal.user.name},
                           {QStringLiteral("role"), webRoleName(principal.user.role)},
                           {QStringLiteral("csrf"), principal.sessionId.isEmpty() ? QJsonValue(QJsonValue::Null)
                                                                                  : QJsonValue(QString::fromLatin1(principal.csrf))}};
    };

    if (path == "/api/v1/session")
        return json(200, sessionBody());
    if (path == "/api/v1/logout") {
        if (auto r = checkStateChange(head, &principal, !request.body.isEmpty()))
            return *r;
        if (!principal.sessionId.isEmpty()) {
            m_sessions.remove(principal.sessionId);
            for (LiveClient &c : m_live)
                if (c.sessionId == principal.sessionId && c.socket)
                    c.socket->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("logged out"));
        }
        Reply r = json(200, QJsonObject{});
        r.headers.append({"Set-Cookie", kSessionCookie + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0" +
                                            (m_tls ? "; Secure" : "")});
        return r;
    }
    if (path == "/api/v1/live")
        return error(426, QStringLiteral("the live feed is a WebSocket"));
    if (path == "/api/v1/snapshot")
        return json(200, snapshotJson(m_host));
    if (path == "/api/v1/series") {
        const QUrlQuery query = queryOf(head.target);
        QStringList names;
        for (const QString &n : query.allQueryItemValues(QStringLiteral("name"), QUrl::FullyDecoded))
            names << n.split(QLatin1Char(','), Qt::SkipEmptyParts);
        bool ok = true;
        const qint64 since = query.hasQueryItem(QStringLiteral("since"))
                                 ? query.queryItemValue(QStringLiteral("since")).toLongLong(&ok)
                                 : std::numeric_limits<qint64>::min();
        if (!ok)
            return error(400, QStringLiteral("since: expected milliseconds since the epoch"));
        return json(200, seriesJson(m_host, names, since));
    }
    if (path == "/api/v1/audit") {
        const std::optional<int> limit = limitQuery(queryOf(head.target), 1000);
        if (!limit)
            return error(400, QStringLiteral("limit: expected 1..1000"));
        return json(200, auditJson(m_host.auditLog(), *limit));
    }
    if (path == "/api/v1/actions")
        return json(200, actionCatalogueJson(m_host));
    if (plan.hasMatch()) {
        // The dry run for the parameters the query names (?parallelism=4, ?from=PATH): what the
        // action will do, and the pre-flight checks it runs first.
        QVariantMap parameters;
        for (const auto &[key, value] : queryOf(head.target).queryItems(QUrl::FullyDecoded)) {
            bool isNumber = false;
            const int number = value.toInt(&isNumber);
            parameters.insert(key, isNumber ? QVariant(number) : QVariant(value));
        }
        const EngineHost::Action which = *EngineHost::actionFromName(plan.captured(1));
        if (const std::optional<UiText> wrong = m_host.parameterProblem(which, parameters))
            return error(400, wrong->english()); // as POST would refuse them
        return json(200, actionPlanJson(m_host.plan(which, parameters)));
    }
    if (path == "/api/v1/restore-points")
        return json(200, restorePointsJson(m_host.restorePoints()));
    if (path == "/api/v1/kafka")
        return json(200, topicViewJson(m_host.snapshot().job.topic, m_host.snapshot().kafka));
    if (path == "/api/v1/dead-letters") {
        const QUrlQuery query = queryOf(head.target);
        std::optional<RejectReason> reason;
        if (query.hasQueryItem(QStringLiteral("reason"))) {
            reason = rejectReasonFromName(query.queryItemValue(QStringLiteral("reason"), QUrl::FullyDecoded).toStdString());
            if (!reason)
                return error(400, QStringLiteral("reason: not a dead-letter reason (malformed, missing_field, ...)"));
        }
        const std::optional<int> limit = limitQuery(query, static_cast<int>(RecentDeadLetters::kKept));
        if (!limit)
            return error(400, QStringLiteral("limit: expected 1..%1").arg(RecentDeadLetters::kKept));
        bool ok = true;
        const quint64 before = query.hasQueryItem(QStringLiteral("before"))
                                   ? query.queryItemValue(QStringLiteral("before")).toULongLong(&ok)
                                   : std::numeric_limits<quint64>::max();
        if (!ok)
            return error(400, QStringLiteral("before: expected a sequence number"));
        const QString stored = query.queryItemValue(QStringLiteral("stored"));
        if (!stored.isEmpty() && stored != QLatin1String("0") && stored != QLatin1String("1"))
            return error(400, QStringLiteral("stored: expected 0 or 1"));
        if (stored == QLatin1String("1")) // the sink's table: every run's
            return json(200, storedDeadLettersJson(m_host.storedDeadLetters(reason, static_cast<size_t>(*limit), before)));
        return json(200, deadLettersJson(m_host.recentDeadLetters(), reason, static_cast<size_t>(*limit), before));
    }
    if (postWindows.hasMatch()) {
        // Each page watches its own post; asking keeps it watched (LiveResults::kWatchIdle).
        bool ok = false;
        const quint64 post = postWindows.captured(1).toULongLong(&ok);
        if (!ok)
            return error(400, QStringLiteral("the post id is not a 64-bit number"));
        return json(200, postWindowsJson(post, m_host.watchedWindows(post)));
    }
    if (runbook.hasMatch()) {
        QFile file(AlertModel::runbookPath(runbook.captured(1)));
        if (!file.open(QIODevice::ReadOnly))
            return error(404, QStringLiteral("no such runbook"));
        Reply r;
        r.contentType = "text/markdown; charset=utf-8";
        r.body = file.readAll();
        return r;
    }
    if (auto r = checkStateChange(head, &principal, !request.body.isEmpty()))
        return *r;
    if (threshold.hasMatch())
        return setThreshold(request, threshold.captured(1), principal);
    // An action.
    const QString name = action.captured(1);
    const EngineHost::Action which = *EngineHost::actionFromName(name);
    QJsonObject parameters;
    if (!request.body.trimmed().isEmpty()) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject())
            return error(400, QStringLiteral("expected a JSON object"));
        if (const std::optional<QString> key = duplicateJsonKey(request.body))
            return error(400, duplicateKeyMessage(*key));
        parameters = doc.object();
    }
    // The host checks the parameters, here and again when it runs the action; wrong
    // ones are refused (400) and, like every refusal, audited by the host.
    const QVariantMap params = parameters.toVariantMap();
    // A viewer is refused whatever the parameters: the host never sees the request.
    if (principal.user.role != WebRole::Operator) {
        m_host.auditLog().append(principal.user.name, QStringLiteral("web"), name,
                                 QString::fromUtf8(QJsonDocument(parameters).toJson(QJsonDocument::Compact)),
                                 QStringLiteral("refused"), QStringLiteral("the viewer role cannot run actions"));
        return error(403, QStringLiteral("the viewer role cannot run actions"));
    }
    const std::optional<UiText> wrong = m_host.parameterProblem(which, params);
    const EngineHost::Availability available = m_host.availability(which);
    const qint64 id = m_host.run(which, principal.user.name, QStringLiteral("web"), params);
    if (id == 0) {
        if (available.enabled && wrong)
            return error(400, wrong->english());
        return error(409, available.reason.isEmpty() ? QStringLiteral("not available now") : available.reason.english());
    }
    return json(202, QJsonObject{{QStringLiteral("id"), static_cast<double>(id)}});
}

// POST /api/v1/alerts/RULE/threshold {"threshold": N}: operators only; the host checks the
// value, keeps it and audits the change (refusals too).
WebConsole::Reply WebConsole::setThreshold(const Request &request, const QString &ruleId, const Principal &principal)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject() ||
        !doc.object().value(QStringLiteral("threshold")).isDouble())
        return error(400, QStringLiteral("expected {\"threshold\": NUMBER}"));
    if (const std::optional<QString> key = duplicateJsonKey(request.body))
        return error(400, duplicateKeyMessage(*key));
    const double value = doc.object().value(QStringLiteral("threshold")).toDouble();
    if (principal.user.role != WebRole::Operator) {
        m_host.auditLog().append(principal.user.name, QStringLiteral("web"), QStringLiteral("set_alert_threshold"),
                                 QStringLiteral("rule=%1 threshold=%2").arg(ruleId).arg(value), QStringLiteral("refused"),
                                 QStringLiteral("the viewer role cannot change thresholds"));
        return error(403, QStringLiteral("the viewer role cannot change thresholds"));
    }
    if (Status s = m_host.setAlertThreshold(ruleId, value, principal.user.name, QStringLiteral("web")); !s.isOk())
        return error(400, QString::fromStdString(s.message()));
    return json(200, QJsonObject{{QStringLiteral("rule"), ruleId}, {QStringLiteral("threshold"), value}});
}

WebConsole::Reply WebConsole::login(const Request &request)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject() ||
        !doc.object().value(QStringLiteral("token")).isString())
        return error(400, QStringLiteral("expected {\"token\": \"...\"}"));
    if (const std::optional<QString> key = duplicateJsonKey(request.body))
        return error(400, duplicateKeyMessage(*key));
    const QByteArray token = doc.object().value(QStringLiteral("token")).toString().toUtf8();
    const std::optional<WebUser> user = m_tokens.authenticate(token);
    if (!user) {
        // A wrong guess costs the client ten requests' worth of its rate.
        for (int i = 0; i < 10; ++i)
            (void)m_rate.allow(request.client, nowMs());
        return error(401, QStringLiteral("invalid token"));
    }
    const WebSessions::Session &session = m_sessions.create(*user, nowMs());
    Reply r = json(200, QJsonObject{{QStringLiteral("user"), user->name},
                                    {QStringLiteral("role"), webRoleName(user->role)},
                                    {QStringLiteral("csrf"), QString::fromLatin1(session.csrf)}});
    r.headers.append({"Set-Cookie", kSessionCookie + '=' + session.id + "; HttpOnly; SameSite=Strict; Path=/" +
                                        (m_tls ? "; Secure" : "")});
    return r;
}

// ---------------------------------------------------------------------------------------------
// The live feed

void WebConsole::onNewWebSocket()
{
    while (m_webSockets->hasPendingConnections()) {
        QWebSocket *ws = m_webSockets->nextPendingConnection();
        if (!ws)
            break;
        ws->setParent(this);
        connect(ws, &QWebSocket::disconnected, ws, &QObject::deleteLater);
        ws->setMaxAllowedIncomingMessageSize(4096);
        ws->setMaxAllowedIncomingFrameSize(4096);
        // Incoming messages are never interpreted; the feed only speaks.
        const QString key = peerKey(ws->peerAddress(), ws->peerPort());
        const auto pending = m_pendingUpgrades.find(key);
        const QByteArray origin = ws->origin().toLatin1();
        // The gate has checked this upgrade; a connection it did not see, or whose Origin is
        // foreign, is closed with "policy violation" before anything is sent.
        if (pending == m_pendingUpgrades.end() || (!origin.isEmpty() && !originAllowed(origin))) {
            if (pending != m_pendingUpgrades.end())
                m_pendingUpgrades.erase(pending);
            ws->close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("not allowed"));
            continue;
        }
        const QByteArray sessionId = pending->sessionId;
        m_pendingUpgrades.erase(pending);
        m_live.push_back({ws, sessionId});
        connect(ws, &QObject::destroyed, this, [this] {
            std::erase_if(m_live, [](const LiveClient &c) { return c.socket.isNull(); });
        });
        const QByteArray message = QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("snapshot")},
                                                             {QStringLiteral("data"), snapshotJson(m_host)}})
                                       .toJson(QJsonDocument::Compact);
        ws->sendTextMessage(QString::fromUtf8(message));
    }
}

void WebConsole::pushSnapshot()
{
    // Headless, nobody picks a post to follow on the Windows page: follow the leading one, as
    // the desktop page does until the operator chooses.
    const ConsoleSnapshot &s = m_host.snapshot();
    if (!s.watchedPost && !m_host.finished()) {
        for (const LiveWindow &w : s.windows)
            if (w.aggregation == Aggregation::LikesPerPost && !w.leaders.empty()) {
                m_host.watchPost(w.leaders.front().key);
                break;
            }
    }
    std::erase_if(m_live, [](const LiveClient &c) { return c.socket.isNull(); });
    if (m_live.empty() || !m_snapshotDirty)
        return;
    m_snapshotDirty = false;
    // A session that ended (logout, idle) ends its feed.
    const int64_t now = nowMs();
    for (LiveClient &c : m_live)
        if (c.socket && !c.sessionId.isEmpty() && !m_sessions.find(c.sessionId, now))
            c.socket->close(QWebSocketProtocol::CloseCodePolicyViolated, QStringLiteral("session ended"));
    broadcast(QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("snapshot")},
                                        {QStringLiteral("data"), snapshotJson(m_host)}})
                  .toJson(QJsonDocument::Compact),
              true);
}

void WebConsole::broadcast(const QByteArray &message, bool skippable)
{
    const QString text = QString::fromUtf8(message);
    const int64_t now = nowMs();
    const auto closeSlow = [this](LiveClient &c, const QString &reason) {
        ++m_liveFeedsClosedSlow;
        c.closing = true;
        c.socket->close(QWebSocketProtocol::CloseCodePolicyViolated, reason);
        // The close frame waits behind what the client has not read; do not wait for it long.
        QTimer::singleShot(kLiveCloseGraceMs, c.socket.data(), [socket = c.socket.data()] { socket->abort(); });
    };
    for (LiveClient &c : m_live) {
        if (!c.socket || c.closing || c.socket->state() != QAbstractSocket::ConnectedState)
            continue;
        const qint64 backlog = c.socket->bytesToWrite();
        if (backlog + message.size() > kLiveCloseBytes) {
            closeSlow(c, QStringLiteral("too slow: over %1 bytes unread").arg(kLiveCloseBytes));
            continue;
        }
        if (skippable && backlog > kLiveSkipBytes) {
            if (c.stalledSinceMs == 0)
                c.stalledSinceMs = now;
            else if (now - c.stalledSinceMs >= kLiveStalledMs)
                closeSlow(c, QStringLiteral("too slow: no snapshot read for %1 s").arg(kLiveStalledMs / 1000));
            continue;
        }
        c.stalledSinceMs = 0;
        c.socket->sendTextMessage(text);
    }
}

} // namespace tally
