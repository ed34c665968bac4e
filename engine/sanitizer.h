/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/sanitizer.h - which sanitizer this file is built under, for the
 * places where the engine does what a sanitizer cannot see: switching
 * stacks (tasks) and handing memory to another thread through the kernel
 * (MSG_RING wakes).  Internal.
 */
#ifndef RINGNET_ENGINE_SANITIZER_H
#define RINGNET_ENGINE_SANITIZER_H

#if defined(__SANITIZE_ADDRESS__)
#define RNE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RNE_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define RNE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RNE_TSAN 1
#endif
#endif

#ifdef RNE_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef RNE_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#endif /* RINGNET_ENGINE_SANITIZER_H */
