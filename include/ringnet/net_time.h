/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/net_time.h - time.Time, time.Duration and context.Context in C.
 *
 * rn_time is nanoseconds since the Unix epoch on the wall clock
 * (CLOCK_REALTIME), as Go's deadlines are; 0 is the zero time, which means
 * "no deadline".  rn_duration is a signed count of nanoseconds.
 *
 * Included by <ringnet/net.h>; do not include directly.
 */
#ifndef RINGNET_NET_TIME_H
#define RINGNET_NET_TIME_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t rn_time;     /* ns since the Unix epoch; 0 = zero time */
typedef int64_t rn_duration; /* ns */

#define RN_NANOSECOND ((rn_duration)1)
#define RN_MICROSECOND ((rn_duration)1000)
#define RN_MILLISECOND ((rn_duration)1000000)
#define RN_SECOND ((rn_duration)1000000000)
#define RN_MINUTE ((rn_duration)60 * RN_SECOND)
#define RN_HOUR ((rn_duration)60 * RN_MINUTE)

/** rn_now - the current wall-clock time. */
rn_time rn_now(void);

/**
 * rn_time_add - @t + @d, saturating at the representable range instead of
 * overflowing.  The zero time stays meaningful only as a value: adding to
 * it gives a time near the epoch, as in Go.
 */
rn_time rn_time_add(rn_time t, rn_duration d);

/** rn_until - the duration until @t (negative once @t has passed). */
rn_duration rn_until(rn_time t);

/* ---- rn_ctx: context.Context ------------------------------------------------
 *
 * A context carries a deadline and a cancel signal down a call tree.  NULL
 * is context.Background(): never canceled, no deadline.  A child inherits
 * its parent's deadline (the earlier one wins) and is canceled with it.
 *
 * Every function here is safe to call from any thread at any time while
 * the caller holds a reference.  A deadline is not a timer: the calls that
 * take a context arm their own timeout at it, and rn_ctx_err() reports it
 * once it has passed.
 */
typedef struct rn_ctx rn_ctx;

/**
 * rn_ctx_with_cancel - WithCancel: a child of @parent (NULL = Background).
 * Returns NULL with -ENOMEM in rn_last_error when out of memory.  Release it
 * with rn_ctx_free(), which also cancels it (Go's `defer cancel()`).
 */
rn_ctx *rn_ctx_with_cancel(rn_ctx *parent);

/** rn_ctx_with_deadline - WithDeadline: as with_cancel, plus deadline @d. */
rn_ctx *rn_ctx_with_deadline(rn_ctx *parent, rn_time d);

/** rn_ctx_with_timeout - WithTimeout: deadline rn_now() + @timeout. */
rn_ctx *rn_ctx_with_timeout(rn_ctx *parent, rn_duration timeout);

/**
 * rn_ctx_cancel - cancel @c and its children with RN_ECANCELED.  A no-op on
 * NULL or an already-done context.  Wakes every call waiting on @c.
 */
void rn_ctx_cancel(rn_ctx *c);

/**
 * rn_ctx_free - cancel @c and drop the caller's reference.  Children keep
 * what they need of @c alive; they are canceled too.  NULL is a no-op.
 */
void rn_ctx_free(rn_ctx *c);

/**
 * rn_ctx_err - Err: 0 while @c is live, RN_ECANCELED ("context canceled")
 * after a cancel, RN_EDEADLINE ("context deadline exceeded") once the
 * deadline has passed.  Always 0 for NULL.
 */
int rn_ctx_err(const rn_ctx *c);

/** rn_ctx_done - whether rn_ctx_err(@c) != 0. */
bool rn_ctx_done(const rn_ctx *c);

/**
 * rn_ctx_deadline - Deadline: the effective deadline (the earliest along
 * the chain of parents), or 0 if there is none.
 */
rn_time rn_ctx_deadline(const rn_ctx *c);

/*
 * Watching a context: the engine registers a callback that runs, on the
 * canceling thread, when @c is canceled (directly or through a parent).  If
 * @c is already canceled the callback runs before rn_ctx_watch_add returns.
 * Callbacks must be short and must not call back into this context.
 */
typedef void (*rn_ctx_watch_fn)(void *arg);
typedef struct rn_ctx_watch rn_ctx_watch;

/**
 * rn_ctx_watch_add - register @fn(@arg) to run when @c is canceled.
 * Returns a handle for rn_ctx_watch_remove, or NULL when @c is NULL
 * (Background never fires) or out of memory (rn_last_error()->code is
 * -ENOMEM then).
 */
rn_ctx_watch *rn_ctx_watch_add(rn_ctx *c, rn_ctx_watch_fn fn, void *arg);

/**
 * rn_ctx_watch_remove - remove and free a watch.  On return the callback
 * is not running and will not run.  NULL is a no-op.
 */
void rn_ctx_watch_remove(rn_ctx_watch *w);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_NET_TIME_H */
