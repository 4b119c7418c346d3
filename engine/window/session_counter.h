// A SessionCounter counts events per key in session windows: each event opens [t, t + gap), and
// overlapping windows of a key merge into one session. A session fires when the watermark passes
// its end; a late event that extends or bridges fired sessions retracts their rows and re-fires
// the merged session. An event is dropped when t + allowedLateness <= watermark (Flink's rule for
// merging windows), which guarantees it can never touch a session that was already purged.
// Not thread-safe: owned by one task.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <functional>
#include <set>
#include <utility>
#include <vector>

namespace tally {

class SessionCounter {
public:
    enum class Update { Upsert, Delete };
    // (update, key, sessionStart, sessionEnd, count)
    using Emit = std::function<void(Update, uint64_t, int64_t, int64_t, int64_t)>;

    SessionCounter(int64_t gapMs, int64_t latenessMs);

    // Adds `count` events of `key` at event time t. Returns false if they are dropped as too late.
    bool add(uint64_t key, int64_t t, int64_t count, int64_t watermark);
    // Retractions and re-fires caused by late events since the last call.
    void drainUpdates(const Emit &emit);
    // Fires sessions whose end the watermark passed and purges expired ones.
    void advance(int64_t watermark, const Emit &emit);

    bool isDropped(int64_t t, int64_t watermark) const { return t + m_latenessMs <= watermark; }
    size_t sessionCount() const;

private:
    struct Session {
        int64_t start;
        int64_t end; // exclusive: last event time + gap
        int64_t count;
        bool fired;
    };
    using Pending = std::tuple<Update, uint64_t, int64_t, int64_t, int64_t>;

    int64_t m_gapMs;
    int64_t m_latenessMs;
    absl::flat_hash_map<uint64_t, std::vector<Session>> m_sessions; // per key, sorted by start
    std::set<std::pair<int64_t, uint64_t>> m_unfired;               // (end, key)
    std::set<std::pair<int64_t, uint64_t>> m_fired;                 // (end, key), until expiry
    std::vector<Pending> m_pending;
};

} // namespace tally
