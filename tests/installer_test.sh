#!/usr/bin/env bash
# The packages (installer/): builds the .deb and the .tar.gz from a build folder with CPack, into
# a temporary folder, and checks what they hold.
#
#   tests/installer_test.sh CPACK BUILD_DIR SOURCE_DIR VERSION
#
# .deb: unpacked with dpkg-deb -x into a temporary root, it must hold the three executables, the
# desktop entry (checked with desktop-file-validate), the icon, the systemd
# unit (checked with systemd-analyze verify) and /etc/tally/tally.toml (the
# same as resources/tally.toml); its control area names the package, the version, a Depends line
# from dpkg-shlibdeps, a Recommends of a CJK font, and /etc/tally/tally.toml as a conffile; the
# manual page renders without warnings and has an entry for every option of `tally --help`;
# /usr/share/doc/tally holds the copyright and README; and the unpacked usr/bin/tally --version
# prints the version.
# .tar.gz: lists the same executables and the configuration.
set -euo pipefail

if [[ $# -ne 4 ]]; then
  echo "usage: $0 CPACK BUILD_DIR SOURCE_DIR VERSION" >&2
  exit 2
fi
cpack=$1
build_dir=$2
source_dir=$3
version=$4

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tally-installer-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() {
  echo "ok: $*"
}

# A check that passes when its command succeeds: check DESCRIPTION COMMAND...
check() {
  local what=$1
  shift
  if "$@"; then
    pass "$what"
  else
    fail "$what"
  fi
}

binaries=(tally tally-loadgen tally-bench)
files=(
  usr/share/applications/tally.desktop
  usr/share/icons/hicolor/scalable/apps/tally.svg
  usr/share/tally/prometheus/tally-rules.yml
  usr/lib/systemd/system/tally.service
  usr/share/man/man1/tally.1.gz
  usr/share/doc/tally/copyright
  usr/share/doc/tally/README.md.gz
  etc/tally/tally.toml
)

# --- .deb ---------------------------------------------------------------------------------------
echo "== cpack -G DEB"
if ! "$cpack" -G DEB --config "$build_dir/CPackConfig.cmake" -B "$tmp/deb" >"$tmp/cpack-deb.log" 2>&1; then
  cat "$tmp/cpack-deb.log" >&2
  echo "FAIL: cpack -G DEB" >&2
  exit 1
fi
debs=("$tmp"/deb/tally_*.deb)
if [[ ${#debs[@]} -ne 1 || ! -f ${debs[0]} ]]; then
  ls -l "$tmp/deb" >&2
  echo "FAIL: expected one tally_*.deb in $tmp/deb" >&2
  exit 1
fi
deb=${debs[0]}
pass "built $(basename "$deb")"

root=$tmp/root
control=$tmp/control
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$control"

for b in "${binaries[@]}"; do
  check "usr/bin/$b is an executable" test -x "$root/usr/bin/$b"
done
for f in "${files[@]}"; do
  check "$f" test -f "$root/$f"
done
check "etc/tally/tally.toml is resources/tally.toml" \
  cmp -s "$root/etc/tally/tally.toml" "$source_dir/resources/tally.toml"

# scripts/install-deps.sh installs both checkers; a missing one fails the check, never skips it.
check "desktop-file-validate tally.desktop" \
  desktop-file-validate "$root/usr/share/applications/tally.desktop"
check "tally.desktop runs tally in the data folder" \
  grep -qx -e 'Exec=tally --in-data-folder' "$root/usr/share/applications/tally.desktop"
check "tally.desktop names the icon tally" \
  grep -qx -e 'Icon=tally' "$root/usr/share/applications/tally.desktop"
check "tally.svg is an SVG image" grep -q '<svg' "$root/usr/share/icons/hicolor/scalable/apps/tally.svg"

# The manual page renders without a warning and has an entry for every option of --help.
man_page=$tmp/tally.1
gunzip -c "$root/usr/share/man/man1/tally.1.gz" >"$man_page"
check "tally.1 renders without warnings (groff -man -ww)" \
  test -z "$(groff -man -ww -z -Tutf8 "$man_page" 2>&1)"
if help=$(QT_QPA_PLATFORM=offscreen "$root/usr/bin/tally" --help 2>&1); then
  entries=$(grep -E '^\.B[IR]? ' "$man_page") # the lines that name an entry's option
  for option in $(grep -oE -- '^ +(-[a-z], )?--[a-z][a-z-]+' <<<"$help" | grep -oE -- '--[a-z-]+' | sort -u); do
    # The option whole: "\-\-help" must not be satisfied by "\-\-help\-all".
    check "tally.1 has an entry for $option" grep -qE -- "${option//-/\\\\-}( |\"|\$)" <<<"$entries"
  done
else
  fail "usr/bin/tally --help exited with an error: $help"
fi

unit=$root/usr/lib/systemd/system/tally.service
check "tally.service runs /usr/bin/tally --headless on /etc/tally/tally.toml" \
  grep -qx -e 'ExecStart=/usr/bin/tally --headless --config /etc/tally/tally.toml' "$unit"
for line in DynamicUser=yes StateDirectory=tally WorkingDirectory=/var/lib/tally Restart=on-failure \
  NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes; do
  check "tally.service: $line" grep -qx -e "$line" "$unit"
done

check "systemd-analyze verify tally.service" \
  systemd-analyze verify --man=no --recursive-errors=no --root="$root" /usr/lib/systemd/system/tally.service

# The control area.
field() { sed -n "s/^$1: //p" "$control/control"; }
check "control: Package: tally" test "$(field Package)" = tally
check "control: Version: $version" test "$(field Version)" = "$version"
check "control: Maintainer is set" test -n "$(field Maintainer)"
check "control: Section is set" test -n "$(field Section)"
depends=$(field Depends)
names_libraries() { [[ $depends == *libc6* && $depends == *libqt6core6* ]]; }
check "control: Depends from dpkg-shlibdeps names libc6 and libqt6core6 ($depends)" names_libraries
check "control: Recommends a CJK font for the Japanese console ($(field Recommends))" \
  grep -q 'fonts-noto-cjk' <<<"$(field Recommends)"
check "conffiles lists /etc/tally/tally.toml" grep -qx -e /etc/tally/tally.toml "$control/conffiles"
for script in postinst prerm postrm; do
  check "control: $script is executable" test -x "$control/$script"
done

# The unpacked binary runs (on the libraries of this machine).
if out=$(QT_QPA_PLATFORM=offscreen "$root/usr/bin/tally" --version 2>&1); then
  check "usr/bin/tally --version prints tally $version" test "$out" = "tally $version"
else
  fail "usr/bin/tally --version exited with an error: $out"
fi
# As the desktop entry starts it: the database and the audit log land in the data folder, not in
# the folder it was started from.
data_home=$(mktemp -d)
started_in=$(mktemp -d)
if out=$(cd "$started_in" && XDG_DATA_HOME=$data_home QT_QPA_PLATFORM=offscreen \
    "$root/usr/bin/tally" --headless --quiet --in-data-folder --no-web --events 20000 --rate 0 2>&1); then
  check "tally --in-data-folder writes tally.db into \$XDG_DATA_HOME/tally" test -f "$data_home/tally/tally.db"
  check "tally --in-data-folder leaves the folder it started in empty" test -z "$(ls -A "$started_in")"
else
  fail "usr/bin/tally --in-data-folder exited with an error: $out"
fi
rm -rf "$data_home" "$started_in"

# --- .tar.gz ------------------------------------------------------------------------------------
echo "== cpack -G TGZ"
if ! "$cpack" -G TGZ --config "$build_dir/CPackConfig.cmake" -B "$tmp/tgz" >"$tmp/cpack-tgz.log" 2>&1; then
  cat "$tmp/cpack-tgz.log" >&2
  echo "FAIL: cpack -G TGZ" >&2
  exit 1
fi
tgzs=("$tmp"/tgz/tally-*.tar.gz)
if [[ ${#tgzs[@]} -ne 1 || ! -f ${tgzs[0]} ]]; then
  ls -l "$tmp/tgz" >&2
  echo "FAIL: expected one tally-*.tar.gz in $tmp/tgz" >&2
  exit 1
fi
tgz=${tgzs[0]}
pass "built $(basename "$tgz")"
tar -tzf "$tgz" >"$tmp/tgz.list"
top=$(basename "$tgz" .tar.gz)
for b in "${binaries[@]}"; do
  check "the .tar.gz lists $top/usr/bin/$b" grep -qx -e "$top/usr/bin/$b" "$tmp/tgz.list"
done
check "the .tar.gz lists $top/etc/tally/tally.toml" grep -qx -e "$top/etc/tally/tally.toml" "$tmp/tgz.list"

if [[ $failures -ne 0 ]]; then
  echo "installer_test: $failures check(s) failed" >&2
  exit 1
fi
echo "installer_test: all checks passed"
