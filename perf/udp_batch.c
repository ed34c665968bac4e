/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * udp_batch - ringnet's batched-UDP benchmark: one sender, several receivers.
 *
 *   udp_batch send [-m gso|sendmmsg|sendto] [-s SIZE] [-b BATCH] [-d SECONDS] ADDRESS
 *   udp_batch recv MODE [-s SIZE] [-b BATCH] [-d SECONDS] [-w SECONDS] [-r RCVBUF] ADDRESS
 *
 * ADDRESS is an IPv4 literal HOST:PORT ("127.0.0.1:0").  Only loopback is
 * meant: the sender blasts datagrams as fast as it can.
 *
 * send: a connected UDP socket sends SIZE-byte datagrams (default 64) to
 *   ADDRESS for SECONDS (default 10) or until killed.  The first 8 bytes of
 *   each are a sequence number, so a receiver can tell what it missed.
 *   -m gso (the default) hands the kernel BATCH datagrams at a time as one
 *   UDP_SEGMENT (GSO) send of up to 64 KiB: the stack is walked once per
 *   send, not once per datagram, and the kernel cuts it into datagrams just
 *   before it queues them on the receiving socket (which has no UDP_GRO),
 *   so every receiver still gets one datagram per SIZE bytes.  -m sendmmsg
 *   sends BATCH datagrams per sendmmsg; -m sendto one per call.
 *   BATCH defaults to 64 (fewer when 64 * SIZE would pass 65507 bytes).
 *
 * recv: binds ADDRESS, prints "listening on ADDR", then receives with MODE:
 *   recvfrom   a blocking recvfrom() loop, one datagram per call;
 *   mmsg       recvmmsg(MSG_WAITFORONE) of BATCH (default 64) messages:
 *              blocks for the first, takes what else is queued;
 *   ringnet    rn_ipv4_packetconn_read_batch of BATCH messages on an
 *              rn_ipv4_packetconn over rn_listen_packet("udp4", ADDRESS),
 *              from a plain thread (each batch a chain of one-shot receives);
 *   ringnet-task  the same loop in a task (rn_go, rn_run): ReadBatch takes
 *              the datagrams the socket's multishot RECVMSG queued;
 *   uring      a reference, not a ringnet API: liburing alone, one
 *              multishot RECVMSG into a ring of 1024 provided 2 KiB
 *              buffers (SINGLE_ISSUER | DEFER_TASKRUN), each datagram
 *              copied from its ring buffer into its message's buffer as
 *              ReadBatch would leave it, up to BATCH per call; it waits in
 *              io_uring_enter only when no completion is ready.  What an
 *              io_uring receive path can cost, for comparison.
 *   After the first datagram it receives for a warm-up (-w, default 0.3 s)
 *   and then measures for -d SECONDS (default 2) and prints one line:
 *     mode=M size=S batch=B packets=N seconds=T pps=R offered_pps=O lost=L
 *     bad=X calls=C pkts_per_call=P cpu_ns_per_pkt=A thread_ns_per_pkt=B
 *     allocs=K allocs_per_call=Q total_packets=Z
 *   packets counts datagrams of the right size received in the window;
 *   offered_pps is the rate the sender's sequence numbers advanced by in the
 *   window (lost = those never received: the receiving socket's queue was
 *   full, i.e. the receiver, not the sender, set the pace); bad counts
 *   datagrams of the wrong size or truncated; calls counts receive calls
 *   (system calls for recvfrom and mmsg, ReadBatch calls for ringnet,
 *   io_uring_enter calls for uring);
 *   cpu_ns_per_pkt is the process's CPU time (CLOCK_PROCESS_CPUTIME_ID:
 *   every thread, including io_uring workers) over the window per packet,
 *   thread_ns_per_pkt the receiving thread's alone (CLOCK_THREAD_CPUTIME_ID);
 *   allocs counts malloc/calloc/realloc/memalign calls made by anything in
 *   the process during the window (this program replaces glibc's malloc
 *   with a counting wrapper around it); total_packets includes the warm-up,
 *   for dividing whole-process counters such as perf stat's.
 *   Every 64 datagrams (every call for the batched modes, every 64 calls for
 *   recvfrom) the loop reads the clock, the same for every mode.
 *   -r sets SO_RCVBUF (default 4 MiB, the kernel doubles it).  A receive
 *   that waits 5 s for a datagram is an error.
 *
 * The receivers share everything but the receive call: the same buffers
 * (one 2 KiB iovec per message), the same per-datagram check (length, and
 * the sequence number), the same clock reads.  The ringnet receiver also
 * gets each sender's address as an rn_addr, which ReadBatch always fills;
 * the others keep the kernel's sockaddr.
 *
 * Exit status: 0 on success, 1 on a socket or receive error, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include <liburing.h>
#include <ringnet/ringnet.h>

#include "udp_common.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

#define MAX_BATCH 1024
#define RX_BUF 2048	     /* per message: room for any SIZE the benchmark uses */
#define MAX_SIZE 1472	     /* what a 1500-byte MTU carries unfragmented */
#define GSO_MAX 65507	     /* the most one UDP send carries */
#define RX_TIMEOUT_S 5
#define CLOCK_EVERY 64

static const char *prog = "udp_batch";

/* ---- counting malloc ---------------------------------------------------------- */
/*
 * glibc's documented way to replace malloc: define malloc, free, calloc and
 * realloc in the program; glibc itself and every library then call these.
 * They count and pass on to glibc's own allocator, so memory from either
 * (posix_memalign, strdup...) may be freed by either.
 */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

static _Atomic unsigned long nallocs;

static inline void count_alloc(void)
{
	atomic_fetch_add_explicit(&nallocs, 1, memory_order_relaxed);
}

void *malloc(size_t n)
{
	count_alloc();
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	count_alloc();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	count_alloc();
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}

void *memalign(size_t align, size_t n)
{
	count_alloc();
	return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	count_alloc();
	return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;

	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	count_alloc();
	p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s send [-m gso|sendmmsg|sendto] [-s SIZE] [-b BATCH] [-d SECONDS] ADDRESS\n"
		"       %s recv recvfrom|mmsg|ringnet|uring [-s SIZE] [-b BATCH] [-d SECONDS] [-w SECONDS]\n"
		"                  [-r RCVBUF] ADDRESS\n"
		"ADDRESS is an IPv4 HOST:PORT such as 127.0.0.1:0.  See the comment at the top\n"
		"of perf/udp_batch.c for what is measured and printed.\n",
		prog, prog);
}

/* An IPv4 literal HOST:PORT; -1 when it is not one. */
static int parse_addr(const char *s, struct sockaddr_in *sin)
{
	const char *colon = strrchr(s, ':');
	char host[INET_ADDRSTRLEN];
	char *end;
	long port;

	if (!colon || (size_t)(colon - s) >= sizeof host)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno || port < 0 || port > 65535)
		return -1;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

/* ---- the sender --------------------------------------------------------------------- */

static int run_send(const char *mode, size_t size, int batch, double secs, const char *address)
{
	struct sockaddr_in to;
	int fd, one_buf = strcmp(mode, "gso") == 0;
	uint64_t seq = 0, calls = 0, errs = 0;
	int64_t t0, end;

	if (parse_addr(address, &to) < 0) {
		fprintf(stderr, "%s: %s: not an IPv4 HOST:PORT\n", prog, address);
		return 2;
	}
	if (one_buf && (size_t)batch * size > GSO_MAX)
		batch = (int)(GSO_MAX / size);
	if (strcmp(mode, "sendto") == 0)
		batch = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) < 0) {
		fprintf(stderr, "%s: socket/connect %s: %s\n", prog, address, strerror(errno));
		return 1;
	}
	if (one_buf) {
		int seg = (int)size;

		if (setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof seg) < 0) {
			fprintf(stderr, "%s: setsockopt UDP_SEGMENT: %s\n", prog, strerror(errno));
			return 1;
		}
	}

	/* One buffer of batch * size: message i is bytes [i*size, (i+1)*size). */
	uint8_t *buf = calloc((size_t)batch, size);
	struct mmsghdr *msgs = calloc((size_t)batch, sizeof(*msgs));
	struct iovec *iov = calloc((size_t)batch, sizeof(*iov));
	if (!buf || !msgs || !iov) {
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
		return 1;
	}
	for (int i = 0; i < batch; i++) {
		memset(buf + (size_t)i * size, 'a' + i % 26, size);
		iov[i].iov_base = buf + (size_t)i * size;
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	t0 = now_ns();
	end = t0 + (int64_t)(secs * 1e9);
	while (now_ns() < end) {
		ssize_t rc;
		int sent;

		for (int i = 0; i < batch; i++) {
			uint64_t s = seq + (uint64_t)i;
			memcpy(buf + (size_t)i * size, &s, sizeof s);
		}
		if (one_buf) {
			rc = send(fd, buf, (size_t)batch * size, 0);
			sent = rc < 0 ? -1 : batch;
		} else if (batch == 1) {
			rc = send(fd, buf, size, 0);
			sent = rc < 0 ? -1 : 1;
		} else {
			sent = sendmmsg(fd, msgs, (unsigned)batch, 0);
		}
		calls++;
		if (sent < 0) {
			/*
			 * ECONNREFUSED: an ICMP port unreachable for an earlier
			 * datagram (no receiver yet, or it has finished); ENOBUFS:
			 * the local queue is full.  Both pass; keep sending.
			 */
			if (errno != ECONNREFUSED && errno != ENOBUFS && errno != EAGAIN) {
				fprintf(stderr, "%s: send: %s\n", prog, strerror(errno));
				return 1;
			}
			errs++;
			continue;
		}
		seq += (uint64_t)sent;
	}
	double s = (double)(now_ns() - t0) / 1e9;
	printf("sender=%s size=%zu batch=%d datagrams=%llu calls=%llu errors=%llu seconds=%.3f pps=%.0f\n",
	       mode, size, batch, (unsigned long long)seq, (unsigned long long)calls,
	       (unsigned long long)errs, s, (double)seq / s);
	close(fd);
	return 0;
}

/* ---- the receivers ------------------------------------------------------------------ */

struct rx {
	size_t size;	/* the datagram size to expect */
	int batch;
	/* the window's counts */
	uint64_t pkts, bad, calls, first_seq, last_seq;
	bool have_seq;
	uint64_t total; /* datagrams since the first, warm-up included */
	/* per message */
	uint8_t *bufs;	/* batch * RX_BUF */
	struct iovec iov[MAX_BATCH];
	/* recvfrom, mmsg */
	int fd;
	struct mmsghdr msgs[MAX_BATCH];
	struct sockaddr_in names[MAX_BATCH];
	/* ringnet */
	rn_ipv4_packetconn *pc;
	rn_ipv4_message ms[MAX_BATCH];
	/* uring: multishot RECVMSG into a provided-buffer ring */
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	uint8_t *ubufs;		/* UR_BUFS buffers of UR_BUF_SIZE */
	struct msghdr umsg;	/* the multishot request's template */
	bool armed;
};

/* One datagram: the same check for every mode. */
static inline void account(struct rx *rx, const uint8_t *b, size_t n, int flags)
{
	uint64_t seq;

	rx->total++;
	if (n != rx->size || (flags & MSG_TRUNC)) {
		rx->bad++;
		return;
	}
	memcpy(&seq, b, sizeof seq);
	if (!rx->have_seq) {
		rx->first_seq = seq;
		rx->have_seq = true;
	}
	rx->last_seq = seq; /* one sender, loopback: datagrams arrive in order */
	rx->pkts++;
}

static void rx_reset(struct rx *rx)
{
	rx->pkts = rx->bad = rx->calls = 0;
	rx->have_seq = false;
}

/* CLOCK_EVERY recvfrom calls; returns 0 or -1. */
static int read_recvfrom(struct rx *rx)
{
	for (int i = 0; i < CLOCK_EVERY; i++) {
		socklen_t len = sizeof rx->names[0];
		ssize_t n = recvfrom(rx->fd, rx->bufs, RX_BUF, 0, (struct sockaddr *)&rx->names[0], &len);

		rx->calls++;
		if (n < 0) {
			fprintf(stderr, "%s: recvfrom: %s\n", prog,
				errno == EAGAIN ? "no datagram for 5 s" : strerror(errno));
			return -1;
		}
		account(rx, rx->bufs, (size_t)n, 0);
	}
	return 0;
}

static int read_mmsg(struct rx *rx)
{
	for (int i = 0; i < rx->batch; i++) {
		rx->msgs[i].msg_hdr.msg_namelen = sizeof rx->names[i];
		rx->msgs[i].msg_hdr.msg_flags = 0;
	}
	int n = recvmmsg(rx->fd, rx->msgs, (unsigned)rx->batch, MSG_WAITFORONE, NULL);

	rx->calls++;
	if (n < 0) {
		fprintf(stderr, "%s: recvmmsg: %s\n", prog,
			errno == EAGAIN ? "no datagram for 5 s" : strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++)
		account(rx, rx->iov[i].iov_base, rx->msgs[i].msg_len, rx->msgs[i].msg_hdr.msg_flags);
	return 0;
}

static int read_ringnet(struct rx *rx)
{
	int n = rn_ipv4_packetconn_read_batch(rx->pc, rx->ms, rx->batch, 0);

	rx->calls++;
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", prog, ringnet_error());
		return -1;
	}
	for (int i = 0; i < n; i++)
		account(rx, rx->ms[i].buffers[0].iov_base, rx->ms[i].n, rx->ms[i].flags);
	return 0;
}

#define UR_BUFS 1024
#define UR_BUF_SIZE RX_BUF
#define UR_BGID 0

static void uring_arm(struct rx *rx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&rx->ring);

	io_uring_prep_recvmsg_multishot(sqe, rx->fd, &rx->umsg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = UR_BGID;
	rx->armed = true;
}

/*
 * Up to rx->batch datagrams from the ring's completions, each copied into
 * its message's own buffer as ReadBatch would leave it; waits (one
 * io_uring_enter, counted as a call) only when none is there.
 */
static int read_uring(struct rx *rx)
{
	struct io_uring_cqe *cqe;
	unsigned head, seen = 0;
	int got = 0, mask = io_uring_buf_ring_mask(UR_BUFS);

	if (!rx->armed)
		uring_arm(rx);
	if (io_uring_cq_ready(&rx->ring) == 0) {
		struct __kernel_timespec ts = {RX_TIMEOUT_S, 0};
		struct io_uring_cqe *first;

		rx->calls++;
		int rc = io_uring_submit_and_wait_timeout(&rx->ring, &first, 1, &ts, NULL);
		if (rc < 0 && rc != -EINTR) {
			fprintf(stderr, "%s: io_uring_enter: %s\n", prog,
				rc == -ETIME ? "no datagram for 5 s" : strerror(-rc));
			return -1;
		}
	}
	io_uring_for_each_cqe(&rx->ring, head, cqe) {
		if (got == rx->batch)
			break;
		seen++;
		if (!(cqe->flags & IORING_CQE_F_MORE))
			rx->armed = false;
		if (cqe->res < 0) {
			if (cqe->res == -ENOBUFS)
				continue; /* re-armed on the next call */
			fprintf(stderr, "%s: multishot recvmsg: %s\n", prog, strerror(-cqe->res));
			return -1;
		}
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		uint8_t *buf = rx->ubufs + (size_t)bid * UR_BUF_SIZE;
		struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, cqe->res, &rx->umsg);
		if (o) {
			size_t n = io_uring_recvmsg_payload_length(o, cqe->res, &rx->umsg);

			memcpy(rx->iov[got].iov_base, io_uring_recvmsg_payload(o, &rx->umsg), n);
			memcpy(&rx->names[got], io_uring_recvmsg_name(o), sizeof(rx->names[0]));
			account(rx, rx->iov[got].iov_base, n, (int)o->flags);
			got++;
		} else {
			rx->total++;
			rx->bad++;
		}
		io_uring_buf_ring_add(rx->br, buf, UR_BUF_SIZE, (unsigned short)bid, mask, 0);
		io_uring_buf_ring_advance(rx->br, 1);
	}
	io_uring_cq_advance(&rx->ring, seen);
	return 0;
}

static int open_uring(struct rx *rx)
{
	struct io_uring_params p = {0};
	struct io_uring_buf_reg reg = {0};
	size_t rsize = UR_BUFS * sizeof(struct io_uring_buf);
	int rc;

	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
	p.cq_entries = 4096;
	rc = io_uring_queue_init_params(64, &rx->ring, &p);
	if (rc < 0) {
		fprintf(stderr, "%s: io_uring_queue_init: %s\n", prog, strerror(-rc));
		return -1;
	}
	rx->br = mmap(NULL, rsize, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	rx->ubufs = malloc((size_t)UR_BUFS * UR_BUF_SIZE);
	if (rx->br == MAP_FAILED || !rx->ubufs) {
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
		return -1;
	}
	io_uring_buf_ring_init(rx->br);
	reg.ring_addr = (unsigned long)rx->br;
	reg.ring_entries = UR_BUFS;
	reg.bgid = UR_BGID;
	rc = io_uring_register_buf_ring(&rx->ring, &reg, 0);
	if (rc < 0) {
		fprintf(stderr, "%s: io_uring_register_buf_ring: %s\n", prog, strerror(-rc));
		return -1;
	}
	for (int i = 0; i < UR_BUFS; i++)
		io_uring_buf_ring_add(rx->br, rx->ubufs + (size_t)i * UR_BUF_SIZE, UR_BUF_SIZE,
				      (unsigned short)i, io_uring_buf_ring_mask(UR_BUFS), i);
	io_uring_buf_ring_advance(rx->br, UR_BUFS);
	rx->umsg.msg_namelen = sizeof(struct sockaddr_in);
	return 0;
}

static int set_rcvbuf(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) < 0) {
		fprintf(stderr, "%s: setsockopt SO_RCVBUF: %s\n", prog, strerror(errno));
		return -1;
	}
	return 0;
}

static int open_plain(struct rx *rx, const char *address, int rcvbuf, char *name, size_t namesize)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	struct timeval tv = {RX_TIMEOUT_S, 0};
	char host[INET_ADDRSTRLEN];

	if (parse_addr(address, &sin) < 0) {
		fprintf(stderr, "%s: %s: not an IPv4 HOST:PORT\n", prog, address);
		return -1;
	}
	rx->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rx->fd < 0 || bind(rx->fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    getsockname(rx->fd, (struct sockaddr *)&sin, &len) < 0 ||
	    setsockopt(rx->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
		fprintf(stderr, "%s: socket/bind %s: %s\n", prog, address, strerror(errno));
		return -1;
	}
	if (set_rcvbuf(rx->fd, rcvbuf) < 0)
		return -1;
	inet_ntop(AF_INET, &sin.sin_addr, host, sizeof host);
	snprintf(name, namesize, "%s:%u", host, ntohs(sin.sin_port));
	for (int i = 0; i < rx->batch; i++) {
		rx->msgs[i].msg_hdr.msg_name = &rx->names[i];
		rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static int open_ringnet(struct rx *rx, const char *address, int rcvbuf, char *name, size_t namesize)
{
	rn_conn *c;
	rn_addr la;

	if (rn_engine_start() < 0 || !(c = rn_listen_packet("udp4", address))) {
		fprintf(stderr, "%s: %s\n", prog, ringnet_error());
		return -1;
	}
	if (set_rcvbuf(rn_conn_fd(c), rcvbuf) < 0)
		return -1;
	la = rn_conn_local_addr(c);
	rn_addr_string(&la, name, namesize);
	rx->pc = rn_ipv4_new_packetconn(c);
	if (!rx->pc) {
		fprintf(stderr, "%s: %s\n", prog, ringnet_error());
		return -1;
	}
	for (int i = 0; i < rx->batch; i++) {
		rx->ms[i].buffers = &rx->iov[i];
		rx->ms[i].nbuffers = 1;
	}
	return 0;
}

/* The timeout of every wait, renewed once per second at most. */
static int ringnet_deadline(struct rx *rx, int64_t now, int64_t *renew)
{
	if (now < *renew)
		return 0;
	*renew = now + 1000000000LL;
	if (rn_ipv4_packetconn_set_read_deadline(rx->pc, rn_time_add(rn_now(),
								      (RX_TIMEOUT_S + 1) * RN_SECOND)) < 0) {
		fprintf(stderr, "%s: %s\n", prog, ringnet_error());
		return -1;
	}
	return 0;
}

static int run_recv(const char *mode, size_t size, int batch, double secs, double warm,
		    int rcvbuf, const char *address)
{
	static struct rx rx; /* big: off the stack */
	int (*read_fn)(struct rx *);
	char name[RN_ADDR_STRLEN];
	int64_t t, t0, t1, cpu0, cpu1, th0, th1, renew = 0;
	unsigned long a0, a1;

	rx.size = size;
	rx.batch = batch;
	rx.fd = -1;
	if (strcmp(mode, "recvfrom") == 0) {
		read_fn = read_recvfrom;
		rx.batch = 1;
	} else if (strcmp(mode, "mmsg") == 0) {
		read_fn = read_mmsg;
	} else if (strcmp(mode, "ringnet") == 0 || strcmp(mode, "ringnet-task") == 0) {
		read_fn = read_ringnet;
	} else if (strcmp(mode, "uring") == 0) {
		read_fn = read_uring;
	} else {
		fprintf(stderr, "%s: unknown receiver \"%s\": recvfrom, mmsg, ringnet, ringnet-task or uring\n",
			prog, mode);
		return 2;
	}
	rx.bufs = malloc((size_t)rx.batch * RX_BUF);
	if (!rx.bufs) {
		fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
		return 1;
	}
	memset(rx.bufs, 0, (size_t)rx.batch * RX_BUF); /* fault the pages in now */
	for (int i = 0; i < rx.batch; i++) {
		rx.iov[i].iov_base = rx.bufs + (size_t)i * RX_BUF;
		rx.iov[i].iov_len = RX_BUF;
	}
	if ((read_fn == read_ringnet ? open_ringnet : open_plain)(&rx, address, rcvbuf, name,
								   sizeof name) < 0)
		return 1;
	if (read_fn == read_uring && open_uring(&rx) < 0)
		return 1;
	printf("listening on %s\n", name);
	fflush(stdout);

	/* The first datagram, then the warm-up, then the window. */
	if (read_fn == read_ringnet && ringnet_deadline(&rx, now_ns(), &renew) < 0)
		return 1;
	if (read_fn(&rx) < 0)
		return 1;
	t = now_ns();
	for (int64_t end = t + (int64_t)(warm * 1e9); t < end; t = now_ns()) {
		if (read_fn == read_ringnet && ringnet_deadline(&rx, t, &renew) < 0)
			return 1;
		if (read_fn(&rx) < 0)
			return 1;
	}
	rx_reset(&rx);
	a0 = atomic_load(&nallocs);
	cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	th0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	t0 = t = now_ns();
	for (int64_t end = t0 + (int64_t)(secs * 1e9); t < end; t = now_ns()) {
		if (read_fn == read_ringnet && ringnet_deadline(&rx, t, &renew) < 0)
			return 1;
		if (read_fn(&rx) < 0)
			return 1;
	}
	t1 = t;
	th1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	cpu1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	a1 = atomic_load(&nallocs);

	double s = (double)(t1 - t0) / 1e9;
	uint64_t offered = rx.have_seq ? rx.last_seq - rx.first_seq + 1 : 0;
	uint64_t n = rx.pkts ? rx.pkts : 1;
	printf("mode=%s size=%zu batch=%d packets=%llu seconds=%.3f pps=%.0f offered_pps=%.0f "
	       "lost=%llu bad=%llu calls=%llu pkts_per_call=%.2f cpu_ns_per_pkt=%.1f "
	       "thread_ns_per_pkt=%.1f allocs=%lu allocs_per_call=%.3f total_packets=%llu\n",
	       mode, size, rx.batch, (unsigned long long)rx.pkts, s, (double)rx.pkts / s,
	       (double)offered / s, (unsigned long long)(offered > rx.pkts ? offered - rx.pkts : 0),
	       (unsigned long long)rx.bad, (unsigned long long)rx.calls,
	       (double)(rx.pkts + rx.bad) / (double)(rx.calls ? rx.calls : 1),
	       (double)(cpu1 - cpu0) / (double)n, (double)(th1 - th0) / (double)n, a1 - a0,
	       (double)(a1 - a0) / (double)(rx.calls ? rx.calls : 1), (unsigned long long)rx.total);
	fflush(stdout);
	if (rx.pc)
		rn_ipv4_packetconn_free(rx.pc);
	if (rx.fd >= 0)
		close(rx.fd);
	free(rx.bufs);
	return 0;
}

/* ringnet-task: run_recv as a task, its exit status kept for main. */
struct recv_args {
	const char *mode;
	size_t size;
	int batch;
	double secs, warm;
	int rcvbuf;
	const char *address;
	int rc;
};

static void recv_task(void *arg)
{
	struct recv_args *ra = arg;

	ra->rc = run_recv(ra->mode, ra->size, ra->batch, ra->secs, ra->warm, ra->rcvbuf,
			  ra->address);
}

int main(int argc, char **argv)
{
	const char *mode = NULL, *smode = "gso";
	long size = 64, batch = 64, rcvbuf = 4 << 20;
	double secs = -1, warm = 0.3;
	bool sending;
	int opt, first;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	sending = strcmp(argv[1], "send") == 0;
	if (!sending && strcmp(argv[1], "recv") != 0) {
		usage(stderr);
		return 2;
	}
	first = 2;
	if (!sending) {
		if (argc < 3) {
			usage(stderr);
			return 2;
		}
		mode = argv[2];
		first = 3;
	}
	optind = first;
	while ((opt = getopt(argc, argv, "m:s:b:d:w:r:h")) != -1) {
		switch (opt) {
		case 'm':
			smode = optarg;
			if (strcmp(smode, "gso") && strcmp(smode, "sendmmsg") && strcmp(smode, "sendto")) {
				fprintf(stderr, "%s: -m: gso, sendmmsg or sendto\n", prog);
				return 2;
			}
			break;
		case 's':
			if (parse_long(optarg, 8, MAX_SIZE, &size) < 0) {
				fprintf(stderr, "%s: -s: a size from 8 to %d\n", prog, MAX_SIZE);
				return 2;
			}
			break;
		case 'b':
			if (parse_long(optarg, 1, MAX_BATCH, &batch) < 0) {
				fprintf(stderr, "%s: -b: a batch from 1 to %d\n", prog, MAX_BATCH);
				return 2;
			}
			break;
		case 'd':
			if (parse_secs(optarg, 0.01, 600, &secs) < 0) {
				fprintf(stderr, "%s: -d: seconds from 0.01 to 600\n", prog);
				return 2;
			}
			break;
		case 'w':
			if (parse_secs(optarg, 0, 60, &warm) < 0) {
				fprintf(stderr, "%s: -w: seconds from 0 to 60\n", prog);
				return 2;
			}
			break;
		case 'r':
			if (parse_long(optarg, 4096, 1 << 30, &rcvbuf) < 0) {
				fprintf(stderr, "%s: -r: bytes from 4096 to 1 GiB\n", prog);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return 2;
	}
	if (sending)
		return run_send(smode, (size_t)size, (int)batch, secs < 0 ? 10 : secs, argv[optind]);
	if (strcmp(mode, "ringnet-task") == 0) {
		struct recv_args ra = { mode, (size_t)size, (int)batch, secs < 0 ? 2 : secs, warm,
					(int)rcvbuf, argv[optind], 1 };

		if (rn_go(recv_task, &ra) < 0 || rn_run() < 0) {
			fprintf(stderr, "%s: %s\n", prog, ringnet_error());
			return 1;
		}
		return ra.rc;
	}
	return run_recv(mode, (size_t)size, (int)batch, secs < 0 ? 2 : secs, warm, (int)rcvbuf,
			argv[optind]);
}
