/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipv4/control.c - ipv4.ControlMessage on Linux: the two ancillary
 * messages the kernel speaks at level IPPROTO_IP, IP_TTL (an int) and
 * IP_PKTINFO (struct in_pktinfo).  The walk over received control data
 * checks every length against the bytes given, because those bytes may
 * come from anywhere (a fuzzer, a hostile caller's buffer).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <ringnet/ipv4.h>

#include "api/errors.h"

#define TTL_LEN sizeof(int)
#define PKTINFO_LEN sizeof(struct in_pktinfo)

ssize_t rn_ipv4_new_control_message(unsigned cf, void *buf, size_t size)
{
	size_t l = 0;

	if (cf & RN_IPV4_FLAG_TTL)
		l += CMSG_SPACE(TTL_LEN);
	if (cf & (RN_IPV4_FLAG_SRC | RN_IPV4_FLAG_DST | RN_IPV4_FLAG_INTERFACE))
		l += CMSG_SPACE(PKTINFO_LEN);
	if (!buf && size == 0)
		return (ssize_t)l;
	if (size < l)
		return rni_err_sentinel(RN_ESHORTBUF);
	if (l)
		memset(buf, 0, l);
	return (ssize_t)l;
}

ssize_t rn_ipv4_control_message_marshal(const rn_ipv4_control_message *cm, void *buf,
					size_t size)
{
	struct cmsghdr h = { 0 };
	struct in_pktinfo pi = { 0 };
	uint8_t *p = buf;
	rn_ip src;

	if (!cm)
		return 0;
	src = rn_ip_to4(cm->src);
	if (rn_ip_is_nil(src) && cm->ifindex <= 0)
		return 0;
	if (!buf || size < CMSG_SPACE(PKTINFO_LEN))
		return rni_err_sentinel(RN_ESHORTBUF);

	memset(p, 0, CMSG_SPACE(PKTINFO_LEN));
	h.cmsg_len = CMSG_LEN(PKTINFO_LEN);
	h.cmsg_level = IPPROTO_IP;
	h.cmsg_type = IP_PKTINFO;
	memcpy(p, &h, sizeof(h));
	if (!rn_ip_is_nil(src))
		memcpy(&pi.ipi_spec_dst, src.b, 4);
	if (cm->ifindex > 0)
		pi.ipi_ifindex = cm->ifindex;
	/* CMSG_DATA of a message at the start of an aligned buffer. */
	memcpy(p + CMSG_LEN(0), &pi, sizeof(pi));
	return (ssize_t)CMSG_SPACE(PKTINFO_LEN);
}

static int bad(const char *why)
{
	char text[160];

	snprintf(text, sizeof(text), "malformed control message: %s", why);
	return rni_err_text(RN_ECMSG, text);
}

static int bad_len(const char *what, size_t got, size_t want)
{
	char why[96];

	snprintf(why, sizeof(why), "%s data is %zu bytes, want %zu", what, got, want);
	return bad(why);
}

/* One IPPROTO_IP message's payload @d of @l bytes. */
static int parse_one(rn_ipv4_control_message *cm, int type, const uint8_t *d, size_t l)
{
	struct in_pktinfo pi;
	int ttl;

	switch (type) {
	case IP_TTL:
		if (l != TTL_LEN)
			return bad_len("IP_TTL", l, TTL_LEN);
		memcpy(&ttl, d, sizeof(ttl));
		cm->ttl = ttl;
		return 0;
	case IP_PKTINFO:
		if (l != PKTINFO_LEN)
			return bad_len("IP_PKTINFO", l, PKTINFO_LEN);
		memcpy(&pi, d, sizeof(pi));
		cm->ifindex = pi.ipi_ifindex;
		cm->dst.len = 4;
		memcpy(cm->dst.b, &pi.ipi_addr, 4);
		return 0;
	default:
		return 0;
	}
}

int rn_ipv4_control_message_parse(rn_ipv4_control_message *cm, const void *b, size_t n)
{
	const uint8_t *p = b;
	struct cmsghdr h;
	size_t off = 0, space;
	int err;

	if (!cm)
		return rni_err_text(-EINVAL, "nil control message");
	if (!b && n)
		return bad("nil buffer");
	while (off < n) {
		if (n - off < sizeof(h))
			return bad("header cut short");
		memcpy(&h, p + off, sizeof(h));
		if (h.cmsg_len < sizeof(h))
			return bad("length shorter than its header");
		if (h.cmsg_len > n - off)
			return bad("length beyond the buffer");
		if (h.cmsg_level == IPPROTO_IP) {
			err = parse_one(cm, h.cmsg_type, p + off + CMSG_LEN(0),
					h.cmsg_len - CMSG_LEN(0));
			if (err)
				return err;
		}
		/* The last message's padding may be missing. */
		space = CMSG_ALIGN(h.cmsg_len);
		off = space > n - off ? n : off + space;
	}
	return 0;
}

int rn_ipv4_control_message_parse_flags(rn_ipv4_control_message *cm, const void *b, size_t n,
					int msg_flags)
{
	int err = rn_ipv4_control_message_parse(cm, b, n);

	if (err)
		return err;
	if (msg_flags & MSG_CTRUNC)
		return rni_err_sentinel(RN_ECTRUNC);
	return 0;
}

int rn_ipv4_control_message_string(const rn_ipv4_control_message *cm, char *buf, size_t size)
{
	char src[64], dst[64];

	if (!cm)
		return snprintf(buf, size, "<nil>");
	rn_ip_string(cm->src, src, sizeof(src));
	rn_ip_string(cm->dst, dst, sizeof(dst));
	return snprintf(buf, size, "ttl=%d src=%s dst=%s ifindex=%d", cm->ttl, src, dst,
			cm->ifindex);
}
