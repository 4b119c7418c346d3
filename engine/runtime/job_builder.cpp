#include "runtime/job_builder.h"

#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "runtime/config_fingerprint.h"
#include "sink/kafka_dead_letters.h"
#include "sink/sink_factory.h"
#include "source/generator.h"
#include "source/kafka_source.h"
#include "source/offset_reset.h"
#include "util/folders.h"

namespace tally {

Status checkJobCanStart(const JobConfig &config)
{
    if (Status s = config.validate(); !s.isOk())
        return s;
    if (config.state.backend == StateConfig::Backend::RocksDb)
        if (Status s = checkWritableFolder(config.state.dir, "state.dir"); !s.isOk())
            return s;
    if (config.checkpoint.enabled)
        if (Status s = checkWritableFolder(config.checkpoint.dir, "checkpoint.dir"); !s.isOk())
            return s;
    return Status::ok();
}

Status checkRestorePoint(const JobConfig &config, const std::string &path)
{
    const Result<Savepoint> savepoint = readRestorePoint(path);
    if (!savepoint)
        return savepoint.status();
    if (const std::string difference = fingerprintDifference(savepoint->fingerprint, configFingerprint(config));
        !difference.empty())
        return Status::invalidArgument(path + " does not fit this job: " + difference);
    return Status::ok();
}

Status checkPositionsRetained(const KafkaSourceConfig &kafka, const std::string &path, const std::vector<int64_t> &positions)
{
    Result<std::vector<DeletedPositions>> deleted = positionsDeletedByRetention(kafka, positions);
    if (!deleted) // not known: no pass
        return Status::unavailable("cannot check that topic " + kafka.topic + " still holds the positions of " + path + ": " +
                                   deleted.status().message());
    if (deleted->empty())
        return Status::ok();
    std::string lost;
    for (const DeletedPositions &d : *deleted)
        lost += (lost.empty() ? "" : "; ") + std::string("partition ") + std::to_string(d.partition) + " resumes at offset " +
                std::to_string(d.position) + ", its log now starts at " + std::to_string(d.logStart) + ": " +
                std::to_string(d.logStart - d.position) + " records gone";
    return Status::invalidArgument(path + " resumes at records that retention has deleted from topic " + kafka.topic + " (" + lost +
                                   "); a restore would skip them without a word (a restore point taken later, or a start without "
                                   "one after tally reset-offsets, says where to go on)");
}

Result<BuiltJob> buildJob(const JobConfig &config, MetricsRegistry &metrics, const Clock &clock, JobParts parts)
{
    if (Status s = checkJobCanStart(config); !s.isOk())
        return s;
    BuiltJob built;
    std::unique_ptr<OutputSink> sink = std::move(parts.sink);
    if (sink) {
        built.description.sinkDescription = "custom";
    } else {
        auto writer = openSink(config.output, metrics);
        if (!writer)
            return writer.status();
        if (*writer) {
            built.description.sinkDescription = (*writer)->describe() + " (" + std::string(deliveryName(config.output.delivery)) + ")";
            built.description.divertConfigured = !config.output.divertPath.empty();
        } else {
            built.description.sinkDescription = "no output";
        }
        sink = std::move(writer).value();
    }
    std::unique_ptr<Source> source = std::move(parts.source);
    if (source) {
        built.description.sourceDescription = "custom";
    } else if (config.source.type == SourceConfig::Type::Kafka) {
        const KafkaSourceConfig &kafka = config.source.kafka;
        auto consumer = KafkaSource::open(kafka, metrics);
        if (!consumer)
            return consumer.status();
        source = std::move(consumer).value();
        const std::string deadLetterTopic = kafka.deadLetterTopic.empty() ? kafka.topic + ".dlq" : kafka.deadLetterTopic;
        auto deadLetters =
            KafkaDeadLetterWriter::open(kafka.bootstrapServers, deadLetterTopic, kafka.topic, metrics, kafka.properties);
        if (!deadLetters)
            return deadLetters.status();
        sink = std::make_unique<DeadLetterTopicSink>(std::move(sink), std::move(deadLetters).value());
        built.description.kafka = true;
        built.description.sourceDescription = "kafka " + kafka.bootstrapServers + "/" + kafka.topic;
    } else {
        source = std::make_unique<GeneratorSource>(config.source.generator);
        built.description.sourceDescription = "generator";
    }
    built.job = std::make_unique<Job>(config, std::move(source), std::move(sink), metrics, clock);
    if (!parts.restoreFrom.empty())
        if (Status s = built.job->restoreFrom(parts.restoreFrom); !s.isOk())
            return s;
    return built;
}

} // namespace tally
