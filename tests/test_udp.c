/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_udp.c - UDP connections as Go's net.UDPConn: ListenPacket on
 * IPv4, dual-stack and IPv6 loopback, Dial, Read/Write, ReadFrom/WriteTo and
 * the UDP forms, datagram boundaries, truncation to the buffer, empty
 * datagrams, 1,000 datagrams through a reader thread, every error with Go's
 * exact text, read and write deadlines (past, near, cleared, moved while
 * blocked), and Close from another thread waking a blocked read (through
 * the closer's ring, and through the shutdown fallback when the closer has
 * no ring).
 *
 * Only loopback addresses are used; nothing is ever sent elsewhere.
 *
 * The main thread's engine is stopped before each test counts descriptors
 * and again before the fixture's leak check, so its ring fd is never
 * mistaken for a leak.  Threads record failures instead of asserting; the
 * main thread asserts.  Shared state is atomic (TSan-clean).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#if defined(__linux__)
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include <ringnet/engine.h>

#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

static void udp_setup(void)
{
	rn_engine_stop(); /* count descriptors with no ring on this thread */
	tu_fd_setup();
}

static void udp_teardown(void)
{
	rn_engine_stop();
	tu_fd_teardown();
}

/* tu_tcase's fd-leak fixture, with the main thread's ring stopped around it. */
static TCase *udp_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, udp_setup, udp_teardown);
	tcase_set_timeout(tc, 60);
	return tc;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* String of an address ("<nil>" for none). */
static const char *astr(rn_addr a, char buf[RN_ADDR_STRLEN])
{
	rn_addr_string(&a, buf, RN_ADDR_STRLEN);
	return buf;
}

static int port_of(rn_addr a)
{
	ck_assert_int_eq(a.kind, RN_ADDR_UDP);
	return a.u.udp.port;
}

static rn_addr udp_addr(const char *network, const char *hostport)
{
	rn_udpaddr ua;

	ck_assert_int_eq(rn_resolve_udp_addr(network, hostport, &ua), 0);
	return rn_addr_from_udp(&ua);
}

/*
 * Assert that a call returned @code and that the calling thread's last error
 * has that code and renders as the printf-style text.
 */
#define ERR_IS(got, code, ...) err_is(__LINE__, (long long)(got), (code), __VA_ARGS__)

__attribute__((format(printf, 4, 5))) static void err_is(int line, long long got, int code,
							   const char *fmt, ...)
{
	char want[2048], text[2048];
	va_list ap;
	const rn_error *e = rn_last_error();

	va_start(ap, fmt);
	vsnprintf(want, sizeof want, fmt, ap);
	va_end(ap);
	rn_error_string(NULL, text, sizeof text);
	ck_assert_msg(got == code, "line %d: returned %lld, want %d (%s); last error \"%s\"", line,
		      got, code, rn_strerror(code), text);
	ck_assert_msg(e->code == code, "line %d: rn_last_error()->code %d, want %d (\"%s\")", line,
		      e->code, code, text);
	ck_assert_msg(strcmp(text, want) == 0, "line %d: error\n  got  \"%s\"\n  want \"%s\"", line,
		      text, want);
}

/* Why IPv6 loopback cannot be used here, or NULL if it can. */
static const char *ipv6_unavailable(void)
{
	static char why[128];
	struct sockaddr_in6 sa;
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0) {
		snprintf(why, sizeof why, "socket(AF_INET6): %s", strerror(errno));
		return why;
	}
	memset(&sa, 0, sizeof sa);
	sa.sin6_family = AF_INET6;
	sa.sin6_addr = in6addr_loopback;
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
		snprintf(why, sizeof why, "bind [::1]:0: %s", strerror(errno));
		close(s);
		return why;
	}
	close(s);
	return NULL;
}

/* A listening conn on @lnet/@laddr and a client dialed to it on @dnet. */
struct pair {
	rn_conn *srv, *cli;
	rn_addr saddr, caddr; /* local addresses */
	char s[RN_ADDR_STRLEN], c[RN_ADDR_STRLEN];
};

static void pair_open(struct pair *p, const char *lnet, const char *laddr, const char *dnet,
		      const char *dhost)
{
	char target[RN_ADDR_STRLEN + 16];

	memset(p, 0, sizeof *p);
	p->srv = rn_listen_packet(lnet, laddr);
	ck_assert_msg(p->srv != NULL, "listen_packet %s %s: code %d", lnet, laddr,
		      rn_last_error()->code);
	p->saddr = rn_conn_local_addr(p->srv);
	astr(p->saddr, p->s);
	snprintf(target, sizeof target, "%s:%d", dhost, port_of(p->saddr));
	p->cli = rn_dial(dnet, target);
	ck_assert_msg(p->cli != NULL, "dial %s %s: code %d", dnet, target, rn_last_error()->code);
	p->caddr = rn_conn_local_addr(p->cli);
	astr(p->caddr, p->c);
}

static void pair_free(struct pair *p)
{
	rn_conn_free(p->cli);
	rn_conn_free(p->srv);
}

/* One datagram from the client, read on the server; checks bytes and sender. */
static void send_and_check(struct pair *p, const char *msg, const char *want_from)
{
	char buf[256], fb[RN_ADDR_STRLEN];
	rn_addr from;
	size_t n = strlen(msg);

	ck_assert_int_eq(rn_conn_write(p->cli, msg, n), (ssize_t)n);
	memset(buf, 0, sizeof buf);
	ck_assert_int_eq(rn_conn_read_from(p->srv, buf, sizeof buf, &from), (ssize_t)n);
	ck_assert_mem_eq(buf, msg, n);
	ck_assert_int_eq(from.kind, RN_ADDR_UDP);
	ck_assert_str_eq(astr(from, fb), want_from);
}

/* ---- ListenPacket ----------------------------------------------------------- */

START_TEST(test_listen_packet_ipv4)
{
	const char *nets[] = { "udp", "udp4" };

	for (size_t i = 0; i < 2; i++) {
		char b[RN_ADDR_STRLEN], want[64];
		rn_conn *c = rn_listen_packet(nets[i], "127.0.0.1:0");
		ck_assert_ptr_nonnull(c);
		rn_addr la = rn_conn_local_addr(c);
		ck_assert_int_eq(la.kind, RN_ADDR_UDP);
		ck_assert_str_eq(rn_addr_network(&la), "udp");
		ck_assert_int_gt(port_of(la), 0);
		ck_assert_int_lt(port_of(la), 65536);
		snprintf(want, sizeof want, "127.0.0.1:%d", port_of(la));
		ck_assert_str_eq(astr(la, b), want);
		rn_addr ra = rn_conn_remote_addr(c);
		ck_assert_int_eq(ra.kind, RN_ADDR_NONE);
		ck_assert_str_eq(astr(ra, b), "<nil>");
		ck_assert_int_ge(rn_conn_fd(c), 0);
		rn_conn_free(c);
	}
}
END_TEST

START_TEST(test_listen_packet_dual_stack)
{
	const char *why = ipv6_unavailable();
	char want[64], b[RN_ADDR_STRLEN], fb[RN_ADDR_STRLEN], target[64];
	char buf[64];
	rn_addr from;

	if (why) {
		printf("test_listen_packet_dual_stack: skipped, no IPv6 loopback (%s)\n", why);
		return;
	}
	rn_conn *srv = rn_listen_packet("udp", ":0");
	ck_assert_ptr_nonnull(srv);
	rn_addr la = rn_conn_local_addr(srv);
	snprintf(want, sizeof want, "[::]:%d", port_of(la));
	ck_assert_str_eq(astr(la, b), want);

	/* An IPv4 client reaches the dual-stack socket; its address prints as IPv4. */
	snprintf(target, sizeof target, "127.0.0.1:%d", port_of(la));
	rn_conn *cli = rn_dial("udp4", target);
	ck_assert_ptr_nonnull(cli);
	rn_addr ca = rn_conn_local_addr(cli);
	snprintf(want, sizeof want, "127.0.0.1:%d", port_of(ca));
	ck_assert_str_eq(astr(ca, b), want);
	ck_assert_str_eq(astr(rn_conn_remote_addr(cli), b), target);
	ck_assert_int_eq(rn_conn_write(cli, "v4 over v6", 10), 10);
	ck_assert_int_eq(rn_conn_read_from(srv, buf, sizeof buf, &from), 10);
	ck_assert_mem_eq(buf, "v4 over v6", 10);
	ck_assert_str_eq(astr(from, fb), want);

	/* And the reply to that address gets back to the IPv4 client. */
	ck_assert_int_eq(rn_conn_write_to(srv, "back", 4, &from), 4);
	ck_assert_int_eq(rn_conn_read(cli, buf, sizeof buf), 4);
	ck_assert_mem_eq(buf, "back", 4);
	rn_conn_free(cli);
	rn_conn_free(srv);
}
END_TEST

START_TEST(test_listen_packet_udp6)
{
	const char *why = ipv6_unavailable();
	struct pair p;
	char want[64], b[RN_ADDR_STRLEN], buf[64];

	if (why) {
		printf("test_listen_packet_udp6: skipped, no IPv6 loopback (%s)\n", why);
		return;
	}
	pair_open(&p, "udp6", "[::1]:0", "udp6", "[::1]");
	snprintf(want, sizeof want, "[::1]:%d", port_of(p.saddr));
	ck_assert_str_eq(p.s, want);
	ck_assert_str_eq(astr(rn_conn_remote_addr(p.cli), b), want);
	snprintf(want, sizeof want, "[::1]:%d", port_of(p.caddr));
	ck_assert_str_eq(p.c, want);
	send_and_check(&p, "six", want);
	ck_assert_int_eq(rn_conn_write_to(p.srv, "xis", 3, &p.caddr), 3);
	ck_assert_int_eq(rn_conn_read(p.cli, buf, sizeof buf), 3);
	ck_assert_mem_eq(buf, "xis", 3);
	pair_free(&p);
}
END_TEST

/* ---- data -------------------------------------------------------------------- */

START_TEST(test_round_trip)
{
	struct pair p;
	char b[RN_ADDR_STRLEN], buf[64];
	rn_addr from;
	rn_udpaddr ufrom;

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	ck_assert(strncmp(p.s, "127.0.0.1:", 10) == 0);
	ck_assert(strncmp(p.c, "127.0.0.1:", 10) == 0);
	ck_assert_int_ne(port_of(p.caddr), port_of(p.saddr));
	ck_assert_str_eq(astr(rn_conn_remote_addr(p.cli), b), p.s);
	ck_assert_str_eq(rn_addr_network(&p.caddr), "udp");
	ck_assert_int_eq(rn_conn_remote_addr(p.srv).kind, RN_ADDR_NONE);

	/* Write -> ReadFrom -> WriteTo -> Read. */
	send_and_check(&p, "ping", p.c);
	ck_assert_int_eq(rn_conn_write_to(p.srv, "pong!", 5, &p.caddr), 5);
	ck_assert_int_eq(rn_conn_read(p.cli, buf, sizeof buf), 5);
	ck_assert_mem_eq(buf, "pong!", 5);

	/* The UDP forms: WriteToUDP / ReadFromUDP. */
	ck_assert_int_eq(rn_conn_write(p.cli, "again", 5), 5);
	ck_assert_int_eq(rn_udpconn_read_from_udp(p.srv, buf, sizeof buf, &ufrom), 5);
	ck_assert_mem_eq(buf, "again", 5);
	rn_addr fa = rn_addr_from_udp(&ufrom);
	ck_assert_str_eq(astr(fa, b), p.c);
	ck_assert_int_eq(rn_udpconn_write_to_udp(p.srv, "niaga", 5, &ufrom), 5);
	ck_assert_int_eq(rn_conn_read(p.cli, buf, sizeof buf), 5);
	ck_assert_mem_eq(buf, "niaga", 5);

	/* ReadFrom with a NULL @from, and a second listener as a third party. */
	rn_conn *other = rn_listen_packet("udp4", "127.0.0.1:0");
	ck_assert_ptr_nonnull(other);
	rn_addr oa = rn_conn_local_addr(other);
	ck_assert_int_eq(rn_conn_write_to(other, "3rd", 3, &p.saddr), 3);
	ck_assert_int_eq(rn_conn_read_from(p.srv, buf, sizeof buf, NULL), 3);
	ck_assert_mem_eq(buf, "3rd", 3);
	ck_assert_int_eq(rn_conn_write_to(p.srv, "to3", 3, &oa), 3);
	ck_assert_int_eq(rn_conn_read_from(other, buf, sizeof buf, &from), 3);
	ck_assert_mem_eq(buf, "to3", 3);
	ck_assert_str_eq(astr(from, b), p.s);
	rn_conn_free(other);
	pair_free(&p);
}
END_TEST

START_TEST(test_datagram_boundaries)
{
	struct pair p;
	static uint8_t out[3][1500], in[4096];
	const size_t sizes[3] = { 1, 100, 1472 };
	rn_addr from;
	char b[RN_ADDR_STRLEN];

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	for (int i = 0; i < 3; i++) {
		for (size_t j = 0; j < sizes[i]; j++)
			out[i][j] = (uint8_t)(i * 71 + j * 7 + 1);
		ck_assert_int_eq(rn_conn_write(p.cli, out[i], sizes[i]), (ssize_t)sizes[i]);
	}
	/* Three writes, three reads of exactly their sizes, with room to spare. */
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(rn_conn_read_from(p.srv, in, sizeof in, &from), (ssize_t)sizes[i]);
		ck_assert_mem_eq(in, out[i], sizes[i]);
		ck_assert_str_eq(astr(from, b), p.c);
	}
	/* The same the other way, read with Read on the connected side. */
	for (int i = 2; i >= 0; i--)
		ck_assert_int_eq(rn_conn_write_to(p.srv, out[i], sizes[i], &p.caddr),
				 (ssize_t)sizes[i]);
	for (int i = 2; i >= 0; i--) {
		ck_assert_int_eq(rn_conn_read(p.cli, in, sizeof in), (ssize_t)sizes[i]);
		ck_assert_mem_eq(in, out[i], sizes[i]);
	}
	pair_free(&p);
}
END_TEST

START_TEST(test_truncated_to_buffer)
{
	struct pair p;
	uint8_t out[1000], in[16];
	rn_addr from;
	char b[RN_ADDR_STRLEN];

	for (size_t j = 0; j < sizeof out; j++)
		out[j] = (uint8_t)(j * 13 + 5);
	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");

	/* Go: n == len(buf), no error; the rest of the datagram is gone. */
	ck_assert_int_eq(rn_conn_write(p.cli, out, sizeof out), (ssize_t)sizeof out);
	ck_assert_int_eq(rn_conn_write(p.cli, "next", 4), 4);
	rn_clear_error();
	ck_assert_int_eq(rn_conn_read_from(p.srv, in, 10, &from), 10);
	ck_assert_mem_eq(in, out, 10);
	ck_assert_str_eq(astr(from, b), p.c);
	ck_assert_int_eq(rn_last_error()->kind, RN_ERR_NONE);
	memset(in, 0, sizeof in);
	ck_assert_int_eq(rn_conn_read_from(p.srv, in, sizeof in, &from), 4);
	ck_assert_mem_eq(in, "next", 4);

	/* The UDP form and the connected Read cut the same way. */
	ck_assert_int_eq(rn_conn_write(p.cli, out, sizeof out), (ssize_t)sizeof out);
	ck_assert_int_eq(rn_udpconn_read_from_udp(p.srv, in, 1, NULL), 1);
	ck_assert_int_eq(in[0], out[0]);
	ck_assert_int_eq(rn_conn_write_to(p.srv, out, sizeof out, &p.caddr), (ssize_t)sizeof out);
	ck_assert_int_eq(rn_conn_write_to(p.srv, "tail", 4, &p.caddr), 4);
	ck_assert_int_eq(rn_conn_read(p.cli, in, sizeof in), (ssize_t)sizeof in);
	ck_assert_mem_eq(in, out, sizeof in);
	ck_assert_int_eq(rn_conn_read(p.cli, in, sizeof in), 4);
	ck_assert_mem_eq(in, "tail", 4);
	ck_assert_int_eq(rn_last_error()->kind, RN_ERR_NONE);
	pair_free(&p);
}
END_TEST

START_TEST(test_zero_length_datagram)
{
	struct pair p;
	uint8_t in[64];
	rn_addr from;
	char b[RN_ADDR_STRLEN], tb[RN_ADDR_STRLEN];

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	/* WriteTo with an empty buffer sends an empty datagram; ReadFrom gets 0 and the sender. */
	ck_assert_int_eq(rn_conn_write_to(p.srv, NULL, 0, &p.caddr), 0);
	ck_assert_int_eq(rn_conn_write_to(p.srv, "after", 5, &p.caddr), 5);
	rn_conn *third = rn_listen_packet("udp", "127.0.0.1:0");
	ck_assert_ptr_nonnull(third);
	ck_assert_int_eq(rn_conn_write_to(third, "", 0, &p.saddr), 0);
	from.kind = RN_ADDR_NONE;
	ck_assert_int_eq(rn_conn_read_from(p.srv, in, sizeof in, &from), 0);
	ck_assert_str_eq(astr(from, b), astr(rn_conn_local_addr(third), tb));

	/* Write of nothing on a dialed conn sends an empty datagram too (Go's poll.FD.Write). */
	ck_assert_int_eq(rn_conn_write(p.cli, NULL, 0), 0);
	ck_assert_int_eq(rn_conn_write(p.cli, "x", 1), 1);
	from.kind = RN_ADDR_NONE;
	ck_assert_int_eq(rn_conn_read_from(p.srv, in, sizeof in, &from), 0);
	ck_assert_str_eq(astr(from, b), p.c);
	ck_assert_int_eq(rn_conn_read_from(p.srv, in, sizeof in, &from), 1);
	ck_assert_int_eq(in[0], 'x');

	/* The client side: the empty datagram, then the next one, in order. */
	rn_conn_set_read_deadline(p.cli, rn_time_add(rn_now(), 5 * RN_SECOND));
	ck_assert_int_eq(rn_udpconn_read_from_udp(p.cli, in, sizeof in, NULL), 0);
	ck_assert_int_eq(rn_conn_read(p.cli, in, sizeof in), 5);
	ck_assert_mem_eq(in, "after", 5);
	rn_conn_free(third);
	pair_free(&p);
}
END_TEST

/* ---- 1,000 datagrams through a reader thread ------------------------------------ */

#define FLOOD_COUNT 1000
#define FLOOD_WINDOW 32 /* datagrams in flight at most: far below the receive buffer */

static size_t flood_fill(int i, uint8_t *buf)
{
	size_t n = 4 + (size_t)((i * 37) % 1400);

	buf[0] = (uint8_t)i;
	buf[1] = (uint8_t)(i >> 8);
	buf[2] = (uint8_t)(i >> 16);
	buf[3] = (uint8_t)(i >> 24);
	for (size_t j = 4; j < n; j++)
		buf[j] = (uint8_t)(i * 3 + j * 31);
	return n;
}

struct flood {
	rn_conn *srv;
	char want_from[RN_ADDR_STRLEN];
	atomic_int consumed;
	atomic_bool failed;
	char fail[1024]; /* written by the reader, read after join */
};

static void *flood_reader(void *arg)
{
	struct flood *f = arg;
	static uint8_t want[2048], got[2048];
	char fb[RN_ADDR_STRLEN], et[256];

	for (int i = 0; i < FLOOD_COUNT; i++) {
		rn_addr from;
		size_t n = flood_fill(i, want);
		ssize_t r;

		rn_conn_set_read_deadline(f->srv, rn_time_add(rn_now(), 10 * RN_SECOND));
		r = rn_conn_read_from(f->srv, got, sizeof got, &from);
		if (r != (ssize_t)n || memcmp(got, want, n) != 0 ||
		    strcmp(astr(from, fb), f->want_from) != 0) {
			rn_error_string(NULL, et, sizeof et);
			snprintf(f->fail, sizeof f->fail,
				 "datagram %d: got %zd bytes (seq %u) from %s, want %zu bytes from %s; "
				 "last error \"%s\"",
				 i, r, r >= 4 ? (unsigned)(got[0] | got[1] << 8 | got[2] << 16) : 0u,
				 fb, n, f->want_from, r < 0 ? et : "");
			atomic_store(&f->failed, true);
			return NULL;
		}
		atomic_store(&f->consumed, i + 1);
	}
	return NULL;
}

START_TEST(test_thousand_datagrams_in_order)
{
	struct pair p;
	struct flood f;
	pthread_t t;
	static uint8_t buf[2048];

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	memset(&f, 0, sizeof f);
	f.srv = p.srv;
	snprintf(f.want_from, sizeof f.want_from, "%s", p.c);
	atomic_init(&f.consumed, 0);
	atomic_init(&f.failed, false);
	ck_assert_int_eq(pthread_create(&t, NULL, flood_reader, &f), 0);
	for (int i = 0; i < FLOOD_COUNT && !atomic_load(&f.failed); i++) {
		size_t n = flood_fill(i, buf);

		/* Flow control: loopback drops what the receive buffer cannot hold. */
		while (i - atomic_load(&f.consumed) >= FLOOD_WINDOW && !atomic_load(&f.failed))
			sleep_ms(1);
		ssize_t w = rn_conn_write(p.cli, buf, n);
		ck_assert_msg(w == (ssize_t)n, "write %d: %zd", i, w);
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(!atomic_load(&f.failed), "%s", f.fail);
	ck_assert_int_eq(atomic_load(&f.consumed), FLOOD_COUNT);
	pair_free(&p);
}
END_TEST

/* ---- errors ---------------------------------------------------------------- */

START_TEST(test_write_to_connected)
{
	struct pair p;
	char ts[RN_ADDR_STRLEN];
	rn_addr to = udp_addr("udp", "127.0.0.1:9");

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	astr(to, ts);
	/* OpError.Addr is the address passed, not the peer. */
	ERR_IS(rn_conn_write_to(p.cli, "x", 1, &to), RN_EWRITETOCONNECTED,
	       "write udp %s->%s: use of WriteTo with pre-connected connection", p.c, ts);
	ck_assert(rn_last_error()->op_error);
	ck_assert_str_eq(rn_last_error()->op, "write");
	ck_assert_str_eq(rn_last_error()->net, "udp");
	ck_assert_int_eq(rn_last_error()->kind, RN_ERR_SENTINEL);
	ck_assert(!rn_error_timeout(NULL));
	ERR_IS(rn_udpconn_write_to_udp(p.cli, "x", 1, &p.saddr.u.udp), RN_EWRITETOCONNECTED,
	       "write udp %s->%s: use of WriteTo with pre-connected connection", p.c, p.s);
	/* WriteToUDP(b, nil) on a connected conn: the connected check comes first. */
	ERR_IS(rn_udpconn_write_to_udp(p.cli, "x", 1, NULL), RN_EWRITETOCONNECTED,
	       "write udp %s: use of WriteTo with pre-connected connection", p.c);
	ck_assert_str_eq(rn_strerror(RN_EWRITETOCONNECTED),
			 "use of WriteTo with pre-connected connection");
	/* Nothing was sent: the server has nothing to read. */
	rn_conn_set_read_deadline(p.srv, rn_time_add(rn_now(), -RN_SECOND));
	ck_assert_int_eq(rn_conn_read_from(p.srv, ts, sizeof ts, NULL), RN_ETIMEOUT);
	pair_free(&p);
}
END_TEST

START_TEST(test_write_to_missing_address)
{
	char s[RN_ADDR_STRLEN];
	rn_conn *c = rn_listen_packet("udp", "127.0.0.1:0");
	rn_addr none = { .kind = RN_ADDR_NONE };

	ck_assert_ptr_nonnull(c);
	astr(rn_conn_local_addr(c), s);
	ERR_IS(rn_udpconn_write_to_udp(c, "x", 1, NULL), RN_EMISSINGADDR,
	       "write udp %s: missing address", s);
	ck_assert(rn_last_error()->op_error);
	ck_assert_int_eq(rn_last_error()->addr.kind, RN_ADDR_NONE);
	ck_assert_int_eq(rn_last_error()->source.kind, RN_ADDR_UDP);
	/* Go's PacketConn.WriteTo(b, nil): not a *UDPAddr, so EINVAL. */
	ERR_IS(rn_conn_write_to(c, "x", 1, NULL), -EINVAL, "write udp %s: invalid argument", s);
	ERR_IS(rn_conn_write_to(c, "x", 1, &none), -EINVAL, "write udp %s: invalid argument", s);
	ck_assert_str_eq(rn_strerror(RN_EMISSINGADDR), "missing address");
	rn_conn_free(c);
}
END_TEST

START_TEST(test_write_unconnected_needs_destination)
{
	char s[RN_ADDR_STRLEN];
	rn_conn *c = rn_listen_packet("udp", "127.0.0.1:0");

	ck_assert_ptr_nonnull(c);
	astr(rn_conn_local_addr(c), s);
	ERR_IS(rn_conn_write(c, "x", 1), -EDESTADDRREQ,
	       "write udp %s: write: destination address required", s);
	ck_assert_int_eq(rn_last_error()->kind, RN_ERR_ERRNO);
	ck_assert_int_eq(rn_last_error()->errnum, EDESTADDRREQ);
	ck_assert_str_eq(rn_last_error()->syscall, "write");
	rn_conn_free(c);
}
END_TEST

START_TEST(test_write_to_wrong_family)
{
	const char *nets[] = { "udp4", "udp" };

	for (size_t i = 0; i < 2; i++) {
		char s[RN_ADDR_STRLEN];
		rn_conn *c = rn_listen_packet(nets[i], "127.0.0.1:0");
		rn_addr to = udp_addr("udp6", "[::1]:9");

		ck_assert_ptr_nonnull(c);
		astr(rn_conn_local_addr(c), s);
		ERR_IS(rn_conn_write_to(c, "x", 1, &to), RN_EADDR,
		       "write %s %s->[::1]:9: address ::1: non-IPv4 address", nets[i], s);
		const rn_error *e = rn_last_error();
		ck_assert(e->op_error);
		ck_assert_str_eq(e->op, "write");
		ck_assert_str_eq(e->net, nets[i]);
		ck_assert_int_eq(e->kind, RN_ERR_ADDR);
		ck_assert_str_eq(e->err, "non-IPv4 address");
		ck_assert_str_eq(e->subject, "::1");
		ERR_IS(rn_udpconn_write_to_udp(c, "x", 1, &to.u.udp), RN_EADDR,
		       "write %s %s->[::1]:9: address ::1: non-IPv4 address", nets[i], s);
		rn_conn_free(c);
	}
}
END_TEST

START_TEST(test_write_to_tcp_addr)
{
	char s[RN_ADDR_STRLEN];
	rn_conn *c = rn_listen_packet("udp", "127.0.0.1:0");
	rn_tcpaddr ta;

	ck_assert_ptr_nonnull(c);
	astr(rn_conn_local_addr(c), s);
	ck_assert_int_eq(rn_resolve_tcp_addr("tcp", "127.0.0.1:9", &ta), 0);
	rn_addr to = rn_addr_from_tcp(&ta);
	ERR_IS(rn_conn_write_to(c, "x", 1, &to), -EINVAL,
	       "write udp %s->127.0.0.1:9: invalid argument", s);
	ck_assert_int_eq(rn_last_error()->kind, RN_ERR_ERRNO);
	ck_assert_str_eq(rn_last_error()->syscall, "");
	ck_assert_int_eq(rn_last_error()->addr.kind, RN_ADDR_TCP);
	rn_conn_free(c);
}
END_TEST

START_TEST(test_listen_and_dial_errors)
{
	ck_assert_ptr_null(rn_listen("udp", "127.0.0.1:0"));
	ERR_IS(rn_last_error()->code, RN_EADDR,
	       "listen udp 127.0.0.1:0: address 127.0.0.1:0: unexpected address type");
	ck_assert_int_eq(rn_last_error()->kind, RN_ERR_ADDR);
	ck_assert_ptr_null(rn_listen_packet("tcp", "127.0.0.1:0"));
	ERR_IS(rn_last_error()->code, RN_EADDR,
	       "listen tcp 127.0.0.1:0: address 127.0.0.1:0: unexpected address type");
	ck_assert_ptr_null(rn_listen_packet("tcp4", "127.0.0.1:0"));
	ERR_IS(rn_last_error()->code, RN_EADDR,
	       "listen tcp4 127.0.0.1:0: address 127.0.0.1:0: unexpected address type");
	ck_assert_ptr_null(rn_dial("udp", ""));
	ERR_IS(rn_last_error()->code, RN_EMISSINGADDR, "dial udp: missing address");
	ck_assert(rn_last_error()->op_error);
	ck_assert_ptr_null(rn_dial("udp7", "127.0.0.1:9"));
	ERR_IS(rn_last_error()->code, RN_EUNKNOWNNET, "dial udp7: unknown network udp7");
	ck_assert_int_eq(rn_last_error()->kind, RN_ERR_UNKNOWN_NETWORK);
	ck_assert_ptr_null(rn_listen_packet("udpx", "127.0.0.1:0"));
	ERR_IS(rn_last_error()->code, RN_EUNKNOWNNET, "listen udpx: unknown network udpx");
	/* A literal of the wrong family for the network: Go's "no suitable address". */
	ck_assert_ptr_null(rn_listen_packet("udp4", "[::1]:0"));
	ERR_IS(rn_last_error()->code, RN_EADDR, "listen udp4: address ::1: no suitable address found");
}
END_TEST

START_TEST(test_udpconn_on_tcp_conn)
{
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");
	char ls[RN_ADDR_STRLEN], buf[8];
	rn_udpaddr ua;
	rn_addr to = udp_addr("udp", "127.0.0.1:9");

	ck_assert_ptr_nonnull(l);
	rn_addr la = rn_listener_addr(l);
	rn_conn *c = rn_dial("tcp", astr(la, ls));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rn_udpconn_read_from_udp(c, buf, sizeof buf, &ua), -EINVAL);
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	ck_assert_int_eq(rn_udpconn_write_to_udp(c, "x", 1, &to.u.udp), -EINVAL);
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	ck_assert_int_eq(rn_conn_read_from(c, buf, sizeof buf, NULL), -EINVAL);
	ck_assert_int_eq(rn_conn_write_to(c, "x", 1, &to), -EINVAL);
	/* NULL handles and buffers. */
	ck_assert_int_eq(rn_udpconn_read_from_udp(NULL, buf, sizeof buf, NULL), -EINVAL);
	ck_assert_int_eq(rn_udpconn_write_to_udp(NULL, "x", 1, &to.u.udp), -EINVAL);
	ck_assert_int_eq(rn_conn_read_from(NULL, buf, sizeof buf, NULL), -EINVAL);
	ck_assert_int_eq(rn_conn_write_to(NULL, "x", 1, &to), -EINVAL);
	rn_conn *u = rn_listen_packet("udp", "127.0.0.1:0");
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(rn_conn_read_from(u, NULL, 4, NULL), -EINVAL);
	ck_assert_int_eq(rn_conn_write_to(u, NULL, 4, &to), -EINVAL);
	rn_conn_free(u);
	rn_conn_free(c);
	rn_listener_free(l);
}
END_TEST

/* ---- deadlines -------------------------------------------------------------- */

START_TEST(test_read_deadline_past)
{
	struct pair p;
	char buf[16];
	rn_addr from;

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	ck_assert_int_eq(rn_conn_set_read_deadline(p.srv, rn_time_add(rn_now(), -RN_SECOND)), 0);
	rn_time t0 = rn_now();
	from.kind = RN_ADDR_UDP;
	ERR_IS(rn_conn_read_from(p.srv, buf, sizeof buf, &from), RN_ETIMEOUT,
	       "read udp %s: i/o timeout", p.s);
	ck_assert_int_eq(from.kind, RN_ADDR_NONE);
	ck_assert(rn_error_timeout(NULL));
	ck_assert(rn_last_error()->op_error);
	ck_assert_int_lt(rn_now() - t0, RN_SECOND);
	ERR_IS(rn_udpconn_read_from_udp(p.srv, buf, sizeof buf, NULL), RN_ETIMEOUT,
	       "read udp %s: i/o timeout", p.s);
	/* The connected side names both ends. */
	ck_assert_int_eq(rn_conn_set_deadline(p.cli, rn_time_add(rn_now(), -RN_SECOND)), 0);
	ERR_IS(rn_conn_read(p.cli, buf, sizeof buf), RN_ETIMEOUT, "read udp %s->%s: i/o timeout",
	       p.c, p.s);
	ERR_IS(rn_conn_write(p.cli, "x", 1), RN_ETIMEOUT, "write udp %s->%s: i/o timeout", p.c,
	       p.s);
	/* A write deadline in the past stops WriteTo too. */
	ck_assert_int_eq(rn_conn_set_write_deadline(p.srv, rn_time_add(rn_now(), -RN_SECOND)), 0);
	ERR_IS(rn_conn_write_to(p.srv, "x", 1, &p.caddr), RN_ETIMEOUT,
	       "write udp %s->%s: i/o timeout", p.s, p.c);
	/* A datagram waiting is still not read once the deadline has passed (Go checks first). */
	pair_free(&p);
}
END_TEST

START_TEST(test_read_deadline_near)
{
	struct pair p;
	char buf[16];

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	rn_time t0 = rn_now();
	ck_assert_int_eq(rn_conn_set_read_deadline(p.srv, rn_time_add(t0, 100 * RN_MILLISECOND)), 0);
	ERR_IS(rn_conn_read_from(p.srv, buf, sizeof buf, NULL), RN_ETIMEOUT,
	       "read udp %s: i/o timeout", p.s);
	rn_duration took = rn_now() - t0;
	ck_assert_msg(took >= 95 * RN_MILLISECOND && took < 2 * RN_SECOND,
		      "timed out after %lld ms", (long long)(took / RN_MILLISECOND));
	ck_assert(rn_error_timeout(NULL));

	/* The deadline stands: the next call times out at once. */
	t0 = rn_now();
	ck_assert_int_eq(rn_conn_read_from(p.srv, buf, sizeof buf, NULL), RN_ETIMEOUT);
	ck_assert_int_lt(rn_now() - t0, 50 * RN_MILLISECOND);

	/* Data that arrived before a near deadline is read, not lost. */
	ck_assert_int_eq(rn_conn_set_read_deadline(p.srv, rn_time_add(rn_now(), RN_SECOND)), 0);
	ck_assert_int_eq(rn_conn_write(p.cli, "in time", 7), 7);
	ck_assert_int_eq(rn_conn_read_from(p.srv, buf, sizeof buf, NULL), 7);
	ck_assert_mem_eq(buf, "in time", 7);
	pair_free(&p);
}
END_TEST

START_TEST(test_read_deadline_cleared)
{
	struct pair p;
	char buf[16];

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	ck_assert_int_eq(rn_conn_set_read_deadline(p.srv, rn_time_add(rn_now(), -RN_SECOND)), 0);
	ck_assert_int_eq(rn_conn_read_from(p.srv, buf, sizeof buf, NULL), RN_ETIMEOUT);
	ck_assert_int_eq(rn_conn_set_read_deadline(p.srv, 0), 0);
	ck_assert_int_eq(rn_conn_write(p.cli, "later", 5), 5);
	ck_assert_int_eq(rn_conn_read_from(p.srv, buf, sizeof buf, NULL), 5);
	ck_assert_mem_eq(buf, "later", 5);
	/* rn_conn_set_deadline(0) clears the read side as well. */
	ck_assert_int_eq(rn_conn_set_deadline(p.cli, rn_time_add(rn_now(), -RN_SECOND)), 0);
	ck_assert_int_eq(rn_conn_read(p.cli, buf, sizeof buf), RN_ETIMEOUT);
	ck_assert_int_eq(rn_conn_set_deadline(p.cli, 0), 0);
	ck_assert_int_eq(rn_conn_write_to(p.srv, "back", 4, &p.caddr), 4);
	ck_assert_int_eq(rn_conn_read(p.cli, buf, sizeof buf), 4);
	ck_assert_mem_eq(buf, "back", 4);
	pair_free(&p);
}
END_TEST

/* A thread that moves the deadline of a blocked read, then sends. */
struct mover {
	rn_conn *srv, *cli;
	int move_ms, send_ms;
	rn_time new_deadline;
	atomic_int rc_set, rc_write;
};

static void *mover_thread(void *arg)
{
	struct mover *m = arg;

	sleep_ms(m->move_ms);
	atomic_store(&m->rc_set, rn_conn_set_read_deadline(m->srv, m->new_deadline));
	if (m->send_ms >= 0) {
		sleep_ms(m->send_ms);
		atomic_store(&m->rc_write, (int)rn_conn_write(m->cli, "moved", 5));
	}
	return NULL;
}

START_TEST(test_read_deadline_moved_while_blocked)
{
	struct pair p;
	struct mover m;
	pthread_t t;
	char buf[16];

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");

	/* Cleared while blocked: the read outlives its old 300 ms deadline. */
	memset(&m, 0, sizeof m);
	m.srv = p.srv;
	m.cli = p.cli;
	m.move_ms = 50;
	m.send_ms = 500;
	m.new_deadline = 0;
	ck_assert_int_eq(rn_conn_set_read_deadline(p.srv, rn_time_add(rn_now(), 300 * RN_MILLISECOND)),
			 0);
	ck_assert_int_eq(pthread_create(&t, NULL, mover_thread, &m), 0);
	rn_time t0 = rn_now();
	ssize_t r = rn_conn_read_from(p.srv, buf, sizeof buf, NULL);
	rn_duration took = rn_now() - t0;
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(r == 5, "read returned %zd after %lld ms", r,
		      (long long)(took / RN_MILLISECOND));
	ck_assert_mem_eq(buf, "moved", 5);
	ck_assert_int_eq(atomic_load(&m.rc_set), 0);
	ck_assert_int_eq(atomic_load(&m.rc_write), 5);

	/* Moved into the past while blocked: RN_ETIMEOUT at once. */
	memset(&m, 0, sizeof m);
	m.srv = p.srv;
	m.move_ms = 100;
	m.send_ms = -1;
	m.new_deadline = rn_time_add(rn_now(), -RN_SECOND);
	ck_assert_int_eq(rn_conn_set_read_deadline(p.srv, rn_time_add(rn_now(), 5 * RN_SECOND)), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, mover_thread, &m), 0);
	t0 = rn_now();
	r = rn_conn_read_from(p.srv, buf, sizeof buf, NULL);
	took = rn_now() - t0;
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ERR_IS(r, RN_ETIMEOUT, "read udp %s: i/o timeout", p.s);
	ck_assert_msg(took < 3 * RN_SECOND, "woke after %lld ms", (long long)(took / RN_MILLISECOND));
	pair_free(&p);
}
END_TEST

/* ---- Close from another thread ----------------------------------------------- */

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef TEST_AUDIT_ARCH
#endif

struct closer {
	rn_conn *c;
	int delay_ms;
	bool no_ring;	  /* close from a thread that cannot start an engine */
	atomic_int filter_rc;
	atomic_int rc;	  /* what rn_conn_close returned */
	atomic_int rc2;	  /* a second close */
};

static void *closer_thread(void *arg)
{
	struct closer *k = arg;

	if (k->no_ring) {
#ifdef TEST_AUDIT_ARCH
		atomic_store(&k->filter_rc, tu_deny_io_uring_setup(ENOSYS));
#else
		atomic_store(&k->filter_rc, -ENOSYS);
#endif
		if (atomic_load(&k->filter_rc) != 0)
			return NULL;
	}
	sleep_ms(k->delay_ms);
	atomic_store(&k->rc, rn_conn_close(k->c));
	atomic_store(&k->rc2, rn_conn_close(k->c));
	return NULL;
}

/*
 * Block in a read on @c (with a 2 s read deadline as a guard so the suite
 * cannot hang), close @c from another thread after 150 ms, and check the
 * read ended with RN_ECLOSED soon after.  Returns false if skipped.
 */
static bool close_wakes_read(rn_conn *c, bool connected, bool no_ring, const char *want_text,
			     const char *label)
{
	struct closer k;
	pthread_t t;
	char buf[16], text[512];

	memset(&k, 0, sizeof k);
	k.c = c;
	k.delay_ms = 150;
	k.no_ring = no_ring;
	atomic_init(&k.filter_rc, 0);
	atomic_init(&k.rc, 1);
	atomic_init(&k.rc2, 1);
	ck_assert_int_eq(rn_conn_set_read_deadline(c, rn_time_add(rn_now(), 2 * RN_SECOND)), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, closer_thread, &k), 0);
	rn_time t0 = rn_now();
	ssize_t r = connected ? rn_conn_read(c, buf, sizeof buf)
			      : rn_conn_read_from(c, buf, sizeof buf, NULL);
	rn_duration took = rn_now() - t0;
	rn_error_string(NULL, text, sizeof text);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	if (atomic_load(&k.filter_rc) != 0) {
		printf("%s: skipped, cannot install a seccomp filter (%s)\n", label,
		       strerror(-atomic_load(&k.filter_rc)));
		return false;
	}
	ck_assert_int_eq(atomic_load(&k.rc), 0);
	ck_assert_int_eq(atomic_load(&k.rc2), RN_ECLOSED);
	ck_assert_msg(r == RN_ECLOSED,
		      "%s: blocked read returned %zd (\"%s\") after %lld ms, want RN_ECLOSED "
		      "(%d) soon after the Close at 150 ms",
		      label, r, text, (long long)(took / RN_MILLISECOND), RN_ECLOSED);
	ck_assert_str_eq(text, want_text);
	ck_assert_msg(took < 1500 * RN_MILLISECOND, "%s: woke after %lld ms", label,
		      (long long)(took / RN_MILLISECOND));
	ck_assert_int_eq(rn_conn_fd(c), -1);
	return true;
}

START_TEST(test_close_wakes_blocked_read_from)
{
	char want[512];
	rn_conn *c = rn_listen_packet("udp", "127.0.0.1:0");
	char s[RN_ADDR_STRLEN];

	ck_assert_ptr_nonnull(c);
	astr(rn_conn_local_addr(c), s);
	snprintf(want, sizeof want, "read udp %s: use of closed network connection", s);
	close_wakes_read(c, false, false, want, "test_close_wakes_blocked_read_from");
	rn_conn_free(c);
}
END_TEST

START_TEST(test_close_wakes_blocked_read_connected)
{
	struct pair p;
	char want[512];

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	snprintf(want, sizeof want, "read udp %s->%s: use of closed network connection", p.c, p.s);
	close_wakes_read(p.cli, true, false, want, "test_close_wakes_blocked_read_connected");
	pair_free(&p);
}
END_TEST

/*
 * The closer has no ring, so it cannot cancel the reader's operation and
 * falls back to shutdown(2) - on an unconnected UDP socket.
 */
START_TEST(test_close_wakes_blocked_read_from_by_shutdown)
{
	char want[512];
	rn_conn *c = rn_listen_packet("udp", "127.0.0.1:0");
	char s[RN_ADDR_STRLEN];

	ck_assert_ptr_nonnull(c);
	astr(rn_conn_local_addr(c), s);
	snprintf(want, sizeof want, "read udp %s: use of closed network connection", s);
	close_wakes_read(c, false, true, want, "test_close_wakes_blocked_read_from_by_shutdown");
	rn_conn_free(c);
}
END_TEST

START_TEST(test_close_wakes_blocked_read_connected_by_shutdown)
{
	struct pair p;
	char want[512];

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	snprintf(want, sizeof want, "read udp %s->%s: use of closed network connection", p.c, p.s);
	close_wakes_read(p.cli, true, true, want,
			 "test_close_wakes_blocked_read_connected_by_shutdown");
	pair_free(&p);
}
END_TEST

START_TEST(test_calls_after_close)
{
	struct pair p;
	char buf[16], b[RN_ADDR_STRLEN];
	rn_udpaddr ua;

	pair_open(&p, "udp", "127.0.0.1:0", "udp", "127.0.0.1");
	ck_assert_int_eq(rn_conn_close(p.srv), 0);
	ERR_IS(rn_conn_close(p.srv), RN_ECLOSED, "close udp %s: use of closed network connection",
	       p.s);
	ERR_IS(rn_conn_read_from(p.srv, buf, sizeof buf, NULL), RN_ECLOSED,
	       "read udp %s: use of closed network connection", p.s);
	ERR_IS(rn_udpconn_read_from_udp(p.srv, buf, sizeof buf, &ua), RN_ECLOSED,
	       "read udp %s: use of closed network connection", p.s);
	ERR_IS(rn_conn_read(p.srv, buf, sizeof buf), RN_ECLOSED,
	       "read udp %s: use of closed network connection", p.s);
	ERR_IS(rn_conn_set_deadline(p.srv, 0), RN_ECLOSED,
	       "set udp %s: use of closed network connection", p.s);
	ERR_IS(rn_conn_set_read_deadline(p.srv, 0), RN_ECLOSED,
	       "set udp %s: use of closed network connection", p.s);
	/* Go's order: the address checks, then the closed fd (OpError.Addr = the destination). */
	ERR_IS(rn_udpconn_write_to_udp(p.srv, "x", 1, NULL), RN_EMISSINGADDR,
	       "write udp %s: missing address", p.s);
	ck_assert_int_eq(rn_conn_fd(p.srv), -1);
	/* LocalAddr stays valid after Close. */
	ck_assert_str_eq(astr(rn_conn_local_addr(p.srv), b), p.s);

	ck_assert_int_eq(rn_conn_close(p.cli), 0);
	ERR_IS(rn_conn_read(p.cli, buf, sizeof buf), RN_ECLOSED,
	       "read udp %s->%s: use of closed network connection", p.c, p.s);
	ERR_IS(rn_conn_write(p.cli, "x", 1), RN_ECLOSED,
	       "write udp %s->%s: use of closed network connection", p.c, p.s);
	ERR_IS(rn_conn_close(p.cli), RN_ECLOSED,
	       "close udp %s->%s: use of closed network connection", p.c, p.s);
	ck_assert_str_eq(astr(rn_conn_remote_addr(p.cli), b), p.s);
	pair_free(&p);
}
END_TEST

/* Go: WriteTo on a closed conn names the destination, "write udp L->D: use of closed ...". */
START_TEST(test_write_to_after_close_names_destination)
{
	char s[RN_ADDR_STRLEN];
	rn_conn *c = rn_listen_packet("udp", "127.0.0.1:0");
	rn_addr to = udp_addr("udp", "127.0.0.1:9");

	ck_assert_ptr_nonnull(c);
	astr(rn_conn_local_addr(c), s);
	ck_assert_int_eq(rn_conn_close(c), 0);
	ERR_IS(rn_conn_write_to(c, "x", 1, &to), RN_ECLOSED,
	       "write udp %s->127.0.0.1:9: use of closed network connection", s);
	ERR_IS(rn_udpconn_write_to_udp(c, "x", 1, &to.u.udp), RN_ECLOSED,
	       "write udp %s->127.0.0.1:9: use of closed network connection", s);
	rn_conn_free(c);
}
END_TEST

static Suite *udp_suite(void)
{
	Suite *s = suite_create("udp");
	TCase *tc = udp_tcase("listen");
	tcase_add_test(tc, test_listen_packet_ipv4);
	tcase_add_test(tc, test_listen_packet_dual_stack);
	tcase_add_test(tc, test_listen_packet_udp6);
	suite_add_tcase(s, tc);

	tc = udp_tcase("data");
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_datagram_boundaries);
	tcase_add_test(tc, test_truncated_to_buffer);
	tcase_add_test(tc, test_zero_length_datagram);
	tcase_add_test(tc, test_thousand_datagrams_in_order);
	suite_add_tcase(s, tc);

	tc = udp_tcase("errors");
	tcase_add_test(tc, test_write_to_connected);
	tcase_add_test(tc, test_write_to_missing_address);
	tcase_add_test(tc, test_write_unconnected_needs_destination);
	tcase_add_test(tc, test_write_to_wrong_family);
	tcase_add_test(tc, test_write_to_tcp_addr);
	tcase_add_test(tc, test_listen_and_dial_errors);
	tcase_add_test(tc, test_udpconn_on_tcp_conn);
	suite_add_tcase(s, tc);

	tc = udp_tcase("deadlines");
	tcase_add_test(tc, test_read_deadline_past);
	tcase_add_test(tc, test_read_deadline_near);
	tcase_add_test(tc, test_read_deadline_cleared);
	tcase_add_test(tc, test_read_deadline_moved_while_blocked);
	suite_add_tcase(s, tc);

	tc = udp_tcase("close");
	tcase_add_test(tc, test_close_wakes_blocked_read_from);
	tcase_add_test(tc, test_close_wakes_blocked_read_connected);
	tcase_add_test(tc, test_close_wakes_blocked_read_from_by_shutdown);
	tcase_add_test(tc, test_close_wakes_blocked_read_connected_by_shutdown);
	tcase_add_test(tc, test_calls_after_close);
	tcase_add_test(tc, test_write_to_after_close_names_destination);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(udp_suite());
}
