#include "checkpoint/savepoint.h"

#include "util/byte_io.h"
#include "util/checksummed.h"
#include "util/sync_point.h"
#include "window/aggregations.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace tally {

namespace {

constexpr ChecksummedFormat kSavepointFormat{"savepoint", "TALLYSP1", 1};

// Epochs count barriers from 1; far below 2^64 so that "epoch + 1" and the end-of-input marker
// (UINT64_MAX) stay apart.
constexpr uint64_t kMaxEpoch = uint64_t(1) << 62;

} // namespace

Status checkSavepointContents(const Savepoint &s)
{
    if (s.epoch == 0 || s.epoch > kMaxEpoch)
        return Status::corruption("savepoint: epoch " + std::to_string(s.epoch) + " is outside 1.." +
                                  std::to_string(kMaxEpoch));
    if (!inEventTimeRange(s.ingest.watermark))
        return Status::corruption("savepoint: watermark " + std::to_string(s.ingest.watermark) +
                                  " is outside the event-time range the windows compute with");
    for (size_t p = 0; p < s.ingest.maxEventTimesMs.size(); ++p)
        if (!inEventTimeRange(s.ingest.maxEventTimesMs[p]))
            return Status::corruption("savepoint: partition " + std::to_string(p) + "'s newest event time " +
                                      std::to_string(s.ingest.maxEventTimesMs[p]) + " is outside the event-time range");
    for (size_t p = 0; p < s.sourcePositions.size(); ++p)
        if (s.sourcePositions[p] < -1)
            return Status::corruption("savepoint: partition " + std::to_string(p) + "'s position " +
                                      std::to_string(s.sourcePositions[p]) + " is negative");
    for (const OutputRow &r : s.pendingRows)
        if (r.epoch >= s.epoch)
            return Status::corruption("savepoint: a pending row of epoch " + std::to_string(r.epoch) +
                                      " is not before the savepoint's epoch " + std::to_string(s.epoch));
    return checkRestorable(s.state);
}

namespace {

std::string encodeInt64s(const std::vector<int64_t> &values)
{
    std::string out;
    putBytes<uint32_t>(out, static_cast<uint32_t>(values.size()));
    for (int64_t v : values)
        putBytes<int64_t>(out, v);
    return out;
}

bool decodeInt64s(std::string_view bytes, std::vector<int64_t> &values)
{
    ByteReader in(bytes);
    uint32_t n = 0;
    if (!in.get(n) || in.remaining() != size_t(n) * 8)
        return false;
    values.resize(n);
    for (int64_t &v : values)
        in.get(v);
    return true;
}

Status syncedWrite(const std::string &path, std::string_view bytes)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return Status::ioError("savepoint " + path + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const std::string error = std::strerror(errno);
            ::close(fd);
            return Status::ioError("savepoint " + path + ": write: " + error);
        }
        done += static_cast<size_t>(n);
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    return synced ? Status::ok() : Status::ioError("savepoint " + path + ": fsync: " + std::strerror(errno));
}

} // namespace

std::string fingerprintDifference(const std::string &saved, const std::string &current)
{
    std::istringstream a(saved), b(current);
    std::string la, lb;
    while (true) {
        const bool ha = static_cast<bool>(std::getline(a, la));
        const bool hb = static_cast<bool>(std::getline(b, lb));
        if (!ha && !hb)
            return {};
        if (la == lb)
            continue;
        const auto key = [](const std::string &l) { return l.substr(0, l.find('=')); };
        const auto value = [](const std::string &l) {
            const size_t eq = l.find('=');
            return eq == std::string::npos ? std::string("(missing)") : l.substr(eq + 1);
        };
        const std::string name = ha ? key(la) : key(lb);
        return name + ": savepoint " + (ha ? value(la) : "(missing)") + ", job " + (hb ? value(lb) : "(missing)");
    }
}

void encodeSavepointHead(std::string &out, const Savepoint &s)
{
    putBytes<uint64_t>(out, s.epoch);
    putBytes<int64_t>(out, s.takenAtMs);
    putSection(out, s.fingerprint);
    std::string ingest;
    putBytes<int64_t>(ingest, s.ingest.watermark);
    ingest += encodeInt64s(s.ingest.maxEventTimesMs);
    putSection(out, ingest);
    putSection(out, encodeInt64s(s.sourcePositions));
    putSection(out, packRows(s.pendingRows));
}

Status decodeSavepointHead(ByteReader &in, Savepoint &s)
{
    std::string_view fingerprint, ingest, positions, rows;
    if (!in.get(s.epoch) || !in.get(s.takenAtMs) || !in.section(fingerprint) || !in.section(ingest) ||
        !in.section(positions) || !in.section(rows))
        return Status::corruption("savepoint: truncated or malformed sections");
    s.fingerprint = std::string(fingerprint);
    ByteReader ingestIn(ingest);
    if (!ingestIn.get(s.ingest.watermark) ||
        !decodeInt64s(ingest.substr(8), s.ingest.maxEventTimesMs) || !decodeInt64s(positions, s.sourcePositions))
        return Status::corruption("savepoint: malformed ingest state or positions");
    auto pending = unpackRows(rows);
    if (!pending)
        return pending.status();
    s.pendingRows = std::move(pending).value();
    return Status::ok();
}

std::string encodeSavepoint(const Savepoint &s)
{
    std::string out;
    beginChecksummed(out, kSavepointFormat);
    encodeSavepointHead(out, s);
    putSectionInPlace(out, [&](std::string &section) { appendKeyedState(section, s.state); });
    sealChecksummed(out);
    return out;
}

Result<Savepoint> decodeSavepoint(std::string_view bytes)
{
    auto body = openChecksummed(bytes, kSavepointFormat);
    if (!body)
        return body.status();
    ByteReader in(body.value());
    Savepoint s;
    if (Status head = decodeSavepointHead(in, s); !head.isOk())
        return head;
    std::string_view state;
    if (!in.section(state) || in.remaining() != 0)
        return Status::corruption("savepoint: truncated or malformed sections");
    auto keyed = decodeKeyedState(state);
    if (!keyed)
        return keyed.status();
    s.state = std::move(keyed).value();
    if (Status valid = checkSavepointContents(s); !valid.isOk())
        return valid;
    return s;
}

Result<std::string> writeFileDurably(const std::string &directory, const std::string &name, std::string_view bytes)
{
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec)
        return Status::ioError("savepoint directory " + directory + ": " + ec.message());
    const std::string path = (std::filesystem::path(directory) / name).string();
    const std::string temp = path + ".tmp";
    if (Status s = syncedWrite(temp, bytes); !s.isOk())
        return s;
    SyncPoints::process("writeFileDurably::beforeRename");
    if (std::rename(temp.c_str(), path.c_str()) != 0)
        return Status::ioError("savepoint " + path + ": rename: " + std::strerror(errno));
    // The rename is durable once the directory is synced.
    const int dir = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return path;
}

Result<std::string> writeSavepointFile(const std::string &directory, const std::string &prefix, const Savepoint &savepoint)
{
    const std::string name = prefix + "-" + std::to_string(savepoint.epoch) + "-" + std::to_string(savepoint.takenAtMs) + ".tsp";
    return writeFileDurably(directory, name, encodeSavepoint(savepoint));
}

Result<std::string> readFramedFile(const std::string &path, std::string_view what, std::string_view magic)
{
    const std::string named = std::string(what) + " " + path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return Status::notFound(named + ": " + std::strerror(errno));
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    // Only a regular file has a size to check against: a device or a pipe (--restore /dev/zero)
    // would be read forever, a directory not at all.
    struct stat info {};
    if (::fstat(fd, &info) != 0)
        return Status::ioError(named + ": " + std::strerror(errno));
    if (!S_ISREG(info.st_mode))
        return Status::invalidArgument(named + ": not a regular file");
    // The magic first, so a large file of something else is refused before it is read in.
    char head[8] = {};
    if (::pread(fd, head, sizeof head, 0) != sizeof head || std::string_view(head, sizeof head) != magic)
        return Status::corruption(named + ": not a Tally " + std::string(what) + " (bad magic or too short)");
    const auto size = static_cast<size_t>(info.st_size);
    std::string bytes(size, '\0');
    size_t done = 0;
    while (done < size) {
        const ssize_t n = ::read(fd, bytes.data() + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Status::ioError(named + ": read: " + std::strerror(errno));
        if (n == 0)
            break; // shrank while being read: the checksum refuses what is left
        done += static_cast<size_t>(n);
    }
    bytes.resize(done);
    return bytes;
}

Result<Savepoint> readSavepointFile(const std::string &path)
{
    auto bytes = readFramedFile(path, "savepoint", kSavepointFormat.magic);
    if (!bytes)
        return bytes.status();
    auto s = decodeSavepoint(*bytes);
    if (!s)
        return Status::corruption("savepoint " + path + ": " + s.status().message());
    return s;
}

} // namespace tally
