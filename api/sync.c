/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/sync.c - Go's sync.WaitGroup and sync.Mutex for tasks and threads.
 *
 * The wait group is a counter under a pthread mutex with an rne_cond of
 * waiters (tasks or threads, on any thread); the mutex is an rne_lock,
 * which a task may hold across a park.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <ringnet/sync.h>

#include "api/errors.h"
#include "engine/task.h"

/* ---- WaitGroup -------------------------------------------------------------------- */

struct rn_waitgroup {
	pthread_mutex_t mu;
	rne_cond waiters;
	int64_t count;
	/*
	 * Bumped each time the counter reaches zero: a waiter returns once the
	 * generation it saw has ended, even if the counter was raised again
	 * before it ran (the group is being reused, as Go allows).
	 */
	uint64_t gen;
};

rn_waitgroup *rn_waitgroup_new(void)
{
	rn_waitgroup *wg = calloc(1, sizeof(*wg));

	if (!wg) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	pthread_mutex_init(&wg->mu, NULL);
	rne_cond_init(&wg->waiters);
	return wg;
}

int rn_waitgroup_add(rn_waitgroup *wg, int delta)
{
	if (!wg)
		return rni_err_einval("rn_waitgroup_add: NULL wait group");
	pthread_mutex_lock(&wg->mu);
	if (wg->count + delta < 0) {
		pthread_mutex_unlock(&wg->mu);
		return rni_err_text(-EINVAL, "sync: negative WaitGroup counter");
	}
	wg->count += delta;
	if (wg->count == 0 && delta != 0) {
		wg->gen++;
		rne_cond_broadcast(&wg->waiters);
	}
	pthread_mutex_unlock(&wg->mu);
	return 0;
}

void rn_waitgroup_done(rn_waitgroup *wg)
{
	rn_waitgroup_add(wg, -1);
}

void rn_waitgroup_wait(rn_waitgroup *wg)
{
	uint64_t gen;

	if (!wg)
		return;
	pthread_mutex_lock(&wg->mu);
	gen = wg->gen;
	while (wg->count > 0 && wg->gen == gen)
		rne_cond_wait(&wg->waiters, &wg->mu);
	pthread_mutex_unlock(&wg->mu);
}

void rn_waitgroup_free(rn_waitgroup *wg)
{
	if (!wg)
		return;
	pthread_mutex_destroy(&wg->mu);
	free(wg);
}

/* ---- Mutex ------------------------------------------------------------------------ */

struct rn_mutex {
	rne_lock l;
};

rn_mutex *rn_mutex_new(void)
{
	rn_mutex *m = calloc(1, sizeof(*m));

	if (!m) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	rne_lock_init(&m->l);
	return m;
}

void rn_mutex_lock(rn_mutex *m)
{
	rne_lock_acquire(&m->l);
}

bool rn_mutex_trylock(rn_mutex *m)
{
	return rne_lock_try(&m->l);
}

void rn_mutex_unlock(rn_mutex *m)
{
	bool held;

	/*
	 * rne_lock_release would quietly mark a free lock free; Go stops the
	 * program instead, since a second unlock means two holders believed
	 * they held it.
	 */
	held = rne_lock_held(&m->l);
	if (!held) {
		fputs("fatal error: sync: unlock of unlocked mutex\n", stderr);
		abort();
	}
	rne_lock_release(&m->l);
}

void rn_mutex_free(rn_mutex *m)
{
	if (!m)
		return;
	rne_lock_destroy(&m->l);
	free(m);
}
