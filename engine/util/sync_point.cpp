#include "util/sync_point.h"

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
