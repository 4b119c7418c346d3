// Where and how the job writes its results ([output]).
#pragma once

#include "core/results.h"

#include <cstdint>
#include <string>

namespace tally {

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

} // namespace tally
