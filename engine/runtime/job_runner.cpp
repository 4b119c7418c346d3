#include "runtime/job_runner.h"

#include "state/key_groups.h"
#include "util/folders.h"

namespace tally {

JobRunner::JobRunner(JobConfig config, MetricsRegistry &metrics, const Clock &clock)
    : m_metrics(metrics), m_clock(clock), m_config(std::move(config))
{
}

Status JobRunner::open(const std::string &restoreFrom)
{
    const JobConfig config = this->config();
    JobParts parts;
    parts.restoreFrom = restoreFrom;
    Result<BuiltJob> built = buildJob(config, m_metrics, m_clock, std::move(parts));
    if (!built)
        return built.status();
    std::lock_guard lock(m_mutex);
    m_job = std::move(built->job);
    m_description = std::move(built->description);
    return Status::ok();
}

Status JobRunner::start() { return job()->start(); }

void JobRunner::requestStop()
{
    if (std::shared_ptr<Job> j = job())
        j->requestStop();
}

std::shared_ptr<Job> JobRunner::job() const
{
    std::lock_guard lock(m_mutex);
    return m_job;
}

JobConfig JobRunner::config() const
{
    std::lock_guard lock(m_mutex);
    return m_config;
}

JobDescription JobRunner::description() const
{
    std::lock_guard lock(m_mutex);
    return m_description;
}

bool JobRunner::rescaling() const
{
    std::lock_guard lock(m_mutex);
    return m_rescaling;
}

Status JobRunner::replace(const JobConfig &config, const std::string &savepoint)
{
    JobParts parts;
    parts.restoreFrom = savepoint;
    Result<BuiltJob> built = buildJob(config, m_metrics, m_clock, std::move(parts));
    if (!built)
        return built.status();
    if (Status s = built->job->start(); !s.isOk())
        return s;
    std::lock_guard lock(m_mutex);
    m_job = std::move(built->job);
    m_config = config;
    m_description = std::move(built->description);
    return Status::ok();
}

RescaleOutcome JobRunner::rescale(int parallelism)
{
    RescaleOutcome outcome;
    const JobConfig old = config();
    outcome.parallelism = old.runtime.parallelism;
    if (parallelism < 1 || parallelism > kMaxParallelism) {
        outcome.status = Status::invalidArgument("parallelism must be between 1 and " + std::to_string(kMaxParallelism) +
                                                 " (got " + std::to_string(parallelism) + ")");
        return outcome;
    }
    {
        std::lock_guard lock(m_mutex);
        if (m_rescaling) {
            outcome.status = Status::aborted("a rescale is already running");
            return outcome;
        }
        m_rescaling = true;
    }
    struct Done {
        JobRunner &runner;
        ~Done()
        {
            std::lock_guard lock(runner.m_mutex);
            runner.m_rescaling = false;
        }
    } done{*this};

    JobConfig target = old;
    target.runtime.parallelism = parallelism;
    // What can be checked before the running job is touched.
    Status ready = checkJobCanStart(target);
    if (ready.isOk())
        ready = checkWritableFolder(old.checkpoint.savepointDir, "checkpoint.savepoint_dir");
    if (!ready.isOk()) {
        outcome.status = Status::unavailable("cannot rescale to " + std::to_string(parallelism) + ": " + ready.message() +
                                             "; the job runs on at parallelism " + std::to_string(old.runtime.parallelism));
        return outcome;
    }
    std::shared_ptr<Job> current = job();
    Result<std::string> savepoint = current->savepoint(true).get();
    (void)current->waitFinished(); // stopped at the savepoint's barrier: its sink wrote everything
    current->releaseConnections();
    if (!savepoint) {
        outcome.status = Status::aborted("the savepoint for the rescale failed: " + savepoint.status().message() +
                                         "; the job has stopped");
        return outcome;
    }
    outcome.savepoint = *savepoint;
    const Status rescaled = replace(target, *savepoint);
    if (rescaled.isOk()) {
        outcome.parallelism = parallelism;
        return outcome;
    }
    const Status resumed = replace(old, *savepoint);
    outcome.status = Status::aborted(
        "the job at parallelism " + std::to_string(parallelism) + " did not start: " + rescaled.message() +
        (resumed.isOk() ? "; continuing at parallelism " + std::to_string(old.runtime.parallelism) + " from " + *savepoint
                        : "; continuing at the old parallelism failed too (" + resumed.message() +
                              "); the job is stopped, its state is in " + *savepoint));
    return outcome;
}

} // namespace tally
