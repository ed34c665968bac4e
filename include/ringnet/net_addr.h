/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/net_addr.h - Go's endpoint addresses (TCPAddr, UDPAddr, IPAddr,
 * UnixAddr), network names, LookupPort and the Resolve*Addr functions.
 *
 * Addresses are value types with no heap memory.  A Go *TCPAddr that may be
 * nil is a `const rn_tcpaddr *` that may be NULL; Go's Addr interface is the
 * tagged rn_addr.
 *
 * Host names: until ringnet's own resolver arrives, a name resolves through
 * /etc/hosts and then the C library's getaddrinfo, as Go's "cgo" resolver
 * mode does (the lookup blocks the calling thread).  A name that does not
 * resolve fails with Go's DNSError "lookup NAME: no such host"
 * (RN_EDNS_NOTFOUND); names under .invalid fail without a query.
 *
 * Included by <ringnet/net.h>; do not include directly.
 */
#ifndef RINGNET_NET_ADDR_H
#define RINGNET_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ringnet/net_ip.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RN_ZONE_MAX 32	      /* IPv6 zone text incl. NUL */
#define RN_UNIX_NAME_MAX 512  /* Unix name incl. NUL; only 108 bytes fit sun_path */
#define RN_ADDR_STRLEN 160    /* TCPAddr/UDPAddr/IPAddr.String incl. NUL */

/* net.TCPAddr. */
typedef struct rn_tcpaddr {
	rn_ip ip;		/* nil = unspecified, any family */
	int port;
	char zone[RN_ZONE_MAX]; /* IPv6 scoped addressing zone, "" = none */
} rn_tcpaddr;

/* net.UDPAddr. */
typedef struct rn_udpaddr {
	rn_ip ip;
	int port;
	char zone[RN_ZONE_MAX];
} rn_udpaddr;

/* net.IPAddr. */
typedef struct rn_ipaddr {
	rn_ip ip;
	char zone[RN_ZONE_MAX];
} rn_ipaddr;

/* net.UnixAddr. */
typedef struct rn_unixaddr {
	char name[RN_UNIX_NAME_MAX]; /* path, or "@name" for the abstract namespace */
	char net[16];		     /* "unix", "unixgram" or "unixpacket" */
} rn_unixaddr;

/* netip.AddrPort: addr.len 0 = invalid, 4 = an IPv4 address, 16 = IPv6. */
typedef struct rn_addrport {
	rn_ip addr;
	uint16_t port;
	char zone[RN_ZONE_MAX]; /* only for IPv6 */
} rn_addrport;

/* net.Addr: which concrete address an rn_addr holds. */
typedef enum rn_addr_kind {
	RN_ADDR_NONE = 0, /* Go's nil Addr */
	RN_ADDR_TCP,
	RN_ADDR_UDP,
	RN_ADDR_IP,
	RN_ADDR_UNIX,
	RN_ADDR_IPNET,
	RN_ADDR_PIPE	  /* an end of a Pipe: Network and String are "pipe" */
} rn_addr_kind;

/* net.Addr. */
typedef struct rn_addr {
	rn_addr_kind kind;
	union {
		rn_tcpaddr tcp;
		rn_udpaddr udp;
		rn_ipaddr ip;
		rn_unixaddr un;
		rn_ipnet ipnet;
	} u;
} rn_addr;

/* ---- String and Network ------------------------------------------------- */

/** rn_tcpaddr_string - String: "1.2.3.4:80", "[::1%lo]:80", "<nil>" for NULL.  snprintf. */
int rn_tcpaddr_string(const rn_tcpaddr *a, char *buf, size_t size);
/** rn_udpaddr_string - as rn_tcpaddr_string. */
int rn_udpaddr_string(const rn_udpaddr *a, char *buf, size_t size);
/** rn_ipaddr_string - String: "1.2.3.4", "fe80::1%eth0", "<nil>" for NULL.  snprintf. */
int rn_ipaddr_string(const rn_ipaddr *a, char *buf, size_t size);
/** rn_unixaddr_string - String: the name, "<nil>" for NULL.  snprintf. */
int rn_unixaddr_string(const rn_unixaddr *a, char *buf, size_t size);
/** rn_addr_string - String of whichever address @a holds; "<nil>" for none.  snprintf. */
int rn_addr_string(const rn_addr *a, char *buf, size_t size);

/** rn_tcpaddr_network - Network: "tcp". */
const char *rn_tcpaddr_network(const rn_tcpaddr *a);
/** rn_udpaddr_network - Network: "udp". */
const char *rn_udpaddr_network(const rn_udpaddr *a);
/** rn_ipaddr_network - Network: "ip". */
const char *rn_ipaddr_network(const rn_ipaddr *a);
/** rn_unixaddr_network - Network: the address's net field ("unix", ...). */
const char *rn_unixaddr_network(const rn_unixaddr *a);
/** rn_addr_network - Network of whichever address @a holds; "" for none. */
const char *rn_addr_network(const rn_addr *a);

/* ---- rn_addr constructors ----------------------------------------------- */

rn_addr rn_addr_from_tcp(const rn_tcpaddr *a);	 /* NULL gives RN_ADDR_NONE */
rn_addr rn_addr_from_udp(const rn_udpaddr *a);
rn_addr rn_addr_from_ip(const rn_ipaddr *a);
rn_addr rn_addr_from_unix(const rn_unixaddr *a);
rn_addr rn_addr_from_ipnet(const rn_ipnet *n);

/* ---- netip.AddrPort equivalents ------------------------------------------ */

/**
 * rn_tcpaddr_addr_port - AddrPort: the address as a netip.AddrPort.  A
 * 16-byte IPv4 stays an IPv4-mapped IPv6 address, as in Go; the port is
 * truncated to 16 bits; NULL gives the invalid AddrPort.
 */
rn_addrport rn_tcpaddr_addr_port(const rn_tcpaddr *a);
/** rn_udpaddr_addr_port - as rn_tcpaddr_addr_port. */
rn_addrport rn_udpaddr_addr_port(const rn_udpaddr *a);
/** rn_tcpaddr_from_addr_port - TCPAddrFromAddrPort (invalid gives a nil IP). */
rn_tcpaddr rn_tcpaddr_from_addr_port(rn_addrport ap);
/** rn_udpaddr_from_addr_port - UDPAddrFromAddrPort. */
rn_udpaddr rn_udpaddr_from_addr_port(rn_addrport ap);
/**
 * rn_addrport_string - netip.AddrPort.String: "1.2.3.4:80",
 * "[::ffff:1.2.3.4]:80", "[fe80::1%eth0]:80", "invalid AddrPort".  snprintf.
 */
int rn_addrport_string(rn_addrport ap, char *buf, size_t size);

/* ---- struct sockaddr ---------------------------------------------------- */

/**
 * rn_tcpaddr_to_sockaddr - the address as a sockaddr for @family.
 * @family: AF_INET, AF_INET6, or 0 for the address's own family (AF_INET
 *          for an IPv4 address, AF_INET6 otherwise, including nil as "::")
 * @ss, @len: output
 *
 * As Go's ipToSockaddr: a nil IP is the wildcard of @family; AF_INET6
 * accepts IPv4 addresses in mapped form; the zone becomes the scope id (an
 * interface name, else a number, else 0).  Returns 0; RN_EADDR for an
 * address of the wrong family ("non-IPv4 address"); -EINVAL for a port
 * outside 0..65535 or NULL arguments; -EAFNOSUPPORT for another family.
 */
int rn_tcpaddr_to_sockaddr(const rn_tcpaddr *a, int family,
			   struct sockaddr_storage *ss, socklen_t *len);
/** rn_udpaddr_to_sockaddr - as rn_tcpaddr_to_sockaddr. */
int rn_udpaddr_to_sockaddr(const rn_udpaddr *a, int family,
			   struct sockaddr_storage *ss, socklen_t *len);
/** rn_ipaddr_to_sockaddr - as rn_tcpaddr_to_sockaddr, with port 0. */
int rn_ipaddr_to_sockaddr(const rn_ipaddr *a, int family,
			  struct sockaddr_storage *ss, socklen_t *len);
/**
 * rn_unixaddr_to_sockaddr - a sockaddr_un; "@name" becomes an abstract
 * address (leading NUL, no trailing NUL counted).  -EINVAL when the name
 * does not fit sun_path.
 */
int rn_unixaddr_to_sockaddr(const rn_unixaddr *a, struct sockaddr_storage *ss,
			    socklen_t *len);

/**
 * rn_tcpaddr_from_sockaddr - the TCPAddr of an AF_INET (4-byte IP) or
 * AF_INET6 (16-byte IP, zone from the scope id) sockaddr.
 * Returns 0, or -EINVAL for a short length or NULL, -EAFNOSUPPORT otherwise.
 */
int rn_tcpaddr_from_sockaddr(rn_tcpaddr *a, const struct sockaddr *sa, socklen_t len);
/** rn_udpaddr_from_sockaddr - as rn_tcpaddr_from_sockaddr. */
int rn_udpaddr_from_sockaddr(rn_udpaddr *a, const struct sockaddr *sa, socklen_t len);
/** rn_ipaddr_from_sockaddr - as rn_tcpaddr_from_sockaddr, ignoring the port. */
int rn_ipaddr_from_sockaddr(rn_ipaddr *a, const struct sockaddr *sa, socklen_t len);
/**
 * rn_unixaddr_from_sockaddr - the UnixAddr of an AF_UNIX sockaddr, with
 * @net as its network ("unix" if NULL); an abstract name gets a leading '@'.
 */
int rn_unixaddr_from_sockaddr(rn_unixaddr *a, const struct sockaddr *sa, socklen_t len,
			      const char *net);

/* ---- network names ------------------------------------------------------ */

/* A parsed network name ("tcp4", "ip4:icmp", "unixgram", ...). */
typedef struct rn_network {
	char afnet[16]; /* the name before any ':' ("tcp4", "ip4", "unixgram") */
	int proto;	/* IP protocol number for "ip*:" networks, else 0 */
	int version;	/* 4 or 6 when the name ends in that digit, else 0 */
} rn_network;

/**
 * rn_parse_network - Go's network-name parsing for Dial and Listen.
 * @needs_proto: an IP network must name a protocol ("ip4:icmp", "ip:1")
 *
 * Protocol names come from /etc/protocols (read once) with Go's built-in
 * table (icmp, igmp, tcp, udp, ipv6-icmp) taking precedence; matching is
 * case-insensitive.  Returns 0; RN_EUNKNOWNNET; or RN_EADDR ("unknown IP
 * protocol specified").
 */
int rn_parse_network(const char *network, bool needs_proto, rn_network *out);

/**
 * rn_lookup_protocol - the IP protocol number for a name ("icmp" -> 1).
 * Returns the number, or RN_EADDR ("unknown IP protocol specified").
 */
int rn_lookup_protocol(const char *name);

/**
 * rn_lookup_port - LookupPort: a decimal port or a service name for
 * @network (tcp, tcp4, tcp6, udp, udp4, udp6; "" is "ip").
 *
 * Service names come from /etc/services (read once) with Go's built-in
 * table beneath it; matching lowercases the name.  An empty service is port
 * 0.  Returns 0..65535, or RN_EADDR: "unknown network", "invalid port",
 * "unknown port".
 */
int rn_lookup_port(const char *network, const char *service);

/* ---- Resolve*Addr --------------------------------------------------------- */

/**
 * rn_resolve_tcp_addr - ResolveTCPAddr for "tcp", "tcp4", "tcp6" ("" is
 * "tcp") and an address "host:port" with a literal or named host (or none)
 * and a numeric or named port.  A name with several addresses gives one, as
 * Go picks it (the first IPv4, or the first IPv6 when the text has '[').
 *
 * Returns 0, or: RN_EUNKNOWNNET; RN_EADDR (SplitHostPort and LookupPort
 * errors, "no suitable address found"); a DNS error for a name that does
 * not resolve (RN_EDNS_NOTFOUND, RN_EDNS_TEMPORARY, RN_EDNS).
 */
int rn_resolve_tcp_addr(const char *network, const char *address, rn_tcpaddr *out);
/** rn_resolve_udp_addr - ResolveUDPAddr, as rn_resolve_tcp_addr. */
int rn_resolve_udp_addr(const char *network, const char *address, rn_udpaddr *out);
/**
 * rn_resolve_ip_addr - ResolveIPAddr for "ip", "ip4", "ip6", optionally
 * with ":proto" ("ip4:icmp"); the address is a host with no port.
 */
int rn_resolve_ip_addr(const char *network, const char *address, rn_ipaddr *out);
/**
 * rn_resolve_unix_addr - ResolveUnixAddr for "unix", "unixgram",
 * "unixpacket".  A name too long for sun_path (108 bytes) resolves, as in Go,
 * and fails at bind or connect ("bind: invalid argument").  Returns 0,
 * RN_EUNKNOWNNET, or -EINVAL for a name of RN_UNIX_NAME_MAX bytes or more.
 */
int rn_resolve_unix_addr(const char *network, const char *address, rn_unixaddr *out);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_NET_ADDR_H */
