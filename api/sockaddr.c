/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/sockaddr.c - endpoint addresses to and from struct sockaddr, as Go's
 * ipToSockaddr / sockaddrToTCP and syscall's SockaddrUnix do it.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

#include "api/errors.h"
#include "api/iptext.h"
#include "api/parse.h"
#include "api/strbuf.h"

/* Go's zoneCache.index: an interface name, else a decimal, else 0. */
static uint32_t zone_index(const char *zone)
{
	unsigned idx;
	int n;
	size_t used;

	if (!zone[0])
		return 0;
	idx = if_nametoindex(zone);
	if (idx)
		return idx;
	rni_dtoi(zone, strlen(zone), &n, &used);
	return (uint32_t)n;
}

/* Go's zoneCache.name: the interface's name, else the decimal index. */
static void zone_name(uint32_t idx, char zone[RN_ZONE_MAX])
{
	char name[IF_NAMESIZE];
	rni_sb sb;

	zone[0] = '\0';
	if (idx == 0)
		return;
	if (if_indextoname(idx, name)) {
		rni_sb_init(&sb, zone, RN_ZONE_MAX);
		rni_sb_puts(&sb, name);
		return;
	}
	rni_sb_init(&sb, zone, RN_ZONE_MAX);
	rni_sb_putint(&sb, idx);
}

static int ip_string_err(const char *err, rn_ip ip)
{
	char s[RN_IP_STRLEN];

	rn_ip_string(ip, s, sizeof(s));
	return rni_err_addr(err, s);
}

static int ip_to_sockaddr(rn_ip ip, int port, const char *zone, int family,
			  struct sockaddr_storage *ss, socklen_t *len, const char *func)
{
	if (!ss || !len)
		return rni_err_einval(func);
	if (port < 0 || port > 0xffff)
		return rni_err_errno(EINVAL, NULL);
	if (family == 0)
		family = rn_ip_to4(ip).len ? AF_INET : AF_INET6;
	memset(ss, 0, sizeof(*ss));

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		rn_ip v4 = rn_ip_to4(ip.len ? ip : rn_ipv4zero);

		if (!v4.len)
			return ip_string_err("non-IPv4 address", ip);
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		memcpy(&sin->sin_addr, v4.b, 4);
		*len = sizeof(*sin);
		return 0;
	}
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		rn_ip v6;

		/* Either wildcard means "::", so one socket serves both families. */
		if (!ip.len || rn_ip_equal(ip, rn_ipv4zero))
			ip = rn_ipv6zero;
		v6 = rn_ip_to16(ip);
		if (!v6.len)
			return ip_string_err("non-IPv6 address", ip);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		memcpy(&sin6->sin6_addr, v6.b, 16);
		sin6->sin6_scope_id = zone_index(zone);
		*len = sizeof(*sin6);
		return 0;
	}
	return rni_err_errno(EAFNOSUPPORT, NULL);
}

int rn_tcpaddr_to_sockaddr(const rn_tcpaddr *a, int family, struct sockaddr_storage *ss,
			   socklen_t *len)
{
	if (!a)
		return rni_err_einval("rn_tcpaddr_to_sockaddr: NULL address");
	return ip_to_sockaddr(a->ip, a->port, a->zone, family, ss, len,
			      "rn_tcpaddr_to_sockaddr: NULL output");
}

int rn_udpaddr_to_sockaddr(const rn_udpaddr *a, int family, struct sockaddr_storage *ss,
			   socklen_t *len)
{
	if (!a)
		return rni_err_einval("rn_udpaddr_to_sockaddr: NULL address");
	return ip_to_sockaddr(a->ip, a->port, a->zone, family, ss, len,
			      "rn_udpaddr_to_sockaddr: NULL output");
}

int rn_ipaddr_to_sockaddr(const rn_ipaddr *a, int family, struct sockaddr_storage *ss,
			  socklen_t *len)
{
	if (!a)
		return rni_err_einval("rn_ipaddr_to_sockaddr: NULL address");
	return ip_to_sockaddr(a->ip, 0, a->zone, family, ss, len,
			      "rn_ipaddr_to_sockaddr: NULL output");
}

int rn_unixaddr_to_sockaddr(const rn_unixaddr *a, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	size_t n;
	socklen_t sl;

	if (!a || !ss || !len)
		return rni_err_einval("rn_unixaddr_to_sockaddr: NULL argument");
	n = strnlen(a->name, sizeof(a->name));
	if (n > sizeof(sun->sun_path) || (n == sizeof(sun->sun_path) && a->name[0] != '@'))
		return rni_err_errno(EINVAL, NULL);
	memset(ss, 0, sizeof(*ss));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, a->name, n);
	sl = (socklen_t)offsetof(struct sockaddr_un, sun_path);
	if (n > 0)
		sl += (socklen_t)n + 1;
	if (sun->sun_path[0] == '@') {
		/* Abstract: a leading NUL, and the trailing NUL is not counted. */
		sun->sun_path[0] = '\0';
		sl--;
	}
	*len = sl;
	return 0;
}

static int ip_from_sockaddr(rn_ip *ip, int *port, char zone[RN_ZONE_MAX],
			    const struct sockaddr *sa, socklen_t len)
{
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return rni_err_einval("sockaddr: NULL or too short");
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in sin;

		if (len < (socklen_t)sizeof(sin))
			return rni_err_einval("sockaddr_in: too short");
		memcpy(&sin, sa, sizeof(sin));
		rn_ip_from_bytes(ip, &sin.sin_addr, 4);
		*port = ntohs(sin.sin_port);
		zone[0] = '\0';
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		if (len < (socklen_t)sizeof(sin6))
			return rni_err_einval("sockaddr_in6: too short");
		memcpy(&sin6, sa, sizeof(sin6));
		rn_ip_from_bytes(ip, &sin6.sin6_addr, 16);
		*port = ntohs(sin6.sin6_port);
		zone_name(sin6.sin6_scope_id, zone);
		return 0;
	}
	return rni_err_errno(EAFNOSUPPORT, NULL);
}

int rn_tcpaddr_from_sockaddr(rn_tcpaddr *a, const struct sockaddr *sa, socklen_t len)
{
	if (!a)
		return rni_err_einval("rn_tcpaddr_from_sockaddr: NULL output");
	memset(a, 0, sizeof(*a));
	return ip_from_sockaddr(&a->ip, &a->port, a->zone, sa, len);
}

int rn_udpaddr_from_sockaddr(rn_udpaddr *a, const struct sockaddr *sa, socklen_t len)
{
	if (!a)
		return rni_err_einval("rn_udpaddr_from_sockaddr: NULL output");
	memset(a, 0, sizeof(*a));
	return ip_from_sockaddr(&a->ip, &a->port, a->zone, sa, len);
}

int rn_ipaddr_from_sockaddr(rn_ipaddr *a, const struct sockaddr *sa, socklen_t len)
{
	int port;

	if (!a)
		return rni_err_einval("rn_ipaddr_from_sockaddr: NULL output");
	memset(a, 0, sizeof(*a));
	return ip_from_sockaddr(&a->ip, &port, a->zone, sa, len);
}

int rn_unixaddr_from_sockaddr(rn_unixaddr *a, const struct sockaddr *sa, socklen_t len,
			      const char *net)
{
	struct sockaddr_un sun;
	size_t n = 0;
	rni_sb sb;

	if (!a)
		return rni_err_einval("rn_unixaddr_from_sockaddr: NULL output");
	memset(a, 0, sizeof(*a));
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return rni_err_einval("sockaddr: NULL or too short");
	if (sa->sa_family != AF_UNIX)
		return rni_err_errno(EAFNOSUPPORT, NULL);
	memset(&sun, 0, sizeof(sun));
	if ((size_t)len > sizeof(sun))
		len = sizeof(sun);
	memcpy(&sun, sa, (size_t)len);

	/*
	 * As Go: a leading NUL (abstract, or an unnamed socket) reads as '@',
	 * and the name ends at the first NUL.
	 */
	if (sun.sun_path[0] == '\0')
		sun.sun_path[0] = '@';
	while (n < sizeof(sun.sun_path) && sun.sun_path[n])
		n++;
	memcpy(a->name, sun.sun_path, n);
	a->name[n] = '\0';
	rni_sb_init(&sb, a->net, sizeof(a->net));
	rni_sb_puts(&sb, net ? net : "unix");
	return 0;
}
