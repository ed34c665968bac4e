/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipv4/icmp.c - ipv4.ICMPType names (IANA registry, as x/net/ipv4's
 * iana.go) and the ICMPFilter bitmap the kernel applies to raw ICMP
 * sockets.  The kernel's filter covers types 0..31; a type outside is
 * refused here rather than aliased onto a low type as Go does.
 */
#include <errno.h>
#include <stdio.h>

#include <ringnet/ipv4.h>

#include "api/errors.h"

const char *rn_ipv4_icmp_type_string(int typ)
{
	switch (typ) {
	case 0: return "echo reply";
	case 3: return "destination unreachable";
	case 5: return "redirect";
	case 8: return "echo";
	case 9: return "router advertisement";
	case 10: return "router solicitation";
	case 11: return "time exceeded";
	case 12: return "parameter problem";
	case 13: return "timestamp";
	case 14: return "timestamp reply";
	case 40: return "photuris";
	case 42: return "extended echo request";
	case 43: return "extended echo reply";
	default: return "<nil>";
	}
}

int rn_ipv4_icmp_type_protocol(int typ)
{
	(void)typ;
	return 1; /* iana.ProtocolICMP */
}

static int check_type(int typ)
{
	char text[128];

	if (typ >= 0 && typ < 32)
		return 0;
	snprintf(text, sizeof(text),
		 "invalid argument: ICMP type %d: the kernel filters types 0 to 31 only", typ);
	return rni_err_text(-EINVAL, text);
}

int rn_ipv4_icmp_filter_accept(rn_ipv4_icmp_filter *f, int typ)
{
	int err = check_type(typ);

	if (err)
		return err;
	f->data &= ~(UINT32_C(1) << typ);
	return 0;
}

int rn_ipv4_icmp_filter_block(rn_ipv4_icmp_filter *f, int typ)
{
	int err = check_type(typ);

	if (err)
		return err;
	f->data |= UINT32_C(1) << typ;
	return 0;
}

void rn_ipv4_icmp_filter_set_all(rn_ipv4_icmp_filter *f, bool block)
{
	f->data = block ? UINT32_MAX : 0;
}

bool rn_ipv4_icmp_filter_will_block(const rn_ipv4_icmp_filter *f, int typ)
{
	if (typ < 0 || typ >= 32)
		return false;
	return (f->data >> typ) & 1;
}
