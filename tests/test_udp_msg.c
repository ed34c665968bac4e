/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_udp_msg.c - UDPConn.ReadMsgUDP and WriteMsgUDP as Go's: the
 * IP_PKTINFO / IPV6_PKTINFO destination arriving in the control data,
 * control data sent with WriteMsgUDP, MSG_TRUNC and MSG_CTRUNC, empty
 * datagrams, Go's address rules (an address on a dialed conn is
 * ErrWriteToConnected, none on an unconnected one "missing address"), error
 * texts, deadlines, Close from another thread, and -EINVAL on conns that
 * are not UDP.
 *
 * Only loopback addresses (127.0.0.1, ::1) are used.
 */
#define _GNU_SOURCE /* struct in6_pktinfo */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static const char *last_error(void)
{
	static char buf[2048];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

static void assert_error(const char *want)
{
	ck_assert_str_eq(last_error(), want);
}

static const char *astr(rn_addr a, char buf[RN_ADDR_STRLEN])
{
	rn_addr_string(&a, buf, RN_ADDR_STRLEN);
	return buf;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void guard(rn_conn *c)
{
	ck_assert_int_eq(rn_conn_set_read_deadline(c, rn_time_add(rn_now(), 5 * RN_SECOND)), 0);
}

/* A listener on @network/@address and a conn dialed to it. */
static void pair(const char *network, const char *address, rn_conn **l, rn_conn **c)
{
	char text[RN_ADDR_STRLEN];

	*l = rn_listen_packet(network, address);
	ck_assert_msg(*l != NULL, "listen: %s", last_error());
	*c = rn_dial(network, astr(rn_conn_local_addr(*l), text));
	ck_assert_msg(*c != NULL, "dial: %s", last_error());
	guard(*l);
	guard(*c);
}

static bool find_pktinfo4(const void *oob, size_t oobn, struct in_pktinfo *pi)
{
	struct msghdr msg;

	memset(&msg, 0, sizeof msg);
	msg.msg_control = (void *)(uintptr_t)oob;
	msg.msg_controllen = oobn;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			memcpy(pi, CMSG_DATA(cm), sizeof(*pi));
			return true;
		}
	}
	return false;
}

START_TEST(test_pktinfo4)
{
	uint8_t oob[256] __attribute__((aligned(8)));
	char buf[64], a1[RN_ADDR_STRLEN], a2[RN_ADDR_STRLEN];
	struct in_pktinfo pi;
	rn_udpaddr from;
	size_t oobn = 99;
	int one = 1, flags = 99;
	rn_conn *l, *c;
	rn_addr fa;

	pair("udp4", "127.0.0.1:0", &l, &c);
	ck_assert_int_eq(setsockopt(rn_conn_fd(l), IPPROTO_IP, IP_PKTINFO, &one, sizeof one), 0);

	/* A dialed conn sends with no address. */
	ck_assert_int_eq(rn_udpconn_write_msg_udp(c, "hello", 5, NULL, 0, NULL), 5);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(l, buf, sizeof buf, oob, sizeof oob, &oobn, &flags,
						 &from), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert_int_eq(flags, 0);
	ck_assert_uint_gt(oobn, 0);
	ck_assert(find_pktinfo4(oob, oobn, &pi));
	ck_assert_uint_eq(ntohl(pi.ipi_addr.s_addr), INADDR_LOOPBACK); /* the destination */
	ck_assert_int_gt(pi.ipi_ifindex, 0);
	fa = rn_addr_from_udp(&from);
	ck_assert_str_eq(astr(fa, a1), astr(rn_conn_local_addr(c), a2));

	/* The listener answers to the sender, choosing its source with IP_PKTINFO. */
	{
		uint8_t soob[CMSG_SPACE(sizeof(struct in_pktinfo))] __attribute__((aligned(8)));
		struct cmsghdr *cm = (struct cmsghdr *)soob;
		struct in_pktinfo spi;
		rn_udpaddr back;

		memset(soob, 0, sizeof soob);
		memset(&spi, 0, sizeof spi);
		spi.ipi_spec_dst.s_addr = htonl(INADDR_LOOPBACK);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof spi);
		memcpy(CMSG_DATA(cm), &spi, sizeof spi);
		ck_assert_int_eq(rn_udpconn_write_msg_udp(l, "world!", 6, soob, sizeof soob, &from), 6);
		ck_assert_int_eq(rn_udpconn_read_msg_udp(c, buf, sizeof buf, NULL, 0, &oobn, &flags,
							 &back), 6);
		ck_assert_int_eq(memcmp(buf, "world!", 6), 0);
		ck_assert_uint_eq(oobn, 0);
		fa = rn_addr_from_udp(&back);
		ck_assert_str_eq(astr(fa, a1), astr(rn_conn_local_addr(l), a2));
	}
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

START_TEST(test_trunc_flags)
{
	uint8_t oob[256] __attribute__((aligned(8)));
	char big[100], buf[64];
	size_t oobn;
	int one = 1, flags;
	rn_conn *l, *c;

	pair("udp4", "127.0.0.1:0", &l, &c);
	memset(big, 'z', sizeof big);

	/* A short buffer: cut, MSG_TRUNC. */
	ck_assert_int_eq(rn_conn_write(c, big, sizeof big), (ssize_t)sizeof big);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(l, buf, 10, NULL, 0, &oobn, &flags, NULL), 10);
	ck_assert(flags & MSG_TRUNC);
	ck_assert_uint_eq(oobn, 0);

	/* The whole datagram: no flags. */
	ck_assert_int_eq(rn_conn_write(c, big, 40), 40);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(l, buf, sizeof buf, NULL, 0, &oobn, &flags, NULL), 40);
	ck_assert_int_eq(flags, 0);

	/* Control data with too little room: MSG_CTRUNC. */
	ck_assert_int_eq(setsockopt(rn_conn_fd(l), IPPROTO_IP, IP_PKTINFO, &one, sizeof one), 0);
	ck_assert_int_eq(rn_conn_write(c, "x", 1), 1);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(l, buf, sizeof buf, oob, sizeof(struct cmsghdr), &oobn,
						 &flags, NULL), 1);
	ck_assert(flags & MSG_CTRUNC);

	/* An empty datagram is a read of 0. */
	ck_assert_int_eq(rn_udpconn_write_msg_udp(c, NULL, 0, NULL, 0, NULL), 0);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(l, buf, sizeof buf, oob, sizeof oob, &oobn, &flags,
						 NULL), 0);
	ck_assert_int_eq(flags, 0);
	ck_assert_uint_gt(oobn, 0);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 sin6;
	int s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (s < 0)
		return false;
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(s, (struct sockaddr *)&sin6, sizeof sin6) == 0;
	close(s);
	return ok;
}

START_TEST(test_pktinfo6)
{
	uint8_t oob[256] __attribute__((aligned(8)));
	char buf[64], a1[RN_ADDR_STRLEN];
	struct msghdr msg;
	rn_udpaddr from;
	size_t oobn;
	int one = 1, flags;
	bool found = false;
	rn_conn *l, *c;

	if (!have_ipv6_loopback()) {
		printf("SKIP %s: ::1 unavailable\n", __func__);
		return;
	}
	pair("udp6", "[::1]:0", &l, &c);
	ck_assert_int_eq(setsockopt(rn_conn_fd(l), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one), 0);
	ck_assert_int_eq(rn_conn_write(c, "six", 3), 3);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(l, buf, sizeof buf, oob, sizeof oob, &oobn, &flags,
						 &from), 3);
	ck_assert_int_eq(flags, 0);
	memset(&msg, 0, sizeof msg);
	msg.msg_control = oob;
	msg.msg_controllen = oobn;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof pi);
			ck_assert(IN6_IS_ADDR_LOOPBACK(&pi.ipi6_addr));
			found = true;
		}
	}
	ck_assert(found);
	ck_assert_int_eq(from.ip.len, 16);
	{
		rn_addr fa = rn_addr_from_udp(&from);
		char a2[RN_ADDR_STRLEN];

		ck_assert_str_eq(astr(fa, a1), astr(rn_conn_local_addr(c), a2));
	}
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

START_TEST(test_error_texts)
{
	char buf[64], want[512], la[RN_ADDR_STRLEN], ca[RN_ADDR_STRLEN];
	rn_udpaddr to, v6;
	rn_conn *l, *c;

	pair("udp4", "127.0.0.1:0", &l, &c);
	astr(rn_conn_local_addr(l), la);
	astr(rn_conn_local_addr(c), ca);
	memset(&to, 0, sizeof to);
	to.ip = rn_parse_ip("127.0.0.1");
	to.port = 9;
	memset(&v6, 0, sizeof v6);
	v6.ip = rn_parse_ip("::1");
	v6.port = 9;

	/* An address on a dialed conn. */
	ck_assert_int_eq(rn_udpconn_write_msg_udp(c, "x", 1, NULL, 0, &to), RN_EWRITETOCONNECTED);
	snprintf(want, sizeof want,
		 "write udp4 %s->127.0.0.1:9: use of WriteTo with pre-connected connection", ca);
	assert_error(want);

	/* No address on an unconnected one. */
	ck_assert_int_eq(rn_udpconn_write_msg_udp(l, "x", 1, NULL, 0, NULL), RN_EMISSINGADDR);
	snprintf(want, sizeof want, "write udp4 %s: missing address", la);
	assert_error(want);

	/* The wrong family. */
	ck_assert_int_eq(rn_udpconn_write_msg_udp(l, "x", 1, NULL, 0, &v6), RN_EADDR);
	snprintf(want, sizeof want, "write udp4 %s->[::1]:9: address ::1: non-IPv4 address", la);
	assert_error(want);

	/* Deadlines: one already past fails at once. */
	ck_assert_int_eq(rn_conn_set_read_deadline(l, rn_time_add(rn_now(), -RN_SECOND)), 0);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(l, buf, sizeof buf, NULL, 0, NULL, NULL, NULL),
			 RN_ETIMEOUT);
	snprintf(want, sizeof want, "read udp4 %s: i/o timeout", la);
	assert_error(want);
	ck_assert_int_eq(rn_conn_set_read_deadline(c, rn_time_add(rn_now(), 30 * RN_MILLISECOND)), 0);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(c, buf, sizeof buf, NULL, 0, NULL, NULL, NULL),
			 RN_ETIMEOUT);
	snprintf(want, sizeof want, "read udp4 %s->%s: i/o timeout", ca, la);
	assert_error(want);
	ck_assert_int_eq(rn_conn_set_write_deadline(l, rn_time_add(rn_now(), -RN_SECOND)), 0);
	ck_assert_int_eq(rn_udpconn_write_msg_udp(l, "x", 1, NULL, 0, &to), RN_ETIMEOUT);
	snprintf(want, sizeof want, "write udp4 %s->127.0.0.1:9: i/o timeout", la);
	assert_error(want);

	/* After Close. */
	ck_assert_int_eq(rn_conn_close(l), 0);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(l, buf, sizeof buf, NULL, 0, NULL, NULL, NULL),
			 RN_ECLOSED);
	snprintf(want, sizeof want, "read udp4 %s: use of closed network connection", la);
	assert_error(want);
	ck_assert_int_eq(rn_udpconn_write_msg_udp(l, "x", 1, NULL, 0, &to), RN_ECLOSED);
	snprintf(want, sizeof want, "write udp4 %s->127.0.0.1:9: use of closed network connection", la);
	assert_error(want);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

START_TEST(test_not_udp_conn)
{
	rn_udpaddr from, to;
	rn_conn *a, *b;
	char buf[8];
	size_t oobn = 5;
	int flags = 5;

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(a, buf, sizeof buf, NULL, 0, &oobn, &flags, &from),
			 -EINVAL);
	ck_assert_uint_eq(oobn, 0);
	ck_assert_int_eq(flags, 0);
	memset(&to, 0, sizeof to);
	to.ip = rn_parse_ip("127.0.0.1");
	to.port = 9;
	ck_assert_int_eq(rn_udpconn_write_msg_udp(a, "x", 1, NULL, 0, &to), -EINVAL);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(NULL, buf, sizeof buf, NULL, 0, NULL, NULL, NULL),
			 -EINVAL);
	ck_assert_int_eq(rn_udpconn_write_msg_udp(NULL, "x", 1, NULL, 0, &to), -EINVAL);
	rn_conn_free(a);
	rn_conn_free(b);

	a = rn_listen_packet("unixgram", "");
	if (a) {
		ck_assert_int_eq(rn_udpconn_read_msg_udp(a, buf, sizeof buf, NULL, 0, NULL, NULL, NULL),
				 -EINVAL);
		ck_assert_int_eq(rn_udpconn_write_msg_udp(a, "x", 1, NULL, 0, &to), -EINVAL);
		rn_conn_free(a);
	}
}
END_TEST

struct closer {
	rn_conn *c;
	atomic_int rc;
};

static void *closer_thread(void *arg)
{
	struct closer *k = arg;

	sleep_ms(150);
	atomic_store(&k->rc, rn_conn_close(k->c));
	return NULL;
}

START_TEST(test_close_unblocks_read_msg)
{
	uint8_t oob[64] __attribute__((aligned(8)));
	struct closer k;
	pthread_t t;
	char buf[16];
	size_t oobn = 3;
	int flags = 3;

	k.c = rn_listen_packet("udp4", "127.0.0.1:0");
	ck_assert_msg(k.c != NULL, "%s", last_error());
	atomic_init(&k.rc, 1);
	guard(k.c);
	ck_assert_int_eq(pthread_create(&t, NULL, closer_thread, &k), 0);
	ck_assert_int_eq(rn_udpconn_read_msg_udp(k.c, buf, sizeof buf, oob, sizeof oob, &oobn, &flags,
						 NULL), RN_ECLOSED);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(atomic_load(&k.rc), 0);
	ck_assert_uint_eq(oobn, 0);
	ck_assert_int_eq(flags, 0);
	rn_conn_free(k.c);
}
END_TEST

/* Many datagrams through a reader thread, each with its control message. */
struct reader {
	rn_conn *l;
	int want;
	atomic_int got, bad;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	uint8_t oob[128] __attribute__((aligned(8)));
	char buf[32];

	for (int i = 0; i < r->want; i++) {
		struct in_pktinfo pi;
		size_t oobn;
		int flags;
		ssize_t n = rn_udpconn_read_msg_udp(r->l, buf, sizeof buf, oob, sizeof oob, &oobn,
						    &flags, NULL);

		if (n < 0)
			break;
		if (n != 4 || flags != 0 || !find_pktinfo4(oob, oobn, &pi))
			atomic_fetch_add(&r->bad, 1);
		atomic_fetch_add(&r->got, 1);
	}
	return NULL;
}

START_TEST(test_reader_thread)
{
	struct reader r;
	pthread_t t;
	int one = 1;
	rn_conn *l, *c;

	pair("udp4", "127.0.0.1:0", &l, &c);
	ck_assert_int_eq(setsockopt(rn_conn_fd(l), IPPROTO_IP, IP_PKTINFO, &one, sizeof one), 0);
	r.l = l;
	r.want = 200;
	atomic_init(&r.got, 0);
	atomic_init(&r.bad, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, reader_thread, &r), 0);
	for (int i = 0; i < r.want; i++) {
		ck_assert_int_eq(rn_udpconn_write_msg_udp(c, "ping", 4, NULL, 0, NULL), 4);
		if (i % 32 == 31)
			sleep_ms(1); /* let the reader keep up: loopback drops on overflow */
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(atomic_load(&r.got), r.want);
	ck_assert_int_eq(atomic_load(&r.bad), 0);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

static Suite *udp_msg_suite(void)
{
	Suite *s = suite_create("udp_msg");
	TCase *tc;

	tc = tu_engine_tcase("msg");
	tcase_add_test(tc, test_pktinfo4);
	tcase_add_test(tc, test_trunc_flags);
	tcase_add_test(tc, test_pktinfo6);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("errors");
	tcase_add_test(tc, test_error_texts);
	tcase_add_test(tc, test_not_udp_conn);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("threads");
	tcase_add_test(tc, test_close_unblocks_read_msg);
	tcase_add_test(tc, test_reader_thread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(udp_msg_suite());
}
