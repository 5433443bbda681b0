#!/usr/bin/env bash
# Sets up, builds and runs every test (unit, simulation, integration) with ctest.
# A test that fails is run once more, alone, and the script's result is that
# second run's: real-process tests on a loaded 2-core machine have rare timing
# failures (docs/reliability.md lists the known ones). Both runs' output stays
# in the log, so an intermittent failure is seen, never silently passed; a
# test that fails twice fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cd build
if ctest --output-on-failure -j "$(nproc)" --timeout 900 "$@"; then exit 0; fi
echo "test.sh: the tests above failed; running each of them once more, alone (an intermittent failure is reported above, a real one fails again)"
ctest --rerun-failed --output-on-failure --timeout 900
