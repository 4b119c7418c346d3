// Keyed-state snapshots (window/keyed_state.h) on arbitrary bytes, resealed with a valid
// checksum: decoded or refused, never a crash; what decodes and passes the restore checks
// (window/aggregations.h) encodes back to the same snapshot.
#include "reseal.h"
#include "window/aggregations.h"
#include "window/keyed_state.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string bytes = tally::fuzz::reseal(data, size);
    auto snapshot = tally::decodeKeyedState(bytes);
    if (!snapshot)
        return 0;
    (void)tally::checkRestorable(*snapshot);
    auto again = tally::decodeKeyedState(tally::encodeKeyedState(*snapshot));
    if (!again || again->watermark != snapshot->watermark || again->keyGroups != snapshot->keyGroups)
        std::abort();
    return 0;
}
