/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_task_sync.c - WaitGroup, Mutex and channels (ringnet/sync.h)
 * between tasks of one thread, tasks of different threads and plain
 * threads: Go's semantics (rendezvous, FIFO, close, select with default,
 * the panics as errors), exact counts under contention, and no fd or task
 * stack left behind.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

#define P(i) ((void *)(uintptr_t)(i))
#define U(p) ((uintptr_t)(p))

/* ---- helpers ------------------------------------------------------------------------- */

/* Go's Error() text of the calling thread's last failure. */
static const char *last_text(void)
{
	static _Thread_local char buf[256];

	rn_error_string(NULL, buf, sizeof(buf));
	return buf;
}

/* A thread that starts tasks with @start and runs them to the end. */
typedef struct tasks_thread {
	pthread_t t;
	void (*start)(void *arg);
	void *arg;
	int rc;
} tasks_thread;

static void *tasks_main(void *p)
{
	tasks_thread *tt = p;

	tt->start(tt->arg);
	tt->rc = rn_run();
	return NULL;
}

static void tasks_thread_start(tasks_thread *tt, void (*start)(void *), void *arg)
{
	tt->start = start;
	tt->arg = arg;
	tt->rc = -1;
	tt->t = tu_thread_start(tasks_main, tt);
}

static void tasks_thread_join(tasks_thread *tt)
{
	tu_thread_join(tt->t);
	ck_assert_int_eq(tt->rc, 0);
}

/* ---- WaitGroup ----------------------------------------------------------------------- */

struct wgs {
	rn_waitgroup *wg;
	_Atomic int done;	/* workers finished */
	_Atomic int seen;	/* what the waiters saw of done, summed */
	int workers;
};

static void wg_worker_task(void *arg)
{
	struct wgs *s = arg;

	/* Park in two ways before finishing: a yield and a timer. */
	rn_yield();
	ck_assert_int_eq(rn_sleep(RN_MILLISECOND), 0);
	atomic_fetch_add(&s->done, 1);
	rn_waitgroup_done(s->wg);
}

static void wg_waiter_task(void *arg)
{
	struct wgs *s = arg;

	rn_waitgroup_wait(s->wg);
	atomic_fetch_add(&s->seen, atomic_load(&s->done));
}

START_TEST(test_waitgroup_tasks_one_thread)
{
	struct wgs s = { .wg = rn_waitgroup_new(), .workers = 10 };

	ck_assert_ptr_nonnull(s.wg);
	ck_assert_int_eq(rn_waitgroup_add(s.wg, s.workers), 0);
	tu_go(wg_waiter_task, &s); /* first: it must park until the workers are done */
	tu_go(wg_waiter_task, &s);
	for (int i = 0; i < s.workers; i++)
		tu_go(wg_worker_task, &s);
	tu_run();
	ck_assert_int_eq(s.done, 10);
	ck_assert_int_eq(s.seen, 20);
	rn_waitgroup_wait(s.wg); /* zero: returns at once */
	rn_waitgroup_free(s.wg);
}
END_TEST

static void *wg_worker_thread(void *arg)
{
	struct wgs *s = arg;

	tu_sleep_ms(10);
	atomic_fetch_add(&s->done, 1);
	rn_waitgroup_done(s->wg);
	return NULL;
}

START_TEST(test_waitgroup_plain_threads)
{
	struct wgs s = { .wg = rn_waitgroup_new(), .workers = 8 };
	pthread_t t[8];

	ck_assert_int_eq(rn_waitgroup_add(s.wg, 8), 0);
	for (int i = 0; i < 8; i++)
		t[i] = tu_thread_start(wg_worker_thread, &s);
	rn_waitgroup_wait(s.wg);
	ck_assert_int_eq(s.done, 8);
	for (int i = 0; i < 8; i++)
		tu_thread_join(t[i]);
	rn_waitgroup_free(s.wg);
}
END_TEST

/* Each thread's tasks finish one group and wait for the other thread's. */
struct wg2 {
	struct wgs *mine, *other;
};

static void wg2_start(void *arg)
{
	struct wg2 *w = arg;

	tu_go(wg_waiter_task, w->other);
	for (int i = 0; i < w->mine->workers; i++)
		tu_go(wg_worker_task, w->mine);
}

START_TEST(test_waitgroup_tasks_two_threads)
{
	struct wgs sa = { .wg = rn_waitgroup_new(), .workers = 20 };
	struct wgs sb = { .wg = rn_waitgroup_new(), .workers = 30 };
	struct wg2 a = { &sa, &sb }, b = { &sb, &sa };
	tasks_thread ta, tb;

	ck_assert_int_eq(rn_waitgroup_add(sa.wg, 20), 0);
	ck_assert_int_eq(rn_waitgroup_add(sb.wg, 30), 0);
	tasks_thread_start(&ta, wg2_start, &a);
	tasks_thread_start(&tb, wg2_start, &b);
	rn_waitgroup_wait(sa.wg); /* and a plain thread waits too */
	ck_assert_int_eq(sa.done, 20);
	rn_waitgroup_wait(sb.wg);
	ck_assert_int_eq(sb.done, 30);
	tasks_thread_join(&ta);
	tasks_thread_join(&tb);
	/* The task on B saw all of A's workers done, and the other way round. */
	ck_assert_int_eq(sa.seen, 20);
	ck_assert_int_eq(sb.seen, 30);
	rn_waitgroup_free(sa.wg);
	rn_waitgroup_free(sb.wg);
}
END_TEST

START_TEST(test_waitgroup_negative_counter)
{
	rn_waitgroup *wg = rn_waitgroup_new();

	ck_assert_int_eq(rn_waitgroup_add(wg, -1), -EINVAL);
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	ck_assert_str_eq(last_text(), "sync: negative WaitGroup counter");
	ck_assert_int_eq(rn_waitgroup_add(wg, 2), 0);
	ck_assert_int_eq(rn_waitgroup_add(wg, -3), -EINVAL); /* left at 2 */
	rn_waitgroup_done(wg);
	rn_waitgroup_done(wg);
	rn_waitgroup_wait(wg); /* zero now: returns */
	rn_waitgroup_done(wg); /* Go panics; we record the error */
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	ck_assert_str_eq(last_text(), "sync: negative WaitGroup counter");
	ck_assert_int_eq(rn_waitgroup_add(wg, 0), 0);
	rn_waitgroup_wait(wg);
	ck_assert_int_eq(rn_waitgroup_add(NULL, 1), -EINVAL);
	rn_waitgroup_free(wg);
	rn_waitgroup_free(NULL);
}
END_TEST

/* ---- Mutex --------------------------------------------------------------------------- */

#define MTX_ROUNDS 10000

struct mtx {
	rn_mutex *mu;
	long counter; /* plain: only the mutex protects it */
};

static void mtx_task(void *arg)
{
	struct mtx *m = arg;

	for (int i = 0; i < MTX_ROUNDS; i++) {
		rn_mutex_lock(m->mu);
		m->counter++;
		/* Now and then hold it across a park, so that the others queue. */
		if (i % 512 == 0)
			rn_yield();
		rn_mutex_unlock(m->mu);
	}
}

static void *mtx_thread(void *arg)
{
	struct mtx *m = arg;

	for (int i = 0; i < MTX_ROUNDS; i++) {
		rn_mutex_lock(m->mu);
		m->counter++;
		rn_mutex_unlock(m->mu);
	}
	return NULL;
}

START_TEST(test_mutex_contention_tasks_and_threads)
{
	struct mtx m = { .mu = rn_mutex_new() };
	pthread_t t1, t2;

	ck_assert_ptr_nonnull(m.mu);
	t1 = tu_thread_start(mtx_thread, &m);
	t2 = tu_thread_start(mtx_thread, &m);
	for (int i = 0; i < 100; i++)
		tu_go(mtx_task, &m);
	tu_run();
	tu_thread_join(t1);
	tu_thread_join(t2);
	ck_assert_int_eq(m.counter, 102L * MTX_ROUNDS);
	rn_mutex_free(m.mu);
}
END_TEST

static void *trylock_thread(void *arg)
{
	return (void *)(uintptr_t)rn_mutex_trylock(arg);
}

START_TEST(test_mutex_trylock)
{
	rn_mutex *mu = rn_mutex_new();
	void *got;

	ck_assert(rn_mutex_trylock(mu));
	ck_assert(!rn_mutex_trylock(mu));
	ck_assert_int_eq(pthread_join(tu_thread_start(trylock_thread, mu), &got), 0);
	ck_assert_ptr_null(got);
	rn_mutex_unlock(mu);
	ck_assert_int_eq(pthread_join(tu_thread_start(trylock_thread, mu), &got), 0);
	ck_assert_ptr_nonnull(got); /* that thread holds it: Go lets anyone unlock */
	rn_mutex_unlock(mu);
	rn_mutex_lock(mu);
	rn_mutex_unlock(mu);
	rn_mutex_free(mu);
	rn_mutex_free(NULL);
}
END_TEST

START_TEST(test_mutex_unlock_of_unlocked_aborts)
{
	rn_mutex *mu = rn_mutex_new();

	rn_mutex_unlock(mu); /* Go: fatal error: sync: unlock of unlocked mutex */
}
END_TEST

/* ---- unbuffered channels: rendezvous ------------------------------------------------- */

#define RDV_N 200

struct rdv {
	rn_chan *ch;
	_Atomic int received;	/* receives that have returned */
	_Atomic int bad;	/* sends that returned before their receiver took the value */
	_Atomic int wrong;	/* values out of order */
	size_t slack;		/* how far a send may run ahead: the capacity */
};

static void rdv_send(struct rdv *r)
{
	for (int i = 0; i < RDV_N; i++) {
		ck_assert_int_eq(rn_chan_send(r->ch, P(i + 1)), 0);
		/*
		 * Value i has been taken, so the receiver got through its
		 * receives of 0..i-1 (less the values the buffer may hold).
		 */
		if (atomic_load(&r->received) + (int)r->slack < i)
			atomic_fetch_add(&r->bad, 1);
	}
}

static void rdv_recv(struct rdv *r)
{
	for (int i = 0; i < RDV_N; i++) {
		void *v;

		if (i % 7 == 0)
			rn_sleep(10 * RN_MICROSECOND); /* let the sender run ahead if it can */
		ck_assert_int_eq(rn_chan_recv(r->ch, &v), 1);
		if (U(v) != (uintptr_t)i + 1)
			atomic_fetch_add(&r->wrong, 1);
		atomic_fetch_add(&r->received, 1);
	}
}

static void rdv_send_task(void *arg)
{
	rdv_send(arg);
}

static void rdv_recv_task(void *arg)
{
	rdv_recv(arg);
}

static void *rdv_send_thread(void *arg)
{
	rdv_send(arg);
	return NULL;
}

static void *rdv_recv_thread(void *arg)
{
	rdv_recv(arg);
	return NULL;
}

START_TEST(test_chan_unbuffered_rendezvous_tasks)
{
	struct rdv r = { .ch = rn_chan_new(0) };

	tu_go(rdv_send_task, &r);
	tu_go(rdv_recv_task, &r);
	tu_run();
	ck_assert_int_eq(r.received, RDV_N);
	ck_assert_int_eq(r.bad, 0);
	ck_assert_int_eq(r.wrong, 0);
	ck_assert_uint_eq(rn_chan_len(r.ch), 0);
	ck_assert_uint_eq(rn_chan_cap(r.ch), 0);
	rn_chan_free(r.ch);
}
END_TEST

START_TEST(test_chan_unbuffered_rendezvous_threads)
{
	struct rdv r = { .ch = rn_chan_new(0) };
	pthread_t t;

	/* A task sends to a plain thread, then a plain thread to a task. */
	t = tu_thread_start(rdv_recv_thread, &r);
	tu_go(rdv_send_task, &r);
	tu_run();
	tu_thread_join(t);
	ck_assert_int_eq(r.bad, 0);
	ck_assert_int_eq(r.wrong, 0);
	atomic_store(&r.received, 0);
	t = tu_thread_start(rdv_send_thread, &r);
	tu_go(rdv_recv_task, &r);
	tu_run();
	tu_thread_join(t);
	ck_assert_int_eq(r.received, RDV_N);
	ck_assert_int_eq(r.bad, 0);
	ck_assert_int_eq(r.wrong, 0);
	rn_chan_free(r.ch);
}
END_TEST

struct lone_send {
	rn_chan *ch;
	_Atomic bool returned;
	int rc;
};

static void *lone_send_thread(void *arg)
{
	struct lone_send *s = arg;

	s->rc = rn_chan_send(s->ch, P(42));
	atomic_store(&s->returned, true);
	return NULL;
}

START_TEST(test_chan_unbuffered_send_waits_for_receiver)
{
	struct lone_send s = { .ch = rn_chan_new(0) };
	pthread_t t = tu_thread_start(lone_send_thread, &s);
	void *v;

	tu_sleep_ms(100);
	ck_assert(!atomic_load(&s.returned)); /* nobody received yet */
	ck_assert_uint_eq(rn_chan_len(s.ch), 0);
	ck_assert_int_eq(rn_chan_recv(s.ch, &v), 1);
	ck_assert_ptr_eq(v, P(42));
	tu_thread_join(t);
	ck_assert(atomic_load(&s.returned));
	ck_assert_int_eq(s.rc, 0);
	rn_chan_free(s.ch);
}
END_TEST

/* ---- buffered channels --------------------------------------------------------------- */

START_TEST(test_chan_buffered_fifo_and_capacity)
{
	rn_chan *ch = rn_chan_new(3);
	void *v;

	ck_assert_uint_eq(rn_chan_cap(ch), 3);
	/* Many rounds, so that the ring wraps around. */
	for (unsigned round = 0; round < 10; round++) {
		for (unsigned i = 0; i < 3; i++) {
			ck_assert_int_eq(rn_chan_send(ch, P(round * 10 + i + 1)), 0);
			ck_assert_uint_eq(rn_chan_len(ch), i + 1);
		}
		ck_assert_int_eq(rn_chan_try_send(ch, P(99)), -EAGAIN); /* full */
		for (unsigned i = 0; i < 3 - round % 3; i++) {
			ck_assert_int_eq(rn_chan_recv(ch, &v), 1);
			ck_assert_ptr_eq(v, P(round * 10 + i + 1));
		}
		while (rn_chan_try_recv(ch, &v) == 1)
			;
		ck_assert_uint_eq(rn_chan_len(ch), 0);
	}
	rn_chan_free(ch);
}
END_TEST

struct fifo {
	rn_chan *ch;
	int next;	/* values the senders send, in the order they start */
	int rc[4];
};

static void fifo_sender(void *arg)
{
	struct fifo *f = arg;
	int k = f->next++;

	f->rc[k] = rn_chan_send(f->ch, P(k + 100));
}

static void fifo_receiver(void *arg)
{
	struct fifo *f = arg;
	void *v;

	/* Full buffer, two senders queued behind it: all five in order. */
	ck_assert_uint_eq(rn_chan_len(f->ch), 2);
	ck_assert_int_eq(rn_chan_recv(f->ch, &v), 1);
	ck_assert_ptr_eq(v, P(1));
	ck_assert_int_eq(rn_chan_recv(f->ch, &v), 1);
	ck_assert_ptr_eq(v, P(2));
	ck_assert_int_eq(rn_chan_recv(f->ch, &v), 1);
	ck_assert_ptr_eq(v, P(100));
	ck_assert_int_eq(rn_chan_recv(f->ch, &v), 1);
	ck_assert_ptr_eq(v, P(101));
	ck_assert_int_eq(rn_chan_try_recv(f->ch, &v), -EAGAIN);
	ck_assert_ptr_null(v);
}

START_TEST(test_chan_buffered_blocked_senders_keep_order)
{
	struct fifo f = { .ch = rn_chan_new(2) };

	ck_assert_int_eq(rn_chan_send(f.ch, P(1)), 0);
	ck_assert_int_eq(rn_chan_send(f.ch, P(2)), 0);
	tu_go(fifo_sender, &f);
	tu_go(fifo_sender, &f);
	tu_go(fifo_receiver, &f); /* runs after both senders parked */
	tu_run();
	ck_assert_int_eq(f.rc[0], 0);
	ck_assert_int_eq(f.rc[1], 0);
	rn_chan_free(f.ch);
}
END_TEST

/* ---- close --------------------------------------------------------------------------- */

START_TEST(test_chan_close_drains_then_zero)
{
	rn_chan *ch = rn_chan_new(2);
	void *v;

	ck_assert_int_eq(rn_chan_send(ch, P(1)), 0);
	ck_assert_int_eq(rn_chan_send(ch, P(2)), 0);
	ck_assert_int_eq(rn_chan_close(ch), 0);
	ck_assert_uint_eq(rn_chan_len(ch), 2);
	ck_assert_int_eq(rn_chan_recv(ch, &v), 1);
	ck_assert_ptr_eq(v, P(1));
	ck_assert_int_eq(rn_chan_try_recv(ch, &v), 1);
	ck_assert_ptr_eq(v, P(2));
	v = P(7);
	ck_assert_int_eq(rn_chan_recv(ch, &v), 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(rn_chan_recv(ch, &v), 0);
	ck_assert_int_eq(rn_chan_try_recv(ch, &v), 0);
	ck_assert_int_eq(rn_chan_recv_until(ch, &v, rn_now() + RN_SECOND), 0);
	ck_assert_int_eq(rn_chan_recv_until(ch, &v, rn_now() - RN_SECOND), 0);
	rn_chan_free(ch);
}
END_TEST

START_TEST(test_chan_send_after_close)
{
	rn_chan *ch = rn_chan_new(4);

	ck_assert_int_eq(rn_chan_close(ch), 0);
	ck_assert_int_eq(rn_chan_send(ch, P(1)), RN_ECLOSED);
	ck_assert_str_eq(last_text(), "send on closed channel");
	ck_assert_int_eq(rn_chan_try_send(ch, P(1)), RN_ECLOSED);
	ck_assert_str_eq(last_text(), "send on closed channel");
	ck_assert_uint_eq(rn_chan_len(ch), 0);
	rn_chan_free(ch);
}
END_TEST

START_TEST(test_chan_double_close)
{
	rn_chan *ch = rn_chan_new(0);

	ck_assert_int_eq(rn_chan_close(ch), 0);
	ck_assert_int_eq(rn_chan_close(ch), RN_ECLOSED);
	ck_assert_int_eq(rn_last_error()->code, RN_ECLOSED);
	ck_assert_str_eq(last_text(), "close of closed channel");
	ck_assert_int_eq(rn_chan_close(NULL), -EINVAL);
	ck_assert_str_eq(last_text(), "close of nil channel");
	rn_chan_free(ch);
	rn_chan_free(NULL);
}
END_TEST

/* Blocked receivers or senders on this thread, another thread's tasks and a plain thread. */
struct blocked {
	rn_chan *ch;
	rn_waitgroup *started;
	_Atomic int zero;	/* receives that returned 0 with NULL */
	_Atomic int closed;	/* sends that returned RN_ECLOSED with Go's text */
	_Atomic int other;
};

static void blocked_recv(struct blocked *b)
{
	void *v = P(1);
	int rc;

	rn_waitgroup_done(b->started);
	rc = rn_chan_recv(b->ch, &v);
	atomic_fetch_add(rc == 0 && !v ? &b->zero : &b->other, 1);
}

static void blocked_send(struct blocked *b)
{
	int rc;

	rn_waitgroup_done(b->started);
	rc = rn_chan_send(b->ch, P(5));
	atomic_fetch_add(rc == RN_ECLOSED && !strcmp(last_text(), "send on closed channel") ?
				 &b->closed : &b->other, 1);
}

static void blocked_recv_task(void *arg)
{
	blocked_recv(arg);
}

static void blocked_send_task(void *arg)
{
	blocked_send(arg);
}

static void *blocked_recv_thread(void *arg)
{
	blocked_recv(arg);
	return NULL;
}

static void *blocked_send_thread(void *arg)
{
	blocked_send(arg);
	return NULL;
}

static void blocked_recv_start(void *arg)
{
	tu_go(blocked_recv_task, arg);
	tu_go(blocked_recv_task, arg);
}

static void blocked_send_start(void *arg)
{
	tu_go(blocked_send_task, arg);
	tu_go(blocked_send_task, arg);
}

static void closer_task(void *arg)
{
	struct blocked *b = arg;

	rn_waitgroup_wait(b->started);
	ck_assert_int_eq(rn_sleep(50 * RN_MILLISECOND), 0); /* until all are blocked */
	ck_assert_int_eq(rn_chan_close(b->ch), 0);
}

static void close_wakes(bool senders)
{
	struct blocked b = { .ch = rn_chan_new(0), .started = rn_waitgroup_new() };
	tasks_thread tt;
	pthread_t t;

	ck_assert_int_eq(rn_waitgroup_add(b.started, 5), 0);
	if (senders) {
		blocked_send_start(&b);
		tasks_thread_start(&tt, blocked_send_start, &b);
		t = tu_thread_start(blocked_send_thread, &b);
	} else {
		blocked_recv_start(&b);
		tasks_thread_start(&tt, blocked_recv_start, &b);
		t = tu_thread_start(blocked_recv_thread, &b);
	}
	tu_go(closer_task, &b);
	tu_run();
	tasks_thread_join(&tt);
	tu_thread_join(t);
	ck_assert_int_eq(b.other, 0);
	ck_assert_int_eq(senders ? b.closed : b.zero, 5);
	rn_waitgroup_free(b.started);
	rn_chan_free(b.ch);
}

START_TEST(test_chan_close_wakes_receivers)
{
	close_wakes(false);
}
END_TEST

START_TEST(test_chan_close_wakes_senders)
{
	close_wakes(true);
}
END_TEST

/* ---- producers and consumers across threads ------------------------------------------ */

#define PC_N 100000

struct pc {
	rn_chan *ch;
	rn_waitgroup *producers;
	_Atomic uint32_t next;
	_Atomic uint8_t *seen;	/* [1..PC_N] */
	_Atomic int received;
	_Atomic int errors;
};

static void pc_produce(struct pc *p)
{
	for (;;) {
		uint32_t v = atomic_fetch_add(&p->next, 1) + 1;

		if (v > PC_N)
			break;
		if (rn_chan_send(p->ch, P(v)) != 0)
			atomic_fetch_add(&p->errors, 1);
	}
	rn_waitgroup_done(p->producers);
}

static void pc_consume(struct pc *p)
{
	void *v;

	while (rn_chan_recv(p->ch, &v) == 1) {
		if (U(v) < 1 || U(v) > PC_N || atomic_fetch_add(&p->seen[U(v)], 1) != 0)
			atomic_fetch_add(&p->errors, 1);
		atomic_fetch_add(&p->received, 1);
	}
}

static void pc_producer_task(void *arg)
{
	pc_produce(arg);
}

static void pc_consumer_task(void *arg)
{
	pc_consume(arg);
}

static void *pc_producer_thread(void *arg)
{
	pc_produce(arg);
	return NULL;
}

static void *pc_consumer_thread(void *arg)
{
	pc_consume(arg);
	return NULL;
}

static void pc_closer_task(void *arg)
{
	struct pc *p = arg;

	rn_waitgroup_wait(p->producers);
	ck_assert_int_eq(rn_chan_close(p->ch), 0);
}

/* Thread A: two producers, two consumers and the closer; thread B: the same but the closer. */
static void pc_start_a(void *arg)
{
	tu_go(pc_producer_task, arg);
	tu_go(pc_consumer_task, arg);
	tu_go(pc_producer_task, arg);
	tu_go(pc_consumer_task, arg);
	tu_go(pc_closer_task, arg);
}

static void pc_start_b(void *arg)
{
	tu_go(pc_consumer_task, arg);
	tu_go(pc_producer_task, arg);
	tu_go(pc_consumer_task, arg);
	tu_go(pc_producer_task, arg);
}

static void producers_consumers(size_t cap)
{
	struct pc p = { .ch = rn_chan_new(cap), .producers = rn_waitgroup_new() };
	tasks_thread a, b;
	pthread_t c_prod, c_cons;

	p.seen = calloc(PC_N + 1, sizeof(*p.seen));
	ck_assert_ptr_nonnull(p.seen);
	ck_assert_int_eq(rn_waitgroup_add(p.producers, 5), 0);
	tasks_thread_start(&a, pc_start_a, &p);
	tasks_thread_start(&b, pc_start_b, &p);
	c_prod = tu_thread_start(pc_producer_thread, &p);
	c_cons = tu_thread_start(pc_consumer_thread, &p);
	tasks_thread_join(&a);
	tasks_thread_join(&b);
	tu_thread_join(c_prod);
	tu_thread_join(c_cons);
	ck_assert_int_eq(p.errors, 0);
	ck_assert_int_eq(p.received, PC_N);
	for (uint32_t v = 1; v <= PC_N; v++)
		ck_assert_uint_eq(p.seen[v], 1);
	free(p.seen);
	rn_waitgroup_free(p.producers);
	rn_chan_free(p.ch);
}

START_TEST(test_chan_producers_consumers_buffered)
{
	producers_consumers(64);
}
END_TEST

START_TEST(test_chan_producers_consumers_unbuffered)
{
	producers_consumers(0);
}
END_TEST

/* ---- select with default ------------------------------------------------------------- */

static void *recv_one_thread(void *arg)
{
	void **slot = arg;

	rn_chan_recv(slot[0], &slot[1]);
	return NULL;
}

START_TEST(test_chan_try_send_try_recv)
{
	rn_chan *ch = rn_chan_new(0);
	void *slot[2] = { ch, NULL };
	struct lone_send s = { .ch = ch };
	void *v = P(3);
	pthread_t t;
	int rc;

	/* Unbuffered, nobody on the other side: both would block. */
	ck_assert_int_eq(rn_chan_try_recv(ch, &v), -EAGAIN);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(rn_last_error()->code, -EAGAIN);
	ck_assert_int_eq(rn_chan_try_send(ch, P(1)), -EAGAIN);

	/* A receiver waits: try_send hands the value over. */
	t = tu_thread_start(recv_one_thread, slot);
	while ((rc = rn_chan_try_send(ch, P(8))) == -EAGAIN)
		tu_sleep_ms(1);
	ck_assert_int_eq(rc, 0);
	tu_thread_join(t);
	ck_assert_ptr_eq(slot[1], P(8));

	/* A sender waits: try_recv takes its value. */
	t = tu_thread_start(lone_send_thread, &s);
	while ((rc = rn_chan_try_recv(ch, &v)) == -EAGAIN)
		tu_sleep_ms(1);
	ck_assert_int_eq(rc, 1);
	ck_assert_ptr_eq(v, P(42));
	tu_thread_join(t);
	ck_assert_int_eq(s.rc, 0);

	ck_assert_int_eq(rn_chan_close(ch), 0);
	ck_assert_int_eq(rn_chan_try_recv(ch, &v), 0);
	ck_assert_int_eq(rn_chan_try_send(ch, P(1)), RN_ECLOSED);
	ck_assert_int_eq(rn_chan_try_recv(NULL, &v), -EINVAL);
	ck_assert_int_eq(rn_chan_try_send(NULL, P(1)), -EINVAL);
	rn_chan_free(ch);
}
END_TEST

/* ---- timed receive ------------------------------------------------------------------- */

struct timed {
	rn_chan *ch;
	int rc_timeout, rc_value;
	void *v_timeout, *v_value;
	rn_duration waited;
};

static void timed_recv(struct timed *t)
{
	rn_time start = rn_now();

	t->v_timeout = P(1);
	t->rc_timeout = rn_chan_recv_until(t->ch, &t->v_timeout, start + 50 * RN_MILLISECOND);
	t->waited = rn_now() - start;
	if (t->rc_timeout == RN_ETIMEOUT)
		ck_assert_str_eq(last_text(), "i/o timeout");
	/* The channel still works after a receive gave up on it. */
	t->rc_value = rn_chan_recv_until(t->ch, &t->v_value, rn_now() + 10 * RN_SECOND);
}

static void timed_recv_task(void *arg)
{
	timed_recv(arg);
}

static void late_send_task(void *arg)
{
	struct timed *t = arg;

	ck_assert_int_eq(rn_sleep(100 * RN_MILLISECOND), 0);
	ck_assert_int_eq(rn_chan_send(t->ch, P(77)), 0);
}

static void *late_send_thread(void *arg)
{
	struct timed *t = arg;

	tu_sleep_ms(100);
	ck_assert_int_eq(rn_chan_send(t->ch, P(77)), 0);
	return NULL;
}

static void check_timed(const struct timed *t)
{
	ck_assert_int_eq(t->rc_timeout, RN_ETIMEOUT);
	ck_assert_ptr_null(t->v_timeout);
	ck_assert_int_ge(t->waited, 50 * RN_MILLISECOND);
	ck_assert_int_lt(t->waited, 5 * RN_SECOND);
	ck_assert_int_eq(t->rc_value, 1);
	ck_assert_ptr_eq(t->v_value, P(77));
}

START_TEST(test_chan_recv_until_task)
{
	struct timed t = { .ch = rn_chan_new(0) };

	tu_go(timed_recv_task, &t);
	tu_go(late_send_task, &t);
	tu_run();
	check_timed(&t);
	rn_chan_free(t.ch);
}
END_TEST

START_TEST(test_chan_recv_until_thread)
{
	struct timed t = { .ch = rn_chan_new(1) };
	pthread_t th = tu_thread_start(late_send_thread, &t);

	timed_recv(&t);
	tu_thread_join(th);
	check_timed(&t);
	rn_chan_free(t.ch);
}
END_TEST

START_TEST(test_chan_recv_until_ready_value_beats_past_deadline)
{
	rn_chan *ch = rn_chan_new(1);
	void *v;

	ck_assert_int_eq(rn_chan_send(ch, P(9)), 0);
	ck_assert_int_eq(rn_chan_recv_until(ch, &v, rn_now() - RN_SECOND), 1);
	ck_assert_ptr_eq(v, P(9));
	ck_assert_int_eq(rn_chan_recv_until(ch, &v, rn_now() - RN_SECOND), RN_ETIMEOUT);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(rn_chan_recv_until(ch, NULL, 0), -EINVAL);
	ck_assert_int_eq(rn_chan_recv_until(NULL, &v, 0), -EINVAL);
	rn_chan_free(ch);
}
END_TEST

/*
 * Receives that keep timing out while values arrive: each value goes to
 * exactly one receive, in order, and a receive that gave up is never
 * handed one.
 */
#define RACE_N 3000

struct race {
	rn_chan *ch;
	int got, timeouts, errors;
};

static void race_send(struct race *r)
{
	for (int i = 1; i <= RACE_N; i++) {
		ck_assert_int_eq(rn_chan_send(r->ch, P(i)), 0);
		if (i % 64 == 0)
			rn_sleep(200 * RN_MICROSECOND);
	}
}

static void race_recv(struct race *r)
{
	while (r->got < RACE_N) {
		void *v;
		rn_duration patience = (r->got % 5 + 1) * 20 * RN_MICROSECOND;
		int rc = rn_chan_recv_until(r->ch, &v, rn_now() + patience);

		if (rc == RN_ETIMEOUT && !v)
			r->timeouts++;
		else if (rc == 1 && U(v) == (uintptr_t)r->got + 1)
			r->got++;
		else {
			r->errors++;
			r->got++;
		}
	}
}

static void *race_send_thread(void *arg)
{
	race_send(arg);
	return NULL;
}

static void race_recv_task(void *arg)
{
	race_recv(arg);
}

static void race_send_task(void *arg)
{
	race_send(arg);
}

static void *race_recv_thread(void *arg)
{
	race_recv(arg);
	return NULL;
}

START_TEST(test_chan_recv_until_races_with_sends)
{
	struct race r1 = { .ch = rn_chan_new(0) }, r2 = { .ch = rn_chan_new(0) };
	pthread_t s1 = tu_thread_start(race_send_thread, &r1);
	pthread_t s2 = tu_thread_start(race_recv_thread, &r2);

	tu_go(race_recv_task, &r1); /* a task receives from a thread ... */
	tu_go(race_send_task, &r2); /* ... and a thread from a task */
	tu_run();
	tu_thread_join(s1);
	tu_thread_join(s2);
	ck_assert_int_eq(r1.errors, 0);
	ck_assert_int_eq(r1.got, RACE_N);
	ck_assert_int_eq(r2.errors, 0);
	ck_assert_int_eq(r2.got, RACE_N);
	/* The sender's pauses outlast every receive's patience: some gave up. */
	ck_assert_int_gt(r1.timeouts + r2.timeouts, 0);
	ck_assert_int_eq(rn_chan_try_recv(r1.ch, &(void *){ NULL }), -EAGAIN);
	rn_chan_free(r1.ch);
	rn_chan_free(r2.ch);
}
END_TEST

/* ---- leaks --------------------------------------------------------------------------- */

/* Task stacks in /proc/self/maps: a PROT_NONE page right below 64 KiB read-write. */
static int count_task_stacks(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512], prev_perm[8] = "";
	unsigned long lo, hi, prev_lo = 0, prev_hi = 0;
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char perm[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3)
			continue;
		if (!strcmp(perm, "rw-p") && hi - lo == RN_TASK_STACK_DEFAULT && lo == prev_hi &&
		    !strcmp(prev_perm, "---p") && prev_hi - prev_lo == 4096)
			n++;
		prev_lo = lo;
		prev_hi = hi;
		memcpy(prev_perm, perm, sizeof(perm));
	}
	fclose(f);
	return n;
}

struct leak {
	rn_chan *quiet;	/* never sent on: every receive from it times out */
	rn_chan *ch;
	int n;
};

static void leak_task(void *arg)
{
	struct leak *l = arg;
	bool sender_first = l->n++ % 2 == 0;
	void *v;

	/* Park in every way a channel parks: a timed wait that gives up, a send, a receive. */
	ck_assert_int_eq(rn_chan_recv_until(l->quiet, &v, rn_now() + RN_MILLISECOND), RN_ETIMEOUT);
	if (sender_first)
		ck_assert_int_eq(rn_chan_send(l->ch, P(1)), 0);
	ck_assert_int_eq(rn_chan_recv(l->ch, &v), 1);
	if (!sender_first)
		ck_assert_int_eq(rn_chan_send(l->ch, P(2)), 0);
}

START_TEST(test_no_stack_or_fd_leaks)
{
	struct leak l = { .quiet = rn_chan_new(0), .ch = rn_chan_new(0) };
	int before = count_task_stacks();

	for (int i = 0; i < 200; i++)
		tu_go(leak_task, &l);
	ck_assert_int_eq(count_task_stacks(), before + 200);
	tu_run();
	ck_assert_int_eq(count_task_stacks(), before);
	rn_chan_free(l.quiet);
	rn_chan_free(l.ch);
	/* The fixture checks the descriptors (the thread's ring is stopped around). */
}
END_TEST

/* ---- suite --------------------------------------------------------------------------- */

static Suite *sync_suite(void)
{
	Suite *s = suite_create("task_sync");
	TCase *wg = tu_engine_tcase("waitgroup");
	TCase *mu = tu_engine_tcase("mutex");
	TCase *ch = tu_engine_tcase("chan");
	TCase *cross = tu_engine_tcase("across_threads");
	const char *fork = getenv("CK_FORK");

	tcase_add_test(wg, test_waitgroup_tasks_one_thread);
	tcase_add_test(wg, test_waitgroup_plain_threads);
	tcase_add_test(wg, test_waitgroup_tasks_two_threads);
	tcase_add_test(wg, test_waitgroup_negative_counter);
	suite_add_tcase(s, wg);

	tcase_set_timeout(mu, 240);
	tcase_add_test(mu, test_mutex_contention_tasks_and_threads);
	tcase_add_test(mu, test_mutex_trylock);
	if (!fork || strcmp(fork, "no") != 0) /* it aborts the process */
		tcase_add_test_raise_signal(mu, test_mutex_unlock_of_unlocked_aborts, SIGABRT);
	suite_add_tcase(s, mu);

	tcase_add_test(ch, test_chan_unbuffered_rendezvous_tasks);
	tcase_add_test(ch, test_chan_unbuffered_rendezvous_threads);
	tcase_add_test(ch, test_chan_unbuffered_send_waits_for_receiver);
	tcase_add_test(ch, test_chan_buffered_fifo_and_capacity);
	tcase_add_test(ch, test_chan_buffered_blocked_senders_keep_order);
	tcase_add_test(ch, test_chan_close_drains_then_zero);
	tcase_add_test(ch, test_chan_send_after_close);
	tcase_add_test(ch, test_chan_double_close);
	tcase_add_test(ch, test_chan_try_send_try_recv);
	tcase_add_test(ch, test_chan_recv_until_task);
	tcase_add_test(ch, test_chan_recv_until_thread);
	tcase_add_test(ch, test_chan_recv_until_ready_value_beats_past_deadline);
	tcase_add_test(ch, test_no_stack_or_fd_leaks);
	suite_add_tcase(s, ch);

	tcase_set_timeout(cross, 240);
	tcase_add_test(cross, test_chan_close_wakes_receivers);
	tcase_add_test(cross, test_chan_close_wakes_senders);
	tcase_add_test(cross, test_chan_producers_consumers_buffered);
	tcase_add_test(cross, test_chan_producers_consumers_unbuffered);
	tcase_add_test(cross, test_chan_recv_until_races_with_sends);
	suite_add_tcase(s, cross);
	return s;
}

int main(void)
{
	return rn_test_main(sync_suite());
}
