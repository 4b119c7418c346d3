// A job runner keeps the job of one configuration and replaces it when the operator rescales or
// restores: stop with a savepoint (the safety savepoint), then a new job continues in this process
// from it at another parallelism (rescale), or from a checkpoint or savepoint the operator chose
// (restore). A replacement checks first what it can (parallelism, folders, the chosen file) and
// leaves the running job alone when that fails; if the new job cannot be built or started, the
// runner continues as before from the safety savepoint, and when even that fails the stopped job
// stays, its state in that savepoint. The current job is never missing.
#pragma once

#include "runtime/job_config.h"
#include "metrics/metrics.h"
#include "runtime/job.h"
#include "runtime/job_builder.h"
#include "time/clock.h"
#include "util/status.h"

#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace tally {

struct ReplaceOutcome {
    Status status;         // ok: the new job runs
    std::string savepoint; // the safety savepoint the old job stopped with ("" if none was taken)
    std::string from;      // the file the running job continued from ("" if none started)
    int parallelism = 0;   // the running (or stopped) job's parallelism afterwards
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
    // True while rescale() or restore() runs (the current job may be stopped in between).
    bool replacing() const;

    // Both block until done: call them off any thread that must stay responsive.
    ReplaceOutcome rescale(int parallelism);
    // Continues from `path` (a checkpoint or savepoint) at the current parallelism. The results
    // since that point are counted again (the sink's rows are upserts, so they end as they were).
    ReplaceOutcome restore(const std::string &path);

private:
    // Stops the current job with a safety savepoint and starts one from `from` (the safety
    // savepoint when empty) with the configuration `prepare` makes of the current one, once it
    // has checked what it can (a failure leaves the job running); `what` names the replacement
    // in messages ("rescale to 4").
    ReplaceOutcome replaceJob(const std::function<Status(JobConfig &)> &prepare, const std::string &from,
                              const std::string &what);
    // Builds and starts a job of `config` restored from `savepoint`; on success it becomes current.
    Status replace(const JobConfig &config, const std::string &savepoint);

    MetricsRegistry &m_metrics;
    const Clock &m_clock;
    mutable std::mutex m_mutex; // guards the members below
    JobConfig m_config;
    std::shared_ptr<Job> m_job;
    JobDescription m_description;
    bool m_replacing = false;
};

} // namespace tally
