// The checkpoints and savepoints on disk a job can continue from (listRestorePoints), newest
// first: kind, epoch, taken, size, file. Kinds and headers carry their UiText (kTextRole); the
// file is its path as is.
#pragma once

#include "checkpoint/checkpoint_store.h"

#include <QAbstractTableModel>

#include <vector>

namespace tally {

class RestorePointModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    using QAbstractTableModel::QAbstractTableModel;

    void setPoints(std::vector<RestorePoint> points);
    const RestorePoint *point(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<RestorePoint> m_points;
};

// The command that continues from `point`: "tally --restore PATH", the path quoted for a POSIX
// shell when it holds anything but plain characters.
QString restoreCommand(const RestorePoint &point);

} // namespace tally
