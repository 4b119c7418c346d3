#include "metrics/process_metrics.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sched.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace tally {

namespace {

// The system's boot time in seconds since the Unix epoch (/proc/stat "btime"), or 0.
double bootTimeSeconds()
{
    std::ifstream stat("/proc/stat");
    for (std::string line; std::getline(stat, line);)
        if (line.starts_with("btime "))
            return std::stod(line.substr(6));
    return 0;
}

// The first number in a file ("max" or anything else: nullopt).
std::optional<double> numberIn(const char *path)
{
    std::ifstream in(path);
    double v = 0;
    if (in >> v && v > 0)
        return v;
    return std::nullopt;
}

} // namespace

MemoryUse readMemoryUse()
{
    MemoryUse use;
    std::ifstream statm("/proc/self/statm");
    double pages = 0, resident = 0;
    if (statm >> pages >> resident)
        use.residentBytes = resident * static_cast<double>(sysconf(_SC_PAGESIZE));
    const double physical = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
    std::optional<double> limit = numberIn("/sys/fs/cgroup/memory.max");
    if (!limit)
        limit = numberIn("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    // cgroup v1 says "no limit" with a huge number.
    use.limitBytes = limit && (physical <= 0 || *limit < physical) ? *limit : physical > 0 ? std::optional(physical) : std::nullopt;
    return use;
}

double availableCores()
{
    double cores = 1;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        cores = std::max(1, CPU_COUNT(&set));
    else if (const long online = sysconf(_SC_NPROCESSORS_ONLN); online > 0)
        cores = static_cast<double>(online);
    double limit = 0;
    std::ifstream max("/sys/fs/cgroup/cpu.max"); // v2: "max 100000" or "200000 100000"
    std::string quota;
    double period = 0;
    if (max >> quota >> period && quota != "max" && period > 0)
        limit = std::strtod(quota.c_str(), nullptr) / period;
    else if (const std::optional<double> v1Quota = numberIn("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")) // v1; -1: none
        if (const std::optional<double> v1Period = numberIn("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))
            limit = *v1Quota / *v1Period;
    return limit > 0 && limit < cores ? limit : cores;
}

std::optional<DiskSpace> diskSpaceOf(const std::string &path)
{
    std::error_code error;
    std::filesystem::path p = std::filesystem::absolute(path.empty() ? "." : path, error);
    if (error)
        return std::nullopt;
    while (!std::filesystem::exists(p, error) && p.has_parent_path() && p != p.parent_path())
        p = p.parent_path();
    struct statvfs fs {};
    if (statvfs(p.c_str(), &fs) != 0)
        return std::nullopt;
    const double block = static_cast<double>(fs.f_frsize);
    return DiskSpace{static_cast<double>(fs.f_bavail) * block, static_cast<double>(fs.f_blocks) * block};
}

void appendProcessMetrics(MetricsSnapshot &snapshot)
{
    std::ifstream statFile("/proc/self/stat");
    std::string stat;
    if (!std::getline(statFile, stat))
        return;
    // The command name (field 2) may hold spaces and parentheses: fields count from the last ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos)
        return;
    std::istringstream fields(stat.substr(close + 2));
    std::string field[22]; // fields 3 (state) .. 24 (rss)
    for (std::string &f : field)
        if (!(fields >> f))
            return;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double pageBytes = static_cast<double>(sysconf(_SC_PAGESIZE));
    const double cpuSeconds = (std::stod(field[14 - 3]) + std::stod(field[15 - 3])) / ticks; // utime + stime
    const double startSeconds = bootTimeSeconds() + std::stod(field[22 - 3]) / ticks;
    snapshot.add("process_cpu_seconds_total", MetricKind::Counter, "Total user and system CPU time spent in seconds",
                 cpuSeconds);
    snapshot.add("process_resident_memory_bytes", MetricKind::Gauge, "Resident memory size in bytes",
                 std::stod(field[24 - 3]) * pageBytes);
    snapshot.add("process_virtual_memory_bytes", MetricKind::Gauge, "Virtual memory size in bytes", std::stod(field[23 - 3]));
    snapshot.add("process_start_time_seconds", MetricKind::Gauge,
                 "Start time of the process since the Unix epoch in seconds", startSeconds);
    std::error_code error;
    double openFds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error); !error && it != std::filesystem::directory_iterator();
         it.increment(error))
        ++openFds;
    if (!error)
        snapshot.add("process_open_fds", MetricKind::Gauge, "Number of open file descriptors", openFds);
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
        snapshot.add("process_max_fds", MetricKind::Gauge, "Maximum number of open file descriptors",
                     static_cast<double>(limit.rlim_cur));
}

} // namespace tally
