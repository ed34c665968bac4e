#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""gen_inputs.py - the deterministic input corpus of the Go differential test.

Prints test lines "FUNC<TAB>arg..." (see oracle.go for the protocol) built
from two sources:

  1. every string and byte literal of the Go 1.19 test tables that concern
     the address functions (src/net/{ip,mac,port,lookup,tcpsock,udpsock,
     iprawsock}_test.go), read from GOROOT at run time, plus the hex values
     of the shared vectors in tests/data or /work/shared/vectors when present;
  2. seeded random and mutated inputs (same seed, same corpus).

Usage: gen_inputs.py [--goroot DIR] [--seed N] [--random N] [--vectors DIR]

Stdlib only.  No generated argument holds a NUL byte (C strings cannot).
Resolve* inputs use literal hosts or none; the few mutated ones that end up
naming a host are marked SKIP by the Go oracle, which never looks them up.
"""
import argparse
import json
import os
import random
import re
import sys

# ---- escaping (shared with oracle.go / oracle_ringnet.c) --------------------


def esc(b):
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append("\\x%02x" % c)
    return "".join(out)


LINES = []
SEEN = set()


def emit(fn, *args):
    args = [a.encode("utf-8", "surrogateescape") if isinstance(a, str) else bytes(a) for a in args]
    if any(b"\x00" in a for a in args):
        return
    if any(len(a) > 512 for a in args):
        return
    line = fn + "".join("\t" + esc(a) for a in args)
    if line in SEEN:
        return
    SEEN.add(line)
    LINES.append(line)


# ---- Go literal extraction --------------------------------------------------

GO_STR = re.compile(r'"((?:[^"\\\n]|\\.)*)"|`([^`]*)`')


def go_unquote(body):
    """Decode the body of a Go interpreted string literal to bytes."""
    out = bytearray()
    i = 0
    simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
              "\\": 92, "'": 39, '"': 34}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = body[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e == "x":
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif e in "01234567":
            out.append(int(body[i + 1:i + 4], 8))
            i += 4
        elif e == "u":
            out += chr(int(body[i + 2:i + 6], 16)).encode("utf-8")
            i += 6
        elif e == "U":
            out += chr(int(body[i + 2:i + 10], 16)).encode("utf-8")
            i += 10
        else:
            raise ValueError("bad escape in %r" % body)
    return bytes(out)


def block(src, header):
    """The text from the line starting with header to the next '}' at column 0."""
    i = src.find(header)
    if i < 0:
        return ""
    j = src.find("\n}", i)
    return src[i:j if j >= 0 else len(src)]


def strings_in(text):
    out = []
    for m in GO_STR.finditer(text):
        if m.group(1) is not None:
            out.append(go_unquote(m.group(1)))
        else:
            out.append(m.group(2).encode())
    return out


def ints(s):
    return [int(x, 0) for x in re.findall(r"-?(?:0x[0-9a-fA-F]+|\d+)", s)]


def read(goroot, name):
    p = os.path.join(goroot, "src", "net", name)
    try:
        with open(p, encoding="utf-8") as f:
            return f.read()
    except OSError:
        sys.stderr.write("gen_inputs: cannot read %s\n" % p)
        return ""


def upstream(goroot):
    """Inputs from the upstream tables; returns pools for the random part."""
    ip_test = read(goroot, "ip_test.go")
    pools = {"text": [], "mac": [], "svc": [], "net": [], "hex": [], "addr": []}

    ip_blocks = ["var parseIPTests", "var ipStringTests", "var ipMaskTests",
                 "var ipMaskStringTests", "var parseCIDRTests", "var ipNetContainsTests",
                 "var ipNetStringTests", "var networkNumberAndMaskTests",
                 "func TestSplitHostPort", "func TestJoinHostPort", "var ipAddrFamilyTests",
                 "var ipAddrScopeTests", "func TestMarshalEmptyIP", "func TestLookupWithIP",
                 "func TestParseIP"]
    for h in ip_blocks:
        b = block(ip_test, h)
        for s in strings_in(b):
            pools["text"].append(s)
        # Byte literals: IP{...}, IPMask{...}, IPv4(a,b,c,d), IPv4Mask(...), CIDRMask(o,b).
        for m in re.finditer(r"\b(IP|IPMask)\{([^{}]*)\}", b):
            v = ints(m.group(2))
            if all(0 <= x <= 255 for x in v) and len(v) <= 16:
                pools["hex"].append(bytes(v).hex())
        for m in re.finditer(r"\bIPv4(?:Mask)?\(([^()]*)\)", b):
            v = ints(m.group(1))
            if len(v) == 4:
                if "Mask" in m.group(0):
                    pools["hex"].append(bytes(v).hex())
                else:
                    pools["hex"].append((bytes(10) + b"\xff\xff" + bytes(v)).hex())
                    pools["hex"].append(bytes(v).hex())
        for m in re.finditer(r"\bCIDRMask\((-?\d+), (-?\d+)\)", b):
            emit("CIDRMask", m.group(1), m.group(2))
        # SplitHostPort / JoinHostPort rows: {"hostport", "host", "port"} and {"host", "port", "hostport"}
        for m in re.finditer(r'\{("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*"), ("(?:[^"\\]|\\.)*")\}', b):
            a, c, d = (go_unquote(x[1:-1]) for x in m.groups())
            emit("JoinHostPort", a, c)
            emit("JoinHostPort", c, d)
    # The *Tests tables are evaluated by tests; also the mask strings of ipMaskStringTests.
    for s in pools["text"]:
        for fn in ("ParseIP", "UnmarshalIP", "ParseCIDR", "SplitHostPort", "ParseMAC"):
            emit(fn, s)

    mac = read(goroot, "mac_test.go")
    for s in strings_in(block(mac, "var parseMACTests")):
        pools["mac"].append(s)
        for fn in ("ParseMAC", "ParseIP", "SplitHostPort"):
            emit(fn, s)
    for m in re.finditer(r"HardwareAddr\{([^{}]*)\}", block(mac, "var parseMACTests")):
        pools["hex"].append(bytes(ints(m.group(1))).hex())

    port = read(goroot, "port_test.go")
    for s in strings_in(block(port, "var parsePortTests")):
        pools["svc"].append(s)

    lookup = read(goroot, "lookup_test.go")
    for h in ("func TestLookupPort(", "func TestLookupPort_Minimal", "func TestLookupProtocol_Minimal"):
        b = block(lookup, h)
        for m in re.finditer(r'\{"((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"', b):
            n, s = go_unquote(m.group(1)), go_unquote(m.group(2))
            emit("LookupPort", n, s)
            pools["net"].append(n)
            pools["svc"].append(s)
        if "Protocol" in h:
            for m in re.finditer(r'\{"((?:[^"\\]|\\.)*)", \d+\}', b):
                p = go_unquote(m.group(1)).decode("latin-1")
                for fam in ("ip", "ip4", "ip6"):
                    pools["net"].append((fam + ":" + p).encode("latin-1"))
    for s in strings_in(block(lookup, "var ipVersionTests")):
        pools["net"].append(s)

    for fname, table in (("tcpsock_test.go", "var resolveTCPAddrTests"),
                         ("udpsock_test.go", "var resolveUDPAddrTests"),
                         ("iprawsock_test.go", "var resolveIPAddrTests")):
        b = block(read(goroot, fname), table)
        for m in re.finditer(r'\{"((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"', b):
            n, a = go_unquote(m.group(1)), go_unquote(m.group(2))
            pools["net"].append(n)
            pools["addr"].append(a)
            for fn in ("ResolveTCPAddr", "ResolveUDPAddr", "ResolveIPAddr"):
                emit(fn, n, a)
            for fn in ("SplitHostPort", "ParseIP"):
                emit(fn, a)
    return pools


def structured(c):
    """The exact rows of the shared vectors whose shape is known."""
    n = c.get("net") if isinstance(c.get("net"), dict) else None
    if n is None and isinstance(c.get("in"), dict):
        n = c["in"]
    if n is not None:
        emit("IPNet", n.get("ip") or "", n.get("mask") or "", c.get("ip") if isinstance(c.get("ip"), str) else "")
    if isinstance(c.get("ip"), str) and isinstance(c.get("mask"), str):
        emit("IPMask", c["ip"], c["mask"])
    if isinstance(c.get("ones"), int) and isinstance(c.get("bits"), int):
        emit("CIDRMask", str(c["ones"]), str(c["bits"]))
    if isinstance(c.get("host"), str) and isinstance(c.get("port"), str):
        emit("JoinHostPort", c["host"], c["port"])
    if isinstance(c.get("network"), str) and isinstance(c.get("name"), str):
        emit("LookupPort", c["network"], c["name"])
    f = c.get("func")
    if f in ("ResolveTCPAddr", "ResolveUDPAddr", "ResolveIPAddr") and isinstance(c.get("address"), str):
        emit(f, c.get("network") or "", c["address"])


def shared_vectors(vdir, pools):
    """Hex byte values from the shared go_net_*.json vectors, if present."""
    if not vdir or not os.path.isdir(vdir):
        return

    def walk(v):
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str) and re.fullmatch(r"(?:[0-9a-f]{2}){1,16}", v):
            pools["hex"].append(v)

    for name in sorted(os.listdir(vdir)):
        if not (name.startswith(("go_net_", "go119_upstream_")) and name.endswith(".json")):
            continue
        try:
            with open(os.path.join(vdir, name), encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError):
            continue
        walk(doc.get("cases", []))
        for c in doc.get("cases", []):
            if not isinstance(c, dict):
                continue
            structured(c)
            for k in ("in", "hostPort", "host", "address", "service", "name"):
                v = c.get(k)
                if isinstance(v, str):
                    pools["text"].append(v.encode("utf-8"))


# ---- random inputs --------------------------------------------------------------

HEXD = "0123456789abcdef"
ODD = b".:[]%/-+0123456789abcdefABCDEFxX gG_@ \t\n\xff\x80"
NETS_TCP = ["tcp", "tcp4", "tcp6", "", "udp", "udp4", "udp6", "ip", "tcp5", "TCP", "unix"]
NETS_IP = ["ip", "ip4", "ip6", "", "ip:1", "ip4:icmp", "ip6:ipv6-icmp", "ip6:IPv6-ICMP",
           "ip4:ICMP", "ip:tcp", "ip:udp", "ip4:igmp", "ip:0", "ip:255", "ip:256", "ip:-1",
           "ip:+1", "ip:01", "ip:", "ip4:nosuchproto", "ip:egp", "ip:gre", "ip::", "ip:icmp:",
           "ip4:1x", "tcp", "ip7", "l2tp:gre", "ip:999999999999", ":icmp"]
SERVICES = ["http", "https", "HTTP", "Https", "domain", "ssh", "ftp", "ftps", "telnet", "smtp",
            "gopher", "imap2", "imaps", "imap3", "pop3", "pop3s", "ntp", "echo", "finger",
            "mobility-header", "nosuchservice", "http ", " http", "ht tp", "", "0", "80",
            "65535", "65536", "-1", "+80", "080", "00000000000000000000080", "99999999999",
            "-99999999999", "1073741824", "-1073741825", "4294967376", "a" * 26,
            "service-name-of-25-chars-", "service-name-of-26-chars-x", "http%foo", "1e3",
            "0x50", "８０", "http\x7f", "kerberos", "sunrpc", "syslog", "tftp", "bootps"]


def rnd_v4(r):
    parts = [str(r.randrange(256)) for _ in range(4)]
    k = r.random()
    if k < 0.1:
        parts[r.randrange(4)] = "0" + parts[r.randrange(4)]
    elif k < 0.15:
        parts[r.randrange(4)] = str(r.randrange(256, 100000))
    elif k < 0.2:
        del parts[r.randrange(4)]
    elif k < 0.25:
        parts.append(str(r.randrange(256)))
    elif k < 0.28:
        parts[r.randrange(4)] = r.choice(["+1", "-1", "", " 1", "1 ", "0x1", "00", "000", "256", "16777215", "99999999"])
    elif k < 0.32:
        parts = [r.choice(["0", "127", "10", "172", "192", "169", "224", "239", "255", "100"]),
                 r.choice(["0", "16", "31", "168", "254", "255", "1"]),
                 str(r.randrange(256)), str(r.randrange(256))]
    return ".".join(parts)


def rnd_group(r):
    k = r.random()
    if k < 0.04:
        return "0" * r.randrange(1, 4) + "".join(r.choice(HEXD) for _ in range(r.randrange(2, 5)))  # overlong, leading zeros
    if k < 0.06:
        return "".join(r.choice(HEXD) for _ in range(r.randrange(5, 8)))  # overlong value
    if k < 0.08:
        return "".join(r.choice("0123456789ABCDEF") for _ in range(r.randrange(1, 5)))
    if k < 0.3:
        return "0"
    return "".join(r.choice(HEXD) for _ in range(r.randrange(1, 5))).lstrip("0") or "0"


PREFIXES6 = ["fe80", "ff02", "ff01", "ff05", "fc00", "fd12", "2001", "2001:db8", "::ffff", "::",
             "64:ff9b", "fec0", "ff0e", "fe8f", "febf", "fec1"]


def rnd_v6(r):
    n = r.choice([8, 8, 7, 6, 5, 4, 3, 2, 1, 9])
    groups = [rnd_group(r) for _ in range(n)]
    if r.random() < 0.3:
        groups[0] = r.choice(PREFIXES6).replace("::", "0:0") if r.random() < 0.5 else groups[0]
    tail4 = r.random() < 0.15
    if tail4:
        groups = groups[:max(0, n - 2)]
    s = ":".join(groups)
    if r.random() < 0.6:
        # compress a run
        g = s.split(":")
        i = r.randrange(len(g) + 1)
        j = r.randrange(i, min(len(g), i + 6) + 1)
        s = ":".join(g[:i]) + "::" + ":".join(g[j:])
    if tail4:
        s = s + ("" if s.endswith(":") else ":") + rnd_v4(r)
    if r.random() < 0.05:
        s = r.choice(["::", "::1", "::ffff:" + rnd_v4(r), "::" + rnd_v4(r), "1::", ":::", "1:::2",
                      "::ffff:0:" + rnd_v4(r), "0:0:0:0:0:ffff:" + rnd_v4(r)])
    return s


def rnd_zone(r):
    k = r.random()
    if k < 0.5:
        return r.choice(["eth0", "lo", "lo0", "en0", "911", "1", "0", "%", "a%b", "]", ":", "eth0:1"])
    if k < 0.55:
        return "z" * r.randrange(28, 40)
    return "".join(r.choice("abcdefxyz0123456789._-") for _ in range(r.randrange(0, 12)))


def rnd_ip(r):
    k = r.random()
    if k < 0.4:
        return rnd_v4(r)
    if k < 0.9:
        return rnd_v6(r)
    return r.choice(["", "localhost", "a.b.c.d", "1.2.3", "::ffff:1.2.3", "1.2.3.4.", ".1.2.3.4",
                     "1..2.3", "1.2.3.4%eth0", "[::1]", "::1%eth0", "fe80::1%", "1:2:3:4:5:6:7:8:9"])


def rnd_port(r):
    k = r.random()
    if k < 0.5:
        return str(r.randrange(0, 65536))
    if k < 0.6:
        return str(r.randrange(65536, 10 ** r.randrange(6, 12)))
    if k < 0.65:
        return "-" + str(r.randrange(0, 100000))
    if k < 0.7:
        return "0" * r.randrange(1, 20) + str(r.randrange(0, 65536))
    return r.choice(SERVICES)


def rnd_hostport(r):
    host = rnd_ip(r)
    k = r.random()
    if ":" in host or k < 0.1:
        if r.random() < 0.3:
            host += "%" + rnd_zone(r)
        if r.random() < 0.95:
            host = "[" + host + "]"
    hp = host + ":" + rnd_port(r)
    if r.random() < 0.08:
        hp = r.choice([hp.replace("[", "", 1), hp.replace("]", "", 1), "[" + hp, hp + "]",
                       hp + ":", ":" + hp, hp.replace(":", "", 1), host, "[" + host + "]x:80"])
    return hp


def rnd_mac(r):
    n = r.choice([6, 6, 6, 8, 20, 5, 7, 21, 4])
    octs = [r.randrange(256) for _ in range(n)]
    k = r.random()
    if k < 0.7:
        sep = r.choice([":", "-"])
        parts = ["%02x" % o for o in octs]
        if r.random() < 0.2:
            parts = [p.upper() for p in parts]
        if r.random() < 0.1:
            i = r.randrange(n)
            parts[i] = r.choice(["0", "000", "g0", "0g", "  ", "+1", "-1", ":", "ff"])
        if r.random() < 0.05:
            return "-".join(parts[: n // 2]) + ":" + ":".join(parts[n // 2:])
        return sep.join(parts)
    words = ["%02x%02x" % (octs[i], octs[i + 1] if i + 1 < n else 0) for i in range(0, n, 2)]
    if r.random() < 0.1:
        words[r.randrange(len(words))] = r.choice(["123", "12345", "gggg", "0x12", "FFFF"])
    return ".".join(words)


def mutate(r, s):
    if isinstance(s, str):
        s = s.encode("utf-8")
    b = bytearray(s)
    for _ in range(r.choice([1, 1, 1, 2, 3])):
        k = r.random()
        if k < 0.25 and b:
            i = r.randrange(len(b))
            b[i] ^= 1 << r.randrange(8)
            if b[i] == 0:
                b[i] = 0x7F
        elif k < 0.45 and b:
            b = b[: r.randrange(len(b))]
        elif k < 0.65:
            i = r.randrange(len(b) + 1)
            b[i:i] = bytes([r.choice(ODD)])
        elif k < 0.8 and b:
            i = r.randrange(len(b))
            del b[i]
        elif k < 0.9 and b:
            i = r.randrange(len(b))
            j = r.randrange(i, len(b) + 1)
            b[j:j] = b[i:j]
        elif b:
            b = b[r.randrange(len(b)):]
    return bytes(b)


def rnd_hex(r, maxlen=16):
    n = r.choice([0, 4, 4, 16, 16, 16, r.randrange(0, maxlen + 1)])
    k = r.random()
    if n == 16 and k < 0.3:
        return (bytes(10) + b"\xff\xff" + bytes(r.randrange(256) for _ in range(4))).hex()
    if n == 16 and k < 0.4:
        return (bytes([r.choice([0xfe, 0xff, 0xfc, 0xfd, 0x20, 0])]) + bytes(r.randrange(256) for _ in range(15))).hex()
    if n == 4 and k < 0.4:
        return bytes([r.choice([0, 10, 127, 169, 172, 192, 224, 239, 255]), r.choice([0, 16, 31, 168, 254, 255])] +
                     [r.randrange(256) for _ in range(2)]).hex()
    return bytes(r.randrange(256) for _ in range(n)).hex()


def cidr_mask_bytes(r):
    bits = r.choice([32, 128])
    ones = r.randrange(bits + 1)
    v = ((1 << ones) - 1) << (bits - ones)
    return v.to_bytes(bits // 8, "big")


def rnd_mask(r):
    k = r.random()
    if k < 0.5:
        return cidr_mask_bytes(r).hex()
    if k < 0.6:
        return (b"\xff" * 12 + cidr_mask_bytes(r)[:4]).hex() if r.random() < 0.5 else (b"\xff" * 12 + bytes(r.randrange(256) for _ in range(4))).hex()
    return rnd_hex(r)


def random_inputs(r, count, pools):
    text_seeds = [s for s in pools["text"] if s]
    for _ in range(count):
        k = r.randrange(22)
        if k == 0:
            emit("ParseIP", rnd_v4(r))
        elif k == 1:
            emit("ParseIP", rnd_v6(r))
        elif k == 2:
            emit("ParseIP", mutate(r, r.choice([rnd_v4(r), rnd_v6(r)] + text_seeds[:50])))
        elif k == 3:
            s = rnd_ip(r) + "/" + r.choice([str(r.randrange(-3, 140)), "", "+8", "08", "0",
                                            "-0", "32", "128", "129", "33", "99999999999",
                                            " 8", "8 ", "0x8", "1/2"])
            emit("ParseCIDR", s if r.random() < 0.8 else mutate(r, s))
        elif k == 4:
            emit("SplitHostPort", rnd_hostport(r))
        elif k == 5:
            emit("SplitHostPort", mutate(r, rnd_hostport(r)))
        elif k == 6:
            h = r.choice([rnd_ip(r), rnd_v6(r) + "%" + rnd_zone(r), "", "[::1]", "a:b", "x"])
            emit("JoinHostPort", h, rnd_port(r))
        elif k == 7:
            emit("ParseMAC", rnd_mac(r))
        elif k == 8:
            emit("ParseMAC", mutate(r, rnd_mac(r)))
        elif k == 9:
            emit("IP", rnd_hex(r))
        elif k == 10:
            emit("IPMask", rnd_hex(r), rnd_mask(r))
            emit("IPEqual", rnd_hex(r), rnd_hex(r))
        elif k == 11:
            emit("CIDRMask", str(r.randrange(-3, 131)),
                 str(r.choice([-1, 0, 8, 31, 32, 33, 64, 127, 128, 129, r.randrange(-3, 200)])))
            emit("MaskSize", rnd_mask(r))
        elif k == 12:
            ip = rnd_hex(r)
            emit("IPNet", ip, rnd_mask(r), r.choice([ip, rnd_hex(r)]))
        elif k == 13:
            emit("LookupPort", r.choice(NETS_TCP + pools["net"] + [b"ip6", b"tcp\xff"]),
                 r.choice(SERVICES + pools["svc"]) if r.random() < 0.8 else rnd_port(r))
        elif k in (14, 15):
            fn = r.choice(["ResolveTCPAddr", "ResolveUDPAddr"])
            a = rnd_hostport(r)
            if r.random() < 0.15:
                a = r.choice(["", ":0", ":", ":http", "[::]:0", "0.0.0.0:0", "[::ffff:0.0.0.0]:1"])
            emit(fn, r.choice(NETS_TCP), a if r.random() < 0.85 else mutate(r, a))
        elif k == 16:
            a = rnd_ip(r)
            if ":" in a and r.random() < 0.3:
                a += "%" + rnd_zone(r)
            if r.random() < 0.1:
                a = r.choice(["", "::", "0.0.0.0", "::ffff:0.0.0.0", "1.2.3.4:80"])
            emit("ResolveIPAddr", r.choice(NETS_IP), a if r.random() < 0.9 else mutate(r, a))
        elif k == 17:
            name = r.choice(["/tmp/sock", "@abstract", "", "@", "relative/path", "x" * r.randrange(100, 120),
                             "/" + "y" * r.randrange(1, 110), "sock\xff", "a b"])
            emit("ResolveUnixAddr", r.choice(["unix", "unixgram", "unixpacket", "", "Unix", "unix4", "tcp"]), name)
        elif k == 18:
            emit("UnmarshalIP", r.choice([rnd_v4(r), rnd_v6(r), "", mutate(r, rnd_v4(r))]))
        elif k == 19:
            emit(r.choice(["ParseIP", "ParseCIDR", "SplitHostPort", "ParseMAC", "UnmarshalIP"]),
                 mutate(r, r.choice(text_seeds + pools["mac"] + pools["addr"] or [b"x"])))
        elif k == 20:
            # IPv4 shapes inside IPv6, scoped, and other near misses
            s = r.choice(["::ffff:", "::", "0:0:0:0:0:ffff:", "1:2:3:4:5:6:", "1::2:", "::1:", "1:2:3:4:5:6:7:"]) + rnd_v4(r)
            emit("ParseIP", s)
            emit("ParseCIDR", s + "/" + str(r.randrange(0, 130)))
        else:
            emit("ParseIP", r.choice([rnd_v4(r), rnd_v6(r)]) + "%" + rnd_zone(r))
            emit("ResolveTCPAddr", "tcp6", "[" + rnd_v6(r) + "%" + rnd_zone(r) + "]:" + rnd_port(r))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--goroot", default=os.environ.get("GOROOT", "/usr/lib/go-1.19"))
    here = os.path.dirname(os.path.abspath(__file__))
    vdefault = os.environ.get("RN_VECTORS")
    if not vdefault:
        for cand in (os.path.join(here, "..", "data"), "/work/shared/vectors"):
            if os.path.isdir(cand) and any(n.startswith(("go_net_", "go119_upstream_")) for n in os.listdir(cand)):
                vdefault = cand
                break
    ap.add_argument("--vectors", default=vdefault)
    ap.add_argument("--seed", type=int, default=1919)
    ap.add_argument("--random", type=int, default=20000)
    a = ap.parse_args()

    pools = upstream(a.goroot)
    n_up = len(LINES)
    if n_up == 0:
        sys.stderr.write("gen_inputs: no upstream table found under %s\n" % a.goroot)
        return 1
    shared_vectors(a.vectors, pools)
    for h in sorted(set(pools["hex"])):
        emit("IP", h)
        emit("MaskSize", h)
    # IP.Mask over pairs of table values: every IP with a sample of masks.
    hexes = sorted(set(pools["hex"]))
    pr = random.Random(a.seed + 1)
    for x in hexes:
        for y in pr.sample(hexes, min(6, len(hexes))):
            emit("IPMask", x, y)
    for n in sorted(set(pools["net"])):
        for s in sorted(set(pools["svc"]))[:40]:
            emit("LookupPort", n, s)
    for s in sorted(set(pools["svc"])):
        for n in ("tcp", "udp", "", "ip"):
            emit("LookupPort", n, s)
    emit("IPNetNil")
    r = random.Random(a.seed)
    random_inputs(r, a.random, pools)
    sys.stderr.write("gen_inputs: %d upstream-table lines, %d total\n" % (n_up, len(LINES)))
    out = sys.stdout
    for line in LINES:
        out.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
