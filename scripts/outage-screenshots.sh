#!/usr/bin/env bash
# Screenshots of a database outage as an operator sees it (README "Freshness"): the desktop
# console under Xvfb and the web console in headless Chromium, while a real PostgreSQL server
# (scripts/postgres/pg.sh) is stopped under a running `tally`.
#
#   scripts/outage-screenshots.sh [BUILD_DIR]   writes docs/screenshots/outage-*.png
#
# BUILD_DIR defaults to build/ (scripts/test.sh builds it). Needs Xvfb, xwd (x11-apps), netpbm and
# Chromium; installs the missing ones.
set -euo pipefail
command -v xwd >/dev/null && command -v pnmtopng >/dev/null ||
  { apt-get update -q && apt-get install -y -q x11-apps netpbm; } >&2
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
work=$(mktemp -d)
display=:97
cleanup() {
  # SIGTERM drains and ends the desktop console too; the subshell's tally is its child.
  [[ -n ${tally_pid:-} ]] && pkill -TERM -P "$tally_pid" 2>/dev/null && wait "$tally_pid" 2>/dev/null
  [[ -n ${xvfb_pid:-} ]] && kill "$xvfb_pid" 2>/dev/null
  bash "$root/scripts/postgres/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

url=$(bash "$root/scripts/postgres/pg.sh" start "$work/pg" --fresh)
Xvfb "$display" -screen 0 1500x950x24 -nolisten tcp &
xvfb_pid=$!
sleep 1
# A fresh settings folder: the window opens on the Overview at its default size.
(cd "$work" && DISPLAY=$display XDG_CONFIG_HOME=$work/config "$build/app/tally" --postgres "$url" --rate 5000 \
  --web-port 0 --set checkpoint.enabled=true >"$work/tally.log" 2>&1) &
tally_pid=$!
for _ in $(seq 60); do grep -q "web console: " "$work/tally.log" && break; sleep 1; done
# Its output is a file, so the one-time token is in web-token, not in the log.
web=$(grep -o 'http://127.0.0.1:[0-9]*/' "$work/tally.log" | head -1)#token=$(cat "$work/web-token")
sleep 10 # steady state: a few committed epochs
bash "$root/scripts/postgres/pg.sh" stop "$work/pg" >/dev/null
sleep 25 # sink_down fires after 5 s; the database falls behind
xwd -display "$display" -root -silent | xwdtopnm 2>/dev/null | pnmtopng >"$root/docs/screenshots/outage-desktop.png"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,950 \
  --virtual-time-budget=5000 --screenshot="$root/docs/screenshots/outage-web.png" "$web" 2>/dev/null
bash "$root/scripts/postgres/pg.sh" start "$work/pg" >/dev/null
echo "wrote docs/screenshots/outage-desktop.png and outage-web.png"
