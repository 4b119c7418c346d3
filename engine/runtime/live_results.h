// LiveResults is the console's window onto the results as they are produced: for every
// aggregation and window length, the newest window and its leading keys, and the window-by-window
// history of one watched post. The output stage feeds it; readers take value snapshots. The sink
// holds the exact results; this is a live view (a re-fire that lowers a listed key is shown as is).
#pragma once

#include "sink/output.h"

#include <cstdint>
#include <map>
#include <mutex>
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
    static constexpr size_t kHistory = 240; // windows kept for the watched post

    void note(std::span<const OutputRow> rows); // thread-safe

    // The newest window per (aggregation, window length), in Aggregation order, shortest first.
    std::vector<LiveWindow> windows() const;

    // likes_per_post windows of one post, oldest first; watching another post starts over.
    void watchPost(std::optional<uint64_t> postId);
    std::optional<uint64_t> watchedPost() const;
    std::vector<WindowValue> watchedHistory() const;

private:
    mutable std::mutex m_mutex;
    std::map<std::pair<Aggregation, int64_t>, LiveWindow> m_newest; // by (aggregation, length)
    std::optional<uint64_t> m_watched;
    std::vector<WindowValue> m_history;
};

} // namespace tally
