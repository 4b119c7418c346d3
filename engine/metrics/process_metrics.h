// The process's own figures under the names every Prometheus client library exports
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), read from /proc at the time
// of a scrape, so dashboards and alert rules written for any exporter work on Tally.
#pragma once

#include "metrics/metrics.h"

#include <optional>
#include <string>

namespace tally {

// Appends the process_* samples it can read (Linux: from /proc/self; nothing elsewhere).
void appendProcessMetrics(MetricsSnapshot &snapshot);

// The process's resident memory and the most it may use: the cgroup's memory.max (v2) or
// memory.limit_in_bytes (v1) when set, else the machine's physical memory. Absent where they
// cannot be read.
struct MemoryUse {
    std::optional<double> residentBytes;
    std::optional<double> limitBytes;
};
MemoryUse readMemoryUse();

// The cores the process may use: its cgroup's CPU quota (cpu.max: quota over period) when set and
// lower, else the CPUs it may run on.
double availableCores();

// Free (for an unprivileged writer) and total bytes of the file system holding `path`, or of its
// nearest existing parent folder (a folder Tally creates later).
struct DiskSpace {
    double freeBytes = 0;
    double sizeBytes = 0;
};
std::optional<DiskSpace> diskSpaceOf(const std::string &path);

} // namespace tally
