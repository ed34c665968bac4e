/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_split_host_port.c - SplitHostPort and JoinHostPort.
 *
 * Checks: a successful split round-trips, JoinHostPort(host, port) splits
 * back into the same host and port (Go guarantees this: a split host holds
 * no brackets, and JoinHostPort brackets exactly the hosts with a colon);
 * too-small buffers give -ENOSPC with empty outputs; failures leave both
 * outputs empty and render their error.  Also JoinHostPort of the input cut
 * in two at its first NUL or '\n' byte.
 */
#include "fuzz_common.h"

struct join_ctx {
	const char *host, *port;
};

static int render_join(const void *ctx, char *buf, size_t size)
{
	const struct join_ctx *j = ctx;
	return rn_join_host_port(j->host, j->port, buf, size);
}

static char *join(const char *host, const char *port)
{
	struct join_ctx j = {host, port};
	int n = rn_join_host_port(host, port, NULL, 0);
	FUZZ_CHECK(n >= 0, "JoinHostPort length %d", n);
	fuzz_check_text(render_join, &j, "rn_join_host_port");
	char *b = malloc((size_t)n + 1);
	if (!b)
		abort();
	FUZZ_CHECK(rn_join_host_port(host, port, b, (size_t)n + 1) == n, "JoinHostPort");
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	size_t sz = strlen(s) + 1;
	char *host = malloc(sz), *port = malloc(sz), *h2 = malloc(sz + 2), *p2 = malloc(sz + 2);
	int r;

	if (!host || !port || !h2 || !p2)
		abort();
	memset(host, 'X', sz);
	memset(port, 'X', sz);
	r = rn_split_host_port(s, host, sz, port, sz);
	if (r == 0) {
		FUZZ_CHECK(strlen(host) + strlen(port) < sz, "split of %s too long", s);
		FUZZ_CHECK(strchr(host, '[') == NULL && strchr(host, ']') == NULL,
			   "SplitHostPort(%s) host %s holds a bracket", s, host);
		FUZZ_CHECK(strchr(port, ':') == NULL, "SplitHostPort(%s) port %s holds ':'", s, port);

		char *j = join(host, port);
		FUZZ_CHECK(rn_split_host_port(j, h2, sz + 2, p2, sz + 2) == 0,
			   "SplitHostPort(JoinHostPort(%s, %s) = %s) fails", host, port, j);
		FUZZ_CHECK(strcmp(h2, host) == 0 && strcmp(p2, port) == 0,
			   "JoinHostPort round trip %s -> %s, %s", j, h2, p2);
		FUZZ_CHECK(strlen(j) <= strlen(s), "JoinHostPort(%s, %s) = %s longer than %s", host,
			   port, j, s);
		free(j);

		/* NULL outputs, and buffers one byte too small */
		FUZZ_CHECK(rn_split_host_port(s, NULL, 0, NULL, 0) == 0, "NULL outputs");
		if (host[0]) {
			size_t hl = strlen(host);
			r = rn_split_host_port(s, h2, hl, p2, sz);
			FUZZ_CHECK(r == -ENOSPC && h2[0] == '\0' && p2[0] == '\0',
				   "small host buffer: %d", r);
		}
		if (port[0]) {
			size_t pl = strlen(port);
			r = rn_split_host_port(s, h2, sz, p2, pl);
			FUZZ_CHECK(r == -ENOSPC && h2[0] == '\0' && p2[0] == '\0',
				   "small port buffer: %d", r);
		}
	} else {
		FUZZ_CHECK(r == RN_EADDR, "SplitHostPort(%s) returned %d", s, r);
		fuzz_check_error(r, "rn_split_host_port");
		FUZZ_CHECK(host[0] == '\0' && port[0] == '\0', "failed split left output");
	}

	/* JoinHostPort of two arbitrary strings: split back when Go guarantees it. */
	const char *cut = memchr(data, '\n', size);
	if (cut) {
		size_t hl = (size_t)(cut - (const char *)data);
		char *hh = fuzz_cstr(data, hl), *pp = fuzz_cstr((const uint8_t *)cut + 1, size - hl - 1);
		char *j = join(hh, pp);
		if (!strpbrk(hh, "[]") && !strpbrk(pp, "[]:") && strlen(hh) == hl) {
			size_t jz = strlen(j) + 1;
			char *h3 = malloc(jz), *p3 = malloc(jz);
			if (!h3 || !p3)
				abort();
			FUZZ_CHECK(rn_split_host_port(j, h3, jz, p3, jz) == 0 && strcmp(h3, hh) == 0 &&
					   strcmp(p3, pp) == 0,
				   "JoinHostPort(%s, %s) = %s does not split back", hh, pp, j);
			free(h3);
			free(p3);
		}
		free(j);
		free(hh);
		free(pp);
	}
	free(host);
	free(port);
	free(h2);
	free(p2);
	free(s);
	return 0;
}
