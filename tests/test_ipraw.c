/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_ipraw.c - IP conns as Go's net.IPConn: ListenPacket and Dial on
 * "ip4:icmp", "ip4:1" and "ip6:ipv6-icmp", an ICMP echo to loopback answered
 * by the kernel and read back through ReadFromIP (IPv4 header stripped),
 * Read (header kept), ReadFrom and ReadMsgIP with IP_TTL / IP_PKTINFO
 * control messages, WriteTo / WriteToIP / WriteMsgIP, Control and
 * SO_REUSEPORT on ListenConfig, Go's error texts, read deadlines, Close from
 * another thread waking a blocked ReadFromIP, and the IPConn calls refusing a
 * TCP conn.
 *
 * Raw sockets need CAP_NET_RAW: each test is skipped, with the reason
 * printed, when socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) fails with EPERM
 * (and the IPv6 tests when ::1 is unavailable).
 *
 * Only loopback addresses (127.0.0.1, ::1) are used; nothing is ever sent
 * elsewhere.  A raw ICMP socket sees every ICMP packet of the host, so reads
 * skip packets that are not the echo reply with this test's identifier;
 * the deadline and Close tests use protocol 253 (reserved for
 * experimentation), which nothing on loopback sends.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

static const char *last_error(void)
{
	static char buf[2048];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

static void assert_error(const char *want)
{
	ck_assert_str_eq(last_error(), want);
}

static const char *astr(rn_addr a)
{
	static char buf[RN_ADDR_STRLEN];

	rn_addr_string(&a, buf, sizeof buf);
	return buf;
}

static const char *ipstr(const rn_ipaddr *a)
{
	static char buf[RN_ADDR_STRLEN];

	rn_ipaddr_string(a, buf, sizeof buf);
	return buf;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static rn_ipaddr ipaddr(const char *s)
{
	rn_ipaddr a;

	memset(&a, 0, sizeof a);
	a.ip = rn_parse_ip(s);
	ck_assert_int_ne(a.ip.len, 0);
	return a;
}

/* Whether raw ICMPv6 sockets on ::1 can be made here; prints why not. */
static bool need_raw6(const char *test)
{
	struct sockaddr_in6 sin6;
	int s;

	if (!tu_need_raw4(test))
		return false;
	s = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (s < 0) {
		printf("SKIP %s: no IPv6 raw socket (%s)\n", test, strerror(errno));
		return false;
	}
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (bind(s, (struct sockaddr *)&sin6, sizeof sin6) < 0) {
		printf("SKIP %s: ::1 unavailable (%s)\n", test, strerror(errno));
		close(s);
		return false;
	}
	close(s);
	return true;
}

/* The Internet checksum (RFC 1071). */
static uint16_t cksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static atomic_int next_seq = 1;

static uint16_t echo_id(void)
{
	return (uint16_t)(getpid() & 0xffff);
}

/*
 * An ICMP echo request of type @type (8 for ICMPv4, 128 for ICMPv6; the
 * kernel fills an ICMPv6 checksum) with identifier echo_id(), sequence
 * *@seq (a fresh one) and a 16-byte payload.  Returns its length.
 */
static size_t build_echo(uint8_t *b, uint8_t type, uint16_t *seq)
{
	uint16_t id = echo_id(), sum;

	*seq = (uint16_t)atomic_fetch_add(&next_seq, 1);
	memset(b, 0, 24);
	b[0] = type;
	b[1] = 0;
	b[4] = (uint8_t)(id >> 8);
	b[5] = (uint8_t)id;
	b[6] = (uint8_t)(*seq >> 8);
	b[7] = (uint8_t)*seq;
	memcpy(b + 8, "ringnet-ipraw-16", 16);
	if (type == 8) {
		sum = cksum(b, 24);
		b[2] = (uint8_t)(sum >> 8);
		b[3] = (uint8_t)sum;
	}
	return 24;
}

/* Whether @p (@n bytes of ICMP) is the reply of type @type to our request @seq. */
static bool is_reply(const uint8_t *p, ssize_t n, uint8_t type, uint16_t seq)
{
	return n >= 24 && p[0] == type && p[1] == 0 && (p[4] << 8 | p[5]) == echo_id() &&
	       (p[6] << 8 | p[7]) == seq && !memcmp(p + 8, "ringnet-ipraw-16", 16);
}

static void set_read_guard(rn_conn *c, int ms)
{
	ck_assert_int_eq(rn_conn_set_read_deadline(c, rn_time_add(rn_now(), ms * RN_MILLISECOND)), 0);
}

/* ---- IPv4 ICMP ------------------------------------------------------------------ */

START_TEST(test_listen_read_from_ip_strips_header)
{
	uint8_t req[64], buf[512];
	rn_ipaddr to = ipaddr("127.0.0.1"), from;
	rn_addr la;
	uint16_t seq;
	size_t len;
	ssize_t n;
	rn_conn *l;

	if (!tu_need_raw4(__func__))
		return;
	l = rn_listen_packet("ip4:icmp", "127.0.0.1");
	ck_assert_msg(l != NULL, "%s", last_error());
	la = rn_conn_local_addr(l);
	ck_assert_int_eq(la.kind, RN_ADDR_IP);
	ck_assert_str_eq(astr(la), "127.0.0.1");
	ck_assert_str_eq(rn_addr_network(&la), "ip");
	ck_assert_int_eq(rn_conn_remote_addr(l).kind, RN_ADDR_NONE);

	len = build_echo(req, 8, &seq);
	ck_assert_int_eq(rn_ipconn_write_to_ip(l, req, len, &to), (ssize_t)len);
	set_read_guard(l, 3000);
	do {
		n = rn_ipconn_read_from_ip(l, buf, sizeof buf, &from);
		ck_assert_msg(n >= 0, "%s", last_error());
	} while (!is_reply(buf, n, 0, seq));
	/* The header is gone: the ICMP message, whole, with a valid checksum. */
	ck_assert_int_eq(n, (ssize_t)len);
	ck_assert_int_eq(cksum(buf, (size_t)n), 0);
	ck_assert_str_eq(ipstr(&from), "127.0.0.1");
	ck_assert_int_eq(from.ip.len, 4);

	/* PacketConn forms: WriteTo takes an IPAddr, ReadFrom strips the header too. */
	{
		rn_addr dst = rn_addr_from_ip(&to), src;

		len = build_echo(req, 8, &seq);
		ck_assert_int_eq(rn_conn_write_to(l, req, len, &dst), (ssize_t)len);
		do {
			n = rn_conn_read_from(l, buf, sizeof buf, &src);
			ck_assert_msg(n >= 0, "%s", last_error());
		} while (!is_reply(buf, n, 0, seq));
		ck_assert_int_eq(n, (ssize_t)len);
		ck_assert_int_eq(src.kind, RN_ADDR_IP);
		ck_assert_str_eq(astr(src), "127.0.0.1");
	}
	rn_conn_free(l);
}
END_TEST

/* Read until the echo reply to @seq arrives with its IPv4 header; returns the header length. */
static size_t read_reply_with_header(rn_conn *c, uint8_t *buf, size_t cap, uint16_t seq,
				     ssize_t *np)
{
	ssize_t n;
	size_t hl;

	for (;;) {
		n = rn_conn_read(c, buf, cap);
		ck_assert_msg(n > 0, "%s", last_error());
		ck_assert_int_eq(buf[0] >> 4, 4);
		hl = (size_t)(buf[0] & 0x0f) * 4;
		if ((size_t)n > hl && is_reply(buf + hl, n - (ssize_t)hl, 0, seq))
			break;
	}
	*np = n;
	return hl;
}

START_TEST(test_dial_read_keeps_header)
{
	uint8_t req[64], buf[512];
	uint16_t seq;
	size_t len, hl;
	ssize_t n;
	rn_conn *c;

	if (!tu_need_raw4(__func__))
		return;
	c = rn_dial("ip4:icmp", "127.0.0.1");
	ck_assert_msg(c != NULL, "%s", last_error());
	ck_assert_int_eq(rn_conn_local_addr(c).kind, RN_ADDR_IP);
	ck_assert_str_eq(astr(rn_conn_local_addr(c)), "127.0.0.1");
	ck_assert_int_eq(rn_conn_remote_addr(c).kind, RN_ADDR_IP);
	ck_assert_str_eq(astr(rn_conn_remote_addr(c)), "127.0.0.1");

	len = build_echo(req, 8, &seq);
	ck_assert_int_eq(rn_conn_write(c, req, len), (ssize_t)len);
	set_read_guard(c, 3000);
	hl = read_reply_with_header(c, buf, sizeof buf, seq, &n);
	ck_assert_int_eq(buf[0], 0x45); /* version 4, 20-byte header */
	ck_assert_int_eq(hl, 20);
	ck_assert_int_eq(n, (ssize_t)(20 + len));
	ck_assert_int_eq(buf[9], IPPROTO_ICMP);
	ck_assert_int_eq(cksum(buf, 20), 0);
	rn_conn_free(c);
}
END_TEST

START_TEST(test_numeric_protocol)
{
	uint8_t req[64], buf[512];
	rn_ipaddr from;
	uint16_t seq;
	size_t len;
	ssize_t n;
	rn_conn *c;

	if (!tu_need_raw4(__func__))
		return;
	c = rn_dial("ip4:1", "127.0.0.1");
	ck_assert_msg(c != NULL, "%s", last_error());
	len = build_echo(req, 8, &seq);
	ck_assert_int_eq(rn_conn_write(c, req, len), (ssize_t)len);
	set_read_guard(c, 3000);
	do {
		n = rn_ipconn_read_from_ip(c, buf, sizeof buf, &from);
		ck_assert_msg(n >= 0, "%s", last_error());
	} while (!is_reply(buf, n, 0, seq));
	ck_assert_int_eq(n, (ssize_t)len);
	ck_assert_str_eq(ipstr(&from), "127.0.0.1");
	rn_conn_free(c);

	/* "ip:1" on an IPv4 address is an AF_INET socket too. */
	c = rn_dial("ip:1", "127.0.0.1");
	ck_assert_msg(c != NULL, "%s", last_error());
	len = build_echo(req, 8, &seq);
	ck_assert_int_eq(rn_conn_write(c, req, len), (ssize_t)len);
	set_read_guard(c, 3000);
	do {
		n = rn_ipconn_read_from_ip(c, buf, sizeof buf, NULL);
		ck_assert_msg(n >= 0, "%s", last_error());
	} while (!is_reply(buf, n, 0, seq));
	rn_conn_free(c);
}
END_TEST

/* Walk the control messages: the TTL and the IP_PKTINFO destination. */
static void parse_cmsgs(const uint8_t *oob, size_t oobn, int *ttl, struct in_pktinfo *pi,
			bool *got_pi)
{
	struct msghdr msg;

	memset(&msg, 0, sizeof msg);
	msg.msg_control = (void *)(uintptr_t)oob;
	msg.msg_controllen = oobn;
	*ttl = -1;
	*got_pi = false;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != IPPROTO_IP)
			continue;
		if (cm->cmsg_type == IP_TTL)
			memcpy(ttl, CMSG_DATA(cm), sizeof(int));
		else if (cm->cmsg_type == IP_PKTINFO) {
			memcpy(pi, CMSG_DATA(cm), sizeof(*pi));
			*got_pi = true;
		}
	}
}

START_TEST(test_read_msg_ip_control)
{
	uint8_t req[64], buf[512];
	uint8_t oob[256] __attribute__((aligned(8)));
	rn_ipaddr to = ipaddr("127.0.0.1"), from;
	struct in_pktinfo pi;
	bool got_pi;
	size_t len, oobn;
	uint16_t seq;
	int one = 1, flags, ttl;
	ssize_t n;
	rn_conn *l;

	if (!tu_need_raw4(__func__))
		return;
	l = rn_listen_packet("ip4:icmp", "127.0.0.1");
	ck_assert_msg(l != NULL, "%s", last_error());
	ck_assert_int_eq(setsockopt(rn_conn_fd(l), IPPROTO_IP, IP_RECVTTL, &one, sizeof one), 0);
	ck_assert_int_eq(setsockopt(rn_conn_fd(l), IPPROTO_IP, IP_PKTINFO, &one, sizeof one), 0);

	/* WriteMsgIP with no control data; ReadMsgIP keeps the header. */
	len = build_echo(req, 8, &seq);
	ck_assert_int_eq(rn_ipconn_write_msg_ip(l, req, len, NULL, 0, &to), (ssize_t)len);
	set_read_guard(l, 3000);
	for (;;) {
		n = rn_ipconn_read_msg_ip(l, buf, sizeof buf, oob, sizeof oob, &oobn, &flags, &from);
		ck_assert_msg(n >= 0, "%s", last_error());
		if (n > 20 && buf[0] == 0x45 && is_reply(buf + 20, n - 20, 0, seq))
			break;
	}
	ck_assert_int_eq(n, (ssize_t)(20 + len));
	ck_assert_int_eq(flags, 0);
	ck_assert_str_eq(ipstr(&from), "127.0.0.1");
	ck_assert_uint_gt(oobn, 0);
	parse_cmsgs(oob, oobn, &ttl, &pi, &got_pi);
	ck_assert_int_eq(ttl, buf[8]); /* IP_TTL is the header's TTL */
	ck_assert_int_gt(ttl, 0);
	ck_assert(got_pi);
	ck_assert_uint_eq(ntohl(pi.ipi_addr.s_addr), INADDR_LOOPBACK);

	/* A short buffer: the packet is cut and MSG_TRUNC says so. */
	len = build_echo(req, 8, &seq);
	ck_assert_int_eq(rn_ipconn_write_to_ip(l, req, len, &to), (ssize_t)len);
	for (;;) {
		n = rn_ipconn_read_msg_ip(l, buf, 28, oob, sizeof oob, &oobn, &flags, NULL);
		ck_assert_msg(n >= 0, "%s", last_error());
		if (n == 28 && buf[20] == 0 && (buf[24] << 8 | buf[25]) == echo_id() &&
		    (buf[26] << 8 | buf[27]) == seq)
			break;
	}
	ck_assert(flags & MSG_TRUNC);

	/* Too little room for the control data: MSG_CTRUNC. */
	len = build_echo(req, 8, &seq);
	ck_assert_int_eq(rn_ipconn_write_to_ip(l, req, len, &to), (ssize_t)len);
	for (;;) {
		n = rn_ipconn_read_msg_ip(l, buf, sizeof buf, oob, CMSG_SPACE(sizeof(int)), &oobn,
					  &flags, NULL);
		ck_assert_msg(n >= 0, "%s", last_error());
		if (n > 20 && is_reply(buf + 20, n - 20, 0, seq))
			break;
	}
	ck_assert(flags & MSG_CTRUNC);
	ck_assert_uint_le(oobn, CMSG_SPACE(sizeof(int)));
	rn_conn_free(l);
}
END_TEST

static int ctl_calls;
static char ctl_net[32], ctl_addr[64];

static int record_control(const char *network, const char *address, int fd, void *arg)
{
	(void)arg;
	ck_assert_int_ge(fd, 0);
	ctl_calls++;
	snprintf(ctl_net, sizeof ctl_net, "%s", network);
	snprintf(ctl_addr, sizeof ctl_addr, "%s", address);
	return 0;
}

static int refuse_control(const char *network, const char *address, int fd, void *arg)
{
	(void)network;
	(void)address;
	(void)fd;
	(void)arg;
	return -EACCES;
}

START_TEST(test_listen_config_and_dialer)
{
	rn_listen_config lc;
	rn_dialer d;
	rn_conn *a, *b;
	int v = 0;
	socklen_t vl = sizeof v;

	if (!tu_need_raw4(__func__))
		return;
	memset(&lc, 0, sizeof lc);
	lc.control = record_control;
	lc.reuse_port = true;
	ctl_calls = 0;
	a = rn_listen_config_listen_packet(&lc, NULL, "ip:253", "127.0.0.1");
	ck_assert_msg(a != NULL, "%s", last_error());
	ck_assert_int_eq(ctl_calls, 1);
	ck_assert_str_eq(ctl_net, "ip4"); /* Go's ctrlNetwork: the family made specific */
	ck_assert_str_eq(ctl_addr, "127.0.0.1");
	ck_assert_int_eq(getsockopt(rn_conn_fd(a), SOL_SOCKET, SO_REUSEPORT, &v, &vl), 0);
	ck_assert_int_eq(v, 1);
	v = 0;
	ck_assert_int_eq(getsockopt(rn_conn_fd(a), SOL_SOCKET, SO_PROTOCOL, &v, &vl), 0);
	ck_assert_int_eq(v, 253);
	rn_conn_free(a);

	lc.control = refuse_control;
	ck_assert_ptr_null(rn_listen_config_listen_packet(&lc, NULL, "ip4:253", "127.0.0.1"));
	ck_assert_int_eq(rn_last_error()->code, -EACCES);
	assert_error("listen ip4:253 127.0.0.1: permission denied");

	/* A Dialer's control and local address. */
	memset(&d, 0, sizeof d);
	d.control = record_control;
	d.local_addr.kind = RN_ADDR_IP;
	d.local_addr.u.ip = ipaddr("127.0.0.1");
	ctl_calls = 0;
	b = rn_dialer_dial(&d, "ip4:253", "127.0.0.1");
	ck_assert_msg(b != NULL, "%s", last_error());
	ck_assert_int_eq(ctl_calls, 1);
	ck_assert_str_eq(ctl_net, "ip4");
	ck_assert_str_eq(ctl_addr, "127.0.0.1");
	ck_assert_str_eq(astr(rn_conn_local_addr(b)), "127.0.0.1");
	ck_assert_str_eq(astr(rn_conn_remote_addr(b)), "127.0.0.1");
	rn_conn_free(b);

	/* Binding a local address that is not ours fails as Go's does. */
	d.control = NULL;
	d.local_addr.u.ip = ipaddr("192.0.2.1");
	ck_assert_ptr_null(rn_dialer_dial(&d, "ip4:253", "127.0.0.1"));
	ck_assert_int_eq(rn_last_error()->code, -EADDRNOTAVAIL);
	assert_error("dial ip4:253 192.0.2.1->127.0.0.1: bind: cannot assign requested address");
}
END_TEST

/* ---- IPv6 ---------------------------------------------------------------------- */

START_TEST(test_ipv6_icmp)
{
	uint8_t req[64], buf[512];
	rn_ipaddr to = ipaddr("::1"), from;
	uint16_t seq;
	size_t len;
	ssize_t n;
	rn_conn *l, *c;

	if (!need_raw6(__func__))
		return;
	l = rn_listen_packet("ip6:ipv6-icmp", "::1");
	ck_assert_msg(l != NULL, "%s", last_error());
	ck_assert_int_eq(rn_conn_local_addr(l).kind, RN_ADDR_IP);
	ck_assert_str_eq(astr(rn_conn_local_addr(l)), "::1");

	len = build_echo(req, 128, &seq);
	ck_assert_int_eq(rn_ipconn_write_to_ip(l, req, len, &to), (ssize_t)len);
	set_read_guard(l, 3000);
	do {
		n = rn_ipconn_read_from_ip(l, buf, sizeof buf, &from);
		ck_assert_msg(n >= 0, "%s", last_error());
	} while (!is_reply(buf, n, 129, seq));
	ck_assert_int_eq(n, (ssize_t)len); /* IPv6 raw sockets give no header */
	ck_assert_str_eq(ipstr(&from), "::1");
	ck_assert_int_eq(from.ip.len, 16);

	/* Dial by protocol number; Read gives the ICMPv6 message as it came. */
	c = rn_dial("ip6:58", "::1");
	ck_assert_msg(c != NULL, "%s", last_error());
	ck_assert_str_eq(astr(rn_conn_remote_addr(c)), "::1");
	len = build_echo(req, 128, &seq);
	ck_assert_int_eq(rn_conn_write(c, req, len), (ssize_t)len);
	set_read_guard(c, 3000);
	do {
		n = rn_conn_read(c, buf, sizeof buf);
		ck_assert_msg(n >= 0, "%s", last_error());
	} while (!is_reply(buf, n, 129, seq));
	ck_assert_int_eq(buf[0], 129); /* Read: no header on IPv6 either */
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

/* ---- errors -------------------------------------------------------------------- */

START_TEST(test_error_texts)
{
	rn_ipaddr lo = ipaddr("127.0.0.1"), v6 = ipaddr("::1");
	rn_addr dst = rn_addr_from_ip(&lo), udp;
	char buf[64];
	rn_conn *l, *c;

	if (!tu_need_raw4(__func__))
		return;
	l = rn_listen_packet("ip4:253", "127.0.0.1");
	ck_assert_msg(l != NULL, "%s", last_error());
	c = rn_dial("ip4:253", "127.0.0.1");
	ck_assert_msg(c != NULL, "%s", last_error());

	/* WriteTo on a dialed conn. */
	ck_assert_int_eq(rn_conn_write_to(c, "x", 1, &dst), RN_EWRITETOCONNECTED);
	assert_error("write ip4 127.0.0.1->127.0.0.1: use of WriteTo with pre-connected connection");
	ck_assert_int_eq(rn_ipconn_write_to_ip(c, "x", 1, &lo), RN_EWRITETOCONNECTED);
	assert_error("write ip4 127.0.0.1->127.0.0.1: use of WriteTo with pre-connected connection");
	ck_assert_int_eq(rn_ipconn_write_msg_ip(c, "x", 1, NULL, 0, NULL), RN_EWRITETOCONNECTED);
	assert_error("write ip4 127.0.0.1: use of WriteTo with pre-connected connection");

	/* No address; another kind of address; the wrong family. */
	ck_assert_int_eq(rn_ipconn_write_to_ip(l, "x", 1, NULL), RN_EMISSINGADDR);
	assert_error("write ip4 127.0.0.1: missing address");
	ck_assert_int_eq(rn_ipconn_write_msg_ip(l, "x", 1, NULL, 0, NULL), RN_EMISSINGADDR);
	assert_error("write ip4 127.0.0.1: missing address");
	ck_assert_int_eq(rn_conn_write_to(l, "x", 1, NULL), -EINVAL);
	assert_error("write ip4 127.0.0.1: invalid argument");
	udp.kind = RN_ADDR_UDP;
	memset(&udp.u.udp, 0, sizeof udp.u.udp);
	udp.u.udp.ip = lo.ip;
	udp.u.udp.port = 1;
	ck_assert_int_eq(rn_conn_write_to(l, "x", 1, &udp), -EINVAL);
	assert_error("write ip4 127.0.0.1->127.0.0.1:1: invalid argument");
	ck_assert_int_eq(rn_ipconn_write_to_ip(l, "x", 1, &v6), RN_EADDR);
	assert_error("write ip4 127.0.0.1->::1: address ::1: non-IPv4 address");

	/* A read deadline. */
	ck_assert_int_eq(rn_conn_set_read_deadline(l, rn_time_add(rn_now(), 50 * RN_MILLISECOND)), 0);
	ck_assert_int_eq(rn_ipconn_read_from_ip(l, buf, sizeof buf, NULL), RN_ETIMEOUT);
	assert_error("read ip4 127.0.0.1: i/o timeout");
	ck_assert(rn_error_timeout(rn_last_error()));
	ck_assert_int_eq(rn_ipconn_read_msg_ip(l, buf, sizeof buf, NULL, 0, NULL, NULL, NULL),
			 RN_ETIMEOUT);
	assert_error("read ip4 127.0.0.1: i/o timeout");
	ck_assert_int_eq(rn_conn_set_read_deadline(c, rn_time_add(rn_now(), 50 * RN_MILLISECOND)), 0);
	ck_assert_int_eq(rn_conn_read(c, buf, sizeof buf), RN_ETIMEOUT);
	assert_error("read ip4 127.0.0.1->127.0.0.1: i/o timeout");

	/* After Close. */
	ck_assert_int_eq(rn_conn_close(l), 0);
	ck_assert_int_eq(rn_ipconn_read_from_ip(l, buf, sizeof buf, NULL), RN_ECLOSED);
	assert_error("read ip4 127.0.0.1: use of closed network connection");
	ck_assert_int_eq(rn_ipconn_write_to_ip(l, "x", 1, &lo), RN_ECLOSED);
	assert_error("write ip4 127.0.0.1->127.0.0.1: use of closed network connection");
	rn_conn_free(c);
	rn_conn_free(l);

	/* Dial and listen failures name the network as given. */
	ck_assert_ptr_null(rn_listen_packet("ip4:253", "192.0.2.1"));
	ck_assert_int_eq(rn_last_error()->code, -EADDRNOTAVAIL);
	assert_error("listen ip4:253 192.0.2.1: bind: cannot assign requested address");
}
END_TEST

/* Set or clear CAP_NET_RAW in the effective set (it stays permitted). */
static int effective_net_raw(bool on)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	if (on)
		d[CAP_NET_RAW / 32].effective |= 1u << (CAP_NET_RAW % 32);
	else
		d[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

/* Without CAP_NET_RAW: Go's "socket: operation not permitted". */
START_TEST(test_no_permission)
{
	if (!tu_need_raw4(__func__))
		return;
	if (effective_net_raw(false) < 0) {
		printf("SKIP %s: cannot drop CAP_NET_RAW\n", __func__);
		return;
	}
	ck_assert_ptr_null(rn_dial("ip4:icmp", "127.0.0.1"));
	ck_assert_int_eq(rn_last_error()->code, -EPERM);
	assert_error("dial ip4:icmp 127.0.0.1: socket: operation not permitted");
	ck_assert_ptr_null(rn_listen_packet("ip6:ipv6-icmp", "::1"));
	ck_assert_int_eq(rn_last_error()->code, -EPERM);
	assert_error("listen ip6:ipv6-icmp ::1: socket: operation not permitted");
	ck_assert_int_eq(effective_net_raw(true), 0);
}
END_TEST

START_TEST(test_not_ip_conn)
{
	rn_ipaddr lo = ipaddr("127.0.0.1"), from;
	rn_listener *l;
	rn_conn *c;
	char buf[16];
	size_t oobn = 7;
	int flags = 7;

	l = rn_listen("tcp4", "127.0.0.1:0");
	ck_assert_msg(l != NULL, "%s", last_error());
	{
		rn_addr a = rn_listener_addr(l);
		char text[RN_ADDR_STRLEN];

		rn_addr_string(&a, text, sizeof text);
		c = rn_dial("tcp4", text);
	}
	ck_assert_msg(c != NULL, "%s", last_error());
	ck_assert_int_eq(rn_ipconn_read_from_ip(c, buf, sizeof buf, &from), -EINVAL);
	ck_assert_int_eq(rn_ipconn_write_to_ip(c, "x", 1, &lo), -EINVAL);
	ck_assert_int_eq(rn_ipconn_read_msg_ip(c, buf, sizeof buf, NULL, 0, &oobn, &flags, &from),
			 -EINVAL);
	ck_assert_uint_eq(oobn, 0);
	ck_assert_int_eq(flags, 0);
	ck_assert_int_eq(rn_ipconn_write_msg_ip(c, "x", 1, NULL, 0, &lo), -EINVAL);
	ck_assert_int_eq(rn_ipconn_read_from_ip(NULL, buf, sizeof buf, NULL), -EINVAL);
	ck_assert_int_eq(rn_ipconn_write_to_ip(NULL, "x", 1, &lo), -EINVAL);
	rn_conn_free(c);
	rn_listener_free(l);
}
END_TEST

/* ---- threads ------------------------------------------------------------------- */

struct closer {
	rn_conn *c;
	atomic_int rc;
};

static void *closer_thread(void *arg)
{
	struct closer *k = arg;

	sleep_ms(150);
	atomic_store(&k->rc, rn_conn_close(k->c));
	return NULL;
}

START_TEST(test_close_unblocks_read_from_ip)
{
	struct closer k;
	struct timespec t0, t1;
	pthread_t t;
	char buf[64];
	rn_ipaddr from;
	ssize_t n;
	long ms;

	if (!tu_need_raw4(__func__))
		return;
	k.c = rn_listen_packet("ip4:253", "127.0.0.1");
	ck_assert_msg(k.c != NULL, "%s", last_error());
	atomic_init(&k.rc, 1);
	set_read_guard(k.c, 5000); /* so a failure cannot hang the suite */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(pthread_create(&t, NULL, closer_thread, &k), 0);
	n = rn_ipconn_read_from_ip(k.c, buf, sizeof buf, &from);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(atomic_load(&k.rc), 0);
	ck_assert_int_eq(n, RN_ECLOSED);
	assert_error("read ip4 127.0.0.1: use of closed network connection");
	ck_assert_int_eq(from.ip.len, 0);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_lt(ms, 2000);
	rn_conn_free(k.c);
}
END_TEST

/* A deadline moved earlier while ReadMsgIP is blocked reaches it. */
struct mover {
	rn_conn *c;
};

static void *mover_thread(void *arg)
{
	struct mover *m = arg;

	sleep_ms(100);
	rn_conn_set_read_deadline(m->c, rn_time_add(rn_now(), 50 * RN_MILLISECOND));
	return NULL;
}

START_TEST(test_deadline_moved_while_blocked)
{
	struct mover m;
	pthread_t t;
	char buf[64];

	if (!tu_need_raw4(__func__))
		return;
	m.c = rn_dial("ip4:253", "127.0.0.1");
	ck_assert_msg(m.c != NULL, "%s", last_error());
	set_read_guard(m.c, 10000);
	ck_assert_int_eq(pthread_create(&t, NULL, mover_thread, &m), 0);
	ck_assert_int_eq(rn_ipconn_read_msg_ip(m.c, buf, sizeof buf, NULL, 0, NULL, NULL, NULL),
			 RN_ETIMEOUT);
	assert_error("read ip4 127.0.0.1->127.0.0.1: i/o timeout");
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	rn_conn_free(m.c);
}
END_TEST

static Suite *ipraw_suite(void)
{
	Suite *s = suite_create("ipraw");
	TCase *tc;

	tc = tu_engine_tcase("icmp4");
	tcase_add_test(tc, test_listen_read_from_ip_strips_header);
	tcase_add_test(tc, test_dial_read_keeps_header);
	tcase_add_test(tc, test_numeric_protocol);
	tcase_add_test(tc, test_read_msg_ip_control);
	tcase_add_test(tc, test_listen_config_and_dialer);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("icmp6");
	tcase_add_test(tc, test_ipv6_icmp);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("errors");
	tcase_add_test(tc, test_error_texts);
	tcase_add_test(tc, test_not_ip_conn);
	tcase_add_test(tc, test_no_permission);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("threads");
	tcase_add_test(tc, test_close_unblocks_read_from_ip);
	tcase_add_test(tc, test_deadline_moved_while_blocked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(ipraw_suite());
}
