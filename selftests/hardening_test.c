// SPDX-License-Identifier: GPL-2.0
/*
 * What an outside review of the server found, each as a test that failed
 * before its fix: a START that served before it was ready, a connection
 * that failed to be created and kept its place under max_conns, timeouts
 * that did not follow a lowered setting, and limits read while they were
 * being changed.
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"
#include "ctl_client.h"

#define GET_ROOT "GET / HTTP/1.1\r\nHost: t\r\n\r\n"

FIXTURE(hard) {
	int kmsg;
	struct khttpd_client c[3];
	struct khttpd_resp r;
};

FIXTURE_SETUP(hard)
{
	int i;

	self->kmsg = khttpd_kmsg_mark(_metadata->name);
	for (i = 0; i < 3; i++)
		self->c[i].fd = -1;
}

FIXTURE_TEARDOWN(hard)
{
	char bad[512] = "";
	int i;

	for (i = 0; i < 3; i++)
		khttpd_client_close(&self->c[i]);
	if (khttpd_loaded())
		EXPECT_EQ(0, khttpd_unload());
	EXPECT_EQ(0, khttpd_kmsg_check(self->kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
}

/* One request on a fresh connection: its status, or -errno. */
static int get_status(unsigned short port)
{
	static struct khttpd_client c;
	struct khttpd_resp r;
	int ret;

	ret = khttpd_client_open(&c, port);
	if (!ret)
		ret = khttpd_roundtrip(&c, GET_ROOT, &r);
	khttpd_client_close(&c);
	return ret ? ret : r.status;
}

/*
 * START joins the listeners to the port before the built-in page is
 * stored; a request that got in then was answered 404.  A client hammers
 * the port while the server starts and stops: every answer must be 200.
 */
TEST_F_TIMEOUT(hard, start_serves_only_when_ready, 300)
{
	struct counts { int ok, notfound, other; } *n;
	pid_t pid;
	int i;

	n = mmap(NULL, sizeof(*n), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, n);
	memset(n, 0, sizeof(*n));
	ASSERT_EQ(0, khttpd_load("port=8080 enabled=0"));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		double end = khttpd_now() + 120;

		while (khttpd_now() < end) {
			int st = get_status(KHTTPD_PORT);

			if (st == 200)
				__atomic_add_fetch(&n->ok, 1, __ATOMIC_RELAXED);
			else if (st == 404)
				__atomic_add_fetch(&n->notfound, 1,
						   __ATOMIC_RELAXED);
			else if (st > 0)
				__atomic_add_fetch(&n->other, 1,
						   __ATOMIC_RELAXED);
		}
		_exit(0);
	}
	for (i = 0; i < 40; i++) {
		EXPECT_EQ(0, khttpd_sysfs_write("enabled", "1"));
		usleep(20000);
		EXPECT_EQ(0, khttpd_sysfs_write("enabled", "0"));
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	TH_LOG("200: %d, 404: %d, other: %d", n->ok, n->notfound, n->other);
	EXPECT_EQ(0, n->notfound);
	EXPECT_EQ(0, n->other);
	EXPECT_LT(0, n->ok);	/* the client did get in */
	munmap(n, sizeof(*n));
}

/* debugfs failslab, limited to allocations made from one function. */
#define FAILSLAB "/sys/kernel/debug/failslab/"

static int failslab_set(const char *knob, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FAILSLAB "%s", knob);
	return khttpd_sysfs_write(path, val);
}

/* [start, end) of module function @fn, from /proc/kallsyms. */
static bool kallsyms_range(const char *fn, unsigned long long *start,
			   unsigned long long *end)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long a, best = ~0ULL;
	char type, name[256], line[512];

	*start = 0;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &a, &type, name) == 3 &&
		    !strcmp(name, fn))
			*start = a;
	rewind(f);
	while (*start && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx", &a) == 1 && a > *start && a < best)
			best = a;
	fclose(f);
	*end = best;
	return *start && best != ~0ULL;
}

static void failslab_off(void)
{
	failslab_set("probability", "0");
	failslab_set("times", "0");
	failslab_set("require-start", "0");
	failslab_set("require-end", "0");
}

/*
 * A connection admitted under max_conns whose structure then cannot be
 * allocated used to keep its place for good: after max_conns such
 * failures every connection got 503.  Fail that allocation (failslab,
 * filtered to khttpd_conn_create) twice as often as max_conns, then check
 * that max_conns connections are still served.
 */
TEST_F_TIMEOUT(hard, failed_connection_gives_its_place_back, 120)
{
	unsigned long long start, end, v;
	char buf[32];
	int i;

	ASSERT_EQ(0, khttpd_load("port=8080 max_conns=3"));
	if (access(FAILSLAB, F_OK))
		mount("none", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (access(FAILSLAB "require-start", F_OK))
		SKIP(return, "no failslab with a stack filter in this kernel");
	ASSERT_TRUE(kallsyms_range("khttpd_conn_create", &start, &end));

	ASSERT_EQ(0, failslab_set("verbose", "0"));
	ASSERT_EQ(0, failslab_set("task-filter", "N"));
	ASSERT_EQ(0, failslab_set("cache-filter", "N"));
	ASSERT_EQ(0, failslab_set("ignore-gfp-wait", "N"));
	ASSERT_EQ(0, failslab_set("stacktrace-depth", "32"));
	snprintf(buf, sizeof(buf), "%llu", start);
	ASSERT_EQ(0, failslab_set("require-start", buf));
	snprintf(buf, sizeof(buf), "%llu", end);
	ASSERT_EQ(0, failslab_set("require-end", buf));
	ASSERT_EQ(0, failslab_set("space", "0"));
	ASSERT_EQ(0, failslab_set("interval", "1"));
	ASSERT_EQ(0, failslab_set("times", "-1"));
	ASSERT_EQ(0, failslab_set("probability", "100"));
	for (i = 0; i < 6; i++)
		EXPECT_EQ(503, get_status(KHTTPD_PORT));
	failslab_off();
	ASSERT_EQ(0, khttpd_sysfs_read("stats/conns_refused", &v));
	EXPECT_EQ(6, v);

	/* all three places are free: three held connections are served */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, khttpd_client_open(&self->c[i], KHTTPD_PORT));
		ASSERT_EQ(0, khttpd_roundtrip(&self->c[i], GET_ROOT, &self->r));
		EXPECT_EQ(200, self->r.status);
	}
	ASSERT_EQ(0, khttpd_sysfs_read("stats/conns_open", &v));
	EXPECT_EQ(3, v);
}

/*
 * Each timeout list is kept in deadline order.  A connection that went
 * idle under a long keep-alive timeout, then one under a short one, on the
 * same worker: the second used to queue behind the first and overstay by
 * the long timeout.
 * Now a changed timeout moves the deadlines already set, both ways.
 */
TEST_F_TIMEOUT(hard, lowered_timeout_applies_to_waiting_connections, 120)
{
	struct khttpd_client *a = &self->c[0], *b = &self->c[1];
	struct khttpd_client *c = &self->c[2];

	struct khttpd_start st = { .size = sizeof(st), .cpus = { 1 } };
	struct khttpd_ctl ctl;

	/* one worker (CPU 0), so that both connections share its lists */
	ASSERT_EQ(0, khttpd_load("port=8080 keepalive_timeout_ms=120000 enabled=0"));
	ASSERT_EQ(0, khttpd_ctl_open(&ctl, NULL, true));
	ASSERT_EQ(0, khttpd_ctl_cmd(&ctl, KHTTPD_CMD_START, &st, sizeof(st)));
	khttpd_ctl_close(&ctl);
	ASSERT_EQ(0, khttpd_client_open(a, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(a, GET_ROOT, &self->r));
	ASSERT_EQ(0, khttpd_sysfs_write("keepalive_timeout_ms", "1000"));
	ASSERT_EQ(0, khttpd_client_open(b, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(b, GET_ROOT, &self->r));
	/* both now close after about a second, not two minutes */
	EXPECT_TRUE(khttpd_client_sees_close(b, 20000));
	EXPECT_TRUE(khttpd_client_sees_close(a, 20000));

	/* raised again: a connection already idle gets the longer time */
	ASSERT_EQ(0, khttpd_client_open(c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(c, GET_ROOT, &self->r));
	ASSERT_EQ(0, khttpd_sysfs_write("keepalive_timeout_ms", "120000"));
	EXPECT_FALSE(khttpd_client_sees_close(c, 3000));
	ASSERT_EQ(0, khttpd_roundtrip(c, GET_ROOT, &self->r));
	EXPECT_EQ(200, self->r.status);
}

/*
 * The two head limits are changed together while a client sends heads
 * that fit neither setting but would pass a mix of the two (request line
 * of 40,000 bytes, 30,000 of header fields: more than the 64 KiB a
 * connection may buffer).  Every answer must be 414 or 431: a torn pair of
 * limits would let the head through and overflow that buffer, and the
 * connection would close without an answer.
 */
TEST_F_TIMEOUT(hard, limits_change_as_one, 300)
{
	size_t line = 40000, fields = 30000, len = line + fields + 64;
	char *req = malloc(len);
	int i, n414 = 0, n431 = 0;
	pid_t pid;

	ASSERT_NE(NULL, req);
	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', line - 5);
	strcpy(req + line, " HTTP/1.1\r\nHost: t\r\n");
	for (i = strlen(req); i < (int)(line + fields - 4); i += 10)
		memcpy(req + i, "X: 12345\r\n", 10);
	strcpy(req + i, "\r\n");
	ASSERT_EQ(0, khttpd_load("port=8080 max_request_line=60000 max_header_bytes=100"));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		for (;;) {
			khttpd_sysfs_write("max_request_line", "100");
			khttpd_sysfs_write("max_header_bytes", "60000");
			khttpd_sysfs_write("max_header_bytes", "100");
			khttpd_sysfs_write("max_request_line", "60000");
		}
	}
	for (i = 0; i < 100; i++) {
		struct khttpd_client *c = &self->c[0];

		ASSERT_EQ(0, khttpd_client_open(c, KHTTPD_PORT));
		ASSERT_EQ(0, khttpd_roundtrip(c, req, &self->r))
			TH_LOG("request %d: no answer", i);
		if (self->r.status == 414)
			n414++;
		else if (self->r.status == 431)
			n431++;
		else
			ASSERT_TRUE(false) TH_LOG("status %d", self->r.status);
		khttpd_client_close(c);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	TH_LOG("414: %d, 431: %d", n414, n431);
	free(req);
}

TEST_HARNESS_MAIN
