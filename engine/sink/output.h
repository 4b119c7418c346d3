// The output of the job: window results as rows, plus the records it could not count (dead
// letters: undecodable input; late events: later than the allowed lateness). Sinks implement
// OutputSink; the engine calls them from its single output thread.
#pragma once

#include "event/codec.h"
#include "event/like_event.h"
#include "metrics/metrics.h"
#include "sink/circuit_breaker.h"
#include "util/status.h"

#include <cstdint>
#include <future>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tally {

enum class Aggregation : uint8_t { LikesPerPost, TrendingHourly, LikesByRegion, LikeVelocity, SpamSuspects, kCount };
constexpr size_t kAggregationCount = static_cast<size_t>(Aggregation::kCount);
std::string_view aggregationName(Aggregation a); // "likes_per_post", "trending_hourly", ...

// likes_by_region keys pack the region and, for v2 events, the device type.
constexpr uint64_t regionKey(RegionCode region, DeviceType device = DeviceType::None)
{
    return static_cast<uint64_t>(region) | (static_cast<uint64_t>(device) << 16);
}
// Key as text: the decimal id for posts and users; "US" or "US/ios" for regions.
std::string keyText(Aggregation a, uint64_t key);

// Exactly-once: rows are staged per epoch and committed with it; at-least-once: rows are written
// as batches fill (upserts keep replays harmless either way).
enum class Delivery : uint8_t { ExactlyOnce, AtLeastOnce };
std::string_view deliveryName(Delivery d); // "exactly_once", "at_least_once"

// One window result. Rows are upserts keyed by (aggregation, window_start, window_end, key): a
// window that re-fires after late data replaces its earlier row. Delete rows retract a key that
// left a result (a post that fell out of the top-K, a velocity that fell under the reporting
// threshold).
struct OutputRow {
    enum class Kind : uint8_t { Upsert, Delete };
    Aggregation aggregation = Aggregation::LikesPerPost;
    Kind kind = Kind::Upsert;
    bool flag = false;        // like_velocity: viral; spam_suspects: always true
    int64_t windowStartMs = 0;
    int64_t windowEndMs = 0;  // exclusive
    uint64_t key = 0;
    int64_t value = 0;        // net likes (likes - unlikes); spam_suspects: likes
    uint64_t epoch = 0;       // checkpoint epoch that produced the row (0 without checkpoints)

    friend bool operator==(const OutputRow &, const OutputRow &) = default;
};

// A record that failed decoding, kept whole with the reason.
struct DeadLetter {
    RejectReason reason = RejectReason::Malformed;
    std::string detail;
    int partition = 0;
    int64_t offset = 0;
    std::string payload;
};

// The aggregations of a LateEvent::droppedMask, comma-separated, in Aggregation order.
std::string droppedByNames(uint32_t droppedMask);

// An event later than the allowed lateness for at least one aggregation.
struct LateEvent {
    LikeEvent event;
    uint32_t droppedMask = 0; // bit i set: dropped by Aggregation(i)
    int64_t watermarkMs = 0;  // job watermark when it arrived
};

// A value snapshot for the console and tests.
struct SinkStatus {
    std::string name;           // "sqlite", "postgres" (the metrics' sink label)
    CircuitBreaker::State circuit = CircuitBreaker::State::Closed;
    bool held = false;          // drained and holding writes until resumeWrites()
    bool divertEnabled = false; // divert on: an outage spills to the buffer
    uint64_t pendingRows = 0;   // in memory: staged, waiting and being written
    uint64_t divertedRows = 0;  // in the local buffer, waiting for replay
    uint64_t committedEpoch = 0;
    int64_t lastWindowEndMs = 0; // newest window end among the rows written
    uint64_t rowsWritten = 0;
    uint64_t rejectedRows = 0;
    uint64_t retries = 0;        // write attempts retried after an error
    uint64_t transientErrors = 0;
    HistogramSnapshot writeLatencyUs; // per batch attempt, over the run
    std::string lastError;       // the newest write error (empty after a success)
};

class OutputSink {
public:
    virtual ~OutputSink() = default;
    virtual Status writeRows(std::span<const OutputRow> rows) = 0;
    virtual Status writeDeadLetters(std::span<const DeadLetter> records) = 0;
    virtual Status writeLateEvents(std::span<const LateEvent> events) = 0;
    // Returns once everything written so far is stored (rows of epochs not yet committed stay
    // staged in an exactly-once sink).
    virtual Status flush() = 0;

    // Every row of epochs <= `epoch` has been written and the checkpoint that closes `epoch` is
    // complete: an exactly-once sink commits them now. Other sinks ignore it.
    virtual Status commitEpoch(uint64_t epoch);
    // The newest epoch this sink has committed (0: none). A job starts numbering its epochs
    // after it, so a new run's commits are not mistaken for replays.
    virtual uint64_t committedEpoch() const;

    // Operator commands (SinkWriter implements them; other sinks answer Unimplemented).
    // drain: write everything pending, then hold new writes until resumeWrites(); the future is
    // ready once nothing is pending. setDivert: while the database is unreachable, spill results
    // to a local buffer instead of holding them in memory.
    virtual std::future<Status> drain();
    virtual Status resumeWrites();
    virtual Status setDivert(bool on);

    // Where the sink stands, for the console; nullopt for a sink without a writer (tests').
    // Thread-safe.
    virtual std::optional<SinkStatus> sinkStatus() const { return std::nullopt; }
};

} // namespace tally
