#!/usr/bin/env bash
# Builds RocksDB with ThreadSanitizer and installs it into PREFIX, for scripts/sanitize.sh thread.
#
#   scripts/sanitizers/rocksdb.sh PREFIX
#
# Debian's librocksdb is not instrumented: TSan cannot see the release stores with which its
# lock-free memtable publishes a key, so a snapshot reading what a window task has just written
# looks like a race. The same version Debian ships (its source package, checked against the
# SHA-256 sums of its .dsc, with Debian's patches) built with -fsanitize=thread lets TSan see the
# library's synchronization. Only what Tally uses is built: the shared library, with LZ4. About
# half an hour on two cores; a finished PREFIX is kept and reused.
set -euo pipefail

prefix=${1:?usage: scripts/sanitizers/rocksdb.sh PREFIX}
version=7.8.3
revision=2
pool=http://deb.debian.org/debian/pool/main/r/rocksdb
orig=rocksdb_${version}.orig.tar.gz
debian=rocksdb_${version}-${revision}.debian.tar.xz
dsc=rocksdb_${version}-${revision}.dsc

if [[ -f $prefix/lib/cmake/rocksdb/RocksDBConfig.cmake ]]; then
  exit 0
fi

work=$prefix.build
rm -rf "$work"
mkdir -p "$work"
cd "$work"
for file in "$dsc" "$orig" "$debian"; do
  curl --fail --silent --show-error --location --retry 3 -o "$file" "$pool/$file"
done
# The .dsc lists each file's SHA-256 under Checksums-Sha256 as " SUM SIZE NAME".
for file in "$orig" "$debian"; do
  sum=$(awk -v name="$file" '/^Checksums-Sha256:/ { in_sums = 1; next }
                             /^[^ ]/ { in_sums = 0 }
                             in_sums && $3 == name { print $1 }' "$dsc")
  if [[ -z $sum ]]; then
    echo "rocksdb.sh: $dsc lists no SHA-256 for $file" >&2
    exit 1
  fi
  echo "$sum  $file" | sha256sum --check --quiet
done

tar -xzf "$orig"
source_dir=$work/rocksdb-$version
tar -xJf "$debian" -C "$source_dir"
while read -r patch; do
  [[ -z $patch || $patch == \#* ]] && continue
  patch --directory="$source_dir" --strip=1 --quiet <"$source_dir/debian/patches/$patch"
done <"$source_dir/debian/patches/series"

cmake -S "$source_dir" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWITH_TSAN=ON \
  -DROCKSDB_BUILD_SHARED=ON -DWITH_LZ4=ON -DWITH_SNAPPY=OFF -DWITH_ZLIB=OFF -DWITH_ZSTD=OFF \
  -DWITH_BZ2=OFF -DWITH_GFLAGS=OFF -DWITH_TESTS=OFF -DWITH_BENCHMARK_TOOLS=OFF -DWITH_CORE_TOOLS=OFF \
  -DWITH_TOOLS=OFF -DPORTABLE=ON -DFAIL_ON_WARNINGS=OFF
# Only the shared library: RocksDB's install step would also want the static one, built from the
# same sources a second time, so the headers, the library and a package file are put in place here.
cmake --build "$work/build" --parallel "$(nproc)" --target rocksdb-shared
mkdir -p "$prefix/include" "$prefix/lib/cmake/rocksdb"
cp -r "$source_dir/include/rocksdb" "$prefix/include/"
cp -P "$work/build"/librocksdb.so* "$prefix/lib/"
cat >"$prefix/lib/cmake/rocksdb/RocksDBConfig.cmake" <<CONFIG
# RocksDB $version built with ThreadSanitizer by scripts/sanitizers/rocksdb.sh.
add_library(RocksDB::rocksdb-shared SHARED IMPORTED)
set_target_properties(RocksDB::rocksdb-shared PROPERTIES
  IMPORTED_LOCATION "$prefix/lib/$(basename "$(readlink -f "$work/build/librocksdb.so")")"
  IMPORTED_SONAME "$(objdump -p "$work/build/librocksdb.so" | awk '$1 == "SONAME" { print $2 }')"
  INTERFACE_INCLUDE_DIRECTORIES "$prefix/include")
CONFIG
rm -rf "$work"
