// The web console's security primitives, free of any HTTP plumbing so each can be reasoned about
// alone: hashed access tokens with roles, login sessions, a per-client rate limiter, and the one
// function that maps a request path onto a compiled-in asset (or refuses it).
#pragma once

#include "util/status.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QPair>
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace tally {

enum class WebRole { Viewer, Operator };
QString webRoleName(WebRole role); // "viewer", "operator"

struct WebUser {
    QString name;
    WebRole role = WebRole::Viewer;
};

// Access tokens, stored only as SHA-256 digests. Not thread-safe (the console's thread only).
class WebTokens {
public:
    // Reads a token file: one token per line, "ROLE USER SHA256HEX" (role viewer|operator, the
    // user a name of [A-Za-z0-9._@-]+, the hex 64 digits); blank lines and '#' comments are
    // skipped. A bad line fails the whole file with "FILE:LINE: reason"; so does a file without
    // any token, and a digest listed twice.
    static Result<WebTokens> load(const QString &path);
    // A random token for this run only (256 bits, URL-safe), with the user it logs in as.
    static WebTokens oneTimeToken(const QString &user, WebRole role, QString *token);

    // The user a presented token belongs to. Compares the token's digest with every stored
    // digest in constant time and never stops early, so timing does not reveal a near miss.
    std::optional<WebUser> authenticate(const QByteArray &token) const;
    size_t size() const { return m_entries.size(); }

    static QByteArray hashHex(const QByteArray &token); // lowercase SHA-256 hex

private:
    struct Entry {
        WebUser user;
        QByteArray digest; // 32 bytes
    };
    std::vector<Entry> m_entries;
};

// Byte strings equal, in time that depends only on the lengths.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

// Random URL-safe identifier with `bytes` bytes of entropy from the system generator.
QByteArray randomId(int bytes = 32);

// Login sessions: an unguessable cookie id, the user, and a CSRF token the page echoes in a
// header on every state-changing request. Sessions end on logout or after `idleMs` unused.
class WebSessions {
public:
    struct Session {
        QByteArray id;
        QByteArray csrf;
        WebUser user;
        int64_t lastUsedMs = 0;
    };
    explicit WebSessions(int64_t idleMs = 8 * 3600 * 1000) : m_idleMs(idleMs) {}

    const Session &create(const WebUser &user, int64_t nowMs);
    // The live session with this id (touching it), or nullptr.
    const Session *find(const QByteArray &id, int64_t nowMs);
    void remove(const QByteArray &id);

private:
    int64_t m_idleMs;
    QHash<QByteArray, Session> m_sessions;
};

// A token bucket per client address: `perSecond` requests on average, `burst` at once.
class RateLimiter {
public:
    RateLimiter(double perSecond, int burst) : m_perSecond(perSecond), m_burst(burst) {}
    // Takes one token for `client`; false when its bucket is empty (answer 429).
    bool allow(const QString &client, int64_t nowMs);
    // Seconds until the client has a token again (for Retry-After), at least 1.
    int retryAfterSeconds(const QString &client) const;

private:
    struct Bucket {
        double tokens = 0;
        int64_t updatedMs = 0;
    };
    double m_perSecond;
    int m_burst;
    QHash<QString, Bucket> m_buckets;
};

// The compiled-in asset a request path names, e.g. "/" -> ":/web/index.html",
// "/app.js" -> ":/web/app.js"; nullopt for anything else. `rawPath` is the path exactly as
// sent (before '?'), still percent-encoded. It is decoded once; the result must be made only of
// [A-Za-z0-9._-] segments separated by single '/', none of them starting with '.', so '..',
// backslashes, NUL and control bytes, non-ASCII (overlong UTF-8 included), a second level of
// %-encoding and absolute or doubled slashes are all refused; and the file must exist under
// `root` in the resource system, which has no symbolic links and nothing from the disk.
std::optional<QString> webAssetPath(const QByteArray &rawPath, const QString &root = QStringLiteral(":/web"));

// Decodes %XX escapes once; nullopt on a malformed escape.
std::optional<QByteArray> percentDecodeOnce(const QByteArray &raw);

// True when a Content-Type names JSON: "application/json", in any case, optionally followed by
// parameters ("; name=value", the value a token or a quoted string), a charset among them being
// utf-8. Anything else is false: "application/jsonx", "application/json-patch+json", a charset the
// body is not in, "application/json;" with nothing after it, junk after the type.
bool isJsonMediaType(const QByteArray &contentType);

// The first key that appears twice in one object of a JSON text, at any depth ("a" and "\u0061"
// are the same key), decoded; nullopt when there is none. Qt's JSON parser keeps the last of
// duplicates silently, so a body can mean one thing to a proxy or log reader and another to us.
// Meant for text QJsonDocument has already accepted: on malformed text it returns what it found
// so far.
std::optional<QString> duplicateJsonKey(const QByteArray &json);

// An HTTP/1.x request head: the request line and the header fields.
struct RequestHead {
    QByteArray method;
    QByteArray target;
    QByteArray version; // "HTTP/1.1", "HTTP/1.0"
    QList<QPair<QByteArray, QByteArray>> headers; // names lowercased, values trimmed, in order
    QByteArray header(const QByteArray &name) const; // the first value, or empty
    int count(const QByteArray &name) const;         // how many fields have this name
};

// What parseRequestHead made of the bytes a client has sent so far.
struct HeadParse {
    enum class Outcome {
        Incomplete, // no blank line yet, and still within the size limit: wait for more
        Parsed,     // `head` holds the request; the body starts at `headBytes`
        Refused,    // answer `status` with `reason` and close
    };
    Outcome outcome = Outcome::Incomplete;
    RequestHead head;
    qsizetype headBytes = 0; // the head's length with its blank line (Parsed)
    int status = 0;          // 400 or 431 (Refused)
    QString reason;
};

// Reads a request head from the start of `buffered`. Refused: a head longer than `maxHeadBytes`
// (431), more than `maxHeaderFields` header lines (431), a request line that is not
// "METHOD TARGET HTTP/1.x" (the method a token), a header line that is not "NAME: VALUE" with the
// name a token right before the colon (so also an obsolete folded continuation line), or a control
// byte other than a tab in the target or a value (400). The head ends at the first CRLF CRLF; the
// lines before it may end in a bare LF.
HeadParse parseRequestHead(const QByteArray &buffered, qsizetype maxHeadBytes, int maxHeaderFields);

// How long a connection may take to send its request head, given how many connections are open
// and the most there may be: `fullMs` while fewer than half are in use, then less the nearer
// the server is to its cap, down to `floorMs` at the cap. Slow clients are tolerated while there
// is room and dropped fast when they would crowd others out.
int headTimeoutMs(int open, int cap, int fullMs, int floorMs);

} // namespace tally
