// Builds the sink an OutputConfig (JobConfig::output) describes: a SinkWriter in front of a
// SqliteStore or a PostgresStore (null for type "none").
#pragma once

#include "metrics/metrics.h"
#include "sink/output_config.h"
#include "sink/sink_writer.h"

#include <memory>

namespace tally {

SinkWriterOptions sinkWriterOptions(const OutputConfig &config);

// Opens the database (creating or migrating its schema) and starts the writer thread. Fails with
// the store's message when the database cannot be opened or reached.
Result<std::unique_ptr<SinkWriter>> openSink(const OutputConfig &config, MetricsRegistry &metrics);

} // namespace tally
