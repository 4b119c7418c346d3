#include "util/folders.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unistd.h>

namespace tally {

Status checkWritableFolder(const std::string &dir, std::string_view what)
{
    namespace fs = std::filesystem;
    const std::string where = std::string(what) + " '" + dir + "'";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec)
        return Status::ioError(where + " cannot be created: " + ec.message());
    if (!fs::is_directory(dir, ec))
        return Status::ioError(where + " is not a folder");
    const fs::path probe = fs::path(dir) / (".tally-probe-" + std::to_string(getpid()));
    std::FILE *f = std::fopen(probe.c_str(), "wb");
    if (!f)
        return Status::ioError(where + " is not writable: " + std::strerror(errno));
    const bool written = std::fputc('x', f) != EOF;
    const bool closed = std::fclose(f) == 0;
    fs::remove(probe, ec);
    if (!written || !closed)
        return Status::ioError(where + " is not writable (full disk?)");
    return Status::ok();
}

} // namespace tally
