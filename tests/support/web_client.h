// The real tally's web console as a client sees it, for the tests that run the program: its URL
// and one-time token from the startup line, GET (/metrics as Prometheus fetches it, checked with
// Prometheus' own promtool), and operator actions.
#pragma once

#include <QByteArray>
#include <QString>
#include <QUrl>

namespace tally::test {

// GET `url` (a loopback address: no token for /metrics; the API's paths need `token`); the body,
// or empty when the answer is not a 200 within `timeoutMs`. Runs the calling thread's event loop
// meanwhile.
QByteArray httpGet(const QUrl &url, int timeoutMs = 10000, const QByteArray &token = {});

// `promtool check metrics` on `text`: empty when clean, else what promtool (or the attempt to run
// it: it is required, never skipped) says.
QString promtoolProblems(const QByteArray &text);

// The web console's URL in a startup log ("web console: http://127.0.0.1:PORT/ ..."), or an empty
// URL; and the one-time operator token from the file that line names (tally's standard output is
// not a terminal in a test), or empty.
QUrl webConsoleUrl(const QByteArray &log);
QByteArray webConsoleToken(const QByteArray &log);

// POST /api/v1/actions/ACTION with the token; the HTTP status (202: accepted), 0 without an answer.
int postAction(const QUrl &web, const QByteArray &token, const QString &action, int timeoutMs = 10000);

} // namespace tally::test
