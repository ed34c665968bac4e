/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * example.h - the bits of Go's standard library that the examples need and
 * that are not ringnet's business: err.Error(), log.Fatal and
 * signal.Notify.  Everything else in the examples is ringnet itself.
 */
#ifndef RINGNET_EXAMPLE_H
#define RINGNET_EXAMPLE_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <ringnet/ringnet.h>

/* err.Error(): the last failure of this thread in Go's words. */
static inline const char *errstr(void)
{
	static _Thread_local char buf[1536];

	rn_error_string(NULL, buf, sizeof(buf));
	return buf;
}

/* log.Fatal(err), with log.SetFlags(0) (no timestamp, so tests can match it). */
static inline _Noreturn void fatal(void)
{
	fprintf(stderr, "%s\n", errstr());
	exit(1);
}

/*
 * signal.Notify(ch, os.Interrupt, syscall.SIGTERM) on a new channel of
 * capacity 1.  A thread plays Go's runtime signal handler: it sigwaits and
 * sends the signal number without blocking (dropped when the channel is
 * full, as Go does).  Call it first in main, before any thread starts, so
 * that the two signals stay blocked everywhere else.
 */
static struct {
	rn_chan *ch;
	pthread_t thread;
	atomic_bool stopping;
	sigset_t set;
} notify;

static inline void *notify_thread(void *arg)
{
	int sig;

	(void)arg;
	while (sigwait(&notify.set, &sig) == 0 && !atomic_load(&notify.stopping))
		rn_chan_try_send(notify.ch, (void *)(intptr_t)sig);
	return NULL;
}

static inline rn_chan *signal_notify(void)
{
	sigemptyset(&notify.set);
	sigaddset(&notify.set, SIGINT);
	sigaddset(&notify.set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &notify.set, NULL);
	notify.ch = rn_chan_new(1);
	if (!notify.ch || pthread_create(&notify.thread, NULL, notify_thread, NULL) != 0)
		fatal();
	return notify.ch;
}

/* signal.Stop(ch), then release it: the thread ends and is joined. */
static inline void signal_stop(rn_chan *ch)
{
	atomic_store(&notify.stopping, true);
	pthread_kill(notify.thread, SIGTERM); /* wakes its sigwait */
	pthread_join(notify.thread, NULL);
	rn_chan_free(ch);
}

#endif /* RINGNET_EXAMPLE_H */
