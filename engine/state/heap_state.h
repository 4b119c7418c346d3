// The heap backend: per namespace one hash map key -> count. The fastest backend; state is bounded
// by memory and checkpointed by copying it at the barrier.
#pragma once

#include "state/count_state.h"

#include <memory>

namespace tally {

std::unique_ptr<TaskState> makeHeapTaskState();

} // namespace tally
