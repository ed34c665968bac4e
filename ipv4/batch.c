/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipv4/batch.c - ReadBatch and WriteBatch: Go's Messages moved in chains of
 * linked RECVMSG/SENDMSG entries on the engine (api/fd.c rni_fd_batch).
 *
 * Why chains and not multishot RECVMSG into the buffer ring: the caller
 * already owns a buffer per message, so a chain receives straight into
 * them (no copy out of ring buffers), keeps messages in order, and leaves
 * nothing armed in the ring when the call returns.  Everything per call
 * lives on the stack: no allocation.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "api/dgram.h"
#include "api/errors.h"
#include "ipv4/endpoint.h"

/* Room for any sender of an AF_INET or AF_INET6 socket. */
typedef union {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
} sockname;

void rni_ipv4_sender(const rni_ipv4_ep *ep, rn_addr *out, const struct sockaddr *sa,
		     socklen_t len)
{
	int rc;

	if (len < (socklen_t)sizeof(sa_family_t) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) {
		out->kind = RN_ADDR_NONE;
		return;
	}
	if (ep->raw) {
		out->kind = RN_ADDR_IP;
		rc = rn_ipaddr_from_sockaddr(&out->u.ip, sa, len);
	} else {
		out->kind = RN_ADDR_UDP;
		rc = rn_udpaddr_from_sockaddr(&out->u.udp, sa, len);
	}
	if (rc < 0)
		out->kind = RN_ADDR_NONE;
}

int rni_ipv4_dest(const rni_ipv4_ep *ep, const rn_addr *dst, struct sockaddr_storage *ss,
		  socklen_t *len)
{
	int family = ep->c->fd.family;

	*len = 0;
	if (!dst || dst->kind == RN_ADDR_NONE)
		return 0;
	if (dst->kind == RN_ADDR_UDP && rn_udpaddr_to_sockaddr(&dst->u.udp, family, ss, len) == 0)
		return 0;
	if (dst->kind == RN_ADDR_IP && rn_ipaddr_to_sockaddr(&dst->u.ip, family, ss, len) == 0)
		return 0;
	if (dst->kind != RN_ADDR_UDP && dst->kind != RN_ADDR_IP)
		rni_err_errno(EINVAL, NULL); /* Go: the conn's WriteTo refuses other Addr types */
	return rni_err_op("write", rn_addr_network(&ep->c->fd.laddr), &ep->c->fd.laddr, dst);
}

/* Go's x/net wraps batch errors in OpError{op, LocalAddr().Network(), LocalAddr(), nil}. */
static int wrap(rni_ipv4_ep *ep, int code, const char *op, const char *syscall)
{
	const rn_addr *la = &ep->c->fd.laddr;

	if (code <= RN_EBASE)
		rni_err_sentinel(code);
	else
		rni_err_errno(-code, syscall);
	return rni_err_op(op, rn_addr_network(la), la, NULL);
}

static int check(rni_ipv4_ep *ep, rn_ipv4_message *ms, int n, const char *fn)
{
	if (!ep || !ep->c || (!ms && n > 0) || n < 0)
		return rni_err_einval(fn);
	for (int i = 0; i < n && i < RN_IPV4_BATCH_MAX; i++)
		if (ms[i].nbuffers < 0 || (!ms[i].buffers && ms[i].nbuffers > 0) ||
		    (!ms[i].oob && ms[i].oob_len > 0))
			return rni_err_einval(fn);
	return 0;
}

static void fill(rni_mmsg *v, rn_ipv4_message *m, void *name, socklen_t namelen)
{
	memset(&v->hdr, 0, sizeof(v->hdr));
	v->hdr.msg_name = name;
	v->hdr.msg_namelen = namelen;
	v->hdr.msg_iov = m->buffers;
	v->hdr.msg_iovlen = (size_t)m->nbuffers;
	v->hdr.msg_control = m->oob_len ? m->oob : NULL;
	v->hdr.msg_controllen = m->oob_len;
	v->len = 0;
}

/*
 * What ReadBatch and WriteBatch do before their chains: check the
 * arguments, cap @n, report an error a previous batch kept, enter
 * the fd and get this thread's engine.  Returns 1 with *@e set (the caller
 * leaves the fd), 0 for nothing to do, or a recorded error code.
 */
static int batch_begin(rni_ipv4_ep *ep, rn_ipv4_message *ms, int *n, bool write,
		       rne_engine **e)
{
	const char *op = write ? "write" : "read", *sys = write ? "sendmmsg" : "recvmmsg";
	int err = check(ep, ms, *n,
			write ? "WriteBatch: NULL connection or messages, or a negative count"
			      : "ReadBatch: NULL connection or messages, or a negative count");

	if (err < 0)
		return err;
	if (*n > RN_IPV4_BATCH_MAX)
		*n = RN_IPV4_BATCH_MAX;
	if (*n == 0)
		return 0;
	err = atomic_exchange(write ? &ep->werr : &ep->rerr, 0);
	if (err)
		return wrap(ep, err, op, sys);
	if (rni_fd_enter(&ep->c->fd) < 0)
		return wrap(ep, RN_ECLOSED, op, NULL);
	*e = rne_get();
	if (!*e) {
		rni_fd_leave(&ep->c->fd);
		rni_engine_error();
		return rni_err_op(op, rn_addr_network(&ep->c->fd.laddr), &ep->c->fd.laddr, NULL);
	}
	return 1;
}

/*
 * ReadBatch from the socket's multishot receive (api/dgram.c): the first
 * datagram is waited for, the rest are what is already queued, up to
 * RNI_BATCH_CHUNK per take.  Returns how many were read, with the first
 * one's error in *@res when none was, or RNI_MS_ONESHOT when the receive
 * does not serve this caller.
 */
__attribute__((noinline)) /* its arrays and the chain's never share a task's stack */
static int batch_from_queue(rni_ipv4_ep *ep, rne_engine *e, rn_ipv4_message *ms, int n, int flags,
			    int *res)
{
	struct msghdr msgs[RNI_BATCH_CHUNK];
	sockname names[RNI_BATCH_CHUNK];
	int lens[RNI_BATCH_CHUNK];
	int total = 0;

	while (total < n) {
		int k = n - total < RNI_BATCH_CHUNK ? n - total : RNI_BATCH_CHUNK, got;

		for (int i = 0; i < k; i++) {
			rn_ipv4_message *m = &ms[total + i];

			msgs[i] = (struct msghdr){
				.msg_name = &names[i], .msg_namelen = sizeof(names[i]),
				.msg_iov = m->buffers, .msg_iovlen = (size_t)m->nbuffers,
				.msg_control = m->oob, .msg_controllen = m->oob_len,
			};
		}
		got = rni_dgram_recv_batch(&ep->c->fd, e, msgs, lens, k, flags, total == 0);
		if (got == RNI_MS_ONESHOT && total == 0)
			return RNI_MS_ONESHOT;
		if (got <= 0) {
			if (total == 0)
				*res = got;
			else if (got < 0 && got != -EAGAIN && got > RN_EBASE)
				atomic_store(&ep->rerr, got); /* the next call's, as recvmmsg keeps it */
			break;
		}
		for (int i = 0; i < got; i++) {
			rn_ipv4_message *m = &ms[total + i];

			m->n = (size_t)lens[i];
			m->nn = msgs[i].msg_controllen;
			m->flags = msgs[i].msg_flags;
			rni_ipv4_sender(ep, &m->addr, &names[i].sa, msgs[i].msg_namelen);
		}
		total += got;
		if (got < k)
			break;
	}
	return total;
}

int rni_ipv4_read_batch(rni_ipv4_ep *ep, rn_ipv4_message *ms, int n, int flags)
{
	rni_mmsg v[RNI_BATCH_CHUNK];
	sockname names[RNI_BATCH_CHUNK];
	rne_engine *e;
	int total = 0, res = 0, err = 0;

	res = batch_begin(ep, ms, &n, false, &e);
	if (res <= 0)
		return res;
	res = 0;
	flags &= ~MSG_WAITFORONE; /* a recvmmsg flag; the chain already waits for one */
	rne_lock_acquire(&ep->c->fd.rlock);
	total = batch_from_queue(ep, e, ms, n, flags, &res);
	if (total != RNI_MS_ONESHOT)
		goto out;
	total = 0;
	e->stats.recv_oneshot++;
	while (total < n) {
		int k = n - total < RNI_BATCH_CHUNK ? n - total : RNI_BATCH_CHUNK;
		int got;

		if (total == 0 && ep->rhint > 0 && k > ep->rhint)
			k = ep->rhint; /* a full first chain goes on with full ones */
		for (int i = 0; i < k; i++)
			fill(&v[i], &ms[total + i], &names[i], sizeof(names[i]));
		got = rni_fd_batch(&ep->c->fd, e, false, v, k, flags, total == 0, &err);
		if (got <= 0) {
			if (total == 0)
				res = got;
			break;
		}
		for (int i = 0; i < got; i++) {
			rn_ipv4_message *m = &ms[total + i];

			m->n = v[i].len;
			m->nn = v[i].hdr.msg_controllen;
			m->flags = v[i].hdr.msg_flags;
			rni_ipv4_sender(ep, &m->addr, &names[i].sa, v[i].hdr.msg_namelen);
		}
		total += got;
		if (err) {
			atomic_store(&ep->rerr, err);
			break;
		}
		if (got < k)
			break;
	}
	if (total > 0) /* twice what came, 8 to a full chain */
		ep->rhint = total >= RNI_BATCH_CHUNK / 2 ? 0 : total < 4 ? 8 : 2 * total;
out:
	rne_lock_release(&ep->c->fd.rlock);
	rni_fd_leave(&ep->c->fd);
	if (total > 0)
		return total;
	return wrap(ep, res, "read", "recvmmsg");
}

int rni_ipv4_write_batch(rni_ipv4_ep *ep, rn_ipv4_message *ms, int n, int flags)
{
	rni_mmsg v[RNI_BATCH_CHUNK];
	struct sockaddr_storage ss;
	sockname names[RNI_BATCH_CHUNK];
	rne_engine *e;
	int total = 0, res = 0, err = 0;

	res = batch_begin(ep, ms, &n, true, &e);
	if (res <= 0)
		return res;
	res = 0;
	rne_lock_acquire(&ep->c->fd.wlock);
	while (total < n) {
		int k = n - total < RNI_BATCH_CHUNK ? n - total : RNI_BATCH_CHUNK;
		bool cut = false;
		int got;

		for (int i = 0; i < k; i++) {
			socklen_t len;

			if (rni_ipv4_dest(ep, &ms[total + i].addr, &ss, &len) < 0) {
				/* Send what comes before; the caller's next call starts here. */
				k = i;
				cut = true;
				break;
			}
			memcpy(&names[i], &ss, len < sizeof(names[i]) ? len : sizeof(names[i]));
			fill(&v[i], &ms[total + i], len ? &names[i] : NULL, len);
		}
		if (k == 0) {
			res = 1; /* the destination's error is recorded */
			break;
		}
		got = rni_fd_batch(&ep->c->fd, e, true, v, k, flags, total == 0, &err);
		if (got <= 0) {
			res = got;
			break;
		}
		for (int i = 0; i < got; i++) {
			ms[total + i].n = v[i].len;
			ms[total + i].nn = v[i].hdr.msg_controllen;
		}
		total += got;
		if (err) {
			atomic_store(&ep->werr, err);
			break;
		}
		if (got < k || cut)
			break;
	}
	rne_lock_release(&ep->c->fd.wlock);
	rni_fd_leave(&ep->c->fd);
	if (total > 0)
		return total;
	if (res == 1)
		return rn_last_error()->code;
	return wrap(ep, res == 0 ? -EAGAIN : res, "write", "sendmmsg");
}
