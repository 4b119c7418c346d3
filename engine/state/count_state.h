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
#include <utility>
#include <vector>

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
struct CountExport {
    size_t counts = 0; // how many `visit` visits, for the reader to make room (0: unknown)
    std::function<void(const CountVisit &)> visit;
};
// What changed since the previous export of changes: the namespaces dropped (visited first),
// then the counts whose value was set, with their value at the barrier.
using DropVisit = std::function<void(uint8_t structure, int64_t ns)>;
struct ChangesExport {
    size_t counts = 0; // set counts `visit` visits
    std::function<void(const DropVisit &, const CountVisit &)> visit;
};

// A task's state as the files of its database (the rocksdb backend's checkpoints): its SST files,
// immutable, so every checkpoint that needs one shares it, and its small private files
// (MANIFEST, CURRENT, OPTIONS), whose bytes each checkpoint holds.
struct StateFile {
    std::string localName;  // in the task's database folder, e.g. 000042.sst
    std::string sharedName; // the same file in a checkpoint folder: unique across databases
    std::string path;       // where it is now: a barrier's staging links, or a checkpoint folder
    uint64_t bytes = 0;
};

struct TaskFiles {
    int task = 0;
    std::vector<StateFile> tables;
    std::vector<std::pair<std::string, std::string>> privateFiles; // name, bytes
    // What the task's write-back cache holds beyond the tables, in parts of changes (the
    // namespaces dropped, then the counts set to their cached value). Exported: one part, the
    // changes since the barrier before, or with `cacheSinceTables` everything the cache holds
    // beyond the tables (the cache was written since: the part starts a chain). Restored: the
    // task's chain of parts, the one since the tables first.
    std::vector<ChangesExport> cache;
    bool cacheSinceTables = true;
    // The barrier's staging folder of links (exportFiles), removed when the last copy of this is
    // gone: once the files are published, or when the checkpoint failed before.
    std::shared_ptr<const std::string> stagingDir;
};

class TaskState {
public:
    virtual ~TaskState() = default;
    virtual std::unique_ptr<CountState> countState(CountStateId id) = 0;
    // Fixes the counts as they are now (between batches) and returns a function that visits
    // them. The function may run on another thread while the task goes on updating: the heap
    // shares its tables with it here (copy-on-write: a pointer per namespace), RocksDB takes a
    // database snapshot here; both are read when the function runs (asynchronously).
    virtual CountExport exportCounts() = 0;
    // Incremental checkpoints: can the backend tell which counts changed? If not, each of its
    // checkpoints is whole.
    virtual bool canTrackChanges() const { return false; }
    // Where it can: starts tracking changes, with the counts as they are now as the base.
    virtual void trackChanges() {}
    // After trackChanges(): the changes since the previous call (or trackChanges()), fixed now,
    // between batches. Costs what changed, not what is held.
    virtual ChangesExport exportChanges() { return {}; }
    // Incremental checkpoints of a backend whose state is immutable files (RocksDB): fixes the
    // state as it is now (between batches) as links to its files in a staging folder beside the
    // database, plus the cache's part (TaskFiles::cache). Costs what changed since the barrier
    // before, plus a link per file; `writeCacheFirst` writes the cache into the files first (the
    // part is then empty and starts a chain), which costs what the cache holds.
    virtual bool canExportFiles() const { return false; }
    virtual Result<TaskFiles> exportFiles(bool /*writeCacheFirst*/) { return Status::internal("this state backend has no files"); }
    // Every (structure, namespace) that holds counts: what a restore from files tells the windows.
    virtual void forEachNamespace(const std::function<void(uint8_t structure, int64_t ns)> & /*visit*/) const {}
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
// Opens task `task`'s state from the files of a checkpoint taken at the same parallelism (the
// rocksdb backend): they are linked into its folder and opened as they are, nothing replayed.
Result<std::unique_ptr<TaskState>> openTaskStateFromFiles(const StateConfig &config, const std::string &workDir,
                                                          const TaskFiles &files);
// Visits every count of a task's files (for a restore at another parallelism or backend, or a
// savepoint): they are linked into scratchDir and read there.
Status scanTaskFiles(const TaskFiles &files, const std::string &scratchDir, const CountVisit &visit);

} // namespace tally
