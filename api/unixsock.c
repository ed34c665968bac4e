/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/unixsock.c - Unix domain sockets: unix, unixgram, unixpacket, as Go's
 * unixsock.go / unixsock_posix.go.  (Being written: this file holds the
 * entry points the dial front calls; until it is complete they fail with
 * -EPROTONOSUPPORT and say so.)
 */
#include <errno.h>

#include "api/conn.h"
#include "api/errors.h"

rn_conn *rni_dial_unix(const char *network, const rn_unixaddr *la, const rn_unixaddr *ra,
		       int64_t deadline)
{
	rn_addr raddr = rn_addr_from_unix(ra);

	(void)la;
	(void)deadline;
	rni_err_text(-EPROTONOSUPPORT, "ringnet: unix sockets are not implemented yet");
	rni_err_op("dial", network, NULL, &raddr);
	return NULL;
}

rn_listener *rni_listen_unix(const char *network, const rn_unixaddr *la)
{
	rn_addr laddr = rn_addr_from_unix(la);

	rni_err_text(-EPROTONOSUPPORT, "ringnet: unix sockets are not implemented yet");
	rni_err_op("listen", network, NULL, &laddr);
	return NULL;
}

rn_conn *rni_listen_unixgram(const char *network, const rn_unixaddr *la)
{
	rn_addr laddr = rn_addr_from_unix(la);

	rni_err_text(-EPROTONOSUPPORT, "ringnet: unix sockets are not implemented yet");
	rni_err_op("listen", network, NULL, &laddr);
	return NULL;
}
