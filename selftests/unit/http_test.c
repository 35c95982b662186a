// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the HTTP engine (kmod/http.c, kmod/http_resp.c),
 * built with ASan and UBSan.  Requests are fed the way the servers feed
 * them: bytes appended to a connection buffer, the parser called until it
 * wants more, consumed bytes dropped; and every test of a stream is run
 * again with the stream cut at every byte.
 */
#include "kselftest_harness.h"
#include "http.h"
#include <linux/khttpd.h>	/* the limits' defaults */

static const struct khttpd_limits deflim = {
	.max_request_line = KHTTPD_CFG_MAX_REQUEST_LINE_DEF,
	.max_header_bytes = KHTTPD_CFG_MAX_HEADER_BYTES_DEF,
	.max_header_fields = KHTTPD_CFG_MAX_HEADER_FIELDS_DEF,
	.max_body = KHTTPD_CFG_MAX_BODY_DEF,
};

/* What one parse produced, in a form that outlives the buffer. */
struct result {
	int ret;		/* KHTTPD_PARSE_REQUEST or -status */
	int method, version;
	bool keep_alive;
	unsigned long long body_len;
	char path[256];
	char kept[256];		/* the raw values kept: see kept_values() */
};

/* "-" for a value not kept */
static int kept_value(char *out, size_t cap, const char *v, unsigned int len)
{
	return v ? snprintf(out, cap, "%.*s", (int)len, v) :
		   snprintf(out, cap, "-");
}

/*
 * The raw values a request keeps for later, as one string:
 * "query|range|if-range|accept-encoding|dup bits".
 */
static void kept_values(char *out, size_t cap,
			const struct khttpd_request *req)
{
	size_t n = 0;

	n += kept_value(out + n, cap - n, req->query, req->query_len);
	n += snprintf(out + n, cap - n, "|");
	n += kept_value(out + n, cap - n, req->range, req->range_len);
	n += snprintf(out + n, cap - n, "|");
	n += kept_value(out + n, cap - n, req->if_range, req->if_range_len);
	n += snprintf(out + n, cap - n, "|");
	n += kept_value(out + n, cap - n, req->accept_enc,
			req->accept_enc_len);
	snprintf(out + n, cap - n, "|%u", req->dup);
}

#define MAX_RESULTS 256

struct conn {
	struct khttpd_parser p;
	char *buf;		/* exactly len bytes: ASan sees overreads */
	size_t len;
	struct result res[MAX_RESULTS];
	int n;
	bool dead;		/* refused: nothing after counts */
};

/* Append @len bytes and parse as a server would. */
static void conn_feed(struct conn *c, const struct khttpd_limits *lim,
		      const char *data, size_t len)
{
	char *nb;

	if (c->dead)
		return;
	nb = malloc(c->len + len + 1);
	if (c->len)
		memcpy(nb, c->buf, c->len);
	if (len)
		memcpy(nb + c->len, data, len);
	free(c->buf);
	c->buf = nb;
	c->len += len;

	for (;;) {
		struct khttpd_request req;
		struct result *r;
		size_t used;
		int ret;

		/* an exact-size copy each call: overreads are caught */
		nb = malloc(c->len ? c->len : 1);
		if (c->len)
			memcpy(nb, c->buf, c->len);
		free(c->buf);
		c->buf = nb;
		ret = khttpd_http_parse(&c->p, c->buf, c->len, lim, &req, &used);
		if (used > c->len)
			abort();
		if (ret != KHTTPD_PARSE_MORE && c->n < MAX_RESULTS) {
			r = &c->res[c->n++];
			memset(r, 0, sizeof(*r));
			r->ret = ret;
			if (ret == KHTTPD_PARSE_REQUEST) {
				r->method = req.method;
				r->version = req.version;
				r->keep_alive = req.keep_alive;
				r->body_len = req.body_len;
				if (req.path)
					snprintf(r->path, sizeof(r->path),
						 "%.*s", (int)req.path_len,
						 req.path);
				kept_values(r->kept, sizeof(r->kept), &req);
			}
		}
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		if (ret < 0) {
			c->dead = true;
			return;
		}
		if (ret == KHTTPD_PARSE_MORE)
			return;
	}
}

static void conn_init(struct conn *c)
{
	memset(c, 0, sizeof(*c));
}

static void conn_free(struct conn *c)
{
	free(c->buf);
}

static bool same_results(const struct conn *a, const struct conn *b)
{
	int i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct result *x = &a->res[i], *y = &b->res[i];

		if (x->ret != y->ret || x->method != y->method ||
		    x->version != y->version ||
		    x->keep_alive != y->keep_alive ||
		    x->body_len != y->body_len || strcmp(x->path, y->path) ||
		    strcmp(x->kept, y->kept))
			return false;
	}
	return true;
}

/* Parse @s whole, then cut at every byte, and at every pair of bytes for
 * short streams: every way must give the same results. */
static void check_all_splits(struct __test_metadata *_metadata,
			     const char *name, const char *s, size_t len,
			     const struct khttpd_limits *lim, struct conn *whole)
{
	size_t i, j;

	conn_init(whole);
	conn_feed(whole, lim, s, len);
	for (i = 0; i <= len; i++) {
		struct conn *c = malloc(sizeof(*c));

		conn_init(c);
		conn_feed(c, lim, s, i);
		conn_feed(c, lim, s + i, len - i);
		EXPECT_TRUE(same_results(whole, c))
			TH_LOG("%s: cut at %zu gives other results", name, i);
		conn_free(c);
		free(c);
	}
	if (len > 200)
		return;
	/* byte by byte */
	{
		struct conn *c = malloc(sizeof(*c));

		conn_init(c);
		for (j = 0; j < len; j++)
			conn_feed(c, lim, s + j, 1);
		EXPECT_TRUE(same_results(whole, c))
			TH_LOG("%s: byte by byte gives other results", name);
		conn_free(c);
		free(c);
	}
}

struct parse_case {
	const char *name;
	const char *in;
	int ret;		/* 1: request; 0: incomplete; else -status */
	int method;
	int version;
	bool keep_alive;
	const char *path;
	unsigned long long body;
};

#define OK(n, s, m, v, ka, p) { n, s, 1, KHTTPD_METHOD_##m, v, ka, p }
#define MORE(n, s) { n, s, 0, 0, 0, false, "" }
#define ERR(n, s, st) { n, s, -(st), 0, 0, false, "" }
#define H "Host: a\r\n"
#define HOST_OK(v) OK("host '" v "'", "GET / HTTP/1.1\r\nHost: " v "\r\n\r\n", \
		      GET, 11, true, "/")
#define HOST_BAD(v) ERR("host '" v "'", "GET / HTTP/1.1\r\nHost: " v "\r\n\r\n", 400)

static const struct parse_case cases[] = {
	/* methods and versions */
	OK("get", "GET / HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/"),
	OK("head", "HEAD /x HTTP/1.1\r\n" H "\r\n", HEAD, 11, true, "/x"),
	OK("post known", "POST / HTTP/1.1\r\n" H "\r\n", OTHER, 11, true, ""),
	OK("options *", "OPTIONS * HTTP/1.1\r\n" H "\r\n", OTHER, 11, true, ""),
	OK("connect", "CONNECT a:443 HTTP/1.1\r\n" H "\r\n", OTHER, 11, true, ""),
	OK("unknown method", "BREW / HTTP/1.1\r\n" H "\r\n", UNKNOWN, 11, true, ""),
	OK("lowercase method is unknown", "get / HTTP/1.1\r\n" H "\r\n",
	   UNKNOWN, 11, true, ""),
	ERR("version 2.0", "GET / HTTP/2.0\r\n" H "\r\n", 505),
	ERR("version 9.9", "GET / HTTP/9.9\r\n" H "\r\n", 505),
	ERR("version 0.9", "GET / HTTP/0.9\r\n" H "\r\n", 505),
	/* a higher 1.x is processed as 1.1 (RFC 9110 section 2.5) */
	OK("version 1.2", "GET / HTTP/1.2\r\n" H "\r\n", GET, 11, true, "/"),
	OK("version 1.9", "GET / HTTP/1.9\r\n" H "\r\n", GET, 11, true, "/"),
	OK("version 1.2 close", "GET / HTTP/1.2\r\n" H "Connection: close\r\n\r\n",
	   GET, 11, false, "/"),
	ERR("version 1.2 needs host", "GET / HTTP/1.2\r\n\r\n", 400),
	ERR("garbage version", "GET / HTTX/1.1\r\n" H "\r\n", 400),
	ERR("lowercase http", "GET / http/1.1\r\n" H "\r\n", 400),
	ERR("version 1.10", "GET / HTTP/1.10\r\n" H "\r\n", 400),
	ERR("no version", "GET /\r\n" H "\r\n", 400),
	ERR("two spaces", "GET  / HTTP/1.1\r\n" H "\r\n", 400),
	ERR("trailing space", "GET / HTTP/1.1 \r\n" H "\r\n", 400),
	ERR("tab separator", "GET\t/ HTTP/1.1\r\n" H "\r\n", 400),
	ERR("method with slash", "G/T / HTTP/1.1\r\n" H "\r\n", 400),
	/* persistence */
	OK("1.1 close", "GET / HTTP/1.1\r\n" H "Connection: close\r\n\r\n",
	   GET, 11, false, "/"),
	OK("close in a list, any case",
	   "GET / HTTP/1.1\r\n" H "Connection: Upgrade,  CLOSE \r\n\r\n",
	   GET, 11, false, "/"),
	OK("1.0 closes", "GET / HTTP/1.0\r\n\r\n", GET, 10, false, "/"),
	OK("1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
	   GET, 10, true, "/"),
	OK("1.0 close wins",
	   "GET / HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
	   GET, 10, false, "/"),
	OK("1.0 may omit host", "GET / HTTP/1.0\r\n\r\n", GET, 10, false, "/"),
	/* Host */
	ERR("1.1 without host", "GET / HTTP/1.1\r\n\r\n", 400),
	ERR("two hosts", "GET / HTTP/1.1\r\n" H H "\r\n", 400),
	ERR("1.0 two hosts", "GET / HTTP/1.0\r\n" H H "\r\n", 400),
	OK("empty host value", "GET / HTTP/1.1\r\nHost:\r\n\r\n", GET, 11, true, "/"),
	/* Host = uri-host [ ":" port ] (RFC 9112 section 3.2) */
	HOST_OK("a:80"),
	HOST_OK("a:"),
	HOST_OK(" \t a:80 \t"),
	HOST_OK("%41bc"),
	HOST_OK("%7e"),
	HOST_OK("example.com"),
	HOST_OK("192.0.2.1:8080"),
	HOST_OK("a-b_c~d.!$&'()*+,;="),
	HOST_OK("[::1]"),
	HOST_OK("[::1]:8080"),
	HOST_OK("[::1]:"),
	HOST_OK("[::]"),
	HOST_OK("[2001:db8::1]"),
	HOST_OK("[2001:DB8:0:0:0:0:0:1]"),
	HOST_OK("[::ffff:1.2.3.4]"),
	HOST_OK("[::1.2.3.4]"),
	HOST_OK("[1:2:3:4:5:6:1.2.3.4]"),
	HOST_OK("[1:2:3:4:5:6:7:8]"),
	HOST_OK("[1:2:3:4:5:6:7::]"),
	HOST_OK("[::2:3:4:5:6:7:8]"),
	HOST_OK("[1::]"),
	HOST_OK("[1::8]"),
	HOST_OK("[1:2:3:4:5::255.255.255.255]"),
	HOST_OK("[v1.a:b]"),
	HOST_OK("[VaF.x~!=]:80"),
	HOST_BAD("a b"),
	HOST_BAD("a@b"),
	HOST_BAD("a/b"),
	HOST_BAD("a?b"),
	HOST_BAD("a:80x"),
	HOST_BAD("a:b:80"),
	HOST_BAD(":80:"),
	HOST_BAD("%4"),
	HOST_BAD("a%4"),
	HOST_BAD("%zz"),
	HOST_BAD("caf\xc3\xa9"),
	HOST_BAD("a]"),
	HOST_BAD("["),
	HOST_BAD("[]"),
	HOST_BAD("[::1"),
	HOST_BAD("[::1]x"),
	HOST_BAD("[::1]:8a"),
	HOST_BAD("[1:2]x"),
	HOST_BAD("[1:2]"),
	HOST_BAD("[::g]"),
	HOST_BAD("[a::1]]"),
	HOST_BAD("[[::1]]"),
	HOST_BAD("[:]"),
	HOST_BAD("[:::]"),
	HOST_BAD("[:1::]"),
	HOST_BAD("[1:]"),
	HOST_BAD("[:1]"),
	HOST_BAD("[1::2::3]"),
	HOST_BAD("[12345::]"),
	HOST_BAD("[1:2:3:4:5:6:7]"),
	HOST_BAD("[1:2:3:4:5:6:7:8:9]"),
	HOST_BAD("[1:2:3:4:5:6:7:8::]"),
	HOST_BAD("[::1:2:3:4:5:6:7:8]"),
	HOST_BAD("[1:2:3:4:5:6:7:1.2.3.4]"),
	HOST_BAD("[1:2:3:4:5:6::1.2.3.4]"),
	HOST_BAD("[1.2.3.4]"),
	HOST_BAD("[1.2.3.4::]"),
	HOST_BAD("[::1.2.3.4:1]"),
	HOST_BAD("[::1.2.3]"),
	HOST_BAD("[::1.2.3.4.5]"),
	HOST_BAD("[::1.2.3.256]"),
	HOST_BAD("[::1.2.3.04]"),
	HOST_BAD("[::1..3.4]"),
	HOST_BAD("[::a.2.3.4]"),
	HOST_BAD("[v.x]"),
	HOST_BAD("[v1.]"),
	HOST_BAD("[v1x]"),
	HOST_BAD("[vg.x]"),
	HOST_BAD("[v1.x/y]"),
	ERR("1.0 bad host", "GET / HTTP/1.0\r\nHost: a b\r\n\r\n", 400),
	ERR("bad second host", "GET / HTTP/1.1\r\n" H "Host: a b\r\n\r\n", 400),
	/* line endings */
	OK("leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\n" H "\r\n",
	   GET, 11, true, "/"),
	ERR("bare LF request line", "GET / HTTP/1.1\n" H "\r\n", 400),
	ERR("bare LF field", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400),
	ERR("bare LF end", "GET / HTTP/1.1\r\n" H "\n", 400),
	ERR("bare CR in value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400),
	ERR("bare CR in target", "GET /\r HTTP/1.1\r\n" H "\r\n", 400),
	MORE("empty", ""),
	MORE("partial line", "GET / HT"),
	MORE("no end of head", "GET / HTTP/1.1\r\n" H),
	MORE("half of the end", "GET / HTTP/1.1\r\n" H "\r"),
	/* field syntax */
	ERR("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
	ERR("obs-fold", "GET / HTTP/1.1\r\n" H "X: a\r\n b\r\n\r\n", 400),
	ERR("fold on first field", "GET / HTTP/1.1\r\n " H "\r\n", 400),
	ERR("no colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400),
	ERR("empty name", "GET / HTTP/1.1\r\n: a\r\n" H "\r\n", 400),
	ERR("bad name char", "GET / HTTP/1.1\r\nX(y): a\r\n" H "\r\n", 400),
	ERR("NUL in value", "GET / HTTP/1.1\r\nX: a\0b\r\n" H "\r\n", 400),
	ERR("ctl in value", "GET / HTTP/1.1\r\nX: a\x01\r\n" H "\r\n", 400),
	ERR("DEL in value", "GET / HTTP/1.1\r\nX: a\x7f\r\n" H "\r\n", 400),
	OK("obs-text in value", "GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n" H "\r\n",
	   GET, 11, true, "/"),
	OK("tab in value", "GET / HTTP/1.1\r\nX:\ta\tb\t\r\n" H "\r\n",
	   GET, 11, true, "/"),
	/* framing */
	ERR("transfer-encoding", "GET / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n", 501),
	ERR("te and cl", "GET / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", 400),
	ERR("cl list", "GET / HTTP/1.1\r\n" H "Content-Length: 3, 3\r\n\r\nabc", 400),
	ERR("cl conflict", "GET / HTTP/1.1\r\n" H "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
	ERR("cl sign", "GET / HTTP/1.1\r\n" H "Content-Length: +3\r\n\r\nabc", 400),
	ERR("cl empty", "GET / HTTP/1.1\r\n" H "Content-Length:\r\n\r\n", 400),
	ERR("cl hex", "GET / HTTP/1.1\r\n" H "Content-Length: 0x3\r\n\r\nabc", 400),
	ERR("cl huge", "GET / HTTP/1.1\r\n" H "Content-Length: 99999999999999999999999\r\n\r\n", 400),
	ERR("body over the limit", "GET / HTTP/1.1\r\n" H "Content-Length: 65537\r\n\r\n", 413),
	{ "cl twice, same", "GET / HTTP/1.1\r\n" H "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
	  1, KHTTPD_METHOD_GET, 11, true, "/", 3 },
	{ "body skipped", "GET / HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\nhello",
	  1, KHTTPD_METHOD_GET, 11, true, "/", 5 },
	{ "cl leading zeros", "GET / HTTP/1.1\r\n" H "Content-Length: 007\r\n\r\nabcdefg",
	  1, KHTTPD_METHOD_GET, 11, true, "/", 7 },
	OK("cl zero", "GET / HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\n", GET, 11, true, "/"),
	/* targets */
	OK("query not in path", "GET /a/b?c=d/../.. HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/a/b"),
	OK("dot segment", "GET /a/./b HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/a/b"),
	OK("dot-dot", "GET /a/../b HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/b"),
	OK("trailing dot-dot", "GET /a/b/.. HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/a/"),
	OK("trailing dot", "GET /a/. HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/a/"),
	OK("back to root", "GET /a/.. HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/"),
	OK("root dot", "GET /. HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/"),
	OK("three dots are a name", "GET /.../a HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/.../a"),
	OK("dotfile", "GET /.well-known/x HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/.well-known/x"),
	OK("percent decoded", "GET /%41%62%2e%7E HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/Ab.~"),
	OK("encoded slash", "GET /a%2Fb HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/a/b"),
	OK("utf-8 decoded", "GET /caf%C3%A9 HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/caf\xc3\xa9"),
	OK("double slash kept", "GET //a HTTP/1.1\r\n" H "\r\n", GET, 11, true, "//a"),
	ERR("climb", "GET /.. HTTP/1.1\r\n" H "\r\n", 400),
	ERR("climb later", "GET /a/../../b HTTP/1.1\r\n" H "\r\n", 400),
	ERR("encoded climb", "GET /%2e%2e/etc/passwd HTTP/1.1\r\n" H "\r\n", 400),
	ERR("encoded slash climb", "GET /a%2f..%2f.. HTTP/1.1\r\n" H "\r\n", 400),
	ERR("encoded NUL", "GET /a%00b HTTP/1.1\r\n" H "\r\n", 400),
	ERR("encoded control", "GET /a%0d%0a HTTP/1.1\r\n" H "\r\n", 400),
	ERR("bad escape", "GET /a%zz HTTP/1.1\r\n" H "\r\n", 400),
	ERR("short escape", "GET /a%4 HTTP/1.1\r\n" H "\r\n", 400),
	ERR("escape at end", "GET /a% HTTP/1.1\r\n" H "\r\n", 400),
	ERR("fragment", "GET /a#b HTTP/1.1\r\n" H "\r\n", 400),
	ERR("relative", "GET a HTTP/1.1\r\n" H "\r\n", 400),
	ERR("asterisk for GET", "GET * HTTP/1.1\r\n" H "\r\n", 400),
	ERR("raw high byte", "GET /caf\xc3\xa9 HTTP/1.1\r\n" H "\r\n", 400),
	OK("absolute-form", "GET http://example.com/x/y?q HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/x/y"),
	OK("absolute-form no path", "GET http://example.com HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/"),
	OK("absolute-form query only", "GET http://e.com?q HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/"),
	OK("absolute-form https, case", "GET HTTPS://E.COM/A HTTP/1.1\r\n" H "\r\n", GET, 11, true, "/A"),
	ERR("absolute-form empty authority", "GET http:///x HTTP/1.1\r\n" H "\r\n", 400),
	ERR("other scheme", "GET ftp://e.com/x HTTP/1.1\r\n" H "\r\n", 400),
};

TEST(parse_table_every_split)
{
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		size_t len = strlen(c->in);
		struct conn *whole = malloc(sizeof(*whole));
		const struct result *r = &whole->res[0];

		/* "NUL in value" has a NUL inside: take its real length */
		if (!strcmp(c->name, "NUL in value"))
			len = sizeof("GET / HTTP/1.1\r\nX: a\0b\r\n" H "\r\n") - 1;
		check_all_splits(_metadata, c->name, c->in, len, &deflim, whole);
		if (c->ret == 0) {
			EXPECT_EQ(0, whole->n) TH_LOG("case '%s'", c->name);
		} else {
			ASSERT_EQ(1, whole->n) TH_LOG("case '%s'", c->name);
			EXPECT_EQ(c->ret, r->ret) TH_LOG("case '%s'", c->name);
			if (c->ret == 1 && r->ret == 1) {
				EXPECT_EQ(c->method, r->method) TH_LOG("case '%s'", c->name);
				EXPECT_EQ(c->version, r->version) TH_LOG("case '%s'", c->name);
				EXPECT_EQ(c->keep_alive, r->keep_alive) TH_LOG("case '%s'", c->name);
				EXPECT_STREQ(c->path, r->path) TH_LOG("case '%s'", c->name);
				EXPECT_EQ(c->body, r->body_len) TH_LOG("case '%s'", c->name);
				/* whole input consumed: nothing left over */
				EXPECT_EQ(0, whole->len) TH_LOG("case '%s'", c->name);
			}
		}
		conn_free(whole);
		free(whole);
	}
}

/*
 * The values kept raw for a lazy look later: the first line of each, a
 * repeated one flagged, the query of both target forms.
 */
TEST(kept_values_every_split)
{
	static const struct {
		const char *in, *kept;
	} k[] = {
		{ "GET / HTTP/1.1\r\n" H "\r\n", "-|-|-|-|0" },
		{ "GET /a?b=c&d HTTP/1.1\r\n" H "\r\n", "b=c&d|-|-|-|0" },
		{ "GET /a? HTTP/1.1\r\n" H "\r\n", "|-|-|-|0" },
		{ "GET /a?b?c/../d HTTP/1.1\r\n" H "\r\n", "b?c/../d|-|-|-|0" },
		{ "HEAD /a/%2e%2e/b?x HTTP/1.1\r\n" H "\r\n", "x|-|-|-|0" },
		{ "GET http://e.com?q=1 HTTP/1.1\r\n" H "\r\n", "q=1|-|-|-|0" },
		{ "GET http://e.com/x?q HTTP/1.1\r\n" H "\r\n", "q|-|-|-|0" },
		{ "GET http://e.com HTTP/1.1\r\n" H "\r\n", "-|-|-|-|0" },
		{ "GET / HTTP/1.1\r\n" H "Range:  bytes=0-1 \r\n\r\n",
		  "-|bytes=0-1|-|-|0" },
		{ "GET / HTTP/1.1\r\n" H "range: a\r\nRANGE: b\r\n\r\n",
		  "-|a|-|-|1" },
		{ "GET / HTTP/1.1\r\n" H "If-Range: \"x\"\r\n\r\n",
		  "-|-|\"x\"|-|0" },
		{ "GET / HTTP/1.1\r\n" H "If-Range: a\r\nIf-Range: a\r\n\r\n",
		  "-|-|a|-|2" },
		{ "GET / HTTP/1.1\r\n" H "Accept-Encoding: gzip, br\r\n\r\n",
		  "-|-|-|gzip, br|0" },
		{ "GET / HTTP/1.1\r\n" H "Accept-Encoding:\r\n"
		  "Accept-Encoding: gzip\r\n\r\n", "-|-|-||4" },
		{ "GET / HTTP/1.1\r\n" H "Accept-Language: gzip\r\n"
		  "Ranges: x\r\nIf-Ranges: y\r\n\r\n", "-|-|-|-|0" },
		{ "GET /?q HTTP/1.1\r\nRange: r\r\nIf-Range: i\r\n"
		  "Accept-Encoding: a\r\nRange: r\r\n" H "\r\n", "q|r|i|a|1" },
		/* not kept for other methods: they are answered before */
		{ "POST /?q HTTP/1.1\r\n" H "\r\n", "-|-|-|-|0" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct conn *whole = malloc(sizeof(*whole));

		check_all_splits(_metadata, k[i].in, k[i].in, strlen(k[i].in),
				 &deflim, whole);
		ASSERT_EQ(1, whole->n) TH_LOG("'%s'", k[i].in);
		EXPECT_EQ(KHTTPD_PARSE_REQUEST, whole->res[0].ret)
			TH_LOG("'%s'", k[i].in);
		EXPECT_STREQ(k[i].kept, whole->res[0].kept)
			TH_LOG("'%s'", k[i].in);
		conn_free(whole);
		free(whole);
	}
}

/* A kept value is @want (NULL: none was kept). */
static bool kept_is(const char *v, unsigned int len, const char *want)
{
	if (!want)
		return !v;
	return v && len == strlen(want) && !memcmp(v, want, len);
}

/*
 * What the access log keeps, raw: the method token, the target of a
 * method other than GET and HEAD, the first Referer and User-Agent.
 */
TEST(logged_values)
{
	static const struct {
		const char *in, *method, *target, *referer, *ua;
	} k[] = {
		{ "GET /a HTTP/1.1\r\n" H "Referer: http://r/x\r\n"
		  "User-Agent:  ua 1.0 \r\n\r\n", "GET", NULL, "http://r/x",
		  "ua 1.0" },
		{ "POST /form?x=1 HTTP/1.1\r\n" H "\r\n", "POST",
		  "/form?x=1", NULL, NULL },
		{ "BREW /pot HTTP/1.1\r\n" H "user-agent: a\r\n"
		  "USER-AGENT: b\r\nreferer: c\r\nReferer: d\r\n\r\n",
		  "BREW", "/pot", "c", "a" },
		{ "HEAD / HTTP/1.0\r\nReferrer: no\r\nUser-Agents: no\r\n\r\n",
		  "HEAD", NULL, NULL, NULL },
	};
	unsigned int i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct khttpd_parser p = { 0 };
		struct khttpd_request req;
		char *buf = strdup(k[i].in);
		size_t used;

		ASSERT_EQ(KHTTPD_PARSE_REQUEST,
			  khttpd_http_parse(&p, buf, strlen(buf), &deflim, &req,
					    &used)) TH_LOG("'%s'", k[i].in);
		EXPECT_EQ(strlen(k[i].method), req.method_len);
		EXPECT_EQ(0, memcmp(req.method_tok, k[i].method, req.method_len));
		if (k[i].target) {
			EXPECT_EQ(strlen(k[i].target), req.target_len);
			EXPECT_EQ(0, memcmp(req.target, k[i].target,
					    req.target_len));
		}
		EXPECT_TRUE(kept_is(req.referer, req.referer_len, k[i].referer))
			TH_LOG("'%s'", k[i].in);
		EXPECT_TRUE(kept_is(req.user_agent, req.user_agent_len, k[i].ua))
			TH_LOG("'%s'", k[i].in);
		free(buf);
	}
}

/* A stream of 100 mixed requests in one piece, and cut at every byte. */
TEST(pipelined_every_split)
{
	static const char *const reqs[] = {
		"GET / HTTP/1.1\r\n" H "\r\n",
		"HEAD /b HTTP/1.1\r\n" H "\r\n",
		"GET /c HTTP/1.1\r\n" H "Content-Length: 4\r\n\r\nbody",
		"\r\nGET /%64 HTTP/1.1\r\n" H "If-None-Match: \"x\"\r\n\r\n",
		"POST /e HTTP/1.1\r\n" H "Content-Length: 2\r\n\r\nhi",
	};
	char *s = malloc(100 * 128);
	struct conn *whole = malloc(sizeof(*whole));
	size_t len = 0;
	int i;

	for (i = 0; i < 100; i++) {
		strcpy(s + len, reqs[i % 5]);
		len += strlen(reqs[i % 5]);
	}
	check_all_splits(_metadata, "pipelined", s, len, &deflim, whole);
	ASSERT_EQ(100, whole->n);
	for (i = 0; i < 100; i++) {
		static const char *const paths[] = { "/", "/b", "/c", "/d", "" };

		EXPECT_EQ(KHTTPD_PARSE_REQUEST, whole->res[i].ret);
		EXPECT_STREQ(paths[i % 5], whole->res[i].path);
	}
	EXPECT_EQ(0, whole->len);
	conn_free(whole);
	free(whole);
	free(s);
}

/* Build a request whose request line is @n bytes long. */
static char *req_line_of(size_t n)
{
	char *s = malloc(n + 64);
	size_t t = n - strlen("GET  HTTP/1.1");

	strcpy(s, "GET /");
	memset(s + 5, 'a', t - 1);
	strcpy(s + 4 + t, " HTTP/1.1\r\n" H "\r\n");
	return s;
}

/* One case of a limit: the status when fed whole and byte by byte. */
static int limit_status(const char *s, size_t len, const struct khttpd_limits *l)
{
	struct conn *c = malloc(sizeof(*c)), *d = malloc(sizeof(*d));
	int ret, i;

	conn_init(c);
	conn_feed(c, l, s, len);
	ret = c->n ? c->res[0].ret : 0;
	/* fed in small pieces it must end the same way */
	conn_init(d);
	for (i = 0; i < (int)len; i += 7)
		conn_feed(d, l, s + i, len - i < 7 ? len - i : 7);
	if ((d->n ? d->res[0].ret : 0) != ret)
		ret = -999;
	conn_free(c);
	conn_free(d);
	free(c);
	free(d);
	return ret;
}

TEST(limit_request_line)
{
	struct khttpd_limits l = deflim;
	size_t n = l.max_request_line;
	char *s;

	s = req_line_of(n - 1);
	EXPECT_EQ(1, limit_status(s, strlen(s), &l));
	free(s);
	s = req_line_of(n);
	EXPECT_EQ(1, limit_status(s, strlen(s), &l));
	free(s);
	s = req_line_of(n + 1);
	EXPECT_EQ(-414, limit_status(s, strlen(s), &l));
	/* refused before the line ends: no need to wait for the rest */
	EXPECT_EQ(-414, limit_status(s, n + 2, &l));
	EXPECT_EQ(0, limit_status(s, n, &l));
	free(s);
}

/* A head whose header section (field lines with CRLFs) is @n bytes. */
static char *header_bytes_of(size_t n, size_t *len)
{
	char *s = malloc(n + 64);
	size_t pad = n - strlen(H) - strlen("X: \r\n");

	strcpy(s, "GET / HTTP/1.1\r\n" H "X: ");
	memset(s + strlen(s), 'v', pad);
	strcpy(s + strlen("GET / HTTP/1.1\r\n" H "X: ") + pad, "\r\n\r\n");
	*len = strlen(s);
	return s;
}

TEST(limit_header_bytes)
{
	struct khttpd_limits l = deflim;
	size_t n = l.max_header_bytes, len;
	char *s;

	s = header_bytes_of(n - 1, &len);
	EXPECT_EQ(1, limit_status(s, len, &l));
	free(s);
	s = header_bytes_of(n, &len);
	EXPECT_EQ(1, limit_status(s, len, &l));
	free(s);
	s = header_bytes_of(n + 1, &len);
	EXPECT_EQ(-431, limit_status(s, len, &l));
	free(s);
}

static char *fields_of(int n, size_t *len)
{
	char *s = malloc(64 + n * 16);
	int i;

	strcpy(s, "GET / HTTP/1.1\r\n" H);
	for (i = 1; i < n; i++)
		sprintf(s + strlen(s), "X%d: y\r\n", i);
	strcat(s, "\r\n");
	*len = strlen(s);
	return s;
}

TEST(limit_header_fields)
{
	struct khttpd_limits l = deflim;
	int n = l.max_header_fields;
	size_t len;
	char *s;

	s = fields_of(n - 1, &len);
	EXPECT_EQ(1, limit_status(s, len, &l));
	free(s);
	s = fields_of(n, &len);
	EXPECT_EQ(1, limit_status(s, len, &l));
	free(s);
	s = fields_of(n + 1, &len);
	EXPECT_EQ(-431, limit_status(s, len, &l));
	free(s);
}

TEST(limit_body)
{
	struct khttpd_limits l = deflim;
	char s[256];
	unsigned int n = 100;

	l.max_body = n;
	sprintf(s, "GET / HTTP/1.1\r\n" H "Content-Length: %u\r\n\r\n", n - 1);
	EXPECT_EQ(1, limit_status(s, strlen(s), &l));
	sprintf(s, "GET / HTTP/1.1\r\n" H "Content-Length: %u\r\n\r\n", n);
	EXPECT_EQ(1, limit_status(s, strlen(s), &l));
	sprintf(s, "GET / HTTP/1.1\r\n" H "Content-Length: %u\r\n\r\n", n + 1);
	EXPECT_EQ(-413, limit_status(s, strlen(s), &l));
}

/* The body is skipped even when it arrives long after its head. */
TEST(body_skipped_across_reads)
{
	const char *head = "GET /a HTTP/1.1\r\n" H "Content-Length: 10\r\n\r\n";
	struct conn *c = malloc(sizeof(*c));

	conn_init(c);
	conn_feed(c, &deflim, head, strlen(head));
	ASSERT_EQ(1, c->n);
	EXPECT_EQ(10, c->res[0].body_len);
	conn_feed(c, &deflim, "0123", 4);
	conn_feed(c, &deflim, "456789GET /b HTTP/1.1\r\n" H "\r\n",
		  strlen("456789GET /b HTTP/1.1\r\n" H "\r\n"));
	ASSERT_EQ(2, c->n);
	EXPECT_STREQ("/b", c->res[1].path);
	EXPECT_EQ(0, c->len);
	conn_free(c);
	free(c);
}

/* A byte inside a reg-name is allowed exactly where RFC 3986 allows it. */
TEST(host_every_byte)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=";
	int c;

	for (c = 0; c < 256; c++) {
		struct khttpd_parser p = { 0 };
		struct khttpd_request req;
		char s[64];
		size_t used;
		int len, ret;

		/* %c of 0 writes the NUL and counts it */
		len = snprintf(s, sizeof(s),
			       "GET / HTTP/1.1\r\nHost: a%cb\r\n\r\n", c);
		ret = khttpd_http_parse(&p, s, len, &deflim, &req, &used);
		EXPECT_EQ(c && strchr(allowed, c) ? KHTTPD_PARSE_REQUEST : -400,
			  ret) TH_LOG("byte 0x%02x", c);
	}
}

/*
 * A field value may hold any byte but the CTLs other than HTAB (RFC 9110
 * section 5.5): every byte, at every offset of a value long enough to be
 * scanned a word at a time, and with the line ending at every alignment.
 * A CR not followed by LF is refused wherever it is.
 */
TEST(field_value_every_byte)
{
	int c, at, vlen;

	for (vlen = 1; vlen <= 24; vlen++) {
		for (at = 0; at < vlen; at++) {
			for (c = 0; c < 256; c++) {
				struct khttpd_parser p = { 0 };
				struct khttpd_request req;
				bool ok = c == '\t' || (c >= 0x20 && c != 0x7f);
				char s[128];
				size_t used;
				int len, ret, i;

				len = sprintf(s, "GET / HTTP/1.1\r\nHost: h\r\nX-V: ");
				for (i = 0; i < vlen; i++)
					s[len + i] = i == at ? c : 'a' + i;
				len += vlen;
				len += sprintf(s + len, "\r\nX-W: 1\r\n\r\n");
				ret = khttpd_http_parse(&p, s, len, &deflim, &req,
							&used);
				ASSERT_EQ(ok ? KHTTPD_PARSE_REQUEST : -400, ret)
					TH_LOG("byte 0x%02x at %d of %d", c, at,
					       vlen);
				if (ok)
					ASSERT_EQ((size_t)len, used);
			}
		}
	}
}

/* A field name, and a method, are tokens: every byte, in either place. */
TEST(token_every_byte)
{
	static const char tchar[] = "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
	int c;

	for (c = 1; c < 256; c++) {
		struct khttpd_parser p = { 0 };
		struct khttpd_request req;
		bool tok = strchr(tchar, c) != NULL;
		char s[64];
		size_t used;
		int len, ret;

		len = sprintf(s, "GET / HTTP/1.1\r\nHost: h\r\nX%cY: 1\r\n\r\n",
			      c);
		ret = khttpd_http_parse(&p, s, len, &deflim, &req, &used);
		/* (a ':' ends the name "X": its value is "Y: 1") */
		EXPECT_EQ(tok || c == ':' ? KHTTPD_PARSE_REQUEST : -400, ret)
			TH_LOG("name byte 0x%02x", c);

		memset(&p, 0, sizeof(p));
		len = sprintf(s, "G%cT / HTTP/1.1\r\nHost: h\r\n\r\n", c);
		ret = khttpd_http_parse(&p, s, len, &deflim, &req, &used);
		EXPECT_EQ(tok ? KHTTPD_PARSE_REQUEST : -400, ret)
			TH_LOG("method byte 0x%02x", c);
		if (tok && ret == KHTTPD_PARSE_REQUEST)
			EXPECT_EQ(c == 'E' ? KHTTPD_METHOD_GET :
				  KHTTPD_METHOD_UNKNOWN, req.method);
	}
}

/* @n empty lines at @s, then @tail; returns the length. */
static size_t empty_lines(char *s, int n, const char *tail)
{
	size_t len = 0;

	while (n-- > 0)
		len += sprintf(s + len, "\r\n");
	return len + sprintf(s + len, "%s", tail);
}

/*
 * Empty lines before a request are dropped, but only so many: a client
 * sending nothing else must not hold a connection for ever.
 */
TEST(empty_lines_bounded)
{
	const char *get = "GET / HTTP/1.1\r\n" H "\r\n";
	struct conn *whole = malloc(sizeof(*whole));
	char s[1024];
	size_t len;
	int i;

	/* the bound before each of three requests: the count is per request */
	len = 0;
	for (i = 0; i < 3; i++)
		len += empty_lines(s + len, KHTTPD_MAX_EMPTY_LINES, get);
	check_all_splits(_metadata, "at the bound", s, len, &deflim, whole);
	ASSERT_EQ(3, whole->n);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(KHTTPD_PARSE_REQUEST, whole->res[i].ret);
	EXPECT_EQ(0, whole->len);
	conn_free(whole);

	/* the bound and nothing else: still waiting, nothing kept */
	len = empty_lines(s, KHTTPD_MAX_EMPTY_LINES, "");
	check_all_splits(_metadata, "bound only", s, len, &deflim, whole);
	EXPECT_EQ(0, whole->n);
	EXPECT_EQ(0, whole->len);
	conn_free(whole);

	/* one more is refused at once, whether a request follows or not */
	len = empty_lines(s, KHTTPD_MAX_EMPTY_LINES + 1, "");
	check_all_splits(_metadata, "one too many", s, len, &deflim, whole);
	ASSERT_EQ(1, whole->n);
	EXPECT_EQ(-400, whole->res[0].ret);
	conn_free(whole);
	len = empty_lines(s, KHTTPD_MAX_EMPTY_LINES + 1, get);
	check_all_splits(_metadata, "too many, then a request", s, len,
			 &deflim, whole);
	ASSERT_EQ(1, whole->n);
	EXPECT_EQ(-400, whole->res[0].ret);
	conn_free(whole);
	free(whole);
}

/* Parse @s (appended to @buf's @len bytes) as a server would. */
static int feed(struct khttpd_parser *p, char *buf, size_t *len,
		const char *s, struct khttpd_request *req)
{
	size_t used;
	int ret;

	strcpy(buf + *len, s);
	*len += strlen(s);
	ret = khttpd_http_parse(p, buf, *len, &deflim, req, &used);
	memmove(buf, buf + used, *len - used);
	*len -= used;
	return ret;
}

/* Has the next request begun?  The servers' request clocks follow this. */
TEST(parser_busy)
{
	struct khttpd_parser p = { 0 };
	struct khttpd_request req;
	char buf[256];
	size_t len = 0;

	EXPECT_FALSE(khttpd_http_parser_busy(&p));
	/* an empty line is dropped, yet the request has begun */
	EXPECT_EQ(KHTTPD_PARSE_MORE, feed(&p, buf, &len, "\r\n", &req));
	EXPECT_EQ(0, len);
	EXPECT_TRUE(khttpd_http_parser_busy(&p));
	EXPECT_EQ(KHTTPD_PARSE_MORE, feed(&p, buf, &len, "\r\n", &req));
	EXPECT_TRUE(khttpd_http_parser_busy(&p));
	/* once it is complete, it is over */
	EXPECT_EQ(KHTTPD_PARSE_REQUEST,
		  feed(&p, buf, &len, "GET / HTTP/1.1\r\n" H "\r\n", &req));
	EXPECT_EQ(0, len);
	EXPECT_FALSE(khttpd_http_parser_busy(&p));
	/* half an empty line */
	EXPECT_EQ(KHTTPD_PARSE_MORE, feed(&p, buf, &len, "\r", &req));
	EXPECT_TRUE(khttpd_http_parser_busy(&p));
	EXPECT_EQ(KHTTPD_PARSE_REQUEST,
		  feed(&p, buf, &len, "\nGET / HTTP/1.1\r\n" H "\r\n", &req));
	EXPECT_FALSE(khttpd_http_parser_busy(&p));
	/* part of a head */
	EXPECT_EQ(KHTTPD_PARSE_MORE, feed(&p, buf, &len, "GET / HT", &req));
	EXPECT_TRUE(khttpd_http_parser_busy(&p));
	EXPECT_EQ(KHTTPD_PARSE_REQUEST,
		  feed(&p, buf, &len, "TP/1.1\r\n" H "\r\n", &req));
	EXPECT_FALSE(khttpd_http_parser_busy(&p));
	/* a body still to skip */
	EXPECT_EQ(KHTTPD_PARSE_REQUEST,
		  feed(&p, buf, &len, "GET / HTTP/1.1\r\n" H
		       "Content-Length: 5\r\n\r\nhe", &req));
	EXPECT_EQ(0, len);
	EXPECT_TRUE(khttpd_http_parser_busy(&p));
	EXPECT_EQ(KHTTPD_PARSE_MORE, feed(&p, buf, &len, "llo", &req));
	EXPECT_EQ(0, len);
	EXPECT_FALSE(khttpd_http_parser_busy(&p));
}

TEST(date_format)
{
	char d[KHTTPD_DATE_LEN + 1] = "";

	khttpd_http_date(784111777, d);	/* RFC 9110's example */
	EXPECT_STREQ("Sun, 06 Nov 1994 08:49:37 GMT", d);
	khttpd_http_date(0, d);
	EXPECT_STREQ("Thu, 01 Jan 1970 00:00:00 GMT", d);
	khttpd_http_date(951782400, d);	/* leap day */
	EXPECT_STREQ("Tue, 29 Feb 2000 00:00:00 GMT", d);
	khttpd_http_date(4102444799ULL, d);
	EXPECT_STREQ("Thu, 31 Dec 2099 23:59:59 GMT", d);
}

TEST(date_parse)
{
	static const char *const good[] = {
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	};
	static const char *const bad[] = {
		"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMTx", "yesterday",
		"Sun Nov 6 08:49:37 1994", "Sun, 06 Nov 1969 08:49:37 GMT",
	};
	unsigned int i;
	u64 t;

	for (i = 0; i < 3; i++) {
		t = 0;
		EXPECT_TRUE(khttpd_http_parse_date(good[i], strlen(good[i]), &t))
			TH_LOG("'%s'", good[i]);
		EXPECT_EQ(784111777, t) TH_LOG("'%s'", good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_FALSE(khttpd_http_parse_date(bad[i], strlen(bad[i]), &t))
			TH_LOG("'%s'", bad[i]);
	}
	/* round trip over many dates */
	for (t = 0; t < 5000000000ULL; t += 86399 * 37) {
		char d[KHTTPD_DATE_LEN];
		u64 back;

		khttpd_http_date(t, d);
		ASSERT_TRUE(khttpd_http_parse_date(d, KHTTPD_DATE_LEN, &back));
		ASSERT_EQ(t, back);
	}
}

/* Parse one request with extra fields @f and evaluate preconditions. */
static int precondition(const char *f, u64 mtime)
{
	char s[1024];
	struct khttpd_parser p = { 0 };
	struct khttpd_request req;
	size_t used;

	snprintf(s, sizeof(s), "GET / HTTP/1.1\r\n" H "%s\r\n", f);
	if (khttpd_http_parse(&p, s, strlen(s), &deflim, &req, &used) != 1)
		return -1;
	return khttpd_http_precondition(&req, "\"abc\"", 5, mtime);
}

TEST(conditional_get)
{
	const u64 m = 784111777;

	EXPECT_EQ(200, precondition("", m));
	EXPECT_EQ(304, precondition("If-None-Match: \"abc\"\r\n", m));
	EXPECT_EQ(304, precondition("If-None-Match: W/\"abc\"\r\n", m));
	EXPECT_EQ(304, precondition("If-None-Match: \"x\", \"abc\"\r\n", m));
	EXPECT_EQ(304, precondition("If-None-Match: \"x\"\r\nIf-None-Match: \"abc\"\r\n", m));
	EXPECT_EQ(304, precondition("If-None-Match: *\r\n", m));
	EXPECT_EQ(200, precondition("If-None-Match: \"abcd\"\r\n", m));
	EXPECT_EQ(200, precondition("If-None-Match: abc\r\n", m));
	EXPECT_EQ(200, precondition("If-None-Match: \"ab\r\n", m));
	EXPECT_EQ(200, precondition("If-None-Match: w/\"abc\"\r\n", m));
	/* If-Modified-Since */
	EXPECT_EQ(304, precondition("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", m));
	EXPECT_EQ(304, precondition("If-Modified-Since: Sun, 06 Nov 1994 08:49:38 GMT\r\n", m));
	EXPECT_EQ(200, precondition("If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", m));
	EXPECT_EQ(304, precondition("If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n", m));
	EXPECT_EQ(200, precondition("If-Modified-Since: garbage\r\n", m));
	/* If-None-Match decides when both are present */
	EXPECT_EQ(200, precondition("If-None-Match: \"x\"\r\n"
				    "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", m));
	EXPECT_EQ(304, precondition("If-None-Match: \"abc\"\r\n"
				    "If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", m));
}

/* Parse a @method request with extra fields @f; what Range makes of it. */
static int range_for(const char *method, const char *f, u64 len,
		     struct khttpd_range *r)
{
	static const struct khttpd_resource res = { "\"abc\"", 5, 784111777 };
	struct khttpd_parser p = { 0 };
	struct khttpd_request req;
	char s[1024];
	size_t used;

	snprintf(s, sizeof(s), "%s / HTTP/1.1\r\n" H "%s\r\n", method, f);
	if (khttpd_http_parse(&p, s, strlen(s), &deflim, &req, &used) != 1)
		return -1;
	r->first = r->last = 12345;	/* untouched unless a 206 */
	return khttpd_http_range(&req, &res, len, r);
}

#define G5 (5ULL << 30)		/* a 5 GiB representation */
#define T32 (1ULL << 32)

TEST(ranges)
{
	static const struct {
		const char *f;
		u64 len;
		int status;
		u64 first, last;
	} c[] = {
		{ "", 10, 200 },
		{ "Range: bytes=0-0\r\n", 10, 206, 0, 0 },
		{ "Range: bytes=-1\r\n", 10, 206, 9, 9 },
		{ "Range: bytes=9-\r\n", 10, 206, 9, 9 },
		{ "Range: bytes=10-\r\n", 10, 416 },	/* first = len */
		{ "Range: bytes=10-20\r\n", 10, 416 },
		{ "Range: bytes=2-5\r\n", 10, 206, 2, 5 },
		{ "Range: bytes=2-100\r\n", 10, 206, 2, 9 },
		{ "Range: bytes=0-\r\n", 10, 206, 0, 9 },
		{ "Range: bytes=0-18446744073709551615\r\n", 10, 206, 0, 9 },
		{ "Range: bytes=0-18446744073709551616\r\n", 10, 206, 0, 9 },
		{ "Range: bytes=0-99999999999999999999999\r\n", 10, 206, 0, 9 },
		{ "Range: bytes=0000000000000000000000001-2\r\n", 10, 206, 1, 2 },
		{ "Range: bytes=18446744073709551615-\r\n", 10, 416 },
		{ "Range: bytes=18446744073709551616-\r\n", 10, 200 },
		{ "Range: bytes=18446744073709551616-18446744073709551617\r\n",
		  10, 200 },
		{ "Range: bytes=-0\r\n", 10, 416 },
		{ "Range: bytes=-10\r\n", 10, 206, 0, 9 },
		{ "Range: bytes=-11\r\n", 10, 206, 0, 9 },
		{ "Range: bytes=-18446744073709551616\r\n", 10, 206, 0, 9 },
		{ "Range: bytes=1-0\r\n", 10, 200 },	/* invalid */
		{ "Range: bytes=20-3\r\n", 10, 200 },	/* invalid, not 416 */
		{ "Range: bytes=3-3\r\n", 10, 206, 3, 3 },
		/* several ranges: the whole */
		{ "Range: bytes=0-1,3-4\r\n", 10, 200 },
		{ "Range: bytes=0-1, 3-4\r\n", 10, 200 },
		{ "Range: bytes=0-1,0-1\r\n", 10, 200 },
		{ "Range: bytes=20-30,40-50\r\n", 10, 200 },
		{ "Range: bytes=0-1, bytes=3-4\r\n", 10, 200 },
		/* empty list elements and OWS around an element */
		{ "Range: bytes=0-1,\r\n", 10, 206, 0, 1 },
		{ "Range: bytes=, ,0-1\r\n", 10, 206, 0, 1 },
		{ "Range: bytes= 0-1 ,\t\r\n", 10, 206, 0, 1 },
		{ "Range: bytes=,\r\n", 10, 200 },
		{ "Range: bytes=\r\n", 10, 200 },
		/* the unit, in any case; nothing else */
		{ "Range: BYTES=0-1\r\n", 10, 206, 0, 1 },
		{ "Range: Bytes=-2\r\n", 10, 206, 8, 9 },
		{ "Range: bytes =0-1\r\n", 10, 200 },
		{ "Range: items=0-1\r\n", 10, 200 },
		{ "Range: byte=0-1\r\n", 10, 200 },
		{ "Range: bytesx=0-1\r\n", 10, 200 },
		{ "Range: =0-1\r\n", 10, 200 },
		{ "Range: bytes0-1\r\n", 10, 200 },
		{ "Range:\r\n", 10, 200 },
		/* malformed range-specs */
		{ "Range: bytes=-\r\n", 10, 200 },
		{ "Range: bytes=5\r\n", 10, 200 },
		{ "Range: bytes=a-1\r\n", 10, 200 },
		{ "Range: bytes=0-1a\r\n", 10, 200 },
		{ "Range: bytes=0--1\r\n", 10, 200 },
		{ "Range: bytes=--1\r\n", 10, 200 },
		{ "Range: bytes=+1-2\r\n", 10, 200 },
		{ "Range: bytes=-0x1\r\n", 10, 200 },
		{ "Range: bytes=0 - 1\r\n", 10, 200 },
		{ "Range: bytes=0-1-2\r\n", 10, 200 },
		{ "Range: bytes==0-1\r\n", 10, 200 },
		/* a repeated Range field line */
		{ "Range: bytes=0-1\r\nRange: bytes=0-1\r\n", 10, 200 },
		/* an empty representation */
		{ "Range: bytes=0-\r\n", 0, 416 },
		{ "Range: bytes=0-0\r\n", 0, 416 },
		{ "Range: bytes=-0\r\n", 0, 416 },
		{ "Range: bytes=-1\r\n", 0, 200 },
		{ "Range: bytes=1-0\r\n", 0, 200 },
		/* offsets around 2^32, and a 5 GiB representation */
		{ "Range: bytes=4294967295-4294967296\r\n", G5, 206,
		  T32 - 1, T32 },
		{ "Range: bytes=4294967296-\r\n", G5, 206, T32, G5 - 1 },
		{ "Range: bytes=-4294967297\r\n", G5, 206, G5 - T32 - 1,
		  G5 - 1 },
		{ "Range: bytes=5368709119-\r\n", G5, 206, G5 - 1, G5 - 1 },
		{ "Range: bytes=5368709120-\r\n", G5, 416 },
		{ "Range: bytes=0-\r\n", G5, 206, 0, G5 - 1 },
		{ "Range: bytes=4294967296-4294967296\r\n", T32, 416 },
		{ "Range: bytes=4294967295-4294967296\r\n", T32, 206,
		  T32 - 1, T32 - 1 },
		{ "Range: bytes=0-\r\n", ~0ULL, 206, 0, ~0ULL - 1 },
		/* If-Range: only a strong match lets the range through */
		{ "Range: bytes=0-1\r\nIf-Range: \"abc\"\r\n", 10, 206, 0, 1 },
		{ "If-Range: \"abc\"\r\nRange: bytes=0-1\r\n", 10, 206, 0, 1 },
		{ "Range: bytes=0-1\r\nIf-Range: \"abd\"\r\n", 10, 200 },
		{ "Range: bytes=0-1\r\nIf-Range: \"abc\"x\r\n", 10, 200 },
		{ "Range: bytes=0-1\r\nIf-Range: \"ab\r\n", 10, 200 },
		{ "Range: bytes=0-1\r\nIf-Range: W/\"abc\"\r\n", 10, 200 },
		{ "Range: bytes=0-1\r\nIf-Range: abc\r\n", 10, 200 },
		{ "Range: bytes=0-1\r\nIf-Range:\r\n", 10, 200 },
		{ "Range: bytes=0-1\r\nIf-Range: *\r\n", 10, 200 },
		{ "Range: bytes=0-1\r\n"
		  "If-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 10, 206, 0, 1 },
		{ "Range: bytes=0-1\r\n"
		  "If-Range: Sunday, 06-Nov-94 08:49:37 GMT\r\n", 10, 206, 0, 1 },
		{ "Range: bytes=0-1\r\n"
		  "If-Range: Sun Nov  6 08:49:37 1994\r\n", 10, 206, 0, 1 },
		{ "Range: bytes=0-1\r\n"
		  "If-Range: Sun, 06 Nov 1994 08:49:38 GMT\r\n", 10, 200 },
		{ "Range: bytes=0-1\r\n"
		  "If-Range: Sun, 06 Nov 1994 08:49:36 GMT\r\n", 10, 200 },
		{ "Range: bytes=0-1\r\nIf-Range: \"abc\"\r\n"
		  "If-Range: \"abc\"\r\n", 10, 200 },
		/* If-Range decides before the range: a mismatch is never 416 */
		{ "Range: bytes=20-\r\nIf-Range: \"x\"\r\n", 10, 200 },
		{ "Range: bytes=20-\r\nIf-Range: \"abc\"\r\n", 10, 416 },
		{ "If-Range: \"abc\"\r\n", 10, 200 },
	};
	struct khttpd_range r;
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int st = range_for("GET", c[i].f, c[i].len, &r);

		EXPECT_EQ(c[i].status, st)
			TH_LOG("'%s' of %llu", c[i].f,
			       (unsigned long long)c[i].len);
		if (st == 206 && c[i].status == 206) {
			EXPECT_EQ(c[i].first, r.first) TH_LOG("'%s'", c[i].f);
			EXPECT_EQ(c[i].last, r.last) TH_LOG("'%s'", c[i].f);
		}
	}
	/* HEAD ignores Range; other methods never get here, but ignore it */
	EXPECT_EQ(200, range_for("HEAD", "Range: bytes=0-0\r\n", 10, &r));
	EXPECT_EQ(200, range_for("HEAD", "Range: bytes=20-\r\n", 10, &r));
	EXPECT_EQ(200, range_for("POST", "Range: bytes=0-0\r\n", 10, &r));
}

/* Parse a GET with extra fields @f: may it have the gzip variant? */
static int gzip_for(const char *f)
{
	struct khttpd_parser p = { 0 };
	struct khttpd_request req;
	char s[1024];
	size_t used;

	snprintf(s, sizeof(s), "GET / HTTP/1.1\r\n" H "%s\r\n", f);
	if (khttpd_http_parse(&p, s, strlen(s), &deflim, &req, &used) != 1)
		return -1;
	return khttpd_http_accepts_gzip(&req);
}

#define AE(v) "Accept-Encoding: " v "\r\n"

TEST(accept_encoding)
{
	static const char *const yes[] = {
		AE("gzip"), AE("GZIP"), AE("x-gzip"), AE("X-Gzip"),
		AE("gzip, deflate, br, zstd"), AE("br, gzip"),
		AE("deflate , gzip ,"), AE(", ,gzip"),
		AE("gzip;q=1"), AE("gzip;q=1.0"), AE("gzip;q=1.000"),
		AE("gzip;q=0.5"), AE("gzip;q=0.001"), AE("gzip;Q=0.1"),
		AE("gzip ; q=0.5"), AE("gzip;\tq=0.5 "),
		AE("gzip;q=1."),
		AE("*"), AE("*;q=0.1"), AE("br, *"), AE("identity;q=0, *"),
		AE("gzip, *;q=0"),	/* gzip is more specific than * */
		AE("gzip;q=0.5, x-gzip"),
	};
	static const char *const no[] = {
		"", AE(""), AE("identity"), AE("br, deflate"),
		AE("gzip;q=0"), AE("gzip;q=0.0"), AE("gzip;q=0.00"),
		AE("gzip;q=0.000"), AE("gzip;q=0."), AE("GZIP;Q=0"),
		AE("x-gzip;q=0"),
		AE("gzip;q=0, *"),	/* gzip is more specific than * */
		AE("*;q=0"), AE("*;q=0.000"),
		AE("gzip, gzip;q=0"), AE("gzip;q=0, gzip"),
		AE("gzip, x-gzip;q=0"),
		/* malformed weights: not acceptable */
		AE("gzip;q=2"), AE("gzip;q=1.5"), AE("gzip;q=1.001"),
		AE("gzip;q=0.0001"), AE("gzip;q=0.5000"), AE("gzip;q="),
		AE("gzip;q"), AE("gzip;"), AE("gzip;q=.5"), AE("gzip;q=-1"),
		AE("gzip;q = 0.5"), AE("gzip;q=0.5;q=1"), AE("gzip;level=1"),
		AE("gzip;q=\"1\""), AE("gzip q=1"), AE("gzip;q=0,5"),
		AE("*;q=x"),
		/* not gzip */
		AE("gzipx"), AE("gzi"), AE("x-gzipx"), AE("\"gzip\""),
		AE("**"), AE("gzip/1"), AE("compress, deflate;q=1"),
		/* a repeated field line */
		AE("gzip") AE("gzip"), AE("br") AE("gzip"),
	};
	unsigned int i;

	/* (braces: EXPECT_EQ() with TH_LOG() is more than one statement) */
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		EXPECT_EQ(1, gzip_for(yes[i])) TH_LOG("'%s'", yes[i]);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		EXPECT_EQ(0, gzip_for(no[i])) TH_LOG("'%s'", no[i]);
	}
}

/* Where in a stored response a 206's body is. */
TEST(range_part)
{
	const struct khttpd_layout l = {
		.nm_len = 100, .fields_len = 150, .body_len = G5,
	};
	const struct khttpd_range r = { T32 - 1, G5 - 1 };
	u64 off, len;

	khttpd_http_range_part(&l, &r, &off, &len);
	EXPECT_EQ(250 + T32 - 1, off);
	EXPECT_EQ(G5 - T32 + 1, len);
}

static void answer_for(const char *s, bool found, struct khttpd_answer *a)
{
	struct khttpd_resource res = { "\"abc\"", 5, 100 };
	struct khttpd_parser p = { 0 };
	struct khttpd_request req;
	char buf[512];
	size_t used;
	int ret;

	strcpy(buf, s);
	ret = khttpd_http_parse(&p, buf, strlen(buf), &deflim, &req, &used);
	khttpd_http_answer(&req, ret < 0 ? -ret : 0, found ? &res : NULL, a);
}

TEST(answers)
{
	struct khttpd_answer a;

	answer_for("GET / HTTP/1.1\r\n" H "\r\n", true, &a);
	EXPECT_EQ(200, a.status);
	EXPECT_FALSE(a.error);
	EXPECT_EQ(KHTTPD_PART_FULL, a.part);
	EXPECT_TRUE(a.keep_alive);
	answer_for("HEAD / HTTP/1.1\r\n" H "\r\n", true, &a);
	EXPECT_EQ(200, a.status);
	EXPECT_EQ(KHTTPD_PART_HEADERS, a.part);
	answer_for("HEAD / HTTP/1.1\r\n" H "If-None-Match: \"abc\"\r\n\r\n", true, &a);
	EXPECT_EQ(304, a.status);
	EXPECT_EQ(KHTTPD_PART_NM, a.part);
	answer_for("GET / HTTP/1.1\r\n" H "\r\n", false, &a);
	EXPECT_EQ(404, a.status);
	EXPECT_TRUE(a.error);
	EXPECT_TRUE(a.keep_alive);
	answer_for("HEAD / HTTP/1.1\r\n" H "\r\n", false, &a);
	EXPECT_EQ(404, a.status);
	EXPECT_EQ(KHTTPD_PART_HEADERS, a.part);
	answer_for("DELETE / HTTP/1.1\r\n" H "\r\n", true, &a);
	EXPECT_EQ(405, a.status);
	EXPECT_TRUE(a.keep_alive);
	answer_for("BREW / HTTP/1.1\r\n" H "\r\n", true, &a);
	EXPECT_EQ(501, a.status);
	EXPECT_FALSE(a.keep_alive);
	answer_for("GET / HTTP/1.2\r\n" H "\r\n", true, &a);
	EXPECT_EQ(200, a.status);
	EXPECT_TRUE(a.keep_alive);
	answer_for("GET / HTTP/3.0\r\n" H "\r\n", true, &a);
	EXPECT_EQ(505, a.status);
	EXPECT_FALSE(a.keep_alive);
	answer_for("GET / HTTP/1.0\r\n\r\n", true, &a);
	EXPECT_FALSE(a.keep_alive);
}

TEST(response_bytes)
{
	struct khttpd_resource r = { "\"e\"", 3, 784111777 };
	const char *date = "Sun, 06 Nov 1994 08:49:37 GMT";
	char out[512];
	size_t n, fields;

	n = khttpd_http_head(out, sizeof(out), 200, 11, true, date);
	out[n] = '\0';
	EXPECT_STREQ("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n", out);
	n = khttpd_http_head(out, sizeof(out), 404, 10, true, date);
	out[n] = '\0';
	EXPECT_STREQ("HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		     "Connection: keep-alive\r\n", out);
	n = khttpd_http_head(out, sizeof(out), 431, 11, false, date);
	out[n] = '\0';
	EXPECT_STREQ("HTTP/1.1 431 Request Header Fields Too Large\r\n"
		     "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: close\r\n", out);
	EXPECT_EQ(0, khttpd_http_head(out, 20, 200, 11, true, date));
	n = khttpd_http_resource_fields(out, sizeof(out), &r, "text/html",
					"max-age=60", 1234, false);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nContent-Type: text/html\r\n"
		     "Content-Length: 1234\r\nAccept-Ranges: bytes\r\n"
		     "ETag: \"e\"\r\n"
		     "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		     "Cache-Control: max-age=60\r\n\r\n", out);
	n = khttpd_http_resource_fields(out, sizeof(out), &r, "text/html",
					NULL, 1234, true);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nETag: \"e\"\r\n"
		     "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n", out);
	EXPECT_EQ(0, khttpd_http_resource_fields(out, 40, &r, "text/html",
						 NULL, 1, false));

	n = khttpd_http_resource_fields(out, sizeof(out), &r, "text/html",
					NULL, 1, false);
	EXPECT_EQ(n, khttpd_http_resource_fields(out, n, &r, "text/html",
						 NULL, 1, false));
	EXPECT_EQ(0, khttpd_http_resource_fields(out, n - 1, &r, "text/html",
						 NULL, 1, false));

	n = khttpd_http_error_response(out, sizeof(out), 405, &fields);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Length: 19\r\nAllow: GET, HEAD\r\n\r\n"
		     "Method Not Allowed\n", out);
	EXPECT_EQ(n - 19, fields);
}

/* Fields of 206s and of the variants of a resource with a gzip one. */
TEST(fields_bytes)
{
	struct khttpd_resource r = { "\"e\"", 3, 784111777 };
	struct khttpd_repr rep = {
		.res = &r, .type = "text/css", .cache_control = "no-cache",
		.len = 5ULL << 30,
	};
	struct khttpd_range rg = { 1ULL << 32, (5ULL << 30) - 1 };
	char out[512], whole[512];
	size_t n, n200;

	n = khttpd_http_fields(out, sizeof(out), &rep, 206, &rg);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nContent-Type: text/css\r\n"
		     "Content-Length: 1073741824\r\n"
		     "Content-Range: bytes 4294967296-5368709119/5368709120\r\n"
		     "Accept-Ranges: bytes\r\nETag: \"e\"\r\n"
		     "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		     "Cache-Control: no-cache\r\n\r\n", out);
	/* the gzip variant: coded, and varying */
	rep.flags = KHTTPD_REPR_GZIP;
	rep.cache_control = NULL;
	rep.len = 10;
	rg.first = rg.last = 0;
	n = khttpd_http_fields(out, sizeof(out), &rep, 206, &rg);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nContent-Type: text/css\r\n"
		     "Content-Encoding: gzip\r\nContent-Length: 1\r\n"
		     "Content-Range: bytes 0-0/10\r\n"
		     "Accept-Ranges: bytes\r\nETag: \"e\"\r\n"
		     "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		     "Vary: Accept-Encoding\r\n\r\n", out);
	n = khttpd_http_fields(out, sizeof(out), &rep, 200, NULL);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nContent-Type: text/css\r\n"
		     "Content-Encoding: gzip\r\nContent-Length: 10\r\n"
		     "Accept-Ranges: bytes\r\nETag: \"e\"\r\n"
		     "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		     "Vary: Accept-Encoding\r\n\r\n", out);
	/* a 304 says Vary, not the coding of content it does not carry */
	n = khttpd_http_fields(out, sizeof(out), &rep, 304, NULL);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nETag: \"e\"\r\n"
		     "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		     "Vary: Accept-Encoding\r\n\r\n", out);
	/* the identity of a resource with a gzip variant: Vary only */
	rep.flags = KHTTPD_REPR_VARY;
	rep.cache_control = "max-age=1";
	n = khttpd_http_fields(out, sizeof(out), &rep, 200, NULL);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nContent-Type: text/css\r\n"
		     "Content-Length: 10\r\n"
		     "Accept-Ranges: bytes\r\nETag: \"e\"\r\n"
		     "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		     "Vary: Accept-Encoding\r\nCache-Control: max-age=1\r\n"
		     "\r\n", out);
	n = khttpd_http_fields(out, sizeof(out), &rep, 304, NULL);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nETag: \"e\"\r\n"
		     "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
		     "Vary: Accept-Encoding\r\nCache-Control: max-age=1\r\n"
		     "\r\n", out);
	/* no 206 without a part inside the representation; other statuses */
	EXPECT_EQ(0, khttpd_http_fields(out, sizeof(out), &rep, 206, NULL));
	rg.first = 3;
	rg.last = 2;
	EXPECT_EQ(0, khttpd_http_fields(out, sizeof(out), &rep, 206, &rg));
	rg.first = 0;
	rg.last = 10;
	EXPECT_EQ(0, khttpd_http_fields(out, sizeof(out), &rep, 206, &rg));
	EXPECT_EQ(0, khttpd_http_fields(out, sizeof(out), &rep, 404, NULL));
	EXPECT_EQ(0, khttpd_http_fields(out, sizeof(out), &rep, 416, NULL));
	/*
	 * A 206 is at most KHTTPD_RANGE_EXTRA beyond the 200: the longest
	 * numbers (the part's length and its first byte cannot both have
	 * 20 digits), and the exact room needed
	 */
	rep.len = ~0ULL;
	n200 = khttpd_http_fields(whole, sizeof(whole), &rep, 200, NULL);
	ASSERT_NE(0, n200);
	rg.first = 10000000000000000000ULL;
	rg.last = ~0ULL - 1;
	n = khttpd_http_fields(out, sizeof(out), &rep, 206, &rg);
	EXPECT_EQ(n200 + KHTTPD_RANGE_EXTRA - 1, n);
	rg.first = 1;
	n = khttpd_http_fields(out, sizeof(out), &rep, 206, &rg);
	EXPECT_EQ(n200 + KHTTPD_RANGE_EXTRA - 19, n);
	EXPECT_EQ(0, khttpd_http_fields(out, n - 1, &rep, 206, &rg));
	EXPECT_EQ(n, khttpd_http_fields(out, n, &rep, 206, &rg));
}

/* A 416: like an error, with the length a range may ask for. */
TEST(unsatisfiable_bytes)
{
	struct khttpd_resource r = { "\"e\"", 3, 784111777 };
	struct khttpd_repr rep = { .res = &r, .type = "text/css", .len = 0 };
	char out[KHTTPD_UNSATISFIABLE_MAX + 1];
	size_t n, fields;

	n = khttpd_http_unsatisfiable(out, sizeof(out), &rep, &fields);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Length: 22\r\nContent-Range: bytes */0\r\n\r\n"
		     "Range Not Satisfiable\n", out);
	EXPECT_EQ(n - 22, fields);
	/* the longest: a gzip variant of 2^64 - 1 bytes */
	rep.len = ~0ULL;
	rep.flags = KHTTPD_REPR_GZIP;
	n = khttpd_http_unsatisfiable(out, KHTTPD_UNSATISFIABLE_MAX, &rep,
				      &fields);
	ASSERT_NE(0, n);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Length: 22\r\n"
		     "Content-Range: bytes */18446744073709551615\r\n"
		     "Vary: Accept-Encoding\r\n\r\n"
		     "Range Not Satisfiable\n", out);
	EXPECT_EQ(0, khttpd_http_unsatisfiable(out, n - 1, &rep, &fields));
	EXPECT_EQ(n, khttpd_http_unsatisfiable(out, n, &rep, &fields));
	/* not a prebuilt error: its length is the representation's */
	EXPECT_EQ(500, khttpd_http_error_status[khttpd_http_error_index(416)]);
}

/* The Location a request for @target redirects to, or "" if none. */
static const char *redirect_for(const char *target, char *out, size_t cap)
{
	struct khttpd_parser p = { 0 };
	struct khttpd_request req;
	char s[1024], *loc, *end;
	size_t used, n, fields;

	snprintf(s, sizeof(s), "GET %s HTTP/1.1\r\n" H "\r\n", target);
	if (khttpd_http_parse(&p, s, strlen(s), &deflim, &req, &used) != 1)
		return "(refused)";
	n = khttpd_http_redirect(out, cap - 1, req.path, req.path_len,
				 req.query, req.query_len, &fields);
	if (!n)
		return "";
	out[n] = '\0';
	loc = strstr(out, "\r\nLocation: ");
	if (!loc || fields != n - strlen("Moved Permanently\n"))
		return "(malformed)";
	loc += strlen("\r\nLocation: ");
	end = strstr(loc, "\r\n");
	*end = '\0';
	return loc;
}

/* Every byte of a Location is visible ASCII, and it stays on this host */
static bool location_safe(const char *loc)
{
	const unsigned char *c;

	for (c = (const unsigned char *)loc; *c; c++)
		if (*c < 0x21 || *c > 0x7e)
			return false;
	return loc[0] == '/' && loc[1] != '/' && loc[1] != '\\';
}

TEST(redirect)
{
	static const struct {
		const char *target, *location;
	} c[] = {
		{ "/dir", "/dir/" },
		{ "/dir?x=1&y", "/dir/?x=1&y" },
		{ "/dir?", "/dir/?" },
		{ "/a/b/../c", "/a/c/" },
		{ "http://e.com/d?q", "/d/?q" },
		/* decoded bytes a path may not hold are encoded again */
		{ "/a%20b", "/a%20b/" },
		{ "/a%25b%3Fc%23d", "/a%25b%3Fc%23d/" },
		{ "/caf%C3%A9", "/caf%C3%A9/" },
		{ "/%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5D", "/%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5D/" },
		{ "/-._~!$&'()*+,;=:@", "/-._~!$&'()*+,;=:@/" },
		{ "/%5Cevil.com", "/%5Cevil.com/" },
		{ "/a%2Fb", "/a/b/" },
		/* never a network-path reference ("//host") */
		{ "//evil.com", "/%2Fevil.com/" },
		{ "///evil.com", "/%2F/evil.com/" },
		{ "/%2Fevil.com", "/%2Fevil.com/" },
		{ "/.//evil.com", "/%2Fevil.com/" },
		{ "/a//b", "/a//b/" },
		/* the query stays encoded; what may not be in one is encoded */
		{ "/d?a=%41%zz", "/d/?a=%41%zz" },
		{ "/d?a/b?c:@", "/d/?a/b?c:@" },
		{ "/d?\"<>\\^`{|}[]", "/d/?%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5D" },
		/* a path that already ends in '/' is no redirect */
		{ "/", "" },
		{ "/dir/", "" },
		{ "/dir/?q", "" },
	};
	char out[1024];
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		const char *loc = redirect_for(c[i].target, out, sizeof(out));

		EXPECT_STREQ(c[i].location, loc) TH_LOG("'%s'", c[i].target);
		if (*c[i].location) {
			EXPECT_TRUE(location_safe(loc)) TH_LOG("'%s'", loc);
		}
	}
}

TEST(redirect_bytes)
{
	static const char evil[] = "/a\r\nSet-Cookie: x\0\x7f\xff";
	char out[2048], path[256], query[200];
	size_t n, fields;
	unsigned int i;

	n = khttpd_http_redirect(out, sizeof(out), "/docs", 5, "v=2", 3,
				 &fields);
	out[n] = '\0';
	EXPECT_STREQ("Server: khttpd\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Length: 18\r\nLocation: /docs/?v=2\r\n\r\n"
		     "Moved Permanently\n", out);
	EXPECT_EQ(n - 18, fields);
	/* the room it needs, exactly */
	EXPECT_EQ(0, khttpd_http_redirect(out, n - 1, "/docs", 5, "v=2", 3,
					  &fields));
	EXPECT_EQ(n, khttpd_http_redirect(out, n, "/docs", 5, "v=2", 3,
					  &fields));
	EXPECT_EQ(0, khttpd_http_redirect(out, 0, "/docs", 5, NULL, 0,
					  &fields));
	/* bytes the parser never lets through are encoded all the same */
	n = khttpd_http_redirect(out, sizeof(out), evil, sizeof(evil) - 1,
				 "\r\n \x80", 4, &fields);
	ASSERT_NE(0, n);
	out[n] = '\0';
	EXPECT_NE(NULL, strstr(out, "\r\nLocation: /a%0D%0ASet-Cookie:%20x"
				    "%00%7F%FF/?%0D%0A%20%80\r\n\r\n"));
	/* refused: not a path, or one that already ends in '/' */
	EXPECT_EQ(0, khttpd_http_redirect(out, sizeof(out), "", 0, NULL, 0,
					  &fields));
	EXPECT_EQ(0, khttpd_http_redirect(out, sizeof(out), "a", 1, NULL, 0,
					  &fields));
	EXPECT_EQ(0, khttpd_http_redirect(out, sizeof(out), "/", 1, NULL, 0,
					  &fields));
	EXPECT_EQ(0, khttpd_http_redirect(out, sizeof(out), "/a/", 3, NULL, 0,
					  &fields));
	/* KHTTPD_REDIRECT_MAX() holds when every byte is encoded */
	path[0] = '/';
	for (i = 1; i < sizeof(path); i++)
		path[i] = 0x80 + i % 128;
	memset(query, ' ', sizeof(query));
	n = khttpd_http_redirect(out, sizeof(out), path, sizeof(path), query,
				 sizeof(query), &fields);
	ASSERT_NE(0, n);
	EXPECT_LE(n, KHTTPD_REDIRECT_MAX(sizeof(path), sizeof(query)));
	EXPECT_EQ(n, khttpd_http_redirect(out, KHTTPD_REDIRECT_MAX(sizeof(path),
							sizeof(query)),
					  path, sizeof(path), query,
					  sizeof(query), &fields));
}

/* Every status we send fits KHTTPD_HEAD_MAX, in every form. */
TEST(every_status_fits_head_max)
{
	static const int all[] = { 200, 206, 301, 304, 400, 404, 405, 408,
				   413, 414, 416, 431, 500, 501, 503, 505 };
	const char *date = "Sun, 06 Nov 1994 08:49:37 GMT";
	char out[KHTTPD_HEAD_MAX];
	unsigned int i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		EXPECT_NE(0, khttpd_http_head(out, KHTTPD_HEAD_MAX, all[i], 10,
					      false, date))
			TH_LOG("status %d", all[i]);
		EXPECT_NE(0, khttpd_http_head(out, KHTTPD_HEAD_MAX, all[i], 10,
					      true, date))
			TH_LOG("status %d", all[i]);
		EXPECT_STRNE("Unknown", khttpd_http_reason(all[i]));
	}
}

/*
 * The servers' list of prebuilt errors: every error status the parser and
 * khttpd_http_answer() produce is in it, each found at its own place, and
 * anything else falls back to 500.
 */
TEST(error_list)
{
	static const int produced[] = { 400, 404, 405, 413, 414, 431, 501, 505,
					408, 503, 500 };
	unsigned int i;

	for (i = 0; i < sizeof(produced) / sizeof(produced[0]); i++)
		EXPECT_EQ(produced[i], khttpd_http_error_status[
			  khttpd_http_error_index(produced[i])]);
	for (i = 0; i < KHTTPD_N_ERRORS; i++)
		EXPECT_EQ(i, khttpd_http_error_index(khttpd_http_error_status[i]));
	EXPECT_EQ(500, khttpd_http_error_status[khttpd_http_error_index(200)]);
	EXPECT_EQ(500, khttpd_http_error_status[khttpd_http_error_index(999)]);
}

/* Which range of a stored response each answer part is. */
TEST(part_ranges)
{
	const struct khttpd_layout l = {
		.nm_len = 100, .fields_len = 150, .body_len = 5000000000ULL,
	};
	u64 off, len;

	khttpd_http_part_range(&l, KHTTPD_PART_NM, &off, &len);
	EXPECT_EQ(0, off);
	EXPECT_EQ(100, len);
	khttpd_http_part_range(&l, KHTTPD_PART_HEADERS, &off, &len);
	EXPECT_EQ(100, off);
	EXPECT_EQ(150, len);
	khttpd_http_part_range(&l, KHTTPD_PART_FULL, &off, &len);
	EXPECT_EQ(100, off);
	EXPECT_EQ(150 + 5000000000ULL, len);
}

/* The shared consume loop: order, the room check, and refusals. */
struct consumed {
	int status[8];
	int n, room;
};

static bool consume_more(void *ctx)
{
	struct consumed *k = ctx;

	return k->n < k->room;
}

static bool consume_answer(void *ctx, const struct khttpd_request *req,
			   int status)
{
	struct consumed *k = ctx;

	k->status[k->n++] = status ? status : (int)req->path_len;
	return k->n != 7;	/* the seventh "runs out of memory" */
}

TEST(consume_loop)
{
	char buf[256];
	struct khttpd_parser p = { 0 };
	struct consumed k = { .room = 2 };
	const char *two = "GET /a HTTP/1.1\r\nHost: t\r\n\r\n"
			  "GET /bb HTTP/1.1\r\nHost: t\r\n\r\n";
	size_t one = strlen("GET /a HTTP/1.1\r\nHost: t\r\n\r\n");
	long n;

	/* three requests, room for two: the third stays unconsumed */
	snprintf(buf, sizeof(buf), "%sGET /ccc HTTP/1.1\r\nHost: t\r\n\r\n", two);
	n = khttpd_http_consume(&p, buf, strlen(buf), &deflim, consume_more,
				consume_answer, &k);
	EXPECT_EQ(strlen(two), n);
	ASSERT_EQ(2, k.n);
	EXPECT_EQ(2, k.status[0]);	/* "/a" */
	EXPECT_EQ(3, k.status[1]);	/* "/bb" */
	/* a refusal consumes everything after it */
	memset(&p, 0, sizeof(p));
	k.room = 8;
	snprintf(buf, sizeof(buf), "GET /a HTTP/1.1\r\nHost: t\r\n\r\nBAD\nGET /a HTTP/1.1\r\n");
	n = khttpd_http_consume(&p, buf, strlen(buf), &deflim, consume_more,
				consume_answer, &k);
	EXPECT_EQ(strlen(buf), n);
	ASSERT_EQ(4, k.n);
	EXPECT_EQ(2, k.status[2]);
	EXPECT_EQ(400, k.status[3]);
	/* an answer that cannot be queued */
	memset(&p, 0, sizeof(p));
	k.n = 5;
	n = khttpd_http_consume(&p, buf, one, &deflim, consume_more,
				consume_answer, &k);
	EXPECT_EQ(one, n);
	n = khttpd_http_consume(&p, buf, one, &deflim, consume_more,
				consume_answer, &k);
	EXPECT_EQ(-1, n);
}

/* The kernel's word-at-a-time memchr: every length, offset and byte. */
TEST(word_memchr)
{
	unsigned char buf[48];
	size_t off, len, at;
	int c;

	for (c = 0; c < 256; c += 51) {
		for (off = 0; off < 8; off++) {
			for (len = 0; off + len <= sizeof(buf); len++) {
				for (at = 0; at <= len; at++) {
					unsigned char *m, *p = buf + off;

					/* neighbours that trip naive tricks */
					memset(buf, (c + 1) & 0xff, sizeof(buf));
					if (at < len)
						p[at] = c;
					if (off)
						buf[off - 1] = c;	/* before */
					if (off + len < sizeof(buf))
						p[len] = c;		/* after */
					m = khttpd_memchr(p, c, len);
					ASSERT_EQ(at < len ? p + at : NULL, m);
				}
			}
		}
	}
	/* 0x80 and 0x7f around a searched 0x00, and the reverse */
	memset(buf, 0x80, sizeof(buf));
	buf[20] = 0;
	EXPECT_EQ(buf + 20, khttpd_memchr(buf, 0, sizeof(buf)));
	memset(buf, 0x7f, sizeof(buf));
	buf[9] = 0xff;
	EXPECT_EQ(buf + 9, khttpd_memchr(buf, 0xff, sizeof(buf)));
	EXPECT_EQ(NULL, khttpd_memchr(buf, 0x80, sizeof(buf)));
}

TEST(etag)
{
	char e1[KHTTPD_ETAG_LEN + 1] = "", e2[KHTTPD_ETAG_LEN + 1] = "";
	u64 h;

	h = khttpd_http_hash(KHTTPD_HASH_INIT, "hello", 5);
	EXPECT_EQ(h, khttpd_http_hash(khttpd_http_hash(KHTTPD_HASH_INIT, "he", 2),
				      "llo", 3));
	khttpd_http_make_etag(e1, h, 5, 100);
	EXPECT_EQ('"', e1[0]);
	EXPECT_EQ('"', e1[KHTTPD_ETAG_LEN - 1]);
	khttpd_http_make_etag(e2, khttpd_http_hash(KHTTPD_HASH_INIT, "hellp", 5),
			      5, 100);
	EXPECT_STRNE(e1, e2);
	khttpd_http_make_etag(e2, h, 5, 101);	/* same bytes, newer */
	EXPECT_STRNE(e1, e2);
}

TEST(stored_paths)
{
	EXPECT_TRUE(khttpd_http_path_ok("/", 1));
	EXPECT_TRUE(khttpd_http_path_ok("/a/b.html", 9));
	EXPECT_TRUE(khttpd_http_path_ok("/.well-known/x", 14));
	EXPECT_TRUE(khttpd_http_path_ok("/a/", 3));
	EXPECT_TRUE(khttpd_http_path_ok("/...", 4));
	EXPECT_FALSE(khttpd_http_path_ok("", 0));
	EXPECT_FALSE(khttpd_http_path_ok("a", 1));
	EXPECT_FALSE(khttpd_http_path_ok("/.", 2));
	EXPECT_FALSE(khttpd_http_path_ok("/a/..", 5));
	EXPECT_FALSE(khttpd_http_path_ok("/../a", 5));
	EXPECT_FALSE(khttpd_http_path_ok("/a/./b", 6));
	EXPECT_FALSE(khttpd_http_path_ok("/a\nb", 4));
	EXPECT_FALSE(khttpd_http_path_ok("/a\0b", 4));
}

/* khttpd_http_docroot_name() of a NUL-free literal: its result, or NULL */
static const char *docroot_name(const char *path, size_t cap)
{
	static char out[64];

	return khttpd_http_docroot_name(path, strlen(path), out, cap) ?
	       out : NULL;
}

TEST(docroot_names)
{
	EXPECT_STREQ("index.html", docroot_name("/", 64));
	EXPECT_STREQ("a/b.css", docroot_name("/a/b.css", 64));
	EXPECT_STREQ("dir/index.html", docroot_name("/dir/", 64));
	EXPECT_STREQ("dir", docroot_name("/dir", 64));
	EXPECT_STREQ("a...b", docroot_name("/a...b", 64));
	EXPECT_STREQ(".well-known/acme/t", docroot_name("/.well-known/acme/t",
							64));
	EXPECT_STREQ(".well-known/index.html", docroot_name("/.well-known/", 64));
	EXPECT_STREQ(".well-known", docroot_name("/.well-known", 64));
	/* hidden names, wherever they are */
	EXPECT_EQ(NULL, docroot_name("/.git/config", 64));
	EXPECT_EQ(NULL, docroot_name("/a/.htpasswd", 64));
	EXPECT_EQ(NULL, docroot_name("/.well-known/.x", 64));
	EXPECT_EQ(NULL, docroot_name("/.well-knownx", 64));
	EXPECT_EQ(NULL, docroot_name("/a/.well-known/x", 64));
	EXPECT_EQ(NULL, docroot_name("/.", 64));
	/* not a request path, or no room (the NUL counts) */
	EXPECT_EQ(NULL, docroot_name("", 64));
	EXPECT_EQ(NULL, docroot_name("a", 64));
	EXPECT_EQ(NULL, docroot_name("/abc", 3));
	EXPECT_STREQ("abc", docroot_name("/abc", 4));
	EXPECT_EQ(NULL, docroot_name("/d/", 12));
	EXPECT_STREQ("d/index.html", docroot_name("/d/", 13));
	{
		char out[8];

		EXPECT_EQ(0, khttpd_http_docroot_name("/a\0b", 4, out,
						      sizeof(out)));
	}
}

/* khttpd_http_extension() of a literal, as a string ("" for none) */
static const char *ext(const char *name)
{
	static char out[64];
	const char *e;
	size_t n;

	e = khttpd_http_extension(name, strlen(name), &n);
	if (!e)
		return "";
	memcpy(out, e, n);
	out[n] = '\0';
	return out;
}

TEST(extensions)
{
	EXPECT_STREQ("css", ext("a/b.css"));
	EXPECT_STREQ("gz", ext("a.tar.gz"));
	EXPECT_STREQ("html", ext("index.html"));
	EXPECT_STREQ("", ext("README"));
	EXPECT_STREQ("", ext(".profile"));
	EXPECT_STREQ("", ext("a/.profile"));
	EXPECT_STREQ("", ext("a."));
	EXPECT_STREQ("", ext("a.d/b"));
	EXPECT_STREQ("", ext(""));
	EXPECT_STREQ("x", ext("..x"));
}

TEST_HARNESS_MAIN
