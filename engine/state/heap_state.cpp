#include "state/heap_state.h"

#include "state/key_counts.h"

#include <map>
#include <vector>

namespace tally {
namespace {

struct ExportedCount {
    uint8_t structure;
    int64_t ns;
    uint64_t key;
    int64_t value;
};

class HeapCountState final : public CountState {
public:
    explicit HeapCountState(uint8_t structure) : m_structure(structure) {}

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

    void copyTo(std::vector<ExportedCount> &out) const
    {
        for (const auto &[ns, counts] : m_tables)
            for (const auto &[key, value] : counts)
                out.push_back({m_structure, ns, key, value});
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

    uint8_t m_structure;
    std::map<int64_t, KeyCounts> m_tables;
    int64_t m_lastNs = INT64_MIN;
    KeyCounts *m_last = nullptr;
};

class HeapTaskState final : public TaskState {
public:
    std::unique_ptr<CountState> countState(CountStateId id) override
    {
        auto state = std::make_unique<HeapCountState>(id.structure);
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

    // The task goes on changing its maps, so the counts are copied now.
    CountExport exportCounts() override
    {
        auto copy = std::make_shared<std::vector<ExportedCount>>();
        copy->reserve(entries());
        for (const HeapCountState *s : m_states)
            s->copyTo(*copy);
        return [copy](const CountVisit &visit) {
            for (const ExportedCount &c : *copy)
                visit(c.structure, c.ns, c.key, c.value);
        };
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
