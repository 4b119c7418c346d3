// The heap backend: per namespace one hash map key -> count. The fastest backend; state is bounded
// by memory. Checkpoints are incremental: each count carries the generation (checkpoint interval)
// it last changed in, and the first change in a generation lists it (a namespace created in the
// generation lists nothing: it is copied whole), so a checkpoint copies only what changed since
// the previous one; whole copies are taken only when asked for.
#pragma once

#include "state/count_state.h"

#include <memory>

namespace tally {

std::unique_ptr<TaskState> makeHeapTaskState();

} // namespace tally
