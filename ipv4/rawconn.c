/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipv4/rawconn.c - ipv4.RawConn: whole IPv4 datagrams, header included
 * (IP_HDRINCL), over an "ip4:<proto>" conn.  The methods it shares with
 * PacketConn are in methods.c.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "api/errors.h"
#include "ipv4/endpoint.h"

rn_ipv4_rawconn *rn_ipv4_new_rawconn(rn_conn *c)
{
	rn_ipv4_rawconn *rc;

	if (!c || c->pipe || c->fd.family != AF_INET || c->fd.sotype != SOCK_RAW) {
		rni_err_einval("NewRawConn: not an ip4 raw conn");
		return NULL;
	}
	if (rni_ipv4_setint(c, IPPROTO_IP, IP_HDRINCL, 1) < 0)
		return NULL;
	rc = malloc(sizeof(*rc));
	if (!rc) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	if (rni_ipv4_ep_init(&rc->ep, c, "NewRawConn: not an ip4 raw conn") < 0) {
		free(rc);
		return NULL;
	}
	return rc;
}

void rn_ipv4_rawconn_free(rn_ipv4_rawconn *rc)
{
	if (!rc)
		return;
	rni_ipv4_ep_destroy(&rc->ep);
	free(rc);
}

ssize_t rn_ipv4_rawconn_read_from(rn_ipv4_rawconn *rc, void *b, size_t n, rn_ipv4_header *h,
				  void **p, rn_ipv4_control_message *cm)
{
	unsigned char oob[RN_IPV4_CONTROL_MESSAGE_SPACE + 64];
	struct rni_msg m = { .buf = b, .n = n, .oob = oob, .oob_cap = sizeof(oob) };
	rn_ipv4_header tmp;
	int res;

	if (cm)
		memset(cm, 0, sizeof(*cm));
	if (p)
		*p = NULL;
	if (!h)
		h = &tmp;
	if (!rc || !rc->ep.c || !b)
		return rni_err_einval("RawConn.ReadFrom: NULL connection or buffer");
	res = rni_conn_recvmsg(rc->ep.c, &m, "recvmsg");
	if (res < 0)
		return res;
	if (cm && m.oobn)
		rn_ipv4_control_message_parse(cm, oob, m.oobn);
	/* A datagram cut to fit @b still has its header parsed; the payload is what fit. */
	if ((size_t)res > n)
		res = (int)n;
	res = rn_ipv4_parse_header(h, b, (size_t)res) < 0 ? rn_last_error()->code : res;
	if (res < 0)
		return res;
	if (p)
		*p = (unsigned char *)b + h->len;
	return res - h->len;
}

int rn_ipv4_rawconn_write_to(rn_ipv4_rawconn *rc, const rn_ipv4_header *h, const void *p,
			     size_t n, const rn_ipv4_control_message *cm)
{
	unsigned char hdr[RN_IPV4_HEADER_LEN + RN_IPV4_MAX_OPTIONS];
	unsigned char oob[RN_IPV4_CONTROL_MESSAGE_SPACE];
	struct sockaddr_storage ss;
	struct iovec iov[2];
	rn_ipaddr ia;
	rn_addr dst;
	socklen_t len;
	ssize_t hl, oobn = 0;
	int res;

	if (!rc || !rc->ep.c || (!p && n))
		return rni_err_einval("RawConn.WriteTo: NULL connection or payload");
	if (n > 1u << 16)
		return rni_err_einval("RawConn.WriteTo: payload larger than an IPv4 datagram");
	hl = rn_ipv4_header_marshal(h, hdr, sizeof(hdr));
	if (hl < 0)
		return (int)hl;
	memset(&ia, 0, sizeof(ia));
	ia.ip = h->dst;
	dst = rn_addr_from_ip(&ia);
	if (rn_ipaddr_to_sockaddr(&ia, AF_INET, &ss, &len) < 0)
		return rni_err_op("write", "ip4", &rc->ep.c->fd.laddr, &dst);
	if (cm) {
		oobn = rn_ipv4_control_message_marshal(cm, oob, sizeof(oob));
		if (oobn < 0)
			return (int)oobn;
	}
	iov[0] = (struct iovec){ hdr, (size_t)hl };
	iov[1] = (struct iovec){ (void *)(uintptr_t)p, n };
	res = rni_conn_sendmsgv(rc->ep.c, iov, n ? 2 : 1, oob, (size_t)oobn, &ss, len, &dst,
				"sendmsg");
	return res < 0 ? res : 0;
}
