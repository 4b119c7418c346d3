// The dead-letter browser's model: the newest dead letters of the run (RecentDeadLetters), newest
// first, one row each: received, reason, partition, offset, size, detail. The rows are as the
// engine wrote them (English reason names, as in metrics and the dead_letters table); the
// headers' UiText is under kTextRole. Payloads show as text or as a hex dump.
#pragma once

#include "runtime/recent_dead_letters.h"

#include <QAbstractTableModel>
#include <QString>

#include <optional>
#include <vector>

namespace tally {

class DeadLetterModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    using QAbstractTableModel::QAbstractTableModel;

    // The letters to show, newest first (RecentDeadLetters::newest()).
    void setLetters(std::vector<BrowsedDeadLetter> letters);
    const BrowsedDeadLetter *letter(int row) const;
    std::optional<int> rowOf(uint64_t sequence) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<BrowsedDeadLetter> m_letters;
};

// A payload as text: UTF-8 as it is, other bytes and control characters (but newline and tab)
// as \xNN (the hex dump is the exact view).
QString payloadAsText(const std::string &bytes);
// A payload as a hex dump: 16 bytes a line, "00000010  7b 22 70 ...  {"p...".
QString payloadAsHex(const std::string &bytes);

} // namespace tally
