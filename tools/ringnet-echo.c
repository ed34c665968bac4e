/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet-echo - a TCP echo server on the ringnet engine.
 *
 *   ringnet-echo [--network tcp|tcp4|tcp6] [--idle DURATION] ADDRESS
 *
 * Listens on ADDRESS as Go's net.Listen(NET, ADDRESS) does, prints
 * "listening on ADDR" once ready (with the port the kernel chose for ":0"),
 * and echoes every connection back to its sender, one thread per connection.
 * --idle closes a connection that sends nothing for DURATION (a read
 * deadline set before every Read).  SIGINT and SIGTERM close the listener
 * from a thread that waits for them with sigwait(); the blocked Accept
 * returns, open connections are closed and the program exits 0.
 *
 * Exit status: 0 after SIGINT/SIGTERM, 1 when listening or accepting fails
 * (or a second signal cuts a stuck shutdown short), 2 for a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#define ERRBUF 2048
#define ECHO_BUF (32 * 1024)

static const char *prog = "ringnet-echo";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--network NET] [--idle DURATION] ADDRESS\n"
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
		"Each connection runs on its own thread for now; tasks arrive later.\n"

		"Errors are printed on stderr in Go's words.  SIGINT or SIGTERM closes\n"
		"the listener, then the open connections, and the program exits 0; if\n"
		"that is stuck, another signal a second or more later exits at once.\n"
		"\n"
		"exit status: 0 after SIGINT/SIGTERM, 1 when listening or accepting\n"
		"fails (or a stuck shutdown is cut short), 2 for a usage error.\n"
		"\n"
		"examples:\n"
		"  %s 127.0.0.1:7000\n"
		"  %s --network tcp6 --idle 30s '[::1]:0'\n",
		prog, prog, prog);
}

/* ---- Go's time.ParseDuration ---------------------------------------------- */

/* Append Go's strconv.Quote of @s to @out (printable ASCII as is, the rest \xNN). */
static void go_quote(const char *s, char *out, size_t size)
{
	size_t o = 0;

#define PUT(ch)                                                                \
	do {                                                                   \
		if (o + 1 < size)                                              \
			out[o++] = (ch);                                       \
	} while (0)
	PUT('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			PUT('\\');
			PUT((char)*p);
		} else if (*p >= 0x20 && *p < 0x7f) {
			PUT((char)*p);
		} else if (*p >= 0x80) {
			PUT((char)*p); /* UTF-8 such as "µs" prints as is */
		} else {
			static const char hex[] = "0123456789abcdef";
			PUT('\\');
			PUT('x');
			PUT(hex[*p >> 4]);
			PUT(hex[*p & 15]);
		}
	}
	PUT('"');
#undef PUT
	out[o < size ? o : size - 1] = '\0';
}

static int duration_error(char *err, size_t errsize, const char *what, const char *unit,
			  const char *orig)
{
	char q[256], qu[128];

	go_quote(orig, q, sizeof q);
	if (unit) {
		go_quote(unit, qu, sizeof qu);
		snprintf(err, errsize, "time: unknown unit %s in duration %s", qu, q);
	} else {
		snprintf(err, errsize, "time: %s %s", what, q);
	}
	return -1;
}

/*
 * parse_duration - Go's time.ParseDuration: "[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+".
 * Returns 0 and the value in @out, or -1 with Go's error text in @err.
 */
static int parse_duration(const char *orig, rn_duration *out, char *err, size_t errsize)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
		{"ns", 1},
		{"us", 1000},
		{"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
		{"\xce\xbcs", 1000}, /* U+03BC Greek small letter mu */
		{"ms", 1000000},
		{"s", 1000000000},
		{"m", 60ull * 1000000000},
		{"h", 3600ull * 1000000000},
	};
	const uint64_t limit = (uint64_t)1 << 63;
	const char *s = orig;
	uint64_t d = 0;
	bool neg = false;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s == '\0')
		return duration_error(err, errsize, "invalid duration", NULL, orig);
	while (*s) {
		uint64_t v = 0, f = 0;
		double scale = 1;
		bool pre = false, post = false;

		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return duration_error(err, errsize, "invalid duration", NULL, orig);
		/* leadingInt */
		for (; *s >= '0' && *s <= '9'; s++) {
			if (v > (limit - 1) / 10)
				return duration_error(err, errsize, "invalid duration", NULL, orig);
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > limit)
				return duration_error(err, errsize, "invalid duration", NULL, orig);
			pre = true;
		}
		if (*s == '.') {
			bool overflow = false;

			s++;
			/* leadingFraction */
			for (; *s >= '0' && *s <= '9'; s++) {
				post = true;
				if (overflow)
					continue;
				if (f > (limit - 1) / 10) {
					overflow = true;
					continue;
				}
				uint64_t y = f * 10 + (uint64_t)(*s - '0');
				if (y > limit) {
					overflow = true;
					continue;
				}
				f = y;
				scale *= 10;
			}
		}
		if (!pre && !post)
			return duration_error(err, errsize, "invalid duration", NULL, orig);

		size_t i = 0;
		while (s[i] && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'))
			i++;
		if (i == 0)
			return duration_error(err, errsize, "missing unit in duration", NULL, orig);

		char u[64];
		size_t ul = i < sizeof u - 1 ? i : sizeof u - 1;
		memcpy(u, s, ul);
		u[ul] = '\0';
		s += i;

		uint64_t unit = 0;
		for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
			if (i == strlen(units[k].name) && strcmp(u, units[k].name) == 0)
				unit = units[k].ns;
		if (unit == 0)
			return duration_error(err, errsize, NULL, u, orig);
		if (v > limit / unit)
			return duration_error(err, errsize, "invalid duration", NULL, orig);
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > limit)
				return duration_error(err, errsize, "invalid duration", NULL, orig);
		}
		d += v;
		if (d > limit)
			return duration_error(err, errsize, "invalid duration", NULL, orig);
	}
	if (neg) {
		*out = d == limit ? INT64_MIN : -(rn_duration)d;
		return 0;
	}
	if (d > limit - 1)
		return duration_error(err, errsize, "invalid duration", NULL, orig);
	*out = (rn_duration)d;
	return 0;
}

/* ---- the server ------------------------------------------------------------ */

struct conn_node {
	rn_conn *conn;
	struct conn_node *prev, *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t conns_done = PTHREAD_COND_INITIALIZER;
static struct conn_node *conns;	  /* open connections, under mu */
static size_t nconns;		  /* connection threads still running, under mu */
static bool stopping;		  /* a signal asked us to stop, under mu */
static rn_listener *the_listener; /* for the signal thread, under mu */
static rn_duration idle;	  /* --idle; 0 = none */

/* The last error on this thread, as Go's Error() renders it. */
static const char *last_error_text(char *buf, size_t size)
{
	rn_error_string(NULL, buf, size);
	return buf;
}

static bool is_stopping(void)
{
	pthread_mutex_lock(&mu);
	bool s = stopping;
	pthread_mutex_unlock(&mu);
	return s;
}

/* io.Copy(c, c) with an optional idle limit, then Close. */
static void *serve_conn(void *arg)
{
	struct conn_node *node = arg;
	rn_conn *c = node->conn;
	char errbuf[ERRBUF];
	char *buf = malloc(ECHO_BUF);

	if (!buf)
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
	while (buf) {
		if (idle > 0 && rn_conn_set_read_deadline(c, rn_time_add(rn_now(), idle)) < 0)
			break; /* closed by the shutdown */
		ssize_t n = rn_conn_read(c, buf, ECHO_BUF);
		if (n == 0)
			break; /* io.EOF: the peer is done */
		if (n < 0) {
			/* A shutdown closes conns on purpose: not worth a line. */
			if (!(n == RN_ECLOSED && is_stopping()))
				fprintf(stderr, "%s: %s\n", prog, last_error_text(errbuf, sizeof errbuf));
			break;
		}
		ssize_t w = rn_conn_write(c, buf, (size_t)n);
		if (w != n) {
			if (!(rn_last_error()->code == RN_ECLOSED && is_stopping()))
				fprintf(stderr, "%s: %s\n", prog, last_error_text(errbuf, sizeof errbuf));
			break;
		}
	}
	free(buf);

	pthread_mutex_lock(&mu);
	if (node->prev)
		node->prev->next = node->next;
	else
		conns = node->next;
	if (node->next)
		node->next->prev = node->prev;
	pthread_mutex_unlock(&mu);

	rn_conn_free(c); /* Close, as Go's handler's defer c.Close() */
	free(node);

	pthread_mutex_lock(&mu);
	if (--nconns == 0)
		pthread_cond_broadcast(&conns_done);
	pthread_mutex_unlock(&mu);
	return NULL;
}

/* Start a thread for @c, or close it when that cannot be done. */
static void spawn_conn(rn_conn *c)
{
	struct conn_node *node = calloc(1, sizeof(*node));
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (!node) {
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
		rn_conn_free(c);
		return;
	}
	node->conn = c;

	pthread_mutex_lock(&mu);
	node->next = conns;
	if (conns)
		conns->prev = node;
	conns = node;
	nconns++;
	pthread_mutex_unlock(&mu);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&t, &attr, serve_conn, node);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		fprintf(stderr, "%s: cannot start a connection thread: %s\n", prog, strerror(rc));
		pthread_mutex_lock(&mu);
		if (node->prev)
			node->prev->next = node->next;
		else
			conns = node->next;
		if (node->next)
			node->next->prev = node->prev;
		nconns--;
		pthread_mutex_unlock(&mu);
		rn_conn_free(c);
		free(node);
	}
}

/*
 * The signal thread: the first SIGINT/SIGTERM closes the listener.  Another
 * one a second or more later (the shutdown is stuck) exits at once; one that
 * comes sooner is the same request twice (timeout(1) and a terminal's
 * process group both send the signal twice) and is ignored.
 */
static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	struct timespec first = {0, 0}, now;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		pthread_mutex_lock(&mu);
		bool again = first.tv_sec != 0 || first.tv_nsec != 0;
		if (!again) {
			first = now;
			stopping = true;
			if (the_listener)
				rn_listener_close(the_listener); /* wakes the blocked Accept */
		}
		pthread_mutex_unlock(&mu);
		if (again && (now.tv_sec - first.tv_sec) * 1000000000L + (now.tv_nsec - first.tv_nsec) >=
				     1000000000L) {
			fprintf(stderr, "%s: %s again: exiting without waiting for connections\n",
				prog, strsignal(sig));
			_exit(1);
		}
	}
	return NULL;
}

/* Accept errors worth waiting out, as Go's http.Server does: out of descriptors or memory. */
static bool accept_error_transient(int code)
{
	return code == -EMFILE || code == -ENFILE || code == -ENOBUFS || code == -ENOMEM ||
	       code == -ECONNABORTED || code == -EINTR;
}

/* Answer every datagram with its own bytes until the conn is closed. */
static void *udp_echo(void *arg)
{
	rn_conn *u = arg;
	char *buf = malloc(65536);
	char errbuf[ERRBUF];

	if (!buf)
		return NULL;
	for (;;) {
		rn_addr from;
		ssize_t n = rn_conn_read_from(u, buf, 65536, &from);

		if (n < 0) {
			if (n == RN_ECLOSED)
				break;
			fprintf(stderr, "%s: %s\n", prog, last_error_text(errbuf, sizeof errbuf));
			continue;
		}
		if (rn_conn_write_to(u, buf, (size_t)n, &from) < 0 && rn_last_error()->code != RN_ECLOSED)
			fprintf(stderr, "%s: %s\n", prog, last_error_text(errbuf, sizeof errbuf));
	}
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"network", required_argument, NULL, 'n'},
		{"idle", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *network = "tcp";
	char errbuf[ERRBUF];
	static sigset_t sigs;
	pthread_t sigt;
	int c, rc;

	while ((c = getopt_long(argc, argv, "n:i:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			network = optarg;
			break;
		case 'i':
			if (parse_duration(optarg, &idle, errbuf, sizeof errbuf) < 0) {
				fprintf(stderr, "%s: --idle: %s\n", prog, errbuf);
				return 2;
			}
			if (idle < 0) {
				fprintf(stderr, "%s: --idle: negative duration %s\n", prog, optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("%s (ringnet) %s\n", prog, RINGNET_VERSION_STRING);
			return 0;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", prog);
			return 2;
		}
	}
	if (strcmp(network, "tcp") != 0 && strcmp(network, "tcp4") != 0 &&
	    strcmp(network, "tcp6") != 0) {
		fprintf(stderr, "%s: --network must be tcp, tcp4 or tcp6 (UDP follows it), not \"%s\"\n",
			prog, network);
		return 2;
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s: %s\n", prog,
			optind >= argc ? "no ADDRESS given" : "only one ADDRESS, please");
		fprintf(stderr, "usage: %s [--network NET] [--idle DURATION] ADDRESS\n", prog);
		return 2;
	}

	/* Block the stop signals in every thread; one thread takes them with sigwait. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if ((rc = pthread_sigmask(SIG_BLOCK, &sigs, NULL)) != 0 ||
	    (rc = pthread_create(&sigt, NULL, signal_thread, &sigs)) != 0) {
		fprintf(stderr, "%s: cannot start the signal thread: %s\n", prog, strerror(rc));
		return 1;
	}
	pthread_detach(sigt);

	if (rn_engine_start() < 0) {
		fprintf(stderr, "%s: %s\n", prog, last_error_text(errbuf, sizeof errbuf));
		return 1;
	}
	rn_listener *l = rn_listen(network, argv[optind]);
	if (!l) {
		fprintf(stderr, "%s: %s\n", prog, last_error_text(errbuf, sizeof errbuf));
		return 1;
	}
	pthread_mutex_lock(&mu);
	the_listener = l;
	bool early = stopping; /* a signal that came before the listener existed */
	pthread_mutex_unlock(&mu);
	if (early)
		rn_listener_close(l);

	rn_addr la = rn_listener_addr(l);
	char abuf[RN_ADDR_STRLEN];
	rn_addr_string(&la, abuf, sizeof abuf);
	printf("listening on %s\n", abuf);

	/* UDP on the same address and port: "tcp4" listens "udp4", and so on. */
	char unet[8];
	snprintf(unet, sizeof unet, "udp%s", network + 3);
	rn_conn *u = rn_listen_packet(unet, abuf);
	if (!u) {
		fprintf(stderr, "%s: %s\n", prog, last_error_text(errbuf, sizeof errbuf));
		return 1;
	}
	pthread_t ut;
	if ((rc = pthread_create(&ut, NULL, udp_echo, u)) != 0) {
		fprintf(stderr, "%s: cannot start the UDP thread: %s\n", prog, strerror(rc));
		return 1;
	}
	rn_addr ua = rn_conn_local_addr(u);
	rn_addr_string(&ua, abuf, sizeof abuf);
	printf("udp echo on %s\n", abuf);
	if (fflush(stdout) != 0) {
		perror(prog);
		return 1;
	}

	int status = 0;
	long delay_ms = 0; /* the back-off after an accept error */
	for (;;) {
		rn_conn *conn = rn_listener_accept(l);
		if (conn) {
			delay_ms = 0;
			spawn_conn(conn);
			continue;
		}
		int code = rn_last_error()->code;
		if (code == RN_ECLOSED && is_stopping())
			break; /* the signal thread closed the listener */
		fprintf(stderr, "%s: %s\n", prog, last_error_text(errbuf, sizeof errbuf));
		if (!accept_error_transient(code)) {
			status = 1;
			break;
		}
		/* Go's http.Server: wait 5 ms, doubling up to 1 s, then try again. */
		delay_ms = delay_ms ? delay_ms * 2 : 5;
		if (delay_ms > 1000)
			delay_ms = 1000;
		struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}

	/* Stop: no more Accept for the signal thread to wake, then close every conn. */
	pthread_mutex_lock(&mu);
	stopping = true;
	the_listener = NULL;
	for (struct conn_node *n = conns; n; n = n->next)
		rn_conn_close(n->conn); /* the conn threads see RN_ECLOSED and free it */
	while (nconns > 0)
		pthread_cond_wait(&conns_done, &mu);
	pthread_mutex_unlock(&mu);
	rn_listener_free(l);
	rn_conn_close(u); /* wakes the UDP thread's ReadFrom */
	pthread_join(ut, NULL);
	rn_conn_free(u);

	if (fflush(stdout) != 0) {
		perror(prog);
		return 1;
	}
	return status;
}
