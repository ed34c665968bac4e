/* SPDX-License-Identifier: BSD-3-Clause */
/* api/hostport.c - SplitHostPort and JoinHostPort. */
#include <errno.h>
#include <string.h>

#include "api/errors.h"
#include "api/strbuf.h"

static void clear_out(char *host, size_t host_size, char *port, size_t port_size)
{
	if (host && host_size)
		host[0] = '\0';
	if (port && port_size)
		port[0] = '\0';
}

static int put_out(char *dst, size_t size, const char *s, size_t n)
{
	if (!dst)
		return 0;
	if (n >= size)
		return -ENOSPC;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int rn_split_host_port(const char *hp, char *host, size_t host_size, char *port,
		       size_t port_size)
{
	const char *colon, *h;
	size_t hlen, j = 0, k = 0, len;

	if ((host && !host_size) || (port && !port_size))
		return rni_err_einval("rn_split_host_port: zero-sized output");
	clear_out(host, host_size, port, port_size);
	if (!hp)
		return rni_err_einval("rn_split_host_port: NULL address");
	len = strlen(hp);

	/* The port starts after the last colon. */
	colon = strrchr(hp, ':');
	if (!colon)
		return rni_err_addr("missing port in address", hp);

	if (hp[0] == '[') {
		/* Expect the first ']' just before the last ':'. */
		const char *end = strchr(hp, ']');
		size_t e;

		if (!end)
			return rni_err_addr("missing ']' in address", hp);
		e = (size_t)(end - hp);
		if (e + 1 == len)
			return rni_err_addr("missing port in address", hp);
		if (hp + e + 1 != colon) {
			if (hp[e + 1] == ':')
				return rni_err_addr("too many colons in address", hp);
			return rni_err_addr("missing port in address", hp);
		}
		h = hp + 1;
		hlen = e - 1;
		j = 1;
		k = e + 1; /* no '[' before j, no ']' before k */
	} else {
		h = hp;
		hlen = (size_t)(colon - hp);
		if (memchr(h, ':', hlen))
			return rni_err_addr("too many colons in address", hp);
	}
	if (strchr(hp + j, '['))
		return rni_err_addr("unexpected '[' in address", hp);
	if (strchr(hp + k, ']'))
		return rni_err_addr("unexpected ']' in address", hp);

	if (put_out(host, host_size, h, hlen) ||
	    put_out(port, port_size, colon + 1, strlen(colon + 1))) {
		clear_out(host, host_size, port, port_size);
		return rni_err_text(-ENOSPC, "rn_split_host_port: output buffer too small");
	}
	return 0;
}

int rn_join_host_port(const char *host, const char *port, char *buf, size_t size)
{
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_join_host_port: NULL buffer");

	if (rc)
		return rc;
	if (!host || !port) {
		if (buf && size)
			buf[0] = '\0';
		return rni_err_einval("rn_join_host_port: NULL host or port");
	}
	rni_sb_init(&sb, buf, size);
	if (strchr(host, ':')) {
		rni_sb_putc(&sb, '[');
		rni_sb_puts(&sb, host);
		rni_sb_puts(&sb, "]:");
	} else {
		rni_sb_puts(&sb, host);
		rni_sb_putc(&sb, ':');
	}
	rni_sb_puts(&sb, port);
	return rni_sb_done(&sb);
}
