#include "runtime/trending_merger.h"

#include <algorithm>

namespace tally {

TrendingMerger::TrendingMerger(int tasks, size_t k, int64_t latenessMs)
    : m_tasks(tasks), m_k(k), m_latenessMs(latenessMs)
{
}

void TrendingMerger::update(int task, const TopKUpdate &u, std::vector<OutputRow> &rows)
{
    Window &w = m_windows[u.windowStartMs];
    w.endMs = u.windowEndMs;
    w.perTask.resize(static_cast<size_t>(m_tasks));
    w.perTask[static_cast<size_t>(task)] = u.entries;

    std::vector<KeyValue> global;
    for (const auto &list : w.perTask)
        global.insert(global.end(), list.begin(), list.end());
    keepTopK(global, m_k);
    std::sort(global.begin(), global.end()); // by key, to diff against what was emitted

    auto row = [&](uint64_t key, int64_t value, OutputRow::Kind kind) {
        rows.push_back({Aggregation::TrendingHourly, kind, false, u.windowStartMs, u.windowEndMs, key, value, 0});
    };
    auto oldIt = w.emitted.begin();
    for (const auto &kv : global) {
        while (oldIt != w.emitted.end() && oldIt->first < kv.first)
            row((oldIt++)->first, 0, OutputRow::Kind::Delete);
        if (oldIt != w.emitted.end() && oldIt->first == kv.first) {
            if (oldIt->second != kv.second)
                row(kv.first, kv.second, OutputRow::Kind::Upsert);
            ++oldIt;
        } else {
            row(kv.first, kv.second, OutputRow::Kind::Upsert);
        }
    }
    while (oldIt != w.emitted.end())
        row((oldIt++)->first, 0, OutputRow::Kind::Delete);
    w.emitted = std::move(global);
}

void TrendingMerger::expire(int64_t minTaskWatermark)
{
    while (!m_windows.empty()) {
        const auto &[start, w] = *m_windows.begin();
        if (minTaskWatermark - m_latenessMs < w.endMs - 1)
            break;
        m_windows.erase(m_windows.begin());
    }
}

} // namespace tally
