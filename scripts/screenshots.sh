#!/usr/bin/env bash
# The desktop console's screenshots that README shows (docs/screenshots/<page>.png and
# <page>-dark.png) come from the running code: tst_console_screenshots renders every page, and
# this script copies them and records which sources they show.
#
#   scripts/screenshots.sh update [BUILD_DIR]   runs tst_console_screenshots (built) under Xvfb
#                                               (every page in English, German and Japanese, light
#                                               and dark, checked as it renders), copies the English
#                                               ones to docs/screenshots and writes the console
#                                               sources' fingerprint to docs/screenshots/SOURCES
#                                               (`ninja -C build screenshots` runs this)
#   scripts/screenshots.sh check                fails when the console's sources differ from the
#                                               ones the screenshots were taken of (ctest runs it
#                                               as tst_screenshots_current)
#
# The console's sources: views/ (not views/web/), models/, translations/ and resources/runbooks/
# (what the pages show and say).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
recorded=$root/docs/screenshots/SOURCES

fingerprint() {
  (cd "$root" && { find views -maxdepth 1 -type f -print0; find models translations resources/runbooks -type f -print0; } |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
}

case ${1:-} in
update)
  build=${2:-$root/build}
  rm -rf "$build/screenshots"
  (cd "$build" && ctest -R '^tst_console_screenshots$' --output-on-failure)
  for png in "$build"/screenshots/*.png; do
    name=$(basename "$png")
    [[ $name == de-* || $name == ja-* ]] || cp "$png" "$root/docs/screenshots/$name"
  done
  fingerprint >"$recorded"
  echo "docs/screenshots: $(ls "$build"/screenshots/*.png | grep -cv '/\(de\|ja\)-') pages updated; commit them with SOURCES"
  ;;
check)
  now=$(fingerprint)
  if [[ ! -f $recorded ]] || [[ $(cat "$recorded") != "$now" ]]; then
    echo "docs/screenshots were taken of other desktop console sources (views/, models/, translations/) than these:" >&2
    echo "run scripts/screenshots.sh update (or ninja -C build screenshots) and commit docs/screenshots" >&2
    exit 1
  fi
  echo "docs/screenshots show the console's current sources ($now)"
  ;;
*)
  echo "usage: $0 update [BUILD_DIR] | check" >&2
  exit 2
  ;;
esac
