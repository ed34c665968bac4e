/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_accept_ms.c - the multishot accept of TCP listeners through
 * the public API against the real kernel: Accepts from a task arm one
 * accept and keep it armed (rn_engine_stats_get says so) while plain
 * threads and Unix listeners accept one-shot; Close, deadlines, the
 * back-pressure cap, a listener moving between runtime threads and plain
 * threads, rn_run returning with connections queued, and EMFILE, each
 * without losing, duplicating or leaking a connection.
 *
 * Connections are matched by the dialer's local port: an accepted conn's
 * remote address must be exactly one dialed conn's local address.  The
 * process's descriptor count tells how many connections ringnet holds
 * accepted but not yet taken.  Every test runs under the fd-leak fixture
 * with the thread's engine stopped around the count.  Only loopback is
 * used.
 */
#define _GNU_SOURCE 1
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <ringnet/engine.h>
#include <ringnet/net.h>
#include <ringnet/runtime.h>
#include <ringnet/task.h>

#include "testutil.h"

/* Whether this engine has the feature the suite is about; prints why a test skips when not. */
#define need_multishot(test) \
	tu_need_feature(RN_ENGINE_ACCEPT_MULTISHOT, "RN_ENGINE_ACCEPT_MULTISHOT", test)

/* The accept queue's cap (api/accept.h): a black-box constant of the design. */
#define QUEUE_CAP 64

/* Connections of the back-pressure test. */
#define MANY 300

/* ---- helpers ------------------------------------------------------------------- */

static long ms_since(int64_t t0)
{
	return (long)((tu_mono_ns() - t0) / 1000000);
}

/* Assert that a call returned @want and that the thread's last error text is @text. */
static void expect_error(int got, int want, const char *text)
{
	char e[TU_ERRLEN];

	tu_err_text(NULL, e);
	ck_assert_msg(got == want, "got %d, want %d (last error: %s)", got, want, e);
	ck_assert_msg(strcmp(e, text) == 0, "error text \"%s\", want \"%s\"", e, text);
}

/* The code of an Accept that returned NULL (a conn's is 0). */
static int accept_code(const rn_conn *c)
{
	return c ? 0 : rn_last_error()->code;
}

/* A TCP listener on 127.0.0.1:0; @addr gets the address it got. */
static rn_listener *listen_loopback(char addr[RN_ADDR_STRLEN])
{
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");

	ck_assert_ptr_nonnull(l);
	tu_addr_str(rn_listener_addr(l), addr);
	return l;
}

static rn_conn *dial(const char *addr)
{
	char e[TU_ERRLEN];
	rn_conn *c = rn_dial("tcp", addr);

	ck_assert_msg(c != NULL, "dial %s: %s", addr, tu_err_text(NULL, e));
	return c;
}

static int local_port(const rn_conn *c)
{
	rn_addr a = rn_conn_local_addr(c);

	ck_assert_int_eq(a.kind, RN_ADDR_TCP);
	return a.u.tcp.port;
}

static rn_time after(rn_duration d)
{
	return rn_time_add(rn_now(), d);
}

/*
 * Which dialed conn an accepted one is: dialed[i]'s local port is looked
 * up in the table; the accepted conn's remote address must equal that
 * conn's local address and its local address the listener's.
 */
static int16_t idx_by_port[65536];

static void index_dialed(rn_conn *const *dialed, int n)
{
	memset(idx_by_port, 0xff, sizeof(idx_by_port));
	for (int i = 0; i < n; i++)
		idx_by_port[local_port(dialed[i])] = (int16_t)i;
}

static int dialed_index(rn_conn *const *dialed, const rn_conn *s, const char *laddr)
{
	char want[RN_ADDR_STRLEN], got[RN_ADDR_STRLEN];
	rn_addr ra = rn_conn_remote_addr(s);
	int i;

	ck_assert_msg(ra.kind == RN_ADDR_TCP, "accepted conn's remote address has kind %d",
		      ra.kind);
	i = idx_by_port[ra.u.tcp.port];
	ck_assert_msg(i >= 0, "accepted conn from %s was not dialed here", tu_addr_str(ra, got));
	ck_assert_str_eq(tu_addr_str(ra, got), tu_addr_str(rn_conn_local_addr(dialed[i]), want));
	ck_assert_str_eq(tu_addr_str(rn_conn_local_addr(s), got), laddr);
	return i;
}

/*
 * Match @m accepted conns to the @n dialed ones: each is a different one.
 * pair[i] gets the accepted conn of dialed[i] (NULL: none).
 */
static void match_all(rn_conn *const *dialed, int n, rn_conn *const *acc, int m, rn_conn **pair,
		      const char *laddr)
{
	index_dialed(dialed, n);
	for (int i = 0; i < n; i++)
		pair[i] = NULL;
	for (int j = 0; j < m; j++) {
		int i = dialed_index(dialed, acc[j], laddr);

		ck_assert_msg(pair[i] == NULL, "dialed conn %d accepted twice", i);
		pair[i] = acc[j];
	}
}

/* A byte each way between a dialed conn and its accepted peer. */
static void exchange(rn_conn *c, rn_conn *s)
{
	tu_send_recv(c, s, "q");
	tu_send_recv(s, c, "a");
}

/*
 * What a dialed conn whose peer ringnet closed unseen reads: end of stream
 * or a reset, and no later than 2 s (a timeout means it was left open).
 */
static void expect_peer_gone(rn_conn *c, int which)
{
	char buf[8], e[TU_ERRLEN];
	ssize_t n;

	ck_assert_int_eq(rn_conn_set_read_deadline(c, after(2 * RN_SECOND)), 0);
	n = rn_conn_read(c, buf, sizeof buf);
	ck_assert_msg(n == 0 || n == -ECONNRESET,
		      "dialed conn %d: read %zd, want 0 or -ECONNRESET (%s)", which, n,
		      n < 0 ? tu_err_text(NULL, e) : "data");
}

/*
 * Let the scheduler run (2 ms sleeps, up to 1 s) until the process holds
 * @want descriptors; returns the last count.  Used to know that the
 * multishot accepted every connection waiting in the backlog.
 */
static int wait_fds(int want)
{
	int n = tu_count_fds();

	for (int i = 0; i < 500 && n != want; i++) {
		rn_sleep(2 * RN_MILLISECOND);
		n = tu_count_fds();
	}
	return n;
}

static void free_conns(rn_conn **c, int n)
{
	for (int i = 0; i < n; i++) {
		rn_conn_free(c[i]);
		c[i] = NULL;
	}
}

/* ---- 1. a task's Accepts share one armed accept ---------------------------------- */

#define SERIAL 20

static struct {
	rn_listener *l;
	char addr[RN_ADDR_STRLEN];
	rn_conn *dialed[SERIAL], *acc[SERIAL];
	int naccepted;
} g1;

static void serial_acceptor(void *arg)
{
	char e[TU_ERRLEN];

	(void)arg;
	for (int i = 0; i < SERIAL; i++) {
		g1.acc[i] = rn_listener_accept(g1.l);
		ck_assert_msg(g1.acc[i] != NULL, "accept %d: %s", i, tu_err_text(NULL, e));
		g1.naccepted++;
	}
}

/* Dials one at a time, each after the acceptor took the previous one: a wake per conn. */
static void serial_dialer(void *arg)
{
	(void)arg;
	for (int i = 0; i < SERIAL; i++) {
		g1.dialed[i] = dial(g1.addr);
		while (g1.naccepted <= i)
			rn_sleep(RN_MILLISECOND);
	}
}

START_TEST(test_task_accepts_arm_once)
{
	rn_conn *pair[SERIAL];
	rn_engine_stats st0, st1;

	if (!need_multishot("test_task_accepts_arm_once"))
		return;
	memset(&g1, 0, sizeof(g1));
	g1.l = listen_loopback(g1.addr);
	st0 = tu_engine_stats();
	tu_go(serial_acceptor, NULL);
	tu_go(serial_dialer, NULL);
	tu_run();
	st1 = tu_engine_stats();
	ck_assert_uint_eq(st1.accept_multishot_armed - st0.accept_multishot_armed, 1);
	ck_assert_uint_eq(st1.accept_oneshot - st0.accept_oneshot, 0);
	match_all(g1.dialed, SERIAL, g1.acc, SERIAL, pair, g1.addr);
	for (int i = 0; i < SERIAL; i++)
		exchange(g1.dialed[i], pair[i]);
	free_conns(g1.dialed, SERIAL);
	free_conns(g1.acc, SERIAL);
	rn_listener_free(g1.l);
}
END_TEST

/* ---- 2. a plain thread accepts one-shot ------------------------------------------ */

START_TEST(test_plain_thread_accepts_oneshot)
{
	char addr[RN_ADDR_STRLEN], e[TU_ERRLEN];
	rn_listener *l = listen_loopback(addr);
	rn_conn *c[3], *s[3], *pair[3];
	rn_engine_stats st0, st1;

	st0 = tu_engine_stats();
	for (int i = 0; i < 3; i++) {
		c[i] = dial(addr);
		s[i] = rn_listener_accept(l);
		ck_assert_msg(s[i] != NULL, "accept %d: %s", i, tu_err_text(NULL, e));
	}
	st1 = tu_engine_stats();
	ck_assert_uint_eq(st1.accept_oneshot - st0.accept_oneshot, 3);
	ck_assert_uint_eq(st1.accept_multishot_armed - st0.accept_multishot_armed, 0);
	match_all(c, 3, s, 3, pair, addr);
	for (int i = 0; i < 3; i++)
		exchange(c[i], pair[i]);
	free_conns(c, 3);
	free_conns(s, 3);
	rn_listener_free(l);
}
END_TEST

/* ---- 3. Close ----------------------------------------------------------------------- */

static struct {
	rn_listener *l;
	char addr[RN_ADDR_STRLEN];
	atomic_bool accepting, closed;
	int code;
	char err[TU_ERRLEN];
	long parked_ms;
	int want_fds;
	rn_conn *first;
	bool refused;
} g3;

/*
 * Whether a dial to @addr is refused within 1 s: the listener's descriptor
 * is gone.  A dial that still connects (the descriptor closes once the
 * armed accept has ended) is freed and retried.
 */
static bool refused_soon(const char *addr)
{
	for (int i = 0; i < 200; i++) {
		rn_conn *c = rn_dial("tcp", addr);

		if (!c)
			return rn_last_error()->code == -ECONNREFUSED;
		rn_conn_free(c);
		rn_sleep(5 * RN_MILLISECOND);
	}
	return false;
}

/* Parks in Accept until Close; then, still inside rn_run, checks the port is free. */
static void parked_acceptor(void *arg)
{
	rn_conn *s;

	(void)arg;
	atomic_store(&g3.accepting, true);
	s = rn_listener_accept(g3.l);
	g3.code = accept_code(s);
	tu_err_text(NULL, g3.err);
	rn_conn_free(s);
	g3.refused = refused_soon(g3.addr);
}

/* A plain thread: close the listener once the task has been parked in Accept a while. */
static void *closer_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&g3.accepting))
		tu_sleep_ms(1);
	tu_sleep_ms(50);
	ck_assert_int_eq(rn_listener_close(g3.l), 0);
	atomic_store(&g3.closed, true);
	return NULL;
}

START_TEST(test_close_wakes_parked_accept)
{
	char want[TU_ERRLEN];
	rn_engine_stats st0, st1;
	pthread_t th;

	if (!need_multishot("test_close_wakes_parked_accept"))
		return;
	memset(&g3, 0, sizeof(g3));
	g3.l = listen_loopback(g3.addr);
	st0 = tu_engine_stats();
	tu_go(parked_acceptor, NULL);
	th = tu_thread_start(closer_main, NULL);
	tu_run();
	tu_thread_join(th);
	st1 = tu_engine_stats();
	ck_assert_uint_eq(st1.accept_multishot_armed - st0.accept_multishot_armed, 1);
	snprintf(want, sizeof want, "accept tcp %s: use of closed network connection", g3.addr);
	ck_assert_msg(g3.code == RN_ECLOSED, "Accept gave %d (%s), want RN_ECLOSED", g3.code,
		      g3.err);
	ck_assert_str_eq(g3.err, want);
	/* The descriptor went while the thread still ran its tasks. */
	ck_assert_msg(g3.refused, "dials to %s not refused after Close", g3.addr);
	rn_listener_free(g3.l);
}
END_TEST

#define QUEUED 6

static rn_conn *g3_dialed[QUEUED];

/* Takes one conn, waits until the multishot accepted the rest, then lets them be closed. */
static void take_one_then_wait_close(void *arg)
{
	char e[TU_ERRLEN];
	rn_conn *s;

	(void)arg;
	g3.first = rn_listener_accept(g3.l);
	ck_assert_msg(g3.first != NULL, "accept: %s", tu_err_text(NULL, e));
	ck_assert_int_eq(wait_fds(g3.want_fds), g3.want_fds);
	atomic_store(&g3.accepting, true);
	while (!atomic_load(&g3.closed))
		rn_sleep(RN_MILLISECOND);
	s = rn_listener_accept(g3.l);
	g3.code = accept_code(s);
	rn_conn_free(s);
	/* Still inside rn_run: the queued conns' peers see them closed. */
	for (int i = 1; i < QUEUED; i++)
		expect_peer_gone(g3_dialed[i], i);
}

START_TEST(test_close_closes_queued)
{
	pthread_t th;
	rn_conn *mine;

	if (!need_multishot("test_close_closes_queued"))
		return;
	memset(&g3, 0, sizeof(g3));
	g3.l = listen_loopback(g3.addr);
	for (int i = 0; i < QUEUED; i++)
		g3_dialed[i] = dial(g3.addr);
	/* The first Accept's multishot takes the whole backlog: QUEUED more fds. */
	g3.want_fds = tu_count_fds() + QUEUED;
	tu_go(take_one_then_wait_close, NULL);
	th = tu_thread_start(closer_main, NULL);
	tu_run();
	tu_thread_join(th);
	ck_assert_int_eq(g3.code, RN_ECLOSED);
	/* Accepted in FIFO order: the one taken is the first dialed, and it still works. */
	mine = g3.first;
	ck_assert_int_eq(rn_conn_remote_addr(mine).u.tcp.port, local_port(g3_dialed[0]));
	exchange(g3_dialed[0], mine);
	rn_conn_free(mine);
	free_conns(g3_dialed, QUEUED);
	rn_listener_free(g3.l);
}
END_TEST

/* Takes one conn and ends once the multishot accepted the rest: rn_run returns with them queued. */
static void take_one_leave_rest(void *arg)
{
	char e[TU_ERRLEN];

	(void)arg;
	g3.first = rn_listener_accept(g3.l);
	ck_assert_msg(g3.first != NULL, "accept: %s", tu_err_text(NULL, e));
	ck_assert_int_eq(wait_fds(g3.want_fds), g3.want_fds);
}

/*
 * Close when nothing is armed (rn_run returned) but conns wait queued:
 * they are closed too, as the kernel resets what waits in its backlog.
 */
START_TEST(test_close_after_run_closes_queued)
{
	if (!need_multishot("test_close_after_run_closes_queued"))
		return;
	memset(&g3, 0, sizeof(g3));
	g3.l = listen_loopback(g3.addr);
	for (int i = 0; i < QUEUED; i++)
		g3_dialed[i] = dial(g3.addr);
	g3.want_fds = tu_count_fds() + QUEUED;
	tu_go(take_one_leave_rest, NULL);
	tu_run();
	ck_assert_int_eq(rn_listener_close(g3.l), 0);
	for (int i = 1; i < QUEUED; i++)
		expect_peer_gone(g3_dialed[i], i);
	rn_conn_free(g3.first);
	free_conns(g3_dialed, QUEUED);
	rn_listener_free(g3.l);
}
END_TEST

/* ---- 4. deadlines -------------------------------------------------------------------- */

static struct {
	rn_listener *l;
	char addr[RN_ADDR_STRLEN];
	int code;
	char err[TU_ERRLEN];
	long ms;
	rn_conn *c, *s;
	atomic_bool parked;
} g4;

static void timeout_then_accept(void *arg)
{
	char e[TU_ERRLEN];
	int64_t t0 = tu_mono_ns();
	rn_conn *s;

	(void)arg;
	ck_assert_int_eq(rn_listener_set_deadline(g4.l, after(50 * RN_MILLISECOND)), 0);
	s = rn_listener_accept(g4.l);
	g4.ms = ms_since(t0);
	g4.code = accept_code(s);
	tu_err_text(NULL, g4.err);
	rn_conn_free(s);
	ck_assert_int_eq(rn_listener_set_deadline(g4.l, 0), 0);
	g4.c = dial(g4.addr);
	g4.s = rn_listener_accept(g4.l);
	ck_assert_msg(g4.s != NULL, "accept after the timeout: %s", tu_err_text(NULL, e));
}

START_TEST(test_deadline_then_next_conn)
{
	char want[TU_ERRLEN];
	rn_conn *pair[1];

	if (!need_multishot("test_deadline_then_next_conn"))
		return;
	memset(&g4, 0, sizeof(g4));
	g4.l = listen_loopback(g4.addr);
	tu_go(timeout_then_accept, NULL);
	tu_run();
	snprintf(want, sizeof want, "accept tcp %s: i/o timeout", g4.addr);
	ck_assert_msg(g4.code == RN_ETIMEOUT, "Accept gave %d (%s), want RN_ETIMEOUT", g4.code,
		      g4.err);
	ck_assert_str_eq(g4.err, want);
	ck_assert_msg(g4.ms >= 45 && g4.ms < 2000, "timed out after %ld ms, want ~50", g4.ms);
	match_all(&g4.c, 1, &g4.s, 1, pair, g4.addr);
	exchange(g4.c, g4.s);
	rn_conn_free(g4.c);
	rn_conn_free(g4.s);
	rn_listener_free(g4.l);
}
END_TEST

static void deadline_acceptor(void *arg)
{
	int64_t t0 = tu_mono_ns();
	rn_conn *s;

	ck_assert_int_eq(rn_listener_set_deadline(g4.l, after(*(rn_duration *)arg)), 0);
	atomic_store(&g4.parked, true);
	s = rn_listener_accept(g4.l);
	g4.ms = ms_since(t0);
	g4.code = accept_code(s);
	tu_err_text(NULL, g4.err);
	rn_conn_free(s);
}

/* Another task of the thread moves the deadline 30 ms into the parked Accept. */
static void deadline_mover(void *arg)
{
	while (!atomic_load(&g4.parked))
		rn_yield();
	rn_sleep(30 * RN_MILLISECOND);
	ck_assert_int_eq(rn_listener_set_deadline(g4.l, after(*(rn_duration *)arg)), 0);
}

/* Accept parked with deadline @first, moved to now + @moved after 30 ms: how long it took. */
static long moved_deadline_ms(rn_duration first, rn_duration moved)
{
	memset(&g4, 0, sizeof(g4));
	g4.l = listen_loopback(g4.addr);
	tu_go(deadline_acceptor, &first);
	tu_go(deadline_mover, &moved);
	tu_run();
	ck_assert_msg(g4.code == RN_ETIMEOUT, "Accept gave %d (%s), want RN_ETIMEOUT", g4.code,
		      g4.err);
	rn_listener_free(g4.l);
	return g4.ms;
}

START_TEST(test_deadline_moved_later)
{
	long ms;

	if (!need_multishot("test_deadline_moved_later"))
		return;
	ms = moved_deadline_ms(100 * RN_MILLISECOND, 300 * RN_MILLISECOND);
	ck_assert_msg(ms >= 300 && ms < 2000, "timed out after %ld ms, want ~330", ms);
}
END_TEST

START_TEST(test_deadline_moved_earlier)
{
	long ms;

	if (!need_multishot("test_deadline_moved_earlier"))
		return;
	ms = moved_deadline_ms(5 * RN_SECOND, 20 * RN_MILLISECOND);
	ck_assert_msg(ms >= 45 && ms < 1000, "timed out after %ld ms, want ~50", ms);
}
END_TEST

/* ---- 5. back-pressure ------------------------------------------------------------------ */

static struct {
	rn_listener *l;
	char addr[RN_ADDR_STRLEN];
	rn_conn *dialed[MANY], *acc[MANY];
	int peak_dialing, after_dialing, peak_accepting;
} g5;

/* Arm the accept with an Accept that times out, dial MANY, then Accept them all. */
static void backpressure_task(void *arg)
{
	char e[TU_ERRLEN];
	int base;
	rn_conn *s;

	(void)arg;
	ck_assert_int_eq(rn_listener_set_deadline(g5.l, after(20 * RN_MILLISECOND)), 0);
	s = rn_listener_accept(g5.l);
	ck_assert_int_eq(accept_code(s), RN_ETIMEOUT);
	ck_assert_int_eq(rn_listener_set_deadline(g5.l, 0), 0);
	base = tu_count_fds();
	for (int i = 0; i < MANY; i++) {
		int q;

		g5.dialed[i] = dial(g5.addr);
		q = tu_count_fds() - base - (i + 1);
		if (q > g5.peak_dialing)
			g5.peak_dialing = q;
	}
	rn_sleep(50 * RN_MILLISECOND); /* whatever the armed accept would still take */
	g5.after_dialing = tu_count_fds() - base - MANY;
	for (int i = 0; i < MANY; i++) {
		int q;

		g5.acc[i] = rn_listener_accept(g5.l);
		ck_assert_msg(g5.acc[i] != NULL, "accept %d: %s", i, tu_err_text(NULL, e));
		q = tu_count_fds() - base - MANY - (i + 1);
		if (q > g5.peak_accepting)
			g5.peak_accepting = q;
	}
}

START_TEST(test_backpressure)
{
	static rn_conn *pair[MANY];
	rn_engine_stats st0, st1;

	if (!need_multishot("test_backpressure"))
		return;
	memset(&g5, 0, sizeof(g5));
	g5.l = listen_loopback(g5.addr);
	st0 = tu_engine_stats();
	tu_go(backpressure_task, NULL);
	tu_run();
	st1 = tu_engine_stats();
	printf("test_backpressure: queued peak %d while dialing, %d after, peak %d while "
	       "accepting; %llu arms\n",
	       g5.peak_dialing, g5.after_dialing, g5.peak_accepting,
	       st1.accept_multishot_armed - st0.accept_multishot_armed);
	/* Not all MANY were taken in: the accept stopped near the cap while they arrived. */
	ck_assert_msg(g5.after_dialing <= 2 * QUEUE_CAP,
		      "%d of %d conns accepted into ringnet with no Accept taking them",
		      g5.after_dialing, MANY);
	match_all(g5.dialed, MANY, g5.acc, MANY, pair, g5.addr);
	for (int i = 0; i < MANY; i++)
		exchange(g5.dialed[i], pair[i]);
	free_conns(g5.dialed, MANY);
	free_conns(g5.acc, MANY);
	rn_listener_free(g5.l);
}
END_TEST

/* ---- 6. moving between threads ------------------------------------------------------- */

/*
 * Dial D1, a task on runtime thread 0 takes A1 (the rest stay queued on
 * thread 0's armed accept); dial D2, the plain main thread takes A2, then
 * STEP conns one at a time; dial D3, a task on runtime thread 1 takes the
 * rest.  Nothing may be lost or taken twice.
 */
enum { D1 = 8, A1 = 5, D2 = 8, A2 = 7, STEP = 3, D3 = 6, MIG = D1 + D2 + STEP + D3 };

static struct {
	rn_listener *l;
	char addr[RN_ADDR_STRLEN];
	rn_conn *dialed[MIG], *acc[MIG];
	int ndialed, naccepted;
	int take;			/* how many the next runtime task takes */
	unsigned long long armed[2];	/* each runtime thread's arms during its task */
} g6;

static void mig_dial(int n)
{
	for (int i = 0; i < n; i++)
		g6.dialed[g6.ndialed++] = dial(g6.addr);
}

static void mig_accept_one(void)
{
	char e[TU_ERRLEN];
	rn_conn *s = rn_listener_accept(g6.l);

	ck_assert_msg(s != NULL, "accept %d on runtime thread %d: %s", g6.naccepted,
		      rn_runtime_thread(), tu_err_text(NULL, e));
	g6.acc[g6.naccepted++] = s;
}

static void mig_task(void *arg)
{
	rn_engine_stats st0 = tu_engine_stats(), st1;

	(void)arg;
	for (int i = 0; i < g6.take; i++)
		mig_accept_one();
	st1 = tu_engine_stats();
	g6.armed[rn_runtime_thread()] = st1.accept_multishot_armed - st0.accept_multishot_armed;
}

static void mig_on(rn_runtime *rt, int thread, int take)
{
	g6.take = take;
	ck_assert_int_eq(rn_go_on(rt, thread, mig_task, NULL), 0);
	ck_assert_int_eq(rn_runtime_wait(rt), 0);
}

START_TEST(test_migration)
{
	static rn_conn *pair[MIG];
	char e[TU_ERRLEN], want[TU_ERRLEN];
	rn_runtime *rt;
	rn_conn *s;

	if (!need_multishot("test_migration"))
		return;
	memset(&g6, 0, sizeof(g6));
	rt = rn_runtime_new(2);
	ck_assert_msg(rt != NULL, "rn_runtime_new: %s", tu_err_text(NULL, e));
	g6.l = listen_loopback(g6.addr);
	mig_dial(D1);
	mig_on(rt, 0, A1);
	mig_dial(D2);
	for (int i = 0; i < A2; i++)
		mig_accept_one();
	for (int i = 0; i < STEP; i++) {
		mig_dial(1);
		mig_accept_one();
	}
	mig_dial(D3);
	mig_on(rt, 1, MIG - A1 - A2 - STEP);
	ck_assert_uint_ge(g6.armed[0], 1);
	ck_assert_uint_ge(g6.armed[1], 1);
	/* Nothing left over: an Accept now (which ends thread 1's accept first) times out. */
	ck_assert_int_eq(rn_listener_set_deadline(g6.l, after(100 * RN_MILLISECOND)), 0);
	s = rn_listener_accept(g6.l);
	ck_assert_msg(s == NULL, "a conn more than was dialed was accepted");
	snprintf(want, sizeof want, "accept tcp %s: i/o timeout", g6.addr);
	expect_error(accept_code(s), RN_ETIMEOUT, want);
	ck_assert_int_eq(g6.naccepted, MIG);
	match_all(g6.dialed, MIG, g6.acc, MIG, pair, g6.addr);
	for (int i = 0; i < MIG; i++)
		exchange(g6.dialed[i], pair[i]);
	free_conns(g6.dialed, MIG);
	free_conns(g6.acc, MIG);
	rn_listener_free(g6.l);
	rn_runtime_free(rt);
}
END_TEST

/* ---- 7. rn_run returning with conns queued -------------------------------------------- */

START_TEST(test_run_returns_queue_stays)
{
	rn_conn *late, *s[QUEUED], *left;
	rn_engine_stats st0, st1;
	char e[TU_ERRLEN];

	if (!need_multishot("test_run_returns_queue_stays"))
		return;
	memset(&g3, 0, sizeof(g3));
	g3.l = listen_loopback(g3.addr);
	for (int i = 0; i < QUEUED; i++)
		g3_dialed[i] = dial(g3.addr);
	g3.want_fds = tu_count_fds() + QUEUED;
	tu_go(take_one_leave_rest, NULL);
	tu_run();
	/* QUEUED - 1 wait in ringnet; one more waits in the kernel's backlog. */
	late = dial(g3.addr);
	st0 = tu_engine_stats();
	for (int i = 1; i < QUEUED; i++) {
		s[i] = rn_listener_accept(g3.l);
		ck_assert_msg(s[i] != NULL, "accept %d: %s", i, tu_err_text(NULL, e));
		ck_assert_msg(rn_conn_remote_addr(s[i]).u.tcp.port == local_port(g3_dialed[i]),
			      "accept %d is not the queued dialed conn %d", i, i);
	}
	left = rn_listener_accept(g3.l);
	ck_assert_msg(left != NULL, "accept of the late conn: %s", tu_err_text(NULL, e));
	ck_assert_int_eq(rn_conn_remote_addr(left).u.tcp.port, local_port(late));
	st1 = tu_engine_stats();
	/* Only the late one needed an accept of its own. */
	ck_assert_uint_eq(st1.accept_oneshot - st0.accept_oneshot, 1);
	ck_assert_uint_eq(st1.accept_multishot_armed - st0.accept_multishot_armed, 0);
	s[0] = g3.first;
	for (int i = 0; i < QUEUED; i++)
		exchange(g3_dialed[i], s[i]);
	exchange(late, left);
	rn_conn_free(late);
	rn_conn_free(left);
	free_conns(s, QUEUED);
	free_conns(g3_dialed, QUEUED);
	rn_listener_free(g3.l);
}
END_TEST

START_TEST(test_free_with_queue_closes_it)
{
	if (!need_multishot("test_free_with_queue_closes_it"))
		return;
	memset(&g3, 0, sizeof(g3));
	g3.l = listen_loopback(g3.addr);
	for (int i = 0; i < QUEUED; i++)
		g3_dialed[i] = dial(g3.addr);
	g3.want_fds = tu_count_fds() + QUEUED;
	tu_go(take_one_leave_rest, NULL);
	tu_run();
	rn_listener_free(g3.l);
	for (int i = 1; i < QUEUED; i++)
		expect_peer_gone(g3_dialed[i], i);
	rn_conn_free(g3.first);
	free_conns(g3_dialed, QUEUED);
}
END_TEST

/* ---- 8. EMFILE -------------------------------------------------------------------------- */

#define FILLERS 1024 /* the environment may hold high descriptors with holes below */

static struct {
	rn_listener *l;
	char addr[RN_ADDR_STRLEN];
	int fillers[FILLERS], nfill;
	int code;
	char err[TU_ERRLEN];
	rn_conn *s;
	char err2[TU_ERRLEN];
} g8;

static void emfile_task(void *arg)
{
	rn_conn *s;

	(void)arg;
	s = rn_listener_accept(g8.l);
	g8.code = accept_code(s);
	tu_err_text(NULL, g8.err);
	rn_conn_free(s);
	for (int i = 0; i < 3; i++)
		close(g8.fillers[--g8.nfill]);
	g8.s = rn_listener_accept(g8.l);
	if (!g8.s)
		tu_err_text(NULL, g8.err2);
}

static int highest_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int hi = -1;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && atoi(de->d_name) > hi)
			hi = atoi(de->d_name);
	closedir(d);
	return hi;
}

/* Lower RLIMIT_NOFILE just above what is open and fill every free slot below it. */
static int exhaust_fds(void)
{
	struct rlimit rl;
	int fd;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	rl.rlim_cur = (rlim_t)highest_fd() + 8;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
		if (g8.nfill == FILLERS)
			return -1;
		g8.fillers[g8.nfill++] = fd;
	}
	return errno == EMFILE && g8.nfill >= 3 ? 0 : -1;
}

/* Child-side check: print what failed and give a distinct exit status. */
#define CHILD_CHECK(cond, status, ...)                          \
	do {                                                    \
		if (!(cond)) {                                  \
			printf("test_emfile: " __VA_ARGS__);    \
			printf("\n");                           \
			return (status);                        \
		}                                               \
	} while (0)

static int emfile_child(void)
{
	char want[TU_ERRLEN];
	rn_engine_stats st0, st1;
	rn_conn *c;
	char buf[1];

	if (rn_engine_start() < 0 || !(rn_engine_features() & RN_ENGINE_ACCEPT_MULTISHOT)) {
		printf("SKIP test_emfile: no RN_ENGINE_ACCEPT_MULTISHOT (%#x)\n",
		       rn_engine_features());
		return TU_SKIP;
	}
	g8.l = rn_listen("tcp", "127.0.0.1:0");
	CHILD_CHECK(g8.l != NULL, 2, "listen failed");
	tu_addr_str(rn_listener_addr(g8.l), g8.addr);
	c = rn_dial("tcp", g8.addr);
	CHILD_CHECK(c != NULL, 3, "dial failed");
	CHILD_CHECK(exhaust_fds() == 0, 4, "could not exhaust descriptors (%d filled)", g8.nfill);
	rn_engine_stats_get(&st0);
	CHILD_CHECK(rn_go(emfile_task, NULL) == 0 && rn_run() == 0, 5, "rn_go/rn_run failed");
	rn_engine_stats_get(&st1);
	snprintf(want, sizeof want, "accept tcp %s: accept4: too many open files", g8.addr);
	CHILD_CHECK(g8.code == -EMFILE, 6, "first Accept gave %d (%s), want -EMFILE", g8.code,
		    g8.err);
	CHILD_CHECK(strcmp(g8.err, want) == 0, 7, "error text \"%s\", want \"%s\"", g8.err, want);
	CHILD_CHECK(g8.s != NULL, 8, "Accept after freeing fds failed: %s", g8.err2);
	CHILD_CHECK(rn_conn_remote_addr(g8.s).u.tcp.port == rn_conn_local_addr(c).u.tcp.port, 9,
		    "the conn accepted is not the one dialed");
	CHILD_CHECK(rn_conn_write(g8.s, "x", 1) == 1 && rn_conn_read(c, buf, 1) == 1 &&
			    buf[0] == 'x',
		    10, "no data through the accepted conn");
	CHILD_CHECK(st1.accept_multishot_armed > st0.accept_multishot_armed &&
			    st1.accept_oneshot == st0.accept_oneshot,
		    11, "not the multishot path: %llu arms, %llu one-shot",
		    st1.accept_multishot_armed - st0.accept_multishot_armed,
		    st1.accept_oneshot - st0.accept_oneshot);
	printf("test_emfile: %llu arms\n", st1.accept_multishot_armed - st0.accept_multishot_armed);
	return 0;
}

START_TEST(test_emfile)
{
	int rc;

	if (!need_multishot("test_emfile"))
		return;
	rc = tu_run_child(emfile_child);
	if (rc == TU_SKIP)
		return;
	ck_assert_msg(rc == 0, "child exited with %d (see its output)", rc);
}
END_TEST

/* ---- 9. Unix listeners accept one-shot -------------------------------------------------- */

static struct {
	rn_listener *l;
	char name[108];
	rn_conn *c, *s;
} g9;

static void unix_acceptor(void *arg)
{
	char e[TU_ERRLEN];

	(void)arg;
	g9.s = rn_listener_accept(g9.l);
	ck_assert_msg(g9.s != NULL, "accept: %s", tu_err_text(NULL, e));
}

static void unix_dialer(void *arg)
{
	char e[TU_ERRLEN];

	(void)arg;
	g9.c = rn_dial("unix", g9.name);
	ck_assert_msg(g9.c != NULL, "dial %s: %s", g9.name, tu_err_text(NULL, e));
}

START_TEST(test_unix_accepts_oneshot)
{
	rn_engine_stats st0, st1;
	char e[TU_ERRLEN];

	memset(&g9, 0, sizeof(g9));
	snprintf(g9.name, sizeof g9.name, "@ringnet-test-%d-accept-ms", (int)getpid());
	g9.l = rn_listen("unix", g9.name);
	ck_assert_msg(g9.l != NULL, "listen unix: %s", tu_err_text(NULL, e));
	st0 = tu_engine_stats();
	tu_go(unix_acceptor, NULL);
	tu_go(unix_dialer, NULL);
	tu_run();
	st1 = tu_engine_stats();
	ck_assert_uint_eq(st1.accept_multishot_armed - st0.accept_multishot_armed, 0);
	ck_assert_uint_eq(st1.accept_oneshot - st0.accept_oneshot, 1);
	exchange(g9.c, g9.s);
	rn_conn_free(g9.c);
	rn_conn_free(g9.s);
	rn_listener_free(g9.l);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("accept_ms");
	TCase *tc = tu_engine_tcase("accept_ms");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_task_accepts_arm_once);
	tcase_add_test(tc, test_plain_thread_accepts_oneshot);
	tcase_add_test(tc, test_close_wakes_parked_accept);
	tcase_add_test(tc, test_close_closes_queued);
	tcase_add_test(tc, test_close_after_run_closes_queued);
	tcase_add_test(tc, test_deadline_then_next_conn);
	tcase_add_test(tc, test_deadline_moved_later);
	tcase_add_test(tc, test_deadline_moved_earlier);
	tcase_add_test(tc, test_backpressure);
	tcase_add_test(tc, test_migration);
	tcase_add_test(tc, test_run_returns_queue_stays);
	tcase_add_test(tc, test_free_with_queue_closes_it);
	tcase_add_test(tc, test_emfile);
	tcase_add_test(tc, test_unix_accepts_oneshot);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
