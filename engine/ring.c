/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/ring.c - the per-thread ring: set-up with fallbacks, probing, and
 * teardown at thread exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/engine.h>

#include "engine/engine.h"

#define SQ_ENTRIES 256
#define CQ_ENTRIES 4096

static _Thread_local rne_engine *tls_engine;
static _Thread_local int start_err;
static _Thread_local char start_text[320];

/*
 * Serialises ring set-up and teardown across threads.  liburing maps the
 * rings with raw system calls, so a tool such as ThreadSanitizer cannot see
 * one thread's ring being unmapped before another thread's new ring is mapped
 * at the same address; taking this lock around both gives it that order.
 * Set-up and teardown are rare, so it costs nothing on the I/O path.
 */
static pthread_mutex_t lifecycle = PTHREAD_MUTEX_INITIALIZER;

/* Only to run the destructor at thread exit; the pointer lives in tls_engine. */
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void engine_free(rne_engine *e)
{
	rne_residents_stop(e);
	rne_sched_free(e);
	rne_bufring_free(e);
	pthread_mutex_lock(&lifecycle);
	io_uring_queue_exit(&e->ring);
	pthread_mutex_unlock(&lifecycle);
	free(e);
}

static void on_thread_exit(void *p)
{
	if (p == tls_engine)
		tls_engine = NULL;
	engine_free(p);
}

static void make_exit_key(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
}

int64_t rne_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int read_sysctl_int(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

/* Name the cause of a failed io_uring_setup and how to fix it. */
static void explain(int err)
{
	int disabled = read_sysctl_int("/proc/sys/kernel/io_uring_disabled");

	start_err = err;
	if (err == -EPERM && disabled > 0)
		snprintf(start_text, sizeof(start_text),
			 "io_uring is disabled by the kernel.io_uring_disabled sysctl (value %d): "
			 "run `sysctl -w kernel.io_uring_disabled=0`%s",
			 disabled, disabled == 1 ? ", or add this user to the group in "
						   "kernel.io_uring_group" : "");
	else if (err == -EPERM || err == -ENOSYS)
		snprintf(start_text, sizeof(start_text),
			 "io_uring_setup failed (%s): the kernel lacks io_uring or a seccomp "
			 "filter (a container runtime's default profile) blocks it; allow the "
			 "io_uring_setup, io_uring_enter and io_uring_register system calls",
			 strerror(-err));
	else if (err == -ENOMEM)
		snprintf(start_text, sizeof(start_text),
			 "io_uring_setup failed: out of locked memory (RLIMIT_MEMLOCK); raise it "
			 "with `ulimit -l unlimited` or LimitMEMLOCK= in the service unit");
	else
		snprintf(start_text, sizeof(start_text), "io_uring_setup failed: %s",
			 strerror(-err));
}

/* Set up the ring with the best flags this kernel accepts. */
static int setup_ring(rne_engine *e)
{
	static const struct {
		unsigned flags, features;
	} tries[] = {
		{ IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		  RN_ENGINE_SINGLE_ISSUER | RN_ENGINE_DEFER_TASKRUN },
		{ IORING_SETUP_COOP_TASKRUN, RN_ENGINE_COOP_TASKRUN },
		{ 0, 0 },
	};
	int rc = -EINVAL;

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		struct io_uring_params p;

		memset(&p, 0, sizeof(p));
		p.flags = tries[i].flags | IORING_SETUP_CQSIZE;
		p.cq_entries = CQ_ENTRIES;
		rc = io_uring_queue_init_params(SQ_ENTRIES, &e->ring, &p);
		if (rc == 0) {
			e->features |= tries[i].features;
			if (p.features & IORING_FEAT_CQE_SKIP)
				e->features |= RN_ENGINE_CQE_SKIP;
			return 0;
		}
		if (rc != -EINVAL)
			return rc; /* not a matter of flags: say why */
	}
	return rc;
}

static void probe_ops(rne_engine *e)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(&e->ring);

	if (!probe)
		return;
	for (int op = 0; op < probe->ops_len && op < (int)sizeof(e->supported); op++)
		e->supported[op] = (probe->ops[op].flags & IO_URING_OP_SUPPORTED) ? 1 : 0;
	e->probed_ops = probe->ops_len;
	io_uring_free_probe(probe);
	if (rne_supports(e, IORING_OP_MSG_RING))
		e->features |= RN_ENGINE_MSG_RING;
	if (rne_supports(e, IORING_OP_SOCKET))
		e->features |= RN_ENGINE_SOCKET_OP;
	/*
	 * Multishot modes are flags, not opcodes, so the probe cannot list
	 * them: each came with an opcode of the same release (accept with
	 * SOCKET in 5.19, recv with SEND_ZC in 6.0).  A kernel that still
	 * rejects one (-EINVAL) has the bit taken back at its first use.
	 */
	if (rne_supports(e, IORING_OP_SOCKET))
		e->features |= RN_ENGINE_ACCEPT_MULTISHOT;
	if (rne_supports(e, IORING_OP_SEND_ZC))
		e->features |= RN_ENGINE_RECV_MULTISHOT;
}

/* Does the kernel take absolute CLOCK_REALTIME timeouts?  Ask with one. */
static void probe_realtime(rne_engine *e)
{
	struct __kernel_timespec ts = { 0, 0 }; /* the epoch: long past */
	rne_op op = { .complete = NULL };
	struct io_uring_sqe *sqe = rne_sqe(e);

	io_uring_prep_timeout(sqe, &ts, 0, IORING_TIMEOUT_ABS | IORING_TIMEOUT_REALTIME);
	io_uring_sqe_set_data(sqe, &op);
	if (rne_wait(e, &op) == -ETIME)
		e->features |= RN_ENGINE_TIMEOUT_REALTIME;
}

/*
 * Cancel by descriptor (5.19): ask for the cancel of everything on a
 * descriptor with no operations; the kernel answers 0 or -ENOENT, and an old
 * one rejects the flags with -EINVAL.
 */
static void probe_cancel_fd(rne_engine *e)
{
	rne_op op = { .complete = NULL };
	struct io_uring_sqe *sqe = rne_sqe(e);

	io_uring_prep_cancel_fd(sqe, e->ring.ring_fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data(sqe, &op);
	int rc = rne_wait(e, &op);

	if (rc >= 0 || rc == -ENOENT)
		e->features |= RN_ENGINE_CANCEL_FD;
}

rne_engine *rne_get(void)
{
	rne_engine *e = tls_engine;
	int rc;

	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e) {
		explain(-ENOMEM);
		return NULL;
	}
	pthread_mutex_lock(&lifecycle);
	rc = setup_ring(e);
	pthread_mutex_unlock(&lifecycle);
	if (rc < 0) {
		explain(rc);
		free(e);
		return NULL;
	}
	if (io_uring_register_ring_fd(&e->ring) == 1)
		e->features |= RN_ENGINE_REGISTERED_RING;
	probe_ops(e);
	probe_realtime(e);
	probe_cancel_fd(e);

	pthread_once(&exit_key_once, make_exit_key);
	pthread_setspecific(exit_key, e);
	tls_engine = e;
	return e;
}

rne_engine *rne_current(void)
{
	return tls_engine;
}

void rne_stop(void)
{
	rne_engine *e = tls_engine;

	if (!e)
		return;
	tls_engine = NULL;
	pthread_setspecific(exit_key, NULL);
	engine_free(e);
}

int rne_start_error(const char **text)
{
	if (text)
		*text = start_text;
	return start_err;
}

bool rne_supports(const rne_engine *e, int op)
{
	return op >= 0 && (unsigned)op < e->probed_ops && (size_t)op < sizeof(e->supported) &&
	       e->supported[op];
}
