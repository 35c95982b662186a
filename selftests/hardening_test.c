// SPDX-License-Identifier: GPL-2.0
/*
 * What an outside review of the server found, each as a test that failed
 * before its fix: timeouts that did not follow a lowered setting, and
 * limits read while they were being changed.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"

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

/*
 * Each timeout list is kept in deadline order.  A connection that went
 * idle under a long keep-alive timeout, then one under a short one: the
 * second used to queue behind the first and overstay by the long timeout.
 * Now a changed timeout moves the deadlines already set, both ways.
 */
TEST_F_TIMEOUT(hard, lowered_timeout_applies_to_waiting_connections, 120)
{
	struct khttpd_client *a = &self->c[0], *b = &self->c[1];
	struct khttpd_client *c = &self->c[2];

	ASSERT_EQ(0, khttpd_load("port=8080 keepalive_timeout_ms=120000"));
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
