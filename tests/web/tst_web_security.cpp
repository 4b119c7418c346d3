// The web console's security, end to end: the real `tally --headless` serves the console with a
// token file (operator alice, viewer bob), and the test talks to it over raw TCP so that nothing
// between the test and the server normalizes a request. Roles, CSRF, Origin and Host checks, a
// path traversal corpus against files planted outside the web root, the request size and rate
// limits, WebSocket upgrades, refused startups, and /metrics checked by promtool. Actions take only
// the parameters the action catalogue (GET /api/v1/actions) lists, within its ranges.
#include "state/key_groups.h"
#include "support/web_client.h"
#include "support/seed.h"
#include "support/wait.h"
#include "support/process_signal.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSslSocket>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <memory>

using namespace std::chrono_literals;
using tally::test::seededGenerator;
using tally::test::Wait;
using tally::test::waitUntil;

namespace {

const QByteArray kOperatorToken = "op-7c1e0f5b2a9d4e36b8f0a1c2d3e4f506";
const QByteArray kViewerToken = "view-2b8d9e0f1a2b3c4d5e6f708192a3b4c5";

QByteArray hashHex(const QByteArray &token) { return QCryptographicHash::hash(token, QCryptographicHash::Sha256).toHex(); }

struct Response {
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers; // names lowercased
    QByteArray body;
    QByteArray raw;
    QByteArray header(const QByteArray &name) const
    {
        for (const auto &[k, v] : headers)
            if (k == name)
                return v;
        return {};
    }
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

// Takes one whole response off the front of `buffer`: its head, and as many body bytes as its
// Content-Length says (none for a reply to HEAD). Nothing while it is incomplete, unless
// `closed`: then whatever arrived.
std::optional<Response> takeResponse(QByteArray &buffer, bool toHead, bool closed)
{
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0) {
        if (!closed)
            return std::nullopt;
        Response r;
        r.raw = std::exchange(buffer, {});
        return r;
    }
    Response r;
    const QList<QByteArray> lines = buffer.left(end).split('\n');
    r.status = lines.value(0).split(' ').value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            r.headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
    }
    // 1xx replies (100 Continue) have no body and come before the real one.
    const qsizetype bodyBytes = toHead || r.status < 200 ? 0 : r.header("content-length").toLongLong();
    if (buffer.size() < end + 4 + bodyBytes && !closed)
        return std::nullopt;
    r.raw = buffer.left(end + 4 + bodyBytes);
    r.body = r.raw.mid(end + 4);
    buffer.remove(0, r.raw.size());
    return r;
}

// Sends `raw` as is and reads one whole response (skipping a 100 Continue), until the server
// closes the connection, or only its head when `stopAfterHead` (WebSocket handshakes). `from`
// binds the client's end to a source address (any of 127/8 is loopback on Linux), so a test can
// be several clients.
Response exchange(quint16 port, const QByteArray &raw, bool stopAfterHead = false, int timeoutMs = 10000,
                  const QHostAddress &from = {})
{
    QTcpSocket socket;
    if (!from.isNull() && !socket.bind(from))
        return {};
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForConnected(timeoutMs))
        return {};
    socket.write(raw);
    socket.waitForBytesWritten(timeoutMs);
    QByteArray buffer;
    QElapsedTimer timer;
    timer.start();
    const bool toHead = raw.startsWith("HEAD ");
    while (timer.elapsed() < timeoutMs) {
        if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(200)) {
            if (socket.state() != QAbstractSocket::ConnectedState)
                break;
            continue;
        }
        buffer += socket.readAll();
        if (stopAfterHead && buffer.contains("\r\n\r\n"))
            break;
        while (std::optional<Response> r = takeResponse(buffer, toHead, false)) {
            if (r->status >= 200)
                return *r;
        }
    }
    buffer += socket.readAll();
    if (stopAfterHead) { // the head, with whatever followed it (a handshake's frames)
        QByteArray copy = buffer;
        Response r = takeResponse(copy, true, true).value_or(Response{});
        r.body = buffer.mid(r.raw.size());
        r.raw = buffer;
        return r;
    }
    return takeResponse(buffer, toHead, true).value_or(Response{});
}

// A running `tally --headless` with its web console.
class Tally {
public:
    ~Tally() { stop(); }

    // Starts tally and waits for the startup line; false (with the output in `error`) when it
    // exits or prints no such line within 30 s.
    bool start(const QString &dir, const QStringList &extraArgs, QString *error)
    {
        m_process.setWorkingDirectory(dir);
        QStringList args{QStringLiteral("--headless"), QStringLiteral("--quiet"), QStringLiteral("--web-port"),
                         QStringLiteral("0")};
        args << extraArgs;
        m_process.start(QStringLiteral(TALLY_BINARY), args);
        if (!m_process.waitForStarted()) {
            *error = QStringLiteral("cannot start ") + QStringLiteral(TALLY_BINARY);
            return false;
        }
        QElapsedTimer timer;
        timer.start();
        // Standard output is a pipe, so a one-time token is in the file the line names.
        static const QRegularExpression line(
            QStringLiteral("^web console: (https?)://127\\.0\\.0\\.1:(\\d+)/( \\(one-time operator token in ([^;]+);.*)?$"),
            QRegularExpression::MultilineOption);
        while (timer.elapsed() < 30000) {
            m_stdout += m_process.readAllStandardOutput();
            const QRegularExpressionMatch m = line.match(QString::fromUtf8(m_stdout));
            if (m.hasMatch()) {
                port = static_cast<quint16>(m.captured(2).toUInt());
                if (m.hasCaptured(4)) {
                    QFile file(m.captured(4));
                    if (!file.open(QIODevice::ReadOnly)) {
                        *error = QStringLiteral("cannot read the one-time token from ") + file.fileName();
                        return false;
                    }
                    oneTimeToken = file.readAll().trimmed();
                    oneTimeTokenFile = file.fileName();
                    if (m_stdout.contains(oneTimeToken)) {
                        *error = QStringLiteral("the one-time token is in the log: ") + QString::fromUtf8(m_stdout);
                        return false;
                    }
                }
                return true;
            }
            if (m_process.state() == QProcess::NotRunning)
                break;
            m_process.waitForReadyRead(200);
        }
        *error = QStringLiteral("no startup line; stdout:\n%1\nstderr:\n%2")
                     .arg(QString::fromUtf8(m_stdout), QString::fromUtf8(m_process.readAllStandardError()));
        return false;
    }

    // Starts tally in `dir` with job.toml holding `config`.
    bool startWithConfig(const QString &dir, const QByteArray &config, QString *error)
    {
        QFile file(QDir(dir).filePath(QStringLiteral("job.toml")));
        if (!file.open(QIODevice::WriteOnly) || file.write(config) != config.size()) {
            *error = QStringLiteral("cannot write ") + file.fileName();
            return false;
        }
        file.close();
        return start(dir, {QStringLiteral("--config"), QStringLiteral("job.toml"), QStringLiteral("--audit-log"), QStringLiteral("audit.db")},
                     error);
    }

    void stop()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        tally::test::signalProcess(m_process, SIGTERM);
        if (!m_process.waitForFinished(30000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }

    QByteArray request(const QByteArray &method, const QByteArray &target, const QList<QByteArray> &headers = {},
                       const QByteArray &body = {}, bool withHost = true) const
    {
        QByteArray raw = method + ' ' + target + " HTTP/1.1\r\n";
        if (withHost)
            raw += "Host: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
        for (const QByteArray &h : headers)
            raw += h + "\r\n";
        if (!body.isEmpty() || method == "POST")
            raw += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
        return raw + "\r\n" + body;
    }
    Response send(const QByteArray &method, const QByteArray &target, const QList<QByteArray> &headers = {},
                  const QByteArray &body = {}) const
    {
        return exchange(port, request(method, target, headers, body));
    }
    QByteArray origin() const { return "http://127.0.0.1:" + QByteArray::number(port); }
    qint64 pid() const { return m_process.processId(); }
    // Bytes tally has sent on its connections that the clients have not acknowledged, i.e. held
    // in the kernel's send buffers on its behalf (the tx_queue of its sockets in /proc/net/tcp).
    qint64 kernelSendQueueBytes() const
    {
        QFile tcp(QStringLiteral("/proc/net/tcp"));
        if (!tcp.open(QIODevice::ReadOnly))
            return 0;
        qint64 total = 0;
        const QByteArray localPort = ':' + QByteArray::number(port, 16).toUpper().rightJustified(4, '0');
        for (const QByteArray &line : tcp.readAll().split('\n')) {
            const QList<QByteArray> fields = line.simplified().split(' ');
            if (fields.size() > 4 && fields[1].endsWith(localPort)) // local address 0100007F:PORT
                total += fields[4].split(':').value(0).toLongLong(nullptr, 16);
        }
        return total;
    }
    // Resident memory (VmRSS in /proc/PID/status), bytes; 0 when unreadable.
    qint64 residentBytes() const
    {
        QFile status(QStringLiteral("/proc/%1/status").arg(pid()));
        if (!status.open(QIODevice::ReadOnly))
            return 0;
        for (const QByteArray &line : status.readAll().split('\n'))
            if (line.startsWith("VmRSS:"))
                return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
        return 0;
    }

    quint16 port = 0;
    QByteArray oneTimeToken;
    QString oneTimeTokenFile; // where tally wrote it (its standard output is not a terminal)

private:
    QProcess m_process;
    QByteArray m_stdout;
};

// Runs tally with arguments that must make it refuse to start; returns its exit code and stderr.
std::pair<int, QString> refusedStart(const QString &dir, const QStringList &args)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.start(QStringLiteral(TALLY_BINARY), QStringList{QStringLiteral("--headless"), QStringLiteral("--quiet")} + args);
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        return {-1, QStringLiteral("still running after 30 s; stdout: ") + QString::fromUtf8(p.readAllStandardOutput())};
    }
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardError())};
}


// The value of a sample without labels in a /metrics text, or -1 when it has none.
double metricValue(const QByteArray &text, const char *name)
{
    const QRegularExpression sample(QStringLiteral("^%1 (\\S+)$").arg(QLatin1String(name)), QRegularExpression::MultilineOption);
    const QRegularExpressionMatch m = sample.match(QString::fromUtf8(text));
    return m.hasMatch() ? m.captured(1).toDouble() : -1;
}
} // namespace

class TestWebSecurity : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void securityHeaders();
    void healthAndReadiness();
    void manyConnections();
    void keepAlive();
    void postWindows();
    void deadLettersEndpoint();
    void restorePointsEndpoint();
    void loginWithABadToken();
    void unauthenticatedAction();
    void viewerAction();
    void operatorActionIsAudited();
    void alertThresholds();
    void unavailableAction();
    void actionCatalogue();
    void parametersOutsideTheCatalogue_data();
    void parametersOutsideTheCatalogue();
    void getOnAnAction();
    void foreignOriginPost();
    void foreignHost_data();
    void foreignHost();
    void cookieSessionNeedsCsrf();
    void traversal_data();
    void traversal();
    void oversizeBody();
    void chunkedBody();
    void tooManyHeaders();
    void jsonMediaTypeIsStrict();
    void duplicateJsonKeys();
    void slowClients_data();
    void slowClients();
    void liveFeedsNotRead();
    void rateLimit();
    void webSocketForeignOrigin();
    void webSocketWithoutLogin();
    void webSocketSameOrigin();
    void badTokenFileLine();
    void nonLoopbackWithoutTokens();
    void metricsPassPromtool();
    void tls();

private:
    QByteArray bearer(const QByteArray &token) const { return "Authorization: Bearer " + token; }
    // Logs in and returns the cookie header and the CSRF token.
    std::pair<QByteArray, QByteArray> login(const QByteArray &token);

    QTemporaryDir m_dir;
    QString m_tmpMarkerPath;
    QByteArray m_marker;
    std::unique_ptr<Tally> m_tally;
};

void TestWebSecurity::initTestCase()
{
    tally::test::testSeed(); // prints it
    QVERIFY(m_dir.isValid());
    // Secrets planted outside the web root: in tally's working directory, next to the binary and
    // in /tmp. No response may ever contain them.
    m_marker = "tally-marker-" + QByteArray::number(seededGenerator("marker")());
    m_tmpMarkerPath = QStringLiteral("/tmp/tally-web-marker.txt");
    for (const QString &path : {m_dir.filePath(QStringLiteral("marker.txt")), m_tmpMarkerPath,
                                QFileInfo(QStringLiteral(TALLY_BINARY)).dir().filePath(QStringLiteral("marker.txt"))}) {
        QFile f(path);
        QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
        f.write(m_marker);
    }

    QFile tokens(m_dir.filePath(QStringLiteral("tokens")));
    QVERIFY(tokens.open(QIODevice::WriteOnly));
    tokens.write("# role user sha256(token)\noperator alice " + hashHex(kOperatorToken) + "\nviewer bob " +
                 hashHex(kViewerToken) + "  # read-only\n");
    tokens.close();

    QFile config(m_dir.filePath(QStringLiteral("job.toml")));
    QVERIFY(config.open(QIODevice::WriteOnly));
    config.write("[source.generator]\nevents_per_second = 20000\n"
                 "[checkpoint]\nenabled = true\ninterval_ms = 300\n"
                 "[output]\nsqlite_path = \"out.db\"\n"
                 "[web]\nmax_request_bytes = 4096\nrate_limit_per_second = 1000\nrate_limit_burst = 1000\n");
    config.close();

    m_tally = std::make_unique<Tally>();
    QString error;
    QVERIFY2(m_tally->start(m_dir.path(),
                            {QStringLiteral("--config"), QStringLiteral("job.toml"), QStringLiteral("--web-tokens"),
                             QStringLiteral("tokens"), QStringLiteral("--audit-log"), QStringLiteral("audit.db")},
                            &error),
             qPrintable(error));
    QVERIFY2(m_tally->oneTimeToken.isEmpty(), "a token file is configured: no one-time token");
}

void TestWebSecurity::cleanupTestCase()
{
    m_tally.reset();
    QFile::remove(m_tmpMarkerPath);
    QFile::remove(QFileInfo(QStringLiteral(TALLY_BINARY)).dir().filePath(QStringLiteral("marker.txt")));
}

std::pair<QByteArray, QByteArray> TestWebSecurity::login(const QByteArray &token)
{
    const Response r = m_tally->send("POST", "/api/v1/login",
                                     {"Content-Type: application/json", "Origin: " + m_tally->origin()},
                                     "{\"token\":\"" + token + "\"}");
    if (r.status != 200)
        return {};
    const QByteArray cookie = r.header("set-cookie");
    if (!cookie.contains("HttpOnly") || !cookie.contains("SameSite=Strict"))
        return {};
    return {"Cookie: " + cookie.left(cookie.indexOf(';')), r.json().value(QStringLiteral("csrf")).toString().toUtf8()};
}

void TestWebSecurity::securityHeaders()
{
    const Response page = m_tally->send("GET", "/");
    QCOMPARE(page.status, 200);
    QVERIFY(page.header("content-type").startsWith("text/html"));
    QVERIFY(page.header("content-security-policy").contains("default-src 'self'"));
    QCOMPARE(page.header("x-content-type-options"), QByteArray("nosniff"));
    QCOMPARE(page.header("x-frame-options"), QByteArray("DENY"));
    QCOMPARE(page.header("referrer-policy"), QByteArray("no-referrer"));
    QVERIFY(page.header("access-control-allow-origin").isEmpty());

    const Response api = m_tally->send("GET", "/api/v1/snapshot", {bearer(kViewerToken)});
    QCOMPARE(api.status, 200);
    QCOMPARE(api.header("cache-control"), QByteArray("no-store"));
    QVERIFY(api.header("content-security-policy").contains("default-src 'self'"));
    const QJsonObject snapshot = api.json();
    QVERIFY(snapshot.value(QStringLiteral("job")).isObject());
    QVERIFY(snapshot.value(QStringLiteral("actions")).toObject().contains(QStringLiteral("trigger_savepoint")));

    const Response openapi = m_tally->send("GET", "/openapi.yaml");
    QCOMPARE(openapi.status, 200);
    QVERIFY(openapi.body.startsWith("openapi: 3.0"));
}

void TestWebSecurity::healthAndReadiness()
{
    QCOMPARE(m_tally->send("GET", "/healthz").status, 200);
    QCOMPARE(m_tally->send("GET", "/readyz").status, 200);
    QCOMPARE(m_tally->send("POST", "/healthz").status, 405);
}

void TestWebSecurity::manyConnections()
{
    // Each request has its own connection; closed ones must not count against the limit of
    // connections open at once (256).
    for (int i = 0; i < 400; ++i) {
        const Response r = m_tally->send("GET", "/healthz");
        QVERIFY2(r.status == 200, qPrintable(QStringLiteral("request %1: status %2").arg(i).arg(r.status)));
    }
}

// One client connection kept open over several requests, as browsers and Prometheus use them.
class KeepAliveClient {
public:
    explicit KeepAliveClient(quint16 port, const QHostAddress &from)
    {
        if (m_socket.bind(from))
            m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    }
    bool connected() { return m_socket.waitForConnected(10000); }
    void send(const QByteArray &raw)
    {
        m_socket.write(raw);
        m_socket.waitForBytesWritten(10000);
    }
    // The next whole response (none within 10 s: status 0).
    Response next(bool toHead = false)
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 10000) {
            if (std::optional<Response> r = takeResponse(m_buffer, toHead, false))
                return *r;
            if (!m_socket.waitForReadyRead(200) && m_socket.state() != QAbstractSocket::ConnectedState)
                break;
            m_buffer += m_socket.readAll();
        }
        return takeResponse(m_buffer, toHead, true).value_or(Response{});
    }
    // Whether the server closed the connection within 10 s.
    bool closedByServer()
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 10000 && m_socket.state() == QAbstractSocket::ConnectedState)
            m_socket.waitForReadyRead(200);
        return m_socket.state() != QAbstractSocket::ConnectedState;
    }

private:
    QTcpSocket m_socket;
    QByteArray m_buffer;
};

// HTTP/1.1 connections serve several requests, each checked as the first was; HTTP/1.0,
// "Connection: close", a refusal and the 100th request end them.
void TestWebSecurity::keepAlive()
{
    const QHostAddress from(QStringLiteral("127.0.0.5")); // an address of its own: its rate is its own
    {
        KeepAliveClient client(m_tally->port, from);
        QVERIFY(client.connected());
        // Three requests of different kinds, one after another.
        client.send(m_tally->request("GET", "/healthz"));
        Response r = client.next();
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("connection"), QByteArray("keep-alive"));
        client.send(m_tally->request("GET", "/api/v1/snapshot", {bearer(kViewerToken)}));
        r = client.next();
        QCOMPARE(r.status, 200);
        QVERIFY2(r.json().contains(QStringLiteral("job")), r.body.left(200).constData());
        client.send(m_tally->request("HEAD", "/index.html"));
        r = client.next(true);
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-length").toInt() > 0);
        QVERIFY(r.body.isEmpty());
        // Two requests in one write: answered in order.
        client.send(m_tally->request("GET", "/api/v1/session", {bearer(kViewerToken)}) + m_tally->request("GET", "/readyz"));
        r = client.next();
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("role")).toString(), QStringLiteral("viewer"));
        QCOMPARE(client.next().status, 200);
        // A later request is screened like the first: a foreign Host is refused and ends it.
        client.send("GET /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n");
        r = client.next();
        QCOMPARE(r.status, 403);
        QCOMPARE(r.header("connection"), QByteArray("close"));
        QVERIFY(client.closedByServer());
    }
    {
        KeepAliveClient client(m_tally->port, from);
        QVERIFY(client.connected());
        client.send(m_tally->request("GET", "/healthz", {"Connection: close"}));
        const Response r = client.next();
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("connection"), QByteArray("close"));
        QVERIFY(client.closedByServer());
    }
    {
        KeepAliveClient client(m_tally->port, from);
        QVERIFY(client.connected());
        client.send("GET /healthz HTTP/1.0\r\nHost: 127.0.0.1:" + QByteArray::number(m_tally->port) + "\r\n\r\n");
        QCOMPARE(client.next().status, 200);
        QVERIFY(client.closedByServer());
    }
    {
        // The 100th request on a connection is its last.
        KeepAliveClient client(m_tally->port, from);
        QVERIFY(client.connected());
        for (int i = 1; i <= 100; ++i) {
            client.send(m_tally->request("GET", "/healthz"));
            const Response r = client.next();
            QVERIFY2(r.status == 200, qPrintable(QStringLiteral("request %1: status %2").arg(i).arg(r.status)));
            QCOMPARE(r.header("connection"), i < 100 ? QByteArray("keep-alive") : QByteArray("close"));
        }
        QVERIFY(client.closedByServer());
    }
}

// A page's watched post: any logged-in role reads it; ids are decimal 64-bit numbers.
void TestWebSecurity::postWindows()
{
    QCOMPARE(m_tally->send("GET", "/api/v1/posts/42/windows").status, 401);
    Response r = m_tally->send("GET", "/api/v1/posts/42/windows", {bearer(kViewerToken)});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("post")).toString(), QStringLiteral("42"));
    QVERIFY(r.json().value(QStringLiteral("windows")).isArray());
    QCOMPARE(m_tally->send("POST", "/api/v1/posts/42/windows", {bearer(kOperatorToken)}).status, 405);
    QCOMPARE(m_tally->send("GET", "/api/v1/posts/99999999999999999999/windows", {bearer(kViewerToken)}).status, 400);
    QCOMPARE(m_tally->send("GET", "/api/v1/posts/123456789012345678901/windows", {bearer(kViewerToken)}).status, 404);
    QCOMPARE(m_tally->send("GET", "/api/v1/posts/-1/windows", {bearer(kViewerToken)}).status, 404);
}

// The dead-letter browser's data: any logged-in role reads it; its parameters are checked.
void TestWebSecurity::deadLettersEndpoint()
{
    QCOMPARE(m_tally->send("GET", "/api/v1/dead-letters").status, 401);
    const Response r = m_tally->send("GET", "/api/v1/dead-letters?reason=oversize&limit=5", {bearer(kViewerToken)});
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("kept")).toInt(), 1000);
    QVERIFY(r.json().value(QStringLiteral("letters")).isArray());
    QCOMPARE(r.json().value(QStringLiteral("totals")).toObject().size(), 7);
    // Stored: the sink's table (this tally writes SQLite), the same letters' shape.
    const Response stored = m_tally->send("GET", "/api/v1/dead-letters?stored=1&reason=oversize&limit=5", {bearer(kViewerToken)});
    QCOMPARE(stored.status, 200);
    QVERIFY2(stored.json().value(QStringLiteral("stored")).toBool() && stored.json().value(QStringLiteral("complete")).toBool(),
             stored.body.constData());
    QVERIFY(stored.json().value(QStringLiteral("letters")).isArray());
    for (const QByteArray &bad : {QByteArray("reason=love"), QByteArray("limit=0"), QByteArray("limit=1001"), QByteArray("before=x"),
                                  QByteArray("stored=yes")})
        QCOMPARE(m_tally->send("GET", "/api/v1/dead-letters?" + bad, {bearer(kViewerToken)}).status, 400);
    QCOMPARE(m_tally->send("POST", "/api/v1/dead-letters", {bearer(kOperatorToken)}).status, 405);
}

// The files on disk to continue from: any logged-in role reads the list.
void TestWebSecurity::restorePointsEndpoint()
{
    QCOMPARE(m_tally->send("GET", "/api/v1/restore-points").status, 401);
    const Response r = m_tally->send("GET", "/api/v1/restore-points", {bearer(kViewerToken)});
    QCOMPARE(r.status, 200);
    QVERIFY(r.json().value(QStringLiteral("points")).isArray());
    QCOMPARE(m_tally->send("POST", "/api/v1/restore-points", {bearer(kOperatorToken)}).status, 405);
}

void TestWebSecurity::loginWithABadToken()
{
    const Response r = m_tally->send("POST", "/api/v1/login", {"Content-Type: application/json"}, "{\"token\":\"guess\"}");
    QCOMPARE(r.status, 401);
    QVERIFY(r.header("set-cookie").isEmpty());
    QCOMPARE(m_tally->send("GET", "/api/v1/snapshot", {bearer("guess")}).status, 401);
    QCOMPARE(m_tally->send("GET", "/api/v1/snapshot").status, 401);
}

void TestWebSecurity::unauthenticatedAction()
{
    const Response r = m_tally->send("POST", "/api/v1/actions/pause_source", {"Content-Type: application/json"}, "{}");
    QCOMPARE(r.status, 401);
    QVERIFY(r.json().contains(QStringLiteral("error")));
}

void TestWebSecurity::viewerAction()
{
    const Response r =
        m_tally->send("POST", "/api/v1/actions/trigger_savepoint", {bearer(kViewerToken), "Content-Type: application/json"}, "{}");
    QCOMPARE(r.status, 403);
    // Whatever the parameters: a viewer's restore of a path not on the list is a 403 too, not a
    // 400 (the role is checked before anything else looks at the request), and audited.
    const Response restore = m_tally->send("POST", "/api/v1/actions/restore", {bearer(kViewerToken), "Content-Type: application/json"},
                                           R"({"from": "/etc/passwd"})");
    QCOMPARE(restore.status, 403);
    // An operator's is refused for the path (400), with the host's reason; "..", "//" too.
    for (const QByteArray from : {QByteArray("/etc/passwd"), QByteArray("/tmp/../etc/passwd"), QByteArray("//etc/passwd")}) {
        const Response wrong = m_tally->send("POST", "/api/v1/actions/restore", {bearer(kOperatorToken), "Content-Type: application/json"},
                                             R"({"from": ")" + from + R"("})");
        QCOMPARE(wrong.status, 400);
        QVERIFY2(wrong.json().value(QStringLiteral("error")).toString().contains(QLatin1String("is not a checkpoint or savepoint")),
                 wrong.body.constData());
    }
    // The viewer's session works for reading.
    const auto [cookie, csrf] = login(kViewerToken);
    QVERIFY(!cookie.isEmpty());
    const Response session = m_tally->send("GET", "/api/v1/session", {cookie});
    QCOMPARE(session.status, 200);
    QCOMPARE(session.json().value(QStringLiteral("role")).toString(), QStringLiteral("viewer"));
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/trigger_savepoint",
                           {cookie, "X-Tally-CSRF: " + csrf, "Origin: " + m_tally->origin(), "Content-Type: application/json"}, "{}")
                 .status,
             403);
}

// Thresholds: an operator changes one (the snapshot shows it, the audit log names them), a
// viewer cannot, an unknown rule or a negative value is refused.
void TestWebSecurity::alertThresholds()
{
    const auto post = [&](const QByteArray &token, const QByteArray &target, const QByteArray &body) {
        return m_tally->send("POST", target, {bearer(token), "Content-Type: application/json"}, body);
    };
    const Response changed = post(kOperatorToken, "/api/v1/alerts/sink_latency/threshold", "{\"threshold\": 7.5}");
    QCOMPARE(changed.status, 200);
    const QJsonObject snapshot = m_tally->send("GET", "/api/v1/snapshot", {bearer(kOperatorToken)}).json();
    double shown = -1;
    for (const QJsonValue &rule : snapshot[QStringLiteral("alerts")][QStringLiteral("rules")].toArray())
        if (rule[QStringLiteral("id")] == QLatin1String("sink_latency"))
            shown = rule[QStringLiteral("threshold")].toDouble();
    QCOMPARE(shown, 7.5);
    QCOMPARE(post(kViewerToken, "/api/v1/alerts/sink_latency/threshold", "{\"threshold\": 1}").status, 403);
    QCOMPARE(post(kOperatorToken, "/api/v1/alerts/no_such_rule/threshold", "{\"threshold\": 1}").status, 400);
    QCOMPARE(post(kOperatorToken, "/api/v1/alerts/sink_latency/threshold", "{\"threshold\": -1}").status, 400);
    QCOMPARE(post(kOperatorToken, "/api/v1/alerts/sink_latency/threshold", "{\"threshold\": \"5\"}").status, 400);
    QCOMPARE(m_tally->send("GET", "/api/v1/alerts/sink_latency/threshold", {bearer(kOperatorToken)}).status, 405);
    const QJsonArray audit =
        m_tally->send("GET", "/api/v1/audit?limit=20", {bearer(kOperatorToken)}).json()[QStringLiteral("entries")].toArray();
    QStringList outcomes;
    for (const QJsonValue &e : audit)
        if (e[QStringLiteral("action")] == QLatin1String("set_alert_threshold"))
            outcomes << e[QStringLiteral("user")].toString() + QLatin1Char(' ') + e[QStringLiteral("outcome")].toString();
    // Newest first: the negative value, the unknown rule, the viewer, the change.
    QCOMPARE(outcomes, (QStringList{QStringLiteral("alice refused"), QStringLiteral("alice refused"),
                                    QStringLiteral("bob refused"), QStringLiteral("alice ok")}));
    QCOMPARE(post(kOperatorToken, "/api/v1/alerts/sink_latency/threshold", "{\"threshold\": 5}").status, 200);
}

void TestWebSecurity::operatorActionIsAudited()
{
    const Response r =
        m_tally->send("POST", "/api/v1/actions/trigger_savepoint", {bearer(kOperatorToken), "Content-Type: application/json"}, "{}");
    QCOMPARE(r.status, 202);
    const qint64 id = r.json().value(QStringLiteral("id")).toInteger();
    QVERIFY(id > 0);
    bool started = false, finished = false;
    int auditStatus = 200;
    QString source = QStringLiteral("web"); // of alice's entries: the first that is not web, if any
    const Wait audited = waitUntil(
        [&] {
            const Response audit = m_tally->send("GET", "/api/v1/audit?limit=50", {bearer(kViewerToken)});
            auditStatus = audit.status;
            for (const QJsonValue &v : audit.json().value(QStringLiteral("entries")).toArray()) {
                const QJsonObject e = v.toObject();
                if (e.value(QStringLiteral("action")).toString() != QLatin1String("trigger_savepoint") ||
                    e.value(QStringLiteral("user")).toString() != QLatin1String("alice"))
                    continue;
                if (source == QLatin1String("web"))
                    source = e.value(QStringLiteral("source")).toString();
                started = started || e.value(QStringLiteral("outcome")).toString() == QLatin1String("started");
                finished = finished || e.value(QStringLiteral("outcome")).toString() == QLatin1String("ok");
            }
            return auditStatus != 200 || source != QLatin1String("web") || (started && finished);
        },
        20s, "the operator's savepoint in the audit log");
    QCOMPARE(auditStatus, 200);
    QCOMPARE(source, QStringLiteral("web"));
    if (!audited)
        qWarning("%s", audited.message().c_str());
    QVERIFY2(started, "the operator's action is not in the audit log");
    QVERIFY2(finished, "the operator's savepoint did not finish as ok in the audit log");
    // The viewer's refused attempt is audited too.
    const Response audit = m_tally->send("GET", "/api/v1/audit?limit=200", {bearer(kOperatorToken)});
    bool refused = false;
    for (const QJsonValue &v : audit.json().value(QStringLiteral("entries")).toArray())
        refused = refused || (v[QStringLiteral("user")].toString() == QLatin1String("bob") &&
                              v[QStringLiteral("outcome")].toString() == QLatin1String("refused"));
    QVERIFY(refused);
}

void TestWebSecurity::unavailableAction()
{
    // The generator is running, not paused: resuming it is refused with the reason.
    const Response r =
        m_tally->send("POST", "/api/v1/actions/resume_source", {bearer(kOperatorToken), "Content-Type: application/json"}, "{}");
    QCOMPARE(r.status, 409);
    QCOMPARE(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("The source is not paused."));
    // Unknown actions and parameters.
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/format_disk", {bearer(kOperatorToken), "Content-Type: application/json"}, "{}")
                 .status,
             404);
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/rescale", {bearer(kOperatorToken), "Content-Type: application/json"},
                           "{\"parallelism\":\"4; rm -rf /\"}")
                 .status,
             400);
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/pause_source", {bearer(kOperatorToken), "Content-Type: application/json"},
                           "{\"script\":\"1+1\"}")
                 .status,
             400);
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/pause_source", {bearer(kOperatorToken), "Content-Type: application/json"}, "[")
                 .status,
             400);
}

void TestWebSecurity::actionCatalogue()
{
    const Response r = m_tally->send("GET", "/api/v1/actions", {bearer(kViewerToken)});
    QCOMPARE(r.status, 200);
    const QJsonArray actions = r.json().value(QStringLiteral("actions")).toArray();
    // The same actions as the snapshot's availability, each with its text and parameters.
    const QJsonObject available =
        m_tally->send("GET", "/api/v1/snapshot", {bearer(kViewerToken)}).json().value(QStringLiteral("actions")).toObject();
    QCOMPARE(actions.size(), available.size());
    QJsonObject rescale;
    for (const QJsonValue &v : actions) {
        const QJsonObject a = v.toObject();
        const QString name = a.value(QStringLiteral("name")).toString();
        QVERIFY2(available.contains(name), qPrintable(name));
        for (const char *field : {"label", "description", "subject"})
            QVERIFY2(!a.value(QLatin1String(field)).toString().isEmpty(), qPrintable(name + QLatin1Char(' ') + field));
        QVERIFY(a.value(QStringLiteral("confirmation")).isString() || a.value(QStringLiteral("confirmation")).isNull());
        QVERIFY(a.value(QStringLiteral("parameters")).isArray());
        QCOMPARE(a.value(QStringLiteral("enabled")).toBool(), available[name][QStringLiteral("enabled")].toBool());
        QVERIFY2(!a.value(QStringLiteral("label")).toString().contains(QLatin1Char('&')), "no mnemonic markers in the API");
        if (name == QLatin1String("rescale"))
            rescale = a;
    }
    QCOMPARE(rescale.value(QStringLiteral("label")).toString(), QStringLiteral("Rescale"));
    QVERIFY(rescale.value(QStringLiteral("confirmation")).isString());
    const QJsonArray parameters = rescale.value(QStringLiteral("parameters")).toArray();
    QCOMPARE(parameters.size(), 1);
    const QJsonObject parallelism = parameters[0].toObject();
    QCOMPARE(parallelism.value(QStringLiteral("name")).toString(), QStringLiteral("parallelism"));
    QCOMPARE(parallelism.value(QStringLiteral("type")).toString(), QStringLiteral("integer"));
    QCOMPARE(parallelism.value(QStringLiteral("minimum")).toInt(), 1);
    QCOMPARE(parallelism.value(QStringLiteral("maximum")).toInt(), tally::kMaxParallelism);
    QCOMPARE(parallelism.value(QStringLiteral("value")).toInt(), 2); // the job's parallelism
}

void TestWebSecurity::parametersOutsideTheCatalogue_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("error");
    const QString range = QStringLiteral("parallelism must be an integer from 1 to %1").arg(tally::kMaxParallelism);
    QTest::newRow("0") << QByteArray("{\"parallelism\":0}") << range;
    QTest::newRow("max + 1") << "{\"parallelism\":" + QByteArray::number(tally::kMaxParallelism + 1) + "}" << range;
    QTest::newRow("fraction") << QByteArray("{\"parallelism\":2.5}") << range;
    QTest::newRow("text") << QByteArray("{\"parallelism\":\"4\"}") << range;
    QTest::newRow("missing") << QByteArray("{}") << QStringLiteral("rescale needs the parameter \"parallelism\"");
    QTest::newRow("unknown") << QByteArray("{\"parallelism\":2,\"force\":true}")
                             << QStringLiteral("rescale takes no parameter \"force\"");
}

// Refused with the catalogue's message (400), and audited as refused with the same message.
void TestWebSecurity::parametersOutsideTheCatalogue()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, error);
    const Response r =
        m_tally->send("POST", "/api/v1/actions/rescale", {bearer(kOperatorToken), "Content-Type: application/json"}, body);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.json().value(QStringLiteral("error")).toString(), error);
    const QJsonObject newest = m_tally->send("GET", "/api/v1/audit?limit=1", {bearer(kOperatorToken)})
                                   .json()
                                   .value(QStringLiteral("entries"))
                                   .toArray()
                                   .at(0)
                                   .toObject();
    QCOMPARE(newest.value(QStringLiteral("action")).toString(), QStringLiteral("rescale"));
    QCOMPARE(newest.value(QStringLiteral("user")).toString(), QStringLiteral("alice"));
    QCOMPARE(newest.value(QStringLiteral("outcome")).toString(), QStringLiteral("refused"));
    QCOMPARE(newest.value(QStringLiteral("detail")).toString(), error);
    // Nothing ran: the job keeps its parallelism.
    const QJsonObject snapshot = m_tally->send("GET", "/api/v1/snapshot", {bearer(kViewerToken)}).json();
    QCOMPARE(snapshot[QStringLiteral("job")][QStringLiteral("parallelism")].toInt(), 2);
}

void TestWebSecurity::getOnAnAction()
{
    QCOMPARE(m_tally->send("GET", "/api/v1/actions/trigger_savepoint", {bearer(kOperatorToken)}).status, 405);
    const Response r = m_tally->send("GET", "/api/v1/actions/pause_source");
    QCOMPARE(r.status, 405);
    QCOMPARE(r.header("allow"), QByteArray("POST"));
    QCOMPARE(m_tally->send("GET", "/api/v1/logout", {bearer(kOperatorToken)}).status, 405);
    QCOMPARE(m_tally->send("POST", "/api/v1/snapshot", {bearer(kOperatorToken)}).status, 405);
}

void TestWebSecurity::foreignOriginPost()
{
    for (const QByteArray &origin : {QByteArray("http://evil.example"), QByteArray("null"),
                                     "http://127.0.0.1:" + QByteArray::number(m_tally->port + 1),
                                     "https://127.0.0.1:" + QByteArray::number(m_tally->port)}) {
        const Response r = m_tally->send("POST", "/api/v1/actions/trigger_savepoint",
                                         {bearer(kOperatorToken), "Origin: " + origin, "Content-Type: application/json"}, "{}");
        QVERIFY2(r.status == 403, origin.constData());
    }
    QCOMPARE(m_tally->send("POST", "/api/v1/login", {"Origin: http://evil.example", "Content-Type: application/json"},
                           "{\"token\":\"" + kOperatorToken + "\"}")
                 .status,
             403);
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/trigger_savepoint",
                           {bearer(kOperatorToken), "Sec-Fetch-Site: cross-site", "Content-Type: application/json"}, "{}")
                 .status,
             403);
}

void TestWebSecurity::foreignHost_data()
{
    QTest::addColumn<QByteArray>("host");
    QTest::newRow("rebinding name") << QByteArray("attacker.example:%1");
    QTest::newRow("no port") << QByteArray("127.0.0.1");
    QTest::newRow("other port") << QByteArray("127.0.0.1:1");
    QTest::newRow("lookalike") << QByteArray("localhost.attacker.example:%1");
    QTest::newRow("empty") << QByteArray("");
}

void TestWebSecurity::foreignHost()
{
    QFETCH(QByteArray, host);
    host.replace("%1", QByteArray::number(m_tally->port));
    for (const QByteArray &target : {QByteArray("/"), QByteArray("/api/v1/snapshot"), QByteArray("/metrics")}) {
        const QByteArray raw = m_tally->request("GET", target, {"Host: " + host, bearer(kOperatorToken)}, {}, false);
        const Response r = exchange(m_tally->port, raw);
        QVERIFY2(r.status == 403 || (host.isEmpty() && r.status == 400), qPrintable(QString::number(r.status)));
    }
    // Missing Host, and two of them.
    QCOMPARE(exchange(m_tally->port, m_tally->request("GET", "/", {}, {}, false)).status, 400);
    QCOMPARE(exchange(m_tally->port, m_tally->request("GET", "/", {"Host: attacker.example"})).status, 400);
    // localhost is this console.
    QCOMPARE(exchange(m_tally->port,
                      m_tally->request("GET", "/healthz", {"Host: localhost:" + QByteArray::number(m_tally->port)}, {}, false))
                 .status,
             200);
}

void TestWebSecurity::cookieSessionNeedsCsrf()
{
    const auto [cookie, csrf] = login(kOperatorToken);
    QVERIFY(!cookie.isEmpty() && !csrf.isEmpty());
    const QByteArray json = "Content-Type: application/json";
    const QByteArray origin = "Origin: " + m_tally->origin();
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/trigger_savepoint", {cookie, origin, json}, "{}").status, 403);
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/trigger_savepoint", {cookie, origin, json, "X-Tally-CSRF: wrong"}, "{}").status,
             403);
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/trigger_savepoint", {cookie, origin, json, "X-Tally-CSRF: " + csrf}, "{}")
                 .status,
             202);
    // A form post (no JSON) is refused even with the header.
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/trigger_savepoint",
                           {cookie, origin, "Content-Type: application/x-www-form-urlencoded", "X-Tally-CSRF: " + csrf}, "a=b")
                 .status,
             415);
    // After logout the cookie is worthless.
    QCOMPARE(m_tally->send("POST", "/api/v1/logout", {cookie, origin, "X-Tally-CSRF: " + csrf}).status, 200);
    QCOMPARE(m_tally->send("GET", "/api/v1/session", {cookie}).status, 401);
}

void TestWebSecurity::traversal_data()
{
    QTest::addColumn<QByteArray>("target");
    const QList<QByteArray> corpus{
        "/../marker.txt",
        "/../../marker.txt",
        "/..%2fmarker.txt",
        "/..%2Fmarker.txt",
        "/%2e%2e/marker.txt",
        "/%2E%2E/%2E%2E/marker.txt",
        "/%2e%2e%2fmarker.txt",
        "/%252e%252e/marker.txt",
        "/%252e%252e%252fmarker.txt",
        "/..%252fmarker.txt",
        "/..\\marker.txt",
        "/..%5cmarker.txt",
        "/..%5Cmarker.txt",
        "/%5c..%5cmarker.txt",
        "/etc/passwd",
        "//etc/passwd",
        "///etc/passwd",
        "/%2fetc%2fpasswd",
        "/%2Fetc/passwd",
        "/index.html%00",
        "/marker.txt%00.js",
        "/%00/../marker.txt",
        "/%c0%ae%c0%ae/marker.txt",
        "/%c0%ae%c0%ae%c0%afmarker.txt",
        "/%e0%80%ae%e0%80%ae/marker.txt",
        "/..%c0%afmarker.txt",
        "/..%c1%9cmarker.txt",
        "/.%2e/marker.txt",
        "/%2e./marker.txt",
        "/./../marker.txt",
        "/static/../../marker.txt",
        "/....//marker.txt",
        "/..;/marker.txt",
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/tmp/tally-web-marker.txt",
        "/../../../../../../../../tmp/tally-web-marker.txt",
        "/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2ftmp%2ftally-web-marker.txt",
        "/%252e%252e%252f%252e%252e%252f%252e%252e%252ftmp%252ftally-web-marker.txt",
        "/..%u2216marker.txt",
        "/%uff0e%uff0e/marker.txt",
        "/%%32%65%%32%65/marker.txt",
        "/.%00./marker.txt",
        "/tmp/tally-web-marker.txt",
        "/proc/self/environ",
        "/proc/self/cmdline",
        "/api/v1/runbooks/..%2f..%2fmarker",
        "/api/v1/runbooks/../../marker",
        "/api/v1/runbooks/%2e%2e",
        "/api/v1/runbooks/backpressure%00",
        "/api/../../marker.txt",
        "/openapi.yaml/../../marker.txt",
        "/.hidden",
        "/index.html/",
        "http://127.0.0.1/../marker.txt",
        "*",
        "../marker.txt",
        "/app.js?x=/../../marker.txt", // a query is not a path: may serve app.js, never the marker
    };
    for (const QByteArray &t : corpus)
        QTest::newRow(t.constData()) << t;
}

void TestWebSecurity::traversal()
{
    QFETCH(QByteArray, target);
    const Response r = exchange(m_tally->port, m_tally->request("GET", target, {bearer(kOperatorToken)}));
    QVERIFY2(r.status != 0, "no response");
    QVERIFY2(!r.raw.contains(m_marker), "a file outside the web root was served");
    QVERIFY2(!r.raw.contains("root:x:0:0") && !r.raw.contains("PATH="), "a system file was served");
    if (target.startsWith("/app.js?")) {
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("content-type"), QByteArray("text/javascript; charset=utf-8"));
        return;
    }
    QVERIFY2(r.status == 400 || r.status == 404, qPrintable(QStringLiteral("status %1").arg(r.status)));
    QVERIFY(r.header("content-type").startsWith("application/json"));
}

void TestWebSecurity::oversizeBody()
{
    // Over the limit (4096 here): refused from the Content-Length alone, before the body is sent.
    QByteArray head = "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_tally->port) +
                      "\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n";
    QCOMPARE(exchange(m_tally->port, head).status, 413);
    head.replace("5000", "1000000000000");
    QCOMPARE(exchange(m_tally->port, head).status, 413);
    const QByteArray big(5000, 'x');
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/pause_source", {bearer(kOperatorToken), "Content-Type: application/json"}, big)
                 .status,
             413);
    // A huge head is refused too.
    QCOMPARE(m_tally->send("GET", "/healthz", {"X-Padding: " + QByteArray(40000, 'a')}).status, 431);
}

void TestWebSecurity::chunkedBody()
{
    const QByteArray raw = "POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(m_tally->port) +
                           "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
    QCOMPARE(exchange(m_tally->port, raw).status, 411);
}

void TestWebSecurity::tooManyHeaders()
{
    const auto fillers = [](int n) {
        QList<QByteArray> headers;
        for (int i = 0; i < n; ++i)
            headers << "X" + QByteArray::number(i, 36) + ":1";
        return headers;
    };
    // 1,500 short header fields fit the 16 KiB head: the count alone refuses them.
    for (const int n : {1500, 100}) { // with Host, 1,501 and 101
        const Response r = m_tally->send("GET", "/healthz", fillers(n));
        QVERIFY2(r.status == 431, qPrintable(QStringLiteral("%1 fields: status %2").arg(n + 1).arg(r.status)));
        QVERIFY2(r.json().value(QStringLiteral("error")).toString().contains(QStringLiteral("too many header fields")),
                 r.body.constData());
    }
    QCOMPARE(m_tally->send("GET", "/healthz", fillers(99)).status, 200); // 100 with Host
}

void TestWebSecurity::jsonMediaTypeIsStrict()
{
    const QByteArray body = "{\"token\":\"" + kOperatorToken + "\"}";
    for (const QByteArray &type : {QByteArray("application/jsonx"), QByteArray("application/json-patch+json"),
                                   QByteArray("application/json5"), QByteArray("application/json; charset=latin1"),
                                   QByteArray("application/json junk"), QByteArray("text/plain; application/json")}) {
        const Response r = m_tally->send("POST", "/api/v1/login", {"Content-Type: " + type}, body);
        QVERIFY2(r.status == 415, qPrintable(QStringLiteral("%1: status %2").arg(QString::fromLatin1(type)).arg(r.status)));
        QVERIFY(r.header("set-cookie").isEmpty());
    }
    QCOMPARE(m_tally->send("POST", "/api/v1/actions/trigger_savepoint", {bearer(kOperatorToken), "Content-Type: application/jsonx"}, "{}")
                 .status,
             415);
    // The type in any case, with parameters.
    for (const QByteArray &type : {QByteArray("Application/JSON"), QByteArray("application/json; charset=UTF-8")})
        QCOMPARE(m_tally->send("POST", "/api/v1/login", {"Content-Type: " + type}, body).status, 200);
}

void TestWebSecurity::duplicateJsonKeys()
{
    const QByteArray json = "Content-Type: application/json";
    // Qt's parser would take the last: 99999 is out of range, 2 is the current parallelism.
    Response r = m_tally->send("POST", "/api/v1/actions/rescale", {bearer(kOperatorToken), json},
                               "{\"parallelism\":99999,\"parallelism\":2}");
    QCOMPARE(r.status, 400);
    QVERIFY2(r.json().value(QStringLiteral("error")).toString().contains(QStringLiteral("\"parallelism\" more than once")),
             r.body.constData());
    // Nested, and escaped.
    r = m_tally->send("POST", "/api/v1/actions/pause_source", {bearer(kOperatorToken), json}, "{\"a\":{\"b\":1,\"\\u0062\":2}}");
    QCOMPARE(r.status, 400);
    QVERIFY2(r.json().value(QStringLiteral("error")).toString().contains(QStringLiteral("\"b\" more than once")), r.body.constData());
    // The login: a wrong token first, the right one last, is no login.
    r = m_tally->send("POST", "/api/v1/login", {json}, "{\"token\":\"guess\",\"token\":\"" + kOperatorToken + "\"}");
    QCOMPARE(r.status, 400);
    QVERIFY(r.header("set-cookie").isEmpty());
    QVERIFY2(r.json().value(QStringLiteral("error")).toString().contains(QStringLiteral("\"token\" more than once")), r.body.constData());
    // The same key in two objects is no duplicate: the catalogue judges the parameters.
    r = m_tally->send("POST", "/api/v1/actions/pause_source", {bearer(kOperatorToken), json}, "{\"a\":{\"x\":1},\"b\":{\"x\":1}}");
    QCOMPARE(r.status, 400);
    QCOMPARE(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("pause_source takes no parameter \"a\""));
}

void TestWebSecurity::slowClients_data()
{
    QTest::addColumn<int>("addresses");     // the slow clients' source addresses: 127.0.0.10, .11, ...
    QTest::addColumn<int>("perAddress");    // connections from each
    QTest::addColumn<bool>("headsComplete"); // false: heads never finished; true: heads of bodies that never come
    QTest::newRow("unfinished heads from one address") << 1 << 300 << false;
    QTest::newRow("unfinished heads from 10 addresses") << 10 << 30 << false;
    QTest::newRow("unsent bodies from 10 addresses") << 10 << 30 << true;
}

// Slow clients hold more connections than the console has (256) while another address asks for
// /healthz 100 times: the per-address cap, the oldest unfinished head given up for a new
// connection, and the connections kept for the probes get (nearly) every probe through.
void TestWebSecurity::slowClients()
{
    QFETCH(int, addresses);
    QFETCH(int, perAddress);
    QFETCH(bool, headsComplete);
    QTemporaryDir dir;
    Tally tally;
    QString error;
    QVERIFY2(tally.startWithConfig(dir.path(), "[output]\ntype = \"none\"\n", &error), qPrintable(error));

    const QByteArray host = "Host: 127.0.0.1:" + QByteArray::number(tally.port) + "\r\n";
    const QByteArray slow = headsComplete ? "POST /api/v1/login HTTP/1.1\r\n" + host +
                                                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tok"
                                          : "GET / HTTP/1.1\r\n" + host + "X-Slow: ";
    std::vector<std::unique_ptr<QTcpSocket>> held;
    for (int a = 0; a < addresses; ++a) {
        for (int i = 0; i < perAddress; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            QVERIFY(socket->bind(QHostAddress(QHostAddress(QStringLiteral("127.0.0.10")).toIPv4Address() + a)));
            QTcpSocket *s = socket.get();
            QObject::connect(s, &QTcpSocket::connected, s, [s, slow] { s->write(slow); });
            s->connectToHost(QStringLiteral("127.0.0.1"), tally.port);
            held.push_back(std::move(socket));
        }
    }
    // Every connection made (or refused), and what the connected ones had to send, sent.
    TALLY_WAIT_UNTIL(std::all_of(held.begin(), held.end(),
                                 [](const auto &s) {
                                     return s->state() == QAbstractSocket::UnconnectedState ||
                                            (s->state() == QAbstractSocket::ConnectedState && s->bytesToWrite() == 0);
                                 }),
                     20s, "the slow clients' connections");

    const QHostAddress probeAddress(QStringLiteral("127.0.0.3"));
    int ok = 0;
    QStringList failures;
    for (int i = 0; i < 100; ++i) {
        const Response r = exchange(tally.port, tally.request("GET", "/healthz"), false, 10000, probeAddress);
        if (r.status == 200)
            ++ok;
        else
            failures << QString::number(r.status);
    }
    qInfo("%d of 100 /healthz answered 200 while %d slow connections were tried", ok, addresses * perAddress);
    QVERIFY2(ok >= 99, qPrintable(QStringLiteral("only %1 of 100 /healthz succeeded; statuses of the others: %2")
                                      .arg(ok)
                                      .arg(failures.join(QLatin1Char(' ')))));

    // /metrics says what the console turned away: at least the connections it had no room for.
    const Response metrics = exchange(tally.port, tally.request("GET", "/metrics"), false, 10000, probeAddress);
    QCOMPARE(metrics.status, 200);
    const double open = metricValue(metrics.body, "tally_web_connections");
    const double turnedAway = metricValue(metrics.body, "tally_web_connections_refused_total") +
                              metricValue(metrics.body, "tally_web_busy_replies_total") +
                              metricValue(metrics.body, "tally_web_unfinished_heads_dropped_total");
    qInfo("/metrics: %.0f connections open, %.0f turned away", open, turnedAway);
    QVERIFY2(open >= 1 && open <= 256, qPrintable(QStringLiteral("tally_web_connections %1").arg(open)));
    QVERIFY2(turnedAway >= addresses * perAddress - 256,
             qPrintable(QStringLiteral("%1 connections turned away of %2 tried").arg(turnedAway).arg(addresses * perAddress)));
}

// How long the live feeds below stay unread. The report measured 60 s; 40 s shows the same (an
// unbounded backlog grew about 2 MB/s, so it would pass the 20 MB limit within 10 s) and is longer
// than the console's 30 s for closing a feed whose snapshots are all skipped, plus its 5 s grace.
constexpr auto kUnreadFeedHold = 40s;

// 50 live feeds whose clients stop reading after the handshake: tally keeps a bounded backlog
// for each (skipping snapshots, then closing the feed), so its memory stays flat.
void TestWebSecurity::liveFeedsNotRead()
{
    QTemporaryDir dir;
    Tally tally;
    QString error;
    // A slow stream, so tally's own memory stays nearly flat (at the generator's default rate its
    // windows alone add about 30 MB in the first 30 s); the snapshots are as large as ever.
    QVERIFY2(tally.startWithConfig(dir.path(), "[source.generator]\nevents_per_second = 1000\n[output]\ntype = \"none\"\n", &error),
             qPrintable(error));

    struct Feed {
        int fd = -1;
        ~Feed()
        {
            if (fd >= 0)
                ::close(fd);
        }
    };
    const QByteArray handshake = tally.request("GET", "/api/v1/live",
                                               {"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
                                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", bearer(tally.oneTimeToken)});
    std::vector<Feed> feeds(50);
    for (Feed &feed : feeds) {
        feed.fd = ::socket(AF_INET, SOCK_STREAM, 0);
        QVERIFY(feed.fd >= 0);
        // A small receive buffer, so the kernel's buffers fill at once and tally's backlog grows.
        const int receiveBuffer = 4096;
        QVERIFY(::setsockopt(feed.fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer) == 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(tally.port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QVERIFY(::connect(feed.fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0);
        QVERIFY(::send(feed.fd, handshake.constData(), handshake.size(), MSG_NOSIGNAL) == handshake.size());
        QByteArray reply;
        char buffer[4096];
        while (!reply.contains("\r\n\r\n")) {
            pollfd p{feed.fd, POLLIN, 0};
            QVERIFY2(::poll(&p, 1, 10000) == 1, "no handshake reply within 10 s");
            const ssize_t n = ::recv(feed.fd, buffer, sizeof buffer, 0);
            QVERIFY2(n > 0, qPrintable(QStringLiteral("feed %1: connection closed during the handshake (%2) after: %3")
                                           .arg(&feed - feeds.data())
                                           .arg(QString::fromLocal8Bit(strerror(errno)), QString::fromLatin1(reply))));
            reply.append(buffer, n);
        }
        QVERIFY2(reply.startsWith("HTTP/1.1 101"), reply.left(200).constData());
        // From here on, nothing is read.
    }

    // What tally holds for the feeds: its own memory (RSS), and what the kernel holds in its send
    // buffers (left to autotuning, those take megabytes per feed before tally's grow at all).
    const qint64 before = tally.residentBytes();
    QVERIFY(before > 0);
    constexpr qint64 kLimit = 20 * 1024 * 1024;
#if defined(__SANITIZE_ADDRESS__)
    // Under AddressSanitizer the RSS is the sanitizer's (shadow memory, redzones, quarantine, fake
    // stacks: measured +37 MB in 5 s where the plain build grows 9 MB in 40 s), so only the plain
    // build holds tally to the bound; this build still checks that the feeds are closed.
    constexpr bool kRssIsTallys = false;
#else
    constexpr bool kRssIsTallys = true;
#endif
    qint64 peakRss = before, peakHeld = 0;
    const Wait grew = waitUntil(
        [&] {
            const qint64 rss = tally.residentBytes();
            peakRss = std::max(peakRss, rss);
            peakHeld = std::max(peakHeld, rss - before + tally.kernelSendQueueBytes());
            return kRssIsTallys && (peakRss - before >= kLimit || peakHeld >= kLimit);
        },
        kUnreadFeedHold, "tally's memory to grow by " + std::to_string(kLimit >> 20) + " MB", 500ms);
    qInfo("50 unread live feeds over %lld s: RSS %.1f MB at the start, at most %.1f MB (+%.1f MB); RSS growth plus "
          "kernel send queues at most %.1f MB",
          static_cast<long long>(std::chrono::seconds(kUnreadFeedHold).count()), before / 1048576.0, peakRss / 1048576.0,
          (peakRss - before) / 1048576.0, peakHeld / 1048576.0);
    QVERIFY2(!grew, qPrintable(QStringLiteral("tally's RSS grew from %1 to %2 bytes; with the kernel's send queues, by %3 bytes")
                                   .arg(before)
                                   .arg(peakRss)
                                   .arg(peakHeld)));

    // Tally has closed the feeds: reading what is left ends in end-of-file or a reset.
    const auto closedByTally = [](int fd) {
        char buffer[65536];
        for (;;) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                return true;
            if (n < 0 && errno != EINTR)
                return false;
        }
    };
    TALLY_WAIT_UNTIL(std::all_of(feeds.begin(), feeds.end(), [&](const Feed &f) { return closedByTally(f.fd); }), 20s,
                     "tally to close the live feeds nobody reads");
    QCOMPARE(tally.send("GET", "/healthz").status, 200);
    QCOMPARE(metricValue(tally.send("GET", "/metrics").body, "tally_web_live_feeds_closed_slow_total"), 50.0);
}

void TestWebSecurity::rateLimit()
{
    // A second console with a small bucket: 5 at once, then one a second.
    QTemporaryDir dir;
    Tally tally;
    QString error;
    QVERIFY2(tally.startWithConfig(dir.path(), "[output]\ntype = \"none\"\n[web]\nrate_limit_per_second = 1\nrate_limit_burst = 5\n",
                                   &error),
             qPrintable(error));
    QVERIFY2(!tally.oneTimeToken.isEmpty(), "without a token file there is a one-time token");
    int ok = 0, limited = 0;
    QByteArray retryAfter;
    QElapsedTimer timer;
    timer.start();
    for (int i = 0; i < 20; ++i) {
        const Response r = tally.send("GET", "/healthz");
        ok += r.status == 200;
        if (r.status == 429) {
            ++limited;
            retryAfter = r.header("retry-after");
        }
    }
    // The burst, plus what refilled while the requests ran (one a second).
    const int allowed = 5 + static_cast<int>(timer.elapsed() / 1000) + 1;
    QVERIFY2(ok >= 5 && ok <= allowed, qPrintable(QStringLiteral("%1 passed, at most %2 expected").arg(ok).arg(allowed)));
    QCOMPARE(ok + limited, 20);
    QVERIFY(limited >= 1);
    QVERIFY(retryAfter.toInt() >= 1);
    // The one-time token logs in as the operator "local", once the bucket has a token again (a
    // refused request takes none).
    Response session;
    TALLY_WAIT_UNTIL((session = tally.send("GET", "/api/v1/session", {bearer(tally.oneTimeToken)})).status != 429, 10s,
                     "a request past the rate limit");
    QCOMPARE(session.status, 200);
    QCOMPARE(session.json().value(QStringLiteral("user")).toString(), QStringLiteral("local"));
    QCOMPARE(session.json().value(QStringLiteral("role")).toString(), QStringLiteral("operator"));
    // The token file (standard output is a pipe here) lives as long as the run.
    QVERIFY(QFile::exists(tally.oneTimeTokenFile));
    tally.stop();
    QVERIFY2(!QFile::exists(tally.oneTimeTokenFile), qPrintable(tally.oneTimeTokenFile));
}

void TestWebSecurity::webSocketForeignOrigin()
{
    const auto [cookie, csrf] = login(kOperatorToken);
    QVERIFY(!cookie.isEmpty());
    const QList<QByteArray> upgrade{"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", cookie};
    for (const QByteArray &origin : {QByteArray("http://evil.example"), QByteArray("null"),
                                     QByteArray("http://localhost.evil.example:") + QByteArray::number(m_tally->port)}) {
        const Response r = exchange(m_tally->port, m_tally->request("GET", "/api/v1/live", upgrade + QList{"Origin: " + origin}), true);
        QVERIFY2(r.status == 403, qPrintable(QStringLiteral("%1: status %2").arg(QString::fromLatin1(origin)).arg(r.status)));
        QVERIFY(!r.raw.contains("101 Switching"));
        QVERIFY(!r.raw.contains("snapshot"));
    }
    // A cookie without any Origin is not a browser of this console either.
    const Response r = exchange(m_tally->port, m_tally->request("GET", "/api/v1/live", upgrade), true);
    QCOMPARE(r.status, 403);
}

void TestWebSecurity::webSocketWithoutLogin()
{
    const Response r = exchange(m_tally->port,
                                m_tally->request("GET", "/api/v1/live",
                                                 {"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13",
                                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Origin: " + m_tally->origin()}),
                                true);
    QCOMPARE(r.status, 401);
    QCOMPARE(m_tally->send("GET", "/api/v1/live", {bearer(kOperatorToken)}).status, 426);
}

void TestWebSecurity::webSocketSameOrigin()
{
    const auto [cookie, csrf] = login(kViewerToken);
    QVERIFY(!cookie.isEmpty());
    QWebSocket ws(QString::fromLatin1(m_tally->origin()));
    QNetworkRequest request(QUrl(QStringLiteral("ws://127.0.0.1:%1/api/v1/live").arg(m_tally->port)));
    request.setRawHeader("Cookie", cookie.mid(int(qstrlen("Cookie: "))));
    QSignalSpy messages(&ws, &QWebSocket::textMessageReceived);
    ws.open(request);
    QTRY_VERIFY_WITH_TIMEOUT(messages.size() >= 2, 10000); // one on connect, then live ones
    const QJsonObject first = QJsonDocument::fromJson(messages.at(0).at(0).toString().toUtf8()).object();
    QCOMPARE(first.value(QStringLiteral("type")).toString(), QStringLiteral("snapshot"));
    const QJsonObject data = first.value(QStringLiteral("data")).toObject();
    QVERIFY(data.value(QStringLiteral("job")).toObject().contains(QStringLiteral("state")));
    QVERIFY(data.value(QStringLiteral("takenAtMs")).toDouble() > 0);

    // An action's outcome reaches the feed.
    QVERIFY(m_tally
                ->send("POST", "/api/v1/actions/trigger_savepoint", {bearer(kOperatorToken), "Content-Type: application/json"}, "{}")
                .status == 202);
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(messages.begin(), messages.end(),
                                         [](const QList<QVariant> &m) {
                                             const QJsonObject o = QJsonDocument::fromJson(m.at(0).toString().toUtf8()).object();
                                             return o.value(QStringLiteral("type")).toString() == QLatin1String("action") &&
                                                    o.value(QStringLiteral("action")).toString() == QLatin1String("trigger_savepoint");
                                         }),
                             20000);
    ws.close();
}

void TestWebSecurity::badTokenFileLine()
{
    QTemporaryDir dir;
    QFile tokens(dir.filePath(QStringLiteral("tokens")));
    QVERIFY(tokens.open(QIODevice::WriteOnly));
    tokens.write("operator alice " + hashHex("a") + "\n\n# next: the plain token instead of its hash\nviewer bob secret\n");
    tokens.close();
    const auto [code, errors] = refusedStart(dir.path(), {QStringLiteral("--web-port"), QStringLiteral("0"), QStringLiteral("--web-tokens"),
                                                          QStringLiteral("tokens"), QStringLiteral("--db"), QStringLiteral("out.db"),
                                                          QStringLiteral("--audit-log"), QStringLiteral("audit.db")});
    QVERIFY2(code != 0, qPrintable(errors));
    QVERIFY2(errors.contains(QStringLiteral("tokens:4:")), qPrintable(errors));
    QVERIFY2(errors.contains(QStringLiteral("--hash-web-token")), qPrintable(errors));

    tokens.open(QIODevice::WriteOnly | QIODevice::Truncate);
    tokens.write("admin carol " + hashHex("c") + "\n");
    tokens.close();
    const auto [code2, errors2] = refusedStart(dir.path(), {QStringLiteral("--web-port"), QStringLiteral("0"), QStringLiteral("--web-tokens"),
                                                            QStringLiteral("tokens"), QStringLiteral("--db"), QStringLiteral("out.db"),
                                                            QStringLiteral("--audit-log"), QStringLiteral("audit.db")});
    QVERIFY(code2 != 0);
    QVERIFY2(errors2.contains(QStringLiteral("tokens:1:")) && errors2.contains(QStringLiteral("role")), qPrintable(errors2));

    // --hash-web-token prints what the file wants.
    QProcess hash;
    hash.start(QStringLiteral(TALLY_BINARY), {QStringLiteral("--hash-web-token"), QString::fromLatin1(kOperatorToken)});
    QVERIFY(hash.waitForFinished(10000));
    QCOMPARE(hash.readAllStandardOutput().trimmed(), hashHex(kOperatorToken));
}

void TestWebSecurity::nonLoopbackWithoutTokens()
{
    QTemporaryDir dir;
    const auto [code, errors] = refusedStart(dir.path(), {QStringLiteral("--web-address"), QStringLiteral("0.0.0.0"),
                                                          QStringLiteral("--web-port"), QStringLiteral("0"), QStringLiteral("--db"),
                                                          QStringLiteral("out.db"), QStringLiteral("--audit-log"), QStringLiteral("audit.db")});
    QVERIFY2(code != 0, qPrintable(errors));
    QVERIFY2(errors.contains(QStringLiteral("not a loopback address")), qPrintable(errors));
}

void TestWebSecurity::metricsPassPromtool()
{
    // Wait until a checkpoint and a sink write have happened, so every family has samples.
    Response r;
    static const QRegularExpression checkpoints(QStringLiteral("^tally_checkpoints_total\\{[^}]*\\} ([1-9][0-9]*)"),
                                                QRegularExpression::MultilineOption);
    static const QRegularExpression sinkWrites(QStringLiteral("^tally_sink_write_latency_seconds_count\\{[^}]*\\} ([1-9][0-9]*)"),
                                               QRegularExpression::MultilineOption);
    const Wait sampled = waitUntil(
        [&] {
            r = m_tally->send("GET", "/metrics"); // loopback: no token needed
            return r.status != 200 || (checkpoints.match(QString::fromUtf8(r.body)).hasMatch() &&
                                       sinkWrites.match(QString::fromUtf8(r.body)).hasMatch());
        },
        30s, "a checkpoint and a sink write in /metrics");
    QCOMPARE(r.status, 200);
    if (!sampled)
        qWarning("%s", sampled.message().c_str());
    QVERIFY(r.header("content-type").startsWith("text/plain; version=0.0.4"));
    const QString text = QString::fromUtf8(r.body);
    QVERIFY2(checkpoints.match(text).hasMatch(), "no checkpoint completed");

    const QString problems = tally::test::promtoolProblems(r.body);
    QVERIFY2(problems.isEmpty(), qPrintable(problems));

    // Lag, watermark, checkpoint and sink series are there.
    for (const char *family :
         {"tally_lag_seconds", "tally_watermark_seconds", "tally_watermark_skew_seconds", "tally_partition_watermark_seconds",
          "tally_checkpoints_total", "tally_checkpoint_duration_seconds_bucket", "tally_checkpoint_size_bytes",
          "tally_sink_rows_total", "tally_sink_pending_rows", "tally_sink_write_latency_seconds_bucket",
          "tally_sink_circuit_state", "tally_alerts_active", "tally_web_connections",
          "tally_web_connections_refused_total", "tally_web_busy_replies_total",
          "tally_web_unfinished_heads_dropped_total", "tally_web_live_feeds_closed_slow_total", "tally_build_info",
          "tally_last_checkpoint_success_timestamp_seconds", "process_cpu_seconds_total", "process_resident_memory_bytes",
          "process_open_fds", "process_start_time_seconds", "tally_sink_last_write_failed",
          "tally_checkpoint_interval_seconds"}) {
        const QRegularExpression sample(QStringLiteral("^%1(\\{[^}]*\\})? \\S+$").arg(QLatin1String(family)),
                                        QRegularExpression::MultilineOption);
        QVERIFY2(sample.match(text).hasMatch(), family);
    }
    // The job runs; its newest checkpoint completed moments ago (a time, not 1970's zero).
    QVERIFY2(text.contains(QLatin1String("tally_job_state{state=\"running\"} 1\n")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("tally_job_state{state=\"failed\"} 0\n")), qPrintable(text));
    const double lastCheckpoint = metricValue(r.body, "tally_last_checkpoint_success_timestamp_seconds");
    QVERIFY2(std::abs(QDateTime::currentMSecsSinceEpoch() / 1000.0 - lastCheckpoint) < 120, qPrintable(QString::number(lastCheckpoint, 'f')));

    // Histogram buckets are cumulative and end at +Inf == _count.
    static const QRegularExpression bucket(
        QStringLiteral("^tally_sink_write_latency_seconds_bucket\\{(.*)le=\"([^\"]+)\"\\} (\\S+)$"), QRegularExpression::MultilineOption);
    double previous = -1, lastCount = -1;
    int buckets = 0;
    QString labels;
    for (auto it = bucket.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        if (labels.isEmpty())
            labels = m.captured(1);
        if (m.captured(1) != labels)
            break;
        const double count = m.captured(3).toDouble();
        QVERIFY(count >= previous);
        previous = count;
        lastCount = count;
        ++buckets;
        if (m.captured(2) == QLatin1String("+Inf"))
            break;
    }
    QVERIFY(buckets > 10);
    const QRegularExpression total(QStringLiteral("^tally_sink_write_latency_seconds_count\\{%1?\\} (\\S+)$")
                                       .arg(QRegularExpression::escape(labels.chopped(labels.endsWith(QLatin1Char(',')) ? 1 : 0))),
                                   QRegularExpression::MultilineOption);
    const QRegularExpressionMatch countMatch = total.match(text);
    QVERIFY2(countMatch.hasMatch(), qPrintable(labels));
    QCOMPARE(countMatch.captured(1).toDouble(), lastCount);
}

void TestWebSecurity::tls()
{
    QVERIFY2(QSslSocket::supportsSsl(), "Qt has no TLS backend here");
    QTemporaryDir dir;
    QProcess openssl;
    openssl.setWorkingDirectory(dir.path());
    openssl.start(QStringLiteral("openssl"), {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                                               QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"),
                                               QStringLiteral("key.pem"), QStringLiteral("-out"), QStringLiteral("cert.pem"),
                                               QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"),
                                               QStringLiteral("/CN=127.0.0.1")});
    QVERIFY2(openssl.waitForFinished(60000) && openssl.exitCode() == 0,
             "openssl (scripts/install-deps.sh installs it) could not make a test certificate");
    Tally tally;
    QString error;
    QVERIFY2(tally.startWithConfig(dir.path(), "[output]\ntype = \"none\"\n[web]\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n",
                                   &error),
             qPrintable(error));

    const auto https = [&](const QByteArray &raw) {
        Response r;
        QSslSocket socket;
        socket.setPeerVerifyMode(QSslSocket::VerifyNone); // the certificate is self-signed
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), tally.port);
        if (!socket.waitForEncrypted(10000))
            return r;
        socket.write(raw);
        while (socket.waitForReadyRead(5000))
            r.raw += socket.readAll();
        r.raw += socket.readAll();
        const QList<QByteArray> status = r.raw.left(r.raw.indexOf("\r\n")).split(' ');
        r.status = status.value(1).toInt();
        return r;
    };
    QCOMPARE(https(tally.request("GET", "/healthz")).status, 200);
    const Response login = https(tally.request("POST", "/api/v1/login", {"Content-Type: application/json"},
                                               "{\"token\":\"" + tally.oneTimeToken + "\"}"));
    QCOMPARE(login.status, 200);
    QVERIFY(login.raw.contains("; Secure"));
    QVERIFY(login.raw.contains("Strict-Transport-Security: max-age="));
    // Plain HTTP on the TLS port gets no HTTP answer.
    const Response plain = exchange(tally.port, tally.request("GET", "/healthz"), false, 3000);
    QCOMPARE(plain.status, 0);
    QVERIFY(!plain.raw.contains("\"ok\""));
}

QTEST_GUILESS_MAIN(TestWebSecurity)
#include "tst_web_security.moc"
