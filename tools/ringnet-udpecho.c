/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet-udpecho - a UDP echo server on x/net/ipv4's batched I/O.
 *
 *   ringnet-udpecho [--batch N] ADDRESS
 *
 * Listens on ADDRESS as Go's net.ListenPacket("udp4", ADDRESS) does, wraps
 * the conn in an ipv4.PacketConn, prints "udp echo on ADDR" once ready (with
 * the port the kernel chose for ":0") and answers every datagram with the
 * same bytes to its sender: ReadBatch takes up to N datagrams (default 64)
 * in one call, WriteBatch sends their echoes.  SIGINT and SIGTERM close the
 * PacketConn from a thread that waits for them with sigwait(); the blocked
 * ReadBatch returns and the program exits 0.
 *
 * Exit status: 0 after SIGINT/SIGTERM, 1 when listening or reading fails,
 * 2 for a usage error.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>

#include <ringnet/ringnet.h>

#include "tool_common.h"

#define SYNOPSIS "[--batch N] ADDRESS"
#define DGRAM_MAX 65536 /* room for any UDP payload: nothing is cut */
#define DEFAULT_BATCH 64

static const char *prog = "ringnet-udpecho";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s " SYNOPSIS "\n"
		"\n"
		"A UDP echo server on ringnet's x/net/ipv4 PacketConn.  It listens on\n"
		"ADDRESS as Go's net.ListenPacket(\"udp4\", ADDRESS) does (\"127.0.0.1:7000\",\n"
		"\":7000\", \"127.0.0.1:0\"), prints \"udp echo on ADDR\" once ready (with the\n"
		"port the kernel chose when the port is 0), and sends every datagram back\n"
		"to its sender with the same bytes.  Datagrams are read with ReadBatch,\n"
		"up to N per call, and their echoes sent with WriteBatch.\n"
		"\n"
		"options:\n"
		"  -b, --batch N   datagrams per ReadBatch, 1 to %d (default %d); each\n"
		"                  takes a 64 KiB buffer\n"
		"  -h, --help      print this help and exit\n"
		"  -V, --version   print the ringnet version and exit\n"
		"\n"
		"Errors are printed on stderr in Go's words.  SIGINT or SIGTERM closes the\n"
		"conn and the program exits 0.\n"
		"\n"
		"exit status: 0 after SIGINT/SIGTERM, 1 when listening or reading fails,\n"
		"2 for a usage error.\n"
		"\n"
		"examples:\n"
		"  %s 127.0.0.1:7000\n"
		"  %s --batch 256 :0\n",
		prog, RN_IPV4_BATCH_MAX, DEFAULT_BATCH, prog, prog);
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static rn_ipv4_packetconn *the_pc; /* for the signal thread, under mu */
static bool stopping;		   /* a signal asked us to stop, under mu */

static bool is_stopping(void)
{
	pthread_mutex_lock(&mu);
	bool s = stopping;
	pthread_mutex_unlock(&mu);
	return s;
}

/* The first SIGINT/SIGTERM closes the conn, which wakes ReadBatch; later ones do nothing. */
static void stop_on_signal(void)
{
	pthread_mutex_lock(&mu);
	if (!stopping) {
		stopping = true;
		if (the_pc)
			rn_ipv4_packetconn_close(the_pc);
	}
	pthread_mutex_unlock(&mu);
}

static struct stop_signals stop_signals = { .stop = stop_on_signal };

/*
 * Send the echoes of @n received messages: @out[i] points at the bytes
 * @in[i] brought, to its sender.  WriteBatch sends a prefix; a message it
 * could not send at all is reported and skipped (UDP has no retransmission
 * to wait for), the rest are sent on.  Returns -1 only when the conn is
 * closed.
 */
static int echo_batch(rn_ipv4_packetconn *pc, rn_ipv4_message *in, rn_ipv4_message *out,
		      struct iovec *oiov, int n)
{
	for (int i = 0; i < n; i++) {
		oiov[i].iov_base = in[i].buffers[0].iov_base;
		oiov[i].iov_len = in[i].n;
		out[i].buffers = &oiov[i];
		out[i].nbuffers = 1;
		out[i].oob = NULL;
		out[i].oob_len = 0;
		out[i].addr = in[i].addr;
	}
	for (int done = 0; done < n;) {
		int w = rn_ipv4_packetconn_write_batch(pc, out + done, n - done, 0);

		if (w > 0) {
			done += w;
			continue;
		}
		if (w == RN_ECLOSED)
			return -1;
		print_last_error();
		done++; /* drop the message that failed */
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"batch", required_argument, NULL, 'b'},
		COMMON_LONGOPTS,
	};
	long batch = DEFAULT_BATCH;
	int c;

	while ((c = getopt_long(argc, argv, "b:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!count_opt("--batch", optarg, RN_IPV4_BATCH_MAX, &batch))
				return 2;
			break;
		default: /* -h, -V, or an option getopt rejected */
			return common_option(c, usage);
		}
	}
	if (argc - optind != 1)
		return usage_error(optind >= argc ? "no ADDRESS given" : "only one ADDRESS, please",
				   SYNOPSIS);
	if (start_stop_signals(&stop_signals) < 0)
		return 1;

	if (rn_engine_start() < 0) {
		print_last_error();
		return 1;
	}
	int status = 0;
	char *bufs = NULL;
	struct iovec *iiov = NULL, *oiov = NULL;
	rn_ipv4_message *in = NULL, *out = NULL;
	rn_conn *u = rn_listen_packet("udp4", argv[optind]);
	if (!u) {
		print_last_error();
		return 1;
	}
	rn_addr la = rn_conn_local_addr(u);
	rn_ipv4_packetconn *pc = rn_ipv4_new_packetconn(u);
	if (!pc) {
		print_last_error();
		rn_conn_free(u);
		return 1;
	}
	pthread_mutex_lock(&mu);
	the_pc = pc;
	if (stopping) /* a signal that came before the conn existed */
		rn_ipv4_packetconn_close(pc);
	pthread_mutex_unlock(&mu);

	/* Every message has its own buffer; both arrays are reused for every batch. */
	size_t nb = (size_t)batch;
	bufs = malloc(nb * DGRAM_MAX);
	iiov = calloc(nb, sizeof(*iiov));
	oiov = calloc(nb, sizeof(*oiov));
	in = calloc(nb, sizeof(*in));
	out = calloc(nb, sizeof(*out));
	if (!bufs || !iiov || !oiov || !in || !out) {
		print_enomem();
		status = 1;
		goto done;
	}
	for (size_t i = 0; i < nb; i++) {
		iiov[i].iov_base = bufs + i * DGRAM_MAX;
		iiov[i].iov_len = DGRAM_MAX;
		in[i].buffers = &iiov[i];
		in[i].nbuffers = 1;
	}

	char abuf[RN_ADDR_STRLEN];
	rn_addr_string(&la, abuf, sizeof abuf);
	printf("udp echo on %s\n", abuf);
	if (flush_stdout() < 0) {
		status = 1;
		goto done;
	}

	for (;;) {
		int n = rn_ipv4_packetconn_read_batch(pc, in, (int)batch, 0);

		if (n < 0) {
			if (!(n == RN_ECLOSED && is_stopping())) {
				print_last_error();
				status = 1;
			}
			break;
		}
		if (echo_batch(pc, in, out, oiov, n) < 0) {
			if (!is_stopping()) {
				print_last_error();
				status = 1;
			}
			break;
		}
	}

done:
	pthread_mutex_lock(&mu);
	stopping = true;
	the_pc = NULL;
	pthread_mutex_unlock(&mu);
	rn_ipv4_packetconn_free(pc);
	free(bufs);
	free(iiov);
	free(oiov);
	free(in);
	free(out);
	if (flush_stdout() < 0)
		return 1;
	return status;
}
