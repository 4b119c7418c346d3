// The record codec maps framed like-event records (JSON or Protobuf, schema v1 or v2) to LikeEvents
// and back, and names the reason for every record it refuses.
//
// Decisions the header leaves open, applied to both wire formats:
// - Reason precedence: oversize, then framing (malformed / unknown_schema), then anything that makes
//   the payload unparseable (malformed, which includes a duplicated known JSON field), then the
//   first field-level problem in document order (wrong_type, invalid_value, timestamp_out_of_range),
//   then the first missing required field in declaration order. Protobuf has no document order:
//   there a known field sent with the wrong wire type comes first, then the fields in declaration
//   order, missing ones included.
// - A v1 record that carries device_type is invalid_value: the schema id is the producer's promise,
//   and silently dropping the device would hide a misconfigured producer from the v2 breakdowns.
//   A JSON `"device_type": null` means "absent" in both versions.
// - Negative, fractional or too large ids are wrong_type (not an unsigned 64-bit integer); an
//   integral event_time_ms beyond int64 is timestamp_out_of_range, a fractional one wrong_type.
// - JSON field names are matched byte for byte, so an escaped spelling of a known name ("post\u005fid")
//   is an unknown field. Unknown fields are allowed but must be well-formed JSON.
#include "event/codec.h"

#include "event/like_event.pb.h"

#include <simdjson.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <charconv>
#include <climits>
#include <cstring>
#include <exception>
#include <optional>
#include <vector>

namespace tally {

namespace {

namespace od = simdjson::ondemand;

constexpr size_t kHeaderBytes = 5;
constexpr auto kMagic = std::byte{0x00};
// Buffers are sized for the record limit up front so that steady-state decoding never allocates;
// a huge configured limit should not cost that much memory per decoder before it is ever needed.
constexpr size_t kMaxPreallocatedBytes = size_t{1} << 20;
// Unknown JSON fields are validated recursively, so nesting is bounded; legitimate records are
// flat, and anything nested deeper is refused as malformed.
constexpr int kMaxJsonDepth = 32;

enum class Field : uint8_t { EventId, PostId, UserId, Region, Action, EventTime, Device, Count, None };
constexpr std::string_view kFieldNames[] = {"event_id", "post_id", "user_id", "region",
                                            "action", "event_time_ms", "device_type"};
static_assert(std::size(kFieldNames) == static_cast<size_t>(Field::Count));

constexpr unsigned bit(Field f) { return 1u << static_cast<unsigned>(f); }
constexpr unsigned kRequiredFields = bit(Field::Device) - 1;

// A problem found while reading a record. It holds only static text so that the reader can carry
// it past later fields (a later malformation takes precedence) without allocating; the detail
// string is built once, when the record is actually rejected.
struct Failure {
    RejectReason reason = RejectReason::kCount; // kCount: no failure
    Field field = Field::None;
    std::string_view what;
    std::string_view got = {}; // the JSON type actually found, for wrong_type
    std::optional<int64_t> value = {}; // the offending number, for timestamp_out_of_range

    explicit operator bool() const { return reason != RejectReason::kCount; }
};

DecodeError toError(const Failure &f)
{
    std::string detail;
    detail.reserve(64);
    if (f.field < Field::Count) {
        detail += "field '";
        detail += kFieldNames[static_cast<size_t>(f.field)];
        detail += "': ";
    }
    if (f.value) {
        char digits[24];
        detail.append(digits, std::to_chars(digits, digits + sizeof digits, *f.value).ptr);
        detail += " is ";
    }
    detail += f.what;
    if (!f.got.empty()) {
        detail += ", got ";
        detail += f.got;
    }
    return {f.reason, std::move(detail)};
}

DecodeError reject(RejectReason reason, Field field, std::string_view what)
{
    return toError({reason, field, what});
}

DecodeError malformed(std::string_view what) { return reject(RejectReason::Malformed, Field::None, what); }

std::string_view jsonErrorText(simdjson::error_code e)
{
    switch (e) {
    case simdjson::EMPTY:
        return "invalid JSON: empty payload";
    case simdjson::UNCLOSED_STRING:
        return "invalid JSON: unclosed string";
    case simdjson::UTF8_ERROR:
        return "invalid JSON: invalid UTF-8";
    case simdjson::UNESCAPED_CHARS:
        return "invalid JSON: unescaped control character in string";
    case simdjson::STRING_ERROR:
        return "invalid JSON: bad string escape";
    case simdjson::NUMBER_ERROR:
        return "invalid JSON: bad number";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
        return "invalid JSON: bad literal";
    case simdjson::DEPTH_ERROR:
        return "invalid JSON: nested too deep";
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
        return "invalid JSON: unbalanced braces, or content after the object";
    case simdjson::INCORRECT_TYPE:
        return "invalid JSON: top level is not an object";
    case simdjson::TAPE_ERROR:
    default:
        return "invalid JSON: bad structure";
    }
}

std::string_view jsonTypeName(od::json_type t)
{
    switch (t) {
    case od::json_type::array:
        return "array";
    case od::json_type::object:
        return "object";
    case od::json_type::number:
        return "number";
    case od::json_type::string:
        return "string";
    case od::json_type::boolean:
        return "boolean";
    case od::json_type::null:
        return "null";
    }
    return "unknown";
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// simdjson's typed getters cannot tell "valid number of another kind" from "not a number", and its
// double parser refuses valid literals such as 1e400; the JSON grammar itself settles it. The token
// may carry the whitespace that precedes the next structural character.
bool isJsonNumber(std::string_view tok)
{
    size_t i = 0;
    const size_t n = tok.size();
    if (i < n && tok[i] == '-')
        ++i;
    if (i >= n)
        return false;
    if (tok[i] == '0') {
        ++i;
    } else if (isDigit(tok[i])) {
        while (i < n && isDigit(tok[i]))
            ++i;
    } else {
        return false;
    }
    if (i < n && tok[i] == '.') {
        ++i;
        if (i >= n || !isDigit(tok[i]))
            return false;
        while (i < n && isDigit(tok[i]))
            ++i;
    }
    if (i < n && (tok[i] == 'e' || tok[i] == 'E')) {
        ++i;
        if (i < n && (tok[i] == '+' || tok[i] == '-'))
            ++i;
        if (i >= n || !isDigit(tok[i]))
            return false;
        while (i < n && isDigit(tok[i]))
            ++i;
    }
    for (; i < n; ++i)
        if (tok[i] != ' ' && tok[i] != '\t' && tok[i] != '\n' && tok[i] != '\r')
            return false;
    return true;
}

bool isIntegerToken(std::string_view tok) { return tok.find_first_of(".eE") == std::string_view::npos; }

// On Demand skips values it is not asked about without fully validating them; this walks a value
// we will not read so that a record is malformed exactly when it is not JSON. Returns nullptr when
// the value is well-formed, else a short reason.
const char *checkJsonValue(od::value &v, int depth)
{
    if (depth > kMaxJsonDepth)
        return "invalid JSON: nested too deep";
    od::json_type t;
    if (v.type().get(t))
        return "invalid JSON: unexpected character";
    switch (t) {
    case od::json_type::object: {
        od::object object;
        if (auto e = v.get_object().get(object))
            return jsonErrorText(e).data();
        for (auto member : object) {
            od::field field;
            if (auto e = std::move(member).get(field))
                return jsonErrorText(e).data();
            std::string_view key;
            if (field.unescaped_key().get(key))
                return "invalid JSON: bad string escape";
            if (const char *bad = checkJsonValue(field.value(), depth + 1))
                return bad;
        }
        return nullptr;
    }
    case od::json_type::array: {
        od::array array;
        if (auto e = v.get_array().get(array))
            return jsonErrorText(e).data();
        for (auto element : array) {
            od::value item;
            if (auto e = std::move(element).get(item))
                return jsonErrorText(e).data();
            if (const char *bad = checkJsonValue(item, depth + 1))
                return bad;
        }
        return nullptr;
    }
    case od::json_type::number:
        return isJsonNumber(v.raw_json_token()) ? nullptr : "invalid JSON: bad number";
    case od::json_type::string: {
        std::string_view s;
        return v.get_string().get(s) ? "invalid JSON: bad string escape" : nullptr;
    }
    case od::json_type::boolean: {
        bool b;
        return v.get_bool().get(b) ? "invalid JSON: bad literal" : nullptr;
    }
    case od::json_type::null: {
        bool isNull = false;
        return (v.is_null().get(isNull) || !isNull) ? "invalid JSON: bad literal" : nullptr;
    }
    }
    return "invalid JSON: unexpected character";
}

// The readers below try the expected type first and look at what the value really is only when
// that fails: a getter that fails leaves the value unconsumed, and the happy path stays one call.
Failure classifyMismatch(od::value &v, Field f, std::string_view expected, od::json_type wanted)
{
    od::json_type t;
    if (v.type().get(t))
        return {RejectReason::Malformed, f, "invalid JSON: unexpected character"};
    if (t == wanted) // the getter refused a value of the right JSON type: it is not valid JSON
        return {RejectReason::Malformed, f, wanted == od::json_type::string ? "invalid JSON: bad string escape"
                                                                            : "invalid JSON: bad number"};
    if (const char *bad = checkJsonValue(v, 1))
        return {RejectReason::Malformed, f, bad};
    return {RejectReason::WrongType, f, expected, jsonTypeName(t)};
}

Failure readUnsigned(od::value &v, Field f, uint64_t &out)
{
    constexpr std::string_view kExpected = "expected unsigned 64-bit integer";
    if (!v.get_uint64().get(out))
        return {};
    const std::string_view tok = v.raw_json_token();
    if (!isJsonNumber(tok))
        return classifyMismatch(v, f, kExpected, od::json_type::number);
    if (tok.front() == '-')
        return {RejectReason::WrongType, f, kExpected, "negative number"};
    if (isIntegerToken(tok))
        return {RejectReason::WrongType, f, kExpected, "integer above 2^64-1"};
    return {RejectReason::WrongType, f, kExpected, "number with a fraction or exponent"};
}

constexpr std::string_view kOutOfRange = "outside the accepted event-time range";

Failure readEventTime(od::value &v, const DecodeLimits &limits, int64_t &out)
{
    constexpr Field f = Field::EventTime;
    constexpr std::string_view kExpected = "expected integer milliseconds";
    if (v.get_int64().get(out)) {
        const std::string_view tok = v.raw_json_token();
        if (!isJsonNumber(tok))
            return classifyMismatch(v, f, kExpected, od::json_type::number);
        if (isIntegerToken(tok))
            return {RejectReason::TimestampOutOfRange, f, "outside the 64-bit range"};
        return {RejectReason::WrongType, f, kExpected, "number with a fraction or exponent"};
    }
    if (out < limits.minEventTimeMs || out > limits.maxEventTimeMs)
        return {RejectReason::TimestampOutOfRange, f, kOutOfRange, {}, out};
    return {};
}

Failure readString(od::value &v, Field f, std::string_view &out)
{
    if (!v.get_string().get(out))
        return {};
    return classifyMismatch(v, f, "expected string", od::json_type::string);
}

// Known field names compared in place against the raw key, so no key is ever unescaped or copied.
Field matchField(od::raw_json_string key)
{
    const auto is = [&key](Field f) { return key.unsafe_is_equal(kFieldNames[static_cast<size_t>(f)]); };
    switch (key.raw()[0]) {
    case 'e':
        return is(Field::EventId) ? Field::EventId : is(Field::EventTime) ? Field::EventTime : Field::None;
    case 'p':
        return is(Field::PostId) ? Field::PostId : Field::None;
    case 'u':
        return is(Field::UserId) ? Field::UserId : Field::None;
    case 'r':
        return is(Field::Region) ? Field::Region : Field::None;
    case 'a':
        return is(Field::Action) ? Field::Action : Field::None;
    case 'd':
        return is(Field::Device) ? Field::Device : Field::None;
    default:
        return Field::None;
    }
}

constexpr std::string_view kRegionRule = "expected two upper-case ASCII letters";
constexpr std::string_view kActionRule = "expected \"like\" or \"unlike\"";
constexpr std::string_view kDeviceRule = "expected \"ios\", \"android\", \"web\" or \"other\"";
constexpr std::string_view kNotInV1 = "not part of schema v1";

Failure checkRegion(std::string_view s, LikeEvent &ev)
{
    const auto region = parseRegion(s);
    if (!region)
        return {RejectReason::InvalidValue, Field::Region, kRegionRule};
    ev.region = *region;
    return {};
}

Failure checkAction(std::string_view s, LikeEvent &ev)
{
    const auto action = parseAction(s);
    if (!action)
        return {RejectReason::InvalidValue, Field::Action, kActionRule};
    ev.action = *action;
    return {};
}

Failure checkDevice(std::string_view s, LikeEvent &ev)
{
    const auto device = parseDeviceType(s);
    if (!device)
        return {RejectReason::InvalidValue, Field::Device, kDeviceRule};
    ev.deviceType = *device;
    return {};
}

Failure readJsonField(Field f, od::value &v, const DecodeLimits &limits, LikeEvent &ev)
{
    std::string_view s;
    switch (f) {
    case Field::EventId:
        return readUnsigned(v, f, ev.eventId);
    case Field::PostId:
        return readUnsigned(v, f, ev.postId);
    case Field::UserId:
        return readUnsigned(v, f, ev.userId);
    case Field::EventTime:
        return readEventTime(v, limits, ev.eventTimeMs);
    case Field::Region:
        if (auto failure = readString(v, f, s))
            return failure;
        return checkRegion(s, ev);
    case Field::Action:
        if (auto failure = readString(v, f, s))
            return failure;
        return checkAction(s, ev);
    case Field::Device: {
        if (ev.schemaVersion == 2 && !v.get_string().get(s))
            return checkDevice(s, ev);
        od::json_type t;
        if (v.type().get(t))
            return {RejectReason::Malformed, f, "invalid JSON: unexpected character"};
        if (t == od::json_type::null || ev.schemaVersion == 1) {
            if (const char *bad = checkJsonValue(v, 1))
                return {RejectReason::Malformed, f, bad};
            return t == od::json_type::null ? Failure{} : Failure{RejectReason::InvalidValue, f, kNotInV1};
        }
        return classifyMismatch(v, f, "expected string", od::json_type::string);
    }
    case Field::Count:
    case Field::None:
        break;
    }
    return {};
}

char *writeFrameHeader(char *out, uint32_t schemaId)
{
    out[0] = static_cast<char>(kMagic);
    out[1] = static_cast<char>(schemaId >> 24);
    out[2] = static_cast<char>(schemaId >> 16);
    out[3] = static_cast<char>(schemaId >> 8);
    out[4] = static_cast<char>(schemaId);
    return out + kHeaderBytes;
}

// A JSON writer over a stack buffer sized for the longest possible record; building the string
// once at the end costs a single allocation.
class JsonWriter {
public:
    explicit JsonWriter(char *out) : m_out(out) {}
    char *end() const { return m_out; }

    void raw(std::string_view s)
    {
        std::memcpy(m_out, s.data(), s.size());
        m_out += s.size();
    }
    template <typename Int>
    void number(Int v)
    {
        m_out = std::to_chars(m_out, m_out + 24, v).ptr;
    }
    // Region bytes are not guaranteed printable (RegionCode is any 16-bit value); escaping keeps the
    // output valid JSON so that the decoder, not a parser error, judges the value.
    void regionString(RegionCode r)
    {
        *m_out++ = '"';
        if (r != 0) {
            escapedChar(static_cast<unsigned char>(r >> 8));
            escapedChar(static_cast<unsigned char>(r & 0xff));
        }
        *m_out++ = '"';
    }

private:
    void escapedChar(unsigned char c)
    {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *m_out++ = static_cast<char>(c);
            return;
        }
        constexpr char kHex[] = "0123456789abcdef";
        raw("\\u00");
        *m_out++ = kHex[c >> 4];
        *m_out++ = kHex[c & 0xf];
    }

    char *m_out;
};

// Header 5 + punctuation and names ~110 + four 20-digit numbers + escaped region 14 + action 8
// + device 9 stays below this.
constexpr size_t kMaxJsonRecordBytes = 256;

std::string encodeJson(const LikeEvent &event, int version)
{
    char buffer[kMaxJsonRecordBytes];
    JsonWriter w(writeFrameHeader(buffer, schemaIdFor(WireFormat::Json, version)));
    w.raw(R"({"event_id":)");
    w.number(event.eventId);
    w.raw(R"(,"post_id":)");
    w.number(event.postId);
    w.raw(R"(,"user_id":)");
    w.number(event.userId);
    w.raw(R"(,"region":)");
    w.regionString(event.region);
    w.raw(R"(,"action":")");
    w.raw(actionName(event.action));
    w.raw(R"(","event_time_ms":)");
    w.number(event.eventTimeMs);
    if (version == 2 && event.deviceType != DeviceType::None) {
        w.raw(R"(,"device_type":")");
        w.raw(deviceTypeName(event.deviceType));
        w.raw("\"");
    }
    w.raw("}");
    assert(static_cast<size_t>(w.end() - buffer) <= sizeof buffer);
    return std::string(buffer, w.end());
}

std::string encodeProtobuf(const LikeEvent &event, int version)
{
    // One message per thread keeps its string capacity between calls; encodeRecord stays
    // thread-safe without a lock.
    thread_local pb::LikeEvent message;
    message.Clear();
    message.set_event_id(event.eventId);
    message.set_post_id(event.postId);
    message.set_user_id(event.userId);
    const char region[2] = {static_cast<char>(event.region >> 8), static_cast<char>(event.region & 0xff)};
    message.set_region(region, event.region != 0 ? 2 : 0);
    const std::string_view action = actionName(event.action);
    message.set_action(action.data(), action.size());
    message.set_event_time_ms(event.eventTimeMs);
    if (version == 2 && event.deviceType != DeviceType::None) {
        const std::string_view device = deviceTypeName(event.deviceType);
        message.set_device_type(device.data(), device.size());
    }
    const size_t payloadBytes = message.ByteSizeLong();
    std::string out(kHeaderBytes + payloadBytes, '\0');
    char *payload = writeFrameHeader(out.data(), schemaIdFor(WireFormat::Protobuf, version));
    message.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t *>(payload));
    return out;
}

} // namespace

std::optional<RejectReason> rejectReasonFromName(std::string_view name)
{
    for (size_t r = 0; r < kRejectReasonCount; ++r)
        if (rejectReasonName(static_cast<RejectReason>(r)) == name)
            return static_cast<RejectReason>(r);
    return std::nullopt;
}

std::string_view rejectReasonName(RejectReason r)
{
    switch (r) {
    case RejectReason::Malformed:
        return "malformed";
    case RejectReason::MissingField:
        return "missing_field";
    case RejectReason::WrongType:
        return "wrong_type";
    case RejectReason::InvalidValue:
        return "invalid_value";
    case RejectReason::UnknownSchema:
        return "unknown_schema";
    case RejectReason::TimestampOutOfRange:
        return "timestamp_out_of_range";
    case RejectReason::Oversize:
        return "oversize";
    case RejectReason::kCount:
        break;
    }
    return "unknown";
}

std::string_view wireFormatName(WireFormat f) { return f == WireFormat::Json ? "json" : "protobuf"; }

struct RecordDecoder::Impl {
    explicit Impl(DecodeLimits l) : limits(l)
    {
        const size_t initial = std::min(limits.maxRecordBytes, kMaxPreallocatedBytes);
        jsonBuffer.resize(initial + simdjson::SIMDJSON_PADDING);
        // Allocation failure here is not fatal: iterate() retries with the size it needs.
        [[maybe_unused]] const auto ignored = json.allocate(std::max<size_t>(initial, 1));
    }

    DecodeResult decode(std::span<const std::byte> record);
    DecodeResult decodeJson(std::span<const std::byte> payload, int version);
    DecodeResult decodeProtobuf(std::span<const std::byte> payload, int version);

    DecodeLimits limits;
    od::parser json;
    // simdjson reads up to SIMDJSON_PADDING bytes past the document, which a caller's record span
    // does not guarantee, so each JSON payload is copied into this padded buffer first.
    std::vector<char> jsonBuffer;
    pb::LikeEvent message;
};

DecodeResult RecordDecoder::Impl::decode(std::span<const std::byte> record)
{
    if (record.size() > limits.maxRecordBytes)
        return DecodeError{RejectReason::Oversize,
                           "record of " + std::to_string(record.size()) + " bytes exceeds the limit of "
                               + std::to_string(limits.maxRecordBytes)};
    if (record.size() < kHeaderBytes)
        return malformed("record shorter than the 5-byte frame header");
    if (record[0] != kMagic) {
        constexpr char kHex[] = "0123456789abcdef";
        const auto b = static_cast<unsigned>(record[0]);
        return malformed(std::string("bad magic byte 0x") + kHex[b >> 4] + kHex[b & 0xf] + " (expected 0x00)");
    }
    const uint32_t schemaId = (static_cast<uint32_t>(record[1]) << 24) | (static_cast<uint32_t>(record[2]) << 16)
        | (static_cast<uint32_t>(record[3]) << 8) | static_cast<uint32_t>(record[4]);
    const auto payload = record.subspan(kHeaderBytes);
    switch (schemaId) {
    case schemaIdFor(WireFormat::Json, 1):
        return decodeJson(payload, 1);
    case schemaIdFor(WireFormat::Json, 2):
        return decodeJson(payload, 2);
    case schemaIdFor(WireFormat::Protobuf, 1):
        return decodeProtobuf(payload, 1);
    case schemaIdFor(WireFormat::Protobuf, 2):
        return decodeProtobuf(payload, 2);
    default:
        return DecodeError{RejectReason::UnknownSchema, "unknown schema id " + std::to_string(schemaId)};
    }
}

DecodeResult RecordDecoder::Impl::decodeJson(std::span<const std::byte> payload, int version)
{
    const size_t size = payload.size();
    if (jsonBuffer.size() < size + simdjson::SIMDJSON_PADDING)
        jsonBuffer.resize(std::max(size + simdjson::SIMDJSON_PADDING, jsonBuffer.size() * 2));
    char *buffer = jsonBuffer.data();
    if (size != 0)
        std::memcpy(buffer, payload.data(), size);
    // The previous record's bytes would otherwise sit in the padding, and simdjson peeks at the
    // first padding byte in one of its balance checks; zeroing keeps decoding a pure function.
    std::memset(buffer + size, 0, simdjson::SIMDJSON_PADDING);

    od::document doc;
    if (auto e = json.iterate(buffer, size, jsonBuffer.size()).get(doc))
        return malformed(jsonErrorText(e));
    od::object object;
    if (auto e = doc.get_object().get(object))
        return malformed(jsonErrorText(e));

    LikeEvent event;
    event.schemaVersion = static_cast<uint8_t>(version);
    unsigned seen = 0;
    Failure firstProblem;
    for (auto member : object) {
        od::field field;
        if (auto e = std::move(member).get(field))
            return malformed(jsonErrorText(e));
        const Field which = matchField(field.key());
        if (which == Field::None) {
            std::string_view key;
            if (field.unescaped_key().get(key))
                return malformed("invalid JSON: bad string escape");
            if (const char *bad = checkJsonValue(field.value(), 1))
                return malformed(bad);
            continue;
        }
        if (seen & bit(which))
            return reject(RejectReason::Malformed, which, "duplicate field");
        seen |= bit(which);
        const Failure failure = readJsonField(which, field.value(), limits, event);
        if (failure.reason == RejectReason::Malformed)
            return toError(failure);
        if (failure && !firstProblem)
            firstProblem = failure;
    }
    // Iterating the object stops at its closing brace; anything after it is not part of the record.
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
        return malformed("invalid JSON: trailing content after the object");
    if (firstProblem)
        return toError(firstProblem);
    if (const unsigned missing = kRequiredFields & ~seen)
        return reject(RejectReason::MissingField, static_cast<Field>(std::countr_zero(missing)), "missing");
    return event;
}

DecodeResult RecordDecoder::Impl::decodeProtobuf(std::span<const std::byte> payload, int version)
{
    message.Clear();
    if (payload.size() > static_cast<size_t>(INT_MAX)
        || !message.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
        return malformed("invalid protobuf wire data");

    // A known field number with an unexpected wire type (say, post_id sent as a string) does not
    // fail the parse: protobuf keeps it as an unknown field and the real field reads as absent.
    const auto &unknown = message.GetReflection()->GetUnknownFields(message);
    for (int i = 0; i < unknown.field_count(); ++i) {
        const int number = unknown.field(i).number();
        if (number >= 1 && number <= static_cast<int>(Field::Count))
            return reject(RejectReason::WrongType, static_cast<Field>(number - 1), "unexpected protobuf wire type");
    }

    LikeEvent event;
    event.schemaVersion = static_cast<uint8_t>(version);
    const auto missing = [](Field f) { return reject(RejectReason::MissingField, f, "missing"); };
    if (!message.has_event_id())
        return missing(Field::EventId);
    event.eventId = message.event_id();
    if (!message.has_post_id())
        return missing(Field::PostId);
    event.postId = message.post_id();
    if (!message.has_user_id())
        return missing(Field::UserId);
    event.userId = message.user_id();
    if (!message.has_region())
        return missing(Field::Region);
    if (auto failure = checkRegion(message.region(), event))
        return toError(failure);
    if (!message.has_action())
        return missing(Field::Action);
    if (auto failure = checkAction(message.action(), event))
        return toError(failure);
    if (!message.has_event_time_ms())
        return missing(Field::EventTime);
    event.eventTimeMs = message.event_time_ms();
    if (event.eventTimeMs < limits.minEventTimeMs || event.eventTimeMs > limits.maxEventTimeMs)
        return toError({RejectReason::TimestampOutOfRange, Field::EventTime, kOutOfRange, {}, event.eventTimeMs});
    if (message.has_device_type()) {
        if (version == 1)
            return reject(RejectReason::InvalidValue, Field::Device, kNotInV1);
        if (auto failure = checkDevice(message.device_type(), event))
            return toError(failure);
    }
    return event;
}

RecordDecoder::RecordDecoder(DecodeLimits limits) : d(std::make_unique<Impl>(limits)) {}

RecordDecoder::~RecordDecoder() = default;

DecodeResult RecordDecoder::decode(std::span<const std::byte> record)
{
    // Both libraries report errors as values here, but protobuf may still throw std::bad_alloc and
    // a bad record must never take the job down.
    try {
        return d->decode(record);
    } catch (const std::exception &e) {
        return DecodeError{RejectReason::Malformed, std::string("decoder failure: ") + e.what()};
    } catch (...) {
        return DecodeError{RejectReason::Malformed, "decoder failure"};
    }
}

std::string encodeRecord(const LikeEvent &event, WireFormat format)
{
    assert(event.schemaVersion == 1 || event.schemaVersion == 2);
    assert(event.deviceType < DeviceType::kCount);
    const int version = event.schemaVersion == 2 ? 2 : 1;
    return format == WireFormat::Json ? encodeJson(event, version) : encodeProtobuf(event, version);
}

} // namespace tally
