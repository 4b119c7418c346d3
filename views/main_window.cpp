#include "views/main_window.h"

#include "models/action_catalogue.h"
#include "views/translation.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLibraryInfo>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPalette>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyleFactory>
#include <QToolBar>
#include <QTranslator>

namespace tally {

namespace {

QPalette darkPalette()
{
    QPalette p;
    const QColor window(37, 37, 40), base(28, 28, 30), text(230, 230, 230), highlight(42, 130, 218);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, highlight.lighter());
    p.setColor(QPalette::Disabled, QPalette::Text, text.darker(170));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, text.darker(170));
    p.setColor(QPalette::Disabled, QPalette::WindowText, text.darker(170));
    return p;
}

} // namespace

void installTranslations(const QString &language)
{
    const QString chosen = language.isEmpty() ? QSettings().value(QStringLiteral("language")).toString() : language;
    const QLocale locale = chosen.isEmpty() ? QLocale::system() : QLocale(chosen);
    auto *app = QCoreApplication::instance();
    static QTranslator *own = nullptr;
    static QTranslator *qt = nullptr;
    for (QTranslator *t : {own, qt})
        if (t)
            QCoreApplication::removeTranslator(t);
    own = new QTranslator(app);
    const bool loaded = own->load(locale, QStringLiteral("tally"), QStringLiteral("_"), QStringLiteral(":/i18n"));
    if (loaded)
        QCoreApplication::installTranslator(own);
    setConsoleLanguage(loaded ? locale.name().section(QLatin1Char('_'), 0, 0) : QStringLiteral("en"));
    qt = new QTranslator(app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
}

MainWindow::MainWindow(EngineHost &host, QWidget *parent)
    : QMainWindow(parent), m_host(host), m_models(std::make_unique<ConsoleModels>(host))
{
    setWindowTitle(tr("Tally — like-counting pipeline"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/tally.svg")));
    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    m_nav = new QListWidget(central);
    m_nav->setObjectName(QStringLiteral("navigation"));
    m_nav->setFixedWidth(190);
    m_stack = new QStackedWidget(central);
    m_pages = createPages(host, *m_models, m_stack);
    for (Page *page : m_pages) {
        m_nav->addItem(page->title());
        m_stack->addWidget(page);
        connect(page, &Page::actionRequested, this, [this](EngineHost::Action a) { runAction(a); });
    }
    layout->addWidget(m_nav);
    layout->addWidget(m_stack, 1);
    setCentralWidget(central);
    connect(m_nav, &QListWidget::currentRowChanged, this, &MainWindow::showPage);

    m_status = new QLabel(this);
    statusBar()->addPermanentWidget(m_status, 1);
    createActions();

    connect(&host, &EngineHost::snapshotUpdated, this, &MainWindow::refresh);
    connect(&host, &EngineHost::actionFinished, this, &MainWindow::onActionFinished);
    connect(&host, &EngineHost::actionVerified, this, [this](qint64, EngineHost::Action action, bool verified, const QString &message) {
        statusBar()->showMessage(verified ? tr("%1: done, verified: %2").arg(EngineHost::actionName(action), message)
                                          : tr("%1: done, not verified: %2").arg(EngineHost::actionName(action), message),
                                 15000);
    });
    connect(&host, &EngineHost::jobFinished, this, [this] { statusBar()->showMessage(tr("The job has finished.")); });

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    if (!settings.contains(QStringLiteral("window/geometry")))
        resize(1280, 820);
    setTheme(settings.value(QStringLiteral("theme")).toString() == QLatin1String("dark") ? Theme::Dark : Theme::Light);
    m_nav->setCurrentRow(std::clamp(settings.value(QStringLiteral("window/page"), 0).toInt(), 0,
                                    static_cast<int>(m_pages.size()) - 1));
    refresh();
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/page"), m_nav->currentRow());
    QMainWindow::closeEvent(event);
}

void MainWindow::showPage(int index)
{
    if (index < 0 || index >= static_cast<int>(m_pages.size()))
        return;
    if (m_nav->currentRow() != index)
        m_nav->setCurrentRow(index);
    m_stack->setCurrentIndex(index);
    m_pages[static_cast<size_t>(index)]->refresh();
}

void MainWindow::createActions()
{
    QMenu *actions = menuBar()->addMenu(tr("&Actions"));
    QToolBar *toolbar = addToolBar(tr("Actions"));
    toolbar->setObjectName(QStringLiteral("actionsToolbar"));
    std::optional<ActionSpec::Subject> subject;
    for (const ActionSpec &spec : ActionCatalogue::all()) {
        if (subject && *subject != spec.subject) {
            actions->addSeparator();
            toolbar->addSeparator();
        }
        subject = spec.subject;
        // "…": the action asks something before it runs.
        auto *a = new QAction(translated(spec.label) + (spec.asks() ? QStringLiteral("…") : QString()), this);
        a->setObjectName(spec.name);
        if (!spec.shortcut.isEmpty())
            a->setShortcut(QKeySequence(spec.shortcut, QKeySequence::PortableText));
        connect(a, &QAction::triggered, this, [this, action = spec.action] { runAction(action); });
        actions->addAction(a);
        toolbar->addAction(a);
        m_actions.insert(spec.action, a);
    }
    actions->addSeparator();
    QAction *quit = actions->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    quit->setObjectName(QStringLiteral("quit"));

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < static_cast<int>(m_pages.size()); ++i) {
        QAction *go = view->addAction(m_pages[static_cast<size_t>(i)]->title(), this, [this, i] { showPage(i); });
        if (i < 10) // Alt+1 ... Alt+9, then Alt+0
            go->setShortcut(QKeySequence(Qt::ALT | static_cast<Qt::Key>(i < 9 ? Qt::Key_1 + i : Qt::Key_0)));
    }
    view->addSeparator();
    QAction *dark = view->addAction(tr("&Dark theme"));
    dark->setCheckable(true);
    dark->setObjectName(QStringLiteral("darkTheme"));
    connect(dark, &QAction::toggled, this, [this](bool on) { setTheme(on ? Theme::Dark : Theme::Light); });
    view->addAction(tr("&Language…"), this, &MainWindow::chooseLanguage);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Tally"), this, [this] {
        QMessageBox::about(this, tr("About Tally"),
                           tr("<b>Tally</b> %1<br>Counts likes in real time: event-time windows with watermarks, "
                              "from Kafka or the built-in generator into SQLite or PostgreSQL.")
                               .arg(QCoreApplication::applicationVersion()));
    });
    updateActions();
}

void MainWindow::updateActions()
{
    for (auto it = m_actions.begin(); it != m_actions.end(); ++it) {
        const EngineHost::Availability a = m_host.availability(it.key());
        it.value()->setEnabled(a.enabled);
        it.value()->setToolTip(translated(a.enabled ? ActionCatalogue::spec(it.key()).description : a.reason));
        it.value()->setStatusTip(it.value()->toolTip());
    }
}

qint64 MainWindow::runAction(EngineHost::Action a, bool confirmed, QVariantMap parameters)
{
    const ActionSpec &spec = ActionCatalogue::spec(a);
    const QString title = ActionCatalogue::withoutMnemonic(translated(spec.label));
    const auto refused = [&](const UiText &reason) {
        statusBar()->showMessage(translated(reason), 8000);
        return m_host.run(a, currentUser(), QStringLiteral("desktop"), parameters); // recorded as refused
    };
    const EngineHost::Availability available = m_host.availability(a);
    if (!available.enabled)
        return refused(available.reason);
    if (!confirmed) {
        const QVariantMap current = m_host.currentParameters(a);
        for (const ActionParameter &p : spec.parameters) {
            if (parameters.contains(p.name))
                continue;
            bool ok = false;
            switch (p.type) {
            case ActionParameter::Type::Integer:
                parameters.insert(p.name, QInputDialog::getInt(this, title, tr("%1:").arg(translated(p.label)),
                                                               current.value(p.name, p.minimum).toInt(), p.minimum,
                                                               p.maximum, 1, &ok));
                break;
            case ActionParameter::Type::RestorePoint: {
                // The files the job's folders hold, newest first (as the Checkpoints page lists them).
                QStringList files;
                for (const RestorePoint &r : m_host.restorePoints())
                    files << QString::fromStdString(r.path);
                if (files.isEmpty()) {
                    statusBar()->showMessage(tr("No checkpoint or savepoint on disk to restore from."), 8000);
                    return 0;
                }
                const int newest = static_cast<int>(std::max<qsizetype>(0, files.indexOf(current.value(p.name).toString())));
                parameters.insert(p.name, QInputDialog::getItem(this, title, tr("%1:").arg(translated(p.label)), files,
                                                                newest, false, &ok));
                break;
            }
            }
            if (!ok)
                return 0;
        }
    }
    if (const std::optional<UiText> wrong = m_host.parameterProblem(a, parameters))
        return refused(*wrong);
    if (spec.confirms() && !confirmed) {
        // What it will do and what it checks first (the dry run, in English as the audit log has it).
        const EngineHost::Plan plan = m_host.plan(a, parameters);
        QString details = QString::fromStdString(plan.dryRun);
        if (!plan.checks.empty()) {
            QStringList checks;
            for (const std::string &check : plan.checks)
                checks << QString::fromStdString(check);
            details += QStringLiteral("\n\n") + tr("Checked first: %1").arg(checks.join(QStringLiteral(", ")));
        }
        QMessageBox box(QMessageBox::Question, title, translated(spec.confirmation), QMessageBox::Yes | QMessageBox::No, this);
        box.setTextFormat(Qt::PlainText); // paths and figures, never markup
        box.setInformativeText(details);
        if (box.exec() != QMessageBox::Yes)
            return 0;
    }
    statusBar()->showMessage(tr("%1: running…").arg(spec.name));
    return m_host.run(a, currentUser(), QStringLiteral("desktop"), parameters);
}

void MainWindow::onActionFinished(qint64, EngineHost::Action action, bool ok, const QString &message)
{
    statusBar()->showMessage(ok ? tr("%1: done").arg(EngineHost::actionName(action))
                                : tr("%1 failed: %2").arg(EngineHost::actionName(action), message),
                             10000);
    updateActions();
}

void MainWindow::refresh()
{
    const ConsoleSnapshot &s = m_host.snapshot();
    m_models->update(s);
    updateActions();
    if (Page *page = qobject_cast<Page *>(m_stack->currentWidget()))
        page->refresh();
    m_status->setText(tr("%1 | %2 | database up to date to %3 | alerts firing: %4")
                          .arg(translated(formatJobState(s.job.state)), translated(formatRate(s.eventsPerSecond)),
                               translated(formatFreshness(s.freshness)))
                          .arg(m_models->alerts.activeCount()));
    m_status->setToolTip(translated(formatFreshnessParts(s.freshness)));
}

void MainWindow::setTheme(Theme theme)
{
    m_theme = theme;
    qApp->setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    qApp->setPalette(theme == Theme::Dark ? darkPalette() : qApp->style()->standardPalette());
    QSettings().setValue(QStringLiteral("theme"), theme == Theme::Dark ? QStringLiteral("dark") : QStringLiteral("light"));
    if (QAction *dark = findChild<QAction *>(QStringLiteral("darkTheme")))
        dark->setChecked(theme == Theme::Dark);
}

void MainWindow::chooseLanguage()
{
    const QStringList names = {tr("System default"), QStringLiteral("English"), QStringLiteral("Deutsch"),
                               QStringLiteral("日本語")};
    const QStringList codes = {QString(), QStringLiteral("en"), QStringLiteral("de"), QStringLiteral("ja")};
    bool ok = false;
    const QString choice = QInputDialog::getItem(this, tr("Language"), tr("Language (applies after a restart):"), names,
                                                 0, false, &ok);
    if (!ok)
        return;
    QSettings().setValue(QStringLiteral("language"), codes[names.indexOf(choice)]);
    statusBar()->showMessage(tr("The language changes when Tally starts next."), 8000);
}

} // namespace tally
