// A UiText is user-visible text as the models produce it: an English source string, marked for
// lupdate (QT_TR_NOOP / QT_TRANSLATE_NOOP) in its translation context, with the arguments for its
// %1, %2, ... (UiTexts themselves, or verbatim text such as names and numbers). Models never
// translate: english() is what the REST API, the audit log and the headless output say, and the
// desktop views show translated(text) (views/translation.h) in the user's language.
#pragma once

#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <string_view>

namespace tally {

class UiText {
public:
    UiText() = default; // empty
    // `context` and `source` must outlive the text: a class name from a meta-object, and a string
    // literal that lupdate finds (QT_TR_NOOP in a member of that class, or QT_TRANSLATE_NOOP).
    UiText(const char *context, const char *source) : m_context(context), m_source(source) {}
    // Text shown as it is, in every language: names, numbers, paths, engine messages.
    static UiText verbatim(QString text);
    static UiText verbatim(std::string_view text);

    // Texts one after the other ("postgres: " + "open" + ", holding writes (drained)").
    friend UiText operator+(const UiText &a, const UiText &b);

    // The text with its next placeholder filled in (%1 first, then %2, ...).
    UiText arg(const UiText &value) const;
    UiText arg(const QString &value) const { return arg(verbatim(value)); }
    UiText arg(qint64 value) const { return arg(verbatim(QString::number(value))); }

    bool isEmpty() const { return !m_source && m_verbatim.isEmpty() && m_args.isEmpty(); }
    const char *context() const { return m_context; }
    const char *source() const { return m_source; }

    // The text with every source string replaced by lookup(context, source) (the views pass a
    // translator; english() passes the source itself) and the arguments filled in.
    using Lookup = QString (*)(const char *context, const char *source);
    QString render(Lookup lookup) const;
    QString english() const;

    friend bool operator==(const UiText &a, const UiText &b);

private:
    const char *m_context = nullptr;
    const char *m_source = nullptr; // null: verbatim text, or the concatenation of m_args
    QString m_verbatim;
    QList<UiText> m_args; // the placeholders' values, or the parts of a concatenation
};

// Fills %1..%99 in `pattern` with `args` in one pass, so an argument's own "%1" stays as it is.
// Placeholders without an argument are left in place.
QString fillPlaceholders(const QString &pattern, const QStringList &args);

} // namespace tally

Q_DECLARE_METATYPE(tally::UiText)
