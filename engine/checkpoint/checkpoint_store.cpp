#include "checkpoint/checkpoint_store.h"

#include "util/byte_io.h"
#include "util/checksummed.h"
#include "util/sync_point.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>

namespace tally {

namespace {

constexpr ChecksummedFormat kIncrementalFormat{"incremental checkpoint", "TALLYCI1", 1};
constexpr std::string_view kFullMagic = "TALLYSP1";
constexpr size_t kMaxChain = 10'000; // checkpoint.full_every's maximum: the most files a checkpoint names

struct IncrementalFile {
    Savepoint head; // without keyed state
    CheckpointChain previous;
    KeyedStateChanges changes;
};

CheckpointLink linkTo(const std::string &path, std::string_view bytes)
{
    CheckpointLink link;
    link.file = std::filesystem::path(path).filename().string();
    link.bytes = bytes.size();
    if (bytes.size() >= 4)
        std::memcpy(&link.crc, bytes.data() + bytes.size() - 4, 4);
    return link;
}

std::string fileName(const Savepoint &s, const char *extension)
{
    return "checkpoint-" + std::to_string(s.epoch) + "-" + std::to_string(s.takenAtMs) + extension;
}

// `changes`: also decode the keyed-state changes (retention needs only the chain).
Result<IncrementalFile> decodeIncremental(std::string_view bytes, bool changes = true)
{
    auto body = openChecksummed(bytes, kIncrementalFormat);
    if (!body)
        return body.status();
    ByteReader in(body.value());
    IncrementalFile f;
    if (Status head = decodeSavepointHead(in, f.head); !head.isOk())
        return head;
    uint32_t links = 0;
    if (!in.get(links) || links == 0 || links > kMaxChain)
        return Status::corruption("incremental checkpoint: malformed chain");
    f.previous.resize(links);
    for (CheckpointLink &link : f.previous) {
        std::string_view name;
        if (!in.section(name) || !in.get(link.crc) || !in.get(link.bytes) || name.empty() ||
            name.find('/') != std::string_view::npos || name == "." || name == "..")
            return Status::corruption("incremental checkpoint: malformed chain");
        link.file = std::string(name);
    }
    std::string_view changed;
    if (!in.section(changed) || in.remaining() != 0)
        return Status::corruption("incremental checkpoint: truncated or malformed sections");
    if (!changes)
        return f;
    auto decoded = decodeKeyedStateChanges(changed);
    if (!decoded)
        return decoded.status();
    f.changes = std::move(decoded).value();
    return f;
}

// A file of a chain, checked against what the chain says of it.
Result<std::string> readLinked(const std::string &directory, const CheckpointLink &link, std::string_view what,
                               std::string_view magic)
{
    const std::string path = (std::filesystem::path(directory) / link.file).string();
    auto bytes = readFramedFile(path, what, magic);
    if (!bytes)
        return Status::corruption("checkpoint file " + link.file + " it is built from: " + bytes.status().message());
    if (linkTo(path, *bytes) != link)
        return Status::corruption("checkpoint file " + link.file + " it is built from is not the one it names (size " +
                                  std::to_string(bytes->size()) + " bytes, " + std::to_string(link.bytes) + " expected, or another checksum)");
    return bytes;
}

// Checkpoint files by (epoch, time), newest first; `extension` set on each.
std::vector<std::pair<std::pair<uint64_t, int64_t>, std::string>> listCheckpoints(const std::string &directory)
{
    std::vector<std::pair<std::pair<uint64_t, int64_t>, std::string>> files;
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator(directory, ec)) {
        const std::string name = entry.path().filename().string();
        unsigned long long epoch = 0;
        long long at = 0;
        char extension[4] = {};
        int consumed = 0;
        if (std::sscanf(name.c_str(), "checkpoint-%llu-%lld.%3s%n", &epoch, &at, extension, &consumed) == 3 &&
            static_cast<size_t>(consumed) == name.size() &&
            (std::string_view(extension) == "tsp" || std::string_view(extension) == "tsi"))
            files.push_back({{epoch, static_cast<int64_t>(at)}, entry.path().string()});
    }
    std::sort(files.begin(), files.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    return files;
}

bool isIncremental(const std::string &path) { return path.ends_with(".tsi"); }

} // namespace

Result<CheckpointLink> writeFullCheckpoint(const std::string &directory, const Savepoint &savepoint)
{
    const std::string bytes = encodeSavepoint(savepoint);
    auto path = writeFileDurably(directory, fileName(savepoint, ".tsp"), bytes);
    if (!path)
        return path.status();
    return linkTo(*path, bytes);
}

Result<CheckpointLink> writeIncrementalCheckpoint(const std::string &directory, const Savepoint &head,
                                                  const KeyedStateChanges &changes, const CheckpointChain &previous)
{
    if (previous.empty())
        return Status::invalidArgument("an incremental checkpoint needs the checkpoint before it");
    std::string out;
    beginChecksummed(out, kIncrementalFormat);
    encodeSavepointHead(out, head);
    putBytes<uint32_t>(out, static_cast<uint32_t>(previous.size()));
    for (const CheckpointLink &link : previous) {
        putBytes<uint32_t>(out, static_cast<uint32_t>(link.file.size()));
        out += link.file;
        putBytes<uint32_t>(out, link.crc);
        putBytes<uint64_t>(out, link.bytes);
    }
    const std::string encoded = encodeKeyedStateChanges(changes);
    putBytes<uint32_t>(out, static_cast<uint32_t>(encoded.size()));
    out += encoded;
    sealChecksummed(out);
    auto path = writeFileDurably(directory, fileName(head, ".tsi"), out);
    if (!path)
        return path.status();
    return linkTo(*path, out);
}

Result<CheckpointFile> readCheckpoint(const std::string &path)
{
    CheckpointFile result;
    result.path = path;
    if (!isIncremental(path)) {
        auto bytes = readFramedFile(path, "checkpoint", kFullMagic);
        if (!bytes)
            return bytes.status();
        auto savepoint = decodeSavepoint(*bytes);
        if (!savepoint)
            return Status::corruption("checkpoint " + path + ": " + savepoint.status().message());
        result.savepoint = std::move(savepoint).value();
        result.chain = {linkTo(path, *bytes)};
        return result;
    }
    auto bytes = readFramedFile(path, "checkpoint", kIncrementalFormat.magic);
    if (!bytes)
        return bytes.status();
    auto decoded = decodeIncremental(*bytes);
    if (!decoded)
        return Status::corruption("checkpoint " + path + ": " + decoded.status().message());
    IncrementalFile &self = *decoded;
    const std::string directory = std::filesystem::path(path).parent_path().string();
    const auto fail = [&](const Status &why) { return Status::corruption("checkpoint " + path + ": " + why.message()); };

    // The full checkpoint the chain starts from, then each incremental one in order.
    auto baseBytes = readLinked(directory, self.previous.front(), "checkpoint", kFullMagic);
    if (!baseBytes)
        return fail(baseBytes.status());
    auto base = decodeSavepoint(*baseBytes);
    if (!base)
        return fail(Status::corruption("checkpoint file " + self.previous.front().file + ": " + base.status().message()));
    KeyedStateSnapshot state = std::move(base->state);
    state.canonicalize(); // a checkpoint's records are stored unsorted
    baseBytes = std::string(); // the state is decoded: let the bytes go
    for (size_t i = 1; i < self.previous.size(); ++i) {
        auto linked = readLinked(directory, self.previous[i], "checkpoint", kIncrementalFormat.magic);
        if (!linked)
            return fail(linked.status());
        auto between = decodeIncremental(*linked);
        if (!between)
            return fail(Status::corruption("checkpoint file " + self.previous[i].file + ": " + between.status().message()));
        applyChanges(state, std::move(between->changes));
    }
    applyChanges(state, std::move(self.changes));
    result.savepoint = std::move(self.head);
    result.savepoint.state = std::move(state);
    if (Status valid = checkSavepointContents(result.savepoint); !valid.isOk())
        return fail(valid);
    result.chain = std::move(self.previous);
    result.chain.push_back(linkTo(path, *bytes));
    return result;
}

std::optional<CheckpointFile> latestCheckpoint(const std::string &directory, std::vector<std::string> &skipped)
{
    for (const auto &[key, path] : listCheckpoints(directory)) {
        auto read = readCheckpoint(path);
        if (read)
            return std::move(read).value();
        skipped.push_back("checkpoint " + path + " does not restore (" + read.status().message() + ")");
    }
    return std::nullopt;
}

std::vector<std::string> checkpointFiles(const std::string &directory)
{
    std::vector<std::string> paths;
    for (auto &[key, path] : listCheckpoints(directory))
        paths.push_back(std::move(path));
    return paths;
}

void pruneCheckpoints(const std::string &directory, size_t retained, const CheckpointChain &keep)
{
    const auto files = listCheckpoints(directory);
    std::set<std::string> named; // file names a retained checkpoint is built from
    for (const CheckpointLink &link : keep)
        named.insert(link.file);
    for (size_t i = 0; i < files.size() && i < retained; ++i) {
        const std::string &path = files[i].second;
        named.insert(std::filesystem::path(path).filename().string());
        if (!isIncremental(path))
            continue;
        auto bytes = readFramedFile(path, "checkpoint", kIncrementalFormat.magic);
        auto decoded = bytes ? decodeIncremental(*bytes, false) : Result<IncrementalFile>(bytes.status());
        if (!decoded) {
            // Its chain is unknown: keep everything older rather than delete a file it needs.
            removeUnfinishedCheckpoints(directory);
            return;
        }
        for (const CheckpointLink &link : decoded->previous)
            named.insert(link.file);
    }
    std::error_code ec;
    for (const auto &[key, path] : files)
        if (!named.contains(std::filesystem::path(path).filename().string())) {
            std::filesystem::remove(path, ec);
            SyncPoints::process("pruneCheckpoints::removed");
        }
    removeUnfinishedCheckpoints(directory);
}

bool chainPresent(const std::string &directory, const CheckpointChain &chain)
{
    for (const CheckpointLink &link : chain) {
        std::error_code ec;
        if (std::filesystem::file_size(std::filesystem::path(directory) / link.file, ec) != link.bytes || ec)
            return false;
    }
    return true;
}

size_t removeUnfinishedCheckpoints(const std::string &directory)
{
    size_t removed = 0;
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator(directory, ec)) {
        const std::string name = entry.path().filename().string();
        std::error_code removeError;
        if (name.starts_with("checkpoint-") && name.ends_with(".tmp") && std::filesystem::remove(entry.path(), removeError))
            ++removed;
    }
    return removed;
}

} // namespace tally
