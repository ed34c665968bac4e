/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/ipv4.h - golang.org/x/net/ipv4 on the engine: the IPv4 header,
 * control messages, ICMP filters, and the PacketConn and RawConn endpoints
 * with batched I/O and multicast.
 *
 * Mapping from Go: ipv4.NewConn(c).SetTOS(x) is rn_ipv4_conn_set_tos(c, x)
 * on any rn_conn (ipv4.Conn holds no state).  PacketConn and RawConn are
 * handles that own the rn_conn they wrap: Close closes it, free frees it.
 * Errors follow <ringnet/net.h>: a negative code, detail in rn_last_error().
 * Parsers of wire data never read outside the bytes they are given.
 */
#ifndef RINGNET_IPV4_H
#define RINGNET_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <ringnet/bpf.h>
#include <ringnet/net.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RN_IPV4_VERSION 4	 /* protocol version */
#define RN_IPV4_HEADER_LEN 20	 /* header length without options */
#define RN_IPV4_MAX_OPTIONS 40	 /* the most option bytes IHL can describe */
#define RN_IPV4_HEADER_STRLEN 192 /* Header.String incl. NUL always fits */
#define RN_IPV4_CONTROL_MESSAGE_STRLEN 128

/* ---- Header ------------------------------------------------------------- */

/* ipv4.HeaderFlags. */
enum {
	RN_IPV4_MORE_FRAGMENTS = 1 << 0, /* more fragments flag */
	RN_IPV4_DONT_FRAGMENT = 1 << 1	 /* don't fragment flag */
};

/* ipv4.Header.  Options are inline: options_len 0 is Go's nil Options. */
typedef struct rn_ipv4_header {
	int version;	  /* protocol version */
	int len;	  /* header length in bytes */
	int tos;	  /* type-of-service */
	int total_len;	  /* packet total length */
	int id;		  /* identification */
	int flags;	  /* RN_IPV4_MORE_FRAGMENTS | RN_IPV4_DONT_FRAGMENT */
	int frag_off;	  /* fragment offset */
	int ttl;	  /* time-to-live */
	int protocol;	  /* next protocol */
	int checksum;	  /* checksum */
	rn_ip src;	  /* source address (16-byte form after Parse) */
	rn_ip dst;	  /* destination address */
	size_t options_len;
	uint8_t options[RN_IPV4_MAX_OPTIONS];
} rn_ipv4_header;

/**
 * rn_ipv4_parse_header - ParseHeader: parse the IPv4 header at the start of
 * @b (@n bytes; the payload may follow, or be absent) into @h.
 *
 * Stricter than Go where Go would hand the kernel nonsense.  Returns 0, or:
 * -EINVAL for a NULL @h or @b ("nil header"); RN_EHEADERSHORT when @n < 20;
 * RN_EHEADERVERSION when the version is not 4; RN_EHEADERSHORT when IHL < 5;
 * RN_EEXTHEADERSHORT when IHL*4 runs past @n; RN_EHEADERTOTALLEN when
 * TotalLen is less than the header length.  TotalLen larger than @n is
 * accepted: @b may hold only the header.
 */
int rn_ipv4_parse_header(rn_ipv4_header *h, const void *b, size_t n);

/** rn_ipv4_header_parse - Header.Parse: the same as rn_ipv4_parse_header. */
int rn_ipv4_header_parse(rn_ipv4_header *h, const void *b, size_t n);

/**
 * rn_ipv4_header_marshal - Header.Marshal: the header in Linux wire order
 * (all fields big-endian), 20 + options_len bytes written to @buf.
 *
 * As in Go, h->len only has to be >= 20 (the written IHL comes from the
 * options), the checksum is written as given, and a nil src is zeros.
 * Returns the length written, or: -EINVAL for a NULL @h ("nil header");
 * RN_EHEADERSHORT when h->len < 20; RN_EHEADEROPTIONS when options_len is
 * over 40 or not a multiple of 4; RN_EMISSINGADDR when dst is not IPv4;
 * RN_ESHORTBUF when @size is too small (nothing written).
 */
ssize_t rn_ipv4_header_marshal(const rn_ipv4_header *h, void *buf, size_t size);

/**
 * rn_ipv4_header_string - Header.String: "ver=4 hdrlen=20 tos=0x1 ..." or
 * "<nil>" for NULL.  snprintf semantics.
 */
int rn_ipv4_header_string(const rn_ipv4_header *h, char *buf, size_t size);

/* ---- ControlMessage ------------------------------------------------------ */

/* ipv4.ControlFlags. */
enum {
	RN_IPV4_FLAG_TTL = 1 << 0,	 /* pass the TTL on the received packet */
	RN_IPV4_FLAG_SRC = 1 << 1,	 /* pass the source address on the received packet */
	RN_IPV4_FLAG_DST = 1 << 2,	 /* pass the destination address on the received packet */
	RN_IPV4_FLAG_INTERFACE = 1 << 3	 /* pass the interface index on the received packet */
};

/* ipv4.ControlMessage. */
typedef struct rn_ipv4_control_message {
	int ttl;	/* time-to-live, receiving only */
	rn_ip src;	/* source address, specifying only */
	rn_ip dst;	/* destination address, receiving only */
	int ifindex;	/* interface index; >= 1 when specifying */
} rn_ipv4_control_message;

/* Room that always suffices for what the kernel sends for all four flags. */
#define RN_IPV4_CONTROL_MESSAGE_SPACE 64

/**
 * rn_ipv4_new_control_message - NewControlMessage: zero the first N bytes of
 * @buf, where N is the space the control messages for flags @cf take, and
 * return N.  With @buf NULL and @size 0 just returns N.  RN_ESHORTBUF when
 * @size < N.
 */
ssize_t rn_ipv4_new_control_message(unsigned cf, void *buf, size_t size);

/**
 * rn_ipv4_control_message_marshal - ControlMessage.Marshal: an IP_PKTINFO
 * message when @cm has an IPv4 src or ifindex > 0, else nothing.  Returns
 * the bytes written (0 for a NULL @cm), or RN_ESHORTBUF.
 */
ssize_t rn_ipv4_control_message_marshal(const rn_ipv4_control_message *cm, void *buf,
					size_t size);

/**
 * rn_ipv4_control_message_parse - ControlMessage.Parse: fill @cm from the
 * control messages in @b (@n bytes, as recvmsg returns them).  IP_TTL is
 * read as the int the kernel sends; IP_PKTINFO gives dst (4-byte form) and
 * ifindex; messages of other levels and types are skipped.
 *
 * Returns 0, or RN_ECMSG when a message is cut short, claims a length
 * shorter than its header or beyond @n, or an IP_TTL / IP_PKTINFO payload
 * is not the size the kernel sends (the text says which).  -EINVAL for a
 * NULL @cm.
 */
int rn_ipv4_control_message_parse(rn_ipv4_control_message *cm, const void *b, size_t n);

/**
 * rn_ipv4_control_message_parse_flags - Parse, and then RN_ECTRUNC when
 * @msg_flags (a message's Flags) carry MSG_CTRUNC: the kernel cut the
 * control data and @cm holds only what arrived whole.
 */
int rn_ipv4_control_message_parse_flags(rn_ipv4_control_message *cm, const void *b, size_t n,
					int msg_flags);

/** rn_ipv4_control_message_string - "ttl=64 src=<nil> dst=... ifindex=1"; "<nil>" for NULL. */
int rn_ipv4_control_message_string(const rn_ipv4_control_message *cm, char *buf, size_t size);

/* ---- ICMP ------------------------------------------------------------------ */

/* ipv4.ICMPType values (IANA). */
enum {
	RN_IPV4_ICMP_TYPE_ECHO_REPLY = 0,
	RN_IPV4_ICMP_TYPE_DESTINATION_UNREACHABLE = 3,
	RN_IPV4_ICMP_TYPE_REDIRECT = 5,
	RN_IPV4_ICMP_TYPE_ECHO = 8,
	RN_IPV4_ICMP_TYPE_ROUTER_ADVERTISEMENT = 9,
	RN_IPV4_ICMP_TYPE_ROUTER_SOLICITATION = 10,
	RN_IPV4_ICMP_TYPE_TIME_EXCEEDED = 11,
	RN_IPV4_ICMP_TYPE_PARAMETER_PROBLEM = 12,
	RN_IPV4_ICMP_TYPE_TIMESTAMP = 13,
	RN_IPV4_ICMP_TYPE_TIMESTAMP_REPLY = 14,
	RN_IPV4_ICMP_TYPE_PHOTURIS = 40,
	RN_IPV4_ICMP_TYPE_EXTENDED_ECHO_REQUEST = 42,
	RN_IPV4_ICMP_TYPE_EXTENDED_ECHO_REPLY = 43
};

/** rn_ipv4_icmp_type_string - ICMPType.String: the IANA name, "<nil>" if none.  Static. */
const char *rn_ipv4_icmp_type_string(int typ);

/** rn_ipv4_icmp_type_protocol - ICMPType.Protocol: 1 (ICMPv4). */
int rn_ipv4_icmp_type_protocol(int typ);

/*
 * ipv4.ICMPFilter: the kernel's ICMP_FILTER bitmap, bit t set = type t is
 * blocked.  The kernel filters types 0..31 only; unlike Go, which aliases
 * type t to t & 31 (so Block(40) would block echo requests), ringnet
 * rejects types outside 0..31 in Accept and Block.
 */
typedef struct rn_ipv4_icmp_filter {
	uint32_t data;
} rn_ipv4_icmp_filter;

/** rn_ipv4_icmp_filter_accept - pass type @typ.  0, or -EINVAL when @typ is not in 0..31. */
int rn_ipv4_icmp_filter_accept(rn_ipv4_icmp_filter *f, int typ);
/** rn_ipv4_icmp_filter_block - drop type @typ.  0, or -EINVAL when @typ is not in 0..31. */
int rn_ipv4_icmp_filter_block(rn_ipv4_icmp_filter *f, int typ);
/** rn_ipv4_icmp_filter_set_all - block (@block) or pass every type. */
void rn_ipv4_icmp_filter_set_all(rn_ipv4_icmp_filter *f, bool block);
/** rn_ipv4_icmp_filter_will_block - whether the kernel drops @typ (never for types >= 32). */
bool rn_ipv4_icmp_filter_will_block(const rn_ipv4_icmp_filter *f, int typ);

/* ---- Conn: TOS and TTL on any IPv4 conn ------------------------------------ */

/** rn_ipv4_conn_tos - Conn.TOS: IP_TOS of @c, or a negative code. */
int rn_ipv4_conn_tos(rn_conn *c);
/** rn_ipv4_conn_set_tos - Conn.SetTOS. */
int rn_ipv4_conn_set_tos(rn_conn *c, int tos);
/** rn_ipv4_conn_ttl - Conn.TTL: IP_TTL of @c, or a negative code. */
int rn_ipv4_conn_ttl(rn_conn *c);
/** rn_ipv4_conn_set_ttl - Conn.SetTTL. */
int rn_ipv4_conn_set_ttl(rn_conn *c, int ttl);

/* ---- Message: one datagram of a batch ------------------------------------- */

/*
 * ipv4.Message.  The caller owns every buffer; nothing is allocated per
 * call.  A read fills addr (source), n, nn and flags; a write sends
 * buffers to addr (kind RN_ADDR_NONE on a connected conn) with oob as
 * control data, and fills n and nn.
 */
typedef struct rn_ipv4_message {
	struct iovec *buffers;	/* Buffers */
	int nbuffers;
	void *oob;		/* OOB: room for control data (read) or the data (write); may be NULL */
	size_t oob_len;
	rn_addr addr;		/* Addr */
	size_t n;		/* N: bytes read or written */
	size_t nn;		/* NN: control bytes read or written */
	int flags;		/* Flags: MSG_* of a received message (MSG_TRUNC, MSG_CTRUNC) */
} rn_ipv4_message;

/* The most messages one ReadBatch or WriteBatch moves; a longer array is served in part. */
#define RN_IPV4_BATCH_MAX 1024

/* ---- PacketConn ------------------------------------------------------------ */

typedef struct rn_ipv4_packetconn rn_ipv4_packetconn;

/**
 * rn_ipv4_new_packetconn - NewPacketConn over a UDP or IP packet conn.
 * Takes ownership of @c on success.  NULL with -EINVAL recorded when @c is
 * NULL or not a datagram/raw IP socket; -ENOMEM.
 */
rn_ipv4_packetconn *rn_ipv4_new_packetconn(rn_conn *c);
/** rn_ipv4_packetconn_conn - the conn underneath (still owned by @pc). */
rn_conn *rn_ipv4_packetconn_conn(rn_ipv4_packetconn *pc);
/** rn_ipv4_packetconn_close - Close: closes the conn; RN_ECLOSED the second time. */
int rn_ipv4_packetconn_close(rn_ipv4_packetconn *pc);
/** rn_ipv4_packetconn_free - close if open and free @pc and its conn. */
void rn_ipv4_packetconn_free(rn_ipv4_packetconn *pc);

/**
 * rn_ipv4_packetconn_set_control_message - SetControlMessage: ask the
 * kernel for (@on) or stop asking for the control data of flags @cf.
 */
int rn_ipv4_packetconn_set_control_message(rn_ipv4_packetconn *pc, unsigned cf, bool on);

/**
 * rn_ipv4_packetconn_read_from - ReadFrom: one datagram's payload into @b.
 * @cm (may be NULL) receives the control message (fields left zero that
 * the kernel did not send, or that MSG_CTRUNC cut); @src (may be NULL) the
 * sender.  On an IP conn the IPv4 header is stripped, as Go does.
 * Returns the bytes copied, or an OpError "read" code (RN_ETIMEOUT,
 * RN_ECLOSED, -errno).
 */
ssize_t rn_ipv4_packetconn_read_from(rn_ipv4_packetconn *pc, void *b, size_t n,
				     rn_ipv4_control_message *cm, rn_addr *src);

/**
 * rn_ipv4_packetconn_write_to - WriteTo: @n bytes of @b to @dst (NULL on
 * a connected conn) with @cm (may be NULL) choosing source and interface.
 * Returns the bytes written or an OpError "write" code.
 */
ssize_t rn_ipv4_packetconn_write_to(rn_ipv4_packetconn *pc, const void *b, size_t n,
				    const rn_ipv4_control_message *cm, const rn_addr *dst);

/**
 * rn_ipv4_packetconn_read_batch - ReadBatch: receive up to @n messages
 * (at most RN_IPV4_BATCH_MAX) with recv @flags (MSG_PEEK, ...).
 *
 * Blocks, under the read deadline, until at least one datagram is there,
 * then takes what else is queued without waiting: one engine submission of
 * linked RECVMSG entries.  On an IP conn the IPv4 header is kept.  Returns
 * the number of messages filled, or an OpError "read" code.
 */
int rn_ipv4_packetconn_read_batch(rn_ipv4_packetconn *pc, rn_ipv4_message *ms, int n, int flags);

/**
 * rn_ipv4_packetconn_write_batch - WriteBatch: send up to @n messages
 * (at most RN_IPV4_BATCH_MAX) in order with send @flags (MSG_DONTROUTE...).
 *
 * Waits, under the write deadline, for the first message to go; the rest go
 * while they can without waiting.  As sendmmsg: returns how many were sent
 * (fewer than @n when one failed or would block; call again for the rest),
 * and an error code only when none was.
 */
int rn_ipv4_packetconn_write_batch(rn_ipv4_packetconn *pc, rn_ipv4_message *ms, int n, int flags);

/** Deadlines: as rn_conn_set_deadline and friends on the conn underneath. */
int rn_ipv4_packetconn_set_deadline(rn_ipv4_packetconn *pc, rn_time t);
int rn_ipv4_packetconn_set_read_deadline(rn_ipv4_packetconn *pc, rn_time t);
int rn_ipv4_packetconn_set_write_deadline(rn_ipv4_packetconn *pc, rn_time t);

/** TOS and TTL: as rn_ipv4_conn_*. */
int rn_ipv4_packetconn_tos(rn_ipv4_packetconn *pc);
int rn_ipv4_packetconn_set_tos(rn_ipv4_packetconn *pc, int tos);
int rn_ipv4_packetconn_ttl(rn_ipv4_packetconn *pc);
int rn_ipv4_packetconn_set_ttl(rn_ipv4_packetconn *pc, int ttl);

/*
 * Multicast.  @ifi may be NULL (the kernel picks the interface); @group and
 * @source are IPv4 addresses in an rn_addr of kind UDP or IP (Go's
 * net.Addr).  Errors: RN_EMISSINGADDR for a group or source that is not
 * IPv4, -errno from the kernel (recorded as SyscallError "setsockopt").
 */
int rn_ipv4_packetconn_join_group(rn_ipv4_packetconn *pc, const rn_interface *ifi,
				  const rn_addr *group);
int rn_ipv4_packetconn_leave_group(rn_ipv4_packetconn *pc, const rn_interface *ifi,
				   const rn_addr *group);
int rn_ipv4_packetconn_join_source_specific_group(rn_ipv4_packetconn *pc, const rn_interface *ifi,
						  const rn_addr *group, const rn_addr *source);
int rn_ipv4_packetconn_leave_source_specific_group(rn_ipv4_packetconn *pc,
						   const rn_interface *ifi, const rn_addr *group,
						   const rn_addr *source);
int rn_ipv4_packetconn_exclude_source_specific_group(rn_ipv4_packetconn *pc,
						     const rn_interface *ifi, const rn_addr *group,
						     const rn_addr *source);
int rn_ipv4_packetconn_include_source_specific_group(rn_ipv4_packetconn *pc,
						     const rn_interface *ifi, const rn_addr *group,
						     const rn_addr *source);
/**
 * rn_ipv4_packetconn_multicast_interface - MulticastInterface: the interface
 * in *@ifi; index 0 (Go's nil) when none is set.
 */
int rn_ipv4_packetconn_multicast_interface(rn_ipv4_packetconn *pc, rn_interface *ifi);
/** rn_ipv4_packetconn_set_multicast_interface - NULL @ifi clears it. */
int rn_ipv4_packetconn_set_multicast_interface(rn_ipv4_packetconn *pc, const rn_interface *ifi);
/** rn_ipv4_packetconn_multicast_ttl - the TTL, or a negative code. */
int rn_ipv4_packetconn_multicast_ttl(rn_ipv4_packetconn *pc);
int rn_ipv4_packetconn_set_multicast_ttl(rn_ipv4_packetconn *pc, int ttl);
/** rn_ipv4_packetconn_multicast_loopback - 1 (on), 0 (off) or a negative code. */
int rn_ipv4_packetconn_multicast_loopback(rn_ipv4_packetconn *pc);
int rn_ipv4_packetconn_set_multicast_loopback(rn_ipv4_packetconn *pc, bool on);

/**
 * rn_ipv4_packetconn_set_bpf - SetBPF: attach the classic BPF program of
 * @n instructions (SO_ATTACH_FILTER).  -EINVAL from the kernel for a
 * program it refuses; @n of 0 is -EINVAL.
 */
int rn_ipv4_packetconn_set_bpf(rn_ipv4_packetconn *pc, const rn_bpf_raw_instruction *prog,
			       size_t n);

/**
 * ICMP filter on a raw ip4:icmp conn (ICMP_FILTER).  On any other conn the
 * kernel refuses: -EOPNOTSUPP on a raw socket of another protocol,
 * -ENOPROTOOPT on a UDP socket (SyscallError "getsockopt"/"setsockopt").
 */
int rn_ipv4_packetconn_icmp_filter(rn_ipv4_packetconn *pc, rn_ipv4_icmp_filter *f);
int rn_ipv4_packetconn_set_icmp_filter(rn_ipv4_packetconn *pc, const rn_ipv4_icmp_filter *f);

/* ---- RawConn ------------------------------------------------------------------ */

typedef struct rn_ipv4_rawconn rn_ipv4_rawconn;

/**
 * rn_ipv4_new_rawconn - NewRawConn over an "ip4:<proto>" conn: turns on
 * IP_HDRINCL.  Takes ownership of @c on success.  NULL with -EINVAL
 * recorded when @c is not an IPv4 raw socket; -errno from setsockopt.
 */
rn_ipv4_rawconn *rn_ipv4_new_rawconn(rn_conn *c);
rn_conn *rn_ipv4_rawconn_conn(rn_ipv4_rawconn *rc);
int rn_ipv4_rawconn_close(rn_ipv4_rawconn *rc);
void rn_ipv4_rawconn_free(rn_ipv4_rawconn *rc);
int rn_ipv4_rawconn_set_control_message(rn_ipv4_rawconn *rc, unsigned cf, bool on);

/**
 * rn_ipv4_rawconn_read_from - ReadFrom: one datagram into @b (@n bytes);
 * its header parsed into @h, *@p pointed at the payload inside @b, @cm
 * (may be NULL) filled.  Returns the payload length, or an OpError "read"
 * code; a datagram whose header does not parse gives that header error.
 */
ssize_t rn_ipv4_rawconn_read_from(rn_ipv4_rawconn *rc, void *b, size_t n, rn_ipv4_header *h,
				  void **p, rn_ipv4_control_message *cm);

/**
 * rn_ipv4_rawconn_write_to - WriteTo: the datagram @h + @p (@n bytes) with
 * @cm (may be NULL).  The kernel fills the ID and checksum when zero and
 * the source when nil.  h->dst names the destination.  Returns 0, or a
 * header error from marshalling, or an OpError "write" code.
 */
int rn_ipv4_rawconn_write_to(rn_ipv4_rawconn *rc, const rn_ipv4_header *h, const void *p,
			     size_t n, const rn_ipv4_control_message *cm);

int rn_ipv4_rawconn_read_batch(rn_ipv4_rawconn *rc, rn_ipv4_message *ms, int n, int flags);
int rn_ipv4_rawconn_write_batch(rn_ipv4_rawconn *rc, rn_ipv4_message *ms, int n, int flags);
int rn_ipv4_rawconn_set_deadline(rn_ipv4_rawconn *rc, rn_time t);
int rn_ipv4_rawconn_set_read_deadline(rn_ipv4_rawconn *rc, rn_time t);
int rn_ipv4_rawconn_set_write_deadline(rn_ipv4_rawconn *rc, rn_time t);
int rn_ipv4_rawconn_tos(rn_ipv4_rawconn *rc);
int rn_ipv4_rawconn_set_tos(rn_ipv4_rawconn *rc, int tos);
int rn_ipv4_rawconn_ttl(rn_ipv4_rawconn *rc);
int rn_ipv4_rawconn_set_ttl(rn_ipv4_rawconn *rc, int ttl);
int rn_ipv4_rawconn_join_group(rn_ipv4_rawconn *rc, const rn_interface *ifi, const rn_addr *group);
int rn_ipv4_rawconn_leave_group(rn_ipv4_rawconn *rc, const rn_interface *ifi,
				const rn_addr *group);
int rn_ipv4_rawconn_join_source_specific_group(rn_ipv4_rawconn *rc, const rn_interface *ifi,
					       const rn_addr *group, const rn_addr *source);
int rn_ipv4_rawconn_leave_source_specific_group(rn_ipv4_rawconn *rc, const rn_interface *ifi,
						const rn_addr *group, const rn_addr *source);
int rn_ipv4_rawconn_exclude_source_specific_group(rn_ipv4_rawconn *rc, const rn_interface *ifi,
						  const rn_addr *group, const rn_addr *source);
int rn_ipv4_rawconn_include_source_specific_group(rn_ipv4_rawconn *rc, const rn_interface *ifi,
						  const rn_addr *group, const rn_addr *source);
int rn_ipv4_rawconn_multicast_interface(rn_ipv4_rawconn *rc, rn_interface *ifi);
int rn_ipv4_rawconn_set_multicast_interface(rn_ipv4_rawconn *rc, const rn_interface *ifi);
int rn_ipv4_rawconn_multicast_ttl(rn_ipv4_rawconn *rc);
int rn_ipv4_rawconn_set_multicast_ttl(rn_ipv4_rawconn *rc, int ttl);
int rn_ipv4_rawconn_multicast_loopback(rn_ipv4_rawconn *rc);
int rn_ipv4_rawconn_set_multicast_loopback(rn_ipv4_rawconn *rc, bool on);
int rn_ipv4_rawconn_set_bpf(rn_ipv4_rawconn *rc, const rn_bpf_raw_instruction *prog, size_t n);
int rn_ipv4_rawconn_icmp_filter(rn_ipv4_rawconn *rc, rn_ipv4_icmp_filter *f);
int rn_ipv4_rawconn_set_icmp_filter(rn_ipv4_rawconn *rc, const rn_ipv4_icmp_filter *f);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_IPV4_H */
