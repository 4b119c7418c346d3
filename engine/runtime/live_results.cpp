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
        if (m_watched && r.aggregation == Aggregation::LikesPerPost && r.key == *m_watched) {
            auto it = std::find_if(m_history.begin(), m_history.end(),
                                   [&](const WindowValue &w) { return w.windowStartMs == r.windowStartMs; });
            const int64_t value = r.kind == OutputRow::Kind::Upsert ? r.value : 0;
            if (it != m_history.end()) {
                it->value = value;
            } else {
                m_history.push_back({r.windowStartMs, r.windowEndMs, value});
                std::sort(m_history.begin(), m_history.end(),
                          [](const WindowValue &a, const WindowValue &b) { return a.windowStartMs < b.windowStartMs; });
                if (m_history.size() > kHistory)
                    m_history.erase(m_history.begin());
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

void LiveResults::watchPost(std::optional<uint64_t> postId)
{
    std::lock_guard lock(m_mutex);
    if (m_watched != postId)
        m_history.clear();
    m_watched = postId;
}

std::optional<uint64_t> LiveResults::watchedPost() const
{
    std::lock_guard lock(m_mutex);
    return m_watched;
}

std::vector<WindowValue> LiveResults::watchedHistory() const
{
    std::lock_guard lock(m_mutex);
    return m_history;
}

} // namespace tally
