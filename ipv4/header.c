/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipv4/header.c - ipv4.Header: Parse, Marshal and String in Linux wire
 * order (every multi-byte field big-endian).  The parser is stricter than
 * Go's where Go would accept a header the kernel cannot have sent.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ringnet/ipv4.h>

#include "api/errors.h"
#include "api/strbuf.h"

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void put_be16(uint8_t *p, int v)
{
	p[0] = (uint8_t)((unsigned)v >> 8);
	p[1] = (uint8_t)v;
}

int rn_ipv4_parse_header(rn_ipv4_header *h, const void *b, size_t n)
{
	const uint8_t *p = b;
	size_t hdrlen;
	unsigned fo;

	if (!h || !b)
		return rni_err_text(-EINVAL, "nil header");
	if (n < RN_IPV4_HEADER_LEN)
		return rni_err_sentinel(RN_EHEADERSHORT);
	if (p[0] >> 4 != RN_IPV4_VERSION)
		return rni_err_sentinel(RN_EHEADERVERSION);
	hdrlen = (size_t)(p[0] & 0x0f) << 2;
	if (hdrlen < RN_IPV4_HEADER_LEN)
		return rni_err_sentinel(RN_EHEADERSHORT);
	if (hdrlen > n)
		return rni_err_sentinel(RN_EEXTHEADERSHORT);
	if (be16(p + 2) < hdrlen)
		return rni_err_sentinel(RN_EHEADERTOTALLEN);

	h->version = p[0] >> 4;
	h->len = (int)hdrlen;
	h->tos = p[1];
	h->total_len = (int)be16(p + 2);
	h->id = (int)be16(p + 4);
	fo = be16(p + 6);
	h->flags = (int)((fo & 0xe000) >> 13);
	h->frag_off = (int)(fo & 0x1fff);
	h->ttl = p[8];
	h->protocol = p[9];
	h->checksum = (int)be16(p + 10);
	h->src = rn_ipv4(p[12], p[13], p[14], p[15]);
	h->dst = rn_ipv4(p[16], p[17], p[18], p[19]);
	h->options_len = hdrlen - RN_IPV4_HEADER_LEN;
	memcpy(h->options, p + RN_IPV4_HEADER_LEN, h->options_len);
	return 0;
}

int rn_ipv4_header_parse(rn_ipv4_header *h, const void *b, size_t n)
{
	return rn_ipv4_parse_header(h, b, n);
}

ssize_t rn_ipv4_header_marshal(const rn_ipv4_header *h, void *buf, size_t size)
{
	uint8_t *p = buf;
	size_t hdrlen;
	rn_ip src, dst;

	if (!h)
		return rni_err_text(-EINVAL, "nil header");
	if (h->len < RN_IPV4_HEADER_LEN)
		return rni_err_sentinel(RN_EHEADERSHORT);
	if (h->options_len > RN_IPV4_MAX_OPTIONS || h->options_len % 4)
		return rni_err_sentinel(RN_EHEADEROPTIONS);
	dst = rn_ip_to4(h->dst);
	if (rn_ip_is_nil(dst))
		return rni_err_sentinel(RN_EMISSINGADDR);
	hdrlen = RN_IPV4_HEADER_LEN + h->options_len;
	if (!buf || size < hdrlen)
		return rni_err_sentinel(RN_ESHORTBUF);

	memset(p, 0, hdrlen);
	p[0] = (uint8_t)(RN_IPV4_VERSION << 4 | (hdrlen >> 2 & 0x0f));
	p[1] = (uint8_t)h->tos;
	put_be16(p + 2, h->total_len);
	put_be16(p + 4, h->id);
	put_be16(p + 6, (h->frag_off & 0x1fff) | (int)((unsigned)h->flags << 13));
	p[8] = (uint8_t)h->ttl;
	p[9] = (uint8_t)h->protocol;
	put_be16(p + 10, h->checksum);
	src = rn_ip_to4(h->src);
	if (!rn_ip_is_nil(src))
		memcpy(p + 12, src.b, 4);
	memcpy(p + 16, dst.b, 4);
	memcpy(p + RN_IPV4_HEADER_LEN, h->options, h->options_len);
	return (ssize_t)hdrlen;
}

/* Go's %#x: "0x1f", "0x0", "-0x1". */
static void put_hex(rni_sb *sb, const char *name, int v)
{
	char tmp[32];

	if (v < 0)
		snprintf(tmp, sizeof(tmp), "%s=-0x%x", name, 0u - (unsigned)v);
	else
		snprintf(tmp, sizeof(tmp), "%s=0x%x", name, (unsigned)v);
	rni_sb_puts(sb, tmp);
}

static void put_dec(rni_sb *sb, const char *name, int v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%s=%d", name, v);
	rni_sb_puts(sb, tmp);
}

static void put_ip(rni_sb *sb, const char *name, rn_ip ip)
{
	char tmp[64];

	rni_sb_puts(sb, name);
	rni_sb_puts(sb, "=");
	rn_ip_string(ip, tmp, sizeof(tmp));
	rni_sb_puts(sb, tmp);
}

int rn_ipv4_header_string(const rn_ipv4_header *h, char *buf, size_t size)
{
	char tmp[RN_IPV4_HEADER_STRLEN + 64];
	rni_sb sb;

	if (!h)
		return snprintf(buf, size, "<nil>");
	rni_sb_init(&sb, tmp, sizeof(tmp));
	put_dec(&sb, "ver", h->version);
	put_dec(&sb, " hdrlen", h->len);
	put_hex(&sb, " tos", h->tos);
	put_dec(&sb, " totallen", h->total_len);
	put_hex(&sb, " id", h->id);
	put_hex(&sb, " flags", h->flags);
	put_hex(&sb, " fragoff", h->frag_off);
	put_dec(&sb, " ttl", h->ttl);
	put_dec(&sb, " proto", h->protocol);
	put_hex(&sb, " cksum", h->checksum);
	put_ip(&sb, " src", h->src);
	put_ip(&sb, " dst", h->dst);
	return snprintf(buf, size, "%s", tmp);
}
