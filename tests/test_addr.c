/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_addr.c - TCPAddr, UDPAddr, IPAddr and UnixAddr: String and
 * Network, the tagged rn_addr, AddrPort, and conversion to and from struct
 * sockaddr (IPv6 scope ids through the "lo" interface, abstract unix names).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "testutil.h"

static rn_tcpaddr tcp(const char *ip, int port, const char *zone)
{
	rn_tcpaddr a;
	memset(&a, 0, sizeof a);
	if (ip)
		a.ip = rn_parse_ip(ip);
	a.port = port;
	snprintf(a.zone, sizeof a.zone, "%s", zone ? zone : "");
	return a;
}

static rn_udpaddr udp(const char *ip, int port, const char *zone)
{
	rn_udpaddr a;
	memset(&a, 0, sizeof a);
	if (ip)
		a.ip = rn_parse_ip(ip);
	a.port = port;
	snprintf(a.zone, sizeof a.zone, "%s", zone ? zone : "");
	return a;
}

/* ---- String / Network ------------------------------------------------------ */

START_TEST(test_tcpaddr_string)
{
	static const struct {
		const char *ip;
		int port;
		const char *zone;
		const char *out;
	} rows[] = {
		{ "127.0.0.1", 80, NULL, "127.0.0.1:80" },
		{ "::1", 80, NULL, "[::1]:80" },
		{ "::1", 80, "lo", "[::1%lo]:80" },
		{ "fe80::1", 0, "911", "[fe80::1%911]:0" },
		{ NULL, 12345, NULL, ":12345" }, /* nil IP prints as "" */
		{ NULL, 0, NULL, ":0" },
		{ "::ffff:1.2.3.4", 65535, NULL, "1.2.3.4:65535" },
		{ "1.2.3.4", -1, NULL, "1.2.3.4:-1" },
		{ NULL, 80, "eth0", "%eth0:80" }, /* JoinHostPort brackets only hosts with ':' */
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		rn_tcpaddr t = tcp(rows[i].ip, rows[i].port, rows[i].zone);
		rn_udpaddr u = udp(rows[i].ip, rows[i].port, rows[i].zone);
		char buf[RN_ADDR_STRLEN];
		int n = rn_tcpaddr_string(&t, buf, sizeof buf);
		ck_assert_msg(n == (int)strlen(rows[i].out) && strcmp(buf, rows[i].out) == 0,
			      "TCPAddr{%s, %d, %s}.String() = \"%s\", want \"%s\"",
			      rows[i].ip ? rows[i].ip : "nil", rows[i].port,
			      rows[i].zone ? rows[i].zone : "", buf, rows[i].out);
		n = rn_udpaddr_string(&u, buf, sizeof buf);
		ck_assert_msg(n == (int)strlen(rows[i].out) && strcmp(buf, rows[i].out) == 0,
			      "UDPAddr{%s, %d, %s}.String() = \"%s\", want \"%s\"",
			      rows[i].ip ? rows[i].ip : "nil", rows[i].port,
			      rows[i].zone ? rows[i].zone : "", buf, rows[i].out);
	}
}
END_TEST

START_TEST(test_ipaddr_string)
{
	static const struct {
		const char *ip;
		const char *zone;
		const char *out;
	} rows[] = {
		{ "127.0.0.1", NULL, "127.0.0.1" }, { "::1", NULL, "::1" },
		{ "fe80::1", "eth0", "fe80::1%eth0" }, { NULL, NULL, "" },
		{ NULL, "lo", "%lo" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		rn_ipaddr a;
		memset(&a, 0, sizeof a);
		if (rows[i].ip)
			a.ip = rn_parse_ip(rows[i].ip);
		snprintf(a.zone, sizeof a.zone, "%s", rows[i].zone ? rows[i].zone : "");
		char buf[RN_ADDR_STRLEN];
		int n = rn_ipaddr_string(&a, buf, sizeof buf);
		ck_assert_msg(n == (int)strlen(rows[i].out) && strcmp(buf, rows[i].out) == 0,
			      "IPAddr{%s, %s}.String() = \"%s\", want \"%s\"",
			      rows[i].ip ? rows[i].ip : "nil", rows[i].zone ? rows[i].zone : "",
			      buf, rows[i].out);
	}
}
END_TEST

START_TEST(test_unixaddr_string_and_network)
{
	rn_unixaddr a;
	memset(&a, 0, sizeof a);
	strcpy(a.name, "/tmp/sock");
	strcpy(a.net, "unixgram");
	char buf[RN_ADDR_STRLEN];
	ck_assert_int_eq(rn_unixaddr_string(&a, buf, sizeof buf), 9);
	ck_assert_str_eq(buf, "/tmp/sock");
	ck_assert_str_eq(rn_unixaddr_network(&a), "unixgram");
	strcpy(a.name, "@abstract");
	rn_unixaddr_string(&a, buf, sizeof buf);
	ck_assert_str_eq(buf, "@abstract");
}
END_TEST

START_TEST(test_nil_addresses)
{
	char buf[RN_ADDR_STRLEN];
	ck_assert_int_eq(rn_tcpaddr_string(NULL, buf, sizeof buf), 5);
	ck_assert_str_eq(buf, "<nil>");
	ck_assert_int_eq(rn_udpaddr_string(NULL, buf, sizeof buf), 5);
	ck_assert_str_eq(buf, "<nil>");
	ck_assert_int_eq(rn_ipaddr_string(NULL, buf, sizeof buf), 5);
	ck_assert_str_eq(buf, "<nil>");
	ck_assert_int_eq(rn_unixaddr_string(NULL, buf, sizeof buf), 5);
	ck_assert_str_eq(buf, "<nil>");
	ck_assert_int_eq(rn_addr_string(NULL, buf, sizeof buf), 5);
	ck_assert_str_eq(buf, "<nil>");
	rn_addr none = rn_addr_from_tcp(NULL);
	ck_assert_int_eq(none.kind, RN_ADDR_NONE);
	ck_assert_int_eq(rn_addr_string(&none, buf, sizeof buf), 5);
	ck_assert_str_eq(buf, "<nil>");
	ck_assert_str_eq(rn_addr_network(&none), "");
	/* Go's methods on nil pointers still name the network. */
	ck_assert_str_eq(rn_tcpaddr_network(NULL), "tcp");
	ck_assert_str_eq(rn_udpaddr_network(NULL), "udp");
	ck_assert_str_eq(rn_ipaddr_network(NULL), "ip");
}
END_TEST

START_TEST(test_networks)
{
	rn_tcpaddr t = tcp("1.2.3.4", 1, NULL);
	rn_udpaddr u = udp("1.2.3.4", 1, NULL);
	rn_ipaddr i = { rn_ipv4(1, 2, 3, 4), "" };
	ck_assert_str_eq(rn_tcpaddr_network(&t), "tcp");
	ck_assert_str_eq(rn_udpaddr_network(&u), "udp");
	ck_assert_str_eq(rn_ipaddr_network(&i), "ip");
}
END_TEST

START_TEST(test_tagged_addr)
{
	char buf[RN_ADDR_STRLEN];
	rn_tcpaddr t = tcp("::1", 80, "lo");
	rn_addr a = rn_addr_from_tcp(&t);
	ck_assert_int_eq(a.kind, RN_ADDR_TCP);
	ck_assert_str_eq(rn_addr_network(&a), "tcp");
	rn_addr_string(&a, buf, sizeof buf);
	ck_assert_str_eq(buf, "[::1%lo]:80");

	rn_udpaddr u = udp("1.2.3.4", 53, NULL);
	a = rn_addr_from_udp(&u);
	ck_assert_int_eq(a.kind, RN_ADDR_UDP);
	ck_assert_str_eq(rn_addr_network(&a), "udp");
	rn_addr_string(&a, buf, sizeof buf);
	ck_assert_str_eq(buf, "1.2.3.4:53");

	rn_ipaddr i = { rn_parse_ip("fe80::1"), "eth0" };
	a = rn_addr_from_ip(&i);
	ck_assert_int_eq(a.kind, RN_ADDR_IP);
	ck_assert_str_eq(rn_addr_network(&a), "ip");
	rn_addr_string(&a, buf, sizeof buf);
	ck_assert_str_eq(buf, "fe80::1%eth0");

	rn_unixaddr un;
	memset(&un, 0, sizeof un);
	strcpy(un.name, "/run/x.sock");
	strcpy(un.net, "unixpacket");
	a = rn_addr_from_unix(&un);
	ck_assert_int_eq(a.kind, RN_ADDR_UNIX);
	ck_assert_str_eq(rn_addr_network(&a), "unixpacket");
	rn_addr_string(&a, buf, sizeof buf);
	ck_assert_str_eq(buf, "/run/x.sock");

	rn_ipnet n = { rn_ipv4(10, 0, 0, 0), rn_cidr_mask(8, 32) };
	a = rn_addr_from_ipnet(&n);
	ck_assert_int_eq(a.kind, RN_ADDR_IPNET);
	ck_assert_str_eq(rn_addr_network(&a), "ip+net");
	rn_addr_string(&a, buf, sizeof buf);
	ck_assert_str_eq(buf, "10.0.0.0/8");

	ck_assert_int_eq(rn_addr_from_udp(NULL).kind, RN_ADDR_NONE);
	ck_assert_int_eq(rn_addr_from_ip(NULL).kind, RN_ADDR_NONE);
	ck_assert_int_eq(rn_addr_from_unix(NULL).kind, RN_ADDR_NONE);
	ck_assert_int_eq(rn_addr_from_ipnet(NULL).kind, RN_ADDR_NONE);
}
END_TEST

START_TEST(test_addr_string_small_buffers)
{
	rn_tcpaddr t = tcp("::1", 8080, NULL); /* "[::1]:8080" = 10 */
	char buf[16];
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_tcpaddr_string(&t, buf, 0), 10);
	ck_assert_int_eq(buf[0], 'X');
	ck_assert_int_eq(rn_tcpaddr_string(&t, NULL, 0), 10);
	ck_assert_int_eq(rn_tcpaddr_string(&t, buf, 1), 10);
	ck_assert_int_eq(buf[0], '\0');
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_tcpaddr_string(&t, buf, 10), 10);
	ck_assert_str_eq(buf, "[::1]:808");
	ck_assert_int_eq(buf[10], 'X');
	rn_ipaddr i = { rn_parse_ip("fe80::1"), "eth0" };
	ck_assert_int_eq(rn_ipaddr_string(&i, buf, 5), 12);
	ck_assert_str_eq(buf, "fe80");
	rn_addr a = rn_addr_from_tcp(&t);
	ck_assert_int_eq(rn_addr_string(&a, buf, 3), 10);
	ck_assert_str_eq(buf, "[:");
}
END_TEST

START_TEST(test_addr_string_longest)
{
	/* The longest IPv6 text, a 31-byte zone and a 5-digit port fit RN_ADDR_STRLEN. */
	rn_tcpaddr t = tcp("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, NULL);
	memset(t.zone, 'z', RN_ZONE_MAX - 1);
	t.zone[RN_ZONE_MAX - 1] = '\0';
	char buf[RN_ADDR_STRLEN];
	int n = rn_tcpaddr_string(&t, buf, sizeof buf);
	ck_assert_int_eq(n, 1 + 39 + 1 + 31 + 2 + 5);
	ck_assert_int_lt(n, RN_ADDR_STRLEN);
	ck_assert_str_eq(buf + n - 8, "z]:65535");
	ck_assert(strncmp(buf, "[ffff:ffff:", 11) == 0);
}
END_TEST

/* ---- AddrPort ------------------------------------------------------------------ */

START_TEST(test_addr_port)
{
	char buf[RN_ADDR_STRLEN];
	rn_tcpaddr t = tcp("1.2.3.4", 80, NULL);
	rn_addrport ap = rn_tcpaddr_addr_port(&t);
	/* A 16-byte IPv4 stays IPv4-mapped IPv6, as in Go. */
	ck_assert_int_eq(ap.addr.len, 16);
	ck_assert_int_eq(ap.port, 80);
	rn_addrport_string(ap, buf, sizeof buf);
	ck_assert_str_eq(buf, "[::ffff:1.2.3.4]:80");

	t.ip = rn_ip_to4(t.ip);
	ap = rn_tcpaddr_addr_port(&t);
	ck_assert_int_eq(ap.addr.len, 4);
	rn_addrport_string(ap, buf, sizeof buf);
	ck_assert_str_eq(buf, "1.2.3.4:80");

	rn_udpaddr u = udp("fe80::1", 70000, "eth0"); /* port truncated to 16 bits */
	ap = rn_udpaddr_addr_port(&u);
	ck_assert_int_eq(ap.port, 70000 & 0xffff);
	ck_assert_str_eq(ap.zone, "eth0");
	rn_addrport_string(ap, buf, sizeof buf);
	ck_assert_str_eq(buf, "[fe80::1%eth0]:4464");

	/* A zone on an IPv4 address is dropped (netip.Addr.WithZone). */
	rn_tcpaddr tz = tcp("1.2.3.4", 1, "eth0");
	tz.ip = rn_ip_to4(tz.ip);
	ap = rn_tcpaddr_addr_port(&tz);
	ck_assert_str_eq(ap.zone, "");

	ap = rn_tcpaddr_addr_port(NULL);
	ck_assert_int_eq(ap.addr.len, 0);
	ck_assert_int_eq(rn_addrport_string(ap, buf, sizeof buf), 16);
	ck_assert_str_eq(buf, "invalid AddrPort");
	ck_assert_int_eq(rn_udpaddr_addr_port(NULL).addr.len, 0);
	/* A nil IP is the invalid Addr. */
	rn_tcpaddr nilip = tcp(NULL, 80, NULL);
	ap = rn_tcpaddr_addr_port(&nilip);
	ck_assert_int_eq(ap.addr.len, 0);
}
END_TEST

START_TEST(test_addr_from_addr_port)
{
	rn_addrport ap;
	memset(&ap, 0, sizeof ap);
	ap.addr = rn_ip_to4(rn_ipv4(10, 0, 0, 1));
	ap.port = 443;
	rn_tcpaddr t = rn_tcpaddr_from_addr_port(ap);
	ck_assert(tu_ip_same(t.ip, tu_ip_hex("0a000001"))); /* AsSlice: 4 bytes */
	ck_assert_int_eq(t.port, 443);
	ck_assert_str_eq(t.zone, "");

	ap.addr = rn_parse_ip("fe80::2");
	strcpy(ap.zone, "lo");
	rn_udpaddr u = rn_udpaddr_from_addr_port(ap);
	ck_assert(tu_ip_same(u.ip, rn_parse_ip("fe80::2")));
	ck_assert_str_eq(u.zone, "lo");

	memset(&ap, 0, sizeof ap);
	ap.port = 7;
	t = rn_tcpaddr_from_addr_port(ap);
	ck_assert_int_eq(t.ip.len, 0);
	ck_assert_int_eq(t.port, 7);
}
END_TEST

START_TEST(test_addr_port_string_small_buffers)
{
	rn_addrport ap;
	memset(&ap, 0, sizeof ap);
	char buf[8];
	memset(buf, 'X', sizeof buf);
	ck_assert_int_eq(rn_addrport_string(ap, buf, 0), 16);
	ck_assert_int_eq(buf[0], 'X');
	ck_assert_int_eq(rn_addrport_string(ap, buf, sizeof buf), 16);
	ck_assert_str_eq(buf, "invalid");
}
END_TEST

/* ---- sockaddr -------------------------------------------------------------------- */

START_TEST(test_sockaddr_inet4)
{
	rn_tcpaddr t = tcp("192.0.2.1", 8080, NULL);
	struct sockaddr_storage ss;
	socklen_t len = 0;
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&t, 0, &ss, &len), 0);
	ck_assert_int_eq(len, sizeof(struct sockaddr_in));
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(sin->sin_port), 8080);
	ck_assert_int_eq(ntohl(sin->sin_addr.s_addr), 0xc0000201);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&t, AF_INET, &ss, &len), 0);
	ck_assert_int_eq(sin->sin_family, AF_INET);

	rn_tcpaddr back;
	ck_assert_int_eq(rn_tcpaddr_from_sockaddr(&back, (const struct sockaddr *)&ss, len), 0);
	ck_assert(tu_ip_same(back.ip, tu_ip_hex("c0000201"))); /* 4-byte IP */
	ck_assert_int_eq(back.port, 8080);
	ck_assert_str_eq(back.zone, "");
}
END_TEST

START_TEST(test_sockaddr_inet6_mapped_and_wildcards)
{
	struct sockaddr_storage ss;
	socklen_t len;
	/* AF_INET6 takes an IPv4 address in mapped form. */
	rn_udpaddr u = udp("192.0.2.1", 53, NULL);
	ck_assert_int_eq(rn_udpaddr_to_sockaddr(&u, AF_INET6, &ss, &len), 0);
	ck_assert_int_eq(len, sizeof(struct sockaddr_in6));
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(sin6->sin6_port), 53);
	ck_assert(memcmp(&sin6->sin6_addr, tu_ip_hex("00000000000000000000ffffc0000201").b, 16) == 0);

	/* nil IP: the wildcard of the family; family 0 means AF_INET6 "::". */
	rn_tcpaddr w = tcp(NULL, 80, NULL);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&w, 0, &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
	ck_assert(memcmp(&sin6->sin6_addr, rn_ipv6zero.b, 16) == 0);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&w, AF_INET, &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_int_eq(((const struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(INADDR_ANY));
	ck_assert_int_eq(ntohs(((const struct sockaddr_in *)&ss)->sin_port), 80);

	/* IPv4 "0.0.0.0" as AF_INET6 is the IPv6 wildcard (Go's ipToSockaddr). */
	rn_tcpaddr z = tcp("0.0.0.0", 1, NULL);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&z, AF_INET6, &ss, &len), 0);
	ck_assert(memcmp(&sin6->sin6_addr, rn_ipv6zero.b, 16) == 0);

	/* ::1 round trip. */
	rn_tcpaddr l = tcp("::1", 443, NULL);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&l, 0, &ss, &len), 0);
	rn_tcpaddr back;
	ck_assert_int_eq(rn_tcpaddr_from_sockaddr(&back, (const struct sockaddr *)&ss, len), 0);
	ck_assert(tu_ip_same(back.ip, rn_ipv6loopback));
	ck_assert_int_eq(back.port, 443);
}
END_TEST

START_TEST(test_sockaddr_errors)
{
	struct sockaddr_storage ss;
	socklen_t len;
	rn_tcpaddr v6 = tcp("2001:db8::1", 80, NULL);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&v6, AF_INET, &ss, &len), RN_EADDR);
	char msg[128];
	rn_error_string(NULL, msg, sizeof msg);
	ck_assert_str_eq(msg, "address 2001:db8::1: non-IPv4 address");
	rn_tcpaddr big = tcp("1.2.3.4", 65536, NULL);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&big, 0, &ss, &len), -EINVAL);
	big.port = -1;
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&big, 0, &ss, &len), -EINVAL);
	rn_tcpaddr ok = tcp("1.2.3.4", 1, NULL);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&ok, AF_UNIX, &ss, &len), -EAFNOSUPPORT);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(NULL, 0, &ss, &len), -EINVAL);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&ok, 0, NULL, &len), -EINVAL);
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&ok, 0, &ss, NULL), -EINVAL);
	/* An IP of an odd length is no address of either family. */
	rn_tcpaddr odd = ok;
	odd.ip = tu_ip_hex("0102030405");
	ck_assert_int_lt(rn_tcpaddr_to_sockaddr(&odd, AF_INET, &ss, &len), 0);
	ck_assert_int_lt(rn_tcpaddr_to_sockaddr(&odd, AF_INET6, &ss, &len), 0);
}
END_TEST

START_TEST(test_sockaddr_from_errors)
{
	rn_tcpaddr t;
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	ck_assert_int_eq(rn_tcpaddr_from_sockaddr(&t, (const struct sockaddr *)&sin, 4), -EINVAL);
	ck_assert_int_eq(rn_tcpaddr_from_sockaddr(&t, NULL, sizeof sin), -EINVAL);
	ck_assert_int_eq(rn_tcpaddr_from_sockaddr(NULL, (const struct sockaddr *)&sin, sizeof sin),
			 -EINVAL);
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	ck_assert_int_eq(rn_tcpaddr_from_sockaddr(&t, (const struct sockaddr *)&sin6,
						  sizeof(struct sockaddr_in)),
			 -EINVAL);
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(rn_tcpaddr_from_sockaddr(&t, (const struct sockaddr *)&sun, sizeof sun),
			 -EAFNOSUPPORT);
}
END_TEST

START_TEST(test_sockaddr_udp_ip_from)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(5353);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	rn_udpaddr u;
	ck_assert_int_eq(rn_udpaddr_from_sockaddr(&u, (const struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert(tu_ip_same(u.ip, tu_ip_hex("7f000001")));
	ck_assert_int_eq(u.port, 5353);
	rn_ipaddr i;
	ck_assert_int_eq(rn_ipaddr_from_sockaddr(&i, (const struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert(tu_ip_same(i.ip, tu_ip_hex("7f000001")));
	struct sockaddr_storage ss;
	socklen_t len;
	ck_assert_int_eq(rn_ipaddr_to_sockaddr(&i, 0, &ss, &len), 0);
	ck_assert_int_eq(ss.ss_family, AF_INET);
	ck_assert_int_eq(((const struct sockaddr_in *)&ss)->sin_port, 0);
}
END_TEST

START_TEST(test_sockaddr_scope_id_lo)
{
	unsigned lo = if_nametoindex("lo");
	ck_assert_msg(lo != 0, "no \"lo\" interface");
	struct sockaddr_storage ss;
	socklen_t len;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

	rn_tcpaddr t = tcp("fe80::1", 22, "lo");
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&t, 0, &ss, &len), 0);
	ck_assert_uint_eq(sin6->sin6_scope_id, lo);
	rn_tcpaddr back;
	ck_assert_int_eq(rn_tcpaddr_from_sockaddr(&back, (const struct sockaddr *)&ss, len), 0);
	ck_assert_str_eq(back.zone, "lo");
	char buf[RN_ADDR_STRLEN];
	rn_tcpaddr_string(&back, buf, sizeof buf);
	ck_assert_str_eq(buf, "[fe80::1%lo]:22");

	/* A numeric zone is the index itself. */
	t = tcp("fe80::1", 22, "7");
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&t, 0, &ss, &len), 0);
	ck_assert_uint_eq(sin6->sin6_scope_id, 7);
	/* An unknown name is 0. */
	t = tcp("fe80::1", 22, "nosuchif0");
	ck_assert_int_eq(rn_tcpaddr_to_sockaddr(&t, 0, &ss, &len), 0);
	ck_assert_uint_eq(sin6->sin6_scope_id, 0);

	/* An index with no interface comes back as its decimal text. */
	struct sockaddr_in6 raw;
	memset(&raw, 0, sizeof raw);
	raw.sin6_family = AF_INET6;
	raw.sin6_scope_id = 987654;
	raw.sin6_addr.s6_addr[0] = 0xfe;
	raw.sin6_addr.s6_addr[1] = 0x80;
	rn_udpaddr u;
	ck_assert_int_eq(rn_udpaddr_from_sockaddr(&u, (const struct sockaddr *)&raw, sizeof raw), 0);
	ck_assert_str_eq(u.zone, "987654");
	raw.sin6_scope_id = lo;
	rn_ipaddr i;
	ck_assert_int_eq(rn_ipaddr_from_sockaddr(&i, (const struct sockaddr *)&raw, sizeof raw), 0);
	ck_assert_str_eq(i.zone, "lo");
	ck_assert_int_eq(i.ip.len, 16);
	raw.sin6_scope_id = 0;
	ck_assert_int_eq(rn_ipaddr_from_sockaddr(&i, (const struct sockaddr *)&raw, sizeof raw), 0);
	ck_assert_str_eq(i.zone, "");
}
END_TEST

START_TEST(test_sockaddr_unix_path)
{
	rn_unixaddr a;
	memset(&a, 0, sizeof a);
	strcpy(a.name, "/tmp/ringnet.sock");
	strcpy(a.net, "unix");
	struct sockaddr_storage ss;
	socklen_t len;
	ck_assert_int_eq(rn_unixaddr_to_sockaddr(&a, &ss, &len), 0);
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&ss;
	ck_assert_int_eq(sun->sun_family, AF_UNIX);
	ck_assert_str_eq(sun->sun_path, "/tmp/ringnet.sock");
	ck_assert_int_eq(len, offsetof(struct sockaddr_un, sun_path) + strlen(a.name) + 1);

	rn_unixaddr back;
	ck_assert_int_eq(rn_unixaddr_from_sockaddr(&back, (const struct sockaddr *)&ss, len,
						   "unixgram"),
			 0);
	ck_assert_str_eq(back.name, "/tmp/ringnet.sock");
	ck_assert_str_eq(back.net, "unixgram");
	ck_assert_int_eq(rn_unixaddr_from_sockaddr(&back, (const struct sockaddr *)&ss, len, NULL), 0);
	ck_assert_str_eq(back.net, "unix");
}
END_TEST

START_TEST(test_sockaddr_unix_abstract)
{
	rn_unixaddr a;
	memset(&a, 0, sizeof a);
	strcpy(a.name, "@ringnet-test");
	strcpy(a.net, "unix");
	struct sockaddr_storage ss;
	socklen_t len;
	ck_assert_int_eq(rn_unixaddr_to_sockaddr(&a, &ss, &len), 0);
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&ss;
	ck_assert_int_eq(sun->sun_path[0], '\0');
	ck_assert(memcmp(sun->sun_path + 1, "ringnet-test", 12) == 0);
	/* Leading NUL plus the name, no trailing NUL counted. */
	ck_assert_int_eq(len, offsetof(struct sockaddr_un, sun_path) + 13);
	rn_unixaddr back;
	ck_assert_int_eq(rn_unixaddr_from_sockaddr(&back, (const struct sockaddr *)&ss, len, "unix"), 0);
	ck_assert_str_eq(back.name, "@ringnet-test");

	/* A name that fills sun_path exactly is fine when abstract... */
	memset(a.name, 'a', 108);
	a.name[0] = '@';
	a.name[108] = '\0';
	ck_assert_int_eq(rn_unixaddr_to_sockaddr(&a, &ss, &len), 0);
	ck_assert_int_eq(len, offsetof(struct sockaddr_un, sun_path) + 108);
	/* ...but a path needs room for its NUL (Go's EINVAL). */
	a.name[0] = '/';
	ck_assert_int_eq(rn_unixaddr_to_sockaddr(&a, &ss, &len), -EINVAL);
	a.name[107] = '\0';
	ck_assert_int_eq(rn_unixaddr_to_sockaddr(&a, &ss, &len), 0);
}
END_TEST

START_TEST(test_sockaddr_unix_empty_and_null)
{
	rn_unixaddr a;
	memset(&a, 0, sizeof a);
	strcpy(a.net, "unix");
	struct sockaddr_storage ss;
	socklen_t len;
	ck_assert_int_eq(rn_unixaddr_to_sockaddr(&a, &ss, &len), 0);
	ck_assert_int_eq(len, offsetof(struct sockaddr_un, sun_path));
	ck_assert_int_lt(rn_unixaddr_to_sockaddr(NULL, &ss, &len), 0);
	ck_assert_int_lt(rn_unixaddr_from_sockaddr(&a, NULL, 10, "unix"), 0);
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	ck_assert_int_lt(rn_unixaddr_from_sockaddr(&a, (const struct sockaddr *)&sin, sizeof sin, NULL),
			 0);
}
END_TEST

START_TEST(test_sockaddr_real_bind_round_trip)
{
	/* The kernel accepts what we build, and we read back what it reports. */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	rn_udpaddr u = udp("127.0.0.1", 0, NULL);
	struct sockaddr_storage ss;
	socklen_t len;
	ck_assert_int_eq(rn_udpaddr_to_sockaddr(&u, AF_INET, &ss, &len), 0);
	ck_assert_int_eq(bind(fd, (const struct sockaddr *)&ss, len), 0);
	struct sockaddr_storage got;
	socklen_t glen = sizeof got;
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&got, &glen), 0);
	rn_udpaddr back;
	ck_assert_int_eq(rn_udpaddr_from_sockaddr(&back, (const struct sockaddr *)&got, glen), 0);
	ck_assert(rn_ip_equal(back.ip, rn_ipv4(127, 0, 0, 1)));
	ck_assert_int_gt(back.port, 0);
	close(fd);
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tu_tcase("string");
	tcase_add_test(tc, test_tcpaddr_string);
	tcase_add_test(tc, test_ipaddr_string);
	tcase_add_test(tc, test_unixaddr_string_and_network);
	tcase_add_test(tc, test_nil_addresses);
	tcase_add_test(tc, test_networks);
	tcase_add_test(tc, test_tagged_addr);
	tcase_add_test(tc, test_addr_string_small_buffers);
	tcase_add_test(tc, test_addr_string_longest);
	suite_add_tcase(s, tc);

	tc = tu_tcase("addrport");
	tcase_add_test(tc, test_addr_port);
	tcase_add_test(tc, test_addr_from_addr_port);
	tcase_add_test(tc, test_addr_port_string_small_buffers);
	suite_add_tcase(s, tc);

	tc = tu_tcase("sockaddr");
	tcase_add_test(tc, test_sockaddr_inet4);
	tcase_add_test(tc, test_sockaddr_inet6_mapped_and_wildcards);
	tcase_add_test(tc, test_sockaddr_errors);
	tcase_add_test(tc, test_sockaddr_from_errors);
	tcase_add_test(tc, test_sockaddr_udp_ip_from);
	tcase_add_test(tc, test_sockaddr_scope_id_lo);
	tcase_add_test(tc, test_sockaddr_unix_path);
	tcase_add_test(tc, test_sockaddr_unix_abstract);
	tcase_add_test(tc, test_sockaddr_unix_empty_and_null);
	tcase_add_test(tc, test_sockaddr_real_bind_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(addr_suite());
}
