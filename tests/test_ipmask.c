/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_ipmask.c - IPMask (CIDRMask, IPv4Mask, Size, String), IPNet
 * (Contains, String, Network), ParseCIDR and networkNumberAndMask, driven
 * by Go 1.19's ip_test.go tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "api/parse.h"

static const char *const cidrmask_files[] = {
	"go_net_cidrmask.json", "go119_upstream_cidrmask.json", NULL
};
static const char *const maskstring_files[] = {
	"go_net_ipmask_string.json", "go119_upstream_ipmask_string.json", NULL
};
static const char *const contains_files[] = {
	"go_net_ipnet_contains.json", "go119_upstream_ipnet_contains.json", NULL
};
static const char *const netstring_files[] = {
	"go_net_ipnet_string.json", "go119_upstream_ipnet_string.json", NULL
};
static const char *const parsecidr_files[] = {
	"go_net_parsecidr.json", "go119_upstream_parsecidr.json", NULL
};
static const char *const nnm_files[] = {
	"go_net_network_number_and_mask.json", "go119_upstream_network_number_and_mask.json", NULL
};

static rn_ipnet net_from(const cJSON *o)
{
	rn_ipnet n;
	n.ip = tu_ip_hex(tu_jstr(o, "ip"));
	n.mask = tu_mask_hex(tu_jstr(o, "mask"));
	return n;
}

/* ---- CIDRMask / IPv4Mask / Size ------------------------------------------- */

static void cidrmask_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	int ones = tu_jint(c, "ones"), bits = tu_jint(c, "bits");
	rn_ipmask want = tu_mask_hex(tu_jstr(c, "out"));
	rn_ipmask got = rn_cidr_mask(ones, bits);
	char g[TU_HEXLEN], w[TU_HEXLEN];
	ck_assert_msg(tu_mask_same(got, want), "%s: CIDRMask(%d, %d) = %s, want %s", file, ones,
		      bits, tu_mask_dump(got, g), tu_mask_dump(want, w));
	/* Size inverts CIDRMask for valid arguments. */
	if (want.len) {
		int o = -1, b = -1;
		rn_ipmask_size(got, &o, &b);
		ck_assert_msg(o == ones && b == bits, "%s: CIDRMask(%d, %d).Size() = %d, %d", file,
			      ones, bits, o, b);
	}
}

START_TEST(test_cidr_mask_table)
{
	int rows = tu_for_each_case(cidrmask_files, cidrmask_row, NULL);
	ck_assert_int_eq(rows, 8 + 12);
}
END_TEST

START_TEST(test_cidr_mask_all_lengths)
{
	for (int bits = 32; bits <= 128; bits += 96)
		for (int ones = 0; ones <= bits; ones++) {
			rn_ipmask m = rn_cidr_mask(ones, bits);
			ck_assert_msg(m.len == bits / 8, "CIDRMask(%d, %d) length %d", ones, bits, m.len);
			for (int i = 0; i < bits; i++) {
				bool set = (m.b[i / 8] >> (7 - i % 8)) & 1;
				ck_assert_msg(set == (i < ones), "CIDRMask(%d, %d) bit %d", ones, bits, i);
			}
		}
	ck_assert_int_eq(rn_cidr_mask(8, 64).len, 0);
	ck_assert_int_eq(rn_cidr_mask(0, 0).len, 0);
	ck_assert_int_eq(rn_cidr_mask(129, 128).len, 0);
}
END_TEST

START_TEST(test_ipv4_mask)
{
	rn_ipmask m = rn_ipv4_mask(255, 255, 0, 128);
	ck_assert(tu_mask_same(m, tu_mask_hex("ffff0080")));
}
END_TEST

START_TEST(test_mask_size)
{
	static const struct {
		const char *mask;
		int ones, bits;
	} rows[] = {
		{ "ffffff00", 24, 32 },
		{ "00000000", 0, 32 },
		{ "ffffffff", 32, 32 },
		{ "ff00ff00", 0, 0 }, /* non-canonical */
		{ "ffffff01", 0, 0 },
		{ "ffffffffffffffff0000000000000000", 64, 128 },
		{ "ffffffffffffffffffffffffffffff00", 120, 128 },
		{ "ffff00", 16, 24 }, /* Go does not check the length */
		{ NULL, 0, 0 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		int o = -1, b = -1;
		rn_ipmask_size(tu_mask_hex(rows[i].mask), &o, &b);
		ck_assert_msg(o == rows[i].ones && b == rows[i].bits,
			      "IPMask(%s).Size() = %d, %d, want %d, %d",
			      rows[i].mask ? rows[i].mask : "nil", o, b, rows[i].ones, rows[i].bits);
	}
	/* Either output may be NULL. */
	int o = -1;
	rn_ipmask_size(rn_cidr_mask(20, 32), &o, NULL);
	ck_assert_int_eq(o, 20);
	int b = -1;
	rn_ipmask_size(rn_cidr_mask(20, 32), NULL, &b);
	ck_assert_int_eq(b, 32);
	rn_ipmask_size(rn_cidr_mask(20, 32), NULL, NULL);
}
END_TEST

static void maskstring_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *h = tu_jstr(c, "mask");
	const char *want = tu_jstr(c, "out");
	char buf[64];
	int n = rn_ipmask_string(tu_mask_hex(h), buf, sizeof buf);
	ck_assert_msg(n == (int)strlen(want) && strcmp(buf, want) == 0,
		      "%s: IPMask(%s).String() = \"%s\" (%d), want \"%s\"", file, h ? h : "nil", buf,
		      n, want);
}

START_TEST(test_mask_string_table)
{
	int rows = tu_for_each_case(maskstring_files, maskstring_row, NULL);
	ck_assert_int_eq(rows, 4 + 5);
}
END_TEST

START_TEST(test_mask_string_small_buffers)
{
	rn_ipmask m = rn_cidr_mask(48, 128);
	const char *full = "ffffffffffff00000000000000000000";
	char buf[40];
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_ipmask_string(m, buf, 0), 32);
	ck_assert_int_eq(buf[0], 'X');
	ck_assert_int_eq(rn_ipmask_string(m, NULL, 0), 32);
	ck_assert_int_eq(rn_ipmask_string(m, buf, 1), 32);
	ck_assert_int_eq(buf[0], '\0');
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_ipmask_string(m, buf, 32), 32);
	ck_assert_int_eq(strlen(buf), 31);
	ck_assert(strncmp(buf, full, 31) == 0);
	ck_assert_int_eq(buf[32], 'X');
}
END_TEST

START_TEST(test_mask_from_bytes)
{
	rn_ipmask m;
	uint8_t b[17];
	memset(b, 0xff, sizeof b);
	ck_assert_int_eq(rn_ipmask_from_bytes(&m, b, 3), 0);
	ck_assert(tu_mask_same(m, tu_mask_hex("ffffff")));
	ck_assert_int_eq(rn_ipmask_from_bytes(&m, b, 17), -EINVAL);
	ck_assert_int_eq(m.len, 0);
	ck_assert_int_lt(rn_ipmask_from_bytes(&m, NULL, 4), 0);
	ck_assert_int_lt(rn_ipmask_from_bytes(NULL, b, 4), 0);
}
END_TEST

/* ---- IPNet ------------------------------------------------------------------ */

static void contains_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	rn_ip ip = tu_ip_hex(tu_jstr(c, "ip"));
	rn_ipnet n = net_from(tu_jobj(c, "net"));
	bool ok = tu_jbool(c, "ok");
	char a[TU_HEXLEN], b[TU_HEXLEN], m[TU_HEXLEN];
	ck_assert_msg(rn_ipnet_contains(&n, ip) == ok, "%s: IPNet{%s, %s}.Contains(%s) = %d", file,
		      tu_ip_dump(n.ip, a), tu_mask_dump(n.mask, m), tu_ip_dump(ip, b), !ok);
	/* The 4-byte form of an IPv4 address answers the same. */
	rn_ip four = rn_ip_to4(ip);
	if (four.len)
		ck_assert_msg(rn_ipnet_contains(&n, four) == ok, "%s: Contains(To4(%s))", file,
			      tu_ip_dump(ip, b));
}

START_TEST(test_ipnet_contains_table)
{
	int rows = tu_for_each_case(contains_files, contains_row, NULL);
	ck_assert_int_eq(rows, 6 + 8);
}
END_TEST

START_TEST(test_ipnet_contains_edges)
{
	ck_assert(!rn_ipnet_contains(NULL, rn_ipv4(1, 2, 3, 4)));
	rn_ipnet n = { rn_ipv4(10, 0, 0, 0), rn_cidr_mask(8, 32) };
	ck_assert(rn_ipnet_contains(&n, rn_ipv4(10, 255, 0, 1)));
	ck_assert(!rn_ipnet_contains(&n, rn_ipv4(11, 0, 0, 1)));
	rn_ip nil = { 0 };
	ck_assert(!rn_ipnet_contains(&n, nil));
	/* An IPv6 address is never in an IPv4 network, even ::a00:1. */
	ck_assert(!rn_ipnet_contains(&n, rn_parse_ip("::a00:1")));
	/* An invalid pairing contains nothing. */
	rn_ipnet bad = { rn_parse_ip("2001:db8::"), rn_cidr_mask(8, 32) };
	ck_assert(!rn_ipnet_contains(&bad, rn_parse_ip("2001:db8::1")));
	/* The zero-length prefix contains everything of its family. */
	rn_ipnet all6 = { rn_ipv6zero, rn_cidr_mask(0, 128) };
	ck_assert(rn_ipnet_contains(&all6, rn_parse_ip("2001:db8::1")));
}
END_TEST

static void netstring_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const cJSON *o = tu_jobj(c, "net");
	const char *want = tu_jstr(c, "out");
	rn_ipnet n;
	if (o)
		n = net_from(o);
	char buf[RN_IPNET_STRLEN];
	int len = rn_ipnet_string(o ? &n : NULL, buf, sizeof buf);
	ck_assert_msg(len == (int)strlen(want) && strcmp(buf, want) == 0,
		      "%s: IPNet.String() = \"%s\" (%d), want \"%s\"", file, buf, len, want);
}

START_TEST(test_ipnet_string_table)
{
	int rows = tu_for_each_case(netstring_files, netstring_row, NULL);
	ck_assert_int_eq(rows, 4 + 5);
}
END_TEST

START_TEST(test_ipnet_string_invalid_pairing)
{
	char buf[RN_IPNET_STRLEN];
	rn_ipnet bad = { rn_parse_ip("2001:db8::"), rn_cidr_mask(8, 32) };
	ck_assert_int_eq(rn_ipnet_string(&bad, buf, sizeof buf), 5);
	ck_assert_str_eq(buf, "<nil>");
	rn_ipnet nilip = { { 0 }, rn_cidr_mask(8, 32) };
	rn_ipnet_string(&nilip, buf, sizeof buf);
	ck_assert_str_eq(buf, "<nil>");
	/* The network number is printed as given, not masked. */
	rn_ipnet unmasked = { rn_ipv4(10, 1, 2, 3), rn_cidr_mask(8, 32) };
	rn_ipnet_string(&unmasked, buf, sizeof buf);
	ck_assert_str_eq(buf, "10.1.2.3/8");
}
END_TEST

START_TEST(test_ipnet_string_small_buffers)
{
	rn_ipnet n = { rn_ipv4(192, 168, 1, 0), rn_cidr_mask(26, 32) };
	char buf[32];
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_ipnet_string(&n, buf, 0), 14);
	ck_assert_int_eq(buf[0], 'X');
	ck_assert_int_eq(rn_ipnet_string(&n, NULL, 0), 14);
	ck_assert_int_eq(rn_ipnet_string(&n, buf, 1), 14);
	ck_assert_int_eq(buf[0], '\0');
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_ipnet_string(&n, buf, 14), 14);
	ck_assert_str_eq(buf, "192.168.1.0/2");
	ck_assert_int_eq(buf[14], 'X');
}
END_TEST

START_TEST(test_ipnet_network)
{
	rn_ipnet n = { rn_ipv4(10, 0, 0, 0), rn_cidr_mask(8, 32) };
	ck_assert_str_eq(rn_ipnet_network(&n), "ip+net");
	ck_assert_str_eq(rn_ipnet_network(NULL), "ip+net");
}
END_TEST

/* ---- ParseCIDR ----------------------------------------------------------------- */

static void parsecidr_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *in = tu_jstr(c, "in");
	const cJSON *err = tu_jobj(c, "err");
	rn_ip ip;
	rn_ipnet n;
	memset(&ip, 0x5a, sizeof ip);
	memset(&n, 0x5a, sizeof n);
	int rc = rn_parse_cidr(in, &ip, &n);
	char g[TU_HEXLEN], w[TU_HEXLEN];
	if (err) {
		ck_assert_msg(rc == RN_EPARSE, "%s: ParseCIDR(\"%s\") = %d, want RN_EPARSE", file, in,
			      rc);
		ck_assert_msg(ip.len == 0 && n.ip.len == 0 && n.mask.len == 0,
			      "%s: ParseCIDR(\"%s\") outputs not nil on error", file, in);
		const rn_error *e = rn_last_error();
		ck_assert_msg(e->kind == RN_ERR_PARSE && strcmp(e->type, tu_jstr(err, "Type")) == 0 &&
				      strcmp(e->subject, tu_jstr(err, "Text")) == 0,
			      "%s: ParseCIDR(\"%s\") error {%d, \"%s\", \"%s\"}", file, in, e->kind,
			      e->type, e->subject);
		char msg[256], exp[256];
		snprintf(exp, sizeof exp, "invalid %s: %s", tu_jstr(err, "Type"),
			 tu_jstr(err, "Text"));
		rn_error_string(NULL, msg, sizeof msg);
		ck_assert_msg(strcmp(msg, exp) == 0, "%s: ParseCIDR(\"%s\") error \"%s\", want \"%s\"",
			      file, in, msg, exp);
		return;
	}
	ck_assert_msg(rc == 0, "%s: ParseCIDR(\"%s\") = %d, want 0", file, in, rc);
	rn_ip wip = tu_ip_hex(tu_jstr(c, "ip"));
	rn_ipnet wn = net_from(tu_jobj(c, "net"));
	ck_assert_msg(rn_ip_equal(ip, wip), "%s: ParseCIDR(\"%s\") ip = %s, want %s", file, in,
		      tu_ip_dump(ip, g), tu_ip_dump(wip, w));
	ck_assert_msg(rn_ip_equal(n.ip, wn.ip), "%s: ParseCIDR(\"%s\") net.IP = %s, want %s", file,
		      in, tu_ip_dump(n.ip, g), tu_ip_dump(wn.ip, w));
	ck_assert_msg(tu_mask_same(n.mask, wn.mask), "%s: ParseCIDR(\"%s\") net.Mask = %s, want %s",
		      file, in, tu_mask_dump(n.mask, g), tu_mask_dump(wn.mask, w));
}

START_TEST(test_parse_cidr_table)
{
	int rows = tu_for_each_case(parsecidr_files, parsecidr_row, NULL);
	ck_assert_int_eq(rows, 19 + 28);
}
END_TEST

START_TEST(test_parse_cidr_result_lengths)
{
	rn_ip ip;
	rn_ipnet n;
	ck_assert_int_eq(rn_parse_cidr("192.0.2.1/24", &ip, &n), 0);
	ck_assert(tu_ip_same(ip, tu_ip_hex("00000000000000000000ffffc0000201")));
	ck_assert(tu_ip_same(n.ip, tu_ip_hex("c0000200")));
	ck_assert(tu_mask_same(n.mask, tu_mask_hex("ffffff00")));
	ck_assert_int_eq(rn_parse_cidr("2001:db8::1/32", &ip, &n), 0);
	ck_assert(tu_ip_same(ip, rn_parse_ip("2001:db8::1")));
	ck_assert(tu_ip_same(n.ip, rn_parse_ip("2001:db8::")));
	ck_assert(tu_mask_same(n.mask, rn_cidr_mask(32, 128)));
}
END_TEST

START_TEST(test_parse_cidr_extra_rows)
{
	static const struct {
		const char *in;
		bool ok;
		const char *net; /* its String() */
	} rows[] = {
		{ "1.2.3.4/024", true, "1.2.3.0/24" },	 /* dtoi takes leading zeros */
		{ "1.2.3.4/0", true, "0.0.0.0/0" },
		{ "::/0", true, "::/0" },
		{ "::ffff:1.2.3.4/104", true, "1.0.0.0/8" }, /* normalised to IPv4 */
		{ "::1/129", false, NULL },
		{ "1.2.3.4/33", false, NULL },
		{ "1.2.3.4/+24", false, NULL },
		{ "1.2.3.4/24 ", false, NULL },
		{ "1.2.3.4/", false, NULL },
		{ "1.2.3.4", false, NULL },
		{ "/24", false, NULL },
		{ "fe80::1%lo0/64", false, NULL },
		{ "1.2.3.4/24/24", false, NULL },
		{ "1.2.3.4/99999999999", false, NULL },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		rn_ipnet n;
		int rc = rn_parse_cidr(rows[i].in, NULL, &n);
		ck_assert_msg((rc == 0) == rows[i].ok, "ParseCIDR(\"%s\") = %d", rows[i].in, rc);
		if (!rows[i].ok) {
			ck_assert_msg(rc == RN_EPARSE, "ParseCIDR(\"%s\") = %d", rows[i].in, rc);
			continue;
		}
		char buf[RN_IPNET_STRLEN];
		rn_ipnet_string(&n, buf, sizeof buf);
		ck_assert_msg(strcmp(buf, rows[i].net) == 0, "ParseCIDR(\"%s\") net = %s, want %s",
			      rows[i].in, buf, rows[i].net);
	}
}
END_TEST

START_TEST(test_parse_cidr_null_and_overlong)
{
	rn_ip ip = rn_ipv4(1, 1, 1, 1);
	rn_ipnet n;
	ck_assert_int_lt(rn_parse_cidr(NULL, &ip, &n), 0);
	ck_assert_int_eq(ip.len, 0);
	ck_assert_int_eq(rn_parse_cidr("10.0.0.0/8", NULL, NULL), 0);
	char *big = tu_big_string(100 * 1024, '1');
	big[50 * 1024] = '/';
	ck_assert_int_eq(rn_parse_cidr(big, &ip, &n), RN_EPARSE);
	char msg[2048];
	int len = rn_error_string(NULL, msg, sizeof msg);
	ck_assert_int_gt(len, 0);
	ck_assert_int_eq((int)strlen(msg), len < (int)sizeof msg ? len : (int)sizeof msg - 1);
	ck_assert(strncmp(msg, "invalid CIDR address: 1111", 26) == 0);
	free(big);
}
END_TEST

START_TEST(test_parse_cidr_error_message)
{
	ck_assert_int_eq(rn_parse_cidr("192.168.1.1/35", NULL, NULL), RN_EPARSE);
	char msg[128];
	ck_assert_int_eq(rn_error_string(NULL, msg, sizeof msg), 36);
	ck_assert_str_eq(msg, "invalid CIDR address: 192.168.1.1/35");
}
END_TEST

/* ---- networkNumberAndMask ------------------------------------------------------ */

static void nnm_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	rn_ipnet in = net_from(tu_jobj(c, "in"));
	rn_ipnet want = net_from(tu_jobj(c, "out"));
	rn_ip ip;
	rn_ipmask m;
	memset(&ip, 0x5a, sizeof ip);
	memset(&m, 0x5a, sizeof m);
	bool ok = rni_network_number_and_mask(&in, &ip, &m);
	char a[TU_HEXLEN], b[TU_HEXLEN], g[TU_HEXLEN], h[TU_HEXLEN];
	ck_assert_msg(ok == (want.ip.len != 0), "%s: networkNumberAndMask({%s, %s}) ok = %d", file,
		      tu_ip_dump(in.ip, a), tu_mask_dump(in.mask, b), ok);
	ck_assert_msg(tu_ip_same(ip, want.ip) && tu_mask_same(m, want.mask),
		      "%s: networkNumberAndMask({%s, %s}) = {%s, %s}", file, tu_ip_dump(in.ip, a),
		      tu_mask_dump(in.mask, b), tu_ip_dump(ip, g), tu_mask_dump(m, h));
}

START_TEST(test_network_number_and_mask_table)
{
	int rows = tu_for_each_case(nnm_files, nnm_row, NULL);
	ck_assert_int_eq(rows, 10 + 15);
}
END_TEST

static Suite *ipmask_suite(void)
{
	Suite *s = suite_create("ipmask");
	TCase *tc = tu_tcase("mask");
	tcase_add_test(tc, test_cidr_mask_table);
	tcase_add_test(tc, test_cidr_mask_all_lengths);
	tcase_add_test(tc, test_ipv4_mask);
	tcase_add_test(tc, test_mask_size);
	tcase_add_test(tc, test_mask_string_table);
	tcase_add_test(tc, test_mask_string_small_buffers);
	tcase_add_test(tc, test_mask_from_bytes);
	suite_add_tcase(s, tc);

	tc = tu_tcase("ipnet");
	tcase_add_test(tc, test_ipnet_contains_table);
	tcase_add_test(tc, test_ipnet_contains_edges);
	tcase_add_test(tc, test_ipnet_string_table);
	tcase_add_test(tc, test_ipnet_string_invalid_pairing);
	tcase_add_test(tc, test_ipnet_string_small_buffers);
	tcase_add_test(tc, test_ipnet_network);
	tcase_add_test(tc, test_network_number_and_mask_table);
	suite_add_tcase(s, tc);

	tc = tu_tcase("parsecidr");
	tcase_add_test(tc, test_parse_cidr_table);
	tcase_add_test(tc, test_parse_cidr_result_lengths);
	tcase_add_test(tc, test_parse_cidr_extra_rows);
	tcase_add_test(tc, test_parse_cidr_null_and_overlong);
	tcase_add_test(tc, test_parse_cidr_error_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(ipmask_suite());
}
