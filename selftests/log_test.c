// SPDX-License-Identifier: GPL-2.0
/*
 * The access log and the service-time histogram: every answer yields one
 * record with what the client sent and what it got, read through
 * KHTTPD_CMD_READ_LOG with a cursor per CPU, over both transports (a
 * variant each); the histogram counts the same answers with the same
 * times; a ring that goes round counts what no reader got; an answer cut
 * short by the client is logged as such; bad reads fail and change
 * nothing; and with the setting off nothing is written.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"
#include "khttpd_ctl_util.h"

#define H "Host: t\r\n"
#define ROOT "/tmp/log_test_root"

FIXTURE(log) {
	int kmsg;
	struct khttpd_ctl c;
	__u64 *cur;		/* a cursor per CPU id */
	__u32 ncpus;
	__u8 *buf;		/* records read */
	size_t buf_len;
};

FIXTURE_VARIANT(log) {
	bool use_ioctl;
};

FIXTURE_VARIANT_ADD(log, ioctl) {
	.use_ioctl = true,
};

FIXTURE_VARIANT_ADD(log, uring_cmd) {
	.use_ioctl = false,
};

FIXTURE_SETUP(log)
{
	int ret;

	self->kmsg = khttpd_kmsg_mark(_metadata->name);
	self->c.fd = -1;
	ret = khttpd_load("port=8080 access_log=1");
	ASSERT_EQ(0, ret) TH_LOG("insmod: %s", strerror(-ret));
	ASSERT_EQ(0, khttpd_ctl_open(&self->c, NULL, variant->use_ioctl));
	if (!variant->use_ioctl && !self->c.uring)
		SKIP(return, "io_uring is not available");
	self->ncpus = sysconf(_SC_NPROCESSORS_CONF) + 8;
	self->cur = calloc(self->ncpus, sizeof(*self->cur));
	self->buf_len = 2 * KHTTPD_LOG_SLOTS * KHTTPD_REC_MAX;
	self->buf = malloc(self->buf_len);
	ASSERT_NE(NULL, self->cur);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(log)
{
	char bad[512] = "";
	int i, ret;

	khttpd_ctl_close(&self->c);
	/* io_uring drops its reference to the device file a moment later */
	for (i = 0; (ret = khttpd_unload()) == -EAGAIN && i < 500; i++)
		usleep(10 * 1000);
	EXPECT_EQ(0, ret);
	umount2(ROOT, MNT_DETACH);
	rmdir(ROOT);
	free(self->cur);
	free(self->buf);
	EXPECT_EQ(0, khttpd_kmsg_check(self->kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
}

static int read_log(FIXTURE_DATA(log) *self, struct khttpd_read_log *rl,
		    __u32 flags, __u32 timeout_ms)
{
	memset(rl, 0, sizeof(*rl));
	rl->size = sizeof(*rl);
	rl->flags = flags;
	rl->timeout_ms = timeout_ms;
	rl->cursors = (uintptr_t)self->cur;
	rl->ncpus = self->ncpus;
	rl->buf = (uintptr_t)self->buf;
	rl->buf_len = self->buf_len;
	return khttpd_ctl_cmd(&self->c, KHTTPD_CMD_READ_LOG, rl, sizeof(*rl));
}

/* The records of the last read, sorted by time, in @out (up to @max). */
static int records(FIXTURE_DATA(log) *self, const struct khttpd_read_log *rl,
		   const struct khttpd_log_record **out, int max)
{
	size_t off = 0;
	int n = 0, i, j;

	for (i = 0; i < (int)rl->count; i++) {
		const struct khttpd_log_record *r = (void *)(self->buf + off);

		if (r->rec_len < sizeof(*r) || r->rec_len % 8 ||
		    off + r->rec_len > self->buf_len)
			return -1;
		off += r->rec_len;
		if (n < max)
			out[n++] = r;
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && out[j]->time_ns < out[j - 1]->time_ns; j--) {
			const struct khttpd_log_record *t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

static struct khttpd_stats stats(struct __test_metadata *_metadata,
				 struct khttpd_ctl *c)
{
	struct khttpd_stats s = { .size = sizeof(s) };

	EXPECT_EQ(0, khttpd_ctl_cmd(c, KHTTPD_CMD_GET_STATS, &s, sizeof(s)));
	return s;
}

static __u64 hist_sum(const struct khttpd_stats *s)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < KHTTPD_HIST_BUCKETS; i++)
		n += s->service_hist[i];
	return n;
}

static bool str_is(const struct khttpd_log_record *r, int which,
		   const char *want)
{
	const __u16 len[4] = { r->method_len, r->target_len, r->referer_len,
			       r->user_agent_len };
	const char *p = r->data;
	int i;

	for (i = 0; i < which; i++)
		p += len[i];
	return len[which] == strlen(want) && !memcmp(p, want, len[which]);
}

static __u64 real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Wait until @n answers are in the histogram (they are once all sent). */
static struct khttpd_stats settle(struct __test_metadata *_metadata,
				  struct khttpd_ctl *c, __u64 n)
{
	struct khttpd_stats s;
	int i;

	for (i = 0; i < 1000; i++) {
		s = stats(_metadata, c);
		if (hist_sum(&s) >= n)
			break;
		usleep(10 * 1000);
	}
	return s;
}

/*
 * What was served is what is logged: status, method, target with its
 * query, Referer, User-Agent, the client's address and port, the bytes,
 * whether the connection stayed; the fast path's records are as many as
 * it answered; the histogram holds the same answers and the same times.
 */
TEST_F(log, records_what_was_served)
{
	const struct khttpd_log_record *r[8];
	struct khttpd_client cl = { .fd = -1 }, cl2 = { .fd = -1 };
	struct sockaddr_in me, me2;
	socklen_t len = sizeof(me);
	struct khttpd_read_log rl;
	struct khttpd_stats s0, s1;
	struct khttpd_resp resp;
	__u64 t_before, bytes = 0, svc = 0;
	int fast = 0, i, n;

	s0 = stats(_metadata, &self->c);
	t_before = real_ns();
	ASSERT_EQ(0, khttpd_client_open(&cl, KHTTPD_PORT));
	ASSERT_EQ(0, getsockname(cl.fd, (void *)&me, &len));
	ASSERT_EQ(0, khttpd_roundtrip(&cl, "GET /?a=1&b=\"x\" HTTP/1.1\r\n" H
				      "Referer: http://ref.example/\r\n"
				      "User-Agent: log-test/1\r\n\r\n", &resp));
	ASSERT_EQ(200, resp.status);
	ASSERT_EQ(0, khttpd_roundtrip(&cl, "GET /nothing/here HTTP/1.1\r\n" H
				      "\r\n", &resp));
	ASSERT_EQ(404, resp.status);
	ASSERT_EQ(0, khttpd_roundtrip(&cl, "HEAD / HTTP/1.0\r\n\r\n", &resp));
	ASSERT_EQ(200, resp.status);
	ASSERT_EQ(0, khttpd_client_open(&cl2, KHTTPD_PORT));
	len = sizeof(me2);
	ASSERT_EQ(0, getsockname(cl2.fd, (void *)&me2, &len));
	ASSERT_EQ(0, khttpd_roundtrip(&cl2, "GET / HTTP/1.1\r\n" H
				      "Connection: close\r\n\r\n", &resp));
	ASSERT_EQ(200, resp.status);
	khttpd_client_close(&cl);
	khttpd_client_close(&cl2);
	s1 = settle(_metadata, &self->c, hist_sum(&s0) + 4);

	ASSERT_EQ(0, read_log(self, &rl, 0, 0));
	EXPECT_EQ(0, rl.missed);
	n = records(self, &rl, r, 8);
	ASSERT_EQ(4, n);
	EXPECT_EQ(200, r[0]->status);
	EXPECT_EQ(404, r[1]->status);
	EXPECT_EQ(200, r[2]->status);
	EXPECT_EQ(200, r[3]->status);
	EXPECT_TRUE(str_is(r[0], 0, "GET"));
	EXPECT_TRUE(str_is(r[0], 1, "/?a=1&b=\"x\""));
	EXPECT_TRUE(str_is(r[0], 2, "http://ref.example/"));
	EXPECT_TRUE(str_is(r[0], 3, "log-test/1"));
	EXPECT_TRUE(str_is(r[1], 1, "/nothing/here"));
	EXPECT_TRUE(str_is(r[1], 3, ""));
	EXPECT_TRUE(str_is(r[2], 0, "HEAD"));
	EXPECT_EQ(10, r[2]->version);
	EXPECT_EQ(11, r[0]->version);
	for (i = 0; i < n; i++) {
		const struct sockaddr_in *a = i < 3 ? &me : &me2;

		EXPECT_EQ(AF_INET, r[i]->family);
		EXPECT_EQ(ntohs(a->sin_port), r[i]->port);
		EXPECT_EQ(0, memcmp(r[i]->addr, &a->sin_addr, 4));
		EXPECT_LE(t_before, r[i]->time_ns);
		EXPECT_LE(r[i]->time_ns, real_ns());
		EXPECT_FALSE(r[i]->flags & (KHTTPD_REC_INCOMPLETE |
					    KHTTPD_REC_CUT |
					    KHTTPD_REC_TLS |
					    KHTTPD_REC_DOCROOT));
		EXPECT_LT(0, r[i]->bytes);
		bytes += r[i]->bytes;
		svc += r[i]->service_ns;
		fast += !!(r[i]->flags & KHTTPD_REC_FAST);
	}
	/* HTTP/1.0 without keep-alive, and Connection: close */
	EXPECT_TRUE(r[0]->flags & KHTTPD_REC_KEEPALIVE);
	EXPECT_TRUE(r[1]->flags & KHTTPD_REC_KEEPALIVE);
	EXPECT_FALSE(r[2]->flags & KHTTPD_REC_KEEPALIVE);
	EXPECT_FALSE(r[3]->flags & KHTTPD_REC_KEEPALIVE);
	EXPECT_EQ(s1.bytes_sent - s0.bytes_sent, bytes);
	EXPECT_EQ(s1.requests_fast - s0.requests_fast, fast);
	EXPECT_EQ(4, hist_sum(&s1) - hist_sum(&s0));
	EXPECT_EQ(s1.service_ns - s0.service_ns, svc);
	EXPECT_EQ(4, s1.log_records - s0.log_records);
	EXPECT_EQ(0, s1.log_dropped);
	/* a record's number on its CPU: from 1, no gaps */
	for (i = 0; i < n; i++)
		EXPECT_LE(1, r[i]->seq);

	/* read again from the cursors given: nothing new */
	ASSERT_EQ(0, read_log(self, &rl, 0, 0));
	EXPECT_EQ(0, rl.count);
}

/* A request refused before it was parsed: its status, no strings. */
TEST_F(log, refusals_logged_unparsed)
{
	const struct khttpd_log_record *r[4];
	struct khttpd_client cl = { .fd = -1 };
	struct khttpd_read_log rl;
	struct khttpd_resp resp;
	char big[9000];

	ASSERT_EQ(0, khttpd_client_open(&cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&cl, "GET /x HTTP/1.1\r\nBad Field\r\n\r\n",
				      &resp));
	EXPECT_EQ(400, resp.status);
	khttpd_client_close(&cl);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	memcpy(big + sizeof(big) - 16, " HTTP/1.1\r\n\r\n", 14);
	big[sizeof(big) - 2] = '\0';
	ASSERT_EQ(0, khttpd_client_open(&cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&cl, big, &resp));
	EXPECT_EQ(414, resp.status);
	khttpd_client_close(&cl);
	ASSERT_EQ(0, khttpd_client_open(&cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&cl, "POST /form HTTP/1.1\r\n" H
				      "Content-Length: 0\r\n\r\n", &resp));
	EXPECT_EQ(405, resp.status);
	khttpd_client_close(&cl);
	settle(_metadata, &self->c, 3);

	ASSERT_EQ(0, read_log(self, &rl, 0, 0));
	ASSERT_EQ(3, records(self, &rl, r, 4));
	EXPECT_EQ(400, r[0]->status);
	EXPECT_EQ(414, r[1]->status);
	EXPECT_EQ(405, r[2]->status);
	EXPECT_EQ(0, r[0]->version);
	EXPECT_EQ(0, r[0]->method_len + r[0]->target_len +
		     r[0]->referer_len + r[0]->user_agent_len);
	EXPECT_EQ(0, r[1]->version);
	EXPECT_EQ(0, r[1]->target_len);
	/* parsed, refused by method: the raw method and target */
	EXPECT_TRUE(str_is(r[2], 0, "POST"));
	EXPECT_TRUE(str_is(r[2], 1, "/form"));
}

/* Long strings are cut to fit the record, and the record says so. */
TEST_F(log, long_strings_cut)
{
	const struct khttpd_log_record *r[2];
	struct khttpd_client cl = { .fd = -1 };
	struct khttpd_read_log rl;
	struct khttpd_resp resp;
	char req[4096], ua[1500];

	memset(ua, 'u', sizeof(ua) - 1);
	ua[sizeof(ua) - 1] = '\0';
	snprintf(req, sizeof(req), "GET /%0700d HTTP/1.1\r\n" H
		 "User-Agent: %s\r\n\r\n", 7, ua);
	ASSERT_EQ(0, khttpd_client_open(&cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&cl, req, &resp));
	EXPECT_EQ(404, resp.status);
	khttpd_client_close(&cl);
	settle(_metadata, &self->c, 1);
	ASSERT_EQ(0, read_log(self, &rl, 0, 0));
	ASSERT_EQ(1, records(self, &rl, r, 2));
	EXPECT_TRUE(r[0]->flags & KHTTPD_REC_CUT);
	EXPECT_LE(r[0]->rec_len, KHTTPD_REC_MAX);
	EXPECT_LE(sizeof(*r[0]) + r[0]->method_len + r[0]->target_len +
		  r[0]->referer_len + r[0]->user_agent_len, r[0]->rec_len);
	EXPECT_TRUE(str_is(r[0], 0, "GET"));
	EXPECT_LT(200, r[0]->target_len);
	EXPECT_LT(50, r[0]->user_agent_len);
	EXPECT_EQ(0, memcmp(r[0]->data + 3, "/000", 4));
}

/*
 * More answers than a ring holds, on one connection (so one CPU's ring):
 * the read gets the newest KHTTPD_LOG_SLOTS and counts the rest as
 * missed, which is also what log_dropped says no reader got.
 */
TEST_F_TIMEOUT(log, ring_round_counts_missed, 300)
{
	const int extra = 100, total = KHTTPD_LOG_SLOTS + extra;
	struct khttpd_client cl = { .fd = -1 };
	static const char one[] = "GET / HTTP/1.1\r\n" H "\r\n";
	struct khttpd_read_log rl;
	struct khttpd_stats s;
	struct khttpd_resp resp;
	int i;

	ASSERT_EQ(0, khttpd_client_open(&cl, KHTTPD_PORT));
	for (i = 0; i < total; i++) {
		ASSERT_EQ(0, khttpd_roundtrip(&cl, one, &resp));
		ASSERT_EQ(200, resp.status);
	}
	khttpd_client_close(&cl);
	s = settle(_metadata, &self->c, total);
	EXPECT_EQ(total, s.log_records);
	EXPECT_EQ(extra, s.log_dropped);
	ASSERT_EQ(0, read_log(self, &rl, 0, 0));
	EXPECT_EQ(KHTTPD_LOG_SLOTS, rl.count);
	EXPECT_EQ(extra, rl.missed);
	/* read: a new record overwrites one a reader had, no drop */
	ASSERT_EQ(0, khttpd_client_open(&cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&cl, one, &resp));
	khttpd_client_close(&cl);
	s = settle(_metadata, &self->c, total + 1);
	EXPECT_EQ(extra, s.log_dropped);
	ASSERT_EQ(0, read_log(self, &rl, 0, 0));
	EXPECT_EQ(1, rl.count);
	EXPECT_EQ(0, rl.missed);
}

/*
 * A reader waiting (KHTTPD_LOG_WAIT) is woken by a record; without one
 * it comes back empty at its timeout.
 */
TEST_F(log, wait_for_records)
{
	struct khttpd_read_log rl;
	pid_t pid;
	int st;

	ASSERT_EQ(0, read_log(self, &rl, KHTTPD_LOG_WAIT, 100));
	EXPECT_EQ(0, rl.count);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct khttpd_client cl = { .fd = -1 };
		struct khttpd_resp resp;

		usleep(300 * 1000);
		if (khttpd_client_open(&cl, KHTTPD_PORT) ||
		    khttpd_roundtrip(&cl, "GET / HTTP/1.1\r\n" H "\r\n", &resp))
			_exit(1);
		_exit(resp.status == 200 ? 0 : 1);
	}
	ASSERT_EQ(0, read_log(self, &rl, KHTTPD_LOG_WAIT, 30000));
	EXPECT_EQ(1, rl.count);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_EQ(0, st);
}

/*
 * A client that takes part of a large body and then resets: the answer
 * is logged incomplete with the bytes TCP got of it, and it is not in the
 * histogram, which only holds answers handed over whole.
 */
TEST_F_TIMEOUT(log, cut_short_answer_logged_incomplete, 120)
{
	const size_t big = 16 << 20;
	const struct khttpd_log_record *r[2];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_port = htons(KHTTPD_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct khttpd_read_log rl;
	struct khttpd_stats s;
	int fd, rcv = 4096, i;
	char *body, b[4096];

	body = malloc(big);
	ASSERT_NE(NULL, body);
	memset(body, 'b', big);
	ASSERT_EQ(0, khttpd_put(&self->c, "/big", "application/octet-stream",
				body, big, NULL, 0));
	free(body);
	/* a small window: most of the body stays in the server's socket */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)));
	ASSERT_EQ(0, connect(fd, (void *)&sa, sizeof(sa)));
	ASSERT_EQ(0, khttpd_send_str(fd, "GET /big HTTP/1.1\r\n" H "\r\n"));
	ASSERT_LT(0, read(fd, b, sizeof(b)));
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(fd);
	for (i = 0; i < 1000; i++) {
		s = stats(_metadata, &self->c);
		if (s.log_records)
			break;
		usleep(10 * 1000);
	}
	ASSERT_EQ(1, s.log_records);
	EXPECT_EQ(0, hist_sum(&s));
	ASSERT_EQ(0, read_log(self, &rl, 0, 0));
	ASSERT_EQ(1, records(self, &rl, r, 2));
	EXPECT_EQ(200, r[0]->status);
	EXPECT_TRUE(r[0]->flags & KHTTPD_REC_INCOMPLETE);
	EXPECT_LT(0, r[0]->bytes);
	EXPECT_GT(big, r[0]->bytes);
	EXPECT_GE(s.bytes_sent, r[0]->bytes);
}

/* A file of the docroot is logged as the docroot's. */
TEST_F(log, docroot_answers_flagged)
{
	struct khttpd_start st = {
		.size = sizeof(st), .flags = KHTTPD_START_DOCROOT,
		.port = KHTTPD_PORT, .uid = 65534, .gid = 65534,
	};
	const struct khttpd_log_record *r[4];
	struct khttpd_client cl = { .fd = -1 };
	struct khttpd_read_log rl;
	struct khttpd_resp resp;
	FILE *f;
	int i;

	mkdir(ROOT, 0755);
	ASSERT_EQ(0, mount("none", ROOT, "tmpfs", 0, "mode=0755"));
	f = fopen(ROOT "/page.html", "w");
	ASSERT_NE(NULL, f);
	fputs("<p>hello</p>\n", f);
	fclose(f);
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_STOP, NULL, 0));
	st.root_fd = open(ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, st.root_fd);
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_START, &st, sizeof(st)));
	close(st.root_fd);
	ASSERT_EQ(0, khttpd_client_open(&cl, KHTTPD_PORT));
	/* the first from a lookup, the second from the file cache */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, khttpd_roundtrip(&cl, "GET /page.html HTTP/1.1\r\n"
					      H "\r\n", &resp));
		ASSERT_EQ(200, resp.status);
	}
	khttpd_client_close(&cl);
	settle(_metadata, &self->c, 2);
	ASSERT_EQ(0, read_log(self, &rl, 0, 0));
	ASSERT_EQ(2, records(self, &rl, r, 4));
	for (i = 0; i < 2; i++) {
		EXPECT_TRUE(r[i]->flags & KHTTPD_REC_DOCROOT);
		EXPECT_TRUE(str_is(r[i], 1, "/page.html"));
	}
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_STOP, NULL, 0));
}

/* access_log=0: answers are counted in the histogram, not logged. */
TEST_F(log, off_writes_nothing)
{
	struct khttpd_config cfg = { .size = sizeof(cfg) };
	struct khttpd_client cl = { .fd = -1 };
	struct khttpd_read_log rl;
	struct khttpd_stats s;
	struct khttpd_resp resp;

	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &cfg,
				    sizeof(cfg)));
	EXPECT_EQ(1, cfg.access_log);
	cfg.access_log = 0;
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &cfg,
				    sizeof(cfg)));
	ASSERT_EQ(0, khttpd_client_open(&cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&cl, "GET / HTTP/1.1\r\n" H "\r\n", &resp));
	khttpd_client_close(&cl);
	s = settle(_metadata, &self->c, 1);
	EXPECT_EQ(1, hist_sum(&s));
	EXPECT_EQ(0, s.log_records);
	EXPECT_EQ(0, s.log_dropped);
	ASSERT_EQ(0, read_log(self, &rl, 0, 0));
	EXPECT_EQ(0, rl.count);
	/* a value out of range changes nothing */
	cfg.access_log = 2;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &cfg,
					  sizeof(cfg)));
	EXPECT_EQ(-EINVAL, khttpd_sysfs_write("access_log", "2"));
	ASSERT_EQ(0, khttpd_sysfs_write("access_log", "1"));
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &cfg,
				    sizeof(cfg)));
	EXPECT_EQ(1, cfg.access_log);
}

/* Reads the module cannot make sense of fail, and move no cursor. */
TEST_F(log, bad_reads_rejected)
{
	struct khttpd_client cl = { .fd = -1 };
	struct khttpd_read_log rl;
	struct khttpd_resp resp;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	ASSERT_EQ(0, khttpd_client_open(&cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&cl, "GET / HTTP/1.1\r\n" H "\r\n", &resp));
	khttpd_client_close(&cl);
	settle(_metadata, &self->c, 1);

#define BAD(err, field, value) do {					\
		memset(&rl, 0, sizeof(rl));				\
		rl.size = sizeof(rl);					\
		rl.cursors = (uintptr_t)self->cur;			\
		rl.ncpus = self->ncpus;					\
		rl.buf = (uintptr_t)self->buf;				\
		rl.buf_len = self->buf_len;				\
		rl.field = value;					\
		EXPECT_EQ(err, khttpd_ctl_cmd(&self->c,			\
					      KHTTPD_CMD_READ_LOG, &rl,	\
					      sizeof(rl)))		\
			TH_LOG(#field " = " #value);			\
	} while (0)
	BAD(-EINVAL, flags, 1U << 1);
	BAD(-EINVAL, count, 1);
	BAD(-EINVAL, missed, 1);
	BAD(-EINVAL, reserved[1], 1);
	BAD(-EINVAL, buf, 0);
	BAD(-EINVAL, buf_len, KHTTPD_REC_MAX - 1);
	BAD(-EFAULT, cursors, 8);
	BAD(-EFAULT, buf, 8);
	BAD(-ERANGE, ncpus, 0);
	EXPECT_LE(ncpu, rl.ncpus);
	EXPECT_GE(self->ncpus, rl.ncpus);
	self->cur[0] = 1ULL << 40;	/* never given */
	BAD(-EINVAL, flags, 0);
	self->cur[0] = 0;
#undef BAD
	/* nothing was taken: the record is still there to read */
	ASSERT_EQ(0, read_log(self, &rl, 0, 0));
	EXPECT_EQ(1, rl.count);
	/* a size below the first version's */
	memset(&rl, 0, sizeof(rl));
	rl.size = KHTTPD_READ_LOG_SIZE_VER0 - 8;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_READ_LOG, &rl,
					  rl.size));
}

TEST_HARNESS_MAIN
