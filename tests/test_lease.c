/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_lease.c - zero-copy reads: leases from the thread's provided
 * buffer ring, the fallback when every buffer is out, and release rules.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

struct pair {
	rn_listener *l;
	rn_conn *a, *b;
};

static void open_pair(struct pair *p)
{
	char s[RN_ADDR_STRLEN];
	rn_addr x;

	p->l = rn_listen("tcp", "127.0.0.1:0");
	ck_assert_ptr_nonnull(p->l);
	x = rn_listener_addr(p->l);
	rn_addr_string(&x, s, sizeof(s));
	p->a = rn_dial("tcp", s);
	p->b = rn_listener_accept(p->l);
	ck_assert(p->a && p->b);
}

static void close_pair(struct pair *p)
{
	rn_conn_free(p->a);
	rn_conn_free(p->b);
	rn_listener_free(p->l);
}

START_TEST(test_lease_comes_from_the_buffer_ring)
{
	struct pair p;
	rn_lease l;

	open_pair(&p);
	ck_assert_int_eq(rn_conn_write(p.a, "hello lease", 11), 11);
	ck_assert_int_eq(rn_conn_read_lease(p.b, &l), 11);
	ck_assert_mem_eq(l.data, "hello lease", 11);
	ck_assert_uint_eq(l.len, 11);
	/* This kernel registers buffer rings: the bytes were not copied. */
	ck_assert_msg(rn_engine_features() & RN_ENGINE_BUF_RING, "features %#x", rn_engine_features());
	ck_assert_ptr_nonnull(l.priv_owner);
	ck_assert_ptr_null(l.priv_heap);
	ck_assert_int_eq(rn_lease_release(&l), 0);
	ck_assert_int_eq(rn_lease_release(&l), 0); /* released twice: harmless */
	close_pair(&p);
}
END_TEST

START_TEST(test_all_buffers_out_falls_back_without_losing_data)
{
	enum { MAX = 4096 }; /* far more than the ring holds */
	static rn_lease ls[MAX];
	struct pair p;
	char msg[32];
	int n = 0;

	open_pair(&p);
	/* Hold every lease until one comes from memory of ringnet's own. */
	while (n < MAX) {
		snprintf(msg, sizeof(msg), "chunk %04d", n);
		ck_assert_int_eq(rn_conn_write(p.a, msg, 10), 10);
		/* One read per chunk: wait until it is there before the next. */
		ck_assert_int_eq(rn_conn_read_lease(p.b, &ls[n]), 10);
		ck_assert_mem_eq(ls[n].data, msg, 10);
		if (ls[n++].priv_heap)
			break;
	}
	ck_assert_ptr_nonnull(ls[0].priv_owner);
	ck_assert_msg(ls[n - 1].priv_heap != NULL, "%d leases and the ring never ran dry", n);
	ck_assert_int_gt(n, 16);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(rn_lease_release(&ls[i]), 0);
	/* The buffers are back: the next lease is from the ring again. */
	ck_assert_int_eq(rn_conn_write(p.a, "again", 5), 5);
	ck_assert_int_eq(rn_conn_read_lease(p.b, &ls[0]), 5);
	ck_assert_ptr_nonnull(ls[0].priv_owner);
	rn_lease_release(&ls[0]);
	close_pair(&p);
}
END_TEST

struct writer {
	rn_conn *c;
	const char *buf;
	size_t n;
};

static void *write_all(void *arg)
{
	struct writer *w = arg;

	rn_conn_write(w->c, w->buf, w->n);
	rn_tcpconn_close_write(w->c);
	return NULL;
}

START_TEST(test_stream_through_leases_byte_exact)
{
	enum { SZ = 4 << 20 };
	char *buf = malloc(SZ);
	size_t got = 0;
	struct writer w;
	struct pair p;
	pthread_t t;

	ck_assert_ptr_nonnull(buf);
	for (size_t i = 0; i < SZ; i++)
		buf[i] = (char)(i * 29 + (i >> 11));
	open_pair(&p);
	w = (struct writer){ p.a, buf, SZ };
	pthread_create(&t, NULL, write_all, &w);
	for (;;) {
		rn_lease l;
		ssize_t n = rn_conn_read_lease(p.b, &l);

		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		ck_assert_uint_le(got + (size_t)n, SZ);
		ck_assert_msg(memcmp(l.data, buf + got, (size_t)n) == 0, "bytes differ at %zu", got);
		got += (size_t)n;
		ck_assert_int_eq(rn_lease_release(&l), 0);
	}
	pthread_join(t, NULL);
	ck_assert_uint_eq(got, SZ);
	free(buf);
	close_pair(&p);
}
END_TEST

static rn_lease foreign;
static int foreign_rc;

static void *release_elsewhere(void *arg)
{
	(void)arg;
	foreign_rc = rn_lease_release(&foreign);
	return NULL;
}

START_TEST(test_release_on_another_thread_is_refused)
{
	struct pair p;
	pthread_t t;

	open_pair(&p);
	ck_assert_int_eq(rn_conn_write(p.a, "x", 1), 1);
	ck_assert_int_eq(rn_conn_read_lease(p.b, &foreign), 1);
	pthread_create(&t, NULL, release_elsewhere, NULL);
	pthread_join(t, NULL);
	ck_assert_int_eq(foreign_rc, -EINVAL);
	ck_assert_int_eq(foreign.len, 1); /* still leased */
	ck_assert_int_eq(rn_lease_release(&foreign), 0);
	close_pair(&p);
}
END_TEST

START_TEST(test_eof_deadline_and_misuse)
{
	struct pair p;
	rn_lease l;
	char e[256];
	rn_conn *u;

	open_pair(&p);
	ck_assert_int_eq(rn_conn_set_read_deadline(p.b, rn_now() + 30 * RN_MILLISECOND), 0);
	ck_assert_int_eq(rn_conn_read_lease(p.b, &l), RN_ETIMEOUT);
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_msg(strncmp(e, "read tcp 127.0.0.1:", 19) == 0 && strstr(e, ": i/o timeout"), "%s", e);
	ck_assert_ptr_null(l.data);
	ck_assert_int_eq(rn_conn_set_read_deadline(p.b, 0), 0);
	rn_conn_close(p.a);
	ck_assert_int_eq(rn_conn_read_lease(p.b, &l), 0); /* end of stream */
	ck_assert_int_eq(rn_lease_release(&l), 0);
	ck_assert_int_eq(rn_conn_read_lease(NULL, &l), -EINVAL);
	ck_assert_int_eq(rn_conn_read_lease(p.b, NULL), -EINVAL);
	ck_assert_int_eq(rn_lease_release(NULL), -EINVAL);
	u = rn_listen_packet("udp", "127.0.0.1:0");
	ck_assert_int_eq(rn_conn_read_lease(u, &l), -EINVAL);
	rn_conn_free(u);
	rn_conn_close(p.b);
	ck_assert_int_eq(rn_conn_read_lease(p.b, &l), RN_ECLOSED);
	close_pair(&p);
}
END_TEST

static rn_conn *to_close;

static void *close_later(void *arg)
{
	(void)arg;
	usleep(30000);
	rn_conn_close(to_close);
	return NULL;
}

START_TEST(test_close_from_another_thread_wakes_a_lease_read)
{
	struct pair p;
	rn_lease l;
	pthread_t t;

	open_pair(&p);
	to_close = p.b;
	pthread_create(&t, NULL, close_later, NULL);
	ck_assert_int_eq(rn_conn_read_lease(p.b, &l), RN_ECLOSED);
	pthread_join(t, NULL);
	close_pair(&p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("lease");
	TCase *tc = tu_engine_tcase("lease");

	tcase_add_test(tc, test_lease_comes_from_the_buffer_ring);
	tcase_add_test(tc, test_all_buffers_out_falls_back_without_losing_data);
	tcase_add_test(tc, test_stream_through_leases_byte_exact);
	tcase_add_test(tc, test_release_on_another_thread_is_refused);
	tcase_add_test(tc, test_eof_deadline_and_misuse);
	tcase_add_test(tc, test_close_from_another_thread_wakes_a_lease_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
