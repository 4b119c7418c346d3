#include "sink/sink_factory.h"

#include "sink/postgres_store.h"
#include "sink/sqlite_store.h"

namespace tally {

SinkWriterOptions sinkWriterOptions(const OutputConfig &c)
{
    SinkWriterOptions o;
    o.delivery = c.delivery;
    o.batchRows = static_cast<size_t>(c.batchRows);
    o.batchInterval = std::chrono::milliseconds(c.batchMs);
    o.maxPendingRows = static_cast<size_t>(c.maxPendingRows);
    o.retryInitial = std::chrono::milliseconds(c.retryInitialMs);
    o.retryMax = std::chrono::milliseconds(c.retryMaxMs);
    o.breakerFailures = c.breakerFailures;
    o.breakerOpen = std::chrono::milliseconds(c.breakerOpenMs);
    o.divertPath = c.divertPath;
    o.name = c.type == OutputConfig::Type::Postgres ? "postgres" : "sqlite";
    return o;
}

Result<std::unique_ptr<SinkWriter>> openSink(const OutputConfig &config, MetricsRegistry &metrics)
{
    std::unique_ptr<ResultStore> store;
    switch (config.type) {
    case OutputConfig::Type::None:
        return std::unique_ptr<SinkWriter>();
    case OutputConfig::Type::Sqlite: {
        SqliteStoreOptions options;
        options.jobId = config.jobId;
        auto opened = SqliteStore::open(config.sqlitePath, options);
        if (!opened)
            return opened.status();
        store = std::move(opened).value();
        break;
    }
    case OutputConfig::Type::Postgres: {
        PostgresStoreOptions options;
        options.url = config.postgresUrl;
        options.poolSize = config.postgresPoolSize;
        options.jobId = config.jobId;
        auto opened = PostgresStore::open(options);
        if (!opened)
            return opened.status();
        store = std::move(opened).value();
        break;
    }
    }
    return SinkWriter::open(std::move(store), sinkWriterOptions(config), metrics);
}

} // namespace tally
