/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf/vm.c - x/net/bpf's VM (vm.go, vm_instructions.go): NewVM's checks
 * and Run over Go's typed instructions, with Go's results for the cases C
 * would leave undefined (shifts of 32 or more, division by X == 0).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringnet/bpf.h>

#include "api/errors.h"

struct rn_bpf_vm {
	size_t n;
	rn_bpf_instruction filter[]; /* a copy: the caller's array may go away */
};

/* The registers of one Run. */
struct vm_regs {
	uint32_t a;
	uint32_t x;
	uint32_t m[16];
};

/* ---- NewVM ------------------------------------------------------------------ */

/* err_jump - Go's text for a jump past the end; @which: "", " in true case", " in false case". */
static int err_jump(uint64_t skip, const char *which)
{
	char text[RN_ERR_TEXT_MAX];

	snprintf(text, sizeof text, "cannot jump %" PRIu64
		 " instructions%s; jumping past program bounds", skip, which);
	return rni_err_text(-EINVAL, text);
}

/* Go's ALUOp, Register and JumpTest are uint16: the C ints count modulo 2^16. */
static uint16_t go_u16(int v)
{
	return (uint16_t)v;
}

static bool is_div_or_mod(int op)
{
	return go_u16(op) == RN_BPF_ALU_DIV || go_u16(op) == RN_BPF_ALU_MOD;
}

/*
 * check_insn - NewVM's per-instruction checks, for instruction @i of @n:
 * jumps stay inside the program, no constant division or modulus by zero,
 * and ExtLen is the only extension Run knows.
 */
static int check_insn(const rn_bpf_instruction *ins, size_t i, size_t n)
{
	uint64_t room = n - (i + 1); /* instructions after this one */

	switch (ins->kind) {
	case RN_BPF_JUMP:
		if (room <= ins->u.jump.skip)
			return err_jump(ins->u.jump.skip, "");
		break;
	case RN_BPF_JUMP_IF:
	case RN_BPF_JUMP_IF_X: {
		uint8_t t = ins->kind == RN_BPF_JUMP_IF ? ins->u.jump_if.skip_true
							 : ins->u.jump_if_x.skip_true;
		uint8_t f = ins->kind == RN_BPF_JUMP_IF ? ins->u.jump_if.skip_false
							 : ins->u.jump_if_x.skip_false;

		if (room <= t)
			return err_jump(t, " in true case");
		if (room <= f)
			return err_jump(f, " in false case");
		break;
	}
	case RN_BPF_ALU_OP_CONSTANT:
		if (ins->u.alu_op_constant.val == 0 &&
		    is_div_or_mod(ins->u.alu_op_constant.op))
			return rni_err_text(-EINVAL, "cannot divide by zero using ALUOpConstant");
		break;
	case RN_BPF_LOAD_EXTENSION:
		if (ins->u.load_extension.num != RN_BPF_EXT_LEN) {
			char text[RN_ERR_TEXT_MAX];

			snprintf(text, sizeof text, "extension %d not implemented",
				 ins->u.load_extension.num);
			return rni_err_text(-EINVAL, text);
		}
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Go's NewVM also assembles the program, "to ensure it is compatible with
 * an operating system VM"; its error (Assemble's text) fails the call here.
 */
static int check_assembles(const rn_bpf_instruction *filter, size_t n)
{
	rn_bpf_raw_instruction *raw = calloc(n, sizeof(*raw));
	int rc;

	if (raw == NULL)
		return rni_err_errno(ENOMEM, NULL);
	rc = rn_bpf_assemble(filter, n, raw);
	free(raw);
	return rc;
}

rn_bpf_vm *rn_bpf_vm_new(const rn_bpf_instruction *filter, size_t n)
{
	rn_bpf_vm *vm;

	if (n == 0) {
		rni_err_text(-EINVAL, "one or more Instructions must be specified");
		return NULL;
	}
	if (filter == NULL) {
		rni_err_einval("NULL program");
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (check_insn(&filter[i], i, n) < 0)
			return NULL;
	if (filter[n - 1].kind != RN_BPF_RET_A && filter[n - 1].kind != RN_BPF_RET_CONSTANT) {
		rni_err_text(-EINVAL, "BPF program must end with RetA or RetConstant");
		return NULL;
	}
	if (check_assembles(filter, n) < 0)
		return NULL;

	if (n > (SIZE_MAX - sizeof(*vm)) / sizeof(filter[0])) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	vm = malloc(sizeof(*vm) + n * sizeof(filter[0]));
	if (vm == NULL) {
		rni_err_errno(ENOMEM, NULL);
		return NULL;
	}
	vm->n = n;
	memcpy(vm->filter, filter, n * sizeof(filter[0]));
	return vm;
}

void rn_bpf_vm_free(rn_bpf_vm *vm)
{
	free(vm);
}

/* ---- Run ------------------------------------------------------------------- */

/*
 * alu - aluOpCommon.  Go defines every case C does not: a shift by 32 or
 * more gives 0, and an unknown operator leaves A alone.  Division by zero
 * never reaches here (NewVM and alu_x stop it).
 */
static uint32_t alu(int op, uint32_t a, uint32_t v)
{
	switch (go_u16(op)) {
	case RN_BPF_ALU_ADD:
		return a + v;
	case RN_BPF_ALU_SUB:
		return a - v;
	case RN_BPF_ALU_MUL:
		return a * v;
	case RN_BPF_ALU_DIV:
		return a / v;
	case RN_BPF_ALU_OR:
		return a | v;
	case RN_BPF_ALU_AND:
		return a & v;
	case RN_BPF_ALU_SHIFT_LEFT:
		return v >= 32 ? 0 : a << v;
	case RN_BPF_ALU_SHIFT_RIGHT:
		return v >= 32 ? 0 : a >> v;
	case RN_BPF_ALU_MOD:
		return a % v;
	case RN_BPF_ALU_XOR:
		return a ^ v;
	default:
		return a;
	}
}

/* jump_skip - jumpIfCommon: how many instructions to skip.  An unknown test is false. */
static uint32_t jump_skip(int cond, uint8_t t, uint8_t f, uint32_t a, uint32_t v)
{
	bool ok = false;

	switch (go_u16(cond)) {
	case RN_BPF_JUMP_EQUAL:
		ok = a == v;
		break;
	case RN_BPF_JUMP_NOT_EQUAL:
		ok = a != v;
		break;
	case RN_BPF_JUMP_GREATER_THAN:
		ok = a > v;
		break;
	case RN_BPF_JUMP_LESS_THAN:
		ok = a < v;
		break;
	case RN_BPF_JUMP_GREATER_OR_EQUAL:
		ok = a >= v;
		break;
	case RN_BPF_JUMP_LESS_OR_EQUAL:
		ok = a <= v;
		break;
	case RN_BPF_JUMP_BITS_SET:
		ok = (a & v) != 0;
		break;
	case RN_BPF_JUMP_BITS_NOT_SET:
		ok = (a & v) == 0;
		break;
	default:
		break;
	}
	return ok ? t : f;
}

/*
 * load - loadCommon: @size big-endian bytes at @off of the packet.  Go
 * computes the offset in a 64-bit int, so off + size never wraps; false
 * when it runs past the end (the program then returns 0).
 */
static bool load(const uint8_t *in, size_t n, uint64_t off, int size, uint32_t *out)
{
	uint32_t v = 0;

	if (size != 1 && size != 2 && size != 4)
		return false; /* Assemble refused other sizes in NewVM */
	if (off + (uint64_t)size > n)
		return false;
	for (int i = 0; i < size; i++)
		v = v << 8 | in[off + (uint64_t)i];
	*out = v;
	return true;
}

static void set_reg(struct vm_regs *r, int reg, uint32_t v)
{
	if (go_u16(reg) == RN_BPF_REG_A)
		r->a = v;
	else if (go_u16(reg) == RN_BPF_REG_X)
		r->x = v;
}

/* Scratch slots were range-checked by Assemble in NewVM; guard anyway. */
static bool slot_ok(int n)
{
	return n >= 0 && n < 16;
}

static int64_t unknown_insn(size_t i, const char *type)
{
	char text[RN_ERR_TEXT_MAX];

	snprintf(text, sizeof text, "unknown Instruction at index %zu: %s", i, type);
	return rni_err_text(-EINVAL, text);
}

/*
 * step - execute instruction @i (Run's loop body).  Returns 1 to go on
 * with *@next, 0 when the program stops with *@ret (a return, or Go's
 * ok == false which ends the loop and returns 0), or a negative code.
 */
static int step(const rn_bpf_instruction *ins, size_t i, struct vm_regs *r,
		const uint8_t *in, size_t n, size_t *next, int64_t *ret)
{
	uint32_t v;

	*next = i + 1;
	*ret = 0;
	switch (ins->kind) {
	case RN_BPF_ALU_OP_CONSTANT:
		r->a = alu(ins->u.alu_op_constant.op, r->a, ins->u.alu_op_constant.val);
		return 1;
	case RN_BPF_ALU_OP_X:
		/* Division or modulus by X == 0 ends the program, as the kernel's does. */
		if (r->x == 0 && is_div_or_mod(ins->u.alu_op_x.op))
			return 0;
		r->a = alu(ins->u.alu_op_x.op, r->a, r->x);
		return 1;
	case RN_BPF_JUMP:
		*next += ins->u.jump.skip;
		return 1;
	case RN_BPF_JUMP_IF:
		*next += jump_skip(ins->u.jump_if.cond, ins->u.jump_if.skip_true,
				   ins->u.jump_if.skip_false, r->a, ins->u.jump_if.val);
		return 1;
	case RN_BPF_JUMP_IF_X:
		*next += jump_skip(ins->u.jump_if_x.cond, ins->u.jump_if_x.skip_true,
				   ins->u.jump_if_x.skip_false, r->a, r->x);
		return 1;
	case RN_BPF_LOAD_ABSOLUTE:
		if (!load(in, n, ins->u.load_absolute.off, ins->u.load_absolute.size, &r->a))
			return 0;
		return 1;
	case RN_BPF_LOAD_INDIRECT:
		if (!load(in, n, (uint64_t)ins->u.load_indirect.off + r->x,
			  ins->u.load_indirect.size, &r->a))
			return 0;
		return 1;
	case RN_BPF_LOAD_MEM_SHIFT:
		if (!load(in, n, ins->u.load_mem_shift.off, 1, &v))
			return 0;
		r->x = (v & 0x0f) * 4;
		return 1;
	case RN_BPF_LOAD_CONSTANT:
		set_reg(r, ins->u.load_constant.dst, ins->u.load_constant.val);
		return 1;
	case RN_BPF_LOAD_EXTENSION:
		/* NewVM let only ExtLen through; Go's VM works on int-sized lengths. */
		r->a = (uint32_t)n;
		return 1;
	case RN_BPF_LOAD_SCRATCH:
		if (slot_ok(ins->u.load_scratch.n))
			set_reg(r, ins->u.load_scratch.dst, r->m[ins->u.load_scratch.n]);
		return 1;
	case RN_BPF_STORE_SCRATCH:
		if (slot_ok(ins->u.store_scratch.n)) {
			if (go_u16(ins->u.store_scratch.src) == RN_BPF_REG_A)
				r->m[ins->u.store_scratch.n] = r->a;
			else if (go_u16(ins->u.store_scratch.src) == RN_BPF_REG_X)
				r->m[ins->u.store_scratch.n] = r->x;
		}
		return 1;
	case RN_BPF_RET_A:
		*ret = r->a;
		return 0;
	case RN_BPF_RET_CONSTANT:
		*ret = ins->u.ret_constant.val;
		return 0;
	case RN_BPF_TAX:
		r->x = r->a;
		return 1;
	case RN_BPF_TXA:
		r->a = r->x;
		return 1;
	case RN_BPF_NEGATE_A:
		/* Go's Run has no case for NegateA (a TODO there). */
		return (int)unknown_insn(i, "bpf.NegateA");
	case RN_BPF_RAW:
		return (int)unknown_insn(i, "bpf.RawInstruction");
	default:
		return (int)unknown_insn(i, "bpf.Instruction");
	}
}

/*
 * Go's Run returns RetA's or RetConstant's value itself, not clamped to
 * len(in): "The BPF VM should not do this on its own, as other uses of it
 * do not trim the output byte count" (vm_bpf_test.go).
 */
int64_t rn_bpf_vm_run(const rn_bpf_vm *vm, const void *in, size_t n)
{
	struct vm_regs r;
	size_t i = 0;

	if (vm == NULL)
		return rni_err_einval("NULL VM");
	if (in == NULL && n > 0)
		return rni_err_einval("NULL input");
	memset(&r, 0, sizeof r);
	while (i < vm->n) {
		size_t next;
		int64_t ret;
		int rc = step(&vm->filter[i], i, &r, in, n, &next, &ret);

		if (rc <= 0)
			return rc < 0 ? rc : ret;
		i = next;
	}
	return 0;
}
