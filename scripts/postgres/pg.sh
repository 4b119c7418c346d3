#!/usr/bin/env bash
# Runs a real PostgreSQL server on 127.0.0.1 for tests and demos, with everything it has (cluster,
# log, address) in one data folder.
#
#   pg.sh start DATA_DIR [--port N] [--fresh]   start a server (initdb on first use), wait until it
#                                               answers, print its URL
#   pg.sh stop DATA_DIR                         stop it: fast shutdown (clients are disconnected, a
#                                               final checkpoint is written); nothing to do if it is
#                                               not running
#   pg.sh kill DATA_DIR                         stop it abruptly: immediate shutdown (no checkpoint;
#                                               the next start recovers from the WAL, as after a crash)
#   pg.sh status DATA_DIR                       exit 0 and print the URL if it runs, exit 3 if not
#   pg.sh url DATA_DIR                          print the URL (also while the server is stopped)
#   pg.sh psql DATA_DIR [psql arguments...]     run psql against it (no ~/.psqlrc, ON_ERROR_STOP=1)
#
# start
#   --port N   the TCP port; default: the one this folder had, else a free one. A stopped server
#              restarts on its port with its data, so a test can stop (or kill) and start it to
#              simulate an outage and its clients reconnect to the same URL. If another process
#              listens on that port, start fails: pass --port N or --fresh.
#   --fresh    stop the server of DATA_DIR if it runs and wipe the folder first (only a folder that
#              pg.sh made: it refuses to start in any other non-empty one).
#   A server that already runs from DATA_DIR is left as it is; its URL is printed.
#
# The server listens on 127.0.0.1 only (and on a Unix socket in its folder). The cluster's
# superuser is tally (initdb's bootstrap user, so no role depends on the OS user), with a database
# tally; local and 127.0.0.1 connections are trusted (no password). The URL is
#   postgresql://tally@127.0.0.1:PORT/tally
# Settings for a small machine that also runs the tests: max_connections 50, shared_buffers 128MB,
# at most one parallel worker per query. fsync, synchronous_commit and full_page_writes stay on:
# tests check what survives a crash.
#
# Files in DATA_DIR: url and port (kept while the server is stopped), postgres.log (the server's
# log, appended to: read it when a test fails), initdb.log and data/ (the cluster, made once per
# folder; data/tally.conf holds the settings above and is rewritten at each start).
#
# As root: PostgreSQL refuses to run as root, so initdb, pg_ctl and the server run as the system
# user postgres (made by Debian's postgresql package), which then owns DATA_DIR. If postgres cannot
# enter DATA_DIR (a parent folder closed to other users, such as /root), the cluster, its socket and
# its log live in a private folder /tmp/tally-postgres.XXXXXXXX instead: DATA_DIR/server-dir names
# it, DATA_DIR/postgres.log links to its log, and --fresh removes it.
#
# The programs come from the newest /usr/lib/postgresql/*/bin (Debian), else from
# `pg_config --bindir`, else from PATH. This script installs nothing: scripts/install-deps.sh
# installs PostgreSQL.
#
# Environment: TALLY_POSTGRES_BINDIR (a folder with initdb, pg_ctl and postgres, over the search
# above), TALLY_POSTGRES_START_TIMEOUT (seconds until the server must answer, default 60),
# TALLY_POSTGRES_STOP_TIMEOUT (seconds for a fast shutdown before an immediate one, default 60).
set -euo pipefail

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib/service.sh
source "$script_dir/../lib/service.sh"
service_init postgres server .tally-postgres-server

service_seconds start_timeout TALLY_POSTGRES_START_TIMEOUT 60
service_seconds stop_timeout TALLY_POSTGRES_STOP_TIMEOUT 60

role=tally
database=tally
# The OS user that runs the server when this script runs as root.
root_server_user=postgres

# Sets bindir to the folder of PostgreSQL's server programs.
bindir=
find_bindir() {
  local d candidates=()
  if [[ -n ${TALLY_POSTGRES_BINDIR:-} ]]; then
    d=$TALLY_POSTGRES_BINDIR
    [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]] ||
      die "TALLY_POSTGRES_BINDIR=$d has no initdb, pg_ctl and postgres"
    bindir=$d
    return 0
  fi
  # Debian and Ubuntu: one folder per major version, the newest first.
  if compgen -G '/usr/lib/postgresql/*/bin' >/dev/null; then
    mapfile -t candidates < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
  fi
  # pg_config may come from the client library alone (libpq-dev), so its folder must be checked too.
  if command -v pg_config >/dev/null 2>&1; then
    candidates+=("$(pg_config --bindir 2>/dev/null || true)")
  fi
  if d=$(command -v initdb 2>/dev/null); then
    candidates+=("$(dirname "$(readlink -f "$d")")")
  fi
  for d in "${candidates[@]+"${candidates[@]}"}"; do
    if [[ -n $d && -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then
      bindir=$d
      return 0
    fi
  done
  die "PostgreSQL's server programs (initdb, pg_ctl, postgres) are not installed; scripts/install-deps.sh installs them"
}

# Prints the path of a client program (psql, pg_isready): the server's own, else the one on PATH.
client() {
  if [[ -x $bindir/$1 ]]; then
    printf '%s\n' "$bindir/$1"
  elif command -v "$1" 2>/dev/null; then
    :
  else
    die "$1 is not installed (it comes with PostgreSQL's client programs)"
  fi
}

# PostgreSQL refuses to run as root: as root, initdb, pg_ctl and the server run as postgres.
setup_user() {
  run_as_service_user "$root_server_user" \
    "PostgreSQL refuses to run as root, and there is no system user $root_server_user to run it as (Debian's postgresql package makes it; scripts/install-deps.sh installs it)"
}

# Sets srv (the folder of the cluster, its socket and its log), data and log for DIR.
srv='' data='' log=''
locate() {
  locate_home "$1"
  srv=$service_home
  data=$srv/data
  log=$srv/postgres.log
}

url_of() {
  printf 'postgresql://%s@127.0.0.1:%s/%s\n' "$role" "$1" "$database"
}

# True if the server of the located cluster runs.
server_running() {
  [[ -f $data/PG_VERSION ]] && as_service_user "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

server_pid() {
  pid_from_file "$data/postmaster.pid" || true
}

# A quoted string for postgresql.conf.
conf_string() {
  printf "'%s'" "${1//\'/\'\'}"
}

# Makes the located cluster: initdb with superuser tally, then the lines that pull in tally.conf.
init_cluster() {
  local dir=$1
  rm -rf "$data"
  if ! as_service_user "$bindir/initdb" -D "$data" -U "$role" -A trust -E UTF8 --no-locale \
    >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    die "initdb into $data failed"
  fi
  printf "\n# Written by scripts/postgres/pg.sh at each start.\ninclude = 'tally.conf'\n" |
    as_service_user tee -a "$data/postgresql.conf" >/dev/null
}

# Writes the located cluster's settings and client authentication for a start on PORT.
write_config() {
  local port=$1 sockets=$srv
  # A Unix socket's path has at most 107 bytes: "$srv/.s.PGSQL.$port" must fit, or no socket.
  if ((${#srv} + 15 > 107)); then
    note "the path $srv is too long for a Unix socket; the server listens on TCP only"
    sockets=
  fi
  as_service_user tee "$data/tally.conf" >/dev/null <<EOF
# Written by scripts/postgres/pg.sh at each start; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = $(conf_string "$sockets")

# A small machine that also runs the tests.
max_connections = 50
shared_buffers = 128MB
max_worker_processes = 4
max_parallel_workers_per_gather = 1

# Durable: tests check what survives a crash.
fsync = on
synchronous_commit = on
full_page_writes = on

# To stderr, which pg_ctl appends to postgres.log.
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
  as_service_user tee "$data/pg_hba.conf" >/dev/null <<'EOF'
# Written by scripts/postgres/pg.sh at each start; edit the script, not this file.
# Trust: a server for tests, reachable from this machine only.
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          all                 trust
host    all          all   127.0.0.1/32  trust
local   replication  all                 trust
host    replication  all   127.0.0.1/32  trust
EOF
}

# Stops the located cluster's server with pg_ctl's MODE (fast or immediate); a fast shutdown that
# takes longer than stop_timeout becomes an immediate one.
stop_server() {
  local mode=$1
  if as_service_user "$bindir/pg_ctl" -D "$data" -m "$mode" -w -t "$stop_timeout" -s stop >&2; then
    return 0
  fi
  server_running || return 0
  [[ $mode == fast ]] || die "the server of $data did not stop"
  note "the server did not stop within ${stop_timeout}s; stopping it immediately"
  as_service_user "$bindir/pg_ctl" -D "$data" -m immediate -w -t "$stop_timeout" -s stop >&2 ||
    die "the server of $data did not stop"
}

# Creates the database tally if the cluster has none yet.
ensure_database() {
  local port=$1 psql found
  psql=$(client psql)
  found=$("$psql" -X -q -t -A -h 127.0.0.1 -p "$port" -U "$role" -d postgres \
    -c "SELECT 1 FROM pg_database WHERE datname = '$database'")
  if [[ $found != 1 ]]; then
    "$psql" -X -q -h 127.0.0.1 -p "$port" -U "$role" -d postgres -v ON_ERROR_STOP=1 \
      -c "CREATE DATABASE $database OWNER $role" >/dev/null
  fi
}

# Stops the server of DIR's cluster, if it runs, and removes the cluster's private folder.
discard_cluster() {
  if server_running; then
    stop_server immediate
  fi
  remove_home "$1"
}

cmd_start() {
  parse_start_args "" "$@"
  find_bindir
  setup_user
  local dir
  dir=$(abs_dir "$start_dir" 1)
  locate "$dir"

  if [[ $start_fresh -eq 1 ]]; then
    wipe_dir "$dir" discard_cluster "$dir"
    locate "$dir"
  elif server_running; then
    local running url
    running=$(sed -n 's/^port = //p' "$data/tally.conf")
    url=$(report_running "$dir" "$(server_pid)" "$running" "$(url_of "$running")")
    printf '%s\n' "$url" | tee "$dir/url"
    return 0
  fi
  claim_dir "$dir"

  if [[ ! -f $data/PG_VERSION ]]; then
    if [[ -f $dir/server-dir ]]; then
      note "the cluster of $dir in $srv is gone (was /tmp cleared?); making a new one"
      remove_home "$dir"
    fi
    place_home "$dir" postgres.log
    locate "$dir"
    note "making a new cluster in $data ($("$bindir/postgres" --version))"
    init_cluster "$dir"
  fi

  local pg_ctl pg_isready deadline attempt offset
  pg_ctl=$bindir/pg_ctl
  pg_isready=$(client pg_isready)
  deadline=$((SECONDS + start_timeout))
  for attempt in 1 2 3; do
    # Clients keep the URL across an outage: the server comes back on the port it had.
    choose_port "$dir" fail
    write_config "$port"
    offset=$(log_size "$log")
    note "starting PostgreSQL from $data on 127.0.0.1:$port"
    # pg_ctl detaches the server (new session, standard streams to the log) and waits until it
    # accepts connections, crash recovery included.
    if as_service_user "$pg_ctl" -D "$data" -l "$log" -w -t "$((deadline - SECONDS > 1 ? deadline - SECONDS : 1))" \
      -s start >&2; then
      break
    fi
    if server_running; then
      log_tail "$log" "$offset"
      stop_server immediate
      die "the server in $data did not start within ${start_timeout}s (log: $log)"
    fi
    # A free port that another process bound before the server did: start again with another.
    if [[ $port_picked -eq 1 && $attempt -lt 3 ]] && log_since "$log" "$offset" | grep 'could not bind' >/dev/null; then
      note "port $port was taken during start-up; retrying with another"
      continue
    fi
    log_tail "$log" "$offset"
    die "the server in $data did not start (log: $log)"
  done

  pg_answers() {
    "$pg_isready" -q -h 127.0.0.1 -p "$port" -U "$role" -d postgres -t 2
  }
  if ! wait_ready "$deadline" 0.2 server_running pg_answers; then
    log_tail "$log" "$offset"
    server_running && stop_server immediate
    die "the server in $data does not answer on 127.0.0.1:$port (log: $log)"
  fi
  ensure_database "$port"
  remember_port "$dir" "$port"
  url_of "$port" | tee "$dir/url"
}

cmd_stop() {
  local mode=$1
  shift
  [[ $# -eq 1 ]] || usage
  local dir pid
  if ! dir=$(abs_dir "$1"); then
    note "no server runs from $1"
    return 0
  fi
  find_bindir
  setup_user
  locate "$dir"
  if ! server_running; then
    note "no server runs from $dir"
    return 0
  fi
  pid=$(server_pid)
  stop_server "$mode"
  if [[ $mode == fast ]]; then
    note "stopped the server of $dir (pid $pid)"
  else
    note "killed the server of $dir (pid $pid, immediate shutdown)"
  fi
}

cmd_status() {
  [[ $# -eq 1 ]] || usage
  local dir
  if dir=$(abs_dir "$1"); then
    find_bindir
    setup_user
    locate "$dir"
    if server_running && [[ -s $dir/url ]]; then
      note "running from $dir (pid $(server_pid))"
      cat "$dir/url"
      return 0
    fi
  fi
  note "not running from $1"
  return 3
}

cmd_url() {
  [[ $# -eq 1 ]] || usage
  [[ -s $1/url ]] || die "no server was started from $1"
  cat "$1/url"
}

cmd_psql() {
  [[ $# -ge 1 ]] || usage
  local dir=$1 url psql
  shift
  [[ -s $dir/url ]] || die "no server was started from $dir"
  url=$(<"$dir/url")
  find_bindir
  psql=$(client psql)
  exec "$psql" -X -v ON_ERROR_STOP=1 -d "$url" "$@"
}

[[ $# -ge 1 ]] || usage
command=$1
shift
case $command in
  start) cmd_start "$@" ;;
  stop) cmd_stop fast "$@" ;;
  kill) cmd_stop immediate "$@" ;;
  status) cmd_status "$@" ;;
  url) cmd_url "$@" ;;
  psql) cmd_psql "$@" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
