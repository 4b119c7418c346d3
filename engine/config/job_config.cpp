// Loading a job configuration: TOML text is bound key by key onto JobConfig (types and
// representability checked here), then JobConfig::validate() checks value ranges and cross-field
// rules; every problem is reported as "<source>:<line>: <dotted.key>: <reason>".
#include "config/job_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <utility>

namespace tally {

namespace {

// ---------------------------------------------------------------------------------------------
// Formatting

std::string num(std::integral auto v)
{
    return std::to_string(v);
}

std::string num(double v)
{
    // Shortest round-trip form, so "0.0005" is reported as written rather than as 0.000500000.
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

std::string got(const std::string &value)
{
    return " (got " + value + ")";
}

// ---------------------------------------------------------------------------------------------
// Validation rules, shared by JobConfig::validate() and the loader (which adds line numbers)

struct Violation {
    std::string key;                  // dotted key, possibly with an [index]
    std::string reason;
    std::vector<std::string> related; // other keys involved, for locating the line
};

class Rules {
public:
    std::vector<Violation> violations;

    void fail(std::string key, std::string reason, std::vector<std::string> related = {})
    {
        violations.push_back({std::move(key), std::move(reason), std::move(related)});
    }

    void positive(const std::string &key, int64_t v)
    {
        if (v <= 0)
            fail(key, "must be > 0" + got(num(v)));
    }
    void atLeast(const std::string &key, int64_t v, int64_t min)
    {
        if (v < min)
            fail(key, "must be >= " + num(min) + got(num(v)));
    }
    void atLeast(const std::string &key, uint64_t v, uint64_t min)
    {
        if (v < min)
            fail(key, "must be >= " + num(min) + got(num(v)));
    }
    void between(const std::string &key, int64_t v, int64_t lo, int64_t hi)
    {
        if (v < lo || v > hi)
            fail(key, "must be between " + num(lo) + " and " + num(hi) + got(num(v)));
    }
    // NaN fails every comparison, so each check is written to reject it.
    void fraction(const std::string &key, double v)
    {
        if (!(v >= 0 && v <= 1))
            fail(key, "must be between 0 and 1" + got(num(v)));
    }
    void positiveReal(const std::string &key, double v)
    {
        if (!(v > 0) || !std::isfinite(v))
            fail(key, "must be a finite number > 0" + got(num(v)));
    }
    void nonNegativeReal(const std::string &key, double v)
    {
        if (!(v >= 0) || !std::isfinite(v))
            fail(key, "must be a finite number >= 0" + got(num(v)));
    }
    void slidingWindow(const std::string &table, int64_t size, int64_t slide)
    {
        positive(table + ".size_ms", size);
        positive(table + ".slide_ms", slide);
        // Panes are slide-long slices and a window is a whole number of panes.
        if (size > 0 && slide > 0 && size % slide != 0)
            fail(table + ".slide_ms", "must divide " + table + ".size_ms (" + num(size) + ")" + got(num(slide)),
                 {table + ".size_ms"});
    }
};

std::vector<Violation> collectViolations(const JobConfig &c)
{
    Rules r;

    const GeneratorConfig &g = c.source.generator;
    const std::string gen = "source.generator.";
    r.nonNegativeReal(gen + "events_per_second", g.eventsPerSecond);
    r.atLeast(gen + "partitions", int64_t(g.partitions), int64_t(1));
    r.positiveReal(gen + "event_time_rate", g.eventTimeRate);
    r.atLeast(gen + "posts", g.posts, uint64_t(1));
    r.positiveReal(gen + "post_skew", g.postSkew);
    r.atLeast(gen + "users", g.users, uint64_t(1));
    r.fraction(gen + "spam_user_fraction", g.spamUserFraction);
    r.fraction(gen + "spam_share", g.spamShare);
    r.fraction(gen + "unlike_fraction", g.unlikeFraction);
    r.positiveReal(gen + "region_skew", g.regionSkew);
    r.fraction(gen + "v2_fraction", g.v2Fraction);
    r.atLeast(gen + "burst_every_ms", g.burstEveryMs, int64_t(0));
    r.atLeast(gen + "burst_duration_ms", g.burstDurationMs, int64_t(0));
    r.fraction(gen + "burst_share", g.burstShare);
    r.nonNegativeReal(gen + "mean_delay_ms", g.meanDelayMs);
    r.fraction(gen + "late_fraction", g.lateFraction);
    r.atLeast(gen + "late_delay_ms", g.lateDelayMs, int64_t(0));
    if (g.silentPartitions < 0)
        r.fail(gen + "silent_partitions", "must be >= 0" + got(num(g.silentPartitions)));
    else if (g.partitions >= 1 && g.silentPartitions >= g.partitions)
        r.fail(gen + "silent_partitions",
               "must be less than source.generator.partitions (" + num(g.partitions) + ")" +
                   got(num(g.silentPartitions)),
               {gen + "partitions"});
    r.fraction(gen + "malformed_fraction", g.malformedFraction);

    const DecodeLimits &l = c.source.limits;
    r.atLeast("source.limits.max_record_bytes", uint64_t(l.maxRecordBytes), uint64_t(1));
    if (l.minEventTimeMs >= l.maxEventTimeMs)
        r.fail("source.limits.min_event_time_ms",
               "must be less than source.limits.max_event_time_ms (" + num(l.maxEventTimeMs) + ")" +
                   got(num(l.minEventTimeMs)),
               {"source.limits.max_event_time_ms"});

    const WatermarkConfig &w = c.watermark;
    r.atLeast("watermark.bound_ms", w.boundMs, int64_t(0));
    if (!(w.adaptiveQuantile > 0 && w.adaptiveQuantile < 1))
        r.fail("watermark.adaptive_quantile", "must be > 0 and < 1" + got(num(w.adaptiveQuantile)));
    r.atLeast("watermark.adaptive_min_ms", w.adaptiveMinMs, int64_t(0));
    if (w.adaptiveMinMs > w.adaptiveMaxMs)
        r.fail("watermark.adaptive_min_ms",
               "must not exceed watermark.adaptive_max_ms (" + num(w.adaptiveMaxMs) + ")" + got(num(w.adaptiveMinMs)),
               {"watermark.adaptive_max_ms"});
    r.atLeast("watermark.idle_timeout_ms", w.idleTimeoutMs, int64_t(0));

    const RuntimeConfig &rt = c.runtime;
    r.between("runtime.parallelism", rt.parallelism, 1, 128);
    r.between("runtime.batch_size", rt.batchSize, 1, 1'000'000);
    r.atLeast("runtime.queue_capacity", int64_t(rt.queueCapacity), int64_t(1));
    r.between("runtime.decode_threads", rt.decodeThreads, 1, 16);
    r.atLeast("runtime.allowed_lateness_ms", rt.allowedLatenessMs, int64_t(0));

    r.positive("aggregations.likes_per_post.window_ms", c.likesPerPost.windowMs);
    r.positive("aggregations.trending_hourly.window_ms", c.trendingHourly.windowMs);
    r.atLeast("aggregations.trending_hourly.top_k", int64_t(c.trendingHourly.topK), int64_t(1));

    const std::string region = "aggregations.likes_by_region.windows_ms";
    const auto &windows = c.likesByRegion.windowsMs;
    if (windows.empty())
        r.fail(region, "must list at least one window");
    for (size_t i = 0; i < windows.size(); ++i) {
        const std::string key = region + "[" + num(i) + "]";
        r.positive(key, windows[i]);
        // Two equal windows would produce two results under one aggregation name and window.
        if (std::find(windows.begin(), windows.begin() + ptrdiff_t(i), windows[i]) != windows.begin() + ptrdiff_t(i))
            r.fail(key, "duplicate window" + got(num(windows[i])));
    }

    const LikeVelocityConfig &v = c.likeVelocity;
    r.slidingWindow("aggregations.like_velocity", v.sizeMs, v.slideMs);
    r.positiveReal("aggregations.like_velocity.min_per_minute", v.minPerMinute);
    r.positiveReal("aggregations.like_velocity.viral_per_minute", v.viralPerMinute);

    const SpamSuspectsConfig &s = c.spamSuspects;
    r.slidingWindow("aggregations.spam_suspects", s.sizeMs, s.slideMs);
    r.atLeast("aggregations.spam_suspects.threshold", s.threshold, int64_t(1));
    r.atLeast("aggregations.spam_suspects.min_likes", s.minLikes, int64_t(0));
    r.positiveReal("aggregations.spam_suspects.baseline_factor", s.baselineFactor);
    r.positive("aggregations.spam_suspects.baseline_bucket_ms", s.baselineBucketMs);
    r.atLeast("aggregations.spam_suspects.baseline_buckets", int64_t(s.baselineBuckets), int64_t(1));

    if (c.state.dir.empty())
        r.fail("state.dir", "must not be empty");
    r.between("state.rocksdb_block_cache_mb", c.state.rocksdbBlockCacheMb, 1, 65536);
    r.between("state.rocksdb_write_buffer_mb", c.state.rocksdbWriteBufferMb, 1, 4096);
    r.between("state.rocksdb_cache_entries", c.state.rocksdbCacheEntries, 1, 100'000'000);

    r.atLeast("checkpoint.interval_ms", c.checkpoint.intervalMs, int64_t(10));
    if (c.checkpoint.savepointDir.empty())
        r.fail("checkpoint.savepoint_dir", "must not be empty");
    if (c.checkpoint.dir.empty())
        r.fail("checkpoint.dir", "must not be empty");
    r.between("checkpoint.retained", c.checkpoint.retained, 1, 1000);
    r.atLeast("checkpoint.min_pause_ms", c.checkpoint.minPauseMs, int64_t(0));
    r.positive("checkpoint.timeout_ms", c.checkpoint.timeoutMs);
    r.between("checkpoint.tolerable_failures", c.checkpoint.tolerableFailures, 0, 1000000);

    const OutputConfig &o = c.output;
    if (o.type == OutputConfig::Type::Sqlite && o.sqlitePath.empty())
        r.fail("output.sqlite_path", "must not be empty when output.type is \"sqlite\"", {"output.type"});
    if (o.type == OutputConfig::Type::Postgres && o.postgresUrl.empty())
        r.fail("output.postgres_url", "must not be empty when output.type is \"postgres\"", {"output.type"});
    r.between("output.postgres_pool_size", o.postgresPoolSize, 1, 64);
    r.between("output.batch_rows", o.batchRows, 1, 1000000);
    r.positive("output.batch_ms", o.batchMs);
    r.atLeast("output.max_pending_rows", int64_t(o.maxPendingRows), int64_t(o.batchRows));
    r.positive("output.retry_initial_ms", o.retryInitialMs);
    r.atLeast("output.retry_max_ms", o.retryMaxMs, o.retryInitialMs);
    r.between("output.breaker_failures", o.breakerFailures, 1, 1000);
    r.positive("output.breaker_open_ms", o.breakerOpenMs);
    if (o.jobId.empty())
        r.fail("output.job_id", "must not be empty");

    const WebConfig &web = c.web;
    if (web.address.empty())
        r.fail("web.address", "must not be empty");
    r.between("web.port", web.port, 0, 65535);
    if (web.tlsCert.empty() != web.tlsKey.empty())
        r.fail(web.tlsCert.empty() ? "web.tls_cert" : "web.tls_key", "web.tls_cert and web.tls_key go together",
               {web.tlsCert.empty() ? "web.tls_key" : "web.tls_cert"});
    if (!web.publicOrigin.empty() && !web.publicOrigin.starts_with("http://") && !web.publicOrigin.starts_with("https://"))
        r.fail("web.public_origin", "must start with http:// or https://" + got("\"" + web.publicOrigin + "\""));
    r.between("web.max_request_bytes", web.maxRequestBytes, int64_t(1), int64_t(16777216));
    r.positiveReal("web.rate_limit_per_second", web.rateLimitPerSecond);
    r.atLeast("web.rate_limit_burst", int64_t(web.rateLimitBurst), int64_t(1));

    return std::move(r.violations);
}

// ---------------------------------------------------------------------------------------------
// TOML binding

std::string_view typeName(const toml::node &n)
{
    switch (n.type()) {
    case toml::node_type::table:
        return "table";
    case toml::node_type::array:
        return "array";
    case toml::node_type::string:
        return "string";
    case toml::node_type::integer:
        return "integer";
    case toml::node_type::floating_point:
        return "float";
    case toml::node_type::boolean:
        return "boolean";
    case toml::node_type::date:
        return "date";
    case toml::node_type::time:
        return "time";
    case toml::node_type::date_time:
        return "date-time";
    case toml::node_type::none:
        break;
    }
    return "nothing";
}

size_t editDistance(std::string_view a, std::string_view b)
{
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

struct Issue {
    uint32_t line = 0; // 0 = not in the file
    std::string key;
    std::string reason;
};

template <typename E>
using Choices = std::initializer_list<std::pair<std::string_view, E>>;

// Binds known keys onto a JobConfig and remembers each key's line, then reports every key of the
// document it did not bind. Issues are collected rather than returned on the first one, so an
// operator fixes a file in one pass.
class Binder {
public:
    explicit Binder(const toml::table &root) : m_root(root) {}

    std::vector<Issue> issues;

    template <std::integral T>
    void integer(const std::string &path, T &out)
    {
        const toml::node *n = bind(path);
        if (!n)
            return;
        const auto *v = n->as_integer();
        if (!v)
            return wrongType(path, *n, "integer");
        const int64_t x = v->get();
        if (!std::in_range<T>(x)) {
            const std::string reason = std::is_unsigned_v<T>
                                           ? "must be >= 0"
                                           : "must be between " + num(std::numeric_limits<T>::min()) + " and " +
                                                 num(std::numeric_limits<T>::max());
            return report(path, *n, reason + got(num(x)));
        }
        out = T(x);
    }

    void real(const std::string &path, double &out)
    {
        const toml::node *n = bind(path);
        if (!n)
            return;
        // An integer is a fine way to write a real number ("viral_per_minute = 100").
        double x = 0;
        if (const auto *i = n->as_integer())
            x = double(i->get());
        else if (const auto *f = n->as_floating_point())
            x = f->get();
        else
            return wrongType(path, *n, "number");
        if (!std::isfinite(x))
            return report(path, *n, "must be a finite number" + got(num(x)));
        out = x;
    }

    void boolean(const std::string &path, bool &out)
    {
        const toml::node *n = bind(path);
        if (!n)
            return;
        const auto *v = n->as_boolean();
        if (!v)
            return wrongType(path, *n, "boolean");
        out = v->get();
    }

    void string(const std::string &path, std::string &out)
    {
        const toml::node *n = bind(path);
        if (!n)
            return;
        const auto *v = n->as_string();
        if (!v)
            return wrongType(path, *n, "string");
        out = v->get();
    }

    template <typename E>
    void choice(const std::string &path, E &out, Choices<E> choices)
    {
        const toml::node *n = bind(path);
        if (!n)
            return;
        const auto *v = n->as_string();
        if (!v)
            return wrongType(path, *n, "string");
        std::string allowed;
        for (const auto &[name, value] : choices) {
            if (name == v->get()) {
                out = value;
                return;
            }
            allowed += (allowed.empty() ? "\"" : ", \"") + std::string(name) + "\"";
        }
        report(path, *n, "expected one of " + allowed + got("\"" + v->get() + "\""));
    }

    void integerArray(const std::string &path, std::vector<int64_t> &out)
    {
        const toml::node *n = bind(path);
        if (!n)
            return;
        const auto *a = n->as_array();
        if (!a)
            return wrongType(path, *n, "array of integers");
        std::vector<int64_t> values;
        bool ok = true;
        for (size_t i = 0; i < a->size(); ++i) {
            const toml::node &element = *a->get(i);
            const std::string key = path + "[" + num(i) + "]";
            m_lines[key] = element.source().begin.line;
            if (const auto *v = element.as_integer())
                values.push_back(v->get());
            else {
                wrongType(key, element, "integer");
                ok = false;
            }
        }
        if (ok)
            out = std::move(values);
    }

    // Reports every key in the document that no bind call asked for, and tables given as values.
    void checkUnknownKeys() { checkTable(m_root, {}); }

    // The line to blame for a violation: its own key, then the related keys, then the nearest
    // enclosing table that appears in the file.
    uint32_t lineFor(const Violation &v) const
    {
        std::vector<std::string> candidates{v.key};
        if (auto bracket = v.key.find('['); bracket != std::string::npos)
            candidates.push_back(v.key.substr(0, bracket));
        candidates.insert(candidates.end(), v.related.begin(), v.related.end());
        for (const std::string &k : candidates) {
            if (auto it = m_lines.find(k); it != m_lines.end() && it->second)
                return it->second;
        }
        for (std::string k = v.key; !k.empty();) {
            const size_t dot = k.rfind('.');
            k = dot == std::string::npos ? std::string() : k.substr(0, dot);
            if (auto it = m_tableLines.find(k); it != m_tableLines.end() && it->second)
                return it->second;
        }
        return 0;
    }

private:
    const toml::node *bind(const std::string &path)
    {
        m_known.insert(path);
        for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1))
            m_knownTables.insert(path.substr(0, dot));

        const toml::node *n = &m_root;
        size_t begin = 0;
        while (n && begin <= path.size()) {
            const size_t dot = std::min(path.find('.', begin), path.size());
            const auto *table = n->as_table();
            n = table ? table->get(std::string_view(path).substr(begin, dot - begin)) : nullptr;
            begin = dot + 1;
        }
        if (n)
            m_lines[path] = n->source().begin.line;
        return n;
    }

    void report(const std::string &key, uint32_t line, std::string reason)
    {
        issues.push_back({line, key, std::move(reason)});
    }
    void report(const std::string &key, const toml::node &n, std::string reason)
    {
        report(key, n.source().begin.line, std::move(reason));
    }
    void wrongType(const std::string &key, const toml::node &n, std::string_view expected)
    {
        report(key, n, "expected " + std::string(expected) + ", got " + std::string(typeName(n)));
    }

    // Implicitly created tables ([a.b] creates a) have no source position of their own; the first
    // line inside them is the best place to point at.
    static uint32_t firstLine(const toml::node &n)
    {
        if (n.source().begin.line)
            return n.source().begin.line;
        uint32_t best = 0;
        if (const auto *t = n.as_table()) {
            for (auto &&[k, child] : *t) {
                const uint32_t l = k.source().begin.line ? k.source().begin.line : firstLine(child);
                if (l && (!best || l < best))
                    best = l;
            }
        }
        return best;
    }

    void checkTable(const toml::table &table, const std::string &prefix)
    {
        for (auto &&[k, node] : table) {
            const std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
            const uint32_t line = k.source().begin.line ? k.source().begin.line : firstLine(node);
            if (m_known.count(path))
                continue; // typed by its bind call
            if (m_knownTables.count(path)) {
                if (const auto *sub = node.as_table()) {
                    m_tableLines[path] = firstLine(node);
                    checkTable(*sub, path);
                } else {
                    report(path, line, "expected table, got " + std::string(typeName(node)));
                }
                continue;
            }
            report(path, line, "unknown key" + suggestion(prefix, std::string(k.str())));
        }
    }

    // A near miss among the table's own keys ("bount_ms"), else the same key in another table
    // (bound_ms under [runtime] instead of [watermark]).
    std::string suggestion(const std::string &prefix, const std::string &key) const
    {
        const std::string head = prefix.empty() ? std::string() : prefix + ".";
        std::set<std::string> siblings;
        for (const std::set<std::string> *names : {&m_known, &m_knownTables}) {
            for (const std::string &known : *names) {
                if (known.size() > head.size() && known.starts_with(head) &&
                    known.find('.', head.size()) == std::string::npos)
                    siblings.insert(known.substr(head.size()));
            }
        }
        std::string best;
        size_t bestDistance = 3;
        for (const std::string &s : siblings) {
            const size_t d = editDistance(key, s);
            if (d < bestDistance) {
                bestDistance = d;
                best = s;
            }
        }
        if (!best.empty())
            return " (did you mean '" + best + "'?)";
        for (const std::string &known : m_known) {
            if (known.ends_with("." + key))
                return " (did you mean '" + known + "'?)";
        }
        return {};
    }

    const toml::table &m_root;
    std::set<std::string> m_known;       // leaf keys bound so far
    std::set<std::string> m_knownTables; // every proper prefix of a leaf key
    std::map<std::string, uint32_t> m_lines;
    std::map<std::string, uint32_t> m_tableLines;
};

void bindAll(Binder &b, JobConfig &c)
{
    b.choice("source.type", c.source.type, Choices<SourceConfig::Type>{{"generator", SourceConfig::Type::Generator}});

    GeneratorConfig &g = c.source.generator;
    const std::string gen = "source.generator.";
    b.integer(gen + "seed", g.seed);
    b.integer(gen + "total_events", g.totalEvents);
    b.real(gen + "events_per_second", g.eventsPerSecond);
    b.integer(gen + "partitions", g.partitions);
    b.integer(gen + "start_time_ms", g.startTimeMs);
    b.real(gen + "event_time_rate", g.eventTimeRate);
    b.integer(gen + "posts", g.posts);
    b.real(gen + "post_skew", g.postSkew);
    b.integer(gen + "users", g.users);
    b.real(gen + "spam_user_fraction", g.spamUserFraction);
    b.real(gen + "spam_share", g.spamShare);
    b.real(gen + "unlike_fraction", g.unlikeFraction);
    b.real(gen + "region_skew", g.regionSkew);
    b.real(gen + "v2_fraction", g.v2Fraction);
    b.integer(gen + "burst_every_ms", g.burstEveryMs);
    b.integer(gen + "burst_duration_ms", g.burstDurationMs);
    b.real(gen + "burst_share", g.burstShare);
    b.real(gen + "mean_delay_ms", g.meanDelayMs);
    b.real(gen + "late_fraction", g.lateFraction);
    b.integer(gen + "late_delay_ms", g.lateDelayMs);
    b.integer(gen + "silent_partitions", g.silentPartitions);
    b.boolean(gen + "serialized", g.serialized);
    b.choice(gen + "format", g.format,
             Choices<WireFormat>{{"json", WireFormat::Json}, {"protobuf", WireFormat::Protobuf}});
    b.real(gen + "malformed_fraction", g.malformedFraction);

    b.integer("source.limits.max_record_bytes", c.source.limits.maxRecordBytes);
    b.integer("source.limits.min_event_time_ms", c.source.limits.minEventTimeMs);
    b.integer("source.limits.max_event_time_ms", c.source.limits.maxEventTimeMs);

    WatermarkConfig &w = c.watermark;
    b.choice("watermark.strategy", w.strategy,
             Choices<WatermarkConfig::Strategy>{{"fixed", WatermarkConfig::Strategy::Fixed},
                                                {"adaptive", WatermarkConfig::Strategy::Adaptive}});
    b.integer("watermark.bound_ms", w.boundMs);
    b.real("watermark.adaptive_quantile", w.adaptiveQuantile);
    b.integer("watermark.adaptive_min_ms", w.adaptiveMinMs);
    b.integer("watermark.adaptive_max_ms", w.adaptiveMaxMs);
    b.integer("watermark.idle_timeout_ms", w.idleTimeoutMs);

    b.integer("runtime.parallelism", c.runtime.parallelism);
    b.integer("runtime.batch_size", c.runtime.batchSize);
    b.integer("runtime.queue_capacity", c.runtime.queueCapacity);
    b.integer("runtime.decode_threads", c.runtime.decodeThreads);
    b.integer("runtime.allowed_lateness_ms", c.runtime.allowedLatenessMs);

    b.integer("aggregations.likes_per_post.window_ms", c.likesPerPost.windowMs);
    b.integer("aggregations.trending_hourly.window_ms", c.trendingHourly.windowMs);
    b.integer("aggregations.trending_hourly.top_k", c.trendingHourly.topK);
    b.integerArray("aggregations.likes_by_region.windows_ms", c.likesByRegion.windowsMs);

    const std::string velocity = "aggregations.like_velocity.";
    b.integer(velocity + "size_ms", c.likeVelocity.sizeMs);
    b.integer(velocity + "slide_ms", c.likeVelocity.slideMs);
    b.real(velocity + "min_per_minute", c.likeVelocity.minPerMinute);
    b.real(velocity + "viral_per_minute", c.likeVelocity.viralPerMinute);

    const std::string spam = "aggregations.spam_suspects.";
    b.integer(spam + "size_ms", c.spamSuspects.sizeMs);
    b.integer(spam + "slide_ms", c.spamSuspects.slideMs);
    b.integer(spam + "threshold", c.spamSuspects.threshold);
    b.integer(spam + "min_likes", c.spamSuspects.minLikes);
    b.real(spam + "baseline_factor", c.spamSuspects.baselineFactor);
    b.integer(spam + "baseline_bucket_ms", c.spamSuspects.baselineBucketMs);
    b.integer(spam + "baseline_buckets", c.spamSuspects.baselineBuckets);

    b.choice("state.backend", c.state.backend,
             Choices<StateConfig::Backend>{{"heap", StateConfig::Backend::Heap},
                                           {"rocksdb", StateConfig::Backend::RocksDb}});
    b.string("state.dir", c.state.dir);
    b.integer("state.rocksdb_block_cache_mb", c.state.rocksdbBlockCacheMb);
    b.integer("state.rocksdb_write_buffer_mb", c.state.rocksdbWriteBufferMb);
    b.integer("state.rocksdb_cache_entries", c.state.rocksdbCacheEntries);

    b.integer("checkpoint.interval_ms", c.checkpoint.intervalMs);
    b.string("checkpoint.savepoint_dir", c.checkpoint.savepointDir);
    b.boolean("checkpoint.enabled", c.checkpoint.enabled);
    b.string("checkpoint.dir", c.checkpoint.dir);
    b.integer("checkpoint.retained", c.checkpoint.retained);
    b.integer("checkpoint.min_pause_ms", c.checkpoint.minPauseMs);
    b.integer("checkpoint.timeout_ms", c.checkpoint.timeoutMs);
    b.integer("checkpoint.tolerable_failures", c.checkpoint.tolerableFailures);

    OutputConfig &o = c.output;
    b.choice("output.type", o.type,
             Choices<OutputConfig::Type>{{"sqlite", OutputConfig::Type::Sqlite},
                                         {"postgres", OutputConfig::Type::Postgres},
                                         {"none", OutputConfig::Type::None}});
    b.string("output.sqlite_path", o.sqlitePath);
    b.string("output.postgres_url", o.postgresUrl);
    b.integer("output.postgres_pool_size", o.postgresPoolSize);
    b.choice("output.delivery", o.delivery,
             Choices<Delivery>{{"exactly_once", Delivery::ExactlyOnce}, {"at_least_once", Delivery::AtLeastOnce}});
    b.integer("output.batch_rows", o.batchRows);
    b.integer("output.batch_ms", o.batchMs);
    b.integer("output.max_pending_rows", o.maxPendingRows);
    b.integer("output.retry_initial_ms", o.retryInitialMs);
    b.integer("output.retry_max_ms", o.retryMaxMs);
    b.integer("output.breaker_failures", o.breakerFailures);
    b.integer("output.breaker_open_ms", o.breakerOpenMs);
    b.string("output.divert_path", o.divertPath);
    b.string("output.job_id", o.jobId);

    WebConfig &web = c.web;
    b.boolean("web.enabled", web.enabled);
    b.string("web.address", web.address);
    b.integer("web.port", web.port);
    b.string("web.tokens_file", web.tokensFile);
    b.string("web.tls_cert", web.tlsCert);
    b.string("web.tls_key", web.tlsKey);
    b.string("web.public_origin", web.publicOrigin);
    b.integer("web.max_request_bytes", web.maxRequestBytes);
    b.real("web.rate_limit_per_second", web.rateLimitPerSecond);
    b.integer("web.rate_limit_burst", web.rateLimitBurst);
}

std::string formatIssues(std::vector<Issue> issues, std::string_view source)
{
    std::stable_sort(issues.begin(), issues.end(), [](const Issue &a, const Issue &b) {
        // Issues without a line (a default that conflicts with a set value) go last.
        return (a.line ? a.line : UINT32_MAX) < (b.line ? b.line : UINT32_MAX);
    });
    std::string message;
    for (const Issue &i : issues) {
        if (!message.empty())
            message += '\n';
        const std::string where = i.line ? std::string(source) + ":" + num(i.line) + ":" : std::string(source) + ":";
        message += where + " " + i.key + ": " + i.reason;
    }
    return message;
}

} // namespace

Status JobConfig::validate() const
{
    const std::vector<Violation> violations = collectViolations(*this);
    std::string message;
    for (const Violation &v : violations) {
        if (!message.empty())
            message += '\n';
        message += v.key + ": " + v.reason;
    }
    return violations.empty() ? Status::ok() : Status::invalidArgument(std::move(message));
}

Result<JobConfig> parseJobConfig(std::string_view tomlText, std::string_view sourceName)
{
    toml::table root;
    try {
        root = toml::parse(tomlText, sourceName);
    } catch (const toml::parse_error &e) {
        const auto &where = e.source().begin;
        return Status::invalidArgument(std::string(sourceName) + ":" + num(where.line) + ": " +
                                       std::string(e.description()) + " (column " + num(where.column) + ")");
    }

    JobConfig config;
    Binder binder(root);
    bindAll(binder, config);
    binder.checkUnknownKeys();
    if (!binder.issues.empty())
        return Status::invalidArgument(formatIssues(std::move(binder.issues), sourceName));

    std::vector<Issue> issues;
    for (const Violation &v : collectViolations(config))
        issues.push_back({binder.lineFor(v), v.key, v.reason});
    if (!issues.empty())
        return Status::invalidArgument(formatIssues(std::move(issues), sourceName));
    return config;
}

Result<JobConfig> loadJobConfig(const std::string &path)
{
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) {
        const int err = errno;
        const std::string message = path + ": cannot open: " + std::strerror(err);
        return err == ENOENT ? Status::notFound(message) : Status::ioError(message);
    }
    std::string text;
    char buf[8192];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0)
        text.append(buf, n);
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (failed)
        return Status::ioError(path + ": cannot read: " + std::strerror(err));
    return parseJobConfig(text, path);
}

} // namespace tally
