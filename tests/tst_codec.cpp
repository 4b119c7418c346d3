// The codec test proves that every record the encoder writes decodes back to the same event, and
// that every kind of bad record is refused with its own specific reason, never with a crash.
#include "event/codec.h"

#include <QtTest>

#include <array>
#include <cctype>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace tally;

Q_DECLARE_METATYPE(tally::RejectReason)
Q_DECLARE_METATYPE(tally::WireFormat)
Q_DECLARE_METATYPE(tally::LikeEvent)

// Qt 6.4's QVERIFY2 builds its message even when the check passes; the loops below run 100k times,
// so they build it only on failure.
#define VERIFY_OR_FAIL(condition, message)                                                             \
    do {                                                                                               \
        if (!(condition))                                                                              \
            QFAIL(QByteArray(message).constData());                                                    \
    } while (false)

namespace {

constexpr int64_t kTime = 1700000000000LL; // 2023-11-14, comfortably inside the default limits
constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();
constexpr int64_t kMinI64 = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
const DecodeLimits kDefaultLimits;

QByteArray toBytes(std::string_view s) { return QByteArray(s.data(), static_cast<qsizetype>(s.size())); }

QByteArray frame(uint32_t schemaId, const QByteArray &payload)
{
    QByteArray out(5, '\0');
    out[1] = static_cast<char>(schemaId >> 24);
    out[2] = static_cast<char>(schemaId >> 16);
    out[3] = static_cast<char>(schemaId >> 8);
    out[4] = static_cast<char>(schemaId);
    return out + payload;
}

DecodeResult decodeBytes(RecordDecoder &decoder, const QByteArray &record)
{
    return decoder.decode(std::string_view(record.constData(), static_cast<size_t>(record.size())));
}

QByteArray describe(const LikeEvent &e)
{
    return QByteArray("LikeEvent{event_id=") + QByteArray::number(e.eventId)
        + " post_id=" + QByteArray::number(e.postId)
        + " user_id=" + QByteArray::number(e.userId) + " region=" + toBytes(regionName(e.region))
        + " action=" + toBytes(actionName(e.action)) + " time=" + QByteArray::number(e.eventTimeMs)
        + " device=" + toBytes(deviceTypeName(e.deviceType)) + " v" + QByteArray::number(e.schemaVersion) + "}";
}

QByteArray describe(const DecodeResult &r)
{
    if (const auto *e = std::get_if<LikeEvent>(&r))
        return describe(*e);
    const auto &err = std::get<DecodeError>(r);
    return toBytes(rejectReasonName(err.reason)) + ": " + toBytes(err.detail);
}

bool sameResult(const DecodeResult &a, const DecodeResult &b)
{
    if (a.index() != b.index())
        return false;
    if (const auto *e = std::get_if<LikeEvent>(&a))
        return *e == std::get<LikeEvent>(b);
    const auto &x = std::get<DecodeError>(a);
    const auto &y = std::get<DecodeError>(b);
    return x.reason == y.reason && x.detail == y.detail;
}

// --- JSON payloads built field by field, so that each corpus entry differs from a valid record in
// exactly one way. Values are raw JSON text.
struct JsonField {
    std::string name;
    std::string value;
};
using JsonFields = std::vector<JsonField>;

JsonFields validJson(int version)
{
    JsonFields f = {{"event_id", "101"},      {"post_id", "202"},        {"user_id", "303"},
                    {"region", "\"US\""},     {"action", "\"like\""},    {"event_time_ms", std::to_string(kTime)}};
    if (version == 2)
        f.push_back({"device_type", "\"ios\""});
    return f;
}

LikeEvent validJsonEvent(int version)
{
    LikeEvent e;
    e.eventId = 101;
    e.postId = 202;
    e.userId = 303;
    e.region = *parseRegion("US");
    e.action = Action::Like;
    e.eventTimeMs = kTime;
    e.deviceType = version == 2 ? DeviceType::Ios : DeviceType::None;
    e.schemaVersion = static_cast<uint8_t>(version);
    return e;
}

JsonFields with(JsonFields f, const std::string &name, const std::string &value)
{
    for (auto &field : f)
        if (field.name == name) {
            field.value = value;
            return f;
        }
    f.push_back({name, value});
    return f;
}

JsonFields without(JsonFields f, const std::string &name)
{
    std::erase_if(f, [&](const JsonField &field) { return field.name == name; });
    return f;
}

QByteArray jsonText(const JsonFields &fields)
{
    std::string out = "{";
    for (const auto &f : fields) {
        if (out.size() > 1)
            out += ',';
        out += '"' + f.name + "\":" + f.value;
    }
    out += '}';
    return toBytes(out);
}

QByteArray jsonRecord(int version, const JsonFields &fields)
{
    return frame(schemaIdFor(WireFormat::Json, version), jsonText(fields));
}

// --- Protobuf payloads written by hand from the wire-format rules, independent of the generated code.
class PbWriter {
public:
    void varint(uint64_t v)
    {
        while (v >= 0x80) {
            m_out += static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        m_out += static_cast<char>(v);
    }
    void tag(int field, int wireType) { varint(static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wireType)); }
    void u64(int field, uint64_t v)
    {
        tag(field, 0);
        varint(v);
    }
    void bytes(int field, std::string_view s)
    {
        tag(field, 2);
        varint(s.size());
        m_out.append(s.data(), s.size());
    }
    void fixed64(int field, uint64_t v)
    {
        tag(field, 1);
        for (int i = 0; i < 8; ++i)
            m_out += static_cast<char>(v >> (8 * i));
    }
    void raw(std::string_view s) { m_out.append(s.data(), s.size()); }
    QByteArray result() const { return toBytes(m_out); }

private:
    std::string m_out;
};

struct PbSpec {
    std::optional<uint64_t> eventId = 101;
    std::optional<uint64_t> postId = 202;
    std::optional<uint64_t> userId = 303;
    std::optional<std::string> region = "US";
    std::optional<std::string> action = "like";
    std::optional<int64_t> eventTimeMs = kTime;
    std::optional<std::string> device;
    std::string extra; // raw wire bytes appended after the fields
};

PbSpec validPb(int version)
{
    PbSpec s;
    if (version == 2)
        s.device = "ios";
    return s;
}

QByteArray pbPayload(const PbSpec &s)
{
    PbWriter w;
    if (s.eventId)
        w.u64(1, *s.eventId);
    if (s.postId)
        w.u64(2, *s.postId);
    if (s.userId)
        w.u64(3, *s.userId);
    if (s.region)
        w.bytes(4, *s.region);
    if (s.action)
        w.bytes(5, *s.action);
    if (s.eventTimeMs)
        w.u64(6, static_cast<uint64_t>(*s.eventTimeMs));
    if (s.device)
        w.bytes(7, *s.device);
    w.raw(s.extra);
    return w.result();
}

QByteArray pbRecord(int version, const PbSpec &s)
{
    return frame(schemaIdFor(WireFormat::Protobuf, version), pbPayload(s));
}

template <typename F>
PbSpec pbWith(int version, F change)
{
    PbSpec s = validPb(version);
    change(s);
    return s;
}

std::string padding(size_t n) { return std::string(n, 'x'); }

// --- The rejection corpus. Each entry names the reason it must produce and a word its detail must
// contain. Group is the wire format the payload is in ("json", "protobuf") or "frame" for records
// that are refused before the payload is looked at.
struct BadRecord {
    QByteArray name;
    QByteArray group;
    QByteArray bytes;
    RejectReason reason;
    QByteArray detail;
};

std::vector<BadRecord> badRecords()
{
    using R = RejectReason;
    std::vector<BadRecord> c;
    const auto json = [&c](const QByteArray &name, const QByteArray &bytes, R reason, const QByteArray &detail) {
        c.push_back({"json: " + name, "json", bytes, reason, detail});
    };
    const auto pb = [&c](const QByteArray &name, const QByteArray &bytes, R reason, const QByteArray &detail) {
        c.push_back({"protobuf: " + name, "protobuf", bytes, reason, detail});
    };
    const auto fr = [&c](const QByteArray &name, const QByteArray &bytes, R reason, const QByteArray &detail) {
        c.push_back({"frame: " + name, "frame", bytes, reason, detail});
    };
    const uint32_t json1 = schemaIdFor(WireFormat::Json, 1);
    const uint32_t json2 = schemaIdFor(WireFormat::Json, 2);
    const QByteArray valid1 = jsonText(validJson(1));
    const QByteArray valid2 = jsonText(validJson(2));

    // Framing.
    fr("empty record", QByteArray(), R::Malformed, "header");
    fr("one byte", QByteArray(1, '\0'), R::Malformed, "header");
    fr("four bytes", QByteArray(4, '\0'), R::Malformed, "header");
    fr("unframed JSON", valid1, R::Malformed, "magic byte 0x7b");
    fr("magic 0x01", QByteArray("\x01\x00\x00\x00\x01", 5) + valid1, R::Malformed, "magic");
    fr("magic 0xff", QByteArray("\xff\x00\x00\x00\x01", 5) + valid1, R::Malformed, "magic");
    fr("garbage bytes", QByteArray("\xde\xad\xbe\xef\x13\x37\x00\x42", 8), R::Malformed, "magic");
    fr("schema id 0, JSON payload", frame(0, valid1), R::UnknownSchema, "schema id 0");
    fr("schema id 5, JSON payload", frame(5, valid2), R::UnknownSchema, "schema id 5");
    fr("schema id 999, protobuf payload", frame(999, pbPayload(validPb(1))), R::UnknownSchema, "999");
    fr("schema id 0, protobuf payload", frame(0, pbPayload(validPb(2))), R::UnknownSchema, "schema id 0");
    fr("schema id 2^32-1", frame(0xffffffffu, valid1), R::UnknownSchema, "4294967295");
    fr("schema id 2^24+1 (byte order)", frame(0x01000001u, valid1), R::UnknownSchema, "16777217");
    fr("header only, schema 7", frame(7, {}), R::UnknownSchema, "7");
    fr("oversize garbage beats bad magic", QByteArray(5000, '\x7f'), R::Oversize, "5000");

    // JSON: unparseable.
    json("empty payload", frame(json1, {}), R::Malformed, "empty");
    json("whitespace payload", frame(json1, "  \n\t "), R::Malformed, "invalid JSON");
    json("garbage bytes", frame(json1, QByteArray("\xff\xfe\x00\x01garbage", 11)), R::Malformed, "invalid JSON");
    json("invalid UTF-8 in string", jsonRecord(1, with(validJson(1), "extra", "\"\xc3\x28\"")), R::Malformed,
         "UTF-8");
    json("plain text", frame(json1, "not json at all"), R::Malformed, "invalid JSON");
    json("truncated object", frame(json1, valid1.left(valid1.size() / 2)), R::Malformed, "invalid JSON");
    json("missing closing brace", frame(json1, valid1.chopped(1)), R::Malformed, "invalid JSON");
    json("truncated inside string", frame(json2, valid2.left(valid2.indexOf("US") + 1)), R::Malformed,
         "invalid JSON");
    json("trailing garbage", frame(json1, valid1 + "xyz"), R::Malformed, "invalid JSON");
    json("trailing brace", frame(json1, valid1 + "}"), R::Malformed, "trailing");
    json("trailing second object", frame(json2, valid2 + valid2), R::Malformed, "trailing");
    json("trailing number", frame(json1, valid1 + " 1"), R::Malformed, "invalid JSON");
    json("top level array", frame(json1, "[" + valid1 + "]"), R::Malformed, "not an object");
    json("top level number", frame(json1, "42"), R::Malformed, "not an object");
    json("top level string", frame(json1, "\"like\""), R::Malformed, "not an object");
    json("top level null", frame(json1, "null"), R::Malformed, "not an object");
    json("missing colon", frame(json1, "{\"event_id\" 1}"), R::Malformed, "invalid JSON");
    json("missing comma", frame(json1, "{\"event_id\":1 \"post_id\":2}"), R::Malformed, "invalid JSON");
    json("trailing comma", frame(json1, valid1.chopped(1) + ",}"), R::Malformed, "invalid JSON");
    json("unclosed string", frame(json1, "{\"region\":\"US}"), R::Malformed, "invalid JSON");
    json("number with leading zero", jsonRecord(1, with(validJson(1), "post_id", "0202")), R::Malformed, "post_id");
    json("lone minus", jsonRecord(1, with(validJson(1), "event_id", "-")), R::Malformed, "event_id");
    json("number with junk", jsonRecord(1, with(validJson(1), "user_id", "12ab")), R::Malformed, "user_id");
    json("bad literal in field", jsonRecord(1, with(validJson(1), "post_id", "nul")), R::Malformed, "post_id");
    json("bad escape in region", jsonRecord(1, with(validJson(1), "region", "\"U\\qS\"")), R::Malformed,
         "region");
    json("bad literal in unknown field", jsonRecord(2, with(validJson(2), "extra", "tru")), R::Malformed, "literal");
    json("bad array in unknown field", jsonRecord(2, with(validJson(2), "extra", "[1,,2]")), R::Malformed,
         "invalid JSON");
    json("bad number in unknown field", jsonRecord(2, with(validJson(2), "extra", "{\"a\":[1.]}")), R::Malformed,
         "number");
    json("bad escape in unknown key", frame(json2, "{\"ex\\qtra\":1," + valid2.mid(1)), R::Malformed, "escape");
    json("duplicate field", frame(json2, valid2.chopped(1) + ",\"post_id\":7}"), R::Malformed, "duplicate");
    json("malformed beats an earlier wrong type",
         jsonRecord(1, with(with(validJson(1), "post_id", "\"x\""), "extra", "[1,tru]")), R::Malformed, "literal");
    json("deep nesting in unknown field",
         jsonRecord(1, with(validJson(1), "extra", std::string(40, '[') + std::string(40, ']'))), R::Malformed,
         "deep");

    // JSON: missing fields, each required one in both versions.
    for (int v : {1, 2})
        for (const char *name : {"event_id", "post_id", "user_id", "region", "action", "event_time_ms"})
            json("v" + QByteArray::number(v) + " missing " + name, jsonRecord(v, without(validJson(v), name)),
                 R::MissingField, name);
    json("empty object", frame(json2, "{}"), R::MissingField, "event_id");
    json("only unknown fields", frame(json1, "{\"a\":1,\"b\":{\"c\":[true,null]}}"), R::MissingField, "event_id");
    json("escaped spelling of a name", frame(json1, jsonText(without(validJson(1), "post_id")).chopped(1)
                                                        + ",\"post\\u005fid\":202}"),
         R::MissingField, "post_id");

    // JSON: wrong types.
    json("post_id string", jsonRecord(1, with(validJson(1), "post_id", "\"202\"")), R::WrongType, "post_id");
    json("event_id negative", jsonRecord(2, with(validJson(2), "event_id", "-1")), R::WrongType, "negative");
    json("event_id minus zero", jsonRecord(2, with(validJson(2), "event_id", "-0")), R::WrongType, "event_id");
    json("user_id fractional", jsonRecord(1, with(validJson(1), "user_id", "1.5")), R::WrongType, "fraction");
    json("user_id 1.0", jsonRecord(1, with(validJson(1), "user_id", "1.0")), R::WrongType, "user_id");
    json("post_id exponent", jsonRecord(1, with(validJson(1), "post_id", "1e3")), R::WrongType, "post_id");
    json("post_id huge exponent", jsonRecord(1, with(validJson(1), "post_id", "1e400")), R::WrongType, "post_id");
    json("event_id above 2^64-1", jsonRecord(1, with(validJson(1), "event_id", "18446744073709551616")),
         R::WrongType, "2^64");
    json("event_id boolean", jsonRecord(1, with(validJson(1), "event_id", "true")), R::WrongType, "boolean");
    json("post_id null", jsonRecord(1, with(validJson(1), "post_id", "null")), R::WrongType, "null");
    json("user_id object", jsonRecord(1, with(validJson(1), "user_id", "{\"id\":1}")), R::WrongType, "object");
    json("event_time_ms string", jsonRecord(1, with(validJson(1), "event_time_ms", "\"1700000000000\"")),
         R::WrongType, "event_time_ms");
    json("event_time_ms fractional", jsonRecord(2, with(validJson(2), "event_time_ms", "1700000000000.5")),
         R::WrongType, "fraction");
    json("event_time_ms exponent", jsonRecord(2, with(validJson(2), "event_time_ms", "1.7e12")), R::WrongType,
         "event_time_ms");
    json("event_time_ms array", jsonRecord(1, with(validJson(1), "event_time_ms", "[1700000000000]")),
         R::WrongType, "array");
    json("region number", jsonRecord(1, with(validJson(1), "region", "840")), R::WrongType, "region");
    json("region null", jsonRecord(1, with(validJson(1), "region", "null")), R::WrongType, "region");
    json("action boolean", jsonRecord(1, with(validJson(1), "action", "false")), R::WrongType, "action");
    json("action array", jsonRecord(2, with(validJson(2), "action", "[\"like\"]")), R::WrongType, "action");
    json("device_type number", jsonRecord(2, with(validJson(2), "device_type", "1")), R::WrongType,
         "device_type");
    json("device_type object", jsonRecord(2, with(validJson(2), "device_type", "{}")), R::WrongType,
         "device_type");
    json("wrong type beats missing", jsonRecord(1, with(without(validJson(1), "user_id"), "post_id", "\"1\"")),
         R::WrongType, "post_id");
    json("first problem in document order wins",
         jsonRecord(1, with(with(validJson(1), "event_id", "\"1\""), "region", "\"usa\"")), R::WrongType,
         "event_id");

    // JSON: invalid values.
    for (const char *region : {"usa", "us", "U", "", "U1", "u\\u0053", "\xc3\x9cS", "USA"})
        json(QByteArray("region ") + region,
             jsonRecord(1, with(validJson(1), "region", std::string("\"") + region + '"')), R::InvalidValue,
             "region");
    for (const char *action : {"love", "LIKE", "", "like ", "unlike\\u0000"})
        json(QByteArray("action ") + action,
             jsonRecord(2, with(validJson(2), "action", std::string("\"") + action + '"')), R::InvalidValue,
             "action");
    for (const char *device : {"fax", "IOS", "", "windows"})
        json(QByteArray("device_type ") + device,
             jsonRecord(2, with(validJson(2), "device_type", std::string("\"") + device + '"')), R::InvalidValue,
             "device_type");
    json("v1 with device_type", jsonRecord(1, with(validJson(1), "device_type", "\"ios\"")), R::InvalidValue,
         "schema v1");
    json("v1 with numeric device_type", jsonRecord(1, with(validJson(1), "device_type", "3")), R::InvalidValue,
         "schema v1");

    // JSON: timestamps.
    const auto time = [](int64_t t) { return std::to_string(t); };
    json("time min-1", jsonRecord(1, with(validJson(1), "event_time_ms", time(kDefaultLimits.minEventTimeMs - 1))),
         R::TimestampOutOfRange, "event_time_ms");
    json("time max+1", jsonRecord(2, with(validJson(2), "event_time_ms", time(kDefaultLimits.maxEventTimeMs + 1))),
         R::TimestampOutOfRange, "event_time_ms");
    json("time zero", jsonRecord(1, with(validJson(1), "event_time_ms", "0")), R::TimestampOutOfRange,
         "event_time_ms");
    json("time negative", jsonRecord(1, with(validJson(1), "event_time_ms", "-5")), R::TimestampOutOfRange,
         "event_time_ms");
    json("time int64 min", jsonRecord(1, with(validJson(1), "event_time_ms", time(kMinI64))), R::TimestampOutOfRange,
         "event_time_ms");
    json("time int64 max", jsonRecord(1, with(validJson(1), "event_time_ms", time(kMaxI64))), R::TimestampOutOfRange,
         "event_time_ms");
    json("time above int64", jsonRecord(1, with(validJson(1), "event_time_ms", "9223372036854775808")),
         R::TimestampOutOfRange, "64-bit");
    json("time in seconds", jsonRecord(1, with(validJson(1), "event_time_ms", "1700000000")),
         R::TimestampOutOfRange, "event_time_ms");

    // JSON: size.
    {
        const QByteArray base = jsonRecord(1, with(validJson(1), "pad", "\"\""));
        const auto fill = static_cast<size_t>(static_cast<qsizetype>(kDefaultLimits.maxRecordBytes) - base.size() + 1);
        json("one byte over the limit", jsonRecord(1, with(validJson(1), "pad", '"' + padding(fill) + '"')),
             R::Oversize, "4097");
        json("oversize beats malformed", frame(json1, QByteArray(8000, '{')), R::Oversize, "limit");
    }

    // Protobuf: unparseable.
    pb("garbage bytes", frame(3, QByteArray("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11)), R::Malformed,
       "protobuf");
    pb("JSON in a protobuf frame", frame(4, valid2), R::Malformed, "protobuf");
    pb("truncated varint", pbRecord(1, pbWith(1, [](PbSpec &s) { s.extra = "\x08\x80"; })), R::Malformed,
       "protobuf");
    pb("truncated length-delimited", pbRecord(1, pbWith(1, [](PbSpec &s) { s.extra = "\x22\x05US"; })),
       R::Malformed, "protobuf");
    pb("truncated record", pbRecord(2, validPb(2)).chopped(2), R::Malformed, "protobuf");
    pb("wire type 7", pbRecord(1, pbWith(1, [](PbSpec &s) { s.extra = "\x0f\x01"; })), R::Malformed, "protobuf");
    pb("field number 0", pbRecord(1, pbWith(1, [](PbSpec &s) { s.extra = std::string("\x00\x01", 2); })),
       R::Malformed, "protobuf");
    pb("unterminated group", pbRecord(1, pbWith(1, [](PbSpec &s) { s.extra = "\x7b"; })), R::Malformed,
       "protobuf");
    pb("eleven-byte varint", pbRecord(1, pbWith(1, [](PbSpec &s) {
           s.eventId.reset();
           s.extra = "\x08" + std::string(10, '\xff') + '\x01';
       })),
       R::Malformed, "protobuf");

    // Protobuf: missing fields, each required one in both versions.
    for (int v : {1, 2}) {
        const QByteArray prefix = "v" + QByteArray::number(v) + " missing ";
        pb(prefix + "event_id", pbRecord(v, pbWith(v, [](PbSpec &s) { s.eventId.reset(); })), R::MissingField,
           "event_id");
        pb(prefix + "post_id", pbRecord(v, pbWith(v, [](PbSpec &s) { s.postId.reset(); })), R::MissingField,
           "post_id");
        pb(prefix + "user_id", pbRecord(v, pbWith(v, [](PbSpec &s) { s.userId.reset(); })), R::MissingField,
           "user_id");
        pb(prefix + "region", pbRecord(v, pbWith(v, [](PbSpec &s) { s.region.reset(); })), R::MissingField,
           "region");
        pb(prefix + "action", pbRecord(v, pbWith(v, [](PbSpec &s) { s.action.reset(); })), R::MissingField,
           "action");
        pb(prefix + "event_time_ms", pbRecord(v, pbWith(v, [](PbSpec &s) { s.eventTimeMs.reset(); })),
           R::MissingField, "event_time_ms");
    }
    pb("empty payload", frame(3, {}), R::MissingField, "event_id");
    pb("only unknown fields", frame(4, [] {
           PbWriter w;
           w.u64(15, 1);
           w.bytes(100, "future");
           return w.result();
       }()),
       R::MissingField, "event_id");

    // Protobuf: a known field number sent with another wire type.
    pb("post_id as bytes", pbRecord(1, pbWith(1, [](PbSpec &s) {
           s.postId.reset();
           s.extra = "\x12\x03" "202";
       })),
       R::WrongType, "post_id");
    pb("region as varint", pbRecord(1, pbWith(1, [](PbSpec &s) {
           s.region.reset();
           s.extra = "\x20\x05";
       })),
       R::WrongType, "region");
    pb("event_time_ms as fixed64", pbRecord(2, pbWith(2, [](PbSpec &s) {
           s.eventTimeMs.reset();
           PbWriter w;
           w.fixed64(6, kTime);
           s.extra = w.result().toStdString();
       })),
       R::WrongType, "event_time_ms");
    pb("device_type as varint", pbRecord(2, pbWith(2, [](PbSpec &s) {
           s.device.reset();
           s.extra = "\x38\x01";
       })),
       R::WrongType, "device_type");
    pb("event_id as fixed32", pbRecord(1, pbWith(1, [](PbSpec &s) {
           s.eventId.reset();
           s.extra = std::string("\x0d\x01\x00\x00\x00", 5);
       })),
       R::WrongType, "event_id");

    // Protobuf: invalid values.
    for (const char *region : {"usa", "us", "U", "", "U1", "\xc3\x9cS"})
        pb(QByteArray("region ") + region, pbRecord(1, pbWith(1, [&](PbSpec &s) { s.region = region; })),
           R::InvalidValue, "region");
    pb("region with NUL", pbRecord(1, pbWith(1, [](PbSpec &s) { s.region = std::string("U\0", 2); })),
       R::InvalidValue, "region");
    for (const char *action : {"love", "LIKE", ""})
        pb(QByteArray("action ") + action, pbRecord(2, pbWith(2, [&](PbSpec &s) { s.action = action; })),
           R::InvalidValue, "action");
    for (const char *device : {"fax", "IOS", ""})
        pb(QByteArray("device_type ") + device, pbRecord(2, pbWith(2, [&](PbSpec &s) { s.device = device; })),
           R::InvalidValue, "device_type");
    pb("v1 with device_type", pbRecord(1, pbWith(1, [](PbSpec &s) { s.device = "web"; })), R::InvalidValue,
       "schema v1");
    pb("invalid UTF-8 region", pbRecord(1, pbWith(1, [](PbSpec &s) { s.region = "\xff\xfe"; })), R::InvalidValue,
       "region");

    // Protobuf: timestamps.
    pb("time min-1", pbRecord(1, pbWith(1, [](PbSpec &s) { s.eventTimeMs = kDefaultLimits.minEventTimeMs - 1; })),
       R::TimestampOutOfRange, "event_time_ms");
    pb("time max+1", pbRecord(2, pbWith(2, [](PbSpec &s) { s.eventTimeMs = kDefaultLimits.maxEventTimeMs + 1; })),
       R::TimestampOutOfRange, "event_time_ms");
    pb("time int64 min", pbRecord(1, pbWith(1, [](PbSpec &s) { s.eventTimeMs = kMinI64; })),
       R::TimestampOutOfRange, "event_time_ms");
    pb("time zero", pbRecord(2, pbWith(2, [](PbSpec &s) { s.eventTimeMs = 0; })), R::TimestampOutOfRange,
       "event_time_ms");

    // Protobuf: size.
    pb("one byte over the limit", [] {
        const QByteArray base = pbRecord(1, validPb(1));
        // field 15, length-delimited, with a 2-byte length: 3 bytes of overhead
        const auto limit = static_cast<qsizetype>(kDefaultLimits.maxRecordBytes);
        const auto fill = static_cast<size_t>(limit - base.size() - 3 + 1);
        PbWriter w;
        w.bytes(15, padding(fill));
        return base + w.result();
    }(),
       R::Oversize, "4097");
    pb("oversize beats malformed", frame(3, QByteArray(5000, '\xff')), R::Oversize, "limit");
    return c;
}

// --- Random events that reach every boundary the codec has to carry.
uint64_t randomId(std::mt19937_64 &rng)
{
    switch (rng() % 6) {
    case 0:
        return 0;
    case 1:
        return kMaxU64;
    case 2:
        return kMaxU64 - rng() % 1000;
    case 3:
        return rng() % 1000;
    case 4:
        return rng() >> (rng() % 64); // every magnitude, so every varint and digit length
    default:
        return rng();
    }
}

int64_t randomTime(std::mt19937_64 &rng, const DecodeLimits &limits)
{
    switch (rng() % 6) {
    case 0:
        return limits.minEventTimeMs;
    case 1:
        return limits.maxEventTimeMs;
    case 2:
        return limits.minEventTimeMs + static_cast<int64_t>(rng() % 1000);
    case 3:
        return limits.maxEventTimeMs - static_cast<int64_t>(rng() % 1000);
    default:
        return std::uniform_int_distribution<int64_t>(limits.minEventTimeMs, limits.maxEventTimeMs)(rng);
    }
}

// Index i walks through every region and device deterministically; the rest is random.
LikeEvent randomEvent(std::mt19937_64 &rng, int version, size_t i, const DecodeLimits &limits = kDefaultLimits)
{
    LikeEvent e;
    e.eventId = randomId(rng);
    e.postId = randomId(rng);
    e.userId = randomId(rng);
    const char region[2] = {static_cast<char>('A' + i % 26), static_cast<char>('A' + (i / 26) % 26)};
    e.region = *parseRegion(std::string_view(region, 2));
    e.action = rng() % 2 ? Action::Like : Action::Unlike;
    e.eventTimeMs = randomTime(rng, limits);
    e.deviceType = version == 2 ? static_cast<DeviceType>(i % static_cast<size_t>(DeviceType::kCount))
                                : DeviceType::None;
    e.schemaVersion = static_cast<uint8_t>(version);
    return e;
}

// What any accepted event must satisfy, whatever bytes it came from.
bool isPlausible(const LikeEvent &e, const DecodeLimits &limits)
{
    if (e.schemaVersion != 1 && e.schemaVersion != 2)
        return false;
    if (!parseRegion(regionName(e.region)))
        return false;
    if (e.action != Action::Like && e.action != Action::Unlike)
        return false;
    if (e.deviceType >= DeviceType::kCount || (e.schemaVersion == 1 && e.deviceType != DeviceType::None))
        return false;
    return e.eventTimeMs >= limits.minEventTimeMs && e.eventTimeMs <= limits.maxEventTimeMs;
}

// A strict RFC 8259 recognizer (grammar and UTF-8, no values), written for this test as an oracle
// that shares no code with simdjson.
class JsonGrammar {
public:
    static bool isObject(std::string_view s)
    {
        JsonGrammar g(s);
        g.whitespace();
        if (g.m_pos >= s.size() || s[g.m_pos] != '{' || !g.value(0))
            return false;
        g.whitespace();
        return g.m_pos == s.size();
    }

private:
    explicit JsonGrammar(std::string_view s) : m_s(s) {}

    bool atEnd() const { return m_pos >= m_s.size(); }
    unsigned char peek() const { return static_cast<unsigned char>(m_s[m_pos]); }
    bool consume(char c)
    {
        if (atEnd() || m_s[m_pos] != c)
            return false;
        ++m_pos;
        return true;
    }
    void whitespace()
    {
        while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
            ++m_pos;
    }
    bool literal(std::string_view word)
    {
        if (m_s.substr(m_pos, word.size()) != word)
            return false;
        m_pos += word.size();
        return true;
    }
    bool digits()
    {
        const size_t start = m_pos;
        while (!atEnd() && peek() >= '0' && peek() <= '9')
            ++m_pos;
        return m_pos > start;
    }
    bool number()
    {
        consume('-');
        if (consume('0')) {
        } else if (atEnd() || peek() < '1' || peek() > '9' || !digits()) {
            return false;
        }
        if (consume('.') && !digits())
            return false;
        if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
            ++m_pos;
            if (!consume('+'))
                consume('-');
            if (!digits())
                return false;
        }
        return true;
    }
    bool continuation(unsigned char lo = 0x80, unsigned char hi = 0xbf)
    {
        if (atEnd() || peek() < lo || peek() > hi)
            return false;
        ++m_pos;
        return true;
    }
    bool utf8Sequence()
    {
        const unsigned char c = peek();
        ++m_pos;
        if (c >= 0xc2 && c <= 0xdf)
            return continuation();
        if (c == 0xe0)
            return continuation(0xa0) && continuation();
        if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
            return continuation() && continuation();
        if (c == 0xed)
            return continuation(0x80, 0x9f) && continuation();
        if (c == 0xf0)
            return continuation(0x90) && continuation() && continuation();
        if (c >= 0xf1 && c <= 0xf3)
            return continuation() && continuation() && continuation();
        if (c == 0xf4)
            return continuation(0x80, 0x8f) && continuation() && continuation();
        return false;
    }
    bool string()
    {
        if (!consume('"'))
            return false;
        while (!atEnd()) {
            const unsigned char c = peek();
            if (c == '"') {
                ++m_pos;
                return true;
            }
            if (c < 0x20)
                return false;
            if (c >= 0x80) {
                if (!utf8Sequence())
                    return false;
                continue;
            }
            ++m_pos;
            if (c != '\\')
                continue;
            if (atEnd())
                return false;
            const char e = m_s[m_pos++];
            if (e == 'u') {
                for (int i = 0; i < 4; ++i, ++m_pos)
                    if (atEnd() || !std::isxdigit(peek()))
                        return false;
            } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
                return false;
            }
        }
        return false;
    }
    bool value(int depth)
    {
        if (depth > 512)
            return false;
        whitespace();
        if (atEnd())
            return false;
        switch (peek()) {
        case '{':
            ++m_pos;
            whitespace();
            if (consume('}'))
                return true;
            for (;;) {
                whitespace();
                if (!string())
                    return false;
                whitespace();
                if (!consume(':') || !value(depth + 1))
                    return false;
                whitespace();
                if (consume(','))
                    continue;
                return consume('}');
            }
        case '[':
            ++m_pos;
            whitespace();
            if (consume(']'))
                return true;
            for (;;) {
                if (!value(depth + 1))
                    return false;
                whitespace();
                if (consume(','))
                    continue;
                return consume(']');
            }
        case '"':
            return string();
        case 't':
            return literal("true");
        case 'f':
            return literal("false");
        case 'n':
            return literal("null");
        default:
            return number();
        }
    }

    std::string_view m_s;
    size_t m_pos = 0;
};

bool hasEscapedSurrogate(const QByteArray &record)
{
    static const QRegularExpression surrogate(R"(\\u[dD][89a-fA-F])");
    return surrogate.match(QString::fromLatin1(record)).hasMatch();
}

bool isJsonFrame(const QByteArray &r)
{
    return r.size() >= 5 && static_cast<size_t>(r.size()) <= kDefaultLimits.maxRecordBytes
        && r.startsWith(QByteArray(4, '\0'))
        && (r[4] == char(schemaIdFor(WireFormat::Json, 1)) || r[4] == char(schemaIdFor(WireFormat::Json, 2)));
}

QByteArray mutate(QByteArray r, std::mt19937_64 &rng)
{
    static constexpr char kInteresting[] = "{}[]\":,\\-+.0189eEtfnul \n\x7f\xff\x80\xc3";
    const auto pick = [&rng](size_t n) { return static_cast<qsizetype>(rng() % std::max<size_t>(n, 1)); };
    const auto anyByte = [&rng]() {
        return rng() % 2 ? static_cast<char>(rng()) : kInteresting[rng() % (sizeof kInteresting - 1)];
    };
    const int operations = 1 + static_cast<int>(rng() % 4);
    for (int op = 0; op < operations; ++op) {
        const auto n = static_cast<size_t>(r.size());
        switch (rng() % 8) {
        case 0: // flip one bit
            if (n)
                r[pick(n)] = static_cast<char>(r[pick(n)] ^ static_cast<char>(1u << (rng() % 8)));
            break;
        case 1: // overwrite a byte
            if (n)
                r[pick(n)] = anyByte();
            break;
        case 2: // insert a byte
            r.insert(pick(n + 1), anyByte());
            break;
        case 3: // delete a byte
            if (n)
                r.remove(pick(n), 1);
            break;
        case 4: // truncate
            r.truncate(pick(n + 1));
            break;
        case 5: { // duplicate a span somewhere else
            if (!n)
                break;
            const qsizetype from = pick(n);
            const QByteArray span = r.mid(from, 1 + pick(16));
            r.insert(pick(n + 1), span);
            break;
        }
        case 6: // delete a span
            if (n)
                r.remove(pick(n), 1 + pick(16));
            break;
        default: // mutate only the payload, so framing survives and the parsers get the input
            if (n > 5)
                r[5 + pick(n - 5)] = anyByte();
            break;
        }
    }
    return r;
}

} // namespace

class TestCodec : public QObject {
    Q_OBJECT

private slots:
    void names_data();
    void names();
    void schemaIds();
    void encodedJsonShape_data();
    void encodedJsonShape();
    void encodedProtobufShape_data();
    void encodedProtobufShape();
    void roundTrip_data();
    void roundTrip();
    void interleavedVersions();
    void acceptedVariants_data();
    void acceptedVariants();
    void rejected_data();
    void rejected();
    void corpusCoversEveryReason();
    void customLimits();
    void largeLimitGrowsBuffers();
    void mutationRobustness_data();
    void mutationRobustness();
};

void TestCodec::names_data()
{
    QTest::addColumn<RejectReason>("reason");
    QTest::addColumn<QByteArray>("name");
    QTest::newRow("Malformed") << RejectReason::Malformed << QByteArray("malformed");
    QTest::newRow("MissingField") << RejectReason::MissingField << QByteArray("missing_field");
    QTest::newRow("WrongType") << RejectReason::WrongType << QByteArray("wrong_type");
    QTest::newRow("InvalidValue") << RejectReason::InvalidValue << QByteArray("invalid_value");
    QTest::newRow("UnknownSchema") << RejectReason::UnknownSchema << QByteArray("unknown_schema");
    QTest::newRow("TimestampOutOfRange") << RejectReason::TimestampOutOfRange << QByteArray("timestamp_out_of_range");
    QTest::newRow("Oversize") << RejectReason::Oversize << QByteArray("oversize");
}

void TestCodec::names()
{
    QFETCH(RejectReason, reason);
    QFETCH(QByteArray, name);
    QCOMPARE(toBytes(rejectReasonName(reason)), name);
    QCOMPARE(toBytes(wireFormatName(WireFormat::Json)), QByteArray("json"));
    QCOMPARE(toBytes(wireFormatName(WireFormat::Protobuf)), QByteArray("protobuf"));
}

void TestCodec::schemaIds()
{
    QCOMPARE(schemaIdFor(WireFormat::Json, 1), 1u);
    QCOMPARE(schemaIdFor(WireFormat::Json, 2), 2u);
    QCOMPARE(schemaIdFor(WireFormat::Protobuf, 1), 3u);
    QCOMPARE(schemaIdFor(WireFormat::Protobuf, 2), 4u);
}

void TestCodec::encodedJsonShape_data()
{
    QTest::addColumn<LikeEvent>("event");
    QTest::addColumn<QByteArray>("expected");
    const QByteArray fields =
        R"({"event_id":101,"post_id":202,"user_id":303,"region":"US","action":"like","event_time_ms":1700000000000)";
    QTest::newRow("v1") << validJsonEvent(1) << frame(1, fields + "}");
    QTest::newRow("v2 with device") << validJsonEvent(2) << frame(2, fields + R"(,"device_type":"ios"})");
    LikeEvent none = validJsonEvent(2);
    none.deviceType = DeviceType::None;
    QTest::newRow("v2 without device") << none << frame(2, fields + "}");
    LikeEvent v1WithDevice = validJsonEvent(1);
    v1WithDevice.deviceType = DeviceType::Web;
    QTest::newRow("v1 never writes device") << v1WithDevice << frame(1, fields + "}");
    LikeEvent extremes = validJsonEvent(2);
    extremes.eventId = 0;
    extremes.postId = kMaxU64;
    extremes.userId = 1;
    extremes.action = Action::Unlike;
    extremes.eventTimeMs = -42;
    extremes.deviceType = DeviceType::Other;
    QTest::newRow("extremes") << extremes
                              << frame(2, R"({"event_id":0,"post_id":18446744073709551615,"user_id":1,"region":"US",)"
                                          R"("action":"unlike","event_time_ms":-42,"device_type":"other"})");
    LikeEvent oddRegion = validJsonEvent(1);
    oddRegion.region = static_cast<RegionCode>('"' << 8 | 0x01);
    QTest::newRow("unprintable region is escaped")
        << oddRegion
        << frame(1, R"({"event_id":101,"post_id":202,"user_id":303,"region":"\u0022\u0001","action":"like",)"
                    R"("event_time_ms":1700000000000})");
}

void TestCodec::encodedJsonShape()
{
    QFETCH(LikeEvent, event);
    QFETCH(QByteArray, expected);
    QCOMPARE(toBytes(encodeRecord(event, WireFormat::Json)), expected);
}

void TestCodec::encodedProtobufShape_data()
{
    QTest::addColumn<LikeEvent>("event");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("v1") << validJsonEvent(1) << pbRecord(1, validPb(1));
    QTest::newRow("v2 with device") << validJsonEvent(2) << pbRecord(2, validPb(2));
    LikeEvent none = validJsonEvent(2);
    none.deviceType = DeviceType::None;
    QTest::newRow("v2 without device") << none << pbRecord(2, validPb(1));
    LikeEvent extremes = validJsonEvent(1);
    extremes.eventId = 0;
    extremes.postId = kMaxU64;
    extremes.eventTimeMs = kMinI64;
    extremes.action = Action::Unlike;
    QTest::newRow("extremes") << extremes << pbRecord(1, pbWith(1, [](PbSpec &s) {
                                     s.eventId = 0;
                                     s.postId = kMaxU64;
                                     s.eventTimeMs = kMinI64;
                                     s.action = "unlike";
                                 }));
}

void TestCodec::encodedProtobufShape()
{
    QFETCH(LikeEvent, event);
    QFETCH(QByteArray, expected);
    QCOMPARE(toBytes(encodeRecord(event, WireFormat::Protobuf)).toHex(' '), expected.toHex(' '));
}

void TestCodec::roundTrip_data()
{
    QTest::addColumn<WireFormat>("format");
    QTest::addColumn<int>("version");
    QTest::addColumn<quint64>("seed");
    QTest::newRow("json v1") << WireFormat::Json << 1 << quint64(1);
    QTest::newRow("json v2") << WireFormat::Json << 2 << quint64(2);
    QTest::newRow("protobuf v1") << WireFormat::Protobuf << 1 << quint64(3);
    QTest::newRow("protobuf v2") << WireFormat::Protobuf << 2 << quint64(4);
}

void TestCodec::roundTrip()
{
    QFETCH(WireFormat, format);
    QFETCH(int, version);
    QFETCH(quint64, seed);
    std::mt19937_64 rng(seed);
    RecordDecoder decoder;
    const uint32_t schemaId = schemaIdFor(format, version);
    for (size_t i = 0; i < 20000; ++i) {
        const LikeEvent event = randomEvent(rng, version, i);
        const std::string record = encodeRecord(event, format);
        QVERIFY(record.size() > 5);
        QCOMPARE(static_cast<uint8_t>(record[0]), uint8_t{0});
        QCOMPARE(static_cast<uint8_t>(record[4]), static_cast<uint8_t>(schemaId));
        QCOMPARE(static_cast<uint8_t>(record[1] | record[2] | record[3]), uint8_t{0});
        const DecodeResult result = decoder.decode(record);
        const auto *decoded = std::get_if<LikeEvent>(&result);
        VERIFY_OR_FAIL(decoded, describe(result) + " for " + describe(event));
        VERIFY_OR_FAIL(*decoded == event, describe(*decoded) + " != " + describe(event));
    }
}

void TestCodec::interleavedVersions()
{
    std::mt19937_64 rng(99);
    RecordDecoder decoder;
    std::array<int, 4> perSchema{};
    for (size_t i = 0; i < 20000; ++i) {
        const int version = 1 + static_cast<int>(rng() % 2);
        const WireFormat format = rng() % 2 ? WireFormat::Json : WireFormat::Protobuf;
        ++perSchema[schemaIdFor(format, version) - 1];
        const LikeEvent event = randomEvent(rng, version, i);
        const DecodeResult result = decoder.decode(encodeRecord(event, format));
        const auto *decoded = std::get_if<LikeEvent>(&result);
        VERIFY_OR_FAIL(decoded, describe(result) + " for " + describe(event));
        VERIFY_OR_FAIL(*decoded == event, describe(*decoded) + " != " + describe(event));
    }
    for (int n : perSchema)
        QVERIFY(n > 4000);
}

void TestCodec::acceptedVariants_data()
{
    QTest::addColumn<QByteArray>("record");
    QTest::addColumn<LikeEvent>("expected");
    const LikeEvent v1 = validJsonEvent(1);
    const LikeEvent v2 = validJsonEvent(2);
    LikeEvent v2NoDevice = v2;
    v2NoDevice.deviceType = DeviceType::None;

    QTest::newRow("json v1") << jsonRecord(1, validJson(1)) << v1;
    QTest::newRow("json v2") << jsonRecord(2, validJson(2)) << v2;
    QTest::newRow("json v2 without device") << jsonRecord(2, without(validJson(2), "device_type")) << v2NoDevice;
    QTest::newRow("json v2 null device") << jsonRecord(2, with(validJson(2), "device_type", "null")) << v2NoDevice;
    QTest::newRow("json v1 null device") << jsonRecord(1, with(validJson(1), "device_type", "null")) << v1;
    QTest::newRow("json whitespace everywhere")
        << frame(1, " \n{ \"event_id\" :\t101 , \"post_id\":202,\"user_id\" : 303,\r\n\"region\": \"US\" ,"
                    "\"action\":\"like\", \"event_time_ms\" : 1700000000000 } \n\t")
        << v1;
    QTest::newRow("json reordered fields")
        << frame(2, R"({"device_type":"ios","event_time_ms":1700000000000,"action":"like","region":"US",)"
                    R"("user_id":303,"post_id":202,"event_id":101})")
        << v2;
    QTest::newRow("json unknown fields")
        << jsonRecord(2, with(with(with(validJson(2), "trace", R"({"id":"abc","hops":[1,2.5,-3e2,{"x":null}]})"),
                                   "flag", "true"),
                              "comment", R"("caf\u00e9 \"quoted\" \\ \/")"))
        << v2;
    QTest::newRow("json unknown field before known ones")
        << frame(1, "{\"x\":[[[]]]," + jsonText(validJson(1)).mid(1)) << v1;
    QTest::newRow("json escaped region") << jsonRecord(1, with(validJson(1), "region", R"("\u0055S")")) << v1;
    QTest::newRow("json unicode in unknown field")
        << jsonRecord(1, with(validJson(1), "note", "\"\xe2\x9d\xa4\xef\xb8\x8f \xf0\x9f\x91\x8d\"")) << v1;
    QTest::newRow("json large unknown number") << jsonRecord(1, with(validJson(1), "big", "1e400")) << v1;

    LikeEvent edges = v2;
    edges.eventId = 0;
    edges.postId = kMaxU64;
    edges.userId = kMaxU64 - 1;
    edges.eventTimeMs = kDefaultLimits.minEventTimeMs;
    edges.action = Action::Unlike;
    edges.region = *parseRegion("ZZ");
    edges.deviceType = DeviceType::Android;
    QTest::newRow("json id and time bounds")
        << jsonRecord(2, {{"event_id", "0"},
                          {"post_id", "18446744073709551615"},
                          {"user_id", "18446744073709551614"},
                          {"region", "\"ZZ\""},
                          {"action", "\"unlike\""},
                          {"event_time_ms", std::to_string(kDefaultLimits.minEventTimeMs)},
                          {"device_type", "\"android\""}})
        << edges;
    LikeEvent latest = v1;
    latest.eventTimeMs = kDefaultLimits.maxEventTimeMs;
    QTest::newRow("json max time")
        << jsonRecord(1, with(validJson(1), "event_time_ms", std::to_string(kDefaultLimits.maxEventTimeMs)))
        << latest;
    {
        const QByteArray base = jsonRecord(1, with(validJson(1), "pad", "\"\""));
        const auto fill = static_cast<size_t>(static_cast<qsizetype>(kDefaultLimits.maxRecordBytes) - base.size());
        const QByteArray atLimit = jsonRecord(1, with(validJson(1), "pad", '"' + padding(fill) + '"'));
        QCOMPARE(static_cast<size_t>(atLimit.size()), kDefaultLimits.maxRecordBytes);
        QTest::newRow("json exactly at the size limit") << atLimit << v1;
    }

    QTest::newRow("protobuf v1") << pbRecord(1, validPb(1)) << v1;
    QTest::newRow("protobuf v2") << pbRecord(2, validPb(2)) << v2;
    QTest::newRow("protobuf v2 without device") << pbRecord(2, validPb(1)) << v2NoDevice;
    QTest::newRow("protobuf unknown fields") << pbRecord(2, pbWith(2, [](PbSpec &s) {
                                                    PbWriter w;
                                                    w.u64(15, 7);
                                                    w.bytes(100, "future field");
                                                    w.fixed64(8, 1);
                                                    s.extra = w.result().toStdString();
                                                }))
                                             << v2;
    LikeEvent repeated = v1;
    repeated.postId = 999;
    QTest::newRow("protobuf repeated field, last wins") << pbRecord(1, pbWith(1, [](PbSpec &s) {
                                                               PbWriter w;
                                                               w.u64(2, 999);
                                                               s.extra = w.result().toStdString();
                                                           }))
                                                        << repeated;
    QTest::newRow("protobuf fields out of order") << [] {
        PbWriter w;
        w.bytes(7, "ios");
        w.u64(6, kTime);
        w.bytes(5, "like");
        w.bytes(4, "US");
        w.u64(3, 303);
        w.u64(2, 202);
        w.u64(1, 101);
        return frame(4, w.result());
    }() << v2;
    QTest::newRow("protobuf id and time bounds") << pbRecord(2, pbWith(2, [](PbSpec &s) {
                                                        s.eventId = 0;
                                                        s.postId = kMaxU64;
                                                        s.userId = kMaxU64 - 1;
                                                        s.eventTimeMs = kDefaultLimits.minEventTimeMs;
                                                        s.action = "unlike";
                                                        s.region = "ZZ";
                                                        s.device = "android";
                                                    }))
                                                 << edges;
}

void TestCodec::acceptedVariants()
{
    QFETCH(QByteArray, record);
    QFETCH(LikeEvent, expected);
    RecordDecoder decoder;
    const DecodeResult result = decodeBytes(decoder, record);
    const auto *decoded = std::get_if<LikeEvent>(&result);
    QVERIFY2(decoded, describe(result));
    QVERIFY2(*decoded == expected, describe(*decoded) + " != " + describe(expected));
}

void TestCodec::rejected_data()
{
    QTest::addColumn<QByteArray>("record");
    QTest::addColumn<RejectReason>("reason");
    QTest::addColumn<QByteArray>("detail");
    for (const auto &bad : badRecords())
        QTest::newRow(bad.name.constData()) << bad.bytes << bad.reason << bad.detail;
}

void TestCodec::rejected()
{
    QFETCH(QByteArray, record);
    QFETCH(RejectReason, reason);
    QFETCH(QByteArray, detail);
    RecordDecoder decoder;
    const DecodeResult result = decodeBytes(decoder, record);
    const auto *error = std::get_if<DecodeError>(&result);
    QVERIFY2(error, "accepted: " + describe(result));
    QCOMPARE(toBytes(rejectReasonName(error->reason)), toBytes(rejectReasonName(reason)));
    QVERIFY2(toBytes(error->detail).contains(detail), "detail: " + toBytes(error->detail));
    // A reused decoder gives the same answer as a fresh one.
    const DecodeResult again = decodeBytes(decoder, record);
    QVERIFY(sameResult(result, again));
}

void TestCodec::corpusCoversEveryReason()
{
    std::map<QByteArray, std::set<RejectReason>> covered;
    for (const auto &bad : badRecords())
        covered[bad.group].insert(bad.reason);
    for (const QByteArray format : {"json", "protobuf"}) {
        for (size_t i = 0; i < kRejectReasonCount; ++i) {
            const auto reason = static_cast<RejectReason>(i);
            // The schema id is read before the payload, so unknown_schema is a framing matter.
            if (reason == RejectReason::UnknownSchema)
                continue;
            QVERIFY2(covered[format].count(reason), format + " lacks " + toBytes(rejectReasonName(reason)));
        }
    }
    QVERIFY(covered["frame"].count(RejectReason::UnknownSchema));
    QVERIFY(covered["frame"].count(RejectReason::Malformed));
}

void TestCodec::customLimits()
{
    DecodeLimits limits;
    limits.maxRecordBytes = 64;
    limits.minEventTimeMs = -1000;
    limits.maxEventTimeMs = 1000;
    RecordDecoder decoder(limits);

    LikeEvent event = validJsonEvent(1);
    for (int64_t t : {int64_t{-1000}, int64_t{0}, int64_t{1000}}) {
        event.eventTimeMs = t;
        const DecodeResult result = decoder.decode(encodeRecord(event, WireFormat::Protobuf));
        QVERIFY2(std::holds_alternative<LikeEvent>(result), describe(result));
    }
    for (int64_t t : {int64_t{-1001}, int64_t{1001}, kTime}) {
        event.eventTimeMs = t;
        const DecodeResult result = decoder.decode(encodeRecord(event, WireFormat::Protobuf));
        QVERIFY2(std::holds_alternative<DecodeError>(result), describe(result));
        QCOMPARE(std::get<DecodeError>(result).reason, RejectReason::TimestampOutOfRange);
    }
    event.eventTimeMs = 0;
    const std::string json = encodeRecord(event, WireFormat::Json);
    QVERIFY(json.size() > limits.maxRecordBytes);
    const DecodeResult result = decoder.decode(json);
    QVERIFY2(std::holds_alternative<DecodeError>(result), describe(result));
    QCOMPARE(std::get<DecodeError>(result).reason, RejectReason::Oversize);
}

void TestCodec::largeLimitGrowsBuffers()
{
    DecodeLimits limits;
    limits.maxRecordBytes = 4u << 20;
    RecordDecoder decoder(limits);
    const LikeEvent v2 = validJsonEvent(2);
    // Small, huge, small again: the decoder grows its buffers and keeps decoding correctly.
    for (size_t pad : {size_t{0}, size_t{3} << 20, size_t{10}}) {
        const QByteArray record = jsonRecord(2, with(validJson(2), "pad", '"' + padding(pad) + '"'));
        const DecodeResult result = decodeBytes(decoder, record);
        QVERIFY2(std::holds_alternative<LikeEvent>(result), describe(result));
        QVERIFY(std::get<LikeEvent>(result) == v2);
    }
}

void TestCodec::mutationRobustness_data()
{
    QTest::addColumn<WireFormat>("format");
    QTest::addColumn<int>("version");
    QTest::addColumn<quint64>("seed");
    QTest::newRow("json v1") << WireFormat::Json << 1 << quint64(11);
    QTest::newRow("json v2") << WireFormat::Json << 2 << quint64(12);
    QTest::newRow("protobuf v1") << WireFormat::Protobuf << 1 << quint64(13);
    QTest::newRow("protobuf v2") << WireFormat::Protobuf << 2 << quint64(14);
}

void TestCodec::mutationRobustness()
{
    QFETCH(WireFormat, format);
    QFETCH(int, version);
    QFETCH(quint64, seed);
    constexpr int kMutations = 100000; // per row: 200k per wire format
    std::mt19937_64 rng(seed);

    std::vector<QByteArray> seeds;
    for (size_t i = 0; i < 64; ++i)
        seeds.push_back(toBytes(encodeRecord(randomEvent(rng, version, i * 37), format)));
    // Seeds with unknown fields and escapes, so mutations reach the validating paths too.
    if (format == WireFormat::Json)
        seeds.push_back(jsonRecord(version, with(validJson(version), "x", R"({"a":[1,-2.5e3,true,null,"\u00e9"]})")));
    else
        seeds.push_back(pbRecord(version, pbWith(version, [](PbSpec &s) { s.extra = "\x78\x01\xa2\x06\x02hi"; })));

    RecordDecoder decoder;
    std::array<int, kRejectReasonCount> reasons{};
    int accepted = 0;
    int stricterThanGrammar = 0;
    for (int i = 0; i < kMutations; ++i) {
        const QByteArray record = mutate(seeds[rng() % seeds.size()], rng);
        const DecodeResult result = decodeBytes(decoder, record);
        if (const auto *event = std::get_if<LikeEvent>(&result)) {
            ++accepted;
            VERIFY_OR_FAIL(isPlausible(*event, kDefaultLimits), describe(*event) + " from " + record.toHex());
            // An accepted event survives its own round trip.
            const DecodeResult again = decoder.decode(encodeRecord(*event, format));
            VERIFY_OR_FAIL(sameResult(result, again), describe(again) + " from " + record.toHex());
        } else {
            const auto &error = std::get<DecodeError>(result);
            QVERIFY(static_cast<size_t>(error.reason) < kRejectReasonCount);
            VERIFY_OR_FAIL(!error.detail.empty(), record.toHex());
            ++reasons[static_cast<size_t>(error.reason)];
        }
        // The grammar oracle is an independent judge of "is this JSON": a record the decoder does not
        // call malformed must be a JSON object, and one it does call malformed must not be, unless
        // it breaks one of the codec's own stricter rules (duplicated known field, nesting depth) or
        // holds an escaped lone surrogate, which the grammar allows and simdjson refuses.
        if (format == WireFormat::Json && isJsonFrame(record)) {
            const std::string_view payload(record.constData() + 5, static_cast<size_t>(record.size() - 5));
            const bool validObject = JsonGrammar::isObject(payload);
            const auto *error = std::get_if<DecodeError>(&result);
            if (!error || error->reason != RejectReason::Malformed) {
                VERIFY_OR_FAIL(validObject,
                               "not JSON, yet the decoder says " + describe(result) + ": " + record.toHex());
            } else if (validObject) {
                const QByteArrayView detail(error->detail);
                const bool stricterRule = detail.contains("duplicate") || detail.contains("deep")
                    || (detail.contains("escape") && hasEscapedSurrogate(record));
                VERIFY_OR_FAIL(stricterRule,
                               "valid JSON, yet the decoder says " + describe(result) + ": " + record.toHex());
                ++stricterThanGrammar;
            }
        }
        // A decoder that has seen other records answers like a fresh one: no state leaks across
        // records through the reused buffers.
        if (i % 64 == 0) {
            RecordDecoder fresh;
            const DecodeResult clean = decodeBytes(fresh, record);
            VERIFY_OR_FAIL(sameResult(result, clean),
                           describe(result) + " vs " + describe(clean) + " for " + record.toHex());
        }
    }
    QByteArray summary = "accepted " + QByteArray::number(accepted);
    if (format == WireFormat::Json)
        summary += " (valid JSON but refused as malformed " + QByteArray::number(stricterThanGrammar) + ")";
    for (size_t r = 0; r < kRejectReasonCount; ++r)
        summary += ", " + toBytes(rejectReasonName(static_cast<RejectReason>(r))) + " "
            + QByteArray::number(reasons[r]);
    qInfo("%s", summary.constData());
    QVERIFY(accepted > 0);
    QVERIFY(reasons[static_cast<size_t>(RejectReason::Malformed)] > 0);
    QVERIFY(reasons[static_cast<size_t>(RejectReason::UnknownSchema)] > 0);
}

QTEST_GUILESS_MAIN(TestCodec)
#include "tst_codec.moc"
