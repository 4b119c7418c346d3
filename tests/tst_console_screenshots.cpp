// Renders every page of the desktop console, with the engine running on the generator, to a PNG in
// the build folder (screenshots/<page>.png, also used by README.md), and fails on a blank or
// mostly empty page: a page must show more than its background, its tables rows, its charts lines.
#include "models/engine_host.h"
#include "views/main_window.h"

#include <QtTest>

#include <QApplication>
#include <QDir>
#include <QImage>
#include <QSet>

using namespace tally;

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

} // namespace

class TestConsoleScreenshots : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QCoreApplication::setOrganizationName(QStringLiteral("tally-tests"));
        QSettings().clear();
        EngineOptions options;
        options.config.source.generator.eventsPerSecond = 20000;
        options.config.source.generator.eventTimeRate = 20000;
        options.config.source.generator.startTimeMs = QDateTime::currentMSecsSinceEpoch() - 120000;
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
        m_window = std::make_unique<MainWindow>(*m_host);
        m_window->resize(1400, 900);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        // A few seconds of traffic so charts have history and windows have fired.
        QTRY_VERIFY_WITH_TIMEOUT(m_host->snapshot().job.windowsFired > 20, 20000);
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

    void everyPageRendersContent_data()
    {
        QTest::addColumn<int>("page");
        for (int i = 0; i < 9; ++i)
            QTest::newRow(qPrintable(QStringLiteral("page %1").arg(i))) << i;
    }
    void everyPageRendersContent()
    {
        QFETCH(int, page);
        QVERIFY(page < static_cast<int>(m_window->pages().size()));
        m_window->showPage(page);
        QTest::qWait(1200); // a snapshot or two, and a repaint
        const QImage image = m_window->grab().toImage();
        QVERIFY(!image.isNull());
        const QString name = m_window->pages()[static_cast<size_t>(page)]->title().toLower().replace(QLatin1Char(' '), QLatin1Char('-')).remove(QLatin1Char('&'));
        const QString dir = QDir(QStringLiteral(TALLY_SCREENSHOT_DIR)).absolutePath();
        QDir().mkpath(dir);
        const QString file = QStringLiteral("%1/%2.png").arg(dir).arg(name);
        QVERIFY(image.save(file));
        const double ink = inkShare(image);
        QVERIFY2(ink > 0.08, qPrintable(QStringLiteral("%1 looks empty: %2% of pixels differ from the background")
                                            .arg(file).arg(ink * 100, 0, 'f', 1)));
    }

    void cleanupTestCase()
    {
        m_window.reset();
        m_host.reset();
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<EngineHost> m_host;
    std::unique_ptr<MainWindow> m_window;
};

QTEST_MAIN(TestConsoleScreenshots)
#include "tst_console_screenshots.moc"
