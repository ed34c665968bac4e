/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_mac.c - ParseMAC and HardwareAddr.String, driven by Go 1.19's
 * mac_test.go parseMACTests.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *const mac_files[] = {
	"go_net_parsemac.json", "go119_upstream_parsemac.json", NULL
};

static void mac_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *in = tu_jstr(c, "in");
	const char *errsub = tu_jstr(c, "err");
	rn_hwaddr want = tu_hw_hex(tu_jstr(c, "out"));
	rn_hwaddr got;
	memset(&got, 0x5a, sizeof got);
	int rc = rn_parse_mac(in, &got);
	char g[TU_HEXLEN], w[TU_HEXLEN];
	if (errsub[0] != '\0') {
		ck_assert_msg(rc == RN_EADDR, "%s: ParseMAC(\"%s\") = %d, want RN_EADDR", file, in, rc);
		ck_assert_msg(got.len == 0, "%s: ParseMAC(\"%s\") output not nil on error", file, in);
		char msg[256], exp[256];
		rn_error_string(NULL, msg, sizeof msg);
		ck_assert_msg(strstr(msg, errsub) != NULL, "%s: ParseMAC(\"%s\") error \"%s\" lacks \"%s\"",
			      file, in, msg, errsub);
		snprintf(exp, sizeof exp, "address %s: invalid MAC address", in);
		ck_assert_msg(strcmp(msg, exp) == 0, "%s: ParseMAC(\"%s\") error \"%s\", want \"%s\"",
			      file, in, msg, exp);
		return;
	}
	ck_assert_msg(rc == 0, "%s: ParseMAC(\"%s\") = %d, want 0", file, in, rc);
	ck_assert_msg(tu_hw_same(&got, &want), "%s: ParseMAC(\"%s\") = %s, want %s", file, in,
		      tu_hex(got.b, got.len, g, sizeof g), tu_hex(want.b, want.len, w, sizeof w));
	/* Round trip through String. */
	char s[RN_HWADDR_STRLEN];
	int n = rn_hwaddr_string(&got, s, sizeof s);
	ck_assert_msg(n == (int)strlen(s) && n == 3 * got.len - 1, "%s: String of %s is \"%s\"",
		      file, in, s);
	rn_hwaddr again;
	ck_assert_msg(rn_parse_mac(s, &again) == 0 && tu_hw_same(&again, &got),
		      "%s: ParseMAC(\"%s\") does not round-trip (from \"%s\")", file, s, in);
}

START_TEST(test_parse_mac_table)
{
	int rows = tu_for_each_case(mac_files, mac_row, NULL);
	ck_assert_int_eq(rows, 16 + 24);
}
END_TEST

START_TEST(test_hwaddr_string)
{
	rn_hwaddr hw = tu_hw_hex("00005e005301");
	char buf[RN_HWADDR_STRLEN];
	ck_assert_int_eq(rn_hwaddr_string(&hw, buf, sizeof buf), 17);
	ck_assert_str_eq(buf, "00:00:5e:00:53:01");
	hw = tu_hw_hex("ABCDEF");
	rn_hwaddr_string(&hw, buf, sizeof buf);
	ck_assert_str_eq(buf, "ab:cd:ef");
	hw = tu_hw_hex("0f");
	rn_hwaddr_string(&hw, buf, sizeof buf);
	ck_assert_str_eq(buf, "0f");
	/* nil and NULL both print as "". */
	rn_hwaddr nil = { 0 };
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_hwaddr_string(&nil, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
	memset(buf, 'X', sizeof buf);
	ck_assert_int_le(rn_hwaddr_string(NULL, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_hwaddr_string_max_length)
{
	rn_hwaddr hw;
	hw.len = RN_HWADDR_MAX;
	for (int i = 0; i < RN_HWADDR_MAX; i++)
		hw.b[i] = (uint8_t)(0xf0 + i % 16);
	char buf[RN_HWADDR_STRLEN];
	int n = rn_hwaddr_string(&hw, buf, sizeof buf);
	ck_assert_int_eq(n, 3 * RN_HWADDR_MAX - 1);
	ck_assert_int_lt(n, RN_HWADDR_STRLEN);
	ck_assert(strncmp(buf, "f0:f1:f2", 8) == 0);
}
END_TEST

START_TEST(test_hwaddr_string_small_buffers)
{
	rn_hwaddr hw = tu_hw_hex("00005e005301");
	char buf[32];
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_hwaddr_string(&hw, buf, 0), 17);
	ck_assert_int_eq(buf[0], 'X');
	ck_assert_int_eq(rn_hwaddr_string(&hw, NULL, 0), 17);
	ck_assert_int_eq(rn_hwaddr_string(&hw, buf, 1), 17);
	ck_assert_int_eq(buf[0], '\0');
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_hwaddr_string(&hw, buf, 17), 17);
	ck_assert_str_eq(buf, "00:00:5e:00:53:0");
	ck_assert_int_eq(buf[17], 'X');
}
END_TEST

START_TEST(test_parse_mac_extra_rows)
{
	static const struct {
		const char *in;
		bool ok;
	} rows[] = {
		{ "", false },
		{ "00:00:5e:00:53", false },		  /* 5 octets */
		{ "00:00:5e:00:53:01:02", false },	  /* 7 octets */
		{ "0:00:5e:00:53:01", false },		  /* one digit */
		{ "00:00:5e:00:53:0g", false },
		{ "0000.5e00.530", false },
		{ "0000.5e00.5301.", false },
		{ "00:00:5E:00:53:01", true },
		{ "00-00-5e-00-53-01-02-03", true },
		{ "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01:02", false },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		rn_hwaddr hw;
		int rc = rn_parse_mac(rows[i].in, &hw);
		ck_assert_msg((rc == 0) == rows[i].ok, "ParseMAC(\"%s\") = %d", rows[i].in, rc);
		if (!rows[i].ok)
			ck_assert_msg(rc == RN_EADDR && hw.len == 0, "ParseMAC(\"%s\") = %d", rows[i].in, rc);
	}
}
END_TEST

START_TEST(test_parse_mac_null_and_overlong)
{
	rn_hwaddr hw;
	memset(&hw, 0x5a, sizeof hw);
	ck_assert_int_lt(rn_parse_mac(NULL, &hw), 0);
	/* A NULL output may validate only, but an invalid input still fails. */
	ck_assert_int_eq(rn_parse_mac("00:00:5e:00:53:0x", NULL), RN_EADDR);
	/* 100 KB of a valid-looking colon pattern. */
	size_t n = 100 * 1024 / 3 * 3 - 1;
	char *big = tu_big_string(n, '0');
	for (size_t i = 2; i < n; i += 3)
		big[i] = ':';
	ck_assert_int_eq(rn_parse_mac(big, &hw), RN_EADDR);
	ck_assert_int_eq(hw.len, 0);
	free(big);
}
END_TEST

static Suite *mac_suite(void)
{
	Suite *s = suite_create("mac");
	TCase *tc = tu_tcase("mac");
	tcase_add_test(tc, test_parse_mac_table);
	tcase_add_test(tc, test_hwaddr_string);
	tcase_add_test(tc, test_hwaddr_string_max_length);
	tcase_add_test(tc, test_hwaddr_string_small_buffers);
	tcase_add_test(tc, test_parse_mac_extra_rows);
	tcase_add_test(tc, test_parse_mac_null_and_overlong);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(mac_suite());
}
