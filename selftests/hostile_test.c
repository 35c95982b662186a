// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile clients.  Each test attacks the module one way (slowloris,
 * floods past every limit and past max_conns, random bytes, resets in the
 * middle of a large answer, half-closes, clients that never read, a
 * thousand pipelined requests, content replaced and deleted while it is
 * being sent) and then requires that the server still answers a normal
 * request, that every connection the test made is accounted for
 * (accepted + refused), that none is left open, and that the kernel
 * logged no splat and, on unload, no leak.
 *
 * make check runs a bounded version; KHTTPD_FULL=1 (make check-debug)
 * runs the full counts.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"
#include "khttpd_ctl_util.h"

#define H "Host: t\r\n"
#define GET_ROOT "GET / HTTP/1.1\r\n" H "\r\n"
#define BIG_A (4 << 20)
#define BIG_B (3 << 20)
#define HEADER_TIMEOUT_MS 1500
#define SEND_TIMEOUT_MS 1500
#define MAX_CONNS 1000

static bool full(void)
{
	const char *f = getenv("KHTTPD_FULL");

	return f && *f == '1';
}

/* The byte at @i of the body with @seed: A and B differ everywhere. */
static unsigned char pat(size_t i, unsigned int seed)
{
	return (i * 131 + seed + i / 4093) & 0xff;
}

static long stat_read(const char *name)
{
	char path[128], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/khttpd/stats/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtol(buf, NULL, 10);
}

FIXTURE(hostile) {
	int kmsg;
	bool loaded;
	struct khttpd_ctl c;
	struct khttpd_client cl;
	struct khttpd_resp r;
	long connects;		/* TCP connections this test made */
	long accepted0, refused0, timed_out0;
};

/* A connection to the server, counted; -errno on failure. */
static int hconnect(FIXTURE_DATA(hostile) *self)
{
	int fd = khttpd_connect(KHTTPD_PORT);

	if (fd >= 0)
		self->connects++;
	return fd;
}

static int put_big(struct khttpd_ctl *c, size_t len, unsigned int seed)
{
	unsigned char *b = malloc(len);
	size_t i;
	int ret;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		b[i] = pat(i, seed);
	ret = khttpd_put(c, "/big", "application/octet-stream", b, len, NULL, 0);
	free(b);
	return ret;
}

FIXTURE_SETUP(hostile)
{
	char params[256];
	int ret;

	self->kmsg = khttpd_kmsg_mark(_metadata->name);
	self->cl.fd = -1;
	self->c.fd = -1;
	snprintf(params, sizeof(params), "port=%d header_timeout_ms=%d "
		 "send_timeout_ms=%d max_conns=%d keepalive_timeout_ms=600000",
		 KHTTPD_PORT,
		 HEADER_TIMEOUT_MS, SEND_TIMEOUT_MS, MAX_CONNS);
	ret = khttpd_load(params);
	ASSERT_EQ(0, ret) TH_LOG("insmod: %s", strerror(-ret));
	self->loaded = true;
	ASSERT_EQ(0, khttpd_ctl_open(&self->c, NULL, true));
	ASSERT_EQ(0, put_big(&self->c, BIG_A, 0));
	self->accepted0 = stat_read("conns_accepted");
	self->refused0 = stat_read("conns_refused");
	self->timed_out0 = stat_read("conns_timed_out");
	ASSERT_GE(self->accepted0, 0);
}

/*
 * After the attack: a normal request is answered, and once every client
 * is gone every connection is accounted for and none is left open.
 */
static void after_attack(struct __test_metadata *_metadata,
			 FIXTURE_DATA(hostile) *self)
{
	double t0 = khttpd_now();
	long acc, ref;
	int fd;

	fd = hconnect(self);
	ASSERT_GE(fd, 0);
	self->cl.fd = fd;
	self->cl.len = 0;
	ASSERT_EQ(0, khttpd_roundtrip(&self->cl, GET_ROOT, &self->r));
	EXPECT_EQ(200, self->r.status);
	EXPECT_STREQ("Hello, World!", self->r.body);
	khttpd_client_close(&self->cl);

	/* the server closes its ends as it sees the clients go */
	do {
		acc = stat_read("conns_accepted") - self->accepted0;
		ref = stat_read("conns_refused") - self->refused0;
		if (acc + ref == self->connects && !stat_read("conns_open"))
			break;
		usleep(50000);
	} while (khttpd_now() - t0 < 30);
	EXPECT_EQ(self->connects, acc + ref)
		TH_LOG("accepted %ld + refused %ld", acc, ref);
	EXPECT_EQ(0, stat_read("conns_open"));
}

FIXTURE_TEARDOWN(hostile)
{
	char bad[512] = "";

	khttpd_client_close(&self->cl);
	khttpd_ctl_close(&self->c);
	if (self->loaded)
		EXPECT_EQ(0, khttpd_unload());
	EXPECT_EQ(0, khttpd_kmsg_check(self->kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
}

/*
 * Wait up to @ms for the server to end the connection; what it sent
 * before, if anything, is returned in @got.  True if it closed.
 */
static bool sees_end(int fd, int ms, char *got, size_t cap)
{
	size_t have = 0;
	double t0 = khttpd_now();

	if (cap)
		got[0] = '\0';
	while ((khttpd_now() - t0) * 1000 < ms) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char tmp[4096];
		ssize_t n;

		if (poll(&p, 1, 100) != 1)
			continue;
		n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n <= 0)
			return n == 0 || errno != EAGAIN;
		if (have + 1 < cap) {
			size_t k = n < (ssize_t)(cap - have - 1) ? n : cap - have - 1;

			memcpy(got + have, tmp, k);
			have += k;
			got[have] = '\0';
		}
	}
	return false;
}

/* Headers trickled a byte at a time: the deadline is not pushed back. */
/* KHTTPD_FULL=1 takes far longer than the harness's 30 s default */
TEST_F_TIMEOUT(hostile, slowloris_trickle_and_hold, 300)
{
	int n = full() ? 200 : 40, i, fds[200];
	const char *req = "GET / HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaa\r\n";
	double t0 = khttpd_now();
	char got[256];
	size_t k;
	bool closed = false;

	for (i = 0; i < n; i++) {
		fds[i] = hconnect(self);
		ASSERT_GE(fds[i], 0);
		/* the held ones: an incomplete head, then silence */
		ASSERT_EQ(0, khttpd_send_str(fds[i], "GET / HTTP/1.1\r\nX-Held: 1\r\n"));
	}
	/* one trickler on fds[0]: a byte every 100 ms past the timeout */
	for (k = 0; !closed && khttpd_now() - t0 < 4 * HEADER_TIMEOUT_MS / 1000.0;
	     k++) {
		if (send(fds[0], req + k % strlen(req), 1, MSG_NOSIGNAL) < 0)
			closed = true;
		closed = closed || sees_end(fds[0], 100, got, sizeof(got));
	}
	EXPECT_TRUE(closed) TH_LOG("a trickling client outlived the header timeout");
	EXPECT_GE(khttpd_now() - t0, HEADER_TIMEOUT_MS / 1000.0 * 0.9);
	for (i = 1; i < n; i++) {
		EXPECT_TRUE(sees_end(fds[i], 10000, got, sizeof(got)))
			TH_LOG("held connection %d not closed", i);
		EXPECT_TRUE(!got[0] || !strncmp(got, "HTTP/1.1 408", 12))
			TH_LOG("got: %.60s", got);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	EXPECT_GE(stat_read("conns_timed_out") - self->timed_out0, n - 1);
	after_attack(_metadata, self);
}

/* Past every limit: request line, header count, header bytes. */
TEST_F_TIMEOUT(hostile, floods_past_every_limit, 300)
{
	static const struct {
		const char *what, *status;
	} cases[] = {
		{ "request line", "414" },
		{ "header fields", "431" },
		{ "header bytes", "431" },
		{ "endless header", NULL },
	};
	size_t big = 1 << 20, i, k;
	char *buf = malloc(big + 64), got[256];
	int c, fd;

	ASSERT_NE(NULL, buf);
	for (c = 0; c < 4; c++) {
		fd = hconnect(self);
		ASSERT_GE(fd, 0);
		switch (c) {
		case 0:	/* 64 KiB of target */
			i = sprintf(buf, "GET /");
			memset(buf + i, 'a', 65536);
			i += 65536;
			i += sprintf(buf + i, " HTTP/1.1\r\n" H "\r\n");
			break;
		case 1:	/* 1000 fields */
			i = sprintf(buf, "GET / HTTP/1.1\r\n" H);
			for (k = 0; k < 1000; k++)
				i += sprintf(buf + i, "X-%zu: v\r\n", k);
			i += sprintf(buf + i, "\r\n");
			break;
		case 2:	/* one 64 KiB field */
			i = sprintf(buf, "GET / HTTP/1.1\r\n" H "X-Big: ");
			memset(buf + i, 'b', 65536);
			i += 65536;
			i += sprintf(buf + i, "\r\n\r\n");
			break;
		default: /* a megabyte of head that never ends */
			i = sprintf(buf, "GET / HTTP/1.1\r\n" H "X-Endless: ");
			memset(buf + i, 'c', big - i);
			i = big;
			break;
		}
		/* the server may stop reading and close: a failed send is fine */
		khttpd_send_all(fd, buf, i);
		EXPECT_TRUE(sees_end(fd, 10000, got, sizeof(got)))
			TH_LOG("%s: connection left open", cases[c].what);
		if (cases[c].status && got[0]) {
			EXPECT_EQ(0, strncmp(got + 9, cases[c].status, 3))
				TH_LOG("%s: got %.40s", cases[c].what, got);
		} else if (got[0]) {
			EXPECT_EQ(0, strncmp(got, "HTTP/1.1 4", 10))
				TH_LOG("%s: got %.40s", cases[c].what, got);
		}
		close(fd);
	}
	free(buf);
	after_attack(_metadata, self);
}

/*
 * Ten thousand connection attempts (make check: three thousand) against
 * max_conns: those over the cap get a 503, the ones held before the flood
 * keep being served.
 */
TEST_F_TIMEOUT(hostile, connection_flood_past_max_conns, 900)
{
	int total = full() ? 10000 : 3000, batch = 1500, held = 10;
	int fds[1500], keep[10], i, n, done = 0, ok = 0, busy = 0;
	struct khttpd_client *cl = malloc(sizeof(*cl));

	ASSERT_NE(NULL, cl);
	/* served once, so idle keep-alive (not awaiting a head) */
	for (i = 0; i < held; i++) {
		keep[i] = hconnect(self);
		ASSERT_GE(keep[i], 0);
		cl->fd = keep[i];
		cl->len = 0;
		ASSERT_EQ(0, khttpd_roundtrip(cl, GET_ROOT, &self->r));
	}
	while (done < total) {
		n = total - done < batch ? total - done : batch;
		/*
		 * Ask at once: opening a batch can outlast the header timeout
		 * on a slow (debug) kernel, and an accepted connection with
		 * no request would be closed before we ask.
		 */
		for (i = 0; i < n; i++) {
			fds[i] = hconnect(self);
			ASSERT_GE(fds[i], 0) TH_LOG("connect %d: %s", done + i,
						    strerror(-fds[i]));
			khttpd_send_str(fds[i], GET_ROOT);
		}
		for (i = 0; i < n; i++) {
			cl->fd = fds[i];
			cl->len = 0;
			/* a refused one may be reset before it is answered */
			if (khttpd_read_response(cl, &self->r, false))
				continue;
			EXPECT_TRUE(self->r.status == 200 || self->r.status == 503)
				TH_LOG("status %d", self->r.status);
			ok += self->r.status == 200;
			busy += self->r.status == 503;
		}
		for (i = 0; i < held; i++) {
			cl->fd = keep[i];
			cl->len = 0;
			ASSERT_EQ(0, khttpd_roundtrip(cl, GET_ROOT, &self->r));
			EXPECT_EQ(200, self->r.status);
		}
		for (i = 0; i < n; i++)
			close(fds[i]);
		done += n;
	}
	for (i = 0; i < held; i++)
		close(keep[i]);
	free(cl);
	EXPECT_GT(busy, 0);
	EXPECT_GT(ok, 0);
	EXPECT_GE(stat_read("conns_refused") - self->refused0, busy);
	after_attack(_metadata, self);
}

/* Random bytes, some after a plausible start: only HTTP comes back. */
TEST_F_TIMEOUT(hostile, random_bytes, 300)
{
	int n = full() ? 1000 : 150, i;
	unsigned int seed = 12345;
	char buf[8192], got[64];

	for (i = 0; i < n; i++) {
		size_t len = 1 + rand_r(&seed) % (sizeof(buf) - 1), k = 0, j;
		int fd = hconnect(self);

		ASSERT_GE(fd, 0);
		if (i % 3 == 0)
			k = sprintf(buf, "GET /%d HTTP/1.1\r\n", i);
		for (j = k; j < len; j++)
			buf[j] = rand_r(&seed);
		khttpd_send_all(fd, buf, len);
		shutdown(fd, SHUT_WR);
		EXPECT_TRUE(sees_end(fd, 10000, got, sizeof(got))) TH_LOG("input %d", i);
		if (got[0]) {
			EXPECT_EQ(0, strncmp(got, "HTTP/1.", 7))
				TH_LOG("input %d: %.40s", i, got);
		}
		close(fd);
	}
	after_attack(_metadata, self);
}

/* A reset (SO_LINGER 0) while a 4 MiB answer is being sent. */
TEST_F_TIMEOUT(hostile, reset_in_the_middle_of_a_large_answer, 300)
{
	int n = full() ? 200 : 40, i;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char buf[65536];

	for (i = 0; i < n; i++) {
		int fd = hconnect(self);
		size_t want = 1 + (i * 7919) % sizeof(buf), have = 0;

		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, khttpd_send_str(fd, "GET /big HTTP/1.1\r\n" H "\r\n"
					     "GET /big HTTP/1.1\r\n" H "\r\n"));
		while (have < want) {
			ssize_t r = recv(fd, buf, want - have, 0);

			ASSERT_GT(r, 0);
			have += r;
		}
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	after_attack(_metadata, self);
}

/* Half-closes: before the request ends, and after it. */
TEST_F_TIMEOUT(hostile, half_close, 300)
{
	char got[256];
	int fd;

	/* complete request, then FIN: the answer comes, then the end */
	fd = hconnect(self);
	ASSERT_GE(fd, 0);
	self->cl.fd = fd;
	self->cl.len = 0;
	ASSERT_EQ(0, khttpd_send_str(fd, GET_ROOT));
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	ASSERT_EQ(0, khttpd_read_response(&self->cl, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_TRUE(khttpd_client_sees_close(&self->cl, 10000));
	khttpd_client_close(&self->cl);

	/* half a request, then FIN: closed, with nothing or a 400 */
	fd = hconnect(self);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, khttpd_send_str(fd, "GET / HTTP/1.1\r\nHo"));
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	EXPECT_TRUE(sees_end(fd, 10000, got, sizeof(got)));
	EXPECT_TRUE(!got[0] || !strncmp(got, "HTTP/1.1 400", 12)) TH_LOG("%.40s", got);
	close(fd);

	/* FIN in the middle of a large answer it keeps sending */
	fd = hconnect(self);
	ASSERT_GE(fd, 0);
	self->cl.fd = fd;
	self->cl.len = 0;
	ASSERT_EQ(0, khttpd_send_str(fd, "GET /big HTTP/1.1\r\n" H "\r\n"));
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	{
		size_t total = 0;
		ssize_t r;

		while ((r = recv(fd, self->r.body, sizeof(self->r.body), 0)) > 0)
			total += r;
		EXPECT_EQ(0, r);
		EXPECT_GT(total, (size_t)BIG_A);
	}
	khttpd_client_close(&self->cl);
	after_attack(_metadata, self);
}

/* Clients that never read: reset after send_timeout, others served. */
TEST_F_TIMEOUT(hostile, clients_that_never_read, 300)
{
	int n = full() ? 50 : 10, i, fds[50];
	double t0;
	char req[8 * 64] = "";

	for (i = 0; i < 8; i++)
		strcat(req, "GET /big HTTP/1.1\r\n" H "\r\n");
	for (i = 0; i < n; i++) {
		int small = 4096;

		fds[i] = hconnect(self);
		ASSERT_GE(fds[i], 0);
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		ASSERT_EQ(0, khttpd_send_str(fds[i], req));
	}
	/* meanwhile, a normal client is served */
	self->cl.fd = hconnect(self);
	ASSERT_GE(self->cl.fd, 0);
	self->cl.len = 0;
	ASSERT_EQ(0, khttpd_roundtrip(&self->cl, GET_ROOT, &self->r));
	EXPECT_EQ(200, self->r.status);
	khttpd_client_close(&self->cl);
	t0 = khttpd_now();
	while (stat_read("conns_timed_out") - self->timed_out0 < n &&
	       khttpd_now() - t0 < 30)
		usleep(100000);
	EXPECT_GE(stat_read("conns_timed_out") - self->timed_out0, n);
	for (i = 0; i < n; i++)
		close(fds[i]);
	after_attack(_metadata, self);
}

/* A thousand pipelined requests in one write, answered in order. */
TEST_F_TIMEOUT(hostile, thousand_pipelined_requests, 300)
{
	int n = 1000, i;
	size_t len = 0;
	char *req = malloc(n * 64);

	ASSERT_NE(NULL, req);
	for (i = 0; i < n; i++)
		len += sprintf(req + len, "GET /%s HTTP/1.1\r\n" H "\r\n",
			       i % 10 == 9 ? "nope" : "");
	self->cl.fd = hconnect(self);
	ASSERT_GE(self->cl.fd, 0);
	self->cl.len = 0;
	ASSERT_EQ(0, khttpd_send_all(self->cl.fd, req, len));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, khttpd_read_response(&self->cl, &self->r, false))
			TH_LOG("response %d", i);
		ASSERT_EQ(i % 10 == 9 ? 404 : 200, self->r.status) TH_LOG("response %d", i);
	}
	khttpd_client_close(&self->cl);
	free(req);
	after_attack(_metadata, self);
}

/*
 * /big replaced (4 MiB <-> 3 MiB) and deleted while readers download it:
 * every answer is one whole version or a 404, never a mix.
 */
TEST_F_TIMEOUT(hostile, content_replaced_and_deleted_while_sent, 300)
{
	int readers = 3, rounds = full() ? 60 : 15, i, status;
	long *res = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t kids[3];

	ASSERT_NE(MAP_FAILED, res);
	res[0] = 1;		/* running */
	for (i = 0; i < readers; i++) {
		kids[i] = fork();
		ASSERT_GE(kids[i], 0);
		if (kids[i])
			continue;
		{
			unsigned char *body = malloc(BIG_A);
			struct khttpd_client *c = malloc(sizeof(*c));

			while (__atomic_load_n(&res[0], __ATOMIC_RELAXED)) {
				struct khttpd_resp *r = malloc(sizeof(*r));
				size_t have, j;
				unsigned int seed;
				int st;

				if (khttpd_client_open(c, KHTTPD_PORT))
					_exit(2);
				__atomic_add_fetch(&res[4], 1, __ATOMIC_RELAXED);
				khttpd_send_str(c->fd, "GET /big HTTP/1.1\r\nHost: t\r\n"
						"Connection: close\r\n\r\n");
				/* the head, then the body by hand: it is large */
				st = khttpd_read_response(c, r, true);
				if (st || (r->status != 200 && r->status != 404)) {
					__atomic_add_fetch(&res[1], 1, __ATOMIC_RELAXED);
					goto next;
				}
				if (r->status == 404)
					goto next;
				have = c->len < (size_t)r->content_length ? c->len :
				       (size_t)r->content_length;
				memcpy(body, c->buf, have);
				while (have < (size_t)r->content_length) {
					ssize_t k = recv(c->fd, body + have,
							 r->content_length - have, 0);
					if (k <= 0)
						break;
					have += k;
				}
				seed = r->content_length == BIG_A ? 0 : 77;
				for (j = 0; j < have && body[j] == pat(j, seed); j++)
					;
				if (have != (size_t)r->content_length || j != have ||
				    (r->content_length != BIG_A &&
				     r->content_length != BIG_B))
					__atomic_add_fetch(&res[1], 1, __ATOMIC_RELAXED);
				else
					__atomic_add_fetch(&res[2], 1, __ATOMIC_RELAXED);
next:
				free(r);
				khttpd_client_close(c);
			}
			_exit(0);
		}
	}
	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(0, put_big(&self->c, i % 2 ? BIG_A : BIG_B, i % 2 ? 0 : 77));
		usleep(100000);
		if (i % 3 == 2) {
			ASSERT_EQ(0, khttpd_del(&self->c, "/big"));
			usleep(50000);
		}
	}
	__atomic_store_n(&res[0], 0, __ATOMIC_RELAXED);
	for (i = 0; i < readers; i++) {
		ASSERT_EQ(kids[i], waitpid(kids[i], &status, 0));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	EXPECT_EQ(0, res[1]) TH_LOG("%ld answers were wrong", res[1]);
	EXPECT_GT(res[2], 0);
	self->connects += res[4];
	munmap(res, 4096);
	after_attack(_metadata, self);
}

/*
 * Urgent data (MSG_OOB) has no meaning in HTTP: a connection that sends
 * it is closed (EOF or reset) within a generous deadline, whether the
 * urgent byte cuts a request head, follows a whole request in the same
 * segment, or comes in the middle of a pipelined burst; others are
 * served meanwhile.  (Before the fast path the byte was skipped and the
 * request answered; so this needs a module with KHTTPD_F_FASTPATH.)
 */
TEST_F_TIMEOUT(hostile, urgent_byte_closes_the_connection, 300)
{
	struct khttpd_version v = { .size = sizeof(v) };
	char burst[4096], got[8192];
	int c, fd, i;
	size_t n;

	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_VERSION, &v, sizeof(v)));
	if (!(v.features & KHTTPD_F_FASTPATH))
		SKIP(return, "this khttpd skips urgent data (no KHTTPD_F_FASTPATH)");
	for (n = 0, i = 0; i < 20; i++)
		n += sprintf(burst + n, "GET / HTTP/1.1\r\n" H "\r\n");
	for (c = 0; c < 4; c++) {
		fd = hconnect(self);
		ASSERT_GE(fd, 0);
		self->cl.fd = fd;
		self->cl.len = 0;
		switch (c) {
		case 0:	/* answered once, then a head cut by the urgent byte */
			ASSERT_EQ(0, khttpd_roundtrip(&self->cl, GET_ROOT, &self->r));
			ASSERT_EQ(200, self->r.status);
			ASSERT_EQ(0, khttpd_send_str(fd, "GET / HTTP/1.1\r\nHo"));
			usleep(20000);
			ASSERT_EQ(1, send(fd, "!", 1, MSG_OOB | MSG_NOSIGNAL));
			khttpd_send_str(fd, "st: t\r\n\r\n");
			break;
		case 1:	/* a whole request, the urgent byte in its segment */
			ASSERT_EQ(0, khttpd_send_str(fd, "GET / HTTP/1.1\r\n" H "\r\n"));
			ASSERT_EQ(1, send(fd, "!", 1, MSG_OOB | MSG_NOSIGNAL));
			break;
		case 2:	/* on a fresh connection, before any request */
			ASSERT_EQ(1, send(fd, "!", 1, MSG_OOB | MSG_NOSIGNAL));
			khttpd_send_str(fd, GET_ROOT);
			break;
		default: /* in the middle of a pipelined burst */
			ASSERT_EQ(0, khttpd_send_all(fd, burst, n / 2 + 7));
			ASSERT_EQ(1, send(fd, "!", 1, MSG_OOB | MSG_NOSIGNAL));
			khttpd_send_all(fd, burst + n / 2 + 7, n - n / 2 - 7);
			break;
		}
		/* meanwhile another client is served */
		{
			struct khttpd_client *o = malloc(sizeof(*o));

			ASSERT_NE(NULL, o);
			o->fd = hconnect(self);
			ASSERT_GE(o->fd, 0);
			o->len = 0;
			ASSERT_EQ(0, khttpd_roundtrip(o, GET_ROOT, &self->r));
			EXPECT_EQ(200, self->r.status);
			khttpd_client_close(o);
			free(o);
		}
		EXPECT_TRUE(sees_end(fd, 10000, got, sizeof(got)))
			TH_LOG("case %d: connection with urgent data left open", c);
		/* what came before the end is whole answers, never more than sent */
		EXPECT_TRUE(!got[0] || !strncmp(got, "HTTP/1.1 ", 9))
			TH_LOG("case %d: got %.40s", c, got);
		khttpd_client_close(&self->cl);
	}
	after_attack(_metadata, self);
}

TEST_HARNESS_MAIN
