#!/usr/bin/env bash
# ringnet_addr_cli: the ringnet-addr tool's output, flags and exit status.
#
#   cli.sh PATH_TO_RINGNET_ADDR
set -uo pipefail

tool=$1
failures=0
passed=0
out=$(mktemp "${TMPDIR:-/tmp}/ringnet-cli.XXXXXX")
trap 'rm -f "$out"' EXIT

# expect WANT_STATUS PATTERN... -- ARGS...: run the tool with ARGS; its exit
# status must be WANT_STATUS and its stdout+stderr must match every PATTERN
# (grep -E).
expect() {
  local want=$1; shift
  local pats=()
  while [ "$1" != "--" ]; do pats+=("$1"); shift; done
  shift
  "$tool" "$@" >"$out" 2>&1
  local got=$?
  local ok=1
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: ringnet-addr $*: exit status $got, want $want"
    ok=0
  fi
  local p
  for p in "${pats[@]}"; do
    if ! grep -qE -- "$p" "$out"; then
      echo "FAIL: ringnet-addr $*: output lacks /$p/"
      ok=0
    fi
  done
  if [ "$ok" -eq 1 ]; then
    passed=$((passed + 1))
  else
    failures=$((failures + 1))
    sed 's/^/    | /' "$out"
  fi
}

expect 0 'ParseIP: +127\.0\.0\.1 \(IPv4\) IsLoopback' \
         'ParseCIDR: +error: invalid CIDR address: 127\.0\.0\.1$' \
         'ParseMAC: +error: address 127\.0\.0\.1: invalid MAC address$' \
         'SplitHostPort: +error: address 127\.0\.0\.1: missing port in address$' \
         -- 127.0.0.1
expect 0 'ParseIP: +error: invalid IP address: 1\.2\.3\.4:80$' \
         'SplitHostPort: +host "1\.2\.3\.4" port "80"$' \
         'ResolveTCPAddr: +1\.2\.3\.4:80$' \
         -- 1.2.3.4:80
expect 0 'ParseCIDR: +ip 192\.0\.2\.1 net 192\.0\.2\.0/24' -- 192.0.2.1/24
expect 0 'ParseMAC: +00:00:5e:00:53:01' -- 00-00-5e-00-53-01
expect 0 'ResolveUDPAddr: +\[::1\]:53$' -- --network udp6 '[::1]:53'
expect 0 'ResolveUDPAddr: +\[fe80::1%eth0\]:443$' -- --network=udp '[fe80::1%eth0]:443'
expect 0 'ResolveIPAddr: +192\.0\.2\.1$' -- -n ip4:icmp 192.0.2.1
expect 0 'ResolveTCPAddr: +error: unknown network foo$' -- --network foo 1.2.3.4:80
# Accepted by nothing: exit status 1, and the errors are Go's.
expect 1 'SplitHostPort: +error: address nosuch\.invalid: missing port in address$' -- nosuch.invalid
expect 1 'ResolveIPAddr: +error: lookup nosuch\.invalid: no such host$' -- --network ip nosuch.invalid
# Names resolve through /etc/hosts (then getaddrinfo).
expect 0 'ResolveIPAddr: +127\.0\.0\.1$' -- --network ip4 localhost
# One bad operand among good ones still fails the run.
expect 1 'ResolveTCPAddr: +127\.0\.0\.1:80' -- 127.0.0.1:80 nonsense
expect 0 '^usage: ringnet-addr ' -- --help
expect 2 'usage: ringnet-addr ' -- 
expect 2 "Try 'ringnet-addr --help'" -- --bogus

echo "ringnet_addr_cli: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
