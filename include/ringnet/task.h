/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/task.h - lightweight tasks: Go's goroutines for ringnet's
 * blocking API.
 *
 * rn_go(fn, arg) starts a task on the calling thread's engine; rn_run()
 * runs the thread's tasks until every one has finished.  Inside a task
 * every blocking ringnet call (Read, Write, Accept, Dial, ReadBatch,
 * sleeps, the waits below) parks the task and lets the thread's other
 * tasks run, where outside a task the same call blocks the thread: one
 * API, both modes.  A task runs on its own stack (64 KiB by default,
 * committed as it is touched, with a guard page below it) and never moves
 * to another thread.  A task must not block the thread by other means
 * (sleep(3), a pthread_mutex held across a ringnet call, a blocking
 * system call): the other tasks of the thread would stop with it.  (A
 * host name that /etc/hosts does not answer goes to the C library's
 * getaddrinfo, which blocks: from a task it runs on a short-lived thread
 * while the task parks.)
 *
 * Each live task's stack is two memory mappings (the stack and its guard
 * page): under the default vm.max_map_count of 65530 a process holds about
 * 30,000 tasks; raise that sysctl for more.
 *
 * A task parked on another thread (by a Close, a channel, a wait group...)
 * is woken through its thread's ring with IORING_OP_MSG_RING (Linux 5.18;
 * rn_engine_features() has RN_ENGINE_MSG_RING when the kernel offers it).
 *
 * Errors follow <ringnet/net.h>: a negative code, the detail in
 * rn_last_error().
 */
#ifndef RINGNET_TASK_H
#define RINGNET_TASK_H

#include <stdbool.h>
#include <stddef.h>

#include <ringnet/net_time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*rn_task_fn)(void *arg);

/* The default size of a task's stack, and the smallest accepted. */
#define RN_TASK_STACK_DEFAULT (64 * 1024)
#define RN_TASK_STACK_MIN (16 * 1024)

typedef struct rn_task_attr {
	size_t stack_size; /* 0: RN_TASK_STACK_DEFAULT; rounded up to pages */
} rn_task_attr;

/**
 * rn_go - start fn(arg) as a task on this thread's engine.  It first runs
 * when the thread is in rn_run() (at once if it is already: after the
 * calling task parks or yields).  Returns 0, or -ENOMEM, or the engine's
 * start error when io_uring cannot be used.
 */
int rn_go(rn_task_fn fn, void *arg);

/** rn_go_attr - rn_go with a chosen stack size (@attr may be NULL). */
int rn_go_attr(rn_task_fn fn, void *arg, const rn_task_attr *attr);

/**
 * rn_run - run this thread's tasks until all have finished; tasks may start
 * more tasks meanwhile.  Returns 0 at once when there are none.  -EDEADLK
 * when called from a task; a negative errno if the ring fails.
 */
int rn_run(void);

/** rn_in_task - whether the caller is a task. */
bool rn_in_task(void);

/** rn_task_count - this thread's live tasks (ready, running or parked). */
unsigned rn_task_count(void);

/** rn_yield - let this thread's other ready tasks run first (no-op outside a task). */
void rn_yield(void);

/**
 * rn_sleep - pause for @d (nothing for d <= 0): the task parks, a thread
 * blocks.  Returns 0, or the engine's start error.
 */
int rn_sleep(rn_duration d);

/** rn_sleep_until - pause until @t (nothing when @t has passed). */
int rn_sleep_until(rn_time t);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_TASK_H */
