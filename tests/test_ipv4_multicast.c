/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_ipv4_multicast.c - x/net/ipv4's multicast calls on PacketConn
 * (udp4) and RawConn (ip4:253) against the kernel: JoinGroup/LeaveGroup
 * with delivery of a group datagram, the MulticastInterface, MulticastTTL
 * and MulticastLoopback round trips (and what they do to delivery), and the
 * source-specific calls: a datagram from an included source arrives, one
 * from an excluded source does not.
 *
 * Everything happens in a network namespace the test makes for itself
 * before the suite starts (the host's interfaces are never touched, and
 * nothing leaves the host): a veth pair rnv0 (10.99.0.1) <-> rnv1
 * (10.99.0.2 and 10.99.0.3), both with MULTICAST, and a route for
 * 239.0.0.0/8 by rnv0 (where a NULL interface joins).  Receivers join on rnv0;
 * senders send out of rnv1 from one of its two addresses, so a datagram
 * has a known source.  Both ends live in one namespace, so rnv0 is told to
 * accept datagrams whose source is a local address (accept_local).
 * Needs CAP_SYS_ADMIN and CAP_NET_ADMIN (unshare, netlink) and, for the
 * RawConn tests, CAP_NET_RAW: each test is skipped with the reason printed
 * when the namespace could not be made.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

#define GROUP "239.1.2.3"
#define RECV_IP "10.99.0.1"
#define SRC_A "10.99.0.2" /* rnv1's first address */
#define SRC_B "10.99.0.3" /* its second */
#define PROTO_EXP 253
#define ALL_FLAGS (RN_IPV4_FLAG_TTL | RN_IPV4_FLAG_DST | RN_IPV4_FLAG_INTERFACE)

/* ---- the namespace, made once in main() ------------------------------------------- */

static int ns_err;	      /* 0, or the -errno that stopped the setup */
static const char *ns_step;   /* what failed */
static rn_interface if0, if1; /* rnv0 (receivers) and rnv1 (senders) */

static bool ns_ready(const char *test)
{
	if (ns_err == 0)
		return true;
	printf("SKIP %s: no test network namespace (%s: %s)\n", test, ns_step,
	       strerror(-ns_err));
	return false;
}

/* Append attribute @type with @len bytes of @data to the message @h; returns it for nesting. */
static struct rtattr *put_attr(struct nlmsghdr *h, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

/* Close the nested attribute @a: it covers everything appended since. */
static void end_nest(struct nlmsghdr *h, struct rtattr *a)
{
	a->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)a);
}

/* Send @h on a new rtnetlink socket and return the kernel's answer (0 or -errno). */
static int nl_talk(struct nlmsghdr *h)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[1024];
	struct nlmsghdr *r = (struct nlmsghdr *)buf;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), err;
	ssize_t n;

	if (fd < 0)
		return -errno;
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = 1;
	if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	n = recv(fd, buf, sizeof buf, 0);
	err = n < 0 ? -errno : -EPROTO;
	if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && r->nlmsg_type == NLMSG_ERROR)
		err = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
	close(fd);
	return err;
}

/* ip link add rnv0 type veth peer name rnv1 */
static int add_veth(void)
{
	union {
		struct nlmsghdr h;
		char b[512];
	} m;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *peer;

	memset(&m, 0, sizeof m);
	m.h.nlmsg_type = RTM_NEWLINK;
	m.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	m.h.nlmsg_len = NLMSG_LENGTH(sizeof ifi);
	memcpy(NLMSG_DATA(&m.h), &ifi, sizeof ifi);
	put_attr(&m.h, IFLA_IFNAME, "rnv0", 5);
	info = put_attr(&m.h, IFLA_LINKINFO, NULL, 0);
	put_attr(&m.h, IFLA_INFO_KIND, "veth", 4);
	data = put_attr(&m.h, IFLA_INFO_DATA, NULL, 0);
	peer = put_attr(&m.h, VETH_INFO_PEER, &ifi, sizeof ifi);
	put_attr(&m.h, IFLA_IFNAME, "rnv1", 5);
	end_nest(&m.h, peer);
	end_nest(&m.h, data);
	end_nest(&m.h, info);
	return nl_talk(&m.h);
}

/* ip addr add @addr/24 dev @index */
static int add_addr(int index, const char *addr)
{
	union {
		struct nlmsghdr h;
		char b[256];
	} m;
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 24 };
	struct in_addr a;

	inet_pton(AF_INET, addr, &a);
	ifa.ifa_index = (unsigned)index;
	memset(&m, 0, sizeof m);
	m.h.nlmsg_type = RTM_NEWADDR;
	m.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	m.h.nlmsg_len = NLMSG_LENGTH(sizeof ifa);
	memcpy(NLMSG_DATA(&m.h), &ifa, sizeof ifa);
	put_attr(&m.h, IFA_LOCAL, &a, sizeof a);
	put_attr(&m.h, IFA_ADDRESS, &a, sizeof a);
	return nl_talk(&m.h);
}

/* ip route add 239.0.0.0/8 dev @index: where a NULL interface's membership goes. */
static int add_group_route(int index)
{
	union {
		struct nlmsghdr h;
		char b[256];
	} m;
	struct rtmsg rt = { .rtm_family = AF_INET,
			    .rtm_dst_len = 8,
			    .rtm_table = RT_TABLE_MAIN,
			    .rtm_protocol = RTPROT_BOOT,
			    .rtm_scope = RT_SCOPE_LINK,
			    .rtm_type = RTN_UNICAST };
	struct in_addr dst;
	uint32_t oif = (uint32_t)index;

	inet_pton(AF_INET, "239.0.0.0", &dst);
	memset(&m, 0, sizeof m);
	m.h.nlmsg_type = RTM_NEWROUTE;
	m.h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	m.h.nlmsg_len = NLMSG_LENGTH(sizeof rt);
	memcpy(NLMSG_DATA(&m.h), &rt, sizeof rt);
	put_attr(&m.h, RTA_DST, &dst, sizeof dst);
	put_attr(&m.h, RTA_OIF, &oif, sizeof oif);
	return nl_talk(&m.h);
}

/* ip link set @name up multicast on */
static int link_up(const char *name)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP | IFF_MULTICAST;
	if (!err && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(s);
	return err;
}

/* Write @v to /proc/sys/net/ipv4/conf/@dev/@key (the namespace's own). */
static int sysctl_conf(const char *dev, const char *key, const char *v)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%s/%s", dev, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, v, strlen(v)) < 0)
		err = -errno;
	close(fd);
	return err;
}

#define STEP(what, call)                     \
	do {                                 \
		ns_step = (what);            \
		if ((ns_err = (call)) < 0)   \
			return ns_err;       \
	} while (0)

static int iface(rn_interface *ifi, const char *name)
{
	memset(ifi, 0, sizeof *ifi);
	ifi->index = (int)if_nametoindex(name);
	snprintf(ifi->name, sizeof ifi->name, "%s", name);
	return ifi->index > 0 ? 0 : -errno;
}

static int make_namespace(void)
{
	STEP("unshare(CLONE_NEWNET)", unshare(CLONE_NEWNET) < 0 ? -errno : 0);
	STEP("lo up", link_up("lo"));
	STEP("create the veth pair", add_veth());
	STEP("rnv0", iface(&if0, "rnv0"));
	STEP("rnv1", iface(&if1, "rnv1"));
	STEP("address on rnv0", add_addr(if0.index, RECV_IP));
	STEP("address on rnv1", add_addr(if1.index, SRC_A));
	STEP("second address on rnv1", add_addr(if1.index, SRC_B));
	STEP("rnv0 up", link_up("rnv0"));
	STEP("rnv1 up", link_up("rnv1"));
	STEP("route to the groups", add_group_route(if0.index));
	/* Datagrams from rnv1's addresses arrive on rnv0 of the same namespace. */
	STEP("rp_filter", sysctl_conf("all", "rp_filter", "0"));
	STEP("rp_filter", sysctl_conf("rnv0", "rp_filter", "0"));
	STEP("accept_local", sysctl_conf("rnv0", "accept_local", "1"));
	ns_step = NULL;
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------ */

static const char *last_error(void)
{
	static char buf[2048];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

static rn_ip ip4(const char *s)
{
	rn_ip ip = rn_parse_ip(s);

	ck_assert_int_ne(ip.len, 0);
	return ip;
}

static rn_addr udp_addr(const char *ip, int port)
{
	rn_udpaddr a;

	memset(&a, 0, sizeof a);
	a.ip = ip4(ip);
	a.port = port;
	return rn_addr_from_udp(&a);
}

static rn_addr ip_addr(const char *ip)
{
	rn_ipaddr a;

	memset(&a, 0, sizeof a);
	a.ip = ip4(ip);
	return rn_addr_from_ip(&a);
}

static int port_of(rn_ipv4_packetconn *pc)
{
	rn_addr la = rn_conn_local_addr(rn_ipv4_packetconn_conn(pc));

	return la.u.udp.port;
}

/* ListenPacket("udp4", @address) as a PacketConn. */
static rn_ipv4_packetconn *udp_pc(const char *address)
{
	rn_conn *c = rn_listen_packet("udp4", address);
	rn_ipv4_packetconn *pc;

	ck_assert_msg(c != NULL, "listen udp4 %s: %s", address, last_error());
	pc = rn_ipv4_new_packetconn(c);
	ck_assert_msg(pc != NULL, "NewPacketConn: %s", last_error());
	return pc;
}

/* A UDP sender from @src, out of rnv1. */
static rn_ipv4_packetconn *sender(const char *src)
{
	char address[64];
	rn_ipv4_packetconn *pc;

	snprintf(address, sizeof address, "%s:0", src);
	pc = udp_pc(address);
	ck_assert_int_eq(rn_ipv4_packetconn_set_multicast_interface(pc, &if1), 0);
	return pc;
}

static void send_group(rn_ipv4_packetconn *s, int port, const char *msg)
{
	rn_addr g = udp_addr(GROUP, port);

	ck_assert_msg(rn_ipv4_packetconn_write_to(s, msg, strlen(msg), NULL, &g) ==
			      (ssize_t)strlen(msg),
		      "WriteTo: %s", last_error());
}

/*
 * The next datagram on @pc within @ms: its payload (NUL-terminated) in
 * @buf and its length, or RN_ETIMEOUT when none came.
 */
static ssize_t recv_within(rn_ipv4_packetconn *pc, int ms, char *buf, size_t cap,
			   rn_ipv4_control_message *cm, rn_addr *src)
{
	ssize_t n;

	ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(
				 pc, rn_time_add(rn_now(), (int64_t)ms * RN_MILLISECOND)),
			 0);
	n = rn_ipv4_packetconn_read_from(pc, buf, cap - 1, cm, src);
	ck_assert_msg(n >= 0 || n == RN_ETIMEOUT, "ReadFrom: %s", last_error());
	buf[n < 0 ? 0 : n] = '\0';
	return n;
}

/* The next datagram must be @want from @src_ip. */
static void expect(rn_ipv4_packetconn *pc, const char *want, const char *src_ip)
{
	char buf[256], text[RN_ADDR_STRLEN];
	rn_addr src;

	ck_assert_msg(recv_within(pc, 3000, buf, sizeof buf, NULL, &src) >= 0,
		      "\"%s\" did not arrive", want);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(src.kind, RN_ADDR_UDP);
	rn_ip_string(src.u.udp.ip, text, sizeof text);
	ck_assert_str_eq(text, src_ip);
}

/* Nothing may arrive for a while. */
static void expect_none(rn_ipv4_packetconn *pc)
{
	char buf[256];

	ck_assert_msg(recv_within(pc, 300, buf, sizeof buf, NULL, NULL) == RN_ETIMEOUT,
		      "\"%s\" arrived", buf);
}

/* ---- PacketConn: join, leave, delivery ---------------------------------------------- */

START_TEST(test_join_group_delivers_leave_stops)
{
	rn_ipv4_packetconn *r, *s;
	rn_ipv4_control_message cm;
	rn_addr g = ip_addr(GROUP), src;
	char buf[256], text[RN_ADDR_STRLEN];
	int port;

	if (!ns_ready(__func__))
		return;
	r = udp_pc("0.0.0.0:0");
	s = sender(SRC_A);
	port = port_of(r);
	ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(r, ALL_FLAGS, true), 0);

	/* Not a member yet: rnv0 does not take the group's datagrams. */
	send_group(s, port, "before");
	expect_none(r);

	ck_assert_msg(rn_ipv4_packetconn_join_group(r, &if0, &g) == 0, "%s", last_error());
	send_group(s, port, "hello group");
	ck_assert_int_eq(recv_within(r, 3000, buf, sizeof buf, &cm, &src), 11);
	ck_assert_str_eq(buf, "hello group");
	rn_addr_string(&src, text, sizeof text);
	snprintf(buf, sizeof buf, "%s:%d", SRC_A, port_of(s));
	ck_assert_str_eq(text, buf);
	rn_ip_string(cm.dst, text, sizeof text);
	ck_assert_str_eq(text, GROUP);
	ck_assert_int_eq(cm.ifindex, if0.index);
	ck_assert_int_eq(cm.ttl, 1); /* the default multicast TTL */

	ck_assert_msg(rn_ipv4_packetconn_leave_group(r, &if0, &g) == 0, "%s", last_error());
	send_group(s, port, "after");
	expect_none(r);
	/* Leaving twice: the kernel's word. */
	ck_assert_int_eq(rn_ipv4_packetconn_leave_group(r, &if0, &g), -EADDRNOTAVAIL);
	ck_assert_str_eq(last_error(), "setsockopt: cannot assign requested address");
	rn_ipv4_packetconn_free(s);
	rn_ipv4_packetconn_free(r);
}
END_TEST

/*
 * A NULL interface lets the kernel pick by route (rnv0 here): it is the
 * same membership as joining on rnv0, which is the kernel's EADDRINUSE.
 */
START_TEST(test_join_group_any_interface)
{
	rn_ipv4_packetconn *r, *s;
	rn_ipv4_control_message cm;
	rn_addr g = ip_addr(GROUP);
	char buf[64];
	int port;

	if (!ns_ready(__func__))
		return;
	r = udp_pc("0.0.0.0:0");
	s = sender(SRC_A);
	port = port_of(r);
	ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(r, RN_IPV4_FLAG_INTERFACE, true),
			 0);
	ck_assert_msg(rn_ipv4_packetconn_join_group(r, NULL, &g) == 0, "%s", last_error());
	send_group(s, port, "any");
	ck_assert_int_eq(recv_within(r, 3000, buf, sizeof buf, &cm, NULL), 3);
	ck_assert_int_eq(cm.ifindex, if0.index);
	ck_assert_int_eq(rn_ipv4_packetconn_join_group(r, &if0, &g), -EADDRINUSE);
	ck_assert_str_eq(last_error(), "setsockopt: address already in use");
	ck_assert_int_eq(rn_ipv4_packetconn_leave_group(r, NULL, &g), 0);
	send_group(s, port, "gone");
	expect_none(r);
	rn_ipv4_packetconn_free(s);
	rn_ipv4_packetconn_free(r);
}
END_TEST

START_TEST(test_group_must_be_ipv4)
{
	rn_ipv4_packetconn *r;
	rn_addr g6 = udp_addr("ff02::1", 0), tcp = udp_addr(GROUP, 0), g = ip_addr(GROUP);
	rn_udpaddr u = tcp.u.udp;

	if (!ns_ready(__func__))
		return;
	r = udp_pc("0.0.0.0:0");
	tcp.kind = RN_ADDR_TCP;
	tcp.u.tcp.ip = u.ip;
	ck_assert_int_eq(rn_ipv4_packetconn_join_group(r, &if0, NULL), RN_EMISSINGADDR);
	ck_assert_str_eq(last_error(), "missing address");
	ck_assert_int_eq(rn_ipv4_packetconn_join_group(r, &if0, &g6), RN_EMISSINGADDR);
	ck_assert_int_eq(rn_ipv4_packetconn_join_group(r, &if0, &tcp), RN_EMISSINGADDR);
	ck_assert_int_eq(rn_ipv4_packetconn_leave_group(r, &if0, &g6), RN_EMISSINGADDR);
	ck_assert_int_eq(rn_ipv4_packetconn_join_source_specific_group(r, &if0, &g, NULL),
			 RN_EMISSINGADDR);
	ck_assert_int_eq(rn_ipv4_packetconn_join_source_specific_group(r, &if0, &g, &g6),
			 RN_EMISSINGADDR);
	/* A unicast "group" is the kernel's to refuse. */
	g = ip_addr(SRC_A);
	ck_assert_int_eq(rn_ipv4_packetconn_join_group(r, &if0, &g), -EINVAL);
	rn_ipv4_packetconn_free(r);
}
END_TEST

/* ---- PacketConn: interface, TTL, loopback ------------------------------------------ */

START_TEST(test_multicast_interface_round_trip)
{
	rn_ipv4_packetconn *pc;
	rn_interface got, bogus;

	if (!ns_ready(__func__))
		return;
	pc = udp_pc("0.0.0.0:0");
	got.index = 99;
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_interface(pc, &got), 0);
	ck_assert_int_eq(got.index, 0); /* Go's nil: none set */
	ck_assert_int_eq(rn_ipv4_packetconn_set_multicast_interface(pc, &if0), 0);
	ck_assert_msg(rn_ipv4_packetconn_multicast_interface(pc, &got) == 0, "%s", last_error());
	ck_assert_int_eq(got.index, if0.index);
	ck_assert_str_eq(got.name, "rnv0");
	ck_assert(got.flags & RN_FLAG_MULTICAST);
	ck_assert_int_eq(rn_ipv4_packetconn_set_multicast_interface(pc, &if1), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_interface(pc, &got), 0);
	ck_assert_str_eq(got.name, "rnv1");
	ck_assert_int_eq(rn_ipv4_packetconn_set_multicast_interface(pc, NULL), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_interface(pc, &got), 0);
	ck_assert_int_eq(got.index, 0);
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_interface(pc, NULL), -EINVAL);
	memset(&bogus, 0, sizeof bogus);
	bogus.index = 9999;
	ck_assert_int_eq(rn_ipv4_packetconn_set_multicast_interface(pc, &if1), 0);
	/* The kernel refuses an index with no interface; the old choice stays. */
	ck_assert_int_eq(rn_ipv4_packetconn_set_multicast_interface(pc, &bogus), -EADDRNOTAVAIL);
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_interface(pc, &got), 0);
	ck_assert_int_eq(got.index, if1.index);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

START_TEST(test_multicast_ttl_round_trip)
{
	rn_ipv4_packetconn *r, *s;
	rn_ipv4_control_message cm;
	rn_addr g = ip_addr(GROUP);
	char buf[64];

	if (!ns_ready(__func__))
		return;
	r = udp_pc("0.0.0.0:0");
	s = sender(SRC_A);
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_ttl(s), 1);
	ck_assert_int_eq(rn_ipv4_packetconn_set_multicast_ttl(s, 7), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_ttl(s), 7);
	ck_assert_int_eq(rn_ipv4_packetconn_set_multicast_ttl(s, 256), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_ttl(s), 7);

	/* The datagram carries it. */
	ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(r, RN_IPV4_FLAG_TTL, true), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_join_group(r, &if0, &g), 0);
	send_group(s, port_of(r), "ttl");
	ck_assert_int_eq(recv_within(r, 3000, buf, sizeof buf, &cm, NULL), 3);
	ck_assert_int_eq(cm.ttl, 7);
	rn_ipv4_packetconn_free(s);
	rn_ipv4_packetconn_free(r);
}
END_TEST

/*
 * Loopback decides whether the sender's own host gets a copy: a receiver
 * that joined on rnv1, the sending side, sees the datagram only with it on.
 */
START_TEST(test_multicast_loopback_round_trip)
{
	rn_ipv4_packetconn *r, *s;
	rn_addr g = ip_addr(GROUP);
	int port;

	if (!ns_ready(__func__))
		return;
	r = udp_pc("0.0.0.0:0");
	s = sender(SRC_A);
	port = port_of(r);
	ck_assert_int_eq(rn_ipv4_packetconn_join_group(r, &if1, &g), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_loopback(s), 1);
	send_group(s, port, "looped");
	expect(r, "looped", SRC_A);

	ck_assert_int_eq(rn_ipv4_packetconn_set_multicast_loopback(s, false), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_loopback(s), 0);
	send_group(s, port, "not looped");
	expect_none(r);

	ck_assert_int_eq(rn_ipv4_packetconn_set_multicast_loopback(s, true), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_multicast_loopback(s), 1);
	send_group(s, port, "looped again");
	expect(r, "looped again", SRC_A);
	rn_ipv4_packetconn_free(s);
	rn_ipv4_packetconn_free(r);
}
END_TEST

/* WriteTo's control message picks the source and the interface of a group datagram. */
START_TEST(test_write_to_control_message_picks_source)
{
	rn_ipv4_packetconn *r, *s;
	rn_ipv4_control_message cm;
	rn_addr g = ip_addr(GROUP), dst;

	if (!ns_ready(__func__))
		return;
	r = udp_pc("0.0.0.0:0");
	s = udp_pc("0.0.0.0:0"); /* no multicast interface: the control message names it */
	ck_assert_int_eq(rn_ipv4_packetconn_join_group(r, &if0, &g), 0);
	memset(&cm, 0, sizeof cm);
	cm.src = ip4(SRC_B);
	cm.ifindex = if1.index;
	dst = udp_addr(GROUP, port_of(r));
	ck_assert_msg(rn_ipv4_packetconn_write_to(s, "via cm", 6, &cm, &dst) == 6, "%s",
		      last_error());
	expect(r, "via cm", SRC_B);
	rn_ipv4_packetconn_free(s);
	rn_ipv4_packetconn_free(r);
}
END_TEST

/* ---- PacketConn: source-specific ------------------------------------------------------- */

START_TEST(test_source_specific_include)
{
	rn_ipv4_packetconn *r, *a, *b;
	rn_addr g = ip_addr(GROUP), sa = ip_addr(SRC_A), sb = ip_addr(SRC_B);
	int port;

	if (!ns_ready(__func__))
		return;
	r = udp_pc("0.0.0.0:0");
	a = sender(SRC_A);
	b = sender(SRC_B);
	port = port_of(r);
	ck_assert_msg(rn_ipv4_packetconn_join_source_specific_group(r, &if0, &g, &sa) == 0, "%s",
		      last_error());
	send_group(b, port, "from b");
	send_group(a, port, "from a");
	expect(r, "from a", SRC_A); /* b's, sent first, never came */
	expect_none(r);

	/* A second source joins the first. */
	ck_assert_int_eq(rn_ipv4_packetconn_join_source_specific_group(r, &if0, &g, &sb), 0);
	send_group(b, port, "b joined");
	expect(r, "b joined", SRC_B);

	/* Leaving one source keeps the other. */
	ck_assert_int_eq(rn_ipv4_packetconn_leave_source_specific_group(r, &if0, &g, &sa), 0);
	send_group(a, port, "a left");
	send_group(b, port, "b stays");
	expect(r, "b stays", SRC_B);
	expect_none(r);
	ck_assert_int_eq(rn_ipv4_packetconn_leave_source_specific_group(r, &if0, &g, &sb), 0);
	send_group(b, port, "all left");
	expect_none(r);
	rn_ipv4_packetconn_free(b);
	rn_ipv4_packetconn_free(a);
	rn_ipv4_packetconn_free(r);
}
END_TEST

START_TEST(test_source_specific_exclude)
{
	rn_ipv4_packetconn *r, *a, *b;
	rn_addr g = ip_addr(GROUP), sb = ip_addr(SRC_B);
	int port;

	if (!ns_ready(__func__))
		return;
	r = udp_pc("0.0.0.0:0");
	a = sender(SRC_A);
	b = sender(SRC_B);
	port = port_of(r);
	/* Excluding needs an any-source membership first. */
	ck_assert_int_eq(rn_ipv4_packetconn_exclude_source_specific_group(r, &if0, &g, &sb),
			 -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_join_group(r, &if0, &g), 0);
	ck_assert_msg(rn_ipv4_packetconn_exclude_source_specific_group(r, &if0, &g, &sb) == 0, "%s",
		      last_error());
	send_group(b, port, "from b");
	send_group(a, port, "from a");
	expect(r, "from a", SRC_A);
	expect_none(r);

	ck_assert_msg(rn_ipv4_packetconn_include_source_specific_group(r, &if0, &g, &sb) == 0, "%s",
		      last_error());
	send_group(b, port, "b included");
	expect(r, "b included", SRC_B);
	/* Not excluded any more: including it again is the kernel's EADDRNOTAVAIL. */
	ck_assert_int_eq(rn_ipv4_packetconn_include_source_specific_group(r, &if0, &g, &sb),
			 -EADDRNOTAVAIL);
	rn_ipv4_packetconn_free(b);
	rn_ipv4_packetconn_free(a);
	rn_ipv4_packetconn_free(r);
}
END_TEST

/* ---- RawConn ---------------------------------------------------------------------------- */

static bool need_raw(const char *test)
{
	int s;

	if (!ns_ready(test))
		return false;
	s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, PROTO_EXP);
	if (s < 0) {
		printf("SKIP %s: raw sockets need CAP_NET_RAW (%s)\n", test, strerror(errno));
		return false;
	}
	close(s);
	return true;
}

static rn_ipv4_rawconn *raw(void)
{
	rn_conn *c = rn_listen_packet("ip4:253", "0.0.0.0");
	rn_ipv4_rawconn *rc;

	ck_assert_msg(c != NULL, "%s", last_error());
	rc = rn_ipv4_new_rawconn(c);
	ck_assert_msg(rc != NULL, "%s", last_error());
	return rc;
}

/* A raw sender whose datagrams leave by rnv1. */
static rn_ipv4_rawconn *raw_sender(void)
{
	rn_ipv4_rawconn *rc = raw();

	ck_assert_int_eq(rn_ipv4_rawconn_set_multicast_interface(rc, &if1), 0);
	return rc;
}

/* Send @msg to the group on protocol 253 with source @src in the header. */
static void raw_send_group(rn_ipv4_rawconn *s, const char *src, const char *msg)
{
	rn_ipv4_header h;
	size_t n = strlen(msg);

	memset(&h, 0, sizeof h);
	h.version = 4;
	h.len = RN_IPV4_HEADER_LEN;
	h.total_len = RN_IPV4_HEADER_LEN + (int)n;
	h.ttl = 1;
	h.protocol = PROTO_EXP;
	h.src = ip4(src);
	h.dst = ip4(GROUP);
	ck_assert_msg(rn_ipv4_rawconn_write_to(s, &h, msg, n, NULL) == 0, "%s", last_error());
}

/* The next datagram on @rc within @ms, payload NUL-terminated into @buf; or RN_ETIMEOUT. */
static ssize_t raw_recv_within(rn_ipv4_rawconn *rc, int ms, char *buf, size_t cap,
			       rn_ipv4_header *h)
{
	void *p;
	ssize_t n;

	ck_assert_int_eq(rn_ipv4_rawconn_set_read_deadline(
				 rc, rn_time_add(rn_now(), (int64_t)ms * RN_MILLISECOND)),
			 0);
	n = rn_ipv4_rawconn_read_from(rc, buf, cap - 1, h, &p, NULL);
	ck_assert_msg(n >= 0 || n == RN_ETIMEOUT, "ReadFrom: %s", last_error());
	if (n < 0) {
		buf[0] = '\0';
		return n;
	}
	memmove(buf, p, (size_t)n);
	buf[n] = '\0';
	return n;
}

static void raw_expect(rn_ipv4_rawconn *rc, const char *want, const char *src)
{
	char buf[256], text[64];
	rn_ipv4_header h;

	ck_assert_msg(raw_recv_within(rc, 3000, buf, sizeof buf, &h) >= 0, "\"%s\" did not arrive",
		      want);
	ck_assert_str_eq(buf, want);
	rn_ip_string(h.src, text, sizeof text);
	ck_assert_str_eq(text, src);
	rn_ip_string(h.dst, text, sizeof text);
	ck_assert_str_eq(text, GROUP);
	ck_assert_int_eq(h.protocol, PROTO_EXP);
}

static void raw_expect_none(rn_ipv4_rawconn *rc)
{
	char buf[256];
	rn_ipv4_header h;

	ck_assert_msg(raw_recv_within(rc, 300, buf, sizeof buf, &h) == RN_ETIMEOUT,
		      "\"%s\" arrived", buf);
}

START_TEST(test_rawconn_join_group_delivers_leave_stops)
{
	rn_ipv4_rawconn *r, *s;
	rn_addr g = ip_addr(GROUP);

	if (!need_raw(__func__))
		return;
	r = raw();
	s = raw_sender();
	ck_assert_msg(rn_ipv4_rawconn_join_group(r, &if0, &g) == 0, "%s", last_error());
	raw_send_group(s, SRC_A, "raw hello");
	raw_expect(r, "raw hello", SRC_A);
	ck_assert_int_eq(rn_ipv4_rawconn_leave_group(r, &if0, &g), 0);
	raw_send_group(s, SRC_A, "raw after");
	raw_expect_none(r);
	rn_ipv4_rawconn_free(s);
	rn_ipv4_rawconn_free(r);
}
END_TEST

START_TEST(test_rawconn_round_trips)
{
	rn_ipv4_rawconn *rc;
	rn_interface got;

	if (!need_raw(__func__))
		return;
	rc = raw();
	ck_assert_int_eq(rn_ipv4_rawconn_multicast_interface(rc, &got), 0);
	ck_assert_int_eq(got.index, 0);
	ck_assert_int_eq(rn_ipv4_rawconn_set_multicast_interface(rc, &if1), 0);
	ck_assert_int_eq(rn_ipv4_rawconn_multicast_interface(rc, &got), 0);
	ck_assert_int_eq(got.index, if1.index);
	ck_assert_str_eq(got.name, "rnv1");
	ck_assert_int_eq(rn_ipv4_rawconn_set_multicast_ttl(rc, 9), 0);
	ck_assert_int_eq(rn_ipv4_rawconn_multicast_ttl(rc), 9);
	ck_assert_int_eq(rn_ipv4_rawconn_set_multicast_loopback(rc, false), 0);
	ck_assert_int_eq(rn_ipv4_rawconn_multicast_loopback(rc), 0);
	ck_assert_int_eq(rn_ipv4_rawconn_set_multicast_loopback(rc, true), 0);
	ck_assert_int_eq(rn_ipv4_rawconn_multicast_loopback(rc), 1);
	rn_ipv4_rawconn_free(rc);
}
END_TEST

START_TEST(test_rawconn_source_specific)
{
	rn_ipv4_rawconn *r, *s;
	rn_addr g = ip_addr(GROUP), sa = ip_addr(SRC_A), sb = ip_addr(SRC_B);

	if (!need_raw(__func__))
		return;
	r = raw();
	s = raw_sender();
	/* Include: only A's. */
	ck_assert_msg(rn_ipv4_rawconn_join_source_specific_group(r, &if0, &g, &sa) == 0, "%s",
		      last_error());
	raw_send_group(s, SRC_B, "from b");
	raw_send_group(s, SRC_A, "from a");
	raw_expect(r, "from a", SRC_A);
	raw_expect_none(r);
	ck_assert_int_eq(rn_ipv4_rawconn_leave_source_specific_group(r, &if0, &g, &sa), 0);

	/* Exclude: all but B's, until B is included again. */
	ck_assert_int_eq(rn_ipv4_rawconn_join_group(r, &if0, &g), 0);
	ck_assert_int_eq(rn_ipv4_rawconn_exclude_source_specific_group(r, &if0, &g, &sb), 0);
	raw_send_group(s, SRC_B, "b excluded");
	raw_send_group(s, SRC_A, "a passes");
	raw_expect(r, "a passes", SRC_A);
	raw_expect_none(r);
	ck_assert_int_eq(rn_ipv4_rawconn_include_source_specific_group(r, &if0, &g, &sb), 0);
	raw_send_group(s, SRC_B, "b back");
	raw_expect(r, "b back", SRC_B);
	rn_ipv4_rawconn_free(s);
	rn_ipv4_rawconn_free(r);
}
END_TEST

static Suite *ipv4_multicast_suite(void)
{
	Suite *s = suite_create("ipv4_multicast");
	TCase *tc;

	tc = tu_engine_tcase("packetconn");
	tcase_add_test(tc, test_join_group_delivers_leave_stops);
	tcase_add_test(tc, test_join_group_any_interface);
	tcase_add_test(tc, test_group_must_be_ipv4);
	tcase_add_test(tc, test_multicast_interface_round_trip);
	tcase_add_test(tc, test_multicast_ttl_round_trip);
	tcase_add_test(tc, test_multicast_loopback_round_trip);
	tcase_add_test(tc, test_write_to_control_message_picks_source);
	tcase_add_test(tc, test_source_specific_include);
	tcase_add_test(tc, test_source_specific_exclude);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("rawconn");
	tcase_add_test(tc, test_rawconn_join_group_delivers_leave_stops);
	tcase_add_test(tc, test_rawconn_round_trips);
	tcase_add_test(tc, test_rawconn_source_specific);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Before any thread exists: the suite, forks and all, runs inside it. */
	make_namespace();
	return rn_test_main(ipv4_multicast_suite());
}
