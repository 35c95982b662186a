/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The HTTP engine is freestanding C: the same source is built into
 * khttpd.ko, into the userspace server and into host-side unit tests and
 * fuzzers.  This shim is everything it may use from its environment:
 * fixed-width types, size_t, bool, ARRAY_SIZE, memchr/memcmp/memcpy, and a
 * word-at-a-time memchr for the kernel.
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

/*
 * memchr for the engine's scans of a request.  libc's is vectorised, but
 * the kernel's is a byte loop (lib/string.c): there, look at eight bytes
 * at a time, with the exact "has a zero byte" test on the word XORed with
 * the byte repeated, and find the byte in the word that has it.  Never
 * reads outside [@s, @s + @n).  (KHTTPD_WORD_MEMCHR builds this one in
 * userspace too, for the unit tests and the fuzzer.)
 */
#if defined(__KERNEL__) || defined(KHTTPD_WORD_MEMCHR)
static inline void *khttpd_memchr(const void *s, int c, size_t n)
{
	const u64 ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	const unsigned char *p = s;
	u64 rep = ones * (unsigned char)c, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);	/* one unaligned load */
		w ^= rep;
		if ((w - ones) & ~w & highs)
			break;		/* the byte is among these eight */
	}
	for (; n; p++, n--)
		if (*p == (unsigned char)c)
			return (void *)p;
	return NULL;
}
#else
#define khttpd_memchr memchr
#endif

#endif /* _KHTTPD_HTTP_SHIM_H */
