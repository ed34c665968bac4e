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
# Environment: GO (the go command; see scripts/go119.sh).
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

. "$src/../../scripts/go119.sh"
go119_find || exit 77
ver=$go_version
go119_env "$work"

echo "go: $ver ($go); python: $("$python" --version 2>&1) ($python)"
"$go" build -o "$work/interop_peer" "$src/peer.go"

INTEROP_GO_PEER="$work/interop_peer" INTEROP_PY_PEER="$src/peer.py" INTEROP_PYTHON="$python" \
	exec "$test_bin"
