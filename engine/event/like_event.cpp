#include "event/like_event.h"

namespace tally {

namespace {
constexpr std::string_view kDeviceNames[] = {"", "ios", "android", "web", "other"};
static_assert(std::size(kDeviceNames) == static_cast<size_t>(DeviceType::kCount));
} // namespace

std::string_view actionName(Action a) { return a == Action::Like ? "like" : "unlike"; }

std::optional<Action> parseAction(std::string_view s)
{
    if (s == "like")
        return Action::Like;
    if (s == "unlike")
        return Action::Unlike;
    return std::nullopt;
}

std::string_view deviceTypeName(DeviceType d) { return kDeviceNames[static_cast<size_t>(d)]; }

std::optional<DeviceType> parseDeviceType(std::string_view s)
{
    for (size_t i = 1; i < std::size(kDeviceNames); ++i)
        if (kDeviceNames[i] == s)
            return static_cast<DeviceType>(i);
    return std::nullopt;
}

std::optional<RegionCode> parseRegion(std::string_view s)
{
    if (s.size() != 2)
        return std::nullopt;
    for (char c : s)
        if (c < 'A' || c > 'Z')
            return std::nullopt;
    return static_cast<RegionCode>((static_cast<unsigned>(s[0]) << 8) | static_cast<unsigned>(s[1]));
}

std::string regionName(RegionCode r)
{
    if (r == 0)
        return {};
    return {static_cast<char>(r >> 8), static_cast<char>(r & 0xff)};
}

} // namespace tally
