/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/net_ip.h - Go's IP, IPMask, IPNet and HardwareAddr as value types.
 *
 * Go's IP is a byte slice; here it is a length (0 = nil, 4, 16, or any other
 * length up to 16 for the "invalid IP" cases Go also represents) and inline
 * bytes.  Values hold no heap memory and are copied freely.  Functions that
 * produce text follow snprintf: they return the full length and always
 * terminate the output when size > 0.
 *
 * Included by <ringnet/net.h>; do not include directly.
 */
#ifndef RINGNET_NET_IP_H
#define RINGNET_NET_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RN_IPV4LEN 4
#define RN_IPV6LEN 16
#define RN_HWADDR_MAX 32 /* the kernel's MAX_ADDR_LEN */

/* Buffer sizes that always suffice for the text forms below. */
#define RN_IP_STRLEN 48	    /* IP.String incl. NUL */
#define RN_IPNET_STRLEN 96  /* IPNet.String incl. NUL */
#define RN_HWADDR_STRLEN 96 /* HardwareAddr.String incl. NUL */

/* net.IP: len 0 is Go's nil IP. */
typedef struct rn_ip {
	uint8_t len;
	uint8_t b[RN_IPV6LEN];
} rn_ip;

/* net.IPMask: len 0 is Go's nil mask. */
typedef struct rn_ipmask {
	uint8_t len;
	uint8_t b[RN_IPV6LEN];
} rn_ipmask;

/* net.IPNet. */
typedef struct rn_ipnet {
	rn_ip ip;	/* network number */
	rn_ipmask mask; /* network mask */
} rn_ipnet;

/* net.HardwareAddr: len 0 is Go's nil address. */
typedef struct rn_hwaddr {
	uint8_t len;
	uint8_t b[RN_HWADDR_MAX];
} rn_hwaddr;

/* The well-known addresses (Go's IPv4bcast, IPv6loopback, ...). */
extern const rn_ip rn_ipv4bcast;		/* 255.255.255.255, 16-byte form */
extern const rn_ip rn_ipv4allsys;		/* 224.0.0.1 */
extern const rn_ip rn_ipv4allrouter;		/* 224.0.0.2 */
extern const rn_ip rn_ipv4zero;			/* 0.0.0.0 */
extern const rn_ip rn_ipv6zero;			/* :: */
extern const rn_ip rn_ipv6unspecified;		/* :: */
extern const rn_ip rn_ipv6loopback;		/* ::1 */
extern const rn_ip rn_ipv6interfacelocalallnodes; /* ff01::1 */
extern const rn_ip rn_ipv6linklocalallnodes;	/* ff02::1 */
extern const rn_ip rn_ipv6linklocalallrouters;	/* ff02::2 */

/* ---- IP ---------------------------------------------------------------- */

/** rn_ipv4 - IPv4(a, b, c, d): the 16-byte form of a.b.c.d. */
rn_ip rn_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);

/**
 * rn_ip_from_bytes - an IP holding the @n bytes at @p (Go's IP(p)).
 *
 * Returns 0, or -EINVAL (with rn_last_error set) when @n > 16 or @p is NULL
 * with @n > 0; @out is then set to nil.
 */
int rn_ip_from_bytes(rn_ip *out, const void *p, size_t n);

/**
 * rn_parse_ip - ParseIP: dotted IPv4, IPv6, or IPv4-mapped IPv6 text.
 *
 * Returns the 16-byte form, or nil (len 0) for anything else, including
 * NULL, zones ("fe80::1%lo0"), IPv4 fields with leading zeros, and IPv6
 * groups of more than four hex digits (as current Go; Go 1.19 took them).
 */
rn_ip rn_parse_ip(const char *s);

/** rn_ip_to4 - To4: the 4-byte form of an IPv4 address, else nil. */
rn_ip rn_ip_to4(rn_ip ip);

/** rn_ip_to16 - To16: the 16-byte form, or nil for a wrong length. */
rn_ip rn_ip_to16(rn_ip ip);

/** rn_ip_equal - Equal: a 4-byte and a 16-byte form of one IPv4 are equal. */
bool rn_ip_equal(rn_ip ip, rn_ip x);

/** rn_ip_is_nil - whether @ip is Go's nil IP (len 0). */
static inline bool rn_ip_is_nil(rn_ip ip) { return ip.len == 0; }

bool rn_ip_is_unspecified(rn_ip ip);		 /* 0.0.0.0 or :: */
bool rn_ip_is_loopback(rn_ip ip);		 /* 127/8 or ::1 */
bool rn_ip_is_private(rn_ip ip);		 /* RFC 1918, RFC 4193 */
bool rn_ip_is_multicast(rn_ip ip);		 /* 224/4 or ff00::/8 */
bool rn_ip_is_interface_local_multicast(rn_ip ip); /* ff01::/16 */
bool rn_ip_is_link_local_multicast(rn_ip ip);	 /* 224.0.0/24 or ff02::/16 */
bool rn_ip_is_link_local_unicast(rn_ip ip);	 /* 169.254/16 or fe80::/10 */
bool rn_ip_is_global_unicast(rn_ip ip);		 /* none of the above, nor broadcast */

/** rn_ip_default_mask - DefaultMask: the class A/B/C mask, nil if not IPv4. */
rn_ipmask rn_ip_default_mask(rn_ip ip);

/** rn_ip_mask - Mask: @ip masked with @mask; nil when the lengths disagree. */
rn_ip rn_ip_mask(rn_ip ip, rn_ipmask mask);

/**
 * rn_ip_string - String: "192.0.2.1", "2001:db8::1", "<nil>", or "?" and
 * the hex bytes for a length other than 4 and 16.  snprintf semantics.
 */
int rn_ip_string(rn_ip ip, char *buf, size_t size);

/**
 * rn_ip_marshal_text - MarshalText: as String, but "" for nil and RN_EADDR
 * (AddrError "invalid IP address") for a length other than 0, 4 and 16.
 * snprintf semantics on success.
 */
int rn_ip_marshal_text(rn_ip ip, char *buf, size_t size);

/**
 * rn_ip_unmarshal_text - UnmarshalText: empty text gives nil and 0; text
 * ParseIP rejects gives RN_EPARSE (ParseError "IP address") and leaves @ip
 * unchanged.  @text need not be NUL-terminated.
 */
int rn_ip_unmarshal_text(rn_ip *ip, const void *text, size_t n);

/* ---- IPMask ------------------------------------------------------------ */

/** rn_cidr_mask - CIDRMask: @ones 1-bits of @bits (32 or 128), else nil. */
rn_ipmask rn_cidr_mask(int ones, int bits);

/** rn_ipv4_mask - IPv4Mask: the 4-byte mask a.b.c.d. */
rn_ipmask rn_ipv4_mask(uint8_t a, uint8_t b, uint8_t c, uint8_t d);

/**
 * rn_ipmask_from_bytes - a mask holding the @n bytes at @p.
 * Returns 0, or -EINVAL when @n > 16 (and @out is nil).
 */
int rn_ipmask_from_bytes(rn_ipmask *out, const void *p, size_t n);

/**
 * rn_ipmask_size - Size: leading ones and total bits; 0, 0 when the mask is
 * not ones followed by zeros.  Either pointer may be NULL.
 */
void rn_ipmask_size(rn_ipmask m, int *ones, int *bits);

/** rn_ipmask_string - String: lowercase hex, "<nil>" for nil.  snprintf. */
int rn_ipmask_string(rn_ipmask m, char *buf, size_t size);

/* ---- IPNet ------------------------------------------------------------- */

/** rn_ipnet_contains - Contains: whether @n includes @ip (false if @n NULL). */
bool rn_ipnet_contains(const rn_ipnet *n, rn_ip ip);

/** rn_ipnet_network - Network: "ip+net". */
const char *rn_ipnet_network(const rn_ipnet *n);

/**
 * rn_ipnet_string - String: "192.0.2.0/24", "198.51.100.0/c000ff00" for a
 * non-canonical mask, "<nil>" for NULL or an invalid pairing.  snprintf.
 */
int rn_ipnet_string(const rn_ipnet *n, char *buf, size_t size);

/**
 * rn_parse_cidr - ParseCIDR: "192.0.2.1/24" gives @ip 192.0.2.1 (16-byte)
 * and @net 192.0.2.0/24 (4-byte IP and mask for IPv4).
 *
 * Either output may be NULL.  Returns 0, or RN_EPARSE (ParseError
 * "CIDR address") with both outputs nil.
 */
int rn_parse_cidr(const char *s, rn_ip *ip, rn_ipnet *net);

/* ---- HardwareAddr ------------------------------------------------------ */

/**
 * rn_parse_mac - ParseMAC: MAC-48, EUI-48, EUI-64 or 20-octet InfiniBand in
 * colon, hyphen or dot form.  Returns 0, or RN_EADDR (AddrError
 * "invalid MAC address") with @hw nil.
 */
int rn_parse_mac(const char *s, rn_hwaddr *hw);

/** rn_hwaddr_string - String: "00:00:5e:00:53:01", "" for nil.  snprintf. */
int rn_hwaddr_string(const rn_hwaddr *hw, char *buf, size_t size);

/* ---- host:port --------------------------------------------------------- */

/**
 * rn_split_host_port - SplitHostPort: "host:port", "[host]:port",
 * "[host%zone]:port" into host (or host%zone) and port.
 *
 * @host and @port receive NUL-terminated copies; buffers of
 * strlen(@hostport) + 1 bytes always suffice.  Either output may be NULL
 * (with any size) to skip it.  Returns 0; RN_EADDR (Go's AddrError:
 * "missing port in address", "too many colons in address", ...) with both
 * outputs set to ""; -ENOSPC when a buffer is too small (the outputs are
 * then ""); -EINVAL for a NULL @hostport or a non-NULL output of size 0
 * (nothing is written then).
 */
int rn_split_host_port(const char *hostport, char *host, size_t host_size,
		       char *port, size_t port_size);

/**
 * rn_join_host_port - JoinHostPort: "host:port", or "[host]:port" when host
 * contains a colon.  snprintf semantics; -EINVAL for NULL inputs.
 */
int rn_join_host_port(const char *host, const char *port, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_NET_IP_H */
