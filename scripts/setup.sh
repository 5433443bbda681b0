#!/usr/bin/env bash
# Installs the Debian packages the build needs (only the missing ones) and
# builds storenode in ./build (Release, Ninja, ccache). Idempotent.
# help2man makes the man pages (built with everything); dpkg-dev
# (dpkg-shlibdeps) and lintian serve scripts/package.sh and its ctest test;
# python3 the chaos tests (tests/chaos; their clock steps use clock_shift,
# a preload library built here); libjemalloc-dev the daemon's allocator;
# python3-zmq, python3-msgpack and python3-nacl the outsider peer test
# (tests/integration/outsider_peer.py: plaintext and unknown-key peers);
# libnats-dev the uplink to HQ and storenode-hq, nats-server (JetStream) their
# tests and benchmarks (label hq).
# chromium, chromium-driver and python3-selenium run the console's browser
# tests (tests/browser, label browser).
# python3-nacl (PyNaCl) checks origin signatures from docs/protocol.md 1.7
# alone (tests/unit/trust/check_signature.py).
# tzdata is the system time zone database storenode reads store.time_zone
# from (/usr/share/zoneinfo); the node tests check against it.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config git curl jq
  libcaf-dev libzmq3-dev cppzmq-dev librocksdb-dev libmsgpack-cxx-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev nlohmann-json3-dev
  libtomlplusplus-dev libcli11-dev libsodium-dev
  help2man dpkg-dev lintian tzdata
  python3 libjemalloc-dev
  python3-zmq python3-msgpack python3-nacl
  nats-server libnats-dev
  chromium chromium-driver python3-selenium
  python3-nacl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_type="${BUILD_TYPE:-Release}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" ${CMAKE_ARGS:-} >/dev/null
ninja -C build -j "$(nproc)" "$@"
