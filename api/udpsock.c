/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/udpsock.c - UDP: Dial, ListenPacket, ReadFrom and WriteTo, as Go's
 * udpsock.go / udpsock_posix.go.  Read and Write are conn.c's.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "api/conn.h"
#include "api/errors.h"

static bool is_udp(const rn_conn *c)
{
	return c->fd.sotype == SOCK_DGRAM && c->fd.family != AF_UNIX;
}

static rn_conn *udp_socket(const char *op, const char *network, const rn_udpaddr *a, bool listen,
			   struct sockaddr_storage *ss, socklen_t *len)
{
	rn_addr addr = rn_addr_from_udp(a);
	bool v6only;
	int family = rni_favorite_family(network, a->ip, listen, &v6only);
	int fd;

	if (rn_udpaddr_to_sockaddr(a, family, ss, len) < 0) {
		rni_err_op(op, network, NULL, &addr);
		return NULL;
	}
	fd = rni_socket(family, SOCK_DGRAM, 0, v6only);
	if (fd < 0) {
		rni_err_op(op, network, NULL, &addr);
		return NULL;
	}
	return rni_conn_new(fd, family, SOCK_DGRAM, network);
}

rn_conn *rni_dial_udp(const char *network, const rn_udpaddr *ra, int64_t deadline)
{
	struct sockaddr_storage ss;
	socklen_t len;
	rn_addr raddr = rn_addr_from_udp(ra);
	rn_conn *c = udp_socket("dial", network, ra, false, &ss, &len);

	(void)deadline; /* a UDP connect does not wait */
	if (!c)
		return NULL;
	if (connect(c->fd.fd, (struct sockaddr *)&ss, len) < 0) {
		rni_err_errno(errno, "connect");
		rni_err_op("dial", network, NULL, &raddr);
		rn_conn_free(c);
		return NULL;
	}
	rni_sock_addrs(&c->fd, true);
	return c;
}

rn_conn *rni_listen_udp(const char *network, const rn_udpaddr *la)
{
	struct sockaddr_storage ss;
	socklen_t len;
	rn_addr laddr = rn_addr_from_udp(la);
	rn_conn *c = udp_socket("listen", network, la, true, &ss, &len);

	if (!c)
		return NULL;
	if (bind(c->fd.fd, (struct sockaddr *)&ss, len) < 0) {
		rni_err_errno(errno, "bind");
		rni_err_op("listen", network, NULL, &laddr);
		rn_conn_free(c);
		return NULL;
	}
	rni_sock_addrs(&c->fd, false);
	return c;
}

ssize_t rn_udpconn_read_from_udp(rn_conn *c, void *buf, size_t n, rn_udpaddr *from)
{
	struct sockaddr_storage ss;
	struct iovec iov = { buf, n };
	struct msghdr msg;
	rne_engine *e;
	int res;

	if (!c || (!buf && n))
		return rni_err_einval("rn_udpconn_read_from_udp: NULL connection or buffer");
	if (!is_udp(c))
		return rni_err_einval("rn_udpconn_read_from_udp: not a UDP connection");
	if (from)
		memset(from, 0, sizeof(*from));
	res = rni_conn_begin(c, "read", &e);
	if (res < 0)
		return res;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &ss;
	msg.msg_namelen = sizeof(ss);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	pthread_mutex_lock(&c->fd.rlock);
	res = rni_fd_recvmsg(&c->fd, e, &msg, 0);
	pthread_mutex_unlock(&c->fd.rlock);
	rni_fd_leave(&c->fd);
	if (res < 0)
		return rni_fd_wrap(&c->fd, res, "read", "recvfrom", &c->fd.laddr, &c->fd.raddr);
	if (from)
		rn_udpaddr_from_sockaddr(from, (struct sockaddr *)&ss, msg.msg_namelen);
	return res;
}

ssize_t rn_conn_read_from(rn_conn *c, void *buf, size_t n, rn_addr *from)
{
	rn_udpaddr a;
	ssize_t res = rn_udpconn_read_from_udp(c, buf, n, &a);

	if (from) {
		from->kind = RN_ADDR_NONE;
		if (res >= 0)
			*from = rn_addr_from_udp(&a);
	}
	return res;
}

ssize_t rn_udpconn_write_to_udp(rn_conn *c, const void *buf, size_t n, const rn_udpaddr *to)
{
	struct sockaddr_storage ss;
	struct iovec iov = { (void *)(uintptr_t)buf, n };
	struct msghdr msg;
	rn_addr dst = rn_addr_from_udp(to);
	rne_engine *e;
	socklen_t len;
	int res;

	if (!c || (!buf && n))
		return rni_err_einval("rn_udpconn_write_to_udp: NULL connection or buffer");
	if (!is_udp(c))
		return rni_err_einval("rn_udpconn_write_to_udp: not a UDP connection");
	if (c->fd.raddr.kind != RN_ADDR_NONE)
		return rni_fd_wrap(&c->fd, RN_EWRITETOCONNECTED, "write", NULL, &c->fd.laddr, &dst);
	if (!to)
		return rni_fd_wrap(&c->fd, RN_EMISSINGADDR, "write", NULL, &c->fd.laddr, NULL);
	if (rn_udpaddr_to_sockaddr(to, c->fd.family, &ss, &len) < 0)
		return rni_err_op("write", c->fd.net, &c->fd.laddr, &dst);
	res = rni_conn_begin(c, "write", &e);
	if (res < 0)
		return res;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &ss;
	msg.msg_namelen = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	pthread_mutex_lock(&c->fd.wlock);
	res = rni_fd_sendmsg(&c->fd, e, &msg, 0);
	pthread_mutex_unlock(&c->fd.wlock);
	rni_fd_leave(&c->fd);
	if (res < 0)
		return rni_fd_wrap(&c->fd, res, "write", "sendto", &c->fd.laddr, &dst);
	return res;
}

ssize_t rn_conn_write_to(rn_conn *c, const void *buf, size_t n, const rn_addr *to)
{
	if (!c)
		return rni_err_einval("rn_conn_write_to: NULL connection");
	if (to && to->kind != RN_ADDR_NONE && to->kind != RN_ADDR_UDP) {
		rni_err_errno(EINVAL, NULL);
		return rni_err_op("write", c->fd.net, &c->fd.laddr, to);
	}
	return rn_udpconn_write_to_udp(c, buf, n, to && to->kind == RN_ADDR_UDP ? &to->u.udp : NULL);
}
