/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/testutil.h - helpers shared by the Check suites: hex decoding into
 * ringnet values, JSON test-vector loading from RN_TEST_DATA_DIR, an
 * fd-leak fixture, time and threads, loopback conns and listeners, forked
 * children with a private /etc/hosts, and rn_test_main().
 */
#ifndef RINGNET_TESTS_TESTUTIL_H
#define RINGNET_TESTS_TESTUTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <check.h>
#include <cjson/cJSON.h>

#include <ringnet/engine.h>
#include <ringnet/net.h>
#include <ringnet/task.h>

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

/* ---- time, numbers, threads ------------------------------------------------------ */

/* TU_TSAN - 1 in a ThreadSanitizer build (GCC's and Clang's ways of saying so), else 0. */
#if defined(__SANITIZE_THREAD__)
#define TU_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TU_TSAN 1
#endif
#endif
#ifndef TU_TSAN
#define TU_TSAN 0
#endif

/* TU_ASAN - 1 in an AddressSanitizer build, else 0. */
#if defined(__SANITIZE_ADDRESS__)
#define TU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_ASAN 1
#endif
#endif
#ifndef TU_ASAN
#define TU_ASAN 0
#endif

/* tu_mono_ns - CLOCK_MONOTONIC in nanoseconds. */
int64_t tu_mono_ns(void);

/* tu_sleep_ms - put the thread to sleep for @ms milliseconds (resumed after EINTR). */
void tu_sleep_ms(int ms);

/* tu_rng_next - xorshift64: the next number of the sequence kept in *@s (seeded non-zero). */
uint64_t tu_rng_next(uint64_t *s);

/* tu_thread_start / tu_thread_join - pthread_create and pthread_join, asserted. */
pthread_t tu_thread_start(void *(*fn)(void *), void *arg);
void tu_thread_join(pthread_t t);

/* ---- errors, addresses, loopback conns --------------------------------------------- */

#define TU_ERRLEN 1024

/* ---- tasks and the engine ------------------------------------------------------- */

/* tu_go - rn_go(@fn, @arg) on this thread; fails the test with the error text if it fails. */
void tu_go(rn_task_fn fn, void *arg);

/* tu_run - rn_run(); fails the test unless it returns 0 with no task left. */
void tu_run(void);

/* tu_engine_stats - this thread's engine counters (rn_engine_stats_get). */
rn_engine_stats tu_engine_stats(void);

/*
 * tu_need_feature - whether this thread's engine has RN_ENGINE_* @bit (named
 * @name); when not, prints "SKIP @test: ..." so the skip is visible.
 */
bool tu_need_feature(unsigned bit, const char *name, const char *test);

/* tu_fionread - FIONREAD of @fd: bytes (or the next datagram's length) queued in its socket. */
int tu_fionread(int fd);

/*
 * tu_wait_socket_drained - in a task: let the scheduler spin (2 ms at a
 * time, up to 500 ms) until the socket of @fd holds nothing, then 1 ms more
 * so that the completions that emptied it are reaped.  Returns what FIONREAD
 * last said.
 */
int tu_wait_socket_drained(int fd);

/* tu_err_text - Go's Error() text of @e (NULL: the thread's last error) in @buf. */
const char *tu_err_text(const rn_error *e, char buf[TU_ERRLEN]);

/* tu_addr_str - @a as Go's String() prints it, in @buf. */
const char *tu_addr_str(rn_addr a, char buf[RN_ADDR_STRLEN]);

/* tu_conn_label - "local->remote", as Go's OpError prints a conn's Source and Addr. */
#define TU_LABEL_MAX (2 * RN_ADDR_STRLEN + 4)
const char *tu_conn_label(const rn_conn *c, char buf[TU_LABEL_MAX]);

/* A listener, a conn dialed to it and the conn it accepted. */
struct tu_pair {
	rn_listener *l;
	rn_conn *c; /* dialed */
	rn_conn *s; /* accepted */
	char laddr[RN_ADDR_STRLEN];
};

/*
 * tu_pair_open_net - listen on @lnet @laddr, dial @dnet to the address it
 * got, accept; asserted.  tu_pair_open: TCP on 127.0.0.1.
 */
void tu_pair_open_net(struct tu_pair *p, const char *lnet, const char *laddr, const char *dnet);
void tu_pair_open(struct tu_pair *p);
void tu_pair_free(struct tu_pair *p);

/* tu_read_full - read exactly @n bytes; returns @n, or what the short read returned. */
ssize_t tu_read_full(rn_conn *c, void *buf, size_t n);

/* tu_send_recv - write @msg (less than 256 bytes) on @from; @to reads the same bytes.  Asserted. */
void tu_send_recv(rn_conn *from, rn_conn *to, const char *msg);

/* ---- forked children, /etc/hosts, plain-socket listeners ------------------------------ */

/* The exit status of a child (and of a ctest) that skips. */
#define TU_SKIP 77

/*
 * tu_need_raw4 - whether raw IPv4 sockets can be made here; when not,
 * prints "SKIP @test: ..." and returns false (aborts the test on an error
 * other than missing privileges).
 */
bool tu_need_raw4(const char *test);

/*
 * tu_run_child - run @fn in a forked child and return its exit status, or
 * 100 + the signal that killed it.  The calling thread's engine is stopped
 * first: the child starts one of its own and never shares the ring.
 */
int tu_run_child(int (*fn)(void));

/*
 * tu_private_hosts - in a child: a mount namespace of its own, with
 * @hosts as /etc/hosts.  0; TU_SKIP after "@who: skipped: REASON" when
 * that cannot be done (no CAP_SYS_ADMIN); 1 when the file cannot be written.
 */
int tu_private_hosts(const char *who, const char *hosts);

/*
 * tu_loopback_listener - a plain TCP socket listening on @family's loopback
 * address (IPv6 only for AF_INET6) at *@port (0: any) with @backlog;
 * *@port gets the port.  The fd, or -1.
 */
int tu_loopback_listener(int family, int *port, int backlog);

/*
 * tu_silent_listener - a loopback listener that drops every new SYN:
 * backlog 0 and one connection already queued (*@filler, which the caller
 * closes with the listener).  A dial to it waits in SYN_SENT.  The fd, or -1.
 */
int tu_silent_listener(int family, int *port, int *filler);

/* ---- main ---------------------------------------------------------------------- */

/* rn_test_main - run @s (CK_ENV / CK_VERBOSITY respected); exit status. */
int rn_test_main(Suite *s);

#endif /* RINGNET_TESTS_TESTUTIL_H */
