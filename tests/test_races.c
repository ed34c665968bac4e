/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_races.c - fault injection and race stress: Close racing Reads
 * that are completing, deadlines racing completions, deadlines moved under
 * blocked calls, peer resets, Accept racing listener Close, concurrent
 * Writers with Close in the middle, thread churn, and UDP.
 *
 * Every round is seeded (RN_RACE_SEED overrides the seed; it is printed in
 * every failure) and bounded in iterations and time (RN_RACE_BUDGET_MS per
 * test, default 1000).  Only outcomes the semantics guarantee are asserted:
 * no assertion depends on how long something took, except where a test
 * checks that an earlier (overridden) deadline cannot have fired and then
 * only when the move sequence itself ran without a long stall.  Loopback
 * and abstract Unix sockets only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

/* ---- helpers --------------------------------------------------------------- */

static uint64_t seed_base(void)
{
	const char *s = getenv("RN_RACE_SEED");

	return s && *s ? strtoull(s, NULL, 0) : 0x5eed0f7ace5ULL;
}

static int64_t budget_ns(void)
{
	const char *s = getenv("RN_RACE_BUDGET_MS");
	long ms = s && *s ? atol(s) : 1000;

	return (int64_t)(ms > 0 ? ms : 1000) * RN_MILLISECOND;
}

typedef struct {
	uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* A number in [lo, hi]. */
static uint64_t rnd_in(rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rnd(r) % (hi - lo + 1);
}

/* The byte at offset @o of a test stream: a gap or a repeat shows at once. */
static uint8_t pat(uint64_t o)
{
	return (uint8_t)((o * 0x9E3779B97F4A7C15ULL) >> 56);
}

static void fill_pat(uint8_t *b, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pat(off + i);
}

/* Index of the first byte of @b that is not the stream at @off, or -1. */
static ssize_t check_pat(const uint8_t *b, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != pat(off + i))
			return (ssize_t)i;
	return -1;
}

static void sleep_ns(int64_t ns)
{
	struct timespec ts = { ns / 1000000000, ns % 1000000000 };

	if (ns > 0)
		nanosleep(&ts, NULL);
}

/* Wait a random short while: nothing, a yield, a spin, or a sleep. */
static void jitter(rng *r, int64_t max_ns)
{
	switch (rnd(r) % 4) {
	case 0:
		break;
	case 1:
		sched_yield();
		break;
	case 2: {
		int64_t until = rn_now() + (int64_t)rnd_in(r, 0, (uint64_t)max_ns);

		while (rn_now() < until)
			;
		break;
	}
	default:
		sleep_ns((int64_t)rnd_in(r, 0, (uint64_t)max_ns));
	}
}

/* The first failure seen by any thread; the main thread asserts on it. */
static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool failed;
static char fail_text[1024];
static uint64_t cur_seed;
static atomic_int cur_round;

__attribute__((format(printf, 1, 2))) static void flag_fail(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&fail_mu);
	if (!atomic_load(&failed)) {
		va_start(ap, fmt);
		vsnprintf(fail_text, sizeof(fail_text), fmt, ap);
		va_end(ap);
		atomic_store(&failed, true);
	}
	pthread_mutex_unlock(&fail_mu);
}

static void check_failed(void)
{
	ck_assert_msg(!atomic_load(&failed), "seed %#" PRIx64 " round %d: %s", cur_seed,
		      atomic_load(&cur_round), fail_text);
}

static void start_test(uint64_t salt)
{
	atomic_store(&failed, false);
	fail_text[0] = '\0';
	cur_seed = seed_base() ^ (salt * 0x100000001B3ULL);
}

static const char *errtext(void)
{
	static _Thread_local char buf[512];

	rn_error_string(NULL, buf, sizeof(buf));
	return buf;
}

/* Join @t, failing the test (not hanging) if it has not ended within @secs. */
static void join_within(pthread_t t, int secs, const char *what)
{
	struct timespec ts;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	rc = pthread_timedjoin_np(t, NULL, &ts);
	ck_assert_msg(rc == 0, "seed %#" PRIx64 ": hang: %s did not end within %d s (%s)",
		      cur_seed, what, secs, fail_text[0] ? fail_text : "no failure recorded");
}

static unsigned name_seq;

/* A listener on @network: "tcp" (127.0.0.1), "tcp6" ([::1]) or "unix" (abstract). */
static rn_listener *listen_on(const char *network, char *addr, size_t n)
{
	rn_listener *l;
	rn_addr a;

	if (!strcmp(network, "unix")) {
		snprintf(addr, n, "@ringnet-races-%d-%u", (int)getpid(), name_seq++);
		l = rn_listen("unix", addr);
	} else {
		l = rn_listen(network, !strcmp(network, "tcp6") ? "[::1]:0" : "127.0.0.1:0");
	}
	ck_assert_msg(l != NULL, "listen %s: %s", network, errtext());
	a = rn_listener_addr(l);
	rn_addr_string(&a, addr, n);
	return l;
}

struct pair {
	rn_listener *l;
	rn_conn *a, *b; /* a dialed, b accepted */
	char addr[128];
};

static void pair_open(struct pair *p, const char *network)
{
	p->l = listen_on(network, p->addr, sizeof(p->addr));
	p->a = rn_dial(network, p->addr);
	ck_assert_msg(p->a != NULL, "dial %s: %s", p->addr, errtext());
	p->b = rn_listener_accept(p->l);
	ck_assert_msg(p->b != NULL, "accept: %s", errtext());
}

static void pair_free(struct pair *p)
{
	rn_conn_free(p->a);
	rn_conn_free(p->b);
	rn_listener_free(p->l);
}

static bool is_closed_error(ssize_t r)
{
	return r == RN_ECLOSED && rn_last_error()->code == RN_ECLOSED &&
	       strstr(errtext(), "use of closed network connection") != NULL;
}

/* ---- Close racing a Read that is completing -------------------------------- */

struct streamer {
	rn_conn *c;
	rng r;
	atomic_bool stop;
	uint64_t sent;
};

/* Write the pattern stream until an error or stop. */
static void *stream_writer(void *arg)
{
	struct streamer *s = arg;
	size_t cap = 64 * 1024;
	uint8_t *buf = malloc(cap);

	while (!atomic_load(&s->stop)) {
		size_t n = (size_t)rnd_in(&s->r, 1, cap);
		ssize_t w;

		fill_pat(buf, n, s->sent);
		w = rn_conn_write(s->c, buf, n);
		if (w > 0)
			s->sent += (uint64_t)w;
		if (w < 0 || (size_t)w < n) {
			int code = rn_last_error()->code;

			if (code != RN_ECLOSED && code != -ECONNRESET && code != -EPIPE)
				flag_fail("writer: unexpected error %d after %zd of %zu: %s", code, w, n,
				     errtext());
			break;
		}
	}
	free(buf);
	return NULL;
}

struct closer_reader {
	rn_conn *c;
	bool lease;
	uint64_t got;
	int reads;
	atomic_bool running;
};

static void *close_reader(void *arg)
{
	struct closer_reader *cr = arg;
	uint8_t buf[24 * 1024];

	atomic_store(&cr->running, true);
	for (;;) {
		rn_lease l;
		const uint8_t *data = buf;
		ssize_t r, bad;

		if (cr->lease) {
			r = rn_conn_read_lease(cr->c, &l);
			data = l.data;
		} else {
			r = rn_conn_read(cr->c, buf, sizeof(buf));
		}
		if (r > 0) {
			bad = check_pat(data, (size_t)r, cr->got);
			if (bad >= 0)
				flag_fail("read %d (%s) returned %zd bytes; byte %zd (stream offset %" PRIu64
				     ") is %#x, want %#x: lost or repeated data",
				     cr->reads, cr->lease ? "lease" : "copy", r, bad,
				     cr->got + (uint64_t)bad, data[bad], pat(cr->got + (uint64_t)bad));
			cr->got += (uint64_t)r;
			cr->reads++;
			if (cr->lease && rn_lease_release(&l) != 0)
				flag_fail("lease release: %s", errtext());
			if (bad >= 0)
				break;
			continue;
		}
		if (r == 0)
			flag_fail("read returned end of stream; the peer never closed");
		else if (!is_closed_error(r))
			flag_fail("read after %" PRIu64 " bytes: got %zd (%s), want RN_ECLOSED", cr->got, r,
			     errtext());
		else if ((r = rn_conn_read(cr->c, buf, 1)) != RN_ECLOSED)
			flag_fail("read after RN_ECLOSED: %zd (%s)", r, errtext());
		break;
	}
	return NULL;
}

static void close_vs_read(const char *network, bool lease, uint64_t salt)
{
	int64_t end = rn_now() + budget_ns();
	int rounds = 0;

	start_test(salt);
	for (; rounds < 3000 && (rounds < 20 || rn_now() < end) && !atomic_load(&failed); rounds++) {
		atomic_store(&cur_round, rounds);
		rng r = { cur_seed + (uint64_t)rounds };
		struct pair p;
		struct streamer s = { .r = { rnd(&r) } };
		struct closer_reader cr = { .lease = lease && (rounds & 1) };
		pthread_t wt, rt;

		pair_open(&p, network);
		s.c = p.a;
		cr.c = p.b;
		ck_assert_int_eq(pthread_create(&wt, NULL, stream_writer, &s), 0);
		ck_assert_int_eq(pthread_create(&rt, NULL, close_reader, &cr), 0);
		/* Close at a random moment: before the first Read, while one is
		 * blocked, or while one is completing. */
		if (rnd(&r) % 4)
			while (!atomic_load(&cr.running))
				sched_yield();
		jitter(&r, 300 * RN_MICROSECOND);
		ck_assert_int_eq(rn_conn_close(p.b), 0);
		join_within(rt, 20, "a Read racing Close");
		atomic_store(&s.stop, true);
		/* The writer ends on the reset from b's close, or now on ours. */
		ck_assert_int_eq(rn_conn_close(p.a), 0);
		join_within(wt, 20, "a Write on a conn closed by its own thread's peer");
		pair_free(&p);
	}
	check_failed();
	ck_assert_int_gt(rounds, 0);
}

START_TEST(test_close_races_tcp_read)
{
	close_vs_read("tcp", false, 1);
}
END_TEST

START_TEST(test_close_races_tcp_read_lease)
{
	close_vs_read("tcp", true, 2);
}
END_TEST

START_TEST(test_close_races_unix_read)
{
	close_vs_read("unix", false, 3);
}
END_TEST

/* ---- deadlines racing completions ------------------------------------------ */

enum { FLOW_TOTAL = 1024 * 1024 };

struct flow {
	rn_conn *w, *r;		/* writer's and reader's ends */
	rng wr, rr, sr;
	bool read_deadlines;	/* the reader sets its own deadline before each Read */
	bool write_deadlines;	/* the writer sets its own before each Write */
	bool setter_reads;	/* the setter thread moves the read (else the write) deadline */
	atomic_bool done;	/* the reader has finished: stops the setter */
	uint64_t got, timeouts, wtimeouts;
	int64_t limit;		/* give up (fail) at this time */
};

static void *flow_writer(void *arg)
{
	struct flow *f = arg;
	uint8_t *buf = malloc(16 * 1024);
	uint64_t off = 0;

	while (off < FLOW_TOTAL && !atomic_load(&failed)) {
		size_t n = (size_t)rnd_in(&f->wr, 1, 16 * 1024);
		ssize_t w;

		if (n > FLOW_TOTAL - off)
			n = (size_t)(FLOW_TOTAL - off);
		fill_pat(buf, n, off);
		if (f->write_deadlines)
			rn_conn_set_write_deadline(
				f->w, rn_now() + (int64_t)rnd_in(&f->wr, 0, 200) * RN_MICROSECOND);
		w = rn_conn_write(f->w, buf, n);
		if (w > 0)
			off += (uint64_t)w; /* the rest goes again: it was not sent */
		if (w < 0 || (size_t)w < n) {
			if (rn_last_error()->code != RN_ETIMEOUT || !rn_error_timeout(NULL)) {
				flag_fail("write at %" PRIu64 ": %zd (%s), want all or RN_ETIMEOUT", off, w,
				     errtext());
				break;
			}
			f->wtimeouts++;
		}
		if (rn_now() > f->limit) {
			flag_fail("writer: not done in time at %" PRIu64, off);
			break;
		}
		if (rnd(&f->wr) % 8 == 0)
			jitter(&f->wr, 100 * RN_MICROSECOND);
	}
	free(buf);
	rn_conn_set_write_deadline(f->w, 0);
	rn_conn_close(f->w); /* the reader sees the end of the stream */
	return NULL;
}

static void *flow_reader(void *arg)
{
	struct flow *f = arg;
	uint8_t buf[32 * 1024];

	while (!atomic_load(&failed)) {
		size_t n = (size_t)rnd_in(&f->rr, 1, sizeof(buf));
		ssize_t r, bad;

		if (f->read_deadlines)
			rn_conn_set_read_deadline(
				f->r, rn_now() + (int64_t)rnd_in(&f->rr, 0, 200) * RN_MICROSECOND);
		r = rn_conn_read(f->r, buf, n);
		if (r > 0) {
			bad = check_pat(buf, (size_t)r, f->got);
			if (bad >= 0) {
				flag_fail("read of %zd at %" PRIu64 " (after %" PRIu64
				     " timeouts): byte %zd is %#x, want %#x: data lost or repeated",
				     r, f->got, f->timeouts, bad, buf[bad], pat(f->got + (uint64_t)bad));
				break;
			}
			f->got += (uint64_t)r;
			continue;
		}
		if (r == 0) {
			if (f->got != FLOW_TOTAL)
				flag_fail("end of stream after %" PRIu64 " of %d bytes", f->got, FLOW_TOTAL);
			break;
		}
		if (r != RN_ETIMEOUT || rn_last_error()->code != RN_ETIMEOUT || !rn_error_timeout(NULL) ||
		    !strstr(errtext(), "i/o timeout")) {
			flag_fail("read at %" PRIu64 ": %zd (%s), want data or RN_ETIMEOUT", f->got, r,
			     errtext());
			break;
		}
		f->timeouts++;
		if (rn_now() > f->limit) {
			flag_fail("reader: not done in time at %" PRIu64 " of %d bytes", f->got, FLOW_TOTAL);
			break;
		}
	}
	atomic_store(&f->done, true);
	return NULL;
}

/* Another thread moves the deadline around the calls: now + 0..200 us. */
static void *flow_setter(void *arg)
{
	struct flow *f = arg;

	while (!atomic_load(&f->done)) {
		rn_time t = rn_now() + (int64_t)rnd_in(&f->sr, 0, 200) * RN_MICROSECOND;

		if (f->setter_reads)
			rn_conn_set_read_deadline(f->r, t);
		else
			rn_conn_set_write_deadline(f->w, t);
		jitter(&f->sr, 150 * RN_MICROSECOND);
	}
	return NULL;
}

/*
 * @who: 0 the reader sets its own read deadlines, 1 another thread sets the
 * read deadline, 2 the writer sets its own write deadlines, 3 another thread
 * sets the write deadline.
 */
static void deadline_flow(const char *network, int who, uint64_t salt)
{
	int64_t end = rn_now() + budget_ns();
	int rounds = 0;

	start_test(salt);
	for (; rounds < 50 && (rounds < 1 || rn_now() < end) && !atomic_load(&failed); rounds++) {
		atomic_store(&cur_round, rounds);
		struct pair p;
		struct flow f = {
			.wr = { cur_seed + 3 * (uint64_t)rounds },
			.rr = { cur_seed + 3 * (uint64_t)rounds + 1 },
			.sr = { cur_seed + 3 * (uint64_t)rounds + 2 },
			.read_deadlines = who == 0,
			.write_deadlines = who == 2,
			.setter_reads = who == 1,
			.limit = rn_now() + 30 * RN_SECOND,
		};
		pthread_t wt, rt, st;

		pair_open(&p, network);
		f.w = p.a;
		f.r = p.b;
		if (who == 3) {
			/* Small buffers, so Writes block and the deadline reaches them. */
			rn_tcpconn_set_write_buffer(p.a, 8192);
			rn_tcpconn_set_read_buffer(p.b, 8192);
		}
		ck_assert_int_eq(pthread_create(&rt, NULL, flow_reader, &f), 0);
		ck_assert_int_eq(pthread_create(&wt, NULL, flow_writer, &f), 0);
		if (who == 1 || who == 3)
			ck_assert_int_eq(pthread_create(&st, NULL, flow_setter, &f), 0);
		join_within(wt, 40, "the writer under racing deadlines");
		join_within(rt, 40, "the reader under racing deadlines");
		if (who == 1 || who == 3)
			join_within(st, 10, "the deadline setter");
		if (!atomic_load(&failed))
			ck_assert_uint_eq(f.got, FLOW_TOTAL);
		pair_free(&p);
	}
	check_failed();
}

START_TEST(test_read_deadline_races_completion_self)
{
	deadline_flow("tcp", 0, 10);
}
END_TEST

START_TEST(test_read_deadline_races_completion_other_thread)
{
	deadline_flow("tcp", 1, 11);
}
END_TEST

START_TEST(test_write_deadline_races_completion_self)
{
	deadline_flow("tcp", 2, 12);
}
END_TEST

START_TEST(test_write_deadline_races_completion_other_thread)
{
	deadline_flow("tcp", 3, 13);
}
END_TEST

START_TEST(test_read_deadline_races_completion_unix)
{
	deadline_flow("unix", 0, 14);
}
END_TEST

/* ---- a deadline moved under a blocked call ---------------------------------- */

enum { MOVE_READ, MOVE_WRITE, MOVE_ACCEPT };
enum { FINAL_FAR, FINAL_CLEAR, FINAL_NEAR, FINAL_PAST };

struct blocked {
	int kind;
	struct pair *p;
	const uint8_t *wbuf;
	size_t wn;
	ssize_t res;
	int code;
	char text[256];
	rn_time ended;
	atomic_bool started, finished;
};

static void *blocked_call(void *arg)
{
	struct blocked *b = arg;
	uint8_t buf[64];

	atomic_store(&b->started, true);
	if (b->kind == MOVE_READ) {
		b->res = rn_conn_read(b->p->b, buf, sizeof(buf));
	} else if (b->kind == MOVE_WRITE) {
		b->res = rn_conn_write(b->p->a, b->wbuf, b->wn);
	} else {
		rn_conn *c = rn_listener_accept(b->p->l);

		b->res = c ? 1 : rn_last_error()->code;
		rn_conn_free(c);
	}
	b->ended = rn_now();
	b->code = rn_last_error()->code;
	rn_error_string(NULL, b->text, sizeof(b->text));
	atomic_store(&b->finished, true);
	return NULL;
}

static void set_dl(struct pair *p, int kind, rn_time t)
{
	int rc = kind == MOVE_READ ? rn_conn_set_read_deadline(p->b, t)
		 : kind == MOVE_WRITE ? rn_conn_set_write_deadline(p->a, t)
				      : rn_listener_set_deadline(p->l, t);

	ck_assert_int_eq(rc, 0);
}

/* Fill a's send buffer and b's receive buffer; returns the bytes written. */
static size_t fill_pipe(struct pair *p, uint8_t *buf, size_t n)
{
	size_t total = 0;

	rn_tcpconn_set_write_buffer(p->a, 4096);
	rn_tcpconn_set_read_buffer(p->b, 4096);
	for (int i = 0; i < 1000; i++) {
		ssize_t w;

		rn_conn_set_write_deadline(p->a, rn_now() + 20 * RN_MILLISECOND);
		w = rn_conn_write(p->a, buf, n);
		if (w > 0)
			total += (size_t)w;
		if (w < (ssize_t)n) {
			ck_assert_int_eq(rn_last_error()->code, RN_ETIMEOUT);
			break;
		}
	}
	rn_conn_set_write_deadline(p->a, 0);
	return total;
}

static void drain(rn_conn *c, size_t want)
{
	uint8_t buf[16 * 1024];
	size_t got = 0;

	rn_conn_set_read_deadline(c, rn_now() + 20 * RN_SECOND);
	while (got < want) {
		ssize_t r = rn_conn_read(c, buf, sizeof(buf));

		ck_assert_msg(r > 0, "drain: %zd (%s) after %zu of %zu", r, errtext(), got, want);
		got += (size_t)r;
	}
	rn_conn_set_read_deadline(c, 0);
}

static void deadline_moved(int kind, uint64_t salt)
{
	static uint8_t big[256 * 1024];
	int64_t end = rn_now() + budget_ns();
	int rounds = 0, inconclusive = 0;

	start_test(salt);
	for (; rounds < 200 && (rounds < 8 || rn_now() < end); rounds++) {
		atomic_store(&cur_round, rounds);
		rng r = { cur_seed + (uint64_t)rounds };
		int final = rounds < 4 ? rounds : (int)(rnd(&r) % 4);
		int moves = (int)rnd_in(&r, 1, 150);
		struct blocked b = { .kind = kind, .wbuf = big, .wn = 16384 };
		struct pair p;
		size_t prefilled = 0;
		rn_time last = 0, prev, final_t = 0;
		int64_t max_gap = 0;
		bool stalled = false;
		pthread_t t;

		b.p = &p;
		pair_open(&p, "tcp");
		if (kind == MOVE_WRITE)
			prefilled = fill_pipe(&p, big, 65536);
		/* Start with some deadline that would fire mid-sequence if not moved. */
		prev = rn_now();
		set_dl(&p, kind, prev + 200 * RN_MILLISECOND);
		ck_assert_int_eq(pthread_create(&t, NULL, blocked_call, &b), 0);
		if (rnd(&r) % 4)
			while (!atomic_load(&b.started))
				sched_yield();
		for (int i = 0; i < moves; i++) {
			/* Later, earlier, or cleared: never one that fires in the sequence. */
			int64_t off = (int64_t)rnd_in(&r, 100, 250) * RN_MILLISECOND;
			rn_time now = rn_now(), t2 = rnd(&r) % 5 == 0 ? 0 : now + off;

			if (now - prev > max_gap)
				max_gap = now - prev;
			set_dl(&p, kind, t2);
			prev = now;
			if (rnd(&r) % 3 == 0)
				jitter(&r, 50 * RN_MICROSECOND);
		}
		last = rn_now();
		if (last - prev > max_gap)
			max_gap = last - prev;
		switch (final) {
		case FINAL_FAR:
			final_t = last + 60 * RN_SECOND;
			break;
		case FINAL_CLEAR:
			final_t = 0;
			break;
		case FINAL_NEAR:
			final_t = last + (int64_t)rnd_in(&r, 0, 5000) * RN_MICROSECOND;
			break;
		default:
			final_t = last - RN_MILLISECOND;
		}
		set_dl(&p, kind, final_t);
		if (final == FINAL_FAR || final == FINAL_CLEAR) {
			/* Past every deadline set before the last one: none may fire. */
			sleep_ns(300 * RN_MILLISECOND);
			if (atomic_load(&b.finished)) {
				if (max_gap >= 80 * RN_MILLISECOND) {
					inconclusive++; /* a stall let an intermediate deadline fire */
					stalled = true;
				} else {
					ck_abort_msg("seed %#" PRIx64 " round %d kind %d: the call ended (%zd, %s) "
						     "although its last deadline was %s, set after %d moves",
						     cur_seed, rounds, kind, b.res, b.text,
						     final == FINAL_FAR ? "a minute away" : "cleared", moves);
				}
			}
			/* Now let it complete. */
			if (kind == MOVE_READ) {
				ck_assert_int_eq(rn_conn_write(p.a, "x", 1), 1);
			} else if (kind == MOVE_WRITE) {
				if (!atomic_load(&b.finished))
					drain(p.b, prefilled + b.wn);
			} else {
				rn_conn *c = rn_dial("tcp", p.addr);

				ck_assert_msg(c != NULL, "dial: %s", errtext());
				join_within(t, 20, "an Accept with a moved deadline");
				rn_conn_free(c);
			}
			if (kind != MOVE_ACCEPT)
				join_within(t, 20, "a call with a moved deadline");
			if (!stalled || b.res > 0) {
				ck_assert_msg(kind == MOVE_WRITE ? b.res == (ssize_t)b.wn : b.res == 1,
					      "seed %#" PRIx64 " round %d kind %d final %d: got %zd (%s)",
					      cur_seed, rounds, kind, final, b.res, b.text);
			}
		} else {
			join_within(t, 20, "a call whose deadline was moved to the near future");
			ck_assert_msg(b.code == RN_ETIMEOUT &&
					      (b.res == RN_ETIMEOUT || (kind == MOVE_WRITE && b.res >= 0)),
				      "seed %#" PRIx64 " round %d kind %d final %d: got %zd (%s), want "
				      "RN_ETIMEOUT",
				      cur_seed, rounds, kind, final, b.res, b.text);
			ck_assert_msg(b.ended >= final_t,
				      "seed %#" PRIx64 " round %d: timed out %" PRId64
				      " ns before the deadline",
				      cur_seed, rounds, final_t - b.ended);
		}
		pair_free(&p);
	}
	ck_assert_msg(inconclusive < rounds, "every round was inconclusive");
}

START_TEST(test_read_deadline_moved_under_blocked_read)
{
	deadline_moved(MOVE_READ, 20);
}
END_TEST

START_TEST(test_write_deadline_moved_under_blocked_write)
{
	deadline_moved(MOVE_WRITE, 21);
}
END_TEST

START_TEST(test_listener_deadline_moved_under_blocked_accept)
{
	deadline_moved(MOVE_ACCEPT, 22);
}
END_TEST

/* ---- peer resets ------------------------------------------------------------ */

struct reset_io {
	rn_conn *c;
	rng r;
	bool writer;
	bool closable;		/* we may close c ourselves: RN_ECLOSED is allowed */
	atomic_bool stop;
};

static void *reset_io_thread(void *arg)
{
	struct reset_io *io = arg;
	uint8_t buf[32 * 1024];

	memset(buf, 'r', sizeof(buf));
	while (!atomic_load(&io->stop)) {
		size_t n = (size_t)rnd_in(&io->r, 1, sizeof(buf));
		ssize_t k = io->writer ? rn_conn_write(io->c, buf, n) : rn_conn_read(io->c, buf, n);
		const char *want;
		int code;

		if (k > 0 && (!io->writer || (size_t)k == n))
			continue;
		if (k == 0 && !io->writer)
			break; /* the reset was taken by a Write: io.EOF, as in Go */
		code = rn_last_error()->code;
		if (code == RN_ECLOSED && io->closable && is_closed_error(RN_ECLOSED))
			break;
		want = code == -ECONNRESET ? (io->writer ? "write: connection reset by peer"
							  : "read: connection reset by peer")
		       : code == -EPIPE && io->writer ? "write: broken pipe"
						      : NULL;
		if (!want || !strstr(errtext(), want))
			flag_fail("%s after a peer reset: %zd, code %d (%s)", io->writer ? "write" : "read", k,
			     code, errtext());
		if (k > 0 && rn_last_error()->code == 0)
			flag_fail("short write %zd of %zu with no error", k, n);
		break;
	}
	return NULL;
}

START_TEST(test_peer_reset_races_reads_and_writes)
{
	int64_t end = rn_now() + budget_ns();
	int rounds = 0;

	start_test(30);
	for (; rounds < 1000 && (rounds < 20 || rn_now() < end) && !atomic_load(&failed); rounds++) {
		atomic_store(&cur_round, rounds);
		rng r = { cur_seed + (uint64_t)rounds };
		bool also_close = rounds % 3 == 2;
		struct pair p;
		struct reset_io rd = { .r = { rnd(&r) }, .writer = false, .closable = also_close };
		struct reset_io wr = { .r = { rnd(&r) }, .writer = true, .closable = also_close };
		struct reset_io peer = { .r = { rnd(&r) }, .writer = true, .closable = true };
		pthread_t rt, wt, pt;

		pair_open(&p, "tcp");
		rd.c = wr.c = p.a;
		peer.c = p.b;
		ck_assert_int_eq(pthread_create(&rt, NULL, reset_io_thread, &rd), 0);
		ck_assert_int_eq(pthread_create(&wt, NULL, reset_io_thread, &wr), 0);
		ck_assert_int_eq(pthread_create(&pt, NULL, reset_io_thread, &peer), 0);
		jitter(&r, 400 * RN_MICROSECOND);
		/* The peer resets: SO_LINGER 0 and Close (with its own Write in flight). */
		ck_assert_int_eq(rn_tcpconn_set_linger(p.b, 0), 0);
		ck_assert_int_eq(rn_conn_close(p.b), 0);
		if (also_close) {
			jitter(&r, 100 * RN_MICROSECOND);
			ck_assert_int_eq(rn_conn_close(p.a), 0);
		}
		join_within(pt, 20, "a Write on the resetting end");
		join_within(rt, 20, "a Read racing a peer reset");
		join_within(wt, 20, "a Write racing a peer reset");
		pair_free(&p);
	}
	check_failed();
}
END_TEST

/* ---- Accept racing listener Close ------------------------------------------- */

struct acceptor {
	rn_listener *l;
	int accepted;
	bool deadlines;		/* random deadlines; stop after want conns */
	rng r;
	int want;
	uint8_t seen[64];
};

static void *accept_until_closed(void *arg)
{
	struct acceptor *a = arg;

	for (;;) {
		rn_conn *c = rn_listener_accept(a->l);

		if (!c) {
			if (!is_closed_error(RN_ECLOSED) || rn_last_error()->code != RN_ECLOSED)
				flag_fail("accept: %s, want a conn or RN_ECLOSED", errtext());
			break;
		}
		a->accepted++;
		rn_conn_free(c);
	}
	return NULL;
}

struct dialer {
	const char *addr;
	atomic_bool stop;
	int ok;
};

static void *dial_until_stopped(void *arg)
{
	struct dialer *d = arg;

	for (int i = 0; i < 100000 && !atomic_load(&d->stop); i++) {
		rn_conn *c = rn_dial("tcp", d->addr);

		if (c)
			d->ok++;
		rn_conn_free(c); /* refused once the listener is gone: fine */
	}
	return NULL;
}

START_TEST(test_accept_races_listener_close)
{
	int64_t end = rn_now() + budget_ns();
	int rounds = 0;

	start_test(40);
	for (; rounds < 1000 && (rounds < 20 || rn_now() < end) && !atomic_load(&failed); rounds++) {
		atomic_store(&cur_round, rounds);
		rng r = { cur_seed + (uint64_t)rounds };
		struct acceptor acc[3];
		struct dialer d;
		char addr[128];
		rn_listener *l = listen_on("tcp", addr, sizeof(addr));
		pthread_t at[3], dt;

		memset(&d, 0, sizeof(d));
		d.addr = addr;
		for (int i = 0; i < 3; i++) {
			memset(&acc[i], 0, sizeof(acc[i]));
			acc[i].l = l;
			ck_assert_int_eq(pthread_create(&at[i], NULL, accept_until_closed, &acc[i]), 0);
		}
		ck_assert_int_eq(pthread_create(&dt, NULL, dial_until_stopped, &d), 0);
		jitter(&r, 500 * RN_MICROSECOND);
		ck_assert_int_eq(rn_listener_close(l), 0);
		for (int i = 0; i < 3; i++)
			join_within(at[i], 20, "an Accept racing listener Close");
		atomic_store(&d.stop, true);
		join_within(dt, 20, "the dialer");
		ck_assert_int_eq(rn_listener_close(l), RN_ECLOSED);
		rn_listener_free(l);
	}
	check_failed();
}
END_TEST

static void *accept_with_deadlines(void *arg)
{
	struct acceptor *a = arg;
	int64_t limit = rn_now() + 30 * RN_SECOND;

	while (a->accepted < a->want && rn_now() < limit) {
		rn_conn *c;
		uint8_t id;

		rn_listener_set_deadline(a->l, rn_now() + (int64_t)rnd_in(&a->r, 0, 200) * RN_MICROSECOND);
		c = rn_listener_accept(a->l);
		if (!c) {
			if (rn_last_error()->code != RN_ETIMEOUT || !rn_error_timeout(NULL)) {
				flag_fail("accept under a deadline: %s", errtext());
				return NULL;
			}
			continue;
		}
		rn_conn_set_read_deadline(c, rn_now() + 20 * RN_SECOND);
		if (rn_conn_read(c, &id, 1) != 1)
			flag_fail("reading the id of an accepted conn: %s", errtext());
		else if (id >= a->want || a->seen[id]++)
			flag_fail("accepted conn %u twice or out of range", id);
		a->accepted++;
		rn_conn_free(c);
	}
	if (a->accepted < a->want)
		flag_fail("accepted %d of %d conns: one was lost to a deadline", a->accepted, a->want);
	return NULL;
}

START_TEST(test_accept_deadline_races_arrival)
{
	int64_t end = rn_now() + budget_ns();
	int rounds = 0;

	start_test(41);
	for (; rounds < 200 && (rounds < 5 || rn_now() < end) && !atomic_load(&failed); rounds++) {
		atomic_store(&cur_round, rounds);
		rng r = { cur_seed + (uint64_t)rounds };
		struct acceptor a;
		char addr[128];
		rn_conn *cs[32];
		pthread_t t;

		memset(&a, 0, sizeof(a));
		a.l = listen_on("tcp", addr, sizeof(addr));
		a.want = 32;
		a.r.s = rnd(&r);
		ck_assert_int_eq(pthread_create(&t, NULL, accept_with_deadlines, &a), 0);
		for (int i = 0; i < a.want; i++) {
			uint8_t id = (uint8_t)i;

			cs[i] = rn_dial("tcp", addr);
			ck_assert_msg(cs[i] != NULL, "dial: %s", errtext());
			ck_assert_int_eq(rn_conn_write(cs[i], &id, 1), 1);
			jitter(&r, 100 * RN_MICROSECOND);
		}
		join_within(t, 40, "the acceptor under racing deadlines");
		for (int i = 0; i < a.want; i++)
			rn_conn_free(cs[i]);
		rn_listener_free(a.l);
	}
	check_failed();
}
END_TEST

/* ---- concurrent Writers with Close in the middle ----------------------------- */

/*
 * Each Write is one record: a header {0xA5, writer, len16, seq32} and a
 * payload of the writer's pattern, so the bytes the peer received can be
 * matched against what each Write reported.
 */
enum { NWRITERS = 4, HDR = 8 };

struct mwriter {
	rn_conn *c;
	int id;
	rng r;
	uint32_t full;		/* Writes that reported their full count */
	ssize_t short_n;	/* a short count, or 0 */
	size_t bytes;		/* sum of the counts reported */
	int64_t limit;
	uint32_t max_writes;	/* 0: until an error */
	bool writev_all;	/* the last writer uses Buffers for every Write */
};

static void record(uint8_t *b, int id, uint32_t seq, size_t plen)
{
	b[0] = 0xA5;
	b[1] = (uint8_t)id;
	b[2] = (uint8_t)(plen >> 8);
	b[3] = (uint8_t)plen;
	memcpy(b + 4, &seq, 4);
	fill_pat(b + HDR, plen, ((uint64_t)id << 40) ^ ((uint64_t)seq << 16));
}

static void *mwriter_thread(void *arg)
{
	struct mwriter *w = arg;
	uint8_t *buf = malloc(HDR + 65535);

	for (uint32_t seq = 0; rn_now() < w->limit && (!w->max_writes || seq < w->max_writes); seq++) {
		size_t plen = (size_t)rnd_in(&w->r, 0, rnd(&w->r) % 4 ? 2000 : 65535);
		size_t n = HDR + plen;
		ssize_t k;

		record(buf, w->id, seq, plen);
		if (w->id == NWRITERS - 1 && (seq % 2 || w->writev_all)) {
			/* Buffers (writev) shares the write lock with the queue. */
			struct iovec iov[2] = { { buf, HDR }, { buf + HDR, plen } };

			k = rn_conn_write_buffers(w->c, iov, 2);
		} else {
			k = rn_conn_write(w->c, buf, n);
		}
		if (k == (ssize_t)n) {
			w->full++;
			w->bytes += n;
			continue;
		}
		if (k > 0) {
			w->short_n = k;
			w->bytes += (size_t)k;
			if (rn_last_error()->code != RN_ECLOSED)
				flag_fail("writer %d: short count %zd of %zu with %s, want RN_ECLOSED", w->id, k,
				     n, errtext());
		} else if (!is_closed_error(k)) {
			flag_fail("writer %d: %zd (%s), want a count or RN_ECLOSED", w->id, k, errtext());
		}
		break;
	}
	free(buf);
	return NULL;
}

struct collector {
	rn_conn *c;
	uint8_t *buf;
	size_t len, cap;
};

static void *collect_all(void *arg)
{
	struct collector *co = arg;

	for (;;) {
		ssize_t r;

		if (co->cap - co->len < 65536) {
			co->cap = co->cap ? co->cap * 2 : 1 << 20;
			co->buf = realloc(co->buf, co->cap);
		}
		r = rn_conn_read(co->c, co->buf + co->len, co->cap - co->len);
		if (r <= 0) {
			if (r < 0)
				flag_fail("collector: %s", errtext());
			break;
		}
		co->len += (size_t)r;
	}
	return NULL;
}

/* Match the received stream against what the Writes reported. */
static void verify_records(const struct collector *co, const struct mwriter *w)
{
	uint32_t next[NWRITERS] = { 0 };
	size_t off = 0, reported = 0;

	for (int i = 0; i < NWRITERS; i++)
		reported += w[i].bytes;
	if (co->len != reported) {
		flag_fail("the peer received %zu bytes but the Writes reported %zu (writers: %zu%s %zu%s "
		     "%zu%s %zu%s; * = returned a short count)",
		     co->len, reported, w[0].bytes, w[0].short_n ? "*" : "", w[1].bytes,
		     w[1].short_n ? "*" : "", w[2].bytes, w[2].short_n ? "*" : "", w[3].bytes,
		     w[3].short_n ? "*" : "");
		return;
	}
	while (off < co->len) {
		const uint8_t *b = co->buf + off;
		size_t plen, n, have = co->len - off;
		uint32_t seq;
		ssize_t bad;
		int id;

		if (have < HDR || b[0] != 0xA5 || b[1] >= NWRITERS) {
			/* Only the tail may be a partial header of a short Write. */
			id = -1;
			for (int i = 0; i < NWRITERS; i++)
				if (w[i].short_n == (ssize_t)have)
					id = i;
			if (id < 0 || have >= HDR)
				flag_fail("garbage at offset %zu of %zu", off, co->len);
			return;
		}
		id = b[1];
		plen = (size_t)b[2] << 8 | b[3];
		memcpy(&seq, b + 4, 4);
		n = HDR + plen;
		if (seq != next[id]) {
			flag_fail("writer %d: record %u at offset %zu, want %u (a Write lost or repeated)", id,
			     seq, off, next[id]);
			return;
		}
		bad = check_pat(b + HDR, (have < n ? have : n) - HDR,
				((uint64_t)id << 40) ^ ((uint64_t)seq << 16));
		if (bad >= 0) {
			const uint8_t *x = b + HDR + bad;
			uint32_t xseq;

			memcpy(&xseq, x + 4, 4);
			if (x[0] == 0xA5 && x[1] < NWRITERS)
				flag_fail("writer %d record %u (%zu bytes, at stream offset %zu) was split: "
					  "record %u of writer %d%s begins inside it, at its byte %zd",
					  id, seq, n, off, xseq, x[1],
					  x[1] == NWRITERS - 1 ? " (a Buffers/writev writer)" : "",
					  HDR + bad);
			else
				flag_fail("writer %d record %u: payload corrupted at offset %zu", id, seq,
					  off + HDR + (size_t)bad);
			return;
		}
		if (have < n) {
			if (seq != w[id].full || w[id].short_n != (ssize_t)have)
				flag_fail("partial record of writer %d (%zu of %zu bytes) does not match its "
				     "short Write (%zd)",
				     id, have, n, w[id].short_n);
			return;
		}
		next[id]++;
		off += n;
	}
	for (int i = 0; i < NWRITERS; i++)
		if (next[i] != w[i].full)
			flag_fail("writer %d reported %u full Writes, the peer got %u", i, w[i].full, next[i]);
}

START_TEST(test_concurrent_writers_with_close)
{
	int64_t end = rn_now() + budget_ns();
	int rounds = 0;

	start_test(50);
	for (; rounds < 500 && (rounds < 10 || rn_now() < end) && !atomic_load(&failed); rounds++) {
		atomic_store(&cur_round, rounds);
		rng r = { cur_seed + (uint64_t)rounds };
		struct mwriter w[NWRITERS];
		struct collector co = { 0 };
		struct pair p;
		pthread_t wt[NWRITERS], ct;

		pair_open(&p, "tcp");
		if (rounds % 2)
			rn_tcpconn_set_write_buffer(p.a, 16384); /* Writes block: the queue fills */
		co.c = p.b;
		ck_assert_int_eq(pthread_create(&ct, NULL, collect_all, &co), 0);
		for (int i = 0; i < NWRITERS; i++) {
			w[i] = (struct mwriter){ .c = p.a, .id = i, .r = { rnd(&r) },
						 .limit = rn_now() + 20 * RN_SECOND };
			ck_assert_int_eq(pthread_create(&wt[i], NULL, mwriter_thread, &w[i]), 0);
		}
		jitter(&r, 2 * RN_MILLISECOND);
		ck_assert_int_eq(rn_conn_close(p.a), 0);
		for (int i = 0; i < NWRITERS; i++)
			join_within(wt[i], 20, "a Write racing Close");
		join_within(ct, 20, "the peer's Read until end of stream");
		verify_records(&co, w);
		free(co.buf);
		pair_free(&p);
	}
	check_failed();
}
END_TEST

/*
 * No Close at all: Writes from several threads through the write queue, and
 * Buffers (writev) from another, while the peer drains.  Every Write must
 * reach the peer whole: no other Write's bytes inside it.
 */
START_TEST(test_writes_and_writev_never_interleave)
{
	int64_t end = rn_now() + budget_ns();
	int rounds = 0;

	start_test(52);
	for (; rounds < 100 && (rounds < 8 || rn_now() < end) && !atomic_load(&failed); rounds++) {
		rng r = { cur_seed + (uint64_t)rounds };
		struct mwriter w[NWRITERS];
		struct collector co = { 0 };
		struct pair p;
		pthread_t wt[NWRITERS], ct;

		atomic_store(&cur_round, rounds);
		pair_open(&p, "tcp");
		rn_tcpconn_set_write_buffer(p.a, 16384); /* partial sends: Writes span several */
		co.c = p.b;
		ck_assert_int_eq(pthread_create(&ct, NULL, collect_all, &co), 0);
		for (int i = 0; i < NWRITERS; i++) {
			w[i] = (struct mwriter){ .c = p.a, .id = i, .r = { rnd(&r) },
						 .limit = rn_now() + 20 * RN_SECOND, .max_writes = 200,
						 .writev_all = true };
			ck_assert_int_eq(pthread_create(&wt[i], NULL, mwriter_thread, &w[i]), 0);
		}
		for (int i = 0; i < NWRITERS; i++)
			join_within(wt[i], 30, "a Write");
		for (int i = 0; i < NWRITERS; i++)
			if (w[i].full != 200 && !atomic_load(&failed))
				flag_fail("writer %d: %u of 200 Writes completed", i, w[i].full);
		ck_assert_int_eq(rn_conn_close(p.a), 0);
		join_within(ct, 20, "the peer's Read until end of stream");
		verify_records(&co, w);
		free(co.buf);
		pair_free(&p);
	}
	check_failed();
}
END_TEST

/*
 * One Writer streaming large buffers while the peer drains, and Close from
 * another thread: the peer must receive exactly the bytes Write reported.
 */
START_TEST(test_write_count_after_close_matches_peer)
{
	int64_t end = rn_now() + budget_ns();
	int rounds = 0, mism = 0;
	size_t lost_max = 0;

	start_test(51);
	for (; rounds < 2000 && (rounds < 50 || rn_now() < end); rounds++) {
		atomic_store(&cur_round, rounds);
		rng r = { cur_seed + (uint64_t)rounds };
		struct streamer s = { .r = { rnd(&r) } };
		struct collector co = { 0 };
		struct pair p;
		pthread_t wt, ct;

		pair_open(&p, "tcp");
		s.c = p.a;
		co.c = p.b;
		ck_assert_int_eq(pthread_create(&ct, NULL, collect_all, &co), 0);
		ck_assert_int_eq(pthread_create(&wt, NULL, stream_writer, &s), 0);
		jitter(&r, 500 * RN_MICROSECOND);
		ck_assert_int_eq(rn_conn_close(p.a), 0);
		join_within(wt, 20, "a Write racing Close");
		join_within(ct, 20, "the peer's Read until end of stream");
		if (co.len != s.sent) {
			mism++;
			if (co.len > s.sent && co.len - s.sent > lost_max)
				lost_max = co.len - s.sent;
		}
		if (check_pat(co.buf, co.len < s.sent ? co.len : s.sent, 0) >= 0)
			flag_fail("round %d: the peer's bytes are not the stream", rounds);
		free(co.buf);
		pair_free(&p);
	}
	check_failed();
	ck_assert_msg(mism == 0,
		      "seed %#" PRIx64 ": in %d of %d rounds the peer received more bytes than Write "
		      "reported (up to %zu more): a send that completed as Close ran was reported as "
		      "RN_ECLOSED instead of its count",
		      cur_seed, mism, rounds, lost_max);
}
END_TEST

/* ---- thread churn --------------------------------------------------------------- */

enum { SLOTS = 4, CHURN_ROUNDS = 20 };

struct slot {
	rn_conn *c[2];
	atomic_bool closed[2];
	bool used;
};

static pthread_mutex_t slot_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[SLOTS];

struct worker {
	int slot;
	rng r;
};

/* Classify a failed op on conn @x of @s: ECLOSED on x, or a peer error after the other closed. */
static void churn_check(struct slot *s, int x, ssize_t k, bool reading)
{
	int code = rn_last_error()->code;

	if (k < 0 && code == RN_ECLOSED) {
		if (!atomic_load(&s->closed[x]) || !is_closed_error(k))
			flag_fail("RN_ECLOSED on a conn nobody closed: %s", errtext());
		return;
	}
	if (atomic_load(&s->closed[x])) {
		/* Closed while the op ran: it can still have failed on the peer first. */
	}
	if (!atomic_load(&s->closed[!x]) && !atomic_load(&s->closed[x]))
		flag_fail("%s failed with nothing closed: %zd (%s)", reading ? "read" : "write", k,
		     errtext());
	else if (!(k == 0 && reading) && code != -ECONNRESET && code != -EPIPE)
		flag_fail("%s after the peer closed: %zd (%s)", reading ? "read" : "write", k, errtext());
}

static bool churn_full(struct slot *s, int x, void *buf, size_t n, bool reading)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = reading ? rn_conn_read(s->c[x], (char *)buf + done, n - done)
				    : rn_conn_write(s->c[x], (char *)buf + done, n - done);

		if (k <= 0 || (!reading && (size_t)k < n - done)) {
			churn_check(s, x, k, reading);
			return false;
		}
		done += (size_t)k;
	}
	return true;
}

static void *churn_worker(void *arg)
{
	struct worker *wk = arg;
	struct slot *s = &slots[wk->slot];
	char addr[128];
	rn_listener *l;
	rn_conn *a, *b;
	rn_addr la;

	l = rn_listen("tcp", "127.0.0.1:0");
	if (!l) {
		flag_fail("listen: %s", errtext());
		return NULL;
	}
	la = rn_listener_addr(l);
	rn_addr_string(&la, addr, sizeof(addr));
	a = rn_dial("tcp", addr);
	b = a ? rn_listener_accept(l) : NULL;
	rn_listener_free(l);
	if (!a || !b) {
		flag_fail("dial/accept: %s", errtext());
		rn_conn_free(a);
		return NULL;
	}
	pthread_mutex_lock(&slot_mu);
	s->c[0] = a;
	s->c[1] = b;
	atomic_store(&s->closed[0], false);
	atomic_store(&s->closed[1], false);
	s->used = true;
	pthread_mutex_unlock(&slot_mu);
	for (int i = 0; i < CHURN_ROUNDS; i++) {
		uint8_t out[100], in[100];
		size_t n = (size_t)rnd_in(&wk->r, 1, sizeof(out));

		fill_pat(out, n, (uint64_t)i * 1000);
		if (!churn_full(s, 0, out, n, false) || !churn_full(s, 1, in, n, true))
			break;
		if (memcmp(in, out, n)) {
			flag_fail("churn: echo corrupted");
			break;
		}
		if (!churn_full(s, 1, in, n, false) || !churn_full(s, 0, out, n, true))
			break;
		if (memcmp(in, out, n)) {
			flag_fail("churn: echo corrupted on the way back");
			break;
		}
	}
	pthread_mutex_lock(&slot_mu);
	s->used = false;
	s->c[0] = s->c[1] = NULL;
	pthread_mutex_unlock(&slot_mu);
	rn_conn_free(a);
	rn_conn_free(b);
	return NULL;
}

struct churn_closer {
	rng r;
	atomic_bool stop;
	int closes;
};

static void *churn_closer(void *arg)
{
	struct churn_closer *cc = arg;

	while (!atomic_load(&cc->stop)) {
		int i = (int)(rnd(&cc->r) % SLOTS), x = (int)(rnd(&cc->r) % 2);

		pthread_mutex_lock(&slot_mu);
		if (slots[i].used && !atomic_load(&slots[i].closed[x])) {
			atomic_store(&slots[i].closed[x], true);
			if (rn_conn_close(slots[i].c[x]) != 0)
				flag_fail("closer: %s", errtext());
			cc->closes++;
		}
		pthread_mutex_unlock(&slot_mu);
		jitter(&cc->r, 300 * RN_MICROSECOND);
	}
	return NULL;
}

START_TEST(test_thread_churn_with_closes)
{
	int64_t end = rn_now() + budget_ns();
	struct churn_closer cc = { 0 };
	struct worker wk[SLOTS];
	pthread_t ct, wt[SLOTS];
	int batches = 0;

	start_test(60);
	cc.r.s = cur_seed;
	memset(slots, 0, sizeof(slots));
	ck_assert_int_eq(pthread_create(&ct, NULL, churn_closer, &cc), 0);
	for (; batches < 200 && (batches < 10 || rn_now() < end) && !atomic_load(&failed); batches++) {
		for (int i = 0; i < SLOTS; i++) {
			wk[i].slot = i;
			wk[i].r.s = cur_seed + (uint64_t)batches * SLOTS + (uint64_t)i;
			ck_assert_int_eq(pthread_create(&wt[i], NULL, churn_worker, &wk[i]), 0);
		}
		for (int i = 0; i < SLOTS; i++)
			join_within(wt[i], 20, "a churning worker");
	}
	atomic_store(&cc.stop, true);
	join_within(ct, 20, "the closer");
	check_failed();
}
END_TEST

/* ---- UDP --------------------------------------------------------------------------- */

struct usender {
	rn_conn *c;
	atomic_bool stop;
	atomic_uint_fast64_t acked; /* datagrams the reader has taken (flow control) */
	uint64_t total;		    /* 0: until stopped */
	unsigned window;
	rng r;
};

static void *udp_sender(void *arg)
{
	struct usender *s = arg;
	int64_t limit = rn_now() + 30 * RN_SECOND;

	for (uint64_t seq = 0; !atomic_load(&s->stop) && (!s->total || seq < s->total); seq++) {
		uint8_t d[64];
		size_t n = 8 + (size_t)rnd_in(&s->r, 0, sizeof(d) - 8);

		while (s->window && seq >= atomic_load(&s->acked) + s->window && !atomic_load(&s->stop)) {
			if (rn_now() > limit) {
				flag_fail("udp sender: the reader stalled at %" PRIu64, (uint64_t)atomic_load(&s->acked));
				return NULL;
			}
			sched_yield();
		}
		memcpy(d, &seq, 8);
		fill_pat(d + 8, n - 8, seq);
		/* After the reader's socket closes a write may be refused: ignore. */
		(void)rn_conn_write(s->c, d, n);
		if (!s->total && rnd(&s->r) % 16 == 0)
			jitter(&s->r, 50 * RN_MICROSECOND);
	}
	return NULL;
}

struct ureader {
	rn_conn *c;
	rng r;
	int mode;		/* 0: until closed; 1: own deadlines; 2: deadlines set elsewhere */
	struct usender *s;
	uint64_t got, timeouts;
	atomic_bool running, done;
};

static void *udp_reader(void *arg)
{
	struct ureader *u = arg;
	int64_t limit = rn_now() + 30 * RN_SECOND;
	uint64_t next = 0;

	atomic_store(&u->running, true);
	while (u->mode == 0 || u->got < u->s->total) {
		uint8_t d[128];
		rn_addr from;
		ssize_t k;
		uint64_t seq;

		if (u->mode == 1)
			rn_conn_set_read_deadline(u->c, rn_now() + (int64_t)rnd_in(&u->r, 0, 200) *
									 RN_MICROSECOND);
		k = rn_conn_read_from(u->c, d, sizeof(d), &from);
		if (k >= 8) {
			memcpy(&seq, d, 8);
			if (u->mode == 0 ? seq < next : seq != next) {
				flag_fail("udp: datagram %" PRIu64 ", want %s%" PRIu64 " (%" PRIu64
				     " timeouts): a datagram was lost or repeated",
				     seq, u->mode ? "" : ">= ", next, u->timeouts);
				break;
			}
			if (check_pat(d + 8, (size_t)k - 8, seq) >= 0) {
				flag_fail("udp: datagram %" PRIu64 " corrupted", seq);
				break;
			}
			next = seq + 1;
			u->got++;
			if (u->s)
				atomic_store(&u->s->acked, u->got);
			continue;
		}
		if (u->mode == 0) {
			if (!is_closed_error(k))
				flag_fail("udp ReadFrom racing Close: %zd (%s), want a datagram or RN_ECLOSED", k,
				     errtext());
			break;
		}
		if (k != RN_ETIMEOUT || rn_last_error()->code != RN_ETIMEOUT) {
			flag_fail("udp ReadFrom under deadlines: %zd (%s)", k, errtext());
			break;
		}
		u->timeouts++;
		if (rn_now() > limit) {
			flag_fail("udp reader: not done in time (%" PRIu64 " of %" PRIu64 ")", u->got,
			     u->s->total);
			break;
		}
	}
	atomic_store(&u->done, true);
	return NULL;
}

static void udp_pair(rn_conn **r, rn_conn **s)
{
	char addr[128];
	rn_addr a;

	*r = rn_listen_packet("udp", "127.0.0.1:0");
	ck_assert_msg(*r != NULL, "listen udp: %s", errtext());
	a = rn_conn_local_addr(*r);
	rn_addr_string(&a, addr, sizeof(addr));
	*s = rn_dial("udp", addr);
	ck_assert_msg(*s != NULL, "dial udp: %s", errtext());
}

START_TEST(test_udp_close_races_read_from)
{
	int64_t end = rn_now() + budget_ns();
	int rounds = 0;

	start_test(70);
	for (; rounds < 2000 && (rounds < 20 || rn_now() < end) && !atomic_load(&failed); rounds++) {
		atomic_store(&cur_round, rounds);
		rng r = { cur_seed + (uint64_t)rounds };
		struct usender s = { .r = { rnd(&r) } };
		struct ureader u = { .mode = 0 };
		rn_conn *rc, *sc;
		pthread_t st, rt;

		udp_pair(&rc, &sc);
		s.c = sc;
		u.c = rc;
		ck_assert_int_eq(pthread_create(&rt, NULL, udp_reader, &u), 0);
		ck_assert_int_eq(pthread_create(&st, NULL, udp_sender, &s), 0);
		if (rnd(&r) % 4)
			while (!atomic_load(&u.running))
				sched_yield();
		jitter(&r, 300 * RN_MICROSECOND);
		ck_assert_int_eq(rn_conn_close(rc), 0);
		join_within(rt, 20, "a ReadFrom racing Close");
		atomic_store(&s.stop, true);
		join_within(st, 20, "the UDP sender");
		rn_conn_free(rc);
		rn_conn_free(sc);
	}
	check_failed();
}
END_TEST

static void *udp_deadline_setter(void *arg)
{
	struct ureader *u = arg;

	while (!atomic_load(&u->done)) {
		rn_conn_set_read_deadline(u->c, rn_now() + (int64_t)rnd_in(&u->r, 0, 200) * RN_MICROSECOND);
		jitter(&u->r, 150 * RN_MICROSECOND);
	}
	return NULL;
}

static void udp_deadlines(int mode, uint64_t salt)
{
	int64_t end = rn_now() + budget_ns();
	int rounds = 0;

	start_test(salt);
	for (; rounds < 100 && (rounds < 3 || rn_now() < end) && !atomic_load(&failed); rounds++) {
		atomic_store(&cur_round, rounds);
		rng r = { cur_seed + (uint64_t)rounds };
		struct usender s = { .r = { rnd(&r) }, .total = 3000, .window = 16 };
		struct ureader u = { .mode = mode, .r = { rnd(&r) }, .s = &s };
		rn_conn *rc, *sc;
		pthread_t st, rt, dt;

		udp_pair(&rc, &sc);
		s.c = sc;
		u.c = rc;
		ck_assert_int_eq(pthread_create(&rt, NULL, udp_reader, &u), 0);
		ck_assert_int_eq(pthread_create(&st, NULL, udp_sender, &s), 0);
		if (mode == 2)
			ck_assert_int_eq(pthread_create(&dt, NULL, udp_deadline_setter, &u), 0);
		join_within(rt, 40, "a ReadFrom under racing deadlines");
		atomic_store(&s.stop, true);
		join_within(st, 20, "the UDP sender");
		if (mode == 2)
			join_within(dt, 20, "the deadline setter");
		if (!atomic_load(&failed))
			ck_assert_uint_eq(u.got, s.total);
		rn_conn_free(rc);
		rn_conn_free(sc);
	}
	check_failed();
}

START_TEST(test_udp_deadline_races_arrival_self)
{
	udp_deadlines(1, 71);
}
END_TEST

START_TEST(test_udp_deadline_races_arrival_other_thread)
{
	udp_deadlines(2, 72);
}
END_TEST

/* ---- suite ---------------------------------------------------------------------- */

static Suite *races_suite(void)
{
	Suite *s = suite_create("races");
	TCase *tc;

	tc = tu_engine_tcase("close_vs_read");
	tcase_add_test(tc, test_close_races_tcp_read);
	tcase_add_test(tc, test_close_races_tcp_read_lease);
	tcase_add_test(tc, test_close_races_unix_read);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("deadlines_vs_completions");
	tcase_add_test(tc, test_read_deadline_races_completion_self);
	tcase_add_test(tc, test_read_deadline_races_completion_other_thread);
	tcase_add_test(tc, test_write_deadline_races_completion_self);
	tcase_add_test(tc, test_write_deadline_races_completion_other_thread);
	tcase_add_test(tc, test_read_deadline_races_completion_unix);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("deadline_moved");
	tcase_add_test(tc, test_read_deadline_moved_under_blocked_read);
	tcase_add_test(tc, test_write_deadline_moved_under_blocked_write);
	tcase_add_test(tc, test_listener_deadline_moved_under_blocked_accept);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("resets_accept_writers");
	tcase_add_test(tc, test_peer_reset_races_reads_and_writes);
	tcase_add_test(tc, test_accept_races_listener_close);
	tcase_add_test(tc, test_accept_deadline_races_arrival);
	tcase_add_test(tc, test_concurrent_writers_with_close);
	tcase_add_test(tc, test_writes_and_writev_never_interleave);
	tcase_add_test(tc, test_write_count_after_close_matches_peer);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("churn_udp");
	tcase_add_test(tc, test_thread_churn_with_closes);
	tcase_add_test(tc, test_udp_close_races_read_from);
	tcase_add_test(tc, test_udp_deadline_races_arrival_self);
	tcase_add_test(tc, test_udp_deadline_races_arrival_other_thread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(races_suite());
}
