// A Source delivers like records to the engine, one partition's batch at a time: either decoded
// LikeEvents (the generator's fast path) or serialized records that the engine decodes.
#pragma once

#include "event/like_event.h"
#include "util/status.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tally {

// Serialized records packed into one buffer, so a batch costs two allocations, not one per record.
class RawRecords {
public:
    void clear() { m_data.clear(); m_ends.clear(); }
    void append(std::string_view record) { m_data.append(record); m_ends.push_back(m_data.size()); }
    size_t size() const { return m_ends.size(); }
    bool empty() const { return m_ends.empty(); }
    std::string_view at(size_t i) const
    {
        const size_t begin = i == 0 ? 0 : m_ends[i - 1];
        return std::string_view(m_data).substr(begin, m_ends[i] - begin);
    }

private:
    std::string m_data;
    std::vector<size_t> m_ends;
};

struct SourceBatch {
    int partition = 0;
    int64_t firstOffset = 0;       // position of the batch's first record in its partition
    std::vector<LikeEvent> events; // decoded records (if the source decodes itself)
    RawRecords records;            // serialized records, decoded by the engine
    // Position after the batch's last record, when it is not firstOffset + size(): a Kafka
    // partition's offsets have gaps (transaction markers, aborted or compacted records), and a
    // savepoint must not point back into a batch it has counted. -1: firstOffset + size().
    int64_t nextOffset = -1;
    size_t size() const { return events.size() + records.size(); }
    void clear() { events.clear(); records.clear(); nextOffset = -1; }
};

// How far a source is behind its input, for the console (a Kafka consumer: per partition the
// high watermark minus the position, and the age of the last record read while behind).
struct SourceLag {
    struct Partition {
        int partition = 0;
        double records = 0;
        double seconds = 0;
        // Where the consumer group stands, for lag tools (Burrow's evaluation): the offset last
        // committed for the partition and when (-1: none by this consumer), and the log end offset
        // (-1: not known yet).
        int64_t committedOffset = -1;
        int64_t committedAtMs = -1;
        int64_t logEndOffset = -1;
    };
    std::vector<Partition> partitions;
    double timeToCatchUpSeconds = 0; // 0: keeping up; +inf: the lag is not shrinking
};

// The topic and consumer group as the broker describes them, as Kafka consoles (Kafbat UI, AKHQ)
// show them: per partition its leader, replicas, in-sync replicas, log start and end and the
// group's committed offset; the group's state and members with what each is assigned. A source
// refreshes it every few seconds on a thread of its own.
struct TopicView {
    struct Broker {
        int id = -1;
        std::string host;
        int port = 0;
    };
    struct Partition {
        int partition = 0;
        int leader = -1; // broker id; -1: none (nobody serves the partition)
        std::vector<int> replicas;
        std::vector<int> inSync;
        int64_t logStartOffset = -1; // -1: not known (yet)
        int64_t logEndOffset = -1;
        int64_t groupOffset = -1;    // the group's committed offset, by any member; -1: none
        std::string owner;           // member id of the member assigned it; "": none
    };
    struct Member {
        std::string memberId;
        std::string clientId;
        std::string host;
        std::string instanceId; // static membership (group.instance.id); "": dynamic
        std::vector<int> partitions;
        bool self = false;      // this process's consumer
    };
    std::string topic;
    std::string group;
    int64_t refreshedAtMs = -1; // wall clock of the newest description of the topic; -1: none yet
    std::string error;          // why the newest refresh failed in part or whole; "": it did not
    std::vector<Broker> brokers;
    std::vector<Partition> partitions; // those the job reads: the topic's when it started
    int topicPartitions = 0;           // the topic's now, as the metadata says (0: not known yet)
    std::string groupState;     // "Stable", "PreparingRebalance", "Empty", ...; "": not known
    std::string assignor;       // "cooperative-sticky", ...
    int coordinator = -1;       // broker id of the group coordinator
    std::vector<Member> members;
};

class Source {
public:
    enum class PollStatus {
        Data, // batch holds records
        Idle, // nothing available right now; poll again later
        End   // bounded input exhausted: no partition will deliver again
    };

    virtual ~Source() = default;
    virtual int partitionCount() const = 0;
    // Clears `batch` and fills it with up to maxRecords records of a single partition.
    // Called from the engine's source thread only.
    virtual PollStatus poll(SourceBatch &batch, size_t maxRecords) = 0;

    // Called (repeatedly, from the source thread) instead of poll() while the engine cannot take
    // more records because its queues are full. A source with a session to keep (a Kafka
    // consumer group) stops fetching and keeps the session alive, so a slow downstream never
    // makes the group think the consumer died; the next poll() resumes. Default: nothing.
    virtual void keepAlive() {}

    // Partitions this source reads now, or empty for "all of them". A Kafka consumer owns only
    // what the group assigned it; the others must not hold its watermark back. Changes are seen
    // through ownershipVersion(), which grows whenever the set may have changed.
    virtual std::vector<int> ownedPartitions() const { return {}; }
    virtual uint64_t ownershipVersion() const { return 0; }

    // Publishes how far the job's stored results reach (a Kafka consumer group's committed
    // offsets), so external lag tools see it: per partition the next offset to read, -1 for a
    // partition not read yet. Default: nothing to publish.
    virtual Status commitPositions(const std::vector<int64_t> &nextOffsets)
    {
        (void)nextOffsets;
        return Status::ok();
    }

    // Continues from these positions (per partition, the offset of the next record to deliver),
    // as recorded in a savepoint. Call before the first poll(). Default: Unimplemented.
    virtual Status seek(const std::vector<int64_t> &nextOffsets);

    // The source's lag, when it has one (the generator has none). Thread-safe, unlike the rest.
    virtual std::optional<SourceLag> lag() const { return std::nullopt; }

    // The topic and group as the broker last described them, when the source reads a broker.
    // Thread-safe.
    virtual std::optional<TopicView> topicView() const { return std::nullopt; }
};

} // namespace tally
