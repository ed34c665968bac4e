/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_ipv4_header.c - ipv4.Header Parse, Marshal and String:
 * x/net/ipv4's headerLittleEndianTests (Linux wire form) and error rows,
 * and every malformed header ringnet rejects beyond Go.
 */
#include <errno.h>
#include <string.h>

#include <ringnet/ipv4.h>

#include "testutil.h"

static const char *const header_files[] = { "xnet_ipv4_header.json", NULL };

static int jint_or0(const cJSON *o, const char *k)
{
	return o && tu_jhas(o, k) ? tu_jint(o, k) : 0;
}

/* The rn_ipv4_header a vector row's "header" object describes. */
static rn_ipv4_header header_of(const cJSON *o)
{
	rn_ipv4_header h;
	const char *opts;

	memset(&h, 0, sizeof(h));
	h.version = jint_or0(o, "Version");
	h.len = jint_or0(o, "Len");
	h.tos = jint_or0(o, "TOS");
	h.total_len = jint_or0(o, "TotalLen");
	h.id = jint_or0(o, "ID");
	h.flags = jint_or0(o, "Flags");
	h.frag_off = jint_or0(o, "FragOff");
	h.ttl = jint_or0(o, "TTL");
	h.protocol = jint_or0(o, "Protocol");
	h.checksum = jint_or0(o, "Checksum");
	h.src = tu_ip_hex(tu_jhas(o, "Src") ? tu_jstr(o, "Src") : NULL);
	h.dst = tu_ip_hex(tu_jhas(o, "Dst") ? tu_jstr(o, "Dst") : NULL);
	opts = tu_jhas(o, "Options") ? tu_jstr(o, "Options") : NULL;
	if (opts)
		h.options_len = tu_hex_decode(opts, h.options, sizeof(h.options));
	return h;
}

static void assert_same_header(const rn_ipv4_header *got, const rn_ipv4_header *want,
			       const char *what)
{
	ck_assert_msg(got->version == want->version && got->len == want->len &&
			      got->tos == want->tos && got->total_len == want->total_len &&
			      got->id == want->id && got->flags == want->flags &&
			      got->frag_off == want->frag_off && got->ttl == want->ttl &&
			      got->protocol == want->protocol && got->checksum == want->checksum,
		      "%s: scalar fields differ", what);
	ck_assert_msg(tu_ip_same(got->src, want->src) && tu_ip_same(got->dst, want->dst),
		      "%s: addresses differ", what);
	ck_assert_msg(got->options_len == want->options_len &&
			      memcmp(got->options, want->options, want->options_len) == 0,
		      "%s: options differ", what);
}

static void header_row(const cJSON *c, const char *file, void *arg)
{
	rn_ipv4_header want = header_of(tu_jobj(c, "header")), got;
	uint8_t wire[64], out[64];
	char s[RN_IPV4_HEADER_STRLEN], hx[200];
	size_t n = tu_hex_decode(tu_jstr(c, "wireHeaderFromKernel"), wire, sizeof(wire));
	size_t tn = tu_hex_decode(tu_jstr(c, "wireHeaderToKernel"), out, sizeof(out));
	ssize_t m;

	(void)arg;
	memset(&got, 0x5a, sizeof(got));
	ck_assert_msg(rn_ipv4_parse_header(&got, wire, n) == 0, "%s: ParseHeader: %s", file,
		      rn_last_error()->err);
	assert_same_header(&got, &want, "ParseHeader");
	memset(&got, 0x5a, sizeof(got));
	ck_assert_int_eq(rn_ipv4_header_parse(&got, wire, n), 0);
	assert_same_header(&got, &want, "Header.Parse");

	uint8_t mine[64];
	m = rn_ipv4_header_marshal(&want, mine, sizeof(mine));
	ck_assert_msg(m == (ssize_t)tn && memcmp(mine, out, tn) == 0, "%s: Marshal = %s", file,
		      tu_hex(mine, m > 0 ? (size_t)m : 0, hx, sizeof(hx)));

	rn_ipv4_header_string(&want, s, sizeof(s));
	ck_assert_ptr_null(strchr(s, ','));
	if (tu_jhas(c, "string_derived"))
		ck_assert_str_eq(s, tu_jstr(c, "string_derived"));
}

START_TEST(test_header_table)
{
	ck_assert_int_ge(tu_for_each_case(header_files, header_row, NULL), 2);
}
END_TEST

static const char *err_text(void)
{
	return rn_last_error()->err;
}

START_TEST(test_header_error_rows)
{
	cJSON *root = tu_load_json("xnet_ipv4_header.json");
	const cJSON *c;
	int rows = 0;

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "parse_error_cases")) {
		rn_ipv4_header h;
		uint8_t wire[64];
		const char *w = tu_jstr(c, "wire");
		size_t n = w ? tu_hex_decode(w, wire, sizeof(wire)) : 0;
		int rc = rn_ipv4_parse_header(tu_jstr(c, "receiver") ? &h : NULL, w ? wire : NULL,
					      n);

		ck_assert_int_lt(rc, 0);
		ck_assert_str_eq(err_text(), tu_jstr(c, "err"));
		rows++;
	}
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "marshal_error_cases")) {
		const cJSON *ho = tu_jobj(c, "header");
		rn_ipv4_header h = header_of(ho);
		uint8_t out[64];

		ck_assert_int_lt(rn_ipv4_header_marshal(ho ? &h : NULL, out, sizeof(out)), 0);
		ck_assert_str_eq(err_text(), tu_jstr(c, "err"));
		rows++;
	}
	ck_assert_int_ge(rows, 4);
	cJSON_Delete(root);
}
END_TEST

/* A valid 20-byte header: 192.0.2.1 -> 192.0.2.2, UDP, total length 28. */
static void good(uint8_t b[20])
{
	static const uint8_t h[20] = { 0x45, 0, 0, 28, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0,
				       192, 0, 2, 1, 192, 0, 2, 2 };
	memcpy(b, h, sizeof(h));
}

START_TEST(test_parse_rejects_short)
{
	uint8_t b[20];
	rn_ipv4_header h;

	good(b);
	for (size_t n = 0; n < 20; n++)
		ck_assert_int_eq(rn_ipv4_parse_header(&h, b, n), RN_EHEADERSHORT);
	ck_assert_str_eq(err_text(), "header too short");
}
END_TEST

START_TEST(test_parse_rejects_version)
{
	uint8_t b[20];
	rn_ipv4_header h;

	good(b);
	b[0] = 0x65;
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof(b)), RN_EHEADERVERSION);
	ck_assert_str_eq(err_text(), "header version is not 4");
	b[0] = 0x05;
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof(b)), RN_EHEADERVERSION);
}
END_TEST

START_TEST(test_parse_rejects_small_ihl)
{
	uint8_t b[20];
	rn_ipv4_header h;

	good(b);
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		b[0] = (uint8_t)(0x40 | ihl);
		ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof(b)), RN_EHEADERSHORT);
	}
}
END_TEST

START_TEST(test_parse_rejects_ihl_beyond_buffer)
{
	uint8_t b[60] = { 0 };
	rn_ipv4_header h;

	good(b);
	b[0] = 0x4f; /* 60 bytes of header */
	b[3] = 60;
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, 59), RN_EEXTHEADERSHORT);
	ck_assert_str_eq(err_text(), "extension header too short");
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, 60), 0);
	ck_assert_int_eq(h.len, 60);
	ck_assert_uint_eq(h.options_len, 40);
}
END_TEST

START_TEST(test_parse_rejects_total_len_below_header)
{
	uint8_t b[24] = { 0 };
	rn_ipv4_header h;

	good(b);
	b[0] = 0x46;
	b[3] = 23;
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof(b)), RN_EHEADERTOTALLEN);
	ck_assert_str_eq(err_text(), "total length shorter than header length");
	b[3] = 24; /* header only, no payload: fine */
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof(b)), 0);
	b[3] = 200; /* payload not in the buffer: fine, the buffer may hold the header only */
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof(b)), 0);
	ck_assert_int_eq(h.total_len, 200);
}
END_TEST

START_TEST(test_parse_fields)
{
	uint8_t b[20];
	rn_ipv4_header h;
	char s[RN_IPV4_HEADER_STRLEN];

	good(b);
	ck_assert_int_eq(rn_ipv4_parse_header(&h, b, sizeof(b)), 0);
	ck_assert_int_eq(h.flags, RN_IPV4_DONT_FRAGMENT);
	ck_assert_int_eq(h.frag_off, 0);
	ck_assert_int_eq(h.protocol, 17);
	ck_assert_uint_eq(h.options_len, 0);
	rn_ipv4_header_string(&h, s, sizeof(s));
	ck_assert_str_eq(s, "ver=4 hdrlen=20 tos=0x0 totallen=28 id=0x1234 flags=0x2 "
			    "fragoff=0x0 ttl=64 proto=17 cksum=0x0 src=192.0.2.1 dst=192.0.2.2");
	rn_ipv4_header_string(NULL, s, sizeof(s));
	ck_assert_str_eq(s, "<nil>");
}
END_TEST

START_TEST(test_marshal_rejects_bad_options)
{
	rn_ipv4_header h = { .version = 4, .len = 20 };
	uint8_t out[80];

	h.dst = rn_ipv4(192, 0, 2, 2);
	h.options_len = 3;
	ck_assert_int_eq(rn_ipv4_header_marshal(&h, out, sizeof(out)), RN_EHEADEROPTIONS);
	h.options_len = 44;
	ck_assert_int_eq(rn_ipv4_header_marshal(&h, out, sizeof(out)), RN_EHEADEROPTIONS);
	h.options_len = 40;
	ck_assert_int_eq(rn_ipv4_header_marshal(&h, out, sizeof(out)), 60);
	ck_assert_int_eq(out[0], 0x4f);
}
END_TEST

START_TEST(test_marshal_needs_ipv4_dst_and_room)
{
	rn_ipv4_header h = { .version = 4, .len = 20 };
	uint8_t out[20];

	ck_assert_int_eq(rn_ipv4_header_marshal(&h, out, sizeof(out)), RN_EMISSINGADDR);
	ck_assert_str_eq(err_text(), "missing address");
	h.dst = tu_ip_hex("20010db8000000000000000000000001");
	ck_assert_int_eq(rn_ipv4_header_marshal(&h, out, sizeof(out)), RN_EMISSINGADDR);
	h.dst = rn_ipv4(192, 0, 2, 2);
	ck_assert_int_eq(rn_ipv4_header_marshal(&h, out, 19), RN_ESHORTBUF);
	/* A nil source is written as zeros; the version is always 4. */
	h.version = 6;
	ck_assert_int_eq(rn_ipv4_header_marshal(&h, out, sizeof(out)), 20);
	ck_assert_int_eq(out[0], 0x45);
	ck_assert_int_eq(out[12] | out[13] | out[14] | out[15], 0);
}
END_TEST

START_TEST(test_string_negative_hex_as_go)
{
	rn_ipv4_header h = { .version = 4, .len = 20, .tos = -1 };
	char s[RN_IPV4_HEADER_STRLEN];

	rn_ipv4_header_string(&h, s, sizeof(s));
	ck_assert_msg(strncmp(s, "ver=4 hdrlen=20 tos=-0x1 ", 25) == 0, "%s", s);
	ck_assert_msg(strstr(s, "src=<nil> dst=<nil>") != NULL, "%s", s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipv4_header");
	TCase *tc = tcase_create("header");

	tcase_add_test(tc, test_header_table);
	tcase_add_test(tc, test_header_error_rows);
	tcase_add_test(tc, test_parse_rejects_short);
	tcase_add_test(tc, test_parse_rejects_version);
	tcase_add_test(tc, test_parse_rejects_small_ihl);
	tcase_add_test(tc, test_parse_rejects_ihl_beyond_buffer);
	tcase_add_test(tc, test_parse_rejects_total_len_below_header);
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_marshal_rejects_bad_options);
	tcase_add_test(tc, test_marshal_needs_ipv4_dst_and_room);
	tcase_add_test(tc, test_string_negative_hex_as_go);
	suite_add_tcase(s, tc);
	return rn_test_main(s);
}
