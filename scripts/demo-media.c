// SPDX-License-Identifier: GPL-2.0
/*
 * The demo site's media, made at build time rather than committed:
 *
 *   demo-media png FILE   a 64x64 RGB picture of four solid quadrants
 *   demo-media y4m        raw video (YUV4MPEG2, 4:2:0) on stdout, for
 *                         vpxenc to encode as WebM
 *
 * The picture's colours are the ones selftests/browser/browser_test.mjs
 * looks for in its screenshot, so they are fixed here and there.  The
 * video is colour bars with a moving square over low-amplitude noise: the
 * noise keeps the encoder from squeezing it to a few kilobytes, so that
 * the browser's Range requests have a few hundred kilobytes to fetch.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PNG_SIZE	64
#define VID_W		320
#define VID_H		240
#define VID_FPS		25
#define VID_FRAMES	100	/* 4 seconds */

/* top-left, top-right, bottom-left, bottom-right */
static const uint8_t quadrant[4][3] = {
	{ 0xe0, 0x20, 0x20 },	/* red */
	{ 0x20, 0xc0, 0x20 },	/* green */
	{ 0x20, 0x40, 0xe0 },	/* blue */
	{ 0xf0, 0xd0, 0x10 },	/* yellow */
};

static uint32_t crc_table[256];

static void crc_init(void)
{
	uint32_t c, n, k;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320 ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void chunk(FILE *f, const char *type, const uint8_t *data, size_t len)
{
	uint8_t hdr[8], tail[4];
	uint32_t crc;

	put_be32(hdr, len);
	memcpy(hdr + 4, type, 4);
	crc = crc32_update(0xffffffff, hdr + 4, 4);
	crc = crc32_update(crc, data, len) ^ 0xffffffff;
	put_be32(tail, crc);
	fwrite(hdr, 1, 8, f);
	fwrite(data, 1, len, f);
	fwrite(tail, 1, 4, f);
}

/*
 * The image data as a zlib stream of stored (uncompressed) deflate
 * blocks: valid PNG without a compressor, and the picture is tiny.
 */
static int write_png(const char *path)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	size_t row = 1 + 3 * PNG_SIZE, raw_len = row * PNG_SIZE;
	size_t nblk = (raw_len + 65534) / 65535;
	uint8_t ihdr[13] = { 0 };
	uint8_t *raw, *z, *q;
	uint32_t a = 1, b = 0;
	size_t i, off;
	int x, y;
	FILE *f;

	raw = malloc(raw_len);
	z = malloc(2 + raw_len + 5 * nblk + 4);
	if (!raw || !z)
		return 1;
	for (y = 0; y < PNG_SIZE; y++) {
		uint8_t *r = raw + y * row;

		r[0] = 0;	/* filter: none */
		for (x = 0; x < PNG_SIZE; x++) {
			int qd = (y >= PNG_SIZE / 2) * 2 + (x >= PNG_SIZE / 2);

			memcpy(r + 1 + 3 * x, quadrant[qd], 3);
		}
	}
	q = z;
	*q++ = 0x78;	/* deflate, 32 KiB window */
	*q++ = 0x01;	/* (0x7801 is a multiple of 31) */
	for (off = 0; off < raw_len; off += 65535) {
		size_t n = raw_len - off < 65535 ? raw_len - off : 65535;

		*q++ = off + n == raw_len;	/* BFINAL, BTYPE 00 */
		*q++ = n;
		*q++ = n >> 8;
		*q++ = ~n;
		*q++ = ~n >> 8;
		memcpy(q, raw + off, n);
		q += n;
	}
	for (i = 0; i < raw_len; i++) {
		a = (a + raw[i]) % 65521;
		b = (b + a) % 65521;
	}
	put_be32(q, b << 16 | a);
	q += 4;

	put_be32(ihdr, PNG_SIZE);
	put_be32(ihdr + 4, PNG_SIZE);
	ihdr[8] = 8;	/* bits per sample */
	ihdr[9] = 2;	/* RGB */
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return 1;
	}
	fwrite(sig, 1, sizeof(sig), f);
	chunk(f, "IHDR", ihdr, sizeof(ihdr));
	chunk(f, "IDAT", z, q - z);
	chunk(f, "IEND", NULL, 0);
	free(raw);
	free(z);
	if (fclose(f)) {
		perror(path);
		return 1;
	}
	return 0;
}

/* BT.601 (full range), as C420jpeg in the stream header says */
static void rgb_to_yuv(const uint8_t *rgb, int *y, int *u, int *v)
{
	int r = rgb[0], g = rgb[1], b = rgb[2];

	*y = (77 * r + 150 * g + 29 * b) >> 8;
	*u = ((-43 * r - 85 * g + 128 * b) >> 8) + 128;
	*v = ((128 * r - 107 * g - 21 * b) >> 8) + 128;
}

static uint8_t clamp8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

static int write_y4m(void)
{
	static const uint8_t bars[8][3] = {
		{ 0xc0, 0xc0, 0xc0 }, { 0xc0, 0xc0, 0x00 }, { 0x00, 0xc0, 0xc0 },
		{ 0x00, 0xc0, 0x00 }, { 0xc0, 0x00, 0xc0 }, { 0xc0, 0x00, 0x00 },
		{ 0x00, 0x00, 0xc0 }, { 0x10, 0x10, 0x10 },
	};
	static uint8_t yp[VID_W * VID_H], up[VID_W * VID_H / 4], vp[VID_W * VID_H / 4];
	uint32_t seed = 1;
	int frame, x, y;

	printf("YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n", VID_W, VID_H, VID_FPS);
	for (frame = 0; frame < VID_FRAMES; frame++) {
		/* a white square crossing the picture, one lap per clip */
		int sx = frame * (VID_W - 48) / (VID_FRAMES - 1), sy = VID_H / 2 - 24;

		for (y = 0; y < VID_H; y++) {
			for (x = 0; x < VID_W; x++) {
				int yy, uu, vv, noise;
				bool sq = x >= sx && x < sx + 48 && y >= sy && y < sy + 48;

				rgb_to_yuv(bars[x * 8 / VID_W], &yy, &uu, &vv);
				if (sq)
					yy = 235, uu = 128, vv = 128;
				seed = seed * 1103515245 + 12345;
				noise = (int)(seed >> 27) - 16;
				yp[y * VID_W + x] = clamp8(yy + noise);
				if (!(x & 1) && !(y & 1)) {
					up[(y / 2) * (VID_W / 2) + x / 2] = uu;
					vp[(y / 2) * (VID_W / 2) + x / 2] = vv;
				}
			}
		}
		printf("FRAME\n");
		fwrite(yp, 1, sizeof(yp), stdout);
		fwrite(up, 1, sizeof(up), stdout);
		fwrite(vp, 1, sizeof(vp), stdout);
	}
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "png")) {
		crc_init();
		return write_png(argv[2]);
	}
	if (argc == 2 && !strcmp(argv[1], "y4m"))
		return write_y4m();
	fprintf(stderr, "usage: demo-media png FILE | demo-media y4m\n");
	return 2;
}
