#!/usr/bin/env bash
# ringnet_ping: ringnet-ping -c 3 to 127.0.0.1 prints three replies and 0%
# loss in iputils ping's format, and (when iputils ping is installed) the
# same lines as iputils ping once the numbers that vary are blanked; flags
# and errors.  Raw ICMP sockets need root or CAP_NET_RAW: without them the
# test is skipped (77).
#
#   ping.sh PATH_TO_RINGNET_PING
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

tool=$1
make_tmp ringnet-ping

"$tool" -c 1 -i 0.2 127.0.0.1 >"$tmp/probe.out" 2>&1
if grep -q 'operation not permitted' "$tmp/probe.out"; then
  echo "ping: raw sockets need root or CAP_NET_RAW, skipped"
  exit 77
fi

# ---- -c 3 to 127.0.0.1 -----------------------------------------------------------
"$tool" -c 3 -i 0.2 127.0.0.1 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 0 ]; then
  fail "ringnet-ping -c 3 127.0.0.1: exit status $rc, want 0"
elif [ -s "$tmp/err" ]; then
  fail "ringnet-ping -c 3 127.0.0.1: wrote to stderr"
else
  pass
fi

# line N PATTERN: line N of the output must match PATTERN (grep -E).
line() {
  if sed -n "$1p" "$tmp/out" | grep -qE -- "$2"; then
    pass
  else
    fail "line $1 is \"$(sed -n "$1p" "$tmp/out")\", want /$2/"
  fi
}
line 1 '^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.$'
for seq in 1 2 3; do
  line $((seq + 1)) "^64 bytes from 127\.0\.0\.1: icmp_seq=$seq ttl=[0-9]+ time=[0-9]+(\.[0-9]+)? ms$"
done
line 5 '^$'
line 6 '^--- 127\.0\.0\.1 ping statistics ---$'
line 7 '^3 packets transmitted, 3 received, 0% packet loss, time [0-9]+ms$'
line 8 '^rtt min/avg/max/mdev = [0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3}/[0-9]+\.[0-9]{3} ms$'
if [ "$(wc -l <"$tmp/out")" -eq 8 ]; then pass; else fail "$(wc -l <"$tmp/out") lines, want 8"; fi
[ "$failures" -eq 0 ] || show "$tmp/out" "$tmp/err"

# ---- beside iputils ping -----------------------------------------------------------
# Times, the TTL and the run time vary: blank every number in them.
blank() {
  sed -E 's/time=[0-9.]+ ms/time=T ms/; s/ttl=[0-9]+/ttl=N/; s/time [0-9]+ms/time Nms/;
          s#= [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms#= R ms#' "$1"
}
if command -v ping >/dev/null && ping -V 2>&1 | grep -q iputils; then
  for args in "-c 3 -i 0.2 127.0.0.1" "-c 2 -i 0.2 -s 0 127.0.0.1" "-c 2 -i 0.2 -q 127.0.0.1"; do
    # shellcheck disable=SC2086 # the arguments are words on purpose
    "$tool" $args >"$tmp/ours" 2>&1
    # shellcheck disable=SC2086
    ping $args >"$tmp/theirs" 2>&1
    if diff <(blank "$tmp/ours") <(blank "$tmp/theirs") >"$tmp/diff"; then
      pass
    else
      fail "ringnet-ping $args differs from iputils ping (< ours, > theirs):"
      show "$tmp/diff"
    fi
  done
else
  echo "ping: iputils ping is not installed, the side-by-side check is skipped"
fi

# ---- flags and errors --------------------------------------------------------------
# expect WANT_STATUS PATTERN -- ARGS...: this test's own, in place of lib.sh's
# (one pattern, one verdict per run, failures named by the arguments).
expect() {
  local want=$1 pat=$2
  shift 3
  "$tool" "$@" >"$tmp/x" 2>&1
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "ringnet-ping $*: exit status $got, want $want"
    show "$tmp/x"
  elif ! grep -qE -- "$pat" "$tmp/x"; then
    fail "ringnet-ping $*: output lacks /$pat/"
    show "$tmp/x"
  else
    pass
  fi
}
expect 0 '^usage: ringnet-ping ' -- --help
expect 2 'no HOST given' --
expect 2 "Try 'ringnet-ping --help'" -- --bogus
expect 2 "^ringnet-ping: invalid argument: '0': out of range: 1 <= value <= " -- -c 0 127.0.0.1
expect 2 '^ringnet-ping: packet size 65508 is too large\. Maximum is 65507$' -- -s 65508 127.0.0.1
expect 2 '^ringnet-ping: bad timing interval: x$' -- -i x 127.0.0.1
expect 0 '^2 packets transmitted, 2 received, 0% packet loss' -- -c 2 -i 0.2 -q 127.0.0.1

summary ping
