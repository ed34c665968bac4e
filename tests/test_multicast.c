/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_multicast.c - ListenMulticastUDP and ListenPacket on a group
 * address, inside a network namespace of the test's own (the machine's lo
 * has no MULTICAST flag, and nothing may leave the host).  Needs
 * CAP_SYS_ADMIN for unshare(CLONE_NEWNET); skipped with a reason otherwise.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

/* In a fresh namespace: lo up, with multicast.  Returns lo's index or -errno. */
static int namespace_with_lo(void)
{
	struct ifreq ifr;
	int s;

	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_MULTICAST;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	close(s);
	return (int)if_nametoindex("lo");
fail:
	s = -errno;
	return s;
}

/* Send @msg to @group:@port out of interface @ifindex (loopback on). */
static int send_group(const char *group, int port, int ifindex, const char *msg)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct ip_mreqn mreq = { .imr_ifindex = ifindex };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	inet_pton(AF_INET, group, &to.sin_addr);
	setsockopt(s, IPPROTO_IP, IP_MULTICAST_IF, &mreq, sizeof(mreq));
	rc = (int)sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&to, sizeof(to));
	close(s);
	return rc;
}

/* The child's checks; exit status 0 = all good, 77 = skipped. */
static int child(void)
{
	rn_interface lo;
	rn_udpaddr g;
	rn_conn *c, *c2;
	rn_addr from, la;
	char buf[64] = { 0 }, s[RN_ADDR_STRLEN], e[256];
	int idx = namespace_with_lo(), port;

	if (idx < 0) {
		printf("test_multicast: skipped: network namespace: %s\n", rn_strerror(idx));
		return 77;
	}
	memset(&lo, 0, sizeof(lo));
	lo.index = idx;
	snprintf(lo.name, sizeof(lo.name), "lo");
	if (rn_resolve_udp_addr("udp4", "224.0.0.251:0", &g) != 0)
		return 1;
	/* Port 0 cannot be joined meaningfully; take a free one first. */
	c = rn_listen_packet("udp4", "127.0.0.1:0");
	la = rn_conn_local_addr(c);
	port = la.u.udp.port;
	rn_conn_free(c);
	g.port = port;

	c = rn_listen_multicast_udp("udp4", &lo, &g);
	if (!c) {
		rn_error_string(NULL, e, sizeof(e));
		fprintf(stderr, "ListenMulticastUDP: %s\n", e);
		return 2;
	}
	/* Go binds the wildcard with a reusable port. */
	la = rn_conn_local_addr(c);
	rn_addr_string(&la, s, sizeof(s));
	snprintf(e, sizeof(e), "0.0.0.0:%d", port);
	if (strcmp(s, e)) {
		fprintf(stderr, "local address %s, want %s\n", s, e);
		return 3;
	}
	/* A second listener on the same group and port is allowed (SO_REUSEADDR). */
	c2 = rn_listen_multicast_udp("udp4", &lo, &g);
	if (!c2)
		return 4;
	if (send_group("224.0.0.251", port, idx, "hello group") != 11)
		return 5;
	rn_conn_set_read_deadline(c, rn_now() + 2 * RN_SECOND);
	if (rn_conn_read_from(c, buf, sizeof(buf), &from) != 11 || strcmp(buf, "hello group"))
		return 6;
	memset(buf, 0, sizeof(buf));
	rn_conn_set_read_deadline(c2, rn_now() + 2 * RN_SECOND);
	if (rn_conn_read_from(c2, buf, sizeof(buf), &from) != 11 || strcmp(buf, "hello group"))
		return 7;
	rn_conn_free(c2);
	rn_conn_free(c);

	/* Errors, in Go's words. */
	if (rn_listen_multicast_udp("tcp", &lo, &g) || rn_last_error()->code != RN_EUNKNOWNNET)
		return 8;
	rn_error_string(NULL, e, sizeof(e));
	snprintf(s, sizeof(s), "listen tcp 224.0.0.251:%d: unknown network tcp", port);
	if (strcmp(e, s)) {
		fprintf(stderr, "got \"%s\", want \"%s\"\n", e, s);
		return 9;
	}
	g.ip.len = 0;
	if (rn_listen_multicast_udp("udp", NULL, &g) || rn_last_error()->code != RN_EMISSINGADDR)
		return 10;
	rn_error_string(NULL, e, sizeof(e));
	snprintf(s, sizeof(s), "listen udp :%d: missing address", port);
	if (strcmp(e, s)) {
		fprintf(stderr, "got \"%s\", want \"%s\"\n", e, s);
		return 11;
	}
	return 0;
}

START_TEST(test_listen_multicast_udp_in_a_namespace)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fflush(stdout);
		_exit(child());
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		return;
	ck_assert_msg(WEXITSTATUS(status) == 0, "child check %d failed", WEXITSTATUS(status));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("multicast");
	TCase *tc = tu_tcase("multicast");

	tcase_add_test(tc, test_listen_multicast_udp_in_a_namespace);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
