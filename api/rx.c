/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/rx.c - the receive side of a TCP conn as a multishot receive into
 * the thread's buffer ring (api/multishot.c does the arming and waiting).
 *
 * Chunks in ring buffers exist only while the receive is the owner's (armed,
 * or starved for buffers: api/multishot.h): when it ends they are copied to
 * memory of their own and the buffers go back, so a Read on any thread may
 * take them and the ring refills.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ringnet/engine.h>

#include "api/multishot.h"
#include "api/rx.h"

static const char *chunk_data(rni_ms *m, const rni_ms_item *it)
{
	const char *base = it->chunk.heap ? it->chunk.heap : (const char *)rne_buf(m->owner, RNE_BR_STREAM, it->chunk.bid);

	return base + it->chunk.off;
}

/* A consumed chunk's memory goes back: the ring buffer to its ring, or the copy. */
static void rx_drop(rni_ms *m, rni_ms_item *it)
{
	if (it->chunk.heap)
		free(it->chunk.heap);
	else
		rne_buf_return(m->owner, RNE_BR_STREAM, it->chunk.bid);
}

/* Receives are armed only while a quarter of the ring is there to take them. */
static bool rx_can_arm(rne_engine *e)
{
	return rne_bufring(e, RNE_BR_STREAM) == 0 && e->brs[RNE_BR_STREAM].avail >= RNE_BUFS / 4;
}

static void rx_prep(rni_ms *m, struct io_uring_sqe *sqe)
{
	io_uring_prep_recv_multishot(sqe, m->f->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = RNE_BGID(RNE_BR_STREAM);
	m->owner->stats.recv_multishot_armed++;
}

static void rx_take(rni_ms *m, rne_engine *e, int res, uint32_t flags)
{
	rni_ms_item it = { .chunk = { NULL, flags >> IORING_CQE_BUFFER_SHIFT, 0, 0 } };

	if (!(flags & IORING_CQE_F_BUFFER))
		return;
	rne_buf_taken(e, RNE_BR_STREAM, flags);
	if (res <= 0) {
		rne_buf_return(e, RNE_BR_STREAM, it.chunk.bid);
		return;
	}
	it.chunk.len = (uint32_t)res;
	if (rni_ms_push(m, it) < 0) {
		/* No room to note the bytes: the stream stops here, and says why. */
		rne_buf_return(e, RNE_BR_STREAM, it.chunk.bid);
		m->has_end = true;
		m->end = -ENOMEM;
		if (flags & IORING_CQE_F_MORE)
			rni_ms_cancel(m, e);
	}
}

/*
 * The end.  ENOBUFS: the ring ran dry, the bytes wait in the socket (the
 * next Read receives them).  ECANCELED: Close, a reader elsewhere, rne_run
 * returning, or a cancel meant for another operation on the descriptor;
 * none is the stream's end.  Then the queued chunks leave the ring (when
 * memory runs out the bytes cannot be kept: the conn reports ENOMEM at that
 * point of the stream rather than skip them).
 */
static void rx_ended(rni_ms *m, rne_engine *e, int res)
{
	if (res <= 0 && res != -ENOBUFS && res != -ECANCELED && res != -EINVAL && !m->has_end) {
		m->has_end = true;
		m->end = res;
	}
	for (unsigned i = 0; i < m->len; i++) {
		rni_ms_item *it = &m->q[(m->head + i) % m->cap];
		uint32_t n = it->chunk.len - it->chunk.off;
		char *copy;

		if (it->chunk.heap)
			continue;
		copy = malloc(n);
		if (!copy) {
			for (unsigned j = i; j < m->len; j++)
				rx_drop(m, &m->q[(m->head + j) % m->cap]);
			m->len = i;
			m->has_end = true;
			m->end = -ENOMEM;
			return;
		}
		memcpy(copy, chunk_data(m, it), n);
		rne_buf_return(e, RNE_BR_STREAM, it->chunk.bid);
		it->chunk.heap = copy;
		it->chunk.off = 0;
		it->chunk.len = n;
	}
}

static const rni_ms_kind rx_kind = {
	.feature = RN_ENGINE_RECV_MULTISHOT,
	.can_arm = rx_can_arm,
	.prep = rx_prep,
	.take = rx_take,
	.ended = rx_ended,
	.drop = rx_drop,
};

/* The conn's receiver, when this Read may use one; NULL: receive one-shot. */
static rni_ms *receiver(rni_fd *f, rne_engine *e)
{
	rni_ms *m = atomic_load(&f->ms);

	if (m)
		return m;
	if (f->sotype != SOCK_STREAM || (f->family != AF_INET && f->family != AF_INET6) ||
	    !rni_ms_can_arm(&rx_kind, e))
		return NULL;
	return rni_ms_get(f, &rx_kind);
}

int rni_rx_read(rni_fd *f, rne_engine *e, void *buf, size_t n)
{
	rni_ms *m = receiver(f, e);
	size_t got = 0;
	int rc;

	if (!m)
		return RNI_RX_ONESHOT;
	pthread_mutex_lock(&m->mu);
	rc = rni_ms_await(m, e, true);
	while (rc == 1 && m->len > 0 && got < n) {
		rni_ms_item *it = rni_ms_front(m);
		size_t k = it->chunk.len - it->chunk.off;

		if (k > n - got)
			k = n - got;
		memcpy((char *)buf + got, chunk_data(m, it), k);
		got += k;
		it->chunk.off += (uint32_t)k;
		if (it->chunk.off == it->chunk.len) {
			rx_drop(m, it);
			rni_ms_pop(m);
		}
	}
	pthread_mutex_unlock(&m->mu);
	return rc == 1 ? (int)got : rc;
}

int rni_rx_lease(rni_fd *f, rne_engine *e, rn_lease *l)
{
	rni_ms *m = receiver(f, e);
	int rc;

	if (!m)
		return RNI_RX_ONESHOT;
	pthread_mutex_lock(&m->mu);
	rc = rni_ms_await(m, e, true);
	if (rc == 1) {
		rni_ms_item *it = rni_ms_front(m);

		rc = (int)(it->chunk.len - it->chunk.off);
		l->data = chunk_data(m, it);
		l->len = (size_t)rc;
		if (it->chunk.heap) {
			l->priv_heap = it->chunk.heap;
		} else {
			l->priv_owner = m->owner;
			l->priv_bid = it->chunk.bid;
		}
		rni_ms_pop(m);
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}
