// Qt item models over ConsoleSnapshots: each maps one snapshot onto rows and is refreshed with the
// next. Same row count: dataChanged over the table (views keep selection and scroll position);
// another row count: a model reset. Item data is plain: DisplayRole text (English) or numbers,
// ToolTipRole, and kHighlightRole (bool) for the row the page should draw attention to (the hot
// partition, a backpressured operator, an active alert). Text cells, headers and tooltips also
// carry their UiText (kTextRole, kToolTipTextRole), which the views translate for display.
#pragma once

#include "models/console_snapshot.h"
#include "models/ui_text.h"

#include <QAbstractTableModel>
#include <QString>
#include <QStringList>
#include <QVariant>
#include <QVector>

#include <optional>

namespace tally {

inline constexpr int kHighlightRole = Qt::UserRole + 1;
inline constexpr int kSortRole = Qt::UserRole + 2;        // raw number behind a formatted cell
inline constexpr int kTextRole = Qt::UserRole + 3;        // UiText behind a text cell or header
inline constexpr int kToolTipTextRole = Qt::UserRole + 4; // UiText behind the tooltip

// Item data for `text` in `role`: English for DisplayRole, the UiText for kTextRole, else nothing.
QVariant textData(const UiText &text, int role);

struct ModelRow {
    QVector<QVariant> cells;      // per column: a number, verbatim text (QString) or a UiText
    QVector<QVariant> sortValues; // kSortRole per column (empty: same as cells)
    bool highlight = false;
    UiText toolTip;
};

class SnapshotTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    using QAbstractTableModel::QAbstractTableModel;

    void setSnapshot(const ConsoleSnapshot &snapshot);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    virtual QVector<UiText> headers() const = 0;
    virtual QVector<ModelRow> build(const ConsoleSnapshot &snapshot) const = 0;
    // Whether a column holds text, aligned left like the first; the others are figures, aligned right.
    virtual bool textColumn(int column) const { return column == 0; }
    void setRows(QVector<ModelRow> rows);
    // English source text in the model's translation context: text(QT_TR_NOOP("...")).
    UiText text(const char *source) const { return UiText(metaObject()->className(), source); }

private:
    QVector<ModelRow> m_rows;
};

// Formatting shared by models and pages (numbers in the current locale; units as UiTexts).
UiText formatRate(double perSecond);              // "12,345/s"
QString formatCount(double n);                    // "1,234,567"
QString formatClockTime(int64_t ms);              // local wall-clock time, "2026-11-25 05:11:00"
UiText formatEventTime(int64_t ms);               // "2026-11-25 04:11:00 UTC", "-" or "end of input"
UiText formatDuration(double seconds);            // "850 ms", "12.5 s", "3 min 20 s"
// "about 1,200,000 records/s (4.0 times the input), limited by window-1"; "measuring" without one.
UiText formatCapacity(const std::optional<CapacityEstimate> &estimate);
// "keeps up" or "lag peaks at 12,000,000 records, cleared 1 min after it" (or "never cleared").
UiText formatBurst(const BurstForecast &burst);
UiText formatTimeToCatchUp(double seconds);       // a duration, "keeping up" (0) or "not catching up" (+inf)
// The sink's circuit state as the engine names it (in every language, as metrics and runbooks
// do), then what it means: "closed (writing)", "open (paused after errors, retrying)".
UiText formatCircuitState(CircuitBreaker::State state);
// The job's state in words: "created", "running", "paused", "finished".
UiText formatJobState(JobState state);
UiText formatPercent(double share);               // "42 %"
// "2026-12-06 20:41:03 UTC (6.2 s behind)", "nothing stored yet" or "every window (input ended)"
UiText formatFreshness(const Freshness &f);
// Where the age goes: "Kafka lag 0 ms + watermark 5.0 s + firing 1.0 s + sink 200 ms"
UiText formatFreshnessParts(const Freshness &f);

// The headline figures: throughput, freshness, lag, watermark, checkpoint, sink, alerts.
class OverviewModel final : public SnapshotTableModel {
    Q_OBJECT
public:
    using SnapshotTableModel::SnapshotTableModel;
    void setActiveAlerts(int count) { m_activeAlerts = count; }
    void setStale(bool stale) { m_stale = stale; } // results_stale is active: the freshness row is highlighted

protected:
    QVector<UiText> headers() const override;
    QVector<ModelRow> build(const ConsoleSnapshot &s) const override;

private:
    int m_activeAlerts = 0;
    bool m_stale = false;
};

// Per source partition: records, rate, watermark, idleness and (Kafka) lag. Highlights the hot
// partition and the one holding the watermark back.
class PartitionModel final : public SnapshotTableModel {
    Q_OBJECT
public:
    using SnapshotTableModel::SnapshotTableModel;

protected:
    QVector<UiText> headers() const override;
    QVector<ModelRow> build(const ConsoleSnapshot &s) const override;
};

// Per operator: busy, idle and backpressured shares of the last interval.
class OperatorModel final : public SnapshotTableModel {
    Q_OBJECT
public:
    using SnapshotTableModel::SnapshotTableModel;

protected:
    QVector<UiText> headers() const override;
    QVector<ModelRow> build(const ConsoleSnapshot &s) const override;
};

// The sink's figures: circuit, pending, diverted, rate, latency, retries, errors, last commit.
class SinkModel final : public SnapshotTableModel {
    Q_OBJECT
public:
    using SnapshotTableModel::SnapshotTableModel;

protected:
    QVector<UiText> headers() const override;
    QVector<ModelRow> build(const ConsoleSnapshot &s) const override;
};

// The leaders of the newest window of one aggregation (and window length; 0: the shortest).
class WindowLeadersModel final : public SnapshotTableModel {
    Q_OBJECT
public:
    WindowLeadersModel(Aggregation aggregation, int64_t windowLengthMs = 0, QObject *parent = nullptr)
        : SnapshotTableModel(parent), m_aggregation(aggregation), m_lengthMs(windowLengthMs)
    {
    }
    Aggregation aggregation() const { return m_aggregation; }
    UiText windowText() const { return m_windowText; } // "04:11:00 - 04:12:00 UTC"

protected:
    QVector<UiText> headers() const override;
    QVector<ModelRow> build(const ConsoleSnapshot &s) const override;

private:
    Aggregation m_aggregation;
    int64_t m_lengthMs;
    mutable UiText m_windowText;
};

// The Kafka topic as the broker describes it (JobStatus::topic), per partition: leader, replicas,
// in-sync replicas, log start and end, the group's committed offset and lag, and the member that
// owns it. Highlights a partition without a leader, under-replicated, or owned by nobody while the
// group has members. No rows without a Kafka source.
class KafkaPartitionModel final : public SnapshotTableModel {
    Q_OBJECT
public:
    using SnapshotTableModel::SnapshotTableModel;

protected:
    QVector<UiText> headers() const override;
    bool textColumn(int column) const override;
    QVector<ModelRow> build(const ConsoleSnapshot &s) const override;
};

// The consumer group's members: member id (this process's marked), client id, host, static
// instance id and assigned partitions.
class KafkaMemberModel final : public SnapshotTableModel {
    Q_OBJECT
public:
    using SnapshotTableModel::SnapshotTableModel;

protected:
    QVector<UiText> headers() const override;
    bool textColumn(int column) const override;
    QVector<ModelRow> build(const ConsoleSnapshot &s) const override;
};

// "Topic likes: 4 partitions, brokers 1 (127.0.0.1:9092). Group tally: Stable, 2 members
// (cooperative-sticky), coordinator broker 1. Described at 12:00:03." and the last refresh's
// error, if any; for the page above the two tables.
UiText formatTopicSummary(const TopicView &view);
// A member id short enough for a table cell: "tally-5e2b4c5e…" (the full id in tooltips).
QString shortMemberId(const std::string &memberId);

// The watched post's net likes per likes_per_post window, oldest first, as numbers for a chart's
// model mapper: column 0 the window's start (event time, ms since the Unix epoch), column 1 the
// likes.
class WatchedPostModel final : public SnapshotTableModel {
    Q_OBJECT
public:
    using SnapshotTableModel::SnapshotTableModel;
    std::optional<uint64_t> post() const { return m_post; } // as of the newest snapshot

protected:
    QVector<UiText> headers() const override;
    QVector<ModelRow> build(const ConsoleSnapshot &s) const override;

private:
    mutable std::optional<uint64_t> m_post;
};

// Checkpoint history. Empty until the engine has checkpoints; available() says so.
class CheckpointModel final : public SnapshotTableModel {
    Q_OBJECT
public:
    using SnapshotTableModel::SnapshotTableModel;
    // Whether the job takes checkpoints (checkpoint.enabled), as of the newest snapshot.
    bool available() const { return m_available; }
    UiText unavailableReason() const;

protected:
    QVector<UiText> headers() const override;
    QVector<ModelRow> build(const ConsoleSnapshot &s) const override;

private:
    mutable bool m_available = false;
};

} // namespace tally
