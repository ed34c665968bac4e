/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/chan.c - Go's channels of pointers for tasks and threads, after Go's
 * runtime/chan.go.
 *
 * A channel is a ring buffer under a pthread mutex with two queues of
 * waiters, receivers and senders, that live on the waiters' stacks.  A
 * value goes straight from a sender to a waiting receiver (or from a
 * waiting sender to a receiver), so an unbuffered channel is a true
 * rendezvous: a send returns only once a receiver has the value.  The
 * party that completes a waiter's operation fills in its result and wakes
 * it through the waiter's own rne_cond, which holds only that waiter, so
 * no one is woken who cannot proceed.  Wakes are sent with the channel's
 * mutex held: a woken waiter cannot leave (and take its record off its
 * stack) before its waker is done with it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <ringnet/sync.h>

#include "api/errors.h"
#include "engine/task.h"

/* Where a waiting send or receive stands. */
enum wstate {
	W_WAITING,
	W_DONE,	  /* the value was handed over */
	W_CLOSED, /* the channel was closed first */
};

/* One blocked send or receive (Go's sudog), on the waiter's stack. */
typedef struct waiter {
	void *val;		/* a send's value; a receive's result */
	enum wstate state;
	rne_cond cv;		/* the waiter alone */
	struct waiter *prev, *next;
} waiter;

typedef struct wqueue {
	waiter *head, *tail;
} wqueue;

struct rn_chan {
	pthread_mutex_t mu;
	size_t cap;
	size_t head, len;	/* the buffered values: buf[head], ... (mod cap) */
	bool closed;
	wqueue recvq, sendq;
	void *buf[];
};

static void wq_push(wqueue *q, waiter *w)
{
	w->next = NULL;
	w->prev = q->tail;
	if (q->tail)
		q->tail->next = w;
	else
		q->head = w;
	q->tail = w;
}

static void wq_remove(wqueue *q, waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		q->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		q->tail = w->prev;
	w->prev = w->next = NULL;
}

static waiter *wq_pop(wqueue *q)
{
	waiter *w = q->head;

	if (w)
		wq_remove(q, w);
	return w;
}

/* Finish @w's operation with @state; the caller holds the channel's mutex. */
static void wake(waiter *w, enum wstate state)
{
	w->state = state;
	rne_cond_signal(&w->cv);
}

rn_chan *rn_chan_new(size_t cap)
{
	rn_chan *ch;

	if (cap > (SIZE_MAX - sizeof(*ch)) / sizeof(void *)) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	ch = calloc(1, sizeof(*ch) + cap * sizeof(void *));
	if (!ch) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	pthread_mutex_init(&ch->mu, NULL);
	ch->cap = cap;
	return ch;
}

void rn_chan_free(rn_chan *ch)
{
	if (!ch)
		return;
	pthread_mutex_destroy(&ch->mu);
	free(ch);
}

/* ---- send ----------------------------------------------------------------------------- */

/*
 * Send without waiting, with the mutex held: 0 when done, RN_ECLOSED when
 * closed (no error recorded yet), -EAGAIN when it would have to wait.
 */
static int send_now(rn_chan *ch, void *v)
{
	waiter *r;

	if (ch->closed)
		return RN_ECLOSED;
	r = wq_pop(&ch->recvq);
	if (r) {
		/* A waiting receiver means an empty buffer: hand it over directly. */
		r->val = v;
		wake(r, W_DONE);
		return 0;
	}
	if (ch->len < ch->cap) {
		ch->buf[(ch->head + ch->len) % ch->cap] = v;
		ch->len++;
		return 0;
	}
	return -EAGAIN;
}

static int send_error(int rc)
{
	if (rc == RN_ECLOSED)
		return rni_err_text(RN_ECLOSED, "send on closed channel");
	return rni_err_text(rc, "channel send would block");
}

int rn_chan_send(rn_chan *ch, void *v)
{
	waiter w = { .val = v, .state = W_WAITING };
	int rc;

	if (!ch)
		return rni_err_einval("rn_chan_send: NULL channel");
	pthread_mutex_lock(&ch->mu);
	rc = send_now(ch, v);
	if (rc != -EAGAIN) {
		pthread_mutex_unlock(&ch->mu);
		return rc < 0 ? send_error(rc) : 0;
	}
	/* Full (or unbuffered with nobody waiting): wait for a receiver or Close. */
	rne_cond_init(&w.cv);
	wq_push(&ch->sendq, &w);
	while (w.state == W_WAITING)
		rne_cond_wait(&w.cv, &ch->mu);
	pthread_mutex_unlock(&ch->mu);
	return w.state == W_DONE ? 0 : send_error(RN_ECLOSED);
}

int rn_chan_try_send(rn_chan *ch, void *v)
{
	int rc;

	if (!ch)
		return rni_err_einval("rn_chan_try_send: NULL channel");
	pthread_mutex_lock(&ch->mu);
	rc = send_now(ch, v);
	pthread_mutex_unlock(&ch->mu);
	return rc < 0 ? send_error(rc) : 0;
}

/* ---- receive ------------------------------------------------------------------------ */

/*
 * Receive without waiting, with the mutex held: 1 with a value in *@v, 0
 * when closed and drained, -EAGAIN when it would have to wait.
 */
static int recv_now(rn_chan *ch, void **v)
{
	waiter *s = wq_pop(&ch->sendq);

	if (s) {
		if (ch->cap == 0) {
			*v = s->val;
		} else {
			/*
			 * Senders wait only while the buffer is full: take its
			 * oldest value and put the sender's at the end, in
			 * order.
			 */
			*v = ch->buf[ch->head];
			ch->buf[ch->head] = s->val;
			ch->head = (ch->head + 1) % ch->cap;
		}
		wake(s, W_DONE);
		return 1;
	}
	if (ch->len > 0) {
		*v = ch->buf[ch->head];
		ch->buf[ch->head] = NULL;
		ch->head = (ch->head + 1) % ch->cap;
		ch->len--;
		return 1;
	}
	*v = NULL;
	return ch->closed ? 0 : -EAGAIN;
}

/* The timed and untimed receive; @deadline 0 = none. */
static int recv_wait(rn_chan *ch, void **v, int64_t deadline)
{
	waiter w = { .val = NULL, .state = W_WAITING };
	int rc;

	pthread_mutex_lock(&ch->mu);
	rc = recv_now(ch, v);
	if (rc != -EAGAIN || (deadline && rn_now() >= deadline)) {
		pthread_mutex_unlock(&ch->mu);
		return rc == -EAGAIN ? rni_err_sentinel(RN_ETIMEOUT) : rc;
	}
	rne_cond_init(&w.cv);
	wq_push(&ch->recvq, &w);
	while (w.state == W_WAITING) {
		/*
		 * A wait that gives up has taken itself off w.cv; taking w
		 * off the receive queue too, under the mutex, means no sender
		 * or Close can reach it once we return.
		 */
		if (!rne_cond_wait_until(&w.cv, &ch->mu, deadline) && w.state == W_WAITING) {
			wq_remove(&ch->recvq, &w);
			pthread_mutex_unlock(&ch->mu);
			*v = NULL;
			return rni_err_sentinel(RN_ETIMEOUT);
		}
	}
	pthread_mutex_unlock(&ch->mu);
	*v = w.val;
	return w.state == W_DONE ? 1 : 0;
}

int rn_chan_recv(rn_chan *ch, void **v)
{
	if (!ch || !v)
		return rni_err_einval("rn_chan_recv: NULL argument");
	return recv_wait(ch, v, 0);
}

int rn_chan_recv_until(rn_chan *ch, void **v, rn_time deadline)
{
	if (!ch || !v)
		return rni_err_einval("rn_chan_recv_until: NULL argument");
	return recv_wait(ch, v, deadline);
}

int rn_chan_try_recv(rn_chan *ch, void **v)
{
	int rc;

	if (!ch || !v)
		return rni_err_einval("rn_chan_try_recv: NULL argument");
	pthread_mutex_lock(&ch->mu);
	rc = recv_now(ch, v);
	pthread_mutex_unlock(&ch->mu);
	return rc == -EAGAIN ? rni_err_text(-EAGAIN, "channel receive would block") : rc;
}

/* ---- close and the rest ------------------------------------------------------------- */

int rn_chan_close(rn_chan *ch)
{
	waiter *w;

	if (!ch)
		return rni_err_text(-EINVAL, "close of nil channel");
	pthread_mutex_lock(&ch->mu);
	if (ch->closed) {
		pthread_mutex_unlock(&ch->mu);
		return rni_err_text(RN_ECLOSED, "close of closed channel");
	}
	ch->closed = true;
	while ((w = wq_pop(&ch->recvq)) != NULL) {
		w->val = NULL;
		wake(w, W_CLOSED);
	}
	while ((w = wq_pop(&ch->sendq)) != NULL)
		wake(w, W_CLOSED);
	pthread_mutex_unlock(&ch->mu);
	return 0;
}

size_t rn_chan_len(rn_chan *ch)
{
	size_t n;

	if (!ch)
		return 0;
	pthread_mutex_lock(&ch->mu);
	n = ch->len;
	pthread_mutex_unlock(&ch->mu);
	return n;
}

size_t rn_chan_cap(rn_chan *ch)
{
	return ch ? ch->cap : 0;
}
