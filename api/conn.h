/* SPDX-License-Identifier: BSD-3-Clause */
/* api/conn.h - the structs behind rn_conn and rn_listener.  Internal. */
#ifndef RINGNET_API_CONN_H
#define RINGNET_API_CONN_H

#include "api/fd.h"

struct rn_conn {
	rni_fd fd;
	struct rni_pipe *pipe;	/* set for an end of a Pipe: then fd is unused */
	int pipe_end;		/* 0 or 1 */
};

struct rn_listener {
	rni_fd fd;
	rn_duration keep_alive;	/* ListenConfig's, for accepted TCP conns */
	rn_keepalive_config keep_alive_config;
	bool unlink;		/* Unix: remove the socket file on Close */
};

/* rni_conn_new - a conn owning descriptor @fd; NULL (fd closed) when out of memory. */
rn_conn *rni_conn_new(int fd, int family, int sotype, const char *net);

/*
 * rni_conn_begin - start a call @op on @c: enter the fd and find this
 * thread's engine.  Returns 0, or the recorded error (RN_ECLOSED, no engine).
 * On success the caller must rni_fd_leave(&c->fd).
 */
int rni_conn_begin(rn_conn *c, const char *op, rne_engine **e);

/* rni_sock_addrs - fill f->laddr (getsockname) and, if @peer, f->raddr (getpeername). */
void rni_sock_addrs(rni_fd *f, bool peer);

/*
 * rni_socket - Go's sysSocket + setDefaultSockopts: a close-on-exec socket,
 * IPV6_V6ONLY set to @ipv6only for AF_INET6, SO_BROADCAST for datagrams.
 * Returns the descriptor or -errno (recorded as SyscallError "socket" or
 * "setsockopt").
 */
int rni_socket(int family, int sotype, int proto, bool ipv6only);

/*
 * rni_fd_dup - Go's netFD.dup for File(): a close-on-exec duplicate, or an
 * OpError "file" {source, addr}.
 */
int rni_fd_dup(rni_fd *f, const rn_addr *source, const rn_addr *addr);

/*
 * rni_favorite_family - Go's favoriteAddrFamily: the socket family for
 * @network and endpoint address @ip (a listen on a wildcard is dual-stack).
 */
int rni_favorite_family(const char *network, rn_ip ip, bool listen, bool *v6only);

/*
 * What a dial carries down to the protocol's half: the Dialer (never NULL),
 * the context (may be NULL) and the effective deadline (0 = none).
 */
typedef struct rni_dial {
	const rn_dialer *d;
	rn_ctx *ctx;
	int64_t deadline;
} rni_dial;

/* The per-protocol halves of Dial, Listen and ListenPacket (api/dial.c is the front). */
rn_conn *rni_dial_tcp(const char *network, const rn_tcpaddr *ra, const rni_dial *o);
rn_listener *rni_listen_tcp(const char *network, const rn_tcpaddr *la, const rn_listen_config *lc);
rn_conn *rni_dial_udp(const char *network, const rn_udpaddr *ra, const rni_dial *o);
rn_conn *rni_listen_udp(const char *network, const rn_udpaddr *la, const rn_listen_config *lc);

/*
 * rni_control - run a Control function, if any, on a new socket: network
 * made specific for @family, @addr as text.  Returns 0 or the recorded
 * error's code.
 */
int rni_control(rn_control_fn fn, void *arg, const char *network, int family, const rn_addr *addr,
		int fd);

/*
 * rni_dial_socket - the socket of a dial: family chosen as Go does (a local
 * IPv6 address makes it IPv6), the Dialer's Control run, its local address
 * bound.  Returns the descriptor, or the code of an error recorded as an
 * OpError "dial"; *family is the socket's family.
 */
int rni_dial_socket(const char *network, int sotype, rn_ip rip, const rn_addr *raddr,
		    const rni_dial *o, int *family);

/*
 * rni_connect - connect @c to @sa under the dial's deadline and context:
 * a cancelled context gives RN_EOPCANCELED, its passed deadline RN_ETIMEOUT.
 * Returns the raw result (nothing recorded).
 */
int rni_connect(rn_conn *c, rne_engine *e, const struct sockaddr *sa, socklen_t len,
		const rni_dial *o);

/* IP (api/iprawsock.c): raw sockets for "ip4:icmp", "ip6:58", ... */
rn_conn *rni_dial_ip(const char *network, const rn_ipaddr *ra, const rni_dial *o);
rn_conn *rni_listen_ip(const char *network, const rn_ipaddr *la, const rn_listen_config *lc);

/* Unix (api/unixsock.c): the Dialer's local address, if a Unix one, names the local end. */
rn_conn *rni_dial_unix(const char *network, const rn_unixaddr *ra, const rni_dial *o);
rn_listener *rni_listen_unix(const char *network, const rn_unixaddr *la);
rn_conn *rni_listen_unixgram(const char *network, const rn_unixaddr *la);
/*
 * rni_unix_listener_unlink - Go's UnixListener.close before the fd closes:
 * the first call on an open AF_UNIX listener with l->unlink set removes its
 * socket file (never an abstract name).  A no-op for other listeners.
 */
void rni_unix_listener_unlink(rn_listener *l);

/* One message in (api/msg.c): what to receive into, and what came. */
struct rni_msg {
	void *buf;
	size_t n;
	void *oob;
	size_t oob_cap;
	int recv_flags;			/* MSG_* for recvmsg */
	struct sockaddr_storage ss;	/* out: the sender */
	socklen_t sslen;		/* out: its length (0: none) */
	size_t oobn;			/* out: control bytes received */
	int flags;			/* out: the message's MSG_* flags */
};

/*
 * rni_conn_recvmsg - one message from @c on the engine, under the read lock
 * and deadline.  Returns the data count, or the code of an OpError "read"
 * {laddr, raddr} wrapping @syscall's errno.
 */
int rni_conn_recvmsg(rn_conn *c, struct rni_msg *m, const char *syscall);

/*
 * rni_conn_sendmsg - one message to @to (NULL: the connected peer) with
 * control data, under the write lock and deadline.  Returns the data count,
 * or the code of an OpError "write" {laddr, @dst} wrapping @syscall's errno.
 */
int rni_conn_sendmsg(rn_conn *c, const void *buf, size_t n, const void *oob, size_t oobn,
		     const struct sockaddr_storage *to, socklen_t tolen, const rn_addr *dst,
		     const char *syscall);

/*
 * rni_conn_read_msg - the shared body of ReadMsgUDP, ReadMsgIP and
 * ReadMsgUnix: clear *@oobn and *@flags, check the arguments (@fn names the
 * public call; @kind_ok false fails with @kind, e.g. "not a UDP
 * connection"), read one message into @m (one dummy byte when only control
 * data is wanted on a socket that is not SOCK_DGRAM, as syscall.Recvmsg)
 * and hand back its control length and flags.  The sender stays in @m.
 */
int rni_conn_read_msg(rn_conn *c, bool kind_ok, const char *fn, const char *kind,
		      struct rni_msg *m, size_t *oobn, int *flags);

/* rni_check_write_msg - the argument checks of WriteMsgUDP/IP/Unix, as rni_conn_read_msg's. */
int rni_check_write_msg(const rn_conn *c, bool kind_ok, const char *fn, const char *kind,
			const void *buf, size_t n, const void *oob, size_t oobn);

/* rni_conn_sendmsgv - rni_conn_sendmsg gathering the data from @iovcnt buffers. */
int rni_conn_sendmsgv(rn_conn *c, const struct iovec *iov, int iovcnt, const void *oob,
		      size_t oobn, const struct sockaddr_storage *to, socklen_t tolen,
		      const rn_addr *dst, const char *syscall);

/* Pipe (api/pipe.c): the Conn methods of a pipe end; errors recorded. */
ssize_t rni_pipe_read(rn_conn *c, void *b, size_t n);
ssize_t rni_pipe_write(rn_conn *c, const void *b, size_t n);
int rni_pipe_close(rn_conn *c);
int rni_pipe_set_deadline(rn_conn *c, bool rd, bool wr, int64_t t);
void rni_pipe_free(rn_conn *c);

#endif /* RINGNET_API_CONN_H */
