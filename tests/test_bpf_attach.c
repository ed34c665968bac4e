/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_bpf_attach.c - classic BPF socket filters on real sockets:
 * rn_bpf_attach on UDP conns (a UDP socket's filter sees the packet from
 * the UDP header on) and TCP listeners (it sees the SYN), what the kernel
 * refuses (no filter to detach, a locked filter, a program over
 * net.core.optmem_max), RN_ECLOSED after Close, rn_bpf_swap (counts what it
 * discards, and no datagram the old filter let in is ever read after it),
 * and agreement between rn_bpf_vm_run and the kernel on what a raw IPv4
 * socket (whose filter sees the IP header on) keeps, for programs tcpdump
 * compiles for link type RAW.
 *
 * Loopback only; the agreement test runs in a network namespace of its own
 * (CAP_SYS_ADMIN and CAP_NET_RAW, skipped with a reason otherwise).
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/bpf.h>
#include <ringnet/ringnet.h>

#include "testutil.h"

static const char *last_error(void)
{
	static char buf[1024];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

static rn_bpf_program asm_prog(const char *text)
{
	rn_bpf_program p;

	ck_assert_msg(rn_bpf_parse_asm(text, &p) == 0, "%s: %s", text, last_error());
	return p;
}

/* Keep datagrams whose payload (after the 8-byte UDP header) starts with @c. */
static rn_bpf_program keep_letter(char c)
{
	char text[128];

	snprintf(text, sizeof(text),
		 "ldb [8]\njeq #%d, keep, drop\nkeep: ret #65535\ndrop: ret #0\n", c);
	return asm_prog(text);
}

static const rn_bpf_raw_instruction accept_all[] = { { 0x06, 0, 0, 0xffffffff } };
static const rn_bpf_raw_instruction reject_all[] = { { 0x06, 0, 0, 0 } };

/* A UDP listener on 127.0.0.1 and a conn dialed to it. */
static void udp_pair(rn_conn **l, rn_conn **c)
{
	char addr[RN_ADDR_STRLEN];
	rn_addr la;

	*l = rn_listen_packet("udp4", "127.0.0.1:0");
	ck_assert_msg(*l != NULL, "listen: %s", last_error());
	la = rn_conn_local_addr(*l);
	rn_addr_string(&la, addr, sizeof(addr));
	*c = rn_dial("udp4", addr);
	ck_assert_msg(*c != NULL, "dial: %s", last_error());
}

static void send_str(rn_conn *c, const char *s)
{
	ck_assert_int_eq(rn_conn_write(c, s, strlen(s)), (ssize_t)strlen(s));
}

/* Read one datagram within @ms milliseconds: its length, or the error code. */
static ssize_t read_within(rn_conn *c, char *buf, size_t n, int ms)
{
	ssize_t r;

	ck_assert_int_eq(rn_conn_set_read_deadline(c, rn_time_add(rn_now(), ms * RN_MILLISECOND)),
			 0);
	r = rn_conn_read(c, buf, n - 1);
	if (r >= 0)
		buf[r] = 0;
	return r;
}

static void expect_read(rn_conn *c, const char *want)
{
	char buf[256];

	ck_assert_msg(read_within(c, buf, sizeof(buf), 5000) == (ssize_t)strlen(want), "%s",
		      last_error());
	ck_assert_str_eq(buf, want);
}

static void expect_nothing(rn_conn *c)
{
	char buf[256];
	ssize_t r = read_within(c, buf, sizeof(buf), 150);

	ck_assert_msg(r == RN_ETIMEOUT, "read %zd: \"%s\"", r, r >= 0 ? buf : last_error());
}

/* The last error is SyscallError "setsockopt" wrapping errno @err. */
static void expect_setsockopt_error(int err)
{
	const rn_error *e = rn_last_error();
	char want[128];

	ck_assert_int_eq(e->code, -err);
	ck_assert_int_eq(e->kind, RN_ERR_ERRNO);
	ck_assert_int_eq(e->errnum, err);
	ck_assert_str_eq(e->syscall, "setsockopt");
	snprintf(want, sizeof(want), "setsockopt: %s", rn_strerror(-err));
	ck_assert_str_eq(last_error(), want);
}

/* ---- attach, detach, lock ----------------------------------------------------------- */

START_TEST(test_attach_udp_keeps_and_drops)
{
	rn_bpf_program p = keep_letter('K');
	rn_conn *l, *c;

	udp_pair(&l, &c);
	ck_assert_int_eq(rn_bpf_attach(l, p.v, p.n), 0);
	send_str(c, "Dx1");
	send_str(c, "Kx2");
	send_str(c, "Dx3");
	send_str(c, "Kx4");
	expect_read(l, "Kx2");
	expect_read(l, "Kx4");
	expect_nothing(l);
	rn_bpf_program_free(&p);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

/* The kernel trims a datagram to the filter's verdict: 8 header bytes + 3. */
START_TEST(test_attach_truncates)
{
	rn_bpf_program p = asm_prog("ret #11");
	rn_conn *l, *c;

	udp_pair(&l, &c);
	ck_assert_int_eq(rn_bpf_attach(l, p.v, p.n), 0);
	send_str(c, "abcdef");
	expect_read(l, "abc");
	rn_bpf_program_free(&p);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

START_TEST(test_attach_replaces_then_detach)
{
	rn_conn *l, *c;

	udp_pair(&l, &c);
	ck_assert_int_eq(rn_bpf_detach(l), -ENOENT);
	expect_setsockopt_error(ENOENT);
	ck_assert_int_eq(rn_bpf_attach(l, reject_all, 1), 0);
	send_str(c, "dropped");
	expect_nothing(l);
	ck_assert_int_eq(rn_bpf_attach(l, accept_all, 1), 0);
	send_str(c, "kept");
	expect_read(l, "kept");
	ck_assert_int_eq(rn_bpf_attach(l, reject_all, 1), 0);
	ck_assert_int_eq(rn_bpf_detach(l), 0);
	send_str(c, "no filter");
	expect_read(l, "no filter");
	ck_assert_int_eq(rn_bpf_detach(l), -ENOENT);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

START_TEST(test_lock)
{
	rn_conn *l, *c;

	udp_pair(&l, &c);
	ck_assert_int_eq(rn_bpf_attach(l, accept_all, 1), 0);
	ck_assert_int_eq(rn_bpf_lock(l), 0);
	ck_assert_int_eq(rn_bpf_attach(l, reject_all, 1), -EPERM);
	expect_setsockopt_error(EPERM);
	ck_assert_int_eq(rn_bpf_detach(l), -EPERM);
	expect_setsockopt_error(EPERM);
	ck_assert_int_eq(rn_bpf_swap(l, reject_all, 1), -EPERM);
	/* The locked filter still works. */
	send_str(c, "still here");
	expect_read(l, "still here");
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

/* A bad program is refused with rn_bpf_check's words before the kernel is asked. */
START_TEST(test_attach_checks_first)
{
	static const rn_bpf_raw_instruction jump_out[] = {
		{ 0x15, 5, 0, 1 }, { 0x06, 0, 0, 0 },
	};
	char want[1024];
	rn_conn *l, *c;

	udp_pair(&l, &c);
	ck_assert_int_eq(rn_bpf_check(jump_out, 2, NULL), -EINVAL);
	snprintf(want, sizeof(want), "%s", last_error());
	ck_assert_int_eq(rn_bpf_attach(l, jump_out, 2), -EINVAL);
	ck_assert_str_eq(last_error(), want);
	ck_assert_int_eq(rn_bpf_swap(l, jump_out, 2), -EINVAL);
	ck_assert_str_eq(last_error(), want);
	ck_assert_int_eq(rn_bpf_attach(l, accept_all, 0), -EINVAL);
	ck_assert_int_eq(rn_bpf_attach(l, NULL, 1), -EINVAL);
	ck_assert_int_eq(rn_bpf_attach(NULL, accept_all, 1), -EINVAL);
	/* Nothing was attached. */
	ck_assert_int_eq(rn_bpf_detach(l), -ENOENT);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

/*
 * A program the kernel takes apart into more eBPF than optmem_max holds:
 * every absolute load becomes a dozen eBPF instructions.  A swap to it
 * fails the same way and leaves the old filter in place.
 */
START_TEST(test_attach_over_optmem_max)
{
	size_t n = 4096;
	rn_bpf_raw_instruction *big = calloc(n, sizeof(*big));
	rn_bpf_program keep_k = keep_letter('K');
	rn_conn *l, *c;

	FILE *f = fopen("/proc/sys/net/core/optmem_max", "r");
	long optmem = 0;

	if (f) {
		if (fscanf(f, "%ld", &optmem) != 1)
			optmem = 0;
		fclose(f);
	}
	/* About 4096 x 12 eBPF instructions of 8 bytes: 390 KiB. */
	if (optmem <= 0 || optmem > 256 * 1024) {
		printf("test_attach_over_optmem_max: skipped: net.core.optmem_max is %ld\n",
		       optmem);
		free(big);
		rn_bpf_program_free(&keep_k);
		return;
	}
	for (size_t i = 0; i + 1 < n; i++)
		big[i] = (rn_bpf_raw_instruction){ 0x28, 0, 0, (uint32_t)(i % 64) }; /* ldh [k] */
	big[n - 1] = (rn_bpf_raw_instruction){ 0x06, 0, 0, 0 };
	ck_assert_int_eq(rn_bpf_check(big, n, NULL), 0);
	udp_pair(&l, &c);
	ck_assert_int_eq(rn_bpf_attach(l, big, n), -ENOMEM);
	expect_setsockopt_error(ENOMEM);
	/* A swap that fails so puts the old filter back. */
	ck_assert_int_eq(rn_bpf_attach(l, keep_k.v, keep_k.n), 0);
	ck_assert_int_eq(rn_bpf_swap(l, big, n), -ENOMEM);
	expect_setsockopt_error(ENOMEM);
	send_str(c, "Dx");
	send_str(c, "Kx");
	expect_read(l, "Kx");
	/* A small one still fits. */
	ck_assert_int_eq(rn_bpf_attach(l, big + n - 64, 64), 0);
	free(big);
	rn_bpf_program_free(&keep_k);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

START_TEST(test_closed)
{
	rn_listener *ln = rn_listen("tcp4", "127.0.0.1:0");
	rn_conn *l, *c;

	udp_pair(&l, &c);
	ck_assert_ptr_nonnull(ln);
	ck_assert_int_eq(rn_conn_close(l), 0);
	ck_assert_int_eq(rn_bpf_attach(l, accept_all, 1), RN_ECLOSED);
	ck_assert_str_eq(last_error(), "use of closed network connection");
	ck_assert_int_eq(rn_bpf_detach(l), RN_ECLOSED);
	ck_assert_int_eq(rn_bpf_lock(l), RN_ECLOSED);
	ck_assert_int_eq(rn_bpf_swap(l, accept_all, 1), RN_ECLOSED);
	ck_assert_int_eq(rn_listener_close(ln), 0);
	ck_assert_int_eq(rn_bpf_attach_listener(ln, accept_all, 1), RN_ECLOSED);
	ck_assert_int_eq(rn_bpf_detach_listener(ln), RN_ECLOSED);
	ck_assert_int_eq(rn_bpf_lock_listener(ln), RN_ECLOSED);
	rn_listener_free(ln);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

/* On a listener the filter sees the SYN: rejecting it keeps every dial out. */
START_TEST(test_listener)
{
	rn_listener *ln = rn_listen("tcp4", "127.0.0.1:0");
	char addr[RN_ADDR_STRLEN];
	rn_conn *c, *a;
	rn_addr la;

	ck_assert_ptr_nonnull(ln);
	la = rn_listener_addr(ln);
	rn_addr_string(&la, addr, sizeof(addr));
	ck_assert_int_eq(rn_bpf_detach_listener(ln), -ENOENT);
	expect_setsockopt_error(ENOENT);
	ck_assert_int_eq(rn_bpf_attach_listener(ln, reject_all, 1), 0);
	ck_assert_ptr_null(rn_dial_timeout("tcp4", addr, 300 * RN_MILLISECOND));
	ck_assert_int_eq(rn_last_error()->code, RN_ETIMEOUT);
	ck_assert_int_eq(rn_bpf_detach_listener(ln), 0);
	c = rn_dial_timeout("tcp4", addr, 5 * RN_SECOND);
	ck_assert_msg(c != NULL, "%s", last_error());
	a = rn_listener_accept(ln);
	ck_assert_ptr_nonnull(a);
	rn_conn_free(a);
	rn_conn_free(c);
	ck_assert_int_eq(rn_bpf_attach_listener(ln, accept_all, 1), 0);
	ck_assert_int_eq(rn_bpf_lock_listener(ln), 0);
	ck_assert_int_eq(rn_bpf_attach_listener(ln, reject_all, 1), -EPERM);
	ck_assert_int_eq(rn_bpf_detach_listener(ln), -EPERM);
	ck_assert_int_eq(rn_bpf_attach_listener(NULL, accept_all, 1), -EINVAL);
	rn_listener_free(ln);
}
END_TEST

/* ---- swap ------------------------------------------------------------------------------ */

START_TEST(test_swap_counts_drained)
{
	rn_bpf_program keep_n = keep_letter('n');
	struct pollfd pfd;
	rn_conn *l, *c;

	udp_pair(&l, &c);
	for (int i = 0; i < 5; i++)
		send_str(c, "old");
	/* Loopback delivers within the send; wait for readability all the same. */
	pfd = (struct pollfd){ .fd = rn_conn_fd(l), .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_eq(rn_bpf_swap(l, keep_n.v, keep_n.n), 5);
	send_str(c, "old again");
	send_str(c, "new");
	expect_read(l, "new");
	expect_nothing(l);
	/* Nothing queued: nothing to discard. */
	ck_assert_int_eq(rn_bpf_swap(l, accept_all, 1), 0);
	rn_bpf_program_free(&keep_n);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

START_TEST(test_swap_needs_datagrams)
{
	rn_listener *ln = rn_listen("tcp4", "127.0.0.1:0");
	char addr[RN_ADDR_STRLEN];
	rn_conn *c, *p1, *p2;
	rn_addr la;

	la = rn_listener_addr(ln);
	rn_addr_string(&la, addr, sizeof(addr));
	c = rn_dial("tcp4", addr);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rn_bpf_swap(c, accept_all, 1), -EINVAL);
	ck_assert_int_eq(rn_pipe(&p1, &p2), 0);
	ck_assert_int_eq(rn_bpf_swap(p1, accept_all, 1), -EINVAL);
	ck_assert_int_eq(rn_bpf_attach(p1, accept_all, 1), -EINVAL);
	ck_assert_int_eq(rn_bpf_swap(NULL, accept_all, 1), -EINVAL);
	rn_conn_free(p1);
	rn_conn_free(p2);
	rn_conn_free(c);
	rn_listener_free(ln);
}
END_TEST

struct blaster {
	int fd;
	atomic_bool stop;
	atomic_long sent;
};

/* Send "a..." and "b..." datagrams in turn, as fast as the socket takes them. */
static void *blast(void *arg)
{
	struct blaster *b = arg;
	char msg[16];

	for (long i = 0; !atomic_load(&b->stop); i++) {
		int len = snprintf(msg, sizeof(msg), "%c%ld", i % 2 ? 'a' : 'b', i);

		if (send(b->fd, msg, (size_t)len, MSG_DONTWAIT) == len)
			atomic_fetch_add(&b->sent, 1);
	}
	return NULL;
}

/*
 * While datagrams of both kinds keep coming, each swap is followed only by
 * datagrams the new filter keeps: none the old one had let in slips through.
 */
START_TEST(test_swap_never_leaks_old_packets)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct blaster b = { .fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0) };
	rn_bpf_program keep[2] = { keep_letter('a'), keep_letter('b') };
	rn_conn *l, *c;
	pthread_t th;
	rn_addr la;

	udp_pair(&l, &c);
	la = rn_conn_local_addr(l);
	to.sin_port = htons((uint16_t)la.u.udp.port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(b.fd, 0);
	ck_assert_int_eq(connect(b.fd, (struct sockaddr *)&to, sizeof(to)), 0);
	ck_assert_int_eq(rn_bpf_attach(l, keep[1].v, keep[1].n), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, blast, &b), 0);
	for (int round = 0; round < 20; round++) {
		const rn_bpf_program *p = &keep[round % 2];
		char want = round % 2 ? 'b' : 'a', buf[64];
		int drained = rn_bpf_swap(l, p->v, p->n);

		ck_assert_msg(drained >= 0, "swap: %s", last_error());
		for (int i = 0; i < 30; i++) {
			ssize_t r = read_within(l, buf, sizeof(buf), 5000);

			ck_assert_msg(r > 0, "round %d: %s", round, last_error());
			ck_assert_msg(buf[0] == want, "round %d, datagram %d after the swap: %s",
				      round, i, buf);
		}
	}
	atomic_store(&b.stop, true);
	pthread_join(th, NULL);
	ck_assert_int_gt(atomic_load(&b.sent), 0);
	close(b.fd);
	rn_bpf_program_free(&keep[0]);
	rn_bpf_program_free(&keep[1]);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

/* ---- the VM agrees with the kernel ------------------------------------------------------ */

/* Filters over IPv4 packets (tcpdump -y RAW), then hand-written ones that trim. */
static const char *const raw_expressions[] = {
	"udp",
	"icmp",
	"udp port 53",
	"udp dst port 7000",
	"udp src port 5000 and udp dst port 9",
	"udp portrange 1000-2000",
	"not udp port 53",
	"icmp[icmptype] == icmp-echoreply",
	"icmp[icmptype] != icmp-echo and icmp[icmpcode] == 3",
	"host 127.0.0.1",
	"src host 127.0.0.2",
	"dst host 127.0.0.1 and udp",
	"len > 100",
	"len <= 60",
	"greater 200",
	"less 50",
	"ip[8] > 32",
	"ip[1] & 0xfc == 0x10",
	"udp[8:2] == 0x4b4b",
	"ip[6:2] & 0x4000 != 0",
	"ip[0] & 0xf > 5",
	"udp and udp[4:2] > 20",
	"icmp and ip[2:2] >= 84",
};

static const char *const raw_asm[] = {
	"ret #24",
	"ld #len\nsub #10\nret a",
	"ldxb 4*([0]&0xf)\nldh [x + 2]\njeq #7000, k, d\nk: ret #30\nd: ret #0",
	"ldb [9]\njeq #1, icmp, other\nicmp: ldb [20]\nmul #4\nadd #20\nret a\nother: ret #0",
};

struct pkt {
	uint8_t b[512];
	size_t len;
	int proto;
};

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * An IPv4 packet as the kernel will deliver it (header checksum right, a
 * unique id) with @opt_words words of NOP options and @payload bytes after
 * an 8-byte UDP or ICMP header.
 */
static void make_packet(struct pkt *p, int proto, uint16_t id, uint8_t tos, uint8_t ttl,
			uint32_t src, int opt_words, uint16_t a, uint16_t b, size_t payload)
{
	size_t ihl = 20 + 4 * (size_t)opt_words, len = ihl + 8 + payload;
	uint8_t *h = p->b, *t = p->b + ihl;
	uint16_t c;

	memset(p, 0, sizeof(*p));
	p->len = len;
	p->proto = proto;
	h[0] = (uint8_t)(0x40 | ihl / 4);
	h[1] = tos;
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)len;
	h[4] = (uint8_t)(id >> 8);
	h[5] = (uint8_t)id;
	h[6] = 0x40; /* DF: a fragment would be held for reassembly */
	h[8] = ttl;
	h[9] = (uint8_t)proto;
	memcpy(h + 12, &src, 4);
	h[16] = 127;
	h[19] = 1;
	memset(h + 20, 1, ihl - 20); /* NOP options */
	for (size_t i = 0; i < payload; i++)
		t[8 + i] = (uint8_t)(i < 2 ? 'K' : i);
	if (proto == IPPROTO_UDP) {
		t[0] = (uint8_t)(a >> 8);
		t[1] = (uint8_t)a;
		t[2] = (uint8_t)(b >> 8);
		t[3] = (uint8_t)b;
		t[4] = (uint8_t)((8 + payload) >> 8);
		t[5] = (uint8_t)(8 + payload);
		/* Checksum 0: none, so the UDP layer takes it too. */
	} else {
		t[0] = (uint8_t)a; /* type */
		t[1] = (uint8_t)b; /* code */
		c = csum(t, 8 + payload);
		t[2] = (uint8_t)(c >> 8);
		t[3] = (uint8_t)c;
	}
	c = csum(h, ihl);
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
}

static size_t make_corpus(struct pkt *v)
{
	uint32_t lo1 = htonl(0x7f000001), lo2 = htonl(0x7f000002);
	uint16_t id = 0x5100;
	size_t n = 0;

	make_packet(&v[n++], IPPROTO_UDP, id++, 0, 64, lo1, 0, 5000, 9, 4);
	make_packet(&v[n++], IPPROTO_UDP, id++, 0x10, 64, lo1, 0, 40000, 53, 30);
	make_packet(&v[n++], IPPROTO_UDP, id++, 0, 16, lo2, 0, 53, 7000, 100);
	make_packet(&v[n++], IPPROTO_UDP, id++, 0x14, 200, lo1, 1, 1500, 7000, 0);
	make_packet(&v[n++], IPPROTO_UDP, id++, 0, 64, lo2, 2, 999, 2000, 300);
	make_packet(&v[n++], IPPROTO_UDP, id++, 0xb8, 1, lo1, 0, 1000, 33333, 180);
	make_packet(&v[n++], IPPROTO_UDP, id++, 0, 64, lo1, 10, 5000, 9, 12);
	/* ICMP: echo reply, port and host unreachable, timestamp. */
	make_packet(&v[n++], IPPROTO_ICMP, id++, 0, 64, lo1, 0, 0, 0, 56);
	make_packet(&v[n++], IPPROTO_ICMP, id++, 0, 64, lo2, 0, 3, 3, 28);
	make_packet(&v[n++], IPPROTO_ICMP, id++, 0x10, 255, lo1, 1, 3, 1, 8);
	make_packet(&v[n++], IPPROTO_ICMP, id++, 0, 64, lo1, 0, 13, 0, 12);
	make_packet(&v[n++], IPPROTO_ICMP, id++, 0, 30, lo2, 0, 0, 0, 400);
	return n;
}

/* In the child, report a failure and give its exit status. */
#define FAIL(...)                                                                    \
	do {                                                                         \
		fprintf(stderr, __VA_ARGS__);                                        \
		fputc('\n', stderr);                                                 \
		return 1;                                                            \
	} while (0)

static int lo_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		rc = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (rc == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		rc = -errno;
	if (s >= 0)
		close(s);
	return rc;
}

/* Read datagrams from @fd until one is (a prefix of) @p; its length, or -1 when none. */
static ssize_t find_packet(int fd, const struct pkt *p, int wait_ms)
{
	uint8_t buf[1024];

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (wait_ms && poll(&pfd, 1, wait_ms) != 1)
			return -1;
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0)
			return -1;
		/* Our packets have unique ids: a 20-byte prefix identifies one. */
		if ((size_t)r >= 20 && (size_t)r <= p->len && !memcmp(buf, p->b, (size_t)r))
			return r;
	}
}

static void drain_fd(int fd)
{
	uint8_t buf[1024];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

struct agree_env {
	rn_conn *r[2];		/* filtered: ip4:udp, ip4:icmp */
	int rfd[2];		/* their duplicates, read directly */
	int bfd[2];		/* unfiltered raw sockets: the delivery barrier */
	int sender;		/* IPPROTO_RAW: packets sent as built */
	struct pkt corpus[16];
	size_t ncorpus;
	int kept, trimmed, dropped;	/* what the kernel did, over all pairs */
};

/* One program on every packet: what the kernel keeps is what the VM says. */
static int agree_one(struct agree_env *env, const char *name, const rn_bpf_program *p)
{
	rn_bpf_instruction ins[4096];
	struct sockaddr_in to = { .sin_family = AF_INET };
	char e[512];
	rn_bpf_vm *vm;

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (p->n > 4096)
		FAIL("%s: %zu instructions", name, p->n);
	rn_bpf_disassemble(p->v, p->n, ins);
	vm = rn_bpf_vm_new(ins, p->n);
	if (!vm) {
		rn_error_string(NULL, e, sizeof(e));
		FAIL("%s: rn_bpf_vm_new: %s", name, e);
	}
	for (int s = 0; s < 2; s++) {
		if (rn_bpf_attach(env->r[s], p->v, p->n) != 0) {
			rn_error_string(NULL, e, sizeof(e));
			FAIL("%s: attach: %s", name, e);
		}
		drain_fd(env->rfd[s]);
		drain_fd(env->bfd[s]);
	}
	for (size_t i = 0; i < env->ncorpus; i++) {
		const struct pkt *pk = &env->corpus[i];
		int s = pk->proto == IPPROTO_UDP ? 0 : 1;
		int64_t keep = rn_bpf_vm_run(vm, pk->b, pk->len);
		ssize_t want = -1, got;

		/* The kernel trims to the verdict; 0 drops. */
		if (keep > 0)
			want = keep < (int64_t)pk->len ? (ssize_t)keep : (ssize_t)pk->len;

		if (sendto(env->sender, pk->b, pk->len, 0, (struct sockaddr *)&to, sizeof(to)) !=
		    (ssize_t)pk->len)
			FAIL("%s: sendto: %s", name, strerror(errno));
		/*
		 * Once the unfiltered socket has it, delivery to every raw socket
		 * is over: this thread is pinned to one CPU, where the softirq
		 * that delivers runs before it resumes.
		 */
		if (find_packet(env->bfd[s], pk, 2000) != (ssize_t)pk->len)
			FAIL("%s: packet %zu never arrived", name, i);
		got = find_packet(env->rfd[s], pk, 0);
		if (got != want) {
			rn_bpf_vm_free(vm);
			FAIL("%s: packet %zu (%zu bytes): kernel kept %zd, VM %zd (run %lld)", name,
			     i, pk->len, got, want, (long long)keep);
		}
		if (got < 0)
			env->dropped++;
		else if ((size_t)got < pk->len)
			env->trimmed++;
		else
			env->kept++;
	}
	rn_bpf_vm_free(vm);
	return 0;
}

static char *tcpdump_raw(const char *expr)
{
	char cmd[512], *out = calloc(1, 65536);
	size_t len = 0, r;
	FILE *f;

	if (!out)
		return NULL;
	snprintf(cmd, sizeof(cmd), "tcpdump -dd -y RAW '%s' 2>/dev/null", expr);
	f = popen(cmd, "r");
	if (!f) {
		free(out);
		return NULL;
	}
	while (len < 65535 && (r = fread(out + len, 1, 65535 - len, f)) > 0)
		len += r;
	if (pclose(f) != 0 || len == 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int agree_all(struct agree_env *env)
{
	size_t ne = sizeof(raw_expressions) / sizeof(raw_expressions[0]);
	size_t na = sizeof(raw_asm) / sizeof(raw_asm[0]);
	rn_bpf_program p;
	int rc;

	for (size_t i = 0; i < ne; i++) {
		char *dd = tcpdump_raw(raw_expressions[i]);

		if (!dd)
			FAIL("tcpdump -dd -y RAW '%s' failed", raw_expressions[i]);
		if (rn_bpf_parse_dd(dd, &p) != 0)
			FAIL("%s: parse_dd failed", raw_expressions[i]);
		free(dd);
		rc = agree_one(env, raw_expressions[i], &p);
		rn_bpf_program_free(&p);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < na; i++) {
		if (rn_bpf_parse_asm(raw_asm[i], &p) != 0)
			FAIL("%s: parse_asm failed", raw_asm[i]);
		rc = agree_one(env, raw_asm[i], &p);
		rn_bpf_program_free(&p);
		if (rc)
			return rc;
	}
	return 0;
}

static int agreement_child(void)
{
	static const int protos[2] = { IPPROTO_UDP, IPPROTO_ICMP };
	static const char *const nets[2] = { "ip4:udp", "ip4:icmp" };
	struct agree_env env;
	cpu_set_t one;
	int rc;

	if (system("tcpdump --version >/dev/null 2>&1") != 0) {
		printf("kernel agreement: skipped: tcpdump not installed (scripts/deps.sh)\n");
		return TU_SKIP;
	}
	if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0) {
		printf("kernel agreement: skipped: network namespace: %s\n", strerror(errno));
		return TU_SKIP;
	}
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0)
		FAIL("sched_setaffinity: %s", strerror(errno));
	memset(&env, 0, sizeof(env));
	env.ncorpus = make_corpus(env.corpus);
	for (int s = 0; s < 2; s++) {
		env.r[s] = rn_listen_packet(nets[s], "127.0.0.1");
		if (!env.r[s]) {
			printf("kernel agreement: skipped: raw socket: %s\n", last_error());
			return TU_SKIP;
		}
		env.rfd[s] = rn_conn_file(env.r[s]);
		env.bfd[s] = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, protos[s]);
		if (env.rfd[s] < 0 || env.bfd[s] < 0)
			FAIL("sockets: %s", strerror(errno));
	}
	env.sender = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (env.sender < 0)
		FAIL("IPPROTO_RAW socket: %s", strerror(errno));
	rc = agree_all(&env);
	if (rc == 0 && (!env.kept || !env.trimmed || !env.dropped))
		FAIL("kernel agreement: a verdict never came up (%d kept, %d trimmed, %d dropped)",
		     env.kept, env.trimmed, env.dropped);
	if (rc == 0)
		printf("kernel agreement: %d packets kept whole, %d trimmed, %d dropped, "
		       "as the VM said\n", env.kept, env.trimmed, env.dropped);
	for (int s = 0; s < 2; s++) {
		close(env.rfd[s]);
		close(env.bfd[s]);
		rn_conn_free(env.r[s]);
	}
	close(env.sender);
	return rc;
}

START_TEST(test_vm_agrees_with_kernel)
{
	int rc = tu_run_child(agreement_child);

	if (rc == TU_SKIP)
		return;
	ck_assert_msg(rc == 0, "the kernel and the VM disagree (see above)%s",
		      rc >= 100 ? ": the child was killed" : "");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bpf_attach");
	TCase *tc = tu_engine_tcase("attach");
	TCase *swap = tu_engine_tcase("swap");
	TCase *agree = tu_engine_tcase("agreement");

	tcase_add_test(tc, test_attach_udp_keeps_and_drops);
	tcase_add_test(tc, test_attach_truncates);
	tcase_add_test(tc, test_attach_replaces_then_detach);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_attach_checks_first);
	tcase_add_test(tc, test_attach_over_optmem_max);
	tcase_add_test(tc, test_closed);
	tcase_add_test(tc, test_listener);
	tcase_add_test(swap, test_swap_counts_drained);
	tcase_add_test(swap, test_swap_needs_datagrams);
	tcase_add_test(swap, test_swap_never_leaks_old_packets);
	tcase_add_test(agree, test_vm_agrees_with_kernel);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, swap);
	suite_add_tcase(s, agree);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
