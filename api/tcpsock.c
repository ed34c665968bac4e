/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/tcpsock.c - TCP: Dial, Listen, Accept and the TCPConn options, as
 * Go's tcpsock.go / tcpsock_posix.go / sockopt_linux.go.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/accept.h"
#include "api/conn.h"
#include "api/errors.h"

#define DEFAULT_KEEPALIVE_SECS 15 /* Go's defaultTCPKeepAlive */

/* Go's favoriteAddrFamily for an IP address of a TCP or UDP endpoint. */
int rni_favorite_family(const char *network, rn_ip ip, bool listen, bool *v6only)
{
	size_t n = strlen(network);

	*v6only = false;
	if (network[n - 1] == '4')
		return AF_INET;
	if (network[n - 1] == '6') {
		*v6only = true;
		return AF_INET6;
	}
	if (listen && (ip.len == 0 || rn_ip_is_unspecified(ip)))
		return AF_INET6; /* one dual-stack socket serves both families */
	if (ip.len <= 4 || rn_ip_to4(ip).len)
		return AF_INET;
	return AF_INET6;
}

static void set_int(int fd, int level, int opt, int v)
{
	setsockopt(fd, level, opt, &v, sizeof(v));
}

static int keepalive_secs(rn_duration d)
{
	long long secs = (d + RN_SECOND - 1) / RN_SECOND; /* Go rounds up */

	if (secs < 1)
		secs = 1;
	return secs > 32767 ? 32767 : (int)secs; /* the kernel's MAX_TCP_KEEPIDLE */
}

/* Go's SetKeepAliveConfig on a descriptor: 0 = default, < 0 = leave as is. */
static int keepalive_config(int fd, const rn_keepalive_config *cfg)
{
	int on = cfg->enable;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0)
		return -errno;
	if (cfg->idle >= 0)
		set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE,
			keepalive_secs(cfg->idle ? cfg->idle : DEFAULT_KEEPALIVE_SECS * RN_SECOND));
	if (cfg->interval >= 0)
		set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL,
			keepalive_secs(cfg->interval ? cfg->interval : DEFAULT_KEEPALIVE_SECS * RN_SECOND));
	if (cfg->count >= 0)
		set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, cfg->count ? cfg->count : 9);
	return 0;
}

/*
 * What Go does to every new TCP conn: no Nagle, and keep-alives as the
 * Dialer or ListenConfig says (the config when enabled, else the period,
 * 0 meaning 15 s, negative meaning off).
 */
static void tune_conn(int fd, rn_duration keep_alive, const rn_keepalive_config *cfg)
{
	set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1);
	if (cfg->enable) {
		keepalive_config(fd, cfg);
	} else if (keep_alive >= 0) {
		rn_keepalive_config c = { true, keep_alive, 0, 0 };
		keepalive_config(fd, &c);
	}
}

/* Bind a dial's local address, if it has one. */
static int bind_local(int fd, int family, const rn_addr *la)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int rc;

	if (la->kind == RN_ADDR_NONE)
		return 0;
	if (la->kind != RN_ADDR_TCP && la->kind != RN_ADDR_UDP)
		return rni_err_addr("mismatched local address type", NULL);
	rc = la->kind == RN_ADDR_TCP ? rn_tcpaddr_to_sockaddr(&la->u.tcp, family, &ss, &len)
				     : rn_udpaddr_to_sockaddr(&la->u.udp, family, &ss, &len);
	if (rc < 0)
		return rc;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return rni_err_errno(errno, "bind");
	return 0;
}

int rni_dial_socket(const char *network, int sotype, rn_ip rip, const rn_addr *raddr,
		    const rni_dial *o, int *family)
{
	const rn_addr *la = &o->d->local_addr;
	const rn_addr *src = la->kind == RN_ADDR_NONE ? NULL : la;
	bool v6only;
	int fd, rc;

	*family = rni_favorite_family(network, rip, false, &v6only);
	if (la->kind == RN_ADDR_TCP || la->kind == RN_ADDR_UDP) {
		/* Go: a local IPv6 address makes the socket IPv6. */
		rn_ip lip = la->kind == RN_ADDR_TCP ? la->u.tcp.ip : la->u.udp.ip;
		if (*family == AF_INET && lip.len == 16 && !rn_ip_to4(lip).len)
			*family = AF_INET6;
	}
	fd = rni_socket(*family, sotype, 0, v6only);
	if (fd < 0)
		return rni_err_op("dial", network, src, raddr);
	rc = rni_control(o->d->control, o->d->control_arg, network, *family, raddr, fd);
	if (rc == 0)
		rc = bind_local(fd, *family, la);
	if (rc < 0) {
		close(fd);
		return rni_err_op("dial", network, src, raddr);
	}
	return fd;
}

rn_conn *rni_dial_tcp(const char *network, const rn_tcpaddr *ra, const rni_dial *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	rn_addr raddr = rn_addr_from_tcp(ra);
	const rn_addr *src = o->d->local_addr.kind == RN_ADDR_NONE ? NULL : &o->d->local_addr;
	rne_engine *e;
	rn_conn *c;
	int family, fd, rc;

	e = rni_engine("dial", network, &raddr);
	if (!e)
		return NULL;
	fd = rni_dial_socket(network, SOCK_STREAM, ra->ip, &raddr, o, &family);
	if (fd < 0)
		return NULL;
	rc = rn_tcpaddr_to_sockaddr(ra, family, &ss, &len);
	if (rc < 0) {
		close(fd);
		rni_err_op("dial", network, src, &raddr);
		return NULL;
	}
	c = rni_conn_new(fd, family, SOCK_STREAM, network);
	if (!c)
		return NULL;
	c->fd.raddr = raddr;
	rc = rni_connect(c, e, (struct sockaddr *)&ss, len, o);
	if (rc < 0) {
		rni_fd_wrap(&c->fd, rc, "dial", "connect", src, &raddr);
		rn_conn_free(c);
		return NULL;
	}
	tune_conn(fd, o->d->keep_alive, &o->d->keep_alive_config);
	rni_sock_addrs(&c->fd, true);
	return c;
}

/* Go's maxListenerBacklog: net.core.somaxconn, capped to what listen takes. */
static int listen_backlog(void)
{
	char buf[32];
	int fd = open("/proc/sys/net/core/somaxconn", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	long v;

	if (fd < 0)
		return SOMAXCONN;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return SOMAXCONN;
	buf[n] = '\0';
	v = strtol(buf, NULL, 10);
	if (v <= 0)
		return SOMAXCONN;
	return v > 65535 ? 65535 : (int)v;
}

rn_listener *rni_listen_tcp(const char *network, const rn_tcpaddr *la_in, const rn_listen_config *lc)
{
	struct sockaddr_storage ss;
	socklen_t len;
	rn_tcpaddr la = *la_in;
	rn_addr laddr;
	rn_listener *l;
	bool v6only;
	int family, fd, rc;

	laddr = rn_addr_from_tcp(&la);
	family = rni_favorite_family(network, la.ip, true, &v6only);
	rc = rn_tcpaddr_to_sockaddr(&la, family, &ss, &len);
	if (rc < 0) {
		rni_err_op("listen", network, NULL, &laddr);
		return NULL;
	}
	fd = rni_socket(family, SOCK_STREAM, 0, v6only);
	if (fd < 0) {
		rni_err_op("listen", network, NULL, &laddr);
		return NULL;
	}
	set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (lc->reuse_port)
		set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (rni_control(lc->control, lc->control_arg, network, family, &laddr, fd) < 0) {
		close(fd);
		rni_err_op("listen", network, NULL, &laddr);
		return NULL;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, listen_backlog()) < 0) {
		const char *call = errno == EADDRINUSE || errno == EADDRNOTAVAIL || errno == EACCES
					   ? "bind" : "listen";
		int err = errno;

		close(fd);
		rni_err_errno(err, call);
		rni_err_op("listen", network, NULL, &laddr);
		return NULL;
	}
	l = malloc(sizeof(*l));
	if (!l) {
		close(fd);
		rni_err_errno(ENOMEM, NULL);
		rni_err_op("listen", network, NULL, &laddr);
		return NULL;
	}
	rni_fd_init(&l->fd, fd, family, SOCK_STREAM, network);
	l->keep_alive = lc->keep_alive;
	l->keep_alive_config = lc->keep_alive_config;
	l->unlink = false;
	rni_sock_addrs(&l->fd, false);
	return l;
}

rn_conn *rn_listener_accept(rn_listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	rne_engine *e;
	rn_conn *c;
	int rc;

	if (!l) {
		rni_err_einval("rn_listener_accept: NULL listener");
		return NULL;
	}
	rc = rni_fd_enter(&l->fd);
	if (rc < 0) {
		rni_fd_wrap(&l->fd, rc, "accept", NULL, NULL, &l->fd.laddr);
		return NULL;
	}
	e = rni_engine("accept", l->fd.net, &l->fd.laddr);
	if (!e) {
		rni_fd_leave(&l->fd);
		return NULL;
	}
	rne_lock_acquire(&l->fd.rlock);
	rc = rni_accept_take(&l->fd, e);
	if (rc >= 0 && getpeername(rc, (struct sockaddr *)&ss, &len) < 0)
		len = 0; /* reset already: Go's accept gives such a conn a nil RemoteAddr */
	if (rc == RNI_MS_ONESHOT) {
		e->stats.accept_oneshot++;
		rc = rni_fd_accept(&l->fd, e, (struct sockaddr *)&ss, &len);
	}
	rne_lock_release(&l->fd.rlock);
	if (rc >= 0 && atomic_load(&l->fd.closed)) {
		close(rc); /* accepted as Close ran: it must not outlive the listener */
		rc = RN_ECLOSED;
	}
	rni_fd_leave(&l->fd);
	if (rc < 0) {
		rni_fd_wrap(&l->fd, rc, "accept", "accept4", NULL, &l->fd.laddr);
		return NULL;
	}
	if (l->fd.family != AF_UNIX)
		tune_conn(rc, l->keep_alive, &l->keep_alive_config);
	c = rni_conn_new(rc, l->fd.family, l->fd.sotype, l->fd.net);
	if (!c) {
		rni_err_op("accept", l->fd.net, NULL, &l->fd.laddr);
		return NULL;
	}
	rni_sock_addrs(&c->fd, false);
	if (l->fd.family == AF_UNIX) {
		/* An unnamed peer reads as "@", as Go 1.19's anyToSockaddr. */
		if (rn_unixaddr_from_sockaddr(&c->fd.raddr.u.un, (struct sockaddr *)&ss, len,
					      l->fd.net) == 0)
			c->fd.raddr.kind = RN_ADDR_UNIX;
	} else if (rn_tcpaddr_from_sockaddr(&c->fd.raddr.u.tcp, (struct sockaddr *)&ss, len) == 0) {
		c->fd.raddr.kind = RN_ADDR_TCP;
	}
	return c;
}

rn_addr rn_listener_addr(const rn_listener *l)
{
	rn_addr none = { .kind = RN_ADDR_NONE };

	return l ? l->fd.laddr : none;
}

int rn_listener_set_deadline(rn_listener *l, rn_time t)
{
	if (!l)
		return rni_err_einval("rn_listener_set_deadline: NULL listener");
	if (atomic_load(&l->fd.closed))
		return rni_fd_wrap(&l->fd, RN_ECLOSED, "set", NULL, NULL, &l->fd.laddr);
	rni_fd_set_deadline(&l->fd, true, false, t);
	return 0;
}

int rn_listener_close(rn_listener *l)
{
	if (!l)
		return rni_err_einval("rn_listener_close: NULL listener");
	rni_unix_listener_unlink(l); /* Go: a Unix listener's file goes first */
	if (rni_fd_close(&l->fd) < 0)
		return rni_fd_wrap(&l->fd, RN_ECLOSED, "close", NULL, NULL, &l->fd.laddr);
	return 0;
}

void rn_listener_free(rn_listener *l)
{
	if (!l)
		return;
	rni_unix_listener_unlink(l); /* free closes: as rn_listener_close */
	rni_fd_destroy(&l->fd);
	free(l);
}

/* ---- TCPConn options ---------------------------------------------------- */

/*
 * Run a socket call on a live TCP conn; errors as Go's OpError.  The TCPConn
 * methods name both ends (Source laddr, Addr raddr); the generic conn ones
 * (SetReadBuffer, SetWriteBuffer) only the local address.
 */
static int sock_call(rn_conn *c, bool both_ends, const char *op, const char *syscall,
		     int (*fn)(int fd, const void *arg), const void *arg)
{
	const rn_addr *src = both_ends ? &c->fd.laddr : NULL;
	const rn_addr *dst = both_ends ? &c->fd.raddr : &c->fd.laddr;
	int rc;

	rc = rni_fd_enter(&c->fd);
	if (rc < 0)
		return rni_fd_wrap(&c->fd, rc, op, NULL, src, dst);
	rc = fn(c->fd.fd, arg) < 0 ? -errno : 0;
	rni_fd_leave(&c->fd);
	if (rc < 0)
		return rni_fd_wrap(&c->fd, rc, op, syscall, src, dst);
	return 0;
}

static int tcp_call(rn_conn *c, const char *op, const char *syscall, int (*fn)(int fd, const void *arg),
		    const void *arg)
{
	if (!c)
		return rni_err_einval("rn_tcpconn: NULL connection");
	if (c->pipe || c->fd.sotype != SOCK_STREAM || c->fd.family == AF_UNIX)
		return rni_err_einval("rn_tcpconn: not a TCP connection");
	return sock_call(c, true, op, syscall, fn, arg);
}

struct opt {
	int level, name, value;
};

static int do_setsockopt(int fd, const void *arg)
{
	const struct opt *o = arg;
	return setsockopt(fd, o->level, o->name, &o->value, sizeof(o->value));
}

static int set_opt(rn_conn *c, int level, int name, int value)
{
	struct opt o = { level, name, value };
	return tcp_call(c, "set", "setsockopt", do_setsockopt, &o);
}

static int do_shutdown(int fd, const void *arg)
{
	return shutdown(fd, *(const int *)arg);
}

int rn_tcpconn_close_read(rn_conn *c)
{
	int how = SHUT_RD;
	return tcp_call(c, "close", "shutdown", do_shutdown, &how);
}

int rn_tcpconn_close_write(rn_conn *c)
{
	int how = SHUT_WR;
	return tcp_call(c, "close", "shutdown", do_shutdown, &how);
}

int rn_tcpconn_set_nodelay(rn_conn *c, bool nodelay)
{
	return set_opt(c, IPPROTO_TCP, TCP_NODELAY, nodelay);
}

int rn_tcpconn_set_keepalive(rn_conn *c, bool keepalive)
{
	return set_opt(c, SOL_SOCKET, SO_KEEPALIVE, keepalive);
}

int rn_tcpconn_set_keepalive_period(rn_conn *c, rn_duration d)
{
	int secs = keepalive_secs(d);
	int rc = set_opt(c, IPPROTO_TCP, TCP_KEEPINTVL, secs);

	if (rc == 0)
		rc = set_opt(c, IPPROTO_TCP, TCP_KEEPIDLE, secs);
	return rc;
}

static int do_keepalive_config(int fd, const void *arg)
{
	int rc = keepalive_config(fd, arg);

	if (rc < 0)
		errno = -rc;
	return rc < 0 ? -1 : 0;
}

int rn_tcpconn_set_keepalive_config(rn_conn *c, const rn_keepalive_config *cfg)
{
	if (!cfg)
		return rni_err_einval("rn_tcpconn_set_keepalive_config: NULL config");
	return tcp_call(c, "set", "setsockopt", do_keepalive_config, cfg);
}

struct linger_arg {
	struct linger l;
};

static int do_linger(int fd, const void *arg)
{
	const struct linger_arg *a = arg;
	return setsockopt(fd, SOL_SOCKET, SO_LINGER, &a->l, sizeof(a->l));
}

int rn_tcpconn_set_linger(rn_conn *c, int sec)
{
	struct linger_arg a = { { sec >= 0, sec >= 0 ? sec : 0 } };
	return tcp_call(c, "set", "setsockopt", do_linger, &a);
}

static int set_buffer(rn_conn *c, int name, int bytes)
{
	struct opt o = { SOL_SOCKET, name, bytes };

	if (!c)
		return rni_err_einval("rn_tcpconn: NULL connection");
	if (c->pipe || c->fd.sotype != SOCK_STREAM || c->fd.family == AF_UNIX)
		return rni_err_einval("rn_tcpconn: not a TCP connection");
	return sock_call(c, false, "set", "setsockopt", do_setsockopt, &o);
}

int rn_tcpconn_set_read_buffer(rn_conn *c, int bytes)
{
	return set_buffer(c, SO_RCVBUF, bytes);
}

int rn_tcpconn_set_write_buffer(rn_conn *c, int bytes)
{
	return set_buffer(c, SO_SNDBUF, bytes);
}

int rn_listener_file(rn_listener *l)
{
	if (!l)
		return rni_err_einval("rn_listener_file: NULL listener");
	return rni_fd_dup(&l->fd, NULL, &l->fd.laddr);
}
