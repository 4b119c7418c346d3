// The control channel carries commands into a running job. Source commands wait for the source
// thread, which executes them between batches, in order; sink commands go to the sink (a drain
// goes through the output stage, which closes the epoch first). The job also asks the source to
// publish positions here (the Kafka group's committed offsets) once the sink stored what they cover.
#pragma once

#include "util/status.h"

#include <cstdint>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tally {

enum class SourceCommand {
    Pause, // stop reading (a Kafka consumer keeps polling, so the group sees it alive)
    Resume
};

enum class SinkCommand {
    Drain,        // close the current epoch, write every result so far, then hold writes
    ResumeWrites, // end a drain's hold
    Divert,       // while the database is unreachable, spill results to the local buffer
    Undivert      // stop spilling new results (the buffer still replays)
};

// Thread-safe; one consumer (the source thread) calls take().
class SourceControl {
public:
    struct Request {
        SourceCommand command;
        std::promise<Status> done;
    };
    struct Mail {
        std::deque<Request> commands;
        std::optional<std::vector<int64_t>> commit; // per partition the next offset; -1: not known
    };

    std::future<Status> submit(SourceCommand command);
    // Replaces positions not yet published: only the newest matter.
    void commitPositions(std::vector<int64_t> nextOffsets);
    Mail take();
    // The source stopped: waiting and later commands are answered with `why`.
    void close(const std::string &why);

private:
    std::mutex m_mutex;
    Mail m_mail;
    std::optional<std::string> m_closed;
};

} // namespace tally
