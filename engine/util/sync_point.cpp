#include "util/sync_point.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

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

namespace {

// NAME:N (N defaults to 1) from an environment variable, or nothing.
std::optional<std::pair<std::string, long>> pointFromEnvironment(const char *variable)
{
    const char *value = std::getenv(variable);
    if (value == nullptr || *value == '\0')
        return std::nullopt;
    std::string name(value);
    long n = 1;
    if (const size_t colon = name.rfind(':'); colon != std::string::npos) {
        n = std::max(1L, std::strtol(name.c_str() + colon + 1, nullptr, 10)); // the first pass at least
        name.resize(colon);
    }
    return std::pair{std::move(name), n};
}

} // namespace

std::string SyncPoints::armFromEnvironment()
{
    std::string armed;
    const auto kill = pointFromEnvironment("TALLY_KILL_AT");
    auto hold = pointFromEnvironment("TALLY_HOLD_AT");
    if (kill) {
        auto passes = std::make_shared<std::atomic<long>>(0);
        set(kill->first, [passes, n = kill->second] {
            if (++*passes >= n)
                std::raise(SIGKILL);
        });
        armed += "tally: TALLY_KILL_AT: this process kills itself at sync point " + kill->first + ":" +
                 std::to_string(kill->second) + "\n";
    }
    if (hold && kill && hold->first == kill->first) {
        armed += "tally: TALLY_HOLD_AT names the sync point TALLY_KILL_AT kills at; only the kill is armed\n";
        hold.reset();
    }
    if (hold) {
        auto passes = std::make_shared<std::atomic<long>>(0);
        set(hold->first, [passes, n = hold->second, name = hold->first] {
            if (++*passes != n)
                return;
            fprintf(stderr, "tally: held at sync point %s\n", name.c_str());
            fflush(stderr);
            for (;;)
                std::this_thread::sleep_for(std::chrono::hours(1));
        });
        armed += "tally: TALLY_HOLD_AT: a thread stops for good at sync point " + hold->first + ":" +
                 std::to_string(hold->second) + "\n";
    }
    return armed;
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
