/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/bpf.h - golang.org/x/net/bpf: classic BPF instructions, the
 * assembler and disassembler, Go's String forms, the VM, bpf_asm and
 * tcpdump -dd/-ddd text, a validator that agrees with the kernel,
 * filters on ringnet conns and listeners, and steering of a SO_REUSEPORT
 * group by CPU (eBPF through libbpf, else classic BPF).
 *
 * Everything here is pure computation except the attach and steering
 * calls.  Errors follow <ringnet/net.h>: a negative code, the detail in
 * rn_last_error() (Go's error text where Go has one).
 */
#ifndef RINGNET_BPF_H
#define RINGNET_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ringnet/net.h>

#ifdef __cplusplus
extern "C" {
#endif

/* bpf.RawInstruction: laid out as the kernel's struct sock_filter. */
typedef struct rn_bpf_raw_instruction {
	uint16_t op;	/* operation and addressing mode */
	uint8_t jt;	/* jump offset if true */
	uint8_t jf;	/* jump offset if false */
	uint32_t k;	/* constant */
} rn_bpf_raw_instruction;

/* bpf.Register. */
enum { RN_BPF_REG_A = 0, RN_BPF_REG_X = 1 };

/* bpf.ALUOp (the kernel's BPF_ADD ... values). */
enum {
	RN_BPF_ALU_ADD = 0x00,
	RN_BPF_ALU_SUB = 0x10,
	RN_BPF_ALU_MUL = 0x20,
	RN_BPF_ALU_DIV = 0x30,
	RN_BPF_ALU_OR = 0x40,
	RN_BPF_ALU_AND = 0x50,
	RN_BPF_ALU_SHIFT_LEFT = 0x60,
	RN_BPF_ALU_SHIFT_RIGHT = 0x70,
	RN_BPF_ALU_MOD = 0x90,
	RN_BPF_ALU_XOR = 0xa0
};

/* bpf.JumpTest. */
enum {
	RN_BPF_JUMP_EQUAL = 0,
	RN_BPF_JUMP_NOT_EQUAL,
	RN_BPF_JUMP_GREATER_THAN,
	RN_BPF_JUMP_LESS_THAN,
	RN_BPF_JUMP_GREATER_OR_EQUAL,
	RN_BPF_JUMP_LESS_OR_EQUAL,
	RN_BPF_JUMP_BITS_SET,
	RN_BPF_JUMP_BITS_NOT_SET
};

/* bpf.Extension (offsets from the kernel's SKF_AD_OFF). */
enum {
	RN_BPF_EXT_PROTO = 0,
	RN_BPF_EXT_LEN = 1,
	RN_BPF_EXT_TYPE = 4,
	RN_BPF_EXT_INTERFACE_INDEX = 8,
	RN_BPF_EXT_NETLINK_ATTR = 12,
	RN_BPF_EXT_NETLINK_ATTR_NESTED = 16,
	RN_BPF_EXT_MARK = 20,
	RN_BPF_EXT_QUEUE = 24,
	RN_BPF_EXT_LINK_LAYER_TYPE = 28,
	RN_BPF_EXT_RX_HASH = 32,
	RN_BPF_EXT_CPU_ID = 36,
	RN_BPF_EXT_VLAN_TAG = 44,
	RN_BPF_EXT_VLAN_TAG_PRESENT = 48,
	RN_BPF_EXT_PAYLOAD_OFFSET = 52,
	RN_BPF_EXT_RAND = 56,
	RN_BPF_EXT_VLAN_PROTO = 60
};

/* Which of Go's instruction types an rn_bpf_instruction holds. */
typedef enum rn_bpf_kind {
	RN_BPF_RAW = 0,		 /* RawInstruction */
	RN_BPF_LOAD_CONSTANT,	 /* u.load_constant */
	RN_BPF_LOAD_SCRATCH,	 /* u.load_scratch */
	RN_BPF_LOAD_ABSOLUTE,	 /* u.load_absolute */
	RN_BPF_LOAD_INDIRECT,	 /* u.load_indirect */
	RN_BPF_LOAD_MEM_SHIFT,	 /* u.load_mem_shift */
	RN_BPF_LOAD_EXTENSION,	 /* u.load_extension */
	RN_BPF_STORE_SCRATCH,	 /* u.store_scratch */
	RN_BPF_ALU_OP_CONSTANT,	 /* u.alu_op_constant */
	RN_BPF_ALU_OP_X,	 /* u.alu_op_x */
	RN_BPF_NEGATE_A,	 /* no fields */
	RN_BPF_JUMP,		 /* u.jump */
	RN_BPF_JUMP_IF,		 /* u.jump_if */
	RN_BPF_JUMP_IF_X,	 /* u.jump_if_x */
	RN_BPF_RET_A,		 /* no fields */
	RN_BPF_RET_CONSTANT,	 /* u.ret_constant */
	RN_BPF_TXA,		 /* no fields */
	RN_BPF_TAX		 /* no fields */
} rn_bpf_kind;

/* bpf.Instruction: one of Go's instruction types, tagged by kind. */
typedef struct rn_bpf_instruction {
	rn_bpf_kind kind;
	union {
		rn_bpf_raw_instruction raw;
		struct { int dst; uint32_t val; } load_constant;
		struct { int dst; int n; } load_scratch;
		struct { uint32_t off; int size; } load_absolute;
		struct { uint32_t off; int size; } load_indirect;
		struct { uint32_t off; } load_mem_shift;
		struct { int num; } load_extension;
		struct { int src; int n; } store_scratch;
		struct { int op; uint32_t val; } alu_op_constant;
		struct { int op; } alu_op_x;
		struct { uint32_t skip; } jump;
		struct { int cond; uint32_t val; uint8_t skip_true, skip_false; } jump_if;
		struct { int cond; uint8_t skip_true, skip_false; } jump_if_x;
		struct { uint32_t val; } ret_constant;
	} u;
} rn_bpf_instruction;

/* A program of raw instructions returned by the text parsers; free with rn_bpf_program_free. */
typedef struct rn_bpf_program {
	rn_bpf_raw_instruction *v;
	size_t n;
} rn_bpf_program;

/** rn_bpf_program_free - free @p's instructions and empty it; NULL is ignored. */
void rn_bpf_program_free(rn_bpf_program *p);

/* ---- assembling ------------------------------------------------------------ */

/**
 * rn_bpf_instruction_assemble - Instruction.Assemble: @i as a raw
 * instruction.  Returns 0, or -EINVAL with Go's error text (e.g. "invalid
 * target register 65535", "invalid scratch slot 16"; a bad load size is
 * "invalid load byte length 0", whatever the size, as Go prints it) when @i
 * cannot be encoded.
 */
int rn_bpf_instruction_assemble(const rn_bpf_instruction *i, rn_bpf_raw_instruction *out);

/**
 * rn_bpf_assemble - Assemble: @n instructions into @out (room for @n).
 * Returns 0, or the first failure, its text prefixed as Go's
 * "assembling instruction %d: ..." (1-based).
 */
int rn_bpf_assemble(const rn_bpf_instruction *in, size_t n, rn_bpf_raw_instruction *out);

/**
 * rn_bpf_raw_disassemble - RawInstruction.Disassemble: the typed
 * instruction, or the raw one itself (kind RN_BPF_RAW) when it has no
 * typed form.
 */
rn_bpf_instruction rn_bpf_raw_disassemble(const rn_bpf_raw_instruction *raw);

/**
 * rn_bpf_disassemble - Disassemble: @n raw instructions into @out (room
 * for @n).  Returns true when every one decoded to a typed instruction
 * (Go's allDecoded).
 */
bool rn_bpf_disassemble(const rn_bpf_raw_instruction *raw, size_t n, rn_bpf_instruction *out);

/** Buffer size that always fits one instruction's String. */
#define RN_BPF_INSN_STRLEN 128

/**
 * rn_bpf_instruction_string - String: bpf_asm syntax exactly as Go prints
 * it ("ld #42", "jeq #3,L1,L2" ...; "unknown instruction: ..." for what
 * Go cannot print).  snprintf semantics.
 */
int rn_bpf_instruction_string(const rn_bpf_instruction *i, char *buf, size_t size);

/* ---- text in and out ----------------------------------------------------------- */

/**
 * rn_bpf_parse_asm - bpf_asm source (labels, comments, the kernel tool's
 * syntax) into a program.  Returns 0 with *@out set, or -EINVAL with the
 * line and the reason ("line 3: unknown opcode \"lx\"").
 */
int rn_bpf_parse_asm(const char *text, rn_bpf_program *out);

/**
 * rn_bpf_parse_dd - the output of `tcpdump -dd` ("{ 0x28, 0, 0, 0x0000000c },"
 * lines) or `tcpdump -ddd` (a count line, then "op jt jf k" in decimal),
 * told apart by their shape.  Returns 0 with *@out set, or -EINVAL naming
 * the line.
 */
int rn_bpf_parse_dd(const char *text, rn_bpf_program *out);

/* The text forms a program prints in. */
typedef enum rn_bpf_format {
	RN_BPF_FORMAT_ASM,	/* bpf_asm, one Go String per line, jumps as labels */
	RN_BPF_FORMAT_DD,	/* tcpdump -dd: C initialisers */
	RN_BPF_FORMAT_DDD	/* tcpdump -ddd: count, then decimal quadruples */
} rn_bpf_format;

/** rn_bpf_format_program - print @n instructions in form @f.  snprintf semantics. */
int rn_bpf_format_program(const rn_bpf_raw_instruction *p, size_t n, rn_bpf_format f,
			  char *buf, size_t size);

/* ---- VM ---------------------------------------------------------------------------- */

typedef struct rn_bpf_vm rn_bpf_vm;

/**
 * rn_bpf_vm_new - NewVM: validate @n instructions as Go does (non-empty,
 * ends in a return, jumps in range, no constant division by zero, only the
 * ExtLen extension, ...) and copy them into a VM.  NULL on failure with
 * Go's text ("one or more Instructions must be specified", "cannot divide
 * by zero using ALUOpConstant", ...) and -EINVAL recorded.
 */
rn_bpf_vm *rn_bpf_vm_new(const rn_bpf_instruction *filter, size_t n);

/**
 * rn_bpf_vm_run - Run: the program's return value for packet @in (@n
 * bytes), as Go computes it: an out-of-bounds load ends the program
 * returning 0, division by X == 0 returns 0, shifts by 32 or more give 0.
 * Like Go's, the value is not cut to @n (the kernel keeps min(value, @n)
 * bytes).  Returns the value (>= 0), or -EINVAL for a NULL @vm, or -EINVAL
 * with Go's "unknown Instruction at index N: ..." for an instruction Run
 * has no case for (NegateA, RawInstruction).
 */
int64_t rn_bpf_vm_run(const rn_bpf_vm *vm, const void *in, size_t n);

/** rn_bpf_vm_free - free @vm; NULL is ignored. */
void rn_bpf_vm_free(rn_bpf_vm *vm);

/* ---- the kernel's rules ----------------------------------------------------------- */

/**
 * rn_bpf_check - accept exactly what the kernel's bpf_check_classic
 * accepts: 1..4096 instructions, known opcodes, no constant division or
 * modulus by 0, shift constants below 32, scratch indexes below 16 and no
 * scratch read before a write on every path, jumps inside the program,
 * the last instruction a return, only known extensions.  Returns 0, or
 * -EINVAL naming the first offending instruction ("instruction 3 (jeq
 * #1,+200): jump past the end of the program"); *@bad (may be NULL) gets
 * its 0-based index, or -1 for the program as a whole.
 */
int rn_bpf_check(const rn_bpf_raw_instruction *p, size_t n, long *bad);

/* ---- filters on sockets ------------------------------------------------------------ */

/**
 * rn_bpf_attach - attach the classic program @p (@n instructions) to conn
 * @c (SO_ATTACH_FILTER), replacing any filter.  The program is checked
 * first (rn_bpf_check's error, before the kernel is asked).  Kernel
 * refusals: -EPERM "filter is locked" when rn_bpf_lock was called, -ENOMEM
 * when the program exceeds net.core.optmem_max; recorded as SyscallError
 * "setsockopt".  RN_ECLOSED after Close.
 */
int rn_bpf_attach(rn_conn *c, const rn_bpf_raw_instruction *p, size_t n);
/** rn_bpf_attach_listener - rn_bpf_attach for a listener's socket. */
int rn_bpf_attach_listener(rn_listener *l, const rn_bpf_raw_instruction *p, size_t n);

/** rn_bpf_detach - remove @c's filter (SO_DETACH_FILTER): -ENOENT when none, -EPERM when locked. */
int rn_bpf_detach(rn_conn *c);
int rn_bpf_detach_listener(rn_listener *l);

/** rn_bpf_lock - SO_LOCK_FILTER: from now on the filter can be neither replaced nor removed. */
int rn_bpf_lock(rn_conn *c);
int rn_bpf_lock_listener(rn_listener *l);

/**
 * rn_bpf_swap - replace @c's filter so that no packet the new program
 * would drop is ever read: install a reject-all filter, discard what the
 * old filter had already queued, then install @p (libpcap's way).  The
 * datagrams discarded are counted in the return value (>= 0).  For
 * datagram and raw conns only (-EINVAL otherwise).
 */
int rn_bpf_swap(rn_conn *c, const rn_bpf_raw_instruction *p, size_t n);

/* ---- reuseport steering ------------------------------------------------------------- */
/*
 * A SO_REUSEPORT group is the sockets bound to one address and port with
 * rn_listen_config.reuse_port set.  The kernel picks one of them for each
 * datagram or connection, by hash unless the group has a program.  These
 * calls give it one, attached through any member: it is the group's, and it
 * stays as long as the group does (no descriptor of ours is kept open).
 *
 * struct bpf_insn is <linux/bpf.h>'s; include that header to build eBPF
 * programs.
 */
struct bpf_insn;

/**
 * rn_bpf_reuseport_attach - give @c's SO_REUSEPORT group the classic
 * program @p (@n instructions; SO_ATTACH_REUSEPORT_CBPF), replacing any
 * program the group had.  The program's return value is the index of the
 * member to take the packet, in the order the members joined the group
 * (bind order for UDP, listen order for TCP; closing a member moves the
 * last one into its slot); an index past the end falls back to the hash.
 * The kernel copies @p; it stays the caller's.  Errors: rn_bpf_check's
 * -EINVAL for a program the kernel would refuse, -EINVAL "socket is not in
 * a SO_REUSEPORT group", RN_ECLOSED after Close, else the kernel's code
 * recorded as SyscallError "setsockopt" (-ENOMEM over net.core.optmem_max).
 */
int rn_bpf_reuseport_attach(rn_conn *c, const rn_bpf_raw_instruction *p, size_t n);
/** rn_bpf_reuseport_attach_listener - rn_bpf_reuseport_attach for a TCP listener's group. */
int rn_bpf_reuseport_attach_listener(rn_listener *l, const rn_bpf_raw_instruction *p, size_t n);

/* Which kind of program rn_bpf_steer_by_cpu installed. */
typedef enum rn_bpf_steer_mode {
	RN_BPF_STEER_EBPF = 1,	/* SK_REUSEPORT program over a REUSEPORT_SOCKARRAY map */
	RN_BPF_STEER_CBPF = 2	/* classic "ld cpu; mod #n; ret a": eBPF was not available */
} rn_bpf_steer_mode;

/**
 * rn_bpf_steer_by_cpu - steer a SO_REUSEPORT group by CPU: @members are the
 * @n (1..65535) sockets of one group, and a packet the kernel processes on
 * CPU k goes to @members[k % n] (for a connection, its SYN's CPU).
 *
 * First choice is eBPF: a BPF_MAP_TYPE_REUSEPORT_SOCKARRAY holding the
 * members and a BPF_PROG_TYPE_SK_REUSEPORT program choosing from it, so
 * the members may be given in any order.  Both descriptors are closed
 * before returning; the group holds the program and the program the map.
 * A member closed later leaves the map, and its packets go by hash.
 *
 * When eBPF is not permitted (-EPERM/-EACCES: no CAP_BPF or
 * kernel.unprivileged_bpf_disabled) or not supported by the kernel, the
 * classic program is attached instead, which counts the members in group
 * order: then @members must be in the order they joined the group (bind
 * order for UDP, listen order for TCP).  That fallback is never silent: the
 * return value is RN_BPF_STEER_CBPF, and rn_last_error() holds why eBPF
 * was refused (an exception to the rule that successes leave it alone).
 *
 * Returns RN_BPF_STEER_EBPF or RN_BPF_STEER_CBPF, or a negative code:
 * -EINVAL for no members, a NULL or pipe member, a repeated member, a
 * member not in a SO_REUSEPORT group or not bound like members[0];
 * RN_ECLOSED for a closed member; another failure of the bpf() calls or of
 * setsockopt as a SyscallError ("bpf_map_update_elem", "setsockopt", ...)
 * or, for a program the verifier refuses, its log in the text.  Nothing is
 * attached on failure, and no memory is kept either way.
 */
int rn_bpf_steer_by_cpu(rn_conn *const *members, size_t n);
/** rn_bpf_steer_by_cpu_listeners - rn_bpf_steer_by_cpu for a group of TCP listeners. */
int rn_bpf_steer_by_cpu_listeners(rn_listener *const *members, size_t n);

/**
 * rn_bpf_attach_ebpf_filter - load the eBPF program @insns (@n
 * instructions) as a BPF_PROG_TYPE_SOCKET_FILTER (license "Dual BSD/GPL")
 * and attach it to @c (SO_ATTACH_BPF), replacing any filter.  Its return
 * value is the number of bytes of each packet to keep (0 drops it).  The
 * kernel copies @insns; the program's descriptor is closed before
 * returning (the socket holds the program).  Errors: -EINVAL for NULL or
 * empty arguments or a pipe; -EPERM "eBPF not permitted: ..." when the
 * caller may not load eBPF (no CAP_BPF and
 * kernel.unprivileged_bpf_disabled set); any other refusal of the load
 * gives the kernel's code (-EINVAL, -EACCES, ...) with the text "load socket
 * filter: <errno text>: <the end of the verifier's log>" (cut to
 * RN_ERR_TEXT_MAX; the verdict is the log's last line); -EPERM "filter is
 * locked" after rn_bpf_lock; RN_ECLOSED after Close; else SyscallError
 * "setsockopt".
 */
int rn_bpf_attach_ebpf_filter(rn_conn *c, const struct bpf_insn *insns, size_t n);
/** rn_bpf_attach_ebpf_filter_listener - rn_bpf_attach_ebpf_filter for a listener's socket. */
int rn_bpf_attach_ebpf_filter_listener(rn_listener *l, const struct bpf_insn *insns, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_BPF_H */
