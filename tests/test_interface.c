/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_interface.c - Go's net.Interface functions against the real
 * kernel: Flags.String, Interfaces / InterfaceByIndex / InterfaceByName,
 * Interface.Addrs and InterfaceAddrs, Interface.MulticastAddrs, and the
 * OpError texts of Go for the failures.
 *
 * The machine's lo is only read.  Everything else happens in a network
 * namespace of the test's own (unshare(CLONE_NEWNET) in a forked child)
 * where a veth pair with known addresses is made over rtnetlink; those
 * tests need CAP_SYS_ADMIN and veth support, and are skipped with the
 * reason otherwise.
 */
#define _GNU_SOURCE 1 /* unshare */
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "testutil.h"

static const char *last_error(void)
{
	static char buf[1024];

	rn_error_string(rn_last_error(), buf, sizeof(buf));
	return buf;
}

static const char *flags_str(unsigned flags)
{
	static char buf[RN_FLAGS_STRLEN];

	rn_flags_string(flags, buf, sizeof(buf));
	return buf;
}

/* Whether @l holds the IPNet whose String is @want, with @iplen/@masklen bytes. */
static bool has_ipnet(const rn_addr_list *l, const char *want, int iplen, int masklen)
{
	char s[RN_IPNET_STRLEN];

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].kind != RN_ADDR_IPNET)
			continue;
		rn_ipnet_string(&l->v[i].u.ipnet, s, sizeof(s));
		if (!strcmp(s, want) && l->v[i].u.ipnet.ip.len == iplen &&
		    l->v[i].u.ipnet.mask.len == masklen)
			return true;
	}
	return false;
}

/* Whether @l holds the group IPAddr @want as a 16-byte IP. */
static bool has_group(const rn_addr_list *l, const char *want)
{
	char s[RN_IP_STRLEN];

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].kind != RN_ADDR_IP || l->v[i].u.ip.ip.len != RN_IPV6LEN)
			continue;
		rn_ip_string(l->v[i].u.ip.ip, s, sizeof(s));
		if (!strcmp(s, want))
			return true;
	}
	return false;
}

/* ---- Flags.String ------------------------------------------------------------ */

START_TEST(test_flags_string_combinations)
{
	static const struct {
		unsigned flags;
		const char *want;
	} rows[] = {
		{ 0, "0" },
		{ RN_FLAG_UP, "up" },
		{ RN_FLAG_UP | RN_FLAG_LOOPBACK | RN_FLAG_RUNNING, "up|loopback|running" },
		{ RN_FLAG_UP | RN_FLAG_BROADCAST | RN_FLAG_MULTICAST | RN_FLAG_RUNNING,
		  "up|broadcast|multicast|running" },
		{ RN_FLAG_POINT_TO_POINT | RN_FLAG_MULTICAST, "pointtopoint|multicast" },
		{ 0x3f, "up|broadcast|loopback|pointtopoint|multicast|running" },
		{ 1u << 6, "0" }, /* bits Go has no name for are not shown */
		{ RN_FLAG_LOOPBACK | 1u << 9, "loopback" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[RN_FLAGS_STRLEN];
		int n = rn_flags_string(rows[i].flags, buf, sizeof(buf));

		ck_assert_str_eq(buf, rows[i].want);
		ck_assert_int_eq(n, (int)strlen(rows[i].want));
	}
}
END_TEST

START_TEST(test_flags_string_snprintf)
{
	char buf[4];

	ck_assert_int_eq(rn_flags_string(RN_FLAG_UP | RN_FLAG_LOOPBACK, buf, sizeof(buf)), 11);
	ck_assert_str_eq(buf, "up|");
	ck_assert_int_eq(rn_flags_string(RN_FLAG_UP, NULL, 0), 2);
	ck_assert_int_eq(rn_flags_string(RN_FLAG_UP, NULL, 8), -EINVAL);
}
END_TEST

/* ---- the machine's lo ----------------------------------------------------------- */

START_TEST(test_lo_by_name)
{
	rn_interface lo;

	ck_assert_int_eq(rn_interface_by_name("lo", &lo), 0);
	ck_assert_str_eq(lo.name, "lo");
	ck_assert_int_eq(lo.index, (int)if_nametoindex("lo"));
	ck_assert_int_eq(lo.mtu, 65536);
	ck_assert_uint_eq(lo.flags, RN_FLAG_UP | RN_FLAG_LOOPBACK | RN_FLAG_RUNNING);
	ck_assert_str_eq(flags_str(lo.flags), "up|loopback|running");
	/* lo's address is all zeros: Go reports none. */
	ck_assert_int_eq(lo.hardware_addr.len, 0);
}
END_TEST

START_TEST(test_lo_by_index)
{
	rn_interface byname, byindex;

	ck_assert_int_eq(rn_interface_by_name("lo", &byname), 0);
	ck_assert_int_eq(rn_interface_by_index(byname.index, &byindex), 0);
	ck_assert_int_eq(byindex.index, byname.index);
	ck_assert_str_eq(byindex.name, "lo");
	ck_assert_int_eq(byindex.mtu, byname.mtu);
	ck_assert_uint_eq(byindex.flags, byname.flags);
	ck_assert(tu_hw_same(&byindex.hardware_addr, &byname.hardware_addr));
}
END_TEST

START_TEST(test_interfaces_lists_each_link_once)
{
	rn_interface_list l = { 0 };
	int los = 0;

	ck_assert_int_eq(rn_interfaces(&l), 0);
	ck_assert_uint_gt(l.n, 0);
	for (size_t i = 0; i < l.n; i++) {
		ck_assert_int_gt(l.v[i].index, 0);
		ck_assert_str_ne(l.v[i].name, "");
		ck_assert_int_eq(l.v[i].index, (int)if_nametoindex(l.v[i].name));
		for (size_t j = 0; j < i; j++)
			ck_assert_int_ne(l.v[i].index, l.v[j].index);
		los += !strcmp(l.v[i].name, "lo");
	}
	ck_assert_int_eq(los, 1);
	rn_interface_list_free(&l);
	ck_assert_ptr_null(l.v);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(test_lo_addrs)
{
	rn_interface lo;
	rn_addr_list l = { 0 };

	ck_assert_int_eq(rn_interface_by_name("lo", &lo), 0);
	ck_assert_int_eq(rn_interface_addrs(&lo, &l), 0);
	/* Go: IPv4 in 16-byte form with a 4-byte mask; IPv6 16 and 16. */
	ck_assert(has_ipnet(&l, "127.0.0.1/8", 16, 4));
	ck_assert(has_ipnet(&l, "::1/128", 16, 16));
	for (size_t i = 0; i < l.n; i++) {
		ck_assert_int_eq(l.v[i].kind, RN_ADDR_IPNET);
		ck_assert_str_eq(rn_addr_network(&l.v[i]), "ip+net");
	}
	rn_addr_list_free(&l);
}
END_TEST

START_TEST(test_interface_addrs_includes_lo)
{
	rn_addr_list all = { 0 };

	ck_assert_int_eq(rn_interface_addrs(NULL, &all), 0);
	ck_assert(has_ipnet(&all, "127.0.0.1/8", 16, 4));
	ck_assert(has_ipnet(&all, "::1/128", 16, 16));
	rn_addr_list_free(&all);
}
END_TEST

START_TEST(test_addrs_of_index_zero_is_empty)
{
	rn_interface none = { .index = 0 };
	rn_addr_list l = { .n = 7 };

	ck_assert_int_eq(rn_interface_addrs(&none, &l), 0);
	ck_assert_uint_eq(l.n, 0);
	rn_addr_list_free(&l);
}
END_TEST

/* ---- errors, in Go's words ----------------------------------------------------------- */

START_TEST(test_unknown_name)
{
	rn_interface ifi;

	ck_assert_int_eq(rn_interface_by_name("rn-nosuch0", &ifi), RN_ENOIFACE);
	ck_assert(rn_last_error()->op_error);
	ck_assert_str_eq(last_error(), "route ip+net: no such network interface");
	/* Longer than any name can be: still just not there. */
	ck_assert_int_eq(rn_interface_by_name("a-name-longer-than-sixteen", &ifi), RN_ENOIFACE);
}
END_TEST

START_TEST(test_empty_name)
{
	rn_interface ifi;

	ck_assert_int_eq(rn_interface_by_name("", &ifi), RN_EINVALIDIFACE);
	ck_assert_str_eq(last_error(), "route ip+net: invalid network interface name");
}
END_TEST

START_TEST(test_invalid_index)
{
	rn_interface ifi;

	ck_assert_int_eq(rn_interface_by_index(0, &ifi), RN_EINVALIDIFACE);
	ck_assert_str_eq(last_error(), "route ip+net: invalid network interface index");
	ck_assert_int_eq(rn_interface_by_index(-1, &ifi), RN_EINVALIDIFACE);
	ck_assert_str_eq(last_error(), "route ip+net: invalid network interface index");
}
END_TEST

START_TEST(test_unknown_index)
{
	rn_interface_list l = { 0 };
	rn_interface ifi;
	int unused = 1;

	ck_assert_int_eq(rn_interfaces(&l), 0);
	for (size_t i = 0; i < l.n; i++)
		if (l.v[i].index >= unused)
			unused = l.v[i].index + 1000;
	rn_interface_list_free(&l);
	ck_assert_int_eq(rn_interface_by_index(unused, &ifi), RN_ENOIFACE);
	ck_assert_str_eq(last_error(), "route ip+net: no such network interface");
}
END_TEST

START_TEST(test_multicast_addrs_of_null_interface)
{
	rn_addr_list l;

	ck_assert_int_eq(rn_interface_multicast_addrs(NULL, &l), -EINVAL);
	ck_assert_str_eq(last_error(), "route ip+net: invalid network interface");
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(test_null_outputs)
{
	rn_interface lo = { .index = 1 };

	ck_assert_int_eq(rn_interfaces(NULL), -EINVAL);
	ck_assert_int_eq(rn_interface_by_index(1, NULL), -EINVAL);
	ck_assert_int_eq(rn_interface_by_name("lo", NULL), -EINVAL);
	ck_assert_int_eq(rn_interface_addrs(NULL, NULL), -EINVAL);
	ck_assert_int_eq(rn_interface_multicast_addrs(&lo, NULL), -EINVAL);
	rn_interface_list_free(NULL);
	rn_addr_list_free(NULL);
}
END_TEST

/* ---- a namespace of the test's own ------------------------------------------------- */

#define VETH "rn-veth0"
#define PEER "rn-veth1"
static const uint8_t veth_mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0x01 };

/* An rtnetlink request under construction. */
typedef struct nl_req {
	union {
		struct nlmsghdr h;
		uint8_t b[1024];
	} u;
	size_t len;
} nl_req;

static void req_put(nl_req *r, const void *p, size_t n)
{
	if (r->len + NLMSG_ALIGN(n) > sizeof(r->u.b))
		abort(); /* the requests below are far smaller */
	memcpy(r->u.b + r->len, p, n);
	r->len += NLMSG_ALIGN(n);
}

static void req_init(nl_req *r, uint16_t type, uint16_t flags, const void *hdr, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->len = NLMSG_HDRLEN;
	r->u.h.nlmsg_type = type;
	r->u.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	r->u.h.nlmsg_seq = 1;
	req_put(r, hdr, n);
}

/* Start a nested attribute; attr_close() sets its length. */
static size_t attr_open(nl_req *r, uint16_t type)
{
	struct rtattr a = { .rta_len = sizeof(a), .rta_type = type };
	size_t off = r->len;

	req_put(r, &a, sizeof(a));
	return off;
}

static void attr_close(nl_req *r, size_t off)
{
	uint16_t len = (uint16_t)(r->len - off);

	memcpy(r->u.b + off + offsetof(struct rtattr, rta_len), &len, sizeof(len));
}

static void attr_put(nl_req *r, uint16_t type, const void *v, size_t n)
{
	struct rtattr a = { .rta_len = (uint16_t)RTA_LENGTH(n), .rta_type = type };

	if (r->len + RTA_SPACE(n) > sizeof(r->u.b))
		abort();
	memcpy(r->u.b + r->len, &a, sizeof(a));
	memcpy(r->u.b + r->len + RTA_LENGTH(0), v, n);
	r->len += RTA_SPACE(n);
}

/* Send @r to the kernel; returns its acknowledgement's error (0 or -errno). */
static int nl_talk(nl_req *r)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr h;
		uint8_t b[4096];
	} ack;
	struct nlmsgerr e;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), rc;
	ssize_t n;

	if (fd < 0)
		return -errno;
	r->u.h.nlmsg_len = (uint32_t)r->len;
	if (sendto(fd, r->u.b, r->len, 0, (struct sockaddr *)&k, sizeof(k)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	n = recv(fd, ack.b, sizeof(ack.b), 0);
	rc = n < 0 ? -errno : -EIO;
	if (n >= (ssize_t)(NLMSG_HDRLEN + sizeof(e)) && ack.h.nlmsg_type == NLMSG_ERROR) {
		memcpy(&e, ack.b + NLMSG_HDRLEN, sizeof(e));
		rc = e.error;
	}
	close(fd);
	return rc;
}

static int set_up(int index)
{
	struct ifinfomsg im = { .ifi_family = AF_UNSPEC, .ifi_index = index,
				.ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	nl_req r;

	req_init(&r, RTM_NEWLINK, 0, &im, sizeof(im));
	return nl_talk(&r);
}

/* VETH (mtu 1400, veth_mac, multicast) with PEER, both up. */
static int make_veth(void)
{
	struct ifinfomsg im = { .ifi_family = AF_UNSPEC };
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	uint32_t mtu = 1400;
	size_t info, data, p;
	nl_req r;
	int rc;

	req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &im, sizeof(im));
	attr_put(&r, IFLA_IFNAME, VETH, sizeof(VETH));
	attr_put(&r, IFLA_MTU, &mtu, sizeof(mtu));
	attr_put(&r, IFLA_ADDRESS, veth_mac, sizeof(veth_mac));
	info = attr_open(&r, IFLA_LINKINFO);
	attr_put(&r, IFLA_INFO_KIND, "veth", sizeof("veth"));
	data = attr_open(&r, IFLA_INFO_DATA);
	p = attr_open(&r, VETH_INFO_PEER);
	req_put(&r, &peer, sizeof(peer));
	attr_put(&r, IFLA_IFNAME, PEER, sizeof(PEER));
	attr_close(&r, p);
	attr_close(&r, data);
	attr_close(&r, info);
	rc = nl_talk(&r);
	if (rc)
		return rc;
	rc = set_up((int)if_nametoindex(VETH));
	return rc ? rc : set_up((int)if_nametoindex(PEER));
}

/* Add @local (and @peer, for a point-to-point address) to @index. */
static int add_addr(int index, int family, const char *local, const char *peer, int prefix)
{
	struct ifaddrmsg am = { .ifa_family = (uint8_t)family, .ifa_prefixlen = (uint8_t)prefix,
				.ifa_index = (uint32_t)index };
	uint8_t a[16], b[16];
	size_t n = family == AF_INET ? 4 : 16;
	nl_req r;

	if (family == AF_INET6)
		am.ifa_flags = IFA_F_NODAD; /* usable at once */
	inet_pton(family, local, a);
	inet_pton(family, peer ? peer : local, b);
	req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &am, sizeof(am));
	attr_put(&r, IFA_LOCAL, a, n);
	attr_put(&r, IFA_ADDRESS, b, n);
	return nl_talk(&r);
}

typedef struct ns_env {
	int veth; /* index of VETH */
	int peer; /* index of PEER */
} ns_env;

#define SKIP 77

/* Child-side check: print where and why, and fail the child. */
#define EXPECT(cond, ...)                                                  \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);    \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			return 1;                                          \
		}                                                          \
	} while (0)

static int ns_setup(ns_env *env)
{
	int rc;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("test_interface: skipped: network namespace: %s\n", strerror(errno));
		return SKIP;
	}
	rc = make_veth();
	if (rc) {
		printf("test_interface: skipped: veth: %s\n", strerror(-rc));
		return SKIP;
	}
	env->veth = (int)if_nametoindex(VETH);
	env->peer = (int)if_nametoindex(PEER);
	EXPECT(env->veth > 0 && env->peer > 0, "veth pair has no index");
	rc = add_addr(env->veth, AF_INET, "192.0.2.1", NULL, 24);
	EXPECT(rc == 0, "add 192.0.2.1/24: %s", strerror(-rc));
	rc = add_addr(env->veth, AF_INET, "198.51.100.1", "198.51.100.2", 32);
	EXPECT(rc == 0, "add 198.51.100.1 peer 198.51.100.2: %s", strerror(-rc));
	rc = add_addr(env->veth, AF_INET6, "2001:db8::1", NULL, 64);
	EXPECT(rc == 0, "add 2001:db8::1/64: %s", strerror(-rc));
	return 0;
}

typedef int (*ns_fn)(const ns_env *env);

static int ns_child(ns_fn fn)
{
	ns_env env;
	int rc = ns_setup(&env), fds;

	if (rc)
		return rc;
	/* The parent's fixture cannot see this process: count here. */
	fds = tu_count_fds();
	rc = fn(&env);
	EXPECT(rc != 0 || tu_count_fds() == fds, "fd leak: %d fds before, %d after", fds,
	       tu_count_fds());
	return rc;
}

static void run_in_netns(const char *name, ns_fn fn)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int rc = ns_child(fn);

		fflush(stdout);
		_exit(rc);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIP)
		return;
	ck_assert_msg(WEXITSTATUS(status) == 0, "%s: the namespace child failed (see stderr)",
		      name);
}

/* The link turns RUNNING once the kernel's linkwatch has seen the carrier. */
static int wait_running(int index, rn_interface *ifi)
{
	struct timespec ms = { 0, 20 * 1000 * 1000 };
	int rc = 0;

	for (int i = 0; i < 250; i++) {
		rc = rn_interface_by_index(index, ifi);
		if (rc || (ifi->flags & RN_FLAG_RUNNING))
			return rc;
		nanosleep(&ms, NULL);
	}
	return rc;
}

static int veth_link(const ns_env *env)
{
	rn_interface ifi, byname;
	char hw[RN_HWADDR_STRLEN];

	EXPECT(wait_running(env->veth, &ifi) == 0, "InterfaceByIndex: %s", last_error());
	EXPECT(!strcmp(ifi.name, VETH), "name %s", ifi.name);
	EXPECT(ifi.index == env->veth, "index %d, want %d", ifi.index, env->veth);
	EXPECT(ifi.mtu == 1400, "mtu %d", ifi.mtu);
	rn_hwaddr_string(&ifi.hardware_addr, hw, sizeof(hw));
	EXPECT(!strcmp(hw, "02:00:5e:00:53:01"), "hardware address %s", hw);
	EXPECT(!strcmp(flags_str(ifi.flags), "up|broadcast|multicast|running"), "flags %s",
	       flags_str(ifi.flags));
	EXPECT(rn_interface_by_name(VETH, &byname) == 0, "InterfaceByName: %s", last_error());
	EXPECT(byname.index == ifi.index && byname.mtu == ifi.mtu && byname.flags == ifi.flags &&
	       tu_hw_same(&byname.hardware_addr, &ifi.hardware_addr), "ByName differs from ByIndex");
	return 0;
}

START_TEST(test_ns_veth_link)
{
	run_in_netns("veth link", veth_link);
}
END_TEST

static int all_links(const ns_env *env)
{
	rn_interface_list l = { 0 };
	bool lo = false, veth = false, peer = false;

	/* Fallback tunnels (sit0, ...) may appear too when their modules are loaded. */
	EXPECT(rn_interfaces(&l) == 0, "Interfaces: %s", last_error());
	for (size_t i = 0; i < l.n; i++) {
		lo |= !strcmp(l.v[i].name, "lo");
		veth |= !strcmp(l.v[i].name, VETH) && l.v[i].index == env->veth;
		peer |= !strcmp(l.v[i].name, PEER) && l.v[i].index == env->peer;
	}
	rn_interface_list_free(&l);
	EXPECT(lo && veth && peer, "lo %d veth %d peer %d", lo, veth, peer);
	return 0;
}

START_TEST(test_ns_interfaces)
{
	run_in_netns("interfaces", all_links);
}
END_TEST

/* A fresh namespace's lo is down and has no address; Go shows just "loopback". */
static int lo_down(const ns_env *env)
{
	rn_interface lo;
	rn_addr_list l = { 0 };

	(void)env;
	EXPECT(rn_interface_by_name("lo", &lo) == 0, "InterfaceByName: %s", last_error());
	EXPECT(!strcmp(flags_str(lo.flags), "loopback"), "flags %s", flags_str(lo.flags));
	EXPECT(lo.mtu == 65536, "mtu %d", lo.mtu);
	EXPECT(lo.hardware_addr.len == 0, "hardware address of %d bytes", lo.hardware_addr.len);
	EXPECT(rn_interface_addrs(&lo, &l) == 0, "Addrs: %s", last_error());
	EXPECT(l.n == 0, "%zu addresses on a down lo", l.n);
	return 0;
}

START_TEST(test_ns_lo_down)
{
	run_in_netns("lo down", lo_down);
}
END_TEST

static int veth_addrs(const ns_env *env)
{
	rn_interface ifi = { .index = env->veth }; /* the index is enough */
	rn_addr_list l = { 0 }, peer = { 0 };

	EXPECT(rn_interface_addrs(&ifi, &l) == 0, "Addrs: %s", last_error());
	EXPECT(has_ipnet(&l, "192.0.2.1/24", 16, 4), "no 192.0.2.1/24");
	/* A point-to-point address shows its local end (IFA_LOCAL), as in Go. */
	EXPECT(has_ipnet(&l, "198.51.100.1/32", 16, 4), "no 198.51.100.1/32");
	EXPECT(!has_ipnet(&l, "198.51.100.2/32", 16, 4), "the peer's address is listed");
	EXPECT(has_ipnet(&l, "2001:db8::1/64", 16, 16), "no 2001:db8::1/64");
	ifi.index = env->peer;
	EXPECT(rn_interface_addrs(&ifi, &peer) == 0, "Addrs: %s", last_error());
	EXPECT(!has_ipnet(&peer, "192.0.2.1/24", 16, 4), "veth's address on its peer");
	rn_addr_list_free(&peer);
	rn_addr_list_free(&l);
	return 0;
}

START_TEST(test_ns_veth_addrs)
{
	run_in_netns("veth addrs", veth_addrs);
}
END_TEST

static int all_addrs(const ns_env *env)
{
	rn_interface ifi = { .index = env->veth };
	rn_addr_list all = { 0 }, l = { 0 };
	char s[RN_IPNET_STRLEN];

	EXPECT(rn_interface_addrs(NULL, &all) == 0, "InterfaceAddrs: %s", last_error());
	EXPECT(rn_interface_addrs(&ifi, &l) == 0, "Addrs: %s", last_error());
	EXPECT(l.n >= 3 && all.n >= l.n, "%zu addresses in all, %zu on veth", all.n, l.n);
	for (size_t i = 0; i < l.n; i++) {
		rn_ipnet_string(&l.v[i].u.ipnet, s, sizeof(s));
		EXPECT(has_ipnet(&all, s, l.v[i].u.ipnet.ip.len, l.v[i].u.ipnet.mask.len),
		       "%s missing from InterfaceAddrs", s);
	}
	rn_addr_list_free(&l);
	rn_addr_list_free(&all);
	return 0;
}

START_TEST(test_ns_interface_addrs)
{
	run_in_netns("interface addrs", all_addrs);
}
END_TEST

/* Join @group4 and @group6 on @index from plain sockets; returns the fds. */
static int join(int index, const char *group4, const char *group6, int fds[2])
{
	struct ip_mreqn m4 = { .imr_ifindex = index };
	struct ipv6_mreq m6 = { .ipv6mr_interface = (unsigned)index };

	fds[0] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	fds[1] = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, group4, &m4.imr_multiaddr);
	inet_pton(AF_INET6, group6, &m6.ipv6mr_multiaddr);
	if (fds[0] < 0 || fds[1] < 0 ||
	    setsockopt(fds[0], IPPROTO_IP, IP_ADD_MEMBERSHIP, &m4, sizeof(m4)) < 0 ||
	    setsockopt(fds[1], IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m6, sizeof(m6)) < 0)
		return -errno;
	return 0;
}

static int groups(const ns_env *env)
{
	rn_interface ifi, byindex = { .index = env->veth };
	rn_addr_list l = { 0 }, peer = { 0 };
	int fds[2], rc;

	EXPECT(rn_interface_by_index(env->veth, &ifi) == 0, "InterfaceByIndex: %s", last_error());
	rc = join(env->veth, "239.1.2.3", "ff15::1234", fds);
	EXPECT(rc == 0, "join: %s", strerror(-rc));
	EXPECT(rn_interface_multicast_addrs(&ifi, &l) == 0, "MulticastAddrs: %s", last_error());
	EXPECT(has_group(&l, "239.1.2.3"), "239.1.2.3 not listed");
	EXPECT(has_group(&l, "224.0.0.1"), "224.0.0.1 (all hosts) not listed");
	EXPECT(has_group(&l, "ff15::1234"), "ff15::1234 not listed");
	EXPECT(has_group(&l, "ff02::1"), "ff02::1 (all nodes) not listed");
	rn_addr_list_free(&l);

	/* Given by index alone, the interface is looked up by name. */
	EXPECT(rn_interface_multicast_addrs(&byindex, &l) == 0, "MulticastAddrs: %s",
	       last_error());
	EXPECT(has_group(&l, "239.1.2.3") && has_group(&l, "ff15::1234"), "by index: not listed");
	rn_addr_list_free(&l);

	ifi.index = env->peer;
	snprintf(ifi.name, sizeof(ifi.name), "%s", PEER);
	EXPECT(rn_interface_multicast_addrs(&ifi, &peer) == 0, "MulticastAddrs: %s",
	       last_error());
	EXPECT(!has_group(&peer, "239.1.2.3") && !has_group(&peer, "ff15::1234"),
	       "groups of veth listed on its peer");
	rn_addr_list_free(&peer);

	/* Closing the sockets leaves the groups. */
	close(fds[0]);
	close(fds[1]);
	EXPECT(rn_interface_multicast_addrs(&byindex, &l) == 0, "MulticastAddrs: %s",
	       last_error());
	EXPECT(!has_group(&l, "239.1.2.3"), "239.1.2.3 still listed after leaving");
	rn_addr_list_free(&l);
	return 0;
}

START_TEST(test_ns_multicast_addrs)
{
	run_in_netns("multicast addrs", groups);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("interface");
	TCase *tc = tu_tcase("flags");

	tcase_add_test(tc, test_flags_string_combinations);
	tcase_add_test(tc, test_flags_string_snprintf);
	suite_add_tcase(s, tc);

	tc = tu_tcase("lo");
	tcase_add_test(tc, test_lo_by_name);
	tcase_add_test(tc, test_lo_by_index);
	tcase_add_test(tc, test_interfaces_lists_each_link_once);
	tcase_add_test(tc, test_lo_addrs);
	tcase_add_test(tc, test_interface_addrs_includes_lo);
	tcase_add_test(tc, test_addrs_of_index_zero_is_empty);
	suite_add_tcase(s, tc);

	tc = tu_tcase("errors");
	tcase_add_test(tc, test_unknown_name);
	tcase_add_test(tc, test_empty_name);
	tcase_add_test(tc, test_invalid_index);
	tcase_add_test(tc, test_unknown_index);
	tcase_add_test(tc, test_multicast_addrs_of_null_interface);
	tcase_add_test(tc, test_null_outputs);
	suite_add_tcase(s, tc);

	tc = tu_tcase("namespace");
	tcase_add_test(tc, test_ns_veth_link);
	tcase_add_test(tc, test_ns_interfaces);
	tcase_add_test(tc, test_ns_lo_down);
	tcase_add_test(tc, test_ns_veth_addrs);
	tcase_add_test(tc, test_ns_interface_addrs);
	tcase_add_test(tc, test_ns_multicast_addrs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
