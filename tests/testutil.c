/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/testutil.c - see testutil.h.
 */
#define _GNU_SOURCE 1 /* unshare */
#include <ringnet/engine.h>

#include "testutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

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

/* ---- time, numbers, threads ------------------------------------------------------ */

int64_t tu_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tu_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

uint64_t tu_rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

pthread_t tu_thread_start(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, fn, arg), 0);
	return t;
}

void tu_thread_join(pthread_t t)
{
	ck_assert_int_eq(pthread_join(t, NULL), 0);
}

/* ---- errors, addresses, loopback conns --------------------------------------------- */

const char *tu_err_text(const rn_error *e, char buf[TU_ERRLEN])
{
	rn_error_string(e, buf, TU_ERRLEN);
	return buf;
}

const char *tu_addr_str(rn_addr a, char buf[RN_ADDR_STRLEN])
{
	ck_assert_int_ge(rn_addr_string(&a, buf, RN_ADDR_STRLEN), 0);
	return buf;
}

const char *tu_conn_label(const rn_conn *c, char buf[TU_LABEL_MAX])
{
	char l[RN_ADDR_STRLEN], r[RN_ADDR_STRLEN];

	snprintf(buf, TU_LABEL_MAX, "%s->%s", tu_addr_str(rn_conn_local_addr(c), l),
		 tu_addr_str(rn_conn_remote_addr(c), r));
	return buf;
}

void tu_pair_open_net(struct tu_pair *p, const char *lnet, const char *laddr, const char *dnet)
{
	char err[TU_ERRLEN];

	memset(p, 0, sizeof *p);
	p->l = rn_listen(lnet, laddr);
	ck_assert_msg(p->l != NULL, "listen %s %s: %s", lnet, laddr, tu_err_text(NULL, err));
	tu_addr_str(rn_listener_addr(p->l), p->laddr);
	p->c = rn_dial(dnet, p->laddr);
	ck_assert_msg(p->c != NULL, "dial %s %s: %s", dnet, p->laddr, tu_err_text(NULL, err));
	p->s = rn_listener_accept(p->l);
	ck_assert_msg(p->s != NULL, "accept: %s", tu_err_text(NULL, err));
}

void tu_pair_open(struct tu_pair *p)
{
	tu_pair_open_net(p, "tcp", "127.0.0.1:0", "tcp");
}

void tu_pair_free(struct tu_pair *p)
{
	rn_conn_free(p->c);
	rn_conn_free(p->s);
	rn_listener_free(p->l);
	memset(p, 0, sizeof *p);
}

ssize_t tu_read_full(rn_conn *c, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = rn_conn_read(c, (char *)buf + got, n - got);

		if (r <= 0)
			return r;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void tu_send_recv(rn_conn *from, rn_conn *to, const char *msg)
{
	char buf[256];
	size_t n = strlen(msg);

	ck_assert_uint_lt(n, sizeof buf);
	ck_assert_int_eq(rn_conn_write(from, msg, n), (ssize_t)n);
	ck_assert_int_eq(tu_read_full(to, buf, n), (ssize_t)n);
	ck_assert_int_eq(memcmp(buf, msg, n), 0);
}

/* ---- forked children, /etc/hosts, plain-socket listeners ------------------------------ */

int tu_run_child(int (*fn)(void))
{
	pid_t pid;
	int st;

	rn_engine_stop();
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int rc = fn();

		fflush(stdout);
		_exit(rc);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

int tu_private_hosts(const char *who, const char *hosts)
{
	char path[] = "/tmp/rn_hostsXXXXXX";
	size_t len = strlen(hosts);
	int fd;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("%s: skipped: mount namespace: %s\n", who, strerror(errno));
		return TU_SKIP;
	}
	fd = mkstemp(path);
	if (fd < 0 || write(fd, hosts, len) != (ssize_t)len)
		return 1;
	close(fd);
	if (mount(path, "/etc/hosts", NULL, MS_BIND, NULL) < 0) {
		printf("%s: skipped: bind mount /etc/hosts: %s\n", who, strerror(errno));
		unlink(path);
		return TU_SKIP;
	}
	unlink(path); /* the bind mount keeps the file */
	return 0;
}

int tu_loopback_listener(int family, int *port, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (s < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)*port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons((uint16_t)*port);
		len = sizeof(*a);
	}
	if (bind(s, (struct sockaddr *)&ss, len) < 0 || listen(s, backlog) < 0) {
		close(s);
		return -1;
	}
	getsockname(s, (struct sockaddr *)&ss, &len);
	*port = ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					 : ((struct sockaddr_in *)&ss)->sin_port);
	return s;
}

int tu_silent_listener(int family, int *port, int *filler)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int l = tu_loopback_listener(family, port, 0);

	*filler = -1;
	if (l < 0 || getsockname(l, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	*filler = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*filler < 0 || connect(*filler, (struct sockaddr *)&ss, len) < 0) {
		close(l);
		return -1;
	}
	tu_sleep_ms(20); /* let the handshake land in the accept queue */
	return l;
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

bool tu_need_raw4(const char *test)
{
	int s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (s < 0) {
		if (errno != EPERM && errno != EACCES)
			ck_abort_msg("socket(AF_INET, SOCK_RAW, IPPROTO_ICMP): %s", strerror(errno));
		printf("SKIP %s: raw sockets need CAP_NET_RAW (%s)\n", test, strerror(errno));
		return false;
	}
	close(s);
	return true;
}

void tu_go(rn_task_fn fn, void *arg)
{
	char e[TU_ERRLEN];

	ck_assert_msg(rn_go(fn, arg) == 0, "rn_go: %s", tu_err_text(NULL, e));
}

void tu_run(void)
{
	char e[TU_ERRLEN];

	ck_assert_msg(rn_run() == 0, "rn_run: %s", tu_err_text(NULL, e));
	ck_assert_uint_eq(rn_task_count(), 0);
}

rn_engine_stats tu_engine_stats(void)
{
	rn_engine_stats st;

	ck_assert_int_eq(rn_engine_stats_get(&st), 0);
	return st;
}

bool tu_need_feature(unsigned bit, const char *name, const char *test)
{
	unsigned f = rn_engine_features();

	if (f & bit)
		return true;
	printf("SKIP %s: no %s in this engine's features (%#x)\n", test, name, f);
	return false;
}

int tu_fionread(int fd)
{
	int q = -1;

	ck_assert_msg(ioctl(fd, FIONREAD, &q) == 0, "FIONREAD: %s", strerror(errno));
	return q;
}

int tu_wait_socket_drained(int fd)
{
	int q = tu_fionread(fd);

	for (int i = 0; i < 250 && q != 0; i++) {
		rn_sleep(2 * RN_MILLISECOND);
		q = tu_fionread(fd);
	}
	rn_sleep(RN_MILLISECOND);
	return q;
}
