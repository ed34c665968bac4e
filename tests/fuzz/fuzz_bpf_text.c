/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_bpf_text.c - the bpf_asm and tcpdump -dd/-ddd text parsers.
 *
 * The first input byte picks the parser (even: bpf_asm, odd: dd/ddd), the
 * rest is the text.  Checks: a failure is -EINVAL with a text; a parsed
 * program has 1..4096 instructions, prints in each form, and its -dd and
 * -ddd forms parse back to exactly the same instructions.
 */
#include <ringnet/bpf.h>

#include "fuzz_common.h"

static void check_form(const rn_bpf_program *p, rn_bpf_format f)
{
	int len = rn_bpf_format_program(p->v, p->n, f, NULL, 0);
	FUZZ_CHECK(len >= 0, "format %d returned %d", (int)f, len);
	char *text = malloc((size_t)len + 1);
	FUZZ_CHECK(rn_bpf_format_program(p->v, p->n, f, text, (size_t)len + 1) == len,
		   "format %d length changed", (int)f);
	if (f != RN_BPF_FORMAT_ASM) {
		rn_bpf_program back = { 0 };
		int r = rn_bpf_parse_dd(text, &back);

		FUZZ_CHECK(r == 0, "own %s output does not parse: %s",
			   f == RN_BPF_FORMAT_DD ? "-dd" : "-ddd", rn_last_error()->err);
		FUZZ_CHECK(back.n == p->n && memcmp(back.v, p->v, p->n * sizeof(*p->v)) == 0,
			   "-dd/-ddd round trip changed the program");
		rn_bpf_program_free(&back);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rn_bpf_program p = { 0 };
	char *s;
	int r;

	if (size == 0)
		return 0;
	s = fuzz_cstr(data + 1, size - 1);
	r = data[0] & 1 ? rn_bpf_parse_dd(s, &p) : rn_bpf_parse_asm(s, &p);
	if (r != 0) {
		FUZZ_CHECK(r == -EINVAL, "parser returned %d", r);
		fuzz_check_error(r, "rn_bpf_parse");
	} else {
		FUZZ_CHECK(p.n >= 1 && p.n <= 4096, "%zu instructions", p.n);
		check_form(&p, RN_BPF_FORMAT_ASM);
		check_form(&p, RN_BPF_FORMAT_DD);
		check_form(&p, RN_BPF_FORMAT_DDD);
		rn_bpf_program_free(&p);
	}
	free(s);
	return 0;
}
