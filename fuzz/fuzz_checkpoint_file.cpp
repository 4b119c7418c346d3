// Checkpoint files of every kind (checkpoint/checkpoint_store.h: full .tsp, incremental .tsi,
// of state files .tsf) on arbitrary bytes, resealed with a valid checksum and written into a
// checkpoint folder of their own: reading one (and the files its chain names) and retention over
// the folder refuse what is malformed, never crash, and never touch a file outside the folder.
#include "checkpoint/checkpoint_store.h"
#include "reseal.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // Removed when the fuzzer exits.
    static const struct Folder {
        std::filesystem::path path =
            std::filesystem::temp_directory_path() / ("fuzz-checkpoint-" + std::to_string(getpid()));
        ~Folder() { std::filesystem::remove_all(path); }
    } scratch;
    const std::filesystem::path &folder = scratch.path;
    const std::string bytes = tally::fuzz::reseal(data, size);
    const std::string_view magic = std::string_view(bytes).substr(0, 8);
    const char *extension = magic == "TALLYCF1" ? ".tsf" : magic == "TALLYCI1" ? ".tsi" : ".tsp";
    std::filesystem::remove_all(folder);
    std::filesystem::create_directories(folder / "shared");
    const std::filesystem::path path = folder / (std::string("checkpoint-2-2") + extension);
    {
        std::ofstream out(path, std::ios::binary);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    // A file its chain may name, so reading goes on past the first link.
    std::ofstream(folder / "shared" / "t-000001.sst", std::ios::binary) << "table";
    auto read = tally::readCheckpoint(path.string());
    if (read && read->chain.empty())
        std::abort(); // a checkpoint's chain ends with the file itself
    tally::pruneCheckpoints(folder.string(), 1, {});
    if (!std::filesystem::exists(path))
        std::abort(); // the newest checkpoint is retained
    return 0;
}
