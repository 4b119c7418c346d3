// The RocksDB backend: one embedded RocksDB per window task, so state is bounded by disk instead of
// memory. A count's key is key group (1 byte) + structure (1) + namespace (8, big-endian, sign
// flipped) + key (8, big-endian): the key-group prefix lets a task scan exactly the groups it owns,
// and the namespace before the key makes firing a window one range scan per key group. Counts are
// 8-byte little-endian integers updated with a merge operator (a blind add, no read per update).
//
// Defaults, and why (state.* in resources/tally.toml):
// - no write-ahead log: checkpoints are the durability, as in Flink; a crash restores from one
// - a write-back cache of state.rocksdb_cache_entries counts combines updates per key in memory
//   and writes them as one sorted batch of merges when full
// - block cache state.rocksdb_block_cache_mb per task, bloom filters (10 bits/key) for point reads
// - memtable state.rocksdb_write_buffer_mb, up to 3; level compaction with dynamic level sizes;
//   LZ4 where the library has it (fast enough not to show in the update path)
// - a restore writes the task's counts as one sorted SST file and ingests it (no merges)
#pragma once

#include "state/count_state.h"

namespace tally {

Result<std::unique_ptr<TaskState>> openRocksDbTaskState(const StateConfig &config, const std::string &workDir,
                                                        int task, int parallelism);

} // namespace tally
