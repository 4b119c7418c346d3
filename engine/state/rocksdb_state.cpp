#include "state/rocksdb_state.h"

#include "state/key_groups.h"
#include "state/key_counts.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <vector>

namespace tally {
namespace {

constexpr size_t kKeyBytes = 18;
constexpr size_t kPrefixBytes = 10; // key group, structure, namespace


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

struct StateKey {
    char bytes[kKeyBytes];
    StateKey(int keyGroup, uint8_t structure, int64_t ns, uint64_t key)
    {
        bytes[0] = static_cast<char>(keyGroup);
        bytes[1] = static_cast<char>(structure);
        putBigEndian(bytes + 2, orderedNamespace(ns));
        putBigEndian(bytes + kPrefixBytes, key);
    }
    rocksdb::Slice slice() const { return {bytes, kKeyBytes}; }
    rocksdb::Slice prefix() const { return {bytes, kPrefixBytes}; }
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
// (structure, namespace, key) in memory and reach RocksDB as one merge per key when the cache is
// full. A hot post's thousands of updates become one write, and a short window that fires and
// expires while cached never costs a RocksDB write at all. Reads combine both: a namespace that
// never left the cache is answered from memory alone.
class RocksDbTaskState final : public TaskState {
public:
    struct Namespace {
        uint8_t structure;
        int64_t ns;
        auto operator<=>(const Namespace &) const = default;
    };

    RocksDbTaskState(std::shared_ptr<rocksdb::DB> db, rocksdb::Options options, std::string path, std::vector<int> keyGroups,
                     size_t cacheEntries)
        : m_db(std::move(db)), m_options(std::move(options)), m_path(std::move(path)), m_keyGroups(std::move(keyGroups)),
          m_cacheLimit(cacheEntries)
    {
        m_write.disableWAL = true;
    }

    // A restore: the counts are collected and go in as one sorted SST file, ingested, instead of
    // one merge each through the memtable and compactions.
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
        const std::string file = m_path + "/restore.sst";
        rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), m_options);
        rocksdb::Status s = writer.Open(file);
        for (size_t i = 0; s.ok() && i < m_load.size(); ++i)
            s = writer.Put(rocksdb::Slice(m_load[i].first.data(), kKeyBytes), encodeCount(m_load[i].second));
        if (s.ok())
            s = writer.Finish();
        if (!s.ok())
            stateFailed("restore (writing an SST file)", s);
        std::vector<std::pair<std::array<char, kKeyBytes>, int64_t>>().swap(m_load);
        rocksdb::IngestExternalFileOptions ingest;
        ingest.move_files = true; // the file is ours: linked in, not copied
        if (s = m_db->IngestExternalFile({file}, ingest); !s.ok())
            stateFailed("restore (ingesting an SST file)", s);
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
        return [pinned](const CountVisit &visit) {
            rocksdb::ReadOptions read;
            read.snapshot = pinned->snapshot;
            read.fill_cache = false; // one pass over everything: keep the hot blocks cached
            std::unique_ptr<rocksdb::Iterator> it(pinned->db->NewIterator(read));
            for (it->SeekToFirst(); it->Valid(); it->Next()) {
                const rocksdb::Slice k = it->key();
                if (k.size() != kKeyBytes)
                    continue;
                const auto ns = static_cast<int64_t>(getBigEndian(k.data() + 2) ^ (uint64_t(1) << 63));
                visit(static_cast<uint8_t>(k[1]), ns, getBigEndian(k.data() + kPrefixBytes), decodeCount(it->value()));
            }
            checkScan(*it);
        };
    }

    size_t entries() const override
    {
        uint64_t stored = 0;
        m_db->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys, &stored);
        return static_cast<size_t>(stored) + m_cachedEntries;
    }

    void add(CountStateId id, int64_t ns, uint64_t key, int64_t delta)
    {
        if (m_loading) {
            const StateKey k(keyGroupOf(key, id.keyGroupSalt), id.structure, ns, key);
            m_load.emplace_back();
            std::memcpy(m_load.back().first.data(), k.bytes, kKeyBytes);
            m_load.back().second = delta;
            if (m_loadedNamespace != Namespace{id.structure, ns}) {
                m_loadedNamespace = {id.structure, ns};
                m_stored.insert(m_loadedNamespace);
            }
            return;
        }
        KeyCounts &counts = cached(id, ns);
        auto [it, inserted] = counts.try_emplace(key, 0);
        it->second += delta;
        if (inserted && ++m_cachedEntries >= m_cacheLimit)
            writeCache();
    }

    int64_t get(CountStateId id, int64_t ns, uint64_t key) const
    {
        int64_t value = 0;
        if (auto c = m_cache.find({id.structure, ns}); c != m_cache.end()) {
            auto k = c->second.counts.find(key);
            value = k == c->second.counts.end() ? 0 : k->second;
        }
        if (m_stored.contains({id.structure, ns})) {
            std::string bytes;
            const StateKey k(keyGroupOf(key, id.keyGroupSalt), id.structure, ns, key);
            const rocksdb::Status s = m_db->Get(rocksdb::ReadOptions(), k.slice(), &bytes);
            if (s.ok())
                value += decodeCount(bytes);
            else if (!s.IsNotFound())
                stateFailed("read", s);
        }
        return value;
    }

    void forEach(CountStateId id, int64_t ns, const CountState::Visit &visit) const
    {
        const auto c = m_cache.find({id.structure, ns});
        const KeyCounts *cachedCounts = c == m_cache.end() ? nullptr : &c->second.counts;
        if (!m_stored.contains({id.structure, ns})) {
            if (cachedCounts != nullptr)
                for (const auto &[key, value] : *cachedCounts)
                    visit(key, value);
            return;
        }
        // Stored counts plus their cached deltas, then the keys only the cache has.
        KeyCounts seen;
        std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions()));
        for (int group : m_keyGroups) {
            const StateKey first(group, id.structure, ns, 0);
            for (it->Seek(first.slice()); it->Valid() && it->key().starts_with(first.prefix()); it->Next()) {
                const uint64_t key = getBigEndian(it->key().data() + kPrefixBytes);
                int64_t value = decodeCount(it->value());
                if (cachedCounts != nullptr)
                    if (auto k = cachedCounts->find(key); k != cachedCounts->end()) {
                        value += k->second;
                        seen.emplace(key, 0);
                    }
                visit(key, value);
            }
        }
        checkScan(*it);
        if (cachedCounts != nullptr)
            for (const auto &[key, value] : *cachedCounts)
                if (!seen.contains(key))
                    visit(key, value);
    }

    // Point deletes of the stored keys, found by scanning: range deletions are cheaper to write,
    // but every later read and iterator pays for the tombstones they leave.
    void drop(CountStateId id, int64_t ns)
    {
        if (auto c = m_cache.find({id.structure, ns}); c != m_cache.end()) {
            m_cachedEntries -= c->second.counts.size();
            if (m_last == &c->second)
                m_last = nullptr;
            m_cache.erase(c);
        }
        if (m_stored.erase({id.structure, ns}) == 0)
            return;
        rocksdb::WriteBatch batch;
        std::unique_ptr<rocksdb::Iterator> it(m_db->NewIterator(rocksdb::ReadOptions()));
        for (int group : m_keyGroups) {
            const StateKey first(group, id.structure, ns, 0);
            for (it->Seek(first.slice()); it->Valid() && it->key().starts_with(first.prefix()); it->Next())
                batch.Delete(it->key());
        }
        checkScan(*it);
        write(batch);
    }

private:
    struct CachedNamespace {
        uint64_t keyGroupSalt = 0;
        KeyCounts counts;
    };

    // Consecutive updates mostly hit one namespace: remember it instead of a map lookup each.
    KeyCounts &cached(CountStateId id, int64_t ns)
    {
        if (m_last == nullptr || m_lastNamespace.structure != id.structure || m_lastNamespace.ns != ns) {
            m_lastNamespace = {id.structure, ns};
            m_last = &m_cache[m_lastNamespace];
            m_last->keyGroupSalt = id.keyGroupSalt;
        }
        return m_last->counts;
    }

    // Writes the whole cache as one batch of merges, in key order (as the memtable stores them).
    void writeCache()
    {
        if (m_cache.empty())
            return;
        std::vector<std::pair<std::array<char, kKeyBytes>, int64_t>> sorted;
        sorted.reserve(m_cachedEntries);
        for (const auto &[id, cachedNs] : m_cache) {
            for (const auto &[key, delta] : cachedNs.counts) {
                const StateKey k(keyGroupOf(key, cachedNs.keyGroupSalt), id.structure, id.ns, key);
                sorted.emplace_back();
                std::memcpy(sorted.back().first.data(), k.bytes, kKeyBytes);
                sorted.back().second = delta;
            }
            m_stored.insert(id);
        }
        std::sort(sorted.begin(), sorted.end(), byKey);
        rocksdb::WriteBatch batch;
        for (const auto &[key, delta] : sorted)
            batch.Merge(rocksdb::Slice(key.data(), key.size()), encodeCount(delta));
        write(batch);
        m_cache.clear();
        m_last = nullptr;
        m_cachedEntries = 0;
    }

    void write(rocksdb::WriteBatch &batch)
    {
        if (const rocksdb::Status s = m_db->Write(m_write, &batch); !s.ok())
            stateFailed("write", s);
    }

    std::shared_ptr<rocksdb::DB> m_db; // shared with pending exports
    const rocksdb::Options m_options;  // the database's, for the SST files a restore writes
    const std::string m_path;          // the database's folder
    std::vector<int> m_keyGroups;      // owned by this task, ascending
    size_t m_cacheLimit;
    rocksdb::WriteOptions m_write;
    std::map<Namespace, CachedNamespace> m_cache; // std::map: m_last stays valid on inserts
    std::set<Namespace> m_stored;                 // namespaces with counts in RocksDB
    size_t m_cachedEntries = 0;
    Namespace m_lastNamespace{};
    CachedNamespace *m_last = nullptr;
    bool m_loading = false;
    std::vector<std::pair<std::array<char, kKeyBytes>, int64_t>> m_load; // a restore's counts
    Namespace m_loadedNamespace{UINT8_MAX, INT64_MIN};
};

class RocksDbCountState final : public CountState {
public:
    RocksDbCountState(RocksDbTaskState &owner, CountStateId id) : m_owner(owner), m_id(id) {}

    void add(int64_t ns, uint64_t key, int64_t delta) override { m_owner.add(m_id, ns, key, delta); }
    int64_t get(int64_t ns, uint64_t key) const override { return m_owner.get(m_id, ns, key); }
    void forEach(int64_t ns, const Visit &visit) const override { m_owner.forEach(m_id, ns, visit); }
    void drop(int64_t ns) override { m_owner.drop(m_id, ns); }

private:
    RocksDbTaskState &m_owner;
    CountStateId m_id;
};

std::unique_ptr<CountState> RocksDbTaskState::countState(CountStateId id)
{
    return std::make_unique<RocksDbCountState>(*this, id);
}

} // namespace

Result<std::unique_ptr<TaskState>> openRocksDbTaskState(const StateConfig &config, const std::string &workDir,
                                                        int task, int parallelism)
{
    const std::filesystem::path path = std::filesystem::path(workDir) / ("task-" + std::to_string(task));
    std::error_code ec;
    std::filesystem::remove_all(path, ec); // a working copy of an earlier job: never reused
    std::filesystem::create_directories(path, ec);
    if (ec)
        return Status::ioError("state.dir: cannot create " + path.string() + ": " + ec.message());

    rocksdb::Options options;
    options.create_if_missing = true;
    options.error_if_exists = true;
    options.merge_operator = std::make_shared<AddInt64>();
    options.write_buffer_size = static_cast<size_t>(config.rocksdbWriteBufferMb) << 20;
    options.max_write_buffer_number = 3;
    options.level_compaction_dynamic_level_bytes = true;
    options.max_background_jobs = 2;
    const auto supported = rocksdb::GetSupportedCompressions();
    if (std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end())
        options.compression = rocksdb::kLZ4Compression;
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = rocksdb::NewLRUCache(static_cast<size_t>(config.rocksdbBlockCacheMb) << 20);
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

    rocksdb::DB *raw = nullptr;
    const rocksdb::Status s = rocksdb::DB::Open(options, path.string(), &raw);
    if (!s.ok())
        return Status::ioError("state.dir: cannot open RocksDB at " + path.string() + ": " + s.ToString());
    std::vector<int> groups;
    for (int g = 0; g < kMaxParallelism; ++g)
        if (taskForKeyGroup(g, parallelism) == task)
            groups.push_back(g);
    std::shared_ptr<rocksdb::DB> db(raw, [](rocksdb::DB *d) {
        d->Close();
        delete d;
    });
    return std::unique_ptr<TaskState>(std::make_unique<RocksDbTaskState>(
        std::move(db), options, path.string(), std::move(groups), static_cast<size_t>(config.rocksdbCacheEntries)));
}

} // namespace tally
