#!/usr/bin/env bash
# Installs what is missing, builds Tally if it is not up to date, and runs it. Arguments go to
# tally, e.g. `scripts/run.sh --config resources/tally.toml`. Without a configuration Tally reads
# the built-in generator and writes tally.db (SQLite) in the current folder.
#
# Same build folder as scripts/test.sh: build/ at the repository root, or TALLY_BUILD_DIR.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${TALLY_BUILD_DIR:-$root/build}

bash "$root/scripts/install-deps.sh" >&2

if [[ -f "$build_dir/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build_dir" >&2
else
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
fi
cmake --build "$build_dir" --parallel "$(nproc)" --target tally >&2

exec "$build_dir/app/tally" "$@"
