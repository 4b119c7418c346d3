// tally: runs the like-counting job in this process. With a display it opens the desktop console;
// headless (--headless, or no display) it prints a live summary once a second: throughput,
// watermark, windows fired, top posts.
#include "checkpoint/checkpoint_store.h"
#include "config/job_config.h"
#include "runtime/job_options.h"
#include "source/offset_reset.h"
#include "models/alert_notifier.h"
#include "models/engine_host.h"
#include "models/prometheus_rules.h"
#include "models/snapshot_models.h"
#include "state/key_groups.h"
#include "util/sync_point.h"
#include "views/main_window.h"
#include "views/web/web_console.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <mutex>
#include <thread>
#include <sys/socket.h>
#include <unistd.h>

using namespace tally;

namespace {

int g_signalPipe[2] = {-1, -1};
std::atomic<int> g_signals{0}; // lock-free, so safe in a signal handler

// The first Ctrl-C or SIGTERM stops and drains (bounded by runtime.stop_timeout_ms); a second one
// ends the process at once, for an operator who will not wait.
void onSignal(int)
{
    if (g_signals.fetch_add(1) > 0) {
        static const char message[] = "tally: second signal: exiting without draining\n";
        [[maybe_unused]] auto n = ::write(STDERR_FILENO, message, sizeof message - 1);
        ::_exit(1);
    }
    const char c = 1;
    [[maybe_unused]] auto n = ::write(g_signalPipe[1], &c, 1);
}

// A stop drains for runtime.stop_timeout_ms and then abandons the sink; whatever still holds the
// job after that (a large checkpoint being written to a slow disk, a client library's close that
// waits for a server) gets as long again. Past that the process ends without it: what is on disk
// stays consistent (a checkpoint becomes visible only by its rename when whole, and unfinished
// ones are removed at the next start), and exactly-once sinks commit only whole epochs.
void armStopDeadline(int64_t stopTimeoutMs)
{
    static std::once_flag armed;
    std::call_once(armed, [stopTimeoutMs] {
        std::thread([stopTimeoutMs] {
            std::this_thread::sleep_for(std::chrono::milliseconds(2 * stopTimeoutMs));
            std::fprintf(stderr,
                         "tally: the job has not ended %lld ms after the stop (twice runtime.stop_timeout_ms): exiting "
                         "without it; a checkpoint it was writing is left unfinished\n",
                         static_cast<long long>(2 * stopTimeoutMs));
            std::fflush(stderr);
            ::_exit(1);
        }).detach();
    });
}

QString thousands(double v) { return QLocale::c().toString(static_cast<qlonglong>(v)); }

// Command-line options that set one configuration option each (through the option table, so a
// value is read and checked as in a file). `value` null: the option's own argument.
struct ConfigFlag {
    const char *flag;
    const char *key;
    const char *value = nullptr;
};
constexpr ConfigFlag kConfigFlags[] = {
    {"rate", "source.generator.events_per_second"},
    {"events", "source.generator.total_events"},
    {"parallelism", "runtime.parallelism"},
    {"db", "output.sqlite_path"},
    {"postgres", "output.type", "postgres"},
    {"postgres", "output.postgres_url"},
    {"kafka", "source.type", "kafka"},
    {"kafka", "source.kafka.bootstrap"},
    {"topic", "source.kafka.topic"},
    {"group", "source.kafka.group"},
    {"dead-letter-topic", "source.kafka.dead_letter_topic"},
    {"stop-at-end", "source.kafka.stop_at", "end"},
    {"web-address", "web.address"},
    {"web-port", "web.port"},
    {"web-tokens", "web.tokens_file"},
    {"no-web", "web.enabled", "false"},
};

// "(output.sqlite_path, default tally.db)": where a flag's value goes and its default.
QString configFlagNote(const char *key)
{
    const ConfigOption *option = findConfigOption(key);
    QString value = QString::fromStdString(option->toml(JobConfig{}));
    if (value.startsWith(QLatin1Char('"')) && value.endsWith(QLatin1Char('"')))
        value = value.mid(1, value.size() - 2);
    return QStringLiteral(" (%1, default %2)").arg(QLatin1String(key), value.isEmpty() ? QStringLiteral("none") : value);
}

// Builds the job configuration: the file if given, else the defaults (JobConfig{}, as printed by
// --print-default-config); then the specific flags; then every --set, in order.
Result<JobConfig> buildConfig(const QCommandLineParser &args)
{
    JobConfig config;
    if (args.isSet(QStringLiteral("config"))) {
        Result<JobConfig> loaded = loadJobConfig(args.value(QStringLiteral("config")).toStdString());
        if (!loaded.isOk())
            return loaded.status();
        config = std::move(loaded).value();
    }
    for (const ConfigFlag &f : kConfigFlags) {
        const QString flag = QString::fromLatin1(f.flag);
        if (!args.isSet(flag))
            continue;
        const std::string value = f.value ? std::string(f.value) : args.value(flag).toStdString();
        if (Status s = setConfigOption(config, f.key, value); !s.isOk())
            return Status::invalidArgument("--" + std::string(f.flag) + ": " + s.message());
    }
    // Event time keeps pace with the clock at the rate asked for, or the database would fall
    // further behind the present every second (--set source.generator.event_time_rate=N after it
    // for a denser or thinner event time).
    if (args.isSet(QStringLiteral("rate")) && config.source.generator.eventsPerSecond > 0)
        config.source.generator.eventTimeRate = config.source.generator.eventsPerSecond;
    for (const QString &assignment : args.values(QStringLiteral("set"))) {
        if (Status s = applyConfigOverride(config, assignment.toStdString()); !s.isOk())
            return Status::invalidArgument("--set: " + s.message());
    }
    if (Status s = config.validate(); !s.isOk())
        return s;
    return config;
}

// A display is there when a platform plugin can open windows: X11 or Wayland, or a platform the
// caller chose (QT_QPA_PLATFORM, e.g. offscreen in tests).
bool hasDisplay()
{
    return qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY") ||
           qEnvironmentVariableIsSet("QT_QPA_PLATFORM");
}

bool argumentGiven(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], name) == 0)
            return true;
    return false;
}

void printSummary(const EngineHost &host, bool final)
{
    const ConsoleSnapshot &s = host.snapshot();
    const JobStatus &j = s.job;
    QString line = QStringLiteral("%1 %2 ev/s | events %3 | database up to date to %4 | watermark %5 | skew %6 ms | windows %7 | rows %8 | late %9 re-fired | too late %10 (late_events) | dead letters %11")
                       .arg(final ? QStringLiteral("[final]") : QStringLiteral("[live] "))
                       .arg(thousands(s.eventsPerSecond), thousands(static_cast<double>(j.eventsIn)),
                            formatFreshness(s.freshness).english(), formatEventTime(j.watermarkMs).english())
                       .arg(j.watermarkSkewMs)
                       .arg(thousands(static_cast<double>(j.windowsFired)), thousands(static_cast<double>(j.rowsOut)))
                       .arg(j.lateEvents)
                       .arg(j.droppedEvents)
                       .arg(j.deadLetters);
    if (s.kafka) {
        double lagRecords = 0;
        for (const PartitionFigures &p : s.partitions)
            lagRecords += p.lagRecords.value_or(0);
        line += QStringLiteral(" | lag %1 records, %2, %3")
                    .arg(thousands(lagRecords),
                         formatDuration(s.lagSeconds).english(), formatTimeToCatchUp(s.timeToCatchUpSeconds).english());
    }
    if (s.sink.present) {
        line += QStringLiteral(" | sink %1 %2, %3 pending")
                    .arg(QString::fromStdString(s.sink.name), formatCircuitState(s.sink.circuit).english(),
                         thousands(static_cast<double>(s.sink.pendingRows)));
        if (s.sink.divertedRows > 0)
            line += QStringLiteral(", %1 diverted").arg(thousands(static_cast<double>(s.sink.divertedRows)));
        if (s.sink.held)
            line += QStringLiteral(", held (drained)");
    }
    std::printf("%s\n", qPrintable(line));
    for (const LiveWindow &w : s.windows) {
        if (w.aggregation != Aggregation::LikesPerPost || w.leaders.empty())
            continue;
        QString top = QStringLiteral("        top posts, window from %1:").arg(formatEventTime(w.windowStartMs).english());
        for (size_t i = 0; i < std::min<size_t>(5, w.leaders.size()); ++i)
            top += QStringLiteral("  post %1 = %2").arg(w.leaders[i].key).arg(w.leaders[i].value);
        std::printf("%s\n", qPrintable(top));
    }
    std::fflush(stdout);
}

// --reset-offsets TARGET: the dry run of an offset reset of the configured Kafka group, applied
// with --execute. TARGET: earliest, latest, a time (ISO 8601; without a zone: UTC; or
// milliseconds since 1970), or a checkpoint or savepoint file (its positions).
int resetOffsets(const JobConfig &config, const QString &target, bool execute)
{
    if (config.source.type != SourceConfig::Type::Kafka) {
        std::fprintf(stderr, "tally: --reset-offsets needs a Kafka source (--kafka HOST:PORT, or source.type = \"kafka\")\n");
        return 2;
    }
    OffsetResetTarget reset;
    bool isNumber = false;
    const qlonglong ms = target.toLongLong(&isNumber);
    QDateTime time = QDateTime::fromString(target, Qt::ISODateWithMs);
    if (time.timeSpec() == Qt::LocalTime) // before the validity check: 02:30 may not exist in this machine's zone
        time.setTimeSpec(Qt::UTC);          // an operator's "10:00" is not this machine's zone
    // Milliseconds since 1970; a number before 1973 is more likely seconds than a time of then.
    constexpr qlonglong kEarliestMs = 100'000'000'000;
    if (isNumber && ms < kEarliestMs) {
        std::fprintf(stderr, "tally: --reset-offsets %s: a time in milliseconds since 1970 is expected, this is before 1973 (seconds?)\n",
                     qPrintable(target));
        return 2;
    }
    if (target == QLatin1String("earliest")) {
        reset.kind = OffsetResetTarget::Kind::Earliest;
    } else if (target == QLatin1String("latest")) {
        reset.kind = OffsetResetTarget::Kind::Latest;
    } else if (isNumber) {
        reset.kind = OffsetResetTarget::Kind::Timestamp;
        reset.timestampMs = ms;
    } else if (time.isValid()) {
        reset.kind = OffsetResetTarget::Kind::Timestamp;
        reset.timestampMs = time.toMSecsSinceEpoch();
    } else if (QFileInfo::exists(target)) {
        Result<Savepoint> point = readRestorePoint(target.toStdString());
        if (!point) {
            std::fprintf(stderr, "tally: --reset-offsets %s: %s\n", qPrintable(target), point.status().message().c_str());
            return 2;
        }
        reset.kind = OffsetResetTarget::Kind::Positions;
        reset.positions = point->sourcePositions;
        reset.source = target.toStdString();
    } else {
        std::fprintf(stderr,
                     "tally: --reset-offsets %s: not earliest, latest, a time (2026-12-07T10:00:00Z) or a checkpoint or savepoint file\n",
                     qPrintable(target));
        return 2;
    }
    Result<OffsetResetPlan> plan = planOffsetReset(config.source.kafka, reset);
    if (!plan) {
        std::fprintf(stderr, "tally: %s\n", plan.status().message().c_str());
        return 1;
    }
    std::fputs(plan->describe().c_str(), stdout);
    const std::string refusal = plan->refusal();
    if (!execute) {
        std::printf("%s\n", refusal.empty() ? "Dry run: nothing changed; --execute applies it."
                                            : ("Dry run: nothing changed; --execute would be refused: " + refusal).c_str());
        return 0;
    }
    if (!refusal.empty()) {
        std::fprintf(stderr, "tally: offset reset refused: %s\n", refusal.c_str());
        return 1;
    }
    if (Status s = applyOffsetReset(config.source.kafka, *plan); !s.isOk()) {
        std::fprintf(stderr, "tally: %s\n", s.message().c_str());
        return 1;
    }
    std::printf("Applied: the group's committed offsets are the new ones.\n");
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    // "tally reset-offsets TARGET ..." is "tally --reset-offsets TARGET ...".
    static char resetOffsetsFlag[] = "--reset-offsets";
    if (argc > 1 && std::strcmp(argv[1], "reset-offsets") == 0)
        argv[1] = resetOffsetsFlag;
    // The application object decides whether windows can exist, so choose before parsing.
    const bool gui = !argumentGiven(argc, argv, "--headless") && !argumentGiven(argc, argv, "--help") &&
                     !argumentGiven(argc, argv, "-h") && !argumentGiven(argc, argv, "--version") &&
                     !argumentGiven(argc, argv, "-v") &&
                     !argumentGiven(argc, argv, "--hash-web-token") &&
                     !argumentGiven(argc, argv, "--print-default-config") &&
                     !argumentGiven(argc, argv, "--print-prometheus-rules") &&
                     !argumentGiven(argc, argv, "--reset-offsets") && hasDisplay();
    fputs(SyncPoints::armFromEnvironment().c_str(), stderr);
    std::unique_ptr<QCoreApplication> app =
        gui ? std::make_unique<QApplication>(argc, argv) : std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("tally"));
    QCoreApplication::setApplicationName(QStringLiteral("tally"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TALLY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Tally: real-time like counting with event-time windows. Opens the "
                                                    "desktop console where there is a display."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({
        {QStringLiteral("headless"), QStringLiteral("Run without a window, printing a live summary.")},
        {QStringLiteral("in-data-folder"),
         QStringLiteral("Run in the user's data folder ($XDG_DATA_HOME/tally, by default ~/.local/share/tally; created if "
                        "missing): relative paths (--config, the database, audit log, checkpoints, savepoints, state) "
                        "resolve there. The desktop menu's entry uses it.")},
        {QStringLiteral("config"), QStringLiteral("Job configuration (TOML; default: the built-in defaults)."),
         QStringLiteral("file")},
        {QStringLiteral("set"),
         QStringLiteral("Set one configuration option over the file, e.g. --set runtime.parallelism=4 (repeatable)."),
         QStringLiteral("key=value")},
        {QStringLiteral("print-default-config"),
         QStringLiteral("Print the default configuration, every option documented (resources/tally.toml), and exit.")},
        {QStringLiteral("db"), QStringLiteral("SQLite output file") + configFlagNote("output.sqlite_path") + QLatin1Char('.'),
         QStringLiteral("file")},
        {QStringLiteral("audit-log"), QStringLiteral("Audit log of operator actions (default tally-audit.db)."),
         QStringLiteral("file")},
        {QStringLiteral("rate"),
         QStringLiteral("Generator events per second, 0 = as fast as possible") +
             configFlagNote("source.generator.events_per_second") +
             QStringLiteral("; event time then keeps pace with the clock (event_time_rate follows)."),
         QStringLiteral("n")},
        {QStringLiteral("events"),
         QStringLiteral("Stop after this many generated events") + configFlagNote("source.generator.total_events") +
             QLatin1Char('.'),
         QStringLiteral("n")},
        {QStringLiteral("duration"), QStringLiteral("Stop after this many seconds."), QStringLiteral("s")},
        {QStringLiteral("parallelism"),
         QStringLiteral("Window tasks, 1..%1").arg(kMaxParallelism) + configFlagNote("runtime.parallelism") + QLatin1Char('.'),
         QStringLiteral("p")},
        {QStringLiteral("postgres"),
         QStringLiteral("Write results to PostgreSQL instead of SQLite (output.type = \"postgres\", output.postgres_url)."),
         QStringLiteral("url")},
        {QStringLiteral("restore"), QStringLiteral("Continue from a savepoint (at the configured parallelism)."),
         QStringLiteral("file")},
        {QStringLiteral("kafka"),
         QStringLiteral("Consume from Kafka instead of the generator (source.type = \"kafka\", source.kafka.bootstrap)."),
         QStringLiteral("bootstrap")},
        {QStringLiteral("topic"), QStringLiteral("Kafka topic") + configFlagNote("source.kafka.topic") + QLatin1Char('.'),
         QStringLiteral("name")},
        {QStringLiteral("group"),
         QStringLiteral("Kafka consumer group") + configFlagNote("source.kafka.group") + QLatin1Char('.'),
         QStringLiteral("id")},
        {QStringLiteral("dead-letter-topic"),
         QStringLiteral("Kafka topic for undecodable records (source.kafka.dead_letter_topic, default <topic>.dlq)."),
         QStringLiteral("name")},
        {QStringLiteral("stop-at-end"),
         QStringLiteral("Kafka: end the job once every partition is read up to its log end at start (source.kafka.stop_at = \"end\").")},
        {QStringLiteral("quiet"), QStringLiteral("Headless: print only the final summary.")},
        {QStringLiteral("web-address"),
         QStringLiteral("Web console listen address; a non-loopback one needs --web-tokens") +
             configFlagNote("web.address") + QLatin1Char('.'),
         QStringLiteral("addr")},
        {QStringLiteral("web-port"),
         QStringLiteral("Web console port, 0 = any free port") + configFlagNote("web.port") + QLatin1Char('.'),
         QStringLiteral("n")},
        {QStringLiteral("web-tokens"),
         QStringLiteral("Web console token file, lines \"ROLE USER SHA256HEX\" (web.tokens_file, default: a one-time "
                        "operator token)."),
         QStringLiteral("file")},
        {QStringLiteral("no-web"), QStringLiteral("Do not serve the web console (web.enabled = false).")},
        {QStringLiteral("hash-web-token"), QStringLiteral("Print the SHA-256 hex of a token for the token file, and exit."),
         QStringLiteral("token")},
        {QStringLiteral("reset-offsets"),
         QStringLiteral("With the job stopped: show how the Kafka group's committed offsets would change (a dry run), "
                        "to earliest, latest, a time (2026-12-07T10:00:00Z, UTC without a zone) or a checkpoint or savepoint "
                        "file's positions; refused while the group has members. Also: tally reset-offsets TARGET."),
         QStringLiteral("target")},
        {QStringLiteral("execute"), QStringLiteral("With --reset-offsets: apply the reset.")},
        {QStringLiteral("print-prometheus-rules"),
         QStringLiteral("Print the alert rules as Prometheus alerting rules (installer/prometheus/tally-rules.yml), "
                        "runbook links from alerts.runbook_url or the web console's address, and exit.")},
    });
    parser.process(*app);
    if (parser.isSet(QStringLiteral("reset-offsets")) && parser.value(QStringLiteral("reset-offsets")).startsWith(QLatin1Char('-'))) {
        std::fprintf(stderr, "tally: reset-offsets needs its TARGET first (earliest, latest, a time or a file), not %s\n",
                     qPrintable(parser.value(QStringLiteral("reset-offsets"))));
        return 2;
    }
    // Nothing takes a positional argument: a word out of place (a subcommand after the options,
    // an option's value without its option) must not start the job instead.
    if (!parser.positionalArguments().isEmpty()) {
        std::fprintf(stderr, "tally: unexpected argument %s (tally reset-offsets TARGET [options] puts the subcommand first; see --help)\n",
                     qPrintable(parser.positionalArguments().first()));
        return 2;
    }
    if (parser.isSet(QStringLiteral("execute")) && !parser.isSet(QStringLiteral("reset-offsets"))) {
        std::fprintf(stderr, "tally: --execute applies an offset reset: it needs --reset-offsets TARGET\n");
        return 2;
    }

    if (parser.isSet(QStringLiteral("print-default-config"))) {
        std::fputs(writeConfigToml().c_str(), stdout);
        return 0;
    }
    if (parser.isSet(QStringLiteral("hash-web-token"))) {
        std::printf("%s\n", WebTokens::hashHex(parser.value(QStringLiteral("hash-web-token")).toUtf8()).constData());
        return 0;
    }

    // Before anything resolves a relative path: a launch from the desktop menu starts in $HOME,
    // which is no place for a database and checkpoints.
    if (parser.isSet(QStringLiteral("in-data-folder"))) {
        const QString data = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
        const QString folder = data + QStringLiteral("/tally");
        if (data.isEmpty() || !QDir().mkpath(folder) || !QDir::setCurrent(folder)) {
            std::fprintf(stderr, "tally: cannot create or enter the data folder %s\n", qPrintable(folder));
            return 1;
        }
    }

    Result<JobConfig> config = buildConfig(parser);
    if (!config.isOk()) {
        std::fprintf(stderr, "tally: %s\n", config.status().message().c_str());
        return 2;
    }
    if (parser.isSet(QStringLiteral("reset-offsets")))
        return resetOffsets(*config, parser.value(QStringLiteral("reset-offsets")), parser.isSet(QStringLiteral("execute")));
    if (parser.isSet(QStringLiteral("print-prometheus-rules"))) {
        const AlertsConfig &alerts = config->alerts;
        const QString runbooks = !alerts.runbookUrl.empty() ? QString::fromStdString(alerts.runbookUrl)
                                 : !config->web.publicOrigin.empty()
                                     ? QString::fromStdString(config->web.publicOrigin) + QStringLiteral("/#alerts/{rule}")
                                     : QStringLiteral("http://%1:%2/#alerts/{rule}")
                                           .arg(QString::fromStdString(config->web.address))
                                           .arg(config->web.port);
        std::fputs(prometheusAlertRules(AlertModel(), runbooks).constData(), stdout);
        return 0;
    }
    EngineOptions options;
    options.config = std::move(config).value();
    if (parser.isSet(QStringLiteral("audit-log")))
        options.auditPath = parser.value(QStringLiteral("audit-log"));
    if (parser.isSet(QStringLiteral("restore")))
        options.restoreFrom = parser.value(QStringLiteral("restore")).toStdString();

    WebConsoleOptions webOptions = WebConsoleOptions::fromConfig(options.config.web);
    // Standard output that is not a terminal is a log others read (the journal under systemd, a
    // launcher's log): a one-time token goes to a file only this user can read.
    if (!isatty(STDOUT_FILENO))
        webOptions.oneTimeTokenFile = QDir::current().absoluteFilePath(QStringLiteral("web-token"));
    const bool serveWeb = options.config.web.enabled;

    QString error;
    std::unique_ptr<EngineHost> host = EngineHost::create(std::move(options), &error);
    if (!host) {
        std::fprintf(stderr, "tally: %s\n", qPrintable(error));
        return 1;
    }
    if (Status s = host->start(); !s.isOk()) {
        std::fprintf(stderr, "tally: %s\n", s.toString().c_str());
        return 1;
    }
    std::fprintf(stderr, "tally %s: %s -> %d window tasks -> %s (%s)\n", TALLY_VERSION, qPrintable(host->sourceDescription()),
                 host->config().runtime.parallelism, qPrintable(host->sinkDescription()),
                 gui ? "desktop console" : "headless; Ctrl-C stops and drains");

    // Ctrl-C and SIGTERM stop the source and drain: every window fires and reaches the database,
    // for at most runtime.stop_timeout_ms; the desktop console closes too. Every stop is bounded
    // (armStopDeadline).
    const int64_t stopTimeoutMs = host->config().runtime.stopTimeoutMs;
    const auto requestStop = [&] {
        armStopDeadline(stopTimeoutMs);
        host->requestStop();
    };
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) == 0) {
        auto *notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, app.get());
        QObject::connect(notifier, &QSocketNotifier::activated, app.get(), [&] {
            char c;
            [[maybe_unused]] auto n = ::read(g_signalPipe[0], &c, 1);
            std::fprintf(stderr, "tally: stopping, draining in-flight results (a second Ctrl-C exits at once)...\n");
            requestStop();
            if (gui)
                QCoreApplication::quit();
        });
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
    }
    if (parser.isSet(QStringLiteral("duration"))) {
        const int ms = static_cast<int>(parser.value(QStringLiteral("duration")).toDouble() * 1000);
        QTimer::singleShot(ms, app.get(), [&] { requestStop(); });
    }

    std::unique_ptr<MainWindow> window;
    QTimer ticker;
    if (gui) {
        installTranslations();
        window = std::make_unique<MainWindow>(*host);
        window->show();
        // Closing the window stops the job (draining it) and ends the program.
        QObject::connect(qApp, &QGuiApplication::lastWindowClosed, app.get(), [&] {
            requestStop();
            QCoreApplication::quit();
        });
    } else {
        const bool quiet = parser.isSet(QStringLiteral("quiet"));
        // `quiet` by value: the lambda outlives this block.
        QObject::connect(&ticker, &QTimer::timeout, app.get(), [&, quiet] {
            if (host->finished()) {
                host->sample();
                printSummary(*host, true);
                QCoreApplication::quit();
            } else if (!quiet) {
                printSummary(*host, false);
            }
        });
        ticker.start(1000);
    }
    // The web console shows the host's alerts, as the desktop window does, with or without it.
    std::unique_ptr<WebConsole> web;
    if (serveWeb) {
        web = std::make_unique<WebConsole>(*host, webOptions);
        if (Status s = web->start(); !s.isOk()) {
            std::fprintf(stderr, "tally: %s\n", s.message().c_str());
            window.reset();
            requestStop();
            (void)host->waitFinished();
            return 2;
        }
        std::printf("%s\n", qPrintable(web->startupLine()));
        std::fflush(stdout);
    }
    // Alerts go to the log, and to the webhook receiver when there is one.
    const AlertsConfig &alertsConfig = host->options().config.alerts;
    // A link others can open: the configured template, else the console's public origin (behind
    // a reverse proxy), else the address it listens on.
    const std::string &publicOrigin = host->options().config.web.publicOrigin;
    const QString runbookUrl = !alertsConfig.runbookUrl.empty() ? QString::fromStdString(alertsConfig.runbookUrl)
                               : !web                   ? QString()
                               : !publicOrigin.empty()  ? QString::fromStdString(publicOrigin) + QStringLiteral("/#alerts/{rule}")
                                                        : web->url().toString() + QStringLiteral("#alerts/{rule}");
    const auto logAlert = [&](const Alert &alert, const char *what) {
        QString runbook = runbookUrl;
        runbook.replace(QStringLiteral("{rule}"), alert.ruleId);
        std::fprintf(stderr, "tally: alert %s: %s (%s): %.1f, threshold %.1f%s%s\n", what, qPrintable(alert.ruleId),
                     qPrintable(alert.title.english()), alert.value, alert.threshold, runbook.isEmpty() ? "" : "; runbook ",
                     qPrintable(runbook));
    };
    QObject::connect(&host->alerts(), &AlertModel::alertFired, app.get(), [&](const Alert &a) { logAlert(a, "firing"); });
    QObject::connect(&host->alerts(), &AlertModel::alertResolved, app.get(), [&](const Alert &a) { logAlert(a, "resolved"); });
    for (const Alert &a : host->alerts().alerts()) // fired at the host's first sample, before these connections
        if (a.active())
            logAlert(a, "firing");
    std::unique_ptr<AlertNotifier> notifier;
    if (!alertsConfig.webhookUrl.empty())
        notifier = std::make_unique<AlertNotifier>(
            host->alerts(),
            AlertNotifierOptions{.webhook = QUrl(QString::fromStdString(alertsConfig.webhookUrl)),
                                 .runbookUrl = runbookUrl,
                                 .jobName = QString::fromStdString(host->options().config.output.jobId),
                                 .externalUrl = web ? web->url().toString() : QString()},
            host->metrics());

    app->exec();
    // The alerts of the end (a failed job's) still go out, within a bound; the summary ticker
    // must not end that event loop (its quit() would end every loop flush() runs).
    ticker.stop();
    if (notifier && !notifier->flush(5000))
        std::fprintf(stderr, "tally: %zu alert notifications were not delivered\n", notifier->pending());
    notifier.reset();
    web.reset();
    window.reset();
    requestStop();
    const Status result = host->waitFinished();
    if (gui) { // the run's record in the log, as a headless run prints it
        host->sample();
        printSummary(*host, true);
    }
    if (!result.isOk()) {
        std::fprintf(stderr, "tally: %s\n", result.toString().c_str());
        return 1;
    }
    return 0;
}
