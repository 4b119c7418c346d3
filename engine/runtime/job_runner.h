// A job runner keeps the job of one configuration and replaces it when the operator rescales:
// stop with a savepoint, then a job at the new parallelism continues from it in this process.
// A rescale checks first what it can (parallelism, folders) and leaves the running job alone when
// that fails; if the new job cannot be built or started, the runner continues at the old
// parallelism from the same savepoint, and when even that fails the stopped job stays, its state
// in the savepoint. The current job is never missing.
#pragma once

#include "runtime/job_config.h"
#include "metrics/metrics.h"
#include "runtime/job.h"
#include "runtime/job_builder.h"
#include "time/clock.h"
#include "util/status.h"

#include <memory>
#include <mutex>
#include <string>

namespace tally {

struct RescaleOutcome {
    Status status;                  // ok: the job runs at the new parallelism
    std::string savepoint;          // the savepoint the rescale went through ("" if none was taken)
    int parallelism = 0;            // the running (or stopped) job's parallelism afterwards
};

// Thread-safe. `metrics` and `clock` must outlive the runner.
class JobRunner {
public:
    JobRunner(JobConfig config, MetricsRegistry &metrics, const Clock &clock);

    // Builds the first job (continuing from `restoreFrom` if given); before start().
    Status open(const std::string &restoreFrom = {});
    Status start();
    void requestStop();

    // The current job; shared with callers so a reader keeps the job it sampled even while a
    // rescale replaces it. Null only before open() succeeded.
    std::shared_ptr<Job> job() const;
    JobConfig config() const;
    JobDescription description() const; // the current job's
    // True while rescale() runs (the current job may be stopped in between).
    bool rescaling() const;

    // Blocks until done: call it off any thread that must stay responsive.
    RescaleOutcome rescale(int parallelism);

private:
    // Builds and starts a job of `config` restored from `savepoint`; on success it becomes current.
    Status replace(const JobConfig &config, const std::string &savepoint);

    MetricsRegistry &m_metrics;
    const Clock &m_clock;
    mutable std::mutex m_mutex; // guards the members below
    JobConfig m_config;
    std::shared_ptr<Job> m_job;
    JobDescription m_description;
    bool m_rescaling = false;
};

} // namespace tally
