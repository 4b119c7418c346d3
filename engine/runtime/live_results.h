// LiveResults is the console's window onto the results as they are produced: for every
// aggregation and window length, the newest window and its leading keys, and the window-by-window
// history of the posts people watch (each console view watches its own). The output stage feeds it; readers take value snapshots. The sink
// holds the exact results; this is a live view (a re-fire that lowers a listed key is shown as is).
#pragma once

#include "sink/output.h"

#include <cstdint>
#include <chrono>
#include <map>
#include <mutex>
#include <unordered_map>
#include <optional>
#include <span>
#include <vector>

namespace tally {

struct LiveEntry {
    uint64_t key = 0;
    int64_t value = 0;
    bool flag = false;
    bool operator==(const LiveEntry &) const = default;
};

struct LiveWindow {
    Aggregation aggregation = Aggregation::LikesPerPost;
    int64_t windowStartMs = 0;
    int64_t windowEndMs = 0;
    std::vector<LiveEntry> leaders; // largest values first, at most LiveResults::kLeaders
};

struct WindowValue {
    int64_t windowStartMs = 0;
    int64_t windowEndMs = 0;
    int64_t value = 0;
};

class LiveResults {
public:
    static constexpr size_t kLeaders = 20;
    static constexpr size_t kHistory = 240;    // windows kept per watched post
    static constexpr size_t kMaxWatched = 64;  // posts watched at once: one per open view is plenty
    static constexpr std::chrono::minutes kWatchIdle{10}; // a post nobody asked for this long is let go

    void note(std::span<const OutputRow> rows); // thread-safe

    // The newest window per (aggregation, window length), in Aggregation order, shortest first.
    std::vector<LiveWindow> windows() const;

    // Starts keeping a post's likes_per_post windows (its history starts now), or, for a post
    // already watched, says it is still wanted. A post is let go after kWatchIdle without a
    // call; beyond kMaxWatched posts, the one asked for longest ago gives way.
    void watchPost(uint64_t postId);
    // Watches the console's own post (EngineHost::watchPost), which neither idles out nor gives
    // way to others, however many posts other views ask for; a pinned post before it is let go.
    void pinPost(uint64_t postId);
    // A watched post's windows, oldest first; nothing when the post is not watched.
    std::optional<std::vector<WindowValue>> history(uint64_t postId) const;
    size_t watchedCount() const;

private:
    using Clock = std::chrono::steady_clock;
    void watchLocked(uint64_t postId);
    struct Watch {
        std::vector<WindowValue> windows; // by window start
        Clock::time_point askedAt;
    };

    mutable std::mutex m_mutex;
    std::map<std::pair<Aggregation, int64_t>, LiveWindow> m_newest; // by (aggregation, length)
    std::unordered_map<uint64_t, Watch> m_watched;                  // by post
    std::optional<uint64_t> m_pinned;                               // see pinPost()
};

} // namespace tally
