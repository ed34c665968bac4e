/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf/opcodes.h - the bit patterns of classic BPF opcodes, named as
 * x/net/bpf's constants.go names them (the kernel's BPF_* values), shared
 * by the bpf/ sources.  Internal.
 */
#ifndef RINGNET_BPF_OPCODES_H
#define RINGNET_BPF_OPCODES_H

/* Instruction classes: the low three bits of every opcode. */
enum {
	RNB_CLS_MASK = 0x07,
	RNB_CLS_LOAD_A = 0x00,	/* BPF_LD */
	RNB_CLS_LOAD_X = 0x01,	/* BPF_LDX */
	RNB_CLS_STORE_A = 0x02, /* BPF_ST */
	RNB_CLS_STORE_X = 0x03, /* BPF_STX */
	RNB_CLS_ALU = 0x04,	/* BPF_ALU */
	RNB_CLS_JUMP = 0x05,	/* BPF_JMP */
	RNB_CLS_RETURN = 0x06,	/* BPF_RET */
	RNB_CLS_MISC = 0x07	/* BPF_MISC */
};

/* Loads: destination, width and addressing mode. */
enum {
	RNB_LOAD_DEST_MASK = 0x01,
	RNB_LOAD_WIDTH_MASK = 0x18,
	RNB_LOAD_WIDTH_4 = 0x00, /* BPF_W */
	RNB_LOAD_WIDTH_2 = 0x08, /* BPF_H */
	RNB_LOAD_WIDTH_1 = 0x10, /* BPF_B */
	RNB_LOAD_MODE_MASK = 0xe0,
	RNB_MODE_IMMEDIATE = 0x00,  /* BPF_IMM */
	RNB_MODE_ABSOLUTE = 0x20,   /* BPF_ABS */
	RNB_MODE_INDIRECT = 0x40,   /* BPF_IND */
	RNB_MODE_SCRATCH = 0x60,    /* BPF_MEM */
	RNB_MODE_PACKET_LEN = 0x80, /* BPF_LEN: really the len extension */
	RNB_MODE_MEM_SHIFT = 0xa0   /* BPF_MSH */
};

/* ALU and jumps: operand source and operator. */
enum {
	RNB_OPERAND_MASK = 0x08,
	RNB_OPERAND_CONSTANT = 0x00, /* BPF_K */
	RNB_OPERAND_X = 0x08,	     /* BPF_X */
	RNB_OPERATOR_MASK = 0xf0,
	RNB_ALU_NEG = 0x80 /* the one unary ALU operator */
};

/* Jump operators (BPF_JA ... BPF_JSET). */
enum {
	RNB_JUMP_ALWAYS = 0x00,
	RNB_JUMP_EQUAL = 0x10,
	RNB_JUMP_GT = 0x20,
	RNB_JUMP_GE = 0x30,
	RNB_JUMP_SET = 0x40
};

/* Return sources and register transfers. */
enum {
	RNB_RET_SRC_CONSTANT = 0x00, /* BPF_K */
	RNB_RET_SRC_A = 0x10,	     /* BPF_A */
	RNB_MISC_TAX = 0x00,
	RNB_MISC_TXA = 0x80
};

/* Scratch memory slots M[0] .. M[15]. */
enum { RNB_SCRATCH_SLOTS = 16 };

/*
 * Extensions are absolute loads at K = SKF_AD_OFF (-0x1000) + number; Go
 * treats any absolute K above 0xffffefff (extOffset + 0xffffffff) as one.
 */
#define RNB_EXT_OFFSET 0x1000u
#define RNB_EXT_MIN_K 0xfffff000u

#endif /* RINGNET_BPF_OPCODES_H */
