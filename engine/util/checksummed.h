// The framing every Tally file format shares (savepoints and checkpoints, keyed-state snapshots):
//
//   magic (8 bytes naming the format) | u32 format version | body | u32 CRC-32C of all before it
//
// A reader checks the magic, the checksum and the version before it looks at the body, so a
// damaged, truncated or foreign file is refused with a reason instead of being half-decoded.
#pragma once

#include "util/status.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace tally {

struct ChecksummedFormat {
    std::string_view what;  // named in every error, e.g. "savepoint"
    std::string_view magic; // exactly 8 bytes
    uint32_t version;           // what is written
    uint32_t oldestVersion = 0; // the oldest still read (0: only `version`)
};

// Starts a framed string: `out` receives the magic and the version; append the body to it, then
// call sealChecksummed with where the frame began (a frame may be a section of an outer one).
// Building in place spares a copy of bodies that can be hundreds of MB.
void beginChecksummed(std::string &out, const ChecksummedFormat &format);
void sealChecksummed(std::string &out, size_t frameStart = 0);

// The body of a framed string, or Corruption naming what is wrong; `version` receives the
// version it was written in.
Result<std::string_view> openChecksummed(std::string_view bytes, const ChecksummedFormat &format,
                                         uint32_t *version = nullptr);

} // namespace tally
