// The settings that decide what the state means: windows, lateness, thresholds, top K. A
// savepoint records them (checkpoint/savepoint.h) so a restore into an incompatible job is refused
// with the difference named (fingerprintDifference()).
#pragma once

#include "runtime/job_config.h"

#include <string>

namespace tally {

// Text, one "key=value" per line, so a mismatch can be named.
std::string configFingerprint(const JobConfig &config);

} // namespace tally
