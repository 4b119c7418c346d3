#include "views/web/web_security.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tally {

namespace {

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// RFC 9110 "tchar": the characters of a token (media types, parameter names and plain values).
bool isTokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && QByteArrayView("!#$%&'*+-.^_`|~").contains(c));
}

bool isSegmentChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

} // namespace

QString webRoleName(WebRole role) { return role == WebRole::Operator ? QStringLiteral("operator") : QStringLiteral("viewer"); }

QByteArray WebTokens::hashHex(const QByteArray &token)
{
    return QCryptographicHash::hash(token, QCryptographicHash::Sha256).toHex();
}

Result<WebTokens> WebTokens::load(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Status::ioError(path.toStdString() + ": cannot read the token file: " + file.errorString().toStdString());
    static const QRegularExpression userPattern(QStringLiteral("^[A-Za-z0-9._@-]{1,64}$"));
    static const QRegularExpression hexPattern(QStringLiteral("^[0-9a-fA-F]{64}$"));
    WebTokens tokens;
    int lineNumber = 0;
    const auto fail = [&](const std::string &reason) {
        return Status::invalidArgument(path.toStdString() + ":" + std::to_string(lineNumber) + ": " + reason);
    };
    while (!file.atEnd()) {
        ++lineNumber;
        QByteArray line = file.readLine(4096);
        if (line.size() >= 4095 && !line.endsWith('\n'))
            return fail("line too long");
        if (const qsizetype hash = line.indexOf('#'); hash >= 0)
            line.truncate(hash);
        const QByteArray trimmed = line.simplified();
        if (trimmed.isEmpty())
            continue;
        const QList<QByteArray> fields = trimmed.split(' ');
        if (fields.size() != 3)
            return fail("expected \"ROLE USER SHA256HEX\" (3 fields), got " + std::to_string(fields.size()) +
                        " fields (tokens are stored hashed: `tally --hash-web-token TOKEN` prints the hex)");
        WebRole role;
        if (fields[0] == "operator")
            role = WebRole::Operator;
        else if (fields[0] == "viewer")
            role = WebRole::Viewer;
        else
            return fail("role must be \"viewer\" or \"operator\" (got \"" + fields[0].left(32).toStdString() + "\")");
        const QString user = QString::fromUtf8(fields[1]);
        if (!userPattern.match(user).hasMatch())
            return fail("user must be 1-64 characters of A-Z a-z 0-9 . _ @ -");
        if (!hexPattern.match(QString::fromLatin1(fields[2])).hasMatch())
            return fail("expected the token's SHA-256 as 64 hex digits, not the token itself "
                        "(`tally --hash-web-token TOKEN` prints it)");
        const QByteArray digest = QByteArray::fromHex(fields[2]);
        for (const Entry &e : tokens.m_entries)
            if (e.digest == digest)
                return fail("this token is already listed for user " + e.user.name.toStdString());
        tokens.m_entries.push_back({{user, role}, digest});
    }
    if (tokens.m_entries.empty())
        return Status::invalidArgument(path.toStdString() + ": the token file lists no token");
    return tokens;
}

WebTokens WebTokens::oneTimeToken(const QString &user, WebRole role, QString *token)
{
    const QByteArray plain = randomId(32);
    *token = QString::fromLatin1(plain);
    WebTokens tokens;
    tokens.m_entries.push_back({{user, role}, QCryptographicHash::hash(plain, QCryptographicHash::Sha256)});
    return tokens;
}

std::optional<WebUser> WebTokens::authenticate(const QByteArray &token) const
{
    if (token.isEmpty() || token.size() > 1024)
        return std::nullopt;
    const QByteArray digest = QCryptographicHash::hash(token, QCryptographicHash::Sha256);
    const Entry *found = nullptr;
    for (const Entry &e : m_entries) {
        // Every entry is compared, whatever matched before.
        const bool same = constantTimeEquals(digest, e.digest);
        found = same ? &e : found;
    }
    if (!found)
        return std::nullopt;
    return found->user;
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

QByteArray randomId(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    QRandomGenerator *system = QRandomGenerator::system();
    for (int i = 0; i < bytes; ++i)
        raw[i] = static_cast<char>(system->bounded(256));
    return raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

const WebSessions::Session &WebSessions::create(const WebUser &user, int64_t nowMs)
{
    // Sessions past their idle time are dropped here, so the table cannot grow without bound.
    for (auto it = m_sessions.begin(); it != m_sessions.end();)
        it = nowMs - it->lastUsedMs > m_idleMs ? m_sessions.erase(it) : std::next(it);
    Session s{randomId(32), randomId(32), user, nowMs};
    return *m_sessions.insert(s.id, s);
}

const WebSessions::Session *WebSessions::find(const QByteArray &id, int64_t nowMs)
{
    auto it = m_sessions.find(id);
    if (it == m_sessions.end())
        return nullptr;
    if (nowMs - it->lastUsedMs > m_idleMs) {
        m_sessions.erase(it);
        return nullptr;
    }
    it->lastUsedMs = nowMs;
    return &*it;
}

void WebSessions::remove(const QByteArray &id) { m_sessions.remove(id); }

bool RateLimiter::allow(const QString &client, int64_t nowMs)
{
    if (m_buckets.size() > 10000) { // forget clients whose bucket has refilled
        for (auto it = m_buckets.begin(); it != m_buckets.end();)
            it = (nowMs - it->updatedMs) * m_perSecond / 1000 + it->tokens >= m_burst ? m_buckets.erase(it) : std::next(it);
    }
    auto it = m_buckets.find(client);
    if (it == m_buckets.end())
        it = m_buckets.insert(client, Bucket{double(m_burst), nowMs});
    Bucket &b = *it;
    b.tokens = std::min<double>(m_burst, b.tokens + double(nowMs - b.updatedMs) * m_perSecond / 1000.0);
    b.updatedMs = nowMs;
    if (b.tokens < 1)
        return false;
    b.tokens -= 1;
    return true;
}

int RateLimiter::retryAfterSeconds(const QString &client) const
{
    const auto it = m_buckets.find(client);
    const double missing = it == m_buckets.end() ? 0 : 1 - it->tokens;
    return std::max(1, static_cast<int>(std::ceil(missing / m_perSecond)));
}

std::optional<QByteArray> percentDecodeOnce(const QByteArray &raw)
{
    QByteArray out;
    out.reserve(raw.size());
    for (qsizetype i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%') {
            out += raw[i];
            continue;
        }
        if (i + 2 >= raw.size())
            return std::nullopt;
        const int hi = hexValue(raw[i + 1]), lo = hexValue(raw[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::optional<QString> webAssetPath(const QByteArray &rawPath, const QString &root)
{
    if (rawPath.size() > 512 || !rawPath.startsWith('/'))
        return std::nullopt;
    const std::optional<QByteArray> decoded = percentDecodeOnce(rawPath);
    if (!decoded)
        return std::nullopt;
    QByteArray path = *decoded;
    if (path == "/")
        path = "/index.html";
    // Segment by segment: every byte from the safe set (this alone rules out '%' left over
    // from double encoding, '\\', NUL, controls and any non-ASCII byte), no empty segment
    // ("//", a trailing '/'), and no segment starting with '.' (".", "..", hidden files).
    const QList<QByteArray> segments = path.mid(1).split('/');
    for (const QByteArray &segment : segments) {
        if (segment.isEmpty() || segment.startsWith('.') || segment.size() > 128)
            return std::nullopt;
        if (!std::all_of(segment.begin(), segment.end(), isSegmentChar))
            return std::nullopt;
    }
    const QString resource = root + QString::fromLatin1(path);
    // Only resource paths are ever built (root is ":/..."), so nothing outside the compiled-in
    // assets can be named, whatever the segments say.
    if (!resource.startsWith(QLatin1String(":/")) || !QFileInfo(resource).isFile())
        return std::nullopt;
    return resource;
}

bool isJsonMediaType(const QByteArray &contentType)
{
    const QByteArray value = contentType.trimmed();
    const qsizetype semicolon = value.indexOf(';');
    const QByteArray type = (semicolon < 0 ? value : value.left(semicolon)).trimmed();
    if (type.compare("application/json", Qt::CaseInsensitive) != 0)
        return false;
    const qsizetype n = value.size();
    const auto skipSpace = [&](qsizetype i) {
        while (i < n && (value[i] == ' ' || value[i] == '\t'))
            ++i;
        return i;
    };
    // Parameters: *( OWS ";" OWS name "=" ( token / quoted-string ) )
    for (qsizetype i = semicolon; i >= 0 && i < n;) {
        i = skipSpace(i + 1); // past ';'
        const qsizetype nameStart = i;
        while (i < n && isTokenChar(value[i]))
            ++i;
        const QByteArray name = value.mid(nameStart, i - nameStart);
        if (name.isEmpty() || i >= n || value[i] != '=')
            return false;
        ++i;
        QByteArray parameter;
        if (i < n && value[i] == '"') {
            for (++i; i < n && value[i] != '"'; ++i) {
                if (value[i] == '\\' && ++i >= n)
                    return false;
                parameter += value[i];
            }
            if (i >= n)
                return false; // unterminated
            ++i;
        } else {
            const qsizetype valueStart = i;
            while (i < n && isTokenChar(value[i]))
                ++i;
            parameter = value.mid(valueStart, i - valueStart);
            if (parameter.isEmpty())
                return false;
        }
        if (name.compare("charset", Qt::CaseInsensitive) == 0 && parameter.compare("utf-8", Qt::CaseInsensitive) != 0 &&
            parameter.compare("utf8", Qt::CaseInsensitive) != 0)
            return false; // JSON is UTF-8 (RFC 8259); a body said to be in another charset is not ours to guess
        i = skipSpace(i);
        if (i < n && value[i] != ';')
            return false;
    }
    return true;
}

std::optional<QString> duplicateJsonKey(const QByteArray &json)
{
    // A scan of the text, not a parse: it follows nesting and strings (escapes included) and
    // treats a string as a key when it opens an object's member, i.e. comes right after '{' or
    // after a ',' inside an object.
    struct Frame {
        bool object = false;
        bool expectKey = false;
        QSet<QString> keys;
    };
    std::vector<Frame> stack;
    const qsizetype n = json.size();
    for (qsizetype i = 0; i < n; ++i) {
        switch (json[i]) {
        case '{':
            stack.push_back({true, true, {}});
            break;
        case '[':
            stack.push_back({false, false, {}});
            break;
        case '}':
        case ']':
            if (!stack.empty())
                stack.pop_back();
            break;
        case ',':
            if (!stack.empty() && stack.back().object)
                stack.back().expectKey = true;
            break;
        case '"': {
            const qsizetype start = i;
            bool escaped = false;
            for (++i; i < n && json[i] != '"'; ++i) {
                if (json[i] == '\\') {
                    escaped = true;
                    ++i; // the escaped character, '"' and a backslash included
                }
            }
            if (i >= n)
                return std::nullopt; // unterminated: not JSON
            if (stack.empty() || !stack.back().object || !stack.back().expectKey)
                break; // a value
            Frame &frame = stack.back();
            frame.expectKey = false;
            // Escaped keys are decoded by Qt's own parser, so "\u0061" and "a" compare equal.
            const QString key = escaped ? QJsonDocument::fromJson("[" + json.mid(start, i - start + 1) + "]").array().at(0).toString()
                                        : QString::fromUtf8(json.mid(start + 1, i - start - 1));
            if (frame.keys.contains(key))
                return key;
            frame.keys.insert(key);
            break;
        }
        default:
            break;
        }
    }
    return std::nullopt;
}

int headTimeoutMs(int open, int cap, int fullMs, int floorMs)
{
    const int half = cap / 2;
    if (cap <= 0 || open <= half)
        return fullMs;
    if (open >= cap)
        return floorMs;
    // Linear from fullMs at half the cap down to floorMs at the cap.
    const double used = static_cast<double>(open - half) / static_cast<double>(cap - half);
    return static_cast<int>(std::lround(fullMs - used * (fullMs - floorMs)));
}

QByteArray RequestHead::header(const QByteArray &name) const
{
    for (const auto &[k, v] : headers)
        if (k == name)
            return v;
    return {};
}

int RequestHead::count(const QByteArray &name) const
{
    int n = 0;
    for (const auto &h : headers)
        n += h.first == name;
    return n;
}

namespace {

// RFC 9110's token: what a method and a header field name are made of.
bool isToken(const QByteArray &s)
{
    if (s.isEmpty())
        return false;
    for (const char c : s) {
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (!alnum && (c == '\0' || !std::strchr("!#$%&'*+-.^_`|~", c)))
            return false;
    }
    return true;
}

// A field value holds no control bytes but horizontal tabs (a CR or NUL inside a value is how
// requests are smuggled past one parser and read differently by the next).
bool isFieldValue(const QByteArray &s)
{
    for (const char c : s)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
            return false;
    return true;
}

} // namespace

HeadParse parseRequestHead(const QByteArray &buffered, qsizetype maxHeadBytes, int maxHeaderFields)
{
    HeadParse p;
    const auto refuse = [&p](int status, QString reason) {
        p.outcome = HeadParse::Outcome::Refused;
        p.status = status;
        p.reason = std::move(reason);
        return p;
    };
    const qsizetype end = buffered.indexOf("\r\n\r\n");
    if (end < 0 || end > maxHeadBytes) {
        if (buffered.size() > maxHeadBytes)
            return refuse(431, QStringLiteral("request head too large"));
        return p; // wait for the rest of the head
    }
    const QList<QByteArray> lines = buffered.left(end).split('\n');
    if (lines.size() - 1 > maxHeaderFields)
        return refuse(431, QStringLiteral("too many header fields: %1, at most %2").arg(lines.size() - 1).arg(maxHeaderFields));
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3 || !isToken(requestLine[0]) || requestLine[1].isEmpty() ||
        !isFieldValue(requestLine[1]) || !requestLine[2].startsWith("HTTP/1."))
        return refuse(400, QStringLiteral("malformed request line"));
    p.head.method = requestLine[0];
    p.head.target = requestLine[1];
    p.head.version = requestLine[2];
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].endsWith('\r') ? lines[i].chopped(1) : lines[i];
        const qsizetype colon = line.indexOf(':');
        const QByteArray name = line.left(colon);
        const QByteArray value = line.mid(colon + 1).trimmed();
        // No whitespace around the name (RFC 9112 5.1), which also refuses folded lines.
        if (colon <= 0 || !isToken(name) || !isFieldValue(value))
            return refuse(400, QStringLiteral("malformed header line"));
        p.head.headers.append({name.toLower(), value});
    }
    p.outcome = HeadParse::Outcome::Parsed;
    p.headBytes = end + 4;
    return p;
}

} // namespace tally
