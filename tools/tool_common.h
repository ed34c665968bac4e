/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tools/tool_common.h - what the command-line tools share: the last error
 * as a "PROG: TEXT" line, -h/--help and -V/--version, usage errors, numeric
 * options, flushing stdout before exit, and the thread that takes SIGINT
 * and SIGTERM with sigwait().  Header-only: each tool is one .c file.
 *
 * Every message starts with the tool's name: each tool defines
 *	static const char *prog = "ringnet-NAME";
 * (declared here first so that these helpers can use it).
 */
#ifndef RINGNET_TOOLS_TOOL_COMMON_H
#define RINGNET_TOOLS_TOOL_COMMON_H

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#define TOOL_ERRBUF 2048

static const char *prog;

/* ---- messages ------------------------------------------------------------------ */

/* The last error on this thread, as Go's Error() renders it. */
static inline const char *last_error_text(char *buf, size_t size)
{
	rn_error_string(NULL, buf, size);
	return buf;
}

/* "PROG: TEXT" on stderr, TEXT the last error: call it before anything can replace it. */
static inline void print_last_error(void)
{
	char errbuf[TOOL_ERRBUF];

	fprintf(stderr, "%s: %s\n", prog, last_error_text(errbuf, sizeof errbuf));
}

/* "PROG: WHAT: TEXT" on stderr, TEXT the last error. */
static inline void print_last_error_in(const char *what)
{
	char errbuf[TOOL_ERRBUF];

	fprintf(stderr, "%s: %s: %s\n", prog, what, last_error_text(errbuf, sizeof errbuf));
}

/* "PROG: cannot allocate memory" on stderr. */
static inline void print_enomem(void)
{
	fprintf(stderr, "%s: %s\n", prog, strerror(ENOMEM));
}

/* Flush stdout before exiting: 0, or -1 after perror() (a closed pipe, a full disk). */
static inline int flush_stdout(void)
{
	if (fflush(stdout) != 0) {
		perror(prog);
		return -1;
	}
	return 0;
}

/* ---- options --------------------------------------------------------------------- */

/* The end of every tool's long options: what common_option() handles. */
#define COMMON_LONGOPTS                                                                     \
	{"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}

/* "Try 'PROG --help' for more information." on stderr. */
static inline void try_help(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", prog);
}

/*
 * The options every tool has, and those getopt rejected: -h prints @usage on
 * stdout, -V the version; anything else points at --help.  Returns the
 * exit status: 0, or 2 for a usage error.
 */
static inline int common_option(int c, void (*usage)(FILE *f))
{
	switch (c) {
	case 'h':
		usage(stdout);
		return 0;
	case 'V':
		printf("%s (ringnet) %s\n", prog, RINGNET_VERSION_STRING);
		return 0;
	default:
		try_help();
		return 2;
	}
}

/* A usage error in the operands: "PROG: @what" and "usage: PROG @synopsis".  Returns 2. */
static inline int usage_error(const char *what, const char *synopsis)
{
	fprintf(stderr, "%s: %s\n", prog, what);
	fprintf(stderr, "usage: %s %s\n", prog, synopsis);
	return 2;
}

/* Option @name's value @s as a number from 1 to @max; false (after a message) otherwise. */
static inline bool count_opt(const char *name, const char *s, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (!*s || *end || errno || *out < 1 || *out > max) {
		fprintf(stderr, "%s: %s: a number from 1 to %ld, not \"%s\"\n", prog, name, max, s);
		return false;
	}
	return true;
}

/* ---- accepting ------------------------------------------------------------------------ */

/*
 * After a failed Accept: whether its error @code is worth waiting out, as
 * Go's http.Server does (out of descriptors or memory, an aborted
 * handshake); if so, wait first: 5 ms, doubling up to 1 s (*@delay, which
 * the caller sets to 0 after every Accept that succeeds).
 */
static inline bool accept_backoff(int code, rn_duration *delay)
{
	if (code != -EMFILE && code != -ENFILE && code != -ENOBUFS && code != -ENOMEM &&
	    code != -ECONNABORTED && code != -EINTR)
		return false;
	*delay = *delay ? *delay * 2 : 5 * RN_MILLISECOND;
	if (*delay > RN_SECOND)
		*delay = RN_SECOND;
	rn_sleep(*delay);
	return true;
}

/* ---- SIGINT and SIGTERM -------------------------------------------------------------- */

/*
 * How a tool stops.  The first SIGINT/SIGTERM calls @stop.  Another one a
 * second or more later means the shutdown is stuck: "PROG: SIGNAL again:
 * @again" and _exit(@again_status); one that comes sooner is the same
 * request twice (timeout(1) and a terminal's process group both send the
 * signal twice) and is ignored.  Without @again every later signal is.
 */
struct stop_signals {
	void (*stop)(void);
	const char *again;
	int again_status;
	sigset_t set; /* filled in by block_stop_signals() */
};

/*
 * Block SIGINT and SIGTERM in the calling thread, and so in every thread it
 * starts later: only the signal thread takes them.  0, or an error number.
 */
static inline int block_stop_signals(struct stop_signals *ss)
{
	sigemptyset(&ss->set);
	sigaddset(&ss->set, SIGINT);
	sigaddset(&ss->set, SIGTERM);
	return pthread_sigmask(SIG_BLOCK, &ss->set, NULL);
}

static inline void *stop_signals_thread(void *arg)
{
	struct stop_signals *ss = arg;
	struct timespec first = {0, 0}, now;
	bool again = false;
	int sig;

	for (;;) {
		if (sigwait(&ss->set, &sig) != 0)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!again) {
			again = true;
			first = now;
			ss->stop();
			continue;
		}
		if (ss->again && (now.tv_sec - first.tv_sec) * 1000000000L +
						 (now.tv_nsec - first.tv_nsec) >= 1000000000L) {
			fprintf(stderr, "%s: %s again: %s\n", prog, strsignal(sig), ss->again);
			_exit(ss->again_status);
		}
	}
	return NULL;
}

/* Start the (detached) signal thread; @ss must outlive it.  0, or an error number. */
static inline int start_signal_thread(struct stop_signals *ss)
{
	pthread_t t;
	int rc = pthread_create(&t, NULL, stop_signals_thread, ss);

	if (rc == 0)
		pthread_detach(t);
	return rc;
}

/* Both, for a tool with nothing to set up in between: 0, or -1 after a message. */
static inline int start_stop_signals(struct stop_signals *ss)
{
	int rc;

	if ((rc = block_stop_signals(ss)) != 0 || (rc = start_signal_thread(ss)) != 0) {
		fprintf(stderr, "%s: cannot start the signal thread: %s\n", prog, strerror(rc));
		return -1;
	}
	return 0;
}

#endif /* RINGNET_TOOLS_TOOL_COMMON_H */
