#include "support/oracle.h"

#include "time/watermark.h"
#include "window/aggregations.h"

#include <algorithm>
#include <sstream>

namespace tally::test {

namespace {

int64_t floorTo(int64_t t, int64_t unit)
{
    int64_t q = t / unit;
    if (t % unit != 0 && t < 0)
        --q;
    return q * unit;
}

// Window [start, start + size) is still accepting data at `wm` when wm < end - 1 + lateness.
bool accepts(int64_t start, int64_t size, int64_t wm, int64_t lateness) { return wm < start + size - 1 + lateness; }
bool hasFired(int64_t start, int64_t size, int64_t wm) { return wm >= start + size - 1; }

// Every window start of (size, slide) whose window contains t, oldest first.
std::vector<int64_t> windowsContaining(int64_t t, int64_t size, int64_t slide)
{
    std::vector<int64_t> starts;
    for (int64_t s = floorTo(t, slide); s > t - size; s -= slide)
        starts.push_back(s);
    std::reverse(starts.begin(), starts.end());
    return starts;
}

} // namespace

OracleResult computeOracle(const JobConfig &config, const std::vector<Arrival> &arrivals)
{
    const int64_t L = config.runtime.allowedLatenessMs;
    const auto windows = aggregationWindows(config);
    OracleResult out;
    out.late.assign(windows.size(), 0);
    out.dropped.assign(windows.size(), 0);

    std::map<ResultKey, int64_t> sums;        // per (aggregation, window, key)
    std::map<ResultKey, std::map<int64_t, int64_t>> velocityPanes; // like_velocity: per pane start
    std::map<std::tuple<int64_t, uint64_t>, int64_t> spamBuckets; // (bucket start, user) -> likes
    const auto &spam = config.spamSuspects;

    for (const Arrival &a : arrivals) {
        const LikeEvent &e = a.event;
        const int64_t net = e.action == Action::Like ? 1 : -1;
        const int64_t like = e.action == Action::Like ? 1 : 0;
        bool droppedAny = false, refiredAny = false;
        for (size_t i = 0; i < windows.size(); ++i) {
            const auto &w = windows[i];
            const auto starts = windowsContaining(e.eventTimeMs, w.spec.sizeMs, w.spec.slideMs);
            bool anyAccepts = false, anyFired = false;
            for (int64_t s : starts) {
                anyAccepts = anyAccepts || accepts(s, w.spec.sizeMs, a.watermark, L);
                anyFired = anyFired || hasFired(s, w.spec.sizeMs, a.watermark);
            }
            if (!anyAccepts) {
                ++out.dropped[i];
                droppedAny = true;
            } else if (anyFired) {
                ++out.late[i];
                refiredAny = true;
            }
            for (int64_t s : starts) {
                if (!accepts(s, w.spec.sizeMs, a.watermark, L))
                    continue;
                const int64_t end = s + w.spec.sizeMs;
                switch (w.aggregation) {
                case Aggregation::LikesPerPost:
                case Aggregation::TrendingHourly:
                case Aggregation::LikeVelocity:
                    sums[{w.aggregation, s, end, e.postId}] += net;
                    velocityPanes[{w.aggregation, s, end, e.postId}][floorTo(e.eventTimeMs, w.spec.slideMs)] += net;
                    break;
                case Aggregation::LikesByRegion:
                    sums[{w.aggregation, s, end, regionKey(e.region)}] += net;
                    if (e.deviceType != DeviceType::None)
                        sums[{w.aggregation, s, end, regionKey(e.region, e.deviceType)}] += net;
                    break;
                case Aggregation::SpamSuspects:
                    if (like)
                        sums[{w.aggregation, s, end, e.userId}] += like;
                    break;
                case Aggregation::kCount:
                    break;
                }
            }
        }
        if (droppedAny)
            ++out.lateEvents;
        if (refiredAny)
            ++out.refiringEvents;
        const int64_t bucket = floorTo(e.eventTimeMs, spam.baselineBucketMs);
        if (like && accepts(bucket, spam.baselineBucketMs, a.watermark, L))
            spamBuckets[{bucket, e.userId}] += 1;
    }

    const int64_t reportMin = velocityReportMin(config.likeVelocity);
    std::map<std::pair<int64_t, int64_t>, std::vector<std::pair<uint64_t, int64_t>>> trending; // window -> posts
    for (const auto &[key, value] : sums) {
        const auto &[agg, start, end, k] = key;
        switch (agg) {
        case Aggregation::LikesPerPost:
        case Aggregation::LikesByRegion:
            out.table[key] = {value, false};
            break;
        case Aggregation::TrendingHourly:
            trending[{start, end}].emplace_back(k, value);
            break;
        case Aggregation::LikeVelocity:
            if (value >= reportMin) {
                // The newest pane, and the slides from the post's first pane with likes to the end.
                const int64_t slide = config.likeVelocity.slideMs;
                int64_t newest = 0, slides = 0;
                for (const auto &[pane, n] : velocityPanes[key]) {
                    if (n != 0 && slides == 0)
                        slides = (end - pane) / slide;
                    if (pane == end - slide)
                        newest = n;
                }
                out.table[key] = {value, isViral(config.likeVelocity, value, newest, slides)};
            }
            break;
        case Aggregation::SpamSuspects: {
            const auto [from, to] = spamBaselineRange(spam, L, start);
            int64_t baseline = 0;
            for (int64_t b = from; b < to; b += spam.baselineBucketMs) {
                auto it = spamBuckets.find({b, k});
                if (it != spamBuckets.end())
                    baseline += it->second;
            }
            if (isSpamSuspect(spam, value, baseline))
                out.table[key] = {value, true};
            break;
        }
        case Aggregation::kCount:
            break;
        }
    }
    for (auto &[window, posts] : trending) {
        // Full sort of every post: rank by value (desc), then post id (asc); positive values only.
        std::sort(posts.begin(), posts.end(), [](const auto &a, const auto &b) {
            return a.second != b.second ? a.second > b.second : a.first < b.first;
        });
        size_t taken = 0;
        for (const auto &[post, value] : posts) {
            if (value <= 0 || taken == static_cast<size_t>(config.trendingHourly.topK))
                break;
            out.table[{Aggregation::TrendingHourly, window.first, window.second, post}] = {value, false};
            ++taken;
        }
    }
    return out;
}

void useTestWindows(JobConfig &c)
{
    c.watermark.boundMs = 1000;
    c.watermark.idleTimeoutMs = 0;
    c.runtime.allowedLatenessMs = 3000;
    c.likesPerPost.windowMs = 5000;
    c.trendingHourly.windowMs = 20000;
    c.trendingHourly.topK = 5;
    c.likesByRegion.windowsMs = {5000, 20000};
    c.likeVelocity.sizeMs = 15000;
    c.likeVelocity.slideMs = 5000;
    c.likeVelocity.minPerMinute = 8;    // report at >= 2 net likes per window
    c.likeVelocity.viralPerMinute = 40; // viral at >= 10
    c.likeVelocity.viralAcceleration = 1.2; // ...and accelerating: some are, some not
    c.spamSuspects.sizeMs = 5000;
    c.spamSuspects.slideMs = 1000;
    c.spamSuspects.threshold = 8;
    c.spamSuspects.minLikes = 4;
    c.spamSuspects.baselineFactor = 3;
    c.spamSuspects.baselineBucketMs = 5000;
    c.spamSuspects.baselineBuckets = 3;
    c.output.type = OutputConfig::Type::None;
}

BruteForceWatermark::BruteForceWatermark(int partitions, int64_t boundMs)
    : m_max(static_cast<size_t>(partitions), kMinWatermark), m_bound(boundMs), m_last(kMinWatermark)
{
}

void BruteForceWatermark::observe(int partition, int64_t eventTimeMs)
{
    auto &m = m_max[static_cast<size_t>(partition)];
    m = std::max(m, eventTimeMs);
}

int64_t BruteForceWatermark::watermark() const
{
    int64_t wm = kMaxWatermark;
    for (int64_t m : m_max)
        wm = std::min(wm, m == kMinWatermark ? kMinWatermark : m - m_bound - 1);
    m_last = std::max(m_last, wm);
    return m_last;
}

Status MemorySink::writeRows(std::span<const OutputRow> rows)
{
    std::lock_guard lock(m_mutex);
    for (const OutputRow &r : rows) {
        const ResultKey key{r.aggregation, r.windowStartMs, r.windowEndMs, r.key};
        if (r.kind == OutputRow::Kind::Delete)
            m_table.erase(key);
        else
            m_table[key] = {r.value, r.flag};
    }
    return Status::ok();
}

Status MemorySink::writeDeadLetters(std::span<const DeadLetter> records)
{
    std::lock_guard lock(m_mutex);
    m_deadLetters.insert(m_deadLetters.end(), records.begin(), records.end());
    return Status::ok();
}

Status MemorySink::writeLateEvents(std::span<const LateEvent> events)
{
    std::lock_guard lock(m_mutex);
    m_lateEvents.insert(m_lateEvents.end(), events.begin(), events.end());
    return Status::ok();
}

ResultTable MemorySink::table() const
{
    std::lock_guard lock(m_mutex);
    return m_table;
}

std::vector<DeadLetter> MemorySink::deadLetters() const
{
    std::lock_guard lock(m_mutex);
    return m_deadLetters;
}

std::vector<LateEvent> MemorySink::lateEvents() const
{
    std::lock_guard lock(m_mutex);
    return m_lateEvents;
}

std::string describeDifference(const ResultTable &expected, const ResultTable &actual, size_t maxLines)
{
    std::ostringstream out;
    size_t lines = 0;
    auto describe = [](const ResultKey &k) {
        std::ostringstream s;
        s << aggregationName(std::get<0>(k)) << " [" << std::get<1>(k) << ", " << std::get<2>(k) << ") key "
          << keyText(std::get<0>(k), std::get<3>(k));
        return s.str();
    };
    for (const auto &[k, v] : expected) {
        if (lines >= maxLines)
            break;
        auto it = actual.find(k);
        if (it == actual.end()) {
            out << "missing " << describe(k) << " = " << v.value << "\n";
            ++lines;
        } else if (!(it->second == v)) {
            out << "wrong " << describe(k) << ": expected " << v.value << (v.flag ? "*" : "") << ", got "
                << it->second.value << (it->second.flag ? "*" : "") << "\n";
            ++lines;
        }
    }
    for (const auto &[k, v] : actual) {
        if (lines >= maxLines)
            break;
        if (!expected.contains(k)) {
            out << "unexpected " << describe(k) << " = " << v.value << "\n";
            ++lines;
        }
    }
    if (!out.str().empty())
        out << "(expected " << expected.size() << " rows, got " << actual.size() << ")";
    return out.str();
}

ArrivalRecorder::ArrivalRecorder(Job &job)
{
    job.setArrivalObserver([this](int, const std::vector<LikeEvent> &events, int64_t watermark) {
        std::lock_guard lock(m_mutex);
        for (const LikeEvent &e : events)
            arrivals.push_back({e, watermark});
    });
}

} // namespace tally::test
