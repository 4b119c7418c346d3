// A configuration option is one key of the job configuration. Each is declared once, in the table
// in options.cpp: its TOML key, the JobConfig field it sets, its type, unit, valid values, a
// one-line description and whether it shapes the keyed state. The TOML parser, the range checks
// of JobConfig::validate(), `tally --set KEY=VALUE` and the shipped resources/tally.toml all come
// from that table; an option's default is its field's value in JobConfig{}.
//
// Thread-safety: the table is built once and never changes; every function here may be called
// from any thread.
#pragma once

#include "runtime/job_config.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tally {

// A value as read from a file or a command line, before it is bound to a field.
using ConfigValue =
    std::variant<int64_t, double, bool, std::string, std::vector<int64_t>, std::map<std::string, std::string>>;

// A rule a configuration breaks: the dotted key (with "[i]" for a list element), the reason, and
// the other keys involved (where to point when the key itself is not in the file).
struct ConfigViolation {
    std::string key;
    std::string reason;
    std::vector<std::string> related;
};

class ConfigOption {
public:
    // The value kinds; each names the ConfigValue alternative assign() takes.
    enum class Type {
        Integer,     // int64_t (the field may be narrower or unsigned)
        Real,        // double (the file may write an integer)
        Boolean,     // bool
        String,      // std::string
        Choice,      // std::string, one of choices()
        IntegerList, // std::vector<int64_t>
        StringMap,   // std::map<std::string, std::string>: a table of its own, entries added
    };

    // What the table says about an option besides its key, field and range.
    struct Spec {
        std::string_view unit;  // "ms", "tasks", ...; "" when the value has none
        std::string_view doc;   // what the option does, a sentence or two
        bool shapesState = false;
        std::string_view rules; // rules involving other keys (checked by JobConfig::validate()),
                                // in words for the documentation: "divides size_ms"
    };

    virtual ~ConfigOption() = default;

    std::string_view key() const { return m_key; } // "runtime.parallelism"
    // The TOML table the key is written in ("runtime"); a StringMap option is a table itself.
    std::string_view table() const;
    std::string_view name() const; // the key within its table: "parallelism"; "" for a StringMap
    Type type() const { return m_type; }
    std::string_view unit() const { return m_spec.unit; }
    std::string_view doc() const { return m_spec.doc; }
    // A savepoint taken with another value of this option cannot be restored: the value is part of
    // the aggregation definitions that configFingerprint() records.
    bool shapesState() const { return m_spec.shapesState; }

    // The rules involving other keys, in words: "divides size_ms"; "" = none.
    std::string_view rules() const { return m_spec.rules; }
    // The valid values in words ("1..128", "> 0", "\"heap\" or \"rocksdb\"", "not empty"), with
    // rules() appended; "" = any value of the type.
    std::string validValues() const;
    virtual std::vector<std::string> choices() const { return {}; } // Choice: the names

    // The field's value in TOML syntax: "2", "\"heap\"", "[60000, 3600000]"; a StringMap gives
    // one "name = value" line per entry.
    virtual std::string toml(const JobConfig &config) const = 0;
    // Sets the field from a value of the option's Type (a mismatch is a bug). Returns why the
    // value does not fit instead: out of the field's integer type, not one of the choices. The
    // option's range is checkRange()'s business.
    virtual std::optional<std::string> assign(JobConfig &config, const ConfigValue &value) const = 0;
    // Appends what is wrong with the field's value in `config` by the option's own range.
    virtual void checkRange(const JobConfig &config, std::vector<ConfigViolation> &out) const = 0;

protected:
    ConfigOption(std::string_view key, Type type, Spec spec) : m_key(key), m_type(type), m_spec(spec) {}
    virtual std::string rangeText() const { return {}; } // validValues() without rules()

private:
    std::string_view m_key;
    Type m_type;
    Spec m_spec;
};

// What is wrong with `config`: each option's range (the table), then the rules that involve several
// keys, in the order of the table. JobConfig::validate() reports these; the TOML loader names
// their lines.
std::vector<ConfigViolation> collectViolations(const JobConfig &config);

// Every option, in the order of the configuration file.
const std::vector<const ConfigOption *> &configOptions();

// The option a dotted key names, or null. A key inside a StringMap option's table
// ("source.kafka.properties.security.protocol") names that option.
const ConfigOption *findConfigOption(std::string_view key);

// `config` as a documented TOML file: every option with its description, unit, valid values and
// default (its value in JobConfig{}), assigned its value in `config`. The shipped
// resources/tally.toml is writeConfigToml(JobConfig{}) (`tally --print-default-config`).
std::string writeConfigToml(const JobConfig &config = JobConfig{});

} // namespace tally
