/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet-demo - show ringnet's TCP conns at work against an echo server.
 *
 *   ringnet-demo [--count N] [--stream-mib M] [--network NET] ADDRESS
 *
 * ADDRESS is where an echo server listens (ringnet-echo prints it).  The demo
 * prints the engine's backend and features, then dials and shows the
 * addresses; ping-pongs 64-byte messages N times (latency percentiles and
 * rate); streams M MiB in 16 KiB writes while a second thread reads the
 * echo; lets a read deadline fire; closes a conn from another thread while a
 * Read is blocked on it; and dials a closed loopback port.  Errors are Go's
 * texts.
 *
 * Exit status: 0 when every step behaved as Go's net would, 1 otherwise,
 * 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ringnet/ringnet.h>

#include "tool_common.h"

#define SYNOPSIS "[--count N] [--stream-mib M] [--network NET] ADDRESS"

#define ERRBUF 2048
#define MSG_SIZE 64
#define STREAM_CHUNK (16 * 1024)
#define STREAM_READ (64 * 1024)
#define PATTERN_PERIOD 251 /* a prime, so chunk boundaries never line up */
#define DEADLINE_MS 100
#define CLOSE_AFTER_MS 100
#define STEP_TIMEOUT (60 * RN_SECOND) /* a guard so a broken server cannot hang us */

static const char *prog = "ringnet-demo";
static const char *network = "tcp";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s " SYNOPSIS "\n"
		"\n"
		"Show ringnet's TCP conns against the echo server at ADDRESS (start one\n"
		"with ringnet-echo 127.0.0.1:0 and pass the address it prints).  In order:\n"
		"  - the engine's backend and features\n"
		"  - Dial, with LocalAddr -> RemoteAddr\n"
		"  - N round trips of a 64-byte message: p50 and p99 latency, requests/s\n"
		"  - M MiB streamed in 16 KiB writes while a second thread reads the echo\n"
		"  - a read deadline firing: Go's \"i/o timeout\"\n"
		"  - Close from another thread waking a blocked Read: Go's \"use of closed\n"
		"    network connection\"\n"
		"  - a dial to a closed loopback port: Go's \"connection refused\"\n"
		"\n"
		"options:\n"
		"  -c, --count N       ping-pong round trips (default 20000; 0 skips them)\n"
		"  -s, --stream-mib M  MiB to stream (default 64; 0 skips the stream)\n"
		"  -n, --network NET   tcp (default), tcp4 or tcp6\n"
		"  -h, --help          print this help and exit\n"
		"  -V, --version       print the ringnet version and exit\n"
		"\n"
		"exit status: 0 when every step behaved as Go's net would, 1 otherwise,\n"
		"2 for a usage error.\n"
		"\n"
		"example:\n"
		"  %s 127.0.0.1:7000\n",
		prog, prog);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool parse_count(const char *s, long max, long *out)
{
	char *end;

	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

/* io.ReadFull: 0, or -1 with the reason printed. */
static int read_full(rn_conn *c, void *buf, size_t n, const char *what)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = rn_conn_read(c, (char *)buf + got, n - got);
		if (r == 0) {
			fprintf(stderr, "%s: %s: unexpected EOF\n", prog, what);
			return -1;
		}
		if (r < 0) {
			print_last_error_in(what);
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

/* One 64-byte message there and back, checked. */
static int ping(rn_conn *c, uint64_t seq, const char *what)
{
	unsigned char out[MSG_SIZE], in[MSG_SIZE];

	for (size_t i = 0; i < MSG_SIZE; i++)
		out[i] = (unsigned char)(seq + i * 7);
	ssize_t w = rn_conn_write(c, out, sizeof out);
	if (w != (ssize_t)sizeof out) {
		print_last_error_in(what);
		return -1;
	}
	if (read_full(c, in, sizeof in, what) < 0)
		return -1;
	if (memcmp(in, out, sizeof out) != 0) {
		fprintf(stderr, "%s: %s: the echo differs from the message\n", prog, what);
		return -1;
	}
	return 0;
}

/* ---- the steps ------------------------------------------------------------- */

static void show_engine(void)
{
	static const struct {
		unsigned bit;
		const char *name;
	} feats[] = {
		{RN_ENGINE_SINGLE_ISSUER, "single-issuer"},
		{RN_ENGINE_DEFER_TASKRUN, "defer-taskrun"},
		{RN_ENGINE_COOP_TASKRUN, "coop-taskrun"},
		{RN_ENGINE_REGISTERED_RING, "registered-ring"},
		{RN_ENGINE_TIMEOUT_REALTIME, "realtime-timeouts"},
		{RN_ENGINE_MSG_RING, "msg-ring"},
		{RN_ENGINE_SOCKET_OP, "socket-op"},
	};
	unsigned f = rn_engine_features();
	bool any = false;

	printf("engine: %s, features:", rn_engine_backend_name());
	for (size_t i = 0; i < sizeof feats / sizeof feats[0]; i++)
		if (f & feats[i].bit) {
			printf(" %s", feats[i].name);
			any = true;
		}
	printf("%s\n", any ? "" : " none");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static bool step_ping_pong(rn_conn *c, long count)
{
	uint64_t *rtt = malloc((size_t)count * sizeof(*rtt));

	if (!rtt) {
		fprintf(stderr, "%s: ping-pong: %s\n", prog, strerror(ENOMEM));
		return false;
	}
	uint64_t start = mono_ns();
	for (long i = 0; i < count; i++) {
		uint64_t t0 = mono_ns();
		if (ping(c, (uint64_t)i, "ping-pong") < 0) {
			free(rtt);
			return false;
		}
		rtt[i] = mono_ns() - t0;
	}
	uint64_t total = mono_ns() - start;
	qsort(rtt, (size_t)count, sizeof(*rtt), cmp_u64);
	double p50 = (double)rtt[(size_t)(count - 1) * 50 / 100] / 1e3;
	double p99 = (double)rtt[(size_t)(count - 1) * 99 / 100] / 1e3;
	double rate = (double)count / ((double)total / 1e9);
	printf("ping-pong: %ld round trips, p50 %.1f \xc2\xb5s, p99 %.1f \xc2\xb5s, %.0f req/s\n",
	       count, p50, p99, rate);
	free(rtt);
	return true;
}

/* The stream's bytes: byte i is i mod PATTERN_PERIOD, read out of a table. */
static unsigned char pattern[PATTERN_PERIOD + STREAM_READ];

struct stream_reader {
	rn_conn *c;
	uint64_t want;
	uint64_t got;
	bool ok;
	char err[ERRBUF];
};

static void *stream_read(void *arg)
{
	struct stream_reader *r = arg;
	unsigned char *buf = malloc(STREAM_READ);

	if (!buf) {
		snprintf(r->err, sizeof r->err, "%s", strerror(ENOMEM));
		return NULL;
	}
	for (;;) {
		ssize_t n = rn_conn_read(r->c, buf, STREAM_READ);
		if (n == 0)
			break; /* EOF: the server closed after echoing everything */
		if (n < 0) {
			last_error_text(r->err, sizeof r->err);
			goto out;
		}
		if (r->got + (uint64_t)n > r->want ||
		    memcmp(buf, pattern + r->got % PATTERN_PERIOD, (size_t)n) != 0) {
			snprintf(r->err, sizeof r->err, "the echo differs from what was sent at byte %llu",
				 (unsigned long long)r->got);
			rn_conn_close(r->c); /* wake the writer: nobody reads the echo any more */
			goto out;
		}
		r->got += (uint64_t)n;
	}
	if (r->got != r->want)
		snprintf(r->err, sizeof r->err, "the echo ended after %llu of %llu bytes",
			 (unsigned long long)r->got, (unsigned long long)r->want);
	else
		r->ok = true;
out:
	free(buf);
	return NULL;
}

static bool step_stream(const char *address, long mib)
{
	struct stream_reader r = {.want = (uint64_t)mib << 20};
	pthread_t t;
	int rc;

	for (size_t i = 0; i < sizeof pattern; i++)
		pattern[i] = (unsigned char)(i % PATTERN_PERIOD);

	r.c = rn_dial(network, address);
	if (!r.c) {
		print_last_error_in("stream");
		return false;
	}
	rn_conn_set_deadline(r.c, rn_time_add(rn_now(), STEP_TIMEOUT + mib * RN_SECOND));

	uint64_t start = mono_ns();
	if ((rc = pthread_create(&t, NULL, stream_read, &r)) != 0) {
		fprintf(stderr, "%s: stream: cannot start the reader: %s\n", prog, strerror(rc));
		rn_conn_free(r.c);
		return false;
	}
	char werr[ERRBUF] = "";
	for (uint64_t off = 0; off < r.want; off += STREAM_CHUNK) {
		size_t n = r.want - off < STREAM_CHUNK ? (size_t)(r.want - off) : STREAM_CHUNK;
		if (rn_conn_write(r.c, pattern + off % PATTERN_PERIOD, n) != (ssize_t)n) {
			last_error_text(werr, sizeof werr);
			rn_conn_close(r.c); /* wake the reader */
			break;
		}
	}
	if (!werr[0] && rn_tcpconn_close_write(r.c) < 0) { /* FIN: the server echoes the rest, then closes */
		last_error_text(werr, sizeof werr);
		rn_conn_close(r.c);
	}
	pthread_join(t, NULL);
	double secs = (double)(mono_ns() - start) / 1e9;
	rn_conn_free(r.c);
	if (!r.ok || werr[0]) {
		/* Both sides, when both failed: each text names its op. */
		if (werr[0])
			fprintf(stderr, "%s: stream: %s\n", prog, werr);
		if (r.err[0])
			fprintf(stderr, "%s: stream: %s\n", prog, r.err);
		return false;
	}
	printf("stream: %ld MiB echoed in %.2f s (%.1f MiB/s)\n", mib, secs, (double)mib / secs);
	return true;
}

static bool step_deadline(rn_conn *c)
{
	char buf[MSG_SIZE], text[ERRBUF];

	if (rn_conn_set_read_deadline(c, rn_time_add(rn_now(), DEADLINE_MS * RN_MILLISECOND)) < 0) {
		print_last_error_in("read deadline");
		return false;
	}
	uint64_t t0 = mono_ns();
	ssize_t n = rn_conn_read(c, buf, sizeof buf); /* nothing was sent: only the deadline ends it */
	uint64_t ms = (mono_ns() - t0) / 1000000;
	if (n >= 0) {
		fprintf(stderr, "%s: read deadline: Read returned %zd, want an i/o timeout\n", prog, n);
		return false;
	}
	last_error_text(text, sizeof text);
	if (n != RN_ETIMEOUT || !rn_error_timeout(NULL)) {
		fprintf(stderr, "%s: read deadline: %s (want an i/o timeout)\n", prog, text);
		return false;
	}
	/* As in Go, the conn is still good once the deadline is moved. */
	if (rn_conn_set_read_deadline(c, 0) < 0) {
		print_last_error_in("read deadline");
		return false;
	}
	if (ping(c, 1, "read deadline") < 0)
		return false;
	printf("read deadline: %s (after %llu ms; the conn still echoes once it is cleared)\n",
	       text, (unsigned long long)ms);
	return true;
}

struct blocked_reader {
	rn_conn *c;
	ssize_t rc;
	uint64_t ms;
	char err[ERRBUF];
};

static void *blocked_read(void *arg)
{
	struct blocked_reader *b = arg;
	char buf[MSG_SIZE];
	uint64_t t0 = mono_ns();

	b->rc = rn_conn_read(b->c, buf, sizeof buf);
	b->ms = (mono_ns() - t0) / 1000000;
	if (b->rc < 0)
		last_error_text(b->err, sizeof b->err);
	return NULL;
}

static bool step_close(rn_conn *c)
{
	struct blocked_reader b = {.c = c};
	pthread_t t;
	int rc;

	if ((rc = pthread_create(&t, NULL, blocked_read, &b)) != 0) {
		fprintf(stderr, "%s: close: cannot start the reader: %s\n", prog, strerror(rc));
		return false;
	}
	sleep_ms(CLOSE_AFTER_MS); /* let the Read block */
	int crc = rn_conn_close(c);
	pthread_join(t, NULL);
	if (crc < 0) {
		print_last_error_in("close");
		return false;
	}
	if (b.rc != RN_ECLOSED) {
		fprintf(stderr, "%s: close: Read returned %zd (%s), want use of closed network connection\n",
			prog, b.rc, b.rc < 0 ? b.err : "data");
		return false;
	}
	printf("close from another thread: %s (Read was blocked %llu ms)\n", b.err,
	       (unsigned long long)b.ms);
	return true;
}

static bool step_refused(void)
{
	const char *closed = strcmp(network, "tcp6") == 0 ? "[::1]:1" : "127.0.0.1:1";
	char addr[RN_ADDR_STRLEN], text[ERRBUF];
	rn_conn *c = rn_dial_timeout(network, closed, 5 * RN_SECOND);

	if (c) {
		/* Something listens on port 1 here: use a port we have just closed instead. */
		rn_conn_free(c);
		rn_listener *l = rn_listen(network, strcmp(network, "tcp6") == 0 ? "[::1]:0" : "127.0.0.1:0");
		if (!l) {
			print_last_error_in("closed port");
			return false;
		}
		rn_addr la = rn_listener_addr(l);
		rn_addr_string(&la, addr, sizeof addr);
		rn_listener_free(l);
		closed = addr;
		c = rn_dial_timeout(network, closed, 5 * RN_SECOND);
		if (c) {
			rn_conn_free(c);
			fprintf(stderr, "%s: closed port: dial %s succeeded, want connection refused\n",
				prog, closed);
			return false;
		}
	}
	last_error_text(text, sizeof text);
	if (rn_last_error()->code != -ECONNREFUSED) {
		fprintf(stderr, "%s: closed port: %s (want connection refused)\n", prog, text);
		return false;
	}
	printf("dial a closed port: %s\n", text);
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"count", required_argument, NULL, 'c'},
		{"stream-mib", required_argument, NULL, 's'},
		{"network", required_argument, NULL, 'n'},
		COMMON_LONGOPTS,
	};
	long count = 20000, mib = 64;
	char la[RN_ADDR_STRLEN], ra[RN_ADDR_STRLEN];
	int c;

	while ((c = getopt_long(argc, argv, "c:s:n:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (!parse_count(optarg, 100000000, &count)) {
				fprintf(stderr, "%s: --count: not a count: %s\n", prog, optarg);
				return 2;
			}
			break;
		case 's':
			if (!parse_count(optarg, 1 << 20, &mib)) {
				fprintf(stderr, "%s: --stream-mib: not a size in MiB: %s\n", prog, optarg);
				return 2;
			}
			break;
		case 'n':
			network = optarg;
			break;
		default: /* -h, -V, or an option getopt rejected */
			return common_option(c, usage);
		}
	}
	if (strcmp(network, "tcp") != 0 && strcmp(network, "tcp4") != 0 &&
	    strcmp(network, "tcp6") != 0) {
		fprintf(stderr, "%s: --network must be tcp, tcp4 or tcp6, not \"%s\"\n", prog, network);
		return 2;
	}
	if (argc - optind != 1)
		return usage_error(optind >= argc ? "no ADDRESS given" : "only one ADDRESS, please",
				   SYNOPSIS);
	const char *address = argv[optind];

	if (rn_engine_start() < 0) {
		print_last_error_in("engine");
		return 1;
	}
	show_engine();

	rn_conn *conn = rn_dial(network, address);
	if (!conn) {
		print_last_error_in("dial");
		return 1;
	}
	rn_addr l = rn_conn_local_addr(conn), r = rn_conn_remote_addr(conn);
	rn_addr_string(&l, la, sizeof la);
	rn_addr_string(&r, ra, sizeof ra);
	printf("dial: %s -> %s\n", la, ra);
	fflush(stdout);

	bool ok = true;
	if (count > 0) {
		rn_conn_set_deadline(conn, rn_time_add(rn_now(), STEP_TIMEOUT + count * RN_MILLISECOND));
		ok &= step_ping_pong(conn, count);
		rn_conn_set_deadline(conn, 0);
		fflush(stdout);
	}
	if (mib > 0) {
		ok &= step_stream(address, mib);
		fflush(stdout);
	}
	ok &= step_deadline(conn);
	fflush(stdout);
	ok &= step_close(conn);
	rn_conn_free(conn);
	fflush(stdout);
	ok &= step_refused();

	if (flush_stdout() < 0)
		return 1;
	return ok ? 0 : 1;
}
