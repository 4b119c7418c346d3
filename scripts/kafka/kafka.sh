#!/usr/bin/env bash
# Runs a real Apache Kafka broker on 127.0.0.1 for tests and demos: one KRaft node that is both
# broker and controller, with everything it has (configuration, data, log, pid) in one data folder.
#
#   kafka.sh fetch                                  download the broker's jars (once) and print their folder
#   kafka.sh start DATA_DIR [--port N] [--fresh] [--set KEY=VALUE]...
#                                                   start a broker, wait until it serves, print host:port
#   kafka.sh stop DATA_DIR                          stop it (SIGTERM, then SIGKILL after a timeout)
#   kafka.sh status DATA_DIR                        exit 0 and print host:port if it runs, exit 3 if not
#   kafka.sh topics DATA_DIR create NAME PARTITIONS [TopicCommand options...]
#   kafka.sh topics DATA_DIR delete NAME            (nothing to do if there is no such topic)
#   kafka.sh topics DATA_DIR list
#   kafka.sh topics DATA_DIR describe [NAME]
#   kafka.sh groups DATA_DIR list
#   kafka.sh groups DATA_DIR describe GROUP         Kafka's consumer-group tool (the class behind
#                                                   kafka-consumer-groups.sh): per partition the
#                                                   group's CURRENT-OFFSET, LOG-END-OFFSET and LAG
#   kafka.sh groups DATA_DIR members GROUP          the same tool's members: CONSUMER-ID, HOST,
#                                                   CLIENT-ID, #PARTITIONS and ASSIGNMENT
#   kafka.sh groups DATA_DIR reset-offsets GROUP TOPIC OPTION...
#                                                   the same tool's offset reset of GROUP on TOPIC,
#                                                   e.g. --to-datetime 2026-12-07T10:00:00.000Z
#                                                   --dry-run: per partition its NEW-OFFSET
#   kafka.sh records DATA_DIR delete TOPIC PARTITION OFFSET
#                                                   delete the partition's records before OFFSET
#                                                   (kafka-delete-records.sh): its log start
#                                                   offset becomes OFFSET
#
# start
#   --port N         the client (PLAINTEXT) port; default: a free one, or the one this folder had.
#                    The controller port is picked free when the folder is formatted and kept.
#   --fresh          stop the broker of DATA_DIR if it runs and wipe the folder first (only a
#                    folder that kafka.sh made: it refuses to start in any other non-empty one).
#   --set KEY=VALUE  a broker setting for this start, over the defaults below (repeatable).
#   A broker that already runs from DATA_DIR is left as it is; its address is printed.
#
# Files in DATA_DIR: bootstrap (host:port, while the broker runs), port (the client port, kept
# while the broker is stopped), broker.log (the broker's log, appended to), broker.pid, data/
# (topics and the KRaft metadata log, formatted once per folder),
# and what each start rewrites: server.properties, log4j2.properties, the admin tools' settings
# (tools-log4j2.properties, ready-check.properties) and the output of the last format and
# readiness check (format.log, ready-check.log).
#
# The broker's defaults, for a single node on a small machine: replication factor 1 everywhere
# (topics and the internal ones), 4 partitions for new topics and internal topics, no initial
# rebalance delay for consumer groups, and topics created on first use
# (auto.create.topics.enable=true), so a demo can produce to any topic at once. Tests create their
# topics explicitly (`topics ... create`) to get the partition count they check; pass
# `--set auto.create.topics.enable=false` to test what a client does with a missing topic.
#
# The jars come from Maven Central through scripts/kafka/pom.xml (pinned versions) and are kept in
# ${TALLY_CACHE_DIR:-$HOME/.cache/tally}/kafka-<version>/lib: only the first run needs the network
# (and mvn). This script installs nothing: scripts/install-deps.sh installs Java and Maven.
#
# Environment: TALLY_CACHE_DIR (see above), TALLY_KAFKA_START_TIMEOUT (seconds until the broker
# must serve, default 90), TALLY_KAFKA_STOP_TIMEOUT (seconds after SIGTERM before SIGKILL, default 30).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/service.sh
source "$script_dir/../lib/service.sh"
service_init kafka broker .tally-kafka-broker

pom=$script_dir/pom.xml
cache_root=${TALLY_CACHE_DIR:-${HOME:?set HOME or TALLY_CACHE_DIR}/.cache/tally}
service_seconds start_timeout TALLY_KAFKA_START_TIMEOUT 90
service_seconds stop_timeout TALLY_KAFKA_STOP_TIMEOUT 30

# The broker's JVM, sized for a 2-core machine that also runs the tests.
broker_jvm=(-Xms128m -Xmx512m -XX:ActiveProcessorCount=2 -XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -Djava.awt.headless=true)
# Short-lived admin tools: small heap, quick start-up.
tool_jvm=(-Xmx256m -XX:ActiveProcessorCount=2 -XX:TieredStopAtLevel=1 -XX:+UseSerialGC
  -Djava.awt.headless=true)

kafka_version() {
  local v
  v=$(sed -n 's:.*<kafka.version>\([^<]*\)</kafka.version>.*:\1:p' "$pom")
  [[ -n $v ]] || die "no <kafka.version> in $pom"
  printf '%s\n' "$v"
}

need_java() {
  command -v java >/dev/null 2>&1 ||
    die "java is not installed; Kafka needs Java 17 or newer (scripts/install-deps.sh installs it)"
  local major
  major=$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)
  if [[ -z $major || $major -lt 17 ]]; then
    die "Kafka needs Java 17 or newer; '$(command -v java)' is $(java -version 2>&1 | head -n 1)"
  fi
}

# Sets lib to the folder of the broker's jars, fetching them with Maven if they are not cached.
# The cache is keyed by the Kafka version and stamped with the checksum of pom.xml, so editing the
# pom refetches; a lock keeps parallel runs from fetching into the same folder at once.
lib=
ensure_jars() {
  local version cache sum lock_fd
  version=$(kafka_version)
  cache=$cache_root/kafka-$version
  lib=$cache/lib
  sum=$(sha256sum "$pom" | cut -d ' ' -f 1)
  if [[ -d $lib && -f $cache/pom.sha256 && $(<"$cache/pom.sha256") == "$sum" ]]; then
    return 0
  fi
  mkdir -p "$cache"
  exec {lock_fd}>"$cache/.lock"
  flock "$lock_fd"
  if [[ -d $lib && -f $cache/pom.sha256 && $(<"$cache/pom.sha256") == "$sum" ]]; then
    exec {lock_fd}>&-
    return 0
  fi
  command -v mvn >/dev/null 2>&1 ||
    die "mvn is not installed and the Kafka $version jars are not cached in $lib (scripts/install-deps.sh installs Maven)"
  need_java
  note "fetching the Kafka $version jars with Maven into $lib"
  rm -rf "$cache/build" "$cache/lib.new"
  mkdir -p "$cache/build"
  cp "$pom" "$cache/build/pom.xml"
  # Quiet: Maven prints only errors (the sed drops the colour codes Maven 3.8 prints anyway).
  if ! (cd "$cache/build" && mvn -B -q -ntp -Dstyle.color=never dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$cache/lib.new" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2); then
    rm -rf "$cache/lib.new"
    die "Maven could not fetch the Kafka $version jars (see its output above)"
  fi
  compgen -G "$cache/lib.new/kafka_2.13-*.jar" >/dev/null || die "Maven fetched no kafka_2.13 jar into $cache/lib.new"
  rm -rf "$lib"
  mv "$cache/lib.new" "$lib"
  printf '%s\n' "$sum" >"$cache/pom.sha256"
  exec {lock_fd}>&-
}

# Runs a Kafka command-line class on the cached classpath, with the tools' logging config of DIR.
run_tool() {
  local dir=$1
  shift
  java "${tool_jvm[@]}" -Dlog4j2.configurationFile="$dir/tools-log4j2.properties" -cp "$lib/*" "$@"
}

# Prints the pid of the broker running from DIR, if there is one; fails otherwise. A pid whose
# process is gone, or is no longer this folder's broker (pid reuse), does not count.
broker_pid() {
  pid_from_file "$1/broker.pid" kafka.Kafka "$1/server.properties"
}

# The setting KEY of DIR's last server.properties, if any.
saved_setting() {
  local dir=$1 key=$2
  [[ -f $dir/server.properties ]] || return 0
  sed -n "s/^${key//./\\.}=//p" "$dir/server.properties" | tail -n 1
}

write_configs() {
  local dir=$1 port=$2 cport=$3
  shift 3
  cat >"$dir/server.properties" <<EOF
# Written by scripts/kafka/kafka.sh at each start; edit the script, not this file.
# One KRaft node, broker and controller, on 127.0.0.1.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.bootstrap.servers=127.0.0.1:$cport
log.dirs=$dir/data

# One node: replication factor 1 for every topic, internal ones included.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Small and quick: few partitions, few threads, consumer groups start without waiting.
num.partitions=4
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
share.coordinator.state.topic.num.partitions=4
num.network.threads=2
num.io.threads=4
group.initial.rebalance.delay.ms=0

# Demos produce to new topics at once; tests create theirs with 'kafka.sh topics'.
auto.create.topics.enable=true
delete.topic.enable=true
EOF
  if [[ $# -gt 0 ]]; then
    printf '\n# From kafka.sh start --set.\n' >>"$dir/server.properties"
    printf '%s\n' "$@" >>"$dir/server.properties"
  fi

  cat >"$dir/log4j2.properties" <<'EOF'
# The broker logs to its standard output, which kafka.sh appends to broker.log in this folder.
# No Log4j shutdown hook: it would stop logging before Kafka's own hook has shut the broker down.
status = warn
name = kafka-broker
shutdownHook = disable
appender.out.type = Console
appender.out.name = out
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = warn
EOF

  cat >"$dir/tools-log4j2.properties" <<'EOF'
# The admin tools (kafka.sh topics, the readiness check) log warnings and errors to stderr.
status = warn
name = kafka-tools
shutdownHook = disable
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = err
EOF

  cat >"$dir/ready-check.properties" <<'EOF'
# Admin client settings for the readiness check: fail fast, kafka.sh retries.
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

# A random KRaft cluster id: 16 random bytes, URL-safe base64 without padding. Not one that
# starts with "-" (one in 64): the storage tool's argument parser would take it for an option.
new_cluster_id() {
  local id=-
  while [[ $id == -* ]]; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  done
  printf '%s' "$id"
}

# Stops the broker of DIR: SIGTERM (a clean, controlled shutdown), SIGKILL after stop_timeout.
# Fails if none ran.
stop_broker() {
  local dir=$1 status=0
  stop_process "$stop_timeout" "$dir/broker.pid" kafka.Kafka "$dir/server.properties" || status=$?
  rm -f "$dir/bootstrap"
  return "$status"
}

cmd_fetch() {
  [[ $# -eq 0 ]] || usage
  ensure_jars
  printf '%s\n' "$lib"
}

cmd_start() {
  parse_start_args --set "$@"
  local sets=() i
  for ((i = 0; i < ${#start_options[@]}; i += 2)); do
    [[ ${start_options[i + 1]} == ?*=* ]] || die "--set needs KEY=VALUE"
    sets+=("${start_options[i + 1]}")
  done
  need_java
  ensure_jars
  local dir running_pid
  dir=$(abs_dir "$start_dir" 1)

  if [[ $start_fresh -eq 1 ]]; then
    wipe_dir "$dir" stop_broker "$dir"
  elif running_pid=$(broker_pid "$dir"); then
    local running
    running=$(<"$dir/bootstrap")
    report_running "$dir" "$running_pid" "${running##*:}" "$running"
    return 0
  fi
  claim_dir "$dir"

  # While the broker starts: it runs until its JVM exits, and serves once a metadata request (a
  # topic listing) to the client port succeeds.
  local deadline
  broker_alive() {
    [[ ! -s $dir/broker.pid ]] || [[ -e /proc/$(<"$dir/broker.pid") ]]
  }
  broker_serves() {
    broker_pid "$dir" >/dev/null && port_open "$port" &&
      timeout $((deadline - SECONDS > 5 ? deadline - SECONDS : 5)) java "${tool_jvm[@]}" \
        -Dlog4j2.configurationFile="$dir/tools-log4j2.properties" -cp "$lib/*" org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "127.0.0.1:$port" --command-config "$dir/ready-check.properties" --list \
        >"$dir/ready-check.log" 2>&1
  }

  local attempt cport formatted_now offset waited
  for attempt in 1 2 3; do
    # The controller's address is part of the metadata written by the format step, so a
    # formatted folder keeps its controller port; the client port may change between starts.
    formatted_now=0
    if [[ -f $dir/data/meta.properties ]]; then
      cport=$(saved_setting "$dir" controller.quorum.bootstrap.servers)
      cport=${cport##*:}
      [[ $cport =~ ^[0-9]+$ ]] || die "cannot read the controller port of the formatted folder $dir from $dir/server.properties"
      if port_in_use "$cport"; then
        die "the controller port $cport of $dir is taken by another process; start with --fresh for new ports"
      fi
    else
      cport=$(free_port)
    fi
    # Clients read the address from DIR/bootstrap at each start: a taken port moves.
    choose_port "$dir" move "$cport"

    write_configs "$dir" "$port" "$cport" "${sets[@]+"${sets[@]}"}"
    if [[ ! -f $dir/data/meta.properties ]]; then
      rm -rf "$dir/data"
      if ! run_tool "$dir" kafka.tools.StorageTool format --standalone --cluster-id "$(new_cluster_id)" \
        --config "$dir/server.properties" >"$dir/format.log" 2>&1; then
        cat "$dir/format.log" >&2
        die "formatting the storage of $dir failed"
      fi
      formatted_now=1
    fi

    offset=$(log_size "$dir/broker.log")
    rm -f "$dir/bootstrap"
    start_detached "$dir/broker.pid" "$dir/broker.log" \
      java "${broker_jvm[@]}" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
      -cp "$lib/*" kafka.Kafka "$dir/server.properties"
    note "starting Kafka $(kafka_version) from $dir on 127.0.0.1:$port (controller 127.0.0.1:$cport)"

    deadline=$((SECONDS + start_timeout))
    waited=0
    wait_ready "$deadline" 0.5 broker_alive broker_serves || waited=$?
    if [[ $waited -eq 0 ]]; then
      remember_port "$dir" "$port"
      printf '127.0.0.1:%s\n' "$port" >"$dir/bootstrap"
      printf '127.0.0.1:%s\n' "$port"
      return 0
    fi

    if broker_pid "$dir" >/dev/null; then
      log_tail "$dir/broker.log" "$offset"
      stop_broker "$dir" || true
      die "the broker in $dir did not serve within ${start_timeout}s (log: $dir/broker.log)"
    fi
    rm -f "$dir/broker.pid"
    # Another process took a port between the check and the bind: retry with new ports.
    if [[ $attempt -lt 3 ]] && log_since "$dir/broker.log" "$offset" | grep 'Address already in use' >/dev/null; then
      note "a port was taken during start-up; retrying with other ports"
      if [[ $formatted_now -eq 1 ]]; then
        rm -rf "$dir/data"
      fi
      continue
    fi
    log_tail "$dir/broker.log" "$offset"
    die "the broker in $dir exited during start-up (log: $dir/broker.log)"
  done
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  local dir pid
  if ! dir=$(abs_dir "$1"); then
    note "no broker runs from $1"
    return 0
  fi
  if ! pid=$(broker_pid "$dir"); then
    rm -f "$dir/broker.pid" "$dir/bootstrap"
    note "no broker runs from $dir"
    return 0
  fi
  stop_broker "$dir" || true
  note "stopped the broker of $dir (pid $pid)"
}

cmd_status() {
  [[ $# -eq 1 ]] || usage
  local dir pid
  if dir=$(abs_dir "$1") && pid=$(broker_pid "$dir") && [[ -s $dir/bootstrap ]]; then
    note "running from $dir (pid $pid)"
    cat "$dir/bootstrap"
    return 0
  fi
  note "not running from $1"
  return 3
}

# For the admin tools: sets dir to the data folder $1 and bootstrap to the address of the broker
# running from it (dies if none runs), with Java and the jars at hand.
admin_target() {
  dir=$(abs_dir "$1") || die "no data folder $1"
  if ! broker_pid "$dir" >/dev/null || [[ ! -s $dir/bootstrap ]]; then
    die "no broker runs from $dir"
  fi
  bootstrap=$(<"$dir/bootstrap")
  need_java
  ensure_jars
}

cmd_topics() {
  [[ $# -ge 2 ]] || usage
  local dir bootstrap action=$2
  admin_target "$1"
  shift 2
  local topic=(org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap")
  case $action in
    create)
      [[ $# -ge 2 ]] || usage
      [[ $2 =~ ^[1-9][0-9]*$ ]] || die "PARTITIONS must be a positive number, not '$2'"
      run_tool "$dir" "${topic[@]}" --create --topic "$1" --partitions "$2" --replication-factor 1 "${@:3}"
      ;;
    delete)
      [[ $# -eq 1 ]] || usage
      # --topic is a regular expression for --delete: match this one name only.
      run_tool "$dir" "${topic[@]}" --delete --if-exists --topic "${1//./\\.}"
      ;;
    list)
      [[ $# -eq 0 ]] || usage
      run_tool "$dir" "${topic[@]}" --list
      ;;
    describe)
      [[ $# -le 1 ]] || usage
      if [[ $# -eq 1 ]]; then
        run_tool "$dir" "${topic[@]}" --describe --topic "${1//./\\.}"
      else
        run_tool "$dir" "${topic[@]}" --describe
      fi
      ;;
    *) usage ;;
  esac
}

cmd_groups() {
  [[ $# -ge 2 ]] || usage
  local dir bootstrap action=$2
  admin_target "$1"
  shift 2
  local groups=(org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$bootstrap")
  case $action in
    list)
      [[ $# -eq 0 ]] || usage
      run_tool "$dir" "${groups[@]}" --list
      ;;
    describe)
      [[ $# -eq 1 ]] || usage
      run_tool "$dir" "${groups[@]}" --describe --group "$1"
      ;;
    members)
      [[ $# -eq 1 ]] || usage
      run_tool "$dir" "${groups[@]}" --describe --members --verbose --group "$1"
      ;;
    reset-offsets)
      [[ $# -ge 3 ]] || usage
      local group=$1 topic=$2
      shift 2
      run_tool "$dir" "${groups[@]}" --reset-offsets --group "$group" --topic "$topic" "$@"
      ;;
    *) usage ;;
  esac
}

cmd_records() {
  [[ $# -eq 5 && $2 == delete ]] || usage
  local dir bootstrap
  admin_target "$1"
  [[ $4 =~ ^[0-9]+$ && $5 =~ ^[0-9]+$ ]] || die "PARTITION and OFFSET must be numbers, not '$4' and '$5'"
  local offsets
  offsets=$(mktemp)
  # shellcheck disable=SC2064 # expand now: the file's name is known
  trap "rm -f '$offsets'" RETURN
  printf '{"version":1,"partitions":[{"topic":"%s","partition":%s,"offset":%s}]}\n' "$3" "$4" "$5" >"$offsets"
  run_tool "$dir" org.apache.kafka.tools.DeleteRecordsCommand --bootstrap-server "$bootstrap" --offset-json-file "$offsets"
}

[[ $# -ge 1 ]] || usage
command=$1
shift
case $command in
  fetch) cmd_fetch "$@" ;;
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  status) cmd_status "$@" ;;
  topics) cmd_topics "$@" ;;
  groups) cmd_groups "$@" ;;
  records) cmd_records "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
