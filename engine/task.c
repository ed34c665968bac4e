/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/task.c - the per-thread task scheduler: spawning, running,
 * parking and waking tasks, and sleeping.
 *
 * rne_run() is a loop on the thread's own stack: it runs every ready task
 * until it parks or ends, then submits what the tasks queued and waits in
 * io_uring_enter for completions, which make their tasks ready again
 * (reap() in wait.c calls rne_task_op_done and rne_task_remote_wake).
 * A task's ops live on its stack; it stays parked until each has
 * completed, as every waiter does.
 *
 * Under AddressSanitizer and ThreadSanitizer every switch is announced to
 * the sanitizer, which otherwise would take the new stack for a corrupted
 * one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ringnet/engine.h>

#include "engine/task.h"

#include "engine/sanitizer.h"

struct rne_task {
	rne_ctx ctx;
	rne_stack stack;
	void (*fn)(void *);
	void *arg;
	rne_engine *e;
	rne_task *next;		/* in the run queue or the free list */
	bool queued;		/* in the run queue */
	bool finished;
#ifdef RNE_ASAN
	void *fake_stack;
#endif
#ifdef RNE_TSAN
	void *fiber;
#endif
};

/* One per engine that ever had a task. */
typedef struct rne_sched {
	rne_ctx ctx;		/* the thread's own stack, inside rne_run */
	rne_task *current;
	rne_task *head, *tail;	/* ready tasks, in order */
	unsigned ntasks;
	bool running;
	rne_task *spare;	/* finished tasks kept with their stacks for reuse */
	unsigned nspare;
#ifdef RNE_ASAN
	void *fake_stack;
	const void *bottom;	/* the thread stack, as ASan told the first task */
	size_t size;
#endif
#ifdef RNE_TSAN
	void *fiber;
#endif
} rne_sched;

#define RNE_SPARE_MAX 64

static _Thread_local rne_task *tls_current;

static rne_sched *sched_of(rne_engine *e)
{
	if (!e->sched)
		e->sched = calloc(1, sizeof(rne_sched));
	return e->sched;
}

rne_task *rne_task_current(void)
{
	return tls_current;
}

rne_engine *rne_task_engine(const rne_task *t)
{
	return t->e;
}

unsigned rne_task_count(const rne_engine *e)
{
	return e->sched ? e->sched->ntasks : 0;
}

void rne_task_ready(rne_task *t)
{
	rne_sched *s = t->e->sched;

	if (t->queued || t->finished)
		return;
	t->queued = true;
	t->next = NULL;
	if (s->tail)
		s->tail->next = t;
	else
		s->head = t;
	s->tail = t;
}

static rne_task *pop_ready(rne_sched *s)
{
	rne_task *t = s->head;

	if (t) {
		s->head = t->next;
		if (!s->head)
			s->tail = NULL;
		t->queued = false;
		t->next = NULL;
	}
	return t;
}

/* ---- switching ------------------------------------------------------------------ */

/* From the scheduler into @t, and back when @t parks or ends. */
static void switch_to_task(rne_sched *s, rne_task *t)
{
	s->current = t;
	tls_current = t;
#ifdef RNE_ASAN
	__sanitizer_start_switch_fiber(&s->fake_stack, t->stack.base, t->stack.size);
#endif
#ifdef RNE_TSAN
	__tsan_switch_to_fiber(t->fiber, 0);
#endif
	rne_ctx_switch(&s->ctx, &t->ctx);
#ifdef RNE_ASAN
	__sanitizer_finish_switch_fiber(s->fake_stack, NULL, NULL);
#endif
	tls_current = NULL;
	s->current = NULL;
}

/* Called on the task's stack right after the scheduler switched to it. */
static void arrived(rne_sched *s, rne_task *t)
{
#ifdef RNE_ASAN
	const void *bottom;
	size_t size;

	__sanitizer_finish_switch_fiber(t->fake_stack, &bottom, &size);
	if (!s->bottom) {
		s->bottom = bottom;
		s->size = size;
	}
#else
	(void)s;
	(void)t;
#endif
}

/* From task @t back to the scheduler. */
static void switch_to_sched(rne_sched *s, rne_task *t)
{
#ifdef RNE_ASAN
	__sanitizer_start_switch_fiber(t->finished ? NULL : &t->fake_stack, s->bottom, s->size);
#endif
#ifdef RNE_TSAN
	__tsan_switch_to_fiber(s->fiber, 0);
#endif
	rne_ctx_switch(&t->ctx, &s->ctx);
	arrived(s, t);
}

static void task_main(void *arg)
{
	rne_task *t = arg;
	rne_sched *s = t->e->sched;

	arrived(s, t);
	t->fn(t->arg);
	t->finished = true;
	switch_to_sched(s, t);
	abort(); /* a finished task is never resumed */
}

void rne_task_park(void)
{
	rne_task *t = tls_current;

	if (t)
		switch_to_sched(t->e->sched, t);
}

void rne_task_yield(void)
{
	rne_task *t = tls_current;

	if (!t)
		return;
	rne_task_ready(t);
	switch_to_sched(t->e->sched, t);
}

/* ---- life of a task ------------------------------------------------------------- */

static void task_free(rne_task *t)
{
#ifdef RNE_TSAN
	if (t->fiber)
		__tsan_destroy_fiber(t->fiber);
#endif
	rne_ctx_free(&t->ctx);
	rne_stack_free(&t->stack);
	free(t);
}

/* A finished task: keep it (and its committed stack) for the next spawn, or free it. */
static void task_retire(rne_sched *s, rne_task *t)
{
	s->ntasks--;
	if (s->nspare < RNE_SPARE_MAX && t->stack.size == RNE_STACK_DEFAULT) {
#ifdef RNE_TSAN
		__tsan_destroy_fiber(t->fiber);
		t->fiber = NULL;
#endif
		t->next = s->spare;
		s->spare = t;
		s->nspare++;
		return;
	}
	task_free(t);
}

int rne_task_spawn(rne_engine *e, void (*fn)(void *), void *arg, size_t stack_size)
{
	rne_sched *s = sched_of(e);
	rne_task *t;
	int rc;

	if (!s)
		return -ENOMEM;
	if (stack_size == 0)
		stack_size = RNE_STACK_DEFAULT;
	if (stack_size == RNE_STACK_DEFAULT && s->spare) {
		t = s->spare;
		s->spare = t->next;
		s->nspare--;
		rne_stack st = t->stack;
		rne_ctx ctx = t->ctx;

#ifdef RNE_ASAN
		__asan_unpoison_memory_region(st.base, st.size); /* the last owner's frames */
#endif

		memset(t, 0, sizeof(*t));
		t->stack = st;
		t->ctx = ctx;
	} else {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		rc = rne_stack_alloc(&t->stack, stack_size);
		if (rc < 0) {
			free(t);
			return rc;
		}
	}
	t->fn = fn;
	t->arg = arg;
	t->e = e;
#ifdef RNE_TSAN
	t->fiber = __tsan_create_fiber(0);
#endif
	rne_ctx_make(&t->ctx, t->stack.base, t->stack.size, task_main, t);
	s->ntasks++;
	rne_task_ready(t);
	return 0;
}

int rne_run(rne_engine *e)
{
	rne_sched *s = sched_of(e);
	int rc = 0;

	if (!s)
		return -ENOMEM;
	if (tls_current || s->running)
		return -EDEADLK;
	s->running = true;
#ifdef RNE_TSAN
	s->fiber = __tsan_get_current_fiber();
#endif
	while (s->ntasks > 0) {
		rne_task *t;

		/* Run each task ready now once; those it wakes run next round. */
		for (rne_task *last = s->tail; (t = pop_ready(s)) != NULL;) {
			switch_to_task(s, t);
			if (t->finished)
				task_retire(s, t);
			if (t == last)
				break;
		}
		if (s->ntasks == 0)
			break;
		if (s->head) {
			/* Others are ready: hand the kernel what was queued, take what is done. */
			io_uring_submit(&e->ring);
			rne_reap(e);
			continue;
		}
		unsigned want = e->nb_pending > 1 ? e->nb_pending : 1;

		rc = io_uring_submit_and_wait(&e->ring, want);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME)
			break;
		rc = 0;
		rne_reap(e);
	}
	s->running = false;
	/* Nobody reaps this ring until the next rne_run: stop what stays armed. */
	{
		int src = rne_residents_stop(e);

		if (src < 0 && rc == 0)
			rc = src;
	}
	while (s->spare) {
		rne_task *t = s->spare;

		s->spare = t->next;
		task_free(t);
	}
	s->nspare = 0;
	return rc;
}

void rne_sched_free(rne_engine *e)
{
	rne_sched *s = e->sched;

	if (!s)
		return;
	while (s->spare) {
		rne_task *t = s->spare;

		s->spare = t->next;
		task_free(t);
	}
	rne_ctx_free(&s->ctx); /* ucontext: the thread's context, allocated by the first switch */
	free(s);
	e->sched = NULL;
}

/* ---- completions and wakes --------------------------------------------------------- */

void rne_task_op_done(rne_op *op)
{
	rne_task *t = op->task;

	if (t && t->e->sched)
		rne_task_ready(t);
}

void rne_task_remote_wake(uint64_t user_data)
{
	rne_parker *p = (rne_parker *)(uintptr_t)(user_data & ~(uint64_t)RNE_UD_TAG_MASK);

#ifdef RNE_TSAN
	__tsan_acquire(p); /* pairs with the waker's release: the kernel carried the wake */
#endif
	atomic_store(&p->woken, 1);
	rne_task_ready(p->task);
}

int rne_sleep_until(rne_engine *e, int64_t deadline)
{
	struct __kernel_timespec ts;
	rne_op op = { .complete = NULL };
	struct io_uring_sqe *sqe = rne_sqe(e);
	int rc;

	io_uring_prep_timeout(sqe, &ts, 0, rne_timeout_spec(e, deadline, &ts));
	io_uring_sqe_set_data(sqe, &op);
	rc = rne_wait(e, &op);
	return rc == -ETIME || rc == 0 ? 0 : rc;
}
