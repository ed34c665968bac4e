/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_ipv4_raw.c - x/net/ipv4's RawConn (and the ICMP filter of a
 * PacketConn) on "ip4:icmp" and "ip4:253" conns against the kernel, on
 * loopback: WriteTo with a header whose ID, checksum and source the kernel
 * fills in (read back with a plain raw socket), ReadFrom's parsed header,
 * payload pointer and control message, IP options going round, 64
 * datagrams through WriteBatch/ReadBatch byte for byte, the ICMP filter
 * blocking and passing echo replies, SetBPF dropping by protocol and by
 * length, and every header error: those the kernel lets us provoke on the
 * wire (a read buffer cut inside the header or its options) through
 * ReadFrom, the rest (the kernel drops such datagrams before any socket
 * sees them, which is checked too) straight through rn_ipv4_parse_header.
 *
 * The suite runs in a network namespace of its own, made in main() before
 * any thread exists, with only lo up: raw sockets see every datagram of
 * their protocol, and other suites (test_ipraw) count on nothing sending
 * protocol 253 on the host's loopback.  Every datagram still carries a tag
 * (pid and a counter) and reads skip what does not carry the test's tag.
 * Needs root (CAP_SYS_ADMIN for the namespace, CAP_NET_RAW): each test that
 * touches the network is skipped, with the reason printed, without them.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

#define PROTO_EXP 253 /* RFC 3692: for experimentation; nothing on loopback sends it */
#define ALL_FLAGS (RN_IPV4_FLAG_TTL | RN_IPV4_FLAG_DST | RN_IPV4_FLAG_INTERFACE)
#define TAG_LEN 20    /* "ringnet-ipv4-raw" and 4 tag bytes */

/* ---- helpers ----------------------------------------------------------------- */

static const char *last_error(void)
{
	static char buf[2048];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

static int ns_err; /* 0, or why the private namespace could not be made */

/* unshare(CLONE_NEWNET) and bring its lo up; 0 or -errno. */
static int private_loopback(void)
{
	struct ifreq ifr;
	int s, err = 0;

	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(s);
	return err;
}

/* Whether the private namespace is there and raw IPv4 sockets can be made; prints why not. */
static bool need_raw(const char *test)
{
	if (ns_err) {
		printf("SKIP %s: needs root: no private network namespace (%s)\n", test,
		       strerror(-ns_err));
		return false;
	}
	return tu_need_raw4(test);
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The Internet checksum (RFC 1071); 0 over a header that carries a valid one. */
static uint16_t cksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static rn_ip loopback(void)
{
	return rn_ipv4(127, 0, 0, 1);
}

static bool is_loopback(rn_ip ip)
{
	return rn_ip_equal(ip, loopback());
}

/* A tag no other process and no other datagram of this one uses. */
static uint32_t new_tag(void)
{
	static atomic_uint n = 1;

	return (uint32_t)getpid() << 12 ^ atomic_fetch_add(&n, 1);
}

/* @n >= TAG_LEN bytes of payload carrying @tag, then a counting filler. */
static void tagged(uint8_t *b, size_t n, uint32_t tag)
{
	memcpy(b, "ringnet-ipv4-raw", 16);
	b[16] = (uint8_t)(tag >> 24);
	b[17] = (uint8_t)(tag >> 16);
	b[18] = (uint8_t)(tag >> 8);
	b[19] = (uint8_t)tag;
	for (size_t i = TAG_LEN; i < n; i++)
		b[i] = (uint8_t)(i * 7);
}

static bool has_tag(const uint8_t *p, size_t n, uint32_t tag)
{
	uint8_t want[TAG_LEN];

	tagged(want, TAG_LEN, tag);
	return n >= TAG_LEN && memcmp(p, want, TAG_LEN) == 0;
}

/* An ICMP echo request (or, with @type 0, a reply) whose data is tagged: 8 + 40 bytes. */
static size_t icmp_echo(uint8_t *b, uint8_t type, uint32_t tag)
{
	uint16_t sum;

	memset(b, 0, 8);
	b[0] = type;
	b[4] = (uint8_t)(getpid() >> 8);
	b[5] = (uint8_t)getpid();
	b[6] = (uint8_t)(tag >> 8);
	b[7] = (uint8_t)tag;
	tagged(b + 8, 40, tag);
	sum = cksum(b, 48);
	b[2] = (uint8_t)(sum >> 8);
	b[3] = (uint8_t)sum;
	return 48;
}

/*
 * The payload this test sends on protocol @proto: a tagged ICMP echo
 * request for ICMP, @n tagged bytes otherwise.  Where the tag sits in it
 * is tag_off(@proto).
 */
static size_t payload(uint8_t *b, int proto, size_t n, uint32_t tag)
{
	if (proto == IPPROTO_ICMP)
		return icmp_echo(b, 8, tag);
	tagged(b, n, tag);
	return n;
}

static size_t tag_off(int proto)
{
	return proto == IPPROTO_ICMP ? 8 : 0;
}

/*
 * Whether @p (@n bytes of payload on protocol @proto) is one this test
 * sent with @tag: for ICMP the echo request itself, not the kernel's
 * reply.
 */
static bool ours(const uint8_t *p, size_t n, int proto, uint32_t tag)
{
	size_t off = tag_off(proto);

	if (n < off + TAG_LEN || (proto == IPPROTO_ICMP && p[0] != 8))
		return false;
	return has_tag(p + off, n - off, tag);
}

/* A header for @plen bytes of protocol @proto to 127.0.0.1; ID, checksum and source left zero. */
static rn_ipv4_header header(int proto, size_t plen)
{
	rn_ipv4_header h;

	memset(&h, 0, sizeof h);
	h.version = RN_IPV4_VERSION;
	h.len = RN_IPV4_HEADER_LEN;
	h.total_len = RN_IPV4_HEADER_LEN + (int)plen;
	h.ttl = 64;
	h.protocol = proto;
	h.dst = loopback();
	return h;
}

/* A plain raw socket of protocol @proto that gives up reading after 3 s. */
static int plain_raw(int proto)
{
	struct timeval tv = { 3, 0 };
	int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, proto);

	ck_assert_msg(s >= 0, "socket: %s", strerror(errno));
	ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	return s;
}

/* Send @n bytes to 127.0.0.1 on plain raw socket @s (the kernel adds a header unless HDRINCL). */
static ssize_t plain_send(int s, const void *b, size_t n)
{
	struct sockaddr_in to = { .sin_family = AF_INET };

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	return sendto(s, b, n, 0, (const struct sockaddr *)&to, sizeof to);
}

/* Read whole datagrams (header included) from plain raw socket @s until ours(); its length. */
static size_t plain_read_ours(int s, uint8_t *buf, size_t cap, int proto, uint32_t tag)
{
	for (;;) {
		ssize_t n = recv(s, buf, cap, 0);
		size_t hl;

		ck_assert_msg(n >= 0, "recv: %s", strerror(errno));
		hl = (size_t)(buf[0] & 0x0f) * 4;
		if ((size_t)n > hl && buf[9] == proto && ours(buf + hl, (size_t)n - hl, proto, tag))
			return (size_t)n;
	}
}

/* ListenPacket(@net, "127.0.0.1") as a RawConn. */
static rn_ipv4_rawconn *open_raw(const char *net)
{
	rn_conn *c = rn_listen_packet(net, "127.0.0.1");
	rn_ipv4_rawconn *rc;

	ck_assert_msg(c != NULL, "listen %s: %s", net, last_error());
	rc = rn_ipv4_new_rawconn(c);
	ck_assert_msg(rc != NULL, "NewRawConn: %s", last_error());
	return rc;
}

static void read_guard(rn_ipv4_rawconn *rc, int ms)
{
	ck_assert_int_eq(rn_ipv4_rawconn_set_read_deadline(
				 rc, rn_time_add(rn_now(), (int64_t)ms * RN_MILLISECOND)),
			 0);
}

/*
 * ReadFrom on @rc until a datagram of ours() arrives; its payload length.
 * A read error fails the test, so callers set a deadline first.
 */
static ssize_t raw_read_ours(rn_ipv4_rawconn *rc, uint8_t *buf, size_t cap, rn_ipv4_header *h,
			     void **p, rn_ipv4_control_message *cm, int proto, uint32_t tag)
{
	for (;;) {
		ssize_t n = rn_ipv4_rawconn_read_from(rc, buf, cap, h, p, cm);

		ck_assert_msg(n >= 0, "RawConn.ReadFrom: %s", last_error());
		if (h->protocol == proto && ours(*p, (size_t)n, proto, tag))
			return n;
	}
}

/*
 * ReadFrom on @rc until the deadline (@ms from now): no datagram of ours()
 * may come.  Anything else is skipped.
 */
static void raw_expect_none(rn_ipv4_rawconn *rc, int ms, int proto, uint32_t tag)
{
	uint8_t buf[2048];
	rn_ipv4_header h;
	void *p;
	ssize_t n;

	read_guard(rc, ms);
	for (;;) {
		n = rn_ipv4_rawconn_read_from(rc, buf, sizeof buf, &h, &p, NULL);
		if (n < 0)
			break;
		ck_assert_msg(!(h.protocol == proto && ours(p, (size_t)n, proto, tag)),
			      "a datagram that should have been dropped arrived");
	}
	ck_assert_msg(n == RN_ETIMEOUT, "want a timeout, got %s", last_error());
}

/* ---- WriteTo: the kernel fills ID, checksum and source ------------------------------ */

static void check_kernel_fills(const char *net, int proto)
{
	uint8_t pl[64], buf[512];
	uint32_t tag = new_tag();
	size_t plen = payload(pl, proto, 40, tag), n;
	rn_ipv4_header h = header(proto, plen);
	rn_ipv4_rawconn *rc;
	unsigned ids = 0;
	int s;

	s = plain_raw(proto);
	rc = open_raw(net);
	ck_assert_int_eq(h.id, 0);
	ck_assert_int_eq(h.checksum, 0);
	ck_assert_int_eq(h.src.len, 0);
	/* Two datagrams: an ID the kernel picks may be 0 by chance, but not twice running. */
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(rn_ipv4_rawconn_write_to(rc, &h, pl, plen, NULL) == 0, "WriteTo: %s",
			      last_error());
		n = plain_read_ours(s, buf, sizeof buf, proto, tag);
		ck_assert_uint_eq(n, RN_IPV4_HEADER_LEN + plen);
		ck_assert_int_eq(buf[0], 0x45);
		ck_assert_uint_eq(be16(buf + 2), RN_IPV4_HEADER_LEN + plen);
		ck_assert_msg(cksum(buf, RN_IPV4_HEADER_LEN) == 0, "header checksum %#x not valid",
			      be16(buf + 10));
		ck_assert_int_eq(buf[8], 64);
		ck_assert_int_eq(buf[9], proto);
		ck_assert_mem_eq(buf + 12, "\x7f\x00\x00\x01", 4); /* the source, filled */
		ck_assert_mem_eq(buf + 16, "\x7f\x00\x00\x01", 4);
		ck_assert_mem_eq(buf + RN_IPV4_HEADER_LEN, pl, plen);
		ids |= be16(buf + 4);
	}
	ck_assert_uint_ne(ids, 0);
	rn_ipv4_rawconn_free(rc);
	close(s);
}

START_TEST(test_write_to_kernel_fills_icmp)
{
	if (need_raw(__func__))
		check_kernel_fills("ip4:icmp", IPPROTO_ICMP);
}
END_TEST

START_TEST(test_write_to_kernel_fills_253)
{
	if (need_raw(__func__))
		check_kernel_fills("ip4:253", PROTO_EXP);
}
END_TEST

/* ---- ReadFrom: header, payload pointer, control message ------------------------------ */

static void check_read_from(const char *net, int proto)
{
	uint8_t pl[64], buf[512];
	uint32_t tag = new_tag();
	size_t plen = payload(pl, proto, 33, tag);
	rn_ipv4_control_message cm;
	rn_ipv4_header h;
	rn_ipv4_rawconn *rc;
	int s = plain_raw(proto), ttl = 77;
	void *p;
	ssize_t n;

	rc = open_raw(net);
	ck_assert_int_eq(rn_ipv4_rawconn_set_control_message(rc, ALL_FLAGS, true), 0);
	ck_assert_int_eq(setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl), 0);
	ck_assert_int_eq(plain_send(s, pl, plen), (ssize_t)plen);
	read_guard(rc, 3000);
	n = raw_read_ours(rc, buf, sizeof buf, &h, &p, &cm, proto, tag);
	ck_assert_int_eq(n, (ssize_t)plen);
	ck_assert_int_eq(h.version, 4);
	ck_assert_int_eq(h.len, 20);
	ck_assert_int_eq(h.protocol, proto);
	ck_assert_int_eq(h.total_len, 20 + (int)plen);
	ck_assert_int_eq(h.ttl, 77);
	ck_assert_int_eq(h.flags & ~RN_IPV4_DONT_FRAGMENT, 0);
	ck_assert_int_eq(h.frag_off, 0);
	ck_assert(is_loopback(h.src));
	ck_assert(is_loopback(h.dst));
	ck_assert_uint_eq(h.options_len, 0);
	ck_assert_ptr_eq(p, buf + 20);
	ck_assert_mem_eq(p, pl, plen);
	ck_assert_int_eq(cm.ttl, 77);
	ck_assert(is_loopback(cm.dst));
	ck_assert_int_eq(cm.ifindex, (int)if_nametoindex("lo"));
	ck_assert_int_eq(cm.src.len, 0);
	rn_ipv4_rawconn_free(rc);
	close(s);
}

START_TEST(test_read_from_icmp)
{
	if (need_raw(__func__))
		check_read_from("ip4:icmp", IPPROTO_ICMP);
}
END_TEST

START_TEST(test_read_from_253)
{
	if (need_raw(__func__))
		check_read_from("ip4:253", PROTO_EXP);
}
END_TEST

/* Options the writer puts in the header come out of the reader's parse unchanged. */
START_TEST(test_options_round_trip)
{
	static const uint8_t opts[4] = { 1, 1, 1, 0 }; /* NOP NOP NOP EOL */
	uint8_t pl[64], buf[512];
	uint32_t tag = new_tag();
	rn_ipv4_header h = header(PROTO_EXP, 30), got;
	rn_ipv4_rawconn *w, *r;
	void *p;
	ssize_t n;

	if (!need_raw(__func__))
		return;
	tagged(pl, 30, tag);
	w = open_raw("ip4:253");
	r = open_raw("ip4:253");
	h.len = 24;
	h.total_len = 24 + 30;
	h.options_len = 4;
	memcpy(h.options, opts, 4);
	ck_assert_msg(rn_ipv4_rawconn_write_to(w, &h, pl, 30, NULL) == 0, "%s", last_error());
	read_guard(r, 3000);
	n = raw_read_ours(r, buf, sizeof buf, &got, &p, NULL, PROTO_EXP, tag);
	ck_assert_int_eq(n, 30);
	ck_assert_int_eq(got.len, 24);
	ck_assert_int_eq(got.total_len, 54);
	ck_assert_uint_eq(got.options_len, 4);
	ck_assert_mem_eq(got.options, opts, 4);
	ck_assert_ptr_eq(p, buf + 24);
	ck_assert_mem_eq(p, pl, 30);
	rn_ipv4_rawconn_free(w);
	rn_ipv4_rawconn_free(r);
}
END_TEST

/* ---- batches ------------------------------------------------------------------------------- */

#define NBATCH 64

/*
 * 64 whole datagrams, each with a header the kernel has nothing to fill in
 * (ID, source and checksum set), through WriteBatch and ReadBatch: what
 * arrives is what was sent, byte for byte, in order.
 */
START_TEST(test_batch_64_byte_exact)
{
	static uint8_t hdrs[NBATCH][RN_IPV4_HEADER_LEN], pls[NBATCH][64], in[NBATCH][256];
	struct iovec wiov[NBATCH][2], riov[NBATCH];
	rn_ipv4_message wm[NBATCH], rm[NBATCH];
	rn_ipaddr lo = { .ip = rn_ipv4(127, 0, 0, 1) };
	uint32_t tag = new_tag();
	rn_ipv4_rawconn *w, *r;
	int sent = 0, got = 0;

	if (!need_raw(__func__))
		return;
	w = open_raw("ip4:253");
	r = open_raw("ip4:253");
	memset(wm, 0, sizeof wm);
	for (int i = 0; i < NBATCH; i++) {
		size_t plen = TAG_LEN + 1 + (size_t)i % 40;
		rn_ipv4_header h = header(PROTO_EXP, plen);
		uint16_t sum;

		tagged(pls[i], plen, tag);
		pls[i][TAG_LEN] = (uint8_t)i;
		h.id = 0x100 + i;
		h.src = rn_ipv4(127, 0, 0, 1);
		ck_assert_int_eq(rn_ipv4_header_marshal(&h, hdrs[i], sizeof hdrs[i]), 20);
		sum = cksum(hdrs[i], 20);
		hdrs[i][10] = (uint8_t)(sum >> 8);
		hdrs[i][11] = (uint8_t)sum;
		wiov[i][0] = (struct iovec){ hdrs[i], 20 };
		wiov[i][1] = (struct iovec){ pls[i], plen };
		wm[i].buffers = wiov[i];
		wm[i].nbuffers = 2;
		wm[i].addr = rn_addr_from_ip(&lo);
	}
	while (sent < NBATCH) {
		int k = rn_ipv4_rawconn_write_batch(w, wm + sent, NBATCH - sent, 0);

		ck_assert_msg(k > 0, "WriteBatch: %s", last_error());
		sent += k;
	}
	for (int i = 0; i < NBATCH; i++)
		ck_assert_uint_eq(wm[i].n, 20 + wiov[i][1].iov_len);

	read_guard(r, 5000);
	while (got < NBATCH) {
		int k;

		memset(rm, 0, sizeof rm);
		for (int i = 0; i < NBATCH - got; i++) {
			riov[i] = (struct iovec){ in[i], sizeof in[i] };
			rm[i].buffers = &riov[i];
			rm[i].nbuffers = 1;
		}
		k = rn_ipv4_rawconn_read_batch(r, rm, NBATCH - got, 0);
		ck_assert_msg(k > 0, "ReadBatch: %s", last_error());
		for (int i = 0; i < k; i++) {
			uint8_t *d = rm[i].buffers[0].iov_base;
			size_t want = 20 + wiov[got][1].iov_len;

			if (rm[i].n < 20 + TAG_LEN || d[9] != PROTO_EXP ||
			    !has_tag(d + 20, rm[i].n - 20, tag))
				continue;
			ck_assert_msg(rm[i].n == want, "datagram %d: %zu bytes, want %zu", got,
				      rm[i].n, want);
			ck_assert_msg(memcmp(d, hdrs[got], 20) == 0, "datagram %d: header differs",
				      got);
			ck_assert_msg(memcmp(d + 20, pls[got], want - 20) == 0,
				      "datagram %d: payload differs", got);
			ck_assert_int_eq(rm[i].flags & MSG_TRUNC, 0);
			ck_assert_int_eq(rm[i].addr.kind, RN_ADDR_IP);
			ck_assert(is_loopback(rm[i].addr.u.ip.ip));
			got++;
		}
	}
	rn_ipv4_rawconn_free(w);
	rn_ipv4_rawconn_free(r);
}
END_TEST

/* ---- ICMP filter ------------------------------------------------------------------------- */

static rn_ipv4_packetconn *open_icmp_packetconn(void)
{
	rn_conn *c = rn_listen_packet("ip4:icmp", "127.0.0.1");
	rn_ipv4_packetconn *pc;

	ck_assert_msg(c != NULL, "%s", last_error());
	pc = rn_ipv4_new_packetconn(c);
	ck_assert_msg(pc != NULL, "%s", last_error());
	return pc;
}

static bool is_our_reply(const uint8_t *b, ssize_t n, uint32_t tag)
{
	return n >= 48 && b[0] == 0 && has_tag(b + 8, (size_t)n - 8, tag);
}

/* Send an echo request to 127.0.0.1 and read until @ms pass or its reply comes: whether it did. */
static bool echo_reply_seen(rn_ipv4_packetconn *pc, int ms)
{
	uint8_t req[64], buf[512];
	rn_ipaddr lo = { .ip = rn_ipv4(127, 0, 0, 1) };
	rn_addr dst = rn_addr_from_ip(&lo), src;
	uint32_t tag = new_tag();
	size_t len = icmp_echo(req, 8, tag);
	ssize_t n;

	ck_assert_int_eq(rn_ipv4_packetconn_write_to(pc, req, len, NULL, &dst), (ssize_t)len);
	ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(
				 pc, rn_time_add(rn_now(), (int64_t)ms * RN_MILLISECOND)),
			 0);
	for (;;) {
		n = rn_ipv4_packetconn_read_from(pc, buf, sizeof buf, NULL, &src);
		if (n < 0) {
			ck_assert_msg(n == RN_ETIMEOUT, "ReadFrom: %s", last_error());
			return false;
		}
		if (is_our_reply(buf, n, tag)) {
			ck_assert(is_loopback(src.u.ip.ip));
			return true;
		}
	}
}

START_TEST(test_icmp_filter_blocks_echo_reply)
{
	rn_ipv4_packetconn *pc;
	rn_ipv4_icmp_filter f;

	if (!need_raw(__func__))
		return;
	pc = open_icmp_packetconn();
	rn_ipv4_icmp_filter_set_all(&f, false);
	ck_assert_int_eq(rn_ipv4_icmp_filter_block(&f, RN_IPV4_ICMP_TYPE_ECHO_REPLY), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_set_icmp_filter(pc, &f), 0);
	ck_assert(!echo_reply_seen(pc, 500));
	rn_ipv4_packetconn_free(pc);
}
END_TEST

START_TEST(test_icmp_filter_passes_echo_reply)
{
	rn_ipv4_packetconn *pc;
	rn_ipv4_icmp_filter f;

	if (!need_raw(__func__))
		return;
	pc = open_icmp_packetconn();
	/* Everything blocked but echo replies: not even our own request comes back. */
	rn_ipv4_icmp_filter_set_all(&f, true);
	ck_assert_int_eq(rn_ipv4_icmp_filter_accept(&f, RN_IPV4_ICMP_TYPE_ECHO_REPLY), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_set_icmp_filter(pc, &f), 0);
	ck_assert(echo_reply_seen(pc, 3000));
	rn_ipv4_packetconn_free(pc);
}
END_TEST

START_TEST(test_icmp_filter_get_set_round_trip)
{
	rn_ipv4_packetconn *pc;
	rn_ipv4_rawconn *rc;
	rn_ipv4_icmp_filter f = { 0x5a5a5a5a }, g = { 1 };

	if (!need_raw(__func__))
		return;
	pc = open_icmp_packetconn();
	ck_assert_int_eq(rn_ipv4_packetconn_icmp_filter(pc, &g), 0);
	ck_assert_uint_eq(g.data, 0); /* a new socket passes everything */
	ck_assert_int_eq(rn_ipv4_packetconn_set_icmp_filter(pc, &f), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_icmp_filter(pc, &g), 0);
	ck_assert_uint_eq(g.data, 0x5a5a5a5a);
	rn_ipv4_icmp_filter_set_all(&f, true);
	ck_assert_int_eq(rn_ipv4_icmp_filter_accept(&f, RN_IPV4_ICMP_TYPE_ECHO), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_set_icmp_filter(pc, &f), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_icmp_filter(pc, &g), 0);
	ck_assert_uint_eq(g.data, ~(1u << 8));
	ck_assert(!rn_ipv4_icmp_filter_will_block(&g, RN_IPV4_ICMP_TYPE_ECHO));
	ck_assert(rn_ipv4_icmp_filter_will_block(&g, RN_IPV4_ICMP_TYPE_ECHO_REPLY));
	ck_assert_int_eq(rn_ipv4_packetconn_icmp_filter(pc, NULL), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_set_icmp_filter(pc, NULL), -EINVAL);
	rn_ipv4_packetconn_free(pc);

	/* The same on a RawConn. */
	rc = open_raw("ip4:icmp");
	f.data = 0x80000001u;
	ck_assert_int_eq(rn_ipv4_rawconn_set_icmp_filter(rc, &f), 0);
	ck_assert_int_eq(rn_ipv4_rawconn_icmp_filter(rc, &g), 0);
	ck_assert_uint_eq(g.data, 0x80000001u);
	rn_ipv4_rawconn_free(rc);
}
END_TEST

/* Only ICMP raw sockets have the option: the kernel's refusal comes back as a SyscallError. */
START_TEST(test_icmp_filter_on_other_protocol)
{
	rn_ipv4_icmp_filter f = { 0 };
	rn_ipv4_rawconn *rc;

	if (!need_raw(__func__))
		return;
	rc = open_raw("ip4:253");
	ck_assert_int_eq(rn_ipv4_rawconn_set_icmp_filter(rc, &f), -EOPNOTSUPP);
	ck_assert_str_eq(last_error(), "setsockopt: operation not supported");
	ck_assert_int_eq(rn_ipv4_rawconn_icmp_filter(rc, &f), -EOPNOTSUPP);
	ck_assert_str_eq(last_error(), "getsockopt: operation not supported");
	rn_ipv4_rawconn_free(rc);
}
END_TEST

START_TEST(test_icmp_filter_type_out_of_range)
{
	static const int bad[] = { 32, 40, 42, 255, 256, -1, -32 };
	rn_ipv4_icmp_filter f = { 0 };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(rn_ipv4_icmp_filter_block(&f, bad[i]), -EINVAL);
		ck_assert_int_eq(rn_ipv4_icmp_filter_accept(&f, bad[i]), -EINVAL);
		ck_assert_uint_eq(f.data, 0); /* Go would have aliased 40 onto 8 */
	}
	ck_assert_str_eq(last_error(),
			 "invalid argument: ICMP type -32: the kernel filters types 0 to 31 only");
	rn_ipv4_icmp_filter_set_all(&f, true);
	ck_assert_int_eq(rn_ipv4_icmp_filter_accept(&f, 40), -EINVAL);
	ck_assert_uint_eq(f.data, UINT32_MAX);
	ck_assert(!rn_ipv4_icmp_filter_will_block(&f, 40));
	ck_assert(!rn_ipv4_icmp_filter_will_block(&f, -1));
	/* The edges of the range work. */
	ck_assert_int_eq(rn_ipv4_icmp_filter_accept(&f, 31), 0);
	ck_assert_int_eq(rn_ipv4_icmp_filter_accept(&f, 0), 0);
	ck_assert_uint_eq(f.data, 0x7ffffffeu);
	ck_assert_int_eq(rn_ipv4_icmp_filter_block(&f, 31), 0);
	ck_assert(rn_ipv4_icmp_filter_will_block(&f, 31));
}
END_TEST

/* ---- SetBPF --------------------------------------------------------------------------------- */

/*
 * Accept datagrams of protocol @proto whose total length is not @drop_len.
 * A raw IPv4 socket's filter sees the datagram from its IP header.
 */
static void set_filter(rn_ipv4_rawconn *rc, int proto, unsigned drop_len)
{
	rn_bpf_raw_instruction prog[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),			/* A = protocol */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)proto, 0, 3), /* else drop */
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),			/* A = length */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, drop_len, 1, 0),	/* drop_len: drop */
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};

	ck_assert_msg(rn_ipv4_rawconn_set_bpf(rc, prog, sizeof prog / sizeof prog[0]) == 0,
		      "SetBPF: %s", last_error());
}

static void send_tagged(rn_ipv4_rawconn *w, size_t plen, uint32_t tag)
{
	uint8_t pl[256];
	rn_ipv4_header h = header(PROTO_EXP, plen);

	tagged(pl, plen, tag);
	ck_assert_msg(rn_ipv4_rawconn_write_to(w, &h, pl, plen, NULL) == 0, "%s", last_error());
}

START_TEST(test_set_bpf_drops_by_length)
{
	uint8_t buf[512];
	uint32_t tag = new_tag();
	rn_ipv4_rawconn *w, *r;
	rn_ipv4_header h;
	void *p;

	if (!need_raw(__func__))
		return;
	w = open_raw("ip4:253");
	r = open_raw("ip4:253");
	set_filter(r, PROTO_EXP, 20 + 30);
	send_tagged(w, 30, tag); /* dropped */
	send_tagged(w, 31, tag); /* kept */
	read_guard(r, 3000);
	ck_assert_int_eq(raw_read_ours(r, buf, sizeof buf, &h, &p, NULL, PROTO_EXP, tag), 31);
	raw_expect_none(r, 300, PROTO_EXP, tag);
	rn_ipv4_rawconn_free(w);
	rn_ipv4_rawconn_free(r);
}
END_TEST

START_TEST(test_set_bpf_drops_by_protocol)
{
	uint8_t buf[512];
	uint32_t tag = new_tag();
	rn_ipv4_rawconn *w, *r;
	rn_ipv4_header h;
	void *p;

	if (!need_raw(__func__))
		return;
	w = open_raw("ip4:253");
	r = open_raw("ip4:253");
	set_filter(r, 254, 0); /* only protocol 254: ours never passes */
	send_tagged(w, 30, tag);
	raw_expect_none(r, 300, PROTO_EXP, tag);
	/* A new program replaces the old one. */
	set_filter(r, PROTO_EXP, 0);
	send_tagged(w, 30, tag);
	read_guard(r, 3000);
	ck_assert_int_eq(raw_read_ours(r, buf, sizeof buf, &h, &p, NULL, PROTO_EXP, tag), 30);
	rn_ipv4_rawconn_free(w);
	rn_ipv4_rawconn_free(r);
}
END_TEST

START_TEST(test_set_bpf_refused)
{
	rn_bpf_raw_instruction no_ret[] = { BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0) };
	rn_bpf_raw_instruction far_jump[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 5),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	static rn_bpf_raw_instruction big[4097];
	rn_ipv4_rawconn *rc;

	if (!need_raw(__func__))
		return;
	rc = open_raw("ip4:253");
	ck_assert_int_eq(rn_ipv4_rawconn_set_bpf(rc, no_ret, 0), -EINVAL);
	ck_assert_int_eq(rn_ipv4_rawconn_set_bpf(rc, NULL, 1), -EINVAL);
	for (size_t i = 0; i < 4097; i++)
		big[i] = (rn_bpf_raw_instruction)BPF_STMT(BPF_RET | BPF_K, 0);
	ck_assert_int_eq(rn_ipv4_rawconn_set_bpf(rc, big, 4097), -EINVAL);
	/* The kernel's checker refuses these. */
	ck_assert_int_eq(rn_ipv4_rawconn_set_bpf(rc, no_ret, 1), -EINVAL);
	ck_assert_str_eq(last_error(), "setsockopt: invalid argument");
	ck_assert_int_eq(rn_ipv4_rawconn_set_bpf(rc, far_jump, 2), -EINVAL);
	ck_assert_int_eq(rn_ipv4_rawconn_set_bpf(rc, big, 4096), 0);
	rn_ipv4_rawconn_free(rc);
}
END_TEST

/* ---- header errors ------------------------------------------------------------------------ */

/* A read buffer that ends inside the fixed header: "header too short". */
START_TEST(test_read_cut_in_header)
{
	uint8_t buf[12];
	uint32_t tag = new_tag();
	rn_ipv4_rawconn *w, *r;
	rn_ipv4_header h;
	void *p = buf;

	if (!need_raw(__func__))
		return;
	w = open_raw("ip4:253");
	r = open_raw("ip4:253");
	send_tagged(w, 40, tag);
	read_guard(r, 3000);
	/* Whoever's datagram comes first, 12 bytes of it cannot hold a header. */
	ck_assert_int_eq(rn_ipv4_rawconn_read_from(r, buf, sizeof buf, &h, &p, NULL),
			 RN_EHEADERSHORT);
	ck_assert_str_eq(last_error(), "header too short");
	ck_assert_ptr_null(p);
	rn_ipv4_rawconn_free(w);
	rn_ipv4_rawconn_free(r);
}
END_TEST

/* A read buffer that ends inside the options: "extension header too short". */
START_TEST(test_read_cut_in_options)
{
	uint8_t pl[64], buf[24];
	uint32_t tag = new_tag();
	rn_ipv4_header h = header(PROTO_EXP, 30), got;
	rn_ipv4_rawconn *w, *r;
	ssize_t n;
	void *p;

	if (!need_raw(__func__))
		return;
	w = open_raw("ip4:253");
	r = open_raw("ip4:253");
	tagged(pl, 30, tag);
	h.len = 28;
	h.options_len = 8;
	memset(h.options, 1, 7); /* NOPs, then EOL */
	ck_assert_msg(rn_ipv4_rawconn_write_to(w, &h, pl, 30, NULL) == 0, "%s", last_error());
	read_guard(r, 3000);
	/* Datagrams without options (other suites') fit in 24 bytes: skip them. */
	do
		n = rn_ipv4_rawconn_read_from(r, buf, sizeof buf, &got, &p, NULL);
	while (n >= 0 && got.len == 20);
	ck_assert_msg(n == RN_EEXTHEADERSHORT, "got %zd: %s", n, last_error());
	ck_assert_str_eq(last_error(), "extension header too short");
	rn_ipv4_rawconn_free(w);
	rn_ipv4_rawconn_free(r);
}
END_TEST

/* A crafted header sent over a plain IP_HDRINCL socket. */
static int send_crafted(int s, uint8_t vihl, uint16_t id, uint32_t tag, size_t len)
{
	uint8_t d[128];

	memset(d, 0, sizeof d);
	d[0] = vihl;
	d[2] = (uint8_t)(len >> 8);
	d[3] = (uint8_t)len;
	d[4] = (uint8_t)(id >> 8);
	d[5] = (uint8_t)id;
	d[8] = 64;
	d[9] = PROTO_EXP;
	memcpy(d + 12, "\x7f\x00\x00\x01\x7f\x00\x00\x01", 8);
	tagged(d + 20, len - 20, tag);
	return plain_send(s, d, len) == (ssize_t)len ? 0 : -errno;
}

/*
 * What a raw socket lets one craft: the kernel refuses to send an IHL that
 * runs past the datagram or below 5, and sends a version-6 header as given,
 * but its input path drops that before any socket: the RawConn only ever
 * sees the well-formed datagram sent after it.  The errors such datagrams
 * would give are checked on the parser below.
 */
START_TEST(test_crafted_headers_on_the_wire)
{
	uint8_t buf[512];
	uint32_t tag = new_tag();
	rn_ipv4_rawconn *r;
	rn_ipv4_header h;
	int s, one = 1;
	void *p;

	if (!need_raw(__func__))
		return;
	r = open_raw("ip4:253");
	s = plain_raw(PROTO_EXP);
	ck_assert_int_eq(setsockopt(s, IPPROTO_IP, IP_HDRINCL, &one, sizeof one), 0);
	ck_assert_int_eq(send_crafted(s, 0x4f, 1, tag, 48), -EINVAL); /* IHL 15: 60 > 48 bytes */
	ck_assert_int_eq(send_crafted(s, 0x44, 2, tag, 48), -EINVAL); /* IHL 4 */
	ck_assert_int_eq(send_crafted(s, 0x65, 3, tag, 48), 0);	    /* version 6 */
	ck_assert_int_eq(send_crafted(s, 0x45, 4, tag, 48), 0);	    /* well-formed */
	read_guard(r, 3000);
	ck_assert_int_eq(raw_read_ours(r, buf, sizeof buf, &h, &p, NULL, PROTO_EXP, tag), 28);
	ck_assert_int_eq(h.id, 4);
	raw_expect_none(r, 300, PROTO_EXP, tag);
	close(s);
	rn_ipv4_rawconn_free(r);
}
END_TEST

START_TEST(test_parse_header_errors)
{
	static const uint8_t good[24] = { 0x46, 0, 0, 24, 0, 1, 0, 0, 64, 253, 0, 0,
					  127, 0, 0, 1, 127, 0, 0, 1, 1, 1, 1, 0 };
	uint8_t b[24];
	rn_ipv4_header h;

	ck_assert_int_eq(rn_ipv4_parse_header(&h, good, sizeof good), 0);
	ck_assert_int_eq(h.len, 24);
	ck_assert_uint_eq(h.options_len, 4);

	ck_assert_int_eq(rn_ipv4_parse_header(NULL, good, sizeof good), -EINVAL);
	ck_assert_str_eq(last_error(), "nil header");
	ck_assert_int_eq(rn_ipv4_parse_header(&h, NULL, 20), -EINVAL);
	ck_assert_int_eq(rn_ipv4_parse_header(&h, good, 19), RN_EHEADERSHORT);
	ck_assert_str_eq(last_error(), "header too short");

	memcpy(b, good, sizeof b);
	b[0] = 0x65; /* version 6 */
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof b), RN_EHEADERVERSION);
	ck_assert_str_eq(last_error(), "header version is not 4");

	memcpy(b, good, sizeof b);
	b[0] = 0x44; /* IHL 4: 16 bytes, less than the fixed header */
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof b), RN_EHEADERSHORT);

	memcpy(b, good, sizeof b);
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, 23), RN_EEXTHEADERSHORT);
	b[0] = 0x4f; /* IHL 15: 60 bytes */
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof b), RN_EEXTHEADERSHORT);
	ck_assert_str_eq(last_error(), "extension header too short");

	memcpy(b, good, sizeof b);
	b[3] = 23; /* total length 23 < 24 bytes of header */
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof b), RN_EHEADERTOTALLEN);
	ck_assert_str_eq(last_error(), "total length shorter than header length");
	ck_assert_int_eq(rn_ipv4_header_parse(&h, b, sizeof b), RN_EHEADERTOTALLEN);

	/* A total length beyond the bytes given is fine: they may be the header alone. */
	b[2] = 0xff;
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof b), 0);
	ck_assert_int_eq(h.total_len, 0xff17);
}
END_TEST

/* WriteTo refuses a header it cannot marshal, before anything is sent. */
START_TEST(test_write_to_bad_header)
{
	uint8_t pl[8] = { 0 };
	rn_ipv4_header h = header(PROTO_EXP, sizeof pl);
	rn_ipv4_rawconn *rc;

	if (!need_raw(__func__))
		return;
	rc = open_raw("ip4:253");
	ck_assert_int_eq(rn_ipv4_rawconn_write_to(rc, NULL, pl, sizeof pl, NULL), -EINVAL);
	h.len = 19;
	ck_assert_int_eq(rn_ipv4_rawconn_write_to(rc, &h, pl, sizeof pl, NULL), RN_EHEADERSHORT);
	h.len = 20;
	h.options_len = 3;
	ck_assert_int_eq(rn_ipv4_rawconn_write_to(rc, &h, pl, sizeof pl, NULL), RN_EHEADEROPTIONS);
	h.options_len = 44;
	ck_assert_int_eq(rn_ipv4_rawconn_write_to(rc, &h, pl, sizeof pl, NULL), RN_EHEADEROPTIONS);
	h.options_len = 0;
	h.dst.len = 0;
	ck_assert_int_eq(rn_ipv4_rawconn_write_to(rc, &h, pl, sizeof pl, NULL), RN_EMISSINGADDR);
	ck_assert_str_eq(last_error(), "missing address");
	h.dst = loopback();
	ck_assert_int_eq(rn_ipv4_rawconn_write_to(rc, &h, NULL, 4, NULL), -EINVAL);
	rn_ipv4_rawconn_free(rc);
}
END_TEST

/* NewRawConn takes IPv4 raw conns only; the conn stays the caller's on failure. */
START_TEST(test_new_rawconn_refuses)
{
	rn_conn *u;

	ck_assert_ptr_null(rn_ipv4_new_rawconn(NULL));
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	u = rn_listen_packet("udp4", "127.0.0.1:0");
	ck_assert_msg(u != NULL, "%s", last_error());
	ck_assert_ptr_null(rn_ipv4_new_rawconn(u));
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	rn_conn_free(u);
}
END_TEST

static Suite *ipv4_raw_suite(void)
{
	Suite *s = suite_create("ipv4_raw");
	TCase *tc;

	tc = tu_engine_tcase("rawconn");
	tcase_add_test(tc, test_write_to_kernel_fills_icmp);
	tcase_add_test(tc, test_write_to_kernel_fills_253);
	tcase_add_test(tc, test_read_from_icmp);
	tcase_add_test(tc, test_read_from_253);
	tcase_add_test(tc, test_options_round_trip);
	tcase_add_test(tc, test_batch_64_byte_exact);
	tcase_add_test(tc, test_new_rawconn_refuses);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("icmp_filter");
	tcase_add_test(tc, test_icmp_filter_blocks_echo_reply);
	tcase_add_test(tc, test_icmp_filter_passes_echo_reply);
	tcase_add_test(tc, test_icmp_filter_get_set_round_trip);
	tcase_add_test(tc, test_icmp_filter_on_other_protocol);
	tcase_add_test(tc, test_icmp_filter_type_out_of_range);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("bpf");
	tcase_add_test(tc, test_set_bpf_drops_by_length);
	tcase_add_test(tc, test_set_bpf_drops_by_protocol);
	tcase_add_test(tc, test_set_bpf_refused);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("header_errors");
	tcase_add_test(tc, test_read_cut_in_header);
	tcase_add_test(tc, test_read_cut_in_options);
	tcase_add_test(tc, test_crafted_headers_on_the_wire);
	tcase_add_test(tc, test_parse_header_errors);
	tcase_add_test(tc, test_write_to_bad_header);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Before any thread exists: every test, forked or not, runs inside it. */
	ns_err = private_loopback();
	return rn_test_main(ipv4_raw_suite());
}
