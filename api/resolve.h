/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/resolve.h - host lookup for Resolve*Addr and Dial: literals, then
 * /etc/hosts, then the C library's getaddrinfo (Go's "cgo" resolver mode),
 * until ringnet's own resolver arrives.  Internal.
 */
#ifndef RINGNET_API_RESOLVE_H
#define RINGNET_API_RESOLVE_H

#include <ringnet/net.h>

#define RNI_MAX_ADDRS 32

/* Go's addrList for one host: IPs with zones, in order. */
typedef struct rni_addrs {
	rn_ip ip[RNI_MAX_ADDRS];
	char zone[RNI_MAX_ADDRS][RN_ZONE_MAX];
	int n;
} rni_addrs;

/*
 * rni_lookup_host - the addresses of @host for network @afnet ("tcp4" asks
 * only for IPv4, ...): a literal as is; a name from /etc/hosts (Go's
 * parsing: case-insensitive, absolute names, file order), else from
 * getaddrinfo.  Names under .invalid fail at once without a query (RFC
 * 6761).  Returns 0, or a recorded DNSError code (RN_EDNS_NOTFOUND "no such
 * host", RN_EDNS_TEMPORARY, RN_EDNS).
 */
int rni_lookup_host(const char *afnet, const char *host, rni_addrs *out);

/*
 * rni_internet_addrs - Go's internetAddrList for TCP, UDP and IP networks:
 * split "host:port" (not for IP), look up the port and the host, add the
 * IPv4 wildcard beside "::" and keep the addresses of the network's family.
 * An empty host gives one nil IP.  Returns 0, or the recorded error's code.
 */
int rni_internet_addrs(const char *afnet, const char *address, rni_addrs *out, int *port);

/*
 * rni_for_resolve - Go's addrList.forResolve: the index of the address that
 * Resolve*Addr returns for @network and @address.
 */
int rni_for_resolve(const rni_addrs *a, const char *network, const char *address);

#endif /* RINGNET_API_RESOLVE_H */
