// The Prometheus text exposition (format 0.0.4) of a metrics snapshot, as served at /metrics:
// one HELP and TYPE line per family, samples with escaped labels, histograms as cumulative
// buckets with _bucket{le=...}, _sum and _count.
//
// Prometheus wants base units, so names with a time unit are converted on the way out:
// "_ms" -> "_seconds" (value / 1e3), "_us" -> "_seconds" (/ 1e6), "_nanoseconds" -> "_seconds"
// (/ 1e9), also inside a name ("tally_x_ms_total" -> "tally_x_seconds_total"). Everything else
// is exported under its registered name.
#pragma once

#include "metrics/metrics.h"

#include <string>
#include <string_view>

namespace tally {

struct PrometheusName {
    std::string name;     // the exported name
    double scale = 1;     // multiply values (and bucket bounds) by this
};

// The exported name of a registered metric and the factor its values are scaled by.
PrometheusName prometheusName(std::string_view registeredName);

// The whole snapshot in the text format. Histogram buckets are exact: the registry's values are
// integers, and every bound is le = 2^k - 1 (k = 0..40, in the registered unit, then scaled), a
// bucket boundary of HistogramSnapshot, plus +Inf. A plain function: thread-safe.
std::string prometheusText(const MetricsSnapshot &snapshot);

} // namespace tally
