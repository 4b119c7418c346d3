// The job configuration: every parameter of the one Tally job (source, watermarks, the five
// aggregations, runtime, state, checkpoints, output), each subsystem's settings gathered in one
// struct. JobConfig{} is the default configuration; each field's TOML key, unit, valid values and
// description are in the option table (runtime/job_options.h), which also generates
// resources/tally.toml. Reading it from TOML is config/job_config.h's business.
#pragma once

#include "checkpoint/checkpoint_config.h"
#include "sink/output_config.h"
#include "source/source_config.h"
#include "state/count_state.h"
#include "time/watermark.h"
#include "util/status.h"
#include "window/aggregation_config.h"

#include <cstdint>
#include <string>

namespace tally {

struct RuntimeConfig {
    int parallelism = 2;             // worker tasks P, 1..128
    int batchSize = 4096;            // records per source poll
    int queueCapacity = 64;          // batches per bounded queue between stages
    int decodeThreads = 2;           // threads decoding serialized records, 1..16 (order is kept)
    int64_t allowedLatenessMs = 60000; // windows accept late updates this long after firing
    int64_t stopTimeoutMs = 30000;     // a stop drains at most this long, then gives up on the sink
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

// Where the console's alerts go besides its pages ([alerts]). See README "Alerts".
struct AlertsConfig {
    std::string webhookUrl;  // receiver of Alertmanager-style webhook posts (firing and resolved),
                             // http:// or https://; "" = none. Default "".
    std::string runbookUrl;  // each alert's runbook link, "{rule}" replaced by the rule's id; "" =
                             // the web console's Alerts page (URL#alerts/RULE). Default "".
    int64_t staleAfterMs = 60000; // the database this far behind (its freshness age) counts as stale:
                                  // /readyz answers 503, results_stale fires; 0 = off. Default 60000.
};

// The aggregations' settings (likesPerPost, trendingHourly, likesByRegion, likeVelocity,
// spamSuspects) come from AggregationConfig.
struct JobConfig : AggregationConfig {
    SourceConfig source;
    WatermarkConfig watermark;
    RuntimeConfig runtime;
    StateConfig state;
    CheckpointConfig checkpoint;
    OutputConfig output;
    WebConfig web;
    AlertsConfig alerts;

    // Checks every option's range (from the option table) and the rules that involve several keys
    // (slide divides size, a kafka source needs a bootstrap, ...). The message names the key, one
    // problem per line, in the order of the file.
    Status validate() const;
};

} // namespace tally
