// Folder checks done before work depends on a folder: that it exists (or can be created) and
// takes a file, so a job refuses to start, or a rescale to begin, instead of failing half-way.
#pragma once

#include "util/status.h"

#include <string>
#include <string_view>

namespace tally {

// Creates `dir` if missing and writes and removes a probe file in it. `what` names the folder in
// the message, e.g. "state.dir".
Status checkWritableFolder(const std::string &dir, std::string_view what);

} // namespace tally
