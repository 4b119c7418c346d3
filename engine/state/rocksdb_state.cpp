#include "state/rocksdb_state.h"

#include "runtime/key_groups.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

namespace tally {
namespace {

constexpr size_t kKeyBytes = 18;
constexpr size_t kPrefixBytes = 10; // key group, structure, namespace
constexpr size_t kMaxPendingOps = 16384;

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

class RocksDbTaskState;

class RocksDbCountState final : public CountState {
public:
    RocksDbCountState(RocksDbTaskState &owner, CountStateId id) : m_owner(owner), m_id(id) {}

    void add(int64_t ns, uint64_t key, int64_t delta) override;
    int64_t get(int64_t ns, uint64_t key) const override;
    void forEach(int64_t ns, const Visit &visit) const override;
    size_t size(int64_t ns) const override;
    void drop(int64_t ns) override;

private:
    int keyGroup(uint64_t key) const { return keyGroupOf(key, m_id.keyGroupSalt); }

    RocksDbTaskState &m_owner;
    CountStateId m_id;
};

class RocksDbTaskState final : public TaskState {
public:
    RocksDbTaskState(std::unique_ptr<rocksdb::DB> db, std::vector<int> keyGroups)
        : m_db(std::move(db)), m_keyGroups(std::move(keyGroups))
    {
        m_write.disableWAL = true;
    }

    ~RocksDbTaskState() override
    {
        flush();
        m_db->Close();
    }

    std::unique_ptr<CountState> countState(CountStateId id) override
    {
        return std::make_unique<RocksDbCountState>(*this, id);
    }

    size_t entries() const override
    {
        uint64_t n = 0;
        m_db->GetIntProperty(rocksdb::DB::Properties::kEstimateNumKeys, &n);
        return static_cast<size_t>(n);
    }

    rocksdb::WriteBatch &pending() { return m_pending; }
    void pendingAdded()
    {
        if (m_pending.Count() >= kMaxPendingOps)
            flush();
    }

    // Reads must see every update: they write the pending batch first.
    rocksdb::DB &readable() const
    {
        flush();
        return *m_db;
    }

    const std::vector<int> &keyGroups() const { return m_keyGroups; }

private:
    void flush() const
    {
        if (m_pending.Count() == 0)
            return;
        const rocksdb::Status s = m_db->Write(m_write, &m_pending);
        if (!s.ok()) {
            // The disk under the working copy failed: the state is no longer trustworthy, and the
            // job restarts from its last checkpoint.
            fprintf(stderr, "tally: RocksDB state write failed: %s\n", s.ToString().c_str());
            std::abort();
        }
        m_pending.Clear();
    }

    std::unique_ptr<rocksdb::DB> m_db;
    std::vector<int> m_keyGroups; // owned by this task, ascending
    rocksdb::WriteOptions m_write;
    mutable rocksdb::WriteBatch m_pending;
};

void RocksDbCountState::add(int64_t ns, uint64_t key, int64_t delta)
{
    const StateKey k(keyGroup(key), m_id.structure, ns, key);
    m_owner.pending().Merge(k.slice(), encodeCount(delta));
    m_owner.pendingAdded();
}

int64_t RocksDbCountState::get(int64_t ns, uint64_t key) const
{
    const StateKey k(keyGroup(key), m_id.structure, ns, key);
    std::string value;
    const rocksdb::Status s = m_owner.readable().Get(rocksdb::ReadOptions(), k.slice(), &value);
    return s.ok() ? decodeCount(value) : 0;
}

void RocksDbCountState::forEach(int64_t ns, const Visit &visit) const
{
    rocksdb::DB &db = m_owner.readable();
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
    for (int group : m_owner.keyGroups()) {
        const StateKey first(group, m_id.structure, ns, 0);
        for (it->Seek(first.slice()); it->Valid() && it->key().starts_with(first.prefix()); it->Next())
            visit(getBigEndian(it->key().data() + kPrefixBytes), decodeCount(it->value()));
    }
}

size_t RocksDbCountState::size(int64_t ns) const
{
    size_t n = 0;
    forEach(ns, [&](uint64_t, int64_t) { ++n; });
    return n;
}

void RocksDbCountState::drop(int64_t ns)
{
    for (int group : m_owner.keyGroups()) {
        const StateKey from(group, m_id.structure, ns, 0);
        const StateKey to(group, m_id.structure, ns + 1, 0);
        m_owner.pending().DeleteRange(from.slice(), to.slice());
    }
    m_owner.pendingAdded();
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
    return std::unique_ptr<TaskState>(std::make_unique<RocksDbTaskState>(std::unique_ptr<rocksdb::DB>(raw), std::move(groups)));
}

} // namespace tally
