/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api/dgram.h - reads of UDP and raw IP sockets through one multishot
 * RECVMSG into the thread's datagram buffer ring.  Internal.
 *
 * A read from a task (ReadBatch, ReadFrom, ReadMsg, Read) takes the oldest
 * datagram the receive queued; when none is queued it arms the receive
 * (once, see api/multishot.h) and parks.  A batch takes what is queued
 * after its first datagram without waiting: a ReadBatch costs no
 * submission when datagrams are already there.  Every read path of the
 * socket goes through here, so datagrams are read once and in order
 * whichever path reads them.  Unix sockets are left out: a datagram may
 * carry descriptors (SCM_RIGHTS), which must not sit in a ring buffer.
 */
#ifndef RINGNET_API_DGRAM_H
#define RINGNET_API_DGRAM_H

#include <stdbool.h>
#include <sys/socket.h>

#include "api/fd.h"
#include "api/multishot.h"

/* Room for control messages in each buffer (TTL, TOS, PKTINFO and more). */
#define RNI_DGRAM_CONTROL 256

/*
 * rni_dgram_recv - one datagram for a read of @f on engine @e, inside the
 * call (fd entered, read lock held).  Fills @msg as recvmsg(2) does:
 * the sender in msg_name (msg_namelen), whole control messages that fit
 * (msg_controllen), the data scattered over msg_iov, msg_flags with
 * MSG_TRUNC / MSG_CTRUNC when the caller's room was short.  @flags may hold
 * MSG_PEEK (the datagram stays queued), MSG_TRUNC (return the full length)
 * and MSG_DONTWAIT; with any other flag, or on a socket it does not serve,
 * it returns RNI_MS_ONESHOT without looking.  Without @wait, or with
 * MSG_DONTWAIT, it returns -EAGAIN when nothing is queued.
 *
 * Returns the data length, RN_ECLOSED, RN_ETIMEOUT, -errno (an error the
 * socket reported, once), or RNI_MS_ONESHOT: nothing queued and nothing
 * armed for this caller (plain thread, no kernel support): the caller
 * receives itself.  Nothing is recorded in rn_last_error.
 */
int rni_dgram_recv(rni_fd *f, rne_engine *e, struct msghdr *msg, int flags, bool wait);

/*
 * rni_dgram_recv_batch - up to @n datagrams into @msgs, their lengths into
 * @lens, under one lock: the first as rni_dgram_recv, the rest only those
 * already queued behind it.  Returns how many (>= 1), or what the first
 * read returned (0 for a shut-down socket, an error, RNI_MS_ONESHOT).
 */
int rni_dgram_recv_batch(rni_fd *f, rne_engine *e, struct msghdr *msgs, int *lens, int n,
			 int flags, bool wait);

#endif /* RINGNET_API_DGRAM_H */
