// The web console's security primitives on their own: the token file, token checks, sessions,
// the rate limiter and the mapping of request paths onto compiled-in assets.
#include "views/web/web_security.h"

#include <QCryptographicHash>
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

QTEST_GUILESS_MAIN(TestWebPrimitives)
#include "tst_web_primitives.moc"
