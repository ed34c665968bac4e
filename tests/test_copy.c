/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_copy.c - rn_copy: a proxy over TCP, Pipe ends, deadlines and
 * errors.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

enum { BIG = 8 << 20 };

static char *pattern(size_t n)
{
	char *b = malloc(n);

	ck_assert_ptr_nonnull(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (char)(i * 131 + (i >> 9));
	return b;
}

struct job {
	rn_conn *dst, *src;
	int64_t copied;
	const char *buf;
	size_t n;
};

static void *copy_then_close_write(void *arg)
{
	struct job *j = arg;

	j->copied = rn_copy(j->dst, j->src);
	rn_tcpconn_close_write(j->dst);
	return NULL;
}

static void *write_then_close_write(void *arg)
{
	struct job *j = arg;

	j->copied = rn_conn_write(j->dst, j->buf, j->n);
	rn_tcpconn_close_write(j->dst);
	return NULL;
}

static void addr_of(rn_listener *l, char *buf, size_t n)
{
	rn_addr a = rn_listener_addr(l);
	rn_addr_string(&a, buf, n);
}

/* client -> proxy (rn_copy both ways) -> echo (rn_copy to itself) -> back. */
START_TEST(test_proxy_splices_byte_exact_and_propagates_eof)
{
	char a1[RN_ADDR_STRLEN], a2[RN_ADDR_STRLEN];
	rn_listener *l1 = rn_listen("tcp", "127.0.0.1:0"), *l2 = rn_listen("tcp", "127.0.0.1:0");
	rn_conn *client, *pc, *pu, *ec;
	struct job up, down, echo, writer;
	pthread_t tu, td, te, tw;
	char *buf = pattern(BIG), *back = malloc(BIG);
	size_t got = 0;

	ck_assert_ptr_nonnull(back);
	addr_of(l1, a1, sizeof(a1));
	addr_of(l2, a2, sizeof(a2));
	client = rn_dial("tcp", a1);
	pc = rn_listener_accept(l1);
	pu = rn_dial("tcp", a2);
	ec = rn_listener_accept(l2);
	ck_assert(client && pc && pu && ec);

	echo = (struct job){ ec, ec, 0, NULL, 0 };
	up = (struct job){ pu, pc, 0, NULL, 0 };
	down = (struct job){ pc, pu, 0, NULL, 0 };
	writer = (struct job){ client, NULL, 0, buf, BIG };
	pthread_create(&te, NULL, copy_then_close_write, &echo);
	pthread_create(&tu, NULL, copy_then_close_write, &up);
	pthread_create(&td, NULL, copy_then_close_write, &down);
	pthread_create(&tw, NULL, write_then_close_write, &writer);
	for (;;) {
		ssize_t r = rn_conn_read(client, back + got, BIG - got > 65536 ? 65536 : BIG - got + 1);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break; /* EOF travelled client -> proxy -> echo -> proxy -> client */
		got += (size_t)r;
		ck_assert_uint_le(got, BIG);
	}
	pthread_join(tw, NULL);
	pthread_join(tu, NULL);
	pthread_join(td, NULL);
	pthread_join(te, NULL);
	ck_assert_int_eq(writer.copied, BIG);
	ck_assert_int_eq(up.copied, BIG);
	ck_assert_int_eq(down.copied, BIG);
	ck_assert_int_eq(echo.copied, BIG);
	ck_assert_uint_eq(got, BIG);
	ck_assert_msg(memcmp(back, buf, BIG) == 0, "bytes differ after the proxy");
	free(buf);
	free(back);
	rn_conn_free(client);
	rn_conn_free(pc);
	rn_conn_free(pu);
	rn_conn_free(ec);
	rn_listener_free(l1);
	rn_listener_free(l2);
}
END_TEST

START_TEST(test_copy_stops_at_the_read_deadline)
{
	char a[RN_ADDR_STRLEN], e[512], want[512], l[RN_ADDR_STRLEN], r[RN_ADDR_STRLEN];
	rn_listener *ln = rn_listen("tcp", "127.0.0.1:0");
	rn_conn *c1, *s1, *c2, *s2;
	rn_addr x;

	addr_of(ln, a, sizeof(a));
	c1 = rn_dial("tcp", a);
	s1 = rn_listener_accept(ln);
	c2 = rn_dial("tcp", a);
	s2 = rn_listener_accept(ln);
	ck_assert_int_eq(rn_conn_write(c1, "abc", 3), 3);
	ck_assert_int_eq(rn_conn_set_read_deadline(s1, rn_now() + 50 * RN_MILLISECOND), 0);
	/* Three bytes move, then the source's deadline stops the copy. */
	ck_assert_int_eq(rn_copy(s2, s1), 3);
	ck_assert_int_eq(rn_last_error()->code, RN_ETIMEOUT);
	x = rn_conn_local_addr(s1);
	rn_addr_string(&x, l, sizeof(l));
	x = rn_conn_remote_addr(s1);
	rn_addr_string(&x, r, sizeof(r));
	/* The loop reports the failing Read's error (Go would wrap it once more in "readfrom"). */
	snprintf(want, sizeof(want), "read tcp %s->%s: i/o timeout", l, r);
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_str_eq(e, want);
	{
		char got[4] = { 0 };
		ck_assert_int_eq(rn_conn_read(c2, got, 3), 3);
		ck_assert_str_eq(got, "abc");
	}
	/* A source deadline already past: nothing moves. */
	ck_assert_int_eq(rn_copy(s2, s1), RN_ETIMEOUT);
	rn_conn_free(c1);
	rn_conn_free(s1);
	rn_conn_free(c2);
	rn_conn_free(s2);
	rn_listener_free(ln);
}
END_TEST

static void *pipe_writer(void *arg)
{
	struct job *j = arg;

	j->copied = rn_conn_write(j->dst, j->buf, j->n);
	rn_conn_close(j->dst);
	return NULL;
}

START_TEST(test_copy_between_pipes_uses_the_loop)
{
	rn_conn *a, *b, *c, *d;
	char *buf = pattern(100000), *back = malloc(100000);
	struct job w, cp;
	pthread_t tw, tc;
	size_t got = 0;

	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	ck_assert_int_eq(rn_pipe(&c, &d), 0);
	w = (struct job){ a, NULL, 0, buf, 100000 };
	cp = (struct job){ c, b, 0, NULL, 0 };
	pthread_create(&tw, NULL, pipe_writer, &w);
	pthread_create(&tc, NULL, copy_then_close_write, &cp);
	while (got < 100000) {
		ssize_t r = rn_conn_read(d, back + got, 100000 - got);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
	}
	pthread_join(tw, NULL);
	rn_conn_close(c);
	pthread_join(tc, NULL);
	ck_assert_int_eq(cp.copied, 100000);
	ck_assert(memcmp(buf, back, 100000) == 0);
	free(buf);
	free(back);
	rn_conn_free(a);
	rn_conn_free(b);
	rn_conn_free(c);
	rn_conn_free(d);
}
END_TEST

START_TEST(test_copy_misuse)
{
	rn_conn *a, *b;

	ck_assert_int_eq(rn_copy(NULL, NULL), -EINVAL);
	ck_assert_int_eq(rn_pipe(&a, &b), 0);
	ck_assert_int_eq(rn_copy(a, NULL), -EINVAL);
	rn_conn_close(a);
	/* The source's peer is closed: end of stream at once, as io.Copy. */
	ck_assert_int_eq(rn_copy(a, b), 0);
	/* The source itself is closed: its Read fails. */
	ck_assert_int_eq(rn_copy(b, a), RN_ECLOSEDPIPE);
	rn_conn_free(a);
	rn_conn_free(b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("copy");
	TCase *tc = tu_engine_tcase("copy");

	tcase_add_test(tc, test_proxy_splices_byte_exact_and_propagates_eof);
	tcase_add_test(tc, test_copy_stops_at_the_read_deadline);
	tcase_add_test(tc, test_copy_between_pipes_uses_the_loop);
	tcase_add_test(tc, test_copy_misuse);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
