/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/sync.c - parkers, and the lock and condition variable built from
 * them: the ways a task or a thread waits for another one.
 *
 * Waking a task on another thread is a message to its ring
 * (IORING_OP_MSG_RING) whose user_data is the parker's address tagged
 * RNE_UD_PARKER; the task's own thread marks the parker woken when it reaps
 * that message, so the parker, which lives on the parked task's stack,
 * stays valid until its waker is done with it.  A plain thread waits on a
 * futex word in the parker.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/engine.h>

#include "engine/sanitizer.h"
#include "engine/task.h"

static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
	syscall(SYS_futex, (uint32_t *)(uintptr_t)w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

/* Wait while *@w == @val, until @deadline (ns, CLOCK_REALTIME, absolute). */
static void futex_wait_until(_Atomic uint32_t *w, uint32_t val, int64_t deadline)
{
	struct timespec ts = { (time_t)(deadline / 1000000000), (long)(deadline % 1000000000) };

	syscall(SYS_futex, (uint32_t *)(uintptr_t)w,
		FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, val, &ts, NULL,
		FUTEX_BITSET_MATCH_ANY);
}

static void futex_wake(_Atomic uint32_t *w)
{
	syscall(SYS_futex, (uint32_t *)(uintptr_t)w, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

void rne_parker_init(rne_parker *p)
{
	p->task = rne_task_current();
	p->e = p->task ? rne_task_engine(p->task) : NULL;
	p->ring_fd = p->e ? rne_ring_fd(p->e) : -1;
	atomic_init(&p->woken, 0);
	p->next = NULL;
}

void rne_parker_park(rne_parker *p)
{
	while (!atomic_load(&p->woken)) {
		if (p->task)
			rne_task_park();
		else
			futex_wait(&p->woken, 0);
	}
}

/*
 * A task parks until @p is unparked or @deadline, with a timeout op on its
 * ring; the op is removed and its completion awaited before returning,
 * since it lives on this stack.
 */
static void task_park_until(rne_parker *p, int64_t deadline)
{
	struct __kernel_timespec ts;
	rne_op op = { .complete = NULL };
	struct io_uring_sqe *sqe = rne_sqe(p->e);

	io_uring_prep_timeout(sqe, &ts, 0, rne_timeout_spec(p->e, deadline, &ts));
	io_uring_sqe_set_data(sqe, &op);
	while (!atomic_load(&p->woken) && !op.done) {
		op.task = p->task;
		rne_task_park();
	}
	if (!op.done) {
		sqe = rne_sqe(p->e);
		io_uring_prep_timeout_remove(sqe, (uint64_t)(uintptr_t)&op, 0);
		io_uring_sqe_set_data64(sqe, RNE_UD_IGNORE);
		while (!op.done) {
			op.task = p->task;
			rne_task_park();
		}
	}
	op.task = NULL;
}

bool rne_parker_park_until(rne_parker *p, int64_t deadline)
{
	if (!deadline) {
		rne_parker_park(p);
		return true;
	}
	while (!atomic_load(&p->woken) && rne_now_ns() < deadline) {
		if (p->task)
			task_park_until(p, deadline);
		else
			futex_wait_until(&p->woken, 0, deadline);
	}
	return atomic_load(&p->woken);
}

int rne_parker_unpark(rne_parker *p)
{
	rne_engine *self;
	struct io_uring_sqe *sqe;

	if (!p->task) {
		atomic_store(&p->woken, 1);
		futex_wake(&p->woken);
		return 0;
	}
	self = rne_current();
	if (self == p->e) {
		/* The task's own thread: no message needed. */
		atomic_store(&p->woken, 1);
		rne_task_ready(p->task);
		return 0;
	}
	self = rne_get();
	if (!self || !(self->features & RN_ENGINE_MSG_RING))
		return self ? -EOPNOTSUPP : -ENXIO;
	sqe = rne_sqe(self);
	io_uring_prep_msg_ring(sqe, p->ring_fd, 0, (uint64_t)(uintptr_t)p | RNE_UD_PARKER, 0);
#ifdef RNE_TSAN
	__tsan_release(p); /* the wake travels through the kernel, which TSan cannot see */
#endif
	io_uring_sqe_set_data64(sqe, RNE_UD_IGNORE);
	if (self->features & RN_ENGINE_CQE_SKIP)
		sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	io_uring_submit(&self->ring);
	return 0;
}

/* ---- wait queues -------------------------------------------------------------------- */

static void enqueue(rne_parker **head, rne_parker **tail, rne_parker *p)
{
	p->next = NULL;
	if (*tail)
		(*tail)->next = p;
	else
		*head = p;
	*tail = p;
}

static rne_parker *dequeue(rne_parker **head, rne_parker **tail)
{
	rne_parker *p = *head;

	if (p) {
		*head = p->next;
		if (!*head)
			*tail = NULL;
	}
	return p;
}

/* ---- lock ------------------------------------------------------------------------------ */

void rne_lock_init(rne_lock *l)
{
	atomic_init(&l->state, RNE_LOCK_FREE);
	pthread_mutex_init(&l->mu, NULL);
	l->head = l->tail = NULL;
}

void rne_lock_destroy(rne_lock *l)
{
	pthread_mutex_destroy(&l->mu);
}

bool rne_lock_held(rne_lock *l)
{
	return atomic_load(&l->state) != RNE_LOCK_FREE;
}

bool rne_lock_try(rne_lock *l)
{
	int free_ = RNE_LOCK_FREE;

	return atomic_compare_exchange_strong(&l->state, &free_, RNE_LOCK_HELD);
}

void rne_lock_acquire(rne_lock *l)
{
	rne_parker p;

	if (rne_lock_try(l))
		return;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		int st = atomic_load(&l->state);

		if (st == RNE_LOCK_FREE) {
			if (atomic_compare_exchange_weak(&l->state, &st, RNE_LOCK_HELD)) {
				pthread_mutex_unlock(&l->mu);
				return;
			}
			continue;
		}
		/* Mark it waited (under mu, so a release finds us queued), then queue. */
		if (st == RNE_LOCK_WAITED ||
		    atomic_compare_exchange_weak(&l->state, &st, RNE_LOCK_WAITED))
			break;
	}
	rne_parker_init(&p);
	enqueue(&l->head, &l->tail, &p);
	pthread_mutex_unlock(&l->mu);
	/* rne_lock_release hands the lock over: it stays held, for us. */
	rne_parker_park(&p);
}

void rne_lock_release(rne_lock *l)
{
	int held = RNE_LOCK_HELD;
	rne_parker *p;

	if (atomic_compare_exchange_strong(&l->state, &held, RNE_LOCK_FREE))
		return;
	if (held == RNE_LOCK_FREE)
		return; /* not held: nothing to release */
	pthread_mutex_lock(&l->mu);
	p = dequeue(&l->head, &l->tail);
	/* Hand over to the first waiter; the state says whether more wait. */
	atomic_store(&l->state, l->head ? RNE_LOCK_WAITED : p ? RNE_LOCK_HELD : RNE_LOCK_FREE);
	pthread_mutex_unlock(&l->mu);
	if (p)
		rne_parker_unpark(p);
}

/* ---- condition -------------------------------------------------------------------------- */

void rne_cond_init(rne_cond *c)
{
	c->head = c->tail = NULL;
}

void rne_cond_wait(rne_cond *c, pthread_mutex_t *mu)
{
	rne_parker p;

	rne_parker_init(&p);
	enqueue(&c->head, &c->tail, &p);
	pthread_mutex_unlock(mu);
	rne_parker_park(&p);
	pthread_mutex_lock(mu);
}

/* Take @p out of @c's queue if it is still there; false if a signal took it. */
static bool unlink_waiter(rne_cond *c, rne_parker *p)
{
	rne_parker *prev = NULL;

	for (rne_parker *q = c->head; q; prev = q, q = q->next) {
		if (q != p)
			continue;
		if (prev)
			prev->next = q->next;
		else
			c->head = q->next;
		if (c->tail == q)
			c->tail = prev;
		return true;
	}
	return false;
}

bool rne_cond_wait_until(rne_cond *c, pthread_mutex_t *mu, int64_t deadline)
{
	rne_parker p;

	if (!deadline) {
		rne_cond_wait(c, mu);
		return true;
	}
	rne_parker_init(&p);
	enqueue(&c->head, &c->tail, &p);
	pthread_mutex_unlock(mu);
	if (rne_parker_park_until(&p, deadline)) {
		pthread_mutex_lock(mu);
		return true;
	}
	pthread_mutex_lock(mu);
	if (unlink_waiter(c, &p))
		return false;
	/* A signal dequeued us as time ran out: its wake is on the way. */
	pthread_mutex_unlock(mu);
	rne_parker_park(&p);
	pthread_mutex_lock(mu);
	return true;
}

void rne_cond_signal(rne_cond *c)
{
	rne_parker *p = dequeue(&c->head, &c->tail);

	if (p)
		rne_parker_unpark(p);
}

void rne_cond_broadcast(rne_cond *c)
{
	rne_parker *p;

	while ((p = dequeue(&c->head, &c->tail)) != NULL)
		rne_parker_unpark(p);
}
