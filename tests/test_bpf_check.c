/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_bpf_check.c - rn_bpf_check against the running kernel's
 * bpf_check_classic: valid programs accepted, each rule's violation
 * refused naming its instruction, and a few thousand seeded mutations of
 * valid programs each put both to rn_bpf_check and to SO_ATTACH_FILTER on
 * a real UDP socket, requiring the same verdict.
 */
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ringnet/bpf.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_MUTANT 64
#define AD(x) ((uint32_t)(SKF_AD_OFF + (x))) /* an ancillary load's K */

_Static_assert(sizeof(rn_bpf_raw_instruction) == sizeof(struct sock_filter),
	       "rn_bpf_raw_instruction is struct sock_filter");

static const char *last_error(void)
{
	static char buf[512];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

/* ---- the kernel --------------------------------------------------------------- */

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	return fd;
}

/* kernel_attach - SO_ATTACH_FILTER on @fd: 0 or the positive errno. */
static int kernel_attach(int fd, const rn_bpf_raw_instruction *p, size_t n)
{
	struct sock_fprog fprog = { .len = (unsigned short)n,
				    .filter = (struct sock_filter *)(uintptr_t)p };

	ck_assert_uint_le(n, 0xffff);
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) == 0 ? 0 : errno;
}

/* accepted - rn_bpf_check and the kernel must both take @p. */
static void accepted(const rn_bpf_raw_instruction *p, size_t n)
{
	int fd = udp_socket();
	long bad = 77;

	ck_assert_msg(rn_bpf_check(p, n, &bad) == 0, "rn_bpf_check: %s", last_error());
	ck_assert_int_eq(bad, -1);
	ck_assert_msg(kernel_attach(fd, p, n) == 0, "kernel refused: %s", strerror(errno));
	close(fd);
}

/* refused - both must refuse @p; ours names instruction @want_bad (-1: the program). */
static void refused(const rn_bpf_raw_instruction *p, size_t n, long want_bad)
{
	int fd = udp_socket();
	long bad = 77;

	ck_assert_int_eq(rn_bpf_check(p, n, &bad), -EINVAL);
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	ck_assert_msg(bad == want_bad, "bad = %ld, want %ld (%s)", bad, want_bad, last_error());
	ck_assert_int_eq(kernel_attach(fd, p, n), EINVAL);
	ck_assert_int_eq(rn_bpf_check(p, n, NULL), -EINVAL); /* @bad may be NULL */
	close(fd);
}

static void refused_with(const rn_bpf_raw_instruction *p, size_t n, long want_bad,
			 const char *want_text)
{
	refused(p, n, want_bad);
	ck_assert_int_eq(rn_bpf_check(p, n, NULL), -EINVAL);
	ck_assert_str_eq(last_error(), want_text);
}

/* ---- valid programs ---------------------------------------------------------------- */

/* tcpdump -dd 'udp port 53' on IPv4, shape for shape. */
static const rn_bpf_raw_instruction udp53[] = {
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x800, 0, 8),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 6),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
	BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 53, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0x40000),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

/* Scratch slots written on every path before they are read. */
static const rn_bpf_raw_instruction scratch[] = {
	BPF_STMT(BPF_LD | BPF_IMM, 1),
	BPF_STMT(BPF_ST, 0),
	BPF_STMT(BPF_LDX | BPF_IMM, 2),
	BPF_STMT(BPF_STX, 15),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 3),
	BPF_STMT(BPF_LD | BPF_MEM, 0),
	BPF_STMT(BPF_ST, 3),
	BPF_JUMP(BPF_JMP | BPF_JA, 2, 0, 0),
	BPF_STMT(BPF_LD | BPF_MEM, 15),
	BPF_STMT(BPF_ST, 3),
	BPF_STMT(BPF_LDX | BPF_MEM, 3),
	BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
	BPF_STMT(BPF_RET | BPF_A, 0),
};

/* Every other allowed opcode once, with the largest allowed constants. */
static const rn_bpf_raw_instruction every_op[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0xffffefff),
	BPF_STMT(BPF_LD | BPF_W | BPF_IND, AD(64)),
	BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0),
	BPF_STMT(BPF_LDX | BPF_IMM, 3),
	BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
	BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 1),
	BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0),
	BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 3),
	BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0),
	BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0xffffffff),
	BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
	BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 1),
	BPF_STMT(BPF_ALU | BPF_MOD | BPF_X, 0),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 7),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_X, 0),
	BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 7),
	BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0),
	BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, 7),
	BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 31),
	BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0),
	BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 31),
	BPF_STMT(BPF_ALU | BPF_RSH | BPF_X, 0),
	BPF_STMT(BPF_ALU | BPF_NEG, 0),
	BPF_STMT(BPF_MISC | BPF_TAX, 0),
	BPF_STMT(BPF_MISC | BPF_TXA, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 255, 0),
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 0, 253, 0),
	BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 252),
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0, 1, 251),
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 250, 250),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 0),
	BPF_STMT(BPF_RET | BPF_A, 0),
};

START_TEST(test_valid_programs)
{
	static const rn_bpf_raw_instruction ret0[] = { BPF_STMT(BPF_RET | BPF_K, 0) };

	accepted(udp53, N(udp53));
	accepted(scratch, N(scratch));
	accepted(ret0, 1);
}
END_TEST

/* every_op, padded so that its long conditional jumps land inside. */
START_TEST(test_every_opcode)
{
	rn_bpf_raw_instruction p[N(every_op) + 256];
	size_t n = N(every_op) - 1;

	memcpy(p, every_op, sizeof every_op);
	for (; n < N(p) - 1; n++)
		p[n] = (rn_bpf_raw_instruction)BPF_STMT(BPF_MISC | BPF_TAX, 0);
	p[n++] = (rn_bpf_raw_instruction)BPF_STMT(BPF_RET | BPF_A, 0);
	accepted(p, n);
}
END_TEST

START_TEST(test_every_ancillary_load)
{
	static const int known[] = {
		SKF_AD_PROTOCOL, SKF_AD_PKTTYPE,  SKF_AD_IFINDEX, SKF_AD_NLATTR,
		SKF_AD_NLATTR_NEST, SKF_AD_MARK, SKF_AD_QUEUE, SKF_AD_HATYPE,
		SKF_AD_RXHASH, SKF_AD_CPU, SKF_AD_ALU_XOR_X, SKF_AD_VLAN_TAG,
		SKF_AD_VLAN_TAG_PRESENT, SKF_AD_PAY_OFFSET, SKF_AD_RANDOM, SKF_AD_VLAN_TPID,
	};
	static const uint16_t widths[] = { BPF_W, BPF_H, BPF_B };

	for (size_t i = 0; i < N(known); i++) {
		for (size_t w = 0; w < N(widths); w++) {
			rn_bpf_raw_instruction p[] = {
				BPF_STMT(BPF_LD | widths[w] | BPF_ABS, AD(known[i])),
				BPF_STMT(BPF_RET | BPF_A, 0),
			};

			accepted(p, N(p));
		}
	}
}
END_TEST

/* 4096 instructions is the most the kernel takes. */
START_TEST(test_longest_program)
{
	rn_bpf_raw_instruction *p = calloc(BPF_MAXINSNS + 1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < BPF_MAXINSNS + 1; i++)
		p[i] = (rn_bpf_raw_instruction)BPF_STMT(BPF_MISC | BPF_TAX, 0);
	p[BPF_MAXINSNS - 1] = (rn_bpf_raw_instruction)BPF_STMT(BPF_RET | BPF_K, 1);
	accepted(p, BPF_MAXINSNS);
	p[BPF_MAXINSNS] = p[BPF_MAXINSNS - 1];
	refused_with(p, BPF_MAXINSNS + 1, -1,
		     "program of 4097 instructions: the kernel takes 1 to 4096");
	free(p);
}
END_TEST

/* ---- each rule ------------------------------------------------------------------- */

START_TEST(test_empty_program)
{
	static const rn_bpf_raw_instruction p[] = { BPF_STMT(BPF_RET | BPF_K, 0) };

	refused_with(p, 0, -1, "program of 0 instructions: the kernel takes 1 to 4096");
	refused(NULL, 1, -1);
}
END_TEST

START_TEST(test_unknown_opcodes)
{
	static const uint16_t ops[] = {
		BPF_LD | 0x18 | BPF_ABS,	/* BPF_DW */
		BPF_LD | BPF_H | BPF_IMM,	/* ld #k is W only */
		BPF_LD | BPF_B | BPF_MEM,	/* so is ld M[] */
		BPF_LD | BPF_B | BPF_MSH,	/* msh is ldx only */
		BPF_LDX | BPF_W | BPF_ABS,	/* seccomp's, not a socket's */
		BPF_LDX | BPF_W | BPF_IND,
		BPF_LDX | BPF_W | BPF_MSH,	/* msh is B only */
		BPF_LD | 0xc0,			/* no such mode */
		BPF_ST | BPF_X,			/* spare bits on st */
		BPF_ALU | BPF_NEG | BPF_X,
		BPF_ALU | 0xb0,			/* eBPF's mov */
		BPF_ALU | 0xd0,			/* eBPF's end */
		BPF_JMP | BPF_JA | BPF_X,
		BPF_JMP | 0x50 | BPF_K,		/* eBPF's jne */
		BPF_RET | BPF_X,
		BPF_RET | 0x18,
		BPF_MISC | 0x08,
		BPF_MISC | BPF_TAX | 0x100,	/* above the kernel's table */
		0xffff,
	};

	for (size_t i = 0; i < N(ops); i++) {
		rn_bpf_raw_instruction p[] = {
			BPF_STMT(BPF_LD | BPF_IMM, 1),
			{ .op = ops[i] },
			BPF_STMT(BPF_RET | BPF_A, 0),
		};

		refused(p, N(p), 1);
	}
}
END_TEST

START_TEST(test_constant_division_by_zero)
{
	rn_bpf_raw_instruction p[] = { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
				       BPF_STMT(BPF_RET | BPF_A, 0) };

	refused_with(p, N(p), 0, "instruction 0 (div #0): division by constant zero");
	p[0].op = BPF_ALU | BPF_MOD | BPF_K;
	refused_with(p, N(p), 0, "instruction 0 (mod #0): modulus by constant zero");
	p[0].op = BPF_ALU | BPF_DIV | BPF_X; /* X == 0 at run time returns 0 */
	accepted(p, N(p));
}
END_TEST

START_TEST(test_shift_constants)
{
	static const uint16_t ops[] = { BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_RSH | BPF_K };

	for (size_t i = 0; i < N(ops); i++) {
		rn_bpf_raw_instruction p[] = { BPF_STMT(BPF_LD | BPF_IMM, 1),
					       BPF_STMT(ops[i], 31), BPF_STMT(BPF_RET | BPF_A, 0) };

		accepted(p, N(p));
		p[1].k = 32;
		refused(p, N(p), 1);
		p[1].k = 0xffffffff;
		refused(p, N(p), 1);
	}
}
END_TEST

START_TEST(test_scratch_slot_range)
{
	static const uint16_t ops[] = { BPF_ST, BPF_STX, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM };

	for (size_t i = 0; i < N(ops); i++) {
		rn_bpf_raw_instruction p[] = { BPF_STMT(BPF_ST, 15), BPF_STMT(ops[i], 16),
					       BPF_STMT(BPF_RET | BPF_A, 0) };

		refused(p, N(p), 1);
	}
	{
		rn_bpf_raw_instruction p[] = { BPF_STMT(BPF_STX, 16),
					       BPF_STMT(BPF_RET | BPF_A, 0) };

		refused_with(p, N(p), 0, "instruction 0 (stx M[16]): "
					 "scratch slot out of range (M[0] to M[15])");
	}
}
END_TEST

START_TEST(test_jump_bounds)
{
	rn_bpf_raw_instruction ja[] = { BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
					BPF_STMT(BPF_RET | BPF_K, 1),
					BPF_STMT(BPF_RET | BPF_K, 2) };
	rn_bpf_raw_instruction jeq[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_LD | BPF_IMM, 1),
		BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 200, 0),
		BPF_STMT(BPF_RET | BPF_K, 1),  BPF_STMT(BPF_RET | BPF_K, 2),
	};

	accepted(ja, N(ja));
	ja[0].k = 2;
	refused_with(ja, N(ja), 0, "instruction 0 (ja +2): jump past the end of the program");
	ja[0].k = 0xffffffff;
	refused(ja, N(ja), 0);
	refused_with(jeq, N(jeq), 3,
		     "instruction 3 (jeq #1,+200): jump past the end of the program");
	jeq[3].jt = 1;
	accepted(jeq, N(jeq));
	jeq[3].jf = 2;
	refused_with(jeq, N(jeq), 3,
		     "instruction 3 (jeq #1,+1,+2): jump past the end of the program");
}
END_TEST

START_TEST(test_unknown_ancillary)
{
	static const uint32_t ks[] = { AD(1), AD(SKF_AD_MAX), AD(0xfff), 0xffffffff };

	for (size_t i = 0; i < N(ks); i++) {
		rn_bpf_raw_instruction p[] = { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, ks[i]),
					       BPF_STMT(BPF_RET | BPF_A, 0) };

		refused(p, N(p), 0);
	}
	{
		/* Just below SKF_AD_OFF is a plain (negative) packet offset. */
		rn_bpf_raw_instruction p[] = { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, AD(0) - 1),
					       BPF_STMT(BPF_RET | BPF_A, 0) };

		accepted(p, N(p));
		p[0].k = AD(2);
		refused_with(p, N(p), 0, "instruction 0 (ldb [-4094]): unknown ancillary load");
	}
}
END_TEST

START_TEST(test_last_not_return)
{
	rn_bpf_raw_instruction p[] = { BPF_STMT(BPF_RET | BPF_K, 1),
				       BPF_STMT(BPF_MISC | BPF_TAX, 0) };

	refused_with(p, N(p), 1, "instruction 1 (tax): the last instruction is not a return");
}
END_TEST

START_TEST(test_scratch_read_before_write)
{
	/* Written on the true path only. */
	rn_bpf_raw_instruction p[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_ST, 4),
		BPF_STMT(BPF_LDX | BPF_MEM, 4),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	/* A ja hands what was written to its target only. */
	rn_bpf_raw_instruction q[] = {
		BPF_STMT(BPF_ST, 2),
		BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 2),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	rn_bpf_raw_instruction r[] = { BPF_STMT(BPF_LD | BPF_MEM, 0),
				       BPF_STMT(BPF_RET | BPF_A, 0) };
	/* Dead code after a return inherits what was written before it, as in the kernel. */
	rn_bpf_raw_instruction dead[] = {
		BPF_STMT(BPF_ST, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 1),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	refused_with(p, N(p), 2,
		     "instruction 2 (ldx M[4]): scratch slot M[4] read before it is written");
	p[0].jf = 0;
	accepted(p, N(p));
	accepted(q, N(q));
	q[0].k = 3;
	refused(q, N(q), 3);
	refused(r, N(r), 0);
	accepted(dead, N(dead));
	dead[0].k = 0;
	refused(dead, N(dead), 2);
}
END_TEST

/* The first failing instruction wins; per-instruction rules come before the others. */
START_TEST(test_first_offence_named)
{
	rn_bpf_raw_instruction p[] = {
		BPF_STMT(BPF_LD | BPF_MEM, 0),		/* a read before write: checked last */
		BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 40),	/* first per-instruction failure */
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),		/* not a return */
	};

	refused(p, N(p), 1);
	p[1].k = 4;
	refused(p, N(p), 2);
	p[2].k = 4;
	refused(p, N(p), 3);
	p[3].op = BPF_RET | BPF_A;
	refused(p, N(p), 0);
}
END_TEST

/* ---- agreement with the kernel on mutants ---------------------------------------- */

/* xorshift64*: the same mutants on every run. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rng_next(s) >> 32) % n;
}

static const uint16_t allowed_ops[] = {
	BPF_ALU | BPF_ADD | BPF_K, BPF_ALU | BPF_ADD | BPF_X, BPF_ALU | BPF_SUB | BPF_K,
	BPF_ALU | BPF_SUB | BPF_X, BPF_ALU | BPF_MUL | BPF_K, BPF_ALU | BPF_MUL | BPF_X,
	BPF_ALU | BPF_DIV | BPF_K, BPF_ALU | BPF_DIV | BPF_X, BPF_ALU | BPF_MOD | BPF_K,
	BPF_ALU | BPF_MOD | BPF_X, BPF_ALU | BPF_AND | BPF_K, BPF_ALU | BPF_AND | BPF_X,
	BPF_ALU | BPF_OR | BPF_K,  BPF_ALU | BPF_OR | BPF_X,  BPF_ALU | BPF_XOR | BPF_K,
	BPF_ALU | BPF_XOR | BPF_X, BPF_ALU | BPF_LSH | BPF_K, BPF_ALU | BPF_LSH | BPF_X,
	BPF_ALU | BPF_RSH | BPF_K, BPF_ALU | BPF_RSH | BPF_X, BPF_ALU | BPF_NEG,
	BPF_LD | BPF_W | BPF_ABS,  BPF_LD | BPF_H | BPF_ABS,  BPF_LD | BPF_B | BPF_ABS,
	BPF_LD | BPF_W | BPF_LEN,  BPF_LD | BPF_W | BPF_IND,  BPF_LD | BPF_H | BPF_IND,
	BPF_LD | BPF_B | BPF_IND,  BPF_LD | BPF_IMM,	      BPF_LD | BPF_MEM,
	BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_B | BPF_MSH, BPF_LDX | BPF_IMM,
	BPF_LDX | BPF_MEM,	   BPF_ST,		      BPF_STX,
	BPF_MISC | BPF_TAX,	   BPF_MISC | BPF_TXA,	      BPF_RET | BPF_K,
	BPF_RET | BPF_A,	   BPF_JMP | BPF_JA,	      BPF_JMP | BPF_JEQ | BPF_K,
	BPF_JMP | BPF_JEQ | BPF_X, BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JGE | BPF_X,
	BPF_JMP | BPF_JGT | BPF_K, BPF_JMP | BPF_JGT | BPF_X, BPF_JMP | BPF_JSET | BPF_K,
	BPF_JMP | BPF_JSET | BPF_X,
};

static uint16_t random_op(uint64_t *s)
{
	switch (rng_below(s, 8)) {
	case 0:
		return (uint16_t)rng_below(s, 0x100); /* any 8-bit code */
	case 1:
		return (uint16_t)rng_next(s); /* any 16-bit code */
	case 2: /* an allowed code one bit off */
		return (uint16_t)(allowed_ops[rng_below(s, N(allowed_ops))] ^
				  (1u << rng_below(s, 16)));
	default:
		return allowed_ops[rng_below(s, N(allowed_ops))];
	}
}

/* targeted_k - a constant at the boundary of the rule that applies to @op. */
static uint32_t targeted_k(uint64_t *s, uint16_t op, size_t pc, size_t n)
{
	switch (op) {
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		return 30 + rng_below(s, 4); /* 30..33 */
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_K:
		return rng_below(s, 2);
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		/* Mostly a few low slots, so that reads meet writes; sometimes the edge. */
		return rng_below(s, 4) ? rng_below(s, 4) : 14 + rng_below(s, 4);
	case BPF_JMP | BPF_JA:
		return (uint32_t)(n - pc) - 3 + rng_below(s, 4); /* the last targets, and past */
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
		return rng_below(s, 4) ? AD(rng_below(s, SKF_AD_MAX + 8)) : AD(0) - rng_below(s, 3);
	default:
		return rng_below(s, 20);
	}
}

/* random_k - a constant near a boundary of @op's rule, or anything at all. */
static uint32_t random_k(uint64_t *s, uint16_t op, size_t pc, size_t n)
{
	switch (rng_below(s, 4)) {
	case 0:
		return 0xffffffff - rng_below(s, 4);
	case 1:
		return (uint32_t)rng_next(s);
	default:
		return targeted_k(s, op, pc, n);
	}
}

static rn_bpf_raw_instruction random_insn(uint64_t *s, size_t pc, size_t n)
{
	rn_bpf_raw_instruction r = { .op = random_op(s) };
	uint32_t room = (uint32_t)(n - pc);

	r.k = random_k(s, r.op, pc, n);

	r.jt = (uint8_t)(rng_below(s, 4) ? rng_below(s, room + 1) : rng_below(s, 256));
	r.jf = (uint8_t)(rng_below(s, 4) ? rng_below(s, room + 1) : rng_below(s, 256));
	return r;
}

/* mutate - one random edit of @p (length *@n, room MAX_MUTANT). */
static void mutate(uint64_t *s, rn_bpf_raw_instruction *p, size_t *n)
{
	size_t at = rng_below(s, (uint32_t)*n);
	rn_bpf_raw_instruction r = random_insn(s, at, *n);

	switch (rng_below(s, 9)) {
	case 0:
		p[at].op = r.op;
		break;
	case 1:
	case 2:
		p[at].k = random_k(s, p[at].op, at, *n);
		break;
	case 3:
		p[at].jt = r.jt;
		break;
	case 4:
		p[at].jf = r.jf;
		break;
	case 5:
		p[at] = r;
		break;
	case 6: /* insert */
		if (*n < MAX_MUTANT) {
			memmove(&p[at + 1], &p[at], (*n - at) * sizeof(*p));
			p[at] = r;
			(*n)++;
		}
		break;
	case 7: /* delete (an empty program is a mutant too) */
		memmove(&p[at], &p[at + 1], (*n - at - 1) * sizeof(*p));
		(*n)--;
		break;
	default: /* swap */
		{
			size_t to = rng_below(s, (uint32_t)*n);
			rn_bpf_raw_instruction t = p[at];

			p[at] = p[to];
			p[to] = t;
		}
		break;
	}
}

struct base {
	const rn_bpf_raw_instruction *p;
	size_t n;
};

START_TEST(test_mutants_agree_with_kernel)
{
	static const struct base bases[] = {
		{ udp53, N(udp53) }, { scratch, N(scratch) }, { every_op, N(every_op) },
	};
	enum { MUTANTS = 4000 };
	uint64_t seed = 0x5eed0fb9f11e7e55ULL;
	int fd = udp_socket(), accepts = 0, refusals = 0, nomem = 0;

	for (int m = 0; m < MUTANTS; m++) {
		const struct base *b = &bases[m % N(bases)];
		rn_bpf_raw_instruction p[MAX_MUTANT];
		size_t n = b->n;
		int edits = 1 + (int)rng_below(&seed, 3), ours, theirs;
		long bad = 77;

		memcpy(p, b->p, n * sizeof(*p));
		for (int e = 0; e < edits && n > 0; e++)
			mutate(&seed, p, &n);
		ours = rn_bpf_check(p, n, &bad);
		theirs = kernel_attach(fd, p, n);
		if (theirs == ENOMEM) {
			nomem++; /* over net.core.optmem_max after conversion: not a check */
			continue;
		}
		ck_assert_msg(theirs == 0 || theirs == EINVAL, "mutant %d: errno %d", m, theirs);
		ck_assert_msg((ours == 0) == (theirs == 0),
			      "mutant %d (%zu insns): rn_bpf_check %d (%s), kernel %d", m, n, ours,
			      ours ? last_error() : "ok", theirs);
		ck_assert(ours == 0 ? bad == -1 : bad >= -1 && bad < (long)n);
		if (ours == 0)
			accepts++;
		else
			refusals++;
	}
	close(fd);
	/* Both verdicts must be well represented for the agreement to mean much. */
	ck_assert_msg(accepts > MUTANTS / 10 && refusals > MUTANTS / 10,
		      "accepted %d, refused %d, ENOMEM %d", accepts, refusals, nomem);
	ck_assert_int_eq(nomem, 0);
}
END_TEST

static Suite *bpf_check_suite(void)
{
	Suite *s = suite_create("bpf_check");
	TCase *tc;

	tc = tu_tcase("valid");
	tcase_add_test(tc, test_valid_programs);
	tcase_add_test(tc, test_every_opcode);
	tcase_add_test(tc, test_every_ancillary_load);
	tcase_add_test(tc, test_longest_program);
	suite_add_tcase(s, tc);

	tc = tu_tcase("rules");
	tcase_add_test(tc, test_empty_program);
	tcase_add_test(tc, test_unknown_opcodes);
	tcase_add_test(tc, test_constant_division_by_zero);
	tcase_add_test(tc, test_shift_constants);
	tcase_add_test(tc, test_scratch_slot_range);
	tcase_add_test(tc, test_jump_bounds);
	tcase_add_test(tc, test_unknown_ancillary);
	tcase_add_test(tc, test_last_not_return);
	tcase_add_test(tc, test_scratch_read_before_write);
	tcase_add_test(tc, test_first_offence_named);
	suite_add_tcase(s, tc);

	tc = tu_tcase("kernel");
	tcase_add_test(tc, test_mutants_agree_with_kernel);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(bpf_check_suite());
}
