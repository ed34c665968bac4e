/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/wait.c - the waiter: batching submissions, reaping completions into
 * op records, and linked deadlines.
 */
#include <errno.h>
#include <string.h>

#include <ringnet/engine.h>

#include "engine/engine.h"
#include "engine/task.h"

struct io_uring_sqe *rne_sqe(rne_engine *e)
{
	struct io_uring_sqe *sqe;

	while ((sqe = io_uring_get_sqe(&e->ring)) == NULL)
		io_uring_submit(&e->ring); /* full: hand the queued entries over */
	return sqe;
}

unsigned rne_timeout_spec(const rne_engine *e, int64_t deadline, struct __kernel_timespec *ts)
{
	unsigned flags = 0;
	int64_t when = deadline;

	if (e->features & RN_ENGINE_TIMEOUT_REALTIME) {
		flags = IORING_TIMEOUT_ABS | IORING_TIMEOUT_REALTIME;
	} else {
		/* An older kernel: the nearest equivalent is a relative timeout. */
		when = deadline - rne_now_ns();
		if (when < 0)
			when = 0;
	}
	ts->tv_sec = when / 1000000000;
	ts->tv_nsec = when % 1000000000;
	return flags;
}

struct io_uring_sqe *rne_link_deadline(rne_engine *e, struct io_uring_sqe *sqe, int64_t deadline,
				       struct __kernel_timespec *ts)
{
	struct io_uring_sqe *t;
	unsigned flags;

	if (!deadline)
		return NULL;
	flags = rne_timeout_spec(e, deadline, ts);
	sqe->flags |= IOSQE_IO_LINK;
	t = rne_sqe(e);
	io_uring_prep_link_timeout(t, ts, flags);
	io_uring_sqe_set_data64(t, RNE_UD_IGNORE);
	return t;
}

/* Queue the cancel of every operation on @fd; the next submit carries it. */
static void queue_cancel_fd(rne_engine *e, int fd)
{
	struct io_uring_sqe *sqe = rne_sqe(e);

	io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(sqe, RNE_UD_IGNORE);
	if (e->features & RN_ENGINE_CQE_SKIP)
		sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

int rne_cancel_fd(rne_engine *self, int owner_ring_fd, int fd)
{
	struct io_uring_sqe *sqe;

	if (owner_ring_fd == self->ring.ring_fd) {
		queue_cancel_fd(self, fd);
	} else {
		if (!(self->features & RN_ENGINE_MSG_RING))
			return -EOPNOTSUPP;
		sqe = rne_sqe(self);
		io_uring_prep_msg_ring(sqe, owner_ring_fd, (unsigned)fd, RNE_UD_CANCEL_FD, 0);
		io_uring_sqe_set_data64(sqe, RNE_UD_IGNORE);
		if (self->features & RN_ENGINE_CQE_SKIP)
			sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	}
	io_uring_submit(&self->ring);
	return 0;
}

void rne_cancel_op(rne_engine *e, const rne_op *op)
{
	struct io_uring_sqe *sqe = rne_sqe(e);

	io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)op, 0);
	io_uring_sqe_set_data64(sqe, RNE_UD_IGNORE);
	if (e->features & RN_ENGINE_CQE_SKIP)
		sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
}

/* Deliver every completion that is ready. */
void rne_reap(rne_engine *e)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&e->ring, head, cqe) {
		rne_op *op = io_uring_cqe_get_data(cqe);

		n++;
		if (cqe->user_data == RNE_UD_CANCEL_FD) {
			queue_cancel_fd(e, cqe->res); /* another thread asked */
			rne_residents_poke(e, cqe->res);
			continue;
		}
		if ((cqe->user_data & RNE_UD_TAG_MASK) == RNE_UD_PARKER) {
			rne_task_remote_wake(cqe->user_data);
			continue;
		}
		if (!op)
			continue; /* a linked timeout's own completion */
		if (op->nb) {
			op->nb = false;
			e->nb_pending--;
		}
		if (op->complete) {
			/* The op is its owner's from here: it may be freed before this returns. */
			op->complete(op, cqe->res, cqe->flags);
			continue;
		}
		op->res = cqe->res;
		op->flags = cqe->flags;
		op->done = true;
		if (op->task)
			rne_task_op_done(op);
	}
	io_uring_cq_advance(&e->ring, n);
}

/* A task waits by parking; its scheduler submits, waits and reaps. */
static int task_wait(rne_task *t, rne_op *op)
{
	while (!op->done) {
		op->task = t;
		rne_task_park();
	}
	op->task = NULL;
	return op->res;
}

int rne_wait(rne_engine *e, rne_op *op)
{
	rne_task *t = rne_task_current();

	if (t && rne_task_engine(t) == e)
		return task_wait(t, op);
	rne_reap(e);
	while (!op->done) {
		int rc = io_uring_submit_and_wait(&e->ring, 1);

		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME)
			return rc;
		rne_reap(e);
	}
	return op->res;
}

/* Mark the ops not yet done as unable to block: the first has completed. */
static void count_nonblocking(rne_engine *e, rne_op *ops, int n)
{
	for (int i = 1; i < n; i++)
		if (!ops[i].done && !ops[i].nb) {
			ops[i].nb = true;
			e->nb_pending++;
		}
}

int rne_wait_all(rne_engine *e, rne_op *ops, int n)
{
	rne_task *t = rne_task_current();
	int first = 0;

	if (t && rne_task_engine(t) == e) {
		task_wait(t, &ops[0]);
		count_nonblocking(e, ops, n);
		for (int i = 1; i < n; i++)
			task_wait(t, &ops[i]);
		return 0;
	}
	rne_reap(e);
	for (;;) {
		unsigned left = 0;

		while (first < n && ops[first].done)
			first++;
		for (int i = first; i < n; i++)
			left += !ops[i].done;
		if (!left)
			return 0;
		/*
		 * Only the first op may block.  While it does, wait for one
		 * completion: a Close or deadline from another thread arrives
		 * as a single MSG_RING completion and must wake us to cancel.
		 */
		int rc = io_uring_submit_and_wait(&e->ring, ops[0].done ? left : 1);

		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME)
			return rc;
		rne_reap(e);
	}
}
