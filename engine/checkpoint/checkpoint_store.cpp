#include "checkpoint/checkpoint_store.h"

#include "util/byte_io.h"
#include "util/checksummed.h"
#include "util/crc32c.h"
#include "util/sync_point.h"
#include "window/aggregations.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <tuple>
#include <cstdio>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

namespace tally {

namespace {

constexpr ChecksummedFormat kIncrementalFormat{"incremental checkpoint", "TALLYCI1", 1};
constexpr ChecksummedFormat kFilesFormat{"checkpoint of state files", "TALLYCF1", 2, 1}; // 1: no cache parts
constexpr std::string_view kShared = "shared/"; // tables' folder within the checkpoint folder
constexpr size_t kMaxPrivateFiles = 64;
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

bool plainName(std::string_view name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos;
}

void putLinks(std::string &out, const CheckpointChain &links)
{
    putBytes<uint32_t>(out, static_cast<uint32_t>(links.size()));
    for (const CheckpointLink &link : links) {
        putSection(out, link.file);
        putBytes<uint32_t>(out, link.crc);
        putBytes<uint64_t>(out, link.bytes);
    }
}

// A chain of checkpoint files (`shared`: of published tables, shared/NAME), at least `least` long.
bool getLinks(ByteReader &in, CheckpointChain &links, bool shared, uint32_t least)
{
    uint32_t count = 0;
    if (!in.get(count) || count < least || count > kMaxChain)
        return false;
    links.resize(count);
    for (CheckpointLink &link : links) {
        std::string_view name;
        if (!in.section(name) || !in.get(link.crc) || !in.get(link.bytes))
            return false;
        if (shared ? !(name.starts_with(kShared) && plainName(name.substr(kShared.size()))) : !plainName(name))
            return false;
        link.file = std::string(name);
    }
    return true;
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
    if (!getLinks(in, f.previous, false, 1))
        return Status::corruption("incremental checkpoint: malformed chain");
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
// The epoch and time of a file named PREFIX-EPOCH-TIME.EXT (checkpoints, savepoints), EXT one
// of `extensions`; nothing for any other name.
std::optional<std::pair<uint64_t, int64_t>> epochAndTime(const std::string &name, const std::string &prefix,
                                                         std::initializer_list<std::string_view> extensions)
{
    unsigned long long epoch = 0;
    long long at = 0;
    char extension[4] = {};
    int consumed = 0;
    const std::string format = prefix + "-%llu-%lld.%3s%n";
    if (std::sscanf(name.c_str(), format.c_str(), &epoch, &at, extension, &consumed) != 3 ||
        static_cast<size_t>(consumed) != name.size() ||
        std::find(extensions.begin(), extensions.end(), std::string_view(extension)) == extensions.end())
        return std::nullopt;
    return std::pair{static_cast<uint64_t>(epoch), static_cast<int64_t>(at)};
}

std::vector<std::pair<std::pair<uint64_t, int64_t>, std::string>> listCheckpoints(const std::string &directory)
{
    std::vector<std::pair<std::pair<uint64_t, int64_t>, std::string>> files;
    std::error_code ec;
    for (const auto &entry : std::filesystem::directory_iterator(directory, ec))
        if (const auto key = epochAndTime(entry.path().filename().string(), "checkpoint", {"tsp", "tsi", "tsf"}))
            files.push_back({*key, entry.path().string()});
    std::sort(files.begin(), files.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    return files;
}

bool isIncremental(const std::string &path) { return path.ends_with(".tsi"); }
bool isFiles(const std::string &path) { return path.ends_with(".tsf"); }

struct FilesCheckpoint {
    Savepoint head;         // with the keyed state's watermark and sliding flags, and its files
    CheckpointChain tables; // shared/NAME
    CheckpointChain caches; // earlier checkpoints of files whose cache parts it needs, oldest first
    std::vector<uint32_t> cacheDepths;             // per task: how many of `caches` its part builds on
    std::vector<std::string_view> cacheParts;      // per task: its part's section (in the decoded bytes)
    // The files it is built from, itself not included: its chain, but for its own link.
    CheckpointChain builtFrom() &&
    {
        tables.insert(tables.end(), caches.begin(), caches.end());
        return std::move(tables);
    }
};

} // namespace

bool isTable(const CheckpointLink &link)
{
    return link.file.starts_with(kShared);
}

namespace {

// A task's cache part, as its write-back cache replays it (TaskFiles::cache).
ChangesExport cachePart(KeyedStateChanges &&part)
{
    auto changes = std::make_shared<KeyedStateChanges>(std::move(part));
    return {changes->records.recordCount(), [changes](const DropVisit &dropped, const CountVisit &set) {
                for (const NamespaceRef &n : changes->dropped)
                    dropped(n.structure, n.ns);
                for (const std::vector<KeyedStateRecord> &group : changes->records.keyGroups)
                    for (const KeyedStateRecord &r : group)
                        set(r.structure, r.ns, r.key, r.value);
            }};
}

// `tasks`: also decode the keyed-state meta and the tasks' files (retention needs only the chain).
Result<FilesCheckpoint> decodeFilesCheckpoint(std::string_view bytes, const std::string &directory, bool tasks = true)
{
    uint32_t version = 0;
    auto body = openChecksummed(bytes, kFilesFormat, &version);
    if (!body)
        return body.status();
    ByteReader in(body.value());
    FilesCheckpoint f;
    const Status malformed = Status::corruption("checkpoint of state files: malformed");
    if (Status head = decodeSavepointHead(in, f.head); !head.isOk())
        return head;
    if (!getLinks(in, f.tables, true, 0))
        return malformed;
    if (version >= 2 && !getLinks(in, f.caches, false, 0))
        return malformed;
    for (const CheckpointLink &earlier : f.caches)
        if (!isFiles(earlier.file))
            return malformed;
    if (!tasks)
        return f;
    std::string_view metaBytes;
    if (!in.section(metaBytes))
        return malformed;
    auto meta = decodeKeyedStateChanges(metaBytes);
    if (!meta)
        return meta.status();
    if (meta->records.recordCount() != 0 || !meta->dropped.empty())
        return malformed;
    StateFiles files;
    files.fired = std::move(meta->fired);
    f.head.state.watermark = meta->records.watermark;
    f.head.state.velocitySliding = meta->records.velocitySliding;
    f.head.state.spamSliding = meta->records.spamSliding;
    uint32_t parallelism = 0, taskCount = 0;
    if (!in.get(parallelism) || !in.get(taskCount) || parallelism == 0 || parallelism > kMaxParallelism ||
        taskCount != parallelism)
        return malformed;
    files.parallelism = static_cast<int>(parallelism);
    files.tasks.resize(taskCount);
    for (uint32_t t = 0; t < taskCount; ++t) {
        TaskFiles &task = files.tasks[t];
        uint32_t index = 0, tableCount = 0, privateCount = 0;
        if (!in.get(index) || index != t || !in.get(tableCount) || tableCount > f.tables.size())
            return malformed;
        task.task = static_cast<int>(index);
        for (uint32_t i = 0; i < tableCount; ++i) {
            std::string_view local;
            uint32_t link = 0;
            if (!in.section(local) || !in.get(link) || !plainName(local) || link >= f.tables.size())
                return malformed;
            const CheckpointLink &table = f.tables[link];
            task.tables.push_back({std::string(local), table.file.substr(kShared.size()),
                                   (std::filesystem::path(directory) / table.file).string(), table.bytes});
        }
        if (!in.get(privateCount) || privateCount > kMaxPrivateFiles)
            return malformed;
        // Every name once per task, and no private file named like a table: a restore lays them
        // all out in one folder, the tables as links to the shared files.
        std::set<std::string_view> names;
        for (const StateFile &table : task.tables)
            if (!names.insert(table.localName).second)
                return malformed;
        for (uint32_t i = 0; i < privateCount; ++i) {
            std::string_view name, content;
            if (!in.section(name) || !in.section(content) || !plainName(name) || name.ends_with(".sst") ||
                !names.insert(name).second)
                return malformed;
            task.privateFiles.emplace_back(std::string(name), std::string(content));
        }
        uint32_t depth = 0;
        std::string_view part;
        if (version >= 2 && (!in.get(depth) || depth > f.caches.size() || !in.section(part)))
            return malformed;
        task.cacheSinceTables = depth == 0;
        f.cacheDepths.push_back(depth);
        f.cacheParts.push_back(part);
    }
    if (in.remaining() != 0)
        return malformed;
    f.head.files = std::move(files);
    return f;
}

// Each task's cache parts of a decoded checkpoint of files (its own section and those of the
// earlier checkpoints it names, each checked against its link), oldest first, into its TaskFiles.
Status readCacheParts(const std::string &directory, FilesCheckpoint &f)
{
    std::vector<TaskFiles> &tasks = f.head.files->tasks;
    const size_t earlier = f.caches.size();
    const auto addPart = [&](TaskFiles &task, std::string_view section, const std::string &file) -> Status {
        if (section.empty())
            return Status::ok(); // version 1: the cache was written into the tables
        auto part = decodeKeyedStateChanges(section);
        if (!part)
            return Status::corruption("task " + std::to_string(task.task) + "'s cache part in " + file + ": " +
                                      part.status().message());
        // Replayed into the task's cache as it is: checked as a savepoint's records are.
        if (Status valid = checkRestorable(part->records); !valid.isOk())
            return Status::corruption("task " + std::to_string(task.task) + "'s cache part in " + file + ": " +
                                      valid.message());
        task.cache.push_back(cachePart(std::move(part).value()));
        return Status::ok();
    };
    for (size_t i = 0; i < earlier; ++i) {
        auto bytes = readLinked(directory, f.caches[i], "checkpoint", kFilesFormat.magic);
        if (!bytes)
            return bytes.status();
        auto before = decodeFilesCheckpoint(*bytes, directory);
        if (!before)
            return Status::corruption("checkpoint file " + f.caches[i].file + " it is built from: " + before.status().message());
        if (before->cacheParts.size() != tasks.size())
            return Status::corruption("checkpoint file " + f.caches[i].file + " it is built from has another parallelism");
        for (size_t t = 0; t < tasks.size(); ++t)
            if (i + f.cacheDepths[t] >= earlier)
                if (Status added = addPart(tasks[t], before->cacheParts[t], f.caches[i].file); !added.isOk())
                    return added;
    }
    for (size_t t = 0; t < tasks.size(); ++t)
        if (Status added = addPart(tasks[t], f.cacheParts[t], "it"); !added.isOk())
            return added;
    return Status::ok();
}

// Reads an open file to its end: the CRC-32C of all of it and its size. False on a read error.
bool checksumFile(int fd, uint32_t &crc, uint64_t &bytes)
{
    std::string buffer(1 << 20, '\0');
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0;
        crc = crc32c(std::string_view(buffer.data(), static_cast<size_t>(n)), crc);
        bytes += static_cast<uint64_t>(n);
    }
}

// A published table, checked against its link: its size, then the CRC-32C of all of it.
Status checkTable(const std::string &directory, const CheckpointLink &link)
{
    const std::string path = (std::filesystem::path(directory) / link.file).string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return Status::corruption("table " + link.file + " it is built from: " + std::strerror(errno));
    uint32_t crc = 0;
    uint64_t size = 0;
    const bool read = checksumFile(fd, crc, size);
    ::close(fd);
    if (!read || size != link.bytes || crc != link.crc)
        return Status::corruption("table " + link.file + " it is built from is not the one it names (size " +
                                  std::to_string(size) + " bytes, " + std::to_string(link.bytes) +
                                  " expected, or another checksum)");
    return Status::ok();
}

// Publishes a task's table into shared/: linked from the barrier's staging folder (copied where
// that is another file system) under a temporary name, read once for its CRC-32C, fsynced, and
// renamed, so a table in shared/ is whole.
Result<CheckpointLink> publishTable(const std::string &directory, const StateFile &table)
{
    if (!plainName(table.sharedName))
        return Status::internal("bad table name " + table.sharedName);
    const std::filesystem::path path = std::filesystem::path(directory) / kShared / table.sharedName;
    const std::string temp = path.string() + ".tmp";
    std::error_code ec;
    std::filesystem::remove(temp, ec);
    std::filesystem::create_hard_link(table.path, temp, ec);
    if (ec) {
        ec.clear();
        std::filesystem::copy_file(table.path, temp, ec);
    }
    if (ec)
        return Status::ioError("checkpoint: cannot link or copy " + table.path + " to " + temp + ": " + ec.message());
    CheckpointLink link{std::string(kShared) + table.sharedName, 0, 0};
    const int fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return Status::ioError("checkpoint: " + temp + ": " + std::strerror(errno));
    const bool readFailed = !checksumFile(fd, link.crc, link.bytes);
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (readFailed || !synced || link.bytes != table.bytes)
        return Status::ioError("checkpoint: cannot publish " + temp + (readFailed ? ": read failed" : !synced ? ": fsync failed" : ": size changed"));
    SyncPoints::process("publishTable::beforeRename");
    if (std::rename(temp.c_str(), path.c_str()) != 0)
        return Status::ioError("checkpoint: " + path.string() + ": rename: " + std::strerror(errno));
    return link;
}

void syncFolder(const std::filesystem::path &folder)
{
    const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

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
    putLinks(out, previous);
    putSectionInPlace(out, [&](std::string &section) { appendKeyedStateChanges(section, changes); });
    sealChecksummed(out);
    auto path = writeFileDurably(directory, fileName(head, ".tsi"), out);
    if (!path)
        return path.status();
    return linkTo(*path, out);
}

Result<WrittenCheckpoint> writeFilesCheckpoint(const std::string &directory, const Savepoint &head, int parallelism,
                                               const KeyedStateChanges &changes, const CheckpointChain &previous,
                                               const std::vector<uint32_t> &previousCacheDepths)
{
    if (changes.files.size() != static_cast<size_t>(parallelism))
        return Status::internal("a checkpoint of state files needs every task's files");
    // Each task's cache part starts a chain, or goes on from the checkpoint before: it then needs
    // the parts that one needed, and that one.
    WrittenCheckpoint written;
    CheckpointChain previousFiles; // the checkpoints of files the one before is built from, itself last
    if (!previous.empty() && isFiles(previous.back().file))
        for (const CheckpointLink &link : previous)
            if (!isTable(link))
                previousFiles.push_back(link);
    uint32_t deepest = 0;
    for (const TaskFiles &task : changes.files) {
        const auto t = static_cast<size_t>(task.task);
        if (task.cacheSinceTables)
            written.cacheDepths.push_back(0);
        else if (previousFiles.empty() || previousCacheDepths.size() != changes.files.size() || previousCacheDepths[t] >= previousFiles.size())
            return Status::internal("task " + std::to_string(task.task) +
                                    "'s cache changes do not apply to the checkpoint before (not one of files this job wrote)");
        else
            written.cacheDepths.push_back(previousCacheDepths[t] + 1);
        deepest = std::max(deepest, written.cacheDepths.back());
    }
    const CheckpointChain caches(previousFiles.end() - deepest, previousFiles.end());
    if (!chainPresent(directory, caches))
        return Status::ioError("a checkpoint of files the cache's changes build on (" + previous.back().file +
                               "'s chain) is missing or changed in " + directory);
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(directory) / kShared, ec);
    if (ec)
        return Status::ioError("checkpoint directory " + directory + ": " + ec.message());
    std::map<std::string, CheckpointLink> published; // by file: the previous checkpoint's tables
    for (const CheckpointLink &link : previous)
        if (isTable(link))
            published.emplace(link.file, link);
    std::map<std::string, uint32_t> index; // this checkpoint's tables, by file
    std::vector<std::vector<std::pair<std::string, uint32_t>>> taskTables(changes.files.size());
    for (size_t t = 0; t < changes.files.size(); ++t) {
        for (const StateFile &table : changes.files[t].tables) {
            const std::string file = std::string(kShared) + table.sharedName;
            auto [it, added] = index.try_emplace(file, static_cast<uint32_t>(written.chain.size()));
            if (added) {
                std::error_code sizeError;
                const auto before = published.find(file);
                if (before != published.end() && before->second.bytes == table.bytes &&
                    std::filesystem::file_size(std::filesystem::path(directory) / file, sizeError) == table.bytes && !sizeError) {
                    written.chain.push_back(before->second);
                    ++written.sharedFiles;
                } else {
                    auto link = publishTable(directory, table);
                    if (!link)
                        return link.status();
                    written.writtenBytes += link->bytes;
                    written.chain.push_back(*link);
                }
            }
            taskTables[t].emplace_back(table.localName, it->second);
        }
    }
    syncFolder(std::filesystem::path(directory) / kShared);
    if (written.chain.size() > kMaxChain) // what a restore reads back
        return Status::ioError("a checkpoint of state files names " + std::to_string(written.chain.size()) +
                                         " tables, more than " + std::to_string(kMaxChain));

    std::string out;
    beginChecksummed(out, kFilesFormat);
    encodeSavepointHead(out, head);
    putLinks(out, written.chain);
    putLinks(out, caches);
    KeyedStateChanges meta;
    meta.records.watermark = changes.records.watermark;
    meta.records.velocitySliding = changes.records.velocitySliding;
    meta.records.spamSliding = changes.records.spamSliding;
    meta.fired = changes.fired;
    putSection(out, encodeKeyedStateChanges(meta));
    putBytes<uint32_t>(out, static_cast<uint32_t>(parallelism));
    putBytes<uint32_t>(out, static_cast<uint32_t>(changes.files.size()));
    for (size_t t = 0; t < changes.files.size(); ++t) {
        const TaskFiles &task = changes.files[t];
        putBytes<uint32_t>(out, static_cast<uint32_t>(task.task));
        putBytes<uint32_t>(out, static_cast<uint32_t>(taskTables[t].size()));
        for (const auto &[local, link] : taskTables[t]) {
            putSection(out, local);
            putBytes<uint32_t>(out, link);
        }
        putBytes<uint32_t>(out, static_cast<uint32_t>(task.privateFiles.size()));
        for (const auto &[name, bytes] : task.privateFiles) {
            putSection(out, name);
            putSection(out, bytes);
        }
        KeyedStateChanges part;
        static const std::vector<NamespaceRef> kNoneFired;
        CountRecorder recorder(part.records, kNoneFired, task.cache.empty() ? 0 : task.cache.front().counts);
        for (const ChangesExport &changed : task.cache)
            changed.visit([&](uint8_t structure, int64_t ns) { part.dropped.push_back({structure, ns}); },
                          [&](uint8_t structure, int64_t ns, uint64_t key, int64_t value) { recorder.add(structure, ns, key, value); });
        part.sortNamespaces();
        written.cacheRecords += part.records.recordCount();
        putBytes<uint32_t>(out, written.cacheDepths[t]);
        putSectionInPlace(out, [&](std::string &section) { appendKeyedStateChanges(section, part); });
    }
    sealChecksummed(out);
    auto path = writeFileDurably(directory, fileName(head, ".tsf"), out);
    if (!path)
        return path.status();
    written.writtenBytes += out.size();
    written.sharedFiles += static_cast<int>(caches.size());
    written.chain.insert(written.chain.end(), caches.begin(), caches.end());
    written.chain.push_back(linkTo(*path, out));
    return written;
}

Status readStateFiles(Savepoint &savepoint, const std::string &scratchDir)
{
    if (!savepoint.files)
        return Status::ok();
    const StateFiles files = std::move(*savepoint.files);
    savepoint.files.reset();
    CountRecorder recorder(savepoint.state, files.fired);
    for (const TaskFiles &task : files.tasks) {
        Status read = scanTaskFiles(task, scratchDir, [&](uint8_t structure, int64_t ns, uint64_t key, int64_t value) {
            recorder.add(structure, ns, key, value);
        });
        if (!read.isOk())
            return read;
    }
    return checkSavepointContents(savepoint);
}

Result<Savepoint> readRestorePoint(const std::string &path)
{
    if (!path.ends_with(".tsi") && !path.ends_with(".tsf"))
        return readSavepointFile(path);
    Result<CheckpointFile> checkpoint = readCheckpoint(path);
    if (!checkpoint)
        return checkpoint.status();
    return std::move(checkpoint->savepoint);
}

Result<CheckpointFile> readCheckpoint(const std::string &path)
{
    CheckpointFile result;
    result.path = path;
    if (isFiles(path)) {
        auto bytes = readFramedFile(path, "checkpoint", kFilesFormat.magic);
        if (!bytes)
            return bytes.status();
        const std::string directory = std::filesystem::path(path).parent_path().string();
        auto decoded = decodeFilesCheckpoint(*bytes, directory);
        if (!decoded)
            return Status::corruption("checkpoint " + path + ": " + decoded.status().message());
        for (const CheckpointLink &table : decoded->tables)
            if (Status ok = checkTable(directory, table); !ok.isOk())
                return Status::corruption("checkpoint " + path + ": " + ok.message());
        if (Status parts = readCacheParts(directory, *decoded); !parts.isOk())
            return Status::corruption("checkpoint " + path + ": " + parts.message());
        if (Status valid = checkSavepointContents(decoded->head); !valid.isOk())
            return Status::corruption("checkpoint " + path + ": " + valid.message());
        result.savepoint = std::move(decoded->head);
        result.chain = std::move(*decoded).builtFrom();
        result.chain.push_back(linkTo(path, *bytes));
        return result;
    }
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

uint64_t newestCheckpointEpoch(const std::string &directory)
{
    const auto files = listCheckpoints(directory);
    return files.empty() ? 0 : files.front().first.first;
}

std::vector<RestorePoint> listRestorePoints(const std::string &checkpointDir, const std::string &savepointDir)
{
    std::vector<RestorePoint> points;
    std::error_code ec;
    const auto add = [&](RestorePoint::Kind kind, const std::string &path, uint64_t epoch, int64_t at) {
        std::error_code sizeError, pathError;
        const uintmax_t size = std::filesystem::file_size(path, sizeError);
        const std::filesystem::path absolute = std::filesystem::absolute(path, pathError); // usable from any folder
        points.push_back({kind, pathError ? path : absolute.lexically_normal().string(), epoch, at,
                          sizeError ? 0 : static_cast<uint64_t>(size), isIncremental(path) || isFiles(path)});
    };
    if (!checkpointDir.empty())
        for (const auto &[key, path] : listCheckpoints(checkpointDir))
            add(RestorePoint::Kind::Checkpoint, path, key.first, key.second);
    if (!savepointDir.empty())
        for (const auto &entry : std::filesystem::directory_iterator(savepointDir, ec))
            if (const auto key = epochAndTime(entry.path().filename().string(), "savepoint", {"tsp"}); key && entry.is_regular_file(ec))
                add(RestorePoint::Kind::Savepoint, entry.path().string(), key->first, key->second);
    std::sort(points.begin(), points.end(), [](const RestorePoint &a, const RestorePoint &b) {
        return std::tie(a.takenAtMs, a.epoch) > std::tie(b.takenAtMs, b.epoch);
    });
    return points;
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
    // Names the files a checkpoint is built from; false when its chain cannot be read.
    const auto nameChainOf = [&](const std::string &path) {
        if (!isIncremental(path) && !isFiles(path))
            return true;
        CheckpointChain chain;
        const bool files = isFiles(path);
        auto bytes = readFramedFile(path, "checkpoint", files ? kFilesFormat.magic : kIncrementalFormat.magic);
        if (bytes && files) {
            if (auto decoded = decodeFilesCheckpoint(*bytes, directory, false))
                chain = std::move(decoded.value()).builtFrom();
            else
                bytes = decoded.status();
        } else if (bytes) {
            if (auto decoded = decodeIncremental(*bytes, false))
                chain = std::move(decoded->previous);
            else
                bytes = decoded.status();
        }
        if (!bytes)
            return false;
        for (const CheckpointLink &link : chain)
            named.insert(link.file);
        return true;
    };
    for (size_t i = 0; i < files.size(); ++i) {
        const std::string &path = files[i].second;
        const std::string name = std::filesystem::path(path).filename().string();
        // The retained checkpoints, and older checkpoints of files they need for their caches'
        // parts: those stay restorable too (their tables are kept), so that the consoles' list
        // and a fallback never offer a checkpoint that cannot be read.
        if (i < retained)
            named.insert(name);
        else if (!isFiles(path) || !named.contains(name))
            continue;
        if (!nameChainOf(path)) {
            // Its chain is unknown: keep everything older rather than delete a file it needs.
            removeUnfinishedCheckpoints(directory);
            return;
        }
    }
    std::error_code ec;
    for (const auto &[key, path] : files)
        if (!named.contains(std::filesystem::path(path).filename().string())) {
            std::filesystem::remove(path, ec);
            SyncPoints::process("pruneCheckpoints::removed");
        }
    // Tables no retained checkpoint names, and tables a killed publish left half done.
    for (const auto &entry : std::filesystem::directory_iterator(std::filesystem::path(directory) / kShared, ec)) {
        const std::string file = std::string(kShared) + entry.path().filename().string();
        if (!named.contains(file)) {
            std::error_code removeError;
            std::filesystem::remove(entry.path(), removeError);
            SyncPoints::process("pruneCheckpoints::removedTable");
        }
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
