// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the HTTP engine.  The input is a byte stream sent
 * on one connection, cut into pieces where the first byte says; every
 * request the parser returns is answered, and what the engine promises is
 * checked: it never consumes more than it was given, and a path it hands
 * out starts with '/', holds no NUL or control byte and no "." or ".."
 * segment.  The lazily parsed fields are evaluated for every request as
 * if a resource of several lengths were there: a 206's part lies inside
 * the representation and its fields fit the room promised; a redirect's
 * Location is visible ASCII on this host, and decodes back to the path.
 * The raw bytes are fed to those parsers directly too.  ASan and UBSan
 * catch the rest.
 */
#define _GNU_SOURCE	/* memmem */
#include <stdio.h>
#include <stdlib.h>

#include "http.h"

static const struct khttpd_resource res = { "\"abc\"", 5, 1000 };

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A 206's part, its fields and a 416, for lengths around the edges. */
static void check_range(const struct khttpd_request *req)
{
	static const u64 lens[] = {
		0, 1, 2, 1000, (1ULL << 32) - 1, 1ULL << 32, 5ULL << 30,
		~0ULL,
	};
	static char out[1024], whole[1024];
	struct khttpd_repr rep = { .res = &res, .type = "text/plain" };
	unsigned int i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct khttpd_range r = { 7, 3 };
		size_t n, n200, fields;
		int st;

		st = khttpd_http_range(req, &res, lens[i], &r);
		rep.len = lens[i];
		rep.flags = i % 3;
		if (st == 200)
			continue;
		/* only a GET with one Range line (and If-Range) gets here */
		if (req->method != KHTTPD_METHOD_GET || !req->range ||
		    (req->dup & (KHTTPD_DUP_RANGE | KHTTPD_DUP_IF_RANGE)))
			abort();
		if (st == 416) {
			n = khttpd_http_unsatisfiable(out, KHTTPD_UNSATISFIABLE_MAX,
						      &rep, &fields);
			if (!n || fields >= n)
				abort();
			continue;
		}
		if (st != 206 || r.first > r.last || r.last >= lens[i])
			abort();
		n200 = khttpd_http_fields(whole, sizeof(whole), &rep, 200, NULL);
		n = khttpd_http_fields(out, n200 + KHTTPD_RANGE_EXTRA, &rep, 206,
				       &r);
		if (!n200 || !n || memcmp(out + n - 4, "\r\n\r\n", 4))
			abort();
	}
}

/*
 * The redirect to @path/ with @query: refused only for a path that is
 * none or already ends in '/'; else within KHTTPD_REDIRECT_MAX(), its
 * Location visible ASCII, not "//", and the path again once decoded.
 */
static void check_redirect(const char *path, size_t path_len,
			   const char *query, size_t query_len)
{
	size_t cap = KHTTPD_REDIRECT_MAX(path_len, query_len), n, fields, i, j;
	char *out = malloc(cap), *loc, *end;

	n = khttpd_http_redirect(out, cap, path, path_len, query, query_len,
				 &fields);
	if (!path_len || path[0] != '/' || path[path_len - 1] == '/') {
		if (n)
			abort();
		free(out);
		return;
	}
	if (!n || fields >= n ||
	    khttpd_http_redirect(out, n - 1, path, path_len, query, query_len,
				 &fields))
		abort();
	khttpd_http_redirect(out, n, path, path_len, query, query_len, &fields);
	loc = memmem(out, fields, "\r\nLocation: ", 12);
	if (!loc)
		abort();
	loc += 12;
	end = memchr(loc, '\r', out + fields - loc);
	if (!end || end - loc < 2 || loc[0] != '/' || loc[1] == '/')
		abort();
	for (i = 0; loc + i < end; i++)
		if ((unsigned char)loc[i] < 0x21 || (unsigned char)loc[i] > 0x7e)
			abort();
	/* the path, decoded, is @path and '/' */
	for (i = j = 0; loc + i < end && loc[i] != '?'; i++, j++) {
		char c = loc[i];

		if (c == '%') {
			if (end - (loc + i) < 3 || unhex(loc[i + 1]) < 0 ||
			    unhex(loc[i + 2]) < 0)
				abort();
			c = unhex(loc[i + 1]) << 4 | unhex(loc[i + 2]);
			i += 2;
		}
		if (j > path_len || c != (j < path_len ? path[j] : '/'))
			abort();
	}
	if (j != path_len + 1 || (query && loc[i] != '?') ||
	    (!query && loc + i != end))
		abort();
	free(out);
}

/* The answer a request gets, and what its lazy fields make of it. */
static void check_request(const struct khttpd_request *req)
{
	struct khttpd_answer a;
	bool gzip;

	if (req->method == KHTTPD_METHOD_GET ||
	    req->method == KHTTPD_METHOD_HEAD) {
		if (!khttpd_http_path_ok(req->path, req->path_len))
			abort();
		check_redirect(req->path, req->path_len, req->query,
			       req->query_len);
	}
	khttpd_http_answer(req, 0, &res, &a);
	if (a.status != 200 && a.status != 304 &&
	    a.status != 405 && a.status != 501)
		abort();
	if (a.status == 200)
		check_range(req);
	gzip = khttpd_http_accepts_gzip(req);
	if (gzip && (!req->accept_enc || (req->dup & KHTTPD_DUP_ACCEPT_ENC)))
		abort();
}

/* The raw bytes as the values of the lazy fields, and as a path. */
static void check_raw(const u8 *data, size_t size)
{
	struct khttpd_request req = { .method = KHTTPD_METHOD_GET };
	size_t half = size / 2, len = size < 0xffff ? size : 0xffff;
	char *path = malloc(size + 1);
	u64 t;

	khttpd_http_parse_date((const char *)data, size, &t);
	req.range = (const char *)data;
	req.range_len = len;
	check_range(&req);
	/* half If-Range, half Range */
	req.if_range = (const char *)data;
	req.if_range_len = half;
	req.range = (const char *)data + half;
	req.range_len = size - half < 0xffff ? size - half : 0xffff;
	check_range(&req);
	req.accept_enc = (const char *)data;
	req.accept_enc_len = len;
	khttpd_http_accepts_gzip(&req);

	path[0] = '/';
	memcpy(path + 1, data, size);
	check_redirect(path, half + 1, path + half + 1, size - half);
	check_redirect(path, size + 1, NULL, 0);
	free(path);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct khttpd_limits lim = {
		.max_request_line = 256,
		.max_header_bytes = 512,
		.max_header_fields = 8,
		.max_body = 64,
	};
	struct khttpd_parser p = { 0 };
	size_t step, fed = 0, len = 0;
	char *buf;

	if (!size)
		return 0;
	step = data[0] % 16 + 1;	/* piece size */
	data++;
	size--;
	buf = malloc(size + 1);
	while (fed < size) {
		size_t n = size - fed < step ? size - fed : step;

		memcpy(buf + len, data + fed, n);
		fed += n;
		len += n;
		for (;;) {
			struct khttpd_request req;
			struct khttpd_answer a;
			size_t used;
			int ret;

			ret = khttpd_http_parse(&p, buf, len, &lim, &req, &used);
			if (used > len)
				abort();
			if (ret == KHTTPD_PARSE_REQUEST)
				check_request(&req);
			memmove(buf, buf + used, len - used);
			len -= used;
			if (ret < 0) {
				khttpd_http_answer(NULL, -ret, NULL, &a);
				if (a.keep_alive)
					abort();
				free(buf);
				check_raw(data, size);
				return 0;
			}
			if (ret == KHTTPD_PARSE_MORE)
				break;
		}
	}
	free(buf);
	check_raw(data, size);
	return 0;
}
