// JobConfig::validate(): each option's own range (the option table), then the rules that involve
// several keys.
#include "runtime/job_config.h"

#include "runtime/config_text.h"
#include "runtime/job_options.h"
#include "window/keyed_state.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tally {

namespace {

using config_text::got;
using config_text::num;

// ---------------------------------------------------------------------------------------------
// Validation: each option's own range (the table), then the rules that involve several keys

// Settings of [source.kafka.properties] that Tally owns: the option that sets it instead, or ""
// for the offset handling Tally manages itself.
constexpr std::pair<std::string_view, std::string_view> kOwnedKafkaProperties[] = {
    {"bootstrap.servers", "source.kafka.bootstrap"},
    {"metadata.broker.list", "source.kafka.bootstrap"},
    {"group.id", "source.kafka.group"},
    {"auto.offset.reset", "source.kafka.auto_offset_reset"},
    {"session.timeout.ms", "source.kafka.session_timeout_ms"},
    {"max.poll.interval.ms", "source.kafka.max_poll_interval_ms"},
    {"enable.auto.commit", ""},
    {"enable.auto.offset.store", ""},
};

void crossFieldRules(const JobConfig &c, std::vector<ConfigViolation> &out)
{
    auto fail = [&out](std::string key, std::string reason, std::vector<std::string> related = {}) {
        out.push_back({std::move(key), std::move(reason), std::move(related)});
    };

    const GeneratorConfig &g = c.source.generator;
    if (g.silentPartitions >= 0 && g.partitions >= 1 && g.silentPartitions >= g.partitions)
        fail("source.generator.silent_partitions",
             "must be less than source.generator.partitions (" + num(g.partitions) + ")" + got(num(g.silentPartitions)),
             {"source.generator.partitions"});

    const KafkaSourceConfig &k = c.source.kafka;
    if (c.source.type == SourceConfig::Type::Kafka && k.bootstrapServers.empty())
        fail("source.kafka.bootstrap", "must not be empty when source.type is \"kafka\"", {"source.type"});
    if (k.maxPollIntervalMs < k.sessionTimeoutMs)
        fail("source.kafka.max_poll_interval_ms",
             "must be >= source.kafka.session_timeout_ms (" + num(k.sessionTimeoutMs) + ")" + got(num(k.maxPollIntervalMs)),
             {"source.kafka.session_timeout_ms"});
    for (const auto &[name, value] : k.properties) {
        for (const auto &[owned, option] : kOwnedKafkaProperties) {
            if (name == owned)
                fail("source.kafka.properties." + name,
                     option.empty() ? std::string("is managed by Tally (offsets are never auto-committed)")
                                    : "set " + std::string(option) + " instead");
        }
    }

    const DecodeLimits &l = c.source.limits;
    if (l.minEventTimeMs >= l.maxEventTimeMs)
        fail("source.limits.min_event_time_ms",
             "must be less than source.limits.max_event_time_ms (" + num(l.maxEventTimeMs) + ")" +
                 got(num(l.minEventTimeMs)),
             {"source.limits.max_event_time_ms"});

    const WatermarkConfig &w = c.watermark;
    if (w.adaptiveMinMs > w.adaptiveMaxMs)
        fail("watermark.adaptive_min_ms",
             "must not exceed watermark.adaptive_max_ms (" + num(w.adaptiveMaxMs) + ")" + got(num(w.adaptiveMinMs)),
             {"watermark.adaptive_max_ms"});

    const std::string region = "aggregations.likes_by_region.windows_ms";
    const auto &windows = c.likesByRegion.windowsMs;
    if (windows.empty())
        fail(region, "must list at least one window");
    if (windows.size() > kMaxRegionWindows)
        fail(region, "must list at most " + num(kMaxRegionWindows) + " windows" + got(num(windows.size())));
    for (size_t i = 0; i < windows.size(); ++i) {
        // Two equal windows would produce two results under one aggregation name and window.
        if (std::find(windows.begin(), windows.begin() + ptrdiff_t(i), windows[i]) != windows.begin() + ptrdiff_t(i))
            fail(region + "[" + num(i) + "]", "duplicate window" + got(num(windows[i])));
    }

    // Panes are slide-long slices and a window is a whole number of panes.
    auto slidingWindow = [&](const std::string &table, int64_t size, int64_t slide) {
        if (size > 0 && slide > 0 && size % slide != 0)
            fail(table + ".slide_ms", "must divide " + table + ".size_ms (" + num(size) + ")" + got(num(slide)),
                 {table + ".size_ms"});
    };
    slidingWindow("aggregations.like_velocity", c.likeVelocity.sizeMs, c.likeVelocity.slideMs);
    slidingWindow("aggregations.spam_suspects", c.spamSuspects.sizeMs, c.spamSuspects.slideMs);
    // The newest slide's share of a window is at most all of it: size / slide times its rate.
    if (const auto &v = c.likeVelocity;
        v.sizeMs > 0 && v.slideMs > 0 && v.viralAcceleration * static_cast<double>(v.slideMs) > static_cast<double>(v.sizeMs))
        fail("aggregations.like_velocity.viral_acceleration",
             "must be at most size_ms / slide_ms (" + num(v.sizeMs / v.slideMs) + "): no post could reach it" +
                 got(num(v.viralAcceleration)),
             {"aggregations.like_velocity.size_ms", "aggregations.like_velocity.slide_ms"});

    const OutputConfig &o = c.output;
    if (o.type == OutputConfig::Type::Sqlite && o.sqlitePath.empty())
        fail("output.sqlite_path", "must not be empty when output.type is \"sqlite\"", {"output.type"});
    if (o.type == OutputConfig::Type::Postgres && o.postgresUrl.empty())
        fail("output.postgres_url", "must not be empty when output.type is \"postgres\"", {"output.type"});
    if (o.maxPendingRows < o.batchRows)
        fail("output.max_pending_rows", "must be >= " + num(o.batchRows) + got(num(o.maxPendingRows)));
    if (o.retryMaxMs < o.retryInitialMs)
        fail("output.retry_max_ms", "must be >= " + num(o.retryInitialMs) + got(num(o.retryMaxMs)));

    const WebConfig &web = c.web;
    if (web.tlsCert.empty() != web.tlsKey.empty())
        fail(web.tlsCert.empty() ? "web.tls_cert" : "web.tls_key", "web.tls_cert and web.tls_key go together",
             {web.tlsCert.empty() ? "web.tls_key" : "web.tls_cert"});
    if (!web.publicOrigin.empty() && !web.publicOrigin.starts_with("http://") && !web.publicOrigin.starts_with("https://"))
        fail("web.public_origin", "must start with http:// or https://" + got("\"" + web.publicOrigin + "\""));

    const AlertsConfig &alerts = c.alerts;
    if (alerts.staleAfterMs != 0 && alerts.staleAfterMs < 1000)
        fail("alerts.stale_after_ms", "must be 0 (off) or at least 1000" + got(num(alerts.staleAfterMs)));
    if (!alerts.webhookUrl.empty() && !alerts.webhookUrl.starts_with("http://") && !alerts.webhookUrl.starts_with("https://"))
        fail("alerts.webhook_url", "must start with http:// or https://" + got("\"" + alerts.webhookUrl + "\""));
}

// Where an option (or an element or entry of one) comes in the table, so that problems are listed
// in the order of the file whether or not the configuration came from one.
size_t tablePosition(const std::string &key)
{
    const std::string option = key.substr(0, key.find('['));
    const auto &all = configOptions();
    const ConfigOption *o = findConfigOption(option);
    return o ? size_t(std::find(all.begin(), all.end(), o) - all.begin()) : all.size();
}

} // namespace

std::vector<ConfigViolation> collectViolations(const JobConfig &c)
{
    std::vector<ConfigViolation> violations;
    for (const ConfigOption *o : configOptions())
        o->checkRange(c, violations);
    crossFieldRules(c, violations);
    std::stable_sort(violations.begin(), violations.end(), [](const ConfigViolation &a, const ConfigViolation &b) {
        return tablePosition(a.key) < tablePosition(b.key);
    });
    return violations;
}

Status JobConfig::validate() const
{
    const std::vector<ConfigViolation> violations = collectViolations(*this);
    std::string message;
    for (const ConfigViolation &v : violations) {
        if (!message.empty())
            message += '\n';
        message += v.key + ": " + v.reason;
    }
    return violations.empty() ? Status::ok() : Status::invalidArgument(std::move(message));
}

} // namespace tally
