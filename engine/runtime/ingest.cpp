#include "runtime/ingest.h"

#include "state/key_groups.h"

#include <algorithm>

namespace tally {

int taskForKey(KeyFamily family, uint64_t key, int parallelism)
{
    return taskForKeyGroup(keyGroupFor(family, key), parallelism);
}

Ingest::Ingest(const JobConfig &config, int partitions, const Clock &clock)
    : m_parallelism(config.runtime.parallelism), m_latenessMs(config.runtime.allowedLatenessMs),
      m_windows(aggregationWindows(config)), m_slotMs(familySlotsMs(config)),
      m_tracker(config.watermark, partitions, clock)
{
    m_counts.late.assign(m_windows.size(), 0);
    m_counts.dropped.assign(m_windows.size(), 0);
}

void decodeBatch(SourceBatch &batch, RecordDecoder &decoder, std::vector<DeadLetter> &deadLetters,
                 std::array<uint64_t, kRejectReasonCount> &rejected)
{
    batch.events.reserve(batch.events.size() + batch.records.size());
    for (size_t i = 0; i < batch.records.size(); ++i) {
        const std::string_view raw = batch.records.at(i);
        DecodeResult r = decoder.decode(raw);
        if (auto *e = std::get_if<LikeEvent>(&r)) {
            batch.events.push_back(*e);
            continue;
        }
        auto &err = std::get<DecodeError>(r);
        ++rejected[static_cast<size_t>(err.reason)];
        deadLetters.push_back({err.reason, std::move(err.detail), batch.partition,
                               batch.firstOffset + static_cast<int64_t>(i), std::string(raw)});
    }
    batch.records.clear();
}

void Ingest::add(int partition, const std::vector<LikeEvent> &events, std::vector<LateEvent> &lateEvents)
{
    m_tracker.touch(partition);
    // Every event of the batch is judged against the watermark before the batch, the same
    // watermark the tasks will apply it at.
    const int64_t wm = m_watermark;
    for (const LikeEvent &e : events) {
        m_tracker.observe(partition, e.eventTimeMs);
        ++m_counts.events;
        if (e.eventTimeMs <= wm) {
            // Only an event at or behind the watermark can be late for any window.
            uint32_t droppedMask = 0;
            bool late = false;
            for (size_t i = 0; i < m_windows.size(); ++i) {
                const Lateness l = m_windows[i].spec.classify(e.eventTimeMs, wm, m_latenessMs);
                if (l == Lateness::Late) {
                    ++m_counts.late[i];
                    late = true;
                } else if (l == Lateness::Dropped) {
                    ++m_counts.dropped[i];
                    droppedMask |= 1u << static_cast<unsigned>(m_windows[i].aggregation);
                }
            }
            m_counts.lateEvents += late ? 1 : 0;
            if (droppedMask != 0) {
                ++m_counts.droppedEvents;
                lateEvents.push_back({e, droppedMask, wm});
            }
        }
        combine(e);
    }
}

void Ingest::combine(const LikeEvent &e)
{
    const int64_t net = e.action == Action::Like ? 1 : -1;
    const int64_t likes = e.action == Action::Like ? 1 : 0;
    auto add = [&](KeyFamily f, uint64_t key) {
        const int64_t slot = alignDown(e.eventTimeMs, m_slotMs[static_cast<size_t>(f)]);
        auto [it, inserted] = m_combined[static_cast<size_t>(f)].try_emplace(SlotKey{key, slot});
        PaneDelta &d = it->second;
        if (inserted) {
            d.key = key;
            d.slotStartMs = slot;
        }
        d.net += net;
        d.likes += likes;
    };
    add(KeyFamily::Post, e.postId);
    add(KeyFamily::Region, regionKey(e.region));
    if (e.deviceType != DeviceType::None)
        add(KeyFamily::Region, regionKey(e.region, e.deviceType));
    add(KeyFamily::User, e.userId);
}

bool Ingest::flush(std::vector<TaskBatch> &perTask, bool endOfInput)
{
    const int64_t before = m_watermark;
    m_watermark = endOfInput ? kMaxWatermark : m_tracker.advance();
    bool any = endOfInput || m_watermark != m_sentWatermark;
    for (const auto &m : m_combined)
        any = any || !m.empty();
    if (!any)
        return false;

    perTask.assign(static_cast<size_t>(m_parallelism), TaskBatch{});
    for (auto &t : perTask) {
        t.watermarkBefore = before;
        t.watermarkAfter = m_watermark;
        t.endOfInput = endOfInput;
    }
    for (size_t f = 0; f < kKeyFamilyCount; ++f) {
        for (const auto &[slotKey, delta] : m_combined[f]) {
            const int task = m_parallelism == 1 ? 0 : taskForKey(static_cast<KeyFamily>(f), slotKey.key, m_parallelism);
            perTask[static_cast<size_t>(task)].records[f].push_back(delta);
        }
        // clear() frees a large table; keeping its capacity saves a dozen rehashes per batch.
        const size_t capacity = m_combined[f].size();
        m_combined[f].clear();
        m_combined[f].reserve(capacity);
    }
    m_sentWatermark = m_watermark;
    return true;
}

Ingest::State Ingest::state() const
{
    State s;
    s.watermark = m_watermark;
    for (const PartitionWatermark &p : m_tracker.partitions())
        s.maxEventTimesMs.push_back(p.maxEventTimeMs);
    return s;
}

void Ingest::restore(const State &state)
{
    m_tracker.restore(state.maxEventTimesMs, state.watermark);
    m_watermark = state.watermark;
    m_sentWatermark = state.watermark;
}

void Ingest::setOwnedPartitions(const std::vector<int> &owned)
{
    const int partitions = static_cast<int>(m_tracker.partitions().size());
    for (int p = 0; p < partitions; ++p)
        m_tracker.setOwned(p, owned.empty() || std::find(owned.begin(), owned.end(), p) != owned.end());
}

IngestCounts Ingest::takeCounts()
{
    IngestCounts c = m_counts;
    m_counts.events = m_counts.lateEvents = m_counts.droppedEvents = 0;
    std::fill(m_counts.late.begin(), m_counts.late.end(), 0);
    std::fill(m_counts.dropped.begin(), m_counts.dropped.end(), 0);
    return c;
}

} // namespace tally
