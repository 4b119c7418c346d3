// Writing the text exposition: unit conversion to base units, escaping, and cumulative buckets
// from the registry's log-linear histogram.
#include "metrics/prometheus_text.h"

#include <array>
#include <charconv>
#include <cmath>

namespace tally {

namespace {

struct UnitRename {
    std::string_view token; // a whole "_"-separated word of the name
    double scale;
};

constexpr std::array kTimeUnits{UnitRename{"ms", 1e-3}, UnitRename{"us", 1e-6}, UnitRename{"nanoseconds", 1e-9},
                                UnitRename{"milliseconds", 1e-3}, UnitRename{"microseconds", 1e-6}};

void appendNumber(std::string &out, double v)
{
    if (std::isnan(v)) {
        out += "NaN";
        return;
    }
    if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
        return;
    }
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

// A value registered in ms or us, in seconds: 15 significant digits, so that 15 us is 1.5e-05
// and not the 1.4999999999999999e-05 of the product's shortest exact form.
void appendScaled(std::string &out, double v, double scale)
{
    if (scale == 1 || !std::isfinite(v)) {
        appendNumber(out, v * scale);
        return;
    }
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v * scale, std::chars_format::general, 15);
    out.append(buf, r.ptr);
}

void appendEscaped(std::string &out, std::string_view s, bool quotes)
{
    for (char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && quotes)
            out += "\\\"";
        else
            out += c;
    }
}

void appendLabels(std::string &out, const Labels &labels, std::string_view extraName = {}, std::string_view extraValue = {})
{
    if (labels.empty() && extraName.empty())
        return;
    out += '{';
    bool first = true;
    for (const auto &[k, v] : labels) {
        if (!first)
            out += ',';
        first = false;
        out += k;
        out += "=\"";
        appendEscaped(out, v, true);
        out += '"';
    }
    if (!extraName.empty()) {
        if (!first)
            out += ',';
        out += extraName;
        out += "=\"";
        out += extraValue;
        out += '"';
    }
    out += '}';
}

} // namespace

PrometheusName prometheusName(std::string_view registered)
{
    // Split into words and replace the first time-unit word.
    std::string out;
    double scale = 1;
    bool renamed = false;
    size_t begin = 0;
    while (begin <= registered.size()) {
        size_t end = registered.find('_', begin);
        if (end == std::string_view::npos)
            end = registered.size();
        std::string_view word = registered.substr(begin, end - begin);
        if (!renamed && begin > 0) {
            for (const UnitRename &u : kTimeUnits) {
                if (word == u.token) {
                    word = "seconds";
                    scale = u.scale;
                    renamed = true;
                    break;
                }
            }
        }
        if (begin > 0)
            out += '_';
        out += word;
        begin = end + 1;
    }
    return {out, scale};
}

std::string prometheusText(const MetricsSnapshot &snapshot)
{
    std::string out;
    out.reserve(snapshot.samples.size() * 96);
    // Samples come sorted by (name, labels), so a family's samples are adjacent.
    std::string_view family;
    PrometheusName exported;
    for (const MetricSample &s : snapshot.samples) {
        if (s.name != family) {
            family = s.name;
            exported = prometheusName(s.name);
            out += "# HELP ";
            out += exported.name;
            out += ' ';
            if (s.help.empty())
                appendEscaped(out, s.name, false);
            else
                appendEscaped(out, s.help, false);
            if (exported.scale != 1) {
                out += " (exported in seconds; registered as ";
                out += s.name;
                out += ')';
            }
            out += "\n# TYPE ";
            out += exported.name;
            out += ' ';
            out += metricKindName(s.kind);
            out += '\n';
        }
        if (s.kind != MetricKind::Histogram) {
            out += exported.name;
            appendLabels(out, s.labels);
            out += ' ';
            appendScaled(out, s.value, exported.scale);
            out += '\n';
            continue;
        }
        const HistogramSnapshot &h = s.histogram;
        // Cumulative counts at le = 2^k - 1: bucket i holds [lower(i), upper(i)], and 2^k - 1 is
        // always some bucket's upper bound, so each count is exact.
        uint64_t cumulative = 0;
        size_t next = 0;
        for (unsigned k = 0; k <= HistogramSnapshot::kMaxValueBits; ++k) {
            const uint64_t bound = (uint64_t(1) << k) - 1;
            while (next < h.bucketCounts.size() && HistogramSnapshot::bucketUpperBound(next) <= bound)
                cumulative += h.bucketCounts[next++];
            std::string leText;
            appendScaled(leText, double(bound), exported.scale);
            out += exported.name;
            out += "_bucket";
            appendLabels(out, s.labels, "le", leText);
            out += ' ';
            appendNumber(out, double(cumulative));
            out += '\n';
        }
        out += exported.name;
        out += "_bucket";
        appendLabels(out, s.labels, "le", "+Inf");
        out += ' ';
        appendNumber(out, double(h.count));
        out += '\n';
        out += exported.name;
        out += "_sum";
        appendLabels(out, s.labels);
        out += ' ';
        appendScaled(out, h.sum, exported.scale);
        out += '\n';
        out += exported.name;
        out += "_count";
        appendLabels(out, s.labels);
        out += ' ';
        appendNumber(out, double(h.count));
        out += '\n';
    }
    return out;
}

} // namespace tally
