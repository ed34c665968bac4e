/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/engine.h - the per-thread submission engine.
 *
 * Every thread that makes a blocking ringnet call gets its own io_uring,
 * created on first use and torn down when the thread exits.  Most programs
 * never call anything here; it tells what the engine chose, so a slower path
 * is never silent.
 */
#ifndef RINGNET_ENGINE_H
#define RINGNET_ENGINE_H

#ifdef __cplusplus
extern "C" {
#endif

/* The backend that runs this thread's calls. */
typedef enum rn_backend {
	RN_BACKEND_NONE = 0,	 /* not started yet, or io_uring could not be used */
	RN_BACKEND_IO_URING = 1
} rn_backend;

/* What this thread's ring was set up with and what the kernel offers. */
enum {
	RN_ENGINE_SINGLE_ISSUER = 1u << 0,   /* IORING_SETUP_SINGLE_ISSUER */
	RN_ENGINE_DEFER_TASKRUN = 1u << 1,   /* IORING_SETUP_DEFER_TASKRUN */
	RN_ENGINE_COOP_TASKRUN = 1u << 2,    /* IORING_SETUP_COOP_TASKRUN */
	RN_ENGINE_REGISTERED_RING = 1u << 3, /* the ring fd is registered */
	RN_ENGINE_TIMEOUT_REALTIME = 1u << 4, /* absolute deadlines on CLOCK_REALTIME */
	RN_ENGINE_MSG_RING = 1u << 5,	     /* IORING_OP_MSG_RING */
	RN_ENGINE_SOCKET_OP = 1u << 6,	     /* IORING_OP_SOCKET */
	RN_ENGINE_CANCEL_FD = 1u << 7,	     /* IORING_ASYNC_CANCEL_FD: Close and SetDeadline reach blocked calls */
	RN_ENGINE_CQE_SKIP = 1u << 8,	     /* IOSQE_CQE_SKIP_SUCCESS */
	RN_ENGINE_BUF_RING = 1u << 9,	     /* a provided-buffer ring is registered (zero-copy leases) */
	/*
	 * Multishot receive: a stream conn read from a task keeps one receive
	 * armed into the buffer ring instead of submitting one per Read.
	 * Without it (or while the ring is short of buffers) each Read submits
	 * its own receive.
	 */
	RN_ENGINE_RECV_MULTISHOT = 1u << 10,
	/* Multishot accept: a listener accepted from a task keeps one accept armed. */
	RN_ENGINE_ACCEPT_MULTISHOT = 1u << 11
};

/**
 * rn_engine_start - start this thread's engine now rather than on first use.
 *
 * Returns 0, or a negative code with rn_last_error() naming the cause and the
 * fix when io_uring cannot be used: the kernel.io_uring_disabled sysctl
 * (-EPERM), a seccomp filter or a kernel without io_uring (-ENOSYS), the
 * locked-memory limit (-ENOMEM).  Calling it again after success is a no-op.
 */
int rn_engine_start(void);

/**
 * rn_engine_stop - tear down this thread's engine.  Done automatically at
 * thread exit; call it earlier only when no ringnet call of this thread is
 * in progress.  The next blocking call starts a new one.
 */
void rn_engine_stop(void);

/** rn_engine_backend - the backend of this thread's engine. */
rn_backend rn_engine_backend(void);

/** rn_engine_backend_name - "io_uring", or "none". */
const char *rn_engine_backend_name(void);

/** rn_engine_features - RN_ENGINE_* bits of this thread's engine (0 if none). */
unsigned rn_engine_features(void);

/*
 * What this thread's engine did: which receive paths its calls took.  A
 * Read normally finds its bytes already received by the conn's multishot
 * receive; the counters say how often it did not and why.
 */
typedef struct rn_engine_stats {
	unsigned long long recv_multishot_armed;  /* multishot receives armed (stream conns) */
	unsigned long long recv_multishot_nobufs; /* ... that ended because the buffer ring ran dry */
	unsigned long long recv_oneshot;	  /* Reads that received with a recv of their own */
	unsigned long long accept_multishot_armed; /* multishot accepts armed (listeners) */
	unsigned long long accept_oneshot;	  /* Accepts that accepted with an accept of their own */
	unsigned bufs_total;			  /* buffers in the stream buffer ring (0: none) */
	unsigned bufs_avail;			  /* ... of them in the ring now, not lent out */
	unsigned dgram_bufs_total;		  /* buffers in the datagram buffer ring (0: none) */
	unsigned dgram_bufs_avail;		  /* ... of them in the ring now, not lent out */
} rn_engine_stats;

/**
 * rn_engine_stats_get - fill @st with this thread's engine's counters
 * (zeros when it has not started).  Returns 0, or -EINVAL for NULL.
 */
int rn_engine_stats_get(rn_engine_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_ENGINE_H */
