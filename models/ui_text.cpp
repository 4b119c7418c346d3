#include "models/ui_text.h"

#include <cstring>

namespace tally {

UiText UiText::verbatim(QString text)
{
    UiText t;
    t.m_verbatim = std::move(text);
    return t;
}

UiText UiText::verbatim(std::string_view text)
{
    return verbatim(QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size())));
}

UiText operator+(const UiText &a, const UiText &b)
{
    if (a.isEmpty())
        return b;
    if (b.isEmpty())
        return a;
    UiText t;
    for (const UiText &part : {a, b}) {
        if (!part.m_source && part.m_verbatim.isEmpty())
            t.m_args.append(part.m_args); // already a concatenation
        else
            t.m_args.append(part);
    }
    return t;
}

UiText UiText::arg(const UiText &value) const
{
    Q_ASSERT(m_source); // a verbatim text or a concatenation has no placeholders
    UiText t = *this;
    t.m_args.append(value);
    return t;
}

QString UiText::render(Lookup lookup) const
{
    if (!m_source) {
        QString joined = m_verbatim;
        for (const UiText &part : m_args)
            joined += part.render(lookup);
        return joined;
    }
    const QString pattern = lookup(m_context, m_source);
    if (m_args.isEmpty())
        return pattern;
    QStringList args;
    args.reserve(m_args.size());
    for (const UiText &a : m_args)
        args.append(a.render(lookup));
    return fillPlaceholders(pattern, args);
}

QString UiText::english() const
{
    return render([](const char *, const char *source) { return QString::fromUtf8(source); });
}

bool operator==(const UiText &a, const UiText &b)
{
    const auto same = [](const char *x, const char *y) { return x == y || (x && y && std::strcmp(x, y) == 0); };
    return same(a.m_context, b.m_context) && same(a.m_source, b.m_source) && a.m_verbatim == b.m_verbatim &&
           a.m_args == b.m_args;
}

QString fillPlaceholders(const QString &pattern, const QStringList &args)
{
    QString out;
    out.reserve(pattern.size());
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        const QChar c = pattern[i];
        if (c != QLatin1Char('%') || i + 1 >= pattern.size() || !pattern[i + 1].isDigit()) {
            out.append(c);
            continue;
        }
        qsizetype end = i + 1;
        int n = 0;
        while (end < pattern.size() && pattern[end].isDigit() && end - i <= 2)
            n = n * 10 + pattern[end++].digitValue();
        if (n >= 1 && n <= args.size()) {
            out.append(args[n - 1]);
            i = end - 1;
        } else {
            out.append(c);
        }
    }
    return out;
}

} // namespace tally
