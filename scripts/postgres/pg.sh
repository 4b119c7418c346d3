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

start_timeout=${TALLY_POSTGRES_START_TIMEOUT:-60}
stop_timeout=${TALLY_POSTGRES_STOP_TIMEOUT:-60}
[[ $start_timeout =~ ^[0-9]+$ && $stop_timeout =~ ^[0-9]+$ ]] ||
  { echo "postgres: TALLY_POSTGRES_START_TIMEOUT and TALLY_POSTGRES_STOP_TIMEOUT are whole seconds" >&2; exit 2; }

role=tally
database=tally
marker=.tally-postgres-server
# The OS user that runs the server when this script runs as root.
root_server_user=postgres

die() {
  printf 'postgres: %s\n' "$*" >&2
  exit 1
}

note() {
  printf 'postgres: %s\n' "$*" >&2
}

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
  exit 2
}

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

# Sets run_as to the command prefix that runs a program as the server's OS user.
run_as=()
server_user=
setup_user() {
  if [[ $(id -u) -ne 0 ]]; then
    server_user=$(id -un)
    run_as=()
    return 0
  fi
  getent passwd "$root_server_user" >/dev/null ||
    die "PostgreSQL refuses to run as root, and there is no system user $root_server_user to run it as (Debian's postgresql package makes it; scripts/install-deps.sh installs it)"
  command -v runuser >/dev/null 2>&1 || die "running as root needs runuser (util-linux) to start PostgreSQL as $root_server_user"
  server_user=$root_server_user
  run_as=(runuser -u "$server_user" --)
}

# Runs a command as the server's OS user, from / (PostgreSQL's programs fail in a working folder
# that this user cannot enter).
as_server() {
  (cd / && "${run_as[@]+"${run_as[@]}"}" "$@")
}

# Sets srv (the folder of the cluster, its socket and its log), data and log for DIR.
srv='' data='' log=''
locate() {
  local dir=$1
  if [[ -f $dir/server-dir ]]; then
    srv=$(<"$dir/server-dir")
  else
    srv=$dir
  fi
  data=$srv/data
  log=$srv/postgres.log
}

# Chooses where DIR's new cluster lives: in DIR, or, when the server's user (root's stand-in)
# cannot enter DIR, in a private folder under /tmp that DIR/server-dir names. Then calls locate.
place_cluster() {
  local dir=$1
  rm -f "$dir/server-dir"
  if [[ $server_user == "$(id -un)" ]]; then
    locate "$dir"
    return 0
  fi
  if as_server test -x "$(dirname "$dir")"; then
    chown "$server_user:" "$dir"
    as_server test -x "$dir" -a -w "$dir" || die "the user $server_user cannot write into $dir"
    if [[ -L $dir/postgres.log ]]; then
      rm -f "$dir/postgres.log"
    fi
    locate "$dir"
    return 0
  fi
  local private
  private=$(mktemp -d /tmp/tally-postgres.XXXXXXXX)
  : >"$private/$marker"
  chown -R "$server_user:" "$private"
  as_server test -x "$private" -a -w "$private" || die "the user $server_user cannot write into $private"
  printf '%s\n' "$private" >"$dir/server-dir"
  ln -sfn "$private/postgres.log" "$dir/postgres.log"
  note "the user $server_user, which runs the server, cannot enter $dir; the cluster lives in $private"
  locate "$dir"
}

# Removes the private folder of DIR's cluster, if it has one (only a folder that pg.sh made).
remove_private() {
  local dir=$1 private
  [[ -f $dir/server-dir ]] || return 0
  private=$(<"$dir/server-dir")
  if [[ $private == /tmp/tally-postgres.* && -f $private/$marker ]]; then
    rm -rf "$private"
  fi
  rm -f "$dir/server-dir"
}

# The lines of /proc/net/tcp{,6} for local port PORT: their state codes (0A: listening,
# 06: TIME_WAIT), one a line.
port_states() {
  local port=$1 files=() f
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $f ]] && files+=("$f")
  done
  [[ ${#files[@]} -gt 0 ]] || return 0
  awk -v p="$(printf '%04X' "$port")" 'FNR > 1 { split($2, a, ":"); if (a[2] == p) print $4 }' "${files[@]}"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True if something on this machine uses the TCP port (bound or listening, IPv4 or IPv6).
# A socket in TIME_WAIT does not count: the server binds with SO_REUSEADDR.
port_in_use() {
  port_states "$1" | grep -vx 06 >/dev/null || port_open "$1"
}

# True if a process listens on the TCP port. For the port of a stopped server: its closed
# connections may linger (FIN_WAIT2 while a client still holds its end) without blocking a restart.
port_listened() {
  port_states "$1" | grep -x 0A >/dev/null || port_open "$1"
}

# Prints a port that is free now, below the kernel's usual range for outgoing connections.
free_port() {
  local port tries=0
  while ((tries++ < 200)); do
    port=$((20000 + RANDOM % 12000))
    if ! port_in_use "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  die "found no free TCP port on 127.0.0.1"
}

# Resolves DIR to an absolute path (creating it with create=1); fails if it does not exist.
abs_dir() {
  local dir=$1 create=${2:-0}
  [[ -n $dir ]] || usage
  if [[ $create -eq 1 ]]; then
    mkdir -p "$dir"
  fi
  [[ -d $dir ]] || return 1
  (cd "$dir" && pwd -P)
}

url_of() {
  printf 'postgresql://%s@127.0.0.1:%s/%s\n' "$role" "$1" "$database"
}

# True if the server of the located cluster runs.
server_running() {
  [[ -f $data/PG_VERSION ]] && as_server "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

server_pid() {
  head -n 1 "$data/postmaster.pid" 2>/dev/null || true
}

# A quoted string for postgresql.conf.
conf_string() {
  printf "'%s'" "${1//\'/\'\'}"
}

# Makes the located cluster: initdb with superuser tally, then the lines that pull in tally.conf.
init_cluster() {
  local dir=$1
  rm -rf "$data"
  if ! as_server "$bindir/initdb" -D "$data" -U "$role" -A trust -E UTF8 --no-locale \
    >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    die "initdb into $data failed"
  fi
  printf "\n# Written by scripts/postgres/pg.sh at each start.\ninclude = 'tally.conf'\n" |
    as_server tee -a "$data/postgresql.conf" >/dev/null
}

# Writes the located cluster's settings and client authentication for a start on PORT.
write_config() {
  local port=$1 sockets=$srv
  # A Unix socket's path has at most 107 bytes: "$srv/.s.PGSQL.$port" must fit, or no socket.
  if ((${#srv} + 15 > 107)); then
    note "the path $srv is too long for a Unix socket; the server listens on TCP only"
    sockets=
  fi
  as_server tee "$data/tally.conf" >/dev/null <<EOF
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
  as_server tee "$data/pg_hba.conf" >/dev/null <<'EOF'
# Written by scripts/postgres/pg.sh at each start; edit the script, not this file.
# Trust: a server for tests, reachable from this machine only.
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          all                 trust
host    all          all   127.0.0.1/32  trust
local   replication  all                 trust
host    replication  all   127.0.0.1/32  trust
EOF
}

log_tail() {
  local offset=$1
  printf 'postgres: --- last lines of %s ---\n' "$log" >&2
  tail -c +"$((offset + 1))" "$log" 2>/dev/null | tail -n 40 >&2 || true
  printf 'postgres: ---\n' >&2
}

# Stops the located cluster's server with pg_ctl's MODE (fast or immediate); a fast shutdown that
# takes longer than stop_timeout becomes an immediate one.
stop_server() {
  local mode=$1
  if as_server "$bindir/pg_ctl" -D "$data" -m "$mode" -w -t "$stop_timeout" -s stop >&2; then
    return 0
  fi
  server_running || return 0
  [[ $mode == fast ]] || die "the server of $data did not stop"
  note "the server did not stop within ${stop_timeout}s; stopping it immediately"
  as_server "$bindir/pg_ctl" -D "$data" -m immediate -w -t "$stop_timeout" -s stop >&2 ||
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

cmd_start() {
  local dir='' requested_port='' fresh=0
  while [[ $# -gt 0 ]]; do
    case $1 in
      --port)
        [[ $# -ge 2 && $2 =~ ^[0-9]+$ && $2 -ge 1 && $2 -le 65535 ]] || die "--port needs a port number"
        requested_port=$2
        shift 2
        ;;
      --fresh)
        fresh=1
        shift
        ;;
      -*) usage ;;
      *)
        [[ -z $dir ]] || usage
        dir=$1
        shift
        ;;
    esac
  done
  [[ -n $dir ]] || usage
  find_bindir
  setup_user
  dir=$(abs_dir "$dir" 1)
  locate "$dir"

  if [[ $fresh -eq 1 ]]; then
    if [[ -n $(ls -A "$dir") && ! -f $dir/$marker ]]; then
      die "refusing to wipe $dir: it is not a data folder made by pg.sh"
    fi
    if server_running; then
      stop_server immediate
    fi
    remove_private "$dir"
    find "$dir" -mindepth 1 -delete
    locate "$dir"
  elif server_running; then
    local running
    running=$(sed -n 's/^port = //p' "$data/tally.conf")
    if [[ -n $requested_port && $running != "$requested_port" ]]; then
      die "a server already runs from $dir on port $running (pid $(server_pid)); stop it first"
    fi
    note "a server already runs from $dir (pid $(server_pid))"
    url_of "$running" | tee "$dir/url"
    return 0
  fi
  if [[ -n $(ls -A "$dir") && ! -f $dir/$marker ]]; then
    die "$dir is not empty and is not a data folder made by pg.sh"
  fi
  : >"$dir/$marker"

  if [[ ! -f $data/PG_VERSION ]]; then
    if [[ -f $dir/server-dir ]]; then
      note "the cluster of $dir in $srv is gone (was /tmp cleared?); making a new one"
      remove_private "$dir"
    fi
    place_cluster "$dir"
    note "making a new cluster in $data ($("$bindir/postgres" --version))"
    init_cluster "$dir"
  fi

  # The port: --port, else the one this folder had, else a free one (which may be taken by another
  # process before the server binds it: then start again with another).
  local port picked=0 attempt offset
  if [[ -n $requested_port ]]; then
    port=$requested_port
    port_in_use "$port" && die "port $port on 127.0.0.1 is already in use"
  elif [[ -f $dir/port && $(<"$dir/port") =~ ^[0-9]+$ ]]; then
    port=$(<"$dir/port")
    port_listened "$port" &&
      die "the port $port of $dir is taken by another process; start with --port N for another one, or with --fresh"
  else
    port=$(free_port)
    picked=1
  fi

  local pg_ctl pg_isready deadline
  pg_ctl=$bindir/pg_ctl
  pg_isready=$(client pg_isready)
  deadline=$((SECONDS + start_timeout))
  for attempt in 1 2 3; do
    write_config "$port"
    offset=$(stat -c %s "$log" 2>/dev/null || echo 0)
    note "starting PostgreSQL from $data on 127.0.0.1:$port"
    # pg_ctl detaches the server (new session, standard streams to the log) and waits until it
    # accepts connections, crash recovery included.
    if as_server "$pg_ctl" -D "$data" -l "$log" -w -t "$((deadline - SECONDS > 1 ? deadline - SECONDS : 1))" \
      -s start >&2; then
      break
    fi
    if server_running; then
      log_tail "$offset"
      stop_server immediate
      die "the server in $data did not start within ${start_timeout}s (log: $log)"
    fi
    if [[ $picked -eq 1 && $attempt -lt 3 ]] &&
      tail -c +"$((offset + 1))" "$log" 2>/dev/null | grep 'could not bind' >/dev/null; then
      note "port $port was taken during start-up; retrying with another"
      port=$(free_port)
      continue
    fi
    log_tail "$offset"
    die "the server in $data did not start (log: $log)"
  done

  until "$pg_isready" -q -h 127.0.0.1 -p "$port" -U "$role" -d postgres -t 2; do
    if ((SECONDS >= deadline)) || ! server_running; then
      log_tail "$offset"
      server_running && stop_server immediate
      die "the server in $data does not answer on 127.0.0.1:$port (log: $log)"
    fi
    sleep 0.2
  done
  ensure_database "$port"
  printf '%s\n' "$port" >"$dir/port"
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
