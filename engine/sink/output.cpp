#include "sink/output.h"

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

Status OutputSink::commitEpoch(uint64_t) { return Status::ok(); }

uint64_t OutputSink::committedEpoch() const { return 0; }

std::future<Status> OutputSink::drain()
{
    std::promise<Status> done;
    done.set_value(Status::unimplemented("this sink cannot drain"));
    return done.get_future();
}

Status OutputSink::resumeWrites() { return Status::unimplemented("this sink cannot hold writes"); }

Status OutputSink::setDivert(bool) { return Status::unimplemented("this sink cannot divert"); }

} // namespace tally
