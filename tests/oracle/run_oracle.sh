#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# run_oracle.sh - differential test of ringnet against Go 1.19's net package.
#
#   run_oracle.sh ORACLE_RINGNET SRC_DIR WORK_DIR
#
# Generates the input corpus (gen_inputs.py), runs it through the Go oracle
# (oracle.go, built here) and through ORACLE_RINGNET, and compares the outputs
# line by line (compare.py), printing the first mismatches with their inputs.
# Exit 77 (ctest SKIP) when Go 1.19 or python3 is missing.
#
# Environment: GO (the go command; see scripts/go119.sh),
# ORACLE_SEED, ORACLE_RANDOM (corpus size), ORACLE_SHOW (mismatches printed).
set -eu

ringnet=$1
src=$2
work=$3

mkdir -p "$work"
work=$(cd "$work" && pwd)

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 not found (needed by gen_inputs.py)"
	exit 77
fi

. "$src/../../scripts/go119.sh"
go119_find || exit 77
ver=$go_version
go119_env "$work"

goroot=$("$go" env GOROOT)

echo "go: $ver ($go)"
start=$(date +%s)
"$go" build -o "$work/oracle_go" "$src/oracle.go"

python3 "$src/gen_inputs.py" --goroot "$goroot" --seed "${ORACLE_SEED:-1919}" \
	--random "${ORACLE_RANDOM:-20000}" >"$work/inputs.txt"

"$work/oracle_go" <"$work/inputs.txt" >"$work/go.out"
rc=0
"$ringnet" <"$work/inputs.txt" >"$work/ringnet.out" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "oracle_ringnet exited with status $rc"
fi

status=0
python3 "$src/compare.py" --show "${ORACLE_SHOW:-40}" \
	"$work/inputs.txt" "$work/go.out" "$work/ringnet.out" || status=$?
echo "outputs in $work (inputs.txt, go.out, ringnet.out); $(($(date +%s) - start)) s"
if [ "$rc" -ne 0 ]; then
	exit 1
fi
exit $status
