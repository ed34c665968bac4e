#!/usr/bin/env bash
# proxy: ringnet-proxy on loopback in front of small Python upstreams:
# round robin, 10 MB byte-exact both ways, half-close, the connect timeout
# against an upstream that never answers, failover past a closed port, the
# idle limit (and traffic one way keeping a connection alive), 200
# concurrent clients, -t 4 (SO_REUSEPORT listeners), shutdown on
# SIGTERM/SIGINT with status 0, flags and errors.  The upstreams and clients
# are Python's socket module: without python3 the test is skipped (77).
#
#   proxy.sh PATH_TO_RINGNET_PROXY
set -uo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

tool=$1
tool_name=ringnet-proxy
ready='proxy on '
server_log=proxy
command -v python3 >/dev/null || { echo "proxy: python3 is missing, skipped"; exit 77; }
make_tmp ringnet-proxy
helper_pids=()

# At exit, after the proxy: the Python upstreams.
at_exit() {
  local p
  for p in "${helper_pids[@]}"; do
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  helper_pids=()
}

# ---- the Python side: upstreams and clients ------------------------------------
cat >"$tmp/peer.py" <<'EOF'
import hashlib, os, socket, sys, threading, time

def serve(mode, ident):
    """An upstream on 127.0.0.1:0; prints "port N" once listening.
    echo: "<ident>\n", then every byte back; at the client's end of stream,
          "<ident> done\n" 100 ms later, then close (replies after a half-close).
    sink: read and count; at end of stream "sunk <n>\n", then close."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(512)
    print("port %d" % ls.getsockname()[1], flush=True)

    def handle(c):
        try:
            n = 0
            if mode == "echo":
                c.sendall(ident.encode() + b"\n")
            while True:
                d = c.recv(65536)
                if not d:
                    break
                n += len(d)
                if mode == "echo":
                    c.sendall(d)
            if mode == "echo":
                time.sleep(0.1)
                c.sendall(ident.encode() + b" done\n")
            else:
                c.sendall(b"sunk %d\n" % n)
        except OSError:
            pass
        finally:
            c.close()

    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()

def blackhole():
    """A listener that never completes a handshake: backlog 0 with one
    connection already queued, so the kernel drops every further SYN."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    filler = socket.create_connection(ls.getsockname())
    time.sleep(0.05)
    print("port %d" % ls.getsockname()[1], flush=True)
    while True:
        time.sleep(60)

def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    print(port)

def connect(addr):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    return s

def read_all(s):
    out = []
    while True:
        d = s.recv(65536)
        if not d:
            return b"".join(out)
        out.append(d)

def wait_close(s):
    """Everything until the proxy closes s (nothing when it resets it) and how long that took."""
    t0 = time.monotonic()
    try:
        data = read_all(s)
    except ConnectionResetError:
        data = b""
    dt = time.monotonic() - t0
    s.close()
    return data, dt

def exchange(addr, payload):
    """Send payload, half-close, return everything until the proxy closes."""
    s = connect(addr)
    s.sendall(payload)
    s.shutdown(socket.SHUT_WR)
    data = read_all(s)
    s.close()
    return data

def check_echo(data, payload):
    """An echo upstream's reply to payload: (ident, ok)."""
    head, _, rest = data.partition(b"\n")
    ident = head.decode(errors="replace")
    return ident, rest == payload + head + b" done\n"

def cmd_rr(addr, n, want):
    got = []
    for i in range(int(n)):
        payload = b"round %d" % i
        ident, ok = check_echo(exchange(addr, payload), payload)
        if not ok:
            sys.exit("client %d: bad reply from %s" % (i, ident))
        got.append(ident)
    if "".join(got) != want:
        sys.exit("upstreams in order %s, want %s" % ("".join(got), want))
    print("ok: %s" % "".join(got))

def cmd_bulk(addr, mib):
    """mib MiB each way at once, compared byte for byte."""
    size = int(mib) << 20
    payload = os.urandom(size)
    s = connect(addr)
    s.settimeout(60)
    def send():
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
    t = threading.Thread(target=send)
    t.start()
    data = read_all(s)
    t.join()
    s.close()
    ident, ok = check_echo(data, payload)
    if not ok:
        sys.exit("bulk: %d bytes back from %s, want %d + framing; sha256 %s vs %s" % (
            len(data), ident, size, hashlib.sha256(data).hexdigest()[:16],
            hashlib.sha256(payload).hexdigest()[:16]))
    print("ok: %d bytes each way" % size)

def cmd_halfclose(addr):
    """After shutting down writing the client still gets the echo and the
    reply the upstream sends only after it has seen the end of stream."""
    s = connect(addr)
    s.sendall(b"first")
    s.shutdown(socket.SHUT_WR)
    t0 = time.monotonic()
    data = read_all(s)
    s.close()
    ident, ok = check_echo(data, b"first")
    if not ok or not data.endswith(b" done\n"):
        sys.exit("half-close: got %r" % data)
    print("ok: %r in %.2f s" % (data, time.monotonic() - t0))

def cmd_closed(addr, lo, hi):
    """The proxy closes the client without a byte, between lo and hi seconds."""
    data, dt = wait_close(connect(addr))
    if data or not float(lo) <= dt <= float(hi):
        sys.exit("closed after %.2f s with %r, want nothing after %s..%s s" % (dt, data, lo, hi))
    print("ok: closed after %.2f s" % dt)

def cmd_idle(addr, lo, hi):
    """A conn that goes quiet is closed by the proxy between lo and hi seconds."""
    s = connect(addr)
    s.sendall(b"ping")
    want = b"ping"
    got = b""
    head = None
    while head is None or len(got) < len(want):
        d = s.recv(100)
        if not d:
            sys.exit("idle: closed before the echo")
        got += d
        if head is None and b"\n" in got:
            head, _, got = got.partition(b"\n")
    rest, dt = wait_close(s)
    if rest or not float(lo) <= dt <= float(hi):
        sys.exit("idle: closed after %.2f s with %r, want %s..%s s" % (dt, rest, lo, hi))
    print("ok: idle conn closed after %.2f s" % dt)

def cmd_trickle(addr, count, gap):
    """Bytes one way only (to a sink), a byte every gap seconds: the conn
    outlives the idle limit although nothing comes back meanwhile."""
    s = connect(addr)
    for _ in range(int(count)):
        s.sendall(b"x")
        time.sleep(float(gap))
    s.shutdown(socket.SHUT_WR)
    data = read_all(s)
    s.close()
    if data != b"sunk %d\n" % int(count):
        sys.exit("trickle: got %r" % data)
    print("ok: %r" % data)

def cmd_many(addr, n):
    n = int(n)
    errors = []
    ready = threading.Barrier(n)
    idents = {}
    def one(i):
        try:
            s = connect(addr)
            ready.wait(20)  # all n connected at once
            payload = (b"client %d " % i) * (1 + i % 50)
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            data = read_all(s)
            s.close()
            ident, ok = check_echo(data, payload)
            if not ok:
                errors.append("client %d: %r" % (i, data[:60]))
            idents[ident] = idents.get(ident, 0) + 1
        except Exception as e:
            errors.append("client %d: %r" % (i, e))
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        sys.exit("%d of %d clients failed, e.g. %s" % (len(errors), n, errors[0]))
    print("ok: %d clients, %s" % (n, sorted(idents.items())))

def cmd_hold(addr, path):
    """Connect, get the echo of one byte, tell the shell through @path, then wait for the close."""
    s = connect(addr)
    s.sendall(b"h")
    got = b""
    while not got.endswith(b"\nh"):
        d = s.recv(100)
        if not d:
            sys.exit("hold: closed early")
        got += d
    open(path, "w").close()
    rest = read_all(s)
    s.close()
    print("ok: closed by the proxy (%r)" % rest)

cmds = {"serve": serve, "blackhole": blackhole, "closed_port": closed_port, "rr": cmd_rr,
        "bulk": cmd_bulk, "halfclose": cmd_halfclose, "closed": cmd_closed, "idle": cmd_idle,
        "trickle": cmd_trickle, "many": cmd_many, "hold": cmd_hold}
cmds[sys.argv[1]](*sys.argv[2:])
EOF

# helper NAME ARGS...: start peer.py ARGS in the background; sets $port from its "port N" line.
helper() {
  local name=$1; shift
  python3 "$tmp/peer.py" "$@" >"$tmp/$name.out" 2>&1 &
  helper_pids+=($!)
  port=
  local _
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^port //p' "$tmp/$name.out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  fail "$name: the Python upstream did not start"
  show "$tmp/$name.out"
  return 1
}

# client WHAT ARGS...: run a peer.py client (60 s at most); it must succeed.
client() {
  if timeout 60 python3 "$tmp/peer.py" "$@" >"$tmp/client.out" 2>&1; then
    pass
  else
    fail "client $*"
    show "$tmp/client.out" "$tmp/proxy.err"
  fi
}

ip='127\.0\.0\.1'
helper up_a serve echo A || exit 1
port_a=$port
helper up_b serve echo B || exit 1
port_b=$port
helper sink serve sink S || exit 1
port_sink=$port
helper blackhole blackhole || exit 1
port_bh=$port
port_down=$(python3 "$tmp/peer.py" closed_port)
A=127.0.0.1:$port_a
B=127.0.0.1:$port_b

# ---- round robin, bulk, half-close, many clients, SIGTERM ------------------------
if start_server 127.0.0.1:0 "$A" "$B"; then
  check "$tmp/proxy.out" "^proxy on $ip:[0-9]+\$"
  client rr "$addr" 6 ABABAB
  client bulk "$addr" 10
  client halfclose "$addr"
  client many "$addr" 200
  # A second proxy on the same address: Go's bind error, status 1.
  expect 1 "^ringnet-proxy: listen tcp $ip:${addr##*:}: bind: address already in use\$" -- "$addr" "$A"
  stop_with TERM
fi

# ---- failover past a closed port -------------------------------------------------
if start_server 127.0.0.1:0 "127.0.0.1:$port_down" "$A"; then
  client rr "$addr" 3 AAA
  check "$tmp/proxy.err" "^ringnet-proxy: dial tcp $ip:$port_down: connect: connection refused\$"
  stop_with INT stderr-ok
fi

# ---- the connect timeout: an upstream that never answers ---------------------------
if start_server -c 300ms 127.0.0.1:0 "127.0.0.1:$port_bh" "$A"; then
  start=$(date +%s%N)
  client rr "$addr" 1 A
  ms=$((($(date +%s%N) - start) / 1000000))
  if [ "$ms" -ge 280 ] && [ "$ms" -lt 5000 ]; then pass; else fail "failover after a 300ms connect timeout took $ms ms"; fi
  check "$tmp/proxy.err" "^ringnet-proxy: dial tcp $ip:$port_bh: i/o timeout\$"
  stop_with TERM stderr-ok
fi
if start_server --connect-timeout 200ms 127.0.0.1:0 "127.0.0.1:$port_bh" "127.0.0.1:$port_down"; then
  # Every upstream fails: the client is closed without a byte.
  client closed "$addr" 0.15 5
  check "$tmp/proxy.err" \
    "^ringnet-proxy: dial tcp $ip:$port_bh: i/o timeout\$" \
    "^ringnet-proxy: dial tcp $ip:$port_down: connect: connection refused\$" \
    "^ringnet-proxy: client $ip:[0-9]+: no upstream answered, closing it\$"
  stop_with TERM stderr-ok
fi
# A dial still waiting for the blackhole when the signal comes is canceled.
if start_server -c 1m 127.0.0.1:0 "127.0.0.1:$port_bh"; then
  python3 "$tmp/peer.py" closed "$addr" 0 10 >/dev/null 2>&1 &
  waiter=$!
  sleep 0.3
  start=$SECONDS
  stop_with TERM
  wait "$waiter"
  if [ $((SECONDS - start)) -le 3 ]; then pass; else fail "stopping during a dial took $((SECONDS - start)) s"; fi
fi

# ---- the idle limit ----------------------------------------------------------------
if start_server -i 300ms 127.0.0.1:0 "$A"; then
  client idle "$addr" 0.2 3
  check "$tmp/proxy.err" "^ringnet-proxy: read tcp $ip:[0-9]+->$ip:[0-9]+: i/o timeout\$"
  stop_with TERM stderr-ok
fi
if start_server --idle 300ms 127.0.0.1:0 "127.0.0.1:$port_sink"; then
  # 1.2 s of bytes towards the upstream only: the other direction is idle
  # all along, but the connection is not.
  client trickle "$addr" 12 0.1
  stop_with TERM
fi

# ---- -t 4: four threads on SO_REUSEPORT listeners -----------------------------------
if start_server -t 4 127.0.0.1:0 "$A" "$B"; then
  client rr "$addr" 4 ABAB
  client many "$addr" 200
  client bulk "$addr" 10
  # An open connection at shutdown is closed; the proxy still exits 0.
  python3 "$tmp/peer.py" hold "$addr" "$tmp/held" >"$tmp/hold.out" 2>&1 &
  holder=$!
  for _ in $(seq 1 100); do [ -e "$tmp/held" ] && break; sleep 0.05; done
  stop_with INT
  if wait "$holder"; then pass; else fail "held connection"; show "$tmp/hold.out"; fi
fi

# ---- flags and usage errors ---------------------------------------------------------
expect 0 '^usage: ringnet-proxy \[-c DURATION\] \[-i DURATION\] \[-t N\] LISTEN UPSTREAM\.\.\.$' \
  'round-robin' 'CloseWrite' -- --help
expect 0 '^ringnet-proxy \(ringnet\) [0-9]' -- --version
expect 2 'no LISTEN address given' --
expect 2 'no UPSTREAM given' -- 127.0.0.1:0
expect 2 "Try 'ringnet-proxy --help'" -- --bogus
expect 2 '^ringnet-proxy: --connect-timeout: time: invalid duration "x"$' -- -c x 127.0.0.1:0 "$A"
expect 2 '^ringnet-proxy: --idle: time: missing unit in duration "5"$' -- -i 5 127.0.0.1:0 "$A"
expect 2 '^ringnet-proxy: --idle: negative duration -1s$' -- -i -1s 127.0.0.1:0 "$A"
expect 2 '^ringnet-proxy: --threads: a number from 1 to 256, not "0"$' -- -t 0 127.0.0.1:0 "$A"
expect 1 '^ringnet-proxy: listen tcp: address 127\.0\.0\.1: missing port in address$' -- 127.0.0.1 "$A"

summary proxy
