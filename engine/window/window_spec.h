// A WindowSpec is the shape of one event-time window (size and slide, aligned to the epoch) and
// the rules that say, for a watermark, whether a window has fired and whether it still accepts
// late data. Both the source (to classify and count late events) and the window operators (to
// keep state) apply exactly these rules, so their decisions always agree.
#pragma once

#include <cstdint>

namespace tally {

constexpr int64_t floorDiv(int64_t a, int64_t b)
{
    const int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
constexpr int64_t alignDown(int64_t t, int64_t unit) { return floorDiv(t, unit) * unit; }

enum class Lateness : uint8_t {
    OnTime,  // no window containing the event has fired yet
    Late,    // some window has fired, but at least one still accepts it: it re-fires
    Dropped  // every window containing the event is past its allowed lateness
};

struct WindowSpec {
    int64_t sizeMs = 60000;
    int64_t slideMs = 60000; // == sizeMs for tumbling windows; divides sizeMs for sliding ones

    bool isTumbling() const { return sizeMs == slideMs; }
    // A window [start, start + size) fires once the watermark reaches its last millisecond.
    bool fired(int64_t windowStart, int64_t watermark) const { return watermark >= windowStart + sizeMs - 1; }
    // ... and is dropped when the watermark is `lateness` past that.
    bool expired(int64_t windowStart, int64_t watermark, int64_t latenessMs) const
    {
        return watermark - latenessMs >= windowStart + sizeMs - 1;
    }
    // Start of the latest window that has fired at `watermark`.
    int64_t lastFiredStart(int64_t watermark) const { return alignDown(watermark - sizeMs + 1, slideMs); }

    Lateness classify(int64_t eventTimeMs, int64_t watermark, int64_t latenessMs) const
    {
        const int64_t latestStart = alignDown(eventTimeMs, slideMs);
        const int64_t earliestStart = latestStart - sizeMs + slideMs;
        if (expired(latestStart, watermark, latenessMs))
            return Lateness::Dropped;
        return fired(earliestStart, watermark) ? Lateness::Late : Lateness::OnTime;
    }
};

} // namespace tally
