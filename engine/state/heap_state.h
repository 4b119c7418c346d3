// The heap backend: per namespace one hash map key -> count (state/count_tables.h). The fastest
// backend; state is bounded by memory. Checkpoints are incremental: a checkpoint copies only what
// changed since the previous one (CountTables tracks it); a whole snapshot copies nothing at the
// barrier (the tables are shared with it, copy-on-write).
#pragma once

#include "state/count_state.h"

#include <memory>

namespace tally {

std::unique_ptr<TaskState> makeHeapTaskState();

} // namespace tally
