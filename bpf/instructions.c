/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf/instructions.c - x/net/bpf's instruction layer: Instruction.Assemble,
 * Assemble, RawInstruction.Disassemble, Disassemble and the String forms.
 *
 * Go's typed fields are narrower than the C ints that hold them: Register,
 * ALUOp and JumpTest are uint16 in Go, so those fields are taken modulo
 * 2^16 (a Dst of -1 behaves as Go's 0xffff).  Size, N and Extension are Go
 * ints and are used as they are.
 *
 * Go prints what it cannot render with "unknown instruction: %#v".  The C
 * rendering of %#v follows Go's: "bpf.<Type>{Field:value, ...}", unsigned
 * fields in hex with 0x (0 is "0x0"), signed ones in decimal.  Cases Go
 * cannot reach get the nearest Go spelling:
 *   - RN_BPF_RAW (Go's RawInstruction has no String):
 *     "unknown instruction: bpf.RawInstruction{Op:0x28, Jt:0x0, Jf:0x0, K:0xc}";
 *   - a kind outside rn_bpf_kind: Go's test-local InvalidInstruction,
 *     "unknown instruction: bpf.InvalidInstruction{}" (and its Assemble
 *     error "Invalid Instruction");
 *   - a NULL instruction: "<nil>", as fmt prints a nil Instruction.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringnet/bpf.h>

#include "api/errors.h"
#include "bpf/opcodes.h"

void rn_bpf_program_free(rn_bpf_program *p)
{
	if (!p)
		return;
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* ---- assembling ------------------------------------------------------------ */

/* Register, ALUOp and JumpTest are uint16 in Go: a C int field is taken mod 2^16. */
static unsigned int u16(int v)
{
	return (uint16_t)v;
}

/* bpf_errorf - record Go's fmt.Errorf text as -EINVAL. */
__attribute__((format(printf, 1, 2))) static int bpf_errorf(const char *fmt, ...)
{
	char text[RN_ERR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return rni_err_text(-EINVAL, text);
}

static rn_bpf_raw_instruction raw_of(unsigned int op, uint32_t k)
{
	rn_bpf_raw_instruction r = { .op = (uint16_t)op, .jt = 0, .jf = 0, .k = k };

	return r;
}

/* assembleLoad: a load of @size bytes into register @dst. */
static int assemble_load(int dst, int size, unsigned int mode, uint32_t k,
			 rn_bpf_raw_instruction *out)
{
	unsigned int cls, sz;

	switch (u16(dst)) {
	case RN_BPF_REG_A:
		cls = RNB_CLS_LOAD_A;
		break;
	case RN_BPF_REG_X:
		cls = RNB_CLS_LOAD_X;
		break;
	default:
		return bpf_errorf("invalid target register %u", u16(dst));
	}
	switch (size) {
	case 1:
		sz = RNB_LOAD_WIDTH_1;
		break;
	case 2:
		sz = RNB_LOAD_WIDTH_2;
		break;
	case 4:
		sz = RNB_LOAD_WIDTH_4;
		break;
	default:
		/* Go formats its still-zero width variable, not the size. */
		return bpf_errorf("invalid load byte length %d", 0);
	}
	*out = raw_of(cls | sz | mode, k);
	return 0;
}

static int check_scratch(int n)
{
	if (n < 0 || n >= RNB_SCRATCH_SLOTS)
		return bpf_errorf("invalid scratch slot %d", n);
	return 0;
}

static int assemble_store(int src, int n, rn_bpf_raw_instruction *out)
{
	int err = check_scratch(n);

	if (err)
		return err;
	switch (u16(src)) {
	case RN_BPF_REG_A:
		*out = raw_of(RNB_CLS_STORE_A, (uint32_t)n);
		return 0;
	case RN_BPF_REG_X:
		*out = raw_of(RNB_CLS_STORE_X, (uint32_t)n);
		return 0;
	default:
		return bpf_errorf("invalid source register %u", u16(src));
	}
}

static int assemble_extension(int num, rn_bpf_raw_instruction *out)
{
	if (num == RN_BPF_EXT_LEN)
		return assemble_load(RN_BPF_REG_A, 4, RNB_MODE_PACKET_LEN, 0, out);
	/* uint32(extOffset + Num): wraps exactly as unsigned arithmetic does. */
	return assemble_load(RN_BPF_REG_A, 4, RNB_MODE_ABSOLUTE, (uint32_t)num - RNB_EXT_OFFSET,
			     out);
}

/* jumpToRaw: the negated tests are the opposite opcode with swapped targets. */
static int assemble_jump(int test, unsigned int operand, uint32_t k, uint8_t skip_true,
			 uint8_t skip_false, rn_bpf_raw_instruction *out)
{
	unsigned int cond;
	bool flip = false;

	switch (u16(test)) {
	case RN_BPF_JUMP_EQUAL:
		cond = RNB_JUMP_EQUAL;
		break;
	case RN_BPF_JUMP_NOT_EQUAL:
		cond = RNB_JUMP_EQUAL;
		flip = true;
		break;
	case RN_BPF_JUMP_GREATER_THAN:
		cond = RNB_JUMP_GT;
		break;
	case RN_BPF_JUMP_LESS_THAN:
		cond = RNB_JUMP_GE;
		flip = true;
		break;
	case RN_BPF_JUMP_GREATER_OR_EQUAL:
		cond = RNB_JUMP_GE;
		break;
	case RN_BPF_JUMP_LESS_OR_EQUAL:
		cond = RNB_JUMP_GT;
		flip = true;
		break;
	case RN_BPF_JUMP_BITS_SET:
		cond = RNB_JUMP_SET;
		break;
	case RN_BPF_JUMP_BITS_NOT_SET:
		cond = RNB_JUMP_SET;
		flip = true;
		break;
	default:
		return bpf_errorf("unknown JumpTest %u", u16(test));
	}
	*out = raw_of(RNB_CLS_JUMP | cond | operand, k);
	out->jt = flip ? skip_false : skip_true;
	out->jf = flip ? skip_true : skip_false;
	return 0;
}

int rn_bpf_instruction_assemble(const rn_bpf_instruction *i, rn_bpf_raw_instruction *out)
{
	int err;

	if (!i || !out)
		return rni_err_einval("NULL instruction");
	switch (i->kind) {
	case RN_BPF_RAW:
		*out = i->u.raw;
		return 0;
	case RN_BPF_LOAD_CONSTANT:
		return assemble_load(i->u.load_constant.dst, 4, RNB_MODE_IMMEDIATE,
				     i->u.load_constant.val, out);
	case RN_BPF_LOAD_SCRATCH:
		err = check_scratch(i->u.load_scratch.n);
		if (err)
			return err;
		return assemble_load(i->u.load_scratch.dst, 4, RNB_MODE_SCRATCH,
				     (uint32_t)i->u.load_scratch.n, out);
	case RN_BPF_LOAD_ABSOLUTE:
		return assemble_load(RN_BPF_REG_A, i->u.load_absolute.size, RNB_MODE_ABSOLUTE,
				     i->u.load_absolute.off, out);
	case RN_BPF_LOAD_INDIRECT:
		return assemble_load(RN_BPF_REG_A, i->u.load_indirect.size, RNB_MODE_INDIRECT,
				     i->u.load_indirect.off, out);
	case RN_BPF_LOAD_MEM_SHIFT:
		return assemble_load(RN_BPF_REG_X, 1, RNB_MODE_MEM_SHIFT, i->u.load_mem_shift.off,
				     out);
	case RN_BPF_LOAD_EXTENSION:
		return assemble_extension(i->u.load_extension.num, out);
	case RN_BPF_STORE_SCRATCH:
		return assemble_store(i->u.store_scratch.src, i->u.store_scratch.n, out);
	case RN_BPF_ALU_OP_CONSTANT:
		/* Go does not validate the operator: it is or-ed in as given. */
		*out = raw_of(RNB_CLS_ALU | RNB_OPERAND_CONSTANT | u16(i->u.alu_op_constant.op),
			      i->u.alu_op_constant.val);
		return 0;
	case RN_BPF_ALU_OP_X:
		*out = raw_of(RNB_CLS_ALU | RNB_OPERAND_X | u16(i->u.alu_op_x.op), 0);
		return 0;
	case RN_BPF_NEGATE_A:
		*out = raw_of(RNB_CLS_ALU | RNB_ALU_NEG, 0);
		return 0;
	case RN_BPF_JUMP:
		*out = raw_of(RNB_CLS_JUMP | RNB_JUMP_ALWAYS, i->u.jump.skip);
		return 0;
	case RN_BPF_JUMP_IF:
		return assemble_jump(i->u.jump_if.cond, RNB_OPERAND_CONSTANT, i->u.jump_if.val,
				     i->u.jump_if.skip_true, i->u.jump_if.skip_false, out);
	case RN_BPF_JUMP_IF_X:
		return assemble_jump(i->u.jump_if_x.cond, RNB_OPERAND_X, 0,
				     i->u.jump_if_x.skip_true, i->u.jump_if_x.skip_false, out);
	case RN_BPF_RET_A:
		*out = raw_of(RNB_CLS_RETURN | RNB_RET_SRC_A, 0);
		return 0;
	case RN_BPF_RET_CONSTANT:
		*out = raw_of(RNB_CLS_RETURN | RNB_RET_SRC_CONSTANT, i->u.ret_constant.val);
		return 0;
	case RN_BPF_TXA:
		*out = raw_of(RNB_CLS_MISC | RNB_MISC_TXA, 0);
		return 0;
	case RN_BPF_TAX:
		*out = raw_of(RNB_CLS_MISC | RNB_MISC_TAX, 0);
		return 0;
	}
	/* Not one of Go's types: fail as Go's test-local InvalidInstruction does. */
	return rni_err_text(-EINVAL, "Invalid Instruction");
}

int rn_bpf_assemble(const rn_bpf_instruction *in, size_t n, rn_bpf_raw_instruction *out)
{
	char inner[RN_ERR_TEXT_MAX];

	if (n && (!in || !out))
		return rni_err_einval("NULL program");
	for (size_t i = 0; i < n; i++) {
		if (rn_bpf_instruction_assemble(&in[i], &out[i]) == 0)
			continue;
		/* The inner text is copied out before the slot is rewritten. */
		snprintf(inner, sizeof(inner), "%s", rni_err_slot()->err);
		return bpf_errorf("assembling instruction %zu: %s", i + 1, inner);
	}
	return 0;
}

/* ---- disassembling --------------------------------------------------------- */

static rn_bpf_instruction insn_of(rn_bpf_kind kind)
{
	rn_bpf_instruction i;

	/* Zeroed so that unused union bytes compare equal with memcmp. */
	memset(&i, 0, sizeof(i));
	i.kind = kind;
	return i;
}

static rn_bpf_instruction raw_insn(const rn_bpf_raw_instruction *raw)
{
	rn_bpf_instruction i = insn_of(RN_BPF_RAW);

	i.u.raw = *raw;
	return i;
}

static int load_width(unsigned int op)
{
	switch (op & RNB_LOAD_WIDTH_MASK) {
	case RNB_LOAD_WIDTH_4:
		return 4;
	case RNB_LOAD_WIDTH_2:
		return 2;
	case RNB_LOAD_WIDTH_1:
		return 1;
	default:
		return 0;
	}
}

static rn_bpf_instruction disassemble_load(const rn_bpf_raw_instruction *raw)
{
	int reg = raw->op & RNB_LOAD_DEST_MASK, sz = load_width(raw->op);
	rn_bpf_instruction i;

	if (!sz)
		return raw_insn(raw);
	switch (raw->op & RNB_LOAD_MODE_MASK) {
	case RNB_MODE_IMMEDIATE:
		if (sz != 4)
			return raw_insn(raw);
		i = insn_of(RN_BPF_LOAD_CONSTANT);
		i.u.load_constant.dst = reg;
		i.u.load_constant.val = raw->k;
		return i;
	case RNB_MODE_SCRATCH:
		if (sz != 4 || raw->k >= RNB_SCRATCH_SLOTS)
			return raw_insn(raw);
		i = insn_of(RN_BPF_LOAD_SCRATCH);
		i.u.load_scratch.dst = reg;
		i.u.load_scratch.n = (int)raw->k;
		return i;
	case RNB_MODE_ABSOLUTE:
		/* Go checks the extension range before, and regardless of, the width. */
		if (raw->k >= RNB_EXT_MIN_K) {
			i = insn_of(RN_BPF_LOAD_EXTENSION);
			i.u.load_extension.num = (int)(raw->k + RNB_EXT_OFFSET);
			return i;
		}
		i = insn_of(RN_BPF_LOAD_ABSOLUTE);
		i.u.load_absolute.size = sz;
		i.u.load_absolute.off = raw->k;
		return i;
	case RNB_MODE_INDIRECT:
		i = insn_of(RN_BPF_LOAD_INDIRECT);
		i.u.load_indirect.size = sz;
		i.u.load_indirect.off = raw->k;
		return i;
	case RNB_MODE_PACKET_LEN:
		if (sz != 4)
			return raw_insn(raw);
		i = insn_of(RN_BPF_LOAD_EXTENSION);
		i.u.load_extension.num = RN_BPF_EXT_LEN;
		return i;
	case RNB_MODE_MEM_SHIFT:
		i = insn_of(RN_BPF_LOAD_MEM_SHIFT);
		i.u.load_mem_shift.off = raw->k;
		return i;
	default:
		return raw_insn(raw);
	}
}

static rn_bpf_instruction disassemble_store(const rn_bpf_raw_instruction *raw, int src)
{
	unsigned int cls = src == RN_BPF_REG_A ? RNB_CLS_STORE_A : RNB_CLS_STORE_X;
	rn_bpf_instruction i;

	/* Any bit besides the class makes it something Go does not know. */
	if (raw->op != cls || raw->k >= RNB_SCRATCH_SLOTS)
		return raw_insn(raw);
	i = insn_of(RN_BPF_STORE_SCRATCH);
	i.u.store_scratch.src = src;
	i.u.store_scratch.n = (int)raw->k;
	return i;
}

static rn_bpf_instruction disassemble_alu(const rn_bpf_raw_instruction *raw)
{
	unsigned int op = raw->op & RNB_OPERATOR_MASK;
	rn_bpf_instruction i;

	switch (op) {
	case RN_BPF_ALU_ADD:
	case RN_BPF_ALU_SUB:
	case RN_BPF_ALU_MUL:
	case RN_BPF_ALU_DIV:
	case RN_BPF_ALU_OR:
	case RN_BPF_ALU_AND:
	case RN_BPF_ALU_SHIFT_LEFT:
	case RN_BPF_ALU_SHIFT_RIGHT:
	case RN_BPF_ALU_MOD:
	case RN_BPF_ALU_XOR:
		if ((raw->op & RNB_OPERAND_MASK) == RNB_OPERAND_X) {
			i = insn_of(RN_BPF_ALU_OP_X);
			i.u.alu_op_x.op = (int)op;
			return i;
		}
		i = insn_of(RN_BPF_ALU_OP_CONSTANT);
		i.u.alu_op_constant.op = (int)op;
		i.u.alu_op_constant.val = raw->k;
		return i;
	case RNB_ALU_NEG:
		return insn_of(RN_BPF_NEGATE_A);
	default:
		return raw_insn(raw);
	}
}

/*
 * jumpOpToTest: a jump whose true target is 0 reads back as the negated
 * test (golang/go#18470), so that Assemble -> Disassemble is the identity.
 */
static void jump_op_to_test(unsigned int op, uint8_t jt, uint8_t jf, int *test,
			    uint8_t *skip_true, uint8_t *skip_false)
{
	bool negate = jt == 0;

	switch (op) {
	case RNB_JUMP_EQUAL:
		*test = negate ? RN_BPF_JUMP_NOT_EQUAL : RN_BPF_JUMP_EQUAL;
		break;
	case RNB_JUMP_GT:
		*test = negate ? RN_BPF_JUMP_LESS_OR_EQUAL : RN_BPF_JUMP_GREATER_THAN;
		break;
	case RNB_JUMP_GE:
		*test = negate ? RN_BPF_JUMP_LESS_THAN : RN_BPF_JUMP_GREATER_OR_EQUAL;
		break;
	default: /* RNB_JUMP_SET */
		*test = negate ? RN_BPF_JUMP_BITS_NOT_SET : RN_BPF_JUMP_BITS_SET;
		break;
	}
	*skip_true = negate ? jf : jt;
	*skip_false = negate ? 0 : jf;
}

static rn_bpf_instruction disassemble_jump(const rn_bpf_raw_instruction *raw)
{
	unsigned int op = raw->op & RNB_OPERATOR_MASK;
	rn_bpf_instruction i;

	switch (op) {
	case RNB_JUMP_ALWAYS:
		i = insn_of(RN_BPF_JUMP);
		i.u.jump.skip = raw->k;
		return i;
	case RNB_JUMP_EQUAL:
	case RNB_JUMP_GT:
	case RNB_JUMP_GE:
	case RNB_JUMP_SET:
		if ((raw->op & RNB_OPERAND_MASK) == RNB_OPERAND_X) {
			i = insn_of(RN_BPF_JUMP_IF_X);
			jump_op_to_test(op, raw->jt, raw->jf, &i.u.jump_if_x.cond,
					&i.u.jump_if_x.skip_true, &i.u.jump_if_x.skip_false);
			return i;
		}
		i = insn_of(RN_BPF_JUMP_IF);
		jump_op_to_test(op, raw->jt, raw->jf, &i.u.jump_if.cond, &i.u.jump_if.skip_true,
				&i.u.jump_if.skip_false);
		i.u.jump_if.val = raw->k;
		return i;
	default:
		return raw_insn(raw);
	}
}

static rn_bpf_instruction disassemble_return(const rn_bpf_raw_instruction *raw)
{
	rn_bpf_instruction i;

	switch (raw->op) {
	case RNB_CLS_RETURN | RNB_RET_SRC_A:
		return insn_of(RN_BPF_RET_A);
	case RNB_CLS_RETURN | RNB_RET_SRC_CONSTANT:
		i = insn_of(RN_BPF_RET_CONSTANT);
		i.u.ret_constant.val = raw->k;
		return i;
	default:
		return raw_insn(raw);
	}
}

static rn_bpf_instruction disassemble_misc(const rn_bpf_raw_instruction *raw)
{
	switch (raw->op) {
	case RNB_CLS_MISC | RNB_MISC_TAX:
		return insn_of(RN_BPF_TAX);
	case RNB_CLS_MISC | RNB_MISC_TXA:
		return insn_of(RN_BPF_TXA);
	default:
		return raw_insn(raw);
	}
}

rn_bpf_instruction rn_bpf_raw_disassemble(const rn_bpf_raw_instruction *raw)
{
	static const rn_bpf_raw_instruction zero;

	if (!raw)
		return raw_insn(&zero);
	switch (raw->op & RNB_CLS_MASK) {
	case RNB_CLS_LOAD_A:
	case RNB_CLS_LOAD_X:
		return disassemble_load(raw);
	case RNB_CLS_STORE_A:
		return disassemble_store(raw, RN_BPF_REG_A);
	case RNB_CLS_STORE_X:
		return disassemble_store(raw, RN_BPF_REG_X);
	case RNB_CLS_ALU:
		return disassemble_alu(raw);
	case RNB_CLS_JUMP:
		return disassemble_jump(raw);
	case RNB_CLS_RETURN:
		return disassemble_return(raw);
	default: /* RNB_CLS_MISC: the switch covers all eight classes */
		return disassemble_misc(raw);
	}
}

bool rn_bpf_disassemble(const rn_bpf_raw_instruction *raw, size_t n, rn_bpf_instruction *out)
{
	bool all_decoded = true;

	if (n && (!raw || !out))
		return false;
	for (size_t i = 0; i < n; i++) {
		out[i] = rn_bpf_raw_disassemble(&raw[i]);
		if (out[i].kind == RN_BPF_RAW)
			all_decoded = false;
	}
	return all_decoded;
}

/* ---- String ---------------------------------------------------------------- */

#define UNKNOWN "unknown instruction: "

static const char *extension_name(int num)
{
	switch (num) {
	case RN_BPF_EXT_LEN: return "len";
	case RN_BPF_EXT_PROTO: return "proto";
	case RN_BPF_EXT_TYPE: return "type";
	case RN_BPF_EXT_PAYLOAD_OFFSET: return "poff";
	case RN_BPF_EXT_INTERFACE_INDEX: return "ifidx";
	case RN_BPF_EXT_NETLINK_ATTR: return "nla";
	case RN_BPF_EXT_NETLINK_ATTR_NESTED: return "nlan";
	case RN_BPF_EXT_MARK: return "mark";
	case RN_BPF_EXT_QUEUE: return "queue";
	case RN_BPF_EXT_LINK_LAYER_TYPE: return "hatype";
	case RN_BPF_EXT_RX_HASH: return "rxhash";
	case RN_BPF_EXT_CPU_ID: return "cpu";
	case RN_BPF_EXT_VLAN_TAG: return "vlan_tci";
	case RN_BPF_EXT_VLAN_TAG_PRESENT: return "vlan_avail";
	case RN_BPF_EXT_VLAN_PROTO: return "vlan_tpid";
	case RN_BPF_EXT_RAND: return "rand";
	default: return NULL;
	}
}

static int extension_string(int num, char *buf, size_t size)
{
	const char *name = extension_name(num);

	if (!name)
		return snprintf(buf, size, UNKNOWN "bpf.LoadExtension{Num:%d}", num);
	return snprintf(buf, size, "ld #%s", name);
}

static const char *alu_name(unsigned int op)
{
	switch (op) {
	case RN_BPF_ALU_ADD: return "add";
	case RN_BPF_ALU_SUB: return "sub";
	case RN_BPF_ALU_MUL: return "mul";
	case RN_BPF_ALU_DIV: return "div";
	case RN_BPF_ALU_MOD: return "mod";
	case RN_BPF_ALU_AND: return "and";
	case RN_BPF_ALU_OR: return "or";
	case RN_BPF_ALU_XOR: return "xor";
	case RN_BPF_ALU_SHIFT_LEFT: return "lsh";
	case RN_BPF_ALU_SHIFT_RIGHT: return "rsh";
	default: return NULL;
	}
}

/* A load's mnemonic for a width of @size bytes; NULL for Go's unknown sizes. */
static const char *load_name(int size)
{
	switch (size) {
	case 1: return "ldb";
	case 2: return "ldh";
	case 4: return "ld";
	default: return NULL;
	}
}

static int load_absolute_string(uint32_t off, int size, char *buf, size_t size_buf)
{
	const char *name = load_name(size);

	if (!name)
		return snprintf(buf, size_buf,
				UNKNOWN "bpf.LoadAbsolute{Off:0x%" PRIx32 ", Size:%d}", off, size);
	/* A word load at an extension offset reads back as the extension. */
	if (size == 4 && off >= RNB_EXT_MIN_K)
		return extension_string((int)(off + RNB_EXT_OFFSET), buf, size_buf);
	return snprintf(buf, size_buf, "%s [%" PRIu32 "]", name, off);
}

static int load_indirect_string(uint32_t off, int size, char *buf, size_t size_buf)
{
	const char *name = load_name(size);

	if (!name)
		return snprintf(buf, size_buf,
				UNKNOWN "bpf.LoadIndirect{Off:0x%" PRIx32 ", Size:%d}", off, size);
	return snprintf(buf, size_buf, "%s [x + %" PRIu32 "]", name, off);
}

/* conditionalJump: with no true target the negative mnemonic takes the false one. */
static int conditional_jump(const char *operand, uint8_t skip_true, uint8_t skip_false,
			    const char *positive, const char *negative, char *buf, size_t size)
{
	if (skip_true > 0) {
		if (skip_false > 0)
			return snprintf(buf, size, "%s %s,%u,%u", positive, operand, skip_true,
					skip_false);
		return snprintf(buf, size, "%s %s,%u", positive, operand, skip_true);
	}
	return snprintf(buf, size, "%s %s,%u", negative, operand, skip_false);
}

/* jumpToString. */
static int jump_string(int cond, const char *operand, uint8_t skip_true, uint8_t skip_false,
		       char *buf, size_t size)
{
	switch (u16(cond)) {
	case RN_BPF_JUMP_EQUAL:
		return conditional_jump(operand, skip_true, skip_false, "jeq", "jneq", buf, size);
	case RN_BPF_JUMP_NOT_EQUAL:
		return snprintf(buf, size, "jneq %s,%u", operand, skip_true);
	case RN_BPF_JUMP_GREATER_THAN:
		return conditional_jump(operand, skip_true, skip_false, "jgt", "jle", buf, size);
	case RN_BPF_JUMP_LESS_THAN:
		return snprintf(buf, size, "jlt %s,%u", operand, skip_true);
	case RN_BPF_JUMP_GREATER_OR_EQUAL:
		return conditional_jump(operand, skip_true, skip_false, "jge", "jlt", buf, size);
	case RN_BPF_JUMP_LESS_OR_EQUAL:
		return snprintf(buf, size, "jle %s,%u", operand, skip_true);
	case RN_BPF_JUMP_BITS_SET:
		if (skip_false > 0)
			return snprintf(buf, size, "jset %s,%u,%u", operand, skip_true, skip_false);
		return snprintf(buf, size, "jset %s,%u", operand, skip_true);
	case RN_BPF_JUMP_BITS_NOT_SET:
		/* No mnemonic of its own: jset with the targets swapped. */
		return jump_string(RN_BPF_JUMP_BITS_SET, operand, skip_false, skip_true, buf, size);
	default:
		return snprintf(buf, size, "unknown JumpTest 0x%x", u16(cond));
	}
}

/* Register is uint16 in Go; "" and "x" are the A and X forms of a mnemonic. */
static const char *register_suffix(int reg)
{
	switch (u16(reg)) {
	case RN_BPF_REG_A:
		return "";
	case RN_BPF_REG_X:
		return "x";
	default:
		return NULL;
	}
}

/* The forms that depend on a register: ld/ldx #k, ld/ldx M[n], st/stx M[n]. */
static int register_insn_string(const rn_bpf_instruction *i, char *buf, size_t size)
{
	const char *x;

	switch (i->kind) {
	case RN_BPF_LOAD_CONSTANT:
		x = register_suffix(i->u.load_constant.dst);
		if (x)
			return snprintf(buf, size, "ld%s #%" PRIu32, x, i->u.load_constant.val);
		return snprintf(buf, size, UNKNOWN "bpf.LoadConstant{Dst:0x%x, Val:0x%" PRIx32 "}",
				u16(i->u.load_constant.dst), i->u.load_constant.val);
	case RN_BPF_LOAD_SCRATCH:
		x = register_suffix(i->u.load_scratch.dst);
		if (x)
			return snprintf(buf, size, "ld%s M[%d]", x, i->u.load_scratch.n);
		return snprintf(buf, size, UNKNOWN "bpf.LoadScratch{Dst:0x%x, N:%d}",
				u16(i->u.load_scratch.dst), i->u.load_scratch.n);
	default: /* RN_BPF_STORE_SCRATCH */
		x = register_suffix(i->u.store_scratch.src);
		if (x)
			return snprintf(buf, size, "st%s M[%d]", x, i->u.store_scratch.n);
		return snprintf(buf, size, UNKNOWN "bpf.StoreScratch{Src:0x%x, N:%d}",
				u16(i->u.store_scratch.src), i->u.store_scratch.n);
	}
}

static int alu_string(const rn_bpf_instruction *i, char *buf, size_t size)
{
	const char *name;

	if (i->kind == RN_BPF_ALU_OP_X) {
		name = alu_name(u16(i->u.alu_op_x.op));
		if (!name)
			return snprintf(buf, size, UNKNOWN "bpf.ALUOpX{Op:0x%x}",
					u16(i->u.alu_op_x.op));
		return snprintf(buf, size, "%s x", name);
	}
	name = alu_name(u16(i->u.alu_op_constant.op));
	if (!name)
		return snprintf(buf, size, UNKNOWN "bpf.ALUOpConstant{Op:0x%x, Val:0x%" PRIx32 "}",
				u16(i->u.alu_op_constant.op), i->u.alu_op_constant.val);
	return snprintf(buf, size, "%s #%" PRIu32, name, i->u.alu_op_constant.val);
}

static int raw_string(const rn_bpf_raw_instruction *r, char *buf, size_t size)
{
	return snprintf(buf, size,
			UNKNOWN "bpf.RawInstruction{Op:0x%x, Jt:0x%x, Jf:0x%x, K:0x%" PRIx32 "}",
			(unsigned int)r->op, (unsigned int)r->jt, (unsigned int)r->jf, r->k);
}

int rn_bpf_instruction_string(const rn_bpf_instruction *i, char *buf, size_t size)
{
	char val[16];

	if (!i)
		return snprintf(buf, size, "<nil>");
	switch (i->kind) {
	case RN_BPF_RAW:
		return raw_string(&i->u.raw, buf, size);
	case RN_BPF_LOAD_CONSTANT:
	case RN_BPF_LOAD_SCRATCH:
	case RN_BPF_STORE_SCRATCH:
		return register_insn_string(i, buf, size);
	case RN_BPF_LOAD_ABSOLUTE:
		return load_absolute_string(i->u.load_absolute.off, i->u.load_absolute.size, buf,
					    size);
	case RN_BPF_LOAD_INDIRECT:
		return load_indirect_string(i->u.load_indirect.off, i->u.load_indirect.size, buf,
					    size);
	case RN_BPF_LOAD_MEM_SHIFT:
		return snprintf(buf, size, "ldx 4*([%" PRIu32 "]&0xf)", i->u.load_mem_shift.off);
	case RN_BPF_LOAD_EXTENSION:
		return extension_string(i->u.load_extension.num, buf, size);
	case RN_BPF_ALU_OP_CONSTANT:
	case RN_BPF_ALU_OP_X:
		return alu_string(i, buf, size);
	case RN_BPF_NEGATE_A:
		return snprintf(buf, size, "neg");
	case RN_BPF_JUMP:
		return snprintf(buf, size, "ja %" PRIu32, i->u.jump.skip);
	case RN_BPF_JUMP_IF:
		snprintf(val, sizeof(val), "#%" PRIu32, i->u.jump_if.val);
		return jump_string(i->u.jump_if.cond, val, i->u.jump_if.skip_true,
				   i->u.jump_if.skip_false, buf, size);
	case RN_BPF_JUMP_IF_X:
		return jump_string(i->u.jump_if_x.cond, "x", i->u.jump_if_x.skip_true,
				   i->u.jump_if_x.skip_false, buf, size);
	case RN_BPF_RET_A:
		return snprintf(buf, size, "ret a");
	case RN_BPF_RET_CONSTANT:
		return snprintf(buf, size, "ret #%" PRIu32, i->u.ret_constant.val);
	case RN_BPF_TXA:
		return snprintf(buf, size, "txa");
	case RN_BPF_TAX:
		return snprintf(buf, size, "tax");
	}
	return snprintf(buf, size, UNKNOWN "bpf.InvalidInstruction{}");
}
