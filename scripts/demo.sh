#!/usr/bin/env bash
# Build ringnet and show what it does: ringnet-addr prints what Go's net
# package makes of a few addresses, with Go's own error texts; then
# ringnet-echo serves TCP on loopback on the io_uring engine while
# ringnet-demo measures it and shows deadlines, Close and a refused dial.
#
#   bash scripts/demo.sh [ADDRESS...]    (your own addresses instead of ours)
set -euo pipefail

cd "$(dirname "$0")/.."
# Its own build directory: the test build (build/) keeps its settings.
build=${DEMO_BUILD_DIR:-build-demo}

bash scripts/deps.sh --build
echo "demo: building ringnet-addr, ringnet-echo and ringnet-demo in $build/ ..."
mkdir -p "$build"
{
  cmake -S . -B "$build" -DRINGNET_TESTS=OFF
  cmake --build "$build" -j "$(nproc)" --target ringnet-addr ringnet-echo ringnet-demo
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
else
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
fi

# ---- TCP on the engine: an echo server on loopback and a client against it ----
echo "== ringnet-echo: a TCP echo server on the io_uring engine (loopback only)"
server_out=$(mktemp "${TMPDIR:-/tmp}/ringnet-echo.XXXXXX")
server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
  rm -f "$server_out"
}
# Whatever way the script ends, the server goes with it.
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "\$ ringnet-echo 127.0.0.1:0 &"
"$build/tools/ringnet-echo" 127.0.0.1:0 >"$server_out" &
server_pid=$!
addr=
for _ in $(seq 1 100); do # up to 5 s for the "listening on ADDR" line
  addr=$(sed -n 's/^listening on //p' "$server_out")
  [ -n "$addr" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.05
done
if [ -z "$addr" ]; then
  cat "$server_out"
  echo "demo: ringnet-echo did not start" >&2
  exit 1
fi
echo "listening on $addr"
echo

echo "\$ ringnet-demo $addr"
"$build/tools/ringnet-demo" "$addr"
echo

echo "\$ kill -TERM \$!    # closes the listener: the blocked Accept returns"
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
echo "ringnet-echo exited with status $status"
[ "$status" -eq 0 ]
