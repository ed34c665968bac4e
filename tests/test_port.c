/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_port.c - LookupPort, parsePort and dtoi, driven by Go 1.19's
 * TestLookupPort, TestLookupPort_Minimal, parsePortTests and TestDtoi.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "api/parse.h"

static const char *const lookupport_files[] = {
	"go_net_lookupport.json", "go119_upstream_lookupport.json", NULL
};
static const char *const parseport_files[] = {
	"go_net_parseport.json", "go119_upstream_parseport.json", NULL
};
static const char *const dtoi_files[] = {
	"go_net_dtoi.json", "go119_upstream_dtoi.json", NULL
};

static void lookupport_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *net = tu_jstr(c, "network"), *name = tu_jstr(c, "name");
	int want = tu_jint(c, "port");
	bool ok = tu_jbool(c, "ok");
	int got = rn_lookup_port(net, name);
	if (ok) {
		ck_assert_msg(got == want, "%s: LookupPort(\"%s\", \"%s\") = %d, want %d", file, net,
			      name, got, want);
		return;
	}
	ck_assert_msg(got == RN_EADDR, "%s: LookupPort(\"%s\", \"%s\") = %d, want RN_EADDR", file,
		      net, name, got);
	/* error_test.go parseLookupPortError: an *AddrError (pure-Go path). */
	ck_assert_msg(rn_last_error()->kind == RN_ERR_ADDR, "%s: LookupPort(\"%s\", \"%s\") kind %d",
		      file, net, name, rn_last_error()->kind);
}

START_TEST(test_lookup_port_table)
{
	int rows = tu_for_each_case(lookupport_files, lookupport_row, NULL);
	ck_assert_int_eq(rows, 16 + 24);
}
END_TEST

static void expect_port_error(const char *net, const char *svc, const char *msg)
{
	ck_assert_msg(rn_lookup_port(net, svc) == RN_EADDR, "LookupPort(\"%s\", \"%s\") succeeded", net,
		      svc);
	char buf[256];
	rn_error_string(NULL, buf, sizeof buf);
	ck_assert_msg(strcmp(buf, msg) == 0, "LookupPort(\"%s\", \"%s\") error \"%s\", want \"%s\"", net,
		      svc, buf, msg);
}

START_TEST(test_lookup_port_error_texts)
{
	/* src/net/lookup.go and lookupPortMap, pure-Go resolver. */
	expect_port_error("--badnet--", "zzz", "address --badnet--: unknown network");
	expect_port_error("tcp", "--badport--", "address tcp/--badport--: unknown port");
	expect_port_error("tcp4", "--badport--", "address tcp/--badport--: unknown port");
	expect_port_error("udp6", "nosuch", "address udp/nosuch: unknown port");
	expect_port_error("tcp", "-1", "address -1: invalid port");
	expect_port_error("tcp", "65536", "address 65536: invalid port");
	expect_port_error("tcp", "123456789", "address 123456789: invalid port");
	expect_port_error("udp", "1073741824", "address 1073741824: invalid port");
	/* "" with a name is "ip", which has no services. */
	expect_port_error("", "http", "address ip/http: unknown port");
}
END_TEST

START_TEST(test_lookup_port_numbers_skip_network_check)
{
	/* A numeric service never looks at the network (Go's parsePort first). */
	ck_assert_int_eq(rn_lookup_port("--badnet--", "80"), 80);
	ck_assert_int_eq(rn_lookup_port("", "443"), 443);
	ck_assert_int_eq(rn_lookup_port("tcp", "+80"), 80);
	ck_assert_int_eq(rn_lookup_port("tcp", "-0"), 0);
	ck_assert_int_eq(rn_lookup_port("tcp", "65535"), 65535);
	ck_assert_int_eq(rn_lookup_port("tcp", "0080"), 80);
}
END_TEST

START_TEST(test_lookup_port_names)
{
	/* Built-in table (lookup.go) entries, any case. */
	ck_assert_int_eq(rn_lookup_port("tcp", "ftp"), 21);
	ck_assert_int_eq(rn_lookup_port("tcp", "HTTPS"), 443);
	ck_assert_int_eq(rn_lookup_port("tcp", "Telnet"), 23);
	ck_assert_int_eq(rn_lookup_port("tcp6", "smtp"), 25);
	ck_assert_int_eq(rn_lookup_port("udp", "domain"), 53);
	ck_assert_int_eq(rn_lookup_port("udp4", "DOMAIN"), 53);
	/* A name longer than Go's maxPortBufSize never matches. */
	ck_assert_int_eq(rn_lookup_port("tcp", "httpxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), RN_EADDR);
}
END_TEST

START_TEST(test_lookup_port_null_and_overlong)
{
	ck_assert_int_lt(rn_lookup_port(NULL, "80"), 0);
	ck_assert_int_lt(rn_lookup_port("tcp", NULL), 0);
	char *big = tu_big_string(100 * 1024, 'h');
	ck_assert_int_eq(rn_lookup_port("tcp", big), RN_EADDR);
	ck_assert_str_eq(rn_last_error()->err, "unknown port");
	memset(big, '9', 100 * 1024);
	ck_assert_int_eq(rn_lookup_port("tcp", big), RN_EADDR);
	ck_assert_str_eq(rn_last_error()->err, "invalid port");
	free(big);
}
END_TEST

static void parseport_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *svc = tu_jstr(c, "service");
	int want = tu_jint(c, "port");
	bool needs = tu_jbool(c, "needsLookup");
	int port = 12345;
	bool got = rni_parse_port(svc, &port);
	ck_assert_msg(port == want && got == needs, "%s: parsePort(\"%s\") = %d, %d, want %d, %d",
		      file, svc, port, got, want, needs);
}

START_TEST(test_parse_port_table)
{
	int rows = tu_for_each_case(parseport_files, parseport_row, NULL);
	ck_assert_int_eq(rows, 17 + 25);
}
END_TEST

static void dtoi_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *in = tu_jstr(c, "in");
	int n = -7;
	size_t used = 99;
	bool ok = rni_dtoi(in, strlen(in), &n, &used);
	ck_assert_msg(n == tu_jint(c, "n") && (int)used == tu_jint(c, "consumed") &&
			      ok == tu_jbool(c, "ok"),
		      "%s: dtoi(\"%s\") = %d, %zu, %d", file, in, n, used, ok);
}

START_TEST(test_dtoi_table)
{
	int rows = tu_for_each_case(dtoi_files, dtoi_row, NULL);
	ck_assert_int_eq(rows, 4 + 6);
}
END_TEST

START_TEST(test_dtoi_respects_length)
{
	int n;
	size_t used;
	ck_assert(rni_dtoi("12345", 2, &n, &used));
	ck_assert_int_eq(n, 12);
	ck_assert_uint_eq(used, 2);
	ck_assert(rni_dtoi("7x", 2, &n, &used));
	ck_assert_int_eq(n, 7);
	ck_assert_uint_eq(used, 1);
	ck_assert(!rni_dtoi("1", 0, &n, &used));
	ck_assert_uint_eq(used, 0);
}
END_TEST

static Suite *port_suite(void)
{
	Suite *s = suite_create("port");
	TCase *tc = tu_tcase("lookupport");
	tcase_add_test(tc, test_lookup_port_table);
	tcase_add_test(tc, test_lookup_port_error_texts);
	tcase_add_test(tc, test_lookup_port_numbers_skip_network_check);
	tcase_add_test(tc, test_lookup_port_names);
	tcase_add_test(tc, test_lookup_port_null_and_overlong);
	suite_add_tcase(s, tc);
	tc = tu_tcase("parse");
	tcase_add_test(tc, test_parse_port_table);
	tcase_add_test(tc, test_dtoi_table);
	tcase_add_test(tc, test_dtoi_respects_length);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(port_suite());
}
