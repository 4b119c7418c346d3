// The job configuration: every parameter of the one Tally job (source, watermarks, the five
// aggregations, runtime, output), loaded from a TOML file. JobConfig{} is the default
// configuration; each field's TOML key, unit, valid values and description are in the option
// table (config/options.h), which also generates resources/tally.toml.
#pragma once

#include "event/codec.h"
#include "sink/output.h"
#include "source/generator.h"
#include "source/kafka_source.h"
#include "util/status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tally {

struct WatermarkConfig {
    enum class Strategy { Fixed, Adaptive };
    Strategy strategy = Strategy::Fixed;
    int64_t boundMs = 5000;          // fixed out-of-orderness bound (also the adaptive start value)
    double adaptiveQuantile = 0.99;  // adaptive: bound follows this quantile of observed lateness
    int64_t adaptiveMinMs = 1000;    // adaptive clamp, lower end
    int64_t adaptiveMaxMs = 60000;   // adaptive clamp, upper end
    int64_t idleTimeoutMs = 10000;   // a partition silent this long (processing time) stops
                                     // holding the job watermark back; 0 = never idle
};

struct LikesPerPostConfig {
    int64_t windowMs = 60000; // tumbling window, default 1 min
};

struct TrendingHourlyConfig {
    int64_t windowMs = 3600000; // tumbling window, default 1 h
    int topK = 100;             // posts kept per window, default 100
};

struct LikesByRegionConfig {
    std::vector<int64_t> windowsMs = {60000, 3600000}; // tumbling windows, default 1 min and 1 h
};

struct LikeVelocityConfig {
    int64_t sizeMs = 900000;      // sliding window size, default 15 min
    int64_t slideMs = 60000;      // slide (= pane) length, default 1 min
    double minPerMinute = 1.0;    // a post is reported when its rate reaches this (likes/min, > 0)
    double viralPerMinute = 100;  // "viral" flag threshold (likes/min)
};

struct SpamSuspectsConfig {
    int64_t sizeMs = 10000;          // sliding window size, default 10 s
    int64_t slideMs = 1000;          // slide (= pane) length, default 1 s
    int64_t threshold = 20;          // flag at this many likes in one window
    int64_t minLikes = 10;           // the baseline rule needs at least this many likes ...
    double baselineFactor = 5;       // ... and this many times the user's own baseline
    int64_t baselineBucketMs = 60000;// baseline = user's likes per window length, averaged over
    int baselineBuckets = 5;         // this many closed buckets before the window (see DESIGN)
};

struct RuntimeConfig {
    int parallelism = 2;             // worker tasks P, 1..128
    int batchSize = 4096;            // records per source poll
    int queueCapacity = 64;          // batches per bounded queue between stages
    int decodeThreads = 2;           // threads decoding serialized records, 1..16 (order is kept)
    int64_t allowedLatenessMs = 60000; // windows accept late updates this long after firing
};

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

// Epochs: the ingest stage closes one every interval and the output stage commits it once every
// task has passed it (exactly-once sinks write an epoch's rows in one transaction then).
struct CheckpointConfig {
    int64_t intervalMs = 1000;              // >= 10
    std::string savepointDir = "savepoints"; // where savepoints are written
    bool enabled = false;                   // take a checkpoint at every epoch barrier
    std::string dir = "checkpoints";        // where checkpoints are written
    int retained = 3;                       // newest checkpoints kept, >= 1
    int64_t minPauseMs = 0;                 // from the end of one checkpoint to the start of the next
    int64_t timeoutMs = 600000;             // a checkpoint taking longer fails
    int tolerableFailures = 3;              // consecutive failed checkpoints before the job stops
};

// Where the window state lives: "heap" (hash maps, fastest, bounded by memory) or "rocksdb" (one
// embedded RocksDB per task under `dir`, bounded by disk; its defaults are explained in
// resources/tally.toml). Checkpoints and savepoints have the same format for both.
struct StateConfig {
    enum class Backend { Heap, RocksDb };
    Backend backend = Backend::Heap;
    std::string dir = "tally-state"; // RocksDB working copies, one folder per task
    int rocksdbBlockCacheMb = 64;     // per task, 1..65536
    int rocksdbWriteBufferMb = 32;    // per task memtable, 1..4096
    int rocksdbCacheEntries = 262144; // counts combined in memory per task before they are written
};

struct OutputConfig {
    enum class Type { Sqlite, Postgres, None };
    Type type = Type::Sqlite;
    std::string sqlitePath = "tally.db";
    std::string postgresUrl;            // libpq URL, e.g. "postgresql://tally@127.0.0.1:5432/tally"
    int postgresPoolSize = 4;           // connections at most, 1..64
    Delivery delivery = Delivery::ExactlyOnce;
    int batchRows = 1000;               // rows per batch (at-least-once), 1..1000000
    int64_t batchMs = 200;              // ... or the oldest row's wait, whichever comes first
    int maxPendingRows = 200000;        // writable rows in memory before the job is held back
    int64_t retryInitialMs = 100;       // first retry delay, doubling per failure ...
    int64_t retryMaxMs = 5000;          // ... up to this (jittered)
    int breakerFailures = 5;            // consecutive failures that open the circuit breaker
    int64_t breakerOpenMs = 5000;       // how long it stays open before a trial write
    std::string divertPath;             // local buffer for divert; empty: divert unavailable
    std::string jobId = "tally";        // committed epochs are recorded under this name
};

// The web console ([web]): where it listens, who may use it, and its limits. See README "Web console".
struct WebConfig {
    bool enabled = true;                // serve the console (the --no-web option also turns it off)
    std::string address = "127.0.0.1";  // listen address; a non-loopback one requires tokens_file
    int port = 8080;                    // TCP port, 0..65535; 0 = any free port
    std::string tokensFile;             // lines "ROLE USER SHA256HEX"; "" = a one-time operator
                                        // token for this run only (loopback only). Default "".
    std::string tlsCert;                // PEM certificate chain; with tls_key the console speaks
    std::string tlsKey;                 // HTTPS only. Default "" for both (plain HTTP).
    std::string publicOrigin;           // the origin browsers use behind a reverse proxy, e.g.
                                        // "https://tally.example.com"; also accepted as Host and
                                        // Origin. Default "" (only the bound address and localhost).
    int64_t maxRequestBytes = 65536;    // request body limit (bytes, 1..16777216); larger -> 413
    double rateLimitPerSecond = 50;     // per client address: sustained requests per second (> 0) ...
    int rateLimitBurst = 200;           // ... and the burst allowed above it (requests, >= 1); -> 429
};

struct JobConfig {
    SourceConfig source;
    WatermarkConfig watermark;
    RuntimeConfig runtime;
    LikesPerPostConfig likesPerPost;
    TrendingHourlyConfig trendingHourly;
    LikesByRegionConfig likesByRegion;
    LikeVelocityConfig likeVelocity;
    SpamSuspectsConfig spamSuspects;
    StateConfig state;
    CheckpointConfig checkpoint;
    OutputConfig output;
    WebConfig web;

    // Checks every option's range (from the option table) and the rules that involve several keys
    // (slide divides size, a kafka source needs a bootstrap, ...). The message names the key, one
    // problem per line, in the order of the file.
    Status validate() const;
};

// Parses TOML text. Unknown keys, wrong types and invalid values are rejected with the key, the
// line and the reason, e.g. "line 12: runtime.parallelism: must be between 1 and 128 (got 0)".
Result<JobConfig> parseJobConfig(std::string_view tomlText, std::string_view sourceName = "config");
Result<JobConfig> loadJobConfig(const std::string &path);

// Sets one option, as `tally --set KEY=VALUE` does: the value is read with the option's type as in
// a file (strings need no quotes, a list may be written 60000,3600000) and checked against the
// option's own range; rules involving other keys are left to validate(). A key inside
// [source.kafka.properties] sets one setting: "source.kafka.properties.security.protocol".
// The error names the key: "runtime.parallelism: must be between 1 and 128 (got 0)".
Status setConfigOption(JobConfig &config, std::string_view key, std::string_view value);
// setConfigOption() for "KEY=VALUE".
Status applyConfigOverride(JobConfig &config, std::string_view assignment);

} // namespace tally
