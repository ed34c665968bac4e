/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/testutil.c - see testutil.h.
 */
#include <ringnet/engine.h>

#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifndef RN_TEST_DATA_DIR
#error "RN_TEST_DATA_DIR must be defined by the build"
#endif

/* ---- hex ------------------------------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t tu_hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	if (hex == NULL)
		return 0;
	size_t len = strlen(hex);
	ck_assert_msg(len % 2 == 0, "odd-length hex %s", hex);
	ck_assert_msg(len / 2 <= cap, "hex %s longer than %zu bytes", hex, cap);
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		ck_assert_msg(hi >= 0 && lo >= 0, "bad hex %s", hex);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return len / 2;
}

rn_ip tu_ip_hex(const char *hex)
{
	rn_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.len = (uint8_t)tu_hex_decode(hex, ip.b, sizeof ip.b);
	return ip;
}

rn_ipmask tu_mask_hex(const char *hex)
{
	rn_ipmask m;
	memset(&m, 0, sizeof m);
	m.len = (uint8_t)tu_hex_decode(hex, m.b, sizeof m.b);
	return m;
}

rn_hwaddr tu_hw_hex(const char *hex)
{
	rn_hwaddr hw;
	memset(&hw, 0, sizeof hw);
	hw.len = (uint8_t)tu_hex_decode(hex, hw.b, sizeof hw.b);
	return hw;
}

char *tu_hex(const void *p, size_t n, char *buf, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;
	size_t o = 0;
	if (size == 0)
		return buf;
	for (size_t i = 0; i < n && o + 2 < size; i++) {
		buf[o++] = digits[b[i] >> 4];
		buf[o++] = digits[b[i] & 15];
	}
	buf[o] = '\0';
	return buf;
}

const char *tu_ip_dump(rn_ip ip, char buf[TU_HEXLEN])
{
	if (ip.len == 0)
		return strcpy(buf, "nil");
	return tu_hex(ip.b, ip.len > RN_IPV6LEN ? RN_IPV6LEN : ip.len, buf, TU_HEXLEN);
}

const char *tu_mask_dump(rn_ipmask m, char buf[TU_HEXLEN])
{
	if (m.len == 0)
		return strcpy(buf, "nil");
	return tu_hex(m.b, m.len > RN_IPV6LEN ? RN_IPV6LEN : m.len, buf, TU_HEXLEN);
}

bool tu_ip_same(rn_ip a, rn_ip b)
{
	return a.len == b.len && a.len <= RN_IPV6LEN && memcmp(a.b, b.b, a.len) == 0;
}

bool tu_mask_same(rn_ipmask a, rn_ipmask b)
{
	return a.len == b.len && a.len <= RN_IPV6LEN && memcmp(a.b, b.b, a.len) == 0;
}

bool tu_hw_same(const rn_hwaddr *a, const rn_hwaddr *b)
{
	return a->len == b->len && a->len <= RN_HWADDR_MAX && memcmp(a->b, b->b, a->len) == 0;
}

/* ---- JSON ------------------------------------------------------------------ */

cJSON *tu_load_json(const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", RN_TEST_DATA_DIR, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	ck_assert_msg(n > 0, "empty %s", path);
	rewind(f);
	char *text = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(text);
	size_t got = fread(text, 1, (size_t)n, f);
	fclose(f);
	ck_assert_msg(got == (size_t)n, "short read of %s", path);
	text[n] = '\0';
	cJSON *root = cJSON_Parse(text);
	free(text);
	ck_assert_msg(root != NULL, "cannot parse %s", path);
	return root;
}

cJSON *tu_cases(cJSON *root)
{
	cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
	ck_assert_msg(cJSON_IsArray(cases) && cJSON_GetArraySize(cases) > 0, "no cases");
	return cases;
}

static const cJSON *item(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	ck_assert_msg(it != NULL, "vector row lacks key \"%s\"", key);
	return it;
}

bool tu_jhas(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key) != NULL;
}

bool tu_jisnull(const cJSON *o, const char *key)
{
	return cJSON_IsNull(item(o, key));
}

const char *tu_jstr(const cJSON *o, const char *key)
{
	const cJSON *it = item(o, key);
	if (cJSON_IsNull(it))
		return NULL;
	ck_assert_msg(cJSON_IsString(it), "key \"%s\" is not a string", key);
	return it->valuestring;
}

int tu_jint(const cJSON *o, const char *key)
{
	const cJSON *it = item(o, key);
	ck_assert_msg(cJSON_IsNumber(it), "key \"%s\" is not a number", key);
	return (int)it->valuedouble;
}

bool tu_jbool(const cJSON *o, const char *key)
{
	const cJSON *it = item(o, key);
	ck_assert_msg(cJSON_IsBool(it), "key \"%s\" is not a bool", key);
	return cJSON_IsTrue(it);
}

const cJSON *tu_jobj(const cJSON *o, const char *key)
{
	const cJSON *it = item(o, key);
	if (cJSON_IsNull(it))
		return NULL;
	ck_assert_msg(cJSON_IsObject(it), "key \"%s\" is not an object", key);
	return it;
}

int tu_for_each_case(const char *const *files, tu_case_fn fn, void *arg)
{
	int rows = 0;
	for (size_t i = 0; files[i] != NULL; i++) {
		cJSON *root = tu_load_json(files[i]);
		const cJSON *c;
		cJSON_ArrayForEach(c, tu_cases(root)) {
			fn(c, files[i], arg);
			rows++;
		}
		cJSON_Delete(root);
	}
	return rows;
}

char *tu_big_string(size_t n, char c)
{
	char *s = malloc(n + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ---- fds --------------------------------------------------------------------- */

int tu_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	ck_assert_msg(d != NULL, "opendir /proc/self/fd: %s", strerror(errno));
	int n = 0;
	int self = dirfd(d);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (atoi(de->d_name) == self)
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static int fds_at_setup = -1;

void tu_fd_setup(void)
{
	fds_at_setup = tu_count_fds();
}

void tu_fd_teardown(void)
{
	int now = tu_count_fds();
	ck_assert_msg(now == fds_at_setup, "fd leak: %d open fds at setup, %d at teardown",
		      fds_at_setup, now);
}

TCase *tu_tcase(const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, tu_fd_setup, tu_fd_teardown);
	tcase_set_timeout(tc, 60);
	return tc;
}

/*
 * The engine fixture: the calling thread's ring is an fd that lives as long
 * as the thread, so it is stopped around the count.
 */
static void engine_setup(void)
{
	rn_engine_stop();
	tu_fd_setup();
	ck_assert_int_eq(rn_engine_start(), 0);
}

static void engine_teardown(void)
{
	rn_engine_stop();
	tu_fd_teardown();
}

TCase *tu_engine_tcase(const char *name)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, engine_setup, engine_teardown);
	tcase_set_timeout(tc, 60);
	return tc;
}

/* ---- io_uring made unavailable ----------------------------------------------- */

#if defined(__x86_64__)
#define TU_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TU_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

int tu_deny_io_uring_setup(int err)
{
#ifdef TU_AUDIT_ARCH
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TU_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { (unsigned short)(sizeof(code) / sizeof(code[0])), code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
		return -errno;
	return 0;
#else
	(void)err;
	return -ENOTSUP;
#endif
}

/* ---- main ---------------------------------------------------------------------- */

int rn_test_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
