/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/udpsock.c - UDP: Dial, ListenPacket, ReadFrom and WriteTo, as Go's
 * udpsock.go / udpsock_posix.go.  Read and Write are conn.c's.
 */
#include <errno.h>
#include <netinet/in.h>
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

rn_conn *rni_dial_udp(const char *network, const rn_udpaddr *ra, const rni_dial *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	rn_addr raddr = rn_addr_from_udp(ra);
	const rn_addr *src = o->d->local_addr.kind == RN_ADDR_NONE ? NULL : &o->d->local_addr;
	rn_conn *c;
	int family, fd = rni_dial_socket(network, SOCK_DGRAM, ra->ip, &raddr, o, &family);

	if (fd < 0)
		return NULL;
	if (rn_udpaddr_to_sockaddr(ra, family, &ss, &len) < 0) {
		close(fd);
		rni_err_op("dial", network, src, &raddr);
		return NULL;
	}
	c = rni_conn_new(fd, family, SOCK_DGRAM, network);
	if (!c)
		return NULL;
	/* A UDP connect does not wait: the plain system call will do. */
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		rni_err_errno(errno, "connect");
		rni_err_op("dial", network, src, &raddr);
		rn_conn_free(c);
		return NULL;
	}
	rni_sock_addrs(&c->fd, true);
	return c;
}

rn_conn *rni_listen_udp(const char *network, const rn_udpaddr *la, const rn_listen_config *lc)
{
	struct sockaddr_storage ss;
	socklen_t len;
	rn_addr laddr = rn_addr_from_udp(la);
	bool v6only;
	int family = rni_favorite_family(network, la->ip, true, &v6only);
	int fd, one = 1;
	rn_conn *c;

	/*
	 * Go's listenDatagram: a multicast address means the wildcard with a
	 * reusable port, so one port can serve several groups and listeners.
	 */
	bool multicast = la->ip.len && rn_ip_is_multicast(la->ip);
	rn_udpaddr bind_addr = *la;

	if (multicast)
		bind_addr.ip = family == AF_INET ? rn_ipv4zero : rn_ipv6unspecified;
	if (rn_udpaddr_to_sockaddr(&bind_addr, family, &ss, &len) < 0) {
		rni_err_op("listen", network, NULL, &laddr);
		return NULL;
	}
	fd = rni_socket(family, SOCK_DGRAM, 0, v6only);
	if (fd < 0) {
		rni_err_op("listen", network, NULL, &laddr);
		return NULL;
	}
	if (lc->reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		rni_err_errno(errno, "setsockopt");
		goto fail;
	}
	if (multicast && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		rni_err_errno(errno, "setsockopt");
		goto fail;
	}
	if (rni_control(lc->control, lc->control_arg, network, family, &laddr, fd) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		rni_err_errno(errno, "bind");
		goto fail;
	}
	c = rni_conn_new(fd, family, SOCK_DGRAM, network);
	if (!c) {
		rni_err_op("listen", network, NULL, &laddr);
		return NULL;
	}
	rni_sock_addrs(&c->fd, false);
	return c;
fail:
	close(fd);
	rni_err_op("listen", network, NULL, &laddr);
	return NULL;
}

ssize_t rn_udpconn_read_from_udp(rn_conn *c, void *buf, size_t n, rn_udpaddr *from)
{
	struct rni_msg m = { .buf = buf, .n = n };
	int res;

	if (!c || (!buf && n))
		return rni_err_einval("rn_udpconn_read_from_udp: NULL connection or buffer");
	if (!is_udp(c))
		return rni_err_einval("rn_udpconn_read_from_udp: not a UDP connection");
	if (from)
		memset(from, 0, sizeof(*from));
	res = rni_conn_recvmsg(c, &m, "recvfrom");
	if (res >= 0 && from)
		rn_udpaddr_from_sockaddr(from, (struct sockaddr *)&m.ss, m.sslen);
	return res;
}

ssize_t rn_conn_read_from(rn_conn *c, void *buf, size_t n, rn_addr *from)
{
	rn_udpaddr a;
	ssize_t res;

	if (c && c->fd.family == AF_UNIX) {
		rn_unixaddr ua;

		res = rn_unixconn_read_from_unix(c, buf, n, &ua);
		if (from) /* Go: a sender with no name is a nil Addr */
			*from = rn_addr_from_unix(res >= 0 && ua.name[0] ? &ua : NULL);
		return res;
	}
	if (c && c->fd.sotype == SOCK_RAW) {
		rn_ipaddr ia;

		res = rn_ipconn_read_from_ip(c, buf, n, &ia);
		if (from) /* Go: no sender (an error) is a nil Addr */
			*from = rn_addr_from_ip(res >= 0 && ia.ip.len ? &ia : NULL);
		return res;
	}
	res = rn_udpconn_read_from_udp(c, buf, n, &a);

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
	rn_addr dst = rn_addr_from_udp(to);
	socklen_t len;

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
	return rni_conn_sendmsg(c, buf, n, NULL, 0, &ss, len, &dst, "sendto");
}

ssize_t rn_conn_write_to(rn_conn *c, const void *buf, size_t n, const rn_addr *to)
{
	if (!c)
		return rni_err_einval("rn_conn_write_to: NULL connection");
	if (c->fd.family == AF_UNIX) {
		/* Go's UnixConn.WriteTo: anything but a *UnixAddr is EINVAL. */
		if (!to || to->kind != RN_ADDR_UNIX) {
			rni_err_errno(EINVAL, NULL);
			return rni_err_op("write", c->fd.net, &c->fd.laddr,
					  to && to->kind != RN_ADDR_NONE ? to : NULL);
		}
		return rn_unixconn_write_to_unix(c, buf, n, &to->u.un);
	}
	if (c->fd.sotype == SOCK_RAW) {
		/* Go's IPConn.WriteTo: anything but an *IPAddr is EINVAL. */
		if (!to || to->kind != RN_ADDR_IP) {
			rni_err_errno(EINVAL, NULL);
			return rni_err_op("write", c->fd.net, &c->fd.laddr,
					  to && to->kind != RN_ADDR_NONE ? to : NULL);
		}
		return rn_ipconn_write_to_ip(c, buf, n, &to->u.ip);
	}
	if (!to || to->kind != RN_ADDR_UDP) {
		/* Go: PacketConn.WriteTo takes only a *UDPAddr; anything else, nil too, is EINVAL. */
		rni_err_errno(EINVAL, NULL);
		return rni_err_op("write", c->fd.net, &c->fd.laddr, to && to->kind != RN_ADDR_NONE ? to : NULL);
	}
	return rn_udpconn_write_to_udp(c, buf, n, &to->u.udp);
}

ssize_t rn_udpconn_read_msg_udp(rn_conn *c, void *buf, size_t n, void *oob, size_t oob_cap,
				size_t *oobn, int *flags, rn_udpaddr *from)
{
	struct rni_msg m = { .buf = buf, .n = n, .oob = oob, .oob_cap = oob_cap };
	int res;

	if (from)
		memset(from, 0, sizeof(*from));
	res = rni_conn_read_msg(c, c && is_udp(c), "rn_udpconn_read_msg_udp", "not a UDP connection",
				&m, oobn, flags);
	if (res < 0)
		return res;
	if (from && m.sslen >= (socklen_t)sizeof(sa_family_t) &&
	    rn_udpaddr_from_sockaddr(from, (struct sockaddr *)&m.ss, m.sslen) < 0)
		memset(from, 0, sizeof(*from));
	return res;
}

ssize_t rn_udpconn_write_msg_udp(rn_conn *c, const void *buf, size_t n, const void *oob,
				 size_t oobn, const rn_udpaddr *to)
{
	struct sockaddr_storage ss;
	rn_addr dst = rn_addr_from_udp(to);
	const rn_addr *dstp = to ? &dst : NULL;
	bool connected;
	socklen_t len = 0;
	int rc = rni_check_write_msg(c, c && is_udp(c), "rn_udpconn_write_msg_udp",
				     "not a UDP connection", buf, n, oob, oobn);

	if (rc < 0)
		return rc;
	/* Go's UDPConn.writeMsg: a dialed conn takes no address, another needs one. */
	connected = c->fd.raddr.kind != RN_ADDR_NONE;
	if (connected && to)
		return rni_fd_wrap(&c->fd, RN_EWRITETOCONNECTED, "write", NULL, &c->fd.laddr, dstp);
	if (!connected && !to)
		return rni_fd_wrap(&c->fd, RN_EMISSINGADDR, "write", NULL, &c->fd.laddr, NULL);
	if (to && rn_udpaddr_to_sockaddr(to, c->fd.family, &ss, &len) < 0)
		return rni_err_op("write", c->fd.net, &c->fd.laddr, dstp);
	return rni_conn_sendmsg(c, buf, n, oob, oobn, to ? &ss : NULL, len, dstp, "sendmsg");
}

/* Go's listenIPv4MulticastUDP / listenIPv6MulticastUDP on a bound conn. */
static int join_group(rn_conn *c, const rn_interface *ifi, rn_ip group)
{
	int fd = c->fd.fd, off = 0;
	rn_ip v4 = rn_ip_to4(group);

	if (v4.len) {
		struct ip_mreqn mreq;

		memset(&mreq, 0, sizeof(mreq));
		mreq.imr_ifindex = ifi ? ifi->index : 0;
		if (ifi && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq)) < 0)
			return rni_err_errno(errno, "setsockopt");
		if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof(off)) < 0)
			return rni_err_errno(errno, "setsockopt");
		memcpy(&mreq.imr_multiaddr, v4.b, 4);
		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0)
			return rni_err_errno(errno, "setsockopt");
	} else {
		struct ipv6_mreq mreq;
		int idx = ifi ? ifi->index : 0;

		if (ifi && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof(idx)) < 0)
			return rni_err_errno(errno, "setsockopt");
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) < 0)
			return rni_err_errno(errno, "setsockopt");
		memset(&mreq, 0, sizeof(mreq));
		memcpy(&mreq.ipv6mr_multiaddr, group.b, 16);
		mreq.ipv6mr_interface = (unsigned)idx;
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mreq, sizeof(mreq)) < 0)
			return rni_err_errno(errno, "setsockopt");
	}
	return 0;
}

rn_conn *rn_listen_multicast_udp(const char *network, const rn_interface *ifi,
				 const rn_udpaddr *gaddr)
{
	static const rn_listen_config zero;
	rn_addr ga = rn_addr_from_udp(gaddr);
	rn_conn *c;

	if (!network) {
		rni_err_einval("rn_listen_multicast_udp: NULL network");
		return NULL;
	}
	if (strcmp(network, "udp") && strcmp(network, "udp4") && strcmp(network, "udp6")) {
		rni_err_unknown_network(network);
		rni_err_op("listen", network, NULL, gaddr ? &ga : NULL);
		return NULL;
	}
	if (!gaddr || !gaddr->ip.len) {
		rni_err_sentinel(RN_EMISSINGADDR);
		rni_err_op("listen", network, NULL, gaddr ? &ga : NULL);
		return NULL;
	}
	c = rni_listen_udp(network, gaddr, &zero);
	if (!c)
		return NULL;
	if (join_group(c, ifi, gaddr->ip) < 0) {
		rni_err_op("listen", network, NULL, &ga);
		rn_conn_free(c);
		return NULL;
	}
	return c;
}
