/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/net_errors.h - Go's net error model in C.
 *
 * Every call returns >= 0 on success and a negative code on failure: -errno
 * for an operating-system error, or one of the RN_E* codes below (all below
 * -4096, so they never collide with errno).  The detail of the last failure
 * on the calling thread is rn_last_error(); rn_error_string() renders it
 * exactly as Go's Error() method would.
 *
 * Included by <ringnet/net.h>; do not include directly.
 */
#ifndef RINGNET_NET_ERRORS_H
#define RINGNET_NET_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

#include <ringnet/net_addr.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ringnet's own error codes: Go's sentinel and typed errors. */
enum {
	RN_EBASE = -5000,
	RN_ECLOSED = -5001,	     /* net.ErrClosed: "use of closed network connection" */
	RN_ETIMEOUT = -5002,	     /* os.ErrDeadlineExceeded: "i/o timeout" */
	RN_EADDR = -5003,	     /* *AddrError */
	RN_EPARSE = -5004,	     /* *ParseError */
	RN_EUNKNOWNNET = -5005,	     /* UnknownNetworkError */
	RN_EINVALIDADDR = -5006,     /* InvalidAddrError */
	RN_EWRITETOCONNECTED = -5007, /* ErrWriteToConnected */
	RN_EDNS_NOTFOUND = -5008,    /* *DNSError with IsNotFound */
	RN_EDNS_TIMEOUT = -5009,     /* *DNSError with IsTimeout */
	RN_EDNS_TEMPORARY = -5010,   /* *DNSError with IsTemporary */
	RN_EDNS = -5011,	     /* any other *DNSError */
	RN_ECANCELED = -5012,	     /* context.Canceled: "context canceled" */
	RN_EDEADLINE = -5013,	     /* context.DeadlineExceeded: "context deadline exceeded" */
	RN_EOPCANCELED = -5014,	     /* "operation was canceled" (a dial stopped by its context) */
	RN_EMISSINGADDR = -5015,     /* "missing address" */
	RN_ECLOSEDPIPE = -5016,	     /* io.ErrClosedPipe: "io: read/write on closed pipe" */
	/* x/net/ipv4: a malformed header, control message or buffer (the text says which) */
	RN_EHEADERSHORT = -5017,     /* "header too short" */
	RN_EEXTHEADERSHORT = -5018,  /* "extension header too short" (IHL beyond the buffer) */
	RN_EHEADERVERSION = -5019,   /* "header version is not 4" */
	RN_EHEADERTOTALLEN = -5020,  /* "total length shorter than header length" */
	RN_EHEADEROPTIONS = -5021,   /* options over 40 bytes or not a multiple of 4 */
	RN_ECMSG = -5022,	     /* malformed control message (truncated or oversized) */
	RN_ECTRUNC = -5023,	     /* "control message truncated" (MSG_CTRUNC from the kernel) */
	RN_ESHORTBUF = -5024,	     /* "buffer too short" */
	/* Interfaces */
	RN_ENOIFACE = -5025,	     /* "no such network interface" */
	RN_EINVALIDIFACE = -5026,    /* "invalid network interface index" / "... name" */
	RN_ELAST = -5026
};

/* The Go type of the innermost error (OpError.Err, or the error itself). */
typedef enum rn_error_kind {
	RN_ERR_NONE = 0,	/* no error has been recorded on this thread */
	RN_ERR_ERRNO,		/* syscall.Errno, inside *os.SyscallError when syscall[0] */
	RN_ERR_ADDR,		/* *AddrError{Err: err, Addr: subject} */
	RN_ERR_PARSE,		/* *ParseError{Type: type, Text: subject} */
	RN_ERR_DNS,		/* *DNSError{Err: err, Name: subject, Server: server} */
	RN_ERR_UNKNOWN_NETWORK, /* UnknownNetworkError(subject) */
	RN_ERR_INVALID_ADDR,	/* InvalidAddrError(subject) */
	RN_ERR_SENTINEL,	/* one of Go's fixed errors; code tells which, err holds its text */
	RN_ERR_TEXT		/* any other error; err holds its text */
} rn_error_kind;

#define RN_ERR_SUBJECT_MAX 1024 /* longer subjects are cut and end in "..." */
#define RN_ERR_TEXT_MAX 256

/*
 * The detail of one failure.  A plain value: copy it to keep it.
 *
 * When op_error is set the error is Go's *OpError{Op, Net, Source, Addr,
 * Err} and the remaining fields describe Err; otherwise they describe the
 * error itself.
 */
typedef struct rn_error {
	int code;	     /* what the failing call returned */
	rn_error_kind kind;  /* the innermost error's Go type */
	bool op_error;	     /* wrapped in *OpError */
	char op[16];	     /* OpError.Op, e.g. "dial", "read" */
	char net[32];	     /* OpError.Net, e.g. "tcp", "udp6" */
	rn_addr source;	     /* OpError.Source (kind RN_ADDR_NONE = nil) */
	rn_addr addr;	     /* OpError.Addr (kind RN_ADDR_NONE = nil) */
	char err[RN_ERR_TEXT_MAX];	 /* AddrError.Err, DNSError.Err, or the text */
	char subject[RN_ERR_SUBJECT_MAX]; /* AddrError.Addr, ParseError.Text, DNSError.Name, ... */
	char type[32];	     /* ParseError.Type */
	char server[128];    /* DNSError.Server */
	char syscall[32];    /* os.SyscallError.Syscall ("" = a bare Errno) */
	int errnum;	     /* positive errno for RN_ERR_ERRNO */
	bool is_timeout;     /* DNSError.IsTimeout */
	bool is_temporary;   /* DNSError.IsTemporary */
	bool is_not_found;   /* DNSError.IsNotFound */
} rn_error;

/**
 * rn_last_error - the last failure recorded on the calling thread.
 *
 * Never NULL.  The storage is thread-local and is overwritten by the next
 * failing ringnet call on this thread; copy the struct to keep it.
 * Successful calls leave it untouched.
 */
const rn_error *rn_last_error(void);

/**
 * rn_error_string - render an error exactly as Go's Error() would.
 * @e:    the error; NULL means rn_last_error()
 * @buf:  output, always NUL-terminated when @size > 0 (may be NULL if @size is 0)
 * @size: size of @buf
 *
 * snprintf semantics: returns the full length of the text (excluding the
 * NUL) even when it was cut to fit, or -EINVAL if @buf is NULL and @size > 0.
 * An error of kind RN_ERR_NONE renders as "<nil>".
 */
int rn_error_string(const rn_error *e, char *buf, size_t size);

/**
 * rn_strerror - Go's text for a code returned by a ringnet call.
 *
 * For -errno this is Go's syscall.Errno text ("connection refused"); for an
 * RN_E* code the sentinel's text ("i/o timeout") or the type's name for
 * typed errors.  Returns a static string; never NULL.
 */
const char *rn_strerror(int code);

/**
 * rn_error_timeout - Go's net.Error Timeout() for @e (NULL: the last error).
 */
bool rn_error_timeout(const rn_error *e);

/**
 * rn_error_temporary - Go's net.Error Temporary() for @e (NULL: the last
 * error).  Deprecated in Go as in ringnet: most temporary errors are timeouts.
 */
bool rn_error_temporary(const rn_error *e);

/**
 * rn_clear_error - reset the calling thread's last error to RN_ERR_NONE.
 */
void rn_clear_error(void);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_NET_ERRORS_H */
