/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/fd.c - the netFD: the close protocol, deadlines that reach blocked
 * calls, and one-shot I/O on the engine.
 *
 * A call that puts an operation in its ring registers a waiter (its ring's
 * descriptor) on the fd.  Close and SetDeadline, from any thread, ask each
 * waiter's ring to cancel its operations on the fd (rne_cancel_fd: a
 * MSG_RING to other threads' rings).  The cancelled call wakes with
 * -ECANCELED and decides: closed -> RN_ECLOSED; deadline passed ->
 * RN_ETIMEOUT; otherwise (a moved deadline, or a stray cancel) it submits
 * again with the deadline as it now stands.
 */
#include "api/fd.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/errors.h"
#include "api/multishot.h"

void rni_fd_init(rni_fd *f, int fd, int family, int sotype, const char *net)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->family = family;
	f->sotype = sotype;
	strncpy(f->net, net, sizeof(f->net) - 1);
	atomic_init(&f->rdeadline, 0);
	atomic_init(&f->wdeadline, 0);
	atomic_init(&f->closed, false);
	atomic_init(&f->busy, 0);
	atomic_init(&f->released, false);
	rne_lock_init(&f->rlock);
	rne_lock_init(&f->wlock);
	pthread_mutex_init(&f->mu, NULL);
	f->waiters = NULL;
	pthread_mutex_init(&f->wq_mu, NULL);
	rne_cond_init(&f->wq_cv);
	f->wq_head = f->wq_tail = NULL;
	f->flushing = false;
}

void rni_fd_destroy(rni_fd *f)
{
	rni_fd_close(f);
	rni_ms_free(f);
	rne_lock_destroy(&f->rlock);
	rne_lock_destroy(&f->wlock);
	pthread_mutex_destroy(&f->mu);
	pthread_mutex_destroy(&f->wq_mu);
	
}

static void release(rni_fd *f)
{
	if (!atomic_exchange(&f->released, true))
		close(f->fd);
}

int rni_fd_enter(rni_fd *f)
{
	if (atomic_load(&f->closed))
		return RN_ECLOSED;
	atomic_fetch_add(&f->busy, 1);
	/* Close may have slipped in between: it saw busy == 0 or we see closed. */
	if (atomic_load(&f->closed)) {
		rni_fd_leave(f);
		return RN_ECLOSED;
	}
	return 0;
}

void rni_fd_leave(rni_fd *f)
{
	if (atomic_fetch_sub(&f->busy, 1) == 1 && atomic_load(&f->closed))
		release(f);
}

/*
 * Ask every ring with an operation on @f to cancel it.  Returns false if a
 * ring could not be asked (no engine here, or no MSG_RING in the kernel).
 */
static bool kick(rni_fd *f);

void rni_fd_kick(rni_fd *f)
{
	kick(f);
}

static bool kick(rni_fd *f)
{
	int rings[16];
	int n = 0;
	bool ok = true;
	rne_engine *self;

	pthread_mutex_lock(&f->mu);
	for (rni_waiter *w = f->waiters; w; w = w->next) {
		bool seen = false;

		for (int i = 0; i < n; i++)
			seen |= rings[i] == w->ring_fd;
		if (!seen && n < (int)(sizeof(rings) / sizeof(rings[0])))
			rings[n++] = w->ring_fd;
		else if (!seen)
			ok = false; /* more rings than we track: the caller falls back */
	}
	pthread_mutex_unlock(&f->mu);
	if (n == 0)
		return ok;
	self = rne_get();
	if (!self)
		return false;
	for (int i = 0; i < n; i++)
		if (rne_cancel_fd(self, rings[i], f->fd) < 0)
			ok = false;
	return ok;
}

int rni_fd_close(rni_fd *f)
{
	if (atomic_exchange(&f->closed, true))
		return RN_ECLOSED;
	/* A multishot (armed, it holds a busy count) ends; what it queued goes. */
	rni_ms_close(f);
	if (atomic_load(&f->busy) == 0) {
		release(f);
		return 0;
	}
	/*
	 * Calls are blocked, maybe on other threads' rings: have their rings
	 * cancel them.  If that is impossible, shut the socket down so their
	 * operations complete.  The last call out closes the descriptor.
	 */
	if (!kick(f))
		shutdown(f->fd, SHUT_RDWR);
	if (atomic_load(&f->busy) == 0)
		release(f);
	return 0;
}

void rni_fd_set_deadline(rni_fd *f, bool rd, bool wr, int64_t t)
{
	if (rd)
		atomic_store(&f->rdeadline, t);
	if (wr)
		atomic_store(&f->wdeadline, t);
	if (atomic_load(&f->busy) > 0)
		kick(f);
	/* A call parked on a multishot operation waits on its own condition. */
	if (rd)
		rni_ms_wake(f);
}

static void waiter_add(rni_fd *f, rni_waiter *w)
{
	pthread_mutex_lock(&f->mu);
	w->next = f->waiters;
	f->waiters = w;
	pthread_mutex_unlock(&f->mu);
}

static void waiter_del(rni_fd *f, rni_waiter *w)
{
	pthread_mutex_lock(&f->mu);
	for (rni_waiter **p = &f->waiters; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	pthread_mutex_unlock(&f->mu);
}

/* What to submit; prep() fills a fresh SQE from it on every (re)try. */
struct io {
	int opcode;
	void *buf;
	size_t len;
	int flags;
	struct msghdr *msg;
	struct sockaddr *sa;
	socklen_t *salen;
	socklen_t sal;
	int poll_mask;
	bool select_buf;	/* recv into a buffer of the engine's buffer ring */
	uint32_t cqe_flags;	/* out: the completion's flags */
};

static void prep(struct io_uring_sqe *sqe, int fd, const struct io *io)
{
	switch (io->opcode) {
	case IORING_OP_RECV:
		io_uring_prep_recv(sqe, fd, io->buf, io->len, io->flags);
		if (io->select_buf) {
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = RNE_BGID(RNE_BR_STREAM);
		}
		break;
	case IORING_OP_SEND:
		io_uring_prep_send(sqe, fd, io->buf, io->len, io->flags | MSG_NOSIGNAL);
		break;
	case IORING_OP_RECVMSG:
		io_uring_prep_recvmsg(sqe, fd, io->msg, (unsigned)io->flags);
		break;
	case IORING_OP_SENDMSG:
		io_uring_prep_sendmsg(sqe, fd, io->msg, (unsigned)io->flags | MSG_NOSIGNAL);
		break;
	case IORING_OP_ACCEPT:
		io_uring_prep_accept(sqe, fd, io->sa, io->salen, SOCK_CLOEXEC);
		break;
	case IORING_OP_CONNECT:
		io_uring_prep_connect(sqe, fd, io->sa, io->sal);
		break;
	default: /* IORING_OP_POLL_ADD */
		io_uring_prep_poll_add(sqe, fd, (unsigned)io->poll_mask);
		break;
	}
}

/*
 * Submit @io and wait, re-arming under the deadline at *@dl as it stands
 * each time (or @fixed when @dl is NULL).
 */
static int run(rni_fd *f, rne_engine *e, struct io *io, _Atomic int64_t *dl, int64_t fixed,
	       const rn_ctx *ctx)
{
	rni_waiter w = { rne_ring_fd(e), NULL };
	int res;

	waiter_add(f, &w);
	for (;;) {
		struct __kernel_timespec ts;
		rne_op op = { .complete = NULL };
		int64_t deadline = dl ? atomic_load(dl) : fixed;
		struct io_uring_sqe *sqe;

		/* After registering: a Close from here on will find us. */
		if (atomic_load(&f->closed)) {
			res = RN_ECLOSED;
			break;
		}
		if (deadline && rne_now_ns() >= deadline) {
			res = RN_ETIMEOUT;
			break;
		}
		if (ctx && rn_ctx_err(ctx)) {
			/* Go's mapErr: a cancel is "operation was canceled", a deadline a timeout. */
			res = rn_ctx_err(ctx) == RN_ECANCELED ? RN_EOPCANCELED : RN_ETIMEOUT;
			break;
		}
		sqe = rne_sqe(e);
		prep(sqe, f->fd, io);
		io_uring_sqe_set_data(sqe, &op);
		rne_link_deadline(e, sqe, deadline, &ts);
		res = rne_wait(e, &op);
		io->cqe_flags = op.flags;
		if (atomic_load(&f->closed)) {
			/* Bytes the kernel took are sent: report them (Go's n > 0 with the error). */
			if ((io->opcode == IORING_OP_SEND || io->opcode == IORING_OP_SENDMSG) && res > 0)
				break;
			if (io->opcode == IORING_OP_ACCEPT && res >= 0)
				close(res); /* accepted as Close ran: it must not leak */
			if (op.flags & IORING_CQE_F_BUFFER) {
				rne_buf_taken(e, RNE_BR_STREAM, op.flags);
				rne_buf_return(e, RNE_BR_STREAM, op.flags >> IORING_CQE_BUFFER_SHIFT);
				io->cqe_flags = 0;
			}
			res = RN_ECLOSED;
			break;
		}
		if (res != -ECANCELED)
			break;
		/* Cancelled: by the deadline (checked above next time round), by
		 * a moved deadline, or by a stray cancel.  Go again. */
		if (io->opcode == IORING_OP_CONNECT) {
			/* The connect goes on in the kernel: wait for its outcome. */
			io->opcode = IORING_OP_POLL_ADD;
			io->poll_mask = POLLOUT;
		}
	}
	waiter_del(f, &w);
	return res;
}

int rni_fd_recv(rni_fd *f, rne_engine *e, void *buf, size_t n, int flags)
{
	struct io io = { .opcode = IORING_OP_RECV, .buf = buf, .len = n, .flags = flags };
	return run(f, e, &io, &f->rdeadline, 0, NULL);
}

int rni_fd_recv_select(rni_fd *f, rne_engine *e, size_t n, int *bid)
{
	struct io io = { .opcode = IORING_OP_RECV, .len = n, .select_buf = true };
	int res = run(f, e, &io, &f->rdeadline, 0, NULL);

	rne_buf_taken(e, RNE_BR_STREAM, io.cqe_flags);
	*bid = (io.cqe_flags & IORING_CQE_F_BUFFER) ? (int)(io.cqe_flags >> IORING_CQE_BUFFER_SHIFT) : -1;
	return res;
}

int rni_fd_send(rni_fd *f, rne_engine *e, const void *buf, size_t n, int flags)
{
	struct io io = { .opcode = IORING_OP_SEND, .buf = (void *)(uintptr_t)buf, .len = n,
			 .flags = flags };
	return run(f, e, &io, &f->wdeadline, 0, NULL);
}

int rni_fd_recvmsg(rni_fd *f, rne_engine *e, struct msghdr *msg, int flags)
{
	struct io io = { .opcode = IORING_OP_RECVMSG, .msg = msg, .flags = flags };
	return run(f, e, &io, &f->rdeadline, 0, NULL);
}

int rni_fd_sendmsg(rni_fd *f, rne_engine *e, const struct msghdr *msg, int flags)
{
	struct io io = { .opcode = IORING_OP_SENDMSG, .msg = (struct msghdr *)(uintptr_t)msg,
			 .flags = flags };
	return run(f, e, &io, &f->wdeadline, 0, NULL);
}

int rni_fd_accept(rni_fd *f, rne_engine *e, struct sockaddr *sa, socklen_t *len)
{
	struct io io = { .opcode = IORING_OP_ACCEPT, .sa = sa, .salen = len };
	return run(f, e, &io, &f->rdeadline, 0, NULL);
}

int rni_fd_connect(rni_fd *f, rne_engine *e, const struct sockaddr *sa, socklen_t len,
		   int64_t deadline, const rn_ctx *ctx)
{
	struct io io = { .opcode = IORING_OP_CONNECT, .sa = (struct sockaddr *)(uintptr_t)sa,
			 .sal = len };
	int res = run(f, e, &io, NULL, deadline, ctx);

	if (io.opcode == IORING_OP_POLL_ADD && res >= 0) {
		/* Resumed as a poll: the connect's outcome is the socket error. */
		int err = 0;
		socklen_t el = sizeof(err);

		if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		res = -err;
	}
	return res;
}

/*
 * A batch is one chain: entry 0 (waiting, with the deadline linked after
 * it, the timeout itself linked on) then entries 1.. with MSG_DONTWAIT.
 * The kernel runs a chain in order and cancels the rest at the first
 * entry that fails, so the messages done are always a prefix: the first
 * -EAGAIN ends the batch exactly where the queue ran dry.
 */
int rni_fd_batch(rni_fd *f, rne_engine *e, bool write, rni_mmsg *v, int n, int flags,
		 bool wait, int *err)
{
	_Atomic int64_t *dl = write ? &f->wdeadline : &f->rdeadline;
	rni_waiter w = { rne_ring_fd(e), NULL };
	rne_op ops[RNI_BATCH_CHUNK];
	int done, res;

	*err = 0;
	if (n > RNI_BATCH_CHUNK)
		n = RNI_BATCH_CHUNK;
	if (n <= 0)
		return 0;
	if (write)
		flags |= MSG_NOSIGNAL;
	waiter_add(f, &w);
	for (;;) {
		struct __kernel_timespec ts;
		int64_t deadline = atomic_load(dl);

		if (atomic_load(&f->closed)) {
			res = RN_ECLOSED;
			break;
		}
		if (wait && deadline && rne_now_ns() >= deadline) {
			res = RN_ETIMEOUT;
			break;
		}
		/* A chain ends with its submission: make room for all of it. */
		if (io_uring_sq_space_left(&e->ring) < (unsigned)n + 1)
			io_uring_submit(&e->ring);
		for (int i = 0; i < n; i++) {
			struct io_uring_sqe *sqe = rne_sqe(e);
			unsigned fl = (unsigned)flags | ((i > 0 || !wait) ? MSG_DONTWAIT : 0);

			if (write)
				io_uring_prep_sendmsg(sqe, f->fd, &v[i].hdr, fl);
			else
				io_uring_prep_recvmsg(sqe, f->fd, &v[i].hdr, fl);
			ops[i] = (rne_op){ .complete = NULL };
			io_uring_sqe_set_data(sqe, &ops[i]);
			if (i + 1 < n)
				sqe->flags |= IOSQE_IO_LINK;
			if (i == 0 && wait) {
				struct io_uring_sqe *t = rne_link_deadline(e, sqe, deadline, &ts);

				if (t && n > 1)
					t->flags |= IOSQE_IO_LINK;
			}
		}
		rne_wait_all(e, ops, n);
		for (done = 0; done < n && ops[done].res >= 0; done++)
			v[done].len = (unsigned)ops[done].res;
		if (done > 0) {
			/* Messages moved are never dropped, not even by a Close. */
			if (done < n && ops[done].res != -EAGAIN && ops[done].res != -ECANCELED)
				*err = ops[done].res;
			res = done;
			break;
		}
		res = ops[0].res;
		if (atomic_load(&f->closed)) {
			res = RN_ECLOSED;
			break;
		}
		if (!wait && (res == -EAGAIN || res == -ECANCELED)) {
			res = 0;
			break;
		}
		if (res != -ECANCELED)
			break;
		/* Cancelled by the deadline, a moved deadline or a stray cancel: again. */
	}
	waiter_del(f, &w);
	return res;
}

int rni_fd_wrap(rni_fd *f, int code, const char *op, const char *syscall,
		const rn_addr *source, const rn_addr *addr)
{
	if (code <= RN_EBASE)
		rni_err_sentinel(code);
	else
		rni_err_errno(-code, syscall);
	return rni_err_op(op, f->net, source, addr);
}

rne_engine *rni_engine(const char *op, const char *net, const rn_addr *addr)
{
	rne_engine *e = rne_get();

	if (!e) {
		rni_engine_error();
		rni_err_op(op, net, NULL, addr);
	}
	return e;
}
