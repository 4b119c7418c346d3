// The job builder makes a Job from its configuration alone: the source config.source names (the
// generator, or a Kafka consumer whose malformed records also go to its dead-letter topic), the
// sink config.output names, and an optional savepoint or checkpoint to continue from. The app,
// the benchmarks and the tests all build jobs here; a test or benchmark may hand in its own
// source or sink instead.
#pragma once

#include "runtime/job_config.h"
#include "metrics/metrics.h"
#include "runtime/job.h"
#include "time/clock.h"
#include "util/status.h"

#include <memory>
#include <string>

namespace tally {

struct JobParts {
    std::unique_ptr<Source> source;   // null: the one config.source describes
    std::unique_ptr<OutputSink> sink; // null: the one config.output describes (type none: no sink)
    std::string restoreFrom;          // a savepoint or checkpoint file to continue from; "" = none
};

// What a built job reads from and writes to, for the console.
struct JobDescription {
    std::string sourceDescription; // "generator", "kafka 127.0.0.1:9092/likes", "custom"
    std::string sinkDescription;   // "sqlite tally.db (exactly_once)", "no output", "custom"
    bool kafka = false;            // the source is a Kafka consumer
    bool divertConfigured = false; // the sink can divert to output.divert_path
};

struct BuiltJob {
    std::unique_ptr<Job> job;
    JobDescription description;
};

// What must hold before a job with `config` is built: the configuration is valid and the folders
// it will write (state.dir for RocksDB, checkpoint.dir with checkpoints) take files. A rescale
// checks this before it stops the running job.
Status checkJobCanStart(const JobConfig &config);

// Whether a job with `config` can continue from the checkpoint or savepoint at `path`: the file
// (and, for an incremental checkpoint, its chain) reads back whole and was taken with a
// configuration whose results this one shares (its fingerprint). Reads the whole file. (The
// consoles' Restore checks before, with checkPositionsRetained too.)
Status checkRestorePoint(const JobConfig &config, const std::string &path);
// Whether the topic still holds every one of the positions (next offset per partition) of the
// restore point at `path`: refused, with the records gone per partition, where retention deleted
// them; unavailable (no pass) when the broker cannot tell.
Status checkPositionsRetained(const KafkaSourceConfig &kafka, const std::string &path, const std::vector<int64_t> &positions);

// Builds (does not start) the job. `metrics` and `clock` must outlive it.
Result<BuiltJob> buildJob(const JobConfig &config, MetricsRegistry &metrics, const Clock &clock, JobParts parts = {});

} // namespace tally
