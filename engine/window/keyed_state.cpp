#include "window/keyed_state.h"

#include "util/byte_io.h"
#include "util/checksummed.h"

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

constexpr ChecksummedFormat kKeyedStateFormat{"keyed-state snapshot", "TALLYKS1", 1};
constexpr size_t kRecordBytes = 1 + 1 + 8 + 8 + 8;

} // namespace

std::string encodeKeyedState(const KeyedStateSnapshot &s)
{
    std::string out;
    out.reserve(64 + s.recordCount() * kRecordBytes + kMaxParallelism * 4);
    beginChecksummed(out, kKeyedStateFormat);
    putBytes<int64_t>(out, s.watermark);
    putBytes<uint8_t>(out, static_cast<uint8_t>((s.velocitySliding ? 1 : 0) | (s.spamSliding ? 2 : 0)));
    for (const auto &group : s.keyGroups) {
        putBytes<uint32_t>(out, static_cast<uint32_t>(group.size()));
        for (const KeyedStateRecord &r : group) {
            putBytes<uint8_t>(out, r.structure);
            putBytes<uint8_t>(out, r.flags);
            putBytes<uint64_t>(out, r.key);
            putBytes<int64_t>(out, r.ns);
            putBytes<int64_t>(out, r.value);
        }
    }
    sealChecksummed(out);
    return out;
}

Result<KeyedStateSnapshot> decodeKeyedState(std::string_view bytes)
{
    auto body = openChecksummed(bytes, kKeyedStateFormat);
    if (!body)
        return body.status();
    ByteReader in(body.value());
    uint8_t flags = 0;
    KeyedStateSnapshot s;
    if (!in.get(s.watermark) || !in.get(flags))
        return Status::corruption("keyed state: truncated header");
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
