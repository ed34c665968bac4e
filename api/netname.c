/* SPDX-License-Identifier: BSD-3-Clause */
/* api/netname.c - network names: "tcp4", "ip4:icmp", "unixgram", ... */
#include <string.h>

#include "api/errors.h"
#include "api/etctables.h"
#include "api/parse.h"

/* Go's maxProtoLength: longer protocol names never match. */
#define MAX_PROTO_NAME 25

int rn_lookup_protocol(const char *name)
{
	char lower[MAX_PROTO_NAME + 1];
	size_t n;
	int proto;

	if (!name)
		return rni_err_einval("rn_lookup_protocol: NULL name");
	n = strlen(name);
	if (n <= MAX_PROTO_NAME) {
		for (size_t i = 0; i <= n; i++)
			lower[i] = rni_lower(name[i]);
		if (rni_protocol_number(lower, &proto))
			return proto;
	}
	return rni_err_addr("unknown IP protocol specified", name);
}

static bool is_one_of(const char *s, const char *const *names)
{
	for (; *names; names++)
		if (!strcmp(s, *names))
			return true;
	return false;
}

int rn_parse_network(const char *network, bool needs_proto, rn_network *out)
{
	static const char *const stream_dgram[] = { "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6",
						    "unix", "unixgram", "unixpacket", NULL };
	static const char *const ip[] = { "ip", "ip4", "ip6", NULL };
	const char *colon;
	rn_network r = { "", 0, 0 };

	if (out)
		*out = r;
	if (!network)
		return rni_err_einval("rn_parse_network: NULL network");

	colon = strrchr(network, ':');
	if (!colon) {
		if (is_one_of(network, ip)) {
			if (needs_proto)
				return rni_err_unknown_network(network);
		} else if (!is_one_of(network, stream_dgram)) {
			return rni_err_unknown_network(network);
		}
		strcpy(r.afnet, network); /* fits: one of the names above */
	} else {
		size_t alen = (size_t)(colon - network);
		const char *protostr = colon + 1;
		size_t plen = strlen(protostr), used;

		if (alen >= sizeof(r.afnet))
			return rni_err_unknown_network(network);
		memcpy(r.afnet, network, alen);
		r.afnet[alen] = '\0';
		if (!is_one_of(r.afnet, ip))
			return rni_err_unknown_network(network);
		if (!rni_dtoi(protostr, plen, &r.proto, &used) || used != plen) {
			int p = rn_lookup_protocol(protostr);
			if (p < 0)
				return p;
			r.proto = p;
		}
	}
	r.version = rni_ip_version(r.afnet);
	if (r.version)
		r.version -= '0';
	if (out)
		*out = r;
	return 0;
}
