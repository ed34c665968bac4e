/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipv4/endpoint.h - what PacketConn and RawConn share: the conn they own,
 * the control flags asked for, and the error a batch stopped on.  The
 * socket options (ipv4/sockopt.c) and batched I/O (ipv4/batch.c) work on
 * this; packetconn.c and rawconn.c add their own reads and writes.
 * Internal.
 */
#ifndef RINGNET_IPV4_ENDPOINT_H
#define RINGNET_IPV4_ENDPOINT_H

#include <stdatomic.h>

#include <ringnet/ipv4.h>

#include "api/conn.h"

typedef struct rni_ipv4_ep {
	rn_conn *c;
	bool raw;		/* an IP conn: datagrams carry the IPv4 header */
	pthread_mutex_t mu;	/* guards cflags with the kernel's state */
	unsigned cflags;	/* RN_IPV4_FLAG_* asked for */
	/*
	 * The interface SetMulticastInterface chose, under mu: Linux answers
	 * getsockopt(IP_MULTICAST_IF) with an address only, never the index
	 * (golang/go#41854), so MulticastInterface reports this one.
	 */
	int mc_ifindex;
	/*
	 * An error the kernel reported for a message after the first of a
	 * batch: consumed by then (a socket error is reported once), so it is
	 * kept for the next call, as recvmmsg keeps it in sk_err.
	 */
	_Atomic int rerr, werr;
	/*
	 * How long the first chain of the next ReadBatch is (0: full), from
	 * how many messages the last one found: entries past the end of the
	 * queue are prepared, fail and are reaped for nothing.  Under the read
	 * lock.
	 */
	int rhint;
} rni_ipv4_ep;

struct rn_ipv4_packetconn {
	rni_ipv4_ep ep;
};

struct rn_ipv4_rawconn {
	rni_ipv4_ep ep;
};

/* rni_ipv4_ep_init - take @c; -EINVAL recorded unless it is an AF_INET/AF_INET6 datagram or raw conn. */
int rni_ipv4_ep_init(rni_ipv4_ep *ep, rn_conn *c, const char *fn);
/* rni_ipv4_ep_destroy - close and free the conn. */
void rni_ipv4_ep_destroy(rni_ipv4_ep *ep);

/* ---- socket options (ipv4/sockopt.c); each records its error ---- */
int rni_ipv4_getint(rn_conn *c, int level, int opt);
int rni_ipv4_setint(rn_conn *c, int level, int opt, int v);
int rni_ipv4_set_control_message(rni_ipv4_ep *ep, unsigned cf, bool on);
/* @mcast_opt: MCAST_JOIN_GROUP, MCAST_LEAVE_GROUP, or a source-specific one (@source set). */
int rni_ipv4_group(rn_conn *c, int mcast_opt, const rn_interface *ifi, const rn_addr *group,
		   const rn_addr *source);
int rni_ipv4_multicast_interface(rni_ipv4_ep *ep, rn_interface *ifi);
int rni_ipv4_set_multicast_interface(rni_ipv4_ep *ep, const rn_interface *ifi);
int rni_ipv4_set_bpf(rn_conn *c, const rn_bpf_raw_instruction *prog, size_t n);
int rni_ipv4_icmp_filter(rn_conn *c, rn_ipv4_icmp_filter *f);
int rni_ipv4_set_icmp_filter(rn_conn *c, const rn_ipv4_icmp_filter *f);

/* ---- batches (ipv4/batch.c) ---- */
int rni_ipv4_read_batch(rni_ipv4_ep *ep, rn_ipv4_message *ms, int n, int flags);
int rni_ipv4_write_batch(rni_ipv4_ep *ep, rn_ipv4_message *ms, int n, int flags);

/*
 * rni_ipv4_sender - the source of a datagram as Go's net.Addr: a UDPAddr
 * on a UDP conn, an IPAddr on an IP conn; RN_ADDR_NONE when there is none.
 */
void rni_ipv4_sender(const rni_ipv4_ep *ep, rn_addr *out, const struct sockaddr *sa,
		     socklen_t len);

/*
 * rni_ipv4_dest - @dst (NULL: none, for a connected conn) as a sockaddr
 * for the conn.  Returns 0 or a code recorded in an OpError "write".
 */
int rni_ipv4_dest(const rni_ipv4_ep *ep, const rn_addr *dst, struct sockaddr_storage *ss,
		  socklen_t *len);

#endif /* RINGNET_IPV4_ENDPOINT_H */
