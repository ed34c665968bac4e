#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# peer.py - the Python peer of ringnet's interoperability test
# (test_interop.c): endpoints built on Python's socket module only.
#
#   peer.py tcp-echo-server ADDR   prints "listening on ADDR"; per conn echoes
#                                  until EOF, shutdown(SHUT_WR), prints "echoed N"
#   peer.py udp-echo-server ADDR   prints "listening on ADDR"; echoes datagrams
#   peer.py tcp-client ADDR N      sends N pattern bytes, shutdown(SHUT_WR),
#                                  reads the echo to EOF and checks it; prints
#                                  "connected LOCAL->REMOTE" and "received N"
#   peer.py udp-client ADDR N      N datagrams of assorted sizes, each checked;
#                                  prints "local ADDR" and "received N"
#
# ADDR is Go's "host:port" ("[::1]:0" for IPv6).  Servers exit when stdin
# reaches EOF (the test closes it); every mode gives up after a bounded time.
# Exit status: 0 ok, 1 a check failed, 2 usage, 3 time limit.
#
# The byte pattern is the one of peer.go and test_interop.c: byte i is
# base[i % 65521] ^ (i // 65521 & 0xff), base[j] = (j*2654435761 mod 2^32) >> 24;
# UDP datagram k has size UDP_SIZES[k % len] and the pattern from k*7919.

import os
import selectors
import socket
import sys
import threading
import time

PAT_PRIME = 65521
TIME_LIMIT = 60.0
UDP_SIZES = [1, 2, 100, 512, 1400, 1472, 4096, 8192, 16384, 32768, 65507]

BASE = bytes(((j * 2654435761) & 0xFFFFFFFF) >> 24 for j in range(PAT_PRIME))
XOR_TABLES = [bytes(b ^ k for b in range(256)) for k in range(256)]


def pattern(off, n):
    """n pattern bytes from stream offset off."""
    out = bytearray()
    k = off
    end = off + n
    while k < end:
        blk, j = divmod(k, PAT_PRIME)
        take = min(PAT_PRIME - j, end - k)
        out += BASE[j:j + take].translate(XOR_TABLES[blk & 0xFF])
        k += take
    return bytes(out)


def fail(msg):
    sys.stderr.write("peer.py: %s\n" % msg)
    sys.stderr.flush()
    os._exit(1)


def say(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def parse_addr(addr):
    host, _, port = addr.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        return socket.AF_INET6, (host[1:-1], int(port))
    return socket.AF_INET, (host, int(port))


def fmt_addr(sa):
    if ":" in sa[0]:
        return "[%s]:%d" % (sa[0], sa[1])
    return "%s:%d" % (sa[0], sa[1])


def watchdog():
    def expire():
        sys.stderr.write("peer.py: time limit reached\n")
        sys.stderr.flush()
        os._exit(3)
    t = threading.Timer(TIME_LIMIT, expire)
    t.daemon = True
    t.start()


def serve(listen_sock, on_ready):
    """Run on_ready(sock) for each readable listener event until stdin EOF."""
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin.buffer, selectors.EVENT_READ, "stdin")
    sel.register(listen_sock, selectors.EVENT_READ, "sock")
    while True:
        for key, _ in sel.select(timeout=1.0):
            if key.data == "stdin":
                if not os.read(sys.stdin.fileno(), 4096):
                    os._exit(0)
            else:
                on_ready(listen_sock)


def tcp_echo_server(addr):
    fam, sa = parse_addr(addr)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(sa)
    ls.listen(16)
    say("listening on " + fmt_addr(ls.getsockname()))

    def echo(c):
        total = 0
        try:
            c.settimeout(TIME_LIMIT)
            while True:
                data = c.recv(65536)
                if not data:
                    break
                c.sendall(data)
                total += len(data)
            c.shutdown(socket.SHUT_WR)
        except OSError as e:
            sys.stderr.write("peer.py: echo: %s\n" % e)
            c.close()
            return
        c.close()
        say("echoed %d" % total)

    def accept(s):
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()

    serve(ls, accept)


def udp_echo_server(addr):
    fam, sa = parse_addr(addr)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind(sa)
    say("listening on " + fmt_addr(s.getsockname()))

    def echo(sock):
        data, peer = sock.recvfrom(65536)
        sock.sendto(data, peer)

    serve(s, echo)


def tcp_client(addr, total):
    fam, sa = parse_addr(addr)
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.settimeout(TIME_LIMIT)
    c.connect(sa)
    say("connected %s->%s" % (fmt_addr(c.getsockname()), fmt_addr(c.getpeername())))
    errors = []

    def writer():
        off = 0
        try:
            while off < total:
                n = min(1 + (off * 131) % 65536, total - off)
                c.sendall(pattern(off, n))
                off += n
            c.shutdown(socket.SHUT_WR)
        except OSError as e:
            errors.append("write after %d bytes: %s" % (off, e))

    w = threading.Thread(target=writer, daemon=True)
    w.start()
    got = 0
    while True:
        try:
            data = c.recv(65536)
        except OSError as e:
            fail("read after %d bytes: %s" % (got, e))
        if not data:
            break
        want = pattern(got, len(data))
        if data != want:
            i = next(i for i in range(len(data)) if data[i] != want[i])
            fail("echo differs at byte %d: got %#04x, want %#04x" % (got + i, data[i], want[i]))
        got += len(data)
    w.join(TIME_LIMIT)
    if errors:
        fail(errors[0])
    if got != total:
        fail("received %d bytes, want %d" % (got, total))
    c.close()
    say("received %d" % got)


def udp_client(addr, count):
    fam, sa = parse_addr(addr)
    c = socket.socket(fam, socket.SOCK_DGRAM)
    c.connect(sa)
    say("local " + fmt_addr(c.getsockname()))
    c.settimeout(2.0)
    for k in range(count):
        want = pattern(k * 7919, UDP_SIZES[k % len(UDP_SIZES)])
        for _ in range(3):
            c.send(want)
            try:
                data = c.recv(65536)
            except socket.timeout:
                continue
            if data != want:
                fail("datagram %d: echo of %d bytes differs (want %d)" % (k, len(data), len(want)))
            break
        else:
            fail("datagram %d: no echo after 3 tries" % k)
    c.close()
    say("received %d" % count)


def main(argv):
    watchdog()
    if len(argv) < 3:
        sys.stderr.write(__doc__ if __doc__ else "usage: peer.py MODE ADDR [N]\n")
        return 2
    mode, addr = argv[1], argv[2]
    if mode == "tcp-echo-server":
        tcp_echo_server(addr)
    elif mode == "udp-echo-server":
        udp_echo_server(addr)
    elif mode == "tcp-client" and len(argv) == 4:
        tcp_client(addr, int(argv[3]))
    elif mode == "udp-client" and len(argv) == 4:
        udp_client(addr, int(argv[3]))
    else:
        sys.stderr.write("usage: peer.py tcp-echo-server|udp-echo-server ADDR\n"
                         "       peer.py tcp-client|udp-client ADDR N\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
