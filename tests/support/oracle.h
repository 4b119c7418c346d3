// The oracle recomputes every aggregation by brute force from the list of arrivals (each event
// with the watermark it arrived at), with none of the engine's machinery: no panes, no running
// sums, no pre-aggregation, no top-K shortcuts. Tests compare the engine's final results to it.
#pragma once

#include "config/job_config.h"
#include "event/like_event.h"
#include "runtime/job.h"
#include "sink/output.h"

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace tally::test {

struct Arrival {
    LikeEvent event;
    int64_t watermark; // job watermark the event is judged against
};

// (aggregation, window start, window end, key) -> (value, flag): the final upserted table.
using ResultKey = std::tuple<Aggregation, int64_t, int64_t, uint64_t>;
struct ResultValue {
    int64_t value = 0;
    bool flag = false;
    bool operator==(const ResultValue &) const = default;
};
using ResultTable = std::map<ResultKey, ResultValue>;

struct OracleResult {
    ResultTable table;
    std::vector<uint64_t> late;    // per aggregationWindows(config) entry
    std::vector<uint64_t> dropped; // per aggregationWindows(config) entry
    uint64_t lateEvents = 0;       // events dropped by at least one window (the late side output)
    uint64_t refiringEvents = 0;   // events that re-fired at least one window
};

OracleResult computeOracle(const JobConfig &config, const std::vector<Arrival> &arrivals);

// Records every event a job accepts with the watermark it arrived at: computeOracle's input.
// Construct before job.start(); read `arrivals` once the job has finished.
class ArrivalRecorder {
public:
    explicit ArrivalRecorder(Job &job);
    std::vector<Arrival> arrivals;

private:
    std::mutex m_mutex;
};

// Test-sized windows for streams of a minute or two of event time: every aggregation fires many
// times (likes_per_post 5 s, trending 20 s top 5, regions 5 s and 20 s, velocity 15 s every 5 s,
// spam 5 s every 1 s with 3 baseline buckets of 5 s), allowed lateness 3 s, bound 1 s, no idleness,
// no output.
void useTestWindows(JobConfig &config);

// Brute-force job watermark after each batch for a fixed bound and no idleness:
// min over partitions of (max event time - bound - 1); kMinWatermark while a partition has none.
class BruteForceWatermark {
public:
    BruteForceWatermark(int partitions, int64_t boundMs);
    void observe(int partition, int64_t eventTimeMs);
    int64_t watermark() const;

private:
    std::vector<int64_t> m_max;
    int64_t m_bound;
    mutable int64_t m_last;
};

// An OutputSink that applies rows to an in-memory table the way a database upsert would.
class MemorySink final : public OutputSink {
public:
    Status writeRows(std::span<const OutputRow> rows) override;
    Status writeDeadLetters(std::span<const DeadLetter> records) override;
    Status writeLateEvents(std::span<const LateEvent> events) override;
    Status flush() override { return Status::ok(); }

    ResultTable table() const;
    std::vector<DeadLetter> deadLetters() const;
    std::vector<LateEvent> lateEvents() const;

private:
    mutable std::mutex m_mutex;
    ResultTable m_table;
    std::vector<DeadLetter> m_deadLetters;
    std::vector<LateEvent> m_lateEvents;
};

// First difference between two tables as readable text, or empty if they are equal.
std::string describeDifference(const ResultTable &expected, const ResultTable &actual, size_t maxLines = 10);

} // namespace tally::test
