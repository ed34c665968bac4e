#!/usr/bin/env bash
# Build ringnet and run the whole test suite (what CI runs first).
#
#   bash scripts/test.sh [CTEST_ARGS...]     e.g. bash scripts/test.sh -R test_ip
#
# Environment: BUILD_DIR (default build), CMAKE_ARGS (extra configure
# arguments), JOBS (default: the number of cores).
set -euo pipefail

cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}

bash scripts/deps.sh

# shellcheck disable=SC2086 # CMAKE_ARGS is a list of arguments
cmake -S . -B "$build" -DRINGNET_WERROR=ON -DRINGNET_TESTS=ON ${CMAKE_ARGS:-}
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@"
