#include "window/aggregations.h"

#include "state/count_tables.h"

#include "state/key_groups.h"
#include "time/watermark.h"

#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tally {

uint64_t keyGroupSalt(KeyFamily family)
{
    static constexpr uint64_t kSalt[] = {0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL, 0x165667b19e3779f9ULL};
    return kSalt[static_cast<size_t>(family)];
}

int keyGroupFor(KeyFamily family, uint64_t key)
{
    return keyGroupOf(key, keyGroupSalt(family));
}

namespace {

// The key family a state structure is keyed by, which decides its key group.
KeyFamily familyOf(uint8_t structure)
{
    switch (static_cast<StateStructure>(structure)) {
    case StateStructure::LikesPerPost:
    case StateStructure::Trending:
    case StateStructure::VelocityPane:
        return KeyFamily::Post;
    case StateStructure::SpamPane:
    case StateStructure::SpamBaseline:
        return KeyFamily::User;
    default:
        return KeyFamily::Region;
    }
}

bool isKnownStructure(uint8_t structure)
{
    const auto region = static_cast<size_t>(StateStructure::Region);
    return structure <= static_cast<uint8_t>(StateStructure::SpamBaseline) ||
           (structure >= region && structure < region + kMaxRegionWindows);
}

} // namespace

Status checkRestorable(const KeyedStateSnapshot &snapshot)
{
    if (!inEventTimeRange(snapshot.watermark))
        return Status::corruption("keyed state: watermark " + std::to_string(snapshot.watermark) +
                                  " is outside the event-time range the windows compute with");
    for (size_t group = 0; group < snapshot.keyGroups.size(); ++group) {
        for (const KeyedStateRecord &r : snapshot.keyGroups[group]) {
            const std::string where = "keyed state: key group " + std::to_string(group) + ", structure " +
                                      std::to_string(r.structure) + ", key " + std::to_string(r.key);
            if (!isKnownStructure(r.structure))
                return Status::corruption(where + ": unknown state structure");
            if (!inEventTimeRange(r.ns))
                return Status::corruption(where + ": window start " + std::to_string(r.ns) +
                                          " is outside the event-time range the windows compute with");
            if (r.value > CountTables::kMaxCount || r.value < -CountTables::kMaxCount)
                return Status::corruption(where + ": count " + std::to_string(r.value) +
                                          " is beyond what the state holds (±2^47)");
            if (keyGroupFor(familyOf(r.structure), r.key) != static_cast<int>(group))
                return Status::corruption(where + ": the key belongs to key group " +
                                          std::to_string(keyGroupFor(familyOf(r.structure), r.key)));
        }
    }
    return Status::ok();
}

std::vector<AggregationWindow> aggregationWindows(const AggregationConfig &c)
{
    std::vector<AggregationWindow> w;
    w.push_back({Aggregation::LikesPerPost, KeyFamily::Post, {c.likesPerPost.windowMs, c.likesPerPost.windowMs}});
    w.push_back({Aggregation::TrendingHourly, KeyFamily::Post, {c.trendingHourly.windowMs, c.trendingHourly.windowMs}});
    for (int64_t size : c.likesByRegion.windowsMs)
        w.push_back({Aggregation::LikesByRegion, KeyFamily::Region, {size, size}});
    w.push_back({Aggregation::LikeVelocity, KeyFamily::Post, {c.likeVelocity.sizeMs, c.likeVelocity.slideMs}});
    w.push_back({Aggregation::SpamSuspects, KeyFamily::User, {c.spamSuspects.sizeMs, c.spamSuspects.slideMs}});
    return w;
}

std::array<int64_t, kKeyFamilyCount> familySlotsMs(const AggregationConfig &c)
{
    std::array<int64_t, kKeyFamilyCount> slots{};
    for (const auto &w : aggregationWindows(c)) {
        int64_t &s = slots[static_cast<size_t>(w.family)];
        s = std::gcd(s, std::gcd(w.spec.sizeMs, w.spec.slideMs));
    }
    int64_t &user = slots[static_cast<size_t>(KeyFamily::User)];
    user = std::gcd(user, c.spamSuspects.baselineBucketMs);
    return slots;
}

bool isSpamSuspect(const SpamSuspectsConfig &c, int64_t likes, int64_t baselineLikes)
{
    if (likes >= c.threshold)
        return true;
    // likes / (window length) >= factor * baselineLikes / (buckets * bucket length)
    return likes >= c.minLikes &&
           static_cast<double>(likes) * c.baselineBuckets * static_cast<double>(c.baselineBucketMs) >=
               c.baselineFactor * static_cast<double>(baselineLikes) * static_cast<double>(c.sizeMs);
}

std::pair<int64_t, int64_t> spamBaselineRange(const SpamSuspectsConfig &c, int64_t latenessMs, int64_t windowStart)
{
    const int64_t to = alignDown(windowStart - latenessMs, c.baselineBucketMs);
    return {to - c.baselineBuckets * c.baselineBucketMs, to};
}

int64_t velocityReportMin(const LikeVelocityConfig &c)
{
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(c.minPerMinute * static_cast<double>(c.sizeMs) / 60000.0)));
}

int64_t velocityViralMin(const LikeVelocityConfig &c)
{
    return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(c.viralPerMinute * static_cast<double>(c.sizeMs) / 60000.0)));
}

bool isViral(const LikeVelocityConfig &c, int64_t likes, int64_t newestPaneLikes, int64_t slides)
{
    if (likes < velocityViralMin(c))
        return false;
    // newest >= acceleration * likes / slides
    return c.viralAcceleration <= 0 ||
           static_cast<double>(newestPaneLikes) * static_cast<double>(slides) >= c.viralAcceleration * static_cast<double>(likes);
}

CountStateId TaskAggregations::stateId(StateStructure structure, KeyFamily family) const
{
    return {static_cast<uint8_t>(structure), keyGroupSalt(family)};
}

TaskAggregations::TaskAggregations(const AggregationConfig &config, int64_t allowedLatenessMs,
                                   std::unique_ptr<TaskState> state)
    : m_config(config), m_latenessMs(allowedLatenessMs), m_watermark(kMinWatermark),
      m_state(std::move(state)),
      m_likesPerPost(config.likesPerPost.windowMs, m_latenessMs,
                     m_state->countState(stateId(StateStructure::LikesPerPost, KeyFamily::Post))),
      m_trending(config.trendingHourly.windowMs, m_latenessMs,
                 m_state->countState(stateId(StateStructure::Trending, KeyFamily::Post))),
      m_velocity({config.likeVelocity.sizeMs, config.likeVelocity.slideMs}, m_latenessMs,
                 velocityReportMin(config.likeVelocity),
                 m_state->countState(stateId(StateStructure::VelocityPane, KeyFamily::Post))),
      m_velocityReportMin(velocityReportMin(config.likeVelocity)),
      m_velocityViralMin(velocityViralMin(config.likeVelocity)),
      m_spam({config.spamSuspects.sizeMs, config.spamSuspects.slideMs}, m_latenessMs,
             std::min(config.spamSuspects.threshold, config.spamSuspects.minLikes),
             m_state->countState(stateId(StateStructure::SpamPane, KeyFamily::User))),
      m_spamBaseline(m_state->countState(stateId(StateStructure::SpamBaseline, KeyFamily::User)))
{
    for (size_t i = 0; i < config.likesByRegion.windowsMs.size(); ++i) {
        const auto structure = static_cast<StateStructure>(static_cast<size_t>(StateStructure::Region) + i);
        m_regions.emplace_back(config.likesByRegion.windowsMs[i], m_latenessMs,
                               m_state->countState(stateId(structure, KeyFamily::Region)));
    }
}

void TaskAggregations::apply(KeyFamily family, const PaneDelta &d, int64_t watermark)
{
    m_watermark = watermark;
    switch (family) {
    case KeyFamily::Post:
        m_likesPerPost.add(d.key, d.slotStartMs, d.net, watermark);
        m_trending.add(d.key, d.slotStartMs, d.net, watermark);
        m_velocity.add(d.key, d.slotStartMs, d.net, watermark);
        break;
    case KeyFamily::Region:
        for (auto &r : m_regions)
            r.add(d.key, d.slotStartMs, d.net, watermark);
        break;
    case KeyFamily::User: {
        if (d.likes == 0)
            break;
        m_spam.add(d.key, d.slotStartMs, d.likes, watermark);
        // Baseline buckets follow the same lateness rule as a tumbling window of bucket length.
        const WindowSpec bucket{m_config.spamSuspects.baselineBucketMs, m_config.spamSuspects.baselineBucketMs};
        const int64_t start = alignDown(d.slotStartMs, bucket.sizeMs);
        if (!bucket.expired(start, watermark, m_latenessMs)) {
            if (start != m_lastBucketStart) {
                m_baselineBuckets.insert(start);
                m_lastBucketStart = start;
            }
            m_spamBaseline->add(start, d.key, d.likes);
        }
        break;
    }
    case KeyFamily::kCount:
        break;
    }
}

void TaskAggregations::prefetch(KeyFamily family, const PaneDelta &d) const
{
    switch (family) {
    case KeyFamily::Post:
        m_likesPerPost.prefetch(d.key, d.slotStartMs);
        m_trending.prefetch(d.key, d.slotStartMs);
        m_velocity.prefetch(d.key, d.slotStartMs);
        break;
    case KeyFamily::User:
        m_spam.prefetch(d.key, d.slotStartMs);
        m_spamBaseline->prefetch(m_lastBucketStart, d.key);
        break;
    case KeyFamily::Region: // a handful of keys: always cached
    case KeyFamily::kCount:
        break;
    }
}

int64_t TaskAggregations::baselineLikes(uint64_t user, int64_t windowStart) const
{
    const auto [from, to] = spamBaselineRange(m_config.spamSuspects, m_latenessMs, windowStart);
    int64_t sum = 0;
    for (auto it = m_baselineBuckets.lower_bound(from); it != m_baselineBuckets.end() && *it < to; ++it)
        sum += m_spamBaseline->get(*it, user);
    return sum;
}

bool TaskAggregations::velocityFlag(int64_t windowStart, uint64_t key, int64_t likes) const
{
    if (likes < m_velocityViralMin)
        return false;
    const SlidingCounter::Recent r = m_velocity.recent(key, windowStart);
    return isViral(m_config.likeVelocity, likes, r.newestPane, r.slides);
}

void TaskAggregations::pruneBaseline(int64_t watermark)
{
    // The oldest spam window that can still re-fire decides which buckets are still needed.
    const WindowSpec &spec = m_spam.spec();
    const int64_t oldestLive = alignDown(watermark - m_latenessMs - spec.sizeMs + 1, spec.slideMs) + spec.slideMs;
    const int64_t keepFrom = spamBaselineRange(m_config.spamSuspects, m_latenessMs, oldestLive).first;
    while (!m_baselineBuckets.empty() && *m_baselineBuckets.begin() < keepFrom) {
        const int64_t bucket = *m_baselineBuckets.begin();
        if (bucket == m_lastBucketStart)
            m_lastBucketStart = INT64_MIN;
        m_spamBaseline->drop(bucket);
        m_baselineBuckets.erase(m_baselineBuckets.begin());
    }
}

void TaskAggregations::emitTrendingRefires(std::vector<TopKUpdate> &topK)
{
    // Refires of one window: if no key of the last top-K lost likes, the new top-K is among the
    // last top-K and the updated keys; otherwise rescan the window.
    std::map<int64_t, std::vector<KeyValue>> updated; // window -> updated (key, value)
    absl::flat_hash_set<int64_t> needsRescan;
    m_trending.drainRefires([&](int64_t start, uint64_t key, int64_t value, int64_t delta) {
        updated[start].emplace_back(key, value);
        if (delta < 0)
            needsRescan.insert(start);
    });
    const auto k = static_cast<size_t>(m_config.trendingHourly.topK);
    for (auto &[start, changes] : updated) {
        std::vector<KeyValue> &last = m_trendingLastTopK[start];
        std::vector<KeyValue> next;
        if (needsRescan.contains(start)) {
            const int64_t window = start; // a structured binding is not captured before clang 16
            next = selectTopK([&](const CountState::Visit &visit) { m_trending.forEach(window, visit); }, k);
        } else {
            next = changes;
            absl::flat_hash_set<uint64_t> changed;
            for (const auto &kv : changes)
                changed.insert(kv.first);
            for (const auto &kv : last)
                if (!changed.contains(kv.first))
                    next.push_back(kv);
            keepTopK(next, k);
        }
        if (next != last) {
            last = next;
            topK.push_back({start, start + m_trending.spec().sizeMs, next});
        }
    }
}

void TaskAggregations::finishBatch(int64_t newWatermark, std::vector<OutputRow> &rows, std::vector<TopKUpdate> &topK)
{
    auto row = [&](Aggregation a, int64_t start, int64_t size, uint64_t key, int64_t value, bool flag = false,
                   OutputRow::Kind kind = OutputRow::Kind::Upsert) {
        rows.push_back({a, kind, flag, start, start + size, key, value, 0});
    };

    // 1. Re-fires for late data, at the watermark the batch was applied with.
    const int64_t perPostSize = m_likesPerPost.spec().sizeMs;
    m_likesPerPost.drainRefires([&](int64_t start, uint64_t key, int64_t value, int64_t) {
        row(Aggregation::LikesPerPost, start, perPostSize, key, value);
    });
    emitTrendingRefires(topK);
    for (auto &r : m_regions) {
        const int64_t size = r.spec().sizeMs;
        r.drainRefires([&](int64_t start, uint64_t key, int64_t value, int64_t) {
            row(Aggregation::LikesByRegion, start, size, key, value);
        });
    }
    const int64_t velocitySize = m_velocity.spec().sizeMs;
    m_velocity.drainRefires([&](int64_t start, uint64_t key, int64_t value, int64_t delta) {
        if (value >= m_velocityReportMin)
            row(Aggregation::LikeVelocity, start, velocitySize, key, value, velocityFlag(start, key, value));
        else if (value - delta >= m_velocityReportMin)
            row(Aggregation::LikeVelocity, start, velocitySize, key, 0, false, OutputRow::Kind::Delete);
    });
    const int64_t spamSize = m_spam.spec().sizeMs;
    m_spam.drainRefires([&](int64_t start, uint64_t key, int64_t value, int64_t) {
        if (isSpamSuspect(m_config.spamSuspects, value, baselineLikes(key, start)))
            row(Aggregation::SpamSuspects, start, spamSize, key, value, true);
    });

    if (newWatermark <= m_watermark)
        return;
    m_watermark = newWatermark;

    // 2. Windows the new watermark passes.
    m_likesPerPost.advance(newWatermark, [&](int64_t start) {
        m_likesPerPost.forEach(start, [&](uint64_t key, int64_t value) {
            row(Aggregation::LikesPerPost, start, perPostSize, key, value);
        });
    });
    const auto k = static_cast<size_t>(m_config.trendingHourly.topK);
    const int64_t trendingSize = m_trending.spec().sizeMs;
    m_trending.advance(newWatermark, [&](int64_t start) {
        auto entries = selectTopK([&](const CountState::Visit &visit) { m_trending.forEach(start, visit); }, k);
        m_trendingLastTopK[start] = entries;
        topK.push_back({start, start + trendingSize, std::move(entries)});
    });
    while (!m_trendingLastTopK.empty() &&
           m_trending.spec().expired(m_trendingLastTopK.begin()->first, newWatermark, m_latenessMs))
        m_trendingLastTopK.erase(m_trendingLastTopK.begin());
    for (auto &r : m_regions) {
        const int64_t size = r.spec().sizeMs;
        r.advance(newWatermark, [&](int64_t start) {
            r.forEach(start, [&](uint64_t key, int64_t value) { row(Aggregation::LikesByRegion, start, size, key, value); });
        });
    }
    m_velocity.advance(newWatermark, [&](int64_t start, const KeyCounts &sums, const SlidingCounter::Candidates &keys) {
        for (uint64_t key : keys) {
            const int64_t value = sums.at(key);
            row(Aggregation::LikeVelocity, start, velocitySize, key, value, velocityFlag(start, key, value));
        }
    });
    m_spam.advance(newWatermark, [&](int64_t start, const KeyCounts &sums, const SlidingCounter::Candidates &keys) {
        for (uint64_t key : keys) {
            const int64_t value = sums.at(key);
            if (isSpamSuspect(m_config.spamSuspects, value, baselineLikes(key, start)))
                row(Aggregation::SpamSuspects, start, spamSize, key, value, true);
        }
    });
    pruneBaseline(newWatermark);
}

size_t TaskAggregations::stateEntries() const
{
    return m_state->entries();
}

void CountRecorder::add(uint8_t structure, int64_t ns, uint64_t key, int64_t value)
{
    if (structure != m_last.structure || ns != m_last.ns) {
        m_last = {structure, ns};
        m_lastFlags = std::binary_search(m_fired.begin(), m_fired.end(), m_last) ? KeyedStateRecord::kWindowFired : 0;
    }
    const auto group = static_cast<size_t>(keyGroupFor(familyOf(structure), key));
    m_snapshot.keyGroups[group].push_back({structure, m_lastFlags, key, ns, value});
    if (m_added < kSample) {
        m_sampled.set(group);
        if (++m_added == kSample && m_expected > kSample)
            makeRoom();
    }
}

// Keys hash evenly over a task's key groups, so each gets its share, and a little over; no
// vector of hundreds of MB grows by doubling (copies and page faults on the writer).
void CountRecorder::makeRoom()
{
    const size_t share = m_expected / m_sampled.count();
    for (size_t g = 0; g < m_snapshot.keyGroups.size(); ++g)
        if (m_sampled.test(g))
            m_snapshot.keyGroups[g].reserve(m_snapshot.keyGroups[g].size() + share + share / 32 + 64);
}

std::function<void(KeyedStateChanges &)> TaskAggregations::snapshotMeta() const
{
    // What the counts alone do not say: which tumbling windows fired, whether the sliding
    // counters slide. Small, so copied now.
    struct Meta {
        int64_t watermark;
        bool velocitySliding;
        bool spamSliding;
        std::vector<NamespaceRef> fired; // sorted
    };
    auto meta = std::make_shared<Meta>(Meta{m_watermark, m_velocity.sliding(), m_spam.sliding(), {}});
    const auto keepFired = [&](const TumblingCounter &counter, StateStructure structure) {
        for (int64_t start : counter.firedWindows())
            meta->fired.push_back({static_cast<uint8_t>(structure), start});
    };
    keepFired(m_likesPerPost, StateStructure::LikesPerPost);
    keepFired(m_trending, StateStructure::Trending);
    for (size_t i = 0; i < m_regions.size(); ++i)
        keepFired(m_regions[i], static_cast<StateStructure>(static_cast<size_t>(StateStructure::Region) + i));
    std::sort(meta->fired.begin(), meta->fired.end());
    return [meta](KeyedStateChanges &out) {
        out.records.watermark = std::max(out.records.watermark, meta->watermark);
        out.records.velocitySliding = out.records.velocitySliding || meta->velocitySliding;
        out.records.spamSliding = out.records.spamSliding || meta->spamSliding;
        out.fired.insert(out.fired.end(), meta->fired.begin(), meta->fired.end());
    };
}

// Each part fills a KeyedStateChanges of its own (the writer merges the tasks' parts), so after
// addMeta its `fired` is this task's, sorted, and its records are filed by it.
std::function<void(KeyedStateChanges &)> TaskAggregations::snapshot(bool changesOnly)
{
    const auto addMeta = snapshotMeta();
    if (changesOnly)
        return [addMeta, changes = m_state->exportChanges()](KeyedStateChanges &out) {
            addMeta(out);
            CountRecorder recorder(out.records, out.fired, changes.counts);
            changes.visit([&](uint8_t structure, int64_t ns) { out.dropped.push_back({structure, ns}); },
                          [&](uint8_t structure, int64_t ns, uint64_t key, int64_t value) { recorder.add(structure, ns, key, value); });
        };
    return [addMeta, counts = m_state->exportCounts()](KeyedStateChanges &out) {
        out.complete = true;
        addMeta(out);
        CountRecorder recorder(out.records, out.fired, counts.counts);
        counts.visit([&](uint8_t structure, int64_t ns, uint64_t key, int64_t value) { recorder.add(structure, ns, key, value); });
    };
}

std::function<void(KeyedStateChanges &)> TaskAggregations::snapshotFiles(bool writeCacheFirst)
{
    const auto addMeta = snapshotMeta();
    Result<TaskFiles> files = m_state->exportFiles(writeCacheFirst);
    return [addMeta, files = std::make_shared<Result<TaskFiles>>(std::move(files))](KeyedStateChanges &out) {
        addMeta(out);
        if (*files)
            out.files.push_back(std::move(files->value()));
        else if (out.failure.empty())
            out.failure = files->status().message();
    };
}

void TaskAggregations::restore(const KeyedStateSnapshot &in, int task, int parallelism, std::vector<TopKUpdate> &topK)
{
    m_watermark = in.watermark;
    m_state->beginLoad();
    for (int group = 0; group < kMaxParallelism; ++group) {
        if (taskForKeyGroup(group, parallelism) != task)
            continue;
        for (const KeyedStateRecord &r : in.keyGroups[static_cast<size_t>(group)]) {
            const bool fired = (r.flags & KeyedStateRecord::kWindowFired) != 0;
            switch (static_cast<StateStructure>(r.structure)) {
            case StateStructure::LikesPerPost:
                m_likesPerPost.importEntry(r.ns, r.key, r.value, fired);
                break;
            case StateStructure::Trending:
                m_trending.importEntry(r.ns, r.key, r.value, fired);
                break;
            case StateStructure::VelocityPane:
                m_velocity.importEntry(r.ns, r.key, r.value);
                break;
            case StateStructure::SpamPane:
                m_spam.importEntry(r.ns, r.key, r.value);
                break;
            case StateStructure::SpamBaseline:
                m_baselineBuckets.insert(r.ns);
                m_spamBaseline->add(r.ns, r.key, r.value);
                break;
            default: {
                const size_t region = r.structure - static_cast<size_t>(StateStructure::Region);
                if (r.structure >= static_cast<uint8_t>(StateStructure::Region) && region < m_regions.size())
                    m_regions[region].importEntry(r.ns, r.key, r.value, fired);
                break;
            }
            }
        }
    }
    m_state->endLoad();
    m_velocity.finishImport(m_watermark, in.velocitySliding);
    m_spam.finishImport(m_watermark, in.spamSliding);
    m_lastBucketStart = INT64_MIN;
    rebuildTrendingTopK(topK);
}

void TaskAggregations::restoreFromFiles(const KeyedStateSnapshot &meta, const std::vector<NamespaceRef> &fired,
                                        std::vector<TopKUpdate> &topK)
{
    m_watermark = meta.watermark;
    const auto isFired = [&](uint8_t structure, int64_t ns) {
        return std::binary_search(fired.begin(), fired.end(), NamespaceRef{structure, ns});
    };
    m_state->forEachNamespace([&](uint8_t structure, int64_t ns) {
        switch (static_cast<StateStructure>(structure)) {
        case StateStructure::LikesPerPost:
            m_likesPerPost.importWindow(ns, isFired(structure, ns));
            break;
        case StateStructure::Trending:
            m_trending.importWindow(ns, isFired(structure, ns));
            break;
        case StateStructure::VelocityPane:
            m_velocity.importPane(ns);
            break;
        case StateStructure::SpamPane:
            m_spam.importPane(ns);
            break;
        case StateStructure::SpamBaseline:
            m_baselineBuckets.insert(ns);
            break;
        default: {
            const size_t region = structure - static_cast<size_t>(StateStructure::Region);
            if (structure >= static_cast<uint8_t>(StateStructure::Region) && region < m_regions.size())
                m_regions[region].importWindow(ns, isFired(structure, ns));
            break;
        }
        }
    });
    m_velocity.finishImport(m_watermark, meta.velocitySliding);
    m_spam.finishImport(m_watermark, meta.spamSliding);
    m_lastBucketStart = INT64_MIN;
    rebuildTrendingTopK(topK);
}

void TaskAggregations::rebuildTrendingTopK(std::vector<TopKUpdate> &topK)
{
    // The local top-K of fired trending windows that can still re-fire, as finishBatch() left it.
    m_trendingLastTopK.clear();
    const auto k = static_cast<size_t>(m_config.trendingHourly.topK);
    const WindowSpec &spec = m_trending.spec();
    for (int64_t start : m_trending.firedWindows())
        if (!spec.expired(start, m_watermark, m_latenessMs))
            m_trendingLastTopK[start] =
                selectTopK([&](const CountState::Visit &visit) { m_trending.forEach(start, visit); }, k);
    for (const auto &[start, entries] : m_trendingLastTopK)
        topK.push_back({start, start + spec.sizeMs, entries});
}

} // namespace tally
