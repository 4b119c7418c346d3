// The process's own figures under the names every Prometheus client library exports
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), read from /proc at the time
// of a scrape, so dashboards and alert rules written for any exporter work on Tally.
#pragma once

#include "metrics/metrics.h"

namespace tally {

// Appends the process_* samples it can read (Linux: from /proc/self; nothing elsewhere).
void appendProcessMetrics(MetricsSnapshot &snapshot);

} // namespace tally
