/* SPDX-License-Identifier: BSD-3-Clause */
/* api/strbuf.c - the snprintf-semantics appender behind every text output. */
#include "api/strbuf.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "api/errors.h"

void rni_sb_init(rni_sb *sb, char *buf, size_t size)
{
	sb->buf = buf;
	sb->size = buf ? size : 0;
	sb->len = 0;
	if (sb->size)
		buf[0] = '\0';
}

void rni_sb_putn(rni_sb *sb, const char *s, size_t n)
{
	if (sb->len + 1 < sb->size) {
		size_t room = sb->size - 1 - sb->len;
		size_t k = n < room ? n : room;
		memcpy(sb->buf + sb->len, s, k);
		sb->buf[sb->len + k] = '\0';
	}
	sb->len += n;
}

void rni_sb_puts(rni_sb *sb, const char *s)
{
	rni_sb_putn(sb, s, strlen(s));
}

void rni_sb_putc(rni_sb *sb, char c)
{
	rni_sb_putn(sb, &c, 1);
}

void rni_sb_putint(rni_sb *sb, long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	rni_sb_putn(sb, tmp + i, sizeof(tmp) - i);
}

void rni_sb_puthex(rni_sb *sb, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char two[2] = { digits[p[i] >> 4], digits[p[i] & 15] };
		rni_sb_putn(sb, two, 2);
	}
}

int rni_sb_done(const rni_sb *sb)
{
	return sb->len > INT_MAX ? INT_MAX : (int)sb->len;
}

int rni_check_out(const char *buf, size_t size, const char *func)
{
	if (!buf && size > 0)
		return rni_err_einval(func);
	return 0;
}
