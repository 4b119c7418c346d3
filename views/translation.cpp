#include "views/translation.h"

#include "models/alerts.h"
#include "models/snapshot_models.h"

#include <QCoreApplication>
#include <QFile>

namespace tally {

namespace {

QString translate(const char *context, const char *source) { return QCoreApplication::translate(context, source); }

QString translatedText(const QVariant &text) { return translated(text.value<UiText>()); }

} // namespace

QString translated(const UiText &text) { return text.render(&translate); }

namespace {
QString &languageSlot()
{
    static QString language = QStringLiteral("en");
    return language;
}
} // namespace

QString consoleLanguage() { return languageSlot(); }

void setConsoleLanguage(const QString &language) { languageSlot() = language; }

QString runbookMarkdown(const QString &ruleId)
{
    QStringList candidates;
    if (consoleLanguage() != QLatin1String("en"))
        candidates << QStringLiteral(":/runbooks/%1/%2.md").arg(consoleLanguage(), ruleId);
    candidates << AlertModel::runbookPath(ruleId);
    for (const QString &path : candidates) {
        QFile file(path);
        if (file.open(QIODevice::ReadOnly))
            return QString::fromUtf8(file.readAll());
    }
    return {};
}

TranslatedModel::TranslatedModel(QAbstractItemModel *source, QObject *parent) : QIdentityProxyModel(parent)
{
    setSourceModel(source);
}

QVariant TranslatedModel::data(const QModelIndex &index, int role) const
{
    if (role == Qt::DisplayRole)
        if (const QVariant text = QIdentityProxyModel::data(index, kTextRole); text.isValid())
            return translatedText(text);
    if (role == Qt::ToolTipRole)
        if (const QVariant text = QIdentityProxyModel::data(index, kToolTipTextRole); text.isValid())
            return translatedText(text);
    return QIdentityProxyModel::data(index, role);
}

QVariant TranslatedModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role == Qt::DisplayRole)
        if (const QVariant text = QIdentityProxyModel::headerData(section, orientation, kTextRole); text.isValid())
            return translatedText(text);
    return QIdentityProxyModel::headerData(section, orientation, role);
}

} // namespace tally
