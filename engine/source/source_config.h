// Where the job's likes come from: the built-in generator or Kafka ([source] of the job
// configuration).
#pragma once

#include "event/codec.h"
#include "source/generator.h"
#include "source/kafka_source.h"

namespace tally {

struct SourceConfig {
    enum class Type { Generator, Kafka };
    Type type = Type::Generator;
    // The job's default stream is live: 20000 likes per second whose event time starts at the wall
    // clock and follows it. (GeneratorConfig{} alone is a reproducible replay, as fast as the job
    // consumes, from a fixed start: what tests and benchmarks want.)
    GeneratorConfig generator{.eventsPerSecond = 20000, .startTimeMs = 0, .eventTimeRate = 20000};
    KafkaSourceConfig kafka; // [source.kafka], used when type = "kafka"
    DecodeLimits limits;
};

} // namespace tally
