#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# examples: the Go tutorial's programs in examples/ run against each other and
# against loopback peers, and their output checked: echo_server (with dial,
# an idle client and a clean stop), dial (an HTTP server, a refused port),
# line_server, udp_echo, unix_echo, deadline ("i/o timeout") and fanout.
# Every example must exit 0 (under ASan that includes the leak check).
# Peers are bash's /dev/tcp and /dev/udp; python3, when installed, adds an
# HTTP server for dial and a 1 MB echo with half-close.
#
#   examples.sh DIRECTORY_OF_THE_EXAMPLES
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

dir=$1
make_tmp ringnet-examples
have_python=1
command -v python3 >/dev/null || { have_python=0; echo "examples: no python3, its checks skipped"; }

ip='127\.0\.0\.1'
port_re='[0-9]+'
http_pid=
at_exit() { [ -z "$http_pid" ] || kill "$http_pid" 2>/dev/null; }

# start_example NAME ARGS...: run examples/NAME in the background until it
# logs "listening on ADDR" (on stderr, as Go's log does); sets server_pid,
# addr, port and cur (the name, for stop_example).
start_example() {
  cur=$1; shift
  : >"$tmp/$cur.err"
  "$dir/$cur" "$@" >"$tmp/$cur.out" 2>"$tmp/$cur.err" &
  server_pid=$!
  local _
  for _ in $(seq 1 100); do
    addr=$(sed -n 's/^listening on //p' "$tmp/$cur.err")
    if [ -n "$addr" ]; then port=${addr##*:}; return 0; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  fail "$cur $*: no \"listening on\" line"
  show "$tmp/$cur.out" "$tmp/$cur.err"
  stop_server
  return 1
}

# stop_example SIGNAL: the server must exit 0 on it, its stderr holding
# nothing but its log lines (matching PATTERN, default "listening on").
stop_example() {
  kill -"$1" "$server_pid"
  wait "$server_pid"
  local rc=$?
  server_pid=
  if [ "$rc" -ne 0 ]; then
    fail "$cur: exit status $rc after SIG$1, want 0"
    show "$tmp/$cur.err"
  elif grep -qvE "${2:-^listening on }" "$tmp/$cur.err"; then
    fail "$cur: stray stderr"
    show "$tmp/$cur.err"
  else
    pass
  fi
}

# run_example WANT_STATUS NAME ARGS...: run it to its end (10 s at most);
# stdout in $tmp/NAME.out, stderr in $tmp/NAME.err.
run_example() {
  local want=$1 name=$2; shift 2
  timeout 10 "$dir/$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$name $*: exit status $rc, want $want"
    show "$tmp/$name.out" "$tmp/$name.err"
  elif [ "$want" -eq 0 ] && [ -s "$tmp/$name.err" ]; then
    fail "$name $*: wrote to stderr"
    show "$tmp/$name.err"
  else
    pass
  fi
}

# same FILE WANT_FILE: byte for byte.
same() {
  if cmp -s "$1" "$2"; then
    pass
  else
    fail "$(basename "$1") differs from $(basename "$2")"
    show "$1"
  fi
}

# ---- echo_server, with dial as its client ----------------------------------------
if start_example echo_server 127.0.0.1:0; then
  check "$tmp/echo_server.err" "^listening on $ip:$port_re\$"
  # An idle client first: the Accept loop must not wait for it (a task per conn).
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  run_example 0 dial "127.0.0.1:$port"
  printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >"$tmp/request"
  same "$tmp/dial.out" "$tmp/request"
  echo hello >&3
  line=
  read -r -t 5 line <&3
  if [ "$line" = hello ]; then pass; else fail "echo_server: echoed \"$line\", want \"hello\""; fi
  if [ "$have_python" -eq 1 ]; then
    # 1 MB through io.Copy, then CloseWrite: the echo ends with the server's Close.
    head -c 1000000 /dev/urandom >"$tmp/mb"
    if python3 - "$port" "$tmp/mb" >"$tmp/py.out" 2>&1 <<'EOF'
import socket, sys, threading
data = open(sys.argv[2], "rb").read()
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
threading.Thread(target=send).start()
got = bytearray()
while chunk := s.recv(65536):
    got += chunk
sys.exit(0 if got == data else "echoed %d bytes, not the 1000000 sent" % len(got))
EOF
    then pass; else fail "echo_server: 1 MB echo"; show "$tmp/py.out"; fi
  fi
  # SIGTERM closes the listener; the open conn finishes first, then exit 0.
  kill -TERM "$server_pid"
  sleep 0.2
  if kill -0 "$server_pid" 2>/dev/null; then pass; else fail "echo_server: quit with a conn open"; fi
  if ! (exec 4<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    pass
  else
    fail "echo_server: still accepting after SIGTERM"
  fi
  exec 3<&-
  stop_example TERM
fi

# ---- dial --------------------------------------------------------------------------
run_example 1 dial 127.0.0.1:1
check "$tmp/dial.err" "^dial tcp $ip:1: connect: connection refused\$"
run_example 2 dial
check "$tmp/dial.err" '^usage: dial HOST:PORT$'
if [ "$have_python" -eq 1 ]; then
  mkdir "$tmp/www" && echo hi >"$tmp/www/hello.txt"
  python3 -u -m http.server --bind 127.0.0.1 --directory "$tmp/www" 0 >"$tmp/http.out" 2>&1 &
  http_pid=$!
  hport=
  for _ in $(seq 1 100); do
    hport=$(sed -n 's/^Serving HTTP on .* port \([0-9]*\) .*/\1/p' "$tmp/http.out")
    [ -n "$hport" ] && break
    sleep 0.05
  done
  run_example 0 dial "127.0.0.1:$hport"
  check "$tmp/dial.out" '^HTTP/1\.0 200 OK' 'hello\.txt'
  kill "$http_pid"; wait "$http_pid" 2>/dev/null; http_pid=
fi

# ---- line_server -------------------------------------------------------------------
if start_example line_server 127.0.0.1:0; then
  run_example 0 dial "127.0.0.1:$port"
  printf 'you said: GET / HTTP/1.0\nyou said: Host: 127.0.0.1\nyou said: \n' >"$tmp/want"
  same "$tmp/dial.out" "$tmp/want"
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf '  spaced out \t\r\n' >&3
  line=
  read -r -t 5 line <&3
  if [ "$line" = "you said: spaced out" ]; then pass; else fail "line_server: got \"$line\""; fi
  exec 3<&-
  stop_example INT
fi

# ---- udp_echo ----------------------------------------------------------------------
if start_example udp_echo 127.0.0.1:0; then
  exec 3<>"/dev/udp/127.0.0.1/$port"
  printf 'a\tb"\001' >&3 # one write: one datagram
  reply=$(timeout 5 head -c 4 <&3)
  exec 3<&-
  if [ "$reply" = ack ]; then pass; else fail "udp_echo: got \"$reply\", want \"ack\""; fi
  check "$tmp/udp_echo.err" "^got 5 bytes from $ip:$port_re: \"a\\\\tb\\\\\"\\\\x01\"\$"
  stop_example TERM '^(listening on|got )'
fi

# ---- unix_echo ---------------------------------------------------------------------
for path in "$tmp/app.sock" "@ringnet-examples-$$"; do
  run_example 0 unix_echo "$path"
  printf '%s\n' "second listen: listen unix $path: bind: address already in use" \
    "@ -> $path: hello over unix" "socket file left behind: false" >"$tmp/want"
  same "$tmp/unix_echo.out" "$tmp/want"
done
if [ ! -e "$tmp/app.sock" ]; then pass; else fail "unix_echo: $tmp/app.sock left behind"; fi

# ---- deadline ----------------------------------------------------------------------
run_example 0 deadline
timed_out="read tcp $ip:$port_re->$ip:$port_re: i/o timeout \\(Timeout\\(\\) = true, after"
check "$tmp/deadline.out" \
  "^read 1 \\(deadline in 100ms\\): $timed_out (9[0-9]|[1-9][0-9]{2,}) ms\\)\$" \
  "^read 2 \\(same deadline, now past\\): $timed_out [0-9]{1,2} ms\\)\$" \
  "^read 3 \\(no deadline\\): \"late reply\" \\(after [0-9]+ ms\\)\$"

# ---- fanout ------------------------------------------------------------------------
run_example 0 fanout
sed -E "s/$ip:$port_re/ADDR/" "$tmp/fanout.out" >"$tmp/fanout.got"
for i in 0 1 2 3 4; do echo "client $i got \"hello from client $i\""; done >"$tmp/want"
echo "accept loop ended: accept tcp ADDR: use of closed network connection true" >>"$tmp/want"
same "$tmp/fanout.got" "$tmp/want"

summary examples
