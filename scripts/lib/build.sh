# The build that scripts/run.sh, scripts/test.sh and scripts/demo-kafka.sh share; sourced, not run.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"
#   tally_build [TARGET...]        every target when none is named
#
# Sets tally_root (the repository) and tally_build_dir: build/ at the repository root, or
# TALLY_BUILD_DIR. tally_build installs the Debian packages that are missing
# (scripts/install-deps.sh), configures the build folder once as a Ninja Release build (an
# existing build folder keeps its own settings: build type, TALLY_SANITIZE, ...) and builds
# TARGETs with one job per core. Everything it prints goes to standard error, so a script's own
# output (tally's) stays apart.

tally_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tally_build_dir=${TALLY_BUILD_DIR:-$tally_root/build}

tally_build() {
  local targets=() target
  for target in "$@"; do
    targets+=(--target "$target")
  done
  bash "$tally_root/scripts/install-deps.sh" >&2
  if [[ -f $tally_build_dir/CMakeCache.txt ]]; then
    cmake -S "$tally_root" -B "$tally_build_dir" >&2
  else
    cmake -S "$tally_root" -B "$tally_build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
  fi
  cmake --build "$tally_build_dir" --parallel "$(nproc)" "${targets[@]+"${targets[@]}"}" >&2
}
