/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf/check.c - rn_bpf_check: the rules of the kernel's bpf_check_classic
 * (net/core/filter.c), which SO_ATTACH_FILTER applies before it takes a
 * classic program, so a program can be refused with a reason naming the
 * instruction instead of the kernel's bare EINVAL.
 *
 * The kernel checks in this order, and so do we: the length; then each
 * instruction in turn (known opcode, then that opcode's own rule); then
 * that the last is a return; then, over the whole program, that no scratch
 * slot is read before a write on some path to the read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/filter.h>

#include <ringnet/bpf.h>

#include "api/errors.h"
#include "bpf/opcodes.h"

/* Opcodes spelled out, as the kernel's switch statements spell them. */
#define OP(cls, rest) ((uint16_t)((cls) | (rest)))

enum {
	OP_LD_MEM = OP(RNB_CLS_LOAD_A, RNB_MODE_SCRATCH),
	OP_LDX_MEM = OP(RNB_CLS_LOAD_X, RNB_MODE_SCRATCH),
	OP_ST = RNB_CLS_STORE_A,
	OP_STX = RNB_CLS_STORE_X,
	OP_JA = OP(RNB_CLS_JUMP, RNB_JUMP_ALWAYS)
};

/* ---- chk_code_allowed --------------------------------------------------------- */

static bool alu_allowed(uint16_t op)
{
	switch (op & RNB_OPERATOR_MASK) {
	case RN_BPF_ALU_ADD:
	case RN_BPF_ALU_SUB:
	case RN_BPF_ALU_MUL:
	case RN_BPF_ALU_DIV:
	case RN_BPF_ALU_MOD:
	case RN_BPF_ALU_AND:
	case RN_BPF_ALU_OR:
	case RN_BPF_ALU_XOR:
	case RN_BPF_ALU_SHIFT_LEFT:
	case RN_BPF_ALU_SHIFT_RIGHT:
		return (op & ~(RNB_OPERATOR_MASK | RNB_OPERAND_MASK)) == RNB_CLS_ALU;
	case RNB_ALU_NEG:
		return op == (RNB_CLS_ALU | RNB_ALU_NEG); /* no K/X bit */
	default:
		return false;
	}
}

static bool ld_allowed(uint16_t op)
{
	uint16_t size = op & RNB_LOAD_WIDTH_MASK, rest = op & (uint16_t)~RNB_LOAD_WIDTH_MASK;

	switch (rest) {
	case OP(RNB_CLS_LOAD_A, RNB_MODE_ABSOLUTE):
	case OP(RNB_CLS_LOAD_A, RNB_MODE_INDIRECT):
		return size != 0x18;
	case OP(RNB_CLS_LOAD_A, RNB_MODE_PACKET_LEN):
	case OP(RNB_CLS_LOAD_X, RNB_MODE_PACKET_LEN):
	case OP(RNB_CLS_LOAD_A, RNB_MODE_IMMEDIATE):
	case OP(RNB_CLS_LOAD_X, RNB_MODE_IMMEDIATE):
	case OP(RNB_CLS_LOAD_A, RNB_MODE_SCRATCH):
	case OP(RNB_CLS_LOAD_X, RNB_MODE_SCRATCH):
		return size == RNB_LOAD_WIDTH_4; /* the kernel's table lists only BPF_W (0) */
	case OP(RNB_CLS_LOAD_X, RNB_MODE_MEM_SHIFT):
		return size == RNB_LOAD_WIDTH_1;
	default:
		return false;
	}
}

static bool jump_allowed(uint16_t op)
{
	switch (op & RNB_OPERATOR_MASK) {
	case RNB_JUMP_ALWAYS:
		return op == OP_JA; /* no K/X bit */
	case RNB_JUMP_EQUAL:
	case RNB_JUMP_GT:
	case RNB_JUMP_GE:
	case RNB_JUMP_SET:
		return (op & ~(RNB_OPERATOR_MASK | RNB_OPERAND_MASK)) == RNB_CLS_JUMP;
	default:
		return false;
	}
}

/* code_allowed - the kernel's chk_code_allowed table: exactly these codes, no spare bits. */
static bool code_allowed(uint16_t op)
{
	switch (op & RNB_CLS_MASK) {
	case RNB_CLS_LOAD_A:
	case RNB_CLS_LOAD_X:
		return ld_allowed(op);
	case RNB_CLS_STORE_A:
	case RNB_CLS_STORE_X:
		return op == OP_ST || op == OP_STX;
	case RNB_CLS_ALU:
		return alu_allowed(op);
	case RNB_CLS_JUMP:
		return jump_allowed(op);
	case RNB_CLS_RETURN:
		return op == OP(RNB_CLS_RETURN, RNB_RET_SRC_CONSTANT) ||
		       op == OP(RNB_CLS_RETURN, RNB_RET_SRC_A);
	default: /* RNB_CLS_MISC */
		return op == OP(RNB_CLS_MISC, RNB_MISC_TAX) || op == OP(RNB_CLS_MISC, RNB_MISC_TXA);
	}
}

/* ancillary_known - bpf_anc_helper: the SKF_AD_* loads this kernel implements. */
static bool ancillary_known(uint32_t k)
{
	switch ((int32_t)k - SKF_AD_OFF) {
	case SKF_AD_PROTOCOL:
	case SKF_AD_PKTTYPE:
	case SKF_AD_IFINDEX:
	case SKF_AD_NLATTR:
	case SKF_AD_NLATTR_NEST:
	case SKF_AD_MARK:
	case SKF_AD_QUEUE:
	case SKF_AD_HATYPE:
	case SKF_AD_RXHASH:
	case SKF_AD_CPU:
	case SKF_AD_ALU_XOR_X:
	case SKF_AD_VLAN_TAG:
	case SKF_AD_VLAN_TAG_PRESENT:
	case SKF_AD_PAY_OFFSET:
	case SKF_AD_RANDOM:
	case SKF_AD_VLAN_TPID:
		return true;
	default:
		return false;
	}
}

/* ---- naming an instruction ---------------------------------------------------- */

static const char *const alu_names[16] = {
	"add", "sub", "mul", "div", "or", "and", "lsh", "rsh", "neg", "mod", "xor"
};
static const char *const jump_names[16] = { "ja", "jeq", "jgt", "jge", "jset" };

static void fmt_load(const rn_bpf_raw_instruction *p, char *buf, size_t size)
{
	static const char *const ld[4] = { "ld", "ldh", "ldb", "ld?" };
	static const char *const ldx[4] = { "ldx", "ldxh", "ldxb", "ldx?" };
	const char *name = ((p->op & RNB_CLS_MASK) == RNB_CLS_LOAD_A ? ld : ldx)
		[(p->op & RNB_LOAD_WIDTH_MASK) >> 3];

	switch (p->op & RNB_LOAD_MODE_MASK) {
	case RNB_MODE_IMMEDIATE:
		snprintf(buf, size, "%s #%u", name, p->k);
		break;
	case RNB_MODE_ABSOLUTE:
		/* Ancillary and SKF_NET_OFF/SKF_LL_OFF offsets read best signed. */
		snprintf(buf, size, "%s [%d]", name, (int32_t)p->k);
		break;
	case RNB_MODE_INDIRECT:
		snprintf(buf, size, "%s [x+%d]", name, (int32_t)p->k);
		break;
	case RNB_MODE_SCRATCH:
		snprintf(buf, size, "%s M[%u]", name, p->k);
		break;
	case RNB_MODE_PACKET_LEN:
		snprintf(buf, size, "%s #len", name);
		break;
	case RNB_MODE_MEM_SHIFT:
		snprintf(buf, size, "%s 4*([%u]&0xf)", name, p->k);
		break;
	default:
		snprintf(buf, size, "opcode 0x%02x", p->op);
		break;
	}
}

static void fmt_jump(const rn_bpf_raw_instruction *p, char *buf, size_t size)
{
	const char *name = jump_names[(p->op & RNB_OPERATOR_MASK) >> 4];
	char operand[16];

	if (name == NULL) {
		snprintf(buf, size, "opcode 0x%02x", p->op);
		return;
	}
	if ((p->op & RNB_OPERATOR_MASK) == RNB_JUMP_ALWAYS) {
		snprintf(buf, size, "ja +%u", p->k);
		return;
	}
	if (p->op & RNB_OPERAND_X)
		snprintf(operand, sizeof operand, "x");
	else
		snprintf(operand, sizeof operand, "#%u", p->k);
	if (p->jf == 0)
		snprintf(buf, size, "%s %s,+%u", name, operand, p->jt);
	else
		snprintf(buf, size, "%s %s,+%u,+%u", name, operand, p->jt, p->jf);
}

/*
 * insn_text - the instruction in bpf_asm's words with relative jumps
 * ("jeq #1,+200", "ld M[3]"); opcodes with no meaning print as hex.
 */
static void insn_text(const rn_bpf_raw_instruction *p, char *buf, size_t size)
{
	const char *name;

	if (!code_allowed(p->op)) {
		snprintf(buf, size, "opcode 0x%04x", p->op);
		return;
	}
	switch (p->op & RNB_CLS_MASK) {
	case RNB_CLS_LOAD_A:
	case RNB_CLS_LOAD_X:
		fmt_load(p, buf, size);
		break;
	case RNB_CLS_STORE_A:
	case RNB_CLS_STORE_X:
		snprintf(buf, size, "%s M[%u]", p->op == OP_ST ? "st" : "stx", p->k);
		break;
	case RNB_CLS_ALU:
		name = alu_names[(p->op & RNB_OPERATOR_MASK) >> 4];
		if (p->op == (RNB_CLS_ALU | RNB_ALU_NEG))
			snprintf(buf, size, "neg");
		else if (p->op & RNB_OPERAND_X)
			snprintf(buf, size, "%s x", name);
		else
			snprintf(buf, size, "%s #%u", name, p->k);
		break;
	case RNB_CLS_JUMP:
		fmt_jump(p, buf, size);
		break;
	case RNB_CLS_RETURN:
		if (p->op == OP(RNB_CLS_RETURN, RNB_RET_SRC_CONSTANT))
			snprintf(buf, size, "ret #%u", p->k);
		else
			snprintf(buf, size, "ret a");
		break;
	default:
		snprintf(buf, size, "%s", p->op == OP(RNB_CLS_MISC, RNB_MISC_TAX) ? "tax" : "txa");
		break;
	}
}

static int reject(const rn_bpf_raw_instruction *p, size_t pc, const char *why, long *bad)
{
	char ins[64], text[RN_ERR_TEXT_MAX];

	/* why is one of the short reasons above: the text always fits. */
	insn_text(&p[pc], ins, sizeof ins);
	snprintf(text, sizeof text, "instruction %zu (%s): %.96s", pc, ins, why);
	if (bad != NULL)
		*bad = (long)pc;
	return rni_err_text(-EINVAL, text);
}

/* ---- the rules ------------------------------------------------------------------ */

/*
 * insn_rule - the special checks of bpf_check_classic's switch for
 * instruction @pc of @n (an allowed opcode).  NULL when it passes, else why not.
 */
static const char *insn_rule(const rn_bpf_raw_instruction *ins, size_t pc, size_t n)
{
	uint16_t op = ins->op;

	if (op == OP(RNB_CLS_ALU, RN_BPF_ALU_DIV) && ins->k == 0)
		return "division by constant zero";
	if (op == OP(RNB_CLS_ALU, RN_BPF_ALU_MOD) && ins->k == 0)
		return "modulus by constant zero";
	if ((op == OP(RNB_CLS_ALU, RN_BPF_ALU_SHIFT_LEFT) ||
	     op == OP(RNB_CLS_ALU, RN_BPF_ALU_SHIFT_RIGHT)) && ins->k >= 32)
		return "shift by 32 or more";
	if ((op == OP_LD_MEM || op == OP_LDX_MEM || op == OP_ST || op == OP_STX) &&
	    ins->k >= BPF_MEMWORDS)
		return "scratch slot out of range (M[0] to M[15])";
	if (op == OP_JA && ins->k >= n - pc - 1)
		return "jump past the end of the program";
	if ((op & RNB_CLS_MASK) == RNB_CLS_JUMP && op != OP_JA &&
	    (pc + ins->jt + 1 >= n || pc + ins->jf + 1 >= n))
		return "jump past the end of the program";
	/* The kernel compares k with SKF_AD_OFF converted to unsigned. */
	if ((op & (uint16_t)~RNB_LOAD_WIDTH_MASK) == OP(RNB_CLS_LOAD_A, RNB_MODE_ABSOLUTE) &&
	    ins->k >= (uint32_t)SKF_AD_OFF && !ancillary_known(ins->k))
		return "unknown ancillary load";
	return NULL;
}

/*
 * check_scratch - check_load_and_stores, step for step: one linear pass in
 * which each jump ANDs what is written so far into its targets' masks and
 * the slot set restarts full after it.  It is conservative in the
 * kernel's own way (dead code after a return inherits the set from before
 * the return), and agreeing with the kernel matters more than precision.
 * Returns the index of the first offending read, or -1.
 */
static long check_scratch(const rn_bpf_raw_instruction *p, size_t n, uint16_t *masks)
{
	uint16_t valid = 0;

	memset(masks, 0xff, n * sizeof(*masks));
	for (size_t pc = 0; pc < n; pc++) {
		uint16_t op = p[pc].op;

		valid &= masks[pc];
		if (op == OP_ST || op == OP_STX) {
			valid |= (uint16_t)(1u << p[pc].k);
		} else if (op == OP_LD_MEM || op == OP_LDX_MEM) {
			if (!(valid & (1u << p[pc].k)))
				return (long)pc;
		} else if (op == OP_JA) {
			masks[pc + 1 + p[pc].k] &= valid;
			valid = 0xffff;
		} else if ((op & RNB_CLS_MASK) == RNB_CLS_JUMP) {
			masks[pc + 1 + p[pc].jt] &= valid;
			masks[pc + 1 + p[pc].jf] &= valid;
			valid = 0xffff;
		}
	}
	return -1;
}

static bool is_return(uint16_t op)
{
	return op == OP(RNB_CLS_RETURN, RNB_RET_SRC_CONSTANT) ||
	       op == OP(RNB_CLS_RETURN, RNB_RET_SRC_A);
}

int rn_bpf_check(const rn_bpf_raw_instruction *p, size_t n, long *bad)
{
	uint16_t masks[BPF_MAXINSNS];
	char text[RN_ERR_TEXT_MAX], why[64];
	long pc;

	if (bad != NULL)
		*bad = -1;
	if (n == 0 || n > BPF_MAXINSNS) {
		snprintf(text, sizeof text, "program of %zu instructions: the kernel takes 1 to %d",
			 n, BPF_MAXINSNS);
		return rni_err_text(-EINVAL, text);
	}
	if (p == NULL)
		return rni_err_einval("NULL program");
	for (size_t i = 0; i < n; i++) {
		const char *rule;

		if (!code_allowed(p[i].op))
			return reject(p, i, "unknown opcode", bad);
		rule = insn_rule(&p[i], i, n);
		if (rule != NULL)
			return reject(p, i, rule, bad);
	}
	if (!is_return(p[n - 1].op))
		return reject(p, n - 1, "the last instruction is not a return", bad);
	pc = check_scratch(p, n, masks);
	if (pc >= 0) {
		snprintf(why, sizeof why, "scratch slot M[%u] read before it is written",
			 p[pc].k);
		return reject(p, (size_t)pc, why, bad);
	}
	return 0;
}
