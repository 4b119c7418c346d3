// The time series store: per-series ring buffers fed from registry snapshots, with counter rates
// and per-interval histogram quantiles derived on the way in.
#include "metrics/time_series.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace tally {

namespace {

using SeriesKey = std::pair<std::string, Labels>;

Labels sortedLabels(Labels labels)
{
    std::stable_sort(labels.begin(), labels.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    return labels;
}

// Reserved to full size on first use, so a series costs the same from its first point to its
// last and memory is bounded by (series count x pointsPerSeries).
struct Ring {
    std::vector<TimeSeriesPoint> points;
    size_t head = 0; // index of the oldest point once the ring is full

    void push(TimeSeriesPoint p, size_t capacity)
    {
        if (points.capacity() < capacity)
            points.reserve(capacity);
        if (points.size() < capacity) {
            points.push_back(p);
            return;
        }
        points[head] = p;
        head = (head + 1) % capacity;
    }

    std::vector<TimeSeriesPoint> ordered() const
    {
        std::vector<TimeSeriesPoint> out;
        out.reserve(points.size());
        out.insert(out.end(), points.begin() + ptrdiff_t(head), points.end());
        out.insert(out.end(), points.begin(), points.begin() + ptrdiff_t(head));
        return out;
    }
};

struct CounterState {
    int64_t tMs = 0;
    double value = 0;
};

// The values recorded between two snapshots of one histogram. A bucket that shrank means the
// histogram was reset, and then everything it holds now is new.
HistogramSnapshot intervalOf(const HistogramSnapshot &now, const std::vector<uint64_t> &before)
{
    bool reset = before.size() > now.bucketCounts.size();
    for (size_t i = 0; !reset && i < before.size(); ++i)
        reset = now.bucketCounts[i] < before[i];
    if (reset || before.empty())
        return now;

    HistogramSnapshot delta;
    delta.bucketCounts.resize(now.bucketCounts.size());
    size_t top = 0;
    for (size_t i = 0; i < now.bucketCounts.size(); ++i) {
        const uint64_t c = now.bucketCounts[i] - (i < before.size() ? before[i] : 0);
        delta.bucketCounts[i] = c;
        delta.count += c;
        if (c)
            top = i + 1;
    }
    delta.bucketCounts.resize(top);
    if (top == 0)
        return delta;
    // The all-time max only says something about this interval when it lies in the interval's top
    // bucket; otherwise the bucket's upper bound is the tightest honest estimate.
    const size_t topBucket = top - 1;
    delta.max = topBucket + 1 == now.bucketCounts.size()
                    ? std::min(now.max, HistogramSnapshot::bucketUpperBound(topBucket))
                    : HistogramSnapshot::bucketUpperBound(topBucket);
    delta.max = std::max(delta.max, HistogramSnapshot::bucketLowerBound(topBucket));
    return delta;
}

} // namespace

struct TimeSeriesStore::Impl {
    size_t capacity;
    mutable std::mutex mutex;
    std::map<SeriesKey, Ring> series;
    std::map<SeriesKey, CounterState> counters;
    std::map<SeriesKey, std::vector<uint64_t>> histograms;

    void push(const std::string &name, const Labels &labels, TimeSeriesPoint p)
    {
        series[SeriesKey(name, labels)].push(p, capacity);
    }
};

TimeSeriesStore::TimeSeriesStore(size_t pointsPerSeries) : d(std::make_unique<Impl>())
{
    d->capacity = std::max<size_t>(1, pointsPerSeries);
}

TimeSeriesStore::~TimeSeriesStore() = default;

size_t TimeSeriesStore::pointsPerSeries() const
{
    return d->capacity;
}

void TimeSeriesStore::append(const MetricsSnapshot &s)
{
    const int64_t t = s.takenAtMs;
    std::lock_guard lock(d->mutex);
    for (const MetricSample &m : s.samples) {
        // Registry snapshots are already sorted; hand-made ones may not be.
        const Labels labels = sortedLabels(m.labels);
        switch (m.kind) {
        case MetricKind::Counter: {
            d->push(m.name, labels, {t, m.value});
            auto [it, first] = d->counters.try_emplace(SeriesKey(m.name, labels), CounterState{t, m.value});
            if (!first) {
                CounterState &prev = it->second;
                if (t > prev.tMs) {
                    const double increase = m.value >= prev.value ? m.value - prev.value : m.value;
                    d->push(m.name + ":rate", labels, {t, increase * 1000.0 / double(t - prev.tMs)});
                }
                prev = {t, m.value};
            }
            break;
        }
        case MetricKind::Gauge:
            d->push(m.name, labels, {t, m.value});
            break;
        case MetricKind::Histogram: {
            std::vector<uint64_t> &before = d->histograms[SeriesKey(m.name, labels)];
            const HistogramSnapshot interval = intervalOf(m.histogram, before);
            before = m.histogram.bucketCounts;
            if (interval.count == 0)
                break;
            d->push(m.name + ":p50", labels, {t, interval.quantile(0.50)});
            d->push(m.name + ":p99", labels, {t, interval.quantile(0.99)});
            d->push(m.name + ":max", labels, {t, double(interval.max)});
            break;
        }
        }
    }
}

std::vector<TimeSeriesPoint> TimeSeriesStore::series(std::string_view name, const Labels &labels) const
{
    const SeriesKey key(std::string(name), sortedLabels(labels));
    std::lock_guard lock(d->mutex);
    auto it = d->series.find(key);
    return it == d->series.end() ? std::vector<TimeSeriesPoint>{} : it->second.ordered();
}

std::vector<std::pair<std::string, Labels>> TimeSeriesStore::seriesNames() const
{
    std::lock_guard lock(d->mutex);
    std::vector<std::pair<std::string, Labels>> names;
    names.reserve(d->series.size());
    for (const auto &[key, ring] : d->series)
        names.push_back(key);
    return names;
}

} // namespace tally
