/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/pipe.c - Pipe: a synchronous, in-memory, full-duplex connection, as
 * Go's net/pipe.go.  A Write hands its bytes to Reads on the other end and
 * returns when they have taken all of them; nothing is buffered.
 *
 * Both ends share one mutex and condition variable; every change (an
 * offer, a take, Close, a new deadline) broadcasts, and each waiter
 * re-checks its own condition.  Deadlines are timed waits on the wall clock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/conn.h"
#include "api/errors.h"

struct rni_pipe {
	pthread_mutex_t mu;
	rne_cond cv;		/* blocked calls, threads or tasks */
	struct {
		rne_lock wlock;		/* Go's wrMu: one Write's bytes stay together */
		const char *buf;	/* the Write on offer in this direction */
		size_t len, taken;
		bool offered;
	} dir[2];			/* dir[s]: written by end s, read by end 1 - s */
	bool closed[2];
	int64_t rdl[2], wdl[2];		/* deadlines per end (rn_time), guarded by mu */
	int ends;			/* ends not yet freed */
};

/* Wait for a change; false once @deadline (0 = none) has passed. */
static bool wait_until(struct rni_pipe *p, int64_t deadline)
{
	if (deadline && rn_now() >= deadline)
		return false;
	rne_cond_wait_until(&p->cv, &p->mu, deadline);
	return !deadline || rn_now() < deadline;
}

static int pipe_err(const char *op, int code)
{
	/* Go returns io.EOF and io.ErrClosedPipe bare, a timeout in an OpError. */
	rni_err_sentinel(code);
	if (code == RN_ETIMEOUT)
		rni_err_op(op, "pipe", NULL, NULL);
	return code;
}

ssize_t rni_pipe_read(rn_conn *c, void *b, size_t n)
{
	struct rni_pipe *p = c->pipe;
	int s = c->pipe_end, from = 1 - s;
	ssize_t got = -1;
	int code = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		if (p->closed[s]) {
			code = RN_ECLOSEDPIPE;
			break;
		}
		if (p->closed[from]) {
			got = 0; /* io.EOF */
			break;
		}
		if (p->rdl[s] && rn_now() >= p->rdl[s]) {
			code = RN_ETIMEOUT;
			break;
		}
		if (p->dir[from].offered) {
			size_t k = p->dir[from].len - p->dir[from].taken;

			if (k > n)
				k = n;
			memcpy(b, p->dir[from].buf + p->dir[from].taken, k);
			p->dir[from].taken += k;
			p->dir[from].offered = false; /* the writer re-offers what is left */
			rne_cond_broadcast(&p->cv);
			got = (ssize_t)k;
			break;
		}
		wait_until(p, p->rdl[s]);
	}
	pthread_mutex_unlock(&p->mu);
	return code ? pipe_err("read", code) : got;
}

ssize_t rni_pipe_write(rn_conn *c, const void *b, size_t n)
{
	struct rni_pipe *p = c->pipe;
	int s = c->pipe_end, to = 1 - s;
	size_t done = 0;
	bool once = true;
	int code = 0;

	rne_lock_acquire(&p->dir[s].wlock);
	pthread_mutex_lock(&p->mu);
	while (once || done < n) {
		once = false;
		if (p->closed[s] || p->closed[to]) {
			code = RN_ECLOSEDPIPE;
			break;
		}
		if (p->wdl[s] && rn_now() >= p->wdl[s]) {
			code = RN_ETIMEOUT;
			break;
		}
		/* Offer the rest and wait until a Read has taken some. */
		p->dir[s].buf = (const char *)b + done;
		p->dir[s].len = n - done;
		p->dir[s].taken = 0;
		p->dir[s].offered = true;
		rne_cond_broadcast(&p->cv);
		while (p->dir[s].offered && !p->closed[s] && !p->closed[to]) {
			if (!wait_until(p, p->wdl[s]) && p->dir[s].offered)
				break;
		}
		done += p->dir[s].taken;
		if (p->dir[s].offered) {
			/* Closed or timed out with the offer still up: withdraw it. */
			p->dir[s].offered = false;
			code = (p->closed[s] || p->closed[to]) ? RN_ECLOSEDPIPE : RN_ETIMEOUT;
			break;
		}
	}
	(void)to;
	pthread_mutex_unlock(&p->mu);
	rne_lock_release(&p->dir[s].wlock);
	if (code) {
		pipe_err("write", code);
		return done > 0 ? (ssize_t)done : code;
	}
	return (ssize_t)done;
}

int rni_pipe_close(rn_conn *c)
{
	struct rni_pipe *p = c->pipe;

	pthread_mutex_lock(&p->mu);
	p->closed[c->pipe_end] = true; /* Go: Close is idempotent and never fails */
	rne_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int rni_pipe_set_deadline(rn_conn *c, bool rd, bool wr, int64_t t)
{
	struct rni_pipe *p = c->pipe;
	int s = c->pipe_end, code = 0;

	pthread_mutex_lock(&p->mu);
	if (p->closed[0] || p->closed[1]) {
		code = RN_ECLOSEDPIPE;
	} else {
		if (rd)
			p->rdl[s] = t;
		if (wr)
			p->wdl[s] = t;
		rne_cond_broadcast(&p->cv); /* blocked calls re-check */
	}
	pthread_mutex_unlock(&p->mu);
	return code ? rni_err_sentinel(code) : 0;
}

void rni_pipe_free(rn_conn *c)
{
	struct rni_pipe *p = c->pipe;
	bool last;

	rni_pipe_close(c);
	pthread_mutex_lock(&p->mu);
	last = --p->ends == 0;
	pthread_mutex_unlock(&p->mu);
	if (last) {
		rne_lock_destroy(&p->dir[0].wlock);
		rne_lock_destroy(&p->dir[1].wlock);
		pthread_mutex_destroy(&p->mu);
		free(p);
	}
	free(c);
}

int rn_pipe(rn_conn **a, rn_conn **b)
{
	struct rni_pipe *p;
	rn_conn *e[2];

	if (!a || !b)
		return rni_err_einval("rn_pipe: NULL output");
	*a = *b = NULL;
	p = calloc(1, sizeof(*p));
	e[0] = calloc(1, sizeof(rn_conn));
	e[1] = calloc(1, sizeof(rn_conn));
	if (!p || !e[0] || !e[1]) {
		free(p);
		free(e[0]);
		free(e[1]);
		return rni_err_errno(ENOMEM, NULL);
	}
	pthread_mutex_init(&p->mu, NULL);
	rne_cond_init(&p->cv);
	rne_lock_init(&p->dir[0].wlock);
	rne_lock_init(&p->dir[1].wlock);
	p->ends = 2;
	for (int i = 0; i < 2; i++) {
		e[i]->pipe = p;
		e[i]->pipe_end = i;
		e[i]->fd.fd = -1;
		e[i]->fd.laddr.kind = e[i]->fd.raddr.kind = RN_ADDR_PIPE;
	}
	*a = e[0];
	*b = e[1];
	return 0;
}
