/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_ip.c - net.IP: ParseIP, String, MarshalText/UnmarshalText,
 * To4/To16, Equal, the Is* classifiers, DefaultMask, Mask and the address
 * family checks, driven by Go 1.19's ip_test.go tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *const parseip_files[] = {
	"go_net_parseip.json", "go_net_parseip_newer_go.json", "go119_upstream_parseip.json", NULL
};
static const char *const ipstring_files[] = {
	"go_net_ipstring.json", "go119_upstream_ipstring.json", NULL
};
static const char *const ipmask_files[] = {
	"go_net_ipmask.json", "go119_upstream_ipmask.json", NULL
};
static const char *const family_files[] = {
	"go_net_ipaddr_family.json", "go119_upstream_ipaddr_family.json", NULL
};
static const char *const scope_files[] = {
	"go_net_ip_classification.json", "go119_upstream_ip_classification.json", NULL
};

/* ---- ParseIP / UnmarshalText --------------------------------------------- */

static void parseip_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *in = tu_jstr(c, "in");
	rn_ip want = tu_ip_hex(tu_jstr(c, "out"));
	rn_ip got = rn_parse_ip(in);
	char g[TU_HEXLEN], w[TU_HEXLEN];
	ck_assert_msg(tu_ip_same(got, want), "%s: ParseIP(\"%s\") = %s, want %s", file, in,
		      tu_ip_dump(got, g), tu_ip_dump(want, w));
}

START_TEST(test_parse_ip_table)
{
	int rows = tu_for_each_case(parseip_files, parseip_row, NULL);
	ck_assert_int_eq(rows, 17 + 2 + 25);
}
END_TEST

static void unmarshal_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *in = tu_jstr(c, "in");
	if (in[0] == '\0')
		return; /* empty input is TestMarshalEmptyIP's case, below */
	rn_ip want = tu_ip_hex(tu_jstr(c, "out"));
	rn_ip got = rn_ipv4(9, 9, 9, 9);
	int rc = rn_ip_unmarshal_text(&got, in, strlen(in));
	char g[TU_HEXLEN], w[TU_HEXLEN];
	if (want.len == 0) {
		ck_assert_msg(rc == RN_EPARSE, "%s: UnmarshalText(\"%s\") = %d, want RN_EPARSE", file,
			      in, rc);
		ck_assert_msg(tu_ip_same(got, rn_ipv4(9, 9, 9, 9)),
			      "%s: UnmarshalText(\"%s\") changed the IP on error to %s", file, in,
			      tu_ip_dump(got, g));
		const rn_error *e = rn_last_error();
		ck_assert_msg(e->kind == RN_ERR_PARSE && strcmp(e->type, "IP address") == 0 &&
				      strcmp(e->subject, in) == 0,
			      "%s: UnmarshalText(\"%s\") error kind %d type \"%s\" text \"%s\"", file,
			      in, e->kind, e->type, e->subject);
		char msg[256], exp[256];
		snprintf(exp, sizeof exp, "invalid IP address: %s", in);
		rn_error_string(NULL, msg, sizeof msg);
		ck_assert_msg(strcmp(msg, exp) == 0, "%s: UnmarshalText(\"%s\") error \"%s\", want \"%s\"",
			      file, in, msg, exp);
	} else {
		ck_assert_msg(rc == 0, "%s: UnmarshalText(\"%s\") = %d, want 0", file, in, rc);
		ck_assert_msg(tu_ip_same(got, want), "%s: UnmarshalText(\"%s\") = %s, want %s", file,
			      in, tu_ip_dump(got, g), tu_ip_dump(want, w));
	}
}

START_TEST(test_unmarshal_text_table)
{
	int rows = tu_for_each_case(parseip_files, unmarshal_row, NULL);
	ck_assert_int_eq(rows, 44);
}
END_TEST

START_TEST(test_unmarshal_text_empty_gives_nil)
{
	/* TestMarshalEmptyIP: nil and []byte("") both give nil, no error. */
	rn_ip ip;
	ck_assert_int_eq(rn_ip_from_bytes(&ip, "\x01\x02\x03\x04", 4), 0);
	ck_assert_int_eq(rn_ip_unmarshal_text(&ip, NULL, 0), 0);
	ck_assert_int_eq(ip.len, 0);
	ck_assert_int_eq(rn_ip_from_bytes(&ip, "\x01\x02\x03\x04", 4), 0);
	ck_assert_int_eq(rn_ip_unmarshal_text(&ip, "", 0), 0);
	ck_assert_int_eq(ip.len, 0);
}
END_TEST

START_TEST(test_unmarshal_text_not_nul_terminated)
{
	rn_ip ip = { 0 };
	const char text[] = "127.0.0.1XYZ";
	ck_assert_int_eq(rn_ip_unmarshal_text(&ip, text, 9), 0);
	ck_assert(tu_ip_same(ip, rn_ipv4(127, 0, 0, 1)));
}
END_TEST

START_TEST(test_unmarshal_text_embedded_nul_rejected)
{
	rn_ip ip = rn_ipv4(1, 1, 1, 1);
	ck_assert_int_eq(rn_ip_unmarshal_text(&ip, "1.2.3.4\0", 8), RN_EPARSE);
	ck_assert(tu_ip_same(ip, rn_ipv4(1, 1, 1, 1)));
}
END_TEST

START_TEST(test_unmarshal_text_null_args)
{
	ck_assert_int_lt(rn_ip_unmarshal_text(NULL, "1.2.3.4", 7), 0);
	rn_ip ip = rn_ipv4(1, 1, 1, 1);
	ck_assert_int_lt(rn_ip_unmarshal_text(&ip, NULL, 7), 0);
}
END_TEST

START_TEST(test_unmarshal_text_overlong)
{
	char *big = tu_big_string(100 * 1024, '1');
	rn_ip ip = rn_ipv4(1, 1, 1, 1);
	ck_assert_int_eq(rn_ip_unmarshal_text(&ip, big, strlen(big)), RN_EPARSE);
	const rn_error *e = rn_last_error();
	size_t n = strnlen(e->subject, sizeof e->subject);
	ck_assert_uint_lt(n, sizeof e->subject);
	ck_assert_msg(n > 3 && strcmp(e->subject + n - 3, "...") == 0,
		      "cut subject should end in \"...\": %.40s", e->subject + (n > 40 ? n - 40 : 0));
	free(big);
}
END_TEST

START_TEST(test_parse_ip_null_and_overlong)
{
	ck_assert_int_eq(rn_parse_ip(NULL).len, 0);
	char *big = tu_big_string(100 * 1024, '1');
	ck_assert_int_eq(rn_parse_ip(big).len, 0);
	memset(big, ':', 100 * 1024);
	ck_assert_int_eq(rn_parse_ip(big).len, 0);
	free(big);
}
END_TEST

START_TEST(test_parse_ip_extra_rows)
{
	/* Results checked against Go 1.19 (newer-Go divergence noted). */
	static const struct {
		const char *in;
		const char *out;
	} rows[] = {
		{ "::", "00000000000000000000000000000000" },
		{ "::1", "00000000000000000000000000000001" },
		{ "1::", "00010000000000000000000000000000" },
		{ "1.2.3.4", "00000000000000000000ffff01020304" },
		{ "255.255.255.255", "00000000000000000000ffffffffffff" },
		{ "1:2:3:4:5:6:7:8", "00010002000300040005000600070008" },
		{ "::ffff:1.2.3.4", "00000000000000000000ffff01020304" },
		{ "::1.2.3.4", "00000000000000000000000001020304" },
		{ "ABCD:EF01::", "abcdef01000000000000000000000000" },
		{ "1:2:3:4:5:6:7:8:9", NULL },
		{ "1:2:3:4:5:6:7", NULL },
		{ "1::2::3", NULL },
		{ ":1::", NULL },
		{ "1:::", NULL },
		{ "1.2.3", NULL },
		{ "1.2.3.4.5", NULL },
		{ "1.2.3.4 ", NULL },
		{ " 1.2.3.4", NULL },
		{ "0x1.2.3.4", NULL },
		{ "[::1]", NULL },
		{ "12345::", NULL }, /* five hex digits: nil in current Go */
		{ "::1.2.3.4:5", NULL },
		{ "1.2.3.04", NULL },
		{ "0.0.0.0", "00000000000000000000ffff00000000" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		rn_ip got = rn_parse_ip(rows[i].in), want = tu_ip_hex(rows[i].out);
		char g[TU_HEXLEN], w[TU_HEXLEN];
		ck_assert_msg(tu_ip_same(got, want), "ParseIP(\"%s\") = %s, want %s", rows[i].in,
			      tu_ip_dump(got, g), tu_ip_dump(want, w));
	}
}
END_TEST

/* ---- String / MarshalText ------------------------------------------------- */

static void ipstring_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *inhex = tu_jstr(c, "in");
	rn_ip ip = tu_ip_hex(inhex);
	const char *want = tu_jstr(c, "string");
	char buf[RN_IP_STRLEN];
	int n = rn_ip_string(ip, buf, sizeof buf);
	ck_assert_msg(strcmp(buf, want) == 0 && n == (int)strlen(want),
		      "%s: IP(%s).String() = \"%s\" (%d), want \"%s\"", file, inhex ? inhex : "nil",
		      buf, n, want);

	const char *mt = tu_jstr(c, "marshal_text");
	const cJSON *merr = tu_jobj(c, "marshal_error");
	memset(buf, 'X', sizeof buf);
	n = rn_ip_marshal_text(ip, buf, sizeof buf);
	if (merr == NULL) {
		const char *expect = mt ? mt : "";
		ck_assert_msg(n == (int)strlen(expect) && strcmp(buf, expect) == 0,
			      "%s: IP(%s).MarshalText() = %d \"%s\", want \"%s\"", file,
			      inhex ? inhex : "nil", n, buf, expect);
	} else {
		ck_assert_msg(n == RN_EADDR, "%s: IP(%s).MarshalText() = %d, want RN_EADDR", file,
			      inhex, n);
		const rn_error *e = rn_last_error();
		ck_assert_msg(e->kind == RN_ERR_ADDR && strcmp(e->err, tu_jstr(merr, "Err")) == 0 &&
				      strcmp(e->subject, tu_jstr(merr, "Addr")) == 0,
			      "%s: IP(%s).MarshalText() error {Err \"%s\", Addr \"%s\"}", file, inhex,
			      e->err, e->subject);
		char msg[256], exp[256];
		snprintf(exp, sizeof exp, "address %s: %s", tu_jstr(merr, "Addr"),
			 tu_jstr(merr, "Err"));
		rn_error_string(NULL, msg, sizeof msg);
		ck_assert_msg(strcmp(msg, exp) == 0, "%s: IP(%s) error \"%s\", want \"%s\"", file,
			      inhex, msg, exp);
	}
}

START_TEST(test_ip_string_table)
{
	int rows = tu_for_each_case(ipstring_files, ipstring_row, NULL);
	ck_assert_int_eq(rows, 10 + 15);
}
END_TEST

START_TEST(test_ip_string_extra_rows)
{
	static const struct {
		const char *hex;
		const char *out;
	} rows[] = {
		{ "00000000000000000000000000000001", "::1" },
		{ "00010000000000000000000000000000", "1::" },
		{ "00000000000000000000000001020304", "::102:304" },
		{ "20010db8000000010000000000000001", "2001:db8:0:1::1" },
		{ "20010000000000010000000000000000", "2001:0:0:1::" },
		{ "00010000000100000000000000010000", "1:0:1::1:0" },
		{ "ffffffffffffffffffffffffffffffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ "00000000000000000000ffffffffffff", "255.255.255.255" },
		{ "0102030405", "?0102030405" },
		{ "01", "?01" },
		{ "", "<nil>" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char buf[RN_IP_STRLEN];
		int n = rn_ip_string(tu_ip_hex(rows[i].hex), buf, sizeof buf);
		ck_assert_msg(n == (int)strlen(rows[i].out) && strcmp(buf, rows[i].out) == 0,
			      "IP(%s).String() = \"%s\", want \"%s\"", rows[i].hex, buf, rows[i].out);
	}
}
END_TEST

START_TEST(test_ip_string_small_buffers)
{
	rn_ip ip = rn_parse_ip("2001:db8::123:12:1");
	const char *full = "2001:db8::123:12:1";
	int len = (int)strlen(full);
	/* size 0: nothing written, full length returned. */
	char buf[64];
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_ip_string(ip, buf, 0), len);
	ck_assert_int_eq(buf[0], 'X');
	ck_assert_int_eq(rn_ip_string(ip, NULL, 0), len);
	/* size 1: only the terminator. */
	ck_assert_int_eq(rn_ip_string(ip, buf, 1), len);
	ck_assert_int_eq(buf[0], '\0');
	ck_assert_int_eq(buf[1], 'X');
	/* exactly one too small: cut by one, terminated, nothing past size. */
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_ip_string(ip, buf, (size_t)len), len);
	ck_assert_int_eq(strlen(buf), len - 1);
	ck_assert(strncmp(buf, full, (size_t)len - 1) == 0);
	ck_assert_int_eq(buf[len], 'X');
	/* exact fit. */
	ck_assert_int_eq(rn_ip_string(ip, buf, (size_t)len + 1), len);
	ck_assert_str_eq(buf, full);
}
END_TEST

START_TEST(test_ip_marshal_text_small_buffers)
{
	rn_ip ip = rn_ipv4(192, 0, 2, 1);
	char buf[16];
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_ip_marshal_text(ip, buf, 0), 9);
	ck_assert_int_eq(buf[0], 'X');
	ck_assert_int_eq(rn_ip_marshal_text(ip, buf, 1), 9);
	ck_assert_int_eq(buf[0], '\0');
	ck_assert_int_eq(rn_ip_marshal_text(ip, buf, 9), 9);
	ck_assert_str_eq(buf, "192.0.2.");
	ck_assert_int_eq(buf[9], 'X');
}
END_TEST

START_TEST(test_ip_marshal_text_nil_is_empty)
{
	rn_ip ip = { 0 };
	char buf[8] = "XXXXXXX";
	ck_assert_int_eq(rn_ip_marshal_text(ip, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* ---- To4 / To16 / Equal ---------------------------------------------------- */

START_TEST(test_to4_to16)
{
	rn_ip v4 = rn_ipv4(192, 0, 2, 1);
	rn_ip four = rn_ip_to4(v4);
	ck_assert(tu_ip_same(four, tu_ip_hex("c0000201")));
	ck_assert(tu_ip_same(rn_ip_to4(four), four));
	ck_assert(tu_ip_same(rn_ip_to16(four), v4));
	ck_assert(tu_ip_same(rn_ip_to16(v4), v4));
	rn_ip v6 = rn_parse_ip("2001:db8::1");
	ck_assert_int_eq(rn_ip_to4(v6).len, 0);
	ck_assert(tu_ip_same(rn_ip_to16(v6), v6));
	/* ::1.2.3.4 (IPv4-compatible, not mapped) is not IPv4. */
	ck_assert_int_eq(rn_ip_to4(rn_parse_ip("::1.2.3.4")).len, 0);
	rn_ip nil = { 0 };
	ck_assert_int_eq(rn_ip_to4(nil).len, 0);
	ck_assert_int_eq(rn_ip_to16(nil).len, 0);
	ck_assert_int_eq(rn_ip_to4(tu_ip_hex("0102030405")).len, 0);
	ck_assert_int_eq(rn_ip_to16(tu_ip_hex("0102030405")).len, 0);
}
END_TEST

START_TEST(test_equal)
{
	ck_assert(rn_ip_equal(rn_ipv4(1, 2, 3, 4), tu_ip_hex("01020304")));
	ck_assert(rn_ip_equal(tu_ip_hex("01020304"), rn_ipv4(1, 2, 3, 4)));
	ck_assert(!rn_ip_equal(rn_ipv4(1, 2, 3, 4), tu_ip_hex("01020305")));
	ck_assert(!rn_ip_equal(rn_ipv6loopback, tu_ip_hex("00000001")));
	ck_assert(rn_ip_equal(rn_ipv6loopback, rn_parse_ip("::1")));
	rn_ip nil = { 0 };
	ck_assert(rn_ip_equal(nil, nil));
	ck_assert(!rn_ip_equal(nil, rn_ipv4zero));
	ck_assert(rn_ip_equal(rn_ipv6zero, rn_ipv6unspecified));
	/* ::1.2.3.4 is not the IPv4 address 1.2.3.4. */
	ck_assert(!rn_ip_equal(tu_ip_hex("01020304"), rn_parse_ip("::1.2.3.4")));
}
END_TEST

START_TEST(test_well_known_addresses)
{
	char buf[RN_IP_STRLEN];
	static const struct {
		const rn_ip *ip;
		const char *str;
	} rows[] = {
		{ &rn_ipv4bcast, "255.255.255.255" },
		{ &rn_ipv4allsys, "224.0.0.1" },
		{ &rn_ipv4allrouter, "224.0.0.2" },
		{ &rn_ipv4zero, "0.0.0.0" },
		{ &rn_ipv6zero, "::" },
		{ &rn_ipv6unspecified, "::" },
		{ &rn_ipv6loopback, "::1" },
		{ &rn_ipv6interfacelocalallnodes, "ff01::1" },
		{ &rn_ipv6linklocalallnodes, "ff02::1" },
		{ &rn_ipv6linklocalallrouters, "ff02::2" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		ck_assert_msg(rows[i].ip->len == 16, "%s has length %d", rows[i].str, rows[i].ip->len);
		rn_ip_string(*rows[i].ip, buf, sizeof buf);
		ck_assert_msg(strcmp(buf, rows[i].str) == 0, "got %s, want %s", buf, rows[i].str);
		ck_assert(tu_ip_same(*rows[i].ip, rn_parse_ip(rows[i].str)));
	}
	ck_assert(tu_ip_same(rn_ipv4(127, 0, 0, 1), tu_ip_hex("00000000000000000000ffff7f000001")));
}
END_TEST

START_TEST(test_ip_from_bytes)
{
	rn_ip ip;
	uint8_t b[17] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17 };
	ck_assert_int_eq(rn_ip_from_bytes(&ip, b, 5), 0);
	ck_assert(tu_ip_same(ip, tu_ip_hex("0102030405")));
	ck_assert_int_eq(rn_ip_from_bytes(&ip, b, 17), -EINVAL);
	ck_assert_int_eq(ip.len, 0);
	ck_assert_int_eq(rn_ip_from_bytes(&ip, NULL, 4), -EINVAL);
	ck_assert_int_eq(ip.len, 0);
	ck_assert_int_eq(rn_ip_from_bytes(&ip, NULL, 0), 0);
	ck_assert_int_eq(ip.len, 0);
	ck_assert_int_lt(rn_ip_from_bytes(NULL, b, 4), 0);
}
END_TEST

/* ---- Mask / DefaultMask ----------------------------------------------------- */

static void ipmask_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	rn_ip ip = tu_ip_hex(tu_jstr(c, "ip"));
	rn_ipmask m = tu_mask_hex(tu_jstr(c, "mask"));
	rn_ip want = tu_ip_hex(tu_jstr(c, "out"));
	rn_ip got = rn_ip_mask(ip, m);
	char a[TU_HEXLEN], b[TU_HEXLEN], g[TU_HEXLEN], w[TU_HEXLEN];
	ck_assert_msg(got.len != 0 && rn_ip_equal(got, want), "%s: IP(%s).Mask(%s) = %s, want %s",
		      file, tu_ip_dump(ip, a), tu_mask_dump(m, b), tu_ip_dump(got, g),
		      tu_ip_dump(want, w));
}

START_TEST(test_ip_mask_table)
{
	int rows = tu_for_each_case(ipmask_files, ipmask_row, NULL);
	ck_assert_int_eq(rows, 4 + 6);
}
END_TEST

START_TEST(test_ip_mask_lengths)
{
	/* 16-byte IPv4 with a 4-byte mask: the 4-byte result. */
	rn_ip got = rn_ip_mask(rn_ipv4(192, 168, 1, 127), rn_ipv4_mask(255, 255, 255, 128));
	ck_assert(tu_ip_same(got, tu_ip_hex("c0a80100")));
	/* 4-byte IPv4 with an IPv4-mapped 16-byte mask: the mask's last 4 bytes. */
	got = rn_ip_mask(tu_ip_hex("c0a8017f"), tu_mask_hex("ffffffffffffffffffffffffffffffc0"));
	ck_assert(tu_ip_same(got, tu_ip_hex("c0a80140")));
	/* IPv6 with a 4-byte mask: nil. */
	ck_assert_int_eq(rn_ip_mask(rn_parse_ip("2001:db8::1"), rn_ipv4_mask(255, 0, 0, 0)).len, 0);
	/* 4-byte IPv4 with a 16-byte mask not ff-prefixed: nil. */
	ck_assert_int_eq(rn_ip_mask(tu_ip_hex("c0a8017f"), rn_cidr_mask(64, 128)).len, 0);
	/* nil IP or nil mask: nil. */
	rn_ip nil = { 0 };
	rn_ipmask nilm = { 0 };
	ck_assert_int_eq(rn_ip_mask(nil, rn_ipv4_mask(255, 0, 0, 0)).len, 0);
	ck_assert_int_eq(rn_ip_mask(rn_ipv4(1, 2, 3, 4), nilm).len, 0);
}
END_TEST

START_TEST(test_default_mask)
{
	static const struct {
		const char *ip;
		const char *mask;
	} rows[] = {
		{ "10.1.2.3", "ff000000" },   { "0.0.0.0", "ff000000" },
		{ "127.255.255.255", "ff000000" }, { "128.0.0.0", "ffff0000" },
		{ "172.16.0.1", "ffff0000" }, { "191.255.0.1", "ffff0000" },
		{ "192.0.2.1", "ffffff00" },  { "224.0.0.1", "ffffff00" },
		{ "255.255.255.255", "ffffff00" }, { "::1", NULL },
		{ "2001:db8::1", NULL },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		rn_ipmask got = rn_ip_default_mask(rn_parse_ip(rows[i].ip));
		rn_ipmask want = tu_mask_hex(rows[i].mask);
		char g[TU_HEXLEN], w[TU_HEXLEN];
		ck_assert_msg(tu_mask_same(got, want), "DefaultMask(%s) = %s, want %s", rows[i].ip,
			      tu_mask_dump(got, g), tu_mask_dump(want, w));
		/* The 4-byte form answers the same. */
		rn_ip four = rn_ip_to4(rn_parse_ip(rows[i].ip));
		if (four.len)
			ck_assert(tu_mask_same(rn_ip_default_mask(four), want));
	}
	rn_ip nil = { 0 };
	ck_assert_int_eq(rn_ip_default_mask(nil).len, 0);
}
END_TEST

/* ---- family and classifiers -------------------------------------------------- */

static void family_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	rn_ip ip = tu_ip_hex(tu_jstr(c, "ip"));
	bool af4 = rn_ip_to4(ip).len != 0;
	bool af6 = ip.len == RN_IPV6LEN && rn_ip_to4(ip).len == 0;
	char h[TU_HEXLEN];
	ck_assert_msg(af4 == tu_jbool(c, "af4"), "%s: IPv4 family of %s = %d", file,
		      tu_ip_dump(ip, h), af4);
	ck_assert_msg(af6 == tu_jbool(c, "af6"), "%s: IPv6 family of %s = %d", file,
		      tu_ip_dump(ip, h), af6);
}

START_TEST(test_ip_family_table)
{
	int rows = tu_for_each_case(family_files, family_row, NULL);
	ck_assert_int_eq(rows, 10 + 15);
}
END_TEST

typedef bool (*scope_fn)(rn_ip);

static scope_fn scope_by_name(const char *name)
{
	static const struct {
		const char *name;
		scope_fn fn;
	} fns[] = {
		{ "IsUnspecified", rn_ip_is_unspecified },
		{ "IsLoopback", rn_ip_is_loopback },
		{ "IsPrivate", rn_ip_is_private },
		{ "IsMulticast", rn_ip_is_multicast },
		{ "IsInterfaceLocalMulticast", rn_ip_is_interface_local_multicast },
		{ "IsLinkLocalMulticast", rn_ip_is_link_local_multicast },
		{ "IsLinkLocalUnicast", rn_ip_is_link_local_unicast },
		{ "IsGlobalUnicast", rn_ip_is_global_unicast },
	};
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (strcmp(fns[i].name, name) == 0)
			return fns[i].fn;
	ck_abort_msg("unknown classifier %s", name);
	return NULL;
}

static void scope_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *fname = tu_jstr(c, "func");
	scope_fn fn = scope_by_name(fname);
	rn_ip ip = tu_ip_hex(tu_jstr(c, "ip"));
	bool ok = tu_jbool(c, "ok");
	char h[TU_HEXLEN];
	ck_assert_msg(fn(ip) == ok, "%s: %s(%s) = %d, want %d", file, fname, tu_ip_dump(ip, h),
		      !ok, ok);
	rn_ip four = rn_ip_to4(ip);
	const char *also = tu_jstr(c, "also_check_to4");
	ck_assert_msg(tu_ip_same(four, tu_ip_hex(also)), "%s: To4(%s) disagrees with the vector",
		      file, tu_ip_dump(ip, h));
	if (four.len)
		ck_assert_msg(fn(four) == ok, "%s: %s(%s) = %d, want %d", file, fname,
			      tu_ip_dump(four, h), !ok, ok);
}

START_TEST(test_ip_scope_table)
{
	int rows = tu_for_each_case(scope_files, scope_row, NULL);
	ck_assert_int_eq(rows, 43 + 64);
}
END_TEST

START_TEST(test_classifiers_odd_lengths)
{
	/* Lengths other than 4 and 16 are never anything. */
	rn_ip odd = tu_ip_hex("7f00000102");
	ck_assert(!rn_ip_is_loopback(odd));
	ck_assert(!rn_ip_is_unspecified(odd));
	ck_assert(!rn_ip_is_private(odd));
	ck_assert(!rn_ip_is_multicast(odd));
	ck_assert(!rn_ip_is_global_unicast(odd));
	ck_assert(!rn_ip_is_link_local_unicast(odd));
	/* Broadcast is not global unicast, in either form. */
	ck_assert(!rn_ip_is_global_unicast(tu_ip_hex("ffffffff")));
	ck_assert(rn_ip_is_global_unicast(tu_ip_hex("08080808")));
}
END_TEST

static Suite *ip_suite(void)
{
	Suite *s = suite_create("ip");
	TCase *tc = tu_tcase("parse");
	tcase_add_test(tc, test_parse_ip_table);
	tcase_add_test(tc, test_parse_ip_extra_rows);
	tcase_add_test(tc, test_parse_ip_null_and_overlong);
	tcase_add_test(tc, test_unmarshal_text_table);
	tcase_add_test(tc, test_unmarshal_text_empty_gives_nil);
	tcase_add_test(tc, test_unmarshal_text_not_nul_terminated);
	tcase_add_test(tc, test_unmarshal_text_embedded_nul_rejected);
	tcase_add_test(tc, test_unmarshal_text_null_args);
	tcase_add_test(tc, test_unmarshal_text_overlong);
	suite_add_tcase(s, tc);

	tc = tu_tcase("string");
	tcase_add_test(tc, test_ip_string_table);
	tcase_add_test(tc, test_ip_string_extra_rows);
	tcase_add_test(tc, test_ip_string_small_buffers);
	tcase_add_test(tc, test_ip_marshal_text_small_buffers);
	tcase_add_test(tc, test_ip_marshal_text_nil_is_empty);
	suite_add_tcase(s, tc);

	tc = tu_tcase("forms");
	tcase_add_test(tc, test_to4_to16);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_well_known_addresses);
	tcase_add_test(tc, test_ip_from_bytes);
	tcase_add_test(tc, test_ip_mask_table);
	tcase_add_test(tc, test_ip_mask_lengths);
	tcase_add_test(tc, test_default_mask);
	suite_add_tcase(s, tc);

	tc = tu_tcase("classify");
	tcase_add_test(tc, test_ip_family_table);
	tcase_add_test(tc, test_ip_scope_table);
	tcase_add_test(tc, test_classifiers_odd_lengths);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(ip_suite());
}
