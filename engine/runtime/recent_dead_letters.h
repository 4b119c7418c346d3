// RecentDeadLetters keeps the newest dead letters of the run for the consoles' dead-letter
// browser: what was refused, why, from where, and its bytes. The lasting record is the sink's
// dead_letters table (or the dead-letter topic); this is the on-call view of what is being
// refused now, the same whatever the source and sink. Bounded: kKept letters, each payload cut
// to kPayloadBytes. The output stage feeds it; readers take copies. Thread-safe.
#pragma once

#include "core/results.h"
#include "event/codec.h"

#include <array>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace tally {

class RecentDeadLetters {
public:
    static constexpr size_t kKept = 1000;
    static constexpr size_t kPayloadBytes = 4096;

    void note(std::span<const DeadLetter> letters, int64_t nowMs);

    // The newest `limit` letters (of `reason`, if given) older than sequence `before`, newest first.
    std::vector<BrowsedDeadLetter> newest(std::optional<RejectReason> reason, size_t limit,
                                         uint64_t before = std::numeric_limits<uint64_t>::max()) const;
    // Letters noted this run, by reason (all of them, not only those kept).
    std::array<uint64_t, kRejectReasonCount> totals() const;

private:
    mutable std::mutex m_mutex;
    std::deque<BrowsedDeadLetter> m_kept; // oldest first
    uint64_t m_sequence = 0;
    std::array<uint64_t, kRejectReasonCount> m_totals{};
};

} // namespace tally
