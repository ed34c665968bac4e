/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/errors.c - the thread's last error, Go's Error() rendering, and the
 * Timeout/Temporary rules of Go's net.Error.
 */
#include "api/errors.h"

#include <errno.h>
#include <string.h>

#include "api/strbuf.h"

static _Thread_local rn_error last_error;

rn_error *rni_err_slot(void)
{
	return &last_error;
}

const rn_error *rn_last_error(void)
{
	return &last_error;
}

void rn_clear_error(void)
{
	memset(&last_error, 0, sizeof(last_error));
}

rn_error *rni_err_reset(rn_error_kind kind, int code)
{
	rn_error *e = &last_error;

	/* Only the header and the strings' first bytes need clearing. */
	e->code = code;
	e->kind = kind;
	e->op_error = false;
	e->op[0] = e->net[0] = '\0';
	e->source.kind = RN_ADDR_NONE;
	e->addr.kind = RN_ADDR_NONE;
	e->err[0] = e->subject[0] = e->type[0] = e->server[0] = e->syscall[0] = '\0';
	e->errnum = 0;
	e->is_timeout = e->is_temporary = e->is_not_found = false;
	return e;
}

/* Copy at most n bytes of s into dst[cap]; cut text ends in "...". */
static void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (!s) {
		dst[0] = '\0';
		return;
	}
	if (n < cap) {
		memcpy(dst, s, n);
		dst[n] = '\0';
		return;
	}
	memcpy(dst, s, cap - 4);
	memcpy(dst + cap - 4, "...", 4);
}

#define SET(field, s) copy_field((field), sizeof(field), (s), (s) ? strlen(s) : 0)

int rni_err_errno(int errnum, const char *syscall)
{
	rn_error *e = rni_err_reset(RN_ERR_ERRNO, -errnum);

	e->errnum = errnum;
	SET(e->syscall, syscall);
	return -errnum;
}

int rni_err_addr_n(const char *err, const char *addr, size_t addr_len)
{
	rn_error *e = rni_err_reset(RN_ERR_ADDR, RN_EADDR);

	SET(e->err, err);
	copy_field(e->subject, sizeof(e->subject), addr, addr ? addr_len : 0);
	return RN_EADDR;
}

int rni_err_addr(const char *err, const char *addr)
{
	return rni_err_addr_n(err, addr, addr ? strlen(addr) : 0);
}

int rni_err_parse_n(const char *type, const void *text, size_t text_len)
{
	rn_error *e = rni_err_reset(RN_ERR_PARSE, RN_EPARSE);

	SET(e->type, type);
	copy_field(e->subject, sizeof(e->subject), text, text ? text_len : 0);
	return RN_EPARSE;
}

int rni_err_parse(const char *type, const char *text)
{
	return rni_err_parse_n(type, text, text ? strlen(text) : 0);
}

int rni_err_unknown_network(const char *net)
{
	rn_error *e = rni_err_reset(RN_ERR_UNKNOWN_NETWORK, RN_EUNKNOWNNET);

	SET(e->subject, net);
	return RN_EUNKNOWNNET;
}

int rni_err_invalid_addr(const char *s)
{
	rn_error *e = rni_err_reset(RN_ERR_INVALID_ADDR, RN_EINVALIDADDR);

	SET(e->subject, s);
	return RN_EINVALIDADDR;
}

int rni_err_dns(int code, const char *err, const char *name, const char *server)
{
	rn_error *e = rni_err_reset(RN_ERR_DNS, code);

	SET(e->err, err);
	SET(e->subject, name);
	SET(e->server, server);
	e->is_not_found = code == RN_EDNS_NOTFOUND;
	e->is_timeout = code == RN_EDNS_TIMEOUT;
	e->is_temporary = code == RN_EDNS_TEMPORARY;
	return code;
}

int rni_err_sentinel(int code)
{
	rn_error *e = rni_err_reset(RN_ERR_SENTINEL, code);

	SET(e->err, rn_strerror(code));
	return code;
}

int rni_err_text(int code, const char *text)
{
	rn_error *e = rni_err_reset(RN_ERR_TEXT, code);

	SET(e->err, text);
	return code;
}

int rni_err_einval(const char *what)
{
	rn_error *e = rni_err_reset(RN_ERR_TEXT, -EINVAL);
	rni_sb sb;

	rni_sb_init(&sb, e->err, sizeof(e->err));
	rni_sb_puts(&sb, "invalid argument: ");
	rni_sb_puts(&sb, what);
	return -EINVAL;
}

int rni_err_op(const char *op, const char *net, const rn_addr *source, const rn_addr *addr)
{
	rn_error *e = &last_error;

	e->op_error = true;
	SET(e->op, op);
	SET(e->net, net);
	if (source)
		e->source = *source;
	else
		e->source.kind = RN_ADDR_NONE;
	if (addr)
		e->addr = *addr;
	else
		e->addr.kind = RN_ADDR_NONE;
	return e->code;
}

const char *rn_strerror(int code)
{
	switch (code) {
	case 0: return "<nil>";
	case RN_ECLOSED: return "use of closed network connection";
	case RN_ETIMEOUT: return "i/o timeout";
	case RN_EADDR: return "address error";
	case RN_EPARSE: return "parse error";
	case RN_EUNKNOWNNET: return "unknown network";
	case RN_EINVALIDADDR: return "invalid address";
	case RN_EWRITETOCONNECTED: return "use of WriteTo with pre-connected connection";
	case RN_EDNS_NOTFOUND: return "no such host";
	case RN_EDNS_TIMEOUT: return "DNS lookup timed out";
	case RN_EDNS_TEMPORARY: return "temporary DNS error";
	case RN_EDNS: return "DNS error";
	case RN_ECANCELED: return "context canceled";
	case RN_EDEADLINE: return "context deadline exceeded";
	case RN_EOPCANCELED: return "operation was canceled";
	case RN_EMISSINGADDR: return "missing address";
	case RN_ECLOSEDPIPE: return "io: read/write on closed pipe";
	case RN_EHEADERSHORT: return "header too short";
	case RN_EEXTHEADERSHORT: return "extension header too short";
	case RN_EHEADERVERSION: return "header version is not 4";
	case RN_EHEADERTOTALLEN: return "total length shorter than header length";
	case RN_EHEADEROPTIONS: return "invalid header options";
	case RN_ECMSG: return "malformed control message";
	case RN_ECTRUNC: return "control message truncated";
	case RN_ESHORTBUF: return "buffer too short";
	case RN_ENOIFACE: return "no such network interface";
	case RN_EINVALIDIFACE: return "invalid network interface";
	}
	if (code < 0 && code > -4096) {
		const char *s = rni_errno_text(-code);
		if (s)
			return s;
	}
	return "unknown error";
}

/* The inner error's text: Go's Error() of OpError.Err (or the error itself). */
static void render_inner(const rn_error *e, rni_sb *sb)
{
	const char *s;

	switch (e->kind) {
	case RN_ERR_NONE:
		rni_sb_puts(sb, "<nil>");
		return;
	case RN_ERR_ERRNO:
		if (e->syscall[0]) {
			rni_sb_puts(sb, e->syscall);
			rni_sb_puts(sb, ": ");
		}
		s = rni_errno_text(e->errnum);
		if (s) {
			rni_sb_puts(sb, s);
		} else {
			rni_sb_puts(sb, "errno ");
			rni_sb_putint(sb, e->errnum);
		}
		return;
	case RN_ERR_ADDR:
		if (e->subject[0]) {
			rni_sb_puts(sb, "address ");
			rni_sb_puts(sb, e->subject);
			rni_sb_puts(sb, ": ");
		}
		rni_sb_puts(sb, e->err);
		return;
	case RN_ERR_PARSE:
		rni_sb_puts(sb, "invalid ");
		rni_sb_puts(sb, e->type);
		rni_sb_puts(sb, ": ");
		rni_sb_puts(sb, e->subject);
		return;
	case RN_ERR_DNS:
		rni_sb_puts(sb, "lookup ");
		rni_sb_puts(sb, e->subject);
		if (e->server[0]) {
			rni_sb_puts(sb, " on ");
			rni_sb_puts(sb, e->server);
		}
		rni_sb_puts(sb, ": ");
		rni_sb_puts(sb, e->err);
		return;
	case RN_ERR_UNKNOWN_NETWORK:
		rni_sb_puts(sb, "unknown network ");
		rni_sb_puts(sb, e->subject);
		return;
	case RN_ERR_INVALID_ADDR:
		rni_sb_puts(sb, e->subject);
		return;
	case RN_ERR_SENTINEL:
	case RN_ERR_TEXT:
		rni_sb_puts(sb, e->err);
		return;
	}
	rni_sb_puts(sb, "unknown error");
}

static void render_addr(const rn_addr *a, rni_sb *sb)
{
	char tmp[RN_UNIX_NAME_MAX + RN_ADDR_STRLEN];
	int n = rn_addr_string(a, tmp, sizeof(tmp));

	rni_sb_putn(sb, tmp, n < (int)sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

int rn_error_string(const rn_error *e, char *buf, size_t size)
{
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_error_string: NULL buffer");

	if (rc)
		return rc;
	if (!e)
		e = &last_error;
	rni_sb_init(&sb, buf, size);
	if (e->op_error && e->kind != RN_ERR_NONE) {
		rni_sb_puts(&sb, e->op);
		if (e->net[0]) {
			rni_sb_putc(&sb, ' ');
			rni_sb_puts(&sb, e->net);
		}
		if (e->source.kind != RN_ADDR_NONE) {
			rni_sb_putc(&sb, ' ');
			render_addr(&e->source, &sb);
		}
		if (e->addr.kind != RN_ADDR_NONE) {
			rni_sb_puts(&sb, e->source.kind != RN_ADDR_NONE ? "->" : " ");
			render_addr(&e->addr, &sb);
		}
		rni_sb_puts(&sb, ": ");
	}
	render_inner(e, &sb);
	return rni_sb_done(&sb);
}

/* syscall.Errno's Timeout and Temporary. */
static bool errno_timeout(int n)
{
	return n == EAGAIN || n == EWOULDBLOCK || n == ETIMEDOUT;
}

static bool errno_temporary(int n)
{
	return n == EINTR || n == EMFILE || n == ENFILE || errno_timeout(n);
}

bool rn_error_timeout(const rn_error *e)
{
	if (!e)
		e = &last_error;
	switch (e->kind) {
	case RN_ERR_ERRNO:
		return errno_timeout(e->errnum);
	case RN_ERR_DNS:
		return e->is_timeout;
	case RN_ERR_SENTINEL:
		return e->code == RN_ETIMEOUT || e->code == RN_EDEADLINE;
	default:
		return false;
	}
}

bool rn_error_temporary(const rn_error *e)
{
	if (!e)
		e = &last_error;
	switch (e->kind) {
	case RN_ERR_ERRNO:
		/* Go's OpError: a bare ECONNRESET/ECONNABORTED from accept is temporary. */
		if (e->op_error && !e->syscall[0] && strcmp(e->op, "accept") == 0 &&
		    (e->errnum == ECONNRESET || e->errnum == ECONNABORTED))
			return true;
		return errno_temporary(e->errnum);
	case RN_ERR_DNS:
		return e->is_timeout || e->is_temporary;
	case RN_ERR_SENTINEL:
		return e->code == RN_ETIMEOUT || e->code == RN_EDEADLINE;
	default:
		return false;
	}
}
