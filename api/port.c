/* SPDX-License-Identifier: BSD-3-Clause */
/* api/port.c - LookupPort: numeric ports and service names. */
#include <errno.h>
#include <string.h>

#include "api/errors.h"
#include "api/etctables.h"
#include "api/parse.h"
#include "api/strbuf.h"

/* Go's maxPortBufSize: service names longer than this never match. */
#define MAX_SERVICE_NAME 25

static int lookup_port_map(const char *network, const char *service)
{
	char lower[MAX_SERVICE_NAME + 1];
	size_t n = strlen(service);
	int port;

	if (!strcmp(network, "tcp4") || !strcmp(network, "tcp6"))
		network = "tcp";
	else if (!strcmp(network, "udp4") || !strcmp(network, "udp6"))
		network = "udp";

	if (n <= MAX_SERVICE_NAME) {
		for (size_t i = 0; i <= n; i++)
			lower[i] = rni_lower(service[i]);
		if (rni_service_port(network, lower, &port))
			return port;
	}
	{
		char what[RN_ERR_SUBJECT_MAX];
		rni_sb sb;

		rni_sb_init(&sb, what, sizeof(what));
		rni_sb_puts(&sb, network);
		rni_sb_putc(&sb, '/');
		rni_sb_puts(&sb, service);
		return rni_err_addr("unknown port", what);
	}
}

int rn_lookup_port(const char *network, const char *service)
{
	int port;

	if (!network || !service)
		return rni_err_einval("rn_lookup_port: NULL network or service");
	if (rni_parse_port(service, &port)) {
		if (!network[0])
			network = "ip"; /* Go 1.0's undocumented wildcard */
		else if (strcmp(network, "tcp") && strcmp(network, "tcp4") &&
			 strcmp(network, "tcp6") && strcmp(network, "udp") &&
			 strcmp(network, "udp4") && strcmp(network, "udp6"))
			return rni_err_addr("unknown network", network);
		port = lookup_port_map(network, service);
		if (port < 0)
			return port;
	}
	if (port < 0 || port > 65535)
		return rni_err_addr("invalid port", service);
	return port;
}
