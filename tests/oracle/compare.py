#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""compare.py - line-by-line comparison of the Go oracle and ringnet outputs.

Usage: compare.py INPUTS GO_OUT RINGNET_OUT [--show N]

A line differs "as expected" when its input falls in one of ringnet's
documented divergences from Go 1.19; such lines are counted, not failed:

  long-hex-group  an IPv6-style hex group of 5+ digits whose value fits 16
                  bits (Go 1.19 accepts "00001", current Go and ringnet reject)
  unix-name-long  a ResolveUnixAddr name longer than sun_path (Go accepts it
                  and fails later; ringnet returns -EINVAL)
  zone-long       a zone of more than RN_ZONE_MAX-1 bytes (ringnet's fixed
                  zone buffer)

Lines the Go oracle marks SKIP (a Resolve input that would need a host
lookup) are counted and not compared.  Exit status 1 on any other mismatch.
"""
import re
import sys
from collections import Counter, defaultdict

LONG_GROUP = re.compile(rb"[0-9A-Fa-f]{5,}")


def unesc(s):
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\" and s[i + 1:i + 2] == "\\":
            out.append(0x5C)
            i += 2
        elif s[i] == "\\" and s[i + 1:i + 2] == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += s[i].encode("latin-1", "replace")
            i += 1
    return bytes(out)


def expected_divergence(fn, args):
    for a in args:
        for m in LONG_GROUP.finditer(a):
            if int(m.group(0), 16) <= 0xFFFF:
                return "long-hex-group"
    if fn == "ResolveUnixAddr" and len(args) > 1 and len(args[1]) > 108:
        return "unix-name-long"
    if fn.startswith("Resolve") or fn in ("ParseIP",):
        for a in args:
            i = a.rfind(b"%")
            if i >= 0:
                zone = a[i + 1:]
                j = zone.rfind(b"]")
                if j >= 0:
                    zone = zone[:j]
                if len(zone) > 31:
                    return "zone-long"
    return None


def main():
    argv = sys.argv[1:]
    show = 40
    if "--show" in argv:
        k = argv.index("--show")
        show = int(argv[k + 1])
        del argv[k:k + 2]
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[0], encoding="latin-1") as f:
        inputs = f.read().split("\n")[:-1]
    with open(argv[1], encoding="latin-1") as f:
        gout = f.read().split("\n")[:-1]
    with open(argv[2], encoding="latin-1") as f:
        cout = f.read().split("\n")[:-1]
    if len(gout) != len(inputs):
        print("FAIL: the Go oracle printed %d lines for %d inputs" % (len(gout), len(inputs)))
        return 1
    if len(cout) != len(inputs):
        print("FAIL: oracle_ringnet printed %d lines for %d inputs (crashed?)" % (len(cout), len(inputs)))
        # compare what there is, then fail
    same = 0
    skipped = Counter()
    expected = Counter()
    expected_same = Counter()
    bad = []
    per_fn = Counter()
    total_fn = Counter()
    for i, line in enumerate(inputs):
        f = line.split("\t")
        fn, args = f[0], [unesc(x) for x in f[1:]]
        total_fn[fn] += 1
        g = gout[i]
        c = cout[i] if i < len(cout) else "<missing>"
        if g.startswith("SKIP"):
            skipped[fn] += 1
            continue
        why = expected_divergence(fn, args)
        if g == c:
            same += 1
            if why:
                expected_same[why] += 1
            continue
        if why:
            expected[why] += 1
            continue
        per_fn[fn] += 1
        bad.append((i + 1, line, g, c))

    print("oracle_go119: %d inputs, %d identical, %d mismatches" % (len(inputs), same, len(bad)))
    print("  per function: " + ", ".join("%s %d" % kv for kv in sorted(total_fn.items())))
    print("  skipped (would need a host lookup in Go): %d %s" % (sum(skipped.values()), dict(skipped)))
    for why in sorted(set(expected) | set(expected_same)):
        print("  expected divergence %-15s differ %d, agree %d" % (why, expected[why], expected_same[why]))
    if bad:
        print("  mismatches per function: " + ", ".join("%s %d" % kv for kv in per_fn.most_common()))
        print()
        # A few of each function first, then the rest in order, up to --show.
        picked = []
        per = defaultdict(int)
        for b in bad:
            fn = b[1].split("\t")[0]
            if per[fn] < 3:
                per[fn] += 1
                picked.append(b)
        chosen = {b[0] for b in picked}
        picked += [b for b in bad if b[0] not in chosen]
        for ln, line, g, c in sorted(picked[:show]):
            print("line %d: %s" % (ln, line))
            print("    go:      %s" % g)
            print("    ringnet: %s" % c)
        if len(bad) > show:
            print("... %d more (ORACLE_SHOW=N prints more)" % (len(bad) - show))
    if len(cout) != len(inputs):
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
