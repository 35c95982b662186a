// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Response side of the HTTP engine: dates, validators and the first lines
 * of a response.  Freestanding, like the parser (see http_shim.h).
 */
#include "http.h"

const char *khttpd_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

const int khttpd_http_error_status[KHTTPD_N_ERRORS] = {
	400, 403, 404, 405, 408, 413, 414, 431, 500, 501, 503, 505,
};

unsigned int khttpd_http_error_index(int status)
{
	unsigned int i;

	for (i = 0; i < KHTTPD_N_ERRORS; i++)
		if (khttpd_http_error_status[i] == status)
			return i;
	return khttpd_http_error_index(500);
}

static const char khttpd_wday[7][4] = {
	"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed",	/* from 1970-01-01 */
};
static const char khttpd_month[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
static u64 khttpd_days_from_civil(u64 y, unsigned int m, unsigned int d)
{
	u64 era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void khttpd_put2(char *p, unsigned int v)
{
	p[0] = '0' + v / 10 % 10;
	p[1] = '0' + v % 10;
}

void khttpd_http_date(u64 secs, char out[KHTTPD_DATE_LEN])
{
	u64 days = secs / 86400, z = days + 719468;
	unsigned int sod = secs % 86400;
	u64 era = z / 146097, doe = z - era * 146097;
	u64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	u64 y = yoe + era * 400;
	unsigned int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned int mp = (5 * doy + 2) / 153;
	unsigned int d = doy - (153 * mp + 2) / 5 + 1;
	unsigned int m = mp < 10 ? mp + 3 : mp - 9;

	y += m <= 2;
	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
	memcpy(out, khttpd_wday[days % 7], 3);
	memcpy(out + 3, ", ", 2);
	khttpd_put2(out + 5, d);
	out[7] = ' ';
	memcpy(out + 8, khttpd_month[m - 1], 3);
	out[11] = ' ';
	khttpd_put2(out + 12, y / 100);
	khttpd_put2(out + 14, y % 100);
	out[16] = ' ';
	khttpd_put2(out + 17, sod / 3600);
	out[19] = ':';
	khttpd_put2(out + 20, sod / 60 % 60);
	out[22] = ':';
	khttpd_put2(out + 23, sod % 60);
	memcpy(out + 25, " GMT", 4);
}

/* Read exactly @n digits. */
static bool khttpd_digits(const char **s, const char *end, unsigned int n,
			  unsigned int *out)
{
	unsigned int v = 0;

	if (end - *s < n)
		return false;
	while (n--) {
		if (**s < '0' || **s > '9')
			return false;
		v = v * 10 + (*(*s)++ - '0');
	}
	*out = v;
	return true;
}

static bool khttpd_lit(const char **s, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *s) < n || memcmp(*s, lit, n))
		return false;
	*s += n;
	return true;
}

static bool khttpd_month_name(const char **s, const char *end,
			      unsigned int *m)
{
	unsigned int i;

	if (end - *s < 3)
		return false;
	for (i = 0; i < 12; i++) {
		if (!memcmp(*s, khttpd_month[i], 3)) {
			*m = i + 1;
			*s += 3;
			return true;
		}
	}
	return false;
}

/* "08:49:37" */
static bool khttpd_time(const char **s, const char *end, unsigned int *h,
			unsigned int *mi, unsigned int *se)
{
	return khttpd_digits(s, end, 2, h) && khttpd_lit(s, end, ":") &&
	       khttpd_digits(s, end, 2, mi) && khttpd_lit(s, end, ":") &&
	       khttpd_digits(s, end, 2, se);
}

bool khttpd_http_parse_date(const char *s, size_t len, u64 *secs)
{
	const char *end = s + len, *comma = memchr(s, ',', len);
	unsigned int y, m, d, h, mi, se;

	if (comma && comma - s == 3) {
		/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		s = comma + 1;
		if (!khttpd_lit(&s, end, " ") ||
		    !khttpd_digits(&s, end, 2, &d) || !khttpd_lit(&s, end, " ") ||
		    !khttpd_month_name(&s, end, &m) || !khttpd_lit(&s, end, " ") ||
		    !khttpd_digits(&s, end, 4, &y) || !khttpd_lit(&s, end, " ") ||
		    !khttpd_time(&s, end, &h, &mi, &se) ||
		    !khttpd_lit(&s, end, " GMT"))
			return false;
	} else if (comma) {
		/* rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT */
		s = comma + 1;
		if (!khttpd_lit(&s, end, " ") ||
		    !khttpd_digits(&s, end, 2, &d) || !khttpd_lit(&s, end, "-") ||
		    !khttpd_month_name(&s, end, &m) || !khttpd_lit(&s, end, "-") ||
		    !khttpd_digits(&s, end, 2, &y) || !khttpd_lit(&s, end, " ") ||
		    !khttpd_time(&s, end, &h, &mi, &se) ||
		    !khttpd_lit(&s, end, " GMT"))
			return false;
		/* RFC 9110: a two-digit year more than 50 years ahead is past */
		y += y < 70 ? 2000 : 1900;
	} else {
		/* asctime-date: Sun Nov  6 08:49:37 1994 */
		if (end - s < 4 || s[3] != ' ')
			return false;
		s += 4;
		if (!khttpd_month_name(&s, end, &m) || !khttpd_lit(&s, end, " "))
			return false;
		if (khttpd_lit(&s, end, " ")) {
			if (!khttpd_digits(&s, end, 1, &d))
				return false;
		} else if (!khttpd_digits(&s, end, 2, &d)) {
			return false;
		}
		if (!khttpd_lit(&s, end, " ") ||
		    !khttpd_time(&s, end, &h, &mi, &se) ||
		    !khttpd_lit(&s, end, " ") || !khttpd_digits(&s, end, 4, &y))
			return false;
	}
	if (s != end || y < 1970 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 60)
		return false;
	*secs = khttpd_days_from_civil(y, m, d) * 86400 + h * 3600 +
		mi * 60 + se;
	return true;
}

/*
 * Does the If-None-Match list @v match @etag?  Weak comparison (RFC 9110
 * section 8.8.3.2): "W/" prefixes are ignored, opaque tags must be equal.
 * A malformed list matches nothing, so the full response is sent.
 */
static bool khttpd_inm_match(const char *v, size_t len, const char *etag,
			     size_t etag_len)
{
	const char *end = v + len;

	while (v < end) {
		const char *q;

		while (v < end && (*v == ' ' || *v == '\t' || *v == ','))
			v++;
		if (v == end)
			break;
		if (*v == '*')
			return true;
		if (end - v >= 2 && v[0] == 'W' && v[1] == '/')
			v += 2;
		if (v == end || *v != '"')
			return false;
		q = memchr(v + 1, '"', end - v - 1);
		if (!q)
			return false;
		if ((size_t)(q + 1 - v) == etag_len && !memcmp(v, etag, etag_len))
			return true;
		v = q + 1;
	}
	return false;
}

int khttpd_http_precondition(const struct khttpd_request *req,
			     const char *etag, size_t etag_len, u64 mtime)
{
	u64 since;
	int i;

	/* If-None-Match, when present, decides; If-Modified-Since is ignored */
	if (req->n_inm) {
		if (req->n_inm > KHTTPD_MAX_INM)
			return 200;
		for (i = 0; i < req->n_inm; i++)
			if (khttpd_inm_match(req->inm[i], req->inm_len[i],
					     etag, etag_len))
				return 304;
		return 200;
	}
	if (req->ims && khttpd_http_parse_date(req->ims, req->ims_len, &since) &&
	    mtime <= since)
		return 304;
	return 200;
}

size_t khttpd_http_head(char *out, size_t cap, int status, u8 version,
			bool keep_alive, const char *date)
{
	const char *reason = khttpd_http_reason(status);
	const char *conn = "";
	size_t rlen = strlen(reason), clen, n;

	if (!keep_alive)
		conn = "Connection: close\r\n";
	else if (version == 10)
		conn = "Connection: keep-alive\r\n";
	clen = strlen(conn);
	n = 13 + rlen + 2 + 6 + KHTTPD_DATE_LEN + 2 + clen;
	if (n > cap || status < 100 || status > 999)
		return 0;
	memcpy(out, "HTTP/1.1 ", 9);
	out[9] = '0' + status / 100;
	out[10] = '0' + status / 10 % 10;
	out[11] = '0' + status % 10;
	out[12] = ' ';
	memcpy(out + 13, reason, rlen);
	memcpy(out + 13 + rlen, "\r\nDate: ", 8);
	memcpy(out + 21 + rlen, date, KHTTPD_DATE_LEN);
	memcpy(out + 21 + rlen + KHTTPD_DATE_LEN, "\r\n", 2);
	memcpy(out + 23 + rlen + KHTTPD_DATE_LEN, conn, clen);
	return n;
}

void khttpd_http_answer(const struct khttpd_request *req, int parse_status,
			const struct khttpd_resource *res,
			struct khttpd_answer *a)
{
	bool head;

	a->error = true;
	a->part = KHTTPD_PART_FULL;
	if (parse_status) {
		/* The stream cannot be trusted past a malformed request. */
		a->status = parse_status;
		a->keep_alive = false;
		return;
	}
	a->keep_alive = req->keep_alive;
	head = req->method == KHTTPD_METHOD_HEAD;
	switch (req->method) {
	case KHTTPD_METHOD_UNKNOWN:
		a->status = 501;
		a->keep_alive = false;
		return;
	case KHTTPD_METHOD_OTHER:
		a->status = 405;
		return;
	}
	if (!res) {
		a->status = 404;
		a->part = head ? KHTTPD_PART_HEADERS : KHTTPD_PART_FULL;
		return;
	}
	a->error = false;
	a->status = khttpd_http_precondition(req, res->etag, res->etag_len,
					     res->mtime);
	if (a->status == 304)
		a->part = KHTTPD_PART_NM;
	else
		a->part = head ? KHTTPD_PART_HEADERS : KHTTPD_PART_FULL;
}

/* A bounded writer: every append checks room; overflow sticks. */
struct khttpd_w {
	char *p;
	size_t left;
	size_t len;
	bool overflow;
};

static void khttpd_w_mem(struct khttpd_w *w, const void *s, size_t n)
{
	if (w->overflow || n > w->left) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->left -= n;
}

static void khttpd_w_str(struct khttpd_w *w, const char *s)
{
	khttpd_w_mem(w, s, strlen(s));
}

static void khttpd_w_u64(struct khttpd_w *w, u64 v, unsigned int base)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	khttpd_w_mem(w, tmp + i, sizeof(tmp) - i);
}

u64 khttpd_http_hash(u64 h, const void *data, size_t len)
{
	const unsigned char *b = data;
	size_t i;

	/* FNV-1a 64: cheap, incremental, the same on every server */
	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void khttpd_http_make_etag(char out[KHTTPD_ETAG_LEN], u64 hash, u64 len,
			   u64 mtime)
{
	int i;

	/* fold length and time into the content hash: one fixed-size tag */
	hash ^= len;
	hash *= 0x100000001b3ULL;
	hash ^= mtime;
	hash *= 0x100000001b3ULL;
	out[0] = '"';
	for (i = 16; i >= 1; i--, hash >>= 4)
		out[i] = "0123456789abcdef"[hash & 15];
	out[17] = '"';
}

/* A path as stored: what khttpd_http_parse() can produce for a target. */
bool khttpd_http_path_ok(const char *p, size_t len)
{
	size_t i, seg = 0;

	if (!len || p[0] != '/')
		return false;
	for (i = 0; i <= len; i++) {
		if (i < len && ((unsigned char)p[i] < 0x20 || p[i] == 0x7f))
			return false;
		if (i == len || p[i] == '/') {
			/* the segment is p[seg + 1 .. i) */
			if ((i - seg == 2 && p[seg + 1] == '.') ||
			    (i - seg == 3 && p[seg + 1] == '.' && p[seg + 2] == '.'))
				return false;
			seg = i;
		}
	}
	return true;
}

size_t khttpd_http_fields(char *out, size_t cap, const struct khttpd_repr *rep,
			  int status, const struct khttpd_range *range)
{
	struct khttpd_w w = { .p = out, .left = cap };
	const struct khttpd_resource *r = rep->res;
	char date[KHTTPD_DATE_LEN];

	if (status != 200 && status != 304 &&
	    (status != 206 || !range || range->first > range->last ||
	     range->last >= rep->len))
		return 0;
	khttpd_w_str(&w, "Server: khttpd\r\n");
	if (status != 304) {
		khttpd_w_str(&w, "Content-Type: ");
		khttpd_w_str(&w, rep->type);
		if (rep->flags & KHTTPD_REPR_GZIP)
			khttpd_w_str(&w, "\r\nContent-Encoding: gzip");
		khttpd_w_str(&w, "\r\nContent-Length: ");
		if (status == 206) {
			khttpd_w_u64(&w, range->last - range->first + 1, 10);
			khttpd_w_str(&w, "\r\nContent-Range: bytes ");
			khttpd_w_u64(&w, range->first, 10);
			khttpd_w_str(&w, "-");
			khttpd_w_u64(&w, range->last, 10);
			khttpd_w_str(&w, "/");
		}
		/* a 200's Content-Length, a 206's complete-length */
		khttpd_w_u64(&w, rep->len, 10);
		/* a client may resume or seek: say so before it has to ask */
		khttpd_w_str(&w, "\r\nAccept-Ranges: bytes\r\n");
	}
	khttpd_w_str(&w, "ETag: ");
	khttpd_w_mem(&w, r->etag, r->etag_len);
	khttpd_http_date(r->mtime, date);
	khttpd_w_str(&w, "\r\nLast-Modified: ");
	khttpd_w_mem(&w, date, KHTTPD_DATE_LEN);
	khttpd_w_str(&w, "\r\n");
	if (rep->flags & (KHTTPD_REPR_VARY | KHTTPD_REPR_GZIP))
		khttpd_w_str(&w, "Vary: Accept-Encoding\r\n");
	if (rep->cache_control && *rep->cache_control) {
		khttpd_w_str(&w, "Cache-Control: ");
		khttpd_w_str(&w, rep->cache_control);
		khttpd_w_str(&w, "\r\n");
	}
	khttpd_w_str(&w, "\r\n");
	return w.overflow ? 0 : w.len;
}

/*
 * An answer without a representation (an error, a 416, a redirect) has a
 * short text body, its reason phrase: these fields start it, and
 * khttpd_w_text_end() ends the fields and writes that body.
 */
static void khttpd_w_text_start(struct khttpd_w *w, const char *reason)
{
	khttpd_w_str(w, "Server: khttpd\r\n"
			"Content-Type: text/plain; charset=utf-8\r\n"
			"Content-Length: ");
	khttpd_w_u64(w, strlen(reason) + 1, 10);
	khttpd_w_str(w, "\r\n");
}

static size_t khttpd_w_text_end(struct khttpd_w *w, const char *reason,
				size_t *fields_len)
{
	khttpd_w_str(w, "\r\n");
	*fields_len = w->len;
	khttpd_w_str(w, reason);
	khttpd_w_str(w, "\n");
	return w->overflow ? 0 : w->len;
}

size_t khttpd_http_error_response(char *out, size_t cap, int status,
				  size_t *fields_len)
{
	const char *reason = khttpd_http_reason(status);
	struct khttpd_w w = { .p = out, .left = cap };

	khttpd_w_text_start(&w, reason);
	if (status == 405)
		khttpd_w_str(&w, "Allow: GET, HEAD\r\n");
	return khttpd_w_text_end(&w, reason, fields_len);
}

size_t khttpd_http_unsatisfiable(char *out, size_t cap,
				 const struct khttpd_repr *rep,
				 size_t *fields_len)
{
	const char *reason = khttpd_http_reason(416);
	struct khttpd_w w = { .p = out, .left = cap };

	khttpd_w_text_start(&w, reason);
	/* the length the client may ask for next (RFC 9110 section 14.4) */
	khttpd_w_str(&w, "Content-Range: bytes */");
	khttpd_w_u64(&w, rep->len, 10);
	khttpd_w_str(&w, "\r\n");
	/* that length is the selected variant's: it varies like the 200 */
	if (rep->flags & (KHTTPD_REPR_VARY | KHTTPD_REPR_GZIP))
		khttpd_w_str(&w, "Vary: Accept-Encoding\r\n");
	return khttpd_w_text_end(&w, reason, fields_len);
}

/*
 * May byte @c stand for itself in a Location's path: unreserved,
 * sub-delims, ':', '@' (pchar of RFC 3986 section 3.3, less '%') or '/';
 * in its query also '?' and '%' (the query is still percent-encoded)?
 */
static bool khttpd_uri_keeps(unsigned char c, bool query)
{
	static const char keep[] = "-._~!$&'()*+,;=:@/";

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	if (query && (c == '?' || c == '%'))
		return true;
	return c && memchr(keep, c, sizeof(keep) - 1);
}

/* @s, percent-encoding every byte khttpd_uri_keeps() does not keep */
static void khttpd_w_uri(struct khttpd_w *w, const char *s, size_t len,
			 bool query)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = s[i];
		char esc[3] = { '%', hex[c >> 4], hex[c & 15] };

		/*
		 * A path starting "//" would be a network-path reference,
		 * its first segment a host name: escape the second '/'.
		 */
		if (khttpd_uri_keeps(c, query) && (query || i != 1 || c != '/'))
			khttpd_w_mem(w, s + i, 1);
		else
			khttpd_w_mem(w, esc, 3);
	}
}

size_t khttpd_http_redirect(char *out, size_t cap, const char *path,
			    size_t path_len, const char *query,
			    size_t query_len, size_t *fields_len)
{
	const char *reason = khttpd_http_reason(301);
	struct khttpd_w w = { .p = out, .left = cap };

	if (!path_len || path[0] != '/' || path[path_len - 1] == '/')
		return 0;
	khttpd_w_text_start(&w, reason);
	khttpd_w_str(&w, "Location: ");
	khttpd_w_uri(&w, path, path_len, false);
	khttpd_w_str(&w, "/");
	if (query) {
		khttpd_w_str(&w, "?");
		khttpd_w_uri(&w, query, query_len, true);
	}
	khttpd_w_str(&w, "\r\n");
	return khttpd_w_text_end(&w, reason, fields_len);
}

size_t khttpd_http_docroot_name(const char *path, size_t len, char *out,
				size_t cap)
{
	static const char wk[] = ".well-known";
	bool dir = len && path[len - 1] == '/';
	size_t i, n;

	if (!len || path[0] != '/')
		return 0;
	for (i = 0; i < len; i++) {
		if (!path[i])
			return 0;
		if (path[i] != '/' || i + 1 >= len || path[i + 1] != '.')
			continue;
		/* a segment starting with '.': only /.well-known/ */
		if (i || len < sizeof(wk) ||
		    memcmp(path + 1, wk, sizeof(wk) - 1) ||
		    (len > sizeof(wk) && path[sizeof(wk)] != '/'))
			return 0;
	}
	n = len - 1 + (dir ? sizeof(KHTTPD_INDEX_NAME) - 1 : 0);
	if (n + 1 > cap)
		return 0;
	memcpy(out, path + 1, len - 1);
	if (dir)
		memcpy(out + len - 1, KHTTPD_INDEX_NAME,
		       sizeof(KHTTPD_INDEX_NAME) - 1);
	out[n] = '\0';
	return n;
}

const char *khttpd_http_extension(const char *name, size_t len,
				  size_t *ext_len)
{
	size_t i = len;

	while (i && name[i - 1] != '.' && name[i - 1] != '/')
		i--;
	/* no '.', or one that starts the segment (".profile") */
	if (!i || name[i - 1] != '.' || i == 1 || name[i - 2] == '/') {
		*ext_len = 0;
		return NULL;
	}
	*ext_len = len - i;
	return *ext_len ? name + i : NULL;
}
