/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/stack.c - task stacks: anonymous mappings that the kernel commits
 * page by page as the task touches them (so a 64 KiB stack of a task that
 * used 6 KiB costs 8 KiB of memory), with one PROT_NONE guard page below
 * the usable range: running off the end faults at once.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/sanitizer.h"
#include "engine/task.h"

int rne_stack_alloc(rne_stack *s, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *m;

	if (size < RNE_STACK_MIN)
		size = RNE_STACK_MIN;
	if (size > SIZE_MAX / 2)
		return -ENOMEM;
	size = (size + page - 1) & ~(page - 1);
	m = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (m == MAP_FAILED)
		return -errno;
	if (mprotect(m, page, PROT_NONE) < 0) {
		int err = errno;

		munmap(m, size + page);
		return -err;
	}
	s->map = m;
	s->map_len = size + page;
	s->base = (char *)m + page;
	s->size = size;
	return 0;
}

void rne_stack_free(rne_stack *s)
{
#ifdef RNE_ASAN
	/*
	 * A finished task never returns from its first frame: ASan's poison of
	 * its last frames would outlive the mapping and hit whatever the
	 * kernel maps here next.
	 */
	if (s->map)
		__asan_unpoison_memory_region(s->base, s->size);
#endif
	if (s->map)
		munmap(s->map, s->map_len);
	s->map = NULL;
}
