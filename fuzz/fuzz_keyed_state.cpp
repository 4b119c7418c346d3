// Keyed-state snapshots and the changes of incremental checkpoints (window/keyed_state.h) on
// arbitrary bytes, resealed with a valid checksum: decoded or refused, never a crash; what
// decodes and passes the restore checks (window/aggregations.h) encodes back to the same
// snapshot; decoded changes apply to the empty state leaving it sorted, one record per count.
#include "reseal.h"
#include "window/aggregations.h"
#include "window/keyed_state.h"

#include <algorithm>
#include <cstdlib>
#include <tuple>

namespace {

void checkChanges(const std::string &bytes)
{
    auto changes = tally::decodeKeyedStateChanges(bytes);
    if (!changes)
        return;
    auto again = tally::decodeKeyedStateChanges(tally::encodeKeyedStateChanges(*changes));
    if (!again || again->records.keyGroups != changes->records.keyGroups || again->dropped != changes->dropped ||
        again->fired != changes->fired)
        std::abort();
    tally::KeyedStateSnapshot state;
    tally::applyChanges(state, std::move(changes).value());
    for (const auto &group : state.keyGroups)
        if (std::adjacent_find(group.begin(), group.end(), [](const auto &a, const auto &b) {
                return std::tie(a.structure, a.key, a.ns) >= std::tie(b.structure, b.key, b.ns);
            }) != group.end())
            std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::string bytes = tally::fuzz::reseal(data, size);
    checkChanges(bytes);
    auto snapshot = tally::decodeKeyedState(bytes);
    if (!snapshot)
        return 0;
    (void)tally::checkRestorable(*snapshot);
    auto again = tally::decodeKeyedState(tally::encodeKeyedState(*snapshot));
    if (!again || again->watermark != snapshot->watermark || again->keyGroups != snapshot->keyGroups)
        std::abort();
    return 0;
}
