// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path: whole GET/HEAD requests answered in the socket's
 * data_ready callback (softirq, on the CPU of the connection's worker),
 * everything else handed to the worker thread as before, in order.
 *
 * These tests hold the two ways of answering to one stream: requests cut
 * so that part is answered in softirq and part by the worker, with a body
 * or a "Connection: close" in the middle; a send buffer that fills in the
 * middle of a burst; clients that reset while being answered; content
 * replaced and deleted under a keep-alive hammer; rmmod under that load;
 * and the fastpath setting with its counters (requests_fast,
 * fast_handoffs).  The stream tests run with the fast path on (the
 * default), off, on with zerocopy=0, and on with lo's packets steered by
 * RPS to CPU 0 (so that the callback interrupts the worker's thread, as
 * with a NIC), a variant each, and assert only what HTTP requires, so
 * that they hold for all; the setting's tests (fixture fastset) SKIP on
 * a module without the feature.  Each test fails on a kernel splat and ends by checking
 * that the server still answers and that no connection is left open.
 */
#include <sched.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"
#include "khttpd_ctl_util.h"


#define H "Host: t\r\n"
#define GET_ROOT "GET / HTTP/1.1\r\n" H "\r\n"
#define NPATHS 40

#define FAST_DATA							\
	int kmsg;							\
	bool loaded;							\
	bool has_fastpath;	/* the module has the setting and counters */ \
	struct khttpd_ctl c;						\
	struct khttpd_client *cl;					\
	struct khttpd_resp *r;						\
	char *body[NPATHS]	/* what /p/<i> holds */

FIXTURE(fast) {
	FAST_DATA;
};

/*
 * The setting and its counters: no variants (each test sets the fast path
 * itself), the same data (the helpers take a "fast" one).
 */
FIXTURE(fastset) {
	FAST_DATA;
};

FIXTURE_VARIANT(fast) {
	int fastpath;		/* -1: the module's default */
	bool copy;		/* zerocopy=0: TCP copies, in softirq too */
	bool rps;		/* lo's packets steered to CPU 0 */
};

FIXTURE_VARIANT_ADD(fast, on) {
	.fastpath = -1,
};

FIXTURE_VARIANT_ADD(fast, off) {
	.fastpath = 0,
};

FIXTURE_VARIANT_ADD(fast, on_copy) {
	.fastpath = -1,
	.copy = true,
};

/*
 * Receive packet steering of lo to CPU 0, clients on another CPU: every
 * connection is accepted by worker 0 and its packets are processed in
 * softirq on CPU 0, raised by IPI wherever worker 0's thread is (over
 * plain loopback the softirq runs in the sending client's context, never
 * in the middle of the worker's code).  As a NIC's interrupts would.
 */
FIXTURE_VARIANT_ADD(fast, on_rps) {
	.fastpath = -1,
	.rps = true,
};

static long long stat_read(const char *name)
{
	char path[128];
	unsigned long long v;

	snprintf(path, sizeof(path), "stats/%s", name);
	return khttpd_sysfs_read(path, &v) ? -1 : (long long)v;
}

struct counts {
	long long req, fast, handoffs;
};

static struct counts counts(void)
{
	struct counts c = {
		stat_read("requests"), stat_read("requests_fast"),
		stat_read("fast_handoffs"),
	};

	return c;
}

static bool module_has_fastpath(struct khttpd_ctl *c)
{
	struct khttpd_version v = { .size = sizeof(v) };

	if (khttpd_ctl_cmd(c, KHTTPD_CMD_VERSION, &v, sizeof(v)))
		return false;
	return (v.features & KHTTPD_F_FASTPATH) &&
	       access("/sys/kernel/khttpd/fastpath", F_OK) == 0 &&
	       access("/sys/kernel/khttpd/stats/requests_fast", F_OK) == 0 &&
	       access("/sys/kernel/khttpd/stats/fast_handoffs", F_OK) == 0;
}

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

#define LO_RPS "/sys/class/net/lo/queues/rx-0/rps_cpus"
/* with the on_rps variant: lo steered to CPU 0, clients kept off it */
static bool rps_on;

/*
 * Run on CPU @cpu only.  Over loopback the packets' softirq runs on the
 * sender's CPU, and the listener of that CPU (SO_INCOMING_CPU) accepts,
 * so a pinned client is one the fast path can answer.
 */
static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	if (rps_on)
		cpu = 1 + cpu % (ncpus() - 1);
	CPU_SET(cpu % ncpus(), &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static void unpin(void)
{
	cpu_set_t s;
	int i;

	CPU_ZERO(&s);
	for (i = rps_on; i < ncpus(); i++)
		CPU_SET(i, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

/* Body of /p/<i>: its number, then a run of one letter; lengths differ. */
static char *make_body(int i)
{
	size_t len = 7 + (i * 37) % 300, k;
	char *b = malloc(len + 1);

	if (!b)
		return NULL;
	k = snprintf(b, len + 1, "p%02d:", i);
	memset(b + k, 'a' + i % 26, len - k);
	b[len] = '\0';
	return b;
}

static int load(struct __test_metadata *_metadata, FIXTURE_DATA(fast) *self,
		const char *params)
{
	int ret = khttpd_load(params);

	if (ret)
		return ret;
	self->loaded = true;
	ret = khttpd_ctl_open(&self->c, NULL, true);
	if (ret)
		return ret;
	self->has_fastpath = module_has_fastpath(&self->c);
	return 0;
}

/* Load with keep-alive and send timeouts no test can reach, fill /p/. */
static void fp_setup(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fast) *self, int fastpath, bool copy, bool rps)
{
	char params[256];
	int i, ret;

	self->kmsg = khttpd_kmsg_mark(_metadata->name);
	self->c.fd = -1;
	self->cl = malloc(sizeof(*self->cl));
	self->r = malloc(sizeof(*self->r));
	ASSERT_NE(NULL, self->cl);
	ASSERT_NE(NULL, self->r);
	self->cl->fd = -1;
	snprintf(params, sizeof(params),
		 "port=%d keepalive_timeout_ms=600000 send_timeout_ms=60000",
		 KHTTPD_PORT);
	ret = load(_metadata, self, params);
	ASSERT_EQ(0, ret) TH_LOG("insmod: %s", strerror(-ret));
	if (fastpath >= 0) {
		if (!self->has_fastpath) {
			/* teardown runs only after a setup that completed */
			khttpd_ctl_close(&self->c);
			khttpd_unload();
			khttpd_kmsg_check(self->kmsg, NULL, 0);
			SKIP(return, "this khttpd has no fast path to turn off");
		}
		ASSERT_EQ(0, khttpd_sysfs_write("fastpath", fastpath ? "1" : "0"));
	}
	if (copy)
		ASSERT_EQ(0, khttpd_sysfs_write("zerocopy", "0"));
	if (rps) {
		if (ncpus() < 2 || khttpd_sysfs_write(LO_RPS, "1")) {
			khttpd_ctl_close(&self->c);
			khttpd_unload();
			khttpd_kmsg_check(self->kmsg, NULL, 0);
			SKIP(return, "no second CPU, or no RPS on lo");
		}
		rps_on = true;
		unpin();	/* the test itself off CPU 0 too */
	}
	for (i = 0; i < NPATHS; i++) {
		char path[16];

		self->body[i] = make_body(i);
		ASSERT_NE(NULL, self->body[i]);
		snprintf(path, sizeof(path), "/p/%d", i);
		ASSERT_EQ(0, khttpd_put(&self->c, path, "text/plain", self->body[i],
					strlen(self->body[i]), NULL, 0));
	}
}

static void fp_teardown(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fast) *self)
{
	char bad[512] = "";
	int i;

	if (self->cl)
		khttpd_client_close(self->cl);
	khttpd_ctl_close(&self->c);
	if (rps_on) {
		EXPECT_EQ(0, khttpd_sysfs_write(LO_RPS, "0"));
		rps_on = false;
	}
	if (khttpd_loaded())
		EXPECT_EQ(0, khttpd_unload());
	EXPECT_EQ(0, khttpd_kmsg_check(self->kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
	for (i = 0; i < NPATHS; i++)
		free(self->body[i]);
	free(self->cl);
	free(self->r);
}

FIXTURE_SETUP(fast)
{
	fp_setup(_metadata, self, variant->fastpath, variant->copy, variant->rps);
}

FIXTURE_TEARDOWN(fast)
{
	fp_teardown(_metadata, self);
}

FIXTURE_SETUP(fastset)
{
	fp_setup(_metadata, (FIXTURE_DATA(fast) *)self, -1, false, false);
	if (!self->has_fastpath) {
		khttpd_ctl_close(&self->c);
		khttpd_unload();
		khttpd_kmsg_check(self->kmsg, NULL, 0);
		SKIP(return, "this khttpd has no fast path (KHTTPD_F_FASTPATH)");
	}
}

FIXTURE_TEARDOWN(fastset)
{
	fp_teardown(_metadata, (FIXTURE_DATA(fast) *)self);
}

/*
 * After each test: a new client is answered, and once every client is
 * gone no connection is left open (polled: the server closes its ends as
 * it sees the clients go).
 */
static void still_serves(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fast) *self)
{
	double t0 = khttpd_now();
	long long open_conns;

	khttpd_client_close(self->cl);
	ASSERT_EQ(0, khttpd_client_open(self->cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(self->cl, GET_ROOT, self->r));
	EXPECT_EQ(200, self->r->status);
	EXPECT_STREQ("Hello, World!", self->r->body);
	khttpd_client_close(self->cl);
	do {
		open_conns = stat_read("conns_open");
		if (!open_conns)
			break;
		usleep(50000);
	} while (khttpd_now() - t0 < 60);
	EXPECT_EQ(0, open_conns);
}

/* "GET /p/<i>" with @extra header lines, appended at @out; its length. */
static size_t req_p(char *out, int i, const char *extra)
{
	return sprintf(out, "GET /p/%d HTTP/1.1\r\n" H "%s\r\n", i,
		       extra ? extra : "");
}

/* Nothing buffered, and nothing arrives (no byte, no end) for @ms. */
static bool nothing_more(struct khttpd_client *c, int ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	return !c->len && poll(&p, 1, ms) == 0;
}

/*
 * Read one answer and require it to be /p/<i>'s, whole: status, length
 * and every byte of the body.
 */
static void expect_p(struct __test_metadata *_metadata,
		     FIXTURE_DATA(fast) *self, int i, const char *what, int k)
{
	int ret = khttpd_read_response(self->cl, self->r, false);

	ASSERT_EQ(0, ret) TH_LOG("%s %d: answer for /p/%d: %s", what, k, i,
				 strerror(-ret));
	ASSERT_EQ(200, self->r->status) TH_LOG("%s %d: /p/%d", what, k, i);
	ASSERT_EQ((long)strlen(self->body[i]), self->r->content_length)
		TH_LOG("%s %d: /p/%d", what, k, i);
	ASSERT_STREQ(self->body[i], self->r->body)
		TH_LOG("%s %d: answer out of order or mixed", what, k);
}

/*
 * Ten whole requests and part of an eleventh in one write, then (after a
 * pause, so that the first write is answered alone) the rest of it and
 * ten more: the first ten can be answered in softirq, the eleventh needs
 * its start kept, and the answers must come in order, byte for byte.  The
 * cut is moved through every byte of the eleventh request, its "\r\n\r\n"
 * included.
 */
TEST_F_TIMEOUT(fast, pipeline_cut_between_softirq_and_worker, 300)
{
	char buf[8192], r11[128];
	struct counts a = counts(), b;
	size_t len11, cut, n;
	int i, round = 0;

	/* with its worker: the fast path answers only on that CPU */
	pin(0);
	len11 = req_p(r11, 10, NULL);
	ASSERT_EQ(0, khttpd_client_open(self->cl, KHTTPD_PORT));
	for (cut = 1; cut < len11; cut++, round++) {
		int base = round % 2 ? 20 : 0;	/* change the paths each round */

		n = 0;
		for (i = 0; i < 10; i++)
			n += req_p(buf + n, base + i, NULL);
		len11 = req_p(r11, base + 10, NULL);
		memcpy(buf + n, r11, cut);
		n += cut;
		ASSERT_EQ(0, khttpd_send_all(self->cl->fd, buf, n));
		/* the ten are answered before the rest is sent */
		for (i = 0; i < 10; i++)
			expect_p(_metadata, self, base + i, "cut", (int)cut);
		usleep(10000);	/* not a condition: a chance to go wrong */
		n = len11 - cut;
		memcpy(buf, r11 + cut, n);
		for (i = 11; i < 20; i++)
			n += req_p(buf + n, base + i, NULL);
		ASSERT_EQ(0, khttpd_send_all(self->cl->fd, buf, n));
		for (i = 10; i < 20; i++)
			expect_p(_metadata, self, base + i, "cut", (int)cut);
	}
	/* and the same with no pause: one write answered partly each way */
	n = 0;
	for (i = 0; i < NPATHS; i++)
		n += req_p(buf + n, i, NULL);
	for (cut = 1; cut < n; cut += 97) {
		ASSERT_EQ(0, khttpd_send_all(self->cl->fd, buf, cut));
		ASSERT_EQ(0, khttpd_send_all(self->cl->fd, buf + cut, n - cut));
		for (i = 0; i < NPATHS; i++)
			expect_p(_metadata, self, i, "two writes", (int)cut);
	}
	unpin();
	b = counts();
	TH_LOG("%lld requests, %lld in the callback, %lld handoffs",
	       b.req - a.req, b.fast - a.fast, b.handoffs - a.handoffs);
	/* the test is only worth its name if both paths answered */
	if (self->has_fastpath && variant->fastpath) {
		EXPECT_LT(0, b.fast - a.fast);
		EXPECT_LT(0, b.handoffs - a.handoffs);
		EXPECT_LT(b.fast - a.fast, b.req - a.req);
	}
	still_serves(_metadata, self);
}

/*
 * A request with a body in the middle of a pipeline: the body is skipped,
 * never taken for a request, even though it is one (GET /p/39), and
 * wherever it is cut; the requests after it are answered in order.
 */
TEST_F_TIMEOUT(fast, body_in_the_middle_of_a_pipeline, 300)
{
	const char *inner = "GET /p/39 HTTP/1.1\r\n" H "\r\n";
	char buf[8192], head[256];
	size_t n, hlen, cut, total;
	int i;

	ASSERT_EQ(0, khttpd_client_open(self->cl, KHTTPD_PORT));
	hlen = snprintf(head, sizeof(head), "GET /p/3 HTTP/1.1\r\n" H
			"Content-Length: %zu\r\n\r\n", strlen(inner));
	/* one write: 3 requests, the one with the body, 5 more */
	n = 0;
	for (i = 0; i < 3; i++)
		n += req_p(buf + n, i, NULL);
	memcpy(buf + n, head, hlen);
	n += hlen;
	n += sprintf(buf + n, "%s", inner);
	for (i = 4; i < 9; i++)
		n += req_p(buf + n, i, NULL);
	total = n;
	ASSERT_EQ(0, khttpd_send_all(self->cl->fd, buf, n));
	for (i = 0; i < 9; i++)
		expect_p(_metadata, self, i, "one write", 0);

	/* the same stream in two writes, cut at every byte of head and body */
	for (cut = 1; cut < total; cut++) {
		ASSERT_EQ(0, khttpd_send_all(self->cl->fd, buf, cut));
		usleep(2000);
		ASSERT_EQ(0, khttpd_send_all(self->cl->fd, buf + cut, total - cut));
		for (i = 0; i < 9; i++)
			expect_p(_metadata, self, i, "cut", (int)cut);
	}
	/* nothing more: the inner request was never answered */
	EXPECT_TRUE(nothing_more(self->cl, 300));
	still_serves(_metadata, self);
}

/*
 * "Connection: close" in the middle of a pipeline: answered up to and
 * including it (that answer says close), then the connection ends; the
 * requests after it are not answered.  In one write and cut in two.
 */
TEST_F_TIMEOUT(fast, connection_close_in_the_middle, 300)
{
	char buf[8192];
	size_t n, total, cut;
	int i;

	n = 0;
	for (i = 0; i < 5; i++)
		n += req_p(buf + n, i, NULL);
	n += req_p(buf + n, 5, "Connection: close\r\n");
	for (i = 6; i < 12; i++)
		n += req_p(buf + n, i, NULL);
	total = n;
	for (cut = 0; cut < total; cut += cut < 40 ? 1 : 53) {
		khttpd_client_close(self->cl);
		ASSERT_EQ(0, khttpd_client_open(self->cl, KHTTPD_PORT));
		if (cut) {
			ASSERT_EQ(0, khttpd_send_all(self->cl->fd, buf, cut));
			usleep(2000);
		}
		/* the server may close before it reads all: a failed send is fine */
		khttpd_send_all(self->cl->fd, buf + cut, total - cut);
		for (i = 0; i < 6; i++)
			expect_p(_metadata, self, i, "cut", (int)cut);
		EXPECT_TRUE(self->r->conn_close) TH_LOG("cut %zu", cut);
		EXPECT_EQ(0, self->cl->len) TH_LOG("cut %zu: bytes after close",
						   cut);
		EXPECT_TRUE(khttpd_client_sees_close(self->cl, 10000))
			TH_LOG("cut %zu: not closed after Connection: close", cut);
	}
	still_serves(_metadata, self);
}

/*
 * A pipelining client that goes on sending after its "Connection: close"
 * request, one small write after another, from the worker's CPU: the
 * answer to that request is the last one, whatever arrives while the
 * worker is finishing and closing the connection (it closes after it let
 * go of the socket; a request arriving in between must not be answered
 * by the callback).  And the close is a lingering one, FIN rather than
 * a reset as far as the server can help it: a reset can destroy the
 * last answer before the client read it (RFC 9112 9.6), which is why the
 * server shuts its side and discards what still comes when requests
 * followed the close.
 */
TEST_F_TIMEOUT(fast, nothing_answered_after_connection_close, 300)
{
	int conns = 300, i, j, extra = 0, resets = 0, fd;
	ssize_t n;
	char req[128], close_req[128];
	struct counts a = counts(), b;
	double t0 = khttpd_now();

	req_p(req, 2, NULL);
	req_p(close_req, 1, "Connection: close\r\n");
	pin(0);
	for (i = 0; i < conns && khttpd_now() - t0 < 120; i++) {
		khttpd_client_close(self->cl);
		ASSERT_EQ(0, khttpd_client_open(self->cl, KHTTPD_PORT));
		fd = self->cl->fd;
		/* one answered on the way, so that the connection is served */
		req_p(self->r->body, 0, NULL);
		ASSERT_EQ(0, khttpd_send_str(fd, self->r->body));
		expect_p(_metadata, self, 0, "first", i);
		ASSERT_EQ(0, khttpd_send_str(fd, close_req));
		/* more, in separate writes, until the server stops taking them */
		for (j = 0; j < 40; j++) {
			if (khttpd_send_str(fd, req))
				break;
			if (j % 4 == 3)
				sched_yield();
		}
		expect_p(_metadata, self, 1, "close", i);
		ASSERT_TRUE(self->r->conn_close);
		/* then the end, and not a byte more (a reset may cut it short) */
		while ((n = khttpd_client_fill(self->cl)) > 0)
			;
		resets += n == -ECONNRESET;
		if (self->cl->len) {
			if (!extra++)
				TH_LOG("connection %d: after the close answer: %.60s", i,
				       self->cl->buf);
		}
	}
	unpin();
	b = counts();
	TH_LOG("%d connections (%d ended by a reset); %lld requests, %lld in the callback",
	       i, resets, b.req - a.req, b.fast - a.fast);
	EXPECT_EQ(0, extra) TH_LOG("%d connections answered after Connection: close",
				   extra);
	/*
	 * A request that arrives after the server's last look at its input
	 * meets a closed socket and gets a reset whatever the server does:
	 * this client keeps writing, so that can happen, rarely (1 in 300
	 * seen).  Missing what waits in the socket's backlog while the
	 * worker holds it reset 30 to 44% of them.
	 */
	EXPECT_LE(resets * 10, i) TH_LOG("%d of %d connections reset, not closed",
					 resets, i);
	still_serves(_metadata, self);
}

/* HEAD and GET interleaved: HEAD answers carry no body, in order. */
TEST_F_TIMEOUT(fast, head_and_get_interleaved, 120)
{
	char buf[8192];
	size_t n = 0;
	int i, ret;

	for (i = 0; i < 20; i++)
		n += sprintf(buf + n, "%s /p/%d HTTP/1.1\r\n" H "\r\n",
			     i % 3 ? "GET" : "HEAD", i);
	ASSERT_EQ(0, khttpd_client_open(self->cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_all(self->cl->fd, buf, n));
	for (i = 0; i < 20; i++) {
		if (i % 3) {
			expect_p(_metadata, self, i, "get", i);
			continue;
		}
		ret = khttpd_read_response(self->cl, self->r, true);
		ASSERT_EQ(0, ret) TH_LOG("head %d", i);
		ASSERT_EQ(200, self->r->status);
		ASSERT_EQ((long)strlen(self->body[i]), self->r->content_length);
	}
	still_serves(_metadata, self);
}

/* A pattern stored at /big/<k>: distinct for each k. */
static unsigned char bpat(size_t i, int k)
{
	return 'A' + (i * 7 + k * 11 + i / 251) % 58;
}

/*
 * A client with a small receive buffer sends many pipelined requests and
 * reads nothing until the server's send buffer has filled in the middle
 * of the burst; then it reads everything: every answer whole and in
 * order.  Returns whether the callback met that burst and handed it to
 * the worker (fast_handoffs grew).
 */
static bool burst_once(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fast) *self, int cpu, const char *req,
		       size_t n, int nreq, size_t size)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(KHTTPD_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = 10 };
	int fd, small = 4096, ret, i;
	long long h0;
	size_t j;

	/* the receive buffer must be small before the handshake */
	pin(cpu);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_GE(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	ASSERT_EQ(0, connect(fd, (struct sockaddr *)&sin, sizeof(sin)));
	self->cl->fd = fd;
	self->cl->len = 0;
	/*
	 * Served once first: a burst that arrives before the connection is
	 * set up goes to the worker without the callback ever looking at
	 * it.  A burst that arrives while the worker is still in the step
	 * that answered this goes to the worker too; the caller tries again.
	 */
	ASSERT_EQ(0, khttpd_send_str(fd, "GET /p/0 HTTP/1.1\r\n" H "\r\n"));
	expect_p(_metadata, self, 0, "first", 0);
	h0 = stat_read("fast_handoffs");
	/* in a few writes, so several callbacks meet a full buffer */
	for (j = 0; j < n; j += 2000) {
		ASSERT_EQ(0, khttpd_send_all(fd, req + j,
					     n - j < 2000 ? n - j : 2000));
		usleep(20000);
	}
	usleep(300000);	/* not a condition: let the buffer fill */
	unpin();
	for (i = 0; i < nreq; i++) {
		ret = khttpd_read_response(self->cl, self->r, false);
		ASSERT_EQ(0, ret) TH_LOG("size %zu: answer %d: %s", size, i,
					 strerror(-ret));
		ASSERT_EQ(200, self->r->status);
		ASSERT_EQ((long)size, self->r->content_length);
		for (j = 0; j < size && (unsigned char)self->r->body[j] ==
		     bpat(j, i % 4); j++)
			;
		ASSERT_EQ(size, j) TH_LOG("size %zu: answer %d differs at %zu",
					  size, i, j);
	}
	EXPECT_EQ(0, self->cl->len);
	khttpd_client_close(self->cl);
	return h0 < stat_read("fast_handoffs");
}

/*
 * The burst above, in answers that fill the send buffer slowly (1 KiB)
 * and at once (64 KiB).  With the fast path, the callback must have met
 * a burst it could not finish and handed it over; whether the first
 * burst reaches the callback or a worker still in its step depends on
 * scheduling, so it is tried up to eight times, every answer checked
 * each time.
 */
TEST_F_TIMEOUT(fast, send_buffer_fills_in_a_burst, 600)
{
	static const struct { size_t size; int n; } cases[] = {
		{ 1024, 400 }, { 65536, 40 },
	};
	unsigned int c;
	int k, i;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t size = cases[c].size, n = 0, j;
		int nreq = cases[c].n, tries = 0;
		char *req = malloc(nreq * 64), *b = malloc(size);
		bool want = self->has_fastpath && variant->fastpath;
		bool handed;

		ASSERT_NE(NULL, req);
		ASSERT_NE(NULL, b);
		for (k = 0; k < 4; k++) {
			char path[32];

			for (j = 0; j < size; j++)
				b[j] = bpat(j, k);
			snprintf(path, sizeof(path), "/big/%d", k);
			ASSERT_EQ(0, khttpd_put(&self->c, path,
						"application/octet-stream", b,
						size, NULL, 0));
		}
		for (i = 0; i < nreq; i++)
			n += sprintf(req + n, "GET /big/%d HTTP/1.1\r\n" H "\r\n",
				     i % 4);
		do {
			handed = burst_once(_metadata, self, c, req, n, nreq,
					    size);
			tries++;
		} while (want && !handed && tries < 8);
		if (want) {
			EXPECT_TRUE(handed)
				TH_LOG("size %zu: %d bursts, never handed over",
				       size, tries);
			if (handed && tries > 1)
				TH_LOG("size %zu: handed over at burst %d",
				       size, tries);
		}
		free(req);
		free(b);
	}
	still_serves(_metadata, self);
}

/*
 * Clients that reset (SO_LINGER 0) while they are being answered: forked,
 * on every CPU, after reading nothing, part, or all of the answers.  The
 * server goes on answering, and closes every connection.
 */
TEST_F_TIMEOUT(fast, resets_during_fast_answers, 300)
{
	int kids = 2 * ncpus(), rounds = 60, k, status;
	pid_t pid[16];

	if (kids > 16)
		kids = 16;
	for (k = 0; k < kids; k++) {
		pid[k] = fork();
		ASSERT_GE(pid[k], 0);
		if (pid[k])
			continue;
		pin(k);
		{
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };
			char buf[4096], got[8192];
			int i, j, bad = 0;

			for (i = 0; i < rounds; i++) {
				size_t n = 0, want = (i * 331 + k * 17) % 6000, have = 0;
				int fd = khttpd_connect(KHTTPD_PORT);

				if (fd < 0)
					_exit(2);
				for (j = 0; j < 20; j++)
					n += req_p(buf + n, (i + j) % NPATHS, NULL);
				if (khttpd_send_all(fd, buf, n))
					bad++;
				if (i % 5 == 1)		/* reset in the middle of a request */
					send(fd, "GET /p/1 HT", 11, MSG_NOSIGNAL);
				while (have < want) {
					ssize_t r = recv(fd, got, want - have < sizeof(got) ?
							 want - have : sizeof(got), 0);
					if (r <= 0) {
						bad++;
						break;
					}
					have += r;
				}
				setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
				close(fd);
			}
			_exit(bad ? 1 : 0);
		}
	}
	for (k = 0; k < kids; k++) {
		ASSERT_EQ(pid[k], waitpid(pid[k], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("client %d: status %#x", k, status);
	}
	still_serves(_metadata, self);
}

/* Versions of /x: "v<k>:" then a pattern; all lengths differ. */
#define NVER 8
static size_t ver_len(int k)
{
	return 40 + k * 113;
}

static void ver_fill(char *b, int k)
{
	size_t i, len = ver_len(k);

	i = sprintf(b, "v%d:", k);
	for (; i < len; i++)
		b[i] = 'a' + (i * 3 + k) % 26;
	b[len] = '\0';
}

struct hammer_res {
	long ok, notfound, wrong, errors;
	char first_wrong[256];
};

/*
 * /x replaced (each version with its own length and mtime) and deleted
 * while keep-alive clients on every CPU GET it, four requests pipelined
 * at a time: each answer is one whole version, its Content-Length and its
 * ETag the version's own (learnt before the hammer), or a 404.
 */
TEST_F_TIMEOUT(fast, content_replaced_while_answered, 300)
{
	int kids = ncpus() < 4 ? 2 * ncpus() : 4, rounds = 300, i, k, status;
	char (*etag)[64], (*ver)[NVER * 113 + 64];
	struct hammer_res *res;
	volatile int *running;
	pid_t pid[8];
	void *shm;

	shm = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shm);
	running = shm;
	res = (struct hammer_res *)((char *)shm + 64);
	etag = malloc(NVER * sizeof(*etag));
	ver = malloc(NVER * sizeof(*ver));
	ASSERT_NE(NULL, etag);
	ASSERT_NE(NULL, ver);
	ASSERT_EQ(0, khttpd_client_open(self->cl, KHTTPD_PORT));
	for (k = 0; k < NVER; k++) {
		ver_fill(ver[k], k);
		ASSERT_EQ(0, khttpd_put(&self->c, "/x", "text/plain", ver[k],
					ver_len(k), NULL, 1000000 + k));
		ASSERT_EQ(0, khttpd_roundtrip(self->cl, "GET /x HTTP/1.1\r\n" H "\r\n",
					      self->r));
		ASSERT_STREQ(ver[k], self->r->body);
		ASSERT_NE(NULL, khttpd_header(self->r, "ETag", etag[k], 64));
	}
	khttpd_client_close(self->cl);
	*running = 1;
	for (k = 0; k < kids; k++) {
		pid[k] = fork();
		ASSERT_GE(pid[k], 0);
		if (pid[k])
			continue;
		pin(k);
		{
			struct hammer_res *me = &res[k];
			struct khttpd_client *c = malloc(sizeof(*c));
			struct khttpd_resp *r = malloc(sizeof(*r));
			const char *q4 = "GET /x HTTP/1.1\r\n" H "\r\n"
					 "GET /x HTTP/1.1\r\n" H "\r\n"
					 "GET /x HTTP/1.1\r\n" H "\r\n"
					 "GET /x HTTP/1.1\r\n" H "\r\n";
			char tag[64];
			int v, j;

			if (!c || !r || khttpd_client_open(c, KHTTPD_PORT))
				_exit(2);
			while (*running) {
				if (khttpd_send_str(c->fd, q4)) {
					me->errors++;
					break;
				}
				for (j = 0; j < 4; j++) {
					const char *why = NULL;

					if (khttpd_read_response(c, r, false)) {
						me->errors++;
						_exit(3);
					}
					if (r->status == 404) {
						me->notfound++;
						continue;
					}
					if (r->status != 200 ||
					    sscanf(r->body, "v%d:", &v) != 1 ||
					    v < 0 || v >= NVER)
						why = "not a version";
					else if (r->content_length != (long)ver_len(v) ||
						 r->body_len != ver_len(v))
						why = "length";
					else if (strcmp(r->body, ver[v]))
						why = "body";
					else if (!khttpd_header(r, "ETag", tag, sizeof(tag)) ||
						 strcmp(tag, etag[v]))
						why = "etag";
					if (!why) {
						me->ok++;
						continue;
					}
					if (!me->wrong++)
						snprintf(me->first_wrong,
							 sizeof(me->first_wrong),
							 "%s: %d %.120s", why,
							 r->status, r->headers);
				}
			}
			_exit(0);
		}
	}
	for (i = 0; i < rounds; i++) {
		k = i % NVER;
		ASSERT_EQ(0, khttpd_put(&self->c, "/x", "text/plain", ver[k],
					ver_len(k), NULL, 1000000 + k));
		usleep(2000);
		if (i % 4 == 3) {
			ASSERT_EQ(0, khttpd_del(&self->c, "/x"));
			usleep(1000);
		}
	}
	*running = 0;
	for (k = 0; k < kids; k++) {
		ASSERT_EQ(pid[k], waitpid(pid[k], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("client %d: status %#x", k, status);
		TH_LOG("client %d: %ld whole versions, %ld 404, %ld wrong", k,
		       res[k].ok, res[k].notfound, res[k].wrong);
		EXPECT_EQ(0, res[k].wrong) TH_LOG("first: %s", res[k].first_wrong);
		EXPECT_EQ(0, res[k].errors);
		EXPECT_LT(0, res[k].ok);
	}
	free(etag);
	free(ver);
	munmap(shm, 1 << 16);
	still_serves(_metadata, self);
}

/*
 * Keep-alive clients on every CPU hammer the server while it is stopped
 * and unloaded (by sysfs then rmmod, and by rmmod alone): rmmod succeeds,
 * no splat, and every client sees its connection end (EOF, reset,
 * refused): none waits for an answer that never comes.  Then a fresh
 * load serves.
 */
TEST_F_TIMEOUT(fast, rmmod_under_fast_load, 300)
{
	int kids = 2 * ncpus() > 8 ? 8 : 2 * ncpus(), round, k, status, ret;
	struct { long answers, hangs, ended; } *res;
	volatile int *running;
	char params[128];
	pid_t pid[8];
	void *shm;

	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, shm);
	running = shm;
	res = (void *)((char *)shm + 64);
	snprintf(params, sizeof(params), "port=%d keepalive_timeout_ms=600000%s%s",
		 KHTTPD_PORT, variant->fastpath == 0 ? " fastpath=0" : "",
		 variant->copy ? " zerocopy=0" : "");
	for (round = 0; round < 6; round++) {
		double t0;
		long total;

		memset(res, 0, kids * sizeof(*res));
		*running = 1;
		for (k = 0; k < kids; k++) {
			pid[k] = fork();
			ASSERT_GE(pid[k], 0);
			if (pid[k])
				continue;
			pin(k);
			{
				struct khttpd_client *c = malloc(sizeof(*c));
				struct khttpd_resp *r = malloc(sizeof(*r));
				int i;

				/* an open /dev/khttpd would hold the module */
				khttpd_ctl_close(&self->c);
				if (!c || !r)
					_exit(2);
				c->fd = -1;
				while (*running) {
					if (c->fd < 0 && khttpd_client_open(c, KHTTPD_PORT)) {
						if (!*running)
							break;
						usleep(1000);	/* refused: unloaded */
						continue;
					}
					for (i = 0; i < 3; i++)
						if (khttpd_send_str(c->fd, GET_ROOT))
							break;
					for (; i > 0; i--) {
						ret = khttpd_read_response(c, r, false);
						if (ret == -EAGAIN || ret == -ETIMEDOUT) {
							res[k].hangs++;
							break;
						}
						if (ret) {
							res[k].ended++;
							break;
						}
						res[k].answers++;
					}
					if (i > 0)
						khttpd_client_close(c);
				}
				_exit(0);
			}
		}
		/* until each client has been answered (generous: a hang fails) */
		t0 = khttpd_now();
		do {
			usleep(20000);
			for (k = 0, total = 0; k < kids; k++)
				total += res[k].answers > 10;
		} while (total < kids && khttpd_now() - t0 < 60);
		EXPECT_EQ(kids, total);
		khttpd_ctl_close(&self->c);
		if (round % 2 == 0)
			EXPECT_EQ(0, khttpd_sysfs_write("enabled", "0"));
		ret = khttpd_unload();
		for (k = 0; ret == -EAGAIN && k < 100; k++) {
			usleep(100000);
			ret = khttpd_unload();
		}
		EXPECT_EQ(0, ret) TH_LOG("round %d: rmmod: %s", round, strerror(-ret));
		usleep(100000);	/* clients meet the unloaded port */
		*running = 0;
		for (k = 0; k < kids; k++) {
			ASSERT_EQ(pid[k], waitpid(pid[k], &status, 0));
			EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
			EXPECT_EQ(0, res[k].hangs)
				TH_LOG("round %d client %d: waited for an answer", round, k);
		}
		ASSERT_EQ(0, load(_metadata, self, params));
	}
	munmap(shm, 4096);
	still_serves(_metadata, self);
}

/*
 * @n GETs of /p/<i> on one keep-alive connection, one at a time, from CPU
 * @cpu; every answer checked.
 */
static void gets_on_open(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fast) *self, int n, const char *what)
{
	char req[128];
	int i;

	for (i = 0; i < n; i++) {
		req_p(req, i % NPATHS, NULL);
		ASSERT_EQ(0, khttpd_send_str(self->cl->fd, req));
		expect_p(_metadata, self, i % NPATHS, what, i);
	}
}

static void sequential_gets(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fast) *self, int cpu, int n)
{
	pin(cpu);
	khttpd_client_close(self->cl);
	ASSERT_EQ(0, khttpd_client_open(self->cl, KHTTPD_PORT));
	gets_on_open(_metadata, self, n, "get");
	khttpd_client_close(self->cl);
	unpin();
}

/*
 * fastpath=1: whole requests on an idle keep-alive connection are
 * answered in the socket callback (requests_fast grows, never past
 * requests).  fastpath=0 set through sysfs while serving, also on a
 * connection already open: requests still grows, requests_fast does not.
 * Back to 1: it grows again.
 */
TEST_F_TIMEOUT(fastset, counters_follow_the_setting, 300)
{
	FIXTURE_DATA(fast) *f = (FIXTURE_DATA(fast) *)self;
	unsigned long long fp;
	struct counts a, b;
	int cpu, n = 60;

	ASSERT_EQ(0, khttpd_sysfs_read("fastpath", &fp));
	ASSERT_EQ(1, fp) TH_LOG("the default is on");

	a = counts();
	for (cpu = 0; cpu < ncpus(); cpu++)
		sequential_gets(_metadata, f, cpu, n);
	b = counts();
	TH_LOG("fastpath=1: %lld requests, %lld in the callback, %lld handoffs",
	       b.req - a.req, b.fast - a.fast, b.handoffs - a.handoffs);
	EXPECT_LE(n * ncpus(), b.req - a.req);
	EXPECT_LT(0, b.fast - a.fast);
	EXPECT_LE(b.fast - a.fast, b.req - a.req);

	/* off while serving: a connection opened before, and new ones */
	pin(0);
	ASSERT_EQ(0, khttpd_client_open(f->cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(f->cl, GET_ROOT, f->r));
	ASSERT_EQ(0, khttpd_sysfs_write("fastpath", "0"));
	ASSERT_EQ(0, khttpd_sysfs_read("fastpath", &fp));
	ASSERT_EQ(0, fp);
	a = counts();
	gets_on_open(_metadata, f, n, "open before");
	khttpd_client_close(f->cl);
	unpin();
	for (cpu = 0; cpu < ncpus(); cpu++)
		sequential_gets(_metadata, f, cpu, n);
	b = counts();
	EXPECT_LE(n * (ncpus() + 1), b.req - a.req);
	EXPECT_EQ(a.fast, b.fast) TH_LOG("answered in the callback while off");
	EXPECT_EQ(a.handoffs, b.handoffs) TH_LOG("handed off while off");

	/* and on again */
	ASSERT_EQ(0, khttpd_sysfs_write("fastpath", "1"));
	a = counts();
	for (cpu = 0; cpu < ncpus(); cpu++)
		sequential_gets(_metadata, f, cpu, n);
	b = counts();
	EXPECT_LT(0, b.fast - a.fast);
	EXPECT_LE(b.fast - a.fast, b.req - a.req);
	still_serves(_metadata, f);
}

/* fastpath=0 as a module parameter: nothing is answered in the callback. */
TEST_F_TIMEOUT(fastset, parameter_off_at_load, 300)
{
	FIXTURE_DATA(fast) *f = (FIXTURE_DATA(fast) *)self;
	char params[128];
	unsigned long long fp;
	struct counts a, b;
	int cpu, i, n = 60;

	khttpd_ctl_close(&f->c);
	snprintf(params, sizeof(params), "port=%d fastpath=0", KHTTPD_PORT);
	ASSERT_EQ(0, load(_metadata, f, params));
	ASSERT_EQ(0, khttpd_sysfs_read("fastpath", &fp));
	ASSERT_EQ(0, fp);
	for (i = 0; i < NPATHS; i++) {
		char path[16];

		snprintf(path, sizeof(path), "/p/%d", i);
		ASSERT_EQ(0, khttpd_put(&f->c, path, "text/plain", f->body[i],
					strlen(f->body[i]), NULL, 0));
	}
	a = counts();
	EXPECT_EQ(0, a.fast);
	EXPECT_EQ(0, a.handoffs);
	for (cpu = 0; cpu < ncpus(); cpu++)
		sequential_gets(_metadata, f, cpu, n);
	b = counts();
	EXPECT_LE(n * ncpus(), b.req - a.req);
	EXPECT_EQ(0, b.fast);
	EXPECT_EQ(0, b.handoffs);
	still_serves(_metadata, f);
}

/*
 * Out of range: 2 is refused with EINVAL by sysfs, SET_CONFIG and insmod,
 * and changes nothing.
 */
TEST_F(fastset, out_of_range_refused)
{
	FIXTURE_DATA(fast) *f = (FIXTURE_DATA(fast) *)self;
	struct khttpd_config cfg = { .size = sizeof(cfg) };
	char params[128];
	unsigned long long fp;
	int ret;

	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("fastpath", "2"));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("fastpath", "-1"));
	ASSERT_EQ(0, khttpd_sysfs_read("fastpath", &fp));
	EXPECT_EQ(1, fp);
	ASSERT_EQ(0, khttpd_sysfs_write("fastpath", "0"));

	ASSERT_EQ(0, khttpd_ctl_cmd(&f->c, KHTTPD_CMD_GET_CONFIG, &cfg,
				    sizeof(cfg)));
	EXPECT_EQ(0, cfg.fastpath);
	cfg.fastpath = 2;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&f->c, KHTTPD_CMD_SET_CONFIG, &cfg,
					  sizeof(cfg)));
	ASSERT_EQ(0, khttpd_sysfs_read("fastpath", &fp));
	EXPECT_EQ(0, fp);
	cfg.fastpath = 1;
	EXPECT_EQ(0, khttpd_ctl_cmd(&f->c, KHTTPD_CMD_SET_CONFIG, &cfg,
				    sizeof(cfg)));
	ASSERT_EQ(0, khttpd_sysfs_read("fastpath", &fp));
	EXPECT_EQ(1, fp);

	khttpd_ctl_close(&f->c);
	EXPECT_EQ(0, khttpd_unload());
	snprintf(params, sizeof(params), "port=%d fastpath=2", KHTTPD_PORT);
	ret = khttpd_load(params);
	EXPECT_EQ(-EINVAL, ret);
	if (!ret)
		khttpd_unload();
	ASSERT_EQ(0, load(_metadata, f, "port=8080"));
	still_serves(_metadata, f);
}

TEST_HARNESS_MAIN
