/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/task.c - the public face of tasks (engine/task.c): rn_go, rn_run,
 * yield and sleep, with Go-style errors.
 */
#include <errno.h>

#include <ringnet/net.h>
#include <ringnet/task.h>

#include "api/errors.h"
#include "api/fd.h"
#include "api/task.h"
#include "engine/task.h"

int rni_go(rn_task_fn fn, void *arg, size_t stack_size)
{
	rne_engine *e = rne_get();
	int rc;

	if (!e)
		return rni_engine_error();
	rc = rne_task_spawn(e, fn, arg, stack_size);
	if (rc < 0)
		return rni_err_errno(-rc, "mmap");
	return 0;
}

int rn_go_attr(rn_task_fn fn, void *arg, const rn_task_attr *attr)
{
	size_t stack_size = attr ? attr->stack_size : 0;

	if (!fn)
		return rni_err_einval("rn_go: NULL function");
	/* On a runtime thread the task is the runtime's: rn_runtime_wait counts it. */
	if (rni_runtime_on_thread())
		return rni_runtime_go(fn, arg, stack_size);
	return rni_go(fn, arg, stack_size);
}

int rn_go(rn_task_fn fn, void *arg)
{
	return rn_go_attr(fn, arg, NULL);
}

int rn_run(void)
{
	rne_engine *e = rne_current();
	int rc;

	if (rne_task_current())
		return rni_err_text(-EDEADLK, "rn_run: called from a task");
	if (!e || rne_task_count(e) == 0)
		return 0;
	rc = rne_run(e);
	if (rc < 0)
		return rni_err_errno(-rc, "io_uring_enter");
	return 0;
}

bool rn_in_task(void)
{
	return rne_task_current() != NULL;
}

unsigned rn_task_count(void)
{
	rne_engine *e = rne_current();

	return e ? rne_task_count(e) : 0;
}

void rn_yield(void)
{
	rne_task_yield();
}

int rn_sleep_until(rn_time t)
{
	rne_engine *e;
	int rc;

	if (t <= rn_now())
		return 0;
	e = rne_get();
	if (!e)
		return rni_engine_error();
	rc = rne_sleep_until(e, t);
	return rc < 0 ? rni_err_errno(-rc, "io_uring_enter") : 0;
}

int rn_sleep(rn_duration d)
{
	if (d <= 0)
		return 0;
	return rn_sleep_until(rn_now() + d);
}
