// The desktop console's main window: navigation on the left, one page per concern, operator
// actions in the toolbar and the Actions menu as the ActionCatalogue describes them (those that
// ask confirm first and prompt for their parameters; unavailable ones are disabled with the reason
// as tooltip), light and dark themes, language choice, and the window layout kept in QSettings.
#pragma once

#include "models/engine_host.h"
#include "views/pages.h"

#include <QMainWindow>
#include <QMap>

#include <memory>

class QAction;
class QListWidget;
class QStackedWidget;
class QLabel;

namespace tally {

class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(EngineHost &host, QWidget *parent = nullptr);
    ~MainWindow() override;

    const std::vector<Page *> &pages() const { return m_pages; }
    void showPage(int index);
    QAction *action(EngineHost::Action a) const { return m_actions.value(a); }
    // Runs an action as the operator would: asks for the parameters `parameters` lacks and for
    // confirmation where the catalogue says so (unless `confirmed`), then runs it as the current
    // user. A refusal (unavailable, or parameters out of range) shows its reason in the status bar
    // and is audited. Returns the audit id (0: not run).
    qint64 runAction(EngineHost::Action a, bool confirmed = false, QVariantMap parameters = {});

    enum class Theme { Light, Dark };
    void setTheme(Theme theme);
    Theme theme() const { return m_theme; }

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void updateActions();
    void refresh();
    void onActionFinished(qint64 id, EngineHost::Action action, bool ok, const QString &message);
    void chooseLanguage();

    EngineHost &m_host;
    std::unique_ptr<ConsoleModels> m_models;
    QListWidget *m_nav = nullptr;
    QStackedWidget *m_stack = nullptr;
    QLabel *m_status = nullptr;
    std::vector<Page *> m_pages;
    QMap<EngineHost::Action, QAction *> m_actions;
    Theme m_theme = Theme::Light;
};

// The language the console uses: the saved choice, else the system locale. Installs the
// translators on the application; call before creating windows.
void installTranslations(const QString &language = {});

} // namespace tally
