#include "state/rocksdb_state.h"

#include "state/count_tables.h"
#include "state/key_counts.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <vector>

namespace tally {
namespace {

constexpr size_t kKeyBytes = 17;
constexpr size_t kPrefixBytes = 9; // structure, namespace

void putBigEndian(char *out, uint64_t v)
{
    for (int i = 7; i >= 0; --i) {
        out[i] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
}

uint64_t getBigEndian(const char *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
        v = (v << 8) | static_cast<unsigned char>(in[i]);
    return v;
}

// Flipping the sign bit makes big-endian bytes sort like signed integers.
uint64_t orderedNamespace(int64_t ns) { return static_cast<uint64_t>(ns) ^ (uint64_t(1) << 63); }
int64_t namespaceOf(const char *bytes) { return static_cast<int64_t>(getBigEndian(bytes) ^ (uint64_t(1) << 63)); }

struct StateKey {
    char bytes[kKeyBytes + 1]; // one spare byte: the end of a namespace's range
    StateKey(uint8_t structure, int64_t ns, uint64_t key)
    {
        bytes[0] = static_cast<char>(structure);
        putBigEndian(bytes + 1, orderedNamespace(ns));
        putBigEndian(bytes + kPrefixBytes, key);
    }
    rocksdb::Slice slice() const { return {bytes, kKeyBytes}; }
    rocksdb::Slice prefix() const { return {bytes, kPrefixBytes}; }
    // Past every key of the namespace (a key's 17 bytes sort before these 18).
    static StateKey namespaceEnd(uint8_t structure, int64_t ns)
    {
        StateKey k(structure, ns, UINT64_MAX);
        k.bytes[kKeyBytes] = 0;
        return k;
    }
    rocksdb::Slice endSlice() const { return {bytes, kKeyBytes + 1}; }
};

int64_t decodeCount(const rocksdb::Slice &s)
{
    int64_t v = 0;
    if (s.size() == sizeof v)
        std::memcpy(&v, s.data(), sizeof v);
    return v;
}

std::string encodeCount(int64_t v)
{
    return {reinterpret_cast<const char *>(&v), sizeof v};
}

// RocksDB's order: bytewise, unsigned (std::array<char> compares signed chars).
bool byKey(const std::pair<std::array<char, kKeyBytes>, int64_t> &a, const std::pair<std::array<char, kKeyBytes>, int64_t> &b)
{
    return std::memcmp(a.first.data(), b.first.data(), kKeyBytes) < 0;
}

// Counts are added, never read-modify-written by the engine.
class AddInt64 final : public rocksdb::AssociativeMergeOperator {
public:
    bool Merge(const rocksdb::Slice &, const rocksdb::Slice *existing, const rocksdb::Slice &value,
               std::string *newValue, rocksdb::Logger *) const override
    {
        if (value.size() != sizeof(int64_t) || (existing != nullptr && existing->size() != sizeof(int64_t)))
            return false; // not ours: surfaces as a corruption error
        const int64_t sum = (existing != nullptr ? decodeCount(*existing) : 0) + decodeCount(value);
        *newValue = encodeCount(sum);
        return true;
    }
    const char *Name() const override { return "tally.AddInt64"; }
};

// The working copy failed under the engine (disk or corruption): its state is no longer
// trustworthy, and the process stops so the restart restores from the last checkpoint.
[[noreturn]] void stateFailed(const char *what, const rocksdb::Status &s)
{
    fprintf(stderr, "tally: RocksDB state %s failed: %s\n", what, s.ToString().c_str());
    std::abort();
}

// A scan that ended early must not pass for a complete one.
void checkScan(const rocksdb::Iterator &it)
{
    if (!it.status().ok())
        stateFailed("read", it.status());
}

// One task's database, with a bounded write-back cache in front: updates are combined per
// (structure, namespace, key) in memory, and when the cache is full it is written as one sorted
// SST file (one entry per key) that is ingested, never through the memtable: the write costs one
// sequential file, not a skip-list insert per key. Counts of a namespace RocksDB does not hold yet
// go in as values, the others as merges (blind adds). A hot post's thousands of updates become one
// entry, and a short window that fires and expires while cached never reaches RocksDB at all.
// A dropped namespace becomes one range deletion in the next file. Reads combine both: a
// namespace that never left the cache is answered from memory alone. A checkpoint does not write
// the cache: it takes the cache's changes since the checkpoint before (takeCacheChanges).
class RocksDbTaskState final : public TaskState {
public:
    struct Namespace {
        uint8_t structure;
        int64_t ns;
        auto operator<=>(const Namespace &) const = default; // the order of their keys in RocksDB
    };

    RocksDbTaskState(std::shared_ptr<rocksdb::DB> db, rocksdb::Options options, std::string path, int task, size_t cacheBytes)
        : m_db(std::move(db)), m_options(std::move(options)), m_path(std::move(path)), m_task(task), m_cacheLimit(cacheBytes)
    {
        // Unique to this opening of the database: its new files' names in checkpoint folders.
        if (const rocksdb::Status s = m_db->GetDbSessionId(m_sessionId); !s.ok() || m_sessionId.empty())
            stateFailed("open (its session id)", s);
    }

    // After opening a checkpoint's files: their names in checkpoint folders stay what they were,
    // and every namespace they hold is known.
    void adoptFiles(const TaskFiles &files)
    {
        for (const StateFile &f : files.tables)
            m_sharedNames[f.localName] = f.sharedName;
        std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions()));
        it->SeekToFirst();
        while (it->Valid()) {
            const rocksdb::Slice k = it->key();
            if (k.size() != kKeyBytes) {
                it->Next();
                continue;
            }
            const Namespace n{static_cast<uint8_t>(k[0]), namespaceOf(k.data() + 1)};
            m_stored.insert(n);
            const StateKey end = StateKey::namespaceEnd(n.structure, n.ns);
            it->Seek(end.endSlice()); // the next namespace: one seek each, not a read of every count
        }
        checkScan(*it);
    }

    bool canExportFiles() const override { return true; }

    // Counts only ever reach RocksDB as ingested files (the memtable stays empty), so the
    // database is exactly its SST files: RocksDB's own checkpoint links them into a staging
    // folder (and copies the MANIFEST), with nothing to flush. What the cache holds beyond them
    // goes with them as its changes since the barrier before (or all of it, after a write).
    Result<TaskFiles> exportFiles(bool writeCacheFirst) override
    {
        if (writeCacheFirst)
            writeCache();
        TaskFiles files;
        files.task = m_task;
        files.cacheSinceTables = m_cacheSinceTables;
        files.cache.push_back(takeCacheChanges());
        const std::string staging = m_path + "-checkpoint-" + std::to_string(++m_exports);
        files.stagingDir.reset(new std::string(staging), [](const std::string *folder) {
            std::error_code ignored;
            std::filesystem::remove_all(*folder, ignored);
            delete folder;
        });
        std::error_code ec;
        rocksdb::Checkpoint *raw = nullptr;
        rocksdb::Status s = rocksdb::Checkpoint::Create(m_db.get(), &raw);
        const std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
        if (s.ok())
            s = checkpoint->CreateCheckpoint(staging, std::numeric_limits<uint64_t>::max());
        if (!s.ok())
            return Status::ioError("RocksDB checkpoint of " + m_path + ": " + s.ToString());
        for (const auto &entry : std::filesystem::directory_iterator(staging, ec)) {
            const std::string name = entry.path().filename().string();
            if (name.ends_with(".sst")) {
                const auto shared = m_sharedNames.find(name);
                files.tables.push_back({name, shared != m_sharedNames.end() ? shared->second : m_sessionId + "-" + name,
                                        entry.path().string(), static_cast<uint64_t>(entry.file_size())});
                continue;
            }
            std::ifstream in(entry.path(), std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            if (!in.good() && !in.eof())
                return Status::ioError("RocksDB checkpoint: cannot read " + entry.path().string());
            files.privateFiles.emplace_back(name, std::move(bytes));
        }
        if (ec)
            return Status::ioError("RocksDB checkpoint: cannot list " + staging + ": " + ec.message());
        std::sort(files.tables.begin(), files.tables.end(),
                  [](const StateFile &a, const StateFile &b) { return a.localName < b.localName; });
        std::sort(files.privateFiles.begin(), files.privateFiles.end());
        return files;
    }

    // A restore from files: the cache as a checkpoint's chain of its parts left it, oldest first.
    // The next checkpoint then hands over all of it (the chain is not continued).
    // The cache is written only after the last part: each part's values are relative to the
    // checkpoint's tables, so a write in between would count the earlier parts twice (a cache
    // configured smaller than the one that took the checkpoint holds all of it for a moment).
    void replayCache(const std::vector<ChangesExport> &parts)
    {
        m_replaying = true;
        for (const ChangesExport &part : parts)
            part.visit([&](uint8_t structure, int64_t ns) { drop(structure, ns); },
                       [&](uint8_t structure, int64_t ns, uint64_t key, int64_t value) {
                           add(structure, ns, key, value - cachedValue(structure, ns, key));
                       });
        m_replaying = false;
        m_cacheSinceTables = true;
        m_droppedSinceBarrier.clear();
        if (cachedBytes() >= m_cacheLimit)
            writeCache();
    }

    void forEachNamespace(const std::function<void(uint8_t, int64_t)> &visit) const override
    {
        for (const Namespace &n : m_stored)
            visit(n.structure, n.ns);
        for (const auto &entry : m_cache) {
            const uint8_t structure = entry.first; // (a lambda cannot capture a structured binding in clang 14)
            entry.second.forEachTable([&](int64_t ns, const CountTables::Counts &) {
                if (!m_stored.contains({structure, ns}))
                    visit(structure, ns);
            });
        }
    }

    // A restore: the counts are collected and go in as one sorted SST file.
    void beginLoad() override { m_loading = true; }

    void endLoad() override
    {
        m_loading = false;
        if (m_load.empty())
            return;
        std::sort(m_load.begin(), m_load.end(), byKey);
        // SST keys must be strictly ascending: a count added twice is summed (as merges would).
        size_t out = 0;
        for (size_t i = 0; i < m_load.size(); ++i) {
            if (out > 0 && m_load[out - 1].first == m_load[i].first)
                m_load[out - 1].second += m_load[i].second;
            else
                m_load[out++] = m_load[i];
        }
        m_load.resize(out);
        SstFile file(*this);
        for (const auto &[key, value] : m_load)
            file.check(file.writer.Put(rocksdb::Slice(key.data(), kKeyBytes), countSlice(value)));
        std::vector<std::pair<std::array<char, kKeyBytes>, int64_t>>().swap(m_load);
        file.ingest();
    }

    std::unique_ptr<CountState> countState(CountStateId id) override;

    // Writes the cache, then pins a database snapshot: the export reads it later, on any thread,
    // while the task goes on writing. It keeps the database open until it is gone.
    CountExport exportCounts() override
    {
        writeCache();
        struct Pinned {
            std::shared_ptr<rocksdb::DB> db;
            const rocksdb::Snapshot *snapshot;
            ~Pinned() { db->ReleaseSnapshot(snapshot); }
        };
        const std::shared_ptr<Pinned> pinned(new Pinned{m_db, m_db->GetSnapshot()}); // no temporary to release it
        // No count: RocksDB's estimate of its keys can be several times too high (a key in
        // several levels), and the reader would make room for all of them.
        return {0, [pinned](const CountVisit &visit) {
                    if (const rocksdb::Status s = scan(*pinned->db, pinned->snapshot, visit); !s.ok())
                        stateFailed("read", s);
                }};
    }

    // Every count, the cache's written first (a scan of a checkpoint's files).
    Status scanAll(const CountVisit &visit)
    {
        writeCache();
        if (const rocksdb::Status s = scan(*m_db, nullptr, visit); !s.ok())
            return Status::corruption("checkpoint: reading task " + std::to_string(m_task) + "'s files: " + s.ToString());
        return Status::ok();
    }

    size_t entries() const override
    {
        uint64_t stored = 0;
        m_db->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys, &stored);
        size_t cached = 0;
        for (const auto &entry : m_cache)
            cached += entry.second.entries();
        return static_cast<size_t>(stored) + cached;
    }

    void add(uint8_t structure, int64_t ns, uint64_t key, int64_t delta)
    {
        if (m_loading) {
            const StateKey k(structure, ns, key);
            m_load.emplace_back();
            std::memcpy(m_load.back().first.data(), k.bytes, kKeyBytes);
            m_load.back().second = delta;
            if (m_loadedNamespace != Namespace{structure, ns}) {
                m_loadedNamespace = {structure, ns};
                m_stored.insert(m_loadedNamespace);
            }
            return;
        }
        // A namespace dropped and written to again: its range deletion must reach RocksDB in a
        // file before the new counts (an ingested file's deletions do not cover its own keys).
        if (int64_t &checked = m_checkedNamespace[structure]; checked != ns && !m_replaying) {
            if (!m_dropped.empty() && m_dropped.contains({structure, ns}))
                writeCache();
            checked = ns;
        }
        CountTables &tables = cacheOf(structure);
        const size_t bytesBefore = tables.slotBytes();
        tables.add(ns, key, delta);
        if (tables.slotBytes() != bytesBefore && !m_replaying && cachedBytes() >= m_cacheLimit)
            writeCache();
    }

    // The cache is far larger than the CPU caches: like the heap, start loading the key's slot.
    void prefetch(uint8_t structure, int64_t ns, uint64_t key) const
    {
        if (const CountTables *tables = m_cacheOf[structure])
            if (const CountTables::Counts *counts = tables->lastUpdated(ns))
                counts->prefetch(key);
    }

    int64_t get(uint8_t structure, int64_t ns, uint64_t key) const
    {
        int64_t value = cachedValue(structure, ns, key);
        if (m_stored.contains({structure, ns})) {
            std::string bytes;
            const StateKey k(structure, ns, key);
            const rocksdb::Status s = m_db->Get(rocksdb::ReadOptions(), k.slice(), &bytes);
            if (s.ok())
                value += decodeCount(bytes);
            else if (!s.IsNotFound())
                stateFailed("read", s);
        }
        return value;
    }

    void forEach(uint8_t structure, int64_t ns, const CountState::Visit &visit) const
    {
        const CountTables *tables = m_cacheOf[structure];
        const CountTables::Counts *cachedCounts = tables != nullptr ? tables->find(ns) : nullptr;
        if (!m_stored.contains({structure, ns})) {
            if (cachedCounts != nullptr)
                for (const auto &[key, count] : *cachedCounts)
                    visit(key, count.value());
            return;
        }
        // Stored counts plus their cached deltas, then the keys only the cache has.
        KeyCounts seen;
        const StateKey first(structure, ns, 0);
        const StateKey end = StateKey::namespaceEnd(structure, ns);
        const rocksdb::Slice upper = end.endSlice();
        rocksdb::ReadOptions read;
        read.iterate_upper_bound = &upper;
        std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(read));
        for (it->Seek(first.slice()); it->Valid(); it->Next()) {
            const uint64_t key = getBigEndian(it->key().data() + kPrefixBytes);
            int64_t value = decodeCount(it->value());
            if (cachedCounts != nullptr)
                if (auto k = cachedCounts->find(key); k != cachedCounts->end()) {
                    value += k->second.value();
                    seen.emplace(key, 0);
                }
            visit(key, value);
        }
        checkScan(*it);
        if (cachedCounts != nullptr)
            for (const auto &[key, count] : *cachedCounts)
                if (!seen.contains(key))
                    visit(key, count.value());
    }

    // Cached counts go; stored ones get a range deletion in the next file (reads no longer look
    // for them).
    void drop(uint8_t structure, int64_t ns)
    {
        bool held = false;
        if (CountTables *tables = m_cacheOf[structure])
            held = tables->drop(ns);
        if (m_stored.erase({structure, ns}) != 0) {
            m_dropped.insert({structure, ns});
            m_checkedNamespace[structure] = kNoNamespace;
            held = true;
        }
        // A part that starts a chain lists the stored namespaces dropped since the cache was
        // written (m_dropped) instead: nothing to keep until the next barrier then.
        if (held && !m_cacheSinceTables)
            m_droppedSinceBarrier.push_back({structure, ns});
    }

private:
    static constexpr int64_t kNoNamespace = INT64_MIN;

    static rocksdb::Status scan(rocksdb::DB &db, const rocksdb::Snapshot *snapshot, const CountVisit &visit)
    {
        rocksdb::ReadOptions read;
        read.snapshot = snapshot;
        read.fill_cache = false;       // one pass over everything: keep the hot blocks cached
        read.readahead_size = 4 << 20; // in order
        std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(read));
        for (it->SeekToFirst(); it->Valid(); it->Next()) {
            const rocksdb::Slice k = it->key();
            if (k.size() == kKeyBytes)
                visit(static_cast<uint8_t>(k[0]), namespaceOf(k.data() + 1), getBigEndian(k.data() + kPrefixBytes),
                      decodeCount(it->value()));
        }
        return it->status();
    }

    // An SST file being written into the database's folder, then ingested (moved in).
    struct SstFile {
        explicit SstFile(RocksDbTaskState &owner)
            : owner(owner), path(owner.m_path + "/write.sst"),
              writer(rocksdb::EnvOptions(), owner.m_options, nullptr, false) // keep its pages: they are read next
        {
            check(writer.Open(path));
        }
        void check(const rocksdb::Status &s) const
        {
            if (!s.ok())
                stateFailed("write (an SST file)", s);
        }
        void ingest()
        {
            check(writer.Finish());
            rocksdb::IngestExternalFileOptions options;
            options.move_files = true;          // linked in, not copied
            options.write_global_seqno = false; // the file stays as written; its sequence number is in the MANIFEST
            if (const rocksdb::Status s = owner.m_db->IngestExternalFile({path}, options); !s.ok())
                stateFailed("write (ingesting an SST file)", s);
        }
        RocksDbTaskState &owner;
        const std::string path;
        rocksdb::SstFileWriter writer;
    };

    static rocksdb::Slice countSlice(const int64_t &value) { return {reinterpret_cast<const char *>(&value), sizeof value}; }

    CountTables &cacheOf(uint8_t structure)
    {
        CountTables *&tables = m_cacheOf[structure];
        if (tables == nullptr) {
            // No table sized like the one before: the cache's memory is its bound, and a
            // reserve for a namespace that stays small would write the cache sooner.
            tables = &m_cache.try_emplace(structure, CountTables::NewTables::Grow).first->second;
            tables->trackChanges(); // every checkpoint hands over what changed in it
        }
        return *tables;
    }

    // The memory of the cache's tables: what state.rocksdb_cache_kb bounds.
    size_t cachedBytes() const
    {
        size_t bytes = 0;
        for (const auto &entry : m_cache)
            bytes += entry.second.slotBytes();
        return bytes;
    }

    int64_t cachedValue(uint8_t structure, int64_t ns, uint64_t key) const
    {
        const CountTables *tables = m_cacheOf[structure];
        return tables != nullptr ? tables->get(ns, key) : 0;
    }

    // What a checkpoint of files hands over of the cache, fixed now: after a write of the cache
    // (or a restore), all it holds and the stored namespaces dropped since the write; otherwise
    // the namespaces dropped and the counts changed since the barrier before. Costs what changed.
    ChangesExport takeCacheChanges()
    {
        struct Changes {
            std::vector<Namespace> dropped;
            std::vector<ExportedCount> counts;
        };
        auto changes = std::make_shared<Changes>();
        if (m_cacheSinceTables)
            changes->dropped.assign(m_dropped.begin(), m_dropped.end());
        else
            changes->dropped = std::move(m_droppedSinceBarrier);
        m_droppedSinceBarrier.clear();
        m_cacheSinceTables = false;
        size_t changed = 0;
        for (const auto &[structure, tables] : m_cache)
            changed += tables.changedBound();
        changes->counts.reserve(changed); // no regrowth on the task: this is the barrier's time
        for (auto &[structure, tables] : m_cache)
            tables.takeChanges(structure, changes->counts);
        return {changes->counts.size(), [changes](const DropVisit &dropped, const CountVisit &set) {
                    for (const Namespace &n : changes->dropped)
                        dropped(n.structure, n.ns);
                    for (const ExportedCount &c : changes->counts)
                        set(c.structure, c.ns, c.key, c.value);
                }};
    }

    // Writes the cache and the pending range deletions as one file, in key order: structures and
    // their namespaces are ordered as their keys are, so only each namespace's keys are sorted.
    void writeCache()
    {
        if (m_dropped.empty() && std::all_of(m_cache.begin(), m_cache.end(), [](const auto &entry) { return entry.second.entries() == 0; })) {
            m_cacheSinceTables = true; // the cache holds nothing beyond the files: as after a write
            m_droppedSinceBarrier.clear();
            return;
        }
        SstFile file(*this);
        for (const Namespace &n : m_dropped) {
            const StateKey first(n.structure, n.ns, 0);
            const StateKey end = StateKey::namespaceEnd(n.structure, n.ns);
            file.check(file.writer.DeleteRange(first.slice(), end.endSlice()));
        }
        std::vector<std::pair<uint64_t, int64_t>> sorted;
        for (const auto &entry : m_cache) {
            const uint8_t structure = entry.first;
            entry.second.forEachTable([&](int64_t ns, const CountTables::Counts &counts) {
                sorted.clear();
                for (const auto &[key, count] : counts)
                    sorted.emplace_back(key, count.value());
                std::sort(sorted.begin(), sorted.end());
                // A namespace RocksDB holds nothing of gets values, not merges: reads and
                // compactions then have no operands to resolve.
                const bool fresh = m_stored.insert({structure, ns}).second;
                for (const auto &[key, delta] : sorted) {
                    const StateKey k(structure, ns, key);
                    file.check(fresh ? file.writer.Put(k.slice(), countSlice(delta)) : file.writer.Merge(k.slice(), countSlice(delta)));
                }
            });
        }
        file.ingest();
        for (auto &[structure, tables] : m_cache)
            tables.clear();
        m_dropped.clear();
        m_droppedSinceBarrier.clear();
        m_checkedNamespace.fill(kNoNamespace);
        // The cache now holds nothing beyond the files: the next checkpoint's part starts a chain.
        m_cacheSinceTables = true;
    }

    std::shared_ptr<rocksdb::DB> m_db; // shared with pending exports
    const rocksdb::Options m_options;  // the database's, for the SST files it writes
    const std::string m_path;          // the database's folder
    const int m_task;
    std::string m_sessionId;
    std::map<std::string, std::string> m_sharedNames; // local name -> name in checkpoint folders, of restored files
    int m_exports = 0;
    size_t m_cacheLimit; // bytes
    std::map<uint8_t, CountTables> m_cache;     // by structure: in key order
    std::array<CountTables *, 256> m_cacheOf{}; // the same, indexed
    std::array<int64_t, 256> m_checkedNamespace = filled(kNoNamespace); // by structure: not in m_dropped
    std::set<Namespace> m_stored;               // namespaces with counts in RocksDB
    std::set<Namespace> m_dropped;              // stored namespaces dropped since the last file
    std::vector<Namespace> m_droppedSinceBarrier; // namespaces dropped since the last checkpoint's barrier
    bool m_cacheSinceTables = true; // the cache holds all it ever held beyond the files: the last checkpoint did not see it

    static std::array<int64_t, 256> filled(int64_t v)
    {
        std::array<int64_t, 256> a;
        a.fill(v);
        return a;
    }

    bool m_replaying = false; // replayCache(): no write of the cache until it is done
    bool m_loading = false;
    std::vector<std::pair<std::array<char, kKeyBytes>, int64_t>> m_load; // a restore's counts
    Namespace m_loadedNamespace{UINT8_MAX, INT64_MIN};
};

class RocksDbCountState final : public CountState {
public:
    RocksDbCountState(RocksDbTaskState &owner, CountStateId id) : m_owner(owner), m_id(id) {}

    void add(int64_t ns, uint64_t key, int64_t delta) override { m_owner.add(m_id.structure, ns, key, delta); }
    int64_t get(int64_t ns, uint64_t key) const override { return m_owner.get(m_id.structure, ns, key); }
    void forEach(int64_t ns, const Visit &visit) const override { m_owner.forEach(m_id.structure, ns, visit); }
    void drop(int64_t ns) override { m_owner.drop(m_id.structure, ns); }
    void prefetch(int64_t ns, uint64_t key) const override { m_owner.prefetch(m_id.structure, ns, key); }

private:
    RocksDbTaskState &m_owner;
    CountStateId m_id;
};

std::unique_ptr<CountState> RocksDbTaskState::countState(CountStateId id)
{
    return std::make_unique<RocksDbCountState>(*this, id);
}

} // namespace

namespace {

// A working copy is scratch: after a crash the job restores from its last checkpoint, which
// fsyncs every file it publishes (checkpoint_store.cpp). So the working copy never syncs: no
// fsync of each cache file RocksDB ingests, of its MANIFEST or of its folder, on the task's time.
class UnsyncedFile final : public rocksdb::FSWritableFileOwnerWrapper {
public:
    using FSWritableFileOwnerWrapper::FSWritableFileOwnerWrapper;
    rocksdb::IOStatus Sync(const rocksdb::IOOptions &, rocksdb::IODebugContext *) override { return rocksdb::IOStatus::OK(); }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions &, rocksdb::IODebugContext *) override { return rocksdb::IOStatus::OK(); }
    rocksdb::IOStatus RangeSync(uint64_t, uint64_t, const rocksdb::IOOptions &, rocksdb::IODebugContext *) override
    {
        return rocksdb::IOStatus::OK();
    }
};

class UnsyncedDirectory final : public rocksdb::FSDirectoryWrapper {
public:
    using FSDirectoryWrapper::FSDirectoryWrapper;
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions &, rocksdb::IODebugContext *) override { return rocksdb::IOStatus::OK(); }
    rocksdb::IOStatus FsyncWithDirOptions(const rocksdb::IOOptions &, rocksdb::IODebugContext *,
                                          const rocksdb::DirFsyncOptions &) override
    {
        return rocksdb::IOStatus::OK();
    }
};

class UnsyncedFileSystem final : public rocksdb::FileSystemWrapper {
public:
    UnsyncedFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
    const char *Name() const override { return "TallyUnsyncedFileSystem"; }

    rocksdb::IOStatus NewWritableFile(const std::string &name, const rocksdb::FileOptions &options,
                                      std::unique_ptr<rocksdb::FSWritableFile> *file, rocksdb::IODebugContext *dbg) override
    {
        return wrap(target()->NewWritableFile(name, options, file, dbg), file);
    }
    rocksdb::IOStatus ReopenWritableFile(const std::string &name, const rocksdb::FileOptions &options,
                                         std::unique_ptr<rocksdb::FSWritableFile> *file, rocksdb::IODebugContext *dbg) override
    {
        return wrap(target()->ReopenWritableFile(name, options, file, dbg), file);
    }
    rocksdb::IOStatus ReuseWritableFile(const std::string &name, const std::string &old, const rocksdb::FileOptions &options,
                                        std::unique_ptr<rocksdb::FSWritableFile> *file, rocksdb::IODebugContext *dbg) override
    {
        return wrap(target()->ReuseWritableFile(name, old, options, file, dbg), file);
    }
    rocksdb::IOStatus NewDirectory(const std::string &name, const rocksdb::IOOptions &options,
                                   std::unique_ptr<rocksdb::FSDirectory> *directory, rocksdb::IODebugContext *dbg) override
    {
        rocksdb::IOStatus s = target()->NewDirectory(name, options, directory, dbg);
        if (s.ok())
            *directory = std::make_unique<UnsyncedDirectory>(std::move(*directory));
        return s;
    }

private:
    static rocksdb::IOStatus wrap(rocksdb::IOStatus s, std::unique_ptr<rocksdb::FSWritableFile> *file)
    {
        if (s.ok())
            *file = std::make_unique<UnsyncedFile>(std::move(*file));
        return s;
    }
};

rocksdb::Env *unsyncedEnv()
{
    // Never destroyed: no database may outlive its Env, not even at exit.
    static rocksdb::Env *const env = rocksdb::NewCompositeEnv(std::make_shared<UnsyncedFileSystem>()).release();
    return env;
}

rocksdb::Options databaseOptions(const StateConfig &config)
{
    rocksdb::Options options;
    options.env = unsyncedEnv();
    options.merge_operator = std::make_shared<AddInt64>();
    options.write_buffer_size = 4 << 20; // counts never pass through the memtable (files are ingested)
    options.max_manifest_file_size = 4 << 20; // each checkpoint holds a copy
    options.level_compaction_dynamic_level_bytes = true;
    options.max_background_jobs = 2;
    const auto supported = rocksdb::GetSupportedCompressions();
    if (std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end())
        options.compression = rocksdb::kLZ4Compression;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(static_cast<size_t>(config.rocksdbBlockCacheMb) << 20);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    return options;
}

std::filesystem::path taskFolder(const std::string &workDir, int task)
{
    return std::filesystem::path(workDir) / ("task-" + std::to_string(task));
}

bool plainFileName(const std::string &name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

// Lays out a database folder from a checkpoint's files: its tables linked (copied where the
// checkpoint folder is on another file system), its private files written.
Status layOutFiles(const TaskFiles &files, const std::filesystem::path &folder)
{
    std::error_code ec;
    std::filesystem::remove_all(folder, ec);
    std::filesystem::create_directories(folder, ec);
    if (ec)
        return Status::ioError("state.dir: cannot create " + folder.string() + ": " + ec.message());
    for (const StateFile &f : files.tables) {
        if (!plainFileName(f.localName))
            return Status::corruption("checkpoint: bad RocksDB file name \"" + f.localName + "\"");
        std::filesystem::create_hard_link(f.path, folder / f.localName, ec);
        if (ec) {
            ec.clear();
            std::filesystem::copy_file(f.path, folder / f.localName, ec);
        }
        if (ec)
            return Status::ioError("state.dir: cannot link or copy " + f.path + " into " + folder.string() + ": " +
                                   ec.message());
    }
    for (const auto &[name, bytes] : files.privateFiles) {
        // Never through a table's link: that would write into the checkpoint's shared file.
        if (!plainFileName(name) || std::filesystem::exists(folder / name))
            return Status::corruption("checkpoint: bad RocksDB file name \"" + name + "\"");
        std::ofstream out(folder / name, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out.good())
            return Status::ioError("state.dir: cannot write " + (folder / name).string());
    }
    return Status::ok();
}

std::shared_ptr<rocksdb::DB> owned(rocksdb::DB *raw)
{
    return {raw, [](rocksdb::DB *d) {
                d->Close();
                delete d;
            }};
}

} // namespace

Result<std::unique_ptr<TaskState>> openRocksDbTaskState(const StateConfig &config, const std::string &workDir, int task)
{
    const std::filesystem::path path = taskFolder(workDir, task);
    std::error_code ec;
    std::filesystem::remove_all(path, ec); // a working copy of an earlier job: never reused
    std::filesystem::create_directories(path, ec);
    if (ec)
        return Status::ioError("state.dir: cannot create " + path.string() + ": " + ec.message());
    rocksdb::Options options = databaseOptions(config);
    options.create_if_missing = true;
    options.error_if_exists = true;
    rocksdb::DB *raw = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(options, path.string(), &raw);
    if (!s.ok())
        return Status::ioError("state.dir: cannot open RocksDB at " + path.string() + ": " + s.ToString());
    return std::unique_ptr<TaskState>(std::make_unique<RocksDbTaskState>(
        owned(raw), options, path.string(), task, static_cast<size_t>(config.rocksdbCacheKb) << 10));
}

namespace {

Result<std::unique_ptr<RocksDbTaskState>> openFromFiles(const StateConfig &config, const std::string &workDir, const TaskFiles &files)
{
    const std::filesystem::path path = taskFolder(workDir, files.task);
    if (Status laid = layOutFiles(files, path); !laid.isOk())
        return laid;
    const rocksdb::Options options = databaseOptions(config);
    rocksdb::DB *raw = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(options, path.string(), &raw);
    if (!s.ok())
        return Status::corruption("checkpoint: RocksDB does not open task " + std::to_string(files.task) +
                                  "'s files: " + s.ToString());
    auto state = std::make_unique<RocksDbTaskState>(owned(raw), options, path.string(), files.task,
                                                    static_cast<size_t>(config.rocksdbCacheKb) << 10);
    state->adoptFiles(files);
    state->replayCache(files.cache);
    return state;
}

} // namespace

Result<std::unique_ptr<TaskState>> openRocksDbTaskStateFromFiles(const StateConfig &config, const std::string &workDir,
                                                                 const TaskFiles &files)
{
    Result<std::unique_ptr<RocksDbTaskState>> state = openFromFiles(config, workDir, files);
    if (!state)
        return state.status();
    return std::unique_ptr<TaskState>(std::move(state).value());
}

Status scanRocksDbFiles(const TaskFiles &files, const std::string &scratchDir, const CountVisit &visit)
{
    // Opened as a restore at the same parallelism would, in a folder of its own: the tables and
    // the cache's parts replayed over them are what the task held.
    const std::string workDir = (std::filesystem::path(scratchDir) / ("scan-" + std::to_string(files.task))).string();
    Status result = Status::ok();
    {
        StateConfig small;
        small.rocksdbBlockCacheMb = 8;
        Result<std::unique_ptr<RocksDbTaskState>> state = openFromFiles(small, workDir, files);
        result = state ? (*state)->scanAll(visit) : state.status();
    }
    std::error_code ec;
    std::filesystem::remove_all(workDir, ec);
    return result;
}

} // namespace tally
