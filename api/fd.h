/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/fd.h - Go's netFD: a socket descriptor with its network, addresses,
 * deadlines and the close protocol shared by conns and listeners.  Internal.
 *
 * Close from any thread: the first Close marks the fd closed; if no call is
 * in flight it closes the descriptor at once, otherwise it has the rings
 * with operations on the fd cancel them (api/fd.c) and the last call out
 * closes the descriptor.  So the descriptor number is never reused while an
 * operation on it can still complete.
 */
#ifndef RINGNET_API_FD_H
#define RINGNET_API_FD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <ringnet/net.h>

#include "engine/engine.h"
#include "engine/task.h"

/* A call blocked on an fd: which ring to ask when Close or a deadline moves. */
typedef struct rni_waiter {
	int ring_fd;
	struct rni_waiter *next;
} rni_waiter;

typedef struct rni_fd {
	int fd;
	int family;
	int sotype;
	char net[16];		/* the network as dialed ("tcp", "tcp4", ...) */
	rn_addr laddr, raddr;
	_Atomic int64_t rdeadline; /* rn_time, 0 = none */
	_Atomic int64_t wdeadline;
	atomic_bool closed;
	atomic_int busy;	/* calls in flight */
	atomic_bool released;	/* the descriptor has been closed */
	/*
	 * Go's fdMutex: one Read and one Write at a time, so a Write from one
	 * thread is sent whole before another thread's Write begins.
	 */
	rne_lock rlock, wlock;	/* held across the call: a task waiting parks */
	pthread_mutex_t mu;	/* guards waiters */
	rni_waiter *waiters;	/* calls with an operation in some ring */
	/*
	 * The stream write queue (api/conn.c): concurrent Writes wait here in
	 * order, and whichever of them is the flusher sends the queued bytes
	 * of several Writes with one sendmsg.
	 */
	pthread_mutex_t wq_mu;
	rne_cond wq_cv;
	struct rni_wq_entry *wq_head, *wq_tail;
	bool flushing;
	/* a multishot receive (TCP conn) or accept (listener), once a task called (api/multishot.c) */
	_Atomic(struct rni_ms *) ms;
} rni_fd;

/* rni_fd_init - take ownership of descriptor @fd. */
void rni_fd_init(rni_fd *f, int fd, int family, int sotype, const char *net);

/* rni_fd_destroy - close if needed and free what init set up (not @f itself). */
void rni_fd_destroy(rni_fd *f);

/*
 * rni_fd_enter / rni_fd_leave - bracket every call that uses the
 * descriptor.  enter returns 0, or RN_ECLOSED (nothing recorded) once closed.
 */
int rni_fd_enter(rni_fd *f);
void rni_fd_leave(rni_fd *f);

/*
 * rni_fd_close - Go's Close; returns 0, or RN_ECLOSED if already closed.
 * Blocked calls, on any thread's ring, are cancelled and return RN_ECLOSED.
 */
int rni_fd_close(rni_fd *f);

/*
 * rni_fd_set_deadline - store a read and/or write deadline and make calls
 * already blocked re-arm with it (they are cancelled and resubmit).
 */
void rni_fd_set_deadline(rni_fd *f, bool rd, bool wr, int64_t t);

/*
 * One operation on this thread's engine, waited for, under the fd's read
 * deadline (recv, recvmsg, accept) or write deadline (send, sendmsg), or
 * the given one (connect, which also stops when @ctx is done: RN_EOPCANCELED
 * for a cancel, RN_ETIMEOUT for its deadline).  Each returns the CQE result: a deadline already
 * past gives RN_ETIMEOUT without submitting, a fired one RN_ETIMEOUT, and any
 * result after Close RN_ECLOSED; a deadline moved meanwhile is re-armed.
 * Nothing is recorded in rn_last_error.
 */
int rni_fd_recv(rni_fd *f, rne_engine *e, void *buf, size_t n, int flags);
int rni_fd_send(rni_fd *f, rne_engine *e, const void *buf, size_t n, int flags);
int rni_fd_accept(rni_fd *f, rne_engine *e, struct sockaddr *sa, socklen_t *len);
int rni_fd_connect(rni_fd *f, rne_engine *e, const struct sockaddr *sa, socklen_t len,
		   int64_t deadline, const rn_ctx *ctx);

/*
 * rni_fd_recv_select - a recv into a buffer the kernel picks from this
 * engine's buffer ring: *bid is its id (or -1 when none was used: the
 * caller must give a picked buffer back even for a result of 0).  -ENOBUFS
 * when the ring is empty.
 */
int rni_fd_recv_select(rni_fd *f, rne_engine *e, size_t n, int *bid);

/* The most messages one rni_fd_batch call chains. */
#define RNI_BATCH_CHUNK 64

/* One message of a batch (struct mmsghdr's layout, without _GNU_SOURCE). */
typedef struct rni_mmsg {
	struct msghdr hdr;
	unsigned len;	/* out: bytes received or sent */
} rni_mmsg;

/*
 * rni_fd_batch - up to RNI_BATCH_CHUNK messages in order, recvmsg (or
 * sendmsg when @write), as one chain of linked entries on the engine.
 *
 * With @wait the first message waits under the read (write) deadline, and
 * the others go only if they can without waiting; without @wait none
 * waits.  Fills v[i].len.  Returns how many messages were done; when
 * that is fewer than @n, *@err is what stopped the next one (0 when it
 * merely would have blocked).  With none done returns the first one's
 * error: RN_ETIMEOUT, RN_ECLOSED, -errno, or 0 (without @wait, nothing
 * was ready).  Nothing is recorded in rn_last_error.
 */
int rni_fd_batch(rni_fd *f, rne_engine *e, bool write, rni_mmsg *v, int n, int flags,
		 bool wait, int *err);

/* rni_fd_kick - have every ring with an operation on @f cancel it (they re-check and retry). */
void rni_fd_kick(rni_fd *f);
int rni_fd_recvmsg(rni_fd *f, rne_engine *e, struct msghdr *msg, int flags);
int rni_fd_sendmsg(rni_fd *f, rne_engine *e, const struct msghdr *msg, int flags);

/*
 * rni_fd_wrap - record @code as Go would see it (a sentinel, or -errno
 * inside an os.SyscallError named @syscall) and wrap it in an OpError
 * {@op, f->net, source, addr}.  Returns @code.
 */
int rni_fd_wrap(rni_fd *f, int code, const char *op, const char *syscall,
		const rn_addr *source, const rn_addr *addr);

/*
 * rni_engine - this thread's engine, or NULL with the reason recorded as an
 * OpError {@op, @net, nil, @addr}.
 */
rne_engine *rni_engine(const char *op, const char *net, const rn_addr *addr);

/* rni_engine_error - record why the engine could not start; returns the code. */
int rni_engine_error(void);

#endif /* RINGNET_API_FD_H */
