#include "runtime/live_results.h"

#include <algorithm>

namespace tally {

namespace {

bool ranksBefore(const LiveEntry &a, const LiveEntry &b)
{
    return a.value != b.value ? a.value > b.value : a.key < b.key;
}

} // namespace

void LiveResults::note(std::span<const OutputRow> rows)
{
    std::lock_guard lock(m_mutex);
    for (const OutputRow &r : rows) {
        if (r.aggregation == Aggregation::LikesPerPost && !m_watched.empty())
            if (const auto watch = m_watched.find(r.key); watch != m_watched.end()) {
                std::vector<WindowValue> &history = watch->second.windows;
                auto it = std::find_if(history.begin(), history.end(),
                                       [&](const WindowValue &w) { return w.windowStartMs == r.windowStartMs; });
                const int64_t value = r.kind == OutputRow::Kind::Upsert ? r.value : 0;
                if (it != history.end()) {
                    it->value = value;
                } else {
                    history.push_back({r.windowStartMs, r.windowEndMs, value});
                    std::sort(history.begin(), history.end(),
                              [](const WindowValue &a, const WindowValue &b) { return a.windowStartMs < b.windowStartMs; });
                    if (history.size() > kHistory)
                        history.erase(history.begin());
                }
            }
        LiveWindow &w = m_newest[{r.aggregation, r.windowEndMs - r.windowStartMs}];
        if (r.windowStartMs < w.windowStartMs)
            continue; // an older window re-fired: the live view shows the newest
        if (r.windowStartMs > w.windowStartMs || w.leaders.empty()) {
            if (r.windowStartMs > w.windowStartMs)
                w.leaders.clear();
            w.aggregation = r.aggregation;
            w.windowStartMs = r.windowStartMs;
            w.windowEndMs = r.windowEndMs;
        }
        auto it = std::find_if(w.leaders.begin(), w.leaders.end(), [&](const LiveEntry &e) { return e.key == r.key; });
        if (r.kind == OutputRow::Kind::Delete) {
            if (it != w.leaders.end())
                w.leaders.erase(it);
            continue;
        }
        const LiveEntry entry{r.key, r.value, r.flag};
        if (it != w.leaders.end())
            *it = entry;
        else if (w.leaders.size() < kLeaders || ranksBefore(entry, w.leaders.back()))
            w.leaders.push_back(entry);
        else
            continue;
        std::sort(w.leaders.begin(), w.leaders.end(), ranksBefore);
        if (w.leaders.size() > kLeaders)
            w.leaders.pop_back();
    }
}

std::vector<LiveWindow> LiveResults::windows() const
{
    std::lock_guard lock(m_mutex);
    std::vector<LiveWindow> out;
    out.reserve(m_newest.size());
    for (const auto &[key, w] : m_newest)
        out.push_back(w);
    return out;
}

void LiveResults::watchPost(uint64_t postId)
{
    std::lock_guard lock(m_mutex);
    watchLocked(postId);
}

void LiveResults::pinPost(uint64_t postId)
{
    std::lock_guard lock(m_mutex);
    if (m_pinned && *m_pinned != postId)
        m_watched.erase(*m_pinned);
    m_pinned = postId;
    watchLocked(postId);
}

void LiveResults::watchLocked(uint64_t postId)
{
    const Clock::time_point now = Clock::now();
    if (const auto it = m_watched.find(postId); it != m_watched.end()) {
        it->second.askedAt = now;
        return;
    }
    const auto pinned = [&](const auto &entry) { return m_pinned && entry.first == *m_pinned; };
    std::erase_if(m_watched, [&](const auto &entry) { return !pinned(entry) && now - entry.second.askedAt > kWatchIdle; });
    if (m_watched.size() >= kMaxWatched) {
        auto oldest = m_watched.end();
        for (auto it = m_watched.begin(); it != m_watched.end(); ++it)
            if (!pinned(*it) && (oldest == m_watched.end() || it->second.askedAt < oldest->second.askedAt))
                oldest = it;
        if (oldest != m_watched.end())
            m_watched.erase(oldest);
    }
    m_watched.emplace(postId, Watch{{}, now});
}

std::optional<std::vector<WindowValue>> LiveResults::history(uint64_t postId) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_watched.find(postId);
    if (it == m_watched.end())
        return std::nullopt;
    return it->second.windows;
}

size_t LiveResults::watchedCount() const
{
    std::lock_guard lock(m_mutex);
    return m_watched.size();
}

} // namespace tally
