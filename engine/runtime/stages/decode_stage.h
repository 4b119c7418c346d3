// A decode stage turns one decoder's share of the serialized batches into events on its own
// thread (the costliest per-record step, so there are runtime.decode_threads of them); records
// that fail go to the output stage as dead letters with their reason.
#pragma once

#include "runtime/stages/stage_context.h"

namespace tally {

class DecodeStage {
public:
    DecodeStage(StageContext &context, size_t index) : m_context(context), m_index(index) {}
    void run();

private:
    StageContext &m_context;
    const size_t m_index;
};

} // namespace tally
