#include "models/action_catalogue.h"

#include "state/key_groups.h"

#include <QtGlobal>

#include <algorithm>
#include <cmath>

namespace tally {

namespace {

constexpr const char *kContext = "tally::ActionCatalogue";

UiText text(const char *source) { return UiText(kContext, source); }

std::vector<ActionSpec> buildCatalogue()
{
    using A = OperatorAction;
    using S = ActionSpec::Subject;
    std::vector<ActionSpec> all = {
        {A::PauseSource, QStringLiteral("pause_source"), S::Source,
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "&Pause source")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue",
                                "Stops reading input until the source is resumed; what was read is still counted and written.")),
         {}, {}, QStringLiteral("Ctrl+Shift+P")},
        {A::ResumeSource, QStringLiteral("resume_source"), S::Source,
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "&Resume source")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Reads input again after a pause.")), {}, {},
         QStringLiteral("Ctrl+Shift+R")},
        {A::DrainSink, QStringLiteral("drain_sink"), S::Sink, text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "&Drain sink")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue",
                                "Writes every pending result, then holds new ones until sink writes are resumed.")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Drain the sink now? Everything pending is written, then new "
                                                          "results are held until you resume writes.")),
         {}, QStringLiteral("Ctrl+Shift+D")},
        {A::ResumeSink, QStringLiteral("resume_sink"), S::Sink,
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Resume sink &writes")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Writes the held results and every new one again after a drain.")),
         {}, {}, {}},
        {A::DivertSink, QStringLiteral("divert_sink"), S::Sink,
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Di&vert sink to local buffer")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "While the database is unreachable, spills results to the local "
                                                          "buffer (output.divert_path) instead of holding them in memory.")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Divert the sink to the local buffer now? Results are spilled to "
                                                          "disk while the database is down and replayed later.")),
         {}, {}},
        {A::UndivertSink, QStringLiteral("undivert_sink"), S::Sink,
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Stop diverting")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue",
                                "Holds results in memory again during an outage; the local buffer still replays.")),
         {}, {}, {}},
        {A::TriggerSavepoint, QStringLiteral("trigger_savepoint"), S::Job,
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Trigger &savepoint")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue",
                                "Writes a savepoint into checkpoint.savepoint_dir; the job keeps running.")),
         {}, {}, QStringLiteral("Ctrl+Shift+S")},
        {A::StopWithSavepoint, QStringLiteral("stop_with_savepoint"), S::Job,
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "S&top with savepoint")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue",
                                "Writes a savepoint, then stops the job; Tally can continue from it (--restore).")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Stop the job with a savepoint now? Counting stops until Tally "
                                                          "is started again from the savepoint.")),
         {}, {}},
        {A::Rescale, QStringLiteral("rescale"), S::Job, text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Resc&ale")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Stops the job with a savepoint and continues from it in this "
                                                          "process with another number of window tasks.")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Rescale now? The job stops with a savepoint and continues "
                                                          "from it at the new parallelism.")),
         {{QString::fromLatin1(kParallelismParameter), ActionParameter::Type::Integer,
           text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Window tasks (parallelism)")), 1, kMaxParallelism}},
         {}},
        {A::Restore, QStringLiteral("restore"), S::Job, text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Rest&ore")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Stops the job with a savepoint and continues in this process from "
                                                          "a checkpoint or savepoint on disk.")),
         text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Restore now? The job stops with a savepoint and continues from "
                                                          "the chosen file; what came after it is counted again.")),
         {{QString::fromLatin1(kRestoreFromParameter), ActionParameter::Type::RestorePoint,
           text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "Checkpoint or savepoint")), 0, 0}},
         {}},
    };
    for (size_t i = 0; i < all.size(); ++i)
        Q_ASSERT(static_cast<size_t>(all[i].action) == i); // spec() indexes by the enum
    return all;
}

bool isNumber(const QVariant &v)
{
    switch (v.typeId()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::LongLong:
    case QMetaType::ULongLong:
    case QMetaType::Double:
        return true;
    default:
        return false;
    }
}

} // namespace

const std::vector<ActionSpec> &ActionCatalogue::all()
{
    static const std::vector<ActionSpec> catalogue = buildCatalogue();
    return catalogue;
}

const ActionSpec &ActionCatalogue::spec(OperatorAction action) { return all()[static_cast<size_t>(action)]; }

const ActionSpec *ActionCatalogue::find(QStringView name)
{
    for (const ActionSpec &s : all())
        if (s.name == name)
            return &s;
    return nullptr;
}

QString ActionCatalogue::subjectName(ActionSpec::Subject subject)
{
    switch (subject) {
    case ActionSpec::Subject::Source:
        return QStringLiteral("source");
    case ActionSpec::Subject::Sink:
        return QStringLiteral("sink");
    case ActionSpec::Subject::Job:
        return QStringLiteral("job");
    }
    return {};
}

QString ActionCatalogue::typeName(ActionParameter::Type type)
{
    switch (type) {
    case ActionParameter::Type::Integer:
        return QStringLiteral("integer");
    case ActionParameter::Type::RestorePoint:
        return QStringLiteral("restore_point");
    }
    return {};
}

std::optional<UiText> ActionCatalogue::checkParameters(OperatorAction action, const QVariantMap &parameters)
{
    const ActionSpec &s = spec(action);
    for (auto it = parameters.begin(); it != parameters.end(); ++it) {
        const auto known = std::find_if(s.parameters.begin(), s.parameters.end(),
                                        [&](const ActionParameter &p) { return p.name == it.key(); });
        if (known == s.parameters.end()) // the name may come from a request: keep it short
            return text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "%1 takes no parameter \"%2\""))
                .arg(s.name)
                .arg(it.key().left(64));
    }
    for (const ActionParameter &p : s.parameters) {
        if (!parameters.contains(p.name))
            return text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "%1 needs the parameter \"%2\"")).arg(s.name).arg(p.name);
        const QVariant value = parameters.value(p.name);
        switch (p.type) {
        case ActionParameter::Type::Integer: {
            const double d = isNumber(value) ? value.toDouble() : std::nan("");
            if (!(d == std::floor(d) && d >= p.minimum && d <= p.maximum))
                return text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "%1 must be an integer from %2 to %3"))
                    .arg(p.name)
                    .arg(p.minimum)
                    .arg(p.maximum);
            break;
        }
        case ActionParameter::Type::RestorePoint: {
            constexpr int kLongestPath = 4096;
            if (value.typeId() != QMetaType::QString || value.toString().isEmpty() || value.toString().size() > kLongestPath)
                return text(QT_TRANSLATE_NOOP("tally::ActionCatalogue", "%1 must be the path of a checkpoint or savepoint"))
                    .arg(p.name);
            break;
        }
        }
    }
    return std::nullopt;
}

QString ActionCatalogue::withoutMnemonic(const QString &label)
{
    QString out;
    out.reserve(label.size());
    for (qsizetype i = 0; i < label.size(); ++i) {
        // "(&P)" after a label that has no such letter, as in Japanese: the whole group goes.
        if (label.mid(i, 2) == QLatin1String("(&") && i + 3 < label.size() && label[i + 2] != QLatin1Char('&') &&
            label[i + 3] == QLatin1Char(')')) {
            i += 3;
            continue;
        }
        if (label[i] == QLatin1Char('&') && i + 1 < label.size())
            ++i; // "&&" is a literal '&'; "&x" is x
        out.append(label[i]);
    }
    return out;
}

} // namespace tally
