/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/strbuf.h - an appender with snprintf semantics: it writes what fits,
 * always NUL-terminates, and counts the full length.  Every text-producing
 * public function is built on it.  Internal.
 */
#ifndef RINGNET_API_STRBUF_H
#define RINGNET_API_STRBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct rni_sb {
	char *buf;
	size_t size;
	size_t len; /* full length so far, even past size */
} rni_sb;

/* rni_sb_init - start appending to buf[0..size); buf may be NULL if size is 0. */
void rni_sb_init(rni_sb *sb, char *buf, size_t size);
void rni_sb_putn(rni_sb *sb, const char *s, size_t n);
void rni_sb_puts(rni_sb *sb, const char *s);
void rni_sb_putc(rni_sb *sb, char c);
void rni_sb_putint(rni_sb *sb, long long v);
void rni_sb_puthex(rni_sb *sb, const uint8_t *p, size_t n); /* lowercase, no separators */
/* rni_sb_done - the full length, clamped to INT_MAX. */
int rni_sb_done(const rni_sb *sb);

/*
 * rni_check_out - validate a (buf, size) output pair: returns 0, or -EINVAL
 * (recording the error) when buf is NULL and size > 0.
 */
int rni_check_out(const char *buf, size_t size, const char *func);

#endif /* RINGNET_API_STRBUF_H */
