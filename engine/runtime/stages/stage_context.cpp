#include "runtime/stages/stage_context.h"

#include <cassert>

namespace tally {

OperatorTimes::OperatorTimes(MetricsRegistry &m, OperatorKind k, int i, bool numbered)
    : name(operatorKindName(k)), kind(k), index(i)
{
    if (numbered) // appended, not `"-" + to_string(i)`: GCC 12 warns (-Wrestrict) on that falsely
        name.append(1, '-').append(std::to_string(i));
    const Labels l{{"operator", name}};
    busyNs = &m.counter("tally_operator_busy_nanoseconds_total", l, "Time the operator spent working");
    idleNs = &m.counter("tally_operator_idle_nanoseconds_total", l, "Time the operator waited for input");
    backpressuredNs = &m.counter("tally_operator_backpressured_nanoseconds_total", l,
                                 "Time the operator was blocked by a full downstream queue");
    recordsIn = &m.counter("tally_operator_records_in_total", l,
                           "Records the operator took: the source's polled records, the decoders' records, ingest's "
                           "events, the window tasks' pane updates, the output stage's rows and side records");
    cpuNs = &m.counter("tally_operator_cpu_nanoseconds_total", l, "CPU time of the operator's thread");
    recordsOut = &m.counter("tally_operator_records_out_total", l,
                            "Records the operator handed on: records, decoded events (dead letters aside), pane "
                            "updates, result rows, and what the output stage gave the sink");
}

JobMetrics::JobMetrics(MetricsRegistry &m, const JobConfig &config, int partitions)
    : recordsIn(m.counter("tally_source_records_total", {}, "Records polled from the source")),
      eventsIn(m.counter("tally_events_total", {}, "Records decoded into like events")),
      rowsOut(m.counter("tally_output_rows_total", {}, "Window result rows written")),
      windowsFired(m.counter("tally_windows_fired_total", {}, "Distinct windows that produced results")),
      deadLetters(m.counter("tally_dead_letters_total", {}, "Records sent to the dead-letter output")),
      late(m.counter("tally_late_events_total", {}, "Events that re-fired at least one window (within allowed lateness)")),
      dropped(m.counter("tally_dropped_events_total", {},
                        "Events later than the allowed lateness for at least one window: the rows of late_events")),
      watermark(m.gauge("tally_watermark_ms", {}, "Job watermark: the event time up to which results are complete, since the Unix epoch")),
      skew(m.gauge("tally_watermark_skew_ms", {}, "Largest minus smallest partition watermark")),
      bound(m.gauge("tally_watermark_bound_ms", {}, "Current out-of-orderness bound")),
      sinkErrors(m.counter("tally_output_write_errors_total", {}, "Failed sink calls (retried by the output stage)"))
{
    for (size_t r = 0; r < kRejectReasonCount; ++r)
        rejectedByReason.push_back(&m.counter("tally_rejected_records_total",
                                              {{"reason", std::string(rejectReasonName(static_cast<RejectReason>(r)))}},
                                              "Records rejected by decoding, by reason"));
    for (const auto &w : aggregationWindows(config)) {
        const Labels l{{"aggregation", std::string(aggregationName(w.aggregation))}, {"window_ms", std::to_string(w.spec.sizeMs)}};
        lateByWindow.push_back(&m.counter("tally_window_late_events_total", l, "Late events per window (an event late for two windows counts in both)"));
        droppedByWindow.push_back(&m.counter("tally_window_dropped_events_total", l, "Dropped late events per window (an event dropped by two windows counts in both)"));
    }
    for (int p = 0; p < partitions; ++p) {
        const Labels l{{"partition", std::to_string(p)}};
        partitionRecords.push_back(&m.counter("tally_partition_records_total", l, "Records polled per partition"));
        partitionWatermark.push_back(&m.gauge("tally_partition_watermark_ms", l, "Watermark per partition, since the Unix epoch"));
        partitionIdle.push_back(&m.gauge("tally_partition_idle", l, "1 if the partition is idle"));
    }
    for (size_t a = 0; a < kAggregationCount; ++a)
        rowsByAggregation.push_back(&m.counter("tally_aggregation_rows_total",
                                               {{"aggregation", std::string(aggregationName(static_cast<Aggregation>(a)))}},
                                               "Result rows per aggregation"));
    for (int t = 0; t < config.runtime.parallelism; ++t)
        stateEntries.push_back(&m.gauge("tally_state_entries", {{"task", std::to_string(t)}}, "Keyed state entries per task"));
}

StageContext::StageContext(JobConfig cfg, std::unique_ptr<Source> src, std::unique_ptr<OutputSink> snk,
                           MetricsRegistry &m, const Clock &c)
    : config(std::move(cfg)), parallelism(config.runtime.parallelism), source(std::move(src)), sink(std::move(snk)),
      registry(m), clock(c), metrics(m, config, source->partitionCount()),
      outputQueue(static_cast<size_t>(config.runtime.queueCapacity) * static_cast<size_t>(parallelism + 1)),
      coordinator(config.checkpoint, parallelism, m, c, [this](std::string why) {
          fprintf(stderr, "tally: stopping the job: %s\n", why.c_str());
          fail(std::move(why));
          stopRequested = true;
      })
{
    const auto queueCapacity = static_cast<size_t>(config.runtime.queueCapacity);
    for (int i = 0; i < std::max(1, config.runtime.decodeThreads); ++i) {
        decodeQueues.push_back(std::make_unique<BlockingQueue<IngestInput>>(queueCapacity));
        decodedQueues.push_back(std::make_unique<BlockingQueue<IngestInput>>(queueCapacity));
    }
    for (int t = 0; t < parallelism; ++t)
        taskQueues.push_back(std::make_unique<BlockingQueue<TaskBatch>>(queueCapacity));
    operators.push_back(std::make_unique<OperatorTimes>(m, OperatorKind::Source, 0, false));
    for (size_t i = 0; i < decodeQueues.size(); ++i)
        operators.push_back(std::make_unique<OperatorTimes>(m, OperatorKind::Decode, static_cast<int>(i), true));
    operators.push_back(std::make_unique<OperatorTimes>(m, OperatorKind::Ingest, 0, false));
    for (int t = 0; t < parallelism; ++t)
        operators.push_back(std::make_unique<OperatorTimes>(m, OperatorKind::Window, t, true));
    operators.push_back(std::make_unique<OperatorTimes>(m, OperatorKind::Output, 0, false));
}

OperatorTimes &StageContext::operatorTimes(OperatorKind kind, int index)
{
    for (auto &o : operators)
        if (o->kind == kind && o->index == index)
            return *o;
    assert(false && "no such operator");
    return *operators.front();
}

void StageContext::fail(std::string why)
{
    std::lock_guard lock(m_mutex);
    if (m_failure.empty())
        m_failure = std::move(why);
}

std::string StageContext::failure() const
{
    std::lock_guard lock(m_mutex);
    return m_failure;
}

void StageContext::taskRestored()
{
    if (tasksRestoring.fetch_sub(1) != 1)
        return;
    const Savepoint &r = *restored;
    std::string what;
    if (r.files && r.state.recordCount() == 0) {
        size_t tables = 0, cacheParts = 0, cachedCounts = 0;
        uint64_t bytes = 0;
        for (const TaskFiles &task : r.files->tasks) {
            for (const StateFile &f : task.tables)
                ++tables, bytes += f.bytes;
            for (const ChangesExport &part : task.cache)
                ++cacheParts, cachedCounts += part.counts;
        }
        what = std::to_string(tables) + " state files, " + std::to_string(bytes / 1'000'000) + " MB, " +
               std::to_string(cacheParts) + " cache parts of " + std::to_string(cachedCounts) + " counts";
    } else {
        what = std::to_string(r.state.recordCount()) + " state records";
    }
    fprintf(stderr, "tally: restored from %s (epoch %llu, %s, %lld ms)\n", restoredFrom.c_str(),
            static_cast<unsigned long long>(r.epoch), what.c_str(),
            static_cast<long long>((steadyNowNs() - restoreStartedNs) / 1'000'000));
}

} // namespace tally
