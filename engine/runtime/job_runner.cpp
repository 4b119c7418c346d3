#include "runtime/job_runner.h"

#include "state/key_groups.h"
#include "util/folders.h"
#include "util/sync_point.h"

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

bool JobRunner::replacing() const
{
    std::lock_guard lock(m_mutex);
    return m_replacing;
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

ReplaceOutcome JobRunner::rescale(int parallelism)
{
    return replaceJob(
        [parallelism](JobConfig &target) {
            if (parallelism < 1 || parallelism > kMaxParallelism)
                return Status::invalidArgument("parallelism must be between 1 and " + std::to_string(kMaxParallelism) +
                                               " (got " + std::to_string(parallelism) + ")");
            target.runtime.parallelism = parallelism;
            return checkJobCanStart(target);
        },
        {}, "rescale to " + std::to_string(parallelism));
}

ReplaceOutcome JobRunner::restore(const std::string &path)
{
    return replaceJob(
        [&path](JobConfig &target) {
            Status ready = checkJobCanStart(target);
            return ready.isOk() ? checkRestorePoint(target, path) : ready;
        },
        path, "restore from " + path);
}

ReplaceOutcome JobRunner::replaceJob(const std::function<Status(JobConfig &)> &prepare, const std::string &from,
                                     const std::string &what)
{
    ReplaceOutcome outcome;
    {
        std::lock_guard lock(m_mutex);
        outcome.parallelism = m_config.runtime.parallelism;
        if (m_replacing) {
            outcome.status = Status::aborted("a rescale or restore is already running");
            return outcome;
        }
        m_replacing = true;
    }
    struct Done {
        JobRunner &runner;
        ~Done()
        {
            std::lock_guard lock(runner.m_mutex);
            runner.m_replacing = false;
        }
    } done{*this};

    const JobConfig old = config();
    JobConfig target = old;
    Status ready = prepare(target);
    if (ready.isOk())
        ready = checkWritableFolder(old.checkpoint.savepointDir, "checkpoint.savepoint_dir");
    if (!ready.isOk()) {
        outcome.status = Status::unavailable("cannot " + what + ": " + ready.message() + "; the job runs on at parallelism " +
                                             std::to_string(old.runtime.parallelism));
        return outcome;
    }
    std::shared_ptr<Job> current = job();
    Result<std::string> savepoint = current->savepoint(true).get();
    (void)current->waitFinished(); // stopped at the savepoint's barrier: its sink wrote everything
    current->releaseConnections();
    if (!savepoint) {
        outcome.status = Status::aborted("the savepoint before the " + what + " failed: " + savepoint.status().message() +
                                         "; the job has stopped");
        return outcome;
    }
    outcome.savepoint = *savepoint;
    SyncPoints::process("JobRunner::betweenJobs"); // the old job stopped, the new one not built yet
    const std::string continueFrom = from.empty() ? *savepoint : from;
    const Status replaced = replace(target, continueFrom);
    if (replaced.isOk()) {
        outcome.parallelism = target.runtime.parallelism;
        outcome.from = continueFrom;
        return outcome;
    }
    const Status resumed = replace(old, *savepoint);
    if (resumed.isOk())
        outcome.from = *savepoint;
    outcome.status = Status::aborted(
        "the job after the " + what + " did not start: " + replaced.message() +
        (resumed.isOk() ? "; continuing at parallelism " + std::to_string(old.runtime.parallelism) + " from " + *savepoint
                        : "; continuing as before failed too (" + resumed.message() + "); the job is stopped, its state is in " +
                              *savepoint));
    return outcome;
}

} // namespace tally
