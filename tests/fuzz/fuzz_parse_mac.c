/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_parse_mac.c - ParseMAC and HardwareAddr.String.
 *
 * Checks: a parsed address has 6, 8 or 20 bytes and its String ("aa:bb:..")
 * parses back to the same bytes; failures give a nil address and render.
 */
#include "fuzz_common.h"

static int render_hw(const void *ctx, char *buf, size_t size)
{
	return rn_hwaddr_string((const rn_hwaddr *)ctx, buf, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	rn_hwaddr hw, back;
	char str[RN_HWADDR_STRLEN];
	int r;

	memset(&hw, 0x55, sizeof hw);
	r = rn_parse_mac(s, &hw);
	if (r == 0) {
		FUZZ_CHECK(hw.len == 6 || hw.len == 8 || hw.len == 20, "ParseMAC(%s): %d bytes", s,
			   hw.len);
		fuzz_check_text(render_hw, &hw, "rn_hwaddr_string");
		int n = rn_hwaddr_string(&hw, str, sizeof str);
		FUZZ_CHECK(n == 3 * hw.len - 1 && n < RN_HWADDR_STRLEN, "String length %d", n);
		FUZZ_CHECK(rn_parse_mac(str, &back) == 0, "ParseMAC(String(ParseMAC(%s)) = %s) fails",
			   s, str);
		FUZZ_CHECK(back.len == hw.len && memcmp(back.b, hw.b, hw.len) == 0,
			   "ParseMAC round trip of %s via %s", s, str);
	} else {
		FUZZ_CHECK(r == RN_EADDR, "ParseMAC(%s) returned %d", s, r);
		fuzz_check_error(r, "rn_parse_mac");
		FUZZ_CHECK(hw.len == 0, "failed ParseMAC left %d bytes", hw.len);
	}

	/* Raw bytes as a hardware address of any length up to RN_HWADDR_MAX. */
	hw.len = (uint8_t)(size < RN_HWADDR_MAX ? size : RN_HWADDR_MAX);
	memcpy(hw.b, data, hw.len);
	fuzz_check_text(render_hw, &hw, "rn_hwaddr_string(raw)");
	FUZZ_CHECK(rn_hwaddr_string(NULL, str, sizeof str) >= 0, "String of NULL");
	free(s);
	return 0;
}
