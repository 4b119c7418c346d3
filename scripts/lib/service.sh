# A service is a real server that a script of this project runs on 127.0.0.1 for tests and demos
# (scripts/kafka/kafka.sh, scripts/postgres/pg.sh), with everything it has in one data folder.
# This file holds what those scripts share; it is sourced, not run:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/service.sh"
#   service_init kafka broker .tally-kafka-broker
#
# - messages: die, note, usage (the running script's header comment, up to `set -euo pipefail`);
# - settings: service_seconds (a whole number of seconds from the environment);
# - the data folder: abs_dir, claim_dir and wipe_dir (a marker file says the folder is the
#   script's own, so it never wipes or fills anyone else's);
# - `start DATA_DIR [--port N] [--fresh]`: parse_start_args, report_running;
# - TCP ports on 127.0.0.1: port_in_use, port_listened, free_port, and choose_port (the port of
#   the folder's last start, kept across restarts so clients find the server where it was);
# - processes: pid files (pid_from_file, start_detached, stop_process), waiting until a server
#   answers (wait_ready), its log (log_size, log_since, log_tail);
# - root: run_as_service_user for servers that refuse to run as root, and a private folder under
#   /tmp when that user cannot enter the data folder (locate_home, place_home, remove_home).

# --- messages ---------------------------------------------------------------------------------

service_name=service   # the prefix of every message
service_server=server   # what messages call the server
service_marker=         # the file that marks a data folder as made by this script
service_script=$(basename "${BASH_SOURCE[-1]}")

# service_init NAME SERVER MARKER: NAME is the message prefix (kafka, postgres), SERVER what the
# messages call the server (broker, server), MARKER the marker file's name in a data folder.
service_init() {
  service_name=$1
  service_server=$2
  service_marker=$3
}

die() {
  printf '%s: %s\n' "$service_name" "$*" >&2
  exit 1
}

note() {
  printf '%s: %s\n' "$service_name" "$*" >&2
}

# Prints the running script's header comment (its usage) and exits 2.
usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[-1]}" >&2
  exit 2
}

# service_seconds VAR ENV DEFAULT: sets VAR to $ENV, else DEFAULT; exits 2 unless whole seconds.
service_seconds() {
  local value=${!2:-$3}
  [[ $value =~ ^[0-9]+$ ]] || {
    printf '%s: %s is a whole number of seconds, not "%s"\n' "$service_name" "$2" "$value" >&2
    exit 2
  }
  printf -v "$1" '%s' "$value"
}

# --- the data folder --------------------------------------------------------------------------

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

# True if DIR is empty or carries this script's marker.
own_dir() {
  [[ -z $(ls -A "$1") || -f $1/$service_marker ]]
}

# Marks DIR as this script's data folder; refuses a non-empty folder that is not.
claim_dir() {
  own_dir "$1" || die "$1 is not empty and is not a data folder made by $service_script"
  : >"$1/$service_marker"
}

# wipe_dir DIR [COMMAND...]: empties DIR, a folder this script made, after running COMMAND
# (stopping what runs from it; its failure does not matter).
wipe_dir() {
  local dir=$1
  shift
  own_dir "$dir" || die "refusing to wipe $dir: it is not a data folder made by $service_script"
  if [[ $# -gt 0 ]]; then
    "$@" || true
  fi
  find "$dir" -mindepth 1 -delete
}

# --- start ------------------------------------------------------------------------------------

# Parses the arguments of `start`: DATA_DIR [--port N] [--fresh], and the options named in $1 (a
# space-separated list such as "--set"), which take one value each. Sets start_dir, start_port
# (empty without --port), start_fresh (0 or 1) and start_options (OPTION VALUE pairs, in order).
start_dir='' start_port='' start_fresh=0 start_options=()
parse_start_args() {
  local extra=" $1 "
  shift
  while [[ $# -gt 0 ]]; do
    case $1 in
      --port)
        [[ $# -ge 2 && $2 =~ ^[0-9]+$ && $2 -ge 1 && $2 -le 65535 ]] || die "--port needs a port number"
        start_port=$2
        shift 2
        ;;
      --fresh)
        start_fresh=1
        shift
        ;;
      -*)
        [[ $extra == *" $1 "* ]] || usage
        [[ $# -ge 2 ]] || die "$1 needs a value"
        start_options+=("$1" "$2")
        shift 2
        ;;
      *)
        [[ -z $start_dir ]] || usage
        start_dir=$1
        shift
        ;;
    esac
  done
  [[ -n $start_dir ]] || usage
}

# report_running DIR PID PORT ADDRESS: a server already runs from DIR; fails if --port asked for
# another port than its PORT, else prints its ADDRESS.
report_running() {
  local dir=$1 pid=$2 port=$3 address=$4
  if [[ -n $start_port && $port != "$start_port" ]]; then
    die "a $service_server already runs from $dir on port $port (pid $pid); stop it first"
  fi
  note "a $service_server already runs from $dir (pid $pid)"
  printf '%s\n' "$address"
}

# --- ports ------------------------------------------------------------------------------------

# The state codes (0A: listening, 06: TIME_WAIT, ...) of the sockets on local TCP port PORT, IPv4
# and IPv6, one a line.
port_states() {
  local port=$1 files=() f
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $f ]] && files+=("$f")
  done
  [[ ${#files[@]} -gt 0 ]] || return 0
  awk -v p="$(printf '%04X' "$port")" 'FNR > 1 { split($2, a, ":"); if (a[2] == p) print $4 }' "${files[@]}"
}

# True if a connection to 127.0.0.1:PORT succeeds.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True if something on this machine uses the TCP port (bound, connected or listening). A socket
# in TIME_WAIT (e.g. a stopped server's side of the connections it closed) does not count: the
# servers bind with SO_REUSEADDR, so they can restart on their port.
port_in_use() {
  port_states "$1" | grep -vx 06 >/dev/null || port_open "$1"
}

# True if a process listens on the TCP port. A stopped server's closed connections may linger
# (FIN_WAIT2 while a client still holds its end) without keeping it from binding the port again.
port_listened() {
  port_states "$1" | grep -x 0A >/dev/null || port_open "$1"
}

# free_port [AVOID...]: prints a port that is free now (and is none of AVOID), below the kernel's
# usual range for outgoing connections.
free_port() {
  local port tries=0
  while ((tries++ < 200)); do
    port=$((20000 + RANDOM % 12000))
    if [[ " $* " != *" $port "* ]] && ! port_in_use "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  die "found no free TCP port on 127.0.0.1"
}

# choose_port DIR ON_TAKEN [AVOID...]: sets port for a start from DIR, and port_picked=1 when it
# is a new free one (another process may bind it before the server does: the caller may then
# choose again). The port is --port N, which must be free; else the one DIR/port remembers from
# the last start (remember_port), so a restarted server keeps its address, unless another process
# holds it: ON_TAKEN=fail stops with an error (the server's clients expect it there; any listener
# is in the way), ON_TAKEN=move picks another (the server's clients read its new address; any
# socket on the port counts, to be safe from a failed bind); else a free one. AVOID: ports never
# to choose (another port of the same server).
port='' port_picked=0
choose_port() {
  local dir=$1 on_taken=$2
  shift 2
  port_picked=0
  if [[ -n $start_port ]]; then
    port=$start_port
    port_in_use "$port" && die "port $port on 127.0.0.1 is already in use"
    [[ " $* " != *" $port "* ]] || die "port $port is another port of this server"
    return 0
  fi
  if [[ -f $dir/port && $(<"$dir/port") =~ ^[0-9]+$ ]]; then
    port=$(<"$dir/port")
    case $on_taken in
      fail)
        ! port_listened "$port" ||
          die "the port $port of $dir is taken by another process; start with --port N for another one, or with --fresh"
        return 0
        ;;
      move)
        if [[ " $* " != *" $port "* ]] && ! port_in_use "$port"; then
          return 0
        fi
        ;;
      *) die "choose_port: ON_TAKEN is fail or move, not $on_taken" ;;
    esac
  fi
  port=$(free_port "$@")
  port_picked=1
}

# Remembers PORT as the port of DIR's next start.
remember_port() {
  printf '%s\n' "$2" >"$1/port"
}

# --- processes --------------------------------------------------------------------------------

# pid_from_file FILE [WORD...]: prints the pid on FILE's first line if that process runs and its
# command line contains every WORD; fails otherwise (no file, a process that is gone, or a pid
# that another program reuses).
pid_from_file() {
  local file=$1 pid cmdline word
  shift
  [[ -f $file ]] || return 1
  pid=$(head -n 1 "$file" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  for word in "$@"; do
    [[ $cmdline == *"$word"* ]] || return 1
  done
  printf '%s\n' "$pid"
}

# start_detached PIDFILE LOG COMMAND...: runs COMMAND in the background in a session of its own,
# so signals meant for the caller's terminal or process group do not reach it, with its output
# appended to LOG. The wrapper writes its pid to PIDFILE, which exec keeps for COMMAND.
start_detached() {
  local pidfile=$1 log=$2
  shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # expanded by the wrapper's shell
  setsid bash -c 'echo "$$" >"$1"; shift; exec "$@"' "$service_name" "$pidfile" "$@" \
    </dev/null >>"$log" 2>&1 &
}

# stop_process TIMEOUT PIDFILE [WORD...]: stops the process of PIDFILE (see pid_from_file) with
# SIGTERM, and with SIGKILL if it still runs TIMEOUT seconds later; removes PIDFILE. Fails if no
# such process ran.
stop_process() {
  local timeout=$1 pidfile=$2 pid waited=0
  shift 2
  if ! pid=$(pid_from_file "$pidfile" "$@"); then
    rm -f "$pidfile"
    return 1
  fi
  kill -TERM "$pid" 2>/dev/null || true
  while pid_from_file "$pidfile" "$@" >/dev/null; do
    if ((waited >= timeout * 10)); then
      note "the $service_server (pid $pid) did not stop within ${timeout}s of SIGTERM; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      waited=0
      while pid_from_file "$pidfile" "$@" >/dev/null && ((waited++ < 100)); do
        sleep 0.1
      done
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  pid_from_file "$pidfile" "$@" >/dev/null && die "the $service_server (pid $pid) is still running after SIGKILL"
  rm -f "$pidfile"
}

# wait_ready DEADLINE INTERVAL ALIVE READY: runs the command READY every INTERVAL seconds until it
# succeeds (returns 0), the command ALIVE fails (the server exited: returns 1) or $SECONDS has
# reached DEADLINE (returns 2); READY runs at least once. ALIVE and READY are function names,
# called without arguments.
wait_ready() {
  local deadline=$1 interval=$2 alive=$3 ready=$4
  while :; do
    "$alive" || return 1
    "$ready" && return 0
    ((SECONDS < deadline)) || return 2
    sleep "$interval"
  done
}

# The size of the file LOG in bytes (0 if there is none): the offset of what a start adds to it.
log_size() {
  stat -c %s "$1" 2>/dev/null || echo 0
}

# log_since LOG OFFSET: what LOG holds after OFFSET bytes.
log_since() {
  tail -c +"$(($2 + 1))" "$1" 2>/dev/null || true
}

# log_tail LOG OFFSET: the last 40 lines of what LOG holds after OFFSET, to standard error.
log_tail() {
  printf '%s: --- last lines of %s ---\n' "$service_name" "$1" >&2
  log_since "$1" "$2" | tail -n 40 >&2 || true
  printf '%s: ---\n' "$service_name" >&2
}

# --- root -------------------------------------------------------------------------------------

# run_as_service_user USER MISSING: when this script runs as root, run the server as USER
# instead (for a server that refuses to run as root), or stop with the message MISSING if there is
# no such user; otherwise as the caller. Sets service_user and the command prefix service_run_as
# for as_service_user.
service_user='' service_run_as=()
run_as_service_user() {
  if [[ $(id -u) -ne 0 ]]; then
    service_user=$(id -un)
    service_run_as=()
    return 0
  fi
  getent passwd "$1" >/dev/null || die "$2"
  command -v runuser >/dev/null 2>&1 || die "running as root needs runuser (util-linux) to run the server as $1"
  service_user=$1
  service_run_as=(runuser -u "$service_user" --)
}

# Runs a command as the server's user, from / (programs may fail in a working folder that this
# user cannot enter).
as_service_user() {
  (cd / && "${service_run_as[@]+"${service_run_as[@]}"}" "$@")
}

# Sets service_home, the folder where DIR's server keeps its files: DIR itself, or the private
# folder that DIR/server-dir names (place_home).
service_home=''
locate_home() {
  if [[ -f $1/server-dir ]]; then
    service_home=$(<"$1/server-dir")
  else
    service_home=$1
  fi
}

# place_home DIR LOG: chooses where DIR's new server keeps its files: in DIR, made the server
# user's; or, when that user cannot enter DIR (a parent folder closed to other users, such as
# /root), in a private folder /tmp/tally-NAME.XXXXXXXX that DIR/server-dir names, with DIR/LOG a
# link to the log of that name in it. Then calls locate_home.
place_home() {
  local dir=$1 log=$2
  rm -f "$dir/server-dir"
  if [[ $service_user == "$(id -un)" ]]; then
    locate_home "$dir"
    return 0
  fi
  if as_service_user test -x "$(dirname "$dir")"; then
    chown "$service_user:" "$dir"
    as_service_user test -x "$dir" -a -w "$dir" || die "the user $service_user cannot write into $dir"
    if [[ -L $dir/$log ]]; then
      rm -f "$dir/$log"
    fi
    locate_home "$dir"
    return 0
  fi
  local private
  private=$(mktemp -d "/tmp/tally-$service_name.XXXXXXXX")
  : >"$private/$service_marker"
  chown -R "$service_user:" "$private"
  as_service_user test -x "$private" -a -w "$private" || die "the user $service_user cannot write into $private"
  printf '%s\n' "$private" >"$dir/server-dir"
  ln -sfn "$private/$log" "$dir/$log"
  note "the user $service_user, which runs the $service_server, cannot enter $dir; its files live in $private"
  locate_home "$dir"
}

# Removes the private folder of DIR's server, if it has one (only a folder that place_home made).
remove_home() {
  local dir=$1 private
  [[ -f $dir/server-dir ]] || return 0
  private=$(<"$dir/server-dir")
  if [[ $private == /tmp/tally-"$service_name".* && -f $private/$service_marker ]]; then
    rm -rf "$private"
  fi
  rm -f "$dir/server-dir"
}
