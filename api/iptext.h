/* SPDX-License-Identifier: BSD-3-Clause */
/* api/iptext.h - IP text writers shared by ip.c, ipmask.c and addr.c.  Internal. */
#ifndef RINGNET_API_IPTEXT_H
#define RINGNET_API_IPTEXT_H

#include <stdint.h>

#include <ringnet/net.h>

#include "api/strbuf.h"

/* rni_put_ip - Go's IP.String into sb. */
void rni_put_ip(rni_sb *sb, rn_ip ip);
/* rni_put_ipv6 - the RFC 5952 text of 16 bytes, no IPv4 special case. */
void rni_put_ipv6(rni_sb *sb, const uint8_t *p);
/* rni_put_v4 - dotted decimal of 4 bytes. */
void rni_put_v4(rni_sb *sb, const uint8_t *p);
/* rni_put_ipnet - Go's IPNet.String ("<nil>" for NULL). */
void rni_put_ipnet(rni_sb *sb, const rn_ipnet *n);

#endif /* RINGNET_API_IPTEXT_H */
