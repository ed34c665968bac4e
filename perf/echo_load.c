/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * echo_load - the load generator of ringnet's echo benchmark.
 *
 *   echo_load pingpong [-c CONNS] [-d SECONDS] [-n COUNT] [-s SIZE] [-i] ADDRESS
 *   echo_load stream   [-c CONNS] [-d SECONDS] [-b BLOCK] [-w WINDOW] ADDRESS
 *
 * It does not use ringnet, so ringnet-echo and the epoll baseline are driven
 * by the same client: one thread, nonblocking sockets, a level-triggered
 * epoll loop, TCP_NODELAY.  ADDRESS is an IPv4 or IPv6 literal HOST:PORT
 * ("127.0.0.1:7000", "[::1]:7000").
 *
 * pingpong: each of CONNS conns sends SIZE bytes (default 64), waits for the
 *   whole echo, checks it, and sends the next request, until SECONDS have
 *   passed (default 3) or COUNT requests were sent; then it waits for the
 *   answers still in flight.  Every request's latency is recorded, from the
 *   write to the last byte of its echo.
 *   With -i, first every conn makes one exchange of SIZE bytes and then sits
 *   idle: the program prints "idle conns=N" on stdout and waits (at most 120
 *   s) for SIGUSR1 before the timed run, so a script can read the server's
 *   memory with N idle conns open (perf/task_run.sh).
 * stream: each of CONNS conns writes BLOCK-byte blocks (default 4096) while
 *   reading the echo, with at most WINDOW bytes (default 256 KiB) written
 *   and not yet echoed, until SECONDS have passed; then it reads what is in
 *   flight.  A "request" is one BLOCK echoed.
 *
 * The result is one line of key=value pairs on stdout, for scripts:
 *   mode=pingpong conns=64 requests=N seconds=S rps=R p50_us=A p99_us=B
 *   mode=stream conns=16 requests=N bytes=B seconds=S rps=R mibps=M
 * where requests counts everything that completed, including the drain at
 * the end, and seconds runs from the first write to the last echo.
 *
 * Up to 65536 conns; the open-files limit is raised to fit them when it is
 * lower (up to the hard limit, or past it for root).
 *
 * Loops are bounded: SECONDS is at most 600, the drain gives up after 10 s
 * and a run with no progress for 10 s stops with an error.
 * Exit status: 0 on success, 1 on a connection or echo error, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 65536
#define MAX_SIZE (1024 * 1024)
#define READ_BUF (64 * 1024)
#define MAX_EVENTS 256
#define DRAIN_NS (10 * 1000000000LL)
#define STALL_NS (10 * 1000000000LL)

static const char *prog = "echo_load";

struct conn {
	int fd;
	bool want_out; /* stream: EPOLLOUT is in the interest set */
	bool done;
	uint64_t seq;	       /* pingpong: the request in flight */
	int64_t t0;	       /* pingpong: when it was written */
	size_t got;	       /* pingpong: bytes of its echo so far */
	uint64_t sent, recvd;  /* stream: bytes written and echoed */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s pingpong [-c CONNS] [-d SECONDS] [-n COUNT] [-s SIZE] [-i] ADDRESS\n"
		"       %s stream   [-c CONNS] [-d SECONDS] [-b BLOCK] [-w WINDOW] ADDRESS\n"
		"\n"
		"Drive a TCP echo server at ADDRESS (an IP literal HOST:PORT) from one\n"
		"epoll thread and print one line of key=value results.\n"
		"  -c CONNS    connections (default 1 for pingpong, 16 for stream)\n"
		"  -d SECONDS  how long to send (default 3, at most 600)\n"
		"  -n COUNT    pingpong: stop after COUNT requests (default: no limit)\n"
		"  -s SIZE     pingpong: request size in bytes (default 64)\n"
		"  -i          pingpong: one exchange per conn, print \"idle conns=N\",\n"
		"              wait for SIGUSR1, then the timed run\n"
		"  -b BLOCK    stream: block size in bytes (default 4096)\n"
		"  -w WINDOW   stream: bytes in flight per conn at most (default 262144)\n",
		prog, prog);
}

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	size_t hl;

	if (!colon)
		return -1;
	hl = (size_t)(colon - s);
	if (hl >= sizeof host)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	long port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof *ss);
	if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -1;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof *s6;
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, host[0] ? host : "127.0.0.1", &s4->sin_addr) != 1)
		return -1;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	*len = sizeof *s4;
	return 0;
}

/* A connected, nonblocking, TCP_NODELAY socket, or -1. */
static int dial(const struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted @v. */
static double pct_us(const uint32_t *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 1000.0;
}

/* The request payload: depends on the request number so a stale echo is caught. */
static void fill_request(char *buf, size_t size, uint64_t seq)
{
	for (size_t i = 0; i < size; i++)
		buf[i] = (char)('A' + (seq + i) % 26);
}

/*
 * Read more of @c's echo of a @size-byte request into @in (it has c->got bytes
 * so far, which this advances).  Returns the bytes read, 0 when none are there
 * yet (EAGAIN, EINTR), or -1 after saying why the conn failed.
 */
static ssize_t read_echo(struct conn *c, char *in, size_t size)
{
	ssize_t r = read(c->fd, in + c->got, size - c->got);

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0) {
		fprintf(stderr, "%s: read: %s\n", prog,
			r < 0 ? strerror(errno) : "the server closed the connection");
		return -1;
	}
	c->got += (size_t)r;
	return r;
}

/*
 * One exchange of @size bytes on every conn, then print "idle conns=N" and
 * wait for SIGUSR1 (blocked by the caller): the conns stay open and idle
 * while a script reads the server's memory.  Returns 0, or 1 on an error.
 */
static int idle_phase(struct conn *cs, int nconn, int ep, size_t size)
{
	char *req = malloc(size), *in = malloc(size);
	struct epoll_event evs[MAX_EVENTS];
	int64_t last_progress = now_ns();
	int pending = nconn, status = 0;

	if (!req || !in) {
		fprintf(stderr, "%s: out of memory\n", prog);
		free(req);
		free(in);
		return 1;
	}
	fill_request(req, size, 0);
	for (int i = 0; i < nconn && status == 0; i++) {
		cs[i].got = 0;
		if (write(cs[i].fd, req, size) != (ssize_t)size) {
			fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
			status = 1;
		}
	}
	while (pending > 0 && status == 0) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, 50);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "%s: epoll_wait: %s\n", prog, strerror(errno));
			status = 1;
		}
		for (int k = 0; k < n && status == 0; k++) {
			struct conn *c = evs[k].data.ptr;
			ssize_t r = read_echo(c, in, size);

			if (r == 0)
				continue;
			if (r < 0) {
				status = 1;
				break;
			}
			if (c->got == size) {
				if (memcmp(in, req, size) != 0) {
					fprintf(stderr, "%s: the echo differs from the request\n", prog);
					status = 1;
				}
				c->got = 0;
				pending--;
			}
			last_progress = now_ns();
		}
		if (status == 0 && now_ns() - last_progress > STALL_NS) {
			fprintf(stderr, "%s: no echo for 10 s: %d conns still waiting\n", prog,
				pending);
			status = 1;
		}
	}
	free(req);
	free(in);
	if (status != 0)
		return status;

	sigset_t usr1;
	struct timespec limit = {120, 0};
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	printf("idle conns=%d\n", nconn);
	fflush(stdout);
	if (sigtimedwait(&usr1, NULL, &limit) != SIGUSR1) {
		fprintf(stderr, "%s: no SIGUSR1 within 120 s of going idle\n", prog);
		return 1;
	}
	return 0;
}

/* Make room for @nconn sockets plus a few: raise RLIMIT_NOFILE when it is lower. */
static void raise_nofile(int nconn)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)nconn + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need; /* only root may; else the dial fails with EMFILE */
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int run_pingpong(struct conn *cs, int nconn, int ep, double seconds, uint64_t count,
			size_t size)
{
	char *req = malloc(size), *want = malloc(size), *in = malloc(size);
	size_t lat_cap = 1 << 20, nlat = 0;
	uint32_t *lat = malloc(lat_cap * sizeof *lat);
	struct epoll_event evs[MAX_EVENTS];
	uint64_t issued = 0;
	int active = nconn, status = 0;

	if (!req || !want || !in || !lat) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	int64_t start = now_ns();
	int64_t stop_at = start + (int64_t)(seconds * 1e9);
	int64_t last_progress = start, end = start;
	bool stopping = false;

	for (int i = 0; i < nconn; i++) {
		struct conn *c = &cs[i];

		c->seq = issued++;
		fill_request(req, size, c->seq);
		c->t0 = now_ns();
		if (write(c->fd, req, size) != (ssize_t)size) {
			fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
			return 1;
		}
	}
	while (active > 0) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, 50);
		int64_t t = now_ns();

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "%s: epoll_wait: %s\n", prog, strerror(errno));
			status = 1;
			break;
		}
		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			ssize_t r = read_echo(c, in, size);

			if (r == 0)
				continue;
			if (r < 0)
				return 1;
			if (c->got < size)
				continue;
			t = now_ns();
			fill_request(want, size, c->seq);
			if (memcmp(in, want, size) != 0) {
				fprintf(stderr, "%s: the echo differs from the request\n", prog);
				return 1;
			}
			if (nlat == lat_cap) {
				uint32_t *nl = realloc(lat, 2 * lat_cap * sizeof *lat);
				if (!nl) {
					fprintf(stderr, "%s: out of memory\n", prog);
					return 1;
				}
				lat = nl;
				lat_cap *= 2;
			}
			int64_t d = t - c->t0;
			lat[nlat++] = d > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)d;
			last_progress = end = t;
			c->got = 0;
			if (!stopping && (t >= stop_at || (count && issued >= count)))
				stopping = true;
			if (stopping) {
				c->done = true;
				active--;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				continue;
			}
			c->seq = issued++;
			fill_request(req, size, c->seq);
			c->t0 = t;
			if (write(c->fd, req, size) != (ssize_t)size) {
				fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
				return 1;
			}
		}
		if (!stopping && t >= stop_at)
			stopping = true;
		if (t - last_progress > STALL_NS || (stopping && t - stop_at > DRAIN_NS)) {
			fprintf(stderr, "%s: no echo for 10 s: %d conns still waiting\n", prog, active);
			status = 1;
			break;
		}
	}
	qsort(lat, nlat, sizeof *lat, cmp_u32);
	double secs = (double)(end - start) / 1e9;
	printf("mode=pingpong conns=%d size=%zu requests=%zu seconds=%.3f rps=%.0f "
	       "p50_us=%.1f p99_us=%.1f max_us=%.1f\n",
	       nconn, size, nlat, secs, secs > 0 ? (double)nlat / secs : 0.0,
	       pct_us(lat, nlat, 50), pct_us(lat, nlat, 99), pct_us(lat, nlat, 100));
	free(req);
	free(want);
	free(in);
	free(lat);
	return status;
}

static void set_out(int ep, struct conn *c, bool on)
{
	if (c->want_out == on)
		return;
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = on;
}

static int run_stream(struct conn *cs, int nconn, int ep, double seconds, size_t block,
		      uint64_t window)
{
	char *out = malloc(block), *in = malloc(READ_BUF);
	struct epoll_event evs[MAX_EVENTS];
	int active = nconn, status = 0;

	if (!out || !in) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	for (size_t i = 0; i < block; i++)
		out[i] = (char)(i * 7 + i / 251);
	for (int i = 0; i < nconn; i++)
		set_out(ep, &cs[i], true);

	int64_t start = now_ns();
	int64_t stop_at = start + (int64_t)(seconds * 1e9);
	int64_t last_progress = start, end = start;
	bool stopping = false;

	while (active > 0) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, 50);
		int64_t t = now_ns();

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "%s: epoll_wait: %s\n", prog, strerror(errno));
			status = 1;
			break;
		}
		if (!stopping && t >= stop_at) {
			stopping = true;
			for (int i = 0; i < nconn; i++)
				set_out(ep, &cs[i], false);
		}
		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;

			if (c->done)
				continue;
			if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
				ssize_t r = read(c->fd, in, READ_BUF);

				if (r < 0 && errno != EAGAIN && errno != EINTR) {
					fprintf(stderr, "%s: read: %s\n", prog, strerror(errno));
					return 1;
				}
				if (r == 0) {
					fprintf(stderr, "%s: read: the server closed the connection\n",
						prog);
					return 1;
				}
				if (r > 0) {
					/* A spot check: the first and last bytes are where they belong. */
					if (in[0] != out[c->recvd % block] ||
					    in[r - 1] != out[(c->recvd + (uint64_t)r - 1) % block]) {
						fprintf(stderr, "%s: the echo differs from the stream\n",
							prog);
						return 1;
					}
					c->recvd += (uint64_t)r;
					if (c->recvd > c->sent) {
						fprintf(stderr, "%s: more echoed than sent\n", prog);
						return 1;
					}
					last_progress = end = t;
				}
			}
			if (!stopping && (evs[k].events & EPOLLOUT)) {
				while (c->sent - c->recvd < window) {
					size_t off = (size_t)(c->sent % block);
					ssize_t w = write(c->fd, out + off, block - off);

					if (w < 0) {
						if (errno == EAGAIN || errno == EINTR)
							break;
						fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
						return 1;
					}
					c->sent += (uint64_t)w;
				}
			}
			if (!stopping)
				set_out(ep, c, c->sent - c->recvd < window);
			if (stopping && c->recvd == c->sent) {
				c->done = true;
				active--;
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
			}
		}
		if (stopping) {
			/* Conns with nothing in flight get no more events. */
			for (int i = 0; i < nconn; i++) {
				struct conn *c = &cs[i];

				if (!c->done && c->recvd == c->sent) {
					c->done = true;
					active--;
					epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				}
			}
		}
		if (t - last_progress > STALL_NS || (stopping && t - stop_at > DRAIN_NS)) {
			fprintf(stderr, "%s: no echo for 10 s: %d conns still waiting\n", prog, active);
			status = 1;
			break;
		}
	}
	uint64_t bytes = 0;
	for (int i = 0; i < nconn; i++)
		bytes += cs[i].recvd;
	double secs = (double)(end - start) / 1e9;
	uint64_t reqs = bytes / block;
	printf("mode=stream conns=%d block=%zu requests=%llu bytes=%llu seconds=%.3f rps=%.0f "
	       "mibps=%.1f\n",
	       nconn, block, (unsigned long long)reqs, (unsigned long long)bytes, secs,
	       secs > 0 ? (double)reqs / secs : 0.0,
	       secs > 0 ? (double)bytes / secs / (1024.0 * 1024.0) : 0.0);
	free(out);
	free(in);
	return status;
}

int main(int argc, char **argv)
{
	int nconn = -1, opt;
	bool idle_first = false;
	double seconds = 3;
	uint64_t count = 0, window = 256 * 1024;
	size_t size = 64, block = 4096;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *mode = argv[1];
	bool pingpong = strcmp(mode, "pingpong") == 0;
	if (!pingpong && strcmp(mode, "stream") != 0) {
		fprintf(stderr, "%s: unknown mode \"%s\": pingpong or stream\n", prog, mode);
		return 2;
	}
	optind = 2;
	while ((opt = getopt(argc, argv, "c:d:n:s:b:w:i")) != -1) {
		switch (opt) {
		case 'c':
			nconn = atoi(optarg);
			break;
		case 'd':
			seconds = atof(optarg);
			break;
		case 'n':
			count = strtoull(optarg, NULL, 10);
			break;
		case 's':
			size = strtoul(optarg, NULL, 10);
			break;
		case 'b':
			block = strtoul(optarg, NULL, 10);
			break;
		case 'w':
			window = strtoull(optarg, NULL, 10);
			break;
		case 'i':
			idle_first = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (nconn < 0)
		nconn = pingpong ? 1 : 16;
	if (argc - optind != 1 || nconn < 1 || nconn > MAX_CONNS || !(seconds > 0) ||
	    seconds > 600 || size < 1 || size > MAX_SIZE || block < 1 || block > MAX_SIZE ||
	    window < 1 || (idle_first && !pingpong)) {
		usage(stderr);
		return 2;
	}
	raise_nofile(nconn);
	if (idle_first) {
		/* Blocked from now on, so a SIGUSR1 sent early waits for sigtimedwait. */
		sigset_t usr1;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
	}

	struct sockaddr_storage ss;
	socklen_t sslen;
	if (parse_addr(argv[optind], &ss, &sslen) < 0) {
		fprintf(stderr, "%s: %s: not an IP literal HOST:PORT\n", prog, argv[optind]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	struct conn *cs = calloc((size_t)nconn, sizeof *cs);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cs || ep < 0) {
		fprintf(stderr, "%s: set-up: %s\n", prog, strerror(errno));
		return 1;
	}
	for (int i = 0; i < nconn; i++) {
		struct conn *c = &cs[i];

		c->fd = dial(&ss, sslen);
		if (c->fd < 0) {
			fprintf(stderr, "%s: dial %s: %s\n", prog, argv[optind], strerror(errno));
			return 1;
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			fprintf(stderr, "%s: epoll_ctl: %s\n", prog, strerror(errno));
			return 1;
		}
	}

	int status = idle_first ? idle_phase(cs, nconn, ep, size) : 0;
	if (status == 0)
		status = pingpong ? run_pingpong(cs, nconn, ep, seconds, count, size)
				  : run_stream(cs, nconn, ep, seconds, block, window);
	for (int i = 0; i < nconn; i++)
		close(cs[i].fd);
	close(ep);
	free(cs);
	return status;
}
