#include "models/snapshot_models.h"

#include "time/watermark.h"

#include <QDateTime>
#include <QLocale>

#include <cmath>

namespace tally {

// ---------------------------------------------------------------------------------------------
// SnapshotTableModel

void SnapshotTableModel::setSnapshot(const ConsoleSnapshot &snapshot) { setRows(build(snapshot)); }

void SnapshotTableModel::setRows(QVector<ModelRow> rows)
{
    if (rows.size() != m_rows.size()) {
        beginResetModel();
        m_rows = std::move(rows);
        endResetModel();
        return;
    }
    m_rows = std::move(rows);
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

int SnapshotTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int SnapshotTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(headers().size());
}

QVariant SnapshotTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ModelRow &row = m_rows[index.row()];
    switch (role) {
    case Qt::DisplayRole:
        return index.column() < row.cells.size() ? row.cells[index.column()] : QVariant();
    case kSortRole:
        if (index.column() < row.sortValues.size())
            return row.sortValues[index.column()];
        return index.column() < row.cells.size() ? row.cells[index.column()] : QVariant();
    case Qt::ToolTipRole:
        return row.toolTip.isEmpty() ? QVariant() : QVariant(row.toolTip);
    case kHighlightRole:
        return row.highlight;
    case Qt::TextAlignmentRole:
        return index.column() == 0 ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    default:
        return {};
    }
}

QVariant SnapshotTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    const QStringList h = headers();
    return section >= 0 && section < h.size() ? QVariant(h[section]) : QVariant();
}

// ---------------------------------------------------------------------------------------------
// Formatting

QString formatRate(double perSecond) { return QObject::tr("%1/s").arg(formatCount(perSecond)); }

QString formatCount(double n) { return QLocale().toString(static_cast<qlonglong>(std::llround(n))); }

QString formatEventTime(int64_t ms)
{
    if (ms >= kMaxWatermark)
        return QObject::tr("end of input");
    if (ms <= 0 || ms <= kMinWatermark)
        return QStringLiteral("-");
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) +
           QStringLiteral(" UTC");
}

QString formatDuration(double seconds)
{
    if (seconds < 1)
        return QObject::tr("%1 ms").arg(std::llround(seconds * 1000));
    if (seconds < 60)
        return QObject::tr("%1 s").arg(QLocale().toString(seconds, 'f', 1));
    const auto s = static_cast<long long>(seconds);
    return QObject::tr("%1 min %2 s").arg(s / 60).arg(s % 60);
}

QString formatPercent(double share) { return QObject::tr("%1 %").arg(std::llround(share * 100)); }

QString circuitName(int state)
{
    switch (state) {
    case 1:
        return QObject::tr("open");
    case 2:
        return QObject::tr("half-open");
    default:
        return QObject::tr("closed");
    }
}

// ---------------------------------------------------------------------------------------------
// OverviewModel

QStringList OverviewModel::headers() const { return {tr("Figure"), tr("Value")}; }

QVector<ModelRow> OverviewModel::build(const ConsoleSnapshot &s) const
{
    QVector<ModelRow> rows;
    auto add = [&](const QString &name, const QString &value, double sortValue, bool highlight = false,
                   const QString &tip = {}) {
        rows.push_back({{name, value}, {name, sortValue}, highlight, tip});
    };
    add(tr("Throughput in"), formatRate(s.eventsPerSecond), s.eventsPerSecond, false,
        tr("Like events decoded per second"));
    add(tr("Throughput out"), formatRate(s.rowsPerSecond), s.rowsPerSecond, false, tr("Window results per second"));
    add(tr("Likes counted up to"), formatEventTime(s.job.watermarkMs), static_cast<double>(s.job.watermarkMs), false,
        tr("The job watermark: windows ending before it have fired"));
    if (s.kafka)
        add(tr("Consumer lag"), formatDuration(s.lagSeconds), s.lagSeconds, s.lagSeconds > 10);
    else
        add(tr("Consumer lag"), tr("none (built-in generator)"), 0);
    add(tr("Watermark skew"), formatDuration(static_cast<double>(s.job.watermarkSkewMs) / 1000.0),
        static_cast<double>(s.job.watermarkSkewMs));
    if (!s.job.checkpoints.empty()) {
        const CheckpointRecord &c = s.job.checkpoints.front();
        add(tr("Last checkpoint"), tr("epoch %1, %2 ms ago, took %3 ms")
                                       .arg(c.epoch)
                                       .arg(std::max<int64_t>(0, s.takenAtMs - c.triggeredAtMs))
                                       .arg(c.durationMs),
            static_cast<double>(c.epoch), !c.completed);
    } else {
        add(tr("Last checkpoint"), s.job.checkpointsEnabled ? tr("none yet") : tr("off (checkpoint.enabled)"), 0);
    }
    add(tr("Last savepoint"), s.lastSavepoint.empty() ? tr("none yet") : QString::fromStdString(s.lastSavepoint), 0);
    if (s.sink.present) {
        QString state = circuitName(s.sink.circuit);
        if (s.sink.held)
            state += tr(", holding writes (drained)");
        if (s.sink.divertedRows > 0)
            state += tr(", %1 rows diverted").arg(formatCount(s.sink.divertedRows));
        add(tr("Sink"), QStringLiteral("%1: %2").arg(QString::fromStdString(s.sink.name), state), s.sink.circuit,
            s.sink.circuit != 0);
    } else {
        add(tr("Sink"), tr("none"), 0);
    }
    add(tr("Active alerts"), QString::number(m_activeAlerts), m_activeAlerts, m_activeAlerts > 0);
    add(tr("Job state"), QString::fromUtf8(jobStateName(s.job.state)), static_cast<double>(s.job.state));
    return rows;
}

// ---------------------------------------------------------------------------------------------
// PartitionModel

QStringList PartitionModel::headers() const
{
    return {tr("Partition"), tr("Records"), tr("Records/s"), tr("Watermark"), tr("Idle"), tr("Lag (records)"),
            tr("Lag (s)")};
}

QVector<ModelRow> PartitionModel::build(const ConsoleSnapshot &s) const
{
    QVector<ModelRow> rows;
    const auto hot = s.hottestPartition();
    const auto lagging = s.laggingPartition();
    for (const PartitionFigures &p : s.partitions) {
        ModelRow r;
        r.cells = {p.partition,
                   formatCount(static_cast<double>(p.records)),
                   formatCount(p.recordsPerSecond),
                   formatEventTime(p.watermarkMs),
                   p.idle ? tr("idle") : QString(),
                   p.lagRecords ? formatCount(*p.lagRecords) : QStringLiteral("-"),
                   p.lagSeconds ? QLocale().toString(*p.lagSeconds, 'f', 1) : QStringLiteral("-")};
        r.sortValues = {p.partition,         static_cast<double>(p.records), p.recordsPerSecond,
                        double(p.watermarkMs), p.idle ? 1 : 0,               p.lagRecords.value_or(0),
                        p.lagSeconds.value_or(0)};
        const bool isHot = hot && hot->first == p.partition && hot->second > 0.5 && s.partitions.size() > 1;
        const bool holdsBack = lagging && *lagging == p.partition && s.job.watermarkSkewMs > 0;
        r.highlight = isHot || holdsBack;
        if (isHot)
            r.toolTip = tr("Hot partition: %1 of recent records").arg(formatPercent(hot->second));
        else if (holdsBack)
            r.toolTip = tr("Holds the job watermark back");
        rows.push_back(std::move(r));
    }
    return rows;
}

// ---------------------------------------------------------------------------------------------
// OperatorModel

QStringList OperatorModel::headers() const { return {tr("Operator"), tr("Busy"), tr("Idle"), tr("Backpressured")}; }

QVector<ModelRow> OperatorModel::build(const ConsoleSnapshot &s) const
{
    QVector<ModelRow> rows;
    for (const OperatorFigures &o : s.operators) {
        ModelRow r;
        r.cells = {QString::fromStdString(o.name), formatPercent(o.busy), formatPercent(o.idle),
                   formatPercent(o.backpressured)};
        r.sortValues = {QString::fromStdString(o.name), o.busy, o.idle, o.backpressured};
        r.highlight = o.backpressured > 0.5 || o.busy > 0.9;
        if (o.backpressured > 0.5)
            r.toolTip = tr("Blocked by a full downstream queue most of the time");
        else if (o.busy > 0.9)
            r.toolTip = tr("Busy most of the time: a likely bottleneck");
        rows.push_back(std::move(r));
    }
    return rows;
}

// ---------------------------------------------------------------------------------------------
// SinkModel

QStringList SinkModel::headers() const { return {tr("Figure"), tr("Value")}; }

QVector<ModelRow> SinkModel::build(const ConsoleSnapshot &s) const
{
    QVector<ModelRow> rows;
    auto add = [&](const QString &name, const QString &value, double sortValue, bool highlight = false) {
        rows.push_back({{name, value}, {name, sortValue}, highlight, {}});
    };
    const SinkFigures &k = s.sink;
    if (!k.present) {
        add(tr("Sink"), tr("none (output.type is \"none\")"), 0);
        return rows;
    }
    add(tr("Sink"), QString::fromStdString(k.name), 0);
    add(tr("Circuit"), circuitName(k.circuit), k.circuit, k.circuit != 0);
    add(tr("Writes"), k.held ? tr("held (drained)") : tr("flowing"), k.held ? 1 : 0, k.held);
    add(tr("Rows/s"), formatCount(k.rowsPerSecond), k.rowsPerSecond);
    add(tr("Pending rows"), formatCount(k.pendingRows), k.pendingRows);
    add(tr("Diverted rows"), formatCount(k.divertedRows), k.divertedRows, k.divertedRows > 0);
    add(tr("Write latency p50"), formatDuration(k.p50Ms / 1000), k.p50Ms);
    add(tr("Write latency p99"), formatDuration(k.p99Ms / 1000), k.p99Ms);
    add(tr("Write latency max"), formatDuration(k.maxMs / 1000), k.maxMs);
    add(tr("Retries"), formatCount(k.retries), k.retries);
    add(tr("Transient errors"), formatCount(k.transientErrors), k.transientErrors);
    add(tr("Rejected rows"), formatCount(k.rejectedRows), k.rejectedRows, k.rejectedRows > 0);
    add(tr("Last committed epoch"), formatCount(k.committedEpoch), k.committedEpoch);
    add(tr("Last window written"), formatEventTime(k.lastWindowEndMs), static_cast<double>(k.lastWindowEndMs));
    return rows;
}

// ---------------------------------------------------------------------------------------------
// WindowLeadersModel

QStringList WindowLeadersModel::headers() const
{
    switch (m_aggregation) {
    case Aggregation::LikesByRegion:
        return {tr("Rank"), tr("Region"), tr("Likes")};
    case Aggregation::LikeVelocity:
        return {tr("Rank"), tr("Post"), tr("Likes in window"), tr("Viral")};
    case Aggregation::SpamSuspects:
        return {tr("Rank"), tr("User"), tr("Likes in window")};
    default:
        return {tr("Rank"), tr("Post"), tr("Likes")};
    }
}

QVector<ModelRow> WindowLeadersModel::build(const ConsoleSnapshot &s) const
{
    const LiveWindow *chosen = nullptr;
    for (const LiveWindow &w : s.windows) {
        if (w.aggregation != m_aggregation)
            continue;
        const int64_t length = w.windowEndMs - w.windowStartMs;
        if (m_lengthMs ? length == m_lengthMs : (!chosen || length < chosen->windowEndMs - chosen->windowStartMs))
            chosen = &w;
    }
    QVector<ModelRow> rows;
    if (!chosen) {
        m_windowText = tr("no window has fired yet");
        return rows;
    }
    auto clock = [](int64_t ms) {
        return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("HH:mm:ss"));
    };
    m_windowText = QStringLiteral("%1 - %2 UTC").arg(clock(chosen->windowStartMs), clock(chosen->windowEndMs));
    int rank = 1;
    for (const LiveEntry &e : chosen->leaders) {
        ModelRow r;
        const QString key = QString::fromStdString(keyText(m_aggregation, e.key));
        r.cells = {rank, key, formatCount(static_cast<double>(e.value))};
        r.sortValues = {rank, static_cast<qulonglong>(e.key), static_cast<qlonglong>(e.value)};
        if (m_aggregation == Aggregation::LikeVelocity) {
            r.cells.push_back(e.flag ? tr("viral") : QString());
            r.sortValues.push_back(e.flag ? 1 : 0);
        }
        r.highlight = e.flag;
        rows.push_back(std::move(r));
        ++rank;
    }
    return rows;
}

// ---------------------------------------------------------------------------------------------
// CheckpointModel

QString CheckpointModel::unavailableReason() const
{
    return tr("This job takes no checkpoints (checkpoint.enabled is false): after a crash it starts again from the "
              "source. Savepoints work without them: take one from the toolbar, stop with one, or rescale; "
              "tally --restore FILE continues from one.");
}

QStringList CheckpointModel::headers() const
{
    return {tr("Id"), tr("Triggered"), tr("Duration"), tr("Alignment"), tr("Sync"), tr("Async"), tr("Size"), tr("Status")};
}

QVector<ModelRow> CheckpointModel::build(const ConsoleSnapshot &s) const
{
    m_available = s.job.checkpointsEnabled;
    QVector<ModelRow> rows;
    for (const CheckpointRecord &c : s.job.checkpoints) {
        ModelRow r;
        r.cells = {static_cast<qulonglong>(c.epoch),
                   QDateTime::fromMSecsSinceEpoch(c.triggeredAtMs).toString(QStringLiteral("HH:mm:ss.zzz")),
                   tr("%1 ms").arg(c.durationMs),
                   tr("%1 ms").arg(c.alignmentMs, 0, 'f', 1),
                   tr("%1 ms").arg(c.syncMs, 0, 'f', 1),
                   tr("%1 ms").arg(c.asyncMs, 0, 'f', 1),
                   QLocale().formattedDataSize(static_cast<qint64>(c.sizeBytes)),
                   c.completed ? tr("completed") : tr("failed: %1").arg(QString::fromStdString(c.failure))};
        r.sortValues = {static_cast<qulonglong>(c.epoch), static_cast<qlonglong>(c.triggeredAtMs),
                        static_cast<qlonglong>(c.durationMs), c.alignmentMs, c.syncMs, c.asyncMs,
                        static_cast<qulonglong>(c.sizeBytes), c.completed ? 1 : 0};
        r.highlight = !c.completed;
        rows.push_back(std::move(r));
    }
    return rows;
}

} // namespace tally
