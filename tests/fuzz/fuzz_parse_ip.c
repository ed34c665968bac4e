/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_parse_ip.c - ParseIP, UnmarshalText and the IP value functions.
 *
 * Checks: a parsed IP is 16 bytes and String of it reparses to an Equal IP;
 * UnmarshalText on the same (unterminated) bytes agrees with ParseIP; the
 * input's first bytes taken as a raw IP render with snprintf semantics.
 */
#include "fuzz_common.h"

static int render_ip(const void *ctx, char *buf, size_t size)
{
	return rn_ip_string(*(const rn_ip *)ctx, buf, size);
}

static int render_mask(const void *ctx, char *buf, size_t size)
{
	return rn_ipmask_string(*(const rn_ipmask *)ctx, buf, size);
}

static void check_value(rn_ip ip)
{
	char s[RN_IP_STRLEN], t[RN_IP_STRLEN];
	rn_ip v4 = rn_ip_to4(ip), v16 = rn_ip_to16(ip);
	rn_ipmask dm = rn_ip_default_mask(ip);

	fuzz_check_text(render_ip, &ip, "rn_ip_string");
	fuzz_check_text(render_mask, &dm, "rn_ipmask_string(default mask)");
	FUZZ_CHECK(rn_ip_string(ip, s, sizeof s) < RN_IP_STRLEN, "RN_IP_STRLEN too small");
	FUZZ_CHECK(v4.len == 0 || v4.len == 4, "To4 length %d", v4.len);
	FUZZ_CHECK(v16.len == 0 || v16.len == 16, "To16 length %d", v16.len);
	if (v4.len)
		FUZZ_CHECK(rn_ip_equal(ip, v4) && rn_ip_equal(v4, v16), "To4 not Equal");
	if (v16.len)
		FUZZ_CHECK(rn_ip_equal(ip, v16), "To16 not Equal");
	FUZZ_CHECK(rn_ip_equal(ip, ip), "Equal not reflexive");
	(void)rn_ip_is_unspecified(ip);
	(void)rn_ip_is_loopback(ip);
	(void)rn_ip_is_private(ip);
	(void)rn_ip_is_multicast(ip);
	(void)rn_ip_is_interface_local_multicast(ip);
	(void)rn_ip_is_link_local_multicast(ip);
	(void)rn_ip_is_link_local_unicast(ip);
	(void)rn_ip_is_global_unicast(ip);
	if (dm.len) {
		rn_ip m = rn_ip_mask(ip, dm);
		FUZZ_CHECK(m.len == 4, "Mask with the default mask: length %d", m.len);
	}

	int r = rn_ip_marshal_text(ip, t, sizeof t);
	if (ip.len == 0 || ip.len == 4 || ip.len == 16) {
		FUZZ_CHECK(r >= 0, "MarshalText failed for length %d", ip.len);
		if (ip.len) {
			rn_ip_string(ip, s, sizeof s);
			FUZZ_CHECK(strcmp(s, t) == 0, "MarshalText %s != String %s", t, s);
		} else {
			FUZZ_CHECK(t[0] == '\0', "MarshalText of nil not empty");
		}
	} else {
		FUZZ_CHECK(r == RN_EADDR, "MarshalText of length %d returned %d", ip.len, r);
		fuzz_check_error(r, "rn_ip_marshal_text");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	/* Exactly size bytes, unterminated, so ASan sees any over-read. */
	uint8_t *raw = malloc(size ? size : 1);
	rn_ip ip, back, um;
	char str[RN_IP_STRLEN];
	int r;

	if (!raw)
		abort();
	memcpy(raw, data, size);

	ip = rn_parse_ip(s);
	if (ip.len) {
		FUZZ_CHECK(ip.len == 16, "ParseIP(%s) gave %d bytes", s, ip.len);
		check_value(ip);
		rn_ip_string(ip, str, sizeof str);
		back = rn_parse_ip(str);
		FUZZ_CHECK(back.len == 16 && rn_ip_equal(ip, back),
			   "ParseIP(String(ParseIP(%s)) = %s) not Equal", s, str);
		FUZZ_CHECK(memcmp(ip.b, back.b, 16) == 0, "reparse of %s changed bytes", str);
	}

	/* UnmarshalText agrees with ParseIP when the text holds no NUL. */
	memset(&um, 0xAA, sizeof um);
	um.len = 0;
	r = rn_ip_unmarshal_text(&um, raw, size);
	if (memchr(data, 0, size) == NULL) {
		if (size == 0) {
			FUZZ_CHECK(r == 0 && um.len == 0, "UnmarshalText(\"\") = %d", r);
		} else if (ip.len) {
			FUZZ_CHECK(r == 0 && um.len == 16 && rn_ip_equal(um, ip),
				   "UnmarshalText disagrees with ParseIP on %s", s);
		} else {
			FUZZ_CHECK(r == RN_EPARSE, "UnmarshalText(%s) = %d, ParseIP nil", s, r);
		}
	}
	if (r < 0) {
		fuzz_check_error(r, "rn_ip_unmarshal_text");
		FUZZ_CHECK(um.len == 0, "UnmarshalText changed the IP on failure");
	}

	/* The raw bytes as an IP value of every length up to 16. */
	size_t n = size < 17 ? size : 17;
	r = rn_ip_from_bytes(&ip, raw, n);
	if (n > 16) {
		FUZZ_CHECK(r < 0 && ip.len == 0, "rn_ip_from_bytes accepted 17 bytes");
	} else {
		FUZZ_CHECK(r == 0 && ip.len == n, "rn_ip_from_bytes(%zu) = %d", n, r);
		check_value(ip);
	}

	free(raw);
	free(s);
	return 0;
}
