#!/usr/bin/env bash
# Installs what is missing, builds Tally and runs its tests with ctest.
#
#   scripts/test.sh                 every test
#   scripts/test.sh -L oracle       arguments go to ctest (here: only the tests labelled oracle)
#
# The build folder is build/ at the repository root (TALLY_BUILD_DIR overrides it), configured
# once as a Ninja Release build and shared with scripts/run.sh, so CI compiles everything once
# (scripts/lib/build.sh). An existing build folder keeps its own settings (build type,
# TALLY_SANITIZE, ...). CTEST_PARALLEL_LEVEL overrides how many tests run at once (default: one
# per core).
#
# Before running anything it checks that the build has tests for every label below, and fails
# naming the labels that have none: a group of tests that vanished (say, because configure did
# not find what they need) is an error, not a pass. A run that selects no test at all fails too
# (ctest --no-tests=error). The soak runs (label soak) take hours and are left out: scripts/soak.sh
# runs them.
set -euo pipefail

# shellcheck source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"
tally_build
# The fuzz targets build with clang in a folder of their own; the fuzz smoke tests run them.
"$tally_root/scripts/fuzz.sh" --build

# The labels of tests/CMakeLists.txt, each with at least one test.
expected_labels=(unit oracle kafka postgres recovery gui installer security web fuzz)
empty=()
for label in "${expected_labels[@]}"; do
  count=$(ctest --test-dir "$tally_build_dir" --show-only -L "^${label}\$" | sed -n 's/^Total Tests: //p')
  [[ ${count:-0} -gt 0 ]] || empty+=("$label")
done
if [[ ${#empty[@]} -gt 0 ]]; then
  echo "test: no tests with the label(s) ${empty[*]} in $tally_build_dir (see tests/CMakeLists.txt)" >&2
  exit 1
fi

# --- Services for the integration tests -------------------------------------------------------
# The tests labelled kafka and postgres start their local servers themselves: ctest runs
# scripts/kafka/kafka.sh as the fixture tests kafka_broker_start and kafka_broker_stop
# (tests/kafka_fixture.cmake), and scripts/postgres/pg.sh as postgres_server_start and
# postgres_server_stop (tests/postgres_fixture.cmake), so `ctest -L kafka` and `ctest -L postgres`
# work on their own too. The unit and oracle tests need none.

ctest --test-dir "$tally_build_dir" --output-on-failure --no-tests=error --label-exclude '^soak$' \
  --parallel "${CTEST_PARALLEL_LEVEL:-$(nproc)}" "$@"
