/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/task.h - how rn_go (api/task.c) and the runtime (api/runtime.c)
 * meet: a task started on a runtime thread belongs to the runtime, so that
 * rn_runtime_wait sees it, as Go's main waits for what a WaitGroup counts.
 * Internal.
 */
#ifndef RINGNET_API_TASK_H
#define RINGNET_API_TASK_H

#include <stdbool.h>
#include <stddef.h>

#include <ringnet/task.h>

/* rni_go - start a task on this thread's engine, uncounted (errors recorded). */
int rni_go(rn_task_fn fn, void *arg, size_t stack_size);

/* rni_runtime_on_thread - whether the caller runs on a runtime thread. */
bool rni_runtime_on_thread(void);

/* rni_runtime_go - start a task on this runtime thread, counted by rn_runtime_wait. */
int rni_runtime_go(rn_task_fn fn, void *arg, size_t stack_size);

#endif /* RINGNET_API_TASK_H */
