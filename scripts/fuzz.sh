#!/usr/bin/env bash
# Runs a libFuzzer target of fuzz/ (clang, with ASan and UBSan) for a while.
#
#   scripts/fuzz.sh TARGET SECONDS    one target, e.g. scripts/fuzz.sh savepoint 3600
#   scripts/fuzz.sh all SECONDS       every target, one after another, SECONDS each
#   scripts/fuzz.sh --build           only build the targets and write the seed corpora
#   scripts/fuzz.sh --prebuilt TARGET SECONDS
#                                     run without building (the test run's fuzz smoke: scripts/test.sh
#                                     builds first, and the smoke tests run side by side)
#   scripts/fuzz.sh --list            the targets' names
#
# The targets build in their own folder, build-fuzz/ at the repository root (TALLY_FUZZ_BUILD_DIR
# overrides it), configured once with clang and -DTALLY_FUZZ=ON. Each target starts from the seed
# corpus write_fuzz_seeds makes (BUILD/fuzz-seeds/TARGET) and keeps what it finds interesting in
# BUILD/fuzz-corpus/TARGET, so a later run goes on from there. A crash, a leak, undefined
# behaviour, an input slower than 10 s or one needing more than 2 GB ends the run with exit code 1
# and the input in BUILD/fuzz-crashes/TARGET/; turn it into a regression test (see README,
# Fuzzing) before fixing it.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${TALLY_FUZZ_BUILD_DIR:-$root/build-fuzz}
targets=$(sed -n 's/^set(TALLY_FUZZ_TARGETS \(.*\))$/\1/p' "$root/fuzz/targets.cmake")

usage() {
  echo "usage: scripts/fuzz.sh TARGET|all SECONDS | --build | --list  (targets: $targets)" >&2
  exit 2
}

build_targets() {
  bash "$root/scripts/install-deps.sh" >&2
  if [[ ! -f $build/CMakeCache.txt ]]; then
    CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTALLY_FUZZ=ON >&2
  fi
  cmake --build "$build" --parallel "$(nproc)" --target fuzz_targets >&2
  rm -rf "$build/fuzz-seeds"
  "$build/fuzz/write_fuzz_seeds" "$build/fuzz-seeds"
}

run_target() {
  local target=$1 seconds=$2
  [[ " $targets " == *" $target "* ]] || usage
  local corpus=$build/fuzz-corpus/$target crashes=$build/fuzz-crashes/$target
  mkdir -p "$corpus" "$crashes"
  echo "fuzz: $target for ${seconds}s" >&2
  # -rss_limit_mb and -timeout make a memory blow-up or a hang a finding, not a stuck run.
  "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "$build/fuzz-seeds/$target"
}

case ${1:-} in
  --list) echo "$targets" | tr ' ' '\n' ;;
  --build) build_targets ;;
  --prebuilt)
    [[ $# -eq 3 ]] || usage
    [[ -x $build/fuzz/fuzz_$2 && -d $build/fuzz-seeds/$2 ]] || {
      echo "fuzz: $build has no fuzz_$2 or its seeds; run scripts/fuzz.sh --build" >&2
      exit 1
    }
    run_target "$2" "$3"
    ;;
  all)
    [[ $# -eq 2 ]] || usage
    build_targets
    for target in $targets; do run_target "$target" "$2"; done
    ;;
  ""|-*) usage ;;
  *)
    [[ $# -eq 2 ]] || usage
    build_targets
    run_target "$1" "$2"
    ;;
esac
