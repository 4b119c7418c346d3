// CountTables: the counts of one piece of state in memory, one hash table per namespace, with
// the change tracking of incremental checkpoints. The heap backend keeps all of its counts in
// them; the RocksDB backend's write-back cache keeps the counts not yet written to its files.
//
// Each count carries the generation (checkpoint interval) it last changed in, and its first
// change in a generation lists it; a namespace created in the generation lists nothing (a new
// window or pane: most of the changes of a stream whose windows roll over) and is copied whole.
// So takeChanges() costs what changed, not what is held.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace tally {

// A count as the backends hand it over for a snapshot.
struct ExportedCount {
    uint8_t structure;
    int64_t ns;
    uint64_t key;
    int64_t value;
};

class CountTables {
public:
    // How a new namespace's table starts: sized like the one updated before it (windows and panes
    // are alike: no rehash ladder, at the price of memory for one that stays small), or empty.
    enum class NewTables { SizedLikeLast, Grow };
    explicit CountTables(NewTables newTables = NewTables::SizedLikeLast) : m_newTables(newTables) {}

    // A count and the generation it last changed in, in 8 bytes (a table slot of 16, so more
    // counts fit the CPU caches and the RocksDB backend's write-back cache): the value in the high
    // 48 bits (signed: ±1.4e14, beyond any count of one key in one window), the generation's low
    // 16 bits in the low ones (0: while changes are not tracked).
    static constexpr int64_t kMaxCount = (int64_t(1) << 47) - 1; // a count's magnitude at most (StampedCount)

    class StampedCount {
    public:
        int64_t value() const { return static_cast<int64_t>(m_bits) >> kStampBits; }
        uint16_t stamp() const { return static_cast<uint16_t>(m_bits); }
        // Adds to the value (modulo 2^48) and leaves the stamp: delta's low bits are 0 after the shift.
        void add(int64_t delta) { m_bits += static_cast<uint64_t>(delta) << kStampBits; }
        void setStamp(uint16_t stamp) { m_bits = (m_bits & ~uint64_t(0xffff)) | stamp; }

    private:
        static constexpr int kStampBits = 16;
        uint64_t m_bits = 0;
    };
    using Counts = absl::flat_hash_map<uint64_t, StampedCount>;

    // Adds `delta` to a count (a missing count is 0).
    void add(int64_t ns, uint64_t key, int64_t delta)
    {
        Table &t = table(ns);
        const size_t capacity = t.counts.capacity();
        auto [it, inserted] = t.counts.try_emplace(key);
        StampedCount &count = it->second;
        count.add(delta);
        if (count.stamp() != static_cast<uint16_t>(m_generation)) { // the first change since the last checkpoint
            count.setStamp(static_cast<uint16_t>(m_generation));
            if (t.createdIn != m_generation)
                m_changed.emplace_back(ns, key);
        }
        if (inserted) {
            ++m_entries;
            if (t.counts.capacity() != capacity)
                m_slotBytes += slotBytes(t.counts.capacity()) - slotBytes(capacity);
        }
    }

    const Counts *find(int64_t ns) const
    {
        auto t = m_tables.find(ns);
        return t == m_tables.end() ? nullptr : &t->second.counts;
    }

    int64_t get(int64_t ns, uint64_t key) const
    {
        const Counts *counts = find(ns);
        if (counts == nullptr)
            return 0;
        auto k = counts->find(key);
        return k == counts->end() ? 0 : k->second.value();
    }

    // Returns whether the namespace held counts.
    bool drop(int64_t ns)
    {
        if (ns == m_lastNs) {
            m_lastNs = INT64_MIN;
            m_last = nullptr;
        }
        auto t = m_tables.find(ns);
        if (t == m_tables.end())
            return false;
        m_entries -= t->second.counts.size();
        m_slotBytes -= slotBytes(t->second.counts.capacity());
        m_tables.erase(t);
        return true;
    }

    // The namespace updated last, if it is `ns` (a prefetch's table: consecutive updates mostly
    // hit one namespace). The caller prefetches: GCC 12 at -O3 drops absl's prefetch wrapped in
    // a member function of this class (its IPA pure-const pass), which the benches showed.
    const Counts *lastUpdated(int64_t ns) const { return ns == m_lastNs && m_last != nullptr ? &m_last->counts : nullptr; }

    // Every namespace, in order.
    template <typename Visit> void forEachTable(Visit &&visit) const
    {
        for (const auto &[ns, t] : m_tables)
            visit(ns, t.counts);
    }

    size_t entries() const { return m_entries; }
    // The memory of the tables' slots: a count and a control byte per entry each can hold.
    size_t slotBytes() const { return m_slotBytes; }

    // Forgets every count (they were written elsewhere); changes are counted from empty.
    void clear()
    {
        m_tables.clear();
        m_lastNs = INT64_MIN;
        m_last = nullptr;
        m_entries = 0;
        m_slotBytes = 0;
        if (m_generation != 0)
            trackChanges();
    }

    void copyTo(uint8_t structure, std::vector<ExportedCount> &out) const
    {
        for (const auto &[ns, t] : m_tables)
            for (const auto &[key, count] : t.counts)
                out.push_back({structure, ns, key, count.value()});
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
        nextGeneration();
    }

    // The counts of namespaces created since the last call (or trackChanges()) and the other
    // counts changed since, with their value now (those of namespaces dropped since are gone:
    // their owner lists the drop); then a new generation.
    void takeChanges(uint8_t structure, std::vector<ExportedCount> &counts)
    {
        for (const auto &[ns, t] : m_tables)
            if (t.createdIn == m_generation)
                for (const auto &[key, count] : t.counts)
                    counts.push_back({structure, ns, key, count.value()});
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
                counts.push_back({structure, ns, key, k->second.value()});
        }
        m_changed.clear();
        if (m_changed.capacity() > (size_t(1) << 16) && m_changed.capacity() > 4 * m_entries)
            m_changed.shrink_to_fit(); // after a long wait for a checkpoint
        nextGeneration();
    }

private:
    struct Table {
        Counts counts;
        uint32_t createdIn = 0; // generation
    };

    static size_t slotBytes(size_t capacity) { return capacity * (sizeof(Counts::value_type) + 1); }

    // Consecutive updates mostly hit one namespace: remember it instead of a map lookup each.
    Table &table(int64_t ns)
    {
        if (ns != m_lastNs || m_last == nullptr) {
            auto [it, created] = m_tables.try_emplace(ns);
            if (created) {
                it->second.createdIn = m_generation;
                if (m_last != nullptr && m_newTables == NewTables::SizedLikeLast) {
                    it->second.counts.reserve(m_last->counts.size());
                    m_slotBytes += slotBytes(it->second.counts.capacity());
                }
            }
            m_lastNs = ns;
            m_last = &it->second;
        }
        return *m_last;
    }

    // A generation's stamp is never 0 (untracked). When the stamps wrap, every count's is reset
    // to 0 first, so that none equals a later generation's stamp without having changed in it.
    void nextGeneration()
    {
        ++m_generation;
        if (static_cast<uint16_t>(m_generation) == 0) {
            for (auto &[ns, t] : m_tables)
                for (auto &[key, count] : t.counts)
                    count.setStamp(0);
            ++m_generation;
        }
    }

    NewTables m_newTables;
    std::map<int64_t, Table> m_tables; // std::map: in order, and m_last stays valid on inserts
    int64_t m_lastNs = INT64_MIN;
    Table *m_last = nullptr;
    // While changes are not tracked the generation stays 0, every count's stamp too: nothing is listed.
    uint32_t m_generation = 0;
    std::vector<std::pair<int64_t, uint64_t>> m_changed; // (namespace, key) first changed in this generation
    size_t m_entries = 0;
    size_t m_slotBytes = 0;
};

} // namespace tally
