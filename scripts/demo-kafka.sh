#!/usr/bin/env bash
# The Kafka demo: a real local broker, the load generator producing a skewed stream (with a few
# malformed records) at a steady rate, and Tally consuming it with its live summary. Ctrl-C stops
# Tally (it drains), then the load generator and the broker.
#
#   scripts/demo-kafka.sh                 50,000 likes/s into topic "likes" (4 partitions)
#   DEMO_RATE=200000 scripts/demo-kafka.sh
#
# The broker keeps its data in ${TALLY_DEMO_KAFKA_DIR:-/tmp/tally-demo-kafka}, fresh each run.
# Same build folder as scripts/run.sh: build/, or TALLY_BUILD_DIR (scripts/lib/build.sh).
set -euo pipefail

# shellcheck source=lib/build.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/build.sh"
root=$tally_root
build_dir=$tally_build_dir
kafka_dir=${TALLY_DEMO_KAFKA_DIR:-/tmp/tally-demo-kafka}
rate=${DEMO_RATE:-50000}
topic=likes

tally_build tally tally-loadgen

loadgen_pid=
cleanup() {
  [[ -n "$loadgen_pid" ]] && kill "$loadgen_pid" 2>/dev/null && wait "$loadgen_pid" 2>/dev/null
  bash "$root/scripts/kafka/kafka.sh" stop "$kafka_dir" >&2 || true
}
trap cleanup EXIT

bootstrap=$(bash "$root/scripts/kafka/kafka.sh" start --fresh "$kafka_dir")
echo "demo: broker at $bootstrap, producing $rate likes/s to '$topic'" >&2
"$build_dir/app/tally-loadgen" --bootstrap "$bootstrap" --topic "$topic" --create-topic --partitions 4 \
  --rate "$rate" --malformed-fraction 0.001 --quiet &
loadgen_pid=$!
sleep 2 # let the topic exist before the consumer subscribes

"$build_dir/app/tally" --kafka "$bootstrap" --topic "$topic" --db "${TALLY_DEMO_DB:-tally-kafka.db}" "$@"
