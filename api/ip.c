/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/ip.c - net.IP: the literal parsers, String, MarshalText, To4/To16,
 * Equal and the Is* classifiers, with Go's exact results.
 */
#include <errno.h>
#include <string.h>

#include "api/errors.h"
#include "api/iptext.h"
#include "api/parse.h"
#include "api/strbuf.h"

static const uint8_t v4_in_v6_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

#define V4(a, b, c, d) { 16, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d } }
#define V6(...) { 16, { __VA_ARGS__ } }

const rn_ip rn_ipv4bcast = V4(255, 255, 255, 255);
const rn_ip rn_ipv4allsys = V4(224, 0, 0, 1);
const rn_ip rn_ipv4allrouter = V4(224, 0, 0, 2);
const rn_ip rn_ipv4zero = V4(0, 0, 0, 0);
const rn_ip rn_ipv6zero = V6(0);
const rn_ip rn_ipv6unspecified = V6(0);
const rn_ip rn_ipv6loopback = V6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const rn_ip rn_ipv6interfacelocalallnodes = V6(0xff, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const rn_ip rn_ipv6linklocalallnodes = V6(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const rn_ip rn_ipv6linklocalallrouters = V6(0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);

static const rn_ip nil_ip;

rn_ip rn_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	rn_ip ip = V4(a, b, c, d);
	return ip;
}

int rn_ip_from_bytes(rn_ip *out, const void *p, size_t n)
{
	if (!out)
		return rni_err_einval("rn_ip_from_bytes: NULL output");
	*out = nil_ip;
	if (n > RN_IPV6LEN)
		return rni_err_einval("rn_ip_from_bytes: more than 16 bytes");
	if (n && !p)
		return rni_err_einval("rn_ip_from_bytes: NULL bytes");
	out->len = (uint8_t)n;
	if (n)
		memcpy(out->b, p, n);
	return 0;
}

/* ---- parsing ---------------------------------------------------------- */

rn_ip rni_parse_ipv4(const char *s, size_t len)
{
	uint8_t p[4];

	for (int i = 0; i < 4; i++) {
		int n;
		size_t c;

		if (len == 0)
			return nil_ip; /* missing octets */
		if (i > 0) {
			if (s[0] != '.')
				return nil_ip;
			s++;
			len--;
		}
		if (!rni_dtoi(s, len, &n, &c) || n > 0xff)
			return nil_ip;
		if (c > 1 && s[0] == '0')
			return nil_ip; /* leading zeros: rejected since Go 1.17 */
		s += c;
		len -= c;
		p[i] = (uint8_t)n;
	}
	if (len != 0)
		return nil_ip;
	return rn_ipv4(p[0], p[1], p[2], p[3]);
}

/*
 * Go 1.19's parseIPv6 with one change taken from current Go (netip): a group
 * of more than four hex digits is rejected.
 */
rn_ip rni_parse_ipv6(const char *s, size_t len)
{
	rn_ip ip = { 16, { 0 } };
	int ellipsis = -1; /* byte position of "::" */
	int i = 0;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		ellipsis = 0;
		s += 2;
		len -= 2;
		if (len == 0)
			return ip;
	}

	while (i < 16) {
		int n;
		size_t c;

		if (!rni_xtoi(s, len, &n, &c) || c > 4 || n > 0xffff)
			return nil_ip;

		if (c < len && s[c] == '.') {
			rn_ip v4;

			if (ellipsis < 0 && i != 12)
				return nil_ip; /* an embedded IPv4 must end the address */
			if (i + 4 > 16)
				return nil_ip;
			v4 = rni_parse_ipv4(s, len);
			if (v4.len == 0)
				return nil_ip;
			memcpy(ip.b + i, v4.b + 12, 4);
			len = 0;
			i += 4;
			break;
		}

		ip.b[i] = (uint8_t)(n >> 8);
		ip.b[i + 1] = (uint8_t)n;
		i += 2;

		s += c;
		len -= c;
		if (len == 0)
			break;
		if (s[0] != ':' || len == 1)
			return nil_ip;
		s++;
		len--;
		if (s[0] == ':') {
			if (ellipsis >= 0)
				return nil_ip; /* a second "::" */
			ellipsis = i;
			s++;
			len--;
			if (len == 0)
				break;
		}
	}

	if (len != 0)
		return nil_ip;

	if (i < 16) {
		int n = 16 - i;

		if (ellipsis < 0)
			return nil_ip;
		for (int j = i - 1; j >= ellipsis; j--)
			ip.b[j + n] = ip.b[j];
		memset(ip.b + ellipsis, 0, (size_t)n);
	} else if (ellipsis >= 0) {
		return nil_ip; /* "::" must stand for at least one group */
	}
	return ip;
}

rn_ip rn_parse_ip(const char *s)
{
	if (!s)
		return nil_ip;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '.')
			return rni_parse_ipv4(s, strlen(s));
		if (s[i] == ':')
			return rni_parse_ipv6(s, strlen(s));
	}
	return nil_ip;
}

rn_ip rni_parse_ip_zone(const char *s, char zone[RN_ZONE_MAX], bool *zone_too_long)
{
	size_t len = strlen(s);

	zone[0] = '\0';
	*zone_too_long = false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.')
			return rni_parse_ipv4(s, len);
		if (s[i] == ':') {
			/* The zone starts after the last '%' (Go's splitHostZone). */
			const char *pct = strrchr(s, '%');
			size_t hlen = len;

			if (pct && pct > s) {
				size_t zlen = len - (size_t)(pct - s) - 1;

				hlen = (size_t)(pct - s);
				if (zlen >= RN_ZONE_MAX) {
					*zone_too_long = true;
					zlen = RN_ZONE_MAX - 1;
				}
				memcpy(zone, pct + 1, zlen);
				zone[zlen] = '\0';
			}
			return rni_parse_ipv6(s, hlen);
		}
	}
	return nil_ip;
}

/* ---- conversions and comparison ----------------------------------------- */

static bool is_zeros(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

rn_ip rn_ip_to4(rn_ip ip)
{
	rn_ip out = nil_ip;

	if (ip.len == 4)
		return ip;
	if (ip.len == 16 && is_zeros(ip.b, 10) && ip.b[10] == 0xff && ip.b[11] == 0xff) {
		out.len = 4;
		memcpy(out.b, ip.b + 12, 4);
	}
	return out;
}

rn_ip rn_ip_to16(rn_ip ip)
{
	if (ip.len == 4)
		return rn_ipv4(ip.b[0], ip.b[1], ip.b[2], ip.b[3]);
	if (ip.len == 16)
		return ip;
	return nil_ip;
}

bool rn_ip_equal(rn_ip ip, rn_ip x)
{
	if (ip.len == x.len)
		return memcmp(ip.b, x.b, RNI_LEN16(ip.len)) == 0;
	if (ip.len == 4 && x.len == 16)
		return memcmp(x.b, v4_in_v6_prefix, 12) == 0 && memcmp(ip.b, x.b + 12, 4) == 0;
	if (ip.len == 16 && x.len == 4)
		return memcmp(ip.b, v4_in_v6_prefix, 12) == 0 && memcmp(ip.b + 12, x.b, 4) == 0;
	return false;
}

/* ---- classifiers ------------------------------------------------------- */

bool rn_ip_is_unspecified(rn_ip ip)
{
	return rn_ip_equal(ip, rn_ipv4zero) || rn_ip_equal(ip, rn_ipv6unspecified);
}

bool rn_ip_is_loopback(rn_ip ip)
{
	rn_ip v4 = rn_ip_to4(ip);

	if (v4.len)
		return v4.b[0] == 127;
	return rn_ip_equal(ip, rn_ipv6loopback);
}

bool rn_ip_is_private(rn_ip ip)
{
	rn_ip v4 = rn_ip_to4(ip);

	if (v4.len)
		return v4.b[0] == 10 || (v4.b[0] == 172 && (v4.b[1] & 0xf0) == 16) ||
		       (v4.b[0] == 192 && v4.b[1] == 168);
	return ip.len == 16 && (ip.b[0] & 0xfe) == 0xfc;
}

bool rn_ip_is_multicast(rn_ip ip)
{
	rn_ip v4 = rn_ip_to4(ip);

	if (v4.len)
		return (v4.b[0] & 0xf0) == 0xe0;
	return ip.len == 16 && ip.b[0] == 0xff;
}

bool rn_ip_is_interface_local_multicast(rn_ip ip)
{
	return ip.len == 16 && ip.b[0] == 0xff && (ip.b[1] & 0x0f) == 0x01;
}

bool rn_ip_is_link_local_multicast(rn_ip ip)
{
	rn_ip v4 = rn_ip_to4(ip);

	if (v4.len)
		return v4.b[0] == 224 && v4.b[1] == 0 && v4.b[2] == 0;
	return ip.len == 16 && ip.b[0] == 0xff && (ip.b[1] & 0x0f) == 0x02;
}

bool rn_ip_is_link_local_unicast(rn_ip ip)
{
	rn_ip v4 = rn_ip_to4(ip);

	if (v4.len)
		return v4.b[0] == 169 && v4.b[1] == 254;
	return ip.len == 16 && ip.b[0] == 0xfe && (ip.b[1] & 0xc0) == 0x80;
}

bool rn_ip_is_global_unicast(rn_ip ip)
{
	return (ip.len == 4 || ip.len == 16) && !rn_ip_equal(ip, rn_ipv4bcast) &&
	       !rn_ip_is_unspecified(ip) && !rn_ip_is_loopback(ip) &&
	       !rn_ip_is_multicast(ip) && !rn_ip_is_link_local_unicast(ip);
}

/* ---- text -------------------------------------------------------------- */

static void put_hex16(rni_sb *sb, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[4];
	int n = 0;

	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 15;
		if (d || n || shift == 0)
			tmp[n++] = digits[d];
	}
	rni_sb_putn(sb, tmp, (size_t)n);
}

void rni_put_v4(rni_sb *sb, const uint8_t *p)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			rni_sb_putc(sb, '.');
		rni_sb_putint(sb, p[i]);
	}
}

/* IPv6 text with the longest run (>= 2) of zero groups as "::" (RFC 5952). */
void rni_put_ipv6(rni_sb *sb, const uint8_t *p)
{
	int e0 = -1, e1 = -1;

	for (int i = 0; i < 16; i += 2) {
		int j = i;

		while (j < 16 && p[j] == 0 && p[j + 1] == 0)
			j += 2;
		if (j > i && j - i > e1 - e0) {
			e0 = i;
			e1 = j;
			i = j;
		}
	}
	if (e1 - e0 <= 2)
		e0 = e1 = -1;

	for (int i = 0; i < 16; i += 2) {
		if (i == e0) {
			rni_sb_puts(sb, "::");
			i = e1;
			if (i >= 16)
				break;
		} else if (i > 0) {
			rni_sb_putc(sb, ':');
		}
		put_hex16(sb, (unsigned)(p[i] << 8 | p[i + 1]));
	}
}

static void put_ip(rni_sb *sb, rn_ip ip)
{
	rn_ip v4;

	if (ip.len == 0) {
		rni_sb_puts(sb, "<nil>");
		return;
	}
	v4 = rn_ip_to4(ip);
	if (v4.len == 4) {
		rni_put_v4(sb, v4.b);
		return;
	}
	if (ip.len != 16) {
		rni_sb_putc(sb, '?');
		rni_sb_puthex(sb, ip.b, RNI_LEN16(ip.len));
		return;
	}
	rni_put_ipv6(sb, ip.b);
}

void rni_put_ip(rni_sb *sb, rn_ip ip)
{
	put_ip(sb, ip);
}

int rn_ip_string(rn_ip ip, char *buf, size_t size)
{
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_ip_string: NULL buffer");

	if (rc)
		return rc;
	rni_sb_init(&sb, buf, size);
	put_ip(&sb, ip);
	return rni_sb_done(&sb);
}

int rn_ip_marshal_text(rn_ip ip, char *buf, size_t size)
{
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_ip_marshal_text: NULL buffer");

	if (rc)
		return rc;
	rni_sb_init(&sb, buf, size);
	if (ip.len == 0)
		return 0;
	if (ip.len != 4 && ip.len != 16) {
		char hex[2 * RN_IPV6LEN + 1];
		rni_sb hs;

		rni_sb_init(&hs, hex, sizeof(hex));
		rni_sb_puthex(&hs, ip.b, RNI_LEN16(ip.len));
		return rni_err_addr("invalid IP address", hex);
	}
	put_ip(&sb, ip);
	return rni_sb_done(&sb);
}

int rn_ip_unmarshal_text(rn_ip *ip, const void *text, size_t n)
{
	char tmp[64];
	rn_ip x;

	if (!ip)
		return rni_err_einval("rn_ip_unmarshal_text: NULL ip");
	if (n == 0) {
		*ip = nil_ip;
		return 0;
	}
	if (!text)
		return rni_err_einval("rn_ip_unmarshal_text: NULL text");
	/* No IP literal is longer than 45 bytes; anything longer fails as Go does. */
	if (n < sizeof(tmp) && !memchr(text, '\0', n)) {
		memcpy(tmp, text, n);
		tmp[n] = '\0';
		x = rn_parse_ip(tmp);
		if (x.len) {
			*ip = x;
			return 0;
		}
	}
	return rni_err_parse_n("IP address", text, n);
}
