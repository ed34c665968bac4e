/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_dgram_ms.c - the multishot RECVMSG of UDP and raw IPv4 sockets
 * through the public API against the real kernel: a task's reads arm one
 * receive per socket and keep it armed (rn_engine_stats_get says so);
 * ReadBatch waits for the first datagram and takes what is queued; every
 * read path (ReadFrom, ReadFromUDP, ReadMsgUDP, Read, the ipv4 PacketConn
 * and RawConn ReadFrom and ReadBatch) takes from the one queue, once and in
 * order; truncation, MSG_PEEK, control messages and MSG_CTRUNC as
 * recvmsg(2) gives them to a plain thread; deadlines, Close, a connected
 * socket's ICMP error (also behind a full ReadBatch chunk of queued
 * datagrams, where it must wait for the next read); Close giving queued
 * ring buffers back; the queue moving to a plain thread or another
 * runtime thread, and surviving rn_run's return; a flood larger than the
 * datagram buffer ring (starved receive, re-armed behind what it queued);
 * ICMP on a raw socket.
 *
 * Datagrams carry their sequence number and sender id in their first 8
 * bytes and a pattern after, so a datagram lost, repeated, reordered or
 * cut shows at once.  Senders are plain sockets (the receive is under
 * test); paced senders never have more than a window of datagrams in
 * flight, so the socket buffer (grown to 4 MiB besides) cannot overflow.
 * Every test runs under the fd-leak fixture with the thread's engine
 * stopped around the count.  Only loopback is used.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/engine.h>
#include <ringnet/ipv4.h>
#include <ringnet/net.h>
#include <ringnet/runtime.h>
#include <ringnet/task.h>

#include "testutil.h"

/* Whether this engine has the feature the suite is about; prints why a test skips when not. */
#define need_multishot(test) \
	tu_need_feature(RN_ENGINE_RECV_MULTISHOT, "RN_ENGINE_RECV_MULTISHOT", test)

/* Stream lengths: ThreadSanitizer runs them a few times slower. */
#if TU_TSAN
#define MIX_N 800u
#define MIG_N 1200u
#else
#define MIX_N 3000u
#define MIG_N 3000u
#endif

#define DG_HDR 8	/* sequence number and sender id, little-endian */
#define DG_MAX 65507	/* the largest UDP payload over IPv4 */
#define RD_CAP 2048	/* read room for the paced streams (their datagrams are shorter) */
#define RCVBUF (4 << 20)
#define WINDOW 32u	/* datagrams a paced sender may have in flight */

/* ---- helpers -------------------------------------------------------------------------------- */

static long ms_since(int64_t t0)
{
	return (long)((tu_mono_ns() - t0) / 1000000);
}

/* Assert that a call returned @want and that @err (the text recorded then) holds @text. */
static void expect_saved(ssize_t got, int want, const char *err, const char *text)
{
	ck_assert_msg(got == want, "got %zd, want %d (last error: %s)", got, want, err);
	ck_assert_msg(strstr(err, text) != NULL, "error text \"%s\" lacks \"%s\"", err, text);
}

/* The same, with the thread's last error (the call is evaluated before this runs). */
static void expect_error(ssize_t got, int want, const char *text)
{
	char e[TU_ERRLEN];

	expect_saved(got, want, tu_err_text(NULL, e), text);
}

static rn_runtime *new_runtime(int n)
{
	char e[TU_ERRLEN];
	rn_runtime *rt = rn_runtime_new(n);

	ck_assert_msg(rt != NULL, "rn_runtime_new: %s", tu_err_text(NULL, e));
	return rt;
}

/* Whether @fd is closed, waiting up to 500 ms for it while the scheduler runs. */
static bool fd_released(int fd)
{
	for (int i = 0; i < 500; i++) {
		errno = 0;
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF)
			return true;
		rn_sleep(RN_MILLISECOND);
	}
	return false;
}

/* ---- datagrams ------------------------------------------------------------------------------ */

/* Byte @i of datagram @seq from sender @id: the header, then a pattern. */
static uint8_t dg_byte(unsigned id, unsigned seq, size_t i)
{
	if (i < 4)
		return (uint8_t)(seq >> (8 * i));
	if (i < DG_HDR)
		return (uint8_t)(id >> (8 * (i - 4)));
	return (uint8_t)(i * 7u + seq * 13u + id * 101u + 1u);
}

static void dg_fill(void *buf, size_t len, unsigned id, unsigned seq)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < len; i++)
		b[i] = dg_byte(id, seq, i);
}

static unsigned dg_seq(const uint8_t *b)
{
	return (unsigned)b[0] | (unsigned)b[1] << 8 | (unsigned)b[2] << 16 | (unsigned)b[3] << 24;
}

static unsigned dg_id(const uint8_t *b)
{
	return dg_seq(b + 4);
}

/* Assert that the @n bytes at @buf are the first @n of datagram @seq of sender @id. */
static void dg_check_prefix(const void *buf, size_t n, unsigned id, unsigned seq)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < n; i++)
		if (b[i] != dg_byte(id, seq, i))
			ck_abort_msg("sender %u: want datagram %u, byte %zu is %#x, want %#x "
				     "(its header says datagram %u of sender %u)",
				     id, seq, i, b[i], dg_byte(id, seq, i),
				     n >= DG_HDR ? dg_seq(b) : 0u, n >= DG_HDR ? dg_id(b) : 0u);
}

/* Assert that @buf holds datagram @seq of sender @id, whole: @want bytes. */
static void dg_check(const void *buf, size_t n, size_t want, unsigned id, unsigned seq)
{
	ck_assert_msg(n == want, "sender %u datagram %u: %zu bytes, want %zu (header: %u of %u)",
		      id, seq, n, want, n >= DG_HDR ? dg_seq(buf) : 0u,
		      n >= DG_HDR ? dg_id(buf) : 0u);
	dg_check_prefix(buf, n, id, seq);
}

/* The length of datagram @seq of a paced stream: 8 .. 1407 bytes. */
static size_t stream_len(unsigned seq)
{
	return DG_HDR + (seq * 37u) % 1400u;
}

/* A datagram of a paced stream arrived: check it is the next one (*@next) and count it. */
static void stream_take(_Atomic unsigned *next, unsigned id, const void *buf, size_t n)
{
	unsigned seq = atomic_load(next);

	dg_check(buf, n, stream_len(seq), id, seq);
	atomic_store(next, seq + 1);
}

/* ---- sockets -------------------------------------------------------------------------------- */

/* Where plain senders send to. */
struct dest {
	struct sockaddr_storage ss;
	socklen_t len;
};

static struct dest dest_of(rn_conn *c)
{
	struct dest d;

	memset(&d, 0, sizeof(d));
	d.len = sizeof(d.ss);
	ck_assert_int_eq(getsockname(rn_conn_fd(c), (struct sockaddr *)&d.ss, &d.len), 0);
	return d;
}

/* Grow the socket buffer of @fd to RCVBUF (past rmem_max when allowed); what it became. */
static int grow_rcvbuf(int fd)
{
	int v = RCVBUF;
	socklen_t len = sizeof(v);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) != 0)
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), 0);
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len), 0);
	return v;
}

/* A UDP receiver on @net @addr with its socket buffer grown. */
static rn_conn *udp_listen(const char *net, const char *addr)
{
	char e[TU_ERRLEN];
	rn_conn *c = rn_listen_packet(net, addr);

	ck_assert_msg(c != NULL, "listen %s %s: %s", net, addr, tu_err_text(NULL, e));
	grow_rcvbuf(rn_conn_fd(c));
	return c;
}

/* The same as an ipv4 PacketConn (which owns the conn). */
static rn_ipv4_packetconn *pc_wrap(rn_conn *c)
{
	char e[TU_ERRLEN];
	rn_ipv4_packetconn *pc = rn_ipv4_new_packetconn(c);

	ck_assert_msg(pc != NULL, "NewPacketConn: %s", tu_err_text(NULL, e));
	return pc;
}

static rn_ipv4_packetconn *pc_listen(void)
{
	return pc_wrap(udp_listen("udp4", "127.0.0.1:0"));
}

static rn_conn *pcc(rn_ipv4_packetconn *pc)
{
	return rn_ipv4_packetconn_conn(pc);
}

/* Fail a read stuck for 10 s instead of hanging the test. */
static void guard(rn_conn *c)
{
	ck_assert_int_eq(rn_conn_set_read_deadline(c, rn_time_add(rn_now(), 10 * RN_SECOND)), 0);
}

/* A plain UDP socket of @family bound to the loopback address, port 0. */
static int tx_open(int family)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_msg(s >= 0, "socket: %s", strerror(errno));
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	ck_assert_msg(bind(s, (struct sockaddr *)&ss, len) == 0, "bind: %s", strerror(errno));
	return s;
}

/* The address of plain socket @s as ringnet prints a sender. */
static const char *tx_addr_str(int s, char buf[RN_ADDR_STRLEN])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	rn_udpaddr ua;

	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&ss, &len), 0);
	ck_assert_int_eq(rn_udpaddr_from_sockaddr(&ua, (struct sockaddr *)&ss, len), 0);
	return tu_addr_str(rn_addr_from_udp(&ua), buf);
}

/* Send datagram @seq of sender @id, @len bytes, from plain socket @s; asserted. */
static void tx_dg(int s, const struct dest *to, unsigned id, unsigned seq, size_t len)
{
	uint8_t small[RD_CAP], *b = len <= sizeof(small) ? small : malloc(len);
	ssize_t n;

	ck_assert_ptr_nonnull(b);
	dg_fill(b, len, id, seq);
	n = sendto(s, b, len, 0, (const struct sockaddr *)&to->ss, to->len);
	if (b != small)
		free(b);
	ck_assert_msg(n == (ssize_t)len, "sendto %zu bytes: %zd (%s)", len, n, strerror(errno));
}

/*
 * A paced sender: a plain thread sending datagrams 0 .. total-1 of a stream
 * (stream_len() bytes each) on its own socket, never more than @window
 * ahead of the reader's count *@got.  It gives up (stalled) when the
 * reader makes no progress for 5 s.
 */
struct pacer {
	int s;
	struct dest to;
	unsigned id, total, window;
	_Atomic unsigned *got;
	_Atomic unsigned sent;
	int err;
	bool stalled;
	pthread_t th;
};

static void *pacer_main(void *arg)
{
	struct pacer *p = arg;
	uint8_t buf[RD_CAP];

	for (unsigned seq = 0; seq < p->total; seq++) {
		int64_t t0 = tu_mono_ns();
		size_t len = stream_len(seq);

		while (seq - atomic_load(p->got) >= p->window) {
			struct timespec ts = { 0, 20000 };

			if (ms_since(t0) > 5000) {
				p->stalled = true;
				return NULL;
			}
			nanosleep(&ts, NULL);
		}
		dg_fill(buf, len, p->id, seq);
		if (sendto(p->s, buf, len, 0, (const struct sockaddr *)&p->to.ss, p->to.len) !=
		    (ssize_t)len) {
			p->err = errno;
			return NULL;
		}
		atomic_store(&p->sent, seq + 1);
	}
	return NULL;
}

/* Open the pacer's socket (so its address is known before it sends). */
static void pacer_open(struct pacer *p, int family)
{
	memset(p, 0, sizeof(*p));
	p->s = tx_open(family);
}

static void pacer_go(struct pacer *p, rn_conn *to, unsigned id, unsigned total,
		     _Atomic unsigned *got)
{
	p->to = dest_of(to);
	p->id = id;
	p->total = total;
	p->window = WINDOW;
	p->got = got;
	p->th = tu_thread_start(pacer_main, p);
}

static void pacer_join(struct pacer *p)
{
	tu_thread_join(p->th);
	close(p->s);
	ck_assert_msg(p->err == 0, "sender %u: sendto: %s", p->id, strerror(p->err));
	ck_assert_msg(!p->stalled, "sender %u: the reader took nothing for 5 s at datagram %u",
		      p->id, atomic_load(p->got));
	ck_assert_uint_eq(atomic_load(&p->sent), p->total);
}

/*
 * ReadBatch room: @n messages of @cap bytes, each read into two buffers (a
 * 7-byte head and the rest, so datagrams are scattered), with @oob bytes
 * of control room each (zeroed before every read).
 */
#define BATCH_HEAD 7

struct batch {
	int n;
	size_t cap, oob;
	size_t room;	/* each message's data room (BATCH_HEAD .. cap); 0: cap */
	rn_ipv4_message *ms;
	struct iovec *iov;
	uint8_t *data;
	uint8_t *ctl;
};

static void batch_init(struct batch *b, int n, size_t cap, size_t oob)
{
	b->n = n;
	b->cap = cap;
	b->oob = oob;
	b->ms = calloc((size_t)n, sizeof(*b->ms));
	b->iov = calloc(2 * (size_t)n, sizeof(*b->iov));
	b->data = malloc((size_t)n * cap);
	b->ctl = oob ? calloc((size_t)n, oob) : NULL;
	ck_assert(b->ms && b->iov && b->data && (b->ctl || !oob));
}

static void batch_free(struct batch *b)
{
	free(b->ms);
	free(b->iov);
	free(b->data);
	free(b->ctl);
	memset(b, 0, sizeof(*b));
}

/* Set the messages up for the next read (the outputs poisoned, so a stale one shows). */
static void batch_reset(struct batch *b)
{
	size_t room = b->room ? b->room : b->cap;

	for (int i = 0; i < b->n; i++) {
		rn_ipv4_message *m = &b->ms[i];
		uint8_t *d = b->data + (size_t)i * b->cap;

		b->iov[2 * i] = (struct iovec){ d, BATCH_HEAD };
		b->iov[2 * i + 1] = (struct iovec){ d + BATCH_HEAD, room - BATCH_HEAD };
		memset(m, 0, sizeof(*m));
		m->buffers = &b->iov[2 * i];
		m->nbuffers = 2;
		m->oob = b->oob ? b->ctl + (size_t)i * b->oob : NULL;
		m->oob_len = b->oob;
		m->n = m->nn = (size_t)-1;
		m->flags = -1;
	}
	if (b->oob)
		memset(b->ctl, 0, (size_t)b->n * b->oob);
	memset(b->data, 0xee, (size_t)b->n * b->cap);
}

/* The bytes message @i received (contiguous: both its buffers are one region). */
static const uint8_t *batch_data(const struct batch *b, int i)
{
	return b->data + (size_t)i * b->cap;
}

/* ReadBatch of up to @n (at most b->n) messages with @flags. */
static int batch_read(rn_ipv4_packetconn *pc, struct batch *b, int n, int flags)
{
	batch_reset(b);
	return rn_ipv4_packetconn_read_batch(pc, b->ms, n, flags);
}

/* ---- arming --------------------------------------------------------------------------------- */

enum { ARM_N = 400 };

struct arm {
	rn_conn *c;
	struct pacer tx[2];
	_Atomic unsigned next[2];
	char from[2][RN_ADDR_STRLEN];
	int reads;
	uint8_t buf[RD_CAP];
	rn_engine_stats before, after;
};

/* ReadFrom until both senders' streams are in, each datagram from the right sender. */
static void arm_reader(void *arg)
{
	struct arm *a = arg;
	char e[TU_ERRLEN], fs[RN_ADDR_STRLEN];

	a->before = tu_engine_stats();
	while (atomic_load(&a->next[0]) + atomic_load(&a->next[1]) < 2 * ARM_N) {
		rn_addr from;
		ssize_t n = rn_conn_read_from(a->c, a->buf, sizeof(a->buf), &from);
		unsigned id;

		ck_assert_msg(n >= DG_HDR, "ReadFrom after %d reads: %zd (%s)", a->reads, n,
			      tu_err_text(NULL, e));
		id = dg_id(a->buf);
		ck_assert_msg(id < 2, "a datagram of sender %u", id);
		ck_assert_str_eq(tu_addr_str(from, fs), a->from[id]);
		stream_take(&a->next[id], id, a->buf, (size_t)n);
		a->reads++;
	}
	a->after = tu_engine_stats();
}

static const struct {
	const char *net, *addr;
	int family;
} arm_nets[] = { { "udp4", "127.0.0.1:0", AF_INET }, { "udp6", "[::1]:0", AF_INET6 } };

START_TEST(test_task_reads_arm_once)
{
	struct arm *a;

	if (!need_multishot("test_task_reads_arm_once"))
		return;
	a = calloc(1, sizeof(*a));
	ck_assert_ptr_nonnull(a);
	a->c = udp_listen(arm_nets[_i].net, arm_nets[_i].addr);
	guard(a->c);
	for (unsigned i = 0; i < 2; i++) {
		pacer_open(&a->tx[i], arm_nets[_i].family);
		tx_addr_str(a->tx[i].s, a->from[i]);
	}
	tu_go(arm_reader, a);
	for (unsigned i = 0; i < 2; i++)
		pacer_go(&a->tx[i], a->c, i, ARM_N, &a->next[i]);
	tu_run();
	for (int i = 0; i < 2; i++)
		pacer_join(&a->tx[i]);
	ck_assert_int_eq(a->reads, 2 * ARM_N);
	ck_assert_msg(a->after.recv_multishot_armed == a->before.recv_multishot_armed + 1,
		      "%llu receives armed for %d ReadFrom calls on one %s socket",
		      a->after.recv_multishot_armed - a->before.recv_multishot_armed, a->reads,
		      arm_nets[_i].net);
	ck_assert_msg(a->after.recv_oneshot == a->before.recv_oneshot, "%llu one-shot receives",
		      a->after.recv_oneshot - a->before.recv_oneshot);
	rn_conn_free(a->c);
	free(a);
}
END_TEST

/* ---- ReadBatch ------------------------------------------------------------------------------ */

struct bwait {
	rn_ipv4_packetconn *pc;
	struct dest to;
	int s;
	struct batch b;
	_Atomic bool reading;
	int k;
	long ms;
	char from[RN_ADDR_STRLEN];
};

/* Once the task is about to read: 30 ms, then one datagram. */
static void *late_sender(void *arg)
{
	struct bwait *w = arg;

	while (!atomic_load(&w->reading))
		tu_sleep_ms(1);
	tu_sleep_ms(30);
	tx_dg(w->s, &w->to, 0, 0, 100);
	return NULL;
}

static void bwait_task(void *arg)
{
	struct bwait *w = arg;
	int64_t t0;

	batch_reset(&w->b);
	atomic_store(&w->reading, true);
	t0 = tu_mono_ns();
	w->k = rn_ipv4_packetconn_read_batch(w->pc, w->b.ms, 64, 0);
	w->ms = ms_since(t0);
}

START_TEST(test_read_batch_waits_for_the_first)
{
	struct bwait *w = calloc(1, sizeof(*w));
	char e[TU_ERRLEN], fs[RN_ADDR_STRLEN];
	pthread_t t;

	if (!need_multishot("test_read_batch_waits_for_the_first")) {
		free(w);
		return;
	}
	ck_assert_ptr_nonnull(w);
	w->pc = pc_listen();
	guard(pcc(w->pc));
	w->to = dest_of(pcc(w->pc));
	w->s = tx_open(AF_INET);
	tx_addr_str(w->s, w->from);
	batch_init(&w->b, 64, RD_CAP, 0);
	tu_go(bwait_task, w);
	t = tu_thread_start(late_sender, w);
	tu_run();
	tu_thread_join(t);
	ck_assert_msg(w->k == 1, "ReadBatch(64) returned %d (%s)", w->k, tu_err_text(NULL, e));
	ck_assert_msg(w->ms >= 25, "ReadBatch returned after %ld ms, before the datagram was sent",
		      w->ms);
	dg_check(batch_data(&w->b, 0), w->b.ms[0].n, 100, 0, 0);
	ck_assert_int_eq(w->b.ms[0].flags, 0);
	ck_assert_uint_eq(w->b.ms[0].nn, 0);
	ck_assert_str_eq(tu_addr_str(w->b.ms[0].addr, fs), w->from);
	batch_free(&w->b);
	close(w->s);
	rn_ipv4_packetconn_free(w->pc);
	free(w);
}
END_TEST

struct queued {
	rn_ipv4_packetconn *pc;
	struct dest to;
	int s, fd;
	struct batch b;
	rn_engine_stats before, after;
};

/* Read @k messages with ReadBatch(64) in one call: datagrams @seq.. of 200 bytes, in order. */
static void expect_batch(struct queued *q, int k, unsigned seq)
{
	char e[TU_ERRLEN];
	int got = batch_read(q->pc, &q->b, 64, 0);

	ck_assert_msg(got == k, "ReadBatch(64) from datagram %u returned %d, want %d (%s)", seq,
		      got, k, tu_err_text(NULL, e));
	for (int i = 0; i < k; i++) {
		dg_check(batch_data(&q->b, i), q->b.ms[i].n, 200, 0, seq + (unsigned)i);
		ck_assert_int_eq(q->b.ms[i].flags, 0);
	}
}

static void queued_task(void *arg)
{
	static const unsigned counts[] = { 10, 100 };
	struct queued *q = arg;
	unsigned seq = 0;

	/* The first ReadBatch arms. */
	tx_dg(q->s, &q->to, 0, seq, 200);
	expect_batch(q, 1, seq++);
	q->before = tu_engine_stats();
	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned n = counts[c];

		for (unsigned i = 0; i < n; i++)
			tx_dg(q->s, &q->to, 0, seq + i, 200);
		ck_assert_msg(tu_wait_socket_drained(q->fd) == 0,
			      "the %u datagrams stayed in the socket", n);
		expect_batch(q, n < 64 ? (int)n : 64, seq);
		if (n > 64)
			expect_batch(q, (int)n - 64, seq + 64);
		seq += n;
	}
	q->after = tu_engine_stats();
}

START_TEST(test_read_batch_takes_what_is_queued)
{
	struct queued *q = calloc(1, sizeof(*q));

	if (!need_multishot("test_read_batch_takes_what_is_queued")) {
		free(q);
		return;
	}
	ck_assert_ptr_nonnull(q);
	q->pc = pc_listen();
	guard(pcc(q->pc));
	q->fd = rn_conn_fd(pcc(q->pc));
	q->to = dest_of(pcc(q->pc));
	q->s = tx_open(AF_INET);
	batch_init(&q->b, 64, RD_CAP, 0);
	tu_go(queued_task, q);
	tu_run();
	/* Already armed: the batches cost no receive of their own. */
	ck_assert_uint_eq(q->after.recv_multishot_armed, q->before.recv_multishot_armed);
	ck_assert_uint_eq(q->after.recv_oneshot, q->before.recv_oneshot);
	batch_free(&q->b);
	close(q->s);
	rn_ipv4_packetconn_free(q->pc);
	free(q);
}
END_TEST

/* ---- sizes ---------------------------------------------------------------------------------- */

static const size_t sizes[] = { 0, 1, 1200, DG_MAX };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

enum { PATH_BATCH, PATH_FROM, PATH_MSG, NPATHS };
static const char *const path_names[] = { "ReadBatch", "ReadFrom", "ReadMsgUDP" };

struct sized {
	rn_ipv4_packetconn *pc;
	struct dest to;
	int s, path;
	struct batch b;
	uint8_t *buf;
	size_t got[NSIZES];
	int flags[NSIZES];
	char from[NSIZES][RN_ADDR_STRLEN];
	rn_engine_stats before, after;
};

static void sized_task(void *arg)
{
	struct sized *z = arg;
	char e[TU_ERRLEN];
	size_t k = 0;

	z->before = tu_engine_stats();
	for (size_t i = 0; i < NSIZES; i++)
		tx_dg(z->s, &z->to, 0, (unsigned)i, sizes[i]);
	while (k < NSIZES) {
		ssize_t n;

		if (z->path == PATH_BATCH) {
			int got = batch_read(z->pc, &z->b, 8, 0);

			ck_assert_msg(got > 0, "ReadBatch: %d (%s)", got, tu_err_text(NULL, e));
			ck_assert_uint_le(k + (size_t)got, NSIZES);
			for (int i = 0; i < got; i++, k++) {
				z->got[k] = z->b.ms[i].n;
				z->flags[k] = z->b.ms[i].flags;
				tu_addr_str(z->b.ms[i].addr, z->from[k]);
				dg_check_prefix(batch_data(&z->b, i), z->b.ms[i].n, 0, (unsigned)k);
			}
			continue;
		}
		if (z->path == PATH_FROM) {
			rn_addr from;

			n = rn_conn_read_from(pcc(z->pc), z->buf, 65536, &from);
			tu_addr_str(from, z->from[k]);
			z->flags[k] = 0;
		} else {
			rn_udpaddr ua;

			n = rn_udpconn_read_msg_udp(pcc(z->pc), z->buf, 65536, NULL, 0, NULL,
						    &z->flags[k], &ua);
			tu_addr_str(rn_addr_from_udp(&ua), z->from[k]);
		}
		ck_assert_msg(n >= 0, "%s: %zd (%s)", path_names[z->path], n, tu_err_text(NULL, e));
		z->got[k] = (size_t)n;
		dg_check_prefix(z->buf, (size_t)n, 0, (unsigned)k);
		k++;
	}
	z->after = tu_engine_stats();
}

/* Payloads of 0, 1, 1200 and 65507 bytes arrive whole by each read path. */
START_TEST(test_sizes_arrive_whole)
{
	struct sized *z = calloc(1, sizeof(*z));
	char want[RN_ADDR_STRLEN];
	int sb = 1 << 20;

	if (!need_multishot("test_sizes_arrive_whole")) {
		free(z);
		return;
	}
	ck_assert_ptr_nonnull(z);
	z->path = _i;
	z->pc = pc_listen();
	guard(pcc(z->pc));
	z->to = dest_of(pcc(z->pc));
	z->s = tx_open(AF_INET);
	ck_assert_int_eq(setsockopt(z->s, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb)), 0);
	tx_addr_str(z->s, want);
	z->buf = malloc(65536);
	ck_assert_ptr_nonnull(z->buf);
	batch_init(&z->b, 8, 65536, 0);
	tu_go(sized_task, z);
	tu_run();
	for (size_t i = 0; i < NSIZES; i++) {
		ck_assert_msg(z->got[i] == sizes[i], "%s: datagram %zu: %zu bytes, want %zu",
			      path_names[_i], i, z->got[i], sizes[i]);
		ck_assert_msg(z->flags[i] == 0, "%s: datagram %zu: flags %#x", path_names[_i], i,
			      (unsigned)z->flags[i]);
		ck_assert_str_eq(z->from[i], want);
	}
	/*
	 * The kernel ends a multishot RECVMSG after a 0-byte datagram (io_uring's
	 * io_recvmsg_multishot: finished when sock_recvmsg returns <= 0), so the
	 * receive is armed again for the three behind it; never one-shot.
	 */
	ck_assert_msg(z->after.recv_multishot_armed >= z->before.recv_multishot_armed + 1 &&
			      z->after.recv_multishot_armed <= z->before.recv_multishot_armed + 2,
		      "%llu receives armed for 4 datagrams",
		      z->after.recv_multishot_armed - z->before.recv_multishot_armed);
	ck_assert_uint_eq(z->after.recv_oneshot, z->before.recv_oneshot);
	batch_free(&z->b);
	free(z->buf);
	close(z->s);
	rn_ipv4_packetconn_free(z->pc);
	free(z);
}
END_TEST

/* ---- truncation and MSG_PEEK: a task reads as a plain thread does ---------------------------- */

/* What a scenario saw; the same struct runs in a task and on the test's thread. */
struct seen {
	rn_ipv4_packetconn *pc;
	struct dest to;
	int s, path;
	struct batch b;
	uint8_t buf[RD_CAP];
	ssize_t n[4];
	int flags[4];
	size_t nn[4];
	uint8_t oob[4][64] __attribute__((aligned(8)));
	char cm[4][RN_IPV4_CONTROL_MESSAGE_STRLEN];
	rn_engine_stats before, after;
};

/*
 * One datagram by @path into @cap bytes (at most RD_CAP) of s->buf, with
 * @oob bytes of control room when the path takes any (ReadBatch, ReadMsgUDP):
 * its count, flags (-1 for ReadFrom, which has none), control bytes.
 */
static void seen_read(struct seen *s, int i, size_t cap, size_t oob, int flags)
{
	char e[TU_ERRLEN];

	memset(s->buf, 0xee, sizeof(s->buf));
	memset(s->oob[i], 0, sizeof(s->oob[i]));
	s->nn[i] = 0;
	s->flags[i] = -1;
	if (s->path == PATH_BATCH) {
		int k;

		s->b.oob = oob;
		s->b.room = cap;
		k = batch_read(s->pc, &s->b, 1, flags);
		ck_assert_msg(k == 1, "ReadBatch(1): %d (%s)", k, tu_err_text(NULL, e));
		s->n[i] = (ssize_t)s->b.ms[0].n;
		s->flags[i] = s->b.ms[0].flags;
		s->nn[i] = s->b.ms[0].nn;
		memcpy(s->buf, batch_data(&s->b, 0), cap < s->b.ms[0].n ? cap : s->b.ms[0].n);
		if (oob)
			memcpy(s->oob[i], s->b.ctl, oob);
	} else if (s->path == PATH_FROM) {
		s->n[i] = rn_conn_read_from(pcc(s->pc), s->buf, cap, NULL);
	} else {
		s->n[i] = rn_udpconn_read_msg_udp(pcc(s->pc), s->buf, cap, oob ? s->oob[i] : NULL,
						  oob, &s->nn[i], &s->flags[i], NULL);
	}
	ck_assert_msg(s->n[i] >= 0, "%s: %zd (%s)", path_names[s->path], s->n[i],
		      tu_err_text(NULL, e));
}

/* Run @fn(@arg) as this thread's only task, to its end. */
static void in_task(rn_task_fn fn, void *arg)
{
	tu_go(fn, arg);
	tu_run();
}

/* A 2000-byte datagram read into 100 bytes, then a 300-byte one. */
static void trunc_scenario(void *arg)
{
	struct seen *s = arg;

	s->before = tu_engine_stats();
	tx_dg(s->s, &s->to, 0, 0, 2000);
	tx_dg(s->s, &s->to, 0, 1, 300);
	seen_read(s, 0, 100, 0, 0);
	dg_check_prefix(s->buf, 100, 0, 0);
	ck_assert_uint_eq(s->buf[100], 0xee);
	seen_read(s, 1, RD_CAP, 0, 0);
	dg_check(s->buf, (size_t)s->n[1], 300, 0, 1);
	s->after = tu_engine_stats();
}

static struct seen *seen_open(int path, size_t oob)
{
	struct seen *s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	s->path = path;
	s->pc = pc_listen();
	guard(pcc(s->pc));
	s->to = dest_of(pcc(s->pc));
	s->s = tx_open(AF_INET);
	batch_init(&s->b, 1, RD_CAP, oob);
	return s;
}

static void seen_free(struct seen *s)
{
	batch_free(&s->b);
	close(s->s);
	rn_ipv4_packetconn_free(s->pc);
	free(s);
}

/* The task read on its multishot receive: armed once, no receive of its own. */
static void assert_served_by_multishot(const struct seen *s)
{
	ck_assert_msg(s->after.recv_multishot_armed == s->before.recv_multishot_armed + 1,
		      "%llu receives armed", s->after.recv_multishot_armed -
						     s->before.recv_multishot_armed);
	ck_assert_msg(s->after.recv_oneshot == s->before.recv_oneshot, "%llu one-shot receives",
		      s->after.recv_oneshot - s->before.recv_oneshot);
}

START_TEST(test_truncated_datagram_as_recvmsg)
{
	struct seen *plain, *task;

	if (!need_multishot("test_truncated_datagram_as_recvmsg"))
		return;
	plain = seen_open(_i, 0);
	task = seen_open(_i, 0);
	trunc_scenario(plain);
	in_task(trunc_scenario, task);
	assert_served_by_multishot(task);
	for (int i = 0; i < 2; i++) {
		const struct seen *s = i ? task : plain;
		const char *who = i ? "task" : "plain thread";

		ck_assert_msg(s->n[0] == 100, "%s, %s: %zd bytes of the 2000-byte datagram",
			      path_names[_i], who, s->n[0]);
		if (_i != PATH_FROM)
			ck_assert_msg(s->flags[0] == MSG_TRUNC, "%s, %s: flags %#x, want MSG_TRUNC",
				      path_names[_i], who, (unsigned)s->flags[0]);
		ck_assert_msg(s->n[1] == 300, "%s, %s: the next read got %zd bytes, want 300",
			      path_names[_i], who, s->n[1]);
		if (_i != PATH_FROM)
			ck_assert_int_eq(s->flags[1], 0);
	}
	seen_free(plain);
	seen_free(task);
}
END_TEST

/* ReadBatch's MSG_TRUNC flag: the datagram's whole length, as recvmsg(2) returns it. */
static void trunc_flag_scenario(void *arg)
{
	struct seen *s = arg;

	s->before = tu_engine_stats();
	tx_dg(s->s, &s->to, 0, 0, 2000);
	tx_dg(s->s, &s->to, 0, 1, 300);
	seen_read(s, 0, 100, 0, MSG_TRUNC);
	dg_check_prefix(s->buf, 100, 0, 0);
	seen_read(s, 1, RD_CAP, 0, MSG_TRUNC);
	s->after = tu_engine_stats();
}

START_TEST(test_read_batch_trunc_flag_as_recvmsg)
{
	struct seen *plain, *task;

	if (!need_multishot("test_read_batch_trunc_flag_as_recvmsg"))
		return;
	plain = seen_open(PATH_BATCH, 0);
	task = seen_open(PATH_BATCH, 0);
	trunc_flag_scenario(plain);
	in_task(trunc_flag_scenario, task);
	assert_served_by_multishot(task);
	ck_assert_msg(plain->n[0] == 2000, "plain thread: n %zd", plain->n[0]);
	for (int i = 0; i < 2; i++)
		ck_assert_msg(task->n[i] == plain->n[i] && task->flags[i] == plain->flags[i],
			      "read %d: task n %zd flags %#x, plain thread n %zd flags %#x", i,
			      task->n[i], (unsigned)task->flags[i], plain->n[i],
			      (unsigned)plain->flags[i]);
	seen_free(plain);
	seen_free(task);
}
END_TEST

/* MSG_PEEK leaves the datagram queued: ReadBatch peeks twice, ReadFrom takes it, then the next. */
static void peek_scenario(void *arg)
{
	struct seen *s = arg;

	s->before = tu_engine_stats();
	tx_dg(s->s, &s->to, 0, 0, 50);
	tx_dg(s->s, &s->to, 0, 1, 60);
	for (int i = 0; i < 2; i++) {
		seen_read(s, i, RD_CAP, 0, MSG_PEEK);
		dg_check(s->buf, (size_t)s->n[i], 50, 0, 0);
	}
	s->path = PATH_FROM;
	seen_read(s, 2, RD_CAP, 0, 0);
	dg_check(s->buf, (size_t)s->n[2], 50, 0, 0);
	s->path = PATH_BATCH;
	seen_read(s, 3, RD_CAP, 0, 0);
	dg_check(s->buf, (size_t)s->n[3], 60, 0, 1);
	s->after = tu_engine_stats();
}

START_TEST(test_read_batch_peek_leaves_datagram)
{
	struct seen *plain, *task;

	if (!need_multishot("test_read_batch_peek_leaves_datagram"))
		return;
	plain = seen_open(PATH_BATCH, 0);
	task = seen_open(PATH_BATCH, 0);
	peek_scenario(plain);
	in_task(peek_scenario, task);
	assert_served_by_multishot(task);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(task->flags[i] == plain->flags[i],
			      "read %d: task flags %#x, plain %#x", i, (unsigned)task->flags[i],
			      (unsigned)plain->flags[i]);
	seen_free(plain);
	seen_free(task);
}
END_TEST

/* ---- control messages ----------------------------------------------------------------------- */

#define CTL_TTL 37

/* A sender whose datagrams leave with TTL 37. */
static void ctl_sender(struct seen *s)
{
	int ttl = CTL_TTL;

	ck_assert_int_eq(setsockopt(s->s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
}

/* PacketConn.ReadFrom, then ReadBatch with 64 bytes of room: the parsed control messages. */
static void ctl_scenario(void *arg)
{
	struct seen *s = arg;
	rn_ipv4_control_message cm;
	char e[TU_ERRLEN];

	s->before = tu_engine_stats();
	tx_dg(s->s, &s->to, 0, 0, 100);
	tx_dg(s->s, &s->to, 0, 1, 100);
	s->n[0] = rn_ipv4_packetconn_read_from(s->pc, s->buf, RD_CAP, &cm, NULL);
	ck_assert_msg(s->n[0] == 100, "PacketConn.ReadFrom: %zd (%s)", s->n[0],
		      tu_err_text(NULL, e));
	dg_check(s->buf, 100, 100, 0, 0);
	rn_ipv4_control_message_string(&cm, s->cm[0], sizeof(s->cm[0]));
	seen_read(s, 1, RD_CAP, 64, 0);
	dg_check(s->buf, (size_t)s->n[1], 100, 0, 1);
	memset(&cm, 0, sizeof(cm));
	ck_assert_int_eq(rn_ipv4_control_message_parse_flags(&cm, s->oob[1], s->nn[1], s->flags[1]),
			 0);
	rn_ipv4_control_message_string(&cm, s->cm[1], sizeof(s->cm[1]));
	s->after = tu_engine_stats();
}

START_TEST(test_control_messages_as_plain_read)
{
	const unsigned cf = RN_IPV4_FLAG_TTL | RN_IPV4_FLAG_DST | RN_IPV4_FLAG_INTERFACE;
	struct seen *plain, *task;
	char want[RN_IPV4_CONTROL_MESSAGE_STRLEN];

	if (!need_multishot("test_control_messages_as_plain_read"))
		return;
	plain = seen_open(PATH_BATCH, 64);
	task = seen_open(PATH_BATCH, 64);
	for (int i = 0; i < 2; i++) {
		struct seen *s = i ? task : plain;

		ctl_sender(s);
		ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(s->pc, cf, true), 0);
	}
	ctl_scenario(plain);
	in_task(ctl_scenario, task);
	assert_served_by_multishot(task);
	snprintf(want, sizeof(want), "ttl=%d src=<nil> dst=127.0.0.1 ifindex=%u", CTL_TTL,
		 if_nametoindex("lo"));
	for (int i = 0; i < 2; i++) {
		ck_assert_str_eq(plain->cm[i], want);
		ck_assert_msg(strcmp(task->cm[i], plain->cm[i]) == 0,
			      "read %d: task \"%s\", plain thread \"%s\"", i, task->cm[i],
			      plain->cm[i]);
	}
	/* ReadBatch: the same control bytes, byte for byte. */
	ck_assert_uint_eq(task->nn[1], plain->nn[1]);
	ck_assert_int_eq(task->flags[1], plain->flags[1]);
	ck_assert_mem_eq(task->oob[1], plain->oob[1], plain->nn[1]);
	seen_free(plain);
	seen_free(task);
}
END_TEST

/*
 * TTL and PKTINFO (the kernel writes PKTINFO, 28 bytes in 32, then TTL,
 * 20 in 24) into too little room.  With 32 bytes PKTINFO fits whole and
 * TTL does not: MSG_CTRUNC, and the task sees exactly what the plain
 * thread sees.  With 24 bytes not even PKTINFO fits: MSG_CTRUNC, and the
 * task gets only whole messages (so what it got parses).
 */
static const struct {
	int path;
	size_t room;
} ctrunc_cases[] = {
	{ PATH_MSG, 32 }, { PATH_BATCH, 32 }, { PATH_MSG, 24 }, { PATH_BATCH, 24 },
};

static size_t g_ctrunc_room;

static void ctrunc_scenario(void *arg)
{
	struct seen *s = arg;

	s->before = tu_engine_stats();
	tx_dg(s->s, &s->to, 0, 0, 100);
	seen_read(s, 0, RD_CAP, g_ctrunc_room, 0);
	dg_check(s->buf, (size_t)s->n[0], 100, 0, 0);
	s->after = tu_engine_stats();
}

START_TEST(test_short_control_room_sets_ctrunc)
{
	const unsigned cf = RN_IPV4_FLAG_TTL | RN_IPV4_FLAG_DST;
	int path = ctrunc_cases[_i].path;
	size_t room = ctrunc_cases[_i].room;
	struct seen *plain, *task;
	rn_ipv4_control_message cm;

	if (!need_multishot("test_short_control_room_sets_ctrunc"))
		return;
	g_ctrunc_room = room;
	plain = seen_open(path, 64);
	task = seen_open(path, 64);
	for (int i = 0; i < 2; i++) {
		struct seen *s = i ? task : plain;

		ctl_sender(s);
		ck_assert_int_eq(rn_ipv4_packetconn_set_control_message(s->pc, cf, true), 0);
	}
	ctrunc_scenario(plain);
	in_task(ctrunc_scenario, task);
	assert_served_by_multishot(task);
	ck_assert_msg(plain->flags[0] & MSG_CTRUNC, "%s, plain thread, room %zu: flags %#x",
		      path_names[path], room, (unsigned)plain->flags[0]);
	ck_assert_msg(task->flags[0] == MSG_CTRUNC,
		      "%s, task, room %zu: flags %#x, want MSG_CTRUNC", path_names[path], room,
		      (unsigned)task->flags[0]);
	ck_assert_uint_le(task->nn[0], room);
	memset(&cm, 0, sizeof(cm)); /* Parse fills only what it finds, as Go's */
	ck_assert_msg(rn_ipv4_control_message_parse(&cm, task->oob[0], task->nn[0]) == 0,
		      "%s, task, room %zu: %zu control bytes do not parse", path_names[path], room,
		      task->nn[0]);
	if (room == 32) {
		ck_assert_msg(task->nn[0] == plain->nn[0],
			      "room 32: task %zu control bytes, plain %zu", task->nn[0],
			      plain->nn[0]);
		ck_assert_mem_eq(task->oob[0], plain->oob[0], plain->nn[0]);
		ck_assert_int_eq(cm.ttl, 0);
		ck_assert_int_gt(cm.ifindex, 0);
	} else {
		ck_assert_msg(task->nn[0] == 0,
			      "room 24: task got %zu control bytes, want none whole", task->nn[0]);
	}
	seen_free(plain);
	seen_free(task);
}
END_TEST

/* ---- every path takes from one queue -------------------------------------------------------- */

enum { MIX_BATCH, MIX_FROM, MIX_READ, MIX_MSG, MIX_PC_FROM, MIX_FROM_UDP, NMIX };

struct mix {
	rn_ipv4_packetconn *pc; /* a dialed conn: connected to the pacer's socket */
	struct pacer tx;
	_Atomic unsigned next;
	struct batch b;
	uint8_t buf[RD_CAP];
	int used[NMIX];
	char peer[RN_ADDR_STRLEN];
	rn_engine_stats before, after;
};

/* One read by way @way; every datagram it returns is checked as the stream's next. */
static void mix_read(struct mix *m, int way, uint64_t *rng)
{
	rn_conn *c = pcc(m->pc);
	char e[TU_ERRLEN], fs[RN_ADDR_STRLEN];
	ssize_t n = 0;

	switch (way) {
	case MIX_BATCH: {
		int k = batch_read(m->pc, &m->b, 1 + (int)(tu_rng_next(rng) % 8), 0);

		ck_assert_msg(k > 0, "ReadBatch: %d (%s)", k, tu_err_text(NULL, e));
		for (int i = 0; i < k; i++) {
			ck_assert_int_eq(m->b.ms[i].flags, 0);
			stream_take(&m->next, 0, batch_data(&m->b, i), m->b.ms[i].n);
		}
		return;
	}
	case MIX_FROM: {
		rn_addr from;

		n = rn_conn_read_from(c, m->buf, sizeof(m->buf), &from);
		if (n >= 0)
			ck_assert_str_eq(tu_addr_str(from, fs), m->peer);
		break;
	}
	case MIX_READ:
		n = rn_conn_read(c, m->buf, sizeof(m->buf));
		break;
	case MIX_MSG: {
		int flags = -1;

		n = rn_udpconn_read_msg_udp(c, m->buf, sizeof(m->buf), NULL, 0, NULL, &flags, NULL);
		if (n >= 0)
			ck_assert_int_eq(flags, 0);
		break;
	}
	case MIX_PC_FROM:
		n = rn_ipv4_packetconn_read_from(m->pc, m->buf, sizeof(m->buf), NULL, NULL);
		break;
	default: {
		rn_udpaddr ua;

		n = rn_udpconn_read_from_udp(c, m->buf, sizeof(m->buf), &ua);
		break;
	}
	}
	ck_assert_msg(n >= 0, "way %d at datagram %u: %zd (%s)", way, atomic_load(&m->next), n,
		      tu_err_text(NULL, e));
	stream_take(&m->next, 0, m->buf, (size_t)n);
}

static void mix_reader(void *arg)
{
	struct mix *m = arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	m->before = tu_engine_stats();
	while (atomic_load(&m->next) < MIX_N) {
		int way = (int)(tu_rng_next(&rng) % NMIX);

		mix_read(m, way, &rng);
		m->used[way]++;
	}
	m->after = tu_engine_stats();
}

START_TEST(test_all_paths_share_one_queue)
{
	struct mix *m = calloc(1, sizeof(*m));
	char e[TU_ERRLEN];
	rn_conn *c;

	if (!need_multishot("test_all_paths_share_one_queue")) {
		free(m);
		return;
	}
	ck_assert_ptr_nonnull(m);
	pacer_open(&m->tx, AF_INET);
	tx_addr_str(m->tx.s, m->peer);
	c = rn_dial("udp4", m->peer);
	ck_assert_msg(c != NULL, "dial %s: %s", m->peer, tu_err_text(NULL, e));
	grow_rcvbuf(rn_conn_fd(c));
	guard(c);
	m->pc = pc_wrap(c);
	batch_init(&m->b, 8, RD_CAP, 0);
	tu_go(mix_reader, m);
	pacer_go(&m->tx, c, 0, MIX_N, &m->next);
	tu_run();
	pacer_join(&m->tx);
	ck_assert_uint_eq(atomic_load(&m->next), MIX_N);
	for (int i = 0; i < NMIX; i++)
		ck_assert_msg(m->used[i] > 0, "read way %d never used", i);
	ck_assert_msg(m->after.recv_multishot_armed == m->before.recv_multishot_armed + 1,
		      "%llu receives armed", m->after.recv_multishot_armed -
						     m->before.recv_multishot_armed);
	ck_assert_uint_eq(m->after.recv_oneshot, m->before.recv_oneshot);
	batch_free(&m->b);
	rn_ipv4_packetconn_free(m->pc);
	free(m);
}
END_TEST

/* ---- migration ------------------------------------------------------------------------------ */

/*
 * Thread A reads MIG_PART datagrams; the pacer then sends WINDOW more and
 * waits for the new reader, so those stay queued on A's armed receive
 * until the new reader has had A end it and took them from there.
 */
enum { MIG_PART = 500 };

struct dmig {
	rn_ipv4_packetconn *pc;
	int fd;
	struct pacer tx;
	_Atomic unsigned next;
	struct batch b;
	uint8_t buf[RD_CAP];
	rn_engine_stats a_before, a_after, b_before, b_after;
	int a_thread, b_thread;
};

static struct dmig g_mig;

static void mig_read_from(struct dmig *m, unsigned until)
{
	char e[TU_ERRLEN];

	while (atomic_load(&m->next) < until) {
		ssize_t n = rn_conn_read_from(pcc(m->pc), m->buf, sizeof(m->buf), NULL);

		ck_assert_msg(n >= 0, "ReadFrom at datagram %u: %zd (%s)", atomic_load(&m->next), n,
			      tu_err_text(NULL, e));
		stream_take(&m->next, 0, m->buf, (size_t)n);
	}
}

static void mig_first_part(void *arg)
{
	struct dmig *m = arg;

	m->a_thread = rn_runtime_thread();
	m->a_before = tu_engine_stats();
	mig_read_from(m, MIG_PART);
	m->a_after = tu_engine_stats();
}

/* On thread B: the rest, by ReadBatch. */
static void mig_rest(void *arg)
{
	struct dmig *m = arg;
	char e[TU_ERRLEN];

	m->b_thread = rn_runtime_thread();
	m->b_before = tu_engine_stats();
	while (atomic_load(&m->next) < MIG_N) {
		int k = batch_read(m->pc, &m->b, 16, 0);

		ck_assert_msg(k > 0, "ReadBatch at datagram %u: %d (%s)", atomic_load(&m->next), k,
			      tu_err_text(NULL, e));
		for (int i = 0; i < k; i++)
			stream_take(&m->next, 0, batch_data(&m->b, i), m->b.ms[i].n);
	}
	m->b_after = tu_engine_stats();
}

static rn_runtime *mig_start(struct dmig *m)
{
	rn_runtime *rt = new_runtime(2);
	int q = -1;

	memset(m, 0, sizeof(*m));
	m->pc = pc_listen();
	guard(pcc(m->pc));
	m->fd = rn_conn_fd(pcc(m->pc));
	batch_init(&m->b, 16, RD_CAP, 0);
	pacer_open(&m->tx, AF_INET);
	pacer_go(&m->tx, pcc(m->pc), 0, MIG_N, &m->next);
	ck_assert_int_eq(rn_go_on(rt, 0, mig_first_part, m), 0);
	ck_assert_int_eq(rn_runtime_wait(rt), 0);
	ck_assert_int_eq(m->a_thread, 0);
	ck_assert_uint_eq(atomic_load(&m->next), MIG_PART);
	ck_assert_msg(m->a_after.recv_multishot_armed == m->a_before.recv_multishot_armed + 1,
		      "%llu receives armed on thread A",
		      m->a_after.recv_multishot_armed - m->a_before.recv_multishot_armed);
	/* The window the pacer sends next leaves the socket for A's ring, with no read running. */
	for (int i = 0; i < 1000; i++) {
		q = tu_fionread(m->fd);
		if (q == 0 && atomic_load(&m->tx.sent) == MIG_PART + WINDOW)
			break;
		tu_sleep_ms(1);
	}
	ck_assert_msg(q == 0 && atomic_load(&m->tx.sent) == MIG_PART + WINDOW,
		      "FIONREAD %d, %u sent: the window did not queue on thread A", q,
		      atomic_load(&m->tx.sent));
	return rt;
}

static void mig_finish(struct dmig *m, rn_runtime *rt)
{
	pacer_join(&m->tx);
	ck_assert_uint_eq(atomic_load(&m->next), MIG_N);
	rn_ipv4_packetconn_free(m->pc);
	batch_free(&m->b);
	rn_runtime_free(rt);
}

START_TEST(test_migrate_to_plain_thread)
{
	struct dmig *m = &g_mig;
	rn_engine_stats before, after;
	rn_runtime *rt;

	if (!need_multishot("test_migrate_to_plain_thread"))
		return;
	rt = mig_start(m);
	before = tu_engine_stats();
	mig_read_from(m, MIG_N);
	after = tu_engine_stats();
	/* The queued window came from A's queue; the rest this thread received itself. */
	ck_assert_uint_gt(after.recv_oneshot, before.recv_oneshot);
	ck_assert_uint_le(after.recv_oneshot - before.recv_oneshot, MIG_N - MIG_PART - WINDOW);
	mig_finish(m, rt);
}
END_TEST

START_TEST(test_migrate_to_another_runtime_thread)
{
	struct dmig *m = &g_mig;
	rn_runtime *rt;

	if (!need_multishot("test_migrate_to_another_runtime_thread"))
		return;
	rt = mig_start(m);
	ck_assert_int_eq(rn_go_on(rt, 1, mig_rest, m), 0);
	ck_assert_int_eq(rn_runtime_wait(rt), 0);
	ck_assert_int_eq(m->b_thread, 1);
	ck_assert_msg(m->b_after.recv_multishot_armed == m->b_before.recv_multishot_armed + 1,
		      "%llu receives armed on thread B",
		      m->b_after.recv_multishot_armed - m->b_before.recv_multishot_armed);
	ck_assert_uint_eq(m->b_after.recv_oneshot, m->b_before.recv_oneshot);
	mig_finish(m, rt);
}
END_TEST

/* ---- deadlines ------------------------------------------------------------------------------ */

enum { RD_FROM, RD_BATCH };
static const char *const rd_names[] = { "ReadFrom", "ReadBatch" };

struct one {
	rn_ipv4_packetconn *pc;
	struct dest to;
	int s, fd, way;
	struct batch b;
	uint8_t buf[RD_CAP];
	ssize_t rc;
	long ms;
	char err[TU_ERRLEN];
	bool fd_gone;
};

/* One datagram by ReadFrom or ReadBatch(1): its length (copied to o->buf), or the error. */
static ssize_t read_one(struct one *o)
{
	int k;

	if (o->way == RD_FROM)
		return rn_conn_read_from(pcc(o->pc), o->buf, sizeof(o->buf), NULL);
	k = batch_read(o->pc, &o->b, 1, 0);
	if (k <= 0)
		return k;
	memcpy(o->buf, batch_data(&o->b, 0), o->b.ms[0].n);
	return (ssize_t)o->b.ms[0].n;
}

/* Send datagram @seq (64 bytes) and read it: the first read arms. */
static void send_read_one(struct one *o, unsigned seq)
{
	char e[TU_ERRLEN];
	ssize_t n;

	tx_dg(o->s, &o->to, 0, seq, 64);
	n = read_one(o);
	ck_assert_msg(n >= 0, "%s: %zd (%s)", rd_names[o->way], n, tu_err_text(NULL, e));
	dg_check(o->buf, (size_t)n, 64, 0, seq);
}

static struct one *one_open(int way)
{
	struct one *o = calloc(1, sizeof(*o));

	ck_assert_ptr_nonnull(o);
	o->way = way;
	o->pc = pc_listen();
	o->fd = rn_conn_fd(pcc(o->pc));
	o->to = dest_of(pcc(o->pc));
	o->s = tx_open(AF_INET);
	batch_init(&o->b, 8, RD_CAP, 0);
	return o;
}

static void one_free(struct one *o)
{
	batch_free(&o->b);
	close(o->s);
	rn_ipv4_packetconn_free(o->pc);
	free(o);
}

static void deadline_task(void *arg)
{
	struct one *o = arg;
	int64_t t0;

	send_read_one(o, 0);
	ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(o->pc,
							      rn_now() + 30 * RN_MILLISECOND), 0);
	t0 = tu_mono_ns();
	o->rc = read_one(o);
	o->ms = ms_since(t0);
	tu_err_text(NULL, o->err);
	ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(o->pc, 0), 0);
	send_read_one(o, 1);
}

START_TEST(test_deadline_fires_while_parked)
{
	struct one *o;

	if (!need_multishot("test_deadline_fires_while_parked"))
		return;
	o = one_open(_i);
	tu_go(deadline_task, o);
	tu_run();
	expect_saved(o->rc, RN_ETIMEOUT, o->err, "i/o timeout");
	ck_assert_msg(o->ms >= 25, "%s timed out after %ld ms, deadline 30 ms", rd_names[_i],
		      o->ms);
	one_free(o);
}
END_TEST

/* Go checks a passed deadline before it reads: queued datagrams wait for the next read. */
static void passed_deadline_task(void *arg)
{
	struct one *o = arg;
	char e[TU_ERRLEN];
	uint8_t b[16];
	int k;

	send_read_one(o, 0);
	for (unsigned i = 1; i <= 5; i++)
		tx_dg(o->s, &o->to, 0, i, 64);
	ck_assert_int_eq(tu_wait_socket_drained(o->fd), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(
				 o->pc, rn_time_add(rn_now(), -RN_SECOND)), 0);
	expect_error(rn_conn_read_from(pcc(o->pc), b, sizeof(b), NULL), RN_ETIMEOUT, "i/o timeout");
	expect_error(batch_read(o->pc, &o->b, 8, 0), RN_ETIMEOUT, "i/o timeout");
	expect_error(rn_conn_read(pcc(o->pc), b, sizeof(b)), RN_ETIMEOUT, "i/o timeout");
	ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(o->pc, 0), 0);
	k = batch_read(o->pc, &o->b, 8, 0);
	ck_assert_msg(k == 5, "ReadBatch(8) after the deadline was cleared: %d (%s)", k,
		      tu_err_text(NULL, e));
	for (int i = 0; i < 5; i++)
		dg_check(batch_data(&o->b, i), o->b.ms[i].n, 64, 0, 1u + (unsigned)i);
}

START_TEST(test_passed_deadline_fails_with_datagrams_queued)
{
	struct one *o;

	if (!need_multishot("test_passed_deadline_fails_with_datagrams_queued"))
		return;
	o = one_open(RD_FROM);
	tu_go(passed_deadline_task, o);
	tu_run();
	one_free(o);
}
END_TEST

/* ---- Close ---------------------------------------------------------------------------------- */

static void closing_reader(void *arg)
{
	struct one *o = arg;
	int64_t t0;

	guard(pcc(o->pc));
	send_read_one(o, 0);
	t0 = tu_mono_ns();
	o->rc = read_one(o);
	o->ms = ms_since(t0);
	tu_err_text(NULL, o->err);
	if (o->rc == RN_ECLOSED)
		o->fd_gone = fd_released(o->fd);
}

static void *close_from_thread(void *arg)
{
	struct one *o = arg;

	tu_sleep_ms(30);
	ck_assert_int_eq(rn_ipv4_packetconn_close(o->pc), 0);
	return NULL;
}

START_TEST(test_close_from_thread_wakes_parked_read)
{
	struct one *o;
	pthread_t t;

	if (!need_multishot("test_close_from_thread_wakes_parked_read"))
		return;
	o = one_open(_i);
	tu_go(closing_reader, o);
	t = tu_thread_start(close_from_thread, o);
	tu_run();
	tu_thread_join(t);
	expect_saved(o->rc, RN_ECLOSED, o->err, "use of closed network connection");
	ck_assert_msg(o->ms >= 20, "%s returned after %ld ms, before the Close", rd_names[_i],
		      o->ms);
	ck_assert_msg(o->fd_gone, "descriptor %d still open 500 ms after Close", o->fd);
	one_free(o);
}
END_TEST

/*
 * Close drops what the receive queued, giving its ring buffers back: with
 * 100 of the 128 held by one socket's queue a second socket cannot arm
 * (a quarter of the ring must be free) and reads one-shot; once the first
 * is closed the second arms.
 */
enum { HOLD_N = 100 };

struct hold {
	struct one *a, *b;
	rn_engine_stats s0, s1, s2, s3;
};

static void hold_task(void *arg)
{
	struct hold *h = arg;

	send_read_one(h->a, 0);
	for (unsigned i = 1; i <= HOLD_N; i++)
		tx_dg(h->a->s, &h->a->to, 0, i, 64);
	ck_assert_int_eq(tu_wait_socket_drained(h->a->fd), 0);
	h->s0 = tu_engine_stats();
	send_read_one(h->b, 0); /* the ring is short: one-shot */
	h->s1 = tu_engine_stats();
	ck_assert_int_eq(rn_ipv4_packetconn_close(h->a->pc), 0);
	expect_error(read_one(h->a), RN_ECLOSED, "use of closed network connection");
	rn_sleep(20 * RN_MILLISECOND); /* the receive's end comes back */
	h->s2 = tu_engine_stats();
	send_read_one(h->b, 1);
	h->s3 = tu_engine_stats();
}

START_TEST(test_close_gives_queued_buffers_back)
{
	struct hold h;

	if (!need_multishot("test_close_gives_queued_buffers_back"))
		return;
	memset(&h, 0, sizeof(h));
	h.a = one_open(RD_FROM);
	h.b = one_open(RD_FROM);
	guard(pcc(h.a->pc));
	guard(pcc(h.b->pc));
	tu_go(hold_task, &h);
	tu_run();
	ck_assert_msg(h.s1.recv_oneshot == h.s0.recv_oneshot + 1 &&
			      h.s1.recv_multishot_armed == h.s0.recv_multishot_armed,
		      "with %d buffers queued on one socket another armed (%llu armed, %llu "
		      "one-shot): the test cannot see buffers coming back",
		      HOLD_N, h.s1.recv_multishot_armed - h.s0.recv_multishot_armed,
		      h.s1.recv_oneshot - h.s0.recv_oneshot);
	ck_assert_msg(h.s3.recv_multishot_armed == h.s2.recv_multishot_armed + 1 &&
			      h.s3.recv_oneshot == h.s2.recv_oneshot,
		      "after Close the other socket did not arm (%llu armed, %llu one-shot): the "
		      "closed socket's queued buffers did not come back",
		      h.s3.recv_multishot_armed - h.s2.recv_multishot_armed,
		      h.s3.recv_oneshot - h.s2.recv_oneshot);
	one_free(h.a);
	one_free(h.b);
}
END_TEST

/* ---- starvation ----------------------------------------------------------------------------- */

/*
 * More datagrams than the ring holds arrive while the task sleeps: the
 * ring runs dry (ENOBUFS), the rest wait in the (grown) socket buffer, and
 * reading takes every one once and in order, the receive re-arming behind
 * what it queued.  Afterwards the ring is whole: another socket arms.
 */
enum { STARVE_N = 1000, STARVE_LEN = 64 };

struct starve {
	struct one *o, *other;
	int rcvbuf;
	rn_engine_stats before, after, again;
};

static void starve_task(void *arg)
{
	struct starve *st = arg;
	struct one *o = st->o;
	char e[TU_ERRLEN];
	unsigned next = 1;

	send_read_one(o, 0);
	st->before = tu_engine_stats();
	for (unsigned i = 1; i <= STARVE_N; i++)
		tx_dg(o->s, &o->to, 0, i, STARVE_LEN);
	rn_sleep(50 * RN_MILLISECOND);
	while (next <= STARVE_N) {
		ssize_t n;
		int k;

		if (o->way == RD_FROM) {
			n = rn_conn_read_from(pcc(o->pc), o->buf, sizeof(o->buf), NULL);
			ck_assert_msg(n >= 0, "ReadFrom at %u: %zd (%s)", next, n,
				      tu_err_text(NULL, e));
			dg_check(o->buf, (size_t)n, STARVE_LEN, 0, next++);
			continue;
		}
		k = batch_read(o->pc, &o->b, 8, 0);
		ck_assert_msg(k > 0, "ReadBatch at %u: %d (%s)", next, k, tu_err_text(NULL, e));
		for (int i = 0; i < k; i++)
			dg_check(batch_data(&o->b, i), o->b.ms[i].n, STARVE_LEN, 0, next++);
	}
	st->after = tu_engine_stats();
	send_read_one(st->other, 0);
	st->again = tu_engine_stats();
}

START_TEST(test_starved_ring_loses_nothing)
{
	struct starve st;

	if (!need_multishot("test_starved_ring_loses_nothing"))
		return;
	memset(&st, 0, sizeof(st));
	st.o = one_open(_i);
	st.other = one_open(RD_FROM);
	st.rcvbuf = grow_rcvbuf(st.o->fd);
	if (st.rcvbuf < RCVBUF) {
		printf("SKIP test_starved_ring_loses_nothing: SO_RCVBUF is %d, %d needed\n",
		       st.rcvbuf, RCVBUF);
		one_free(st.o);
		one_free(st.other);
		return;
	}
	guard(pcc(st.o->pc));
	guard(pcc(st.other->pc));
	tu_go(starve_task, &st);
	tu_run();
	ck_assert_msg(st.after.recv_multishot_nobufs > st.before.recv_multishot_nobufs,
		      "%d datagrams for a ring of 128 and no ENOBUFS", STARVE_N);
	ck_assert_msg(st.after.recv_multishot_armed > st.before.recv_multishot_armed,
		      "the starved receive never re-armed");
	ck_assert_msg(st.after.recv_oneshot == st.before.recv_oneshot,
		      "%llu one-shot receives while starved",
		      st.after.recv_oneshot - st.before.recv_oneshot);
	ck_assert_msg(st.again.recv_multishot_armed == st.after.recv_multishot_armed + 1 &&
			      st.again.recv_oneshot == st.after.recv_oneshot,
		      "after the flood another socket did not arm: buffers missing from the ring");
	one_free(st.o);
	one_free(st.other);
}
END_TEST

/* ---- raw IPv4 ------------------------------------------------------------------------------- */

enum { RAW_N = 24, ECHO_LEN = 48 };

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

/* An ICMP echo request of ours: identifier @ident, sequence @seq, 40 bytes of pattern. */
static void icmp_echo(uint8_t *b, uint16_t ident, unsigned seq)
{
	uint16_t sum;

	memset(b, 0, 8);
	b[0] = RN_IPV4_ICMP_TYPE_ECHO;
	b[4] = (uint8_t)(ident >> 8);
	b[5] = (uint8_t)ident;
	b[6] = (uint8_t)(seq >> 8);
	b[7] = (uint8_t)seq;
	dg_fill(b + 8, ECHO_LEN - 8, ident, seq);
	sum = cksum(b, ECHO_LEN);
	b[2] = (uint8_t)(sum >> 8);
	b[3] = (uint8_t)sum;
}

struct rawt {
	rn_ipv4_rawconn *rc;
	int s;
	uint16_t ident;
	struct batch b;
	uint8_t buf[RD_CAP];
	int by_way[3];
	rn_engine_stats before, after;
};

/* Whether @p (@n bytes of ICMP) is our echo request @seq, whole and unchanged. */
static bool is_our_echo(const struct rawt *r, const uint8_t *p, size_t n, unsigned seq)
{
	uint8_t want[ECHO_LEN];

	if (n < 8 || p[0] != RN_IPV4_ICMP_TYPE_ECHO || p[4] != (uint8_t)(r->ident >> 8) ||
	    p[5] != (uint8_t)r->ident)
		return false;
	icmp_echo(want, r->ident, seq);
	ck_assert_msg(n == ECHO_LEN && memcmp(p, want, ECHO_LEN) == 0,
		      "echo request %u: %zu bytes (want %d), or not the ones sent (its seq %u)",
		      seq, n, ECHO_LEN, (unsigned)(p[6] << 8 | p[7]));
	return true;
}

/* A whole packet with its header: the header must be ours to 127.0.0.1. */
static bool raw_packet_is_ours(const struct rawt *r, const uint8_t *b, size_t n, unsigned seq)
{
	rn_ipv4_header h;

	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, n), 0);
	if (h.protocol != 1 || !is_our_echo(r, b + h.len, n - (size_t)h.len, seq))
		return false;
	ck_assert_int_eq(h.total_len, RN_IPV4_HEADER_LEN + ECHO_LEN);
	ck_assert_int_eq(h.len, RN_IPV4_HEADER_LEN);
	return true;
}

/* Read by way @way until our echo request @seq comes (replies and others' packets skipped). */
static void raw_read_echo(struct rawt *r, int way, unsigned seq)
{
	char e[TU_ERRLEN];

	for (;;) {
		if (way == 0) {
			rn_ipv4_header h;
			void *p;
			ssize_t n = rn_ipv4_rawconn_read_from(r->rc, r->buf, sizeof(r->buf), &h, &p,
							      NULL);

			ck_assert_msg(n >= 0, "RawConn.ReadFrom: %zd (%s)", n,
				      tu_err_text(NULL, e));
			if (h.protocol == 1 && is_our_echo(r, p, (size_t)n, seq)) {
				ck_assert_int_eq(h.total_len, RN_IPV4_HEADER_LEN + ECHO_LEN);
				return;
			}
		} else if (way == 1) {
			int k;

			batch_reset(&r->b);
			k = rn_ipv4_rawconn_read_batch(r->rc, r->b.ms, 4, 0);
			ck_assert_msg(k > 0, "RawConn.ReadBatch: %d (%s)", k, tu_err_text(NULL, e));
			/* What follows ours in the batch is the kernel's reply, or others'. */
			for (int i = 0; i < k; i++)
				if (raw_packet_is_ours(r, batch_data(&r->b, i), r->b.ms[i].n, seq))
					return;
		} else {
			rn_addr from;
			char fs[RN_ADDR_STRLEN];
			ssize_t n = rn_conn_read_from(rn_ipv4_rawconn_conn(r->rc), r->buf,
						      sizeof(r->buf), &from);

			ck_assert_msg(n >= 0, "ReadFrom: %zd (%s)", n, tu_err_text(NULL, e));
			/* The IP conn's ReadFrom strips the header, as Go's. */
			if (is_our_echo(r, r->buf, (size_t)n, seq)) {
				ck_assert_str_eq(tu_addr_str(from, fs), "127.0.0.1");
				return;
			}
		}
	}
}

static void raw_task(void *arg)
{
	struct rawt *r = arg;
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t req[ECHO_LEN];

	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->before = tu_engine_stats();
	for (unsigned seq = 0; seq < RAW_N; seq++) {
		int way = (int)(seq % 3);

		icmp_echo(req, r->ident, seq);
		ck_assert_int_eq(sendto(r->s, req, sizeof(req), 0, (struct sockaddr *)&to,
					sizeof(to)),
				 (ssize_t)sizeof(req));
		raw_read_echo(r, way, seq);
		r->by_way[way]++;
	}
	r->after = tu_engine_stats();
}

START_TEST(test_raw_icmp_from_task)
{
	struct rawt *r;
	char e[TU_ERRLEN];
	rn_conn *c;

	if (!tu_need_raw4("test_raw_icmp_from_task") || !need_multishot("test_raw_icmp_from_task"))
		return;
	r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->ident = (uint16_t)(getpid() ^ 0x5a5a);
	r->s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	ck_assert_msg(r->s >= 0, "socket: %s", strerror(errno));
	c = rn_listen_packet("ip4:icmp", "127.0.0.1");
	ck_assert_msg(c != NULL, "listen ip4:icmp: %s", tu_err_text(NULL, e));
	grow_rcvbuf(rn_conn_fd(c));
	guard(c);
	r->rc = rn_ipv4_new_rawconn(c);
	ck_assert_msg(r->rc != NULL, "NewRawConn: %s", tu_err_text(NULL, e));
	batch_init(&r->b, 4, RD_CAP, 0);
	tu_go(raw_task, r);
	tu_run();
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(r->by_way[i], RAW_N / 3);
	ck_assert_msg(r->after.recv_multishot_armed == r->before.recv_multishot_armed + 1,
		      "%llu receives armed", r->after.recv_multishot_armed -
						     r->before.recv_multishot_armed);
	ck_assert_uint_eq(r->after.recv_oneshot, r->before.recv_oneshot);
	batch_free(&r->b);
	close(r->s);
	rn_ipv4_rawconn_free(r->rc);
	free(r);
}
END_TEST

/* ---- rn_run returning ----------------------------------------------------------------------- */

enum { RUN_QUEUED = 10, RUN_LATER = 5 };

struct queued_run {
	struct one *o;
	int drained;
	rn_engine_stats before, after;
};

static void queue_then_return(void *arg)
{
	struct queued_run *q = arg;

	q->before = tu_engine_stats();
	send_read_one(q->o, 0);
	for (unsigned i = 1; i <= RUN_QUEUED; i++)
		tx_dg(q->o->s, &q->o->to, 0, i, 64);
	q->drained = tu_wait_socket_drained(q->o->fd);
	q->after = tu_engine_stats();
}

START_TEST(test_run_returning_keeps_queued_datagrams)
{
	struct queued_run q;
	rn_engine_stats st;
	char e[TU_ERRLEN];

	if (!need_multishot("test_run_returning_keeps_queued_datagrams"))
		return;
	memset(&q, 0, sizeof(q));
	q.o = one_open(RD_FROM);
	guard(pcc(q.o->pc));
	tu_go(queue_then_return, &q);
	tu_run();
	ck_assert_uint_eq(q.after.recv_multishot_armed, q.before.recv_multishot_armed + 1);
	ck_assert_msg(q.drained == 0, "FIONREAD %d: the datagrams were not queued in the ring",
		      q.drained);
	/* A plain read gets the queued ones first, then what is sent next. */
	for (unsigned i = 1; i <= RUN_LATER; i++)
		tx_dg(q.o->s, &q.o->to, 0, RUN_QUEUED + i, 64);
	for (unsigned i = 1; i <= RUN_QUEUED + RUN_LATER; i++) {
		ssize_t n = rn_conn_read_from(pcc(q.o->pc), q.o->buf, sizeof(q.o->buf), NULL);

		ck_assert_msg(n >= 0, "ReadFrom %u: %zd (%s)", i, n, tu_err_text(NULL, e));
		dg_check(q.o->buf, (size_t)n, 64, 0, i);
	}
	st = tu_engine_stats();
	/* The queued ones came from the queue; the later ones, one receive each. */
	ck_assert_uint_eq(st.recv_oneshot, q.after.recv_oneshot + RUN_LATER);
	one_free(q.o);
}
END_TEST

/* ---- a connected socket's ICMP error -------------------------------------------------------- */

/*
 * A dialed UDP conn whose peer went away: the ICMP port unreachable makes
 * one read fail with ECONNREFUSED (the socket's error, reported once), and
 * the next read gets what a new socket on the peer's port sends, as
 * recvmsg(2) on a plain thread.
 */
struct refused {
	int s, port;
	rn_conn *c;
	ssize_t rc;
	char err[TU_ERRLEN];
	char got[2][16];
	rn_engine_stats before, after;
};

static int bind_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(s, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	ck_assert_msg(bind(s, (struct sockaddr *)&a, sizeof(a)) == 0, "bind %d: %s", port,
		      strerror(errno));
	return s;
}

static void refused_send(struct refused *r, const char *msg)
{
	struct dest d = dest_of(r->c);

	ck_assert_int_eq(sendto(r->s, msg, strlen(msg), 0, (struct sockaddr *)&d.ss, d.len),
			 (ssize_t)strlen(msg));
}

static void refused_scenario(void *arg)
{
	struct refused *r = arg;
	char e[TU_ERRLEN];
	ssize_t n;

	r->before = tu_engine_stats();
	refused_send(r, "one");
	n = rn_conn_read(r->c, r->got[0], sizeof(r->got[0]) - 1);
	ck_assert_msg(n == 3, "Read: %zd (%s)", n, tu_err_text(NULL, e));
	close(r->s);
	ck_assert_int_eq(rn_conn_write(r->c, "x", 1), 1);
	r->rc = rn_conn_read(r->c, r->got[1], sizeof(r->got[1]) - 1);
	tu_err_text(NULL, r->err);
	r->s = bind_port(r->port);
	refused_send(r, "two");
	n = rn_conn_read(r->c, r->got[1], sizeof(r->got[1]) - 1);
	ck_assert_msg(n == 3, "Read after the error: %zd (%s)", n, tu_err_text(NULL, e));
	r->after = tu_engine_stats();
}

START_TEST(test_connected_icmp_error_as_recvmsg)
{
	struct refused r;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char addr[32], e[TU_ERRLEN];

	if (!need_multishot("test_connected_icmp_error_as_recvmsg"))
		return;
	memset(&r, 0, sizeof(r));
	r.s = bind_port(0);
	ck_assert_int_eq(getsockname(r.s, (struct sockaddr *)&a, &len), 0);
	r.port = ntohs(a.sin_port);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", r.port);
	r.c = rn_dial("udp4", addr);
	ck_assert_msg(r.c != NULL, "dial: %s", tu_err_text(NULL, e));
	guard(r.c);
	if (_i)
		in_task(refused_scenario, &r);
	else
		refused_scenario(&r);
	expect_saved(r.rc, -ECONNREFUSED, r.err, "connection refused");
	ck_assert_str_eq(r.got[0], "one");
	ck_assert_str_eq(r.got[1], "two");
	if (_i) {
		/* Armed for "one", ended by the error, armed again for "two". */
		ck_assert_uint_eq(r.after.recv_multishot_armed, r.before.recv_multishot_armed + 2);
		ck_assert_uint_eq(r.after.recv_oneshot, r.before.recv_oneshot);
	}
	close(r.s);
	rn_conn_free(r.c);
}
END_TEST

/*
 * The same error behind 64 queued datagrams (one ReadBatch chunk): a
 * ReadBatch that takes them must leave the error for the next read, as
 * recvmmsg(2) keeps an error met after some messages for the next call.
 * ReadBatch(64) stops at the chunk; ReadBatch(128) goes on to look past it.
 */
enum { BEHIND_N = 64 };

struct behind {
	int s, port;
	rn_ipv4_packetconn *pc;
	struct batch b;
	int n, k;
	ssize_t rc;
	char err[TU_ERRLEN];
};

static void behind_task(void *arg)
{
	struct behind *w = arg;
	struct dest to = dest_of(pcc(w->pc));
	char e[TU_ERRLEN];
	int k;

	tx_dg(w->s, &to, 0, 0, 64);
	k = batch_read(w->pc, &w->b, 1, 0); /* arms */
	ck_assert_msg(k == 1, "ReadBatch: %d (%s)", k, tu_err_text(NULL, e));
	for (unsigned i = 1; i <= BEHIND_N; i++)
		tx_dg(w->s, &to, 0, i, 64);
	ck_assert_int_eq(tu_wait_socket_drained(rn_conn_fd(pcc(w->pc))), 0);
	close(w->s);
	w->s = -1;
	ck_assert_int_eq(rn_conn_write(pcc(w->pc), "x", 1), 1);
	rn_sleep(50 * RN_MILLISECOND); /* the port unreachable ends the receive */
	w->k = batch_read(w->pc, &w->b, w->n, 0);
	ck_assert_msg(w->k == BEHIND_N, "ReadBatch(%d): %d (%s)", w->n, w->k,
		      tu_err_text(NULL, e));
	for (int i = 0; i < BEHIND_N; i++)
		dg_check(batch_data(&w->b, i), w->b.ms[i].n, 64, 0, 1u + (unsigned)i);
	ck_assert_int_eq(rn_ipv4_packetconn_set_read_deadline(
				 w->pc, rn_time_add(rn_now(), 300 * RN_MILLISECOND)), 0);
	w->rc = batch_read(w->pc, &w->b, 8, 0);
	tu_err_text(NULL, w->err);
}

START_TEST(test_error_behind_a_full_chunk_kept)
{
	struct behind *w = calloc(1, sizeof(*w));
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char addr[32], e[TU_ERRLEN];
	rn_conn *c;

	if (!need_multishot("test_error_behind_a_full_chunk_kept")) {
		free(w);
		return;
	}
	ck_assert_ptr_nonnull(w);
	w->n = _i ? 2 * BEHIND_N : BEHIND_N;
	w->s = bind_port(0);
	ck_assert_int_eq(getsockname(w->s, (struct sockaddr *)&a, &len), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(a.sin_port));
	c = rn_dial("udp4", addr);
	ck_assert_msg(c != NULL, "dial: %s", tu_err_text(NULL, e));
	grow_rcvbuf(rn_conn_fd(c));
	guard(c);
	w->pc = pc_wrap(c);
	batch_init(&w->b, 2 * BEHIND_N, RD_CAP, 0);
	tu_go(behind_task, w);
	tu_run();
	ck_assert_msg(w->rc == -ECONNREFUSED,
		      "after ReadBatch(%d) took the %d datagrams queued before the error, the "
		      "next ReadBatch returned %zd (%s), want -ECONNREFUSED",
		      w->n, BEHIND_N, w->rc, w->err);
	if (w->s >= 0)
		close(w->s);
	batch_free(&w->b);
	rn_ipv4_packetconn_free(w->pc);
	free(w);
}
END_TEST

/* ---- suite ---------------------------------------------------------------------------------- */

static Suite *dgram_ms_suite(void)
{
	Suite *s = suite_create("dgram_ms");
	TCase *tc;

	tc = tu_engine_tcase("arming");
	tcase_add_loop_test(tc, test_task_reads_arm_once, 0, 2);
	tcase_add_test(tc, test_read_batch_waits_for_the_first);
	tcase_add_test(tc, test_read_batch_takes_what_is_queued);
	tcase_add_loop_test(tc, test_sizes_arrive_whole, 0, NPATHS);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("recvmsg");
	tcase_add_loop_test(tc, test_truncated_datagram_as_recvmsg, 0, NPATHS);
	tcase_add_test(tc, test_read_batch_trunc_flag_as_recvmsg);
	tcase_add_test(tc, test_read_batch_peek_leaves_datagram);
	tcase_add_test(tc, test_control_messages_as_plain_read);
	tcase_add_loop_test(tc, test_short_control_room_sets_ctrunc, 0,
			    (int)(sizeof(ctrunc_cases) / sizeof(ctrunc_cases[0])));
	tcase_add_loop_test(tc, test_connected_icmp_error_as_recvmsg, 0, 2);
	tcase_add_loop_test(tc, test_error_behind_a_full_chunk_kept, 0, 2);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("paths");
	tcase_add_test(tc, test_all_paths_share_one_queue);
	tcase_add_test(tc, test_migrate_to_plain_thread);
	tcase_add_test(tc, test_migrate_to_another_runtime_thread);
	tcase_add_test(tc, test_run_returning_keeps_queued_datagrams);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("wakeups");
	tcase_add_loop_test(tc, test_deadline_fires_while_parked, 0, 2);
	tcase_add_test(tc, test_passed_deadline_fails_with_datagrams_queued);
	tcase_add_loop_test(tc, test_close_from_thread_wakes_parked_read, 0, 2);
	tcase_add_test(tc, test_close_gives_queued_buffers_back);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("volume");
	tcase_add_loop_test(tc, test_starved_ring_loses_nothing, 0, 2);
	tcase_add_test(tc, test_raw_icmp_from_task);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(dgram_ms_suite());
}
