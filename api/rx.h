/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/rx.h - Read and the lease read of a TCP conn through one multishot
 * receive into the thread's provided-buffer ring.  Internal.
 *
 * A Read from a task takes what the receive already queued; when nothing
 * is queued it arms the receive (once, see api/multishot.h) and parks
 * until data, the stream's end, Close or the deadline.  The receive stays
 * armed between Reads: a Read that finds data costs no submission at all.
 * It is armed only while a quarter of the ring's buffers are there: a Read
 * from a plain thread, or one that finds the ring short, receives with a
 * one-shot recv into the caller's memory, so back-pressure falls on the
 * kernel's socket buffer and never on the data.
 */
#ifndef RINGNET_API_RX_H
#define RINGNET_API_RX_H

#include <stddef.h>

#include <ringnet/net.h>

#include "api/fd.h"
#include "api/multishot.h"

/* The answer when the caller should do a one-shot recv itself. */
#define RNI_RX_ONESHOT RNI_MS_ONESHOT

/*
 * rni_rx_read - Read for a TCP conn, called inside the call (fd entered,
 * read lock held) on engine @e.  Returns the bytes copied (> 0), 0 at end
 * of stream, RN_ECLOSED, RN_ETIMEOUT, -errno, or RNI_RX_ONESHOT: nothing
 * queued and no receive armed here (plain thread, ring short of buffers,
 * no kernel support, not TCP): the caller receives itself.  Nothing
 * recorded in rn_last_error.
 */
int rni_rx_read(rni_fd *f, rne_engine *e, void *buf, size_t n);

/*
 * rni_rx_lease - rni_rx_read that hands out the oldest queued chunk
 * without copying it (a ring buffer or memory of its own), filling @l.
 */
int rni_rx_lease(rni_fd *f, rne_engine *e, rn_lease *l);

#endif /* RINGNET_API_RX_H */
