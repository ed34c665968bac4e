/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tools/go_duration.h - Go's time.ParseDuration for the command-line tools
 * (ringnet-echo --idle, ringnet-proxy -c/-i), with Go's error texts, and
 * the option parsing around it.  Header-only: each tool is one .c file.
 */
#ifndef RINGNET_TOOLS_GO_DURATION_H
#define RINGNET_TOOLS_GO_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <ringnet/net_time.h>

#include "tool_common.h"

/* Append Go's strconv.Quote of @s to @out (printable ASCII as is, the rest \xNN). */
static void go_quote(const char *s, char *out, size_t size)
{
	size_t o = 0;

#define PUT(ch)                                                                \
	do {                                                                   \
		if (o + 1 < size)                                              \
			out[o++] = (ch);                                       \
	} while (0)
	PUT('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			PUT('\\');
			PUT((char)*p);
		} else if (*p >= 0x20 && *p < 0x7f) {
			PUT((char)*p);
		} else if (*p >= 0x80) {
			PUT((char)*p); /* UTF-8 such as "µs" prints as is */
		} else {
			static const char hex[] = "0123456789abcdef";
			PUT('\\');
			PUT('x');
			PUT(hex[*p >> 4]);
			PUT(hex[*p & 15]);
		}
	}
	PUT('"');
#undef PUT
	out[o < size ? o : size - 1] = '\0';
}

static int duration_error(char *err, size_t errsize, const char *what, const char *unit,
			  const char *orig)
{
	char q[256], qu[128];

	go_quote(orig, q, sizeof q);
	if (unit) {
		go_quote(unit, qu, sizeof qu);
		snprintf(err, errsize, "time: unknown unit %s in duration %s", qu, q);
	} else {
		snprintf(err, errsize, "time: %s %s", what, q);
	}
	return -1;
}

/*
 * parse_duration - Go's time.ParseDuration: "[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+".
 * Returns 0 and the value in @out, or -1 with Go's error text in @err.
 */
static int parse_duration(const char *orig, rn_duration *out, char *err, size_t errsize)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
		{"ns", 1},
		{"us", 1000},
		{"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
		{"\xce\xbcs", 1000}, /* U+03BC Greek small letter mu */
		{"ms", 1000000},
		{"s", 1000000000},
		{"m", 60ull * 1000000000},
		{"h", 3600ull * 1000000000},
	};
	const uint64_t limit = (uint64_t)1 << 63;
	const char *s = orig;
	uint64_t d = 0;
	bool neg = false;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s == '\0')
		return duration_error(err, errsize, "invalid duration", NULL, orig);
	while (*s) {
		uint64_t v = 0, f = 0;
		double scale = 1;
		bool pre = false, post = false;

		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return duration_error(err, errsize, "invalid duration", NULL, orig);
		/* leadingInt */
		for (; *s >= '0' && *s <= '9'; s++) {
			if (v > (limit - 1) / 10)
				return duration_error(err, errsize, "invalid duration", NULL, orig);
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > limit)
				return duration_error(err, errsize, "invalid duration", NULL, orig);
			pre = true;
		}
		if (*s == '.') {
			bool overflow = false;

			s++;
			/* leadingFraction */
			for (; *s >= '0' && *s <= '9'; s++) {
				post = true;
				if (overflow)
					continue;
				if (f > (limit - 1) / 10) {
					overflow = true;
					continue;
				}
				uint64_t y = f * 10 + (uint64_t)(*s - '0');
				if (y > limit) {
					overflow = true;
					continue;
				}
				f = y;
				scale *= 10;
			}
		}
		if (!pre && !post)
			return duration_error(err, errsize, "invalid duration", NULL, orig);

		size_t i = 0;
		while (s[i] && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'))
			i++;
		if (i == 0)
			return duration_error(err, errsize, "missing unit in duration", NULL, orig);

		char u[64];
		size_t ul = i < sizeof u - 1 ? i : sizeof u - 1;
		memcpy(u, s, ul);
		u[ul] = '\0';
		s += i;

		uint64_t unit = 0;
		for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
			if (i == strlen(units[k].name) && strcmp(u, units[k].name) == 0)
				unit = units[k].ns;
		if (unit == 0)
			return duration_error(err, errsize, NULL, u, orig);
		if (v > limit / unit)
			return duration_error(err, errsize, "invalid duration", NULL, orig);
		v *= unit;
		if (f > 0) {
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > limit)
				return duration_error(err, errsize, "invalid duration", NULL, orig);
		}
		d += v;
		if (d > limit)
			return duration_error(err, errsize, "invalid duration", NULL, orig);
	}
	if (neg) {
		*out = d == limit ? INT64_MIN : -(rn_duration)d;
		return 0;
	}
	if (d > limit - 1)
		return duration_error(err, errsize, "invalid duration", NULL, orig);
	*out = (rn_duration)d;
	return 0;
}

/* Option @name's value @s as a duration of 0 or more; false (after a message) otherwise. */
static bool duration_opt(const char *name, const char *s, rn_duration *out)
{
	char errbuf[TOOL_ERRBUF];

	if (parse_duration(s, out, errbuf, sizeof errbuf) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, name, errbuf);
		return false;
	}
	if (*out < 0) {
		fprintf(stderr, "%s: %s: negative duration %s\n", prog, name, s);
		return false;
	}
	return true;
}

#endif /* RINGNET_TOOLS_GO_DURATION_H */
