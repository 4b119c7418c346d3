#include "window/keyed_state.h"

#include "util/byte_io.h"
#include "util/checksummed.h"

#include <algorithm>
#include <cstring>
#include <tuple>

namespace tally {

namespace {

constexpr ChecksummedFormat kKeyedStateFormat{"keyed-state snapshot", "TALLYKS1", 1};
constexpr ChecksummedFormat kChangesFormat{"keyed-state changes", "TALLYKC1", 1};
constexpr size_t kRecordBytes = 1 + 1 + 8 + 8 + 8;
constexpr size_t kNamespaceBytes = 1 + 8;

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
    for (const auto &group : s.keyGroups) {
        putBytes<uint32_t>(out, static_cast<uint32_t>(group.size()));
        // In place: hundreds of MB of records, one resize instead of five appends each.
        size_t at = out.size();
        out.resize(at + group.size() * kRecordBytes);
        char *p = out.data();
        for (const KeyedStateRecord &r : group) {
            p[at] = static_cast<char>(r.structure);
            p[at + 1] = static_cast<char>(r.flags);
            std::memcpy(p + at + 2, &r.key, 8);
            std::memcpy(p + at + 10, &r.ns, 8);
            std::memcpy(p + at + 18, &r.value, 8);
            at += kRecordBytes;
        }
    }
}

Status getKeyGroups(ByteReader &in, KeyedStateSnapshot &s, const char *what)
{
    for (auto &group : s.keyGroups) {
        uint32_t n = 0;
        if (!in.get(n) || in.remaining() / kRecordBytes < n)
            return Status::corruption(std::string(what) + ": truncated key group");
        group.resize(n);
        for (KeyedStateRecord &r : group)
            in.get(r.structure), in.get(r.flags), in.get(r.key), in.get(r.ns), in.get(r.value);
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

std::string encodeKeyedStateChanges(const KeyedStateChanges &c)
{
    std::string out;
    out.reserve(64 + c.records.recordCount() * kRecordBytes + (c.dropped.size() + c.fired.size()) * kNamespaceBytes +
                kMaxParallelism * 4);
    beginChecksummed(out, kChangesFormat);
    putHeader(out, c.records);
    putNamespaces(out, c.dropped);
    putNamespaces(out, c.fired);
    putKeyGroups(out, c.records);
    sealChecksummed(out);
    return out;
}

Result<KeyedStateChanges> decodeKeyedStateChanges(std::string_view bytes)
{
    auto body = openChecksummed(bytes, kChangesFormat);
    if (!body)
        return body.status();
    ByteReader in(body.value());
    KeyedStateChanges c;
    if (!getHeader(in, c.records) || !getNamespaces(in, c.dropped) || !getNamespaces(in, c.fired))
        return Status::corruption("keyed-state changes: truncated header");
    if (!std::is_sorted(c.dropped.begin(), c.dropped.end()) || !std::is_sorted(c.fired.begin(), c.fired.end()))
        return Status::corruption("keyed-state changes: namespaces out of order");
    if (Status s = getKeyGroups(in, c.records, "keyed-state changes"); !s.isOk())
        return s;
    // applyChanges() merges sorted runs, and one value per count.
    c.records.canonicalize();
    for (const auto &group : c.records.keyGroups)
        if (std::adjacent_find(group.begin(), group.end(), sameCount) != group.end())
            return Status::corruption("keyed-state changes: a count is listed twice");
    return c;
}

std::string encodeKeyedState(const KeyedStateSnapshot &s)
{
    std::string out;
    out.reserve(64 + s.recordCount() * kRecordBytes + kMaxParallelism * 4);
    beginChecksummed(out, kKeyedStateFormat);
    putHeader(out, s);
    putKeyGroups(out, s);
    sealChecksummed(out);
    return out;
}

Result<KeyedStateSnapshot> decodeKeyedState(std::string_view bytes)
{
    auto body = openChecksummed(bytes, kKeyedStateFormat);
    if (!body)
        return body.status();
    ByteReader in(body.value());
    KeyedStateSnapshot s;
    if (!getHeader(in, s))
        return Status::corruption("keyed state: truncated header");
    if (Status status = getKeyGroups(in, s, "keyed state"); !status.isOk())
        return status;
    return s;
}

} // namespace tally
