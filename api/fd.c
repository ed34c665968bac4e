/* SPDX-License-Identifier: BSD-3-Clause */
/* api/fd.c - the netFD close protocol and one-shot I/O with deadlines. */
#include "api/fd.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/errors.h"

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
	pthread_mutex_init(&f->rlock, NULL);
	pthread_mutex_init(&f->wlock, NULL);
}

void rni_fd_destroy(rni_fd *f)
{
	rni_fd_close(f);
	pthread_mutex_destroy(&f->rlock);
	pthread_mutex_destroy(&f->wlock);
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

int rni_fd_close(rni_fd *f)
{
	if (atomic_exchange(&f->closed, true))
		return RN_ECLOSED;
	if (atomic_load(&f->busy) == 0) {
		release(f);
		return 0;
	}
	/*
	 * Calls are blocked on the socket, maybe on other threads' rings: make
	 * their operations complete.  The last one out closes the descriptor.
	 */
	shutdown(f->fd, SHUT_RDWR);
	if (atomic_load(&f->busy) == 0)
		release(f);
	return 0;
}

static bool passed(int64_t deadline)
{
	return deadline && rne_now_ns() >= deadline;
}

static int submit(rni_fd *f, rne_engine *e, struct io_uring_sqe *sqe, int64_t deadline)
{
	struct __kernel_timespec ts;
	rne_op op = { NULL, 0, 0, false };
	int res;

	io_uring_sqe_set_data(sqe, &op);
	rne_link_deadline(e, sqe, deadline, &ts);
	res = rne_wait(e, &op);
	if (atomic_load(&f->closed))
		return RN_ECLOSED;
	if (res == -ECANCELED && deadline)
		return RN_ETIMEOUT;
	return res;
}

int rni_fd_recv(rni_fd *f, rne_engine *e, void *buf, size_t n, int flags, int64_t deadline)
{
	struct io_uring_sqe *sqe;

	if (passed(deadline))
		return RN_ETIMEOUT;
	sqe = rne_sqe(e);
	io_uring_prep_recv(sqe, f->fd, buf, n, flags);
	return submit(f, e, sqe, deadline);
}

int rni_fd_send(rni_fd *f, rne_engine *e, const void *buf, size_t n, int flags, int64_t deadline)
{
	struct io_uring_sqe *sqe;

	if (passed(deadline))
		return RN_ETIMEOUT;
	sqe = rne_sqe(e);
	io_uring_prep_send(sqe, f->fd, buf, n, flags | MSG_NOSIGNAL);
	return submit(f, e, sqe, deadline);
}

int rni_fd_accept(rni_fd *f, rne_engine *e, struct sockaddr *sa, socklen_t *len, int64_t deadline)
{
	struct io_uring_sqe *sqe;

	if (passed(deadline))
		return RN_ETIMEOUT;
	sqe = rne_sqe(e);
	io_uring_prep_accept(sqe, f->fd, sa, len, SOCK_CLOEXEC);
	return submit(f, e, sqe, deadline);
}

int rni_fd_connect(rni_fd *f, rne_engine *e, const struct sockaddr *sa, socklen_t len,
		   int64_t deadline)
{
	struct io_uring_sqe *sqe;

	if (passed(deadline))
		return RN_ETIMEOUT;
	sqe = rne_sqe(e);
	io_uring_prep_connect(sqe, f->fd, sa, len);
	return submit(f, e, sqe, deadline);
}

int rni_fd_recvmsg(rni_fd *f, rne_engine *e, struct msghdr *msg, int flags, int64_t deadline)
{
	struct io_uring_sqe *sqe;

	if (passed(deadline))
		return RN_ETIMEOUT;
	sqe = rne_sqe(e);
	io_uring_prep_recvmsg(sqe, f->fd, msg, (unsigned)flags);
	return submit(f, e, sqe, deadline);
}

int rni_fd_sendmsg(rni_fd *f, rne_engine *e, const struct msghdr *msg, int flags, int64_t deadline)
{
	struct io_uring_sqe *sqe;

	if (passed(deadline))
		return RN_ETIMEOUT;
	sqe = rne_sqe(e);
	io_uring_prep_sendmsg(sqe, f->fd, msg, (unsigned)flags | MSG_NOSIGNAL);
	return submit(f, e, sqe, deadline);
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
