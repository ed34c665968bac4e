/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_unix.c - Unix domain sockets as Go's net.UnixConn and
 * net.UnixListener: stream echo over a path in a fresh temporary directory
 * and over an abstract name, LocalAddr/RemoteAddr and Network(), unixpacket
 * message boundaries, unixgram ReadFrom/WriteTo between named sockets,
 * unlink on Close (and SetUnlinkOnClose(false)), SCM_RIGHTS passing a pipe,
 * CloseWrite, Close from another thread waking Accept and Read, the read
 * deadline, and Go's error texts.
 *
 * Only local sockets are used.  Every test has the fd-leak fixture (with the
 * main thread's ring stopped around the count).  Threads record results in
 * atomics; the main thread asserts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/engine.h>

#include "testutil.h"

/* ---- helpers ----------------------------------------------------------------- */

static char dir[64];

/* A fresh temporary directory for the test's socket files. */
static void mkdir_tmp(void)
{
	snprintf(dir, sizeof dir, "/tmp/ringnet-unix-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* The directory must be empty by now: no socket file left behind. */
static void rmdir_tmp(void)
{
	ck_assert_msg(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
}

static void path_in_tmp(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void abstract_name(char *buf, size_t size, const char *what)
{
	snprintf(buf, size, "@ringnet-test-%d-%s", (int)getpid(), what);
}

static const char *addr_str(rn_addr a, char *buf, size_t size)
{
	rn_addr_string(&a, buf, size);
	return buf;
}

static void assert_addr(rn_addr a, const char *name, const char *net)
{
	char buf[RN_ADDR_STRLEN];

	ck_assert_int_eq(a.kind, RN_ADDR_UNIX);
	ck_assert_str_eq(addr_str(a, buf, sizeof buf), name);
	ck_assert_str_eq(rn_addr_network(&a), net);
}

static const char *last_error(void)
{
	static char buf[2048];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

static void assert_error(const char *want)
{
	ck_assert_str_eq(last_error(), want);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* Listen, dial and accept on @network/@address. */
static void trio(const char *network, const char *address, rn_listener **l, rn_conn **c,
		 rn_conn **s)
{
	*l = rn_listen(network, address);
	ck_assert_msg(*l != NULL, "listen: %s", last_error());
	*c = rn_dial(network, address);
	ck_assert_msg(*c != NULL, "dial: %s", last_error());
	*s = rn_listener_accept(*l);
	ck_assert_msg(*s != NULL, "accept: %s", last_error());
}

static void echo(rn_conn *c, rn_conn *s)
{
	char buf[64];

	ck_assert_int_eq(rn_conn_write(c, "hello, unix", 11), 11);
	ck_assert_int_eq(rn_conn_read(s, buf, sizeof buf), 11);
	ck_assert_int_eq(memcmp(buf, "hello, unix", 11), 0);
	ck_assert_int_eq(rn_conn_write(s, buf, 11), 11);
	memset(buf, 0, sizeof buf);
	ck_assert_int_eq(rn_conn_read(c, buf, sizeof buf), 11);
	ck_assert_int_eq(memcmp(buf, "hello, unix", 11), 0);
}

/* ---- stream ------------------------------------------------------------------- */

START_TEST(test_stream_path_echo)
{
	char path[128], buf[8];
	rn_listener *l;
	rn_conn *c, *s;

	mkdir_tmp();
	path_in_tmp(path, sizeof path, "echo.sock");
	trio("unix", path, &l, &c, &s);
	ck_assert(exists(path));
	assert_addr(rn_listener_addr(l), path, "unix");
	/* The dialing end is unnamed: "@" as Go 1.19 shows it. */
	assert_addr(rn_conn_local_addr(c), "@", "unix");
	assert_addr(rn_conn_remote_addr(c), path, "unix");
	/* Accept: the local address is the listener's path. */
	assert_addr(rn_conn_local_addr(s), path, "unix");
	assert_addr(rn_conn_remote_addr(s), "@", "unix");
	echo(c, s);

	/* CloseWrite: the peer reads end of stream, and can still write back. */
	ck_assert_int_eq(rn_unixconn_close_write(c), 0);
	ck_assert_int_eq(rn_conn_read(s, buf, sizeof buf), 0);
	ck_assert_int_eq(rn_conn_write(s, "z", 1), 1);
	ck_assert_int_eq(rn_conn_read(c, buf, sizeof buf), 1);
	ck_assert_int_eq(rn_unixconn_close_read(s), 0);

	rn_conn_free(c);
	rn_conn_free(s);
	ck_assert_int_eq(rn_listener_close(l), 0);
	ck_assert(!exists(path));
	rn_listener_free(l);
	rmdir_tmp();
}
END_TEST

START_TEST(test_stream_abstract_echo)
{
	char name[108];
	rn_listener *l;
	rn_conn *c, *s;

	abstract_name(name, sizeof name, "echo");
	trio("unix", name, &l, &c, &s);
	assert_addr(rn_listener_addr(l), name, "unix");
	assert_addr(rn_conn_remote_addr(c), name, "unix");
	assert_addr(rn_conn_local_addr(s), name, "unix");
	echo(c, s);
	rn_conn_free(c);
	rn_conn_free(s);
	rn_listener_free(l);

	/* The name is free again once the listener is gone. */
	l = rn_listen("unix", name);
	ck_assert_msg(l != NULL, "%s", last_error());
	rn_listener_free(l);
}
END_TEST

START_TEST(test_listen_empty_autobinds)
{
	char buf[RN_ADDR_STRLEN];
	rn_listener *l = rn_listen("unix", "");
	rn_conn *c, *s;
	rn_addr la;

	ck_assert_msg(l != NULL, "%s", last_error());
	la = rn_listener_addr(l);
	ck_assert_int_eq(la.kind, RN_ADDR_UNIX);
	addr_str(la, buf, sizeof buf);
	/* Linux autobind: an abstract name of five hex digits. */
	ck_assert_msg(buf[0] == '@' && strlen(buf) == 6, "autobound name %s", buf);
	c = rn_dial("unix", buf);
	ck_assert_msg(c != NULL, "%s", last_error());
	s = rn_listener_accept(l);
	ck_assert_ptr_nonnull(s);
	echo(c, s);
	rn_conn_free(c);
	rn_conn_free(s);
	rn_listener_free(l);
}
END_TEST

START_TEST(test_unixpacket_boundaries)
{
	static const char *msgs[] = { "one", "two2", "three33", "" };
	char path[128], buf[64];
	rn_listener *l;
	rn_conn *c, *s;

	mkdir_tmp();
	path_in_tmp(path, sizeof path, "packet.sock");
	trio("unixpacket", path, &l, &c, &s);
	assert_addr(rn_listener_addr(l), path, "unixpacket");
	assert_addr(rn_conn_remote_addr(c), path, "unixpacket");
	assert_addr(rn_conn_local_addr(s), path, "unixpacket");
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rn_conn_write(c, msgs[i], strlen(msgs[i])), (int)strlen(msgs[i]));
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(rn_conn_read(s, buf, sizeof buf), (int)strlen(msgs[i]));
		ck_assert_int_eq(memcmp(buf, msgs[i], strlen(msgs[i])), 0);
	}
	/* A message longer than the buffer is cut, the rest dropped. */
	ck_assert_int_eq(rn_conn_write(c, "abcdefgh", 8), 8);
	ck_assert_int_eq(rn_conn_write(c, "next", 4), 4);
	ck_assert_int_eq(rn_conn_read(s, buf, 3), 3);
	ck_assert_int_eq(rn_conn_read(s, buf, sizeof buf), 4);
	ck_assert_int_eq(memcmp(buf, "next", 4), 0);
	rn_conn_free(c);
	rn_conn_free(s);
	rn_listener_free(l); /* free without Close unlinks too */
	ck_assert(!exists(path));
	rmdir_tmp();
}
END_TEST

/* ---- unixgram -------------------------------------------------------------------- */

START_TEST(test_unixgram_read_from_write_to)
{
	char pa[128], pb[128], buf[64], want[512];
	rn_unixaddr ua, ub, from;
	rn_addr to, gfrom;
	rn_conn *a, *b, *d;

	mkdir_tmp();
	path_in_tmp(pa, sizeof pa, "a.sock");
	path_in_tmp(pb, sizeof pb, "b.sock");
	a = rn_listen_packet("unixgram", pa);
	ck_assert_msg(a != NULL, "%s", last_error());
	b = rn_listen_packet("unixgram", pb);
	ck_assert_msg(b != NULL, "%s", last_error());
	assert_addr(rn_conn_local_addr(a), pa, "unixgram");
	ck_assert_int_eq(rn_conn_remote_addr(a).kind, RN_ADDR_NONE);
	ck_assert_int_eq(rn_resolve_unix_addr("unixgram", pa, &ua), 0);
	ck_assert_int_eq(rn_resolve_unix_addr("unixgram", pb, &ub), 0);

	/* WriteToUnix / ReadFromUnix: the sender's name comes back. */
	ck_assert_int_eq(rn_unixconn_write_to_unix(a, "ping", 4, &ub), 4);
	ck_assert_int_eq(rn_unixconn_read_from_unix(b, buf, sizeof buf, &from), 4);
	ck_assert_int_eq(memcmp(buf, "ping", 4), 0);
	ck_assert_str_eq(from.name, pa);
	ck_assert_str_eq(from.net, "unixgram");

	/* The PacketConn forms. */
	to = rn_addr_from_unix(&ua);
	ck_assert_int_eq(rn_conn_write_to(b, "pong!", 5, &to), 5);
	ck_assert_int_eq(rn_conn_read_from(a, buf, sizeof buf, &gfrom), 5);
	assert_addr(gfrom, pb, "unixgram");

	/* Datagram boundaries, and a datagram cut to the buffer. */
	ck_assert_int_eq(rn_unixconn_write_to_unix(a, "123456", 6, &ub), 6);
	ck_assert_int_eq(rn_unixconn_write_to_unix(a, "xy", 2, &ub), 2);
	ck_assert_int_eq(rn_conn_read_from(b, buf, 2, NULL), 2);
	ck_assert_int_eq(rn_conn_read_from(b, buf, sizeof buf, NULL), 2);
	ck_assert_int_eq(memcmp(buf, "xy", 2), 0);

	/* An unnamed sender: Go's nil address. */
	d = rn_dial("unixgram", pb);
	ck_assert_msg(d != NULL, "%s", last_error());
	assert_addr(rn_conn_remote_addr(d), pb, "unixgram");
	ck_assert_int_eq(rn_conn_write(d, "anon", 4), 4);
	ck_assert_int_eq(rn_conn_read_from(b, buf, sizeof buf, &gfrom), 4);
	ck_assert_int_eq(gfrom.kind, RN_ADDR_NONE);

	/* Errors, with Go's text. */
	ck_assert_int_eq(rn_unixconn_write_to_unix(d, "x", 1, &ua), RN_EWRITETOCONNECTED);
	snprintf(want, sizeof want, "write unixgram @->%s: use of WriteTo with pre-connected connection", pa);
	assert_error(want);
	ck_assert_int_eq(rn_unixconn_write_to_unix(a, "x", 1, NULL), RN_EMISSINGADDR);
	snprintf(want, sizeof want, "write unixgram %s: missing address", pa);
	assert_error(want);
	ck_assert_int_eq(rn_resolve_unix_addr("unix", pb, &ub), 0); /* wrong Net */
	ck_assert_int_eq(rn_unixconn_write_to_unix(a, "x", 1, &ub), -EAFNOSUPPORT);
	snprintf(want, sizeof want, "write unixgram %s->%s: address family not supported by protocol",
		 pa, pb);
	assert_error(want);
	ck_assert_int_eq(rn_conn_write_to(a, "x", 1, NULL), -EINVAL);
	snprintf(want, sizeof want, "write unixgram %s: invalid argument", pa);
	assert_error(want);

	rn_conn_free(d);
	rn_conn_free(a);
	rn_conn_free(b);
	/* Go unlinks only a listener's file: these stay. */
	ck_assert(exists(pa) && exists(pb));
	unlink(pa);
	unlink(pb);
	rmdir_tmp();
}
END_TEST

/* ---- unlink on close ------------------------------------------------------------- */

START_TEST(test_unlink_on_close)
{
	char path[128], want[512];
	rn_listener *l;

	mkdir_tmp();
	path_in_tmp(path, sizeof path, "u.sock");
	l = rn_listen("unix", path);
	ck_assert_ptr_nonnull(l);
	ck_assert(exists(path));
	ck_assert_int_eq(rn_listener_close(l), 0);
	ck_assert(!exists(path));
	ck_assert_int_eq(rn_listener_close(l), RN_ECLOSED);
	snprintf(want, sizeof want, "close unix %s: use of closed network connection", path);
	assert_error(want);
	rn_listener_free(l);

	/* SetUnlinkOnClose(false): the file stays, and a new Listen finds it. */
	l = rn_listen("unix", path);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(rn_unixlistener_set_unlink_on_close(l, false), 0);
	rn_listener_free(l);
	ck_assert(exists(path));
	ck_assert_ptr_null(rn_listen("unix", path));
	ck_assert_int_eq(rn_last_error()->code, -EADDRINUSE);
	snprintf(want, sizeof want, "listen unix %s: bind: address already in use", path);
	assert_error(want);
	unlink(path);

	/* Not a Unix listener. */
	l = rn_listen("tcp", "127.0.0.1:0");
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(rn_unixlistener_set_unlink_on_close(l, true), -EINVAL);
	rn_listener_free(l);
	rmdir_tmp();
}
END_TEST

/* ---- SCM_RIGHTS -------------------------------------------------------------------- */

START_TEST(test_scm_rights_pipe)
{
	char path[128], buf[16];
	unsigned char oob[RN_UNIX_RIGHTS_SPACE(1)], roob[RN_UNIX_RIGHTS_SPACE(4)];
	int p[2], fds[4], got, flags = -1;
	size_t oobn = 0;
	rn_unixaddr from;
	rn_listener *l;
	rn_conn *c, *s;

	mkdir_tmp();
	path_in_tmp(path, sizeof path, "rights.sock");
	trio("unix", path, &l, &c, &s);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);

	/* The helper: the size, snprintf-style. */
	ck_assert_int_eq(rn_unix_rights(p, 1, NULL, 0), (int)sizeof oob);
	ck_assert_int_eq(rn_unix_rights(p, 1, oob, sizeof oob), (int)sizeof oob);

	ck_assert_int_eq(rn_unixconn_write_msg_unix(c, "f", 1, oob, sizeof oob, NULL), 1);
	close(p[0]); /* the message holds its own reference */
	ck_assert_int_eq(rn_unixconn_read_msg_unix(s, buf, sizeof buf, roob, sizeof roob, &oobn,
						   &flags, &from),
			 1);
	ck_assert_int_eq(buf[0], 'f');
	ck_assert_int_gt(oobn, 0);
	ck_assert_int_eq(flags & MSG_CTRUNC, 0);
	ck_assert_str_eq(from.name, ""); /* a connected stream: no sender */
	got = rn_unix_parse_rights(roob, oobn, fds, 4);
	ck_assert_int_eq(got, 1);
	/* Received close-on-exec, as Go's MSG_CMSG_CLOEXEC. */
	ck_assert(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(write(p[1], "through", 7), 7);
	ck_assert_int_eq(read(fds[0], buf, sizeof buf), 7);
	ck_assert_int_eq(memcmp(buf, "through", 7), 0);
	close(fds[0]);

	/* Control data alone on a stream: one dummy byte carries it (Go's SendmsgN). */
	ck_assert_int_eq(rn_unix_rights(&p[1], 1, oob, sizeof oob), (int)sizeof oob);
	ck_assert_int_eq(rn_unixconn_write_msg_unix(c, NULL, 0, oob, sizeof oob, NULL), 0);
	close(p[1]);
	ck_assert_int_eq(rn_unixconn_read_msg_unix(s, NULL, 0, roob, sizeof roob, &oobn, NULL, NULL),
			 1);
	ck_assert_int_eq(rn_unix_parse_rights(roob, oobn, fds, 0), 1); /* count only */
	ck_assert_int_eq(rn_unix_parse_rights(roob, oobn, fds, 4), 1);
	ck_assert_int_eq(fcntl(fds[0], F_GETFL) & O_ACCMODE, O_WRONLY); /* the write end */
	close(fds[0]);

	/* A malformed header. */
	memset(roob, 0xff, sizeof roob);
	ck_assert_int_eq(rn_unix_parse_rights(roob, sizeof roob, fds, 4), -EINVAL);

	rn_conn_free(c);
	rn_conn_free(s);
	rn_listener_free(l);
	rmdir_tmp();
}
END_TEST

/* ---- Close from another thread, deadlines --------------------------------------------- */

struct blocked {
	rn_listener *l;
	rn_conn *c;
	atomic_int started;
	atomic_long res;
	char err[512];
};

static void *accept_thread(void *arg)
{
	struct blocked *b = arg;
	rn_conn *c;

	atomic_store(&b->started, 1);
	c = rn_listener_accept(b->l);
	if (c) {
		atomic_store(&b->res, 1);
		rn_conn_free(c);
	} else {
		rn_error_string(rn_last_error(), b->err, sizeof b->err);
		atomic_store(&b->res, rn_last_error()->code);
	}
	return NULL;
}

static void *read_thread(void *arg)
{
	struct blocked *b = arg;
	char buf[16];
	ssize_t n;

	atomic_store(&b->started, 1);
	n = rn_conn_read(b->c, buf, sizeof buf);
	if (n < 0)
		rn_error_string(rn_last_error(), b->err, sizeof b->err);
	atomic_store(&b->res, (long)n);
	return NULL;
}

START_TEST(test_close_unblocks_accept_and_read)
{
	char path[128], want[512];
	struct blocked b = { 0 };
	pthread_t t;
	rn_listener *l;
	rn_conn *c, *s;

	mkdir_tmp();
	path_in_tmp(path, sizeof path, "close.sock");
	l = rn_listen("unix", path);
	ck_assert_ptr_nonnull(l);
	b.l = l;
	atomic_init(&b.res, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, accept_thread, &b), 0);
	while (!atomic_load(&b.started))
		sleep_ms(1);
	sleep_ms(50);
	ck_assert_int_eq(rn_listener_close(l), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(atomic_load(&b.res), RN_ECLOSED);
	snprintf(want, sizeof want, "accept unix %s: use of closed network connection", path);
	ck_assert_str_eq(b.err, want);
	ck_assert(!exists(path));
	rn_listener_free(l);

	/* A Read blocked on another thread. */
	trio("unix", path, &l, &c, &s);
	memset(&b, 0, sizeof b);
	b.c = s;
	ck_assert_int_eq(pthread_create(&t, NULL, read_thread, &b), 0);
	while (!atomic_load(&b.started))
		sleep_ms(1);
	sleep_ms(50);
	ck_assert_int_eq(rn_conn_close(s), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(atomic_load(&b.res), RN_ECLOSED);
	snprintf(want, sizeof want, "read unix %s->@: use of closed network connection", path);
	ck_assert_str_eq(b.err, want);
	rn_conn_free(c);
	rn_conn_free(s);
	rn_listener_free(l);
	rmdir_tmp();
}
END_TEST

START_TEST(test_read_deadline)
{
	char path[128], want[512], buf[8];
	rn_listener *l;
	rn_conn *c, *s;
	rn_time t0;

	mkdir_tmp();
	path_in_tmp(path, sizeof path, "deadline.sock");
	trio("unix", path, &l, &c, &s);
	t0 = rn_now();
	ck_assert_int_eq(rn_conn_set_read_deadline(c, rn_time_add(t0, 50 * RN_MILLISECOND)), 0);
	ck_assert_int_eq(rn_conn_read(c, buf, sizeof buf), RN_ETIMEOUT);
	ck_assert_int_ge(rn_now() - t0, 45 * RN_MILLISECOND);
	ck_assert(rn_error_timeout(rn_last_error()));
	snprintf(want, sizeof want, "read unix @->%s: i/o timeout", path);
	assert_error(want);
	/* Cleared: data flows again. */
	ck_assert_int_eq(rn_conn_set_read_deadline(c, 0), 0);
	ck_assert_int_eq(rn_conn_write(s, "ok", 2), 2);
	ck_assert_int_eq(rn_conn_read(c, buf, sizeof buf), 2);

	/* Accept and ReadFromUnix honour deadlines too. */
	ck_assert_int_eq(rn_listener_set_deadline(l, rn_time_add(rn_now(), 20 * RN_MILLISECOND)), 0);
	ck_assert_ptr_null(rn_listener_accept(l));
	ck_assert_int_eq(rn_last_error()->code, RN_ETIMEOUT);
	snprintf(want, sizeof want, "accept unix %s: i/o timeout", path);
	assert_error(want);
	rn_conn_free(c);
	rn_conn_free(s);
	rn_listener_free(l);
	rmdir_tmp();
}
END_TEST

/* ---- errors ------------------------------------------------------------------------- */

START_TEST(test_error_texts)
{
	char path[256], want[1024];
	rn_conn *c;

	mkdir_tmp();
	path_in_tmp(path, sizeof path, "nope.sock");
	ck_assert_ptr_null(rn_dial("unix", path));
	ck_assert_int_eq(rn_last_error()->code, -ENOENT);
	snprintf(want, sizeof want, "dial unix %s: connect: no such file or directory", path);
	assert_error(want);

	/* Connecting to a file that is no socket. */
	{
		int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

		ck_assert_int_ge(fd, 0);
		close(fd);
	}
	ck_assert_ptr_null(rn_dial("unix", path));
	snprintf(want, sizeof want, "dial unix %s: connect: connection refused", path);
	assert_error(want);
	/* Listen on an existing path. */
	ck_assert_ptr_null(rn_listen("unix", path));
	snprintf(want, sizeof want, "listen unix %s: bind: address already in use", path);
	assert_error(want);
	ck_assert_ptr_null(rn_listen_packet("unixgram", path));
	snprintf(want, sizeof want, "listen unixgram %s: bind: address already in use", path);
	assert_error(want);
	unlink(path);

	/* A name that fills sun_path (108 bytes, no room for the NUL). */
	memset(path, 'x', 108);
	path[0] = '/';
	path[108] = '\0';
	ck_assert_ptr_null(rn_listen("unix", path));
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	snprintf(want, sizeof want, "listen unix %s: bind: invalid argument", path);
	assert_error(want);
	ck_assert_ptr_null(rn_dial("unix", path));
	snprintf(want, sizeof want, "dial unix %s: connect: invalid argument", path);
	assert_error(want);
	/* Longer still: refused before any socket. */
	memset(path, 'y', 200);
	path[200] = '\0';
	ck_assert_ptr_null(rn_dial("unix", path));
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);

	/* A stream network's conn is no datagram socket and vice versa. */
	path_in_tmp(path, sizeof path, "s.sock");
	{
		rn_listener *l = rn_listen("unix", path);
		rn_conn *s;
		char buf[4];

		ck_assert_ptr_nonnull(l);
		ck_assert_ptr_null(rn_dial("unixgram", path));
		snprintf(want, sizeof want, "dial unixgram %s: connect: protocol wrong type for socket",
			 path);
		assert_error(want);
		c = rn_dial("unix", path);
		ck_assert_ptr_nonnull(c);
		s = rn_listener_accept(l);
		ck_assert_ptr_nonnull(s);
		/* Not a Unix conn / listener for the Unix-only calls. */
		ck_assert_int_eq(rn_udpconn_read_from_udp(c, buf, sizeof buf, NULL), -EINVAL);
		rn_conn_free(s);
		ck_assert_int_eq(rn_conn_close(c), 0);
		ck_assert_int_eq(rn_unixconn_close_write(c), RN_ECLOSED);
		snprintf(want, sizeof want, "close unix @->%s: use of closed network connection", path);
		assert_error(want);
		rn_conn_free(c);
		rn_listener_free(l);
	}
	rmdir_tmp();
}
END_TEST

/* Many conns through one listener, each served on its own thread. */
struct served {
	rn_conn *s;
	atomic_int ok;
};

static void *serve(void *arg)
{
	struct served *sv = arg;
	char buf[32];
	ssize_t n;

	while ((n = rn_conn_read(sv->s, buf, sizeof buf)) > 0)
		if (rn_conn_write(sv->s, buf, (size_t)n) != n)
			return NULL;
	atomic_store(&sv->ok, n == 0);
	return NULL;
}

START_TEST(test_concurrent_echo)
{
	enum { N = 8 };
	char name[108];
	struct served sv[N];
	pthread_t t[N];
	rn_conn *c[N];
	rn_listener *l;

	abstract_name(name, sizeof name, "concurrent");
	l = rn_listen("unix", name);
	ck_assert_ptr_nonnull(l);
	for (int i = 0; i < N; i++) {
		c[i] = rn_dial("unix", name);
		ck_assert_ptr_nonnull(c[i]);
		sv[i].s = rn_listener_accept(l);
		ck_assert_ptr_nonnull(sv[i].s);
		atomic_init(&sv[i].ok, 0);
		ck_assert_int_eq(pthread_create(&t[i], NULL, serve, &sv[i]), 0);
	}
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < N; i++) {
			char msg[16], buf[16];
			int len = snprintf(msg, sizeof msg, "m%d-%d", i, round);

			ck_assert_int_eq(rn_conn_write(c[i], msg, (size_t)len), len);
			ck_assert_int_eq(rn_conn_read(c[i], buf, sizeof buf), len);
			ck_assert_int_eq(memcmp(buf, msg, (size_t)len), 0);
		}
	}
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(rn_unixconn_close_write(c[i]), 0);
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(atomic_load(&sv[i].ok), 1);
		rn_conn_free(sv[i].s);
		rn_conn_free(c[i]);
	}
	rn_listener_free(l);
}
END_TEST

static Suite *unix_suite(void)
{
	Suite *s = suite_create("unix");
	TCase *tc;

	tc = tu_engine_tcase("stream");
	tcase_add_test(tc, test_stream_path_echo);
	tcase_add_test(tc, test_stream_abstract_echo);
	tcase_add_test(tc, test_listen_empty_autobinds);
	tcase_add_test(tc, test_unixpacket_boundaries);
	tcase_add_test(tc, test_concurrent_echo);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("unixgram");
	tcase_add_test(tc, test_unixgram_read_from_write_to);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("listener");
	tcase_add_test(tc, test_unlink_on_close);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("rights");
	tcase_add_test(tc, test_scm_rights_pipe);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("threads");
	tcase_add_test(tc, test_close_unblocks_accept_and_read);
	tcase_add_test(tc, test_read_deadline);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("errors");
	tcase_add_test(tc, test_error_texts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(unix_suite());
}
