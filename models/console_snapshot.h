// A ConsoleSnapshot is everything the console shows at one instant, as plain values: the job's
// status, every metric, the live windows, and figures derived from two successive samples (rates,
// operator ratios, consumer lag). The EngineHost takes one at a fixed rate on the GUI thread; models
// map it onto rows. Engine threads never see it.
#pragma once

#include "metrics/metrics.h"
#include "runtime/job.h"
#include "runtime/live_results.h"
#include "sink/circuit_breaker.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tally {

struct PartitionFigures {
    int partition = 0;
    uint64_t records = 0;          // polled so far
    double recordsPerSecond = 0;
    int64_t watermarkMs = 0;       // kMinWatermark while the partition has none
    bool idle = false;
    std::optional<double> lagRecords; // Kafka only
    std::optional<double> lagSeconds; // Kafka only
};

struct OperatorFigures {
    std::string name;        // "source", "decode-0", "ingest", "window-0", "output"
    double busy = 0;         // shares of the last sampling interval, 0..1
    double idle = 0;
    double backpressured = 0;
};

struct SinkFigures {
    bool present = false;
    std::string name;            // "sqlite", "postgres"
    CircuitBreaker::State circuit = CircuitBreaker::State::Closed; // named by circuitStateName()
    bool held = false;
    double pendingRows = 0;
    double divertedRows = 0;
    double rowsPerSecond = 0;
    double retries = 0;
    double transientErrors = 0;
    double rejectedRows = 0;
    double committedEpoch = 0;
    int64_t lastWindowEndMs = 0;
    double p50Ms = 0, p99Ms = 0, maxMs = 0; // write latency over the run
    std::optional<double> recentP99Ms;      // over the last interval, when there were writes
};

struct ConsoleSnapshot {
    int64_t takenAtMs = 0;
    bool kafka = false;          // the source is Kafka (lag figures exist)
    JobStatus job;
    MetricsSnapshot metrics;
    double eventsPerSecond = 0;  // decoded events, last interval
    double rowsPerSecond = 0;    // result rows, last interval
    double recordsPerSecond = 0; // records polled, last interval
    double deadLettersPerSecond = 0;
    double droppedPerSecond = 0; // events later than the allowed lateness, last interval
    double lagSeconds = 0;       // Kafka: max partition lag in seconds; generator: 0
    double timeToCatchUpSeconds = 0;
    std::vector<PartitionFigures> partitions;
    std::vector<OperatorFigures> operators;
    SinkFigures sink;
    std::vector<LiveWindow> windows;
    std::optional<uint64_t> watchedPost;
    std::vector<WindowValue> watchedHistory;
    std::string lastSavepoint; // file of the newest savepoint taken in this process, if any

    // The partition holding the job watermark back (the lowest non-idle watermark), if any.
    std::optional<int> laggingPartition() const;
    // The partition with the largest share of recent records, and that share (0..1).
    std::optional<std::pair<int, double>> hottestPartition() const;
};

// Builds a snapshot from the job; `previous` (may be null) supplies the last sample for rates.
ConsoleSnapshot takeConsoleSnapshot(const Job &job, const MetricsRegistry &metrics, bool kafka,
                                    const ConsoleSnapshot *previous, int64_t nowMs);

} // namespace tally
