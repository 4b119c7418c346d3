#!/usr/bin/env bash
# Builds Tally with a sanitizer into a folder of its own and runs the tests it is meant for.
#
#   scripts/sanitize.sh address     AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/):
#                                   the unit, oracle, recovery and security tests
#   scripts/sanitize.sh thread      ThreadSanitizer (build-tsan/): the unit, oracle and recovery
#                                   tests, where the engine's threads meet, against a RocksDB built
#                                   with ThreadSanitizer too (scripts/sanitizers/rocksdb.sh, once)
#   scripts/sanitize.sh KIND ARGS   more arguments go to ctest, e.g. -R tst_job
#
# Any report fails the test that caused it (halt_on_error). Suppressions, only for third-party
# code and each with its reason, are in scripts/sanitizers/. TALLY_SANITIZE_BUILD_DIR overrides
# the folder.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kind=${1:-}
case $kind in
  address)
    sanitize=address,undefined
    build=${TALLY_SANITIZE_BUILD_DIR:-$root/build-asan}
    labels='^(unit|oracle|recovery|security)$'
    cmake_args=()
    export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1}
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/sanitizers/lsan.supp:print_suppressions=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
    ;;
  thread)
    sanitize=thread
    build=${TALLY_SANITIZE_BUILD_DIR:-$root/build-tsan}
    labels='^(unit|oracle|recovery)$'
    rocksdb=$build/rocksdb-tsan
    cmake_args=(-DRocksDB_DIR="$rocksdb/lib/cmake/rocksdb")
    # ignore_noninstrumented_modules: memory that Debian's uninstrumented Qt, GLib and protobuf
    # allocate and free while handing it between their threads (QNetworkAccessManager's HTTP
    # thread, queued signals) synchronizes through locks TSan cannot see; their calls to the
    # intercepted functions are ignored, Tally's own accesses are all checked.
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$root/scripts/sanitizers/tsan.supp}
    ;;
  *)
    echo "usage: scripts/sanitize.sh address|thread [ctest arguments]" >&2
    exit 2
    ;;
esac
shift

bash "$root/scripts/install-deps.sh" >&2
if [[ $kind == thread ]]; then
  bash "$root/scripts/sanitizers/rocksdb.sh" "$rocksdb" >&2
fi
# RelWithDebInfo: the sanitized tests run several times slower than Release already.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTALLY_SANITIZE="$sanitize" \
  "${cmake_args[@]}" >&2
cmake --build "$build" --parallel "$(nproc)" >&2
# Sanitized code runs slower: a sanitizer build gives its tests three times their timeouts
# (tests/CMakeLists.txt).
ctest --test-dir "$build" --output-on-failure --no-tests=error -L "$labels" "$@"
