// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of khttpctl log's lines (userspace/accesslog.c): a
 * record becomes one Combined Log Format line or one JSON object, with
 * every byte a client could use to forge a field or a line escaped, and a
 * record whose lengths do not add up is refused rather than read past.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "accesslog.h"

static union {
	struct khttpd_log_record r;
	char b[KHTTPD_REC_MAX];
} u;

static char *put(char *p, const char *s, __u16 *len)
{
	*len = strlen(s);
	memcpy(p, s, *len);
	return p + *len;
}

/* A record of the four strings, as the module lays it out. */
static struct khttpd_log_record *rec(const char *m, const char *t,
				     const char *ref, const char *ua)
{
	struct khttpd_log_record *r = &u.r;
	char *p;

	memset(&u, 0, sizeof(u));
	r->status = 200;
	r->version = 11;
	r->family = AF_INET;
	r->port = 41234;
	inet_pton(AF_INET, "192.0.2.7", r->addr);
	r->seq = 3;
	r->time_ns = 1700000000ULL * 1000000000 + 123456789;	/* 2023-11-14 */
	r->service_ns = 1234567;
	r->bytes = 4321;
	r->flags = KHTTPD_REC_FAST | KHTTPD_REC_KEEPALIVE;
	p = r->data;
	p = put(p, m, &r->method_len);
	p = put(p, t, &r->target_len);
	p = put(p, ref, &r->referer_len);
	p = put(p, ua, &r->user_agent_len);
	r->rec_len = (p - (char *)r + 7) & ~7;
	return r;
}

static char line[ACCESSLOG_LINE_MAX];

FIXTURE(log) {};
FIXTURE_SETUP(log)
{
	setenv("TZ", "UTC", 1);
}
FIXTURE_TEARDOWN(log) {}

TEST_F(log, combined)
{
	size_t n = accesslog_format(rec("GET", "/a/b?x=1", "http://r/",
					"curl/7.88"), false, line,
				    sizeof(line));

	ASSERT_EQ(strlen(line), n);
	EXPECT_STREQ("192.0.2.7 - - [14/Nov/2023:22:13:20 +0000] "
		     "\"GET /a/b?x=1 HTTP/1.1\" 200 4321 \"http://r/\" "
		     "\"curl/7.88\" 0.001234 fast/store\n", line);
}

TEST_F(log, combined_dashes_and_incomplete)
{
	struct khttpd_log_record *r = rec("", "", "", "");

	/* refused before it was parsed: no request line */
	r->version = 0;
	r->status = 414;
	r->flags = KHTTPD_REC_DOCROOT | KHTTPD_REC_INCOMPLETE;
	accesslog_format(r, false, line, sizeof(line));
	EXPECT_STREQ("192.0.2.7 - - [14/Nov/2023:22:13:20 +0000] \"-\" 414 "
		     "4321 \"-\" \"-\" 0.001234 worker/docroot incomplete\n",
		     line);
}

/* a quote, a backslash, a newline and a high byte cannot forge fields */
TEST_F(log, combined_escapes)
{
	accesslog_format(rec("GET", "/a\"b", "x\\y", "z\n\x80"), false, line,
			 sizeof(line));
	EXPECT_NE(NULL, strstr(line, "\"GET /a\\x22b HTTP/1.1\""));
	EXPECT_NE(NULL, strstr(line, "\"x\\x5Cy\" \"z\\x0A\\x80\""));
	EXPECT_EQ(strchr(line, '\n'), line + strlen(line) - 1);
}

TEST_F(log, json)
{
	struct khttpd_log_record *r = rec("HEAD", "/q\"\\", "", "ua\x01\xff");

	r->family = AF_INET6;
	memset(r->addr, 0, 16);
	inet_pton(AF_INET6, "2001:db8::1", r->addr);
	r->flags = KHTTPD_REC_TLS | KHTTPD_REC_CUT;
	accesslog_format(r, true, line, sizeof(line));
	EXPECT_STREQ("{\"time\":\"2023-11-14T22:13:20.123456+00:00\","
		     "\"client\":\"2001:db8::1\",\"port\":41234,"
		     "\"method\":\"HEAD\",\"target\":\"/q\\\"\\\\\","
		     "\"version\":\"1.1\",\"status\":200,\"bytes\":4321,"
		     "\"service_ns\":1234567,\"path\":\"worker\","
		     "\"from\":\"store\",\"tls\":true,\"keep_alive\":false,"
		     "\"complete\":true,\"cut\":true,\"referer\":\"\","
		     "\"user_agent\":\"ua\\u0001\\u00ff\",\"cpu\":0,"
		     "\"seq\":3}\n", line);
}

/* the worst record: every byte escaped, still within the line's bound */
TEST_F(log, longest_fits)
{
	static char big[KHTTPD_REC_MAX];
	size_t room = KHTTPD_REC_MAX - sizeof(struct khttpd_log_record);
	size_t n;

	memset(big, '\x01', room / 2);
	big[room / 2] = '\0';
	n = accesslog_format(rec("", big, "", big), true, line, sizeof(line));
	EXPECT_LT(n, sizeof(line));
	EXPECT_TRUE(accesslog_valid(&u.r, sizeof(u)));
}

TEST_F(log, valid)
{
	struct khttpd_log_record *r = rec("GET", "/", "", "");

	EXPECT_TRUE(accesslog_valid(r, r->rec_len));
	/* the buffer ends before the record does */
	EXPECT_FALSE(accesslog_valid(r, r->rec_len - 8));
	EXPECT_FALSE(accesslog_valid(r, 16));
	/* strings longer than the record */
	r->user_agent_len = KHTTPD_REC_MAX;
	EXPECT_FALSE(accesslog_valid(r, sizeof(u)));
	r->user_agent_len = 0;
	r->rec_len = 9;		/* not a multiple of 8 */
	EXPECT_FALSE(accesslog_valid(r, sizeof(u)));
	r->rec_len = 8;		/* shorter than its header */
	EXPECT_FALSE(accesslog_valid(r, sizeof(u)));
}

TEST_HARNESS_MAIN
