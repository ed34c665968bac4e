/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_pipe.c - Pipe: synchronous hand-off, Close, deadlines and the
 * errors, as Go's net/pipe.go (and golang.org/x/net/nettest's conformance
 * checks that Go runs on it).
 */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

struct io {
	rn_conn *c;
	char *buf;	  /* read into */
	const char *out;  /* write from */
	size_t n;
	ssize_t got;
	int code;
};

static void *read_all(void *arg)
{
	struct io *io = arg;
	size_t got = 0;

	while (got < io->n) {
		ssize_t k = rn_conn_read(io->c, io->buf + got, io->n - got < 7 ? io->n - got : 7);
		if (k <= 0) {
			io->code = (int)k;
			break;
		}
		got += (size_t)k;
	}
	io->got = (ssize_t)got;
	return NULL;
}

static void *write_one(void *arg)
{
	struct io *io = arg;

	io->got = rn_conn_write(io->c, io->out, io->n);
	io->code = io->got < (ssize_t)io->n ? rn_last_error()->code : 0;
	return NULL;
}

START_TEST(test_write_returns_when_reads_took_everything)
{
	rn_conn *a, *b;
	char msg[100], back[100];
	struct io r = { 0 };
	pthread_t t;

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	for (int i = 0; i < 100; i++)
		msg[i] = (char)i;
	r.c = b;
	r.buf = back;
	r.n = sizeof(back);
	ck_assert_int_eq(pthread_create(&t, NULL, read_all, &r), 0);
	/* Reads take 7 bytes at a time: the Write spans many of them. */
	ck_assert_int_eq(rn_conn_write(a, msg, sizeof(msg)), 100);
	pthread_join(t, NULL);
	ck_assert_int_eq(r.got, 100);
	ck_assert_mem_eq(back, msg, 100);
	rn_conn_free(a);
	rn_conn_free(b);
}
END_TEST

START_TEST(test_full_duplex)
{
	rn_conn *a, *b;
	char x[4] = { 0 }, y[4] = { 0 };
	struct io wa = { 0 }, wb = { 0 };
	pthread_t t1, t2;

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	wa.c = a;
	wa.out = "abc";
	wa.n = 3;
	wb.c = b;
	wb.out = "xyz";
	wb.n = 3;
	pthread_create(&t1, NULL, write_one, &wa);
	pthread_create(&t2, NULL, write_one, &wb);
	ck_assert_int_eq(rn_conn_read(b, x, 3), 3);
	ck_assert_int_eq(rn_conn_read(a, y, 3), 3);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	ck_assert_str_eq(x, "abc");
	ck_assert_str_eq(y, "xyz");
	rn_conn_free(a);
	rn_conn_free(b);
}
END_TEST

START_TEST(test_close_gives_eof_and_closed_pipe)
{
	rn_conn *a, *b;
	char c;
	char e[128];

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	ck_assert_int_eq(rn_conn_close(a), 0);
	ck_assert_int_eq(rn_conn_close(a), 0); /* Go: Close is idempotent */
	ck_assert_int_eq(rn_conn_read(b, &c, 1), 0); /* io.EOF */
	ck_assert_int_eq(rn_conn_write(b, "x", 1), RN_ECLOSEDPIPE);
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_str_eq(e, "io: read/write on closed pipe");
	ck_assert_int_eq(rn_conn_read(a, &c, 1), RN_ECLOSEDPIPE);
	ck_assert_int_eq(rn_conn_set_deadline(b, rn_now()), RN_ECLOSEDPIPE);
	rn_conn_free(a);
	rn_conn_free(b);
}
END_TEST

static rn_conn *closing;

static void *close_later(void *arg)
{
	(void)arg;
	usleep(30000);
	rn_conn_close(closing);
	return NULL;
}

START_TEST(test_close_wakes_blocked_read_and_write)
{
	rn_conn *a, *b;
	pthread_t t;
	char c;

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	closing = a;
	pthread_create(&t, NULL, close_later, NULL);
	ck_assert_int_eq(rn_conn_read(a, &c, 1), RN_ECLOSEDPIPE); /* local Close */
	pthread_join(t, NULL);
	rn_conn_free(a);
	rn_conn_free(b);

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	closing = b;
	pthread_create(&t, NULL, close_later, NULL);
	ck_assert_int_eq(rn_conn_write(a, "data", 4), RN_ECLOSEDPIPE); /* remote Close */
	pthread_join(t, NULL);
	rn_conn_free(a);
	rn_conn_free(b);
}
END_TEST

START_TEST(test_deadlines)
{
	rn_conn *a, *b;
	char c, e[128];
	rn_time t0;

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	ck_assert_int_eq(rn_conn_set_read_deadline(a, rn_now() - 1), 0);
	ck_assert_int_eq(rn_conn_read(a, &c, 1), RN_ETIMEOUT);
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_str_eq(e, "read pipe: i/o timeout");
	ck_assert(rn_error_timeout(NULL));

	ck_assert_int_eq(rn_conn_set_write_deadline(a, rn_now() + 40 * RN_MILLISECOND), 0);
	t0 = rn_now();
	ck_assert_int_eq(rn_conn_write(a, "x", 1), RN_ETIMEOUT);
	ck_assert_int_ge(rn_now() - t0, 30 * RN_MILLISECOND);
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_str_eq(e, "write pipe: i/o timeout");

	/* Cleared: the pipe works again. */
	ck_assert_int_eq(rn_conn_set_deadline(a, 0), 0);
	rn_conn_free(a);
	rn_conn_free(b);
}
END_TEST

static rn_conn *moving;

static void *deadline_later(void *arg)
{
	(void)arg;
	usleep(30000);
	rn_conn_set_read_deadline(moving, rn_now() - 1);
	return NULL;
}

START_TEST(test_deadline_moved_under_blocked_read)
{
	rn_conn *a, *b;
	pthread_t t;
	char c;

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	moving = a;
	pthread_create(&t, NULL, deadline_later, NULL);
	ck_assert_int_eq(rn_conn_read(a, &c, 1), RN_ETIMEOUT);
	pthread_join(t, NULL);
	rn_conn_free(a);
	rn_conn_free(b);
}
END_TEST

START_TEST(test_addresses_and_misuse)
{
	rn_conn *a, *b;
	rn_addr l;
	char s[16];

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	l = rn_conn_local_addr(a);
	ck_assert_int_eq(l.kind, RN_ADDR_PIPE);
	rn_addr_string(&l, s, sizeof(s));
	ck_assert_str_eq(s, "pipe");
	ck_assert_str_eq(rn_addr_network(&l), "pipe");
	ck_assert_int_eq(rn_conn_fd(a), -1);
	ck_assert_int_eq(rn_conn_file(a), -EINVAL);
	ck_assert_int_eq(rn_tcpconn_set_nodelay(a, true), -EINVAL);
	ck_assert_int_eq(rn_conn_read_from(a, &s, 1, NULL), -EINVAL);
	ck_assert_int_eq(rn_pipe(NULL, &b), -EINVAL);
	rn_conn_free(a);
	rn_conn_free(b);
}
END_TEST

START_TEST(test_zero_length_write_meets_a_read)
{
	rn_conn *a, *b;
	struct io w = { 0 };
	pthread_t t;
	char c;

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	w.c = a;
	w.out = "";
	w.n = 0;
	pthread_create(&t, NULL, write_one, &w);
	ck_assert_int_eq(rn_conn_read(b, &c, 1), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(w.got, 0);
	ck_assert_int_eq(w.code, 0);
	rn_conn_free(a);
	rn_conn_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("pipe");
	TCase *tc = tu_tcase("pipe");

	tcase_add_test(tc, test_write_returns_when_reads_took_everything);
	tcase_add_test(tc, test_full_duplex);
	tcase_add_test(tc, test_close_gives_eof_and_closed_pipe);
	tcase_add_test(tc, test_close_wakes_blocked_read_and_write);
	tcase_add_test(tc, test_deadlines);
	tcase_add_test(tc, test_deadline_moved_under_blocked_read);
	tcase_add_test(tc, test_addresses_and_misuse);
	tcase_add_test(tc, test_zero_length_write_meets_a_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
