// Reading a sink's window results back for comparison with the oracle, and running a job from the
// generator into a sink while recording what it saw.
#pragma once

#include "config/job_config.h"
#include "metrics/metrics.h"
#include "runtime/job.h"
#include "sink/output.h"
#include "support/oracle.h"
#include "time/clock.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tally::test {

// window_results of a SQLite file or a PostgreSQL database as a ResultTable.
ResultTable readSqliteResults(const std::string &path);
ResultTable readPostgresResults(const std::string &url);
// Any single-number query ("SELECT count(*) FROM rejected_rows") against either store.
int64_t sqliteInteger(const std::string &path, const std::string &sql);
int64_t postgresInteger(const std::string &url, const std::string &sql);

// A job on the generator with test windows (deterministic, a minute of event time); the oracle
// of its arrivals is what the sink must hold at the end.
JobConfig sinkTestConfig(uint64_t seed, uint64_t events);

struct SinkRun {
    std::vector<Arrival> arrivals;
    OracleResult oracle;
};

// Runs the job into `sink` to the end. `whileRunning` (optional) is called from the test thread
// once the job has started, with the job; the run waits for it before waiting for the end.
SinkRun runIntoSink(const JobConfig &config, std::unique_ptr<OutputSink> sink, MetricsRegistry &metrics,
                    const std::function<void(Job &)> &whileRunning = {});

// A likes_per_post row of a one-minute window starting at `start`.
OutputRow likesPerPostRow(uint64_t key, int64_t value, uint64_t epoch = 0, int64_t start = 0);
// The table a database holds after applying `rows` as upserts and deletes, in order.
ResultTable tableOf(const std::vector<OutputRow> &rows);

// Ends the job when a check inside a running-job callback returns early.
struct StopJobOnExit {
    Job &job;
    ~StopJobOnExit() { job.requestStop(); }
};

// Forwards everything to an inner sink and applies the rows it forwards to `recorded` (owned by
// the test, so it outlives the job), so a test knows what the job handed to the sink so far.
class RecordingSink final : public OutputSink {
public:
    RecordingSink(std::unique_ptr<OutputSink> inner, MemorySink &recorded)
        : m_inner(std::move(inner)), m_recorded(recorded)
    {
    }
    Status writeRows(std::span<const OutputRow> rows) override;
    Status writeDeadLetters(std::span<const DeadLetter> records) override { return m_inner->writeDeadLetters(records); }
    Status writeLateEvents(std::span<const LateEvent> events) override { return m_inner->writeLateEvents(events); }
    Status flush() override { return m_inner->flush(); }
    Status commitEpoch(uint64_t epoch) override { return m_inner->commitEpoch(epoch); }
    void noteEpochCovers(uint64_t epoch, int64_t windowsEndingByMs) override
    {
        m_inner->noteEpochCovers(epoch, windowsEndingByMs);
    }
    uint64_t committedEpoch() const override { return m_inner->committedEpoch(); }
    uint64_t continueEpochs(uint64_t restored) override { return m_inner->continueEpochs(restored); }
    Status writeRestoredRows(std::span<const OutputRow> rows) override;
    std::future<Status> drain() override { return m_inner->drain(); }
    Status resumeWrites() override { return m_inner->resumeWrites(); }
    Status setDivert(bool on) override { return m_inner->setDivert(on); }

private:
    std::unique_ptr<OutputSink> m_inner;
    MemorySink &m_recorded;
};

} // namespace tally::test
