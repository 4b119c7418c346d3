#include "models/restore_point_model.h"

#include "models/snapshot_models.h"

#include <QLocale>
#include <QRegularExpression>

namespace tally {

void RestorePointModel::setPoints(std::vector<RestorePoint> points)
{
    const bool same = points.size() == m_points.size() &&
                      std::equal(points.begin(), points.end(), m_points.begin(), [](const RestorePoint &a, const RestorePoint &b) {
                          return a.path == b.path && a.bytes == b.bytes;
                      });
    if (same)
        return; // nothing new: a view keeps its selection
    beginResetModel();
    m_points = std::move(points);
    endResetModel();
}

const RestorePoint *RestorePointModel::point(int row) const
{
    return row >= 0 && row < rowCount() ? &m_points[static_cast<size_t>(row)] : nullptr;
}

int RestorePointModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_points.size());
}

int RestorePointModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : 5; }

QVariant RestorePointModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RestorePoint &p = m_points[static_cast<size_t>(index.row())];
    if (role == Qt::TextAlignmentRole && (index.column() == 1 || index.column() == 3))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    switch (index.column()) {
    case 0: {
        const char *kind = p.kind == RestorePoint::Kind::Savepoint ? QT_TR_NOOP("savepoint")
                           : p.incremental                          ? QT_TR_NOOP("checkpoint (incremental)")
                                                                    : QT_TR_NOOP("checkpoint");
        return textData(UiText(staticMetaObject.className(), kind), role);
    }
    case 1:
        return role == Qt::DisplayRole || role == kSortRole ? QVariant(static_cast<qulonglong>(p.epoch)) : QVariant();
    case 2:
        return role == Qt::DisplayRole ? QVariant(formatClockTime(p.takenAtMs))
               : role == kSortRole     ? QVariant(static_cast<qlonglong>(p.takenAtMs))
                                       : QVariant();
    case 3:
        return role == Qt::DisplayRole ? QVariant(QLocale().formattedDataSize(static_cast<qint64>(p.bytes)))
               : role == kSortRole     ? QVariant(static_cast<qulonglong>(p.bytes))
                                       : QVariant();
    case 4:
        return role == Qt::DisplayRole || role == Qt::ToolTipRole ? QVariant(QString::fromStdString(p.path)) : QVariant();
    default:
        return {};
    }
}

QString restoreCommand(const RestorePoint &point)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./:+-]+$"));
    QString path = QString::fromStdString(point.path);
    if (!plain.match(path).hasMatch())
        path = QLatin1Char('\'') + path.replace(QLatin1String("'"), QLatin1String("'\\''")) + QLatin1Char('\'');
    return QStringLiteral("tally --restore ") + path;
}

QVariant RestorePointModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    static const char *const h[] = {QT_TR_NOOP("Kind"), QT_TR_NOOP("Epoch"), QT_TR_NOOP("Taken"), QT_TR_NOOP("Size"),
                                    QT_TR_NOOP("File")};
    if (orientation == Qt::Horizontal && section >= 0 && section < static_cast<int>(std::size(h)))
        if (QVariant v = textData(UiText(staticMetaObject.className(), h[section]), role); v.isValid())
            return v;
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace tally
