#include "models/snapshot_models.h"

#include "sink/circuit_breaker.h"
#include "time/watermark.h"

#include <QDateTime>
#include <QLocale>

#include <cmath>
#include <map>

namespace tally {

namespace {

// The free functions' text, in the context lupdate gives them.
UiText qobjectText(const char *source) { return UiText("QObject", source); }

bool isText(const QVariant &v) { return v.metaType() == QMetaType::fromType<UiText>(); }

QVariant english(const QVariant &v) { return isText(v) ? QVariant(v.value<UiText>().english()) : v; }

} // namespace

QVariant textData(const UiText &text, int role)
{
    if (role == Qt::DisplayRole)
        return text.english();
    if (role == kTextRole)
        return QVariant::fromValue(text);
    return {};
}

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
    const QVariant cell = index.column() < row.cells.size() ? row.cells[index.column()] : QVariant();
    switch (role) {
    case Qt::DisplayRole:
        return english(cell);
    case kTextRole:
        return isText(cell) ? cell : QVariant();
    case kSortRole:
        if (index.column() < row.sortValues.size())
            return english(row.sortValues[index.column()]);
        return english(cell);
    case Qt::ToolTipRole:
        return row.toolTip.isEmpty() ? QVariant() : QVariant(row.toolTip.english());
    case kToolTipTextRole:
        return row.toolTip.isEmpty() ? QVariant() : QVariant::fromValue(row.toolTip);
    case kHighlightRole:
        return row.highlight;
    case Qt::TextAlignmentRole:
        return textColumn(index.column()) ? QVariant() : QVariant(int(Qt::AlignRight | Qt::AlignVCenter));
    default:
        return {};
    }
}

QVariant SnapshotTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    const QVector<UiText> h = headers();
    if (orientation == Qt::Horizontal && section >= 0 && section < h.size())
        if (QVariant v = textData(h[section], role); v.isValid())
            return v;
    return QAbstractTableModel::headerData(section, orientation, role);
}

// ---------------------------------------------------------------------------------------------
// Formatting

UiText formatRate(double perSecond)
{
    return qobjectText(QT_TRANSLATE_NOOP("QObject", "%1/s")).arg(formatCount(perSecond));
}

QString formatCount(double n) { return QLocale().toString(static_cast<qlonglong>(std::llround(n))); }

QString formatClockTime(int64_t ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

UiText formatEventTime(int64_t ms)
{
    if (ms >= kMaxWatermark)
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "end of input"));
    if (ms <= 0 || ms <= kMinWatermark)
        return UiText::verbatim(QStringLiteral("-"));
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC);
    return UiText::verbatim(t.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")) + QStringLiteral(" UTC"));
}

UiText formatDuration(double seconds)
{
    if (seconds < 1)
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "%1 ms")).arg(std::llround(seconds * 1000));
    if (seconds < 60)
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "%1 s")).arg(QLocale().toString(seconds, 'f', 1));
    const auto s = static_cast<long long>(seconds);
    return qobjectText(QT_TRANSLATE_NOOP("QObject", "%1 min %2 s")).arg(s / 60).arg(s % 60);
}

UiText formatCircuitState(CircuitBreaker::State state)
{
    const UiText name = UiText::verbatim(circuitStateName(state));
    switch (state) {
    case CircuitBreaker::State::Closed:
        return name + qobjectText(QT_TRANSLATE_NOOP("QObject", " (writing)"));
    case CircuitBreaker::State::Open:
        return name + qobjectText(QT_TRANSLATE_NOOP("QObject", " (paused after errors, retrying)"));
    case CircuitBreaker::State::HalfOpen:
        return name + qobjectText(QT_TRANSLATE_NOOP("QObject", " (trying one write)"));
    }
    return name;
}

UiText formatJobState(JobState state)
{
    switch (state) {
    case JobState::Created:
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "created"));
    case JobState::Running:
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "running"));
    case JobState::Paused:
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "paused"));
    case JobState::Finished:
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "finished"));
    }
    return UiText::verbatim(jobStateName(state));
}

UiText formatTimeToCatchUp(double seconds)
{
    if (std::isinf(seconds))
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "not catching up"));
    if (seconds <= 0)
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "keeping up"));
    return formatDuration(seconds);
}

UiText formatCapacity(const std::optional<CapacityEstimate> &e)
{
    if (!e)
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "measuring (needs more input)"));
    const UiText limit = e->limitedBy == "cpu" ? qobjectText(QT_TRANSLATE_NOOP("QObject", "the CPU cores"))
                                               : UiText::verbatim(QString::fromStdString(e->limitedBy));
    if (!std::isfinite(e->headroom()))
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "about %1 records/s, limited by %2"))
            .arg(formatCount(e->sustainableRecordsPerSecond))
            .arg(limit);
    return qobjectText(QT_TRANSLATE_NOOP("QObject", "about %1 records/s (%2 times the input), limited by %3"))
        .arg(formatCount(e->sustainableRecordsPerSecond))
        .arg(QLocale().toString(e->headroom(), 'f', 1))
        .arg(limit);
}

UiText formatBurst(const BurstForecast &b)
{
    if (b.peakLagRecords <= 0)
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "keeps up"));
    if (!b.clearSeconds)
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "lag peaks at %1 records and is never cleared at the current input"))
            .arg(formatCount(b.peakLagRecords));
    return qobjectText(QT_TRANSLATE_NOOP("QObject", "lag peaks at %1 records, cleared %2 after the burst"))
        .arg(formatCount(b.peakLagRecords))
        .arg(formatDuration(*b.clearSeconds));
}

UiText formatPercent(double share)
{
    return qobjectText(QT_TRANSLATE_NOOP("QObject", "%1 %")).arg(std::llround(share * 100));
}

UiText formatFreshness(const Freshness &f)
{
    if (f.complete)
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "every window (input ended)"));
    if (!f.upToDateMs)
        return qobjectText(QT_TRANSLATE_NOOP("QObject", "nothing stored yet"));
    return qobjectText(QT_TRANSLATE_NOOP("QObject", "%1 (%2 behind)"))
        .arg(formatEventTime(*f.upToDateMs))
        .arg(formatDuration(f.ageSeconds.value_or(0)));
}

UiText formatFreshnessParts(const Freshness &f)
{
    if (!f.ageSeconds)
        return UiText::verbatim(QStringLiteral("-"));
    return qobjectText(QT_TRANSLATE_NOOP("QObject", "Kafka lag %1 + watermark %2 + firing %3 + sink %4"))
        .arg(formatDuration(f.sourceLagSeconds))
        .arg(formatDuration(f.watermarkDelaySeconds))
        .arg(formatDuration(f.firingSeconds))
        .arg(formatDuration(f.sinkSeconds));
}

// ---------------------------------------------------------------------------------------------
// OverviewModel

QVector<UiText> OverviewModel::headers() const { return {text(QT_TR_NOOP("Figure")), text(QT_TR_NOOP("Value"))}; }

QVector<ModelRow> OverviewModel::build(const ConsoleSnapshot &s) const
{
    QVector<ModelRow> rows;
    auto add = [&](const UiText &name, const UiText &value, double sortValue, bool highlight = false,
                   const UiText &tip = {}) {
        rows.push_back(
            {{QVariant::fromValue(name), QVariant::fromValue(value)}, {name.english(), sortValue}, highlight, tip});
    };
    add(text(QT_TR_NOOP("Throughput in")), formatRate(s.eventsPerSecond), s.eventsPerSecond, false,
        text(QT_TR_NOOP("Like events decoded per second")));
    add(text(QT_TR_NOOP("Throughput out")), formatRate(s.rowsPerSecond), s.rowsPerSecond, false,
        text(QT_TR_NOOP("Window results per second")));
    add(text(QT_TR_NOOP("Database up to date to")), formatFreshness(s.freshness),
        s.freshness.ageSeconds.value_or(0), m_stale,
        text(QT_TR_NOOP("Every window ending before it has its rows in the database")));
    add(text(QT_TR_NOOP("Behind by")), formatFreshnessParts(s.freshness), s.freshness.ageSeconds.value_or(0), false,
        text(QT_TR_NOOP("Where the delay goes: records waiting in Kafka, the watermark's out-of-orderness bound, "
                        "fired windows waiting for their epoch to close, rows waiting in the sink")));
    if (const std::optional<JobStatus::Restoring> &r = s.job.restoring)
        add(text(QT_TR_NOOP("Restoring")),
            text(QT_TR_NOOP("from %1: %2 of %3 window tasks loaded, %4 so far"))
                .arg(QString::fromStdString(r->from))
                .arg(r->tasksDone)
                .arg(r->tasks)
                .arg(formatDuration(static_cast<double>(r->forMs) / 1000.0)),
            static_cast<double>(r->forMs), true,
            text(QT_TR_NOOP("The window tasks are loading the state they continue from; results wait until they have")));
    add(text(QT_TR_NOOP("Likes counted up to")), formatEventTime(s.job.watermarkMs),
        static_cast<double>(s.job.watermarkMs), false,
        text(QT_TR_NOOP("The job watermark: windows ending before it have fired")));
    if (s.kafka)
        add(text(QT_TR_NOOP("Consumer lag")), formatDuration(s.lagSeconds), s.lagSeconds, s.lagSeconds > 10);
    else
        add(text(QT_TR_NOOP("Consumer lag")), text(QT_TR_NOOP("none (built-in generator)")), 0);
    add(text(QT_TR_NOOP("Watermark skew")), formatDuration(static_cast<double>(s.job.watermarkSkewMs) / 1000.0),
        static_cast<double>(s.job.watermarkSkewMs));
    const std::optional<CapacityEstimate> capacity = s.capacityNow();
    add(text(QT_TR_NOOP("Capacity")), formatCapacity(capacity), capacity ? capacity->sustainableRecordsPerSecond : 0,
        capacity && capacity->headroom() < 1.2,
        text(QT_TR_NOOP("The highest input rate this machine sustains at this parallelism, from each operator's CPU "
                        "time per record (a low load under-estimates it)")));
    if (capacity)
        add(text(QT_TR_NOOP("A 500K/s burst for 1 min")),
            formatBurst(forecastBurst(*capacity, kForecastBurstRate, kForecastBurstSeconds)), 0, false,
            text(QT_TR_NOOP("What a celebrity post's burst of 500,000 records/s for a minute would do to the lag")));
    if (!s.job.checkpoints.empty()) {
        const CheckpointRecord &c = s.job.checkpoints.front();
        add(text(QT_TR_NOOP("Last checkpoint")),
            text(QT_TR_NOOP("epoch %1, %2 ago, took %3"))
                .arg(static_cast<qint64>(c.epoch))
                .arg(formatDuration(static_cast<double>(std::max<int64_t>(0, s.takenAtMs - c.triggeredAtMs)) / 1000.0))
                .arg(formatDuration(static_cast<double>(c.durationMs) / 1000.0)),
            static_cast<double>(c.epoch), !c.completed);
    } else {
        add(text(QT_TR_NOOP("Last checkpoint")),
            s.job.checkpointsEnabled ? text(QT_TR_NOOP("none yet")) : text(QT_TR_NOOP("off (checkpoint.enabled)")), 0);
    }
    add(text(QT_TR_NOOP("Last savepoint")),
        s.lastSavepoint.empty() ? text(QT_TR_NOOP("none yet")) : UiText::verbatim(s.lastSavepoint), 0);
    if (s.sink.present) {
        UiText state = UiText::verbatim(s.sink.name + ": ") + formatCircuitState(s.sink.circuit);
        if (s.sink.held)
            state = state + text(QT_TR_NOOP(", holding writes (drained)"));
        if (s.sink.divertedRows > 0)
            state = state + text(QT_TR_NOOP(", %1 rows diverted")).arg(formatCount(s.sink.divertedRows));
        add(text(QT_TR_NOOP("Sink")), state, static_cast<double>(s.sink.circuit),
            s.sink.circuit != CircuitBreaker::State::Closed);
    } else {
        add(text(QT_TR_NOOP("Sink")), text(QT_TR_NOOP("none")), 0);
    }
    add(text(QT_TR_NOOP("Active alerts")), UiText::verbatim(QString::number(m_activeAlerts)), m_activeAlerts,
        m_activeAlerts > 0);
    add(text(QT_TR_NOOP("Job state")), formatJobState(s.job.state), static_cast<double>(s.job.state));
    return rows;
}

// ---------------------------------------------------------------------------------------------
// PartitionModel

QVector<UiText> PartitionModel::headers() const
{
    return {text(QT_TR_NOOP("Partition")),     text(QT_TR_NOOP("Records")), text(QT_TR_NOOP("Records/s")),
            text(QT_TR_NOOP("Watermark")),     text(QT_TR_NOOP("Idle")),    text(QT_TR_NOOP("Lag (records)")),
            text(QT_TR_NOOP("Lag (s)")),       text(QT_TR_NOOP("Status"))};
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
                   QVariant::fromValue(formatEventTime(p.watermarkMs)),
                   p.idle ? QVariant::fromValue(text(QT_TR_NOOP("idle"))) : QVariant(QString()),
                   p.lagRecords ? formatCount(*p.lagRecords) : QStringLiteral("-"),
                   p.lagSeconds ? QLocale().toString(*p.lagSeconds, 'f', 1) : QStringLiteral("-"),
                   // Burrow's names, the same in every language (like the job state).
                   p.lagStatus ? QString::fromUtf8(lagStatusName(*p.lagStatus).data()) : QStringLiteral("-")};
        r.sortValues = {p.partition,         static_cast<double>(p.records), p.recordsPerSecond,
                        double(p.watermarkMs), p.idle ? 1 : 0,               p.lagRecords.value_or(0),
                        p.lagSeconds.value_or(0), p.lagStatus ? static_cast<double>(*p.lagStatus) : -1};
        const bool isHot = hot && hot->first == p.partition && hot->second > 0.5 && s.partitions.size() > 1;
        const bool holdsBack = lagging && *lagging == p.partition && s.job.watermarkSkewMs > 0;
        const bool stuck = p.lagStatus && *p.lagStatus != LagStatus::Ok;
        r.highlight = isHot || holdsBack || stuck;
        if (stuck)
            r.toolTip = text(QT_TR_NOOP("%1: the group's committed offset over the last ten commits"))
                            .arg(QString::fromUtf8(lagStatusName(*p.lagStatus).data()));
        else if (isHot)
            r.toolTip = text(QT_TR_NOOP("Hot partition: %1 of recent records")).arg(formatPercent(hot->second));
        else if (holdsBack)
            r.toolTip = text(QT_TR_NOOP("Holds the job watermark back"));
        rows.push_back(std::move(r));
    }
    return rows;
}

// ---------------------------------------------------------------------------------------------
// KafkaPartitionModel, KafkaMemberModel

namespace {

QString brokerList(const std::vector<int> &ids)
{
    QStringList out;
    for (int id : ids)
        out << QString::number(id);
    return out.join(QStringLiteral(", "));
}

QString partitionList(const std::vector<int> &partitions)
{
    return brokerList(partitions); // numbers joined the same way
}

} // namespace

QString shortMemberId(const std::string &memberId)
{
    constexpr int kShown = 14; // "tally-" and eight characters of the id's UUID
    const QString id = QString::fromStdString(memberId);
    return id.size() <= kShown + 1 ? id : id.left(kShown) + QChar(0x2026);
}

UiText formatTopicSummary(const TopicView &v)
{
    QStringList brokers;
    for (const TopicView::Broker &b : v.brokers)
        brokers << QStringLiteral("%1 (%2:%3)").arg(b.id).arg(QString::fromStdString(b.host)).arg(b.port);
    UiText text = qobjectText(QT_TRANSLATE_NOOP("QObject", "Topic %1: %2 partitions, brokers %3."))
                      .arg(QString::fromStdString(v.topic))
                      .arg(static_cast<qint64>(std::max<size_t>(v.partitions.size(), static_cast<size_t>(v.topicPartitions))))
                      .arg(brokers.isEmpty() ? QStringLiteral("-") : brokers.join(QStringLiteral(", ")));
    if (v.topicPartitions > static_cast<int>(v.partitions.size()))
        text = text + UiText::verbatim(QStringLiteral(" ")) +
               qobjectText(QT_TRANSLATE_NOOP("QObject", "This job reads the first %1; a restart reads the others."))
                   .arg(static_cast<qint64>(v.partitions.size()));
    if (v.groupState.empty())
        text = text + UiText::verbatim(QStringLiteral(" ")) +
               qobjectText(QT_TRANSLATE_NOOP("QObject", "Group %1: not described yet."))
                   .arg(QString::fromStdString(v.group));
    else
        text = text + UiText::verbatim(QStringLiteral(" ")) +
               qobjectText(QT_TRANSLATE_NOOP("QObject", "Group %1: %2, members: %3 (%4), coordinator broker %5."))
                   .arg(QString::fromStdString(v.group))
                   .arg(QString::fromStdString(v.groupState))
                   .arg(static_cast<qint64>(v.members.size()))
                   .arg(QString::fromStdString(v.assignor))
                   .arg(v.coordinator >= 0 ? QString::number(v.coordinator) : QStringLiteral("-"));
    if (v.refreshedAtMs > 0)
        text = text + UiText::verbatim(QStringLiteral(" ")) +
               qobjectText(QT_TRANSLATE_NOOP("QObject", "Described at %1.")).arg(formatClockTime(v.refreshedAtMs));
    if (!v.error.empty())
        text = text + UiText::verbatim(QStringLiteral(" ")) +
               qobjectText(QT_TRANSLATE_NOOP("QObject", "The last description failed: %1 (the figures are older)."))
                   .arg(QString::fromStdString(v.error));
    return text;
}

QVector<UiText> KafkaPartitionModel::headers() const
{
    return {text(QT_TR_NOOP("Partition")), text(QT_TR_NOOP("Leader")),      text(QT_TR_NOOP("Replicas")),
            text(QT_TR_NOOP("In sync")),   text(QT_TR_NOOP("Log start")),   text(QT_TR_NOOP("Log end")),
            text(QT_TR_NOOP("Records")),   text(QT_TR_NOOP("Group offset")), text(QT_TR_NOOP("Group lag")),
            text(QT_TR_NOOP("Owner"))};
}

bool KafkaPartitionModel::textColumn(int column) const
{
    return column == 0 || column == 2 || column == 3 || column == 9; // replicas, in sync, owner
}

QVector<ModelRow> KafkaPartitionModel::build(const ConsoleSnapshot &s) const
{
    QVector<ModelRow> rows;
    if (!s.job.topic)
        return rows;
    const TopicView &v = *s.job.topic;
    std::map<std::string, const TopicView::Member *> members;
    for (const TopicView::Member &m : v.members)
        members[m.memberId] = &m;
    const auto offset = [](int64_t o) { return o >= 0 ? formatCount(static_cast<double>(o)) : QStringLiteral("-"); };
    for (const TopicView::Partition &p : v.partitions) {
        ModelRow r;
        const bool known = p.logStartOffset >= 0 && p.logEndOffset >= 0;
        const bool committed = p.groupOffset >= 0 && p.logEndOffset >= 0;
        const auto owner = members.find(p.owner);
        QVariant ownerCell = QString(QStringLiteral("-"));
        if (owner != members.end())
            ownerCell = owner->second->self
                            ? QVariant::fromValue(text(QT_TR_NOOP("%1 (this process)")).arg(shortMemberId(p.owner)))
                            : QVariant(shortMemberId(p.owner));
        const bool described = !p.replicas.empty(); // the metadata has named the partition's replicas
        r.cells = {p.partition,
                   p.leader >= 0   ? QVariant(p.leader)
                   : described     ? QVariant::fromValue(text(QT_TR_NOOP("none")))
                                   : QVariant(QStringLiteral("-")),
                   brokerList(p.replicas),
                   brokerList(p.inSync),
                   offset(p.logStartOffset),
                   offset(p.logEndOffset),
                   known ? formatCount(static_cast<double>(p.logEndOffset - p.logStartOffset)) : QStringLiteral("-"),
                   offset(p.groupOffset),
                   committed ? formatCount(static_cast<double>(std::max<int64_t>(0, p.logEndOffset - p.groupOffset)))
                             : QStringLiteral("-"),
                   ownerCell};
        r.sortValues = {p.partition,
                        p.leader,
                        static_cast<int>(p.replicas.size()),
                        static_cast<int>(p.inSync.size()),
                        static_cast<double>(p.logStartOffset),
                        static_cast<double>(p.logEndOffset),
                        known ? static_cast<double>(p.logEndOffset - p.logStartOffset) : -1.0,
                        static_cast<double>(p.groupOffset),
                        committed ? static_cast<double>(p.logEndOffset - p.groupOffset) : -1.0,
                        QString::fromStdString(p.owner)};
        const bool leaderless = p.leader < 0 && described;
        const bool underReplicated = p.inSync.size() < p.replicas.size();
        const bool orphaned = p.owner.empty() && !v.members.empty();
        r.highlight = leaderless || underReplicated || orphaned;
        if (leaderless)
            r.toolTip = text(QT_TR_NOOP("No leader: nobody serves this partition"));
        else if (underReplicated)
            r.toolTip = text(QT_TR_NOOP("Under-replicated: fewer in-sync replicas than replicas"));
        else if (orphaned)
            r.toolTip = text(QT_TR_NOOP("No member of the group is assigned this partition"));
        else if (!p.owner.empty())
            r.toolTip = UiText::verbatim(QString::fromStdString(p.owner));
        rows.push_back(std::move(r));
    }
    return rows;
}

QVector<UiText> KafkaMemberModel::headers() const
{
    return {text(QT_TR_NOOP("Member")), text(QT_TR_NOOP("Client")), text(QT_TR_NOOP("Host")),
            text(QT_TR_NOOP("Instance")), text(QT_TR_NOOP("Partitions"))};
}

bool KafkaMemberModel::textColumn(int) const { return true; }

QVector<ModelRow> KafkaMemberModel::build(const ConsoleSnapshot &s) const
{
    QVector<ModelRow> rows;
    if (!s.job.topic)
        return rows;
    for (const TopicView::Member &m : s.job.topic->members) {
        ModelRow r;
        r.cells = {m.self ? QVariant::fromValue(text(QT_TR_NOOP("%1 (this process)")).arg(shortMemberId(m.memberId)))
                          : QVariant(shortMemberId(m.memberId)),
                   QString::fromStdString(m.clientId),
                   QString::fromStdString(m.host),
                   m.instanceId.empty() ? QStringLiteral("-") : QString::fromStdString(m.instanceId),
                   partitionList(m.partitions)};
        r.sortValues = {QString::fromStdString(m.memberId), r.cells[1], r.cells[2], r.cells[3],
                        static_cast<int>(m.partitions.size())};
        r.toolTip = UiText::verbatim(QString::fromStdString(m.memberId));
        rows.push_back(std::move(r));
    }
    return rows;
}

// ---------------------------------------------------------------------------------------------
// OperatorModel

QVector<UiText> OperatorModel::headers() const
{
    return {text(QT_TR_NOOP("Operator")),      text(QT_TR_NOOP("Records in")), text(QT_TR_NOOP("Records out")),
            text(QT_TR_NOOP("Busy")),          text(QT_TR_NOOP("Idle")),       text(QT_TR_NOOP("Backpressured"))};
}

QVector<ModelRow> OperatorModel::build(const ConsoleSnapshot &s) const
{
    QVector<ModelRow> rows;
    for (const OperatorFigures &o : s.operators) {
        ModelRow r;
        r.cells = {QString::fromStdString(o.name),
                   QVariant::fromValue(formatRate(o.recordsInPerSecond)),
                   QVariant::fromValue(formatRate(o.recordsOutPerSecond)),
                   QVariant::fromValue(formatPercent(o.busy)),
                   QVariant::fromValue(formatPercent(o.idle)),
                   QVariant::fromValue(formatPercent(o.backpressured))};
        r.sortValues = {QString::fromStdString(o.name), o.recordsInPerSecond, o.recordsOutPerSecond, o.busy, o.idle, o.backpressured};
        r.highlight = o.backpressured > 0.5 || o.busy > 0.9;
        if (o.backpressured > 0.5)
            r.toolTip = text(QT_TR_NOOP("Blocked by a full downstream queue most of the time"));
        else if (o.busy > 0.9)
            r.toolTip = text(QT_TR_NOOP("Busy most of the time: a likely bottleneck"));
        rows.push_back(std::move(r));
    }
    return rows;
}

// ---------------------------------------------------------------------------------------------
// SinkModel

QVector<UiText> SinkModel::headers() const { return {text(QT_TR_NOOP("Figure")), text(QT_TR_NOOP("Value"))}; }

QVector<ModelRow> SinkModel::build(const ConsoleSnapshot &s) const
{
    QVector<ModelRow> rows;
    auto add = [&](const UiText &name, const UiText &value, double sortValue, bool highlight = false) {
        rows.push_back(
            {{QVariant::fromValue(name), QVariant::fromValue(value)}, {name.english(), sortValue}, highlight, {}});
    };
    const auto count = [](double n) { return UiText::verbatim(formatCount(n)); };
    const SinkFigures &k = s.sink;
    if (!k.present) {
        add(text(QT_TR_NOOP("Sink")), text(QT_TR_NOOP("none (output.type is \"none\")")), 0);
        return rows;
    }
    add(text(QT_TR_NOOP("Sink")), UiText::verbatim(k.name), 0);
    add(text(QT_TR_NOOP("Circuit")), formatCircuitState(k.circuit), static_cast<double>(k.circuit),
        k.circuit != CircuitBreaker::State::Closed);
    add(text(QT_TR_NOOP("Writes")), k.held ? text(QT_TR_NOOP("held (drained)")) : text(QT_TR_NOOP("flowing")),
        k.held ? 1 : 0, k.held);
    add(text(QT_TR_NOOP("Rows/s")), count(k.rowsPerSecond), k.rowsPerSecond);
    add(text(QT_TR_NOOP("Pending rows")), count(k.pendingRows), k.pendingRows);
    add(text(QT_TR_NOOP("Diverted rows")), count(k.divertedRows), k.divertedRows, k.divertedRows > 0);
    add(text(QT_TR_NOOP("Write latency p50")), formatDuration(k.p50Ms / 1000), k.p50Ms);
    add(text(QT_TR_NOOP("Write latency p99")), formatDuration(k.p99Ms / 1000), k.p99Ms);
    add(text(QT_TR_NOOP("Write latency max")), formatDuration(k.maxMs / 1000), k.maxMs);
    add(text(QT_TR_NOOP("Retries")), count(k.retries), k.retries);
    add(text(QT_TR_NOOP("Transient errors")), count(k.transientErrors), k.transientErrors);
    add(text(QT_TR_NOOP("Rejected rows")), count(k.rejectedRows), k.rejectedRows, k.rejectedRows > 0);
    add(text(QT_TR_NOOP("Last committed epoch")), count(k.committedEpoch), k.committedEpoch);
    add(text(QT_TR_NOOP("Last window written")), formatEventTime(k.lastWindowEndMs),
        static_cast<double>(k.lastWindowEndMs));
    return rows;
}

// ---------------------------------------------------------------------------------------------
// WindowLeadersModel

QVector<UiText> WindowLeadersModel::headers() const
{
    switch (m_aggregation) {
    case Aggregation::LikesByRegion:
        return {text(QT_TR_NOOP("Rank")), text(QT_TR_NOOP("Region")), text(QT_TR_NOOP("Likes"))};
    case Aggregation::LikeVelocity:
        return {text(QT_TR_NOOP("Rank")), text(QT_TR_NOOP("Post")), text(QT_TR_NOOP("Likes in window")),
                text(QT_TR_NOOP("Viral"))};
    case Aggregation::SpamSuspects:
        return {text(QT_TR_NOOP("Rank")), text(QT_TR_NOOP("User")), text(QT_TR_NOOP("Likes in window"))};
    default:
        return {text(QT_TR_NOOP("Rank")), text(QT_TR_NOOP("Post")), text(QT_TR_NOOP("Likes"))};
    }
}

QVector<UiText> WatchedPostModel::headers() const { return {text(QT_TR_NOOP("Window start")), text(QT_TR_NOOP("Net likes"))}; }

QVector<ModelRow> WatchedPostModel::build(const ConsoleSnapshot &s) const
{
    m_post = s.watchedPost;
    QVector<ModelRow> rows;
    rows.reserve(static_cast<qsizetype>(s.watchedHistory.size()));
    for (const WindowValue &w : s.watchedHistory)
        rows.push_back(ModelRow{{static_cast<double>(w.windowStartMs), static_cast<double>(w.value)}, {}, false, {}});
    return rows;
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
        m_windowText = text(QT_TR_NOOP("no window has fired yet"));
        return rows;
    }
    auto clock = [](int64_t ms) {
        return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("HH:mm:ss"));
    };
    m_windowText =
        UiText::verbatim(QStringLiteral("%1 - %2 UTC").arg(clock(chosen->windowStartMs), clock(chosen->windowEndMs)));
    int rank = 1;
    for (const LiveEntry &e : chosen->leaders) {
        ModelRow r;
        const QString key = QString::fromStdString(keyText(m_aggregation, e.key));
        r.cells = {rank, key, formatCount(static_cast<double>(e.value))};
        r.sortValues = {rank, static_cast<qulonglong>(e.key), static_cast<qlonglong>(e.value)};
        if (m_aggregation == Aggregation::LikeVelocity) {
            r.cells.push_back(e.flag ? QVariant::fromValue(text(QT_TR_NOOP("viral"))) : QVariant(QString()));
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

UiText CheckpointModel::unavailableReason() const
{
    return text(QT_TR_NOOP("This job takes no checkpoints (checkpoint.enabled is false): after a crash it starts "
                           "again from the source. Savepoints work without them: take one from the toolbar, stop "
                           "with one, or rescale; tally --restore FILE continues from one."));
}

QVector<UiText> CheckpointModel::headers() const
{
    return {text(QT_TR_NOOP("Id")),   text(QT_TR_NOOP("Triggered")), text(QT_TR_NOOP("Duration")),
            text(QT_TR_NOOP("Alignment")), text(QT_TR_NOOP("Sync")), text(QT_TR_NOOP("Async")),
            text(QT_TR_NOOP("Kind")), text(QT_TR_NOOP("Written")), text(QT_TR_NOOP("State size")),
            text(QT_TR_NOOP("Shared files")), text(QT_TR_NOOP("Status"))};
}

QVector<ModelRow> CheckpointModel::build(const ConsoleSnapshot &s) const
{
    m_available = s.job.checkpointsEnabled;
    QVector<ModelRow> rows;
    for (const CheckpointRecord &c : s.job.checkpoints) {
        ModelRow r;
        r.cells = {static_cast<qulonglong>(c.epoch),
                   QDateTime::fromMSecsSinceEpoch(c.triggeredAtMs).toString(QStringLiteral("HH:mm:ss.zzz")),
                   QVariant::fromValue(formatDuration(static_cast<double>(c.durationMs) / 1000.0)),
                   QVariant::fromValue(text(QT_TR_NOOP("%1 ms")).arg(QString::number(c.alignmentMs, 'f', 1))),
                   QVariant::fromValue(text(QT_TR_NOOP("%1 ms")).arg(QString::number(c.syncMs, 'f', 1))),
                   QVariant::fromValue(formatDuration(c.asyncMs / 1000.0)),
                   c.completed ? QVariant::fromValue(c.incremental ? text(QT_TR_NOOP("incremental")) : text(QT_TR_NOOP("full")))
                               : QVariant(),
                   c.completed ? QVariant(QLocale().formattedDataSize(static_cast<qint64>(c.sizeBytes))) : QVariant(),
                   c.completed ? QVariant(QLocale().formattedDataSize(static_cast<qint64>(c.fullSizeBytes))) : QVariant(),
                   c.completed ? QVariant(c.sharedFiles) : QVariant(),
                   QVariant::fromValue(c.completed
                                           ? text(QT_TR_NOOP("completed"))
                                           : text(QT_TR_NOOP("failed: %1")).arg(QString::fromStdString(c.failure)))};
        r.sortValues = {static_cast<qulonglong>(c.epoch), static_cast<qlonglong>(c.triggeredAtMs),
                        static_cast<qlonglong>(c.durationMs), c.alignmentMs, c.syncMs, c.asyncMs,
                        c.incremental ? 1 : 0, static_cast<qulonglong>(c.sizeBytes),
                        static_cast<qulonglong>(c.fullSizeBytes), c.sharedFiles, c.completed ? 1 : 0};
        r.highlight = !c.completed;
        rows.push_back(std::move(r));
    }
    return rows;
}

} // namespace tally
