// Savepoint and checkpoint files (checkpoint/savepoint.h) on arbitrary bytes, resealed with a
// valid checksum: a file is decoded or refused, never crashes or allocates beyond its size, and
// a file that decodes encodes back to the same savepoint.
#include "checkpoint/savepoint.h"
#include "reseal.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string bytes = tally::fuzz::reseal(data, size);
    auto savepoint = tally::decodeSavepoint(bytes);
    if (!savepoint)
        return 0;
    auto again = tally::decodeSavepoint(tally::encodeSavepoint(*savepoint));
    if (!again || again->epoch != savepoint->epoch || again->sourcePositions != savepoint->sourcePositions ||
        again->state.keyGroups != savepoint->state.keyGroups || again->pendingRows != savepoint->pendingRows)
        std::abort();
    return 0;
}
