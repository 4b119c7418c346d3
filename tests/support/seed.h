// The seed of a test run is the one number every random choice of the test comes from, so that a
// failing run can be replayed exactly: TALLY_TEST_SEED=N runs it again with the seed N.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

namespace tally::test {

// The run's seed: TALLY_TEST_SEED if it is set (a decimal number; anything else stops the test),
// else one drawn from std::random_device. The first call prints
// "seed N (set TALLY_TEST_SEED to replay)" on one line; call it at the start of the test
// (initTestCase) so that line comes first. Thread-safe.
uint64_t testSeed();

// A generator for one stream of random choices, e.g. one data row of a test: seeded from
// testSeed() and `stream`, so a row run alone (`tst_x fn:row`) makes the same choices as in the
// full run.
std::mt19937_64 seededGenerator(std::string_view stream);

} // namespace tally::test
