#!/usr/bin/env bash
# Builds the Debian package build/deb/storenode_<version>_<arch>.deb from the
# build dir ./build (Release), reusing it: only storenode, storectl and their
# generated files (man pages, example config, completion) are built, then
# cpack makes the .deb (Depends: from dpkg-shlibdeps) and lintian checks it.
#   ./scripts/package.sh                      install what is missing, build, package, lintian
#   ./scripts/package.sh --no-build [--build-dir DIR] [--out DIR]
#                                             package an existing build dir (the ctest test)
#   --no-lintian                              skip lintian
# Install it: apt install ./build/deb/storenode_*.deb (README, "Install on a store device").
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=$root/build
out=""
do_build=1
do_lintian=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) do_build=0 ;;
    --no-lintian) do_lintian=0 ;;
    --build-dir) build=$(realpath "$2"); shift ;;
    --out) out=$2; shift ;;
    *) echo "usage: $0 [--no-build] [--no-lintian] [--build-dir DIR] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done
out=$(realpath -m "${out:-$build/deb}")

if [ $do_build -eq 1 ]; then
  ./scripts/setup.sh storenode_install_files
fi
[ -f "$build/CPackConfig.cmake" ] || { echo "package: $build is not a configured build dir" >&2; exit 2; }
for f in storenode.8.gz storectl.1.gz storenode.toml storectl.bash-completion; do
  [ -f "$build/packaging/$f" ] || {
    echo "package: $build/packaging/$f is missing (is help2man installed? ./scripts/setup.sh installs it)" >&2
    exit 2
  }
done

mkdir -p "$out"
rm -f "$out"/storenode_*.deb
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" > "$out/cpack.log" 2>&1 || {
  cat "$out/cpack.log" >&2
  exit 1
}
rm -rf "$out/_CPack_Packages"
deb=$(ls "$out"/storenode_*.deb)
echo "package: $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb -f "$deb" Depends | sed 's/^/package: Depends: /'

if [ $do_lintian -eq 1 ]; then
  if command -v lintian >/dev/null; then
    # Tags explained in docs/operations.md ("Lintian") are listed in
    # packaging/lintian-explained; any other error or warning fails.
    echo "package: lintian --pedantic --display-info $(basename "$deb")"
    lintian --pedantic --display-info --fail-on error,warning \
      --suppress-tags-from-file packaging/lintian-explained "$deb" 2>&1 | grep -v "running with root privileges" || {
      rc=${PIPESTATUS[0]}
      [ "$rc" -eq 0 ] || { echo "package: lintian failed (exit $rc)" >&2; exit 1; }
    }
  else
    echo "package: lintian not installed; skipped (apt-get install lintian)"
  fi
fi
