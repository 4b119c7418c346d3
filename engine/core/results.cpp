#include "core/results.h"

#include "util/byte_io.h"

#include <cstring>

namespace tally {

std::string_view aggregationName(Aggregation a)
{
    static constexpr std::string_view kNames[] = {"likes_per_post", "trending_hourly", "likes_by_region",
                                                   "like_velocity", "spam_suspects"};
    static_assert(std::size(kNames) == kAggregationCount);
    return kNames[static_cast<size_t>(a)];
}

std::string keyText(Aggregation a, uint64_t key)
{
    if (a != Aggregation::LikesByRegion)
        return std::to_string(key);
    std::string s = regionName(static_cast<RegionCode>(key & 0xffff));
    const auto device = static_cast<DeviceType>((key >> 16) & 0xff);
    if (device != DeviceType::None) {
        s += '/';
        s += deviceTypeName(device);
    }
    return s;
}

} // namespace tally

namespace tally {

std::string_view deliveryName(Delivery d) { return d == Delivery::ExactlyOnce ? "exactly_once" : "at_least_once"; }

std::string droppedByNames(uint32_t mask)
{
    std::string s;
    for (size_t i = 0; i < kAggregationCount; ++i) {
        if (!(mask & (1u << i)))
            continue;
        if (!s.empty())
            s += ',';
        s += aggregationName(static_cast<Aggregation>(i));
    }
    return s;
}

namespace {

constexpr size_t kPackedRowSize = 1 + 1 + 1 + 8 + 8 + 8 + 8 + 8; // agg, kind, flag, start, end, key, value, epoch

template <typename T>
T get(const char *&p)
{
    T v;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return v;
}

} // namespace

std::string packRows(std::span<const OutputRow> rows)
{
    std::string out;
    out.reserve(rows.size() * kPackedRowSize);
    for (const OutputRow &r : rows) {
        putBytes<uint8_t>(out, static_cast<uint8_t>(r.aggregation));
        putBytes<uint8_t>(out, static_cast<uint8_t>(r.kind));
        putBytes<uint8_t>(out, r.flag ? 1 : 0);
        putBytes<int64_t>(out, r.windowStartMs);
        putBytes<int64_t>(out, r.windowEndMs);
        putBytes<uint64_t>(out, r.key);
        putBytes<int64_t>(out, r.value);
        putBytes<uint64_t>(out, r.epoch);
    }
    return out;
}

Result<std::vector<OutputRow>> unpackRows(std::string_view packed)
{
    if (packed.size() % kPackedRowSize != 0)
        return Status::corruption("packed rows: " + std::to_string(packed.size()) +
                                  " bytes are not a whole number of rows");
    std::vector<OutputRow> rows(packed.size() / kPackedRowSize);
    const char *p = packed.data();
    for (OutputRow &r : rows) {
        const auto aggregation = get<uint8_t>(p);
        const auto kind = get<uint8_t>(p);
        if (aggregation >= kAggregationCount || kind > static_cast<uint8_t>(OutputRow::Kind::Delete))
            return Status::corruption("packed rows: a row names an unknown aggregation or kind");
        r.aggregation = static_cast<Aggregation>(aggregation);
        r.kind = static_cast<OutputRow::Kind>(kind);
        r.flag = get<uint8_t>(p) != 0;
        r.windowStartMs = get<int64_t>(p);
        r.windowEndMs = get<int64_t>(p);
        r.key = get<uint64_t>(p);
        r.value = get<int64_t>(p);
        r.epoch = get<uint64_t>(p);
    }
    return rows;
}

} // namespace tally
