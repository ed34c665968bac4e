/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/net_iface.h - Go's net.Interface and its Flags.  The type comes
 * first because ListenMulticastUDP takes one; Interfaces(), InterfaceByName
 * and friends arrive with the ipv4 issue.  Fill in at least the index (for
 * example from if_nametoindex(3)) to name an interface.
 *
 * Included by <ringnet/net.h>; do not include directly.
 */
#ifndef RINGNET_NET_IFACE_H
#define RINGNET_NET_IFACE_H

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

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_NET_IFACE_H */
