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
# Environment: GO (the go command; else `go` on PATH, else /usr/lib/go-1.19/bin/go),
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

go=${GO:-}
if [ -z "$go" ]; then
	for cand in go /usr/lib/go-1.19/bin/go /usr/local/go/bin/go; do
		if command -v "$cand" >/dev/null 2>&1; then
			case $("$cand" version 2>/dev/null) in
			*" go1.19"*) go=$cand; break ;;
			esac
		fi
	done
fi
if [ -z "$go" ]; then
	echo "SKIP: Go 1.19 not found (set GO=/path/to/go1.19/bin/go)"
	exit 77
fi
ver=$("$go" version 2>/dev/null || true)
case $ver in
*" go1.19"*) ;;
*)
	echo "SKIP: $go is not Go 1.19 ($ver)"
	exit 77
	;;
esac

# A private, writable Go environment: works as root in a clean CI, no
# network, no module, pure-Go net package (no cgo resolver).
export GOCACHE="$work/gocache" GOPATH="$work/gopath" HOME="$work/home"
export GO111MODULE=off GOFLAGS='' GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0
export GODEBUG=netdns=go
unset GOROOT_FINAL 2>/dev/null || true
mkdir -p "$GOCACHE" "$GOPATH" "$HOME"

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
