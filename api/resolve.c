/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/resolve.c - ResolveTCPAddr, ResolveUDPAddr, ResolveIPAddr and
 * ResolveUnixAddr, following Go's internetAddrList and forResolve.
 *
 * Only literal hosts resolve today; a host name fails with Go's DNSError
 * "no such host" until the resolver lands.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/errors.h"
#include "api/parse.h"

/* One candidate address (Go's IPAddr) and the family filter. */
struct candidates {
	rn_ip ip[2];
	char zone[2][RN_ZONE_MAX];
	int n;
};

/*
 * Go's internetAddrList for a host that is not empty: a literal, with the
 * IPv4 wildcard added beside "::" (Go issue 18806), filtered by the
 * network's version.
 */
static int host_addrs(const char *afnet, const char *host, struct candidates *c)
{
	bool too_long;
	int version = rni_ip_version(afnet);
	rn_ip ip = rni_parse_ip_zone(host, c->zone[0], &too_long);
	int kept = 0;

	c->n = 0;
	if (ip.len == 0)
		return rni_err_dns(RN_EDNS_NOTFOUND, "no such host", host, NULL);
	if (too_long)
		return rni_err_addr("IPv6 zone too long", host);
	c->ip[0] = ip;
	c->n = 1;
	if (rn_ip_equal(ip, rn_ipv6unspecified)) {
		c->ip[1] = rn_ipv4zero;
		c->zone[1][0] = '\0';
		c->n = 2;
	}
	for (int i = 0; i < c->n; i++) {
		bool is4 = rn_ip_to4(c->ip[i]).len != 0;
		bool keep = version == '4' ? is4 : version == '6' ? (c->ip[i].len == 16 && !is4) : true;

		if (keep) {
			c->ip[kept] = c->ip[i];
			memcpy(c->zone[kept], c->zone[i], RN_ZONE_MAX);
			kept++;
		}
	}
	c->n = kept;
	if (kept == 0)
		return rni_err_addr("no suitable address found", host);
	return 0;
}

/* Go's addrList.forResolve: prefer IPv6 only when the text asked for it. */
static int pick(const struct candidates *c, bool want6)
{
	for (int i = 0; i < c->n; i++) {
		bool is4 = rn_ip_to4(c->ip[i]).len != 0;
		if (want6 ? !is4 : is4)
			return i;
	}
	return 0;
}

/* Resolve "host:port" for tcp or udp networks into ip, zone and port. */
static int resolve_inet(const char *network, const char *address, rn_ip *ip,
			char zone[RN_ZONE_MAX], int *port)
{
	struct candidates c;
	char *buf, *host, *portstr;
	size_t n;
	int rc, i;

	*ip = (rn_ip){ 0, { 0 } };
	zone[0] = '\0';
	*port = 0;
	if (!address[0])
		return 0;
	n = strlen(address) + 1;
	buf = malloc(2 * n);
	if (!buf)
		return rni_err_errno(ENOMEM, NULL);
	host = buf;
	portstr = buf + n;
	rc = rn_split_host_port(address, host, n, portstr, n);
	if (rc == 0) {
		rc = rn_lookup_port(network, portstr);
		if (rc >= 0) {
			*port = rc;
			rc = 0;
		}
	}
	if (rc == 0 && host[0]) {
		rc = host_addrs(network, host, &c);
		if (rc == 0) {
			/* Go: for "tcp"/"udp" a '[' in the text asks for IPv6. */
			bool want6 = (!strcmp(network, "tcp") || !strcmp(network, "udp")) &&
				     strchr(address, '[');
			i = pick(&c, want6);
			*ip = c.ip[i];
			memcpy(zone, c.zone[i], RN_ZONE_MAX);
		}
	}
	free(buf);
	return rc;
}

/* The shared body of ResolveTCPAddr and ResolveUDPAddr ("" is @proto). */
static int resolve_port_addr(const char *proto, const char *network, const char *address,
			     rn_ip *ip, char zone[RN_ZONE_MAX], int *port)
{
	size_t plen = strlen(proto);

	if (!network[0])
		network = proto;
	else if (strncmp(network, proto, plen) ||
		 (network[plen] && strcmp(network + plen, "4") && strcmp(network + plen, "6")))
		return rni_err_unknown_network(network);
	return resolve_inet(network, address, ip, zone, port);
}

int rn_resolve_tcp_addr(const char *network, const char *address, rn_tcpaddr *out)
{
	rn_tcpaddr a;
	int rc;

	if (!network || !address || !out)
		return rni_err_einval("rn_resolve_tcp_addr: NULL argument");
	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	rc = resolve_port_addr("tcp", network, address, &a.ip, a.zone, &a.port);
	if (rc == 0)
		*out = a;
	return rc;
}

int rn_resolve_udp_addr(const char *network, const char *address, rn_udpaddr *out)
{
	rn_udpaddr a;
	int rc;

	if (!network || !address || !out)
		return rni_err_einval("rn_resolve_udp_addr: NULL argument");
	memset(out, 0, sizeof(*out));
	memset(&a, 0, sizeof(a));
	rc = resolve_port_addr("udp", network, address, &a.ip, a.zone, &a.port);
	if (rc == 0)
		*out = a;
	return rc;
}

int rn_resolve_ip_addr(const char *network, const char *address, rn_ipaddr *out)
{
	struct candidates c;
	rn_network nw;
	int rc, i;

	if (!network || !address || !out)
		return rni_err_einval("rn_resolve_ip_addr: NULL argument");
	memset(out, 0, sizeof(*out));
	if (!network[0])
		network = "ip";
	rc = rn_parse_network(network, false, &nw);
	if (rc < 0)
		return rc;
	if (strcmp(nw.afnet, "ip") && strcmp(nw.afnet, "ip4") && strcmp(nw.afnet, "ip6"))
		return rni_err_unknown_network(network);
	if (!address[0])
		return 0;
	rc = host_addrs(nw.afnet, address, &c);
	if (rc < 0)
		return rc;
	/* Go: for plain "ip" a ':' in the text asks for IPv6. */
	i = pick(&c, !strcmp(network, "ip") && strchr(address, ':'));
	out->ip = c.ip[i];
	memcpy(out->zone, c.zone[i], RN_ZONE_MAX);
	return 0;
}

int rn_resolve_unix_addr(const char *network, const char *address, rn_unixaddr *out)
{
	size_t n;

	if (!network || !address || !out)
		return rni_err_einval("rn_resolve_unix_addr: NULL argument");
	memset(out, 0, sizeof(*out));
	if (strcmp(network, "unix") && strcmp(network, "unixgram") && strcmp(network, "unixpacket"))
		return rni_err_unknown_network(network);
	n = strlen(address);
	if (n >= sizeof(out->name))
		return rni_err_einval("unix socket name longer than sun_path");
	memcpy(out->name, address, n + 1);
	strcpy(out->net, network); /* one of the three names above */
	return 0;
}
