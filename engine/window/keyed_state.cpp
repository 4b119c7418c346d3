#include "window/keyed_state.h"

#include "util/byte_io.h"
#include "util/checksummed.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <tuple>

namespace tally {

namespace {

// Version 2 stores records compactly (below); version 1's fixed 26-byte records are still read.
constexpr ChecksummedFormat kKeyedStateFormat{"keyed-state snapshot", "TALLYKS1", 2, 1};
constexpr ChecksummedFormat kChangesFormat{"keyed-state changes", "TALLYKC1", 2, 1};
constexpr uint32_t kFixedRecordsVersion = 1;
constexpr size_t kFixedRecordBytes = 1 + 1 + 8 + 8 + 8;
constexpr size_t kNamespaceBytes = 1 + 8;

// A compact record: a head byte (structure in bits 0-4, bit 5 the fired flag, bit 6 set when the
// namespace is the one of the record before in its key group), the namespace as a zigzag varint
// of its difference to that record's (absent with bit 6; the first record's is to 0), the key as
// a varint and the value as a zigzag varint. Records come in runs of one namespace (a task
// visits its counts namespace by namespace) or of near keys (canonical order), so a count
// takes 5-7 bytes instead of 26: what checkpoints write and fsync per second.
constexpr uint8_t kStructureBits = 0x1f;
constexpr uint8_t kHeadFired = 0x20;
constexpr uint8_t kHeadSameNamespace = 0x40;
constexpr size_t kMaxVarintBytes = 10;
constexpr size_t kMaxCompactRecordBytes = 1 + 3 * kMaxVarintBytes;
constexpr size_t kMinCompactRecordBytes = 3; // head, key, value
static_assert(static_cast<size_t>(StateStructure::Region) + kMaxRegionWindows - 1 <= kStructureBits,
              "every state structure fits the head byte");

uint64_t zigzag(uint64_t v) { return (v << 1) ^ static_cast<uint64_t>(static_cast<int64_t>(v) >> 63); }
uint64_t unzigzag(uint64_t v) { return (v >> 1) ^ (~(v & 1) + 1); }

char *putVarint(char *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = static_cast<char>(v | 0x80);
        v >>= 7;
    }
    *p++ = static_cast<char>(v);
    return p;
}

// Fails on a varint that runs past `end` or past 64 bits.
bool getVarint(const uint8_t *&p, const uint8_t *end, uint64_t &v)
{
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p == end)
            return false;
        const uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return false;
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

// What a record may hold, in either version: a structure the head byte can name, no flag but
// kWindowFired.
bool validRecordBits(const KeyedStateRecord &r)
{
    return r.structure <= kStructureBits && (r.flags & ~KeyedStateRecord::kWindowFired) == 0;
}

bool canonicalLess(const KeyedStateRecord &a, const KeyedStateRecord &b)
{
    return std::tie(a.structure, a.key, a.ns) < std::tie(b.structure, b.key, b.ns);
}

bool sameCount(const KeyedStateRecord &a, const KeyedStateRecord &b)
{
    return a.structure == b.structure && a.key == b.key && a.ns == b.ns;
}

void sortUnique(std::vector<NamespaceRef> &refs)
{
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
}

void putHeader(std::string &out, const KeyedStateSnapshot &s)
{
    putBytes<int64_t>(out, s.watermark);
    putBytes<uint8_t>(out, static_cast<uint8_t>((s.velocitySliding ? 1 : 0) | (s.spamSliding ? 2 : 0)));
}

bool getHeader(ByteReader &in, KeyedStateSnapshot &s)
{
    uint8_t flags = 0;
    if (!in.get(s.watermark) || !in.get(flags))
        return false;
    s.velocitySliding = flags & 1;
    s.spamSliding = flags & 2;
    return true;
}

void putKeyGroups(std::string &out, const KeyedStateSnapshot &s)
{
    std::vector<char> scratch; // a key group's records, at most kMaxCompactRecordBytes each
    for (const auto &group : s.keyGroups) {
        putBytes<uint32_t>(out, static_cast<uint32_t>(group.size()));
        if (scratch.size() < group.size() * kMaxCompactRecordBytes)
            scratch.resize(group.size() * kMaxCompactRecordBytes);
        char *const begin = scratch.data();
        char *p = begin;
        uint64_t previousNs = 0;
        for (const KeyedStateRecord &r : group) {
            assert(validRecordBits(r));
            const uint64_t ns = static_cast<uint64_t>(r.ns);
            const bool sameNs = ns == previousNs;
            *p++ = static_cast<char>(r.structure | (r.flags ? kHeadFired : 0) | (sameNs ? kHeadSameNamespace : 0));
            if (!sameNs)
                p = putVarint(p, zigzag(ns - previousNs));
            previousNs = ns;
            p = putVarint(p, r.key);
            p = putVarint(p, zigzag(static_cast<uint64_t>(r.value)));
        }
        putSection(out, std::string_view(begin, static_cast<size_t>(p - begin)));
    }
}

Status getFixedRecords(ByteReader &in, std::vector<KeyedStateRecord> &group)
{
    uint32_t n = 0;
    if (!in.get(n) || in.remaining() / kFixedRecordBytes < n)
        return Status::corruption("truncated key group");
    group.resize(n);
    for (KeyedStateRecord &r : group) {
        in.get(r.structure), in.get(r.flags), in.get(r.key), in.get(r.ns), in.get(r.value);
        if (!validRecordBits(r))
            return Status::corruption("a record names state structure " + std::to_string(r.structure) + " or flags " +
                                      std::to_string(r.flags) + ", which no build writes");
    }
    return Status::ok();
}

Status getCompactRecords(ByteReader &in, std::vector<KeyedStateRecord> &group)
{
    uint32_t n = 0;
    std::string_view bytes;
    if (!in.get(n) || !in.section(bytes) || bytes.size() / kMinCompactRecordBytes < n)
        return Status::corruption("truncated key group");
    group.resize(n);
    const auto *p = reinterpret_cast<const uint8_t *>(bytes.data());
    const uint8_t *const end = p + bytes.size();
    uint64_t ns = 0;
    for (KeyedStateRecord &r : group) {
        uint64_t nsDelta = 0, value = 0;
        if (p == end)
            return Status::corruption("truncated key group");
        const uint8_t head = *p++;
        if (head & 0x80)
            return Status::corruption("a record's head byte has an unknown bit set");
        if (!(head & kHeadSameNamespace) && !getVarint(p, end, nsDelta))
            return Status::corruption("malformed record namespace");
        ns += unzigzag(nsDelta);
        if (!getVarint(p, end, r.key) || !getVarint(p, end, value))
            return Status::corruption("malformed record key or value");
        r.structure = head & kStructureBits;
        r.flags = (head & kHeadFired) ? KeyedStateRecord::kWindowFired : uint8_t(0);
        r.ns = static_cast<int64_t>(ns);
        r.value = static_cast<int64_t>(unzigzag(value));
    }
    if (p != end)
        return Status::corruption("trailing bytes after a key group's records");
    return Status::ok();
}

Status getKeyGroups(ByteReader &in, KeyedStateSnapshot &s, uint32_t version, const char *what)
{
    for (auto &group : s.keyGroups) {
        const Status read = version == kFixedRecordsVersion ? getFixedRecords(in, group) : getCompactRecords(in, group);
        if (!read.isOk())
            return Status::corruption(std::string(what) + ": " + read.message());
    }
    if (in.remaining() != 0)
        return Status::corruption(std::string(what) + ": trailing bytes after the last key group");
    return Status::ok();
}

void putNamespaces(std::string &out, const std::vector<NamespaceRef> &refs)
{
    putBytes<uint32_t>(out, static_cast<uint32_t>(refs.size()));
    for (const NamespaceRef &r : refs) {
        putBytes<uint8_t>(out, r.structure);
        putBytes<int64_t>(out, r.ns);
    }
}

bool getNamespaces(ByteReader &in, std::vector<NamespaceRef> &refs)
{
    uint32_t n = 0;
    if (!in.get(n) || in.remaining() / kNamespaceBytes < n)
        return false;
    refs.resize(n);
    for (NamespaceRef &r : refs)
        in.get(r.structure), in.get(r.ns);
    return true;
}

} // namespace

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
        std::sort(g.begin(), g.end(), canonicalLess);
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


void KeyedStateChanges::merge(KeyedStateChanges &&other)
{
    complete = complete && other.complete;
    records.merge(std::move(other.records));
    dropped.insert(dropped.end(), other.dropped.begin(), other.dropped.end());
    fired.insert(fired.end(), other.fired.begin(), other.fired.end());
    for (TaskFiles &f : other.files)
        files.push_back(std::move(f));
    if (failure.empty())
        failure = std::move(other.failure);
}

void KeyedStateChanges::canonicalize()
{
    records.canonicalize();
    sortNamespaces();
}

void KeyedStateChanges::sortNamespaces()
{
    sortUnique(dropped);
    sortUnique(fired);
}

void applyChanges(KeyedStateSnapshot &state, KeyedStateChanges &&changes)
{
    state.watermark = changes.records.watermark;
    state.velocitySliding = changes.records.velocitySliding;
    state.spamSliding = changes.records.spamSliding;
    const auto in = [](const std::vector<NamespaceRef> &refs, const KeyedStateRecord &r) {
        return !refs.empty() && std::binary_search(refs.begin(), refs.end(), NamespaceRef{r.structure, r.ns});
    };
    std::vector<KeyedStateRecord> merged;
    for (size_t g = 0; g < state.keyGroups.size(); ++g) {
        std::vector<KeyedStateRecord> &old = state.keyGroups[g];
        std::vector<KeyedStateRecord> &set = changes.records.keyGroups[g];
        merged.clear();
        merged.reserve(old.size() + set.size());
        size_t i = 0, j = 0;
        while (i < old.size() || j < set.size()) {
            if (j == set.size() || (i < old.size() && canonicalLess(old[i], set[j]))) {
                if (!in(changes.dropped, old[i])) // dropped before the records were set again
                    merged.push_back(old[i]);
                ++i;
            } else {
                if (i < old.size() && sameCount(old[i], set[j]))
                    ++i; // replaced
                merged.push_back(set[j++]);
            }
        }
        for (KeyedStateRecord &r : merged)
            r.flags = in(changes.fired, r) ? KeyedStateRecord::kWindowFired : uint8_t(0);
        old.swap(merged);
        std::vector<KeyedStateRecord>().swap(set);
    }
}

void appendKeyedStateChanges(std::string &out, const KeyedStateChanges &c)
{
    // Room for the longest records (address space only: untouched pages cost nothing), so
    // hundreds of MB are never copied to grow the string.
    out.reserve(out.size() + 64 + (c.dropped.size() + c.fired.size()) * kNamespaceBytes + kMaxParallelism * 8 +
                c.records.recordCount() * kMaxCompactRecordBytes);
    const size_t frameStart = out.size();
    beginChecksummed(out, kChangesFormat);
    putHeader(out, c.records);
    putNamespaces(out, c.dropped);
    putNamespaces(out, c.fired);
    putKeyGroups(out, c.records);
    sealChecksummed(out, frameStart);
}

std::string encodeKeyedStateChanges(const KeyedStateChanges &changes)
{
    std::string out;
    appendKeyedStateChanges(out, changes);
    return out;
}

Result<KeyedStateChanges> decodeKeyedStateChanges(std::string_view bytes)
{
    uint32_t version = 0;
    auto body = openChecksummed(bytes, kChangesFormat, &version);
    if (!body)
        return body.status();
    ByteReader in(body.value());
    KeyedStateChanges c;
    if (!getHeader(in, c.records) || !getNamespaces(in, c.dropped) || !getNamespaces(in, c.fired))
        return Status::corruption("keyed-state changes: truncated header");
    if (!std::is_sorted(c.dropped.begin(), c.dropped.end()) || !std::is_sorted(c.fired.begin(), c.fired.end()))
        return Status::corruption("keyed-state changes: namespaces out of order");
    if (Status s = getKeyGroups(in, c.records, version, "keyed-state changes"); !s.isOk())
        return s;
    // applyChanges() merges sorted runs, and one value per count.
    c.records.canonicalize();
    for (const auto &group : c.records.keyGroups)
        if (std::adjacent_find(group.begin(), group.end(), sameCount) != group.end())
            return Status::corruption("keyed-state changes: a count is listed twice");
    return c;
}

void appendKeyedState(std::string &out, const KeyedStateSnapshot &s)
{
    out.reserve(out.size() + 64 + kMaxParallelism * 8 + s.recordCount() * kMaxCompactRecordBytes); // as above
    const size_t frameStart = out.size();
    beginChecksummed(out, kKeyedStateFormat);
    putHeader(out, s);
    putKeyGroups(out, s);
    sealChecksummed(out, frameStart);
}

std::string encodeKeyedState(const KeyedStateSnapshot &snapshot)
{
    std::string out;
    appendKeyedState(out, snapshot);
    return out;
}

Result<KeyedStateSnapshot> decodeKeyedState(std::string_view bytes)
{
    uint32_t version = 0;
    auto body = openChecksummed(bytes, kKeyedStateFormat, &version);
    if (!body)
        return body.status();
    ByteReader in(body.value());
    KeyedStateSnapshot s;
    if (!getHeader(in, s))
        return Status::corruption("keyed state: truncated header");
    if (Status status = getKeyGroups(in, s, version, "keyed state"); !status.isOk())
        return status;
    return s;
}

} // namespace tally
