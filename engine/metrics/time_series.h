// A time series store keeps the recent history of every metric (and of the rates and quantiles
// derived from it) in fixed-size ring buffers, so charts can show the last minutes without memory
// growing with uptime.
#pragma once

#include "metrics/metrics.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally {

struct TimeSeriesPoint {
    int64_t tMs = 0;  // snapshot time (MetricsSnapshot::takenAtMs), milliseconds
    double value = 0;

    friend bool operator==(const TimeSeriesPoint &, const TimeSeriesPoint &) = default;
};

// Series recorded per snapshot:
//  - counter  name:           its value;
//             name + ":rate": per-second increase since the previous snapshot (from the second
//                             snapshot on; a counter that went backwards, i.e. a restart, counts
//                             from 0);
//  - gauge    name:           its value;
//  - histogram name + ":p50", ":p99", ":max": over the values recorded since the previous snapshot
//                             (the whole histogram on the first), as HistogramSnapshot::quantile
//                             estimates; no point when nothing was recorded in that interval.
// Thread-safe: one writer calling append() and any number of readers (a mutex; off the hot path).
class TimeSeriesStore {
public:
    // pointsPerSeries: ring size per series, default 900 (15 min at one snapshot per second);
    // 0 is treated as 1.
    explicit TimeSeriesStore(size_t pointsPerSeries = 900);
    ~TimeSeriesStore();
    TimeSeriesStore(const TimeSeriesStore &) = delete;
    TimeSeriesStore &operator=(const TimeSeriesStore &) = delete;

    void append(const MetricsSnapshot &s);

    // The retained points of one series, oldest first; empty if unknown. Labels in any order.
    std::vector<TimeSeriesPoint> series(std::string_view name, const Labels &labels = {}) const;
    // Every series that has at least one point, sorted by (name, labels).
    std::vector<std::pair<std::string, Labels>> seriesNames() const;

    size_t pointsPerSeries() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

} // namespace tally
