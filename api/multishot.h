/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/multishot.h - one multishot operation of an fd (a TCP conn's receive,
 * a listener's accept), armed on the ring of the task that called, and the
 * queue of what it produced.  Internal.
 *
 * A call from a task takes what the operation already queued; when nothing
 * is queued it arms the operation (once) and parks until an item, an end,
 * Close or the deadline.  The operation stays armed between calls, so a
 * call that finds an item costs no submission.
 *
 * Rules that keep it safe:
 *  - it is armed only from a task, on the task's own ring, and only when
 *    the kind allows (a receive needs spare ring buffers).  Other callers
 *    get RNI_MS_ONESHOT and do the one-shot operation themselves.
 *  - a caller on another thread first has the owner end the operation
 *    (IORING_OP_MSG_RING) and waits until it has; the owner's scheduler, or
 *    the engine stopping its residents when rne_run returns, reaps that end.
 *    When it ends, the kind makes its queued items usable from any thread.
 *  - while armed it holds one of the fd's busy counts, so Close releases
 *    the descriptor only after the final completion.
 *  - when the buffer ring runs dry (ENOBUFS) with items queued, it stays
 *    owned ("starved"): the owner's caller takes the items from the ring
 *    buffers, and it ends when they are all taken or someone asks (then the
 *    owner copies them out), so a flood does not cost a copy per datagram.
 *
 * The fd's ms slot holds it; callers serialise through the fd's read lock.
 */
#ifndef RINGNET_API_MULTISHOT_H
#define RINGNET_API_MULTISHOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "api/fd.h"

/* What a caller should do itself: nothing queued and nothing armed for it. */
#define RNI_MS_ONESHOT (-0x7ffffff0)

/* One queued result: received bytes [off, len) in ring buffer @bid or in @heap; or an fd. */
typedef union rni_ms_item {
	struct {
		char *heap;
		unsigned bid;
		uint32_t off, len;
	} chunk;
	int fd;
} rni_ms_item;

typedef struct rni_ms rni_ms;

/* What differs between kinds.  The callbacks run with mu held. */
typedef struct rni_ms_kind {
	unsigned feature;	/* the RN_ENGINE_* bit that says the kernel has it */
	/* may it be armed on @e now (beyond the feature and being a task)? */
	bool (*can_arm)(rne_engine *e);
	/* fill the SQE that arms it on m->owner (and count the arm) */
	void (*prep)(rni_ms *m, struct io_uring_sqe *sqe);
	/* one completion on the owner's thread: queue what it carries */
	void (*take)(rni_ms *m, rne_engine *e, int res, uint32_t flags);
	/* it ended (still on the owner's thread): make the queue any thread's */
	void (*ended)(rni_ms *m, rne_engine *e, int res);
	/* free an item nobody will take */
	void (*drop)(rni_ms *m, rni_ms_item *it);
} rni_ms_kind;

struct rni_ms {
	rne_op op;		/* the operation's completions */
	rne_resident res;	/* in the owner's armed list while armed */
	const rni_ms_kind *kind;
	rni_fd *f;
	pthread_mutex_t mu;	/* guards everything below */
	rne_cond cv;		/* callers waiting: an item, an end, Close, the disarm */
	rne_engine *owner;	/* the ring it is armed on; NULL: not armed */
	int owner_ring;
	bool stopping;		/* its cancel has been asked for */
	bool starved;		/* ended for lack of buffers, with ring items still queued */
	bool has_end;		/* an end the kernel reported, for the next call */
	int end;		/* 0: end of stream; < 0: -errno */
	rni_ms_item *q;		/* FIFO: q[(head + i) % cap] for i < len */
	unsigned head, len, cap;
	struct msghdr hdr;	/* RECVMSG's layout of each buffer (api/dgram.c) */
};

/*
 * rni_ms_get - @f's multishot state of @kind, made on first use: NULL when
 * out of memory.  Called inside a call under the fd's read lock.
 */
rni_ms *rni_ms_get(rni_fd *f, const rni_ms_kind *kind);

/* rni_ms_can_arm - whether a call on @e could arm @kind now (a task on @e, the kernel has it). */
bool rni_ms_can_arm(const rni_ms_kind *kind, rne_engine *e);

/*
 * rni_ms_await - with mu held: wait until an item is queued (returns 1), or
 * return what ends the call: RN_ECLOSED, RN_ETIMEOUT (the fd's read
 * deadline has passed: checked first, as Go does, even with items queued),
 * a reported end (0 or -errno, reported once), or RNI_MS_ONESHOT.  Without
 * @wait it returns -EAGAIN where it would wait (arming first if it may).
 */
int rni_ms_await(rni_ms *m, rne_engine *e, bool wait);

/* Queue access, mu held. */
rni_ms_item *rni_ms_front(rni_ms *m);
void rni_ms_pop(rni_ms *m);
int rni_ms_push(rni_ms *m, rni_ms_item it);

/* rni_ms_cancel - from a completion on the owner's thread: end the operation. */
void rni_ms_cancel(rni_ms *m, rne_engine *e);

/*
 * rni_ms_close - after Close marked the fd closed: end the operation
 * wherever it is armed (its end drops the queue then) or, when it is not,
 * drop the queue now; wake callers.
 */
void rni_ms_close(rni_fd *f);

/* rni_ms_wake - a deadline moved: callers waiting re-check it. */
void rni_ms_wake(rni_fd *f);

/* rni_ms_stop - end the operation (if armed) and wait until it has; the queue stays. */
void rni_ms_stop(rni_fd *f);

/* rni_ms_free - after Close: wait for the end, drop what is queued, free. */
void rni_ms_free(rni_fd *f);

#endif /* RINGNET_API_MULTISHOT_H */
