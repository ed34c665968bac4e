/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf_bench - ringnet's classic BPF benchmark: the VM's speed on a corpus
 * of tcpdump filters, and what a filter attached to a receiving UDP socket
 * costs.
 *
 *   bpf_bench vm [-d SECONDS] FILE...
 *   bpf_bench recv none|all|tenth [-s SIZE] [-b BATCH] [-d SECONDS] [-w SECONDS]
 *                  [-r RCVBUF] [-S CPU] ADDRESS
 *
 * vm: each FILE holds the output of `tcpdump -dd -y RAW 'EXPR'`, optionally
 *   preceded by one line "# EXPR" naming it.  Each is read with
 *   rn_bpf_parse_dd, disassembled (rn_bpf_disassemble: every instruction
 *   must decode) and loaded with rn_bpf_vm_new, then run with rn_bpf_vm_run
 *   over a fixed set of NPKTS realistic IPv4 packets (DNS, NTP, bulk UDP,
 *   TCP handshake and data, TLS ClientHello, SSH, ICMP echo, a non-first
 *   fragment; starting at the IP header, as -y RAW filters expect), the set
 *   again and again for SECONDS (default 1) after a 0.05 s warm-up.
 *
 *   Instructions are counted apart from the timed runs: before timing, a
 *   small step-counting interpreter in this file (classic BPF as the kernel
 *   runs it, written independently of ringnet's VM) runs the filter once on
 *   each packet and counts the instructions it executes, and its result must
 *   equal rn_bpf_vm_run's for every packet (else the filter fails).  The
 *   VM runs the same path each time for the same packet, so instructions
 *   per set times the sets run is the instructions the VM executed.  One
 *   line per filter:
 *     vm=1 filter=ID insns=N accepted=A insns_per_set=I insns_per_pkt=P
 *     sets=K seconds=T pps=R insns_per_s=Q ns_per_pkt=X ns_per_insn=Y expr=EXPR
 *   (ID: the file's name up to its first '.'; insns: the program's length;
 *   accepted: packets of the set it keeps; EXPR: the "# " line, to the end)
 *   and one for all of them together (sum of instructions over sum of time):
 *     vm_total=1 filters=F seconds=T pps=R insns_per_s=Q ns_per_insn=Y
 *
 * recv: binds ADDRESS with rn_listen_packet("udp4"), sets SO_RCVBUF (-r,
 *   default 4 MiB), attaches the filter with rn_bpf_attach, prints
 *   "listening on ADDR" and receives, with rn_ipv4_packetconn_read_batch of
 *   BATCH (default 64) as udp_batch's ringnet receiver does, the datagrams of
 *   SIZE bytes (default 64) that `udp_batch send` floods it with.  Those
 *   start with an 8-byte sequence number in the host's byte order
 *   (little-endian here).  Filters (bpf_asm text, rn_bpf_parse_asm):
 *     none    no filter attached;
 *     all     "ret #65535": keeps every datagram;
 *     tenth   keeps a datagram when the low 32 bits of its sequence number
 *             are 0 mod 10 (bytes 8..11 of what the filter sees, which
 *             starts at the UDP header, put together little-endian, then
 *             "mod #10"): one in ten, 16 instructions.
 *   Before attaching, the filter is run in rn_bpf_vm on datagrams numbered
 *   0..99 to check it keeps what it should.  After the first datagram it
 *   warms up (-w, default 0.3 s), measures for -d SECONDS (default 2) and
 *   prints one line:
 *     filter=F size=S batch=B packets=N seconds=T pps=R offered_pps=O
 *     expected=E lost=L leaked=K bad=X calls=C pkts_per_call=P
 *     cpu_ns_per_pkt=A cpu_util=U sender_cpu=CPU sender_busy=..
 *     sender_user=.. sender_sys=.. sender_softirq=.. sender_steal=..
 *     sender_ns_per_offered=.. softirq_ns_per_offered=.. total_packets=Z
 *   packets: datagrams of the right size received in the window; offered:
 *   how far the sender's sequence numbers advanced in it, i.e. datagrams the
 *   kernel put through the socket's filter; expected: how many of those the
 *   filter keeps (all of them, or the multiples of 10); lost = expected -
 *   packets (the socket's queue was full); leaked: datagrams received that
 *   the filter should have dropped (must be 0); cpu_ns_per_pkt: process CPU
 *   (CLOCK_PROCESS_CPUTIME_ID) per datagram received, cpu_util the same
 *   over the window's wall time.  sender_*: with -S CPU (default 0; -1 for
 *   none), the split of that CPU's time over the window from /proc/stat
 *   (tick-sampled, 1/HZ resolution): on loopback the sender's CPU also runs
 *   the receive softirq, where the filter runs, so softirq_ns_per_offered is
 *   the kernel's receive-side cost per datagram, filter included, and
 *   sender_ns_per_offered the whole CPU's busy time per datagram.
 *   A receive that waits 5 s for a datagram is an error.
 *
 * Exit status: 0 on success, 1 on a failure, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "udp_common.h"

#define MAX_BATCH 1024
#define RX_BUF 2048
#define RX_TIMEOUT_S 5
#define CLOCK_EVERY 64		/* vm: packet sets between clock reads */
#define VM_WARM_NS 50000000LL	/* vm: warm-up per filter */
#define MAX_INSNS 4096

static const char *prog = "bpf_bench";

/* ---- helpers ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s vm [-d SECONDS] FILE...\n"
		"       %s recv none|all|tenth [-s SIZE] [-b BATCH] [-d SECONDS] [-w SECONDS]\n"
		"                  [-r RCVBUF] [-S CPU] ADDRESS\n"
		"FILE: `tcpdump -dd -y RAW EXPR` output, optionally after a line \"# EXPR\".\n"
		"ADDRESS: an IPv4 HOST:PORT such as 127.0.0.1:0, flooded by `udp_batch send`.\n"
		"See the comment at the top of perf/bpf_bench.c for what is printed.\n",
		prog, prog);
}

/* ---- the packet set --------------------------------------------------------------- */

#define NPKTS 12
#define PKT_MAX 1500

struct pkt {
	const char *name;
	size_t n;
	uint8_t b[PKT_MAX];
};

static struct pkt pkts[NPKTS];

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_addr(uint8_t *p, const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	memcpy(p, &a, 4);
}

/* The IP header checksum, for packets that look right to anything reading them. */
static uint16_t ip_csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The header of an IPv4 packet of @total bytes; returns its length (20). */
static size_t ip_header(struct pkt *k, uint8_t proto, const char *src, const char *dst,
			size_t total, uint32_t frag, uint8_t tos)
{
	uint8_t *p = k->b;

	memset(p, 0, 20);
	p[0] = 0x45;
	p[1] = tos;
	put16(p + 2, (uint32_t)total);
	put16(p + 4, 0x1c46);
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	put_addr(p + 12, src);
	put_addr(p + 16, dst);
	put16(p + 10, ip_csum(p, 20));
	k->n = total;
	return 20;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

static void udp_pkt(struct pkt *k, const char *name, const char *src, uint32_t sport,
		    const char *dst, uint32_t dport, size_t payload, uint8_t tos)
{
	size_t h = ip_header(k, 17, src, dst, 20 + 8 + payload, 0x4000, tos);
	uint8_t *u = k->b + h;

	k->name = name;
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint32_t)(8 + payload));
	fill(u + 8, payload, (uint8_t)dport);
}

/* TCP with @opts bytes of options (NOPs and a timestamp-sized filler). */
static void tcp_pkt(struct pkt *k, const char *name, const char *src, uint32_t sport,
		    const char *dst, uint32_t dport, uint8_t flags, size_t opts, size_t payload)
{
	size_t hl = 20 + opts;
	size_t h = ip_header(k, 6, src, dst, 20 + hl + payload, 0x4000, 0);
	uint8_t *t = k->b + h;

	k->name = name;
	memset(t, 0, hl);
	put16(t, sport);
	put16(t + 2, dport);
	put16(t + 4, 0x1234);
	put16(t + 8, (flags & 0x10) ? 0x5678 : 0);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	put16(t + 14, 64240);
	memset(t + 20, 1, opts);
	fill(t + hl, payload, (uint8_t)sport);
}

static void icmp_pkt(struct pkt *k, const char *name, uint8_t type, size_t payload)
{
	size_t h = ip_header(k, 1, "127.0.0.1", "127.0.0.1", 20 + 8 + payload, 0x4000, 0);

	k->name = name;
	memset(k->b + h, 0, 8);
	k->b[h] = type;
	put16(k->b + h + 4, 0x0042);
	put16(k->b + h + 6, 1);
	fill(k->b + h + 8, payload, type);
}

/* The set: what a host's capture sees, IPv4 only, each starting at the IP header. */
static void make_packets(void)
{
	int i = 0;

	udp_pkt(&pkts[i], "dns-query", "127.0.0.1", 40000, "127.0.0.53", 53, 40, 0);
	pkts[i++].b[28 + 2] = 0x01;	/* flags: RD */
	udp_pkt(&pkts[i], "dns-response", "127.0.0.53", 53, "127.0.0.1", 40000, 180, 0);
	pkts[i++].b[28 + 2] = 0x81;	/* flags: QR, RD */
	udp_pkt(&pkts[i++], "ntp", "10.0.0.1", 123, "10.0.0.2", 123, 48, 0);
	udp_pkt(&pkts[i++], "udp-bulk-ef", "10.0.0.1", 5000, "10.0.0.2", 9000, 1400, 0xb8);
	tcp_pkt(&pkts[i++], "tcp-syn", "10.0.0.1", 51000, "10.0.0.2", 80, 0x02, 20, 0);
	tcp_pkt(&pkts[i++], "tcp-synack", "10.0.0.2", 80, "10.0.0.1", 51000, 0x12, 20, 0);
	tcp_pkt(&pkts[i], "tls-hello", "10.0.0.1", 51001, "93.184.216.34", 443, 0x18, 12, 517);
	memcpy(pkts[i++].b + 20 + 32, "\x16\x03\x01\x02\x00", 5);
	tcp_pkt(&pkts[i++], "tcp-data", "93.184.216.34", 443, "10.0.0.1", 51001, 0x10, 12, 1448);
	tcp_pkt(&pkts[i++], "ssh", "192.168.0.1", 22, "192.168.0.7", 50123, 0x18, 12, 36);
	icmp_pkt(&pkts[i++], "icmp-echo", 8, 56);
	icmp_pkt(&pkts[i++], "icmp-reply", 0, 56);
	/* A non-first fragment of a UDP datagram: no UDP header in it. */
	ip_header(&pkts[i], 17, "10.0.0.1", "10.0.0.2", 20 + 200, 185, 0);
	pkts[i].name = "udp-fragment";
	fill(pkts[i++].b + 20, 200, 9);
}

/* ---- the step-counting interpreter -------------------------------------------------- */
/*
 * Classic BPF as the kernel runs it (net/core/filter.c), independent of
 * ringnet's VM: the loop counts each instruction executed.  Out-of-range
 * loads and division by X == 0 return 0; the only extension is the length.
 * *@ok is false for an instruction it does not know.
 */
static bool cnt_load(const uint8_t *in, size_t n, uint64_t off, unsigned size, uint32_t *v)
{
	if (off + size > n)
		return false;
	*v = 0;
	for (unsigned i = 0; i < size; i++)
		*v = *v << 8 | in[off + i];
	return true;
}

static uint32_t count_run(const rn_bpf_raw_instruction *p, size_t np, const uint8_t *in, size_t n,
			  uint64_t *steps, bool *ok)
{
	static const unsigned sizes[4] = { 4, 2, 1, 0 };
	uint32_t a = 0, x = 0, m[16] = { 0 }, v = 0;

	*ok = true;
	for (size_t pc = 0; pc < np; pc++) {
		const rn_bpf_raw_instruction *i = &p[pc];
		unsigned size = sizes[(i->op >> 3) & 3], mode = i->op & 0xe0;
		uint32_t src = (i->op & 0x08) ? x : i->k;

		(*steps)++;
		switch (i->op & 0x07) {
		case 0x00: /* ld */
		case 0x01: /* ldx */
			if (mode == 0x00) {		/* imm */
				v = i->k;
			} else if (mode == 0x20) {	/* abs */
				if (!cnt_load(in, n, i->k, size, &v))
					return 0;
			} else if (mode == 0x40) {	/* ind */
				if (!cnt_load(in, n, (uint64_t)x + i->k, size, &v))
					return 0;
			} else if (mode == 0x60) {	/* mem */
				v = m[i->k & 15];
			} else if (mode == 0x80) {	/* len */
				v = (uint32_t)n;
			} else if (mode == 0xa0) {	/* msh */
				if (!cnt_load(in, n, i->k, 1, &v))
					return 0;
				v = (v & 0xf) * 4;
			} else {
				*ok = false;
				return 0;
			}
			if ((i->op & 0x07) == 0x00)
				a = v;
			else
				x = v;
			break;
		case 0x02: /* st */
			m[i->k & 15] = a;
			break;
		case 0x03: /* stx */
			m[i->k & 15] = x;
			break;
		case 0x04: /* alu */
			switch (i->op & 0xf0) {
			case 0x00: a += src; break;
			case 0x10: a -= src; break;
			case 0x20: a *= src; break;
			case 0x30: if (!src) return 0; a /= src; break;
			case 0x40: a |= src; break;
			case 0x50: a &= src; break;
			case 0x60: a = src >= 32 ? 0 : a << src; break;
			case 0x70: a = src >= 32 ? 0 : a >> src; break;
			case 0x80: a = -a; break;
			case 0x90: if (!src) return 0; a %= src; break;
			case 0xa0: a ^= src; break;
			default: *ok = false; return 0;
			}
			break;
		case 0x05: { /* jmp */
			bool t;

			switch (i->op & 0xf0) {
			case 0x00: pc += i->k; continue;
			case 0x10: t = a == src; break;
			case 0x20: t = a > src; break;
			case 0x30: t = a >= src; break;
			case 0x40: t = (a & src) != 0; break;
			default: *ok = false; return 0;
			}
			pc += t ? i->jt : i->jf;
			break;
		}
		case 0x06: /* ret */
			return (i->op & 0x18) == 0x10 ? a : i->k;
		default: /* misc */
			if (i->op & 0x80)
				a = x;	/* txa */
			else
				x = a;	/* tax */
			break;
		}
	}
	*ok = false; /* ran off the end: rn_bpf_vm_new would have refused it */
	return 0;
}

/* ---- vm mode ------------------------------------------------------------------------ */

struct filter {
	char id[64];	/* the file's base name without ".dd" */
	char name[256];
	rn_bpf_program raw;
	rn_bpf_instruction *ins;
	rn_bpf_vm *vm;
	uint64_t insns_per_set;	/* instructions one pass over the packet set executes */
	int accepted;
};

/* The whole of @path, NUL-terminated; NULL with a message on failure. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, got;

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return NULL;
	}
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
	} while (got > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Load, check and count filter @path into @f; -1 with a message on failure. */
static int load_filter(const char *path, struct filter *f)
{
	char *text = read_file(path), *body;

	if (!text)
		return -1;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	body = text;
	snprintf(f->id, sizeof f->id, "%.*s", (int)strcspn(base, "."), base);
	snprintf(f->name, sizeof f->name, "%s", path);
	if (body[0] == '#') {	/* "# EXPR": the name */
		char *nl = strchr(body, '\n');
		const char *s = body + 1;

		if (nl)
			*nl = '\0';
		while (*s == ' ')
			s++;
		snprintf(f->name, sizeof f->name, "%s", s);
		body = nl ? nl + 1 : body + strlen(body);
	}
	if (rn_bpf_parse_dd(body, &f->raw) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, ringnet_error());
		free(text);
		return -1;
	}
	free(text);
	f->ins = calloc(f->raw.n, sizeof(*f->ins));
	if (!f->ins) {
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
		return -1;
	}
	if (!rn_bpf_disassemble(f->raw.v, f->raw.n, f->ins)) {
		fprintf(stderr, "%s: %s: an instruction has no typed form\n", prog, path);
		return -1;
	}
	f->vm = rn_bpf_vm_new(f->ins, f->raw.n);
	if (!f->vm) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, ringnet_error());
		return -1;
	}
	/* The counting pass, checked against the VM packet by packet. */
	for (int i = 0; i < NPKTS; i++) {
		bool ok;
		uint32_t want = count_run(f->raw.v, f->raw.n, pkts[i].b, pkts[i].n,
					  &f->insns_per_set, &ok);
		int64_t got = rn_bpf_vm_run(f->vm, pkts[i].b, pkts[i].n);

		if (!ok || got != (int64_t)want) {
			fprintf(stderr, "%s: %s: packet %s: the VM returned %lld, the counter %u%s\n",
				prog, path, pkts[i].name, (long long)got, want,
				ok ? "" : " (an instruction it does not know)");
			return -1;
		}
		f->accepted += want != 0;
	}
	return 0;
}

/* Runs of the whole set until @end; returns the sets run. */
static uint64_t vm_loop(const rn_bpf_vm *vm, int64_t end, uint64_t *sink)
{
	uint64_t sets = 0;

	do {
		for (int k = 0; k < CLOCK_EVERY; k++)
			for (int i = 0; i < NPKTS; i++)
				*sink += (uint64_t)rn_bpf_vm_run(vm, pkts[i].b, pkts[i].n);
		sets += CLOCK_EVERY;
	} while (now_ns() < end);
	return sets;
}

static int run_vm(char **files, int nfiles, double secs)
{
	struct filter *fs = calloc((size_t)nfiles, sizeof(*fs));
	uint64_t sink = 0, all_insns = 0, all_pkts = 0;
	double all_secs = 0;

	if (!fs) {
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
		return 1;
	}
	make_packets();
	for (int i = 0; i < nfiles; i++)
		if (load_filter(files[i], &fs[i]) < 0)
			return 1;
	for (int i = 0; i < nfiles; i++) {
		struct filter *f = &fs[i];
		int64_t t0, t1;
		uint64_t sets;

		vm_loop(f->vm, now_ns() + VM_WARM_NS, &sink);
		t0 = now_ns();
		sets = vm_loop(f->vm, t0 + (int64_t)(secs * 1e9), &sink);
		t1 = now_ns();

		double s = (double)(t1 - t0) / 1e9;
		double np = (double)sets * NPKTS, ni = (double)sets * (double)f->insns_per_set;
		printf("vm=1 filter=%s insns=%zu accepted=%d insns_per_set=%llu insns_per_pkt=%.2f "
		       "sets=%llu seconds=%.3f pps=%.0f insns_per_s=%.0f ns_per_pkt=%.2f "
		       "ns_per_insn=%.3f expr=%s\n",
		       f->id, f->raw.n, f->accepted, (unsigned long long)f->insns_per_set,
		       (double)f->insns_per_set / NPKTS, (unsigned long long)sets, s, np / s, ni / s,
		       s * 1e9 / np, s * 1e9 / ni, f->name);
		fflush(stdout);
		all_insns += sets * f->insns_per_set;
		all_pkts += sets * NPKTS;
		all_secs += s;
	}
	printf("vm_total=1 filters=%d packets_in_set=%d seconds=%.3f pps=%.0f insns_per_s=%.0f "
	       "ns_per_insn=%.3f sink=%llu\n",
	       nfiles, NPKTS, all_secs, (double)all_pkts / all_secs, (double)all_insns / all_secs,
	       all_secs * 1e9 / (double)all_insns, (unsigned long long)(sink & 1));
	for (int i = 0; i < nfiles; i++) {
		rn_bpf_vm_free(fs[i].vm);
		rn_bpf_program_free(&fs[i].raw);
		free(fs[i].ins);
	}
	free(fs);
	return 0;
}

/* ---- recv mode ---------------------------------------------------------------------- */

/*
 * The sequence number is udp_batch's uint64_t in host order; the filter
 * reads its low 32 bits byte by byte, so it is written for little-endian.
 */
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the tenth filter reads udp_batch's sequence numbers as little-endian"
#endif

static const char filter_all[] = "ret #65535\n";
static const char filter_tenth[] =
	"; the low 32 bits of the sequence number: payload bytes 0..3, little-endian\n"
	"ldb [11]\n"
	"lsh #8\n"
	"tax\n"
	"ldb [10]\n"
	"or x\n"
	"lsh #8\n"
	"tax\n"
	"ldb [9]\n"
	"or x\n"
	"lsh #8\n"
	"tax\n"
	"ldb [8]\n"
	"or x\n"
	"mod #10\n"
	"jeq #0, keep, drop\n"
	"keep: ret #65535\n"
	"drop: ret #0\n";

enum keep { KEEP_ALL, KEEP_TENTH };

struct rx {
	size_t size;
	int batch;
	enum keep keep;
	uint64_t pkts, bad, leaked, calls, first_seq, last_seq, total;
	bool have_seq;
	uint8_t *bufs;
	struct iovec iov[MAX_BATCH];
	rn_ipv4_packetconn *pc;
	rn_ipv4_message ms[MAX_BATCH];
};

static inline void account(struct rx *rx, const uint8_t *b, size_t n, int flags)
{
	uint64_t seq;

	rx->total++;
	if (n != rx->size || (flags & MSG_TRUNC)) {
		rx->bad++;
		return;
	}
	memcpy(&seq, b, sizeof seq);
	if (rx->keep == KEEP_TENTH && (uint32_t)seq % 10 != 0)
		rx->leaked++;
	if (!rx->have_seq) {
		rx->first_seq = seq;
		rx->have_seq = true;
	}
	rx->last_seq = seq;
	rx->pkts++;
}

static int read_ringnet(struct rx *rx)
{
	int n = rn_ipv4_packetconn_read_batch(rx->pc, rx->ms, rx->batch, 0);

	rx->calls++;
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", prog, ringnet_error());
		return -1;
	}
	for (int i = 0; i < n; i++)
		account(rx, rx->ms[i].buffers[0].iov_base, rx->ms[i].n, rx->ms[i].flags);
	return 0;
}

static int ringnet_deadline(struct rx *rx, int64_t now, int64_t *renew)
{
	if (now < *renew)
		return 0;
	*renew = now + 1000000000LL;
	if (rn_ipv4_packetconn_set_read_deadline(rx->pc, rn_time_add(rn_now(),
								      (RX_TIMEOUT_S + 1) * RN_SECOND)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, ringnet_error());
		return -1;
	}
	return 0;
}

/* One CPU's line of /proc/stat, in USER_HZ ticks. */
struct cpu_ticks {
	unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
};

static int read_cpu(int cpu, struct cpu_ticks *t)
{
	char want[32], line[512];
	FILE *f;
	int rc = -1;

	if (cpu < 0)
		return 0;
	snprintf(want, sizeof want, "cpu%d ", cpu);
	f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, want, strlen(want)) == 0) {
			if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu",
				   &t->user, &t->nice, &t->sys, &t->idle, &t->iowait, &t->irq,
				   &t->softirq, &t->steal) == 8)
				rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

/* Check the program in the VM: of datagrams numbered 0..99, it keeps what @keep says. */
static int check_filter(const rn_bpf_program *p, enum keep keep)
{
	rn_bpf_instruction ins[64];
	rn_bpf_vm *vm;
	int rc = 0;

	if (p->n > 64 || !rn_bpf_disassemble(p->v, p->n, ins) || !(vm = rn_bpf_vm_new(ins, p->n))) {
		fprintf(stderr, "%s: the filter does not load in the VM: %s\n", prog,
			ringnet_error());
		return -1;
	}
	for (uint64_t seq = 0; seq < 100 && rc == 0; seq++) {
		uint8_t d[8 + 8] = { 0 };	/* UDP header, then the sequence number */
		bool want = keep == KEEP_ALL || seq % 10 == 0;

		memcpy(d + 8, &seq, sizeof seq);
		if ((rn_bpf_vm_run(vm, d, sizeof d) > 0) != want) {
			fprintf(stderr, "%s: the filter %s datagram %llu\n", prog,
				want ? "drops" : "keeps", (unsigned long long)seq);
			rc = -1;
		}
	}
	rn_bpf_vm_free(vm);
	return rc;
}

/* Listen on @address with the filter named @fname attached; -1 with a message on failure. */
static int open_rx(struct rx *rx, const char *fname, const char *address, int rcvbuf,
		   char *name, size_t namesize)
{
	rn_bpf_program p = { 0 };
	rn_conn *c;
	rn_addr la;

	if (rn_engine_start() < 0 || !(c = rn_listen_packet("udp4", address))) {
		fprintf(stderr, "%s: %s\n", prog, ringnet_error());
		return -1;
	}
	if (setsockopt(rn_conn_fd(c), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) {
		fprintf(stderr, "%s: setsockopt SO_RCVBUF: %s\n", prog, strerror(errno));
		return -1;
	}
	if (strcmp(fname, "none") != 0) {
		if (rn_bpf_parse_asm(rx->keep == KEEP_ALL ? filter_all : filter_tenth, &p) < 0 ||
		    check_filter(&p, rx->keep) < 0 || rn_bpf_attach(c, p.v, p.n) < 0) {
			fprintf(stderr, "%s: filter %s: %s\n", prog, fname, ringnet_error());
			rn_bpf_program_free(&p);
			return -1;
		}
		rn_bpf_program_free(&p);
	}
	la = rn_conn_local_addr(c);
	rn_addr_string(&la, name, namesize);
	rx->pc = rn_ipv4_new_packetconn(c);
	if (!rx->pc) {
		fprintf(stderr, "%s: %s\n", prog, ringnet_error());
		return -1;
	}
	for (int i = 0; i < rx->batch; i++) {
		rx->ms[i].buffers = &rx->iov[i];
		rx->ms[i].nbuffers = 1;
	}
	return 0;
}

/* Receive until @end (after the first datagram when @end is 0); -1 on failure. */
static int rx_until(struct rx *rx, int64_t end, int64_t *renew)
{
	int64_t t = now_ns();

	do {
		if (ringnet_deadline(rx, t, renew) < 0 || read_ringnet(rx) < 0)
			return -1;
		t = now_ns();
	} while (t < end);
	return 0;
}

/* The sender CPU's share of the window's ticks spent in @v. */
static double frac(unsigned long long v, unsigned long long all)
{
	return all ? (double)v / (double)all : 0;
}

static void print_sender(int cpu, const struct cpu_ticks *a, const struct cpu_ticks *b,
			 uint64_t offered)
{
	unsigned long long user = b->user + b->nice - a->user - a->nice, sys = b->sys - a->sys,
			   soft = b->softirq - a->softirq, irq = b->irq - a->irq,
			   steal = b->steal - a->steal,
			   idle = b->idle + b->iowait - a->idle - a->iowait;
	unsigned long long busy = user + sys + soft + irq, all = busy + idle + steal;
	double tick_ns = 1e9 / (double)sysconf(_SC_CLK_TCK);
	double per = offered ? tick_ns / (double)offered : 0;

	printf(" sender_cpu=%d sender_busy=%.3f sender_user=%.3f sender_sys=%.3f "
	       "sender_softirq=%.3f sender_steal=%.3f sender_ns_per_offered=%.1f "
	       "softirq_ns_per_offered=%.1f",
	       cpu, frac(busy, all), frac(user, all), frac(sys, all), frac(soft, all),
	       frac(steal, all), (double)busy * per, (double)soft * per);
}

static int run_recv(const char *fname, size_t size, int batch, double secs, double warm,
		    int rcvbuf, int scpu, const char *address)
{
	static struct rx rx;
	char name[RN_ADDR_STRLEN];
	struct cpu_ticks s0 = { 0 }, s1 = { 0 };
	int64_t t0, t1, cpu0, cpu1, renew = 0;

	if (strcmp(fname, "none") && strcmp(fname, "all") && strcmp(fname, "tenth")) {
		fprintf(stderr, "%s: unknown filter \"%s\": none, all or tenth\n", prog, fname);
		return 2;
	}
	rx.size = size;
	rx.batch = batch;
	rx.keep = strcmp(fname, "tenth") == 0 ? KEEP_TENTH : KEEP_ALL;
	rx.bufs = calloc((size_t)batch, RX_BUF);
	if (!rx.bufs) {
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
		return 1;
	}
	for (int i = 0; i < batch; i++) {
		rx.iov[i].iov_base = rx.bufs + (size_t)i * RX_BUF;
		rx.iov[i].iov_len = RX_BUF;
	}
	if (open_rx(&rx, fname, address, rcvbuf, name, sizeof name) < 0)
		return 1;
	printf("listening on %s\n", name);
	fflush(stdout);

	/* The first datagram, then the warm-up, then the window. */
	if (rx_until(&rx, 0, &renew) < 0 || rx_until(&rx, now_ns() + (int64_t)(warm * 1e9),
						     &renew) < 0)
		return 1;
	rx.pkts = rx.bad = rx.leaked = rx.calls = 0;
	rx.have_seq = false;
	if (read_cpu(scpu, &s0) < 0) {
		fprintf(stderr, "%s: no cpu%d in /proc/stat\n", prog, scpu);
		return 1;
	}
	cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now_ns();
	if (rx_until(&rx, t0 + (int64_t)(secs * 1e9), &renew) < 0)
		return 1;
	t1 = now_ns();
	cpu1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	if (read_cpu(scpu, &s1) < 0)
		return 1;

	double s = (double)(t1 - t0) / 1e9;
	uint64_t offered = rx.have_seq ? rx.last_seq - rx.first_seq + 1 : 0, expected = offered;
	uint64_t n = rx.pkts ? rx.pkts : 1;

	if (rx.keep == KEEP_TENTH && rx.have_seq) /* the multiples of 10 in [first, last] */
		expected = rx.last_seq / 10 - rx.first_seq / 10 + (rx.first_seq % 10 == 0);
	printf("filter=%s size=%zu batch=%d packets=%llu seconds=%.3f pps=%.0f offered_pps=%.0f "
	       "expected=%llu lost=%llu leaked=%llu bad=%llu calls=%llu pkts_per_call=%.2f "
	       "cpu_ns_per_pkt=%.1f cpu_util=%.3f",
	       fname, size, batch, (unsigned long long)rx.pkts, s, (double)rx.pkts / s,
	       (double)offered / s, (unsigned long long)expected,
	       (unsigned long long)(expected > rx.pkts ? expected - rx.pkts : 0),
	       (unsigned long long)rx.leaked, (unsigned long long)rx.bad,
	       (unsigned long long)rx.calls,
	       (double)(rx.pkts + rx.bad) / (double)(rx.calls ? rx.calls : 1),
	       (double)(cpu1 - cpu0) / (double)n, (double)(cpu1 - cpu0) / (double)(t1 - t0));
	if (scpu >= 0)
		print_sender(scpu, &s0, &s1, offered);
	printf(" total_packets=%llu\n", (unsigned long long)rx.total);
	fflush(stdout);
	rn_ipv4_packetconn_free(rx.pc);
	free(rx.bufs);
	return rx.leaked ? 1 : 0;
}

/* ---- main --------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	long size = 64, batch = 64, rcvbuf = 4 << 20, scpu = 0;
	double secs = -1, warm = 0.3;
	const char *fname = NULL;
	bool vm;
	int opt;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	vm = strcmp(argv[1], "vm") == 0;
	if (!vm && (strcmp(argv[1], "recv") != 0 || argc < 3)) {
		usage(stderr);
		return 2;
	}
	if (!vm)
		fname = argv[2];
	optind = vm ? 2 : 3;
	while ((opt = getopt(argc, argv, "s:b:d:w:r:S:h")) != -1) {
		switch (opt) {
		case 's':
			if (parse_long(optarg, 8, 1472, &size) < 0) {
				fprintf(stderr, "%s: -s: a size from 8 to 1472\n", prog);
				return 2;
			}
			break;
		case 'b':
			if (parse_long(optarg, 1, MAX_BATCH, &batch) < 0) {
				fprintf(stderr, "%s: -b: a batch from 1 to %d\n", prog, MAX_BATCH);
				return 2;
			}
			break;
		case 'd':
			if (parse_secs(optarg, 0.01, 600, &secs) < 0) {
				fprintf(stderr, "%s: -d: seconds from 0.01 to 600\n", prog);
				return 2;
			}
			break;
		case 'w':
			if (parse_secs(optarg, 0, 60, &warm) < 0) {
				fprintf(stderr, "%s: -w: seconds from 0 to 60\n", prog);
				return 2;
			}
			break;
		case 'r':
			if (parse_long(optarg, 4096, 1 << 30, &rcvbuf) < 0) {
				fprintf(stderr, "%s: -r: bytes from 4096 to 1 GiB\n", prog);
				return 2;
			}
			break;
		case 'S':
			if (parse_long(optarg, -1, 4095, &scpu) < 0) {
				fprintf(stderr, "%s: -S: a CPU number, or -1 for none\n", prog);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (vm) {
		if (optind >= argc) {
			usage(stderr);
			return 2;
		}
		return run_vm(argv + optind, argc - optind, secs < 0 ? 1 : secs);
	}
	if (argc - optind != 1) {
		usage(stderr);
		return 2;
	}
	return run_recv(fname, (size_t)size, (int)batch, secs < 0 ? 2 : secs, warm, (int)rcvbuf,
			(int)scpu, argv[optind]);
}
