// The action catalogue is the one description of the operator actions: per action its name in the
// audit log and the REST API, its label and description, the confirmation it asks for, its
// parameters with their ranges, and its desktop shortcut. The EngineHost checks parameters
// against it, the desktop window builds its menu and toolbar from it, and the web console serves
// it (GET /api/v1/actions) for the page to build its buttons and dialogs. Its text is English
// source text in the translation context "tally::ActionCatalogue": the desktop translates it,
// the web console and REST speak English.
#pragma once

#include "models/ui_text.h"

#include <QString>
#include <QStringView>
#include <QVariantMap>

#include <optional>
#include <vector>

namespace tally {

enum class OperatorAction {
    PauseSource,
    ResumeSource,
    DrainSink,
    ResumeSink,
    DivertSink,
    UndivertSink,
    TriggerSavepoint,
    StopWithSavepoint,
    Rescale, // parameter "parallelism"
    Restore  // parameter "from"
};

// Rescale's parameter: the window tasks of the job that continues from the savepoint.
inline constexpr char kParallelismParameter[] = "parallelism";
// Restore's parameter: the checkpoint or savepoint file to continue from.
inline constexpr char kRestoreFromParameter[] = "from";

struct ActionParameter {
    // Integer: from minimum to maximum. RestorePoint: the path of a checkpoint or savepoint the
    // job's folders hold (the consoles offer the list; the host checks the path is on it).
    enum class Type { Integer, RestorePoint };
    QString name;   // the key in the parameters (JSON body, QVariantMap, audit log)
    Type type = Type::Integer;
    UiText label;   // "Window tasks (parallelism)"
    int minimum = 0; // inclusive (Integer)
    int maximum = 0; // inclusive (Integer)
};

struct ActionSpec {
    // What the action acts on; the consoles group their buttons by it.
    enum class Subject { Source, Sink, Job };

    OperatorAction action;
    QString name;        // "pause_source": the audit log's and the REST API's name
    Subject subject;
    UiText label;        // "&Pause source": '&' marks the desktop's mnemonic (see withoutMnemonic)
    UiText description;  // one sentence: what it does
    UiText confirmation; // asked before it runs; empty: it runs at once
    std::vector<ActionParameter> parameters; // all required
    QString shortcut;    // QKeySequence portable text ("Ctrl+Shift+P"); empty: none

    bool confirms() const { return !confirmation.isEmpty(); }
    // Whether the action asks anything before it runs (a confirmation or its parameters): its
    // label then ends in "…" in menus and on buttons.
    bool asks() const { return confirms() || !parameters.empty(); }
};

class ActionCatalogue {
public:
    static const std::vector<ActionSpec> &all(); // every action, in menu order
    static const ActionSpec &spec(OperatorAction action);
    static const ActionSpec *find(QStringView name);
    static QString subjectName(ActionSpec::Subject subject); // "source", "sink", "job"
    static QString typeName(ActionParameter::Type type);     // "integer", "restore_point"

    // Why `parameters` are not right for `action` (an unknown or missing parameter, a value of
    // the wrong type or out of range), or nothing when they are. Integers may come as whole
    // doubles (JSON numbers).
    static std::optional<UiText> checkParameters(OperatorAction action, const QVariantMap &parameters);

    // A label without its mnemonic marker ("&Pause source" -> "Pause source", "&&" -> "&", and a
    // translation's "(&P)" group as a whole), for the web console, tooltips and dialog titles.
    static QString withoutMnemonic(const QString &label);
};

} // namespace tally
