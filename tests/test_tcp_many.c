/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_tcp_many.c - 1,000 TCP connections open at once on loopback,
 * served by a few threads, every byte checked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

enum { CONNS = 1000, THREADS = 8, PER = CONNS / THREADS, ROUNDS = 3 };

static rn_conn *clients[CONNS], *servers[CONNS];

/* Each request names its connection and round, so a crossed wire shows. */
static void request(int i, int round, char out[16])
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "c%04d r%d ..........", i % 10000, round % 10);
	memcpy(out, tmp, 16);
}

static void *client_thread(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int round = 0; round < ROUNDS; round++) {
		/* All of this thread's connections have a request in flight at once. */
		for (int i = t * PER; i < (t + 1) * PER; i++) {
			char req[16];
			request(i, round, req);
			if (rn_conn_write(clients[i], req, 16) != 16)
				return (void *)1;
		}
		for (int i = t * PER; i < (t + 1) * PER; i++) {
			char req[16], got[16];
			size_t n = 0;

			request(i, round, req);
			while (n < 16) {
				ssize_t r = rn_conn_read(clients[i], got + n, 16 - n);
				if (r <= 0)
					return (void *)2;
				n += (size_t)r;
			}
			if (memcmp(got, req, 16) != 0)
				return (void *)3;
		}
	}
	return NULL;
}

static void *server_thread(void *arg)
{
	int t = (int)(intptr_t)arg;

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = t * PER; i < (t + 1) * PER; i++) {
			char buf[16];
			size_t n = 0;

			while (n < 16) {
				ssize_t r = rn_conn_read(servers[i], buf + n, 16 - n);
				if (r <= 0)
					return (void *)4;
				n += (size_t)r;
			}
			if (rn_conn_write(servers[i], buf, 16) != 16)
				return (void *)5;
		}
	}
	return NULL;
}

START_TEST(test_thousand_connections_byte_exact)
{
	struct rlimit rl;
	char a[RN_ADDR_STRLEN];
	rn_listener *l;
	rn_addr la;
	pthread_t ct[THREADS], st[THREADS];

	/* Two descriptors per connection, plus the rings: raise the soft limit. */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 2 * CONNS + 100) {
		printf("test_thousand_connections: skipped: RLIMIT_NOFILE hard limit %lu < %d\n",
		       (unsigned long)rl.rlim_max, 2 * CONNS + 100);
		return;
	}
	if (rl.rlim_cur < 2 * CONNS + 100) {
		rl.rlim_cur = 2 * CONNS + 100;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	l = rn_listen("tcp", "127.0.0.1:0");
	ck_assert_ptr_nonnull(l);
	la = rn_listener_addr(l);
	rn_addr_string(&la, a, sizeof(a));
	for (int i = 0; i < CONNS; i++) {
		clients[i] = rn_dial("tcp", a);
		ck_assert_msg(clients[i] != NULL, "dial %d failed", i);
		servers[i] = rn_listener_accept(l);
		ck_assert_msg(servers[i] != NULL, "accept %d failed", i);
	}
	for (int t = 0; t < THREADS; t++) {
		pthread_create(&ct[t], NULL, client_thread, (void *)(intptr_t)t);
		pthread_create(&st[t], NULL, server_thread, (void *)(intptr_t)t);
	}
	for (int t = 0; t < THREADS; t++) {
		void *rc1, *rc2;
		pthread_join(ct[t], &rc1);
		pthread_join(st[t], &rc2);
		ck_assert_msg(rc1 == NULL && rc2 == NULL, "thread %d: client %ld server %ld", t,
			      (long)(intptr_t)rc1, (long)(intptr_t)rc2);
	}
	for (int i = 0; i < CONNS; i++) {
		rn_conn_free(clients[i]);
		rn_conn_free(servers[i]);
	}
	rn_listener_free(l);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tcp_many");
	TCase *tc = tu_engine_tcase("many");

	tcase_add_test(tc, test_thousand_connections_byte_exact);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
