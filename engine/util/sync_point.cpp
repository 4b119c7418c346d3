#include "util/sync_point.h"

#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

namespace tally {

namespace {

std::mutex g_mutex;
// shared_ptr: a callback may block (hold a task) while a test clears or replaces it.
std::map<std::string, std::shared_ptr<std::function<void()>>, std::less<>> g_callbacks;

} // namespace

std::atomic<bool> SyncPoints::s_active{false};

void SyncPoints::set(std::string name, std::function<void()> callback)
{
    std::lock_guard lock(g_mutex);
    g_callbacks[std::move(name)] = std::make_shared<std::function<void()>>(std::move(callback));
    s_active = true;
}

void SyncPoints::clear()
{
    std::lock_guard lock(g_mutex);
    g_callbacks.clear();
    s_active = false;
}

std::string SyncPoints::killAtFromEnvironment()
{
    const char *value = std::getenv("TALLY_KILL_AT");
    if (value == nullptr || *value == '\0')
        return {};
    std::string name(value);
    long n = 1;
    if (const size_t colon = name.rfind(':'); colon != std::string::npos) {
        n = std::strtol(name.c_str() + colon + 1, nullptr, 10);
        name.resize(colon);
    }
    auto passes = std::make_shared<std::atomic<long>>(0);
    set(name, [passes, n] {
        if (++*passes >= n)
            std::raise(SIGKILL);
    });
    return name + ":" + std::to_string(n);
}

void SyncPoints::processSlow(std::string_view name)
{
    std::shared_ptr<std::function<void()>> callback;
    {
        std::lock_guard lock(g_mutex);
        const auto it = g_callbacks.find(name);
        if (it == g_callbacks.end())
            return;
        callback = it->second;
    }
    (*callback)();
}

} // namespace tally
