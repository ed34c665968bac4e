/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipv4/methods.c - the methods PacketConn and RawConn share (Go gives both
 * types the same ones): each is written once below and stamped out for
 * both handle types by METHODS().
 */
#include <errno.h>
#include <netinet/in.h>

#include "api/errors.h"
#include "ipv4/endpoint.h"

/* The conn behind a handle, or NULL with -EINVAL recorded. */
static rn_conn *conn_of(rni_ipv4_ep *ep)
{
	if (!ep || !ep->c) {
		rni_err_einval("ipv4: NULL connection");
		return NULL;
	}
	return ep->c;
}

#define EP(x) ((x) ? &(x)->ep : NULL)
#define CONN_OR_FAIL(x)                          \
	rn_conn *c = conn_of(EP(x));             \
	if (!c)                                  \
		return rn_last_error()->code

#define METHODS(T)                                                                               \
	rn_conn *rn_ipv4_##T##_conn(rn_ipv4_##T *x) { return x ? x->ep.c : NULL; }              \
	int rn_ipv4_##T##_close(rn_ipv4_##T *x)                                                  \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rn_conn_close(c);                                                         \
	}                                                                                        \
	int rn_ipv4_##T##_set_control_message(rn_ipv4_##T *x, unsigned cf, bool on)              \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		(void)c;                                                                         \
		return rni_ipv4_set_control_message(&x->ep, cf, on);                             \
	}                                                                                        \
	int rn_ipv4_##T##_read_batch(rn_ipv4_##T *x, rn_ipv4_message *ms, int n, int flags)      \
	{                                                                                        \
		return rni_ipv4_read_batch(EP(x), ms, n, flags);                                 \
	}                                                                                        \
	int rn_ipv4_##T##_write_batch(rn_ipv4_##T *x, rn_ipv4_message *ms, int n, int flags)     \
	{                                                                                        \
		return rni_ipv4_write_batch(EP(x), ms, n, flags);                                \
	}                                                                                        \
	int rn_ipv4_##T##_set_deadline(rn_ipv4_##T *x, rn_time t)                                \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rn_conn_set_deadline(c, t);                                               \
	}                                                                                        \
	int rn_ipv4_##T##_set_read_deadline(rn_ipv4_##T *x, rn_time t)                           \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rn_conn_set_read_deadline(c, t);                                          \
	}                                                                                        \
	int rn_ipv4_##T##_set_write_deadline(rn_ipv4_##T *x, rn_time t)                          \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rn_conn_set_write_deadline(c, t);                                         \
	}                                                                                        \
	int rn_ipv4_##T##_tos(rn_ipv4_##T *x)                                                    \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_getint(c, IPPROTO_IP, IP_TOS);                                   \
	}                                                                                        \
	int rn_ipv4_##T##_set_tos(rn_ipv4_##T *x, int tos)                                       \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_setint(c, IPPROTO_IP, IP_TOS, tos);                              \
	}                                                                                        \
	int rn_ipv4_##T##_ttl(rn_ipv4_##T *x)                                                    \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_getint(c, IPPROTO_IP, IP_TTL);                                   \
	}                                                                                        \
	int rn_ipv4_##T##_set_ttl(rn_ipv4_##T *x, int ttl)                                       \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_setint(c, IPPROTO_IP, IP_TTL, ttl);                              \
	}                                                                                        \
	int rn_ipv4_##T##_join_group(rn_ipv4_##T *x, const rn_interface *ifi,                    \
				     const rn_addr *group)                                       \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_group(c, MCAST_JOIN_GROUP, ifi, group, NULL);                    \
	}                                                                                        \
	int rn_ipv4_##T##_leave_group(rn_ipv4_##T *x, const rn_interface *ifi,                   \
				      const rn_addr *group)                                      \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_group(c, MCAST_LEAVE_GROUP, ifi, group, NULL);                   \
	}                                                                                        \
	int rn_ipv4_##T##_join_source_specific_group(rn_ipv4_##T *x, const rn_interface *ifi,    \
						     const rn_addr *group, const rn_addr *source) \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_group(c, MCAST_JOIN_SOURCE_GROUP, ifi, group, source);           \
	}                                                                                        \
	int rn_ipv4_##T##_leave_source_specific_group(rn_ipv4_##T *x, const rn_interface *ifi,   \
						      const rn_addr *group,                      \
						      const rn_addr *source)                     \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_group(c, MCAST_LEAVE_SOURCE_GROUP, ifi, group, source);          \
	}                                                                                        \
	int rn_ipv4_##T##_exclude_source_specific_group(rn_ipv4_##T *x, const rn_interface *ifi, \
							const rn_addr *group,                    \
							const rn_addr *source)                   \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_group(c, MCAST_BLOCK_SOURCE, ifi, group, source);                \
	}                                                                                        \
	int rn_ipv4_##T##_include_source_specific_group(rn_ipv4_##T *x, const rn_interface *ifi, \
							const rn_addr *group,                    \
							const rn_addr *source)                   \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_group(c, MCAST_UNBLOCK_SOURCE, ifi, group, source);              \
	}                                                                                        \
	int rn_ipv4_##T##_multicast_interface(rn_ipv4_##T *x, rn_interface *ifi)                 \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		(void)c;                                                                         \
		return rni_ipv4_multicast_interface(&x->ep, ifi);                                \
	}                                                                                        \
	int rn_ipv4_##T##_set_multicast_interface(rn_ipv4_##T *x, const rn_interface *ifi)       \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		(void)c;                                                                         \
		return rni_ipv4_set_multicast_interface(&x->ep, ifi);                            \
	}                                                                                        \
	int rn_ipv4_##T##_multicast_ttl(rn_ipv4_##T *x)                                          \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_getint(c, IPPROTO_IP, IP_MULTICAST_TTL);                         \
	}                                                                                        \
	int rn_ipv4_##T##_set_multicast_ttl(rn_ipv4_##T *x, int ttl)                             \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_setint(c, IPPROTO_IP, IP_MULTICAST_TTL, ttl);                    \
	}                                                                                        \
	int rn_ipv4_##T##_multicast_loopback(rn_ipv4_##T *x)                                     \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		int v = rni_ipv4_getint(c, IPPROTO_IP, IP_MULTICAST_LOOP);                       \
		return v < 0 ? v : v != 0;                                                       \
	}                                                                                        \
	int rn_ipv4_##T##_set_multicast_loopback(rn_ipv4_##T *x, bool on)                        \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_setint(c, IPPROTO_IP, IP_MULTICAST_LOOP, on);                    \
	}                                                                                        \
	int rn_ipv4_##T##_set_bpf(rn_ipv4_##T *x, const rn_bpf_raw_instruction *prog, size_t n)  \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_set_bpf(c, prog, n);                                             \
	}                                                                                        \
	int rn_ipv4_##T##_icmp_filter(rn_ipv4_##T *x, rn_ipv4_icmp_filter *f)                    \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_icmp_filter(c, f);                                               \
	}                                                                                        \
	int rn_ipv4_##T##_set_icmp_filter(rn_ipv4_##T *x, const rn_ipv4_icmp_filter *f)          \
	{                                                                                        \
		CONN_OR_FAIL(x);                                                                 \
		return rni_ipv4_set_icmp_filter(c, f);                                           \
	}

METHODS(packetconn)
METHODS(rawconn)
