/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/iprawsock.c - IP conns ("ip4:icmp", "ip6:ipv6-icmp", "ip:1"), as Go's
 * iprawsock.go / iprawsock_posix.go: DialIP and ListenIP over SOCK_RAW
 * sockets with the parsed protocol, ReadFromIP (which strips the IPv4
 * header, as Go's stripIPv4Header does), WriteToIP, ReadMsgIP and
 * WriteMsgIP.  Read, Write, Close and deadlines are conn.c's (a Read on
 * "ip4" keeps the IPv4 header, as Go's does).
 *
 * As in Go, the conn's network is the name without its protocol ("ip4"),
 * so errors read "read ip4 127.0.0.1: i/o timeout", while Dial and Listen
 * name the network as given ("dial ip4:icmp 127.0.0.1: ...").
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "api/conn.h"
#include "api/errors.h"

static bool is_ip(const rn_conn *c)
{
	return c->fd.sotype == SOCK_RAW && (c->fd.family == AF_INET || c->fd.family == AF_INET6);
}

/* Go's IPAddr.family: an IPv4 (or IPv4-mapped) address is AF_INET. */
static int ipaddr_family(const rn_ipaddr *a)
{
	if (a->ip.len <= 4 || rn_ip_to4(a->ip).len)
		return AF_INET;
	return AF_INET6;
}

/* Go's parseNetwork for dialIP / listenIP: "ip", "ip4" or "ip6" and a protocol. */
static int parse(const char *network, rn_network *nw)
{
	int rc = rn_parse_network(network, true, nw);

	if (rc < 0)
		return rc;
	if (strcmp(nw->afnet, "ip") && strcmp(nw->afnet, "ip4") && strcmp(nw->afnet, "ip6"))
		return rni_err_unknown_network(network);
	return 0;
}

/* Bind @fd to @la (Go's netFD.dial / listen for a raw socket); records a SyscallError "bind". */
static int bind_ip(int fd, int family, const rn_ipaddr *la)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (rn_ipaddr_to_sockaddr(la, family, &ss, &len) < 0)
		return rn_last_error()->code;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return rni_err_errno(errno, "bind");
	return 0;
}

rn_conn *rni_dial_ip(const char *network, const rn_ipaddr *ra, const rni_dial *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	rn_addr raddr = rn_addr_from_ip(ra);
	const rn_addr *la = &o->d->local_addr;
	const rn_addr *src = la->kind == RN_ADDR_NONE ? NULL : la;
	rn_network nw;
	bool v6only;
	rn_conn *c;
	int family, fd;

	if (parse(network, &nw) < 0)
		goto fail_op;
	/* Go's favoriteAddrFamily in "dial" mode: IPv6 if either end is. */
	family = rni_favorite_family(nw.afnet, ra->ip, false, &v6only);
	if (family == AF_INET && la->kind == RN_ADDR_IP && ipaddr_family(&la->u.ip) == AF_INET6)
		family = AF_INET6;
	fd = rni_socket(family, SOCK_RAW, nw.proto, v6only);
	if (fd < 0)
		goto fail_op;
	if (rni_control(o->d->control, o->d->control_arg, nw.afnet, family, &raddr, fd) < 0 ||
	    (la->kind == RN_ADDR_IP && bind_ip(fd, family, &la->u.ip) < 0) ||
	    rn_ipaddr_to_sockaddr(ra, family, &ss, &len) < 0) {
		close(fd);
		goto fail_op;
	}
	c = rni_conn_new(fd, family, SOCK_RAW, nw.afnet);
	if (!c)
		goto fail_op;
	/* A raw connect does not wait: the plain system call will do. */
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		rni_err_errno(errno, "connect");
		rn_conn_free(c);
		goto fail_op;
	}
	rni_sock_addrs(&c->fd, true);
	/* getpeername fails on raw sockets: Go keeps the address it was given. */
	if (c->fd.raddr.kind == RN_ADDR_NONE)
		c->fd.raddr = raddr;
	return c;
fail_op:
	rni_err_op("dial", network, src, &raddr);
	return NULL;
}

rn_conn *rni_listen_ip(const char *network, const rn_ipaddr *la, const rn_listen_config *lc)
{
	rn_addr laddr = rn_addr_from_ip(la);
	rn_network nw;
	bool v6only;
	rn_conn *c;
	int family, fd, one = 1;

	if (parse(network, &nw) < 0)
		goto fail_op;
	family = rni_favorite_family(nw.afnet, la->ip, true, &v6only);
	fd = rni_socket(family, SOCK_RAW, nw.proto, v6only);
	if (fd < 0)
		goto fail_op;
	if (lc->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		rni_err_errno(errno, "setsockopt");
		goto fail_close;
	}
	/* Go: a raw socket with only a local address goes through netFD.dial. */
	if (rni_control(lc->control, lc->control_arg, nw.afnet, family, &laddr, fd) < 0 ||
	    bind_ip(fd, family, la) < 0)
		goto fail_close;
	c = rni_conn_new(fd, family, SOCK_RAW, nw.afnet);
	if (!c)
		goto fail_op;
	rni_sock_addrs(&c->fd, false);
	return c;
fail_close:
	close(fd);
fail_op:
	rni_err_op("listen", network, NULL, &laddr);
	return NULL;
}

/* ---- reads ------------------------------------------------------------------- */

/* Go's stripIPv4Header: drop the IPv4 header a raw AF_INET socket delivers. */
static ssize_t strip_ipv4_header(ssize_t n, unsigned char *b, size_t cap)
{
	size_t l;

	if (cap < 20 || n < 1)
		return n;
	l = (size_t)(b[0] & 0x0f) << 2;
	if (l < 20 || l > cap || l > (size_t)n)
		return n;
	if (b[0] >> 4 != 4)
		return n;
	memmove(b, b + l, (size_t)n - l);
	return n - (ssize_t)l;
}

/* The sender, as Go's sockaddrToIP (zeroed when the kernel gave none). */
static void sender(rn_ipaddr *from, const struct sockaddr_storage *ss, socklen_t len)
{
	if (!from)
		return;
	if (len < (socklen_t)sizeof(sa_family_t) ||
	    (ss->ss_family != AF_INET && ss->ss_family != AF_INET6) ||
	    rn_ipaddr_from_sockaddr(from, (const struct sockaddr *)ss, len) < 0)
		memset(from, 0, sizeof(*from));
}

ssize_t rn_ipconn_read_from_ip(rn_conn *c, void *buf, size_t n, rn_ipaddr *from)
{
	struct rni_msg m = { .buf = buf, .n = n };
	int res;

	if (from)
		memset(from, 0, sizeof(*from));
	if (!c || (!buf && n))
		return rni_err_einval("rn_ipconn_read_from_ip: NULL connection or buffer");
	if (!is_ip(c))
		return rni_err_einval("rn_ipconn_read_from_ip: not an IP connection");
	res = rni_conn_recvmsg(c, &m, "recvfrom");
	if (res < 0)
		return res;
	sender(from, &m.ss, m.sslen);
	if (m.sslen >= (socklen_t)sizeof(sa_family_t) && m.ss.ss_family == AF_INET)
		return strip_ipv4_header(res, buf, n > (1u << 30) ? (1u << 30) : n);
	return res;
}

ssize_t rn_ipconn_read_msg_ip(rn_conn *c, void *buf, size_t n, void *oob, size_t oob_cap,
			      size_t *oobn, int *flags, rn_ipaddr *from)
{
	struct rni_msg m = { .buf = buf, .n = n, .oob = oob, .oob_cap = oob_cap };
	int res;

	if (from)
		memset(from, 0, sizeof(*from));
	res = rni_conn_read_msg(c, c && is_ip(c), "rn_ipconn_read_msg_ip", "not an IP connection",
				&m, oobn, flags);
	if (res < 0)
		return res;
	sender(from, &m.ss, m.sslen);
	return res;
}

/* ---- writes ------------------------------------------------------------------- */

/*
 * Go's IPConn.writeTo / writeMsg: connected, no address, or an address the
 * socket's family cannot take fail before any system call.  Returns 0 or the
 * code recorded in an OpError "write" naming @dst.
 */
static int check_dest(rn_conn *c, const rn_ipaddr *to, const rn_addr *dst,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	if (c->fd.raddr.kind != RN_ADDR_NONE)
		return rni_fd_wrap(&c->fd, RN_EWRITETOCONNECTED, "write", NULL, &c->fd.laddr, dst);
	if (!to)
		return rni_fd_wrap(&c->fd, RN_EMISSINGADDR, "write", NULL, &c->fd.laddr, NULL);
	if (rn_ipaddr_to_sockaddr(to, c->fd.family, ss, len) < 0)
		return rni_err_op("write", c->fd.net, &c->fd.laddr, dst);
	return 0;
}

ssize_t rn_ipconn_write_to_ip(rn_conn *c, const void *buf, size_t n, const rn_ipaddr *to)
{
	struct sockaddr_storage ss;
	rn_addr dst = rn_addr_from_ip(to);
	const rn_addr *dstp = to ? &dst : NULL;
	socklen_t len = 0;
	int res;

	if (!c || (!buf && n))
		return rni_err_einval("rn_ipconn_write_to_ip: NULL connection or buffer");
	if (!is_ip(c))
		return rni_err_einval("rn_ipconn_write_to_ip: not an IP connection");
	if (n > 1u << 30)
		return rni_err_einval("rn_ipconn_write_to_ip: datagram larger than 1 GiB");
	res = check_dest(c, to, dstp, &ss, &len);
	if (res < 0)
		return res;
	return rni_conn_sendmsg(c, buf, n, NULL, 0, &ss, len, dstp, "sendto");
}

ssize_t rn_ipconn_write_msg_ip(rn_conn *c, const void *buf, size_t n, const void *oob,
			       size_t oobn, const rn_ipaddr *to)
{
	struct sockaddr_storage ss;
	static const unsigned char dummy;
	rn_addr dst = rn_addr_from_ip(to);
	const rn_addr *dstp = to ? &dst : NULL;
	socklen_t len = 0;
	int res;

	res = rni_check_write_msg(c, c && is_ip(c), "rn_ipconn_write_msg_ip", "not an IP connection",
				  buf, n, oob, oobn);
	if (res < 0)
		return res;
	res = check_dest(c, to, dstp, &ss, &len);
	if (res < 0)
		return res;
	if (oobn > 0 && n == 0) {
		/* syscall.SendmsgN: on a socket that is not SOCK_DGRAM, send one byte. */
		res = rni_conn_sendmsg(c, &dummy, 1, oob, oobn, &ss, len, dstp, "sendmsg");
		return res < 0 ? res : 0; /* the dummy byte is not the caller's */
	}
	return rni_conn_sendmsg(c, buf, n, oob, oobn, &ss, len, dstp, "sendmsg");
}
