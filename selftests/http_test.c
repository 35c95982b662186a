// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP conformance of a server, over real sockets: methods, versions,
 * framing, targets, limits, conditional requests, persistence, pipelining
 * and timeouts.  Every test runs against each server variant, so both
 * servers are held to the same behaviour.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"
#include "khttpd_ctl_util.h"

#define H "Host: t\r\n"
#define GET_ROOT "GET / HTTP/1.1\r\n" H "\r\n"

FIXTURE(http) {
	int kmsg;
	bool running;
	struct khttpd_client c;
	struct khttpd_resp r;
};

FIXTURE_VARIANT(http) {
	const char *server;
};

FIXTURE_VARIANT_ADD(http, khttpd) {
	.server = "khttpd",
};

FIXTURE_VARIANT_ADD(http, uring_httpd) {
	.server = "uring-httpd",
};

static int start(struct __test_metadata *_metadata, FIXTURE_DATA(http) *self,
		 const FIXTURE_VARIANT(http) *variant, const char *params)
{
	int ret;

	if (self->running)
		khttpd_server_stop(variant->server);
	self->running = false;
	ret = khttpd_server_start(variant->server, params);
	if (!ret)
		self->running = true;
	return ret;
}

FIXTURE_SETUP(http)
{
	int ret;

	self->kmsg = khttpd_kmsg_mark(_metadata->name);
	self->c.fd = -1;
	ret = start(_metadata, self, variant, NULL);
	ASSERT_EQ(0, ret) TH_LOG("starting %s: %s", variant->server,
				 strerror(-ret));
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
}

FIXTURE_TEARDOWN(http)
{
	char bad[512] = "";

	khttpd_client_close(&self->c);
	if (self->running)
		EXPECT_EQ(0, khttpd_server_stop(variant->server));
	EXPECT_EQ(0, khttpd_kmsg_check(self->kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
}

static const char *hdr(FIXTURE_DATA(http) *self, const char *name)
{
	static char val[512];

	return khttpd_header(&self->r, name, val, sizeof(val));
}

/* Send @req, expect one response with @status; return whether it closed. */
static bool expect_status(struct __test_metadata *_metadata,
			  FIXTURE_DATA(http) *self, const char *req,
			  int status)
{
	int ret = khttpd_roundtrip(&self->c, req, &self->r);

	EXPECT_EQ(0, ret) TH_LOG("request %.60s: %s", req, strerror(-ret));
	EXPECT_EQ(status, self->r.status) TH_LOG("request %.60s", req);
	return self->r.conn_close;
}

/* Error answers that end the connection: complete, then EOF. */
static void expect_refusal(struct __test_metadata *_metadata,
			   FIXTURE_DATA(http) *self, const char *req,
			   int status)
{
	EXPECT_TRUE(expect_status(_metadata, self, req, status))
		TH_LOG("%d must close the connection", status);
	EXPECT_EQ(self->r.content_length, self->r.body_len);
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 5000));
}

TEST_F(http, get_has_the_headers_users_expect)
{
	expect_status(_metadata, self, GET_ROOT, 200);
	EXPECT_STREQ("Hello, World!", self->r.body);
	EXPECT_STREQ("khttpd", hdr(self, "Server"));
	ASSERT_NE(NULL, hdr(self, "Date"));
	EXPECT_EQ(29, strlen(hdr(self, "Date")));
	ASSERT_NE(NULL, hdr(self, "ETag"));
	EXPECT_EQ('"', hdr(self, "ETag")[0]);
	ASSERT_NE(NULL, hdr(self, "Last-Modified"));
	EXPECT_NE(NULL, hdr(self, "Content-Type"));
	EXPECT_EQ(NULL, hdr(self, "Connection"));
}

TEST_F(http, head_same_headers_no_body)
{
	char etag[128], len[32];

	expect_status(_metadata, self, GET_ROOT, 200);
	snprintf(etag, sizeof(etag), "%s", hdr(self, "ETag"));
	snprintf(len, sizeof(len), "%s", hdr(self, "Content-Length"));
	expect_status(_metadata, self, "HEAD / HTTP/1.1\r\n" H "\r\n", 200);
	EXPECT_STREQ(etag, hdr(self, "ETag"));
	EXPECT_STREQ(len, hdr(self, "Content-Length"));
	/* no body: the next bytes are the next response */
	expect_status(_metadata, self, GET_ROOT, 200);
	EXPECT_STREQ("Hello, World!", self->r.body);
	/* HEAD of a missing resource: 404 headers, no body, still open */
	expect_status(_metadata, self, "HEAD /none HTTP/1.1\r\n" H "\r\n", 404);
	expect_status(_metadata, self, GET_ROOT, 200);
}

TEST_F(http, known_method_405_with_allow)
{
	EXPECT_FALSE(expect_status(_metadata, self,
				   "DELETE / HTTP/1.1\r\n" H "\r\n", 405));
	EXPECT_STREQ("GET, HEAD", hdr(self, "Allow"));
	/* a body on it is framed by Content-Length and skipped */
	EXPECT_FALSE(expect_status(_metadata, self,
		"POST / HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\nhello", 405));
	expect_status(_metadata, self, GET_ROOT, 200);
}

TEST_F(http, unknown_method_501)
{
	expect_refusal(_metadata, self, "BREW / HTTP/1.1\r\n" H "\r\n", 501);
}

TEST_F(http, version_505)
{
	expect_refusal(_metadata, self, "GET / HTTP/2.0\r\n" H "\r\n", 505);
}

/* A later HTTP/1.x is served as 1.1 (RFC 9110 section 2.5), and persists. */
TEST_F(http, higher_minor_version_served_as_11)
{
	EXPECT_FALSE(expect_status(_metadata, self,
				   "GET / HTTP/1.2\r\n" H "\r\n", 200));
	EXPECT_EQ(0, strncmp(self->r.headers, "HTTP/1.1 200 ", 13))
		TH_LOG("status line: %.40s", self->r.headers);
	EXPECT_STREQ("Hello, World!", self->r.body);
	EXPECT_FALSE(expect_status(_metadata, self,
				   "GET / HTTP/1.9\r\n" H "\r\n", 200));
	/* and like 1.1 it needs a Host */
	expect_refusal(_metadata, self, "GET / HTTP/1.2\r\n\r\n", 400);
}

TEST_F(http, http10_persistence)
{
	EXPECT_FALSE(expect_status(_metadata, self,
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200));
	EXPECT_STREQ("keep-alive", hdr(self, "Connection"));
	EXPECT_TRUE(expect_status(_metadata, self, "GET / HTTP/1.0\r\n\r\n", 200));
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 5000));
}

TEST_F(http, http11_connection_close)
{
	EXPECT_TRUE(expect_status(_metadata, self,
		"GET / HTTP/1.1\r\n" H "Connection: close\r\n\r\n", 200));
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 5000));
}

TEST_F(http, host_required)
{
	expect_refusal(_metadata, self, "GET / HTTP/1.1\r\n\r\n", 400);
}

TEST_F(http, two_hosts_400)
{
	expect_refusal(_metadata, self, "GET / HTTP/1.1\r\n" H H "\r\n", 400);
}

/* RFC 9112 section 3.2: a Host that is no uri-host [ ":" port ] is a 400 */
TEST_F(http, invalid_host_400)
{
	expect_refusal(_metadata, self,
		       "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
}

TEST_F(http, ip_literal_host)
{
	expect_status(_metadata, self,
		      "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200);
	expect_status(_metadata, self,
		      "GET / HTTP/1.1\r\nHost: [::ffff:127.0.0.1]\r\n\r\n",
		      200);
	expect_status(_metadata, self,
		      "GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n", 200);
	expect_refusal(_metadata, self,
		       "GET / HTTP/1.1\r\nHost: [::g]\r\n\r\n", 400);
}

TEST_F(http, bare_lf_400)
{
	expect_refusal(_metadata, self, "GET / HTTP/1.1\nHost: t\n\n", 400);
}

TEST_F(http, obs_fold_400)
{
	expect_refusal(_metadata, self,
		       "GET / HTTP/1.1\r\n" H "X: a\r\n b\r\n\r\n", 400);
}

TEST_F(http, space_before_colon_400)
{
	expect_refusal(_metadata, self,
		       "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400);
}

TEST_F(http, path_climbing_400)
{
	expect_refusal(_metadata, self,
		       "GET /../etc/passwd HTTP/1.1\r\n" H "\r\n", 400);
}

TEST_F(http, encoded_climbing_400)
{
	expect_refusal(_metadata, self,
		       "GET /a/%2e%2e/%2E%2E/x HTTP/1.1\r\n" H "\r\n", 400);
}

TEST_F(http, encoded_nul_400)
{
	expect_refusal(_metadata, self, "GET /%00 HTTP/1.1\r\n" H "\r\n", 400);
}

TEST_F(http, bad_escape_400)
{
	expect_refusal(_metadata, self, "GET /%g0 HTTP/1.1\r\n" H "\r\n", 400);
}

TEST_F(http, targets_normalised)
{
	/* all of these are "/" */
	expect_status(_metadata, self, "GET /?x=1 HTTP/1.1\r\n" H "\r\n", 200);
	expect_status(_metadata, self, "GET /. HTTP/1.1\r\n" H "\r\n", 200);
	expect_status(_metadata, self, "GET /a/.. HTTP/1.1\r\n" H "\r\n", 200);
	expect_status(_metadata, self, "GET /%2e HTTP/1.1\r\n" H "\r\n", 200);
	expect_status(_metadata, self, "GET http://t/ HTTP/1.1\r\n" H "\r\n", 200);
	expect_status(_metadata, self, "GET http://t HTTP/1.1\r\n" H "\r\n", 200);
	expect_status(_metadata, self, "GET /a HTTP/1.1\r\n" H "\r\n", 404);
}

TEST_F(http, transfer_encoding_501)
{
	expect_refusal(_metadata, self, "GET / HTTP/1.1\r\n" H
		       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501);
}

TEST_F(http, transfer_encoding_with_length_400)
{
	expect_refusal(_metadata, self, "GET / HTTP/1.1\r\n" H
		       "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
		       "0\r\n\r\n", 400);
}

TEST_F(http, conflicting_length_400)
{
	expect_refusal(_metadata, self, "GET / HTTP/1.1\r\n" H
		       "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400);
}

TEST_F(http, invalid_length_400)
{
	expect_refusal(_metadata, self, "GET / HTTP/1.1\r\n" H
		       "Content-Length: -1\r\n\r\n", 400);
}

/* A body on GET is read and thrown away; the next request still works. */
TEST_F(http, get_body_discarded)
{
	char req[4096];

	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n" H
		 "Content-Length: 2000\r\n\r\n%02000d" GET_ROOT, 7);
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, req));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_FALSE(self->r.conn_close);
}

TEST_F(http, body_over_limit_413)
{
	ASSERT_EQ(0, start(_metadata, self, variant, "max_body=1000"));
	khttpd_client_close(&self->c);
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	expect_refusal(_metadata, self, "GET / HTTP/1.1\r\n" H
		       "Content-Length: 1001\r\n\r\n", 413);
}

TEST_F(http, request_line_limit_414)
{
	char *req = malloc(20000);
	size_t n = 8192 - strlen("GET  HTTP/1.1");

	/* exactly at the limit: fine */
	strcpy(req, "GET /");
	memset(req + 5, 'a', n - 1);
	strcpy(req + 4 + n, " HTTP/1.1\r\n" H "\r\n");
	expect_status(_metadata, self, req, 404);
	/* one byte more: 414 */
	strcpy(req, "GET /");
	memset(req + 5, 'a', n);
	strcpy(req + 5 + n, " HTTP/1.1\r\n" H "\r\n");
	expect_refusal(_metadata, self, req, 414);
	free(req);
}

TEST_F(http, header_section_limit_431)
{
	char *req = malloc(40000);
	size_t pad;

	/* a header section of 16384 bytes is fine, 16385 is not */
	pad = 16384 - strlen(H) - strlen("X: \r\n");
	strcpy(req, "GET / HTTP/1.1\r\n" H "X: ");
	memset(req + strlen(req), 'v', pad);
	strcpy(req + strlen("GET / HTTP/1.1\r\n" H "X: ") + pad, "\r\n\r\n");
	expect_status(_metadata, self, req, 200);
	strcpy(req, "GET / HTTP/1.1\r\n" H "X: ");
	memset(req + strlen(req), 'v', pad + 1);
	strcpy(req + strlen("GET / HTTP/1.1\r\n" H "X: ") + pad + 1, "\r\n\r\n");
	expect_refusal(_metadata, self, req, 431);
	free(req);
}

TEST_F(http, header_fields_limit_431)
{
	char req[8192];
	int i;

	strcpy(req, "GET / HTTP/1.1\r\n" H);
	for (i = 1; i < 100; i++)
		sprintf(req + strlen(req), "X%d: y\r\n", i);
	strcat(req, "\r\n");
	expect_status(_metadata, self, req, 200);	/* 100 fields */
	strcpy(req + strlen(req) - 2, "Y: z\r\n\r\n");
	expect_refusal(_metadata, self, req, 431);	/* 101 */
}

TEST_F(http, conditional_if_none_match)
{
	char req[512], etag[128];

	expect_status(_metadata, self, GET_ROOT, 200);
	snprintf(etag, sizeof(etag), "%s", hdr(self, "ETag"));

	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n" H
		 "If-None-Match: %s\r\n\r\n", etag);
	expect_status(_metadata, self, req, 304);
	EXPECT_EQ(0, self->r.body_len);
	EXPECT_STREQ(etag, hdr(self, "ETag"));
	EXPECT_EQ(NULL, hdr(self, "Content-Length"));

	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n" H
		 "If-None-Match: \"other\", W/%s\r\n\r\n", etag);
	expect_status(_metadata, self, req, 304);
	expect_status(_metadata, self, "GET / HTTP/1.1\r\n" H
		      "If-None-Match: *\r\n\r\n", 304);
	expect_status(_metadata, self, "GET / HTTP/1.1\r\n" H
		      "If-None-Match: \"other\"\r\n\r\n", 200);
	EXPECT_STREQ("Hello, World!", self->r.body);
	/* HEAD too; and the connection stays usable */
	snprintf(req, sizeof(req), "HEAD / HTTP/1.1\r\n" H
		 "If-None-Match: %s\r\n\r\n", etag);
	expect_status(_metadata, self, req, 304);
	expect_status(_metadata, self, GET_ROOT, 200);
}

TEST_F(http, conditional_if_modified_since)
{
	char req[512], lm[64];

	expect_status(_metadata, self, GET_ROOT, 200);
	snprintf(lm, sizeof(lm), "%s", hdr(self, "Last-Modified"));
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n" H
		 "If-Modified-Since: %s\r\n\r\n", lm);
	expect_status(_metadata, self, req, 304);
	expect_status(_metadata, self, "GET / HTTP/1.1\r\n" H
		      "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n",
		      200);
	expect_status(_metadata, self, "GET / HTTP/1.1\r\n" H
		      "If-Modified-Since: not a date\r\n\r\n", 200);
	/* If-None-Match wins over If-Modified-Since */
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\n" H
		 "If-None-Match: \"other\"\r\nIf-Modified-Since: %s\r\n\r\n",
		 lm);
	expect_status(_metadata, self, req, 200);
}

/* A body for the Range tests: above the copy threshold, position-unique. */
#define RANGE_LEN 60000
#define RANGE_DIR "/tmp/http-range"

static unsigned char range_byte(size_t i)
{
	return 'a' + (i * 13 + i / 26) % 26;
}

/* /r.bin on the server under test: PUT into khttpd, a file for uring-httpd */
static void range_setup(struct __test_metadata *_metadata,
			FIXTURE_DATA(http) *self,
			const FIXTURE_VARIANT(http) *variant)
{
	static unsigned char body[RANGE_LEN];
	size_t i;

	for (i = 0; i < RANGE_LEN; i++)
		body[i] = range_byte(i);
	if (!strcmp(variant->server, "khttpd")) {
		struct khttpd_ctl c;

		ASSERT_EQ(0, khttpd_ctl_open(&c, NULL, true));
		ASSERT_EQ(0, khttpd_put(&c, "/r.bin", "application/octet-stream",
					body, RANGE_LEN, NULL, 0));
		khttpd_ctl_close(&c);
	} else {
		FILE *f;

		mkdir(RANGE_DIR, 0755);
		f = fopen(RANGE_DIR "/r.bin", "w");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(RANGE_LEN, fwrite(body, 1, RANGE_LEN, f));
		ASSERT_EQ(0, fclose(f));
		/* a docroot's "/" is its index: the page the tests expect */
		f = fopen(RANGE_DIR "/index.html", "w");
		ASSERT_NE(NULL, f);
		ASSERT_EQ(13, fwrite("Hello, World!", 1, 13, f));
		ASSERT_EQ(0, fclose(f));
		khttpd_client_close(&self->c);
		ASSERT_EQ(0, start(_metadata, self, variant, "root=" RANGE_DIR));
		ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	}
}

/* GET /r.bin with @fields; expect @status and, for a 206, bytes @first-@last */
static void range_get(struct __test_metadata *_metadata,
		      FIXTURE_DATA(http) *self, const char *fields,
		      int status, unsigned long long first,
		      unsigned long long last)
{
	char req[512], cr[128];
	size_t i;

	snprintf(req, sizeof(req), "GET /r.bin HTTP/1.1\r\n" H "%s\r\n",
		 fields);
	EXPECT_FALSE(expect_status(_metadata, self, req, status))
		TH_LOG("%s", fields);
	if (self->r.status != status)
		return;
	if (status == 206) {
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%d", first, last,
			 RANGE_LEN);
		EXPECT_STREQ(cr, hdr(self, "Content-Range")) TH_LOG("%s", fields);
		EXPECT_EQ((long)(last - first + 1), self->r.content_length);
		ASSERT_EQ(last - first + 1, self->r.body_len);
		for (i = 0; i < self->r.body_len &&
		     (unsigned char)self->r.body[i] == range_byte(first + i); i++)
			;
		EXPECT_EQ(self->r.body_len, i) TH_LOG("%s: differs at %zu",
						      fields, i);
	} else if (status == 200) {
		EXPECT_EQ(NULL, hdr(self, "Content-Range")) TH_LOG("%s", fields);
		EXPECT_EQ(RANGE_LEN, self->r.body_len) TH_LOG("%s", fields);
	}
}

/* One bytes= range, each form of it, and what is not one (RFC 9110 14) */
TEST_F(http, range_one_range)
{
	range_setup(_metadata, self, variant);
	range_get(_metadata, self, "", 200, 0, 0);
	EXPECT_STREQ("bytes", hdr(self, "Accept-Ranges"));
	range_get(_metadata, self, "Range: bytes=0-0\r\n", 206, 0, 0);
	range_get(_metadata, self, "Range: bytes=-1\r\n", 206,
		  RANGE_LEN - 1, RANGE_LEN - 1);
	range_get(_metadata, self, "Range: bytes=1000-59000\r\n", 206, 1000,
		  59000);
	range_get(_metadata, self, "Range: bytes=59990-\r\n", 206, 59990,
		  RANGE_LEN - 1);
	range_get(_metadata, self, "Range: bytes=-100000\r\n", 206, 0,
		  RANGE_LEN - 1);
	range_get(_metadata, self, "Range: bytes=0-18446744073709551615\r\n",
		  206, 0, RANGE_LEN - 1);
	range_get(_metadata, self, "Range: BYTES= 5-9 ,\r\n", 206, 5, 9);
	/* no OWS around '=' in the ABNF: not a range */
	range_get(_metadata, self, "Range: bytes = 5-9\r\n", 200, 0, 0);
	/* not a valid range: ignored, the whole representation */
	range_get(_metadata, self, "Range: bytes=1-0\r\n", 200, 0, 0);
	range_get(_metadata, self, "Range: bytes=x-1\r\n", 200, 0, 0);
	range_get(_metadata, self, "Range: bytes=18446744073709551616-\r\n",
		  200, 0, 0);
	range_get(_metadata, self, "Range: items=0-1\r\n", 200, 0, 0);
	/* several ranges: answered whole, never as multipart */
	range_get(_metadata, self, "Range: bytes=0-1,5-6\r\n", 200, 0, 0);
	/* a HEAD ignores Range (RFC 9110 14.2 defines it for GET) */
	expect_status(_metadata, self, "HEAD /r.bin HTTP/1.1\r\n" H
		      "Range: bytes=0-0\r\n\r\n", 200);
	EXPECT_EQ(RANGE_LEN, self->r.content_length);
	EXPECT_EQ(NULL, hdr(self, "Content-Range"));
	/* a 206 of the stored error responses never happens */
	expect_status(_metadata, self, "GET /none HTTP/1.1\r\n" H
		      "Range: bytes=0-0\r\n\r\n", 404);
}

TEST_F(http, range_unsatisfiable_416)
{
	char want[64];

	range_setup(_metadata, self, variant);
	snprintf(want, sizeof(want), "bytes */%d", RANGE_LEN);
	expect_status(_metadata, self, "GET /r.bin HTTP/1.1\r\n" H
		      "Range: bytes=60000-\r\n\r\n", 416);
	EXPECT_STREQ(want, hdr(self, "Content-Range"));
	EXPECT_EQ(self->r.content_length, self->r.body_len);
	EXPECT_FALSE(self->r.conn_close);
	expect_status(_metadata, self, "GET /r.bin HTTP/1.1\r\n" H
		      "Range: bytes=-0\r\n\r\n", 416);
	EXPECT_STREQ(want, hdr(self, "Content-Range"));
	/* the connection goes on */
	range_get(_metadata, self, "Range: bytes=0-0\r\n", 206, 0, 0);
}

/* If-Range: a strong ETag that matches, or the exact Last-Modified */
TEST_F(http, range_if_range)
{
	char etag[128], lm[64], f[512];

	range_setup(_metadata, self, variant);
	range_get(_metadata, self, "", 200, 0, 0);
	snprintf(etag, sizeof(etag), "%s", hdr(self, "ETag"));
	snprintf(lm, sizeof(lm), "%s", hdr(self, "Last-Modified"));

	snprintf(f, sizeof(f), "Range: bytes=10-19\r\nIf-Range: %s\r\n", etag);
	range_get(_metadata, self, f, 206, 10, 19);
	snprintf(f, sizeof(f), "If-Range: %s\r\nRange: bytes=10-19\r\n", lm);
	range_get(_metadata, self, f, 206, 10, 19);
	range_get(_metadata, self, "Range: bytes=10-19\r\n"
		  "If-Range: \"other\"\r\n", 200, 0, 0);
	snprintf(f, sizeof(f), "Range: bytes=10-19\r\nIf-Range: W/%s\r\n", etag);
	range_get(_metadata, self, f, 200, 0, 0);
	range_get(_metadata, self, "Range: bytes=10-19\r\n"
		  "If-Range: Thu, 01 Jan 1970 00:00:00 GMT\r\n", 200, 0, 0);
	/* a 304 wins over a Range */
	expect_status(_metadata, self, "GET /r.bin HTTP/1.1\r\n" H
		      "Range: bytes=10-19\r\nIf-None-Match: *\r\n\r\n", 304);
	EXPECT_EQ(NULL, hdr(self, "Content-Range"));
}

/* Ranges pipelined among whole answers, in one write: each in order */
TEST_F(http, range_pipelined)
{
	char req[8192];
	size_t n = 0;
	int i;

	range_setup(_metadata, self, variant);
	for (i = 0; i < 30; i++)
		n += snprintf(req + n, sizeof(req) - n, i % 3 ?
			      "GET /r.bin HTTP/1.1\r\n" H
			      "Range: bytes=%d-%d\r\n\r\n" :
			      "GET / HTTP/1.1\r\n" H "X-N: %d-%d\r\n\r\n",
			      i * 1000, i * 1000 + 2000 + i);
	ASSERT_EQ(0, khttpd_send_all(self->c.fd, req, n));
	for (i = 0; i < 30; i++) {
		size_t j, first = i * 1000;

		ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
		if (!(i % 3)) {
			EXPECT_EQ(200, self->r.status);
			EXPECT_STREQ("Hello, World!", self->r.body);
			continue;
		}
		ASSERT_EQ(206, self->r.status) TH_LOG("answer %d", i);
		ASSERT_EQ(2001 + i, self->r.body_len);
		for (j = 0; j < self->r.body_len &&
		     (unsigned char)self->r.body[j] == range_byte(first + j); j++)
			;
		EXPECT_EQ(self->r.body_len, j) TH_LOG("answer %d", i);
	}
}

TEST_F(http, pipelined_100_in_one_write)
{
	static char req[100 * 64];
	int i;

	req[0] = '\0';
	for (i = 0; i < 100; i++)
		strcat(req, i % 3 == 1 ? "HEAD / HTTP/1.1\r\n" H "\r\n" :
			    i % 3 == 2 ? "GET /x HTTP/1.1\r\n" H "\r\n" :
					 GET_ROOT);
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, req));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, i % 3 == 1))
			TH_LOG("response %d", i);
		EXPECT_EQ(i % 3 == 2 ? 404 : 200, self->r.status);
	}
	/* and nothing more */
	EXPECT_FALSE(khttpd_client_sees_close(&self->c, 200));
	EXPECT_EQ(0, self->c.len);
}

/* Requests cut into pieces at many places arrive whole. */
TEST_F(http, split_at_many_points)
{
	const char *req = "GET /?q HTTP/1.1\r\n" H "If-None-Match: \"x\"\r\n\r\n";
	size_t len = strlen(req), cut;

	for (cut = 1; cut < len; cut += 3) {
		ASSERT_EQ(0, khttpd_send_all(self->c.fd, req, cut));
		usleep(3000);
		ASSERT_EQ(0, khttpd_send_all(self->c.fd, req + cut, len - cut));
		ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false))
			TH_LOG("cut at %zu", cut);
		EXPECT_EQ(200, self->r.status);
	}
}

/* After a refusal, bytes the client already sent do not reset the answer. */
TEST_F(http, refusal_survives_trailing_data)
{
	static char req[32768];

	strcpy(req, "BREW / HTTP/1.1\r\n" H "\r\n");
	memset(req + strlen(req), 'x', 30000);
	expect_refusal(_metadata, self, req, 501);
	EXPECT_STREQ("Not Implemented\n", self->r.body);
}

/* Slowloris: a head trickled in slower than header_timeout is cut off. */
TEST_F(http, slowloris_closed_after_header_timeout)
{
	bool closed = false;
	double t0, t;

	ASSERT_EQ(0, start(_metadata, self, variant, "header_timeout_ms=1000"));
	khttpd_client_close(&self->c);
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	t0 = khttpd_now();
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, "GET / HTTP/1.1\r\n" H "X: "));
	/* keep trickling: activity must not extend the deadline */
	while (!closed && khttpd_now() - t0 < 6) {
		khttpd_send_str(self->c.fd, "a");
		closed = khttpd_client_sees_close(&self->c, 200);
	}
	t = khttpd_now() - t0;
	EXPECT_TRUE(closed) TH_LOG("still open after %.1f s", t);
	EXPECT_GE(t, 0.9);
	EXPECT_LT(t, 4.0);
}

/* A connection that never sends anything is cut off too. */
TEST_F(http, silent_connection_closed_after_header_timeout)
{
	ASSERT_EQ(0, start(_metadata, self, variant, "header_timeout_ms=1000"));
	khttpd_client_close(&self->c);
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	EXPECT_FALSE(khttpd_client_sees_close(&self->c, 500));
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 4000));
}

/*
 * Empty lines before a request line are allowed, but they are a request
 * beginning, not keep-alive activity: a client sending one every quarter
 * of header_timeout is cut off once header_timeout has passed since the
 * first, well before the bound on empty lines is reached, and silently.
 */
/*
 * Empty lines before a request start its head clock and never restart the
 * idle one: four of them (fewer than the parser's bound) and then silence
 * close the connection after the header timeout (1 s), not the keep-alive
 * timeout (30 s) counted from the last one.
 */
TEST_F(http, empty_lines_do_not_hold_a_connection)
{
	double t0, t;
	int i;

	ASSERT_EQ(0, start(_metadata, self, variant,
			   "header_timeout_ms=1000 keepalive_timeout_ms=30000"));
	khttpd_client_close(&self->c);
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	expect_status(_metadata, self, "\r\n\r\n" GET_ROOT, 200);
	t0 = khttpd_now();
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, khttpd_send_str(self->c.fd, "\r\n"));
		usleep(200 * 1000);
	}
	/* closed with nothing sent (a 408-less timeout), well before 30 s */
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 15000));
	t = khttpd_now() - t0;
	EXPECT_LT(t, 15.5) TH_LOG("still open after %.1f s", t);
}

TEST_F(http, idle_keepalive_closed_after_timeout)
{
	ASSERT_EQ(0, start(_metadata, self, variant, "keepalive_timeout_ms=1000"));
	khttpd_client_close(&self->c);
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	/* activity keeps it open past one timeout */
	expect_status(_metadata, self, GET_ROOT, 200);
	usleep(600 * 1000);
	expect_status(_metadata, self, GET_ROOT, 200);
	usleep(600 * 1000);
	expect_status(_metadata, self, GET_ROOT, 200);
	/* then idle: closed within the timeout, plus slack */
	EXPECT_FALSE(khttpd_client_sees_close(&self->c, 300));
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 4000));
}

/* A client that stops reading is reset after send_timeout. */
TEST_F(http, reader_that_stopped_is_reset)
{
	static char req[64 * 1024];
	int rcv = 4096, fl, full;
	size_t n = 0, off;
	ssize_t sent;
	double t0;

	ASSERT_EQ(0, start(_metadata, self, variant, "send_timeout_ms=2000"));
	khttpd_client_close(&self->c);
	self->c.fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_GE(self->c.fd, 0);
	setsockopt(self->c.fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	{
		struct sockaddr_in sin = {
			.sin_family = AF_INET,
			.sin_port = htons(KHTTPD_PORT),
			.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
		};
		ASSERT_EQ(0, connect(self->c.fd, (struct sockaddr *)&sin,
				     sizeof(sin)));
	}
	while (n + sizeof(GET_ROOT) < sizeof(req)) {
		memcpy(req + n, GET_ROOT, sizeof(GET_ROOT) - 1);
		n += sizeof(GET_ROOT) - 1;
	}
	fl = fcntl(self->c.fd, F_GETFL);
	fcntl(self->c.fd, F_SETFL, fl | O_NONBLOCK);
	/*
	 * Pipeline requests and never read, until the server stops taking
	 * them (its answers fill our receive buffer, then its send buffer).
	 */
	t0 = khttpd_now();
	for (off = 0, full = 0; full < 5 && khttpd_now() - t0 < 10;
	     off = (off + sent) % n) {
		sent = send(self->c.fd, req + off, n - off, MSG_NOSIGNAL);
		if (sent < 0) {
			ASSERT_EQ(EAGAIN, errno);
			sent = 0;
			full++;
			usleep(10000);
		} else {
			full = 0;
		}
	}
	ASSERT_EQ(5, full) TH_LOG("the server kept reading");
	t0 = khttpd_now();
	EXPECT_EQ(1, khttpd_server_side_state(self->c.fd));
	/* no reading for longer than the timeout: the server lets go */
	while (khttpd_now() - t0 < 10 && khttpd_server_side_state(self->c.fd))
		usleep(50000);
	EXPECT_EQ(0, khttpd_server_side_state(self->c.fd));
	EXPECT_GE(khttpd_now() - t0, 1.0);
}

/* At max_conns, new connections get 503 and the others carry on. */
TEST_F(http, max_conns_refuses_cleanly)
{
	struct khttpd_client cl[4];
	int i;

	ASSERT_EQ(0, start(_metadata, self, variant, "max_conns=4"));
	khttpd_client_close(&self->c);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, khttpd_client_open(&cl[i], KHTTPD_PORT));
		ASSERT_EQ(0, khttpd_roundtrip(&cl[i], GET_ROOT, &self->r));
		EXPECT_EQ(200, self->r.status);
	}
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	expect_refusal(_metadata, self, GET_ROOT, 503);
	khttpd_client_close(&self->c);
	/* the existing connections are still served */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, khttpd_roundtrip(&cl[i], GET_ROOT, &self->r));
		EXPECT_EQ(200, self->r.status);
	}
	/* one leaves: there is room for one more */
	khttpd_client_close(&cl[0]);
	usleep(200 * 1000);
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	expect_status(_metadata, self, GET_ROOT, 200);
	for (i = 1; i < 4; i++)
		khttpd_client_close(&cl[i]);
}

TEST_HARNESS_MAIN
