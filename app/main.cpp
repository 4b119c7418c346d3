// tally: runs the like-counting job in this process. Until the console arrives it runs headless
// and prints a live summary once a second: throughput, watermark, windows fired, top posts.
#include "config/job_config.h"
#include "metrics/metrics.h"
#include "runtime/job.h"
#include "sink/kafka_dead_letters.h"
#include "sink/sink_factory.h"
#include "source/generator.h"
#include "source/kafka_source.h"
#include "time/clock.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
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

QString formatTime(int64_t ms)
{
    if (ms > 32503680000000LL) // year 3000: the final watermark of a drained job
        return QStringLiteral("end of input");
    if (ms <= 0)
        return QStringLiteral("-");
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"));
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

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("tally"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TALLY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Tally: real-time like counting with event-time windows."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({
        {QStringLiteral("headless"), QStringLiteral("Run without a window (the only mode for now).")},
        {QStringLiteral("config"), QStringLiteral("Job configuration (TOML)."), QStringLiteral("file")},
        {QStringLiteral("db"), QStringLiteral("SQLite output file (default tally.db)."), QStringLiteral("path")},
        {QStringLiteral("rate"), QStringLiteral("Generator events per second (0 = as fast as possible)."), QStringLiteral("n")},
        {QStringLiteral("events"), QStringLiteral("Stop after this many generated events."), QStringLiteral("n")},
        {QStringLiteral("duration"), QStringLiteral("Stop after this many seconds."), QStringLiteral("s")},
        {QStringLiteral("parallelism"), QStringLiteral("Window tasks (1..128)."), QStringLiteral("p")},
        {QStringLiteral("postgres"), QStringLiteral("Write results to PostgreSQL instead of SQLite."), QStringLiteral("url")},
        {QStringLiteral("kafka"), QStringLiteral("Consume from Kafka instead of the generator."), QStringLiteral("bootstrap")},
        {QStringLiteral("topic"), QStringLiteral("Kafka topic (default likes)."), QStringLiteral("name")},
        {QStringLiteral("group"), QStringLiteral("Kafka consumer group (default tally)."), QStringLiteral("id")},
        {QStringLiteral("dead-letter-topic"), QStringLiteral("Kafka topic for undecodable records (default <topic>.dlq)."),
         QStringLiteral("name")},
        {QStringLiteral("quiet"), QStringLiteral("Print only the final summary.")},
    });
    parser.process(app);

    Result<JobConfig> config = buildConfig(parser);
    if (!config.isOk()) {
        std::fprintf(stderr, "tally: %s\n", config.status().message().c_str());
        return 2;
    }

    MetricsRegistry metrics;
    std::unique_ptr<OutputSink> sink;
    std::string sinkName = "no output";
    {
        auto opened = openSink(config->output, metrics);
        if (!opened.isOk()) {
            std::fprintf(stderr, "tally: cannot open the output: %s\n", opened.status().toString().c_str());
            return 1;
        }
        if (*opened)
            sinkName = (*opened)->describe() + " (" + std::string(deliveryName(config->output.delivery)) + ")";
        sink = std::move(opened).value();
    }
    SteadyClock clock;
    std::unique_ptr<Source> source;
    QString sourceName = QStringLiteral("generator");
    if (parser.isSet(QStringLiteral("kafka"))) {
        KafkaSourceConfig kafka;
        kafka.bootstrapServers = parser.value(QStringLiteral("kafka")).toStdString();
        if (parser.isSet(QStringLiteral("topic")))
            kafka.topic = parser.value(QStringLiteral("topic")).toStdString();
        if (parser.isSet(QStringLiteral("group")))
            kafka.groupId = parser.value(QStringLiteral("group")).toStdString();
        auto opened = KafkaSource::open(kafka, metrics);
        if (!opened.isOk()) {
            std::fprintf(stderr, "tally: %s\n", opened.status().message().c_str());
            return 1;
        }
        source = std::move(opened).value();
        const std::string deadLetterTopic = parser.isSet(QStringLiteral("dead-letter-topic"))
                                                ? parser.value(QStringLiteral("dead-letter-topic")).toStdString()
                                                : kafka.topic + ".dlq";
        auto writer = KafkaDeadLetterWriter::open(kafka.bootstrapServers, deadLetterTopic, kafka.topic, metrics);
        if (!writer.isOk()) {
            std::fprintf(stderr, "tally: %s\n", writer.status().message().c_str());
            return 1;
        }
        sink = std::make_unique<DeadLetterTopicSink>(std::move(sink), std::move(writer).value());
        sourceName = QStringLiteral("kafka %1/%2").arg(QString::fromStdString(kafka.bootstrapServers),
                                                        QString::fromStdString(kafka.topic));
    } else {
        source = std::make_unique<GeneratorSource>(config->source.generator);
    }
    Job job(*config, std::move(source), std::move(sink), metrics, clock);
    if (Status s = job.start(); !s.isOk()) {
        std::fprintf(stderr, "tally: %s\n", s.toString().c_str());
        return 1;
    }
    std::fprintf(stderr, "tally %s: %s -> %d window tasks -> %s (Ctrl-C stops and drains)\n", TALLY_VERSION,
                 qPrintable(sourceName), config->runtime.parallelism, sinkName.c_str());

    // Ctrl-C and SIGTERM stop the source and drain: every window fires and reaches the database.
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) == 0) {
        auto *notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, &app);
        QObject::connect(notifier, &QSocketNotifier::activated, &app, [&] {
            char c;
            [[maybe_unused]] auto n = ::read(g_signalPipe[0], &c, 1);
            std::fprintf(stderr, "tally: stopping, draining in-flight results...\n");
            job.requestStop();
        });
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
    }
    if (parser.isSet(QStringLiteral("duration"))) {
        const int ms = static_cast<int>(parser.value(QStringLiteral("duration")).toDouble() * 1000);
        QTimer::singleShot(ms, &app, [&] { job.requestStop(); });
    }

    const bool quiet = parser.isSet(QStringLiteral("quiet"));
    uint64_t lastEvents = 0;
    qint64 lastTick = QDateTime::currentMSecsSinceEpoch();
    auto printSummary = [&](bool final) {
        const JobStatus s = job.status();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const double rate = static_cast<double>(s.eventsIn - lastEvents) * 1000.0 / std::max<qint64>(1, now - lastTick);
        lastEvents = s.eventsIn;
        lastTick = now;
        QString line = QStringLiteral("%1 %2 ev/s | events %3 | watermark %4 | skew %5 ms | windows %6 | rows %7 | late %8 | dropped %9 | dead letters %10")
                           .arg(final ? QStringLiteral("[final]") : QStringLiteral("[live] "))
                           .arg(thousands(rate), thousands(static_cast<double>(s.eventsIn)), formatTime(s.watermarkMs))
                           .arg(s.watermarkSkewMs)
                           .arg(thousands(static_cast<double>(s.windowsFired)), thousands(static_cast<double>(s.rowsOut)))
                           .arg(s.lateEvents)
                           .arg(s.droppedEvents)
                           .arg(s.deadLetters);
        std::printf("%s\n", qPrintable(line));
        for (const LiveWindow &w : job.liveResults().windows()) {
            if (w.aggregation != Aggregation::LikesPerPost || w.leaders.empty())
                continue;
            QString top = QStringLiteral("        top posts, window from %1:").arg(formatTime(w.windowStartMs));
            for (size_t i = 0; i < std::min<size_t>(5, w.leaders.size()); ++i)
                top += QStringLiteral("  post %1 = %2").arg(w.leaders[i].key).arg(w.leaders[i].value);
            std::printf("%s\n", qPrintable(top));
        }
        std::fflush(stdout);
    };

    QTimer ticker;
    QObject::connect(&ticker, &QTimer::timeout, &app, [&] {
        if (job.finished()) {
            printSummary(true);
            app.quit();
        } else if (!quiet) {
            printSummary(false);
        }
    });
    ticker.start(1000);
    app.exec();
    const Status result = job.waitFinished();
    if (!result.isOk()) {
        std::fprintf(stderr, "tally: %s\n", result.toString().c_str());
        return 1;
    }
    return 0;
}
