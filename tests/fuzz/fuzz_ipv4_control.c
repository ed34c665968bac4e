/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_ipv4_control.c - ipv4 ControlMessage.Parse on arbitrary control
 * data (as recvmsg would hand it over, or as a hostile buffer).
 *
 * Checks: Parse never reads outside the input (ASan), ends (no loop on a
 * zero length), fails only with RN_ECMSG and a text; a parsed message
 * renders and marshals.  The input is copied to an aligned buffer of its
 * exact size so that any overread lands in ASan's redzone.
 */
#include <ringnet/ipv4.h>

#include "fuzz_common.h"

static int render_cm(const void *ctx, char *buf, size_t size)
{
	return rn_ipv4_control_message_string((const rn_ipv4_control_message *)ctx, buf, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rn_ipv4_control_message cm;
	uint8_t out[RN_IPV4_CONTROL_MESSAGE_SPACE];
	void *b = malloc(size ? size : 1);
	int r;

	memcpy(b, data, size);
	memset(&cm, 0, sizeof cm);
	r = rn_ipv4_control_message_parse(&cm, b, size);
	if (r != 0) {
		FUZZ_CHECK(r == RN_ECMSG, "Parse returned %d", r);
		fuzz_check_error(r, "rn_ipv4_control_message_parse");
	}
	FUZZ_CHECK(cm.dst.len == 0 || cm.dst.len == 4, "dst of %d bytes", cm.dst.len);
	fuzz_check_text(render_cm, &cm, "rn_ipv4_control_message_string");
	ssize_t m = rn_ipv4_control_message_marshal(&cm, out, sizeof out);
	FUZZ_CHECK(m >= 0 && (size_t)m <= sizeof out, "Marshal gave %zd", m);
	free(b);
	return 0;
}
