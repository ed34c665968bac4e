/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/runtime.c - the multi-core runtime (<ringnet/runtime.h>): threads
 * pinned to CPUs, each running its engine's tasks; a dispatcher task per
 * thread that starts what rn_go_on() hands over; the live-task count
 * behind rn_runtime_wait(); and the SO_REUSEPORT listener group steered
 * by CPU.
 *
 * Every wait here is an rne_cond over a pthread mutex, so a task waiting
 * parks and a plain thread sleeps on a futex; from another thread the
 * wake of a parked task is a MSG_RING into its ring.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_*, pthread_setname_np */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringnet/bpf.h>
#include <ringnet/engine.h>
#include <ringnet/runtime.h>

#include "api/errors.h"
#include "api/fd.h"
#include "api/task.h"
#include "engine/task.h"

/* A task handed over and not started yet; freed as it starts. */
typedef struct rt_item {
	rn_task_fn fn;
	void *arg;
	rn_runtime *rt;
	struct rt_item *next;
} rt_item;

typedef struct rt_thread {
	rn_runtime *rt;
	int index;
	int cpu;		/* pinned to (written before start is reported), or -1 */
	int cpu_want;
	pthread_t tid;
	/* The inbox, served by the thread's dispatcher. */
	pthread_mutex_t mu;
	rne_cond cv;		/* the dispatcher parks here */
	rt_item *head, *tail;
	bool stopping;		/* rn_runtime_free asked the dispatcher to end */
	bool closed;		/* the dispatcher has ended: nothing more is taken */
	/* How the start went (read once started is counted). */
	int start_rc;
	rn_error start_err;
} rt_thread;

struct rn_runtime {
	int n;
	rt_thread *threads;
	atomic_uint rr;		/* round-robin cursor for rn_go_on(-1) */
	pthread_mutex_t mu;	/* guards the fields below */
	rne_cond cv;		/* live reached 0, or a thread started or ended */
	unsigned long live;	/* counted tasks handed over or running */
	unsigned long dropped;	/* handed over but could not be started */
	int started, ended;
};

/* The runtime thread this is, if it is one. */
static _Thread_local rn_runtime *tls_rt;
static _Thread_local int tls_index = -1;

/* ---- counting ---------------------------------------------------------------------------- */

static void live_add(rn_runtime *rt)
{
	pthread_mutex_lock(&rt->mu);
	rt->live++;
	pthread_mutex_unlock(&rt->mu);
}

static void live_done(rn_runtime *rt, bool dropped)
{
	pthread_mutex_lock(&rt->mu);
	if (dropped)
		rt->dropped++;
	if (--rt->live == 0)
		rne_cond_broadcast(&rt->cv);
	pthread_mutex_unlock(&rt->mu);
}

/* The wrapper every counted task runs in: the count drops when fn returns. */
static void run_item(void *p)
{
	rt_item it = *(rt_item *)p;

	free(p);
	it.fn(it.arg);
	live_done(it.rt, false);
}

static rt_item *item_new(rn_runtime *rt, rn_task_fn fn, void *arg)
{
	rt_item *it = malloc(sizeof(*it));

	if (it) {
		it->fn = fn;
		it->arg = arg;
		it->rt = rt;
		it->next = NULL;
	}
	return it;
}

/* Start a counted task on the calling (runtime) thread. */
static int go_here(rn_runtime *rt, rn_task_fn fn, void *arg, size_t stack_size)
{
	rt_item *it = item_new(rt, fn, arg);
	int rc;

	if (!it)
		return rni_err_errno(ENOMEM, NULL);
	live_add(rt);
	rc = rni_go(run_item, it, stack_size);
	if (rc < 0) {
		free(it);
		live_done(rt, false);
	}
	return rc;
}

/* ---- the dispatcher ------------------------------------------------------------------------ */

static void start_all(rt_item *list)
{
	while (list) {
		rt_item *next = list->next;
		rn_runtime *rt = list->rt;

		if (rni_go(run_item, list, 0) < 0) {
			/* Nobody to tell but rn_runtime_wait: it reports the drop. */
			free(list);
			live_done(rt, true);
		}
		list = next;
	}
}

/*
 * The service task of each runtime thread: start what arrives in the
 * inbox, until rn_runtime_free asks it to stop and the inbox is empty.
 */
static void dispatcher(void *p)
{
	rt_thread *t = p;
	rt_item *list;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		while (!t->head && !t->stopping)
			rne_cond_wait(&t->cv, &t->mu);
		list = t->head;
		t->head = t->tail = NULL;
		if (!list)
			break;
		pthread_mutex_unlock(&t->mu);
		start_all(list);
		pthread_mutex_lock(&t->mu);
	}
	t->closed = true;
	pthread_mutex_unlock(&t->mu);
}

/* ---- threads ------------------------------------------------------------------------------- */

static int pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET((size_t)cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0 ? cpu : -1;
}

/* Start the engine and the dispatcher; 0 or a recorded error. */
static int thread_start(rt_thread *t)
{
	int rc = rn_engine_start();

	if (rc < 0)
		return rc;
	if (!(rn_engine_features() & RN_ENGINE_MSG_RING))
		return rni_err_text(-EOPNOTSUPP,
				    "runtime: the kernel has no IORING_OP_MSG_RING (Linux 5.18)");
	return rni_go(dispatcher, t, 0);
}

static void report(rn_runtime *rt, int *counter)
{
	pthread_mutex_lock(&rt->mu);
	(*counter)++;
	rne_cond_broadcast(&rt->cv);
	pthread_mutex_unlock(&rt->mu);
}

static void *thread_main(void *p)
{
	rt_thread *t = p;
	rn_runtime *rt = t->rt;
	char name[16];
	int rc;

	tls_rt = rt;
	tls_index = t->index;
	snprintf(name, sizeof(name), "rn-rt-%d", t->index);
	pthread_setname_np(pthread_self(), name);
	t->cpu = pin_self(t->cpu_want);
	rc = thread_start(t);
	if (rc < 0) {
		t->start_err = *rn_last_error();
		pthread_mutex_lock(&t->mu);
		t->closed = true;
		pthread_mutex_unlock(&t->mu);
	}
	t->start_rc = rc;
	report(rt, &rt->started);
	if (rc == 0)
		rn_run(); /* until the dispatcher and every task have ended */
	report(rt, &rt->ended);
	return NULL;
}

/* Wait (park, in a task) until *@counter reaches @n. */
static void await_count(rn_runtime *rt, const int *counter, int n)
{
	pthread_mutex_lock(&rt->mu);
	while (*counter < n)
		rne_cond_wait(&rt->cv, &rt->mu);
	pthread_mutex_unlock(&rt->mu);
}

/* Stop the dispatchers of the first @n threads, wait for the threads to end, join them. */
static void stop_threads(rn_runtime *rt, int n)
{
	for (int i = 0; i < n; i++) {
		rt_thread *t = &rt->threads[i];

		pthread_mutex_lock(&t->mu);
		t->stopping = true;
		rne_cond_signal(&t->cv);
		pthread_mutex_unlock(&t->mu);
	}
	/* Parks a task while the threads finish their tasks; the joins are then brief. */
	await_count(rt, &rt->ended, n);
	for (int i = 0; i < n; i++)
		pthread_join(rt->threads[i].tid, NULL);
}

static void destroy(rn_runtime *rt)
{
	for (int i = 0; i < rt->n; i++)
		pthread_mutex_destroy(&rt->threads[i].mu);
	pthread_mutex_destroy(&rt->mu);
	free(rt->threads);
	free(rt);
}

/* The CPUs of the calling thread's affinity mask, in order; how many (0 if unknown). */
static int allowed_cpus(int *cpus)
{
	cpu_set_t set;
	int m = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && m < RN_RUNTIME_MAX_THREADS; c++)
		if (CPU_ISSET((size_t)c, &set))
			cpus[m++] = c;
	return m;
}

static rn_runtime *runtime_alloc(int nthreads)
{
	int *cpus = malloc(sizeof(int) * RN_RUNTIME_MAX_THREADS);
	rn_runtime *rt = calloc(1, sizeof(*rt));
	int m;

	if (!cpus || !rt)
		goto fail;
	m = allowed_cpus(cpus);
	rt->n = nthreads ? nthreads : m ? m : 1;
	rt->threads = calloc((size_t)rt->n, sizeof(*rt->threads));
	if (!rt->threads)
		goto fail;
	atomic_init(&rt->rr, 0);
	pthread_mutex_init(&rt->mu, NULL);
	rne_cond_init(&rt->cv);
	for (int i = 0; i < rt->n; i++) {
		rt_thread *t = &rt->threads[i];

		t->rt = rt;
		t->index = i;
		t->cpu = -1;
		t->cpu_want = m ? cpus[i % m] : -1;
		pthread_mutex_init(&t->mu, NULL);
		rne_cond_init(&t->cv);
	}
	free(cpus);
	return rt;
fail:
	free(cpus);
	if (rt)
		free(rt->threads);
	free(rt);
	rni_err_errno(ENOMEM, NULL);
	return NULL;
}

/* Record why the start failed: pthread_create's error, or a thread's own. */
static void start_failure(rn_runtime *rt, int created, int create_err)
{
	for (int i = 0; i < created; i++) {
		if (rt->threads[i].start_rc < 0) {
			*rni_err_slot() = rt->threads[i].start_err;
			return;
		}
	}
	rni_err_errno(create_err, "pthread_create");
}

rn_runtime *rn_runtime_new(int nthreads)
{
	rn_runtime *rt;
	int created, err = 0;
	bool ok = true;

	if (nthreads < 0 || nthreads > RN_RUNTIME_MAX_THREADS) {
		rni_err_einval("rn_runtime_new: thread count");
		return NULL;
	}
	/* The creator wakes the dispatchers (free), so it needs an engine with MSG_RING. */
	if (!rne_get()) {
		rni_engine_error();
		return NULL;
	}
	if (!(rn_engine_features() & RN_ENGINE_MSG_RING)) {
		rni_err_text(-EOPNOTSUPP, "runtime: the kernel has no IORING_OP_MSG_RING (Linux 5.18)");
		return NULL;
	}
	rt = runtime_alloc(nthreads);
	if (!rt)
		return NULL;
	for (created = 0; created < rt->n; created++) {
		rt_thread *t = &rt->threads[created];

		err = pthread_create(&t->tid, NULL, thread_main, t);
		if (err)
			break;
	}
	await_count(rt, &rt->started, created);
	for (int i = 0; i < created; i++)
		ok = ok && rt->threads[i].start_rc == 0;
	if (!ok || created < rt->n) {
		stop_threads(rt, created);
		start_failure(rt, created, err);
		destroy(rt);
		return NULL;
	}
	return rt;
}

int rn_runtime_threads(const rn_runtime *rt)
{
	return rt ? rt->n : 0;
}

int rn_runtime_cpu(const rn_runtime *rt, int thread)
{
	if (!rt || thread < 0 || thread >= rt->n)
		return -1;
	return rt->threads[thread].cpu;
}

int rn_runtime_thread(void)
{
	return tls_rt ? tls_index : -1;
}

void rn_runtime_free(rn_runtime *rt)
{
	if (!rt || tls_rt == rt)
		return;
	stop_threads(rt, rt->n);
	destroy(rt);
}

/* ---- handing tasks over -------------------------------------------------------------------- */

int rn_go_on(rn_runtime *rt, int thread, rn_task_fn fn, void *arg)
{
	rt_thread *t;
	rt_item *it;
	bool closed;

	if (!rt || !fn)
		return rni_err_einval("rn_go_on: NULL runtime or function");
	if (thread < -1 || thread >= rt->n)
		return rni_err_einval("rn_go_on: no such runtime thread");
	if (thread < 0)
		thread = (int)(atomic_fetch_add(&rt->rr, 1) % (unsigned)rt->n);
	if (tls_rt == rt && tls_index == thread)
		return go_here(rt, fn, arg, 0);
	/* Waking the dispatcher from here is a MSG_RING from this thread's ring. */
	if (!rne_get())
		return rni_engine_error();
	it = item_new(rt, fn, arg);
	if (!it)
		return rni_err_errno(ENOMEM, NULL);
	t = &rt->threads[thread];
	live_add(rt);
	pthread_mutex_lock(&t->mu);
	closed = t->closed;
	if (!closed) {
		if (t->tail)
			t->tail->next = it;
		else
			t->head = it;
		t->tail = it;
		rne_cond_signal(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
	if (closed) {
		free(it);
		live_done(rt, false);
		return rni_err_text(-ESHUTDOWN, "rn_go_on: the runtime thread has stopped");
	}
	return 0;
}

bool rni_runtime_on_thread(void)
{
	return tls_rt != NULL;
}

int rni_runtime_go(rn_task_fn fn, void *arg, size_t stack_size)
{
	return go_here(tls_rt, fn, arg, stack_size);
}

int rn_runtime_go(rn_task_fn fn, void *arg)
{
	if (!tls_rt)
		return rni_err_einval("rn_runtime_go: not on a runtime thread");
	if (!fn)
		return rni_err_einval("rn_runtime_go: NULL function");
	return go_here(tls_rt, fn, arg, 0);
}

int rn_runtime_wait(rn_runtime *rt)
{
	unsigned long dropped;
	char text[96];

	if (!rt)
		return rni_err_einval("rn_runtime_wait: NULL runtime");
	if (tls_rt == rt)
		return rni_err_text(-EDEADLK, "rn_runtime_wait: called on one of the runtime's threads");
	pthread_mutex_lock(&rt->mu);
	while (rt->live)
		rne_cond_wait(&rt->cv, &rt->mu);
	dropped = rt->dropped;
	rt->dropped = 0;
	pthread_mutex_unlock(&rt->mu);
	if (!dropped)
		return 0;
	snprintf(text, sizeof(text), "rn_runtime_wait: %lu task(s) could not be started (no memory)",
		 dropped);
	return rni_err_text(-ENOMEM, text);
}

/* ---- the shared listener ------------------------------------------------------------------- */

struct rn_runtime_listener {
	rn_runtime *rt;
	int n;
	int steering;		/* RN_BPF_STEER_* */
	rn_listener **members;	/* in listen order: members[s] takes CPUs k with k % n == s */
	rn_listener **by_thread; /* the same listeners, by runtime thread */
	atomic_bool closed;
};

/* One member opened on its own thread, waited for by the caller. */
typedef struct rt_listen_call {
	const char *network, *address;
	rn_listener *l;
	rn_error err;
	bool done;
	pthread_mutex_t mu;
	rne_cond cv;
} rt_listen_call;

static void listen_task(void *p)
{
	rt_listen_call *c = p;
	rn_listen_config lc = { .reuse_port = true };
	rn_listener *l = rn_listen_config_listen(&lc, NULL, c->network, c->address);

	if (!l)
		c->err = *rn_last_error();
	pthread_mutex_lock(&c->mu);
	c->l = l;
	c->done = true;
	rne_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static rn_listener *listen_on(rn_runtime *rt, int thread, const char *network, const char *address)
{
	rt_listen_call c = { .network = network, .address = address };
	int rc;

	pthread_mutex_init(&c.mu, NULL);
	rne_cond_init(&c.cv);
	rc = rn_go_on(rt, thread, listen_task, &c);
	if (rc == 0) {
		pthread_mutex_lock(&c.mu);
		while (!c.done)
			rne_cond_wait(&c.cv, &c.mu);
		pthread_mutex_unlock(&c.mu);
		if (!c.l)
			*rni_err_slot() = c.err;
	}
	pthread_mutex_destroy(&c.mu);
	return c.l;
}

/*
 * owner[s]: the thread whose member goes in slot s.  Steering sends CPU k
 * to slot k % n, so a thread pinned to CPU c takes slot c % n when that
 * slot is free; the others fill the remaining slots in thread order.
 */
static void assign_slots(const rn_runtime *rt, int *owner, bool *placed)
{
	int n = rt->n, s = 0;

	for (int i = 0; i < n; i++) {
		owner[i] = -1;
		placed[i] = false;
	}
	for (int i = 0; i < n; i++) {
		int c = rt->threads[i].cpu;

		if (c >= 0 && owner[c % n] < 0) {
			owner[c % n] = i;
			placed[i] = true;
		}
	}
	for (int i = 0; i < n; i++) {
		if (placed[i])
			continue;
		while (owner[s] >= 0)
			s++;
		owner[s] = i;
	}
}

/* "host:port" of @address with the port @port; NULL (recorded) if @address does not split. */
static char *with_port(const char *address, int port)
{
	size_t len = strlen(address) + 1, size = len + 16;
	char *host = malloc(len), *out = malloc(size), ps[16];

	if (!host || !out) {
		rni_err_errno(ENOMEM, NULL);
		goto fail;
	}
	if (rn_split_host_port(address, host, len, NULL, 0) < 0)
		goto fail;
	snprintf(ps, sizeof(ps), "%d", port);
	if (rn_join_host_port(host, ps, out, size) < 0)
		goto fail;
	free(host);
	return out;
fail:
	free(host);
	free(out);
	return NULL;
}

static void listener_release(rn_runtime_listener *rl)
{
	for (int s = 0; s < rl->n; s++)
		rn_listener_free(rl->members[s]);
	free(rl->members);
	free(rl->by_thread);
	free(rl);
}

static rn_runtime_listener *listener_alloc(rn_runtime *rt)
{
	rn_runtime_listener *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return NULL;
	rl->rt = rt;
	rl->members = calloc((size_t)rt->n, sizeof(*rl->members));
	rl->by_thread = calloc((size_t)rt->n, sizeof(*rl->by_thread));
	atomic_init(&rl->closed, false);
	if (!rl->members || !rl->by_thread) {
		free(rl->members);
		free(rl->by_thread);
		free(rl);
		return NULL;
	}
	return rl;
}

/* Open the members in slot order (the classic steering program counts them so). */
static int open_members(rn_runtime_listener *rl, const char *network, const char *address)
{
	rn_runtime *rt = rl->rt;
	int *owner = malloc(sizeof(int) * (size_t)rt->n);
	bool *placed = malloc(sizeof(bool) * (size_t)rt->n);
	char *rest = NULL;
	int rc = 0;

	if (!owner || !placed) {
		rc = rni_err_errno(ENOMEM, NULL);
		goto out;
	}
	assign_slots(rt, owner, placed);
	for (int s = 0; s < rt->n; s++) {
		rn_listener *l = listen_on(rt, owner[s], network, s ? rest : address);

		if (!l) {
			rc = rn_last_error()->code;
			goto out;
		}
		rl->members[s] = l;
		rl->by_thread[owner[s]] = l;
		rl->n = s + 1;
		if (s == 0) {
			/* The first bind picked the port (for :0); the rest join it. */
			rest = with_port(address, rn_listener_addr(l).u.tcp.port);
			if (!rest) {
				rc = rn_last_error()->code;
				goto out;
			}
		}
	}
out:
	free(rest);
	free(placed);
	free(owner);
	return rc;
}

rn_runtime_listener *rn_runtime_listen(rn_runtime *rt, const char *network, const char *address)
{
	rn_runtime_listener *rl;
	int rc;

	if (!rt || !network || !address) {
		rni_err_einval("rn_runtime_listen: NULL argument");
		return NULL;
	}
	if (strcmp(network, "tcp") && strcmp(network, "tcp4") && strcmp(network, "tcp6")) {
		rni_err_unknown_network(network);
		return NULL;
	}
	rl = listener_alloc(rt);
	if (!rl) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	rc = open_members(rl, network, address);
	if (rc == 0)
		rc = rn_bpf_steer_by_cpu_listeners(rl->members, (size_t)rl->n);
	if (rc < 0) {
		/* Keep the failure's text through the frees. */
		rn_error err = *rn_last_error();

		listener_release(rl);
		*rni_err_slot() = err;
		return NULL;
	}
	rl->steering = rc;
	return rl;
}

rn_listener *rn_runtime_listener_local(rn_runtime_listener *rl)
{
	if (!rl || tls_rt != rl->rt)
		return NULL;
	return rl->by_thread[tls_index];
}

rn_addr rn_runtime_listener_addr(const rn_runtime_listener *rl)
{
	rn_addr none = { .kind = RN_ADDR_NONE };

	return rl ? rn_listener_addr(rl->members[0]) : none;
}

int rn_runtime_listener_steering(const rn_runtime_listener *rl)
{
	return rl ? rl->steering : rni_err_einval("rn_runtime_listener_steering: NULL");
}

int rn_runtime_listener_close(rn_runtime_listener *rl)
{
	if (!rl)
		return rni_err_einval("rn_runtime_listener_close: NULL");
	if (atomic_exchange(&rl->closed, true))
		return rn_listener_close(rl->members[0]); /* RN_ECLOSED, in Go's words */
	for (int s = 0; s < rl->n; s++)
		rn_listener_close(rl->members[s]);
	return 0;
}

void rn_runtime_listener_free(rn_runtime_listener *rl)
{
	if (rl)
		listener_release(rl);
}
