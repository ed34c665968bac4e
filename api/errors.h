/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/errors.h - recording failures in the thread's rn_error.  Each setter
 * fills the slot and returns the negative code the public call returns, so a
 * failure path reads `return rni_err_addr("missing port in address", hp);`.
 * rni_err_op() then wraps whatever was recorded in an OpError, as Go's
 * callers wrap the errors of the layers beneath them.  Internal.
 */
#ifndef RINGNET_API_ERRORS_H
#define RINGNET_API_ERRORS_H

#include <stddef.h>

#include <ringnet/net.h>

/* rni_err_slot - the calling thread's error, for setters that need fields. */
rn_error *rni_err_slot(void);
/* rni_err_reset - clear the slot and set kind and code; returns the slot. */
rn_error *rni_err_reset(rn_error_kind kind, int code);

int rni_err_errno(int errnum, const char *syscall); /* returns -errnum; syscall may be NULL */
int rni_err_addr(const char *err, const char *addr);
int rni_err_addr_n(const char *err, const char *addr, size_t addr_len);
int rni_err_parse(const char *type, const char *text);
int rni_err_parse_n(const char *type, const void *text, size_t text_len);
int rni_err_unknown_network(const char *net);
int rni_err_invalid_addr(const char *s);
int rni_err_dns(int code, const char *err, const char *name, const char *server);
int rni_err_sentinel(int code); /* RN_ECLOSED, RN_ETIMEOUT, RN_ECANCELED, ... */
int rni_err_text(int code, const char *text);
/* rni_err_einval - -EINVAL with the text "invalid argument: <what>". */
int rni_err_einval(const char *what);

/*
 * rni_err_op - wrap the recorded error in *OpError{op, net, source, addr}.
 * source and addr may be NULL (nil).  Returns the recorded code.
 */
int rni_err_op(const char *op, const char *net, const rn_addr *source, const rn_addr *addr);

/* rni_errno_text - Go's syscall.Errno text for a positive errno, or NULL. */
const char *rni_errno_text(int errnum);

#endif /* RINGNET_API_ERRORS_H */
