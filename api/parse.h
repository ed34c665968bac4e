/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/parse.h - small text helpers shared by the address parsers, the
 * equivalents of Go's unexported dtoi, xtoi, parsePort and friends.
 * Internal: not installed, symbols are rni_*.
 */
#ifndef RINGNET_API_PARSE_H
#define RINGNET_API_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <ringnet/net.h>

/* Go's "big": dtoi and xtoi saturate here. */
#define RNI_BIG 0xFFFFFF

/*
 * rni_dtoi - Go's dtoi: decimal from the start of s[0..len).  Sets *n
 * (saturating at RNI_BIG) and *consumed; returns ok (false when no digit was
 * read or the value reached RNI_BIG).
 */
bool rni_dtoi(const char *s, size_t len, int *n, size_t *consumed);

/* rni_xtoi - Go's xtoi: the same for hexadecimal. */
bool rni_xtoi(const char *s, size_t len, int *n, size_t *consumed);

/* rni_hexval - the value of one hex digit (either case), -1 for any other byte. */
int rni_hexval(char c);

/*
 * rni_parse_port - Go's parsePort: a decimal service (optional sign,
 * saturating at +/-(1<<30)) sets *port and returns false; anything else
 * returns true ("needs lookup") with *port 0.  "" is port 0.
 */
bool rni_parse_port(const char *service, int *port);

/* rni_ip_version - Go's ipVersion: '4' or '6' for a name ending so, else 0. */
int rni_ip_version(const char *network);

/*
 * rni_network_number_and_mask - Go's networkNumberAndMask: the normalised
 * (ip, mask) of @n (IPv4 addresses as 4 bytes).  Returns false, with both
 * outputs nil, for an invalid pairing.
 */
bool rni_network_number_and_mask(const rn_ipnet *n, rn_ip *ip, rn_ipmask *mask);

/*
 * rni_parse_ipv4 / rni_parse_ipv6 - the two literal parsers behind ParseIP,
 * on s[0..len).  Both return the 16-byte form, nil on failure.
 */
rn_ip rni_parse_ipv4(const char *s, size_t len);
rn_ip rni_parse_ipv6(const char *s, size_t len);

/*
 * rni_parse_ip_zone - Go's parseIPZone: an IP literal with an optional
 * "%zone" for IPv6.  The zone (possibly cut to fit) goes to @zone; returns
 * nil when @s is not a literal.  *zone_too_long is set when the zone did
 * not fit in RN_ZONE_MAX.
 */
rn_ip rni_parse_ip_zone(const char *s, char zone[RN_ZONE_MAX], bool *zone_too_long);

/*
 * RNI_LEN16 - a length field bounded to the 16 bytes a value can hold.  The
 * API never makes a longer one, but a caller's corrupt value must not make
 * us read past the array.
 */
#define RNI_LEN16(len) ((size_t)((len) > 16 ? 16 : (len)))

/* rni_lower - ASCII lowercase of one byte. */
static inline char rni_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

#endif /* RINGNET_API_PARSE_H */
