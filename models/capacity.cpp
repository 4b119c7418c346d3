#include "models/capacity.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tally {

namespace {

// Intervals with less input than this, or in which no operator's thread used this share of a
// core, say more about fixed overheads (timers, wake-ups, cold caches) than about what a record
// costs. The default job's 20,000 records/s passes (its busiest thread uses about 1.4% of a core,
// and the estimate is about 0.4 of what the job sustains: conservative, as the Overview says).
constexpr double kMinRecordsPerSecond = 1000;
constexpr double kMinBusiestShare = 0.01;
// The smoothed costs forget with this time constant, whatever the sampling interval.
constexpr double kSmoothingMs = 5000;

double blend(double previous, double newest, double weight) { return (1 - weight) * previous + weight * newest; }

} // namespace

std::optional<CapacityModel> CapacityModel::update(const CapacityModel *previous, const std::vector<OperatorStatus> &now,
                                                   const std::vector<OperatorStatus> &before, uint64_t records,
                                                   double intervalMs)
{
    if (!(intervalMs > 0))
        return previous ? std::optional(*previous) : std::nullopt;
    const double input = static_cast<double>(records) * 1000.0 / intervalMs;
    const double weight = 1 - std::exp(-intervalMs / kSmoothingMs); // of this interval
    // The input follows every sample, also those that teach nothing about the costs (a pause, a
    // quiet spell): the headroom is against what comes in now.
    const auto keepPrevious = [&]() -> std::optional<CapacityModel> {
        if (!previous)
            return std::nullopt;
        CapacityModel kept = *previous;
        kept.smoothedInputPerSecond = blend(previous->smoothedInputPerSecond, input, weight);
        return kept;
    };
    if (input < kMinRecordsPerSecond)
        return keepPrevious();

    CapacityModel model;
    uint64_t busiestNs = 0; // the busiest operator's CPU time in the interval
    for (const OperatorStatus &o : now) {
        const auto old = std::find_if(before.begin(), before.end(),
                                      [&](const OperatorStatus &b) { return b.kind == o.kind && b.index == o.index; });
        if (old == before.end() || o.cpuNs < old->cpuNs)
            return keepPrevious(); // counters of another job: nothing to take a difference of
        busiestNs = std::max(busiestNs, o.cpuNs - old->cpuNs);
        const double cost = static_cast<double>(o.cpuNs - old->cpuNs) / static_cast<double>(records);
        if (model.costs.empty() || model.costs.back().kind != o.kind)
            model.costs.push_back({o.kind, 0, 0, 0, {}});
        OperatorCost &kind = model.costs.back();
        ++kind.instances;
        kind.totalNsPerRecord += cost;
        if (kind.instances == 1 || cost > kind.busiestNsPerRecord) {
            kind.busiestNsPerRecord = cost;
            kind.busiestName = o.name;
        }
    }
    if (static_cast<double>(busiestNs) < kMinBusiestShare * intervalMs * 1e6)
        return keepPrevious();
    model.parallelism = 0;
    for (const OperatorCost &c : model.costs)
        if (c.kind == OperatorKind::Window)
            model.parallelism = c.instances;

    // The same operators as before: smooth. Another shape (the first sample, another job's
    // parallelism): start over.
    const bool fresh = !previous || previous->costs.size() != model.costs.size() ||
                       !std::equal(model.costs.begin(), model.costs.end(), previous->costs.begin(),
                                   [](const OperatorCost &a, const OperatorCost &b) {
                                       return a.kind == b.kind && a.instances == b.instances;
                                   });
    for (size_t i = 0; i < model.costs.size() && !fresh; ++i) {
        OperatorCost &c = model.costs[i];
        const OperatorCost &p = previous->costs[i];
        c.totalNsPerRecord = blend(p.totalNsPerRecord, c.totalNsPerRecord, weight);
        // The busiest instance may change from sample to sample (keys move between hot and cold):
        // its cost is smoothed as the kind's busiest, whichever instance that is.
        c.busiestNsPerRecord = blend(p.busiestNsPerRecord, c.busiestNsPerRecord, weight);
    }
    model.smoothedInputPerSecond = previous ? blend(previous->smoothedInputPerSecond, input, weight) : input;
    return model;
}

CapacityEstimate estimateCapacity(const CapacityModel &model, int parallelism, double cores)
{
    CapacityEstimate e;
    e.parallelism = parallelism;
    e.inputRecordsPerSecond = model.smoothedInputPerSecond;
    e.sustainableRecordsPerSecond = std::numeric_limits<double>::infinity();
    double totalNs = 0;
    for (const OperatorCost &c : model.costs) {
        double busiest = c.busiestNsPerRecord;
        std::string name = c.busiestName;
        if (c.kind == OperatorKind::Window && parallelism > 0 && parallelism != c.instances) {
            // The tasks split the total anew; the hottest keeps its excess over an even share (a
            // hot key costs the same on whichever task it lands), and no task carries more than
            // the whole or less than an even share.
            const double excess = c.busiestNsPerRecord - c.totalNsPerRecord / c.instances;
            const double even = c.totalNsPerRecord / parallelism;
            busiest = std::clamp(even + excess, even, c.totalNsPerRecord);
            name = "window";
        }
        totalNs += c.totalNsPerRecord; // the work is the same at any parallelism
        if (busiest > 0 && 1e9 / busiest < e.sustainableRecordsPerSecond) {
            e.sustainableRecordsPerSecond = 1e9 / busiest;
            e.limitedBy = name;
        }
    }
    if (totalNs > 0 && cores > 0 && cores * 1e9 / totalNs < e.sustainableRecordsPerSecond) {
        e.sustainableRecordsPerSecond = cores * 1e9 / totalNs;
        e.limitedBy = "cpu";
    }
    return e;
}

double CapacityEstimate::headroom() const
{
    return inputRecordsPerSecond > 0 ? sustainableRecordsPerSecond / inputRecordsPerSecond
                                     : std::numeric_limits<double>::infinity();
}

BurstForecast forecastBurst(const CapacityEstimate &estimate, double rate, double seconds)
{
    BurstForecast f{rate, seconds, 0, 0.0};
    const double capacity = estimate.sustainableRecordsPerSecond;
    if (rate <= capacity)
        return f; // no lag builds up
    f.peakLagRecords = (rate - capacity) * seconds;
    const double drain = capacity - estimate.inputRecordsPerSecond;
    f.clearSeconds = drain > 0 ? std::optional(f.peakLagRecords / drain) : std::nullopt;
    return f;
}

} // namespace tally
