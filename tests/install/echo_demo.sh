#!/usr/bin/env bash
# echo_demo: ringnet-echo serves a short ringnet-demo on loopback, then stops
# on SIGTERM with status 0; plus the echo server's --idle, flags and errors.
#
#   echo_demo.sh PATH_TO_RINGNET_ECHO PATH_TO_RINGNET_DEMO
set -uo pipefail

echo_tool=$1
demo_tool=$2
failures=0
passed=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ringnet-echo-demo.XXXXXX")
server_pid=

stop_server() {
  if [ -n "$server_pid" ]; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
  fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
pass() { passed=$((passed + 1)); }

# start_server ARGS...: run ringnet-echo ARGS in the background; sets
# server_pid and addr (from its "listening on" line), or fails.
start_server() {
  : >"$tmp/server.out"
  "$echo_tool" "$@" >"$tmp/server.out" 2>"$tmp/server.err" &
  server_pid=$!
  addr=
  local i
  for i in $(seq 1 100); do
    addr=$(sed -n 's/^listening on //p' "$tmp/server.out")
    [ -n "$addr" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  fail "ringnet-echo $*: no \"listening on\" line (try $i)"
  sed 's/^/    | /' "$tmp/server.out" "$tmp/server.err"
  stop_server
  return 1
}

# stop_with SIGNAL: the server must exit 0 on it, with nothing on stderr.
stop_with() {
  kill -"$1" "$server_pid"
  wait "$server_pid"
  local rc=$?
  server_pid=
  if [ "$rc" -ne 0 ]; then
    fail "ringnet-echo: exit status $rc after SIG$1, want 0"
    sed 's/^/    | /' "$tmp/server.err"
  else
    pass
  fi
}

# check FILE PATTERN...: FILE matches every PATTERN (grep -E).
check() {
  local file=$1; shift
  local p ok=1
  for p in "$@"; do
    if ! grep -qE -- "$p" "$file"; then
      fail "$(basename "$file"): lacks /$p/"
      ok=0
    fi
  done
  if [ "$ok" -eq 1 ]; then
    pass
  else
    sed 's/^/    | /' "$file"
  fi
}

# expect WANT_STATUS PATTERN... -- ARGS...: ringnet-echo ARGS exits with
# WANT_STATUS and its stdout+stderr matches every PATTERN.
expect() {
  local want=$1; shift
  local pats=()
  while [ "$1" != "--" ]; do pats+=("$1"); shift; done
  shift
  # (timeout: a server that starts by mistake must not hang the test)
  timeout 10 "$echo_tool" "$@" >"$tmp/cli.out" 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "ringnet-echo $*: exit status $got, want $want"
    sed 's/^/    | /' "$tmp/cli.out"
  fi
  check "$tmp/cli.out" "${pats[@]}"
}

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
    sed 's/^/    | /' "$tmp/demo.out"
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
  stop_with TERM
  if [ -s "$tmp/server.err" ]; then
    fail "ringnet-echo wrote to stderr during the demo"
    sed 's/^/    | /' "$tmp/server.err"
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
  stop_with INT
  exec 4<&-
  check "$tmp/server.err" "^ringnet-echo: read tcp $ip:$port->$ip:$port: i/o timeout\$"
fi

# ---- flags and usage errors ----------------------------------------------------
expect 0 '^usage: ringnet-echo ' 'tasks arrive later' 'each UDP datagram' -- --help
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

echo "echo_demo: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
