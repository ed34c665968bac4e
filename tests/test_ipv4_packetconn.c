/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_ipv4_packetconn.c - ipv4.PacketConn over UDP on loopback
 * against the real kernel: ReadBatch/WriteBatch of 1, 64 and 1024
 * datagrams byte-exact both ways (and against plain kernel sockets, so
 * the kernel and not our own code confirms the bytes), per-message
 * addresses and IP_PKTINFO control data, MSG_TRUNC, empty datagrams,
 * MSG_PEEK, early return of ReadBatch, partial WriteBatch, ReadFrom and
 * WriteTo with control messages, TOS/TTL, SetBPF with hand-written
 * classic programs, deadlines, Close from another thread, and bad input.
 *
 * Only 127.0.0.0/8 on lo is used.
 */
#define _GNU_SOURCE /* SO_RCVBUFFORCE */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/ipv4.h>

#include "testutil.h"

/* The largest payload the batch tests send; read buffers hold exactly this. */
#define MAXPAY 1300
/* Bytes of each read message's first buffer: payloads straddle two buffers. */
#define HEAD 7
/* Per-message control room, kept a multiple of 8 so each slot stays aligned. */
#define OOBSZ RN_IPV4_CONTROL_MESSAGE_SPACE

/* ---- helpers ----------------------------------------------------------------- */

static const char *last_error(void)
{
	static char buf[2048];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

static const char *astr(rn_addr a, char buf[RN_ADDR_STRLEN])
{
	rn_addr_string(&a, buf, RN_ADDR_STRLEN);
	return buf;
}

static void assert_same_addr(rn_addr got, rn_addr want)
{
	char g[RN_ADDR_STRLEN], w[RN_ADDR_STRLEN];

	ck_assert_int_eq(got.kind, RN_ADDR_UDP);
	ck_assert_str_eq(astr(got, g), astr(want, w));
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int lo_index(void)
{
	unsigned i = if_nametoindex("lo");

	ck_assert_uint_gt(i, 0);
	return (int)i;
}

static rn_conn *pc_conn(rn_ipv4_packetconn *pc)
{
	return rn_ipv4_packetconn_conn(pc);
}

static rn_addr pc_addr(rn_ipv4_packetconn *pc)
{
	return rn_conn_local_addr(pc_conn(pc));
}

/* Deadlines far enough away to pass, near enough that a lost datagram fails, not hangs. */
static void guard(rn_ipv4_packetconn *pc)
{
	ck_assert_int_eq(rn_ipv4_packetconn_set_deadline(pc, rn_time_add(rn_now(), 20 * RN_SECOND)),
			 0);
}

/*
 * Room for a whole 1024-datagram batch queued before anyone reads: the
 * default receive buffer holds a few hundred small datagrams at most.
 */
static bool grow_rcvbuf(int fd)
{
	int sz = 32 << 20;

	return setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) == 0;
}

/* A UDP packetconn on 127.0.0.1 with a big receive buffer. */
static rn_ipv4_packetconn *open_pc(void)
{
	rn_conn *c = rn_listen_packet("udp4", "127.0.0.1:0");
	rn_ipv4_packetconn *pc;

	ck_assert_msg(c != NULL, "listen: %s", last_error());
	pc = rn_ipv4_new_packetconn(c);
	ck_assert_msg(pc != NULL, "NewPacketConn: %s", last_error());
	ck_assert_ptr_eq(pc_conn(pc), c);
	guard(pc);
	return pc;
}

/* A plain kernel UDP socket on 127.0.0.1, with a receive timeout so a lost datagram fails. */
static int kernel_sock(void)
{
	struct sockaddr_in sin;
	struct timeval tv = { 20, 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	return fd;
}

static rn_addr fd_addr(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	rn_udpaddr u;

	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	ck_assert_int_eq(rn_udpaddr_from_sockaddr(&u, (struct sockaddr *)&ss, len), 0);
	return rn_addr_from_udp(&u);
}

static void to_sockaddr(rn_addr a, struct sockaddr_in *sin)
{
	struct sockaddr_storage ss;
	socklen_t len;

	ck_assert_int_eq(a.kind, RN_ADDR_UDP);
	ck_assert_int_eq(rn_udpaddr_to_sockaddr(&a.u.udp, AF_INET, &ss, &len), 0);
	ck_assert_uint_eq(len, sizeof(*sin));
	memcpy(sin, &ss, sizeof(*sin));
}

static rn_addr udp_addr(const char *ip, int port)
{
	rn_udpaddr u;

	memset(&u, 0, sizeof u);
	u.ip = rn_parse_ip(ip);
	u.port = port;
	return rn_addr_from_udp(&u);
}

/* ---- payloads: message i of a run tagged @salt has its own size and bytes ---- */

static size_t pay_size(int i, int salt)
{
	return 4 + (size_t)((i * 131 + salt * 17) % (MAXPAY - 3));
}

static uint8_t pay_byte(int i, size_t k, int salt)
{
	return (uint8_t)(i * 7 + (int)k * 13 + salt);
}

/* The index rides in the first four bytes, so a reordered queue is still checked exactly. */
static size_t pay_fill(uint8_t *p, int i, int salt)
{
	size_t n = pay_size(i, salt);

	p[0] = (uint8_t)(i >> 24);
	p[1] = (uint8_t)(i >> 16);
	p[2] = (uint8_t)(i >> 8);
	p[3] = (uint8_t)i;
	for (size_t k = 4; k < n; k++)
		p[k] = pay_byte(i, k, salt);
	return n;
}

/* The index of payload @p of @n bytes, asserting every byte and the size. */
static int pay_check(const uint8_t *p, size_t n, int salt, int max)
{
	int i;

	ck_assert_uint_ge(n, 4);
	i = (int)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
	ck_assert_int_ge(i, 0);
	ck_assert_int_lt(i, max);
	ck_assert_uint_eq(n, pay_size(i, salt));
	for (size_t k = 4; k < n; k++)
		ck_assert_msg(p[k] == pay_byte(i, k, salt), "message %d byte %zu: %u", i, k, p[k]);
	return i;
}

/* ---- batches of caller-owned buffers ---------------------------------------------- */

struct batch {
	int n;
	rn_ipv4_message *ms;
	struct iovec *iov;	/* two per message */
	uint8_t *head;		/* HEAD bytes per message */
	uint8_t *data;		/* MAXPAY bytes per message */
	uint64_t *oob;		/* OOBSZ bytes per message, 8-aligned */
};

static void batch_init(struct batch *b, int n)
{
	b->n = n;
	b->ms = calloc((size_t)n, sizeof(*b->ms));
	b->iov = calloc((size_t)n * 2, sizeof(*b->iov));
	b->head = calloc((size_t)n, HEAD);
	b->data = calloc((size_t)n, MAXPAY);
	b->oob = calloc((size_t)n, OOBSZ);
	ck_assert(b->ms && b->iov && b->head && b->data && b->oob);
}

static void batch_free(struct batch *b)
{
	free(b->ms);
	free(b->iov);
	free(b->head);
	free(b->data);
	free(b->oob);
}

static uint8_t *batch_data(struct batch *b, int i)
{
	return b->data + (size_t)i * MAXPAY;
}

static void *batch_oob(struct batch *b, int i)
{
	return (uint8_t *)b->oob + (size_t)i * OOBSZ;
}

/*
 * Message i to @dst (may be none): payload i of @salt split over two
 * buffers at a third of its length.  The outputs are poisoned to show
 * they are written.
 */
static void batch_prep_write(struct batch *b, int salt, const rn_addr *dst)
{
	for (int i = 0; i < b->n; i++) {
		rn_ipv4_message *m = &b->ms[i];
		size_t len = pay_fill(batch_data(b, i), i, salt);

		b->iov[2 * i].iov_base = batch_data(b, i);
		b->iov[2 * i].iov_len = len / 3;
		b->iov[2 * i + 1].iov_base = batch_data(b, i) + len / 3;
		b->iov[2 * i + 1].iov_len = len - len / 3;
		memset(m, 0, sizeof(*m));
		m->buffers = &b->iov[2 * i];
		m->nbuffers = 2;
		if (dst)
			m->addr = *dst;
		m->n = m->nn = 12345;
	}
}

/* Read messages from @from on: HEAD bytes then MAXPAY - HEAD bytes, and OOBSZ of control room. */
static void batch_prep_read(struct batch *b, int from)
{
	for (int i = from; i < b->n; i++) {
		rn_ipv4_message *m = &b->ms[i];

		b->iov[2 * i].iov_base = b->head + (size_t)i * HEAD;
		b->iov[2 * i].iov_len = HEAD;
		b->iov[2 * i + 1].iov_base = batch_data(b, i);
		b->iov[2 * i + 1].iov_len = MAXPAY - HEAD;
		memset(m, 0, sizeof(*m));
		m->buffers = &b->iov[2 * i];
		m->nbuffers = 2;
		m->oob = batch_oob(b, i);
		m->oob_len = OOBSZ;
		m->n = m->nn = 12345;
		m->flags = 12345;
		m->addr.kind = RN_ADDR_TCP;
	}
}

/* The payload of read message i put back together in @out. */
static size_t batch_read_payload(struct batch *b, int i, uint8_t *out)
{
	size_t n = b->ms[i].n, h = n < HEAD ? n : HEAD;

	ck_assert_uint_le(n, MAXPAY);
	memcpy(out, b->head + (size_t)i * HEAD, h);
	memcpy(out + h, batch_data(b, i), n - h);
	return n;
}

/* Every message of @b written by WriteBatch, calling again for the rest as documented. */
static void write_all(rn_ipv4_packetconn *pc, struct batch *b, int salt)
{
	int done = 0;

	while (done < b->n) {
		int k = rn_ipv4_packetconn_write_batch(pc, b->ms + done, b->n - done, 0);

		ck_assert_msg(k > 0, "WriteBatch: %d %s", k, last_error());
		ck_assert_int_le(k, b->n - done);
		for (int i = done; i < done + k; i++) {
			ck_assert_uint_eq(b->ms[i].n, pay_size(i, salt));
			ck_assert_uint_eq(b->ms[i].nn, 0);
		}
		done += k;
	}
}

/* The IP_PKTINFO of a message: to 127.0.0.1 over lo. */
static void assert_pktinfo(const rn_ipv4_message *m, int lo)
{
	rn_ipv4_control_message cm;

	ck_assert_uint_gt(m->nn, 0);
	ck_assert_uint_le(m->nn, OOBSZ);
	memset(&cm, 0x55, sizeof cm);
	cm.dst.len = 0;
	cm.ttl = 0;
	cm.ifindex = 0;
	ck_assert_int_eq(rn_ipv4_control_message_parse(&cm, m->oob, m->nn), 0);
	ck_assert_int_eq(cm.dst.len, 4);
	ck_assert_int_eq(memcmp(cm.dst.b, "\x7f\x00\x00\x01", 4), 0);
	ck_assert_int_eq(cm.ifindex, lo);
	ck_assert_int_eq(cm.ttl, 0); /* not asked for */
}

/*
 * Read @b->n datagrams of run @salt from @from with ReadBatch, calling
 * again until all are in; each byte-exact, each once, each with its
 * sender and IP_PKTINFO.
 */
static void read_all(rn_ipv4_packetconn *pc, struct batch *b, int salt, rn_addr from)
{
	bool *seen = calloc((size_t)b->n, sizeof(bool));
	uint8_t *buf = malloc(MAXPAY);
	int got = 0, lo = lo_index();

	ck_assert(seen && buf);
	while (got < b->n) {
		int k;

		batch_prep_read(b, got);
		k = rn_ipv4_packetconn_read_batch(pc, b->ms + got, b->n - got, 0);
		ck_assert_msg(k > 0, "ReadBatch after %d of %d: %d %s", got, b->n, k, last_error());
		ck_assert_int_le(k, b->n - got);
		for (int i = got; i < got + k; i++) {
			size_t n = batch_read_payload(b, i, buf);
			int idx = pay_check(buf, n, salt, b->n);

			ck_assert_msg(!seen[idx], "message %d twice", idx);
			seen[idx] = true;
			ck_assert_int_eq(b->ms[i].flags, 0);
			assert_same_addr(b->ms[i].addr, from);
			assert_pktinfo(&b->ms[i], lo);
		}
		/* Messages past those filled are left alone. */
		if (got + k < b->n)
			ck_assert_uint_eq(b->ms[got + k].n, 12345);
		got += k;
	}
	free(seen);
	free(buf);
}

/* ---- ReadBatch / WriteBatch byte-exact both ways ------------------------------------ */

static void roundtrip(int n)
{
	rn_ipv4_packetconn *a = open_pc(), *b = open_pc();
	rn_addr aa = pc_addr(a), ba = pc_addr(b);
	struct batch wb, rb;

	if (!grow_rcvbuf(rn_conn_fd(pc_conn(a))) || !grow_rcvbuf(rn_conn_fd(pc_conn(b)))) {
		printf("SKIP %s(%d): SO_RCVBUFFORCE needs CAP_NET_ADMIN\n", __func__, n);
		rn_ipv4_packetconn_free(a);
		rn_ipv4_packetconn_free(b);
		return;
	}
	const unsigned cf = RN_IPV4_FLAG_DST | RN_IPV4_FLAG_INTERFACE;

	ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(a, cf, true), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(b, cf, true), 0);
	batch_init(&wb, n);
	batch_init(&rb, n);

	/* a -> b */
	batch_prep_write(&wb, 1, &ba);
	write_all(a, &wb, 1);
	read_all(b, &rb, 1, aa);

	/* b -> a, other sizes and bytes */
	batch_prep_write(&wb, 2, &aa);
	write_all(b, &wb, 2);
	read_all(a, &rb, 2, ba);

	batch_free(&wb);
	batch_free(&rb);
	rn_ipv4_packetconn_free(a);
	rn_ipv4_packetconn_free(b);
}

START_TEST(test_batch_1)
{
	roundtrip(1);
}
END_TEST

START_TEST(test_batch_64)
{
	roundtrip(64);
}
END_TEST

START_TEST(test_batch_1024)
{
	roundtrip(1024);
}
END_TEST

/* WriteBatch out, recvfrom on a kernel socket in: the kernel says what went on the wire. */
START_TEST(test_write_batch_kernel_reads)
{
	const int n = 300;
	rn_ipv4_packetconn *pc = open_pc();
	int fd = kernel_sock();
	rn_addr dst = fd_addr(fd), src = pc_addr(pc);
	rn_ipv4_control_message cm;
	bool seen[300] = { false };
	uint8_t buf[MAXPAY + 1];
	struct batch wb;
	ssize_t oobn;

	if (!grow_rcvbuf(fd)) {
		printf("SKIP %s: SO_RCVBUFFORCE needs CAP_NET_ADMIN\n", __func__);
		close(fd);
		rn_ipv4_packetconn_free(pc);
		return;
	}
	batch_init(&wb, n);
	batch_prep_write(&wb, 3, &dst);
	/* Each message also carries control data choosing its source and interface. */
	memset(&cm, 0, sizeof cm);
	cm.src = rn_parse_ip("127.0.0.1");
	cm.ifindex = lo_index();
	for (int i = 0; i < n; i++) {
		oobn = rn_ipv4_control_message_marshal(&cm, batch_oob(&wb, i), OOBSZ);
		ck_assert_int_gt(oobn, 0);
		wb.ms[i].oob = batch_oob(&wb, i);
		wb.ms[i].oob_len = (size_t)oobn;
	}
	for (int done = 0; done < n;) {
		int k = rn_ipv4_packetconn_write_batch(pc, wb.ms + done, n - done, 0);

		ck_assert_msg(k > 0, "WriteBatch: %d %s", k, last_error());
		for (int i = done; i < done + k; i++) {
			ck_assert_uint_eq(wb.ms[i].n, pay_size(i, 3));
			ck_assert_uint_eq(wb.ms[i].nn, (size_t)oobn);
		}
		done += k;
	}
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ssize_t r = recvfrom(fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&ss, &sl);
		rn_udpaddr from;
		int idx;

		ck_assert_int_ge(r, 0);
		idx = pay_check(buf, (size_t)r, 3, n);
		ck_assert(!seen[idx]);
		seen[idx] = true;
		ck_assert_int_eq(rn_udpaddr_from_sockaddr(&from, (struct sockaddr *)&ss, sl), 0);
		assert_same_addr(rn_addr_from_udp(&from), src);
	}
	batch_free(&wb);
	close(fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

/* sendto on a kernel socket out, ReadBatch in. */
START_TEST(test_kernel_writes_read_batch)
{
	const int n = 300;
	rn_ipv4_packetconn *pc = open_pc();
	int fd = kernel_sock();
	struct sockaddr_in sin;
	uint8_t buf[MAXPAY];
	struct batch rb;

	if (!grow_rcvbuf(rn_conn_fd(pc_conn(pc)))) {
		printf("SKIP %s: SO_RCVBUFFORCE needs CAP_NET_ADMIN\n", __func__);
		close(fd);
		rn_ipv4_packetconn_free(pc);
		return;
	}
	ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(
				 pc, RN_IPV4_FLAG_DST | RN_IPV4_FLAG_INTERFACE, true), 0);
	to_sockaddr(pc_addr(pc), &sin);
	for (int i = 0; i < n; i++) {
		size_t len = pay_fill(buf, i, 4);

		ck_assert_int_eq(sendto(fd, buf, len, 0, (struct sockaddr *)&sin, sizeof sin),
				 (ssize_t)len);
	}
	batch_init(&rb, n);
	read_all(pc, &rb, 4, fd_addr(fd));
	batch_free(&rb);
	close(fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

/* ---- flags and special datagrams ---------------------------------------------------- */

START_TEST(test_trunc)
{
	rn_ipv4_packetconn *pc = open_pc();
	int fd = kernel_sock();
	struct sockaddr_in sin;
	uint8_t big[100], small[10], whole[100];
	struct iovec iov[2] = { { small, sizeof small }, { whole, sizeof whole } };
	rn_ipv4_message ms[2];

	to_sockaddr(pc_addr(pc), &sin);
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 3 + 1);
	ck_assert_int_eq(sendto(fd, big, sizeof big, 0, (struct sockaddr *)&sin, sizeof sin), 100);
	ck_assert_int_eq(sendto(fd, big, 60, 0, (struct sockaddr *)&sin, sizeof sin), 60);
	memset(ms, 0, sizeof ms);
	ms[0].buffers = &iov[0];
	ms[0].nbuffers = 1;
	ms[1].buffers = &iov[1];
	ms[1].nbuffers = 1;
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, ms, 2, 0), 2);
	/* The first is cut to the buffer and says so; the rest of it is gone. */
	ck_assert_uint_eq(ms[0].n, sizeof small);
	ck_assert(ms[0].flags & MSG_TRUNC);
	ck_assert_int_eq(memcmp(small, big, sizeof small), 0);
	/* The second fits: no flag. */
	ck_assert_uint_eq(ms[1].n, 60);
	ck_assert_int_eq(ms[1].flags, 0);
	ck_assert_int_eq(memcmp(whole, big, 60), 0);
	close(fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

START_TEST(test_zero_length)
{
	rn_ipv4_packetconn *a = open_pc(), *b = open_pc();
	rn_addr ba = pc_addr(b);
	uint8_t five[5] = "abcde", seven[7] = "1234567", r0[16], r1[16], r2[16], r3[16];
	struct iovec w[3] = { { five, 5 }, { NULL, 0 }, { seven, 7 } };
	struct iovec r[4] = { { r0, 16 }, { r1, 16 }, { r2, 16 }, { r3, 16 } };
	rn_ipv4_message ms[4];
	int fd = kernel_sock();
	uint8_t kb[16];

	/* 5 bytes, an empty datagram (no buffers at all), 7 bytes. */
	memset(ms, 0, sizeof ms);
	ms[0].buffers = &w[0];
	ms[0].nbuffers = 1;
	ms[1].nbuffers = 0;
	ms[2].buffers = &w[2];
	ms[2].nbuffers = 1;
	for (int i = 0; i < 3; i++) {
		ms[i].addr = ba;
		ms[i].n = 99;
	}
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(a, ms, 3, 0), 3);
	ck_assert_uint_eq(ms[0].n, 5);
	ck_assert_uint_eq(ms[1].n, 0);
	ck_assert_uint_eq(ms[2].n, 7);
	/* And one from the kernel, into a buffer of length zero on our side. */
	{
		struct sockaddr_in sin;

		to_sockaddr(ba, &sin);
		ck_assert_int_eq(sendto(fd, kb, 0, 0, (struct sockaddr *)&sin, sizeof sin), 0);
	}

	memset(ms, 0, sizeof ms);
	for (int i = 0; i < 4; i++) {
		ms[i].buffers = &r[i];
		ms[i].nbuffers = 1;
		ms[i].n = 99;
	}
	r[3].iov_len = 0;
	for (int got = 0; got < 4;) {
		int k = rn_ipv4_packetconn_read_batch(b, ms + got, 4 - got, 0);

		ck_assert_msg(k > 0, "%s", last_error());
		got += k;
	}
	ck_assert_uint_eq(ms[0].n, 5);
	ck_assert_int_eq(memcmp(r0, "abcde", 5), 0);
	ck_assert_uint_eq(ms[1].n, 0);
	ck_assert_int_eq(ms[1].flags, 0);
	assert_same_addr(ms[1].addr, pc_addr(a));
	ck_assert_uint_eq(ms[2].n, 7);
	ck_assert_int_eq(memcmp(r2, "1234567", 7), 0);
	ck_assert_uint_eq(ms[3].n, 0);
	ck_assert_int_eq(ms[3].flags, 0); /* nothing was cut */
	assert_same_addr(ms[3].addr, fd_addr(fd));

	/* The kernel, too, sees an empty datagram from WriteBatch. */
	{
		rn_ipv4_message one;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ssize_t rr;

		memset(&one, 0, sizeof one);
		one.addr = fd_addr(fd);
		ck_assert_int_eq(rn_ipv4_packetconn_write_batch(a, &one, 1, 0), 1);
		rr = recvfrom(fd, kb, sizeof kb, MSG_TRUNC, (struct sockaddr *)&ss, &sl);
		ck_assert_int_eq(rr, 0);
	}
	close(fd);
	rn_ipv4_packetconn_free(a);
	rn_ipv4_packetconn_free(b);
}
END_TEST

START_TEST(test_peek)
{
	rn_ipv4_packetconn *pc = open_pc();
	int fd = kernel_sock();
	struct sockaddr_in sin;
	uint8_t b0[16], b1[16];
	struct iovec iov[2] = { { b0, sizeof b0 }, { b1, sizeof b1 } };
	rn_ipv4_message ms[2];

	to_sockaddr(pc_addr(pc), &sin);
	ck_assert_int_eq(sendto(fd, "first", 5, 0, (struct sockaddr *)&sin, sizeof sin), 5);
	ck_assert_int_eq(sendto(fd, "second", 6, 0, (struct sockaddr *)&sin, sizeof sin), 6);
	memset(ms, 0, sizeof ms);
	ms[0].buffers = &iov[0];
	ms[0].nbuffers = 1;
	ms[1].buffers = &iov[1];
	ms[1].nbuffers = 1;

	/* Peeking twice sees the head both times. */
	for (int round = 0; round < 2; round++) {
		memset(b0, 0, sizeof b0);
		ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, ms, 1, MSG_PEEK), 1);
		ck_assert_uint_eq(ms[0].n, 5);
		ck_assert_int_eq(memcmp(b0, "first", 5), 0);
		assert_same_addr(ms[0].addr, fd_addr(fd));
	}
	/* Both are still queued, in order. */
	memset(b0, 0, sizeof b0);
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, ms, 2, 0), 2);
	ck_assert_uint_eq(ms[0].n, 5);
	ck_assert_int_eq(memcmp(b0, "first", 5), 0);
	ck_assert_uint_eq(ms[1].n, 6);
	ck_assert_int_eq(memcmp(b1, "second", 6), 0);
	close(fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

struct late_sender {
	int fd;
	struct sockaddr_in to;
	int delay_ms;
};

static void *late_send(void *arg)
{
	struct late_sender *s = arg;

	sleep_ms(s->delay_ms);
	if (sendto(s->fd, "late", 4, 0, (struct sockaddr *)&s->to, sizeof s->to) != 4)
		abort();
	return NULL;
}

/* A blocked ReadBatch of 64 comes back with the one datagram that arrived. */
START_TEST(test_read_batch_returns_early)
{
	rn_ipv4_packetconn *pc = open_pc();
	struct late_sender s = { kernel_sock(), { 0 }, 100 };
	struct batch rb;
	pthread_t t;
	int64_t t0;

	to_sockaddr(pc_addr(pc), &s.to);
	batch_init(&rb, 64);
	batch_prep_read(&rb, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, late_send, &s), 0);
	t0 = mono_ms();
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, rb.ms, 64, 0), 1);
	ck_assert_int_lt(mono_ms() - t0, 5000); /* well before the 20 s guard */
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(rb.ms[0].n, 4);
	ck_assert_int_eq(memcmp(rb.head, "late", 4), 0);
	ck_assert_uint_eq(rb.ms[1].n, 12345);
	batch_free(&rb);
	close(s.fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

/* Read what is queued on a kernel socket without waiting: the payload lengths in order. */
static int drain(int fd, size_t *lens, int max)
{
	uint8_t buf[128 * 1024];
	int n = 0;

	for (;;) {
		ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);

		if (r < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			return n;
		}
		ck_assert_int_lt(n, max);
		lens[n++] = (size_t)r;
	}
}

/*
 * A message the kernel refuses (too big for UDP) stops the batch after the
 * ones before it; calling again from there gives its error and sends
 * nothing; the messages after it go on the next call.
 */
START_TEST(test_write_batch_partial_kernel_error)
{
	rn_ipv4_packetconn *pc = open_pc();
	int fd = kernel_sock();
	rn_addr dst = fd_addr(fd);
	static uint8_t huge[70000];
	uint8_t a[3] = "abc", c[4] = "wxyz";
	struct iovec iov[3] = { { a, 3 }, { huge, sizeof huge }, { c, 4 } };
	rn_ipv4_message ms[3];
	size_t lens[8];

	memset(ms, 0, sizeof ms);
	for (int i = 0; i < 3; i++) {
		ms[i].buffers = &iov[i];
		ms[i].nbuffers = 1;
		ms[i].addr = dst;
	}
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, ms, 3, 0), 1);
	ck_assert_uint_eq(ms[0].n, 3);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, ms + 1, 2, 0), -EMSGSIZE);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, ms + 2, 1, 0), 1);
	ck_assert_uint_eq(ms[2].n, 4);
	sleep_ms(20);
	ck_assert_int_eq(drain(fd, lens, 8), 2);
	ck_assert_uint_eq(lens[0], 3);
	ck_assert_uint_eq(lens[1], 4);
	close(fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

/* A destination the conn cannot use cuts the batch before it, with an OpError "write". */
START_TEST(test_write_batch_partial_bad_addr)
{
	rn_ipv4_packetconn *pc = open_pc();
	int fd = kernel_sock();
	rn_addr dst = fd_addr(fd), v6 = udp_addr("::1", 9);
	uint8_t a[2] = "ab", b[2] = "cd";
	struct iovec iov[3] = { { a, 2 }, { b, 2 }, { a, 1 } };
	rn_ipv4_message ms[3];
	char want[512], la[RN_ADDR_STRLEN];
	size_t lens[8];
	int rc;

	memset(ms, 0, sizeof ms);
	for (int i = 0; i < 3; i++) {
		ms[i].buffers = &iov[i];
		ms[i].nbuffers = 1;
		ms[i].addr = dst;
	}
	ms[1].addr = v6;
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, ms, 3, 0), 1);
	rc = rn_ipv4_packetconn_write_batch(pc, ms + 1, 2, 0);
	ck_assert_int_lt(rc, 0);
	ck_assert_int_eq(rc, rn_last_error()->code);
	ck_assert(rn_last_error()->op_error);
	snprintf(want, sizeof want, "write udp %s->[::1]:9: ", astr(pc_addr(pc), la));
	ck_assert_msg(strncmp(last_error(), want, strlen(want)) == 0, "%s", last_error());
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, ms + 2, 1, 0), 1);
	sleep_ms(20);
	ck_assert_int_eq(drain(fd, lens, 8), 2);
	ck_assert_uint_eq(lens[0], 2);
	ck_assert_uint_eq(lens[1], 1);
	close(fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

/* ---- ReadFrom / WriteTo with control messages ---------------------------------------- */

START_TEST(test_read_from_write_to_cm)
{
	rn_ipv4_packetconn *a = open_pc(), *b = open_pc();
	rn_addr ba = pc_addr(b), src;
	rn_ipv4_control_message wcm, cm;
	char buf[64];
	int lo = lo_index();

	ck_assert_int_eq(rn_ipv4_packetconn_set_ttl(a, 42), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(
				 b, RN_IPV4_FLAG_TTL | RN_IPV4_FLAG_DST | RN_IPV4_FLAG_INTERFACE,
				 true), 0);
	memset(&wcm, 0, sizeof wcm);
	wcm.src = rn_parse_ip("127.0.0.1");
	wcm.ifindex = lo;
	ck_assert_int_eq(rn_ipv4_packetconn_write_to(a, "hello", 5, &wcm, &ba), 5);
	ck_assert_int_eq(rn_ipv4_packetconn_read_from(b, buf, sizeof buf, &cm, &src), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	assert_same_addr(src, pc_addr(a));
	ck_assert_int_eq(cm.ttl, 42);
	ck_assert_int_eq(cm.dst.len, 4);
	ck_assert_int_eq(memcmp(cm.dst.b, "\x7f\x00\x00\x01", 4), 0);
	ck_assert_int_eq(cm.ifindex, lo);

	/* TTL off: PKTINFO still on. */
	ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(b, RN_IPV4_FLAG_TTL, false), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_write_to(a, "x", 1, NULL, &ba), 1);
	ck_assert_int_eq(rn_ipv4_packetconn_read_from(b, buf, sizeof buf, &cm, NULL), 1);
	ck_assert_int_eq(cm.ttl, 0);
	ck_assert_int_eq(cm.ifindex, lo);

	/* DST off, INTERFACE still on: PKTINFO stays on. */
	ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(b, RN_IPV4_FLAG_DST, false), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_write_to(a, "y", 1, NULL, &ba), 1);
	ck_assert_int_eq(rn_ipv4_packetconn_read_from(b, buf, sizeof buf, &cm, NULL), 1);
	ck_assert_int_eq(cm.ifindex, lo);

	/* All off: nothing arrives. */
	ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(b, RN_IPV4_FLAG_INTERFACE, false),
			 0);
	ck_assert_int_eq(rn_ipv4_packetconn_write_to(a, "z", 1, NULL, &ba), 1);
	ck_assert_int_eq(rn_ipv4_packetconn_read_from(b, buf, sizeof buf, &cm, &src), 1);
	ck_assert_int_eq(cm.ttl, 0);
	ck_assert_int_eq(cm.dst.len, 0);
	ck_assert_int_eq(cm.ifindex, 0);
	assert_same_addr(src, pc_addr(a));
	rn_ipv4_packetconn_free(a);
	rn_ipv4_packetconn_free(b);
}
END_TEST

/* WriteTo's control message reaches the kernel: an interface that does not exist is refused. */
START_TEST(test_write_to_cm_unknown_ifindex)
{
	rn_ipv4_packetconn *a = open_pc(), *b = open_pc();
	rn_addr ba = pc_addr(b);
	rn_ipv4_control_message wcm;
	int ifx = 0x7ffffff0;

	while (if_indextoname((unsigned)ifx, (char[IF_NAMESIZE]){ 0 }))
		ifx--;
	memset(&wcm, 0, sizeof wcm);
	wcm.ifindex = ifx;
	ck_assert_int_eq(rn_ipv4_packetconn_write_to(a, "x", 1, &wcm, &ba), -ENODEV);
	ck_assert(rn_last_error()->op_error);
	rn_ipv4_packetconn_free(a);
	rn_ipv4_packetconn_free(b);
}
END_TEST

START_TEST(test_tos_ttl)
{
	rn_ipv4_packetconn *pc = open_pc();
	int fd = rn_conn_fd(pc_conn(pc)), v;
	socklen_t len = sizeof v;

	ck_assert_int_eq(rn_ipv4_packetconn_set_tos(pc, 0x28), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_tos(pc), 0x28);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_IP, IP_TOS, &v, &len), 0);
	ck_assert_int_eq(v, 0x28);
	ck_assert_int_eq(rn_ipv4_packetconn_set_ttl(pc, 17), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_ttl(pc), 17);
	len = sizeof v;
	ck_assert_int_eq(getsockopt(fd, IPPROTO_IP, IP_TTL, &v, &len), 0);
	ck_assert_int_eq(v, 17);
	/* The kernel's range: a TTL of 0 or 256 is refused. */
	ck_assert_int_eq(rn_ipv4_packetconn_set_ttl(pc, 256), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_set_ttl(pc, 0), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_ttl(pc), 17);
	/* The same through ipv4.Conn on the conn underneath. */
	ck_assert_int_eq(rn_ipv4_conn_set_tos(pc_conn(pc), 0x10), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_tos(pc), 0x10);
	ck_assert_int_eq(rn_ipv4_conn_ttl(pc_conn(pc)), 17);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

/* ---- SetBPF ---------------------------------------------------------------------------- */

/*
 * A socket filter on UDP sees the datagram from its UDP header on, so
 * "len > 8 + N" accepts payloads longer than N bytes.
 */
START_TEST(test_bpf_length)
{
	const uint32_t N = 10;
	const rn_bpf_raw_instruction prog[] = {
		{ BPF_LD | BPF_W | BPF_LEN, 0, 0, 0 },
		{ BPF_JMP | BPF_JGT | BPF_K, 0, 1, 8 + N },
		{ BPF_RET | BPF_K, 0, 0, 0xffffffff },
		{ BPF_RET | BPF_K, 0, 0, 0 },
	};
	const size_t sizes[] = { 0, 1, 9, 10, 11, 12, 30, 10, 100 };
	rn_ipv4_packetconn *pc = open_pc();
	int fd = kernel_sock();
	struct sockaddr_in sin;
	uint8_t buf[128];
	size_t want = 0;

	ck_assert_int_eq(rn_ipv4_packetconn_set_bpf(pc, prog, sizeof prog / sizeof prog[0]), 0);
	to_sockaddr(pc_addr(pc), &sin);
	memset(buf, 'q', sizeof buf);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		ck_assert_int_eq(sendto(fd, buf, sizes[i], 0, (struct sockaddr *)&sin, sizeof sin),
				 (ssize_t)sizes[i]);
	/* What passed, in order, then nothing. */
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		if (sizes[i] <= N)
			continue;
		want++;
		ck_assert_int_eq(rn_ipv4_packetconn_read_from(pc, buf, sizeof buf, NULL, NULL),
				 (ssize_t)sizes[i]);
	}
	ck_assert_uint_eq(want, 4);
	ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(
				 pc, rn_time_add(rn_now(), 50 * RN_MILLISECOND)), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_read_from(pc, buf, sizeof buf, NULL, NULL),
			 RN_ETIMEOUT);
	close(fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

START_TEST(test_bpf_reject_all)
{
	const rn_bpf_raw_instruction drop[] = { { BPF_RET | BPF_K, 0, 0, 0 } };
	const rn_bpf_raw_instruction keep[] = { { BPF_RET | BPF_K, 0, 0, 0xffffffff } };
	rn_ipv4_packetconn *pc = open_pc();
	int fd = kernel_sock();
	struct sockaddr_in sin;
	struct batch rb;

	ck_assert_int_eq(rn_ipv4_packetconn_set_bpf(pc, drop, 1), 0);
	to_sockaddr(pc_addr(pc), &sin);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(sendto(fd, "gone", 4, 0, (struct sockaddr *)&sin, sizeof sin), 4);
	batch_init(&rb, 8);
	batch_prep_read(&rb, 0);
	ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(
				 pc, rn_time_add(rn_now(), 50 * RN_MILLISECOND)), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, rb.ms, 8, 0), RN_ETIMEOUT);
	/* A new program replaces it: what comes now arrives, what was dropped stays dropped. */
	ck_assert_int_eq(rn_ipv4_packetconn_set_bpf(pc, keep, 1), 0);
	ck_assert_int_eq(sendto(fd, "kept", 4, 0, (struct sockaddr *)&sin, sizeof sin), 4);
	guard(pc);
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, rb.ms, 8, 0), 1);
	ck_assert_uint_eq(rb.ms[0].n, 4);
	ck_assert_int_eq(memcmp(rb.head, "kept", 4), 0);
	batch_free(&rb);
	close(fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

START_TEST(test_bpf_bad_programs)
{
	const rn_bpf_raw_instruction ok[] = { { BPF_RET | BPF_K, 0, 0, 0 } };
	/* No return at the end: the kernel's checker refuses it. */
	const rn_bpf_raw_instruction no_ret[] = { { BPF_LD | BPF_W | BPF_LEN, 0, 0, 0 } };
	/* A jump past the end. */
	const rn_bpf_raw_instruction wild[] = {
		{ BPF_JMP | BPF_JA, 0, 0, 5 },
		{ BPF_RET | BPF_K, 0, 0, 0 },
	};
	rn_ipv4_packetconn *pc = open_pc();

	ck_assert_int_eq(rn_ipv4_packetconn_set_bpf(pc, ok, 0), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_set_bpf(pc, NULL, 1), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_set_bpf(pc, no_ret, 1), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_set_bpf(pc, wild, 2), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_set_bpf(NULL, ok, 1), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_set_bpf(pc, ok, 1), 0);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

/* ---- deadlines and Close ------------------------------------------------------------------ */

START_TEST(test_deadline_past)
{
	rn_ipv4_packetconn *pc = open_pc();
	struct batch b;
	char want[256], la[RN_ADDR_STRLEN];
	int64_t t0;

	batch_init(&b, 4);
	batch_prep_read(&b, 0);
	ck_assert_int_eq(
		rn_ipv4_packetconn_set_read_deadline(pc, rn_time_add(rn_now(), -RN_SECOND)), 0);
	t0 = mono_ms();
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, b.ms, 4, 0), RN_ETIMEOUT);
	ck_assert_int_lt(mono_ms() - t0, 1000);
	/* Go's x/net: OpError{"read", LocalAddr().Network(), LocalAddr(), nil}. */
	snprintf(want, sizeof want, "read udp %s: i/o timeout", astr(pc_addr(pc), la));
	ck_assert_str_eq(last_error(), want);
	ck_assert_uint_eq(b.ms[0].n, 12345);

	/* The write side: the first message waits under the write deadline. */
	batch_prep_write(&b, 5, NULL);
	for (int i = 0; i < 4; i++)
		b.ms[i].addr = pc_addr(pc);
	ck_assert_int_eq(
		rn_ipv4_packetconn_set_write_deadline(pc, rn_time_add(rn_now(), -RN_SECOND)), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, b.ms, 4, 0), RN_ETIMEOUT);
	snprintf(want, sizeof want, "write udp %s: i/o timeout", la);
	ck_assert_str_eq(last_error(), want);
	batch_free(&b);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

/* A deadline that fires while ReadBatch waits; a datagram sent after it is read next time. */
START_TEST(test_deadline_fires_then_read)
{
	rn_ipv4_packetconn *pc = open_pc();
	int fd = kernel_sock();
	struct sockaddr_in sin;
	struct batch b;
	int64_t t0, dt;

	to_sockaddr(pc_addr(pc), &sin);
	batch_init(&b, 16);
	batch_prep_read(&b, 0);
	ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(
				 pc, rn_time_add(rn_now(), 150 * RN_MILLISECOND)), 0);
	t0 = mono_ms();
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, b.ms, 16, 0), RN_ETIMEOUT);
	dt = mono_ms() - t0;
	ck_assert_int_ge(dt, 140);
	ck_assert_int_lt(dt, 5000);
	/* Still expired: fails again at once. */
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, b.ms, 16, 0), RN_ETIMEOUT);

	ck_assert_int_eq(sendto(fd, "after", 5, 0, (struct sockaddr *)&sin, sizeof sin), 5);
	guard(pc);
	batch_prep_read(&b, 0);
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, b.ms, 16, 0), 1);
	ck_assert_uint_eq(b.ms[0].n, 5);
	ck_assert_int_eq(memcmp(b.head, "after", 5), 0);
	batch_free(&b);
	close(fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

struct trickle {
	int fd;
	struct sockaddr_in to;
	int count;
};

static void *trickle_send(void *arg)
{
	struct trickle *s = arg;
	uint8_t buf[MAXPAY];

	for (int i = 0; i < s->count; i++) {
		size_t len = pay_fill(buf, i, 6);

		if (sendto(s->fd, buf, len, 0, (struct sockaddr *)&s->to, sizeof s->to) !=
		    (ssize_t)len)
			abort();
		if (i % 4 == 3)
			sleep_ms(10); /* far longer than the reader's deadlines: they fire in between */
	}
	return NULL;
}

/*
 * Deadlines of a millisecond or two firing over and over while datagrams
 * trickle in: every datagram is read exactly once, none lost to a
 * cancelled receive.
 */
START_TEST(test_deadline_races_no_loss)
{
	const int count = 400;
	rn_ipv4_packetconn *pc = open_pc();
	struct trickle s = { kernel_sock(), { 0 }, count };
	bool *seen = calloc((size_t)count, sizeof(bool));
	uint8_t buf[MAXPAY];
	int got = 0, timeouts = 0;
	struct batch b;
	pthread_t t;
	int64_t t0;

	ck_assert_ptr_nonnull(seen);
	grow_rcvbuf(rn_conn_fd(pc_conn(pc)));
	to_sockaddr(pc_addr(pc), &s.to);
	batch_init(&b, 8);
	ck_assert_int_eq(pthread_create(&t, NULL, trickle_send, &s), 0);
	t0 = mono_ms();
	while (got < count && mono_ms() - t0 < 20000) {
		int k;

		batch_prep_read(&b, 0);
		ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(
					 pc, rn_time_add(rn_now(), (1 + got % 2) * RN_MILLISECOND)),
				 0);
		k = rn_ipv4_packetconn_read_batch(pc, b.ms, 8, 0);
		if (k == RN_ETIMEOUT) {
			timeouts++;
			continue;
		}
		ck_assert_msg(k > 0, "%d %s", k, last_error());
		for (int i = 0; i < k; i++) {
			int idx = pay_check(buf, batch_read_payload(&b, i, buf), 6, count);

			ck_assert_msg(!seen[idx], "message %d twice", idx);
			seen[idx] = true;
		}
		got += k;
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(got, count);
	ck_assert_int_gt(timeouts, 0);
	batch_free(&b);
	free(seen);
	close(s.fd);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

struct closer {
	rn_ipv4_packetconn *pc;
	atomic_int rc;
};

static void *close_later(void *arg)
{
	struct closer *k = arg;

	sleep_ms(150);
	atomic_store(&k->rc, rn_ipv4_packetconn_close(k->pc));
	return NULL;
}

struct mover {
	rn_ipv4_packetconn *pc;
	atomic_int rc;
};

static void *expire_later(void *arg)
{
	struct mover *m = arg;

	sleep_ms(150);
	atomic_store(&m->rc, rn_ipv4_packetconn_set_read_deadline(
				     m->pc, rn_time_add(rn_now(), -RN_SECOND)));
	return NULL;
}

/* A read deadline moved into the past from another thread ends a blocked ReadBatch. */
START_TEST(test_deadline_moved_unblocks_read_batch)
{
	struct mover m = { open_pc(), 1 };
	struct batch b;
	pthread_t t;
	int64_t t0;

	batch_init(&b, 16);
	batch_prep_read(&b, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, expire_later, &m), 0);
	t0 = mono_ms();
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(m.pc, b.ms, 16, 0), RN_ETIMEOUT);
	ck_assert_int_lt(mono_ms() - t0, 5000); /* not the 20 s guard */
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(atomic_load(&m.rc), 0);
	batch_free(&b);
	rn_ipv4_packetconn_free(m.pc);
}
END_TEST

START_TEST(test_close_unblocks_read_batch)
{
	struct closer k = { open_pc(), 1 };
	struct batch b;
	pthread_t t;
	int64_t t0;

	batch_init(&b, 16);
	batch_prep_read(&b, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, close_later, &k), 0);
	t0 = mono_ms();
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(k.pc, b.ms, 16, 0), RN_ECLOSED);
	ck_assert_int_lt(mono_ms() - t0, 5000);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(atomic_load(&k.rc), 0);
	ck_assert_uint_eq(b.ms[0].n, 12345);
	batch_free(&b);
	rn_ipv4_packetconn_free(k.pc);
}
END_TEST

START_TEST(test_double_close)
{
	rn_ipv4_packetconn *pc = open_pc();
	rn_addr self = pc_addr(pc);
	struct batch b;

	batch_init(&b, 2);
	ck_assert_int_eq(rn_ipv4_packetconn_close(pc), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_close(pc), RN_ECLOSED);
	batch_prep_read(&b, 0);
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, b.ms, 2, 0), RN_ECLOSED);
	batch_prep_write(&b, 7, &self);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, b.ms, 2, 0), RN_ECLOSED);
	ck_assert_int_eq(rn_ipv4_packetconn_set_tos(pc, 0), RN_ECLOSED);
	batch_free(&b);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

/* ---- bad input ------------------------------------------------------------------------------- */

/* More than RN_IPV4_BATCH_MAX messages: each call moves at most that many. */
START_TEST(test_batch_over_max)
{
	const int n = RN_IPV4_BATCH_MAX + 40;
	rn_ipv4_packetconn *a = open_pc(), *b = open_pc();
	struct batch wb, rb;
	rn_addr ba = pc_addr(b);
	uint8_t buf[MAXPAY];
	bool *seen = calloc((size_t)n, sizeof(bool));
	int sent = 0, got = 0, k;

	ck_assert_ptr_nonnull(seen);
	if (!grow_rcvbuf(rn_conn_fd(pc_conn(b)))) {
		printf("SKIP %s: SO_RCVBUFFORCE needs CAP_NET_ADMIN\n", __func__);
		free(seen);
		rn_ipv4_packetconn_free(a);
		rn_ipv4_packetconn_free(b);
		return;
	}
	batch_init(&wb, n);
	batch_init(&rb, n);
	batch_prep_write(&wb, 8, &ba);
	k = rn_ipv4_packetconn_write_batch(a, wb.ms, n, 0);
	ck_assert_int_gt(k, 0);
	ck_assert_int_le(k, RN_IPV4_BATCH_MAX);
	ck_assert_uint_eq(wb.ms[RN_IPV4_BATCH_MAX].n, 12345); /* never touched */
	for (sent = k; sent < n; sent += k) {
		k = rn_ipv4_packetconn_write_batch(a, wb.ms + sent, n - sent, 0);
		ck_assert_int_gt(k, 0);
	}
	sleep_ms(20);

	/* All n are queued; one call takes exactly the most it may. */
	batch_prep_read(&rb, 0);
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(b, rb.ms, n, 0), RN_IPV4_BATCH_MAX);
	ck_assert_uint_eq(rb.ms[RN_IPV4_BATCH_MAX].n, 12345);
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(b, rb.ms + RN_IPV4_BATCH_MAX,
						       n - RN_IPV4_BATCH_MAX, 0), 40);
	for (got = 0; got < n; got++) {
		int idx = pay_check(buf, batch_read_payload(&rb, got, buf), 8, n);

		ck_assert(!seen[idx]);
		seen[idx] = true;
	}
	batch_free(&wb);
	batch_free(&rb);
	free(seen);
	rn_ipv4_packetconn_free(a);
	rn_ipv4_packetconn_free(b);
}
END_TEST

START_TEST(test_null_messages)
{
	rn_ipv4_packetconn *pc = open_pc();
	rn_addr self = pc_addr(pc);
	rn_ipv4_message m;
	uint8_t byte;
	struct iovec iov = { &byte, 1 };

	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, NULL, 1, 0), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, NULL, 1, 0), -EINVAL);
	/* Nothing asked, nothing done: no wait, no error. */
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, NULL, 0, 0), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, NULL, 0, 0), 0);
	memset(&m, 0, sizeof m);
	m.buffers = &iov;
	m.nbuffers = 1;
	m.addr = self;
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, &m, -1, 0), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, &m, -1, 0), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(NULL, &m, 1, 0), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(NULL, &m, 1, 0), -EINVAL);
	/* Buffers claimed but absent; control room claimed but absent; a negative count. */
	m.buffers = NULL;
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, &m, 1, 0), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, &m, 1, 0), -EINVAL);
	m.buffers = &iov;
	m.oob_len = 8;
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, &m, 1, 0), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, &m, 1, 0), -EINVAL);
	m.oob_len = 0;
	m.nbuffers = -1;
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, &m, 1, 0), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, &m, 1, 0), -EINVAL);
	/* ReadFrom/WriteTo: no buffer for a non-empty length. */
	ck_assert_int_eq(rn_ipv4_packetconn_read_from(pc, NULL, 4, NULL, NULL), -EINVAL);
	ck_assert_int_eq(rn_ipv4_packetconn_write_to(pc, NULL, 4, NULL, &self), -EINVAL);
	/* The conn still works. */
	m.nbuffers = 1;
	ck_assert_int_eq(rn_ipv4_packetconn_write_batch(pc, &m, 1, 0), 1);
	byte = 0;
	ck_assert_int_eq(rn_ipv4_packetconn_read_batch(pc, &m, 1, 0), 1);
	ck_assert_uint_eq(m.n, 1);
	rn_ipv4_packetconn_free(pc);
}
END_TEST

START_TEST(test_new_packetconn_not_packet)
{
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");
	char text[RN_ADDR_STRLEN];
	rn_conn *c, *s, *p1, *p2;

	ck_assert_msg(l != NULL, "%s", last_error());
	c = rn_dial("tcp", astr(rn_listener_addr(l), text));
	ck_assert_msg(c != NULL, "%s", last_error());
	s = rn_listener_accept(l);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(rn_ipv4_new_packetconn(c));
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	/* Not taken: the caller still owns it and it still works. */
	ck_assert_int_eq(rn_conn_write(c, "ok", 2), 2);
	ck_assert_int_eq(rn_conn_read(s, text, sizeof text), 2);
	ck_assert_ptr_null(rn_ipv4_new_packetconn(NULL));
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	ck_assert_int_eq(rn_pipe(&p1, &p2), 0);
	ck_assert_ptr_null(rn_ipv4_new_packetconn(p1));
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	rn_conn_free(p1);
	rn_conn_free(p2);
	rn_conn_free(c);
	rn_conn_free(s);
	rn_listener_free(l);
}
END_TEST

static Suite *ipv4_packetconn_suite(void)
{
	Suite *s = suite_create("ipv4_packetconn");
	TCase *tc;

	tc = tu_engine_tcase("batch");
	tcase_add_test(tc, test_batch_1);
	tcase_add_test(tc, test_batch_64);
	tcase_add_test(tc, test_batch_1024);
	tcase_add_test(tc, test_write_batch_kernel_reads);
	tcase_add_test(tc, test_kernel_writes_read_batch);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("semantics");
	tcase_add_test(tc, test_trunc);
	tcase_add_test(tc, test_zero_length);
	tcase_add_test(tc, test_peek);
	tcase_add_test(tc, test_read_batch_returns_early);
	tcase_add_test(tc, test_write_batch_partial_kernel_error);
	tcase_add_test(tc, test_write_batch_partial_bad_addr);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("options");
	tcase_add_test(tc, test_read_from_write_to_cm);
	tcase_add_test(tc, test_write_to_cm_unknown_ifindex);
	tcase_add_test(tc, test_tos_ttl);
	tcase_add_test(tc, test_bpf_length);
	tcase_add_test(tc, test_bpf_reject_all);
	tcase_add_test(tc, test_bpf_bad_programs);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("deadlines");
	tcase_add_test(tc, test_deadline_past);
	tcase_add_test(tc, test_deadline_fires_then_read);
	tcase_add_test(tc, test_deadline_races_no_loss);
	tcase_add_test(tc, test_deadline_moved_unblocks_read_batch);
	tcase_add_test(tc, test_close_unblocks_read_batch);
	tcase_add_test(tc, test_double_close);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("bad_input");
	tcase_add_test(tc, test_batch_over_max);
	tcase_add_test(tc, test_null_messages);
	tcase_add_test(tc, test_new_packetconn_not_packet);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(ipv4_packetconn_suite());
}
