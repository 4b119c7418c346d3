// The option table: every key of the job configuration, declared once. A new option is one entry
// here (and its field in job_config.h); the parser, `--set`, the range checks and the shipped
// resources/tally.toml follow from it. Rules that involve several keys live in
// JobConfig::validate() (job_config.cpp); an entry's `rules` describes them for the file.
#include "runtime/job_options.h"

#include "runtime/config_text.h"

#include <cmath>
#include <concepts>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>

namespace tally {

using config_text::got;
using config_text::num;

std::string_view ConfigOption::table() const
{
    if (m_type == Type::StringMap)
        return m_key;
    const size_t dot = m_key.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : m_key.substr(0, dot);
}

std::string_view ConfigOption::name() const
{
    if (m_type == Type::StringMap)
        return {};
    const size_t dot = m_key.rfind('.');
    return dot == std::string_view::npos ? m_key : m_key.substr(dot + 1);
}

std::string ConfigOption::validValues() const
{
    std::string range = rangeText();
    if (rules().empty())
        return range;
    return range.empty() ? std::string(rules()) : range + ", " + std::string(rules());
}

namespace {

// ---------------------------------------------------------------------------------------------
// Ranges: the valid values of a number, in words for the file and for a refusal

struct IntRange {
    std::optional<int64_t> min, max;
    bool minOpen = false; // min itself is not allowed

    template <std::integral T>
    std::optional<std::string> check(T v) const
    {
        const bool low = min && (minOpen ? !std::cmp_greater(v, *min) : std::cmp_less(v, *min));
        const bool high = max && std::cmp_greater(v, *max);
        if (!low && !high)
            return std::nullopt;
        return "must be " + words() + got(num(v));
    }
    std::string words() const
    {
        if (min && max)
            return "between " + num(*min) + " and " + num(*max);
        if (min)
            return (minOpen ? "> " : ">= ") + num(*min);
        return max ? "<= " + num(*max) : std::string();
    }
    std::string text() const { return min && max ? num(*min) + ".." + num(*max) : words(); }
};

IntRange anyInteger() { return {}; }
IntRange atLeast(int64_t min) { return {min, std::nullopt, false}; }
IntRange above(int64_t min) { return {min, std::nullopt, true}; }
IntRange between(int64_t min, int64_t max) { return {min, max, false}; }

struct RealRange {
    std::optional<double> min, max;
    bool open = false; // the bounds themselves are excluded

    // NaN fails every comparison, so each check is written to reject it.
    std::optional<std::string> check(double v) const
    {
        bool ok = true;
        if (min)
            ok = open ? v > *min : v >= *min;
        if (max)
            ok = ok && (open ? v < *max : v <= *max);
        else
            ok = ok && std::isfinite(v); // an upper bound excludes infinity already
        if (ok)
            return std::nullopt;
        return "must be " + words() + got(num(v));
    }
    std::string words() const
    {
        if (min && max)
            return open ? "> " + num(*min) + " and < " + num(*max) : "between " + num(*min) + " and " + num(*max);
        if (min)
            return std::string("a finite number ") + (open ? "> " : ">= ") + num(*min);
        return "a finite number";
    }
    std::string text() const
    {
        if (min && max)
            return open ? "> " + num(*min) + " and < " + num(*max) : num(*min) + ".." + num(*max);
        if (min)
            return (open ? "> " : ">= ") + num(*min);
        return {};
    }
};

RealRange atLeastReal(double min) { return {min, std::nullopt, false}; }
RealRange aboveReal(double min) { return {min, std::nullopt, true}; }
RealRange fraction() { return {0.0, 1.0, false}; }
RealRange openInterval(double min, double max) { return {min, max, true}; }

// ---------------------------------------------------------------------------------------------
// Option kinds. `Access` is a generic lambda that returns the field of a JobConfig, const or not.

using Spec = ConfigOption::Spec;
using Type = ConfigOption::Type;

template <typename Access>
using FieldOf = std::remove_cvref_t<decltype(std::declval<Access>()(std::declval<JobConfig &>()))>;

template <typename Access>
class IntegerOption final : public ConfigOption {
    using T = FieldOf<Access>;
    static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);

public:
    IntegerOption(std::string_view key, Access access, IntRange range, Spec spec)
        : ConfigOption(key, Type::Integer, spec), m_access(access), m_range(range)
    {
    }
    std::string toml(const JobConfig &c) const override { return num(m_access(c)); }
    std::optional<std::string> assign(JobConfig &c, const ConfigValue &value) const override
    {
        const int64_t x = std::get<int64_t>(value);
        if (!std::in_range<T>(x)) {
            if constexpr (std::is_unsigned_v<T>)
                return "must be >= 0" + got(num(x));
            else
                return "must be between " + num(std::numeric_limits<T>::min()) + " and " +
                       num(std::numeric_limits<T>::max()) + got(num(x));
        }
        m_access(c) = T(x);
        return std::nullopt;
    }
    void checkRange(const JobConfig &c, std::vector<ConfigViolation> &out) const override
    {
        if (auto reason = m_range.check(m_access(c)))
            out.push_back({std::string(key()), std::move(*reason), {}});
    }

protected:
    std::string rangeText() const override { return m_range.text(); }

private:
    Access m_access;
    IntRange m_range;
};

template <typename Access>
class RealOption final : public ConfigOption {
    static_assert(std::is_same_v<FieldOf<Access>, double>);

public:
    RealOption(std::string_view key, Access access, RealRange range, Spec spec)
        : ConfigOption(key, Type::Real, spec), m_access(access), m_range(range)
    {
    }
    std::string toml(const JobConfig &c) const override { return config_text::tomlReal(m_access(c)); }
    std::optional<std::string> assign(JobConfig &c, const ConfigValue &value) const override
    {
        m_access(c) = std::get<double>(value);
        return std::nullopt;
    }
    void checkRange(const JobConfig &c, std::vector<ConfigViolation> &out) const override
    {
        if (auto reason = m_range.check(m_access(c)))
            out.push_back({std::string(key()), std::move(*reason), {}});
    }

protected:
    std::string rangeText() const override { return m_range.text(); }

private:
    Access m_access;
    RealRange m_range;
};

template <typename Access>
class BooleanOption final : public ConfigOption {
    static_assert(std::is_same_v<FieldOf<Access>, bool>);

public:
    BooleanOption(std::string_view key, Access access, Spec spec) : ConfigOption(key, Type::Boolean, spec), m_access(access)
    {
    }
    std::string toml(const JobConfig &c) const override { return m_access(c) ? "true" : "false"; }
    std::optional<std::string> assign(JobConfig &c, const ConfigValue &value) const override
    {
        m_access(c) = std::get<bool>(value);
        return std::nullopt;
    }
    void checkRange(const JobConfig &, std::vector<ConfigViolation> &) const override {}

private:
    Access m_access;
};

template <typename Access>
class StringOption final : public ConfigOption {
    static_assert(std::is_same_v<FieldOf<Access>, std::string>);

public:
    StringOption(std::string_view key, Access access, bool nonEmpty, Spec spec)
        : ConfigOption(key, Type::String, spec), m_access(access), m_nonEmpty(nonEmpty)
    {
    }
    std::string toml(const JobConfig &c) const override { return config_text::tomlString(m_access(c)); }
    std::optional<std::string> assign(JobConfig &c, const ConfigValue &value) const override
    {
        m_access(c) = std::get<std::string>(value);
        return std::nullopt;
    }
    void checkRange(const JobConfig &c, std::vector<ConfigViolation> &out) const override
    {
        if (m_nonEmpty && m_access(c).empty())
            out.push_back({std::string(key()), "must not be empty", {}});
    }

protected:
    std::string rangeText() const override { return m_nonEmpty ? "not empty" : ""; }

private:
    Access m_access;
    bool m_nonEmpty;
};

// An enumeration written as one of a few names; the field may also be a string restricted to them.
template <typename Access>
class ChoiceOption final : public ConfigOption {
    using E = FieldOf<Access>;

public:
    ChoiceOption(std::string_view key, Access access, std::vector<std::pair<std::string_view, E>> choices, Spec spec)
        : ConfigOption(key, Type::Choice, spec), m_access(access), m_choices(std::move(choices))
    {
    }
    std::vector<std::string> choices() const override
    {
        std::vector<std::string> names;
        for (const auto &[name, value] : m_choices)
            names.emplace_back(name);
        return names;
    }
    std::string toml(const JobConfig &c) const override
    {
        const std::string_view name = nameOf(m_access(c));
        if constexpr (std::is_same_v<E, std::string>) {
            if (name.empty())
                return config_text::tomlString(m_access(c));
        }
        return config_text::tomlString(name);
    }
    std::optional<std::string> assign(JobConfig &c, const ConfigValue &value) const override
    {
        const std::string &text = std::get<std::string>(value);
        for (const auto &[name, e] : m_choices) {
            if (name == text) {
                m_access(c) = e;
                return std::nullopt;
            }
        }
        return "expected one of " + list() + got("\"" + text + "\"");
    }
    void checkRange(const JobConfig &c, std::vector<ConfigViolation> &out) const override
    {
        // Only a string field can hold something else (set in code, not from a file).
        if constexpr (std::is_same_v<E, std::string>) {
            if (nameOf(m_access(c)).empty())
                out.push_back({std::string(key()), "must be one of " + list() + got("\"" + m_access(c) + "\""), {}});
        }
    }

protected:
    std::string rangeText() const override
    {
        std::string text;
        for (size_t i = 0; i < m_choices.size(); ++i) {
            if (i)
                text += i + 1 == m_choices.size() ? " or " : ", ";
            text += '"';
            text += m_choices[i].first;
            text += '"';
        }
        return text;
    }

private:
    std::string_view nameOf(const E &value) const
    {
        for (const auto &[name, e] : m_choices)
            if (e == value)
                return name;
        return {};
    }
    std::string list() const
    {
        std::string allowed;
        for (const auto &[name, value] : m_choices) {
            allowed += allowed.empty() ? "\"" : ", \"";
            allowed += name;
            allowed += '"';
        }
        return allowed;
    }

    Access m_access;
    std::vector<std::pair<std::string_view, E>> m_choices;
};

template <typename Access>
class IntegerListOption final : public ConfigOption {
    static_assert(std::is_same_v<FieldOf<Access>, std::vector<int64_t>>);

public:
    IntegerListOption(std::string_view key, Access access, IntRange each, Spec spec)
        : ConfigOption(key, Type::IntegerList, spec), m_access(access), m_each(each)
    {
    }
    std::string toml(const JobConfig &c) const override
    {
        std::string s = "[";
        const std::vector<int64_t> &values = m_access(c);
        for (size_t i = 0; i < values.size(); ++i)
            s += (i ? ", " : "") + num(values[i]);
        return s + "]";
    }
    std::optional<std::string> assign(JobConfig &c, const ConfigValue &value) const override
    {
        m_access(c) = std::get<std::vector<int64_t>>(value);
        return std::nullopt;
    }
    void checkRange(const JobConfig &c, std::vector<ConfigViolation> &out) const override
    {
        const std::vector<int64_t> &values = m_access(c);
        for (size_t i = 0; i < values.size(); ++i) {
            if (auto reason = m_each.check(values[i]))
                out.push_back({std::string(key()) + "[" + num(i) + "]", std::move(*reason), {}});
        }
    }

protected:
    std::string rangeText() const override
    {
        const std::string each = m_each.text();
        return each.empty() ? each : "each " + each;
    }

private:
    Access m_access;
    IntRange m_each;
};

// A table of string settings passed through to a library as they are.
template <typename Access>
class StringMapOption final : public ConfigOption {
    static_assert(std::is_same_v<FieldOf<Access>, std::map<std::string, std::string>>);

public:
    StringMapOption(std::string_view key, Access access, Spec spec) : ConfigOption(key, Type::StringMap, spec), m_access(access)
    {
    }
    std::string toml(const JobConfig &c) const override
    {
        std::string lines;
        for (const auto &[name, value] : m_access(c))
            lines += config_text::tomlKey(name) + " = " + config_text::tomlString(value) + "\n";
        return lines;
    }
    std::optional<std::string> assign(JobConfig &c, const ConfigValue &value) const override
    {
        for (const auto &[name, text] : std::get<std::map<std::string, std::string>>(value))
            m_access(c)[name] = text;
        return std::nullopt;
    }
    void checkRange(const JobConfig &, std::vector<ConfigViolation> &) const override {}

protected:
    std::string rangeText() const override { return "string values"; }

private:
    Access m_access;
};

// ---------------------------------------------------------------------------------------------
// Builders, so that a table entry reads as key, field, valid values, description

using OptionPtr = std::unique_ptr<const ConfigOption>;

template <typename Access>
OptionPtr integer(std::string_view key, Access access, IntRange range, Spec spec)
{
    return std::make_unique<IntegerOption<Access>>(key, access, range, spec);
}
template <typename Access>
OptionPtr real(std::string_view key, Access access, RealRange range, Spec spec)
{
    return std::make_unique<RealOption<Access>>(key, access, range, spec);
}
template <typename Access>
OptionPtr boolean(std::string_view key, Access access, Spec spec)
{
    return std::make_unique<BooleanOption<Access>>(key, access, spec);
}
template <typename Access>
OptionPtr string(std::string_view key, Access access, Spec spec)
{
    return std::make_unique<StringOption<Access>>(key, access, false, spec);
}
template <typename Access>
OptionPtr nonEmptyString(std::string_view key, Access access, Spec spec)
{
    return std::make_unique<StringOption<Access>>(key, access, true, spec);
}
template <typename Access>
OptionPtr choice(std::string_view key, Access access, std::vector<std::pair<std::string_view, FieldOf<Access>>> choices,
                 Spec spec)
{
    return std::make_unique<ChoiceOption<Access>>(key, access, std::move(choices), spec);
}
// A string field restricted to a few names.
template <typename Access>
OptionPtr nameChoice(std::string_view key, Access access, std::initializer_list<std::string_view> names, Spec spec)
{
    std::vector<std::pair<std::string_view, std::string>> choices;
    for (std::string_view n : names)
        choices.emplace_back(n, std::string(n));
    return std::make_unique<ChoiceOption<Access>>(key, access, std::move(choices), spec);
}
template <typename Access>
OptionPtr integerList(std::string_view key, Access access, IntRange each, Spec spec)
{
    return std::make_unique<IntegerListOption<Access>>(key, access, each, spec);
}
template <typename Access>
OptionPtr stringMap(std::string_view key, Access access, Spec spec)
{
    return std::make_unique<StringMapOption<Access>>(key, access, spec);
}

// The JobConfig field an option binds, e.g. TALLY_FIELD(runtime.parallelism). A lambda rather
// than a member pointer, because the fields are nested one or two structs deep.
#define TALLY_FIELD(path) [](auto &c) -> auto & { return c.path; }

// ---------------------------------------------------------------------------------------------
// The table, in the order of the file

std::vector<OptionPtr> buildTable()
{
    std::vector<OptionPtr> t;
    auto add = [&t](OptionPtr o) { t.push_back(std::move(o)); };

    add(choice("source.type", TALLY_FIELD(source.type),
               {{"generator", SourceConfig::Type::Generator}, {"kafka", SourceConfig::Type::Kafka}},
               {.doc = "Where events come from: \"generator\" (the built-in synthetic stream, [source.generator]) or "
                       "\"kafka\" (a topic, [source.kafka]). --kafka sets \"kafka\"."}));

    // The generator defaults are a live demo: 20000 likes/s whose event time follows the wall clock.
    add(integer("source.generator.seed", TALLY_FIELD(source.generator.seed), anyInteger(),
                {.doc = "Random seed; the same seed and configuration reproduce the same stream."}));
    add(integer("source.generator.total_events", TALLY_FIELD(source.generator.totalEvents), anyInteger(),
                {.unit = "events", .doc = "Events to generate before the source ends; 0 = unbounded. --events sets it."}));
    add(real("source.generator.events_per_second", TALLY_FIELD(source.generator.eventsPerSecond), atLeastReal(0),
             {.unit = "events per second",
              .doc = "Wall-clock pacing; 0 = as fast as the job can consume. --rate sets it."}));
    add(integer("source.generator.partitions", TALLY_FIELD(source.generator.partitions), atLeast(1),
                {.unit = "partitions", .doc = "Source partitions, like Kafka partitions: each has its own watermark."}));
    add(integer("source.generator.start_time_ms", TALLY_FIELD(source.generator.startTimeMs), atLeast(0),
                {.unit = "ms since the Unix epoch",
                 .doc = "Event time of the first event; 0 = the wall clock when the job starts. With event_time_rate "
                        "equal to events_per_second, event time then follows the clock; a fixed start and "
                        "events_per_second = 0 replay a reproducible stream as fast as possible."}));
    add(real("source.generator.event_time_rate", TALLY_FIELD(source.generator.eventTimeRate), aboveReal(0),
             {.unit = "events per second of event time", .doc = "Density of the stream in event time."}));
    add(integer("source.generator.posts", TALLY_FIELD(source.generator.posts), atLeast(1),
                {.unit = "posts", .doc = "Distinct posts, ids 1..posts."}));
    add(real("source.generator.post_skew", TALLY_FIELD(source.generator.postSkew), aboveReal(0),
             {.doc = "Zipf exponent of post popularity; larger = a few posts take most likes."}));
    add(integer("source.generator.users", TALLY_FIELD(source.generator.users), atLeast(1),
                {.unit = "users", .doc = "Distinct users, ids 1..users."}));
    add(real("source.generator.spam_user_fraction", TALLY_FIELD(source.generator.spamUserFraction), fraction(),
             {.unit = "fraction", .doc = "Share of users that are spammers (the default is 50 of 1M users)."}));
    add(real("source.generator.spam_share", TALLY_FIELD(source.generator.spamShare), fraction(),
             {.unit = "fraction", .doc = "Share of all events produced by spammers."}));
    add(real("source.generator.unlike_fraction", TALLY_FIELD(source.generator.unlikeFraction), fraction(),
             {.unit = "fraction", .doc = "Share of events that undo a like."}));
    add(real("source.generator.region_skew", TALLY_FIELD(source.generator.regionSkew), aboveReal(0),
             {.doc = "Zipf exponent over the built-in region list."}));
    add(real("source.generator.v2_fraction", TALLY_FIELD(source.generator.v2Fraction), fraction(),
             {.unit = "fraction", .doc = "Share of events in schema v2 (these carry a device type)."}));
    add(integer("source.generator.burst_every_ms", TALLY_FIELD(source.generator.burstEveryMs), atLeast(0),
                {.unit = "ms", .doc = "Event time between celebrity bursts; 0 = no bursts."}));
    add(integer("source.generator.burst_duration_ms", TALLY_FIELD(source.generator.burstDurationMs), atLeast(0),
                {.unit = "ms", .doc = "Length of one burst."}));
    add(real("source.generator.burst_share", TALLY_FIELD(source.generator.burstShare), fraction(),
             {.unit = "fraction", .doc = "Share of traffic the celebrity post takes during a burst."}));
    add(real("source.generator.mean_delay_ms", TALLY_FIELD(source.generator.meanDelayMs), atLeastReal(0),
             {.unit = "ms",
              .doc = "Mean delivery delay, exponentially distributed: the source of out-of-order events."}));
    add(real("source.generator.late_fraction", TALLY_FIELD(source.generator.lateFraction), fraction(),
             {.unit = "fraction", .doc = "Share of events delayed by the late tail."}));
    add(integer("source.generator.late_delay_ms", TALLY_FIELD(source.generator.lateDelayMs), atLeast(0),
                {.unit = "ms", .doc = "Late-tail delay, uniform in [0, late_delay_ms]."}));
    add(integer("source.generator.silent_partitions", TALLY_FIELD(source.generator.silentPartitions), atLeast(0),
                {.unit = "partitions",
                 .doc = "The last N partitions never deliver (to exercise idle-partition handling).",
                 .rules = "less than partitions"}));
    add(boolean("source.generator.serialized", TALLY_FIELD(source.generator.serialized),
                {.doc = "Deliver framed wire records (decoded by the job, as from Kafka) instead of decoded events."}));
    add(choice("source.generator.format", TALLY_FIELD(source.generator.format),
               {{"json", WireFormat::Json}, {"protobuf", WireFormat::Protobuf}},
               {.doc = "Wire format of serialized records."}));
    add(real("source.generator.malformed_fraction", TALLY_FIELD(source.generator.malformedFraction), fraction(),
             {.unit = "fraction",
              .doc = "Share of serialized records deliberately corrupted (they go to the dead-letter output)."}));

    add(string("source.kafka.bootstrap", TALLY_FIELD(source.kafka.bootstrapServers),
               {.doc = "Brokers to connect to, \"host:port[,host:port...]\". --kafka sets it (and source.type).",
                .rules = "required when source.type is \"kafka\""}));
    add(nonEmptyString("source.kafka.topic", TALLY_FIELD(source.kafka.topic),
                       {.doc = "Topic the like records are read from. --topic sets it."}));
    add(nonEmptyString("source.kafka.group", TALLY_FIELD(source.kafka.groupId),
                       {.doc = "Consumer group: instances with the same group share the topic's partitions. Offsets "
                               "are committed for lag tools only; a restore reads its savepoint's positions. --group "
                               "sets it."}));
    add(string("source.kafka.dead_letter_topic", TALLY_FIELD(source.kafka.deadLetterTopic),
               {.doc = "Topic undecodable records are published to, with headers naming the reason; \"\" = the topic "
                       "name + \".dlq\". --dead-letter-topic sets it."}));
    add(nameChoice("source.kafka.auto_offset_reset", TALLY_FIELD(source.kafka.autoOffsetReset), {"earliest", "latest"},
                   {.doc = "Where a partition without a committed offset starts reading."}));
    add(nameChoice("source.kafka.stop_at", TALLY_FIELD(source.kafka.stopAt), {"never", "end"},
                   {.doc = "\"end\": a bounded read (backfills, replays, benchmarks): the job ends, draining every window "
                           "into the database, once each partition is read up to the log-end offset it had when Tally "
                           "started; records appended later are left for the next run. One instance must own every "
                           "partition. --stop-at-end sets it."}));
    add(integer("source.kafka.session_timeout_ms", TALLY_FIELD(source.kafka.sessionTimeoutMs), between(1, 3600000),
                {.unit = "ms", .doc = "Consumer group session timeout: a member silent this long is evicted."}));
    add(integer("source.kafka.max_poll_interval_ms", TALLY_FIELD(source.kafka.maxPollIntervalMs), between(1, 86400000),
                {.unit = "ms",
                 .doc = "Longest time between polls before the group evicts the consumer. Tally keeps polling while "
                        "the job is backpressured, so this only matters if the source thread stalls.",
                 .rules = ">= session_timeout_ms"}));
    add(stringMap("source.kafka.properties", TALLY_FIELD(source.kafka.properties),
                  {.doc = "Further librdkafka settings for the consumer and the dead-letter producer, passed through "
                          "as they are: security.protocol, sasl.*, ssl.*, client.rack, fetch sizes... One line per "
                          "setting, the name quoted, e.g. \"security.protocol\" = \"SASL_SSL\". Settings that have "
                          "an option above (bootstrap.servers, group.id, ...) and the offset settings Tally manages "
                          "(enable.auto.commit, enable.auto.offset.store) are refused."}));

    add(integer("source.limits.max_record_bytes", TALLY_FIELD(source.limits.maxRecordBytes), atLeast(1),
                {.unit = "bytes", .doc = "Records larger than this are rejected as oversize."}));
    add(integer("source.limits.min_event_time_ms", TALLY_FIELD(source.limits.minEventTimeMs), anyInteger(),
                {.unit = "ms since the Unix epoch",
                 .doc = "Records with an event time before this are rejected as absurd (default 2000-01-01).",
                 .rules = "less than max_event_time_ms"}));
    add(integer("source.limits.max_event_time_ms", TALLY_FIELD(source.limits.maxEventTimeMs), anyInteger(),
                {.unit = "ms since the Unix epoch",
                 .doc = "Records with an event time after this are rejected as absurd (default 2100-01-01)."}));

    add(choice("watermark.strategy", TALLY_FIELD(watermark.strategy),
               {{"fixed", WatermarkConfig::Strategy::Fixed}, {"adaptive", WatermarkConfig::Strategy::Adaptive}},
               {.doc = "How the out-of-orderness bound is chosen: \"fixed\" (bound_ms) or \"adaptive\" (follows "
                       "the observed lateness)."}));
    add(integer("watermark.bound_ms", TALLY_FIELD(watermark.boundMs), atLeast(0),
                {.unit = "ms",
                 .doc = "Out-of-orderness bound: watermark = max event time seen - bound. Also the adaptive start "
                        "value."}));
    add(real("watermark.adaptive_quantile", TALLY_FIELD(watermark.adaptiveQuantile), openInterval(0, 1),
             {.doc = "Adaptive: the bound follows this quantile of observed lateness."}));
    add(integer("watermark.adaptive_min_ms", TALLY_FIELD(watermark.adaptiveMinMs), atLeast(0),
                {.unit = "ms", .doc = "Adaptive: lower clamp of the bound.", .rules = "<= adaptive_max_ms"}));
    add(integer("watermark.adaptive_max_ms", TALLY_FIELD(watermark.adaptiveMaxMs), anyInteger(),
                {.unit = "ms", .doc = "Adaptive: upper clamp of the bound."}));
    add(integer("watermark.idle_timeout_ms", TALLY_FIELD(watermark.idleTimeoutMs), atLeast(0),
                {.unit = "ms",
                 .doc = "A partition silent this long (processing time) stops holding the job watermark back; 0 = "
                        "never idle."}));

    add(integer("runtime.parallelism", TALLY_FIELD(runtime.parallelism), between(1, 128),
                {.unit = "tasks",
                 .doc = "Window tasks (threads); each owns a contiguous range of the 128 key groups. --parallelism "
                        "sets it."}));
    add(integer("runtime.batch_size", TALLY_FIELD(runtime.batchSize), between(1, 1'000'000),
                {.unit = "records", .doc = "Records per source poll."}));
    add(integer("runtime.queue_capacity", TALLY_FIELD(runtime.queueCapacity), atLeast(1),
                {.unit = "batches",
                 .doc = "Batches each bounded queue between stages holds; a full queue blocks its sender "
                        "(backpressure)."}));
    add(integer("runtime.decode_threads", TALLY_FIELD(runtime.decodeThreads), between(1, 16),
                {.unit = "threads",
                 .doc = "Threads decoding serialized records (JSON, Protobuf) in parallel; batches keep their order."}));
    add(integer("runtime.allowed_lateness_ms", TALLY_FIELD(runtime.allowedLatenessMs), atLeast(0),
                {.unit = "ms",
                 .doc = "Windows accept late updates this long after they fire (re-emitted as upserts); later events "
                        "go to the late output.",
                 .shapesState = true}));
    add(integer("runtime.stop_timeout_ms", TALLY_FIELD(runtime.stopTimeoutMs), above(0),
                {.unit = "ms",
                 .doc = "How long a stop (SIGTERM, Ctrl-C, the window closed) may drain: past it, the job gives up on "
                        "the rows the sink has not written (a divert buffer takes them if configured), says how many, "
                        "and tally exits with status 1, so a supervisor is never kept waiting by a dead database."}));

    add(integer("aggregations.likes_per_post.window_ms", TALLY_FIELD(likesPerPost.windowMs), above(0),
                {.unit = "ms", .doc = "Tumbling window of the net like counter per post.", .shapesState = true}));
    add(integer("aggregations.trending_hourly.window_ms", TALLY_FIELD(trendingHourly.windowMs), above(0),
                {.unit = "ms", .doc = "Tumbling window of the trending ranking.", .shapesState = true}));
    add(integer("aggregations.trending_hourly.top_k", TALLY_FIELD(trendingHourly.topK), atLeast(1),
                {.unit = "posts", .doc = "Posts kept per window.", .shapesState = true}));
    add(integerList("aggregations.likes_by_region.windows_ms", TALLY_FIELD(likesByRegion.windowsMs), above(0),
                    {.unit = "ms",
                     .doc = "Tumbling windows of the like count per region (and device type), one result stream each.",
                     .shapesState = true,
                     .rules = "1 to 16, no duplicates"}));
    add(integer("aggregations.like_velocity.size_ms", TALLY_FIELD(likeVelocity.sizeMs), above(0),
                {.unit = "ms", .doc = "Sliding window size of the like rate per post.", .shapesState = true}));
    add(integer("aggregations.like_velocity.slide_ms", TALLY_FIELD(likeVelocity.slideMs), above(0),
                {.unit = "ms", .doc = "Slide, which is also the pane length.", .shapesState = true,
                 .rules = "divides size_ms"}));
    add(real("aggregations.like_velocity.min_per_minute", TALLY_FIELD(likeVelocity.minPerMinute), aboveReal(0),
             {.unit = "likes per minute", .doc = "A post is reported once its rate reaches this.", .shapesState = true}));
    add(real("aggregations.like_velocity.viral_per_minute", TALLY_FIELD(likeVelocity.viralPerMinute), aboveReal(0),
             {.unit = "likes per minute", .doc = "Rate at which a post is flagged viral.", .shapesState = true}));
    add(real("aggregations.like_velocity.viral_acceleration", TALLY_FIELD(likeVelocity.viralAcceleration), atLeastReal(0),
             {.unit = "times", .doc = "A post at the viral rate is flagged only while its likes accelerate: the newest "
                                       "slide's rate at least this many times the window's (a popular post with a steady "
                                       "rate is not viral); 0 = the rate alone.", .shapesState = true,
              .rules = "at most size_ms / slide_ms"}));
    add(integer("aggregations.spam_suspects.size_ms", TALLY_FIELD(spamSuspects.sizeMs), above(0),
                {.unit = "ms", .doc = "Sliding window size of the likes per user.", .shapesState = true}));
    add(integer("aggregations.spam_suspects.slide_ms", TALLY_FIELD(spamSuspects.slideMs), above(0),
                {.unit = "ms", .doc = "Slide, which is also the pane length.", .shapesState = true,
                 .rules = "divides size_ms"}));
    add(integer("aggregations.spam_suspects.threshold", TALLY_FIELD(spamSuspects.threshold), atLeast(1),
                {.unit = "likes", .doc = "A user is flagged at this many likes in one window.", .shapesState = true}));
    add(integer("aggregations.spam_suspects.min_likes", TALLY_FIELD(spamSuspects.minLikes), atLeast(0),
                {.unit = "likes", .doc = "The baseline rule needs at least this many likes in the window...",
                 .shapesState = true}));
    add(real("aggregations.spam_suspects.baseline_factor", TALLY_FIELD(spamSuspects.baselineFactor), aboveReal(0),
             {.unit = "factor", .doc = "...and this many times the user's own baseline.", .shapesState = true}));
    add(integer("aggregations.spam_suspects.baseline_bucket_ms", TALLY_FIELD(spamSuspects.baselineBucketMs), above(0),
                {.unit = "ms",
                 .doc = "Baseline = the user's likes per window length, averaged over buckets of this length.",
                 .shapesState = true}));
    add(integer("aggregations.spam_suspects.baseline_buckets", TALLY_FIELD(spamSuspects.baselineBuckets), atLeast(1),
                {.unit = "buckets", .doc = "Closed buckets before the window that form the baseline.",
                 .shapesState = true}));

    add(choice("state.backend", TALLY_FIELD(state.backend),
               {{"heap", StateConfig::Backend::Heap}, {"rocksdb", StateConfig::Backend::RocksDb}},
               {.doc = "Where window state lives: \"heap\" (hash maps in memory: fastest, bounded by RAM) or "
                       "\"rocksdb\" (one embedded RocksDB per window task: bounded by disk, slower per update). "
                       "Checkpoints and savepoints have one format for both, so a job can move between them."}));
    add(nonEmptyString("state.dir", TALLY_FIELD(state.dir),
                       {.doc = "Folder for the RocksDB working copies (state.dir/task-N), relative to the working "
                               "directory. They are scratch: a job starts them empty and restores them from its "
                               "checkpoint."}));
    add(integer("state.rocksdb_block_cache_mb", TALLY_FIELD(state.rocksdbBlockCacheMb), between(1, 65536),
                {.unit = "MiB", .doc = "RocksDB block cache per task: recently read state blocks kept in memory."}));
    add(integer("state.rocksdb_cache_kb", TALLY_FIELD(state.rocksdbCacheKb), between(16, 64 << 20),
                {.unit = "KiB",
                 .doc = "Memory per task for the write-back cache of the rocksdb backend: counts are combined here "
                        "and written to RocksDB as one sorted file (one merge per key) when it is full. A hot "
                        "post's many updates become one write, and a short window that fires and expires in "
                        "between is never written. Larger: fewer writes, less compaction, faster firing."}));

    add(integer("checkpoint.interval_ms", TALLY_FIELD(checkpoint.intervalMs), atLeast(10),
                {.unit = "ms",
                 .doc = "Epoch length: every interval the job closes an epoch, and an exactly-once sink commits the "
                        "epoch's rows in one transaction once every window task has passed it. Shorter: fresher "
                        "results, more (smaller) transactions."}));
    add(nonEmptyString("checkpoint.savepoint_dir", TALLY_FIELD(checkpoint.savepointDir),
                       {.doc = "Folder that savepoints are written to (trigger savepoint, stop with savepoint, "
                               "rescale), relative to the working directory."}));
    add(boolean("checkpoint.enabled", TALLY_FIELD(checkpoint.enabled),
                {.doc = "Take a checkpoint (a savepoint file in checkpoint.dir) at every epoch barrier; a restarted "
                        "job continues from the newest good one, skipping damaged ones. Exactly-once sinks then "
                        "commit an epoch only once a checkpoint after it is on disk."}));
    add(nonEmptyString("checkpoint.dir", TALLY_FIELD(checkpoint.dir),
                       {.doc = "Folder for checkpoints, relative to the working directory."}));
    add(integer("checkpoint.retained", TALLY_FIELD(checkpoint.retained), between(1, 1000),
                {.unit = "checkpoints", .doc = "Newest checkpoints kept; older ones are deleted."}));
    add(integer("checkpoint.min_pause_ms", TALLY_FIELD(checkpoint.minPauseMs), atLeast(0),
                {.unit = "ms",
                 .doc = "One checkpoint runs at a time; an epoch barrier that comes while one is in flight, or sooner "
                        "than this after the last one ended, closes the epoch without a checkpoint (its rows commit "
                        "with the next). Raise it when checkpoints are slow, so the job gets time to process."}));
    add(integer("checkpoint.timeout_ms", TALLY_FIELD(checkpoint.timeoutMs), above(0),
                {.unit = "ms", .doc = "A checkpoint not on disk this long after its barrier fails."}));
    add(integer("checkpoint.tolerable_failures", TALLY_FIELD(checkpoint.tolerableFailures), between(0, 1000000),
                {.unit = "checkpoints",
                 .doc = "Failed checkpoints in a row that the job tolerates; one more stops it (a job that cannot "
                        "checkpoint loses more on its next crash with every epoch)."}));
    add(boolean("checkpoint.incremental", TALLY_FIELD(checkpoint.incremental),
                {.doc = "Checkpoints write only what changed since the one before. heap: the counts that changed, "
                        "naming the files they build on; rocksdb: the database files created since, naming the "
                        "ones shared with earlier checkpoints. Restores, savepoints and rescales read the same "
                        "state either way."}));
    add(integer("checkpoint.full_every", TALLY_FIELD(checkpoint.fullEvery), between(1, 10000),
                {.unit = "checkpoints",
                 .doc = "heap: at most this many incremental checkpoints build on one full checkpoint; then (or "
                        "sooner, once their changes outweigh it) the next is whole. Bounds the files a restore "
                        "reads."}));

    add(choice("output.type", TALLY_FIELD(output.type),
               {{"sqlite", OutputConfig::Type::Sqlite},
                {"postgres", OutputConfig::Type::Postgres},
                {"none", OutputConfig::Type::None}},
               {.doc = "Where window results go: \"sqlite\" (an embedded database file), \"postgres\" (a PostgreSQL "
                       "server; --postgres URL sets it) or \"none\" (discard, for benchmarks)."}));
    add(string("output.sqlite_path", TALLY_FIELD(output.sqlitePath),
               {.doc = "SQLite database file, relative to the working directory. --db sets it.",
                .rules = "not empty when type is \"sqlite\""}));
    add(string("output.postgres_url", TALLY_FIELD(output.postgresUrl),
               {.doc = "PostgreSQL connection URL (libpq syntax), e.g. \"postgresql://tally@127.0.0.1:5432/tally\".",
                .rules = "required when type is \"postgres\""}));
    add(integer("output.postgres_pool_size", TALLY_FIELD(output.postgresPoolSize), between(1, 64),
                {.unit = "connections", .doc = "PostgreSQL connections open at most."}));
    add(choice("output.delivery", TALLY_FIELD(output.delivery),
               {{"exactly_once", Delivery::ExactlyOnce}, {"at_least_once", Delivery::AtLeastOnce}},
               {.doc = "\"exactly_once\": rows are staged per epoch and committed with it in one transaction that "
                       "also records the epoch, so a replayed commit changes nothing. \"at_least_once\": rows are "
                       "written as batches fill (lower latency; upserts keep replays harmless)."}));
    add(integer("output.batch_rows", TALLY_FIELD(output.batchRows), between(1, 1000000),
                {.unit = "rows", .doc = "A batch is written when it holds this many rows..."}));
    add(integer("output.batch_ms", TALLY_FIELD(output.batchMs), above(0),
                {.unit = "ms", .doc = "...or when its oldest row has waited this long, whichever comes first."}));
    add(integer("output.max_pending_rows", TALLY_FIELD(output.maxPendingRows), anyInteger(),
                {.unit = "rows",
                 .doc = "Writable rows held in memory (database slow or down) before the job is held back.",
                 .rules = ">= batch_rows"}));
    add(integer("output.retry_initial_ms", TALLY_FIELD(output.retryInitialMs), above(0),
                {.unit = "ms", .doc = "A failed write is retried after this delay, doubling per failure..."}));
    add(integer("output.retry_max_ms", TALLY_FIELD(output.retryMaxMs), anyInteger(),
                {.unit = "ms", .doc = "...up to this delay; each delay is jittered to 50-100% of its step.",
                 .rules = ">= retry_initial_ms"}));
    add(integer("output.breaker_failures", TALLY_FIELD(output.breakerFailures), between(1, 1000),
                {.unit = "failures",
                 .doc = "Consecutive failed writes that open the circuit breaker (no writes while open)."}));
    add(integer("output.breaker_open_ms", TALLY_FIELD(output.breakerOpenMs), above(0),
                {.unit = "ms", .doc = "How long the breaker stays open before one trial write."}));
    add(string("output.divert_path", TALLY_FIELD(output.divertPath),
               {.doc = "Local SQLite file that divert spills results to while the database is unreachable; they are "
                       "replayed in order when it is back. \"\" = divert unavailable."}));
    add(nonEmptyString("output.job_id", TALLY_FIELD(output.jobId),
                       {.doc = "Name under which this job's committed epochs are recorded (table sink_commits); jobs "
                               "that share a database need different names."}));

    add(boolean("web.enabled", TALLY_FIELD(web.enabled),
                {.doc = "Serve the web console (same pages and actions as the desktop, plus /metrics and the REST "
                        "API). --no-web turns it off."}));
    add(nonEmptyString("web.address", TALLY_FIELD(web.address),
                       {.doc = "Listen address. Anything but a loopback address (127.0.0.1, ::1, localhost) is "
                               "refused unless tokens_file is set. --web-address sets it."}));
    add(integer("web.port", TALLY_FIELD(web.port), between(0, 65535),
                {.doc = "TCP port; 0 picks a free one (the startup line names it). --web-port sets it."}));
    add(string("web.tokens_file", TALLY_FIELD(web.tokensFile),
               {.doc = "Token file: one token per line, \"ROLE USER SHA256HEX\" (role viewer or operator; the hex is "
                       "the SHA-256 of the token, printed by `tally --hash-web-token TOKEN`); '#' starts a comment. "
                       "\"\" = a one-time operator token for this run, printed in the startup line (loopback "
                       "only). --web-tokens sets it."}));
    add(string("web.tls_cert", TALLY_FIELD(web.tlsCert),
               {.doc = "PEM certificate (chain): with tls_key set too, the console speaks HTTPS only. \"\" = plain "
                       "HTTP.",
                .rules = "set together with tls_key"}));
    add(string("web.tls_key", TALLY_FIELD(web.tlsKey),
               {.doc = "PEM private key of tls_cert.", .rules = "set together with tls_cert"}));
    add(string("web.public_origin", TALLY_FIELD(web.publicOrigin),
               {.doc = "The origin browsers see behind a reverse proxy, e.g. \"https://tally.example.com\": accepted "
                       "as Host and Origin in addition to the bound address and localhost. \"\" = none.",
                .rules = "starts with http:// or https://"}));
    add(integer("web.max_request_bytes", TALLY_FIELD(web.maxRequestBytes), between(1, 16777216),
                {.unit = "bytes",
                 .doc = "Largest request body accepted; a larger Content-Length is answered 413 before the body is "
                        "read."}));
    add(real("web.rate_limit_per_second", TALLY_FIELD(web.rateLimitPerSecond), aboveReal(0),
             {.unit = "requests per second",
              .doc = "Requests a client address may make per second on average (token bucket)..."}));
    add(integer("web.rate_limit_burst", TALLY_FIELD(web.rateLimitBurst), atLeast(1),
                {.unit = "requests", .doc = "...and the burst allowed above that; more are answered 429."}));

    add(string("alerts.webhook_url", TALLY_FIELD(alerts.webhookUrl),
               {.doc = "Each alert that fires or resolves is posted here as an Alertmanager webhook message (JSON "
                       "with status, labels, annotations.runbook_url), retried with backoff until delivered. \"\" "
                       "= alerts show only on the consoles and in the log.",
                .rules = "starts with http:// or https://"}));
    add(string("alerts.runbook_url", TALLY_FIELD(alerts.runbookUrl),
               {.doc = "Runbook link of each alert, {rule} replaced by the rule's id (e.g. "
                       "\"https://wiki.example.com/tally/{rule}\"). \"\" = the web console's Alerts page (at "
                       "web.public_origin when set) with the rule's runbook open."}));
    add(integer("alerts.stale_after_ms", TALLY_FIELD(alerts.staleAfterMs), atLeast(0),
                {.unit = "ms",
                 .doc = "The database counts as stale when it is this far behind the present (its freshness: every "
                        "window ending before the present minus this is stored): /readyz answers 503 and the "
                        "results_stale alert fires (its threshold starts here and can be changed on the consoles). "
                        "0 = off, e.g. for a replay of old event time.",
                 .rules = "0 or >= 1000"}));
    return t;
}

#undef TALLY_FIELD

// What each table of the file is about, written above its first key.
constexpr std::pair<std::string_view, std::string_view> kTableDocs[] = {
    {"source.generator", "The built-in synthetic stream (source.type = \"generator\"): skewed posts, spammers, "
                         "celebrity bursts, out-of-order and late events, optionally as framed wire records."},
    {"source.kafka", "A Kafka topic (source.type = \"kafka\"), consumed as a member of a consumer group with "
                     "cooperative-sticky assignment; offsets are Tally's, never auto-committed."},
    {"source.limits", "Records outside these limits go to the dead-letter output with a reason."},
    {"watermark", "Event-time progress: the watermark per partition is its max event time minus the bound; the "
                  "job watermark is the minimum over partitions that are not idle."},
    {"runtime", "Worker tasks and the bounded queues between the stages."},
    {"aggregations.likes_per_post", "likes_per_post: net likes (like - unlike) per post."},
    {"aggregations.trending_hourly", "trending_hourly: like count and top-K posts per window."},
    {"aggregations.likes_by_region", "likes_by_region: like count per region (and device type for v2 events)."},
    {"aggregations.like_velocity", "like_velocity: likes per minute per post over a sliding window; \"viral\" "
                                   "flag over a threshold."},
    {"aggregations.spam_suspects", "spam_suspects: likes per user over a sliding window; flagged over a threshold "
                                   "or far above the user's own baseline."},
    {"state", "The keyed window state."},
    {"checkpoint", "Epochs, checkpoints and savepoints."},
    {"output", "The sink that window results, dead letters and late events are written to."},
    {"web", "The web console: where it listens, who may use it, and its limits."},
};

const std::vector<OptionPtr> &table()
{
    static const std::vector<OptionPtr> options = buildTable();
    return options;
}

// ---------------------------------------------------------------------------------------------
// Writing the documented file

constexpr size_t kWidth = 100;

// `text` as comment lines of at most kWidth columns.
std::string comment(std::string_view text)
{
    std::string out;
    std::string line = "#";
    size_t begin = 0;
    while (begin < text.size()) {
        size_t end = text.find(' ', begin);
        if (end == std::string_view::npos)
            end = text.size();
        const std::string_view word = text.substr(begin, end - begin);
        if (line.size() > 1 && line.size() + 1 + word.size() > kWidth) {
            out += line + "\n";
            line = "#";
        }
        line += " ";
        line += word;
        begin = end + 1;
    }
    if (line.size() > 1)
        out += line + "\n";
    return out;
}

std::string defaultLine(const ConfigOption &o, const JobConfig &defaults)
{
    std::string details(o.unit());
    if (const std::string valid = o.validValues(); !valid.empty())
        details += (details.empty() ? "" : ", ") + valid;
    std::string line = "Default " + (o.type() == ConfigOption::Type::StringMap ? std::string("none") : o.toml(defaults));
    if (!details.empty())
        line += " (" + details + ")";
    line += ".";
    if (o.shapesState())
        line += " A savepoint taken with another value cannot be restored.";
    return line;
}

} // namespace

const std::vector<const ConfigOption *> &configOptions()
{
    static const std::vector<const ConfigOption *> options = [] {
        std::vector<const ConfigOption *> v;
        for (const OptionPtr &o : table())
            v.push_back(o.get());
        return v;
    }();
    return options;
}

const ConfigOption *findConfigOption(std::string_view key)
{
    for (const ConfigOption *o : configOptions()) {
        if (o->key() == key)
            return o;
        if (o->type() == ConfigOption::Type::StringMap && key.size() > o->key().size() + 1 && key.starts_with(o->key()) &&
            key[o->key().size()] == '.')
            return o;
    }
    return nullptr;
}

std::string writeConfigToml(const JobConfig &config)
{
    const JobConfig defaults;
    std::string out =
        comment("The Tally job configuration: every option with its description, unit, valid values and default.") +
        "#\n" +
        comment("Every key is optional; a key left out keeps its default. Times are milliseconds (keys ending in "
                "_ms), fractions are shares between 0 and 1. Unknown keys, wrong types and out-of-range values stop "
                "Tally at startup with the line, the key and the reason. `tally --set KEY=VALUE` overrides one key "
                "on the command line, e.g. --set runtime.parallelism=4.") +
        "#\n" +
        comment("This file is generated from the option table (engine/runtime/job_options.cpp): `tally "
                "--print-default-config` prints it, `cmake --build build --target update_default_config` rewrites "
                "resources/tally.toml.");
    std::string_view table;
    for (const ConfigOption *o : configOptions()) {
        if (o->table() != table) {
            table = o->table();
            out += "\n[" + std::string(table) + "]\n";
            for (const auto &[name, doc] : kTableDocs)
                if (name == table)
                    out += comment(doc);
        }
        out += comment(o->doc()) + comment(defaultLine(*o, defaults));
        if (o->type() == ConfigOption::Type::StringMap)
            out += o->toml(config);
        else
            out += std::string(o->name()) + " = " + o->toml(config) + "\n";
    }
    return out;
}

} // namespace tally
