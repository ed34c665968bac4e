/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_bpf_text.c - classic BPF as text: rn_bpf_parse_asm against
 * the kernel's bpf_asm (x/net/bpf's all_instructions.txt and the
 * bpf_asm output kept beside it), rn_bpf_parse_dd and rn_bpf_format_program
 * against what tcpdump -dd / -ddd really print, the ASM form's round trip,
 * and error messages that name the line.  tcpdump (scripts/deps.sh
 * installs it) compiles filters without capturing: `-y EN10MB` picks the
 * link type, no interface or privilege needed; without it those tests
 * say so and pass.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ringnet/bpf.h>

#include "testutil.h"

static const char *last_error(void)
{
	static char buf[1024];

	rn_error_string(rn_last_error(), buf, sizeof buf);
	return buf;
}

/* Parse @text (asm or dd) and insist it worked. */
static rn_bpf_program parse_ok(int (*parse)(const char *, rn_bpf_program *), const char *text)
{
	rn_bpf_program p = { NULL, 99 };
	int rc = parse(text, &p);

	ck_assert_msg(rc == 0, "parse failed (%d): %s\n--- input:\n%s", rc, last_error(), text);
	ck_assert_ptr_nonnull(p.v);
	ck_assert_uint_gt(p.n, 0);
	return p;
}

static void assert_same_program(const rn_bpf_program *a, const rn_bpf_program *b)
{
	ck_assert_uint_eq(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		ck_assert_msg(a->v[i].op == b->v[i].op && a->v[i].jt == b->v[i].jt &&
			      a->v[i].jf == b->v[i].jf && a->v[i].k == b->v[i].k,
			      "instruction %zu: {%#x %u %u %#x} != {%#x %u %u %#x}", i, a->v[i].op,
			      a->v[i].jt, a->v[i].jf, a->v[i].k, b->v[i].op, b->v[i].jt, b->v[i].jf,
			      b->v[i].k);
	}
}

/* @p printed in form @f, malloc'd; checks the snprintf contract on the way. */
static char *format(const rn_bpf_program *p, rn_bpf_format f)
{
	int need = rn_bpf_format_program(p->v, p->n, f, NULL, 0);
	char *buf;

	ck_assert_int_ge(need, 0);
	buf = malloc((size_t)need + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(rn_bpf_format_program(p->v, p->n, f, buf, (size_t)need + 1), need);
	ck_assert_uint_eq(strlen(buf), (size_t)need);
	return buf;
}

/* Parse @text with @parse and expect -EINVAL with exactly @want. */
static void assert_parse_error(int (*parse)(const char *, rn_bpf_program *), const char *text,
			       const char *want)
{
	rn_bpf_program p = { (rn_bpf_raw_instruction *)&p, 7 };

	ck_assert_msg(parse(text, &p) == -EINVAL, "accepted:\n%s", text);
	ck_assert_ptr_null(p.v);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_str_eq(last_error(), want);
}

/* ---- x/net/bpf's all_instructions: bpf_asm's own input and output ---------------- */

static char *vector_text(const char *key)
{
	cJSON *root = tu_load_json("xnet_bpf_instructions.json");
	char *s = strdup(tu_jstr(root, key));

	cJSON_Delete(root);
	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(test_all_instructions_match_bpf_asm)
{
	char *txt = vector_text("txt_file"), *bpf = vector_text("bpf_file");
	rn_bpf_program a = parse_ok(rn_bpf_parse_asm, txt);
	rn_bpf_program b = parse_ok(rn_bpf_parse_dd, bpf); /* bpf_asm's "57,0 0 0 42,..." */

	ck_assert_uint_eq(a.n, 57);
	assert_same_program(&a, &b);
	rn_bpf_program_free(&a);
	rn_bpf_program_free(&b);
	free(txt);
	free(bpf);
}
END_TEST

/* Every row's raw form is the instruction at its index (1-based) in the parsed text. */
START_TEST(test_all_instructions_rows)
{
	cJSON *root = tu_load_json("xnet_bpf_instructions.json"), *c;
	rn_bpf_program a = parse_ok(rn_bpf_parse_asm, tu_jstr(root, "txt_file"));
	int rows = 0;

	cJSON_ArrayForEach(c, tu_cases(root)) {
		const cJSON *raw = tu_jobj(c, "raw");
		size_t i = (size_t)tu_jint(c, "index") - 1;

		ck_assert_uint_lt(i, a.n);
		ck_assert_msg(a.v[i].op == tu_jint(raw, "op") && a.v[i].jt == tu_jint(raw, "jt") &&
			      a.v[i].jf == tu_jint(raw, "jf") &&
			      a.v[i].k == (uint32_t)cJSON_GetObjectItem(raw, "k")->valuedouble,
			      "row %zu (%s)", i + 1, tu_jstr(c, "bpf_asm_source_line"));
		rows++;
	}
	ck_assert_int_gt(rows, 0);
	rn_bpf_program_free(&a);
	cJSON_Delete(root);
}
END_TEST

/* asm -> raw -> asm -> raw: the printed form reads back as the same program. */
START_TEST(test_all_instructions_round_trip)
{
	char *txt = vector_text("txt_file"), *s, *s2;
	rn_bpf_program a = parse_ok(rn_bpf_parse_asm, txt), b, c;

	s = format(&a, RN_BPF_FORMAT_ASM);
	b = parse_ok(rn_bpf_parse_asm, s);
	assert_same_program(&a, &b);
	s2 = format(&b, RN_BPF_FORMAT_ASM);
	ck_assert_str_eq(s, s2);

	/* And through the numeric forms. */
	free(s2);
	s2 = format(&a, RN_BPF_FORMAT_DDD);
	c = parse_ok(rn_bpf_parse_dd, s2);
	assert_same_program(&a, &c);
	rn_bpf_program_free(&c);
	free(s2);
	s2 = format(&a, RN_BPF_FORMAT_DD);
	c = parse_ok(rn_bpf_parse_dd, s2);
	assert_same_program(&a, &c);

	rn_bpf_program_free(&a);
	rn_bpf_program_free(&b);
	rn_bpf_program_free(&c);
	free(s);
	free(s2);
	free(txt);
}
END_TEST

/* ---- the ASM form --------------------------------------------------------------- */

START_TEST(test_format_asm_labels)
{
	rn_bpf_program p = parse_ok(rn_bpf_parse_asm,
				    "  ldh [12]\n"
				    "  jne #0x800, drop\n"
				    "  ldb [23]\n"
				    "  jeq #17, keep, drop\n"
				    "keep: ret #-1\n"
				    "drop: ret #0\n");
	char *s = format(&p, RN_BPF_FORMAT_ASM);

	/* Go's String per instruction, the skips turned into labels of the targets. */
	ck_assert_str_eq(s, "ldh [12]\n"
			    "jneq #2048,L5\n"
			    "ldb [23]\n"
			    "jneq #17,L5\n"
			    "ret #4294967295\n"
			    "L5: ret #0\n");
	rn_bpf_program_free(&p);
	free(s);
}
END_TEST

/* Every shape of jump Go prints reads back the same. */
START_TEST(test_format_asm_jump_shapes)
{
	static rn_bpf_raw_instruction prog[] = {
		{ 0x15, 0, 0, 1 },	/* jneq #1,L1 */
		{ 0x15, 1, 0, 1 },	/* jeq #1,L3 */
		{ 0x25, 0, 1, 1 },	/* jle #1,L4 */
		{ 0x35, 0, 1, 1 },	/* jlt #1,L5 */
		{ 0x45, 0, 1, 1 },	/* jset #1,L5,L6 (Go's BitsNotSet) */
		{ 0x45, 0, 0, 1 },	/* jset #1,L6 */
		{ 0x4d, 1, 2, 0 },	/* jset x,L8,L9 */
		{ 0x05, 0, 0, 1 },	/* ja L9 */
		{ 0x06, 0, 0, 1 },
		{ 0x3d, 2, 0, 0 },	/* jge x, past the end: stays a number */
		{ 0x16, 0, 0, 0 },
	};
	rn_bpf_program p = { prog, sizeof(prog) / sizeof(prog[0]) };
	char *s = format(&p, RN_BPF_FORMAT_ASM);
	rn_bpf_program back = parse_ok(rn_bpf_parse_asm, s);

	ck_assert_str_eq(s, "jneq #1,L1\n"
			    "L1: jeq #1,L3\n"
			    "jle #1,L4\n"
			    "L3: jlt #1,L5\n"
			    "L4: jset #1,L5,L6\n"
			    "L5: jset #1,L6\n"
			    "L6: jset x,L8,L9\n"
			    "ja L9\n"
			    "L8: ret #1\n"
			    "L9: jge x,2\n"
			    "ret a\n");
	assert_same_program(&p, &back);
	rn_bpf_program_free(&back);
	free(s);
}
END_TEST

/* ---- bpf_asm syntax ---------------------------------------------------------------- */

struct syntax_case {
	const char *text;
	rn_bpf_raw_instruction want;
};

START_TEST(test_asm_syntax_variants)
{
	static const struct syntax_case cases[] = {
		{ "LD #1", { 0x00, 0, 0, 1 } },
		{ "ld #0x10", { 0x00, 0, 0, 16 } },
		{ "ld #0X1f", { 0x00, 0, 0, 31 } },
		{ "ld #010", { 0x00, 0, 0, 8 } },
		{ "ld #0b101", { 0x00, 0, 0, 5 } },
		{ "ld #-1", { 0x00, 0, 0, 0xffffffff } },
		{ "ld #4294967295", { 0x00, 0, 0, 0xffffffff } },
		{ "ldi 7", { 0x00, 0, 0, 7 } },
		{ "ldi #7", { 0x00, 0, 0, 7 } },
		{ "ldxi 7", { 0x01, 0, 0, 7 } },
		{ "ld len", { 0x80, 0, 0, 0 } },
		{ "ld #len", { 0x80, 0, 0, 0 } },
		{ "ldx #len", { 0x81, 0, 0, 0 } },
		{ "ld #proto", { 0x20, 0, 0, 0xfffff000 } },
		{ "ld type", { 0x20, 0, 0, 0xfffff004 } },
		{ "ld #poff", { 0x20, 0, 0, 0xfffff034 } },
		{ "ld #ifidx", { 0x20, 0, 0, 0xfffff008 } },
		{ "ld #nla", { 0x20, 0, 0, 0xfffff00c } },
		{ "ld #nlan", { 0x20, 0, 0, 0xfffff010 } },
		{ "ld #mark", { 0x20, 0, 0, 0xfffff014 } },
		{ "ld #queue", { 0x20, 0, 0, 0xfffff018 } },
		{ "ld #hatype", { 0x20, 0, 0, 0xfffff01c } },
		{ "ld #rxhash", { 0x20, 0, 0, 0xfffff020 } },
		{ "ld #cpu", { 0x20, 0, 0, 0xfffff024 } },
		{ "ld #vlan_tci", { 0x20, 0, 0, 0xfffff02c } },
		{ "ld #vlan_pr", { 0x20, 0, 0, 0xfffff030 } },
		{ "ld #vlan_avail", { 0x20, 0, 0, 0xfffff030 } },
		{ "ld #vlan_tpid", { 0x20, 0, 0, 0xfffff03c } },
		{ "ld #rand", { 0x20, 0, 0, 0xfffff038 } },
		{ "ldb #proto", { 0x30, 0, 0, 0xfffff000 } },
		{ "ldh #proto", { 0x28, 0, 0, 0xfffff000 } },
		{ "ld M[15]", { 0x60, 0, 0, 15 } },
		{ "ld m[ 2 ]", { 0x60, 0, 0, 2 } },
		{ "ldx M[3]", { 0x61, 0, 0, 3 } },
		{ "ld [12]", { 0x20, 0, 0, 12 } },
		{ "ldh [x + 14]", { 0x48, 0, 0, 14 } },
		{ "ldh [x+14]", { 0x48, 0, 0, 14 } },
		{ "ldb [%x + 14]", { 0x50, 0, 0, 14 } },
		{ "ld [x + -4]", { 0x40, 0, 0, 0xfffffffc } },
		{ "ldx 4*([14]&0xf)", { 0xb1, 0, 0, 14 } },
		{ "ldxb 4 * ( [ 14 ] & 0xf )", { 0xb1, 0, 0, 14 } },
		{ "st M[1]", { 0x02, 0, 0, 1 } },
		{ "stx M[1]", { 0x03, 0, 0, 1 } },
		{ "add #1", { 0x04, 0, 0, 1 } },
		{ "sub %x", { 0x1c, 0, 0, 0 } },
		{ "mod x", { 0x9c, 0, 0, 0 } },
		{ "xor #3", { 0xa4, 0, 0, 3 } },
		{ "neg", { 0x84, 0, 0, 0 } },
		{ "tax", { 0x07, 0, 0, 0 } },
		{ "txa", { 0x87, 0, 0, 0 } },
		{ "ret a", { 0x16, 0, 0, 0 } },
		{ "ret %a", { 0x16, 0, 0, 0 } },
		{ "ret x", { 0x0e, 0, 0, 0 } },
		{ "ret #262144", { 0x06, 0, 0, 262144 } },
		/* Jumps by number, as Go's String prints them. */
		{ "ja 3", { 0x05, 0, 0, 3 } },
		{ "jmp 0", { 0x05, 0, 0, 0 } },
		{ "jeq #1,2,3", { 0x15, 2, 3, 1 } },
		{ "jne #1,2", { 0x15, 0, 2, 1 } },
		{ "jneq x,2", { 0x1d, 0, 2, 0 } },
		{ "jlt #5,1", { 0x35, 0, 1, 5 } },
		{ "jle %x,1", { 0x2d, 0, 1, 0 } },
		{ "jgt #5,255", { 0x25, 255, 0, 5 } },
		{ "jset #0x1fff,6,0", { 0x45, 6, 0, 0x1fff } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rn_bpf_program p = parse_ok(rn_bpf_parse_asm, cases[i].text);
		rn_bpf_raw_instruction w = cases[i].want;
		rn_bpf_program want = { &w, 1 };

		ck_assert_msg(p.n == 1, "%s: %zu instructions", cases[i].text, p.n);
		assert_same_program(&p, &want);
		rn_bpf_program_free(&p);
	}
}
END_TEST

/* Free form, as bpf_asm's lexer reads it: any spacing, comments of three kinds. */
START_TEST(test_asm_layout)
{
	rn_bpf_program p = parse_ok(rn_bpf_parse_asm,
				    "# a comment line\n"
				    "ldh [12] ; trailing comment\n"
				    "/* a comment\n"
				    "   over lines */ jeq #0x800,\n"
				    "        ip , drop\n"
				    "ip:\n"
				    "\tret #-1  ld #1 ; two on a line\n"
				    "drop: ret #0");
	static rn_bpf_raw_instruction want[] = {
		{ 0x28, 0, 0, 12 }, { 0x15, 0, 2, 0x800 }, { 0x06, 0, 0, 0xffffffff },
		{ 0x00, 0, 0, 1 }, { 0x06, 0, 0, 0 },
	};
	rn_bpf_program w = { want, 5 };

	assert_same_program(&p, &w);
	rn_bpf_program_free(&p);
}
END_TEST

START_TEST(test_asm_limits)
{
	size_t n = 4096, len = n * 8 + 32;
	char *s = malloc(len), *q = s;
	rn_bpf_program p;

	for (size_t i = 0; i < n; i++)
		q += sprintf(q, "ret #0\n");
	p = parse_ok(rn_bpf_parse_asm, s);
	ck_assert_uint_eq(p.n, 4096);
	rn_bpf_program_free(&p);
	sprintf(q, "ret #1\n");
	assert_parse_error(rn_bpf_parse_asm, s, "line 4097: more than 4096 instructions");

	/* A jump of 255 instructions is the longest. */
	q = s;
	q += sprintf(q, "jeq #1, far, far2\n");
	for (size_t i = 0; i < 255; i++)
		q += sprintf(q, "ret #0\n");
	sprintf(q, "far: ret #1\nfar2: ret #2\n");
	assert_parse_error(rn_bpf_parse_asm, s,
			   "line 1: jump to \"far2\" is out of range "
			   "(256 instructions, at most 255)");
	q = strstr(s, "far2");
	memcpy(q, "far ", 4);
	p = parse_ok(rn_bpf_parse_asm, s);
	ck_assert_uint_eq(p.v[0].jt, 255);
	ck_assert_uint_eq(p.v[0].jf, 255);
	rn_bpf_program_free(&p);
	free(s);
}
END_TEST

struct error_case {
	const char *text;
	const char *want;
};

START_TEST(test_asm_errors)
{
	static const struct error_case cases[] = {
		{ "ld #1\nlx [3]\nret a", "line 2: unknown opcode \"lx\"" },
		{ "ld #1\n\nret #0\n  jeq #1, nowhere\nret a",
		  "line 4: no such label \"nowhere\"" },
		{ "top: ld #1\nja top\nret a", "line 2: jump to \"top\" goes backwards" },
		{ "a1: ld #1\na1: ret a", "line 2: duplicate label \"a1\" (first on line 1)" },
		{ "ld #0x", "line 1: bad number \"0x\"" },
		{ "ld #08", "line 1: bad number \"08\"" },
		{ "ld #\n4294967296", "line 2: bad number \"4294967296\"" },
		{ "ld #-2147483649", "line 1: bad number \"-2147483649\"" },
		{ "ld #1\nret #0 /* never\nends", "line 2: unterminated comment" },
		{ "ld #1 @", "line 1: unexpected character '@'" },
		{ "ld #1 \x01", "line 1: unexpected byte 0x01" },
		{ "ret a\nend:",
		  "line 2: label \"end\" must be followed by an instruction, not end of input" },
		{ "x1: x2: ret a",
		  "line 1: label \"x1\" must be followed by an instruction, not \"x2\"" },
		{ "ld: ret a", "line 1: \"ld\" is a keyword, not a label" },
		{ "\n\nldx 2*([14]&0xf)", "line 3: ldx: only 4*([k]&0xf) is supported" },
		{ "ld [x - 4]", "line 1: ld: expected '+', got \"-\"" },
		{ "ldh [14", "line 1: ldh: expected ']', got end of input" },
		{ "add\nret a", "line 2: add: expected '#', got \"ret\"" },
		{ "ret b", "line 1: ret: expected a, x or #k, got \"b\"" },
		{ "ld #len2", "line 1: ld: expected a number, len or an extension, got \"len2\"" },
		{ "ldb len", "line 1: ldb: expected an extension, got \"len\"" },
		{ "jeq #1, 256", "line 1: jeq: jump offset 256 out of range (at most 255)" },
		{ "ret #1 2", "line 1: expected an instruction, got \"2\"" },
		{ "; nothing\n", "empty program: no instructions" },
		{ "", "empty program: no instructions" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_parse_error(rn_bpf_parse_asm, cases[i].text, cases[i].want);
	ck_assert_int_eq(rn_bpf_parse_asm(NULL, NULL), -EINVAL);
}
END_TEST

/* Long tokens are quoted cut short; nothing is read or written out of bounds. */
START_TEST(test_asm_long_tokens)
{
	char *s = tu_big_string(100000, 'q');

	assert_parse_error(rn_bpf_parse_asm, s,
			   "line 1: unknown opcode "
			   "\"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq...\"");
	memset(s, '9', 100000);
	assert_parse_error(rn_bpf_parse_asm, s,
			   "line 1: expected an instruction, got "
			   "\"9999999999999999999999999999999999999999...\"");
	free(s);
}
END_TEST

/*
 * Mutations of a real program: each parse either succeeds with at most
 * 4096 instructions or fails with -EINVAL and a "line" or "empty" text.
 */
START_TEST(test_asm_and_dd_mutations)
{
	char *txt = vector_text("txt_file"), *bpf = vector_text("bpf_file");
	char *srcs[2] = { txt, bpf };
	static const char alphabet[] = "#[]()+-*&%:,;/ \n0123456789xXaAmMldjqetb";
	unsigned seed = 12345;

	for (int round = 0; round < 4000; round++) {
		char *src = srcs[round % 2], *m = strdup(src);
		size_t len = strlen(m);
		rn_bpf_program p;
		int rc;

		for (int k = 0; k < 1 + round % 5; k++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;

			seed = seed * 1103515245u + 12345u;
			m[at] = alphabet[(seed >> 8) % (sizeof(alphabet) - 1)];
		}
		if (round % 7 == 0)
			m[(seed >> 4) % len] = 0; /* truncated */
		rc = (round % 2 ? rn_bpf_parse_dd : rn_bpf_parse_asm)(m, &p);
		if (rc == 0) {
			ck_assert_uint_le(p.n, 4096);
			rn_bpf_program_free(&p);
		} else {
			ck_assert_int_eq(rc, -EINVAL);
			ck_assert_msg(!strncmp(last_error(), "line ", 5) ||
				      !strncmp(last_error(), "empty", 5), "%s", last_error());
		}
		free(m);
	}
	free(txt);
	free(bpf);
}
END_TEST

/* ---- tcpdump -dd / -ddd -------------------------------------------------------------- */

static bool have_tcpdump(void)
{
	return system("tcpdump --version >/dev/null 2>&1") == 0;
}

/* The output of `tcpdump @opt -y @linktype '@expr'`, malloc'd. */
static char *tcpdump(const char *opt, const char *linktype, const char *expr)
{
	char cmd[512], *out = NULL;
	size_t cap = 0, len = 0, r;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "tcpdump %s -y %s '%s' 2>/dev/null", opt, linktype, expr);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap * 2 + 8192;
			out = realloc(out, cap);
			ck_assert_ptr_nonnull(out);
		}
		r = fread(out + len, 1, 4096, f);
		len += r;
	} while (r > 0);
	out[len] = 0;
	ck_assert_msg(pclose(f) == 0 && len > 0, "%s failed", cmd);
	return out;
}

static const char *const expressions[] = {
	"udp port 53",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
	"ip host 127.0.0.1 and not port 22",
	"icmp[icmptype] == icmp-echo or icmp6",
	"vlan and udp",
	"ip[2:2] > 576 and ip[8] < 64",
	"ether multicast and len >= 100",
	"portrange 1000-2000 or ip6 net 2001:db8::/32",
	"ip proto 47 or (udp and udp[8:4] = 0x12345678)",
	"ether host 02:00:00:00:00:01 and arp",
};

/* What tcpdump prints, parse_dd reads and format_program prints back, byte for byte. */
START_TEST(test_dd_matches_tcpdump)
{
	if (!have_tcpdump()) {
		printf("test_dd_matches_tcpdump: skipped: tcpdump not installed "
		       "(scripts/deps.sh)\n");
		return;
	}
	for (size_t i = 0; i < sizeof(expressions) / sizeof(expressions[0]); i++) {
		char *dd = tcpdump("-dd", "EN10MB", expressions[i]);
		char *ddd = tcpdump("-ddd", "EN10MB", expressions[i]);
		rn_bpf_program a = parse_ok(rn_bpf_parse_dd, dd);
		rn_bpf_program b = parse_ok(rn_bpf_parse_dd, ddd);
		char *s_dd = format(&a, RN_BPF_FORMAT_DD), *s_ddd = format(&b, RN_BPF_FORMAT_DDD);

		assert_same_program(&a, &b);
		ck_assert_msg(!strcmp(s_dd, dd), "%s: -dd differs:\n%s\n--- tcpdump:\n%s",
			      expressions[i], s_dd, dd);
		ck_assert_msg(!strcmp(s_ddd, ddd), "%s: -ddd differs:\n%s\n--- tcpdump:\n%s",
			      expressions[i], s_ddd, ddd);
		ck_assert_int_eq(rn_bpf_check(a.v, a.n, NULL), 0);
		rn_bpf_program_free(&a);
		rn_bpf_program_free(&b);
		free(s_dd);
		free(s_ddd);
		free(dd);
		free(ddd);
	}
}
END_TEST

/* tcpdump's programs, printed as bpf_asm, read back the same. */
START_TEST(test_tcpdump_programs_round_trip_asm)
{
	if (!have_tcpdump()) {
		printf("test_tcpdump_programs_round_trip_asm: skipped: tcpdump not installed\n");
		return;
	}
	for (size_t i = 0; i < sizeof(expressions) / sizeof(expressions[0]); i++) {
		char *dd = tcpdump("-dd", "EN10MB", expressions[i]);
		rn_bpf_program a = parse_ok(rn_bpf_parse_dd, dd), b;
		char *s = format(&a, RN_BPF_FORMAT_ASM);

		b = parse_ok(rn_bpf_parse_asm, s);
		assert_same_program(&a, &b);
		rn_bpf_program_free(&a);
		rn_bpf_program_free(&b);
		free(s);
		free(dd);
	}
}
END_TEST

START_TEST(test_dd_exact_forms)
{
	static rn_bpf_raw_instruction prog[] = {
		{ 0x28, 0, 0, 12 }, { 0x15, 0, 1, 0x86dd }, { 0x6, 0, 0, 262144 }, { 0x6, 0, 0, 0 },
	};
	rn_bpf_program p = { prog, 4 };
	char *dd = format(&p, RN_BPF_FORMAT_DD), *ddd = format(&p, RN_BPF_FORMAT_DDD);
	char small[10];

	ck_assert_str_eq(dd, "{ 0x28, 0, 0, 0x0000000c },\n"
			     "{ 0x15, 0, 1, 0x000086dd },\n"
			     "{ 0x6, 0, 0, 0x00040000 },\n"
			     "{ 0x6, 0, 0, 0x00000000 },\n");
	ck_assert_str_eq(ddd, "4\n40 0 0 12\n21 0 1 34525\n6 0 0 262144\n6 0 0 0\n");
	/* snprintf semantics: cut, terminated, the full length returned. */
	ck_assert_int_eq(rn_bpf_format_program(prog, 4, RN_BPF_FORMAT_DD, small, sizeof small),
			 (int)strlen(dd));
	ck_assert_str_eq(small, "{ 0x28, 0");
	ck_assert_int_eq(rn_bpf_format_program(prog, 0, RN_BPF_FORMAT_DDD, small, sizeof small), 2);
	ck_assert_str_eq(small, "0\n");
	ck_assert_int_eq(rn_bpf_format_program(prog, 4, (rn_bpf_format)9, small, sizeof small),
			 -EINVAL);
	free(dd);
	free(ddd);
}
END_TEST

START_TEST(test_dd_lenient_shapes)
{
	rn_bpf_program a = parse_ok(rn_bpf_parse_dd,
				    "\n  { 0x28,  0,  0, 0x0000000c },\n"	/* bpf_asm -c */
				    "{40,0,0,12}\n"
				    "\t{ 0x6, 0, 0, 262144 }  \r\n\n");
	rn_bpf_program b = parse_ok(rn_bpf_parse_dd, "3\r\n40 0 0 12\n40\t0 0 12\n6 0 0 262144\n");
	rn_bpf_program c = parse_ok(rn_bpf_parse_dd, "3,40 0 0 12,40 0 0 12,6 0 0 262144,\n");

	assert_same_program(&a, &b);
	assert_same_program(&a, &c);
	rn_bpf_program_free(&a);
	rn_bpf_program_free(&b);
	rn_bpf_program_free(&c);
}
END_TEST

START_TEST(test_dd_errors)
{
	static const struct error_case cases[] = {
		{ "{ 0x28, 0, 0, 0x0c },\n{ 0x15, 0, 300, 1 },\n", "line 2: bad jf \"300\"" },
		{ "{ 0x10000, 0, 0, 0 }", "line 1: bad opcode \"0x10000\"" },
		{ "{ 0x6, 0, 0, 0x100000000 }", "line 1: bad k \"0x100000000\"" },
		{ "{ 0x6, 0, 0 }", "line 1: expected \"{ code, jt, jf, k },\"" },
		{ "{ 0x6, 0, 0, 0 },\n\n{ 0x6, 0, 0, 0 } x", "line 3: expected the end of the line "
		  "after \"{ code, jt, jf, k },\"" },
		{ "{ 0x6, 0, 0, 0 },\n2\n6 0 0 0", "line 2: expected \"{ code, jt, jf, k },\"" },
		{ "3\n6 0 0 0\n6 0 0 0\n", "line 4: 2 instructions, but the count is 3" },
		{ "1\n6 0 0 0\n6 0 0 0\n", "line 3: more instructions than the count 1" },
		{ "2\n6 0 0\n0\n", "line 2: expected \"code jt jf k\"" },
		{ "0\n", "line 1: instruction count 0 out of range (1 to 4096)" },
		{ "4097\n", "line 1: instruction count 4097 out of range (1 to 4096)" },
		{ "ret #0", "line 1: expected tcpdump -dd or -ddd output" },
		{ "  \n\n", "empty program: no instructions" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_parse_error(rn_bpf_parse_dd, cases[i].text, cases[i].want);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("bpf_text");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, tu_fd_setup, tu_fd_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_all_instructions_match_bpf_asm);
	tcase_add_test(tc, test_all_instructions_rows);
	tcase_add_test(tc, test_all_instructions_round_trip);
	tcase_add_test(tc, test_format_asm_labels);
	tcase_add_test(tc, test_format_asm_jump_shapes);
	tcase_add_test(tc, test_asm_syntax_variants);
	tcase_add_test(tc, test_asm_layout);
	tcase_add_test(tc, test_asm_limits);
	tcase_add_test(tc, test_asm_errors);
	tcase_add_test(tc, test_asm_long_tokens);
	tcase_add_test(tc, test_asm_and_dd_mutations);
	tcase_add_test(tc, test_dd_matches_tcpdump);
	tcase_add_test(tc, test_tcpdump_programs_round_trip_asm);
	tcase_add_test(tc, test_dd_exact_forms);
	tcase_add_test(tc, test_dd_lenient_shapes);
	tcase_add_test(tc, test_dd_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
