// The web console's security primitives on their own: the token file, token checks, sessions,
// the rate limiter, the mapping of request paths onto compiled-in assets, the JSON media type and
// duplicate-key checks on request bodies, and the gate's request-head parser and head timeout.
#include "views/web/web_security.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace tally;

namespace {

QByteArray hashHex(const QByteArray &token) { return QCryptographicHash::hash(token, QCryptographicHash::Sha256).toHex(); }

} // namespace

class TestWebPrimitives : public QObject {
    Q_OBJECT

private slots:
    void tokenFile();
    void badTokenFiles_data();
    void badTokenFiles();
    void oneTimeToken();
    void constantTime();
    void sessions();
    void rateLimiter();
    void assetPaths_data();
    void assetPaths();
    void percentDecoding();
    void jsonMediaType_data();
    void jsonMediaType();
    void duplicateKeys_data();
    void duplicateKeys();
    void requestHeads_data();
    void requestHeads();
    void headTimeout();

private:
    QString writeFile(const QByteArray &content)
    {
        const QString path = m_dir.filePath(QStringLiteral("tokens-%1").arg(++m_files));
        QFile f(path);
        f.open(QIODevice::WriteOnly);
        f.write(content);
        return path;
    }
    QTemporaryDir m_dir;
    int m_files = 0;
};

void TestWebPrimitives::tokenFile()
{
    const QString path = writeFile("# team tokens\n\noperator alice " + hashHex("a-token") + "\n  viewer   bob.b@example " +
                                   hashHex("b-token").toUpper() + "   # on call\n");
    const Result<WebTokens> tokens = WebTokens::load(path);
    QVERIFY2(tokens, tokens.status().toString().c_str());
    QCOMPARE(tokens->size(), size_t(2));
    const auto alice = tokens->authenticate("a-token");
    QVERIFY(alice);
    QCOMPARE(alice->name, QStringLiteral("alice"));
    QCOMPARE(alice->role, WebRole::Operator);
    const auto bob = tokens->authenticate("b-token");
    QVERIFY(bob);
    QCOMPARE(bob->name, QStringLiteral("bob.b@example"));
    QCOMPARE(bob->role, WebRole::Viewer);
    QVERIFY(!tokens->authenticate("a-token "));
    QVERIFY(!tokens->authenticate(""));
    QVERIFY(!tokens->authenticate(hashHex("a-token"))); // the hash is not the token
    QCOMPARE(WebTokens::hashHex("a-token"), hashHex("a-token"));
}

void TestWebPrimitives::badTokenFiles_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");
    const QByteArray h = hashHex("x");
    QTest::newRow("plain token") << QByteArray("operator alice hunter2\n") << QStringLiteral(":1: expected the token's SHA-256");
    QTest::newRow("role") << ("root alice " + h + "\n") << QStringLiteral(":1: role must be");
    QTest::newRow("fields") << ("# c\noperator " + h + "\n") << QStringLiteral(":2: expected \"ROLE USER SHA256HEX\"");
    QTest::newRow("too many") << ("viewer a b " + h + "\n") << QStringLiteral(":1: expected \"ROLE USER SHA256HEX\"");
    QTest::newRow("user") << ("viewer al/ice " + h + "\n") << QStringLiteral(":1: user must be");
    QTest::newRow("short hash") << ("viewer alice " + h.left(63) + "\n") << QStringLiteral(":1: expected the token's SHA-256");
    QTest::newRow("duplicate") << ("viewer alice " + h + "\noperator bob " + h + "\n")
                               << QStringLiteral(":2: this token is already listed for user alice");
    QTest::newRow("empty") << QByteArray("# nothing\n\n") << QStringLiteral("lists no token");
}

void TestWebPrimitives::badTokenFiles()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    const QString path = writeFile(content);
    const Result<WebTokens> tokens = WebTokens::load(path);
    QVERIFY(!tokens);
    const QString message = QString::fromStdString(tokens.status().message());
    QVERIFY2(message.startsWith(path) && message.contains(expected), qPrintable(message));
    QVERIFY(!WebTokens::load(m_dir.filePath(QStringLiteral("missing"))));
}

void TestWebPrimitives::oneTimeToken()
{
    QString a, b;
    const WebTokens first = WebTokens::oneTimeToken(QStringLiteral("local"), WebRole::Operator, &a);
    WebTokens::oneTimeToken(QStringLiteral("local"), WebRole::Operator, &b);
    QVERIFY(a.size() >= 43); // 256 bits, base64url
    QVERIFY(a != b);
    QVERIFY(QRegularExpression(QStringLiteral("^[A-Za-z0-9_-]+$")).match(a).hasMatch());
    const auto user = first.authenticate(a.toLatin1());
    QVERIFY(user && user->name == QLatin1String("local") && user->role == WebRole::Operator);
    QVERIFY(!first.authenticate(b.toLatin1()));
}

void TestWebPrimitives::constantTime()
{
    QVERIFY(constantTimeEquals("abc", "abc"));
    QVERIFY(!constantTimeEquals("abc", "abd"));
    QVERIFY(!constantTimeEquals("abc", "abcd"));
    QVERIFY(!constantTimeEquals("", "a"));
    QVERIFY(constantTimeEquals("", ""));
}

void TestWebPrimitives::sessions()
{
    WebSessions sessions(1000);
    const WebSessions::Session s = sessions.create({QStringLiteral("alice"), WebRole::Operator}, 0);
    QVERIFY(s.id.size() >= 43 && s.csrf.size() >= 43 && s.id != s.csrf);
    QVERIFY(sessions.find(s.id, 900));
    QVERIFY(sessions.find(s.id, 1800)); // used at 900: still alive
    QVERIFY(!sessions.find(s.id, 2801)); // idle too long
    const WebSessions::Session t = sessions.create({QStringLiteral("bob"), WebRole::Viewer}, 5000);
    QVERIFY(!sessions.find("forged", 5000));
    sessions.remove(t.id);
    QVERIFY(!sessions.find(t.id, 5000));
}

void TestWebPrimitives::rateLimiter()
{
    RateLimiter limiter(2, 3); // 2/s, bursts of 3
    for (int i = 0; i < 3; ++i)
        QVERIFY(limiter.allow(QStringLiteral("a"), 0));
    QVERIFY(!limiter.allow(QStringLiteral("a"), 0));
    QVERIFY(limiter.retryAfterSeconds(QStringLiteral("a")) >= 1);
    QVERIFY(limiter.allow(QStringLiteral("b"), 0)); // per client
    QVERIFY(!limiter.allow(QStringLiteral("a"), 400));
    QVERIFY(limiter.allow(QStringLiteral("a"), 500)); // one token after 0.5 s
    QVERIFY(!limiter.allow(QStringLiteral("a"), 500));
    for (int i = 0; i < 3; ++i) // refilled, never beyond the burst
        QVERIFY(limiter.allow(QStringLiteral("a"), 100000));
    QVERIFY(!limiter.allow(QStringLiteral("a"), 100000));
}

void TestWebPrimitives::assetPaths_data()
{
    QTest::addColumn<QByteArray>("path");
    QTest::addColumn<QString>("resource");
    QTest::newRow("root") << QByteArray("/") << QStringLiteral(":/web/index.html");
    QTest::newRow("index") << QByteArray("/index.html") << QStringLiteral(":/web/index.html");
    QTest::newRow("openapi") << QByteArray("/openapi.yaml") << QStringLiteral(":/web/openapi.yaml");
    QTest::newRow("encoded letter") << QByteArray("/ind%65x.html") << QStringLiteral(":/web/index.html");
    for (const char *bad : {"", "index.html", "/missing.js", "//index.html", "/index.html/", "/./index.html", "/../web/index.html",
                            "/%2e%2e/web/index.html", "/..%2fweb%2findex.html", "/%252e%252e/index.html", "/index.html%00",
                            "/index%2ehtml%00", "/..\\index.html", "/%5cindex.html", "/%c0%ae%c0%ae/index.html", "/.hidden",
                            "/%2findex.html", "/index.html%2f", "/a/../index.html", "/%", "/%zz", "/%2", "/ index.html",
                            "/index.html;x", "/\xc3\xa9.html"})
        QTest::newRow(bad) << QByteArray(bad) << QString();
}

void TestWebPrimitives::assetPaths()
{
    QFETCH(QByteArray, path);
    QFETCH(QString, resource);
    const std::optional<QString> found = webAssetPath(path);
    if (resource.isEmpty())
        QVERIFY2(!found, qPrintable(found.value_or(QString())));
    else
        QCOMPARE(found.value_or(QString()), resource);
}

void TestWebPrimitives::percentDecoding()
{
    QCOMPARE(percentDecodeOnce("/a%2Fb%2e").value_or("?"), QByteArray("/a/b."));
    QCOMPARE(percentDecodeOnce("%252e").value_or("?"), QByteArray("%2e")); // once only
    QVERIFY(!percentDecodeOnce("%2"));
    QVERIFY(!percentDecodeOnce("%g0"));
    QCOMPARE(percentDecodeOnce("%00").value_or("?"), QByteArray(1, '\0'));
}

void TestWebPrimitives::jsonMediaType_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<bool>("json");
    for (const char *yes : {"application/json", "Application/JSON", "application/json; charset=utf-8",
                            "application/json;charset=UTF-8", "  application/json  ", "application/json ; charset=utf8",
                            "application/json; charset=\"utf-8\"", "application/json; x=1; y=\"a;b\""})
        QTest::newRow(yes) << QByteArray(yes) << true;
    for (const char *no : {"", "application/jsonx", "application/json-patch+json", "application/json5", "application/jso",
                           "text/json", "application/x-www-form-urlencoded", "text/plain; application/json",
                           "application/json;", "application/json; charset", "application/json; charset=",
                           "application/json; charset=latin1", "application/json x", "application/json, text/plain",
                           "application/json; x=\"unterminated", "application/json; =1", "application/json\x01"})
        QTest::newRow(no) << QByteArray(no) << false;
}

void TestWebPrimitives::jsonMediaType()
{
    QFETCH(QByteArray, contentType);
    QFETCH(bool, json);
    QCOMPARE(isJsonMediaType(contentType), json);
}

void TestWebPrimitives::duplicateKeys_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("duplicate"); // empty: none
    QTest::newRow("none") << QByteArray(R"({"a":1,"b":2})") << QString();
    QTest::newRow("empty") << QByteArray("{}") << QString();
    QTest::newRow("top level") << QByteArray(R"({"parallelism":2,"parallelism":99})") << QStringLiteral("parallelism");
    QTest::newRow("spaces") << QByteArray("{ \"a\" : 1 ,\n \"a\" : 1 }") << QStringLiteral("a");
    QTest::newRow("same key in sibling objects") << QByteArray(R"({"a":{"x":1},"b":{"x":2}})") << QString();
    QTest::newRow("same key at two depths") << QByteArray(R"({"x":{"x":{"x":1}}})") << QString();
    QTest::newRow("nested") << QByteArray(R"({"a":{"x":1,"y":[{"z":1,"z":2}]}})") << QStringLiteral("z");
    QTest::newRow("after a nested object") << QByteArray(R"({"a":{"b":1},"a":2})") << QStringLiteral("a");
    QTest::newRow("objects in an array") << QByteArray(R"([{"k":1},{"k":2}])") << QString();
    QTest::newRow("string values are not keys") << QByteArray(R"({"a":"b","c":"b","d":["a","a"]})") << QString();
    QTest::newRow("escaped quote in a value") << QByteArray(R"({"a":"x\",\"a\":1","b":1})") << QString();
    QTest::newRow("escaped key") << QByteArray(R"({"a":1,"\u0061":2})") << QStringLiteral("a");
    QTest::newRow("escaped quote in a key") << QByteArray(R"({"a\"":1,"a\"":2})") << QStringLiteral("a\"");
    QTest::newRow("backslash at a key's end") << QByteArray(R"({"a\\":1,"a":2})") << QString();
    QTest::newRow("braces in strings") << QByteArray(R"({"a":"}{,","b":"[","a":0})") << QStringLiteral("a");
    QTest::newRow("unicode") << QByteArray("{\"\xc3\xa9\":1,\"\\u00e9\":2}") << QStringLiteral("\u00e9");
}

void TestWebPrimitives::duplicateKeys()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, duplicate);
    QJsonParseError error;
    QJsonDocument::fromJson(json, &error);
    QVERIFY2(error.error == QJsonParseError::NoError, "the case must be valid JSON");
    const std::optional<QString> found = duplicateJsonKey(json);
    if (duplicate.isEmpty())
        QVERIFY2(!found, qPrintable(found.value_or(QString())));
    else
        QCOMPARE(found.value_or(QStringLiteral("(none)")), duplicate);
}

void TestWebPrimitives::requestHeads_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("status"); // 0: parsed, -1: incomplete
    QTest::newRow("CRLF") << QByteArray("GET /x HTTP/1.1\r\nHost: a\r\nX-A:  b \r\n\r\nbody") << 0;
    QTest::newRow("bare LF lines") << QByteArray("GET / HTTP/1.1\nX-A: b\nHost: a\r\n\r\n") << 0;
    QTest::newRow("empty line before the end") << QByteArray("GET / HTTP/1.1\nHost: a\n\r\n\r\n") << 400;
    QTest::newRow("no blank line yet") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n") << -1;
    QTest::newRow("too large") << QByteArray("GET / HTTP/1.1\r\nX: ") + QByteArray(300, 'a') << 431;
    QTest::newRow("too many fields") << QByteArray("GET / HTTP/1.1\r\n") + QByteArray("A: b\r\n").repeated(7) + "\r\n" << 431;
    QTest::newRow("HTTP/2 line") << QByteArray("GET / HTTP/2\r\n\r\n") << 400;
    QTest::newRow("no target") << QByteArray("GET  HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("method not a token") << QByteArray("G(T / HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("no colon") << QByteArray("GET / HTTP/1.1\r\nHost\r\n\r\n") << 400;
    QTest::newRow("folded line") << QByteArray("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n") << 400;
    QTest::newRow("space before colon") << QByteArray("GET / HTTP/1.1\r\nHost : a\r\n\r\n") << 400;
    QTest::newRow("space in name") << QByteArray("GET / HTTP/1.1\r\nX Y: a\r\n\r\n") << 400;
    QTest::newRow("CR in value") << QByteArray("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n") << 400;
    QTest::newRow("NUL in name") << QByteArray("GET / HTTP/1.1\r\nA") + '\0' + "B: c\r\n\r\n" << 400;
    // Found by fuzz_web_head: a line "\r: ..." gave a header with an empty (whitespace) name.
    QTest::newRow("fuzz: CR as the name")
        << QByteArray::fromBase64("R0VUIC9saXZlIEhUVFAvMS4KSG9zdDogYQpVcGdkZXIgc3Q6IEdFVCAvbGl2ZSBIVFRhDQoNOiB3ZWJlIMBUVFAvMS4wCkhvc3Q6"
                                  "dGEKVXBnciBzdDogR0VUIC9saXZlIEhUVGENCg0KIA==")
        << 400;
    QTest::newRow("fuzz: CR as the name, alone") << QByteArray("GET / HTTP/1.1\n\r: x\r\n\r\n") << 400;
}

void TestWebPrimitives::requestHeads()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, status);
    const HeadParse p = parseRequestHead(bytes, 200, 6);
    if (status == -1) {
        QCOMPARE(p.outcome, HeadParse::Outcome::Incomplete);
    } else if (status == 0) {
        QCOMPARE(p.outcome, HeadParse::Outcome::Parsed);
        QCOMPARE(p.head.method, QByteArray("GET"));
        QCOMPARE(p.head.header("host"), QByteArray("a"));
        QCOMPARE(bytes.mid(p.headBytes), bytes.endsWith("body") ? QByteArray("body") : QByteArray());
        if (bytes.contains("X-A"))
            QCOMPARE(p.head.header("x-a"), QByteArray("b"));
    } else {
        QCOMPARE(p.outcome, HeadParse::Outcome::Refused);
        QVERIFY2(p.status == status, qPrintable(QStringLiteral("%1: %2").arg(p.status).arg(p.reason)));
    }
}

void TestWebPrimitives::headTimeout()
{
    // 10 s up to half the cap, then falling to 1 s at the cap, never below or above.
    QCOMPARE(headTimeoutMs(0, 256, 10000, 1000), 10000);
    QCOMPARE(headTimeoutMs(128, 256, 10000, 1000), 10000);
    QCOMPARE(headTimeoutMs(192, 256, 10000, 1000), 5500);
    QCOMPARE(headTimeoutMs(256, 256, 10000, 1000), 1000);
    QCOMPARE(headTimeoutMs(300, 256, 10000, 1000), 1000);
    int previous = 10000;
    for (int open = 129; open <= 256; ++open) {
        const int t = headTimeoutMs(open, 256, 10000, 1000);
        QVERIFY(t <= previous && t >= 1000);
        previous = t;
    }
}

QTEST_GUILESS_MAIN(TestWebPrimitives)
#include "tst_web_primitives.moc"
