// The job configuration (TOML, config/job_config.h) on arbitrary text: parsed and validated or
// refused naming what is wrong, never a crash; a configuration that is accepted is written out
// (runtime/job_options.h) and reads back as the same text.
#include "config/job_config.h"
#include "runtime/job_options.h"

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    auto config = tally::parseJobConfig(text, "fuzz");
    if (!config) {
        if (config.status().message().empty())
            std::abort();
        return 0;
    }
    const std::string written = tally::writeConfigToml(*config);
    auto again = tally::parseJobConfig(written, "written");
    if (!again || tally::writeConfigToml(*again) != written)
        std::abort();
    return 0;
}
