#include "views/time_series_chart.h"

#include "metrics/time_series.h"

#include <QChart>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>
#include <map>

namespace tally {

TimeSeriesChart::TimeSeriesChart(const QString &title, const QString &unit, QWidget *parent) : QChartView(parent)
{
    auto *chart = new QChart;
    chart->setTitle(title);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    m_time = new QDateTimeAxis;
    m_time->setFormat(QStringLiteral("HH:mm:ss"));
    m_time->setTickCount(5);
    m_values = new QValueAxis;
    m_values->setTitleText(unit);
    m_values->setLabelFormat(QStringLiteral("%.0f"));
    chart->addAxis(m_time, Qt::AlignBottom);
    chart->addAxis(m_values, Qt::AlignLeft);
    setChart(chart);
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(200);
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
            for (const TimeSeriesPoint &p : store.series(name, labels))
                if (p.tMs >= from)
                    points.push_back(QPointF(static_cast<qreal>(p.tMs),
                                             s.age ? (static_cast<double>(p.tMs) - p.value) / 1000.0 : p.value * s.scale));
        }
    }
    QChart *c = chart();
    c->removeAllSeries();
    m_points = 0;
    double maxValue = m_hasReference ? m_referenceValue : 0;
    for (auto &[legend, points] : lines) {
        auto *line = new QLineSeries;
        line->setName(legend);
        line->replace(points);
        c->addSeries(line);
        line->attachAxis(m_time);
        line->attachAxis(m_values);
        m_points += static_cast<int>(points.size());
        for (const QPointF &p : points)
            maxValue = std::max(maxValue, p.y());
    }
    if (m_hasReference) {
        auto *ref = new QLineSeries;
        ref->setName(m_referenceLegend);
        ref->append(static_cast<qreal>(from), m_referenceValue);
        ref->append(static_cast<qreal>(now), m_referenceValue);
        QPen pen(Qt::red);
        pen.setStyle(Qt::DashLine);
        ref->setPen(pen);
        c->addSeries(ref);
        ref->attachAxis(m_time);
        ref->attachAxis(m_values);
    }
    // The axis spans the data it has (up to the window), so a young job's chart is not a sliver.
    qint64 first = now;
    for (const auto &[legend, points] : lines)
        if (!points.isEmpty())
            first = std::min(first, static_cast<qint64>(points.front().x()));
    m_time->setRange(QDateTime::fromMSecsSinceEpoch(std::min(first, now - 30000)), QDateTime::fromMSecsSinceEpoch(now));
    m_values->setRange(0, maxValue > 0 ? maxValue * 1.15 : 1);
    m_values->applyNiceNumbers();
}

} // namespace tally
