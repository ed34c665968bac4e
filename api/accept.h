/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/accept.h - Accept on a TCP listener through one multishot accept,
 * armed on the ring of the task that accepts (api/multishot.h).  Internal.
 *
 * The accept stays armed between Accepts, so a busy listener costs no
 * submission per connection.  Once RNI_ACCEPT_QUEUE connections wait
 * accepted in ringnet the accept is ended, and the rest wait in the
 * kernel's backlog, as they would for a program that does not Accept.  (The
 * kernel accepts what its backlog holds in one go, so the queue may exceed
 * that number by up to the backlog; never beyond.)
 */
#ifndef RINGNET_API_ACCEPT_H
#define RINGNET_API_ACCEPT_H

#include "api/fd.h"
#include "api/multishot.h"

#define RNI_ACCEPT_QUEUE 64

/*
 * rni_accept_take - the next accepted descriptor for a TCP listener, inside
 * the call (fd entered, read lock held) on engine @e: the descriptor, or
 * RN_ECLOSED, RN_ETIMEOUT, -errno (an accept error, reported once), or
 * RNI_MS_ONESHOT: nothing queued and nothing armed for this caller (plain
 * thread, no kernel support, not TCP): the caller accepts itself.
 */
int rni_accept_take(rni_fd *f, rne_engine *e);

#endif /* RINGNET_API_ACCEPT_H */
