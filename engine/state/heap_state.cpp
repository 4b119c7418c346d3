#include "state/heap_state.h"

#include <absl/container/flat_hash_map.h>

#include <map>
#include <utility>
#include <vector>

namespace tally {
namespace {

struct ExportedCount {
    uint8_t structure;
    int64_t ns;
    uint64_t key;
    int64_t value;
};

struct DroppedNamespace {
    uint8_t structure;
    int64_t ns;
};

struct StampedCount {
    int64_t value = 0;
    uint32_t generation = 0; // when it last changed; 0: while changes are not tracked
};

using StampedCounts = absl::flat_hash_map<uint64_t, StampedCount>;

// One namespace's counts. A namespace created since the last checkpoint (a new window or pane:
// most of the changes of a stream whose windows roll over) lists none of its counts: it is copied
// whole, in one pass, at the barrier.
struct Table {
    StampedCounts counts;
    uint32_t createdIn = 0; // generation
};

class HeapCountState final : public CountState {
public:
    explicit HeapCountState(uint8_t structure) : m_structure(structure) {}

    void add(int64_t ns, uint64_t key, int64_t delta) override
    {
        Table &t = table(ns);
        StampedCount &count = t.counts[key];
        count.value += delta;
        if (count.generation != m_generation) { // the first change since the last checkpoint
            count.generation = m_generation;
            if (t.createdIn != m_generation)
                m_changed.emplace_back(ns, key);
        }
    }

    int64_t get(int64_t ns, uint64_t key) const override
    {
        auto t = m_tables.find(ns);
        if (t == m_tables.end())
            return 0;
        auto k = t->second.counts.find(key);
        return k == t->second.counts.end() ? 0 : k->second.value;
    }

    void forEach(int64_t ns, const Visit &visit) const override
    {
        auto t = m_tables.find(ns);
        if (t == m_tables.end())
            return;
        for (const auto &[key, count] : t->second.counts)
            visit(key, count.value);
    }

    void drop(int64_t ns) override
    {
        if (ns == m_lastNs) {
            m_lastNs = INT64_MIN;
            m_last = nullptr;
        }
        if (m_tables.erase(ns) != 0 && m_generation != 0)
            m_dropped.push_back({m_structure, ns});
    }

    void prefetch(int64_t ns, uint64_t key) const override
    {
        if (ns == m_lastNs && m_last != nullptr)
            m_last->counts.prefetch(key);
    }

    size_t entries() const
    {
        size_t n = 0;
        for (const auto &[ns, t] : m_tables)
            n += t.counts.size();
        return n;
    }

    void copyTo(std::vector<ExportedCount> &out) const
    {
        for (const auto &[ns, t] : m_tables)
            for (const auto &[key, count] : t.counts)
                out.push_back({m_structure, ns, key, count.value});
    }

    // At least what takeChanges() lists now: the counts of new namespaces and the listed ones.
    size_t changedBound() const
    {
        size_t n = m_changed.size();
        for (const auto &[ns, t] : m_tables)
            if (t.createdIn == m_generation)
                n += t.counts.size();
        return n;
    }

    // Starts a generation: what is held now is the base, nothing is listed as changed.
    void trackChanges()
    {
        m_changed.clear();
        m_dropped.clear();
        nextGeneration();
    }

    // The namespaces dropped since the last call, the counts of namespaces created since, and the
    // other counts listed since (those dropped since are gone: their namespace's drop is listed);
    // then a new generation.
    void takeChanges(std::vector<ExportedCount> &counts, std::vector<DroppedNamespace> &dropped)
    {
        dropped.insert(dropped.end(), m_dropped.begin(), m_dropped.end());
        for (const auto &[ns, t] : m_tables)
            if (t.createdIn == m_generation)
                for (const auto &[key, count] : t.counts)
                    counts.push_back({m_structure, ns, key, count.value});
        const Table *table = nullptr;
        int64_t tableNs = INT64_MIN;
        // Each lookup is a cache miss in a large map (this is the barrier's time on the task), so
        // the count a few entries ahead is fetched while this one is read.
        constexpr size_t kPrefetchDistance = 8;
        const Table *ahead = nullptr;
        int64_t aheadNs = INT64_MIN;
        for (size_t i = 0; i < m_changed.size(); ++i) {
            if (i + kPrefetchDistance < m_changed.size()) {
                const auto &[ns, key] = m_changed[i + kPrefetchDistance];
                if (ahead == nullptr || ns != aheadNs) {
                    auto t = m_tables.find(ns);
                    ahead = t == m_tables.end() ? nullptr : &t->second;
                    aheadNs = ns;
                }
                if (ahead != nullptr)
                    ahead->counts.prefetch(key);
            }
            const auto &[ns, key] = m_changed[i];
            if (table == nullptr || ns != tableNs) {
                auto t = m_tables.find(ns);
                // Dropped since, or dropped and created again (copied whole above).
                table = t == m_tables.end() || t->second.createdIn == m_generation ? nullptr : &t->second;
                tableNs = ns;
            }
            if (table == nullptr)
                continue;
            if (auto k = table->counts.find(key); k != table->counts.end())
                counts.push_back({m_structure, ns, key, k->second.value});
        }
        m_changed.clear();
        m_dropped.clear();
        if (m_changed.capacity() > (size_t(1) << 16) && m_changed.capacity() > 4 * entries())
            m_changed.shrink_to_fit(); // after a long wait for a checkpoint
        nextGeneration();
    }

private:
    // Consecutive updates mostly hit one namespace: remember it instead of a map lookup each.
    Table &table(int64_t ns)
    {
        if (ns != m_lastNs || m_last == nullptr) {
            auto [it, created] = m_tables.try_emplace(ns);
            if (created) {
                it->second.createdIn = m_generation;
                if (m_last != nullptr)
                    it->second.counts.reserve(m_last->counts.size()); // windows are alike: skip the rehash ladder
            }
            m_lastNs = ns;
            m_last = &it->second;
        }
        return *m_last;
    }

    void nextGeneration()
    {
        if (++m_generation == 0) // wrapped: 0 means "not tracked"
            m_generation = 1;
    }

    uint8_t m_structure;
    std::map<int64_t, Table> m_tables;
    int64_t m_lastNs = INT64_MIN;
    Table *m_last = nullptr;
    // While changes are not tracked the generation stays 0, every count's too: nothing is listed.
    uint32_t m_generation = 0;
    std::vector<std::pair<int64_t, uint64_t>> m_changed; // (namespace, key) first changed in this generation
    std::vector<DroppedNamespace> m_dropped;
};

class HeapTaskState final : public TaskState {
public:
    std::unique_ptr<CountState> countState(CountStateId id) override
    {
        auto state = std::make_unique<HeapCountState>(id.structure);
        if (m_tracking)
            state->trackChanges();
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
        return {copy->size(), [copy](const CountVisit &visit) {
                    for (const ExportedCount &c : *copy)
                        visit(c.structure, c.ns, c.key, c.value);
                }};
    }

    bool canTrackChanges() const override { return true; }

    void trackChanges() override
    {
        m_tracking = true;
        for (HeapCountState *s : m_states)
            s->trackChanges();
    }

    ChangesExport exportChanges() override
    {
        struct Changes {
            std::vector<ExportedCount> counts;
            std::vector<DroppedNamespace> dropped;
        };
        auto changes = std::make_shared<Changes>();
        size_t changed = 0;
        for (const HeapCountState *s : m_states)
            changed += s->changedBound();
        changes->counts.reserve(changed); // no regrowth on the task: this is the barrier's time
        for (HeapCountState *s : m_states)
            s->takeChanges(changes->counts, changes->dropped);
        return {changes->counts.size(), [changes](const DropVisit &dropped, const CountVisit &set) {
                    for (const DroppedNamespace &d : changes->dropped)
                        dropped(d.structure, d.ns);
                    for (const ExportedCount &c : changes->counts)
                        set(c.structure, c.ns, c.key, c.value);
                }};
    }

private:
    std::vector<HeapCountState *> m_states; // owned by the counters, which outlive no task
    bool m_tracking = false;
};

} // namespace

std::unique_ptr<TaskState> makeHeapTaskState()
{
    return std::make_unique<HeapTaskState>();
}

} // namespace tally
