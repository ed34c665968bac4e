/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/addr.c - the endpoint addresses' String and Network, rn_addr, and the
 * netip.AddrPort equivalents.
 */
#include <string.h>

#include "api/errors.h"
#include "api/iptext.h"
#include "api/strbuf.h"

/* Go's JoinHostPort(ipEmptyString(ip) [+ "%" + zone], itoa(port)). */
static void put_ip_port(rni_sb *sb, rn_ip ip, const char *zone, long long port)
{
	char host[RN_IP_STRLEN + RN_ZONE_MAX];
	rni_sb hs;

	rni_sb_init(&hs, host, sizeof(host));
	if (ip.len)
		rni_put_ip(&hs, ip);
	if (zone[0]) {
		rni_sb_putc(&hs, '%');
		rni_sb_putn(&hs, zone, strnlen(zone, RN_ZONE_MAX));
	}
	if (strchr(host, ':')) {
		rni_sb_putc(sb, '[');
		rni_sb_puts(sb, host);
		rni_sb_puts(sb, "]:");
	} else {
		rni_sb_puts(sb, host);
		rni_sb_putc(sb, ':');
	}
	rni_sb_putint(sb, port);
}

static void put_ip_zone(rni_sb *sb, rn_ip ip, const char *zone)
{
	if (ip.len)
		rni_put_ip(sb, ip);
	if (zone[0]) {
		rni_sb_putc(sb, '%');
		rni_sb_putn(sb, zone, strnlen(zone, RN_ZONE_MAX));
	}
}

static void put_addr(rni_sb *sb, const rn_addr *a)
{
	if (!a) {
		rni_sb_puts(sb, "<nil>");
		return;
	}
	switch (a->kind) {
	case RN_ADDR_TCP:
		put_ip_port(sb, a->u.tcp.ip, a->u.tcp.zone, a->u.tcp.port);
		return;
	case RN_ADDR_UDP:
		put_ip_port(sb, a->u.udp.ip, a->u.udp.zone, a->u.udp.port);
		return;
	case RN_ADDR_IP:
		put_ip_zone(sb, a->u.ip.ip, a->u.ip.zone);
		return;
	case RN_ADDR_UNIX:
		rni_sb_putn(sb, a->u.un.name, strnlen(a->u.un.name, sizeof(a->u.un.name)));
		return;
	case RN_ADDR_IPNET:
		rni_put_ipnet(sb, &a->u.ipnet);
		return;
	case RN_ADDR_PIPE:
		rni_sb_puts(sb, "pipe");
		return;
	case RN_ADDR_NONE:
		break;
	}
	rni_sb_puts(sb, "<nil>");
}

int rn_addr_string(const rn_addr *a, char *buf, size_t size)
{
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_addr_string: NULL buffer");

	if (rc)
		return rc;
	rni_sb_init(&sb, buf, size);
	put_addr(&sb, a);
	return rni_sb_done(&sb);
}

rn_addr rn_addr_from_tcp(const rn_tcpaddr *a)
{
	rn_addr r = { .kind = RN_ADDR_NONE };

	if (a) {
		r.kind = RN_ADDR_TCP;
		r.u.tcp = *a;
	}
	return r;
}

rn_addr rn_addr_from_udp(const rn_udpaddr *a)
{
	rn_addr r = { .kind = RN_ADDR_NONE };

	if (a) {
		r.kind = RN_ADDR_UDP;
		r.u.udp = *a;
	}
	return r;
}

rn_addr rn_addr_from_ip(const rn_ipaddr *a)
{
	rn_addr r = { .kind = RN_ADDR_NONE };

	if (a) {
		r.kind = RN_ADDR_IP;
		r.u.ip = *a;
	}
	return r;
}

rn_addr rn_addr_from_unix(const rn_unixaddr *a)
{
	rn_addr r = { .kind = RN_ADDR_NONE };

	if (a) {
		r.kind = RN_ADDR_UNIX;
		r.u.un = *a;
	}
	return r;
}

rn_addr rn_addr_from_ipnet(const rn_ipnet *n)
{
	rn_addr r = { .kind = RN_ADDR_NONE };

	if (n) {
		r.kind = RN_ADDR_IPNET;
		r.u.ipnet = *n;
	}
	return r;
}

int rn_tcpaddr_string(const rn_tcpaddr *a, char *buf, size_t size)
{
	rn_addr x = rn_addr_from_tcp(a);
	return rn_addr_string(&x, buf, size);
}

int rn_udpaddr_string(const rn_udpaddr *a, char *buf, size_t size)
{
	rn_addr x = rn_addr_from_udp(a);
	return rn_addr_string(&x, buf, size);
}

int rn_ipaddr_string(const rn_ipaddr *a, char *buf, size_t size)
{
	rn_addr x = rn_addr_from_ip(a);
	return rn_addr_string(&x, buf, size);
}

int rn_unixaddr_string(const rn_unixaddr *a, char *buf, size_t size)
{
	rn_addr x = rn_addr_from_unix(a);
	return rn_addr_string(&x, buf, size);
}

const char *rn_tcpaddr_network(const rn_tcpaddr *a)
{
	(void)a;
	return "tcp";
}

const char *rn_udpaddr_network(const rn_udpaddr *a)
{
	(void)a;
	return "udp";
}

const char *rn_ipaddr_network(const rn_ipaddr *a)
{
	(void)a;
	return "ip";
}

const char *rn_unixaddr_network(const rn_unixaddr *a)
{
	return a ? a->net : "";
}

const char *rn_addr_network(const rn_addr *a)
{
	if (!a)
		return "";
	switch (a->kind) {
	case RN_ADDR_TCP: return "tcp";
	case RN_ADDR_UDP: return "udp";
	case RN_ADDR_IP: return "ip";
	case RN_ADDR_UNIX: return a->u.un.net;
	case RN_ADDR_IPNET: return "ip+net";
	case RN_ADDR_PIPE: return "pipe";
	case RN_ADDR_NONE: break;
	}
	return "";
}

/* ---- netip.AddrPort ------------------------------------------------------ */

/* netip.AddrFromSlice(ip).WithZone(zone) + AddrPortFrom(port). */
static rn_addrport to_addr_port(rn_ip ip, const char *zone, int port)
{
	rn_addrport ap;

	memset(&ap, 0, sizeof(ap));
	if (ip.len != 4 && ip.len != 16)
		return ap; /* invalid Addr; the port is kept by Go but unused */
	ap.addr = ip;
	ap.port = (uint16_t)port;
	if (ip.len == 16) {
		memcpy(ap.zone, zone, sizeof(ap.zone)); /* same capacity */
		ap.zone[sizeof(ap.zone) - 1] = '\0';
	}
	return ap;
}

rn_addrport rn_tcpaddr_addr_port(const rn_tcpaddr *a)
{
	rn_addrport zero;

	if (a)
		return to_addr_port(a->ip, a->zone, a->port);
	memset(&zero, 0, sizeof(zero));
	return zero;
}

rn_addrport rn_udpaddr_addr_port(const rn_udpaddr *a)
{
	rn_addrport zero;

	if (a)
		return to_addr_port(a->ip, a->zone, a->port);
	memset(&zero, 0, sizeof(zero));
	return zero;
}

rn_tcpaddr rn_tcpaddr_from_addr_port(rn_addrport ap)
{
	rn_tcpaddr a;

	memset(&a, 0, sizeof(a));
	if (ap.addr.len == 4 || ap.addr.len == 16) {
		a.ip = ap.addr;
		if (ap.addr.len == 16)
			memcpy(a.zone, ap.zone, sizeof(a.zone));
		a.zone[RN_ZONE_MAX - 1] = '\0';
	}
	a.port = ap.port;
	return a;
}

rn_udpaddr rn_udpaddr_from_addr_port(rn_addrport ap)
{
	rn_tcpaddr t = rn_tcpaddr_from_addr_port(ap);
	rn_udpaddr u;

	u.ip = t.ip;
	u.port = t.port;
	memcpy(u.zone, t.zone, sizeof(u.zone));
	return u;
}

int rn_addrport_string(rn_addrport ap, char *buf, size_t size)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_addrport_string: NULL buffer");

	if (rc)
		return rc;
	rni_sb_init(&sb, buf, size);
	if (ap.addr.len == 4) {
		rni_put_v4(&sb, ap.addr.b);
		rni_sb_putc(&sb, ':');
	} else if (ap.addr.len == 16) {
		/* netip prints a mapped address as "::ffff:1.2.3.4", unlike net.IP. */
		rni_sb_putc(&sb, '[');
		if (memcmp(ap.addr.b, mapped, 12) == 0) {
			rni_sb_puts(&sb, "::ffff:");
			rni_put_v4(&sb, ap.addr.b + 12);
		} else {
			rni_put_ipv6(&sb, ap.addr.b);
		}
		if (ap.zone[0]) {
			rni_sb_putc(&sb, '%');
			rni_sb_putn(&sb, ap.zone, strnlen(ap.zone, sizeof(ap.zone)));
		}
		rni_sb_puts(&sb, "]:");
	} else {
		rni_sb_puts(&sb, "invalid AddrPort");
		return rni_sb_done(&sb);
	}
	rni_sb_putint(&sb, ap.port);
	return rni_sb_done(&sb);
}
