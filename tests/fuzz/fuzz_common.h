/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_common.h - helpers shared by ringnet's libFuzzer targets.
 *
 * Every target turns its input into C strings (no NUL bytes reach the API;
 * an input NUL ends the string, as it would for any C caller), runs one
 * parser, checks Go's invariants on success, and on failure checks the
 * recorded error and renders it with rn_error_string into small and large
 * buffers.  A broken invariant aborts with a message, which libFuzzer
 * reports as a crash.
 */
#ifndef RINGNET_FUZZ_COMMON_H
#define RINGNET_FUZZ_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringnet/net.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                         \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, \
				#cond);                                               \
			fprintf(stderr, __VA_ARGS__);                                 \
			fputc('\n', stderr);                                          \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* A NUL-terminated heap copy of data[0..size) (cut at the first NUL). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * fuzz_check_text - check snprintf semantics of a text function: the full
 * text is @full (length @n); rendering into each size below @n + 1 must
 * return @n and give a NUL-terminated prefix.  @render(ctx, buf, size).
 */
typedef int (*fuzz_render_fn)(const void *ctx, char *buf, size_t size);

static inline void fuzz_check_text(fuzz_render_fn render, const void *ctx, const char *what)
{
	char small[24];
	int n = render(ctx, NULL, 0);
	FUZZ_CHECK(n >= 0, "%s: length query returned %d", what, n);
	char *full = malloc((size_t)n + 1);
	if (!full)
		abort();
	memset(full, 'X', (size_t)n + 1);
	FUZZ_CHECK(render(ctx, full, (size_t)n + 1) == n, "%s: full render length", what);
	FUZZ_CHECK(strlen(full) == (size_t)n, "%s: full render is %zu bytes, said %d", what,
		   strlen(full), n);
	for (size_t sz = 1; sz <= sizeof small && sz <= (size_t)n + 1; sz++) {
		memset(small, 'X', sizeof small);
		FUZZ_CHECK(render(ctx, small, sz) == n, "%s: render into %zu bytes", what, sz);
		FUZZ_CHECK(small[sz - 1] == '\0', "%s: not terminated in %zu bytes", what, sz);
		FUZZ_CHECK(memcmp(small, full, sz - 1) == 0, "%s: %zu-byte render not a prefix",
			   what, sz);
		if (sz < sizeof small)
			FUZZ_CHECK(small[sz] == 'X', "%s: wrote past %zu bytes", what, sz);
	}
	free(full);
}

static inline int fuzz_render_error(const void *ctx, char *buf, size_t size)
{
	return rn_error_string((const rn_error *)ctx, buf, size);
}

/*
 * fuzz_check_error - a call just failed with @code: the thread's error must
 * record that code, and rn_error_string must render it consistently into
 * small and large buffers (with NULL meaning the last error, and with a
 * copy of the struct).
 */
static inline void fuzz_check_error(int code, const char *what)
{
	const rn_error *e = rn_last_error();
	rn_error copy;
	char big[4096];
	int n, m;

	FUZZ_CHECK(code < 0, "%s: failure code %d not negative", what, code);
	FUZZ_CHECK(e != NULL, "%s: rn_last_error NULL", what);
	FUZZ_CHECK(e->code == code, "%s: recorded code %d, returned %d", what, e->code, code);
	FUZZ_CHECK(e->kind != RN_ERR_NONE, "%s: no error kind recorded", what);
	FUZZ_CHECK(rn_strerror(code) != NULL, "%s: rn_strerror NULL", what);
	memcpy(&copy, e, sizeof copy);

	fuzz_check_text(fuzz_render_error, NULL, what);
	fuzz_check_text(fuzz_render_error, &copy, what);
	n = rn_error_string(NULL, big, sizeof big);
	m = rn_error_string(&copy, NULL, 0);
	FUZZ_CHECK(n == m, "%s: last error renders %d bytes, copy %d", what, n, m);
	FUZZ_CHECK(n > 0, "%s: empty error text", what);
	FUZZ_CHECK(rn_error_string(NULL, NULL, 5) == -EINVAL, "%s: NULL buffer accepted", what);
	(void)rn_error_timeout(NULL);
	(void)rn_error_temporary(NULL);
}

#endif /* RINGNET_FUZZ_COMMON_H */
