// Config text is how the configuration writes numbers, strings and keys: in its messages
// ("(got 0.0005)") and in the TOML it generates. Private to engine/config.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdio>
#include <string>
#include <string_view>

namespace tally::config_text {

inline std::string num(std::integral auto v)
{
    return std::to_string(v);
}

inline std::string num(double v)
{
    // Shortest round-trip form, so "0.0005" is reported as written rather than as 0.000500000;
    // without an exponent where that stays readable ("0.00005", not "5e-05").
    char buf[400];
    const double magnitude = v < 0 ? -v : v;
    const bool plain = magnitude == 0 || (magnitude >= 1e-9 && magnitude < 1e15);
    auto [end, ec] = plain ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                           : std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

inline std::string got(const std::string &value)
{
    return " (got " + value + ")";
}

// A TOML float: the shortest round-trip form, with ".0" where TOML would otherwise read an integer.
inline std::string tomlReal(double v)
{
    std::string s = num(v);
    if (s.find_first_of(".eEn") == std::string::npos) // n: nan and inf are already floats
        s += ".0";
    return s;
}

// A TOML basic string: quoted, with quotes, backslashes and control characters escaped.
inline std::string tomlString(std::string_view s)
{
    std::string out = "\"";
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

// A TOML key: bare when it can be, else quoted ("security.protocol" must be quoted to stay one key).
inline std::string tomlKey(std::string_view key)
{
    const bool bare = !key.empty() && key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                            "0123456789_-") == std::string_view::npos;
    return bare ? std::string(key) : tomlString(key);
}

} // namespace tally::config_text
