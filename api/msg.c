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

#include "api/conn.h"
#include "api/errors.h"

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
	pthread_mutex_lock(&c->fd.rlock);
	res = rni_fd_recvmsg(&c->fd, e, &msg, m->recv_flags);
	pthread_mutex_unlock(&c->fd.rlock);
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
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = oobn ? (void *)(uintptr_t)oob : NULL;
	msg.msg_controllen = oobn;
	pthread_mutex_lock(&c->fd.wlock);
	res = rni_fd_sendmsg(&c->fd, e, &msg, 0);
	pthread_mutex_unlock(&c->fd.wlock);
	rni_fd_leave(&c->fd);
	if (res < 0)
		return rni_fd_wrap(&c->fd, res, "write", syscall, &c->fd.laddr, dst);
	return res;
}
