/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/bufring.c - the per-thread provided-buffer rings: receives that
 * select their buffer in the kernel (multishot receives, zero-copy leases).
 *
 * Each is set up on first use (io_uring_register_buf_ring, 5.19+); a kernel
 * that refuses it leaves the ring unset and callers use their own memory.
 * Buffers go back to a ring only on the ring's own thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ringnet/engine.h>

#include "engine/engine.h"

static const struct {
	unsigned count, size;
} shapes[RNE_BR_KINDS] = {
	[RNE_BR_STREAM] = { RNE_BUFS, RNE_BUF_SIZE },
	[RNE_BR_DGRAM] = { RNE_DBUFS, RNE_DBUF_SIZE },
};

static size_t map_len(const rne_bufs *b)
{
	return b->count * sizeof(struct io_uring_buf) + (size_t)b->count * b->size;
}

int rne_bufring(rne_engine *e, int g)
{
	rne_bufs *b = &e->brs[g];
	struct io_uring_buf_reg reg;
	void *mem;

	if (b->br)
		return 0;
	if (b->failed)
		return -EOPNOTSUPP;
	b->count = shapes[g].count;
	b->size = shapes[g].size;
	/* The ring must be page-aligned; the buffers follow it. */
	mem = mmap(NULL, map_len(b), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return -ENOMEM;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)mem;
	reg.ring_entries = b->count;
	reg.bgid = RNE_BGID(g);
	if (io_uring_register_buf_ring(&e->ring, &reg, 0) < 0) {
		munmap(mem, map_len(b));
		b->failed = true;
		return -EOPNOTSUPP;
	}
	b->br = mem;
	b->bufs = (char *)mem + b->count * sizeof(struct io_uring_buf);
	io_uring_buf_ring_init(b->br);
	for (unsigned i = 0; i < b->count; i++)
		io_uring_buf_ring_add(b->br, b->bufs + (size_t)i * b->size, b->size, (unsigned short)i,
				      io_uring_buf_ring_mask(b->count), (int)i);
	io_uring_buf_ring_advance(b->br, (int)b->count);
	b->avail = b->count;
	if (g == RNE_BR_STREAM)
		e->features |= RN_ENGINE_BUF_RING;
	return 0;
}

void *rne_buf(rne_engine *e, int g, unsigned bid)
{
	return e->brs[g].bufs + (size_t)bid * e->brs[g].size;
}

void rne_buf_return(rne_engine *e, int g, unsigned bid)
{
	rne_bufs *b = &e->brs[g];

	io_uring_buf_ring_add(b->br, rne_buf(e, g, bid), b->size, (unsigned short)bid,
			      io_uring_buf_ring_mask(b->count), 0);
	io_uring_buf_ring_advance(b->br, 1);
	b->avail++;
}

void rne_bufring_free(rne_engine *e)
{
	for (int g = 0; g < RNE_BR_KINDS; g++) {
		rne_bufs *b = &e->brs[g];

		if (!b->br)
			continue;
		io_uring_unregister_buf_ring(&e->ring, RNE_BGID(g));
		munmap(b->br, map_len(b));
		b->br = NULL;
	}
}
