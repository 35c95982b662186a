/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The HTTP engine is freestanding C: the same source is built into
 * khttpd.ko, into the userspace server and into host-side unit tests and
 * fuzzers.  This shim is everything it may use from its environment:
 * fixed-width types, size_t, bool, ARRAY_SIZE, memchr/memcmp/memcpy.
 */
#ifndef _KHTTPD_HTTP_SHIM_H
#define _KHTTPD_HTTP_SHIM_H

#ifdef __KERNEL__
#include <linux/array_size.h>
#include <linux/types.h>
#include <linux/string.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#endif

#endif /* _KHTTPD_HTTP_SHIM_H */
