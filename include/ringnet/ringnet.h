/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ringnet/ringnet.h - everything ringnet offers.
 */
#ifndef RINGNET_RINGNET_H
#define RINGNET_RINGNET_H

#include <ringnet/version.h>
#include <ringnet/net.h>
#include <ringnet/engine.h>
#include <ringnet/task.h>
#include <ringnet/sync.h>
#include <ringnet/ipv4.h>
#include <ringnet/bpf.h>
#include <ringnet/runtime.h>

#endif /* RINGNET_RINGNET_H */
