/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/interop/test_interop.c - ringnet against independent peers: Go 1.19's
 * net package (peer.go) and Python's socket module (peer.py), each a separate
 * process on the other end of a ringnet connection.
 *
 *   - ringnet dials a Go / Python TCP echo server: an 8 MiB byte-exact
 *     transfer in both directions at once, ended by CloseWrite, then the
 *     echo to EOF (IPv4, and ::1 when the host has it);
 *   - ringnet dials a Go Unix-stream echo server the same way;
 *   - ringnet exchanges datagrams of 1..65507 bytes with a Go / Python UDP
 *     echo server, dialed and through ListenPacket/WriteTo/ReadFrom;
 *   - a ringnet TCP echo server (a thread: Listen, Accept, Read, Write,
 *     CloseWrite) and a ringnet UDP echo server are driven by the Go and the
 *     Python clients, which check every byte themselves;
 *   - Go's error texts for the same situations on loopback (refused dial,
 *     address in use, deadlines, writes after close, reset by peer, ...)
 *     are compared byte for byte with ringnet's rn_error_string and
 *     rn_error_timeout.  Where the two sides necessarily hold different
 *     ephemeral addresses, each side's own address is replaced by LOCAL or
 *     REMOTE in its own text before the comparison.
 *
 * run_interop.sh builds peer.go and passes the peers in the environment:
 * INTEROP_GO_PEER (the built program), INTEROP_PYTHON and INTEROP_PY_PEER.
 *
 * Only loopback addresses and Unix sockets in a private temporary directory
 * are used.  Every peer is reaped on the normal path.  On any other path it
 * is killed with the test's process: Check ends a failed or timed-out test's
 * process (_exit, SIGKILL), and the peer gets SIGKILL through
 * PR_SET_PDEATHSIG; with CK_FORK=no an atexit handler kills what is left.
 * A peer also exits when its stdin (a pipe from the test) reaches EOF, and
 * gives up by itself after 60 s.  Every test runs under the engine's fd-leak
 * fixture.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/engine.h>

#include "testutil.h"

#define MIB (1024 * 1024)
#define STREAM_BYTES (8 * MIB)
#define UNIX_BYTES (4 * MIB)
#define UDP_COUNT 33
#define ERRTEXT_MAX 1024

/* ---- helpers ------------------------------------------------------------------ */

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *last_err(char buf[ERRTEXT_MAX])
{
	rn_error_string(NULL, buf, ERRTEXT_MAX);
	return buf;
}

static const char *addr_str(rn_addr a, char buf[RN_ADDR_STRLEN])
{
	if (rn_addr_string(&a, buf, RN_ADDR_STRLEN) < 0)
		snprintf(buf, RN_ADDR_STRLEN, "?");
	return buf;
}

/* Whether ::1 can be bound here (containers without IPv6 cannot). */
static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;

	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- the byte pattern (the same in peer.go and peer.py) ----------------------- */

#define PAT_PRIME 65521
static uint8_t pat_base[PAT_PRIME];

static const size_t udp_sizes[] = { 1, 2, 100, 512, 1400, 1472, 4096, 8192, 16384, 32768, 65507 };
#define N_UDP_SIZES (sizeof udp_sizes / sizeof udp_sizes[0])

static void pat_init(void)
{
	for (uint32_t j = 0; j < PAT_PRIME; j++)
		pat_base[j] = (uint8_t)((uint32_t)(j * 2654435761u) >> 24);
}

static void pat_fill(uint8_t *p, int64_t off, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t k = off + (int64_t)i;

		p[i] = pat_base[k % PAT_PRIME] ^ (uint8_t)(k / PAT_PRIME);
	}
}

/* ---- peer processes ------------------------------------------------------------- */

static const char *go_peer, *py_peer, *python_bin;

#define MAX_PEERS 8
static pid_t live_peers[MAX_PEERS];
static char tmp_dir[64];

/* atexit (for CK_FORK=no, where a failed check longjmps): no peer outlives the run. */
static void kill_live_peers(void)
{
	for (int i = 0; i < MAX_PEERS; i++) {
		if (live_peers[i] > 0) {
			kill(live_peers[i], SIGKILL);
			waitpid(live_peers[i], NULL, 0);
			live_peers[i] = 0;
		}
	}
}

struct peer {
	pid_t pid;
	int in_fd;  /* the peer's stdin: closing it tells a server to exit */
	int out_fd; /* the peer's stdout, read line by line */
	char label[32];
	char buf[4096];
	size_t len;
	bool eof;
};

/* The program of a peer: Go's or Python's. */
enum peer_kind { PEER_GO, PEER_PY };

static const char *peer_kind_name(enum peer_kind k)
{
	return k == PEER_GO ? "go" : "python";
}

static void close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0u) == 0)
		return;
#endif
	for (int fd = lowfd; fd < 4096; fd++)
		close(fd);
}

static void move_fd(int from, int to)
{
	if (from == to)
		fcntl(to, F_SETFD, 0);
	else
		dup2(from, to);
}

/* Start @kind's peer with @mode and up to two arguments (NULL ends them). */
static void peer_start(struct peer *p, enum peer_kind kind, const char *mode, const char *a1,
		       const char *a2)
{
	const char *argv[6];
	int n = 0, in[2], out[2];

	if (kind == PEER_GO) {
		argv[n++] = go_peer;
	} else {
		argv[n++] = python_bin;
		argv[n++] = py_peer;
	}
	argv[n++] = mode;
	if (a1)
		argv[n++] = a1;
	if (a1 && a2)
		argv[n++] = a2;
	argv[n] = NULL;

	memset(p, 0, sizeof *p);
	snprintf(p->label, sizeof p->label, "%s %s", peer_kind_name(kind), mode);
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);

	int slot = -1;
	for (int i = 0; i < MAX_PEERS && slot < 0; i++)
		if (live_peers[i] == 0)
			slot = i;
	ck_assert_msg(slot >= 0, "too many live peers");

	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls from here to exec. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(126);
		move_fd(in[0], 0);
		move_fd(out[1], 1);
		close_from(3);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		ck_abort_msg("fork: %s", strerror(errno));
	}
	live_peers[slot] = pid;
	p->pid = pid;
	p->in_fd = in[1];
	p->out_fd = out[0];
}

/* The next line of the peer's stdout, without its newline; false at EOF or timeout. */
static bool peer_line(struct peer *p, char *line, size_t cap, int timeout_ms)
{
	int64_t end = mono_ms() + timeout_ms;

	for (;;) {
		char *nl = memchr(p->buf, '\n', p->len);
		if (nl) {
			size_t n = (size_t)(nl - p->buf);
			snprintf(line, cap, "%.*s", (int)n, p->buf);
			memmove(p->buf, nl + 1, p->len - n - 1);
			p->len -= n + 1;
			return true;
		}
		if (p->eof || p->len == sizeof p->buf)
			return false;
		int64_t left = end - mono_ms();
		if (left <= 0)
			return false;
		struct pollfd pfd = { .fd = p->out_fd, .events = POLLIN };
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		ssize_t got = read(p->out_fd, p->buf + p->len, sizeof p->buf - p->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			p->eof = true;
		else
			p->len += (size_t)got;
	}
}

static void forget_peer(pid_t pid)
{
	for (int i = 0; i < MAX_PEERS; i++)
		if (live_peers[i] == pid)
			live_peers[i] = 0;
}

/*
 * peer_wait - close the peer's stdin (a server exits at that), wait up to
 * @timeout_ms for it to exit, kill it if it has not, release the pipes.
 * Returns its exit status, 128+signal if a signal ended it, -1 if it had
 * to be killed after the timeout.
 */
static int peer_wait(struct peer *p, int timeout_ms)
{
	int status = 0, rc = -1;
	int64_t end = mono_ms() + timeout_ms;

	if (p->pid <= 0)
		return -1;
	if (p->in_fd >= 0)
		close(p->in_fd);
	p->in_fd = -1;
	for (;;) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
		if (r < 0 && errno != EINTR)
			break;
		if (mono_ms() >= end) {
			kill(p->pid, SIGKILL);
			while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
				;
			fprintf(stderr, "%s: still running after %d ms, killed\n", p->label, timeout_ms);
			break;
		}
		sleep_ms(10);
	}
	forget_peer(p->pid);
	p->pid = 0;
	close(p->out_fd);
	p->out_fd = -1;
	return rc;
}

/* A line that must start with @prefix; the rest goes to @rest. */
static void peer_expect(struct peer *p, const char *prefix, char *rest, size_t cap, int timeout_ms)
{
	char line[1024];

	if (!peer_line(p, line, sizeof line, timeout_ms)) {
		int st = peer_wait(p, 2000);
		ck_abort_msg("%s: no \"%s...\" line within %d ms (exit status %d)", p->label, prefix,
			     timeout_ms, st);
	}
	ck_assert_msg(strncmp(line, prefix, strlen(prefix)) == 0, "%s: got \"%s\", want \"%s...\"",
		      p->label, line, prefix);
	snprintf(rest, cap, "%s", line + strlen(prefix));
}

/* Start a server peer and return the address it prints. */
static void peer_server(struct peer *p, enum peer_kind kind, const char *mode, const char *addr,
			char *bound, size_t cap)
{
	peer_start(p, kind, mode, addr, NULL);
	peer_expect(p, "listening on ", bound, cap, 15000);
}

/* The end of a server peer that reported "echoed N" for one conn of @total bytes. */
static void peer_server_done(struct peer *p, int64_t total)
{
	char rest[64];

	peer_expect(p, "echoed ", rest, sizeof rest, 20000);
	ck_assert_msg(strtoll(rest, NULL, 10) == total, "%s echoed %s bytes, want %lld", p->label,
		      rest, (long long)total);
	ck_assert_int_eq(peer_wait(p, 10000), 0);
}

/* ---- temporary directory for Unix sockets ------------------------------------------ */

/*
 * One private directory, made by main() before the tests and removed after
 * them with whatever a failed test left in it (Check ends a failed test's
 * process with _exit, so no cleanup of the test's own runs then).
 */
static const char *const tmp_names[] = { "go.sock", "rn.sock", "listening.sock", "missing.sock",
					 "regular.sock", "nodir" };

/* Remove what the tests put in the directory (not the directory). */
static void tmp_cleanup(void)
{
	char path[128];

	for (size_t i = 0; i < sizeof tmp_names / sizeof tmp_names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", tmp_dir, tmp_names[i]);
		if (unlink(path) != 0 && errno == EISDIR)
			rmdir(path);
	}
}

static void tmp_make(void)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0' || strlen(base) > 40)
		base = "/tmp";
	snprintf(tmp_dir, sizeof tmp_dir, "%s/rn-interop-XXXXXX", base);
	if (mkdtemp(tmp_dir) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", tmp_dir, strerror(errno));
		exit(EXIT_FAILURE);
	}
}

/* The end of the run: empty the directory (names of any length) and remove it. */
static void tmp_remove(void)
{
	char path[512];
	DIR *d = opendir(tmp_dir);
	struct dirent *de;

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", tmp_dir, de->d_name);
			if (unlink(path) != 0 && errno == EISDIR)
				rmdir(path); /* nodir: never has anything in it */
		}
		closedir(d);
	}
	rmdir(tmp_dir);
}

static void tmp_path(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", tmp_dir, name);
}

/* ---- a stream conn against an echo server ------------------------------------------ */

struct writer {
	rn_conn *c;
	const uint8_t *data;
	int64_t total, sent;
	bool is_unix;
	int err;
	char errtext[ERRTEXT_MAX];
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	while (w->sent < w->total) {
		int64_t n = 1 + (w->sent * 131) % 65536;
		if (n > w->total - w->sent)
			n = w->total - w->sent;
		ssize_t r = rn_conn_write(w->c, w->data + w->sent, (size_t)n);
		if (r != n) {
			w->err = r < 0 ? (int)r : -1;
			last_err(w->errtext);
			return NULL;
		}
		w->sent += n;
	}
	int r = w->is_unix ? rn_unixconn_close_write(w->c) : rn_tcpconn_close_write(w->c);
	if (r != 0) {
		w->err = r;
		last_err(w->errtext);
	}
	return NULL;
}

/*
 * Write @total pattern bytes on @c from a second thread and CloseWrite, while
 * this thread reads the echo to EOF and checks every byte.
 */
static void stream_roundtrip(rn_conn *c, int64_t total, bool is_unix)
{
	uint8_t *want = malloc((size_t)total);
	uint8_t *buf = malloc(64 * 1024);
	char err[ERRTEXT_MAX];
	struct writer w = { .c = c, .data = want, .total = total, .is_unix = is_unix };
	pthread_t t;
	int64_t got = 0;
	ssize_t n;

	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(buf);
	pat_fill(want, 0, (size_t)total);
	ck_assert_int_eq(rn_conn_set_deadline(c, rn_time_add(rn_now(), 40 * RN_SECOND)), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, writer_main, &w), 0);
	while ((n = rn_conn_read(c, buf, 64 * 1024)) > 0) {
		ck_assert_msg(got + n <= total, "echo longer than %lld bytes", (long long)total);
		if (memcmp(buf, want + got, (size_t)n) != 0) {
			ssize_t i = 0;
			while (buf[i] == want[got + i])
				i++;
			ck_abort_msg("echo differs at byte %lld: got 0x%02x, want 0x%02x",
				     (long long)(got + i), buf[i], want[got + i]);
		}
		got += n;
	}
	if (n < 0)
		last_err(err);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_msg(w.err == 0, "write after %lld bytes: %s", (long long)w.sent, w.errtext);
	ck_assert_msg(n == 0, "read after %lld bytes: %s", (long long)got, err);
	ck_assert_int_eq(got, total);
	free(want);
	free(buf);
}

/* ringnet dials a stream echo server peer at @listen and moves @total bytes. */
static void dial_stream_echo(enum peer_kind kind, const char *mode, const char *network,
			     const char *listen, int64_t total)
{
	char addr[RN_ADDR_STRLEN], text[RN_ADDR_STRLEN], err[ERRTEXT_MAX];
	struct peer p;

	peer_server(&p, kind, mode, listen, addr, sizeof addr);
	rn_conn *c = rn_dial(network, addr);
	ck_assert_msg(c != NULL, "rn_dial %s %s: %s", network, addr, last_err(err));
	ck_assert_str_eq(addr_str(rn_conn_remote_addr(c), text), addr);
	stream_roundtrip(c, total, strcmp(network, "unix") == 0);
	rn_conn_free(c);
	peer_server_done(&p, total);
}

START_TEST(test_go_tcp_echo_server)
{
	dial_stream_echo(PEER_GO, "tcp-echo-server", "tcp", "127.0.0.1:0", STREAM_BYTES);
}
END_TEST

START_TEST(test_go_tcp_echo_server_ipv6)
{
	if (!have_ipv6_loopback()) {
		printf("test_go_tcp_echo_server_ipv6: skipped: ::1 cannot be bound here\n");
		return;
	}
	dial_stream_echo(PEER_GO, "tcp-echo-server", "tcp6", "[::1]:0", 2 * MIB);
}
END_TEST

START_TEST(test_go_unix_echo_server)
{
	char path[128];

	tmp_path("go.sock", path, sizeof path);
	dial_stream_echo(PEER_GO, "unix-echo-server", "unix", path, UNIX_BYTES);
	tmp_cleanup();
}
END_TEST

START_TEST(test_py_tcp_echo_server)
{
	dial_stream_echo(PEER_PY, "tcp-echo-server", "tcp", "127.0.0.1:0", STREAM_BYTES);
}
END_TEST

START_TEST(test_py_tcp_echo_server_ipv6)
{
	if (!have_ipv6_loopback()) {
		printf("test_py_tcp_echo_server_ipv6: skipped: ::1 cannot be bound here\n");
		return;
	}
	dial_stream_echo(PEER_PY, "tcp-echo-server", "tcp", "[::1]:0", 2 * MIB);
}
END_TEST

/* ---- datagrams against a UDP echo server ------------------------------------------- */

/* Datagram @k of a run: its size and pattern. */
static size_t udp_datagram(int k, uint8_t *buf)
{
	size_t n = udp_sizes[(size_t)k % N_UDP_SIZES];

	pat_fill(buf, (int64_t)k * 7919, n);
	return n;
}

/*
 * Send @count datagrams to the echo server at @addr and check each echo:
 * on a dialed conn when @dialed, else from rn_listen_packet with WriteTo
 * and ReadFrom (the sender must be @addr).  A lost datagram is sent again,
 * at most three times.
 */
static void udp_roundtrips(const char *addr, bool dialed, bool ipv6)
{
	uint8_t *want = malloc(65536), *buf = malloc(65536 + 1);
	char err[ERRTEXT_MAX], text[RN_ADDR_STRLEN];
	rn_udpaddr to;
	rn_addr dst, from;
	rn_conn *c;

	ck_assert_ptr_nonnull(want);
	ck_assert_ptr_nonnull(buf);
	if (dialed) {
		c = rn_dial("udp", addr);
	} else {
		c = rn_listen_packet("udp", ipv6 ? "[::1]:0" : "127.0.0.1:0");
		ck_assert_int_eq(rn_resolve_udp_addr("udp", addr, &to), 0);
		dst = rn_addr_from_udp(&to);
	}
	ck_assert_msg(c != NULL, "%s: %s", addr, last_err(err));
	for (int k = 0; k < UDP_COUNT; k++) {
		size_t n = udp_datagram(k, want);
		ssize_t got = RN_ETIMEOUT;

		for (int tries = 0; tries < 3 && got == RN_ETIMEOUT; tries++) {
			ssize_t w = dialed ? rn_conn_write(c, want, n) : rn_conn_write_to(c, want, n, &dst);
			ck_assert_msg(w == (ssize_t)n, "datagram %d (%zu bytes): %s", k, n, last_err(err));
			ck_assert_int_eq(rn_conn_set_read_deadline(c, rn_time_add(rn_now(), 2 * RN_SECOND)), 0);
			if (dialed) {
				got = rn_conn_read(c, buf, 65536 + 1);
			} else {
				got = rn_conn_read_from(c, buf, 65536 + 1, &from);
				if (got >= 0)
					ck_assert_str_eq(addr_str(from, text), addr);
			}
		}
		ck_assert_msg(got >= 0, "datagram %d (%zu bytes): %s", k, n, last_err(err));
		ck_assert_int_eq(got, n);
		ck_assert_msg(memcmp(buf, want, n) == 0, "datagram %d: echo differs", k);
	}
	rn_conn_free(c);
	free(want);
	free(buf);
}

static void udp_echo_server_test(enum peer_kind kind, const char *listen, bool ipv6)
{
	char addr[RN_ADDR_STRLEN];
	struct peer p;

	peer_server(&p, kind, "udp-echo-server", listen, addr, sizeof addr);
	udp_roundtrips(addr, true, ipv6);
	udp_roundtrips(addr, false, ipv6);
	ck_assert_int_eq(peer_wait(&p, 10000), 0);
}

START_TEST(test_go_udp_echo_server)
{
	udp_echo_server_test(PEER_GO, "127.0.0.1:0", false);
}
END_TEST

START_TEST(test_py_udp_echo_server)
{
	udp_echo_server_test(PEER_PY, "127.0.0.1:0", false);
}
END_TEST

START_TEST(test_py_udp_echo_server_ipv6)
{
	if (!have_ipv6_loopback()) {
		printf("test_py_udp_echo_server_ipv6: skipped: ::1 cannot be bound here\n");
		return;
	}
	udp_echo_server_test(PEER_PY, "[::1]:0", true);
}
END_TEST

/* ---- a ringnet TCP echo server driven by a peer's client ------------------------------ */

struct tcp_server {
	rn_listener *l;
	int64_t echoed;
	char remote[RN_ADDR_STRLEN]; /* the accepted conn's RemoteAddr */
	char local[RN_ADDR_STRLEN];
	int err;
	char errtext[ERRTEXT_MAX];
};

static void *tcp_server_main(void *arg)
{
	struct tcp_server *s = arg;
	static __thread uint8_t buf[32 * 1024];
	ssize_t n;

	rn_conn *c = rn_listener_accept(s->l);
	if (c == NULL) {
		s->err = rn_last_error()->code;
		last_err(s->errtext);
		return NULL;
	}
	addr_str(rn_conn_remote_addr(c), s->remote);
	addr_str(rn_conn_local_addr(c), s->local);
	rn_conn_set_deadline(c, rn_time_add(rn_now(), 40 * RN_SECOND));
	while ((n = rn_conn_read(c, buf, sizeof buf)) > 0) {
		ssize_t w = rn_conn_write(c, buf, (size_t)n);
		if (w != n) {
			s->err = w < 0 ? (int)w : -1;
			last_err(s->errtext);
			rn_conn_free(c);
			return NULL;
		}
		s->echoed += n;
	}
	if (n < 0 || rn_tcpconn_close_write(c) != 0) {
		s->err = rn_last_error()->code;
		last_err(s->errtext);
	}
	rn_conn_free(c);
	return NULL;
}

static void tcp_client_test(enum peer_kind kind, const char *listen)
{
	char addr[RN_ADDR_STRLEN], line[256], count[32], err[ERRTEXT_MAX];
	struct tcp_server s = { 0 };
	struct peer p;
	pthread_t t;

	snprintf(count, sizeof count, "%d", STREAM_BYTES);
	s.l = rn_listen("tcp", listen);
	ck_assert_msg(s.l != NULL, "rn_listen %s: %s", listen, last_err(err));
	ck_assert_int_eq(rn_listener_set_deadline(s.l, rn_time_add(rn_now(), 40 * RN_SECOND)), 0);
	addr_str(rn_listener_addr(s.l), addr);
	ck_assert_int_eq(pthread_create(&t, NULL, tcp_server_main, &s), 0);

	peer_start(&p, kind, "tcp-client", addr, count);
	peer_expect(&p, "connected ", line, sizeof line, 15000);
	peer_expect(&p, "received ", count, sizeof count, 40000);
	int status = peer_wait(&p, 10000);
	/* A client that never connected leaves Accept blocked: Close wakes it. */
	rn_listener_close(s.l);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	rn_listener_free(s.l);

	ck_assert_msg(s.err == 0, "ringnet server: %s", s.errtext);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(strtoll(count, NULL, 10), STREAM_BYTES);
	ck_assert_int_eq(s.echoed, STREAM_BYTES);
	/* The two ends agree on the connection's addresses. */
	char want[2 * RN_ADDR_STRLEN + 4];
	snprintf(want, sizeof want, "%s->%s", s.remote, s.local);
	ck_assert_str_eq(line, want);
}

START_TEST(test_go_tcp_client)
{
	tcp_client_test(PEER_GO, "127.0.0.1:0");
}
END_TEST

START_TEST(test_go_tcp_client_ipv6)
{
	if (!have_ipv6_loopback()) {
		printf("test_go_tcp_client_ipv6: skipped: ::1 cannot be bound here\n");
		return;
	}
	tcp_client_test(PEER_GO, "[::1]:0");
}
END_TEST

START_TEST(test_py_tcp_client)
{
	tcp_client_test(PEER_PY, "127.0.0.1:0");
}
END_TEST

/* ---- a ringnet UDP echo server driven by a peer's client ------------------------------ */

struct udp_server {
	rn_conn *pc;
	int echoed;
	char from[RN_ADDR_STRLEN];
	int err;
	char errtext[ERRTEXT_MAX];
};

static void *udp_server_main(void *arg)
{
	struct udp_server *s = arg;
	static __thread uint8_t buf[65536];
	rn_addr from;

	for (;;) {
		ssize_t n = rn_conn_read_from(s->pc, buf, sizeof buf, &from);
		if (n == RN_ECLOSED)
			return NULL; /* the test is done */
		if (n < 0) {
			s->err = (int)n;
			last_err(s->errtext);
			return NULL;
		}
		addr_str(from, s->from);
		ssize_t w = rn_conn_write_to(s->pc, buf, (size_t)n, &from);
		if (w != n) {
			s->err = w < 0 ? (int)w : -1;
			last_err(s->errtext);
			return NULL;
		}
		s->echoed++;
	}
}

static void udp_client_test(enum peer_kind kind, const char *listen)
{
	char addr[RN_ADDR_STRLEN], local[RN_ADDR_STRLEN], count[32], err[ERRTEXT_MAX];
	struct udp_server s = { 0 };
	struct peer p;
	pthread_t t;

	snprintf(count, sizeof count, "%d", UDP_COUNT);
	s.pc = rn_listen_packet("udp", listen);
	ck_assert_msg(s.pc != NULL, "rn_listen_packet %s: %s", listen, last_err(err));
	ck_assert_int_eq(rn_conn_set_read_deadline(s.pc, rn_time_add(rn_now(), 40 * RN_SECOND)), 0);
	addr_str(rn_conn_local_addr(s.pc), addr);
	ck_assert_int_eq(pthread_create(&t, NULL, udp_server_main, &s), 0);

	peer_start(&p, kind, "udp-client", addr, count);
	peer_expect(&p, "local ", local, sizeof local, 15000);
	peer_expect(&p, "received ", count, sizeof count, 40000);
	int status = peer_wait(&p, 10000);
	/* Close from this thread wakes the server's blocked ReadFrom. */
	ck_assert_int_eq(rn_conn_close(s.pc), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	rn_conn_free(s.pc);

	ck_assert_msg(s.err == 0, "ringnet server: %s", s.errtext);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(strtol(count, NULL, 10), UDP_COUNT);
	ck_assert_int_ge(s.echoed, UDP_COUNT);
	ck_assert_str_eq(s.from, local);
}

START_TEST(test_go_udp_client)
{
	udp_client_test(PEER_GO, "127.0.0.1:0");
}
END_TEST

START_TEST(test_py_udp_client)
{
	udp_client_test(PEER_PY, "127.0.0.1:0");
}
END_TEST

START_TEST(test_py_udp_client_ipv6)
{
	if (!have_ipv6_loopback()) {
		printf("test_py_udp_client_ipv6: skipped: ::1 cannot be bound here\n");
		return;
	}
	udp_client_test(PEER_PY, "[::1]:0");
}
END_TEST

/* ---- error texts: Go's and ringnet's for the same situation -------------------------- */

/* One side's outcome: Error(), Timeout(), and the conn's addresses ("-": none). */
struct outcome {
	char text[ERRTEXT_MAX];
	bool timeout;
	char local[RN_ADDR_STRLEN];
	char remote[RN_ADDR_STRLEN];
};

/* What both sides are given: an address or path, and the sockets behind it. */
struct fixture {
	char arg[128];
	int fd;
	bool ipv6;
};

/* Plain POSIX sockets (not ringnet) for the fixtures and for peer behaviour. */
static int plain_socket(int family, int type, bool ipv6, int listen_backlog, char *addr, size_t cap)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	if (ipv6) {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
		sa->sin6_family = AF_INET6;
		sa->sin6_addr = in6addr_loopback;
		len = sizeof *sa;
	} else {
		struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
		sa->sin_family = AF_INET;
		sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *sa;
	}
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	if (listen_backlog > 0)
		ck_assert_int_eq(listen(fd, listen_backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ipv6)
		snprintf(addr, cap, "[::1]:%d", ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	else
		snprintf(addr, cap, "127.0.0.1:%d", ntohs(((struct sockaddr_in *)&ss)->sin_port));
	return fd;
}

static int plain_unix_listener(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	unlink(path);
	ck_assert_msg(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "bind %s: %s", path,
		      strerror(errno));
	ck_assert_int_eq(listen(fd, 16), 0);
	return fd;
}

static int plain_accept(int lfd)
{
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

/* Fixtures. */
static void fix_none(struct fixture *f)
{
	(void)f;
}
static void fix_tcp_bound(struct fixture *f) /* bound, not listening: connect is refused */
{
	f->fd = plain_socket(AF_INET, SOCK_STREAM, false, 0, f->arg, sizeof f->arg);
}
static void fix_tcp6_bound(struct fixture *f)
{
	f->fd = plain_socket(AF_INET6, SOCK_STREAM, true, 0, f->arg, sizeof f->arg);
}
static void fix_tcp_listening(struct fixture *f) /* listening, never accepting */
{
	f->fd = plain_socket(AF_INET, SOCK_STREAM, false, 64, f->arg, sizeof f->arg);
}
static void fix_udp_bound(struct fixture *f) /* bound, never answering */
{
	f->fd = plain_socket(AF_INET, SOCK_DGRAM, false, 0, f->arg, sizeof f->arg);
}
static void fix_udp_closed(struct fixture *f) /* a UDP port nobody is bound to */
{
	int fd = plain_socket(AF_INET, SOCK_DGRAM, false, 0, f->arg, sizeof f->arg);
	close(fd);
}
static void fix_unix_missing(struct fixture *f)
{
	tmp_path("missing.sock", f->arg, sizeof f->arg);
}
static void fix_unix_listening(struct fixture *f)
{
	tmp_path("listening.sock", f->arg, sizeof f->arg);
	f->fd = plain_unix_listener(f->arg);
}
static void fix_unix_path(struct fixture *f) /* a free path for each side's own listener */
{
	tmp_path("go.sock", f->arg, sizeof f->arg);
}
static void fix_unix_regular_file(struct fixture *f)
{
	tmp_path("regular.sock", f->arg, sizeof f->arg);
	int fd = open(f->arg, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
}
static void fix_unix_no_dir(struct fixture *f)
{
	tmp_path("nodir/s.sock", f->arg, sizeof f->arg);
}
static void unix_path_of_length(struct fixture *f, size_t len)
{
	tmp_path("", f->arg, sizeof f->arg);
	size_t n = strlen(f->arg);
	ck_assert_uint_lt(n, len);
	memset(f->arg + n, 'x', len - n);
	f->arg[len] = '\0';
}
static void fix_unix_too_long(struct fixture *f) /* 120 bytes: more than sun_path holds */
{
	unix_path_of_length(f, 120);
}
static void fix_unix_108(struct fixture *f) /* sun_path's size exactly: no room for the NUL */
{
	unix_path_of_length(f, 108);
}

/* Record ringnet's last error with the conn's addresses (taken before any Close). */
static void rn_outcome(struct outcome *o, const char *local, const char *remote)
{
	rn_error e = *rn_last_error();

	rn_error_string(&e, o->text, sizeof o->text);
	o->timeout = rn_error_timeout(&e);
	snprintf(o->local, sizeof o->local, "%s", local ? local : "-");
	snprintf(o->remote, sizeof o->remote, "%s", remote ? remote : "-");
}

static void no_error(struct outcome *o)
{
	snprintf(o->text, sizeof o->text, "<nil>");
	o->timeout = false;
	snprintf(o->local, sizeof o->local, "-");
	snprintf(o->remote, sizeof o->remote, "-");
}

struct dialed {
	rn_conn *c;
	char local[RN_ADDR_STRLEN], remote[RN_ADDR_STRLEN];
};

static void must_dial(struct dialed *d, const char *network, const char *addr)
{
	char err[ERRTEXT_MAX];

	d->c = rn_dial(network, addr);
	ck_assert_msg(d->c != NULL, "rn_dial %s %s: %s", network, addr, last_err(err));
	addr_str(rn_conn_local_addr(d->c), d->local);
	addr_str(rn_conn_remote_addr(d->c), d->remote);
}

/* The ringnet side of each case, mirroring peer.go's errorCase. */
static void rn_expect_dial_error(struct outcome *o, const char *network, const char *addr)
{
	rn_conn *c = rn_dial(network, addr);

	if (c == NULL) {
		rn_outcome(o, NULL, NULL);
	} else {
		no_error(o);
		rn_conn_free(c);
	}
}

static void run_dial_refused(struct fixture *f, struct outcome *o)
{
	rn_expect_dial_error(o, "tcp", f->arg);
}
static void run_dial_bad_port(struct fixture *f, struct outcome *o)
{
	(void)f;
	rn_expect_dial_error(o, "tcp", "127.0.0.1:99999");
}
static void run_dial_missing_port(struct fixture *f, struct outcome *o)
{
	(void)f;
	rn_expect_dial_error(o, "tcp", "127.0.0.1");
}
static void run_dial_unknown_network(struct fixture *f, struct outcome *o)
{
	(void)f;
	rn_expect_dial_error(o, "tcpx", "127.0.0.1:1");
}
static void run_dial_unix(struct fixture *f, struct outcome *o)
{
	rn_expect_dial_error(o, "unix", f->arg);
}
static void run_dial_unix_empty(struct fixture *f, struct outcome *o)
{
	(void)f;
	rn_expect_dial_error(o, "unix", "");
}
static void run_dial_tcp6_ipv4_address(struct fixture *f, struct outcome *o)
{
	(void)f;
	rn_expect_dial_error(o, "tcp6", "127.0.0.1:1");
}
static void run_dial_refused_localhost(struct fixture *f, struct outcome *o)
{
	char addr[64];

	snprintf(addr, sizeof addr, "localhost:%s", strrchr(f->arg, ':') + 1);
	rn_expect_dial_error(o, "tcp", addr);
}

static void run_listen_in_use(struct fixture *f, struct outcome *o)
{
	rn_listener *l = rn_listen("tcp", f->arg);

	if (l == NULL)
		rn_outcome(o, NULL, NULL);
	else
		no_error(o);
	rn_listener_free(l);
}
static void run_listen_unix(struct fixture *f, struct outcome *o)
{
	rn_listener *l = rn_listen("unix", f->arg);

	if (l == NULL) {
		rn_outcome(o, NULL, NULL);
	} else {
		no_error(o);
		rn_unixlistener_set_unlink_on_close(l, false);
	}
	rn_listener_free(l);
}
static void run_listen_udp_in_use(struct fixture *f, struct outcome *o)
{
	rn_conn *c = rn_listen_packet("udp", f->arg);

	if (c == NULL)
		rn_outcome(o, NULL, NULL);
	else
		no_error(o);
	rn_conn_free(c);
}

static void run_read_deadline(struct fixture *f, struct outcome *o)
{
	struct dialed d;
	char buf[64];

	must_dial(&d, "tcp", f->arg);
	rn_conn_set_read_deadline(d.c, rn_time_add(rn_now(), 50 * RN_MILLISECOND));
	if (rn_conn_read(d.c, buf, sizeof buf) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_read_deadline_past(struct fixture *f, struct outcome *o)
{
	struct dialed d;
	char buf[64];

	must_dial(&d, "tcp", f->arg);
	rn_conn_set_read_deadline(d.c, rn_time_add(rn_now(), -RN_SECOND));
	if (rn_conn_read(d.c, buf, sizeof buf) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_write_deadline_past(struct fixture *f, struct outcome *o)
{
	struct dialed d;

	must_dial(&d, "tcp", f->arg);
	rn_conn_set_write_deadline(d.c, rn_time_add(rn_now(), -RN_SECOND));
	if (rn_conn_write(d.c, "x", 1) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_write_after_close_write(struct fixture *f, struct outcome *o)
{
	struct dialed d;

	must_dial(&d, "tcp", f->arg);
	rn_tcpconn_close_write(d.c);
	if (rn_conn_write(d.c, "x", 1) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_read_after_close(struct fixture *f, struct outcome *o)
{
	struct dialed d;
	char buf[64];

	must_dial(&d, "tcp", f->arg);
	rn_conn_close(d.c);
	if (rn_conn_read(d.c, buf, sizeof buf) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_write_after_close(struct fixture *f, struct outcome *o)
{
	struct dialed d;

	must_dial(&d, "tcp", f->arg);
	rn_conn_close(d.c);
	if (rn_conn_write(d.c, "x", 1) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_close_twice(struct fixture *f, struct outcome *o)
{
	struct dialed d;

	must_dial(&d, "tcp", f->arg);
	rn_conn_close(d.c);
	if (rn_conn_close(d.c) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}

static void run_set_deadline_after_close(struct fixture *f, struct outcome *o)
{
	struct dialed d;

	must_dial(&d, "tcp", f->arg);
	rn_conn_close(d.c);
	if (rn_conn_set_deadline(d.c, rn_now()) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_close_write_after_close(struct fixture *f, struct outcome *o)
{
	struct dialed d;

	must_dial(&d, "tcp", f->arg);
	rn_conn_close(d.c);
	if (rn_tcpconn_close_write(d.c) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}

static void run_write_after_peer_close(struct fixture *f, struct outcome *o)
{
	char addr[RN_ADDR_STRLEN], buf[64];
	struct dialed d;
	ssize_t r = 0;

	(void)f;
	int lfd = plain_socket(AF_INET, SOCK_STREAM, false, 16, addr, sizeof addr);
	must_dial(&d, "tcp", addr);
	close(plain_accept(lfd));
	rn_conn_set_read_deadline(d.c, rn_time_add(rn_now(), 5 * RN_SECOND));
	ck_assert_int_eq(rn_conn_read(d.c, buf, sizeof buf), 0);
	/* The first write draws the peer's RST; a later one fails. */
	for (int i = 0; i < 200 && r >= 0; i++) {
		r = rn_conn_write(d.c, "x", 1);
		if (r >= 0)
			sleep_ms(5);
	}
	if (r < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
	close(lfd);
}
static void run_read_after_peer_reset(struct fixture *f, struct outcome *o)
{
	char addr[RN_ADDR_STRLEN], buf[64];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct dialed d;

	(void)f;
	int lfd = plain_socket(AF_INET, SOCK_STREAM, false, 16, addr, sizeof addr);
	must_dial(&d, "tcp", addr);
	int cfd = plain_accept(lfd);
	ck_assert_int_eq(setsockopt(cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
	close(cfd);
	rn_conn_set_read_deadline(d.c, rn_time_add(rn_now(), 5 * RN_SECOND));
	if (rn_conn_read(d.c, buf, sizeof buf) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
	close(lfd);
}

static void run_accept_deadline(struct fixture *f, struct outcome *o)
{
	char local[RN_ADDR_STRLEN];
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");

	(void)f;
	ck_assert_ptr_nonnull(l);
	addr_str(rn_listener_addr(l), local);
	rn_listener_set_deadline(l, rn_time_add(rn_now(), 50 * RN_MILLISECOND));
	rn_conn *c = rn_listener_accept(l);
	if (c == NULL)
		rn_outcome(o, local, NULL);
	else
		no_error(o);
	rn_conn_free(c);
	rn_listener_free(l);
}
static void run_accept_after_close(struct fixture *f, struct outcome *o)
{
	char local[RN_ADDR_STRLEN];
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");

	(void)f;
	ck_assert_ptr_nonnull(l);
	addr_str(rn_listener_addr(l), local);
	rn_listener_close(l);
	rn_conn *c = rn_listener_accept(l);
	if (c == NULL)
		rn_outcome(o, local, NULL);
	else
		no_error(o);
	rn_conn_free(c);
	rn_listener_free(l);
}
static void run_listener_close_twice(struct fixture *f, struct outcome *o)
{
	char local[RN_ADDR_STRLEN];
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");

	(void)f;
	ck_assert_ptr_nonnull(l);
	addr_str(rn_listener_addr(l), local);
	rn_listener_close(l);
	if (rn_listener_close(l) < 0)
		rn_outcome(o, local, NULL);
	else
		no_error(o);
	rn_listener_free(l);
}
static void run_udp_read_from_after_close(struct fixture *f, struct outcome *o)
{
	char local[RN_ADDR_STRLEN], buf[64];
	rn_conn *c = rn_listen_packet("udp", "127.0.0.1:0");

	(void)f;
	ck_assert_ptr_nonnull(c);
	addr_str(rn_conn_local_addr(c), local);
	rn_conn_close(c);
	if (rn_conn_read_from(c, buf, sizeof buf, NULL) < 0)
		rn_outcome(o, local, NULL);
	else
		no_error(o);
	rn_conn_free(c);
}
static void run_udp_write_to_after_close(struct fixture *f, struct outcome *o)
{
	char local[RN_ADDR_STRLEN];
	rn_udpaddr to;
	rn_conn *c = rn_listen_packet("udp", "127.0.0.1:0");

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(rn_resolve_udp_addr("udp", f->arg, &to), 0);
	rn_addr dst = rn_addr_from_udp(&to);
	addr_str(rn_conn_local_addr(c), local);
	rn_conn_close(c);
	if (rn_conn_write_to(c, "x", 1, &dst) < 0)
		rn_outcome(o, local, NULL);
	else
		no_error(o);
	rn_conn_free(c);
}
static void run_udp_write_deadline_past(struct fixture *f, struct outcome *o)
{
	struct dialed d;

	must_dial(&d, "udp", f->arg);
	rn_conn_set_write_deadline(d.c, rn_time_add(rn_now(), -RN_SECOND));
	if (rn_conn_write(d.c, "x", 1) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_udp_read_deadline(struct fixture *f, struct outcome *o)
{
	char local[RN_ADDR_STRLEN], buf[64];
	rn_conn *c = rn_listen_packet("udp", "127.0.0.1:0");

	(void)f;
	ck_assert_ptr_nonnull(c);
	addr_str(rn_conn_local_addr(c), local);
	rn_conn_set_read_deadline(c, rn_time_add(rn_now(), 50 * RN_MILLISECOND));
	if (rn_conn_read_from(c, buf, sizeof buf, NULL) < 0)
		rn_outcome(o, local, NULL);
	else
		no_error(o);
	rn_conn_free(c);
}
static void run_udp_dialed_read_deadline(struct fixture *f, struct outcome *o)
{
	struct dialed d;
	char buf[64];

	must_dial(&d, "udp", f->arg);
	rn_conn_set_read_deadline(d.c, rn_time_add(rn_now(), 50 * RN_MILLISECOND));
	if (rn_conn_read(d.c, buf, sizeof buf) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_udp_refused(struct fixture *f, struct outcome *o)
{
	struct dialed d;
	char buf[64];

	must_dial(&d, "udp", f->arg);
	if (rn_conn_write(d.c, "x", 1) < 0) {
		rn_outcome(o, d.local, d.remote);
	} else {
		rn_conn_set_read_deadline(d.c, rn_time_add(rn_now(), 2 * RN_SECOND));
		if (rn_conn_read(d.c, buf, sizeof buf) < 0)
			rn_outcome(o, d.local, d.remote);
		else
			no_error(o);
	}
	rn_conn_free(d.c);
}
static void run_udp_write_to_connected(struct fixture *f, struct outcome *o)
{
	struct dialed d;

	must_dial(&d, "udp", f->arg);
	rn_addr to = rn_conn_remote_addr(d.c);
	if (rn_conn_write_to(d.c, "x", 1, &to) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_unix_read_deadline(struct fixture *f, struct outcome *o)
{
	struct dialed d;
	char buf[64];

	must_dial(&d, "unix", f->arg);
	rn_conn_set_read_deadline(d.c, rn_time_add(rn_now(), 50 * RN_MILLISECOND));
	if (rn_conn_read(d.c, buf, sizeof buf) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
}
static void run_unix_write_after_peer_close(struct fixture *f, struct outcome *o)
{
	struct dialed d;
	char buf[64];

	int lfd = plain_unix_listener(f->arg);
	must_dial(&d, "unix", f->arg);
	close(plain_accept(lfd));
	rn_conn_set_read_deadline(d.c, rn_time_add(rn_now(), 5 * RN_SECOND));
	ck_assert_int_eq(rn_conn_read(d.c, buf, sizeof buf), 0);
	if (rn_conn_write(d.c, "x", 1) < 0)
		rn_outcome(o, d.local, d.remote);
	else
		no_error(o);
	rn_conn_free(d.c);
	close(lfd);
	unlink(f->arg);
}

struct error_case {
	const char *label;   /* this situation, for messages */
	const char *go_case; /* peer.go's name for it */
	void (*fixture)(struct fixture *);
	void (*run)(struct fixture *, struct outcome *);
	bool needs_ipv6;
};

/* CASE: Go's case name is the label; VARIANT: another situation for the same Go case. */
#define CASE(name, fix, run) { name, name, fix, run, false }
#define VARIANT(label, name, fix, run, ipv6) { label, name, fix, run, ipv6 }
static const struct error_case error_cases[] = {
	CASE("dial-refused", fix_tcp_bound, run_dial_refused),
	VARIANT("dial-refused (IPv6)", "dial-refused", fix_tcp6_bound, run_dial_refused, true),
	CASE("dial-bad-port", fix_none, run_dial_bad_port),
	CASE("dial-missing-port", fix_none, run_dial_missing_port),
	CASE("dial-unknown-network", fix_none, run_dial_unknown_network),
	CASE("listen-in-use", fix_tcp_listening, run_listen_in_use),
	CASE("listen-udp-in-use", fix_udp_bound, run_listen_udp_in_use),
	CASE("dial-refused-localhost", fix_tcp_bound, run_dial_refused_localhost),
	CASE("dial-tcp6-ipv4-address", fix_none, run_dial_tcp6_ipv4_address),
	CASE("dial-unix-missing", fix_unix_missing, run_dial_unix),
	CASE("dial-unix-empty", fix_none, run_dial_unix_empty),
	CASE("dial-unix-regular-file", fix_unix_regular_file, run_dial_unix),
	CASE("dial-unix-too-long", fix_unix_too_long, run_dial_unix),
	CASE("listen-unix-in-use", fix_unix_listening, run_listen_unix),
	CASE("listen-unix-too-long", fix_unix_too_long, run_listen_unix),
	VARIANT("dial-unix-108-bytes", "dial-unix-too-long", fix_unix_108, run_dial_unix, false),
	VARIANT("listen-unix-108-bytes", "listen-unix-too-long", fix_unix_108,
		run_listen_unix, false),
	CASE("listen-unix-no-dir", fix_unix_no_dir, run_listen_unix),
	CASE("read-deadline", fix_tcp_listening, run_read_deadline),
	CASE("read-deadline-past", fix_tcp_listening, run_read_deadline_past),
	CASE("write-deadline-past", fix_tcp_listening, run_write_deadline_past),
	CASE("write-after-close-write", fix_tcp_listening, run_write_after_close_write),
	CASE("read-after-close", fix_tcp_listening, run_read_after_close),
	CASE("write-after-close", fix_tcp_listening, run_write_after_close),
	CASE("close-twice", fix_tcp_listening, run_close_twice),
	CASE("set-deadline-after-close", fix_tcp_listening, run_set_deadline_after_close),
	CASE("close-write-after-close", fix_tcp_listening, run_close_write_after_close),
	CASE("write-after-peer-close", fix_none, run_write_after_peer_close),
	CASE("read-after-peer-reset", fix_none, run_read_after_peer_reset),
	CASE("accept-deadline", fix_none, run_accept_deadline),
	CASE("accept-after-close", fix_none, run_accept_after_close),
	CASE("listener-close-twice", fix_none, run_listener_close_twice),
	CASE("udp-read-from-after-close", fix_none, run_udp_read_from_after_close),
	CASE("udp-write-to-after-close", fix_udp_bound, run_udp_write_to_after_close),
	CASE("udp-write-deadline-past", fix_udp_bound, run_udp_write_deadline_past),
	CASE("udp-read-deadline", fix_none, run_udp_read_deadline),
	CASE("udp-dialed-read-deadline", fix_udp_bound, run_udp_dialed_read_deadline),
	CASE("udp-refused", fix_udp_closed, run_udp_refused),
	CASE("udp-write-to-connected", fix_udp_bound, run_udp_write_to_connected),
	CASE("unix-read-deadline", fix_unix_listening, run_unix_read_deadline),
	CASE("unix-write-after-peer-close", fix_unix_path, run_unix_write_after_peer_close),
};
#define N_ERROR_CASES ((int)(sizeof error_cases / sizeof error_cases[0]))

/* Split Go's line "CASE TIMEOUT LOCAL REMOTE TEXT" (tabs) into @o. */
static void parse_go_line(const char *go_case, const char *line, struct outcome *o)
{
	const char *f[4];
	const char *p = line;

	for (int i = 0; i < 4; i++) {
		f[i] = p;
		p = strchr(p, '\t');
		ck_assert_msg(p != NULL, "go errors %s: malformed line \"%s\"", go_case, line);
		p++;
	}
	ck_assert_msg(strncmp(f[0], go_case, strlen(go_case)) == 0 && f[0][strlen(go_case)] == '\t',
		      "go errors %s: line for another case: \"%s\"", go_case, line);
	o->timeout = strncmp(f[1], "true\t", 5) == 0;
	snprintf(o->local, sizeof o->local, "%.*s", (int)(f[3] - f[2] - 1), f[2]);
	snprintf(o->remote, sizeof o->remote, "%.*s", (int)(p - f[3] - 1), f[3]);
	snprintf(o->text, sizeof o->text, "%s", p);
}

/* Replace each @needle in @s not followed by a digit with @with. */
static void replace_addr(char *s, size_t cap, const char *needle, const char *with)
{
	char out[ERRTEXT_MAX * 2];
	size_t nl = strlen(needle), o = 0;
	const char *p = s;

	if (nl == 0 || strcmp(needle, "-") == 0)
		return;
	while (*p && o + 1 < sizeof out) {
		if (strncmp(p, needle, nl) == 0 && !(p[nl] >= '0' && p[nl] <= '9')) {
			o += (size_t)snprintf(out + o, sizeof out - o, "%s", with);
			p += nl;
		} else {
			out[o++] = *p++;
		}
	}
	if (o >= cap)
		o = cap - 1;
	memcpy(s, out, o);
	s[o] = '\0';
}

START_TEST(test_error_text)
{
	const struct error_case *ec = &error_cases[_i];
	struct fixture fx = { .fd = -1 };
	struct outcome go, rn;
	char line[2 * ERRTEXT_MAX], go_norm[ERRTEXT_MAX], rn_norm[ERRTEXT_MAX];
	struct peer p;

	if (ec->needs_ipv6 && !have_ipv6_loopback()) {
		printf("error case %s: skipped: ::1 cannot be bound here\n", ec->label);
		return;
	}
	ec->fixture(&fx);

	peer_start(&p, PEER_GO, "errors", ec->go_case, fx.arg[0] ? fx.arg : NULL);
	bool have = peer_line(&p, line, sizeof line, 15000);
	int status = peer_wait(&p, 10000);
	ck_assert_msg(have && status == 0, "go errors %s %s: no result (exit status %d)", ec->go_case,
		      fx.arg, status);
	parse_go_line(ec->go_case, line, &go);

	ec->run(&fx, &rn);
	if (fx.fd >= 0)
		close(fx.fd);
	tmp_cleanup();

	/* Where the two sides hold different ephemeral addresses, name them. */
	snprintf(go_norm, sizeof go_norm, "%s", go.text);
	snprintf(rn_norm, sizeof rn_norm, "%s", rn.text);
	if (strcmp(go.local, rn.local) != 0) {
		replace_addr(go_norm, sizeof go_norm, go.local, "LOCAL");
		replace_addr(rn_norm, sizeof rn_norm, rn.local, "LOCAL");
	}
	if (strcmp(go.remote, rn.remote) != 0) {
		replace_addr(go_norm, sizeof go_norm, go.remote, "REMOTE");
		replace_addr(rn_norm, sizeof rn_norm, rn.remote, "REMOTE");
	}
	printf("%-28s %s\n", ec->label, rn.text);
	ck_assert_msg(strcmp(go_norm, rn_norm) == 0,
		      "%s: Go 1.19 says \"%s\" (local %s, remote %s), ringnet says \"%s\" "
		      "(local %s, remote %s)",
		      ec->label, go.text, go.local, go.remote, rn.text, rn.local, rn.remote);
	ck_assert_msg(go.timeout == rn.timeout, "%s: Go's Timeout() is %d, ringnet's %d",
		      ec->label, go.timeout, rn.timeout);
	ck_assert_msg((strcmp(go.local, "-") == 0) == (strcmp(rn.local, "-") == 0) &&
			      (strcmp(go.remote, "-") == 0) == (strcmp(rn.remote, "-") == 0),
		      "%s: addresses differ in kind: Go %s %s, ringnet %s %s", ec->label, go.local,
		      go.remote, rn.local, rn.remote);
}
END_TEST

/* ---- suite ---------------------------------------------------------------------------- */

static Suite *interop_suite(void)
{
	Suite *s = suite_create("interop");
	TCase *tc = tu_engine_tcase("ringnet-dials-peer");

	tcase_add_test(tc, test_go_tcp_echo_server);
	tcase_add_test(tc, test_go_tcp_echo_server_ipv6);
	tcase_add_test(tc, test_go_unix_echo_server);
	tcase_add_test(tc, test_go_udp_echo_server);
	tcase_add_test(tc, test_py_tcp_echo_server);
	tcase_add_test(tc, test_py_tcp_echo_server_ipv6);
	tcase_add_test(tc, test_py_udp_echo_server);
	tcase_add_test(tc, test_py_udp_echo_server_ipv6);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("peer-dials-ringnet");
	tcase_add_test(tc, test_go_tcp_client);
	tcase_add_test(tc, test_go_tcp_client_ipv6);
	tcase_add_test(tc, test_go_udp_client);
	tcase_add_test(tc, test_py_tcp_client);
	tcase_add_test(tc, test_py_udp_client);
	tcase_add_test(tc, test_py_udp_client_ipv6);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("error-texts");
	tcase_add_loop_test(tc, test_error_text, 0, N_ERROR_CASES);
	suite_add_tcase(s, tc);
	return s;
}

static const char *need_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] == '\0' || access(v, R_OK) != 0) {
		printf("SKIP: %s is not set to a readable file (run through run_interop.sh)\n", name);
		exit(77);
	}
	return v;
}

int main(void)
{
	go_peer = need_env("INTEROP_GO_PEER");
	py_peer = need_env("INTEROP_PY_PEER");
	python_bin = need_env("INTEROP_PYTHON");
	pat_init();
	tmp_make();
	atexit(kill_live_peers);
	int rc = rn_test_main(interop_suite());
	tmp_remove();
	return rc;
}
