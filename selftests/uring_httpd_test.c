// SPDX-License-Identifier: GPL-2.0
/*
 * uring-httpd's own behaviour, beyond the shared HTTP suite: prompt
 * shutdown, serving a tree, large files (splice, zero-copy and copy), many
 * connections, and the same again with each io_uring technique switched
 * off, so that every fallback path is exercised.  Then its docroot (the
 * "dr" fixture): what it serves and refuses, run as root and as nobody.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

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

/* ---- the docroot --------------------------------------------------------- */

#define DR "/tmp/ud"
#define DR_BIG_LEN (3 * 1024 * 1024 + 4321)
#define DR_HUGE_LEN (5ULL << 30)	/* sparse: offsets past 4 GiB */
#define DR_TRUNC_LEN (32 << 20)		/* more than every buffer on the way */

static unsigned char dr_big_byte(size_t i)
{
	return (i * 7 + i / 65521) & 0xff;
}

static void dr_put(const char *name, const void *data, size_t len, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), DR "/%s", name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return;
	if (write(fd, data, len) != (ssize_t)len)
		printf("# writing %s failed\n", path);
	fchmod(fd, mode);	/* whatever the umask */
	close(fd);
}

static void dr_puts(const char *name, const char *s)
{
	dr_put(name, s, strlen(s), 0644);
}

static void dr_link(const char *target, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), DR "/%s", name);
	unlink(path);
	if (symlink(target, path))
		printf("# symlink %s: %s\n", path, strerror(errno));
}

/* A tree with everything a docroot must serve or refuse. */
static void dr_make_site(void)
{
	unsigned char *big = malloc(DR_BIG_LEN);
	size_t i;
	int fd;

	mkdir(DR, 0755);
	chmod(DR, 0755);
	mkdir(DR "/dir", 0755);
	mkdir(DR "/emptydir", 0755);
	mkdir(DR "/.git", 0755);
	mkdir(DR "/.well-known", 0755);
	mkdir(DR "/proc", 0755);
	dr_puts("index.html", "<p>home</p>\n");
	dr_puts("dir/index.html", "in dir\n");
	dr_puts("dir/.hidden", "hidden\n");
	dr_puts(".hidden", "hidden\n");
	dr_puts(".git/config", "[core]\n");
	dr_puts(".well-known/t.txt", "wk\n");
	dr_puts("plain.txt", "0123456789\n");
	dr_puts("g.txt", "identity text\n");
	dr_puts("g.txt.gz", "GZ-BYTES");
	dr_puts("s.css", "b{}\n");
	dr_puts("x.png", "PNG");
	dr_puts("f.kht", "kht");
	dr_put("priv.txt", "private\n", 8, 0600);
	for (i = 0; i < DR_BIG_LEN; i++)
		big[i] = dr_big_byte(i);
	dr_put("big.bin", big, DR_BIG_LEN, 0644);
	free(big);
	unlink(DR "/huge.bin");
	fd = open(DR "/huge.bin", O_WRONLY | O_CREAT, 0644);
	if (fd >= 0) {
		if (pwrite(fd, "TAIL", 4, DR_HUGE_LEN - 4) != 4)
			printf("# huge.bin: %s\n", strerror(errno));
		fchmod(fd, 0644);
		close(fd);
	}
	dr_link("/etc/passwd", "esc_abs");
	dr_link("../../etc/passwd", "esc_rel");
	dr_link("/etc", "esc_dir");
	dr_link("plain.txt", "inlink");
	unlink(DR "/fifo");
	mkfifo(DR "/fifo", 0644);
	unlink(DR "/null");
	mknod(DR "/null", S_IFCHR | 0666, makedev(1, 3));
	unlink(DR "/later.txt");
	/* what the old --root choked on: /proc inside the tree */
	umount2(DR "/proc", MNT_DETACH);
	if (mount("/proc", DR "/proc", NULL, MS_BIND, NULL))
		printf("# bind-mounting /proc: %s\n", strerror(errno));
}

FIXTURE(dr) {
	struct khttpd_client c;
	struct khttpd_resp r;
	bool running;
};

FIXTURE_VARIANT(dr) {
	const char *params;
	bool as_nobody;
	bool no_symlinks;
};

FIXTURE_VARIANT_ADD(dr, as_root) {
	.params = "",
};

/* files opened with nobody's rights, O_NOATIME refused */
FIXTURE_VARIANT_ADD(dr, as_nobody) {
	.params = "user=nobody",
	.as_nobody = true,
};

FIXTURE_VARIANT_ADD(dr, no_symlinks) {
	.params = "user=nobody no_symlinks",
	.as_nobody = true,
	.no_symlinks = true,
};

static int dr_start(const FIXTURE_VARIANT(dr) *variant, const char *extra)
{
	char params[512];

	snprintf(params, sizeof(params), "root=" DR " %s %s", variant->params,
		 extra);
	return khttpd_server_start("uring-httpd", params);
}

FIXTURE_SETUP(dr)
{
	int ret;

	self->c.fd = -1;
	dr_make_site();
	ret = dr_start(variant, "");
	ASSERT_EQ(0, ret) TH_LOG("starting uring-httpd: %s", strerror(-ret));
	self->running = true;
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
}

FIXTURE_TEARDOWN(dr)
{
	khttpd_client_close(&self->c);
	if (self->running)
		EXPECT_EQ(0, khttpd_server_stop("uring-httpd"));
	umount2(DR "/proc", MNT_DETACH);
}

/* GET @path on the fixture's connection: its status (-errno on failure) */
static int dr_get(struct khttpd_client *c, struct khttpd_resp *r,
		  const char *path, const char *fields)
{
	char req[1024];
	int ret;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n" H "%s\r\n", path,
		 fields ? fields : "");
	ret = khttpd_roundtrip(c, req, r);
	return ret ? ret : r->status;
}

/* The rest of a body too large for khttpd_resp: @len bytes into @out. */
static int dr_read_body(struct khttpd_client *c, unsigned char *out,
			size_t len)
{
	size_t n = c->len < len ? c->len : len;

	memcpy(out, c->buf, n);
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	while (n < len) {
		ssize_t r = recv(c->fd, out + n, len - n, 0);

		if (r <= 0)
			return r ? -errno : -EPROTO;
		n += r;
	}
	return 0;
}

TEST_F(dr, files_served_byte_exact)
{
	unsigned char *got = malloc(DR_BIG_LEN);
	char v[256];
	size_t i;

	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/", NULL));
	EXPECT_STREQ("<p>home</p>\n", self->r.body);
	EXPECT_STREQ("text/html", khttpd_header(&self->r, "Content-Type", v,
						sizeof(v)));
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/plain.txt", NULL));
	EXPECT_STREQ("0123456789\n", self->r.body);
	EXPECT_STREQ("text/plain", khttpd_header(&self->r, "Content-Type", v,
						 sizeof(v)));
	EXPECT_STREQ("bytes", khttpd_header(&self->r, "Accept-Ranges", v,
					    sizeof(v)));
	/* larger than any buffer: spliced from the file in pieces */
	ASSERT_EQ(-E2BIG, khttpd_roundtrip(&self->c, "GET /big.bin HTTP/1.1\r\n"
					   H "\r\n", &self->r));
	ASSERT_EQ(200, self->r.status);
	ASSERT_EQ(DR_BIG_LEN, self->r.content_length);
	ASSERT_EQ(0, dr_read_body(&self->c, got, DR_BIG_LEN));
	for (i = 0; i < DR_BIG_LEN; i++)
		if (got[i] != dr_big_byte(i))
			break;
	EXPECT_EQ(DR_BIG_LEN, i) TH_LOG("first wrong byte at %zu", i);
	/* and the connection carries on, from the cache this time */
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/plain.txt", NULL));
	EXPECT_STREQ("0123456789\n", self->r.body);
	free(got);
}

TEST_F(dr, index_and_directory_redirect)
{
	char v[256];

	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/dir/", NULL));
	EXPECT_STREQ("in dir\n", self->r.body);
	ASSERT_EQ(301, dr_get(&self->c, &self->r, "/dir", NULL));
	EXPECT_STREQ("/dir/", khttpd_header(&self->r, "Location", v, sizeof(v)));
	ASSERT_EQ(301, dr_get(&self->c, &self->r, "/dir?a=1&b=%20", NULL));
	EXPECT_STREQ("/dir/?a=1&b=%20", khttpd_header(&self->r, "Location", v,
						      sizeof(v)));
	ASSERT_EQ(0, khttpd_roundtrip(&self->c, "HEAD /dir?q HTTP/1.1\r\n" H
				      "\r\n", &self->r));
	EXPECT_EQ(301, self->r.status);
	EXPECT_STREQ("/dir/?q", khttpd_header(&self->r, "Location", v,
					      sizeof(v)));
	/* a directory is never listed, and its index must be a file */
	EXPECT_EQ(404, dr_get(&self->c, &self->r, "/emptydir/", NULL));
	EXPECT_EQ(404, dr_get(&self->c, &self->r, "/nope", NULL));
	EXPECT_EQ(404, dr_get(&self->c, &self->r, "/plain.txt/", NULL));
	/* the connection survived every one of them */
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/", NULL));
}

TEST_F(dr, dotfiles_refused)
{
	EXPECT_EQ(404, dr_get(&self->c, &self->r, "/.hidden", NULL));
	EXPECT_EQ(404, dr_get(&self->c, &self->r, "/.git/config", NULL));
	EXPECT_EQ(404, dr_get(&self->c, &self->r, "/dir/.hidden", NULL));
	EXPECT_EQ(404, dr_get(&self->c, &self->r, "/%2egit/config", NULL));
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/.well-known/t.txt", NULL));
	EXPECT_STREQ("wk\n", self->r.body);
}

TEST_F(dr, symlink_escapes_refused)
{
	EXPECT_EQ(403, dr_get(&self->c, &self->r, "/esc_abs", NULL));
	EXPECT_EQ(NULL, strstr(self->r.body, "root:"));
	EXPECT_EQ(403, dr_get(&self->c, &self->r, "/esc_rel", NULL));
	EXPECT_EQ(NULL, strstr(self->r.body, "root:"));
	EXPECT_EQ(403, dr_get(&self->c, &self->r, "/esc_dir/passwd", NULL));
	/* a link that stays inside is a file like another, unless refused */
	if (variant->no_symlinks) {
		EXPECT_EQ(403, dr_get(&self->c, &self->r, "/inlink", NULL));
	} else {
		ASSERT_EQ(200, dr_get(&self->c, &self->r, "/inlink", NULL));
		EXPECT_STREQ("0123456789\n", self->r.body);
	}
}

/* A FIFO would block a reader for ever; a device is no file to serve. */
/*
 * A FIFO or a device node is refused, and never opened: a writer blocked
 * until the FIFO has a reader is still blocked after the requests.
 */
TEST_F(dr, fifo_and_device_refused_without_blocking)
{
	struct khttpd_client other = { .fd = -1 };
	double t = khttpd_now();
	int status, fd;
	pid_t writer;

	writer = fork();
	ASSERT_LE(0, writer);
	if (!writer) {
		fd = open(DR "/fifo", O_WRONLY | O_CLOEXEC);
		_exit(fd < 0 ? 1 : 0);
	}
	ASSERT_EQ(0, khttpd_send_str(self->c.fd,
				     "GET /fifo HTTP/1.1\r\n" H "\r\n"));
	/* meanwhile another connection is served */
	ASSERT_EQ(0, khttpd_client_open(&other, KHTTPD_PORT));
	EXPECT_EQ(200, dr_get(&other, &self->r, "/plain.txt", NULL));
	khttpd_client_close(&other);
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(403, self->r.status);
	EXPECT_EQ(403, dr_get(&self->c, &self->r, "/null", NULL));
	/* software emulation is slow, but a blocked open would be for ever */
	t = khttpd_now() - t;
	EXPECT_LT(t, 3.0) TH_LOG("took %.3f s", t);
	EXPECT_EQ(200, dr_get(&self->c, &self->r, "/", NULL));
	EXPECT_EQ(403, dr_get(&self->c, &self->r, "/fifo", NULL));
	usleep(200000);
	EXPECT_EQ(0, waitpid(writer, &status, WNOHANG))
		TH_LOG("uring-httpd opened the FIFO for reading");
	/* let the writer go */
	fd = open(DR "/fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	waitpid(writer, &status, 0);
	if (fd >= 0)
		close(fd);
}

TEST_F(dr, unreadable_file_refused)
{
	/* root reads a 0600 file: only a server that dropped root cannot */
	if (!variant->as_nobody)
		SKIP(return, "running as root, which may read any file");
	EXPECT_EQ(403, dr_get(&self->c, &self->r, "/priv.txt", NULL));
	EXPECT_EQ(NULL, strstr(self->r.body, "private"));
	/* readable again: once the cached refusal has expired */
	ASSERT_EQ(0, chmod(DR "/priv.txt", 0644));
	usleep(1200 * 1000);
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/priv.txt", NULL));
	EXPECT_STREQ("private\n", self->r.body);
}

TEST_F(dr, byte_ranges)
{
	char v[256];

	ASSERT_EQ(206, dr_get(&self->c, &self->r, "/plain.txt",
			      "Range: bytes=2-5\r\n"));
	EXPECT_STREQ("2345", self->r.body);
	EXPECT_STREQ("bytes 2-5/11", khttpd_header(&self->r, "Content-Range",
						   v, sizeof(v)));
	ASSERT_EQ(206, dr_get(&self->c, &self->r, "/plain.txt",
			      "Range: bytes=-3\r\n"));
	EXPECT_STREQ("89\n", self->r.body);
	ASSERT_EQ(206, dr_get(&self->c, &self->r, "/big.bin",
			      "Range: bytes=3145728-3145735\r\n"));
	ASSERT_EQ(8, self->r.body_len);
	EXPECT_EQ(dr_big_byte(3145728), (unsigned char)self->r.body[0]);
	EXPECT_EQ(dr_big_byte(3145735), (unsigned char)self->r.body[7]);
	ASSERT_EQ(416, dr_get(&self->c, &self->r, "/plain.txt",
			      "Range: bytes=11-\r\n"));
	EXPECT_STREQ("bytes */11", khttpd_header(&self->r, "Content-Range",
						 v, sizeof(v)));
	/* a HEAD ignores Range, and nothing follows its fields */
	ASSERT_EQ(0, khttpd_roundtrip(&self->c, "HEAD /plain.txt HTTP/1.1\r\n"
				      H "Range: bytes=2-5\r\n\r\n", &self->r));
	EXPECT_EQ(200, self->r.status);
	EXPECT_EQ(11, self->r.content_length);
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/plain.txt", NULL));
	EXPECT_STREQ("0123456789\n", self->r.body);
}

TEST_F(dr, files_past_4gib)
{
	char v[256];

	ASSERT_EQ(0, khttpd_roundtrip(&self->c, "HEAD /huge.bin HTTP/1.1\r\n"
				      H "\r\n", &self->r));
	ASSERT_EQ(200, self->r.status);
	EXPECT_STREQ("5368709120", khttpd_header(&self->r, "Content-Length",
						 v, sizeof(v)));
	ASSERT_EQ(206, dr_get(&self->c, &self->r, "/huge.bin",
			      "Range: bytes=5368709116-\r\n"));
	EXPECT_STREQ("TAIL", self->r.body);
	EXPECT_STREQ("bytes 5368709116-5368709119/5368709120",
		     khttpd_header(&self->r, "Content-Range", v, sizeof(v)));
	ASSERT_EQ(206, dr_get(&self->c, &self->r, "/huge.bin",
			      "Range: bytes=4294967295-4294967296\r\n"));
	EXPECT_EQ(2, self->r.body_len);
	EXPECT_EQ(0, self->r.body[0] | self->r.body[1]);
}

TEST_F(dr, gzip_variant)
{
	char v[256], etag[64], gz_etag[64];

	/* without Accept-Encoding: the identity, saying that it varies */
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/g.txt", NULL));
	EXPECT_STREQ("identity text\n", self->r.body);
	EXPECT_EQ(NULL, khttpd_header(&self->r, "Content-Encoding", v,
				      sizeof(v)));
	EXPECT_STREQ("Accept-Encoding", khttpd_header(&self->r, "Vary", v,
						      sizeof(v)));
	ASSERT_NE(NULL, khttpd_header(&self->r, "ETag", etag, sizeof(etag)));
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/g.txt",
			      "Accept-Encoding: br, gzip\r\n"));
	EXPECT_STREQ("GZ-BYTES", self->r.body);
	EXPECT_STREQ("gzip", khttpd_header(&self->r, "Content-Encoding", v,
					   sizeof(v)));
	EXPECT_STREQ("text/plain", khttpd_header(&self->r, "Content-Type", v,
						 sizeof(v)));
	EXPECT_STREQ("Accept-Encoding", khttpd_header(&self->r, "Vary", v,
						      sizeof(v)));
	ASSERT_NE(NULL, khttpd_header(&self->r, "ETag", gz_etag,
				      sizeof(gz_etag)));
	EXPECT_STRNE(etag, gz_etag);
	/* refused by weight: the identity */
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/g.txt",
			      "Accept-Encoding: gzip;q=0\r\n"));
	EXPECT_STREQ("identity text\n", self->r.body);
	/* a range of the gzip variant is of its bytes */
	ASSERT_EQ(206, dr_get(&self->c, &self->r, "/g.txt",
			      "Accept-Encoding: gzip\r\nRange: bytes=0-1\r\n"));
	EXPECT_STREQ("GZ", self->r.body);
	/* no .gz beside it: no Vary either */
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/plain.txt",
			      "Accept-Encoding: gzip\r\n"));
	EXPECT_STREQ("0123456789\n", self->r.body);
	EXPECT_EQ(NULL, khttpd_header(&self->r, "Vary", v, sizeof(v)));
	EXPECT_EQ(NULL, khttpd_header(&self->r, "Content-Encoding", v,
				      sizeof(v)));
}

TEST_F(dr, not_modified_and_head)
{
	char etag[64], lm[64], fields[256], v[256];

	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/plain.txt", NULL));
	ASSERT_NE(NULL, khttpd_header(&self->r, "ETag", etag, sizeof(etag)));
	ASSERT_NE(NULL, khttpd_header(&self->r, "Last-Modified", lm,
				      sizeof(lm)));
	snprintf(fields, sizeof(fields), "If-None-Match: %s\r\n", etag);
	ASSERT_EQ(304, dr_get(&self->c, &self->r, "/plain.txt", fields));
	EXPECT_STREQ(etag, khttpd_header(&self->r, "ETag", v, sizeof(v)));
	EXPECT_EQ(-1, self->r.content_length);
	snprintf(fields, sizeof(fields), "If-Modified-Since: %s\r\n", lm);
	ASSERT_EQ(304, dr_get(&self->c, &self->r, "/plain.txt", fields));
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/plain.txt",
			      "If-None-Match: \"other\"\r\n"));
	/* HEAD: the GET's fields, then straight to the next answer */
	ASSERT_EQ(0, khttpd_send_str(self->c.fd,
				     "HEAD /big.bin HTTP/1.1\r\n" H "\r\n"
				     "GET /plain.txt HTTP/1.1\r\n" H "\r\n"));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, true));
	EXPECT_EQ(200, self->r.status);
	EXPECT_EQ(DR_BIG_LEN, self->r.content_length);
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_STREQ("0123456789\n", self->r.body);
}

/* Hits and lookups pipelined on one connection: answered in order. */
TEST_F(dr, pipelined_lookups_in_order)
{
	static const int want[] = { 200, 404, 301, 200, 403, 200, 404 };
	char v[256];
	unsigned int i;

	ASSERT_EQ(0, khttpd_send_str(self->c.fd,
				     "GET /plain.txt HTTP/1.1\r\n" H "\r\n"
				     "GET /nope1 HTTP/1.1\r\n" H "\r\n"
				     "GET /dir?x=%41 HTTP/1.1\r\n" H "\r\n"
				     "GET /g.txt HTTP/1.1\r\n" H "\r\n"
				     "GET /esc_abs HTTP/1.1\r\n" H "\r\n"
				     "GET /dir/ HTTP/1.1\r\n" H "\r\n"
				     "GET /nope2 HTTP/1.1\r\n" H
				     "Connection: close\r\n\r\n"));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
		EXPECT_EQ(want[i], self->r.status) TH_LOG("answer %u", i);
		if (i == 2)
			EXPECT_STREQ("/dir/?x=%41", khttpd_header(&self->r,
				     "Location", v, sizeof(v)));
		if (i == 3)
			EXPECT_STREQ("identity text\n", self->r.body);
	}
	EXPECT_TRUE(self->r.conn_close);
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 2000));
}

TEST_F(dr, proc_bind_mount_unreachable)
{
	if (access(DR "/proc/self/status", F_OK))
		SKIP(return, "could not bind-mount /proc into the root");
	EXPECT_EQ(403, dr_get(&self->c, &self->r, "/proc/self/status", NULL));
	EXPECT_EQ(NULL, strstr(self->r.body, "Pid:"));
	EXPECT_EQ(403, dr_get(&self->c, &self->r, "/proc/version", NULL));
	EXPECT_EQ(403, dr_get(&self->c, &self->r, "/proc/", NULL));
	EXPECT_EQ(403, dr_get(&self->c, &self->r, "/proc", NULL));
}

/* The file shrinks under a slow download: never an answer that looks whole. */
TEST_F(dr, truncated_file_aborts_the_answer)
{
	int rcvbuf = 65536, fd, ret;
	static char chunk[65536];
	size_t got = 0;
	bool tail_is_response = false;
	ssize_t n;

	unlink(DR "/trunc.bin");
	fd = open(DR "/trunc.bin", O_WRONLY | O_CREAT, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, DR_TRUNC_LEN));
	fchmod(fd, 0644);
	close(fd);
	/* a small window, so the server has most of the file still to send */
	khttpd_client_close(&self->c);
	self->c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->c.fd);
	setsockopt(self->c.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	{
		struct sockaddr_in sin = {
			.sin_family = AF_INET,
			.sin_port = htons(KHTTPD_PORT),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		};
		struct timeval tv = { .tv_sec = 10 };

		setsockopt(self->c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ASSERT_EQ(0, connect(self->c.fd, (struct sockaddr *)&sin,
				     sizeof(sin)));
	}
	self->c.len = 0;
	/* a second request behind it must not be answered after a short one */
	ASSERT_EQ(0, khttpd_send_str(self->c.fd,
				     "GET /trunc.bin HTTP/1.1\r\n" H "\r\n"
				     "GET /plain.txt HTTP/1.1\r\n" H "\r\n"));
	ret = khttpd_read_response(&self->c, &self->r, false);
	ASSERT_EQ(-E2BIG, ret);
	ASSERT_EQ(200, self->r.status);
	ASSERT_EQ(DR_TRUNC_LEN, self->r.content_length);
	got = self->c.len;
	self->c.len = 0;
	usleep(300 * 1000);
	ASSERT_EQ(0, truncate(DR "/trunc.bin", 1 << 20));
	for (;;) {
		n = recv(self->c.fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			break;
		if (memmem(chunk, n, "HTTP/1.1", 8))
			tail_is_response = true;
		got += n;
	}
	EXPECT_LT(got, DR_TRUNC_LEN) TH_LOG("got %zu bytes", got);
	EXPECT_TRUE(n == 0 || errno == ECONNRESET) TH_LOG("recv: %s",
							 strerror(errno));
	EXPECT_FALSE(tail_is_response);
	/* and the server goes on serving */
	khttpd_client_close(&self->c);
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	EXPECT_EQ(200, dr_get(&self->c, &self->r, "/plain.txt", NULL));
}

/* A cached lookup is trusted for a second, then checked again. */
TEST_F(dr, changes_seen_after_revalidation)
{
	char etag[64], v[64];

	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/plain.txt", NULL));
	ASSERT_NE(NULL, khttpd_header(&self->r, "ETag", etag, sizeof(etag)));
	EXPECT_EQ(404, dr_get(&self->c, &self->r, "/later.txt", NULL));
	dr_puts("plain.txt", "replaced, and longer\n");
	dr_puts("later.txt", "late\n");
	usleep(1200 * 1000);
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/plain.txt", NULL));
	EXPECT_STREQ("replaced, and longer\n", self->r.body);
	ASSERT_NE(NULL, khttpd_header(&self->r, "ETag", v, sizeof(v)));
	EXPECT_STRNE(etag, v);
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/later.txt", NULL));
	EXPECT_STREQ("late\n", self->r.body);
}

TEST_F(dr, mime_types_file_and_builtin_table)
{
	static const char types[] = "# test\napplication/x-khttpd-test kht\n"
				    "text/css css\n";
	FILE *f = fopen("/tmp/ud-mime.types", "w");
	char v[256];

	ASSERT_NE(NULL, f);
	fputs(types, f);
	fclose(f);
	khttpd_client_close(&self->c);
	ASSERT_EQ(0, khttpd_server_stop("uring-httpd"));
	self->running = false;
	ASSERT_EQ(0, dr_start(variant, "mime_types=/tmp/ud-mime.types"));
	self->running = true;
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/f.kht", NULL));
	EXPECT_STREQ("application/x-khttpd-test",
		     khttpd_header(&self->r, "Content-Type", v, sizeof(v)));
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/s.css", NULL));
	EXPECT_STREQ("text/css", khttpd_header(&self->r, "Content-Type", v,
					       sizeof(v)));
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/x.png", NULL));
	EXPECT_STREQ("application/octet-stream",
		     khttpd_header(&self->r, "Content-Type", v, sizeof(v)));
	/* no such file: the built-in table of web types */
	khttpd_client_close(&self->c);
	ASSERT_EQ(0, khttpd_server_stop("uring-httpd"));
	self->running = false;
	ASSERT_EQ(0, dr_start(variant, "mime_types=/nonexistent"));
	self->running = true;
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/x.png", NULL));
	EXPECT_STREQ("image/png", khttpd_header(&self->r, "Content-Type", v,
						sizeof(v)));
	ASSERT_EQ(200, dr_get(&self->c, &self->r, "/f.kht", NULL));
	EXPECT_STREQ("application/octet-stream",
		     khttpd_header(&self->r, "Content-Type", v, sizeof(v)));
}

/* One lookup for many connections asking at once, each answered. */
TEST_F(dr, many_waiters_on_one_lookup)
{
	struct khttpd_client *cl = calloc(64, sizeof(*cl));
	char name[64], path[64], body[64];
	int i, k;

	ASSERT_NE(NULL, cl);
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, khttpd_client_open(&cl[i], KHTTPD_PORT));
	for (k = 0; k < 3; k++) {
		snprintf(name, sizeof(name), "cold%d.txt", k);
		snprintf(path, sizeof(path), "/%s", name);
		snprintf(body, sizeof(body), "cold file %d\n", k);
		dr_puts(name, body);
		for (i = 0; i < 64; i++) {
			char req[128];

			snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n" H
				 "\r\n", path);
			ASSERT_EQ(0, khttpd_send_str(cl[i].fd, req));
		}
		for (i = 0; i < 64; i++) {
			ASSERT_EQ(0, khttpd_read_response(&cl[i], &self->r,
							  false));
			EXPECT_EQ(200, self->r.status) TH_LOG("conn %d", i);
			EXPECT_STREQ(body, self->r.body) TH_LOG("conn %d", i);
		}
	}
	for (i = 0; i < 64; i++)
		khttpd_client_close(&cl[i]);
	free(cl);
}

/* A client that sends its request and shuts down its side still gets it. */
TEST_F(dr, half_closed_client_answered)
{
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, "GET /plain.txt HTTP/1.1\r\n"
				     H "\r\nGET /dir/ HTTP/1.1\r\n" H "\r\n"));
	ASSERT_EQ(0, shutdown(self->c.fd, SHUT_WR));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_STREQ("0123456789\n", self->r.body);
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_STREQ("in dir\n", self->r.body);
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 2000));
}

/*
 * A cache of one entry: a file being sent is evicted by other lookups
 * and must stay open until its answer is complete.
 */
TEST_F(dr, evicted_while_sending)
{
	struct khttpd_client other = { .fd = -1 };
	unsigned char *got = malloc(DR_BIG_LEN);
	size_t i;
	int k;

	khttpd_client_close(&self->c);
	ASSERT_EQ(0, khttpd_server_stop("uring-httpd"));
	self->running = false;
	ASSERT_EQ(0, dr_start(variant, "open_file_cache=1 threads=1"));
	self->running = true;
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(-E2BIG, khttpd_roundtrip(&self->c, "GET /big.bin HTTP/1.1\r\n"
					   H "\r\n", &self->r));
	ASSERT_EQ(DR_BIG_LEN, self->r.content_length);
	/* the body is still on its way: push its entry out meanwhile */
	ASSERT_EQ(0, khttpd_client_open(&other, KHTTPD_PORT));
	for (k = 0; k < 4; k++) {
		EXPECT_EQ(200, dr_get(&other, &self->r, "/plain.txt", NULL));
		EXPECT_EQ(200, dr_get(&other, &self->r, "/g.txt", NULL));
		EXPECT_EQ(404, dr_get(&other, &self->r, "/nope", NULL));
	}
	khttpd_client_close(&other);
	ASSERT_EQ(0, dr_read_body(&self->c, got, DR_BIG_LEN));
	for (i = 0; i < DR_BIG_LEN; i++)
		if (got[i] != dr_big_byte(i))
			break;
	EXPECT_EQ(DR_BIG_LEN, i) TH_LOG("first wrong byte at %zu", i);
	free(got);
}

TEST_HARNESS_MAIN
