/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf/udp_common.h - the small helpers perf/udp_batch.c and perf/bpf_bench.c
 * share: clocks in ns, ringnet's last error as text, and the option parsers.
 * Each file includes it after its system headers and <ringnet/ringnet.h>.
 */
#ifndef RINGNET_PERF_UDP_COMMON_H
#define RINGNET_PERF_UDP_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <ringnet/ringnet.h>

static inline int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline const char *ringnet_error(void)
{
	static char buf[1024];

	rn_error_string(NULL, buf, sizeof buf);
	return buf;
}

static inline int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return (*s && !*end && !errno && *out >= lo && *out <= hi) ? 0 : -1;
}

static inline int parse_secs(const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return (*s && !*end && !errno && *out >= lo && *out <= hi) ? 0 : -1;
}

#endif /* RINGNET_PERF_UDP_COMMON_H */
