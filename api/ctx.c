/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/ctx.c - rn_ctx, Go's context.Context: a deadline and a cancel signal
 * shared by a tree of contexts, usable from any thread.
 *
 * Each context has a mutex guarding its children and watches; the state
 * word is atomic so rn_ctx_err() takes no lock.  Cancel runs parent-first:
 * it marks the context done, then (outside the lock) fires its watches and
 * cancels its children.  A child holds a reference on its parent, so the
 * parent's memory lives until the last child is freed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <ringnet/net.h>

#include "api/errors.h"

struct rn_ctx_watch {
	struct rn_ctx_watch *next, *prev;
	rn_ctx *ctx;
	rn_ctx_watch_fn fn;
	void *arg;
	bool linked; /* in ctx->watches; cleared when it fires */
};

struct rn_ctx {
	pthread_mutex_t mu;
	pthread_cond_t fired;	/* broadcast when a running callback returns */
	rn_ctx *parent;
	rn_ctx *children;	/* list of live children, guarded by mu */
	rn_ctx *next, *prev;	/* sibling links in parent->children */
	struct rn_ctx_watch *watches; /* guarded by mu */
	struct rn_ctx_watch *running; /* the watch whose callback runs now */
	atomic_int err;		/* 0, RN_ECANCELED or RN_EDEADLINE */
	atomic_int refs;	/* the caller's one, plus one per live child */
	rn_time deadline;	/* effective: min with the parent's; 0 = none */
	bool linked;		/* in parent->children */
};

static void ctx_unref(rn_ctx *c);

static rn_ctx *ctx_new(rn_ctx *parent, rn_time deadline)
{
	rn_ctx *c = calloc(1, sizeof(*c));

	if (!c) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->fired, NULL);
	atomic_init(&c->refs, 1);
	atomic_init(&c->err, 0);
	c->deadline = deadline;
	if (parent) {
		rn_time pd = parent->deadline;

		if (pd && (!c->deadline || pd < c->deadline))
			c->deadline = pd;
		c->parent = parent;
		atomic_fetch_add(&parent->refs, 1);
		pthread_mutex_lock(&parent->mu);
		if (atomic_load(&parent->err)) {
			/* Born canceled, as Go's propagateCancel does. */
			atomic_store(&c->err, atomic_load(&parent->err));
		} else {
			c->next = parent->children;
			if (c->next)
				c->next->prev = c;
			parent->children = c;
			c->linked = true;
		}
		pthread_mutex_unlock(&parent->mu);
	}
	return c;
}

rn_ctx *rn_ctx_with_cancel(rn_ctx *parent)
{
	return ctx_new(parent, 0);
}

rn_ctx *rn_ctx_with_deadline(rn_ctx *parent, rn_time d)
{
	return ctx_new(parent, d);
}

rn_ctx *rn_ctx_with_timeout(rn_ctx *parent, rn_duration timeout)
{
	return ctx_new(parent, rn_time_add(rn_now(), timeout));
}

static void ctx_cancel(rn_ctx *c, int err)
{
	int expected = 0;
	rn_ctx *child;

	/* A passed deadline already ended it, in Go by its timer: keep that reason. */
	if (c->deadline && rn_now() >= c->deadline)
		err = RN_EDEADLINE;
	if (!atomic_compare_exchange_strong(&c->err, &expected, err))
		return; /* already done */

	pthread_mutex_lock(&c->mu);
	/* Fire watches one at a time, dropping the lock around each callback. */
	while (c->watches) {
		struct rn_ctx_watch *w = c->watches;

		c->watches = w->next;
		if (c->watches)
			c->watches->prev = NULL;
		w->next = w->prev = NULL;
		w->linked = false;
		c->running = w;
		pthread_mutex_unlock(&c->mu);
		w->fn(w->arg);
		pthread_mutex_lock(&c->mu);
		c->running = NULL;
		pthread_cond_broadcast(&c->fired);
	}
	/* Children: take each off the list, keep it alive, cancel it. */
	while ((child = c->children) != NULL) {
		c->children = child->next;
		if (c->children)
			c->children->prev = NULL;
		child->next = child->prev = NULL;
		child->linked = false;
		atomic_fetch_add(&child->refs, 1);
		pthread_mutex_unlock(&c->mu);
		ctx_cancel(child, err);
		ctx_unref(child);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
}

void rn_ctx_cancel(rn_ctx *c)
{
	if (c)
		ctx_cancel(c, RN_ECANCELED);
}

static void ctx_unlink(rn_ctx *c)
{
	rn_ctx *p = c->parent;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	if (c->linked) {
		if (c->prev)
			c->prev->next = c->next;
		else
			p->children = c->next;
		if (c->next)
			c->next->prev = c->prev;
		c->next = c->prev = NULL;
		c->linked = false;
	}
	pthread_mutex_unlock(&p->mu);
}

/*
 * Drop one reference.  The last one always comes after rn_ctx_free() has
 * unlinked the context from its parent, so no parent list can still see it.
 */
static void ctx_unref(rn_ctx *c)
{
	while (c && atomic_fetch_sub(&c->refs, 1) == 1) {
		rn_ctx *p = c->parent;

		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->fired);
		free(c);
		c = p; /* drop the reference this child held */
	}
}

void rn_ctx_free(rn_ctx *c)
{
	if (!c)
		return;
	ctx_cancel(c, RN_ECANCELED);
	ctx_unlink(c);
	ctx_unref(c);
}

int rn_ctx_err(const rn_ctx *c)
{
	int err;

	if (!c)
		return 0;
	err = atomic_load(&c->err);
	if (err)
		return err;
	if (c->deadline && rn_now() >= c->deadline)
		return RN_EDEADLINE;
	return 0;
}

bool rn_ctx_done(const rn_ctx *c)
{
	return rn_ctx_err(c) != 0;
}

rn_time rn_ctx_deadline(const rn_ctx *c)
{
	return c ? c->deadline : 0;
}

rn_ctx_watch *rn_ctx_watch_add(rn_ctx *c, rn_ctx_watch_fn fn, void *arg)
{
	struct rn_ctx_watch *w;

	if (!c || !fn)
		return NULL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	w->fn = fn;
	w->arg = arg;
	pthread_mutex_lock(&c->mu);
	if (atomic_load(&c->err)) {
		pthread_mutex_unlock(&c->mu);
		fn(arg); /* already canceled: fire now, the handle is inert */
		return w;
	}
	w->ctx = c;
	w->linked = true;
	w->next = c->watches;
	if (w->next)
		w->next->prev = w;
	c->watches = w;
	atomic_fetch_add(&c->refs, 1); /* the watch keeps its context alive */
	pthread_mutex_unlock(&c->mu);
	return w;
}

void rn_ctx_watch_remove(rn_ctx_watch *w)
{
	rn_ctx *c;

	if (!w)
		return;
	c = w->ctx;
	if (!c) {
		free(w); /* fired inside rn_ctx_watch_add: never linked */
		return;
	}
	pthread_mutex_lock(&c->mu);
	if (w->linked) {
		if (w->prev)
			w->prev->next = w->next;
		else
			c->watches = w->next;
		if (w->next)
			w->next->prev = w->prev;
	}
	/* Fired, possibly running now on another thread: wait until it returns. */
	while (c->running == w)
		pthread_cond_wait(&c->fired, &c->mu);
	pthread_mutex_unlock(&c->mu);
	free(w);
	ctx_unref(c);
}
