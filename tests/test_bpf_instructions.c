/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_bpf_instructions.c - x/net/bpf's instruction layer: Assemble
 * against the kernel bpf_asm output for all_instructions.txt, Disassemble
 * round trips, every String vector, Go's assembly errors and the raw
 * instructions Go leaves undecoded.  Driven by xnet_bpf_instructions.json
 * (instructions_test.go and testdata/all_instructions.{txt,bpf}).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ringnet/bpf.h>

#include "testutil.h"

#define VECTORS "xnet_bpf_instructions.json"

/* A kind outside rn_bpf_kind: the C counterpart of Go's InvalidInstruction. */
#define KIND_INVALID ((rn_bpf_kind)99)

/* ---- building instructions --------------------------------------------------- */

#define LDC(d, v) { .kind = RN_BPF_LOAD_CONSTANT, .u.load_constant = { .dst = (d), .val = (v) } }
#define LDM(d, m) { .kind = RN_BPF_LOAD_SCRATCH, .u.load_scratch = { .dst = (d), .n = (m) } }
#define LDABS(o, s) { .kind = RN_BPF_LOAD_ABSOLUTE, .u.load_absolute = { .off = (o), .size = (s) } }
#define LDIND(o, s) { .kind = RN_BPF_LOAD_INDIRECT, .u.load_indirect = { .off = (o), .size = (s) } }
#define LDMSH(o) { .kind = RN_BPF_LOAD_MEM_SHIFT, .u.load_mem_shift = { .off = (o) } }
#define LDEXT(e) { .kind = RN_BPF_LOAD_EXTENSION, .u.load_extension = { .num = (e) } }
#define ST(s, m) { .kind = RN_BPF_STORE_SCRATCH, .u.store_scratch = { .src = (s), .n = (m) } }
#define ALUK(o, v)                                                                         \
	{ .kind = RN_BPF_ALU_OP_CONSTANT, .u.alu_op_constant = { .op = (o), .val = (v) } }
#define ALUX(o) { .kind = RN_BPF_ALU_OP_X, .u.alu_op_x = { .op = (o) } }
#define JA(s) { .kind = RN_BPF_JUMP, .u.jump = { .skip = (s) } }
#define JIF(c, v, t, f)                                                                    \
	{ .kind = RN_BPF_JUMP_IF,                                                          \
	  .u.jump_if = { .cond = (c), .val = (v), .skip_true = (t), .skip_false = (f) } }
#define JIFX(c, t, f)                                                                      \
	{ .kind = RN_BPF_JUMP_IF_X,                                                        \
	  .u.jump_if_x = { .cond = (c), .skip_true = (t), .skip_false = (f) } }
#define RETK(v) { .kind = RN_BPF_RET_CONSTANT, .u.ret_constant = { .val = (v) } }
#define NOARG(k) { .kind = (k) }

/* Go's allInstructions: a direct translation of all_instructions.txt. */
static const rn_bpf_instruction all_instructions[] = {
	LDC(RN_BPF_REG_A, 42), LDC(RN_BPF_REG_X, 42),
	LDM(RN_BPF_REG_A, 3), LDM(RN_BPF_REG_X, 3),
	LDABS(42, 1), LDABS(42, 2), LDABS(42, 4),
	LDIND(42, 1), LDIND(42, 2), LDIND(42, 4),
	LDMSH(42),
	LDEXT(RN_BPF_EXT_LEN), LDEXT(RN_BPF_EXT_PROTO), LDEXT(RN_BPF_EXT_TYPE),
	LDEXT(RN_BPF_EXT_RAND),
	ST(RN_BPF_REG_A, 3), ST(RN_BPF_REG_X, 3),
	ALUK(RN_BPF_ALU_ADD, 42), ALUK(RN_BPF_ALU_SUB, 42), ALUK(RN_BPF_ALU_MUL, 42),
	ALUK(RN_BPF_ALU_DIV, 42), ALUK(RN_BPF_ALU_OR, 42), ALUK(RN_BPF_ALU_AND, 42),
	ALUK(RN_BPF_ALU_SHIFT_LEFT, 42), ALUK(RN_BPF_ALU_SHIFT_RIGHT, 42),
	ALUK(RN_BPF_ALU_MOD, 42), ALUK(RN_BPF_ALU_XOR, 42),
	ALUX(RN_BPF_ALU_ADD), ALUX(RN_BPF_ALU_SUB), ALUX(RN_BPF_ALU_MUL), ALUX(RN_BPF_ALU_DIV),
	ALUX(RN_BPF_ALU_OR), ALUX(RN_BPF_ALU_AND), ALUX(RN_BPF_ALU_SHIFT_LEFT),
	ALUX(RN_BPF_ALU_SHIFT_RIGHT), ALUX(RN_BPF_ALU_MOD), ALUX(RN_BPF_ALU_XOR),
	NOARG(RN_BPF_NEGATE_A),
	JA(17),
	JIF(RN_BPF_JUMP_EQUAL, 42, 15, 16),
	JIF(RN_BPF_JUMP_NOT_EQUAL, 42, 15, 0),
	JIF(RN_BPF_JUMP_LESS_THAN, 42, 14, 0),
	JIF(RN_BPF_JUMP_LESS_OR_EQUAL, 42, 13, 0),
	JIF(RN_BPF_JUMP_GREATER_THAN, 42, 11, 12),
	JIF(RN_BPF_JUMP_GREATER_OR_EQUAL, 42, 10, 11),
	JIF(RN_BPF_JUMP_BITS_SET, 42, 9, 10),
	JIFX(RN_BPF_JUMP_EQUAL, 8, 9),
	JIFX(RN_BPF_JUMP_NOT_EQUAL, 8, 0),
	JIFX(RN_BPF_JUMP_LESS_THAN, 7, 0),
	JIFX(RN_BPF_JUMP_LESS_OR_EQUAL, 6, 0),
	JIFX(RN_BPF_JUMP_GREATER_THAN, 4, 5),
	JIFX(RN_BPF_JUMP_GREATER_OR_EQUAL, 3, 4),
	JIFX(RN_BPF_JUMP_BITS_SET, 2, 3),
	NOARG(RN_BPF_TAX), NOARG(RN_BPF_TXA),
	NOARG(RN_BPF_RET_A), RETK(42),
};
#define N_ALL (sizeof(all_instructions) / sizeof(all_instructions[0]))

/* ---- comparing and printing ---------------------------------------------------- */

static bool raw_same(const rn_bpf_raw_instruction *a, const rn_bpf_raw_instruction *b)
{
	return a->op == b->op && a->jt == b->jt && a->jf == b->jf && a->k == b->k;
}

/* Go's reflect.DeepEqual on two Instructions: same type, same fields. */
static bool insn_same(const rn_bpf_instruction *a, const rn_bpf_instruction *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case RN_BPF_RAW:
		return raw_same(&a->u.raw, &b->u.raw);
	case RN_BPF_LOAD_CONSTANT:
		return a->u.load_constant.dst == b->u.load_constant.dst &&
		       a->u.load_constant.val == b->u.load_constant.val;
	case RN_BPF_LOAD_SCRATCH:
		return a->u.load_scratch.dst == b->u.load_scratch.dst &&
		       a->u.load_scratch.n == b->u.load_scratch.n;
	case RN_BPF_LOAD_ABSOLUTE:
		return a->u.load_absolute.off == b->u.load_absolute.off &&
		       a->u.load_absolute.size == b->u.load_absolute.size;
	case RN_BPF_LOAD_INDIRECT:
		return a->u.load_indirect.off == b->u.load_indirect.off &&
		       a->u.load_indirect.size == b->u.load_indirect.size;
	case RN_BPF_LOAD_MEM_SHIFT:
		return a->u.load_mem_shift.off == b->u.load_mem_shift.off;
	case RN_BPF_LOAD_EXTENSION:
		return a->u.load_extension.num == b->u.load_extension.num;
	case RN_BPF_STORE_SCRATCH:
		return a->u.store_scratch.src == b->u.store_scratch.src &&
		       a->u.store_scratch.n == b->u.store_scratch.n;
	case RN_BPF_ALU_OP_CONSTANT:
		return a->u.alu_op_constant.op == b->u.alu_op_constant.op &&
		       a->u.alu_op_constant.val == b->u.alu_op_constant.val;
	case RN_BPF_ALU_OP_X:
		return a->u.alu_op_x.op == b->u.alu_op_x.op;
	case RN_BPF_JUMP:
		return a->u.jump.skip == b->u.jump.skip;
	case RN_BPF_JUMP_IF:
		return a->u.jump_if.cond == b->u.jump_if.cond &&
		       a->u.jump_if.val == b->u.jump_if.val &&
		       a->u.jump_if.skip_true == b->u.jump_if.skip_true &&
		       a->u.jump_if.skip_false == b->u.jump_if.skip_false;
	case RN_BPF_JUMP_IF_X:
		return a->u.jump_if_x.cond == b->u.jump_if_x.cond &&
		       a->u.jump_if_x.skip_true == b->u.jump_if_x.skip_true &&
		       a->u.jump_if_x.skip_false == b->u.jump_if_x.skip_false;
	case RN_BPF_RET_CONSTANT:
		return a->u.ret_constant.val == b->u.ret_constant.val;
	default: /* no fields */
		return true;
	}
}

/* Printable form for failure messages: kind and String. */
static const char *describe(const rn_bpf_instruction *i, char buf[RN_BPF_INSN_STRLEN + 16])
{
	char s[RN_BPF_INSN_STRLEN];

	rn_bpf_instruction_string(i, s, sizeof(s));
	snprintf(buf, RN_BPF_INSN_STRLEN + 16, "[%d] %s", (int)i->kind, s);
	return buf;
}

static rn_bpf_raw_instruction raw(unsigned int op, unsigned int jt, unsigned int jf, uint32_t k)
{
	rn_bpf_raw_instruction r = { (uint16_t)op, (uint8_t)jt, (uint8_t)jf, k };
	return r;
}

/* ---- reading the vectors --------------------------------------------------------- */

static const cJSON *constants;

/* A field of an instruction object: omitted is 0, a string names a constant. */
static long long jfield(const cJSON *insn, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(insn, key);
	const cJSON *c;

	if (!v)
		return 0;
	if (cJSON_IsString(v)) {
		c = cJSON_GetObjectItemCaseSensitive(constants, v->valuestring);
		ck_assert_msg(cJSON_IsNumber(c), "unknown constant %s", v->valuestring);
		return (long long)c->valuedouble;
	}
	ck_assert_msg(cJSON_IsNumber(v), "field %s is neither a number nor a name", key);
	return (long long)v->valuedouble;
}

struct insn_type {
	const char *name;
	rn_bpf_kind kind;
	const char *fields; /* the Go struct's fields, space separated */
};

static const struct insn_type insn_types[] = {
	{ "LoadConstant", RN_BPF_LOAD_CONSTANT, "Dst Val" },
	{ "LoadScratch", RN_BPF_LOAD_SCRATCH, "Dst N" },
	{ "LoadAbsolute", RN_BPF_LOAD_ABSOLUTE, "Off Size" },
	{ "LoadIndirect", RN_BPF_LOAD_INDIRECT, "Off Size" },
	{ "LoadMemShift", RN_BPF_LOAD_MEM_SHIFT, "Off" },
	{ "LoadExtension", RN_BPF_LOAD_EXTENSION, "Num" },
	{ "StoreScratch", RN_BPF_STORE_SCRATCH, "Src N" },
	{ "ALUOpConstant", RN_BPF_ALU_OP_CONSTANT, "Op Val" },
	{ "ALUOpX", RN_BPF_ALU_OP_X, "Op" },
	{ "NegateA", RN_BPF_NEGATE_A, "" },
	{ "Jump", RN_BPF_JUMP, "Skip" },
	{ "JumpIf", RN_BPF_JUMP_IF, "Cond Val SkipTrue SkipFalse" },
	{ "JumpIfX", RN_BPF_JUMP_IF_X, "Cond SkipTrue SkipFalse" },
	{ "RetA", RN_BPF_RET_A, "" },
	{ "RetConstant", RN_BPF_RET_CONSTANT, "Val" },
	{ "TXA", RN_BPF_TXA, "" },
	{ "TAX", RN_BPF_TAX, "" },
};

/* Go's test-local InvalidInstruction type is spelled with an explanation. */
static bool is_invalid_type(const char *name)
{
	return strncmp(name, "InvalidInstruction", strlen("InvalidInstruction")) == 0;
}

static const struct insn_type *insn_type(const char *name)
{
	for (size_t i = 0; i < sizeof(insn_types) / sizeof(insn_types[0]); i++)
		if (strcmp(insn_types[i].name, name) == 0)
			return &insn_types[i];
	ck_abort_msg("unknown instruction type %s", name);
	return NULL;
}

/* Every key of @o must be "insn" or a field of the type (a typo must not pass). */
static void check_fields(const cJSON *o, const struct insn_type *t)
{
	char fields[80], key[40];
	const cJSON *f;

	snprintf(fields, sizeof(fields), " %s ", t->fields);
	cJSON_ArrayForEach(f, o) {
		if (strcmp(f->string, "insn") == 0)
			continue;
		snprintf(key, sizeof(key), " %s ", f->string);
		ck_assert_msg(strstr(fields, key), "%s has no field %s", t->name, f->string);
	}
}

static void fill_fields(rn_bpf_instruction *i, const cJSON *o)
{
	switch (i->kind) {
	case RN_BPF_LOAD_CONSTANT:
		i->u.load_constant.dst = (int)jfield(o, "Dst");
		i->u.load_constant.val = (uint32_t)jfield(o, "Val");
		break;
	case RN_BPF_LOAD_SCRATCH:
		i->u.load_scratch.dst = (int)jfield(o, "Dst");
		i->u.load_scratch.n = (int)jfield(o, "N");
		break;
	case RN_BPF_LOAD_ABSOLUTE:
		i->u.load_absolute.off = (uint32_t)jfield(o, "Off");
		i->u.load_absolute.size = (int)jfield(o, "Size");
		break;
	case RN_BPF_LOAD_INDIRECT:
		i->u.load_indirect.off = (uint32_t)jfield(o, "Off");
		i->u.load_indirect.size = (int)jfield(o, "Size");
		break;
	case RN_BPF_LOAD_MEM_SHIFT:
		i->u.load_mem_shift.off = (uint32_t)jfield(o, "Off");
		break;
	case RN_BPF_LOAD_EXTENSION:
		i->u.load_extension.num = (int)jfield(o, "Num");
		break;
	case RN_BPF_STORE_SCRATCH:
		i->u.store_scratch.src = (int)jfield(o, "Src");
		i->u.store_scratch.n = (int)jfield(o, "N");
		break;
	case RN_BPF_ALU_OP_CONSTANT:
		i->u.alu_op_constant.op = (int)jfield(o, "Op");
		i->u.alu_op_constant.val = (uint32_t)jfield(o, "Val");
		break;
	case RN_BPF_ALU_OP_X:
		i->u.alu_op_x.op = (int)jfield(o, "Op");
		break;
	case RN_BPF_JUMP:
		i->u.jump.skip = (uint32_t)jfield(o, "Skip");
		break;
	case RN_BPF_JUMP_IF:
		i->u.jump_if.cond = (int)jfield(o, "Cond");
		i->u.jump_if.val = (uint32_t)jfield(o, "Val");
		i->u.jump_if.skip_true = (uint8_t)jfield(o, "SkipTrue");
		i->u.jump_if.skip_false = (uint8_t)jfield(o, "SkipFalse");
		break;
	case RN_BPF_JUMP_IF_X:
		i->u.jump_if_x.cond = (int)jfield(o, "Cond");
		i->u.jump_if_x.skip_true = (uint8_t)jfield(o, "SkipTrue");
		i->u.jump_if_x.skip_false = (uint8_t)jfield(o, "SkipFalse");
		break;
	case RN_BPF_RET_CONSTANT:
		i->u.ret_constant.val = (uint32_t)jfield(o, "Val");
		break;
	default:
		break;
	}
}

/* parse_insn - an {"insn": type, fields...} object as an rn_bpf_instruction. */
static rn_bpf_instruction parse_insn(const cJSON *o)
{
	const char *name = tu_jstr(o, "insn");
	const struct insn_type *t;
	rn_bpf_instruction i;

	memset(&i, 0, sizeof(i));
	ck_assert_ptr_nonnull(name);
	if (is_invalid_type(name)) {
		i.kind = KIND_INVALID;
		return i;
	}
	t = insn_type(name);
	check_fields(o, t);
	i.kind = t->kind;
	fill_fields(&i, o);
	return i;
}

static cJSON *load_vectors(void)
{
	cJSON *root = tu_load_json(VECTORS);

	constants = tu_jobj(root, "constants");
	ck_assert_ptr_nonnull(constants);
	return root;
}

/* The bpf_asm output: "count,op jt jf k,op jt jf k,...,\n". */
static size_t parse_bpf_file(const char *text, rn_bpf_raw_instruction *out, size_t cap)
{
	char *copy = strdup(text), *save = NULL, *tok;
	size_t n = 0;
	long count;

	ck_assert_ptr_nonnull(copy);
	tok = strtok_r(copy, ",", &save);
	ck_assert_ptr_nonnull(tok);
	count = strtol(tok, NULL, 10);
	while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
		unsigned int op, jt, jf, k;

		if (strspn(tok, " \n") == strlen(tok))
			continue; /* the empty statement after the last comma */
		ck_assert_msg(sscanf(tok, "%u %u %u %u", &op, &jt, &jf, &k) == 4,
			      "malformed statement %s", tok);
		ck_assert_uint_lt(n, cap);
		out[n++] = raw(op, jt, jf, k);
	}
	free(copy);
	ck_assert_int_eq(count, (long)n);
	return n;
}

/* ---- Assemble ---------------------------------------------------------------------- */

/* TestInterop: Assemble(allInstructions) is what the kernel's bpf_asm produced. */
START_TEST(test_assemble_matches_bpf_asm)
{
	cJSON *root = load_vectors();
	rn_bpf_raw_instruction want[128], got[N_ALL];
	size_t n = parse_bpf_file(tu_jstr(root, "bpf_file"), want, 128);
	char d[RN_BPF_INSN_STRLEN + 16];

	ck_assert_uint_eq(n, N_ALL);
	ck_assert_uint_eq(N_ALL, 57);
	ck_assert_int_eq(rn_bpf_assemble(all_instructions, N_ALL, got), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(raw_same(&got[i], &want[i]),
			      "instruction %zu (%s): got %u %u %u %u, want %u %u %u %u", i + 1,
			      describe(&all_instructions[i], d), got[i].op, got[i].jt, got[i].jf,
			      got[i].k, want[i].op, want[i].jt, want[i].jf, want[i].k);
	cJSON_Delete(root);
}
END_TEST

/* Each vector row: its instruction assembles to its raw form and back. */
START_TEST(test_case_rows)
{
	cJSON *root = load_vectors();
	const cJSON *c;
	char d[RN_BPF_INSN_STRLEN + 16];
	int rows = 0;

	cJSON_ArrayForEach(c, tu_cases(root)) {
		rn_bpf_instruction in = parse_insn(tu_jobj(c, "instruction")), back;
		const cJSON *r = tu_jobj(c, "raw");
		rn_bpf_raw_instruction want = raw((unsigned int)tu_jint(r, "op"),
						  (unsigned int)tu_jint(r, "jt"),
						  (unsigned int)tu_jint(r, "jf"),
						  (uint32_t)jfield(r, "k")),
				       got;

		ck_assert_msg(rn_bpf_instruction_assemble(&in, &got) == 0, "row %d (%s): %s",
			      tu_jint(c, "index"), describe(&in, d), rn_last_error()->err);
		ck_assert_msg(raw_same(&got, &want), "row %d (%s): got %u %u %u %u",
			      tu_jint(c, "index"), describe(&in, d), got.op, got.jt, got.jf, got.k);
		back = rn_bpf_raw_disassemble(&got);
		ck_assert_msg(insn_same(&back, &in), "row %d: disassembled to %s",
			      tu_jint(c, "index"), describe(&back, d));
		rows++;
	}
	ck_assert_int_ge(rows, 38);
	cJSON_Delete(root);
}
END_TEST

/* The C table of allInstructions agrees with the vector rows (index is 1-based). */
START_TEST(test_all_instructions_table_matches_rows)
{
	cJSON *root = load_vectors();
	const cJSON *c;
	char d[RN_BPF_INSN_STRLEN + 16];

	cJSON_ArrayForEach(c, tu_cases(root)) {
		int idx = tu_jint(c, "index");
		rn_bpf_instruction in = parse_insn(tu_jobj(c, "instruction"));

		ck_assert_int_ge(idx, 1);
		ck_assert_int_le(idx, (int)N_ALL);
		ck_assert_msg(insn_same(&all_instructions[idx - 1], &in), "row %d is %s", idx,
			      describe(&in, d));
	}
	cJSON_Delete(root);
}
END_TEST

static void assert_assemble_error(rn_bpf_instruction in, const char *want)
{
	rn_bpf_raw_instruction out;
	char d[RN_BPF_INSN_STRLEN + 16];

	ck_assert_msg(rn_bpf_instruction_assemble(&in, &out) == -EINVAL, "%s assembled",
		      describe(&in, d));
	ck_assert_int_eq(rn_last_error()->code, -EINVAL);
	ck_assert_str_eq(rn_last_error()->err, want);
}

START_TEST(test_error_invalid_target_register)
{
	assert_assemble_error((rn_bpf_instruction)LDC(0xffff, 42), "invalid target register 65535");
	assert_assemble_error((rn_bpf_instruction)LDM(2, 3), "invalid target register 2");
	/* Register is uint16 in Go: -1 is 0xffff. */
	assert_assemble_error((rn_bpf_instruction)LDC(-1, 0), "invalid target register 65535");
}
END_TEST

START_TEST(test_error_invalid_source_register)
{
	assert_assemble_error((rn_bpf_instruction)ST(0xffff, 3), "invalid source register 65535");
}
END_TEST

START_TEST(test_error_invalid_scratch_slot)
{
	assert_assemble_error((rn_bpf_instruction)LDM(RN_BPF_REG_A, -1), "invalid scratch slot -1");
	assert_assemble_error((rn_bpf_instruction)LDM(RN_BPF_REG_X, 16), "invalid scratch slot 16");
	assert_assemble_error((rn_bpf_instruction)ST(RN_BPF_REG_A, 16), "invalid scratch slot 16");
	/* The slot is checked before the register, as Go does. */
	assert_assemble_error((rn_bpf_instruction)ST(0xffff, -5), "invalid scratch slot -5");
	assert_assemble_error((rn_bpf_instruction)LDM(0xffff, 99), "invalid scratch slot 99");
}
END_TEST

/* Go formats its width variable, still 0, not the size it was given. */
START_TEST(test_error_invalid_load_size)
{
	assert_assemble_error((rn_bpf_instruction)LDABS(42, 3), "invalid load byte length 0");
	assert_assemble_error((rn_bpf_instruction)LDABS(42, -1), "invalid load byte length 0");
	assert_assemble_error((rn_bpf_instruction)LDIND(42, 8), "invalid load byte length 0");
}
END_TEST

START_TEST(test_error_unknown_jump_test)
{
	assert_assemble_error((rn_bpf_instruction)JIF(0xffff, 42, 1, 2), "unknown JumpTest 65535");
	assert_assemble_error((rn_bpf_instruction)JIFX(8, 1, 2), "unknown JumpTest 8");
}
END_TEST

START_TEST(test_error_invalid_kind)
{
	rn_bpf_instruction in;

	memset(&in, 0, sizeof(in));
	in.kind = KIND_INVALID;
	assert_assemble_error(in, "Invalid Instruction");
}
END_TEST

/* Go's Assemble validates neither extensions nor ALU operators: it encodes them. */
START_TEST(test_unchecked_extension_and_alu_op)
{
	rn_bpf_instruction ext = LDEXT(100), big = LDEXT(4095), len = LDEXT(RN_BPF_EXT_LEN);
	rn_bpf_instruction aluk = ALUK(0xffff, 42), alux = ALUX(0xb0);
	rn_bpf_raw_instruction r, want;

	ck_assert_int_eq(rn_bpf_instruction_assemble(&ext, &r), 0);
	want = raw(0x20, 0, 0, 0xfffff064);
	ck_assert(raw_same(&r, &want));
	ck_assert_int_eq(rn_bpf_instruction_assemble(&big, &r), 0);
	want = raw(0x20, 0, 0, 0xffffffff);
	ck_assert(raw_same(&r, &want));
	ck_assert_int_eq(rn_bpf_instruction_assemble(&len, &r), 0);
	want = raw(0x80, 0, 0, 0);
	ck_assert(raw_same(&r, &want));
	ck_assert_int_eq(rn_bpf_instruction_assemble(&aluk, &r), 0);
	want = raw(0xffff, 0, 0, 42);
	ck_assert(raw_same(&r, &want));
	ck_assert_int_eq(rn_bpf_instruction_assemble(&alux, &r), 0);
	want = raw(0xbc, 0, 0, 0);
	ck_assert(raw_same(&r, &want));
}
END_TEST

START_TEST(test_assemble_prefixes_instruction_number)
{
	rn_bpf_instruction prog[] = { LDC(RN_BPF_REG_A, 1), RETK(0), LDABS(0, 5), RETK(1) };
	rn_bpf_raw_instruction out[4];
	char text[RN_ERR_TEXT_MAX];

	ck_assert_int_eq(rn_bpf_assemble(prog, 4, out), -EINVAL);
	ck_assert_str_eq(rn_last_error()->err,
			 "assembling instruction 3: invalid load byte length 0");
	rn_error_string(NULL, text, sizeof(text));
	ck_assert_str_eq(text, "assembling instruction 3: invalid load byte length 0");

	prog[0] = (rn_bpf_instruction)LDM(RN_BPF_REG_A, -1);
	ck_assert_int_eq(rn_bpf_assemble(prog, 4, out), -EINVAL);
	ck_assert_str_eq(rn_last_error()->err, "assembling instruction 1: invalid scratch slot -1");
}
END_TEST

START_TEST(test_assemble_raw_and_empty)
{
	rn_bpf_instruction in = { .kind = RN_BPF_RAW, .u.raw = { 0xffff, 7, 9, 0xdeadbeef } };
	rn_bpf_raw_instruction out;

	ck_assert_int_eq(rn_bpf_instruction_assemble(&in, &out), 0);
	ck_assert(raw_same(&out, &in.u.raw));
	ck_assert_int_eq(rn_bpf_assemble(NULL, 0, NULL), 0);
	ck_assert_int_eq(rn_bpf_assemble(NULL, 1, &out), -EINVAL);
	ck_assert_int_eq(rn_bpf_instruction_assemble(NULL, &out), -EINVAL);
	ck_assert_int_eq(rn_bpf_instruction_assemble(&in, NULL), -EINVAL);
}
END_TEST

/* ---- Disassemble --------------------------------------------------------------------- */

/* TestAsmDisasm: Disassemble(Assemble(allInstructions)) == allInstructions. */
START_TEST(test_disassemble_round_trip)
{
	rn_bpf_raw_instruction prog[N_ALL];
	rn_bpf_instruction got[N_ALL];
	char d[RN_BPF_INSN_STRLEN + 16];

	ck_assert_int_eq(rn_bpf_assemble(all_instructions, N_ALL, prog), 0);
	ck_assert(rn_bpf_disassemble(prog, N_ALL, got));
	for (size_t i = 0; i < N_ALL; i++)
		ck_assert_msg(insn_same(&got[i], &all_instructions[i]), "insn %zu: got %s", i + 1,
			      describe(&got[i], d));
}
END_TEST

/* Raw instructions Go cannot type come back unchanged as RawInstruction. */
static const rn_bpf_raw_instruction undecodable[] = {
	{ 0x18, 0, 0, 0 },	   /* load width 0x18 */
	{ 0x19, 0, 0, 0 },	   /* ldx, width 0x18 */
	{ 0x10, 0, 0, 42 },	   /* ldb #k */
	{ 0x08, 0, 0, 42 },	   /* ldh #k */
	{ 0x60, 0, 0, 16 },	   /* ld M[16] */
	{ 0x61, 0, 0, 0xffffffff }, /* ldx M[-1] */
	{ 0x68, 0, 0, 3 },	   /* ldh M[3] */
	{ 0x88, 0, 0, 0 },	   /* ldh #len */
	{ 0x90, 0, 0, 0 },	   /* ldb #len */
	{ 0xc0, 0, 0, 0 },	   /* mode 0xc0 */
	{ 0xe1, 0, 0, 0 },	   /* mode 0xe0 */
	{ 0x02, 0, 0, 16 },	   /* st M[16] */
	{ 0x03, 0, 0, 16 },	   /* stx M[16] */
	{ 0x0a, 0, 0, 3 },	   /* st with BPF_X */
	{ 0x102, 0, 0, 3 },	   /* st with a bit above 0xff */
	{ 0x43, 0, 0, 3 },	   /* stx with mode bits */
	{ 0xb4, 0, 0, 0 },	   /* ALU operator 0xb0 */
	{ 0xcc, 0, 0, 0 },	   /* ALU operator 0xc0, X */
	{ 0xf4, 0, 0, 0 },	   /* ALU operator 0xf0 */
	{ 0x55, 1, 2, 0 },	   /* jump operator 0x50 */
	{ 0xfd, 1, 2, 0 },	   /* jump operator 0xf0, X */
	{ 0x0e, 0, 0, 0 },	   /* ret x */
	{ 0x1e, 0, 0, 0 },	   /* ret a with BPF_X */
	{ 0x26, 0, 0, 0 },	   /* ret, source 0x20 */
	{ 0x106, 0, 0, 1 },	   /* ret #k with a high bit */
	{ 0x0f, 0, 0, 0 },	   /* misc 0x08 */
	{ 0x8f, 0, 0, 0 },	   /* misc 0x88 */
	{ 0x47, 0, 0, 0 },	   /* misc 0x40 */
};
#define N_UNDECODABLE (sizeof(undecodable) / sizeof(undecodable[0]))

START_TEST(test_disassemble_undecodable)
{
	const rn_bpf_raw_instruction *r = &undecodable[_i];
	rn_bpf_instruction got = rn_bpf_raw_disassemble(r);
	rn_bpf_raw_instruction back;
	char d[RN_BPF_INSN_STRLEN + 16];

	ck_assert_msg(got.kind == RN_BPF_RAW, "op 0x%x decoded as %s", r->op, describe(&got, d));
	ck_assert(raw_same(&got.u.raw, r));
	ck_assert_int_eq(rn_bpf_instruction_assemble(&got, &back), 0);
	ck_assert(raw_same(&back, r));
}
END_TEST

START_TEST(test_disassemble_reports_all_decoded)
{
	rn_bpf_raw_instruction prog[3] = {
		{ 0x06, 0, 0, 1 }, { 0x18, 0, 0, 0 }, { 0x16, 0, 0, 0 }
	};
	rn_bpf_instruction out[3];

	ck_assert(!rn_bpf_disassemble(prog, 3, out));
	ck_assert_int_eq(out[0].kind, RN_BPF_RET_CONSTANT);
	ck_assert_uint_eq(out[0].u.ret_constant.val, 1);
	ck_assert_int_eq(out[1].kind, RN_BPF_RAW);
	ck_assert(raw_same(&out[1].u.raw, &prog[1]));
	ck_assert_int_eq(out[2].kind, RN_BPF_RET_A);
	ck_assert(rn_bpf_disassemble(prog, 1, out));
	ck_assert(rn_bpf_disassemble(NULL, 0, NULL));
}
END_TEST

static void assert_decodes(rn_bpf_raw_instruction r, rn_bpf_instruction want)
{
	rn_bpf_instruction got = rn_bpf_raw_disassemble(&r);
	char d[RN_BPF_INSN_STRLEN + 16], w[RN_BPF_INSN_STRLEN + 16];

	ck_assert_msg(insn_same(&got, &want), "{0x%x %u %u 0x%x}: got %s, want %s", r.op, r.jt,
		      r.jf, r.k, describe(&got, d), describe(&want, w));
}

/* Go's decoding shortcuts, kept: they decide what a program prints as. */
START_TEST(test_disassemble_go_quirks)
{
	/* Absolute loads at extension offsets are extensions, whatever the width. */
	assert_decodes(raw(0x20, 0, 0, 0xfffff038), (rn_bpf_instruction)LDEXT(RN_BPF_EXT_RAND));
	assert_decodes(raw(0x30, 0, 0, 0xfffff000), (rn_bpf_instruction)LDEXT(RN_BPF_EXT_PROTO));
	assert_decodes(raw(0x20, 0, 0, 0xffffffff), (rn_bpf_instruction)LDEXT(4095));
	assert_decodes(raw(0x20, 0, 0, 0xffffefff), (rn_bpf_instruction)LDABS(0xffffefff, 4));
	/* The ld length extension. */
	assert_decodes(raw(0x80, 0, 0, 7), (rn_bpf_instruction)LDEXT(RN_BPF_EXT_LEN));
	/* The destination bit is ignored for packet loads. */
	assert_decodes(raw(0x21, 0, 0, 9), (rn_bpf_instruction)LDABS(9, 4));
	assert_decodes(raw(0x49, 0, 0, 9), (rn_bpf_instruction)LDIND(9, 2));
	assert_decodes(raw(0xa0, 0, 0, 14), (rn_bpf_instruction)LDMSH(14));
	/* Bits above 0xff are ignored in the load, ALU and jump classes. */
	assert_decodes(raw(0x100, 0, 0, 5), (rn_bpf_instruction)LDC(RN_BPF_REG_A, 5));
	assert_decodes(raw(0x10c, 0, 0, 0), (rn_bpf_instruction)ALUX(RN_BPF_ALU_ADD));
	assert_decodes(raw(0x18c, 0, 0, 0), (rn_bpf_instruction)NOARG(RN_BPF_NEGATE_A));
	/* A jump with no true target reads back as the negated test. */
	assert_decodes(raw(0x15, 0, 5, 1), (rn_bpf_instruction)JIF(RN_BPF_JUMP_NOT_EQUAL, 1, 5, 0));
	assert_decodes(raw(0x25, 0, 4, 1),
		       (rn_bpf_instruction)JIF(RN_BPF_JUMP_LESS_OR_EQUAL, 1, 4, 0));
	assert_decodes(raw(0x3d, 0, 3, 0), (rn_bpf_instruction)JIFX(RN_BPF_JUMP_LESS_THAN, 3, 0));
	assert_decodes(raw(0x45, 0, 0, 2),
		       (rn_bpf_instruction)JIF(RN_BPF_JUMP_BITS_NOT_SET, 2, 0, 0));
	assert_decodes(raw(0x1d, 1, 2, 99), (rn_bpf_instruction)JIFX(RN_BPF_JUMP_EQUAL, 1, 2));
	assert_decodes(raw(0x05, 3, 4, 12), (rn_bpf_instruction)JA(12));
}
END_TEST

/*
 * decode_check - decoding @r never fails, a typed result assembles, decoding
 * is idempotent through Assemble, and String fits RN_BPF_INSN_STRLEN.
 */
static void decode_check(rn_bpf_raw_instruction r)
{
	char s[RN_BPF_INSN_STRLEN], d[RN_BPF_INSN_STRLEN + 16];
	rn_bpf_instruction i = rn_bpf_raw_disassemble(&r), again;
	rn_bpf_raw_instruction a;
	int n = rn_bpf_instruction_string(&i, s, sizeof(s));

	if (n <= 0 || n >= RN_BPF_INSN_STRLEN)
		ck_abort_msg("op 0x%x: String length %d", r.op, n);
	if (i.kind == RN_BPF_RAW)
		return;
	if (rn_bpf_instruction_assemble(&i, &a) != 0)
		ck_abort_msg("op 0x%x: %s does not assemble: %s", r.op, s, rn_last_error()->err);
	again = rn_bpf_raw_disassemble(&a);
	if (!insn_same(&again, &i))
		ck_abort_msg("op 0x%x k 0x%x: %s reassembles to %s", r.op, r.k, s,
			     describe(&again, d));
}

static const uint32_t sweep_k[] = { 0, 15, 16, 0xffffefff, 0xfffff000, 0xfffff038, 0xffffffff };
static const uint8_t sweep_j[][2] = { { 0, 0 }, { 0, 3 }, { 2, 0 }, { 255, 255 } };

/* Every 8-bit opcode with every boundary jt/jf/k. */
START_TEST(test_disassemble_every_opcode)
{
	for (unsigned int op = 0; op <= 0xff; op++)
		for (size_t k = 0; k < sizeof(sweep_k) / sizeof(sweep_k[0]); k++)
			for (size_t j = 0; j < sizeof(sweep_j) / sizeof(sweep_j[0]); j++)
				decode_check(raw(op, sweep_j[j][0], sweep_j[j][1], sweep_k[k]));
}
END_TEST

/* Every 16-bit opcode (Go ignores the high byte in some classes), fewer operands. */
START_TEST(test_disassemble_every_wide_opcode)
{
	for (unsigned int op = 0x100; op <= 0xffff; op++) {
		decode_check(raw(op, 0, 3, 16));
		decode_check(raw(op, 2, 0, 0xfffff000));
	}
}
END_TEST

/* ---- String ----------------------------------------------------------------------------- */

/* TestString: every vector, byte for byte. */
START_TEST(test_string_cases)
{
	cJSON *root = load_vectors();
	const cJSON *c, *cases = cJSON_GetObjectItemCaseSensitive(root, "string_cases");
	char got[RN_BPF_INSN_STRLEN];
	int rows = 0;

	ck_assert(cJSON_IsArray(cases));
	cJSON_ArrayForEach(c, cases) {
		rn_bpf_instruction in = parse_insn(tu_jobj(c, "instruction"));
		const char *want = tu_jstr(c, "string");
		int n = rn_bpf_instruction_string(&in, got, sizeof(got));

		ck_assert_msg(strcmp(got, want) == 0, "String() = \"%s\", want \"%s\"", got, want);
		ck_assert_int_eq(n, (int)strlen(want));
		rows++;
	}
	ck_assert_int_ge(rows, 95);
	cJSON_Delete(root);
}
END_TEST

static void assert_string(rn_bpf_instruction in, const char *want)
{
	char got[RN_BPF_INSN_STRLEN];

	rn_bpf_instruction_string(&in, got, sizeof(got));
	ck_assert_str_eq(got, want);
}

/* Go's %#v: unsigned fields in hex with 0x (zero is 0x0), signed ones in decimal. */
START_TEST(test_string_go_sharp_v)
{
	rn_bpf_instruction r = { .kind = RN_BPF_RAW, .u.raw = { 0x18, 0, 255, 0xc } };

	assert_string(r,
		      "unknown instruction: bpf.RawInstruction{Op:0x18, Jt:0x0, Jf:0xff, K:0xc}");
	assert_string((rn_bpf_instruction)LDC(2, 0),
		      "unknown instruction: bpf.LoadConstant{Dst:0x2, Val:0x0}");
	assert_string((rn_bpf_instruction)LDABS(0xffffffff, -2147483647 - 1),
		      "unknown instruction: bpf.LoadAbsolute{Off:0xffffffff, Size:-2147483648}");
	assert_string((rn_bpf_instruction)LDEXT(-3),
		      "unknown instruction: bpf.LoadExtension{Num:-3}");
	assert_string((rn_bpf_instruction)ST(-1, -1),
		      "unknown instruction: bpf.StoreScratch{Src:0xffff, N:-1}");
	assert_string((rn_bpf_instruction)JIFX(-1, 0, 0), "unknown JumpTest 0xffff");
	/* An extension offset that names no extension. */
	assert_string((rn_bpf_instruction)LDABS(0xfffff003, 4),
		      "unknown instruction: bpf.LoadExtension{Num:3}");
	assert_string((rn_bpf_instruction)LDABS(0xfffff038, 2), "ldh [4294963256]");
}
END_TEST

START_TEST(test_string_large_values)
{
	assert_string((rn_bpf_instruction)LDC(RN_BPF_REG_X, 0xffffffff), "ldx #4294967295");
	assert_string((rn_bpf_instruction)JIF(RN_BPF_JUMP_EQUAL, 0xffffffff, 255, 255),
		      "jeq #4294967295,255,255");
	assert_string((rn_bpf_instruction)JA(0xffffffff), "ja 4294967295");
	assert_string((rn_bpf_instruction)RETK(0xffffffff), "ret #4294967295");
	assert_string((rn_bpf_instruction)LDMSH(0xffffffff), "ldx 4*([4294967295]&0xf)");
}
END_TEST

START_TEST(test_string_snprintf_semantics)
{
	rn_bpf_instruction in = LDIND(42, 2);
	char small[5];

	ck_assert_int_eq(rn_bpf_instruction_string(&in, NULL, 0), (int)strlen("ldh [x + 42]"));
	memset(small, 'z', sizeof(small));
	ck_assert_int_eq(rn_bpf_instruction_string(&in, small, sizeof(small)), 12);
	ck_assert_str_eq(small, "ldh ");
	ck_assert_int_eq(rn_bpf_instruction_string(NULL, small, sizeof(small)), 5);
	ck_assert_str_eq(small, "<nil");
}
END_TEST

/* ---- programs ------------------------------------------------------------------------------- */

START_TEST(test_program_free)
{
	rn_bpf_program p = { malloc(3 * sizeof(rn_bpf_raw_instruction)), 3 };

	ck_assert_ptr_nonnull(p.v);
	rn_bpf_program_free(&p);
	ck_assert_ptr_null(p.v);
	ck_assert_uint_eq(p.n, 0);
	rn_bpf_program_free(&p); /* freeing an empty program again is harmless */
	rn_bpf_program_free(NULL);
}
END_TEST

static Suite *bpf_instructions_suite(void)
{
	Suite *s = suite_create("bpf_instructions");
	TCase *tc = tu_tcase("assemble");

	tcase_add_test(tc, test_assemble_matches_bpf_asm);
	tcase_add_test(tc, test_case_rows);
	tcase_add_test(tc, test_all_instructions_table_matches_rows);
	tcase_add_test(tc, test_error_invalid_target_register);
	tcase_add_test(tc, test_error_invalid_source_register);
	tcase_add_test(tc, test_error_invalid_scratch_slot);
	tcase_add_test(tc, test_error_invalid_load_size);
	tcase_add_test(tc, test_error_unknown_jump_test);
	tcase_add_test(tc, test_error_invalid_kind);
	tcase_add_test(tc, test_unchecked_extension_and_alu_op);
	tcase_add_test(tc, test_assemble_prefixes_instruction_number);
	tcase_add_test(tc, test_assemble_raw_and_empty);
	suite_add_tcase(s, tc);

	tc = tu_tcase("disassemble");
	tcase_add_test(tc, test_disassemble_round_trip);
	tcase_add_loop_test(tc, test_disassemble_undecodable, 0, (int)N_UNDECODABLE);
	tcase_add_test(tc, test_disassemble_reports_all_decoded);
	tcase_add_test(tc, test_disassemble_go_quirks);
	tcase_add_test(tc, test_disassemble_every_opcode);
	tcase_add_test(tc, test_disassemble_every_wide_opcode);
	suite_add_tcase(s, tc);

	tc = tu_tcase("string");
	tcase_add_test(tc, test_string_cases);
	tcase_add_test(tc, test_string_go_sharp_v);
	tcase_add_test(tc, test_string_large_values);
	tcase_add_test(tc, test_string_snprintf_semantics);
	tcase_add_test(tc, test_program_free);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(bpf_instructions_suite());
}
