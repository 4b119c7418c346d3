// CountTables: the counts of one piece of state in memory, one hash table per namespace, with
// the change tracking of incremental checkpoints. The heap backend keeps all of its counts in
// them; the RocksDB backend's write-back cache keeps the counts not yet written to its files.
//
// Each count carries the generation (checkpoint interval) it last changed in, and its first
// change in a generation lists it; a namespace created in the generation lists nothing (a new
// window or pane: most of the changes of a stream whose windows roll over) and is copied whole.
// So takeChanges() costs what changed, not what is held.
//
// A whole snapshot copies nothing (share()): each namespace's table is handed to the snapshot as
// it is, read-only, and until the snapshot lets go of it a count's first change copies the count
// into a small table of its own that shadows the shared one. The first change after the snapshot
// let go folds the small table back in. So a snapshot costs the task what changes while it is
// read, not what is held, and the reader may run on another thread.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cassert>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
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
        if (t.shared) [[unlikely]]
            unshareIfReleased(t);
        const size_t capacity = t.counts.capacity();
        auto [it, inserted] = t.counts.try_emplace(key);
        StampedCount &count = it->second;
        if (inserted && t.shared) [[unlikely]]
            inserted = !copyShared(t, key, count);
        count.add(delta);
        if (count.stamp() != static_cast<uint16_t>(m_generation)) { // the first change since the last checkpoint
            count.setStamp(static_cast<uint16_t>(m_generation));
            if (t.createdIn != m_generation)
                m_changed.emplace_back(ns, key);
        }
        if (inserted) {
            ++m_entries;
            ++t.entries;
        }
        // Also when the count came from the shared table: the small table grew all the same.
        if (t.counts.capacity() != capacity)
            m_slotBytes += slotBytes(t.counts.capacity()) - slotBytes(capacity);
    }

    // A namespace's table, for state that never shares its tables (the RocksDB cache).
    const Counts *find(int64_t ns) const
    {
        auto t = m_tables.find(ns);
        assert(t == m_tables.end() || !t->second.shared);
        return t == m_tables.end() ? nullptr : &t->second.counts;
    }

    int64_t get(int64_t ns, uint64_t key) const
    {
        auto t = m_tables.find(ns);
        if (t == m_tables.end())
            return 0;
        const StampedCount *count = findCount(t->second, key);
        return count == nullptr ? 0 : count->value();
    }

    // Every (key, count) of a namespace, in no particular order.
    template <typename Visit> void forEach(int64_t ns, Visit &&visit) const
    {
        if (auto t = m_tables.find(ns); t != m_tables.end())
            forEachCount(t->second, [&](uint64_t key, StampedCount count) { visit(key, count.value()); });
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
        m_entries -= t->second.entries;
        m_slotBytes -= slotBytes(t->second);
        m_tables.erase(t);
        return true;
    }

    // The namespace updated last, if it is `ns` (a prefetch's table: consecutive updates mostly
    // hit one namespace). The caller prefetches: GCC 12 at -O3 drops absl's prefetch wrapped in
    // a member function of this class (its IPA pure-const pass), which the benches showed.
    // While the table is shared, an update's miss is in the shared one.
    const Counts *lastUpdated(int64_t ns) const
    {
        if (ns != m_lastNs || m_last == nullptr)
            return nullptr;
        return m_last->shared ? &m_last->shared->counts : &m_last->counts;
    }

    // Every namespace's table, in order (state that never shares its tables: the RocksDB cache).
    template <typename Visit> void forEachTable(Visit &&visit) const
    {
        for (const auto &[ns, t] : m_tables) {
            assert(!t.shared);
            visit(ns, t.counts);
        }
    }

    // Every namespace's counts as they are now, for a snapshot that may read them on another
    // thread while this goes on changing: shared, not copied (see the top). The exception is an
    // overloaded job's: a table an earlier snapshot still reads and that changed since is copied
    // (with its changes) on the task, as every table was before the tables were shared.
    using Shared = std::vector<std::pair<int64_t, std::shared_ptr<const Counts>>>;
    Shared share()
    {
        Shared shared;
        shared.reserve(m_tables.size());
        for (auto &[ns, t] : m_tables) {
            if (t.shared)
                unshareIfReleased(t);
            if (t.shared && !t.counts.empty()) {
                m_slotBytes -= slotBytes(t);
                auto merged = std::make_shared<SharedCounts>();
                merged->counts = t.shared->counts;
                fold(t, merged->counts);
                t.shared = std::move(merged);
                m_slotBytes += slotBytes(t);
            } else if (!t.shared) {
                t.shared = std::make_shared<SharedCounts>();
                t.shared->counts = std::move(t.counts);
                t.counts = Counts();
            }
            shared.emplace_back(ns, lease(t.shared));
        }
        return shared;
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

    // At least what takeChanges() lists now: the counts of new namespaces and the listed ones.
    size_t changedBound() const
    {
        size_t n = m_changed.size();
        for (const auto &[ns, t] : m_tables)
            if (t.createdIn == m_generation)
                n += t.entries;
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
        for (const auto &entry : m_tables) {
            const int64_t ns = entry.first; // (a lambda cannot capture a structured binding in clang 14)
            if (entry.second.createdIn == m_generation)
                forEachCount(entry.second, [&](uint64_t key, StampedCount count) { counts.push_back({structure, ns, key, count.value()}); });
        }
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
                    (ahead->shared ? ahead->shared->counts : ahead->counts).prefetch(key);
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
            if (const StampedCount *count = findCount(*table, key))
                counts.push_back({structure, ns, key, count->value()});
        }
        m_changed.clear();
        if (m_changed.capacity() > (size_t(1) << 16) && m_changed.capacity() > 4 * m_entries)
            m_changed.shrink_to_fit(); // after a long wait for a checkpoint
        nextGeneration();
    }

private:
    // A table shared with snapshots, and how many of them read it. A snapshot lets go with a
    // release decrement that the task's acquire load sees (unlike a fence after use_count(),
    // ThreadSanitizer follows it).
    struct SharedCounts {
        Counts counts;
        std::atomic<int> readers{0};
    };

    // A snapshot's hold on a shared table: the table stays alive while the hold does.
    static std::shared_ptr<const Counts> lease(const std::shared_ptr<SharedCounts> &shared)
    {
        shared->readers.fetch_add(1, std::memory_order_relaxed);
        return std::shared_ptr<const Counts>(&shared->counts,
                                             [keep = shared](const Counts *) { keep->readers.fetch_sub(1, std::memory_order_release); });
    }

    struct Table {
        // Every count; while `shared`, only those changed since it was shared (they shadow it).
        Counts counts;
        // The counts as a snapshot took them: read-only while a snapshot reads them.
        std::shared_ptr<SharedCounts> shared;
        size_t entries = 0;     // keys, in either
        uint32_t createdIn = 0; // generation
        // The stamps wrapped while shared: the shared counts' stamps count as 0 (nextGeneration).
        bool sharedStampsStale = false;
    };

    static size_t slotBytes(size_t capacity) { return capacity * (sizeof(Counts::value_type) + 1); }
    static size_t slotBytes(const Table &t) { return slotBytes(t.counts.capacity()) + (t.shared ? slotBytes(t.shared->counts.capacity()) : 0); }

    static const StampedCount *findCount(const Table &t, uint64_t key)
    {
        if (auto k = t.counts.find(key); k != t.counts.end())
            return &k->second;
        if (t.shared)
            if (auto k = t.shared->counts.find(key); k != t.shared->counts.end())
                return &k->second;
        return nullptr;
    }

    template <typename Visit> static void forEachCount(const Table &t, Visit &&visit)
    {
        for (const auto &[key, count] : t.counts)
            visit(key, count);
        if (t.shared)
            for (const auto &[key, count] : t.shared->counts)
                if (t.counts.empty() || !t.counts.contains(key)) // a window not changed since: no lookups
                    visit(key, count);
    }

    // A count's first change while its table is shared: it starts from the shared count. Returns
    // whether there was one.
    static bool copyShared(const Table &t, uint64_t key, StampedCount &count)
    {
        auto k = t.shared->counts.find(key);
        if (k == t.shared->counts.end())
            return false;
        count = k->second;
        if (t.sharedStampsStale)
            count.setStamp(0);
        return true;
    }

    // Once no snapshot reads the shared table, the changed counts go back into it.
    void unshareIfReleased(Table &t)
    {
        if (t.shared->readers.load(std::memory_order_acquire) != 0)
            return;
        m_slotBytes -= slotBytes(t);
        Counts &counts = t.shared->counts;
        fold(t, counts);
        t.counts = std::move(counts);
        t.shared.reset();
        m_slotBytes += slotBytes(t);
    }

    // Writes the table's own counts over a copy of its shared ones, or over them once no snapshot reads them.
    static void fold(Table &t, Counts &into)
    {
        if (t.sharedStampsStale)
            for (auto &[key, count] : into)
                count.setStamp(0);
        t.sharedStampsStale = false;
        for (const auto &[key, count] : t.counts)
            into.insert_or_assign(key, count);
        t.counts = Counts();
    }

    // Consecutive updates mostly hit one namespace: remember it instead of a map lookup each.
    Table &table(int64_t ns)
    {
        if (ns != m_lastNs || m_last == nullptr) {
            auto [it, created] = m_tables.try_emplace(ns);
            if (created) {
                it->second.createdIn = m_generation;
                if (m_last != nullptr && m_newTables == NewTables::SizedLikeLast) {
                    it->second.counts.reserve(m_last->entries);
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
            for (auto &[ns, t] : m_tables) {
                for (auto &[key, count] : t.counts)
                    count.setStamp(0);
                t.sharedStampsStale = t.shared != nullptr; // read-only: reset as they are copied or folded back
            }
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
