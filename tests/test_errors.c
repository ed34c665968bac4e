/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_errors.c - rn_error_string renders every error kind exactly as
 * Go's Error() does (net.go, os.SyscallError, DNSError), OpError nesting,
 * snprintf semantics, rn_strerror, and Timeout()/Temporary() per Go's rules.
 * Errors are built with the internal setters, as the library's callers do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "api/errors.h"

static const char *render(char *buf, size_t size)
{
	rn_error_string(NULL, buf, size);
	return buf;
}

static rn_addr tcp_addr(const char *ip, int port)
{
	rn_tcpaddr t;
	memset(&t, 0, sizeof t);
	t.ip = rn_parse_ip(ip);
	t.port = port;
	return rn_addr_from_tcp(&t);
}

static rn_addr udp_addr(const char *ip, int port)
{
	rn_udpaddr u;
	memset(&u, 0, sizeof u);
	u.ip = rn_parse_ip(ip);
	u.port = port;
	return rn_addr_from_udp(&u);
}

START_TEST(test_no_error_is_nil)
{
	rn_clear_error();
	char buf[16];
	ck_assert_int_eq(rn_error_string(NULL, buf, sizeof buf), 5);
	ck_assert_str_eq(buf, "<nil>");
	ck_assert_int_eq(rn_last_error()->kind, RN_ERR_NONE);
	ck_assert(!rn_error_timeout(NULL));
	ck_assert(!rn_error_temporary(NULL));
}
END_TEST

START_TEST(test_addr_error_text)
{
	char buf[128];
	ck_assert_int_eq(rni_err_addr("missing port in address", "golang.org"), RN_EADDR);
	ck_assert_str_eq(render(buf, sizeof buf), "address golang.org: missing port in address");
	const rn_error *e = rn_last_error();
	ck_assert_int_eq(e->kind, RN_ERR_ADDR);
	ck_assert_int_eq(e->code, RN_EADDR);
	ck_assert(!e->op_error);
	/* Empty Addr: just the Err text. */
	rni_err_addr("no suitable address found", "");
	ck_assert_str_eq(render(buf, sizeof buf), "no suitable address found");
	rni_err_addr_n("invalid port", "99999xyz", 5);
	ck_assert_str_eq(render(buf, sizeof buf), "address 99999: invalid port");
}
END_TEST

START_TEST(test_parse_error_text)
{
	char buf[128];
	ck_assert_int_eq(rni_err_parse("CIDR address", "192.168.1.1/35"), RN_EPARSE);
	ck_assert_str_eq(render(buf, sizeof buf), "invalid CIDR address: 192.168.1.1/35");
	rni_err_parse_n("IP address", "1.2.3.999 and more", 9);
	ck_assert_str_eq(render(buf, sizeof buf), "invalid IP address: 1.2.3.999");
	rni_err_parse("IP address", "");
	ck_assert_str_eq(render(buf, sizeof buf), "invalid IP address: ");
}
END_TEST

START_TEST(test_unknown_network_and_invalid_addr_text)
{
	char buf[128];
	ck_assert_int_eq(rni_err_unknown_network("http"), RN_EUNKNOWNNET);
	ck_assert_str_eq(render(buf, sizeof buf), "unknown network http");
	ck_assert_int_eq(rn_last_error()->kind, RN_ERR_UNKNOWN_NETWORK);
	rni_err_unknown_network("");
	ck_assert_str_eq(render(buf, sizeof buf), "unknown network ");
	ck_assert_int_eq(rni_err_invalid_addr("invalid address"), RN_EINVALIDADDR);
	ck_assert_str_eq(render(buf, sizeof buf), "invalid address");
	ck_assert_int_eq(rn_last_error()->kind, RN_ERR_INVALID_ADDR);
}
END_TEST

START_TEST(test_dns_error_text)
{
	char buf[128];
	ck_assert_int_eq(rni_err_dns(RN_EDNS_NOTFOUND, "no such host", "nosuch.invalid", NULL),
			 RN_EDNS_NOTFOUND);
	ck_assert_str_eq(render(buf, sizeof buf), "lookup nosuch.invalid: no such host");
	const rn_error *e = rn_last_error();
	ck_assert_int_eq(e->kind, RN_ERR_DNS);
	ck_assert(e->is_not_found);
	ck_assert(!e->is_timeout);
	rni_err_dns(RN_EDNS_NOTFOUND, "no such host", "nosuch.invalid", "127.0.0.53:53");
	ck_assert_str_eq(render(buf, sizeof buf),
			 "lookup nosuch.invalid on 127.0.0.53:53: no such host");
	rni_err_dns(RN_EDNS_TIMEOUT, "i/o timeout", "example.com", "[::1]:53");
	ck_assert_str_eq(render(buf, sizeof buf), "lookup example.com on [::1]:53: i/o timeout");
	ck_assert(rn_last_error()->is_timeout);
	rni_err_dns(RN_EDNS_TEMPORARY, "server misbehaving", "example.com", "");
	ck_assert_str_eq(render(buf, sizeof buf), "lookup example.com: server misbehaving");
	ck_assert(rn_last_error()->is_temporary);
}
END_TEST

START_TEST(test_sentinel_texts)
{
	static const struct {
		int code;
		const char *text;
	} rows[] = {
		{ RN_ECLOSED, "use of closed network connection" },
		{ RN_ETIMEOUT, "i/o timeout" },
		{ RN_ECANCELED, "context canceled" },
		{ RN_EDEADLINE, "context deadline exceeded" },
		{ RN_EOPCANCELED, "operation was canceled" },
		{ RN_EMISSINGADDR, "missing address" },
		{ RN_EWRITETOCONNECTED, "use of WriteTo with pre-connected connection" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char buf[128];
		ck_assert_int_eq(rni_err_sentinel(rows[i].code), rows[i].code);
		ck_assert_int_eq(rn_last_error()->kind, RN_ERR_SENTINEL);
		ck_assert_msg(strcmp(render(buf, sizeof buf), rows[i].text) == 0,
			      "sentinel %d renders \"%s\", want \"%s\"", rows[i].code, buf, rows[i].text);
		ck_assert_msg(strcmp(rn_strerror(rows[i].code), rows[i].text) == 0,
			      "rn_strerror(%d) = \"%s\", want \"%s\"", rows[i].code,
			      rn_strerror(rows[i].code), rows[i].text);
	}
}
END_TEST

START_TEST(test_errno_text)
{
	char buf[128];
	ck_assert_int_eq(rni_err_errno(ECONNREFUSED, "connect"), -ECONNREFUSED);
	ck_assert_str_eq(render(buf, sizeof buf), "connect: connection refused");
	const rn_error *e = rn_last_error();
	ck_assert_int_eq(e->kind, RN_ERR_ERRNO);
	ck_assert_int_eq(e->errnum, ECONNREFUSED);
	ck_assert_str_eq(e->syscall, "connect");
	rni_err_errno(EPIPE, NULL);
	ck_assert_str_eq(render(buf, sizeof buf), "broken pipe");
}
END_TEST

START_TEST(test_strerror_errno)
{
	/* Go's syscall.Errno texts (zerrors_linux_amd64.go). */
	static const struct {
		int errnum;
		const char *text;
	} rows[] = {
		{ ECONNREFUSED, "connection refused" },
		{ ECONNRESET, "connection reset by peer" },
		{ EPIPE, "broken pipe" },
		{ EAGAIN, "resource temporarily unavailable" },
		{ ETIMEDOUT, "connection timed out" },
		{ EADDRINUSE, "address already in use" },
		{ ENOENT, "no such file or directory" },
		{ EINVAL, "invalid argument" },
		{ EMFILE, "too many open files" },
		{ ENETUNREACH, "network is unreachable" },
		{ EHOSTUNREACH, "no route to host" },
		{ EACCES, "permission denied" },
		{ EINTR, "interrupted system call" },
		{ EADDRNOTAVAIL, "cannot assign requested address" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		ck_assert_msg(strcmp(rn_strerror(-rows[i].errnum), rows[i].text) == 0,
			      "rn_strerror(-%d) = \"%s\", want \"%s\"", rows[i].errnum,
			      rn_strerror(-rows[i].errnum), rows[i].text);
	/* Typed errors and unknown codes: some non-empty text, never NULL. */
	static const int others[] = { RN_EADDR, RN_EPARSE, RN_EUNKNOWNNET, RN_EINVALIDADDR,
				      RN_EDNS_NOTFOUND, RN_EDNS, 0, -99999, -4095, 12345 };
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		const char *s = rn_strerror(others[i]);
		ck_assert_msg(s != NULL && s[0] != '\0', "rn_strerror(%d) empty", others[i]);
	}
}
END_TEST

START_TEST(test_op_error_dial_refused)
{
	char buf[128];
	rn_addr raddr = tcp_addr("127.0.0.1", 1);
	rni_err_errno(ECONNREFUSED, "connect");
	ck_assert_int_eq(rni_err_op("dial", "tcp", NULL, &raddr), -ECONNREFUSED);
	ck_assert_str_eq(render(buf, sizeof buf), "dial tcp 127.0.0.1:1: connect: connection refused");
	const rn_error *e = rn_last_error();
	ck_assert(e->op_error);
	ck_assert_str_eq(e->op, "dial");
	ck_assert_str_eq(e->net, "tcp");
	ck_assert_int_eq(e->addr.kind, RN_ADDR_TCP);
	ck_assert_int_eq(e->source.kind, RN_ADDR_NONE);
	ck_assert_int_eq(e->kind, RN_ERR_ERRNO);
}
END_TEST

START_TEST(test_op_error_source_and_addr)
{
	char buf[128];
	rn_addr src = udp_addr("127.0.0.1", 5000), dst = udp_addr("127.0.0.1", 6000);
	rni_err_text(-EIO, "x");
	rni_err_op("read", "udp", &src, &dst);
	ck_assert_str_eq(render(buf, sizeof buf), "read udp 127.0.0.1:5000->127.0.0.1:6000: x");
	rn_addr s4 = tcp_addr("127.0.0.1", 40000), d4 = tcp_addr("127.0.0.1", 8080);
	rni_err_sentinel(RN_ETIMEOUT);
	rni_err_op("read", "tcp", &s4, &d4);
	ck_assert_str_eq(render(buf, sizeof buf),
			 "read tcp 127.0.0.1:40000->127.0.0.1:8080: i/o timeout");
}
END_TEST

START_TEST(test_op_error_optional_parts)
{
	char buf[256];
	/* No Net, no addresses. */
	rni_err_sentinel(RN_ECLOSED);
	rni_err_op("close", "", NULL, NULL);
	ck_assert_str_eq(render(buf, sizeof buf), "close: use of closed network connection");
	/* Net, no addresses, wrapping an AddrError. */
	rni_err_addr("missing port in address", "golang.org");
	rni_err_op("dial", "tcp", NULL, NULL);
	ck_assert_str_eq(render(buf, sizeof buf),
			 "dial tcp: address golang.org: missing port in address");
	/* Source only: " " then the source, no arrow. */
	rn_addr src = tcp_addr("::1", 9);
	rni_err_sentinel(RN_ECLOSED);
	rni_err_op("accept", "tcp6", &src, NULL);
	ck_assert_str_eq(render(buf, sizeof buf), "accept tcp6 [::1]:9: use of closed network connection");
	/* Wrapping a DNSError and an UnknownNetworkError. */
	rni_err_dns(RN_EDNS_NOTFOUND, "no such host", "nosuch.invalid", NULL);
	rni_err_op("dial", "tcp", NULL, NULL);
	ck_assert_str_eq(render(buf, sizeof buf), "dial tcp: lookup nosuch.invalid: no such host");
	rni_err_unknown_network("http");
	rni_err_op("dial", "http", NULL, NULL);
	ck_assert_str_eq(render(buf, sizeof buf), "dial http: unknown network http");
	/* A unix address and an IPNet address. */
	rn_unixaddr un;
	memset(&un, 0, sizeof un);
	strcpy(un.name, "/tmp/s");
	strcpy(un.net, "unix");
	rn_addr ua = rn_addr_from_unix(&un);
	rni_err_errno(ENOENT, "connect");
	rni_err_op("dial", "unix", NULL, &ua);
	ck_assert_str_eq(render(buf, sizeof buf), "dial unix /tmp/s: connect: no such file or directory");
}
END_TEST

START_TEST(test_error_string_snprintf)
{
	rni_err_unknown_network("http"); /* "unknown network http" = 20 */
	char buf[32];
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_error_string(NULL, NULL, 0), 20);
	ck_assert_int_eq(rn_error_string(NULL, buf, 0), 20);
	ck_assert_int_eq(buf[0], 'X');
	ck_assert_int_eq(rn_error_string(NULL, buf, 1), 20);
	ck_assert_int_eq(buf[0], '\0');
	ck_assert_int_eq(buf[1], 'X');
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_error_string(NULL, buf, 20), 20);
	ck_assert_str_eq(buf, "unknown network htt");
	ck_assert_int_eq(buf[20], 'X');
	ck_assert_int_eq(rn_error_string(NULL, buf, 21), 20);
	ck_assert_str_eq(buf, "unknown network http");
	ck_assert_int_eq(rn_error_string(NULL, NULL, 5), -EINVAL);
}
END_TEST

START_TEST(test_error_string_of_copy)
{
	rni_err_parse("CIDR address", "1.2.3.4/99");
	rn_error copy = *rn_last_error();
	rni_err_unknown_network("foo");
	char buf[64];
	rn_error_string(&copy, buf, sizeof buf);
	ck_assert_str_eq(buf, "invalid CIDR address: 1.2.3.4/99");
	rn_error_string(NULL, buf, sizeof buf);
	ck_assert_str_eq(buf, "unknown network foo");
	rn_error none;
	memset(&none, 0, sizeof none);
	rn_error_string(&none, buf, sizeof buf);
	ck_assert_str_eq(buf, "<nil>");
}
END_TEST

START_TEST(test_long_subject_is_cut)
{
	char *big = tu_big_string(100 * 1024, 'a');
	rni_err_addr("missing port in address", big);
	const rn_error *e = rn_last_error();
	size_t n = strnlen(e->subject, sizeof e->subject);
	ck_assert_uint_lt(n, sizeof e->subject);
	ck_assert_str_eq(e->subject + n - 3, "...");
	char out[4096];
	int len = rn_error_string(NULL, out, sizeof out);
	ck_assert_int_eq(len, (int)strlen(out));
	ck_assert(strncmp(out, "address aaaa", 12) == 0);
	ck_assert_str_eq(out + len - 28, "...: missing port in address");
	free(big);
}
END_TEST

START_TEST(test_success_leaves_last_error)
{
	rni_err_unknown_network("keep");
	ck_assert(rn_parse_ip("1.2.3.4").len == 16);
	rn_tcpaddr t;
	ck_assert_int_eq(rn_resolve_tcp_addr("tcp", "1.2.3.4:1", &t), 0);
	char buf[64];
	rn_error_string(NULL, buf, sizeof buf);
	ck_assert_str_eq(buf, "unknown network keep");
	rn_clear_error();
	rn_error_string(NULL, buf, sizeof buf);
	ck_assert_str_eq(buf, "<nil>");
}
END_TEST

/* ---- Timeout() / Temporary() ---------------------------------------------------- */

static void expect_tt(const char *what, bool timeout, bool temporary)
{
	ck_assert_msg(rn_error_timeout(NULL) == timeout, "%s: Timeout() = %d", what, !timeout);
	ck_assert_msg(rn_error_temporary(NULL) == temporary, "%s: Temporary() = %d", what, !temporary);
	rn_error copy = *rn_last_error();
	ck_assert(rn_error_timeout(&copy) == timeout);
	ck_assert(rn_error_temporary(&copy) == temporary);
}

START_TEST(test_timeout_temporary_errno)
{
	rn_addr a = tcp_addr("127.0.0.1", 1);
	/* syscall.Errno: Timeout for EAGAIN/ETIMEDOUT, Temporary also for EINTR/EMFILE/ENFILE. */
	rni_err_errno(ETIMEDOUT, "connect");
	rni_err_op("dial", "tcp", NULL, &a);
	expect_tt("dial ETIMEDOUT", true, true);
	rni_err_errno(EAGAIN, "read");
	rni_err_op("read", "tcp", NULL, &a);
	expect_tt("read EAGAIN", true, true);
	rni_err_errno(EMFILE, "accept4");
	rni_err_op("accept", "tcp", NULL, &a);
	expect_tt("accept EMFILE", false, true);
	rni_err_errno(EINTR, "connect");
	rni_err_op("dial", "tcp", NULL, &a);
	expect_tt("dial EINTR", false, true);
	rni_err_errno(ENFILE, "socket");
	rni_err_op("dial", "tcp", NULL, NULL);
	expect_tt("dial ENFILE", false, true);
	rni_err_errno(ECONNREFUSED, "connect");
	rni_err_op("dial", "tcp", NULL, &a);
	expect_tt("dial ECONNREFUSED", false, false);
	/* A bare Errno. */
	rni_err_errno(ETIMEDOUT, NULL);
	expect_tt("bare ETIMEDOUT", true, true);
	rni_err_errno(EPIPE, NULL);
	expect_tt("bare EPIPE", false, false);
}
END_TEST

START_TEST(test_timeout_temporary_accept_conn_errors)
{
	/* OpError.Temporary: accept with a bare ECONNRESET/ECONNABORTED is temporary... */
	rni_err_errno(ECONNRESET, NULL);
	rni_err_op("accept", "tcp", NULL, NULL);
	expect_tt("accept bare ECONNRESET", false, true);
	rni_err_errno(ECONNABORTED, NULL);
	rni_err_op("accept", "tcp", NULL, NULL);
	expect_tt("accept bare ECONNABORTED", false, true);
	/* ...but not from another op, nor inside an os.SyscallError. */
	rni_err_errno(ECONNRESET, NULL);
	rni_err_op("read", "tcp", NULL, NULL);
	expect_tt("read bare ECONNRESET", false, false);
	rni_err_errno(ECONNRESET, "accept4");
	rni_err_op("accept", "tcp", NULL, NULL);
	expect_tt("accept SyscallError ECONNRESET", false, false);
}
END_TEST

START_TEST(test_timeout_temporary_sentinels_and_types)
{
	rni_err_sentinel(RN_ETIMEOUT);
	expect_tt("i/o timeout", true, true);
	rni_err_sentinel(RN_ETIMEOUT);
	rni_err_op("read", "tcp", NULL, NULL);
	expect_tt("read: i/o timeout", true, true);
	rni_err_sentinel(RN_EDEADLINE);
	expect_tt("context deadline exceeded", true, true);
	rni_err_sentinel(RN_ECANCELED);
	expect_tt("context canceled", false, false);
	rni_err_sentinel(RN_ECLOSED);
	rni_err_op("read", "tcp", NULL, NULL);
	expect_tt("closed", false, false);
	rni_err_sentinel(RN_EOPCANCELED);
	rni_err_op("dial", "tcp", NULL, NULL);
	expect_tt("operation was canceled", false, false);
	rni_err_addr("missing port in address", "x");
	expect_tt("AddrError", false, false);
	rni_err_parse("IP address", "x");
	expect_tt("ParseError", false, false);
	rni_err_unknown_network("x");
	expect_tt("UnknownNetworkError", false, false);
	rni_err_invalid_addr("x");
	expect_tt("InvalidAddrError", false, false);
}
END_TEST

START_TEST(test_timeout_temporary_dns)
{
	/* DNSError: Timeout = IsTimeout; Temporary = IsTimeout || IsTemporary. */
	rni_err_dns(RN_EDNS_TIMEOUT, "i/o timeout", "example.com", "");
	expect_tt("DNS timeout", true, true);
	rni_err_dns(RN_EDNS_TEMPORARY, "server misbehaving", "example.com", "");
	expect_tt("DNS temporary", false, true);
	rni_err_dns(RN_EDNS_NOTFOUND, "no such host", "example.com", "");
	expect_tt("DNS not found", false, false);
	rni_err_dns(RN_EDNS_TIMEOUT, "i/o timeout", "example.com", "");
	rni_err_op("dial", "tcp", NULL, NULL);
	expect_tt("dial: DNS timeout", true, true);
}
END_TEST

static Suite *errors_suite(void)
{
	Suite *s = suite_create("errors");
	TCase *tc = tu_tcase("text");
	tcase_add_test(tc, test_no_error_is_nil);
	tcase_add_test(tc, test_addr_error_text);
	tcase_add_test(tc, test_parse_error_text);
	tcase_add_test(tc, test_unknown_network_and_invalid_addr_text);
	tcase_add_test(tc, test_dns_error_text);
	tcase_add_test(tc, test_sentinel_texts);
	tcase_add_test(tc, test_errno_text);
	tcase_add_test(tc, test_strerror_errno);
	tcase_add_test(tc, test_op_error_dial_refused);
	tcase_add_test(tc, test_op_error_source_and_addr);
	tcase_add_test(tc, test_op_error_optional_parts);
	tcase_add_test(tc, test_error_string_snprintf);
	tcase_add_test(tc, test_error_string_of_copy);
	tcase_add_test(tc, test_long_subject_is_cut);
	tcase_add_test(tc, test_success_leaves_last_error);
	suite_add_tcase(s, tc);
	tc = tu_tcase("net.Error");
	tcase_add_test(tc, test_timeout_temporary_errno);
	tcase_add_test(tc, test_timeout_temporary_accept_conn_errors);
	tcase_add_test(tc, test_timeout_temporary_sentinels_and_types);
	tcase_add_test(tc, test_timeout_temporary_dns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(errors_suite());
}
