/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/task.h - lightweight tasks on the engine, and the parking
 * primitives everything that blocks is built on.  Internal.
 *
 * A task is a function running on its own stack on one thread's engine.
 * Where a plain thread would block in io_uring_enter (rne_wait), a task
 * parks instead: it switches back to its thread's scheduler (rne_run),
 * which runs the other ready tasks and, when none is ready, waits in the
 * kernel for the completions that make them ready again.  Tasks never
 * migrate between threads.
 *
 * A parker is one wait by one waiter, task or plain thread: the waiter
 * parks on it, anyone on any thread unparks it once.  A task on another
 * thread is woken through IORING_OP_MSG_RING (never by touching a foreign
 * ring's queues); a plain thread through a futex.  rne_lock and rne_cond
 * are a mutex and a condition variable made of parkers, so that a task
 * waiting for them lets the other tasks of its thread run.
 */
#ifndef RINGNET_ENGINE_TASK_H
#define RINGNET_ENGINE_TASK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* ---- execution contexts (engine/switch.c) --------------------------------- */

#if !defined(__x86_64__) && !defined(__aarch64__) && !defined(RNE_CTX_UCONTEXT)
#define RNE_CTX_UCONTEXT 1 /* no hand-written switch for this architecture */
#endif

/* A suspended execution: its saved stack pointer (registers are on that stack). */
typedef struct rne_ctx {
	void *sp;
#ifdef RNE_CTX_UCONTEXT
	void *uc; /* ucontext_t, on architectures without a hand-written switch */
#endif
} rne_ctx;

/*
 * rne_ctx_make - prepare @c to start running @entry(@arg) on the stack
 * [@stack, @stack + @size) the first time it is switched to.  @entry must
 * never return.
 */
void rne_ctx_make(rne_ctx *c, void *stack, size_t size, void (*entry)(void *), void *arg);

/* rne_ctx_switch - save the running context in @from and resume @to. */
void rne_ctx_switch(rne_ctx *from, rne_ctx *to);

/* rne_ctx_free - release what rne_ctx_make or a switch allocated for @c (ucontext only). */
void rne_ctx_free(rne_ctx *c);

/* ---- stacks (engine/stack.c) ------------------------------------------------ */

/*
 * A task stack: mmap'ed, committed by the kernel page by page as it is
 * touched, with an inaccessible guard page below it so that an overflow
 * faults instead of writing over other memory.
 */
typedef struct rne_stack {
	void *map;	/* the mapping, guard page first */
	size_t map_len;
	void *base;	/* lowest usable byte */
	size_t size;	/* usable bytes */
} rne_stack;

#define RNE_STACK_DEFAULT (64 * 1024)
#define RNE_STACK_MIN (16 * 1024)

/* rne_stack_alloc - @size usable bytes (rounded up to pages, at least RNE_STACK_MIN): 0 or -errno. */
int rne_stack_alloc(rne_stack *s, size_t size);
/* rne_stack_free - unmap @s. */
void rne_stack_free(rne_stack *s);

/* ---- tasks (engine/task.c) ---------------------------------------------------- */

typedef struct rne_task rne_task;

/*
 * rne_task_spawn - start @fn(@arg) as a task on @e with a stack of
 * @stack_size bytes (0: RNE_STACK_DEFAULT).  It first runs when @e's
 * scheduler gets to it.  0, or -ENOMEM / -errno from mmap.
 */
int rne_task_spawn(rne_engine *e, void (*fn)(void *), void *arg, size_t stack_size);

/*
 * rne_run - run @e's tasks until none is left.  -EDEADLK when called from
 * a task, or a negative errno if the ring fails.
 */
int rne_run(rne_engine *e);

/* rne_task_current - the task running on this thread, or NULL. */
rne_task *rne_task_current(void);

/* rne_task_count - live tasks on @e (ready, running or parked). */
unsigned rne_task_count(const rne_engine *e);

/* rne_task_yield - let the other ready tasks of this thread run first (no-op outside a task). */
void rne_task_yield(void);

/*
 * rne_task_park - suspend the running task until rne_task_ready() is called
 * for it.  Wakes can be spurious: callers loop on their own condition.
 */
void rne_task_park(void);

/* rne_task_ready - make @t runnable; on @t's own thread only. */
void rne_task_ready(rne_task *t);

/* rne_task_engine - the engine @t runs on. */
rne_engine *rne_task_engine(const rne_task *t);

/*
 * rne_sleep_until - block (park, in a task) until @deadline (ns since the
 * epoch, CLOCK_REALTIME).  0, or a negative errno if the ring fails.
 */
int rne_sleep_until(rne_engine *e, int64_t deadline);

/* Called by reap() for completions that belong to tasks and parkers. */
void rne_task_op_done(rne_op *op);
void rne_task_remote_wake(uint64_t user_data);

/* ---- parkers ---------------------------------------------------------------------- */

typedef struct rne_parker {
	rne_task *task;		/* the waiting task, or NULL: a plain thread */
	rne_engine *e;		/* the task's engine */
	int ring_fd;		/* ... and its ring, the address for a remote wake */
	_Atomic uint32_t woken;	/* set once unparked (for a task, on its own thread) */
	struct rne_parker *next; /* in a wait queue */
} rne_parker;

/* rne_parker_init - prepare @p for a wait by the calling task or thread. */
void rne_parker_init(rne_parker *p);

/* rne_parker_park - return once @p has been unparked. */
void rne_parker_park(rne_parker *p);

/*
 * rne_parker_park_until - rne_parker_park, giving up at @deadline (ns
 * since the epoch, CLOCK_REALTIME; 0 = never).  True when unparked.  A
 * caller that gave up must make sure nobody unparks @p later (take it off
 * the queue its wakers use) before @p goes out of scope.
 */
bool rne_parker_park_until(rne_parker *p, int64_t deadline);

/*
 * rne_parker_unpark - wake @p's waiter, from any thread, exactly once.
 * Returns 0, or -errno when a task on another thread could not be told
 * (no engine on this thread, or no MSG_RING in the kernel).
 */
int rne_parker_unpark(rne_parker *p);

/* ---- lock and condition ------------------------------------------------------------ */

/*
 * A mutex that may be held across a park: a task that finds it taken parks
 * and the other tasks of its thread run.  Fair (FIFO hand-off): once
 * someone waits, the lock passes from holder to waiter and nobody barges.
 * Taking and releasing it uncontended is one atomic each (every Read and
 * Write takes one); the queue and its mutex are for contention only.
 */
enum { RNE_LOCK_FREE, RNE_LOCK_HELD, RNE_LOCK_WAITED };

typedef struct rne_lock {
	_Atomic int state;	/* RNE_LOCK_*: WAITED = held, with a queue */
	pthread_mutex_t mu;	/* guards the queue; never held across a park */
	rne_parker *head, *tail;
} rne_lock;

void rne_lock_init(rne_lock *l);
void rne_lock_destroy(rne_lock *l);
void rne_lock_acquire(rne_lock *l);
bool rne_lock_try(rne_lock *l);
void rne_lock_release(rne_lock *l);
/* rne_lock_held - whether someone holds @l (a snapshot). */
bool rne_lock_held(rne_lock *l);

/* A condition variable over a pthread mutex, whose waiters may be tasks. */
typedef struct rne_cond {
	rne_parker *head, *tail; /* guarded by the mutex the waiters pass */
} rne_cond;

void rne_cond_init(rne_cond *c);
/* rne_cond_wait - release @mu, park until signalled, take @mu again. */
void rne_cond_wait(rne_cond *c, pthread_mutex_t *mu);
/*
 * rne_cond_wait_until - rne_cond_wait giving up at @deadline (ns since the
 * epoch, CLOCK_REALTIME; 0 = never).  True when signalled, false at the
 * deadline; @mu is held again either way.
 */
bool rne_cond_wait_until(rne_cond *c, pthread_mutex_t *mu, int64_t deadline);
/* rne_cond_signal / rne_cond_broadcast - wake one / all; the caller holds the mutex. */
void rne_cond_signal(rne_cond *c);
void rne_cond_broadcast(rne_cond *c);

#endif /* RINGNET_ENGINE_TASK_H */
