/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/msg.c - one message in or out on the engine: the shared body of
 * ReadFrom/ReadMsg and WriteTo/WriteMsg for UDP, IP and Unix conns.  The
 * per-family functions check their arguments and addresses and convert
 * the sender; everything about the call itself lives here once.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stdio.h>

#include "api/conn.h"
#include "api/dgram.h"
#include "api/errors.h"

/* -EINVAL with "<fn>: <why>" (the public call's name leads, as elsewhere). */
static int einval(const char *fn, const char *why)
{
	char text[128];

	snprintf(text, sizeof(text), "%s: %s", fn, why);
	return rni_err_einval(text);
}

int rni_conn_read_msg(rn_conn *c, bool kind_ok, const char *fn, const char *kind,
		      struct rni_msg *m, size_t *oobn, int *flags)
{
	unsigned char dummy;
	int res;

	if (oobn)
		*oobn = 0;
	if (flags)
		*flags = 0;
	if (!c || (!m->buf && m->n) || (!m->oob && m->oob_cap))
		return einval(fn, "NULL connection or buffer");
	if (!kind_ok)
		return einval(fn, kind);
	if (m->oob_cap > 0 && m->n == 0 && c->fd.sotype != SOCK_DGRAM) {
		/* syscall.Recvmsg: on a socket that is not SOCK_DGRAM, read one byte. */
		m->buf = &dummy;
		m->n = 1;
	}
	res = rni_conn_recvmsg(c, m, "recvmsg");
	if (res < 0)
		return res;
	if (oobn)
		*oobn = m->oobn;
	if (flags)
		*flags = m->flags;
	return res;
}

int rni_check_write_msg(const rn_conn *c, bool kind_ok, const char *fn, const char *kind,
			const void *buf, size_t n, const void *oob, size_t oobn)
{
	if (!c || (!buf && n) || (!oob && oobn))
		return einval(fn, "NULL connection or buffer");
	if (!kind_ok)
		return einval(fn, kind);
	if (n > 1u << 30)
		return einval(fn, "message larger than 1 GiB");
	return 0;
}

int rni_conn_recvmsg(rn_conn *c, struct rni_msg *m, const char *syscall)
{
	struct iovec iov = { m->buf, m->n > (1u << 30) ? (1u << 30) : m->n }; /* Go's maxRW */
	struct msghdr msg;
	rne_engine *e;
	int res = rni_conn_begin(c, "read", &e);

	m->sslen = 0;
	m->oobn = 0;
	m->flags = 0;
	if (res < 0)
		return res;
	memset(&m->ss, 0, sizeof(m->ss));
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &m->ss;
	msg.msg_namelen = sizeof(m->ss);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = m->oob_cap ? m->oob : NULL;
	msg.msg_controllen = m->oob_cap;
	rne_lock_acquire(&c->fd.rlock);
	res = rni_dgram_recv(&c->fd, e, &msg, m->recv_flags, true);
	if (res == RNI_MS_ONESHOT) {
		e->stats.recv_oneshot++;
		res = rni_fd_recvmsg(&c->fd, e, &msg, m->recv_flags);
	}
	rne_lock_release(&c->fd.rlock);
	rni_fd_leave(&c->fd);
	if (res < 0)
		return rni_fd_wrap(&c->fd, res, "read", syscall, &c->fd.laddr, &c->fd.raddr);
	m->sslen = msg.msg_namelen;
	m->oobn = msg.msg_controllen;
	m->flags = msg.msg_flags;
	return res;
}

int rni_conn_sendmsg(rn_conn *c, const void *buf, size_t n, const void *oob, size_t oobn,
		     const struct sockaddr_storage *to, socklen_t tolen, const rn_addr *dst,
		     const char *syscall)
{
	struct iovec iov = { (void *)(uintptr_t)buf, n };

	return rni_conn_sendmsgv(c, &iov, 1, oob, oobn, to, tolen, dst, syscall);
}

int rni_conn_sendmsgv(rn_conn *c, const struct iovec *iov, int iovcnt, const void *oob,
		      size_t oobn, const struct sockaddr_storage *to, socklen_t tolen,
		      const rn_addr *dst, const char *syscall)
{
	struct msghdr msg;
	rne_engine *e;
	int res;

	/* Go names the destination in every error of these calls, Close's too. */
	res = rni_fd_enter(&c->fd);
	if (res < 0)
		return rni_fd_wrap(&c->fd, res, "write", NULL, &c->fd.laddr, dst);
	e = rni_engine("write", c->fd.net, dst);
	if (!e) {
		rni_fd_leave(&c->fd);
		return rn_last_error()->code;
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = to ? (void *)(uintptr_t)to : NULL;
	msg.msg_namelen = to ? tolen : 0;
	msg.msg_iov = (struct iovec *)(uintptr_t)iov;
	msg.msg_iovlen = (size_t)iovcnt;
	msg.msg_control = oobn ? (void *)(uintptr_t)oob : NULL;
	msg.msg_controllen = oobn;
	rne_lock_acquire(&c->fd.wlock);
	res = rni_fd_sendmsg(&c->fd, e, &msg, 0);
	rne_lock_release(&c->fd.wlock);
	rni_fd_leave(&c->fd);
	if (res < 0)
		return rni_fd_wrap(&c->fd, res, "write", syscall, &c->fd.laddr, dst);
	return res;
}
