/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bpf/text.c - classic BPF programs as text.  In: bpf_asm source as the
 * kernel's tools/bpf/bpf_asm reads it (rn_bpf_parse_asm), and the numbers
 * tcpdump -dd / -ddd (and bpf_asm itself) print (rn_bpf_parse_dd).  Out:
 * the same three forms (rn_bpf_format_program).
 *
 * Beyond bpf_asm, the parser also takes what Go's String prints (jumps by
 * a number of instructions, "ja 3", "jeq #1,2,0"), "[x+k]" without spaces
 * (bpf_asm's lexer reads "+k" as a number there) and one-letter labels; it
 * refuses what bpf_asm lets through silently (a label defined twice, a
 * backward "ja").  ASM output labels each jump target "L<index>".
 *
 * The input is untrusted: every length is bounded (at most
 * RNB_MAX_INSNS instructions, numbers of 32 bits, jumps of 8), nothing is
 * read past the terminating NUL, and a failure is -EINVAL with the line.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ringnet/bpf.h>

#include "api/errors.h"
#include "api/strbuf.h"
#include "bpf/opcodes.h"

/* The kernel's BPF_MAXINSNS: neither it nor bpf_asm takes a longer program. */
#define RNB_MAX_INSNS 4096
/* How much of an offending token an error message quotes. */
#define RNB_QUOTE_MAX 40

/* ---- errors --------------------------------------------------------------------- */

/* Record "line N: <fmt>" as -EINVAL; returns -EINVAL. */
__attribute__((format(printf, 2, 3))) static int line_error(int line, const char *fmt, ...)
{
	char msg[RN_ERR_TEXT_MAX];
	int off = snprintf(msg, sizeof(msg), "line %d: ", line);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + off, sizeof(msg) - (size_t)off, fmt, ap);
	va_end(ap);
	return rni_err_text(-EINVAL, msg);
}

/* ---- a growing program ------------------------------------------------------------ */

static int prog_push(rn_bpf_program *p, size_t *cap, rn_bpf_raw_instruction ins)
{
	if (p->n >= RNB_MAX_INSNS)
		return rni_err_text(-EINVAL, "more than 4096 instructions");
	if (p->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		rn_bpf_raw_instruction *v;

		if (ncap > RNB_MAX_INSNS)
			ncap = RNB_MAX_INSNS;
		v = realloc(p->v, ncap * sizeof(*v));
		if (!v)
			return rni_err_text(-ENOMEM, "out of memory");
		p->v = v;
		*cap = ncap;
	}
	p->v[p->n++] = ins;
	return 0;
}

/* ---- bpf_asm: tokens ------------------------------------------------------------------ */

enum tok_kind { T_END, T_IDENT, T_NUM, T_PUNCT };

typedef struct tok {
	enum tok_kind kind;
	const char *s;	/* the text (T_PUNCT: one character) */
	size_t len;
	int line;
} tok;

typedef struct lexer {
	const char *p;	/* next character */
	int line;
	bool bol;	/* p is at the start of a line */
} lexer;

/*
 * Skip blanks and comments: ";" to the end of the line, C comments, and a
 * line that starts with "#" (bpf_asm's three kinds).  Returns 0, or the
 * error of an unterminated C comment.
 */
static int skip_space(lexer *lx)
{
	for (;;) {
		char c = *lx->p;

		if (c == '\n') {
			lx->line++;
			lx->bol = true;
			lx->p++;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
			lx->bol = false;
			lx->p++;
		} else if (c == ';' || (c == '#' && lx->bol)) {
			while (*lx->p && *lx->p != '\n')
				lx->p++;
		} else if (c == '/' && lx->p[1] == '*') {
			int start = lx->line;

			lx->p += 2;
			while (*lx->p && !(lx->p[0] == '*' && lx->p[1] == '/')) {
				if (*lx->p == '\n')
					lx->line++;
				lx->p++;
			}
			if (!*lx->p)
				return line_error(start, "unterminated comment");
			lx->p += 2;
			lx->bol = false;
		} else {
			return 0;
		}
	}
}

static bool is_ident_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* lex - the token at lx (advancing it), or an error for a stray character. */
static int lex(lexer *lx, tok *t)
{
	const char *start;
	int rc = skip_space(lx);

	if (rc < 0)
		return rc;
	lx->bol = false;
	start = lx->p;
	t->s = start;
	t->line = lx->line;
	if (!*start) {
		t->kind = T_END;
		t->len = 0;
		return 0;
	}
	if (is_ident_start(*start) || isdigit((unsigned char)*start)) {
		/* Numbers take letters too ("0x1f"), to be judged whole later. */
		t->kind = is_ident_start(*start) ? T_IDENT : T_NUM;
		while (is_ident_char(*lx->p))
			lx->p++;
		t->len = (size_t)(lx->p - start);
		return 0;
	}
	if (strchr(":,#%[]()+-*&", *start)) {
		t->kind = T_PUNCT;
		t->len = 1;
		lx->p++;
		return 0;
	}
	if (isprint((unsigned char)*start))
		return line_error(lx->line, "unexpected character '%c'", *start);
	return line_error(lx->line, "unexpected byte 0x%02x", (unsigned)(unsigned char)*start);
}

static bool tok_is(const tok *t, char punct)
{
	return t->kind == T_PUNCT && t->s[0] == punct;
}

/* Case-insensitive, as bpf_asm's lexer is for every keyword. */
static bool tok_word(const tok *t, const char *w)
{
	size_t n = strlen(w);

	return t->kind == T_IDENT && t->len == n && strncasecmp(t->s, w, n) == 0;
}

/* Quote @t for an error message: "\"text\"" (cut short) or "end of input". */
static const char *tok_desc(const tok *t, char *buf, size_t size)
{
	if (t->kind == T_END)
		snprintf(buf, size, "end of input");
	else if (t->len > RNB_QUOTE_MAX)
		snprintf(buf, size, "\"%.*s...\"", RNB_QUOTE_MAX, t->s);
	else
		snprintf(buf, size, "\"%.*s\"", (int)t->len, t->s);
	return buf;
}

/*
 * parse_uint - one number as bpf_asm's lexer reads it: 0x hex, 0b binary,
 * 0 octal, else decimal; at most 32 bits.  Returns false when @s is none.
 */
static bool parse_uint(const char *s, size_t len, uint64_t limit, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	} else if (len > 1 && s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
		base = 2;
		i = 2;
	} else if (len > 1 && s[0] == '0') {
		base = 8;
		i = 1;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		unsigned d;

		if (isdigit((unsigned char)s[i]))
			d = (unsigned)(s[i] - '0');
		else if (isxdigit((unsigned char)s[i]))
			d = (unsigned)(tolower((unsigned char)s[i]) - 'a' + 10);
		else
			return false;
		if (d >= base)
			return false;
		v = v * base + d;
		if (v > limit)
			return false;
	}
	*out = v;
	return true;
}

/* ---- bpf_asm: the parser ------------------------------------------------------------ */

/* A label defined before an instruction. */
typedef struct label_def {
	const char *name;
	size_t len;
	size_t insn;
	int line;
} label_def;

/* A jump to a label, resolved once the whole program is read. */
enum ref_field { REF_JT, REF_JF, REF_K };

typedef struct label_ref {
	const char *name;
	size_t len;
	size_t insn;
	enum ref_field field;
	int line;
} label_ref;

typedef struct parser {
	lexer lx;
	tok cur;
	rn_bpf_program prog;
	size_t cap;
	label_def *defs;
	size_t ndefs, defs_cap;
	label_ref *refs;
	size_t nrefs, refs_cap;
	const char *mnem;	/* the instruction being read, for messages */
} parser;

static int next(parser *ps)
{
	return lex(&ps->lx, &ps->cur);
}

/* peek - the token after the current one, without moving. */
static int peek(const parser *ps, tok *t)
{
	lexer copy = ps->lx;

	return lex(&copy, t);
}

/* "ld: expected '#', got \"foo\"" at the offending token's line. */
static int expected(const parser *ps, const char *what)
{
	char d[RNB_QUOTE_MAX + 8];

	return line_error(ps->cur.line, "%.*s: expected %s, got %s", 16, ps->mnem, what,
			  tok_desc(&ps->cur, d, sizeof(d)));
}

static int expect(parser *ps, char punct)
{
	char what[4] = { '\'', punct, '\'', 0 };

	if (!tok_is(&ps->cur, punct))
		return expected(ps, what);
	return next(ps);
}

/* number - an optionally signed number: -1 is 0xffffffff, as bpf_asm's strtol gives. */
static int number(parser *ps, uint32_t *out)
{
	bool neg = false;
	uint64_t v;
	int rc;

	if (tok_is(&ps->cur, '-') || tok_is(&ps->cur, '+')) {
		neg = ps->cur.s[0] == '-';
		if ((rc = next(ps)) < 0)
			return rc;
	}
	if (ps->cur.kind != T_NUM)
		return expected(ps, "a number");
	if (!parse_uint(ps->cur.s, ps->cur.len, neg ? 0x80000000u : 0xffffffffu, &v)) {
		size_t len = ps->cur.len;

		return line_error(ps->cur.line, "bad number \"%s%.*s%s\"", neg ? "-" : "",
				  (int)(len > RNB_QUOTE_MAX ? RNB_QUOTE_MAX : len), ps->cur.s,
				  len > RNB_QUOTE_MAX ? "..." : "");
	}
	*out = neg ? (uint32_t)(0u - (uint32_t)v) : (uint32_t)v;
	return next(ps);
}

/* hash_number - "#" then a number (the operand of most instructions). */
static int hash_number(parser *ps, uint32_t *out)
{
	int rc = expect(ps, '#');

	return rc < 0 ? rc : number(ps, out);
}

static int emit(parser *ps, uint16_t op, uint32_t k)
{
	rn_bpf_raw_instruction ins = { .op = op, .jt = 0, .jf = 0, .k = k };

	return prog_push(&ps->prog, &ps->cap, ins);
}

/* The extensions bpf_asm names (its lexer's "#"?name rules). */
static const struct {
	const char *name;
	uint32_t num;
} extensions[] = {
	{ "proto", RN_BPF_EXT_PROTO },
	{ "type", RN_BPF_EXT_TYPE },
	{ "poff", RN_BPF_EXT_PAYLOAD_OFFSET },
	{ "ifidx", RN_BPF_EXT_INTERFACE_INDEX },
	{ "nla", RN_BPF_EXT_NETLINK_ATTR },
	{ "nlan", RN_BPF_EXT_NETLINK_ATTR_NESTED },
	{ "mark", RN_BPF_EXT_MARK },
	{ "queue", RN_BPF_EXT_QUEUE },
	{ "hatype", RN_BPF_EXT_LINK_LAYER_TYPE },
	{ "rxhash", RN_BPF_EXT_RX_HASH },
	{ "cpu", RN_BPF_EXT_CPU_ID },
	{ "vlan_tci", RN_BPF_EXT_VLAN_TAG },
	{ "vlan_pr", RN_BPF_EXT_VLAN_TAG_PRESENT },
	{ "vlan_avail", RN_BPF_EXT_VLAN_TAG_PRESENT },
	{ "vlan_tpid", RN_BPF_EXT_VLAN_PROTO },
	{ "rand", RN_BPF_EXT_RAND },
};

/* find_extension - the extension @t names, or -1. */
static int find_extension(const tok *t)
{
	for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
		if (tok_word(t, extensions[i].name))
			return (int)extensions[i].num;
	}
	return -1;
}

/*
 * ext_operand - an operand that may name an extension or the packet
 * length ("#proto", "proto", "#len", "len"); the caller has checked the
 * token (after an optional "#") is a word.  *@ext is the extension's
 * number, or -1 for len.
 */
static int ext_operand(parser *ps, bool len_ok, int *ext)
{
	if (tok_word(&ps->cur, "len") && len_ok) {
		*ext = -1;
		return next(ps);
	}
	*ext = find_extension(&ps->cur);
	if (*ext < 0)
		return expected(ps, len_ok ? "a number, len or an extension" : "an extension");
	return next(ps);
}

/* Whether the current token, or the one after a "#", is a word. */
static int hash_word(const parser *ps, bool *is_word)
{
	tok t = ps->cur;
	int rc = 0;

	if (tok_is(&t, '#'))
		rc = peek(ps, &t);
	*is_word = t.kind == T_IDENT;
	return rc;
}

static bool is_x(const tok *t)
{
	return tok_word(t, "x");
}

/* reg_x - "x" or "%x", when the current token starts one; *@found says whether it did. */
static int reg_x(parser *ps, bool *found)
{
	tok t;
	int rc;

	*found = false;
	if (is_x(&ps->cur)) {
		*found = true;
		return next(ps);
	}
	if (!tok_is(&ps->cur, '%'))
		return 0;
	if ((rc = peek(ps, &t)) < 0)
		return rc;
	if (!is_x(&t))
		return 0;
	*found = true;
	if ((rc = next(ps)) < 0)
		return rc;
	return next(ps);
}

/*
 * index_operand - "[k]" or "[x + k]" ("[%x + k]"; "[x+k]" too, which
 * bpf_asm's lexer would read as "x" then the number "+k").
 */
static int index_operand(parser *ps, bool *indirect, uint32_t *k)
{
	int rc;

	if ((rc = expect(ps, '[')) < 0 || (rc = reg_x(ps, indirect)) < 0)
		return rc;
	if (*indirect && (rc = expect(ps, '+')) < 0)
		return rc;
	if ((rc = number(ps, k)) < 0)
		return rc;
	return expect(ps, ']');
}

/* mem_operand - "M[k]". */
static int mem_operand(parser *ps, uint32_t *k)
{
	int rc;

	if (!tok_word(&ps->cur, "M"))
		return expected(ps, "M[");
	if ((rc = next(ps)) < 0 || (rc = expect(ps, '[')) < 0 || (rc = number(ps, k)) < 0)
		return rc;
	return expect(ps, ']');
}

/* msh_operand - "4*([k]&0xf)", the IPv4 header length; bpf_asm takes no other scale or mask. */
static int msh_operand(parser *ps, uint32_t *k)
{
	uint32_t scale, mask;
	int line = ps->cur.line, rc;

	if ((rc = number(ps, &scale)) < 0 || (rc = expect(ps, '*')) < 0 ||
	    (rc = expect(ps, '(')) < 0 || (rc = expect(ps, '[')) < 0 ||
	    (rc = number(ps, k)) < 0 || (rc = expect(ps, ']')) < 0 ||
	    (rc = expect(ps, '&')) < 0 || (rc = number(ps, &mask)) < 0 ||
	    (rc = expect(ps, ')')) < 0)
		return rc;
	if (scale != 4 || mask != 0xf)
		return line_error(line, "%s: only 4*([k]&0xf) is supported", ps->mnem);
	return 0;
}

static const uint32_t ext_base = 0u - RNB_EXT_OFFSET; /* SKF_AD_OFF */

/* emit_with - @code with the k that @operand parses (mem_operand, hash_number). */
static int emit_with(parser *ps, uint16_t code, int (*operand)(parser *p, uint32_t *k))
{
	uint32_t k;
	int rc;

	if ((rc = operand(ps, &k)) < 0)
		return rc;
	return emit(ps, code, k);
}

/* ldb, ldh: "[k]", "[x + k]" or an extension. */
static int do_ld_sized(parser *ps, uint16_t width)
{
	bool word, ind;
	uint32_t k;
	int ext, rc;

	if ((rc = hash_word(ps, &word)) < 0)
		return rc;
	if (word) {
		if (tok_is(&ps->cur, '#') && (rc = next(ps)) < 0)
			return rc;
		if ((rc = ext_operand(ps, false, &ext)) < 0)
			return rc;
		return emit(ps, RNB_CLS_LOAD_A | width | RNB_MODE_ABSOLUTE,
			    ext_base + (uint32_t)ext);
	}
	if ((rc = index_operand(ps, &ind, &k)) < 0)
		return rc;
	return emit(ps, RNB_CLS_LOAD_A | width | (ind ? RNB_MODE_INDIRECT : RNB_MODE_ABSOLUTE), k);
}

/* ld: "#k", "len", an extension, "M[k]", "[k]" or "[x + k]". */
static int do_ld(parser *ps, uint16_t unused)
{
	bool word, ind;
	uint32_t k;
	int ext, rc;

	(void)unused;
	if ((rc = hash_word(ps, &word)) < 0)
		return rc;
	if (tok_word(&ps->cur, "M"))
		return emit_with(ps, RNB_CLS_LOAD_A | RNB_MODE_SCRATCH, mem_operand);
	if (word) {
		if (tok_is(&ps->cur, '#') && (rc = next(ps)) < 0)
			return rc;
		if ((rc = ext_operand(ps, true, &ext)) < 0)
			return rc;
		if (ext < 0)
			return emit(ps, RNB_CLS_LOAD_A | RNB_MODE_PACKET_LEN, 0);
		return emit(ps, RNB_CLS_LOAD_A | RNB_MODE_ABSOLUTE, ext_base + (uint32_t)ext);
	}
	if (tok_is(&ps->cur, '#'))
		return emit_with(ps, RNB_CLS_LOAD_A | RNB_MODE_IMMEDIATE, hash_number);
	if (!tok_is(&ps->cur, '['))
		return expected(ps, "an operand");
	if ((rc = index_operand(ps, &ind, &k)) < 0)
		return rc;
	return emit(ps, RNB_CLS_LOAD_A | (ind ? RNB_MODE_INDIRECT : RNB_MODE_ABSOLUTE), k);
}

/* ldi, ldxi: "#k" or "k" into A (@cls 0) or X. */
static int do_ldi(parser *ps, uint16_t cls)
{
	uint32_t k;
	int rc;

	if (tok_is(&ps->cur, '#') && (rc = next(ps)) < 0)
		return rc;
	if ((rc = number(ps, &k)) < 0)
		return rc;
	return emit(ps, cls | RNB_MODE_IMMEDIATE, k);
}

/* ldx: "#k", "len", "M[k]" or "4*([k]&0xf)". */
static int do_ldx(parser *ps, uint16_t unused)
{
	bool word;
	uint32_t k;
	int ext, rc;

	(void)unused;
	if ((rc = hash_word(ps, &word)) < 0)
		return rc;
	if (tok_word(&ps->cur, "M"))
		return emit_with(ps, RNB_CLS_LOAD_X | RNB_MODE_SCRATCH, mem_operand);
	if (word) {
		if (tok_is(&ps->cur, '#') && (rc = next(ps)) < 0)
			return rc;
		if (!tok_word(&ps->cur, "len"))
			return expected(ps, "a number or len");
		if ((rc = ext_operand(ps, true, &ext)) < 0)
			return rc;
		return emit(ps, RNB_CLS_LOAD_X | RNB_MODE_PACKET_LEN, 0);
	}
	if (tok_is(&ps->cur, '#'))
		return emit_with(ps, RNB_CLS_LOAD_X | RNB_MODE_IMMEDIATE, hash_number);
	if ((rc = msh_operand(ps, &k)) < 0)
		return rc;
	return emit(ps, RNB_CLS_LOAD_X | RNB_LOAD_WIDTH_1 | RNB_MODE_MEM_SHIFT, k);
}

/* ldxb: "4*([k]&0xf)". */
static int do_ldxb(parser *ps, uint16_t unused)
{
	uint32_t k;
	int rc;

	(void)unused;
	if ((rc = msh_operand(ps, &k)) < 0)
		return rc;
	return emit(ps, RNB_CLS_LOAD_X | RNB_LOAD_WIDTH_1 | RNB_MODE_MEM_SHIFT, k);
}

/* st, stx: "M[k]". */
static int do_st(parser *ps, uint16_t cls)
{
	return emit_with(ps, cls, mem_operand);
}

/*
 * target - where jump @at goes: a label (resolved later), or a number of
 * instructions to skip (Go's String prints jumps so; bpf_asm wants labels).
 */
static int target(parser *ps, size_t at, enum ref_field field)
{
	rn_bpf_raw_instruction *ins = &ps->prog.v[at];
	uint32_t skip;
	int line = ps->cur.line, rc;

	if (ps->cur.kind == T_IDENT) {
		if (ps->nrefs == ps->refs_cap) {
			size_t ncap = ps->refs_cap ? ps->refs_cap * 2 : 32;
			label_ref *v = realloc(ps->refs, ncap * sizeof(*v));

			if (!v)
				return rni_err_text(-ENOMEM, "out of memory");
			ps->refs = v;
			ps->refs_cap = ncap;
		}
		ps->refs[ps->nrefs++] = (label_ref){ ps->cur.s, ps->cur.len, at, field, line };
		return next(ps);
	}
	if ((rc = number(ps, &skip)) < 0)
		return rc;
	if (field == REF_K)
		ins->k = skip;
	else if (skip > 255)
		return line_error(line, "%s: jump offset %u out of range (at most 255)", ps->mnem,
				  skip);
	else if (field == REF_JT)
		ins->jt = (uint8_t)skip;
	else
		ins->jf = (uint8_t)skip;
	return 0;
}

/* ja, jmp: a target. */
static int do_ja(parser *ps, uint16_t unused)
{
	int rc = emit(ps, RNB_CLS_JUMP | RNB_JUMP_ALWAYS, 0);

	(void)unused;
	return rc < 0 ? rc : target(ps, ps->prog.n - 1, REF_K);
}

/*
 * A conditional jump: "#k" or "x", then one target (the true one, or for
 * jneq, jlt and jle, which bpf_asm encodes as the opposite test, the false
 * one), or for the positive tests a true and a false target.
 */
static int cond_jump(parser *ps, uint16_t op, bool negative)
{
	uint32_t k = 0;
	size_t at;
	bool x;
	int rc;

	if ((rc = reg_x(ps, &x)) < 0)
		return rc;
	if (!x && (rc = hash_number(ps, &k)) < 0)
		return rc;
	if ((rc = expect(ps, ',')) < 0 ||
	    (rc = emit(ps, (uint16_t)(RNB_CLS_JUMP | op | (x ? RNB_OPERAND_X : 0)), k)) < 0)
		return rc;
	at = ps->prog.n - 1;
	if ((rc = target(ps, at, negative ? REF_JF : REF_JT)) < 0)
		return rc;
	if (negative || !tok_is(&ps->cur, ','))
		return 0;
	if ((rc = next(ps)) < 0)
		return rc;
	return target(ps, at, REF_JF);
}

static int do_jpos(parser *ps, uint16_t op)
{
	return cond_jump(ps, op, false);
}

static int do_jneg(parser *ps, uint16_t op)
{
	return cond_jump(ps, op, true);
}

/* ALU operators: "#k" or "x". */
static int do_alu(parser *ps, uint16_t op)
{
	uint32_t k;
	bool x;
	int rc;

	if ((rc = reg_x(ps, &x)) < 0)
		return rc;
	if (x)
		return emit(ps, (uint16_t)(RNB_CLS_ALU | op | RNB_OPERAND_X), 0);
	if ((rc = hash_number(ps, &k)) < 0)
		return rc;
	return emit(ps, (uint16_t)(RNB_CLS_ALU | op | RNB_OPERAND_CONSTANT), k);
}

/* Instructions without operands: neg, tax, txa. */
static int do_plain(parser *ps, uint16_t op)
{
	return emit(ps, op, 0);
}

/* ret: "a", "x" (bpf_asm emits BPF_RET|BPF_X, which the kernel refuses) or "#k". */
static int do_ret(parser *ps, uint16_t unused)
{
	uint32_t k;
	bool x;
	int rc;

	(void)unused;
	if ((rc = reg_x(ps, &x)) < 0)
		return rc;
	if (x)
		return emit(ps, RNB_CLS_RETURN | RNB_OPERAND_X, 0);
	if (tok_is(&ps->cur, '%')) {
		tok t;

		if ((rc = peek(ps, &t)) < 0)
			return rc;
		if (tok_word(&t, "a") && (rc = next(ps)) < 0)
			return rc;
	}
	if (tok_word(&ps->cur, "a")) {
		if ((rc = next(ps)) < 0)
			return rc;
		return emit(ps, RNB_CLS_RETURN | RNB_RET_SRC_A, 0);
	}
	if (!tok_is(&ps->cur, '#'))
		return expected(ps, "a, x or #k");
	if ((rc = hash_number(ps, &k)) < 0)
		return rc;
	return emit(ps, RNB_CLS_RETURN | RNB_RET_SRC_CONSTANT, k);
}

static const struct mnemonic {
	const char *name;
	int (*parse)(parser *ps, uint16_t arg);
	uint16_t arg;
} mnemonics[] = {
	{ "ldb", do_ld_sized, RNB_LOAD_WIDTH_1 },
	{ "ldh", do_ld_sized, RNB_LOAD_WIDTH_2 },
	{ "ld", do_ld, 0 },
	{ "ldi", do_ldi, RNB_CLS_LOAD_A },
	{ "ldx", do_ldx, 0 },
	{ "ldxi", do_ldi, RNB_CLS_LOAD_X },
	{ "ldxb", do_ldxb, 0 },
	{ "st", do_st, RNB_CLS_STORE_A },
	{ "stx", do_st, RNB_CLS_STORE_X },
	{ "jmp", do_ja, 0 },
	{ "ja", do_ja, 0 },
	{ "jeq", do_jpos, RNB_JUMP_EQUAL },
	{ "jneq", do_jneg, RNB_JUMP_EQUAL },
	{ "jne", do_jneg, RNB_JUMP_EQUAL },
	{ "jlt", do_jneg, RNB_JUMP_GE },
	{ "jle", do_jneg, RNB_JUMP_GT },
	{ "jgt", do_jpos, RNB_JUMP_GT },
	{ "jge", do_jpos, RNB_JUMP_GE },
	{ "jset", do_jpos, RNB_JUMP_SET },
	{ "add", do_alu, RN_BPF_ALU_ADD },
	{ "sub", do_alu, RN_BPF_ALU_SUB },
	{ "mul", do_alu, RN_BPF_ALU_MUL },
	{ "div", do_alu, RN_BPF_ALU_DIV },
	{ "mod", do_alu, RN_BPF_ALU_MOD },
	{ "neg", do_plain, RNB_CLS_ALU | RNB_ALU_NEG },
	{ "and", do_alu, RN_BPF_ALU_AND },
	{ "or", do_alu, RN_BPF_ALU_OR },
	{ "xor", do_alu, RN_BPF_ALU_XOR },
	{ "lsh", do_alu, RN_BPF_ALU_SHIFT_LEFT },
	{ "rsh", do_alu, RN_BPF_ALU_SHIFT_RIGHT },
	{ "ret", do_ret, 0 },
	{ "tax", do_plain, RNB_CLS_MISC | RNB_MISC_TAX },
	{ "txa", do_plain, RNB_CLS_MISC | RNB_MISC_TXA },
};

static const struct mnemonic *find_mnemonic(const tok *t)
{
	for (size_t i = 0; i < sizeof(mnemonics) / sizeof(mnemonics[0]); i++) {
		if (tok_word(t, mnemonics[i].name))
			return &mnemonics[i];
	}
	return NULL;
}

/* Words bpf_asm's lexer never reads as a label. */
static bool reserved(const tok *t)
{
	return find_mnemonic(t) || find_extension(t) >= 0 || tok_word(t, "len") ||
	       tok_word(t, "x") || tok_word(t, "a") || tok_word(t, "M");
}

static int define_label(parser *ps)
{
	char d[RNB_QUOTE_MAX + 8];

	if (reserved(&ps->cur))
		return line_error(ps->cur.line, "%s is a keyword, not a label",
				  tok_desc(&ps->cur, d, sizeof(d)));
	if (ps->ndefs == ps->defs_cap) {
		size_t ncap = ps->defs_cap ? ps->defs_cap * 2 : 32;
		label_def *v = realloc(ps->defs, ncap * sizeof(*v));

		if (!v)
			return rni_err_text(-ENOMEM, "out of memory");
		ps->defs = v;
		ps->defs_cap = ncap;
	}
	ps->defs[ps->ndefs++] = (label_def){ ps->cur.s, ps->cur.len, ps->prog.n, ps->cur.line };
	return 0;
}

/* A label "name:" and what must follow it, an instruction's mnemonic. */
static int label(parser *ps)
{
	char d[RNB_QUOTE_MAX + 8], d2[RNB_QUOTE_MAX + 8];
	tok name = ps->cur;
	int rc;

	if ((rc = define_label(ps)) < 0 || (rc = next(ps)) < 0 || (rc = next(ps)) < 0)
		return rc;
	if (ps->cur.kind == T_IDENT && find_mnemonic(&ps->cur))
		return 0;
	return line_error(ps->cur.line, "label %s must be followed by an instruction, not %s",
			  tok_desc(&name, d, sizeof(d)), tok_desc(&ps->cur, d2, sizeof(d2)));
}

/* One instruction, with the label that may precede it. */
static int statement(parser *ps)
{
	const struct mnemonic *m;
	char d[RNB_QUOTE_MAX + 8];
	tok after;
	int rc;

	if (ps->cur.kind == T_IDENT) {
		if ((rc = peek(ps, &after)) < 0)
			return rc;
		if (tok_is(&after, ':') && (rc = label(ps)) < 0)
			return rc;
	}
	if (ps->cur.kind != T_IDENT)
		return line_error(ps->cur.line, "expected an instruction, got %s",
				  tok_desc(&ps->cur, d, sizeof(d)));
	m = find_mnemonic(&ps->cur);
	if (!m)
		return line_error(ps->cur.line, "unknown opcode %s",
				  tok_desc(&ps->cur, d, sizeof(d)));
	if (ps->prog.n >= RNB_MAX_INSNS)
		return line_error(ps->cur.line, "more than %d instructions", RNB_MAX_INSNS);
	ps->mnem = m->name;
	if ((rc = next(ps)) < 0)
		return rc;
	return m->parse(ps, m->arg);
}

static int cmp_defs(const void *a, const void *b)
{
	const label_def *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

static const label_def *find_def(const parser *ps, const char *name, size_t len)
{
	label_def key = { name, len, 0, -1 };
	size_t lo = 0, hi = ps->ndefs;

	/* The first definition not below the key (line -1 sorts before any). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_defs(&ps->defs[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ps->ndefs && ps->defs[lo].len == len && !memcmp(ps->defs[lo].name, name, len))
		return &ps->defs[lo];
	return NULL;
}

/* resolve - turn every label reference into an offset (bpf_asm's stage 2). */
static int resolve(parser *ps)
{
	char d[RNB_QUOTE_MAX + 8];

	if (ps->ndefs > 1)
		qsort(ps->defs, ps->ndefs, sizeof(*ps->defs), cmp_defs);
	for (size_t i = 1; i < ps->ndefs; i++) {
		const label_def *a = &ps->defs[i - 1], *b = &ps->defs[i];

		if (a->len == b->len && !memcmp(a->name, b->name, a->len)) {
			tok t = { T_IDENT, b->name, b->len, b->line };

			return line_error(b->line, "duplicate label %s (first on line %d)",
					  tok_desc(&t, d, sizeof(d)), a->line);
		}
	}
	for (size_t i = 0; i < ps->nrefs; i++) {
		const label_ref *r = &ps->refs[i];
		const label_def *def = find_def(ps, r->name, r->len);
		tok t = { T_IDENT, r->name, r->len, r->line };
		rn_bpf_raw_instruction *ins = &ps->prog.v[r->insn];
		long skip;

		if (!def)
			return line_error(r->line, "no such label %s", tok_desc(&t, d, sizeof(d)));
		skip = (long)def->insn - (long)r->insn - 1;
		if (skip < 0)
			return line_error(r->line, "jump to %s goes backwards",
					  tok_desc(&t, d, sizeof(d)));
		if (r->field == REF_K)
			ins->k = (uint32_t)skip;
		else if (skip > 255)
			return line_error(r->line, "jump to %s is out of range (%ld instructions, "
					  "at most 255)", tok_desc(&t, d, sizeof(d)), skip);
		else if (r->field == REF_JT)
			ins->jt = (uint8_t)skip;
		else
			ins->jf = (uint8_t)skip;
	}
	return 0;
}

static int check_args(const char *text, rn_bpf_program *out, const char *fn)
{
	if (out) {
		out->v = NULL;
		out->n = 0;
	}
	if (!text || !out)
		return rni_err_einval(fn);
	return 0;
}

/* Hand the program over, or free it on failure. */
static int finish(rn_bpf_program *prog, int rc, rn_bpf_program *out)
{
	if (rc == 0 && prog->n == 0)
		rc = rni_err_text(-EINVAL, "empty program: no instructions");
	if (rc < 0) {
		free(prog->v);
		return rc;
	}
	out->v = prog->v;
	out->n = prog->n;
	return 0;
}

int rn_bpf_parse_asm(const char *text, rn_bpf_program *out)
{
	parser ps;
	int rc = check_args(text, out, "rn_bpf_parse_asm: NULL text or program");

	if (rc < 0)
		return rc;
	memset(&ps, 0, sizeof(ps));
	ps.lx = (lexer){ text, 1, true };
	ps.mnem = "";
	rc = next(&ps);
	while (rc == 0 && ps.cur.kind != T_END)
		rc = statement(&ps);
	if (rc == 0)
		rc = resolve(&ps);
	free(ps.defs);
	free(ps.refs);
	return finish(&ps.prog, rc, out);
}

/* ---- tcpdump -dd / -ddd ---------------------------------------------------------------- */

typedef struct dd_reader {
	const char *p;
	int line;
} dd_reader;

static void dd_blanks(dd_reader *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\r')
		r->p++;
}

/* dd_space - blanks and newlines, counting lines. */
static void dd_space(dd_reader *r)
{
	for (;;) {
		dd_blanks(r);
		if (*r->p != '\n')
			return;
		r->line++;
		r->p++;
	}
}

/* dd_number - a decimal or 0x number up to @limit on the current line. */
static int dd_number(dd_reader *r, uint64_t limit, const char *what, uint64_t *v)
{
	const char *start;
	size_t len;

	dd_blanks(r);
	start = r->p;
	while (isalnum((unsigned char)*r->p))
		r->p++;
	len = (size_t)(r->p - start);
	/* Octal and binary are bpf_asm's: here a leading 0 is still decimal. */
	if (len > 1 && start[0] == '0' && start[1] != 'x' && start[1] != 'X') {
		while (len > 1 && start[0] == '0') {
			start++;
			len--;
		}
	}
	if (!len)
		return line_error(r->line, "expected %s", what);
	if (!parse_uint(start, len, limit, v))
		return line_error(r->line, "bad %s \"%.*s\"", what,
				  (int)(len > RNB_QUOTE_MAX ? RNB_QUOTE_MAX : len), start);
	return 0;
}

static int dd_char(dd_reader *r, char c, const char *shape)
{
	dd_blanks(r);
	if (*r->p != c)
		return line_error(r->line, "expected %s", shape);
	r->p++;
	return 0;
}

/* The four fields of one instruction, @sep between them ("," for -dd, none for -ddd). */
static int dd_fields(dd_reader *r, bool commas, const char *shape, rn_bpf_raw_instruction *ins)
{
	static const char *const names[4] = { "opcode", "jt", "jf", "k" };
	static const uint64_t limits[4] = { 0xffff, 0xff, 0xff, 0xffffffff };
	uint64_t v[4];
	int rc;

	for (int i = 0; i < 4; i++) {
		if (i && commas && (rc = dd_char(r, ',', shape)) < 0)
			return rc;
		if (i && !commas && *r->p != ' ' && *r->p != '\t')
			return line_error(r->line, "expected %s", shape);
		if ((rc = dd_number(r, limits[i], names[i], &v[i])) < 0)
			return rc;
	}
	*ins = (rn_bpf_raw_instruction){ (uint16_t)v[0], (uint8_t)v[1], (uint8_t)v[2],
					 (uint32_t)v[3] };
	return 0;
}

/* -dd: one "{ 0x28, 0, 0, 0x0000000c }," a line. */
static int parse_dd_lines(dd_reader *r, rn_bpf_program *prog)
{
	static const char shape[] = "\"{ code, jt, jf, k },\"";
	rn_bpf_raw_instruction ins;
	size_t cap = 0;
	int rc;

	for (dd_space(r); *r->p; dd_space(r)) {
		if ((rc = dd_char(r, '{', shape)) < 0 ||
		    (rc = dd_fields(r, true, shape, &ins)) < 0 || (rc = dd_char(r, '}', shape)) < 0)
			return rc;
		dd_blanks(r);
		if (*r->p == ',')
			r->p++;
		dd_blanks(r);
		if (*r->p && *r->p != '\n')
			return line_error(r->line, "expected the end of the line after %s", shape);
		if (prog->n >= RNB_MAX_INSNS)
			return line_error(r->line, "more than %d instructions", RNB_MAX_INSNS);
		if ((rc = prog_push(prog, &cap, ins)) < 0)
			return rc;
	}
	return 0;
}

/*
 * -ddd: the count, then "op jt jf k" in decimal, one a line; bpf_asm's
 * own output is the same with commas for the newlines ("4,40 0 0 12,...").
 */
static int parse_ddd(dd_reader *r, rn_bpf_program *prog)
{
	static const char shape[] = "\"code jt jf k\"";
	rn_bpf_raw_instruction ins;
	uint64_t count;
	size_t cap = 0;
	int rc;

	if ((rc = dd_number(r, 0xffffffff, "instruction count", &count)) < 0)
		return rc;
	if (count == 0 || count > RNB_MAX_INSNS)
		return line_error(r->line, "instruction count %llu out of range (1 to %d)",
				  (unsigned long long)count, RNB_MAX_INSNS);
	for (uint64_t i = 0; i < count; i++) {
		dd_blanks(r);
		if (*r->p == ',')
			r->p++;
		dd_space(r);
		if (!*r->p)
			return line_error(r->line, "%llu instructions, but the count is %llu",
					  (unsigned long long)i, (unsigned long long)count);
		if ((rc = dd_fields(r, false, shape, &ins)) < 0 ||
		    (rc = prog_push(prog, &cap, ins)) < 0)
			return rc;
		dd_blanks(r);
		if (*r->p && *r->p != '\n' && *r->p != ',')
			return line_error(r->line, "expected the end of the line after %s", shape);
	}
	dd_blanks(r);
	if (*r->p == ',')
		r->p++;
	dd_space(r);
	if (*r->p)
		return line_error(r->line, "more instructions than the count %llu",
				  (unsigned long long)count);
	return 0;
}

int rn_bpf_parse_dd(const char *text, rn_bpf_program *out)
{
	rn_bpf_program prog = { NULL, 0 };
	dd_reader r = { text, 1 };
	int rc = check_args(text, out, "rn_bpf_parse_dd: NULL text or program");

	if (rc < 0)
		return rc;
	dd_space(&r);
	if (*r.p == '{')
		rc = parse_dd_lines(&r, &prog);
	else if (isdigit((unsigned char)*r.p))
		rc = parse_ddd(&r, &prog);
	else if (*r.p)
		rc = line_error(r.line, "expected tcpdump -dd or -ddd output");
	return finish(&prog, rc, out);
}

/* ---- printing ------------------------------------------------------------------------ */

static bool is_jump(const rn_bpf_raw_instruction *ins)
{
	return (ins->op & RNB_CLS_MASK) == RNB_CLS_JUMP;
}

static bool is_cond_jump(const rn_bpf_raw_instruction *ins)
{
	return is_jump(ins) && (ins->op & RNB_OPERATOR_MASK) != RNB_JUMP_ALWAYS;
}

/*
 * Which skips Go's String prints for a conditional jump, in order: the
 * true one first when it is non-zero (or always for jset, whose "bits not
 * set" form prints "jset #k,0,jf"), then the false one when non-zero;
 * with a zero true skip otherwise only the false one, under the negative
 * mnemonic (jneq, jle, jlt), which bpf_asm reads the same way.
 */
static int printed_skips(const rn_bpf_raw_instruction *ins, unsigned skips[2])
{
	bool set = (ins->op & RNB_OPERATOR_MASK) == RNB_JUMP_SET;
	int n = 0;

	if (ins->jt > 0 || set) {
		skips[n++] = ins->jt;
		if (ins->jf > 0)
			skips[n++] = ins->jf;
	} else {
		skips[n++] = ins->jf;
	}
	return n;
}

/* Set bit i of @targets for every instruction a printed jump names. */
static void mark_targets(const rn_bpf_raw_instruction *p, size_t n, uint8_t *targets)
{
	for (size_t i = 0; i < n; i++) {
		unsigned skips[2];
		int ns;

		if (!is_jump(&p[i]))
			continue;
		if (is_cond_jump(&p[i])) {
			ns = printed_skips(&p[i], skips);
			for (int j = 0; j < ns; j++) {
				if (i + 1 + skips[j] < n)
					targets[(i + 1 + skips[j]) / 8] |=
						(uint8_t)(1u << ((i + 1 + skips[j]) % 8));
			}
		} else if ((uint64_t)i + 1 + p[i].k < n) {
			size_t t = i + 1 + p[i].k;

			targets[t / 8] |= (uint8_t)(1u << (t % 8));
		}
	}
}

static bool is_target(const uint8_t *targets, size_t i)
{
	return targets[i / 8] & (1u << (i % 8));
}

/* put_target - a jump's destination as its label, or the skip when it lands past the end. */
static void put_target(rni_sb *sb, size_t i, uint64_t skip, size_t n)
{
	uint64_t t = i + 1 + skip;
	char num[32];

	if (t < n)
		snprintf(num, sizeof(num), "L%llu", (unsigned long long)t);
	else
		snprintf(num, sizeof(num), "%llu", (unsigned long long)skip);
	rni_sb_puts(sb, num);
}

/*
 * put_jump - the String @s of jump @i with its numeric skips turned into
 * labels; a String of another shape than Go's is printed as it is.
 */
static void put_jump(rni_sb *sb, const rn_bpf_raw_instruction *p, size_t i, size_t n,
		     const char *s)
{
	const char *sp = strchr(s, ' '), *q;
	unsigned long long v;
	unsigned skips[2];
	int ns, used = 0;

	if (!is_cond_jump(&p[i])) {
		if (!sp || sscanf(sp + 1, "%llu%n", &v, &used) != 1 || sp[1 + used] ||
		    v != p[i].k) {
			rni_sb_puts(sb, s);
			return;
		}
		rni_sb_putn(sb, s, (size_t)(sp + 1 - s));
		put_target(sb, i, p[i].k, n);
		return;
	}
	/* The skips follow the operand's comma: check they are the ones expected. */
	ns = printed_skips(&p[i], skips);
	q = sp ? strchr(sp, ',') : NULL;
	for (int j = 0; q && j < ns; j++) {
		if (*q != ',' || !isdigit((unsigned char)q[1]) ||
		    sscanf(q + 1, "%llu%n", &v, &used) != 1 || v != skips[j])
			q = NULL;
		else
			q += 1 + used;
	}
	if (!q || *q) {
		rni_sb_puts(sb, s);
		return;
	}
	q = strchr(sp, ',');
	rni_sb_putn(sb, s, (size_t)(q - s));
	for (int j = 0; j < ns; j++) {
		rni_sb_putc(sb, ',');
		put_target(sb, i, skips[j], n);
	}
}

static void format_asm(rni_sb *sb, const rn_bpf_raw_instruction *p, size_t n,
		       const uint8_t *targets)
{
	for (size_t i = 0; i < n; i++) {
		rn_bpf_instruction ins = rn_bpf_raw_disassemble(&p[i]);
		char s[RN_BPF_INSN_STRLEN], label[32];

		rn_bpf_instruction_string(&ins, s, sizeof(s));
		if (is_target(targets, i)) {
			snprintf(label, sizeof(label), "L%zu: ", i);
			rni_sb_puts(sb, label);
		}
		if (is_jump(&p[i]))
			put_jump(sb, p, i, n, s);
		else
			rni_sb_puts(sb, s);
		rni_sb_putc(sb, '\n');
	}
}

int rn_bpf_format_program(const rn_bpf_raw_instruction *p, size_t n, rn_bpf_format f,
			  char *buf, size_t size)
{
	char line[64];
	uint8_t *targets;
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_bpf_format_program");

	if (rc < 0)
		return rc;
	if (!p && n)
		return rni_err_einval("rn_bpf_format_program: NULL program");
	rni_sb_init(&sb, buf, size);
	switch (f) {
	case RN_BPF_FORMAT_ASM:
		targets = calloc(n / 8 + 1, 1);
		if (!targets)
			return rni_err_text(-ENOMEM, "out of memory");
		mark_targets(p, n, targets);
		format_asm(&sb, p, n, targets);
		free(targets);
		break;
	case RN_BPF_FORMAT_DD:
		/* libpcap's bpf_dump, option 2. */
		for (size_t i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "{ 0x%x, %d, %d, 0x%08x },\n", p[i].op,
				 p[i].jt, p[i].jf, p[i].k);
			rni_sb_puts(&sb, line);
		}
		break;
	case RN_BPF_FORMAT_DDD:
		/* libpcap's bpf_dump, option 3. */
		snprintf(line, sizeof(line), "%zu\n", n);
		rni_sb_puts(&sb, line);
		for (size_t i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "%u %u %u %u\n", p[i].op, p[i].jt, p[i].jf,
				 p[i].k);
			rni_sb_puts(&sb, line);
		}
		break;
	default:
		return rni_err_einval("rn_bpf_format_program: unknown format");
	}
	return rni_sb_done(&sb);
}
