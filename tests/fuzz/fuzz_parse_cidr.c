/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_parse_cidr.c - ParseCIDR, IPNet and IPMask.
 *
 * Checks: on success the network is 4/4 or 16/16 bytes, contains the
 * address, has a canonical mask whose Size is the prefix, and its String
 * reparses to the same network; on failure both outputs are nil and the
 * error renders consistently.
 */
#include "fuzz_common.h"

static int render_net(const void *ctx, char *buf, size_t size)
{
	return rn_ipnet_string((const rn_ipnet *)ctx, buf, size);
}

static int render_mask(const void *ctx, char *buf, size_t size)
{
	return rn_ipmask_string(*(const rn_ipmask *)ctx, buf, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	rn_ip ip;
	rn_ipnet net, net2;
	char str[RN_IPNET_STRLEN];
	int r, ones = -1, bits = -1;

	memset(&ip, 0x55, sizeof ip);
	memset(&net, 0x55, sizeof net);
	r = rn_parse_cidr(s, &ip, &net);
	if (r == 0) {
		FUZZ_CHECK(ip.len == 16, "ParseCIDR(%s): IP of %d bytes", s, ip.len);
		FUZZ_CHECK((net.ip.len == 4 && net.mask.len == 4) ||
				   (net.ip.len == 16 && net.mask.len == 16),
			   "ParseCIDR(%s): net %d/%d bytes", s, net.ip.len, net.mask.len);
		/*
		 * The network contains its address, except when an IPv4-mapped
		 * address sits in an IPv6 network (prefix < 96): Go's Contains
		 * compares the 4-byte form with the 16-byte network and says no
		 * ("::ffff:1.2.3.4/9" gives ::/9, which does not contain 1.2.3.4).
		 */
		FUZZ_CHECK(rn_ipnet_contains(&net, ip) ==
				   !(net.ip.len == 16 && rn_ip_to4(ip).len && !rn_ip_to4(net.ip).len),
			   "ParseCIDR(%s): Contains(its IP) wrong", s);
		rn_ipmask_size(net.mask, &ones, &bits);
		FUZZ_CHECK(bits == 8 * net.mask.len && ones >= 0 && ones <= bits,
			   "ParseCIDR(%s): mask size %d/%d", s, ones, bits);
		rn_ipmask cm = rn_cidr_mask(ones, bits);
		FUZZ_CHECK(cm.len == net.mask.len && memcmp(cm.b, net.mask.b, cm.len) == 0,
			   "ParseCIDR(%s): mask is not CIDRMask(%d, %d)", s, ones, bits);
		rn_ip masked = rn_ip_mask(ip, net.mask);
		FUZZ_CHECK(rn_ip_equal(masked, net.ip), "ParseCIDR(%s): net IP is not IP.Mask", s);
		fuzz_check_text(render_net, &net, "rn_ipnet_string");
		fuzz_check_text(render_mask, &net.mask, "rn_ipmask_string");
		FUZZ_CHECK(strcmp(rn_ipnet_network(&net), "ip+net") == 0, "IPNet.Network");
		rn_ipnet_string(&net, str, sizeof str);
		FUZZ_CHECK(rn_parse_cidr(str, NULL, &net2) == 0, "ParseCIDR(%s) fails", str);
		/*
		 * String round-trips, except for an IPv4-mapped IPv6 network
		 * (prefix >= 96): Go prints that in IPv4 form ("::ffff:1.2.3.4/96"
		 * gives "0.0.0.0/0"), which parses as an IPv4 network.
		 */
		FUZZ_CHECK((net.ip.len == 16 && rn_ip_to4(net.ip).len) ||
		           (net2.ip.len == net.ip.len && net2.mask.len == net.mask.len &&
				   memcmp(net2.ip.b, net.ip.b, net.ip.len) == 0 &&
				   memcmp(net2.mask.b, net.mask.b, net.mask.len) == 0),
			   "ParseCIDR(String(ParseCIDR(%s)) = %s) differs", s, str);
		/* the IP output alone, and neither output */
		FUZZ_CHECK(rn_parse_cidr(s, &ip, NULL) == 0, "ParseCIDR with NULL net");
		FUZZ_CHECK(rn_parse_cidr(s, NULL, NULL) == 0, "ParseCIDR with NULL outputs");
	} else {
		FUZZ_CHECK(r == RN_EPARSE, "ParseCIDR(%s) returned %d", s, r);
		fuzz_check_error(r, "rn_parse_cidr");
		FUZZ_CHECK(ip.len == 0 && net.ip.len == 0 && net.mask.len == 0,
			   "ParseCIDR(%s) failed with non-nil outputs", s);
	}

	/* The raw bytes as an (ip, mask, ip2) triple for IPNet and IPMask. */
	if (size >= 3) {
		size_t a = data[0] % 17, b = data[1] % 17, rest = size - 2;
		const uint8_t *p = data + 2;
		rn_ipnet n;
		rn_ip other;
		if (a > rest)
			a = rest;
		rn_ip_from_bytes(&n.ip, p, a);
		p += a;
		rest -= a;
		if (b > rest)
			b = rest;
		rn_ipmask_from_bytes(&n.mask, p, b);
		p += b;
		rest -= b;
		rn_ip_from_bytes(&other, p, rest > 16 ? 16 : rest);
		fuzz_check_text(render_net, &n, "rn_ipnet_string(raw)");
		fuzz_check_text(render_mask, &n.mask, "rn_ipmask_string(raw)");
		(void)rn_ipnet_contains(&n, other);
		(void)rn_ipnet_contains(NULL, other);
		rn_ip m = rn_ip_mask(other, n.mask);
		FUZZ_CHECK(m.len == 0 || m.len == 4 || m.len == 16 || m.len == n.mask.len,
			   "IP.Mask length %d", m.len);
		rn_ipmask_size(n.mask, &ones, &bits);
		FUZZ_CHECK((ones == 0 && bits == 0) || (bits == 8 * n.mask.len && ones <= bits),
			   "Size %d/%d of a %d-byte mask", ones, bits, n.mask.len);
		rn_ipmask_size(n.mask, NULL, NULL);
		(void)rn_cidr_mask((int8_t)data[0], (int8_t)data[1] * 2);
	}
	free(s);
	return 0;
}
