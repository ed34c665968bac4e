/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipv4/packetconn.c - ipv4.PacketConn: datagrams with control messages over
 * a UDP or IP conn.  The methods it shares with RawConn are in methods.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api/errors.h"
#include "ipv4/endpoint.h"

int rni_ipv4_ep_init(rni_ipv4_ep *ep, rn_conn *c, const char *fn)
{
	memset(ep, 0, sizeof(*ep));
	if (!c || c->pipe)
		return rni_err_einval(fn);
	if ((c->fd.family != AF_INET && c->fd.family != AF_INET6) ||
	    (c->fd.sotype != SOCK_DGRAM && c->fd.sotype != SOCK_RAW))
		return rni_err_einval(fn);
	ep->c = c;
	ep->raw = c->fd.sotype == SOCK_RAW;
	pthread_mutex_init(&ep->mu, NULL);
	atomic_init(&ep->rerr, 0);
	atomic_init(&ep->werr, 0);
	return 0;
}

void rni_ipv4_ep_destroy(rni_ipv4_ep *ep)
{
	rn_conn_free(ep->c);
	ep->c = NULL;
	pthread_mutex_destroy(&ep->mu);
}

rn_ipv4_packetconn *rn_ipv4_new_packetconn(rn_conn *c)
{
	rn_ipv4_packetconn *pc = malloc(sizeof(*pc));

	if (!pc) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	if (rni_ipv4_ep_init(&pc->ep, c, "NewPacketConn: not a UDP or IP packet conn") < 0) {
		free(pc);
		return NULL;
	}
	return pc;
}

void rn_ipv4_packetconn_free(rn_ipv4_packetconn *pc)
{
	if (!pc)
		return;
	rni_ipv4_ep_destroy(&pc->ep);
	free(pc);
}

/*
 * Go's IPConn read path strips the IPv4 header a raw AF_INET socket
 * delivers: move the payload to the front of @b.
 */
static ssize_t strip_header(void *b, ssize_t n)
{
	unsigned char *p = b;
	ssize_t l;

	if (n < RN_IPV4_HEADER_LEN || p[0] >> 4 != 4)
		return n;
	l = (ssize_t)(p[0] & 0x0f) << 2;
	if (l < RN_IPV4_HEADER_LEN || l > n)
		return n;
	memmove(p, p + l, (size_t)(n - l));
	return n - l;
}

ssize_t rn_ipv4_packetconn_read_from(rn_ipv4_packetconn *pc, void *b, size_t n,
				     rn_ipv4_control_message *cm, rn_addr *src)
{
	unsigned char oob[RN_IPV4_CONTROL_MESSAGE_SPACE + 64];
	struct rni_msg m = { .buf = b, .n = n, .oob = oob, .oob_cap = sizeof(oob) };
	int res;

	if (cm)
		memset(cm, 0, sizeof(*cm));
	if (src)
		src->kind = RN_ADDR_NONE;
	if (!pc || !pc->ep.c || (!b && n))
		return rni_err_einval("PacketConn.ReadFrom: NULL connection or buffer");
	res = rni_conn_recvmsg(pc->ep.c, &m, "recvmsg");
	if (res < 0)
		return res;
	if (pc->ep.raw && m.sslen >= (socklen_t)sizeof(sa_family_t) && m.ss.ss_family == AF_INET)
		res = (int)strip_header(b, res);
	/*
	 * The kernel's own control data parses; should it ever not, the
	 * datagram still counts: fields left zero, never the data dropped.
	 */
	if (cm && m.oobn)
		rn_ipv4_control_message_parse(cm, oob, m.oobn);
	if (src)
		rni_ipv4_sender(&pc->ep, src, (const struct sockaddr *)&m.ss, m.sslen);
	return res;
}

ssize_t rn_ipv4_packetconn_write_to(rn_ipv4_packetconn *pc, const void *b, size_t n,
				    const rn_ipv4_control_message *cm, const rn_addr *dst)
{
	unsigned char oob[RN_IPV4_CONTROL_MESSAGE_SPACE];
	struct sockaddr_storage ss;
	socklen_t len;
	ssize_t oobn = 0;
	int res;

	if (!pc || !pc->ep.c || (!b && n))
		return rni_err_einval("PacketConn.WriteTo: NULL connection or buffer");
	if (n > 1u << 30)
		return rni_err_einval("PacketConn.WriteTo: datagram larger than 1 GiB");
	res = rni_ipv4_dest(&pc->ep, dst, &ss, &len);
	if (res < 0)
		return res;
	if (cm) {
		oobn = rn_ipv4_control_message_marshal(cm, oob, sizeof(oob));
		if (oobn < 0)
			return oobn;
	}
	return rni_conn_sendmsg(pc->ep.c, b, n, oob, (size_t)oobn, len ? &ss : NULL, len,
				dst && dst->kind != RN_ADDR_NONE ? dst : NULL, "sendmsg");
}
