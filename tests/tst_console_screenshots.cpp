// Renders every page of the desktop console, with the engine consuming a topic of the real broker
// of the kafka_broker CTest fixture (tally-loadgen produces into it at a steady rate, a few records
// corrupted, so that the Consumer lag, Kafka and Dead letters pages have what they show in
// production), in English, German and Japanese, light and dark, at 1280x800, to PNGs in the build folder
// (screenshots/<page>.png and <page>-dark.png in English, which scripts/screenshots.sh copies to
// docs/screenshots for README.md; <language>-<theme>-<page>.png for the others), and checks what a
// user would see:
// - a page shows more than its background (its tables rows, its charts lines);
// - every chart has its axes' labels shown, a title on each axis (the unit), and every point of
//   every line within its axes' ranges (no sentinel or epoch value squashing the real ones);
// - no text is cut: every visible label and button gets at least the width its text needs;
// - every toolbar action is on the toolbar or behind its overflow button.
#include "models/engine_host.h"
#include "support/kafka_test_support.h"
#include "support/wait.h"
#include "views/main_window.h"

#include <QtTest>

#include <QAbstractButton>
#include <QAbstractAxis>
#include <QApplication>
#include <QChartView>
#include <QDateTimeAxis>
#include <QDir>
#include <QFontDatabase>
#include <QImage>
#include <QLabel>
#include <QSet>
#include <QToolBar>
#include <QValueAxis>
#include <QXYSeries>

using namespace tally;
using namespace tally::test;

namespace {

// Share of pixels that differ from the most common colour (the background).
double inkShare(const QImage &image)
{
    QHash<QRgb, int> counts;
    for (int y = 0; y < image.height(); y += 2)
        for (int x = 0; x < image.width(); x += 2)
            ++counts[image.pixel(x, y)];
    int most = 0, total = 0;
    for (auto it = counts.begin(); it != counts.end(); ++it) {
        most = std::max(most, it.value());
        total += it.value();
    }
    return total ? 1.0 - double(most) / total : 0;
}

// An axis's range as numbers (a date-time axis in ms since the epoch).
std::pair<double, double> axisRange(const QAbstractAxis *axis)
{
    if (const auto *v = qobject_cast<const QValueAxis *>(axis))
        return {v->min(), v->max()};
    if (const auto *t = qobject_cast<const QDateTimeAxis *>(axis))
        return {double(t->min().toMSecsSinceEpoch()), double(t->max().toMSecsSinceEpoch())};
    return {-qInf(), qInf()};
}

// Whether a rendered strip of a chart holds text: ink (pixels unlike the strip's most common
// colour) in at least `parts` of its four quarters along its length. A quarter has ink when a
// dozen of its pixels do, whatever its size: a tall plot's quarter may hold one short label.
bool stripHasText(const QImage &image, QRect strip, bool horizontal, int parts)
{
    strip = strip.intersected(image.rect());
    if (strip.isEmpty())
        return false;
    const int length = horizontal ? strip.width() : strip.height();
    int quartersWithInk = 0;
    for (int q = 0; q < 4; ++q) {
        QRect part = horizontal ? QRect(strip.left() + q * length / 4, strip.top(), length / 4, strip.height())
                                : QRect(strip.left(), strip.top() + q * length / 4, strip.width(), length / 4);
        quartersWithInk += inkShare(image.copy(part)) * part.width() * part.height() >= 12 ? 1 : 0;
    }
    return quartersWithInk >= parts;
}

// What is wrong with the charts of `page`, one line per problem; empty: nothing.
QStringList chartProblems(QWidget *page)
{
    QStringList problems;
    for (QChartView *view : page->findChildren<QChartView *>()) {
        if (!view->isVisible())
            continue;
        QChart *chart = view->chart();
        const QString name = chart->title().section(QLatin1Char('\n'), 0, 0);
        // The axes' labels as drawn: a strip under the plot area and one left of it.
        const QImage drawn = view->grab().toImage();
        const QRect plot = view->mapFromScene(chart->mapToScene(chart->plotArea())).boundingRect();
        if (!stripHasText(drawn, QRect(plot.left(), plot.bottom() + 3, plot.width(), 12), true, 2))
            problems << QStringLiteral("%1: no labels drawn under the plot (horizontal axis)").arg(name);
        if (!stripHasText(drawn, QRect(plot.left() - 28, plot.top(), 24, plot.height()), false, 2))
            problems << QStringLiteral("%1: no labels drawn left of the plot (vertical axis)").arg(name);
        for (QAbstractAxis *axis : chart->axes()) {
            if (!axis->labelsVisible())
                problems << QStringLiteral("%1: an axis without labels").arg(name);
            if (axis->titleText().isEmpty())
                problems << QStringLiteral("%1: an axis without a title (unit)").arg(name);
        }
        for (QAbstractSeries *series : chart->series()) {
            auto *xy = qobject_cast<QXYSeries *>(series);
            if (!xy)
                continue;
            const QList<QAbstractAxis *> axes = xy->attachedAxes();
            for (QAbstractAxis *axis : axes) {
                const auto [low, high] = axisRange(axis);
                const bool horizontal = axis->orientation() == Qt::Horizontal;
                for (const QPointF &p : xy->points()) {
                    const double v = horizontal ? p.x() : p.y();
                    if (v < low || v > high) {
                        problems << QStringLiteral("%1, line \"%2\": %3 outside its axis [%4, %5]")
                                        .arg(name, xy->name())
                                        .arg(v, 0, 'g', 12)
                                        .arg(low, 0, 'g', 12)
                                        .arg(high, 0, 'g', 12);
                        break;
                    }
                }
            }
        }
    }
    return problems;
}

// Visible labels and buttons narrower than their text needs; empty: none.
QStringList clippedText(QWidget *root)
{
    QStringList problems;
    for (QLabel *label : root->findChildren<QLabel *>()) {
        if (!label->isVisibleTo(root) || label->wordWrap() || label->text().isEmpty() || !label->pixmap().isNull())
            continue;
        if (label->width() + 1 < label->minimumSizeHint().width())
            problems << QStringLiteral("label \"%1\": %2 px for %3 px of text").arg(label->text()).arg(label->width()).arg(label->minimumSizeHint().width());
    }
    for (QAbstractButton *button : root->findChildren<QAbstractButton *>()) {
        if (!button->isVisibleTo(root) || button->text().isEmpty())
            continue;
        if (button->width() + 1 < button->minimumSizeHint().width())
            problems << QStringLiteral("button \"%1\": %2 px for %3 px").arg(button->text()).arg(button->width()).arg(button->minimumSizeHint().width());
    }
    return problems;
}

// Toolbar actions neither on the toolbar nor reachable through its overflow button.
QStringList unreachableActions(QMainWindow *window)
{
    QStringList problems;
    for (QToolBar *toolbar : window->findChildren<QToolBar *>()) {
        const auto *overflow = toolbar->findChild<QAbstractButton *>(QStringLiteral("qt_toolbar_ext_button"));
        const bool overflowShown = overflow && overflow->isVisible();
        for (QAction *action : toolbar->actions()) {
            if (action->isSeparator())
                continue;
            QWidget *w = toolbar->widgetForAction(action);
            const bool onBar = w && w->isVisible() && toolbar->rect().contains(w->geometry());
            if (!onBar && !overflowShown)
                problems << QStringLiteral("\"%1\" is neither on the toolbar nor behind its overflow button").arg(action->text());
        }
    }
    return problems;
}

} // namespace

class TestConsoleScreenshots : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QCoreApplication::setOrganizationName(QStringLiteral("tally-tests"));
        QSettings().clear();
        QVERIFY2(!brokerDir().isEmpty(), "TALLY_KAFKA_BROKER_DIR is not set: run through ctest (kafka_broker fixture)");
        const QString topic = QStringLiteral("screenshots-%1").arg(QCoreApplication::applicationPid());
        QVERIFY(createTopic(topic, 4));
        // Event time two minutes behind the clock and keeping pace with it; one record in a
        // thousand corrupted, so the Dead letters page has records to show.
        constexpr int kRate = 5000;
        m_loadgen.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_loadgen.start(QStringLiteral(TALLY_LOADGEN_PATH),
                        {QStringLiteral("--bootstrap"), bootstrap(), QStringLiteral("--topic"), topic,
                         QStringLiteral("--rate"), QString::number(kRate), QStringLiteral("--duration"), QStringLiteral("900"),
                         QStringLiteral("--start-time-ms"), QString::number(QDateTime::currentMSecsSinceEpoch() - 120000),
                         QStringLiteral("--malformed-fraction"), QStringLiteral("0.001"), QStringLiteral("--quiet")});
        QVERIFY2(m_loadgen.waitForStarted(), qPrintable(m_loadgen.errorString()));
        EngineOptions options;
        options.config.source.type = SourceConfig::Type::Kafka;
        options.config.source.kafka.bootstrapServers = bootstrap().toStdString();
        options.config.source.kafka.topic = topic.toStdString();
        options.config.source.kafka.groupId = ("tst-" + topic).toStdString();
        options.config.likesPerPost.windowMs = 5000; // windows fire within seconds
        options.config.likesByRegion.windowsMs = {5000, 60000};
        options.config.likeVelocity.sizeMs = 30000;
        options.config.likeVelocity.slideMs = 5000;
        options.config.watermark.boundMs = 1000;
        options.config.output.sqlitePath = m_dir.filePath(QStringLiteral("tally.db")).toStdString();
        options.auditPath = m_dir.filePath(QStringLiteral("audit.db"));
        options.config.checkpoint.savepointDir = m_dir.filePath(QStringLiteral("savepoints")).toStdString();
        options.config.checkpoint.enabled = true; // so the Checkpoints page has history
        options.config.checkpoint.dir = m_dir.filePath(QStringLiteral("checkpoints")).toStdString();
        QString error;
        m_host = EngineHost::create(options, &error);
        QVERIFY2(m_host, qPrintable(error));
        QVERIFY(m_host->start().isOk());
        openWindow(QStringLiteral("en"));
        // A few seconds of traffic so charts have history and windows have fired.
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.windowsFired > 20, 20000);
        // The Windows page's chart follows the leading post: watched from here, so it has a
        // history of a few windows by the time that page is drawn.
        for (const LiveWindow &w : m_host->snapshot().windows)
            if (w.aggregation == Aggregation::LikesPerPost && !w.leaders.empty())
                m_host->watchPost(w.leaders.front().key);
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().watchedHistory.size() >= 2, 20000);
        // The Kafka page: the broker has described the group, with this process in it.
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.topic && !m_host->snapshot().job.topic->members.empty(), 20000);
        QTest::qWait(4000);
        // Two operator actions, so the audit log has rows to show.
        QSignalSpy finished(m_host.get(), &EngineHost::actionFinished);
        QVERIFY(m_host->run(EngineHost::Action::PauseSource, QStringLiteral("oncall"), QStringLiteral("desktop")) > 0);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_host->snapshot().job.state, JobStatus::State::Paused, 5000);
        QVERIFY(m_host->run(EngineHost::Action::ResumeSource, QStringLiteral("oncall"), QStringLiteral("desktop")) > 0);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 5000);
        QTest::qWait(2000);
    }

    void everyPageReads_data()
    {
        QTest::addColumn<QString>("language");
        QTest::addColumn<bool>("dark");
        for (const char *language : {"en", "de", "ja"})
            for (bool dark : {false, true})
                QTest::newRow(qPrintable(QStringLiteral("%1 %2").arg(QLatin1String(language), dark ? QStringLiteral("dark") : QStringLiteral("light"))))
                    << QString::fromLatin1(language) << dark;
    }
    void everyPageReads()
    {
        QFETCH(QString, language);
        QFETCH(bool, dark);
        if (language != m_language)
            openWindow(language);
        m_window->setTheme(dark ? MainWindow::Theme::Dark : MainWindow::Theme::Light);
        const QString dir = QDir(QStringLiteral(TALLY_SCREENSHOT_DIR)).absolutePath();
        QDir().mkpath(dir);
        QStringList problems = unreachableActions(m_window.get());
        QCOMPARE(m_window->pages().size(), size_t(11));
        for (int page = 0; page < 11; ++page) {
            // Two snapshots after the page is shown: it has refreshed from a full one (grab()
            // renders the widgets as they are then).
            QSignalSpy updated(m_host.get(), &EngineHost::snapshotUpdated);
            m_window->showPage(page);
            TALLY_WAIT_UNTIL(updated.size() >= 2, std::chrono::seconds(10), "two console snapshots");
            Page *shown = m_window->pages()[static_cast<size_t>(page)];
            // A page whose table picks what shows below it (Dead letters): the newest row.
            if (QTableView *table = shown->tables().empty() ? nullptr : shown->tables().front();
                table && shown->objectName() == QLatin1String("deadLettersPage")) {
                QVERIFY2(table->model()->rowCount() > 0, "no dead letters to show");
                table->setCurrentIndex(table->model()->index(0, 0));
            }
            const QImage image = m_window->grab().toImage();
            QVERIFY(!image.isNull());
            const QString name = QStringLiteral("%1 %2").arg(language, m_englishTitles.value(page));
            const QString file = language == QLatin1String("en")
                                     ? QStringLiteral("%1/%2%3.png").arg(dir, m_englishTitles.value(page), dark ? QStringLiteral("-dark") : QString())
                                     : QStringLiteral("%1/%2-%3-%4.png").arg(dir, language, dark ? QStringLiteral("dark") : QStringLiteral("light"), m_englishTitles.value(page));
            QVERIFY(image.save(file));
            const double ink = inkShare(image);
            if (ink <= 0.08)
                problems << QStringLiteral("%1 looks empty: %2% of pixels differ from the background").arg(file).arg(ink * 100, 0, 'f', 1);
            for (const QString &p : chartProblems(shown) + clippedText(m_window.get()))
                problems << QStringLiteral("%1: %2").arg(name, p);
        }
        problems.removeDuplicates();
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    }

    void cleanupTestCase()
    {
        m_window.reset();
        m_host.reset();
        m_loadgen.kill();
        m_loadgen.waitForFinished(10000);
    }

private:
    // A main window in `language` (the translators are installed before it is built), at the
    // smaller of the sizes the consoles must fit.
    void openWindow(const QString &language)
    {
        m_window.reset();
        // Japanese drawn without a font for it is empty boxes, which no other check here sees.
        if (language == QLatin1String("ja"))
            QVERIFY2(!QFontDatabase::families(QFontDatabase::Japanese).isEmpty(),
                     "no font for Japanese here: the pages would be empty boxes (scripts/install-deps.sh installs one)");
        installTranslations(language);
        m_language = language;
        m_window = std::make_unique<MainWindow>(*m_host);
        m_window->resize(1280, 800);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        if (language == QLatin1String("en"))
            for (Page *page : m_window->pages())
                m_englishTitles << page->title().toLower().replace(QLatin1Char(' '), QLatin1Char('-')).remove(QLatin1Char('&'));
    }

    QTemporaryDir m_dir;
    QProcess m_loadgen;
    QString m_language;
    QStringList m_englishTitles; // file names, the same in every language
    std::unique_ptr<EngineHost> m_host;
    std::unique_ptr<MainWindow> m_window;
};

QTEST_MAIN(TestConsoleScreenshots)
#include "tst_console_screenshots.moc"
