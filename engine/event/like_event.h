// A LikeEvent is one tap on a heart (or its undo): the unit every aggregation counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tally {

enum class Action : uint8_t { Like = 0, Unlike = 1 };

// Device types known to schema v2; None means the field was absent (always so in v1).
enum class DeviceType : uint8_t { None = 0, Ios, Android, Web, Other, kCount };

std::string_view actionName(Action a);
std::optional<Action> parseAction(std::string_view s);
std::string_view deviceTypeName(DeviceType d);
std::optional<DeviceType> parseDeviceType(std::string_view s);

// ISO 3166 alpha-2 region packed into 16 bits ('U' << 8 | 'S'); 0 is "no region".
using RegionCode = uint16_t;
std::optional<RegionCode> parseRegion(std::string_view s); // two ASCII upper-case letters
std::string regionName(RegionCode r);

struct LikeEvent {
    uint64_t eventId = 0;
    uint64_t postId = 0;
    uint64_t userId = 0;
    int64_t eventTimeMs = 0; // event time, milliseconds since the Unix epoch (UTC)
    RegionCode region = 0;
    Action action = Action::Like;
    DeviceType deviceType = DeviceType::None; // schema v2 only, optional
    uint8_t schemaVersion = 1;                // 1 or 2

    friend bool operator==(const LikeEvent &, const LikeEvent &) = default;
};

} // namespace tally
