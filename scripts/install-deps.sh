#!/usr/bin/env bash
# Installs the Debian 12 (bookworm) packages that Tally needs to build, test and run, and only
# those that are missing: on a machine that has them all it changes nothing and calls no apt-get.
#
#   scripts/install-deps.sh            install what is missing (uses sudo when not root)
#   scripts/install-deps.sh --list     print the package list, one a line, and exit
#   scripts/install-deps.sh --check    list what is missing; exit 1 if anything is
set -euo pipefail

# The one package list. Keep it grouped; say why a package is here when its name does not, and
# list only what the build, the tests or the scripts use (bench/ needs no benchmark library).
packages=(
  # Build tools
  cmake
  ninja-build
  g++
  pkg-config            # finds librdkafka and libpqxx (no CMake package files)
  clang-14              # the fuzz targets (scripts/fuzz.sh): libFuzzer needs clang ...
  libclang-rt-14-dev    # ... and its runtime (libclang_rt.fuzzer, ASan, UBSan)

  # Qt 6: Core, Gui, Widgets, Test, Charts, WebSockets, Linguist tools
  qt6-base-dev
  libgl-dev             # Qt6Gui's CMake package requires the OpenGL headers (WrapOpenGL)
  libqt6opengl6-dev     # Qt6Charts' CMake package requires Qt6OpenGL; only a Recommends of qt6-base-dev
  qt6-charts-dev
  qt6-websockets-dev
  qt6-tools-dev         # Qt6LinguistTools' CMake package (it pulls in Designer and the like, which nothing runs)
  qt6-l10n-tools        # lupdate and lrelease for translations/

  # Engine libraries
  libabsl-dev           # flat hash maps
  libsimdjson-dev       # JSON records
  libprotobuf-dev       # Protobuf records ...
  protobuf-compiler     # ... and protoc for engine/event/like_event.proto
  libtomlplusplus-dev   # job configuration (TOML)
  libsqlite3-dev        # SQLite output
  librdkafka-dev        # Kafka source
  librocksdb-dev        # RocksDB state backend
  libpqxx-dev           # PostgreSQL output
  libpq-dev             # its URL parser (libpqxx-dev pulls it in too)

  # Local Kafka broker for the kafka tests and demos (scripts/kafka/kafka.sh): Kafka 4 runs on
  # Java 17 or newer, and Maven fetches its jars once into ~/.cache/tally
  openjdk-17-jre-headless
  maven

  # Local PostgreSQL server for the postgres tests and demos (scripts/postgres/pg.sh): initdb,
  # pg_ctl and the server, psql and pg_isready (postgresql-client, a dependency), and the system
  # user postgres that pg.sh runs the server as when it is run as root
  postgresql

  # Packages (installer/, cpack -G DEB): CPack's Depends line comes from dpkg-shlibdeps, and
  # CPack finds the executables to give it with file
  dpkg-dev
  file
  desktop-file-utils    # desktop-file-validate checks the package's tally.desktop
  systemd               # systemd-analyze verify checks the package's tally.service (nothing runs systemd)

  # Headless display for the desktop console's tests
  xvfb
  xauth                 # used by xvfb-run
  fonts-ipafont-gothic  # a Japanese font: without one the Japanese pages are empty boxes (tst_console_screenshots checks)

  # Web console browser tests (tests/web): node runs playwright-core (from npm, pinned by
  # tests/web/package-lock.json) against Debian's chromium; playwright's own browsers are never used
  nodejs
  npm                   # counted as present when an npm command exists (NodeSource's nodejs bundles it)
  chromium

  # promtool, which tst_web_security runs on the web console's /metrics to check the Prometheus
  # text format and naming conventions (Debian ships it only in the prometheus package)
  prometheus
  openssl               # makes the self-signed certificate of tst_web_security's TLS check

  # scripts/sanitize.sh thread builds Debian's RocksDB source with ThreadSanitizer
  # (scripts/sanitizers/rocksdb.sh): it fetches the source package and applies Debian's patches
  curl
  patch
  liblz4-dev            # the one compression Tally's RocksDB options use
)

missing_packages() {
  local pkg
  for pkg in "${packages[@]}"; do
    # NodeSource's nodejs package provides npm and conflicts with Debian's npm package.
    if [[ $pkg == npm ]] && command -v npm >/dev/null 2>&1; then
      continue
    fi
    # One line per installed architecture (grep without -q: it reads them all, so dpkg-query never
    # dies of SIGPIPE under pipefail); an unknown package makes dpkg-query fail.
    if ! dpkg-query -W -f='${db:Status-Status}\n' "$pkg" 2>/dev/null | grep -x installed >/dev/null; then
      printf '%s\n' "$pkg"
    fi
  done
}

case "${1:-}" in
  --list)
    printf '%s\n' "${packages[@]}"
    exit 0
    ;;
  --check | "")
    ;;
  *)
    echo "usage: $0 [--list | --check]" >&2
    exit 2
    ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: this is not a Debian system; install the equivalents of these packages:" >&2
  printf '  %s\n' "${packages[@]}" >&2
  exit 1
fi

mapfile -t missing < <(missing_packages)

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

echo "install-deps: missing: ${missing[*]}"
if [[ "${1:-}" == --check ]]; then
  exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: not root and sudo is not installed; as root run: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi

# env, not export: sudo drops the caller's environment.
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"

mapfile -t still_missing < <(missing_packages)
if [[ ${#still_missing[@]} -ne 0 ]]; then
  echo "install-deps: still missing after apt-get install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${missing[*]}"
