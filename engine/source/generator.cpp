// The generator turns a seed into a reproducible stream of like events and delivers it the way a
// Kafka topic would: per partition, in delivery-time order, out of event-time order.
#include "source/generator.h"

#include "source/zipf.h"
#include "util/hash.h"

#include <algorithm>
#include <atomic>
#include <array>
#include <cassert>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace tally {

namespace {

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
// Salts give each derived quantity its own stream, so changing one knob (say malformedFraction)
// never reshuffles another (the events themselves).
constexpr uint64_t kPartitionSalt = 0x5bd1e9955bd1e995ULL;
constexpr uint64_t kBurstSalt = 0xc2b2ae3d27d4eb4fULL;
constexpr uint64_t kSpamSalt = 0x165667b19e3779f9ULL;
constexpr uint64_t kCorruptSalt = 0x27d4eb2f165667c5ULL;

// (a * b) >> 64 maps a uniform 64-bit value onto [0, b) without a division (Lemire's reduction).
inline uint64_t mulHigh(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 U128;
    return static_cast<uint64_t>((static_cast<U128>(a) * b) >> 64);
#else
    const uint64_t aLo = a & 0xffffffffu, aHi = a >> 32, bLo = b & 0xffffffffu, bHi = b >> 32;
    const uint64_t lo = aLo * bLo, mid1 = aHi * bLo, mid2 = aLo * bHi;
    const uint64_t carry = ((lo >> 32) + (mid1 & 0xffffffffu) + (mid2 & 0xffffffffu)) >> 32;
    return aHi * bHi + (mid1 >> 32) + (mid2 >> 32) + carry;
#endif
}

// xoshiro256** (Blackman & Vigna), seeded through SplitMix64. Its output is fixed by its
// definition; the standard distributions are not (each standard library has its own algorithms),
// and a seed must mean the same stream everywhere. Every transform below is written out for that
// reason.
class Xoshiro256 {
public:
    explicit Xoshiro256(uint64_t seed)
    {
        for (uint64_t &word : m_s) {
            seed += kGolden;
            word = mix64(seed);
        }
    }

    uint64_t next()
    {
        const uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; } // [0, 1)
    uint64_t below(uint64_t n) { return mulHigh(next(), n); }                   // [0, n)
    bool chance(double p) { return uniform01() < p; }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::array<uint64_t, 4> m_s{};
};

// A probability as a threshold for a 32-bit uniform (hit when below it); exact for 0 and 1.
uint64_t chance32(double p)
{
    if (!(p > 0))
        return 0;
    return p >= 1 ? uint64_t{1} << 32 : static_cast<uint64_t>(p * 0x1.0p32);
}

// Region popularity follows Zipf over this order: the largest audiences of social apps first.
constexpr std::array<std::string_view, 30> kRegionNames = {
    "US", "IN", "BR", "ID", "GB", "DE", "JP", "MX", "FR", "PH", "TR", "VN", "IT", "KR", "ES",
    "CA", "TH", "EG", "PK", "NG", "AR", "CO", "PL", "SA", "AU", "NL", "MY", "ZA", "UA", "SE"};
constexpr size_t kRegionCount = kRegionNames.size();

constexpr RegionCode regionCode(std::string_view name)
{
    return static_cast<RegionCode>((static_cast<unsigned>(name[0]) << 8) | static_cast<unsigned>(name[1]));
}

// Walker's alias method (Vose's construction): one 64-bit draw picks an item of a fixed discrete
// distribution in O(1), whatever its shape.
class AliasTable {
public:
    explicit AliasTable(const std::vector<double> &weights) : m_columns(weights.size())
    {
        const size_t n = weights.size();
        double sum = 0;
        for (double w : weights)
            sum += w;
        std::vector<double> scaled(n);
        std::vector<uint32_t> small, large;
        for (size_t i = 0; i < n; ++i) {
            scaled[i] = weights[i] * static_cast<double>(n) / sum;
            (scaled[i] < 1.0 ? small : large).push_back(static_cast<uint32_t>(i));
        }
        while (!small.empty() && !large.empty()) {
            const uint32_t s = small.back(), l = large.back();
            small.pop_back();
            large.pop_back();
            m_columns[s] = {static_cast<uint32_t>(scaled[s] * 0x1.0p32), l};
            scaled[l] = scaled[l] + scaled[s] - 1.0;
            (scaled[l] < 1.0 ? small : large).push_back(l);
        }
        // Whatever is left keeps its column outright (probability 1 up to rounding): aliasing a
        // column to itself says so without a threshold of 2^32.
        for (const auto *rest : {&small, &large})
            for (uint32_t i : *rest)
                m_columns[i] = {0, i};
    }

    size_t size() const { return m_columns.size(); }

    // The high half of `r` picks a column, the low half decides between it and its alias.
    size_t sample(uint64_t r) const
    {
        const auto column = static_cast<size_t>(((r >> 32) * m_columns.size()) >> 32);
        const Column &c = m_columns[column];
        return (r & 0xffffffffu) < c.threshold ? column : c.alias;
    }

private:
    struct Column {
        uint32_t threshold; // keep the column when the low half of the draw is below this
        uint32_t alias;
    };
    std::vector<Column> m_columns;
};

std::vector<double> zipfWeights(size_t n, double exponent)
{
    std::vector<double> w(n);
    for (size_t i = 0; i < n; ++i)
        w[i] = std::pow(static_cast<double>(i + 1), -exponent);
    return w;
}

// floor(Exponential(mean)) is Geometric(q = e^(-1/mean)): the table holds P(d) = (1 - q) q^d for
// d < span and, in its last entry, the tail P(d >= span) = q^span. The geometric distribution is
// memoryless, so a draw in the tail is span plus a fresh draw. This replaces a log per event.
std::vector<double> geometricWeights(double meanMs, size_t span)
{
    std::vector<double> w(span + 1);
    const double oneMinusQ = -std::expm1(-1.0 / meanMs);
    for (size_t d = 0; d < span; ++d)
        w[d] = oneMinusQ * std::exp(-static_cast<double>(d) / meanMs);
    w[span] = std::exp(-static_cast<double>(span) / meanMs);
    return w;
}

// Mobile apps dominate likes; the web is a minority and "other" (TVs, watches) a sliver.
// Counting thresholds instead of branching keeps an unpredictable choice off the branch predictor.
DeviceType deviceFor(double u)
{
    static constexpr DeviceType kByBand[] = {DeviceType::Android, DeviceType::Ios, DeviceType::Web,
                                             DeviceType::Other};
    const int band = int(u >= 0.45) + int(u >= 0.80) + int(u >= 0.95);
    return kByBand[band];
}

// ---- Corruption of serialized records -----------------------------------------------------------
// Each kind aims at one rejection path of a record decoder, so a run with malformedFraction > 0
// exercises all of them. Corrupted records must be rejected by any correct decoder at the default
// DecodeLimits; that is what makes corrupted() an exact expectation for dead-letter counts.

enum class Corruption : uint8_t {
    Truncate,      // cut inside the frame header or the payload
    Garbage,       // bytes no parser accepts
    BadMagic,      // framing byte 0 is not 0x00
    UnknownSchema, // schema id outside the registry
    WrongType,     // a number as a string, a string as a number, a protobuf field with the wrong wire type
    InvalidValue,  // well-typed but impossible: lower-case region, unknown action
    BadTimestamp,  // event time outside the accepted range
    Oversize,      // valid record padded past the size limit
    kCount
};

constexpr size_t kHeaderBytes = 5;

struct ProtoField {
    uint32_t number;
    uint32_t wireType;
    size_t begin; // offset of the tag within the payload
    size_t end;   // one past the field's last byte
};

bool readVarint(std::string_view s, size_t &pos, uint64_t &value)
{
    value = 0;
    for (int shift = 0; shift < 64 && pos < s.size(); shift += 7) {
        const auto byte = static_cast<uint8_t>(s[pos++]);
        value |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0)
            return true;
    }
    return false;
}

void appendVarint(std::string &out, uint64_t value)
{
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

// Splits protobuf wire data into fields; false if it is not well-formed.
bool splitProtoFields(std::string_view payload, std::vector<ProtoField> &fields)
{
    fields.clear();
    size_t pos = 0;
    while (pos < payload.size()) {
        const size_t begin = pos;
        uint64_t tag = 0, value = 0;
        if (!readVarint(payload, pos, tag))
            return false;
        const auto wireType = static_cast<uint32_t>(tag & 7);
        switch (wireType) {
        case 0:
            if (!readVarint(payload, pos, value))
                return false;
            break;
        case 1:
            pos += 8;
            break;
        case 2:
            if (!readVarint(payload, pos, value) || value > payload.size() - pos)
                return false;
            pos += static_cast<size_t>(value);
            break;
        case 5:
            pos += 4;
            break;
        default:
            return false;
        }
        if (pos > payload.size())
            return false;
        fields.push_back({static_cast<uint32_t>(tag >> 3), wireType, begin, pos});
    }
    return true;
}

// Finds the value that follows "key": in a JSON record; npos if the key is absent.
size_t jsonValueStart(const std::string &rec, std::string_view key)
{
    std::string quoted;
    quoted.reserve(key.size() + 2);
    quoted.append("\"").append(key).append("\"");
    size_t pos = rec.find(quoted, kHeaderBytes);
    if (pos == std::string::npos)
        return pos;
    pos = rec.find(':', pos + quoted.size());
    if (pos == std::string::npos)
        return pos;
    ++pos;
    while (pos < rec.size() && (rec[pos] == ' ' || rec[pos] == '\t' || rec[pos] == '\n' || rec[pos] == '\r'))
        ++pos;
    return pos < rec.size() ? pos : std::string::npos;
}

class RecordCorrupter {
public:
    RecordCorrupter(WireFormat format, uint64_t seed) : m_format(format), m_rng(seed) {}

    std::string corrupt(const LikeEvent &event, std::string rec)
    {
        const auto kind = static_cast<Corruption>(m_rng.below(static_cast<uint64_t>(Corruption::kCount)));
        switch (kind) {
        case Corruption::Truncate:
            truncate(rec);
            break;
        case Corruption::Garbage:
            garbage(rec);
            break;
        case Corruption::BadMagic:
            rec[0] = static_cast<char>(1 + m_rng.below(255));
            break;
        case Corruption::UnknownSchema: {
            static constexpr uint32_t kUnknown[] = {0, 5, 6, 9, 42, 255, 4096, 0x7fffffffu, 0xffffffffu};
            const uint32_t id = kUnknown[m_rng.below(std::size(kUnknown))];
            for (int i = 0; i < 4; ++i)
                rec[1 + i] = static_cast<char>((id >> (24 - 8 * i)) & 0xff);
            break;
        }
        case Corruption::WrongType:
            wrongType(rec);
            break;
        case Corruption::InvalidValue:
            invalidValue(event, rec);
            break;
        case Corruption::BadTimestamp: {
            const DecodeLimits limits;
            const int64_t times[] = {0, -1, limits.minEventTimeMs - 1, limits.maxEventTimeMs + 1,
                                     std::numeric_limits<int64_t>::max()};
            LikeEvent bad = event;
            bad.eventTimeMs = times[m_rng.below(std::size(times))];
            rec = encodeRecord(bad, m_format);
            break;
        }
        case Corruption::Oversize:
            oversize(rec);
            break;
        case Corruption::kCount:
            break;
        }
        return rec;
    }

private:
    void truncate(std::string &rec)
    {
        size_t limit = rec.size(); // cut lengths are drawn from [0, limit)
        if (m_format == WireFormat::Json) {
            // Every proper prefix of a JSON object is invalid, as long as the closing brace goes.
            const size_t brace = rec.rfind('}');
            if (brace != std::string::npos && brace >= kHeaderBytes)
                limit = brace + 1;
        } else if (splitProtoFields(std::string_view(rec).substr(kHeaderBytes), m_fields)) {
            // device_type is optional, so cutting exactly before it would leave a valid v1-shaped
            // record; cut strictly before that boundary instead, where a required field is hurt.
            for (const ProtoField &f : m_fields)
                if (f.number == 7)
                    limit = std::min(limit, kHeaderBytes + f.begin);
        } else {
            limit = kHeaderBytes;
        }
        rec.resize(static_cast<size_t>(m_rng.below(limit)));
    }

    void garbage(std::string &rec)
    {
        if (rec.size() <= kHeaderBytes)
            rec.resize(kHeaderBytes + 1);
        char *payload = rec.data() + kHeaderBytes;
        const size_t payloadSize = rec.size() - kHeaderBytes;
        if (m_format == WireFormat::Json) {
            // 0xF8..0xFF never occur in UTF-8, so they are invalid wherever they land; the first one
            // replaces the opening brace, which no JSON parser can skip.
            payload[0] = static_cast<char>(0xf8 | m_rng.below(8));
            for (uint64_t n = m_rng.below(8); n > 0; --n)
                payload[m_rng.below(payloadSize)] = static_cast<char>(0xf8 | m_rng.below(8));
        } else {
            // Wire types 6 and 7 do not exist, so the first tag already fails; the rest is noise.
            payload[0] = static_cast<char>(((1 + m_rng.below(15)) << 3) | (6 + m_rng.below(2)));
            for (size_t i = 1; i < payloadSize; ++i)
                if (m_rng.below(4) == 0)
                    payload[i] = static_cast<char>(m_rng.next());
        }
    }

    void wrongType(std::string &rec)
    {
        if (m_format == WireFormat::Json) {
            static constexpr std::string_view kNumeric[] = {"event_id", "post_id", "user_id", "event_time_ms"};
            static constexpr std::string_view kText[] = {"region", "action"};
            const uint64_t pick = m_rng.below(std::size(kNumeric) + std::size(kText));
            if (pick < std::size(kNumeric)) {
                const size_t begin = jsonValueStart(rec, kNumeric[pick]);
                if (begin != std::string::npos) {
                    size_t end = begin;
                    while (end < rec.size() && (rec[end] == '-' || (rec[end] >= '0' && rec[end] <= '9')))
                        ++end;
                    rec.insert(end, 1, '"');
                    rec.insert(begin, 1, '"');
                    return;
                }
            } else {
                const size_t begin = jsonValueStart(rec, kText[pick - std::size(kNumeric)]);
                const size_t close = begin == std::string::npos ? begin : rec.find('"', begin + 1);
                if (close != std::string::npos && rec[begin] == '"') {
                    rec.replace(begin, close + 1 - begin, std::to_string(1 + m_rng.below(999)));
                    return;
                }
            }
        } else if (splitProtoFields(std::string_view(rec).substr(kHeaderBytes), m_fields)) {
            // A field under the wrong wire type is not the field at all to a protobuf reader, so
            // the decoder sees a required field missing (or, if it checks wire types, a wrong type).
            const bool regionAsVarint = m_rng.below(2) == 0;
            std::string out = rec.substr(0, kHeaderBytes);
            const std::string_view payload = std::string_view(rec).substr(kHeaderBytes);
            bool changed = false;
            for (const ProtoField &f : m_fields) {
                if (regionAsVarint && f.number == 4) {
                    out.push_back(static_cast<char>((4 << 3) | 0));
                    appendVarint(out, 85);
                    changed = true;
                } else if (!regionAsVarint && f.number == 2) {
                    out.push_back(static_cast<char>((2 << 3) | 2));
                    out.push_back(8);
                    out.append("postpost");
                    changed = true;
                } else {
                    out.append(payload.substr(f.begin, f.end - f.begin));
                }
            }
            if (changed) {
                rec = std::move(out);
                return;
            }
        }
        garbage(rec); // the record does not look like the codec's output; still corrupt it
    }

    void invalidValue(const LikeEvent &event, std::string &rec)
    {
        if (m_format == WireFormat::Json && m_rng.below(2) == 0) {
            const size_t begin = jsonValueStart(rec, "action");
            const size_t close = begin == std::string::npos ? begin : rec.find('"', begin + 1);
            if (close != std::string::npos && rec[begin] == '"') {
                rec.replace(begin, close + 1 - begin, "\"love\"");
                return;
            }
        }
        // Region codes are two upper-case letters; the same letters in lower case are not one.
        LikeEvent bad = event;
        bad.region = static_cast<RegionCode>(event.region | 0x2020);
        rec = encodeRecord(bad, m_format);
    }

    void oversize(std::string &rec)
    {
        const size_t maxBytes = DecodeLimits{}.maxRecordBytes;
        const size_t target = maxBytes + 1 + static_cast<size_t>(m_rng.below(maxBytes));
        if (rec.size() >= target)
            return;
        if (m_format == WireFormat::Json) {
            // Whitespace keeps the JSON valid: only the size check may reject it.
            const size_t brace = rec.rfind('}');
            rec.insert(brace == std::string::npos ? rec.size() : brace, target - rec.size(), ' ');
        } else {
            // An unknown length-delimited field keeps the message valid for the same reason.
            rec.push_back(static_cast<char>((15 << 3) | 2));
            const size_t padding = target - rec.size();
            appendVarint(rec, padding);
            rec.append(padding, 'x');
        }
    }

    WireFormat m_format;
    Xoshiro256 m_rng;
    std::vector<ProtoField> m_fields; // scratch, reused
};

// Events whose delivery time is reached, in (deliveryTime, eventId) order: a FIFO over a vector
// that is compacted only when its consumed head outweighs the rest, so steady state allocates
// nothing.
class ReadyQueue {
public:
    size_t size() const { return m_items.size() - m_head; }
    bool empty() const { return size() == 0; }
    LikeEvent &emplace() { return m_items.emplace_back(); }
    const LikeEvent *front() const { return m_items.data() + m_head; }
    void drop(size_t n)
    {
        m_head += n;
        if (m_head == m_items.size()) {
            m_items.clear();
            m_head = 0;
        } else if (m_head >= 4096 && m_head * 2 >= m_items.size()) {
            m_items.erase(m_items.begin(), m_items.begin() + static_cast<std::ptrdiff_t>(m_head));
            m_head = 0;
        }
    }

private:
    std::vector<LikeEvent> m_items;
    size_t m_head = 0;
};

// An event generated but not yet due, beyond the reach of the delay wheel.
struct InFlight {
    int64_t deliveryTimeMs;
    LikeEvent event;
};

// std heaps are max-heaps; ordering by "later" puts the earliest (deliveryTime, eventId) on top.
struct Later {
    bool operator()(const InFlight &a, const InFlight &b) const
    {
        if (a.deliveryTimeMs != b.deliveryTimeMs)
            return a.deliveryTimeMs > b.deliveryTimeMs;
        return a.event.eventId > b.event.eventId;
    }
};

// JobConfig::validate reports bad values to the operator; reaching here with one is a bug.
GeneratorConfig validated(GeneratorConfig c)
{
    auto fail = [](const char *what) { throw std::invalid_argument(std::string("GeneratorConfig: ") + what); };
    if (c.partitions < 1)
        fail("partitions must be >= 1");
    if (c.silentPartitions < 0 || c.silentPartitions >= c.partitions)
        fail("silentPartitions must be in [0, partitions)");
    if (c.posts == 0 || c.users == 0)
        fail("posts and users must be >= 1");
    if (!(c.eventTimeRate > 0) || !std::isfinite(c.eventTimeRate))
        fail("eventTimeRate must be > 0");
    if (!(c.postSkew >= 0) || !(c.regionSkew >= 0))
        fail("postSkew and regionSkew must be >= 0");
    if (!(c.meanDelayMs >= 0) || c.lateDelayMs < 0 || c.burstEveryMs < 0 || c.burstDurationMs < 0)
        fail("delays and burst lengths must be >= 0");
    if (!(c.eventsPerSecond >= 0))
        fail("eventsPerSecond must be >= 0");
    if (c.startTimeMs == 0) // a live stream: its event time starts now
        c.startTimeMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return c;
}

} // namespace

struct GeneratorSource::Impl {
    explicit Impl(GeneratorConfig c)
        : cfg(validated(std::move(c))),
          active(cfg.partitions - cfg.silentPartitions),
          rng(cfg.seed),
          postZipf(cfg.posts, cfg.postSkew),
          regions(zipfWeights(kRegionCount, cfg.regionSkew)),
          corrupter(cfg.format, mix64(cfg.seed ^ kCorruptSalt)),
          wheel(wheelSlotsFor(cfg.meanDelayMs)),
          wheelMask(static_cast<int64_t>(wheel.size()) - 1),
          ready(static_cast<size_t>(cfg.partitions)),
          offsets(static_cast<size_t>(cfg.partitions), 0)
    {
        for (size_t i = 0; i < kRegionCount; ++i)
            regionCodes[i] = regionCode(kRegionNames[i]);

        // Integral rates (the usual case) get exact integer event times: floor((i-1) * 1000 / rate)
        // computed incrementally, free of the rounding a double quotient has once i is large.
        exactTime = cfg.eventTimeRate >= 1 && cfg.eventTimeRate <= 0x1.0p52
                    && std::floor(cfg.eventTimeRate) == cfg.eventTimeRate;
        if (exactTime) {
            rate = static_cast<uint64_t>(cfg.eventTimeRate);
            stepQuotient = 1000 / rate;
            stepRemainder = 1000 % rate;
        }

        const double spamWanted = static_cast<double>(cfg.users) * cfg.spamUserFraction;
        spamUsers = !(spamWanted >= 1)                           ? 1
                    : spamWanted >= static_cast<double>(cfg.users) ? cfg.users
                                                                   : static_cast<uint64_t>(spamWanted);
        spamStride = cfg.users / spamUsers;
        spamPhase = mix64(cfg.seed ^ kSpamSalt) % spamStride;

        if (cfg.burstEveryMs <= 0 || cfg.burstDurationMs <= 0)
            segmentEndMs = std::numeric_limits<int64_t>::max();
        corruptThreshold = cfg.serialized ? cfg.malformedFraction : 0.0;
        spamChance = chance32(cfg.spamShare);
        unlikeChance = chance32(cfg.unlikeFraction);
        v2Chance = chance32(cfg.v2Fraction);
        lateChance = chance32(cfg.lateFraction);

        // Past a few seconds of mean delay the table's tail is hit so often that the log is cheaper.
        if (cfg.meanDelayMs > 0 && cfg.meanDelayMs <= 4096) {
            delaySpan = 16;
            while (delaySpan < 2048 && static_cast<double>(delaySpan) < 8 * cfg.meanDelayMs)
                delaySpan *= 2;
            delays.emplace(geometricWeights(cfg.meanDelayMs, delaySpan));
        }
    }

    // Slots enough that exponential delays rarely overflow (P(delay > 8 means) is e^-8); more
    // would only spread the in-flight events over more memory. The late tail mostly goes to the
    // overflow heap.
    static size_t wheelSlotsFor(double meanDelayMs)
    {
        const double wanted = std::clamp(8.0 * meanDelayMs, 256.0, 65536.0);
        size_t slots = 256;
        while (static_cast<double>(slots) < wanted)
            slots *= 2;
        return slots;
    }

    uint64_t spamUser(uint64_t index) const { return 1 + spamPhase + index * spamStride; }

    bool isSpamUser(uint64_t userId) const
    {
        if (userId == 0 || userId > cfg.users || userId - 1 < spamPhase)
            return false;
        const uint64_t offset = userId - 1 - spamPhase;
        return offset % spamStride == 0 && offset / spamStride < spamUsers;
    }

    // A mid-popularity post (ranks between the top 1% and the top 10%), so a burst stands out in
    // per-post counts instead of hiding behind a post that is hot anyway.
    uint64_t burstPost(int64_t burst) const
    {
        const uint64_t lo = std::min<uint64_t>(cfg.posts, std::max<uint64_t>(2, cfg.posts / 100));
        const uint64_t hi = std::min<uint64_t>(cfg.posts, std::max<uint64_t>(lo, cfg.posts / 10));
        return lo + mix64(cfg.seed ^ kBurstSalt ^ (static_cast<uint64_t>(burst) * kGolden)) % (hi - lo + 1);
    }

    int64_t nextEventTime()
    {
        const uint64_t n = generated; // zero-based index of the event being made
        if (exactTime) {
            const int64_t t = cfg.startTimeMs + static_cast<int64_t>(timeQuotient);
            timeQuotient += stepQuotient;
            timeRemainder += stepRemainder;
            if (timeRemainder >= rate) {
                timeRemainder -= rate;
                ++timeQuotient;
            }
            return t;
        }
        return cfg.startTimeMs + static_cast<int64_t>(std::floor(static_cast<double>(n) * 1000.0 / cfg.eventTimeRate));
    }

    // Bursts change state only at segment boundaries, so the division happens once per segment.
    void updateBurst(int64_t t)
    {
        const int64_t offset = t - cfg.startTimeMs;
        const int64_t k = offset / cfg.burstEveryMs;
        const int64_t kStart = cfg.startTimeMs + k * cfg.burstEveryMs;
        if (k >= 1 && offset - k * cfg.burstEveryMs < cfg.burstDurationMs) {
            celebrity = burstPost(k);
            segmentEndMs = kStart + std::min(cfg.burstDurationMs, cfg.burstEveryMs);
        } else {
            celebrity = 0;
            segmentEndMs = kStart + cfg.burstEveryMs;
        }
    }

    // A new entry at the back of the post's partition queue, for the caller to fill in.
    LikeEvent &emplaceReady(uint64_t postId, [[maybe_unused]] uint64_t eventId,
                            [[maybe_unused]] int64_t deliveryTimeMs)
    {
        const auto p = static_cast<size_t>(partitionFor(postId, active));
#ifndef NDEBUG
        // The delivery contract: each partition in (deliveryTime, eventId) order.
        assert(deliveryTimeMs > lastReady[p].first
               || (deliveryTimeMs == lastReady[p].first && eventId > lastReady[p].second));
        lastReady[p] = {deliveryTimeMs, eventId};
#endif
        ReadyQueue &q = ready[p];
        LikeEvent &slot = q.emplace();
        if (q.size() >= backlogCap)
            backlogFull = true;
        return slot;
    }

    void pushReady(const LikeEvent &e, int64_t deliveryTimeMs)
    {
        emplaceReady(e.postId, e.eventId, deliveryTimeMs) = e;
    }

    void releaseOverflow(int64_t now)
    {
        while (!overflow.empty() && overflow.front().deliveryTimeMs <= now) {
            std::pop_heap(overflow.begin(), overflow.end(), Later{});
            pushReady(overflow.back().event, overflow.back().deliveryTimeMs);
            overflow.pop_back();
        }
    }

    // Moves every in-flight event due by `now` to its partition's ready queue, in (deliveryTime,
    // eventId) order, which keeps each queue in that order: whatever is already there is due no
    // later. Within one millisecond, overflow events go first: they were pushed when that
    // millisecond was still beyond the wheel, hence earlier, hence with smaller ids than the
    // wheel's events for it.
    void release(int64_t now)
    {
        if (wheelCount > 0) {
            // The wheel only holds delivery times in (releasedMs, releasedMs + slots).
            const int64_t last = std::min(now, releasedMs + wheelMask);
            for (int64_t ms = releasedMs + 1; ms <= last && wheelCount > 0; ++ms) {
                std::vector<LikeEvent> &slot = wheel[static_cast<size_t>(ms & wheelMask)];
                if (slot.empty())
                    continue;
                releaseOverflow(ms);
                for (const LikeEvent &e : slot)
                    pushReady(e, ms);
                wheelCount -= slot.size();
                slot.clear(); // keeps its capacity: the wheel comes round to it again
            }
        }
        releaseOverflow(now);
        releasedMs = now;
    }

    // floor(Exponential(meanDelayMs)) in milliseconds.
    int64_t exponentialDelay()
    {
        if (delays) {
            for (int64_t base = 0;; base += static_cast<int64_t>(delaySpan)) {
                const size_t d = delays->sample(rng.next());
                if (d < delaySpan)
                    return base + static_cast<int64_t>(d);
            }
        }
        // Inversion of the CDF; 1 - u lies in (0, 1], so the log is finite.
        const double d = -cfg.meanDelayMs * std::log(1.0 - rng.uniform01());
        return static_cast<int64_t>(std::min(d, 0x1.0p62));
    }

    void generateOne()
    {
        const int64_t t = nextEventTime();
        const uint64_t id = ++generated;
        if (t != lastTimeMs) {
            lastTimeMs = t;
            release(t);
            if (t >= segmentEndMs)
                updateBurst(t);
        }

        uint64_t postId;
        if (celebrity != 0 && rng.chance(cfg.burstShare))
            postId = celebrity;
        else
            postId = postZipf([this] { return rng.uniform01(); }); // id = rank: post 1 is the hottest
        // Four yes/no choices from two draws, 32 bits each.
        const uint64_t coins1 = rng.next(), coins2 = rng.next();
        const uint64_t userId = (coins1 & 0xffffffffu) < spamChance ? spamUser(rng.below(spamUsers))
                                                                    : 1 + rng.below(cfg.users);
        const Action action = (coins1 >> 32) < unlikeChance ? Action::Unlike : Action::Like;
        const RegionCode region = regionCodes[regions.sample(rng.next())];
        const bool v2 = (coins2 & 0xffffffffu) < v2Chance;
        const DeviceType device = v2 ? deviceFor(rng.uniform01()) : DeviceType::None;

        int64_t delay = 0;
        if ((coins2 >> 32) < lateChance)
            delay = static_cast<int64_t>(rng.below(static_cast<uint64_t>(cfg.lateDelayMs) + 1));
        else if (cfg.meanDelayMs > 0)
            delay = exponentialDelay();

        // The event is written in place rather than built and copied: a struct assembled from
        // narrow stores and then copied with wide loads stalls store forwarding, which showed up
        // as the single largest cost of generation.
        LikeEvent *e;
        if (delay == 0) {
            e = &emplaceReady(postId, id, t);
        } else if (delay <= wheelMask) {
            e = &wheel[static_cast<size_t>((t + delay) & wheelMask)].emplace_back();
            ++wheelCount;
        } else {
            InFlight &f = overflow.emplace_back();
            f.deliveryTimeMs = t + delay;
            e = &f.event;
        }
        e->eventId = id;
        e->postId = postId;
        e->userId = userId;
        e->eventTimeMs = t;
        e->region = region;
        e->action = action;
        e->deviceType = device;
        e->schemaVersion = v2 ? 2 : 1;
        if (delay > wheelMask)
            std::push_heap(overflow.begin(), overflow.end(), Later{});
        ++pending;

        if (cfg.totalEvents > 0 && generated == cfg.totalEvents) {
            ended = true;
            release(std::numeric_limits<int64_t>::max()); // nothing is in flight once the stream ends
        }
    }

    // How many records pacing lets this poll deliver; 0 means wait.
    size_t paceLimit(size_t maxRecords)
    {
        using namespace std::chrono;
        const auto now = steady_clock::now();
        if (!paceStarted) {
            paceStarted = true;
            paceStart = now;
        }
        const double elapsed = duration<double>(now - paceStart).count();
        // Records skipped after a seek() are not paced: they were delivered by an earlier run.
        const double due = pace * elapsed;
        const double paced = static_cast<double>(delivered - seekSkipped - paceBase);
        behind.store(static_cast<uint64_t>(std::clamp(due - paced, 0.0, 0x1p62)), std::memory_order_relaxed);
        const double room = due + static_cast<double>(maxRecords) - paced;
        // Batches of at least 10 ms' worth, as a Kafka consumer's fetches bring them: a slow rate
        // is not a trickle of small batches, each of which costs every stage a hand-over.
        const double minimum = std::clamp(pace / 100.0, 1.0, static_cast<double>(maxRecords));
        if (room < minimum) {
            const double wait = std::min((minimum - room) / pace, 0.005);
            std::this_thread::sleep_for(duration<double>(wait));
            return 0;
        }
        return static_cast<size_t>(std::min(room, static_cast<double>(maxRecords)));
    }

    bool finished() const { return ended && pending == 0; }

    PollStatus poll(SourceBatch &batch, size_t maxRecords)
    {
        batch.clear();
        if (finished())
            return PollStatus::End;
        if (maxRecords == 0)
            return PollStatus::Idle;
        if (const double rate = requestedRate.exchange(-1); rate >= 0) { // pacing starts over at the new rate
            pace = rate;
            paceStarted = false;
            paceBase = delivered - seekSkipped;
            behind.store(0, std::memory_order_relaxed);
        }
        size_t limit = maxRecords;
        if (pace > 0) {
            limit = paceLimit(maxRecords);
            if (limit == 0)
                return PollStatus::Idle;
        }

        const int p = cursor;
        cursor = (cursor + 1) % active;
        ReadyQueue &queue = ready[static_cast<size_t>(p)];

        // Generate until this partition can fill the batch. Two brakes keep a poll bounded: a
        // work budget, and a backlog cap on every partition, because under skew (a celebrity
        // burst lands on one partition) filling a cold partition would otherwise pile up events
        // on the hot one faster than it is drained.
        const uint64_t bounded = std::min<uint64_t>(limit, uint64_t{1} << 24);
        backlogCap = static_cast<size_t>(std::max<uint64_t>(4 * std::min<uint64_t>(maxRecords, uint64_t{1} << 24), 64));
        backlogFull = false;
        for (const ReadyQueue &q : ready)
            backlogFull = backlogFull || q.size() >= backlogCap;
        for (uint64_t budget = bounded * static_cast<uint64_t>(active) * 8;
             budget > 0 && !ended && !backlogFull && queue.size() < limit; --budget)
            generateOne();

        const size_t take = std::min(limit, queue.size());
        if (take == 0)
            return finished() ? PollStatus::End : PollStatus::Idle;

        batch.partition = p;
        batch.firstOffset = offsets[static_cast<size_t>(p)];
        const LikeEvent *first = queue.front();
        if (!cfg.serialized) {
            batch.events.assign(first, first + take);
        } else {
            for (size_t i = 0; i < take; ++i) {
                const LikeEvent &e = first[i];
                std::string rec = encodeRecord(e, cfg.format);
                if (corruptThreshold > 0 && corruptDecision(e.eventId) < corruptThreshold) {
                    rec = corrupter.corrupt(e, std::move(rec));
                    ++corrupted;
                }
                batch.records.append(rec);
            }
        }
        queue.drop(take);
        offsets[static_cast<size_t>(p)] += static_cast<int64_t>(take);
        pending -= take;
        delivered += take;
        return PollStatus::Data;
    }

    // Which records are corrupted depends on the event id alone, not on how polls cut batches.
    double corruptDecision(uint64_t eventId) const
    {
        return static_cast<double>(mix64(cfg.seed ^ kCorruptSalt ^ (eventId * kGolden)) >> 11) * 0x1.0p-53;
    }

    const GeneratorConfig cfg;
    const int active; // partitions that receive events: the silent ones are the last
    Xoshiro256 rng;
    const ZipfSampler postZipf;
    const AliasTable regions;
    std::optional<AliasTable> delays; // geometric delay table; absent means use the log
    size_t delaySpan = 0;
    std::array<RegionCode, kRegionCount> regionCodes{};
    RecordCorrupter corrupter;
    double corruptThreshold = 0;

    bool exactTime = false;
    uint64_t rate = 1, stepQuotient = 0, stepRemainder = 0, timeQuotient = 0, timeRemainder = 0;

    uint64_t spamUsers = 1, spamStride = 1, spamPhase = 0;
    uint64_t spamChance = 0, unlikeChance = 0, v2Chance = 0, lateChance = 0; // see chance32

    int64_t segmentEndMs = std::numeric_limits<int64_t>::min();
    uint64_t celebrity = 0; // post of the running burst; 0 outside bursts

    uint64_t generated = 0;
    int64_t lastTimeMs = std::numeric_limits<int64_t>::min();
    bool ended = false;
    uint64_t pending = 0; // generated, not yet delivered

    // In flight: a timing wheel with one slot per millisecond of delivery time (O(1) per event;
    // a slot fills in id order, which is the delivery order within a millisecond), and a heap for
    // delays beyond the wheel's reach.
    std::vector<std::vector<LikeEvent>> wheel;
    const int64_t wheelMask; // slots - 1, the longest delay the wheel takes
    size_t wheelCount = 0;
    std::vector<InFlight> overflow; // binary heap ordered by Later
    int64_t releasedMs = std::numeric_limits<int64_t>::min(); // everything due by then is ready
    std::vector<ReadyQueue> ready;  // per partition
    std::vector<int64_t> offsets;   // per partition: records delivered so far
#ifndef NDEBUG
    std::vector<std::pair<int64_t, uint64_t>> lastReady =
        std::vector<std::pair<int64_t, uint64_t>>(ready.size(), {std::numeric_limits<int64_t>::min(), 0});
#endif
    size_t backlogCap = 64;
    bool backlogFull = false;
    int cursor = 0;

    bool paceStarted = false;
    uint64_t seekSkipped = 0; // records dropped after seek(), not counted by pacing
    double pace = cfg.eventsPerSecond; // records per wall-clock second; 0: unpaced
    uint64_t paceBase = 0;    // records delivered before pacing last started over
    std::atomic<double> requestedRate{-1}; // setEventsPerSecond()'s rate until the next poll takes it
    std::atomic<uint64_t> behind{0};
    std::chrono::steady_clock::time_point paceStart;
    uint64_t delivered = 0;
    uint64_t corrupted = 0;
};

GeneratorSource::GeneratorSource(GeneratorConfig config) : d(std::make_unique<Impl>(std::move(config))) {}

GeneratorSource::~GeneratorSource() = default;

int GeneratorSource::partitionCount() const { return d->cfg.partitions; }

Source::PollStatus GeneratorSource::poll(SourceBatch &batch, size_t maxRecords)
{
    // Skipping regenerates records one by one, which for far positions takes long: hand back
    // Idle now and then so the caller can still stop (a --duration, SIGTERM, a stop action).
    const auto skipUntil = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
    for (;;) {
        const PollStatus status = d->poll(batch, maxRecords);
        if (status != PollStatus::Data || m_skipTo.empty())
            return status;
        // After seek(): regenerate the stream (it is reproducible) and drop what was delivered.
        const auto p = static_cast<size_t>(batch.partition);
        const int64_t skip = std::min<int64_t>(m_skipTo[p] - batch.firstOffset, static_cast<int64_t>(batch.size()));
        if (skip <= 0)
            return status;
        d->seekSkipped += static_cast<uint64_t>(skip);
        if (skip == static_cast<int64_t>(batch.size())) {
            if (std::chrono::steady_clock::now() >= skipUntil) {
                batch.clear();
                return PollStatus::Idle;
            }
            continue;
        }
        // A batch holds decoded events or serialized records, never both.
        if (!batch.events.empty())
            batch.events.erase(batch.events.begin(), batch.events.begin() + skip);
        if (!batch.records.empty()) {
            RawRecords kept;
            for (size_t i = static_cast<size_t>(skip); i < batch.records.size(); ++i)
                kept.append(batch.records.at(i));
            batch.records = std::move(kept);
        }
        batch.firstOffset += skip;
        return status;
    }
}

Status GeneratorSource::seek(const std::vector<int64_t> &nextOffsets)
{
    if (static_cast<int>(nextOffsets.size()) != d->cfg.partitions)
        return Status::invalidArgument("generator: the savepoint has " + std::to_string(nextOffsets.size()) +
                                       " partitions, the generator " + std::to_string(d->cfg.partitions));
    int64_t total = 0;
    for (size_t p = 0; p < nextOffsets.size(); ++p) {
        if (nextOffsets[p] < -1)
            return Status::invalidArgument("generator: partition " + std::to_string(p) + "'s position " +
                                           std::to_string(nextOffsets[p]) + " is negative");
        if (nextOffsets[p] > 0 && __builtin_add_overflow(total, nextOffsets[p], &total))
            total = INT64_MAX;
    }
    if (d->cfg.totalEvents > 0 && static_cast<uint64_t>(total) > d->cfg.totalEvents)
        return Status::invalidArgument("generator: the positions add up to " + std::to_string(total) +
                                       " events, but the generator makes only " + std::to_string(d->cfg.totalEvents));
    m_skipTo = nextOffsets;
    return Status::ok();
}

const GeneratorConfig &GeneratorSource::config() const { return d->cfg; }

uint64_t GeneratorSource::generated() const { return d->generated; }

uint64_t GeneratorSource::corrupted() const { return d->corrupted; }

void GeneratorSource::setEventsPerSecond(double rate)
{
    if (rate >= 0 && std::isfinite(rate))
        d->requestedRate.store(rate);
}

uint64_t GeneratorSource::behindSchedule() const { return d->behind.load(std::memory_order_relaxed); }

uint64_t GeneratorSource::burstPost(int64_t burst) const { return d->burstPost(burst); }

bool GeneratorSource::isSpamUser(uint64_t userId) const { return d->isSpamUser(userId); }

int GeneratorSource::partitionFor(uint64_t postId, int partitions)
{
    if (partitions <= 1)
        return 0;
    // Salted, so partitions stay independent of key groups, which hash the same post id.
    return static_cast<int>(mulHigh(mix64(postId ^ kPartitionSalt), static_cast<uint64_t>(partitions)));
}

} // namespace tally
