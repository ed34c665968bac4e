/* SPDX-License-Identifier: BSD-3-Clause */
/* api/conn.h - the structs behind rn_conn and rn_listener.  Internal. */
#ifndef RINGNET_API_CONN_H
#define RINGNET_API_CONN_H

#include "api/fd.h"

struct rn_conn {
	rni_fd fd;
};

struct rn_listener {
	rni_fd fd;
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
 * rni_favorite_family - Go's favoriteAddrFamily: the socket family for
 * @network and endpoint address @ip (a listen on a wildcard is dual-stack).
 */
int rni_favorite_family(const char *network, rn_ip ip, bool listen, bool *v6only);

/* The per-protocol halves of Dial, Listen and ListenPacket (api/dial.c is the front). */
rn_conn *rni_dial_tcp(const char *network, const rn_tcpaddr *ra, int64_t deadline);
rn_listener *rni_listen_tcp(const char *network, const rn_tcpaddr *la);
rn_conn *rni_dial_udp(const char *network, const rn_udpaddr *ra, int64_t deadline);
rn_conn *rni_listen_udp(const char *network, const rn_udpaddr *la);

#endif /* RINGNET_API_CONN_H */
