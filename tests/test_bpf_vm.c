/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_bpf_vm.c - x/net/bpf's VM: every case of Go's vm_*_test.go
 * (tests/data/xnet_bpf_vm.json) through rn_bpf_vm_new and rn_bpf_vm_run,
 * and, as upstream's vm_bpf_test.go does on Linux, each valid program
 * attached to a real UDP socket on loopback with the kernel's verdict
 * required to match; then NewVM's error order and texts, and Run's
 * results where C alone would be undefined (shifts, division by X == 0,
 * loads past the end, unknown operators).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ringnet/bpf.h>

#include "testutil.h"

#define VECTORS "xnet_bpf_vm.json"
#define VECTOR_ROWS 42
#define MAX_INSNS 64
#define UDP_HEADER_LEN 8 /* the pseudo header every vector input starts with */

static const char *last_error(void)
{
	static char buf[512];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

/* ---- vector decoding -------------------------------------------------------- */

/*
 * field - an instruction field: a number, or a name from the file's
 * "constants"; Go's zero value when absent.
 */
static int64_t field(const cJSON *root, const cJSON *ins, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(ins, key);
	const cJSON *k;

	if (v == NULL)
		return 0;
	if (cJSON_IsNumber(v))
		return (int64_t)v->valuedouble;
	ck_assert_msg(cJSON_IsString(v), "field %s is neither number nor name", key);
	k = cJSON_GetObjectItemCaseSensitive(tu_jobj(root, "constants"), v->valuestring);
	ck_assert_msg(cJSON_IsNumber(k), "unknown constant %s", v->valuestring);
	return (int64_t)k->valuedouble;
}

struct kind_name {
	const char *name;
	rn_bpf_kind kind;
};

static const struct kind_name kinds[] = {
	{ "LoadConstant", RN_BPF_LOAD_CONSTANT },     { "LoadScratch", RN_BPF_LOAD_SCRATCH },
	{ "LoadAbsolute", RN_BPF_LOAD_ABSOLUTE },     { "LoadIndirect", RN_BPF_LOAD_INDIRECT },
	{ "LoadMemShift", RN_BPF_LOAD_MEM_SHIFT },    { "LoadExtension", RN_BPF_LOAD_EXTENSION },
	{ "StoreScratch", RN_BPF_STORE_SCRATCH },     { "ALUOpConstant", RN_BPF_ALU_OP_CONSTANT },
	{ "ALUOpX", RN_BPF_ALU_OP_X },		      { "NegateA", RN_BPF_NEGATE_A },
	{ "Jump", RN_BPF_JUMP },		      { "JumpIf", RN_BPF_JUMP_IF },
	{ "JumpIfX", RN_BPF_JUMP_IF_X },	      { "RetA", RN_BPF_RET_A },
	{ "RetConstant", RN_BPF_RET_CONSTANT },	      { "TXA", RN_BPF_TXA },
	{ "TAX", RN_BPF_TAX },
};

static rn_bpf_kind kind_of(const char *name)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].name, name) == 0)
			return kinds[i].kind;
	ck_abort_msg("unknown instruction type %s", name);
	return RN_BPF_RAW;
}

#define F(key) field(root, j, key)

/* decode_insn - one of the vectors' {"insn": "JumpIf", "Cond": ..., ...} objects. */
static rn_bpf_instruction decode_insn(const cJSON *root, const cJSON *j)
{
	rn_bpf_instruction i;

	memset(&i, 0, sizeof i);
	i.kind = kind_of(tu_jstr(j, "insn"));
	switch (i.kind) {
	case RN_BPF_LOAD_CONSTANT:
		i.u.load_constant.dst = (int)F("Dst");
		i.u.load_constant.val = (uint32_t)F("Val");
		break;
	case RN_BPF_LOAD_SCRATCH:
		i.u.load_scratch.dst = (int)F("Dst");
		i.u.load_scratch.n = (int)F("N");
		break;
	case RN_BPF_LOAD_ABSOLUTE:
		i.u.load_absolute.off = (uint32_t)F("Off");
		i.u.load_absolute.size = (int)F("Size");
		break;
	case RN_BPF_LOAD_INDIRECT:
		i.u.load_indirect.off = (uint32_t)F("Off");
		i.u.load_indirect.size = (int)F("Size");
		break;
	case RN_BPF_LOAD_MEM_SHIFT:
		i.u.load_mem_shift.off = (uint32_t)F("Off");
		break;
	case RN_BPF_LOAD_EXTENSION:
		i.u.load_extension.num = (int)F("Num");
		break;
	case RN_BPF_STORE_SCRATCH:
		i.u.store_scratch.src = (int)F("Src");
		i.u.store_scratch.n = (int)F("N");
		break;
	case RN_BPF_ALU_OP_CONSTANT:
		i.u.alu_op_constant.op = (int)F("Op");
		i.u.alu_op_constant.val = (uint32_t)F("Val");
		break;
	case RN_BPF_ALU_OP_X:
		i.u.alu_op_x.op = (int)F("Op");
		break;
	case RN_BPF_JUMP:
		i.u.jump.skip = (uint32_t)F("Skip");
		break;
	case RN_BPF_JUMP_IF:
		i.u.jump_if.cond = (int)F("Cond");
		i.u.jump_if.val = (uint32_t)F("Val");
		i.u.jump_if.skip_true = (uint8_t)F("SkipTrue");
		i.u.jump_if.skip_false = (uint8_t)F("SkipFalse");
		break;
	case RN_BPF_JUMP_IF_X:
		i.u.jump_if_x.cond = (int)F("Cond");
		i.u.jump_if_x.skip_true = (uint8_t)F("SkipTrue");
		i.u.jump_if_x.skip_false = (uint8_t)F("SkipFalse");
		break;
	case RN_BPF_RET_CONSTANT:
		i.u.ret_constant.val = (uint32_t)F("Val");
		break;
	default:
		break;
	}
	return i;
}

#undef F

/* One decoded row of the vector file. */
struct vm_case {
	const char *test;
	rn_bpf_instruction prog[MAX_INSNS];
	size_t n;
	uint8_t in[256];
	size_t in_len;
};

/* jarray - the array at @key (tu_jobj is for objects). */
static const cJSON *jarray(const cJSON *o, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);

	ck_assert_msg(cJSON_IsArray(a), "key \"%s\" is not an array", key);
	return a;
}

static void decode_case(const cJSON *root, const cJSON *c, struct vm_case *vc)
{
	const cJSON *j;

	vc->test = tu_jstr(c, "test");
	vc->n = 0;
	cJSON_ArrayForEach(j, jarray(c, "program")) {
		ck_assert_uint_lt(vc->n, MAX_INSNS);
		vc->prog[vc->n++] = decode_insn(root, j);
	}
	vc->in_len = tu_hex_decode(tu_jstr(c, "input"), vc->in, sizeof vc->in);
}

/* harness - vm_bpf_test.go's multiVirtualMachine.Run: what a UDP socket would deliver. */
static int64_t harness(int64_t out, size_t in_len)
{
	int64_t trim = (int64_t)in_len - UDP_HEADER_LEN;

	if (out >= UDP_HEADER_LEN)
		out -= UDP_HEADER_LEN;
	return out > trim ? trim : out;
}

/* ---- the kernel's VM --------------------------------------------------------- */

/* A UDP socket on 127.0.0.1 with a filter attached, and a socket connected to it. */
struct os_vm {
	int l, s;
};

static uint32_t sk_drops(int fd)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof mem;

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len), 0);
	return mem[SK_MEMINFO_DROPS];
}

static void os_vm_open(struct os_vm *vm, const rn_bpf_raw_instruction *p, size_t n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	struct sock_fprog fprog = { .len = (unsigned short)n,
				    .filter = (struct sock_filter *)(uintptr_t)p };

	_Static_assert(sizeof(rn_bpf_raw_instruction) == sizeof(struct sock_filter),
		       "rn_bpf_raw_instruction is struct sock_filter");
	vm->l = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	vm->s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(vm->l, 0);
	ck_assert_int_ge(vm->s, 0);
	ck_assert_int_eq(bind(vm->l, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(getsockname(vm->l, (struct sockaddr *)&sa, &len), 0);
	ck_assert_msg(setsockopt(vm->l, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) == 0,
		      "SO_ATTACH_FILTER: %s", strerror(errno));
	ck_assert_int_eq(connect(vm->s, (struct sockaddr *)&sa, sizeof sa), 0);
}

static void os_vm_close(struct os_vm *vm)
{
	close(vm->s);
	close(vm->l);
}

/*
 * os_vm_run - send @in and return the bytes the listener receives, or -1
 * when the filter dropped the datagram.  A drop is seen in the socket's
 * drop counter (SO_MEMINFO), so no timeout has to guess it.
 */
static int64_t os_vm_run(struct os_vm *vm, const uint8_t *in, size_t n)
{
	uint32_t drops = sk_drops(vm->l);
	uint8_t buf[2048];

	ck_assert_int_eq(send(vm->s, in, n, 0), (ssize_t)n);
	for (int waited = 0; waited < 10000; waited += 5) {
		struct pollfd pfd = { .fd = vm->l, .events = POLLIN };

		if (poll(&pfd, 1, 5) == 1) {
			ssize_t got = recv(vm->l, buf, sizeof buf, MSG_DONTWAIT);

			ck_assert_int_ge(got, 0);
			return got;
		}
		if (sk_drops(vm->l) != drops)
			return -1;
	}
	ck_abort_msg("datagram neither delivered nor dropped in 10 s");
	return -1;
}

/* ---- the vectors --------------------------------------------------------------- */

struct tally {
	int run, newvm_errors, kernel;
};

static void assemble_case(const struct vm_case *vc, rn_bpf_raw_instruction *raw)
{
	ck_assert_msg(rn_bpf_assemble(vc->prog, vc->n, raw) == 0, "%s: Assemble: %s", vc->test,
		      last_error());
}

/* The raw program the file derived with a model of instructions.go. */
static void check_raw_program(const struct vm_case *vc, const cJSON *c,
			      const rn_bpf_raw_instruction *raw)
{
	const cJSON *want = jarray(c, "raw_program_derived"), *j;
	size_t i = 0;

	cJSON_ArrayForEach(j, want) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "k");

		ck_assert_uint_lt(i, vc->n);
		ck_assert_msg(raw[i].op == tu_jint(j, "op") && raw[i].jt == tu_jint(j, "jt") &&
			      raw[i].jf == tu_jint(j, "jf") &&
			      cJSON_IsNumber(k) && raw[i].k == (uint32_t)k->valuedouble,
			      "%s: instruction %zu assembled differently", vc->test, i);
		i++;
	}
	ck_assert_uint_eq(i, vc->n);
}

static void vector_row(const cJSON *root, const cJSON *c, struct tally *t)
{
	const char *newvm_error = tu_jstr(c, "newvm_error");
	struct vm_case vc;
	rn_bpf_raw_instruction raw[MAX_INSNS];
	rn_bpf_vm *vm;
	int64_t out;

	decode_case(root, c, &vc);
	vm = rn_bpf_vm_new(vc.prog, vc.n);
	if (newvm_error != NULL) {
		ck_assert_msg(vm == NULL, "%s: NewVM succeeded, want \"%s\"", vc.test, newvm_error);
		ck_assert_int_eq(rn_last_error()->code, -EINVAL);
		ck_assert_str_eq(last_error(), newvm_error);
		t->newvm_errors++;
		return;
	}
	ck_assert_msg(vm != NULL, "%s: NewVM: %s", vc.test, last_error());
	ck_assert(tu_jisnull(c, "run_error")); /* no row of this file has one */
	out = rn_bpf_vm_run(vm, vc.in, vc.in_len);
	ck_assert_msg(out >= 0, "%s: Run: %s", vc.test, last_error());
	ck_assert_msg(harness(out, vc.in_len) == tu_jint(c, "want"),
		      "%s: Run = %lld, harness gives %lld, want %d", vc.test, (long long)out,
		      (long long)harness(out, vc.in_len), tu_jint(c, "want"));
	if (tu_jhas(c, "raw_result_derived"))
		ck_assert_msg(out == tu_jint(c, "raw_result_derived"), "%s: Run = %lld, want %d",
			      vc.test, (long long)out, tu_jint(c, "raw_result_derived"));
	assemble_case(&vc, raw);
	check_raw_program(&vc, c, raw);
	rn_bpf_vm_free(vm);
	t->run++;
}

/* for_each_row - @fn over every case; the rows need the file's "constants". */
static int for_each_row(void (*fn)(const cJSON *, const cJSON *, struct tally *),
			struct tally *t)
{
	cJSON *root = tu_load_json(VECTORS);
	const cJSON *c;
	int rows = 0;

	cJSON_ArrayForEach(c, tu_cases(root)) {
		fn(root, c, t);
		rows++;
	}
	cJSON_Delete(root);
	return rows;
}

START_TEST(test_vectors)
{
	struct tally t = { 0 };

	ck_assert_int_eq(for_each_row(vector_row, &t), VECTOR_ROWS);
	ck_assert_int_eq(t.newvm_errors, 12);
	ck_assert_int_eq(t.run, VECTOR_ROWS - 12);
}
END_TEST

/*
 * The kernel's verdict on the same program and packet: the datagram it
 * delivers is as long as the harness says, and it is dropped exactly when
 * the VM returns 0 (sk_filter_trim_cap keeps at least the UDP header for
 * any other value).
 */
static void kernel_row(const cJSON *root, const cJSON *c, struct tally *t)
{
	struct vm_case vc;
	rn_bpf_raw_instruction raw[MAX_INSNS];
	struct os_vm os;
	rn_bpf_vm *vm;
	int64_t out, got;

	if (!tu_jisnull(c, "newvm_error"))
		return;
	decode_case(root, c, &vc);
	vm = rn_bpf_vm_new(vc.prog, vc.n);
	ck_assert_ptr_nonnull(vm);
	out = rn_bpf_vm_run(vm, vc.in, vc.in_len);
	assemble_case(&vc, raw);
	os_vm_open(&os, raw, vc.n);
	got = os_vm_run(&os, vc.in + UDP_HEADER_LEN, vc.in_len - UDP_HEADER_LEN);
	os_vm_close(&os);
	ck_assert_msg((got < 0) == (out == 0), "%s: kernel %s, VM returned %lld", vc.test,
		      got < 0 ? "dropped" : "accepted", (long long)out);
	ck_assert_msg((got < 0 ? 0 : got) == harness(out, vc.in_len),
		      "%s: kernel delivered %lld bytes, Go VM %lld", vc.test, (long long)got,
		      (long long)harness(out, vc.in_len));
	rn_bpf_vm_free(vm);
	t->kernel++;
}

START_TEST(test_vectors_kernel_agrees)
{
	struct tally t = { 0 };

	ck_assert_int_eq(for_each_row(kernel_row, &t), VECTOR_ROWS);
	ck_assert_int_eq(t.kernel, VECTOR_ROWS - 12);
}
END_TEST

/* ---- building programs by hand --------------------------------------------------- */

static rn_bpf_instruction ld_abs(uint32_t off, int size)
{
	return (rn_bpf_instruction){ .kind = RN_BPF_LOAD_ABSOLUTE,
				     .u.load_absolute = { .off = off, .size = size } };
}

static rn_bpf_instruction ld_ind(uint32_t off, int size)
{
	return (rn_bpf_instruction){ .kind = RN_BPF_LOAD_INDIRECT,
				     .u.load_indirect = { .off = off, .size = size } };
}

static rn_bpf_instruction ld_const(int dst, uint32_t val)
{
	return (rn_bpf_instruction){ .kind = RN_BPF_LOAD_CONSTANT,
				     .u.load_constant = { .dst = dst, .val = val } };
}

static rn_bpf_instruction alu_k(int op, uint32_t val)
{
	return (rn_bpf_instruction){ .kind = RN_BPF_ALU_OP_CONSTANT,
				     .u.alu_op_constant = { .op = op, .val = val } };
}

static rn_bpf_instruction alu_x(int op)
{
	return (rn_bpf_instruction){ .kind = RN_BPF_ALU_OP_X, .u.alu_op_x = { .op = op } };
}

static rn_bpf_instruction jump(uint32_t skip)
{
	return (rn_bpf_instruction){ .kind = RN_BPF_JUMP, .u.jump = { .skip = skip } };
}

static rn_bpf_instruction jump_if(int cond, uint32_t val, uint8_t t, uint8_t f)
{
	return (rn_bpf_instruction){ .kind = RN_BPF_JUMP_IF,
				     .u.jump_if = { .cond = cond, .val = val, .skip_true = t,
						    .skip_false = f } };
}

static rn_bpf_instruction ret_k(uint32_t val)
{
	return (rn_bpf_instruction){ .kind = RN_BPF_RET_CONSTANT,
				     .u.ret_constant = { .val = val } };
}

static rn_bpf_instruction simple(rn_bpf_kind kind)
{
	return (rn_bpf_instruction){ .kind = kind };
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* run_prog - NewVM (must succeed) then Run over @in. */
static int64_t run_prog(const rn_bpf_instruction *p, size_t n, const void *in, size_t in_len)
{
	rn_bpf_vm *vm = rn_bpf_vm_new(p, n);
	int64_t out;

	ck_assert_msg(vm != NULL, "NewVM: %s", last_error());
	out = rn_bpf_vm_run(vm, in, in_len);
	rn_bpf_vm_free(vm);
	return out;
}

/* new_fails - NewVM must fail with exactly @want. */
static void new_fails(const rn_bpf_instruction *p, size_t n, const char *want)
{
	rn_bpf_vm *vm = rn_bpf_vm_new(p, n);

	ck_assert_msg(vm == NULL, "NewVM succeeded, want \"%s\"", want);
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	ck_assert_str_eq(last_error(), want);
}

/* ---- NewVM --------------------------------------------------------------------- */

START_TEST(test_new_empty)
{
	rn_bpf_instruction p[1] = { simple(RN_BPF_RET_A) };

	new_fails(p, 0, "one or more Instructions must be specified");
	new_fails(NULL, 0, "one or more Instructions must be specified");
}
END_TEST

/* NewVM checks instructions in order, then the last return, then Assemble. */
START_TEST(test_new_error_order)
{
	rn_bpf_instruction bad_scratch = { .kind = RN_BPF_STORE_SCRATCH,
					   .u.store_scratch = { .src = RN_BPF_REG_A, .n = 16 } };
	rn_bpf_instruction a[] = { bad_scratch, alu_k(RN_BPF_ALU_MOD, 0), jump(9), ld_const(0, 1) };
	rn_bpf_instruction b[] = { bad_scratch, ld_const(0, 1) };
	rn_bpf_instruction c[] = { ld_abs(0, 3), bad_scratch, simple(RN_BPF_RET_A) };
	rn_bpf_instruction d[] = { jump_if(RN_BPF_JUMP_EQUAL, 0, 1, 1), simple(RN_BPF_RET_A) };

	new_fails(a, N(a), "cannot divide by zero using ALUOpConstant");
	new_fails(a + 2, 2, "cannot jump 9 instructions; jumping past program bounds");
	new_fails(b, N(b), "BPF program must end with RetA or RetConstant");
	/* Go prints the width bits it had not set yet, 0, not the size asked for. */
	new_fails(c, N(c), "assembling instruction 1: invalid load byte length 0");
	/* The true case is checked first. */
	new_fails(d, N(d), "cannot jump 1 instructions in true case; jumping past program bounds");
}
END_TEST

START_TEST(test_new_extensions)
{
	rn_bpf_instruction p[] = { { .kind = RN_BPF_LOAD_EXTENSION,
				     .u.load_extension = { .num = RN_BPF_EXT_PROTO } },
				   simple(RN_BPF_RET_A) };

	new_fails(p, N(p), "extension 0 not implemented");
	p[0].u.load_extension.num = RN_BPF_EXT_RAND;
	new_fails(p, N(p), "extension 56 not implemented");
	p[0].u.load_extension.num = RN_BPF_EXT_LEN;
	ck_assert_int_eq(run_prog(p, N(p), "abcde", 5), 5);
	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 0);
}
END_TEST

/* A jump to the last instruction is in bounds; one further is not. */
START_TEST(test_new_jump_bounds)
{
	rn_bpf_instruction p[] = { jump(1), ret_k(1), ret_k(2) };
	rn_bpf_instruction q[] = { jump_if(RN_BPF_JUMP_EQUAL, 0, 0, 1), ret_k(1), ret_k(2) };

	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 2);
	p[0].u.jump.skip = 2;
	new_fails(p, N(p), "cannot jump 2 instructions; jumping past program bounds");
	p[0].u.jump.skip = UINT32_MAX;
	new_fails(p, N(p), "cannot jump 4294967295 instructions; jumping past program bounds");
	ck_assert_int_eq(run_prog(q, N(q), NULL, 0), 1); /* A == 0: true */
	q[0].u.jump_if.skip_false = 2;
	new_fails(q, N(q), "cannot jump 2 instructions in false case; jumping past program bounds");
}
END_TEST

/* The VM keeps its own copy of the program. */
START_TEST(test_new_copies_program)
{
	rn_bpf_instruction p[] = { ret_k(7) };
	rn_bpf_vm *vm = rn_bpf_vm_new(p, 1);

	ck_assert_ptr_nonnull(vm);
	p[0].u.ret_constant.val = 9;
	ck_assert_int_eq(rn_bpf_vm_run(vm, NULL, 0), 7);
	rn_bpf_vm_free(vm);
	rn_bpf_vm_free(NULL);
}
END_TEST

/* ---- Run --------------------------------------------------------------------- */

START_TEST(test_run_null_vm)
{
	ck_assert_int_eq(rn_bpf_vm_run(NULL, "x", 1), -EINVAL);
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
}
END_TEST

/* RetA and RetConstant are returned as they are, not cut to len(in). */
START_TEST(test_run_result_not_clamped)
{
	rn_bpf_instruction p[] = { ret_k(UINT32_MAX) };
	rn_bpf_instruction q[] = { ld_const(RN_BPF_REG_A, 1000), simple(RN_BPF_RET_A) };

	ck_assert_int_eq(run_prog(p, N(p), "ab", 2), (int64_t)UINT32_MAX);
	ck_assert_int_eq(run_prog(q, N(q), "ab", 2), 1000);
}
END_TEST

/* Go defines shifts of 32 or more as 0, whether by constant or by X. */
START_TEST(test_run_wide_shifts)
{
	static const uint32_t by[] = { 31, 32, 33, 255, UINT32_MAX };
	rn_bpf_instruction k[] = { ld_const(RN_BPF_REG_A, 0xffffffff),
				   alu_k(RN_BPF_ALU_SHIFT_LEFT, 0), simple(RN_BPF_RET_A) };
	rn_bpf_instruction x[] = { ld_const(RN_BPF_REG_A, 0xffffffff), ld_const(RN_BPF_REG_X, 0),
				   alu_x(RN_BPF_ALU_SHIFT_RIGHT), simple(RN_BPF_RET_A) };

	for (size_t i = 0; i < N(by); i++) {
		int64_t want = by[i] == 31 ? 1 : 0;

		k[1].u.alu_op_constant.val = by[i];
		ck_assert_int_eq(run_prog(k, N(k), NULL, 0), by[i] == 31 ? 0x80000000 : 0);
		x[1].u.load_constant.val = by[i];
		ck_assert_int_eq(run_prog(x, N(x), NULL, 0), want);
	}
}
END_TEST

/* Division and modulus by X == 0 end the program returning 0, as the kernel's do. */
START_TEST(test_run_divide_by_x_zero)
{
	rn_bpf_instruction p[] = { ld_const(RN_BPF_REG_A, 10), ld_const(RN_BPF_REG_X, 0),
				   alu_x(RN_BPF_ALU_DIV), ret_k(99) };

	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 0);
	p[2].u.alu_op_x.op = RN_BPF_ALU_MOD;
	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 0);
	p[1].u.load_constant.val = 3;
	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 99);
	/* Any other operator by X == 0 carries on. */
	p[1].u.load_constant.val = 0;
	p[2].u.alu_op_x.op = RN_BPF_ALU_ADD;
	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 99);
}
END_TEST

/* An operator Go does not know leaves A alone (constant and X forms). */
START_TEST(test_run_unknown_alu_op)
{
	rn_bpf_instruction p[] = { ld_const(RN_BPF_REG_A, 5), ld_const(RN_BPF_REG_X, 0),
				   alu_k(100, 7), alu_x(0x80), alu_x(0xb0), simple(RN_BPF_RET_A) };

	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 5);
	/* Go's ALUOp is a uint16: 0x10000 | ALUOpAdd is ALUOpAdd. */
	p[2].u.alu_op_constant.op = 0x10000 | RN_BPF_ALU_ADD;
	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 12);
}
END_TEST

/* Every ALU operator on wrapping values. */
START_TEST(test_run_alu_ops)
{
	static const struct {
		int op;
		uint32_t a, v, want;
	} rows[] = {
		{ RN_BPF_ALU_ADD, 0xffffffff, 2, 1 },	  { RN_BPF_ALU_SUB, 1, 2, 0xffffffff },
		{ RN_BPF_ALU_MUL, 0x10000, 0x10000, 0 }, { RN_BPF_ALU_DIV, 7, 2, 3 },
		{ RN_BPF_ALU_OR, 0xf0, 0x0f, 0xff },	  { RN_BPF_ALU_AND, 0xf0, 0x3c, 0x30 },
		{ RN_BPF_ALU_SHIFT_LEFT, 1, 31, 0x80000000 },
		{ RN_BPF_ALU_SHIFT_RIGHT, 0x80000000, 31, 1 },
		{ RN_BPF_ALU_MOD, 7, 4, 3 },		  { RN_BPF_ALU_XOR, 0xff, 0x0f, 0xf0 },
	};
	for (size_t i = 0; i < N(rows); i++) {
		rn_bpf_instruction k[] = { ld_const(RN_BPF_REG_A, rows[i].a),
					   alu_k(rows[i].op, rows[i].v), simple(RN_BPF_RET_A) };
		rn_bpf_instruction x[] = { ld_const(RN_BPF_REG_A, rows[i].a),
					   ld_const(RN_BPF_REG_X, rows[i].v), alu_x(rows[i].op),
					   simple(RN_BPF_RET_A) };

		ck_assert_int_eq(run_prog(k, N(k), NULL, 0), rows[i].want);
		ck_assert_int_eq(run_prog(x, N(x), NULL, 0), rows[i].want);
	}
}
END_TEST

/* Loads past the end stop the program with 0; offsets do not wrap. */
START_TEST(test_run_loads_out_of_bounds)
{
	static const uint8_t in[4] = { 0x12, 0x34, 0x56, 0x78 };
	rn_bpf_instruction p[] = { ld_abs(0, 4), simple(RN_BPF_RET_A) };
	rn_bpf_instruction q[] = { ld_const(RN_BPF_REG_X, 0xffffffff), ld_ind(1, 1), ret_k(9) };
	rn_bpf_instruction m[] = { { .kind = RN_BPF_LOAD_MEM_SHIFT, .u.load_mem_shift = { 3 } },
				   simple(RN_BPF_TXA), simple(RN_BPF_RET_A) };

	ck_assert_int_eq(run_prog(p, N(p), in, 4), 0x12345678);
	p[0] = ld_abs(1, 4);
	ck_assert_int_eq(run_prog(p, N(p), in, 4), 0);
	p[0] = ld_abs(2, 2);
	ck_assert_int_eq(run_prog(p, N(p), in, 4), 0x5678);
	p[0] = ld_abs(UINT32_MAX, 1);
	ck_assert_int_eq(run_prog(p, N(p), in, 4), 0);
	/* X + off = 2^32: past the end, not a wrap to 0. */
	ck_assert_int_eq(run_prog(q, N(q), in, 4), 0);
	q[0].u.load_constant.val = 2;
	ck_assert_int_eq(run_prog(q, N(q), in, 4), 9);
	/* ldxb 4*([3]&0xf): 0x78 -> 32. */
	ck_assert_int_eq(run_prog(m, N(m), in, 4), 32);
	m[0].u.load_mem_shift.off = 4;
	ck_assert_int_eq(run_prog(m, N(m), in, 4), 0);
	ck_assert_int_eq(run_prog(m, N(m), NULL, 0), 0);
}
END_TEST

/* Scratch slots start at 0 in Go's VM (the kernel would refuse the read). */
START_TEST(test_run_scratch_starts_zero)
{
	rn_bpf_instruction p[] = { ld_const(RN_BPF_REG_A, 5),
				   { .kind = RN_BPF_LOAD_SCRATCH,
				     .u.load_scratch = { .dst = RN_BPF_REG_A, .n = 15 } },
				   simple(RN_BPF_RET_A) };

	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 0);
}
END_TEST

/* Instructions Go's Run has no case for fail the run with Go's text. */
START_TEST(test_run_unknown_instruction)
{
	rn_bpf_instruction p[] = { ld_const(RN_BPF_REG_A, 5), simple(RN_BPF_NEGATE_A),
				   simple(RN_BPF_RET_A) };
	rn_bpf_instruction q[] = { { .kind = RN_BPF_RAW, .u.raw = { .op = 0x06, .k = 1 } },
				   ret_k(2) };
	rn_bpf_vm *vm = rn_bpf_vm_new(p, N(p));

	ck_assert_ptr_nonnull(vm);
	ck_assert_int_eq(rn_bpf_vm_run(vm, NULL, 0), -EINVAL);
	ck_assert_str_eq(last_error(), "unknown Instruction at index 1: bpf.NegateA");
	rn_bpf_vm_free(vm);
	vm = rn_bpf_vm_new(q, N(q));
	ck_assert_ptr_nonnull(vm);
	ck_assert_int_eq(rn_bpf_vm_run(vm, "x", 1), -EINVAL);
	ck_assert_str_eq(last_error(), "unknown Instruction at index 0: bpf.RawInstruction");
	rn_bpf_vm_free(vm);
}
END_TEST

/* Jumps skip exactly their count; an unknown test is false. */
START_TEST(test_run_jumps)
{
	rn_bpf_instruction p[] = { ld_const(RN_BPF_REG_A, 3),
				   jump_if(RN_BPF_JUMP_GREATER_THAN, 2, 2, 1), ret_k(10), ret_k(11),
				   ret_k(12) };
	rn_bpf_instruction q[] = { jump(1), ret_k(1), ret_k(2) };

	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 12);
	p[1].u.jump_if.cond = RN_BPF_JUMP_LESS_THAN;
	ck_assert_int_eq(run_prog(p, N(p), NULL, 0), 11);
	ck_assert_int_eq(run_prog(q, N(q), NULL, 0), 2);
}
END_TEST

static Suite *bpf_vm_suite(void)
{
	Suite *s = suite_create("bpf_vm");
	TCase *tc;

	tc = tu_tcase("vectors");
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_vectors_kernel_agrees);
	suite_add_tcase(s, tc);

	tc = tu_tcase("new");
	tcase_add_test(tc, test_new_empty);
	tcase_add_test(tc, test_new_error_order);
	tcase_add_test(tc, test_new_extensions);
	tcase_add_test(tc, test_new_jump_bounds);
	tcase_add_test(tc, test_new_copies_program);
	suite_add_tcase(s, tc);

	tc = tu_tcase("run");
	tcase_add_test(tc, test_run_null_vm);
	tcase_add_test(tc, test_run_result_not_clamped);
	tcase_add_test(tc, test_run_wide_shifts);
	tcase_add_test(tc, test_run_divide_by_x_zero);
	tcase_add_test(tc, test_run_unknown_alu_op);
	tcase_add_test(tc, test_run_alu_ops);
	tcase_add_test(tc, test_run_loads_out_of_bounds);
	tcase_add_test(tc, test_run_scratch_starts_zero);
	tcase_add_test(tc, test_run_unknown_instruction);
	tcase_add_test(tc, test_run_jumps);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(bpf_vm_suite());
}
