/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/dial.c - Dial, DialTimeout, Listen and ListenPacket: parse the
 * network, resolve the address, and hand over to the protocol's half
 * (tcpsock.c, udpsock.c), as Go's dial.go does.
 */
#include <errno.h>
#include <string.h>

#include "api/conn.h"
#include "api/errors.h"

enum proto { P_TCP, P_UDP, P_OTHER };

static enum proto proto_of(const char *afnet)
{
	if (!strncmp(afnet, "tcp", 3))
		return P_TCP;
	if (!strncmp(afnet, "udp", 3))
		return P_UDP;
	return P_OTHER;
}

/* Go's resolveAddrList checks; records the error and returns < 0 on failure. */
static int check(const char *op, const char *network, const char *address, enum proto *p)
{
	rn_network nw;
	int rc;

	if (!network || !address)
		return rni_err_einval("NULL network or address");
	rc = rn_parse_network(network, true, &nw);
	if (rc < 0)
		return rc;
	if (!strcmp(op, "dial") && !address[0])
		return rni_err_sentinel(RN_EMISSINGADDR);
	*p = proto_of(nw.afnet);
	if (*p == P_OTHER)
		return rni_err_text(-EPROTONOSUPPORT,
				    "ringnet: only tcp and udp networks are implemented so far");
	return 0;
}

rn_conn *rn_dial_timeout(const char *network, const char *address, rn_duration timeout)
{
	int64_t deadline = timeout > 0 ? rn_time_add(rn_now(), timeout) : 0;
	enum proto p = P_OTHER;
	int rc = check("dial", network, address, &p);

	if (rc == 0 && p == P_TCP) {
		rn_tcpaddr ra;

		rc = rn_resolve_tcp_addr(network, address, &ra);
		if (rc == 0)
			return rni_dial_tcp(network, &ra, deadline);
	} else if (rc == 0) {
		rn_udpaddr ra;

		rc = rn_resolve_udp_addr(network, address, &ra);
		if (rc == 0)
			return rni_dial_udp(network, &ra, deadline);
	}
	rni_err_op("dial", network ? network : "", NULL, NULL);
	return NULL;
}

rn_conn *rn_dial(const char *network, const char *address)
{
	return rn_dial_timeout(network, address, 0);
}

/*
 * Resolve a listen address for either protocol; a Listen on a packet network
 * or a ListenPacket on a stream one fails as Go's does, with "unexpected
 * address type".
 */
static int resolve_listen(const char *network, const char *address, enum proto want,
			  rn_tcpaddr *ta, rn_udpaddr *ua)
{
	enum proto p = P_OTHER;
	rn_addr got;
	int rc = check("listen", network, address, &p);

	if (rc < 0)
		return rni_err_op("listen", network ? network : "", NULL, NULL);
	rc = p == P_TCP ? rn_resolve_tcp_addr(network, address, ta)
			: rn_resolve_udp_addr(network, address, ua);
	if (rc < 0)
		return rni_err_op("listen", network, NULL, NULL);
	if (p == want)
		return 0;
	got = p == P_TCP ? rn_addr_from_tcp(ta) : rn_addr_from_udp(ua);
	rni_err_addr("unexpected address type", address);
	return rni_err_op("listen", network, NULL, &got);
}

rn_listener *rn_listen(const char *network, const char *address)
{
	rn_tcpaddr ta;
	rn_udpaddr ua;

	if (resolve_listen(network, address, P_TCP, &ta, &ua) < 0)
		return NULL;
	return rni_listen_tcp(network, &ta);
}

rn_conn *rn_listen_packet(const char *network, const char *address)
{
	rn_tcpaddr ta;
	rn_udpaddr ua;

	if (resolve_listen(network, address, P_UDP, &ta, &ua) < 0)
		return NULL;
	return rni_listen_udp(network, &ua);
}
