/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/iprawsock.c - IP conns ("ip4:icmp", "ip6:ipv6-icmp", "ip:1"), as Go's
 * iprawsock.go / iprawsock_posix.go.  (Being written: the entry points fail
 * with -EPROTONOSUPPORT and say so until it is complete.)
 */
#include <errno.h>

#include "api/conn.h"
#include "api/errors.h"

rn_conn *rni_dial_ip(const char *network, const rn_ipaddr *ra, const rni_dial *o)
{
	rn_addr raddr = rn_addr_from_ip(ra);

	(void)o;
	rni_err_text(-EPROTONOSUPPORT, "ringnet: IP conns are not implemented yet");
	rni_err_op("dial", network, NULL, &raddr);
	return NULL;
}

rn_conn *rni_listen_ip(const char *network, const rn_ipaddr *la, const rn_listen_config *lc)
{
	rn_addr laddr = rn_addr_from_ip(la);

	(void)lc;
	rni_err_text(-EPROTONOSUPPORT, "ringnet: IP conns are not implemented yet");
	rni_err_op("listen", network, NULL, &laddr);
	return NULL;
}
