#!/usr/bin/env bash
# Runs a soak: a long fault run outside the default test run, against real servers (ctest starts
# the local Kafka broker and PostgreSQL server it needs). Each prints its seed first and its counts
# at the end; README lists the last clean result of each.
#
#   scripts/soak.sh kills      200 SIGKILLs per state backend (heap, rocksdb) and per sink (SQLite,
#                              PostgreSQL), each final table equal to the oracle (about two hours);
#                              kills-heap and kills-rocksdb run one backend
#   scripts/soak.sh faults     PostgreSQL stopped for 30 s and the broker restarted, 10 times each,
#                              with kills in between and during the outages: 0 lost, 0 duplicated,
#                              the job never ends by itself (about 20 minutes)
#   scripts/soak.sh throttle   the sink held to 10% of its rate for 10 minutes: no consumer-group
#                              rebalance, bounded memory, the lag drains afterwards (about 15 minutes)
#   scripts/soak.sh all        the three, one after another
#
# TALLY_TEST_SEED=N replays a run's random choices. The counts can be changed for a shorter or
# longer run: TALLY_SOAK_OUTAGES (faults, default 10), TALLY_SOAK_THROTTLE_SECONDS (throttle,
# default 600); kills runs tst_crash_recovery, whose TALLY_RECOVERY_KILLS ctest sets to 200 (for
# another count run `TALLY_RECOVERY_KILLS=N ctest --test-dir build -R '^tst_crash_recovery$'`).
# The output of the run is also in build/soak-NAME.log.
set -euo pipefail

# shellcheck source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"

case ${1:-} in
  kills-heap | kills-rocksdb | faults | throttle) soaks=("$1") ;;
  kills) soaks=(kills-heap kills-rocksdb) ;;
  all) soaks=(kills-heap kills-rocksdb faults throttle) ;;
  *)
    echo "usage: scripts/soak.sh kills|kills-heap|kills-rocksdb|faults|throttle|all" >&2
    exit 2
    ;;
esac

tally_build
for soak in "${soaks[@]}"; do
  ctest --test-dir "$tally_build_dir" --no-tests=error --verbose -R "^soak_${soak//-/_}\$" 2>&1 |
    tee "$tally_build_dir/soak-${soak}.log"
done
