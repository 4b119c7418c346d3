// Savepoints of the window state: a stream run at P=2 is stopped half-way, its tasks' state is
// taken as a portable snapshot (encoded to bytes and decoded again), and the run continues from
// it at P=1, P=2 and P=4, on the same or the other state backend (heap <-> RocksDB). The final
// results must equal the uninterrupted run's and the oracle's.
// The pipeline is the job's own pieces (Ingest, TaskAggregations, TrendingMerger) driven on one
// thread, so the cut between batches is exact.
#include "checkpoint/checkpoint_store.h"
#include "runtime/ingest.h"
#include "runtime/trending_merger.h"
#include "source/generator.h"
#include "state/count_state.h"
#include "state/count_tables.h"
#include "support/oracle.h"
#include "time/clock.h"
#include "util/checksummed.h"
#include "util/crc32c.h"
#include "window/aggregations.h"
#include "window/keyed_state.h"

#include <QtTest>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

using namespace tally;
using namespace tally::test;

Q_DECLARE_METATYPE(tally::StateConfig::Backend)

namespace {

JobConfig streamConfig(uint64_t seed)
{
    JobConfig c;
    GeneratorConfig &g = c.source.generator;
    g = GeneratorConfig{}; // a reproducible replay, as fast as the job consumes (the job default is live)
    g.seed = seed;
    g.totalEvents = 60000;
    g.partitions = 4;
    g.eventTimeRate = 500; // two minutes of event time
    g.posts = 400;
    g.users = 500;
    g.spamUserFraction = 0.01;
    g.spamShare = 0.15;
    g.unlikeFraction = 0.1;
    g.burstEveryMs = 20000;
    g.burstDurationMs = 5000;
    g.meanDelayMs = 300;
    g.lateFraction = 0.03;
    g.lateDelayMs = 15000;
    useTestWindows(c);
    c.runtime.batchSize = 200;
    return c;
}

using Backend = StateConfig::Backend;

const char *backendName(Backend b)
{
    return b == Backend::Heap ? "heap" : "rocksdb";
}

// The job's stages on one thread, at a parallelism and state backend that can change between
// batches.
class Pipeline {
public:
    // `cacheKb`: RocksDB's write-back cache per task; the default is far below the state, so reads
    // and writes go through RocksDB.
    Pipeline(const JobConfig &config, int parallelism, Backend backend = Backend::Heap, int cacheKb = 16)
        : m_config(config), m_ingest(singleTask(config), config.source.generator.partitions, m_clock)
    {
        m_config.state.dir = m_stateDir.path().toStdString();
        m_config.state.rocksdbCacheKb = cacheKb;
        startTasks(parallelism, backend);
    }

    void feed(int partition, const std::vector<LikeEvent> &events)
    {
        std::vector<LateEvent> late;
        m_ingest.add(partition, events, late);
        for (const LikeEvent &e : events)
            m_arrivals.push_back({e, m_ingest.watermark()});
        std::vector<TaskBatch> batch;
        if (m_ingest.flush(batch, false))
            dispatch(batch.front());
    }

    void finish()
    {
        std::vector<TaskBatch> batch;
        if (m_ingest.flush(batch, true))
            dispatch(batch.front());
    }

    KeyedStateSnapshot savepoint() const
    {
        KeyedStateChanges whole;
        for (const auto &t : m_tasks)
            t->snapshot(false)(whole);
        whole.canonicalize();
        return std::move(whole.records);
    }

    // Incremental checkpoints: changes are counted from the state as it is now.
    void trackChanges()
    {
        for (const auto &t : m_tasks)
            t->trackChanges();
    }
    // What changed since trackChanges() or the previous call, as the snapshot writer collects it.
    KeyedStateChanges changes()
    {
        KeyedStateChanges changes;
        for (const auto &t : m_tasks)
            t->snapshot(true)(changes);
        changes.canonicalize();
        return changes;
    }

    // Replaces the tasks (and the merge) with ones restored from `s` at `parallelism`.
    void restore(const KeyedStateSnapshot &s, int parallelism, Backend backend)
    {
        startTasks(parallelism, backend);
        std::vector<OutputRow> rows;
        for (int t = 0; t < parallelism; ++t) {
            std::vector<TopKUpdate> topK;
            m_tasks[static_cast<size_t>(t)]->restore(s, t, parallelism, topK);
            for (const TopKUpdate &u : topK)
                m_merger->update(t, u, rows);
        }
        (void)m_sink.writeRows(rows);
    }

    // A checkpoint of the tasks' database files and caches' parts (rocksdb backend) into `dir`,
    // on `previous`, as the snapshot writer takes one; `writeCaches`: the caches are written into
    // the files first.
    Result<WrittenCheckpoint> filesCheckpoint(const std::string &dir, uint64_t epoch, const WrittenCheckpoint &previous,
                                              bool writeCaches)
    {
        KeyedStateChanges parts;
        for (const auto &t : m_tasks)
            t->snapshotFiles(writeCaches)(parts);
        parts.sortNamespaces();
        Savepoint head;
        head.epoch = epoch;
        head.takenAtMs = static_cast<int64_t>(epoch);
        return writeFilesCheckpoint(dir, head, static_cast<int>(m_tasks.size()), parts, previous.chain, previous.cacheDepths);
    }

    // Replaces the tasks with ones opened from a checkpoint's files (same parallelism, RocksDB).
    void restoreFromFiles(const Savepoint &checkpoint)
    {
        m_tasks.clear();
        m_workDir.reset();
        m_config.state.backend = Backend::RocksDb;
        m_workDir = std::make_unique<StateWorkDir>(m_config.state);
        const int parallelism = checkpoint.files->parallelism;
        m_merger = std::make_unique<TrendingMerger>(parallelism, static_cast<size_t>(m_config.trendingHourly.topK),
                                                    m_config.runtime.allowedLatenessMs);
        std::vector<OutputRow> rows;
        for (int t = 0; t < parallelism; ++t) {
            Result<std::unique_ptr<TaskState>> state =
                openTaskStateFromFiles(m_config.state, m_workDir->path(), checkpoint.files->tasks[static_cast<size_t>(t)]);
            QVERIFY2(state, state.status().toString().c_str());
            m_tasks.push_back(std::make_unique<TaskAggregations>(m_config, m_config.runtime.allowedLatenessMs, std::move(state).value()));
            std::vector<TopKUpdate> topK;
            m_tasks.back()->restoreFromFiles(checkpoint.state, checkpoint.files->fired, topK);
            for (const TopKUpdate &u : topK)
                m_merger->update(t, u, rows);
        }
        (void)m_sink.writeRows(rows);
    }

    const std::string &stateDir() const { return m_config.state.dir; }
    // For the tasks a restore opens next.
    void setCacheKb(int cacheKb) { m_config.state.rocksdbCacheKb = cacheKb; }

    ResultTable table() const { return m_sink.table(); }
    const std::vector<Arrival> &arrivals() const { return m_arrivals; }

private:
    static JobConfig singleTask(JobConfig c)
    {
        c.runtime.parallelism = 1; // the pipeline routes records to tasks itself
        return c;
    }

    void startTasks(int parallelism, Backend backend)
    {
        m_tasks.clear();
        m_workDir.reset();
        m_config.state.backend = backend;
        m_workDir = std::make_unique<StateWorkDir>(m_config.state);
        for (int t = 0; t < parallelism; ++t) {
            Result<std::unique_ptr<TaskState>> state = openTaskState(m_config.state, m_workDir->path(), t);
            QVERIFY2(state, state.status().toString().c_str());
            m_tasks.push_back(std::make_unique<TaskAggregations>(m_config, m_config.runtime.allowedLatenessMs, std::move(state).value()));
        }
        m_merger = std::make_unique<TrendingMerger>(parallelism, static_cast<size_t>(m_config.trendingHourly.topK),
                                                    m_config.runtime.allowedLatenessMs);
    }

    void dispatch(const TaskBatch &batch)
    {
        const int p = static_cast<int>(m_tasks.size());
        std::vector<OutputRow> rows;
        for (int t = 0; t < p; ++t) {
            TaskAggregations &task = *m_tasks[static_cast<size_t>(t)];
            for (size_t f = 0; f < kKeyFamilyCount; ++f)
                for (const PaneDelta &d : batch.records[f])
                    if (taskForKey(static_cast<KeyFamily>(f), d.key, p) == t)
                        task.apply(static_cast<KeyFamily>(f), d, batch.watermarkBefore);
            std::vector<TopKUpdate> topK;
            task.finishBatch(batch.watermarkAfter, rows, topK);
            for (const TopKUpdate &u : topK)
                m_merger->update(t, u, rows);
        }
        m_merger->expire(batch.watermarkAfter);
        (void)m_sink.writeRows(rows);
    }

    JobConfig m_config;
    ManualClock m_clock;
    Ingest m_ingest;
    QTemporaryDir m_stateDir;
    std::unique_ptr<StateWorkDir> m_workDir;
    std::vector<std::unique_ptr<TaskAggregations>> m_tasks;
    std::unique_ptr<TrendingMerger> m_merger;
    MemorySink m_sink;
    std::vector<Arrival> m_arrivals;
};

// Polls the whole stream into batches once, so every run sees the same batches in the same order.
std::vector<SourceBatch> pollAll(const JobConfig &config)
{
    GeneratorSource source(config.source.generator);
    std::vector<SourceBatch> batches;
    SourceBatch b;
    while (source.poll(b, static_cast<size_t>(config.runtime.batchSize)) != Source::PollStatus::End)
        if (!b.events.empty())
            batches.push_back(b);
    return batches;
}

} // namespace

class TestKeyedState : public QObject {
    Q_OBJECT

private slots:
    void rescaleFromSavepoint_data()
    {
        QTest::addColumn<uint64_t>("seed");
        QTest::addColumn<int>("restoreAt");
        QTest::addColumn<Backend>("takenOn");
        QTest::addColumn<Backend>("restoredOn");
        const auto row = [](uint64_t seed, int p, Backend from, Backend to) {
            QTest::newRow(qPrintable(QStringLiteral("seed %1, %2 P=2 -> %3 P=%4")
                                         .arg(seed)
                                         .arg(QLatin1String(backendName(from)), QLatin1String(backendName(to)))
                                         .arg(p)))
                << seed << p << from << to;
        };
        for (uint64_t seed : {3u, 17u})
            for (int p : {1, 2, 4})
                row(seed, p, Backend::Heap, Backend::Heap);
        row(3, 1, Backend::RocksDb, Backend::RocksDb);
        row(3, 4, Backend::Heap, Backend::RocksDb);
        row(17, 2, Backend::Heap, Backend::RocksDb);
        row(17, 4, Backend::RocksDb, Backend::Heap);
        row(3, 2, Backend::RocksDb, Backend::Heap);
    }
    void rescaleFromSavepoint()
    {
        QFETCH(uint64_t, seed);
        QFETCH(int, restoreAt);
        QFETCH(Backend, takenOn);
        QFETCH(Backend, restoredOn);
        const JobConfig config = streamConfig(seed);
        const std::vector<SourceBatch> batches = pollAll(config);
        QVERIFY(batches.size() > 100);

        Pipeline uninterrupted(config, 2);
        for (const SourceBatch &b : batches)
            uninterrupted.feed(b.partition, b.events);
        uninterrupted.finish();
        const ResultTable expected = uninterrupted.table();
        const std::string vsOracle =
            describeDifference(computeOracle(config, uninterrupted.arrivals()).table, expected);
        QVERIFY2(vsOracle.empty(), vsOracle.c_str());

        Pipeline interrupted(config, 2, takenOn);
        const size_t half = batches.size() / 2;
        for (size_t i = 0; i < half; ++i)
            interrupted.feed(batches[i].partition, batches[i].events);
        const KeyedStateSnapshot taken = interrupted.savepoint();
        QVERIFY(taken.recordCount() > 1000);
        // Through the portable bytes, as a savepoint file would carry it.
        const std::string bytes = encodeKeyedState(taken);
        Result<KeyedStateSnapshot> decoded = decodeKeyedState(bytes);
        QVERIFY2(decoded, decoded.status().toString().c_str());
        QCOMPARE(encodeKeyedState(*decoded), bytes);
        interrupted.restore(*decoded, restoreAt, restoredOn);
        for (size_t i = half; i < batches.size(); ++i)
            interrupted.feed(batches[i].partition, batches[i].events);
        interrupted.finish();
        const std::string diff = describeDifference(expected, interrupted.table());
        QVERIFY2(diff.empty(), diff.c_str());
    }

    // Incremental checkpoints: the heap's changes, taken every few batches from the start of a
    // stream (late records, unlikes, windows that fire and expire in between), applied one after
    // the other to the empty state, equal the whole state at every cut, byte for byte; and a run
    // restored from that state at another parallelism ends with the uninterrupted run's table.
    void incrementalChangesRebuildTheWholeState_data()
    {
        QTest::addColumn<uint64_t>("seed");
        QTest::addColumn<int>("parallelism");
        QTest::addColumn<int>("every");
        QTest::addColumn<int>("restoreAt");
        QTest::newRow("seed 3, P=2, every 7 batches, restore at P=4") << uint64_t(3) << 2 << 7 << 4;
        QTest::newRow("seed 17, P=1, every 1 batch, restore at P=2") << uint64_t(17) << 1 << 1 << 2;
        QTest::newRow("seed 29, P=3, every 40 batches, restore at P=1") << uint64_t(29) << 3 << 40 << 1;
    }
    void incrementalChangesRebuildTheWholeState()
    {
        QFETCH(uint64_t, seed);
        QFETCH(int, parallelism);
        QFETCH(int, every);
        QFETCH(int, restoreAt);
        const JobConfig config = streamConfig(seed);
        const std::vector<SourceBatch> batches = pollAll(config);

        Pipeline uninterrupted(config, parallelism);
        for (const SourceBatch &b : batches)
            uninterrupted.feed(b.partition, b.events);
        uninterrupted.finish();

        Pipeline run(config, parallelism);
        run.trackChanges();
        KeyedStateSnapshot rebuilt;
        size_t cuts = 0, changedRecords = 0, droppedNamespaces = 0;
        const size_t stop = batches.size() * 2 / 3;
        for (size_t i = 0; i < stop; ++i) {
            run.feed(batches[i].partition, batches[i].events);
            if ((i + 1) % static_cast<size_t>(every) != 0 && i + 1 != stop)
                continue;
            // Through the bytes, as an incremental checkpoint file carries them.
            Result<KeyedStateChanges> changes = decodeKeyedStateChanges(encodeKeyedStateChanges(run.changes()));
            QVERIFY2(changes, changes.status().toString().c_str());
            changedRecords += changes->records.recordCount();
            droppedNamespaces += changes->dropped.size();
            applyChanges(rebuilt, std::move(changes).value());
            ++cuts;
            if (encodeKeyedState(rebuilt) != encodeKeyedState(run.savepoint()))
                QFAIL(qPrintable(QStringLiteral("the state rebuilt from changes differs from the whole state after batch %1").arg(i + 1)));
        }
        qInfo("%zu cuts, %zu changed records, %zu dropped namespaces, %zu records at the end", cuts, changedRecords,
              droppedNamespaces, rebuilt.recordCount());
        QVERIFY(droppedNamespaces > 0); // windows expired between cuts
        QVERIFY(rebuilt.recordCount() > 1000);

        run.restore(rebuilt, restoreAt, Backend::Heap);
        for (size_t i = stop; i < batches.size(); ++i)
            run.feed(batches[i].partition, batches[i].events);
        run.finish();
        const std::string diff = describeDifference(uninterrupted.table(), run.table());
        QVERIFY2(diff.empty(), diff.c_str());
    }

    // RocksDB checkpoints of the tasks' database files and their caches' parts, taken every few
    // batches: each reads back (tables checked against their CRC, cache parts replayed) into
    // exactly the whole state at its cut; later ones publish only new tables and share the rest;
    // with two retained, the folder holds only what those two name. A run opened from a
    // checkpoint's files at the same parallelism goes on checkpointing (its first part starts a
    // chain again), and ends with the uninterrupted run's table. Caches from 16 KiB (written many
    // times between checkpoints: parts start chains) to 64 MiB (never full: every part builds on
    // the one before), and with the caches written at every few checkpoints as the job asks.
    void rocksdbFilesCheckpointsRestore_data()
    {
        QTest::addColumn<uint64_t>("seed");
        QTest::addColumn<int>("parallelism");
        QTest::addColumn<int>("every");
        QTest::addColumn<int>("cacheKb");
        QTest::addColumn<int>("writeCachesEvery"); // checkpoints; 0: never asked
        QTest::newRow("seed 3, P=2, every 9 batches, 16 KiB cache") << uint64_t(3) << 2 << 9 << 16 << 0;
        QTest::newRow("seed 23, P=3, every 4 batches, 16 KiB cache") << uint64_t(23) << 3 << 4 << 16 << 0;
        QTest::newRow("seed 5, P=2, every 3 batches, 64 MiB cache") << uint64_t(5) << 2 << 3 << 65536 << 0;
        QTest::newRow("seed 11, P=3, every 2 batches, 256 KiB cache, written every 4th")
            << uint64_t(11) << 3 << 2 << 256 << 4;
    }
    void rocksdbFilesCheckpointsRestore()
    {
        QFETCH(uint64_t, seed);
        QFETCH(int, parallelism);
        QFETCH(int, every);
        QFETCH(int, cacheKb);
        QFETCH(int, writeCachesEvery);
        const JobConfig config = streamConfig(seed);
        const std::vector<SourceBatch> batches = pollAll(config);
        Pipeline uninterrupted(config, parallelism);
        for (const SourceBatch &b : batches)
            uninterrupted.feed(b.partition, b.events);
        uninterrupted.finish();

        QTemporaryDir checkpoints;
        const std::string dir = checkpoints.path().toStdString();
        Pipeline run(config, parallelism, Backend::RocksDb, cacheKb);
        // The whole state at each cut, from a heap run alongside: a savepoint of `run` itself
        // would write its caches, and no part would build on another.
        Pipeline mirror(config, parallelism);
        WrittenCheckpoint previous;
        std::string lastFile;
        int shared = 0, cuts = 0;
        uint32_t deepest = 0;
        const auto checkpointUpTo = [&](size_t from, size_t to) {
            for (size_t i = from; i < to; ++i) {
                run.feed(batches[i].partition, batches[i].events);
                mirror.feed(batches[i].partition, batches[i].events);
                if ((i + 1) % static_cast<size_t>(every) != 0 && i + 1 != to)
                    continue;
                ++cuts;
                const bool writeCaches = writeCachesEvery > 0 && cuts % writeCachesEvery == 0;
                Result<WrittenCheckpoint> written = run.filesCheckpoint(dir, cuts, previous, writeCaches);
                QVERIFY2(written, written.status().toString().c_str());
                if (writeCaches)
                    for (uint32_t depth : written->cacheDepths)
                        QCOMPARE(depth, uint32_t(0));
                shared += written->sharedFiles;
                for (uint32_t depth : written->cacheDepths)
                    deepest = std::max(deepest, depth);
                previous = std::move(written).value();
                lastFile = (std::filesystem::path(dir) / previous.chain.back().file).string();
                pruneCheckpoints(dir, 2, previous.chain);
                Result<CheckpointFile> read = readCheckpoint(lastFile);
                QVERIFY2(read, read.status().toString().c_str());
                QVERIFY(read->savepoint.files.has_value());
                Savepoint records = read->savepoint;
                const Status scanned = readStateFiles(records, run.stateDir());
                QVERIFY2(scanned.isOk(), scanned.toString().c_str());
                records.state.canonicalize();
                if (encodeKeyedState(records.state) != encodeKeyedState(mirror.savepoint()))
                    QFAIL(qPrintable(QStringLiteral("checkpoint %1's files differ from the whole state after batch %2").arg(cuts).arg(i + 1)));
            }
        };
        const size_t restart = batches.size() * 2 / 3;
        checkpointUpTo(0, restart);
        if (QTest::currentTestFailed())
            return;
        qInfo("%d checkpoints, %d files shared with the one before, cache parts up to %u deep", cuts, shared, deepest);
        QVERIFY(cuts >= 3);
        QVERIFY(shared > 0);
        if (cacheKb >= 1024)
            QVERIFY2(deepest >= 3, "a cache that never fills builds every part on the one before");
        // Retention: the two newest checkpoints, the tables and checkpoints they name, and (so
        // that every checkpoint left restores) the tables of those checkpoints; nothing else.
        std::set<std::string> named, present;
        for (const std::string &file : checkpointFiles(dir)) { // newest first
            const std::string name = std::filesystem::path(file).filename().string();
            present.insert(name);
            if (present.size() > 2 && !named.contains(name))
                continue;
            Result<CheckpointFile> read = readCheckpoint(file);
            QVERIFY2(read, read.status().toString().c_str());
            for (const CheckpointLink &link : read->chain)
                named.insert(link.file);
        }
        for (const auto &entry : std::filesystem::directory_iterator(std::filesystem::path(dir) / "shared"))
            present.insert("shared/" + entry.path().filename().string());
        for (const std::string &file : present)
            QVERIFY2(named.contains(file), qPrintable(QStringLiteral("unreferenced file %1").arg(QString::fromStdString(file))));
        for (const std::string &file : named)
            QVERIFY2(present.contains(file), qPrintable(QStringLiteral("missing file %1").arg(QString::fromStdString(file))));

        Result<CheckpointFile> last = readCheckpoint(lastFile);
        QVERIFY2(last, last.status().toString().c_str());
        // A large cache's chain restored into a cache far smaller than it: the replay holds it all
        // until the last part, then writes it.
        if (cacheKb >= 1024)
            run.setCacheKb(16);
        run.restoreFromFiles(last->savepoint);
        previous = {};
        previous.chain = last->chain; // as the coordinator goes on after a restore: the tasks' next parts start chains
        checkpointUpTo(restart, batches.size());
        if (QTest::currentTestFailed())
            return;
        // Idle tasks asked to write their caches, twice (the second time they are empty): each
        // part starts a chain and the files still read back as the whole state.
        for (int again = 0; again < 2; ++again) {
            Result<WrittenCheckpoint> written = run.filesCheckpoint(dir, ++cuts, previous, true);
            QVERIFY2(written, written.status().toString().c_str());
            for (uint32_t depth : written->cacheDepths)
                QCOMPARE(depth, uint32_t(0));
            previous = std::move(written).value();
            Result<CheckpointFile> read = readCheckpoint((std::filesystem::path(dir) / previous.chain.back().file).string());
            QVERIFY2(read, read.status().toString().c_str());
            Savepoint records = read->savepoint;
            QVERIFY(readStateFiles(records, run.stateDir()).isOk());
            records.state.canonicalize();
            QVERIFY(encodeKeyedState(records.state) == encodeKeyedState(mirror.savepoint()));
        }
        run.finish();
        const std::string diff = describeDifference(uninterrupted.table(), run.table());
        QVERIFY2(diff.empty(), diff.c_str());
    }

    // A checkpoint of state files whose names would collide when a restore lays them out in one
    // folder (a private file named like a table: written through the table's link, it would
    // overwrite the shared file) is refused when read, with a valid checksum.
    void filesCheckpointWithCollidingNamesIsRefused()
    {
        QTemporaryDir dir;
        const std::filesystem::path folder = dir.path().toStdString();
        std::ofstream(folder / "000009.sst", std::ios::binary) << "table";
        const auto checkpointWith = [&](std::vector<std::pair<std::string, std::string>> privateFiles, uint64_t epoch) {
            KeyedStateChanges changes;
            TaskFiles task;
            task.tables.push_back({"000009.sst", "t-000009.sst", (folder / "000009.sst").string(), 5});
            task.privateFiles = std::move(privateFiles);
            changes.files.push_back(std::move(task));
            Savepoint head;
            head.epoch = epoch;
            head.takenAtMs = static_cast<int64_t>(epoch);
            Result<WrittenCheckpoint> written = writeFilesCheckpoint(folder.string(), head, 1, changes, {}, {});
            return written ? (folder / written->chain.back().file).string() : std::string();
        };
        const std::string good = checkpointWith({{"CURRENT", "MANIFEST-000005\n"}}, 1);
        QVERIFY2(readCheckpoint(good), readCheckpoint(good).status().toString().c_str());
        for (const auto &[name, epoch] : {std::pair{"000009.sst", 2}, std::pair{"CURRENT", 3}}) {
            std::vector<std::pair<std::string, std::string>> privateFiles = {{"CURRENT", "MANIFEST-000005\n"}};
            if (std::string(name) == "CURRENT")
                privateFiles.emplace_back("CURRENT", "again"); // listed twice
            else
                privateFiles.emplace_back(name, "not a table");
            const std::string crafted = checkpointWith(privateFiles, static_cast<uint64_t>(epoch));
            QVERIFY(!crafted.empty());
            const auto read = readCheckpoint(crafted);
            QCOMPARE(read.status().code(), Status::Code::Corruption);
            QVERIFY2(read.status().message().find("malformed") != std::string::npos, read.status().toString().c_str());
        }
    }

    // Changes come back sorted, and are refused when damaged or when a count is listed twice
    // (applyChanges merges sorted runs of one value per count).
    void damagedChangesAreRefused()
    {
        KeyedStateChanges changes;
        changes.records.keyGroups[5] = {{0, 0, 9, 100, 1}, {0, 0, 3, 100, 2}, {0, 0, 9, 100, 1}};
        changes.dropped = {{1, 60000}};
        const std::string repeated = encodeKeyedStateChanges(changes);
        QVERIFY(decodeKeyedStateChanges(repeated).status().message().find("listed twice") != std::string::npos);
        changes.records.keyGroups[5].pop_back();
        const std::string bytes = encodeKeyedStateChanges(changes);
        Result<KeyedStateChanges> decoded = decodeKeyedStateChanges(bytes);
        QVERIFY(decoded.isOk());
        QCOMPARE(decoded->records.keyGroups[5].front().key, uint64_t(3));
        std::string flipped = bytes;
        flipped[bytes.size() / 2] ^= 0x10;
        QVERIFY(decodeKeyedStateChanges(flipped).status().message().find("checksum") != std::string::npos);
        QCOMPARE(decodeKeyedStateChanges(encodeKeyedState({})).status().code(), Status::Code::Corruption);
    }

    // The state of P tasks is the same set of records whatever P and the backend are.
    void snapshotIndependentOfParallelismAndBackend()
    {
        const JobConfig config = streamConfig(5);
        const std::vector<SourceBatch> batches = pollAll(config);
        std::string first;
        for (Backend backend : {Backend::Heap, Backend::RocksDb}) {
            for (int p : {1, 3, 8}) {
                Pipeline run(config, p, backend);
                for (size_t i = 0; i < batches.size() / 3; ++i)
                    run.feed(batches[i].partition, batches[i].events);
                const std::string bytes = encodeKeyedState(run.savepoint());
                if (first.empty())
                    first = bytes;
                QVERIFY2(bytes == first, qPrintable(QStringLiteral("%1 P=%2 differs").arg(QLatin1String(backendName(backend))).arg(p)));
            }
        }
    }

    // Files written before the compact records (version 1: 26 bytes per record) still restore,
    // and the compact bytes hold the same state, extremes included, in far fewer bytes.
    void versionOneBytesStillDecode()
    {
        const JobConfig config = streamConfig(13);
        Pipeline run(config, 2);
        for (const SourceBatch &b : pollAll(config))
            run.feed(b.partition, b.events);
        KeyedStateSnapshot state = run.savepoint();
        std::vector<KeyedStateRecord> &group = state.keyGroups[7];
        group.push_back({0, 0, UINT64_MAX, INT64_MIN, INT64_MAX});
        group.push_back({31, KeyedStateRecord::kWindowFired, 0, INT64_MAX, INT64_MIN});
        group.push_back({31, 0, 1, INT64_MAX, -1});
        QVERIFY(state.recordCount() > 1000);

        const auto encodeVersionOne = [](const KeyedStateSnapshot &snapshot) {
            std::string out = "TALLYKS1";
            const auto put = [&out](auto v) { out.append(reinterpret_cast<const char *>(&v), sizeof v); };
            put(uint32_t(1));
            put(snapshot.watermark);
            put(uint8_t((snapshot.velocitySliding ? 1 : 0) | (snapshot.spamSliding ? 2 : 0)));
            for (const auto &g : snapshot.keyGroups) {
                put(uint32_t(g.size()));
                for (const KeyedStateRecord &r : g)
                    put(r.structure), put(r.flags), put(r.key), put(r.ns), put(r.value);
            }
            put(crc32c(out));
            return out;
        };
        const std::string v1 = encodeVersionOne(state);

        Result<KeyedStateSnapshot> fromV1 = decodeKeyedState(v1);
        QVERIFY2(fromV1, fromV1.status().toString().c_str());
        QVERIFY(fromV1->keyGroups == state.keyGroups);
        QCOMPARE(fromV1->watermark, state.watermark);
        const std::string compact = encodeKeyedState(state);
        Result<KeyedStateSnapshot> fromCompact = decodeKeyedState(compact);
        QVERIFY2(fromCompact, fromCompact.status().toString().c_str());
        QVERIFY(fromCompact->keyGroups == state.keyGroups);
        qInfo("%zu records: version 1 %zu bytes, compact %zu bytes", state.recordCount(), v1.size(), compact.size());
        QVERIFY(compact.size() * 3 < v1.size());

        // A version-1 record no build writes (structure 200) is refused by name.
        group.back().structure = 200;
        const Status refused = decodeKeyedState(encodeVersionOne(state)).status();
        QCOMPARE(refused.code(), Status::Code::Corruption);
        QVERIFY2(refused.message().find("structure 200") != std::string::npos, refused.message().c_str());
    }

    void damagedBytesAreRefused()
    {
        const JobConfig config = streamConfig(9);
        Pipeline run(config, 2);
        for (const SourceBatch &b : pollAll(config))
            run.feed(b.partition, b.events);
        const std::string bytes = encodeKeyedState(run.savepoint());
        std::string flipped = bytes;
        flipped[bytes.size() / 2] ^= 0x10;
        QCOMPARE(decodeKeyedState(flipped).status().code(), Status::Code::Corruption);
        QVERIFY(decodeKeyedState(flipped).status().message().find("checksum") != std::string::npos);
        QCOMPARE(decodeKeyedState(bytes.substr(0, bytes.size() - 7)).status().code(), Status::Code::Corruption);
        QCOMPARE(decodeKeyedState("not a snapshot").status().code(), Status::Code::Corruption);
    }

    // Counts keep their sign across the packed stamp, and a count stamped long ago is listed when
    // it changes again in any later generation: keys 100..139 change in one generation, then
    // nothing for 65,520 checkpoints, then one of them per checkpoint, so one of those
    // generations has the old one's 16-bit stamp (without the reset at the wrap, that key's
    // change would go unlisted).
    void countTablesListChangesAcrossStampWraps()
    {
        CountTables tables;
        tables.trackChanges();
        tables.add(7, 1, -5);
        tables.add(7, 1, int64_t(1) << 40);
        QCOMPARE(tables.get(7, 1), (int64_t(1) << 40) - 5);
        std::vector<ExportedCount> changed;
        tables.takeChanges(0, changed); // namespace 7 is new: copied whole
        QCOMPARE(changed.size(), size_t(1));
        for (uint64_t key = 100; key < 140; ++key)
            tables.add(7, key, -2);
        changed.clear();
        tables.takeChanges(0, changed); // the namespace is no longer new: its changed counts are listed
        QCOMPARE(changed.size(), size_t(40));
        for (int generation = 0; generation < 65'520; ++generation) {
            changed.clear();
            tables.takeChanges(0, changed);
            QCOMPARE(changed.size(), size_t(0));
        }
        for (uint64_t key = 100; key < 140; ++key) {
            changed.clear();
            tables.add(7, key, 1);
            tables.takeChanges(0, changed);
            QVERIFY2(changed.size() == 1, qPrintable(QStringLiteral("key %1's change was not listed").arg(key)));
            QCOMPARE(changed.front().value, int64_t(-1));
        }
        QCOMPARE(tables.get(7, 1), (int64_t(1) << 40) - 5);
    }

    // A whole snapshot shares the tables instead of copying them: random adds, drops, snapshots
    // held over later changes (one read on another thread while the changes go on), incremental
    // changes taken in between, and for one seed the stamps wrapping while a snapshot is held.
    // Every snapshot, whenever it is read, holds exactly the counts at its cut; the changes
    // rebuild the counts; reads see the counts now (a map of every count is the oracle).
    void countTablesShareSnapshotsCopyOnWrite_data()
    {
        QTest::addColumn<uint64_t>("seed");
        QTest::addColumn<bool>("wrapStamps");
        QTest::newRow("seed 5") << uint64_t(5) << false;
        QTest::newRow("seed 11") << uint64_t(11) << false;
        QTest::newRow("seed 23, stamps wrap while shared") << uint64_t(23) << true;
    }
    void countTablesShareSnapshotsCopyOnWrite()
    {
        QFETCH(uint64_t, seed);
        QFETCH(bool, wrapStamps);
        qInfo("seed %llu (replay: this row)", static_cast<unsigned long long>(seed));
        using Counts = std::map<std::pair<int64_t, uint64_t>, int64_t>;
        struct Held {
            CountTables::Shared shared;
            Counts expected;
            int step;
        };
        const auto read = [](const CountTables::Shared &shared) {
            Counts counts;
            for (const auto &[ns, table] : shared)
                for (const auto &[key, count] : *table)
                    counts[{ns, key}] = count.value();
            return counts;
        };
        const auto checkHeld = [&](const Held &h, const Counts &seen, int step) {
            if (seen != h.expected)
                QFAIL(qPrintable(QStringLiteral("the snapshot taken at step %1 and read at step %2 holds other counts than the %3 of its cut")
                                     .arg(h.step)
                                     .arg(step)
                                     .arg(h.expected.size())));
        };
        std::mt19937_64 random(seed);
        CountTables tables;
        tables.trackChanges();
        Counts model, rebuilt;
        std::vector<int64_t> dropped;
        std::vector<Held> held;
        size_t snapshots = 0, threaded = 0;
        const auto randomAdd = [&] {
            const int64_t ns = static_cast<int64_t>(random() % 6);
            const uint64_t key = random() % 400;
            const int64_t delta = static_cast<int64_t>(random() % 9) - 3;
            tables.add(ns, key, delta);
            model[{ns, key}] += delta;
        };
        size_t generations = 1; // trackChanges() started one
        const auto takeChanges = [&](int step, bool compare = true) {
            std::vector<ExportedCount> changed;
            tables.takeChanges(0, changed);
            ++generations;
            for (int64_t ns : dropped)
                std::erase_if(rebuilt, [&](const auto &c) { return c.first.first == ns; });
            dropped.clear();
            for (const ExportedCount &c : changed)
                rebuilt[{c.ns, c.key}] = c.value;
            if (compare && rebuilt != model)
                QFAIL(qPrintable(QStringLiteral("the changes taken at step %1 rebuild other counts than the %2 held")
                                     .arg(step)
                                     .arg(model.size())));
        };
        for (int step = 0; step < 30'000; ++step) {
            const uint64_t op = random() % 1000;
            if (op < 900) {
                randomAdd();
            } else if (op < 910) {
                const int64_t ns = static_cast<int64_t>(random() % 6);
                tables.drop(ns);
                std::erase_if(model, [&](const auto &c) { return c.first.first == ns; });
                dropped.push_back(ns);
            } else if (op < 930 && held.size() < 3) {
                held.push_back({tables.share(), model, step});
                ++snapshots;
            } else if (op < 950 && !held.empty()) {
                const size_t which = random() % held.size();
                checkHeld(held[which], read(held[which].shared), step);
                held.erase(held.begin() + static_cast<std::ptrdiff_t>(which));
            } else if (op < 953 && !held.empty()) {
                // Read and let go on another thread while the counts change (the fold back races
                // the release, as with the snapshot writer).
                Counts seen;
                std::thread reader([&seen, &read, shared = std::move(held.back().shared)]() mutable {
                    seen = read(shared);
                    shared.clear();
                });
                for (int i = 0; i < 3000; ++i)
                    randomAdd();
                reader.join();
                checkHeld(held.back(), seen, step);
                held.pop_back();
                ++threaded;
            } else if (op < 970) {
                takeChanges(step);
            } else {
                const int64_t ns = static_cast<int64_t>(random() % 6);
                const uint64_t key = random() % 400;
                auto m = model.find({ns, key});
                QCOMPARE(tables.get(ns, key), m == model.end() ? 0 : m->second);
                Counts visited;
                tables.forEach(ns, [&](uint64_t k, int64_t value) { QVERIFY(visited.emplace(std::pair{ns, k}, value).second); });
                Counts expected(model.lower_bound({ns, 0}), model.lower_bound({ns + 1, 0}));
                QVERIFY(visited == expected);
                QCOMPARE(tables.entries(), model.size());
            }
            // Every count changed in generation 65533, shared, then the stamps wrap: 65535
            // generations later (the wrap skips stamp 0) the generation's stamp is 65533 again,
            // the shared counts' stamp too. Their first change must still be listed, whether it
            // copies a count from the shared table or comes after the table was folded back.
            if (wrapStamps && step == 15'000) {
                while (generations < 65'532 && !QTest::currentTestFailed())
                    takeChanges(step, false); // nothing changes in between: compared once after
                takeChanges(step);
                const auto addAll = [&](uint64_t firstKey, uint64_t endKey) {
                    for (int64_t ns = 0; ns < 6; ++ns)
                        for (uint64_t key = firstKey; key < endKey; ++key) {
                            tables.add(ns, key, 1);
                            model[{ns, key}] += 1;
                        }
                };
                addAll(0, 400);
                Held acrossWrap{tables.share(), model, step};
                for (int generation = 0; generation < 65'535 && !QTest::currentTestFailed(); ++generation)
                    takeChanges(step, generation + 1 == 65'535);
                addAll(0, 200); // copied from the shared table
                checkHeld(acrossWrap, read(acrossWrap.shared), step);
                acrossWrap.shared.clear();
                addAll(200, 400); // folded back
                takeChanges(step);
            }
            if (QTest::currentTestFailed()) // a check in a lambda above
                return;
        }
        for (const Held &h : held)
            checkHeld(h, read(h.shared), 30'000);
        qInfo("%zu snapshots (%zu read on another thread), %zu counts at the end", snapshots, threaded, model.size());
        QVERIFY(snapshots > 100 && threaded > 10);
    }

    // CRC-32C's check values (RFC 3720 B.4), at lengths that end on and off the hardware path's
    // eight-byte steps, whole and in two pieces.
    void crc32cKnownValues()
    {
        QCOMPARE(crc32c("123456789"), 0xE3069283u);
        QCOMPARE(crc32c(std::string(32, '\0')), 0x8A9136AAu);
        QCOMPARE(crc32c(std::string(32, '\xff')), 0x62A8AB43u);
        std::string ascending(32, '\0');
        for (int i = 0; i < 32; ++i)
            ascending[static_cast<size_t>(i)] = static_cast<char>(i);
        QCOMPARE(crc32c(ascending), 0x46DD794Eu);
        for (size_t cut : {size_t(0), size_t(3), size_t(8), size_t(13), size_t(32)})
            QCOMPARE(crc32c(std::string_view(ascending).substr(cut), crc32c(std::string_view(ascending).substr(0, cut))),
                     0x46DD794Eu);
    }

    // The framing shared by savepoints and keyed-state snapshots: the body comes back only from
    // the same format; a later version with a valid checksum is refused by version, not as damage.
    void checksummedFramingNamesWhatIsWrong()
    {
        const ChecksummedFormat v1{"test file", "TALLYTF1", 1};
        const ChecksummedFormat v2{"test file", "TALLYTF1", 2};
        const ChecksummedFormat other{"other file", "TALLYOF1", 1};
        std::string framed;
        beginChecksummed(framed, v2);
        framed += "body bytes";
        sealChecksummed(framed);

        auto body = openChecksummed(framed, v2);
        QVERIFY(body.isOk());
        QCOMPARE(std::string(body.value()), std::string("body bytes"));

        const auto version = openChecksummed(framed, v1);
        QVERIFY(version.status().message().find("format version 2 is not supported (this build reads 1)") != std::string::npos);
        const auto foreign = openChecksummed(framed, other);
        QVERIFY(foreign.status().message().find("not a Tally other file") != std::string::npos);
        std::string damaged = framed;
        damaged[14] ^= 0x01;
        QVERIFY(openChecksummed(damaged, v2).status().message().find("test file: checksum mismatch") != std::string::npos);
        QVERIFY(!openChecksummed(framed.substr(0, 15), v2).isOk());
    }
};

QTEST_GUILESS_MAIN(TestKeyedState)
#include "tst_keyed_state.moc"
