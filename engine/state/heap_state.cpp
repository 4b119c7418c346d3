#include "state/heap_state.h"

#include "window/key_counts.h"

#include <map>
#include <vector>

namespace tally {
namespace {

class HeapCountState final : public CountState {
public:
    void add(int64_t ns, uint64_t key, int64_t delta) override { table(ns)[key] += delta; }

    int64_t get(int64_t ns, uint64_t key) const override
    {
        auto t = m_tables.find(ns);
        if (t == m_tables.end())
            return 0;
        auto k = t->second.find(key);
        return k == t->second.end() ? 0 : k->second;
    }

    void forEach(int64_t ns, const Visit &visit) const override
    {
        auto t = m_tables.find(ns);
        if (t == m_tables.end())
            return;
        for (const auto &[key, value] : t->second)
            visit(key, value);
    }

    size_t size(int64_t ns) const override
    {
        auto t = m_tables.find(ns);
        return t == m_tables.end() ? 0 : t->second.size();
    }

    void drop(int64_t ns) override
    {
        if (ns == m_lastNs) {
            m_lastNs = INT64_MIN;
            m_last = nullptr;
        }
        m_tables.erase(ns);
    }

    void prefetch(int64_t ns, uint64_t key) const override
    {
        if (ns == m_lastNs && m_last != nullptr)
            m_last->prefetch(key);
    }

    size_t entries() const
    {
        size_t n = 0;
        for (const auto &[ns, counts] : m_tables)
            n += counts.size();
        return n;
    }

private:
    // Consecutive updates mostly hit one namespace: remember it instead of a map lookup each.
    KeyCounts &table(int64_t ns)
    {
        if (ns != m_lastNs || m_last == nullptr) {
            auto [it, created] = m_tables.try_emplace(ns);
            if (created && m_last != nullptr)
                it->second.reserve(m_last->size()); // windows are alike: skip the rehash ladder
            m_lastNs = ns;
            m_last = &it->second;
        }
        return *m_last;
    }

    std::map<int64_t, KeyCounts> m_tables;
    int64_t m_lastNs = INT64_MIN;
    KeyCounts *m_last = nullptr;
};

class HeapTaskState final : public TaskState {
public:
    std::unique_ptr<CountState> countState(CountStateId) override
    {
        auto state = std::make_unique<HeapCountState>();
        m_states.push_back(state.get());
        return state;
    }

    size_t entries() const override
    {
        size_t n = 0;
        for (const HeapCountState *s : m_states)
            n += s->entries();
        return n;
    }

private:
    std::vector<const HeapCountState *> m_states; // owned by the counters, which outlive no task
};

} // namespace

std::unique_ptr<TaskState> makeHeapTaskState()
{
    return std::make_unique<HeapTaskState>();
}

} // namespace tally
