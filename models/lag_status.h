// Burrow's lag evaluation for Tally's consumer group: a status per partition from a sliding
// window of samples of the offset the job committed and the log end offset, rather than one lag
// figure. A number says how far behind; the status says whether the consumer is getting anywhere.
#pragma once

#include "models/console_snapshot.h"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>

namespace tally {

class LagStatusEvaluator {
public:
    static constexpr int kWindowSamples = 10;

    // Samples every Kafka partition of `s` (at most one sample per partition a spacing: a
    // checkpoint interval, at least a second, so the window spans ten commits) and sets each
    // partition's lagStatus from its window:
    //  ERR   the broker is unreachable;
    //  none  this consumer has not committed for the partition or does not know its log end (a
    //        partition of another member, or nothing stored yet): not judged;
    //  OK    fewer than two samples, or the committed lag was 0 in any sample;
    //  STOP  no commit for the window's span (at least ten spacings);
    //  STALL commits, but the committed offset did not move;
    //  WARN  the offsets move but the lag grew from each sample to the next;
    //  OK    otherwise.
    void evaluate(ConsoleSnapshot &s);

    struct Sample {
        int64_t atMs = 0;
        int64_t committedOffset = -1;
        int64_t committedAtMs = -1;
        int64_t lag = 0; // log end - committed offset
    };

private:
    std::map<int, std::deque<Sample>> m_windows;
    std::optional<JobState> m_state; // of the last snapshot
};

} // namespace tally
