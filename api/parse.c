/* SPDX-License-Identifier: BSD-3-Clause */
/* api/parse.c - Go's small number parsers: dtoi, xtoi, parsePort, ipVersion. */
#include "api/parse.h"

#include <stdint.h>
#include <string.h>

bool rni_dtoi(const char *s, size_t len, int *n, size_t *consumed)
{
	int v = 0;
	size_t i;

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v >= RNI_BIG) {
			*n = RNI_BIG;
			*consumed = i;
			return false;
		}
	}
	*n = v;
	*consumed = i;
	return i > 0;
}

int rni_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool rni_xtoi(const char *s, size_t len, int *n, size_t *consumed)
{
	int v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		int d = rni_hexval(s[i]);
		if (d < 0)
			break;
		v = v * 16 + d;
		if (v >= RNI_BIG) {
			*n = 0;
			*consumed = i;
			return false;
		}
	}
	*n = v;
	*consumed = i;
	return i > 0;
}

bool rni_parse_port(const char *service, int *port)
{
	/* Go computes in uint32 and so wraps: "4294967300" is port 4 there. */
	const uint32_t cutoff = UINT32_C(1) << 30, max = UINT32_MAX;
	const char *p = service;
	bool neg = false;
	uint32_t n = 0;

	*port = 0;
	if (!*p)
		return false; /* "" is port 0: Go issue 13610 */
	if (*p == '+') {
		p++;
	} else if (*p == '-') {
		neg = true;
		p++;
	}
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return true;
		if (n >= cutoff) {
			/* Saturated: Go stops looking at the rest of the text here. */
			n = max;
			break;
		}
		n *= 10;
		uint32_t nn = n + (uint32_t)(*p - '0');
		if (nn < n) {
			n = max;
			break;
		}
		n = nn;
	}
	if (!neg && n >= cutoff)
		*port = (int)(cutoff - 1);
	else if (neg && n > cutoff)
		*port = -(int)cutoff;
	else
		*port = neg ? -(int)n : (int)n;
	return false;
}

int rni_ip_version(const char *network)
{
	size_t n = network ? strlen(network) : 0;

	if (n == 0)
		return 0;
	return (network[n - 1] == '4' || network[n - 1] == '6') ? network[n - 1] : 0;
}
