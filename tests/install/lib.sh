# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash disable=SC2154 # tool, tool_name, ready: set by the script
#
# lib.sh: the shell helpers the tools' tests in this directory share; each
# test sources it (never run on its own).  Counting passes and failures, a
# temporary directory removed at exit, a server started in the background
# until it prints its address and stopped by a signal, and checks of a file
# or of a tool's exit status and output.
#
# What the sourcing script sets first:
#   tool        the program under test (start_server, expect)
#   tool_name   its name in failure messages, e.g. ringnet-proxy
#   ready       the start of the server's address line, e.g. "udp echo on "
#               (a sed pattern; start_server)
#   server_log  (optional) the name of the server's output files in $tmp,
#               $server_log.out and $server_log.err; "server" if unset
# Functions it may define: at_exit, run at exit before $tmp is removed.

failures=0
passed=0
server_pid=

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
pass() { passed=$((passed + 1)); }

# show FILE...: the files' lines, indented under a failure.
show() { sed 's/^/    | /' "$@"; }

# summary NAME: the counts; the status of the script (0 when nothing failed).
summary() {
  echo "$1: $passed passed, $failures failed"
  [ "$failures" -eq 0 ]
}

at_exit() { :; }

# make_tmp NAME: $tmp, a new directory removed at exit (after the server,
# if one runs, is killed, and after at_exit).
make_tmp() {
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap 'stop_server; at_exit; rm -rf "$tmp"' EXIT
}

# stop_server: kill the server, if one runs, without a check.
stop_server() {
  if [ -n "$server_pid" ]; then
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=
  fi
}

# start_server ARGS...: run $tool ARGS in the background; sets server_pid
# and addr (from its "$ready" line), or fails.
start_server() {
  local log=$tmp/${server_log:-server}
  # Empty it first: the loop below must not read the previous server's line.
  : >"$log.out"
  "$tool" "$@" >"$log.out" 2>"$log.err" &
  server_pid=$!
  addr=
  local _
  for _ in $(seq 1 100); do
    addr=$(sed -n "s/^$ready//p" "$log.out")
    [ -n "$addr" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  fail "$tool_name $*: no \"${ready% }\" line"
  show "$log.out" "$log.err"
  stop_server
  return 1
}

# stop_with SIGNAL [stderr-ok]: the server must exit 0 on it, and (unless
# told otherwise) with nothing on stderr.
stop_with() {
  local err=$tmp/${server_log:-server}.err
  kill -"$1" "$server_pid"
  wait "$server_pid"
  local rc=$?
  server_pid=
  if [ "$rc" -ne 0 ]; then
    fail "$tool_name: exit status $rc after SIG$1, want 0"
    show "$err"
  elif [ -z "${2:-}" ] && [ -s "$err" ]; then
    fail "$tool_name wrote to stderr"
    show "$err"
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
    show "$file"
  fi
}

# expect WANT_STATUS PATTERN... -- ARGS...: $tool ARGS exits with
# WANT_STATUS and its stdout+stderr matches every PATTERN.
expect() {
  local want=$1; shift
  local pats=()
  while [ "$1" != "--" ]; do pats+=("$1"); shift; done
  shift
  # (timeout: a server that starts by mistake must not hang the test)
  timeout 10 "$tool" "$@" >"$tmp/cli.out" 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$tool_name $*: exit status $got, want $want"
    show "$tmp/cli.out"
  fi
  check "$tmp/cli.out" "${pats[@]}"
}
