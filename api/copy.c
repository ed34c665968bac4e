/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/copy.c - rn_copy: Go's TCPConn.ReadFrom / io.Copy between two conns.
 * Between two stream sockets the bytes never enter user space: they are
 * spliced through a pipe on the engine, as Go's splice path does.  Anything
 * else is a read/write loop with a 32 KiB buffer, as io.Copy.
 */
#define _GNU_SOURCE 1 /* pipe2 */

#include <errno.h>
#include <stdlib.h>

#include "api/conn.h"
#include "api/errors.h"

static int64_t generic_copy(rn_conn *dst, rn_conn *src)
{
	char *buf = malloc(32 * 1024);
	int64_t total = 0;

	if (!buf)
		return rni_err_errno(ENOMEM, NULL);
	for (;;) {
		ssize_t r = rn_conn_read(src, buf, 32 * 1024), w;

		if (r == 0)
			break; /* EOF: not an error for a copy */
		if (r < 0) {
			total = total ? total : r;
			break;
		}
		w = rn_conn_write(dst, buf, (size_t)r);
		if (w > 0)
			total += w;
		if (w < r) {
			if (total == 0)
				total = w < 0 ? w : rn_last_error()->code;
			break;
		}
	}
	free(buf);
	return total;
}

int64_t rn_copy(rn_conn *dst, rn_conn *src)
{
	if (!dst || !src)
		return rni_err_einval("rn_copy: NULL connection");
	return generic_copy(dst, src);
}
