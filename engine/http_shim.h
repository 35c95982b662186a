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
 * Bit flags of the bytes of @w that are zero, and of those below @n (for
 * @n <= 0x80; bytes of 0x80 and above are never flagged).  Flags above
 * the first flagged byte may be wrong (a borrow), the first one is exact:
 * khttpd_word_first() finds it.
 */
#define KHTTPD_ONES	0x0101010101010101ULL
#define KHTTPD_HIGHS	0x8080808080808080ULL

static inline u64 khttpd_word_zero(u64 w)
{
	return (w - KHTTPD_ONES) & ~w & KHTTPD_HIGHS;
}

static inline u64 khttpd_word_below(u64 w, unsigned char n)
{
	return (w - KHTTPD_ONES * n) & ~w & KHTTPD_HIGHS;
}

/* Where in memory the first byte flagged in @mask (not 0) is. */
static inline unsigned int khttpd_word_first(u64 mask)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_clzll(mask) / 8;
#else
	return __builtin_ctzll(mask) / 8;
#endif
}

/* Eight bytes at @p, in memory order, from any alignment. */
static inline u64 khttpd_word_load(const void *p)
{
	u64 w;

	memcpy(&w, p, 8);	/* one unaligned load */
	return w;
}

/*
 * memchr for the engine's scans of a request.  libc's is vectorised, but
 * the kernel's is a byte loop (lib/string.c): there, look at eight bytes
 * at a time, with the exact "has a zero byte" test on the word XORed with
 * the byte repeated, and take the byte it flags first.  Never reads
 * outside [@s, @s + @n).  (KHTTPD_WORD_MEMCHR builds this one in
 * userspace too, for the unit tests and the fuzzer.)
 */
#if defined(__KERNEL__) || defined(KHTTPD_WORD_MEMCHR)
static inline void *khttpd_memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;
	u64 rep = KHTTPD_ONES * (unsigned char)c, m;

	for (; n >= 8; p += 8, n -= 8) {
		m = khttpd_word_zero(khttpd_word_load(p) ^ rep);
		if (m)
			return (void *)(p + khttpd_word_first(m));
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
