/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/ipmask.c - net.IPMask and net.IPNet: CIDRMask, Size, String,
 * Contains, ParseCIDR, and IP.Mask / IP.DefaultMask.
 */
#include <string.h>

#include "api/errors.h"
#include "api/iptext.h"
#include "api/parse.h"
#include "api/strbuf.h"

static const rn_ip nil_ip;
static const rn_ipmask nil_mask;

rn_ipmask rn_ipv4_mask(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	rn_ipmask m = { 4, { a, b, c, d } };
	return m;
}

rn_ipmask rn_cidr_mask(int ones, int bits)
{
	rn_ipmask m = nil_mask;
	int n = ones;

	if (bits != 32 && bits != 128)
		return m;
	if (ones < 0 || ones > bits)
		return m;
	m.len = (uint8_t)(bits / 8);
	for (int i = 0; i < m.len; i++) {
		if (n >= 8) {
			m.b[i] = 0xff;
			n -= 8;
			continue;
		}
		m.b[i] = (uint8_t) ~(0xffu >> n);
		n = 0;
	}
	return m;
}

int rn_ipmask_from_bytes(rn_ipmask *out, const void *p, size_t n)
{
	if (!out)
		return rni_err_einval("rn_ipmask_from_bytes: NULL output");
	*out = nil_mask;
	if (n > RN_IPV6LEN)
		return rni_err_einval("rn_ipmask_from_bytes: more than 16 bytes");
	if (n && !p)
		return rni_err_einval("rn_ipmask_from_bytes: NULL bytes");
	out->len = (uint8_t)n;
	if (n)
		memcpy(out->b, p, n);
	return 0;
}

/* Go's simpleMaskLength: the prefix length, or -1 if not ones-then-zeros. */
static int simple_mask_length(const rn_ipmask *m)
{
	int n = 0, len = (int)RNI_LEN16(m->len);

	for (int i = 0; i < len; i++) {
		unsigned v = m->b[i];

		if (v == 0xff) {
			n += 8;
			continue;
		}
		while (v & 0x80) {
			n++;
			v = (v << 1) & 0xff;
		}
		if (v)
			return -1;
		for (i++; i < len; i++)
			if (m->b[i])
				return -1;
		break;
	}
	return n;
}

void rn_ipmask_size(rn_ipmask m, int *ones, int *bits)
{
	int o = simple_mask_length(&m), b = m.len * 8;

	if (o == -1)
		o = b = 0;
	if (ones)
		*ones = o;
	if (bits)
		*bits = b;
}

int rn_ipmask_string(rn_ipmask m, char *buf, size_t size)
{
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_ipmask_string: NULL buffer");

	if (rc)
		return rc;
	rni_sb_init(&sb, buf, size);
	if (m.len == 0)
		rni_sb_puts(&sb, "<nil>");
	else
		rni_sb_puthex(&sb, m.b, RNI_LEN16(m.len));
	return rni_sb_done(&sb);
}

static bool all_ff(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0xff)
			return false;
	return true;
}

rn_ip rn_ip_mask(rn_ip ip, rn_ipmask mask)
{
	static const uint8_t v4_in_v6_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *ib = ip.b, *mb = mask.b;
	int il = ip.len, ml = mask.len;
	rn_ip out = nil_ip;

	if (ml == 16 && il == 4 && all_ff(mb, 12)) {
		mb += 12;
		ml = 4;
	}
	if (ml == 4 && il == 16 && memcmp(ib, v4_in_v6_prefix, 12) == 0) {
		ib += 12;
		il = 4;
	}
	if (il != ml || il > 16)
		return out;
	out.len = (uint8_t)il;
	for (int i = 0; i < il; i++)
		out.b[i] = ib[i] & mb[i];
	return out;
}

rn_ipmask rn_ip_default_mask(rn_ip ip)
{
	rn_ip v4 = rn_ip_to4(ip);

	if (v4.len == 0)
		return nil_mask;
	if (v4.b[0] < 0x80)
		return rn_ipv4_mask(0xff, 0, 0, 0);
	if (v4.b[0] < 0xc0)
		return rn_ipv4_mask(0xff, 0xff, 0, 0);
	return rn_ipv4_mask(0xff, 0xff, 0xff, 0);
}

bool rni_network_number_and_mask(const rn_ipnet *n, rn_ip *ip, rn_ipmask *mask)
{
	rn_ip nn = rn_ip_to4(n->ip);
	rn_ipmask m = n->mask;

	*ip = nil_ip;
	*mask = nil_mask;
	if (nn.len == 0) {
		nn = n->ip;
		if (nn.len != 16)
			return false;
	}
	switch (m.len) {
	case 4:
		if (nn.len != 4)
			return false;
		break;
	case 16:
		if (nn.len == 4) {
			memmove(m.b, m.b + 12, 4);
			m.len = 4;
		}
		break;
	default:
		return false;
	}
	*ip = nn;
	*mask = m;
	return true;
}

bool rn_ipnet_contains(const rn_ipnet *n, rn_ip ip)
{
	rn_ip nn, x;
	rn_ipmask m;

	if (!n)
		return false;
	rni_network_number_and_mask(n, &nn, &m);
	x = rn_ip_to4(ip);
	if (x.len)
		ip = x;
	/*
	 * Go compares lengths only, so a nil IP is "contained" in an invalid
	 * network (both have length 0); the loop below then checks nothing.
	 */
	if (ip.len != nn.len)
		return false;
	for (int i = 0; i < ip.len; i++)
		if ((nn.b[i] & m.b[i]) != (ip.b[i] & m.b[i]))
			return false;
	return true;
}

const char *rn_ipnet_network(const rn_ipnet *n)
{
	(void)n;
	return "ip+net";
}

void rni_put_ipnet(rni_sb *sb, const rn_ipnet *n)
{
	rn_ip nn;
	rn_ipmask m;
	int l;

	if (!n || !rni_network_number_and_mask(n, &nn, &m)) {
		rni_sb_puts(sb, "<nil>");
		return;
	}
	rni_put_ip(sb, nn);
	rni_sb_putc(sb, '/');
	l = simple_mask_length(&m);
	if (l == -1)
		rni_sb_puthex(sb, m.b, RNI_LEN16(m.len));
	else
		rni_sb_putint(sb, l);
}

int rn_ipnet_string(const rn_ipnet *n, char *buf, size_t size)
{
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_ipnet_string: NULL buffer");

	if (rc)
		return rc;
	rni_sb_init(&sb, buf, size);
	rni_put_ipnet(&sb, n);
	return rni_sb_done(&sb);
}

int rn_parse_cidr(const char *s, rn_ip *ip, rn_ipnet *net)
{
	const char *slash, *mask;
	size_t alen, mlen, used;
	int iplen = 4, ones;
	rn_ip addr;
	rn_ipmask m;

	if (ip)
		*ip = nil_ip;
	if (net)
		memset(net, 0, sizeof(*net));
	if (!s)
		return rni_err_einval("rn_parse_cidr: NULL string");
	slash = strchr(s, '/');
	if (!slash)
		return rni_err_parse("CIDR address", s);
	alen = (size_t)(slash - s);
	mask = slash + 1;
	mlen = strlen(mask);

	addr = rni_parse_ipv4(s, alen);
	if (addr.len == 0) {
		iplen = 16;
		addr = rni_parse_ipv6(s, alen);
	}
	if (addr.len == 0 || !rni_dtoi(mask, mlen, &ones, &used) || used != mlen ||
	    ones < 0 || ones > 8 * iplen)
		return rni_err_parse("CIDR address", s);

	m = rn_cidr_mask(ones, 8 * iplen);
	if (ip)
		*ip = addr;
	if (net) {
		net->ip = rn_ip_mask(addr, m);
		net->mask = m;
	}
	return 0;
}
