// A ConsoleSnapshot is everything the console shows at one instant, as plain values: the job's
// typed status, the live windows, and figures derived from two successive statuses (rates,
// operator shares, consumer lag). The EngineHost takes one at a fixed rate on the GUI thread; models
// map it onto rows. Engine threads never see it.
#pragma once

#include "metrics/metrics.h"
#include "models/capacity.h"
#include "runtime/job.h"
#include "runtime/live_results.h"
#include "sink/circuit_breaker.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tally {

// A partition's consumer status in Burrow's terms, over a window of the group's committed offsets
// (models/lag_status.h): OK; WARN, the lag grows while offsets move; STALL, offsets committed but
// not moving while there is lag; STOP, no commit for the whole window while there is lag; ERR, the
// broker is unreachable. A partition this consumer has no figures for has no status.
enum class LagStatus { Ok, Warn, Stall, Stop, Err };
std::string_view lagStatusName(LagStatus s); // "OK", "WARN", "STALL", "STOP", "ERR"

struct PartitionFigures {
    int partition = 0;
    uint64_t records = 0;          // polled so far
    double recordsPerSecond = 0;
    int64_t watermarkMs = 0;       // kMinWatermark while the partition has none
    bool idle = false;
    std::optional<double> lagRecords; // Kafka only
    std::optional<double> lagSeconds; // Kafka only
    int64_t committedOffset = -1;     // Kafka: as PartitionStatus
    int64_t committedAtMs = -1;
    int64_t logEndOffset = -1;
    std::optional<LagStatus> lagStatus; // Kafka only, set by a LagStatusEvaluator
};

struct OperatorFigures {
    std::string name;        // "source", "decode-0", "ingest", "window-0", "output"
    OperatorKind kind = OperatorKind::Source;
    double busy = 0;         // shares of the last sampling interval, 0..1
    double idle = 0;
    double backpressured = 0;
    double recordsInPerSecond = 0;  // over the last sampling interval
    double recordsOutPerSecond = 0;
};

// The sink's status (SinkStatus) with its rate and latency quantiles; the full status, with its
// divert setting and last error, is in ConsoleSnapshot::job.sink.
struct SinkFigures {
    bool present = false;
    std::string name;            // "sqlite", "postgres"
    CircuitBreaker::State circuit = CircuitBreaker::State::Closed; // named by circuitStateName()
    bool held = false;
    uint64_t pendingRows = 0;
    uint64_t divertedRows = 0;
    double rowsPerSecond = 0;    // rows written, last interval
    uint64_t retries = 0;
    uint64_t transientErrors = 0;
    uint64_t rejectedRows = 0;
    uint64_t committedEpoch = 0;
    int64_t lastWindowEndMs = 0;
    double p50Ms = 0, p99Ms = 0, maxMs = 0; // write latency over the run
    std::optional<double> recentP99Ms;      // over the last interval, when there were writes
};

// How current the results are: every window ending at or before `upToDateMs` has its rows in
// the database (committed, with exactly-once; without a sink: handed over), and where the time
// from there to now goes. The four parts add up to the age; each is >= 0.
struct Freshness {
    std::optional<int64_t> upToDateMs; // nullopt: nothing stored yet
    bool complete = false;             // the input ended and every window is stored
    std::optional<double> ageSeconds;  // takenAtMs - upToDateMs, while neither is missing nor complete
    double sourceLagSeconds = 0;       // Kafka: records waiting in the topic (its lag)
    double watermarkDelaySeconds = 0;  // the out-of-orderness bound, held back by a lagging partition
    double firingSeconds = 0;          // windows fired whose epoch has not closed yet (checkpoint interval)
    double sinkSeconds = 0;            // rows handed to the sink and not stored yet
};

// Free space of a folder the job writes to.
struct FolderSpace {
    std::string folder; // "checkpoints", "savepoints", "state", "divert", "sqlite"
    std::string path;
    double freeBytes = 0;
    double sizeBytes = 0;
};

struct ConsoleSnapshot {
    int64_t takenAtMs = 0;
    bool kafka = false;          // the source is Kafka (lag figures exist)
    JobStatus job;               // as the job reported it; the next snapshot takes its rates from it
    // Every metric at takenAtMs, for /metrics and the API's list of metrics. No figure of the
    // console is read from it, except the watermark bound below.
    MetricsSnapshot metrics;
    // The current out-of-orderness bound. JobStatus does not carry it, so it is the one figure
    // read from the metrics (tally_watermark_bound_ms); 0 in a snapshot made from a status alone.
    int64_t watermarkBoundMs = 0;
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
    Freshness freshness;
    // The machine as the job uses it (the EngineHost samples them; absent in a snapshot made from
    // a status alone): memory against the most the process may use, and the folders' free space.
    std::optional<double> residentBytes;
    std::optional<double> memoryLimitBytes;
    std::optional<double> cores; // the cores the process may use
    std::vector<FolderSpace> folders;
    // What an input record costs each operator, smoothed over the samples with input; absent
    // until there has been input.
    std::optional<CapacityModel> capacity;
    std::vector<LiveWindow> windows;
    std::optional<uint64_t> watchedPost;     // the console's watched post (EngineHost::watchPost)
    std::vector<WindowValue> watchedHistory; // its likes_per_post windows, oldest first
    std::string lastSavepoint; // file of the newest savepoint taken in this process, if any

    // The highest input rate the job can sustain at the parallelism its costs were measured at,
    // when the costs and the cores are known.
    std::optional<CapacityEstimate> capacityNow() const;
    // The partition holding the job watermark back (the lowest non-idle watermark), if any.
    std::optional<int> laggingPartition() const;
    // The partition with the largest share of recent records, and that share (0..1).
    std::optional<std::pair<int, double>> hottestPartition() const;
};

// The figures of a job's status taken at `nowMs`: counts as the status has them, rates and
// operator shares over the interval since `previous` (may be null: rates and shares are 0). A
// figure whose counter went down (a new job after a rescale) reads 0 for that interval.
ConsoleSnapshot consoleSnapshotFromStatus(JobStatus status, bool kafka, const ConsoleSnapshot *previous,
                                          int64_t nowMs);

// The freshness of a snapshot's status. `before` (may be null) is an earlier one: where the
// database stood does not go back, also when a new job (a rescale, a restore) starts with a sink
// that has stored nothing yet.
Freshness computeFreshness(const ConsoleSnapshot &s, const Freshness *before);

// Builds a snapshot from the job: consoleSnapshotFromStatus(job.status(), ...) with the live
// windows, the metrics and the watermark bound; `previous` (may be null) is the last snapshot;
// `watchedPost`, if any, is a post the job's LiveResults watches.
ConsoleSnapshot takeConsoleSnapshot(const Job &job, const MetricsRegistry &metrics, bool kafka,
                                    const ConsoleSnapshot *previous, int64_t nowMs,
                                    std::optional<uint64_t> watchedPost = std::nullopt);

} // namespace tally
