// The console's pages. Each page shows one concern of the running job, from the shared models and
// the job's time series, and is refreshed by the main window after every snapshot.
#pragma once

#include "models/alerts.h"
#include "models/engine_host.h"
#include "models/snapshot_models.h"
#include "views/time_series_chart.h"
#include "views/translation.h"

#include <QLabel>
#include <QTableView>
#include <QTextBrowser>
#include <QWidget>

#include <vector>

namespace tally {

// The models every page reads; owned by the main window, except the alerts, which the host owns
// and evaluates (the web console shows the same ones).
struct ConsoleModels {
    OverviewModel overview;
    PartitionModel partitions;
    OperatorModel operators;
    SinkModel sink;
    CheckpointModel checkpoints;
    WindowLeadersModel topPosts{Aggregation::LikesPerPost};
    WindowLeadersModel regions{Aggregation::LikesByRegion};
    WindowLeadersModel velocity{Aggregation::LikeVelocity};
    WindowLeadersModel spam{Aggregation::SpamSuspects};
    WatchedPostModel watchedPost;
    KafkaPartitionModel kafkaPartitions;
    KafkaMemberModel kafkaMembers;
    AlertModel &alerts;
    std::unique_ptr<AuditModel> audit;

    explicit ConsoleModels(EngineHost &host)
        : alerts(host.alerts()), audit(std::make_unique<AuditModel>(host.auditLog()))
    {
    }
    void update(const ConsoleSnapshot &snapshot);
};

// Who the audit log names for actions taken on the desktop: the login name, else "desktop".
QString currentUser();

class Page : public QWidget {
    Q_OBJECT
public:
    Page(EngineHost &host, ConsoleModels &models, QWidget *parent = nullptr)
        : QWidget(parent), m_host(host), m_models(models)
    {
    }
    virtual QString title() const = 0;
    virtual void refresh() = 0;
    // Charts on the page, for tests: a page "has data" when its tables have rows or charts points.
    const std::vector<TimeSeriesChart *> &charts() const { return m_charts; }
    const std::vector<QTableView *> &tables() const { return m_tables; }

signals:
    // A runbook step asks for an operator action (the main window confirms and runs it).
    void actionRequested(tally::EngineHost::Action action);

protected:
    // A table showing `model` translated (TranslatedModel).
    QTableView *addTable(QAbstractItemModel *model);
    TimeSeriesChart *addChart(const QString &title, const QString &unit);
    void refreshCharts();

    EngineHost &m_host;
    ConsoleModels &m_models;
    std::vector<TimeSeriesChart *> m_charts;
    std::vector<QTableView *> m_tables;
};

// Creates the pages in navigation order: Overview, Consumer lag, Watermarks, Checkpoints,
// Backpressure, Sinks, Windows, Alerts & runbooks, Audit log, Dead letters, Kafka.
std::vector<Page *> createPages(EngineHost &host, ConsoleModels &models, QWidget *parent);

// Draws the operator graph (source -> decoders -> ingest -> window tasks -> output -> sink),
// each node coloured by its backpressured (orange) and busy (red) share.
class OperatorGraph : public QWidget {
    Q_OBJECT
public:
    explicit OperatorGraph(QWidget *parent = nullptr) : QWidget(parent) { setMinimumHeight(180); }
    void setOperators(std::vector<OperatorFigures> operators, QString sinkName);

protected:
    void paintEvent(QPaintEvent *) override;

private:
    std::vector<OperatorFigures> m_operators;
    QString m_sinkName;
};

} // namespace tally
