/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet-ping - ICMP echo over IPv4 on a ringnet RawConn, with iputils
 * ping's output.
 *
 *   ringnet-ping [-c count] [-i interval] [-s size] [-W timeout] [-f] [-q] HOST
 *
 * Opens ListenPacket("ip4:icmp", "0.0.0.0") (root or CAP_NET_RAW), wraps it
 * in an ipv4.RawConn and builds every IPv4 header itself.  Two filters keep
 * the socket quiet: the kernel's ICMP filter lets only echo replies through
 * (a raw socket on loopback would otherwise see our own requests), and a
 * classic BPF program drops echo replies that carry another process's
 * identifier (other pings on the host).  All waiting is done by reads under
 * a read deadline, so the loop never blocks past the next thing it has to
 * do; SIGINT/SIGTERM close the conn from a signal thread, which wakes the
 * blocked read, and the statistics are printed as after the last reply.
 *
 * Exit status (iputils' convention): 0 when a reply came, 1 when none did
 * (or the raw socket cannot be opened), 2 for other errors.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/filter.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "tool_common.h"

#define ERRBUF 2048
#define ICMP_HDRLEN 8
#define MAX_DATALEN (65535 - RN_IPV4_HEADER_LEN - ICMP_HDRLEN) /* 65507 */
#define DEFAULT_DATALEN 56
#define DEFAULT_LINGER_MS 10000 /* iputils' MAXWAIT: -W default */
#define MIN_INTERVAL_MS 10	/* unlimited flood: one request per 10 ms without replies */
#define TV_LEN ((int)sizeof(struct timeval))

_Static_assert(sizeof(rn_bpf_raw_instruction) == sizeof(struct sock_filter),
	       "rn_bpf_raw_instruction must be laid out as struct sock_filter");

static const char *prog = "ringnet-ping";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-c count] [-i interval] [-s size] [-W timeout] [-f] [-q] HOST\n"
		"\n"
		"Sends ICMP echo requests to HOST over IPv4 and prints each reply and a\n"
		"summary in the format of iputils ping.  HOST is an IPv4 address or a\n"
		"name resolved as Go's net.ResolveIPAddr(\"ip4\", HOST) does (/etc/hosts\n"
		"first).  The requests go out on a ringnet RawConn (ListenPacket\n"
		"\"ip4:icmp\", IP_HDRINCL), which needs root or CAP_NET_RAW.\n"
		"\n"
		"options:\n"
		"  -c count     stop after count replies (or count requests and the wait\n"
		"               for their replies); default: until interrupted\n"
		"  -i interval  seconds between requests, fractions allowed (default 1)\n"
		"  -s size      ICMP data bytes per request (default 56, at most %d);\n"
		"               with 16 or more the data starts with a timestamp and\n"
		"               round-trip times are printed\n"
		"  -W timeout   seconds to wait for a reply after the last request when\n"
		"               none has come yet (default 10); once replies have come\n"
		"               the wait is twice the longest round trip, or the\n"
		"               interval if longer\n"
		"  -f           flood: send the next request as soon as a reply comes,\n"
		"               or every 10 ms (at the -i interval when one is given);\n"
		"               print '.' per request and a backspace per reply\n"
		"  -q           quiet: print only the first line and the summary\n"
		"  -h, --help   print this help and exit\n"
		"  -V, --version  print the ringnet version and exit\n"
		"\n"
		"SIGINT or SIGTERM stops at once and prints the summary.  Reply\n"
		"sources are printed as addresses (a name only when the source is HOST\n"
		"itself, given as a name): no reverse lookups, so no DNS traffic.\n"
		"\n"
		"exit status: 0 when at least one reply came, 1 when none did or the\n"
		"raw socket cannot be opened (\"socket: operation not permitted\"\n"
		"without privileges), 2 for any other error (usage, an unknown HOST,\n"
		"no route to HOST, a failing read).\n"
		"\n"
		"example:\n"
		"  %s -c 3 -i 0.2 127.0.0.1\n",
		prog, MAX_DATALEN, prog);
}

/* ---- options ----------------------------------------------------------------- */

static long npackets;			 /* -c; 0 = until interrupted */
static long interval_ms = 1000;		 /* -i */
static bool interval_given;
static long datalen = DEFAULT_DATALEN;	 /* -s */
static long linger_ms = DEFAULT_LINGER_MS; /* -W */
static bool opt_flood, opt_quiet;

/* A decimal integer in [lo, hi], or exit 2 with iputils' words. */
static long parse_long(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno == ERANGE) {
		fprintf(stderr, "%s: invalid argument: '%s'\n", prog, s);
		exit(2);
	}
	if (v < lo || v > hi) {
		fprintf(stderr, "%s: invalid argument: '%s': out of range: %ld <= value <= %ld\n",
			prog, s, lo, hi);
		exit(2);
	}
	return v;
}

/* Seconds with a fraction, in [lo, hi], as milliseconds; exit 2 with @what otherwise. */
static long parse_seconds_ms(const char *s, double lo, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || isnan(v) || v < lo ||
	    v > (double)INT_MAX / 1000) {
		fprintf(stderr, "%s: %s: %s\n", prog, what, s);
		exit(2);
	}
	return (long)(v * 1000);
}

/* ---- the conn and the signal thread ------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static rn_ipv4_rawconn *the_rc; /* for the signal thread, under mu */
static bool stopping;		/* a signal asked us to stop, under mu */

static bool is_stopping(void)
{
	pthread_mutex_lock(&mu);
	bool s = stopping;
	pthread_mutex_unlock(&mu);
	return s;
}

/*
 * The first SIGINT/SIGTERM closes the conn: the blocked read returns
 * RN_ECLOSED and the main loop prints the summary.  Another signal a second
 * or more later means that is stuck: exit at once (see struct stop_signals).
 */
static void stop_on_signal(void)
{
	pthread_mutex_lock(&mu);
	stopping = true;
	if (the_rc)
		rn_ipv4_rawconn_close(the_rc);
	pthread_mutex_unlock(&mu);
}

static struct stop_signals stop_signals = {
	.stop = stop_on_signal,
	.again = "exiting",
	.again_status = 2,
};

/* ---- state and statistics (iputils' counters, in microseconds) ---------------- */

static long ntransmitted, nreceived, nrepeats, nchecksum, nerrors;
static long long tsum, tsum2; /* sum of round trips and of their squares, us */
static long tmin = LONG_MAX, tmax;
static long rtt_ewma;	     /* 8 times the moving average, us (iputils' rtt) */
static int pipesize = -1;
static uint16_t acked;	     /* the newest sequence number answered */
static uint8_t rcvd_tbl[65536 / 8];
static bool timing;	     /* the data carries a timestamp */
static uint16_t ident;
static char *outpack;	     /* ICMP header + data of the next request */
static int64_t start_ns, last_ns; /* CLOCK_MONOTONIC: first send, last send or reply */

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Requests not answered yet, as iputils counts them. */
static long in_flight(void)
{
	uint16_t diff = (uint16_t)((uint16_t)ntransmitted - acked);

	return diff <= 0x7fff ? diff : ntransmitted - nreceived - nerrors;
}

/* A reply to @seq came: widen the pipe and move the acknowledged mark. */
static void acknowledge(uint16_t seq)
{
	uint16_t diff = (uint16_t)((uint16_t)ntransmitted - seq);

	if (diff <= 0x7fff) {
		if ((int)diff + 1 > pipesize)
			pipesize = (int)diff + 1;
		if ((int16_t)(seq - acked) > 0 ||
		    (uint16_t)((uint16_t)ntransmitted - acked) > 0x7fff)
			acked = seq;
	}
}

/* RFC 1071 checksum of @n bytes. */
static uint16_t in_cksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t sum = 0;

	for (; n > 1; n -= 2, b += 2)
		sum += (uint32_t)b[0] << 8 | b[1];
	if (n)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void write_stdout(const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDOUT_FILENO, s, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

/*
 * Send request number ntransmitted + 1.  A write error is printed and
 * counted (iputils' "+N errors"); only a closed conn is returned.
 */
static int send_probe(rn_ipv4_rawconn *rc, rn_ip dst)
{
	uint16_t seq = (uint16_t)(ntransmitted + 1);
	size_t len = ICMP_HDRLEN + (size_t)datalen;
	uint8_t *icmp = (uint8_t *)outpack;
	rn_ipv4_header h;
	char errbuf[ERRBUF];
	uint16_t ck;

	icmp[0] = RN_IPV4_ICMP_TYPE_ECHO;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	icmp[4] = (uint8_t)(ident >> 8);
	icmp[5] = (uint8_t)ident;
	icmp[6] = (uint8_t)(seq >> 8);
	icmp[7] = (uint8_t)seq;
	if (timing) {
		struct timeval tv;

		gettimeofday(&tv, NULL);
		memcpy(icmp + ICMP_HDRLEN, &tv, sizeof tv);
	}
	ck = in_cksum(icmp, len);
	icmp[2] = (uint8_t)(ck >> 8);
	icmp[3] = (uint8_t)ck;

	/* ID, checksum and source left zero: the kernel fills them in. */
	memset(&h, 0, sizeof h);
	h.version = RN_IPV4_VERSION;
	h.len = RN_IPV4_HEADER_LEN;
	h.total_len = RN_IPV4_HEADER_LEN + (int)len;
	h.ttl = 64;
	h.protocol = 1;
	h.dst = dst;

	int res = rn_ipv4_rawconn_write_to(rc, &h, icmp, len, NULL);
	last_ns = mono_ns();
	if (ntransmitted == 0)
		start_ns = last_ns;
	if (res < 0) {
		if (res == RN_ECLOSED)
			return res;
		rn_error_string(NULL, errbuf, sizeof errbuf);
		if (opt_flood && !opt_quiet)
			write_stdout("E", 1);
		else
			fprintf(stderr, "%s: %s\n", prog, errbuf);
		nerrors++;
	} else if (opt_flood && !opt_quiet) {
		write_stdout(".", 1);
	}
	ntransmitted++;
	return 0;
}

/* The " time=..." of a reply, rounded as iputils does. */
static void print_time(long t)
{
	if (t >= 100000 - 50)
		printf(" time=%ld ms", (t + 500) / 1000);
	else if (t >= 10000 - 5)
		printf(" time=%ld.%01ld ms", (t + 50) / 1000, ((t + 50) % 1000) / 100);
	else if (t >= 1000)
		printf(" time=%ld.%02ld ms", (t + 5) / 1000, ((t + 5) % 1000) / 10);
	else
		printf(" time=%ld.%03ld ms", t / 1000, t % 1000);
}

/*
 * One datagram from the socket: account and print it if it is an echo
 * reply to one of our requests.  @from is how to name its source.
 */
static void handle_reply(const rn_ipv4_header *h, const uint8_t *icmp, long cc,
			 const struct timeval *now, const char *from)
{
	bool csfailed, dup = false;
	long triptime = 0;
	uint16_t seq;

	/* The filters should have let nothing else through; check anyway. */
	if (cc < ICMP_HDRLEN || icmp[0] != RN_IPV4_ICMP_TYPE_ECHO_REPLY ||
	    (uint16_t)(icmp[4] << 8 | icmp[5]) != ident)
		return;
	seq = (uint16_t)(icmp[6] << 8 | icmp[7]);
	/* Not a sequence number we sent (yet): a stale reply, not ours. */
	if (ntransmitted < 65536 && (seq == 0 || seq > ntransmitted))
		return;
	csfailed = in_cksum(icmp, (size_t)cc) != 0;

	last_ns = mono_ns();
	nreceived++;
	if (!csfailed)
		acknowledge(seq);
	if (timing && cc >= ICMP_HDRLEN + TV_LEN) {
		struct timeval sent;

		memcpy(&sent, icmp + ICMP_HDRLEN, sizeof sent);
		triptime = (long)(now->tv_sec - sent.tv_sec) * 1000000 +
			   (now->tv_usec - sent.tv_usec);
		if (triptime < 0)
			triptime = 0; /* the clock went back */
		if (!csfailed) {
			tsum += triptime;
			tsum2 += (long long)triptime * triptime;
			if (triptime < tmin)
				tmin = triptime;
			if (triptime > tmax)
				tmax = triptime;
			if (!rtt_ewma)
				rtt_ewma = triptime * 8;
			else
				rtt_ewma += triptime - rtt_ewma / 8;
		}
	}
	if (csfailed) {
		nchecksum++;
		nreceived--;
	} else if (rcvd_tbl[seq >> 3] & (1u << (seq & 7))) {
		nrepeats++;
		nreceived--;
		dup = true;
	} else {
		rcvd_tbl[seq >> 3] |= (uint8_t)(1u << (seq & 7));
	}

	if (opt_quiet)
		return;
	if (opt_flood) {
		if (csfailed)
			write_stdout("\bC", 2);
		else
			write_stdout("\b \b", 3);
		return;
	}
	printf("%ld bytes from %s: icmp_seq=%u ttl=%d", cc, from, seq, h->ttl);
	if (cc < datalen + ICMP_HDRLEN) {
		printf(" (truncated)\n");
		return;
	}
	if (timing)
		print_time(triptime);
	if (dup)
		printf(" (DUP!)");
	if (csfailed)
		printf(" (BAD CHECKSUM!)");
	/* The pattern after the timestamp must have come back unchanged. */
	const uint8_t *got = icmp + ICMP_HDRLEN, *want = (const uint8_t *)outpack + ICMP_HDRLEN;
	for (long i = TV_LEN; i < datalen; i++) {
		if (got[i] == want[i])
			continue;
		printf("\nwrong data byte #%ld should be 0x%x but was 0x%x", i, want[i], got[i]);
		for (long j = TV_LEN; j < datalen; j++) {
			if (j % 32 == TV_LEN)
				printf("\n#%ld\t", j);
			printf("%x ", got[j]);
		}
		break;
	}
	putchar('\n');
}

/* iputils' integer square root (Newton's method), for mdev. */
static long llsqrt(long long a)
{
	long long prev = LLONG_MAX, x = a;

	if (x > 0) {
		while (x < prev) {
			prev = x;
			x = (x + a / x) / 2;
		}
	}
	return (long)x;
}

/* The summary, exactly as iputils prints it. */
static void finish(const char *hostname)
{
	int64_t span = ntransmitted ? last_ns - start_ns : 0;
	long span_us = (long)(span / 1000);
	const char *comma = "";

	putchar('\n');
	printf("--- %s ping statistics ---\n", hostname);
	printf("%ld packets transmitted, %ld received", ntransmitted, nreceived);
	if (nrepeats)
		printf(", +%ld duplicates", nrepeats);
	if (nchecksum)
		printf(", +%ld corrupted", nchecksum);
	if (nerrors)
		printf(", +%ld errors", nerrors);
	if (ntransmitted) {
		printf(", %g%% packet loss",
		       (float)((double)(ntransmitted - nreceived) * 100.0 / (double)ntransmitted));
		printf(", time %ldms", (long)((span + 500000) / 1000000));
	}
	putchar('\n');

	if (nreceived && timing) {
		long total = nreceived + nrepeats;
		long long avg = tsum / total, var;

		/* iputils' order of operations: exact for small times. */
		if (tsum < INT_MAX)
			var = (tsum2 - tsum * tsum / total) / total;
		else
			var = tsum2 / total - avg * avg;
		long mdev = llsqrt(var);
		printf("rtt min/avg/max/mdev = %ld.%03ld/%lld.%03lld/%ld.%03ld/%ld.%03ld ms",
		       tmin / 1000, tmin % 1000, avg / 1000, avg % 1000, tmax / 1000, tmax % 1000,
		       mdev / 1000, mdev % 1000);
		comma = ", ";
	}
	if (pipesize > 1) {
		printf("%spipe %d", comma, pipesize);
		comma = ", ";
	}
	if (nreceived && (interval_ms == 0 || opt_flood) && ntransmitted > 1) {
		long ipg = span_us / (ntransmitted - 1);

		printf("%sipg/ewma %ld.%03ld/%ld.%03ld ms", comma, ipg / 1000, ipg % 1000,
		       rtt_ewma / 8000, (rtt_ewma / 8) % 1000);
	}
	putchar('\n');
}

/*
 * iputils' route probe: connect a UDP socket to HOST port 1025 (nothing is
 * sent) so that a HOST without a route fails up front, with its words and
 * status 2, instead of as one send error per request.
 */
static int probe_route(const char *ipstr)
{
	char address[80];
	rn_conn *c;
	int code;

	snprintf(address, sizeof address, "%s:1025", ipstr);
	c = rn_dial("udp4", address);
	if (c) {
		rn_conn_free(c);
		return 0;
	}
	code = rn_last_error()->code;
	if (code < 0 && code > RN_EBASE)
		fprintf(stderr, "%s: connect: %s\n", prog, strerror(-code));
	else
		fprintf(stderr, "%s: connect: %s\n", prog, rn_strerror(code));
	return -1;
}

/*
 * The socket filter: accept ICMP echo replies whose identifier is @id,
 * drop the rest.  A raw IPv4 socket's filter sees the datagram from its IP
 * header, so X is first pointed past it (4 * IHL).
 */
static int install_filters(rn_ipv4_rawconn *rc, uint16_t id)
{
	rn_bpf_raw_instruction bpf[] = {
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),		  /* x = 4*([0]&0xf) */
		BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),		  /* a = icmp type */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3),	  /* echo reply? else drop */
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),		  /* a = icmp identifier */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, id, 0, 1),	  /* ours? else drop */
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),		  /* accept it whole */
		BPF_STMT(BPF_RET | BPF_K, 0),			  /* drop */
	};
	rn_ipv4_icmp_filter f;

	rn_ipv4_icmp_filter_set_all(&f, true);
	if (rn_ipv4_icmp_filter_accept(&f, RN_IPV4_ICMP_TYPE_ECHO_REPLY) < 0 ||
	    rn_ipv4_rawconn_set_icmp_filter(rc, &f) < 0)
		return -1;
	if (rn_ipv4_rawconn_set_bpf(rc, bpf, sizeof bpf / sizeof bpf[0]) < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:i:s:W:fqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			npackets = parse_long(optarg, 1, LONG_MAX);
			break;
		case 'i':
			interval_ms = parse_seconds_ms(optarg, 0, "bad timing interval");
			interval_given = true;
			break;
		case 's':
			datalen = parse_long(optarg, 0, INT_MAX);
			break;
		case 'W':
			linger_ms = parse_seconds_ms(optarg, 0.001, "bad linger time");
			break;
		case 'f':
			opt_flood = true;
			break;
		case 'q':
			opt_quiet = true;
			break;
		default: /* -h, -V, or an option getopt rejected */
			return common_option(c, usage);
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "%s: %s\n", prog,
			optind >= argc ? "no HOST given" : "only one HOST, please");
		try_help();
		return 2;
	}
	if (datalen > MAX_DATALEN) {
		fprintf(stderr, "%s: packet size %ld is too large. Maximum is %d\n", prog, datalen,
			MAX_DATALEN);
		return 2;
	}
	if (opt_flood && !interval_given)
		interval_ms = 0; /* iputils: as fast as replies come, at least 100/s */
	timing = datalen >= TV_LEN;

	const char *host = argv[optind];
	rn_ipaddr target;
	if (rn_resolve_ip_addr("ip4", host, &target) < 0) {
		print_last_error();
		return 2;
	}
	rn_ip dst = rn_ip_to4(target.ip);
	char ipstr[64];
	rn_ip_string(dst, ipstr, sizeof ipstr);
	bool numeric = strcmp(ipstr, host) == 0 || !rn_ip_is_nil(rn_parse_ip(host));

	if (start_stop_signals(&stop_signals) < 0)
		return 2;

	if (rn_engine_start() < 0) {
		print_last_error();
		return 2;
	}
	if (probe_route(ipstr) < 0)
		return 2;
	rn_conn *conn = rn_listen_packet("ip4:icmp", "0.0.0.0");
	if (!conn) {
		/* No CAP_NET_RAW: "listen ip4:icmp 0.0.0.0: socket: operation not permitted". */
		print_last_error();
		return 1;
	}
	rn_ipv4_rawconn *raw = rn_ipv4_new_rawconn(conn);
	if (!raw) {
		print_last_error();
		rn_conn_free(conn);
		return 2;
	}
	ident = (uint16_t)(getpid() & 0xffff);
	if (install_filters(raw, ident) < 0) {
		print_last_error();
		rn_ipv4_rawconn_free(raw);
		return 2;
	}

	/* Room for the largest datagram, options included. */
	size_t rbuf_size = 65536 + RN_IPV4_MAX_OPTIONS;
	uint8_t *rbuf = malloc(rbuf_size);
	outpack = malloc(ICMP_HDRLEN + (size_t)datalen);
	if (!rbuf || !outpack) {
		print_enomem();
		return 2;
	}
	/* iputils' pattern: data byte i is i; the timestamp covers the first 16. */
	for (long i = 0; i < datalen; i++)
		outpack[ICMP_HDRLEN + i] = (char)(i & 0xff);

	char from_named[512];
	snprintf(from_named, sizeof from_named, "%s (%s)", host, ipstr);

	pthread_mutex_lock(&mu);
	the_rc = raw;
	bool early = stopping; /* a signal before the conn existed */
	pthread_mutex_unlock(&mu);

	if (!opt_flood)
		setvbuf(stdout, NULL, _IOLBF, 0);
	printf("PING %s (%s) %ld(%ld) bytes of data.\n", numeric ? ipstr : host, ipstr, datalen,
	       datalen + ICMP_HDRLEN + RN_IPV4_HEADER_LEN);
	fflush(stdout);

	int status = 0;
	int64_t next_send = mono_ns(), exit_at = 0;
	start_ns = last_ns = next_send;
	while (!early) {
		int64_t now = mono_ns();

		if (npackets && nreceived + nerrors >= npackets)
			break;
		/* Send what is due. */
		if (!npackets || ntransmitted < npackets) {
			bool due = interval_ms > 0
					   ? now >= next_send
					   : in_flight() == 0 ||
						     now >= last_ns + MIN_INTERVAL_MS * 1000000LL;
			if (due) {
				if (send_probe(raw, dst) < 0)
					break; /* closed by a signal */
				now = mono_ns();
				next_send += interval_ms * 1000000LL;
				if (next_send < now)
					next_send = now;
				continue; /* the count may be reached by an error */
			}
		}
		/* All sent: wait for the last replies, once, as iputils does. */
		if (npackets && ntransmitted >= npackets && exit_at == 0) {
			long long wait_us;
			if (nreceived) {
				wait_us = 2LL * tmax;
				if (wait_us < interval_ms * 1000LL)
					wait_us = interval_ms * 1000LL;
			} else {
				wait_us = linger_ms * 1000LL;
			}
			exit_at = now + wait_us * 1000;
		}
		if (exit_at && now >= exit_at)
			break;

		/* Read until the next thing to do. */
		int64_t until;
		if (exit_at)
			until = exit_at;
		else if (interval_ms > 0)
			until = next_send;
		else
			until = last_ns + MIN_INTERVAL_MS * 1000000LL;
		if (until <= now)
			continue;
		if (rn_ipv4_rawconn_set_read_deadline(raw, rn_time_add(rn_now(), until - now)) < 0)
			break; /* closed */

		rn_ipv4_header h;
		void *payload;
		ssize_t n = rn_ipv4_rawconn_read_from(raw, rbuf, rbuf_size, &h, &payload, NULL);
		if (n < 0) {
			int code = (int)n;
			if (code == RN_ETIMEOUT)
				continue;
			if (code == RN_ECLOSED && is_stopping())
				break;
			if (code == RN_EHEADERSHORT || code == RN_EHEADERVERSION ||
			    code == RN_EEXTHEADERSHORT || code == RN_EHEADERTOTALLEN)
				continue; /* a datagram we cannot parse is not a reply */
			print_last_error();
			status = 2;
			break;
		}
		struct timeval tv;
		gettimeofday(&tv, NULL);
		rn_ip src4 = rn_ip_to4(h.src);
		const char *from = ipstr;
		char srcstr[64];
		if (!rn_ip_equal(src4, dst)) {
			rn_ip_string(h.src, srcstr, sizeof srcstr);
			from = srcstr;
		} else if (!numeric) {
			from = from_named;
		}
		handle_reply(&h, payload, (long)n, &tv, from);
	}

	pthread_mutex_lock(&mu);
	the_rc = NULL;
	pthread_mutex_unlock(&mu);
	rn_ipv4_rawconn_free(raw);
	free(rbuf);

	if (opt_flood)
		fflush(stdout);
	finish(numeric ? ipstr : host);
	free(outpack);
	if (flush_stdout() < 0)
		return 2;
	if (status)
		return status;
	return nreceived ? 0 : 1;
}
