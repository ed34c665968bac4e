/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_netname.c - network-name parsing (Go's parseNetwork), ipVersion
 * (ipVersionTests) and protocol lookup (TestLookupProtocol_Minimal).
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "api/parse.h"

static const char *const ipversion_files[] = {
	"go_net_ipversion.json", "go119_upstream_ipversion.json", NULL
};
static const char *const lookupport_files[] = {
	"go_net_lookupport.json", "go119_upstream_lookupport.json", NULL
};

static void ipversion_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *net = tu_jstr(c, "network"), *v = tu_jstr(c, "version");
	int want = v[0] ? v[0] : 0;
	int got = rni_ip_version(net);
	ck_assert_msg(got == want, "%s: ipVersion(\"%s\") = %d, want %d", file, net, got, want);
}

START_TEST(test_ip_version_table)
{
	int rows = tu_for_each_case(ipversion_files, ipversion_row, NULL);
	ck_assert_int_eq(rows, 8 + 11);
}
END_TEST

START_TEST(test_lookup_protocol_minimal)
{
	int rows = 0;
	for (size_t i = 0; lookupport_files[i]; i++) {
		cJSON *root = tu_load_json(lookupport_files[i]);
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "lookup_protocol_minimal");
		ck_assert(cJSON_IsArray(arr));
		const cJSON *c;
		cJSON_ArrayForEach(c, arr) {
			const char *name = tu_jstr(c, "name");
			int got = rn_lookup_protocol(name);
			ck_assert_msg(got == tu_jint(c, "want"), "%s: lookupProtocol(\"%s\") = %d, want %d",
				      lookupport_files[i], name, got, tu_jint(c, "want"));
			rows++;
		}
		cJSON_Delete(root);
	}
	ck_assert_int_eq(rows, 6 + 6);
}
END_TEST

START_TEST(test_lookup_protocol_errors)
{
	ck_assert_int_eq(rn_lookup_protocol("nosuchproto"), RN_EADDR);
	char msg[128];
	rn_error_string(NULL, msg, sizeof msg);
	ck_assert_str_eq(msg, "address nosuchproto: unknown IP protocol specified");
	ck_assert_int_eq(rn_lookup_protocol(""), RN_EADDR);
	ck_assert_int_lt(rn_lookup_protocol(NULL), 0);
	char *big = tu_big_string(100 * 1024, 'p');
	ck_assert_int_eq(rn_lookup_protocol(big), RN_EADDR);
	free(big);
	/* Built-in names win, any case. */
	ck_assert_int_eq(rn_lookup_protocol("IPV6-ICMP"), 58);
	ck_assert_int_eq(rn_lookup_protocol("Udp"), 17);
}
END_TEST

START_TEST(test_parse_network_plain_names)
{
	static const struct {
		const char *name;
		int version;
	} ok[] = {
		{ "tcp", 0 },  { "tcp4", 4 }, { "tcp6", 6 }, { "udp", 0 },	 { "udp4", 4 },
		{ "udp6", 6 }, { "ip", 0 },   { "ip4", 4 },  { "ip6", 6 },	 { "unix", 0 },
		{ "unixgram", 0 }, { "unixpacket", 0 },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		rn_network n;
		memset(&n, 0x5a, sizeof n);
		int rc = rn_parse_network(ok[i].name, false, &n);
		ck_assert_msg(rc == 0, "parseNetwork(\"%s\") = %d", ok[i].name, rc);
		ck_assert_msg(strcmp(n.afnet, ok[i].name) == 0 && n.proto == 0 &&
				      n.version == ok[i].version,
			      "parseNetwork(\"%s\") = {\"%s\", %d, %d}", ok[i].name, n.afnet, n.proto,
			      n.version);
	}
}
END_TEST

static void expect_unknown_network(const char *name, bool needs_proto)
{
	rn_network n;
	int rc = rn_parse_network(name, needs_proto, &n);
	ck_assert_msg(rc == RN_EUNKNOWNNET, "parseNetwork(\"%s\", %d) = %d, want RN_EUNKNOWNNET", name,
		      needs_proto, rc);
	char msg[256], exp[256];
	snprintf(exp, sizeof exp, "unknown network %s", name);
	rn_error_string(NULL, msg, sizeof msg);
	ck_assert_msg(strcmp(msg, exp) == 0, "parseNetwork(\"%s\") error \"%s\"", name, msg);
}

START_TEST(test_parse_network_unknown)
{
	expect_unknown_network("http", false);
	expect_unknown_network("", false);
	expect_unknown_network("TCP", false);
	expect_unknown_network("tcp7", false);
	expect_unknown_network("tcp:80", false);
	expect_unknown_network("l2tp:gre", false);
	expect_unknown_network("ip4:icmp:x", false); /* the last colon splits */
	/* IP networks must name a protocol when asked to. */
	expect_unknown_network("ip", true);
	expect_unknown_network("ip4", true);
	expect_unknown_network("ip6", true);
}
END_TEST

START_TEST(test_parse_network_protocols)
{
	static const struct {
		const char *name;
		const char *afnet;
		int proto;
	} rows[] = {
		{ "ip4:icmp", "ip4", 1 },	{ "ip4:ICMP", "ip4", 1 },
		{ "ip6:ipv6-icmp", "ip6", 58 }, { "ip6:IPv6-ICMP", "ip6", 58 },
		{ "ip:tcp", "ip", 6 },		{ "ip:1", "ip", 1 },
		{ "ip4:17", "ip4", 17 },	{ "ip:256", "ip", 256 }, /* no range check */
		{ "ip4:igmp", "ip4", 2 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		rn_network n;
		for (int needs = 0; needs < 2; needs++) {
			int rc = rn_parse_network(rows[i].name, needs, &n);
			ck_assert_msg(rc == 0 && strcmp(n.afnet, rows[i].afnet) == 0 &&
					      n.proto == rows[i].proto,
				      "parseNetwork(\"%s\", %d) = %d {\"%s\", %d}", rows[i].name, needs, rc,
				      n.afnet, n.proto);
		}
	}
}
END_TEST

START_TEST(test_parse_network_unknown_protocol)
{
	rn_network n;
	ck_assert_int_eq(rn_parse_network("ip4:nosuchproto", false, &n), RN_EADDR);
	char msg[128];
	rn_error_string(NULL, msg, sizeof msg);
	ck_assert_str_eq(msg, "address nosuchproto: unknown IP protocol specified");
	ck_assert_int_eq(rn_parse_network("ip:", true, &n), RN_EADDR);
	rn_error_string(NULL, msg, sizeof msg);
	ck_assert_str_eq(msg, "unknown IP protocol specified");
	ck_assert_int_eq(rn_parse_network("ip4:-1", true, &n), RN_EADDR);
}
END_TEST

START_TEST(test_parse_network_null_and_overlong)
{
	rn_network n;
	ck_assert_int_lt(rn_parse_network(NULL, false, &n), 0);
	/* A NULL output may validate only; a bad name still fails. */
	ck_assert_int_eq(rn_parse_network("tcpx", false, NULL), RN_EUNKNOWNNET);
	char *big = tu_big_string(100 * 1024, 't');
	ck_assert_int_eq(rn_parse_network(big, false, &n), RN_EUNKNOWNNET);
	memcpy(big, "ip4:", 4);
	ck_assert_int_eq(rn_parse_network(big, false, &n), RN_EADDR);
	free(big);
}
END_TEST

static Suite *netname_suite(void)
{
	Suite *s = suite_create("netname");
	TCase *tc = tu_tcase("netname");
	tcase_add_test(tc, test_ip_version_table);
	tcase_add_test(tc, test_lookup_protocol_minimal);
	tcase_add_test(tc, test_lookup_protocol_errors);
	tcase_add_test(tc, test_parse_network_plain_names);
	tcase_add_test(tc, test_parse_network_unknown);
	tcase_add_test(tc, test_parse_network_protocols);
	tcase_add_test(tc, test_parse_network_unknown_protocol);
	tcase_add_test(tc, test_parse_network_null_and_overlong);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(netname_suite());
}
