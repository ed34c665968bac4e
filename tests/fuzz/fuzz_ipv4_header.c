/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ipv4_header.c - ipv4 ParseHeader, Marshal and String on wire bytes.
 *
 * Checks: a header that parses has version 4, 20 <= len <= 60 within the
 * input and total_len >= len; Marshal of it gives back the input's first
 * len bytes exactly; a failure is one of the header errors and renders.
 */
#include <ringnet/ipv4.h>

#include "fuzz_common.h"

static int render_header(const void *ctx, char *buf, size_t size)
{
	return rn_ipv4_header_string((const rn_ipv4_header *)ctx, buf, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rn_ipv4_header h;
	uint8_t out[RN_IPV4_HEADER_LEN + RN_IPV4_MAX_OPTIONS];
	int r;

	memset(&h, 0x55, sizeof h);
	r = rn_ipv4_parse_header(&h, data, size);
	if (r != 0) {
		FUZZ_CHECK(r == RN_EHEADERSHORT || r == RN_EEXTHEADERSHORT ||
				   r == RN_EHEADERVERSION || r == RN_EHEADERTOTALLEN,
			   "ParseHeader returned %d", r);
		fuzz_check_error(r, "rn_ipv4_parse_header");
		return 0;
	}
	FUZZ_CHECK(h.version == 4, "version %d", h.version);
	FUZZ_CHECK(h.len >= 20 && h.len <= 60 && (size_t)h.len <= size, "len %d of %zu", h.len,
		   size);
	FUZZ_CHECK(h.total_len >= h.len, "total_len %d < len %d", h.total_len, h.len);
	FUZZ_CHECK(h.options_len == (size_t)h.len - 20, "options_len %zu", h.options_len);
	fuzz_check_text(render_header, &h, "rn_ipv4_header_string");

	ssize_t m = rn_ipv4_header_marshal(&h, out, sizeof out);
	FUZZ_CHECK(m == h.len, "Marshal gave %zd for len %d", m, h.len);
	FUZZ_CHECK(memcmp(out, data, (size_t)m) == 0, "Marshal(Parse(b)) != b");
	return 0;
}
