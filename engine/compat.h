/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine/compat.h - io_uring constants newer than the oldest liburing we
 * build with (Debian 12: liburing 2.3, 6.1-era headers).  Each one is
 * probed at run time before use; defining it here only lets us ask.
 */
#ifndef RINGNET_ENGINE_COMPAT_H
#define RINGNET_ENGINE_COMPAT_H

#include <liburing.h>

#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12) /* 6.0 */
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13) /* 6.1 */
#endif
#ifndef IORING_SETUP_COOP_TASKRUN
#define IORING_SETUP_COOP_TASKRUN (1U << 8) /* 5.19 */
#endif
#ifndef IORING_TIMEOUT_REALTIME
#define IORING_TIMEOUT_REALTIME (1U << 3) /* 5.15 */
#endif

#endif /* RINGNET_ENGINE_COMPAT_H */
