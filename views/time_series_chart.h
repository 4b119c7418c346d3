// A TimeSeriesChart plots series of the job's TimeSeriesStore (one point a second, the last
// minutes) against wall-clock time. Series are chosen by metric name and labels; a series whose
// labels leave one out ("partition") expands to one line per value of that label. The chart
// follows the application's palette (a dark theme gets a dark chart); a sample that is no
// measurement (an event-time gauge before its first event) is not plotted.
#pragma once

#include "metrics/metrics.h"

#include <QChartView>
#include <QString>
#include <QVector>

#include <functional>
#include <map>

class QDateTimeAxis;
class QLineSeries;
class QValueAxis;

namespace tally {

class TimeSeriesStore;

// A chart view that follows the application's palette: a dark theme gets a dark chart (lines,
// axes, labels and background), and the chart's background is the page's.
class ThemedChartView : public QChartView {
    Q_OBJECT
public:
    explicit ThemedChartView(QChart *chart, QWidget *parent = nullptr);

protected:
    void changeEvent(QEvent *event) override;
    void applyPalette();
    // After the theme was applied: what the theme does not colour (a reference line).
    virtual void paletteApplied(bool dark) { (void)dark; }

private:
    bool m_themed = false;
};

class TimeSeriesChart : public ThemedChartView {
    Q_OBJECT
public:
    struct Series {
        QString metric;        // e.g. "tally_events_total:rate"
        Labels labels;         // labels the series must have
        QString legend;        // "%1" is replaced by the value of `expandLabel`
        QString expandLabel;   // empty: one line; else one line per value of this label
        double scale = 1;      // multiplies every value (e.g. 1e-3 for us -> ms)
        bool age = false;      // plot (sample time - value) in seconds: how far an event-time
                               // gauge (a watermark) trails the wall clock
    };

    TimeSeriesChart(const QString &title, const QString &unit, QWidget *parent = nullptr);

    void addSeries(Series series);
    // A horizontal reference line (e.g. the checkpoint interval's 80% mark).
    void setReferenceLine(const QString &legend, double value);
    void setWindowSeconds(int seconds) { m_windowSeconds = seconds; }
    // Redraws from the store; keeps the last `windowSeconds`.
    void refresh(const TimeSeriesStore &store);
    // Points drawn in the newest refresh, over all lines (tests use it to tell a live chart).
    int pointCount() const { return m_points; }
    void setPlaceholder(const QString &text); // shown over an empty chart

protected:
    void paletteApplied(bool dark) override;

private:
    QLineSeries *addLine(const QString &legend); // on the chart, attached to both axes
    QLineSeries *lineFor(const QString &legend);  // the line of a legend, added on first use

    QVector<Series> m_series;
    // The chart's lines by legend, kept across refreshes: a refresh replaces their points, so the
    // chart never rebuilds and the colours stay with their legends.
    std::map<QString, QLineSeries *> m_lines;
    QLineSeries *m_reference = nullptr;
    QString m_referenceLegend;
    double m_referenceValue = 0;
    bool m_hasReference = false;
    QDateTimeAxis *m_time = nullptr;
    QValueAxis *m_values = nullptr;
    int m_windowSeconds = 300;
    int m_points = 0;
};

} // namespace tally
