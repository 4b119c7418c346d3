// A SinkWriter is the job's sink in front of a database (a ResultStore): the engine's output
// thread hands it rows, and its own writer thread batches them, writes each batch in one
// transaction, retries failures with exponential backoff and jitter, stops hammering a dead
// database with a circuit breaker, and sends rows the database refuses for good to its
// rejected_rows table. Nothing is dropped: while the database is down, results wait in memory up
// to a bound and then block the caller (backpressure reaches the source), or, with divert on,
// go to a local buffer that is replayed in order once the database is back.
//
// Delivery modes:
//   exactly-once   rows are staged per epoch (OutputRow::epoch) and written when commitEpoch()
//                  says the epoch's checkpoint is complete, in one transaction that also records
//                  the epoch, so a replayed commit changes nothing.
//   at-least-once  rows are written as batches fill (size or time); upserts keep it idempotent.
// Dead letters and late events are side records: written with the next batch, at least once.
#pragma once

#include "metrics/metrics.h"
#include "sink/circuit_breaker.h"
#include "sink/output.h"
#include "sink/result_store.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace tally {

struct SinkWriterOptions {
    Delivery delivery = Delivery::ExactlyOnce;
    size_t batchRows = 1000;                             // a batch is written when it has this many rows...
    std::chrono::milliseconds batchInterval{200};        // ...or its oldest row waited this long
    size_t maxPendingRows = 200000;                      // writable rows held in memory before writes block
    std::chrono::milliseconds retryInitial{100};         // first retry delay; doubles per failure...
    std::chrono::milliseconds retryMax{5000};            // ...up to this (each delay jittered to 50-100%)
    int breakerFailures = 5;                             // consecutive failures that open the circuit
    std::chrono::milliseconds breakerOpen{5000};         // how long it stays open before a trial write
    std::string divertPath;                              // local buffer file; empty: divert unavailable
    std::string name = "sqlite";                         // the metrics' sink label
};


class SinkWriter final : public OutputSink {
public:
    // Reads the store's committed epoch (a database that does not answer is reached later, and
    // retried meanwhile like one that went down) and opens the divert buffer (batches left there
    // by an earlier run are replayed first). `metrics` must outlive the writer.
    static Result<std::unique_ptr<SinkWriter>> open(std::unique_ptr<ResultStore> store, SinkWriterOptions options,
                                                    MetricsRegistry &metrics);
    // Writes what it can: waits for pending rows while the database accepts them; with the
    // circuit open it spills them to the divert buffer if there is one, and otherwise reports
    // how many rows it could not write.
    ~SinkWriter() override;
    SinkWriter(const SinkWriter &) = delete;
    SinkWriter &operator=(const SinkWriter &) = delete;

    // Called by one thread (the engine's output thread). Block while too many rows wait.
    Status writeRows(std::span<const OutputRow> rows) override;
    Status writeDeadLetters(std::span<const DeadLetter> records) override;
    Status writeLateEvents(std::span<const LateEvent> events) override;
    Status commitEpoch(uint64_t epoch) override;
    void noteEpochCovers(uint64_t epoch, int64_t windowsEndingByMs) override;
    // Blocks until every writable row and side record is in the database (not while held).
    Status flush() override;
    void abandon() override;

    // Thread-safe operator commands.
    std::future<Status> drain() override;
    Status resumeWrites() override;
    Status setDivert(bool on) override;

    uint64_t committedEpoch() const override;
    uint64_t continueEpochs(uint64_t restored) override;
    Status writeRestoredRows(std::span<const OutputRow> rows) override;
    SinkStatus status() const; // thread-safe
    std::optional<SinkStatus> sinkStatus() const override { return status(); }
    const SinkWriterOptions &options() const;
    std::string describe() const;

private:
    struct Impl;
    explicit SinkWriter(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> d;
};

} // namespace tally
