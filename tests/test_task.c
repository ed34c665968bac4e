/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_task.c - tasks (<ringnet/task.h>) through the public API:
 * spawn order and rn_yield, rn_go from a task, rn_run's results, rn_sleep
 * parking, and every blocking call parking its task while the thread's
 * other tasks run: Accept, Dial (also Happy Eyeballs), Read, Write on a
 * full socket buffer, queued Writes, UDP ReadFrom/WriteTo, ipv4 ReadBatch,
 * Pipe, two Reads of one conn; deadlines, Close from a task and from a
 * thread, and a context cancelled from a thread waking parked calls; plain
 * calls after tasks; stack sizes, the guard page, and no fd or stack
 * mapping left behind.
 *
 * A call that blocked the thread instead of parking would stop the other
 * tasks, so most tests are arranged such that the blocked task can only
 * finish if another task of the same thread runs meanwhile: a regression
 * shows as an order mismatch or as a hang caught by the test timeout.
 * Every test runs under the fd-leak fixture with the thread's engine
 * stopped around the count.  Only loopback is used.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/engine.h>
#include <ringnet/ipv4.h>
#include <ringnet/net.h>
#include <ringnet/task.h>

#include "testutil.h"

/* ---- helpers ------------------------------------------------------------------- */

static long ms_since(int64_t t0)
{
	return (long)((tu_mono_ns() - t0) / 1000000);
}

/*
 * The trace: tasks append words in the order they do things.  Tasks of one
 * thread never run at the same time, so no lock is needed.
 */
static char trace[1024];

static void trace_reset(void)
{
	trace[0] = '\0';
}

static void mark(const char *word)
{
	size_t n = strlen(trace);

	snprintf(trace + n, sizeof trace - n, "%s%s", n ? " " : "", word);
}

/*
 * A task that ticks every 2 ms until told to stop: if it ticked while
 * another task waited, that wait parked the task, not the thread.
 */
struct ticker {
	bool stop;
	int ticks;
};

static void ticker_task(void *arg)
{
	struct ticker *t = arg;

	while (!t->stop) {
		t->ticks++;
		rn_sleep(2 * RN_MILLISECOND);
	}
}

/* A TCP listener on 127.0.0.1:0; @addr gets the address it got. */
static rn_listener *listen_loopback(char addr[RN_ADDR_STRLEN])
{
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");

	ck_assert_ptr_nonnull(l);
	tu_addr_str(rn_listener_addr(l), addr);
	return l;
}

static uint8_t pattern_byte(size_t i)
{
	return (uint8_t)(i * 131 + (i >> 9) * 7 + 1);
}

/* ---- scheduling ------------------------------------------------------------------ */

struct rr {
	const char *name;
	int rounds;
};

static void rr_task(void *arg)
{
	struct rr *r = arg;

	ck_assert(rn_in_task());
	for (int i = 0; i < r->rounds; i++) {
		mark(r->name);
		rn_yield();
	}
}

START_TEST(test_spawn_order_and_yield)
{
	struct rr a = { "A", 3 }, b = { "B", 2 }, c = { "C", 3 };

	trace_reset();
	ck_assert(!rn_in_task());
	ck_assert_uint_eq(rn_task_count(), 0);
	tu_go(rr_task, &a);
	tu_go(rr_task, &b);
	tu_go(rr_task, &c);
	/* Started, not run: a task first runs inside rn_run. */
	ck_assert_uint_eq(rn_task_count(), 3);
	ck_assert_str_eq(trace, "");
	tu_run();
	/* Spawn order, then each yield sends the task to the back of the queue. */
	ck_assert_str_eq(trace, "A B C A B C A C");
	ck_assert(!rn_in_task());
}
END_TEST

static char name_g[] = "G", name_c2[] = "C2";

static void child_task(void *arg)
{
	mark(arg);
}

static void spawner_child(void *arg)
{
	(void)arg;
	mark("C1");
	tu_go(child_task, name_g);
}

static void parent_task(void *arg)
{
	(void)arg;
	mark("P1");
	tu_go(spawner_child, NULL);
	tu_go(child_task, name_c2);
	ck_assert_uint_eq(rn_task_count(), 3);
	rn_yield();
	mark("P2");
}

START_TEST(test_go_from_task)
{
	trace_reset();
	tu_go(parent_task, NULL);
	tu_run();
	/* Children queue behind their parent; the grandchild behind everyone ready. */
	ck_assert_str_eq(trace, "P1 C1 C2 P2 G");
}
END_TEST

static void *run_on_fresh_thread(void *arg)
{
	int *rc = arg;

	rc[0] = rn_run();
	rc[1] = (int)rn_task_count();
	rc[2] = rn_in_task();
	rn_yield(); /* a no-op outside a task */
	return NULL;
}

START_TEST(test_run_without_tasks)
{
	int rc[3] = { -1, -1, -1 };

	/* With an engine and no task, and on a thread that never had an engine. */
	ck_assert_int_eq(rn_run(), 0);
	ck_assert_int_eq(rn_run(), 0);
	tu_thread_join(tu_thread_start(run_on_fresh_thread, rc));
	ck_assert_int_eq(rc[0], 0);
	ck_assert_int_eq(rc[1], 0);
	ck_assert_int_eq(rc[2], 0);
}
END_TEST

static void nested_run_task(void *arg)
{
	int *rc = arg;

	*rc = rn_run();
	ck_assert_int_eq(rn_last_error()->code, -EDEADLK);
}

START_TEST(test_run_from_task)
{
	int rc = 0;

	tu_go(nested_run_task, &rc);
	tu_run();
	ck_assert_int_eq(rc, -EDEADLK);
}
END_TEST

START_TEST(test_go_null_function)
{
	rn_task_attr attr = { .stack_size = 0 };

	ck_assert_int_eq(rn_go(NULL, NULL), -EINVAL);
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	ck_assert_int_eq(rn_go_attr(NULL, NULL, &attr), -EINVAL);
	ck_assert_uint_eq(rn_task_count(), 0);
	ck_assert_int_eq(rn_run(), 0);
}
END_TEST

/* ---- sleeping -------------------------------------------------------------------- */

struct sleeper {
	int ms;
	char name[8];
	int64_t t0, woke;
};

static void sleeper_task(void *arg)
{
	struct sleeper *s = arg;

	ck_assert_int_eq(rn_sleep(s->ms * RN_MILLISECOND), 0);
	s->woke = tu_mono_ns() - s->t0;
	mark(s->name);
}

START_TEST(test_sleep_parks)
{
	struct sleeper s[3] = { { 50, "50", 0, 0 }, { 30, "30", 0, 0 }, { 40, "40", 0, 0 } };
	int64_t t0 = tu_mono_ns();
	long el;

	trace_reset();
	for (int i = 0; i < 3; i++) {
		s[i].t0 = t0;
		tu_go(sleeper_task, &s[i]);
	}
	tu_run();
	el = ms_since(t0);
	/* The sleeps overlap: ~50 ms in all, not 120; each woke in time order. */
	ck_assert_str_eq(trace, "30 40 50");
	for (int i = 0; i < 3; i++)
		ck_assert_msg(s[i].woke >= (s[i].ms - 1) * RN_MILLISECOND,
			      "a %d ms sleep woke after %lld ms", s[i].ms,
			      (long long)(s[i].woke / RN_MILLISECOND));
	ck_assert_msg(el >= 49 && el < 110, "three parked sleeps of 30/40/50 ms took %ld ms", el);
}
END_TEST

static void short_sleeps_task(void *arg)
{
	int64_t t0 = tu_mono_ns();

	(void)arg;
	ck_assert_int_eq(rn_sleep(0), 0);
	ck_assert_int_eq(rn_sleep(-RN_SECOND), 0);
	ck_assert_int_eq(rn_sleep_until(rn_time_add(rn_now(), -RN_SECOND)), 0);
	ck_assert_int_lt(ms_since(t0), 20);
	t0 = tu_mono_ns();
	ck_assert_int_eq(rn_sleep_until(rn_time_add(rn_now(), 30 * RN_MILLISECOND)), 0);
	ck_assert_int_ge(ms_since(t0), 29);
	mark("slept");
}

START_TEST(test_sleep_edges)
{
	int64_t t0;

	trace_reset();
	tu_go(short_sleeps_task, NULL);
	tu_run();
	ck_assert_str_eq(trace, "slept");
	/* Outside a task the same call blocks the thread. */
	t0 = tu_mono_ns();
	ck_assert_int_eq(rn_sleep(20 * RN_MILLISECOND), 0);
	ck_assert_int_ge(ms_since(t0), 19);
}
END_TEST

/* ---- parking on Accept, Dial, Read, Write ---------------------------------------- */

struct io_case {
	struct tu_pair p;
	rn_listener *l;
	rn_conn *c, *s;
	char addr[RN_ADDR_STRLEN];
	uint8_t *big;
	size_t big_len;
	bool writer_done;
	int reads_during_write;
	struct ticker tick;
	ssize_t rc;
	rn_error err;
	int64_t t0;
	long ms;
};

static void accept_task(void *arg)
{
	struct io_case *x = arg;
	char buf[8];

	mark("A:accept");
	x->s = rn_listener_accept(x->l);
	ck_assert_ptr_nonnull(x->s);
	mark("A:accepted");
	ck_assert_int_eq(tu_read_full(x->s, buf, 5), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	rn_conn_free(x->s);
}

static void dial_then_write_task(void *arg)
{
	struct io_case *x = arg;

	mark("B:dial");
	x->c = rn_dial("tcp", x->addr);
	ck_assert_ptr_nonnull(x->c);
	ck_assert_int_eq(rn_conn_write(x->c, "hello", 5), 5);
	rn_conn_free(x->c);
}

START_TEST(test_accept_parks)
{
	struct io_case x;

	memset(&x, 0, sizeof x);
	trace_reset();
	x.l = listen_loopback(x.addr);
	tu_go(accept_task, &x);
	tu_go(dial_then_write_task, &x);
	tu_run();
	/* The Accept waited for a Dial that only the other task could make. */
	ck_assert_str_eq(trace, "A:accept B:dial A:accepted");
	rn_listener_free(x.l);
}
END_TEST

static void dial_task(void *arg)
{
	struct io_case *x = arg;

	mark("A:dial");
	x->c = rn_dial("tcp", x->addr);
	ck_assert_ptr_nonnull(x->c);
	mark("A:dialed");
}

static void bystander_task(void *arg)
{
	(void)arg;
	mark("B:ran");
}

START_TEST(test_dial_parks)
{
	struct io_case x;

	memset(&x, 0, sizeof x);
	trace_reset();
	x.l = listen_loopback(x.addr);
	tu_go(dial_task, &x);
	tu_go(bystander_task, NULL);
	tu_run();
	/* The connect was in flight while the other task ran. */
	ck_assert_str_eq(trace, "A:dial B:ran A:dialed");
	/* The task's conn works from the plain thread. */
	x.s = rn_listener_accept(x.l);
	ck_assert_ptr_nonnull(x.s);
	tu_send_recv(x.c, x.s, "dialed in a task");
	tu_send_recv(x.s, x.c, "answered by a thread");
	rn_conn_free(x.c);
	rn_conn_free(x.s);
	rn_listener_free(x.l);
}
END_TEST

static void read_task(void *arg)
{
	struct io_case *x = arg;
	char buf[16];

	mark("A:read");
	ck_assert_int_eq(tu_read_full(x->p.s, buf, 4), 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	mark("A:got");
}

static void late_write_task(void *arg)
{
	struct io_case *x = arg;

	mark("B:sleep");
	rn_sleep(20 * RN_MILLISECOND);
	mark("B:write");
	ck_assert_int_eq(rn_conn_write(x->p.c, "ping", 4), 4);
}

START_TEST(test_read_parks)
{
	struct io_case x;

	memset(&x, 0, sizeof x);
	trace_reset();
	tu_pair_open(&x.p);
	tu_go(read_task, &x);
	tu_go(late_write_task, &x);
	tu_run();
	ck_assert_str_eq(trace, "A:read B:sleep B:write A:got");
	tu_pair_free(&x.p);
}
END_TEST

#define BIG_WRITE (4u * 1024u * 1024u)

/*
 * A small send buffer, so that a big Write waits for the reader.  The
 * receive buffer keeps its default: one smaller than the loopback MSS
 * would leave the sender to zero-window probes, 8 KiB per 200 ms.
 */
static void small_send_buffer(rn_conn *c)
{
	ck_assert_int_eq(rn_tcpconn_set_write_buffer(c, 4096), 0);
}

static void big_write_task(void *arg)
{
	struct io_case *x = arg;

	mark("W:write");
	ck_assert_int_eq(rn_conn_write(x->p.c, x->big, x->big_len), (ssize_t)x->big_len);
	x->writer_done = true;
	mark("W:wrote");
}

static void drain_task(void *arg)
{
	struct io_case *x = arg;
	uint8_t *buf = malloc(64 * 1024);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	size_t got = 0;

	ck_assert_ptr_nonnull(buf);
	mark("R:read");
	while (got < x->big_len) {
		size_t n = 1 + (size_t)(tu_rng_next(&seed) % (64 * 1024));
		ssize_t r = rn_conn_read(x->p.s, buf, n);

		ck_assert_int_gt(r, 0);
		ck_assert_msg(memcmp(buf, x->big + got, (size_t)r) == 0,
			      "bytes differ in the %zd-byte read at %zu", r, got);
		if (!x->writer_done)
			x->reads_during_write++;
		got += (size_t)r;
	}
	free(buf);
}

START_TEST(test_write_parks_on_full_buffer)
{
	struct io_case x;

	memset(&x, 0, sizeof x);
	trace_reset();
	tu_pair_open(&x.p);
	small_send_buffer(x.p.c);
	x.big_len = BIG_WRITE;
	x.big = malloc(x.big_len);
	ck_assert_ptr_nonnull(x.big);
	for (size_t i = 0; i < x.big_len; i++)
		x.big[i] = pattern_byte(i);
	tu_go(big_write_task, &x);
	tu_go(drain_task, &x);
	tu_run();
	/*
	 * 4 MiB cannot fit in the socket buffers: the Write parked on the full
	 * buffer and the reader, on the same thread, drained it meanwhile.
	 */
	ck_assert_int_gt(x.reads_during_write, 1);
	ck_assert_int_eq(strncmp(trace, "W:write R:read", 14), 0);
	free(x.big);
	tu_pair_free(&x.p);
}
END_TEST

#define QUEUED_WRITE (256u * 1024u)

struct queued {
	struct tu_pair p;
	uint8_t *buf[2];
	bool done[2];
};

struct queued_writer {
	struct queued *q;
	int i;
};

static void queued_write_task(void *arg)
{
	struct queued_writer *w = arg;

	ck_assert_int_eq(rn_conn_write(w->q->p.c, w->q->buf[w->i], QUEUED_WRITE),
			 (ssize_t)QUEUED_WRITE);
	w->q->done[w->i] = true;
}

static void queued_read_task(void *arg)
{
	struct queued *q = arg;
	uint8_t *got = malloc(2 * QUEUED_WRITE);

	ck_assert_ptr_nonnull(got);
	/* Let both Writes start and queue behind the full buffer first. */
	rn_sleep(20 * RN_MILLISECOND);
	ck_assert(!q->done[0] && !q->done[1]);
	ck_assert_int_eq(tu_read_full(q->p.s, got, 2 * QUEUED_WRITE), (ssize_t)(2 * QUEUED_WRITE));
	/* Each Write went out whole: all of one, then all of the other. */
	int first = got[0] == 'x' ? 0 : 1;

	for (size_t i = 0; i < 2 * QUEUED_WRITE; i++)
		ck_assert_msg(got[i] == (i < QUEUED_WRITE ? "xy"[first] : "xy"[1 - first]),
			      "byte %zu is '%c'", i, got[i]);
	free(got);
}

START_TEST(test_queued_writes_park)
{
	struct queued q;
	struct queued_writer w[2] = { { &q, 0 }, { &q, 1 } };

	memset(&q, 0, sizeof q);
	tu_pair_open(&q.p);
	small_send_buffer(q.p.c);
	for (int i = 0; i < 2; i++) {
		q.buf[i] = malloc(QUEUED_WRITE);
		ck_assert_ptr_nonnull(q.buf[i]);
		memset(q.buf[i], "xy"[i], QUEUED_WRITE);
	}
	tu_go(queued_write_task, &w[0]);
	tu_go(queued_write_task, &w[1]);
	tu_go(queued_read_task, &q);
	tu_run();
	ck_assert(q.done[0] && q.done[1]);
	free(q.buf[0]);
	free(q.buf[1]);
	tu_pair_free(&q.p);
}
END_TEST

/* ---- parking on UDP, ReadBatch and Pipe ------------------------------------------ */

struct udp_case {
	rn_conn *u1, *u2;
	rn_ipv4_packetconn *pc;
	rn_conn *a, *b; /* pipe ends */
};

static void udp_server_task(void *arg)
{
	struct udp_case *u = arg;
	char buf[16], a[RN_ADDR_STRLEN], b[RN_ADDR_STRLEN];
	rn_addr from;

	mark("A:read_from");
	ck_assert_int_eq(rn_conn_read_from(u->u1, buf, sizeof buf, &from), 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	ck_assert_str_eq(tu_addr_str(from, a), tu_addr_str(rn_conn_local_addr(u->u2), b));
	mark("A:got");
	ck_assert_int_eq(rn_conn_write_to(u->u1, "pong", 4, &from), 4);
}

static void udp_client_task(void *arg)
{
	struct udp_case *u = arg;
	char buf[16], a[RN_ADDR_STRLEN], b[RN_ADDR_STRLEN];
	rn_addr to = rn_conn_local_addr(u->u1), from;

	mark("B:write_to");
	ck_assert_int_eq(rn_conn_write_to(u->u2, "ping", 4, &to), 4);
	ck_assert_int_eq(rn_conn_read_from(u->u2, buf, sizeof buf, &from), 4);
	ck_assert_int_eq(memcmp(buf, "pong", 4), 0);
	ck_assert_str_eq(tu_addr_str(from, a), tu_addr_str(to, b));
	mark("B:got");
}

START_TEST(test_udp_parks)
{
	struct udp_case u;

	memset(&u, 0, sizeof u);
	trace_reset();
	u.u1 = rn_listen_packet("udp4", "127.0.0.1:0");
	u.u2 = rn_listen_packet("udp4", "127.0.0.1:0");
	ck_assert_ptr_nonnull(u.u1);
	ck_assert_ptr_nonnull(u.u2);
	tu_go(udp_server_task, &u);
	tu_go(udp_client_task, &u);
	tu_run();
	ck_assert_str_eq(trace, "A:read_from B:write_to A:got B:got");
	rn_conn_free(u.u1);
	rn_conn_free(u.u2);
}
END_TEST

static void batch_reader_task(void *arg)
{
	struct udp_case *u = arg;
	char bufs[8][16];
	struct iovec iov[8];
	rn_ipv4_message ms[8];
	int got = 0;

	mark("A:read_batch");
	while (got < 3) {
		for (int i = 0; i < 8; i++) {
			iov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
			memset(&ms[i], 0, sizeof ms[i]);
			ms[i].buffers = &iov[i];
			ms[i].nbuffers = 1;
		}
		int k = rn_ipv4_packetconn_read_batch(u->pc, ms, 8, 0);

		ck_assert_int_gt(k, 0);
		for (int i = 0; i < k; i++) {
			char want[4] = { 'd', (char)('0' + got + i), 0, 0 };

			ck_assert_uint_eq(ms[i].n, 2);
			ck_assert_int_eq(memcmp(bufs[i], want, 2), 0);
		}
		got += k;
	}
	ck_assert_int_eq(got, 3);
	mark("A:got");
}

static void batch_sender_task(void *arg)
{
	struct udp_case *u = arg;
	rn_addr to = rn_conn_local_addr(rn_ipv4_packetconn_conn(u->pc));

	mark("B:sleep");
	rn_sleep(10 * RN_MILLISECOND);
	mark("B:send");
	for (int i = 0; i < 3; i++) {
		char d[2] = { 'd', (char)('0' + i) };

		ck_assert_int_eq(rn_conn_write_to(u->u2, d, 2, &to), 2);
	}
}

START_TEST(test_read_batch_parks)
{
	struct udp_case u;
	rn_conn *c;

	memset(&u, 0, sizeof u);
	trace_reset();
	c = rn_listen_packet("udp4", "127.0.0.1:0");
	ck_assert_ptr_nonnull(c);
	u.pc = rn_ipv4_new_packetconn(c);
	ck_assert_ptr_nonnull(u.pc);
	u.u2 = rn_listen_packet("udp4", "127.0.0.1:0");
	ck_assert_ptr_nonnull(u.u2);
	tu_go(batch_reader_task, &u);
	tu_go(batch_sender_task, &u);
	tu_run();
	ck_assert_str_eq(trace, "A:read_batch B:sleep B:send A:got");
	rn_ipv4_packetconn_free(u.pc);
	rn_conn_free(u.u2);
}
END_TEST

#define PIPE_BIG (100u * 1000u)

static void pipe_a_task(void *arg)
{
	struct udp_case *u = arg;
	uint8_t *big = malloc(PIPE_BIG);
	char buf[8];

	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < PIPE_BIG; i++)
		big[i] = pattern_byte(i);
	mark("A:write");
	/* A pipe Write returns only once the other end has read every byte. */
	ck_assert_int_eq(rn_conn_write(u->a, "ping", 4), 4);
	mark("A:wrote");
	ck_assert_int_eq(tu_read_full(u->a, buf, 4), 4);
	ck_assert_int_eq(memcmp(buf, "pong", 4), 0);
	ck_assert_int_eq(rn_conn_write(u->a, big, PIPE_BIG), (ssize_t)PIPE_BIG);
	mark("A:big");
	free(big);
	/* Closing our end: the other end's parked Read sees end of stream. */
	rn_sleep(10 * RN_MILLISECOND);
	ck_assert_int_eq(rn_conn_close(u->a), 0);
}

static void pipe_b_task(void *arg)
{
	struct udp_case *u = arg;
	uint8_t *got = malloc(PIPE_BIG);
	char buf[8];

	ck_assert_ptr_nonnull(got);
	mark("B:read");
	ck_assert_int_eq(tu_read_full(u->b, buf, 4), 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	ck_assert_int_eq(rn_conn_write(u->b, "pong", 4), 4);
	/* The big Write is taken in small Reads, each a hand-off between the tasks. */
	for (size_t off = 0; off < PIPE_BIG;) {
		ssize_t r = rn_conn_read(u->b, got + off, 1000);

		ck_assert_int_gt(r, 0);
		off += (size_t)r;
	}
	for (size_t i = 0; i < PIPE_BIG; i++)
		ck_assert_uint_eq(got[i], pattern_byte(i));
	mark("B:big");
	ck_assert_int_eq(rn_conn_read(u->b, buf, sizeof buf), 0);
	mark("B:eof");
	free(got);
}

START_TEST(test_pipe_parks)
{
	struct udp_case u;

	memset(&u, 0, sizeof u);
	trace_reset();
	ck_assert_int_eq(rn_pipe(&u.a, &u.b), 0);
	tu_go(pipe_a_task, &u);
	tu_go(pipe_b_task, &u);
	tu_run();
	/* Each hand-off needed the other task: a blocked thread would have hung here. */
	ck_assert_int_eq(strncmp(trace, "A:write B:read A:wrote ", 23), 0);
	ck_assert_ptr_nonnull(strstr(trace, "A:big"));
	ck_assert_ptr_nonnull(strstr(trace, "B:big"));
	ck_assert_int_eq(strcmp(trace + strlen(trace) - 6, " B:eof"), 0);
	rn_conn_free(u.a);
	rn_conn_free(u.b);
}
END_TEST

/* ---- two tasks reading one conn -------------------------------------------------- */

struct two_readers {
	struct tu_pair p;
	char got[2];
};

struct reader_arg {
	struct two_readers *t;
	int i;
};

static void one_byte_reader_task(void *arg)
{
	struct reader_arg *r = arg;

	mark(r->i ? "R2" : "R1");
	ck_assert_int_eq(rn_conn_read(r->t->p.s, &r->t->got[r->i], 1), 1);
	mark(r->i ? "R2:got" : "R1:got");
}

static void two_byte_writer_task(void *arg)
{
	struct two_readers *t = arg;

	mark("W");
	/* Both readers are parked by now: R1 in the read, R2 on the read lock. */
	rn_sleep(20 * RN_MILLISECOND);
	mark("W:write");
	ck_assert_int_eq(rn_conn_write(t->p.c, "ab", 2), 2);
}

START_TEST(test_two_reads_of_one_conn)
{
	struct two_readers t;
	struct reader_arg r[2] = { { &t, 0 }, { &t, 1 } };

	memset(&t, 0, sizeof t);
	trace_reset();
	tu_pair_open(&t.p);
	tu_go(one_byte_reader_task, &r[0]);
	tu_go(one_byte_reader_task, &r[1]);
	tu_go(two_byte_writer_task, &t);
	tu_run();
	/* The second Read waited for the first (Go's fdMutex), parked. */
	ck_assert_str_eq(trace, "R1 R2 W W:write R1:got R2:got");
	ck_assert_int_eq(t.got[0], 'a');
	ck_assert_int_eq(t.got[1], 'b');
	tu_pair_free(&t.p);
}
END_TEST

/* ---- Happy Eyeballs from a task ---------------------------------------------------- */

/* The child's /etc/hosts: "dualhost" is ::1, then 127.0.0.1. */
#define DUALHOST "::1 dualhost\n127.0.0.1 dualhost\n"

struct he_case {
	int port;
	rn_conn *c;
	rn_error err;
	struct ticker tick;
	long ms;
};

static void he_dial_task(void *arg)
{
	struct he_case *h = arg;
	rn_dialer d = { .timeout = 10 * RN_SECOND, .fallback_delay = 100 * RN_MILLISECOND };
	char addr[64];
	int64_t t0 = tu_mono_ns();

	snprintf(addr, sizeof addr, "dualhost:%d", h->port);
	h->c = rn_dialer_dial(&d, "tcp", addr);
	if (!h->c)
		h->err = *rn_last_error();
	h->ms = ms_since(t0);
	h->tick.stop = true;
}

/* In a child: the IPv6 primary never answers, the IPv4 fallback wins after 100 ms. */
static int he_child(void)
{
	struct he_case h;
	char want[64], got[RN_ADDR_STRLEN], e[1024];
	int rc = tu_private_hosts("test_happy_eyeballs_parks", DUALHOST), l6, l4, filler;

	if (rc)
		return rc;
	memset(&h, 0, sizeof h);
	l6 = tu_silent_listener(AF_INET6, &h.port, &filler);
	l4 = tu_loopback_listener(AF_INET, &h.port, 16);
	if (l6 < 0 || l4 < 0) {
		printf("test_happy_eyeballs_parks: skipped: no ::1 listener (%s)\n",
		       strerror(errno));
		return TU_SKIP;
	}
	if (rn_go(he_dial_task, &h) != 0 || rn_go(ticker_task, &h.tick) != 0 || rn_run() != 0) {
		printf("rn_go/rn_run: %s\n", tu_err_text(NULL, e));
		return 1;
	}
	if (!h.c) {
		printf("dial: %s\n", tu_err_text(&h.err, e));
		return 2;
	}
	snprintf(want, sizeof want, "127.0.0.1:%d", h.port);
	rn_addr ra = rn_conn_remote_addr(h.c);

	rn_addr_string(&ra, got, sizeof got);
	if (strcmp(got, want) != 0) {
		printf("remote %s, want %s\n", got, want);
		return 3;
	}
	/* The dialing task waited ~100 ms for the fallback; the ticker ran meanwhile. */
	if (h.ms < 90 || h.tick.ticks < 10) {
		printf("dial took %ld ms, ticker ticked %d times\n", h.ms, h.tick.ticks);
		return 4;
	}
	rn_conn_free(h.c);
	close(filler);
	close(l6);
	close(l4);
	return 0;
}

START_TEST(test_happy_eyeballs_parks)
{
	int rc = tu_run_child(he_child);

	if (rc == TU_SKIP)
		return;
	ck_assert_int_eq(rc, 0);
}
END_TEST

/* ---- deadlines --------------------------------------------------------------------- */

static void deadline_read_task(void *arg)
{
	struct io_case *x = arg;
	char buf[8];

	x->t0 = tu_mono_ns();
	ck_assert_int_eq(rn_conn_set_read_deadline(x->p.c, rn_time_add(rn_now(), 50 * RN_MILLISECOND)),
			 0);
	x->rc = rn_conn_read(x->p.c, buf, sizeof buf);
	x->err = *rn_last_error();
	x->ms = ms_since(x->t0);
	x->tick.stop = true;
}

START_TEST(test_deadline_wakes_parked_read)
{
	char label[TU_LABEL_MAX], e[1024], want[1024];
	struct io_case x;

	memset(&x, 0, sizeof x);
	tu_pair_open(&x.p);
	tu_go(deadline_read_task, &x);
	tu_go(ticker_task, &x.tick);
	tu_run();
	ck_assert_int_eq(x.rc, RN_ETIMEOUT);
	snprintf(want, sizeof want, "read tcp %s: i/o timeout", tu_conn_label(x.p.c, label));
	ck_assert_str_eq(tu_err_text(&x.err, e), want);
	ck_assert(rn_error_timeout(&x.err));
	ck_assert_msg(x.ms >= 45 && x.ms < 2000, "50 ms deadline fired after %ld ms", x.ms);
	/* The thread ran the ticker while the Read was parked. */
	ck_assert_int_ge(x.tick.ticks, 5);
	tu_pair_free(&x.p);
}
END_TEST

static void undeadlined_read_task(void *arg)
{
	struct io_case *x = arg;
	char buf[8];

	mark("A:read");
	x->rc = rn_conn_read(x->p.c, buf, sizeof buf);
	x->err = *rn_last_error();
	x->ms = ms_since(x->t0);
	mark("A:woke");
}

static void set_deadline_task(void *arg)
{
	struct io_case *x = arg;

	mark("B:sleep");
	rn_sleep(30 * RN_MILLISECOND);
	mark("B:deadline");
	ck_assert_int_eq(rn_conn_set_read_deadline(x->p.c, rn_time_add(rn_now(), 20 * RN_MILLISECOND)),
			 0);
}

START_TEST(test_deadline_set_from_task)
{
	char label[TU_LABEL_MAX], e[1024], want[1024];
	struct io_case x;

	memset(&x, 0, sizeof x);
	trace_reset();
	tu_pair_open(&x.p);
	x.t0 = tu_mono_ns();
	tu_go(undeadlined_read_task, &x);
	tu_go(set_deadline_task, &x);
	tu_run();
	/* The parked Read re-armed with the new deadline and timed out at it. */
	ck_assert_str_eq(trace, "A:read B:sleep B:deadline A:woke");
	ck_assert_int_eq(x.rc, RN_ETIMEOUT);
	snprintf(want, sizeof want, "read tcp %s: i/o timeout", tu_conn_label(x.p.c, label));
	ck_assert_str_eq(tu_err_text(&x.err, e), want);
	ck_assert_msg(x.ms >= 45 && x.ms < 2000, "deadline at 30 + 20 ms fired after %ld ms",
		      x.ms);
	/* Cleared, the conn reads again. */
	ck_assert_int_eq(rn_conn_set_read_deadline(x.p.c, 0), 0);
	tu_send_recv(x.p.s, x.p.c, "after the deadline");
	tu_pair_free(&x.p);
}
END_TEST

static void deadlined_accept_task(void *arg)
{
	struct io_case *x = arg;

	mark("A:accept");
	ck_assert_ptr_null(rn_listener_accept(x->l));
	x->err = *rn_last_error();
	mark("A:woke");
}

static void set_listener_deadline_task(void *arg)
{
	struct io_case *x = arg;

	mark("B:sleep");
	rn_sleep(20 * RN_MILLISECOND);
	mark("B:deadline");
	ck_assert_int_eq(rn_listener_set_deadline(x->l, rn_time_add(rn_now(), -RN_SECOND)), 0);
}

START_TEST(test_accept_deadline_set_from_task)
{
	char e[1024], want[1024];
	struct io_case x;

	memset(&x, 0, sizeof x);
	trace_reset();
	x.l = listen_loopback(x.addr);
	tu_go(deadlined_accept_task, &x);
	tu_go(set_listener_deadline_task, &x);
	tu_run();
	ck_assert_str_eq(trace, "A:accept B:sleep B:deadline A:woke");
	snprintf(want, sizeof want, "accept tcp %s: i/o timeout", x.addr);
	ck_assert_str_eq(tu_err_text(&x.err, e), want);
	ck_assert_int_eq(x.err.code, RN_ETIMEOUT);
	rn_listener_free(x.l);
}
END_TEST

/* ---- Close from a task and from a thread -------------------------------------------- */

struct closer {
	rn_conn *c;
	rn_listener *l;
	atomic_bool started;	/* the task is about to park */
	atomic_bool woke;	/* the task is back */
	ssize_t rc;
	rn_conn *accepted;
	rn_error err;
	struct ticker tick;
};

static void parked_read_task(void *arg)
{
	struct closer *k = arg;
	char buf[8];

	mark("A:read");
	atomic_store(&k->started, true);
	k->rc = rn_conn_read(k->c, buf, sizeof buf);
	k->err = *rn_last_error();
	atomic_store(&k->woke, true);
	k->tick.stop = true;
	mark("A:woke");
}

static void parked_accept_task(void *arg)
{
	struct closer *k = arg;

	mark("A:accept");
	atomic_store(&k->started, true);
	k->accepted = rn_listener_accept(k->l);
	k->err = *rn_last_error();
	atomic_store(&k->woke, true);
	k->tick.stop = true;
	mark("A:woke");
}

/* A second task of the same thread: Close the conn (or else the listener) under the first. */
static void close_task(void *arg)
{
	struct closer *k = arg;

	mark("B:sleep");
	rn_sleep(20 * RN_MILLISECOND);
	mark("B:close");
	ck_assert_int_eq(k->c ? rn_conn_close(k->c) : rn_listener_close(k->l), 0);
}

/* A plain thread: wait until the task is parked, then Close under it. */
static void *close_from_thread(void *arg)
{
	struct closer *k = arg;

	while (!atomic_load(&k->started))
		tu_sleep_ms(1);
	tu_sleep_ms(50);
	if (!atomic_load(&k->woke)) {
		if (k->c)
			rn_conn_close(k->c);
		else
			rn_listener_close(k->l);
	}
	return NULL;
}

START_TEST(test_close_from_task_wakes_read)
{
	char label[TU_LABEL_MAX], e[1024], want[1024];
	struct closer k;
	struct tu_pair p;

	memset(&k, 0, sizeof k);
	trace_reset();
	tu_pair_open(&p);
	k.c = p.s;
	tu_conn_label(p.s, label);
	tu_go(parked_read_task, &k);
	tu_go(close_task, &k);
	tu_run();
	ck_assert_str_eq(trace, "A:read B:sleep B:close A:woke");
	ck_assert_int_eq(k.rc, RN_ECLOSED);
	snprintf(want, sizeof want, "read tcp %s: use of closed network connection", label);
	ck_assert_str_eq(tu_err_text(&k.err, e), want);
	tu_pair_free(&p);
}
END_TEST

START_TEST(test_close_from_task_wakes_accept)
{
	char addr[RN_ADDR_STRLEN], e[1024], want[1024];
	struct closer k;

	memset(&k, 0, sizeof k);
	trace_reset();
	k.l = listen_loopback(addr);
	tu_go(parked_accept_task, &k);
	tu_go(close_task, &k);
	tu_run();
	ck_assert_str_eq(trace, "A:accept B:sleep B:close A:woke");
	ck_assert_ptr_null(k.accepted);
	ck_assert_int_eq(k.err.code, RN_ECLOSED);
	snprintf(want, sizeof want, "accept tcp %s: use of closed network connection", addr);
	ck_assert_str_eq(tu_err_text(&k.err, e), want);
	rn_listener_free(k.l);
}
END_TEST

START_TEST(test_close_from_thread_wakes_read)
{
	char label[TU_LABEL_MAX], e[1024], want[1024];
	struct closer k;
	struct tu_pair p;
	pthread_t t;

	memset(&k, 0, sizeof k);
	tu_pair_open(&p);
	k.c = p.s;
	tu_conn_label(p.s, label);
	tu_go(parked_read_task, &k);
	tu_go(ticker_task, &k.tick);
	t = tu_thread_start(close_from_thread, &k);
	tu_run();
	tu_thread_join(t);
	ck_assert_int_eq(k.rc, RN_ECLOSED);
	snprintf(want, sizeof want, "read tcp %s: use of closed network connection", label);
	ck_assert_str_eq(tu_err_text(&k.err, e), want);
	/* The other thread's Close reached a task parked on this thread's ring. */
	ck_assert_int_ge(k.tick.ticks, 10);
	tu_pair_free(&p);
}
END_TEST

START_TEST(test_close_from_thread_wakes_accept)
{
	char addr[RN_ADDR_STRLEN], e[1024], want[1024];
	struct closer k;
	pthread_t t;

	memset(&k, 0, sizeof k);
	k.l = listen_loopback(addr);
	tu_go(parked_accept_task, &k);
	tu_go(ticker_task, &k.tick);
	t = tu_thread_start(close_from_thread, &k);
	tu_run();
	tu_thread_join(t);
	ck_assert_ptr_null(k.accepted);
	ck_assert_int_eq(k.err.code, RN_ECLOSED);
	snprintf(want, sizeof want, "accept tcp %s: use of closed network connection", addr);
	ck_assert_str_eq(tu_err_text(&k.err, e), want);
	ck_assert_int_ge(k.tick.ticks, 10);
	rn_listener_free(k.l);
}
END_TEST

/* ---- a context cancelled from a thread ----------------------------------------------- */

struct ctx_case {
	rn_ctx *ctx;
	char addr[64];
	atomic_bool started, woke;
	rn_conn *c;
	rn_error err;
	long ms;
	struct ticker tick;
};

static void dial_context_task(void *arg)
{
	struct ctx_case *x = arg;
	rn_dialer d;
	int64_t t0 = tu_mono_ns();

	memset(&d, 0, sizeof d);
	atomic_store(&x->started, true);
	x->c = rn_dialer_dial_context(&d, x->ctx, "tcp", x->addr);
	x->err = *rn_last_error();
	x->ms = ms_since(t0);
	atomic_store(&x->woke, true);
	x->tick.stop = true;
}

static void *cancel_from_thread(void *arg)
{
	struct ctx_case *x = arg;

	while (!atomic_load(&x->started))
		tu_sleep_ms(1);
	tu_sleep_ms(100);
	rn_ctx_cancel(x->ctx);
	return NULL;
}

START_TEST(test_ctx_cancel_from_thread_ends_dial)
{
	char e[1024], want[1024];
	struct ctx_case x;
	int port = 0, silent, filler;
	pthread_t t;

	memset(&x, 0, sizeof x);
	/* A dial to a listener that drops SYNs can only end by the cancel. */
	silent = tu_silent_listener(AF_INET, &port, &filler);
	ck_assert_int_ge(silent, 0);
	snprintf(x.addr, sizeof x.addr, "127.0.0.1:%d", port);
	x.ctx = rn_ctx_with_cancel(NULL);
	ck_assert_ptr_nonnull(x.ctx);
	tu_go(dial_context_task, &x);
	tu_go(ticker_task, &x.tick);
	t = tu_thread_start(cancel_from_thread, &x);
	tu_run();
	tu_thread_join(t);
	if (x.c)
		rn_conn_free(x.c);
	ck_assert_msg(x.c == NULL, "the dial to a silent listener succeeded");
	ck_assert_int_eq(x.err.code, RN_EOPCANCELED);
	snprintf(want, sizeof want, "dial tcp %s: operation was canceled", x.addr);
	ck_assert_str_eq(tu_err_text(&x.err, e), want);
	ck_assert_msg(x.ms >= 90 && x.ms < 3000, "cancelled after 100 ms, returned after %ld ms",
		      x.ms);
	ck_assert_int_ge(x.tick.ticks, 10);
	rn_ctx_free(x.ctx);
	close(filler);
	close(silent);
}
END_TEST

/* ---- plain calls after tasks -------------------------------------------------------- */

static void task_echo(void *arg)
{
	struct tu_pair p;

	(void)arg;
	tu_pair_open(&p);
	tu_send_recv(p.c, p.s, "inside a task");
	tu_send_recv(p.s, p.c, "and back");
	tu_pair_free(&p);
	mark("echoed");
}

START_TEST(test_plain_calls_after_tasks)
{
	struct tu_pair p;
	int64_t t0;

	trace_reset();
	tu_go(task_echo, NULL);
	tu_go(task_echo, NULL);
	tu_run();
	ck_assert_str_eq(trace, "echoed echoed");
	/* The thread is a plain thread again: calls block it. */
	ck_assert(!rn_in_task());
	tu_pair_open(&p);
	tu_send_recv(p.c, p.s, "plain thread");
	tu_send_recv(p.s, p.c, "plain reply");
	t0 = tu_mono_ns();
	ck_assert_int_eq(rn_sleep(20 * RN_MILLISECOND), 0);
	ck_assert_int_ge(ms_since(t0), 19);
	ck_assert_int_eq(rn_conn_set_read_deadline(p.c, rn_time_add(rn_now(), 20 * RN_MILLISECOND)),
			 0);
	char buf[4];

	ck_assert_int_eq(rn_conn_read(p.c, buf, sizeof buf), RN_ETIMEOUT);
	tu_pair_free(&p);
	/* And tasks run again on the same thread. */
	tu_go(task_echo, NULL);
	tu_run();
	ck_assert_str_eq(trace, "echoed echoed echoed");
}
END_TEST

/* ---- stacks -------------------------------------------------------------------------- */

static volatile unsigned depth_limit = 100000000u; /* never reached: opaque to the compiler */

/* About 256 bytes of stack per level, touched, never a tail call. */
static __attribute__((noinline)) unsigned recurse(unsigned depth)
{
	volatile char pad[240];

	pad[0] = (char)depth;
	pad[sizeof pad - 1] = (char)depth;
	if (depth >= depth_limit)
		return (unsigned char)pad[0];
	return recurse(depth + 1) + (unsigned char)pad[sizeof pad - 1];
}

/* Use about @bytes of stack (at least 8 KiB) in 8 KiB frames, touching every byte. */
static __attribute__((noinline)) unsigned use_stack(size_t bytes)
{
	volatile char frame[8192];
	unsigned sum;

	for (size_t i = 0; i < sizeof frame; i++)
		frame[i] = (char)i;
	sum = (unsigned char)frame[bytes % sizeof frame];
	if (bytes > sizeof frame)
		sum += use_stack(bytes - sizeof frame);
	return sum + (unsigned char)frame[sizeof frame - 1];
}

/* Use @levels frames of about 512 bytes. */
static __attribute__((noinline)) unsigned use_small_stack(unsigned levels)
{
	volatile char frame[480];

	for (size_t i = 0; i < sizeof frame; i++)
		frame[i] = (char)i;
	if (levels > 1)
		return use_small_stack(levels - 1) + (unsigned char)frame[7];
	return (unsigned char)frame[7];
}

static int seg_pipe[2];

/* The kernel's struct sigaction, to reset SIGSEGV under any interceptor. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static void segv_handler(int sig, siginfo_t *si, void *uc)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	struct ksigaction dfl = { NULL, 0, NULL, 0 }; /* SIG_DFL */
	ssize_t w;

	(void)sig;
	(void)uc;
	w = write(seg_pipe[1], &a, sizeof a);
	(void)w;
	/* Back to the default, straight to the kernel: the fault repeats and kills us. */
	syscall(SYS_rt_sigaction, SIGSEGV, &dfl, NULL, sizeof(unsigned long));
}

static void overflow_task(void *arg)
{
	uintptr_t top = (uintptr_t)__builtin_frame_address(0);
	ssize_t w = write(seg_pipe[1], &top, sizeof top);

	(void)arg;
	(void)w;
	recurse(0);
}

static int overflow_child(void)
{
	static char altstack[256 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
	struct sigaction sa;

	/* A handler on its own stack reports where the fault was. */
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = segv_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	if (sigaltstack(&ss, NULL) < 0 || sigaction(SIGSEGV, &sa, NULL) < 0)
		return 1;
	if (rn_go(overflow_task, NULL) != 0)
		return 2;
	rn_run();
	return 3; /* the task must never finish */
}

START_TEST(test_stack_overflow_hits_guard_page)
{
	uintptr_t top = 0, fault = 0;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	int rc;

	ck_assert_int_eq(pipe(seg_pipe), 0);
	rc = tu_run_child(overflow_child);
	close(seg_pipe[1]);
	ck_assert_msg(rc == 100 + SIGSEGV, "child %s %d, want killed by SIGSEGV",
		      rc >= 100 ? "killed by signal" : "exited with", rc >= 100 ? rc - 100 : rc);
	ck_assert_int_eq(read(seg_pipe[0], &top, sizeof top), (ssize_t)sizeof top);
	/* Where the handler ran, the fault lies in the page below the 64 KiB stack. */
	if (read(seg_pipe[0], &fault, sizeof fault) == (ssize_t)sizeof fault) {
		uintptr_t end = top - RN_TASK_STACK_DEFAULT;

		ck_assert_msg(fault >= end - 2 * page && fault < end + page,
			      "fault at %#lx, the 64 KiB stack from %#lx ends near %#lx",
			      (unsigned long)fault, (unsigned long)top, (unsigned long)end);
	}
	close(seg_pipe[0]);
}
END_TEST

struct sized {
	size_t size;
	size_t use;
	unsigned sum;
	bool done;
};

static void sized_task(void *arg)
{
	struct sized *s = arg;

	if (s->use >= 8192)
		s->sum = use_stack(s->use);
	else
		s->sum = use_small_stack((unsigned)(s->use / 512));
	/* Park and come back on the same stack. */
	ck_assert_int_eq(rn_sleep(RN_MILLISECOND), 0);
	rn_yield();
	if (s->use >= 8192)
		ck_assert_uint_eq(use_stack(s->use), s->sum);
	else
		ck_assert_uint_eq(use_small_stack((unsigned)(s->use / 512)), s->sum);
	s->done = true;
}

START_TEST(test_stack_sizes)
{
	struct sized s[4] = {
		{ 16 * 1024, 6 * 1024, 0, false },	/* the smallest stack */
		{ 1, 6 * 1024, 0, false },		/* rounded up to the smallest */
		{ 1024 * 1024, 768 * 1024, 0, false },	/* a big one, mostly used */
		{ 0, 32 * 1024, 0, false },		/* the default */
	};

	for (int i = 0; i < 4; i++) {
		rn_task_attr attr = { .stack_size = s[i].size };

		ck_assert_int_eq(rn_go_attr(sized_task, &s[i], &attr), 0);
	}
	tu_run();
	for (int i = 0; i < 4; i++)
		ck_assert_msg(s[i].done, "task %d with a %zu-byte stack did not finish", i,
			      s[i].size);
}
END_TEST

static uintptr_t live_frame;

static void frame_then_yield_task(void *arg)
{
	(void)arg;
	live_frame = (uintptr_t)__builtin_frame_address(0);
	rn_yield();
}

START_TEST(test_freed_stack_is_clean_memory)
{
	rn_task_attr attr = { .stack_size = 1 << 20 }; /* not kept for reuse: unmapped by rn_run */
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	volatile uint64_t *p;
	uint64_t sum = 0;
	void *m;

	live_frame = 0;
	ck_assert_int_eq(rn_go_attr(frame_then_yield_task, NULL, &attr), 0);
	tu_run();
	ck_assert(live_frame != 0);
	/*
	 * The task's stack is gone.  Memory mapped there later (another
	 * stack, a thread's ring) is ordinary memory: under AddressSanitizer
	 * no poison of the dead task's frames may be left on it.
	 */
	m = mmap((void *)(live_frame & ~(page - 1)), page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED || (uintptr_t)m != (live_frame & ~(page - 1))) {
		printf("test_freed_stack_is_clean_memory: skipped: the page is taken (%s)\n",
		       m == MAP_FAILED ? strerror(errno) : "moved");
		if (m != MAP_FAILED)
			munmap(m, page);
		return;
	}
	for (p = m; (uintptr_t)p < (uintptr_t)m + page; p++)
		sum += *p;
	ck_assert_uint_eq(sum, 0);
	munmap(m, page);
}
END_TEST

/*
 * The process's mappings: all of them, and the task-stack shaped ones: a
 * one-page inaccessible anonymous mapping right below a writable one (pthread
 * stacks look the same; they stay put).
 */
struct maps {
	int lines;
	int stacks;
};

static struct maps count_maps(void)
{
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
	unsigned long prev_end = 0;
	bool prev_guard = false;
	struct maps m = { 0, 0 };
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f)) {
		unsigned long start, end, inode;
		char perms[8];

		m.lines++;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %lu", &start, &end, perms, &inode) != 4)
			continue;
		if (prev_guard && start == prev_end && strcmp(perms, "rw-p") == 0 && inode == 0)
			m.stacks++;
		prev_guard = strcmp(perms, "---p") == 0 && end - start == page && inode == 0;
		prev_end = end;
	}
	fclose(f);
	return m;
}

#define MAP_TASKS 100

struct maps_case {
	struct maps during;
};

static void maps_leaf_task(void *arg)
{
	(void)arg;
	rn_sleep(RN_MILLISECOND);
	use_small_stack(4);
	rn_yield();
}

static void maps_probe_task(void *arg)
{
	struct maps_case *m = arg;

	/* Run last, while the others are parked in their sleeps. */
	rn_yield();
	m->during = count_maps();
}

/* MAP_TASKS tasks of three stack sizes, alive at once. */
static void maps_round(struct maps_case *m)
{
	for (int i = 0; i < MAP_TASKS; i++) {
		rn_task_attr attr = { .stack_size = i % 3 == 0 ? 0 : i % 3 == 1 ? 16384 : 1 << 20 };

		ck_assert_int_eq(rn_go_attr(maps_leaf_task, NULL, &attr), 0);
	}
	tu_go(maps_probe_task, m);
	tu_run();
}

START_TEST(test_no_stack_mapping_leaked)
{
	struct maps_case m;
	struct maps before, after;

	/* A first round sets up what stays (the scheduler, allocator arenas). */
	memset(&m, 0, sizeof m);
	maps_round(&m);
	before = count_maps();
	for (int r = 0; r < 3; r++)
		maps_round(&m);
	after = count_maps();
	/* While the tasks lived their stacks were mapped, each with its guard page... */
	ck_assert_msg(m.during.stacks >= before.stacks + MAP_TASKS,
		      "%d stacks mapped with %d tasks alive, %d without", m.during.stacks,
		      MAP_TASKS, before.stacks);
	/* ...and rn_run unmapped all of them. */
	ck_assert_msg(after.stacks == before.stacks,
		      "%d stack mappings before, %d after three rounds of %d tasks", before.stacks,
		      after.stacks, MAP_TASKS);
#if !TU_TSAN
	/*
	 * Nothing else grew either.  AddressSanitizer's allocator maps its size-class
	 * regions lazily, so a few new mappings are its own; a leak per task would be
	 * hundreds.  (ThreadSanitizer remaps its shadow of every freed stack: no bound.)
	 */
	ck_assert_msg(after.lines <= before.lines + (TU_ASAN ? MAP_TASKS / 10 : 0),
		      "%d mappings before, %d after three rounds of %d tasks", before.lines,
		      after.lines, MAP_TASKS);
#endif
}
END_TEST

/* ---- suite ------------------------------------------------------------------------------ */

static Suite *task_suite(void)
{
	Suite *s = suite_create("task");
	TCase *tc;

	tc = tu_engine_tcase("scheduling");
	tcase_add_test(tc, test_spawn_order_and_yield);
	tcase_add_test(tc, test_go_from_task);
	tcase_add_test(tc, test_run_without_tasks);
	tcase_add_test(tc, test_run_from_task);
	tcase_add_test(tc, test_go_null_function);
	tcase_add_test(tc, test_sleep_parks);
	tcase_add_test(tc, test_sleep_edges);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("parking");
	tcase_add_test(tc, test_accept_parks);
	tcase_add_test(tc, test_dial_parks);
	tcase_add_test(tc, test_read_parks);
	tcase_add_test(tc, test_write_parks_on_full_buffer);
	tcase_add_test(tc, test_queued_writes_park);
	tcase_add_test(tc, test_udp_parks);
	tcase_add_test(tc, test_read_batch_parks);
	tcase_add_test(tc, test_pipe_parks);
	tcase_add_test(tc, test_two_reads_of_one_conn);
	tcase_add_test(tc, test_happy_eyeballs_parks);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("wakeups");
	tcase_add_test(tc, test_deadline_wakes_parked_read);
	tcase_add_test(tc, test_deadline_set_from_task);
	tcase_add_test(tc, test_accept_deadline_set_from_task);
	tcase_add_test(tc, test_close_from_task_wakes_read);
	tcase_add_test(tc, test_close_from_task_wakes_accept);
	tcase_add_test(tc, test_close_from_thread_wakes_read);
	tcase_add_test(tc, test_close_from_thread_wakes_accept);
	tcase_add_test(tc, test_ctx_cancel_from_thread_ends_dial);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("threads_and_stacks");
	tcase_add_test(tc, test_plain_calls_after_tasks);
	tcase_add_test(tc, test_stack_overflow_hits_guard_page);
	tcase_add_test(tc, test_stack_sizes);
	tcase_add_test(tc, test_no_stack_mapping_leaked);
	tcase_add_test(tc, test_freed_stack_is_clean_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(task_suite());
}
