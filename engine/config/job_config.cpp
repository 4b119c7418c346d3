// Loading a job configuration: TOML text is bound key by key onto JobConfig through the option
// table (types and representability checked here), then the table's ranges and the cross-field
// rules (collectViolations(), runtime/job_config.cpp) are checked; every problem is reported as "<source>:<line>: <dotted.key>: <reason>".
// `--set KEY=VALUE` goes through the same binding, as a one-line document.
#include "config/job_config.h"

#include "runtime/config_text.h"
#include "runtime/job_options.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <utility>

namespace tally {

namespace {

using config_text::got;
using config_text::num;

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

// What a value of the option's type is called in "expected ..." messages.
std::string_view expectedName(ConfigOption::Type type)
{
    switch (type) {
    case ConfigOption::Type::Integer:
        return "integer";
    case ConfigOption::Type::Real:
        return "number";
    case ConfigOption::Type::Boolean:
        return "boolean";
    case ConfigOption::Type::String:
    case ConfigOption::Type::Choice:
        return "string";
    case ConfigOption::Type::IntegerList:
        return "array of integers";
    case ConfigOption::Type::StringMap:
        return "table";
    }
    return "value";
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

// Binds the options present in a document onto a JobConfig and remembers each key's line, then
// reports every key of the document it did not bind. Issues are collected rather than returned on
// the first one, so an operator fixes a file in one pass.
class Binder {
public:
    explicit Binder(const toml::table &root) : m_root(root) {}

    std::vector<Issue> issues;

    void bindAll(JobConfig &c)
    {
        for (const ConfigOption *o : configOptions())
            bindOption(*o, c);
    }

    // Reports every key in the document that no option asked for, and tables given as values.
    void checkUnknownKeys() { checkTable(m_root, {}); }

    // The line to blame for a violation: its own key, then the related keys, then the nearest
    // enclosing table that appears in the file.
    uint32_t lineFor(const ConfigViolation &v) const
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
    void bindOption(const ConfigOption &o, JobConfig &c)
    {
        const std::string key(o.key());
        const toml::node *n = bind(key);
        if (!n)
            return;
        ConfigValue value;
        switch (o.type()) {
        case ConfigOption::Type::Integer:
            if (const auto *v = n->as_integer())
                value = v->get();
            else
                return wrongType(key, *n, expectedName(o.type()));
            break;
        case ConfigOption::Type::Real: {
            // An integer is a fine way to write a real number ("viral_per_minute = 100").
            double x = 0;
            if (const auto *i = n->as_integer())
                x = double(i->get());
            else if (const auto *f = n->as_floating_point())
                x = f->get();
            else
                return wrongType(key, *n, expectedName(o.type()));
            if (!std::isfinite(x))
                return report(key, *n, "must be a finite number" + got(num(x)));
            value = x;
            break;
        }
        case ConfigOption::Type::Boolean:
            if (const auto *v = n->as_boolean())
                value = v->get();
            else
                return wrongType(key, *n, expectedName(o.type()));
            break;
        case ConfigOption::Type::String:
        case ConfigOption::Type::Choice:
            if (const auto *v = n->as_string())
                value = v->get();
            else
                return wrongType(key, *n, expectedName(o.type()));
            break;
        case ConfigOption::Type::IntegerList: {
            const auto *a = n->as_array();
            if (!a)
                return wrongType(key, *n, expectedName(o.type()));
            std::vector<int64_t> values;
            bool ok = true;
            for (size_t i = 0; i < a->size(); ++i) {
                const toml::node &element = *a->get(i);
                const std::string elementKey = key + "[" + num(i) + "]";
                m_lines[elementKey] = element.source().begin.line;
                if (const auto *v = element.as_integer()) {
                    values.push_back(v->get());
                } else {
                    wrongType(elementKey, element, "integer");
                    ok = false;
                }
            }
            if (!ok)
                return;
            value = std::move(values);
            break;
        }
        case ConfigOption::Type::StringMap: {
            const auto *t = n->as_table();
            if (!t)
                return wrongType(key, *n, expectedName(o.type()));
            std::map<std::string, std::string> entries;
            if (!flatten(*t, key, "", entries))
                return;
            value = std::move(entries);
            break;
        }
        }
        if (std::optional<std::string> reason = o.assign(c, value))
            report(key, *n, std::move(*reason));
    }

    // The entries of a table of string settings. A bare dotted name (security.protocol = "...")
    // is a nested table to TOML; it names one setting all the same.
    bool flatten(const toml::table &t, const std::string &key, const std::string &prefix,
                 std::map<std::string, std::string> &entries)
    {
        bool ok = true;
        for (auto &&[k, node] : t) {
            const std::string name = prefix + std::string(k.str());
            const std::string entryKey = key + "." + name;
            m_lines[entryKey] = k.source().begin.line ? k.source().begin.line : node.source().begin.line;
            if (const auto *sub = node.as_table()) {
                ok = flatten(*sub, key, name + ".", entries) && ok;
            } else if (const auto *v = node.as_string()) {
                entries[name] = v->get();
            } else {
                wrongType(entryKey, node, "string");
                ok = false;
            }
        }
        return ok;
    }

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
                continue; // typed by its option
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
    std::set<std::string> m_known;       // option keys bound so far
    std::set<std::string> m_knownTables; // every proper prefix of an option key
    std::map<std::string, uint32_t> m_lines;
    std::map<std::string, uint32_t> m_tableLines;
};

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

// A command-line value as TOML: strings need no quotes there, and a list no brackets.
std::string tomlValueFor(const ConfigOption &o, std::string_view value)
{
    switch (o.type()) {
    case ConfigOption::Type::String:
    case ConfigOption::Type::Choice:
    case ConfigOption::Type::StringMap:
        if (value.starts_with('"') || value.starts_with('\''))
            return std::string(value);
        return config_text::tomlString(value);
    case ConfigOption::Type::IntegerList:
        if (value.starts_with('['))
            return std::string(value);
        return "[" + std::string(value) + "]";
    case ConfigOption::Type::Integer:
    case ConfigOption::Type::Real:
    case ConfigOption::Type::Boolean:
        break;
    }
    return std::string(value);
}

// The dotted key as TOML, each part a key of its own (a StringMap entry's name may hold dots).
std::string tomlPath(std::string_view key, const ConfigOption *o)
{
    std::string path;
    if (o && o->type() == ConfigOption::Type::StringMap) {
        path = o->key();
        path += '.';
        path += config_text::tomlString(key.substr(o->key().size() + 1));
        return path;
    }
    for (std::string_view rest = key; !rest.empty();) {
        const size_t dot = rest.find('.');
        if (!path.empty())
            path += '.';
        path += config_text::tomlKey(rest.substr(0, dot));
        rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    }
    return path;
}

} // namespace

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
    binder.bindAll(config);
    binder.checkUnknownKeys();
    if (!binder.issues.empty())
        return Status::invalidArgument(formatIssues(std::move(binder.issues), sourceName));

    std::vector<Issue> issues;
    for (const ConfigViolation &v : collectViolations(config))
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

Status setConfigOption(JobConfig &config, std::string_view key, std::string_view value)
{
    if (key.empty())
        return Status::invalidArgument("expected KEY=VALUE, the key is missing");
    const ConfigOption *option = findConfigOption(key);
    if (option && option->type() == ConfigOption::Type::StringMap && key == option->key())
        return Status::invalidArgument(std::string(key) + ": name one setting, e.g. " + std::string(key) +
                                       ".security.protocol=SASL_SSL");
    // A line break would let the value assign other keys.
    if (value.find_first_of("\r\n") != std::string_view::npos && option &&
        (option->type() == ConfigOption::Type::Integer || option->type() == ConfigOption::Type::Real ||
         option->type() == ConfigOption::Type::Boolean || option->type() == ConfigOption::Type::IntegerList))
        return Status::invalidArgument(std::string(key) + ": expected " + std::string(expectedName(option->type())) +
                                       got("\"" + std::string(value) + "\""));

    // The same binding as a file's, over a one-line document; an unknown key gets a placeholder
    // value so that the unknown-key check names it (with a near miss).
    const std::string document = tomlPath(key, option) + " = " + (option ? tomlValueFor(*option, value) : "0");
    toml::table root;
    try {
        root = toml::parse(std::string_view(document), std::string_view("--set"));
    } catch (const toml::parse_error &) {
        if (!option)
            return Status::invalidArgument(std::string(key) + ": unknown key");
        return Status::invalidArgument(std::string(key) + ": expected " + std::string(expectedName(option->type())) +
                                       got("\"" + std::string(value) + "\""));
    }
    JobConfig updated = config;
    Binder binder(root);
    binder.bindAll(updated);
    binder.checkUnknownKeys();
    std::string message;
    for (const Issue &i : binder.issues)
        message += (message.empty() ? "" : "\n") + i.key + ": " + i.reason;
    if (message.empty() && option) {
        // The option's own range now; rules that involve other keys wait for validate(), since
        // the next override may be the one that fixes them.
        std::vector<ConfigViolation> violations;
        option->checkRange(updated, violations);
        for (const ConfigViolation &v : violations)
            message += (message.empty() ? "" : "\n") + v.key + ": " + v.reason;
    }
    if (!message.empty())
        return Status::invalidArgument(std::move(message));
    config = std::move(updated);
    return Status::ok();
}

Status applyConfigOverride(JobConfig &config, std::string_view assignment)
{
    const size_t eq = assignment.find('=');
    if (eq == std::string_view::npos)
        return Status::invalidArgument("expected KEY=VALUE" + got("\"" + std::string(assignment) + "\""));
    std::string_view key = assignment.substr(0, eq);
    while (!key.empty() && key.back() == ' ')
        key.remove_suffix(1);
    while (!key.empty() && key.front() == ' ')
        key.remove_prefix(1);
    return setConfigOption(config, key, assignment.substr(eq + 1));
}

} // namespace tally
