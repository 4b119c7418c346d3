#include "models/console_snapshot.h"

#include "time/watermark.h"

#include <algorithm>
#include <map>

namespace tally {

namespace {

std::string label(const MetricSample &s, std::string_view name)
{
    for (const auto &[k, v] : s.labels)
        if (k == name)
            return v;
    return {};
}

// Per-second increase of a counter between two snapshots.
double ratePerSecond(const MetricsSnapshot &now, const MetricsSnapshot *before, std::string_view name,
                     const Labels &labels = {})
{
    if (!before || now.takenAtMs <= before->takenAtMs)
        return 0;
    const double delta = now.value(name, labels) - before->value(name, labels);
    return std::max(0.0, delta) * 1000.0 / static_cast<double>(now.takenAtMs - before->takenAtMs);
}

// The gauge tally_sink_circuit_state holds the state's position in CircuitBreaker::State (the
// sink writer sets 0 closed, 1 open, 2 half-open). Until the job reports its sink's status as a
// value, this is the one place that reads the state from the gauge.
CircuitBreaker::State circuitState(double gauge)
{
    switch (static_cast<int>(gauge)) {
    case 1:
        return CircuitBreaker::State::Open;
    case 2:
        return CircuitBreaker::State::HalfOpen;
    default:
        return CircuitBreaker::State::Closed;
    }
}

} // namespace

std::optional<int> ConsoleSnapshot::laggingPartition() const
{
    std::optional<int> lagging;
    int64_t lowest = 0;
    for (const PartitionFigures &p : partitions) {
        if (p.idle || p.watermarkMs <= kMinWatermark)
            continue;
        if (!lagging || p.watermarkMs < lowest) {
            lagging = p.partition;
            lowest = p.watermarkMs;
        }
    }
    return lagging;
}

std::optional<std::pair<int, double>> ConsoleSnapshot::hottestPartition() const
{
    double total = 0;
    const PartitionFigures *hottest = nullptr;
    for (const PartitionFigures &p : partitions) {
        total += p.recordsPerSecond;
        if (!hottest || p.recordsPerSecond > hottest->recordsPerSecond)
            hottest = &p;
    }
    if (!hottest || total <= 0)
        return std::nullopt;
    return std::pair{hottest->partition, hottest->recordsPerSecond / total};
}

ConsoleSnapshot takeConsoleSnapshot(const Job &job, const MetricsRegistry &metrics, bool kafka,
                                    const ConsoleSnapshot *previous, int64_t nowMs)
{
    ConsoleSnapshot s;
    s.takenAtMs = nowMs;
    s.kafka = kafka;
    s.job = job.status();
    s.metrics = metrics.snapshot(nowMs);
    const MetricsSnapshot *before = previous ? &previous->metrics : nullptr;
    s.eventsPerSecond = ratePerSecond(s.metrics, before, "tally_events_total");
    s.rowsPerSecond = ratePerSecond(s.metrics, before, "tally_output_rows_total");
    s.recordsPerSecond = ratePerSecond(s.metrics, before, "tally_source_records_total");
    s.deadLettersPerSecond = ratePerSecond(s.metrics, before, "tally_dead_letters_total");
    s.droppedPerSecond = ratePerSecond(s.metrics, before, "tally_dropped_events_total");

    std::map<int, PartitionFigures> partitions;
    std::map<std::string, OperatorFigures> operators;
    const double intervalNs =
        before && nowMs > before->takenAtMs ? static_cast<double>(nowMs - before->takenAtMs) * 1e6 : 0;
    for (const MetricSample &m : s.metrics.samples) {
        if (m.name.starts_with("tally_partition_") || m.name.starts_with("tally_kafka_consumer_lag_")) {
            const std::string p = label(m, "partition");
            if (p.empty())
                continue;
            PartitionFigures &f = partitions[std::stoi(p)];
            f.partition = std::stoi(p);
            if (m.name == "tally_partition_records_total") {
                f.records = static_cast<uint64_t>(m.value);
                f.recordsPerSecond = ratePerSecond(s.metrics, before, m.name, m.labels);
            } else if (m.name == "tally_partition_watermark_ms") {
                f.watermarkMs = static_cast<int64_t>(m.value);
            } else if (m.name == "tally_partition_idle") {
                f.idle = m.value != 0;
            } else if (m.name == "tally_kafka_consumer_lag_records") {
                f.lagRecords = m.value;
            } else if (m.name == "tally_kafka_consumer_lag_seconds") {
                f.lagSeconds = m.value;
                s.lagSeconds = std::max(s.lagSeconds, m.value);
            }
        } else if (m.name.starts_with("tally_operator_") && intervalNs > 0) {
            const std::string op = label(m, "operator");
            OperatorFigures &f = operators[op];
            f.name = op;
            const double share = std::clamp((m.value - before->value(m.name, m.labels)) / intervalNs, 0.0, 1.0);
            if (m.name == "tally_operator_busy_nanoseconds_total")
                f.busy = share;
            else if (m.name == "tally_operator_idle_nanoseconds_total")
                f.idle = share;
            else if (m.name == "tally_operator_backpressured_nanoseconds_total")
                f.backpressured = share;
        }
    }
    for (auto &[p, f] : partitions)
        s.partitions.push_back(f);
    // Pipeline order: source, decoders, ingest, window tasks, output.
    auto rank = [](const std::string &name) {
        if (name == "source")
            return 0;
        if (name.starts_with("decode"))
            return 1;
        if (name == "ingest")
            return 2;
        if (name.starts_with("window"))
            return 3;
        return 4;
    };
    for (auto &[name, f] : operators)
        s.operators.push_back(f);
    std::stable_sort(s.operators.begin(), s.operators.end(),
                     [&](const OperatorFigures &a, const OperatorFigures &b) { return rank(a.name) < rank(b.name); });
    s.timeToCatchUpSeconds = s.metrics.value("tally_kafka_time_to_catch_up_seconds");

    for (const MetricSample &m : s.metrics.samples) {
        if (m.name != "tally_sink_rows_total")
            continue;
        SinkFigures &k = s.sink;
        k.present = true;
        k.name = label(m, "sink");
        const Labels l{{"sink", k.name}};
        k.rowsPerSecond = ratePerSecond(s.metrics, before, "tally_sink_rows_total", l);
        k.circuit = circuitState(s.metrics.value("tally_sink_circuit_state", l));
        k.held = s.metrics.value("tally_sink_held", l) != 0;
        k.pendingRows = s.metrics.value("tally_sink_pending_rows", l);
        k.divertedRows = s.metrics.value("tally_sink_diverted_rows", l);
        k.retries = s.metrics.value("tally_sink_retries_total", l);
        k.transientErrors = s.metrics.value("tally_sink_errors_total", {{"sink", k.name}, {"kind", "transient"}});
        k.rejectedRows = s.metrics.value("tally_sink_rejected_rows_total", l);
        k.committedEpoch = s.metrics.value("tally_sink_committed_epoch", l);
        k.lastWindowEndMs = static_cast<int64_t>(s.metrics.value("tally_sink_last_window_end_ms", l));
        if (const MetricSample *h = s.metrics.find("tally_sink_write_latency_us", l); h && h->histogram.count > 0) {
            k.p50Ms = h->histogram.quantile(0.5) / 1000.0;
            k.p99Ms = h->histogram.quantile(0.99) / 1000.0;
            k.maxMs = static_cast<double>(h->histogram.max) / 1000.0;
            const MetricSample *old = before ? before->find("tally_sink_write_latency_us", l) : nullptr;
            HistogramSnapshot recent = h->histogram;
            if (old) { // the writes of the last interval: bucket counts minus the previous ones
                for (size_t i = 0; i < old->histogram.bucketCounts.size() && i < recent.bucketCounts.size(); ++i)
                    recent.bucketCounts[i] -= std::min(recent.bucketCounts[i], old->histogram.bucketCounts[i]);
                recent.count -= std::min(recent.count, old->histogram.count);
            }
            if (recent.count > 0)
                k.recentP99Ms = recent.quantile(0.99) / 1000.0;
        }
        break;
    }
    s.windows = job.liveResults().windows();
    s.watchedPost = job.liveResults().watchedPost();
    s.watchedHistory = job.liveResults().watchedHistory();
    return s;
}

} // namespace tally
