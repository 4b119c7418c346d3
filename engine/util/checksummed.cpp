#include "util/checksummed.h"

#include "util/byte_io.h"
#include "util/crc32c.h"

#include <cassert>
#include <cstring>

namespace tally {

namespace {
constexpr size_t kMagicBytes = 8;
constexpr size_t kHeaderBytes = kMagicBytes + 4;
constexpr size_t kChecksumBytes = 4;
} // namespace

void beginChecksummed(std::string &out, const ChecksummedFormat &format)
{
    assert(format.magic.size() == kMagicBytes);
    out.append(format.magic);
    putBytes<uint32_t>(out, format.version);
}

void sealChecksummed(std::string &out, size_t frameStart)
{
    putBytes<uint32_t>(out, crc32c(std::string_view(out).substr(frameStart)));
}

Result<std::string_view> openChecksummed(std::string_view bytes, const ChecksummedFormat &format, uint32_t *version)
{
    const std::string what(format.what);
    if (bytes.size() < kHeaderBytes + kChecksumBytes || bytes.substr(0, kMagicBytes) != format.magic)
        return Status::corruption("not a Tally " + what + " (bad magic or too short)");
    const std::string_view checked = bytes.substr(0, bytes.size() - kChecksumBytes);
    uint32_t stored = 0;
    std::memcpy(&stored, bytes.data() + checked.size(), kChecksumBytes);
    if (crc32c(checked) != stored)
        return Status::corruption(what + ": checksum mismatch (the file is damaged or incomplete)");
    uint32_t written = 0;
    std::memcpy(&written, bytes.data() + kMagicBytes, sizeof written);
    const uint32_t oldest = format.oldestVersion ? format.oldestVersion : format.version;
    if (written < oldest || written > format.version)
        return Status::corruption(what + ": format version " + std::to_string(written) + " is not supported (this build reads " +
                                  (oldest == format.version ? std::to_string(oldest)
                                                            : std::to_string(oldest) + " to " + std::to_string(format.version)) +
                                  ")");
    if (version)
        *version = written;
    return checked.substr(kHeaderBytes);
}

} // namespace tally
