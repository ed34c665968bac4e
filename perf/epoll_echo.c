/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * epoll_echo - the baseline for ringnet's echo benchmark: a plain,
 * single-threaded, level-triggered epoll TCP echo server.
 *
 *   epoll_echo ADDRESS
 *
 * ADDRESS is HOST:PORT ("127.0.0.1:0", "[::1]:7000", ":7000").  Once the
 * listener is up it prints "listening on ADDR" (with the port the kernel
 * chose for port 0) and echoes every connection back to its sender.
 *
 * The design is the usual one for a competent C epoll server:
 *   - nonblocking sockets, accept4() until EAGAIN, TCP_NODELAY on every conn
 *     (as Go, and so ringnet, set it);
 *   - level-triggered EPOLLIN: one read() per readiness event (the kernel
 *     reports the conn again if more is left), then write() straight away;
 *   - a partial write keeps the rest in the conn's buffer and switches the
 *     conn's interest to EPOLLOUT until it is written, so one slow reader
 *     never blocks the loop and a conn never reads more than it can hold.
 * The read buffer is 32 KiB per conn (ringnet-echo reads into its thread's
 * shared buffer ring instead).
 *
 * SIGINT and SIGTERM end the loop (epoll_pwait() is the only place they are
 * unblocked, so none is lost); the program closes everything and exits 0.
 * Exit status: 0 after a signal, 1 on a set-up error, 2 for a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (32 * 1024)
#define MAX_EVENTS 256

static const char *prog = "epoll_echo";

struct conn {
	int fd;
	size_t off, len; /* bytes of buf still to write back */
	struct conn *prev, *next;
	char buf[BUF_SIZE];
};

static struct conn *conns; /* every open conn, to free them at exit */
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Split "HOST:PORT", "[HOST]:PORT" or ":PORT" in place. */
static int split_host_port(char *s, char **host, char **port)
{
	char *colon = strrchr(s, ':');

	if (!colon)
		return -1;
	*colon = '\0';
	*port = colon + 1;
	if (s[0] == '[') {
		size_t n = strlen(s);

		if (n < 2 || s[n - 1] != ']')
			return -1;
		s[n - 1] = '\0';
		s++;
	}
	*host = s[0] ? s : NULL;
	return 0;
}

static int listen_on(const char *address)
{
	struct addrinfo hints, *res, *ai;
	char *copy = strdup(address), *host, *port;
	int fd = -1, rc, one = 1;

	if (!copy || split_host_port(copy, &host, &port) < 0) {
		fprintf(stderr, "%s: address %s: missing port in address\n", prog, address);
		free(copy);
		return -1;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, address, gai_strerror(rc));
		free(copy);
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		fprintf(stderr, "%s: listen %s: %s\n", prog, address, strerror(errno));
	freeaddrinfo(res);
	free(copy);
	return fd;
}

static void print_addr(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		perror("getsockname");
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
		printf("listening on [%s]:%u\n", host, port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		port = ntohs(s4->sin_port);
		printf("listening on %s:%u\n", host, port);
	}
	fflush(stdout);
}

static void conn_close(struct conn *c)
{
	close(c->fd); /* also removes it from the epoll set */
	if (c->prev)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static int set_interest(int ep, struct conn *c, unsigned events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what is pending.  Returns 1 when all is out, 0 when the socket is full, -1 on error. */
static int flush_pending(struct conn *c)
{
	while (c->len > 0) {
		ssize_t w = write(c->fd, c->buf + c->off, c->len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->off += (size_t)w;
		c->len -= (size_t)w;
	}
	c->off = 0;
	return 1;
}

static void accept_all(int ep, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int one = 1;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fprintf(stderr, "%s: accept: %s\n", prog, strerror(errno));
			return; /* EAGAIN, or EMFILE and the like: try at the next event */
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

		struct conn *c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->off = c->len = 0;
		c->prev = NULL;
		c->next = conns;

		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = c};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			fprintf(stderr, "%s: epoll_ctl: %s\n", prog, strerror(errno));
			close(fd);
			free(c);
			continue;
		}
		if (conns)
			conns->prev = c;
		conns = c;
	}
}

static void on_conn_event(int ep, struct conn *c, unsigned events)
{
	if (c->len > 0) {
		/* Waiting for EPOLLOUT to finish a partial write. */
		int rc = flush_pending(c);

		if (rc < 0) {
			conn_close(c);
		} else if (rc == 1 && set_interest(ep, c, EPOLLIN | EPOLLRDHUP) < 0) {
			conn_close(c);
		}
		return;
	}
	if (!(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;

	ssize_t n = read(c->fd, c->buf, BUF_SIZE);
	if (n == 0) {
		conn_close(c); /* the peer is done */
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			conn_close(c);
		return;
	}
	c->off = 0;
	c->len = (size_t)n;
	int rc = flush_pending(c);
	if (rc < 0)
		conn_close(c);
	else if (rc == 0 && set_interest(ep, c, EPOLLOUT) < 0)
		conn_close(c);
}

int main(int argc, char **argv)
{
	struct epoll_event events[MAX_EVENTS];
	struct sigaction sa;
	sigset_t block, waitmask;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s ADDRESS   (for example 127.0.0.1:0)\n", prog);
		return 2;
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask); /* waitmask: the old mask, for epoll_pwait */
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);

	int lfd = listen_on(argv[1]);
	if (lfd < 0)
		return 1;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		fprintf(stderr, "%s: epoll_create1: %s\n", prog, strerror(errno));
		return 1;
	}
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) {
		fprintf(stderr, "%s: epoll_ctl: %s\n", prog, strerror(errno));
		return 1;
	}
	print_addr(lfd);

	while (!stop) {
		int n = epoll_pwait(ep, events, MAX_EVENTS, -1, &waitmask);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s: epoll_wait: %s\n", prog, strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			if (events[i].data.ptr == NULL)
				accept_all(ep, lfd);
			else
				on_conn_event(ep, events[i].data.ptr, events[i].events);
		}
	}

	while (conns)
		conn_close(conns);
	close(lfd);
	close(ep);
	return 0;
}
