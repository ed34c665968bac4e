/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet-echo - a TCP and UDP echo server on the ringnet engine.
 *
 *   ringnet-echo [--network tcp|tcp4|tcp6] [--idle DURATION] ADDRESS
 *
 * Listens on ADDRESS as Go's net.Listen(NET, ADDRESS) does, prints
 * "listening on ADDR" once ready (with the port the kernel chose for ":0"),
 * and echoes every connection back to its sender.  Everything runs as tasks
 * on the main thread: an accept loop that starts a task per connection, and
 * a task answering UDP datagrams on the same port ("udp echo on ADDR").
 * --idle closes a connection that sends nothing for DURATION (a read
 * deadline set before every Read).  SIGINT and SIGTERM close the listener
 * from a thread that waits for them with sigwait(); the parked Accept
 * returns, the accept task closes the open connections, their tasks end,
 * rn_run() returns and the program exits 0.
 *
 * Exit status: 0 after SIGINT/SIGTERM, 1 when listening or accepting fails
 * (or a second signal cuts a stuck shutdown short), 2 for a usage error.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringnet/ringnet.h>

#include "go_duration.h"
#include "tool_common.h"

#define SYNOPSIS "[--network NET] [--idle DURATION] ADDRESS"
#define DGRAM_MAX 65536

static const char *prog = "ringnet-echo";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s " SYNOPSIS "\n"
		"\n"
		"A TCP and UDP echo server on the ringnet io_uring engine.  It listens on\n"
		"ADDRESS as Go's net.Listen(NET, ADDRESS) does (\"127.0.0.1:7000\",\n"
		"\"[::1]:0\", \":7000\"), prints \"listening on ADDR\" once ready (with the\n"
		"port the kernel chose when the port is 0), and writes back whatever each\n"
		"connection sends until the peer closes it.  On the same port it answers\n"
		"each UDP datagram with the same bytes (ListenPacket, ReadFrom, WriteTo)\n"
		"and prints \"udp echo on ADDR\".\n"
		"\n"
		"options:\n"
		"  -n, --network NET     tcp (default), tcp4 or tcp6\n"
		"  -i, --idle DURATION   close a connection that sends nothing for\n"
		"                        DURATION, a Go duration such as 500ms, 10s or\n"
		"                        1m30s (a read deadline set before every Read);\n"
		"                        0, the default, means no limit\n"
		"  -h, --help            print this help and exit\n"
		"  -V, --version         print the ringnet version and exit\n"
		"\n"
		"Each connection is served by its own task, all of them on one thread\n"
		"(rn_go, rn_run).  Errors are printed on stderr in Go's words.  SIGINT or\n"
		"SIGTERM closes the listener, then the open connections, and the program\n"
		"exits 0; if that is stuck, another signal a second or more later exits\n"
		"at once.\n"
		"\n"
		"exit status: 0 after SIGINT/SIGTERM, 1 when listening or accepting\n"
		"fails (or a stuck shutdown is cut short), 2 for a usage error.\n"
		"\n"
		"examples:\n"
		"  %s 127.0.0.1:7000\n"
		"  %s --network tcp6 --idle 30s '[::1]:0'\n",
		prog, prog, prog);
}

/* ---- the server ------------------------------------------------------------ */

/*
 * An open connection.  Every task runs on the main thread, so the list needs
 * no lock: a task only loses the CPU where it parks, and no list walk parks
 * (Close never does).
 */
struct conn_node {
	rn_conn *conn;
	struct conn_node *prev, *next;
};

static struct conn_node *conns; /* open connections (tasks only) */
static rn_conn *udp;		/* the UDP conn (tasks only) */
static rn_duration idle;	/* --idle; 0 = none */
static int status;		/* the exit status, set by the accept task */

/* Shared with the signal thread. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static bool stopping;		  /* a signal asked us to stop, or accepting failed */
static rn_listener *the_listener; /* what the signal thread closes */
static rn_conn *the_udp;

/* Print the last error unless @code is the RN_ECLOSED a shutdown causes on purpose. */
static void report(int code)
{
	pthread_mutex_lock(&mu);
	bool quiet = code == RN_ECLOSED && stopping;
	pthread_mutex_unlock(&mu);
	if (!quiet)
		print_last_error();
}

static void unlink_conn(struct conn_node *node)
{
	if (node->prev)
		node->prev->next = node->next;
	else
		conns = node->next;
	if (node->next)
		node->next->prev = node->prev;
}

/*
 * A connection's task: io.Copy(c, c) with an optional idle limit, then
 * Close.  It echoes straight out of the leased receive buffer: no buffer of
 * its own, no copy, and an idle connection holds no memory for data.
 */
static void serve_conn(void *arg)
{
	struct conn_node *node = arg;
	rn_conn *c = node->conn;

	for (;;) {
		rn_lease l;
		ssize_t n, w;

		if (idle > 0 && rn_conn_set_read_deadline(c, rn_time_add(rn_now(), idle)) < 0)
			break; /* closed by the shutdown */
		n = rn_conn_read_lease(c, &l);
		if (n == 0)
			break; /* io.EOF: the peer is done */
		if (n < 0) {
			report((int)n);
			break;
		}
		w = rn_conn_write(c, l.data, (size_t)n);
		rn_lease_release(&l);
		if (w != n) {
			report(rn_last_error()->code);
			break;
		}
	}
	unlink_conn(node);
	rn_conn_free(c); /* Close, as Go's handler's defer c.Close() */
	free(node);
}

/* Start a task for @c, or close it when that cannot be done. */
static void spawn_conn(rn_conn *c)
{
	struct conn_node *node = calloc(1, sizeof(*node));

	if (!node) {
		print_enomem();
		rn_conn_free(c);
		return;
	}
	node->conn = c;
	if (rn_go(serve_conn, node) < 0) {
		print_last_error_in("cannot start a connection task");
		rn_conn_free(c);
		free(node);
		return;
	}
	node->next = conns;
	if (conns)
		conns->prev = node;
	conns = node;
}

/*
 * The accept task: a task per connection until the listener is closed (or
 * fails), then close every open connection and the UDP conn so that their
 * tasks end and rn_run() returns.
 */
static void accept_loop(void *arg)
{
	rn_listener *l = arg;
	rn_duration delay = 0; /* the back-off after an accept error */

	for (;;) {
		rn_conn *conn = rn_listener_accept(l);
		if (conn) {
			delay = 0;
			spawn_conn(conn);
			continue;
		}
		int code = rn_last_error()->code;
		pthread_mutex_lock(&mu);
		bool stop = code == RN_ECLOSED && stopping;
		pthread_mutex_unlock(&mu);
		if (stop)
			break; /* the signal thread closed the listener */
		report(code);
		if (!accept_backoff(code, &delay)) {
			status = 1;
			break;
		}
	}

	/* Nothing left for the signal thread to close; Close never parks, so the list holds still. */
	pthread_mutex_lock(&mu);
	stopping = true;
	the_listener = NULL;
	the_udp = NULL;
	pthread_mutex_unlock(&mu);
	for (struct conn_node *n = conns; n; n = n->next)
		rn_conn_close(n->conn); /* the conn tasks see RN_ECLOSED and free it */
	rn_conn_close(udp);	/* wakes the UDP task's ReadFrom */
	rn_listener_close(l);	/* when accepting failed */
}

/* The UDP task: answer every datagram with its own bytes until the conn is closed. */
static void udp_echo(void *arg)
{
	rn_conn *u = arg;
	char *buf = malloc(DGRAM_MAX);

	if (!buf) {
		print_enomem();
		return;
	}
	for (;;) {
		rn_addr from;
		ssize_t n = rn_conn_read_from(u, buf, DGRAM_MAX, &from);

		if (n < 0) {
			if (n == RN_ECLOSED)
				break;
			report((int)n);
			continue;
		}
		if (rn_conn_write_to(u, buf, (size_t)n, &from) < 0)
			report(rn_last_error()->code);
	}
	free(buf);
}

/*
 * The first SIGINT/SIGTERM closes the listener and the UDP conn, which wakes
 * the tasks parked on them.  Another one a second or more later (the
 * shutdown is stuck) exits at once: see struct stop_signals.
 */
static void stop_on_signal(void)
{
	pthread_mutex_lock(&mu);
	stopping = true;
	if (the_listener)
		rn_listener_close(the_listener); /* wakes the parked Accept */
	if (the_udp)
		rn_conn_close(the_udp);
	pthread_mutex_unlock(&mu);
}

static struct stop_signals stop_signals = {
	.stop = stop_on_signal,
	.again = "exiting without waiting for connections",
	.again_status = 1,
};

/* Listen on TCP and UDP, print where, and run the tasks until a signal stops them. */
static int serve(const char *network, const char *address)
{
	char abuf[RN_ADDR_STRLEN], unet[8];
	rn_listener *l;
	rn_conn *u;

	if (rn_engine_start() < 0) {
		print_last_error();
		return 1;
	}
	l = rn_listen(network, address);
	if (!l) {
		print_last_error();
		return 1;
	}
	rn_addr la = rn_listener_addr(l);
	rn_addr_string(&la, abuf, sizeof abuf);
	printf("listening on %s\n", abuf);

	/* UDP on the same address and port: "tcp4" listens "udp4", and so on. */
	snprintf(unet, sizeof unet, "udp%s", network + 3);
	u = rn_listen_packet(unet, abuf);
	if (!u) {
		print_last_error();
		rn_listener_free(l);
		return 1;
	}
	rn_addr ua = rn_conn_local_addr(u);
	rn_addr_string(&ua, abuf, sizeof abuf);
	printf("udp echo on %s\n", abuf);
	if (flush_stdout() < 0) {
		rn_conn_free(u);
		rn_listener_free(l);
		return 1;
	}

	udp = u;
	pthread_mutex_lock(&mu);
	the_listener = l;
	the_udp = u;
	if (stopping) { /* a signal that came before they existed */
		rn_listener_close(l);
		rn_conn_close(u);
	}
	pthread_mutex_unlock(&mu);

	if (rn_go(accept_loop, l) < 0 || rn_go(udp_echo, u) < 0) {
		/* Nothing has run yet: close both so a task that did start ends at once. */
		print_last_error_in("cannot start a task");
		pthread_mutex_lock(&mu);
		stopping = true;
		the_listener = NULL;
		the_udp = NULL;
		pthread_mutex_unlock(&mu);
		rn_listener_close(l);
		rn_conn_close(u);
		status = 1;
	}
	if (rn_run() < 0) {
		print_last_error();
		status = 1;
	}
	rn_listener_free(l);
	rn_conn_free(u);
	if (flush_stdout() < 0)
		return 1;
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"network", required_argument, NULL, 'n'},
		{"idle", required_argument, NULL, 'i'},
		COMMON_LONGOPTS,
	};
	const char *network = "tcp";
	int c;

	while ((c = getopt_long(argc, argv, "n:i:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			network = optarg;
			break;
		case 'i':
			if (!duration_opt("--idle", optarg, &idle))
				return 2;
			break;
		default: /* -h, -V, or an option getopt rejected */
			return common_option(c, usage);
		}
	}
	if (strcmp(network, "tcp") != 0 && strcmp(network, "tcp4") != 0 &&
	    strcmp(network, "tcp6") != 0) {
		fprintf(stderr, "%s: --network must be tcp, tcp4 or tcp6 (UDP follows it), not \"%s\"\n",
			prog, network);
		return 2;
	}
	if (argc - optind != 1)
		return usage_error(optind >= argc ? "no ADDRESS given" : "only one ADDRESS, please",
				   SYNOPSIS);
	if (start_stop_signals(&stop_signals) < 0)
		return 1;
	return serve(network, argv[optind]);
}
