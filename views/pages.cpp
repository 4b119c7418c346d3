#include "views/pages.h"

#include "metrics/time_series.h"
#include "models/dead_letter_model.h"
#include "models/restore_point_model.h"

#include <QBarCategoryAxis>
#include <QComboBox>
#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHeaderView>
#include <QLineEdit>
#include <QLineSeries>
#include <QPainter>
#include <QPlainTextEdit>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QUrl>
#include <QVXYModelMapper>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <tuple>

namespace tally {

namespace {

// Paints highlighted rows (kHighlightRole) with a warning background that works in both themes.
class HighlightDelegate final : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        if (index.data(kHighlightRole).toBool())
            option->backgroundBrush = QColor(255, 165, 0, 90);
    }
};

QLabel *note(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setWordWrap(true);
    label->setObjectName(QStringLiteral("pageNote"));
    return label;
}

} // namespace

QString currentUser()
{
    const QString user = qEnvironmentVariable("USER", qEnvironmentVariable("USERNAME"));
    return user.isEmpty() ? QStringLiteral("desktop") : user;
}

void ConsoleModels::update(const ConsoleSnapshot &snapshot)
{
    overview.setActiveAlerts(alerts.activeCount()); // evaluated by the host with this snapshot
    overview.setStale(alerts.isActive(QStringLiteral("results_stale")));
    for (SnapshotTableModel *m : std::initializer_list<SnapshotTableModel *>{
             &overview, &partitions, &operators, &sink, &checkpoints, &topPosts, &regions, &velocity, &spam, &watchedPost,
             &kafkaPartitions, &kafkaMembers})
        m->setSnapshot(snapshot);
}

QTableView *Page::addTable(QAbstractItemModel *model)
{
    auto *view = new QTableView(this);
    view->setModel(new TranslatedModel(model, view));
    view->setItemDelegate(new HighlightDelegate(view));
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->verticalHeader()->hide();
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->setAlternatingRowColors(true);
    m_tables.push_back(view);
    return view;
}

TimeSeriesChart *Page::addChart(const QString &title, const QString &unit)
{
    auto *chart = new TimeSeriesChart(title, unit, this);
    m_charts.push_back(chart);
    return chart;
}

void Page::refreshCharts()
{
    if (!isVisible())
        return; // charts redraw when their page is shown
    for (TimeSeriesChart *c : m_charts)
        c->refresh(m_host.timeSeries());
}

// ---------------------------------------------------------------------------------------------

class OverviewPage final : public Page {
    Q_OBJECT
public:
    OverviewPage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        auto *layout = new QVBoxLayout(this);
        auto *banner = new QLabel(this);
        banner->setObjectName(QStringLiteral("overviewBanner"));
        banner->setText(tr("Source: %1  →  Sink: %2").arg(host.sourceDescription(), host.sinkDescription()));
        layout->addWidget(banner);
        auto *split = new QSplitter(Qt::Horizontal, this);
        split->addWidget(addTable(&models.overview));
        auto *throughput = addChart(tr("Throughput"), tr("per second"));
        throughput->addSeries({QStringLiteral("tally_events_total:rate"), {}, tr("events in"), {}, 1});
        throughput->addSeries({QStringLiteral("tally_output_rows_total:rate"), {}, tr("rows out"), {}, 1});
        split->addWidget(throughput);
        // Both readable: the figures' values (freshness and its parts) are long, and a chart
        // narrower than its labels shows none. The table first, the chart the rest.
        throughput->setMinimumWidth(320);
        split->setChildrenCollapsible(false);
        split->setStretchFactor(0, 3);
        split->setStretchFactor(1, 2);
        split->setSizes({600, 400});
        layout->addWidget(split, 1);
        auto *alerts = new QGroupBox(tr("Alerts"), this);
        auto *alertsLayout = new QVBoxLayout(alerts);
        alertsLayout->addWidget(addTable(&models.alerts));
        layout->addWidget(alerts);
    }
    QString title() const override { return tr("Overview"); }
    void refresh() override { refreshCharts(); }
};

class LagPage final : public Page {
    Q_OBJECT
public:
    LagPage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        auto *layout = new QVBoxLayout(this);
        m_estimate = new QLabel(this);
        layout->addWidget(m_estimate);
        layout->addWidget(addTable(&models.partitions));
        auto *lag = addChart(tr("Consumer lag per partition"), tr("seconds"));
        lag->addSeries({QStringLiteral("tally_kafka_consumer_lag_seconds"), {}, tr("partition %1"), QStringLiteral("partition"), 1});
        auto *records = addChart(tr("Records per partition"), tr("records/s"));
        records->addSeries({QStringLiteral("tally_partition_records_total:rate"), {}, tr("partition %1"), QStringLiteral("partition"), 1});
        auto *charts = new QSplitter(Qt::Horizontal, this);
        charts->addWidget(lag);
        charts->addWidget(records);
        layout->addWidget(charts, 1);
    }
    QString title() const override { return tr("Consumer lag"); }
    void refresh() override
    {
        const ConsoleSnapshot &s = m_host.snapshot();
        if (!s.kafka) {
            m_estimate->setText(tr("The built-in generator has no consumer lag: records are produced on demand. "
                                   "Records per partition show where the traffic goes."));
            m_charts[0]->setPlaceholder(tr("no consumer lag: the source is the built-in generator"));
        } else {
            m_estimate->setText(tr("Largest lag %1; time to catch up at the current rates: %2")
                                    .arg(translated(formatDuration(s.lagSeconds)),
                                         translated(formatTimeToCatchUp(s.timeToCatchUpSeconds))));
        }
        refreshCharts();
    }

private:
    QLabel *m_estimate;
};

class WatermarksPage final : public Page {
    Q_OBJECT
public:
    WatermarksPage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        auto *layout = new QVBoxLayout(this);
        m_summary = new QLabel(this);
        layout->addWidget(m_summary);
        auto *delay = addChart(tr("Partition watermarks behind the wall clock"), tr("seconds"));
        delay->addSeries({QStringLiteral("tally_partition_watermark_ms"), {}, tr("partition %1"), QStringLiteral("partition"), 1, true});
        auto *skew = addChart(tr("Watermark skew"), tr("seconds"));
        skew->addSeries({QStringLiteral("tally_watermark_skew_ms"), {}, tr("skew (max - min)"), {}, 0.001});
        skew->addSeries({QStringLiteral("tally_watermark_bound_ms"), {}, tr("out-of-orderness bound"), {}, 0.001});
        auto *late = addChart(tr("Late and dropped events"), tr("events/s"));
        late->addSeries({QStringLiteral("tally_late_events_total:rate"), {}, tr("late (window re-fired)"), {}, 1});
        late->addSeries({QStringLiteral("tally_dropped_events_total:rate"), {}, tr("dropped (past allowed lateness)"), {}, 1});
        auto *grid = new QGridLayout;
        grid->addWidget(delay, 0, 0);
        grid->addWidget(skew, 0, 1);
        grid->addWidget(late, 1, 0, 1, 2);
        layout->addLayout(grid, 1);
    }
    QString title() const override { return tr("Watermarks"); }
    void refresh() override
    {
        const ConsoleSnapshot &s = m_host.snapshot();
        const auto lagging = s.laggingPartition();
        m_summary->setText(tr("Job watermark %1, skew %2. %3 Late so far: %4, dropped: %5.")
                               .arg(translated(formatEventTime(s.job.watermarkMs)),
                                    translated(formatDuration(static_cast<double>(s.job.watermarkSkewMs) / 1000.0)),
                                    lagging ? tr("Partition %1 holds the watermark back.").arg(*lagging) : QString(),
                                    formatCount(static_cast<double>(s.job.lateEvents)),
                                    formatCount(static_cast<double>(s.job.droppedEvents))));
        refreshCharts();
    }

private:
    QLabel *m_summary;
};

class CheckpointsPage final : public Page {
    Q_OBJECT
public:
    CheckpointsPage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        auto *layout = new QVBoxLayout(this);
        m_note = note(translated(models.checkpoints.unavailableReason()), this);
        layout->addWidget(m_note);
        layout->addWidget(addTable(&models.checkpoints));
        auto *duration = addChart(tr("Checkpoint duration"), tr("ms"));
        duration->addSeries({QStringLiteral("tally_checkpoint_duration_ms:max"), {}, tr("duration (max per second)"), {}, 1});
        const double intervalMs = static_cast<double>(host.config().checkpoint.intervalMs);
        duration->setReferenceLine(tr("80% of the interval"), intervalMs * 0.8);
        layout->addWidget(duration, 1);
        // What is on disk to continue from, as Flink lists its retained checkpoints.
        auto *onDisk = new QGroupBox(tr("Checkpoints and savepoints on disk"), this);
        auto *diskLayout = new QVBoxLayout(onDisk);
        m_restorePoints = addTable(&m_restorePointModel);
        diskLayout->addWidget(m_restorePoints);
        m_restoreCommand = new QLineEdit(onDisk);
        m_restoreCommand->setObjectName(QStringLiteral("restoreCommand"));
        m_restoreCommand->setReadOnly(true);
        m_restoreCommand->setPlaceholderText(
            tr("Pick one to see the command that continues from it (with the options this job was started with)."));
        diskLayout->addWidget(m_restoreCommand);
        layout->addWidget(onDisk, 1);
        connect(m_restorePoints->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
                [this](const QModelIndex &current) {
                    const RestorePoint *p = m_restorePointModel.point(current.row());
                    m_restoreCommand->setText(p ? restoreCommand(*p) : QString());
                });
    }
    QString title() const override { return tr("Checkpoints"); }
    void refresh() override
    {
        m_note->setVisible(!m_models.checkpoints.available());
        refreshCharts();
        // The folders are read when the page shows, then every few seconds (a checkpoint a
        // second at most comes or goes), not on every snapshot.
        if (isVisible() && (!m_listedAt.isValid() || m_listedAt.elapsed() >= 5000)) {
            m_listedAt.start();
            m_restorePointModel.setPoints(m_host.restorePoints());
        }
    }

protected:
    void showEvent(QShowEvent *event) override
    {
        m_listedAt.invalidate(); // shown again: read the folders at the next refresh
        Page::showEvent(event);
    }

private:
    QLabel *m_note;
    RestorePointModel m_restorePointModel;
    QElapsedTimer m_listedAt;
    QTableView *m_restorePoints = nullptr;
    QLineEdit *m_restoreCommand = nullptr;
};

class BackpressurePage final : public Page {
    Q_OBJECT
public:
    BackpressurePage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        auto *layout = new QVBoxLayout(this);
        m_graph = new OperatorGraph(this);
        layout->addWidget(m_graph);
        layout->addWidget(note(tr("Backpressured: time an operator waited for a full queue downstream. The slowest "
                                  "operator is the first busy one after a backpressured chain."),
                               this));
        // Per operator: records in and out, shares of time now; beside it, backpressure over time.
        auto *split = new QSplitter(Qt::Horizontal, this);
        split->addWidget(addTable(&models.operators));
        auto *history = addChart(tr("Backpressured time per operator"), tr("% of time"));
        // Nanoseconds blocked per second: 1e9 is all of it, so 1e-7 makes a percentage.
        history->addSeries({QStringLiteral("tally_operator_backpressured_nanoseconds_total:rate"), {}, QStringLiteral("%1"),
                            QStringLiteral("operator"), 1e-7});
        history->chart()->legend()->setAlignment(Qt::AlignRight); // one operator a line: names stay whole
        history->setMinimumWidth(480); // room for the legend and the time labels
        split->addWidget(history);
        split->setChildrenCollapsible(false);
        split->setStretchFactor(0, 0);
        split->setStretchFactor(1, 1);
        split->setSizes({560, 600}); // about even: the table reads whole, the legend fits
        layout->addWidget(split, 1);
    }
    QString title() const override { return tr("Backpressure"); }
    void refresh() override
    {
        const ConsoleSnapshot &s = m_host.snapshot();
        m_graph->setOperators(s.operators, QString::fromStdString(s.sink.present ? s.sink.name : std::string()));
        refreshCharts();
    }

private:
    OperatorGraph *m_graph;
};

class SinksPage final : public Page {
    Q_OBJECT
public:
    SinksPage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        auto *layout = new QHBoxLayout(this);
        layout->addWidget(addTable(&models.sink));
        auto *charts = new QVBoxLayout;
        const std::string sink = host.snapshot().sink.present ? host.snapshot().sink.name : "sqlite";
        auto *latency = addChart(tr("Write latency"), tr("ms"));
        latency->addSeries({QStringLiteral("tally_sink_write_latency_us:p50"), {{"sink", sink}}, tr("p50"), {}, 0.001});
        latency->addSeries({QStringLiteral("tally_sink_write_latency_us:p99"), {{"sink", sink}}, tr("p99"), {}, 0.001});
        auto *rows = addChart(tr("Rows written and pending"), tr("rows"));
        rows->addSeries({QStringLiteral("tally_sink_rows_total:rate"), {{"sink", sink}}, tr("rows/s"), {}, 1});
        rows->addSeries({QStringLiteral("tally_sink_pending_rows"), {{"sink", sink}}, tr("pending"), {}, 1});
        rows->addSeries({QStringLiteral("tally_sink_diverted_rows"), {{"sink", sink}}, tr("diverted"), {}, 1});
        charts->addWidget(latency);
        charts->addWidget(rows);
        layout->addLayout(charts, 2);
    }
    QString title() const override { return tr("Sinks"); }
    void refresh() override { refreshCharts(); }
};

class WindowsPage final : public Page {
    Q_OBJECT
public:
    WindowsPage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        auto *grid = new QGridLayout(this);
        auto group = [&](const QString &title, WindowLeadersModel &model, int row, int col) {
            auto *box = new QGroupBox(title, this);
            auto *l = new QVBoxLayout(box);
            auto *window = new QLabel(box);
            l->addWidget(window);
            QTableView *table = addTable(&model);
            l->addWidget(table);
            m_windowLabels.push_back({window, &model});
            grid->addWidget(box, row, col);
            return table;
        };
        QTableView *posts = group(tr("Top posts now (likes_per_post)"), models.topPosts, 0, 0);
        group(tr("Likes by region"), models.regions, 0, 1);
        group(tr("Velocity leaders (like_velocity)"), models.velocity, 1, 0);
        group(tr("Spam suspects"), models.spam, 1, 1);
        // The watched post's history, bound to its model: the chart is built once and the mapper
        // moves its points as the model changes.
        auto *chart = new QChart;
        chart->legend()->hide();
        chart->setMargins(QMargins(4, 4, 4, 4));
        m_historyLine = new QLineSeries(chart);
        chart->addSeries(m_historyLine);
        m_historyTime = new QDateTimeAxis(chart);
        m_historyTime->setFormat(QStringLiteral("HH:mm:ss"));
        m_historyTime->setTickCount(5);
        m_historyTime->setTitleText(tr("window start (event time)"));
        const QDateTime now = QDateTime::currentDateTime(); // drawn only with a range from the start
        m_historyTime->setRange(now.addSecs(-60), now);
        m_historyLikes = new QValueAxis(chart);
        m_historyLikes->setTitleText(tr("net likes"));
        m_historyLikes->setLabelFormat(QStringLiteral("%g"));
        chart->addAxis(m_historyTime, Qt::AlignBottom);
        chart->addAxis(m_historyLikes, Qt::AlignLeft);
        m_historyLine->attachAxis(m_historyTime);
        m_historyLine->attachAxis(m_historyLikes);
        auto *mapper = new QVXYModelMapper(this);
        mapper->setXColumn(0);
        mapper->setYColumn(1);
        mapper->setSeries(m_historyLine);
        mapper->setModel(&models.watchedPost);
        m_history = new ThemedChartView(chart, this);
        m_history->setMinimumHeight(200);
        grid->addWidget(m_history, 2, 0, 1, 2);
        connect(posts->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
            if (!current.isValid())
                return;
            const QModelIndex key = current.siblingAtColumn(1);
            m_host.watchPost(key.data(kSortRole).toULongLong());
        });
    }
    QString title() const override { return tr("Windows"); }
    void refresh() override
    {
        for (auto &[label, model] : m_windowLabels)
            label->setText(tr("Window %1").arg(translated(model->windowText())));
        const ConsoleSnapshot &s = m_host.snapshot();
        if (!s.watchedPost) { // follow the leading post until the operator picks one
            const LiveWindow *first = nullptr;
            for (const LiveWindow &w : s.windows)
                if (w.aggregation == Aggregation::LikesPerPost && !w.leaders.empty())
                    first = &w;
            if (first)
                m_host.watchPost(first->leaders.front().key);
        }
        const WatchedPostModel &watched = m_models.watchedPost;
        m_history->chart()->setTitle(watched.post() ? tr("Post %1, likes per window").arg(*watched.post()) : tr("Select a post"));
        // The axes span the windows shown (the mapper has moved the points already).
        const int rows = watched.rowCount();
        if (rows > 0) {
            double first = watched.index(0, 0).data().toDouble(), last = first, most = 0, least = 0;
            for (int r = 0; r < rows; ++r) {
                const double start = watched.index(r, 0).data().toDouble(), likes = watched.index(r, 1).data().toDouble();
                first = std::min(first, start);
                last = std::max(last, start);
                most = std::max(most, likes);
                least = std::min(least, likes);
            }
            m_historyTime->setRange(QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(first)),
                                    QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(std::max(last, first + 1000))));
            m_historyLikes->setRange(least < 0 ? least * 1.15 : 0, most > 0 ? most * 1.15 : 1);
            m_historyLikes->applyNiceNumbers();
        }
        m_historyPoints = rows;
    }
    int historyPoints() const { return m_historyPoints; }

private:
    std::vector<std::pair<QLabel *, WindowLeadersModel *>> m_windowLabels;
    ThemedChartView *m_history;
    QLineSeries *m_historyLine;
    QDateTimeAxis *m_historyTime;
    QValueAxis *m_historyLikes;
    int m_historyPoints = 0;
};

class AlertsPage final : public Page {
    Q_OBJECT
public:
    AlertsPage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        auto *layout = new QHBoxLayout(this);
        auto *left = new QVBoxLayout;
        QTableView *alerts = addTable(&models.alerts);
        left->addWidget(alerts, 1);
        auto *rules = new QGroupBox(tr("Rules (thresholds apply at once, are kept and audited)"), this);
        auto *form = new QFormLayout(rules);
        for (const AlertRule &rule : models.alerts.rules()) {
            auto *spin = new QDoubleSpinBox(rules);
            spin->setRange(0, 1e9);
            spin->setDecimals(1);
            spin->setValue(rule.threshold);
            spin->setSuffix(QLatin1Char(' ') + translated(rule.thresholdUnit));
            spin->setObjectName(QStringLiteral("threshold_") + rule.id);
            const QString id = rule.id;
            // Once an edit is done (not at every keystroke), and only if the operator changed the
            // value (a threshold set on the web may have more decimals than the box shows): one
            // audit entry per change.
            connect(spin, &QDoubleSpinBox::valueChanged, spin, [spin] { spin->setProperty("edited", true); });
            connect(spin, &QDoubleSpinBox::editingFinished, this, [this, id, spin] {
                if (!spin->property("edited").toBool())
                    return;
                spin->setProperty("edited", false);
                (void)m_host.setAlertThreshold(id, spin->value(), currentUser(), QStringLiteral("desktop"));
            });
            // A change from the web console shows here too.
            connect(&host, &EngineHost::alertThresholdChanged, spin, [spin, id](const QString &ruleId, double threshold) {
                if (ruleId == id && spin->value() != threshold) {
                    const QSignalBlocker quiet(spin);
                    spin->setValue(threshold);
                }
            });
            auto *runbook =
                new QLabel(QStringLiteral("<a href=\"%1\">%2</a>").arg(id, translated(rule.title).toHtmlEscaped()), rules);
            connect(runbook, &QLabel::linkActivated, this, [this](const QString &ruleId) { showRunbook(ruleId); });
            form->addRow(runbook, spin);
        }
        left->addWidget(rules);
        layout->addLayout(left, 1);
        m_runbook = new QTextBrowser(this);
        m_runbook->setOpenLinks(false);
        connect(m_runbook, &QTextBrowser::anchorClicked, this, [this](const QUrl &url) {
            if (url.scheme() == QLatin1String("action")) {
                if (auto action = EngineHost::actionFromName(url.path()))
                    emit actionRequested(*action);
            }
        });
        layout->addWidget(m_runbook, 1);
        connect(alerts->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &current) {
            if (current.isValid())
                showRunbook(current.data(Qt::UserRole).toString());
        });
        showRunbook(models.alerts.rules().front().id);
    }
    QString title() const override { return tr("Alerts & runbooks"); }
    void refresh() override {}
    void showRunbook(const QString &ruleId)
    {
        const QString markdown = runbookMarkdown(ruleId);
        m_runbook->setMarkdown(!markdown.isEmpty() ? markdown : tr("No runbook for %1.").arg(ruleId));
    }

private:
    QTextBrowser *m_runbook;
};

class AuditPage final : public Page {
    Q_OBJECT
public:
    AuditPage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        auto *layout = new QVBoxLayout(this);
        layout->addWidget(note(tr("Every operator action, from this window, the web console or the API, with its "
                                  "outcome. Stored in %1.")
                                   .arg(host.auditLog().path()),
                               this));
        layout->addWidget(addTable(models.audit.get()), 1);
    }
    QString title() const override { return tr("Audit log"); }
    void refresh() override {}
};

// The newest dead letters of the run: a table to pick one from, filtered by reason, and the
// picked record's bytes as text and as a hex dump.
class DeadLettersPage final : public Page {
    Q_OBJECT
public:
    DeadLettersPage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        setObjectName(QStringLiteral("deadLettersPage"));
        auto *layout = new QVBoxLayout(this);
        layout->addWidget(note(tr("Records that could not be decoded, newest first: the last %1 of this run. The sink "
                                  "keeps every one (its dead_letters table, or the dead-letter topic with Kafka); "
                                  "\"Stored\" reads the SQLite sink's table, every run's.")
                                   .arg(formatCount(RecentDeadLetters::kKept)),
                               this));
        auto *bar = new QHBoxLayout;
        m_totals = new QLabel(this);
        m_totals->setObjectName(QStringLiteral("deadLetterTotals"));
        m_totals->setWordWrap(true);
        bar->addWidget(m_totals, 1);
        m_scope = new QComboBox(this);
        m_scope->setObjectName(QStringLiteral("deadLetterScope"));
        m_scope->addItem(tr("This run"));
        m_scope->addItem(tr("Stored (every run)"));
        connect(m_scope, &QComboBox::currentIndexChanged, this, [this] {
            m_picked.reset();
            m_storedReadAt.invalidate();
            refresh();
        });
        bar->addWidget(m_scope);
        m_reason = new QComboBox(this);
        m_reason->setObjectName(QStringLiteral("deadLetterReason"));
        m_reason->addItem(tr("All reasons"));
        for (size_t r = 0; r < kRejectReasonCount; ++r)
            m_reason->addItem(QString::fromUtf8(rejectReasonName(static_cast<RejectReason>(r))), static_cast<int>(r));
        connect(m_reason, &QComboBox::currentIndexChanged, this, [this] {
            m_storedReadAt.invalidate();
            refresh();
        });
        bar->addWidget(new QLabel(tr("Reason:"), this));
        bar->addWidget(m_reason);
        layout->addLayout(bar);

        auto *split = new QSplitter(Qt::Vertical, this);
        m_table = addTable(&m_model);
        split->addWidget(m_table);
        auto *detail = new QWidget(split);
        auto *detailLayout = new QVBoxLayout(detail);
        detailLayout->setContentsMargins(0, 0, 0, 0);
        m_where = new QLabel(tr("Pick a record to see its bytes."), detail);
        m_where->setWordWrap(true);
        detailLayout->addWidget(m_where);
        auto *views = new QTabWidget(detail);
        const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
        for (QPlainTextEdit **edit : {&m_text, &m_hex}) {
            *edit = new QPlainTextEdit(views);
            (*edit)->setReadOnly(true);
            (*edit)->setFont(fixed);
        }
        m_text->setObjectName(QStringLiteral("deadLetterText"));
        m_hex->setObjectName(QStringLiteral("deadLetterHex"));
        m_hex->setLineWrapMode(QPlainTextEdit::NoWrap);
        views->addTab(m_text, tr("Text"));
        views->addTab(m_hex, tr("Hex"));
        detailLayout->addWidget(views, 1);
        split->addWidget(detail);
        split->setStretchFactor(0, 3);
        split->setStretchFactor(1, 1);
        split->setSizes({3000, 1000}); // the list first; the bytes of one record need less
        layout->addWidget(split, 1);
        connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
                [this](const QModelIndex &current) {
                    const BrowsedDeadLetter *d = m_model.letter(current.row());
                    m_picked = d ? std::optional(d->sequence) : std::nullopt;
                    showPicked();
                });
    }
    QString title() const override { return tr("Dead letters"); }
    void refresh() override
    {
        if (!isVisible()) {
            m_storedReadAt.invalidate(); // shown again: the stored letters are read again
            return;                      // read when shown
        }
        if (m_scope->currentIndex() == 1)
            refreshStored();
        else
            refreshThisRun();
        // The picked record stays picked while it is kept.
        const std::optional<int> row = m_picked ? m_model.rowOf(*m_picked) : std::nullopt;
        if (row && m_table->currentIndex().row() != *row)
            m_table->setCurrentIndex(m_table->model()->index(*row, 0));
        else if (!row)
            showPicked();
    }

private:
    std::optional<RejectReason> reasonFilter() const
    {
        const QVariant reason = m_reason->currentData();
        return reason.isValid() ? std::optional(static_cast<RejectReason>(reason.toInt())) : std::nullopt;
    }

    // The sink's table: read when shown, when the filter changes, then every 5 s (a file read).
    void refreshStored()
    {
        constexpr qint64 kRereadMs = 5000;
        if (m_storedReadAt.isValid() && m_storedReadAt.elapsed() < kRereadMs)
            return;
        m_storedReadAt.start();
        m_shown = {};
        const Result<StoredDeadLetters> stored = m_host.storedDeadLetters(reasonFilter(), RecentDeadLetters::kKept, UINT64_MAX);
        if (!stored) {
            m_model.setLetters({});
            m_totals->setText(tr("No stored dead letters to show: %1").arg(QString::fromStdString(stored.status().message())));
            return;
        }
        const size_t count = stored->letters.size();
        m_model.setLetters(stored->letters);
        m_totals->setText(!stored->complete ? tr("The newest %1 stored dead letters (the read stopped after half a second: "
                                                 "older ones are not shown).")
                                                  .arg(formatCount(static_cast<double>(count)))
                          : count == 0      ? tr("No stored dead letters.")
                                            : tr("The newest %1 stored dead letters, every run's.").arg(formatCount(static_cast<double>(count))));
    }

    void refreshThisRun()
    {
        const RecentDeadLetters &recent = m_host.recentDeadLetters();
        const auto totals = recent.totals();
        uint64_t all = 0;
        for (uint64_t n : totals)
            all += n;
        // The letters are copied (up to 4 MB) only when there are new ones, another filter, or
        // another job (a rescale): not on every snapshot.
        const std::tuple shown{&recent, all, m_reason->currentIndex()};
        if (shown != m_shown) {
            m_shown = shown;
            m_model.setLetters(recent.newest(reasonFilter(), RecentDeadLetters::kKept));
        }
        QStringList parts;
        for (size_t r = 0; r < totals.size(); ++r) {
            if (totals[r] > 0)
                parts << QStringLiteral("%1 %2").arg(QString::fromUtf8(rejectReasonName(static_cast<RejectReason>(r))),
                                                      formatCount(static_cast<double>(totals[r])));
        }
        m_totals->setText(all == 0 ? tr("No dead letters in this run.")
                                   : tr("%1 dead letters in this run: %2").arg(formatCount(static_cast<double>(all)),
                                                                               parts.join(QStringLiteral(", "))));
    }

    void showPicked()
    {
        const std::optional<int> row = m_picked ? m_model.rowOf(*m_picked) : std::nullopt;
        const BrowsedDeadLetter *d = row ? m_model.letter(*row) : nullptr;
        if (!d) {
            m_where->setText(tr("Pick a record to see its bytes."));
            m_text->clear();
            m_hex->clear();
            return;
        }
        QString where = tr("%1 from partition %2, offset %3, %4 bytes: %5")
                            .arg(QString::fromUtf8(rejectReasonName(d->reason)))
                            .arg(d->partition)
                            .arg(d->offset)
                            .arg(formatCount(static_cast<double>(d->payloadBytes)), QString::fromStdString(d->detail));
        if (d->payloadBytes > d->payload.size())
            where += QLatin1Char(' ') + tr("(the first %1 bytes shown)").arg(formatCount(static_cast<double>(d->payload.size())));
        m_where->setText(where);
        m_text->setPlainText(payloadAsText(d->payload));
        m_hex->setPlainText(payloadAsHex(d->payload));
    }

    DeadLetterModel m_model;
    QTableView *m_table = nullptr;
    QLabel *m_totals = nullptr;
    QComboBox *m_reason = nullptr;
    QComboBox *m_scope = nullptr;  // this run's letters, or the sink's stored ones
    QElapsedTimer m_storedReadAt;  // when the stored ones were read (invalid: read on the next refresh)
    QLabel *m_where = nullptr;
    QPlainTextEdit *m_text = nullptr;
    QPlainTextEdit *m_hex = nullptr;
    std::optional<uint64_t> m_picked; // the sequence of the record shown below the table
    std::tuple<const RecentDeadLetters *, uint64_t, int> m_shown{}; // what m_model holds: whose, how many noted, which filter
};

// The topic and the consumer group as the broker describes them (Kafbat UI's topic and group
// views): partitions with leader, replicas, ISR, log start and end, the group's offsets and owner;
// the group's members.
class KafkaPage final : public Page {
    Q_OBJECT
public:
    KafkaPage(EngineHost &host, ConsoleModels &models, QWidget *parent) : Page(host, models, parent)
    {
        setObjectName(QStringLiteral("kafkaPage"));
        auto *layout = new QVBoxLayout(this);
        m_summary = note(QString(), this);
        m_summary->setObjectName(QStringLiteral("kafkaSummary"));
        m_summary->setTextFormat(Qt::PlainText); // names and errors from the broker, never markup
        layout->addWidget(m_summary);
        auto *split = new QSplitter(Qt::Vertical, this);
        auto *partitions = new QGroupBox(tr("Partitions"), split);
        (new QVBoxLayout(partitions))->addWidget(addTable(&models.kafkaPartitions));
        auto *members = new QGroupBox(tr("Consumer group members"), split);
        (new QVBoxLayout(members))->addWidget(addTable(&models.kafkaMembers));
        split->addWidget(partitions);
        split->addWidget(members);
        split->setStretchFactor(0, 3);
        split->setStretchFactor(1, 1);
        layout->addWidget(split, 1);
    }
    QString title() const override { return tr("Kafka"); }
    void refresh() override
    {
        const ConsoleSnapshot &s = m_host.snapshot();
        if (s.job.topic)
            m_summary->setText(translated(formatTopicSummary(*s.job.topic)));
        else if (s.kafka) // between two jobs (a rescale): nobody reads the topic
            m_summary->setText(tr("No consumer reads the topic now (the job is starting or being replaced)."));
        else
            m_summary->setText(tr("The source is the built-in generator: there is no topic or consumer group "
                                  "to show. With [source] type = \"kafka\", this page shows the topic's "
                                  "partitions and the group's members as the broker describes them."));
    }

private:
    QLabel *m_summary;
};

std::vector<Page *> createPages(EngineHost &host, ConsoleModels &models, QWidget *parent)
{
    return {new OverviewPage(host, models, parent),   new LagPage(host, models, parent),
            new WatermarksPage(host, models, parent), new CheckpointsPage(host, models, parent),
            new BackpressurePage(host, models, parent), new SinksPage(host, models, parent),
            new WindowsPage(host, models, parent),    new AlertsPage(host, models, parent),
            new AuditPage(host, models, parent),      new DeadLettersPage(host, models, parent),
            new KafkaPage(host, models, parent)};
}

// ---------------------------------------------------------------------------------------------
// OperatorGraph

void OperatorGraph::setOperators(std::vector<OperatorFigures> operators, QString sinkName)
{
    m_operators = std::move(operators);
    m_sinkName = std::move(sinkName);
    update();
}

void OperatorGraph::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    // Columns: source, decoders, ingest, window tasks, output, sink.
    std::vector<std::vector<const OperatorFigures *>> columns(5);
    for (const OperatorFigures &o : m_operators) // OperatorKind is in pipeline order
        columns[static_cast<size_t>(o.kind)].push_back(&o);
    const int count = static_cast<int>(columns.size()) + (m_sinkName.isEmpty() ? 0 : 1);
    const double colWidth = width() / double(count);
    const QColor text = palette().color(QPalette::WindowText);
    std::vector<QPointF> previous;
    auto colour = [](const OperatorFigures &o) {
        if (o.backpressured > 0.5)
            return QColor(255, 140, 0);
        if (o.busy > 0.9)
            return QColor(220, 50, 47);
        return QColor::fromHsvF(0.33, 0.5 * o.busy + 0.15, 0.85);
    };
    for (int c = 0; c < count; ++c) {
        const bool sinkColumn = c == static_cast<int>(columns.size());
        const size_t n = sinkColumn ? 1 : columns[static_cast<size_t>(c)].size();
        std::vector<QPointF> centres;
        for (size_t i = 0; i < n; ++i) {
            const double h = height() / double(n);
            const QRectF box(c * colWidth + 8, i * h + h / 2 - 22, colWidth - 16, 44);
            centres.push_back(box.center());
            QString label;
            if (sinkColumn) {
                p.setBrush(palette().color(QPalette::Base));
                label = tr("sink: %1").arg(m_sinkName);
            } else {
                const OperatorFigures &o = *columns[static_cast<size_t>(c)][i];
                p.setBrush(colour(o));
                label = tr("%1\n%2 busy, %3 bp")
                            .arg(QString::fromStdString(o.name), translated(formatPercent(o.busy)),
                                 translated(formatPercent(o.backpressured)));
            }
            p.setPen(text);
            for (const QPointF &from : previous)
                p.drawLine(QPointF(from.x() + colWidth / 2 - 8, from.y()), QPointF(box.left(), box.center().y()));
            p.drawRoundedRect(box, 6, 6);
            p.setPen(Qt::black);
            p.drawText(box, Qt::AlignCenter, label);
        }
        if (n > 0)
            previous = centres;
    }
}

} // namespace tally

#include "pages.moc"
