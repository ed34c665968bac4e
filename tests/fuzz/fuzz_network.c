/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_network.c - network names, LookupPort and the Resolve*Addr functions.
 *
 * The input is "network\naddress" (no newline: all of it is the address and
 * the network is picked by the first byte).  Runs rn_parse_network (both
 * ways), rn_lookup_protocol, rn_lookup_port and rn_resolve_{tcp,udp,ip,unix}
 * _addr; checks that a resolved address resolves again from its own
 * Network() and String() to the same address (as Go's tests do), and renders
 * every failure.  A host that is not an IP literal would be looked up
 * (/etc/hosts, then getaddrinfo and DNS), so such inputs skip the Resolve
 * calls: fuzzing must send nothing off the host.
 */
#include "fuzz_common.h"

static const char *const nets[] = {"tcp",  "tcp4", "tcp6",	"udp",	    "udp4",	  "udp6",
				   "ip",   "ip4",  "ip6",	"ip4:icmp", "ip6:58",	  "unix",
				   "unixgram", "unixpacket", "", "ip:tcp", "IP", "tcp7"};

static int render_tcp(const void *ctx, char *buf, size_t size)
{
	return rn_tcpaddr_string((const rn_tcpaddr *)ctx, buf, size);
}

static int render_udp(const void *ctx, char *buf, size_t size)
{
	return rn_udpaddr_string((const rn_udpaddr *)ctx, buf, size);
}

static int render_ipa(const void *ctx, char *buf, size_t size)
{
	return rn_ipaddr_string((const rn_ipaddr *)ctx, buf, size);
}

static int render_unix(const void *ctx, char *buf, size_t size)
{
	return rn_unixaddr_string((const rn_unixaddr *)ctx, buf, size);
}

static int render_addr(const void *ctx, char *buf, size_t size)
{
	return rn_addr_string((const rn_addr *)ctx, buf, size);
}

static int render_ap(const void *ctx, char *buf, size_t size)
{
	return rn_addrport_string(*(const rn_addrport *)ctx, buf, size);
}

static bool same_ip(rn_ip a, rn_ip b)
{
	return a.len == b.len && memcmp(a.b, b.b, a.len) == 0;
}

/*
 * Go prints an IPv4 address with a zone ("[::ffff:1.2.3.4%eth0]:80" resolves
 * to one) as "1.2.3.4%eth0", which is no literal: such an address does not
 * resolve back, in Go as in ringnet.  Everything else must.
 */
static bool round_trips(rn_ip ip, const char *zone)
{
	return !(zone[0] && rn_ip_to4(ip).len);
}

/* Whether @host is an IP literal (with a zone for IPv6), as Resolve sees it. */
static bool is_literal(const char *host)
{
	size_t n = strlen(host);

	for (size_t i = 0; i < n; i++) {
		if (host[i] == '.')
			return rn_parse_ip(host).len != 0;
		if (host[i] == ':') {
			const char *pct = strrchr(host, '%');
			char *h = strndup(host, pct && pct > host ? (size_t)(pct - host) : n);
			bool lit;

			if (!h)
				abort();
			lit = rn_parse_ip(h).len != 0;
			free(h);
			return lit;
		}
	}
	return false;
}

/* Whether resolving @addr ("host:port", or a bare host) would look a name up. */
static bool names_a_host(const char *addr, bool has_port)
{
	size_t n = strlen(addr) + 1;
	char *host, *port;
	bool r;

	if (!has_port)
		return addr[0] && !is_literal(addr);
	host = malloc(n);
	port = malloc(n);
	if (!host || !port)
		abort();
	r = rn_split_host_port(addr, host, n, port, n) == 0 && host[0] && !is_literal(host);
	free(host);
	free(port);
	return r;
}

static void tcp(const char *net, const char *addr)
{
	rn_tcpaddr a, b;
	char s[RN_ADDR_STRLEN];
	int r;

	if (names_a_host(addr, true))
		return;
	r = rn_resolve_tcp_addr(net, addr, &a);
	if (r < 0) {
		fuzz_check_error(r, "rn_resolve_tcp_addr");
		return;
	}
	FUZZ_CHECK(a.port >= 0 && a.port <= 65535, "port %d", a.port);
	FUZZ_CHECK(strcmp(rn_tcpaddr_network(&a), "tcp") == 0, "TCPAddr.Network");
	fuzz_check_text(render_tcp, &a, "rn_tcpaddr_string");
	rn_addr any = rn_addr_from_tcp(&a);
	fuzz_check_text(render_addr, &any, "rn_addr_string(tcp)");
	rn_addrport ap = rn_tcpaddr_addr_port(&a);
	fuzz_check_text(render_ap, &ap, "rn_addrport_string");
	FUZZ_CHECK(rn_tcpaddr_string(&a, s, sizeof s) < (int)sizeof s, "RN_ADDR_STRLEN");
	if (!round_trips(a.ip, a.zone))
		return;
	r = rn_resolve_tcp_addr(rn_tcpaddr_network(&a), s, &b);
	FUZZ_CHECK(r == 0, "ResolveTCPAddr(tcp, %s) (from %s, %s) = %d", s, net, addr, r);
	FUZZ_CHECK(same_ip(a.ip, b.ip) && a.port == b.port && strcmp(a.zone, b.zone) == 0,
		   "TCPAddr %s does not resolve to itself", s);
	struct sockaddr_storage ss;
	socklen_t sl;
	(void)rn_tcpaddr_to_sockaddr(&a, 0, &ss, &sl);
}

static void udp(const char *net, const char *addr)
{
	rn_udpaddr a, b;
	char s[RN_ADDR_STRLEN];
	int r;

	if (names_a_host(addr, true))
		return;
	r = rn_resolve_udp_addr(net, addr, &a);
	if (r < 0) {
		fuzz_check_error(r, "rn_resolve_udp_addr");
		return;
	}
	FUZZ_CHECK(a.port >= 0 && a.port <= 65535, "port %d", a.port);
	FUZZ_CHECK(strcmp(rn_udpaddr_network(&a), "udp") == 0, "UDPAddr.Network");
	fuzz_check_text(render_udp, &a, "rn_udpaddr_string");
	rn_addrport ap = rn_udpaddr_addr_port(&a);
	fuzz_check_text(render_ap, &ap, "rn_addrport_string");
	rn_udpaddr_string(&a, s, sizeof s);
	if (!round_trips(a.ip, a.zone))
		return;
	r = rn_resolve_udp_addr(rn_udpaddr_network(&a), s, &b);
	FUZZ_CHECK(r == 0, "ResolveUDPAddr(udp, %s) (from %s, %s) = %d", s, net, addr, r);
	FUZZ_CHECK(same_ip(a.ip, b.ip) && a.port == b.port && strcmp(a.zone, b.zone) == 0,
		   "UDPAddr %s does not resolve to itself", s);
}

static void ipa(const char *net, const char *addr)
{
	rn_ipaddr a, b;
	char s[RN_ADDR_STRLEN];
	int r;

	if (names_a_host(addr, false))
		return;
	r = rn_resolve_ip_addr(net, addr, &a);
	if (r < 0) {
		fuzz_check_error(r, "rn_resolve_ip_addr");
		return;
	}
	FUZZ_CHECK(strcmp(rn_ipaddr_network(&a), "ip") == 0, "IPAddr.Network");
	fuzz_check_text(render_ipa, &a, "rn_ipaddr_string");
	rn_ipaddr_string(&a, s, sizeof s);
	if (a.ip.len == 0 || !round_trips(a.ip, a.zone))
		return; /* nil IP prints "<nil>", which Go would look up as a name */
	r = rn_resolve_ip_addr(rn_ipaddr_network(&a), s, &b);
	FUZZ_CHECK(r == 0, "ResolveIPAddr(ip, %s) (from %s, %s) = %d", s, net, addr, r);
	FUZZ_CHECK(same_ip(a.ip, b.ip) && strcmp(a.zone, b.zone) == 0,
		   "IPAddr %s does not resolve to itself", s);
}

static void unx(const char *net, const char *addr)
{
	rn_unixaddr a;
	int r = rn_resolve_unix_addr(net, addr, &a);
	if (r < 0) {
		fuzz_check_error(r, "rn_resolve_unix_addr");
		return;
	}
	FUZZ_CHECK(strcmp(a.name, addr) == 0, "UnixAddr name %s != %s", a.name, addr);
	FUZZ_CHECK(strcmp(rn_unixaddr_network(&a), net) == 0, "UnixAddr net %s != %s",
		   rn_unixaddr_network(&a), net);
	fuzz_check_text(render_unix, &a, "rn_unixaddr_string");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *net, *addr;
	rn_network pn;
	int r;

	if (nl) {
		net = fuzz_cstr(data, (size_t)(nl - data));
		addr = fuzz_cstr(nl + 1, size - (size_t)(nl - data) - 1);
	} else {
		const char *pick = size ? nets[data[0] % (sizeof nets / sizeof nets[0])] : "tcp";
		net = fuzz_cstr((const uint8_t *)pick, strlen(pick));
		addr = fuzz_cstr(size ? data + 1 : data, size ? size - 1 : 0);
	}

	for (int needs = 0; needs < 2; needs++) {
		r = rn_parse_network(net, needs, &pn);
		if (r < 0) {
			fuzz_check_error(r, "rn_parse_network");
		} else {
			FUZZ_CHECK(pn.proto >= 0, "proto %d", pn.proto);
			FUZZ_CHECK(pn.version == 0 || pn.version == 4 || pn.version == 6, "version");
		}
	}
	r = rn_lookup_protocol(addr);
	if (r < 0)
		fuzz_check_error(r, "rn_lookup_protocol");
	r = rn_lookup_port(net, addr);
	if (r < 0)
		fuzz_check_error(r, "rn_lookup_port");
	else
		FUZZ_CHECK(r <= 65535, "LookupPort(%s, %s) = %d", net, addr, r);

	tcp(net, addr);
	udp(net, addr);
	ipa(net, addr);
	unx(net, addr);

	free(net);
	free(addr);
	return 0;
}
