// The job configuration (runtime/job_config.h) read from TOML: a file, a text, or one
// `--set KEY=VALUE` at a time. The keys, types and ranges come from the option table
// (runtime/job_options.h).
#pragma once

#include "runtime/job_config.h"
#include "util/status.h"

#include <string>
#include <string_view>

namespace tally {

// Parses TOML text. Unknown keys, wrong types and invalid values are rejected with the key, the
// line and the reason, e.g. "line 12: runtime.parallelism: must be between 1 and 128 (got 0)".
Result<JobConfig> parseJobConfig(std::string_view tomlText, std::string_view sourceName = "config");
Result<JobConfig> loadJobConfig(const std::string &path);

// Sets one option, as `tally --set KEY=VALUE` does: the value is read with the option's type as in
// a file (strings need no quotes, a list may be written 60000,3600000) and checked against the
// option's own range; rules involving other keys are left to validate(). A key inside
// [source.kafka.properties] sets one setting: "source.kafka.properties.security.protocol".
// The error names the key: "runtime.parallelism: must be between 1 and 128 (got 0)".
Status setConfigOption(JobConfig &config, std::string_view key, std::string_view value);
// setConfigOption() for "KEY=VALUE".
Status applyConfigOverride(JobConfig &config, std::string_view assignment);

} // namespace tally
