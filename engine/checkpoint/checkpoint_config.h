// How the job takes checkpoints and where it writes them and its savepoints ([checkpoint]).
#pragma once

#include <cstdint>
#include <string>

namespace tally {

// Epochs: the ingest stage closes one every interval and the output stage commits it once every
// task has passed it (exactly-once sinks write an epoch's rows in one transaction then).
struct CheckpointConfig {
    int64_t intervalMs = 1000;              // >= 10
    std::string savepointDir = "savepoints"; // where savepoints are written
    bool enabled = false;                   // take a checkpoint at every epoch barrier
    std::string dir = "checkpoints";        // where checkpoints are written
    int retained = 3;                       // newest checkpoints kept, >= 1
    int64_t minPauseMs = 0;                 // from the end of one checkpoint to the start of the next
    int64_t timeoutMs = 600000;             // a checkpoint taking longer fails
    int tolerableFailures = 3;              // consecutive failed checkpoints before the job stops
    bool incremental = true;                // checkpoints store what changed, where the state backend can tell
    int fullEvery = 50;                     // at most this many incremental checkpoints on one full one, 1..10000
};

} // namespace tally
