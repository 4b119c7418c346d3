#include "sink/sink_writer.h"

#include "sink/divert_buffer.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <tuple>

namespace tally {

namespace {

using SteadyClock = std::chrono::steady_clock;

// One transaction's worth of output, owned by the writer thread while it is written.
struct Batch {
    std::vector<OutputRow> rows;
    std::vector<DeadLetter> deadLetters;
    std::vector<LateEvent> lateEvents;
    std::vector<RejectedRow> rejected;
    std::optional<uint64_t> epoch;
    size_t pendingRows = 0; // rows this batch removed from the pending count (before coalescing)

    bool empty() const
    {
        return rows.empty() && deadLetters.empty() && lateEvents.empty() && rejected.empty() && !epoch;
    }
    StoreBatch view(bool probe = false) const
    {
        return StoreBatch{rows, deadLetters, lateEvents, rejected, epoch, probe};
    }
};

// Keeps the last row per (aggregation, window, key), in first-seen order: a window that re-fired
// within one batch is written once, with its newest value.
void coalesce(std::vector<OutputRow> &rows)
{
    using RowKey = std::tuple<Aggregation, int64_t, int64_t, uint64_t>;
    absl::flat_hash_map<RowKey, size_t> slot;
    slot.reserve(rows.size());
    size_t out = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
        const OutputRow &r = rows[i];
        auto [it, inserted] = slot.try_emplace(RowKey{r.aggregation, r.windowStartMs, r.windowEndMs, r.key}, out);
        if (inserted)
            rows[out++] = r;
        else
            rows[it->second] = r;
    }
    rows.resize(out);
}

} // namespace

struct SinkWriter::Impl {
    std::unique_ptr<ResultStore> store;
    SinkWriterOptions opt;
    std::unique_ptr<DivertBuffer> divert; // null when divertPath is empty
    CircuitBreaker breaker;               // writer thread only
    std::mt19937_64 jitter{std::random_device{}()};

    // Metrics
    Counter &rowsTotal;
    Counter &batchesTotal;
    Histogram &batchRows;
    Histogram &latencyUs;
    Counter &retries;
    Counter &transientErrors;
    Counter &rejectedErrors;
    Counter &rejectedRows;
    Counter &replayedRows;
    Counter &skippedEpochs;
    Gauge &circuitGauge;
    Gauge &pendingGauge;
    Gauge &divertedGauge;
    Gauge &committedEpochGauge;
    Gauge &lastWindowEndGauge;
    Gauge &heldGauge;
    Gauge &lastWriteFailedGauge;

    mutable std::mutex mutex;
    std::condition_variable wake;     // the writer thread waits on it
    std::condition_variable progress; // callers of writeRows/flush wait on it
    // Guarded by mutex:
    std::map<uint64_t, std::vector<OutputRow>> staged; // exactly-once: rows of epochs not committed yet
    size_t stagedRows = 0;
    std::deque<OutputRow> ready;                       // writable rows, in arrival order
    std::optional<uint64_t> readyEpoch;                // exactly-once: newest committed epoch not yet written
    std::vector<DeadLetter> deadLetters;
    std::vector<LateEvent> lateEvents;
    std::optional<SteadyClock::time_point> oldestWaiting; // when the oldest unwritten record arrived
    size_t inFlightRows = 0;
    bool inFlight = false;
    uint64_t flushRequests = 0; // write now, whatever the batch size
    bool held = false;
    bool divertEnabled = false;
    bool stopping = false;
    bool abandoned = false;  // abandon(): give up on what the database has not taken
    bool writerDone = false; // the writer thread has left its loop
    size_t notWrittenRows = 0; // rows given up on (stopping with the database down, no divert buffer)
    std::vector<std::promise<Status>> drainWaiters;
    // Where the database stands (SinkStatus::upToDateMs): marks from noteEpochCovers(), applied
    // once every row before them is stored. Exactly-once: when their epoch is committed.
    // At-least-once: when the rows handed over before the mark are written and none waits in the
    // divert buffer (it is replayed in order, ahead of newer rows).
    struct CoverMark {
        uint64_t epoch = 0;
        uint64_t rowsBefore = 0;
        int64_t windowsEndingByMs = 0;
    };
    std::deque<CoverMark> coverMarks;
    uint64_t rowsAccepted = 0; // at-least-once: rows handed to writeRows()
    uint64_t rowsSettled = 0;  // at-least-once: of those, rows written or diverted (in order)
    // At-least-once: a batch went back to the queue (coalesced) or was given up, so counted rows
    // no longer line up with the marks: the claim stays where it is for the rest of the run.
    bool coverMarksSuspended = false;
    SinkStatus shown; // circuit, committed epoch, counts, last error: refreshed by the writer
    // Epoch numbering (exactly-once). The database's newest committed epoch for this job, in its
    // own numbering: unknown until the database is first reached (it may be down at start).
    std::optional<uint64_t> storeEpoch;
    // The epoch the job went on from when it numbered its epochs without the database
    // (continueEpochs() before it was reached).
    std::optional<uint64_t> runBase;
    // Added to this run's epochs in the database: the commits found there when it was first
    // reached went past runBase, and a commit not newer than them would count as a replay.
    uint64_t epochShift = 0;
    // Batches an earlier run left in the divert buffer, replayed first. Their epochs are in that
    // run's numbering, which need not be this one's (a shift), so they are written as plain
    // upserts: their rows again, no epoch recorded, nothing skipped as a replay.
    uint64_t earlierRunBatches = 0;
    // The writer's own attempts to reach a database it has not reached yet.
    int reachFailures = 0;
    SteadyClock::time_point nextReachAttempt{};
    std::thread thread;

    Impl(std::unique_ptr<ResultStore> s, SinkWriterOptions o, MetricsRegistry &m)
        : store(std::move(s)), opt(std::move(o)),
          breaker(opt.breakerFailures, std::chrono::duration_cast<SteadyClock::duration>(opt.breakerOpen)),
          rowsTotal(m.counter("tally_sink_rows_total", {{"sink", opt.name}}, "Rows written to the database")),
          batchesTotal(m.counter("tally_sink_batches_total", {{"sink", opt.name}}, "Batches (transactions) written")),
          batchRows(m.histogram("tally_sink_batch_rows", {{"sink", opt.name}}, "Rows per written batch")),
          latencyUs(m.histogram("tally_sink_write_latency_us", {{"sink", opt.name}}, "Write latency per batch attempt")),
          retries(m.counter("tally_sink_retries_total", {{"sink", opt.name}}, "Write attempts retried after an error")),
          transientErrors(m.counter("tally_sink_errors_total", {{"sink", opt.name}, {"kind", "transient"}},
                                    "Failed writes by kind")),
          rejectedErrors(m.counter("tally_sink_errors_total", {{"sink", opt.name}, {"kind", "rejected"}},
                                   "Failed writes by kind")),
          rejectedRows(m.counter("tally_sink_rejected_rows_total", {{"sink", opt.name}},
                                 "Rows the database refused for good (kept in rejected_rows)")),
          replayedRows(m.counter("tally_sink_replayed_rows_total", {{"sink", opt.name}},
                                 "Rows replayed from the divert buffer")),
          skippedEpochs(m.counter("tally_sink_replayed_commits_total", {{"sink", opt.name}},
                                  "Epoch commits found already committed (no-ops)")),
          circuitGauge(m.gauge("tally_sink_circuit_state", {{"sink", opt.name}}, "0 closed, 1 open, 2 half-open")),
          pendingGauge(m.gauge("tally_sink_pending_rows", {{"sink", opt.name}}, "Rows waiting in memory")),
          divertedGauge(m.gauge("tally_sink_diverted_rows", {{"sink", opt.name}}, "Rows in the divert buffer")),
          committedEpochGauge(m.gauge("tally_sink_committed_epoch", {{"sink", opt.name}}, "Newest committed epoch")),
          lastWindowEndGauge(m.gauge("tally_sink_last_window_end_ms", {{"sink", opt.name}},
                                     "Newest window end written, since the Unix epoch")),
          heldGauge(m.gauge("tally_sink_held", {{"sink", opt.name}}, "1 while drained and holding writes")),
          lastWriteFailedGauge(m.gauge("tally_sink_last_write_failed", {{"sink", opt.name}},
                                       "1 while the newest write to the database failed (until one succeeds)"))
    {
    }

    size_t pendingRowsLocked() const { return stagedRows + ready.size() + inFlightRows; }
    size_t writableRowsLocked() const { return ready.size() + inFlightRows; }
    bool hasSideRecordsLocked() const { return !deadLetters.empty() || !lateEvents.empty(); }

    // The first record of a new batch starts its wait; the writer may be asleep for longer than
    // the batch interval, so it learns the new deadline now.
    void startWaitingLocked()
    {
        if (oldestWaiting)
            return;
        oldestWaiting = SteadyClock::now();
        wake.notify_one();
    }

    void publishLocked()
    {
        applyCoverMarksLocked();
        pendingGauge.set(static_cast<double>(pendingRowsLocked()));
        heldGauge.set(held ? 1 : 0);
        if (divert)
            divertedGauge.set(static_cast<double>(divert->rowCount()));
    }

    void applyCoverMarksLocked()
    {
        const bool exactlyOnce = opt.delivery == Delivery::ExactlyOnce;
        if (!exactlyOnce && (coverMarksSuspended || (divert && divert->batchCount() > 0)))
            return;
        while (!coverMarks.empty()) {
            const CoverMark &m = coverMarks.front();
            if (exactlyOnce ? m.epoch > shown.committedEpoch : m.rowsBefore > rowsSettled)
                break;
            shown.upToDateMs = std::max(shown.upToDateMs.value_or(m.windowsEndingByMs), m.windowsEndingByMs);
            coverMarks.pop_front();
        }
    }

    // Whether the writer has a batch to write now, and when it will have one otherwise.
    bool batchDueLocked(SteadyClock::time_point now, SteadyClock::time_point &deadline) const
    {
        if (held)
            return false;
        if (opt.delivery == Delivery::ExactlyOnce && readyEpoch)
            return true; // a checkpoint completed: its epoch commits now
        const bool anything = !ready.empty() || hasSideRecordsLocked();
        if (!anything)
            return false;
        if (ready.size() >= opt.batchRows || flushRequests > 0 || stopping || !drainWaiters.empty())
            return true;
        const auto due = oldestWaiting.value_or(now) + opt.batchInterval;
        if (now >= due)
            return true;
        deadline = std::min(deadline, due);
        return false;
    }

    Batch takeBatchLocked()
    {
        Batch b;
        size_t take = ready.size();
        if (opt.delivery == Delivery::AtLeastOnce)
            take = std::min(take, opt.batchRows);
        else
            b.epoch = std::exchange(readyEpoch, std::nullopt); // whole epochs: every ready row
        b.rows.assign(ready.begin(), ready.begin() + static_cast<ptrdiff_t>(take));
        ready.erase(ready.begin(), ready.begin() + static_cast<ptrdiff_t>(take));
        coalesce(b.rows);
        b.deadLetters = std::move(deadLetters);
        b.lateEvents = std::move(lateEvents);
        deadLetters.clear();
        lateEvents.clear();
        b.pendingRows = take;
        inFlightRows = take;
        inFlight = true;
        if (ready.empty())
            oldestWaiting.reset(); // rows left behind keep the older time: they are due sooner, not later
        return b;
    }

    // A batch neither written nor diverted goes back to the front of the queue, to be tried again
    // in order (its side records are back in memory already).
    void putBackLocked(Batch &b)
    {
        ready.insert(ready.begin(), b.rows.begin(), b.rows.end());
        if (b.epoch && (!readyEpoch || *readyEpoch < *b.epoch))
            readyEpoch = b.epoch;
        if (!ready.empty())
            startWaitingLocked();
        coverMarksSuspended = true;
    }

    // Puts a batch's side records back (its rows went to the divert buffer).
    void returnSideRecordsLocked(Batch &b)
    {
        deadLetters.insert(deadLetters.begin(), std::make_move_iterator(b.deadLetters.begin()),
                           std::make_move_iterator(b.deadLetters.end()));
        lateEvents.insert(lateEvents.begin(), std::make_move_iterator(b.lateEvents.begin()),
                          std::make_move_iterator(b.lateEvents.end()));
        if (hasSideRecordsLocked())
            startWaitingLocked();
    }

    void noteError(const Status &s, int attempt)
    {
        {
            std::lock_guard lock(mutex);
            shown.lastError = s.toString();
            lastWriteFailedGauge.set(1);
        }
        if (attempt == 0 || attempt % 10 == 0)
            fprintf(stderr, "tally: %s: write failed (attempt %d), will retry: %s\n", store->describe().c_str(),
                    attempt + 1, s.toString().c_str());
    }

    // Splits `rows` until every refused row stands alone; probes roll back, so nothing is written.
    Status isolateRefused(std::span<const OutputRow> rows, std::vector<OutputRow> &accepted,
                          std::vector<RejectedRow> &refused)
    {
        StoreBatch probe;
        probe.rows = rows;
        probe.probe = true;
        Result<WriteOutcome> r = store->write(probe);
        if (r) {
            accepted.insert(accepted.end(), rows.begin(), rows.end());
            return Status::ok();
        }
        if (!isPermanentStoreError(r.status()))
            return r.status();
        if (rows.size() == 1) {
            refused.push_back({rows[0], r.status().message()});
            return Status::ok();
        }
        const size_t half = rows.size() / 2;
        if (Status s = isolateRefused(rows.first(half), accepted, refused); !s.isOk())
            return s;
        return isolateRefused(rows.subspan(half), accepted, refused);
    }

    // Reads the database's committed epoch the first time it answers, and decides how this
    // run's epochs are stored (epochShift). Writer thread, lock not held.
    Status ensureReached()
    {
        {
            std::lock_guard lock(mutex);
            if (storeEpoch)
                return Status::ok();
        }
        auto epoch = store->committedEpoch();
        if (!epoch)
            return epoch.status();
        std::lock_guard lock(mutex);
        learnStoreEpochLocked(*epoch);
        if (reachFailures > 0)
            fprintf(stderr, "tally: %s: reached after %d failed attempts\n", store->describe().c_str(), reachFailures);
        return Status::ok();
    }

    void learnStoreEpochLocked(uint64_t epoch)
    {
        storeEpoch = epoch;
        if (runBase && epoch > *runBase) {
            epochShift = epoch - *runBase;
            fprintf(stderr,
                    "tally: %s: the database has commits up to epoch %llu, past epoch %llu this run went on from: "
                    "its epochs are stored %llu higher\n",
                    store->describe().c_str(), static_cast<unsigned long long>(epoch),
                    static_cast<unsigned long long>(*runBase), static_cast<unsigned long long>(epochShift));
        }
        shown.committedEpoch = epoch - epochShift;
        committedEpochGauge.set(static_cast<double>(shown.committedEpoch));
    }

    // One attempt to reach a database not reached yet, before any batch needs it, so that an
    // outage at start shows (circuit, last error) like one later on.
    void reach()
    {
        const auto now = SteadyClock::now();
        setCircuit(breaker.state());
        Status s = ensureReached();
        if (s.isOk()) {
            breaker.onSuccess();
            setCircuit(breaker.state());
            std::lock_guard lock(mutex);
            shown.lastError.clear();
            lastWriteFailedGauge.set(0);
            return;
        }
        transientErrors.add();
        retries.add();
        noteError(s, reachFailures);
        breaker.onFailure(now);
        setCircuit(breaker.state());
        std::lock_guard lock(mutex);
        nextReachAttempt = now + backoff(reachFailures++);
    }

    // One attempt to write `b`. A batch the database refuses for good is split: refused rows move
    // to b.rejected and the rest is written in the same attempt. Returns transient errors only.
    Status attempt(Batch &b)
    {
        if (b.empty())
            return Status::ok();
        if (Status s = ensureReached(); !s.isOk())
            return s;
        StoreBatch view = b.view();
        if (view.epoch) {
            std::lock_guard lock(mutex);
            view.epoch = *view.epoch + epochShift;
        }
        const auto t0 = SteadyClock::now();
        Result<WriteOutcome> r = store->write(view);
        if (!r && isPermanentStoreError(r.status())) {
            rejectedErrors.add();
            std::vector<OutputRow> accepted;
            std::vector<RejectedRow> refused;
            if (Status s = isolateRefused(b.rows, accepted, refused); !s.isOk())
                return s;
            if (refused.empty()) {
                // The rows are fine, so a side record is refused: report them, keep the rows.
                fprintf(stderr, "tally: %s: refused %zu dead letters / %zu late events for good, not stored: %s\n",
                        store->describe().c_str(), b.deadLetters.size(), b.lateEvents.size(),
                        r.status().toString().c_str());
                b.deadLetters.clear();
                b.lateEvents.clear();
            }
            for (const RejectedRow &rr : refused)
                fprintf(stderr, "tally: %s: row refused for good, kept in rejected_rows: %s\n",
                        store->describe().c_str(), rr.error.c_str());
            b.rows = std::move(accepted);
            b.rejected.insert(b.rejected.end(), refused.begin(), refused.end());
            view.rows = b.rows;
            view.rejected = b.rejected;
            r = store->write(view);
        }
        latencyUs.record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t0).count()));
        if (!r)
            return r.status();
        if (*r == WriteOutcome::AlreadyCommitted) { // a replayed epoch: nothing was written
            skippedEpochs.add();
            std::lock_guard lock(mutex);
            shown.lastError.clear(); // the database answered
            lastWriteFailedGauge.set(0);
            return Status::ok();
        }
        rowsTotal.add(b.rows.size());
        rejectedRows.add(b.rejected.size());
        batchesTotal.add();
        batchRows.record(b.rows.size());
        int64_t newestEnd = 0;
        for (const OutputRow &row : b.rows)
            newestEnd = std::max(newestEnd, row.windowEndMs);
        std::lock_guard lock(mutex);
        shown.lastError.clear();
        lastWriteFailedGauge.set(0);
        shown.rowsWritten += b.rows.size();
        shown.rejectedRows += b.rejected.size();
        if (b.epoch && *b.epoch > shown.committedEpoch) {
            shown.committedEpoch = *b.epoch;
            storeEpoch = *view.epoch;
            committedEpochGauge.set(static_cast<double>(*b.epoch));
        }
        if (newestEnd > shown.lastWindowEndMs) {
            shown.lastWindowEndMs = newestEnd;
            lastWindowEndGauge.set(static_cast<double>(newestEnd));
        }
        return Status::ok();
    }

    SteadyClock::duration backoff(int attemptNo)
    {
        const auto base = std::min<int64_t>(opt.retryMax.count(), opt.retryInitial.count() << std::min(attemptNo, 20));
        std::uniform_int_distribution<int64_t> half(0, std::max<int64_t>(0, base / 2));
        return std::chrono::milliseconds(base - base / 2 + half(jitter)); // 50-100% of the step
    }

    void setCircuit(CircuitBreaker::State s)
    {
        circuitGauge.set(s == CircuitBreaker::State::Closed ? 0 : s == CircuitBreaker::State::Open ? 1 : 2);
        std::lock_guard lock(mutex);
        shown.circuit = s;
    }

    // Writes `b` until it is written or diverted. Returns false if it gave up (stopping with the
    // circuit open and no divert buffer); the rows are then reported as not written.
    bool deliver(Batch &b)
    {
        for (int attemptNo = 0;; ++attemptNo) {
            const auto now = SteadyClock::now();
            if (!breaker.allowAttempt(now)) {
                std::unique_lock lock(mutex);
                const bool hasRows = !b.rows.empty() || b.epoch; // side records stay in memory
                if (divert && (divertEnabled || stopping) && hasRows) {
                    if (spool(b, lock))
                        return true;
                    if (stopping)
                        return false;
                    // The buffer's disk refused them too: wait, then try the database again.
                    wake.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; });
                    continue;
                }
                if (stopping)
                    return false;
                wake.wait_until(lock, breaker.reopenAt(), [&] { return divertEnabled || stopping; });
                continue;
            }
            setCircuit(breaker.state());
            Status s = attempt(b);
            if (s.isOk()) {
                breaker.onSuccess();
                setCircuit(breaker.state());
                return true;
            }
            transientErrors.add();
            retries.add();
            noteError(s, attemptNo);
            breaker.onFailure(SteadyClock::now());
            setCircuit(breaker.state());
            if (breaker.state() == CircuitBreaker::State::Open)
                continue; // the top of the loop waits for the trial or diverts
            std::unique_lock lock(mutex);
            wake.wait_for(lock, backoff(attemptNo), [&] { return stopping || (divertEnabled && divert); });
        }
    }

    // Moves a batch's rows to the divert buffer (side records go back to memory). Called with the
    // lock held; releases it around the disk write.
    bool spool(Batch &b, std::unique_lock<std::mutex> &lock)
    {
        returnSideRecordsLocked(b);
        lock.unlock();
        Status s = divert->append(b.epoch, b.rows);
        lock.lock();
        if (!s.isOk()) {
            fprintf(stderr, "tally: %s: cannot divert %zu rows (kept in memory, tried again): %s\n", store->describe().c_str(),
                    b.rows.size(), s.toString().c_str());
            return false;
        }
        return true;
    }

    // Replays the oldest diverted batch if the database takes writes. Returns false when it could
    // not (circuit open or a write failed).
    bool replayOldest()
    {
        if (!breaker.allowAttempt(SteadyClock::now()))
            return false;
        auto oldest = divert->oldest();
        if (!oldest || !*oldest) {
            if (!oldest)
                fprintf(stderr, "tally: %s\n", oldest.status().toString().c_str());
            return false;
        }
        DivertedBatch &d = **oldest;
        Batch b;
        b.rows = std::move(d.rows);
        b.epoch = earlierRunBatches > 0 ? std::nullopt : d.epoch;
        const size_t rows = b.rows.size();
        setCircuit(breaker.state());
        Status s = attempt(b);
        if (!s.isOk()) {
            transientErrors.add();
            retries.add();
            noteError(s, 0);
            breaker.onFailure(SteadyClock::now());
            setCircuit(breaker.state());
            return false;
        }
        breaker.onSuccess();
        setCircuit(breaker.state());
        replayedRows.add(rows);
        if (Status r = divert->remove(d.seq); !r.isOk()) // replaying it again later is harmless
            fprintf(stderr, "tally: %s\n", r.toString().c_str());
        else if (earlierRunBatches > 0)
            --earlierRunBatches;
        return true;
    }

    void finishBatchLocked()
    {
        inFlightRows = 0;
        inFlight = false;
        publishLocked();
        progress.notify_all();
    }

    bool idleLocked() const
    {
        return !inFlight && ready.empty() && !readyEpoch && !hasSideRecordsLocked() &&
               (!divert || divert->batchCount() == 0);
    }

    void run()
    {
        std::unique_lock lock(mutex);
        for (;;) {
            const auto now = SteadyClock::now();
            auto deadline = now + std::chrono::seconds(1);
            if (!storeEpoch && !stopping) {
                if (now >= nextReachAttempt && breaker.allowAttempt(now)) {
                    lock.unlock();
                    reach();
                    lock.lock();
                    publishLocked();
                    continue;
                }
                deadline = std::min(deadline, std::max(nextReachAttempt, breaker.reopenAt()));
            }
            const bool diverted = divert && divert->batchCount() > 0;
            if (!held && diverted) {
                // Order: while older results wait in the buffer, newer ones queue behind them there
                // (side records wait in memory until the buffer is replayed).
                if (batchDueLocked(now, deadline) && (!ready.empty() || readyEpoch)) {
                    Batch b = takeBatchLocked();
                    const bool spooled = spool(b, lock);
                    if (spooled) {
                        rowsSettled += b.pendingRows;
                    } else if (stopping) {
                        notWrittenRows += b.rows.size();
                        coverMarksSuspended = true;
                        fprintf(stderr, "tally: %s: giving up on %zu rows: neither the database nor the divert buffer "
                                        "takes them\n", store->describe().c_str(), b.rows.size());
                    } else {
                        putBackLocked(b);
                    }
                    finishBatchLocked();
                    if (!spooled && !stopping)
                        wake.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; });
                    continue;
                }
                lock.unlock();
                const bool replayed = replayOldest();
                lock.lock();
                publishLocked();
                if (replayed)
                    continue;
                if (stopping)
                    break; // the buffer keeps them for the next run
                deadline = std::min(deadline, std::max(now + std::chrono::milliseconds(10), breaker.reopenAt()));
            } else if (batchDueLocked(now, deadline)) {
                Batch b = takeBatchLocked();
                lock.unlock();
                const bool written = deliver(b);
                lock.lock();
                if (written)
                    rowsSettled += b.pendingRows;
                if (!written && !b.rows.empty()) {
                    // Only when stopping with the database down and nowhere to divert to.
                    notWrittenRows += b.rows.size();
                    coverMarksSuspended = true;
                    fprintf(stderr, "tally: %s: giving up on %zu rows: the database is unreachable and no divert "
                                    "buffer is configured\n", store->describe().c_str(), b.rows.size());
                }
                finishBatchLocked();
                continue;
            }
            if (idleLocked() || held) {
                for (auto &p : drainWaiters) {
                    held = true;
                    p.set_value(Status::ok());
                }
                drainWaiters.clear();
                flushRequests = 0;
                publishLocked();
                progress.notify_all();
            }
            if (stopping && (idleLocked() || (held && !inFlight)))
                break;
            wake.wait_until(lock, deadline);
        }
        if (stagedRows > 0)
            fprintf(stderr, "tally: %s: %zu rows of uncommitted epochs not written\n", store->describe().c_str(),
                    stagedRows);
        writerDone = true;
        progress.notify_all();
    }
};

Result<std::unique_ptr<SinkWriter>> SinkWriter::open(std::unique_ptr<ResultStore> store, SinkWriterOptions options,
                                                     MetricsRegistry &metrics)
{
    if (options.batchRows == 0 || options.maxPendingRows == 0)
        return Status::invalidArgument("sink: batch rows and max pending rows must be positive");
    // A database that does not answer now is reached later by the writer thread; only what a
    // retry cannot fix refuses the start.
    auto epoch = store->committedEpoch();
    if (!epoch && isPermanentStoreError(epoch.status()))
        return epoch.status();
    auto impl = std::make_unique<Impl>(std::move(store), std::move(options), metrics);
    if (epoch)
        impl->learnStoreEpochLocked(*epoch); // no other thread yet
    if (!impl->opt.divertPath.empty()) {
        auto buffer = DivertBuffer::open(impl->opt.divertPath);
        if (!buffer)
            return buffer.status();
        impl->divert = std::move(buffer).value();
        impl->earlierRunBatches = impl->divert->batchCount();
        if (impl->divert->batchCount() > 0)
            fprintf(stderr, "tally: %s: replaying %llu rows left in the divert buffer %s\n",
                    impl->store->describe().c_str(), static_cast<unsigned long long>(impl->divert->rowCount()),
                    impl->opt.divertPath.c_str());
    }
    std::unique_ptr<SinkWriter> writer(new SinkWriter(std::move(impl)));
    writer->d->thread = std::thread([w = writer->d.get()] { w->run(); });
    return writer;
}

SinkWriter::SinkWriter(std::unique_ptr<Impl> impl) : d(std::move(impl)) {}

SinkWriter::~SinkWriter()
{
    {
        std::lock_guard lock(d->mutex);
        d->stopping = true;
        d->held = false;
    }
    d->wake.notify_all();
    d->thread.join();
    std::lock_guard lock(d->mutex);
    for (auto &p : d->drainWaiters)
        p.set_value(Status::aborted("the sink has stopped"));
}

Status SinkWriter::writeRows(std::span<const OutputRow> rows)
{
    if (rows.empty())
        return Status::ok();
    std::unique_lock lock(d->mutex);
    // Backpressure: wait while too many writable rows are in memory. Rows of open epochs do not
    // count toward the wait, since only a commit makes them writable.
    d->progress.wait(lock, [&] { return d->writableRowsLocked() < d->opt.maxPendingRows || d->stopping; });
    if (d->opt.delivery == Delivery::ExactlyOnce) {
        for (const OutputRow &r : rows) {
            d->staged[r.epoch].push_back(r);
            ++d->stagedRows;
        }
    } else {
        d->ready.insert(d->ready.end(), rows.begin(), rows.end());
        d->rowsAccepted += rows.size();
        d->startWaitingLocked();
    }
    d->publishLocked();
    if (d->ready.size() >= d->opt.batchRows)
        d->wake.notify_one();
    return Status::ok();
}

Status SinkWriter::writeDeadLetters(std::span<const DeadLetter> records)
{
    if (records.empty())
        return Status::ok();
    std::lock_guard lock(d->mutex);
    d->deadLetters.insert(d->deadLetters.end(), records.begin(), records.end());
    d->startWaitingLocked();
    return Status::ok();
}

Status SinkWriter::writeLateEvents(std::span<const LateEvent> events)
{
    if (events.empty())
        return Status::ok();
    std::lock_guard lock(d->mutex);
    d->lateEvents.insert(d->lateEvents.end(), events.begin(), events.end());
    d->startWaitingLocked();
    return Status::ok();
}

Status SinkWriter::writeRestoredRows(std::span<const OutputRow> rows)
{
    if (rows.empty())
        return Status::ok();
    std::unique_lock lock(d->mutex);
    d->progress.wait(lock, [&] { return d->writableRowsLocked() < d->opt.maxPendingRows || d->stopping; });
    // Writable at once, without an epoch: ahead of every row of this run, in the order given.
    d->ready.insert(d->ready.end(), rows.begin(), rows.end());
    d->rowsAccepted += rows.size();
    d->startWaitingLocked();
    d->publishLocked();
    d->wake.notify_one();
    return Status::ok();
}

Status SinkWriter::commitEpoch(uint64_t epoch)
{
    if (d->opt.delivery != Delivery::ExactlyOnce)
        return Status::ok();
    std::lock_guard lock(d->mutex);
    auto end = d->staged.upper_bound(epoch);
    for (auto it = d->staged.begin(); it != end; ++it) {
        d->ready.insert(d->ready.end(), it->second.begin(), it->second.end());
        d->stagedRows -= it->second.size();
    }
    d->staged.erase(d->staged.begin(), end);
    if (!d->readyEpoch || epoch > *d->readyEpoch)
        d->readyEpoch = epoch;
    d->wake.notify_one();
    return Status::ok();
}

void SinkWriter::noteEpochCovers(uint64_t epoch, int64_t windowsEndingByMs)
{
    std::lock_guard lock(d->mutex);
    const Impl::CoverMark mark{epoch, d->rowsAccepted, windowsEndingByMs};
    // While the database is down a mark comes every epoch; past a bound the newest replaces the
    // one before it, which only makes that step wait for more rows.
    constexpr size_t kMaxMarks = 4096;
    if (d->coverMarks.size() >= kMaxMarks)
        d->coverMarks.back() = mark;
    else
        d->coverMarks.push_back(mark);
    d->applyCoverMarksLocked();
}

Status SinkWriter::flush()
{
    std::unique_lock lock(d->mutex);
    ++d->flushRequests;
    d->wake.notify_one();
    if (d->abandoned) {
        // Until the writer has diverted or given up on everything, so the count below is final.
        d->progress.wait(lock, [&] { return d->writerDone; });
        const size_t lost = d->notWrittenRows + d->ready.size() + d->stagedRows;
        if (lost == 0)
            return Status::ok();
        return Status::aborted(std::to_string(lost) + " result rows were not written to " + d->store->describe() +
                               (d->shown.lastError.empty() ? std::string() : " (last error: " + d->shown.lastError + ")"));
    }
    d->progress.wait(lock, [&] { return d->idleLocked() || d->held || d->stopping; });
    lock.unlock();
    return d->store->flush();
}

void SinkWriter::abandon()
{
    {
        std::lock_guard lock(d->mutex);
        d->abandoned = true;
        d->stopping = true;
        d->held = false;
    }
    d->wake.notify_all();
    d->progress.notify_all();
}

std::future<Status> SinkWriter::drain()
{
    std::lock_guard lock(d->mutex);
    d->drainWaiters.emplace_back();
    auto f = d->drainWaiters.back().get_future();
    d->held = false; // a drain while held writes what arrived since, then holds again
    d->wake.notify_one();
    return f;
}

Status SinkWriter::resumeWrites()
{
    {
        std::lock_guard lock(d->mutex);
        d->held = false;
        d->publishLocked();
    }
    d->wake.notify_one();
    return Status::ok();
}

Status SinkWriter::setDivert(bool on)
{
    if (on && !d->divert)
        return Status::unimplemented("no divert buffer is configured (output.divert_path)");
    {
        std::lock_guard lock(d->mutex);
        d->divertEnabled = on;
    }
    d->wake.notify_all();
    return Status::ok();
}

uint64_t SinkWriter::committedEpoch() const
{
    std::lock_guard lock(d->mutex);
    return d->shown.committedEpoch;
}

uint64_t SinkWriter::continueEpochs(uint64_t restored)
{
    std::lock_guard lock(d->mutex);
    if (d->storeEpoch)
        return std::max(d->shown.committedEpoch, restored);
    d->runBase = restored;
    return restored;
}

SinkStatus SinkWriter::status() const
{
    std::lock_guard lock(d->mutex);
    SinkStatus s = d->shown;
    s.name = d->opt.name;
    s.retries = d->retries.value();
    s.transientErrors = d->transientErrors.value();
    s.writeLatencyUs = d->latencyUs.snapshot();
    s.held = d->held;
    s.divertEnabled = d->divertEnabled;
    s.pendingRows = d->pendingRowsLocked();
    s.divertedRows = d->divert ? d->divert->rowCount() : 0;
    return s;
}

const SinkWriterOptions &SinkWriter::options() const { return d->opt; }

std::string SinkWriter::describe() const { return d->store->describe(); }

} // namespace tally
