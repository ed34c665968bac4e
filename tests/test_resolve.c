/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_resolve.c - ResolveTCPAddr, ResolveUDPAddr, ResolveIPAddr and
 * ResolveUnixAddr, driven by Go 1.19's resolve*AddrTests, including the
 * round trip Resolve(addr.Network(), addr.String()) Go's tests make.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *const resolve_files[] = {
	"go_net_resolve_addr.json", "go119_upstream_resolve_addr.json", NULL
};

static void check_error(const cJSON *err, int rc, const char *file, const char *fn,
			const char *net, const char *addr)
{
	const char *type = tu_jstr(err, "type");
	const rn_error *e = rn_last_error();
	char msg[512], exp[512];
	if (strcmp(type, "UnknownNetworkError") == 0) {
		ck_assert_msg(rc == RN_EUNKNOWNNET && e->kind == RN_ERR_UNKNOWN_NETWORK &&
				      strcmp(e->subject, tu_jstr(err, "value")) == 0,
			      "%s: %s(\"%s\", \"%s\") = %d kind %d \"%s\", want UnknownNetworkError",
			      file, fn, net, addr, rc, e->kind, e->subject);
		snprintf(exp, sizeof exp, "unknown network %s", tu_jstr(err, "value"));
	} else {
		ck_assert_msg(strcmp(type, "AddrError") == 0, "unexpected error type %s", type);
		ck_assert_msg(rc == RN_EADDR && e->kind == RN_ERR_ADDR &&
				      strcmp(e->err, tu_jstr(err, "Err")) == 0 &&
				      strcmp(e->subject, tu_jstr(err, "Addr")) == 0,
			      "%s: %s(\"%s\", \"%s\") = %d {\"%s\", \"%s\"}, want AddrError{\"%s\", \"%s\"}",
			      file, fn, net, addr, rc, e->err, e->subject, tu_jstr(err, "Err"),
			      tu_jstr(err, "Addr"));
		snprintf(exp, sizeof exp, "address %s: %s", tu_jstr(err, "Addr"), tu_jstr(err, "Err"));
	}
	ck_assert_msg(!e->op_error, "%s: %s(\"%s\", \"%s\") error wrapped in OpError", file, fn, net,
		      addr);
	rn_error_string(NULL, msg, sizeof msg);
	ck_assert_msg(strcmp(msg, exp) == 0, "%s: %s(\"%s\", \"%s\") error \"%s\", want \"%s\"", file,
		      fn, net, addr, msg, exp);
}

static void resolve_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *fn = tu_jstr(c, "func");
	const char *net = tu_jstr(c, "network"), *addr = tu_jstr(c, "address");
	const cJSON *want = tu_jobj(c, "want");
	const cJSON *err = tu_jobj(c, "err");
	char g[TU_HEXLEN], w[TU_HEXLEN];
	char str[RN_ADDR_STRLEN];
	int rc;

	if (strcmp(fn, "ResolveIPAddr") == 0) {
		rn_ipaddr a, b;
		memset(&a, 0x5a, sizeof a);
		rc = rn_resolve_ip_addr(net, addr, &a);
		if (err) {
			check_error(err, rc, file, fn, net, addr);
			return;
		}
		ck_assert_msg(rc == 0, "%s: %s(\"%s\", \"%s\") = %d", file, fn, net, addr, rc);
		rn_ip wip = tu_ip_hex(tu_jstr(want, "ip"));
		ck_assert_msg(tu_ip_same(a.ip, wip) && strcmp(a.zone, tu_jstr(want, "zone")) == 0,
			      "%s: %s(\"%s\", \"%s\") = {%s, \"%s\"}, want {%s, \"%s\"}", file, fn, net,
			      addr, tu_ip_dump(a.ip, g), a.zone, tu_ip_dump(wip, w),
			      tu_jstr(want, "zone"));
		rn_ipaddr_string(&a, str, sizeof str);
		rc = rn_resolve_ip_addr(rn_ipaddr_network(&a), str, &b);
		ck_assert_msg(rc == 0 && tu_ip_same(b.ip, wip) &&
				      strcmp(b.zone, tu_jstr(want, "zone")) == 0,
			      "%s: round trip %s(\"%s\", \"%s\") = %d {%s, \"%s\"}", file, fn,
			      rn_ipaddr_network(&a), str, rc, tu_ip_dump(b.ip, g), b.zone);
		return;
	}

	bool is_tcp = strcmp(fn, "ResolveTCPAddr") == 0;
	ck_assert_msg(is_tcp || strcmp(fn, "ResolveUDPAddr") == 0, "unknown func %s", fn);
	rn_tcpaddr t;
	rn_udpaddr u;
	memset(&t, 0x5a, sizeof t);
	memset(&u, 0x5a, sizeof u);
	rc = is_tcp ? rn_resolve_tcp_addr(net, addr, &t) : rn_resolve_udp_addr(net, addr, &u);
	if (err) {
		check_error(err, rc, file, fn, net, addr);
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s(\"%s\", \"%s\") = %d", file, fn, net, addr, rc);
	rn_ip ip = is_tcp ? t.ip : u.ip;
	int port = is_tcp ? t.port : u.port;
	const char *zone = is_tcp ? t.zone : u.zone;
	rn_ip wip = tu_ip_hex(tu_jstr(want, "ip"));
	ck_assert_msg(tu_ip_same(ip, wip) && port == tu_jint(want, "port") &&
			      strcmp(zone, tu_jstr(want, "zone")) == 0,
		      "%s: %s(\"%s\", \"%s\") = {%s, %d, \"%s\"}, want {%s, %d, \"%s\"}", file, fn, net,
		      addr, tu_ip_dump(ip, g), port, zone, tu_ip_dump(wip, w), tu_jint(want, "port"),
		      tu_jstr(want, "zone"));
	/* Round trip through Network() and String(). */
	const char *n2;
	if (is_tcp) {
		rn_tcpaddr_string(&t, str, sizeof str);
		n2 = rn_tcpaddr_network(&t);
		memset(&t, 0x5a, sizeof t);
		rc = rn_resolve_tcp_addr(n2, str, &t);
	} else {
		rn_udpaddr_string(&u, str, sizeof str);
		n2 = rn_udpaddr_network(&u);
		memset(&u, 0x5a, sizeof u);
		rc = rn_resolve_udp_addr(n2, str, &u);
	}
	ip = is_tcp ? t.ip : u.ip;
	port = is_tcp ? t.port : u.port;
	zone = is_tcp ? t.zone : u.zone;
	ck_assert_msg(rc == 0 && tu_ip_same(ip, wip) && port == tu_jint(want, "port") &&
			      strcmp(zone, tu_jstr(want, "zone")) == 0,
		      "%s: round trip %s(\"%s\", \"%s\") = %d {%s, %d, \"%s\"}", file, fn, n2, str, rc,
		      tu_ip_dump(ip, g), port, zone);
}

START_TEST(test_resolve_table)
{
	int rows = tu_for_each_case(resolve_files, resolve_row, NULL);
	ck_assert_int_eq(rows, 40 + 59);
}
END_TEST

static void expect_tcp_error(const char *net, const char *addr, int code, const char *msg)
{
	rn_tcpaddr t;
	int rc = rn_resolve_tcp_addr(net, addr, &t);
	ck_assert_msg(rc == code, "ResolveTCPAddr(\"%s\", \"%s\") = %d, want %d", net, addr, rc, code);
	char buf[256];
	rn_error_string(NULL, buf, sizeof buf);
	ck_assert_msg(strcmp(buf, msg) == 0, "ResolveTCPAddr(\"%s\", \"%s\") error \"%s\", want \"%s\"",
		      net, addr, buf, msg);
}

START_TEST(test_resolve_tcp_errors)
{
	expect_tcp_error("tcp", "1.2.3.4", RN_EADDR, "address 1.2.3.4: missing port in address");
	expect_tcp_error("tcp", "::1:80", RN_EADDR, "address ::1:80: too many colons in address");
	expect_tcp_error("tcp", "1.2.3.4:99999", RN_EADDR, "address 99999: invalid port");
	expect_tcp_error("tcp", "1.2.3.4:nosuchsvc", RN_EADDR, "address tcp/nosuchsvc: unknown port");
	expect_tcp_error("udp", "1.2.3.4:80", RN_EUNKNOWNNET, "unknown network udp");
	expect_tcp_error("tcp", "nosuch.invalid:80", RN_EDNS_NOTFOUND,
			 "lookup nosuch.invalid: no such host");
	const rn_error *e = rn_last_error();
	ck_assert_int_eq(e->kind, RN_ERR_DNS);
	ck_assert(e->is_not_found);
	ck_assert_str_eq(e->subject, "nosuch.invalid");
}
END_TEST

START_TEST(test_resolve_tcp_extras)
{
	rn_tcpaddr t;
	/* An empty address is the unspecified address, port 0. */
	ck_assert_int_eq(rn_resolve_tcp_addr("tcp", "", &t), 0);
	ck_assert_int_eq(t.ip.len, 0);
	ck_assert_int_eq(t.port, 0);
	ck_assert_int_eq(rn_resolve_tcp_addr("tcp6", "[fe80::1%lo]:https", &t), 0);
	ck_assert(tu_ip_same(t.ip, rn_parse_ip("fe80::1")));
	ck_assert_int_eq(t.port, 443);
	ck_assert_str_eq(t.zone, "lo");
	ck_assert_int_eq(rn_resolve_tcp_addr("tcp", "127.0.0.1:HTTP", &t), 0);
	ck_assert_int_eq(t.port, 80);
	rn_udpaddr u;
	ck_assert_int_eq(rn_resolve_udp_addr("udp4", ":53", &u), 0);
	ck_assert_int_eq(u.ip.len, 0);
	ck_assert_int_eq(u.port, 53);
	ck_assert_int_eq(rn_resolve_udp_addr("tcp", "1.2.3.4:53", &u), RN_EUNKNOWNNET);
}
END_TEST

START_TEST(test_resolve_ip_extras)
{
	rn_ipaddr a;
	ck_assert_int_eq(rn_resolve_ip_addr("ip", "", &a), 0);
	ck_assert_int_eq(a.ip.len, 0);
	ck_assert_int_eq(rn_resolve_ip_addr("ip4:nosuchproto", "127.0.0.1", &a), RN_EADDR);
	char msg[128];
	rn_error_string(NULL, msg, sizeof msg);
	ck_assert_str_eq(msg, "address nosuchproto: unknown IP protocol specified");
	ck_assert_int_eq(rn_resolve_ip_addr("ip", "nosuch.invalid", &a), RN_EDNS_NOTFOUND);
	rn_error_string(NULL, msg, sizeof msg);
	ck_assert_str_eq(msg, "lookup nosuch.invalid: no such host");
	ck_assert_int_eq(rn_resolve_ip_addr("ip:1", "fe80::1%lo", &a), 0);
	ck_assert_str_eq(a.zone, "lo");
}
END_TEST

START_TEST(test_resolve_unix)
{
	static const char *const nets[] = { "unix", "unixgram", "unixpacket" };
	for (size_t i = 0; i < 3; i++) {
		rn_unixaddr a;
		ck_assert_int_eq(rn_resolve_unix_addr(nets[i], "/tmp/x.sock", &a), 0);
		ck_assert_str_eq(a.name, "/tmp/x.sock");
		ck_assert_str_eq(a.net, nets[i]);
		ck_assert_str_eq(rn_unixaddr_network(&a), nets[i]);
		/* Round trip. */
		rn_unixaddr b;
		char str[RN_ADDR_STRLEN];
		rn_unixaddr_string(&a, str, sizeof str);
		ck_assert_int_eq(rn_resolve_unix_addr(rn_unixaddr_network(&a), str, &b), 0);
		ck_assert_str_eq(b.name, a.name);
		ck_assert_str_eq(b.net, a.net);
	}
	rn_unixaddr a;
	ck_assert_int_eq(rn_resolve_unix_addr("unix", "@abstract", &a), 0);
	ck_assert_str_eq(a.name, "@abstract");
	ck_assert_int_eq(rn_resolve_unix_addr("unix", "", &a), 0);
	ck_assert_str_eq(a.name, "");
	ck_assert_int_eq(rn_resolve_unix_addr("tcp", "/tmp/x", &a), RN_EUNKNOWNNET);
	char msg[64];
	rn_error_string(NULL, msg, sizeof msg);
	ck_assert_str_eq(msg, "unknown network tcp");
	ck_assert_int_eq(rn_resolve_unix_addr("", "/tmp/x", &a), RN_EUNKNOWNNET);
	/* Too long for sun_path resolves, as Go's; bind or connect refuse it later. */
	char *big = tu_big_string(200, 'p');
	ck_assert_int_eq(rn_resolve_unix_addr("unix", big, &a), 0);
	ck_assert_str_eq(a.name, big);
	free(big);
	big = tu_big_string(RN_UNIX_NAME_MAX, 'p');
	ck_assert_int_eq(rn_resolve_unix_addr("unix", big, &a), -EINVAL);
	free(big);
}
END_TEST

START_TEST(test_resolve_null_and_overlong)
{
	rn_tcpaddr t;
	rn_udpaddr u;
	rn_ipaddr i;
	rn_unixaddr x;
	ck_assert_int_lt(rn_resolve_tcp_addr("tcp", NULL, &t), 0);
	ck_assert_int_lt(rn_resolve_tcp_addr(NULL, "1.2.3.4:1", &t), 0);
	ck_assert_int_lt(rn_resolve_tcp_addr("tcp", "1.2.3.4:1", NULL), 0);
	ck_assert_int_lt(rn_resolve_udp_addr("udp", NULL, &u), 0);
	ck_assert_int_lt(rn_resolve_ip_addr("ip", NULL, &i), 0);
	ck_assert_int_lt(rn_resolve_unix_addr("unix", NULL, &x), 0);
	ck_assert_int_lt(rn_resolve_unix_addr(NULL, "/x", &x), 0);
	char *big = tu_big_string(100 * 1024, 'a');
	big[100 * 1024 - 3] = ':';
	ck_assert_int_lt(rn_resolve_tcp_addr("tcp", big, &t), 0);
	ck_assert_int_lt(rn_resolve_udp_addr("udp", big, &u), 0);
	ck_assert_int_lt(rn_resolve_ip_addr("ip", big, &i), 0);
	ck_assert_int_lt(rn_resolve_tcp_addr(big, "1.2.3.4:1", &t), 0);
	char msg[2048];
	int n = rn_error_string(NULL, msg, sizeof msg);
	ck_assert_int_gt(n, 0);
	ck_assert(strncmp(msg, "unknown network aaa", 19) == 0);
	free(big);
}
END_TEST

static Suite *resolve_suite(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tu_tcase("resolve");
	tcase_add_test(tc, test_resolve_table);
	tcase_add_test(tc, test_resolve_tcp_errors);
	tcase_add_test(tc, test_resolve_tcp_extras);
	tcase_add_test(tc, test_resolve_ip_extras);
	tcase_add_test(tc, test_resolve_unix);
	tcase_add_test(tc, test_resolve_null_and_overlong);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(resolve_suite());
}
