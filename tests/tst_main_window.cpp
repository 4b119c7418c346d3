// Drives the real main window with the engine running on the generator: every page fills with
// data, the toolbar and the Actions menu hold the catalogue's actions, operator actions run from
// the toolbar (with their confirmation dialog) and land in the audit log, parameters out of the
// catalogue's range are refused with its message, actions the engine cannot perform are disabled
// with the reason, and the window's theme and page survive a restart. In German, the window speaks
// German while the web console on the same host answers in English.
#include "models/action_catalogue.h"
#include "models/dead_letter_model.h"
#include "models/engine_host.h"
#include "support/held_sync_point.h"
#include "support/sink_results.h"
#include "support/wait.h"
#include "state/key_groups.h"
#include "views/main_window.h"
#include "views/translation.h"
#include "views/web/web_console.h"

#include <QtTest>

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QInputDialog>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStatusBar>
#include <QTableView>
#include <QTextBrowser>
#include <QToolBar>

using namespace tally;

namespace {

// Clicks Yes on the next confirmation dialog.
void acceptNextDialog()
{
    QTimer::singleShot(300, [] {
        for (QWidget *w : QApplication::topLevelWidgets()) {
            if (auto *box = qobject_cast<QMessageBox *>(w); box && box->isVisible()) {
                box->button(QMessageBox::Yes)->click();
                return;
            }
        }
        acceptNextDialog(); // not shown yet
    });
}

bool pageHasData(const Page *page)
{
    for (const QTableView *t : page->tables())
        if (t->model()->rowCount() > 0)
            return true;
    for (const TimeSeriesChart *c : page->charts())
        if (c->pointCount() > 0)
            return true;
    return false;
}

// The JSON answer of the web console to `method` `path` (Bearer `token`), and its status.
std::pair<int, QJsonObject> askWeb(QNetworkAccessManager &net, const QUrl &base, const QByteArray &token,
                                   const QByteArray &method, const QString &path, const QByteArray &body = {})
{
    QNetworkRequest request(base.resolved(QUrl(path)));
    request.setRawHeader("Authorization", "Bearer " + token);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    QNetworkReply *reply = net.sendCustomRequest(request, method, body);
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!reply->isFinished() && !done.wait(10000))
        return {0, {}};
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonObject json = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return {status, json};
}

QJsonObject actionNamed(const QJsonObject &catalogue, const QString &name)
{
    for (const QJsonValue &v : catalogue.value(QStringLiteral("actions")).toArray())
        if (v[QStringLiteral("name")].toString() == name)
            return v.toObject();
    return {};
}

int auditRows(const QAbstractItemModel &audit, const QString &action, const QString &outcome)
{
    int n = 0;
    for (int r = 0; r < audit.rowCount(); ++r)
        if (audit.index(r, 3).data().toString() == action && audit.index(r, 5).data().toString() == outcome)
            ++n;
    return n;
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        QCoreApplication::setOrganizationName(QStringLiteral("tally-tests"));
        EngineOptions options;
        options.config.source.generator.eventsPerSecond = 20000;
        options.config.source.generator.eventTimeRate = 20000;
        options.config.source.generator.startTimeMs = QDateTime::currentMSecsSinceEpoch() - 60000;
        // Wire records, 1% corrupted in every way the generator knows: the Dead letters page.
        options.config.source.generator.serialized = true;
        options.config.source.generator.malformedFraction = 0.01;
        options.config.likesPerPost.windowMs = 5000;
        options.config.likesByRegion.windowsMs = {5000, 60000};
        options.config.likeVelocity.sizeMs = 30000;
        options.config.likeVelocity.slideMs = 5000;
        options.config.watermark.boundMs = 1000;
        options.config.output.sqlitePath = m_dir.filePath(QStringLiteral("tally.db")).toStdString();
        options.config.output.divertPath = m_dir.filePath(QStringLiteral("divert.db")).toStdString();
        options.config.checkpoint.savepointDir = m_dir.filePath(QStringLiteral("savepoints")).toStdString();
        options.auditPath = m_dir.filePath(QStringLiteral("audit.db"));
        QString error;
        m_host = EngineHost::create(options, &error);
        QVERIFY2(m_host, qPrintable(error));
        QVERIFY(m_host->start().isOk());
        m_window = std::make_unique<MainWindow>(*m_host);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    }

    void cleanup()
    {
        m_window.reset();
        m_host.reset();
    }

    void everyPageFillsWithData()
    {
        // The audit page shows actions: make one.
        QSignalSpy finished(m_host.get(), &EngineHost::actionFinished);
        m_window->action(EngineHost::Action::PauseSource)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(m_window->action(EngineHost::Action::ResumeSource)->isEnabled(), 5000);
        m_window->action(EngineHost::Action::ResumeSource)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 5000);
        for (size_t i = 0; i < m_window->pages().size(); ++i) {
            const Page *page = m_window->pages()[i];
            m_window->showPage(static_cast<int>(i));
            if (page->title() == QLatin1String("Alerts & runbooks")) {
                // No alert fires on a healthy job; the page shows the rules and a runbook.
                const auto *runbook = page->findChild<QTextBrowser *>();
                QVERIFY(runbook);
                QVERIFY2(runbook->toPlainText().contains(QLatin1String("Steps")), qPrintable(runbook->toPlainText()));
                continue;
            }
            if (page->title() == QLatin1String("Checkpoints")) {
                // No checkpoints in this engine: the page says so instead of staying blank.
                bool explained = false;
                for (const QLabel *l : page->findChildren<QLabel *>())
                    explained = explained || (l->isVisible() && l->text().contains(QLatin1String("This job takes no checkpoints")));
                QVERIFY(explained);
                continue;
            }
            if (page->title() == QLatin1String("Kafka")) {
                // The generator has no topic: the page says so (tst_kafka_topic_view has a real one).
                const auto *summary = page->findChild<QLabel *>(QStringLiteral("kafkaSummary"));
                QVERIFY(summary);
                QTRY_VERIFY2_WITH_TIMEOUT(summary->text().contains(QLatin1String("the built-in generator")),
                                          qPrintable(summary->text()), 5000);
                continue;
            }
            QTRY_VERIFY2_WITH_TIMEOUT(pageHasData(page), qPrintable(page->title() + QStringLiteral(" stayed empty")), 15000);
        }
    }

    // The dead-letter browser shows the generator's corrupted records with their reasons: every
    // kind of corruption, counted as the job counts them, each record's bytes as text and hex,
    // and a reason filter that keeps only that reason.
    void deadLetterBrowserShowsTheCorruptedRecords()
    {
        Page *page = nullptr;
        for (size_t i = 0; i < m_window->pages().size(); ++i)
            if (m_window->pages()[i]->objectName() == QLatin1String("deadLettersPage")) {
                page = m_window->pages()[i];
                m_window->showPage(static_cast<int>(i));
            }
        QVERIFY(page);
        QTableView *table = page->tables().front();
        // Every way the generator corrupts a record, each refused for its own reason.
        const QStringList expected{QStringLiteral("malformed"), QStringLiteral("unknown_schema"), QStringLiteral("wrong_type"),
                                   QStringLiteral("invalid_value"), QStringLiteral("timestamp_out_of_range"), QStringLiteral("oversize")};
        const auto reasonsShown = [&] {
            QSet<QString> reasons;
            for (int r = 0; r < table->model()->rowCount(); ++r)
                reasons.insert(table->model()->index(r, 1).data().toString());
            return reasons;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(reasonsShown().contains(QSet<QString>(expected.begin(), expected.end())),
                                  qPrintable(QStringList(reasonsShown().values()).join(QLatin1Char(' '))), 30000);
        // The totals are the job's own count of dead letters, once what is in flight has
        // reached the output stage of the paused job.
        m_host->run(EngineHost::Action::PauseSource, QStringLiteral("oncall"), QStringLiteral("desktop"));
        QTRY_COMPARE_WITH_TIMEOUT(m_host->snapshot().job.state, JobStatus::State::Paused, 5000);
        const auto totalShown = [&] {
            uint64_t total = 0;
            for (uint64_t n : m_host->recentDeadLetters().totals())
                total += n;
            return total;
        };
        QTRY_COMPARE_WITH_TIMEOUT(totalShown(), m_host->snapshot().job.deadLetters, 5000);
        // A picked record: its bytes below, as text and as a hex dump of the same bytes.
        table->setCurrentIndex(table->model()->index(0, 0));
        const BrowsedDeadLetter newest = m_host->recentDeadLetters().newest(std::nullopt, 1).front();
        const auto *text = page->findChild<QPlainTextEdit *>(QStringLiteral("deadLetterText"));
        const auto *hex = page->findChild<QPlainTextEdit *>(QStringLiteral("deadLetterHex"));
        QVERIFY(text && hex);
        QCOMPARE(text->toPlainText(), payloadAsText(newest.payload));
        QCOMPARE(hex->toPlainText(), payloadAsHex(newest.payload));
        QVERIFY(!hex->toPlainText().isEmpty());
        // Filtered by one reason: only that reason.
        auto *reason = page->findChild<QComboBox *>(QStringLiteral("deadLetterReason"));
        QVERIFY(reason);
        reason->setCurrentText(QStringLiteral("oversize"));
        QVERIFY(table->model()->rowCount() > 0);
        for (int r = 0; r < table->model()->rowCount(); ++r)
            QCOMPARE(table->model()->index(r, 1).data().toString(), QStringLiteral("oversize"));

        // Stored: the SQLite sink's dead_letters table, as SQLite itself has it, with the filter.
        auto *scope = page->findChild<QComboBox *>(QStringLiteral("deadLetterScope"));
        QVERIFY(scope);
        // The sink may still commit letters in flight: the page shows what the table held between
        // the counts before and after it read.
        const std::string db = m_host->config().output.sqlitePath;
        const auto storedOversize = [&] { return test::sqliteInteger(db, "SELECT count(*) FROM dead_letters WHERE reason = 'oversize'"); };
        TALLY_WAIT_UNTIL(storedOversize() > 0, std::chrono::seconds(15), "an oversize letter in the dead_letters table");
        const int64_t before = storedOversize();
        scope->setCurrentIndex(1);
        const int64_t after = storedOversize();
        const int64_t shown = table->model()->rowCount();
        QVERIFY2(std::min<int64_t>(before, RecentDeadLetters::kKept) <= shown && shown <= std::min<int64_t>(after, RecentDeadLetters::kKept),
                 qPrintable(QStringLiteral("%1 shown, %2 to %3 stored").arg(shown).arg(before).arg(after)));
        for (int r = 0; r < table->model()->rowCount(); ++r)
            QCOMPARE(table->model()->index(r, 1).data().toString(), QStringLiteral("oversize"));
        const auto *totals = page->findChild<QLabel *>(QStringLiteral("deadLetterTotals"));
        QVERIFY(totals);
        QVERIFY2(totals->text().contains(QLatin1String("stored dead letters")), qPrintable(totals->text()));
        scope->setCurrentIndex(0);
        reason->setCurrentIndex(0);
    }

    void drainFromTheToolbar()
    {
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.rowsOut > 0, 10000);
        QSignalSpy finished(m_host.get(), &EngineHost::actionFinished);
        QAction *drain = m_window->action(EngineHost::Action::DrainSink);
        QVERIFY(drain->isEnabled());
        acceptNextDialog();
        drain->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QCOMPARE(finished.front().at(2).toBool(), true);
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().sink.held, 5000);
        // Held: resume is offered, and resuming lets writes flow again.
        QTRY_VERIFY_WITH_TIMEOUT(m_window->action(EngineHost::Action::ResumeSink)->isEnabled(), 5000);
        m_window->action(EngineHost::Action::ResumeSink)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(!m_host->snapshot().sink.held, 5000);

        AuditModel audit(m_host->auditLog());
        QTRY_COMPARE_WITH_TIMEOUT(auditRows(audit, QStringLiteral("drain_sink"), QStringLiteral("started")), 1, 5000);
        QCOMPARE(auditRows(audit, QStringLiteral("drain_sink"), QStringLiteral("ok")), 1);
        QCOMPARE(auditRows(audit, QStringLiteral("resume_sink"), QStringLiteral("ok")), 1);
    }

    void divertAndBack()
    {
        QSignalSpy finished(m_host.get(), &EngineHost::actionFinished);
        QAction *divert = m_window->action(EngineHost::Action::DivertSink);
        QVERIFY(divert->isEnabled()); // output.divert_path is set
        acceptNextDialog();
        divert->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        QVERIFY(finished.front().at(2).toBool());
        m_window->action(EngineHost::Action::UndivertSink)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 5000);
        AuditModel audit(m_host->auditLog());
        QTRY_COMPARE_WITH_TIMEOUT(auditRows(audit, QStringLiteral("divert_sink"), QStringLiteral("ok")), 1, 5000);
    }

    void savepointFromTheToolbar()
    {
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.eventsIn > 0, 10000);
        QSignalSpy finished(m_host.get(), &EngineHost::actionFinished);
        QAction *savepoint = m_window->action(EngineHost::Action::TriggerSavepoint);
        QVERIFY(savepoint->isEnabled());
        savepoint->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QVERIFY2(finished.front().at(2).toBool(), qPrintable(finished.front().at(3).toString()));
        const QString path = finished.front().at(3).toString();
        QVERIFY2(QFileInfo::exists(path), qPrintable(path));
        QVERIFY(path.startsWith(m_dir.filePath(QStringLiteral("savepoints"))));
        QVERIFY(!m_host->finished()); // a savepoint alone leaves the job running
        AuditModel audit(m_host->auditLog());
        QTRY_COMPARE_WITH_TIMEOUT(auditRows(audit, QStringLiteral("trigger_savepoint"), QStringLiteral("ok")), 1, 5000);
        // The Checkpoints page lists it among the files to continue from, with the command.
        for (size_t i = 0; i < m_window->pages().size(); ++i)
            if (m_window->pages()[i]->title() == QLatin1String("Checkpoints"))
                m_window->showPage(static_cast<int>(i));
        auto *command = m_window->findChild<QLineEdit *>(QStringLiteral("restoreCommand"));
        QVERIFY(command);
        QTableView *onDisk = command->parentWidget()->findChild<QTableView *>();
        QVERIFY(onDisk);
        QTRY_VERIFY_WITH_TIMEOUT(onDisk->model()->rowCount() > 0, 5000);
        int row = -1;
        for (int r = 0; r < onDisk->model()->rowCount(); ++r)
            if (onDisk->model()->index(r, 4).data().toString() == path)
                row = r;
        QVERIFY2(row >= 0, qPrintable(path));
        QCOMPARE(onDisk->model()->index(row, 0).data().toString(), QStringLiteral("savepoint"));
        onDisk->setCurrentIndex(onDisk->model()->index(row, 0));
        QCOMPARE(command->text(), QStringLiteral("tally --restore ") + path);
    }

    // The rescale dialog: stop with a savepoint, then the job runs on at the chosen parallelism.
    void rescaleDialogChangesParallelism()
    {
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.windowsFired > 0, 15000);
        QCOMPARE(m_host->config().runtime.parallelism, 2);
        QSignalSpy finished(m_host.get(), &EngineHost::actionFinished);
        QTimer::singleShot(300, [] {
            for (QWidget *w : QApplication::topLevelWidgets()) {
                if (auto *dialog = qobject_cast<QInputDialog *>(w); dialog && dialog->isVisible()) {
                    dialog->setIntValue(4);
                    acceptNextDialog(); // then the confirmation
                    dialog->accept();
                    return;
                }
            }
        });
        m_window->action(EngineHost::Action::Rescale)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 30000);
        QVERIFY2(finished.front().at(2).toBool(), qPrintable(finished.front().at(3).toString()));
        QCOMPARE(m_host->config().runtime.parallelism, 4);
        QVERIFY(!m_host->finished());
        // The new job runs: its four window tasks show up and events keep coming.
        const uint64_t before = m_host->snapshot().job.eventsIn;
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.eventsIn > before + 1000, 15000);
        bool fourth = false;
        for (const OperatorFigures &o : m_host->snapshot().operators)
            fourth = fourth || o.name == "window-3";
        QVERIFY(fourth);
        AuditModel audit(m_host->auditLog());
        QTRY_COMPARE_WITH_TIMEOUT(auditRows(audit, QStringLiteral("rescale"), QStringLiteral("ok")), 1, 5000);
    }

    // Restore from the toolbar: its dialog offers the checkpoints and savepoints on disk; the new
    // job continues from the one picked (the job before stopped with a safety savepoint), and the
    // audit log says so. A file that is not on the list is refused, and the job is not touched.
    void restoreFromTheToolbar()
    {
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.eventsIn > 0, 10000);
        QSignalSpy finished(m_host.get(), &EngineHost::actionFinished);
        m_window->action(EngineHost::Action::TriggerSavepoint)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QVERIFY2(finished.front().at(2).toBool(), qPrintable(finished.front().at(3).toString()));
        const QString chosen = finished.front().at(3).toString(); // not the newest: the dialog offers that one
        m_window->action(EngineHost::Action::TriggerSavepoint)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 15000);
        finished.clear();

        const QVariantMap elsewhere{{QStringLiteral("from"), QStringLiteral("/etc/passwd")}};
        QCOMPARE(m_window->runAction(EngineHost::Action::Restore, true, elsewhere), qint64(0));
        QVERIFY2(m_host->auditLog().recent(1).value(0).detail.contains(QLatin1String("is not a checkpoint or savepoint")),
                 qPrintable(m_host->auditLog().recent(1).value(0).detail));
        QVERIFY(!m_host->finished());

        const TimeSeriesStore *before = &m_host->timeSeries(); // each job has its own
        QStringList offered;
        QTimer::singleShot(300, [&] {
            for (QWidget *w : QApplication::topLevelWidgets()) {
                if (auto *dialog = qobject_cast<QInputDialog *>(w); dialog && dialog->isVisible()) {
                    offered = dialog->comboBoxItems();
                    dialog->setTextValue(chosen);
                    acceptNextDialog(); // then the confirmation
                    dialog->accept();
                    return;
                }
            }
        });
        m_window->action(EngineHost::Action::Restore)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 30000);
        QVERIFY2(offered.size() >= 2 && offered.indexOf(chosen) > 0, qPrintable(offered.join(QLatin1Char('\n'))));
        QVERIFY2(finished.at(0).at(2).toBool(), qPrintable(finished.at(0).at(3).toString()));
        QVERIFY2(finished.at(0).at(3).toString().startsWith(QStringLiteral("continued from ") + chosen + QLatin1Char(' ')),
                 qPrintable(finished.at(0).at(3).toString()));
        QVERIFY(&m_host->timeSeries() != before);
        QVERIFY(!m_host->finished());
        const uint64_t events = m_host->snapshot().job.eventsIn;
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.eventsIn > events + 1000, 15000);
        AuditModel audit(m_host->auditLog());
        QTRY_COMPARE_WITH_TIMEOUT(auditRows(audit, QStringLiteral("restore"), QStringLiteral("ok")), 1, 5000);

        // Between the two jobs (held there): the Overview's Restoring row names the file and the
        // time so far, before the new job exists.
        test::HeldSyncPoint held("JobRunner::betweenJobs");
        QVERIFY(m_window->runAction(EngineHost::Action::Restore, true, {{QStringLiteral("from"), chosen}}) > 0);
        QTRY_VERIFY_WITH_TIMEOUT(held.arrived() == 1, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.restoring.has_value(), 5000);
        QCOMPARE(QString::fromStdString(m_host->snapshot().job.restoring->from), chosen);
        QCOMPARE(m_host->snapshot().job.restoring->tasksDone, 0);
        QVERIFY(!m_host->finished()); // a job stopped for a restore is not the end
        held.release();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 30000);
        QVERIFY2(finished.at(1).at(2).toBool(), qPrintable(finished.at(1).at(3).toString()));
        QTRY_VERIFY_WITH_TIMEOUT(!m_host->snapshot().job.restoring.has_value(), 30000);
    }

    void unavailableActionsSayWhy()
    {
        QVERIFY(!m_window->action(EngineHost::Action::ResumeSource)->isEnabled());
        QVERIFY(m_window->action(EngineHost::Action::ResumeSource)->toolTip().contains(QLatin1String("not paused")));
        QVERIFY(!m_window->action(EngineHost::Action::ResumeSink)->isEnabled());
        // Asked for anyway (a runbook step), the refusal is audited with its reason.
        QCOMPARE(m_window->runAction(EngineHost::Action::ResumeSource, true), qint64(0));
        AuditModel audit(m_host->auditLog());
        QTRY_VERIFY_WITH_TIMEOUT(auditRows(audit, QStringLiteral("resume_source"), QStringLiteral("refused")) >= 1, 5000);
    }

    // The toolbar and the Actions menu hold every action of the catalogue, with its label (and
    // "…" where it asks first), its shortcut and its name.
    void actionsComeFromTheCatalogue()
    {
        const auto *toolbar = m_window->findChild<QToolBar *>(QStringLiteral("actionsToolbar"));
        QVERIFY(toolbar);
        for (const ActionSpec &spec : ActionCatalogue::all()) {
            QAction *a = m_window->action(spec.action);
            QVERIFY2(a, qPrintable(spec.name));
            QCOMPARE(a->objectName(), spec.name);
            QCOMPARE(a->text(), spec.label.english() + (spec.asks() ? QStringLiteral("…") : QString()));
            QCOMPARE(a->shortcut(), QKeySequence(spec.shortcut, QKeySequence::PortableText));
            QVERIFY2(toolbar->actions().contains(a), qPrintable(spec.name));
            if (a->isEnabled())
                QCOMPARE(a->toolTip(), spec.description.english());
        }
        QCOMPARE(m_window->action(EngineHost::Action::Rescale)->text(), QStringLiteral("Resc&ale…"));
    }

    // Parameters out of the catalogue's range: refused before anything runs, with the catalogue's
    // message in the status bar and in the audit log.
    void rescaleOutOfRangeIsRefused_data()
    {
        QTest::addColumn<int>("parallelism");
        QTest::newRow("0") << 0;
        QTest::newRow("max + 1") << kMaxParallelism + 1;
    }
    void rescaleOutOfRangeIsRefused()
    {
        QFETCH(int, parallelism);
        const QVariantMap parameters{{QStringLiteral("parallelism"), parallelism}};
        const QString message = ActionCatalogue::checkParameters(EngineHost::Action::Rescale, parameters)->english();
        QCOMPARE(message, QStringLiteral("parallelism must be an integer from 1 to %1").arg(kMaxParallelism));
        QSignalSpy finished(m_host.get(), &EngineHost::actionFinished);
        QCOMPARE(m_window->runAction(EngineHost::Action::Rescale, false, parameters), qint64(0));
        QCOMPARE(m_window->statusBar()->currentMessage(), message);
        const AuditEntry newest = m_host->auditLog().recent(1).value(0);
        QCOMPARE(newest.action, QStringLiteral("rescale"));
        QCOMPARE(newest.outcome, QStringLiteral("refused"));
        QCOMPARE(newest.detail, message);
        // Nothing started: once a later accepted action has finished (the worker answers in order),
        // a refused one would already have reported.
        const qint64 later = m_window->runAction(EngineHost::Action::PauseSource, true);
        QVERIFY(later > 0);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QCOMPARE(finished.front().at(0).toLongLong(), later);
        QCOMPARE(m_host->config().runtime.parallelism, 2);
    }

    // A rescale that cannot succeed (here the savepoint folder is a file, so neither the savepoint
    // nor the new job could be written) is refused by its pre-flight checks before the running job
    // is touched: the job runs on at its parallelism, the console says why and the audit log has
    // every check's result and the refusal.
    void rescaleThatCannotStartLeavesTheJobRunning()
    {
        const QString savepoints = QString::fromStdString(m_host->config().checkpoint.savepointDir);
        QDir(savepoints).removeRecursively();
        QFile blocker(savepoints);
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        QSignalSpy finished(m_host.get(), &EngineHost::actionFinished);
        const QVariantMap parameters{{QStringLiteral("parallelism"), 4}};
        QVERIFY(m_window->runAction(EngineHost::Action::Rescale, true, parameters) > 0);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 30000);
        QVERIFY(!finished.front().at(2).toBool());
        const QString message = finished.front().at(3).toString();
        QVERIFY2(message.startsWith(QStringLiteral("refused by its pre-flight checks, nothing was done: folders_writable failed: ")) &&
                     message.contains(QStringLiteral("checkpoint.savepoint_dir")) && !message.contains(QStringLiteral("parallelism_in_bounds")),
                 qPrintable(message));
        QTRY_VERIFY_WITH_TIMEOUT(m_window->statusBar()->currentMessage().contains(QStringLiteral("checkpoint.savepoint_dir")),
                                 5000);
        const QVector<AuditEntry> rows = m_host->auditLog().recent(2);
        QCOMPARE(rows.value(0).action, QStringLiteral("rescale"));
        QCOMPARE(rows.value(0).outcome, QStringLiteral("refused"));
        QCOMPARE(rows.value(0).detail, message);
        QCOMPARE(rows.value(1).outcome, QStringLiteral("checked"));
        QVERIFY2(rows.value(1).detail.startsWith(QStringLiteral("parallelism_in_bounds passed: 4 window tasks (now 2); folders_writable failed: ")),
                 qPrintable(rows.value(1).detail));
        // The job was never stopped: it keeps counting at parallelism 2.
        QVERIFY(!m_host->finished());
        QCOMPARE(m_host->config().runtime.parallelism, 2);
        const uint64_t before = m_host->snapshot().job.eventsIn;
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.eventsIn > before + 1000, 15000);
        QVERIFY(m_window->action(EngineHost::Action::Rescale)->isEnabled());
    }

    // The desktop in German, the web console on the same host in English: the REST API's labels,
    // reasons, alert titles and refusals do not follow the desktop's language.
    void germanDesktopEnglishApi()
    {
        tally::installTranslations(QStringLiteral("de_DE"));
        const auto english = qScopeGuard([] { tally::installTranslations(QStringLiteral("en_US")); });
        m_window = std::make_unique<MainWindow>(*m_host);
        m_window->show();
        QCOMPARE(m_window->action(EngineHost::Action::PauseSource)->text(), QStringLiteral("Quelle &pausieren"));
        QCOMPARE(m_window->action(EngineHost::Action::Rescale)->text(), QStringLiteral("Neu s&kalieren…"));
        QTRY_COMPARE_WITH_TIMEOUT(m_window->action(EngineHost::Action::ResumeSource)->toolTip(),
                                  QStringLiteral("Die Quelle ist nicht pausiert."), 5000);
        const QVariantMap zero{{QStringLiteral("parallelism"), 0}};
        QCOMPARE(m_window->runAction(EngineHost::Action::Rescale, false, zero), qint64(0));
        QCOMPARE(m_window->statusBar()->currentMessage(),
                 QStringLiteral("parallelism muss eine ganze Zahl von 1 bis %1 sein").arg(kMaxParallelism));
        const QString message = QStringLiteral("parallelism must be an integer from 1 to %1").arg(kMaxParallelism);
        QCOMPARE(m_host->auditLog().recent(1).value(0).detail, message); // the audit log is English too

        const QByteArray token = "catalogue-test-token";
        QFile tokens(m_dir.filePath(QStringLiteral("web-tokens")));
        QVERIFY(tokens.open(QIODevice::WriteOnly));
        tokens.write("operator ana " + WebTokens::hashHex(token) + "\n");
        tokens.close();
        WebConsoleOptions options;
        options.port = 0;
        options.tokensFile = tokens.fileName();
        WebConsole web(*m_host, options);
        const Status started = web.start();
        QVERIFY2(started.isOk(), started.message().c_str());
        QNetworkAccessManager net;
        const auto [status, catalogue] = askWeb(net, web.url(), token, "GET", QStringLiteral("api/v1/actions"));
        QCOMPARE(status, 200);
        QCOMPARE(catalogue.value(QStringLiteral("actions")).toArray().size(),
                 static_cast<qsizetype>(ActionCatalogue::all().size()));
        QCOMPARE(actionNamed(catalogue, QStringLiteral("pause_source"))[QStringLiteral("label")].toString(),
                 QStringLiteral("Pause source"));
        QCOMPARE(actionNamed(catalogue, QStringLiteral("resume_source"))[QStringLiteral("reason")].toString(),
                 QStringLiteral("The source is not paused."));
        const QJsonObject rescale = actionNamed(catalogue, QStringLiteral("rescale"));
        QCOMPARE(rescale[QStringLiteral("confirmation")].toString(),
                 ActionCatalogue::spec(EngineHost::Action::Rescale).confirmation.english());
        const QJsonObject parallelism = rescale[QStringLiteral("parameters")][0].toObject();
        QCOMPARE(parallelism[QStringLiteral("label")].toString(), QStringLiteral("Window tasks (parallelism)"));
        QCOMPARE(parallelism[QStringLiteral("maximum")].toInt(), kMaxParallelism);
        QCOMPARE(parallelism[QStringLiteral("value")].toInt(), 2);
        const auto [snapshotStatus, snapshot] = askWeb(net, web.url(), token, "GET", QStringLiteral("api/v1/snapshot"));
        QCOMPARE(snapshotStatus, 200);
        QCOMPARE(snapshot[QStringLiteral("alerts")][QStringLiteral("rules")][0][QStringLiteral("title")].toString(),
                 m_host->alerts().rules().front().title.english());
        const auto [refusedStatus, refused] =
            askWeb(net, web.url(), token, "POST", QStringLiteral("api/v1/actions/rescale"), "{\"parallelism\":0}");
        QCOMPARE(refusedStatus, 400);
        QCOMPARE(refused[QStringLiteral("error")].toString(), message);
    }

    void themeAndPageSurviveARestart()
    {
        QSettings().clear();
        m_window->setTheme(MainWindow::Theme::Dark);
        m_window->showPage(6);
        m_window->close();
        QCOMPARE(QSettings().value(QStringLiteral("theme")).toString(), QStringLiteral("dark"));
        m_window = std::make_unique<MainWindow>(*m_host);
        QCOMPARE(m_window->theme(), MainWindow::Theme::Dark);
        QCOMPARE(qApp->palette().color(QPalette::Window).lightness() < 100, true);
        m_window->show();
        QCOMPARE(m_window->pages()[6]->isVisible(), true);
        m_window->setTheme(MainWindow::Theme::Light);
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<EngineHost> m_host;
    std::unique_ptr<MainWindow> m_window;
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
