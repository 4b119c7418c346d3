// CountState is the keyed state of the counting aggregations, behind one interface with two
// backends (DESIGN.md "State, checkpoints, savepoints"): for one piece of state (likes_per_post
// windows, velocity panes, spam baseline buckets, ...) a count per (namespace, key), where the
// namespace is a window, pane or bucket start. The counters keep only per-namespace bookkeeping
// (fired flags, pending re-fires) and derived sums themselves; every count lives here.
//
// TaskState is one task's state backend: it makes the task's CountStates and owns what they share
// (for RocksDB, the task's database instance). Not thread-safe: owned by one task thread.
#pragma once

#include "util/status.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace tally {

// Where the window state lives: "heap" (hash maps, fastest, bounded by memory) or "rocksdb" (one
// embedded RocksDB per task under `dir`, bounded by disk; its defaults are explained in
// resources/tally.toml). Checkpoints and savepoints have the same format for both.
struct StateConfig {
    enum class Backend { Heap, RocksDb };
    Backend backend = Backend::Heap;
    std::string dir = "tally-state"; // RocksDB working copies, one folder per task
    int rocksdbBlockCacheMb = 64;     // per task, 1..65536
    int rocksdbCacheKb = 131072;      // per task: counts combined in memory before they are written
};

class CountState {
public:
    using Visit = std::function<void(uint64_t key, int64_t value)>;

    virtual ~CountState() = default;

    // Adds `delta` to the count of `key` in namespace `ns` (a missing count is 0). A count that
    // reaches 0 is kept: a window that saw a like and an unlike still reports its key.
    virtual void add(int64_t ns, uint64_t key, int64_t delta) = 0;
    virtual int64_t get(int64_t ns, uint64_t key) const = 0; // 0 when absent
    // Every (key, count) of a namespace, in no particular order.
    virtual void forEach(int64_t ns, const Visit &visit) const = 0;
    virtual void drop(int64_t ns) = 0;
    // Hints that add(ns, key, ...) comes soon, so its cache miss overlaps other work.
    virtual void prefetch(int64_t /*ns*/, uint64_t /*key*/) const {}
};

// What a CountState is for: its structure id (window/keyed_state.h StateStructure) and the salt
// that spreads its keys over key groups (window/aggregations.h keyGroupFor).
struct CountStateId {
    uint8_t structure = 0;
    uint64_t keyGroupSalt = 0;
};

// Every count of a task, for snapshots: (structure, namespace, key, count).
using CountVisit = std::function<void(uint8_t structure, int64_t ns, uint64_t key, int64_t value)>;
using CountExport = std::function<void(const CountVisit &)>;
// What changed since the previous export of changes: the namespaces dropped (visited first),
// then the counts whose value was set, with their value at the barrier.
using DropVisit = std::function<void(uint8_t structure, int64_t ns)>;
using ChangesExport = std::function<void(const DropVisit &, const CountVisit &)>;

class TaskState {
public:
    virtual ~TaskState() = default;
    virtual std::unique_ptr<CountState> countState(CountStateId id) = 0;
    // Fixes the counts as they are now (between batches) and returns a function that visits
    // them. The function may run on another thread while the task goes on updating: the heap
    // copies the counts here (the synchronous part), RocksDB only takes a database snapshot here
    // and reads it when the function runs (asynchronously).
    virtual CountExport exportCounts() = 0;
    // Incremental checkpoints: can the backend tell which counts changed? If not, each of its
    // checkpoints is whole.
    virtual bool canTrackChanges() const { return false; }
    // Where it can: starts tracking changes, with the counts as they are now as the base.
    virtual void trackChanges() {}
    // After trackChanges(): the changes since the previous call (or trackChanges()), fixed now,
    // between batches. Costs what changed, not what is held.
    virtual ChangesExport exportChanges() { return {}; }
    // A restore into a fresh task: the adds between beginLoad() and endLoad() are each a count of
    // its own ((structure, namespace, key) once), and nothing is read in between, so a backend
    // may load them in bulk (RocksDB: one sorted SST file, ingested). Reads after endLoad() see
    // them all.
    virtual void beginLoad() {}
    virtual void endLoad() {}
    // Entries held over all of the task's CountStates (exact for heap, an estimate for RocksDB).
    virtual size_t entries() const = 0;
};

// The working folder of one job's RocksDB state: state.dir/job-<pid>-<n>, removed with the job.
// Claiming one also removes the folders of processes that no longer run (left by a crash): the
// working copies are scratch, checkpoints are what survives.
class StateWorkDir {
public:
    explicit StateWorkDir(const StateConfig &config);
    ~StateWorkDir();
    StateWorkDir(const StateWorkDir &) = delete;
    StateWorkDir &operator=(const StateWorkDir &) = delete;
    const std::string &path() const { return m_path; }

private:
    std::string m_path;
};

// Opens task `task`'s state on the configured backend. RocksDB starts from an
// empty database in workDir/task-<task> (restores fill it from a checkpoint).
Result<std::unique_ptr<TaskState>> openTaskState(const StateConfig &config, const std::string &workDir, int task);

} // namespace tally
