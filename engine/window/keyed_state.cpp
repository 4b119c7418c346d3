#include "window/keyed_state.h"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace tally {

size_t KeyedStateSnapshot::recordCount() const
{
    size_t n = 0;
    for (const auto &g : keyGroups)
        n += g.size();
    return n;
}

void KeyedStateSnapshot::canonicalize()
{
    for (auto &g : keyGroups)
        std::sort(g.begin(), g.end(), [](const KeyedStateRecord &a, const KeyedStateRecord &b) {
            return std::tie(a.structure, a.key, a.ns) < std::tie(b.structure, b.key, b.ns);
        });
}

void KeyedStateSnapshot::merge(KeyedStateSnapshot &&other)
{
    watermark = std::max(watermark, other.watermark);
    velocitySliding = velocitySliding || other.velocitySliding;
    spamSliding = spamSliding || other.spamSliding;
    for (size_t g = 0; g < keyGroups.size(); ++g) {
        auto &mine = keyGroups[g];
        auto &theirs = other.keyGroups[g];
        if (mine.empty())
            mine = std::move(theirs);
        else
            mine.insert(mine.end(), theirs.begin(), theirs.end());
    }
}

namespace {

constexpr char kMagic[8] = {'T', 'A', 'L', 'L', 'Y', 'K', 'S', '1'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kRecordBytes = 1 + 1 + 8 + 8 + 8;

template <typename T>
void put(std::string &out, T v)
{
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T)); // little-endian hosts only (x86-64, aarch64)
    out.append(b, sizeof(T));
}

class Reader {
public:
    explicit Reader(std::string_view bytes) : m_bytes(bytes) {}
    template <typename T>
    bool get(T &v)
    {
        if (m_bytes.size() - m_pos < sizeof(T))
            return false;
        std::memcpy(&v, m_bytes.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return true;
    }
    size_t remaining() const { return m_bytes.size() - m_pos; }

private:
    std::string_view m_bytes;
    size_t m_pos = 0;
};

} // namespace

uint32_t crc32c(std::string_view bytes, uint32_t crc)
{
    static const auto table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    crc = ~crc;
    for (unsigned char b : bytes)
        crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
    return ~crc;
}

std::string encodeKeyedState(const KeyedStateSnapshot &s)
{
    std::string out;
    out.reserve(64 + s.recordCount() * kRecordBytes + kMaxParallelism * 4);
    out.append(kMagic, sizeof kMagic);
    put<uint32_t>(out, kFormatVersion);
    put<int64_t>(out, s.watermark);
    put<uint8_t>(out, static_cast<uint8_t>((s.velocitySliding ? 1 : 0) | (s.spamSliding ? 2 : 0)));
    for (const auto &group : s.keyGroups) {
        put<uint32_t>(out, static_cast<uint32_t>(group.size()));
        for (const KeyedStateRecord &r : group) {
            put<uint8_t>(out, r.structure);
            put<uint8_t>(out, r.flags);
            put<uint64_t>(out, r.key);
            put<int64_t>(out, r.ns);
            put<int64_t>(out, r.value);
        }
    }
    put<uint32_t>(out, crc32c(out));
    return out;
}

Result<KeyedStateSnapshot> decodeKeyedState(std::string_view bytes)
{
    if (bytes.size() < sizeof kMagic + 4 + 8 + 1 + 4 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        return Status::corruption("keyed state: not a Tally keyed-state snapshot (bad magic or too short)");
    const std::string_view body = bytes.substr(0, bytes.size() - 4);
    uint32_t stored = 0;
    std::memcpy(&stored, bytes.data() + body.size(), 4);
    if (crc32c(body) != stored)
        return Status::corruption("keyed state: checksum mismatch (the snapshot is damaged)");
    Reader in(body.substr(sizeof kMagic));
    uint32_t version = 0;
    uint8_t flags = 0;
    KeyedStateSnapshot s;
    if (!in.get(version) || !in.get(s.watermark) || !in.get(flags))
        return Status::corruption("keyed state: truncated header");
    if (version != kFormatVersion)
        return Status::corruption("keyed state: format version " + std::to_string(version) + " is not supported (this build reads " +
                                  std::to_string(kFormatVersion) + ")");
    s.velocitySliding = flags & 1;
    s.spamSliding = flags & 2;
    for (auto &group : s.keyGroups) {
        uint32_t n = 0;
        if (!in.get(n) || in.remaining() / kRecordBytes < n)
            return Status::corruption("keyed state: truncated key group");
        group.resize(n);
        for (KeyedStateRecord &r : group)
            in.get(r.structure), in.get(r.flags), in.get(r.key), in.get(r.ns), in.get(r.value);
    }
    if (in.remaining() != 0)
        return Status::corruption("keyed state: trailing bytes after the last key group");
    return s;
}

} // namespace tally
