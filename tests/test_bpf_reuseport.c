/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_bpf_reuseport.c - steering SO_REUSEPORT groups by CPU against
 * the real kernel: UDP datagrams and TCP connections sent from a thread
 * pinned to CPU k land on member k % 2, through the eBPF program and
 * through the classic one; the eBPF program outlives its descriptors and
 * goes with the group; the classic fallback is reported when eBPF is not
 * permitted (a child without CAP_BPF/CAP_SYS_ADMIN); eBPF socket filters
 * drop what they drop and a refused one carries the verifier's reason.
 *
 * Needs root (bpf(), capabilities) and, for steering, two CPUs of different
 * parity in the affinity mask; otherwise the tests say why and skip.  Only
 * 127.0.0.1 is used.  Senders are plain sockets: the CPU a packet is sent
 * on is the one loopback processes it on, which is what is steered.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_* */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/capability.h>

#include <ringnet/bpf.h>
#include <ringnet/engine.h>

#include "testutil.h"

#define PER_SENDER 50
#define CONNS_PER_CLIENT 10

static const char *last_error(void)
{
	static char buf[2048];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

static bool not_root(const char *what)
{
	if (geteuid() == 0)
		return false;
	printf("test_bpf_reuseport: not root, skipping %s\n", what);
	return true;
}

/* Two CPUs of our affinity mask, cpu[i] % 2 == i, so CPU cpu[i] steers to member i. */
static bool two_cpus(int cpu[2], const char *what)
{
	cpu_set_t set;

	cpu[0] = cpu[1] = -1;
	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		for (int i = 0; i < CPU_SETSIZE; i++) {
			if (CPU_ISSET(i, &set) && cpu[i % 2] < 0)
				cpu[i % 2] = i;
		}
	}
	if (cpu[0] >= 0 && cpu[1] >= 0)
		return true;
	printf("test_bpf_reuseport: fewer than 2 usable CPUs, skipping %s\n", what);
	return false;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(set), &set), 0);
	ck_assert_int_eq(sched_getcpu(), cpu);
}

static const char *astr(rn_addr a, char buf[RN_ADDR_STRLEN])
{
	rn_addr_string(&a, buf, RN_ADDR_STRLEN);
	return buf;
}

static struct sockaddr_in sin_of(rn_addr a)
{
	char text[RN_ADDR_STRLEN], *colon;
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	astr(a, text);
	colon = strrchr(text, ':');
	ck_assert_ptr_nonnull(colon);
	*colon = '\0';
	ck_assert_int_eq(inet_pton(AF_INET, text, &sin.sin_addr), 1);
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	return sin;
}

/* ---- groups ------------------------------------------------------------------------- */

static void udp_group(rn_conn *m[2])
{
	rn_listen_config lc = { .reuse_port = true };
	char addr[RN_ADDR_STRLEN];

	m[0] = rn_listen_config_listen_packet(&lc, NULL, "udp4", "127.0.0.1:0");
	ck_assert_msg(m[0] != NULL, "listen: %s", last_error());
	astr(rn_conn_local_addr(m[0]), addr);
	m[1] = rn_listen_config_listen_packet(&lc, NULL, "udp4", addr);
	ck_assert_msg(m[1] != NULL, "listen %s: %s", addr, last_error());
}

static void tcp_group(rn_listener *m[2])
{
	rn_listen_config lc = { .reuse_port = true };
	char addr[RN_ADDR_STRLEN];

	m[0] = rn_listen_config_listen(&lc, NULL, "tcp4", "127.0.0.1:0");
	ck_assert_msg(m[0] != NULL, "listen: %s", last_error());
	astr(rn_listener_addr(m[0]), addr);
	m[1] = rn_listen_config_listen(&lc, NULL, "tcp4", addr);
	ck_assert_msg(m[1] != NULL, "listen %s: %s", addr, last_error());
}

/* The classic program rn_bpf_steer_by_cpu falls back to, built by hand. */
static const rn_bpf_raw_instruction cpu_mod2[] = {
	{ 0x20, 0, 0, 0xfffff000u + RN_BPF_EXT_CPU_ID }, /* ld #cpu */
	{ 0x94, 0, 0, 2 },				  /* mod #2 */
	{ 0x16, 0, 0, 0 },				  /* ret a */
};

/* ---- UDP: readers and senders ------------------------------------------------------------ */

struct reader {
	rn_conn *c;
	int cpu;
	int got;	/* datagrams read */
	int from[2];	/* of them, sent on cpu[0] / cpu[1] */
	int other;	/* with a tag naming neither */
	int err;	/* first unexpected read error */
};

static int tag_index(const char *b, ssize_t n, const int cpu[2], int *sent_cpu)
{
	if (n < 2 || b[0] != 'c' || sscanf(b + 1, "%d", sent_cpu) != 1)
		return -1;
	return *sent_cpu == cpu[0] ? 0 : *sent_cpu == cpu[1] ? 1 : -1;
}

static int g_cpu[2];

/* Read until both senders' datagrams could have come, then until quiet. */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char b[64];

	pin(r->cpu);
	for (;;) {
		rn_duration wait = r->got < PER_SENDER ? 5 * RN_SECOND : 300 * RN_MILLISECOND;
		ssize_t n;
		int sent_cpu, i;

		rn_conn_set_read_deadline(r->c, rn_time_add(rn_now(), wait));
		n = rn_conn_read_from(r->c, b, sizeof(b) - 1, NULL);
		if (n < 0) {
			if (n != RN_ETIMEOUT)
				r->err = (int)n;
			break;
		}
		b[n] = '\0';
		r->got++;
		i = tag_index(b, n, g_cpu, &sent_cpu);
		if (i < 0)
			r->other++;
		else
			r->from[i]++;
	}
	return NULL;
}

struct sender {
	struct sockaddr_in to;
	int cpu;
	int sent;
	int moved; /* sends made on another CPU than the pinned one */
};

/*
 * A new source socket (so a new port) every few datagrams: the kernel's
 * hash would spread them over both members, so landing all on one shows
 * the program chose.
 */
static void *sender_main(void *arg)
{
	struct sender *s = arg;
	int fd = -1;
	char b[32];

	pin(s->cpu);
	for (int i = 0; i < PER_SENDER; i++) {
		int len = snprintf(b, sizeof(b), "c%d s%d", s->cpu, i);

		if (i % 5 == 0) {
			if (fd >= 0)
				close(fd);
			fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				return NULL;
		}
		if (sched_getcpu() != s->cpu)
			s->moved++;
		if (sendto(fd, b, (size_t)len, 0, (struct sockaddr *)&s->to, sizeof(s->to)) == len)
			s->sent++;
	}
	close(fd);
	return NULL;
}

/* Both readers and both senders at once; every datagram from cpu[k] is on member k. */
static void check_udp_steering(rn_conn *m[2], const int cpu[2])
{
	struct reader r[2];
	struct sender s[2];
	pthread_t rt[2], st[2];

	for (int k = 0; k < 2; k++) {
		memset(&r[k], 0, sizeof(r[k]));
		r[k].c = m[k];
		r[k].cpu = cpu[k];
		memset(&s[k], 0, sizeof(s[k]));
		s[k].to = sin_of(rn_conn_local_addr(m[0]));
		s[k].cpu = cpu[k];
	}
	g_cpu[0] = cpu[0];
	g_cpu[1] = cpu[1];
	for (int k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&rt[k], NULL, reader_main, &r[k]), 0);
	for (int k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&st[k], NULL, sender_main, &s[k]), 0);
	for (int k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_join(st[k], NULL), 0);
	for (int k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_join(rt[k], NULL), 0);
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(s[k].sent, PER_SENDER);
		ck_assert_int_eq(s[k].moved, 0);
		ck_assert_msg(r[k].err == 0, "member %d: read error %d", k, r[k].err);
		ck_assert_msg(r[k].from[k] == PER_SENDER && r[k].from[1 - k] == 0 && r[k].other == 0,
			      "member %d (CPU %d) got %d from CPU %d, %d from CPU %d, %d untagged", k,
			      cpu[k], r[k].from[k], cpu[k], r[k].from[1 - k], cpu[1 - k], r[k].other);
	}
}

START_TEST(test_udp_steer_ebpf)
{
	rn_conn *m[2];
	int cpu[2], mode;

	if (not_root("eBPF steering") || !two_cpus(cpu, "eBPF steering"))
		return;
	udp_group(m);
	mode = rn_bpf_steer_by_cpu(m, 2);
	ck_assert_msg(mode == RN_BPF_STEER_EBPF, "mode %d: %s", mode, last_error());
	/* The map and program descriptors are closed (the fixture counts fds): the kernel holds them. */
	check_udp_steering(m, cpu);
	rn_conn_free(m[0]);
	rn_conn_free(m[1]);
}
END_TEST

START_TEST(test_udp_steer_cbpf)
{
	rn_conn *m[2];
	int cpu[2];

	if (not_root("classic steering") || !two_cpus(cpu, "classic steering"))
		return;
	udp_group(m);
	ck_assert_msg(rn_bpf_reuseport_attach(m[0], cpu_mod2, 3) == 0, "%s", last_error());
	check_udp_steering(m, cpu);
	rn_conn_free(m[0]);
	rn_conn_free(m[1]);
}
END_TEST

/* Attached through member 1 it is still the group's program. */
START_TEST(test_udp_cbpf_through_any_member)
{
	rn_conn *m[2];
	int cpu[2];

	if (not_root("classic steering") || !two_cpus(cpu, "classic steering"))
		return;
	udp_group(m);
	ck_assert_msg(rn_bpf_reuseport_attach(m[1], cpu_mod2, 3) == 0, "%s", last_error());
	check_udp_steering(m, cpu);
	rn_conn_free(m[0]);
	rn_conn_free(m[1]);
}
END_TEST

/* ---- TCP: clients pinned to a CPU ----------------------------------------------------------- */

struct client {
	struct sockaddr_in to;
	int cpu;
	int fds[CONNS_PER_CLIENT];
	int connected;
};

/* Connect (the SYN is processed on this CPU) and send the CPU as the first byte. */
static void *client_main(void *arg)
{
	struct client *c = arg;
	unsigned char tag = (unsigned char)c->cpu;

	pin(c->cpu);
	for (int i = 0; i < CONNS_PER_CLIENT; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		c->fds[i] = fd;
		if (fd < 0)
			continue;
		if (connect(fd, (struct sockaddr *)&c->to, sizeof(c->to)) == 0 &&
		    send(fd, &tag, 1, MSG_NOSIGNAL) == 1)
			c->connected++;
	}
	return NULL;
}

/* Accept on @l until it is quiet; count the CPUs named by the first bytes. */
static void accept_all(rn_listener *l, const int cpu[2], int from[2], int *other)
{
	rn_conn *a;

	from[0] = from[1] = *other = 0;
	for (;;) {
		unsigned char tag;

		rn_listener_set_deadline(l, rn_time_add(rn_now(), 500 * RN_MILLISECOND));
		a = rn_listener_accept(l);
		if (!a) {
			ck_assert_msg(rn_last_error()->code == RN_ETIMEOUT, "accept: %s", last_error());
			break;
		}
		rn_conn_set_read_deadline(a, rn_time_add(rn_now(), 5 * RN_SECOND));
		ck_assert_msg(rn_conn_read(a, &tag, 1) == 1, "read: %s", last_error());
		if (tag == cpu[0])
			from[0]++;
		else if (tag == cpu[1])
			from[1]++;
		else
			(*other)++;
		rn_conn_free(a);
	}
}

static void check_tcp_steering(rn_listener *m[2], const int cpu[2])
{
	struct client c[2];
	pthread_t t[2];

	for (int k = 0; k < 2; k++) {
		memset(&c[k], 0, sizeof(c[k]));
		c[k].to = sin_of(rn_listener_addr(m[0]));
		c[k].cpu = cpu[k];
		ck_assert_int_eq(pthread_create(&t[k], NULL, client_main, &c[k]), 0);
	}
	for (int k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_join(t[k], NULL), 0);
	for (int k = 0; k < 2; k++) {
		int from[2], other;

		ck_assert_int_eq(c[k].connected, CONNS_PER_CLIENT);
		accept_all(m[k], cpu, from, &other);
		ck_assert_msg(from[k] == CONNS_PER_CLIENT && from[1 - k] == 0 && other == 0,
			      "listener %d (CPU %d) accepted %d from CPU %d, %d from CPU %d, %d other",
			      k, cpu[k], from[k], cpu[k], from[1 - k], cpu[1 - k], other);
	}
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < CONNS_PER_CLIENT; i++) {
			if (c[k].fds[i] >= 0)
				close(c[k].fds[i]);
		}
	}
}

START_TEST(test_tcp_steer_ebpf)
{
	rn_listener *m[2];
	int cpu[2], mode;

	if (not_root("eBPF steering") || !two_cpus(cpu, "eBPF steering"))
		return;
	tcp_group(m);
	mode = rn_bpf_steer_by_cpu_listeners(m, 2);
	ck_assert_msg(mode == RN_BPF_STEER_EBPF, "mode %d: %s", mode, last_error());
	check_tcp_steering(m, cpu);
	rn_listener_free(m[0]);
	rn_listener_free(m[1]);
}
END_TEST

START_TEST(test_tcp_steer_cbpf)
{
	rn_listener *m[2];
	int cpu[2];

	if (not_root("classic steering") || !two_cpus(cpu, "classic steering"))
		return;
	tcp_group(m);
	ck_assert_msg(rn_bpf_reuseport_attach_listener(m[0], cpu_mod2, 3) == 0, "%s",
		      last_error());
	check_tcp_steering(m, cpu);
	rn_listener_free(m[0]);
	rn_listener_free(m[1]);
}
END_TEST

/* ---- the eBPF program's life ------------------------------------------------------------------ */

/* Loaded SK_REUSEPORT programs named rn_steer_cpu (only this suite loads them). */
static int count_steer_progs(void)
{
	uint32_t id = 0;
	int count = 0;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    info.type == BPF_PROG_TYPE_SK_REUSEPORT && strcmp(info.name, "rn_steer_cpu") == 0)
			count++;
		close(fd);
	}
	return count;
}

/* The kernel frees a program after an RCU grace period: wait for @want. */
static int wait_steer_progs(int want)
{
	int n = count_steer_progs();

	for (int i = 0; i < 300 && n != want; i++) {
		usleep(10000);
		n = count_steer_progs();
	}
	return n;
}

START_TEST(test_ebpf_program_lives_with_group)
{
	rn_conn *m[2];
	int before;

	if (not_root("the program's lifetime"))
		return;
	before = wait_steer_progs(0);
	udp_group(m);
	ck_assert_int_eq(rn_bpf_steer_by_cpu(m, 2), RN_BPF_STEER_EBPF);
	/* No descriptor of ours holds it: the group does. */
	ck_assert_int_eq(count_steer_progs(), before + 1);
	rn_conn_free(m[0]);
	ck_assert_int_eq(count_steer_progs(), before + 1); /* member 1 still holds the group */
	rn_conn_free(m[1]);
	ck_assert_int_eq(wait_steer_progs(before), before);
}
END_TEST

/* Any member order works with eBPF: the map says which socket is which. */
START_TEST(test_udp_steer_ebpf_any_order)
{
	rn_conn *m[2], *swapped[2];
	int cpu[2];

	if (not_root("eBPF steering") || !two_cpus(cpu, "eBPF steering"))
		return;
	udp_group(m);
	swapped[0] = m[1];
	swapped[1] = m[0];
	ck_assert_int_eq(rn_bpf_steer_by_cpu(swapped, 2), RN_BPF_STEER_EBPF);
	check_udp_steering(swapped, cpu);
	rn_conn_free(m[0]);
	rn_conn_free(m[1]);
}
END_TEST

/* ---- argument errors ------------------------------------------------------------------ */

START_TEST(test_steer_errors)
{
	rn_conn *m[2], *plain, *other[2], *mix[2];

	if (not_root("steering errors"))
		return;
	udp_group(m);
	plain = rn_listen_packet("udp4", "127.0.0.1:0");
	ck_assert_ptr_nonnull(plain);

	ck_assert_int_eq(rn_bpf_steer_by_cpu(m, 0), -EINVAL);
	ck_assert_int_eq(rn_bpf_steer_by_cpu(NULL, 2), -EINVAL);

	mix[0] = m[0];
	mix[1] = plain;
	ck_assert_int_eq(rn_bpf_steer_by_cpu(mix, 2), -EINVAL);
	ck_assert_str_eq(last_error(), "invalid argument: member 1 is not in a SO_REUSEPORT group");

	udp_group(other);
	mix[1] = other[0];
	ck_assert_int_eq(rn_bpf_steer_by_cpu(mix, 2), -EINVAL);
	ck_assert_str_eq(last_error(), "invalid argument: member 1 is not bound as member 0");

	mix[1] = m[0];
	ck_assert_int_eq(rn_bpf_steer_by_cpu(mix, 2), -EINVAL);
	ck_assert_str_eq(last_error(), "invalid argument: a member is given twice");

	ck_assert_int_eq(rn_bpf_reuseport_attach(plain, cpu_mod2, 3), -EINVAL);
	ck_assert_str_eq(last_error(), "invalid argument: socket is not in a SO_REUSEPORT group");

	ck_assert_int_eq(rn_conn_close(m[1]), 0);
	ck_assert_int_eq(rn_bpf_steer_by_cpu(m, 2), RN_ECLOSED);
	ck_assert_int_eq(rn_bpf_reuseport_attach(m[1], cpu_mod2, 3), RN_ECLOSED);

	rn_conn_free(other[0]);
	rn_conn_free(other[1]);
	rn_conn_free(plain);
	rn_conn_free(m[0]);
	rn_conn_free(m[1]);
}
END_TEST

/* ---- eBPF socket filters ---------------------------------------------------------------------- */

static struct bpf_insn ins(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i;

	memset(&i, 0, sizeof(i));
	i.code = code;
	i.dst_reg = dst & 0xf;
	i.src_reg = src & 0xf;
	i.off = off;
	i.imm = imm;
	return i;
}

static void udp_pair(rn_conn **l, rn_conn **c)
{
	char addr[RN_ADDR_STRLEN];

	*l = rn_listen_packet("udp4", "127.0.0.1:0");
	ck_assert_msg(*l != NULL, "listen: %s", last_error());
	*c = rn_dial("udp4", astr(rn_conn_local_addr(*l), addr));
	ck_assert_msg(*c != NULL, "dial: %s", last_error());
}

static ssize_t read_within(rn_conn *c, char *b, size_t n, rn_duration d)
{
	rn_conn_set_read_deadline(c, rn_time_add(rn_now(), d));
	return rn_conn_read_from(c, b, n, NULL);
}

START_TEST(test_ebpf_filter_drops_all)
{
	const struct bpf_insn drop[] = {
		ins(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0), /* r0 = 0 */
		ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	rn_conn *l, *c;
	char b[16];

	if (not_root("eBPF socket filters"))
		return;
	udp_pair(&l, &c);
	ck_assert_int_eq(rn_conn_write(c, "one", 3), 3);
	ck_assert_int_eq(read_within(l, b, sizeof(b), 5 * RN_SECOND), 3);

	ck_assert_msg(rn_bpf_attach_ebpf_filter(l, drop, 2) == 0, "%s", last_error());
	ck_assert_int_eq(rn_conn_write(c, "two", 3), 3);
	ck_assert_int_eq(read_within(l, b, sizeof(b), 300 * RN_MILLISECOND), RN_ETIMEOUT);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

START_TEST(test_ebpf_filter_verifier_error)
{
	const struct bpf_insn uninit[] = {
		ins(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_2, 0, 0), /* r0 = r2: unset */
		ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	const struct bpf_insn no_exit[] = {
		ins(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
	};
	rn_conn *l, *c;
	char b[16];

	if (not_root("eBPF socket filters"))
		return;
	udp_pair(&l, &c);
	ck_assert_int_eq(rn_bpf_attach_ebpf_filter(l, uninit, 2), -EACCES);
	ck_assert_int_eq(rn_last_error()->code, -EACCES);
	ck_assert_msg(strstr(last_error(), "load socket filter: permission denied: ") == last_error(),
		      "%s", last_error());
	ck_assert_msg(strstr(last_error(), "R2 !read_ok") != NULL, "%s", last_error());

	ck_assert_int_eq(rn_bpf_attach_ebpf_filter(l, no_exit, 1), -EINVAL);
	ck_assert_msg(strstr(last_error(), "load socket filter: invalid argument: ") == last_error(),
		      "%s", last_error());
	ck_assert_msg(strstr(last_error(), "exit") != NULL, "%s", last_error());

	ck_assert_int_eq(rn_bpf_attach_ebpf_filter(l, NULL, 0), -EINVAL);
	ck_assert_int_eq(rn_bpf_attach_ebpf_filter(NULL, uninit, 2), -EINVAL);

	/* Nothing was attached: traffic still flows. */
	ck_assert_int_eq(rn_conn_write(c, "ok", 2), 2);
	ck_assert_int_eq(read_within(l, b, sizeof(b), 5 * RN_SECOND), 2);
	rn_conn_free(c);
	rn_conn_free(l);
}
END_TEST

/* ---- without CAP_BPF: the classic fallback, reported ------------------------------------------- */

/* Drop CAP_BPF and CAP_SYS_ADMIN (either allows bpf()) from this process. */
static int drop_bpf_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_SYS_ADMIN / 32].permitted &= ~(1u << (CAP_SYS_ADMIN % 32));
	d[CAP_BPF / 32].effective &= ~(1u << (CAP_BPF % 32));
	d[CAP_BPF / 32].permitted &= ~(1u << (CAP_BPF % 32));
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

/* Write a failure's description to @out; returns @code, the child's exit status. */
__attribute__((format(printf, 4, 5)))
static int child_fail(char *out, size_t size, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * The child's checks; the first failure is written to @out and is the
 * exit status.  Datagrams are sent from this one thread, pinned in turn.
 */
static int unprivileged_checks(char *out, size_t size, const int cpu[2])
{
	const struct bpf_insn drop[] = {
		ins(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
		ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	rn_conn *m[2];
	int mode, fd;
	char b[32];

	if (drop_bpf_caps() < 0)
		return child_fail(out, size, 1, "capset: %s", strerror(errno));
	udp_group(m);
	mode = rn_bpf_steer_by_cpu(m, 2);
	if (mode != RN_BPF_STEER_CBPF)
		return child_fail(out, size, 2, "mode %d, want CBPF: %s", mode, last_error());
	if (rn_last_error()->code != -EPERM || !strstr(last_error(), "not permitted"))
		return child_fail(out, size, 3, "fallback not reported: %d %s", rn_last_error()->code,
			    last_error());
	child_fail(out, size, 0, "%s", last_error());
	if (rn_bpf_attach_ebpf_filter(m[0], drop, 2) != -EPERM ||
	    strncmp(last_error(), "eBPF not permitted: ", 20) != 0)
		return child_fail(out, size, 4, "filter: %s", last_error());
	/* And the classic program does steer. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (int k = 0; k < 2; k++) {
		struct sockaddr_in to = sin_of(rn_conn_local_addr(m[0]));
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu[k], &set);
		sched_setaffinity(0, sizeof(set), &set);
		sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
		if (read_within(m[k], b, sizeof(b), 5 * RN_SECOND) != 1)
			return child_fail(out, size, 5, "CPU %d: nothing on member %d", cpu[k], k);
	}
	close(fd);
	rn_conn_free(m[0]);
	rn_conn_free(m[1]);
	return 0;
}

START_TEST(test_fallback_without_cap_bpf)
{
	char msg[RN_ERR_TEXT_MAX + 64];
	int cpu[2], p[2], status;
	ssize_t n;
	pid_t pid;

	if (not_root("the fallback (needs capabilities to drop)") || !two_cpus(cpu, "the fallback"))
		return;
	ck_assert_int_eq(pipe(p), 0);
	rn_engine_stop(); /* the child must not share this thread's ring */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int rc;

		close(p[0]);
		memset(msg, 0, sizeof(msg));
		rc = unprivileged_checks(msg, sizeof(msg), cpu);
		if (write(p[1], msg, strlen(msg)) < 0)
			rc = 99;
		_exit(rc);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %s", msg);
	printf("test_bpf_reuseport: without CAP_BPF: %s\n", msg);
}
END_TEST

static Suite *reuseport_suite(void)
{
	Suite *s = suite_create("bpf_reuseport");
	TCase *tc;

	tc = tu_engine_tcase("steer_udp");
	tcase_add_test(tc, test_udp_steer_ebpf);
	tcase_add_test(tc, test_udp_steer_cbpf);
	tcase_add_test(tc, test_udp_cbpf_through_any_member);
	tcase_add_test(tc, test_udp_steer_ebpf_any_order);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("steer_tcp");
	tcase_add_test(tc, test_tcp_steer_ebpf);
	tcase_add_test(tc, test_tcp_steer_cbpf);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("lifetime");
	tcase_add_test(tc, test_ebpf_program_lives_with_group);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("errors");
	tcase_add_test(tc, test_steer_errors);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("ebpf_filter");
	tcase_add_test(tc, test_ebpf_filter_drops_all);
	tcase_add_test(tc, test_ebpf_filter_verifier_error);
	suite_add_tcase(s, tc);

	tc = tu_engine_tcase("unprivileged");
	tcase_add_test(tc, test_fallback_without_cap_bpf);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(reuseport_suite());
}
