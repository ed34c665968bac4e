/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_time.c - rn_now, rn_time_add saturation, rn_until and rn_ctx
 * (context.Context): cancel, deadlines, parent/child, watch callbacks, and
 * cancel from another thread.  Kept TSan-clean: shared state is atomic.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

START_TEST(test_now_is_wall_clock)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t before = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	rn_time now = rn_now();
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t after = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	ck_assert_int_ge(now, before);
	ck_assert_int_le(now, after);
}
END_TEST

START_TEST(test_time_add_saturates)
{
	ck_assert_int_eq(rn_time_add(1000, 500), 1500);
	ck_assert_int_eq(rn_time_add(1000, -500), 500);
	ck_assert_int_eq(rn_time_add(0, RN_SECOND), RN_SECOND); /* the zero time is just a value */
	ck_assert_int_eq(rn_time_add(INT64_MAX - 5, 10), INT64_MAX);
	ck_assert_int_eq(rn_time_add(INT64_MAX, INT64_MAX), INT64_MAX);
	ck_assert_int_eq(rn_time_add(INT64_MIN + 5, -10), INT64_MIN);
	ck_assert_int_eq(rn_time_add(INT64_MIN, INT64_MIN), INT64_MIN);
	ck_assert_int_eq(rn_time_add(INT64_MAX, INT64_MIN), -1);
	ck_assert_int_eq(RN_HOUR, (rn_duration)3600 * 1000000000);
}
END_TEST

START_TEST(test_until)
{
	rn_time future = rn_time_add(rn_now(), RN_HOUR);
	rn_duration d = rn_until(future);
	ck_assert_int_gt(d, RN_HOUR - RN_MINUTE);
	ck_assert_int_le(d, RN_HOUR);
	ck_assert_int_lt(rn_until(rn_time_add(rn_now(), -RN_SECOND)), 0);
}
END_TEST

START_TEST(test_background_is_null)
{
	ck_assert_int_eq(rn_ctx_err(NULL), 0);
	ck_assert(!rn_ctx_done(NULL));
	ck_assert_int_eq(rn_ctx_deadline(NULL), 0);
	rn_ctx_cancel(NULL);
	rn_ctx_free(NULL);
	ck_assert_ptr_null(rn_ctx_watch_add(NULL, NULL, NULL));
	rn_ctx_watch_remove(NULL);
}
END_TEST

START_TEST(test_cancel)
{
	rn_ctx *c = rn_ctx_with_cancel(NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rn_ctx_err(c), 0);
	ck_assert(!rn_ctx_done(c));
	ck_assert_int_eq(rn_ctx_deadline(c), 0);
	rn_ctx_cancel(c);
	ck_assert_int_eq(rn_ctx_err(c), RN_ECANCELED);
	ck_assert(rn_ctx_done(c));
	rn_ctx_cancel(c); /* idempotent */
	ck_assert_int_eq(rn_ctx_err(c), RN_ECANCELED);
	ck_assert_str_eq(rn_strerror(RN_ECANCELED), "context canceled");
	rn_ctx_free(c);
}
END_TEST

START_TEST(test_deadline_passes)
{
	rn_ctx *c = rn_ctx_with_timeout(NULL, 20 * RN_MILLISECOND);
	ck_assert_ptr_nonnull(c);
	rn_time d = rn_ctx_deadline(c);
	ck_assert_int_gt(d, rn_now());
	ck_assert_int_le(d, rn_time_add(rn_now(), 20 * RN_MILLISECOND));
	ck_assert_int_eq(rn_ctx_err(c), 0);
	while (rn_now() < d)
		nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
	ck_assert_int_eq(rn_ctx_err(c), RN_EDEADLINE);
	ck_assert(rn_ctx_done(c));
	/* A cancel after the deadline keeps the first reason. */
	rn_ctx_cancel(c);
	ck_assert_int_eq(rn_ctx_err(c), RN_EDEADLINE);
	ck_assert_str_eq(rn_strerror(RN_EDEADLINE), "context deadline exceeded");
	rn_ctx_free(c);
}
END_TEST

START_TEST(test_deadline_in_past)
{
	rn_ctx *c = rn_ctx_with_deadline(NULL, rn_time_add(rn_now(), -RN_SECOND));
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rn_ctx_err(c), RN_EDEADLINE);
	rn_ctx_free(c);
	c = rn_ctx_with_timeout(NULL, -1);
	ck_assert_int_eq(rn_ctx_err(c), RN_EDEADLINE);
	rn_ctx_free(c);
}
END_TEST

START_TEST(test_parent_child)
{
	rn_ctx *p = rn_ctx_with_cancel(NULL);
	rn_ctx *c1 = rn_ctx_with_cancel(p);
	rn_ctx *c2 = rn_ctx_with_timeout(c1, RN_HOUR);
	ck_assert(c1 && c2);
	/* Canceling a child leaves the parent live. */
	rn_ctx *side = rn_ctx_with_cancel(p);
	rn_ctx_cancel(side);
	ck_assert_int_eq(rn_ctx_err(side), RN_ECANCELED);
	ck_assert_int_eq(rn_ctx_err(p), 0);
	/* Canceling the parent cancels every descendant. */
	rn_ctx_cancel(p);
	ck_assert_int_eq(rn_ctx_err(c1), RN_ECANCELED);
	ck_assert_int_eq(rn_ctx_err(c2), RN_ECANCELED);
	/* A child of a canceled parent is born canceled. */
	rn_ctx *late = rn_ctx_with_cancel(p);
	ck_assert_int_eq(rn_ctx_err(late), RN_ECANCELED);
	rn_ctx_free(late);
	rn_ctx_free(side);
	rn_ctx_free(c2);
	rn_ctx_free(c1);
	rn_ctx_free(p);
}
END_TEST

START_TEST(test_deadline_inheritance)
{
	rn_time now = rn_now();
	rn_ctx *p = rn_ctx_with_deadline(NULL, rn_time_add(now, RN_HOUR));
	/* A later child deadline does not extend the parent's. */
	rn_ctx *later = rn_ctx_with_deadline(p, rn_time_add(now, 2 * RN_HOUR));
	ck_assert_int_eq(rn_ctx_deadline(later), rn_time_add(now, RN_HOUR));
	/* An earlier one wins. */
	rn_ctx *earlier = rn_ctx_with_deadline(p, rn_time_add(now, RN_MINUTE));
	ck_assert_int_eq(rn_ctx_deadline(earlier), rn_time_add(now, RN_MINUTE));
	/* A plain child inherits it. */
	rn_ctx *plain = rn_ctx_with_cancel(p);
	ck_assert_int_eq(rn_ctx_deadline(plain), rn_time_add(now, RN_HOUR));
	/* A passed parent deadline shows in the child. */
	rn_ctx *gone = rn_ctx_with_deadline(NULL, rn_time_add(now, -RN_SECOND));
	rn_ctx *kid = rn_ctx_with_cancel(gone);
	ck_assert_int_eq(rn_ctx_err(kid), RN_EDEADLINE);
	rn_ctx_free(kid);
	rn_ctx_free(gone);
	rn_ctx_free(plain);
	rn_ctx_free(earlier);
	rn_ctx_free(later);
	rn_ctx_free(p);
}
END_TEST

START_TEST(test_free_parent_first)
{
	/* Children keep what they need of a freed parent; freeing cancels. */
	rn_ctx *p = rn_ctx_with_timeout(NULL, RN_HOUR);
	rn_ctx *c = rn_ctx_with_cancel(p);
	rn_time d = rn_ctx_deadline(c);
	rn_ctx_free(p);
	ck_assert_int_eq(rn_ctx_err(c), RN_ECANCELED);
	ck_assert_int_eq(rn_ctx_deadline(c), d);
	rn_ctx_free(c);
}
END_TEST

static void count_cb(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

START_TEST(test_watch_fires_once)
{
	atomic_int n = 0;
	rn_ctx *c = rn_ctx_with_cancel(NULL);
	rn_ctx_watch *w = rn_ctx_watch_add(c, count_cb, &n);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(atomic_load(&n), 0);
	rn_ctx_cancel(c);
	ck_assert_int_eq(atomic_load(&n), 1);
	rn_ctx_cancel(c);
	ck_assert_int_eq(atomic_load(&n), 1);
	rn_ctx_watch_remove(w);
	rn_ctx_free(c);
	ck_assert_int_eq(atomic_load(&n), 1);
}
END_TEST

START_TEST(test_watch_on_canceled_runs_now)
{
	atomic_int n = 0;
	rn_ctx *c = rn_ctx_with_cancel(NULL);
	rn_ctx_cancel(c);
	rn_ctx_watch *w = rn_ctx_watch_add(c, count_cb, &n);
	ck_assert_int_eq(atomic_load(&n), 1);
	rn_ctx_watch_remove(w);
	rn_ctx_free(c);
}
END_TEST

START_TEST(test_watch_removed_does_not_fire)
{
	atomic_int n = 0;
	rn_ctx *c = rn_ctx_with_cancel(NULL);
	rn_ctx_watch *w = rn_ctx_watch_add(c, count_cb, &n);
	rn_ctx_watch_remove(w);
	rn_ctx_cancel(c);
	ck_assert_int_eq(atomic_load(&n), 0);
	rn_ctx_free(c);
	ck_assert_int_eq(atomic_load(&n), 0);
}
END_TEST

START_TEST(test_watch_through_parent)
{
	atomic_int n = 0;
	rn_ctx *p = rn_ctx_with_cancel(NULL);
	rn_ctx *c = rn_ctx_with_cancel(p);
	rn_ctx_watch *w1 = rn_ctx_watch_add(c, count_cb, &n);
	rn_ctx_watch *w2 = rn_ctx_watch_add(c, count_cb, &n);
	rn_ctx_cancel(p);
	ck_assert_int_eq(atomic_load(&n), 2);
	rn_ctx_watch_remove(w1);
	rn_ctx_watch_remove(w2);
	rn_ctx_free(c);
	rn_ctx_free(p);
}
END_TEST

START_TEST(test_watch_free_cancels)
{
	atomic_int n = 0;
	rn_ctx *c = rn_ctx_with_cancel(NULL);
	rn_ctx_watch *w = rn_ctx_watch_add(c, count_cb, &n);
	rn_ctx_free(c); /* Go's defer cancel() */
	ck_assert_int_eq(atomic_load(&n), 1);
	rn_ctx_watch_remove(w);
}
END_TEST

/* ---- threads ------------------------------------------------------------------- */

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool fired;
};

static void wake_cb(void *arg)
{
	struct waiter *w = arg;
	pthread_mutex_lock(&w->mu);
	w->fired = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void *cancel_thread(void *arg)
{
	nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	rn_ctx_cancel(arg);
	return NULL;
}

START_TEST(test_cancel_from_other_thread_wakes_waiter)
{
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false };
	rn_ctx *c = rn_ctx_with_cancel(NULL);
	rn_ctx_watch *h = rn_ctx_watch_add(c, wake_cb, &w);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, cancel_thread, c), 0);
	struct timespec limit;
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 10;
	pthread_mutex_lock(&w.mu);
	int rc = 0;
	while (!w.fired && rc == 0)
		rc = pthread_cond_timedwait(&w.cv, &w.mu, &limit);
	bool fired = w.fired;
	pthread_mutex_unlock(&w.mu);
	ck_assert_msg(fired, "cancel from another thread did not wake the waiter");
	ck_assert_int_eq(rn_ctx_err(c), RN_ECANCELED);
	pthread_join(t, NULL);
	rn_ctx_watch_remove(h);
	rn_ctx_free(c);
}
END_TEST

struct race {
	rn_ctx *c;
	atomic_int *count;
};

static void *race_watchers(void *arg)
{
	struct race *r = arg;
	for (int i = 0; i < 200; i++) {
		rn_ctx_watch *w = rn_ctx_watch_add(r->c, count_cb, r->count);
		rn_ctx_watch_remove(w);
		(void)rn_ctx_err(r->c);
		(void)rn_ctx_deadline(r->c);
	}
	return NULL;
}

static void *race_children(void *arg)
{
	struct race *r = arg;
	for (int i = 0; i < 200; i++) {
		rn_ctx *k = rn_ctx_with_timeout(r->c, RN_HOUR);
		(void)rn_ctx_done(k);
		rn_ctx_free(k);
	}
	return NULL;
}

START_TEST(test_concurrent_use_and_cancel)
{
	/* Watches, children and queries racing a cancel: no crash, no race (TSan). */
	for (int round = 0; round < 5; round++) {
		atomic_int count = 0;
		struct race r = { rn_ctx_with_cancel(NULL), &count };
		pthread_t t[4];
		ck_assert_int_eq(pthread_create(&t[0], NULL, race_watchers, &r), 0);
		ck_assert_int_eq(pthread_create(&t[1], NULL, race_watchers, &r), 0);
		ck_assert_int_eq(pthread_create(&t[2], NULL, race_children, &r), 0);
		ck_assert_int_eq(pthread_create(&t[3], NULL, cancel_thread, r.c), 0);
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		ck_assert_int_eq(rn_ctx_err(r.c), RN_ECANCELED);
		/* After the cancel, a new watch runs at once: exactly one more call. */
		int before = atomic_load(&count);
		rn_ctx_watch *w = rn_ctx_watch_add(r.c, count_cb, &count);
		ck_assert_int_eq(atomic_load(&count), before + 1);
		rn_ctx_watch_remove(w);
		rn_ctx_free(r.c);
	}
}
END_TEST

static Suite *time_suite(void)
{
	Suite *s = suite_create("time");
	TCase *tc = tu_tcase("time");
	tcase_add_test(tc, test_now_is_wall_clock);
	tcase_add_test(tc, test_time_add_saturates);
	tcase_add_test(tc, test_until);
	suite_add_tcase(s, tc);
	tc = tu_tcase("ctx");
	tcase_add_test(tc, test_background_is_null);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_deadline_passes);
	tcase_add_test(tc, test_deadline_in_past);
	tcase_add_test(tc, test_parent_child);
	tcase_add_test(tc, test_deadline_inheritance);
	tcase_add_test(tc, test_free_parent_first);
	tcase_add_test(tc, test_watch_fires_once);
	tcase_add_test(tc, test_watch_on_canceled_runs_now);
	tcase_add_test(tc, test_watch_removed_does_not_fire);
	tcase_add_test(tc, test_watch_through_parent);
	tcase_add_test(tc, test_watch_free_cancels);
	tcase_add_test(tc, test_cancel_from_other_thread_wakes_waiter);
	tcase_add_test(tc, test_concurrent_use_and_cancel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(time_suite());
}
