// The alerts' webhook notifier against a real local HTTP receiver: each alert that fires or
// resolves arrives once, in order, as Alertmanager's webhook message (status, labels, runbook
// link, start and end times); a receiver that fails (503) gets the message again, one that
// refuses it (400) does not; nothing of this waits on the caller.
#include "models/alert_notifier.h"
#include "support/webhook_receiver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

using namespace tally;
using namespace tally::test;

namespace {

// A snapshot in which only sink_down's condition holds (its writes fail), or none does.
ConsoleSnapshot snapshotAt(int64_t ms, bool sinkDown)
{
    ConsoleSnapshot s;
    s.takenAtMs = ms;
    SinkStatus k;
    k.name = "postgres";
    if (sinkDown) {
        k.circuit = CircuitBreaker::State::Open;
        k.lastError = "connection refused";
    }
    s.job.sink = k;
    return s;
}

QJsonObject parse(const QByteArray &body)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    return doc.object();
}

double notifications(const MetricsRegistry &metrics, const char *outcome)
{
    return metrics.snapshot(0).value("tally_alert_notifications_total", {{"outcome", outcome}});
}

} // namespace

class TestAlertNotifier : public QObject {
    Q_OBJECT

private slots:
    void firingThenResolvedInAlertmanagerFormat()
    {
        WebhookReceiver receiver;
        QVERIFY(receiver.isListening());
        receiver.answerNext({503}); // the first post fails once
        MetricsRegistry metrics;
        AlertModel alerts;
        AlertNotifier notifier(alerts,
                               {.webhook = receiver.url(),
                                .runbookUrl = QStringLiteral("https://wiki.example.com/tally/{rule}"),
                                .jobName = QStringLiteral("likes"),
                                .externalUrl = QStringLiteral("http://127.0.0.1:8080/")},
                               metrics);
        constexpr int64_t kStart = 1'767'225'600'000; // 2026-01-01 00:00:00 UTC
        for (int64_t ms = kStart; ms <= kStart + 5000; ms += 250)
            alerts.evaluate(snapshotAt(ms, true));
        alerts.evaluate(snapshotAt(kStart + 8000, false));
        QCOMPARE(alerts.alerts().size(), 1); // fired at +5 s, resolved at +8 s
        QCOMPARE(notifier.pending(), size_t(2)); // queued; nothing was sent while evaluating

        QTRY_COMPARE_WITH_TIMEOUT(receiver.delivered().size(), 2, 10000);
        QCOMPARE(receiver.posts(), 3); // the 503, its retry, the resolved one
        // The receiver keeps a body as it answers; the notifier counts it once the answer is in.
        QTRY_COMPARE_WITH_TIMEOUT(notifier.pending(), size_t(0), 10000);
        QCOMPARE(notifications(metrics, "delivered"), 2.0);
        QCOMPARE(notifications(metrics, "retried"), 1.0);

        const QJsonObject firing = parse(receiver.delivered()[0]);
        QCOMPARE(firing[QStringLiteral("version")].toString(), QStringLiteral("4"));
        QCOMPARE(firing[QStringLiteral("status")].toString(), QStringLiteral("firing"));
        QCOMPARE(firing[QStringLiteral("externalURL")].toString(), QStringLiteral("http://127.0.0.1:8080/"));
        const QJsonArray firingAlerts = firing[QStringLiteral("alerts")].toArray();
        QCOMPARE(firingAlerts.size(), 1);
        const QJsonObject a = firingAlerts[0].toObject();
        QCOMPARE(a[QStringLiteral("status")].toString(), QStringLiteral("firing"));
        QCOMPARE(a[QStringLiteral("labels")].toObject()[QStringLiteral("alertname")].toString(), QStringLiteral("sink_down"));
        QCOMPARE(a[QStringLiteral("labels")].toObject()[QStringLiteral("job")].toString(), QStringLiteral("likes"));
        const QJsonObject annotations = a[QStringLiteral("annotations")].toObject();
        QCOMPARE(annotations[QStringLiteral("runbook_url")].toString(), QStringLiteral("https://wiki.example.com/tally/sink_down"));
        QCOMPARE(annotations[QStringLiteral("summary")].toString(), QStringLiteral("Sink down: writes to the database fail"));
        QCOMPARE(a[QStringLiteral("startsAt")].toString(), QStringLiteral("2026-01-01T00:00:05.000Z"));
        QCOMPARE(a[QStringLiteral("endsAt")].toString(), QStringLiteral("0001-01-01T00:00:00Z"));

        const QJsonObject resolved = parse(receiver.delivered()[1]);
        QCOMPARE(resolved[QStringLiteral("status")].toString(), QStringLiteral("resolved"));
        const QJsonObject r = resolved[QStringLiteral("alerts")].toArray()[0].toObject();
        QCOMPARE(r[QStringLiteral("startsAt")].toString(), QStringLiteral("2026-01-01T00:00:05.000Z"));
        QCOMPARE(r[QStringLiteral("endsAt")].toString(), QStringLiteral("2026-01-01T00:00:08.000Z"));
        // The same alert: the same fingerprint, firing and resolved.
        QCOMPARE(r[QStringLiteral("fingerprint")].toString(), a[QStringLiteral("fingerprint")].toString());
        QCOMPARE(a[QStringLiteral("fingerprint")].toString().size(), 16);
    }

    // A receiver that refuses a message (4xx other than 408 and 429) will refuse it again: it is
    // dropped and the next one goes out.
    void refusedMessageIsDropped()
    {
        WebhookReceiver receiver;
        receiver.answerNext({400});
        MetricsRegistry metrics;
        AlertModel alerts;
        AlertNotifier notifier(alerts, {.webhook = receiver.url()}, metrics);
        for (int64_t ms = 0; ms <= 5000; ms += 250)
            alerts.evaluate(snapshotAt(1'000'000 + ms, true));
        alerts.evaluate(snapshotAt(1'010'000, false));
        QTRY_COMPARE_WITH_TIMEOUT(receiver.delivered().size(), 1, 10000);
        QCOMPARE(receiver.posts(), 2);
        QCOMPARE(parse(receiver.delivered()[0])[QStringLiteral("status")].toString(), QStringLiteral("resolved"));
        QCOMPARE(notifications(metrics, "dropped"), 1.0);
        // Without a runbook link configured, there is none.
        QVERIFY(!parse(receiver.delivered()[0])[QStringLiteral("commonAnnotations")].toObject().contains(QStringLiteral("runbook_url")));
    }

    // No receiver at all: the messages wait (retried with backoff), flush() gives up at its
    // bound and says so.
    void unreachableReceiverWaits()
    {
        quint16 port = 0;
        {
            WebhookReceiver closed; // a port that was free a moment ago and has no listener now
            port = closed.serverPort();
        }
        MetricsRegistry metrics;
        AlertModel alerts;
        AlertNotifier notifier(alerts, {.webhook = QUrl(QStringLiteral("http://127.0.0.1:%1/hook").arg(port))}, metrics);
        for (int64_t ms = 0; ms <= 5000; ms += 250)
            alerts.evaluate(snapshotAt(1'000'000 + ms, true));
        QElapsedTimer timer;
        timer.start();
        QVERIFY(!notifier.flush(1500));
        QVERIFY(timer.elapsed() < 5000);
        QCOMPARE(notifier.pending(), size_t(1));
        QVERIFY(notifications(metrics, "retried") >= 1);
    }
};

QTEST_GUILESS_MAIN(TestAlertNotifier)
#include "tst_alert_notifier.moc"
