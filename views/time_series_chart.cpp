#include "views/time_series_chart.h"

#include "metrics/time_series.h"

#include <QChart>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QEvent>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <map>

namespace tally {

ThemedChartView::ThemedChartView(QChart *chart, QWidget *parent) : QChartView(chart, parent)
{
    setRenderHint(QPainter::Antialiasing);
    applyPalette();
}

void ThemedChartView::changeEvent(QEvent *event)
{
    QChartView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
}

void ThemedChartView::applyPalette()
{
    const bool dark = palette().color(QPalette::Window).lightness() < 128;
    const QChart::ChartTheme theme = dark ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    if (chart()->theme() != theme || !m_themed) {
        chart()->setTheme(theme); // recolours the lines, the axes, their labels and the background
        m_themed = true;
    }
    chart()->setBackgroundBrush(palette().color(QPalette::Base));
    chart()->setBackgroundRoundness(0);
    setBackgroundBrush(palette().color(QPalette::Window));
    paletteApplied(dark);
}

namespace {

QChart *timeChart(const QString &title)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    return chart;
}

} // namespace

TimeSeriesChart::TimeSeriesChart(const QString &title, const QString &unit, QWidget *parent)
    : ThemedChartView(timeChart(title), parent)
{
    m_time = new QDateTimeAxis;
    m_time->setFormat(QStringLiteral("HH:mm:ss"));
    m_time->setTickCount(5);
    m_time->setTitleText(tr("time"));
    m_values = new QValueAxis;
    m_values->setTitleText(unit);
    m_values->setLabelFormat(QStringLiteral("%g"));
    // A date-time axis shown before it has a range is never drawn, even once it gets one
    // (Qt 6.4): it starts with the last half minute.
    const QDateTime now = QDateTime::currentDateTime();
    m_time->setRange(now.addSecs(-30), now);
    chart()->addAxis(m_time, Qt::AlignBottom);
    chart()->addAxis(m_values, Qt::AlignLeft);
    setMinimumHeight(200);
    applyPalette(); // the axes, added after the base class themed the chart
}

void TimeSeriesChart::paletteApplied(bool dark)
{
    if (!m_reference)
        return;
    QPen pen(dark ? QColor(255, 110, 110) : QColor(Qt::red));
    pen.setStyle(Qt::DashLine);
    pen.setWidthF(1.5);
    m_reference->setPen(pen);
}

void TimeSeriesChart::addSeries(Series series) { m_series.push_back(std::move(series)); }

void TimeSeriesChart::setReferenceLine(const QString &legend, double value)
{
    m_referenceLegend = legend;
    m_referenceValue = value;
    m_hasReference = true;
}

void TimeSeriesChart::setPlaceholder(const QString &text)
{
    chart()->setTitle(chart()->title().section(QLatin1Char('\n'), 0, 0) + (text.isEmpty() ? QString() : QStringLiteral("\n") + text));
}

QLineSeries *TimeSeriesChart::addLine(const QString &legend)
{
    auto *line = new QLineSeries;
    line->setName(legend);
    chart()->addSeries(line);
    line->attachAxis(m_time);
    line->attachAxis(m_values);
    return line;
}

QLineSeries *TimeSeriesChart::lineFor(const QString &legend)
{
    QLineSeries *&line = m_lines[legend];
    if (!line)
        line = addLine(legend);
    return line;
}

void TimeSeriesChart::refresh(const TimeSeriesStore &store)
{
    // Lines by legend; rebuilt each refresh (a few hundred points per line at most).
    std::map<QString, QVector<QPointF>> lines;
    const auto names = store.seriesNames();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 from = now - qint64(m_windowSeconds) * 1000;
    for (const Series &s : m_series) {
        for (const auto &[name, labels] : names) {
            if (name != s.metric.toStdString())
                continue;
            bool matches = true;
            QString expanded;
            for (const auto &[k, v] : s.labels)
                matches = matches && std::find(labels.begin(), labels.end(), std::pair(k, v)) != labels.end();
            if (!s.expandLabel.isEmpty()) {
                auto it = std::find_if(labels.begin(), labels.end(),
                                       [&](const auto &kv) { return kv.first == s.expandLabel.toStdString(); });
                if (it == labels.end())
                    continue;
                expanded = QString::fromStdString(it->second);
            }
            if (!matches)
                continue;
            QVector<QPointF> &points = lines[s.legend.contains(QLatin1String("%1")) ? s.legend.arg(expanded) : s.legend];
            for (const TimeSeriesPoint &p : store.series(name, labels)) {
                // An event-time gauge at 0 or below has no event yet: its "age" would be decades.
                if (p.tMs < from || !std::isfinite(p.value) || (s.age && p.value <= 0))
                    continue;
                points.push_back(QPointF(static_cast<qreal>(p.tMs),
                                         s.age ? (static_cast<double>(p.tMs) - p.value) / 1000.0 : p.value * s.scale));
            }
        }
    }
    m_points = 0;
    double maxValue = m_hasReference ? m_referenceValue : 0;
    double minValue = 0;
    for (auto &[legend, points] : lines) {
        lineFor(legend)->replace(points);
        m_points += static_cast<int>(points.size());
        for (const QPointF &p : points) {
            maxValue = std::max(maxValue, p.y());
            minValue = std::min(minValue, p.y());
        }
    }
    // A line whose series went away (a partition revoked) leaves the chart.
    for (auto it = m_lines.begin(); it != m_lines.end();) {
        if (lines.contains(it->first)) {
            ++it;
            continue;
        }
        chart()->removeSeries(it->second);
        delete it->second;
        it = m_lines.erase(it);
    }
    // The axis spans the data it has (up to the window), so a young job's chart is not a sliver.
    qint64 first = now;
    for (const auto &[legend, points] : lines)
        if (!points.isEmpty())
            first = std::min(first, static_cast<qint64>(points.front().x()));
    const qint64 axisStart = std::min(first, now - 30000);
    m_time->setRange(QDateTime::fromMSecsSinceEpoch(axisStart), QDateTime::fromMSecsSinceEpoch(now));
    if (m_hasReference) {
        if (!m_reference) {
            m_reference = addLine(m_referenceLegend);
            applyPalette(); // its pen
        }
        m_reference->replace(QList<QPointF>{{static_cast<qreal>(axisStart), m_referenceValue}, {static_cast<qreal>(now), m_referenceValue}});
    }
    m_values->setRange(minValue < 0 ? minValue * 1.15 : 0, maxValue > 0 ? maxValue * 1.15 : 1);
    m_values->applyNiceNumbers();
}

} // namespace tally
