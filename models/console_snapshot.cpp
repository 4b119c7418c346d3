#include "models/console_snapshot.h"

#include "time/watermark.h"

#include <algorithm>

namespace tally {

namespace {

// Per-second increase of a counter over an interval; 0 when the counter went down (a new job).
double perSecond(uint64_t now, uint64_t before, double intervalMs)
{
    if (intervalMs <= 0 || now < before)
        return 0;
    return static_cast<double>(now - before) * 1000.0 / intervalMs;
}

// Share of an interval that a time counter grew by, 0..1.
double share(uint64_t nowNs, uint64_t beforeNs, double intervalNs)
{
    if (intervalNs <= 0 || nowNs < beforeNs)
        return 0;
    return std::clamp(static_cast<double>(nowNs - beforeNs) / intervalNs, 0.0, 1.0);
}

// The writes since `before`: bucket counts minus the previous ones. The whole histogram when there
// is no earlier one, or when it is of another writer (its count went down).
HistogramSnapshot since(const HistogramSnapshot &now, const HistogramSnapshot *before)
{
    HistogramSnapshot recent = now;
    if (!before || before->count > now.count)
        return recent;
    for (size_t i = 0; i < before->bucketCounts.size() && i < recent.bucketCounts.size(); ++i)
        recent.bucketCounts[i] -= std::min(recent.bucketCounts[i], before->bucketCounts[i]);
    recent.count -= before->count;
    return recent;
}

SinkFigures sinkFigures(const SinkStatus &k, const SinkStatus *before, double intervalMs)
{
    SinkFigures f;
    f.present = true;
    f.name = k.name;
    f.circuit = k.circuit;
    f.held = k.held;
    f.pendingRows = k.pendingRows;
    f.divertedRows = k.divertedRows;
    f.rowsPerSecond = before ? perSecond(k.rowsWritten, before->rowsWritten, intervalMs) : 0;
    f.retries = k.retries;
    f.transientErrors = k.transientErrors;
    f.rejectedRows = k.rejectedRows;
    f.committedEpoch = k.committedEpoch;
    f.lastWindowEndMs = k.lastWindowEndMs;
    const HistogramSnapshot &h = k.writeLatencyUs;
    if (h.count > 0) {
        f.p50Ms = h.quantile(0.5) / 1000.0;
        f.p99Ms = h.quantile(0.99) / 1000.0;
        f.maxMs = static_cast<double>(h.max) / 1000.0;
        const HistogramSnapshot recent = since(h, before ? &before->writeLatencyUs : nullptr);
        if (recent.count > 0)
            f.recentP99Ms = recent.quantile(0.99) / 1000.0;
    }
    return f;
}

} // namespace

std::string_view lagStatusName(LagStatus s)
{
    switch (s) {
    case LagStatus::Ok:
        return "OK";
    case LagStatus::Warn:
        return "WARN";
    case LagStatus::Stall:
        return "STALL";
    case LagStatus::Stop:
        return "STOP";
    case LagStatus::Err:
        return "ERR";
    }
    return "ERR";
}

Freshness computeFreshness(const ConsoleSnapshot &s, const Freshness *before)
{
    const JobStatus &j = s.job;
    Freshness f;
    if (j.sink) {
        f.upToDateMs = j.sink->upToDateMs;
    } else if (j.windowsHandedOverByMs > kMinWatermark) {
        f.upToDateMs = j.windowsHandedOverByMs;
    }
    if (before && before->upToDateMs && !before->complete)
        f.upToDateMs = std::max(f.upToDateMs.value_or(kMinWatermark), *before->upToDateMs);
    if (!f.upToDateMs)
        return f;
    const int64_t stored = *f.upToDateMs;
    f.complete = stored >= kMaxWatermark;
    if (f.complete)
        return f;
    f.ageSeconds = static_cast<double>(std::max<int64_t>(0, s.takenAtMs - stored)) / 1000.0;
    // From now back to `stored`: the source's backlog, then the watermark, then the windows the
    // watermark fired that wait for their epoch, then the rows the sink holds.
    const auto seconds = [](int64_t ms) { return static_cast<double>(std::max<int64_t>(0, ms)) / 1000.0; };
    const int64_t read = s.takenAtMs - static_cast<int64_t>(s.lagSeconds * 1000);
    const int64_t watermark = std::clamp(j.watermarkMs, stored, std::max(stored, read));
    const int64_t handedOver = std::clamp(j.windowsHandedOverByMs, stored, watermark);
    f.sourceLagSeconds = seconds(s.takenAtMs - std::max(read, watermark));
    f.watermarkDelaySeconds = seconds(std::max(read, watermark) - watermark);
    f.firingSeconds = seconds(watermark - handedOver);
    f.sinkSeconds = seconds(handedOver - stored);
    return f;
}

std::optional<CapacityEstimate> ConsoleSnapshot::capacityNow() const
{
    if (!capacity || !cores)
        return std::nullopt;
    return estimateCapacity(*capacity, capacity->parallelism, *cores);
}

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

ConsoleSnapshot consoleSnapshotFromStatus(JobStatus status, bool kafka, const ConsoleSnapshot *previous,
                                          int64_t nowMs)
{
    ConsoleSnapshot s;
    s.takenAtMs = nowMs;
    s.kafka = kafka;
    s.job = std::move(status);
    s.watermarkBoundMs = s.job.watermarkBoundMs;
    const JobStatus &j = s.job;
    const JobStatus *before = previous && nowMs > previous->takenAtMs ? &previous->job : nullptr;
    const double intervalMs = before ? static_cast<double>(nowMs - previous->takenAtMs) : 0;
    if (before) {
        s.eventsPerSecond = perSecond(j.eventsIn, before->eventsIn, intervalMs);
        s.rowsPerSecond = perSecond(j.rowsOut, before->rowsOut, intervalMs);
        s.recordsPerSecond = perSecond(j.recordsIn, before->recordsIn, intervalMs);
        s.deadLettersPerSecond = perSecond(j.deadLetters, before->deadLetters, intervalMs);
        s.droppedPerSecond = perSecond(j.droppedEvents, before->droppedEvents, intervalMs);
    }

    for (const PartitionStatus &p : j.partitions) {
        PartitionFigures f{p.partition,   p.records,         0,           p.watermarkMs,     p.idle, p.lagRecords,
                           p.lagSeconds, p.committedOffset, p.committedAtMs, p.logEndOffset, std::nullopt};
        if (before) {
            const auto old = std::find_if(before->partitions.begin(), before->partitions.end(),
                                          [&](const PartitionStatus &o) { return o.partition == p.partition; });
            if (old != before->partitions.end())
                f.recordsPerSecond = perSecond(p.records, old->records, intervalMs);
        }
        if (p.lagSeconds)
            s.lagSeconds = std::max(s.lagSeconds, *p.lagSeconds);
        s.partitions.push_back(f);
    }

    // The job lists its operators in pipeline order; a rescaled job may have others than the
    // previous sample, so they are matched by kind and index.
    const double intervalNs = intervalMs * 1e6;
    for (const OperatorStatus &o : j.operators) {
        OperatorFigures f{o.name, o.kind};
        if (before) {
            const auto old = std::find_if(before->operators.begin(), before->operators.end(),
                                          [&](const OperatorStatus &b) { return b.kind == o.kind && b.index == o.index; });
            if (old != before->operators.end()) {
                f.busy = share(o.busyNs, old->busyNs, intervalNs);
                f.idle = share(o.idleNs, old->idleNs, intervalNs);
                f.backpressured = share(o.backpressuredNs, old->backpressuredNs, intervalNs);
                f.recordsInPerSecond = perSecond(o.recordsIn, old->recordsIn, intervalMs);
                f.recordsOutPerSecond = perSecond(o.recordsOut, old->recordsOut, intervalMs);
            }
        }
        s.operators.push_back(f);
    }

    if (before)
        s.capacity = CapacityModel::update(previous->capacity ? &*previous->capacity : nullptr, j.operators,
                                           before->operators, j.recordsIn >= before->recordsIn ? j.recordsIn - before->recordsIn : 0,
                                           intervalMs);
    else if (previous)
        s.capacity = previous->capacity;
    s.timeToCatchUpSeconds = j.timeToCatchUpSeconds.value_or(0);
    if (j.sink) {
        const bool same = before && before->sink && before->sink->name == j.sink->name;
        s.sink = sinkFigures(*j.sink, same ? &*before->sink : nullptr, intervalMs);
    }
    s.freshness = computeFreshness(s, previous ? &previous->freshness : nullptr);
    return s;
}

ConsoleSnapshot takeConsoleSnapshot(const Job &job, const MetricsRegistry &metrics, bool kafka,
                                    const ConsoleSnapshot *previous, int64_t nowMs, std::optional<uint64_t> watchedPost)
{
    ConsoleSnapshot s = consoleSnapshotFromStatus(job.status(), kafka, previous, nowMs);
    s.metrics = metrics.snapshot(nowMs);
    s.windows = job.liveResults().windows();
    s.watchedPost = watchedPost;
    if (watchedPost)
        s.watchedHistory = job.liveResults().history(*watchedPost).value_or(std::vector<WindowValue>{});
    return s;
}

} // namespace tally
