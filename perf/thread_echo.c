/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * thread_echo - the engine's TCP echo without tasks, for perf/task_run.sh:
 * ringnet's blocking API with one thread per connection.
 *
 *   thread_echo [-s STACK_KIB] ADDRESS
 *
 * This is the data path of tools/ringnet-echo before it served each
 * connection in a task (the server perf/run.sh measured as "ringnet-echo"):
 * rn_listen, an Accept loop on the main thread, and for every connection a
 * detached thread with a 256 KiB stack (-s to change it) that loops
 * rn_conn_read / rn_conn_write on a 32 KiB buffer until the peer closes.
 * Every thread that makes a blocking ringnet call gets its own io_uring, so
 * N connections cost N threads, N rings and N stacks.
 *
 * Without tasks there is no other way to serve many connections from the
 * engine: each blocking call (Read, Accept) holds its thread until that one
 * connection has something, and the public API has no readiness call that
 * would let one thread wait on many conns.
 *
 * It prints "listening on ADDR" once ready.  SIGTERM or SIGINT ends it (the
 * default action: the benchmark does not need a clean shutdown).
 * Exit status: 1 when listening fails or a thread cannot start, 2 for a
 * usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#define ECHO_BUF (32 * 1024)

static const char *prog = "thread_echo";
static size_t stack_size = 256 * 1024;

static void print_last_error(void)
{
	char buf[1024];

	rn_error_string(NULL, buf, sizeof buf);
	fprintf(stderr, "%s: %s\n", prog, buf);
}

/* io.Copy(c, c), then Close. */
static void *serve_conn(void *arg)
{
	rn_conn *c = arg;
	char *buf = malloc(ECHO_BUF);

	while (buf) {
		ssize_t n = rn_conn_read(c, buf, ECHO_BUF);

		if (n <= 0)
			break; /* EOF, or an error: the peer went away */
		if (rn_conn_write(c, buf, (size_t)n) != n)
			break;
	}
	free(buf);
	rn_conn_free(c);
	return NULL;
}

static int spawn_conn(rn_conn *c)
{
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, stack_size);
	rc = pthread_create(&t, &attr, serve_conn, c);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		fprintf(stderr, "%s: cannot start a connection thread: %s\n", prog, strerror(rc));
		rn_conn_free(c);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		switch (opt) {
		case 's':
			stack_size = strtoul(optarg, NULL, 10) * 1024;
			break;
		default:
			fprintf(stderr, "usage: %s [-s STACK_KIB] ADDRESS\n", prog);
			return 2;
		}
	}
	if (argc - optind != 1 || stack_size < 16 * 1024) {
		fprintf(stderr, "usage: %s [-s STACK_KIB] ADDRESS\n", prog);
		return 2;
	}

	rn_listener *l = rn_listen("tcp", argv[optind]);
	if (!l) {
		print_last_error();
		return 1;
	}
	rn_addr la = rn_listener_addr(l);
	char abuf[RN_ADDR_STRLEN];
	rn_addr_string(&la, abuf, sizeof abuf);
	printf("listening on %s\n", abuf);
	fflush(stdout);

	for (;;) {
		rn_conn *c = rn_listener_accept(l);

		if (!c) {
			int code = rn_last_error()->code;

			print_last_error();
			if (code == -EMFILE || code == -ENFILE || code == -ENOMEM ||
			    code == -ECONNABORTED || code == -EINTR) {
				/* Out of something: wait a little, as Go's servers do. */
				struct timespec ts = {0, 10 * 1000 * 1000};

				nanosleep(&ts, NULL);
				continue;
			}
			return 1;
		}
		if (spawn_conn(c) < 0)
			return 1;
	}
}
