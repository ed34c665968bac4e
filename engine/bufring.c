/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/bufring.c - the per-thread provided-buffer ring: receives that
 * select their buffer in the kernel (multishot receives, zero-copy leases).
 *
 * Set up on first use (io_uring_register_buf_ring, 5.19+); a kernel that
 * refuses it leaves RN_ENGINE_BUF_RING off and callers use their own memory.
 * Buffers go back to the ring only on the ring's own thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ringnet/engine.h>

#include "engine/engine.h"

int rne_bufring(rne_engine *e)
{
	struct io_uring_buf_reg reg;
	size_t ring_bytes = RNE_BUFS * sizeof(struct io_uring_buf);
	void *mem;
	int rc;

	if (e->br)
		return 0;
	if (e->br_failed)
		return -EOPNOTSUPP;
	/* The ring must be page-aligned; the buffers follow it. */
	mem = mmap(NULL, ring_bytes + (size_t)RNE_BUFS * RNE_BUF_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -ENOMEM;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)mem;
	reg.ring_entries = RNE_BUFS;
	reg.bgid = RNE_BGID;
	rc = io_uring_register_buf_ring(&e->ring, &reg, 0);
	if (rc < 0) {
		munmap(mem, ring_bytes + (size_t)RNE_BUFS * RNE_BUF_SIZE);
		e->br_failed = true;
		return -EOPNOTSUPP;
	}
	e->br = mem;
	e->br_bufs = (char *)mem + ring_bytes;
	io_uring_buf_ring_init(e->br);
	for (unsigned i = 0; i < RNE_BUFS; i++)
		io_uring_buf_ring_add(e->br, e->br_bufs + (size_t)i * RNE_BUF_SIZE, RNE_BUF_SIZE,
				      (unsigned short)i, io_uring_buf_ring_mask(RNE_BUFS), (int)i);
	io_uring_buf_ring_advance(e->br, RNE_BUFS);
	e->br_avail = RNE_BUFS;
	e->features |= RN_ENGINE_BUF_RING;
	return 0;
}

void *rne_buf(rne_engine *e, unsigned bid)
{
	return e->br_bufs + (size_t)bid * RNE_BUF_SIZE;
}

void rne_buf_return(rne_engine *e, unsigned bid)
{
	io_uring_buf_ring_add(e->br, rne_buf(e, bid), RNE_BUF_SIZE, (unsigned short)bid,
			      io_uring_buf_ring_mask(RNE_BUFS), 0);
	io_uring_buf_ring_advance(e->br, 1);
	e->br_avail++;
}

void rne_bufring_free(rne_engine *e)
{
	if (!e->br)
		return;
	io_uring_unregister_buf_ring(&e->ring, RNE_BGID);
	munmap(e->br, RNE_BUFS * sizeof(struct io_uring_buf) + (size_t)RNE_BUFS * RNE_BUF_SIZE);
	e->br = NULL;
}
