/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/resident.c - operations that stay armed between calls.
 *
 * A multishot receive or accept keeps producing completions after the
 * call that armed it has returned, and only its own thread reaps them.
 * That thread reaps while its task scheduler runs; once rne_run returns,
 * or the thread exits, nobody would, and a Close or a reader on another
 * thread would wait for a completion that never comes.  So they are
 * stopped there, and their final completions reaped before going on.
 */
#include <errno.h>

#include "engine/engine.h"

void rne_resident_add(rne_engine *e, rne_resident *r)
{
	r->prev = NULL;
	r->next = e->residents;
	if (e->residents)
		e->residents->prev = r;
	e->residents = r;
}

void rne_resident_del(rne_engine *e, rne_resident *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else if (e->residents == r)
		e->residents = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

void rne_residents_poke(rne_engine *e, int fd)
{
	for (rne_resident *r = e->residents, *next; r; r = next) {
		next = r->next;
		if (r->fd == fd)
			r->stop(r);
	}
}

int rne_residents_stop(rne_engine *e)
{
	if (!e->residents)
		return 0;
	for (rne_resident *r = e->residents, *next; r; r = next) {
		next = r->next; /* stop may end it (and unlink it) at once */
		r->stop(r);
	}
	while (e->residents) {
		int rc = io_uring_submit_and_wait(&e->ring, 1);

		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME)
			return rc;
		rne_reap(e);
	}
	return 0;
}
