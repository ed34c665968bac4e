/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_runtime.c - the multi-core runtime (<ringnet/runtime.h>) with
 * two threads against the real kernel: tasks handed to a thread run there,
 * round robin spreads them, rn_runtime_wait waits for nested spawns, a
 * plain thread and another runtime thread wake a parked dispatcher, free
 * waits for live tasks and leaves no thread or descriptor behind; and a
 * SO_REUSEPORT listener group steered by CPU serving 200 echo clients,
 * each connection served by the thread that accepted it (and, when the
 * threads are pinned to CPUs of different parity, the thread on the
 * client's CPU), Close waking both accept loops.  Only 127.0.0.1 is used.
 */
#define _GNU_SOURCE /* sched_setaffinity, sched_getcpu, CPU_* */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

enum { CLIENT_THREADS = 8, PER_CLIENT = 25, CLIENTS = CLIENT_THREADS * PER_CLIENT };

static const char *last_error(void)
{
	static char buf[1024];

	rn_error_string(rn_last_error(), buf, sizeof(buf));
	return buf;
}

static rn_runtime *new_runtime(int n)
{
	rn_runtime *rt = rn_runtime_new(n);

	ck_assert_msg(rt != NULL, "rn_runtime_new: %s", last_error());
	return rt;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET((size_t)cpu, &set);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(set), &set), 0);
}

/* Entries of /proc/self/task: the process's threads. */
static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* ---- handing tasks over ------------------------------------------------------------ */

typedef struct where {
	rn_runtime *rt;
	_Atomic int thread[2];
	_Atomic int cpu_ok[2];
	_Atomic int in_task[2];
} where;

static where g_where;

static void record_where(void *arg)
{
	int i = (int)(intptr_t)arg, cpu = rn_runtime_cpu(g_where.rt, i);

	atomic_store(&g_where.thread[i], rn_runtime_thread());
	atomic_store(&g_where.in_task[i], rn_in_task());
	atomic_store(&g_where.cpu_ok[i], cpu < 0 || sched_getcpu() == cpu);
}

START_TEST(test_go_on_runs_on_that_thread)
{
	rn_runtime *rt = new_runtime(2);

	memset(&g_where, 0, sizeof(g_where));
	g_where.rt = rt;
	ck_assert_int_eq(rn_runtime_threads(rt), 2);
	ck_assert_int_eq(rn_runtime_thread(), -1);
	for (int i = 0; i < 2; i++)
		atomic_store(&g_where.thread[i], -7);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(rn_go_on(rt, i, record_where, (void *)(intptr_t)i), 0);
	ck_assert_int_eq(rn_runtime_wait(rt), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(atomic_load(&g_where.thread[i]), i);
		ck_assert(atomic_load(&g_where.in_task[i]));
		ck_assert_msg(atomic_load(&g_where.cpu_ok[i]), "thread %d not on CPU %d", i,
			      rn_runtime_cpu(rt, i));
	}
	rn_runtime_free(rt);
}
END_TEST

static _Atomic int g_per_thread[2];

static void count_thread(void *arg)
{
	(void)arg;
	atomic_fetch_add(&g_per_thread[rn_runtime_thread()], 1);
}

START_TEST(test_round_robin)
{
	rn_runtime *rt = new_runtime(2);

	atomic_store(&g_per_thread[0], 0);
	atomic_store(&g_per_thread[1], 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(rn_go_on(rt, -1, count_thread, NULL), 0);
	ck_assert_int_eq(rn_runtime_wait(rt), 0);
	ck_assert_int_eq(atomic_load(&g_per_thread[0]), 5);
	ck_assert_int_eq(atomic_load(&g_per_thread[1]), 5);
	rn_runtime_free(rt);
}
END_TEST

/* ---- waiting ----------------------------------------------------------------------- */

static rn_runtime *g_rt;
static _Atomic int g_done;

/* A fresh two-thread g_rt: @fn on its thread @thread, then wait; @want tasks counted g_done. */
static void go_on_and_wait(int thread, rn_task_fn fn, int want)
{
	g_rt = new_runtime(2);
	atomic_store(&g_done, 0);
	ck_assert_int_eq(rn_go_on(g_rt, thread, fn, NULL), 0);
	ck_assert_int_eq(rn_runtime_wait(g_rt), 0);
	ck_assert_int_eq(atomic_load(&g_done), want);
	rn_runtime_free(g_rt);
}

static void leaf(void *arg)
{
	(void)arg;
	rn_sleep(20 * RN_MILLISECOND);
	atomic_fetch_add(&g_done, 1);
}

static void far_child(void *arg)
{
	(void)arg;
	rn_sleep(30 * RN_MILLISECOND);
	/* Counted although started after its parent's parent returned. */
	ck_assert_int_eq(rn_runtime_go(leaf, NULL), 0);
	atomic_fetch_add(&g_done, 1);
}

static void root(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rn_runtime_go(leaf, NULL), 0);
	ck_assert_int_eq(rn_go_on(g_rt, 1, far_child, NULL), 0);
	atomic_fetch_add(&g_done, 1);
}

START_TEST(test_wait_waits_for_nested_spawns)
{
	go_on_and_wait(0, root, 6); /* root, 3 leaves, far_child and its leaf */
}
END_TEST

/* ---- waking a parked dispatcher ------------------------------------------------------ */

static _Atomic rn_time g_ran_at;

static void stamp(void *arg)
{
	(void)arg;
	atomic_store(&g_ran_at, rn_now());
	atomic_fetch_add(&g_done, 1);
}

static void *plain_go_on(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)rn_go_on(g_rt, 1, stamp, NULL);
}

START_TEST(test_wake_from_plain_thread)
{
	pthread_t th;
	void *rc;
	rn_time sent;

	g_rt = new_runtime(2);
	atomic_store(&g_done, 0);
	/* Let the dispatchers park in their rings first. */
	rn_sleep(50 * RN_MILLISECOND);
	sent = rn_now();
	ck_assert_int_eq(pthread_create(&th, NULL, plain_go_on, NULL), 0);
	ck_assert_int_eq(pthread_join(th, &rc), 0);
	ck_assert_int_eq((int)(intptr_t)rc, 0);
	ck_assert_int_eq(rn_runtime_wait(g_rt), 0);
	ck_assert_int_eq(atomic_load(&g_done), 1);
	ck_assert_msg(atomic_load(&g_ran_at) - sent < 2 * RN_SECOND, "woken late");
	rn_runtime_free(g_rt);
}
END_TEST

static void hand_to_other(void *arg)
{
	(void)arg;
	rn_sleep(50 * RN_MILLISECOND); /* thread 1's dispatcher is parked by now */
	ck_assert_int_eq(rn_go_on(g_rt, 1, stamp, NULL), 0);
}

START_TEST(test_wake_from_other_runtime_thread)
{
	go_on_and_wait(0, hand_to_other, 1); /* the stamp handed to thread 1 */
}
END_TEST

/* ---- free --------------------------------------------------------------------------- */

START_TEST(test_free_waits_for_live_tasks)
{
	g_rt = new_runtime(2);
	atomic_store(&g_done, 0);
	ck_assert_int_eq(rn_go_on(g_rt, 0, leaf, NULL), 0);
	ck_assert_int_eq(rn_go_on(g_rt, 1, leaf, NULL), 0);
	rn_runtime_free(g_rt); /* no wait: free lets them finish */
	ck_assert_int_eq(atomic_load(&g_done), 2);
}
END_TEST

static void *nothing(void *arg)
{
	return arg;
}

START_TEST(test_free_leaves_no_threads)
{
	int before;

	/* A first thread, so that helpers started with it (TSan's) are counted in before. */
	tu_thread_join(tu_thread_start(nothing, NULL));
	before = count_threads();
	g_rt = new_runtime(2);
	ck_assert_int_eq(count_threads(), before + 2);
	atomic_store(&g_done, 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(rn_go_on(g_rt, -1, leaf, NULL), 0);
	ck_assert_int_eq(rn_runtime_wait(g_rt), 0);
	rn_runtime_free(g_rt);
	ck_assert_int_eq(count_threads(), before);
	/* The fixture checks the descriptors: two rings are gone with their threads. */
}
END_TEST

START_TEST(test_zero_means_one_per_cpu)
{
	cpu_set_t set;
	rn_runtime *rt;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
	rt = new_runtime(0);
	ck_assert_int_eq(rn_runtime_threads(rt), CPU_COUNT(&set));
	rn_runtime_free(rt);
}
END_TEST

/* ---- misuse ------------------------------------------------------------------------------ */

static _Atomic int g_rc;

static void wait_inside(void *arg)
{
	(void)arg;
	atomic_store(&g_rc, rn_runtime_wait(g_rt));
}

START_TEST(test_misuse)
{
	ck_assert_ptr_null(rn_runtime_new(-1));
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	g_rt = new_runtime(2);
	ck_assert_int_eq(rn_go_on(g_rt, 2, leaf, NULL), -EINVAL);
	ck_assert_int_eq(rn_go_on(g_rt, 0, NULL, NULL), -EINVAL);
	ck_assert_int_eq(rn_runtime_go(leaf, NULL), -EINVAL); /* not on a runtime thread */
	ck_assert_ptr_null(rn_runtime_listen(g_rt, "udp4", "127.0.0.1:0"));
	ck_assert_int_eq(rn_runtime_listener_local(NULL) == NULL, 1);
	ck_assert_int_eq(rn_go_on(g_rt, 0, wait_inside, NULL), 0);
	ck_assert_int_eq(rn_runtime_wait(g_rt), 0);
	ck_assert_int_eq(atomic_load(&g_rc), -EDEADLK);
	rn_runtime_free(g_rt);
}
END_TEST

/* ---- the shared listener --------------------------------------------------------------- */

typedef struct server {
	rn_runtime *rt;
	rn_runtime_listener *rl;
	_Atomic int accepting;		/* accept loops parked or running */
	_Atomic int accept_rc[2];	/* how each accept loop ended */
	_Atomic int accepted[2];
	_Atomic int served[2];
	_Atomic int wrong_thread;	/* echo task not on its acceptor's thread */
	_Atomic int misrouted;		/* accepted off the client's CPU's thread */
	_Atomic int echo_errors;
} server;

static server g_srv;

typedef struct echo_arg {
	rn_conn *c;
	int thread;
} echo_arg;

/* Echo until EOF; the first byte says which thread the client expects (0xff: any). */
static void echo(void *arg)
{
	echo_arg ea = *(echo_arg *)arg;
	bool first = true;
	char buf[4096];
	ssize_t n;

	free(arg);
	if (rn_runtime_thread() != ea.thread)
		atomic_fetch_add(&g_srv.wrong_thread, 1);
	while ((n = rn_conn_read(ea.c, buf, sizeof(buf))) > 0) {
		if (first && (unsigned char)buf[0] != 0xff && buf[0] != ea.thread)
			atomic_fetch_add(&g_srv.misrouted, 1);
		first = false;
		if (rn_conn_write(ea.c, buf, (size_t)n) != n) {
			atomic_fetch_add(&g_srv.echo_errors, 1);
			break;
		}
	}
	if (n < 0)
		atomic_fetch_add(&g_srv.echo_errors, 1);
	rn_conn_free(ea.c);
	atomic_fetch_add(&g_srv.served[ea.thread], 1);
}

static void accept_loop(void *arg)
{
	rn_listener *l = rn_runtime_listener_local(g_srv.rl);
	int me = rn_runtime_thread();
	rn_conn *c;

	(void)arg;
	ck_assert_ptr_nonnull(l);
	atomic_fetch_add(&g_srv.accepting, 1);
	while ((c = rn_listener_accept(l)) != NULL) {
		echo_arg *ea = malloc(sizeof(*ea));

		ck_assert_ptr_nonnull(ea);
		ea->c = c;
		ea->thread = me;
		atomic_fetch_add(&g_srv.accepted[me], 1);
		ck_assert_int_eq(rn_runtime_go(echo, ea), 0);
	}
	atomic_store(&g_srv.accept_rc[me], rn_last_error()->code);
}

static void start_server(void)
{
	memset(&g_srv, 0, sizeof(g_srv));
	g_srv.rt = new_runtime(2);
	g_srv.rl = rn_runtime_listen(g_srv.rt, "tcp4", "127.0.0.1:0");
	ck_assert_msg(g_srv.rl != NULL, "rn_runtime_listen: %s", last_error());
	ck_assert_int_gt(rn_runtime_listener_steering(g_srv.rl), 0);
	ck_assert_int_ne(rn_runtime_listener_addr(g_srv.rl).u.tcp.port, 0);
	ck_assert_ptr_null(rn_runtime_listener_local(g_srv.rl)); /* not a runtime thread */
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(rn_go_on(g_srv.rt, i, accept_loop, NULL), 0);
}

static void stop_server(void)
{
	ck_assert_int_eq(rn_runtime_listener_close(g_srv.rl), 0);
	ck_assert_int_eq(rn_runtime_wait(g_srv.rt), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(atomic_load(&g_srv.accept_rc[i]), RN_ECLOSED);
	ck_assert_int_eq(rn_runtime_listener_close(g_srv.rl), RN_ECLOSED);
	rn_runtime_listener_free(g_srv.rl);
	rn_runtime_free(g_srv.rt);
}

/* Whether runtime CPU steering can be checked: both threads pinned, to CPUs of different parity. */
static bool steering_checkable(void)
{
	int c0 = rn_runtime_cpu(g_srv.rt, 0), c1 = rn_runtime_cpu(g_srv.rt, 1);

	return c0 >= 0 && c1 >= 0 && c0 % 2 != c1 % 2;
}

typedef struct client {
	int index;
	int expect;	/* the runtime thread that should accept, or -1 */
	char addr[64];
	int ok;
} client;

static int one_echo(const char *addr, int id, int expect)
{
	size_t len = 1 + (size_t)(id * 37 % 4000);
	char *out = malloc(len), *in = malloc(len);
	rn_conn *c = rn_dial("tcp4", addr);
	size_t got = 0;
	int ok = 0;

	if (!out || !in || !c)
		goto done;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(id + (int)i * 7);
	out[0] = expect < 0 ? (char)0xff : (char)expect;
	if (rn_conn_write(c, out, len) != (ssize_t)len)
		goto done;
	while (got < len) {
		ssize_t n = rn_conn_read(c, in + got, len - got);

		if (n <= 0)
			goto done;
		got += (size_t)n;
	}
	ok = memcmp(in, out, len) == 0;
done:
	rn_conn_free(c);
	free(in);
	free(out);
	return ok;
}

static void *client_main(void *arg)
{
	client *cl = arg;

	if (cl->expect >= 0)
		pin(rn_runtime_cpu(g_srv.rt, cl->expect));
	for (int i = 0; i < PER_CLIENT; i++)
		cl->ok += one_echo(cl->addr, cl->index * PER_CLIENT + i, cl->expect);
	return NULL;
}

START_TEST(test_listener_echo_200_clients)
{
	client cl[CLIENT_THREADS];
	pthread_t th[CLIENT_THREADS];
	rn_addr a;
	int ok = 0;
	bool steer;

	start_server();
	steer = steering_checkable();
	if (!steer)
		printf("test_runtime: runtime threads not pinned to CPUs of both parities; "
		       "not checking which thread accepts\n");
	a = rn_runtime_listener_addr(g_srv.rl);
	for (int t = 0; t < CLIENT_THREADS; t++) {
		cl[t].index = t;
		cl[t].expect = steer ? t % 2 : -1;
		cl[t].ok = 0;
		rn_addr_string(&a, cl[t].addr, sizeof(cl[t].addr));
		th[t] = tu_thread_start(client_main, &cl[t]);
	}
	for (int t = 0; t < CLIENT_THREADS; t++) {
		tu_thread_join(th[t]);
		ok += cl[t].ok;
	}
	ck_assert_int_eq(ok, CLIENTS);
	stop_server();
	ck_assert_int_eq(atomic_load(&g_srv.accepted[0]) + atomic_load(&g_srv.accepted[1]), CLIENTS);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(atomic_load(&g_srv.served[i]), atomic_load(&g_srv.accepted[i]));
	ck_assert_int_eq(atomic_load(&g_srv.wrong_thread), 0);
	ck_assert_int_eq(atomic_load(&g_srv.echo_errors), 0);
	ck_assert_int_eq(atomic_load(&g_srv.misrouted), 0);
	if (steer)
		for (int i = 0; i < 2; i++)
			ck_assert_int_eq(atomic_load(&g_srv.accepted[i]), CLIENTS / 2);
}
END_TEST

START_TEST(test_listener_close_wakes_both_accepts)
{
	start_server();
	while (atomic_load(&g_srv.accepting) < 2)
		rn_sleep(RN_MILLISECOND);
	rn_sleep(20 * RN_MILLISECOND); /* both parked in Accept */
	stop_server(); /* close: both loops end with RN_ECLOSED, wait returns */
	ck_assert_int_eq(atomic_load(&g_srv.accepted[0]) + atomic_load(&g_srv.accepted[1]), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tu_engine_tcase("runtime");

	tcase_add_test(tc, test_go_on_runs_on_that_thread);
	tcase_add_test(tc, test_round_robin);
	tcase_add_test(tc, test_wait_waits_for_nested_spawns);
	tcase_add_test(tc, test_wake_from_plain_thread);
	tcase_add_test(tc, test_wake_from_other_runtime_thread);
	tcase_add_test(tc, test_free_waits_for_live_tasks);
	tcase_add_test(tc, test_free_leaves_no_threads);
	tcase_add_test(tc, test_zero_means_one_per_cpu);
	tcase_add_test(tc, test_misuse);
	tcase_add_test(tc, test_listener_echo_200_clients);
	tcase_add_test(tc, test_listener_close_wakes_both_accepts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
