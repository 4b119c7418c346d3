// A sync point is a named place in an engine thread where a test can run code: hold a task at a
// checkpoint barrier, count how often a stage passes, release it later. Without a test's callback
// a sync point costs one relaxed atomic load. (RocksDB's TEST_SYNC_POINT serves the same purpose.)
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

namespace tally {

class SyncPoints {
public:
    // Runs `callback` on the engine thread that reaches `name`, every time it does, until
    // clear(). Thread-safe.
    static void set(std::string name, std::function<void()> callback);
    static void clear();
    // Tests of whole processes: TALLY_KILL_AT=NAME:N makes the process SIGKILL itself the N-th
    // time a thread reaches sync point NAME (as RocksDB's crash tests kill at named points), e.g.
    // between writing a checkpoint file and renaming it; TALLY_HOLD_AT=NAME:N stops that thread
    // there for good, after printing "tally: held at sync point NAME" to stderr (a checkpoint
    // write that never ends, deterministically). Returns a line for each it armed, to print.
    static std::string armFromEnvironment();

    static void process(std::string_view name)
    {
        if (s_active.load(std::memory_order_relaxed))
            processSlow(name);
    }

private:
    static void processSlow(std::string_view name);
    static std::atomic<bool> s_active;
};

} // namespace tally
