#!/usr/bin/env bash
# Installs what is missing, builds Tally if it is not up to date, and runs it. Arguments go to
# tally, e.g. `scripts/run.sh --config resources/tally.toml`. Without a configuration Tally reads
# the built-in generator and writes tally.db (SQLite) in the current folder.
#
# Same build folder as scripts/test.sh: build/ at the repository root, or TALLY_BUILD_DIR
# (scripts/lib/build.sh).
set -euo pipefail

# shellcheck source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"
tally_build tally

exec "$tally_build_dir/app/tally" "$@"
