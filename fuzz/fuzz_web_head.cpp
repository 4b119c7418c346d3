// The web console gate's request-head parser (views/web/web_security.h: parseRequestHead) on
// arbitrary bytes: never a crash, and whatever it accepts keeps the promises the gate relies on.
#include "views/web/web_security.h"

#include <QByteArray>

#include <cstdlib>

namespace {
constexpr qsizetype kMaxHeadBytes = 4096;
constexpr int kMaxHeaderFields = 20;
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const tally::HeadParse p = tally::parseRequestHead(bytes, kMaxHeadBytes, kMaxHeaderFields);
    switch (p.outcome) {
    case tally::HeadParse::Outcome::Incomplete:
        // Only while the blank line is missing and the limit is not reached.
        if (bytes.size() > kMaxHeadBytes || bytes.indexOf("\r\n\r\n") >= 0)
            std::abort();
        break;
    case tally::HeadParse::Outcome::Refused:
        if ((p.status != 400 && p.status != 431) || p.reason.isEmpty())
            std::abort();
        break;
    case tally::HeadParse::Outcome::Parsed:
        if (p.headBytes < 4 || p.headBytes > bytes.size() || p.headBytes > kMaxHeadBytes + 4 ||
            bytes.mid(p.headBytes - 4, 4) != "\r\n\r\n" || p.head.method.isEmpty() || p.head.target.isEmpty() ||
            p.head.headers.size() > kMaxHeaderFields)
            std::abort();
        for (const auto &[name, value] : p.head.headers) {
            if (name.isEmpty() || name != name.toLower() || value != value.trimmed())
                std::abort();
            for (const char c : name)
                if (static_cast<unsigned char>(c) <= ' ' || c == ':' || c == 0x7f)
                    std::abort();
            for (const char c : value)
                if ((static_cast<unsigned char>(c) < ' ' && c != '\t') || c == 0x7f)
                    std::abort();
        }
        break;
    }
    return 0;
}
