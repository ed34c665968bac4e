/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_task_many.c - 10,000 TCP connections open at once, each
 * served by its own task on one thread, every byte echoed exactly.
 *
 * The server, in the test process, is an accept-loop task that spawns a
 * handler task per connection, all on the test's thread; each handler
 * echoes until end of stream.  Once every connection is accepted (so all
 * of them are open at the same time) the server writes each a go byte.
 *
 * The clients run in a child forked before the server starts, so that each
 * process holds one end of every connection: 10,000 descriptors and a
 * margin each, where both ends in one process would pass the 20,000 hard
 * RLIMIT_NOFILE of the test machines.  Each client is a task: it dials,
 * waits for the go byte, then writes 1 KiB of its own pattern in
 * random-sized pieces and reads every piece back.  In the first case the
 * clients are tasks of the child's main thread; in the second they are
 * split between two plain threads, each in its own rn_run.  The child
 * sends its counts back through a pipe, and its exit status says whether
 * it saw a failure; on its first failure it reports at once and exits,
 * which the server sees as end of stream on every connection.
 *
 * The child's launcher keeps the dials not yet accepted under half the
 * listen backlog, so that no SYN is dropped (a dropped SYN costs a
 * one-second retransmit); the accept count it goes by lives in a page
 * the two processes share.  A watchdog task of the server reaps the child,
 * and kills it when the server fails or the time limit passes.
 *
 * The suite is skipped, with the reason printed, when the descriptors or
 * the tasks' stack mappings (vm.max_map_count) cannot fit.  Under
 * ThreadSanitizer it runs 1,000 connections (see RN_TASK_MANY_CONNS).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/engine.h>
#include <ringnet/net.h>
#include <ringnet/task.h>

#include "testutil.h"

#if defined(__SANITIZE_THREAD__)
#define RN_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RN_TEST_TSAN 1
#endif
#endif

/*
 * The connection count; a build may lower it to try the suite under a
 * smaller fd limit.  ThreadSanitizer makes every task a fiber of its own,
 * which costs about nine memory mappings and a slow start each: 10,000 of
 * them in a process would pass vm.max_map_count (65530 by default) and the
 * time limit.  Under it the same code runs with 1,000 connections, which
 * is what race detection needs.
 */
#ifndef RN_TASK_MANY_CONNS
#ifdef RN_TEST_TSAN
#define RN_TASK_MANY_CONNS 1000
#else
#define RN_TASK_MANY_CONNS 10000
#endif
#endif

enum {
	CONNS = RN_TASK_MANY_CONNS,
	PATTERN = 1024,			/* bytes each client sends and reads back */
	PIECE_MAX = 300,		/* the largest random piece */
	NEED_FDS = CONNS + 1000,	/* one end of each connection a process, and room */
	CLIENT_THREADS = 2,		/* of the second case */
	TIME_LIMIT_S = 60,
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Connection @i's pattern: its own bytes, so a crossed wire shows. */
static void pattern(int i, uint8_t out[PATTERN])
{
	uint64_t s = 0x9e3779b97f4a7c15ull ^ ((uint64_t)i * 0x100000001b3ull);

	for (int j = 0; j < PATTERN; j += 8) {
		uint64_t r = rng_next(&s);

		memcpy(out + j, &r, 8);
	}
}

/* Lines of /proc/self/maps: the process's memory mappings. */
static int count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, ch;

	if (!f)
		return -1;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static const char *last_err(char buf[256])
{
	rn_error_string(NULL, buf, 256);
	return buf;
}

/* ---- failures, one record a process ---------------------------------------------- */

static struct {
	pthread_mutex_t mu;		/* guards text; never held across a ringnet call */
	atomic_int count;
	char text[256];
	void (*first)(void);		/* the child reports and exits on its first */
} fails = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void note_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note_fail(const char *fmt, ...)
{
	va_list ap;
	bool first;

	pthread_mutex_lock(&fails.mu);
	first = atomic_fetch_add(&fails.count, 1) == 0;
	if (first) {
		va_start(ap, fmt);
		vsnprintf(fails.text, sizeof fails.text, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&fails.mu);
	if (first && fails.first)
		fails.first();
}

/* ---- what the two processes share ------------------------------------------------ */

/* A MAP_SHARED page: the server counts accepts, the launcher paces dials by it. */
struct shared {
	atomic_int naccepted;
};

/* What the child sends back through the report pipe, in one write. */
struct report {
	int dialed, finished, open, max_open;
	long verified;			/* bytes that came back intact */
	int peak_maps;			/* the child's mappings with every client open */
	int fds_before, fds_after;	/* descriptors before the clients and after */
	int failures;
	char fail[256];
};

/* ---- the client side, in the child ------------------------------------------------- */

static struct {
	struct shared *sh;
	char addr[RN_ADDR_STRLEN];
	int window;			/* dials allowed ahead of accepts */
	int report_fd;
	atomic_int launched, dialed, open, max_open, finished, peak_maps;
	atomic_long verified;
	int ids[CONNS];			/* client task arguments */
} cw;

/* The clients a launcher starts: @n from @first; @rc is its thread's rn_run result. */
struct range {
	int first, n, rc;
};

static void fill_report(struct report *r)
{
	memset(r, 0, sizeof *r);
	r->dialed = atomic_load(&cw.dialed);
	r->finished = atomic_load(&cw.finished);
	r->open = atomic_load(&cw.open);
	r->max_open = atomic_load(&cw.max_open);
	r->verified = atomic_load(&cw.verified);
	r->peak_maps = atomic_load(&cw.peak_maps);
	pthread_mutex_lock(&fails.mu);
	r->failures = atomic_load(&fails.count);
	memcpy(r->fail, fails.text, sizeof r->fail);
	pthread_mutex_unlock(&fails.mu);
}

static void send_report(struct report *r)
{
	/* Smaller than PIPE_BUF: one write, never torn. */
	if (write(cw.report_fd, r, sizeof *r) != (ssize_t)sizeof *r)
		_exit(3);
}

/*
 * The child's first failure: report it and exit now.  Its descriptors close
 * with it, so the server's handlers see end of stream rather than waiting
 * for the watchdog's time limit.
 */
static void client_give_up(void)
{
	struct report r;

	fill_report(&r);
	send_report(&r);
	_exit(1);
}

static void note_open(void)
{
	int now = atomic_fetch_add(&cw.open, 1) + 1, max = atomic_load(&cw.max_open);

	while (now > max && !atomic_compare_exchange_weak(&cw.max_open, &max, now))
		;
	if (now == CONNS)
		atomic_store(&cw.peak_maps, count_maps());
}

static void exchange(rn_conn *c, int i)
{
	uint8_t pat[PATTERN], got[PIECE_MAX];
	uint64_t seed = 0x243f6a8885a308d3ull + (uint64_t)i;
	char e[256], g;

	if (tu_read_full(c, &g, 1) != 1 || g != 'g') {
		note_fail("client %d: no go byte: %s", i, last_err(e));
		return;
	}
	pattern(i, pat);
	for (size_t off = 0; off < PATTERN;) {
		size_t n = 1 + (size_t)(rng_next(&seed) % PIECE_MAX);

		if (n > PATTERN - off)
			n = PATTERN - off;
		if (rn_conn_write(c, pat + off, n) != (ssize_t)n) {
			note_fail("client %d: write %zu at %zu: %s", i, n, off, last_err(e));
			return;
		}
		if (tu_read_full(c, got, n) != (ssize_t)n) {
			note_fail("client %d: read %zu at %zu: %s", i, n, off, last_err(e));
			return;
		}
		if (memcmp(got, pat + off, n) != 0) {
			note_fail("client %d: the %zu bytes at %zu came back different", i, n, off);
			return;
		}
		atomic_fetch_add(&cw.verified, (long)n);
		off += n;
	}
}

static void client_task(void *arg)
{
	int i = *(int *)arg;
	rn_conn *c = rn_dial("tcp", cw.addr);
	char e[256];

	if (!c) {
		note_fail("client %d: dial: %s", i, last_err(e));
		return;
	}
	atomic_fetch_add(&cw.dialed, 1);
	note_open();
	exchange(c, i);
	atomic_fetch_sub(&cw.open, 1);
	rn_conn_free(c); /* the handler sees end of stream */
	atomic_fetch_add(&cw.finished, 1);
}

static void launcher_task(void *arg)
{
	struct range *r = arg;
	char e[256];

	for (int i = r->first; i < r->first + r->n; i++) {
		/* Keep the listen queue from overflowing while the server catches up. */
		while (atomic_load(&cw.launched) - atomic_load(&cw.sh->naccepted) >= cw.window)
			rn_sleep(RN_MILLISECOND);
		atomic_fetch_add(&cw.launched, 1);
		cw.ids[i] = i;
		if (rn_go(client_task, &cw.ids[i]) != 0) {
			note_fail("rn_go client %d: %s", i, last_err(e));
			return;
		}
	}
}

/* Run the clients of @r on the calling thread; r->rc is rn_run's result. */
static void run_clients(struct range *r)
{
	char e[256];

	if (rn_go(launcher_task, r) != 0) {
		note_fail("rn_go launcher: %s", last_err(e));
		return;
	}
	r->rc = rn_run();
	if (r->rc != 0)
		note_fail("client rn_run: %s", last_err(e));
}

static void *client_thread(void *arg)
{
	run_clients(arg);
	return NULL; /* the thread's engine is torn down as it exits */
}

/* The address the server listens on, from the pipe the parent closes after it. */
static bool read_addr(int fd)
{
	size_t got = 0;
	ssize_t r;

	while ((r = read(fd, cw.addr + got, sizeof cw.addr - 1 - got)) > 0)
		got += (size_t)r;
	cw.addr[got] = '\0';
	return r == 0 && got > 0;
}

/*
 * The child: the clients, on this thread (@threads 0) or split between
 * @threads plain threads.  Its exit status is 0 when every byte came back.
 * It must not use ck_assert: the failure would go to Check as the test's.
 */
static int client_main(pid_t parent, int addr_fd, int report_fd, int threads)
{
	struct range all = { 0, CONNS, -1 }, part[CLIENT_THREADS];
	pthread_t t[CLIENT_THREADS];
	struct report r;
	int fds_before;

	/* Go when the test process goes, however it ends. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		return 2;
	cw.report_fd = report_fd;
	fails.first = client_give_up;
	if (!read_addr(addr_fd))
		return 2; /* the server could not start: nothing to report */
	close(addr_fd);
	fds_before = tu_count_fds();
	if (threads == 0) {
		run_clients(&all);
		rn_engine_stop();
	} else {
		for (int k = 0; k < threads; k++) {
			part[k] = (struct range){ CONNS * k / threads,
						  CONNS * (k + 1) / threads - CONNS * k / threads,
						  -1 };
			if (pthread_create(&t[k], NULL, client_thread, &part[k]) != 0)
				note_fail("pthread_create %d failed", k);
		}
		for (int k = 0; k < threads; k++)
			pthread_join(t[k], NULL);
	}
	fill_report(&r);
	r.fds_before = fds_before;
	r.fds_after = tu_count_fds();
	send_report(&r);
	close(report_fd);
	return r.failures == 0 ? 0 : 1;
}

/* ---- the server side, in the test process ----------------------------------------- */

static struct {
	struct shared *sh;
	rn_listener *l;
	rn_conn **accepted;		/* freed by the test once every task is done */
	int open, max_open;		/* connections not yet at end of stream */
	int open_at_go;			/* open when the go bytes went out */
	long echoed;			/* bytes the handlers sent back */
	int peak_maps;			/* mappings with every handler alive */
	pid_t child;
	int child_status;
	bool reaped;
	int64_t deadline;
} sw;

static void handler_task(void *arg)
{
	rn_conn *c = arg;
	uint8_t buf[512];
	char e[256];

	for (;;) {
		ssize_t r = rn_conn_read(c, buf, sizeof buf);

		if (r == 0)
			break;
		if (r < 0) {
			note_fail("handler read: %s", last_err(e));
			break;
		}
		if (rn_conn_write(c, buf, (size_t)r) != r) {
			note_fail("handler write: %s", last_err(e));
			break;
		}
		sw.echoed += r;
	}
	sw.open--;
	rn_conn_close(c);
}

static void accept_loop_task(void *arg)
{
	char e[256];

	(void)arg;
	for (int i = 0; i < CONNS; i++) {
		rn_conn *c = rn_listener_accept(sw.l);

		if (!c) {
			note_fail("accept %d: %s", i, last_err(e));
			rn_listener_close(sw.l);
			return;
		}
		sw.accepted[i] = c;
		if (++sw.open > sw.max_open)
			sw.max_open = sw.open;
		atomic_fetch_add(&sw.sh->naccepted, 1);
		if (rn_go(handler_task, c) != 0) {
			note_fail("rn_go handler %d: %s", i, last_err(e));
			sw.open--;
			rn_conn_close(c);
		}
	}
	sw.peak_maps = count_maps();
	sw.open_at_go = sw.open;
	/* All of them are open: let the clients talk. */
	for (int i = 0; i < CONNS; i++)
		if (rn_conn_write(sw.accepted[i], "g", 1) != 1)
			note_fail("go byte %d: %s", i, last_err(e));
}

/*
 * Reap the child; kill it first on the server's first failure or at the
 * time limit, so that nothing waits on clients that will never come.
 */
static void watchdog_task(void *arg)
{
	bool killed = false;

	(void)arg;
	for (;;) {
		pid_t p = waitpid(sw.child, &sw.child_status, WNOHANG);

		if (p == sw.child) {
			sw.reaped = true;
			break;
		}
		if (p < 0) {
			note_fail("waitpid: %s", strerror(errno));
			break;
		}
		if (!killed && (atomic_load(&fails.count) > 0 || mono_ns() > sw.deadline)) {
			if (atomic_load(&fails.count) == 0)
				note_fail("the clients were not done in %d s", TIME_LIMIT_S);
			kill(sw.child, SIGKILL);
			killed = true;
		}
		rn_sleep(5 * RN_MILLISECOND);
	}
	/* The clients are gone: an accept still waiting would wait forever. */
	if (atomic_load(&sw.sh->naccepted) < CONNS)
		rn_listener_close(sw.l);
}

/* Kill and reap the child when the server cannot start. */
static void child_abort(void)
{
	kill(sw.child, SIGKILL);
	if (waitpid(sw.child, &sw.child_status, 0) == sw.child)
		sw.reaped = true;
}

/* ---- will it fit? --------------------------------------------------------------------- */

/*
 * Raise the soft RLIMIT_NOFILE to the hard limit (the child inherits it);
 * false, with the reason printed, if the hard limit is below NEED_FDS and
 * cannot be raised.
 */
static bool enough_fds(const char *test)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < NEED_FDS) {
		unsigned long hard = (unsigned long)rl.rlim_max;

		/* Root (CAP_SYS_RESOURCE) may raise the hard limit too. */
		rl.rlim_max = NEED_FDS;
		rl.rlim_cur = NEED_FDS;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			printf("%s: skipped: RLIMIT_NOFILE hard limit %lu < %d and not raisable "
			       "(%s)\n",
			       test, hard, NEED_FDS, strerror(errno));
			return false;
		}
		return true;
	}
	if (rl.rlim_max != RLIM_INFINITY)
		rl.rlim_cur = rl.rlim_max;
	else if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < NEED_FDS)
		rl.rlim_cur = NEED_FDS;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	return true;
}

#define PROBE_TASKS 64

static int probe_maps;

static void probe_sleeper_task(void *arg)
{
	(void)arg;
	rn_sleep(RN_MILLISECOND);
}

static void probe_counter_task(void *arg)
{
	(void)arg;
	rn_yield(); /* the sleepers are parked, their stacks mapped */
	probe_maps = count_maps();
}

/*
 * Every task stack is two mappings (the stack and its guard page), more
 * under a sanitizer: measure what PROBE_TASKS tasks cost and see whether
 * one side's tasks fit under vm.max_map_count.  False, with the reason
 * printed, if they would not.
 */
static bool enough_maps(const char *test)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	long max = 0, base, per_hundred, need;

	if (!f)
		return true; /* nothing to go by: try */
	if (fscanf(f, "%ld", &max) != 1)
		max = 0;
	fclose(f);
	if (max <= 0)
		return true;
	base = count_maps();
	for (int i = 0; i < PROBE_TASKS; i++)
		ck_assert_int_eq(rn_go(probe_sleeper_task, NULL), 0);
	ck_assert_int_eq(rn_go(probe_counter_task, NULL), 0);
	ck_assert_int_eq(rn_run(), 0);
	per_hundred = ((long)probe_maps - base) * 100 / PROBE_TASKS;
	/* A connection's task, the few others, and a tenth to spare. */
	need = base + per_hundred * (CONNS + 3) / 100 * 11 / 10;
	if (need > max) {
		printf("%s: skipped: %d tasks need about %ld memory mappings (%ld.%02ld per task), "
		       "vm.max_map_count is %ld\n",
		       test, CONNS + 2, need, per_hundred / 100, per_hundred % 100, max);
		return false;
	}
	return true;
}

/* Half the listen backlog (net.core.somaxconn), at most 512. */
static int dial_window(void)
{
	FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
	int backlog = 128;

	if (f) {
		if (fscanf(f, "%d", &backlog) != 1)
			backlog = 128;
		fclose(f);
	}
	backlog /= 2;
	return backlog < 1 ? 1 : backlog > 512 ? 512 : backlog;
}

/* ---- the cases ---------------------------------------------------------------------- */

static const char *status_text(int st, char buf[64])
{
	if (WIFEXITED(st))
		snprintf(buf, 64, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, 64, "signal %d", WTERMSIG(st));
	else
		snprintf(buf, 64, "status %#x", (unsigned)st);
	return buf;
}

/* Fork the clients (@threads: 0 for the child's main thread), serve them, check. */
static void run_case(const char *test, int threads)
{
	int addr_pipe[2], report_pipe[2];
	struct report rep;
	char e[256], st[64], addr[RN_ADDR_STRLEN];
	ssize_t got;
	rn_addr la;
	double secs;
	int64_t t0;

	if (!enough_fds(test) || !enough_maps(test))
		return;
	memset(&sw, 0, sizeof sw);
	memset(&cw, 0, sizeof cw);
	atomic_store(&fails.count, 0);
	fails.first = NULL;
	sw.sh = mmap(NULL, sizeof *sw.sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	ck_assert_ptr_ne(sw.sh, MAP_FAILED);
	atomic_init(&sw.sh->naccepted, 0);
	cw.sh = sw.sh;
	cw.window = dial_window();
	sw.accepted = calloc(CONNS, sizeof *sw.accepted);
	ck_assert_ptr_nonnull(sw.accepted);
	ck_assert_int_eq(pipe(addr_pipe), 0);
	ck_assert_int_eq(pipe(report_pipe), 0);

	/* The child starts an engine of its own: never share this ring with it. */
	rn_engine_stop();
	fflush(stdout);
	fflush(stderr);
	t0 = mono_ns();
	sw.deadline = t0 + (int64_t)TIME_LIMIT_S * 1000000000;
	sw.child = fork();
	ck_assert_int_ge(sw.child, 0);
	if (sw.child == 0) {
		close(addr_pipe[1]);
		close(report_pipe[0]);
		_exit(client_main(getppid(), addr_pipe[0], report_pipe[1], threads));
	}
	close(addr_pipe[0]);
	close(report_pipe[1]);

	sw.l = rn_listen("tcp", "127.0.0.1:0");
	if (sw.l) {
		la = rn_listener_addr(sw.l);
		if (rn_addr_string(&la, addr, sizeof addr) < 0 ||
		    write(addr_pipe[1], addr, strlen(addr)) != (ssize_t)strlen(addr))
			note_fail("passing the address %s to the clients", addr);
	} else {
		note_fail("listen: %s", last_err(e));
	}
	close(addr_pipe[1]); /* end of the address: the child dials */
	if (atomic_load(&fails.count) == 0 && (rn_go(accept_loop_task, NULL) != 0 ||
					       rn_go(watchdog_task, NULL) != 0))
		note_fail("rn_go: %s", last_err(e));
	if (atomic_load(&fails.count) != 0) {
		child_abort();
		close(report_pipe[0]);
		rn_listener_free(sw.l);
		free(sw.accepted);
		munmap(sw.sh, sizeof *sw.sh);
		ck_abort_msg("%s", fails.text);
	}
	if (rn_run() != 0)
		note_fail("rn_run: %s", last_err(e));
	if (!sw.reaped)
		child_abort();
	secs = (double)(mono_ns() - t0) / 1e9;

	/* The child has exited: its report is whole in the pipe, or absent. */
	memset(&rep, 0, sizeof rep);
	got = read(report_pipe[0], &rep, sizeof rep);
	close(report_pipe[0]);
	ck_assert_msg(atomic_load(&fails.count) == 0 && got == (ssize_t)sizeof rep &&
			      rep.failures == 0 && sw.reaped && WIFEXITED(sw.child_status) &&
			      WEXITSTATUS(sw.child_status) == 0,
		      "server: %d failures (%s); clients: %s, %s, %d failures (%s)",
		      atomic_load(&fails.count), fails.text,
		      sw.reaped ? status_text(sw.child_status, st) : "not reaped",
		      got == (ssize_t)sizeof rep ? "reported" : "no report", rep.failures,
		      rep.fail);

	/* The server: every connection open at once, every byte echoed. */
	ck_assert_int_eq(atomic_load(&sw.sh->naccepted), CONNS);
	ck_assert_int_eq(sw.open_at_go, CONNS);
	ck_assert_int_eq(sw.max_open, CONNS);
	ck_assert_int_eq(sw.open, 0);
	ck_assert_int_eq(sw.echoed, (long)CONNS * PATTERN);
	/* The clients: the same, from their end. */
	ck_assert_int_eq(rep.dialed, CONNS);
	ck_assert_int_eq(rep.finished, CONNS);
	ck_assert_int_eq(rep.max_open, CONNS);
	ck_assert_int_eq(rep.open, 0);
	ck_assert_int_eq(rep.verified, (long)CONNS * PATTERN);
	ck_assert_msg(rep.fds_after == rep.fds_before,
		      "client fd leak: %d open fds before, %d after", rep.fds_before,
		      rep.fds_after);
	printf("%s: %d connections, %d bytes each echoed, %d+%d mappings at the peak, %.2f s\n",
	       test, CONNS, PATTERN, sw.peak_maps, rep.peak_maps, secs);
	ck_assert_msg(secs < TIME_LIMIT_S, "took %.1f s", secs);

	for (int i = 0; i < CONNS; i++)
		rn_conn_free(sw.accepted[i]);
	rn_listener_free(sw.l);
	free(sw.accepted);
	munmap(sw.sh, sizeof *sw.sh);
}

START_TEST(test_ten_thousand_conns_one_thread)
{
	run_case("test_ten_thousand_conns_one_thread", 0);
}
END_TEST

START_TEST(test_ten_thousand_conns_two_threads)
{
	run_case("test_ten_thousand_conns_two_threads", CLIENT_THREADS);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("task_many");
	TCase *tc = tu_engine_tcase("many");

	tcase_set_timeout(tc, 240); /* the limit that matters is TIME_LIMIT_S, checked above */
	tcase_add_test(tc, test_ten_thousand_conns_one_thread);
	tcase_add_test(tc, test_ten_thousand_conns_two_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
