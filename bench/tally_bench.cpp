// tally-bench measures Tally's throughput and memory and prints a table; with --json it also
// writes {"suite": ..., "results": [{"name", "value", "unit"}, ...]}. Figures are meant to be read
// as ratios against the baseline measured in the same run, because the machine is shared.
#include "event/codec.h"
#include "metrics/metrics.h"
#include "runtime/job.h"
#include "source/generator.h"
#include "source/kafka_source.h"

#include <librdkafka/rdkafka.h>
#include "time/clock.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <iterator>
#include <thread>
#include <vector>

using namespace tally;

namespace {

struct BenchResult {
    std::string name;
    double value;
    std::string unit;
};

// Replays batches prepared in memory, so the engine is measured without the cost of making input.
class ReplaySource final : public Source {
public:
    ReplaySource(const std::vector<SourceBatch> &batches, int partitions) : m_batches(batches), m_partitions(partitions) {}
    int partitionCount() const override { return m_partitions; }
    PollStatus poll(SourceBatch &batch, size_t) override
    {
        if (m_next == m_batches.size())
            return PollStatus::End;
        batch = m_batches[m_next++]; // a copy, as a real source fills a fresh batch
        return PollStatus::Data;
    }

private:
    const std::vector<SourceBatch> &m_batches;
    int m_partitions;
    size_t m_next = 0;
};

GeneratorConfig benchGenerator(uint64_t events)
{
    GeneratorConfig g;
    g.seed = 7;
    g.totalEvents = events;
    g.partitions = 8;
    g.eventTimeRate = 100000;
    g.posts = 1000000;
    g.users = 1000000;
    return g;
}

std::vector<SourceBatch> prepare(const GeneratorConfig &g, size_t batchSize)
{
    GeneratorSource source(g);
    std::vector<SourceBatch> batches;
    SourceBatch b;
    for (;;) {
        const auto status = source.poll(b, batchSize);
        if (status == Source::PollStatus::End)
            break;
        if (status == Source::PollStatus::Data)
            batches.push_back(b);
    }
    return batches;
}

uint64_t countRecords(const std::vector<SourceBatch> &batches)
{
    uint64_t n = 0;
    for (const auto &b : batches)
        n += b.size();
    return n;
}

double secondsSince(std::chrono::steady_clock::time_point t0)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time (user + system) of every thread of this process so far, in nanoseconds.
double processCpuNs()
{
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto ns = [](const timeval &t) { return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_usec) * 1e3; };
    return ns(u.ru_utime) + ns(u.ru_stime);
}

struct EngineRun {
    double eventsPerSecond = 0;
    double cpuNsPerEvent = 0;      // all threads: a steadier figure than wall time on a busy machine
    double sourceBackpressure = 0; // share of the run the source waited on full task queues
    double taskBusy = 0;           // mean share of the run the window tasks were working
};

// Runs the whole job (all five aggregations, no sink I/O) over the batches.
EngineRun runEngine(const std::vector<SourceBatch> &batches, int partitions, int parallelism)
{
    JobConfig config;
    config.runtime.parallelism = parallelism;
    config.output.type = OutputConfig::Type::None;
    MetricsRegistry metrics;
    SteadyClock clock;
    Job job(config, std::make_unique<ReplaySource>(batches, partitions), nullptr, metrics, clock);
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = processCpuNs();
    if (Status s = job.start(); !s.isOk()) {
        std::fprintf(stderr, "tally-bench: %s\n", s.toString().c_str());
        std::exit(1);
    }
    (void)job.waitFinished();
    const double seconds = secondsSince(t0);
    const MetricsSnapshot m = metrics.snapshot(0);
    EngineRun run;
    run.eventsPerSecond = static_cast<double>(countRecords(batches)) / seconds;
    run.cpuNsPerEvent = (processCpuNs() - cpu0) / static_cast<double>(countRecords(batches));
    run.sourceBackpressure = m.value("tally_operator_backpressured_nanoseconds_total", {{"operator", "source"}}) / 1e9 / seconds;
    for (int t = 0; t < parallelism; ++t)
        run.taskBusy += m.value("tally_operator_busy_nanoseconds_total", {{"operator", "window-" + std::to_string(t)}}) / 1e9 /
                        seconds / parallelism;
    return run;
}

// The floor under any engine figure: copying the batches out of the source with no processing.
double runReplayOnly(const std::vector<SourceBatch> &batches, int partitions)
{
    ReplaySource source(batches, partitions);
    SourceBatch b;
    uint64_t n = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (source.poll(b, 0) == Source::PollStatus::Data)
        n += b.size();
    return static_cast<double>(n) / secondsSince(t0);
}

int64_t peakRssBytes()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stoll(line.substr(6)) * 1024;
    return 0;
}

// Peak RSS of a process that runs only the engine (P=2, the live generator, no prepared input)
// over `events`: measured in a forked child so the benchmark's own buffers do not count. Call
// before any thread starts.
int64_t enginePeakRssBytes(uint64_t events)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    const pid_t child = fork();
    if (child == 0) {
        close(fds[0]);
        JobConfig config;
        config.source.generator = benchGenerator(events);
        config.output.type = OutputConfig::Type::None;
        MetricsRegistry metrics;
        SteadyClock clock;
        Job job(config, std::make_unique<GeneratorSource>(config.source.generator), nullptr, metrics, clock);
        int64_t rss = -1;
        if (job.start().isOk() && job.waitFinished().isOk())
            rss = peakRssBytes();
        [[maybe_unused]] auto n = write(fds[1], &rss, sizeof rss);
        _exit(0);
    }
    close(fds[1]);
    int64_t rss = -1;
    if (child < 0 || read(fds[0], &rss, sizeof rss) != sizeof rss)
        rss = -1;
    close(fds[0]);
    if (child > 0)
        waitpid(child, nullptr, 0);
    return rss;
}

std::vector<BenchResult> engineSuite(uint64_t events)
{
    std::vector<BenchResult> r;
    const int64_t engineRss = enginePeakRssBytes(events);
    const GeneratorConfig g = benchGenerator(events);
    const std::vector<SourceBatch> decoded = prepare(g, 4096);
    const double replay = runReplayOnly(decoded, g.partitions);
    const EngineRun p1 = runEngine(decoded, g.partitions, 1);
    const EngineRun p2 = runEngine(decoded, g.partitions, 2);
    r.push_back({"engine.baseline.replay.events_per_s", replay, "events/s"});
    r.push_back({"engine.p1.predecoded.events_per_s", p1.eventsPerSecond, "events/s"});
    r.push_back({"engine.p2.predecoded.events_per_s", p2.eventsPerSecond, "events/s"});
    r.push_back({"engine.p2_over_p1.ratio", p2.eventsPerSecond / p1.eventsPerSecond, "ratio"});
    r.push_back({"engine.p1.predecoded.cpu_ns_per_event", p1.cpuNsPerEvent, "ns"});
    r.push_back({"engine.p2.predecoded.cpu_ns_per_event", p2.cpuNsPerEvent, "ns"});
    r.push_back({"engine.p2.predecoded.source_backpressure_ratio", p2.sourceBackpressure, "ratio"});
    r.push_back({"engine.p2.predecoded.task_busy_ratio", p2.taskBusy, "ratio"});

    GeneratorConfig gj = benchGenerator(events / 2);
    gj.serialized = true;
    gj.format = WireFormat::Json;
    const std::vector<SourceBatch> json = prepare(gj, 4096);
    const EngineRun p2json = runEngine(json, gj.partitions, 2);
    r.push_back({"engine.p2.json.events_per_s", p2json.eventsPerSecond, "events/s"});
    r.push_back({"engine.json_over_predecoded.ratio", p2json.eventsPerSecond / p2.eventsPerSecond, "ratio"});
    r.push_back({"engine.p2.json.cpu_ns_per_event", p2json.cpuNsPerEvent, "ns"});
    r.push_back({"engine.p2.json.source_backpressure_ratio", p2json.sourceBackpressure, "ratio"});
    r.push_back({"engine.p2.json.task_busy_ratio", p2json.taskBusy, "ratio"});
    r.push_back({"engine.peak_rss_bytes", static_cast<double>(engineRss), "bytes"});
    r.push_back({"bench.peak_rss_bytes", static_cast<double>(peakRssBytes()), "bytes"}); // with prepared input
    return r;
}

// ---- suite kafka --------------------------------------------------------------------------

// Runs tally-loadgen and returns one number from its JSON report (or -1).
double runLoadgen(const std::vector<std::string> &args, const std::string &field)
{
    const std::string report = "/tmp/tally-bench-loadgen-" + std::to_string(getpid()) + ".json";
    std::string command = TALLY_LOADGEN_PATH;
    for (const auto &a : args)
        command += " '" + a + "'";
    command += " --quiet --report-json " + report + " > /dev/null";
    if (std::system(command.c_str()) != 0)
        return -1;
    std::ifstream in(report);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove(report.c_str());
    const size_t at = text.find("\"" + field + "\":");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + field.size() + 3));
}

// librdkafka alone reading the whole topic, nothing else: the limit of this machine.
double rawConsume(const std::string &bootstrap, const std::string &topic, int partitions, uint64_t events)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", ("bench-raw-" + topic).c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk)
        return -1;
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p)
        rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
    std::vector<rd_kafka_message_t *> messages(4096);
    uint64_t seen = 0;
    uint64_t bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    auto t0 = start; // the clock starts at the first message, as for the job
    while (seen < events && secondsSince(start) < 600) {
        const ssize_t n = rd_kafka_consume_batch_queue(queue, 1000, messages.data(), messages.size());
        if (seen == 0 && n > 0)
            t0 = std::chrono::steady_clock::now();
        for (ssize_t i = 0; i < n; ++i) {
            if (!messages[static_cast<size_t>(i)]->err) {
                ++seen;
                bytes += messages[static_cast<size_t>(i)]->len;
            }
            rd_kafka_message_destroy(messages[static_cast<size_t>(i)]);
        }
    }
    const double rate = static_cast<double>(seen) / secondsSince(t0);
    rd_kafka_queue_destroy(queue);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return seen == events ? rate : -1;
}

// The whole job on the topic: consume, decode, all five aggregations (no sink I/O).
double tallyConsume(const std::string &bootstrap, const std::string &topic, uint64_t events)
{
    JobConfig config;
    config.output.type = OutputConfig::Type::None;
    MetricsRegistry metrics;
    SteadyClock clock;
    KafkaSourceConfig kafka;
    kafka.bootstrapServers = bootstrap;
    kafka.topic = topic;
    kafka.groupId = "bench-tally-" + topic;
    auto source = KafkaSource::open(kafka, metrics);
    if (!source.isOk())
        return -1;
    Job job(config, std::move(source).value(), nullptr, metrics, clock);
    const auto start = std::chrono::steady_clock::now();
    if (!job.start().isOk())
        return -1;
    // The clock starts at the first record: joining the group is a fixed cost, not throughput.
    auto t0 = start;
    while (metrics.snapshot(0).value("tally_source_records_total") == 0 && secondsSince(start) < 60)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    t0 = std::chrono::steady_clock::now();
    while (metrics.snapshot(0).value("tally_source_records_total") < static_cast<double>(events) && secondsSince(start) < 600)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    job.requestStop();
    (void)job.waitFinished();
    return static_cast<double>(events) / secondsSince(t0);
}

std::vector<BenchResult> kafkaSuite(const std::string &bootstrap, uint64_t events)
{
    std::vector<BenchResult> r;
    const std::string stamp = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    const std::string topic = "bench-" + stamp;
    const std::string count = std::to_string(events);
    // One fill at acks=1 is the topic the consumers read; acks=all is measured on a second topic.
    const double acks1 = runLoadgen({"--bootstrap", bootstrap, "--topic", topic, "--create-topic", "--partitions", "4",
                                     "--count", count, "--acks", "1", "--posts", "1000000", "--users", "1000000"},
                                    "acknowledged_per_s");
    const double acksAll = runLoadgen({"--bootstrap", bootstrap, "--topic", topic + "-acksall", "--create-topic",
                                       "--partitions", "4", "--count", count, "--acks", "all", "--posts", "1000000",
                                       "--users", "1000000"},
                                      "acknowledged_per_s");
    const double raw = rawConsume(bootstrap, topic, 4, events);
    const double tally = tallyConsume(bootstrap, topic, events);
    r.push_back({"kafka.produce_acks1.events_per_s", acks1, "events/s"});
    r.push_back({"kafka.produce_acksall.events_per_s", acksAll, "events/s"});
    r.push_back({"kafka.raw_consume.events_per_s", raw, "events/s"});
    r.push_back({"kafka.tally.events_per_s", tally, "events/s"});
    r.push_back({"kafka.ratio", raw > 0 ? tally / raw : -1, "ratio"});
    return r;
}

void printTable(const std::string &suite, const std::vector<BenchResult> &results)
{
    std::printf("%-40s %18s  %s\n", ("suite " + suite).c_str(), "value", "unit");
    for (const auto &r : results)
        std::printf("%-40s %18.3f  %s\n", r.name.c_str(), r.value, r.unit.c_str());
}

bool writeJson(const std::string &path, const std::string &suite, const std::vector<BenchResult> &results)
{
    std::ofstream out(path);
    if (!out)
        return false;
    out << "{\"suite\": \"" << suite << "\", \"results\": [";
    for (size_t i = 0; i < results.size(); ++i) {
        char value[64];
        std::snprintf(value, sizeof value, "%.6g", results[i].value);
        out << (i ? ", " : "") << "{\"name\": \"" << results[i].name << "\", \"value\": " << value
            << ", \"unit\": \"" << results[i].unit << "\"}";
    }
    out << "]}\n";
    return static_cast<bool>(out);
}

int usage()
{
    std::fprintf(stderr, "usage: tally-bench --suite engine [--json FILE] [--events N]\n"
                         "       tally-bench --suite kafka --bootstrap HOST:PORT [--json FILE] [--events N]\n");
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    std::string suite, jsonPath, bootstrap;
    uint64_t events = 8'000'000;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--suite" && i + 1 < argc)
            suite = argv[++i];
        else if (arg == "--json" && i + 1 < argc)
            jsonPath = argv[++i];
        else if (arg == "--bootstrap" && i + 1 < argc)
            bootstrap = argv[++i];
        else if (arg == "--events" && i + 1 < argc)
            events = std::stoull(argv[++i]);
        else
            return usage();
    }
    std::vector<BenchResult> results;
    if (suite == "engine")
        results = engineSuite(events);
    else if (suite == "kafka" && !bootstrap.empty())
        results = kafkaSuite(bootstrap, events == 8'000'000 ? 10'000'000 : events);
    else
        return usage();
    printTable(suite, results);
    if (!jsonPath.empty() && !writeJson(jsonPath, suite, results)) {
        std::fprintf(stderr, "tally-bench: cannot write %s\n", jsonPath.c_str());
        return 1;
    }
    return 0;
}
