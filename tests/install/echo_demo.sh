#!/usr/bin/env bash
# echo_demo: ringnet-echo serves a short ringnet-demo on loopback, then stops
# on SIGTERM with status 0; plus the echo server's --idle, flags and errors.
#
#   echo_demo.sh PATH_TO_RINGNET_ECHO PATH_TO_RINGNET_DEMO
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

tool=$1
tool_name=ringnet-echo
ready='listening on '
demo_tool=$2
make_tmp ringnet-echo-demo

ip='127\.0\.0\.1'
port='[0-9]+'
num='[0-9]+(\.[0-9]+)?'

# ---- the demo against the server -------------------------------------------
if start_server 127.0.0.1:0; then
  check "$tmp/server.out" "^listening on $ip:$port\$"
  sport=${addr##*:}
  check "$tmp/server.out" "^udp echo on $ip:$sport\$"
  # The UDP echo on the same port answers a datagram with its own bytes.
  reply=
  if exec 5<>"/dev/udp/127.0.0.1/$sport"; then
    printf 'ping-udp' >&5
    IFS= read -r -t 2 -N 8 reply <&5 || true
    exec 5<&-
  fi
  if [ "$reply" = ping-udp ]; then pass; else fail "udp echo: got \"$reply\", want \"ping-udp\""; fi
  "$demo_tool" --count 300 --stream-mib 4 "$addr" >"$tmp/demo.out" 2>&1
  rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "ringnet-demo: exit status $rc, want 0"
    show "$tmp/demo.out"
  fi
  check "$tmp/demo.out" \
    '^engine: io_uring, features:' \
    "^dial: $ip:$port -> $ip:$sport\$" \
    "^ping-pong: 300 round trips, p50 $num µs, p99 $num µs, [0-9]+ req/s\$" \
    "^stream: 4 MiB echoed in $num s \\($num MiB/s\\)\$" \
    "^read deadline: read tcp $ip:$port->$ip:$sport: i/o timeout \\(after [0-9]+ ms" \
    "^close from another thread: read tcp $ip:$port->$ip:$sport: use of closed network connection \\(" \
    "^dial a closed port: dial tcp $ip:$port: connect: connection refused\$"
  # A second server on the same address: Go's bind error, status 1.
  expect 1 "^ringnet-echo: listen tcp $ip:$sport: bind: address already in use\$" -- "$addr"
  stop_with TERM stderr-ok # stderr: checked below, with its own message
  if [ -s "$tmp/server.err" ]; then
    fail "ringnet-echo wrote to stderr during the demo"
    show "$tmp/server.err"
  fi
fi

# ---- --idle: a silent conn is closed by its read deadline --------------------
if start_server --idle 200ms 127.0.0.1:0; then
  exec 3<>"/dev/tcp/127.0.0.1/${addr##*:}"
  echo hello >&3
  line=
  read -r -t 5 line <&3
  if [ "$line" = hello ]; then pass; else fail "--idle: echo got \"$line\", want \"hello\""; fi
  start=$SECONDS
  if timeout 5 cat <&3 >/dev/null; then pass; else fail "--idle: the server did not close an idle conn"; fi
  if [ $((SECONDS - start)) -le 3 ]; then pass; else fail "--idle: the idle conn lasted $((SECONDS - start)) s"; fi
  exec 3<&-
  # A conn still open at shutdown is closed; SIGINT also stops with 0.
  exec 4<>"/dev/tcp/127.0.0.1/${addr##*:}"
  sleep 0.05
  stop_with INT stderr-ok
  exec 4<&-
  check "$tmp/server.err" "^ringnet-echo: read tcp $ip:$port->$ip:$port: i/o timeout\$"
fi

# ---- flags and usage errors ----------------------------------------------------
expect 0 '^usage: ringnet-echo ' 'its own task' 'each UDP datagram' -- --help
expect 2 'no ADDRESS given' -- 
expect 2 "Try 'ringnet-echo --help'" -- --bogus
expect 2 'must be tcp, tcp4 or tcp6 \(UDP follows it\)' -- --network udp 127.0.0.1:0
expect 2 '^ringnet-echo: --idle: time: invalid duration "abc"$' -- --idle abc 127.0.0.1:0
expect 2 '^ringnet-echo: --idle: time: missing unit in duration "5"$' -- --idle 5 127.0.0.1:0
expect 2 '^ringnet-echo: --idle: time: unknown unit "xs" in duration "5xs"$' -- --idle 5xs 127.0.0.1:0
expect 1 '^ringnet-echo: listen tcp: address 127\.0\.0\.1: missing port in address$' -- 127.0.0.1
expect 1 '^ringnet-echo: listen tcp6: address 127\.0\.0\.1: no suitable address found$' -- --network tcp6 127.0.0.1:0

if "$demo_tool" --help >"$tmp/cli.out" 2>&1; then pass; else fail "ringnet-demo --help: exit status $?"; fi
check "$tmp/cli.out" '^usage: ringnet-demo '
"$demo_tool" >"$tmp/cli.out" 2>&1
rc=$?
if [ "$rc" -eq 2 ]; then pass; else fail "ringnet-demo without ADDRESS: exit status $rc, want 2"; fi

summary echo_demo
