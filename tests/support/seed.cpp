// The run's seed for a test's random choices (see seed.h).
#include "support/seed.h"

#include <QByteArray>
#include <QtGlobal>

#include <cstdio>

namespace tally::test {

namespace {

uint64_t readSeed()
{
    uint64_t seed = 0;
    const QByteArray text = qgetenv("TALLY_TEST_SEED").trimmed();
    if (!text.isEmpty()) {
        bool ok = false;
        seed = text.toULongLong(&ok);
        if (!ok)
            qFatal("TALLY_TEST_SEED is not a decimal number: %s", text.constData());
    } else {
        std::random_device device;
        seed = (uint64_t(device()) << 32) ^ device();
    }
    std::printf("seed %llu (set TALLY_TEST_SEED to replay)\n", static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    return seed;
}

} // namespace

uint64_t testSeed()
{
    static const uint64_t seed = readSeed();
    return seed;
}

std::mt19937_64 seededGenerator(std::string_view stream)
{
    // FNV-1a: a hash of the stream's name that is the same in every build, unlike std::hash.
    uint64_t hash = 14695981039346656037ull;
    for (const char c : stream) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    const uint64_t seed = testSeed();
    std::seed_seq sequence{uint32_t(seed), uint32_t(seed >> 32), uint32_t(hash), uint32_t(hash >> 32)};
    return std::mt19937_64(sequence);
}

} // namespace tally::test
