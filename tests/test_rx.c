/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_rx.c - the multishot receive of TCP conns through the public
 * API against the real kernel: a task's Reads arm one receive per conn
 * and keep it armed (rn_engine_stats_get says so), bytes leave the socket
 * ahead of the next Read (FIONREAD), deadlines, Close, end of stream and
 * reset reach a Read parked on it, a stream moves between rings and to
 * plain threads with every byte once and in order, rn_run returning and
 * File and Free from another thread end it without loss, and a buffer
 * ring drained by leases falls back without losing a byte.
 *
 * The conn under test is always the dialed end (its raw descriptor seen
 * by the Dialer's Control); the accepted end is the peer that writes.
 * Streams are a counter pattern (4-byte little-endian counters xor a
 * per-stream seed), so a byte lost, repeated or moved shows as a
 * mismatch at its offset.  Every test runs under the fd-leak fixture with
 * the thread's engine stopped around the count.  Only loopback is used.
 */
#define _GNU_SOURCE 1 /* pthread_timedjoin_np */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/engine.h>
#include <ringnet/net.h>
#include <ringnet/runtime.h>
#include <ringnet/task.h>

#include "testutil.h"

/* Whether this engine has the feature the suite is about; prints why a test skips when not. */
#define need_multishot(test) \
	tu_need_feature(RN_ENGINE_RECV_MULTISHOT, "RN_ENGINE_RECV_MULTISHOT", test)

/* Sizes: the big stream and the migrating streams shrink under ThreadSanitizer. */
#if TU_TSAN
#define BIG_STREAM (4u << 20)
#define MIG_STREAM (2u << 20)
#else
#define BIG_STREAM (32u << 20)
#define MIG_STREAM (4u << 20)
#endif

#define READ_MAX (64 * 1024)

/* ---- helpers -------------------------------------------------------------------------------- */

static long ms_since(int64_t t0)
{
	return (long)((tu_mono_ns() - t0) / 1000000);
}

/* Assert that a call returned @want and that the thread's last error text holds @text. */
static void expect_error(ssize_t got, int want, const char *text)
{
	char e[TU_ERRLEN];

	tu_err_text(NULL, e);
	ck_assert_msg(got == want, "got %zd, want %d (last error: %s)", got, want, e);
	ck_assert_msg(strstr(e, text) != NULL, "error text \"%s\" lacks \"%s\"", e, text);
}

/* The byte at offset @i of stream @seed: 4-byte counters, xor a per-stream byte. */
static uint8_t pat(unsigned seed, size_t i)
{
	uint32_t w = (uint32_t)(i >> 2);

	return (uint8_t)((w >> ((i & 3) * 8)) ^ (seed * 0x9du + 0x11u));
}

static void pat_fill(unsigned seed, size_t off, void *buf, size_t n)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < n; i++)
		b[i] = pat(seed, off + i);
}

/* Assert that @n bytes at @buf are stream @seed's bytes at @off. */
static void pat_check(unsigned seed, size_t off, const void *buf, size_t n)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < n; i++)
		if (b[i] != pat(seed, off + i))
			ck_abort_msg("stream %u: byte %zu is %#x, want %#x", seed, off + i, b[i],
				     pat(seed, off + i));
}

/*
 * Read @c until *@off reaches @until, or to end of stream when @until is
 * SIZE_MAX, checking every byte against stream @seed.  Reads ask for 1 ..
 * @max bytes, at random when @rng is given.
 */
static void read_pattern(rn_conn *c, unsigned seed, size_t *off, size_t until, size_t max,
			 uint64_t *rng)
{
	uint8_t *buf = malloc(max);
	char e[TU_ERRLEN];

	ck_assert_ptr_nonnull(buf);
	while (*off < until) {
		size_t want = rng ? 1 + (size_t)(tu_rng_next(rng) % max) : max;
		ssize_t n;

		if (until != SIZE_MAX && want > until - *off)
			want = until - *off;
		n = rn_conn_read(c, buf, want);
		ck_assert_msg(n >= 0, "read at %zu: %zd (%s)", *off, n, tu_err_text(NULL, e));
		if (n == 0) {
			ck_assert_msg(until == SIZE_MAX, "end of stream at %zu, want %zu", *off,
				      until);
			break;
		}
		ck_assert_uint_le((size_t)n, want);
		pat_check(seed, *off, buf, (size_t)n);
		*off += (size_t)n;
	}
	free(buf);
}

/* Write @n bytes of stream @seed from offset @off on @c, asserted. */
static void write_pattern(rn_conn *c, unsigned seed, size_t off, size_t n)
{
	uint8_t *buf = malloc(n);

	ck_assert_ptr_nonnull(buf);
	pat_fill(seed, off, buf, n);
	ck_assert_int_eq(rn_conn_write(c, buf, n), (ssize_t)n);
	free(buf);
}

/* A conn dialed to a listener of ours, its raw descriptor, and the peer it accepted. */
struct rxp {
	rn_listener *l;
	rn_conn *c; /* dialed: the conn under test */
	rn_conn *s; /* accepted: the peer */
	int fd;	    /* c's descriptor, as the Dialer's Control saw it */
};

static int capture_fd(const char *network, const char *address, int fd, void *arg)
{
	(void)network;
	(void)address;
	*(int *)arg = fd;
	return 0;
}

static void rxp_open(struct rxp *p)
{
	char addr[RN_ADDR_STRLEN], e[TU_ERRLEN];
	rn_dialer d;

	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->l = rn_listen("tcp", "127.0.0.1:0");
	ck_assert_msg(p->l != NULL, "listen: %s", tu_err_text(NULL, e));
	tu_addr_str(rn_listener_addr(p->l), addr);
	memset(&d, 0, sizeof(d));
	d.control = capture_fd;
	d.control_arg = &p->fd;
	p->c = rn_dialer_dial(&d, "tcp", addr);
	ck_assert_msg(p->c != NULL, "dial %s: %s", addr, tu_err_text(NULL, e));
	p->s = rn_listener_accept(p->l);
	ck_assert_msg(p->s != NULL, "accept: %s", tu_err_text(NULL, e));
	ck_assert_int_ge(p->fd, 0);
	ck_assert_int_eq(p->fd, rn_conn_fd(p->c));
}

static void rxp_free(struct rxp *p)
{
	rn_conn_free(p->c);
	rn_conn_free(p->s);
	rn_listener_free(p->l);
	memset(p, 0, sizeof(*p));
}

/*
 * A plain thread writing @total bytes of stream @seed on @c, then
 * CloseWrite.  With a gate, it stops after @gate bytes until the reader's
 * *@progress has reached them (for at most 5 s, then it goes on and says
 * so): the stream cannot end by itself before the reader has caught up.
 */
struct writer {
	rn_conn *c;
	unsigned seed;
	size_t total;
	size_t sent;
	size_t gate;
	_Atomic size_t *progress;
	bool gate_timed_out;
	pthread_t th;
};

static void writer_wait_gate(struct writer *w)
{
	int64_t t0 = tu_mono_ns();

	while (atomic_load(w->progress) < w->gate) {
		if (ms_since(t0) > 5000) {
			w->gate_timed_out = true;
			return;
		}
		tu_sleep_ms(1);
	}
}

static void *writer_main(void *arg)
{
	enum { CHUNK = 64 * 1024 };
	struct writer *w = arg;
	uint8_t *buf = malloc(CHUNK);

	w->sent = 0;
	while (buf && w->sent < w->total) {
		size_t n = w->total - w->sent < CHUNK ? w->total - w->sent : CHUNK;

		if (w->gate && w->sent == w->gate)
			writer_wait_gate(w);
		if (w->gate > w->sent && n > w->gate - w->sent)
			n = w->gate - w->sent;
		pat_fill(w->seed, w->sent, buf, n);
		if (rn_conn_write(w->c, buf, n) != (ssize_t)n)
			break;
		w->sent += n;
	}
	rn_tcpconn_close_write(w->c);
	free(buf);
	return NULL;
}

static void writer_start(struct writer *w, rn_conn *c, unsigned seed, size_t total)
{
	w->c = c;
	w->seed = seed;
	w->total = total;
	w->sent = 0;
	w->gate_timed_out = false;
	w->th = tu_thread_start(writer_main, w);
}

static void writer_join(struct writer *w)
{
	tu_thread_join(w->th);
	ck_assert_msg(w->sent == w->total, "writer of stream %u sent %zu of %zu bytes", w->seed,
		      w->sent, w->total);
}

/* ---- arming --------------------------------------------------------------------------------- */

enum { CHAT_TOTAL = 64 * 1024, CHAT_READ = 100, CHAT_WRITE = 1024 };

struct chat {
	struct rxp p;
	unsigned seed;
	int reads;
};

/* Many small Reads: 100 bytes at a time. */
static void chat_reader(void *arg)
{
	struct chat *ch = arg;
	size_t off = 0;

	while (off < CHAT_TOTAL) {
		uint8_t buf[CHAT_READ];
		ssize_t n = rn_conn_read(ch->p.c, buf, sizeof(buf));

		ck_assert_int_gt(n, 0);
		pat_check(ch->seed, off, buf, (size_t)n);
		off += (size_t)n;
		ch->reads++;
	}
}

/* The peer writes 1 KiB at a time, letting the reader run in between. */
static void chat_writer(void *arg)
{
	struct chat *ch = arg;

	for (size_t off = 0; off < CHAT_TOTAL; off += CHAT_WRITE) {
		write_pattern(ch->p.s, ch->seed, off, CHAT_WRITE);
		rn_yield();
	}
}

START_TEST(test_task_reads_arm_once_per_conn)
{
	struct chat ch[2];
	rn_engine_stats before, after;

	if (!need_multishot("test_task_reads_arm_once_per_conn"))
		return;
	for (int i = 0; i < 2; i++) {
		rxp_open(&ch[i].p);
		ch[i].seed = 1u + (unsigned)i;
		ch[i].reads = 0;
	}
	before = tu_engine_stats();
	for (int i = 0; i < 2; i++) {
		tu_go(chat_reader, &ch[i]);
		tu_go(chat_writer, &ch[i]);
	}
	tu_run();
	after = tu_engine_stats();
	for (int i = 0; i < 2; i++)
		ck_assert_int_ge(ch[i].reads, CHAT_TOTAL / CHAT_READ);
	/* Hundreds of Reads per conn, one receive per conn, no Read of its own. */
	ck_assert_msg(after.recv_multishot_armed == before.recv_multishot_armed + 2,
		      "%llu receives armed for 2 conns (%d and %d Reads)",
		      after.recv_multishot_armed - before.recv_multishot_armed, ch[0].reads,
		      ch[1].reads);
	ck_assert_msg(after.recv_oneshot == before.recv_oneshot, "%llu one-shot receives",
		      after.recv_oneshot - before.recv_oneshot);
	for (int i = 0; i < 2; i++)
		rxp_free(&ch[i].p);
}
END_TEST

/* ---- receiving ahead ------------------------------------------------------------------------ */

enum { AHEAD_N = 1500 };

struct ahead {
	struct rxp p;
	int fionread_after; /* queued in the socket after the scheduler spun */
	rn_engine_stats before, after;
};

static void ahead_task(void *arg)
{
	struct ahead *a = arg;
	uint8_t buf[AHEAD_N];

	/* The first Read arms the receive. */
	ck_assert_int_eq(rn_conn_write(a->p.s, "x", 1), 1);
	ck_assert_int_eq(rn_conn_read(a->p.c, buf, 1), 1);
	ck_assert_int_eq(buf[0], 'x');
	a->before = tu_engine_stats();
	/* No Read runs while the bytes arrive and the scheduler spins. */
	write_pattern(a->p.s, 3, 0, AHEAD_N);
	rn_sleep(5 * RN_MILLISECOND);
	a->fionread_after = tu_wait_socket_drained(a->p.fd);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(tu_read_full(a->p.c, buf, AHEAD_N), AHEAD_N);
	pat_check(3, 0, buf, AHEAD_N);
	a->after = tu_engine_stats();
}

START_TEST(test_task_receives_ahead_of_read)
{
	struct ahead a;

	if (!need_multishot("test_task_receives_ahead_of_read"))
		return;
	memset(&a, 0, sizeof(a));
	rxp_open(&a.p);
	tu_go(ahead_task, &a);
	tu_run();
	ck_assert_msg(a.fionread_after == 0,
		      "FIONREAD %d: the bytes stayed in the socket while the task slept",
		      a.fionread_after);
	ck_assert_uint_eq(a.after.recv_oneshot, a.before.recv_oneshot);
	ck_assert_uint_eq(a.after.recv_multishot_armed, a.before.recv_multishot_armed);
	rxp_free(&a.p);
}
END_TEST

/* Go checks a passed deadline before it reads: queued bytes wait for the next Read. */
static void passed_deadline_task(void *arg)
{
	struct ahead *a = arg;
	uint8_t buf[AHEAD_N];

	ck_assert_int_eq(rn_conn_write(a->p.s, "x", 1), 1);
	ck_assert_int_eq(rn_conn_read(a->p.c, buf, 1), 1);
	write_pattern(a->p.s, 5, 0, AHEAD_N);
	rn_sleep(5 * RN_MILLISECOND);
	a->fionread_after = tu_wait_socket_drained(a->p.fd);
	ck_assert_int_eq(rn_conn_set_read_deadline(a->p.c, rn_time_add(rn_now(), -RN_SECOND)), 0);
	ck_assert_int_eq(rn_conn_read(a->p.c, buf, sizeof(buf)), RN_ETIMEOUT);
	ck_assert_int_eq(rn_conn_set_read_deadline(a->p.c, 0), 0);
	memset(buf, 0, sizeof(buf));
	ck_assert_int_eq(tu_read_full(a->p.c, buf, AHEAD_N), AHEAD_N);
	pat_check(5, 0, buf, AHEAD_N);
}

START_TEST(test_passed_deadline_fails_even_with_bytes_queued)
{
	struct ahead a;

	if (!need_multishot("test_passed_deadline_fails_even_with_bytes_queued"))
		return;
	memset(&a, 0, sizeof(a));
	rxp_open(&a.p);
	tu_go(passed_deadline_task, &a);
	tu_run();
	ck_assert_msg(a.fionread_after == 0, "FIONREAD %d: nothing was queued in ringnet",
		      a.fionread_after);
	rxp_free(&a.p);
}
END_TEST

START_TEST(test_plain_thread_does_not_receive_ahead)
{
	struct rxp p;
	uint8_t buf[AHEAD_N];
	rn_engine_stats before, after;
	int q;

	rxp_open(&p);
	before = tu_engine_stats();
	ck_assert_int_eq(rn_conn_write(p.s, "x", 1), 1);
	ck_assert_int_eq(rn_conn_read(p.c, buf, 1), 1);
	write_pattern(p.s, 4, 0, AHEAD_N);
	tu_sleep_ms(20);
	q = tu_fionread(p.fd);
	ck_assert_msg(q == AHEAD_N, "FIONREAD %d with no Read running on a plain thread", q);
	ck_assert_int_eq(tu_read_full(p.c, buf, AHEAD_N), AHEAD_N);
	pat_check(4, 0, buf, AHEAD_N);
	after = tu_engine_stats();
	ck_assert_uint_ge(after.recv_oneshot, before.recv_oneshot + 2);
	ck_assert_uint_eq(after.recv_multishot_armed, before.recv_multishot_armed);
	rxp_free(&p);
}
END_TEST

/* ---- deadlines ------------------------------------------------------------------------------ */

static void deadline_fires_task(void *arg)
{
	struct rxp *p = arg;
	const char msg[] = "sent after the deadline";
	char buf[64];
	int64_t t0;
	ssize_t n;

	ck_assert_int_eq(rn_conn_write(p->s, "a", 1), 1);
	ck_assert_int_eq(rn_conn_read(p->c, buf, 1), 1); /* armed from here on */
	ck_assert_int_eq(rn_conn_set_read_deadline(p->c, rn_now() + 30 * RN_MILLISECOND), 0);
	t0 = tu_mono_ns();
	n = rn_conn_read(p->c, buf, sizeof(buf));
	expect_error(n, RN_ETIMEOUT, "i/o timeout");
	ck_assert_msg(ms_since(t0) >= 25, "timed out after %ld ms, deadline 30 ms",
		      ms_since(t0));
	ck_assert_int_eq(rn_conn_set_read_deadline(p->c, 0), 0);
	ck_assert_int_eq(rn_conn_write(p->s, msg, sizeof(msg)), (ssize_t)sizeof(msg));
	ck_assert_int_eq(tu_read_full(p->c, buf, sizeof(msg)), (ssize_t)sizeof(msg));
	ck_assert_str_eq(buf, msg);
}

START_TEST(test_deadline_fires_while_parked_then_no_loss)
{
	struct rxp p;

	if (!need_multishot("test_deadline_fires_while_parked_then_no_loss"))
		return;
	rxp_open(&p);
	tu_go(deadline_fires_task, &p);
	tu_run();
	rxp_free(&p);
}
END_TEST

/*
 * Reads with 1 ms deadlines time out again and again while the peer sends
 * at its own pace: every byte still arrives once and in order.
 */
enum { RACE_TOTAL = 256 * 1024, RACE_WRITE = 1000 };

struct race {
	struct rxp p;
	int timeouts;
	bool done;
};

static void race_reader(void *arg)
{
	struct race *r = arg;
	uint8_t buf[4096];
	size_t off = 0;

	while (off < RACE_TOTAL) {
		ssize_t n;

		ck_assert_int_eq(rn_conn_set_read_deadline(r->p.c, rn_now() + RN_MILLISECOND), 0);
		n = rn_conn_read(r->p.c, buf, sizeof(buf));
		if (n == RN_ETIMEOUT) {
			r->timeouts++;
			continue;
		}
		ck_assert_int_gt(n, 0);
		pat_check(5, off, buf, (size_t)n);
		off += (size_t)n;
	}
	r->done = true;
}

static void race_writer(void *arg)
{
	struct race *r = arg;
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	for (size_t off = 0; off < RACE_TOTAL; off += RACE_WRITE) {
		size_t n = RACE_TOTAL - off < RACE_WRITE ? RACE_TOTAL - off : RACE_WRITE;

		write_pattern(r->p.s, 5, off, n);
		if (tu_rng_next(&rng) % 4 == 0)
			rn_sleep((rn_duration)(tu_rng_next(&rng) % 1500) * 1000);
	}
}

START_TEST(test_deadline_races_lose_nothing)
{
	struct race r;

	if (!need_multishot("test_deadline_races_lose_nothing"))
		return;
	memset(&r, 0, sizeof(r));
	rxp_open(&r.p);
	tu_go(race_reader, &r);
	tu_go(race_writer, &r);
	tu_run();
	ck_assert(r.done);
	ck_assert_msg(r.timeouts > 0, "no Read timed out: the test did not race");
	rxp_free(&r.p);
}
END_TEST

/* One task parks in Read with a deadline; another changes it meanwhile. */
struct mover {
	struct rxp p;
	ssize_t rc;
	long ms;
	char err[TU_ERRLEN];
	char buf[16];
};

static void mover_reader(void *arg)
{
	struct mover *m = arg;
	int64_t t0;

	ck_assert_int_eq(rn_conn_write(m->p.s, "a", 1), 1);
	ck_assert_int_eq(rn_conn_read(m->p.c, m->buf, 1), 1); /* armed from here on */
	ck_assert_int_eq(rn_conn_set_read_deadline(m->p.c, rn_now() + 40 * RN_MILLISECOND), 0);
	t0 = tu_mono_ns();
	m->rc = rn_conn_read(m->p.c, m->buf, sizeof(m->buf));
	m->ms = ms_since(t0);
	tu_err_text(NULL, m->err);
}

static void later_task(void *arg)
{
	struct mover *m = arg;

	rn_sleep(10 * RN_MILLISECOND);
	ck_assert_int_eq(rn_conn_set_read_deadline(m->p.c, rn_now() + 150 * RN_MILLISECOND), 0);
}

START_TEST(test_deadline_moved_later_while_parked)
{
	struct mover m;

	if (!need_multishot("test_deadline_moved_later_while_parked"))
		return;
	memset(&m, 0, sizeof(m));
	rxp_open(&m.p);
	tu_go(mover_reader, &m);
	tu_go(later_task, &m);
	tu_run();
	ck_assert_msg(m.rc == RN_ETIMEOUT, "Read returned %zd (%s)", m.rc, m.err);
	ck_assert_msg(strstr(m.err, "i/o timeout"), "%s", m.err);
	/* The deadline became ~160 ms after the Read began, not 40 ms. */
	ck_assert_msg(m.ms >= 140 && m.ms < 2000, "timed out after %ld ms", m.ms);
	rxp_free(&m.p);
}
END_TEST

static void clear_then_send_task(void *arg)
{
	struct mover *m = arg;

	rn_sleep(10 * RN_MILLISECOND);
	ck_assert_int_eq(rn_conn_set_read_deadline(m->p.c, 0), 0);
	rn_sleep(100 * RN_MILLISECOND);
	ck_assert_int_eq(rn_conn_write(m->p.s, "late", 4), 4);
}

START_TEST(test_deadline_cleared_while_parked)
{
	struct mover m;

	if (!need_multishot("test_deadline_cleared_while_parked"))
		return;
	memset(&m, 0, sizeof(m));
	rxp_open(&m.p);
	tu_go(mover_reader, &m);
	tu_go(clear_then_send_task, &m);
	tu_run();
	ck_assert_msg(m.rc == 4, "Read returned %zd (%s) after %ld ms", m.rc, m.err, m.ms);
	ck_assert_mem_eq(m.buf, "late", 4);
	ck_assert_msg(m.ms >= 100, "Read returned after %ld ms, before the data was sent", m.ms);
	rxp_free(&m.p);
}
END_TEST

/*
 * A deadline set while the Read is parked without one: it must wake the
 * Read (nothing else would).  The data sent at 500 ms only turns a missed
 * wake into a failure instead of a hang.
 */
static void set_then_send_task(void *arg)
{
	struct mover *m = arg;

	rn_sleep(10 * RN_MILLISECOND);
	ck_assert_int_eq(rn_conn_set_read_deadline(m->p.c, rn_now() + 20 * RN_MILLISECOND), 0);
	rn_sleep(500 * RN_MILLISECOND);
	ck_assert_int_eq(rn_conn_write(m->p.s, "late", 4), 4);
}

static void no_deadline_reader(void *arg)
{
	struct mover *m = arg;
	int64_t t0;

	ck_assert_int_eq(rn_conn_write(m->p.s, "a", 1), 1);
	ck_assert_int_eq(rn_conn_read(m->p.c, m->buf, 1), 1); /* armed from here on */
	t0 = tu_mono_ns();
	m->rc = rn_conn_read(m->p.c, m->buf, sizeof(m->buf));
	m->ms = ms_since(t0);
	tu_err_text(NULL, m->err);
}

START_TEST(test_deadline_set_while_parked)
{
	struct mover m;

	if (!need_multishot("test_deadline_set_while_parked"))
		return;
	memset(&m, 0, sizeof(m));
	rxp_open(&m.p);
	tu_go(no_deadline_reader, &m);
	tu_go(set_then_send_task, &m);
	tu_run();
	ck_assert_msg(m.rc == RN_ETIMEOUT, "Read returned %zd (%s) after %ld ms", m.rc, m.err,
		      m.ms);
	ck_assert_msg(m.ms >= 25 && m.ms < 400, "timed out after %ld ms, deadline ~30 ms", m.ms);
	rxp_free(&m.p);
}
END_TEST

/* ---- Close ---------------------------------------------------------------------------------- */

struct closing {
	struct rxp p;
	ssize_t rc;
	long ms;
	char err[TU_ERRLEN];
	bool fd_gone; /* the descriptor was released while the thread still ran tasks */
};

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

static void closing_reader(void *arg)
{
	struct closing *cl = arg;
	char buf[16];
	int64_t t0;

	ck_assert_int_eq(rn_conn_write(cl->p.s, "a", 1), 1);
	ck_assert_int_eq(rn_conn_read(cl->p.c, buf, 1), 1); /* armed from here on */
	t0 = tu_mono_ns();
	cl->rc = rn_conn_read(cl->p.c, buf, sizeof(buf));
	cl->ms = ms_since(t0);
	tu_err_text(NULL, cl->err);
	if (cl->rc == RN_ECLOSED)
		cl->fd_gone = fd_released(cl->p.fd);
}

static void *close_from_thread(void *arg)
{
	struct closing *cl = arg;

	tu_sleep_ms(30);
	ck_assert_int_eq(rn_conn_close(cl->p.c), 0);
	return NULL;
}

static void close_from_task(void *arg)
{
	struct closing *cl = arg;

	rn_sleep(30 * RN_MILLISECOND);
	ck_assert_int_eq(rn_conn_close(cl->p.c), 0);
}

/* After Close: the Read saw RN_ECLOSED, and the descriptor went while the thread ran on. */
static void check_closed(const struct closing *cl)
{
	ck_assert_msg(cl->rc == RN_ECLOSED, "Read returned %zd (%s)", cl->rc, cl->err);
	ck_assert_msg(strstr(cl->err, "use of closed network connection"), "%s", cl->err);
	ck_assert_msg(cl->ms >= 20, "Read returned after %ld ms, before the Close", cl->ms);
	ck_assert_msg(cl->fd_gone, "descriptor %d still open 500 ms after Close", cl->p.fd);
}

START_TEST(test_close_from_thread_wakes_parked_read)
{
	struct closing cl;
	pthread_t t;

	if (!need_multishot("test_close_from_thread_wakes_parked_read"))
		return;
	memset(&cl, 0, sizeof(cl));
	rxp_open(&cl.p);
	tu_go(closing_reader, &cl);
	t = tu_thread_start(close_from_thread, &cl);
	tu_run();
	tu_thread_join(t);
	check_closed(&cl);
	rxp_free(&cl.p);
}
END_TEST

START_TEST(test_close_from_task_wakes_parked_read)
{
	struct closing cl;

	if (!need_multishot("test_close_from_task_wakes_parked_read"))
		return;
	memset(&cl, 0, sizeof(cl));
	rxp_open(&cl.p);
	tu_go(closing_reader, &cl);
	tu_go(close_from_task, &cl);
	tu_run();
	check_closed(&cl);
	rxp_free(&cl.p);
}
END_TEST

/* ---- end of stream and reset ---------------------------------------------------------------- */

enum { EOF_TOTAL = 100000 };

struct eof {
	struct rxp p;
	size_t got;
	ssize_t again;
};

static void eof_reader(void *arg)
{
	struct eof *e = arg;
	char buf[16];

	read_pattern(e->p.c, 6, &e->got, SIZE_MAX, 4096, NULL);
	e->again = rn_conn_read(e->p.c, buf, sizeof(buf));
}

static void eof_writer(void *arg)
{
	struct eof *e = arg;

	for (size_t off = 0; off < EOF_TOTAL; off += 10000) {
		write_pattern(e->p.s, 6, off, 10000);
		rn_yield();
	}
	ck_assert_int_eq(rn_tcpconn_close_write(e->p.s), 0);
}

START_TEST(test_close_write_reads_all_then_eof)
{
	struct eof e;

	if (!need_multishot("test_close_write_reads_all_then_eof"))
		return;
	memset(&e, 0, sizeof(e));
	rxp_open(&e.p);
	tu_go(eof_reader, &e);
	tu_go(eof_writer, &e);
	tu_run();
	ck_assert_uint_eq(e.got, EOF_TOTAL);
	ck_assert_msg(e.again == 0, "Read after end of stream returned %zd", e.again);
	rxp_free(&e.p);
}
END_TEST

static void reset_task(void *arg)
{
	struct closing *cl = arg;

	rn_sleep(30 * RN_MILLISECOND);
	ck_assert_int_eq(rn_tcpconn_set_linger(cl->p.s, 0), 0);
	ck_assert_int_eq(rn_conn_close(cl->p.s), 0);
}

START_TEST(test_peer_reset_reaches_parked_read)
{
	struct closing cl;

	if (!need_multishot("test_peer_reset_reaches_parked_read"))
		return;
	memset(&cl, 0, sizeof(cl));
	rxp_open(&cl.p);
	tu_go(closing_reader, &cl);
	tu_go(reset_task, &cl);
	tu_run();
	ck_assert_msg(cl.rc == -ECONNRESET, "Read returned %zd (%s)", cl.rc, cl.err);
	ck_assert_msg(strstr(cl.err, "read tcp ") && strstr(cl.err, "connection reset by peer"),
		      "%s", cl.err);
	rxp_free(&cl.p);
}
END_TEST

/* ---- migration ------------------------------------------------------------------------------ */

/*
 * A reads MIG_PART; the writer stops at MIG_GATE until the new reader has
 * everything before it, so the bytes between stay queued on A's armed
 * receive, and the stream cannot end (which would end the receive by
 * itself) until the new reader got them from there.
 */
enum { MIG_PART = 512 * 1024, MIG_GATE = MIG_PART + 256 * 1024 };

struct mig {
	struct rxp p;
	struct writer w;
	size_t off;
	_Atomic size_t progress;
	rn_engine_stats a_before, a_after, b_before, b_after;
	int a_thread, b_thread;
};

static struct mig g_mig;

static rn_runtime *new_runtime(int n)
{
	char e[TU_ERRLEN];
	rn_runtime *rt = rn_runtime_new(n);

	ck_assert_msg(rt != NULL, "rn_runtime_new: %s", tu_err_text(NULL, e));
	return rt;
}

/* On runtime thread A: read the first part, arming the receive on A's ring. */
static void mig_first_part(void *arg)
{
	struct mig *m = arg;

	m->a_thread = rn_runtime_thread();
	m->a_before = tu_engine_stats();
	read_pattern(m->p.c, 7, &m->off, MIG_PART, 16 * 1024, NULL);
	m->a_after = tu_engine_stats();
}

/* The new reader: to end of stream, telling the writer how far it got. */
static void mig_read_to_end(struct mig *m)
{
	uint8_t *buf = malloc(READ_MAX);
	char e[TU_ERRLEN];

	ck_assert_ptr_nonnull(buf);
	for (;;) {
		ssize_t n = rn_conn_read(m->p.c, buf, READ_MAX);

		ck_assert_msg(n >= 0, "read at %zu: %zd (%s)", m->off, n, tu_err_text(NULL, e));
		if (n == 0)
			break;
		pat_check(7, m->off, buf, (size_t)n);
		m->off += (size_t)n;
		atomic_store(&m->progress, m->off);
	}
	free(buf);
}

/* On runtime thread B: the rest. */
static void mig_rest(void *arg)
{
	struct mig *m = arg;

	m->b_thread = rn_runtime_thread();
	m->b_before = tu_engine_stats();
	mig_read_to_end(m);
	m->b_after = tu_engine_stats();
}

static rn_runtime *mig_start(struct mig *m)
{
	rn_runtime *rt = new_runtime(2);
	int q = -1;

	memset(m, 0, sizeof(*m));
	rxp_open(&m->p);
	m->w.gate = MIG_GATE;
	m->w.progress = &m->progress;
	writer_start(&m->w, m->p.s, 7, MIG_STREAM);
	ck_assert_int_eq(rn_go_on(rt, 0, mig_first_part, m), 0);
	ck_assert_int_eq(rn_runtime_wait(rt), 0);
	ck_assert_int_eq(m->a_thread, 0);
	ck_assert_uint_eq(m->off, MIG_PART);
	atomic_store(&m->progress, m->off);
	ck_assert_msg(m->a_after.recv_multishot_armed == m->a_before.recv_multishot_armed + 1,
		      "%llu receives armed on thread A",
		      m->a_after.recv_multishot_armed - m->a_before.recv_multishot_armed);
	/* The bytes up to the gate leave the socket for A's ring, with no Read running. */
	for (int i = 0; i < 500 && q != 0; i++) {
		q = tu_fionread(m->p.fd);
		if (q != 0)
			tu_sleep_ms(1);
	}
	ck_assert_msg(q == 0, "FIONREAD %d: nothing queued on thread A", q);
	return rt;
}

static void mig_finish(struct mig *m, rn_runtime *rt)
{
	writer_join(&m->w);
	ck_assert_msg(!m->w.gate_timed_out,
		      "the new reader took none of the bytes queued on thread A within 5 s "
		      "(the writer waited at byte %d)",
		      MIG_GATE);
	ck_assert_uint_eq(m->off, MIG_STREAM);
	rxp_free(&m->p);
	rn_runtime_free(rt);
}

START_TEST(test_migrate_to_plain_thread)
{
	struct mig *m = &g_mig;
	rn_runtime *rt;

	if (!need_multishot("test_migrate_to_plain_thread"))
		return;
	rt = mig_start(m);
	/* The receive stays armed on A (its thread keeps running) while we read the rest. */
	mig_read_to_end(m);
	mig_finish(m, rt);
}
END_TEST

START_TEST(test_migrate_to_another_runtime_thread)
{
	struct mig *m = &g_mig;
	rn_runtime *rt;

	if (!need_multishot("test_migrate_to_another_runtime_thread"))
		return;
	rt = mig_start(m);
	ck_assert_int_eq(rn_go_on(rt, 1, mig_rest, m), 0);
	ck_assert_int_eq(rn_runtime_wait(rt), 0);
	ck_assert_int_eq(m->b_thread, 1);
	ck_assert_msg(m->b_after.recv_multishot_armed > m->b_before.recv_multishot_armed,
		      "no receive armed on thread B");
	mig_finish(m, rt);
}
END_TEST

/* ---- rn_run returning ----------------------------------------------------------------------- */

enum { RUN_FIRST = 4000, RUN_TAKEN = 1000, RUN_SECOND = 5000, RUN_THIRD = 3000 };

struct queued {
	struct rxp p;
	int fionread;
	rn_engine_stats before, after;
};

static void queue_then_return(void *arg)
{
	struct queued *q = arg;
	size_t off = 0;

	q->before = tu_engine_stats();
	write_pattern(q->p.s, 8, 0, RUN_FIRST);
	/* Arms; the chunk of the first write stays part-read. */
	read_pattern(q->p.c, 8, &off, RUN_TAKEN, RUN_TAKEN, NULL);
	write_pattern(q->p.s, 8, RUN_FIRST, RUN_SECOND);
	q->fionread = tu_wait_socket_drained(q->p.fd);
	q->after = tu_engine_stats();
}

START_TEST(test_run_returning_keeps_queued_bytes)
{
	struct queued q;
	size_t off = RUN_TAKEN;
	rn_engine_stats st;
	int n0;

	if (!need_multishot("test_run_returning_keeps_queued_bytes"))
		return;
	memset(&q, 0, sizeof(q));
	rxp_open(&q.p);
	tu_go(queue_then_return, &q);
	tu_run();
	ck_assert_uint_eq(q.after.recv_multishot_armed, q.before.recv_multishot_armed + 1);
	ck_assert_msg(q.fionread == 0, "FIONREAD %d: the bytes were not queued in the ring",
		      q.fionread);
	/* rn_run stopped the receive: the ring has every buffer back. */
	st = tu_engine_stats();
	ck_assert_uint_gt(st.bufs_total, 0);
	ck_assert_uint_eq(st.bufs_avail, st.bufs_total);
	/* A plain Read gets the queued bytes first, then what the peer sends next. */
	write_pattern(q.p.s, 8, RUN_FIRST + RUN_SECOND, RUN_THIRD);
	read_pattern(q.p.c, 8, &off, RUN_FIRST + RUN_SECOND + RUN_THIRD, 7000, NULL);
	ck_assert_uint_gt(tu_engine_stats().recv_oneshot, q.after.recv_oneshot);
	n0 = tu_count_fds();
	rn_conn_free(q.p.c);
	q.p.c = NULL;
	ck_assert_int_eq(tu_count_fds(), n0 - 1);
	errno = 0;
	ck_assert(fcntl(q.p.fd, F_GETFD) == -1 && errno == EBADF);
	rxp_free(&q.p);
}
END_TEST

/* ---- back-pressure -------------------------------------------------------------------------- */

enum {
	BP_OTHERS = 4,
	BP_OTHER_TOTAL = 512 * 1024,
	BP_LEASED_TOTAL = 8 << 20,
	BP_LOW = 8,	  /* "nearly dry": at most this many buffers left in the ring */
	BP_LEASES = 4096, /* far more than the ring holds */
	BP_LEASED_SEED = 100
};

struct bp {
	struct rxp leased;
	struct writer lw;
	struct rxp other[BP_OTHERS];
	struct writer ow[BP_OTHERS];
	size_t other_got[BP_OTHERS];
	rn_lease leases[BP_LEASES];
	int nleases;
	size_t leased_got;
	bool dry;
	_Atomic size_t dry_gate; /* the others' writers wait at their gate until this is SIZE_MAX */
	int others_done;
	rn_engine_stats before, at_dry, drained, after;
};

static struct bp g_bp;

/* Hold leases until the ring is nearly dry; once the others are done, release and drain. */
static void bp_leaser(void *arg)
{
	struct bp *b = arg;
	rn_engine_stats st = tu_engine_stats();
	char e[TU_ERRLEN];

	while (b->nleases < BP_LEASES) {
		rn_lease *l = &b->leases[b->nleases];
		ssize_t n = rn_conn_read_lease(b->leased.c, l);

		ck_assert_msg(n > 0, "lease %d at %zu: %zd (%s)", b->nleases, b->leased_got, n,
			      tu_err_text(NULL, e));
		pat_check(BP_LEASED_SEED, b->leased_got, l->data, l->len);
		b->leased_got += (size_t)n;
		b->nleases++;
		st = tu_engine_stats();
		if (st.bufs_avail <= BP_LOW)
			break;
	}
	ck_assert_msg(st.bufs_avail <= BP_LOW, "%d leases held, %u of %u buffers still in the ring",
		      b->nleases, st.bufs_avail, st.bufs_total);
	b->at_dry = st;
	b->dry = true;
	atomic_store(&b->dry_gate, SIZE_MAX);
	while (b->others_done < BP_OTHERS)
		rn_sleep(RN_MILLISECOND);
	for (int i = 0; i < b->nleases; i++)
		ck_assert_int_eq(rn_lease_release(&b->leases[i]), 0);
	read_pattern(b->leased.c, BP_LEASED_SEED, &b->leased_got, SIZE_MAX, READ_MAX, NULL);
	/* Every stream has ended, so no receive holds buffers: all are back in the ring. */
	b->drained = tu_engine_stats();
}

/* Another conn: arm while the ring is full, finish while it is dry. */
static void bp_other(void *arg)
{
	struct bp *b = &g_bp;
	int i = (int)(intptr_t)arg;

	read_pattern(b->other[i].c, (unsigned)i, &b->other_got[i], 1024, 1024, NULL);
	while (!b->dry)
		rn_sleep(RN_MILLISECOND);
	read_pattern(b->other[i].c, (unsigned)i, &b->other_got[i], SIZE_MAX, 3000, NULL);
	b->others_done++;
}

static void bp_again(void *arg)
{
	struct rxp *p = arg;
	char buf[8];

	ck_assert_int_eq(rn_conn_write(p->s, "again", 5), 5);
	ck_assert_int_eq(tu_read_full(p->c, buf, 5), 5);
	ck_assert_mem_eq(buf, "again", 5);
}

START_TEST(test_leases_drain_ring_no_loss)
{
	struct bp *b = &g_bp;
	struct rxp again;
	rn_engine_stats st;

	if (!need_multishot("test_leases_drain_ring_no_loss"))
		return;
	memset(b, 0, sizeof(*b));
	rxp_open(&b->leased);
	for (int i = 0; i < BP_OTHERS; i++)
		rxp_open(&b->other[i]);
	b->before = tu_engine_stats();
	for (int i = 0; i < BP_OTHERS; i++) {
		/* The others' first KiB arms their receives; the rest comes once the ring is dry. */
		b->ow[i].gate = 1024;
		b->ow[i].progress = &b->dry_gate;
		writer_start(&b->ow[i], b->other[i].s, (unsigned)i, BP_OTHER_TOTAL);
		tu_go(bp_other, (void *)(intptr_t)i);
	}
	writer_start(&b->lw, b->leased.s, BP_LEASED_SEED, BP_LEASED_TOTAL);
	tu_go(bp_leaser, b);
	tu_run();
	b->after = tu_engine_stats();
	writer_join(&b->lw);
	for (int i = 0; i < BP_OTHERS; i++) {
		writer_join(&b->ow[i]);
		ck_assert_msg(!b->ow[i].gate_timed_out, "conn %d: the ring never ran dry", i);
		ck_assert_msg(b->other_got[i] == BP_OTHER_TOTAL, "conn %d: %zu of %d bytes", i,
			      b->other_got[i], BP_OTHER_TOTAL);
	}
	ck_assert_uint_eq(b->leased_got, BP_LEASED_TOTAL);
	/* The dry ring showed: receives ended for want of buffers, or Reads received themselves. */
	ck_assert_msg(b->after.recv_multishot_nobufs + b->after.recv_oneshot >
			      b->before.recv_multishot_nobufs + b->before.recv_oneshot,
		      "nobufs %llu, oneshot %llu, as before the ring ran dry",
		      b->after.recv_multishot_nobufs, b->after.recv_oneshot);
	ck_assert_msg(b->drained.bufs_avail == b->drained.bufs_total,
		      "%u of %u buffers in the ring after the leases were released",
		      b->drained.bufs_avail, b->drained.bufs_total);
	ck_assert_uint_eq(b->after.bufs_avail, b->after.bufs_total);
	/* And the ring serves again: a new Read from a task arms. */
	rxp_open(&again);
	tu_go(bp_again, &again);
	tu_run();
	st = tu_engine_stats();
	ck_assert_uint_eq(st.recv_multishot_armed, b->after.recv_multishot_armed + 1);
	rxp_free(&again);
	rxp_free(&b->leased);
	for (int i = 0; i < BP_OTHERS; i++)
		rxp_free(&b->other[i]);
}
END_TEST

/* ---- a big stream --------------------------------------------------------------------------- */

struct big {
	struct rxp p;
	struct writer w;
	size_t got;
	rn_engine_stats before, after;
};

static void big_reader(void *arg)
{
	struct big *b = arg;
	uint64_t rng = 0x2545f4914f6cdd1dull;

	b->before = tu_engine_stats();
	read_pattern(b->p.c, 9, &b->got, SIZE_MAX, READ_MAX, &rng);
	b->after = tu_engine_stats();
}

START_TEST(test_big_stream_random_reads)
{
	static struct big b;

	if (!need_multishot("test_big_stream_random_reads"))
		return;
	memset(&b, 0, sizeof(b));
	rxp_open(&b.p);
	writer_start(&b.w, b.p.s, 9, BIG_STREAM);
	tu_go(big_reader, &b);
	tu_run();
	writer_join(&b.w);
	ck_assert_uint_eq(b.got, BIG_STREAM);
	ck_assert_uint_gt(b.after.recv_multishot_armed, b.before.recv_multishot_armed);
	rxp_free(&b.p);
}
END_TEST

/* ---- File ----------------------------------------------------------------------------------- */

struct file {
	struct rxp p;
	int fionread;
	int dup;
	char from_dup[32];
	ssize_t dup_n;
	char from_conn[32];
};

static void file_task(void *arg)
{
	struct file *f = arg;
	char c;

	ck_assert_int_eq(rn_conn_write(f->p.s, "first", 5), 5);
	ck_assert_int_eq(rn_conn_read(f->p.c, &c, 1), 1); /* arms; "irst" stays queued */
	ck_assert_int_eq(c, 'f');
	ck_assert_int_eq(rn_conn_write(f->p.s, "QUEUED", 6), 6);
	f->fionread = tu_wait_socket_drained(f->p.fd);
	f->dup = -1;
	if (f->fionread != 0)
		return; /* nothing queued ahead: what follows would wait for ever */
	f->dup = rn_conn_file(f->p.c);
	if (f->dup < 0)
		return;
	ck_assert_int_eq(rn_conn_write(f->p.s, "AFTER-FILE", 10), 10);
	/* The bytes are on loopback already: this poll does not hold the thread. */
	{
		struct pollfd pfd = { .fd = f->dup, .events = POLLIN };

		ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
	}
	f->dup_n = read(f->dup, f->from_dup, sizeof(f->from_dup) - 1);
	ck_assert_int_eq(tu_read_full(f->p.c, f->from_conn, 10), 10);
}

START_TEST(test_file_splits_queued_and_later_bytes)
{
	struct file f;
	char e[TU_ERRLEN];

	if (!need_multishot("test_file_splits_queued_and_later_bytes"))
		return;
	memset(&f, 0, sizeof(f));
	rxp_open(&f.p);
	tu_go(file_task, &f);
	tu_run();
	ck_assert_msg(f.fionread == 0, "FIONREAD %d before File: nothing was queued", f.fionread);
	ck_assert_msg(f.dup >= 0, "rn_conn_file: %d (%s)", f.dup, tu_err_text(NULL, e));
	ck_assert_msg(f.dup_n == 10 && memcmp(f.from_dup, "AFTER-FILE", 10) == 0,
		      "read(2) on the duplicate: %zd \"%s\"", f.dup_n, f.from_dup);
	ck_assert_str_eq(f.from_conn, "irstQUEUED");
	close(f.dup);
	rxp_free(&f.p);
}
END_TEST

/* ---- Free from another thread --------------------------------------------------------------- */

struct freeing {
	struct rxp p;
	rn_engine_stats before, after, later;
	_Atomic bool freed;
};

static struct freeing g_free;

static void free_arm_task(void *arg)
{
	struct freeing *fr = arg;
	char c;

	fr->before = tu_engine_stats();
	ck_assert_int_eq(rn_conn_write(fr->p.s, "abcdef", 6), 6);
	ck_assert_int_eq(rn_conn_read(fr->p.c, &c, 1), 1); /* arms; "bcdef" stays queued */
	ck_assert_int_eq(tu_wait_socket_drained(fr->p.fd), 0);
	fr->after = tu_engine_stats();
}

static void free_check_task(void *arg)
{
	struct freeing *fr = arg;

	fr->later = tu_engine_stats();
}

static void *free_from_thread(void *arg)
{
	struct freeing *fr = arg;

	rn_conn_free(fr->p.c);
	atomic_store(&fr->freed, true);
	return NULL;
}

START_TEST(test_free_from_thread_while_armed_elsewhere)
{
	struct freeing *fr = &g_free;
	struct timespec until;
	rn_runtime *rt;
	pthread_t t;
	int n0, rc;

	if (!need_multishot("test_free_from_thread_while_armed_elsewhere"))
		return;
	memset(fr, 0, sizeof(*fr));
	rt = new_runtime(1);
	rxp_open(&fr->p);
	ck_assert_int_eq(rn_go_on(rt, 0, free_arm_task, fr), 0);
	ck_assert_int_eq(rn_runtime_wait(rt), 0);
	ck_assert_uint_eq(fr->after.recv_multishot_armed, fr->before.recv_multishot_armed + 1);
	n0 = tu_count_fds();
	t = tu_thread_start(free_from_thread, fr);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	rc = pthread_timedjoin_np(t, NULL, &until);
	ck_assert_msg(rc == 0, "rn_conn_free still blocked after 5 s (%s)", strerror(rc));
	ck_assert(atomic_load(&fr->freed));
	fr->p.c = NULL;
	ck_assert_int_eq(tu_count_fds(), n0 - 1);
	/* The runtime thread still runs, and its ring has every buffer back. */
	ck_assert_int_eq(rn_go_on(rt, 0, free_check_task, fr), 0);
	ck_assert_int_eq(rn_runtime_wait(rt), 0);
	ck_assert_uint_eq(fr->later.bufs_avail, fr->later.bufs_total);
	rxp_free(&fr->p);
	rn_runtime_free(rt);
}
END_TEST

/* ---- suite ---------------------------------------------------------------------------------- */

static Suite *rx_suite(void)
{
	Suite *s = suite_create("rx");
	TCase *tc;

	tc = tu_engine_tcase("arming");
	tcase_add_test(tc, test_task_reads_arm_once_per_conn);
	tcase_add_test(tc, test_task_receives_ahead_of_read);
	tcase_add_test(tc, test_passed_deadline_fails_even_with_bytes_queued);
	tcase_add_test(tc, test_plain_thread_does_not_receive_ahead);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("wakeups");
	tcase_add_test(tc, test_deadline_fires_while_parked_then_no_loss);
	tcase_add_test(tc, test_deadline_races_lose_nothing);
	tcase_add_test(tc, test_deadline_moved_later_while_parked);
	tcase_add_test(tc, test_deadline_cleared_while_parked);
	tcase_add_test(tc, test_deadline_set_while_parked);
	tcase_add_test(tc, test_close_from_thread_wakes_parked_read);
	tcase_add_test(tc, test_close_from_task_wakes_parked_read);
	tcase_add_test(tc, test_close_write_reads_all_then_eof);
	tcase_add_test(tc, test_peer_reset_reaches_parked_read);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("moving");
	tcase_add_test(tc, test_migrate_to_plain_thread);
	tcase_add_test(tc, test_migrate_to_another_runtime_thread);
	tcase_add_test(tc, test_run_returning_keeps_queued_bytes);
	tcase_add_test(tc, test_file_splits_queued_and_later_bytes);
	tcase_add_test(tc, test_free_from_thread_while_armed_elsewhere);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("volume");
	tcase_add_test(tc, test_leases_drain_ring_no_loss);
	tcase_add_test(tc, test_big_stream_random_reads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(rx_suite());
}
