/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/unixsock.c - Unix domain sockets: unix (SOCK_STREAM), unixgram
 * (SOCK_DGRAM) and unixpacket (SOCK_SEQPACKET), as Go's unixsock.go /
 * unixsock_posix.go / sock_posix.go: Dial, Listen, ListenPacket, the
 * UnixConn methods (ReadFromUnix, WriteToUnix, ReadMsgUnix, WriteMsgUnix,
 * CloseRead, CloseWrite), the UnixListener's unlink-on-close, and
 * syscall.UnixRights / ParseUnixRights.  Read, Write, Close and deadlines are
 * conn.c's; Accept is tcpsock.c's (it checks the family).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/conn.h"
#include "api/errors.h"

/* Go's unixSocket: the socket type for each network. */
static int sotype_of(const char *network)
{
	if (!strcmp(network, "unix"))
		return SOCK_STREAM;
	if (!strcmp(network, "unixgram"))
		return SOCK_DGRAM;
	if (!strcmp(network, "unixpacket"))
		return SOCK_SEQPACKET;
	return -1;
}

/* Go's sotypeToNet: the Net of addresses a socket of @sotype reports. */
static const char *sotype_net(int sotype)
{
	switch (sotype) {
	case SOCK_DGRAM:
		return "unixgram";
	case SOCK_SEQPACKET:
		return "unixpacket";
	default:
		return "unix";
	}
}

static bool is_unix(const rn_conn *c)
{
	return c->fd.family == AF_UNIX;
}

/*
 * The sender recvmsg reported: Go's readFrom/readMsg give a nil address
 * when the kernel returned none (a connected or unnamed sender).
 */
static void sender(rn_unixaddr *from, const struct sockaddr_storage *ss, socklen_t len,
		   int sotype)
{
	if (!from)
		return;
	memset(from, 0, sizeof(*from));
	if (len < (socklen_t)sizeof(sa_family_t) || ss->ss_family != AF_UNIX)
		return;
	if (rn_unixaddr_from_sockaddr(from, (const struct sockaddr *)ss, len, sotype_net(sotype)) < 0 ||
	    !from->name[0])
		memset(from, 0, sizeof(*from));
}

/*
 * Go's socket() for the "listen" side: a close-on-exec AF_UNIX socket bound
 * to @la, listening when it is a stream or seqpacket socket (listenStream),
 * just bound for datagrams (listenDatagram).  Returns the descriptor, or the
 * recorded code (a SyscallError "socket", "setsockopt", "bind" or "listen",
 * not yet wrapped in an OpError).
 */
static int listen_socket(int sotype, const rn_unixaddr *la)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	int fd = rni_socket(AF_UNIX, sotype, 0, false);
	int err;

	if (fd < 0)
		return fd;
	if (sotype != SOCK_DGRAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		err = errno;
		close(fd);
		return rni_err_errno(err, "setsockopt");
	}
	if (rn_unixaddr_to_sockaddr(la, &ss, &len) < 0) {
		/* syscall.Bind fails the same way for a name sun_path cannot hold. */
		close(fd);
		return rni_err_errno(EINVAL, "bind");
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		err = errno;
		close(fd);
		return rni_err_errno(err, "bind");
	}
	/*
	 * Go's listenerBacklog is net.core.somaxconn; listen(2) caps the
	 * backlog at that value itself, so asking for the most gives it.
	 */
	if (sotype != SOCK_DGRAM && listen(fd, INT_MAX) < 0) {
		err = errno;
		close(fd);
		return rni_err_errno(err, "listen");
	}
	return fd;
}

/* ---- Dial, Listen, ListenPacket ---------------------------------------------- */

rn_conn *rni_dial_unix(const char *network, const rn_unixaddr *ra, const rni_dial *o)
{
	const rn_unixaddr *la = o->d->local_addr.kind == RN_ADDR_UNIX ? &o->d->local_addr.u.un : NULL;
	rn_addr src = rn_addr_from_unix(la), dst = rn_addr_from_unix(ra);
	const rn_addr *srcp = la ? &src : NULL, *dstp = ra ? &dst : NULL;
	struct sockaddr_storage ss;
	socklen_t len;
	rne_engine *e = NULL;
	rn_conn *c;
	int sotype = sotype_of(network), fd, rc;

	if (sotype < 0) {
		rni_err_unknown_network(network);
		rni_err_op("dial", network, srcp, dstp);
		return NULL;
	}
	/* unixSocket's "dial" rules: an empty name is no name. */
	if (la && !la->name[0])
		la = NULL;
	if (ra && !ra->name[0])
		ra = NULL;
	if (!ra && (sotype != SOCK_DGRAM || !la)) {
		rni_err_sentinel(RN_EMISSINGADDR);
		rni_err_op("dial", network, srcp, dstp);
		return NULL;
	}
	if (ra) {
		e = rne_get();
		if (!e) {
			rni_engine_error();
			rni_err_op("dial", network, srcp, dstp);
			return NULL;
		}
	}
	fd = rni_socket(AF_UNIX, sotype, 0, false);
	if (fd < 0) {
		rni_err_op("dial", network, srcp, dstp);
		return NULL;
	}
	c = rni_conn_new(fd, AF_UNIX, sotype, network);
	if (!c) {
		rni_err_op("dial", network, srcp, dstp);
		return NULL;
	}
	rc = rni_control(o->d->control, o->d->control_arg, network, AF_UNIX, &dst, fd);
	if (rc < 0) {
		rni_err_op("dial", network, srcp, dstp);
		rn_conn_free(c);
		return NULL;
	}
	if (la) {
		rc = rn_unixaddr_to_sockaddr(la, &ss, &len) < 0 ? -EINVAL : 0;
		if (rc == 0 && bind(fd, (struct sockaddr *)&ss, len) < 0)
			rc = -errno;
		if (rc < 0) {
			rni_fd_wrap(&c->fd, rc, "dial", "bind", srcp, dstp);
			rn_conn_free(c);
			return NULL;
		}
	}
	if (ra) {
		rc = rn_unixaddr_to_sockaddr(ra, &ss, &len) < 0 ? -EINVAL : 0;
		if (rc == 0)
			rc = rni_connect(c, e, (struct sockaddr *)&ss, len, o);
		if (rc < 0) {
			rni_fd_wrap(&c->fd, rc, "dial", "connect", srcp, dstp);
			rn_conn_free(c);
			return NULL;
		}
	}
	rni_sock_addrs(&c->fd, true);
	if (ra && c->fd.raddr.kind == RN_ADDR_NONE)
		c->fd.raddr = rn_addr_from_unix(ra); /* Go keeps the address it was given */
	return c;
}

/*
 * The socket of Listen and ListenPacket on a Unix network: checks, bind and
 * (for stream types) listen.  Returns the descriptor, or the code of an
 * OpError "listen" {@la}; *sotype is the socket type.
 */
static int listen_unix_socket(const char *network, const rn_unixaddr *la, int *sotype)
{
	rn_addr laddr = rn_addr_from_unix(la);
	const rn_addr *lap = la ? &laddr : NULL;
	int fd;

	*sotype = sotype_of(network);
	if (*sotype < 0) {
		rni_err_unknown_network(network);
		return rni_err_op("listen", network, NULL, lap);
	}
	if (!la) {
		rni_err_sentinel(RN_EMISSINGADDR);
		return rni_err_op("listen", network, NULL, NULL);
	}
	fd = listen_socket(*sotype, la);
	if (fd < 0)
		return rni_err_op("listen", network, NULL, lap);
	return fd;
}

rn_listener *rni_listen_unix(const char *network, const rn_unixaddr *la)
{
	rn_addr laddr = rn_addr_from_unix(la);
	rn_listener *l;
	int sotype, fd = listen_unix_socket(network, la, &sotype);

	if (fd < 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		rni_err_errno(ENOMEM, NULL);
		rni_err_op("listen", network, NULL, &laddr);
		return NULL;
	}
	rni_fd_init(&l->fd, fd, AF_UNIX, sotype, network);
	l->unlink = true; /* we created the file: Go unlinks it on Close */
	rni_sock_addrs(&l->fd, false);
	return l;
}

rn_conn *rni_listen_unixgram(const char *network, const rn_unixaddr *la)
{
	rn_addr laddr = rn_addr_from_unix(la);
	const rn_addr *lap = la ? &laddr : NULL;
	rn_conn *c;
	/* Go: ListenPacket("unix", ...) binds and listens a stream socket. */
	int sotype, fd = listen_unix_socket(network, la, &sotype);

	if (fd < 0)
		return NULL;
	c = rni_conn_new(fd, AF_UNIX, sotype, network);
	if (!c) {
		rni_err_op("listen", network, NULL, lap);
		return NULL;
	}
	rni_sock_addrs(&c->fd, false);
	return c;
}

/* ---- UnixListener ------------------------------------------------------------ */

/*
 * l->unlink is read and cleared in one atomic step by the first Close (or a
 * Free with no Close), which is Go's unlinkOnce; after Close the fd's closed
 * flag keeps a later SetUnlinkOnClose from unlinking again.
 */
void rni_unix_listener_unlink(rn_listener *l)
{
	const char *path;

	if (l->fd.family != AF_UNIX || atomic_load(&l->fd.closed) ||
	    !__atomic_exchange_n(&l->unlink, false, __ATOMIC_ACQ_REL))
		return;
	/* Go: unlink then close, and never an abstract name. */
	if (l->fd.laddr.kind != RN_ADDR_UNIX)
		return;
	path = l->fd.laddr.u.un.name;
	if (path[0] && path[0] != '@')
		unlink(path);
}

int rn_unixlistener_set_unlink_on_close(rn_listener *l, bool unlink_on_close)
{
	if (!l)
		return rni_err_einval("rn_unixlistener_set_unlink_on_close: NULL listener");
	if (l->fd.family != AF_UNIX)
		return rni_err_einval("rn_unixlistener_set_unlink_on_close: not a Unix listener");
	__atomic_store_n(&l->unlink, unlink_on_close, __ATOMIC_RELEASE);
	return 0;
}

/* ---- UnixConn ---------------------------------------------------------------- */

ssize_t rn_unixconn_read_from_unix(rn_conn *c, void *buf, size_t n, rn_unixaddr *from)
{
	struct rni_msg m = { .buf = buf, .n = n };
	int res;

	if (from)
		memset(from, 0, sizeof(*from));
	if (!c || (!buf && n))
		return rni_err_einval("rn_unixconn_read_from_unix: NULL connection or buffer");
	if (!is_unix(c))
		return rni_err_einval("rn_unixconn_read_from_unix: not a Unix connection");
	res = rni_conn_recvmsg(c, &m, "recvfrom");
	if (res >= 0)
		sender(from, &m.ss, m.sslen, c->fd.sotype);
	return res;
}

/*
 * Go's writeTo/writeMsg checks before any syscall; returns 0 or the code
 * recorded in an OpError "write" (with @to as its address).
 */
static int check_dest(rn_conn *c, const rn_unixaddr *to, const rn_addr *dst,
		      struct sockaddr_storage *ss, socklen_t *len, const char *syscall)
{
	if (strcmp(to->net, sotype_net(c->fd.sotype)))
		return rni_fd_wrap(&c->fd, -EAFNOSUPPORT, "write", NULL, &c->fd.laddr, dst);
	if (rn_unixaddr_to_sockaddr(to, ss, len) < 0)
		return rni_fd_wrap(&c->fd, -EINVAL, "write", syscall, &c->fd.laddr, dst);
	return 0;
}

ssize_t rn_unixconn_write_to_unix(rn_conn *c, const void *buf, size_t n, const rn_unixaddr *to)
{
	struct sockaddr_storage ss;
	rn_addr dst = rn_addr_from_unix(to);
	const rn_addr *dstp = to ? &dst : NULL;
	socklen_t len;
	int res;

	if (!c || (!buf && n))
		return rni_err_einval("rn_unixconn_write_to_unix: NULL connection or buffer");
	if (!is_unix(c))
		return rni_err_einval("rn_unixconn_write_to_unix: not a Unix connection");
	if (n > 1u << 30)
		return rni_err_einval("rn_unixconn_write_to_unix: datagram larger than 1 GiB");
	if (c->fd.raddr.kind != RN_ADDR_NONE)
		return rni_fd_wrap(&c->fd, RN_EWRITETOCONNECTED, "write", NULL, &c->fd.laddr, dstp);
	if (!to)
		return rni_fd_wrap(&c->fd, RN_EMISSINGADDR, "write", NULL, &c->fd.laddr, NULL);
	res = check_dest(c, to, dstp, &ss, &len, "sendto");
	if (res < 0)
		return res;
	return rni_conn_sendmsg(c, buf, n, NULL, 0, &ss, len, dstp, "sendto");
}

ssize_t rn_unixconn_read_msg_unix(rn_conn *c, void *buf, size_t n, void *oob, size_t oob_cap,
				  size_t *oobn, int *flags, rn_unixaddr *from)
{
	/* Go's readMsgFlags on Linux: descriptors arrive close-on-exec. */
	struct rni_msg m = { .buf = buf, .n = n, .oob = oob, .oob_cap = oob_cap,
			     .recv_flags = MSG_CMSG_CLOEXEC };
	int res;

	if (from)
		memset(from, 0, sizeof(*from));
	res = rni_conn_read_msg(c, c && is_unix(c), "rn_unixconn_read_msg_unix",
				"not a Unix connection", &m, oobn, flags);
	if (res < 0)
		return res;
	sender(from, &m.ss, m.sslen, c->fd.sotype);
	return res;
}

ssize_t rn_unixconn_write_msg_unix(rn_conn *c, const void *buf, size_t n, const void *oob,
				   size_t oobn, const rn_unixaddr *to)
{
	static const unsigned char dummy;
	struct sockaddr_storage ss;
	rn_addr dst = rn_addr_from_unix(to);
	const rn_addr *dstp = to ? &dst : NULL;
	socklen_t len = 0;
	int res;

	res = rni_check_write_msg(c, c && is_unix(c), "rn_unixconn_write_msg_unix",
				  "not a Unix connection", buf, n, oob, oobn);
	if (res < 0)
		return res;
	/* Go 1.19: any WriteMsgUnix on a connected datagram socket. */
	if (c->fd.sotype == SOCK_DGRAM && c->fd.raddr.kind != RN_ADDR_NONE)
		return rni_fd_wrap(&c->fd, RN_EWRITETOCONNECTED, "write", NULL, &c->fd.laddr, dstp);
	if (to) {
		res = check_dest(c, to, dstp, &ss, &len, "sendmsg");
		if (res < 0)
			return res;
	}
	if (oobn > 0 && n == 0 && c->fd.sotype != SOCK_DGRAM) {
		/* syscall.SendmsgN: send at least one normal byte. */
		res = rni_conn_sendmsg(c, &dummy, 1, oob, oobn, to ? &ss : NULL, len, dstp, "sendmsg");
		return res < 0 ? res : 0; /* the dummy byte is not the caller's */
	}
	return rni_conn_sendmsg(c, buf, n, oob, oobn, to ? &ss : NULL, len, dstp, "sendmsg");
}

static int unix_shutdown(rn_conn *c, int how)
{
	int rc;

	if (!c)
		return rni_err_einval("rn_unixconn: NULL connection");
	if (!is_unix(c))
		return rni_err_einval("rn_unixconn: not a Unix connection");
	rc = rni_fd_enter(&c->fd);
	if (rc < 0)
		return rni_fd_wrap(&c->fd, rc, "close", NULL, &c->fd.laddr, &c->fd.raddr);
	rc = shutdown(c->fd.fd, how) < 0 ? -errno : 0;
	rni_fd_leave(&c->fd);
	if (rc < 0)
		return rni_fd_wrap(&c->fd, rc, "close", "shutdown", &c->fd.laddr, &c->fd.raddr);
	return 0;
}

int rn_unixconn_close_read(rn_conn *c)
{
	return unix_shutdown(c, SHUT_RD);
}

int rn_unixconn_close_write(rn_conn *c)
{
	return unix_shutdown(c, SHUT_WR);
}

/* ---- SCM_RIGHTS ---------------------------------------------------------------- */

int rn_unix_rights(const int *fds, int n, void *oob, size_t oobn)
{
	struct cmsghdr h;
	size_t data, need;

	if (n < 0 || (n > 0 && !fds))
		return rni_err_einval("rn_unix_rights: negative count or NULL descriptors");
	data = (size_t)n * sizeof(int);
	need = CMSG_SPACE(data);
	if (need > INT_MAX)
		return rni_err_einval("rn_unix_rights: too many descriptors");
	if (oob && oobn >= need) {
		/* @oob need not be aligned: build the header aside and copy it. */
		memset(oob, 0, need);
		memset(&h, 0, sizeof(h));
		h.cmsg_level = SOL_SOCKET;
		h.cmsg_type = SCM_RIGHTS;
		h.cmsg_len = CMSG_LEN(data);
		memcpy(oob, &h, sizeof(h));
		if (data)
			memcpy((char *)oob + CMSG_LEN(0), fds, data);
	}
	return (int)need;
}

int rn_unix_parse_rights(const void *oob, size_t n, int *fds, int max)
{
	const char *b = oob;
	size_t i = 0;
	int total = 0;

	if ((!oob && n) || max < 0 || (!fds && max > 0))
		return rni_err_einval("rn_unix_parse_rights: NULL buffer or bad count");
	/* syscall.ParseSocketControlMessage, then ParseUnixRights on each. */
	while (i + CMSG_LEN(0) <= n) {
		struct cmsghdr h;
		size_t count;

		memcpy(&h, b + i, sizeof(h));
		if (h.cmsg_len < sizeof(h) || h.cmsg_len > n - i)
			return rni_err_errno(EINVAL, NULL);
		if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
			count = (h.cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t k = 0; k < count; k++, total++) {
				if (total < max)
					memcpy(&fds[total], b + i + CMSG_LEN(0) + k * sizeof(int),
					       sizeof(int));
			}
		}
		i += CMSG_ALIGN(h.cmsg_len);
	}
	return total;
}
