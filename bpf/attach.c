/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf/attach.c - classic BPF socket filters on ringnet conns and listeners:
 * SO_ATTACH_FILTER, SO_DETACH_FILTER, SO_LOCK_FILTER, and a swap that never
 * lets through a packet the old filter queued.
 */
#include <errno.h>
#include <limits.h>
#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/bpf.h>

#include "api/conn.h"
#include "api/errors.h"
#include "api/fd.h"

/* The kernel reads our instructions as its own struct sock_filter. */
_Static_assert(sizeof(rn_bpf_raw_instruction) == sizeof(struct sock_filter), "layout");
_Static_assert(offsetof(rn_bpf_raw_instruction, op) == offsetof(struct sock_filter, code), "op");
_Static_assert(offsetof(rn_bpf_raw_instruction, jt) == offsetof(struct sock_filter, jt), "jt");
_Static_assert(offsetof(rn_bpf_raw_instruction, jf) == offsetof(struct sock_filter, jf), "jf");
_Static_assert(offsetof(rn_bpf_raw_instruction, k) == offsetof(struct sock_filter, k), "k");

#ifndef SO_LOCK_FILTER
#define SO_LOCK_FILTER 44
#endif
#ifndef SO_GET_FILTER
#define SO_GET_FILTER SO_ATTACH_FILTER
#endif
/* <linux/membarrier.h>'s MEMBARRIER_CMD_GLOBAL (not every libc has the header). */
#define RNB_MEMBARRIER_CMD_GLOBAL 1

/* The socket of a conn, or NULL with the error recorded. */
static rni_fd *conn_sock(rn_conn *c, const char *fn)
{
	if (!c) {
		rni_err_einval(fn);
		return NULL;
	}
	if (c->pipe) {
		rni_err_text(-EINVAL, "bpf: a pipe has no socket to filter");
		return NULL;
	}
	return &c->fd;
}

static rni_fd *listener_sock(rn_listener *l, const char *fn)
{
	if (!l) {
		rni_err_einval(fn);
		return NULL;
	}
	return &l->fd;
}

/* setsockopt on @f while it is held open; errors as SyscallError "setsockopt". */
static int sock_setopt(rni_fd *f, int opt, const void *val, socklen_t len)
{
	int rc;

	if (rni_fd_enter(f) < 0)
		return rni_err_sentinel(RN_ECLOSED);
	rc = setsockopt(f->fd, SOL_SOCKET, opt, val, len) < 0 ? -errno : 0;
	rni_fd_leave(f);
	return rc < 0 ? rni_err_errno(-rc, "setsockopt") : 0;
}

/* Attach @n instructions as they are (already checked). */
static int set_filter(rni_fd *f, const rn_bpf_raw_instruction *p, size_t n)
{
	struct sock_fprog prog = {
		.len = (unsigned short)n,
		.filter = (struct sock_filter *)(uintptr_t)p,
	};

	return sock_setopt(f, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

/* rn_bpf_check first, so a bad program is named before the kernel is asked. */
static int attach(rni_fd *f, const rn_bpf_raw_instruction *p, size_t n)
{
	int rc;

	if (!f)
		return rn_last_error()->code;
	if (!p && n)
		return rni_err_einval("rn_bpf_attach: NULL program");
	rc = rn_bpf_check(p, n, NULL);
	if (rc < 0)
		return rc;
	return set_filter(f, p, n);
}

static int detach(rni_fd *f)
{
	int zero = 0;

	if (!f)
		return rn_last_error()->code;
	return sock_setopt(f, SO_DETACH_FILTER, &zero, sizeof(zero));
}

static int lock(rni_fd *f)
{
	int one = 1;

	if (!f)
		return rn_last_error()->code;
	return sock_setopt(f, SO_LOCK_FILTER, &one, sizeof(one));
}

int rn_bpf_attach(rn_conn *c, const rn_bpf_raw_instruction *p, size_t n)
{
	return attach(conn_sock(c, "rn_bpf_attach: NULL conn"), p, n);
}

int rn_bpf_attach_listener(rn_listener *l, const rn_bpf_raw_instruction *p, size_t n)
{
	return attach(listener_sock(l, "rn_bpf_attach_listener: NULL listener"), p, n);
}

int rn_bpf_detach(rn_conn *c)
{
	return detach(conn_sock(c, "rn_bpf_detach: NULL conn"));
}

int rn_bpf_detach_listener(rn_listener *l)
{
	return detach(listener_sock(l, "rn_bpf_detach_listener: NULL listener"));
}

int rn_bpf_lock(rn_conn *c)
{
	return lock(conn_sock(c, "rn_bpf_lock: NULL conn"));
}

int rn_bpf_lock_listener(rn_listener *l)
{
	return lock(listener_sock(l, "rn_bpf_lock_listener: NULL listener"));
}

/* ---- swap ------------------------------------------------------------------------- */

/*
 * The filter in place, so a failed swap can put it back: SO_GET_FILTER
 * gives the classic program a socket was given.  *@p is NULL (and *@n 0)
 * when there is none or it cannot be read back (an eBPF one).
 */
static void save_filter(int fd, rn_bpf_raw_instruction **p, size_t *n)
{
	socklen_t len = 0;

	*p = NULL;
	*n = 0;
	/* Asked with room for 0 blocks, the kernel says how many there are. */
	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &len) < 0 || len == 0 ||
	    len > BPF_MAXINSNS)
		return;
	*p = malloc(len * sizeof(**p));
	if (!*p)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, *p, &len) < 0 || len == 0) {
		free(*p);
		*p = NULL;
		return;
	}
	*n = len;
}

/*
 * Wait until no CPU can still be running the old filter on a packet it
 * will then queue.  Receive runs in softirq, an RCU read-side section, and
 * the filter's verdict and the enqueue both happen inside it, so one RCU
 * grace period (MEMBARRIER_CMD_GLOBAL waits for one) covers them.  Where
 * membarrier is refused, a short sleep stands in.  (AF_UNIX runs filters
 * in the sender's context, outside any such section: there a datagram the
 * old filter passed an instant before the swap can still arrive.)
 */
static void wait_for_receivers(void)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	if (syscall(SYS_membarrier, RNB_MEMBARRIER_CMD_GLOBAL, 0, 0) == 0)
		return;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Discard every queued datagram; returns how many. */
static int drain(int fd)
{
	char byte;
	int count = 0;

	for (;;) {
		ssize_t r = recv(fd, &byte, sizeof(byte), MSG_DONTWAIT | MSG_TRUNC);

		if (r >= 0) {
			if (count < INT_MAX)
				count++;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return count;
		/* EINTR, or a pending socket error (ECONNREFUSED ...) just reported: go on. */
		if (errno != EINTR && errno != ECONNREFUSED && errno != EHOSTUNREACH &&
		    errno != ENETUNREACH && errno != EMSGSIZE && errno != ECONNRESET)
			return -errno;
	}
}

/*
 * libpcap's way of changing a filter without a window: reject everything,
 * let in-flight deliveries land, drop what is queued, install the new one.
 * On a failure after the reject-all step the old filter is put back.
 */
static int swap(rni_fd *f, const rn_bpf_raw_instruction *p, size_t n)
{
	static const rn_bpf_raw_instruction reject_all[1] = {
		{ .op = 0x06, .jt = 0, .jf = 0, .k = 0 }, /* ret #0 */
	};
	rn_bpf_raw_instruction *old;
	size_t nold;
	int rc, count;

	if (rni_fd_enter(f) < 0)
		return rni_err_sentinel(RN_ECLOSED);
	save_filter(f->fd, &old, &nold);
	rc = set_filter(f, reject_all, 1);
	if (rc < 0)
		goto out;
	wait_for_receivers();
	count = drain(f->fd);
	if (count < 0) {
		rc = rni_err_errno(-count, "recvfrom");
		goto restore;
	}
	rc = set_filter(f, p, n);
	if (rc == 0) {
		rc = count;
		goto out;
	}
restore:
	{
		/* Keep the first failure's error while the old filter goes back. */
		rn_error saved = *rn_last_error();

		if (old)
			set_filter(f, old, nold);
		else
			detach(f);
		*rni_err_slot() = saved;
	}
out:
	free(old);
	rni_fd_leave(f);
	return rc;
}

int rn_bpf_swap(rn_conn *c, const rn_bpf_raw_instruction *p, size_t n)
{
	rni_fd *f = conn_sock(c, "rn_bpf_swap: NULL conn");
	int rc;

	if (!f)
		return rn_last_error()->code;
	if (f->sotype != SOCK_DGRAM && f->sotype != SOCK_RAW)
		return rni_err_text(-EINVAL, "bpf: swap needs a datagram or raw socket");
	if (!p && n)
		return rni_err_einval("rn_bpf_swap: NULL program");
	rc = rn_bpf_check(p, n, NULL);
	if (rc < 0)
		return rc;
	return swap(f, p, n);
}
