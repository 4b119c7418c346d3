// The results of the job: window results as rows, plus the records it could not count (dead
// letters: undecodable input; late events: later than the allowed lateness). Every layer above
// the windows speaks these types; the sinks (sink/output.h) write them.
#pragma once

#include "event/codec.h"
#include "event/like_event.h"
#include "util/status.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// A dead letter as the consoles' dead-letter browser shows it: one of this run's
// (runtime/recent_dead_letters.h) or one an earlier run stored (the SQLite sink's dead_letters
// table, sink/sqlite_store.h).
struct BrowsedDeadLetter {
    uint64_t sequence = 0; // this run's: 1, 2, ... in the order they reached the output stage; stored: the row id
    int64_t atMs = 0;      // wall clock when the output stage had it
    RejectReason reason = RejectReason::Malformed;
    std::string detail;
    int partition = 0;
    int64_t offset = 0;
    std::string payload;     // the first bytes (the browsers keep 4 KiB)
    size_t payloadBytes = 0; // the whole record's size
};

// The aggregations of a LateEvent::droppedMask, comma-separated, in Aggregation order.
std::string droppedByNames(uint32_t droppedMask);

// An event later than the allowed lateness for at least one aggregation.
struct LateEvent {
    LikeEvent event;
    uint32_t droppedMask = 0; // bit i set: dropped by Aggregation(i)
    int64_t watermarkMs = 0;  // job watermark when it arrived
};

// Fixed-size little-endian records, one per row: the rows as the divert buffer and savepoints
// store them.
std::string packRows(std::span<const OutputRow> rows);
Result<std::vector<OutputRow>> unpackRows(std::string_view packed);

} // namespace tally
