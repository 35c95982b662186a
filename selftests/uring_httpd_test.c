// SPDX-License-Identifier: GPL-2.0
/*
 * uring-httpd's own behaviour, beyond the shared HTTP suite: prompt
 * shutdown, serving a tree, large files (splice, zero-copy and copy), many
 * connections, and the same again with each io_uring technique switched
 * off, so that every fallback path is exercised.
 */
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"

#define H "Host: t\r\n"

FIXTURE(uh) {
	struct khttpd_client c;
	struct khttpd_resp r;
	bool running;
};

FIXTURE_VARIANT(uh) {
	const char *flags;	/* techniques switched off */
};

FIXTURE_VARIANT_ADD(uh, all_techniques) {
	.flags = "",
};

FIXTURE_VARIANT_ADD(uh, no_defer_taskrun) {
	.flags = "no_defer_taskrun",
};

FIXTURE_VARIANT_ADD(uh, no_multishot) {
	.flags = "no_multishot",
};

FIXTURE_VARIANT_ADD(uh, no_buf_ring) {
	.flags = "no_buf_ring",
};

FIXTURE_VARIANT_ADD(uh, no_direct_fds) {
	.flags = "no_direct",
};

/* large bodies by SENDMSG_ZC instead of splice */
FIXTURE_VARIANT_ADD(uh, no_splice) {
	.flags = "no_splice",
};

/* large bodies by a plain sendmsg of the mapped content */
FIXTURE_VARIANT_ADD(uh, no_splice_no_send_zc) {
	.flags = "no_splice no_zc",
};

/* every body spliced, down to one byte, and to plain descriptors */
FIXTURE_VARIANT_ADD(uh, splice_everything) {
	.flags = "splice_min=1 no_direct",
};

FIXTURE_VARIANT_ADD(uh, everything_off) {
	.flags = "no_defer_taskrun no_multishot no_buf_ring no_direct no_zc no_registered_ring no_splice",
};

#define BIG_LEN (2 * 1024 * 1024 + 777)

/* A small tree: an index, a nested file, a large binary one. */
static void make_site(void)
{
	unsigned char *big = malloc(BIG_LEN);
	FILE *f;
	size_t i;

	mkdir("/tmp/uh", 0755);
	mkdir("/tmp/uh/docs", 0755);
	f = fopen("/tmp/uh/index.html", "w");
	fputs("<p>root</p>\n", f);
	fclose(f);
	f = fopen("/tmp/uh/docs/a.txt", "w");
	fputs("alpha\n", f);
	fclose(f);
	for (i = 0; i < BIG_LEN; i++)
		big[i] = (i * 13 + i / 4093) & 0xff;
	f = fopen("/tmp/uh/big.bin", "w");
	fwrite(big, 1, BIG_LEN, f);
	fclose(f);
	free(big);
}

FIXTURE_SETUP(uh)
{
	char params[256];
	int ret;

	self->c.fd = -1;
	make_site();
	snprintf(params, sizeof(params), "root=/tmp/uh zc_min=65536 %s",
		 variant->flags);
	ret = khttpd_server_start("uring-httpd", params);
	ASSERT_EQ(0, ret) TH_LOG("starting uring-httpd: %s", strerror(-ret));
	self->running = true;
}

FIXTURE_TEARDOWN(uh)
{
	khttpd_client_close(&self->c);
	if (self->running)
		EXPECT_EQ(0, khttpd_server_stop("uring-httpd"));
}

TEST_F(uh, serves_the_tree)
{
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&self->c, "GET / HTTP/1.1\r\n" H "\r\n", &self->r));
	EXPECT_EQ(200, self->r.status);
	EXPECT_STREQ("<p>root</p>\n", self->r.body);
	ASSERT_EQ(0, khttpd_roundtrip(&self->c, "GET /docs/a.txt HTTP/1.1\r\n" H "\r\n",
				      &self->r));
	EXPECT_EQ(200, self->r.status);
	EXPECT_STREQ("alpha\n", self->r.body);
	ASSERT_EQ(0, khttpd_roundtrip(&self->c, "GET /nope HTTP/1.1\r\n" H "\r\n",
				      &self->r));
	EXPECT_EQ(404, self->r.status);
}

/* Large bodies, several on one connection, pipelined: every byte right. */
TEST_F(uh, large_file_intact)
{
	unsigned char *want = malloc(BIG_LEN), *got = malloc(BIG_LEN);
	char req[3 * 64];
	int k;
	size_t i;

	for (i = 0; i < BIG_LEN; i++)
		want[i] = (i * 13 + i / 4093) & 0xff;
	snprintf(req, sizeof(req), "%s%s%s", "GET /big.bin HTTP/1.1\r\n" H "\r\n",
		 "GET /big.bin HTTP/1.1\r\n" H "\r\n",
		 "GET /big.bin HTTP/1.1\r\n" H "\r\n");
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, req));
	for (k = 0; k < 3; k++) {
		char *end;
		size_t have, n;

		for (;;) {
			end = self->c.len ? memmem(self->c.buf, self->c.len,
						   "\r\n\r\n", 4) : NULL;
			if (end)
				break;
			ASSERT_GT(khttpd_client_fill(&self->c), 0);
		}
		ASSERT_NE(NULL, strstr(self->c.buf, "Content-Length: 2097929\r\n"));
		have = self->c.len - (end + 4 - self->c.buf);
		n = have < BIG_LEN ? have : BIG_LEN;
		memcpy(got, end + 4, n);
		memmove(self->c.buf, end + 4 + n, have - n);
		self->c.len = have - n;
		while (n < BIG_LEN) {
			ssize_t r = recv(self->c.fd, got + n, BIG_LEN - n, 0);

			ASSERT_GT(r, 0);
			n += r;
		}
		EXPECT_EQ(0, memcmp(want, got, BIG_LEN)) TH_LOG("response %d", k);
	}
	free(want);
	free(got);
}

/* 300 connections at once, each with two requests. */
TEST_F(uh, many_connections)
{
	struct khttpd_client *cl = calloc(300, sizeof(*cl));
	int i, k;

	for (i = 0; i < 300; i++)
		ASSERT_EQ(0, khttpd_client_open(&cl[i], KHTTPD_PORT)) TH_LOG("conn %d", i);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < 300; i++)
			ASSERT_EQ(0, khttpd_send_str(cl[i].fd, "GET /docs/a.txt HTTP/1.1\r\n" H "\r\n"));
		for (i = 0; i < 300; i++) {
			ASSERT_EQ(0, khttpd_read_response(&cl[i], &self->r, false));
			EXPECT_EQ(200, self->r.status);
		}
	}
	for (i = 0; i < 300; i++)
		khttpd_client_close(&cl[i]);
	free(cl);
}

/* SIGTERM ends it promptly, with connections open. */
TEST_F(uh, sigterm_stops_within_100ms)
{
	double t;

	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&self->c, "GET / HTTP/1.1\r\n" H "\r\n", &self->r));
	t = khttpd_now();
	ASSERT_EQ(0, khttpd_server_stop("uring-httpd"));
	t = khttpd_now() - t;
	self->running = false;
	/* software emulation runs several times slower than hardware */
	EXPECT_LT(t, 0.5) TH_LOG("took %.3f s", t);
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 2000));
	EXPECT_EQ(-ECONNREFUSED, khttpd_connect(KHTTPD_PORT));
}

TEST_HARNESS_MAIN
