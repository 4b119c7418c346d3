// Tests for the job configuration: the option table against the struct and the savepoint
// fingerprint, the shipped default file (generated from the table), every rejection with its line
// and key, `--set` overrides, and a round trip of a configuration with every key changed.
#include "config/job_config.h"
#include "runtime/job_options.h"
#include "checkpoint/savepoint.h"
#include "runtime/config_fingerprint.h"

#include <QtTest>

#include <charconv>
#include <cmath>
#include <functional>
#include <set>
#include <sstream>

using namespace tally;

namespace {

// Every key of JobConfig once, written independently of the option table so that a table entry
// bound to the wrong field is caught: its TOML table, its key, how to compare it and how to write it.
// A key of "" is a table of string settings, written as its own lines.
struct Field {
    const char *table;
    const char *key;
    std::function<bool(const JobConfig &, const JobConfig &)> equal;
    std::function<std::string(const JobConfig &)> toml;
};

std::string tomlValue(int64_t v)
{
    return std::to_string(v);
}
std::string tomlValue(uint64_t v)
{
    return std::to_string(v);
}
std::string tomlValue(int v)
{
    return std::to_string(v);
}
std::string tomlValue(double v)
{
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, end);
    // TOML tells floats from integers by a '.' or an exponent.
    if (s.find_first_of(".e") == std::string::npos)
        s += ".0";
    return s;
}
std::string tomlValue(bool v)
{
    return v ? "true" : "false";
}
std::string tomlValue(const std::string &v)
{
    return "\"" + v + "\"";
}
std::string tomlValue(const std::vector<int64_t> &v)
{
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i)
        s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
}
std::string tomlValue(WatermarkConfig::Strategy s)
{
    return s == WatermarkConfig::Strategy::Fixed ? "\"fixed\"" : "\"adaptive\"";
}
std::string tomlValue(WireFormat f)
{
    return f == WireFormat::Json ? "\"json\"" : "\"protobuf\"";
}
std::string tomlValue(SourceConfig::Type t)
{
    return t == SourceConfig::Type::Generator ? "\"generator\"" : "\"kafka\"";
}
std::string tomlValue(const std::map<std::string, std::string> &m)
{
    std::string lines;
    for (const auto &[k, v] : m)
        lines += "\"" + k + "\" = \"" + v + "\"\n";
    return lines;
}
std::string tomlValue(OutputConfig::Type t)
{
    switch (t) {
    case OutputConfig::Type::Sqlite:
        return "\"sqlite\"";
    case OutputConfig::Type::Postgres:
        return "\"postgres\"";
    case OutputConfig::Type::None:
        break;
    }
    return "\"none\"";
}
std::string tomlValue(StateConfig::Backend b)
{
    return b == StateConfig::Backend::Heap ? "\"heap\"" : "\"rocksdb\"";
}
std::string tomlValue(Delivery d)
{
    return "\"" + std::string(deliveryName(d)) + "\"";
}

#define TALLY_FIELD(table, key, member)                                                                      \
    Field                                                                                                    \
    {                                                                                                        \
        table, key, [](const JobConfig &a, const JobConfig &b) { return a.member == b.member; },             \
            [](const JobConfig &c) { return tomlValue(c.member); }                                           \
    }

const std::vector<Field> &fields()
{
    static const std::vector<Field> all = {
        TALLY_FIELD("source", "type", source.type),
        TALLY_FIELD("source.generator", "seed", source.generator.seed),
        TALLY_FIELD("source.generator", "total_events", source.generator.totalEvents),
        TALLY_FIELD("source.generator", "events_per_second", source.generator.eventsPerSecond),
        TALLY_FIELD("source.generator", "partitions", source.generator.partitions),
        TALLY_FIELD("source.generator", "start_time_ms", source.generator.startTimeMs),
        TALLY_FIELD("source.generator", "event_time_rate", source.generator.eventTimeRate),
        TALLY_FIELD("source.generator", "posts", source.generator.posts),
        TALLY_FIELD("source.generator", "post_skew", source.generator.postSkew),
        TALLY_FIELD("source.generator", "users", source.generator.users),
        TALLY_FIELD("source.generator", "spam_user_fraction", source.generator.spamUserFraction),
        TALLY_FIELD("source.generator", "spam_share", source.generator.spamShare),
        TALLY_FIELD("source.generator", "unlike_fraction", source.generator.unlikeFraction),
        TALLY_FIELD("source.generator", "region_skew", source.generator.regionSkew),
        TALLY_FIELD("source.generator", "v2_fraction", source.generator.v2Fraction),
        TALLY_FIELD("source.generator", "burst_every_ms", source.generator.burstEveryMs),
        TALLY_FIELD("source.generator", "burst_duration_ms", source.generator.burstDurationMs),
        TALLY_FIELD("source.generator", "burst_share", source.generator.burstShare),
        TALLY_FIELD("source.generator", "mean_delay_ms", source.generator.meanDelayMs),
        TALLY_FIELD("source.generator", "late_fraction", source.generator.lateFraction),
        TALLY_FIELD("source.generator", "late_delay_ms", source.generator.lateDelayMs),
        TALLY_FIELD("source.generator", "silent_partitions", source.generator.silentPartitions),
        TALLY_FIELD("source.generator", "serialized", source.generator.serialized),
        TALLY_FIELD("source.generator", "format", source.generator.format),
        TALLY_FIELD("source.generator", "malformed_fraction", source.generator.malformedFraction),
        TALLY_FIELD("source.kafka", "bootstrap", source.kafka.bootstrapServers),
        TALLY_FIELD("source.kafka", "topic", source.kafka.topic),
        TALLY_FIELD("source.kafka", "group", source.kafka.groupId),
        TALLY_FIELD("source.kafka", "dead_letter_topic", source.kafka.deadLetterTopic),
        TALLY_FIELD("source.kafka", "auto_offset_reset", source.kafka.autoOffsetReset),
        TALLY_FIELD("source.kafka", "stop_at", source.kafka.stopAt),
        TALLY_FIELD("source.kafka", "session_timeout_ms", source.kafka.sessionTimeoutMs),
        TALLY_FIELD("source.kafka", "max_poll_interval_ms", source.kafka.maxPollIntervalMs),
        TALLY_FIELD("source.kafka.properties", "", source.kafka.properties),
        TALLY_FIELD("source.limits", "max_record_bytes", source.limits.maxRecordBytes),
        TALLY_FIELD("source.limits", "min_event_time_ms", source.limits.minEventTimeMs),
        TALLY_FIELD("source.limits", "max_event_time_ms", source.limits.maxEventTimeMs),
        TALLY_FIELD("watermark", "strategy", watermark.strategy),
        TALLY_FIELD("watermark", "bound_ms", watermark.boundMs),
        TALLY_FIELD("watermark", "adaptive_quantile", watermark.adaptiveQuantile),
        TALLY_FIELD("watermark", "adaptive_min_ms", watermark.adaptiveMinMs),
        TALLY_FIELD("watermark", "adaptive_max_ms", watermark.adaptiveMaxMs),
        TALLY_FIELD("watermark", "idle_timeout_ms", watermark.idleTimeoutMs),
        TALLY_FIELD("runtime", "parallelism", runtime.parallelism),
        TALLY_FIELD("runtime", "batch_size", runtime.batchSize),
        TALLY_FIELD("runtime", "queue_capacity", runtime.queueCapacity),
        TALLY_FIELD("runtime", "decode_threads", runtime.decodeThreads),
        TALLY_FIELD("runtime", "allowed_lateness_ms", runtime.allowedLatenessMs),
        TALLY_FIELD("runtime", "stop_timeout_ms", runtime.stopTimeoutMs),
        TALLY_FIELD("aggregations.likes_per_post", "window_ms", likesPerPost.windowMs),
        TALLY_FIELD("aggregations.trending_hourly", "window_ms", trendingHourly.windowMs),
        TALLY_FIELD("aggregations.trending_hourly", "top_k", trendingHourly.topK),
        TALLY_FIELD("aggregations.likes_by_region", "windows_ms", likesByRegion.windowsMs),
        TALLY_FIELD("aggregations.like_velocity", "size_ms", likeVelocity.sizeMs),
        TALLY_FIELD("aggregations.like_velocity", "slide_ms", likeVelocity.slideMs),
        TALLY_FIELD("aggregations.like_velocity", "min_per_minute", likeVelocity.minPerMinute),
        TALLY_FIELD("aggregations.like_velocity", "viral_per_minute", likeVelocity.viralPerMinute),
        TALLY_FIELD("aggregations.like_velocity", "viral_acceleration", likeVelocity.viralAcceleration),
        TALLY_FIELD("aggregations.spam_suspects", "size_ms", spamSuspects.sizeMs),
        TALLY_FIELD("aggregations.spam_suspects", "slide_ms", spamSuspects.slideMs),
        TALLY_FIELD("aggregations.spam_suspects", "threshold", spamSuspects.threshold),
        TALLY_FIELD("aggregations.spam_suspects", "min_likes", spamSuspects.minLikes),
        TALLY_FIELD("aggregations.spam_suspects", "baseline_factor", spamSuspects.baselineFactor),
        TALLY_FIELD("aggregations.spam_suspects", "baseline_bucket_ms", spamSuspects.baselineBucketMs),
        TALLY_FIELD("aggregations.spam_suspects", "baseline_buckets", spamSuspects.baselineBuckets),
        TALLY_FIELD("state", "backend", state.backend),
        TALLY_FIELD("state", "dir", state.dir),
        TALLY_FIELD("state", "rocksdb_block_cache_mb", state.rocksdbBlockCacheMb),
        TALLY_FIELD("state", "rocksdb_cache_kb", state.rocksdbCacheKb),
        TALLY_FIELD("checkpoint", "interval_ms", checkpoint.intervalMs),
        TALLY_FIELD("checkpoint", "savepoint_dir", checkpoint.savepointDir),
        TALLY_FIELD("checkpoint", "enabled", checkpoint.enabled),
        TALLY_FIELD("checkpoint", "dir", checkpoint.dir),
        TALLY_FIELD("checkpoint", "retained", checkpoint.retained),
        TALLY_FIELD("checkpoint", "min_pause_ms", checkpoint.minPauseMs),
        TALLY_FIELD("checkpoint", "timeout_ms", checkpoint.timeoutMs),
        TALLY_FIELD("checkpoint", "tolerable_failures", checkpoint.tolerableFailures),
        TALLY_FIELD("checkpoint", "incremental", checkpoint.incremental),
        TALLY_FIELD("checkpoint", "full_every", checkpoint.fullEvery),
        TALLY_FIELD("output", "type", output.type),
        TALLY_FIELD("output", "sqlite_path", output.sqlitePath),
        TALLY_FIELD("output", "postgres_url", output.postgresUrl),
        TALLY_FIELD("output", "postgres_pool_size", output.postgresPoolSize),
        TALLY_FIELD("output", "delivery", output.delivery),
        TALLY_FIELD("output", "batch_rows", output.batchRows),
        TALLY_FIELD("output", "batch_ms", output.batchMs),
        TALLY_FIELD("output", "max_pending_rows", output.maxPendingRows),
        TALLY_FIELD("output", "retry_initial_ms", output.retryInitialMs),
        TALLY_FIELD("output", "retry_max_ms", output.retryMaxMs),
        TALLY_FIELD("output", "breaker_failures", output.breakerFailures),
        TALLY_FIELD("output", "breaker_open_ms", output.breakerOpenMs),
        TALLY_FIELD("output", "divert_path", output.divertPath),
        TALLY_FIELD("output", "job_id", output.jobId),
        TALLY_FIELD("web", "enabled", web.enabled),
        TALLY_FIELD("web", "address", web.address),
        TALLY_FIELD("web", "port", web.port),
        TALLY_FIELD("web", "tokens_file", web.tokensFile),
        TALLY_FIELD("web", "tls_cert", web.tlsCert),
        TALLY_FIELD("web", "tls_key", web.tlsKey),
        TALLY_FIELD("web", "public_origin", web.publicOrigin),
        TALLY_FIELD("web", "max_request_bytes", web.maxRequestBytes),
        TALLY_FIELD("web", "rate_limit_per_second", web.rateLimitPerSecond),
        TALLY_FIELD("web", "rate_limit_burst", web.rateLimitBurst),
        TALLY_FIELD("alerts", "webhook_url", alerts.webhookUrl),
        TALLY_FIELD("alerts", "runbook_url", alerts.runbookUrl),
        TALLY_FIELD("alerts", "stale_after_ms", alerts.staleAfterMs),
    };
    return all;
}

// Dotted keys whose values differ, so a failure names the field instead of "not equal".
std::string dottedKey(const Field &f)
{
    return *f.key ? std::string(f.table) + "." + f.key : std::string(f.table);
}

QStringList differences(const JobConfig &a, const JobConfig &b)
{
    QStringList out;
    for (const Field &f : fields()) {
        if (!f.equal(a, b))
            out << QString::fromStdString(dottedKey(f));
    }
    return out;
}

std::string toToml(const JobConfig &c)
{
    std::string out;
    std::string table;
    for (const Field &f : fields()) {
        if (table != f.table) {
            table = f.table;
            out += "\n[" + table + "]\n";
        }
        out += *f.key ? std::string(f.key) + " = " + f.toml(c) + "\n" : f.toml(c);
    }
    return out;
}

// "table.key" for every assignment in a TOML file written one key per line.
std::set<std::string> assignedKeys(const QString &text)
{
    static const QRegularExpression header(QStringLiteral(R"(^\s*\[([a-z0-9_.]+)\]\s*$)"));
    static const QRegularExpression assignment(QStringLiteral(R"(^\s*([a-z0-9_]+)\s*=)"));
    std::set<std::string> keys;
    QString table;
    for (const QString &line : text.split(QLatin1Char('\n'))) {
        if (auto m = header.match(line); m.hasMatch())
            table = m.captured(1);
        else if (auto m = assignment.match(line); m.hasMatch())
            keys.insert((table + QLatin1Char('.') + m.captured(1)).toStdString());
    }
    return keys;
}

QString shippedConfigPath()
{
    return QFINDTESTDATA("../resources/tally.toml");
}

} // namespace

class TestJobConfig : public QObject {
    Q_OBJECT
private slots:
    void optionTableMatchesTheStruct();
    void everyOptionIsDocumented();
    void shippedConfigIsGenerated();
    void generatedConfigIsTheDefaults();
    void fingerprintFollowsTheTable();
    void shippedConfigIsTheDefaults();
    void shippedConfigSetsEveryKey();
    void emptyConfigIsTheDefaults();
    void defaultsAreValid();
    void roundTripOfEveryKey();
    void badConfigs_data();
    void badConfigs();
    void syntaxErrors_data();
    void syntaxErrors();
    void allProblemsReportedInLineOrder();
    void validateNamesTheKey();
    void integersAcceptedForReals();
    void missingFile();
    void kafkaSource();
    void setOverrides_data();
    void setOverrides();
    void setRefusals_data();
    void setRefusals();
    void setLeavesCrossFieldRulesToValidate();
};

// The table and the independent field list above name the same keys.
void TestJobConfig::optionTableMatchesTheStruct()
{
    std::set<std::string> table, listed;
    for (const ConfigOption *o : configOptions())
        QVERIFY2(table.insert(std::string(o->key())).second, std::string(o->key()).c_str());
    for (const Field &f : fields())
        listed.insert(dottedKey(f));
    QCOMPARE(table, listed);
    for (const ConfigOption *o : configOptions())
        QCOMPARE(findConfigOption(o->key()), o);
    QCOMPARE(findConfigOption("source.kafka.properties.security.protocol"), findConfigOption("source.kafka.properties"));
    QCOMPARE(findConfigOption("runtime.parallelism.x"), nullptr);
    QCOMPARE(findConfigOption("runtime"), nullptr);
}

void TestJobConfig::everyOptionIsDocumented()
{
    for (const ConfigOption *o : configOptions()) {
        const std::string key(o->key());
        QVERIFY2(!o->doc().empty(), key.c_str());
        if (key.ends_with("_ms"))
            QVERIFY2(o->unit().starts_with("ms"), key.c_str());
        if (o->type() == ConfigOption::Type::Choice)
            QVERIFY2(o->choices().size() >= 2, key.c_str());
    }
}

void TestJobConfig::shippedConfigIsGenerated()
{
    QFile file(shippedConfigPath());
    QVERIFY2(file.open(QIODevice::ReadOnly), "resources/tally.toml not found");
    const QString shipped = QString::fromUtf8(file.readAll());
    const QString generated = QString::fromStdString(writeConfigToml());
    if (shipped == generated)
        return;
    const QStringList a = shipped.split(QLatin1Char('\n')), b = generated.split(QLatin1Char('\n'));
    qsizetype line = 0;
    while (line < a.size() && line < b.size() && a[line] == b[line])
        ++line;
    QFAIL(qPrintable(QStringLiteral("resources/tally.toml is not what the option table generates (first difference at "
                                    "line %1:\n  file:      %2\n  generated: %3\n). Regenerate it with `cmake --build build "
                                    "--target update_default_config` (or `build/app/tally --print-default-config > "
                                    "resources/tally.toml`).")
                         .arg(line + 1)
                         .arg(line < a.size() ? a[line] : QStringLiteral("(end of file)"),
                              line < b.size() ? b[line] : QStringLiteral("(end of file)"))));
}

void TestJobConfig::generatedConfigIsTheDefaults()
{
    const std::string text = writeConfigToml();
    const Result<JobConfig> parsed = parseJobConfig(text, "generated.toml");
    QVERIFY2(parsed.isOk(), parsed.status().toString().c_str());
    const QStringList diff = differences(*parsed, JobConfig{});
    QVERIFY2(diff.isEmpty(), qPrintable(diff.join(QLatin1String(", "))));
    for (const ConfigOption *o : configOptions())
        QCOMPARE(o->toml(*parsed), o->toml(JobConfig{}));
}

namespace {

// Other valid values of an option (from its value in `base`), set through setConfigOption().
std::vector<JobConfig> variations(const ConfigOption &o, const JobConfig &base)
{
    std::vector<std::string> candidates;
    const std::string now = o.toml(base);
    switch (o.type()) {
    case ConfigOption::Type::Integer: {
        const int64_t v = std::stoll(now);
        candidates = {std::to_string(v + 1), std::to_string(v - 1)};
        break;
    }
    case ConfigOption::Type::Real: {
        // The smallest change there is, and a large one: both must reach the fingerprint.
        const double v = std::stod(now);
        for (const double x : {std::nextafter(v, INFINITY), std::nextafter(v, -INFINITY), v * 2 + 1, v / 2}) {
            char buf[64];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
            candidates.emplace_back(buf, end);
        }
        break;
    }
    case ConfigOption::Type::Boolean:
        candidates = {now == "true" ? "false" : "true"};
        break;
    case ConfigOption::Type::String:
        candidates = {now.substr(1, now.size() - 2) + "x"};
        break;
    case ConfigOption::Type::Choice:
        for (const std::string &c : o.choices())
            if ("\"" + c + "\"" != now)
                candidates.push_back(c);
        break;
    case ConfigOption::Type::IntegerList:
        candidates = {now.substr(1, now.size() - 2) + ", 86400000", "7200000"};
        break;
    case ConfigOption::Type::StringMap:
        candidates = {"client.rack=eu-west-1a"};
        break;
    }
    std::vector<JobConfig> out;
    for (const std::string &value : candidates) {
        JobConfig c = base;
        const std::string key = o.type() == ConfigOption::Type::StringMap
                                    ? std::string(o.key()) + "." + value.substr(0, value.find('='))
                                    : std::string(o.key());
        const std::string text = o.type() == ConfigOption::Type::StringMap ? value.substr(value.find('=') + 1) : value;
        if (setConfigOption(c, key, text).isOk() && o.toml(c) != now)
            out.push_back(c);
    }
    return out;
}

} // namespace

// The table's "shapes state" flag is the one truth about the savepoint fingerprint, which is
// computed below the configuration layer: a change of any flagged option must change it, a
// change of any other must not.
void TestJobConfig::fingerprintFollowsTheTable()
{
    const JobConfig base;
    const std::string fingerprint = configFingerprint(base);
    for (const ConfigOption *o : configOptions()) {
        const std::vector<JobConfig> changed = variations(*o, base);
        QVERIFY2(!changed.empty(), std::string(o->key()).c_str());
        for (const JobConfig &c : changed) {
            const bool differs = configFingerprint(c) != fingerprint;
            if (differs != o->shapesState())
                QFAIL(qPrintable(QStringLiteral("%1 = %2: %3").arg(QString::fromUtf8(o->key()), QString::fromStdString(o->toml(c)),
                                                                 o->shapesState()
                                                                     ? QStringLiteral("shapes the state, but configFingerprint() does not change")
                                                                     : QStringLiteral("changes configFingerprint(), but the table does not say it shapes the state"))));
        }
    }
    // viral_acceleration = 0 is the rule from before the option existed: the fingerprint is the
    // one an older build wrote, so that build's savepoints restore with it.
    JobConfig rateAlone;
    rateAlone.likeVelocity.viralAcceleration = 0;
    QVERIFY(configFingerprint(rateAlone).find("viral_acceleration") == std::string::npos);
    QVERIFY(configFingerprint(base).find("viral_acceleration=3") != std::string::npos);
}

void TestJobConfig::shippedConfigIsTheDefaults()
{
    const QString path = shippedConfigPath();
    QVERIFY2(!path.isEmpty(), "resources/tally.toml not found");
    const Result<JobConfig> loaded = loadJobConfig(path.toStdString());
    QVERIFY2(loaded.isOk(), loaded.status().toString().c_str());
    const QStringList diff = differences(*loaded, JobConfig{});
    QVERIFY2(diff.isEmpty(), qPrintable(diff.join(QLatin1String(", "))));
}

void TestJobConfig::shippedConfigSetsEveryKey()
{
    QFile file(shippedConfigPath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    const std::set<std::string> shipped = assignedKeys(QString::fromUtf8(file.readAll()));
    const std::set<std::string> all = assignedKeys(QString::fromStdString(toToml(JobConfig{})));
    QCOMPARE(all.size(), fields().size() - 1); // source.kafka.properties is empty
    QCOMPARE(shipped, all);
}

void TestJobConfig::emptyConfigIsTheDefaults()
{
    const Result<JobConfig> parsed = parseJobConfig("# nothing set\n");
    QVERIFY2(parsed.isOk(), parsed.status().toString().c_str());
    const QStringList diff = differences(*parsed, JobConfig{});
    QVERIFY2(diff.isEmpty(), qPrintable(diff.join(QLatin1String(", "))));
}

void TestJobConfig::defaultsAreValid()
{
    const Status s = JobConfig{}.validate();
    QVERIFY2(s.isOk(), s.toString().c_str());
}

void TestJobConfig::roundTripOfEveryKey()
{
    JobConfig c;
    GeneratorConfig &g = c.source.generator;
    g.seed = 7;
    g.totalEvents = 1'000'000;
    g.eventsPerSecond = 2500.5;
    g.partitions = 8;
    g.startTimeMs = 1700000000123;
    g.eventTimeRate = 500.25;
    g.posts = 777;
    g.postSkew = 0.8;
    g.users = 4242;
    g.spamUserFraction = 0.01;
    g.spamShare = 0.2;
    g.unlikeFraction = 0.1;
    g.regionSkew = 2.5;
    g.v2Fraction = 1.0;
    g.burstEveryMs = 0;
    g.burstDurationMs = 5000;
    g.burstShare = 0.9;
    g.meanDelayMs = 15.5;
    g.lateFraction = 0.05;
    g.lateDelayMs = 30000;
    g.silentPartitions = 2;
    g.serialized = true;
    g.format = WireFormat::Protobuf;
    g.malformedFraction = 0.125;
    c.source.limits.maxRecordBytes = 65536;
    c.source.limits.minEventTimeMs = 1;
    c.source.limits.maxEventTimeMs = 9'000'000'000'000;
    c.watermark.strategy = WatermarkConfig::Strategy::Adaptive;
    c.watermark.boundMs = 0;
    c.watermark.adaptiveQuantile = 0.5;
    c.watermark.adaptiveMinMs = 10;
    c.watermark.adaptiveMaxMs = 10;
    c.watermark.idleTimeoutMs = 0;
    c.runtime.parallelism = 128;
    c.runtime.batchSize = 1'000'000;
    c.runtime.queueCapacity = 1;
    c.runtime.decodeThreads = 16;
    c.runtime.allowedLatenessMs = 0;
    c.runtime.stopTimeoutMs = 5000;
    c.likesPerPost.windowMs = 30000;
    c.trendingHourly.windowMs = 7200000;
    c.trendingHourly.topK = 1;
    c.likesByRegion.windowsMs = {1000, 86400000, 300000};
    c.likeVelocity.sizeMs = 600000;
    c.likeVelocity.slideMs = 30000;
    c.likeVelocity.minPerMinute = 0.5;
    c.likeVelocity.viralPerMinute = 1e6;
    c.likeVelocity.viralAcceleration = 2.5;
    c.spamSuspects.sizeMs = 60000;
    c.spamSuspects.slideMs = 5000;
    c.spamSuspects.threshold = 1;
    c.spamSuspects.minLikes = 0;
    c.spamSuspects.baselineFactor = 2.5;
    c.spamSuspects.baselineBucketMs = 1;
    c.spamSuspects.baselineBuckets = 60;
    c.state.backend = StateConfig::Backend::RocksDb;
    c.state.dir = "/var/lib/tally/state";
    c.state.rocksdbBlockCacheMb = 256;
    c.state.rocksdbCacheKb = 1000;
    c.checkpoint.intervalMs = 250;
    c.checkpoint.savepointDir = "/var/lib/tally/savepoints";
    c.checkpoint.enabled = true;
    c.checkpoint.dir = "/var/lib/tally/checkpoints";
    c.checkpoint.retained = 10;
    c.checkpoint.minPauseMs = 500;
    c.checkpoint.timeoutMs = 30000;
    c.checkpoint.tolerableFailures = 0;
    c.checkpoint.incremental = false;
    c.checkpoint.fullEvery = 5;
    c.output.type = OutputConfig::Type::Postgres;
    c.output.sqlitePath = "/var/lib/tally/out.db";
    c.output.postgresUrl = "postgresql://tally@db.internal:5432/likes";
    c.output.postgresPoolSize = 2;
    c.output.delivery = Delivery::AtLeastOnce;
    c.output.batchRows = 5000;
    c.output.batchMs = 50;
    c.output.maxPendingRows = 50000;
    c.output.retryInitialMs = 20;
    c.output.retryMaxMs = 60000;
    c.output.breakerFailures = 3;
    c.output.breakerOpenMs = 1000;
    c.output.divertPath = "/var/lib/tally/divert.db";
    c.output.jobId = "likes-eu";
    c.web.enabled = false;
    c.web.address = "0.0.0.0";
    c.web.port = 9443;
    c.web.tokensFile = "/etc/tally/web-tokens";
    c.web.tlsCert = "/etc/tally/cert.pem";
    c.web.tlsKey = "/etc/tally/key.pem";
    c.web.publicOrigin = "https://tally.example.com";
    c.web.maxRequestBytes = 4096;
    c.web.rateLimitPerSecond = 5.5;
    c.web.rateLimitBurst = 20;
    c.alerts.webhookUrl = "https://alerts.example.com/hook";
    c.alerts.staleAfterMs = 0;
    c.alerts.runbookUrl = "https://wiki.example.com/tally/{rule}";

    c.source.type = SourceConfig::Type::Kafka;
    c.source.kafka.bootstrapServers = "broker-1:9092,broker-2:9092";
    c.source.kafka.topic = "likes-eu";
    c.source.kafka.groupId = "tally-eu";
    c.source.kafka.deadLetterTopic = "likes-eu.rejected";
    c.source.kafka.autoOffsetReset = "latest";
    c.source.kafka.stopAt = "end";
    c.source.kafka.sessionTimeoutMs = 45000;
    c.source.kafka.maxPollIntervalMs = 600000;
    c.source.kafka.properties = {{"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-512"}};

    // Every key is off its default.
    QCOMPARE(differences(c, JobConfig{}).size(), qsizetype(fields().size()));
    const Status valid = c.validate();
    QVERIFY2(valid.isOk(), valid.toString().c_str());

    const std::string text = toToml(c);
    const Result<JobConfig> parsed = parseJobConfig(text, "roundtrip.toml");
    QVERIFY2(parsed.isOk(), (parsed.status().toString() + "\n" + text).c_str());
    const QStringList diff = differences(*parsed, c);
    QVERIFY2(diff.isEmpty(), qPrintable(diff.join(QLatin1String(", "))));

    // The table's own writer round-trips too.
    const std::string written = writeConfigToml(c);
    const Result<JobConfig> reread = parseJobConfig(written, "written.toml");
    QVERIFY2(reread.isOk(), (reread.status().toString() + "\n" + written).c_str());
    const QStringList diff2 = differences(*reread, c);
    QVERIFY2(diff2.isEmpty(), qPrintable(diff2.join(QLatin1String(", "))));
}

void TestJobConfig::badConfigs_data()
{
    QTest::addColumn<QString>("toml");
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("reason");

    // Unknown keys and tables.
    QTest::newRow("typo") << "[watermark]\nstrategy = \"fixed\"\nbount_ms = 10\n" << 3 << "watermark.bount_ms"
                          << "unknown key (did you mean 'bound_ms'?)";
    QTest::newRow("unknown, no near miss") << "[runtime]\nflux_capacitor = 1\n" << 2 << "runtime.flux_capacitor"
                                           << "unknown key";
    QTest::newRow("key in the wrong table") << "[runtime]\n\nbound_ms = 1\n" << 3 << "runtime.bound_ms"
                                            << "unknown key (did you mean 'watermark.bound_ms'?)";
    QTest::newRow("unknown table") << "# header\n[watermarks]\nbound_ms = 1\n" << 2 << "watermarks"
                                   << "unknown key (did you mean 'watermark'?)";
    QTest::newRow("unknown nested table") << "[aggregations.likes_per_minute]\nwindow_ms = 1\n" << 1
                                          << "aggregations.likes_per_minute" << "unknown key";
    QTest::newRow("dotted key") << "source.generator.seedz = 1\n" << 1 << "source.generator.seedz"
                                << "unknown key (did you mean 'seed'?)";
    QTest::newRow("table given a value") << "\nwatermark = 5\n" << 2 << "watermark" << "expected table, got integer";

    // Wrong types.
    QTest::newRow("string for integer") << "[runtime]\nparallelism = \"four\"\n" << 2 << "runtime.parallelism"
                                        << "expected integer, got string";
    QTest::newRow("float for integer") << "[runtime]\nbatch_size = 1.5\n" << 2 << "runtime.batch_size"
                                       << "expected integer, got float";
    QTest::newRow("string for number") << "[aggregations.like_velocity]\nviral_per_minute = \"high\"\n" << 2
                                       << "aggregations.like_velocity.viral_per_minute"
                                       << "expected number, got string";
    QTest::newRow("integer for boolean") << "[source.generator]\nserialized = 1\n" << 2 << "source.generator.serialized"
                                         << "expected boolean, got integer";
    QTest::newRow("integer for string") << "[output]\nsqlite_path = 3\n" << 2 << "output.sqlite_path"
                                        << "expected string, got integer";
    QTest::newRow("scalar for array") << "[aggregations.likes_by_region]\nwindows_ms = 60000\n" << 2
                                      << "aggregations.likes_by_region.windows_ms"
                                      << "expected array of integers, got integer";
    QTest::newRow("array element") << "[aggregations.likes_by_region]\nwindows_ms = [\n  60000,\n  \"1h\",\n]\n" << 4
                                   << "aggregations.likes_by_region.windows_ms[1]" << "expected integer, got string";
    QTest::newRow("date for integer") << "[watermark]\nbound_ms = 2026-01-01\n" << 2 << "watermark.bound_ms"
                                      << "expected integer, got date";
    QTest::newRow("table for integer") << "[watermark.bound_ms]\nx = 1\n" << 1 << "watermark.bound_ms"
                                       << "expected integer, got table";

    // Enumerations.
    QTest::newRow("strategy") << "[watermark]\nstrategy = \"adaptve\"\n" << 2 << "watermark.strategy"
                              << "expected one of \"fixed\", \"adaptive\" (got \"adaptve\")";
    QTest::newRow("format") << "[source.generator]\nformat = \"avro\"\n" << 2 << "source.generator.format"
                            << "expected one of \"json\", \"protobuf\" (got \"avro\")";
    QTest::newRow("output type") << "[output]\ntype = \"postgresql\"\n" << 2 << "output.type"
                                 << "expected one of \"sqlite\", \"postgres\", \"none\" (got \"postgresql\")";
    QTest::newRow("delivery") << "[output]\ndelivery = \"exactly-once\"\n" << 2 << "output.delivery"
                              << "expected one of \"exactly_once\", \"at_least_once\" (got \"exactly-once\")";
    QTest::newRow("source type") << "[source]\ntype = \"pulsar\"\n" << 2 << "source.type"
                                 << "expected one of \"generator\", \"kafka\" (got \"pulsar\")";
    QTest::newRow("offset reset") << "[source.kafka]\nauto_offset_reset = \"smallest\"\n" << 2
                                  << "source.kafka.auto_offset_reset"
                                  << "expected one of \"earliest\", \"latest\" (got \"smallest\")";

    // Values that do not fit the field.
    QTest::newRow("negative unsigned") << "[source.generator]\nseed = -1\n" << 2 << "source.generator.seed"
                                       << "must be >= 0 (got -1)";
    QTest::newRow("int overflow") << "[runtime]\nparallelism = 3000000000\n" << 2 << "runtime.parallelism"
                                  << "must be between -2147483648 and 2147483647 (got 3000000000)";
    QTest::newRow("infinite") << "[source.generator]\nevents_per_second = inf\n" << 2
                              << "source.generator.events_per_second" << "must be a finite number (got inf)";
    QTest::newRow("nan") << "[watermark]\nadaptive_quantile = nan\n" << 2 << "watermark.adaptive_quantile"
                         << "must be a finite number";

    // Ranges (JobConfig::validate()).
    QTest::newRow("web port") << "[web]\nport = 70000\n" << 2 << "web.port" << "must be between 0 and 65535 (got 70000)";
    QTest::newRow("web tls key alone") << "[web]\ntls_key = \"key.pem\"\n" << 2 << "web.tls_cert"
                                       << "web.tls_cert and web.tls_key go together";
    QTest::newRow("web origin") << "[web]\npublic_origin = \"tally.example.com\"\n" << 2 << "web.public_origin"
                                << "must start with http:// or https:// (got \"tally.example.com\")";
    QTest::newRow("webhook url") << "[alerts]\nwebhook_url = \"alerts.example.com\"\n" << 2 << "alerts.webhook_url"
                                 << "must start with http:// or https:// (got \"alerts.example.com\")";
    QTest::newRow("stale bound") << "[alerts]\nstale_after_ms = 500\n" << 2 << "alerts.stale_after_ms"
                                 << "must be 0 (off) or at least 1000 (got 500)";
    QTest::newRow("web body limit") << "[web]\nmax_request_bytes = 0\n" << 2 << "web.max_request_bytes"
                                    << "must be between 1 and 16777216 (got 0)";
    QTest::newRow("parallelism 0") << "[runtime]\nparallelism = 0\n" << 2 << "runtime.parallelism"
                                   << "must be between 1 and 128 (got 0)";
    QTest::newRow("parallelism 129") << "[runtime]\nparallelism = 129\n" << 2 << "runtime.parallelism"
                                     << "must be between 1 and 128 (got 129)";
    QTest::newRow("batch size") << "[runtime]\n\n\nbatch_size = 1000001\n" << 4 << "runtime.batch_size"
                                << "must be between 1 and 1000000 (got 1000001)";
    QTest::newRow("queue capacity") << "[runtime]\nqueue_capacity = 0\n" << 2 << "runtime.queue_capacity"
                                    << "must be >= 1 (got 0)";
    QTest::newRow("decode threads") << "[runtime]\ndecode_threads = 0\n" << 2 << "runtime.decode_threads"
                                    << "must be between 1 and 16 (got 0)";
    QTest::newRow("allowed lateness") << "[runtime]\nallowed_lateness_ms = -1\n" << 2 << "runtime.allowed_lateness_ms"
                                      << "must be >= 0 (got -1)";
    QTest::newRow("bound") << "[watermark]\nbound_ms = -5\n" << 2 << "watermark.bound_ms" << "must be >= 0 (got -5)";
    QTest::newRow("quantile 1") << "[watermark]\nadaptive_quantile = 1.0\n" << 2 << "watermark.adaptive_quantile"
                                << "must be > 0 and < 1 (got 1)";
    QTest::newRow("quantile 0") << "[watermark]\nadaptive_quantile = 0\n" << 2 << "watermark.adaptive_quantile"
                                << "must be > 0 and < 1 (got 0)";
    QTest::newRow("adaptive clamp") << "[watermark]\nadaptive_min_ms = 70000\n" << 2 << "watermark.adaptive_min_ms"
                                    << "must not exceed watermark.adaptive_max_ms (60000) (got 70000)";
    QTest::newRow("adaptive clamp, max set")
        << "[watermark]\nadaptive_max_ms = 500\n" << 2 << "watermark.adaptive_min_ms"
        << "must not exceed watermark.adaptive_max_ms (500) (got 1000)";
    QTest::newRow("fraction above 1") << "[source.generator]\nunlike_fraction = 1.5\n" << 2
                                      << "source.generator.unlike_fraction" << "must be between 0 and 1 (got 1.5)";
    QTest::newRow("fraction below 0") << "[source.generator]\nlate_fraction = -0.1\n" << 2
                                      << "source.generator.late_fraction" << "must be between 0 and 1 (got -0.1)";
    QTest::newRow("skew") << "[source.generator]\npost_skew = 0\n" << 2 << "source.generator.post_skew"
                          << "must be a finite number > 0 (got 0)";
    QTest::newRow("partitions") << "[source.generator]\npartitions = 0\n" << 2 << "source.generator.partitions"
                                << "must be >= 1 (got 0)";
    QTest::newRow("silent partitions") << "[source.generator]\nsilent_partitions = 4\n" << 2
                                       << "source.generator.silent_partitions"
                                       << "must be less than source.generator.partitions (4) (got 4)";
    QTest::newRow("silent partitions, partitions set")
        << "[source.generator]\nsilent_partitions = 1\npartitions = 1\n" << 2 << "source.generator.silent_partitions"
        << "must be less than source.generator.partitions (1) (got 1)";
    QTest::newRow("silent only via partitions") << "[source.generator]\n\npartitions = 0\n" << 3
                                                << "source.generator.partitions" << "must be >= 1 (got 0)";
    QTest::newRow("record limit") << "[source.limits]\nmax_record_bytes = 0\n" << 2 << "source.limits.max_record_bytes"
                                  << "must be >= 1 (got 0)";
    QTest::newRow("event time limits") << "[source.limits]\nmin_event_time_ms = 4102444800000\n" << 2
                                       << "source.limits.min_event_time_ms" << "must be less than";
    QTest::newRow("tumbling window") << "[aggregations.likes_per_post]\nwindow_ms = 0\n" << 2
                                     << "aggregations.likes_per_post.window_ms" << "must be > 0 (got 0)";
    QTest::newRow("trending window") << "[aggregations.trending_hourly]\nwindow_ms = -3600000\n" << 2
                                     << "aggregations.trending_hourly.window_ms" << "must be > 0 (got -3600000)";
    QTest::newRow("top k") << "[aggregations.trending_hourly]\ntop_k = 0\n" << 2 << "aggregations.trending_hourly.top_k"
                           << "must be >= 1 (got 0)";
    QTest::newRow("region window") << "[aggregations.likes_by_region]\nwindows_ms = [\n  60000,\n  0,\n]\n" << 4
                                   << "aggregations.likes_by_region.windows_ms[1]" << "must be > 0 (got 0)";
    QTest::newRow("duplicate region window") << "[aggregations.likes_by_region]\nwindows_ms = [60000, 60000]\n" << 2
                                             << "aggregations.likes_by_region.windows_ms[1]"
                                             << "duplicate window (got 60000)";
    QTest::newRow("no region window") << "[aggregations.likes_by_region]\nwindows_ms = []\n" << 2
                                      << "aggregations.likes_by_region.windows_ms" << "must list at least one window";
    QTest::newRow("too many region windows")
        << "[aggregations.likes_by_region]\nwindows_ms = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]\n" << 2
        << "aggregations.likes_by_region.windows_ms" << "must list at most 16 windows (got 17)";
    QTest::newRow("slide does not divide") << "[aggregations.like_velocity]\nslide_ms = 70000\n" << 2
                                           << "aggregations.like_velocity.slide_ms"
                                           << "must divide aggregations.like_velocity.size_ms (900000) (got 70000)";
    QTest::newRow("unreachable acceleration") << "[aggregations.like_velocity]\nviral_acceleration = 16\n" << 2
                                              << "aggregations.like_velocity.viral_acceleration"
                                              << "must be at most size_ms / slide_ms (15): no post could reach it (got 16)";
    QTest::newRow("size not a multiple of default slide")
        << "[aggregations.spam_suspects]\n# ten and a half seconds\nsize_ms = 10500\n" << 3
        << "aggregations.spam_suspects.slide_ms"
        << "must divide aggregations.spam_suspects.size_ms (10500) (got 1000)";
    QTest::newRow("sliding size") << "[aggregations.spam_suspects]\nsize_ms = 0\n" << 2
                                  << "aggregations.spam_suspects.size_ms" << "must be > 0 (got 0)";
    QTest::newRow("sliding slide") << "[aggregations.like_velocity]\nslide_ms = 0\n" << 2
                                   << "aggregations.like_velocity.slide_ms" << "must be > 0 (got 0)";
    QTest::newRow("baseline bucket") << "[aggregations.spam_suspects]\nbaseline_bucket_ms = 0\n" << 2
                                     << "aggregations.spam_suspects.baseline_bucket_ms" << "must be > 0 (got 0)";
    QTest::newRow("report threshold") << "[aggregations.like_velocity]\nmin_per_minute = 0\n" << 2
                                      << "aggregations.like_velocity.min_per_minute"
                                      << "must be a finite number > 0 (got 0)";
    QTest::newRow("viral threshold") << "[aggregations.like_velocity]\nviral_per_minute = -1\n" << 2
                                     << "aggregations.like_velocity.viral_per_minute"
                                     << "must be a finite number > 0 (got -1)";
    QTest::newRow("postgres url") << "[output]\ntype = \"postgres\"\n" << 2 << "output.postgres_url"
                                  << "must not be empty when output.type is \"postgres\"";
    QTest::newRow("pool size") << "[output]\npostgres_pool_size = 0\n" << 2 << "output.postgres_pool_size"
                               << "must be between 1 and 64 (got 0)";
    QTest::newRow("retry max") << "[output]\nretry_initial_ms = 500\nretry_max_ms = 100\n" << 3 << "output.retry_max_ms"
                               << "must be >= 500 (got 100)";
    QTest::newRow("checkpoint interval") << "[checkpoint]\ninterval_ms = 5\n" << 2 << "checkpoint.interval_ms"
                                         << "must be >= 10 (got 5)";
    QTest::newRow("sqlite path") << "[output]\nsqlite_path = \"\"\n" << 2 << "output.sqlite_path"
                                 << "must not be empty";
    QTest::newRow("inline table") << "[source]\ngenerator = { partitions = 0 }\n" << 2 << "source.generator.partitions"
                                  << "must be >= 1 (got 0)";

    // Kafka.
    QTest::newRow("kafka without bootstrap") << "# no brokers\n[source]\ntype = \"kafka\"\n" << 3 << "source.kafka.bootstrap"
                                             << "must not be empty when source.type is \"kafka\"";
    QTest::newRow("kafka session timeout") << "[source.kafka]\nsession_timeout_ms = 0\n" << 2
                                           << "source.kafka.session_timeout_ms" << "must be between 1 and 3600000 (got 0)";
    QTest::newRow("kafka poll interval") << "[source.kafka]\nmax_poll_interval_ms = 5000\n" << 2
                                         << "source.kafka.max_poll_interval_ms"
                                         << "must be >= source.kafka.session_timeout_ms (10000) (got 5000)";
    QTest::newRow("kafka topic") << "[source.kafka]\ntopic = \"\"\n" << 2 << "source.kafka.topic" << "must not be empty";
    QTest::newRow("kafka property type") << "[source.kafka.properties]\n\"fetch.max.bytes\" = 1048576\n" << 2
                                         << "source.kafka.properties.fetch.max.bytes" << "expected string, got integer";
    QTest::newRow("kafka property of its own option")
        << "[source.kafka.properties]\n\"group.id\" = \"other\"\n" << 2 << "source.kafka.properties.group.id"
        << "set source.kafka.group instead";
    QTest::newRow("kafka offsets are Tally's") << "[source.kafka.properties]\nenable.auto.commit = \"true\"\n" << 2
                                               << "source.kafka.properties.enable.auto.commit"
                                               << "is managed by Tally (offsets are never auto-committed)";
    QTest::newRow("kafka properties not a table") << "[source.kafka]\nproperties = \"x\"\n" << 2
                                                  << "source.kafka.properties" << "expected table, got string";
}

void TestJobConfig::badConfigs()
{
    QFETCH(QString, toml);
    QFETCH(int, line);
    QFETCH(QString, key);
    QFETCH(QString, reason);

    const Result<JobConfig> parsed = parseJobConfig(toml.toStdString(), "bad.toml");
    QVERIFY2(!parsed.isOk(), "accepted");
    QCOMPARE(parsed.status().code(), Status::Code::InvalidArgument);
    const QString message = QString::fromStdString(parsed.status().message());
    const QString expected = QStringLiteral("bad.toml:%1: %2: %3").arg(line).arg(key, reason);
    QVERIFY2(message.startsWith(expected), qPrintable(QStringLiteral("got: %1\nwant: %2").arg(message, expected)));
    QVERIFY2(!message.contains(QLatin1Char('\n')), qPrintable(QStringLiteral("more than one problem: ") + message));
}

void TestJobConfig::syntaxErrors_data()
{
    QTest::addColumn<QString>("toml");
    QTest::addColumn<int>("line");
    QTest::newRow("unclosed header") << "[runtime\nparallelism = 2\n" << 1;
    QTest::newRow("missing value") << "[runtime]\nparallelism =\nbatch_size = 2\n" << 2;
    QTest::newRow("duplicate key") << "[runtime]\nparallelism = 2\nparallelism = 3\n" << 3;
    QTest::newRow("duplicate table") << "[runtime]\n[watermark]\n[runtime]\n" << 3;
    QTest::newRow("unterminated string") << "[output]\n\nsqlite_path = \"tally.db\n" << 3;
}

void TestJobConfig::syntaxErrors()
{
    QFETCH(QString, toml);
    QFETCH(int, line);
    const Result<JobConfig> parsed = parseJobConfig(toml.toStdString(), "syntax.toml");
    QVERIFY(!parsed.isOk());
    QCOMPARE(parsed.status().code(), Status::Code::InvalidArgument);
    const QString message = QString::fromStdString(parsed.status().message());
    QVERIFY2(message.startsWith(QStringLiteral("syntax.toml:%1: ").arg(line)), qPrintable(message));
    QVERIFY2(message.size() > QStringLiteral("syntax.toml:%1: ").arg(line).size() + 5, qPrintable(message));
}

void TestJobConfig::allProblemsReportedInLineOrder()
{
    const Result<JobConfig> parsed = parseJobConfig("[watermark]\nbount_ms = 1\n[runtime]\nparallelism = \"2\"\n"
                                                    "[aggregations.trending_hourly]\ntop_k = 1.5\n",
                                                    "multi.toml");
    QVERIFY(!parsed.isOk());
    const QStringList lines = QString::fromStdString(parsed.status().message()).split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 3);
    QVERIFY2(lines[0].startsWith(QLatin1String("multi.toml:2: watermark.bount_ms: unknown key")), qPrintable(lines[0]));
    QVERIFY2(lines[1].startsWith(QLatin1String("multi.toml:4: runtime.parallelism: expected integer")),
             qPrintable(lines[1]));
    QVERIFY2(lines[2].startsWith(QLatin1String("multi.toml:6: aggregations.trending_hourly.top_k: expected integer")),
             qPrintable(lines[2]));
}

void TestJobConfig::validateNamesTheKey()
{
    JobConfig c;
    c.runtime.parallelism = 0;
    Status s = c.validate();
    QCOMPARE(s.code(), Status::Code::InvalidArgument);
    QCOMPARE(s.message(), std::string("runtime.parallelism: must be between 1 and 128 (got 0)"));

    c = JobConfig{};
    c.spamSuspects.slideMs = 3000;
    s = c.validate();
    QCOMPARE(s.message(), std::string("aggregations.spam_suspects.slide_ms: must divide "
                                      "aggregations.spam_suspects.size_ms (10000) (got 3000)"));

    c = JobConfig{};
    c.source.generator.spamShare = std::numeric_limits<double>::quiet_NaN();
    QVERIFY(QString::fromStdString(c.validate().message()).startsWith(QLatin1String("source.generator.spam_share: ")));

    // A config that is not from a file has no lines: the key alone is named, one problem per line.
    c = JobConfig{};
    c.watermark.adaptiveMinMs = 5;
    c.watermark.adaptiveMaxMs = 4;
    c.runtime.queueCapacity = 0;
    s = c.validate();
    QCOMPARE(s.message(), std::string("watermark.adaptive_min_ms: must not exceed watermark.adaptive_max_ms (4) "
                                      "(got 5)\nruntime.queue_capacity: must be >= 1 (got 0)"));
}

void TestJobConfig::integersAcceptedForReals()
{
    const Result<JobConfig> parsed = parseJobConfig("[aggregations.like_velocity]\nviral_per_minute = 250\n"
                                                    "[source.generator]\nspam_share = 0\n");
    QVERIFY2(parsed.isOk(), parsed.status().toString().c_str());
    QCOMPARE(parsed->likeVelocity.viralPerMinute, 250.0);
    QCOMPARE(parsed->source.generator.spamShare, 0.0);
}

void TestJobConfig::missingFile()
{
    const Result<JobConfig> loaded = loadJobConfig("/nonexistent/tally.toml");
    QVERIFY(!loaded.isOk());
    QCOMPARE(loaded.status().code(), Status::Code::NotFound);
    QVERIFY(QString::fromStdString(loaded.status().message()).contains(QLatin1String("/nonexistent/tally.toml")));
}

void TestJobConfig::kafkaSource()
{
    const Result<JobConfig> parsed = parseJobConfig(R"toml(
[source]
type = "kafka"

[source.kafka]
bootstrap = "broker-1:9092,broker-2:9092"
topic = "likes-eu"
group = "tally-eu"
dead_letter_topic = "likes-eu.rejected"
auto_offset_reset = "latest"
session_timeout_ms = 45000
max_poll_interval_ms = 600000

[source.kafka.properties]
"security.protocol" = "SASL_SSL"
sasl.mechanism = "SCRAM-SHA-512"
"sasl.username" = "tally"
)toml");
    QVERIFY2(parsed.isOk(), parsed.status().toString().c_str());
    const SourceConfig &s = parsed->source;
    QCOMPARE(s.type, SourceConfig::Type::Kafka);
    QCOMPARE(s.kafka.bootstrapServers, std::string("broker-1:9092,broker-2:9092"));
    QCOMPARE(s.kafka.topic, std::string("likes-eu"));
    QCOMPARE(s.kafka.groupId, std::string("tally-eu"));
    QCOMPARE(s.kafka.deadLetterTopic, std::string("likes-eu.rejected"));
    QCOMPARE(s.kafka.autoOffsetReset, std::string("latest"));
    QCOMPARE(s.kafka.sessionTimeoutMs, 45000);
    QCOMPARE(s.kafka.maxPollIntervalMs, 600000);
    // A bare dotted name is a nested table to TOML, and one setting all the same.
    const std::map<std::string, std::string> properties = {
        {"security.protocol", "SASL_SSL"}, {"sasl.mechanism", "SCRAM-SHA-512"}, {"sasl.username", "tally"}};
    QCOMPARE(s.kafka.properties, properties);
}

void TestJobConfig::setOverrides_data()
{
    QTest::addColumn<QString>("assignment");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("toml"); // the option's value afterwards

    QTest::newRow("integer") << "runtime.parallelism=4" << "runtime.parallelism" << "4";
    QTest::newRow("spaces around the key") << " web.port = 0" << "web.port" << "0";
    QTest::newRow("real") << "watermark.adaptive_quantile=0.5" << "watermark.adaptive_quantile" << "0.5";
    QTest::newRow("integer for real") << "source.generator.events_per_second=0" << "source.generator.events_per_second"
                                      << "0.0";
    QTest::newRow("boolean") << "checkpoint.enabled=true" << "checkpoint.enabled" << "true";
    QTest::newRow("bare string") << "output.sqlite_path=/var/lib/tally/out.db" << "output.sqlite_path"
                                 << "\"/var/lib/tally/out.db\"";
    QTest::newRow("quoted string") << "output.job_id=\"likes eu\"" << "output.job_id" << "\"likes eu\"";
    QTest::newRow("empty string") << "output.divert_path=" << "output.divert_path" << "\"\"";
    QTest::newRow("choice") << "state.backend=rocksdb" << "state.backend" << "\"rocksdb\"";
    QTest::newRow("source type") << "source.type=kafka" << "source.type" << "\"kafka\"";
    QTest::newRow("list") << "aggregations.likes_by_region.windows_ms=60000,300000" << "aggregations.likes_by_region.windows_ms"
                          << "[60000, 300000]";
    QTest::newRow("list in brackets") << "aggregations.likes_by_region.windows_ms=[1000]"
                                      << "aggregations.likes_by_region.windows_ms" << "[1000]";
    QTest::newRow("kafka property") << "source.kafka.properties.security.protocol=SASL_SSL" << "source.kafka.properties"
                                    << "\"security.protocol\" = \"SASL_SSL\"\n";
}

void TestJobConfig::setOverrides()
{
    QFETCH(QString, assignment);
    QFETCH(QString, key);
    QFETCH(QString, toml);
    JobConfig c;
    const Status s = applyConfigOverride(c, assignment.toStdString());
    QVERIFY2(s.isOk(), s.toString().c_str());
    const ConfigOption *o = findConfigOption(key.toStdString());
    QVERIFY(o);
    QCOMPARE(QString::fromStdString(o->toml(c)), toml);
    // Nothing else moved.
    QStringList diff = differences(c, JobConfig{});
    diff.removeAll(key);
    QVERIFY2(diff.isEmpty(), qPrintable(diff.join(QLatin1String(", "))));
}

void TestJobConfig::setRefusals_data()
{
    QTest::addColumn<QString>("assignment");
    QTest::addColumn<QString>("message");

    QTest::newRow("out of range") << "runtime.parallelism=0" << "runtime.parallelism: must be between 1 and 128 (got 0)";
    QTest::newRow("not a number") << "runtime.parallelism=four" << "runtime.parallelism: expected integer (got \"four\")";
    QTest::newRow("float for integer") << "runtime.parallelism=1.5" << "runtime.parallelism: expected integer, got float";
    QTest::newRow("does not fit") << "runtime.parallelism=3000000000"
                                  << "runtime.parallelism: must be between -2147483648 and 2147483647 (got 3000000000)";
    QTest::newRow("negative unsigned") << "source.generator.seed=-1" << "source.generator.seed: must be >= 0 (got -1)";
    QTest::newRow("fraction") << "source.generator.unlike_fraction=2"
                              << "source.generator.unlike_fraction: must be between 0 and 1 (got 2)";
    QTest::newRow("infinite") << "source.generator.events_per_second=inf"
                              << "source.generator.events_per_second: must be a finite number (got inf)";
    QTest::newRow("boolean") << "checkpoint.enabled=yes" << "checkpoint.enabled: expected boolean (got \"yes\")";
    QTest::newRow("choice") << "state.backend=lmdb" << "state.backend: expected one of \"heap\", \"rocksdb\" (got \"lmdb\")";
    QTest::newRow("not empty") << "state.dir=" << "state.dir: must not be empty";
    QTest::newRow("list element") << "aggregations.likes_by_region.windows_ms=60000,0"
                                  << "aggregations.likes_by_region.windows_ms[1]: must be > 0 (got 0)";
    QTest::newRow("list syntax") << "aggregations.likes_by_region.windows_ms=60000,1h"
                                 << "aggregations.likes_by_region.windows_ms: expected array of integers (got \"60000,1h\")";
    QTest::newRow("unknown key") << "runtime.paralelism=4" << "runtime.paralelism: unknown key (did you mean 'parallelism'?)";
    QTest::newRow("key in the wrong table") << "runtime.bound_ms=4"
                                            << "runtime.bound_ms: unknown key (did you mean 'watermark.bound_ms'?)";
    QTest::newRow("table") << "runtime=4" << "runtime: expected table, got integer";
    QTest::newRow("no value") << "runtime.parallelism" << "expected KEY=VALUE (got \"runtime.parallelism\")";
    QTest::newRow("no key") << "=4" << "expected KEY=VALUE, the key is missing";
    QTest::newRow("second line") << "runtime.parallelism=4\nweb.port=1" << "runtime.parallelism: expected integer (got";
    QTest::newRow("whole property table") << "source.kafka.properties=x" << "source.kafka.properties: name one setting";
}

void TestJobConfig::setRefusals()
{
    QFETCH(QString, assignment);
    QFETCH(QString, message);
    JobConfig c;
    c.runtime.parallelism = 3;
    const JobConfig before = c;
    const Status s = applyConfigOverride(c, assignment.toStdString());
    QVERIFY2(!s.isOk(), "accepted");
    QCOMPARE(s.code(), Status::Code::InvalidArgument);
    QVERIFY2(QString::fromStdString(s.message()).startsWith(message),
             qPrintable(QStringLiteral("got: %1\nwant: %2").arg(QString::fromStdString(s.message()), message)));
    const QStringList diff = differences(c, before);
    QVERIFY2(diff.isEmpty(), qPrintable(QStringLiteral("a refused override changed ") + diff.join(QLatin1String(", "))));
}

void TestJobConfig::setLeavesCrossFieldRulesToValidate()
{
    // One override may break a rule the next one restores.
    JobConfig c;
    QVERIFY(applyConfigOverride(c, "aggregations.like_velocity.slide_ms=70000").isOk());
    QCOMPARE(c.validate().message(), std::string("aggregations.like_velocity.slide_ms: must divide "
                                                 "aggregations.like_velocity.size_ms (900000) (got 70000)"));
    QVERIFY(applyConfigOverride(c, "aggregations.like_velocity.size_ms=700000").isOk());
    QVERIFY(c.validate().isOk());

    QVERIFY(applyConfigOverride(c, "source.type=kafka").isOk());
    QCOMPARE(c.validate().message(), std::string("source.kafka.bootstrap: must not be empty when source.type is \"kafka\""));
    QVERIFY(applyConfigOverride(c, "source.kafka.bootstrap=127.0.0.1:9092").isOk());
    QVERIFY(c.validate().isOk());

    // Properties accumulate.
    QVERIFY(applyConfigOverride(c, "source.kafka.properties.security.protocol=SASL_SSL").isOk());
    QVERIFY(applyConfigOverride(c, "source.kafka.properties.sasl.mechanism=PLAIN").isOk());
    QCOMPARE(c.source.kafka.properties.size(), size_t(2));
}

QTEST_GUILESS_MAIN(TestJobConfig)
#include "tst_job_config.moc"
