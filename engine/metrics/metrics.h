// A metric is a named, labelled number (counter, gauge or latency histogram) that engine threads
// update lock-free and that any thread can read as a value snapshot; a MetricsRegistry owns all
// metrics of one engine.
//
// Names follow the Prometheus conventions: snake_case with a unit suffix (_ms, _bytes, _records),
// _total for counters, and must match [a-zA-Z_:][a-zA-Z0-9_:]*. Label names must match
// [a-zA-Z_][a-zA-Z0-9_]* and must not start with "__" (reserved by Prometheus).
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally {

// Label pairs (name, value). The registry sorts them by name on registration, so {b, a} and {a, b}
// name the same metric.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Keeps hot metrics that different threads update off each other's cache lines.
inline constexpr size_t kMetricAlignment = 64;

// A monotonically increasing count (events, bytes, errors). Thread-safe; add() is a single relaxed
// atomic increment (no lock, no allocation).
class alignas(kMetricAlignment) Counter {
public:
    void add(uint64_t n = 1) noexcept { m_value.fetch_add(n, std::memory_order_relaxed); }
    uint64_t value() const noexcept { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> m_value{0};
};

// A value that goes up and down (queue depth, watermark, lag). Thread-safe; set() and add() are
// relaxed atomic operations (no lock, no allocation).
class alignas(kMetricAlignment) Gauge {
public:
    void set(double v) noexcept { m_value.store(v, std::memory_order_relaxed); }
    void add(double d) noexcept { m_value.fetch_add(d, std::memory_order_relaxed); }
    double value() const noexcept { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value{0.0};
};

// A value copy of a histogram. Buckets are log-linear: values 0..63 have one bucket each, and every
// power of two above is split into 32 equal sub-buckets, up to 2^40 (about 18 minutes in
// nanoseconds, 12.7 days in microseconds). Values from 2^40 up share one overflow bucket.
// A plain value type: not synchronized.
struct HistogramSnapshot {
    static constexpr unsigned kSubBucketBits = 5;                   // 32 sub-buckets per octave
    static constexpr unsigned kMaxValueBits = 40;                   // exact buckets below 2^40
    static constexpr size_t kBucketCount = ((kMaxValueBits - kSubBucketBits) << kSubBucketBits) + 32 + 1;

    uint64_t count = 0;                // values recorded; always the sum of bucketCounts
    double sum = 0;                    // sum of the values recorded (may trail count by the
                                       // records in flight while the snapshot was taken)
    uint64_t max = 0;                  // largest value recorded (0 when empty)
    std::vector<uint64_t> bucketCounts; // bucketCounts[i] = values in bucket i; trailing empty
                                        // buckets are omitted, so size() <= kBucketCount

    // The q-quantile (q in [0, 1]) as an upper-bound estimate: the upper bound of the bucket that
    // holds the value of rank ceil(q * count), capped at max. Never below the true quantile and at
    // most 1/32 (3.125%) above it for values below 2^40. 0 when empty.
    double quantile(double q) const;

    static uint64_t bucketUpperBound(size_t i); // largest value bucket i holds (inclusive)
    static uint64_t bucketLowerBound(size_t i); // smallest value bucket i holds
    static constexpr size_t bucketIndex(uint64_t v) noexcept
    {
        if (v >> kMaxValueBits)
            return kBucketCount - 1;
        // Below 64 the shift is 0 and the index is the value itself; above, each octave takes 32
        // consecutive indexes, which is why index = shift * 32 + (v >> shift).
        const int width = std::bit_width(v);
        const unsigned shift = width > int(kSubBucketBits) + 1 ? unsigned(width) - kSubBucketBits - 1 : 0;
        return (size_t(shift) << kSubBucketBits) + size_t(v >> shift);
    }
};

// A distribution of non-negative integers, typically latencies in a unit the metric name states
// (e.g. sink_write_latency_us). Thread-safe: record() is lock-free and allocation-free (three relaxed
// atomic updates); snapshot() may run concurrently with record(). reset() is meant for tests and
// operator "clear statistics": values recorded while it runs may be partly kept.
class alignas(kMetricAlignment) Histogram {
public:
    void record(uint64_t v) noexcept
    {
        m_buckets[HistogramSnapshot::bucketIndex(v)].fetch_add(1, std::memory_order_relaxed);
        m_sum.fetch_add(v, std::memory_order_relaxed);
        uint64_t seen = m_max.load(std::memory_order_relaxed);
        while (v > seen && !m_max.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {
        }
    }
    HistogramSnapshot snapshot() const;
    void reset();

private:
    std::array<std::atomic<uint64_t>, HistogramSnapshot::kBucketCount> m_buckets{};
    std::atomic<uint64_t> m_sum{0};
    std::atomic<uint64_t> m_max{0};
};

enum class MetricKind { Counter, Gauge, Histogram };
std::string_view metricKindName(MetricKind k); // "counter", "gauge", "histogram" (Prometheus TYPE)

struct MetricSample {
    std::string name;
    Labels labels; // sorted by name
    MetricKind kind = MetricKind::Counter;
    std::string help;
    double value = 0;             // counter or gauge value; for a histogram, its count
    HistogramSnapshot histogram;  // histograms only
};

// All metrics at one instant, sorted by (name, labels). A plain value type: not synchronized.
struct MetricsSnapshot {
    int64_t takenAtMs = 0;
    std::vector<MetricSample> samples;

    // Appends a counter's or gauge's sample that no registry holds (figures computed at the time
    // of a scrape); a family's samples must be appended together.
    void add(std::string name, MetricKind kind, std::string help, double value, Labels labels = {});
    // The sample with this name and labels (in any order), or nullptr.
    const MetricSample *find(std::string_view name, const Labels &labels = {}) const;
    // The sample's value (see MetricSample::value), or fallback when there is no such sample.
    double value(std::string_view name, const Labels &labels = {}, double fallback = 0) const;
};

// Owns the metrics of one engine. Thread-safe. Registration takes a mutex (do it at setup, not per
// event) and returns a reference that stays valid for the registry's lifetime; registering the same
// name and labels again returns the same object. Invalid names throw std::invalid_argument;
// registering a name as a different kind than before (for any labels) is a bug and throws
// std::logic_error. The first non-empty help text wins.
class MetricsRegistry {
public:
    MetricsRegistry();
    ~MetricsRegistry();
    MetricsRegistry(const MetricsRegistry &) = delete;
    MetricsRegistry &operator=(const MetricsRegistry &) = delete;

    Counter &counter(std::string_view name, Labels labels = {}, std::string_view help = {});
    Gauge &gauge(std::string_view name, Labels labels = {}, std::string_view help = {});
    Histogram &histogram(std::string_view name, Labels labels = {}, std::string_view help = {});

    // Reads every metric without stopping writers; safe from any thread. Counters and histogram
    // counts never go backwards between successive snapshots (unless a histogram is reset()).
    MetricsSnapshot snapshot(int64_t nowMs) const;

    static bool isValidMetricName(std::string_view name);
    static bool isValidLabelName(std::string_view name);

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace tally
