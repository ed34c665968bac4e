/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_dial_parallel.c - Go's dialParallel ("Happy Eyeballs") for a
 * "tcp" dial to a name with IPv6 and IPv4 addresses.  Each case runs in a
 * child with a private mount namespace whose /etc/hosts names "dualhost"
 * as ::1 then 127.0.0.1 (nothing is looked up elsewhere).  A primary that
 * never answers is an IPv6 listener with backlog 0 whose accept queue is
 * already full: the kernel drops further SYNs, so connect just waits.
 * Needs CAP_SYS_ADMIN (mount namespace) and ::1 on lo; skipped otherwise.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

/* The child's /etc/hosts: "dualhost" is ::1, then 127.0.0.1. */
#define DUALHOST "::1 dualhost\n127.0.0.1 dualhost\n"

/* The case child_main runs (Check runs the tests one at a time). */
static int (*child_case)(void);

/* In the child: the private /etc/hosts, then the case. */
static int child_main(void)
{
	int rc = tu_private_hosts("test_dial_parallel", DUALHOST);

	return rc ? rc : child_case();
}

static void expect_child(int (*fn)(void))
{
	int rc;

	child_case = fn;
	rc = tu_run_child(child_main);
	if (rc == TU_SKIP)
		return;
	ck_assert_int_eq(rc, 0);
}

static bool remote_is(rn_conn *c, const char *want)
{
	rn_addr ra = rn_conn_remote_addr(c);
	char s[RN_ADDR_STRLEN];

	rn_addr_string(&ra, s, sizeof(s));
	if (strcmp(s, want) != 0) {
		printf("remote %s, want %s\n", s, want);
		return false;
	}
	return true;
}

/* Wait (up to 3 s) until the process is back to @fds descriptors: the loser cleaned up. */
static bool fds_settle(int fds)
{
	for (int i = 0; i < 300; i++) {
		if (tu_count_fds() == fds)
			return true;
		usleep(10000);
	}
	printf("fds: %d, want %d\n", tu_count_fds(), fds);
	return false;
}

/* The IPv6 primary never answers: the IPv4 fallback, started after the delay, wins. */
static int case_fallback_wins(void)
{
	int port = 0, filler, l6, l4, fds;
	rn_dialer d = { .timeout = 10 * RN_SECOND, .fallback_delay = 100 * RN_MILLISECOND };
	char addr[64];
	rn_conn *c;

	l6 = tu_silent_listener(AF_INET6, &port, &filler);
	l4 = tu_loopback_listener(AF_INET, &port, 16);
	if (l6 < 0 || l4 < 0) {
		printf("test_dial_parallel: skipped: no ::1 listener (%s)\n", strerror(errno));
		return TU_SKIP;
	}
	rn_engine_start(); /* this thread's ring: cancelling the loser reaches it through ours */
	fds = tu_count_fds();
	snprintf(addr, sizeof(addr), "dualhost:%d", port);
	c = rn_dialer_dial(&d, "tcp", addr);
	if (!c) {
		char e[256];

		rn_error_string(NULL, e, sizeof(e));
		printf("dial: %s\n", e);
		return 1;
	}
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	if (!remote_is(c, addr))
		return 2;
	rn_conn_free(c);
	/* The IPv6 racer was cancelled and closed its socket. */
	return fds_settle(fds) ? 0 : 3;
}

/* Without the parallel fallback the silent primary takes the whole deadline. */
static int case_serial_times_out(void)
{
	int port = 0, filler, l6, l4;
	rn_dialer d = { .timeout = 600 * RN_MILLISECOND, .fallback_delay = -1 };
	char addr[64], e[256], want[128];
	rn_conn *c;

	l6 = tu_silent_listener(AF_INET6, &port, &filler);
	l4 = tu_loopback_listener(AF_INET, &port, 16);
	if (l6 < 0 || l4 < 0)
		return TU_SKIP;
	snprintf(addr, sizeof(addr), "dualhost:%d", port);
	c = rn_dialer_dial(&d, "tcp", addr);
	if (c) {
		rn_conn_free(c);
		printf("serial dial succeeded past a silent primary\n");
		return 1;
	}
	rn_error_string(NULL, e, sizeof(e));
	snprintf(want, sizeof(want), "dial tcp [::1]:%d: i/o timeout", port);
	if (strcmp(e, want) != 0) {
		printf("error %s, want %s\n", e, want);
		return 2;
	}
	return 0;
}

/* A primary refused at once starts the fallback at once, long before the delay. */
static int case_primary_refused(void)
{
	int port = 0, l4;
	rn_dialer d = { .fallback_delay = 30 * RN_SECOND };
	char addr[64];
	rn_conn *c;

	l4 = tu_loopback_listener(AF_INET, &port, 16); /* nothing on [::1]:port */
	if (l4 < 0)
		return 1;
	snprintf(addr, sizeof(addr), "dualhost:%d", port);
	c = rn_dialer_dial(&d, "tcp", addr);
	if (!c)
		return 2; /* had the race waited the 30 s delay, ctest's timeout would say so */
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	if (!remote_is(c, addr))
		return 3;
	rn_conn_free(c);
	return 0;
}

/* Both families refuse: the primaries' error is the one reported, as in Go. */
static int case_both_fail(void)
{
	int port = 0, l4;
	char addr[64], e[256], want[128];
	rn_conn *c;

	l4 = tu_loopback_listener(AF_INET, &port, 16);
	close(l4); /* a port that was free a moment ago: nothing listens on either family */
	snprintf(addr, sizeof(addr), "dualhost:%d", port);
	c = rn_dial("tcp", addr);
	if (c) {
		rn_conn_free(c);
		return 1;
	}
	rn_error_string(NULL, e, sizeof(e));
	snprintf(want, sizeof(want), "dial tcp [::1]:%d: connect: connection refused", port);
	if (strcmp(e, want) != 0) {
		printf("error %s, want %s\n", e, want);
		return 2;
	}
	return 0;
}

/* "tcp6" (and "tcp4") never race: only "tcp" does, as in Go. */
static int case_tcp6_no_race(void)
{
	int port = 0, filler, l6;
	rn_dialer d = { .timeout = 400 * RN_MILLISECOND, .fallback_delay = 10 * RN_MILLISECOND };
	char addr[64];
	rn_conn *c;

	l6 = tu_silent_listener(AF_INET6, &port, &filler);
	if (l6 < 0)
		return TU_SKIP;
	snprintf(addr, sizeof(addr), "dualhost:%d", port);
	c = rn_dialer_dial(&d, "tcp6", addr);
	if (c) {
		rn_conn_free(c);
		return 1;
	}
	return rn_last_error()->code == RN_ETIMEOUT ? 0 : 2;
}

/* A context cancelled mid-race stops both racers. */
static int case_ctx_cancel(void)
{
	int port = 0, filler, l6, fds;
	rn_dialer d = { .fallback_delay = 10 * RN_MILLISECOND };
	rn_ctx *ctx;
	char addr[64], e[256];
	rn_conn *c;

	l6 = tu_silent_listener(AF_INET6, &port, &filler);
	if (l6 < 0)
		return TU_SKIP;
	/* IPv4 side: a silent address too (same trick is IPv6-only); use a filled v4 listener. */
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int l4 = tu_loopback_listener(AF_INET, &port, 0);
		int f4 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (l4 < 0)
			return TU_SKIP;
		a.sin_port = htons((uint16_t)port);
		if (connect(f4, (struct sockaddr *)&a, sizeof(a)) < 0)
			return 1;
		usleep(20000);
	}
	rn_engine_start();
	fds = tu_count_fds();
	ctx = rn_ctx_with_timeout(NULL, 300 * RN_MILLISECOND);
	snprintf(addr, sizeof(addr), "dualhost:%d", port);
	c = rn_dialer_dial_context(&d, ctx, "tcp", addr);
	rn_ctx_free(ctx);
	if (c) {
		rn_conn_free(c);
		return 2;
	}
	rn_error_string(NULL, e, sizeof(e));
	if (!strstr(e, "i/o timeout")) {
		printf("error %s\n", e);
		return 3;
	}
	return fds_settle(fds) ? 0 : 4;
}

START_TEST(fallback_wins) { expect_child(case_fallback_wins); }
END_TEST
START_TEST(serial_times_out) { expect_child(case_serial_times_out); }
END_TEST
START_TEST(primary_refused) { expect_child(case_primary_refused); }
END_TEST
START_TEST(both_fail) { expect_child(case_both_fail); }
END_TEST
START_TEST(tcp6_no_race) { expect_child(case_tcp6_no_race); }
END_TEST
START_TEST(ctx_cancel) { expect_child(case_ctx_cancel); }
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("dial_parallel");
	TCase *tc = tu_tcase("happy_eyeballs");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, fallback_wins);
	tcase_add_test(tc, serial_times_out);
	tcase_add_test(tc, primary_refused);
	tcase_add_test(tc, both_fail);
	tcase_add_test(tc, tcp6_no_race);
	tcase_add_test(tc, ctx_cancel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
