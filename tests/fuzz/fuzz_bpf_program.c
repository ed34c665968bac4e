/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_bpf_program.c - raw classic BPF programs through the validator,
 * the disassembler, String and the VM.
 *
 * Input: up to 64 eight-byte sock_filter records, then (after a record
 * whose op is 0xffff, or the end) a packet.  Checks: rn_bpf_check ends with
 * 0 or -EINVAL and an index inside the program; every instruction renders;
 * a decoded instruction reassembles to a raw one that decodes the same; a
 * VM that NewVM accepts runs on the packet without reading outside it.
 */
#include <ringnet/bpf.h>

#include "fuzz_common.h"

#define MAX_INSNS 64

static int render_insn(const void *ctx, char *buf, size_t size)
{
	return rn_bpf_instruction_string((const rn_bpf_instruction *)ctx, buf, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rn_bpf_raw_instruction raw[MAX_INSNS];
	rn_bpf_instruction typed[MAX_INSNS];
	size_t n = 0, off = 0;
	long bad = -2;
	int r;

	while (n < MAX_INSNS && size - off >= 8) {
		memcpy(&raw[n].op, data + off, 2);
		raw[n].jt = data[off + 2];
		raw[n].jf = data[off + 3];
		memcpy(&raw[n].k, data + off + 4, 4);
		off += 8;
		if (raw[n].op == 0xffff)
			break;
		n++;
	}
	/* The packet, in a heap block of its exact size so ASan sees overreads. */
	size_t plen = size - off;
	uint8_t *pkt = malloc(plen ? plen : 1);
	memcpy(pkt, data + off, plen);

	r = rn_bpf_check(raw, n, &bad);
	if (r != 0) {
		FUZZ_CHECK(r == -EINVAL, "rn_bpf_check returned %d", r);
		FUZZ_CHECK(bad >= -1 && bad < (long)n, "bad index %ld of %zu", bad, n);
		fuzz_check_error(r, "rn_bpf_check");
	} else {
		FUZZ_CHECK(n >= 1, "empty program accepted");
	}

	rn_bpf_disassemble(raw, n, typed);
	for (size_t i = 0; i < n; i++) {
		rn_bpf_raw_instruction again;
		char s[RN_BPF_INSN_STRLEN];

		fuzz_check_text(render_insn, &typed[i], "rn_bpf_instruction_string");
		FUZZ_CHECK(rn_bpf_instruction_string(&typed[i], s, sizeof s) < RN_BPF_INSN_STRLEN,
			   "String longer than RN_BPF_INSN_STRLEN");
		if (rn_bpf_instruction_assemble(&typed[i], &again) == 0) {
			rn_bpf_instruction back = rn_bpf_raw_disassemble(&again);
			rn_bpf_raw_instruction again2;

			FUZZ_CHECK(rn_bpf_instruction_assemble(&back, &again2) == 0 &&
					   memcmp(&again, &again2, sizeof again) == 0,
				   "instruction %zu does not round-trip", i);
		}
	}

	rn_bpf_vm *vm = rn_bpf_vm_new(typed, n);
	if (vm) {
		int64_t v = rn_bpf_vm_run(vm, pkt, plen);
		FUZZ_CHECK(v >= 0 || v == -EINVAL, "Run returned %lld", (long long)v);
		rn_bpf_vm_free(vm);
	}
	free(pkt);
	return 0;
}
