/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_ipv4_control.c - ipv4.ControlMessage: NewControlMessage,
 * Marshal, Parse and String on Linux's layout, x/net/ipv4's fuzz inputs,
 * every malformed message Parse must refuse, and what the kernel itself
 * sends on a loopback socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ringnet/ipv4.h>

#include "testutil.h"

static const char *const control_files[] = { "xnet_ipv4_control.json", NULL };

static void fuzz_row(const cJSON *c, const char *file, void *arg)
{
	rn_ipv4_control_message *cm = arg;
	uint8_t b[256];
	size_t n = tu_hex_decode(tu_jstr(c, "input"), b, sizeof(b));
	int rc = rn_ipv4_control_message_parse(cm, b, n);

	/* Upstream only requires no crash; these inputs are all cut short. */
	ck_assert_msg(rc == 0 || rc == RN_ECMSG, "%s: Parse = %d", file, rc);
}

START_TEST(test_control_fuzz_table)
{
	rn_ipv4_control_message cm = { 0 };

	ck_assert_int_ge(tu_for_each_case(control_files, fuzz_row, &cm), 2);
}
END_TEST

/* Append one cmsg at @off of @b; returns the new offset. */
static size_t put_cmsg(uint8_t *b, size_t off, int level, int type, const void *data, size_t len)
{
	struct cmsghdr h = { .cmsg_len = CMSG_LEN(len), .cmsg_level = level, .cmsg_type = type };

	memset(b + off, 0, CMSG_SPACE(len));
	memcpy(b + off, &h, sizeof(h));
	memcpy(b + off + CMSG_LEN(0), data, len);
	return off + CMSG_SPACE(len);
}

START_TEST(test_parse_ttl_and_pktinfo)
{
	uint8_t b[128];
	int ttl = 300; /* an int, not a byte: Go's first-byte read would say 44 */
	struct in_pktinfo pi = { .ipi_ifindex = 7 };
	rn_ipv4_control_message cm = { 0 };
	char s[RN_IPV4_CONTROL_MESSAGE_STRLEN];
	size_t n = 0;
	int other = 1;

	inet_pton(AF_INET, "192.0.2.9", &pi.ipi_addr);
	inet_pton(AF_INET, "192.0.2.1", &pi.ipi_spec_dst);
	n = put_cmsg(b, n, SOL_SOCKET, SO_TIMESTAMP, &other, sizeof(other)); /* skipped */
	n = put_cmsg(b, n, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	n = put_cmsg(b, n, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, n), 0);
	ck_assert_int_eq(cm.ttl, 300);
	ck_assert_int_eq(cm.ifindex, 7);
	ck_assert_int_eq(cm.dst.len, 4);
	ck_assert(rn_ip_is_nil(cm.src));
	rn_ipv4_control_message_string(&cm, s, sizeof(s));
	ck_assert_str_eq(s, "ttl=300 src=<nil> dst=192.0.2.9 ifindex=7");
	rn_ipv4_control_message_string(NULL, s, sizeof(s));
	ck_assert_str_eq(s, "<nil>");
}
END_TEST

START_TEST(test_parse_last_message_without_padding)
{
	uint8_t b[64];
	int ttl = 9;
	rn_ipv4_control_message cm = { 0 };
	size_t n = put_cmsg(b, 0, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));

	/* CMSG_LEN(4) = 20: a buffer cut right after the data is whole. */
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, CMSG_LEN(sizeof(ttl))), 0);
	ck_assert_int_eq(cm.ttl, 9);
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, n), 0);
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, 0), 0);
}
END_TEST

START_TEST(test_parse_rejects_malformed)
{
	uint8_t b[128];
	int ttl = 64;
	struct in_pktinfo pi = { 0 };
	rn_ipv4_control_message cm = { 0 };
	struct cmsghdr h;
	size_t n = put_cmsg(b, 0, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));

	/* A header cut short. */
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, 8), RN_ECMSG);
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, n + 4), RN_ECMSG);
	/* Length beyond the buffer. */
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, CMSG_LEN(sizeof(ttl)) - 1),
			 RN_ECMSG);
	ck_assert_msg(strstr(rn_last_error()->err, "beyond the buffer") != NULL, "%s",
		      rn_last_error()->err);
	/* Length shorter than its own header, including 0 (would loop forever). */
	for (size_t l = 0; l < sizeof(h); l++) {
		memcpy(&h, b, sizeof(h));
		h.cmsg_len = l;
		memcpy(b, &h, sizeof(h));
		ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, n), RN_ECMSG);
	}
	/* Payloads of the wrong size. */
	n = put_cmsg(b, 0, IPPROTO_IP, IP_TTL, &ttl, 1);
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, n), RN_ECMSG);
	ck_assert_msg(strstr(rn_last_error()->err, "IP_TTL") != NULL, "%s", rn_last_error()->err);
	n = put_cmsg(b, 0, IPPROTO_IP, IP_PKTINFO, &pi, 8);
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, n), RN_ECMSG);
	n = put_cmsg(b, 0, IPPROTO_IP, IP_PKTINFO, b + 64, 16);
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, b, n), RN_ECMSG);
	ck_assert_int_eq(rn_ipv4_control_message_parse(NULL, b, n), -EINVAL);
}
END_TEST

START_TEST(test_parse_flags_reports_ctrunc)
{
	uint8_t b[64];
	int ttl = 64;
	rn_ipv4_control_message cm = { 0 };
	size_t n = put_cmsg(b, 0, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));

	ck_assert_int_eq(rn_ipv4_control_message_parse_flags(&cm, b, n, 0), 0);
	ck_assert_int_eq(rn_ipv4_control_message_parse_flags(&cm, b, n, MSG_CTRUNC), RN_ECTRUNC);
	ck_assert_str_eq(rn_last_error()->err, "control message truncated");
	ck_assert_int_eq(cm.ttl, 64); /* what arrived whole is kept */
}
END_TEST

START_TEST(test_new_control_message_sizes)
{
	uint8_t b[128];

	memset(b, 0xff, sizeof(b));
	ck_assert_int_eq(rn_ipv4_new_control_message(0, NULL, 0), 0);
	ck_assert_int_eq(rn_ipv4_new_control_message(RN_IPV4_FLAG_TTL, NULL, 0),
			 (int)CMSG_SPACE(sizeof(int)));
	ck_assert_int_eq(rn_ipv4_new_control_message(RN_IPV4_FLAG_DST | RN_IPV4_FLAG_INTERFACE,
						     NULL, 0),
			 (int)CMSG_SPACE(sizeof(struct in_pktinfo)));
	ssize_t all = rn_ipv4_new_control_message(0xf, b, sizeof(b));
	ck_assert_int_le(all, RN_IPV4_CONTROL_MESSAGE_SPACE);
	for (ssize_t i = 0; i < all; i++)
		ck_assert_int_eq(b[i], 0);
	ck_assert_int_eq(b[all], 0xff);
	ck_assert_int_eq(rn_ipv4_new_control_message(0xf, b, (size_t)all - 1), RN_ESHORTBUF);
}
END_TEST

START_TEST(test_marshal_pktinfo)
{
	uint8_t b[64];
	rn_ipv4_control_message cm = { .ttl = 5 };
	struct cmsghdr h;
	struct in_pktinfo pi;

	ck_assert_int_eq(rn_ipv4_control_message_marshal(NULL, b, sizeof(b)), 0);
	ck_assert_int_eq(rn_ipv4_control_message_marshal(&cm, b, sizeof(b)), 0); /* TTL alone: nothing */
	cm.src = rn_ipv4(127, 0, 0, 1);
	cm.ifindex = 1;
	ck_assert_int_eq(rn_ipv4_control_message_marshal(&cm, b, sizeof(b)),
			 (int)CMSG_SPACE(sizeof(pi)));
	memcpy(&h, b, sizeof(h));
	ck_assert_int_eq(h.cmsg_level, IPPROTO_IP);
	ck_assert_int_eq(h.cmsg_type, IP_PKTINFO);
	ck_assert_uint_eq(h.cmsg_len, CMSG_LEN(sizeof(pi)));
	memcpy(&pi, b + CMSG_LEN(0), sizeof(pi));
	ck_assert_int_eq(pi.ipi_ifindex, 1);
	ck_assert_uint_eq(pi.ipi_spec_dst.s_addr, htonl(INADDR_LOOPBACK));
	ck_assert_uint_eq(pi.ipi_addr.s_addr, 0);
	ck_assert_int_eq(rn_ipv4_control_message_marshal(&cm, b, 16), RN_ESHORTBUF);
	/* An IPv6 source is not an IPv4 source: with no ifindex, nothing. */
	cm.src = tu_ip_hex("20010db8000000000000000000000001");
	cm.ifindex = 0;
	ck_assert_int_eq(rn_ipv4_control_message_marshal(&cm, b, sizeof(b)), 0);
}
END_TEST

/* What the kernel really sends parses: IP_RECVTTL and IP_PKTINFO on lo. */
START_TEST(test_parse_kernel_control_data)
{
	int r = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int w = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int on = 1, ttl = 33;
	char data[4], oob[RN_IPV4_CONTROL_MESSAGE_SPACE];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = oob,
			    .msg_controllen = sizeof(oob) };
	rn_ipv4_control_message cm = { 0 };

	ck_assert_int_ge(r, 0);
	ck_assert_int_ge(w, 0);
	ck_assert_int_eq(bind(r, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(r, (struct sockaddr *)&a, &al), 0);
	ck_assert_int_eq(setsockopt(r, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on)), 0);
	ck_assert_int_eq(setsockopt(r, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)), 0);
	ck_assert_int_eq(setsockopt(w, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	ck_assert_int_eq(sendto(w, "ping", 4, 0, (struct sockaddr *)&a, sizeof(a)), 4);
	ck_assert_int_eq(recvmsg(r, &m, 0), 4);
	ck_assert_int_eq(rn_ipv4_control_message_parse_flags(&cm, oob, m.msg_controllen,
							     m.msg_flags),
			 0);
	ck_assert_int_eq(cm.ttl, 33);
	ck_assert_int_eq(cm.ifindex, 1); /* lo */
	ck_assert(rn_ip_equal(cm.dst, rn_ipv4(127, 0, 0, 1)));
	/* The space NewControlMessage gives is enough for what the kernel sent. */
	ck_assert_int_le(m.msg_controllen, rn_ipv4_new_control_message(0xf, NULL, 0));
	close(r);
	close(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipv4_control");
	TCase *tc = tcase_create("control");

	tcase_add_checked_fixture(tc, tu_fd_setup, tu_fd_teardown);
	tcase_add_test(tc, test_control_fuzz_table);
	tcase_add_test(tc, test_parse_ttl_and_pktinfo);
	tcase_add_test(tc, test_parse_last_message_without_padding);
	tcase_add_test(tc, test_parse_rejects_malformed);
	tcase_add_test(tc, test_parse_flags_reports_ctrunc);
	tcase_add_test(tc, test_new_control_message_sizes);
	tcase_add_test(tc, test_marshal_pktinfo);
	tcase_add_test(tc, test_parse_kernel_control_data);
	suite_add_tcase(s, tc);
	return rn_test_main(s);
}
