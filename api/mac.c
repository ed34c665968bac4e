/* SPDX-License-Identifier: BSD-3-Clause */
/* api/mac.c - net.HardwareAddr: ParseMAC and String. */
#include <string.h>

#include "api/errors.h"
#include "api/parse.h"
#include "api/strbuf.h"

/*
 * Go's xtoi2: two hex digits at s; when more text follows, the third byte
 * must be the separator e.
 */
static bool xtoi2(const char *s, size_t len, char e, uint8_t *out)
{
	int n;
	size_t used;

	if (len > 2 && s[2] != e)
		return false;
	if (len < 2)
		return false;
	if (!rni_xtoi(s, 2, &n, &used) || used != 2)
		return false;
	*out = (uint8_t)n;
	return true;
}

int rn_parse_mac(const char *s, rn_hwaddr *hw)
{
	rn_hwaddr out = { 0, { 0 } };
	size_t len;

	if (hw)
		memset(hw, 0, sizeof(*hw));
	if (!s)
		return rni_err_einval("rn_parse_mac: NULL string");
	len = strlen(s);
	if (len < 14)
		goto bad;

	if (s[2] == ':' || s[2] == '-') {
		size_t n;

		if ((len + 1) % 3 != 0)
			goto bad;
		n = (len + 1) / 3;
		if (n != 6 && n != 8 && n != 20)
			goto bad;
		for (size_t x = 0, i = 0; i < n; i++, x += 3)
			if (!xtoi2(s + x, len - x, s[2], &out.b[i]))
				goto bad;
		out.len = (uint8_t)n;
	} else if (s[4] == '.') {
		size_t n;

		if ((len + 1) % 5 != 0)
			goto bad;
		n = 2 * (len + 1) / 5;
		if (n != 6 && n != 8 && n != 20)
			goto bad;
		for (size_t x = 0, i = 0; i < n; i += 2, x += 5) {
			if (!xtoi2(s + x, 2, 0, &out.b[i]))
				goto bad;
			if (!xtoi2(s + x + 2, len - x - 2, s[4], &out.b[i + 1]))
				goto bad;
		}
		out.len = (uint8_t)n;
	} else {
		goto bad;
	}
	if (hw)
		*hw = out;
	return 0;
bad:
	return rni_err_addr("invalid MAC address", s);
}

int rn_hwaddr_string(const rn_hwaddr *hw, char *buf, size_t size)
{
	rni_sb sb;
	int rc = rni_check_out(buf, size, "rn_hwaddr_string: NULL buffer");

	if (rc)
		return rc;
	rni_sb_init(&sb, buf, size);
	if (!hw)
		return 0;
	for (int i = 0; i < hw->len && i < RN_HWADDR_MAX; i++) {
		if (i)
			rni_sb_putc(&sb, ':');
		rni_sb_puthex(&sb, &hw->b[i], 1);
	}
	return rni_sb_done(&sb);
}
