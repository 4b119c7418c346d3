// A window task owns a contiguous range of key groups on its own thread: it applies the ingest
// stage's pre-aggregated records to its keyed state, fires the windows the watermark closes, and
// at a snapshot barrier hands the checkpoint coordinator its part of the state (through the output
// stage, after every row of the epochs before the barrier).
#pragma once

#include "runtime/stages/stage_context.h"

namespace tally {

class WindowTask {
public:
    WindowTask(StageContext &context, int index) : m_context(context), m_index(index) {}
    void run();

private:
    StageContext &m_context;
    const int m_index;
};

} // namespace tally
