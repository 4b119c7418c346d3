// The sinks' side of the job's output: a sink writes the result rows, dead letters and late
// events (core/results.h) from the engine's single output thread.
#pragma once

#include "core/results.h"
#include "metrics/metrics.h"
#include "sink/circuit_breaker.h"
#include "util/status.h"

#include <cstdint>
#include <future>
#include <optional>
#include <span>
#include <string>

namespace tally {

// A value snapshot for the console and tests.
struct SinkStatus {
    std::string name;           // "sqlite", "postgres" (the metrics' sink label)
    CircuitBreaker::State circuit = CircuitBreaker::State::Closed;
    bool held = false;          // drained and holding writes until resumeWrites()
    bool divertEnabled = false; // divert on: an outage spills to the buffer
    uint64_t pendingRows = 0;   // in memory: staged, waiting and being written
    uint64_t divertedRows = 0;  // in the local buffer, waiting for replay
    uint64_t committedEpoch = 0;
    int64_t lastWindowEndMs = 0; // newest window end among the rows written
    // Event time through which the database is complete: every window ending at or before it
    // has its rows stored (committed, with exactly-once; rows the database refused for good count,
    // they are in rejected_rows). nullopt: nothing stored yet.
    std::optional<int64_t> upToDateMs;
    uint64_t rowsWritten = 0;
    uint64_t rejectedRows = 0;
    uint64_t retries = 0;        // write attempts retried after an error
    uint64_t transientErrors = 0;
    HistogramSnapshot writeLatencyUs; // per batch attempt, over the run
    std::string lastError;       // the newest write error (empty after a success)
};

class OutputSink {
public:
    virtual ~OutputSink() = default;
    virtual Status writeRows(std::span<const OutputRow> rows) = 0;
    virtual Status writeDeadLetters(std::span<const DeadLetter> records) = 0;
    virtual Status writeLateEvents(std::span<const LateEvent> events) = 0;
    // Returns once everything written so far is stored (rows of epochs not yet committed stay
    // staged in an exactly-once sink).
    virtual Status flush() = 0;
    // Gives up on what is not written yet (a stop that ran out of time): no more retries, rows go
    // to a divert buffer if there is one, and flush() then returns at once, failing with how many
    // rows were not written. Thread-safe. Default: nothing to give up.
    virtual void abandon() {}

    // Every row of epochs <= `epoch` has been written and the checkpoint that closes `epoch` is
    // complete: an exactly-once sink commits them now. Other sinks ignore it.
    virtual Status commitEpoch(uint64_t epoch);
    // Called before commitEpoch(epoch): the rows of every window ending at or before
    // `windowsEndingByMs` are among the rows of epochs <= `epoch`. A sink that reports where the
    // database stands (SinkStatus::upToDateMs) moves it there once those rows are stored.
    virtual void noteEpochCovers(uint64_t epoch, int64_t windowsEndingByMs);
    // The newest epoch this sink has committed (0: none, or the database not reached yet).
    virtual uint64_t committedEpoch() const;
    // The job is about to number its epochs, going on after `restored` (the last epoch of the
    // checkpoint it restored; 0 on a fresh start). Returns the epoch its numbering goes on after:
    // past the newest one the database has committed, so that a new run's commits are not
    // mistaken for replays. A sink that has not reached its database yet returns `restored`, and
    // stores this run's epochs shifted past the database's once it reaches it.
    virtual uint64_t continueEpochs(uint64_t restored);
    // Rows a restored checkpoint held as not known to be committed: written ahead of everything
    // of this run, with no epoch of their own (they may share the transaction of this run's first
    // commit). They are upserts of the values they had, in their order, so writing them again
    // needs no comparison with the database's epoch, whose numbering may not be the restored
    // job's; restoring an older savepoint shows its values until the replay writes newer ones.
    virtual Status writeRestoredRows(std::span<const OutputRow> rows);

    // Operator commands (SinkWriter implements them; other sinks answer Unimplemented).
    // drain: write everything pending, then hold new writes until resumeWrites(); the future is
    // ready once nothing is pending. setDivert: while the database is unreachable, spill results
    // to a local buffer instead of holding them in memory.
    virtual std::future<Status> drain();
    virtual Status resumeWrites();
    virtual Status setDivert(bool on);

    // Where the sink stands, for the console; nullopt for a sink without a writer (tests').
    // Thread-safe.
    virtual std::optional<SinkStatus> sinkStatus() const { return std::nullopt; }
};

} // namespace tally
