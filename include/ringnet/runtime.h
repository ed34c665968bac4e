/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/runtime.h - the multi-core runtime: a fixed set of threads, each
 * with its own engine (ring) running tasks, one per CPU; handing tasks to
 * them from anywhere; waiting for all of them; and a listener shared by
 * the threads through SO_REUSEPORT, steered so that a connection is
 * accepted on the CPU that received it.
 *
 * Shape.  rn_runtime_new(n) starts n threads.  Thread i is pinned to the
 * i-th CPU of the creating thread's affinity mask, modulo the number of
 * CPUs in it: with more threads than CPUs, threads share CPUs (thread i
 * and thread i + m on the same one of the m CPUs); a thread whose pinning
 * fails (no mask, a CPU gone offline) runs unpinned, and rn_runtime_cpu()
 * says -1 for it.  Each thread runs rn_run() on its own engine with one
 * service task, the dispatcher, which takes what rn_go_on() puts in the
 * thread's inbox (a list under a mutex, with an rne_cond the dispatcher
 * parks on) and rn_go()es it.  A task never migrates: it runs and ends on the thread
 * it was handed to.
 *
 * Counting.  rn_runtime_wait() waits for every task of the runtime: those
 * started with rn_go_on(), and those any code on a runtime thread starts
 * with rn_go() (or its synonym rn_runtime_go()), which run on that thread.
 *
 * Waking.  A dispatcher parked on its inbox is woken by rne_cond, which,
 * from another thread, is an IORING_OP_MSG_RING message into the
 * dispatcher's ring: so a plain thread calling rn_go_on() starts an
 * engine of its own (one ring, as for any blocking ringnet call), and
 * the runtime needs a kernel with MSG_RING (5.18).
 *
 * Errors follow <ringnet/net.h>: a negative code, the detail in
 * rn_last_error().
 */
#ifndef RINGNET_RUNTIME_H
#define RINGNET_RUNTIME_H

#include <ringnet/net.h>
#include <ringnet/task.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rn_runtime rn_runtime;
typedef struct rn_runtime_listener rn_runtime_listener;

/* The most threads one runtime runs. */
#define RN_RUNTIME_MAX_THREADS 1024

/**
 * rn_runtime_new - start @nthreads runtime threads (0: one per CPU of the
 * calling thread's affinity mask), each with its engine started, its dispatcher
 * running, and pinned to a CPU when possible.  Returns the runtime, or
 * NULL with rn_last_error() set: -EINVAL for @nthreads < 0 or over
 * RN_RUNTIME_MAX_THREADS, the engine's start error (of the caller's
 * engine or of a runtime thread's), -EOPNOTSUPP without MSG_RING,
 * -errno from pthread_create.
 */
rn_runtime *rn_runtime_new(int nthreads);

/** rn_runtime_threads - how many threads @rt runs. */
int rn_runtime_threads(const rn_runtime *rt);

/** rn_runtime_cpu - the CPU thread @thread is pinned to; -1 if unpinned or no such thread. */
int rn_runtime_cpu(const rn_runtime *rt, int thread);

/**
 * rn_runtime_thread - the index of the runtime thread the caller runs on
 * (0 .. n-1 of its runtime), or -1 off every runtime's threads.
 */
int rn_runtime_thread(void);

/**
 * rn_go_on - start fn(arg) as a task on runtime thread @thread (-1: the
 * next thread in round-robin order).  Callable from any thread, task or
 * not.  On the caller's own runtime thread the task is spawned at once;
 * otherwise it goes to the thread's inbox and its dispatcher starts it.
 * Returns 0; -EINVAL (NULL @rt or @fn, @thread out of range); -ENOMEM;
 * the engine's start error (a plain thread needs its engine to wake the
 * dispatcher); -ESHUTDOWN once rn_runtime_free() has stopped that
 * thread's dispatcher.  A task the thread then cannot start (no memory
 * for its stack) is dropped and makes rn_runtime_wait() return -ENOMEM.
 */
int rn_go_on(rn_runtime *rt, int thread, rn_task_fn fn, void *arg);

/**
 * rn_runtime_go - what rn_go() does on a runtime thread: start fn(arg) on
 * the caller's thread, counted by rn_runtime_wait().  Returns 0, -ENOMEM,
 * or -EINVAL when the caller is not on a runtime thread.
 */
int rn_runtime_go(rn_task_fn fn, void *arg);

/**
 * rn_runtime_wait - wait (park, in a task) until every task started with
 * rn_go_on() or rn_runtime_go() on @rt, including those they started,
 * has finished.  The runtime stays usable.  Returns 0; -ENOMEM when some
 * handed-over task could not be started since the last wait; -EDEADLK
 * when called on one of @rt's own threads (the caller would wait for
 * itself); -EINVAL for NULL.
 */
int rn_runtime_wait(rn_runtime *rt);

/**
 * rn_runtime_free - stop the dispatchers, wait for the threads to end and
 * release @rt.  Call it after rn_runtime_wait(), from a thread that is not
 * one of @rt's.  Tasks are not cancelled: a thread ends when its last task
 * has, so free waits for tasks still running (counted or not), and one
 * parked for ever (an Accept on a listener nobody closes) keeps it waiting
 * for ever: close what they wait on first.  Meanwhile those tasks may
 * still spawn on their own thread, but rn_go_on() to a thread whose
 * dispatcher has stopped fails with -ESHUTDOWN.  Called on one of @rt's
 * threads it does nothing (it would wait for itself).  NULL is a no-op.
 */
void rn_runtime_free(rn_runtime *rt);

/* ---- a listener shared by the runtime's threads -------------------------------------- */

/**
 * rn_runtime_listen - a TCP listener per runtime thread ("tcp", "tcp4" or
 * "tcp6"), all bound to @address with SO_REUSEPORT: the first bind picks
 * the port when @address asks for port 0, the others bind to that port.
 * Each member is opened by its own thread, and the group is steered with
 * rn_bpf_steer_by_cpu_listeners() so that a connection whose SYN the
 * kernel processes on CPU k goes to member k % n, which is the member of
 * the thread pinned to CPU k when the threads' CPUs allow it (all CPUs
 * distinct modulo n; otherwise thread order).  Returns the group, or NULL
 * with rn_last_error() set: -EINVAL (NULL argument, a network other than
 * TCP), the listen error of the member that failed (an OpError
 * "listen"), or the steering error.  Callable from any thread, task or
 * not (it waits for each member's thread to open it).
 */
rn_runtime_listener *rn_runtime_listen(rn_runtime *rt, const char *network, const char *address);

/**
 * rn_runtime_listener_local - the member of the runtime thread the caller
 * runs on, to Accept from; NULL off @rl's runtime threads (or NULL @rl).
 */
rn_listener *rn_runtime_listener_local(rn_runtime_listener *rl);

/** rn_runtime_listener_addr - the group's address (the first member's: the port they share). */
rn_addr rn_runtime_listener_addr(const rn_runtime_listener *rl);

/**
 * rn_runtime_listener_steering - how the group is steered: RN_BPF_STEER_EBPF
 * or RN_BPF_STEER_CBPF (<ringnet/bpf.h>; the classic fallback depends on
 * member order, which the group keeps).
 */
int rn_runtime_listener_steering(const rn_runtime_listener *rl);

/**
 * rn_runtime_listener_close - close every member, from any thread: Accepts
 * parked or blocked on them return RN_ECLOSED.  Returns 0, or RN_ECLOSED
 * when already closed.
 */
int rn_runtime_listener_close(rn_runtime_listener *rl);

/**
 * rn_runtime_listener_free - close if needed and release @rl, once no
 * Accept on it is in progress.  NULL is a no-op.
 */
void rn_runtime_listener_free(rn_runtime_listener *rl);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_RUNTIME_H */
