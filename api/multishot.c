/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/multishot.c - arming, waiting for, ending and freeing one multishot
 * operation of an fd (see api/multishot.h for the rules).  The completion
 * side runs on the owner's thread, in its reaper; the call side on
 * whichever thread calls.  They meet under m->mu.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <ringnet/engine.h>

#include "api/multishot.h"

#define MS_OF_OP(o) ((rni_ms *)(void *)((char *)(o) - offsetof(rni_ms, op)))
#define MS_OF_RES(r) ((rni_ms *)(void *)((char *)(r) - offsetof(rni_ms, res)))

rni_ms_item *rni_ms_front(rni_ms *m)
{
	return &m->q[m->head];
}

void rni_ms_pop(rni_ms *m)
{
	m->head = (m->head + 1) % m->cap;
	m->len--;
}

int rni_ms_push(rni_ms *m, rni_ms_item it)
{
	if (m->len == m->cap) {
		unsigned cap = m->cap ? m->cap * 2 : 8;
		rni_ms_item *q = malloc(cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		for (unsigned i = 0; i < m->len; i++)
			q[i] = m->q[(m->head + i) % m->cap];
		free(m->q);
		m->q = q;
		m->head = 0;
		m->cap = cap;
	}
	m->q[(m->head + m->len) % m->cap] = it;
	m->len++;
	return 0;
}

void rni_ms_cancel(rni_ms *m, rne_engine *e)
{
	if (!m->stopping) {
		m->stopping = true;
		rne_cancel_op(e, &m->op);
	}
}

/* Free every queued item, mu held. */
static void drop_all(rni_ms *m)
{
	while (m->len > 0) {
		m->kind->drop(m, rni_ms_front(m));
		rni_ms_pop(m);
	}
}

/*
 * The operation is over, on the owner's thread with mu held: the kind makes
 * its queue any thread's, the descriptor may close, and once owner is NULL
 * the fd may be freed.
 */
static void finish(rni_ms *m, rne_engine *e, int res)
{
	if (atomic_load(&m->f->closed))
		drop_all(m); /* nobody will take it: Close came first */
	m->kind->ended(m, e, res);
	rne_resident_del(e, &m->res);
	rni_fd_leave(m->f);
	m->owner = NULL;
	m->stopping = false;
	m->starved = false;
	rne_cond_broadcast(&m->cv);
}

/* The owner's reaper: one completion of the operation. */
static void ms_complete(rne_op *op, int res, uint32_t flags)
{
	rni_ms *m = MS_OF_OP(op);
	rne_engine *e = m->owner;

	pthread_mutex_lock(&m->mu);
	m->kind->take(m, e, res, flags);
	if (!(flags & IORING_CQE_F_MORE)) {
		/* EINVAL straight away: this kernel lacks the multishot mode after all. */
		if (res == -EINVAL && m->len == 0)
			e->features &= ~m->kind->feature;
		if (res == -ENOBUFS)
			e->stats.recv_multishot_nobufs++;
		if (res == -ENOBUFS && m->len > 0 && !m->stopping && !atomic_load(&m->f->closed)) {
			/*
			 * The ring ran dry while our caller has items to take: keep
			 * them where they are (copying a flood out of the ring would
			 * cost more than the flood) and end once they are taken, or
			 * when asked (ms_stop).
			 */
			m->starved = true;
		} else {
			finish(m, e, res);
		}
	}
	rne_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

/*
 * On the owner's thread: rne_run is returning, the engine stops, or a
 * caller elsewhere (through the engine's cancel-by-descriptor message) wants
 * it ended.  An armed operation is cancelled; a starved one ends now.
 */
static void ms_stop(rne_resident *r)
{
	rni_ms *m = MS_OF_RES(r);

	pthread_mutex_lock(&m->mu);
	if (m->owner && m->starved)
		finish(m, m->owner, -ENOBUFS);
	else if (m->owner)
		rni_ms_cancel(m, m->owner);
	pthread_mutex_unlock(&m->mu);
}

/* Ask the owner to end the operation, from any thread.  mu held. */
static void ask_stop(rni_ms *m)
{
	rne_engine *self;

	if (!m->owner || m->stopping)
		return;
	self = rne_current();
	if (self == m->owner) {
		if (m->starved) {
			finish(m, self, -ENOBUFS);
			return;
		}
		rni_ms_cancel(m, self);
		io_uring_submit(&self->ring);
		return;
	}
	m->stopping = true;
	self = rne_get();
	if (!self || rne_cancel_fd(self, m->owner_ring, m->f->fd) < 0)
		/* No way to reach that ring: end the stream so the operation ends. */
		shutdown(m->f->fd, SHUT_RD);
}

rni_ms *rni_ms_get(rni_fd *f, const rni_ms_kind *kind)
{
	rni_ms *m = atomic_load(&f->ms);

	if (m)
		return m;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->f = f;
	m->kind = kind;
	m->res.stop = ms_stop;
	m->op.complete = ms_complete;
	pthread_mutex_init(&m->mu, NULL);
	rne_cond_init(&m->cv);
	atomic_store(&f->ms, m); /* callers hold the read lock: none races us */
	return m;
}

bool rni_ms_can_arm(const rni_ms_kind *kind, rne_engine *e)
{
	rne_task *t = rne_task_current();

	return (e->features & kind->feature) && t && rne_task_engine(t) == e &&
	       (!kind->can_arm || kind->can_arm(e));
}

/* A starved operation whose ring has buffers again: submit it anew, still ours. */
static void rearm(rni_ms *m, rne_engine *e)
{
	struct io_uring_sqe *sqe = rne_sqe(e);

	m->starved = false;
	m->kind->prep(m, sqe);
	io_uring_sqe_set_data(sqe, &m->op);
}

static void arm(rni_ms *m, rne_engine *e)
{
	struct io_uring_sqe *sqe = rne_sqe(e);

	atomic_fetch_add(&m->f->busy, 1); /* inside a call: Close cannot release meanwhile */
	m->owner = e;
	m->owner_ring = rne_ring_fd(e);
	m->stopping = false;
	m->starved = false;
	m->kind->prep(m, sqe);
	io_uring_sqe_set_data(sqe, &m->op);
	m->res.fd = m->f->fd;
	rne_resident_add(e, &m->res);
}

int rni_ms_await(rni_ms *m, rne_engine *e, bool wait)
{
	rni_fd *f = m->f;

	for (;;) {
		int64_t dl = atomic_load(&f->rdeadline);

		/* Go's order: a closed fd, then a passed deadline, even with data waiting. */
		if (atomic_load(&f->closed))
			return RN_ECLOSED;
		if (dl && rne_now_ns() >= dl)
			return RN_ETIMEOUT;
		if (m->owner && m->owner != e) {
			/* Armed on another thread's ring: have it end there first. */
			ask_stop(m);
		} else if (m->starved && rni_ms_can_arm(m->kind, e)) {
			rearm(m, e); /* buffers are back: receive behind what is queued */
			continue;
		} else if (m->len > 0) {
			return 1;
		} else if (m->starved) {
			finish(m, e, -ENOBUFS); /* all taken: end it, and arm again below */
			continue;
		} else if (m->has_end) {
			m->has_end = false;
			return m->end;
		}
		if (!m->owner) {
			if (!rni_ms_can_arm(m->kind, e))
				return RNI_MS_ONESHOT;
			arm(m, e);
		}
		if (!wait)
			return -EAGAIN;
		rne_cond_wait_until(&m->cv, &m->mu, dl);
	}
}

void rni_ms_close(rni_fd *f)
{
	rni_ms *m = atomic_load(&f->ms);

	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	ask_stop(m);
	/* Not armed: nothing will come; what waits (accepted conns, bytes) goes now. */
	if (!m->owner)
		drop_all(m);
	rne_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

void rni_ms_wake(rni_fd *f)
{
	rni_ms *m = atomic_load(&f->ms);

	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	rne_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
}

/* Wait, mu held, until the operation is not armed anywhere. */
static void disarm(rni_ms *m)
{
	while (m->owner) {
		ask_stop(m);
		rne_cond_wait(&m->cv, &m->mu);
	}
}

void rni_ms_stop(rni_fd *f)
{
	rni_ms *m = atomic_load(&f->ms);

	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	disarm(m);
	pthread_mutex_unlock(&m->mu);
}

void rni_ms_free(rni_fd *f)
{
	rni_ms *m = atomic_load(&f->ms);

	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	disarm(m);
	drop_all(m);
	pthread_mutex_unlock(&m->mu);
	pthread_mutex_destroy(&m->mu);
	free(m->q);
	free(m);
	atomic_store(&f->ms, NULL);
}
