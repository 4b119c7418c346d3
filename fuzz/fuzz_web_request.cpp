// The web console's checks of what a client sends (views/web/web_security.h) on arbitrary bytes:
// the request path (percent-decoding and the web-root lookup), the Content-Type, and JSON bodies
// (Qt's parser, then the duplicate-key check). Never a crash, and a path that is served must
// name an existing compiled-in asset under the web root: no '..', no hidden segment, no way out.
#include "views/web/web_security.h"

#include <QByteArray>
#include <QFileInfo>
#include <QJsonDocument>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    (void)tally::isJsonMediaType(bytes);
    (void)tally::percentDecodeOnce(bytes);
    if (const auto asset = tally::webAssetPath(bytes)) {
        if (!asset->startsWith(QLatin1String(":/web/")) || asset->contains(QLatin1String("/.")) ||
            !QFileInfo(*asset).isFile())
            std::abort();
    }
    QJsonParseError error;
    if (!QJsonDocument::fromJson(bytes, &error).isNull())
        (void)tally::duplicateJsonKey(bytes);
    return 0;
}
