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

/* rni_sock_addrs - fill f->laddr (getsockname) and, if @peer, f->raddr (getpeername). */
void rni_sock_addrs(rni_fd *f, bool peer);

/*
 * rni_socket - Go's sysSocket + setDefaultSockopts: a close-on-exec socket,
 * IPV6_V6ONLY set to @ipv6only for AF_INET6, SO_BROADCAST for datagrams.
 * Returns the descriptor or -errno (recorded as SyscallError "socket" or
 * "setsockopt").
 */
int rni_socket(int family, int sotype, int proto, bool ipv6only);

#endif /* RINGNET_API_CONN_H */
