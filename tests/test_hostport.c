/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_hostport.c - SplitHostPort and JoinHostPort, driven by Go
 * 1.19's TestSplitHostPort and TestJoinHostPort tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static const char *const split_files[] = {
	"go_net_splithostport.json", "go119_upstream_splithostport.json", NULL
};
static const char *const join_files[] = {
	"go_net_joinhostport.json", "go119_upstream_joinhostport.json", NULL
};

static void split_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *in = tu_jstr(c, "in");
	const char *err = tu_jstr(c, "err");
	size_t cap = strlen(in) + 1;
	char *host = malloc(cap), *port = malloc(cap);
	ck_assert(host && port);
	memset(host, 'X', cap);
	memset(port, 'X', cap);
	int rc = rn_split_host_port(in, host, cap, port, cap);
	if (err) {
		ck_assert_msg(rc == RN_EADDR, "%s: SplitHostPort(\"%s\") = %d, want RN_EADDR", file, in,
			      rc);
		ck_assert_msg(host[0] == '\0' && port[0] == '\0',
			      "%s: SplitHostPort(\"%s\") outputs not empty on error", file, in);
		const rn_error *e = rn_last_error();
		ck_assert_msg(e->kind == RN_ERR_ADDR && strcmp(e->err, err) == 0 &&
				      strcmp(e->subject, in) == 0,
			      "%s: SplitHostPort(\"%s\") error {Err \"%s\", Addr \"%s\"}, want {\"%s\", \"%s\"}",
			      file, in, e->err, e->subject, err, in);
		char msg[256], exp[256];
		snprintf(exp, sizeof exp, "address %s: %s", in, err);
		rn_error_string(NULL, msg, sizeof msg);
		ck_assert_msg(strcmp(msg, exp) == 0, "%s: SplitHostPort(\"%s\") error \"%s\", want \"%s\"",
			      file, in, msg, exp);
	} else {
		ck_assert_msg(rc == 0, "%s: SplitHostPort(\"%s\") = %d", file, in, rc);
		ck_assert_msg(strcmp(host, tu_jstr(c, "host")) == 0 &&
				      strcmp(port, tu_jstr(c, "port")) == 0,
			      "%s: SplitHostPort(\"%s\") = \"%s\", \"%s\", want \"%s\", \"%s\"", file, in,
			      host, port, tu_jstr(c, "host"), tu_jstr(c, "port"));
	}
	free(host);
	free(port);
}

START_TEST(test_split_host_port_table)
{
	int rows = tu_for_each_case(split_files, split_row, NULL);
	ck_assert_int_eq(rows, 23 + 34);
}
END_TEST

START_TEST(test_split_host_port_null_outputs)
{
	char port[8];
	ck_assert_int_eq(rn_split_host_port("[::1]:80", NULL, 0, port, sizeof port), 0);
	ck_assert_str_eq(port, "80");
	char host[8];
	ck_assert_int_eq(rn_split_host_port("[::1]:80", host, sizeof host, NULL, 0), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_int_eq(rn_split_host_port("[::1]:80", NULL, 0, NULL, 0), 0);
	ck_assert_int_eq(rn_split_host_port("::1", NULL, 0, NULL, 0), RN_EADDR);
}
END_TEST

START_TEST(test_split_host_port_null_input)
{
	char host[8] = "X", port[8] = "X";
	ck_assert_int_lt(rn_split_host_port(NULL, host, sizeof host, port, sizeof port), 0);
	ck_assert_str_eq(host, "");
	ck_assert_str_eq(port, "");
}
END_TEST

START_TEST(test_split_host_port_empty)
{
	char host[8] = "X", port[8] = "X";
	ck_assert_int_eq(rn_split_host_port("", host, sizeof host, port, sizeof port), RN_EADDR);
	char msg[64];
	rn_error_string(NULL, msg, sizeof msg);
	/* Go's AddrError omits "address <addr>: " when Addr is empty. */
	ck_assert_str_eq(msg, "missing port in address");
	ck_assert_int_eq(rn_split_host_port(":", host, sizeof host, port, sizeof port), 0);
	ck_assert_str_eq(host, "");
	ck_assert_str_eq(port, "");
}
END_TEST

START_TEST(test_split_host_port_small_buffers)
{
	char host[16], port[16];
	/* host "localhost" needs 10 bytes. */
	ck_assert_int_eq(rn_split_host_port("localhost:80", host, 9, port, sizeof port), -ENOSPC);
	ck_assert_str_eq(host, "");
	ck_assert_str_eq(port, "");
	ck_assert_int_eq(rn_split_host_port("localhost:80", host, 10, port, sizeof port), 0);
	ck_assert_str_eq(host, "localhost");
	ck_assert_str_eq(port, "80");
	/* port "http" needs 5 bytes. */
	ck_assert_int_eq(rn_split_host_port("localhost:http", host, sizeof host, port, 4), -ENOSPC);
	ck_assert_str_eq(host, "");
	ck_assert_str_eq(port, "");
	ck_assert_int_eq(rn_split_host_port("localhost:http", host, sizeof host, port, 5), 0);
	ck_assert_str_eq(port, "http");
	/* Size 0 for a non-NULL buffer that is needed fails (-ENOSPC or -EINVAL). */
	int rc = rn_split_host_port("a:1", host, 0, port, sizeof port);
	ck_assert_msg(rc == -ENOSPC || rc == -EINVAL, "rc %d", rc);
}
END_TEST

START_TEST(test_split_host_port_overlong)
{
	size_t n = 100 * 1024;
	char *in = tu_big_string(n, 'h');
	in[n - 3] = ':';
	char *host = malloc(n), *port = malloc(n);
	ck_assert(host && port);
	ck_assert_int_eq(rn_split_host_port(in, host, n, port, n), 0);
	ck_assert_uint_eq(strlen(host), n - 3);
	ck_assert_str_eq(port, "hh");
	/* Overlong and invalid: the error subject is cut, the call does not crash. */
	memset(in, ':', n);
	ck_assert_int_eq(rn_split_host_port(in, host, n, port, n), RN_EADDR);
	const rn_error *e = rn_last_error();
	ck_assert_str_eq(e->err, "too many colons in address");
	ck_assert_uint_lt(strnlen(e->subject, sizeof e->subject), sizeof e->subject);
	free(in);
	free(host);
	free(port);
}
END_TEST

static void join_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	const char *h = tu_jstr(c, "host"), *p = tu_jstr(c, "port"), *want = tu_jstr(c, "out");
	char buf[128];
	int n = rn_join_host_port(h, p, buf, sizeof buf);
	ck_assert_msg(n == (int)strlen(want) && strcmp(buf, want) == 0,
		      "%s: JoinHostPort(\"%s\", \"%s\") = \"%s\" (%d), want \"%s\"", file, h, p, buf, n,
		      want);
	/* Join then Split gives back the parts. */
	char hh[128], pp[128];
	ck_assert_msg(rn_split_host_port(buf, hh, sizeof hh, pp, sizeof pp) == 0 &&
			      strcmp(hh, h) == 0 && strcmp(pp, p) == 0,
		      "%s: SplitHostPort(JoinHostPort(\"%s\", \"%s\")) = \"%s\", \"%s\"", file, h, p, hh,
		      pp);
}

START_TEST(test_join_host_port_table)
{
	int rows = tu_for_each_case(join_files, join_row, NULL);
	ck_assert_int_eq(rows, 11 + 16);
}
END_TEST

START_TEST(test_join_host_port_small_buffers)
{
	char buf[16];
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_join_host_port("::1", "80", buf, 0), 8);
	ck_assert_int_eq(buf[0], 'X');
	ck_assert_int_eq(rn_join_host_port("::1", "80", NULL, 0), 8);
	ck_assert_int_eq(rn_join_host_port("::1", "80", buf, 1), 8);
	ck_assert_int_eq(buf[0], '\0');
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_join_host_port("::1", "80", buf, 8), 8);
	ck_assert_str_eq(buf, "[::1]:8");
	ck_assert_int_eq(buf[8], 'X');
}
END_TEST

START_TEST(test_join_host_port_null)
{
	char buf[16];
	ck_assert_int_eq(rn_join_host_port(NULL, "80", buf, sizeof buf), -EINVAL);
	ck_assert_int_eq(rn_join_host_port("h", NULL, buf, sizeof buf), -EINVAL);
}
END_TEST

START_TEST(test_join_host_port_overlong)
{
	size_t n = 100 * 1024;
	char *h = tu_big_string(n, ':');
	char *buf = malloc(n + 16);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(rn_join_host_port(h, "1", buf, n + 16), (int)n + 4);
	ck_assert_int_eq(buf[0], '[');
	ck_assert_str_eq(buf + n + 1, "]:1");
	char small[8];
	ck_assert_int_eq(rn_join_host_port(h, "1", small, sizeof small), (int)n + 4);
	ck_assert_str_eq(small, "[::::::");
	free(h);
	free(buf);
}
END_TEST

static Suite *hostport_suite(void)
{
	Suite *s = suite_create("hostport");
	TCase *tc = tu_tcase("split");
	tcase_add_test(tc, test_split_host_port_table);
	tcase_add_test(tc, test_split_host_port_null_outputs);
	tcase_add_test(tc, test_split_host_port_null_input);
	tcase_add_test(tc, test_split_host_port_empty);
	tcase_add_test(tc, test_split_host_port_small_buffers);
	tcase_add_test(tc, test_split_host_port_overlong);
	suite_add_tcase(s, tc);
	tc = tu_tcase("join");
	tcase_add_test(tc, test_join_host_port_table);
	tcase_add_test(tc, test_join_host_port_small_buffers);
	tcase_add_test(tc, test_join_host_port_null);
	tcase_add_test(tc, test_join_host_port_overlong);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(hostport_suite());
}
