/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet-proxy - a TCP proxy on ringnet's tasks.
 *
 *   ringnet-proxy [-c DURATION] [-i DURATION] [-t N] LISTEN UPSTREAM...
 *
 * Each client gets a task that dials the next upstream in round-robin order
 * (trying the others in turn when a dial fails or times out), then copies
 * bytes both ways: the task itself from the client to the upstream, a
 * second task from the upstream to the client, joined by a wait group.  An
 * end of stream in one direction becomes a CloseWrite on the other
 * connection while the other direction goes on (half-close).  The idle
 * limit is kept with read and write deadlines at "last byte moved either
 * way + idle": a deadline that fires while the other direction was busy is
 * re-armed, one that fires after a whole idle period closes both.
 *
 * With -t N, N threads each run their own accept loop and tasks on their own
 * SO_REUSEPORT listener; the kernel spreads new connections over them.
 * SIGINT and SIGTERM (taken by a sigwait thread) cancel dials in progress
 * and close the listeners; each accept loop then closes its connections,
 * their tasks end, rn_run() returns on every thread and the program exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringnet/ringnet.h>

#include "go_duration.h"
#include "tool_common.h"

#define SYNOPSIS "[-c DURATION] [-i DURATION] [-t N] LISTEN UPSTREAM..."
#define COPY_BUF (32 * 1024)
#define THREADS_MAX 256

static const char *prog = "ringnet-proxy";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s " SYNOPSIS "\n"
		"\n"
		"A TCP proxy on the ringnet io_uring engine.  It listens on LISTEN as Go's\n"
		"net.Listen(\"tcp\", LISTEN) does, prints \"proxy on ADDR\" once ready (with\n"
		"the port the kernel chose when the port is 0), and connects each client\n"
		"to the next UPSTREAM in round-robin order; when that dial fails or times\n"
		"out it tries the next one, and closes the client once all have failed.\n"
		"Bytes are then copied both ways; when one side ends its stream the other\n"
		"side's writing half is shut down (CloseWrite) and the other direction\n"
		"goes on until it ends too.\n"
		"\n"
		"options:\n"
		"  -c, --connect-timeout DURATION  give up a dial after DURATION, a Go\n"
		"                        duration such as 500ms, 10s or 1m30s (default 10s;\n"
		"                        0 means no limit)\n"
		"  -i, --idle DURATION   close both connections when no byte has moved\n"
		"                        either way for DURATION (default 0: no limit)\n"
		"  -t, --threads N       N threads, each with its own SO_REUSEPORT\n"
		"                        listener, accept loop and tasks (default 1)\n"
		"  -h, --help            print this help and exit\n"
		"  -V, --version         print the ringnet version and exit\n"
		"\n"
		"Each connection is served by two tasks (rn_go), one per direction, on its\n"
		"thread.  Errors are printed on stderr in Go's words.  SIGINT or SIGTERM\n"
		"closes the listener, then the open connections, and the program exits 0;\n"
		"if that is stuck, another signal a second or more later exits at once.\n"
		"\n"
		"exit status: 0 after SIGINT/SIGTERM, 1 when listening or accepting\n"
		"fails (or a stuck shutdown is cut short), 2 for a usage error.\n"
		"\n"
		"examples:\n"
		"  %s 127.0.0.1:8080 127.0.0.1:9000 127.0.0.1:9001\n"
		"  %s -c 2s -i 5m -t 4 '[::1]:8443' '[::1]:443'\n",
		prog, prog, prog);
}

/* ---- configuration and shared state ------------------------------------------ */

static const char *const *upstreams; /* argv's UPSTREAMs */
static size_t nupstreams;
static rn_duration connect_timeout = 10 * RN_SECOND;
static rn_duration idle;		     /* 0 = none */
static atomic_uint_fast64_t next_upstream;   /* round robin over every thread */
static atomic_bool stopping;		     /* a signal asked us to stop */

/* What the signal thread stops (under mu). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static rn_ctx *stop_ctx; /* canceled to end the dials in progress */
static rn_listener *listeners[THREADS_MAX];
static size_t nlisteners;

/* One client and its upstream; owned by the tasks of one thread. */
struct session {
	struct worker *w;
	rn_conn *client, *up;
	struct session *prev, *next; /* in w->sessions */
	rn_time last;		     /* when a byte last moved either way */
	bool closing;		     /* both conns were closed on purpose */
	rn_waitgroup *wg;	     /* the upstream-to-client task */
};

/* One thread: a listener, its accept loop, its sessions. */
struct worker {
	rn_listener *l;
	pthread_t thread;
	struct session *sessions; /* open sessions (this thread's tasks only) */
	int status;		  /* the thread's exit status */
};

/* ---- copying -------------------------------------------------------------------- */

/* A session's conns are closed on purpose: the errors that follow are not news. */
static void session_close(struct session *s)
{
	if (s->closing)
		return;
	s->closing = true;
	rn_conn_close(s->client);
	if (s->up)
		rn_conn_close(s->up);
}

/* A call failed with the last error: say why (unless we caused it), and end the session. */
static void session_fail(struct session *s)
{
	if (!s->closing && !atomic_load(&stopping))
		print_last_error();
	session_close(s);
}

/* Whether nothing has moved either way for a whole idle period. */
static bool idle_passed(const struct session *s)
{
	return idle > 0 && rn_now() >= rn_time_add(s->last, idle);
}

/*
 * One direction of a session.  Its deadlines are moved only once they have
 * passed, not before every call: setting a deadline re-arms every call in
 * flight on the conn, the other direction's included.  A deadline that
 * fires while the other direction kept busy is simply moved on.
 */
struct dir {
	struct session *s;
	rn_conn *dst, *src;
	rn_time rdl, wdl; /* the deadlines now set on src (read) and dst (write) */
};

/* Move a deadline that has passed to "last byte moved + idle".  0, or -1 (closed). */
static int refresh(struct dir *d, rn_time *dl, bool rd)
{
	rn_conn *c = rd ? d->src : d->dst;

	if (idle == 0 || *dl > rn_now())
		return 0;
	*dl = rn_time_add(d->s->last, idle);
	return (rd ? rn_conn_set_read_deadline(c, *dl) : rn_conn_set_write_deadline(c, *dl)) < 0
		       ? -1
		       : 0;
}

/* Write all @n bytes to d->dst under the idle limit.  0, or -1 with the reason recorded. */
static int write_all(struct dir *d, const char *buf, size_t n)
{
	while (n > 0) {
		if (refresh(d, &d->wdl, false) < 0)
			return -1;
		ssize_t w = rn_conn_write(d->dst, buf, n);
		if (w == (ssize_t)n)
			return 0;
		int code = w > 0 ? rn_last_error()->code : (int)w;
		if (w > 0) {
			buf += w;
			n -= (size_t)w;
			d->s->last = rn_now();
		}
		/* A peer that reads slowly is not idle while the other direction moves. */
		if (code != RN_ETIMEOUT || idle_passed(d->s))
			return -1;
	}
	return 0;
}

/*
 * io.Copy(dst, src) under the idle limit, then CloseWrite(dst) at the end of
 * @src's stream; any failure closes both conns.
 */
static void pump(struct session *s, rn_conn *dst, rn_conn *src)
{
	struct dir d = { .s = s, .dst = dst, .src = src };
	char *buf = malloc(COPY_BUF);

	if (!buf) {
		print_enomem();
		session_close(s);
		return;
	}
	for (;;) {
		if (refresh(&d, &d.rdl, true) < 0) {
			session_fail(s);
			break;
		}
		ssize_t n = rn_conn_read(src, buf, COPY_BUF);
		if (n > 0) {
			s->last = rn_now();
			if (write_all(&d, buf, (size_t)n) < 0) {
				session_fail(s);
				break;
			}
			continue;
		}
		if (n == 0) {
			/*
			 * Half-close: the other direction goes on.  A CloseWrite
			 * that fails finds a conn already dead, which the other
			 * direction's own calls will report.
			 */
			rn_tcpconn_close_write(dst);
			break;
		}
		/* The deadline was set before the other direction last moved bytes. */
		if (n == RN_ETIMEOUT && !idle_passed(s))
			continue;
		session_fail(s);
		break;
	}
	free(buf);
}

/* The second task of a session: upstream to client. */
static void pump_back(void *arg)
{
	struct session *s = arg;

	pump(s, s->client, s->up);
	rn_waitgroup_done(s->wg);
}

/* ---- a session ----------------------------------------------------------------- */

/* Dial the upstreams from the next in turn until one answers.  NULL when none does. */
static rn_conn *dial_upstream(struct session *s)
{
	rn_dialer d = { .timeout = connect_timeout };
	size_t first = (size_t)(atomic_fetch_add(&next_upstream, 1) % nupstreams);

	for (size_t k = 0; k < nupstreams && !s->closing; k++) {
		rn_conn *c = rn_dialer_dial_context(&d, stop_ctx, "tcp",
						    upstreams[(first + k) % nupstreams]);

		if (c)
			return c;
		if (atomic_load(&stopping))
			return NULL; /* the dial was canceled on purpose */
		print_last_error();
	}
	return NULL;
}

static void session_unlink(struct session *s)
{
	struct worker *w = s->w;

	if (s->prev)
		s->prev->next = s->next;
	else
		w->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

/* A client's task: find an upstream, copy both ways until both directions end. */
static void serve_client(void *arg)
{
	struct session *s = arg;

	s->up = dial_upstream(s);
	if (!s->up) {
		if (!s->closing && !atomic_load(&stopping)) {
			rn_addr ra = rn_conn_remote_addr(s->client);
			char abuf[RN_ADDR_STRLEN];

			rn_addr_string(&ra, abuf, sizeof abuf);
			fprintf(stderr, "%s: client %s: no upstream answered, closing it\n", prog,
				abuf);
		}
	} else if (s->closing) {
		rn_conn_close(s->up); /* the shutdown came while dialing */
	} else {
		s->last = rn_now();
		s->wg = rn_waitgroup_new();
		if (!s->wg || rn_waitgroup_add(s->wg, 1) < 0 || rn_go(pump_back, s) < 0) {
			print_last_error();
		} else {
			pump(s, s->up, s->client);
			rn_waitgroup_wait(s->wg);
		}
	}
	session_unlink(s);
	rn_waitgroup_free(s->wg);
	rn_conn_free(s->up);
	rn_conn_free(s->client);
	free(s);
}

/* ---- accepting ------------------------------------------------------------------ */

static void stop_all(void);

/* Start a session task for @c, or close it when that cannot be done. */
static void spawn_session(struct worker *w, rn_conn *c)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s) {
		print_enomem();
		rn_conn_free(c);
		return;
	}
	s->w = w;
	s->client = c;
	if (rn_go(serve_client, s) < 0) {
		print_last_error_in("cannot start a connection task");
		rn_conn_free(c);
		free(s);
		return;
	}
	s->next = w->sessions;
	if (w->sessions)
		w->sessions->prev = s;
	w->sessions = s;
}

/*
 * A thread's accept task: a session task per client until the listener is
 * closed (or fails), then close every open session so its tasks end and
 * rn_run() returns.  Close never parks, so the list holds still meanwhile.
 */
static void accept_loop(void *arg)
{
	struct worker *w = arg;
	rn_duration delay = 0; /* the back-off after an accept error */

	for (;;) {
		rn_conn *c = rn_listener_accept(w->l);
		if (c) {
			delay = 0;
			spawn_session(w, c);
			continue;
		}
		int code = rn_last_error()->code;
		if (code == RN_ECLOSED && atomic_load(&stopping))
			break; /* the signal thread closed the listener */
		print_last_error();
		if (!accept_backoff(code, &delay)) {
			/* As with one thread: the whole proxy stops, with status 1. */
			w->status = 1;
			stop_all();
			break;
		}
	}
	for (struct session *s = w->sessions; s; s = s->next)
		session_close(s);
}

/* Run @w's accept loop and sessions on the calling thread until they all end. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (rn_go(accept_loop, w) < 0 || rn_run() < 0) {
		print_last_error();
		w->status = 1;
		/* A listener nobody accepts on would swallow its share of clients: stop all. */
		stop_all();
	}
	return NULL;
}

/* ---- signals and main ----------------------------------------------------------- */

/* Stop: no new dials, no new clients.  Callers hold mu. */
static void stop_locked(void)
{
	atomic_store(&stopping, true);
	rn_ctx_cancel(stop_ctx);
	for (size_t i = 0; i < nlisteners; i++)
		rn_listener_close(listeners[i]); /* wakes the parked Accept */
}

/* The same, from any thread; the signal thread's stop. */
static void stop_all(void)
{
	pthread_mutex_lock(&mu);
	stop_locked();
	pthread_mutex_unlock(&mu);
}

/*
 * Open the @n listeners (the first on LISTEN, the others on the address it
 * got, so ":0" means one port), run a worker per listener (the first on
 * this thread) and wait for them all.
 */
static int serve(const char *address, size_t n)
{
	rn_listen_config lc = { .reuse_port = n > 1 };
	struct worker *w = calloc(n, sizeof(*w));
	char abuf[RN_ADDR_STRLEN];
	size_t started = 1;
	int status = 0;

	if (!w) {
		print_enomem();
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		w[i].l = rn_listen_config_listen(&lc, NULL, "tcp", i == 0 ? address : abuf);
		if (!w[i].l) {
			print_last_error();
			status = 1;
			goto out;
		}
		if (i == 0) {
			rn_addr la = rn_listener_addr(w[0].l);
			rn_addr_string(&la, abuf, sizeof abuf);
		}
		pthread_mutex_lock(&mu);
		listeners[nlisteners++] = w[i].l;
		if (atomic_load(&stopping)) /* a signal that came before it existed */
			rn_listener_close(w[i].l);
		pthread_mutex_unlock(&mu);
	}
	printf("proxy on %s\n", abuf);
	if (flush_stdout() < 0) {
		status = 1;
		goto out;
	}

	for (; started < n; started++) {
		int rc = pthread_create(&w[started].thread, NULL, worker_main, &w[started]);

		if (rc != 0) {
			fprintf(stderr, "%s: cannot start a thread: %s\n", prog, strerror(rc));
			status = 1;
			stop_all(); /* the threads already running stop too */
			break;
		}
	}
	worker_main(&w[0]);
	for (size_t i = 1; i < started; i++)
		pthread_join(w[i].thread, NULL);
	for (size_t i = 0; i < started; i++)
		if (w[i].status)
			status = w[i].status;

out:
	pthread_mutex_lock(&mu);
	nlisteners = 0; /* nothing left for the signal thread to close */
	pthread_mutex_unlock(&mu);
	for (size_t i = 0; i < n; i++)
		rn_listener_free(w[i].l);
	free(w);
	if (flush_stdout() < 0)
		return 1;
	return status;
}

/*
 * SIGINT and SIGTERM: the first stops the proxy; another a second or more
 * later exits at once (see struct stop_signals).
 */
static struct stop_signals stop_signals = {
	.stop = stop_all,
	.again = "exiting without waiting for connections",
	.again_status = 1,
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"connect-timeout", required_argument, NULL, 'c'},
		{"idle", required_argument, NULL, 'i'},
		{"threads", required_argument, NULL, 't'},
		COMMON_LONGOPTS,
	};
	long threads = 1;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:i:t:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!duration_opt("--connect-timeout", optarg, &connect_timeout))
				return 2;
			break;
		case 'i':
			if (!duration_opt("--idle", optarg, &idle))
				return 2;
			break;
		case 't':
			if (!count_opt("--threads", optarg, THREADS_MAX, &threads))
				return 2;
			break;
		default: /* -h, -V, or an option getopt rejected */
			return common_option(c, usage);
		}
	}
	if (argc - optind < 2)
		return usage_error(optind >= argc ? "no LISTEN address given" : "no UPSTREAM given",
				   SYNOPSIS);
	upstreams = (const char *const *)&argv[optind + 1];
	nupstreams = (size_t)(argc - optind - 1);

	/* Block the stop signals in every thread; the signal thread starts once stop_ctx exists. */
	if ((rc = block_stop_signals(&stop_signals)) != 0) {
		fprintf(stderr, "%s: cannot block signals: %s\n", prog, strerror(rc));
		return 1;
	}
	stop_ctx = rn_ctx_with_cancel(NULL);
	if (!stop_ctx) {
		print_last_error();
		return 1;
	}
	if (rn_engine_start() < 0) {
		print_last_error();
		rn_ctx_free(stop_ctx);
		return 1;
	}
	if ((rc = start_signal_thread(&stop_signals)) != 0) {
		fprintf(stderr, "%s: cannot start the signal thread: %s\n", prog, strerror(rc));
		rn_ctx_free(stop_ctx);
		return 1;
	}

	rc = serve(argv[optind], (size_t)threads);
	/* Take the context from the signal thread before releasing it. */
	pthread_mutex_lock(&mu);
	rn_ctx *ctx = stop_ctx;
	stop_ctx = NULL;
	pthread_mutex_unlock(&mu);
	rn_ctx_free(ctx);
	return rc;
}
