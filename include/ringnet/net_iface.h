/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/net_iface.h - Go's net.Interface, its Flags, and the interface
 * and address tables, read from the kernel over rtnetlink.  A call that
 * takes an interface needs at least its index filled in.
 *
 * Included by <ringnet/net.h>; do not include directly.
 */
#ifndef RINGNET_NET_IFACE_H
#define RINGNET_NET_IFACE_H

#include <stddef.h>

#include <ringnet/net_addr.h>
#include <ringnet/net_ip.h>

#ifdef __cplusplus
extern "C" {
#endif

/* net.Flags. */
enum {
	RN_FLAG_UP = 1u << 0,		 /* administratively up */
	RN_FLAG_BROADCAST = 1u << 1,	 /* supports broadcast */
	RN_FLAG_LOOPBACK = 1u << 2,	 /* a loopback interface */
	RN_FLAG_POINT_TO_POINT = 1u << 3, /* a point-to-point link */
	RN_FLAG_MULTICAST = 1u << 4,	 /* supports multicast */
	RN_FLAG_RUNNING = 1u << 5	 /* operationally up */
};

/* net.Interface. */
typedef struct rn_interface {
	int index;		/* positive; 0 is never an interface */
	int mtu;
	char name[16];		/* IF_NAMESIZE */
	rn_hwaddr hardware_addr;
	unsigned flags;		/* RN_FLAG_* */
} rn_interface;

#define RN_FLAGS_STRLEN 64 /* Flags.String incl. NUL always fits */

/**
 * rn_flags_string - Flags.String: "up|broadcast|multicast|running", "0"
 * when none is set.  snprintf semantics.
 */
int rn_flags_string(unsigned flags, char *buf, size_t size);

/* A list returned by the calls below; free it with its rn_*_list_free. */
typedef struct rn_interface_list {
	rn_interface *v;
	size_t n;
} rn_interface_list;

typedef struct rn_addr_list {
	rn_addr *v;	/* RN_ADDR_IPNET for unicast, RN_ADDR_IP for multicast */
	size_t n;
} rn_addr_list;

/** rn_interface_list_free - free @l's memory and empty it; NULL is ignored. */
void rn_interface_list_free(rn_interface_list *l);
/** rn_addr_list_free - free @l's memory and empty it; NULL is ignored. */
void rn_addr_list_free(rn_addr_list *l);

/**
 * rn_interfaces - Interfaces: the system's network interfaces, by index.
 * Returns 0 with *@out filled (free with rn_interface_list_free), or a
 * negative code recorded as Go's OpError "route ip+net" (-errno).
 */
int rn_interfaces(rn_interface_list *out);

/**
 * rn_interface_by_index - InterfaceByIndex.  Returns 0, or RN_EINVALIDIFACE
 * ("invalid network interface index") for @index <= 0, RN_ENOIFACE ("no
 * such network interface") when there is none; both inside an OpError
 * "route ip+net".
 */
int rn_interface_by_index(int index, rn_interface *out);

/**
 * rn_interface_by_name - InterfaceByName.  Returns 0, or RN_EINVALIDIFACE
 * ("invalid network interface name") for an empty @name, RN_ENOIFACE when
 * there is none; both inside an OpError "route ip+net".
 */
int rn_interface_by_name(const char *name, rn_interface *out);

/**
 * rn_interface_addrs - Interface.Addrs for @ifi, or InterfaceAddrs (every
 * interface's) when @ifi is NULL: unicast addresses as RN_ADDR_IPNET
 * (address and prefix).  Returns 0 with *@out filled, or an OpError
 * "route ip+net" code.
 */
int rn_interface_addrs(const rn_interface *ifi, rn_addr_list *out);

/**
 * rn_interface_multicast_addrs - Interface.MulticastAddrs: the groups @ifi
 * has joined, IPv4 and IPv6, as RN_ADDR_IP.  -EINVAL for a NULL @ifi.
 */
int rn_interface_multicast_addrs(const rn_interface *ifi, rn_addr_list *out);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_NET_IFACE_H */
