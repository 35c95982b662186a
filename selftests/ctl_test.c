// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane: every command through both transports (a variant
 * each: ioctl and io_uring uring_cmd), checked by its effect on what the
 * server answers over HTTP; malformed commands and sysfs writes, which
 * must fail cleanly and change nothing; the memory cap; and unloading
 * with content stored.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"
#include "khttpd_ctl_util.h"

#define H "Host: t\r\n"

FIXTURE(ctl) {
	int kmsg;
	bool loaded;
	struct khttpd_ctl c;
	struct khttpd_client cl;
	struct khttpd_resp r;
};

FIXTURE_VARIANT(ctl) {
	bool use_ioctl;
};

FIXTURE_VARIANT_ADD(ctl, ioctl) {
	.use_ioctl = true,
};

FIXTURE_VARIANT_ADD(ctl, uring_cmd) {
	.use_ioctl = false,
};

FIXTURE_SETUP(ctl)
{
	int ret;

	self->kmsg = khttpd_kmsg_mark(_metadata->name);
	self->cl.fd = -1;
	self->c.fd = -1;
	ret = khttpd_load("port=8080");
	ASSERT_EQ(0, ret) TH_LOG("insmod: %s", strerror(-ret));
	self->loaded = true;
	ASSERT_EQ(0, khttpd_ctl_open(&self->c, NULL, variant->use_ioctl));
	if (!variant->use_ioctl && !self->c.uring)
		SKIP(return, "io_uring is not available");
}

FIXTURE_TEARDOWN(ctl)
{
	char bad[512] = "";

	khttpd_client_close(&self->cl);
	khttpd_ctl_close(&self->c);
	if (self->loaded)
		EXPECT_EQ(0, khttpd_unload());
	EXPECT_EQ(0, khttpd_kmsg_check(self->kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
}

static struct khttpd_stats stats(struct __test_metadata *_metadata,
				 struct khttpd_ctl *c)
{
	struct khttpd_stats s = { .size = sizeof(s) };

	EXPECT_EQ(0, khttpd_ctl_cmd(c, KHTTPD_CMD_GET_STATS, &s, sizeof(s)));
	return s;
}

/*
 * Entries are freed after an RCU grace period and a workqueue hop, which
 * a debug kernel can take well over 100 ms for: wait (up to 10 s) until
 * stored content uses at most @bytes, and return what it uses.
 */
static __u64 content_settles(struct __test_metadata *_metadata,
			     struct khttpd_ctl *c, __u64 bytes)
{
	__u64 now = 0;
	int i;

	for (i = 0; i < 1000; i++) {
		now = stats(_metadata, c).content_bytes;
		if (now <= bytes)
			break;
		usleep(10 * 1000);
	}
	return now;
}

/* GET @path on a fresh connection; the response in self->r. */
static int get(FIXTURE_DATA(ctl) *self, const char *path)
{
	char req[512];
	int ret;

	khttpd_client_close(&self->cl);
	ret = khttpd_client_open(&self->cl, KHTTPD_PORT);
	if (ret)
		return ret;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n" H "\r\n", path);
	return khttpd_roundtrip(&self->cl, req, &self->r);
}

static const char *hdr(FIXTURE_DATA(ctl) *self, const char *name)
{
	static char val[512];

	return khttpd_header(&self->r, name, val, sizeof(val));
}

TEST_F(ctl, version)
{
	struct khttpd_version v = { .size = sizeof(v) };

	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_VERSION, &v, sizeof(v)));
	EXPECT_EQ(KHTTPD_ABI_VERSION, v.abi);
	EXPECT_TRUE(v.features & KHTTPD_F_URING_CMD);
	EXPECT_TRUE(v.features & KHTTPD_F_ZEROCOPY);
	EXPECT_EQ(sizeof(v), v.size);
	EXPECT_NE(0, v.release[0]);
}

TEST_F(ctl, put_then_get_over_http)
{
	const char *body = "<h1>hi</h1>\n";

	ASSERT_EQ(0, khttpd_put(&self->c, "/a/b.html", "text/html", body,
			 strlen(body), "max-age=60", 784111777));
	ASSERT_EQ(0, get(self, "/a/b.html"));
	EXPECT_EQ(200, self->r.status);
	EXPECT_STREQ(body, self->r.body);
	EXPECT_STREQ("text/html", hdr(self, "Content-Type"));
	EXPECT_STREQ("max-age=60", hdr(self, "Cache-Control"));
	EXPECT_STREQ("Sun, 06 Nov 1994 08:49:37 GMT", hdr(self, "Last-Modified"));
	/* the request path is decoded and normalised to the stored key */
	ASSERT_EQ(0, get(self, "/a/./x/../%62.html?q=1"));
	EXPECT_EQ(200, self->r.status);
	/* an empty body is fine */
	ASSERT_EQ(0, khttpd_put(&self->c, "/empty", "text/plain", "", 0, NULL, 0));
	ASSERT_EQ(0, get(self, "/empty"));
	EXPECT_EQ(200, self->r.status);
	EXPECT_EQ(0, self->r.content_length);
}

/*
 * Bodies bigger than a page go out by page reference; check every byte,
 * then again with zero-copy off (TCP copies from the same pages).
 */
TEST_F(ctl, large_body_intact)
{
	size_t len = 3 * 1024 * 1024 + 12345, i, got;
	unsigned char *body = malloc(len), *seen = malloc(len + 1);
	struct khttpd_config c = { .size = sizeof(c) };
	char req[] = "GET /big HTTP/1.1\r\n" H "\r\n", *end;
	int round;

	ASSERT_NE(NULL, body);
	for (i = 0; i < len; i++)
		body[i] = (i * 7 + i / 4096) & 0xff;
	ASSERT_EQ(0, khttpd_put(&self->c, "/big", "application/octet-stream", body,
			 len, NULL, 0));
	for (round = 0; round < 2; round++) {
		khttpd_client_close(&self->cl);
		ASSERT_EQ(0, khttpd_client_open(&self->cl, KHTTPD_PORT));
		ASSERT_EQ(0, khttpd_send_str(self->cl.fd, req));
		/* read the head, then the body straight into @seen */
		for (;;) {
			ASSERT_GT(khttpd_client_fill(&self->cl), 0);
			end = memmem(self->cl.buf, self->cl.len, "\r\n\r\n", 4);
			if (end)
				break;
		}
		ASSERT_NE(NULL, strstr(self->cl.buf, "Content-Length: 3158073\r\n"));
		got = self->cl.len - (end + 4 - self->cl.buf);
		memcpy(seen, end + 4, got);
		while (got < len) {
			ssize_t n = recv(self->cl.fd, seen + got, len - got, 0);

			ASSERT_GT(n, 0);
			got += n;
		}
		EXPECT_EQ(0, memcmp(body, seen, len)) TH_LOG("round %d", round);
		/* now the copying path */
		ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &c,
					    sizeof(c)));
		c.zerocopy = 0;
		ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c,
					    sizeof(c)));
	}
	free(body);
	free(seen);
}

TEST_F(ctl, delete)
{
	ASSERT_EQ(0, khttpd_put(&self->c, "/gone", "text/plain", "x", 1, NULL, 0));
	ASSERT_EQ(0, get(self, "/gone"));
	EXPECT_EQ(200, self->r.status);
	ASSERT_EQ(0, khttpd_del(&self->c, "/gone"));
	ASSERT_EQ(0, get(self, "/gone"));
	EXPECT_EQ(404, self->r.status);
	EXPECT_EQ(-ENOENT, khttpd_del(&self->c, "/gone"));
}

/* Replace one path 200 times while clients fetch it: every answer is
 * whole, 200, and one of the versions. */
TEST_F(ctl, replace_under_load)
{
	static char a[3000], b[9000], out[4096];
	long *bad = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *why = (char *)&bad[2];
	pid_t kids[3], wrk;
	int i, status, fd;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	ASSERT_EQ(0, khttpd_put(&self->c, "/x", "text/plain", a, sizeof(a), NULL, 0));
	for (i = 0; i < 3; i++) {
		kids[i] = fork();
		ASSERT_GE(kids[i], 0);
		if (!kids[i]) {
			struct khttpd_client *cl = malloc(sizeof(*cl));
			struct khttpd_resp *r = malloc(sizeof(*r));
			double t0 = khttpd_now();

			if (khttpd_client_open(cl, KHTTPD_PORT))
				_exit(1);
			while (khttpd_now() - t0 < 3) {
				int ret = khttpd_roundtrip(cl, "GET /x HTTP/1.1\r\n" H "\r\n", r);

				if (ret || r->status != 200 ||
				    !(r->body_len == sizeof(a) ? !memcmp(r->body, a, sizeof(a)) :
				      r->body_len == sizeof(b) && !memcmp(r->body, b, sizeof(b)))) {
					if (__atomic_add_fetch(&bad[0], 1, __ATOMIC_RELAXED) == 1)
						snprintf(why, 2000, "ret %d status %d len %zu body %.20s head %.300s",
							 ret, r->status, r->body_len, r->body, r->headers);
					if (ret)
						break;
				}
				__atomic_add_fetch(&bad[1], 1, __ATOMIC_RELAXED);
			}
			_exit(0);
		}
	}
	/* and wrk, as the issue asks, counting its own errors */
	wrk = fork();
	ASSERT_GE(wrk, 0);
	if (!wrk) {
		fd = open("/tmp/wrk.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		execlp("wrk", "wrk", "-t1", "-c4", "-d3s",
		       "http://127.0.0.1:8080/x", NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, khttpd_put(&self->c, "/x", "text/plain", i % 2 ? a : b,
				 i % 2 ? sizeof(a) : sizeof(b), NULL, 0));
		usleep(10000);
	}
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(kids[i], waitpid(kids[i], &status, 0));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	ASSERT_EQ(wrk, waitpid(wrk, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, bad[0]) TH_LOG("%ld of %ld answers were wrong; first: %s",
				    bad[0], bad[1], why);
	EXPECT_GT(bad[1], 20);
	fd = open("/tmp/wrk.out", O_RDONLY);
	ASSERT_GE(fd, 0);
	ASSERT_GT(read(fd, out, sizeof(out) - 1), 0);
	close(fd);
	EXPECT_EQ(NULL, strstr(out, "Non-2xx")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "Socket errors")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "requests in")) TH_LOG("%s", out);
}

TEST_F(ctl, list_pages_through_everything)
{
	char path[64], buf[1024] __attribute__((aligned(8)));
	struct khttpd_list l = { .size = sizeof(l) };
	static bool seen[300];
	int i, n = 0, pages = 0, root = 0;

	for (i = 0; i < 300; i++) {
		snprintf(path, sizeof(path), "/list/%03d", i);
		ASSERT_EQ(0, khttpd_put(&self->c, path, "text/plain", path, 5, NULL, 0));
	}
	do {
		size_t off = 0;
		unsigned int k;

		l.buf = (uintptr_t)buf;
		l.buf_len = sizeof(buf);
		ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_LIST, &l, sizeof(l)));
		pages++;
		for (k = 0; k < l.count; k++) {
			struct khttpd_list_entry *e = (void *)(buf + off);

			ASSERT_LE(off + e->rec_len, sizeof(buf));
			ASSERT_EQ(0, e->rec_len % 8);
			if (e->path_len == 1 && e->path[0] == '/') {
				root++;
			} else {
				ASSERT_EQ(9, e->path_len);
				ASSERT_EQ(0, memcmp(e->path, "/list/", 6));
				i = atoi(e->path + 6);
				EXPECT_FALSE(seen[i]) TH_LOG("%d twice", i);
				seen[i] = true;
				EXPECT_EQ(5, e->body_len);
			}
			n++;
			off += e->rec_len;
		}
	} while (l.cursor != KHTTPD_LIST_END);
	EXPECT_EQ(301, n);
	EXPECT_EQ(1, root);
	EXPECT_GT(pages, 5);
	for (i = 0; i < 300; i++)
		EXPECT_TRUE(seen[i]) TH_LOG("%d missing", i);
	/* a buffer too small for one record */
	l.cursor = 0;
	l.buf_len = 8;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_LIST, &l, sizeof(l)));
	l.buf_len = sizeof(buf);
	l.cursor = 12345ULL << 32;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_LIST, &l, sizeof(l)));
}

/* The docroot's listing: empty without one; unknown flags refused. */
TEST_F(ctl, list_docroot_flag)
{
	char buf[256] __attribute__((aligned(8)));
	struct khttpd_list l = {
		.size = sizeof(l), .buf = (uintptr_t)buf,
		.buf_len = sizeof(buf), .flags = KHTTPD_LIST_DOCROOT,
	};

	ASSERT_EQ(0, khttpd_put(&self->c, "/stored", "text/plain", "x", 1,
				NULL, 0));
	/* the fixture's server has a store and no docroot */
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_LIST, &l, sizeof(l)));
	EXPECT_EQ(0, l.count);
	EXPECT_EQ(KHTTPD_LIST_END, l.cursor);
	l.cursor = 0;
	l.flags = 2;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_LIST, &l, sizeof(l)));
	l.flags = KHTTPD_LIST_DOCROOT;
	l.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_LIST, &l, sizeof(l)));
	l.reserved[1] = 0;
	l.cursor = 4096ULL << 32;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_LIST, &l, sizeof(l)));
}

TEST_F(ctl, stats_follow_traffic)
{
	struct khttpd_stats s0, s1;
	unsigned long long v;
	int i;

	s0 = stats(_metadata, &self->c);
	EXPECT_EQ(1, s0.running);
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, get(self, "/"));
		ASSERT_EQ(200, self->r.status);
	}
	ASSERT_EQ(0, get(self, "/nothing"));
	khttpd_client_close(&self->cl);
	usleep(100 * 1000);
	s1 = stats(_metadata, &self->c);
	EXPECT_EQ(11, s1.requests - s0.requests);
	EXPECT_EQ(10, s1.responses[1] - s0.responses[1]);
	EXPECT_EQ(1, s1.responses[3] - s0.responses[3]);
	EXPECT_GT(s1.bytes_sent - s0.bytes_sent, 11 * 100);
	EXPECT_EQ(11, s1.conns_accepted - s0.conns_accepted);
	EXPECT_EQ(s1.conns_accepted, s1.conns_closed + s1.conns_open);
	EXPECT_EQ(0, s1.conns_open);
	EXPECT_EQ(1, s1.entries);
	EXPECT_GT(s1.content_bytes, 0);
	/* sysfs shows the same counters */
	ASSERT_EQ(0, khttpd_sysfs_read("stats/requests", &v));
	EXPECT_EQ(s1.requests, v);
	ASSERT_EQ(0, khttpd_sysfs_read("stats/conns_accepted", &v));
	EXPECT_EQ(s1.conns_accepted, v);
	ASSERT_EQ(0, khttpd_sysfs_read("stats/responses_4xx", &v));
	EXPECT_EQ(s1.responses[3], v);
}

TEST_F(ctl, config_takes_effect)
{
	struct khttpd_config c = { .size = sizeof(c) }, c2 = { .size = sizeof(c2) };
	unsigned long long v;
	char req[1024];
	int i;

	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &c, sizeof(c)));
	EXPECT_EQ(100, c.max_header_fields);
	EXPECT_EQ(8080, c.port);
	c.max_header_fields = 5;
	c.keepalive_timeout_ms = 1234;
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)));
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &c2, sizeof(c2)));
	EXPECT_EQ(0, memcmp(&c, &c2, sizeof(c)));
	ASSERT_EQ(0, khttpd_sysfs_read("keepalive_timeout_ms", &v));
	EXPECT_EQ(1234, v);
	/* 6 fields now exceed the limit */
	strcpy(req, "GET / HTTP/1.1\r\n" H);
	for (i = 1; i < 6; i++)
		sprintf(req + strlen(req), "X%d: y\r\n", i);
	strcat(req, "\r\n");
	ASSERT_EQ(0, khttpd_client_open(&self->cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&self->cl, req, &self->r));
	EXPECT_EQ(431, self->r.status);
	/* and through sysfs back up */
	ASSERT_EQ(0, khttpd_sysfs_write("max_header_fields", "6"));
	khttpd_client_close(&self->cl);
	ASSERT_EQ(0, khttpd_client_open(&self->cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&self->cl, req, &self->r));
	EXPECT_EQ(200, self->r.status);
}

/* A process without CAP_NET_ADMIN may read but not change anything. */
TEST_F(ctl, unprivileged_gets_eperm)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct khttpd_version v = { .size = sizeof(v) };
		struct khttpd_config c = { .size = sizeof(c) };
		/* a good table: only the capability is missing */
		struct khttpd_mime m = {
			.size = sizeof(m), .count = 1,
			.buf = (uintptr_t)"html\0text/html", .buf_len = 15,
		};
		struct khttpd_read_log rl = {
			.size = sizeof(rl), .ncpus = 1024, .buf_len = 4096,
		};
		static __u64 cur[1024];
		static char rec[4096];
		struct khttpd_ctl c2;
		int fd = open(KHTTPD_CTL_DEVICE, O_RDWR);

		/* the device is root-only; keep a descriptor, drop the rest */
		if (fd < 0 || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		if (khttpd_ctl_open(&c2, KHTTPD_CTL_DEVICE, true) != -EACCES)
			_exit(11);
		memset(&c2, 0, sizeof(c2));
		c2.fd = fd;
		if (!variant->use_ioctl && io_uring_queue_init(8, &c2.ring, 0) == 0)
			c2.uring = true;
		if (khttpd_ctl_cmd(&c2, KHTTPD_CMD_VERSION, &v, sizeof(v)))
			_exit(12);
		if (khttpd_ctl_cmd(&c2, KHTTPD_CMD_GET_CONFIG, &c, sizeof(c)))
			_exit(13);
		if (khttpd_ctl_cmd(&c2, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)) != -EPERM)
			_exit(14);
		if (khttpd_put(&c2, "/p", "text/plain", "x", 1, NULL, 0) != -EPERM)
			_exit(15);
		if (khttpd_del(&c2, "/") != -EPERM)
			_exit(16);
		if (khttpd_ctl_cmd(&c2, KHTTPD_CMD_STOP, NULL, 0) != -EPERM)
			_exit(17);
		if (khttpd_ctl_cmd(&c2, KHTTPD_CMD_SET_MIME, &m, sizeof(m)) != -EPERM)
			_exit(18);
		/* the access log holds clients' addresses and requests */
		rl.cursors = (uintptr_t)cur;
		rl.buf = (uintptr_t)rec;
		if (khttpd_ctl_cmd(&c2, KHTTPD_CMD_READ_LOG, &rl, sizeof(rl)) != -EPERM)
			_exit(19);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, get(self, "/"));
	EXPECT_EQ(200, self->r.status);
	ASSERT_EQ(0, get(self, "/p"));
	EXPECT_EQ(404, self->r.status);
	EXPECT_EQ(1, stats(_metadata, &self->c).running);
}

/* Malformed commands: a clear errno, and the store and settings as before. */
TEST_F(ctl, bad_commands_change_nothing)
{
	struct khttpd_config c0 = { .size = sizeof(c0) }, c = { .size = sizeof(c) };
	struct khttpd_put p = { .size = sizeof(p) };
	struct {
		struct khttpd_put p;
		__u64 extra[4];
	} big;
	static char longpath[KHTTPD_PATH_MAX + 2];
	struct khttpd_stats s0;
	struct khttpd_start st = { .size = sizeof(st) };

	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &c0, sizeof(c0)));
	s0 = stats(_metadata, &self->c);

	/* paths */
	EXPECT_EQ(-EINVAL, khttpd_put(&self->c, "noslash", "text/plain", "x", 1, NULL, 0));
	EXPECT_EQ(-EINVAL, khttpd_put(&self->c, "/a/../b", "text/plain", "x", 1, NULL, 0));
	EXPECT_EQ(-EINVAL, khttpd_put(&self->c, "/a/./b", "text/plain", "x", 1, NULL, 0));
	EXPECT_EQ(-EINVAL, khttpd_put(&self->c, "/a\r\nb", "text/plain", "x", 1, NULL, 0));
	EXPECT_EQ(-EINVAL, khttpd_put(&self->c, "", "text/plain", "x", 1, NULL, 0));
	longpath[0] = '/';
	memset(longpath + 1, 'a', KHTTPD_PATH_MAX);
	EXPECT_EQ(-ENAMETOOLONG, khttpd_put(&self->c, longpath, "text/plain", "x", 1, NULL, 0));
	/* header injection through the type or cache-control */
	EXPECT_EQ(-EINVAL, khttpd_put(&self->c, "/t", "text/html\r\nX: y", "x", 1, NULL, 0));
	EXPECT_EQ(-EINVAL, khttpd_put(&self->c, "/t", "", "x", 1, NULL, 0));
	EXPECT_EQ(-EINVAL, khttpd_put(&self->c, "/t", "text/plain", "x", 1, "a\nb", 0));
	/* bad pointers */
	EXPECT_EQ(-EFAULT, khttpd_put(&self->c, "/t", "text/plain", (void *)8, 100, NULL, 0));
	p.path = 8;
	p.path_len = 4;
	EXPECT_EQ(-EFAULT, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_PUT, &p, sizeof(p)));
	/* flags and reserved fields */
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	p.path = (uintptr_t)"/t";
	p.path_len = 2;
	p.type = (uintptr_t)"text/plain";
	p.type_len = 10;
	p.flags = 1;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_PUT, &p, sizeof(p)));
	p.flags = 0;
	p.reserved[3] = 1;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_PUT, &p, sizeof(p)));
	p.reserved[3] = 0;
	p.reserved0 = 1;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_PUT, &p, sizeof(p)));
	p.reserved0 = 0;
	/* sizes: too small; larger with a non-zero tail; larger and zero */
	p.size = KHTTPD_PUT_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_PUT, &p, sizeof(p)));
	memset(&big, 0, sizeof(big));
	big.p = p;
	big.p.size = sizeof(big);
	big.extra[2] = 7;
	EXPECT_EQ(-E2BIG, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_PUT, &big, sizeof(big)));
	/* an unknown command */
	EXPECT_EQ(-ENOTTY, khttpd_ctl_cmd(&self->c, _IOW(KHTTPD_IOC_TYPE, 0x7f, __u64),
					  &p, sizeof(p)));
	EXPECT_EQ(-ENOTTY, khttpd_ctl_cmd(&self->c, _IOW('X', 0x03, struct khttpd_put),
					  &p, sizeof(p)));
	/* START while running; bad flags; reserved */
	EXPECT_EQ(-EALREADY, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_START, &st, sizeof(st)));
	st.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_START, &st, sizeof(st)));
	/* settings out of range */
	c = c0;
	c.header_timeout_ms = 0;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)));
	c = c0;
	c.max_request_line = 60000;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)));
	c = c0;
	c.zerocopy = 2;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)));
	c = c0;
	c.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)));
	c = c0;
	c.port = 0;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)));

	/* nothing changed */
	c = (struct khttpd_config){ .size = sizeof(c) };
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &c, sizeof(c)));
	EXPECT_EQ(0, memcmp(&c0, &c, sizeof(c)));
	EXPECT_EQ(s0.entries, stats(_metadata, &self->c).entries);
	EXPECT_EQ(s0.content_bytes, stats(_metadata, &self->c).content_bytes);
	ASSERT_EQ(0, get(self, "/t"));
	EXPECT_EQ(404, self->r.status);
	ASSERT_EQ(0, get(self, "/"));
	EXPECT_EQ(200, self->r.status);
	/* a larger struct with a zero tail is fine (newer callers) */
	big.extra[2] = 0;
	EXPECT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_PUT, &big, sizeof(big)));
}

/* KHTTPD_CMD_SET_MIME of @len bytes of records at @buf, said to be @count. */
static int set_mime(struct khttpd_ctl *c, const void *buf, __u32 len,
		    __u32 count)
{
	struct khttpd_mime m = {
		.size = sizeof(m), .count = count, .buf = (uintptr_t)buf,
		.buf_len = len,
	};

	return khttpd_ctl_cmd(c, KHTTPD_CMD_SET_MIME, &m, sizeof(m));
}

/* Records in a string literal: its bytes without the literal's own NUL. */
#define MIME(recs, count) (recs), sizeof(recs) - 1, (count)

/*
 * Tables SET_MIME takes: types with parameters, the empty table, a newer
 * caller's larger struct, and one of KHTTPD_MIME_MAX records of long types
 * (near a MiB, so the copy goes through vmalloc); over uring_cmd also many
 * at once, whose swaps race in io_uring's workers.  (What a table does to
 * the answers shows once the docroot serves files; the checks and the
 * lookup are unit-tested in selftests/unit/mime_test.c.)
 */
TEST_F(ctl, set_mime_accepts_tables)
{
	static const char good[] =
		"html\0text/html; charset=utf-8\0"
		"HTM\0text/html\0"
		"tar-gz_1+x\0application/x-tar\0"
		"b\0multipart/x; boundary=\"a b;c\\\"d\"; q=1\0";
	struct khttpd_version v = { .size = sizeof(v) };
	struct {
		struct khttpd_mime m;
		__u64 extra[4];
	} big = {
		.m = { .size = sizeof(big), .count = 4, .buf = (uintptr_t)good,
		       .buf_len = sizeof(good) - 1 },
	};
	size_t cap = KHTTPD_MIME_BUF_MAX, len = 0;
	char *buf = malloc(cap), type[241];
	unsigned int i;

	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_VERSION, &v, sizeof(v)));
	EXPECT_TRUE(v.features & KHTTPD_F_MIME);
	EXPECT_EQ(0, set_mime(&self->c, MIME(good, 4)));
	EXPECT_EQ(0, set_mime(&self->c, NULL, 0, 0));
	EXPECT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &big, sizeof(big)));

	ASSERT_NE(NULL, buf);
	memset(type, 'x', sizeof(type) - 1);
	type[sizeof(type) - 1] = '\0';
	memcpy(type, "application/", 12);
	for (i = 0; i < KHTTPD_MIME_MAX; i++) {
		len += sprintf(buf + len, "E%u", i) + 1;	/* with its NUL */
		len += sprintf(buf + len, "%s", type) + 1;
	}
	ASSERT_GT(len, 1000000);
	ASSERT_LE(len, KHTTPD_MIME_BUF_MAX);
	EXPECT_EQ(0, set_mime(&self->c, buf, len, KHTTPD_MIME_MAX));

	if (self->c.uring) {
		struct khttpd_mime m = {
			.size = sizeof(m), .count = KHTTPD_MIME_MAX,
			.buf = (uintptr_t)buf, .buf_len = len,
		};
		uint64_t tag;
		int res;

		for (i = 0; i < 32; i++)
			ASSERT_EQ(0, khttpd_ctl_queue(&self->c, KHTTPD_CMD_SET_MIME,
						      &m, sizeof(m), i));
		for (i = 0; i < 32; i++) {
			ASSERT_EQ(0, khttpd_ctl_reap(&self->c, &tag, &res));
			EXPECT_EQ(0, res) TH_LOG("SET_MIME %" PRIu64, tag);
		}
	}
	free(buf);
	/* and the server serves on */
	ASSERT_EQ(0, get(self, "/"));
	EXPECT_EQ(200, self->r.status);
}

/*
 * Every kind of malformed table is -EINVAL (a bad address -EFAULT), the
 * limits are checked before anything is copied, and a rejected table
 * leaves no trace in the kernel log (the fixture checks it) and no leak
 * (kmemleak, under make check-debug).
 */
TEST_F(ctl, set_mime_rejects_malformed)
{
	static const char two[] = "html\0text/html\0css\0text/css\0";
	static const struct {
		const char *what, *recs;
		__u32 len, count;
	} bad[] = {
#define B(what, recs, count) { what, MIME(recs, count) }
		B("bad extension char", "h.tml\0text/html\0", 1),
		B("space in extension", "ht ml\0text/html\0", 1),
		B("empty extension", "\0text/html\0", 1),
		B("33-byte extension",
		  "abcdefghijklmnopqrstuvwxyz0123456\0text/plain\0", 1),
		B("type without /", "html\0texthtml\0", 1),
		B("empty subtype", "html\0text/\0", 1),
		B("empty type", "html\0\0", 1),
		B("CRLF in type", "html\0text/html\r\nX-Evil: 1\0", 1),
		B("tab in type", "html\0text/ht\tml\0", 1),
		B("DEL in type", "html\0text/html\x7f\0", 1),
		B("8-bit type", "html\0text/h\xe9\0", 1),
		B("trailing junk", "html\0text/html junk\0", 1),
		B("trailing space", "html\0text/html \0", 1),
		B("empty parameter", "html\0text/html;\0", 1),
		B("parameter without value", "html\0text/html; charset\0", 1),
		B("unterminated quote", "html\0text/html; a=\"x\0", 1),
		B("control char in quotes", "html\0text/html; a=\"\x01\"\0", 1),
		B("count too small", "html\0text/html\0css\0text/css\0", 1),
		B("count too large", "html\0text/html\0css\0text/css\0", 3),
		B("count with no records", "", 1),
		B("duplicate, other case", "html\0text/html\0HTML\0text/plain\0", 2),
		B("duplicate, same case", "css\0text/css\0css\0text/css\0", 2),
		B("bytes left over", "html\0text/html\0x", 1),
		B("record cut short", "html\0text/html", 1),
		B("extension alone", "html\0", 1),
#undef B
	};
	struct khttpd_mime m0 = {
		.size = sizeof(m0), .count = 2, .buf = (uintptr_t)two,
		.buf_len = sizeof(two) - 1,
	}, m;
	char longtype[KHTTPD_TYPE_MAX + 8] = "html";
	struct khttpd_stats s0 = stats(_metadata, &self->c), s1;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, set_mime(&self->c, bad[i].recs, bad[i].len,
					    bad[i].count))
			TH_LOG("%s", bad[i].what);

	/* a type of KHTTPD_TYPE_MAX bytes fits, one more does not */
	memcpy(longtype + 5, "a/", 2);
	memset(longtype + 7, 'b', KHTTPD_TYPE_MAX - 2);
	EXPECT_EQ(0, set_mime(&self->c, longtype, 5 + KHTTPD_TYPE_MAX + 1, 1));
	longtype[5 + KHTTPD_TYPE_MAX] = 'b';
	EXPECT_EQ(-EINVAL, set_mime(&self->c, longtype, 5 + KHTTPD_TYPE_MAX + 2, 1));

	/* the struct's own fields; a good table otherwise */
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m0, sizeof(m0)));
	m = m0;
	m.flags = 1;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));
	m = m0;
	m.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));
	m = m0;
	m.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));
	m = m0;
	m.reserved[1] = 1ULL << 63;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));
	m = m0;
	m.size = KHTTPD_MIME_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));
	/* limits, before any byte is read: a valid address would be -EFAULT */
	m = m0;
	m.buf_len = KHTTPD_MIME_BUF_MAX + 1;
	m.buf = 8;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));
	m.buf_len = ~0U;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));
	m = m0;
	m.count = KHTTPD_MIME_MAX + 1;
	m.buf = 8;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));
	m.count = ~0U;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));
	/* addresses: nothing there, the kernel's */
	m = m0;
	m.buf = 8;
	EXPECT_EQ(-EFAULT, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));
	m.buf = 0xffff888000000000ULL;
	EXPECT_EQ(-EFAULT, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_MIME, &m, sizeof(m)));

	/* still taking good tables; the store and the server untouched */
	EXPECT_EQ(0, set_mime(&self->c, MIME(two, 2)));
	s1 = stats(_metadata, &self->c);
	EXPECT_EQ(s0.entries, s1.entries);
	EXPECT_EQ(s0.content_bytes, s1.content_bytes);
	EXPECT_EQ(1, s1.running);
	ASSERT_EQ(0, get(self, "/"));
	EXPECT_EQ(200, self->r.status);
}

/* uring_cmd specifics: the SQE's reserved field and length. */
TEST_F(ctl, uring_sqe_checked)
{
	struct khttpd_version v = { .size = sizeof(v) };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct khttpd_uring_cmd *uc;

	if (variant->use_ioctl)
		SKIP(return, "uring_cmd only");
	/* length disagreeing with the struct's size field */
	ASSERT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_VERSION, &v,
					  sizeof(v) - 8));
	/* non-zero reserved field in the SQE's command area */
	sqe = io_uring_get_sqe(&self->c.ring);
	ASSERT_NE(NULL, sqe);
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = self->c.fd;
	sqe->cmd_op = KHTTPD_CMD_VERSION;
	uc = (void *)sqe->cmd;
	uc->arg = (uintptr_t)&v;
	uc->arg_len = sizeof(v);
	uc->reserved = 1;
	ASSERT_EQ(1, io_uring_submit_and_wait(&self->c.ring, 1));
	ASSERT_EQ(0, io_uring_wait_cqe(&self->c.ring, &cqe));
	EXPECT_EQ(-EINVAL, cqe->res);
	io_uring_cqe_seen(&self->c.ring, cqe);
}

TEST_F(ctl, sysfs_knobs)
{
	unsigned long long v, before;

	ASSERT_EQ(0, khttpd_sysfs_read("header_timeout_ms", &before));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("header_timeout_ms", "0"));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("header_timeout_ms", "abc"));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("header_timeout_ms", "-5"));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("header_timeout_ms", "99999999999"));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("port", "65536"));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("port", "0"));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("zerocopy", "2"));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("max_header_bytes", "70000"));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("enabled", "maybe"));
	ASSERT_EQ(0, khttpd_sysfs_read("header_timeout_ms", &v));
	EXPECT_EQ(before, v);
	ASSERT_EQ(0, khttpd_sysfs_write("header_timeout_ms", "2500\n"));
	ASSERT_EQ(0, khttpd_sysfs_read("header_timeout_ms", &v));
	EXPECT_EQ(2500, v);
	/* stop and start with sysfs alone, on another port */
	ASSERT_EQ(0, khttpd_sysfs_write("enabled", "0"));
	ASSERT_EQ(0, khttpd_sysfs_read("enabled", &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(-ECONNREFUSED, khttpd_connect(KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_sysfs_write("port", "8081"));
	ASSERT_EQ(0, khttpd_sysfs_write("enabled", "1"));
	ASSERT_EQ(0, khttpd_sysfs_write("enabled", "1"));	/* idempotent */
	self->cl.fd = khttpd_connect(8081);
	ASSERT_GE(self->cl.fd, 0);
	self->cl.len = 0;
	ASSERT_EQ(0, khttpd_roundtrip(&self->cl, "GET / HTTP/1.1\r\n" H "\r\n", &self->r));
	EXPECT_EQ(200, self->r.status);
}

TEST_F(ctl, stop_start_with_cpuset_and_ipv6)
{
	struct khttpd_start st = { .size = sizeof(st) };
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6, .sin6_port = htons(8080),
		.sin6_addr = IN6ADDR_LOOPBACK_INIT,
	};
	int fd;

	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_STOP, NULL, 0));
	EXPECT_EQ(-EALREADY, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_STOP, NULL, 0));
	EXPECT_EQ(0, stats(_metadata, &self->c).entries);
	/* CPU 0 only, IPv6 loopback and IPv4 any */
	st.flags = KHTTPD_START_IPV4 | KHTTPD_START_IPV6;
	st.addr6[15] = 1;
	st.cpus[0] = 1;
	/* an offline or impossible CPU is refused */
	st.cpus[15] = 1ULL << 63;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_START, &st, sizeof(st)));
	st.cpus[15] = 0;
	st.flags |= 1U << 7;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_START, &st, sizeof(st)));
	st.flags &= ~(1U << 7);
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_START, &st, sizeof(st)));
	ASSERT_EQ(0, get(self, "/"));
	EXPECT_EQ(200, self->r.status);
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)));
	khttpd_client_close(&self->cl);
	self->cl.fd = fd;
	self->cl.len = 0;
	ASSERT_EQ(0, khttpd_roundtrip(&self->cl, "GET / HTTP/1.1\r\n" H "\r\n", &self->r));
	EXPECT_EQ(200, self->r.status);
	/* only khttpd/0 runs */
	EXPECT_EQ(0, system("test \"$(grep -l '^khttpd/' /proc/[0-9]*/comm | wc -l)\" = 1"));
}

static int stats_of(FIXTURE_DATA(ctl) *self, __u32 flags, __u32 cpu,
		    struct khttpd_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->flags = flags;
	s->cpu = cpu;
	return khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATS, s, sizeof(*s));
}

/* KHTTPD_STATS_PER_CPU: each CPU's counters, adding up to the sums */
TEST_F(ctl, stats_per_cpu_add_up)
{
	struct khttpd_stats all, one;
	__u64 req = 0, ok = 0, acc = 0, sent = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF), cpu;
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, get(self, "/"));
		ASSERT_EQ(200, self->r.status);
	}
	khttpd_client_close(&self->cl);
	usleep(100 * 1000);
	ASSERT_EQ(0, stats_of(self, 0, 0, &all));
	EXPECT_GE(all.requests, 20);
	for (cpu = 0; cpu < ncpu; cpu++) {
		ASSERT_EQ(0, stats_of(self, KHTTPD_STATS_PER_CPU, cpu, &one));
		EXPECT_EQ(KHTTPD_STATS_PER_CPU, one.flags);
		EXPECT_EQ(cpu, one.cpu);
		/* the module's own levels, whichever CPU */
		EXPECT_EQ(all.entries, one.entries);
		EXPECT_EQ(1, one.running);
		req += one.requests;
		ok += one.responses[1];
		acc += one.conns_accepted;
		sent += one.bytes_sent;
	}
	EXPECT_EQ(all.requests, req);
	EXPECT_EQ(all.responses[1], ok);
	EXPECT_EQ(all.conns_accepted, acc);
	EXPECT_EQ(all.bytes_sent, sent);
	/* an impossible CPU, a CPU without the flag, an unknown flag */
	EXPECT_EQ(-EINVAL, stats_of(self, KHTTPD_STATS_PER_CPU, 1U << 20, &one));
	EXPECT_EQ(-EINVAL, stats_of(self, KHTTPD_STATS_PER_CPU, -1U, &one));
	EXPECT_EQ(-EINVAL, stats_of(self, 0, 1, &one));
	EXPECT_EQ(-EINVAL, stats_of(self, 1U << 1, 0, &one));
	/* the first version's size: the sums, as before */
	memset(&one, 0, sizeof(one));
	one.size = KHTTPD_STATS_SIZE_VER0;
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATS, &one,
				    KHTTPD_STATS_SIZE_VER0));
	EXPECT_EQ(KHTTPD_STATS_SIZE_VER0, one.size);
	EXPECT_EQ(all.requests, one.requests);
}

/* GET_STATUS: what START was given, the docroot's path, checked input */
TEST_F(ctl, status_reports_the_start)
{
	struct khttpd_start st = { .size = sizeof(st) };
	struct khttpd_status s;
	char root[64], small[8];

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	/* loaded with port=8080 and started: IPv4 any, every CPU */
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATUS, &s, sizeof(s)));
	EXPECT_EQ(1, s.serving);
	EXPECT_EQ(8080, s.port);
	EXPECT_EQ(0, s.tls_port);
	EXPECT_EQ(1024, s.backlog);
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), s.workers);
	EXPECT_EQ((1ULL << s.workers) - 1, s.cpus[0]);
	EXPECT_EQ(0, s.root_len);

	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_STOP, NULL, 0));
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATUS, &s, sizeof(s)));
	EXPECT_EQ(0, s.serving);
	EXPECT_EQ(0, s.port);
	EXPECT_EQ(0, s.workers);

	/* CPU 0, port 8081, a docroot read as 65534:65534 */
	if (mkdir("/tmp/ctl_status_root", 0755))
		ASSERT_EQ(EEXIST, errno);
	st.flags = KHTTPD_START_IPV4 | KHTTPD_START_DOCROOT |
		   KHTTPD_START_NO_SYMLINKS;
	st.addr4[0] = 127;
	st.addr4[3] = 1;
	st.port = 8081;
	st.backlog = 16;
	st.cpus[0] = 1;
	st.uid = st.gid = 65534;
	st.root_fd = open("/tmp/ctl_status_root", O_PATH | O_DIRECTORY);
	ASSERT_GE(st.root_fd, 0);
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_START, &st, sizeof(st)));
	close(st.root_fd);
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.root_buf = (uintptr_t)root;
	s.root_buf_len = sizeof(root);
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATUS, &s, sizeof(s)));
	EXPECT_EQ(1, s.serving);
	EXPECT_EQ(st.flags, s.start_flags);
	EXPECT_EQ(8081, s.port);
	EXPECT_EQ(16, s.backlog);
	EXPECT_EQ(0, memcmp(s.addr4, st.addr4, 4));
	EXPECT_EQ(1, s.workers);
	EXPECT_EQ(1, s.cpus[0]);
	EXPECT_EQ(65534, s.uid);
	EXPECT_EQ(65534, s.gid);
	EXPECT_STREQ("/tmp/ctl_status_root", root);
	EXPECT_EQ(strlen("/tmp/ctl_status_root"), s.root_len);
	/* our buffer untouched when the path does not fit, its length told */
	memset(small, 'x', sizeof(small));
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.root_buf = (uintptr_t)small;
	s.root_buf_len = sizeof(small);
	EXPECT_EQ(-ERANGE, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATUS, &s, sizeof(s)));
	EXPECT_EQ(strlen("/tmp/ctl_status_root"), s.root_len);
	EXPECT_EQ('x', small[0]);
	/* exactly the path, no room for the NUL: -ERANGE too */
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.root_buf = (uintptr_t)root;
	s.root_buf_len = strlen("/tmp/ctl_status_root");
	EXPECT_EQ(-ERANGE, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATUS, &s, sizeof(s)));
	/* out fields and reserved given non-zero, a length without buffer */
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATUS, &s, sizeof(s)));
	s.reserved[1] = 0;
	s.serving = 1;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATUS, &s, sizeof(s)));
	s.serving = 0;
	s.root_buf_len = 10;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATUS, &s, sizeof(s)));
	s.root_buf_len = 0;
	s.size = KHTTPD_STATUS_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATUS, &s, s.size));
	/* a bad buffer: -EFAULT, and nothing broken */
	s.size = sizeof(s);
	s.root_buf = 8;
	s.root_buf_len = 4096;
	EXPECT_EQ(-EFAULT, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_STATUS, &s, sizeof(s)));
	rmdir("/tmp/ctl_status_root");
}

TEST_F(ctl, memory_cap_enforced)
{
	struct khttpd_config c = { .size = sizeof(c) };
	size_t len = 300 * 1024;
	char *body = calloc(1, 2 << 20);
	int i, ok = 0, err = 0;
	struct khttpd_stats s;

	ASSERT_NE(NULL, body);
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &c, sizeof(c)));
	c.mem_cap = 1 << 20;
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)));
	EXPECT_EQ(-ENOSPC, khttpd_put(&self->c, "/huge", "text/plain", body, 2 << 20, NULL, 0));
	for (i = 0; i < 10; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/part%d", i);
		err = khttpd_put(&self->c, path, "text/plain", body, len, NULL, 0);
		if (err)
			break;
		ok++;
	}
	EXPECT_EQ(-ENOSPC, err);
	EXPECT_EQ(3, ok);
	s = stats(_metadata, &self->c);
	EXPECT_LE(s.content_bytes, 1 << 20);
	EXPECT_EQ(1 + ok, s.entries);
	/* the earlier entries still serve; freeing one makes room */
	ASSERT_EQ(0, khttpd_client_open(&self->cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&self->cl, "HEAD /part0 HTTP/1.1\r\n" H "\r\n",
				      &self->r));
	EXPECT_EQ(200, self->r.status);
	EXPECT_EQ(len, self->r.content_length);
	ASSERT_EQ(0, khttpd_del(&self->c, "/part0"));
	/* the memory returns after a grace period */
	content_settles(_metadata, &self->c, s.content_bytes - len);
	EXPECT_EQ(0, khttpd_put(&self->c, "/part9", "text/plain", body, len, NULL, 0));
	free(body);
}

/* Unloading with content stored and connections open frees it all. */
TEST_F(ctl, rmmod_with_content_frees_everything)
{
	char path[32];
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(path, sizeof(path), "/c%d", i);
		ASSERT_EQ(0, khttpd_put(&self->c, path, "text/plain", path, 4000, NULL, 0));
	}
	ASSERT_EQ(0, get(self, "/c7"));
	EXPECT_EQ(200, self->r.status);
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_STOP, NULL, 0));
	EXPECT_EQ(0, content_settles(_metadata, &self->c, 0));
	EXPECT_EQ(0, stats(_metadata, &self->c).conns_open);
	for (i = 0; i < 50; i++) {
		snprintf(path, sizeof(path), "/c%d", i);
		ASSERT_EQ(0, khttpd_put(&self->c, path, "text/plain", path, 4000, NULL, 0));
	}
	khttpd_ctl_close(&self->c);
	khttpd_client_close(&self->cl);
	ASSERT_EQ(0, khttpd_unload());
	self->loaded = false;
	/* the module reports its own leaks at unload */
	EXPECT_NE(0, system("dmesg | grep -q 'khttpd: leak'"));
}

/*
 * Unload, then insmod with @params (if that fails, load with the fixture's
 * parameters again); the control device reopened.  Returns the first
 * insmod's result.
 */
static int reload(struct __test_metadata *_metadata, FIXTURE_DATA(ctl) *self,
		  const char *params)
{
	int i, ret;

	khttpd_client_close(&self->cl);
	khttpd_ctl_close(&self->c);
	/* io_uring drops its reference to the device file a moment later */
	for (i = 0; (ret = khttpd_unload()) == -EAGAIN && i < 500; i++)
		usleep(10 * 1000);
	EXPECT_EQ(0, ret);
	ret = khttpd_load(params);
	if (ret)
		EXPECT_EQ(0, khttpd_load("port=8080"));
	EXPECT_EQ(0, khttpd_ctl_open(&self->c, NULL, false));
	return ret;
}

/*
 * Every setting at its minimum and maximum is taken, through SET_CONFIG,
 * sysfs and the module parameter alike; one below, one above, the
 * field's largest value and U64_MAX are refused by all three and change
 * nothing.  (A mem_cap of U64_MAX used to be taken.)
 */
TEST_F_TIMEOUT(ctl, every_setting_bounded_everywhere, 300)
{
	struct khttpd_config c0 = { .size = sizeof(c0) }, c, now;
	unsigned int i, j;

	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &c0, sizeof(c0)));
	for (i = 0; i < khttpd_n_params; i++) {
		const struct khttpd_param *s = &khttpd_params[i];
		__u64 fmax = s->size == 2 ? 0xffff : s->size == 4 ? 0xffffffffULL : ~0ULL;
		__u64 bad[4] = { s->max + 1, fmax, ~0ULL, s->min - 1 };
		__u64 good[2] = { s->min, s->max };
		char v[32], param[96];

		for (j = 0; j < 4; j++) {
			if ((j == 3 && !s->min) ||
			    (bad[j] >= s->min && bad[j] <= s->max))
				continue;	/* no value below 0; port's max is 0xffff */
			c = c0;
			c.size = sizeof(c);
			khttpd_param_put(s, &c, bad[j]);
			/* (a value wider than the field cannot be sent here) */
			if (bad[j] <= fmax)
				EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c,
						KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)))
					TH_LOG("%s = %llu", s->name,
					       (unsigned long long)bad[j]);
			snprintf(v, sizeof(v), "%llu", (unsigned long long)bad[j]);
			EXPECT_EQ(-EINVAL, khttpd_sysfs_write(s->name, v))
				TH_LOG("sysfs %s = %s", s->name, v);
		}
		for (j = 0; j < 2; j++) {
			c = c0;
			c.size = sizeof(c);
			/* the head rule: the other head limit at its minimum */
			if (!strcmp(s->name, "max_request_line"))
				c.max_header_bytes = 1;
			if (!strcmp(s->name, "max_header_bytes"))
				c.max_request_line = 1;
			khttpd_param_put(s, &c, good[j]);
			EXPECT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG,
						    &c, sizeof(c)))
				TH_LOG("%s = %llu", s->name, (unsigned long long)good[j]);
			now.size = sizeof(now);
			ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG,
						    &now, sizeof(now)));
			EXPECT_EQ(0, memcmp(&c, &now, sizeof(c))) TH_LOG("%s", s->name);
		}
		c0.size = sizeof(c0);
		ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c0, sizeof(c0)));
		/* the same table at insmod: a value out of range fails the load */
		if (variant->use_ioctl)
			continue;
		snprintf(param, sizeof(param), "%s=%llu", s->name,
			 (unsigned long long)s->max + 1);
		EXPECT_EQ(-EINVAL, reload(_metadata, self, param))
			TH_LOG("insmod %s", param);
	}
	/* the rule across the two head limits, everywhere */
	c = c0;
	c.max_request_line = KHTTPD_HEAD_LIMIT - 5;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("max_request_line", "65531"));
	if (!variant->use_ioctl) {
		EXPECT_EQ(-EINVAL, reload(_metadata, self,
					  "max_request_line=60000 max_header_bytes=6000"));
		/* a 0..1 setting takes what a bool parameter takes */
		EXPECT_EQ(0, reload(_metadata, self, "zerocopy=N"));
		now.size = sizeof(now);
		ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &now,
					    sizeof(now)));
		EXPECT_EQ(0, now.zerocopy);
		EXPECT_EQ(0, reload(_metadata, self, "port=8080"));
	}
	now.size = sizeof(now);
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &now, sizeof(now)));
	EXPECT_EQ(0, memcmp(&c0, &now, sizeof(c0)));
	ASSERT_EQ(0, get(self, "/"));
	EXPECT_EQ(200, self->r.status);
}

/*
 * The outside review's reproducer: with mem_cap at U64_MAX, a PUT of
 * body_len (u64)-1 wrapped the entry size to a page and copied past it
 * (a general protection fault); a body of a terabyte hit the allocator's
 * WARN.  Now mem_cap stops at KHTTPD_CFG_MEM_CAP_MAX, bodies at
 * KHTTPD_BODY_MAX (-EFBIG), and an entry larger than the memory the
 * machine has is -ENOMEM before anything is allocated.
 */
TEST_F_TIMEOUT(ctl, huge_puts_fail_cleanly, 120)
{
	struct khttpd_config c = { .size = sizeof(c) };
	struct khttpd_stats s0, s;
	static const __u64 huge[] = {
		~0ULL, ~0ULL - 4095, 1ULL << 40, KHTTPD_BODY_MAX + 1,
	};
	char small[64] = "x";
	unsigned int i;

	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &c, sizeof(c)));
	c.mem_cap = ~0ULL;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)));
	c.mem_cap = KHTTPD_CFG_MEM_CAP_MAX;
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c)));
	s0 = stats(_metadata, &self->c);
	for (i = 0; i < ARRAY_SIZE(huge); i++)
		EXPECT_EQ(-EFBIG, khttpd_put(&self->c, "/big", "text/plain", small,
					     huge[i], NULL, 0))
			TH_LOG("body_len %llu", (unsigned long long)huge[i]);
	/* 4 GiB fits the rules but not this guest: refused up front */
	EXPECT_EQ(-ENOMEM, khttpd_put(&self->c, "/big", "text/plain", small,
				      KHTTPD_BODY_MAX, NULL, 0));
	/* a body the guest can hold, from a pointer that faults midway */
	EXPECT_EQ(-EFAULT, khttpd_put(&self->c, "/big", "text/plain", small,
				      16 << 20, NULL, 0));
	content_settles(_metadata, &self->c, s0.content_bytes);
	s = stats(_metadata, &self->c);
	EXPECT_EQ(s0.entries, s.entries);
	EXPECT_EQ(s0.content_bytes, s.content_bytes);
	ASSERT_EQ(0, get(self, "/big"));
	EXPECT_EQ(404, self->r.status);
	ASSERT_EQ(0, get(self, "/"));
	EXPECT_EQ(200, self->r.status);
}

/*
 * An argument struct may be larger than the module's (a newer caller) if
 * the tail is zero, but the tail is not searched beyond KHTTPD_ARG_MAX.
 */
TEST_F(ctl, argument_size_capped)
{
	size_t len = 1 << 20;
	struct khttpd_version *v = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, v);
	v->size = KHTTPD_ARG_MAX;
	EXPECT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_VERSION, v, KHTTPD_ARG_MAX));
	v->size = KHTTPD_ARG_MAX + 1;
	EXPECT_EQ(-E2BIG, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_VERSION, v,
					 KHTTPD_ARG_MAX + 1));
	v->size = len;
	EXPECT_EQ(-E2BIG, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_VERSION, v, len));
	v->size = 0xffffffff;
	EXPECT_EQ(-E2BIG, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_VERSION, v, 0xffffffff));
	munmap(v, len);
}

TEST_HARNESS_MAIN
