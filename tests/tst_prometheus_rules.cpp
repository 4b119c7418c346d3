// The shipped Prometheus alerting rules (installer/prometheus/tally-rules.yml): they are what
// `tally --print-prometheus-rules` generates from the console's rule table (every rule has its
// expression), `promtool check rules` accepts them, and promtool's unit tests of them
// (tally-rules.test.yml: incidents as /metrics shows them, and when each alert fires) pass.
#include "models/alerts.h"
#include "models/prometheus_rules.h"

#include <QtTest>

#include <QProcess>
#include <QStandardPaths>

using namespace tally;

namespace {

const QString kRulesDir = QStringLiteral(TALLY_PROMETHEUS_DIR);

// Runs promtool with `args` in the rules' folder; empty when it succeeded, else its output.
QString promtool(const QStringList &args)
{
    const QString program = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    if (program.isEmpty())
        return QStringLiteral("promtool is missing: scripts/install-deps.sh installs it (Debian package prometheus)");
    QProcess p;
    p.setWorkingDirectory(kRulesDir);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForFinished(60000))
        return QStringLiteral("promtool did not finish");
    return p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0 ? QString() : QString::fromUtf8(p.readAll());
}

} // namespace

class TestPrometheusRules : public QObject {
    Q_OBJECT

private slots:
    void everyRuleHasItsExpression()
    {
        AlertModel alerts;
        for (const AlertRule &rule : alerts.rules())
            QVERIFY2(hasPrometheusRule(rule.id), qPrintable(rule.id));
    }

    void shippedFileIsGenerated()
    {
        QProcess tally;
        tally.start(QStringLiteral(TALLY_BINARY), {QStringLiteral("--print-prometheus-rules")});
        QVERIFY(tally.waitForFinished(30000));
        QCOMPARE(tally.exitCode(), 0);
        QFile shipped(kRulesDir + QStringLiteral("/tally-rules.yml"));
        QVERIFY(shipped.open(QIODevice::ReadOnly));
        QVERIFY2(tally.readAllStandardOutput() == shipped.readAll(),
                 "installer/prometheus/tally-rules.yml is not what the rule table generates: "
                 "`build/app/tally --print-prometheus-rules > installer/prometheus/tally-rules.yml`");
    }

    void promtoolChecksTheRules()
    {
        const QString problems = promtool({QStringLiteral("check"), QStringLiteral("rules"), QStringLiteral("tally-rules.yml")});
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
    }

    void promtoolUnitTests()
    {
        const QString problems = promtool({QStringLiteral("test"), QStringLiteral("rules"), QStringLiteral("tally-rules.test.yml")});
        QVERIFY2(problems.isEmpty(), qPrintable(problems));
    }
};

QTEST_GUILESS_MAIN(TestPrometheusRules)
#include "tst_prometheus_rules.moc"
