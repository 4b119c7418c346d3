// tally: runs the like-counting job in this process. With a display it opens the desktop console;
// headless (--headless, or no display) it prints a live summary once a second: throughput,
// watermark, windows fired, top posts.
#include "config/job_config.h"
#include "models/engine_host.h"
#include "models/snapshot_models.h"
#include "runtime/key_groups.h"
#include "views/main_window.h"
#include "views/web/web_console.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <cstring>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

using namespace tally;

namespace {

int g_signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] auto n = ::write(g_signalPipe[1], &c, 1);
}


QString thousands(double v) { return QLocale::c().toString(static_cast<qlonglong>(v)); }

// Builds the job configuration: the file if given, else the built-in demo defaults (a paced
// generator whose event time follows the wall clock).
Result<JobConfig> buildConfig(const QCommandLineParser &args)
{
    JobConfig config;
    if (args.isSet(QStringLiteral("config"))) {
        Result<JobConfig> loaded = loadJobConfig(args.value(QStringLiteral("config")).toStdString());
        if (!loaded.isOk())
            return loaded.status();
        config = std::move(loaded).value();
    } else {
        config.source.generator.eventsPerSecond = 20000;
        config.source.generator.eventTimeRate = 20000;
        config.source.generator.startTimeMs = QDateTime::currentMSecsSinceEpoch();
    }
    bool ok = true;
    if (args.isSet(QStringLiteral("rate"))) {
        config.source.generator.eventsPerSecond = args.value(QStringLiteral("rate")).toDouble(&ok);
        if (!ok || config.source.generator.eventsPerSecond < 0)
            return Status::invalidArgument("--rate: expected events per second >= 0");
    }
    if (args.isSet(QStringLiteral("events"))) {
        config.source.generator.totalEvents = args.value(QStringLiteral("events")).toULongLong(&ok);
        if (!ok)
            return Status::invalidArgument("--events: expected a count");
    }
    if (args.isSet(QStringLiteral("parallelism"))) {
        config.runtime.parallelism = args.value(QStringLiteral("parallelism")).toInt(&ok);
        if (!ok)
            return Status::invalidArgument("--parallelism: expected an integer");
    }
    if (args.isSet(QStringLiteral("db")))
        config.output.sqlitePath = args.value(QStringLiteral("db")).toStdString();
    if (args.isSet(QStringLiteral("postgres"))) {
        config.output.type = OutputConfig::Type::Postgres;
        config.output.postgresUrl = args.value(QStringLiteral("postgres")).toStdString();
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
    QString line = QStringLiteral("%1 %2 ev/s | events %3 | watermark %4 | skew %5 ms | windows %6 | rows %7 | late %8 | dropped %9 | dead letters %10")
                       .arg(final ? QStringLiteral("[final]") : QStringLiteral("[live] "))
                       .arg(thousands(s.eventsPerSecond), thousands(static_cast<double>(j.eventsIn)),
                            formatEventTime(j.watermarkMs).english())
                       .arg(j.watermarkSkewMs)
                       .arg(thousands(static_cast<double>(j.windowsFired)), thousands(static_cast<double>(j.rowsOut)))
                       .arg(j.lateEvents)
                       .arg(j.droppedEvents)
                       .arg(j.deadLetters);
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

} // namespace

int main(int argc, char **argv)
{
    // The application object decides whether windows can exist, so choose before parsing.
    const bool gui = !argumentGiven(argc, argv, "--headless") && !argumentGiven(argc, argv, "--help") &&
                     !argumentGiven(argc, argv, "-h") && !argumentGiven(argc, argv, "--version") &&
                     !argumentGiven(argc, argv, "-v") &&
                     !argumentGiven(argc, argv, "--hash-web-token") && hasDisplay();
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
        {QStringLiteral("config"), QStringLiteral("Job configuration (TOML)."), QStringLiteral("file")},
        {QStringLiteral("db"), QStringLiteral("SQLite output file (default tally.db)."), QStringLiteral("file")},
        {QStringLiteral("audit-log"), QStringLiteral("Audit log of operator actions (default tally-audit.db)."),
         QStringLiteral("file")},
        {QStringLiteral("rate"), QStringLiteral("Generator events per second (0 = as fast as possible)."), QStringLiteral("n")},
        {QStringLiteral("events"), QStringLiteral("Stop after this many generated events."), QStringLiteral("n")},
        {QStringLiteral("duration"), QStringLiteral("Stop after this many seconds."), QStringLiteral("s")},
        {QStringLiteral("parallelism"), QStringLiteral("Window tasks (1..%1).").arg(kMaxParallelism), QStringLiteral("p")},
        {QStringLiteral("postgres"), QStringLiteral("Write results to PostgreSQL instead of SQLite."), QStringLiteral("url")},
        {QStringLiteral("restore"), QStringLiteral("Continue from a savepoint (at the configured parallelism)."),
         QStringLiteral("file")},
        {QStringLiteral("kafka"), QStringLiteral("Consume from Kafka instead of the generator."), QStringLiteral("bootstrap")},
        {QStringLiteral("topic"), QStringLiteral("Kafka topic (default likes)."), QStringLiteral("name")},
        {QStringLiteral("group"), QStringLiteral("Kafka consumer group (default tally)."), QStringLiteral("id")},
        {QStringLiteral("dead-letter-topic"), QStringLiteral("Kafka topic for undecodable records (default <topic>.dlq)."),
         QStringLiteral("name")},
        {QStringLiteral("quiet"), QStringLiteral("Headless: print only the final summary.")},
        {QStringLiteral("web-address"),
         QStringLiteral("Web console listen address (default 127.0.0.1; others need --web-tokens)."), QStringLiteral("addr")},
        {QStringLiteral("web-port"), QStringLiteral("Web console port (default 8080; 0 = any free port)."), QStringLiteral("n")},
        {QStringLiteral("web-tokens"),
         QStringLiteral("Web console token file, lines \"ROLE USER SHA256HEX\" (default: a one-time operator token)."),
         QStringLiteral("file")},
        {QStringLiteral("no-web"), QStringLiteral("Do not serve the web console.")},
        {QStringLiteral("hash-web-token"), QStringLiteral("Print the SHA-256 hex of a token for the token file, and exit."),
         QStringLiteral("token")},
    });
    parser.process(*app);

    if (parser.isSet(QStringLiteral("hash-web-token"))) {
        std::printf("%s\n", WebTokens::hashHex(parser.value(QStringLiteral("hash-web-token")).toUtf8()).constData());
        return 0;
    }

    Result<JobConfig> config = buildConfig(parser);
    if (!config.isOk()) {
        std::fprintf(stderr, "tally: %s\n", config.status().message().c_str());
        return 2;
    }
    EngineOptions options;
    options.config = std::move(config).value();
    if (parser.isSet(QStringLiteral("kafka"))) {
        options.kafkaBootstrap = parser.value(QStringLiteral("kafka")).toStdString();
        if (parser.isSet(QStringLiteral("topic")))
            options.kafkaTopic = parser.value(QStringLiteral("topic")).toStdString();
        if (parser.isSet(QStringLiteral("group")))
            options.kafkaGroup = parser.value(QStringLiteral("group")).toStdString();
        if (parser.isSet(QStringLiteral("dead-letter-topic")))
            options.deadLetterTopic = parser.value(QStringLiteral("dead-letter-topic")).toStdString();
    }
    if (parser.isSet(QStringLiteral("audit-log")))
        options.auditPath = parser.value(QStringLiteral("audit-log"));
    if (parser.isSet(QStringLiteral("restore")))
        options.restoreFrom = parser.value(QStringLiteral("restore")).toStdString();

    WebConsoleOptions webOptions = WebConsoleOptions::fromConfig(options.config.web);
    const bool serveWeb = options.config.web.enabled && !parser.isSet(QStringLiteral("no-web"));
    if (parser.isSet(QStringLiteral("web-address")))
        webOptions.address = parser.value(QStringLiteral("web-address"));
    if (parser.isSet(QStringLiteral("web-port"))) {
        bool ok = false;
        webOptions.port = parser.value(QStringLiteral("web-port")).toInt(&ok);
        if (!ok || webOptions.port < 0 || webOptions.port > 65535) {
            std::fprintf(stderr, "tally: --web-port: expected 0..65535\n");
            return 2;
        }
    }
    if (parser.isSet(QStringLiteral("web-tokens")))
        webOptions.tokensFile = parser.value(QStringLiteral("web-tokens"));

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
                 host->options().config.runtime.parallelism, qPrintable(host->sinkDescription()),
                 gui ? "desktop console" : "headless; Ctrl-C stops and drains");

    // Ctrl-C and SIGTERM stop the source and drain: every window fires and reaches the database.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) == 0) {
        auto *notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, app.get());
        QObject::connect(notifier, &QSocketNotifier::activated, app.get(), [&] {
            char c;
            [[maybe_unused]] auto n = ::read(g_signalPipe[0], &c, 1);
            std::fprintf(stderr, "tally: stopping, draining in-flight results...\n");
            host->requestStop();
        });
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
    }
    if (parser.isSet(QStringLiteral("duration"))) {
        const int ms = static_cast<int>(parser.value(QStringLiteral("duration")).toDouble() * 1000);
        QTimer::singleShot(ms, app.get(), [&] { host->requestStop(); });
    }

    std::unique_ptr<MainWindow> window;
    QTimer ticker;
    if (gui) {
        installTranslations();
        window = std::make_unique<MainWindow>(*host);
        window->show();
        // Closing the window stops the job (draining it) and ends the program.
        QObject::connect(qApp, &QGuiApplication::lastWindowClosed, app.get(), [&] {
            host->requestStop();
            QCoreApplication::quit();
        });
        QObject::connect(host.get(), &EngineHost::jobFinished, app.get(), [&] { printSummary(*host, true); });
    } else {
        const bool quiet = parser.isSet(QStringLiteral("quiet"));
        QObject::connect(&ticker, &QTimer::timeout, app.get(), [&] {
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
            host->requestStop();
            (void)host->job().waitFinished();
            return 2;
        }
        std::printf("%s\n", qPrintable(web->startupLine()));
        std::fflush(stdout);
    }

    app->exec();
    web.reset();
    window.reset();
    host->requestStop();
    const Status result = host->job().waitFinished();
    if (!result.isOk()) {
        std::fprintf(stderr, "tally: %s\n", result.toString().c_str());
        return 1;
    }
    return 0;
}
