/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf/reuseport.c - programs for SO_REUSEPORT groups and eBPF socket
 * filters: a classic program choosing a member by index
 * (SO_ATTACH_REUSEPORT_CBPF), per-CPU steering by an SK_REUSEPORT program
 * over a REUSEPORT_SOCKARRAY map with the classic program as the fallback,
 * and eBPF socket filters (SO_ATTACH_BPF).  The eBPF programs are written
 * as instructions here, so nothing needs a compiler at run time.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/filter.h>

#include <ringnet/bpf.h>

#include "api/conn.h"
#include "api/errors.h"
#include "api/strbuf.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's internal "not supported", seen by bpf() callers */
#endif

/* rn_bpf_raw_instruction is handed to the kernel as struct sock_filter. */
_Static_assert(sizeof(rn_bpf_raw_instruction) == sizeof(struct sock_filter), "sock_filter size");
_Static_assert(offsetof(rn_bpf_raw_instruction, k) == offsetof(struct sock_filter, k),
	       "sock_filter layout");

#define FILTER_LICENSE "Dual BSD/GPL"
#define LOG_SIZE (64 * 1024) /* the kernel keeps the log's end when it overflows */
#define MAX_MEMBERS 65535    /* a reuseport group counts its sockets in 16 bits */
#define MAX_STEER_INSNS 16

/* ---- descriptors -------------------------------------------------------------------- */

/* The rni_fd behind a conn, or NULL with -EINVAL recorded for NULL or a pipe end. */
static rni_fd *conn_fd(rn_conn *c, const char *what)
{
	if (!c) {
		rni_err_einval(what);
		return NULL;
	}
	if (c->pipe) {
		rni_err_einval("not a socket (a pipe end)");
		return NULL;
	}
	return &c->fd;
}

static rni_fd *listener_fd(rn_listener *l, const char *what)
{
	if (!l) {
		rni_err_einval(what);
		return NULL;
	}
	return &l->fd;
}

/* Enter @f so that Close cannot release the descriptor under us. */
static int enter(rni_fd *f)
{
	if (rni_fd_enter(f) < 0)
		return rni_err_sentinel(RN_ECLOSED);
	return 0;
}

static bool in_reuseport_group(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &v, &len) == 0 && v != 0;
}

/* ---- classic programs ------------------------------------------------------------- */

static int attach_cbpf(int fd, const rn_bpf_raw_instruction *p, size_t n)
{
	struct sock_fprog prog = {
		.len = (unsigned short)n,
		.filter = (struct sock_filter *)(uintptr_t)p,
	};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
		return rni_err_errno(errno, "setsockopt");
	return 0;
}

static int reuseport_attach(rni_fd *f, const rn_bpf_raw_instruction *p, size_t n)
{
	int rc;

	if (!f)
		return rn_last_error()->code;
	if (!p || n == 0)
		return rni_err_einval("empty program");
	/* The kernel runs bpf_check_classic on it: say why before it says EINVAL. */
	rc = rn_bpf_check(p, n, NULL);
	if (rc < 0)
		return rc;
	rc = enter(f);
	if (rc < 0)
		return rc;
	if (!in_reuseport_group(f->fd))
		rc = rni_err_einval("socket is not in a SO_REUSEPORT group");
	else
		rc = attach_cbpf(f->fd, p, n);
	rni_fd_leave(f);
	return rc;
}

int rn_bpf_reuseport_attach(rn_conn *c, const rn_bpf_raw_instruction *p, size_t n)
{
	return reuseport_attach(conn_fd(c, "NULL conn"), p, n);
}

int rn_bpf_reuseport_attach_listener(rn_listener *l, const rn_bpf_raw_instruction *p, size_t n)
{
	return reuseport_attach(listener_fd(l, "NULL listener"), p, n);
}

/* ---- eBPF instructions --------------------------------------------------------------- */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
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

/*
 * The SK_REUSEPORT program: key = cpu % n on the stack, select the
 * socket at that key of @map_fd, and pass.  A failed select (the member
 * was closed) still passes, so the kernel falls back to its hash.
 */
static size_t steer_prog(struct bpf_insn *v, int map_fd, uint32_t n)
{
	size_t i = 0;

	v[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	v[i++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_smp_processor_id);
	v[i++] = insn(BPF_ALU | BPF_MOD | BPF_K, BPF_REG_0, 0, 0, (int32_t)n);
	v[i++] = insn(BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_REG_0, -4, 0);
	v[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0);
	/* ld_imm64 r2 = map: two instructions, the second holding the high half. */
	v[i++] = insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, map_fd);
	v[i++] = insn(0, 0, 0, 0, 0);
	v[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0);
	v[i++] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -4);
	v[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0);
	v[i++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_select_reuseport);
	v[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, SK_PASS);
	v[i++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return i;
}

/* ---- verifier text ----------------------------------------------------------------- */

/* Statistics the verifier prints after its verdict: not the reason. */
static bool stats_line(const char *s, size_t n)
{
	static const char *const prefixes[] = { "processed ", "verification time", "stack depth" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pn = strlen(prefixes[i]);

		if (n >= pn && memcmp(s, prefixes[i], pn) == 0)
			return true;
	}
	return n == 0;
}

/*
 * Append to @sb the last lines of the verifier's @log that fit in @room
 * bytes, joined by "; ": the reason is at the end, so the end is kept.  A
 * last line too long for @room is cut at its end instead.
 */
static void put_log_tail(rni_sb *sb, const char *log, size_t room)
{
	const char *end = log + strlen(log), *first = end, *p = end;
	size_t used = 0;

	while (p > log) {
		const char *e = p, *s = p;

		while (s > log && s[-1] != '\n')
			s--;
		p = s > log ? s - 1 : log;
		if (e > s && e[-1] == '\n')
			e--;
		if (stats_line(s, (size_t)(e - s)))
			continue;
		if (used + (size_t)(e - s) + 2 > room) {
			if (used == 0) {
				first = s;
				used = room;
			}
			break;
		}
		used += (size_t)(e - s) + 2;
		first = s;
	}
	for (p = first; p < end && sb->len < sb->size;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (!stats_line(p, n)) {
			if (p != first)
				rni_sb_puts(sb, "; ");
			rni_sb_putn(sb, p, n);
		}
		p += n + (nl ? 1 : 0);
	}
}

/* Record a refused program: "@what: <errno text>: <the log's end>". */
static int verifier_error(int err, const char *what, const char *log)
{
	rn_error *e;
	rni_sb sb;
	const char *t = rni_errno_text(err);

	e = rni_err_reset(RN_ERR_TEXT, -err);
	rni_sb_init(&sb, e->err, sizeof(e->err));
	rni_sb_puts(&sb, what);
	rni_sb_puts(&sb, ": ");
	rni_sb_puts(&sb, t ? t : "error");
	if (log && log[0]) {
		rni_sb_puts(&sb, ": ");
		put_log_tail(&sb, log, sb.len < sizeof(e->err) ? sizeof(e->err) - 1 - sb.len : 0);
	}
	return -err;
}

static bool not_permitted(int err)
{
	return err == EPERM || err == EACCES;
}

/*
 * Load @insns as @type.  Returns the program's descriptor, or -errno with
 * nothing recorded and, unless the load was not permitted at all, the
 * verifier's log in @log (may be NULL).  The log comes from a second load:
 * the first one's code is the one to report, since a log that fills its
 * buffer turns the code into -ENOSPC.
 */
static int prog_load(enum bpf_prog_type type, const char *name, const struct bpf_insn *insns,
		     size_t n, char *log, size_t log_size)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts);
	int fd, err;

	fd = bpf_prog_load(type, name, FILTER_LICENSE, insns, n, &opts);
	if (fd >= 0)
		return fd;
	err = -fd;
	if (log && log_size && err != EPERM) {
		LIBBPF_OPTS(bpf_prog_load_opts, lopts, .log_buf = log,
			    .log_size = (uint32_t)log_size, .log_level = 1);
		int fd2;

		log[0] = '\0';
		fd2 = bpf_prog_load(type, name, FILTER_LICENSE, insns, n, &lopts);
		if (fd2 >= 0) /* accepted the second time: report the first refusal anyway */
			close(fd2);
	}
	return -err;
}

/* ---- steering by CPU ------------------------------------------------------------------- */

/* Why eBPF cannot be used, worth falling back to the classic program for. */
static bool unavailable(int err)
{
	return not_permitted(err) || err == ENOSYS || err == EOPNOTSUPP || err == ENOTSUPP ||
	       err == ENOPROTOOPT;
}

/* Record why eBPF steering was refused: "@call: <errno text>; ...". */
static void record_fallback(int err, const char *call)
{
	char buf[RN_ERR_TEXT_MAX];
	const char *t = rni_errno_text(err);

	snprintf(buf, sizeof(buf), "eBPF steering %s (%s: %s); classic program attached",
		 not_permitted(err) ? "not permitted" : "not supported", call, t ? t : "error");
	rni_err_text(-err, buf);
}

/*
 * The eBPF way.  Returns 0 when attached; a positive errno when eBPF is
 * unavailable, with *@call naming the failing call; or a negative code
 * recorded.
 */
static int steer_ebpf(const int *fds, size_t n, const char **call)
{
	struct bpf_insn v[MAX_STEER_INSNS];
	char *log = NULL;
	int map_fd, prog_fd, rc = 0;
	size_t cnt;

	*call = "bpf_map_create";
	map_fd = bpf_map_create(BPF_MAP_TYPE_REUSEPORT_SOCKARRAY, "rn_steer_cpu", sizeof(uint32_t),
				sizeof(uint64_t), (uint32_t)n, NULL);
	if (map_fd < 0)
		return (unavailable(-map_fd) || map_fd == -EINVAL) ? -map_fd
								   : rni_err_errno(-map_fd, *call);
	for (uint32_t k = 0; k < n; k++) {
		uint64_t v64 = (uint64_t)fds[k];
		int err = bpf_map_update_elem(map_fd, &k, &v64, BPF_ANY);

		if (err < 0) {
			*call = "bpf_map_update_elem";
			rc = unavailable(-err) ? -err : rni_err_errno(-err, *call);
			goto out_map;
		}
	}
	cnt = steer_prog(v, map_fd, (uint32_t)n);
	log = malloc(LOG_SIZE);
	*call = "bpf_prog_load";
	prog_fd = prog_load(BPF_PROG_TYPE_SK_REUSEPORT, "rn_steer_cpu", v, cnt, log,
			    log ? LOG_SIZE : 0);
	if (prog_fd < 0) {
		/* EINVAL here is a kernel without SK_REUSEPORT programs (before 4.19). */
		if (unavailable(-prog_fd) || prog_fd == -EINVAL)
			rc = -prog_fd;
		else
			rc = verifier_error(-prog_fd, "load SK_REUSEPORT program", log);
		goto out_map;
	}
	*call = "setsockopt(SO_ATTACH_REUSEPORT_EBPF)";
	if (setsockopt(fds[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog_fd, sizeof(prog_fd)) < 0)
		rc = unavailable(errno) ? errno : rni_err_errno(errno, "setsockopt");
	/* The group now holds the program, and the program the map. */
	close(prog_fd);
out_map:
	close(map_fd);
	free(log);
	return rc;
}

static int steer_cbpf(int fd, size_t n)
{
	const rn_bpf_raw_instruction p[] = {
		{ BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU) },
		{ BPF_ALU | BPF_MOD | BPF_K, 0, 0, (uint32_t)n },
		{ BPF_RET | BPF_A, 0, 0, 0 },
	};

	return attach_cbpf(fd, p, sizeof(p) / sizeof(p[0]));
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Members must be distinct sockets of one group: same type, same bound address. */
static int check_members(rni_fd *const *f, const int *fds, size_t n)
{
	struct sockaddr_storage a0, a;
	socklen_t l0 = sizeof(a0), l;
	char what[96];
	int *sorted;

	if (getsockname(fds[0], (struct sockaddr *)&a0, &l0) < 0)
		return rni_err_errno(errno, "getsockname");
	for (size_t i = 0; i < n; i++) {
		l = sizeof(a);
		if (!in_reuseport_group(fds[i])) {
			snprintf(what, sizeof(what), "member %zu is not in a SO_REUSEPORT group", i);
			return rni_err_einval(what);
		}
		if (getsockname(fds[i], (struct sockaddr *)&a, &l) < 0)
			return rni_err_errno(errno, "getsockname");
		if (f[i]->sotype != f[0]->sotype || l != l0 || memcmp(&a, &a0, l) != 0) {
			snprintf(what, sizeof(what), "member %zu is not bound as member 0", i);
			return rni_err_einval(what);
		}
	}
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return rni_err_errno(ENOMEM, NULL);
	memcpy(sorted, fds, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_int);
	for (size_t i = 1; i < n; i++) {
		if (sorted[i] == sorted[i - 1]) {
			free(sorted);
			return rni_err_einval("a member is given twice");
		}
	}
	free(sorted);
	return 0;
}

/* Steer the entered members: the mode, or a negative code recorded. */
static int steer_entered(rni_fd *const *f, const int *fds, size_t n)
{
	const char *call = NULL;
	int err, rc = check_members(f, fds, n);

	if (rc < 0)
		return rc;
	err = steer_ebpf(fds, n, &call);
	if (err < 0)
		return err;
	if (err == 0)
		return RN_BPF_STEER_EBPF;
	rc = steer_cbpf(fds[0], n);
	if (rc < 0)
		return rc;
	record_fallback(err, call);
	return RN_BPF_STEER_CBPF;
}

static int steer(rni_fd *const *f, size_t n)
{
	int *fds;
	size_t entered = 0;
	int rc = 0;

	fds = calloc(n, sizeof(*fds)); /* zeroed: gcc cannot see every slot is set */
	if (!fds)
		return rni_err_errno(ENOMEM, NULL);
	for (; entered < n; entered++) {
		rc = enter(f[entered]);
		if (rc < 0)
			break;
		fds[entered] = f[entered]->fd;
	}
	if (rc == 0)
		rc = steer_entered(f, fds, n);
	while (entered > 0)
		rni_fd_leave(f[--entered]);
	free(fds);
	return rc;
}

static rni_fd *conn_member(const void *members, size_t i)
{
	return conn_fd(((rn_conn *const *)members)[i], "NULL member");
}

static rni_fd *listener_member(const void *members, size_t i)
{
	return listener_fd(((rn_listener *const *)members)[i], "NULL member");
}

/*
 * Collect the rni_fds of @members (an array of conns or listeners, read by
 * @member) and steer them; the conn or listener check failing records -EINVAL.
 */
static int steer_members(const void *members, size_t n,
			 rni_fd *(*member)(const void *array, size_t idx))
{
	rni_fd **f;
	int rc;

	if (!members || n == 0 || n > MAX_MEMBERS)
		return rni_err_einval("steering needs 1 to 65535 members");
	f = malloc(n * sizeof(*f));
	if (!f)
		return rni_err_errno(ENOMEM, NULL);
	for (size_t i = 0; i < n; i++) {
		f[i] = member(members, i);
		if (!f[i]) {
			free(f);
			return rn_last_error()->code;
		}
	}
	rc = steer(f, n);
	free(f);
	return rc;
}

int rn_bpf_steer_by_cpu(rn_conn *const *members, size_t n)
{
	return steer_members(members, n, conn_member);
}

int rn_bpf_steer_by_cpu_listeners(rn_listener *const *members, size_t n)
{
	return steer_members(members, n, listener_member);
}

/* ---- eBPF socket filters ----------------------------------------------------------------- */

static int attach_ebpf_filter(rni_fd *f, const struct bpf_insn *insns, size_t n)
{
	char *log;
	int prog_fd, rc;

	if (!f)
		return rn_last_error()->code;
	if (!insns || n == 0)
		return rni_err_einval("empty program");
	rc = enter(f);
	if (rc < 0)
		return rc;
	log = malloc(LOG_SIZE);
	prog_fd = prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, insns, n, log, log ? LOG_SIZE : 0);
	if (prog_fd == -EPERM)
		rc = rni_err_text(-EPERM, "eBPF not permitted: loading a socket filter needs CAP_BPF "
				  "or kernel.unprivileged_bpf_disabled=0 (bpf: operation not permitted)");
	else if (prog_fd < 0)
		rc = verifier_error(-prog_fd, "load socket filter", log);
	free(log);
	if (prog_fd >= 0) {
		if (setsockopt(f->fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)) < 0)
			rc = errno == EPERM ? rni_err_text(-EPERM, "filter is locked")
					    : rni_err_errno(errno, "setsockopt");
		/* The socket holds the program now. */
		close(prog_fd);
	}
	rni_fd_leave(f);
	return rc;
}

int rn_bpf_attach_ebpf_filter(rn_conn *c, const struct bpf_insn *insns, size_t n)
{
	return attach_ebpf_filter(conn_fd(c, "NULL conn"), insns, n);
}

int rn_bpf_attach_ebpf_filter_listener(rn_listener *l, const struct bpf_insn *insns, size_t n)
{
	return attach_ebpf_filter(listener_fd(l, "NULL listener"), insns, n);
}
