// Capacity headroom: the highest input rate the running job can sustain on this machine, from
// where its operators' time goes, and what a burst above it does to the lag.
//
// Each operator's CPU time per input record is its cost (its thread's CPU clock, not its busy
// time, which counts waiting for a core while the threads outnumber the cores). An operator
// saturates when its thread uses a whole core, so the busiest instance of each kind sets a
// ceiling of 1 s / cost; the machine sets another, its cores over the summed cost of all
// operators (they share the cores). The
// sustainable rate is the lowest ceiling. Costs are smoothed over the samples that had input (a 5 s time
// constant), so one quiet or noisy second does not swing the figure. At another parallelism the window tasks
// split their summed cost anew, keeping the hottest task's excess share (key skew moves with the
// keys, not with the number of tasks).
#pragma once

#include "runtime/job.h"

#include <optional>
#include <string>
#include <vector>

namespace tally {

// CPU nanoseconds per input record of one operator kind, smoothed.
struct OperatorCost {
    OperatorKind kind = OperatorKind::Source;
    int instances = 0;
    double busiestNsPerRecord = 0; // the busiest instance of the kind
    double totalNsPerRecord = 0;   // all instances together
    std::string busiestName;       // "window-1"
};

struct CapacityModel {
    std::vector<OperatorCost> costs; // in pipeline order
    int parallelism = 0;             // window tasks when the costs were measured
    double smoothedInputPerSecond = 0;

    // The model after one sampling interval of `intervalMs` in which the source took
    // `records` and the operators were as in `now` against `before` (matched by kind and index).
    // `previous` (may be null) is the model so far. Intervals with too little input to weigh
    // keep the previous model.
    static std::optional<CapacityModel> update(const CapacityModel *previous, const std::vector<OperatorStatus> &now,
                                               const std::vector<OperatorStatus> &before, uint64_t records,
                                               double intervalMs);
};

struct CapacityEstimate {
    int parallelism = 0;
    double sustainableRecordsPerSecond = 0;
    std::string limitedBy; // an operator ("window-1", "decode-0") or "cpu"
    double inputRecordsPerSecond = 0;
    // How many times the current input the job can take (+inf without input).
    double headroom() const;
};

// The estimate at `parallelism` window tasks with `cores` cores for the whole process.
CapacityEstimate estimateCapacity(const CapacityModel &model, int parallelism, double cores);

// A burst of `rate` records/s for `seconds` on top of nothing else, with the input returning to
// `estimate.inputRecordsPerSecond` after it: the records the lag peaks at (0 when the job keeps
// up) and the seconds after the burst until it is cleared (nullopt: it never clears, the normal
// input alone is more than the job can take).
struct BurstForecast {
    double rate = 0;
    double seconds = 0;
    double peakLagRecords = 0;
    std::optional<double> clearSeconds;
};
BurstForecast forecastBurst(const CapacityEstimate &estimate, double rate, double seconds);

// The burst the console forecasts: the mission's celebrity post, 500K likes/s for a minute.
inline constexpr double kForecastBurstRate = 500000;
inline constexpr double kForecastBurstSeconds = 60;

} // namespace tally
