/* SPDX-License-Identifier: BSD-3-Clause */
/* api/time.c - rn_time and rn_duration helpers. */
#include <stdint.h>
#include <time.h>

#include <ringnet/net.h>

rn_time rn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (rn_time)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

rn_time rn_time_add(rn_time t, rn_duration d)
{
	if (d > 0 && t > INT64_MAX - d)
		return INT64_MAX;
	if (d < 0 && t < INT64_MIN - d)
		return INT64_MIN;
	return t + d;
}

rn_duration rn_until(rn_time t)
{
	/* rn_now() is positive, so its negation cannot overflow. */
	return rn_time_add(t, -rn_now());
}
