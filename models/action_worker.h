// The action worker is the one thread that carries out operator actions off the GUI thread. It
// starts each action in turn and then watches its outcome without blocking on it, so a drain that
// waits for a dead database does not hold up the divert that gets the sink going again. Only a
// step that blocks by nature (a rescale) holds the queue while it runs.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tally {

struct ActionOutcome {
    bool ok = false;
    std::string message; // English: the savepoint's file, or why it failed
    bool refused = false; // its pre-flight checks refused it: nothing was done
    // Where the action's verification ran with it (a savepoint read back): whether it verified,
    // and what it saw.
    std::optional<bool> verified;
    std::string verification;
};

// Thread-safe post(); start, poll and done run on the worker thread.
class ActionWorker {
public:
    // Returns the outcome once it is known, nullopt while the action is still running.
    using Poll = std::function<std::optional<ActionOutcome>()>;
    using Start = std::function<Poll()>;
    using Done = std::function<void(const ActionOutcome &)>;

    ActionWorker();
    ~ActionWorker(); // waits for the actions started so far
    ActionWorker(const ActionWorker &) = delete;
    ActionWorker &operator=(const ActionWorker &) = delete;

    void post(Start start, Done done);

private:
    void run();

    struct Queued {
        Start start;
        Done done;
    };
    struct Running {
        Poll poll;
        Done done;
    };
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Queued> m_queue; // guarded by m_mutex
    bool m_stopping = false;    // guarded by m_mutex
    std::vector<Running> m_running; // worker thread only
    std::thread m_thread;
};

} // namespace tally
