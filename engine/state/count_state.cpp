#include "state/count_state.h"

#include "state/heap_state.h"
#include "state/rocksdb_state.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <string_view>
#include <unistd.h>

namespace tally {
namespace {

// Is the folder name job-<pid>-<n> of a process that no longer runs?
bool abandoned(std::string_view name)
{
    if (!name.starts_with("job-"))
        return false;
    name.remove_prefix(4);
    const size_t dash = name.find('-');
    if (dash == std::string_view::npos)
        return false;
    long pid = 0;
    for (char c : name.substr(0, dash)) {
        if (c < '0' || c > '9')
            return false;
        pid = pid * 10 + (c - '0');
    }
    return pid > 0 && pid != getpid() && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

} // namespace

StateWorkDir::StateWorkDir(const StateConfig &config)
{
    static std::atomic<int> jobs{0};
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto &entry : fs::directory_iterator(config.dir, ec))
        if (abandoned(entry.path().filename().string()))
            fs::remove_all(entry.path(), ec);
    m_path = (fs::path(config.dir) / ("job-" + std::to_string(getpid()) + "-" + std::to_string(jobs++))).string();
}

StateWorkDir::~StateWorkDir()
{
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
}

Result<std::unique_ptr<TaskState>> openTaskStateFromFiles(const StateConfig &config, const std::string &workDir,
                                                          const TaskFiles &files)
{
    if (config.backend != StateConfig::Backend::RocksDb)
        return Status::invalidArgument("only the rocksdb state backend opens a checkpoint's files");
    return openRocksDbTaskStateFromFiles(config, workDir, files);
}

Status scanTaskFiles(const TaskFiles &files, const std::string &scratchDir, const CountVisit &visit)
{
    return scanRocksDbFiles(files, scratchDir, visit);
}

Result<std::unique_ptr<TaskState>> openTaskState(const StateConfig &config, const std::string &workDir, int task)
{
    switch (config.backend) {
    case StateConfig::Backend::RocksDb:
        return openRocksDbTaskState(config, workDir, task);
    case StateConfig::Backend::Heap:
        break;
    }
    return makeHeapTaskState();
}

} // namespace tally
