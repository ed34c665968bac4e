/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/conn.c - Go's Conn methods on the engine: Read, Write, Close,
 * deadlines and addresses.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "api/conn.h"
#include "api/dgram.h"
#include "api/errors.h"
#include "api/rx.h"

rn_conn *rni_conn_new(int fd, int family, int sotype, const char *net)
{
	rn_conn *c = malloc(sizeof(*c));

	if (!c) {
		close(fd);
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	rni_fd_init(&c->fd, fd, family, sotype, net);
	c->pipe = NULL;
	c->pipe_end = 0;
	return c;
}

int rni_socket(int family, int sotype, int proto, bool ipv6only)
{
	int one = 1, v6only = ipv6only;
	int s = socket(family, sotype | SOCK_CLOEXEC, proto);

	if (s < 0)
		return rni_err_errno(errno, "socket");
	if (family == AF_INET6 && sotype != SOCK_RAW &&
	    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
		goto fail;
	if ((sotype == SOCK_DGRAM || sotype == SOCK_RAW) && family != AF_UNIX &&
	    setsockopt(s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0)
		goto fail;
	return s;
fail:
	{
		int err = errno;
		close(s);
		return rni_err_errno(err, "setsockopt");
	}
}

static rn_addr sock_addr(int fd, bool peer, int sotype)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	rn_addr a = { .kind = RN_ADDR_NONE };
	int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		      : getsockname(fd, (struct sockaddr *)&ss, &len);

	if (rc < 0)
		return a;
	if (ss.ss_family == AF_UNIX) {
		/* Go's addrFunc: the Net follows the socket type (sotypeToNet). */
		const char *net = sotype == SOCK_DGRAM ? "unixgram"
				  : sotype == SOCK_SEQPACKET ? "unixpacket" : "unix";

		if (rn_unixaddr_from_sockaddr(&a.u.un, (struct sockaddr *)&ss, len, net) == 0)
			a.kind = RN_ADDR_UNIX;
		return a;
	}
	if (sotype == SOCK_STREAM && rn_tcpaddr_from_sockaddr(&a.u.tcp, (struct sockaddr *)&ss, len) == 0)
		a.kind = RN_ADDR_TCP;
	else if (sotype == SOCK_DGRAM && rn_udpaddr_from_sockaddr(&a.u.udp, (struct sockaddr *)&ss, len) == 0)
		a.kind = RN_ADDR_UDP;
	else if (sotype == SOCK_RAW && rn_ipaddr_from_sockaddr(&a.u.ip, (struct sockaddr *)&ss, len) == 0)
		a.kind = RN_ADDR_IP; /* Go's sockaddrToIP */
	return a;
}

void rni_sock_addrs(rni_fd *f, bool peer)
{
	f->laddr = sock_addr(f->fd, false, f->sotype);
	if (peer)
		f->raddr = sock_addr(f->fd, true, f->sotype);
}

/* Begin a call on @c: 0, or the recorded error (closed, no engine). */
int rni_conn_begin(rn_conn *c, const char *op, rne_engine **e)
{
	int rc = rni_fd_enter(&c->fd);

	if (rc < 0)
		return rni_fd_wrap(&c->fd, rc, op, NULL, &c->fd.laddr, &c->fd.raddr);
	*e = rni_engine(op, c->fd.net, &c->fd.raddr);
	if (!*e) {
		rni_fd_leave(&c->fd);
		return rn_last_error()->code;
	}
	return 0;
}

ssize_t rn_conn_read(rn_conn *c, void *buf, size_t n)
{
	rne_engine *e;
	int res;

	if (!c || (!buf && n))
		return rni_err_einval("rn_conn_read: NULL connection or buffer");
	if (c->pipe)
		return rni_pipe_read(c, buf, n);
	if (n == 0)
		return 0;
	res = rni_conn_begin(c, "read", &e);
	if (res < 0)
		return res;
	if (n > 1u << 30)
		n = 1u << 30; /* Go's maxRW: one read moves at most 1 GiB */
	rne_lock_acquire(&c->fd.rlock);
	if (c->fd.sotype == SOCK_STREAM) {
		res = rni_rx_read(&c->fd, e, buf, n);
	} else {
		/* A datagram socket: one datagram, the rest of it discarded (Go's Read). */
		struct iovec iov = { buf, n };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

		res = rni_dgram_recv(&c->fd, e, &msg, 0, true);
	}
	if (res == RNI_RX_ONESHOT) {
		e->stats.recv_oneshot++;
		res = rni_fd_recv(&c->fd, e, buf, n, 0);
	}
	rne_lock_release(&c->fd.rlock);
	rni_fd_leave(&c->fd);
	if (res >= 0)
		return res;
	return rni_fd_wrap(&c->fd, res, "read", "read", &c->fd.laddr, &c->fd.raddr);
}

/* One Write waiting in a stream's write queue. */
struct rni_wq_entry {
	const char *buf;
	size_t len, sent;
	int err;		/* why it stopped, 0 while it goes on */
	bool done;
	struct rni_wq_entry *next;
};

/*
 * Be the flusher: send the queued Writes, oldest first, several per
 * sendmsg, until our own is done.  Called with wq_mu held and flushing set;
 * returns with wq_mu held.  The write lock keeps writev and the message
 * calls, which send without the queue, from interleaving with us.
 */
static void flush(rn_conn *c, rne_engine *e, struct rni_wq_entry *mine)
{
	rni_fd *f = &c->fd;

	pthread_mutex_unlock(&f->wq_mu);
	rne_lock_acquire(&f->wlock);
	pthread_mutex_lock(&f->wq_mu);
	/*
	 * Go on until our Write is done, and never stop with the head Write
	 * partly sent: whoever sends next (another flusher, or a writev under
	 * the write lock) must start at a Write's first byte.
	 */
	while (!mine->done || (f->wq_head && f->wq_head->sent > 0)) {
		struct iovec iov[64];
		struct msghdr msg;
		size_t left;
		int n = 0, res;

		for (struct rni_wq_entry *q = f->wq_head; q && n < 64; q = q->next, n++) {
			size_t rest = q->len - q->sent;

			iov[n].iov_base = (void *)(uintptr_t)(q->buf + q->sent);
			iov[n].iov_len = rest > (1u << 30) ? (1u << 30) : rest;
		}
		pthread_mutex_unlock(&f->wq_mu);
		if (n == 1) {
			/* One Write queued (the usual case): a plain send spares the kernel the msghdr. */
			res = rni_fd_send(f, e, iov[0].iov_base, iov[0].iov_len, 0);
		} else {
			memset(&msg, 0, sizeof(msg));
			msg.msg_iov = iov;
			msg.msg_iovlen = (size_t)n;
			res = rni_fd_sendmsg(f, e, &msg, 0);
		}
		pthread_mutex_lock(&f->wq_mu);
		if (res < 0) {
			/* Every Write in the queue stops with this reason. */
			for (struct rni_wq_entry *q = f->wq_head; q; q = q->next) {
				q->err = res;
				q->done = true;
			}
			f->wq_head = f->wq_tail = NULL;
			break;
		}
		for (left = (size_t)res; left > 0 && f->wq_head;) {
			struct rni_wq_entry *q = f->wq_head;
			size_t k = q->len - q->sent < left ? q->len - q->sent : left;

			q->sent += k;
			left -= k;
			if (q->sent == q->len) {
				q->done = true;
				f->wq_head = q->next;
				if (!f->wq_head)
					f->wq_tail = NULL;
			}
		}
		rne_cond_broadcast(&f->wq_cv);
	}
	rne_lock_release(&f->wlock);
}

static ssize_t write_stream(rn_conn *c, rne_engine *e, const char *buf, size_t n)
{
	rni_fd *f = &c->fd;
	struct rni_wq_entry me = { buf, n, 0, 0, false, NULL };

	pthread_mutex_lock(&f->wq_mu);
	if (f->wq_tail)
		f->wq_tail->next = &me;
	else
		f->wq_head = &me;
	f->wq_tail = &me;
	while (!me.done) {
		if (!f->flushing) {
			f->flushing = true;
			flush(c, e, &me);
			f->flushing = false;
			rne_cond_broadcast(&f->wq_cv); /* the next waiter takes over */
		} else {
			rne_cond_wait(&f->wq_cv, &f->wq_mu);
		}
	}
	pthread_mutex_unlock(&f->wq_mu);
	if (me.err) {
		rni_fd_wrap(f, me.err, "write", "write", &f->laddr, &f->raddr);
		return me.sent > 0 ? (ssize_t)me.sent : me.err;
	}
	return (ssize_t)me.sent;
}

ssize_t rn_conn_write(rn_conn *c, const void *buf, size_t n)
{
	const char *p = buf;
	size_t done = 0;
	rne_engine *e;
	int res = 0;

	if (!c || (!buf && n))
		return rni_err_einval("rn_conn_write: NULL connection or buffer");
	if (n > SSIZE_MAX)
		return rni_err_einval("rn_conn_write: count larger than SSIZE_MAX");
	if (c->pipe)
		return rni_pipe_write(c, buf, n);
	res = rni_conn_begin(c, "write", &e);
	if (res < 0)
		return res;
	if (c->fd.sotype == SOCK_STREAM) {
		ssize_t w = n ? write_stream(c, e, buf, n) : 0;

		rni_fd_leave(&c->fd);
		return w;
	}
	/* A datagram socket: each Write is one message. */
	rne_lock_acquire(&c->fd.wlock);
	do {
		size_t chunk = n - done > (1u << 30) ? (1u << 30) : n - done;

		res = rni_fd_send(&c->fd, e, p + done, chunk, 0);
		if (res < 0)
			break;
		done += (size_t)res;
	} while (done < n);
	rne_lock_release(&c->fd.wlock);
	rni_fd_leave(&c->fd);
	if (res < 0) {
		rni_fd_wrap(&c->fd, res, "write", "write", &c->fd.laddr, &c->fd.raddr);
		return done > 0 ? (ssize_t)done : res;
	}
	return (ssize_t)done;
}

int rn_conn_close(rn_conn *c)
{
	if (!c)
		return rni_err_einval("rn_conn_close: NULL connection");
	if (c->pipe)
		return rni_pipe_close(c);
	if (rni_fd_close(&c->fd) < 0)
		return rni_fd_wrap(&c->fd, RN_ECLOSED, "close", NULL, &c->fd.laddr, &c->fd.raddr);
	return 0;
}

void rn_conn_free(rn_conn *c)
{
	if (!c)
		return;
	if (c->pipe) {
		rni_pipe_free(c);
		return;
	}
	rni_fd_destroy(&c->fd);
	free(c);
}

rn_addr rn_conn_local_addr(const rn_conn *c)
{
	rn_addr none = { .kind = RN_ADDR_NONE };

	return c ? c->fd.laddr : none;
}

rn_addr rn_conn_remote_addr(const rn_conn *c)
{
	rn_addr none = { .kind = RN_ADDR_NONE };

	return c ? c->fd.raddr : none;
}

int rn_conn_fd(const rn_conn *c)
{
	if (!c || atomic_load(&c->fd.closed))
		return -1;
	return c->fd.fd;
}

static int set_deadline(rn_conn *c, rn_time t, bool rd, bool wr)
{
	if (!c)
		return rni_err_einval("rn_conn_set_deadline: NULL connection");
	if (c->pipe)
		return rni_pipe_set_deadline(c, rd, wr, t);
	if (atomic_load(&c->fd.closed))
		return rni_fd_wrap(&c->fd, RN_ECLOSED, "set", NULL, NULL, &c->fd.laddr);
	rni_fd_set_deadline(&c->fd, rd, wr, t);
	return 0;
}

int rn_conn_set_deadline(rn_conn *c, rn_time t)
{
	return set_deadline(c, t, true, true);
}

int rn_conn_set_read_deadline(rn_conn *c, rn_time t)
{
	return set_deadline(c, t, true, false);
}

int rn_conn_set_write_deadline(rn_conn *c, rn_time t)
{
	return set_deadline(c, t, false, true);
}

int rni_control(rn_control_fn fn, void *arg, const char *network, int family, const rn_addr *addr,
		int fd)
{
	char net[24], text[RN_UNIX_NAME_MAX + RN_ADDR_STRLEN];
	size_t n = strlen(network);
	int rc;

	if (!fn)
		return 0;
	/* Go's ctrlNetwork: "tcp" becomes "tcp4" or "tcp6" by the socket's family. */
	if (!strncmp(network, "unix", 4) || network[n - 1] == '4' || network[n - 1] == '6' ||
	    n + 2 > sizeof(net))
		snprintf(net, sizeof(net), "%s", network);
	else
		snprintf(net, sizeof(net), "%s%c", network, family == AF_INET ? '4' : '6');
	rn_addr_string(addr, text, sizeof(text));
	rc = fn(net, text, fd, arg);
	if (rc >= 0)
		return 0;
	if (rc <= RN_EBASE)
		return rni_err_sentinel(rc);
	return rni_err_errno(-rc, NULL);
}

static void kick_on_cancel(void *arg)
{
	rni_fd_kick(arg);
}

int rni_connect(rn_conn *c, rne_engine *e, const struct sockaddr *sa, socklen_t len,
		const rni_dial *o)
{
	rn_ctx_watch *w = o->ctx ? rn_ctx_watch_add(o->ctx, kick_on_cancel, &c->fd) : NULL;
	int res = rni_fd_connect(&c->fd, e, sa, len, o->deadline, o->ctx);

	rn_ctx_watch_remove(w);
	return res;
}

ssize_t rn_conn_write_buffers(rn_conn *c, const struct iovec *iov, int iovcnt)
{
	struct iovec local[64];
	struct msghdr msg;
	ssize_t total = 0, done = 0;
	size_t off = 0; /* bytes of iov[i] already sent */
	rne_engine *e;
	int res = 0, i = 0;

	if (!c || iovcnt < 0 || (iovcnt > 0 && !iov))
		return rni_err_einval("rn_conn_write_buffers: NULL connection or vector");
	if (c->pipe) {
		/* Go: a Pipe has no writev; Buffers.WriteTo writes each buffer. */
		for (int k = 0; k < iovcnt; k++) {
			ssize_t w = rni_pipe_write(c, iov[k].iov_base, iov[k].iov_len);
			if (w < (ssize_t)iov[k].iov_len)
				return w < 0 && done == 0 ? w : done + (w > 0 ? w : 0);
			done += w;
		}
		return done;
	}
	for (int k = 0; k < iovcnt; k++) {
		if (iov[k].iov_len > (size_t)(SSIZE_MAX - total))
			return rni_err_einval("rn_conn_write_buffers: total larger than SSIZE_MAX");
		total += (ssize_t)iov[k].iov_len;
	}
	res = rni_conn_begin(c, "writev", &e);
	if (res < 0)
		return res;
	/* Go's Buffers.WriteTo: all of it, in as few sendmsg calls as the kernel allows. */
	rne_lock_acquire(&c->fd.wlock);
	while (i < iovcnt) {
		size_t left;
		int n = 0;

		if (off == iov[i].iov_len) {
			i++;
			off = 0;
			continue;
		}
		for (int k = i; k < iovcnt && n < 64; k++, n++) {
			local[n].iov_base = (char *)iov[k].iov_base + (k == i ? off : 0);
			local[n].iov_len = iov[k].iov_len - (k == i ? off : 0);
		}
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = local;
		msg.msg_iovlen = (size_t)n;
		res = rni_fd_sendmsg(&c->fd, e, &msg, 0);
		if (res < 0)
			break;
		done += res;
		for (left = (size_t)res; left > 0;) {
			size_t avail = iov[i].iov_len - off;

			if (left < avail) {
				off += left;
				left = 0;
			} else {
				left -= avail;
				i++;
				off = 0;
			}
		}
	}
	rne_lock_release(&c->fd.wlock);
	rni_fd_leave(&c->fd);
	if (res < 0) {
		rni_fd_wrap(&c->fd, res, "writev", "writev", &c->fd.laddr, &c->fd.raddr);
		return done > 0 ? done : res;
	}
	return done;
}

int rni_fd_dup(rni_fd *f, const rn_addr *source, const rn_addr *addr)
{
	int rc = rni_fd_enter(f), fd;

	if (rc < 0)
		return rni_fd_wrap(f, rc, "file", NULL, source, addr);
	rni_ms_stop(f); /* the duplicate's reader gets the next byte, not a ring buffer */
	fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	rc = fd < 0 ? -errno : fd;
	rni_fd_leave(f);
	if (rc < 0)
		return rni_fd_wrap(f, rc, "file", "fcntl", source, addr);
	return rc;
}

int rn_conn_file(rn_conn *c)
{
	if (!c || c->pipe)
		return rni_err_einval("rn_conn_file: NULL connection or a Pipe");
	return rni_fd_dup(&c->fd, &c->fd.laddr, &c->fd.raddr);
}

ssize_t rn_conn_read_lease(rn_conn *c, rn_lease *l)
{
	rne_engine *e;
	int res, bid = -1;

	if (l)
		memset(l, 0, sizeof(*l));
	if (!c || !l)
		return rni_err_einval("rn_conn_read_lease: NULL connection or lease");
	if (c->pipe || c->fd.sotype != SOCK_STREAM)
		return rni_err_einval("rn_conn_read_lease: not a stream connection");
	res = rni_conn_begin(c, "read", &e);
	if (res < 0)
		return res;
	rne_lock_acquire(&c->fd.rlock);
	res = rni_rx_lease(&c->fd, e, l);
	if (res != RNI_RX_ONESHOT)
		goto out;
	e->stats.recv_oneshot++;
	if (rne_bufring(e, RNE_BR_STREAM) == 0) {
		res = rni_fd_recv_select(&c->fd, e, RNE_BUF_SIZE, &bid);
		if (res > 0 && bid >= 0) {
			l->data = rne_buf(e, RNE_BR_STREAM, (unsigned)bid);
			l->len = (size_t)res;
			l->priv_owner = e;
			l->priv_bid = (unsigned)bid;
		} else if (bid >= 0) {
			rne_buf_return(e, RNE_BR_STREAM, (unsigned)bid); /* end of stream or an error */
		}
	} else {
		res = -ENOBUFS;
	}
	if (res == -ENOBUFS) {
		/* Every ring buffer is leased (or there is no ring): back-pressure
		 * falls on memory of our own, never on the connection's data. */
		void *buf = malloc(RNE_BUF_SIZE);

		if (!buf) {
			res = -ENOMEM;
		} else {
			res = rni_fd_recv(&c->fd, e, buf, RNE_BUF_SIZE, 0);
			if (res > 0) {
				l->data = buf;
				l->len = (size_t)res;
				l->priv_heap = buf;
			} else {
				free(buf);
			}
		}
	}
out:
	rne_lock_release(&c->fd.rlock);
	rni_fd_leave(&c->fd);
	if (res >= 0)
		return res;
	return rni_fd_wrap(&c->fd, res, "read", "read", &c->fd.laddr, &c->fd.raddr);
}

int rn_lease_release(rn_lease *l)
{
	if (!l)
		return rni_err_einval("rn_lease_release: NULL lease");
	if (l->priv_heap) {
		free(l->priv_heap);
	} else if (l->priv_owner) {
		if (l->priv_owner != rne_current())
			return rni_err_einval("rn_lease_release: not the thread that leased it");
		rne_buf_return(l->priv_owner, RNE_BR_STREAM, l->priv_bid);
	}
	memset(l, 0, sizeof(*l));
	return 0;
}
