// The heap backend: per namespace one hash map key -> count (state/count_tables.h). The fastest
// backend; state is bounded by memory. Checkpoints are incremental: a checkpoint copies only what
// changed since the previous one (CountTables tracks it); whole copies are taken only when asked
// for.
#pragma once

#include "state/count_state.h"

#include <memory>

namespace tally {

std::unique_ptr<TaskState> makeHeapTaskState();

} // namespace tally
