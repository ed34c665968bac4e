#!/usr/bin/env bash
# udpecho: ringnet-udpecho on 127.0.0.1:0 answers bursts of datagrams from
# plain sockets byte for byte, each to its own sender and in order; stops on
# SIGTERM/SIGINT with status 0; flags and errors.  The client is Python's
# socket module: without python3 the test is skipped (77).
#
#   udpecho.sh PATH_TO_RINGNET_UDPECHO
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

tool=$1
tool_name=ringnet-udpecho
ready='udp echo on '
command -v python3 >/dev/null || { echo "udpecho: python3 is missing, skipped"; exit 77; }
make_tmp ringnet-udpecho

# echo_client WHAT: the client below against $addr must succeed.
echo_client() {
  if python3 "$tmp/client.py" "$addr" >"$tmp/client.out" 2>&1; then
    pass
  else
    fail "echo client ($1)"
    show "$tmp/client.out" "$tmp/server.err"
  fi
}

# The client: bursts of datagrams from two plain sockets, interleaved, sent
# back to back so the server's ReadBatch finds many queued at once; every
# echo must come back to the socket that sent it, byte for byte and in the
# order sent.  Sizes include 0 and 65507 (the largest UDP payload).
cat >"$tmp/client.py" <<'EOF'
import socket, sys

host, port = sys.argv[1].rsplit(":", 1)
dst = (host, int(port))
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
for s in socks:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
sizes = [0, 1, 7, 64, 100, 512, 1200, 1472, 4000, 9000]
sent = [[], []]

def payload(burst, i, n):
    head = b"%d/%d:" % (burst, i)
    body = bytes((burst * 31 + i * 7 + k) & 0xFF for k in range(max(0, n - len(head))))
    return (head + body)[:n]

bursts = [(b, 40) for b in range(3)] + [(3, 1)]
for burst, count in bursts:
    for i in range(count):
        n = 65507 if burst == 3 else sizes[i % len(sizes)]
        p = payload(burst, i, n)
        socks[i % 2].sendto(p, dst)
        sent[i % 2].append(p)
    # Read this burst's echoes before the next: the queues stay small.
    for k, s in enumerate(socks):
        want = sent[k]
        got = []
        try:
            while len(got) < len(want):
                data, src = s.recvfrom(70000)
                if src != dst:
                    print("echo from %r, want %r" % (src, dst))
                    sys.exit(1)
                got.append(data)
        except socket.timeout:
            print("socket %d burst %d: %d of %d echoes within 5 s" % (k, burst, len(got), len(want)))
            sys.exit(1)
        for j, (g, w) in enumerate(zip(got, want)):
            if g != w:
                print("socket %d burst %d echo %d: %d bytes %r..., want %d bytes %r..."
                      % (k, burst, j, len(g), g[:16], len(w), w[:16]))
                sys.exit(1)
        sent[k] = []
print("ok: %d datagrams echoed" % sum(c for _, c in bursts))
EOF

ip='127\.0\.0\.1'
port='[0-9]+'

# ---- bursts of datagrams, two senders -------------------------------------------
if start_server --batch 16 127.0.0.1:0; then
  check "$tmp/server.out" "^udp echo on $ip:$port\$"
  echo_client "batch 16"
  # A second server on the same address: Go's bind error, status 1.
  expect 1 "^ringnet-udpecho: listen udp4 $ip:${addr##*:}: bind: address already in use\$" -- "$addr"
  stop_with TERM
fi

# ---- the default batch, one datagram at a time too, SIGINT ---------------------
if start_server 127.0.0.1:0; then
  echo_client "default batch"
  stop_with INT
fi
if start_server --batch 1 127.0.0.1:0; then
  echo_client "batch 1"
  stop_with TERM
fi

# ---- flags and usage errors ----------------------------------------------------
expect 0 '^usage: ringnet-udpecho \[--batch N\] ADDRESS$' 'ReadBatch' 'WriteBatch' -- --help
expect 0 '^ringnet-udpecho \(ringnet\) [0-9]' -- --version
expect 2 'no ADDRESS given' -- 
expect 2 'only one ADDRESS' -- 127.0.0.1:0 127.0.0.1:0
expect 2 "Try 'ringnet-udpecho --help'" -- --bogus
expect 2 '^ringnet-udpecho: --batch: a number from 1 to 1024, not "0"$' -- --batch 0 127.0.0.1:0
expect 2 '^ringnet-udpecho: --batch: a number from 1 to 1024, not "1025"$' -- --batch 1025 127.0.0.1:0
expect 2 '^ringnet-udpecho: --batch: a number from 1 to 1024, not "x"$' -- -b x 127.0.0.1:0
expect 1 '^ringnet-udpecho: listen udp4: address 127\.0\.0\.1: missing port in address$' -- 127.0.0.1
expect 1 '^ringnet-udpecho: listen udp4: address ::1: no suitable address found$' -- '[::1]:0'

summary udpecho
