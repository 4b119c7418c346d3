// Writes the fuzz targets' seed corpora, one folder per target under the folder it is given:
// well-formed inputs of each format made by the encoders the tests use, so the fuzzers start
// from the inputs the engine really reads (and the seeds follow the formats when they change).
//
//   write_fuzz_seeds DIR      writes DIR/<target>/seed-<n>
#include "checkpoint/checkpoint_store.h"
#include "checkpoint/savepoint.h"
#include "core/results.h"
#include "event/codec.h"
#include "runtime/job_options.h"
#include "window/aggregations.h"
#include "window/keyed_state.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace tally;

namespace {

void writeSeeds(const std::filesystem::path &dir, const std::string &target, const std::vector<std::string> &seeds)
{
    const auto folder = dir / target;
    std::filesystem::create_directories(folder);
    for (size_t i = 0; i < seeds.size(); ++i)
        std::ofstream(folder / ("seed-" + std::to_string(i)), std::ios::binary) << seeds[i];
}

std::vector<LikeEvent> sampleEvents()
{
    std::vector<LikeEvent> events;
    for (uint8_t schema : {1, 2}) {
        LikeEvent e;
        e.eventId = 42 + schema;
        e.postId = 7;
        e.userId = 1001;
        e.eventTimeMs = 1767225600000;
        e.region = 3;
        e.action = schema == 1 ? Action::Like : Action::Unlike;
        e.deviceType = schema == 2 ? DeviceType::Android : DeviceType::None;
        e.schemaVersion = schema;
        events.push_back(e);
    }
    return events;
}

std::vector<OutputRow> sampleRows()
{
    std::vector<OutputRow> rows;
    for (size_t a = 0; a < kAggregationCount; ++a) {
        OutputRow r;
        r.aggregation = static_cast<Aggregation>(a);
        r.kind = a % 2 ? OutputRow::Kind::Delete : OutputRow::Kind::Upsert;
        r.flag = a == 3;
        r.windowStartMs = 1767225600000;
        r.windowEndMs = r.windowStartMs + 60000;
        r.key = 7 + a;
        r.value = 12 - static_cast<int64_t>(a);
        r.epoch = 3;
        rows.push_back(r);
    }
    return rows;
}

KeyedStateSnapshot sampleState()
{
    KeyedStateSnapshot s;
    s.watermark = 1767225660000;
    s.velocitySliding = true;
    const auto add = [&](StateStructure structure, KeyFamily family, uint64_t key, int64_t ns, int64_t value) {
        s.keyGroups[static_cast<size_t>(keyGroupFor(family, key))].push_back(
            {static_cast<uint8_t>(structure), KeyedStateRecord::kWindowFired, key, ns, value});
    };
    add(StateStructure::LikesPerPost, KeyFamily::Post, 7, 1767225600000, 5);
    add(StateStructure::Trending, KeyFamily::Post, 8, 1767225600000, -2);
    add(StateStructure::VelocityPane, KeyFamily::Post, 9, 1767225600000, 3);
    add(StateStructure::SpamPane, KeyFamily::User, 1001, 1767225600000, 40);
    add(StateStructure::SpamBaseline, KeyFamily::User, 1001, 1767225600000, 2);
    add(StateStructure::Region, KeyFamily::Region, regionKey(3), 1767225600000, 11);
    s.canonicalize();
    return s;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: write_fuzz_seeds DIR\n");
        return 2;
    }
    const std::filesystem::path dir = argv[1];

    std::vector<std::string> records;
    for (const LikeEvent &e : sampleEvents())
        for (const auto format : {WireFormat::Json, WireFormat::Protobuf})
            records.push_back(encodeRecord(e, format));
    writeSeeds(dir, "record_decoder", records);

    writeSeeds(dir, "packed_rows", {packRows(sampleRows())});
    KeyedStateChanges changes;
    changes.records = sampleState();
    changes.dropped = {{static_cast<uint8_t>(StateStructure::SpamPane), 1767225540000}};
    changes.fired = {{static_cast<uint8_t>(StateStructure::LikesPerPost), 1767225600000}};
    writeSeeds(dir, "keyed_state",
               {encodeKeyedState(sampleState()), encodeKeyedState(KeyedStateSnapshot{}), encodeKeyedStateChanges(changes)});

    Savepoint savepoint;
    savepoint.epoch = 4;
    savepoint.takenAtMs = 1767225700000;
    savepoint.fingerprint = "aggregations.likes_per_post.window_ms=60000\n";
    savepoint.ingest.watermark = 1767225660000;
    savepoint.ingest.maxEventTimesMs = {1767225661000, 1767225662000};
    savepoint.sourcePositions = {100, 250};
    savepoint.pendingRows = sampleRows();
    savepoint.state = sampleState();
    writeSeeds(dir, "savepoint", {encodeSavepoint(savepoint)});

    // Checkpoint files as a job writes them: full, incremental on it, and of state files (one
    // task, its table published from a scratch file).
    const std::filesystem::path scratch = dir / "checkpoint_file.scratch";
    std::filesystem::create_directories(scratch);
    const auto bytesOf = [&](const CheckpointLink &link) {
        std::ifstream in(scratch / link.file, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    std::vector<std::string> checkpointSeeds;
    Savepoint head = savepoint;
    head.state = {};
    if (auto full = writeFullCheckpoint(scratch.string(), savepoint)) {
        checkpointSeeds.push_back(bytesOf(*full));
        head.epoch = 5;
        if (auto incremental = writeIncrementalCheckpoint(scratch.string(), head, changes, {*full}))
            checkpointSeeds.push_back(bytesOf(*incremental));
    }
    std::ofstream(scratch / "000009.sst", std::ios::binary) << "table";
    KeyedStateChanges files;
    files.records.watermark = 1767225660000;
    files.fired = changes.fired;
    TaskFiles task;
    task.tables.push_back({"000009.sst", "t-000001.sst", (scratch / "000009.sst").string(), 5});
    task.privateFiles = {{"CURRENT", "MANIFEST-000005\n"}, {"MANIFEST-000005", std::string(40, 'm')}};
    // The write-back cache's part: what it holds beyond the table (a drop, then two counts).
    task.cache.push_back({2, [](const DropVisit &dropped, const CountVisit &set) {
                              const auto likesPerPost = static_cast<uint8_t>(StateStructure::LikesPerPost);
                              dropped(likesPerPost, 1767225600000);
                              set(likesPerPost, 1767225660000, 42, 3);
                              set(likesPerPost, 1767225660000, 7, -1);
                          }});
    files.files.push_back(task);
    head.epoch = 6;
    if (auto written = writeFilesCheckpoint(scratch.string(), head, 1, files, {}, {}))
        checkpointSeeds.push_back(bytesOf(written->chain.back()));
    if (checkpointSeeds.size() != 3) {
        std::fprintf(stderr, "write_fuzz_seeds: cannot write the checkpoint seeds in %s\n", scratch.c_str());
        return 1;
    }
    writeSeeds(dir, "checkpoint_file", checkpointSeeds);
    std::filesystem::remove_all(scratch);

    writeSeeds(dir, "config",
               {writeConfigToml(),
                "[source]\ntype = \"kafka\"\n[source.kafka]\nbootstrap = \"127.0.0.1:9092\"\ntopic = \"likes\"\n"
                "[runtime]\nparallelism = 4\n[aggregations.likes_by_region]\nwindows_ms = [60000, 3600000]\n"});
    // Request paths (traversal attempts among them), Content-Types and JSON bodies as the web
    // console's tests send them.
    writeSeeds(dir, "web_head",
               {"GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
                "POST /api/v1/actions/rescale HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                "Content-Length: 17\r\nX-CSRF-Token: abc\r\n\r\n{\"parallelism\":3}",
                "GET /live HTTP/1.1\nHost: a\nUpgrade: websocket\nConnection: Upgrade\n\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\n folded: x\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/1.1\r\nHost: a"});
    writeSeeds(dir, "web_request",
               {"/", "/app.js", "/style.css", "/..%2f..%2fetc/passwd", "/%252e%252e/x", "//etc/passwd",
                "application/json; charset=utf-8", "application/jsonx",
                R"({"parallelism": 3, "confirm": true})", R"({"a": 1, "\u0061": 2})",
                R"({"post": {"id": 7, "id": 8}, "list": [1, {"k": "v"}]})"});
    return 0;
}
