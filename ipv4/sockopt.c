/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipv4/sockopt.c - the IP-level socket options of x/net/ipv4: TOS, TTL,
 * control-message flags, multicast membership and interface, BPF and ICMP
 * filters.  Errors are Go's: a kernel refusal is an os.SyscallError
 * "setsockopt"/"getsockopt", a closed conn net.ErrClosed.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "api/errors.h"
#include "ipv4/endpoint.h"

/* Run setsockopt/getsockopt on @c's descriptor while it cannot be closed under us. */
static int sockopt(rn_conn *c, bool set, int level, int opt, void *v, socklen_t *len)
{
	int rc;

	if (!c)
		return rni_err_einval("ipv4: NULL connection");
	if (c->pipe)
		return rni_err_einval("ipv4: not an IP connection");
	if (rni_fd_enter(&c->fd) < 0)
		return rni_err_sentinel(RN_ECLOSED);
	if (set)
		rc = setsockopt(c->fd.fd, level, opt, v, *len);
	else
		rc = getsockopt(c->fd.fd, level, opt, v, len);
	if (rc < 0)
		rc = rni_err_errno(errno, set ? "setsockopt" : "getsockopt");
	rni_fd_leave(&c->fd);
	return rc;
}

int rni_ipv4_getint(rn_conn *c, int level, int opt)
{
	int v = 0;
	socklen_t len = sizeof(v);
	int rc = sockopt(c, false, level, opt, &v, &len);

	if (rc < 0)
		return rc;
	/* Some options (IP_MULTICAST_TTL/LOOP) may answer with one byte. */
	if (len == 1)
		v = *(unsigned char *)&v;
	return v;
}

int rni_ipv4_setint(rn_conn *c, int level, int opt, int v)
{
	socklen_t len = sizeof(v);

	return sockopt(c, true, level, opt, &v, &len);
}

/*
 * Linux delivers TTL through IP_RECVTTL and source, destination and
 * interface together through IP_PKTINFO, so PKTINFO stays on while any of
 * those three flags does.
 */
int rni_ipv4_set_control_message(rni_ipv4_ep *ep, unsigned cf, bool on)
{
	const unsigned pktinfo = RN_IPV4_FLAG_SRC | RN_IPV4_FLAG_DST | RN_IPV4_FLAG_INTERFACE;
	unsigned next;
	int rc = 0;

	pthread_mutex_lock(&ep->mu);
	next = on ? (ep->cflags | cf) : (ep->cflags & ~cf);
	if (cf & RN_IPV4_FLAG_TTL)
		rc = rni_ipv4_setint(ep->c, IPPROTO_IP, IP_RECVTTL, (next & RN_IPV4_FLAG_TTL) != 0);
	if (rc >= 0 && (cf & pktinfo))
		rc = rni_ipv4_setint(ep->c, IPPROTO_IP, IP_PKTINFO, (next & pktinfo) != 0);
	if (rc >= 0)
		ep->cflags = next & 0xf;
	pthread_mutex_unlock(&ep->mu);
	return rc < 0 ? rc : 0;
}

/* Go's netAddrToIP4: the IPv4 address of a UDPAddr or IPAddr, or nil. */
static bool addr_ip4(const rn_addr *a, struct sockaddr_in *sin)
{
	rn_ip ip;

	if (!a)
		return false;
	if (a->kind == RN_ADDR_UDP)
		ip = rn_ip_to4(a->u.udp.ip);
	else if (a->kind == RN_ADDR_IP)
		ip = rn_ip_to4(a->u.ip.ip);
	else
		return false;
	if (ip.len != 4)
		return false;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	memcpy(&sin->sin_addr, ip.b, 4);
	return true;
}

int rni_ipv4_group(rn_conn *c, int mcast_opt, const rn_interface *ifi, const rn_addr *group,
		   const rn_addr *source)
{
	struct sockaddr_in g, s;
	socklen_t len;

	if (!addr_ip4(group, &g))
		return rni_err_sentinel(RN_EMISSINGADDR);
	if (mcast_opt == MCAST_JOIN_GROUP || mcast_opt == MCAST_LEAVE_GROUP) {
		struct group_req gr;

		memset(&gr, 0, sizeof(gr));
		gr.gr_interface = ifi ? (uint32_t)ifi->index : 0;
		memcpy(&gr.gr_group, &g, sizeof(g));
		len = sizeof(gr);
		return sockopt(c, true, IPPROTO_IP, mcast_opt, &gr, &len);
	}
	if (!addr_ip4(source, &s))
		return rni_err_sentinel(RN_EMISSINGADDR);
	struct group_source_req gsr;

	memset(&gsr, 0, sizeof(gsr));
	gsr.gsr_interface = ifi ? (uint32_t)ifi->index : 0;
	memcpy(&gsr.gsr_group, &g, sizeof(g));
	memcpy(&gsr.gsr_source, &s, sizeof(s));
	len = sizeof(gsr);
	return sockopt(c, true, IPPROTO_IP, mcast_opt, &gsr, &len);
}

/*
 * The kernel answers IP_MULTICAST_IF with a struct in_addr, never the
 * index the setter gave it (Go's getter reads an ip_mreqn and so always
 * finds none): the index comes from what SetMulticastInterface recorded.
 * The getsockopt still runs, so a closed conn fails as it would in Go.
 */
int rni_ipv4_multicast_interface(rni_ipv4_ep *ep, rn_interface *ifi)
{
	struct in_addr a;
	socklen_t len = sizeof(a);
	int rc, index;

	if (!ifi)
		return rni_err_einval("ipv4: NULL interface");
	memset(ifi, 0, sizeof(*ifi));
	rc = sockopt(ep->c, false, IPPROTO_IP, IP_MULTICAST_IF, &a, &len);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&ep->mu);
	index = ep->mc_ifindex;
	pthread_mutex_unlock(&ep->mu);
	if (index == 0)
		return 0; /* Go's nil: the kernel chooses */
	return rn_interface_by_index(index, ifi);
}

int rni_ipv4_set_multicast_interface(rni_ipv4_ep *ep, const rn_interface *ifi)
{
	struct ip_mreqn mreq;
	socklen_t len = sizeof(mreq);
	int rc;

	memset(&mreq, 0, sizeof(mreq));
	mreq.imr_ifindex = ifi ? ifi->index : 0;
	pthread_mutex_lock(&ep->mu);
	rc = sockopt(ep->c, true, IPPROTO_IP, IP_MULTICAST_IF, &mreq, &len);
	if (rc >= 0)
		ep->mc_ifindex = mreq.imr_ifindex;
	pthread_mutex_unlock(&ep->mu);
	return rc;
}

int rni_ipv4_set_bpf(rn_conn *c, const rn_bpf_raw_instruction *prog, size_t n)
{
	struct sock_fprog fp;
	socklen_t len = sizeof(fp);

	_Static_assert(sizeof(rn_bpf_raw_instruction) == sizeof(struct sock_filter),
		       "rn_bpf_raw_instruction is struct sock_filter");
	if (!prog || n == 0 || n > BPF_MAXINSNS)
		return rni_err_einval("SetBPF: a program has 1 to 4096 instructions");
	fp.len = (unsigned short)n;
	fp.filter = (struct sock_filter *)(uintptr_t)prog;
	return sockopt(c, true, SOL_SOCKET, SO_ATTACH_FILTER, &fp, &len);
}

int rni_ipv4_icmp_filter(rn_conn *c, rn_ipv4_icmp_filter *f)
{
	struct icmp_filter k = { 0 };
	socklen_t len = sizeof(k);
	int rc;

	if (!f)
		return rni_err_einval("ICMPFilter: NULL filter");
	rc = sockopt(c, false, SOL_RAW, ICMP_FILTER, &k, &len);
	if (rc < 0)
		return rc;
	f->data = k.data;
	return 0;
}

int rni_ipv4_set_icmp_filter(rn_conn *c, const rn_ipv4_icmp_filter *f)
{
	struct icmp_filter k;
	socklen_t len = sizeof(k);

	if (!f)
		return rni_err_einval("SetICMPFilter: NULL filter");
	k.data = f->data;
	return sockopt(c, true, SOL_RAW, ICMP_FILTER, &k, &len);
}

/* ---- ipv4.Conn: any IPv4 conn, TCP included ---------------------------------- */

int rn_ipv4_conn_tos(rn_conn *c)
{
	return rni_ipv4_getint(c, IPPROTO_IP, IP_TOS);
}

int rn_ipv4_conn_set_tos(rn_conn *c, int tos)
{
	return rni_ipv4_setint(c, IPPROTO_IP, IP_TOS, tos);
}

int rn_ipv4_conn_ttl(rn_conn *c)
{
	return rni_ipv4_getint(c, IPPROTO_IP, IP_TTL);
}

int rn_ipv4_conn_set_ttl(rn_conn *c, int ttl)
{
	return rni_ipv4_setint(c, IPPROTO_IP, IP_TTL, ttl);
}
