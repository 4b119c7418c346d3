// The web console: the desktop console's pages, data and actions served over HTTP and a
// WebSocket by the Tally process itself, plus /metrics, /healthz and /readyz. It sits on the same
// EngineHost (and so the same alerts) as the desktop window, speaks English whatever language the
// desktop shows, and it is secure by default: loopback only
// unless tokens are configured, token login with viewer and operator roles, CSRF and Origin checks
// on every state change, Host checks against DNS rebinding, a static root that cannot be left,
// request size and rate limits, security headers and optional TLS. README "Web console" and
// resources/web/openapi.yaml describe the API.
//
// Every connection is read by a gate that parses each request head as sent (nothing normalized)
// and refuses what must never reach a handler: a foreign Host, a body over the limit (before it
// is read), chunked bodies, a client over its rate, a malformed path, and a WebSocket upgrade with
// a foreign Origin or without a login. It then reads the body (Content-Length only) and routes the
// request. HTTP/1.1 connections are kept alive for up to kMaxRequestsPerConnection requests, each
// screened like the first; an idle one counts as a connection sending its head, so it is the
// first given up when the server fills, and nothing more is read while a reply is unsent. The gate also rations connections: a cap per client
// address, a head timeout that shrinks as the server fills up, the oldest unfinished head given up
// for a new connection when full, and a few connections kept for /healthz, /readyz and /metrics.
// Live feeds that stop reading are skipped, then closed.
#pragma once

#include "config/job_config.h"
#include "metrics/metrics.h"
#include "models/engine_host.h"
#include "views/web/web_security.h"

#include <QHash>
#include <QHostAddress>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QUrl>

#if QT_CONFIG(ssl)
#include <QSslConfiguration>
#endif

#include <memory>
#include <optional>

class QWebSocket;
class QWebSocketServer;

namespace tally {

class WebGate;

struct WebConsoleOptions {
    QString address = QStringLiteral("127.0.0.1"); // listen address ("localhost" = 127.0.0.1)
    int port = 8080;                               // 0 = any free port
    QString tokensFile;                            // empty: a one-time operator token (loopback only)
    // Where a one-time token goes instead of the startup line (mode 0600): the line then names
    // the file, so a log that others read (the journal) never holds the token; removed when the
    // console ends. Empty: the line.
    QString oneTimeTokenFile;
    QString tlsCert;                               // PEM; both set: HTTPS only
    QString tlsKey;
    QString publicOrigin;                          // also accepted as Host/Origin (reverse proxy)
    qint64 maxRequestBytes = 65536;                // body limit (bytes)
    double rateLimitPerSecond = 50;                // per client address
    int rateLimitBurst = 200;

    static WebConsoleOptions fromConfig(const WebConfig &config);
};

class WebConsole final : public QObject {
    Q_OBJECT
public:
    // Shows the host's snapshots and alerts and runs actions on it; reads, never evaluates.
    WebConsole(EngineHost &host, WebConsoleOptions options, QObject *parent = nullptr);
    ~WebConsole() override;

    // Loads the tokens (or makes the one-time token), sets up TLS and starts listening.
    Status start();
    quint16 port() const;
    QUrl url() const; // e.g. http://127.0.0.1:8080/
    // The line printed at startup: "web console: URL", with "#token=..." when the token is a
    // one-time one (the fragment never reaches the server; the page logs in with it), or
    // "(one-time operator token in FILE)" when it went to oneTimeTokenFile.
    QString startupLine() const;

private:
    friend class WebGate;

    struct Reply {
        int status = 200;
        QByteArray contentType = "application/json";
        QByteArray body;
        QList<QPair<QByteArray, QByteArray>> headers;
    };
    struct Principal {
        WebUser user;
        QByteArray sessionId; // empty: authenticated by a Bearer token
        QByteArray csrf;
    };
    using Head = RequestHead; // a request head as the gate read it (parseRequestHead)
    struct Request {
        Head head;
        QByteArray body;
        QString client; // the peer's address
    };
    enum class Auth { None, Ok, Invalid };

    // The gate's verdict on a request head: a reply to send instead, or nothing to let it pass.
    std::optional<Reply> screen(const Head &head, QTcpSocket *socket, qint64 headBytes);
    Reply route(const Request &request);
    Reply routeApi(const Request &request, const QByteArray &path);
    Reply login(const Request &request);
    Reply setThreshold(const Request &request, const QString &ruleId, const Principal &principal);
    Auth authenticate(const Head &head, Principal *principal);
    // POST checks shared by every state change: Origin, Sec-Fetch-Site, content type, and the
    // CSRF header for cookie sessions. Returns the refusal, if any.
    std::optional<Reply> checkStateChange(const Head &head, const Principal *principal, bool hasBody);
    bool hostAllowed(const QByteArray &host) const;
    bool originAllowed(const QByteArray &origin) const;
    bool metricsNeedAuth() const;
    // The web console's own figures: open connections, refusals, dropped heads, closed feeds.
    void appendWebMetrics(MetricsSnapshot &snapshot) const;
    // Which Tally this is (tally_build_info) and the job's state, one series per state.
    void appendJobMetrics(MetricsSnapshot &snapshot, const ConsoleSnapshot &console) const;
    // Writes the reply; keepAlive leaves the connection open for the next request, otherwise
    // it is closed once the reply is sent.
    void writeReply(QTcpSocket *socket, const Reply &reply, bool headOnly, bool keepAlive = false);
    static Reply error(int status, const QString &message);
    static Reply json(int status, const QJsonObject &object);

    void onNewWebSocket();
    void pushSnapshot();
    // Sends to every live client; a skippable message (a snapshot, superseded by the next) is not
    // sent to a client that is behind in reading, and a client too far behind is closed.
    void broadcast(const QByteArray &message, bool skippable);
    Status writeOneTimeToken() const;

    EngineHost &m_host;
    WebConsoleOptions m_options;
    QHostAddress m_address;
    WebGate *m_gate = nullptr;
    QWebSocketServer *m_webSockets = nullptr; // takes over screened upgrade requests
    bool m_tls = false;
#if QT_CONFIG(ssl)
    QSslConfiguration m_ssl;
#endif
    WebTokens m_tokens;
    QString m_oneTimeToken;
    WebSessions m_sessions;
    RateLimiter m_rate;
    QSet<QByteArray> m_allowedHosts;   // "host:port", lowercase
    QSet<QByteArray> m_allowedOrigins; // "scheme://host:port"

    struct PendingUpgrade {
        QByteArray sessionId;
        WebUser user;
        qint64 atMs = 0;
    };
    QHash<QString, PendingUpgrade> m_pendingUpgrades; // by "address|port" of the peer
    struct LiveClient {
        QPointer<QWebSocket> socket;
        QByteArray sessionId; // empty: Bearer
        int64_t stalledSinceMs = 0; // since when its snapshots are skipped (0: they are not)
        bool closing = false;       // closed for being too slow
    };
    std::vector<LiveClient> m_live;
    quint64 m_liveFeedsClosedSlow = 0; // closed by broadcast() for not reading
    QTimer m_pushTimer;
    bool m_snapshotDirty = true;
};

} // namespace tally
