#!/usr/bin/env bash
# Build ringnet and show what it does: ringnet-addr prints what Go's net
# package makes of a few addresses, with Go's own error texts.
#
#   bash scripts/demo.sh [ADDRESS...]    (your own addresses instead of ours)
set -euo pipefail

cd "$(dirname "$0")/.."
# Its own build directory: the test build (build/) keeps its settings.
build=${DEMO_BUILD_DIR:-build-demo}

bash scripts/deps.sh --build
echo "demo: building ringnet-addr in $build/ ..."
mkdir -p "$build"
{
  cmake -S . -B "$build" -DRINGNET_TESTS=OFF
  cmake --build "$build" -j "$(nproc)" --target ringnet-addr
} >"$build/demo-build.log" 2>&1 ||
  { cat "$build/demo-build.log"; echo "demo: build failed" >&2; exit 1; }
echo

tool=$build/tools/ringnet-addr

run() {
  echo "\$ ringnet-addr $*"
  # Exit status 1 means some address was accepted by nothing: part of the show.
  "$tool" "$@" || true
  echo
}

if [ "$#" -gt 0 ]; then
  run "$@"
  exit 0
fi

echo "== IP literals, with Go's classifiers"
run 127.0.0.1 ::ffff:192.0.2.1 fe80::1 10.1.2.3
echo "== What Go rejects: leading zeros, a zone in a bare IP"
run 010.0.0.1 'fe80::1%eth0'
echo "== CIDR blocks and MAC addresses"
run 192.168.100.1/24 2001:db8::/129 00:00:5e:00:53:01 0000.5e00.5301
echo "== host:port, resolved for tcp (the default) and udp6"
run '[::1]:http' 'example.com:80' '1.2.3.4:99999' '[fe80::1%eth0]:443'
run --network udp6 '127.0.0.1:53' '[::1]:domain'
echo "== ResolveIPAddr and an unknown network"
run --network ip4:icmp 192.0.2.7
run --network http 1.2.3.4:80
