// A record codec turns serialized like events (JSON or Protobuf, schema v1 or v2) into LikeEvents,
// or into a RejectReason that sends the record to the dead-letter output.
//
// Wire framing (Confluent-style): byte 0 is the magic 0x00, bytes 1..4 the schema id (big-endian),
// then the payload. Schema ids: 1 JSON v1, 2 JSON v2, 3 Protobuf v1, 4 Protobuf v2.
// JSON payload: {"event_id":u64,"post_id":u64,"user_id":u64,"region":"US","action":"like"|"unlike",
//                "event_time_ms":i64[,"device_type":"ios"|"android"|"web"|"other"]}   (v2 only)
// Protobuf payload: message tally.pb.LikeEvent in event/like_event.proto.
#pragma once

#include "event/like_event.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace tally {

enum class RejectReason : uint8_t {
    Malformed,           // not parseable: bad framing, bad JSON, bad protobuf wire data
    MissingField,        // a required field is absent
    WrongType,           // a field has the wrong type (string where a number belongs, ...)
    InvalidValue,        // right type, impossible value (region "usa", action "love", device "fax")
    UnknownSchema,       // schema id not in the registry above
    TimestampOutOfRange, // event time outside DecodeLimits
    Oversize,            // record larger than DecodeLimits::maxRecordBytes
    kCount
};
constexpr size_t kRejectReasonCount = static_cast<size_t>(RejectReason::kCount);
std::string_view rejectReasonName(RejectReason r); // snake_case, stable: used in metrics and DLQ headers
std::optional<RejectReason> rejectReasonFromName(std::string_view name);

enum class WireFormat : uint8_t { Json, Protobuf };
std::string_view wireFormatName(WireFormat f);

constexpr uint32_t schemaIdFor(WireFormat f, int schemaVersion)
{
    return (f == WireFormat::Json ? 0u : 2u) + static_cast<uint32_t>(schemaVersion);
}

struct DecodeLimits {
    size_t maxRecordBytes = 4096;                // default 4 KiB
    int64_t minEventTimeMs = 946684800000LL;     // default 2000-01-01T00:00:00Z
    int64_t maxEventTimeMs = 4102444800000LL;    // default 2100-01-01T00:00:00Z
};

struct DecodeError {
    RejectReason reason;
    std::string detail; // short human-readable explanation, e.g. "field 'post_id' is a string"
};

using DecodeResult = std::variant<LikeEvent, DecodeError>;

// Decodes framed records. Not thread-safe: one decoder per thread (it owns parser buffers).
class RecordDecoder {
public:
    explicit RecordDecoder(DecodeLimits limits = {});
    ~RecordDecoder();
    RecordDecoder(const RecordDecoder &) = delete;
    RecordDecoder &operator=(const RecordDecoder &) = delete;

    DecodeResult decode(std::span<const std::byte> record);
    DecodeResult decode(std::string_view record)
    {
        return decode(std::as_bytes(std::span(record.data(), record.size())));
    }

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

// Encodes a framed record. The event's schemaVersion (1 or 2) selects the schema; v1 omits
// device_type. Thread-safe.
std::string encodeRecord(const LikeEvent &event, WireFormat format);

} // namespace tally
