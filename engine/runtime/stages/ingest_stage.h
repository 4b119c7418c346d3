// The ingest stage sequences the decoded batches in poll order on its own thread: it advances
// the watermarks, classifies late events, pre-aggregates per key (Ingest), opens epochs at
// checkpoint.interval_ms and puts their barriers into every task queue at the same point of the
// stream, asking the checkpoint coordinator which barrier takes a checkpoint or a savepoint.
#pragma once

#include "runtime/stages/stage_context.h"

namespace tally {

class IngestStage {
public:
    explicit IngestStage(StageContext &context) : m_context(context) {}
    void run();

private:
    void publishMetrics(Ingest &ingest);

    StageContext &m_context;
};

} // namespace tally
