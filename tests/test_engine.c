/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_engine.c - the per-thread io_uring engine: start reports
 * io_uring and the features this kernel offers, start is idempotent, stop
 * tears the ring down and the next call (explicit or a blocking one) starts
 * a new one, every thread has its own engine, thread exit frees it with no
 * descriptor left behind, and a thread that cannot use io_uring (a seccomp
 * filter on io_uring_setup) gets Go-style errors naming the cause.
 *
 * The main thread's engine is stopped before each test counts descriptors
 * and again before the fixture's leak check, so the ring fd is never
 * mistaken for a leak (or a leak hidden behind it).
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ringnet/engine.h>

#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

/* Kernel version as major * 1000 + minor (6.1 -> 6001). */
static int kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	ck_assert_int_eq(uname(&u), 0);
	ck_assert_int_ge(sscanf(u.release, "%d.%d", &major, &minor), 1);
	return major * 1000 + minor;
}

static void engine_setup(void)
{
	rn_engine_stop(); /* count descriptors with no ring on this thread */
	tu_fd_setup();
}

static void engine_teardown(void)
{
	rn_engine_stop();
	tu_fd_teardown();
}

static TCase *engine_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, engine_setup, engine_teardown);
	tcase_set_timeout(tc, 60);
	return tc;
}

static void assert_stopped(void)
{
	ck_assert_int_eq(rn_engine_backend(), RN_BACKEND_NONE);
	ck_assert_str_eq(rn_engine_backend_name(), "none");
	ck_assert_uint_eq(rn_engine_features(), 0);
}

/* What a kernel of this version must offer (engine.h's RN_ENGINE_* notes). */
static void assert_kernel_features(unsigned f)
{
	int v = kernel_version();

	if (v >= 6001) {
		ck_assert_msg((f & RN_ENGINE_SINGLE_ISSUER) && (f & RN_ENGINE_DEFER_TASKRUN),
			      "kernel %d.%d offers SINGLE_ISSUER|DEFER_TASKRUN, features 0x%x",
			      v / 1000, v % 1000, f);
		/* The ring was set up with DEFER_TASKRUN, not the COOP fallback. */
		ck_assert_msg(!(f & RN_ENGINE_COOP_TASKRUN), "features 0x%x", f);
	} else if (v >= 5019) {
		ck_assert_msg(f & RN_ENGINE_COOP_TASKRUN, "features 0x%x", f);
	}
	if (v >= 5015)
		ck_assert_msg(f & RN_ENGINE_TIMEOUT_REALTIME,
			      "kernel takes CLOCK_REALTIME timeouts, features 0x%x", f);
	if (v >= 5018) {
		ck_assert_msg(f & RN_ENGINE_MSG_RING, "features 0x%x", f);
		ck_assert_msg(f & RN_ENGINE_REGISTERED_RING, "features 0x%x", f);
	}
	if (v >= 5017)
		ck_assert_msg(f & RN_ENGINE_CQE_SKIP, "features 0x%x", f);
	if (v >= 5019)
		ck_assert_msg(f & RN_ENGINE_SOCKET_OP, "features 0x%x", f);
	/* RN_ENGINE_CANCEL_FD: its own test below, so one miss names itself. */
}

/* A loopback round trip on the calling thread (starts its engine on use). */
static void loopback_round_trip(void)
{
	char addr[RN_ADDR_STRLEN], buf[8];
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");
	rn_addr la;

	ck_assert_ptr_nonnull(l);
	la = rn_listener_addr(l);
	ck_assert_int_gt(rn_addr_string(&la, addr, sizeof addr), 0);
	rn_conn *c = rn_dial("tcp", addr);
	ck_assert_ptr_nonnull(c);
	rn_conn *s = rn_listener_accept(l);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(rn_conn_write(c, "ping", 4), 4);
	ck_assert_int_eq(rn_conn_read(s, buf, 4), 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	rn_conn_free(c);
	ck_assert_int_eq(rn_conn_read(s, buf, sizeof buf), 0); /* EOF */
	rn_conn_free(s);
	rn_listener_free(l);
}

/* ---- start / stop ---------------------------------------------------------------- */

START_TEST(test_start_reports_io_uring)
{
	int base = tu_count_fds();

	assert_stopped();
	ck_assert_int_eq(rn_engine_start(), 0);
	ck_assert_int_eq(rn_engine_backend(), RN_BACKEND_IO_URING);
	ck_assert_str_eq(rn_engine_backend_name(), "io_uring");
	unsigned f = rn_engine_features();
	assert_kernel_features(f);
	/* One ring, one descriptor. */
	ck_assert_int_eq(tu_count_fds(), base + 1);

	/* Again after success: a no-op (same ring, no new descriptor). */
	ck_assert_int_eq(rn_engine_start(), 0);
	ck_assert_uint_eq(rn_engine_features(), f);
	ck_assert_int_eq(tu_count_fds(), base + 1);
}
END_TEST

START_TEST(test_features_cancel_fd)
{
	/*
	 * IORING_ASYNC_CANCEL_FD arrived in 5.19; Close and SetDeadline use it
	 * to reach calls blocked on other threads' rings.  (A probe that asks
	 * with IORING_ASYNC_CANCEL_ALL gets 0 - the count cancelled - not
	 * -ENOENT, when nothing matches.)
	 */
	int v = kernel_version();

	ck_assert_int_eq(rn_engine_start(), 0);
	if (v < 5019) {
		printf("test_features_cancel_fd: skipped, kernel %d.%d predates 5.19\n", v / 1000,
		       v % 1000);
		return;
	}
	ck_assert_msg(rn_engine_features() & RN_ENGINE_CANCEL_FD,
		      "kernel %d.%d offers IORING_ASYNC_CANCEL_FD, features 0x%x", v / 1000,
		      v % 1000, rn_engine_features());
}
END_TEST

START_TEST(test_stop_then_start_again)
{
	int base = tu_count_fds();

	/* Stopping an engine that never started is a no-op, twice over. */
	rn_engine_stop();
	rn_engine_stop();
	assert_stopped();
	ck_assert_int_eq(tu_count_fds(), base);

	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(rn_engine_start(), 0);
		ck_assert_int_eq(rn_engine_backend(), RN_BACKEND_IO_URING);
		assert_kernel_features(rn_engine_features());
		ck_assert_int_eq(tu_count_fds(), base + 1);
		rn_engine_stop();
		assert_stopped();
		ck_assert_int_eq(tu_count_fds(), base); /* the ring fd is gone */
		rn_engine_stop();			/* and a second stop is harmless */
		ck_assert_int_eq(tu_count_fds(), base);
	}
}
END_TEST

START_TEST(test_blocking_call_restarts_engine)
{
	int base = tu_count_fds();

	ck_assert_int_eq(rn_engine_start(), 0);
	rn_engine_stop();
	assert_stopped();
	/* A blocking call after a stop starts a fresh engine by itself. */
	loopback_round_trip();
	ck_assert_int_eq(rn_engine_backend(), RN_BACKEND_IO_URING);
	assert_kernel_features(rn_engine_features());
	ck_assert_int_eq(tu_count_fds(), base + 1);
	/* Stop and go again: the new ring works as well as the first. */
	rn_engine_stop();
	ck_assert_int_eq(tu_count_fds(), base);
	loopback_round_trip();
	ck_assert_int_eq(rn_engine_backend(), RN_BACKEND_IO_URING);
	rn_engine_stop();
	ck_assert_int_eq(tu_count_fds(), base);
}
END_TEST

/* ---- one engine per thread ---------------------------------------------------- */

struct per_thread {
	pthread_barrier_t started, checked;
	int backend_before;
	int start_rc;
	int backend_after;
	unsigned features;
};

static void *own_engine_thread(void *arg)
{
	struct per_thread *p = arg;

	/* The main thread's engine runs, but it is not this thread's. */
	p->backend_before = (int)rn_engine_backend();
	p->start_rc = rn_engine_start();
	p->backend_after = (int)rn_engine_backend();
	p->features = rn_engine_features();
	pthread_barrier_wait(&p->started); /* main counts our ring fd now */
	pthread_barrier_wait(&p->checked);
	/* Use it, then exit without stopping: the exit tears it down. */
	loopback_round_trip();
	return NULL;
}

START_TEST(test_each_thread_has_its_own_engine)
{
	int base = tu_count_fds();
	struct per_thread p;
	pthread_t t;

	memset(&p, 0, sizeof p);
	ck_assert_int_eq(rn_engine_start(), 0);
	unsigned main_features = rn_engine_features();
	ck_assert_int_eq(tu_count_fds(), base + 1);

	ck_assert_int_eq(pthread_barrier_init(&p.started, NULL, 2), 0);
	ck_assert_int_eq(pthread_barrier_init(&p.checked, NULL, 2), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, own_engine_thread, &p), 0);
	pthread_barrier_wait(&p.started);
	/* Two rings now: ours and the thread's. */
	ck_assert_int_eq(tu_count_fds(), base + 2);
	pthread_barrier_wait(&p.checked);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	pthread_barrier_destroy(&p.started);
	pthread_barrier_destroy(&p.checked);

	ck_assert_int_eq(p.backend_before, RN_BACKEND_NONE);
	ck_assert_int_eq(p.start_rc, 0);
	ck_assert_int_eq(p.backend_after, RN_BACKEND_IO_URING);
	ck_assert_uint_eq(p.features, main_features);
	/* The thread's exit closed its ring; ours is untouched and still works. */
	ck_assert_int_eq(tu_count_fds(), base + 1);
	ck_assert_int_eq(rn_engine_backend(), RN_BACKEND_IO_URING);
	loopback_round_trip();
	ck_assert_int_eq(tu_count_fds(), base + 1);
}
END_TEST

static void *io_then_exit_thread(void *arg)
{
	(void)arg;
	loopback_round_trip(); /* starts the engine on first use */
	return rn_engine_backend() == RN_BACKEND_IO_URING ? (void *)1 : NULL;
}

static void *start_stop_exit_thread(void *arg)
{
	(void)arg;
	if (rn_engine_start() != 0)
		return NULL;
	rn_engine_stop(); /* the exit must not free it a second time */
	if (rn_engine_start() != 0)
		return NULL;
	loopback_round_trip();
	return (void *)1;
}

START_TEST(test_thread_exit_tears_down)
{
	int base = tu_count_fds();

	/* Many threads, a few at a time: every exit frees its ring. */
	for (int round = 0; round < 8; round++) {
		pthread_t t[8];
		void *ok;

		for (int i = 0; i < 8; i++)
			ck_assert_int_eq(pthread_create(&t[i], NULL,
							(i & 1) ? start_stop_exit_thread
								: io_then_exit_thread,
							NULL),
					 0);
		for (int i = 0; i < 8; i++) {
			ck_assert_int_eq(pthread_join(t[i], &ok), 0);
			ck_assert_ptr_nonnull(ok);
		}
		ck_assert_int_eq(tu_count_fds(), base);
	}
	/* The main thread never started one. */
	assert_stopped();
}
END_TEST

static void *deadline_then_exit_thread(void *arg)
{
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");
	(void)arg;

	if (!l)
		return NULL;
	/* Leave a linked timeout behind in the ring, then exit. */
	rn_listener_set_deadline(l, rn_time_add(rn_now(), 5 * RN_MILLISECOND));
	rn_conn *c = rn_listener_accept(l);
	int code = rn_last_error()->code;
	rn_listener_free(l);
	return (c == NULL && code == RN_ETIMEOUT) ? (void *)1 : NULL;
}

START_TEST(test_thread_exit_after_timeout)
{
	int base = tu_count_fds();

	for (int i = 0; i < 10; i++) {
		pthread_t t;
		void *ok;

		ck_assert_int_eq(pthread_create(&t, NULL, deadline_then_exit_thread, NULL), 0);
		ck_assert_int_eq(pthread_join(t, &ok), 0);
		ck_assert_ptr_nonnull(ok);
	}
	ck_assert_int_eq(tu_count_fds(), base);
}
END_TEST

/* ---- a thread that cannot use io_uring --------------------------------------------- */

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef TEST_AUDIT_ARCH
struct denied {
	char listen_addr[RN_ADDR_STRLEN];
	int filter_rc;
	int start_rc;
	rn_error start_err;
	int backend;
	unsigned features;
	bool dial_null;
	rn_error dial_err;
	char start_text[1024];
	char dial_text[1024];
};


static void *denied_thread(void *arg)
{
	struct denied *d = arg;

	d->filter_rc = tu_deny_io_uring_setup(ENOSYS);
	if (d->filter_rc != 0)
		return NULL;
	d->start_rc = rn_engine_start();
	d->start_err = *rn_last_error();
	rn_error_string(NULL, d->start_text, sizeof d->start_text);
	d->backend = (int)rn_engine_backend();
	d->features = rn_engine_features();
	rn_conn *c = rn_dial("tcp", d->listen_addr);
	d->dial_null = c == NULL;
	d->dial_err = *rn_last_error();
	rn_error_string(NULL, d->dial_text, sizeof d->dial_text);
	rn_conn_free(c);
	return NULL;
}
#endif

START_TEST(test_start_failure_is_explained)
{
#ifdef TEST_AUDIT_ARCH
	struct denied d;
	pthread_t t;
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");
	rn_addr la;
	char want[1200];

	ck_assert_ptr_nonnull(l);
	memset(&d, 0, sizeof d);
	la = rn_listener_addr(l);
	rn_addr_string(&la, d.listen_addr, sizeof d.listen_addr);
	int base = tu_count_fds();
	ck_assert_int_eq(pthread_create(&t, NULL, denied_thread, &d), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	if (d.filter_rc != 0) {
		printf("test_start_failure_is_explained: skipped, cannot install a seccomp "
		       "filter (%s)\n", strerror(-d.filter_rc));
		rn_listener_free(l);
		return;
	}
	ck_assert_int_eq(d.start_rc, -ENOSYS);
	ck_assert_int_eq(d.start_err.code, -ENOSYS);
	ck_assert_msg(strstr(d.start_text, "io_uring_setup") != NULL &&
			      strstr(d.start_text, "seccomp") != NULL,
		      "start error does not name the cause: \"%s\"", d.start_text);
	ck_assert_int_eq(d.backend, RN_BACKEND_NONE);
	ck_assert_uint_eq(d.features, 0);
	/* A blocking call fails the same way, wrapped as Go's OpError "dial". */
	ck_assert(d.dial_null);
	ck_assert_int_eq(d.dial_err.code, -ENOSYS);
	ck_assert(d.dial_err.op_error);
	ck_assert_str_eq(d.dial_err.op, "dial");
	ck_assert_str_eq(d.dial_err.net, "tcp");
	snprintf(want, sizeof want, "dial tcp %s: %s", d.listen_addr, d.start_text);
	ck_assert_str_eq(d.dial_text, want);
	/* Nothing left open by the failed starts or the failed dial. */
	ck_assert_int_eq(tu_count_fds(), base);
	/* Other threads are unaffected. */
	loopback_round_trip();
	rn_listener_free(l);
#else
	printf("test_start_failure_is_explained: skipped, no seccomp arch constant here\n");
#endif
}
END_TEST

static Suite *engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = engine_tcase("start_stop");

	tcase_add_test(tc, test_start_reports_io_uring);
	tcase_add_test(tc, test_features_cancel_fd);
	tcase_add_test(tc, test_stop_then_start_again);
	tcase_add_test(tc, test_blocking_call_restarts_engine);
	suite_add_tcase(s, tc);

	tc = engine_tcase("threads");
	tcase_add_test(tc, test_each_thread_has_its_own_engine);
	tcase_add_test(tc, test_thread_exit_tears_down);
	tcase_add_test(tc, test_thread_exit_after_timeout);
	tcase_add_test(tc, test_start_failure_is_explained);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(engine_suite());
}
