// A dead-letter topic keeps the records Tally could not decode where the people who produce them
// can find them: each dead letter is published with its original payload as the value and
// headers naming the reason, a detail, and the source topic, partition and offset.
#pragma once

#include "metrics/metrics.h"
#include "sink/output.h"
#include "util/status.h"

#include <map>
#include <memory>
#include <span>
#include <string>

namespace tally {

// Headers of a dead-letter message.
inline constexpr const char *kDeadLetterReasonHeader = "tally.reason";     // rejectReasonName()
inline constexpr const char *kDeadLetterDetailHeader = "tally.detail";
inline constexpr const char *kDeadLetterTopicHeader = "tally.source.topic";
inline constexpr const char *kDeadLetterPartitionHeader = "tally.source.partition"; // decimal
inline constexpr const char *kDeadLetterOffsetHeader = "tally.source.offset";       // decimal

// Not thread-safe: one thread (the engine's output thread) writes.
class KafkaDeadLetterWriter {
public:
    // An idempotent producer with acks=all, so a dead letter is never lost or doubled by retries.
    // `properties` are further librdkafka settings (security, client.rack, ...), applied last.
    static Result<std::unique_ptr<KafkaDeadLetterWriter>> open(const std::string &bootstrapServers,
                                                               const std::string &deadLetterTopic,
                                                               const std::string &sourceTopic, MetricsRegistry &metrics,
                                                               const std::map<std::string, std::string> &properties = {});
    ~KafkaDeadLetterWriter();

    // Publishes the records and waits until the broker has acknowledged all of them (or the
    // timeout passed: then the Status says how many are unconfirmed and the caller retries).
    Status write(std::span<const DeadLetter> records, int timeoutMs = 10000);

private:
    struct Impl;
    explicit KafkaDeadLetterWriter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

// An OutputSink that also publishes dead letters to a Kafka topic; everything else, and the dead
// letters too, goes to the wrapped sink (which may be null).
class DeadLetterTopicSink final : public OutputSink {
public:
    DeadLetterTopicSink(std::unique_ptr<OutputSink> inner, std::unique_ptr<KafkaDeadLetterWriter> writer);
    Status writeRows(std::span<const OutputRow> rows) override;
    Status writeDeadLetters(std::span<const DeadLetter> records) override;
    Status writeLateEvents(std::span<const LateEvent> events) override;
    Status flush() override;
    void abandon() override;
    Status commitEpoch(uint64_t epoch) override;
    void noteEpochCovers(uint64_t epoch, int64_t windowsEndingByMs) override;
    uint64_t committedEpoch() const override;
    uint64_t continueEpochs(uint64_t restored) override;
    Status writeRestoredRows(std::span<const OutputRow> rows) override;
    std::future<Status> drain() override;
    Status resumeWrites() override;
    Status setDivert(bool on) override;
    std::optional<SinkStatus> sinkStatus() const override;

private:
    std::unique_ptr<OutputSink> m_inner;
    std::unique_ptr<KafkaDeadLetterWriter> m_writer;
};

} // namespace tally
