#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# run_interop.sh - ringnet against independent peers (Go 1.19's net package,
# Python's socket module) on loopback and Unix sockets.
#
#   run_interop.sh TEST_INTEROP SRC_DIR WORK_DIR
#
# Builds peer.go into WORK_DIR with a private Go environment (no module, no
# network, CGO_ENABLED=0), then runs TEST_INTEROP with the peers in
# INTEROP_GO_PEER, INTEROP_PYTHON and INTEROP_PY_PEER.
# Exit 77 (ctest SKIP) when Go 1.19 or python3 is missing.
#
# Environment: GO (the go command; else `go` on PATH if it is 1.19, else
# /usr/lib/go-1.19/bin/go, /usr/local/go/bin/go).
set -eu

test_bin=$1
src=$2
work=$3

mkdir -p "$work"
work=$(cd "$work" && pwd)

python=$(command -v python3 2>/dev/null || true)
if [ -z "$python" ]; then
	echo "SKIP: python3 not found (needed for the Python peer)"
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

export GOCACHE="$work/gocache" GOPATH="$work/gopath" HOME="$work/home"
export GO111MODULE=off GOFLAGS='' GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0
export GODEBUG=netdns=go
unset GOROOT_FINAL 2>/dev/null || true
mkdir -p "$GOCACHE" "$GOPATH" "$HOME"

echo "go: $ver ($go); python: $("$python" --version 2>&1) ($python)"
"$go" build -o "$work/interop_peer" "$src/peer.go"

INTEROP_GO_PEER="$work/interop_peer" INTEROP_PY_PEER="$src/peer.py" INTEROP_PYTHON="$python" \
	exec "$test_bin"
