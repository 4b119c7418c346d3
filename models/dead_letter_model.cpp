#include "models/dead_letter_model.h"

#include "models/snapshot_models.h"


namespace tally {

void DeadLetterModel::setLetters(std::vector<BrowsedDeadLetter> letters)
{
    // Same letters in the same rows (nothing new): only the cells change, so a view keeps its
    // selection and scroll position.
    const bool sameRows = letters.size() == m_letters.size() &&
                          (letters.empty() || letters.front().sequence == m_letters.front().sequence);
    if (sameRows) {
        m_letters = std::move(letters);
        if (!m_letters.empty())
            emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
        return;
    }
    beginResetModel();
    m_letters = std::move(letters);
    endResetModel();
}

const BrowsedDeadLetter *DeadLetterModel::letter(int row) const
{
    return row >= 0 && row < rowCount() ? &m_letters[static_cast<size_t>(row)] : nullptr;
}

std::optional<int> DeadLetterModel::rowOf(uint64_t sequence) const
{
    for (size_t i = 0; i < m_letters.size(); ++i)
        if (m_letters[i].sequence == sequence)
            return static_cast<int>(i);
    return std::nullopt;
}

int DeadLetterModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_letters.size());
}

int DeadLetterModel::columnCount(const QModelIndex &parent) const { return parent.isValid() ? 0 : 6; }

QVariant DeadLetterModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const BrowsedDeadLetter &d = m_letters[static_cast<size_t>(index.row())];
    if (role == Qt::TextAlignmentRole && (index.column() == 2 || index.column() == 3 || index.column() == 4))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == kSortRole) {
        switch (index.column()) {
        case 0:
            return static_cast<qulonglong>(d.sequence);
        case 2:
            return d.partition;
        case 3:
            return static_cast<qlonglong>(d.offset);
        case 4:
            return static_cast<qulonglong>(d.payloadBytes);
        default:
            break;
        }
    }
    if (role != Qt::DisplayRole && role != kSortRole)
        return {};
    switch (index.column()) {
    case 0:
        return formatClockTime(d.atMs);
    case 1:
        return QString::fromUtf8(rejectReasonName(d.reason));
    case 2:
        return d.partition;
    case 3:
        return static_cast<qlonglong>(d.offset);
    case 4:
        return formatCount(static_cast<double>(d.payloadBytes));
    case 5:
        return QString::fromStdString(d.detail);
    default:
        return {};
    }
}

QVariant DeadLetterModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    static const char *const h[] = {QT_TR_NOOP("Received"), QT_TR_NOOP("Reason"), QT_TR_NOOP("Partition"),
                                    QT_TR_NOOP("Offset"),   QT_TR_NOOP("Bytes"),  QT_TR_NOOP("Detail")};
    if (orientation == Qt::Horizontal && section >= 0 && section < static_cast<int>(std::size(h)))
        if (QVariant v = textData(UiText(staticMetaObject.className(), h[section]), role); v.isValid())
            return v;
    return QAbstractTableModel::headerData(section, orientation, role);
}

QString payloadAsText(const std::string &bytes)
{
    const auto escaped = [](unsigned char byte) { return QStringLiteral("\\x%1").arg(byte, 2, 16, QLatin1Char('0')); };
    QString out;
    out.reserve(static_cast<qsizetype>(bytes.size()));
    for (size_t i = 0; i < bytes.size();) {
        const auto byte = static_cast<unsigned char>(bytes[i]);
        if (byte < 0x80) {
            if ((byte >= 0x20 && byte != 0x7f) || byte == '\n' || byte == '\t')
                out += QLatin1Char(static_cast<char>(byte));
            else
                out += escaped(byte);
            ++i;
            continue;
        }
        // A UTF-8 sequence: its lead byte says how long; Qt refuses overlong forms and surrogates.
        const size_t length = (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3 : (byte >> 3) == 0x1e ? 4 : 0;
        bool whole = length > 0 && i + length <= bytes.size();
        for (size_t k = 1; whole && k < length; ++k)
            whole = (static_cast<unsigned char>(bytes[i + k]) & 0xc0) == 0x80;
        const QString decoded = whole ? QString::fromUtf8(bytes.data() + i, static_cast<qsizetype>(length)) : QString();
        if (!whole || decoded.contains(QChar::ReplacementCharacter)) {
            out += escaped(byte);
            ++i;
        } else {
            out += decoded;
            i += length;
        }
    }
    return out;
}

QString payloadAsHex(const std::string &bytes)
{
    QString out;
    for (size_t line = 0; line < bytes.size(); line += 16) {
        out += QStringLiteral("%1 ").arg(line, 8, 16, QLatin1Char('0'));
        QString ascii;
        for (size_t i = line; i < line + 16; ++i) {
            if (i < bytes.size()) {
                const auto byte = static_cast<unsigned char>(bytes[i]);
                out += QStringLiteral(" %1").arg(byte, 2, 16, QLatin1Char('0'));
                ascii += byte >= 0x20 && byte < 0x7f ? QLatin1Char(static_cast<char>(byte)) : QLatin1Char('.');
            } else {
                out += QStringLiteral("   ");
            }
        }
        out += QStringLiteral("  ") + ascii + QLatin1Char('\n');
    }
    return out;
}

} // namespace tally
