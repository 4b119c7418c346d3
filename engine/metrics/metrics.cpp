// The metrics registry: name validation, label normalization and lock-free-reader snapshots of
// counters, gauges and histograms.
#include "metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>

namespace tally {

namespace {

constexpr size_t kSubBuckets = size_t(1) << HistogramSnapshot::kSubBucketBits;

bool isNameChar(char c, bool first, bool allowColon)
{
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (alpha || (allowColon && c == ':'))
        return true;
    return !first && c >= '0' && c <= '9';
}

bool matchesName(std::string_view name, bool allowColon)
{
    if (name.empty())
        return false;
    for (size_t i = 0; i < name.size(); ++i) {
        if (!isNameChar(name[i], i == 0, allowColon))
            return false;
    }
    return true;
}

// Sorting (stable, by name) makes label order irrelevant to identity; duplicates would make two
// different label sets compare equal after the exporter merges them, so they are rejected.
Labels normalizeLabels(std::string_view metric, Labels labels)
{
    std::stable_sort(labels.begin(), labels.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    for (size_t i = 0; i < labels.size(); ++i) {
        if (!MetricsRegistry::isValidLabelName(labels[i].first))
            throw std::invalid_argument("metric '" + std::string(metric) + "': invalid label name '" +
                                        labels[i].first + "'");
        if (i > 0 && labels[i].first == labels[i - 1].first)
            throw std::invalid_argument("metric '" + std::string(metric) + "': duplicate label '" +
                                        labels[i].first + "'");
    }
    return labels;
}

bool sameLabelsUnordered(const Labels &sorted, const Labels &query)
{
    if (sorted.size() != query.size())
        return false;
    if (std::is_sorted(query.begin(), query.end(),
                       [](const auto &a, const auto &b) { return a.first < b.first; }))
        return sorted == query;
    Labels copy = query;
    std::stable_sort(copy.begin(), copy.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    return sorted == copy;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// HistogramSnapshot

uint64_t HistogramSnapshot::bucketLowerBound(size_t i)
{
    if (i >= kBucketCount - 1)
        return uint64_t(1) << kMaxValueBits;
    if (i < 2 * kSubBuckets)
        return i;
    const size_t shift = i / kSubBuckets - 1;
    return uint64_t(i - shift * kSubBuckets) << shift;
}

uint64_t HistogramSnapshot::bucketUpperBound(size_t i)
{
    if (i >= kBucketCount - 1)
        return std::numeric_limits<uint64_t>::max();
    if (i < 2 * kSubBuckets)
        return i;
    const size_t shift = i / kSubBuckets - 1;
    return (uint64_t(i - shift * kSubBuckets + 1) << shift) - 1;
}

double HistogramSnapshot::quantile(double q) const
{
    if (count == 0)
        return 0;
    if (!(q > 0))
        q = 0;
    if (q > 1)
        q = 1;
    // Rank ceil(q * n), at least 1: the nearest-rank definition, so q = 1 is the maximum and the
    // estimate is comparable with sorted[rank - 1] of the raw values.
    const uint64_t rank = std::max<uint64_t>(1, uint64_t(std::ceil(q * double(count))));
    uint64_t seen = 0;
    for (size_t i = 0; i < bucketCounts.size(); ++i) {
        seen += bucketCounts[i];
        if (seen >= rank) {
            // max tightens the top bucket; the lower bound keeps a max read slightly before the
            // bucket (a concurrent record) from pulling the estimate out of the bucket.
            const uint64_t capped = std::min(bucketUpperBound(i), std::max(max, bucketLowerBound(i)));
            return double(capped);
        }
    }
    return double(max);
}

// ---------------------------------------------------------------------------------------------
// Histogram

HistogramSnapshot Histogram::snapshot() const
{
    HistogramSnapshot s;
    s.bucketCounts.resize(HistogramSnapshot::kBucketCount);
    size_t used = 0;
    // Count is derived from the buckets rather than read from its own atomic, so the snapshot is
    // internally consistent even while writers are mid-record.
    for (size_t i = 0; i < m_buckets.size(); ++i) {
        const uint64_t c = m_buckets[i].load(std::memory_order_relaxed);
        s.bucketCounts[i] = c;
        s.count += c;
        if (c)
            used = i + 1;
    }
    s.bucketCounts.resize(used);
    s.sum = double(m_sum.load(std::memory_order_relaxed));
    s.max = m_max.load(std::memory_order_relaxed);
    // With relaxed ordering the max update of an in-flight record may not be visible yet; the top
    // bucket's lower bound is a value that was certainly recorded.
    if (used)
        s.max = std::max(s.max, HistogramSnapshot::bucketLowerBound(used - 1));
    return s;
}

void Histogram::reset()
{
    for (auto &b : m_buckets)
        b.store(0, std::memory_order_relaxed);
    m_sum.store(0, std::memory_order_relaxed);
    m_max.store(0, std::memory_order_relaxed);
}

std::string_view metricKindName(MetricKind k)
{
    switch (k) {
    case MetricKind::Counter:
        return "counter";
    case MetricKind::Gauge:
        return "gauge";
    case MetricKind::Histogram:
        return "histogram";
    }
    return "unknown";
}

// ---------------------------------------------------------------------------------------------
// MetricsSnapshot

void MetricsSnapshot::add(std::string name, MetricKind kind, std::string help, double value, Labels labels)
{
    MetricSample s;
    s.name = std::move(name);
    s.labels = std::move(labels);
    s.kind = kind;
    s.help = std::move(help);
    s.value = value;
    samples.push_back(std::move(s));
}

const MetricSample *MetricsSnapshot::find(std::string_view name, const Labels &labels) const
{
    // A linear scan keeps find() correct for snapshots assembled by hand (tests, merged snapshots),
    // which need not be sorted; snapshots hold hundreds of samples, not millions.
    for (const MetricSample &s : samples) {
        if (s.name == name && sameLabelsUnordered(s.labels, labels))
            return &s;
    }
    return nullptr;
}

double MetricsSnapshot::value(std::string_view name, const Labels &labels, double fallback) const
{
    const MetricSample *s = find(name, labels);
    return s ? s->value : fallback;
}

// ---------------------------------------------------------------------------------------------
// MetricsRegistry

struct MetricsRegistry::Impl {
    struct Entry {
        MetricKind kind;
        std::string help;
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Gauge> gauge;
        std::unique_ptr<Histogram> histogram;
    };

    mutable std::mutex mutex;
    // std::map keeps snapshots sorted by (name, labels), so one metric family's samples are
    // adjacent, as the Prometheus text format requires. Metrics are heap objects, so their
    // addresses survive any insertion.
    std::map<std::pair<std::string, Labels>, Entry> metrics;
    std::map<std::string, MetricKind, std::less<>> familyKinds;

    Entry &findOrCreate(std::string_view name, Labels labels, std::string_view help, MetricKind kind)
    {
        if (!isValidMetricName(name))
            throw std::invalid_argument("invalid metric name '" + std::string(name) +
                                        "': must match [a-zA-Z_:][a-zA-Z0-9_:]*");
        labels = normalizeLabels(name, std::move(labels));

        std::lock_guard lock(mutex);
        auto family = familyKinds.find(name);
        if (family != familyKinds.end() && family->second != kind)
            throw std::logic_error("metric '" + std::string(name) + "' registered as " +
                                   std::string(metricKindName(family->second)) + ", requested as " +
                                   std::string(metricKindName(kind)));
        auto [it, inserted] = metrics.try_emplace({std::string(name), std::move(labels)}, Entry{kind, {}, {}, {}, {}});
        Entry &e = it->second;
        if (inserted) {
            switch (kind) {
            case MetricKind::Counter:
                e.counter = std::make_unique<Counter>();
                break;
            case MetricKind::Gauge:
                e.gauge = std::make_unique<Gauge>();
                break;
            case MetricKind::Histogram:
                e.histogram = std::make_unique<Histogram>();
                break;
            }
            if (family == familyKinds.end())
                familyKinds.emplace(std::string(name), kind);
        }
        if (e.help.empty() && !help.empty())
            e.help = std::string(help);
        return e;
    }
};

MetricsRegistry::MetricsRegistry() : d(std::make_unique<Impl>()) {}
MetricsRegistry::~MetricsRegistry() = default;

Counter &MetricsRegistry::counter(std::string_view name, Labels labels, std::string_view help)
{
    return *d->findOrCreate(name, std::move(labels), help, MetricKind::Counter).counter;
}

Gauge &MetricsRegistry::gauge(std::string_view name, Labels labels, std::string_view help)
{
    return *d->findOrCreate(name, std::move(labels), help, MetricKind::Gauge).gauge;
}

Histogram &MetricsRegistry::histogram(std::string_view name, Labels labels, std::string_view help)
{
    return *d->findOrCreate(name, std::move(labels), help, MetricKind::Histogram).histogram;
}

MetricsSnapshot MetricsRegistry::snapshot(int64_t nowMs) const
{
    MetricsSnapshot snap;
    snap.takenAtMs = nowMs;
    // The mutex only excludes registration; writers never take it, so they are not stopped.
    std::lock_guard lock(d->mutex);
    snap.samples.reserve(d->metrics.size());
    for (const auto &[key, e] : d->metrics) {
        MetricSample s;
        s.name = key.first;
        s.labels = key.second;
        s.kind = e.kind;
        s.help = e.help;
        switch (e.kind) {
        case MetricKind::Counter:
            s.value = double(e.counter->value());
            break;
        case MetricKind::Gauge:
            s.value = e.gauge->value();
            break;
        case MetricKind::Histogram:
            s.histogram = e.histogram->snapshot();
            s.value = double(s.histogram.count);
            break;
        }
        snap.samples.push_back(std::move(s));
    }
    return snap;
}

bool MetricsRegistry::isValidMetricName(std::string_view name)
{
    return matchesName(name, true);
}

bool MetricsRegistry::isValidLabelName(std::string_view name)
{
    return matchesName(name, false) && !name.starts_with("__");
}

} // namespace tally
