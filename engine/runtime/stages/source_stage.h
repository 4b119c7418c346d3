// The source stage polls the source on its own thread and deals the batches out to the decoders
// in turn; between batches it executes the control channel's source commands and publishes the
// positions the job asks it to (the source is not thread-safe, so only this thread touches it).
#pragma once

#include "runtime/stages/stage_context.h"

namespace tally {

class SourceStage {
public:
    explicit SourceStage(StageContext &context) : m_context(context) {}
    void run();

private:
    void serveControl();

    StageContext &m_context;
};

} // namespace tally
