/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/net.h - Go's net package: addresses, errors, time and contexts.
 *
 * Names map mechanically from Go (net.ParseIP -> rn_parse_ip, IP.To4 ->
 * rn_ip_to4); see docs/API.md in the source tree for the conventions.
 */
#ifndef RINGNET_NET_H
#define RINGNET_NET_H

#include <ringnet/net_ip.h>
#include <ringnet/net_addr.h>
#include <ringnet/net_errors.h>
#include <ringnet/net_time.h>
#include <ringnet/net_iface.h>
#include <ringnet/net_conn.h>

#endif /* RINGNET_NET_H */
