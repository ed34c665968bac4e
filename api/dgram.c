/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/dgram.c - the receive side of UDP and raw IP sockets as a multishot
 * RECVMSG into the thread's datagram buffer ring (api/multishot.c does the
 * arming and waiting).
 *
 * Each buffer holds one datagram in the kernel's layout: an
 * io_uring_recvmsg_out header, the sender's address, the control messages
 * and the data, at offsets fixed by the template msghdr given at arming.
 * A queued item is such a buffer (or, once the receive has ended, a copy of
 * its used bytes).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ringnet/engine.h>

#include "api/dgram.h"

static char *item_base(rni_ms *m, const rni_ms_item *it)
{
	return it->chunk.heap ? it->chunk.heap : (char *)rne_buf(m->owner, RNE_BR_DGRAM, it->chunk.bid);
}

static void dg_drop(rni_ms *m, rni_ms_item *it)
{
	if (it->chunk.heap)
		free(it->chunk.heap);
	else
		rne_buf_return(m->owner, RNE_BR_DGRAM, it->chunk.bid);
}

static bool dg_can_arm(rne_engine *e)
{
	return rne_bufring(e, RNE_BR_DGRAM) == 0 && e->brs[RNE_BR_DGRAM].avail >= RNE_DBUFS / 4;
}

static void dg_prep(rni_ms *m, struct io_uring_sqe *sqe)
{
	memset(&m->hdr, 0, sizeof(m->hdr));
	/* Room for either family's address, rounded so that the control messages behind it are aligned. */
	m->hdr.msg_namelen = (sizeof(struct sockaddr_in6) + 7) & ~(size_t)7;
	m->hdr.msg_controllen = RNI_DGRAM_CONTROL;
	io_uring_prep_recvmsg_multishot(sqe, m->f->fd, &m->hdr, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = RNE_BGID(RNE_BR_DGRAM);
	m->owner->stats.recv_multishot_armed++;
}

static void dg_take(rni_ms *m, rne_engine *e, int res, uint32_t flags)
{
	rni_ms_item it = { .chunk = { NULL, flags >> IORING_CQE_BUFFER_SHIFT, 0, 0 } };

	if (!(flags & IORING_CQE_F_BUFFER))
		return;
	rne_buf_taken(e, RNE_BR_DGRAM, flags);
	if (res <= 0) {
		rne_buf_return(e, RNE_BR_DGRAM, it.chunk.bid);
		return;
	}
	it.chunk.len = (uint32_t)res;
	if (rni_ms_push(m, it) < 0) {
		/* No room to note the datagram: say so where it would have been. */
		rne_buf_return(e, RNE_BR_DGRAM, it.chunk.bid);
		m->has_end = true;
		m->end = -ENOMEM;
		if (flags & IORING_CQE_F_MORE)
			rni_ms_cancel(m, e);
	}
}

/*
 * The end: ENOBUFS (the ring ran dry; the datagrams wait in the socket) and
 * ECANCELED are not the socket's; an error (ECONNREFUSED on a connected
 * socket, ...) is the next read's.  Queued datagrams leave the ring.
 */
static void dg_ended(rni_ms *m, rne_engine *e, int res)
{
	if (res <= 0 && res != -ENOBUFS && res != -ECANCELED && res != -EINVAL && !m->has_end) {
		m->has_end = true;
		m->end = res;
	}
	for (unsigned i = 0; i < m->len; i++) {
		rni_ms_item *it = &m->q[(m->head + i) % m->cap];
		char *copy;

		if (it->chunk.heap)
			continue;
		copy = malloc(it->chunk.len);
		if (!copy) {
			for (unsigned j = i; j < m->len; j++)
				dg_drop(m, &m->q[(m->head + j) % m->cap]);
			m->len = i;
			m->has_end = true;
			m->end = -ENOMEM;
			return;
		}
		memcpy(copy, item_base(m, it), it->chunk.len);
		rne_buf_return(e, RNE_BR_DGRAM, it->chunk.bid);
		it->chunk.heap = copy;
	}
}

static const rni_ms_kind dgram_kind = {
	.feature = RN_ENGINE_RECV_MULTISHOT,
	.can_arm = dg_can_arm,
	.prep = dg_prep,
	.take = dg_take,
	.ended = dg_ended,
	.drop = dg_drop,
};

/*
 * The control messages of @o that fit whole in the caller's room; the first
 * that does not is left out, with MSG_CTRUNC, as are the rest.
 */
static void copy_control(rni_ms *m, struct io_uring_recvmsg_out *o, struct msghdr *msg)
{
	size_t room = msg->msg_control ? msg->msg_controllen : 0, used = 0;

	if (o->flags & MSG_CTRUNC)
		msg->msg_flags |= MSG_CTRUNC;
	for (struct cmsghdr *c = io_uring_recvmsg_cmsg_firsthdr(o, &m->hdr); c;
	     c = io_uring_recvmsg_cmsg_nexthdr(o, &m->hdr, c)) {
		size_t space;

		if (c->cmsg_len < CMSG_LEN(0))
			break; /* the kernel writes none such; never walk on from one */
		space = CMSG_SPACE(c->cmsg_len - CMSG_LEN(0));
		if (used + c->cmsg_len > room) {
			msg->msg_flags |= MSG_CTRUNC;
			break;
		}
		memcpy((char *)msg->msg_control + used, c, c->cmsg_len);
		used += space < room - used ? space : room - used;
	}
	msg->msg_controllen = used;
}

/* Deliver the datagram in @it into @msg; the data length (or, with MSG_TRUNC in @flags, the full one). */
static int deliver(rni_ms *m, rni_ms_item *it, struct msghdr *msg, int flags)
{
	struct io_uring_recvmsg_out *o =
		io_uring_recvmsg_validate(item_base(m, it), (int)it->chunk.len, &m->hdr);
	const char *data;
	size_t avail, got = 0;

	if (!o)
		return -EBADMSG; /* the kernel never writes less than its header */
	msg->msg_flags = (int)(o->flags & ~(unsigned)(MSG_TRUNC | MSG_CTRUNC));
	if (msg->msg_name) {
		size_t k = o->namelen < msg->msg_namelen ? o->namelen : msg->msg_namelen;

		memcpy(msg->msg_name, io_uring_recvmsg_name(o), k);
	}
	msg->msg_namelen = o->namelen;
	copy_control(m, o, msg);
	data = io_uring_recvmsg_payload(o, &m->hdr);
	avail = io_uring_recvmsg_payload_length(o, (int)it->chunk.len, &m->hdr);
	for (size_t i = 0; i < (size_t)msg->msg_iovlen && got < avail; i++) {
		size_t k = msg->msg_iov[i].iov_len < avail - got ? msg->msg_iov[i].iov_len : avail - got;

		memcpy(msg->msg_iov[i].iov_base, data + got, k);
		got += k;
	}
	if (got < o->payloadlen)
		msg->msg_flags |= MSG_TRUNC;
	return (flags & MSG_TRUNC) ? (int)o->payloadlen : (int)got;
}

/* The socket's receiver, when this read may use one; NULL: receive one-shot. */
static rni_ms *receiver(rni_fd *f, rne_engine *e)
{
	rni_ms *m = atomic_load(&f->ms);

	if (m)
		return m;
	if ((f->sotype != SOCK_DGRAM && f->sotype != SOCK_RAW) ||
	    (f->family != AF_INET && f->family != AF_INET6) || !rni_ms_can_arm(&dgram_kind, e))
		return NULL;
	return rni_ms_get(f, &dgram_kind);
}

int rni_dgram_recv_batch(rni_fd *f, rne_engine *e, struct msghdr *msgs, int *lens, int n,
			 int flags, bool wait)
{
	rni_ms *m;
	int rc, got = 0;

	if (flags & ~(MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT))
		return RNI_MS_ONESHOT;
	m = receiver(f, e);
	if (!m)
		return RNI_MS_ONESHOT;
	pthread_mutex_lock(&m->mu);
	rc = rni_ms_await(m, e, wait && !(flags & MSG_DONTWAIT));
	if (rc == 0) {
		/* The socket's reading side was shut down: no datagram, no sender. */
		msgs[0].msg_namelen = 0;
		msgs[0].msg_controllen = 0;
		msgs[0].msg_flags = 0;
		lens[0] = 0;
	}
	/* The first is there; the rest are what is queued behind it, no waiting. */
	while (rc == 1 && got < n && m->len > 0) {
		rni_ms_item *it = rni_ms_front(m);
		int len = deliver(m, it, &msgs[got], flags);

		if (len < 0) {
			if (got == 0)
				rc = len;
			break;
		}
		lens[got++] = len;
		if (!(flags & MSG_PEEK)) {
			dg_drop(m, it);
			rni_ms_pop(m);
		}
	}
	pthread_mutex_unlock(&m->mu);
	return rc == 1 ? got : rc;
}

int rni_dgram_recv(rni_fd *f, rne_engine *e, struct msghdr *msg, int flags, bool wait)
{
	int len = 0, rc = rni_dgram_recv_batch(f, e, msg, &len, 1, flags, wait);

	return rc == 1 ? len : rc;
}
