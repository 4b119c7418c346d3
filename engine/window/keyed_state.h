// KeyedStateSnapshot is the window state of one or more tasks in a form that does not depend on
// the parallelism or the state backend: records (structure, key, namespace, value) grouped by key
// group. A task restores the key groups it owns at any parallelism, which is what makes a
// savepoint portable and a rescale a restore (DESIGN.md "State, checkpoints, savepoints").
// Snapshots are taken between batches, when no re-fire is pending: the rest of a task's state
// (fired windows' local top-K, sliding sums and candidates) is derived again on restore.
#pragma once

#include "state/count_state.h"
#include "state/key_groups.h"
#include "util/status.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tally {

// Which piece of window state a record belongs to.
enum class StateStructure : uint8_t {
    LikesPerPost = 0, // tumbling counts: namespace = window start
    Trending = 1,     // tumbling counts: namespace = window start
    VelocityPane = 2, // sliding panes: namespace = pane start
    SpamPane = 3,     // sliding panes: namespace = pane start
    SpamBaseline = 4, // baseline buckets: namespace = bucket start
    Region = 16       // Region + i: tumbling counts of likes_by_region window i
};
// How many likes_by_region windows a job may have: the structure byte of their state is Region + i.
constexpr size_t kMaxRegionWindows = 16;

struct KeyedStateRecord {
    uint8_t structure = 0;
    uint8_t flags = 0;  // tumbling: kWindowFired when the window had fired
    uint64_t key = 0;
    int64_t ns = 0;
    int64_t value = 0;
    static constexpr uint8_t kWindowFired = 1;
    friend bool operator==(const KeyedStateRecord &, const KeyedStateRecord &) = default;
};

struct KeyedStateSnapshot {
    int64_t watermark = 0; // every task's watermark at the snapshot (they move together)
    // Sliding counters that had started sliding (their sums describe a fired window), by
    // structure: VelocityPane, SpamPane.
    bool velocitySliding = false;
    bool spamSliding = false;
    std::array<std::vector<KeyedStateRecord>, kMaxParallelism> keyGroups;

    size_t recordCount() const;
    // Sorts each key group's records (structure, key, namespace): the canonical order, so equal
    // state gives equal bytes.
    void canonicalize();
    // Merges another snapshot of the same instant (another task's key groups).
    void merge(KeyedStateSnapshot &&other);
};

// A (structure, namespace) pair: one window, pane or bucket of one piece of state.
struct NamespaceRef {
    uint8_t structure = 0;
    int64_t ns = 0;
    auto operator<=>(const NamespaceRef &) const = default;
};

// The keyed state of one or more tasks at a barrier, as the tasks hand it over: either all of it
// (`complete`), or what changed since the previous checkpoint's barrier: the namespaces dropped
// since, then the records whose count was set (a value replaces the older one). An incremental
// checkpoint stores the changes and names the checkpoints they apply to (checkpoint_store.h).
struct KeyedStateChanges {
    bool complete = false;
    KeyedStateSnapshot records;        // watermark and sliding flags are always whole
    // Sorted, unique (canonicalize). Not per key group: every task drops a namespace (and fires a
    // window) as a function of the watermark, which all tasks share at a barrier.
    std::vector<NamespaceRef> dropped;
    // Every tumbling window that had fired at the barrier: an incremental record's flags are not
    // kept, a window can fire without its counts changing.
    std::vector<NamespaceRef> fired;
    // Instead of records: each task's state as the files of its database (rocksdb backend), by
    // task; the watermark, sliding flags and `fired` still apply.
    std::vector<TaskFiles> files;
    std::string failure; // a task could not hand over its state: the checkpoint fails

    // Another task's changes of the same barrier.
    void merge(KeyedStateChanges &&other);
    // Sorts everything (records as KeyedStateSnapshot::canonicalize, one per count): equal
    // changes give equal bytes. Checkpoints skip the records' sort (sortNamespaces only); the
    // restore sorts them.
    void canonicalize();
    void sortNamespaces();
};

// Applies changes to the state of the barrier before them (both canonical: decoded changes are),
// leaving `state`
// canonical with every record's fired flag taken from `changes.fired`.
void applyChanges(KeyedStateSnapshot &state, KeyedStateChanges &&changes);

// The byte format of incremental changes: "TALLYKC1", u32 version, i64 watermark, u8 flags,
// u32 count + (u8 structure, i64 namespace) dropped, the same for fired, then the 128 key groups
// as in the keyed-state format, and a u32 CRC-32C.
std::string encodeKeyedStateChanges(const KeyedStateChanges &changes);
// The same, appended to `out` in place (a section of a checkpoint file: no copy of its records).
void appendKeyedStateChanges(std::string &out, const KeyedStateChanges &changes);
// Returns the changes canonical (records sorted); refuses a count listed twice.
Result<KeyedStateChanges> decodeKeyedStateChanges(std::string_view bytes);

// The portable byte format (little-endian): "TALLYKS1", u32 format version, i64 watermark,
// u8 flags (1: velocity sliding, 2: spam sliding), then for each of the 128 key groups a u32
// record count and a section (u32 length + bytes) of its records, compact: per record a head
// byte (structure, fired flag, "same namespace as the record before"), then varints of the
// namespace's difference to the record before, the key, and the value (keyed_state.cpp); last a
// u32 CRC-32C of everything before it. Version 1 (records of a fixed 26 bytes: u8 structure,
// u8 flags, u64 key, i64 namespace, i64 value, no section) is still read. Canonicalize first
// for byte-identical output.
std::string encodeKeyedState(const KeyedStateSnapshot &snapshot);
// The same, appended to `out` in place (a section of a savepoint file: no copy of its records).
void appendKeyedState(std::string &out, const KeyedStateSnapshot &snapshot);
// Fails with Corruption (wrong magic, version, length or checksum) naming what is wrong.
Result<KeyedStateSnapshot> decodeKeyedState(std::string_view bytes);

} // namespace tally
