// /metrics as Prometheus sees it, for the tests that run the real tally with its web console:
// fetching it over HTTP, and checking it with Prometheus' own promtool.
#pragma once

#include <QByteArray>
#include <QString>
#include <QUrl>

namespace tally::test {

// GET `url` (a loopback address: no token); the body, or empty when the answer is not a 200
// within `timeoutMs`. Runs the calling thread's event loop meanwhile.
QByteArray httpGet(const QUrl &url, int timeoutMs = 10000);

// `promtool check metrics` on `text`: empty when clean, else what promtool (or the attempt to run
// it: it is required, never skipped) says.
QString promtoolProblems(const QByteArray &text);

// The web console's URL in a startup log ("web console: http://127.0.0.1:PORT/#token=..."), or
// an empty URL.
QUrl webConsoleUrl(const QByteArray &log);

} // namespace tally::test
