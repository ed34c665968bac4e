/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/etctables.h - /etc/services and /etc/protocols, each read once per
 * process (as Go does) into an immutable table, with Go's built-in entries.
 * Internal.
 */
#ifndef RINGNET_API_ETCTABLES_H
#define RINGNET_API_ETCTABLES_H

#include <stdbool.h>

/*
 * rni_service_port - the port of service @name (already lowercased) for
 * @net ("tcp", "udp", ...): the last /etc/services entry wins, then Go's
 * built-in table.  Returns false when there is none.
 */
bool rni_service_port(const char *net, const char *name, int *port);

/*
 * rni_protocol_number - the protocol number of @name (already lowercased):
 * Go's built-in table first, then the first /etc/protocols entry.
 */
bool rni_protocol_number(const char *name, int *proto);

#endif /* RINGNET_API_ETCTABLES_H */
