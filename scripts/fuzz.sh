#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# fuzz.sh - build ringnet's libFuzzer targets with clang and run each one.
#
#   scripts/fuzz.sh [SECONDS]        (default 30 per target)
#
# Configures a separate clang build directory (FUZZ_BUILD_DIR, default
# build-fuzz) with -DRINGNET_FUZZ=ON, builds the fuzzers, then runs every
# target for SECONDS with -max_len=512 on a scratch copy of its seed corpus
# (tests/fuzz/corpus/<target>).  Fails on any finding: crash, sanitizer
# report, leak, timeout or out-of-memory.  Crash inputs are written to
# $FUZZ_BUILD_DIR/fuzz-artifacts/<target>/.  FUZZ_TARGETS limits the targets.
set -eu

secs=${1:-30}
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS]" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
cc=${CC:-clang}
case $cc in
*clang*) ;;
*) cc=clang ;;
esac
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "fuzz.sh: $cc not found; libFuzzer needs clang" >&2
	exit 1
fi

# Every tests/fuzz/fuzz_*.c is a target (as tests/fuzz/CMakeLists.txt sees them).
targets=${FUZZ_TARGETS:-$(cd "$root/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//' | tr '\n' ' ')}
jobs=$(nproc 2>/dev/null || echo 2)

mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$cc" -DRINGNET_FUZZ=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/fuzz-configure.log" 2>&1 || {
	cat "$build/fuzz-configure.log" >&2
	exit 1
}
# shellcheck disable=SC2086
cmake --build "$build" -j"$jobs" --target $targets

failed=""
for t in $targets; do
	exe="$build/tests/fuzz/$t"
	work="$build/fuzz-corpus/$t"
	art="$build/fuzz-artifacts/$t"
	mkdir -p "$work" "$art"
	echo "=== $t: ${secs}s"
	start=$(date +%s)
	rc=0
	"$exe" -max_total_time="$secs" -max_len=512 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" \
		"$work" "$root/tests/fuzz/corpus/$t" >"$build/fuzz-$t.log" 2>&1 || rc=$?
	end=$(date +%s)
	grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$build/fuzz-$t.log" | tail -2 || true
	if [ "$rc" -ne 0 ]; then
		echo "*** $t FAILED (exit $rc after $((end - start))s); log: $build/fuzz-$t.log"
		grep -E -m 20 'ERROR|check failed|runtime error|SUMMARY|Test unit written' \
			"$build/fuzz-$t.log" || tail -30 "$build/fuzz-$t.log"
		failed="$failed $t"
	else
		echo "--- $t ok ($((end - start))s)"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz.sh: findings in:$failed"
	exit 1
fi
echo "fuzz.sh: all targets clean"
