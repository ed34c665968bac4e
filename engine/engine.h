/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/engine.h - the io_uring engine's internal interface.
 *
 * One engine (one ring) per thread.  A blocking call takes SQEs with
 * rne_sqe(), points their user_data at an rne_op that lives until the call
 * returns, and calls rne_wait(): the waiter submits everything queued with
 * one io_uring_enter, reaps completions into their op records, and returns
 * when this op is done.  Every blocking call goes through rne_wait; a task
 * runtime will later park there instead of entering the kernel.
 *
 * Rule: an op whose SQE was handed to the kernel is waited for until its CQE
 * arrives, so a completion never lands in memory that is gone.
 *
 * engine/ depends on nothing else in ringnet.  Internal: symbols are rne_*.
 */
#ifndef RINGNET_ENGINE_ENGINE_H
#define RINGNET_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <ringnet/engine.h>

#include "engine/compat.h"

typedef struct rne_op rne_op;

/*
 * Called on the engine's thread for each CQE of an op that has one.  It
 * owns the op from then on (the reaper does not touch it again: it may be
 * freed before the call returns), and wakes whoever waits for it itself.
 */
typedef void (*rne_complete_fn)(rne_op *op, int res, uint32_t flags);

struct rne_op {
	rne_complete_fn complete; /* NULL: record res/flags and mark done */
	int res;
	uint32_t flags;
	bool done;
	bool nb;		  /* counted in the engine's nb_pending (see rne_wait_all) */
	struct rne_task *task;	  /* a task parked until this op is done, or NULL */
};

/*
 * The provided-buffer rings, one per kind of receive, set up on first use.
 *
 * RNE_BR_STREAM (group 1): RNE_BUFS buffers of RNE_BUF_SIZE bytes for
 * stream receives.  Many small buffers rather than a few large ones: a
 * multishot receive takes one per arrival, however small, and an idle
 * connection holds none.
 *
 * RNE_BR_DGRAM (group 2): RNE_DBUFS buffers of RNE_DBUF_SIZE bytes for
 * multishot RECVMSG: each holds a whole datagram of the largest size IPv4
 * allows behind the kernel's io_uring_recvmsg_out header, the sender's
 * address and room for control messages, so that no datagram is ever cut
 * shorter than the caller's own buffer would cut it.
 *
 * The mappings are committed page by page as buffers are used.
 */
#define RNE_BUFS 512
#define RNE_BUF_SIZE (8 * 1024)
#define RNE_DBUFS 128
#define RNE_DBUF_SIZE (68 * 1024)

enum { RNE_BR_STREAM, RNE_BR_DGRAM, RNE_BR_KINDS };

typedef struct rne_bufs {
	struct io_uring_buf_ring *br;	/* NULL until set up */
	char *bufs;
	unsigned count, size;		/* buffers, bytes each */
	unsigned avail;			/* in the ring, not lent out */
	bool failed;			/* the kernel refused it: do not ask again */
} rne_bufs;

/* The buffer group of kind @g in SQEs (IOSQE_BUFFER_SELECT). */
#define RNE_BGID(g) ((unsigned short)((g) + 1))

/*
 * A resident: an operation that stays armed in the ring between calls (a
 * multishot receive or accept).  Its owner links it here while it is armed,
 * so that the engine can stop it when nobody will reap the ring any more:
 * when rne_run returns and when the engine is torn down, and when another
 * thread asks this ring to cancel everything on @fd (rne_cancel_fd).  @stop
 * queues the operation's cancel, or ends it at once; whichever ends it
 * calls rne_resident_del.
 */
typedef struct rne_resident {
	void (*stop)(struct rne_resident *r);
	int fd;				/* the descriptor it works on */
	struct rne_resident *prev, *next;
} rne_resident;

typedef struct rne_engine {
	struct io_uring ring;
	unsigned features;		/* RN_ENGINE_* */
	rne_bufs brs[RNE_BR_KINDS];	/* the provided-buffer rings */
	rn_engine_stats stats;		/* the counters rn_engine_stats_get reports */
	rne_resident *residents;	/* armed multishot operations */
	uint8_t supported[IORING_OP_LAST > 64 ? IORING_OP_LAST : 64]; /* probed opcodes */
	unsigned probed_ops;		/* entries of supported[] that are valid */
	struct rne_sched *sched;	/* tasks (engine/task.c), NULL until the first */
	/*
	 * Submitted ops that cannot block (the links after a chain's first
	 * entry once it completed): the scheduler may wait for this many
	 * completions in one enter, see rne_wait_all.
	 */
	unsigned nb_pending;
} rne_engine;

/* user_data of SQEs whose completion nobody waits for (linked timeouts). */
#define RNE_UD_IGNORE 0
/*
 * user_data of a message from another thread's ring (IORING_OP_MSG_RING):
 * "cancel every operation of yours on descriptor cqe->res".
 */
#define RNE_UD_CANCEL_FD 1
/*
 * user_data of a message from another thread that wakes a parked task: the
 * rne_parker's address with this tag in its low bits (ops and parkers are
 * at least 8-byte aligned, so an op's user_data never carries it).
 */
#define RNE_UD_PARKER 2
#define RNE_UD_TAG_MASK 7

/*
 * rne_get - this thread's engine, started on first use.  NULL when io_uring
 * cannot be used; rne_start_error() then tells why.
 */
rne_engine *rne_get(void);

/* rne_current - this thread's engine if it is running, else NULL. */
rne_engine *rne_current(void);

/* rne_stop - tear down this thread's engine (no call may be in flight). */
void rne_stop(void);

/*
 * rne_start_error - why the last start on this thread failed: a negative
 * errno, and a sentence naming the cause and the fix.
 */
int rne_start_error(const char **text);

/* rne_supports - whether the kernel offers opcode @op (from the probe). */
bool rne_supports(const rne_engine *e, int op);

/*
 * rne_sqe - a free SQE, zeroed by liburing's prep helpers.  When the
 * submission queue is full the queued entries are submitted first, so this
 * never fails.
 */
struct io_uring_sqe *rne_sqe(rne_engine *e);

/*
 * rne_link_deadline - make @sqe fail with -ECANCELED at @deadline (ns since
 * the epoch, CLOCK_REALTIME) by linking a LINK_TIMEOUT after it.  @ts must
 * stay valid until the next rne_wait() has submitted.  @deadline must lie in
 * the future; 0 means none (nothing is linked).  Returns the timeout's SQE
 * (NULL when none), so a chain can go on after it: set IOSQE_IO_LINK on it
 * and the entries after it run once @sqe has completed in time.
 */
struct io_uring_sqe *rne_link_deadline(rne_engine *e, struct io_uring_sqe *sqe, int64_t deadline,
				       struct __kernel_timespec *ts);

/*
 * rne_timeout_spec - fill @ts for a timeout at @deadline (ns since the
 * epoch, CLOCK_REALTIME) and return the IORING_TIMEOUT_* flags to use: an
 * absolute realtime timeout when the kernel has them, else the time left.
 */
unsigned rne_timeout_spec(const rne_engine *e, int64_t deadline, struct __kernel_timespec *ts);

/*
 * rne_wait - submit what is queued and wait until @op is done, running the
 * completions of every other op that arrive meanwhile.  Returns op->res, or
 * a negative errno if the ring itself failed.
 */
int rne_wait(rne_engine *e, rne_op *op);

/*
 * rne_wait_all - rne_wait for all @n ops of @ops, asking the kernel for as
 * many completions as are still missing in each io_uring_enter.  A linked
 * chain then completes in one enter: under DEFER_TASKRUN the kernel issues
 * each next link from task work, which it runs only while someone waits,
 * so waiting for one completion at a time would cost an enter per link.
 * Only @ops[0] may block (the rest are non-blocking links behind it):
 * until it completes the wait is for one completion, so that a wake from
 * another thread still gets through.  Returns 0, or a negative errno if
 * the ring itself failed.
 */
int rne_wait_all(rne_engine *e, rne_op *ops, int n);

/*
 * rne_cancel_fd - make the ring whose fd is @owner_ring_fd cancel all its
 * operations on descriptor @fd.  From the owner's own thread (@self is the
 * owner) the cancel is submitted here; from any other thread it travels as
 * an IORING_OP_MSG_RING and the owner cancels its own operations, so no
 * thread ever touches another's ring.  Returns 0, or -EOPNOTSUPP when the
 * kernel has no MSG_RING.
 *
 * A cancel may reach an operation it was not meant for (the descriptor
 * number was reused): every caller treats a -ECANCELED it cannot explain by
 * Close or a passed deadline as "try again".
 */
int rne_cancel_fd(rne_engine *self, int owner_ring_fd, int fd);

/*
 * rne_cancel_op - queue the cancel of @op (by its user_data) on this
 * engine; the next submit carries it.  Its outcome is not reported: the
 * op's own completion tells.
 */
void rne_cancel_op(rne_engine *e, const rne_op *op);

/* rne_resident_add / rne_resident_del - link @r into / out of @e's armed operations. */
void rne_resident_add(rne_engine *e, rne_resident *r);
void rne_resident_del(rne_engine *e, rne_resident *r);

/*
 * rne_residents_poke - stop the armed operations of @e on descriptor @fd
 * (a cancel another thread asked for; armed ones also get the cancel).
 */
void rne_residents_poke(rne_engine *e, int fd);

/*
 * rne_residents_stop - stop every armed operation of @e and reap until
 * all have finished.  0, or a negative errno if the ring failed.
 */
int rne_residents_stop(rne_engine *e);

/* rne_reap - deliver every completion that is ready (no system call). */
void rne_reap(rne_engine *e);

/* rne_sched_free - free @e's task scheduler state (engine teardown). */
void rne_sched_free(rne_engine *e);

/* rne_ring_fd - the ring's own descriptor, the address for rne_cancel_fd. */
static inline int rne_ring_fd(const rne_engine *e) { return e->ring.ring_fd; }

/*
 * rne_bufring - set up @e's provided-buffer ring of kind @g (RNE_BR_*) if
 * it is not yet: 0, or -EOPNOTSUPP when the kernel refuses it, -ENOMEM.
 */
int rne_bufring(rne_engine *e, int g);
/* rne_buf - the memory of buffer @bid of ring @g. */
void *rne_buf(rne_engine *e, int g, unsigned bid);
/*
 * rne_buf_taken - account for a completion of a receive from ring @g that
 * carried a buffer (IORING_CQE_F_BUFFER in @flags): it is lent out until
 * rne_buf_return.  Every receive that selects buffers calls it once per
 * completion (the completion does not say which group it came from).
 */
static inline void rne_buf_taken(rne_engine *e, int g, uint32_t flags)
{
	if ((flags & IORING_CQE_F_BUFFER) && e->brs[g].avail > 0)
		e->brs[g].avail--;
}
/* rne_buf_return - give buffer @bid back to ring @g (on the ring's thread only). */
void rne_buf_return(rne_engine *e, int g, unsigned bid);
/* rne_bufring_free - unregister and unmap the buffer rings (at teardown). */
void rne_bufring_free(rne_engine *e);

/* rne_now_ns - CLOCK_REALTIME in ns (the clock of deadlines). */
int64_t rne_now_ns(void);

#endif /* RINGNET_ENGINE_ENGINE_H */
