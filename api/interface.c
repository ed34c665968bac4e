/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/interface.c - Go's net.Interface on Linux: Flags.String, the link
 * table (Interfaces, InterfaceByIndex, InterfaceByName) and the address
 * table (Interface.Addrs, InterfaceAddrs) from rtnetlink dumps, and the
 * joined groups (Interface.MulticastAddrs) from /proc/net/igmp{,6}, as Go's
 * interface_linux.go reads them.
 *
 * The kernel's replies are treated as untrusted bytes: every nlmsghdr and
 * rtattr is checked against what is left of the datagram before it is
 * read, and headers are copied out with memcpy rather than cast in place.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "api/errors.h"
#include "api/parse.h"
#include "api/strbuf.h"

/* ---- Flags.String ---------------------------------------------------------- */

/* Go's flagNames, bit i naming RN_FLAG (1 << i). */
static const char *const flag_names[] = {
	"up", "broadcast", "loopback", "pointtopoint", "multicast", "running",
};

int rn_flags_string(unsigned flags, char *buf, size_t size)
{
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_flags_string: NULL buffer");
	bool any = false;

	if (rc)
		return rc;
	rni_sb_init(&sb, buf, size);
	for (unsigned i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (!(flags & (1u << i)))
			continue;
		if (any)
			rni_sb_putc(&sb, '|');
		rni_sb_puts(&sb, flag_names[i]);
		any = true;
	}
	if (!any)
		rni_sb_putc(&sb, '0');
	return rni_sb_done(&sb);
}

/* ---- lists ------------------------------------------------------------------- */

void rn_interface_list_free(rn_interface_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void rn_addr_list_free(rn_addr_list *l)
{
	if (!l)
		return;
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Make room for one more @elem-sized entry in *@v (holding @n of *@cap). */
static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / elem)
		return rni_err_errno(ENOMEM, NULL);
	p = realloc(*v, ncap * elem);
	if (!p)
		return rni_err_errno(ENOMEM, NULL);
	*v = p;
	*cap = ncap;
	return 0;
}

static int push_iface(rn_interface_list *l, size_t *cap, const rn_interface *ifi)
{
	int rc = grow((void **)&l->v, cap, l->n, sizeof(*l->v));

	if (rc)
		return rc;
	l->v[l->n++] = *ifi;
	return 0;
}

static int push_addr(rn_addr_list *l, size_t *cap, const rn_addr *a)
{
	int rc = grow((void **)&l->v, cap, l->n, sizeof(*l->v));

	if (rc)
		return rc;
	l->v[l->n++] = *a;
	return 0;
}

/* ---- errors ------------------------------------------------------------------ */

/* Every failure of these calls reads "route ip+net: <err>", as Go's OpError. */
static int route_op(void)
{
	return rni_err_op("route", "ip+net", NULL, NULL);
}

/* One of Go's interface sentinels (errNoSuchInterface, errInvalidInterface*). */
static int route_sentinel(int code, const char *text)
{
	rn_error *e = rni_err_reset(RN_ERR_SENTINEL, code);

	snprintf(e->err, sizeof(e->err), "%s", text);
	return route_op();
}

/* A malformed reply: Go's os.SyscallError of its parser with EINVAL. */
static int bad_msg(void)
{
	rni_err_errno(EINVAL, "parsenetlinkmessage");
	return -EINVAL;
}

static int bad_attr(void)
{
	rni_err_errno(EINVAL, "parsenetlinkrouteattr");
	return -EINVAL;
}

/* ---- rtnetlink ------------------------------------------------------------------ */

/* Called with each RTM_NEW* message's payload; returns 0 or a recorded code. */
typedef int (*nl_msg_fn)(uint16_t type, const uint8_t *p, size_t n, void *arg);

#define NL_SEQ 1u

/* The error an NLMSG_ERROR or NLMSG_DONE payload carries (0 = none). */
static int nl_payload_errno(const uint8_t *p, size_t n)
{
	int32_t err;

	if (n < sizeof(err))
		return EINVAL;
	memcpy(&err, p, sizeof(err));
	if (err >= 0)
		return 0;
	return err > -4096 ? -err : EINVAL;
}

/*
 * Walk the messages of one datagram.  Returns 1 after NLMSG_DONE, 0 when
 * more datagrams follow, or a recorded negative code.
 */
static int nl_walk(const uint8_t *p, size_t n, uint32_t portid, nl_msg_fn fn, void *arg)
{
	while (n > 0) {
		struct nlmsghdr h;
		size_t adv, plen;
		int rc;

		if (n < sizeof(h))
			return bad_msg();
		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > n)
			return bad_msg();
		/* The reply must answer our request on our socket. */
		if (h.nlmsg_seq != NL_SEQ || h.nlmsg_pid != portid)
			return rni_err_errno(EINVAL, "netlinkrib");
		plen = h.nlmsg_len - NLMSG_HDRLEN;
		switch (h.nlmsg_type) {
		case NLMSG_DONE:
			rc = nl_payload_errno(p + NLMSG_HDRLEN, plen);
			if (plen >= sizeof(int32_t) && rc)
				return rni_err_errno(rc, "netlinkrib");
			return 1;
		case NLMSG_ERROR:
			rc = nl_payload_errno(p + NLMSG_HDRLEN, plen);
			return rni_err_errno(rc ? rc : EINVAL, "netlinkrib");
		case NLMSG_NOOP:
			break;
		default:
			rc = fn(h.nlmsg_type, p + NLMSG_HDRLEN, plen, arg);
			if (rc < 0)
				return rc;
		}
		adv = NLMSG_ALIGN(h.nlmsg_len);
		if (adv > n)
			adv = n;
		p += adv;
		n -= adv;
	}
	return 0;
}

/* Read datagrams until the dump ends, each sized with MSG_PEEK|MSG_TRUNC. */
static int nl_read(int fd, uint32_t portid, nl_msg_fn fn, void *arg)
{
	uint8_t *buf = NULL;
	size_t cap = 0;
	int rc = 0;

	while (rc == 0) {
		struct sockaddr_nl from;
		struct iovec iov = { .iov_base = buf, .iov_len = cap };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from),
				     .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t got = recvmsg(fd, &mh, MSG_PEEK | MSG_TRUNC);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = rni_err_errno(errno, "netlinkrib");
			break;
		}
		if ((size_t)got > cap) {
			uint8_t *nb = realloc(buf, (size_t)got);

			if (!nb) {
				rc = rni_err_errno(ENOMEM, NULL);
				break;
			}
			buf = nb;
			cap = (size_t)got;
			continue; /* peek again into the bigger buffer */
		}
		do {
			mh.msg_namelen = sizeof(from);
			got = recvmsg(fd, &mh, 0);
		} while (got < 0 && errno == EINTR);
		if (got < 0) {
			rc = rni_err_errno(errno, "netlinkrib");
			break;
		}
		/* Only the kernel (port 0) may answer; an empty datagram never ends a dump. */
		if (mh.msg_namelen < sizeof(from) || from.nl_family != AF_NETLINK ||
		    from.nl_pid != 0 || got == 0 || (mh.msg_flags & MSG_TRUNC)) {
			rc = rni_err_errno(EINVAL, "netlinkrib");
			break;
		}
		rc = nl_walk(buf, (size_t)got, portid, fn, arg);
	}
	free(buf);
	return rc < 0 ? rc : 0;
}

/* Go's syscall.NetlinkRIB: dump @type (RTM_GETLINK or RTM_GETADDR), all families. */
static int nl_dump(uint16_t type, nl_msg_fn fn, void *arg)
{
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	uint32_t portid;
	ssize_t sent;
	int fd, rc;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return rni_err_errno(errno, "netlinkrib");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		rc = rni_err_errno(errno, "netlinkrib");
		goto out;
	}
	portid = sa.nl_pid; /* the kernel's replies are addressed to it */
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = NLMSG_LENGTH(sizeof(req.g));
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = NL_SEQ;
	req.g.rtgen_family = AF_UNSPEC;
	do {
		sa = (struct sockaddr_nl){ .nl_family = AF_NETLINK };
		sent = sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa));
	} while (sent < 0 && errno == EINTR);
	if (sent < 0) {
		rc = rni_err_errno(errno, "netlinkrib");
		goto out;
	}
	rc = nl_read(fd, portid, fn, arg);
out:
	close(fd);
	return rc;
}

/* One attribute; the iterator checks rta_len against the bytes left. */
typedef struct nl_attr {
	uint16_t type;
	const uint8_t *v;
	size_t len;
} nl_attr;

/* Returns 1 with *@a filled, 0 at the end, or a recorded negative code. */
static int attr_next(const uint8_t **p, size_t *n, nl_attr *a)
{
	struct rtattr rta;
	size_t adv;

	/* As Go's ParseNetlinkRouteAttr, a tail shorter than a header ends the list. */
	if (*n < sizeof(rta))
		return 0;
	memcpy(&rta, *p, sizeof(rta));
	if (rta.rta_len < sizeof(rta) || rta.rta_len > *n)
		return bad_attr();
	a->type = rta.rta_type;
	a->v = *p + RTA_LENGTH(0);
	a->len = rta.rta_len - RTA_LENGTH(0);
	adv = RTA_ALIGN(rta.rta_len);
	if (adv > *n)
		adv = *n;
	*p += adv;
	*n -= adv;
	return 1;
}

/* ---- the link table ----------------------------------------------------------- */

/* Go's linkFlags. */
static unsigned link_flags(unsigned raw)
{
	unsigned f = 0;

	if (raw & IFF_UP)
		f |= RN_FLAG_UP;
	if (raw & IFF_BROADCAST)
		f |= RN_FLAG_BROADCAST;
	if (raw & IFF_LOOPBACK)
		f |= RN_FLAG_LOOPBACK;
	if (raw & IFF_POINTOPOINT)
		f |= RN_FLAG_POINT_TO_POINT;
	if (raw & IFF_MULTICAST)
		f |= RN_FLAG_MULTICAST;
	if (raw & IFF_RUNNING)
		f |= RN_FLAG_RUNNING;
	return f;
}

/* ARP hardware types of IP tunnels (linux/if_arp.h; glibc lacks some). */
enum {
	ARP_IPV4_IPV4 = 768, /* ARPHRD_TUNNEL */
	ARP_IPV6_IPV6 = 769, /* ARPHRD_TUNNEL6 */
	ARP_IPV6_IPV4 = 776, /* ARPHRD_SIT */
	ARP_GRE_IPV4 = 778,  /* ARPHRD_IPGRE */
	ARP_GRE_IPV6 = 823   /* ARPHRD_IP6GRE */
};

/*
 * Whether an IFLA_ADDRESS of @len bytes on a link of ARP type @type is a
 * tunnel's IP endpoint, which Go never reports as a hardware address.
 */
static bool tunnel_endpoint(unsigned short type, size_t len)
{
	if (len == RN_IPV4LEN)
		return type == ARP_IPV4_IPV4 || type == ARP_GRE_IPV4 || type == ARP_IPV6_IPV4;
	if (len == RN_IPV6LEN)
		return type == ARP_IPV6_IPV6 || type == ARP_GRE_IPV6;
	return false;
}

static int link_attr(const nl_attr *a, unsigned short arptype, rn_interface *ifi)
{
	size_t i, len;
	uint32_t mtu;

	switch (a->type) {
	case IFLA_ADDRESS:
		if (a->len > RN_HWADDR_MAX)
			return bad_attr();
		if (tunnel_endpoint(arptype, a->len))
			return 0;
		for (i = 0; i < a->len && !a->v[i]; i++)
			;
		if (i == a->len)
			return 0; /* all zeros: no hardware address */
		ifi->hardware_addr.len = (uint8_t)a->len;
		memcpy(ifi->hardware_addr.b, a->v, a->len);
		return 0;
	case IFLA_IFNAME:
		len = strnlen((const char *)a->v, a->len);
		if (len >= sizeof(ifi->name))
			return bad_attr();
		memcpy(ifi->name, a->v, len);
		ifi->name[len] = '\0';
		return 0;
	case IFLA_MTU:
		if (a->len < sizeof(mtu))
			return bad_attr();
		memcpy(&mtu, a->v, sizeof(mtu));
		ifi->mtu = mtu > INT_MAX ? INT_MAX : (int)mtu;
		return 0;
	}
	return 0;
}

/* Go's newLink: an RTM_NEWLINK payload into *@ifi. */
static int parse_link(const uint8_t *p, size_t n, rn_interface *ifi)
{
	struct ifinfomsg im;
	size_t off = NLMSG_ALIGN(sizeof(im));
	nl_attr a;
	int rc;

	memset(ifi, 0, sizeof(*ifi));
	if (n < sizeof(im))
		return bad_attr();
	memcpy(&im, p, sizeof(im));
	ifi->index = im.ifi_index;
	ifi->flags = link_flags(im.ifi_flags);
	if (off > n)
		off = n;
	p += off;
	n -= off;
	while ((rc = attr_next(&p, &n, &a)) > 0) {
		rc = link_attr(&a, im.ifi_type, ifi);
		if (rc < 0)
			return rc;
	}
	return rc;
}

/* The index an RTM_NEWLINK payload is about, before its attributes are read. */
static int link_index(const uint8_t *p, size_t n, int *index)
{
	struct ifinfomsg im;

	if (n < sizeof(im))
		return bad_attr();
	memcpy(&im, p, sizeof(im));
	*index = im.ifi_index;
	return 0;
}

typedef struct link_ctx {
	int want;		/* 0 = every link */
	rn_interface_list *l;
	size_t cap;
} link_ctx;

static int on_link(uint16_t type, const uint8_t *p, size_t n, void *arg)
{
	link_ctx *c = arg;
	rn_interface ifi;
	int rc, index;

	if (type != RTM_NEWLINK)
		return 0;
	rc = link_index(p, n, &index);
	if (rc < 0)
		return rc;
	/* As Go, a lookup by index reads only that link's attributes. */
	if (c->want && index != c->want)
		return 0;
	rc = parse_link(p, n, &ifi);
	if (rc < 0)
		return rc;
	return push_iface(c->l, &c->cap, &ifi);
}

/* Go's interfaceTable: every link, or only link @index when it is > 0. */
static int interface_table(int index, rn_interface_list *out)
{
	link_ctx c = { .want = index, .l = out };
	int rc;

	out->v = NULL;
	out->n = 0;
	rc = nl_dump(RTM_GETLINK, on_link, &c);
	if (rc < 0)
		rn_interface_list_free(out);
	return rc;
}

int rn_interfaces(rn_interface_list *out)
{
	if (!out)
		return rni_err_einval("rn_interfaces: NULL list");
	if (interface_table(0, out) < 0)
		return route_op();
	return 0;
}

int rn_interface_by_index(int index, rn_interface *out)
{
	rn_interface_list l;

	if (!out)
		return rni_err_einval("rn_interface_by_index: NULL interface");
	if (index <= 0)
		return route_sentinel(RN_EINVALIDIFACE, "invalid network interface index");
	if (interface_table(index, &l) < 0)
		return route_op();
	for (size_t i = 0; i < l.n; i++) {
		if (l.v[i].index == index) {
			*out = l.v[i];
			rn_interface_list_free(&l);
			return 0;
		}
	}
	rn_interface_list_free(&l);
	return route_sentinel(RN_ENOIFACE, "no such network interface");
}

int rn_interface_by_name(const char *name, rn_interface *out)
{
	rn_interface_list l;

	if (!out)
		return rni_err_einval("rn_interface_by_name: NULL interface");
	if (!name || !name[0])
		return route_sentinel(RN_EINVALIDIFACE, "invalid network interface name");
	if (interface_table(0, &l) < 0)
		return route_op();
	for (size_t i = 0; i < l.n; i++) {
		if (!strcmp(l.v[i].name, name)) {
			*out = l.v[i];
			rn_interface_list_free(&l);
			return 0;
		}
	}
	rn_interface_list_free(&l);
	return route_sentinel(RN_ENOIFACE, "no such network interface");
}

/* ---- the address table --------------------------------------------------------- */

typedef struct addr_ctx {
	int want;		/* the interface's index, or 0 for every address */
	rn_addr_list *l;
	size_t cap;
	uint32_t *idx;		/* with want 0: the link of each message seen */
	size_t nidx, idxcap;
} addr_ctx;

/*
 * Go's newAddr: the local address (IFA_LOCAL, present on point-to-point
 * links, else IFA_ADDRESS) with the prefix as its mask; IPv4 in 16-byte
 * form.  Returns 1 with *@a filled, 0 when the message has no usable
 * address, or a recorded negative code.
 */
static int parse_addr(const struct ifaddrmsg *am, const uint8_t *p, size_t n, rn_addr *a)
{
	const uint8_t *local = NULL, *address = NULL, *v;
	size_t want = am->ifa_family == AF_INET ? RN_IPV4LEN : RN_IPV6LEN;
	nl_attr at;
	int rc;

	while ((rc = attr_next(&p, &n, &at)) > 0) {
		/* A wrong-sized address is skipped rather than read past. */
		if (at.len != want)
			continue;
		if (at.type == IFA_LOCAL && !local)
			local = at.v;
		else if (at.type == IFA_ADDRESS && !address)
			address = at.v;
	}
	if (rc < 0)
		return rc;
	v = local ? local : address;
	if (!v)
		return 0;
	memset(a, 0, sizeof(*a));
	a->kind = RN_ADDR_IPNET;
	if (am->ifa_family == AF_INET) {
		a->u.ipnet.ip = rn_ipv4(v[0], v[1], v[2], v[3]);
		a->u.ipnet.mask = rn_cidr_mask(am->ifa_prefixlen, 8 * RN_IPV4LEN);
	} else {
		a->u.ipnet.ip.len = RN_IPV6LEN;
		memcpy(a->u.ipnet.ip.b, v, RN_IPV6LEN);
		a->u.ipnet.mask = rn_cidr_mask(am->ifa_prefixlen, 8 * RN_IPV6LEN);
	}
	return 1;
}

static int on_addr(uint16_t type, const uint8_t *p, size_t n, void *arg)
{
	addr_ctx *c = arg;
	struct ifaddrmsg am;
	size_t off = NLMSG_ALIGN(sizeof(am));
	rn_addr a;
	int rc;

	if (type != RTM_NEWADDR)
		return 0;
	if (n < sizeof(am))
		return bad_attr();
	memcpy(&am, p, sizeof(am));
	if (c->want && am.ifa_index != (uint32_t)c->want)
		return 0;
	if (!c->want) {
		/* Go checks every message's link against the link table. */
		rc = grow((void **)&c->idx, &c->idxcap, c->nidx, sizeof(*c->idx));
		if (rc)
			return rc;
		c->idx[c->nidx++] = am.ifa_index;
	}
	if (am.ifa_family != AF_INET && am.ifa_family != AF_INET6)
		return 0;
	if (off > n)
		off = n;
	rc = parse_addr(&am, p + off, n - off, &a);
	if (rc <= 0)
		return rc;
	return push_addr(c->l, &c->cap, &a);
}

/* With no interface given: every address's link must be in the link table. */
static int check_links(const addr_ctx *c)
{
	rn_interface_list ift;
	size_t i, j;
	int rc = interface_table(0, &ift);

	if (rc < 0)
		return rc;
	for (i = 0; i < c->nidx; i++) {
		for (j = 0; j < ift.n && (uint32_t)ift.v[j].index != c->idx[i]; j++)
			;
		if (j == ift.n && ift.n) {
			rn_interface_list_free(&ift);
			return route_sentinel(RN_ENOIFACE, "no such network interface");
		}
	}
	rn_interface_list_free(&ift);
	return 0;
}

int rn_interface_addrs(const rn_interface *ifi, rn_addr_list *out)
{
	addr_ctx c = { .want = ifi ? ifi->index : 0, .l = out };
	int rc;

	if (!out)
		return rni_err_einval("rn_interface_addrs: NULL list");
	out->v = NULL;
	out->n = 0;
	/* Index 0 is never an interface: nothing has it, as in Go. */
	if (ifi && ifi->index <= 0)
		return 0;
	rc = nl_dump(RTM_GETADDR, on_addr, &c);
	if (rc == 0 && !ifi)
		rc = check_links(&c);
	free(c.idx);
	if (rc < 0) {
		rn_addr_list_free(out);
		return route_op();
	}
	return 0;
}

/* ---- multicast groups from /proc ------------------------------------------------- */

#define MAX_FIELDS 8

typedef struct field {
	const char *s;
	size_t n;
} field;

/* Go's splitAtBytes: the non-empty runs of @s between bytes of @seps. */
static size_t split_fields(const char *s, const char *seps, field *f, size_t max)
{
	size_t nf = 0;

	while (*s && nf < max) {
		size_t skip = strspn(s, seps), len;

		s += skip;
		len = strcspn(s, seps);
		if (!len)
			break;
		f[nf].s = s;
		f[nf].n = len;
		nf++;
		s += len;
	}
	return nf;
}

/* Decode exactly 2 * @n hex digits of @f into @out; false on anything else. */
static bool hex_field(const field *f, uint8_t *out, size_t n)
{
	if (f->n != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = rni_hexval(f->s[2 * i]), lo = rni_hexval(f->s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool field_is(const field *f, const char *name, size_t len)
{
	return f->n == len && !memcmp(f->s, name, len);
}

static int push_group(rn_addr_list *l, size_t *cap, rn_ip ip)
{
	rn_addr a;

	memset(&a, 0, sizeof(a));
	a.kind = RN_ADDR_IP;
	a.u.ip.ip = ip;
	return push_addr(l, cap, &a);
}

/*
 * /proc/net/igmp: a line per device ("1\tlo  :  1  V3") followed by
 * indented group lines whose first field is the group in host byte order.
 */
static int igmp4_line(const char *line, const char *name, size_t nlen, bool *mine,
		      rn_addr_list *l, size_t *cap)
{
	field f[MAX_FIELDS];
	uint8_t b[RN_IPV4LEN];
	uint32_t g;

	if (split_fields(line, " :\r\t\n", f, MAX_FIELDS) < 4)
		return 0;
	if (line[0] != ' ' && line[0] != '\t') {
		*mine = field_is(&f[1], name, nlen);
		return 0;
	}
	if (!*mine || !hex_field(&f[0], b, sizeof(b)))
		return 0;
	memcpy(&g, b, sizeof(g));
	return push_group(l, cap, rn_ipv4((uint8_t)(g >> 24), (uint8_t)(g >> 16),
					  (uint8_t)(g >> 8), (uint8_t)g));
}

/* /proc/net/igmp6: "1 lo ff020000000000000000000000000001 1 0000000C 0". */
static int igmp6_line(const char *line, const char *name, size_t nlen, rn_addr_list *l,
		      size_t *cap)
{
	field f[MAX_FIELDS];
	rn_ip ip = { .len = RN_IPV6LEN };

	if (split_fields(line, " \r\t\n", f, MAX_FIELDS) < 6)
		return 0;
	if (!field_is(&f[1], name, nlen) || !hex_field(&f[2], ip.b, RN_IPV6LEN))
		return 0;
	return push_group(l, cap, ip);
}

/* As Go, a file that cannot be opened contributes no groups. */
static int read_igmp(const char *path, bool v6, const char *name, rn_addr_list *l, size_t *cap)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL;
	size_t lcap = 0, nlen = strlen(name);
	bool mine = false, first = true;
	int rc = 0;

	if (!fp)
		return 0;
	while (rc == 0 && getline(&line, &lcap, fp) > 0) {
		if (v6) {
			rc = igmp6_line(line, name, nlen, l, cap);
		} else if (first) {
			first = false; /* the column headings */
		} else {
			rc = igmp4_line(line, name, nlen, &mine, l, cap);
		}
	}
	free(line);
	fclose(fp);
	return rc;
}

int rn_interface_multicast_addrs(const rn_interface *ifi, rn_addr_list *out)
{
	rn_interface named;
	char name[sizeof(ifi->name)];
	size_t cap = 0;
	int rc;

	if (!out)
		return rni_err_einval("rn_interface_multicast_addrs: NULL list");
	out->v = NULL;
	out->n = 0;
	if (!ifi) {
		rni_err_text(-EINVAL, "invalid network interface");
		return route_op();
	}
	/* The files name devices; an interface given by index alone is looked up. */
	if (!ifi->name[0] && ifi->index > 0) {
		rc = rn_interface_by_index(ifi->index, &named);
		if (rc < 0)
			return rc;
		ifi = &named;
	}
	memcpy(name, ifi->name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	if (!name[0])
		return 0;
	rc = read_igmp("/proc/net/igmp", false, name, out, &cap);
	if (rc == 0)
		rc = read_igmp("/proc/net/igmp6", true, name, out, &cap);
	if (rc < 0) {
		rn_addr_list_free(out);
		return route_op();
	}
	return 0;
}
