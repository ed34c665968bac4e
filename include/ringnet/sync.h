/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/sync.h - Go's sync.WaitGroup, sync.Mutex and channels for
 * tasks and threads.
 *
 * Every object here may be shared by tasks of one thread, tasks of
 * different threads and plain threads, in any mix.  A caller that has to
 * wait parks if it is a task (the other tasks of its thread run meanwhile)
 * and blocks if it is a plain thread, as every blocking ringnet call does
 * (see <ringnet/task.h>).  Waking a task that lives on another thread
 * goes through the waker's io_uring engine, which is started on the
 * waker's thread if it has none yet.
 *
 * Where Go panics (a negative WaitGroup counter, a send on or a close of a
 * closed channel) the call fails instead: a negative code, Go's panic text
 * in rn_last_error().  Objects are allocated by their _new function and
 * released by _free, which must not run while any call on the object is in
 * progress; every _free accepts NULL.
 */
#ifndef RINGNET_SYNC_H
#define RINGNET_SYNC_H

#include <stdbool.h>
#include <stddef.h>

#include <ringnet/net.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- WaitGroup -------------------------------------------------------------------- */

typedef struct rn_waitgroup rn_waitgroup;

/**
 * rn_waitgroup_new - a wait group with a zero counter (Go: var wg
 * sync.WaitGroup).  Returns NULL with -ENOMEM in rn_last_error() when out
 * of memory.  Release it with rn_waitgroup_free().
 */
rn_waitgroup *rn_waitgroup_new(void);

/**
 * rn_waitgroup_add - add @delta (which may be negative) to the counter
 * (Go: wg.Add).  When the counter reaches zero every rn_waitgroup_wait()
 * returns.  Returns 0; -EINVAL ("sync: negative WaitGroup counter", where
 * Go panics) when the counter would go below zero, which leaves it
 * unchanged; -EINVAL for a NULL @wg.
 */
int rn_waitgroup_add(rn_waitgroup *wg, int delta);

/**
 * rn_waitgroup_done - rn_waitgroup_add(@wg, -1) (Go: wg.Done).  Done on a
 * zero counter changes nothing and records the -EINVAL of
 * rn_waitgroup_add in rn_last_error() (Go panics).
 */
void rn_waitgroup_done(rn_waitgroup *wg);

/**
 * rn_waitgroup_wait - wait until the counter is zero (Go: wg.Wait); returns
 * at once if it is.  A wait that began before the counter reached zero
 * returns even if rn_waitgroup_add() raises it again before the waiter
 * got to run, so a group can be reused as in Go.
 */
void rn_waitgroup_wait(rn_waitgroup *wg);

/** rn_waitgroup_free - release @wg (nobody may be waiting on it). */
void rn_waitgroup_free(rn_waitgroup *wg);

/* ---- Mutex ------------------------------------------------------------------------ */

typedef struct rn_mutex rn_mutex;

/**
 * rn_mutex_new - an unlocked mutex (Go: var mu sync.Mutex).  Unlike a
 * pthread mutex it may be held across blocking ringnet calls and parks:
 * a task that finds it locked parks and lets its thread's other tasks run.
 * Waiters get it in arrival order.  Returns NULL with -ENOMEM in
 * rn_last_error() when out of memory.  Release it with rn_mutex_free().
 */
rn_mutex *rn_mutex_new(void);

/**
 * rn_mutex_lock - lock @mu, waiting while someone else holds it (Go:
 * mu.Lock).  Not recursive: locking a mutex one already holds waits
 * forever, as in Go.
 */
void rn_mutex_lock(rn_mutex *mu);

/** rn_mutex_trylock - lock @mu if it is free; true when locked (Go: mu.TryLock). */
bool rn_mutex_trylock(rn_mutex *mu);

/**
 * rn_mutex_unlock - unlock @mu, handing it to the first waiter if any (Go:
 * mu.Unlock).  As in Go, any task or thread may unlock a mutex another one
 * locked.  Unlocking an unlocked mutex is Go's unrecoverable "fatal error:
 * sync: unlock of unlocked mutex": the message goes to stderr and the
 * process aborts.
 */
void rn_mutex_unlock(rn_mutex *mu);

/** rn_mutex_free - release @mu (it must be unlocked, with nobody waiting). */
void rn_mutex_free(rn_mutex *mu);

/* ---- Channels --------------------------------------------------------------------- */

/* A channel of pointers (Go: chan unsafe.Pointer); it owns none of them. */
typedef struct rn_chan rn_chan;

/**
 * rn_chan_new - a channel with room for @cap values (Go: make(chan T,
 * cap)).  @cap 0 makes an unbuffered channel: a send completes only when a
 * receiver has taken the value, a rendezvous.  Values are received in the
 * order they were sent.  Allocates @cap pointers; returns NULL with -ENOMEM
 * in rn_last_error() when they do not fit.  Release with rn_chan_free().
 */
rn_chan *rn_chan_new(size_t cap);

/**
 * rn_chan_send - send @v (Go: ch <- v): hand it to a waiting receiver, else
 * put it in the buffer if there is room, else wait for either.  Returns 0;
 * RN_ECLOSED ("send on closed channel", where Go panics) when the channel
 * is closed, also when it gets closed while this send waits (the value
 * was then not delivered); -EINVAL for a NULL @ch.
 */
int rn_chan_send(rn_chan *ch, void *v);

/**
 * rn_chan_recv - receive into *@v (Go: v, ok := <-ch), waiting until a
 * value arrives or the channel is closed.  Returns 1 with the value, or 0
 * with *@v = NULL once the channel is closed and every buffered value has
 * been received (Go's ok == false; `for v := range ch` stops there);
 * -EINVAL for a NULL argument.
 */
int rn_chan_recv(rn_chan *ch, void **v);

/**
 * rn_chan_recv_until - rn_chan_recv giving up at @deadline (rn_time; 0 =
 * never), Go's select on <-ch and <-time.After.  A value that is ready is
 * received even when @deadline has passed.  Returns 1, 0 (closed and
 * drained, *@v = NULL), or RN_ETIMEOUT ("i/o timeout") with *@v = NULL and
 * nothing taken from the channel; -EINVAL for a NULL argument.
 */
int rn_chan_recv_until(rn_chan *ch, void **v, rn_time deadline);

/**
 * rn_chan_try_send - send @v only if that needs no wait (Go: select with a
 * case ch <- v and a default): a receiver is waiting or the buffer has
 * room.  Returns 0; -EAGAIN when it would wait; RN_ECLOSED ("send on
 * closed channel") when closed; -EINVAL for a NULL @ch.
 */
int rn_chan_try_send(rn_chan *ch, void *v);

/**
 * rn_chan_try_recv - receive only if that needs no wait (Go: select with a
 * case v, ok := <-ch and a default).  Returns 1 with a value, 0 when
 * closed and drained (*@v = NULL), -EAGAIN (*@v = NULL) when it would
 * wait; -EINVAL for a NULL argument.
 */
int rn_chan_try_recv(rn_chan *ch, void **v);

/**
 * rn_chan_close - close @ch (Go: close(ch)): no more sends.  Every waiting
 * receiver returns 0, every waiting sender RN_ECLOSED; buffered values stay
 * receivable.  Returns 0; RN_ECLOSED ("close of closed channel", where Go
 * panics) the second time; -EINVAL ("close of nil channel") for NULL.
 */
int rn_chan_close(rn_chan *ch);

/** rn_chan_len - the values in the buffer now (Go: len(ch)); 0 for NULL. */
size_t rn_chan_len(rn_chan *ch);

/** rn_chan_cap - the buffer's size (Go: cap(ch)); 0 for NULL. */
size_t rn_chan_cap(rn_chan *ch);

/**
 * rn_chan_free - release @ch (Go's garbage collector).  No call on it may
 * be in progress; the values still buffered are not freed.
 */
void rn_chan_free(rn_chan *ch);

#ifdef __cplusplus
}
#endif

#endif /* RINGNET_SYNC_H */
