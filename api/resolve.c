/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/resolve.c - ResolveTCPAddr, ResolveUDPAddr, ResolveIPAddr and
 * ResolveUnixAddr, following Go's internetAddrList and forResolve.
 *
 * Host names go through api/hosts.c: /etc/hosts, then getaddrinfo.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/errors.h"
#include "api/parse.h"
#include "api/resolve.h"

/*
 * Go's internetAddrList after the host is known: the IPv4 wildcard beside a
 * lone "::" (Go issue 18806), then only the addresses of the network's
 * version ('4' or '6'), else "no suitable address found".
 */
static int host_addrs(const char *afnet, const char *host, rni_addrs *c)
{
	int version = rni_ip_version(afnet);
	int rc = rni_lookup_host(afnet, host, c), kept = 0;

	if (rc < 0)
		return rc;
	if (c->n == 1 && rn_ip_equal(c->ip[0], rn_ipv6unspecified)) {
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

int rni_for_resolve(const rni_addrs *a, const char *network, const char *address)
{
	/* Go: "ip" with a ':' in the text, or "tcp"/"udp" with a '[', asks for IPv6. */
	bool want6 = (!strcmp(network, "ip") && strchr(address, ':')) ||
		     ((!strcmp(network, "tcp") || !strcmp(network, "udp")) && strchr(address, '['));

	for (int i = 0; i < a->n; i++) {
		bool is4 = rn_ip_to4(a->ip[i]).len != 0;
		if (want6 ? !is4 : is4)
			return i;
	}
	return 0;
}

int rni_internet_addrs(const char *afnet, const char *address, rni_addrs *out, int *port)
{
	bool ip = !strncmp(afnet, "ip", 2);
	size_t n = strlen(address) + 1;
	char *buf, *host, *portstr;
	int rc = 0;

	out->n = 0;
	*port = 0;
	if (!address[0]) {
		out->ip[0] = (rn_ip){ 0, { 0 } };
		out->zone[0][0] = '\0';
		out->n = 1;
		return 0;
	}
	if (ip)
		return host_addrs(afnet, address, out);
	buf = malloc(2 * n);
	if (!buf)
		return rni_err_errno(ENOMEM, NULL);
	host = buf;
	portstr = buf + n;
	rc = rn_split_host_port(address, host, n, portstr, n);
	if (rc == 0) {
		rc = rn_lookup_port(afnet, portstr);
		if (rc >= 0) {
			*port = rc;
			rc = 0;
		}
	}
	if (rc == 0 && host[0]) {
		rc = host_addrs(afnet, host, out);
	} else if (rc == 0) {
		out->ip[0] = (rn_ip){ 0, { 0 } };
		out->zone[0][0] = '\0';
		out->n = 1;
	}
	free(buf);
	return rc;
}

/* Resolve "host:port" for tcp or udp networks into ip, zone and port. */
static int resolve_inet(const char *network, const char *address, rn_ip *ip,
			char zone[RN_ZONE_MAX], int *port)
{
	rni_addrs c;
	int rc = rni_internet_addrs(network, address, &c, port), i;

	*ip = (rn_ip){ 0, { 0 } };
	zone[0] = '\0';
	if (rc < 0)
		return rc;
	i = rni_for_resolve(&c, network, address);
	*ip = c.ip[i];
	memcpy(zone, c.zone[i], RN_ZONE_MAX);
	return 0;
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
	rni_addrs c;
	rn_network nw;
	int rc, i, port;

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
	rc = rni_internet_addrs(nw.afnet, address, &c, &port);
	if (rc < 0)
		return rc;
	i = rni_for_resolve(&c, network, address);
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
		return rni_err_einval("unix socket name longer than ringnet holds (511 bytes)");
	memcpy(out->name, address, n + 1);
	strcpy(out->net, network); /* one of the three names above */
	return 0;
}
