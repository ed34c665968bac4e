/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/accept.c - the accept side of a TCP listener as a multishot accept
 * (api/multishot.c does the arming and waiting).  The queued items are
 * descriptors, which any thread may take.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ringnet/engine.h>

#include "api/accept.h"

static void acc_prep(rni_ms *m, struct io_uring_sqe *sqe)
{
	io_uring_prep_multishot_accept(sqe, m->f->fd, NULL, NULL, SOCK_CLOEXEC);
	m->owner->stats.accept_multishot_armed++;
}

static void acc_take(rni_ms *m, rne_engine *e, int res, uint32_t flags)
{
	rni_ms_item it = { .fd = res };

	if (res < 0)
		return;
	if (atomic_load(&m->f->closed)) {
		close(res); /* accepted as Close ran: it must not outlive the listener */
		return;
	}
	if (rni_ms_push(m, it) < 0) {
		close(res);
		m->has_end = true;
		m->end = -ENOMEM;
	}
	/* Enough are waiting: leave the rest in the kernel's backlog. */
	if ((flags & IORING_CQE_F_MORE) && (m->len >= RNI_ACCEPT_QUEUE || m->has_end))
		rni_ms_cancel(m, e);
}

/* An accept error (EMFILE, ...) is the next Accept's. */
static void acc_ended(rni_ms *m, rne_engine *e, int res)
{
	(void)e;
	if (res < 0 && res != -ECANCELED && res != -EINVAL && !m->has_end) {
		m->has_end = true;
		m->end = res;
	}
}

static void acc_drop(rni_ms *m, rni_ms_item *it)
{
	(void)m;
	close(it->fd);
}

static const rni_ms_kind accept_kind = {
	.feature = RN_ENGINE_ACCEPT_MULTISHOT,
	.prep = acc_prep,
	.take = acc_take,
	.ended = acc_ended,
	.drop = acc_drop,
};

int rni_accept_take(rni_fd *f, rne_engine *e)
{
	rni_ms *m = atomic_load(&f->ms);
	int rc;

	if (!m) {
		if (f->family != AF_INET && f->family != AF_INET6)
			return RNI_MS_ONESHOT;
		if (!rni_ms_can_arm(&accept_kind, e) || !(m = rni_ms_get(f, &accept_kind)))
			return RNI_MS_ONESHOT;
	}
	pthread_mutex_lock(&m->mu);
	rc = rni_ms_await(m, e, true);
	if (rc == 1) {
		rc = rni_ms_front(m)->fd;
		rni_ms_pop(m);
	} else if (rc == 0) {
		rc = -ECONNABORTED; /* an accept has no end of stream; never expected */
	}
	pthread_mutex_unlock(&m->mu);
	return rc;
}
