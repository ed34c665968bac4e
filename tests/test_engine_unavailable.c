/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tests/test_engine_unavailable.c - when io_uring cannot be used, the first
 * call says why and how to fix it.  A child process blocks io_uring_setup
 * with a seccomp filter, as a container runtime's default profile does.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ringnet/ringnet.h>

#include "testutil.h"

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef ARCH
/* Make io_uring_setup fail with @err in this process. */
static void block_io_uring(int err)
{
	if (tu_deny_io_uring_setup(err) != 0)
		_exit(90);
}

/*
 * In a child: block io_uring with @err, call @what, and compare the code and
 * the text with the expectations.  Exit status 0 = as expected.
 */
static int run_child(int err, int want_code, const char *want_text, bool dial)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		char text[512];
		int rc;

		block_io_uring(err);
		if (dial) {
			rn_conn *c = rn_dial("tcp", "127.0.0.1:1");
			rc = c ? 0 : rn_last_error()->code;
		} else {
			rc = rn_engine_start();
		}
		rn_error_string(NULL, text, sizeof(text));
		if (rc != want_code) {
			fprintf(stderr, "code %d, want %d (%s)\n", rc, want_code, text);
			_exit(1);
		}
		if (!strstr(text, want_text)) {
			fprintf(stderr, "text \"%s\" lacks \"%s\"\n", text, want_text);
			_exit(2);
		}
		if (rn_engine_backend() != RN_BACKEND_NONE || rn_engine_features() != 0)
			_exit(3);
		_exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died");
	return WEXITSTATUS(status);
}

START_TEST(test_seccomp_enosys_names_cause_and_fix)
{
	ck_assert_int_eq(run_child(ENOSYS, -ENOSYS, "seccomp", false), 0);
	ck_assert_int_eq(run_child(ENOSYS, -ENOSYS, "allow the io_uring_setup", false), 0);
}
END_TEST

START_TEST(test_memlock_enomem_names_cause_and_fix)
{
	ck_assert_int_eq(run_child(ENOMEM, -ENOMEM, "ulimit -l", false), 0);
}
END_TEST

START_TEST(test_dial_wraps_engine_failure_in_op_error)
{
	ck_assert_int_eq(run_child(ENOSYS, -ENOSYS, "dial tcp 127.0.0.1:1: io_uring_setup failed", true), 0);
}
END_TEST
#endif

static Suite *suite(void)
{
	Suite *s = suite_create("engine_unavailable");
	TCase *tc = tu_tcase("unavailable");

#ifdef ARCH
	tcase_add_test(tc, test_seccomp_enosys_names_cause_and_fix);
	tcase_add_test(tc, test_memlock_enomem_names_cause_and_fix);
	tcase_add_test(tc, test_dial_wraps_engine_failure_in_op_error);
#else
	printf("engine_unavailable: skipped: no seccomp architecture constant for this CPU\n");
#endif
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return rn_test_main(suite());
}
