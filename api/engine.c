/* SPDX-License-Identifier: BSD-3-Clause */
/* api/engine.c - the public face of the engine, with Go-style errors. */
#include <errno.h>
#include <string.h>

#include <ringnet/engine.h>
#include <ringnet/net.h>

#include "api/errors.h"
#include "api/fd.h"
#include "engine/engine.h"

int rni_engine_error(void)
{
	const char *text;
	int code = rne_start_error(&text);

	return rni_err_text(code ? code : -ENOSYS, text);
}

int rn_engine_start(void)
{
	return rne_get() ? 0 : rni_engine_error();
}

void rn_engine_stop(void)
{
	rne_stop();
}

rn_backend rn_engine_backend(void)
{
	return rne_current() ? RN_BACKEND_IO_URING : RN_BACKEND_NONE;
}

const char *rn_engine_backend_name(void)
{
	return rne_current() ? "io_uring" : "none";
}

unsigned rn_engine_features(void)
{
	rne_engine *e = rne_current();

	return e ? e->features : 0;
}

int rn_engine_stats_get(rn_engine_stats *st)
{
	rne_engine *e = rne_current();

	if (!st)
		return rni_err_einval("rn_engine_stats_get: NULL stats");
	memset(st, 0, sizeof(*st));
	if (!e)
		return 0;
	*st = e->stats;
	st->bufs_total = e->brs[RNE_BR_STREAM].br ? e->brs[RNE_BR_STREAM].count : 0;
	st->bufs_avail = e->brs[RNE_BR_STREAM].br ? e->brs[RNE_BR_STREAM].avail : 0;
	st->dgram_bufs_total = e->brs[RNE_BR_DGRAM].br ? e->brs[RNE_BR_DGRAM].count : 0;
	st->dgram_bufs_avail = e->brs[RNE_BR_DGRAM].br ? e->brs[RNE_BR_DGRAM].avail : 0;
	return 0;
}
