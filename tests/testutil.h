/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/testutil.h - helpers shared by the Check suites: hex decoding into
 * ringnet values, JSON test-vector loading from RN_TEST_DATA_DIR, an
 * fd-leak fixture, and rn_test_main().
 */
#ifndef RINGNET_TESTS_TESTUTIL_H
#define RINGNET_TESTS_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include <ringnet/net.h>

/* ---- hex ------------------------------------------------------------------ */

/*
 * tu_hex_decode - decode lowercase/uppercase hex @hex into @out (at most
 * @cap bytes).  Returns the byte count; aborts the test on bad hex or
 * overflow.  NULL decodes to 0 bytes.
 */
size_t tu_hex_decode(const char *hex, uint8_t *out, size_t cap);

/* NULL (JSON null) gives the nil value. */
rn_ip tu_ip_hex(const char *hex);
rn_ipmask tu_mask_hex(const char *hex);
rn_hwaddr tu_hw_hex(const char *hex);

/* tu_hex - lowercase hex of @n bytes into @buf (NUL-terminated); returns buf. */
char *tu_hex(const void *p, size_t n, char *buf, size_t size);

/* Printable forms for failure messages: hex of the bytes, "nil" for len 0. */
#define TU_HEXLEN 80
const char *tu_ip_dump(rn_ip ip, char buf[TU_HEXLEN]);
const char *tu_mask_dump(rn_ipmask m, char buf[TU_HEXLEN]);

/* Byte-exact equality (length and bytes), as Go's reflect.DeepEqual. */
bool tu_ip_same(rn_ip a, rn_ip b);
bool tu_mask_same(rn_ipmask a, rn_ipmask b);
bool tu_hw_same(const rn_hwaddr *a, const rn_hwaddr *b);

/* ---- JSON vectors ---------------------------------------------------------- */

/* tu_load_json - parse RN_TEST_DATA_DIR/@name; aborts the test on failure. */
cJSON *tu_load_json(const char *name);

/* tu_cases - the "cases" array of a vector file; aborts when missing/empty. */
cJSON *tu_cases(cJSON *root);

/* Field access.  A missing key aborts the test (a typo must not pass). */
bool tu_jhas(const cJSON *o, const char *key);
bool tu_jisnull(const cJSON *o, const char *key);
const char *tu_jstr(const cJSON *o, const char *key); /* NULL for JSON null */
int tu_jint(const cJSON *o, const char *key);
bool tu_jbool(const cJSON *o, const char *key);
const cJSON *tu_jobj(const cJSON *o, const char *key); /* NULL for JSON null */

/*
 * tu_for_each_case - iterate the cases of each file of a NULL-terminated
 * list; @fn is called with the case and the file name.  Returns the total
 * number of rows visited (the caller asserts it is the expected count).
 */
typedef void (*tu_case_fn)(const cJSON *c, const char *file, void *arg);
int tu_for_each_case(const char *const *files, tu_case_fn fn, void *arg);

/* ---- big inputs --------------------------------------------------------------- */

/* tu_big_string - a malloc'd string of @n copies of @c (plus NUL). */
char *tu_big_string(size_t n, char c);

/* ---- fd-leak fixture ---------------------------------------------------------- */

/* tu_count_fds - entries of /proc/self/fd (excluding the directory's own). */
int tu_count_fds(void);
/* Checked fixture: remembers the count in setup, asserts it in teardown. */
void tu_fd_setup(void);
void tu_fd_teardown(void);

/* tu_tcase - a TCase with the fd-leak checked fixture and a timeout. */
TCase *tu_tcase(const char *name);

/*
 * tu_engine_tcase - tu_tcase for suites that use connections: the calling
 * thread's engine is stopped around the fd count (its ring is one fd).
 */
TCase *tu_engine_tcase(const char *name);

/* ---- io_uring made unavailable ----------------------------------------------- */

/*
 * tu_deny_io_uring_setup - install, on the calling thread only (no TSYNC),
 * a seccomp filter that makes io_uring_setup fail with @err.  Returns 0,
 * -errno from prctl, or -ENOTSUP on an architecture the filter does not
 * know (callers skip then).
 */
int tu_deny_io_uring_setup(int err);

/* ---- main ---------------------------------------------------------------------- */

/* rn_test_main - run @s (CK_ENV / CK_VERBOSITY respected); exit status. */
int rn_test_main(Suite *s);

#endif /* RINGNET_TESTS_TESTUTIL_H */
