// Translation for display: the models speak English (UiText); the desktop views show their text
// in the user's language through the translators installTranslations() installed.
#pragma once

#include "models/ui_text.h"

#include <QIdentityProxyModel>
#include <QString>

namespace tally {

// `text` in the current language (English where a message has no translation).
QString translated(const UiText &text);

// The language the console shows: "de" or "ja" once installTranslations() loaded that
// translation, else "en".
QString consoleLanguage();
void setConsoleLanguage(const QString &language);
// A rule's runbook (Markdown) in the console's language (resources/runbooks/<language>/<id>.md),
// else in English (resources/runbooks/<id>.md); empty if the rule has none.
QString runbookMarkdown(const QString &ruleId);

// A model's text cells, tooltips and headers translated (from kTextRole and kToolTipTextRole);
// everything else as the model has it. The pages' tables show their models through one.
class TranslatedModel final : public QIdentityProxyModel {
    Q_OBJECT
public:
    explicit TranslatedModel(QAbstractItemModel *source, QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
};

} // namespace tally
