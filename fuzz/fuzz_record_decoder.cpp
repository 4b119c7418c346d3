// The record decoder (JSON and Protobuf, schema v1 and v2) on arbitrary bytes: it must decode or
// refuse with a reason, never crash, and an event it accepts must be one the engine can count
// (event time within the limits) and must survive encoding and decoding again unchanged.
#include "event/codec.h"

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static tally::RecordDecoder decoder;
    static const tally::DecodeLimits limits;
    const auto result = decoder.decode(std::string_view(reinterpret_cast<const char *>(data), size));
    const auto *event = std::get_if<tally::LikeEvent>(&result);
    if (!event)
        return 0;
    if (event->eventTimeMs < limits.minEventTimeMs || event->eventTimeMs > limits.maxEventTimeMs)
        std::abort();
    for (const auto format : {tally::WireFormat::Json, tally::WireFormat::Protobuf}) {
        const auto again = decoder.decode(tally::encodeRecord(*event, format));
        const auto *same = std::get_if<tally::LikeEvent>(&again);
        if (!same || !(*same == *event))
            std::abort();
    }
    return 0;
}
