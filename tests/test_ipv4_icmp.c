/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_ipv4_icmp.c - ipv4.ICMPType names and the ICMPFilter bitmap:
 * x/net/ipv4's icmpStringTests, its TestICMPFilter sequences, the whole
 * IANA name table, and ringnet's refusal of types the kernel cannot filter.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <ringnet/ipv4.h>

#include "testutil.h"

static const char *const icmp_files[] = { "xnet_ipv4_icmp.json", NULL };

static void string_row(const cJSON *c, const char *file, void *arg)
{
	(void)arg;
	ck_assert_msg(strcmp(rn_ipv4_icmp_type_string(tu_jint(c, "type")), tu_jstr(c, "string")) == 0,
		      "%s: ICMPType(%d).String()", file, tu_jint(c, "type"));
}

START_TEST(test_icmp_string_table)
{
	ck_assert_int_ge(tu_for_each_case(icmp_files, string_row, NULL), 2);
}
END_TEST

START_TEST(test_icmp_names_complete)
{
	cJSON *root = tu_load_json("xnet_ipv4_icmp.json");
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(root, "icmp_type_names");
	int named = 0;

	for (int t = -1; t < 300; t++) {
		char key[8];
		snprintf(key, sizeof(key), "%d", t);
		const cJSON *want = cJSON_GetObjectItemCaseSensitive(names, key);
		ck_assert_str_eq(rn_ipv4_icmp_type_string(t), want ? want->valuestring : "<nil>");
		ck_assert_int_eq(rn_ipv4_icmp_type_protocol(t), 1);
		named += want != NULL;
	}
	ck_assert_int_eq(named, cJSON_GetArraySize(names));
	cJSON_Delete(root);
}
END_TEST

/* SetICMPFilter then ICMPFilter on a raw ip4:icmp socket gives it back. */
static void kernel_round_trip(const rn_ipv4_icmp_filter *f)
{
	rn_ipv4_packetconn *pc;
	rn_ipv4_icmp_filter got = { 0 };
	rn_conn *c;

	if (geteuid() != 0) {
		printf("test_ipv4_icmp: not root, skipping the ICMP_FILTER kernel round trip\n");
		return;
	}
	c = rn_listen_packet("ip4:icmp", "127.0.0.1");
	ck_assert_msg(c != NULL, "ListenPacket ip4:icmp: %s", rn_last_error()->err);
	pc = rn_ipv4_new_packetconn(c);
	ck_assert_ptr_nonnull(pc);
	ck_assert_int_eq(rn_ipv4_packetconn_set_icmp_filter(pc, f), 0);
	ck_assert_int_eq(rn_ipv4_packetconn_icmp_filter(pc, &got), 0);
	ck_assert_uint_eq(got.data, f->data);
	rn_ipv4_packetconn_free(pc);
}

START_TEST(test_icmp_filter_sequences)
{
	cJSON *root = tu_load_json("xnet_ipv4_icmp.json");
	const cJSON *seq, *step;
	int steps = 0;

	cJSON_ArrayForEach(seq, cJSON_GetObjectItemCaseSensitive(root, "filter_sequences")) {
		rn_ipv4_icmp_filter f = { 0x5a5a5a5a };

		cJSON_ArrayForEach(step, cJSON_GetObjectItemCaseSensitive(seq, "steps")) {
			const char *op = tu_jstr(step, "op");
			const cJSON *arg = cJSON_GetObjectItemCaseSensitive(step, "arg");

			if (strcmp(op, "SetAll") == 0)
				rn_ipv4_icmp_filter_set_all(&f, cJSON_IsTrue(arg));
			else if (strcmp(op, "Accept") == 0)
				ck_assert_int_eq(rn_ipv4_icmp_filter_accept(&f, arg->valueint), 0);
			else if (strcmp(op, "Block") == 0)
				ck_assert_int_eq(rn_ipv4_icmp_filter_block(&f, arg->valueint), 0);
			else if (strcmp(op, "WillBlock") == 0)
				ck_assert_int_eq(rn_ipv4_icmp_filter_will_block(&f, arg->valueint),
						 tu_jbool(step, "want"));
			else if (strncmp(op, "SetICMPFilter", 13) == 0)
				kernel_round_trip(&f);
			else
				ck_abort_msg("unknown step %s", op);
			if (tu_jhas(step, "data_after_derived"))
				ck_assert_uint_eq(f.data, strtoul(tu_jstr(step, "data_after_derived"),
								  NULL, 16));
			steps++;
		}
	}
	ck_assert_int_ge(steps, 17);
	cJSON_Delete(root);
}
END_TEST

/* Go would alias 40 onto 8 and block echo requests: ringnet refuses. */
START_TEST(test_icmp_filter_rejects_types_over_31)
{
	rn_ipv4_icmp_filter f;

	rn_ipv4_icmp_filter_set_all(&f, false);
	ck_assert_int_eq(rn_ipv4_icmp_filter_block(&f, 40), -EINVAL);
	ck_assert_msg(strstr(rn_last_error()->err, "ICMP type 40") != NULL, "%s",
		      rn_last_error()->err);
	ck_assert_uint_eq(f.data, 0);
	ck_assert(!rn_ipv4_icmp_filter_will_block(&f, RN_IPV4_ICMP_TYPE_ECHO));
	ck_assert_int_eq(rn_ipv4_icmp_filter_block(&f, -1), -EINVAL);
	rn_ipv4_icmp_filter_set_all(&f, true);
	ck_assert_int_eq(rn_ipv4_icmp_filter_accept(&f, 32), -EINVAL);
	ck_assert_uint_eq(f.data, UINT32_MAX);
	/* The kernel never filters these, so they are never blocked. */
	ck_assert(!rn_ipv4_icmp_filter_will_block(&f, 40));
	ck_assert(!rn_ipv4_icmp_filter_will_block(&f, 255));
	ck_assert(rn_ipv4_icmp_filter_will_block(&f, 31));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ipv4_icmp");
	TCase *tc = tcase_create("icmp");

	tcase_add_checked_fixture(tc, tu_fd_setup, tu_fd_teardown);
	tcase_add_test(tc, test_icmp_string_table);
	tcase_add_test(tc, test_icmp_names_complete);
	tcase_add_test(tc, test_icmp_filter_sequences);
	tcase_add_test(tc, test_icmp_filter_rejects_types_over_31);
	suite_add_tcase(s, tc);
	return rn_test_main(s);
}
