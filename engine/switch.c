/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/switch.c - switching between execution contexts: a few
 * instructions of hand-written assembly on x86-64 and AArch64 that save the
 * callee-saved registers on the running stack and load another stack's;
 * ucontext elsewhere (slower: swapcontext makes a system call for the
 * signal mask, which tasks never change).
 *
 * A new context's stack is laid out as if it had called rne_ctx_switch:
 * the switch "returns" into a trampoline that calls entry(arg).
 *
 * Checked on x86-64 natively and on AArch64 under qemu (callee-saved
 * registers, 16-byte alignment, per-context FP control state), PIC and
 * not.  Not supported: x86 user shadow stacks (CET SHSTK), which a stack
 * switch would have to tell; glibc does not enable them by default.
 */
#include <stdint.h>
#include <string.h>

#include "engine/task.h"

#if defined(__x86_64__) && !defined(RNE_CTX_UCONTEXT)

/*
 * Saved frame, from the saved sp upwards: mxcsr and x87 control word (8
 * bytes), r15, r14, r13, r12, rbx, rbp, return address.
 */
__asm__(".text\n"
	".globl rne_ctx_switch\n"
	".type rne_ctx_switch,@function\n"
	"rne_ctx_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq (%rsi), %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size rne_ctx_switch, .-rne_ctx_switch\n"
	/* First run: entry in r12, arg in r13, rsp 16-byte aligned here. */
	".globl rne_ctx_trampoline\n"
	".hidden rne_ctx_trampoline\n"
	".type rne_ctx_trampoline,@function\n"
	"rne_ctx_trampoline:\n"
	"	movq %r13, %rdi\n"
	"	callq *%r12\n"
	"	ud2\n"
	".size rne_ctx_trampoline, .-rne_ctx_trampoline\n");

/*
 * Global but hidden: a local asm symbol is referenced as ".text + offset",
 * and the AArch64 linker drops that addend in the GOT entry -fPIC code
 * loads it from (the "trampoline" became rne_ctx_switch itself).  Hidden
 * also lets the compiler take the address PC-relatively, without the GOT.
 */
__attribute__((visibility("hidden"))) void rne_ctx_trampoline(void);

void rne_ctx_make(rne_ctx *c, void *stack, size_t size, void (*entry)(void *), void *arg)
{
	uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
	uint64_t *sp = (uint64_t *)top;

	/* At top - 8: after ret pops it, the trampoline runs with rsp 16-aligned. */
	*--sp = (uint64_t)(uintptr_t)rne_ctx_trampoline; /* return address */
	*--sp = 0;				 /* rbp */
	*--sp = 0;				 /* rbx */
	*--sp = (uint64_t)(uintptr_t)entry;	 /* r12 */
	*--sp = (uint64_t)(uintptr_t)arg;	 /* r13 */
	*--sp = 0;				 /* r14 */
	*--sp = 0;				 /* r15 */
	*--sp = 0x037f00001f80ull;		 /* x87 control word | mxcsr defaults */
	c->sp = sp;
}

void rne_ctx_free(rne_ctx *c)
{
	c->sp = NULL;
}

#elif defined(__aarch64__) && !defined(RNE_CTX_UCONTEXT)

/*
 * Saved frame (176 bytes): x19..x28, x29 (fp), x30 (lr), d8..d15, fpcr
 * (rounding mode, flush-to-zero: per context, as mxcsr on x86-64), pad.
 * FPCR is written only when it differs: the write can be slow.
 */
__asm__(".text\n"
	".globl rne_ctx_switch\n"
	".type rne_ctx_switch,%function\n"
	"rne_ctx_switch:\n"
	"	sub sp, sp, #176\n"
	"	stp x19, x20, [sp, #0]\n"
	"	stp x21, x22, [sp, #16]\n"
	"	stp x23, x24, [sp, #32]\n"
	"	stp x25, x26, [sp, #48]\n"
	"	stp x27, x28, [sp, #64]\n"
	"	stp x29, x30, [sp, #80]\n"
	"	stp d8, d9, [sp, #96]\n"
	"	stp d10, d11, [sp, #112]\n"
	"	stp d12, d13, [sp, #128]\n"
	"	stp d14, d15, [sp, #144]\n"
	"	mrs x3, fpcr\n"
	"	str x3, [sp, #160]\n"
	"	mov x2, sp\n"
	"	str x2, [x0]\n"
	"	ldr x2, [x1]\n"
	"	mov sp, x2\n"
	"	ldp x19, x20, [sp, #0]\n"
	"	ldp x21, x22, [sp, #16]\n"
	"	ldp x23, x24, [sp, #32]\n"
	"	ldp x25, x26, [sp, #48]\n"
	"	ldp x27, x28, [sp, #64]\n"
	"	ldp x29, x30, [sp, #80]\n"
	"	ldp d8, d9, [sp, #96]\n"
	"	ldp d10, d11, [sp, #112]\n"
	"	ldp d12, d13, [sp, #128]\n"
	"	ldp d14, d15, [sp, #144]\n"
	"	ldr x2, [sp, #160]\n"
	"	cmp x2, x3\n"
	"	b.eq 1f\n"
	"	msr fpcr, x2\n"
	"1:\n"
	"	add sp, sp, #176\n"
	"	ret\n"
	".size rne_ctx_switch, .-rne_ctx_switch\n"
	/* First run: entry in x19, arg in x20. */
	".globl rne_ctx_trampoline\n"
	".hidden rne_ctx_trampoline\n"
	".type rne_ctx_trampoline,%function\n"
	"rne_ctx_trampoline:\n"
	"	mov x0, x20\n"
	"	blr x19\n"
	"	brk #0\n"
	".size rne_ctx_trampoline, .-rne_ctx_trampoline\n");

/*
 * Global but hidden: a local asm symbol is referenced as ".text + offset",
 * and the AArch64 linker drops that addend in the GOT entry -fPIC code
 * loads it from (the "trampoline" became rne_ctx_switch itself).  Hidden
 * also lets the compiler take the address PC-relatively, without the GOT.
 */
__attribute__((visibility("hidden"))) void rne_ctx_trampoline(void);

void rne_ctx_make(rne_ctx *c, void *stack, size_t size, void (*entry)(void *), void *arg)
{
	uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
	uint64_t *sp = (uint64_t *)(top - 176);

	memset(sp, 0, 176); /* fpcr 0: round to nearest, no flush-to-zero */
	sp[0] = (uint64_t)(uintptr_t)entry;		  /* x19 */
	sp[1] = (uint64_t)(uintptr_t)arg;		  /* x20 */
	sp[11] = (uint64_t)(uintptr_t)rne_ctx_trampoline; /* x30 */
	c->sp = sp;
}

void rne_ctx_free(rne_ctx *c)
{
	c->sp = NULL;
}

#else /* ucontext */

#include <stdlib.h>
#include <ucontext.h>

/* makecontext passes int arguments: split the pointers (in 64 bits, also where they have 32). */
static void uc_trampoline(unsigned eh, unsigned el, unsigned ah, unsigned al)
{
	void (*entry)(void *) = (void (*)(void *))(uintptr_t)(((uint64_t)eh << 32) | el);
	void *arg = (void *)(uintptr_t)(((uint64_t)ah << 32) | al);

	entry(arg);
	abort();
}

void rne_ctx_make(rne_ctx *c, void *stack, size_t size, void (*entry)(void *), void *arg)
{
	ucontext_t *uc = c->uc ? c->uc : calloc(1, sizeof(*uc));
	uint64_t e = (uintptr_t)entry, a = (uintptr_t)arg;

	if (!uc)
		abort();
	getcontext(uc);
	uc->uc_stack.ss_sp = stack;
	uc->uc_stack.ss_size = size;
	uc->uc_link = NULL;
	makecontext(uc, (void (*)(void))uc_trampoline, 4, (unsigned)(e >> 32), (unsigned)e,
		    (unsigned)(a >> 32), (unsigned)a);
	c->uc = uc;
}

void rne_ctx_switch(rne_ctx *from, rne_ctx *to)
{
	if (!from->uc && !(from->uc = calloc(1, sizeof(ucontext_t))))
		abort();
	swapcontext(from->uc, to->uc);
}

void rne_ctx_free(rne_ctx *c)
{
	free(c->uc);
	c->uc = NULL;
}

#endif
