/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_conn_extras.c - Buffers (writev), File, FileConn,
 * FileListener, FilePacketConn, Dialer and ListenConfig options, and a
 * DialContext cancelled while its connect is pending.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

static void addr_text(rn_addr a, char *buf, size_t n)
{
	rn_addr_string(&a, buf, n);
}

/* A listener and a connected pair over loopback. */
struct pair {
	rn_listener *l;
	rn_conn *client, *server;
};

static void pair_open(struct pair *p)
{
	char a[RN_ADDR_STRLEN];

	p->l = rn_listen("tcp", "127.0.0.1:0");
	ck_assert_ptr_nonnull(p->l);
	addr_text(rn_listener_addr(p->l), a, sizeof(a));
	p->client = rn_dial("tcp", a);
	ck_assert_ptr_nonnull(p->client);
	p->server = rn_listener_accept(p->l);
	ck_assert_ptr_nonnull(p->server);
}

static void pair_close(struct pair *p)
{
	rn_conn_free(p->client);
	rn_conn_free(p->server);
	rn_listener_free(p->l);
}

static void read_full(rn_conn *c, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = rn_conn_read(c, buf + got, n - got);
		ck_assert_int_gt(r, 0);
		got += (size_t)r;
	}
}

START_TEST(test_write_buffers_sends_all_in_order)
{
	struct pair p;
	char a[] = "hello, ", b[] = "", c[] = "buffers", out[32] = { 0 };
	struct iovec iov[3] = { { a, 7 }, { b, 0 }, { c, 7 } };

	pair_open(&p);
	ck_assert_int_eq(rn_conn_write_buffers(p.client, iov, 3), 14);
	read_full(p.server, out, 14);
	ck_assert_str_eq(out, "hello, buffers");
	ck_assert_int_eq(rn_conn_write_buffers(p.client, iov, 0), 0);
	pair_close(&p);
}
END_TEST

struct reader {
	rn_conn *c;
	char *buf;
	size_t n;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	size_t got = 0;

	while (got < r->n) {
		ssize_t k = rn_conn_read(r->c, r->buf + got, r->n - got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	r->n = got;
	return NULL;
}

START_TEST(test_write_buffers_many_entries_large)
{
	enum { N = 300, SZ = 4096 };
	static char data[N][SZ], back[N * SZ];
	struct iovec iov[N];
	struct reader r;
	struct pair p;
	pthread_t t;

	pair_open(&p);
	for (int i = 0; i < N; i++) {
		memset(data[i], 'a' + i % 26, SZ);
		iov[i].iov_base = data[i];
		iov[i].iov_len = SZ;
	}
	r.c = p.server;
	r.buf = back;
	r.n = sizeof(back);
	ck_assert_int_eq(pthread_create(&t, NULL, read_all, &r), 0);
	ck_assert_int_eq(rn_conn_write_buffers(p.client, iov, N), N * SZ);
	pthread_join(t, NULL);
	ck_assert_uint_eq(r.n, sizeof(back));
	for (int i = 0; i < N; i++)
		ck_assert_msg(memcmp(back + (size_t)i * SZ, data[i], SZ) == 0, "buffer %d differs", i);
	pair_close(&p);
}
END_TEST

START_TEST(test_write_buffers_after_close)
{
	struct pair p;
	char e[256], a[] = "x";
	struct iovec iov = { a, 1 };

	pair_open(&p);
	rn_conn_close(p.client);
	ck_assert_int_eq(rn_conn_write_buffers(p.client, &iov, 1), RN_ECLOSED);
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_msg(strncmp(e, "writev tcp 127.0.0.1:", 21) == 0 &&
		      strstr(e, ": use of closed network connection"), "%s", e);
	ck_assert_int_eq(rn_conn_write_buffers(NULL, &iov, 1), -EINVAL);
	pair_close(&p);
}
END_TEST

START_TEST(test_file_is_an_independent_duplicate)
{
	struct pair p;
	char out[8] = { 0 }, e[256];
	int fd;

	pair_open(&p);
	fd = rn_conn_file(p.client);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fd, rn_conn_fd(p.client));
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(write(fd, "dup", 3), 3);
	read_full(p.server, out, 3);
	ck_assert_str_eq(out, "dup");
	/* Closing the conn leaves the duplicate working, as Go's File. */
	rn_conn_close(p.client);
	ck_assert_int_eq(write(fd, "!", 1), 1);
	read_full(p.server, out, 1);
	ck_assert_int_eq(out[0], '!');
	close(fd);
	ck_assert_int_eq(rn_conn_file(p.client), RN_ECLOSED);
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_msg(strncmp(e, "file tcp ", 9) == 0, "%s", e);
	fd = rn_listener_file(p.l);
	ck_assert_int_ge(fd, 0);
	close(fd);
	pair_close(&p);
}
END_TEST

START_TEST(test_file_conn_adopts_tcp_and_udp)
{
	struct pair p;
	char a[RN_ADDR_STRLEN], b[RN_ADDR_STRLEN], out[4] = { 0 };
	rn_conn *c, *u, *pc;
	int fd;

	pair_open(&p);
	fd = rn_conn_file(p.client);
	c = rn_file_conn(fd);
	close(fd); /* the adopted conn has its own duplicate */
	ck_assert_ptr_nonnull(c);
	addr_text(rn_conn_local_addr(c), a, sizeof(a));
	addr_text(rn_conn_local_addr(p.client), b, sizeof(b));
	ck_assert_str_eq(a, b);
	ck_assert_int_eq(rn_conn_local_addr(c).kind, RN_ADDR_TCP);
	ck_assert_int_eq(rn_conn_write(c, "abc", 3), 3);
	read_full(p.server, out, 3);
	ck_assert_str_eq(out, "abc");
	rn_conn_free(c);

	u = rn_listen_packet("udp", "127.0.0.1:0");
	ck_assert_ptr_nonnull(u);
	fd = rn_conn_file(u);
	pc = rn_file_packet_conn(fd);
	ck_assert_ptr_nonnull(pc);
	ck_assert_int_eq(rn_conn_local_addr(pc).kind, RN_ADDR_UDP);
	ck_assert_ptr_null(rn_file_listener(fd)); /* a datagram socket cannot listen */
	close(fd);
	rn_conn_free(pc);
	rn_conn_free(u);
	pair_close(&p);
}
END_TEST

START_TEST(test_file_conn_adopts_a_raw_socket)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	rn_conn *c;
	rn_addr la;

	if (fd < 0) {
		printf("test_file_conn_adopts_a_raw_socket: skipped: raw socket: %s (needs CAP_NET_RAW)\n",
		       rn_strerror(-errno));
		return;
	}
	c = rn_file_conn(fd);
	close(fd);
	ck_assert_ptr_nonnull(c);
	la = rn_conn_local_addr(c);
	ck_assert_int_eq(la.kind, RN_ADDR_IP);
	ck_assert_str_eq(rn_addr_network(&la), "ip");
	rn_conn_free(c);
}
END_TEST

START_TEST(test_file_conn_errors)
{
	char e[256];
	int fds[2];

	ck_assert_ptr_null(rn_file_conn(-1));
	ck_assert_int_eq(rn_last_error()->code, -EBADF);
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_str_eq(e, "file file+net: fcntl: bad file descriptor");
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_ptr_null(rn_file_conn(fds[0]));
	ck_assert_int_eq(rn_last_error()->code, -ENOTSOCK);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

static int seen_control;
static char control_net[16], control_addr[64];

static int control(const char *network, const char *address, int fd, void *arg)
{
	int one = 1;

	seen_control++;
	snprintf(control_net, sizeof(control_net), "%s", network);
	snprintf(control_addr, sizeof(control_addr), "%s", address);
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	return arg ? -EACCES : 0;
}

START_TEST(test_dialer_control_local_addr_keepalive)
{
	char a[RN_ADDR_STRLEN], la[RN_ADDR_STRLEN], e[256];
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");
	rn_dialer d;
	rn_conn *c;
	int v = 0;
	socklen_t vl = sizeof(v);

	ck_assert_ptr_nonnull(l);
	addr_text(rn_listener_addr(l), a, sizeof(a));
	memset(&d, 0, sizeof(d));
	d.control = control;
	d.keep_alive_config.enable = true;
	d.keep_alive_config.idle = 7 * RN_SECOND;
	d.keep_alive_config.interval = 3 * RN_SECOND;
	d.keep_alive_config.count = 4;
	ck_assert_int_eq(rn_resolve_tcp_addr("tcp", "127.0.0.3:0", &d.local_addr.u.tcp), 0);
	d.local_addr.kind = RN_ADDR_TCP;
	seen_control = 0;
	c = rn_dialer_dial(&d, "tcp", a);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(seen_control, 1);
	ck_assert_str_eq(control_net, "tcp4");
	ck_assert_str_eq(control_addr, a);
	addr_text(rn_conn_local_addr(c), la, sizeof(la));
	ck_assert_msg(strncmp(la, "127.0.0.3:", 10) == 0, "%s", la);
	ck_assert_int_eq(getsockopt(rn_conn_fd(c), IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl), 0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(getsockopt(rn_conn_fd(c), IPPROTO_TCP, TCP_KEEPINTVL, &v, &vl), 0);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(getsockopt(rn_conn_fd(c), IPPROTO_TCP, TCP_KEEPCNT, &v, &vl), 0);
	ck_assert_int_eq(v, 4);
	rn_conn_free(c);
	rn_conn_free(rn_listener_accept(l));

	/* Control's error fails the dial, wrapped as Go wraps it. */
	d.control_arg = &d;
	ck_assert_ptr_null(rn_dialer_dial(&d, "tcp", a));
	ck_assert_int_eq(rn_last_error()->code, -EACCES);
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_msg(strstr(e, "dial tcp 127.0.0.3:0->127.0.0.1:") == e && strstr(e, ": permission denied"), "%s", e);

	/* A UDP local address on a TCP dial. */
	d.control = NULL;
	d.local_addr.kind = RN_ADDR_UDP;
	ck_assert_ptr_null(rn_dialer_dial(&d, "tcp", a));
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_str_eq(e, "dial tcp: address 127.0.0.3:0: mismatched local address type");
	rn_listener_free(l);
}
END_TEST

START_TEST(test_dialer_keepalive_negative_disables)
{
	char a[RN_ADDR_STRLEN];
	rn_listener *l = rn_listen("tcp", "127.0.0.1:0");
	rn_dialer d;
	rn_conn *c;
	int v = 1;
	socklen_t vl = sizeof(v);

	addr_text(rn_listener_addr(l), a, sizeof(a));
	memset(&d, 0, sizeof(d));
	d.keep_alive = -1;
	c = rn_dialer_dial(&d, "tcp", a);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(getsockopt(rn_conn_fd(c), SOL_SOCKET, SO_KEEPALIVE, &v, &vl), 0);
	ck_assert_int_eq(v, 0);
	rn_conn_free(c);
	/* The default: on, 15 s. */
	c = rn_dial("tcp", a);
	ck_assert_int_eq(getsockopt(rn_conn_fd(c), SOL_SOCKET, SO_KEEPALIVE, &v, &vl), 0);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(getsockopt(rn_conn_fd(c), IPPROTO_TCP, TCP_KEEPIDLE, &v, &vl), 0);
	ck_assert_int_eq(v, 15);
	rn_conn_free(c);
	rn_listener_free(l);
}
END_TEST

START_TEST(test_listen_config_reuse_port_and_control)
{
	char a[RN_ADDR_STRLEN];
	rn_listen_config lc;
	rn_listener *l1, *l2;

	memset(&lc, 0, sizeof(lc));
	lc.reuse_port = true;
	lc.control = control;
	seen_control = 0;
	l1 = rn_listen_config_listen(&lc, NULL, "tcp", "127.0.0.1:0");
	ck_assert_ptr_nonnull(l1);
	ck_assert_int_eq(seen_control, 1);
	ck_assert_str_eq(control_net, "tcp4");
	addr_text(rn_listener_addr(l1), a, sizeof(a));
	l2 = rn_listen_config_listen(&lc, NULL, "tcp", a);
	ck_assert_ptr_nonnull(l2);
	/* Without SO_REUSEPORT the same address is in use. */
	ck_assert_ptr_null(rn_listen("tcp", a));
	ck_assert_int_eq(rn_last_error()->code, -EADDRINUSE);
	rn_listener_free(l1);
	rn_listener_free(l2);
}
END_TEST

START_TEST(test_listen_config_keep_alive_for_accepted_conns)
{
	char a[RN_ADDR_STRLEN];
	rn_listen_config lc;
	rn_listener *l;
	rn_conn *c, *s;
	int v = 1;
	socklen_t vl = sizeof(v);

	memset(&lc, 0, sizeof(lc));
	lc.keep_alive = -1; /* Go: negative turns keep-alives off on accepted conns */
	l = rn_listen_config_listen(&lc, NULL, "tcp", "127.0.0.1:0");
	ck_assert_ptr_nonnull(l);
	addr_text(rn_listener_addr(l), a, sizeof(a));
	c = rn_dial("tcp", a);
	s = rn_listener_accept(l);
	ck_assert(c && s);
	ck_assert_int_eq(getsockopt(rn_conn_fd(s), SOL_SOCKET, SO_KEEPALIVE, &v, &vl), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(getsockopt(rn_conn_fd(s), IPPROTO_TCP, TCP_NODELAY, &v, &vl), 0);
	ck_assert_int_eq(v, 1);
	rn_conn_free(c);
	rn_conn_free(s);
	rn_listener_free(l);
}
END_TEST

START_TEST(test_unix_dial_runs_the_control_function)
{
	char path[108];
	rn_listener *l;
	rn_dialer d;
	rn_conn *c;

	snprintf(path, sizeof(path), "@ringnet-ctl-%d", (int)getpid());
	l = rn_listen("unix", path);
	ck_assert_ptr_nonnull(l);
	memset(&d, 0, sizeof(d));
	d.control = control;
	seen_control = 0;
	c = rn_dialer_dial(&d, "unix", path);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(seen_control, 1);
	ck_assert_str_eq(control_net, "unix");
	ck_assert_str_eq(control_addr, path);
	rn_conn_free(c);
	rn_listener_free(l);
}
END_TEST

/* A loopback listener whose accept queue is full: new SYNs are dropped. */
struct full {
	int lfd, fill[4];
	char addr[RN_ADDR_STRLEN];
};

static void full_open(struct full *f)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sin);

	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f->lfd, 0);
	ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(f->lfd, 0), 0);
	ck_assert_int_eq(getsockname(f->lfd, (struct sockaddr *)&sin, &sl), 0);
	snprintf(f->addr, sizeof(f->addr), "127.0.0.1:%d", ntohs(sin.sin_port));
	for (int i = 0; i < 4; i++) {
		f->fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		connect(f->fill[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(50000);
}

static void full_close(struct full *f)
{
	for (int i = 0; i < 4; i++)
		close(f->fill[i]);
	close(f->lfd);
}

static rn_ctx *cancel_me;

static void *cancel_later(void *arg)
{
	(void)arg;
	usleep(50000);
	rn_ctx_cancel(cancel_me);
	return NULL;
}

START_TEST(test_dial_context_cancel_during_connect)
{
	struct full f;
	pthread_t t;
	rn_time t0;
	char e[256], want[256];

	full_open(&f);
	cancel_me = rn_ctx_with_cancel(NULL);
	ck_assert_int_eq(pthread_create(&t, NULL, cancel_later, NULL), 0);
	t0 = rn_now();
	ck_assert_ptr_null(rn_dialer_dial_context(NULL, cancel_me, "tcp", f.addr));
	ck_assert_int_lt(rn_now() - t0, 2 * RN_SECOND);
	pthread_join(t, NULL);
	ck_assert_int_eq(rn_last_error()->code, RN_EOPCANCELED);
	rn_error_string(NULL, e, sizeof(e));
	snprintf(want, sizeof(want), "dial tcp %s: operation was canceled", f.addr);
	ck_assert_str_eq(e, want);
	ck_assert(!rn_error_timeout(NULL));
	rn_ctx_free(cancel_me);
	full_close(&f);
}
END_TEST

START_TEST(test_dial_context_deadline_and_timeout)
{
	struct full f;
	rn_ctx *ctx;
	rn_time t0;
	char e[256], want[256];

	full_open(&f);
	snprintf(want, sizeof(want), "dial tcp %s: i/o timeout", f.addr);
	ctx = rn_ctx_with_timeout(NULL, 60 * RN_MILLISECOND);
	t0 = rn_now();
	ck_assert_ptr_null(rn_dialer_dial_context(NULL, ctx, "tcp", f.addr));
	ck_assert_int_ge(rn_now() - t0, 50 * RN_MILLISECOND);
	ck_assert_int_eq(rn_last_error()->code, RN_ETIMEOUT);
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_str_eq(e, want);
	ck_assert(rn_error_timeout(NULL));
	rn_ctx_free(ctx);

	ck_assert_ptr_null(rn_dial_timeout("tcp", f.addr, 50 * RN_MILLISECOND));
	rn_error_string(NULL, e, sizeof(e));
	ck_assert_str_eq(e, want);

	/* A context already cancelled fails before any connect. */
	ctx = rn_ctx_with_cancel(NULL);
	rn_ctx_cancel(ctx);
	ck_assert_ptr_null(rn_dialer_dial_context(NULL, ctx, "tcp", f.addr));
	ck_assert_int_eq(rn_last_error()->code, RN_EOPCANCELED);
	rn_ctx_free(ctx);
	full_close(&f);
}
END_TEST

struct wjob {
	rn_conn *c;
	const char *buf;
	size_t n;
	ssize_t ret;
	int code;
};

static void *timed_write(void *arg)
{
	struct wjob *j = arg;

	j->ret = rn_conn_write(j->c, j->buf, j->n);
	j->code = j->ret < (ssize_t)j->n ? rn_last_error()->code : 0;
	return NULL;
}

/*
 * Eight writers queue on one conn whose peer does not read; the write
 * deadline stops them all.  Every byte a Write reports sent must arrive, and
 * nothing else: the queue's accounting is exact.
 */
START_TEST(test_queued_writers_account_every_byte_at_the_deadline)
{
	enum { W = 8, SZ = 1 << 20 };
	static char bufs[W][SZ];
	struct wjob jobs[W];
	pthread_t t[W];
	struct pair p;
	size_t claimed = 0, got = 0;
	char *sink = malloc(64 << 20);

	ck_assert_ptr_nonnull(sink);
	pair_open(&p);
	for (int i = 0; i < W; i++)
		memset(bufs[i], 'A' + i, SZ);
	ck_assert_int_eq(rn_conn_set_write_deadline(p.client, rn_now() + 150 * RN_MILLISECOND), 0);
	for (int i = 0; i < W; i++) {
		jobs[i] = (struct wjob){ p.client, bufs[i], SZ, 0, 0 };
		pthread_create(&t[i], NULL, timed_write, &jobs[i]);
	}
	for (int i = 0; i < W; i++) {
		pthread_join(t[i], NULL);
		/* Nothing sent is the code itself; a part sent is a short count. */
		if (jobs[i].ret < 0)
			ck_assert_int_eq(jobs[i].ret, RN_ETIMEOUT);
		else if (jobs[i].ret < SZ)
			ck_assert_msg(jobs[i].code == RN_ETIMEOUT, "writer %d: code %d", i, jobs[i].code);
		claimed += jobs[i].ret > 0 ? (size_t)jobs[i].ret : 0;
	}
	ck_assert_msg(claimed < (size_t)W * SZ, "the socket swallowed 8 MiB unread?");
	rn_conn_close(p.client);
	for (;;) {
		ssize_t r = rn_conn_read(p.server, sink + got, (64 << 20) - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	ck_assert_uint_eq(got, claimed);
	/* Each writer's bytes arrive in one run: no interleaving inside a Write. */
	for (size_t off = 0; off < got;) {
		char ch = sink[off];
		size_t run = 0;
		int who = ch - 'A';

		ck_assert_msg(who >= 0 && who < W, "stray byte %d at %zu", ch, off);
		while (off + run < got && sink[off + run] == ch)
			run++;
		ck_assert_msg(run == (size_t)jobs[who].ret, "writer %d: run %zu, reported %zd", who, run,
			      jobs[who].ret);
		off += run;
	}
	free(sink);
	pair_close(&p);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("conn_extras");
	TCase *tc = tu_engine_tcase("extras");

	tcase_add_test(tc, test_write_buffers_sends_all_in_order);
	tcase_add_test(tc, test_write_buffers_many_entries_large);
	tcase_add_test(tc, test_write_buffers_after_close);
	tcase_add_test(tc, test_file_is_an_independent_duplicate);
	tcase_add_test(tc, test_file_conn_adopts_tcp_and_udp);
	tcase_add_test(tc, test_file_conn_adopts_a_raw_socket);
	tcase_add_test(tc, test_file_conn_errors);
	tcase_add_test(tc, test_dialer_control_local_addr_keepalive);
	tcase_add_test(tc, test_dialer_keepalive_negative_disables);
	tcase_add_test(tc, test_listen_config_reuse_port_and_control);
	tcase_add_test(tc, test_listen_config_keep_alive_for_accepted_conns);
	tcase_add_test(tc, test_unix_dial_runs_the_control_function);
	tcase_add_test(tc, test_dial_context_cancel_during_connect);
	tcase_add_test(tc, test_dial_context_deadline_and_timeout);
	tcase_add_test(tc, test_queued_writers_account_every_byte_at_the_deadline);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
