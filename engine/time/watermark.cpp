#include "time/watermark.h"

#include <algorithm>
#include <bit>

namespace tally {

namespace {

// Bucket i covers lateness values whose upper bound is bucketUpper(i); exact below kSubBuckets.
int bucketOf(uint64_t v, int sub)
{
    if (v < static_cast<uint64_t>(sub))
        return static_cast<int>(v);
    const int msb = 63 - std::countl_zero(v);
    const int shift = msb - std::countr_zero(static_cast<unsigned>(sub));
    return (shift + 1) * sub + static_cast<int>((v >> shift) & static_cast<uint64_t>(sub - 1));
}

int64_t bucketUpper(int i, int sub)
{
    if (i < sub)
        return i;
    const int shift = i / sub - 1;
    const int64_t mantissa = sub + i % sub;
    return ((mantissa + 1) << shift) - 1;
}

constexpr uint64_t kHalvingPeriod = 1 << 16; // observations between decays of the histogram

} // namespace

WatermarkTracker::WatermarkTracker(WatermarkConfig config, int partitions, const Clock &clock)
    : m_config(config), m_clock(clock), m_adaptive(config.strategy == WatermarkConfig::Strategy::Adaptive),
      m_boundMs(m_adaptive ? std::clamp(config.boundMs, config.adaptiveMinMs, config.adaptiveMaxMs) : config.boundMs),
      m_partitions(static_cast<size_t>(partitions))
{
    const int64_t now = m_clock.nowMs();
    for (int i = 0; i < partitions; ++i) {
        m_partitions[static_cast<size_t>(i)].partition = i;
        m_partitions[static_cast<size_t>(i)].lastActivityMs = now;
    }
}

void WatermarkTracker::touch(int partition)
{
    PartitionWatermark &p = m_partitions[static_cast<size_t>(partition)];
    p.lastActivityMs = m_clock.nowMs();
    p.idle = false;
}

void WatermarkTracker::recordLateness(int64_t latenessMs)
{
    ++m_lateness[static_cast<size_t>(bucketOf(static_cast<uint64_t>(latenessMs), kSubBuckets))];
    if (++m_latenessCount % kHalvingPeriod == 0) {
        for (auto &c : m_lateness)
            c /= 2;
    }
}

int64_t WatermarkTracker::latenessQuantileMs() const
{
    uint64_t total = 0;
    for (auto c : m_lateness)
        total += c;
    if (total == 0)
        return m_boundMs;
    const auto rank = static_cast<uint64_t>(m_config.adaptiveQuantile * static_cast<double>(total));
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
        seen += m_lateness[static_cast<size_t>(i)];
        if (seen > rank)
            return bucketUpper(i, kSubBuckets);
    }
    return bucketUpper(kBuckets - 1, kSubBuckets);
}

void WatermarkTracker::setOwned(int partition, bool owned)
{
    PartitionWatermark &p = m_partitions[static_cast<size_t>(partition)];
    if (owned && !p.owned)
        p.lastActivityMs = m_clock.nowMs();
    p.owned = owned;
}

int64_t WatermarkTracker::advance()
{
    if (m_adaptive)
        m_boundMs = std::clamp(latenessQuantileMs(), m_config.adaptiveMinMs, m_config.adaptiveMaxMs);

    const int64_t now = m_clock.nowMs();
    int64_t minActive = kMaxWatermark;
    bool anyActive = false;
    for (auto &p : m_partitions) {
        if (p.maxEventTimeMs != kMinWatermark)
            p.watermarkMs = std::max(p.watermarkMs, p.maxEventTimeMs - m_boundMs - 1);
        p.idle = !p.owned || (m_config.idleTimeoutMs > 0 && now - p.lastActivityMs >= m_config.idleTimeoutMs);
        if (!p.idle) {
            anyActive = true;
            minActive = std::min(minActive, p.watermarkMs);
        }
    }
    // All partitions idle: nothing holds the watermark back, but nothing moves it either.
    if (anyActive)
        m_jobWatermark = std::max(m_jobWatermark, minActive);
    return m_jobWatermark;
}

void WatermarkTracker::restore(const std::vector<int64_t> &maxEventTimesMs, int64_t jobWatermarkMs)
{
    for (size_t i = 0; i < m_partitions.size() && i < maxEventTimesMs.size(); ++i) {
        PartitionWatermark &p = m_partitions[i];
        p.maxEventTimeMs = maxEventTimesMs[i];
        p.watermarkMs = p.maxEventTimeMs == kMinWatermark ? kMinWatermark : p.maxEventTimeMs - m_boundMs - 1;
        p.lastActivityMs = m_clock.nowMs();
    }
    m_jobWatermark = jobWatermarkMs;
}

int64_t WatermarkTracker::skewMs() const
{
    int64_t lo = kMaxWatermark, hi = kMinWatermark;
    int n = 0;
    for (const auto &p : m_partitions) {
        if (p.idle || p.maxEventTimeMs == kMinWatermark)
            continue;
        lo = std::min(lo, p.watermarkMs);
        hi = std::max(hi, p.watermarkMs);
        ++n;
    }
    return n < 2 ? 0 : hi - lo;
}

int WatermarkTracker::laggingPartition() const
{
    int lagging = -1;
    int64_t lo = kMaxWatermark;
    for (const auto &p : m_partitions) {
        if (!p.idle && p.watermarkMs < lo) {
            lo = p.watermarkMs;
            lagging = p.partition;
        }
    }
    return lagging;
}

} // namespace tally
