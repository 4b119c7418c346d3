#include "state/heap_state.h"

#include "state/count_tables.h"

#include <utility>
#include <vector>

namespace tally {
namespace {

struct DroppedNamespace {
    uint8_t structure;
    int64_t ns;
};

class HeapCountState final : public CountState {
public:
    explicit HeapCountState(uint8_t structure) : m_structure(structure) {}

    void add(int64_t ns, uint64_t key, int64_t delta) override { m_tables.add(ns, key, delta); }
    int64_t get(int64_t ns, uint64_t key) const override { return m_tables.get(ns, key); }

    void forEach(int64_t ns, const Visit &visit) const override
    {
        m_tables.forEach(ns, visit);
    }

    void drop(int64_t ns) override
    {
        if (m_tables.drop(ns) && m_tracking)
            m_dropped.push_back({m_structure, ns});
    }

    void prefetch(int64_t ns, uint64_t key) const override
    {
        if (const CountTables::Counts *counts = m_tables.lastUpdated(ns))
            counts->prefetch(key);
    }

    uint8_t structure() const { return m_structure; }
    size_t entries() const { return m_tables.entries(); }
    CountTables::Shared share() { return m_tables.share(); }
    size_t changedBound() const { return m_tables.changedBound(); }

    // Starts a generation: what is held now is the base, nothing is listed as changed.
    void trackChanges()
    {
        m_tracking = true;
        m_dropped.clear();
        m_tables.trackChanges();
    }

    // The namespaces dropped since the last call, then the changed counts (CountTables::takeChanges).
    void takeChanges(std::vector<ExportedCount> &counts, std::vector<DroppedNamespace> &dropped)
    {
        dropped.insert(dropped.end(), m_dropped.begin(), m_dropped.end());
        m_dropped.clear();
        m_tables.takeChanges(m_structure, counts);
    }

private:
    uint8_t m_structure;
    CountTables m_tables;
    bool m_tracking = false;
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

    // The task goes on changing its tables: they are shared with the export, not copied
    // (CountTables::share), so the barrier costs a pointer per namespace.
    CountExport exportCounts() override
    {
        struct Shared {
            uint8_t structure;
            CountTables::Shared tables;
        };
        auto shared = std::make_shared<std::vector<Shared>>();
        for (HeapCountState *s : m_states)
            shared->push_back({s->structure(), s->share()});
        return {entries(), [shared](const CountVisit &visit) {
                    for (const auto &[structure, tables] : *shared)
                        for (const auto &[ns, counts] : tables)
                            for (const auto &[key, count] : *counts)
                                visit(structure, ns, key, count.value());
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
