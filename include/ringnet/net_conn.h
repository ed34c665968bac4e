/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/net_conn.h - Go's Conn, PacketConn and Listener for TCP and UDP on
 * the io_uring engine: Dial, Listen, ListenPacket, Accept, Read, Write,
 * ReadFrom, WriteTo, Close and deadlines.
 *
 * Handles are opaque.  Close is Go's Close: it may be called from any thread,
 * wakes every call blocked on the handle with RN_ECLOSED, and leaves the
 * handle valid (later calls fail with RN_ECLOSED).  Free releases the memory
 * (closing first if needed); call it once, when no other thread uses the
 * handle any more.
 *
 * Errors are Go's: "dial tcp 127.0.0.1:1: connect: connection refused",
 * "read tcp 127.0.0.1:40000->127.0.0.1:8080: i/o timeout".
 *
 * Included by <ringnet/net.h>; do not include directly.
 */
#ifndef RINGNET_NET_CONN_H
#define RINGNET_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <ringnet/net_addr.h>
#include <ringnet/net_iface.h>
#include <ringnet/net_time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rn_conn rn_conn;
typedef struct rn_listener rn_listener;

/* ---- Dialer and ListenConfig ---------------------------------------------- */

/* net.KeepAliveConfig: zero fields take Go's defaults (15 s, 15 s, 9); negative ones leave the socket's value. */
typedef struct rn_keepalive_config {
	bool enable;
	rn_duration idle;
	rn_duration interval;
	int count;
} rn_keepalive_config;

/*
 * Control: called with the raw descriptor after the socket is created and
 * before it is bound or connected, with the network made specific ("tcp4",
 * "udp6") and the address as text.  Return 0, or a negative code (-errno or
 * RN_E*) to fail the dial or listen with it.
 */
typedef int (*rn_control_fn)(const char *network, const char *address, int fd, void *arg);

/* net.Dialer.  The zero value dials as rn_dial does. */
typedef struct rn_dialer {
	rn_duration timeout;	/* 0 = none */
	rn_time deadline;	/* 0 = none */
	rn_addr local_addr;	/* RN_ADDR_NONE = chosen by the kernel */
	rn_duration keep_alive;	/* 0 = 15 s, < 0 = off; ignored when keep_alive_config.enable */
	rn_keepalive_config keep_alive_config;
	rn_control_fn control;
	void *control_arg;
	/*
	 * FallbackDelay: for "tcp" to a name with IPv4 and IPv6 addresses, how
	 * long the first family has before the other is dialed in parallel
	 * (RFC 6555).  0 = 300 ms, < 0 = no parallel fallback (dial in order).
	 */
	rn_duration fallback_delay;
} rn_dialer;

/**
 * rn_dialer_dial_context - Dialer.DialContext: as rn_dial, with @d's options
 * (NULL = the zero Dialer), giving up when @ctx (NULL = Background) is
 * cancelled ("dial tcp ...: operation was canceled", RN_EOPCANCELED) or its
 * deadline, @d->timeout or @d->deadline passes, whichever is first
 * (RN_ETIMEOUT).  Returns a handle for rn_conn_free() or NULL.
 */
rn_conn *rn_dialer_dial_context(const rn_dialer *d, rn_ctx *ctx, const char *network,
				const char *address);

/** rn_dialer_dial - Dialer.Dial: rn_dialer_dial_context with no context. */
rn_conn *rn_dialer_dial(const rn_dialer *d, const char *network, const char *address);

/* net.ListenConfig.  The zero value listens as rn_listen does. */
typedef struct rn_listen_config {
	rn_control_fn control;
	void *control_arg;
	rn_duration keep_alive;	/* for accepted TCP conns: 0 = 15 s, < 0 = off */
	rn_keepalive_config keep_alive_config;
	bool reuse_port;	/* SO_REUSEPORT before bind (ringnet's addition) */
} rn_listen_config;

/**
 * rn_listen_config_listen - ListenConfig.Listen.  @lc NULL = the zero
 * config; @ctx (NULL = Background) already done fails the call.
 */
rn_listener *rn_listen_config_listen(const rn_listen_config *lc, rn_ctx *ctx,
				     const char *network, const char *address);

/** rn_listen_config_listen_packet - ListenConfig.ListenPacket. */
rn_conn *rn_listen_config_listen_packet(const rn_listen_config *lc, rn_ctx *ctx,
					const char *network, const char *address);

/* ---- dialing and listening ------------------------------------------------ */

/**
 * rn_dial - Dial: connect to @address on @network: "tcp", "tcp4", "tcp6",
 * "udp", "udp4", "udp6", "unix", "unixgram", "unixpacket", or an IP
 * network with its protocol ("ip4:icmp", "ip6:58").
 *
 * The address is "host:port" (just the host for IP networks, the path for
 * Unix).  A name resolves through /etc/hosts and getaddrinfo; its addresses
 * are tried in order, each under a share of the deadline, as Go's dialSerial.
 * TCP connections have TCP_NODELAY and 15 s keep-alives, as Go's.
 * Returns a handle to free with rn_conn_free(), or NULL with rn_last_error()
 * set: an OpError "dial" wrapping RN_EUNKNOWNNET, RN_EADDR, a DNS error, or
 * -errno from socket/connect (e.g. -ECONNREFUSED).
 */
rn_conn *rn_dial(const char *network, const char *address);

/**
 * rn_dial_timeout - DialTimeout: rn_dial that gives up after @timeout
 * (RN_ETIMEOUT, "dial tcp ...: i/o timeout").  @timeout <= 0 means none.
 */
rn_conn *rn_dial_timeout(const char *network, const char *address, rn_duration timeout);

/**
 * rn_listen - Listen: a TCP listener on @address ("127.0.0.1:0", ":8080").
 *
 * A wildcard or empty host on "tcp" listens on both IPv4 and IPv6.
 * SO_REUSEADDR is set and the backlog is net.core.somaxconn, as Go does.
 * Returns a handle to free with rn_listener_free(), or NULL with an OpError
 * "listen" in rn_last_error().
 */
rn_listener *rn_listen(const char *network, const char *address);

/**
 * rn_listener_accept - Accept: wait for the next connection.
 * Returns a handle to free with rn_conn_free(), or NULL with an OpError
 * "accept": RN_ECLOSED after Close, RN_ETIMEOUT after the deadline, -errno.
 */
rn_conn *rn_listener_accept(rn_listener *l);

/** rn_listener_addr - Addr: the listening address (RN_ADDR_TCP). */
rn_addr rn_listener_addr(const rn_listener *l);

/**
 * rn_listener_set_deadline - SetDeadline for Accept, including an Accept
 * already blocked (0 clears it).  Returns 0, or RN_ECLOSED after Close.
 */
int rn_listener_set_deadline(rn_listener *l, rn_time t);

/**
 * rn_listener_close - Close: stop listening; blocked Accept calls return
 * RN_ECLOSED.  A second Close returns RN_ECLOSED ("close tcp ...: use of
 * closed network connection").
 */
int rn_listener_close(rn_listener *l);

/** rn_listener_free - close if needed and release @l.  NULL is a no-op. */
void rn_listener_free(rn_listener *l);

/**
 * rn_listen_packet - ListenPacket: a UDP socket bound to @address on
 * "udp", "udp4" or "udp6" (a wildcard on "udp" is dual-stack).  Returns a
 * conn for rn_conn_read_from / rn_conn_write_to, or NULL with an OpError
 * "listen" in rn_last_error().
 */
rn_conn *rn_listen_packet(const char *network, const char *address);

/**
 * rn_pipe - Pipe: two connected in-memory ends, *@a and *@b.  A Write on one
 * end returns once Reads on the other have taken all its bytes; nothing is
 * buffered.  Read at the other end's Close is 0 (io.EOF); a call on a closed
 * pipe fails with RN_ECLOSEDPIPE ("io: read/write on closed pipe"); a
 * deadline gives RN_ETIMEOUT ("read pipe: i/o timeout").  Close never fails.
 * Addresses are "pipe".  Free each end with rn_conn_free().  Returns 0 or
 * -ENOMEM.
 */
int rn_pipe(rn_conn **a, rn_conn **b);

/* ---- Conn ---------------------------------------------------------------- */

/**
 * rn_conn_read - Read: wait for data and copy up to @n bytes into @buf.
 *
 * Returns the count (> 0); 0 at end of stream (Go's io.EOF) or when @n is 0;
 * or a negative code with an OpError "read" in rn_last_error(): RN_ETIMEOUT
 * when the read deadline passes (at once if it already has), RN_ECLOSED,
 * -ECONNRESET.  Data the kernel delivered is never lost to a deadline.
 */
ssize_t rn_conn_read(rn_conn *c, void *buf, size_t n);

/*
 * A lease: bytes a read placed in memory ringnet owns, handed out without a
 * copy.  data and len are the caller's to read until rn_lease_release().
 */
typedef struct rn_lease {
	const void *data;
	size_t len;
	void *priv_owner;   /* ringnet's: the engine whose buffer ring lent it */
	void *priv_heap;    /* ringnet's: a buffer of its own, when the ring was empty */
	unsigned priv_bid;  /* ringnet's: the buffer id */
} rn_lease;

/**
 * rn_conn_read_lease - Read without a copy: wait as Read does and lease the
 * bytes (up to 8 KiB: one buffer) from the calling thread's provided-buffer
 * ring, where the kernel received them.  In a task on a TCP conn they come
 * from the conn's multishot receive (what it queued, oldest first).  When
 * the ring runs short, or the kernel has no buffer rings, the bytes land in
 * memory of ringnet's own instead (no data is ever dropped).  Stream
 * connections only (-EINVAL otherwise).
 *
 * Returns the length (> 0) with @l filled; 0 at end of stream (nothing to
 * release); or a negative code with an OpError "read", as rn_conn_read.
 * Release every lease with rn_lease_release() on the same thread.
 */
ssize_t rn_conn_read_lease(rn_conn *c, rn_lease *l);

/**
 * rn_lease_release - give a lease's memory back.  Returns 0, or -EINVAL for
 * NULL or a lease from another thread's ring (which stays leased).  A
 * released (zeroed) lease may be released again harmlessly.
 */
int rn_lease_release(rn_lease *l);

/**
 * rn_conn_write - Write: send all @n bytes.  Concurrent Writes on a stream
 * conn queue in order and each goes out whole; the bytes of several queued
 * Writes leave in one sendmsg, so writers that pile up cost fewer calls.
 *
 * Returns @n, or when a deadline, Close or error stops it: the count already
 * sent if it is > 0 (a short count, with the reason in rn_last_error()),
 * else the negative code (OpError "write": RN_ETIMEOUT, RN_ECLOSED, -EPIPE).
 */
ssize_t rn_conn_write(rn_conn *c, const void *buf, size_t n);

/**
 * rn_conn_close - Close: close the connection from any thread; calls
 * blocked on it return RN_ECLOSED.  Returns 0, or RN_ECLOSED if it was
 * already closed.  The handle stays valid until rn_conn_free().
 */
int rn_conn_close(rn_conn *c);

/** rn_conn_free - close if needed and release @c.  NULL is a no-op. */
void rn_conn_free(rn_conn *c);

/** rn_conn_local_addr - LocalAddr. */
rn_addr rn_conn_local_addr(const rn_conn *c);

/** rn_conn_remote_addr - RemoteAddr. */
rn_addr rn_conn_remote_addr(const rn_conn *c);

/**
 * rn_conn_set_deadline - SetDeadline: the read and write deadlines, as an
 * absolute time (0 = none).  It applies to later calls and to calls already
 * blocked on any thread: they re-arm with the new deadline, or fail with
 * RN_ETIMEOUT at once if it has passed.  Returns 0, or RN_ECLOSED.
 */
int rn_conn_set_deadline(rn_conn *c, rn_time t);
/** rn_conn_set_read_deadline - SetReadDeadline. */
int rn_conn_set_read_deadline(rn_conn *c, rn_time t);
/** rn_conn_set_write_deadline - SetWriteDeadline. */
int rn_conn_set_write_deadline(rn_conn *c, rn_time t);

/* ---- PacketConn / UDPConn ------------------------------------------------- */

/**
 * rn_conn_read_from - ReadFrom: one datagram into @buf (cut to @n bytes, as
 * Go), and its sender in @from (may be NULL).  Returns the count, or a
 * negative code with an OpError "read" (RN_ETIMEOUT, RN_ECLOSED, -errno).
 * On a Unix or IP conn it is rn_unixconn_read_from_unix or
 * rn_ipconn_read_from_ip (RN_ADDR_IP; the IPv4 header stripped).  -EINVAL
 * for a conn that is none of these.
 */
ssize_t rn_conn_read_from(rn_conn *c, void *buf, size_t n, rn_addr *from);

/**
 * rn_conn_write_to - WriteTo: one datagram to @to, which must hold a UDP
 * address.  Returns @n, or a negative code with an OpError "write":
 * RN_EWRITETOCONNECTED on a dialed conn, -EINVAL for no address or another
 * kind (as Go's PacketConn.WriteTo), RN_EADDR for a wrong family.  On a
 * Unix or IP conn @to must be RN_ADDR_UNIX or RN_ADDR_IP instead.
 */
ssize_t rn_conn_write_to(rn_conn *c, const void *buf, size_t n, const rn_addr *to);

/**
 * rn_listen_multicast_udp - ListenMulticastUDP: a UDP socket on @gaddr's
 * port that has joined group @gaddr on interface @ifi (NULL: the system's
 * choice), with multicast loopback off, as Go's.  The socket is bound to the
 * wildcard with SO_REUSEADDR, so several listeners may share the port.
 * Returns a conn for rn_conn_read_from, or NULL with an OpError "listen":
 * RN_EUNKNOWNNET, RN_EMISSINGADDR (no group IP), -errno from setsockopt.
 */
rn_conn *rn_listen_multicast_udp(const char *network, const rn_interface *ifi,
				 const rn_udpaddr *gaddr);

/** rn_udpconn_read_from_udp - ReadFromUDP: as rn_conn_read_from. */
ssize_t rn_udpconn_read_from_udp(rn_conn *c, void *buf, size_t n, rn_udpaddr *from);

/** rn_udpconn_write_to_udp - WriteToUDP: as rn_conn_write_to; NULL @to is RN_EMISSINGADDR. */
ssize_t rn_udpconn_write_to_udp(rn_conn *c, const void *buf, size_t n, const rn_udpaddr *to);

/**
 * rn_udpconn_read_msg_udp - ReadMsgUDP: one recvmsg into @buf (@n bytes; a
 * longer datagram is cut) and @oob (@oob_cap bytes of control data, e.g.
 * IP_PKTINFO or IPV6_PKTINFO enabled with setsockopt on rn_conn_fd; may be
 * NULL when 0).  Outputs, each may be NULL: *@oobn the control bytes
 * received, *@flags the message flags (MSG_TRUNC when the datagram was cut,
 * MSG_CTRUNC when the control data was), @from the sender (zeroed on error).
 * Returns the data count, or a negative code with an OpError "read"
 * (RN_ETIMEOUT, RN_ECLOSED, -errno inside SyscallError "recvmsg").  -EINVAL
 * for a NULL handle or one that is not UDP.
 */
ssize_t rn_udpconn_read_msg_udp(rn_conn *c, void *buf, size_t n, void *oob, size_t oob_cap,
				size_t *oobn, int *flags, rn_udpaddr *from);

/**
 * rn_udpconn_write_msg_udp - WriteMsgUDP: one sendmsg of @buf (@n bytes)
 * with control data @oob (@oobn bytes; may be NULL when 0) to @to, which
 * must be NULL on a dialed conn and set on one made by rn_listen_packet.
 * On success all of @oob was sent.  Returns @n, or a negative code with an
 * OpError "write" naming @to: RN_EWRITETOCONNECTED for an address on a
 * dialed conn, RN_EMISSINGADDR for none on an unconnected one, RN_EADDR for
 * a wrong family, RN_ETIMEOUT, RN_ECLOSED, -errno inside SyscallError
 * "sendmsg".
 */
ssize_t rn_udpconn_write_msg_udp(rn_conn *c, const void *buf, size_t n, const void *oob,
				 size_t oobn, const rn_udpaddr *to);

/* ---- IPConn -------------------------------------------------------------- */
/*
 * rn_dial and rn_listen_packet take "ip", "ip4" and "ip6" with a protocol
 * name or number: "ip4:icmp", "ip4:1", "ip6:ipv6-icmp", "ip:58".  The conn is
 * a SOCK_RAW socket of that protocol (which needs CAP_NET_RAW: without it
 * "dial ip4:icmp 127.0.0.1: socket: operation not permitted"); its family
 * is chosen as Go's favoriteAddrFamily does (a wildcard listen on "ip" is
 * IPv6).  Addresses are RN_ADDR_IP, with the zone from the scope id.  The
 * conn's network in errors is the name without the protocol:
 * "read ip4 127.0.0.1: i/o timeout".
 *
 * What a read returns on "ip4" differs by call, as in Go: rn_conn_read and
 * rn_ipconn_read_msg_ip return the packet with its IPv4 header, while
 * rn_ipconn_read_from_ip and rn_conn_read_from strip the header (Go's
 * stripIPv4Header; so with a buffer too short for the whole packet they may
 * not return a complete one).  IPv6 raw sockets never deliver the header.
 * Writes take the payload only; the kernel adds the header.
 *
 * Read, Write, Close and deadlines are the Conn calls above.  rn_conn_write_to
 * on an IP conn takes only RN_ADDR_IP (anything else is -EINVAL, as Go's
 * IPConn.WriteTo).  Each function below gives -EINVAL (nothing else recorded
 * but the reason) for a NULL handle or one that is not an IP conn.
 */

/**
 * rn_ipconn_read_from_ip - ReadFromIP: one packet into @buf (cut to @n
 * bytes), without its IPv4 header on an IPv4 socket, and its sender in
 * @from (may be NULL; zeroed on error).  Returns the count, or a negative
 * code with an OpError "read" (RN_ETIMEOUT, RN_ECLOSED, -errno inside
 * SyscallError "recvfrom").
 */
ssize_t rn_ipconn_read_from_ip(rn_conn *c, void *buf, size_t n, rn_ipaddr *from);

/**
 * rn_ipconn_write_to_ip - WriteToIP: one packet with payload @buf to @to.
 * Returns @n, or a negative code with an OpError "write" naming @to:
 * RN_EWRITETOCONNECTED on a dialed conn ("write ip4 127.0.0.1->127.0.0.1:
 * use of WriteTo with pre-connected connection"), RN_EMISSINGADDR for NULL
 * @to, RN_EADDR for an address the socket's family cannot take, RN_ETIMEOUT,
 * RN_ECLOSED, -errno inside SyscallError "sendto".
 */
ssize_t rn_ipconn_write_to_ip(rn_conn *c, const void *buf, size_t n, const rn_ipaddr *to);

/**
 * rn_ipconn_read_msg_ip - ReadMsgIP: one recvmsg into @buf (@n bytes; the
 * IPv4 header is kept) and @oob (@oob_cap bytes of control data, e.g.
 * IP_PKTINFO, IP_TTL or IPV6_PKTINFO enabled with setsockopt on
 * rn_conn_fd; may be NULL when 0).  Outputs, each may be NULL: *@oobn the
 * control bytes received, *@flags the message flags (MSG_TRUNC, MSG_CTRUNC),
 * @from the sender (zeroed on error).  As Go's syscall.Recvmsg, with @n == 0
 * and @oob_cap > 0 one byte of data is read into a dummy and counted.
 * Returns the data count, or a negative code with an OpError "read"
 * (RN_ETIMEOUT, RN_ECLOSED, -errno inside SyscallError "recvmsg").
 */
ssize_t rn_ipconn_read_msg_ip(rn_conn *c, void *buf, size_t n, void *oob, size_t oob_cap,
			      size_t *oobn, int *flags, rn_ipaddr *from);

/**
 * rn_ipconn_write_msg_ip - WriteMsgIP: one sendmsg of payload @buf (@n
 * bytes) with control data @oob (@oobn bytes; may be NULL when 0) to @to.
 * As Go 1.19, any call on a dialed conn is RN_EWRITETOCONNECTED and NULL @to
 * on another RN_EMISSINGADDR.  On success all of @oob was sent; with @n == 0
 * and @oobn > 0 one dummy byte carries the control data and 0 is returned
 * (syscall.SendmsgN).  Returns the data count, or a negative code with an
 * OpError "write" naming @to (RN_EADDR, RN_ETIMEOUT, RN_ECLOSED, -errno
 * inside SyscallError "sendmsg").
 */
ssize_t rn_ipconn_write_msg_ip(rn_conn *c, const void *buf, size_t n, const void *oob,
			       size_t oobn, const rn_ipaddr *to);

/* ---- TCPConn ------------------------------------------------------------- */
/*
 * Each returns 0, RN_ECLOSED, -EINVAL for a handle that is not TCP, or an
 * OpError "set" wrapping the setsockopt errno.
 */

/** rn_tcpconn_close_read - CloseRead: shut down the reading side. */
int rn_tcpconn_close_read(rn_conn *c);
/** rn_tcpconn_close_write - CloseWrite: shut down the writing side (sends FIN). */
int rn_tcpconn_close_write(rn_conn *c);
/** rn_tcpconn_set_nodelay - SetNoDelay (on by default, as in Go). */
int rn_tcpconn_set_nodelay(rn_conn *c, bool nodelay);
/** rn_tcpconn_set_keepalive - SetKeepAlive. */
int rn_tcpconn_set_keepalive(rn_conn *c, bool keepalive);
/** rn_tcpconn_set_keepalive_period - SetKeepAlivePeriod (idle and interval; whole seconds, at least 1). */
int rn_tcpconn_set_keepalive_period(rn_conn *c, rn_duration d);
/**
 * rn_tcpconn_set_keepalive_config - SetKeepAliveConfig: enable or disable
 * keep-alives and set idle, interval and count (zero: Go's defaults 15 s,
 * 15 s, 9; negative: unchanged).
 */
int rn_tcpconn_set_keepalive_config(rn_conn *c, const rn_keepalive_config *cfg);
/** rn_tcpconn_set_linger - SetLinger: < 0 the default, 0 reset on close, > 0 seconds. */
int rn_tcpconn_set_linger(rn_conn *c, int sec);
/** rn_tcpconn_set_read_buffer - SetReadBuffer (SO_RCVBUF). */
int rn_tcpconn_set_read_buffer(rn_conn *c, int bytes);
/** rn_tcpconn_set_write_buffer - SetWriteBuffer (SO_SNDBUF). */
int rn_tcpconn_set_write_buffer(rn_conn *c, int bytes);

/**
 * rn_conn_write_buffers - Buffers.WriteTo (writev): send every byte of the
 * @iovcnt buffers in order, in as few system calls as the kernel allows.
 * Returns the total, or as rn_conn_write a short count or a negative code
 * with an OpError "writev".
 */
ssize_t rn_conn_write_buffers(rn_conn *c, const struct iovec *iov, int iovcnt);

/**
 * rn_copy - TCPConn.ReadFrom / io.Copy: move bytes from @src to @dst until
 * @src reaches end of stream, under @src's read deadline and @dst's write
 * deadline (a read/write loop through a 32 KiB buffer; kernel splicing is
 * future work).  Returns the count moved (end of stream is not an error),
 * or when something stops it the count so far if > 0 (the reason, the
 * failing Read's or Write's OpError, in rn_last_error()), else the negative
 * code.
 */
int64_t rn_copy(rn_conn *dst, rn_conn *src);

/**
 * rn_conn_file - File: a close-on-exec duplicate of the descriptor, which the
 * caller owns and closes.  Closing either does not affect the other.
 * Returns the descriptor or an OpError "file" (RN_ECLOSED, -errno).
 */
int rn_conn_file(rn_conn *c);

/** rn_listener_file - TCPListener.File / UnixListener.File, as rn_conn_file. */
int rn_listener_file(rn_listener *l);

/**
 * rn_file_conn - FileConn: a conn on a duplicate of socket @fd (the caller
 * keeps @fd): TCP, UDP, IP (raw) or Unix, told apart by the socket's family
 * and type.
 * Returns a handle for rn_conn_free(), or NULL with an OpError "file"
 * ("file file+net: ...": -EPROTONOSUPPORT for another family, -ENOTSOCK,
 * -EBADF).
 */
rn_conn *rn_file_conn(int fd);

/** rn_file_listener - FileListener: as rn_file_conn, for a listening TCP or Unix socket. */
rn_listener *rn_file_listener(int fd);

/** rn_file_packet_conn - FilePacketConn: as rn_file_conn, for a UDP, IP or unixgram socket. */
rn_conn *rn_file_packet_conn(int fd);

/**
 * rn_conn_fd - the connection's descriptor, for setsockopt and the like.
 * Do not close it or read from it; -1 after Close.
 */
int rn_conn_fd(const rn_conn *c);

/* ---- UnixConn / UnixListener ------------------------------------------------ */
/*
 * rn_dial, rn_listen and rn_listen_packet take "unix" (SOCK_STREAM),
 * "unixgram" (SOCK_DGRAM) and "unixpacket" (SOCK_SEQPACKET) with a path or
 * "@name" (the abstract namespace); Listen on "" binds an autobound abstract
 * name.  Read, Write, Close, deadlines and Accept are the calls above.
 * Addresses are RN_ADDR_UNIX whose Net follows the socket type; an unnamed
 * end reads as "@", as in Go 1.19.  Errors are Go's:
 * "dial unix /tmp/nope.sock: connect: no such file or directory",
 * "listen unix /tmp/x.sock: bind: address already in use".
 * Each function below gives -EINVAL (nothing else recorded but the reason)
 * for a NULL handle or one that is not AF_UNIX.
 */

/**
 * rn_unixconn_read_from_unix - ReadFromUnix: one datagram (cut to @n bytes)
 * and its sender in @from (may be NULL; zeroed, Go's nil, when the sender
 * has no name).  Returns the count (0 at end of stream on "unix"), or a
 * negative code with an OpError "read" (RN_ETIMEOUT, RN_ECLOSED, -errno
 * inside SyscallError "recvfrom").  rn_conn_read_from does the same on a
 * Unix conn, giving RN_ADDR_NONE for a sender with no name.
 */
ssize_t rn_unixconn_read_from_unix(rn_conn *c, void *buf, size_t n, rn_unixaddr *from);

/**
 * rn_unixconn_write_to_unix - WriteToUnix: one datagram to @to.  Returns
 * @n, or a negative code with an OpError "write": RN_EWRITETOCONNECTED on
 * a dialed conn, RN_EMISSINGADDR for NULL @to, -EAFNOSUPPORT when @to->net
 * is not the socket's kind ("unixgram" for a unixgram socket), -errno inside
 * SyscallError "sendto".  rn_conn_write_to on a Unix conn takes only
 * RN_ADDR_UNIX (anything else is -EINVAL, as Go's WriteTo).
 */
ssize_t rn_unixconn_write_to_unix(rn_conn *c, const void *buf, size_t n, const rn_unixaddr *to);

/**
 * rn_unixconn_read_msg_unix - ReadMsgUnix: one recvmsg into @buf (@n
 * bytes) and @oob (@oob_cap bytes of control data; may be NULL when 0).
 * Outputs, each may be NULL: *@oobn the control bytes received, *@flags the
 * message flags (MSG_TRUNC, MSG_CTRUNC), @from the sender (zeroed for none).
 * Descriptors passed with SCM_RIGHTS arrive close-on-exec (MSG_CMSG_CLOEXEC)
 * and belong to the caller (see rn_unix_parse_rights).  As Go, on a stream
 * socket with @n == 0 and @oob_cap > 0 one byte of data is read into a
 * dummy and counted.  Returns the data count, or a negative code with an
 * OpError "read" (RN_ETIMEOUT, RN_ECLOSED, SyscallError "recvmsg").
 */
ssize_t rn_unixconn_read_msg_unix(rn_conn *c, void *buf, size_t n, void *oob, size_t oob_cap,
				  size_t *oobn, int *flags, rn_unixaddr *from);

/**
 * rn_unixconn_write_msg_unix - WriteMsgUnix: one sendmsg of @buf (@n bytes)
 * with control data @oob (@oobn bytes, e.g. from rn_unix_rights) to @to
 * (NULL on a connected socket).  On success all of @oob was sent.  As Go,
 * on a stream socket with @n == 0 and @oobn > 0 one dummy byte carries the
 * control data and 0 is returned.  Returns the data count (one sendmsg:
 * it may be short on a stream), or a negative code with an OpError "write":
 * RN_EWRITETOCONNECTED on a dialed unixgram conn (even with NULL @to, as Go
 * 1.19), -EAFNOSUPPORT for a @to of another kind, SyscallError "sendmsg".
 */
ssize_t rn_unixconn_write_msg_unix(rn_conn *c, const void *buf, size_t n, const void *oob,
				   size_t oobn, const rn_unixaddr *to);

/**
 * rn_unixconn_close_read - CloseRead: shut down the reading side.
 * rn_unixconn_close_write - CloseWrite: shut down the writing side (the peer
 * reads end of stream).  Return 0, or an OpError "close" (RN_ECLOSED,
 * SyscallError "shutdown").
 */
int rn_unixconn_close_read(rn_conn *c);
int rn_unixconn_close_write(rn_conn *c);

/**
 * rn_unixlistener_set_unlink_on_close - SetUnlinkOnClose: whether Close (or
 * Free without Close) removes the socket file.  On by default for a listener
 * made by rn_listen, off for rn_file_listener; abstract names are never
 * unlinked.  Returns 0, or -EINVAL for NULL or a listener that is not Unix.
 */
int rn_unixlistener_set_unlink_on_close(rn_listener *l, bool unlink_on_close);

/** RN_UNIX_RIGHTS_SPACE - the control-data bytes rn_unix_rights needs for @n descriptors. */
#define RN_UNIX_RIGHTS_SPACE(n) CMSG_SPACE((size_t)(n) * sizeof(int))

/**
 * rn_unix_rights - syscall.UnixRights: an SCM_RIGHTS control message
 * carrying @n descriptors from @fds, written to @oob when it fits in @oobn
 * bytes (snprintf-style: nothing is written otherwise).  The descriptors are
 * not duplicated or closed.  Returns the size needed
 * (RN_UNIX_RIGHTS_SPACE(@n)), or -EINVAL for @n < 0 or NULL @fds.
 */
int rn_unix_rights(const int *fds, int n, void *oob, size_t oobn);

/**
 * rn_unix_parse_rights - ParseSocketControlMessage + ParseUnixRights over
 * the @n bytes of control data in @oob: the descriptors of every SCM_RIGHTS
 * message, in order; other messages are skipped.  Stores the first @max in
 * @fds and returns how many there are in all (snprintf-style: all of them
 * are the caller's to close, so call again with room for the rest).
 * Returns -EINVAL ("invalid argument") for a malformed message header.
 */
int rn_unix_parse_rights(const void *oob, size_t n, int *fds, int max);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_NET_CONN_H */
