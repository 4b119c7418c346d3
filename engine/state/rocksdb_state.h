// The RocksDB backend: one embedded RocksDB per window task, so state is bounded by disk instead of
// memory. A count's key is structure (1 byte) + namespace (8, big-endian, sign flipped) + key (8,
// big-endian): firing a window is one range scan, dropping it one range deletion. Counts are 8-byte
// little-endian integers updated with a merge operator (a blind add, no read per update). Which
// task a key belongs to is not in the key: each task's database holds only its own key groups, and
// a rescale routes every count by its key group as it restores.
//
// Defaults, and why (state.* in resources/tally.toml):
// - no write-ahead log: checkpoints are the durability, as in Flink; a crash restores from one
// - a write-back cache of state.rocksdb_cache_kb per task combines updates per key in memory; when
//   full it is written as one sorted SST file and ingested (values for namespaces RocksDB does not
//   hold yet, merges for the others): counts never pass through the memtable, whose skip-list
//   inserts cost more than the rest of a write together
// - block cache state.rocksdb_block_cache_mb per task, bloom filters (10 bits/key) for point reads
// - level compaction with dynamic level sizes; LZ4 where the library has it (fast enough not to
//   show in the update path)
// - checkpoints are of files: with the memtable always empty, the database is its SST files, and
//   RocksDB's checkpoint links them (exportFiles); the cache is not written for a checkpoint (it
//   would no longer combine a hot key's updates over more than one interval): what it holds
//   beyond the files goes with them as its changes since the checkpoint before (state/count_tables.h
//   tracks them), a chain that starts again whenever the cache is written. A restore at the same
//   parallelism opens the linked files as they are and replays the cache's chain.
// - any other restore writes the task's counts as one sorted SST file of values and ingests it
#pragma once

#include "state/count_state.h"

namespace tally {

Result<std::unique_ptr<TaskState>> openRocksDbTaskState(const StateConfig &config, const std::string &workDir, int task);
Result<std::unique_ptr<TaskState>> openRocksDbTaskStateFromFiles(const StateConfig &config, const std::string &workDir,
                                                                 const TaskFiles &files);
Status scanRocksDbFiles(const TaskFiles &files, const std::string &scratchDir, const CountVisit &visit);

} // namespace tally
