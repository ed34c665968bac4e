/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_unix_rights.c - rn_unix_parse_rights on arbitrary control-message
 * bytes (what a peer's SCM_RIGHTS arrives as), and rn_unix_rights' output
 * parsed back.
 *
 * Checks: no crash or over-read (ASan); a malformed buffer is -EINVAL with
 * a rendered error; the count does not depend on how many fds the caller
 * asks for; building a message from fds and parsing it gives them back.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds[8], none[1], back[16];
	int total = rn_unix_parse_rights(data, size, fds, 8);

	if (total < 0) {
		FUZZ_CHECK(total == -EINVAL, "parse_rights returned %d", total);
		fuzz_check_error(total, "rn_unix_parse_rights");
	} else {
		FUZZ_CHECK(rn_unix_parse_rights(data, size, none, 0) == total,
			   "the count depends on max");
	}

	/* Up to 16 ints from the input: build a message and parse it back. */
	{
		int in[16], n = (int)(size / sizeof(int));
		unsigned char oob[512];
		int need;

		if (n > 16)
			n = 16;
		memcpy(in, data, (size_t)n * sizeof(int));
		need = rn_unix_rights(in, n, oob, sizeof(oob));
		FUZZ_CHECK(need > 0 && (size_t)need <= sizeof(oob), "rights size %d for %d fds", need, n);
		FUZZ_CHECK(rn_unix_parse_rights(oob, (size_t)need, back, 16) == n, "round trip of %d fds",
			   n);
		FUZZ_CHECK(memcmp(back, in, (size_t)n * sizeof(int)) == 0, "fds differ after round trip");
	}
	return 0;
}
