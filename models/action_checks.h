// Pre-flight checks, dry runs and verifications of the operator actions (ActionCatalogue). Before
// an action changes anything, its named checks say whether it can succeed: each passes, fails
// with what it found, or says it could not be evaluated (a broker that does not answer), which is
// no pass either. A dry run says in one paragraph what the action will do. After it ran, its
// verification watches the console's samples until it sees the action worked or its time is up.
// The EngineHost writes all three to the audit log; the consoles show them.
#pragma once

#include "config/job_config.h"
#include "models/action_catalogue.h"
#include "models/console_snapshot.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tally {

struct CheckResult {
    enum class State { Passed, Failed, Unknown };
    std::string name; // "positions_retained": the check, as the audit log and the REST API name it
    State state = State::Unknown;
    std::string detail; // English: what it found
};
std::string_view checkStateName(CheckResult::State state); // "passed", "failed", "unknown"

// What the checks and the dry run read, taken on the GUI thread when the action is asked for.
struct ActionContext {
    OperatorAction action = OperatorAction::PauseSource;
    JobConfig config;            // the running job's
    int parallelism = 0;         // rescale: the target
    std::string restoreFrom;     // restore: the listed file
    uint64_t stateRecords = 0;   // the counts the running job's window tasks hold now
    std::optional<double> residentBytes;
    std::optional<double> memoryLimitBytes;
    uint64_t pendingRows = 0;
    uint64_t eventsIn = 0;
    std::optional<CapacityModel> capacity; // what a record costs each operator, when measured
    std::optional<double> cores;
};
ActionContext actionContext(OperatorAction action, const JobConfig &config, const ConsoleSnapshot &snapshot);

// The names of the checks `action` runs, in order (none: the action only needs to be available).
std::vector<std::string> preflightChecks(OperatorAction action);
// Runs them. May read files and ask the broker (for about 10 s at most each): not on the GUI thread.
std::vector<CheckResult> runPreflight(const ActionContext &context);
bool preflightPassed(const std::vector<CheckResult> &checks);
// "savepoint_space passed: 12.3 GB free, about 41 MB needed; positions_retained failed: ..."
std::string describeChecks(const std::vector<CheckResult> &checks);

// What the action will do, in English, from the context alone (nothing is asked of the broker).
std::string dryRun(const ActionContext &context);

// Watches the samples after an action succeeded: done once it saw the action work, or failed
// when its time is up; the outcome says what it saw. Actions without a verification have none.
class Verification {
public:
    struct Outcome {
        bool verified = false;
        std::string detail; // English
    };
    // When the action succeeded; nullopt: it has no verification. The context's figures are the
    // sample before it ran.
    static std::optional<Verification> start(const ActionContext &context, int64_t nowMs);
    // The outcome, once there is one.
    std::optional<Outcome> check(const ConsoleSnapshot &now, int64_t nowMs);

private:
    OperatorAction m_action = OperatorAction::PauseSource;
    int64_t m_startedMs = 0;
    int64_t m_deadlineMs = 0;
    uint64_t m_eventsBefore = 0;
    std::optional<double> m_lowestLag; // Kafka, rescale/restore: the lowest total lag seen so far
    int m_lagDrops = 0;                // samples whose total lag was below every earlier one
};

// A savepoint's verification: its file reads back whole (reads all of it).
Verification::Outcome verifySavepointFile(const std::string &path);

} // namespace tally
