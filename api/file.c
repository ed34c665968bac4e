/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/file.c - FileConn, FileListener and FilePacketConn: adopting a
 * duplicate of an existing socket, as Go's file_unix.go does.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/conn.h"
#include "api/errors.h"

/* Go's newFileFD: duplicate, learn family and type, name the network. */
static int adopt(int fd, int *family, int *sotype, const char **net)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss), ol = sizeof(*sotype);
	int s = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (s < 0)
		return rni_err_errno(errno, "fcntl");
	if (getsockopt(s, SOL_SOCKET, SO_TYPE, sotype, &ol) < 0 ||
	    getsockname(s, (struct sockaddr *)&ss, &len) < 0) {
		int err = errno;
		close(s);
		return rni_err_errno(err, "getsockopt");
	}
	*family = ss.ss_family;
	switch (*family) {
	case AF_INET:
	case AF_INET6:
		*net = *sotype == SOCK_STREAM ? "tcp" : *sotype == SOCK_DGRAM ? "udp" : "ip";
		break;
	case AF_UNIX:
		*net = *sotype == SOCK_STREAM ? "unix" : *sotype == SOCK_DGRAM ? "unixgram" : "unixpacket";
		break;
	default:
		close(s);
		return rni_err_errno(EPROTONOSUPPORT, NULL);
	}
	return s;
}

static int fail(void)
{
	return rni_err_op("file", "file+net", NULL, NULL);
}

static rn_conn *file_conn(int fd, bool packet)
{
	int family, sotype, s;
	const char *net;
	rn_conn *c;

	s = adopt(fd, &family, &sotype, &net);
	if (s < 0) {
		fail();
		return NULL;
	}
	/* Go: FilePacketConn takes UDP, IP and Unix; FileConn stream ones too. */
	if (packet && sotype == SOCK_STREAM) {
		close(s);
		rni_err_errno(EINVAL, NULL);
		fail();
		return NULL;
	}
	c = rni_conn_new(s, family, sotype, net);
	if (!c) {
		fail();
		return NULL;
	}
	rni_sock_addrs(&c->fd, true);
	return c;
}

rn_conn *rn_file_conn(int fd)
{
	return file_conn(fd, false);
}

rn_conn *rn_file_packet_conn(int fd)
{
	return file_conn(fd, true);
}

rn_listener *rn_file_listener(int fd)
{
	int family, sotype, s;
	const char *net;
	rn_listener *l;

	s = adopt(fd, &family, &sotype, &net);
	if (s < 0) {
		fail();
		return NULL;
	}
	if (sotype == SOCK_DGRAM) {
		close(s);
		rni_err_errno(EINVAL, NULL);
		fail();
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(s);
		rni_err_errno(ENOMEM, NULL);
		fail();
		return NULL;
	}
	rni_fd_init(&l->fd, s, family, sotype, net);
	l->keep_alive = 0; /* Go: accepted conns get the default keep-alive */
	rni_sock_addrs(&l->fd, false);
	return l;
}
