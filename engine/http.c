// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Request parsing for khttpd (RFC 9112 message syntax, RFC 9110 semantics).
 *
 * Choices where the RFCs leave one:
 * - Only CRLF ends a line.  RFC 9112 section 2.2 lets a recipient accept a
 *   bare LF, but a server that does so behind a proxy that does not will
 *   disagree with it about where a request ends: that is how requests are
 *   smuggled.  A bare LF, or a CR not followed by LF, is answered with 400.
 * - Empty lines before a request line are skipped (section 2.2), each
 *   within the request line's limit, but no more than
 *   KHTTPD_MAX_EMPTY_LINES of them: 400 beyond.
 * - HTTP/1.x above 1.1 is processed as 1.1, as RFC 9110 section 2.5 says
 *   a recipient should; other major versions get 505.
 * - A Host value must be a valid uri-host [ ":" port ] (section 3.2);
 *   it is not otherwise used, a static server has one site.
 * - A request with Transfer-Encoding is refused: 400 if it also has a
 *   Content-Length (section 6.3: a smuggling attempt), else 501; a static
 *   server has no use for chunked request bodies.
 * - Content-Length must be one decimal number; several field lines must
 *   agree, a list ("5, 5") is refused.
 * - The target is percent-decoded, then dot segments are removed: a path
 *   that climbs above "/", an invalid escape, or a decoded NUL or control
 *   character is refused.  The query does not take part in the lookup;
 *   it is kept raw (req->query), for a redirect to carry it on.
 * - Range, If-Range and Accept-Encoding are only located here; their
 *   values are parsed when an answer needs them (khttpd_http_range(),
 *   khttpd_http_accepts_gzip()), so that requests without them, and
 *   answers they cannot change (a 404, a 304), cost nothing more.
 */
#include "http.h"

/*
 * Byte classes, one table lookup per byte: tchar of RFC 9110 section
 * 5.6.2 (a method and every field name) and reg-name of RFC 3986
 * (unreserved and sub-delims: every Host value).
 */
#define KHTTPD_C_TCHAR		0x01	/* ALPHA DIGIT ! # $ % & ' * + - . ^ _ ` | ~ */
#define KHTTPD_C_REGNAME	0x02	/* ALPHA DIGIT - . _ ~ ! $ & ' ( ) * + , ; = */
#define KHTTPD_C_BOTH		(KHTTPD_C_TCHAR | KHTTPD_C_REGNAME)

static const u8 khttpd_class[256] = {
	['0' ... '9'] = KHTTPD_C_BOTH,
	['A' ... 'Z'] = KHTTPD_C_BOTH,
	['a' ... 'z'] = KHTTPD_C_BOTH,
	['!'] = KHTTPD_C_BOTH, ['$'] = KHTTPD_C_BOTH, ['&'] = KHTTPD_C_BOTH,
	['\''] = KHTTPD_C_BOTH, ['*'] = KHTTPD_C_BOTH, ['+'] = KHTTPD_C_BOTH,
	['-'] = KHTTPD_C_BOTH, ['.'] = KHTTPD_C_BOTH, ['_'] = KHTTPD_C_BOTH,
	['~'] = KHTTPD_C_BOTH,
	['#'] = KHTTPD_C_TCHAR, ['%'] = KHTTPD_C_TCHAR, ['^'] = KHTTPD_C_TCHAR,
	['`'] = KHTTPD_C_TCHAR, ['|'] = KHTTPD_C_TCHAR,
	['('] = KHTTPD_C_REGNAME, [')'] = KHTTPD_C_REGNAME,
	[','] = KHTTPD_C_REGNAME, [';'] = KHTTPD_C_REGNAME,
	['='] = KHTTPD_C_REGNAME,
};

static bool khttpd_is_tchar(unsigned char c)
{
	return khttpd_class[c] & KHTTPD_C_TCHAR;
}

static unsigned char khttpd_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive comparison of @a (@alen bytes) with lowercase @lit. */
static bool khttpd_ieq(const char *a, size_t alen, const char *lit)
{
	size_t i;

	for (i = 0; i < alen; i++)
		if (!lit[i] || khttpd_lower(a[i]) != (unsigned char)lit[i])
			return false;
	return lit[alen] == '\0';
}

static bool khttpd_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int khttpd_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = khttpd_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool khttpd_is_regname(unsigned char c)
{
	return khttpd_class[c] & KHTTPD_C_REGNAME;
}

/* IPv4address = dec-octet 3( "." dec-octet ): 0 to 255, no leading 0 */
static bool khttpd_ipv4_ok(const char *s, const char *end)
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned int v = 0;
		const char *d;

		if (i && (s == end || *s++ != '.'))
			return false;
		for (d = s; s < end && s - d < 3 && *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (*s - '0');
		if (s == d || v > 255 || (*d == '0' && s - d > 1))
			return false;
	}
	return s == end;
}

/*
 * IPv6address (RFC 3986 section 3.2.2), its ABNF folded into one rule:
 * groups of 1 to 4 hex digits separated by ':', the last of which may be
 * an IPv4address counting for two; eight groups, or at most seven and one
 * "::" standing for the missing ones.
 */
static bool khttpd_ipv6_ok(const char *s, const char *end)
{
	bool gap = false;
	int groups = 0;

	if (end - s >= 2 && s[0] == ':' && s[1] == ':') {
		gap = true;
		s += 2;
	}
	while (s < end) {
		const char *g = s;

		while (s < end && khttpd_hex(*s) >= 0)
			s++;
		if (s < end && *s == '.') {
			/* the digits were the first octet of an IPv4address */
			if (!khttpd_ipv4_ok(g, end))
				return false;
			groups += 2;
			break;
		}
		if (s == g || s - g > 4)
			return false;
		groups++;
		if (s == end)
			break;
		/* a ':' must be followed by a group or be the second of "::" */
		if (*s++ != ':' || s == end)
			return false;
		if (*s == ':') {
			if (gap)
				return false;
			gap = true;
			s++;
		}
	}
	return gap ? groups <= 7 : groups == 8;
}

/* IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
static bool khttpd_ipvfuture_ok(const char *s, const char *end)
{
	const char *h;

	if (s == end || khttpd_lower(*s++) != 'v')
		return false;
	for (h = s; s < end && khttpd_hex(*s) >= 0; s++)
		;
	if (s == h || s == end || *s++ != '.' || s == end)
		return false;
	while (s < end && (khttpd_is_regname(*s) || *s == ':'))
		s++;
	return s == end;
}

/*
 * Host = uri-host [ ":" port ] (RFC 9110 section 7.2), where uri-host is
 * IP-literal / IPv4address / reg-name (RFC 3986 section 3.2.2).  An
 * IPv4address is also a reg-name, and so is the empty value a client sends
 * when the target has no authority.
 */
static bool khttpd_host_ok(const char *v, const char *end)
{
	if (v < end && *v == '[') {
		const char *rb = memchr(v, ']', end - v);

		if (!rb || !(khttpd_ipv6_ok(v + 1, rb) ||
			     khttpd_ipvfuture_ok(v + 1, rb)))
			return false;
		v = rb + 1;
	} else {
		while (v < end) {
			if (khttpd_is_regname(*v))
				v++;
			else if (*v == '%' && end - v >= 3 &&
				 khttpd_hex(v[1]) >= 0 && khttpd_hex(v[2]) >= 0)
				v += 3;
			else
				break;
		}
	}
	if (v < end && *v == ':')
		for (v++; v < end && *v >= '0' && *v <= '9'; v++)
			;
	return v == end;
}

static int khttpd_parse_method(const char *m, size_t len)
{
	static const char *const others[] = {
		"POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
		"PATCH",
	};
	size_t i;

	if (len == 3 && !memcmp(m, "GET", 3))
		return KHTTPD_METHOD_GET;
	if (len == 4 && !memcmp(m, "HEAD", 4))
		return KHTTPD_METHOD_HEAD;
	for (i = 0; i < ARRAY_SIZE(others); i++)
		if (strlen(others[i]) == len && !memcmp(m, others[i], len))
			return KHTTPD_METHOD_OTHER;
	return KHTTPD_METHOD_UNKNOWN;
}

/*
 * Turn the path part of a target (@t, @len bytes, starting with '/') into
 * the lookup key, in place: percent-decode, then remove dot segments
 * (RFC 3986 section 5.2.4).  Returns the new length, or 0 if refused.
 */
static u32 khttpd_normalize_path(char *t, u32 len)
{
	u32 r, w, e;

	for (r = w = 0; r < len; r++, w++) {
		unsigned char c = t[r];

		if (c == '%') {
			int hi, lo;

			if (len - r < 3)
				return 0;
			hi = khttpd_hex(t[r + 1]);
			lo = khttpd_hex(t[r + 2]);
			if (hi < 0 || lo < 0)
				return 0;
			c = hi << 4 | lo;
			r += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return 0;
		t[w] = c;
	}
	len = w;

	/* Each pass takes the segment "/seg" at r; w only trails r. */
	for (r = w = 0; r < len; r = e) {
		u32 s = r + 1, seg;
		bool last;

		for (e = s; e < len && t[e] != '/'; e++)
			;
		seg = e - s;
		last = e == len;
		if (seg == 1 && t[s] == '.') {
			if (last)
				t[w++] = '/';
		} else if (seg == 2 && t[s] == '.' && t[s + 1] == '.') {
			if (!w)
				return 0;	/* would climb above "/" */
			do
				w--;
			while (w && t[w] != '/');
			if (last)
				t[w++] = '/';
		} else {
			memmove(t + w, t + r, seg + 1);
			w += seg + 1;
		}
	}
	if (!w)
		t[w++] = '/';
	return w;
}

/* request-target of a GET or HEAD: origin-form or absolute-form */
static int khttpd_parse_target(char *t, u32 len, struct khttpd_request *req)
{
	char *q;

	if (khttpd_memchr(t, '#', len))
		return -400;
	if (t[0] != '/') {
		u32 skip;

		/* absolute-form: http(s)://authority[/path][?query] */
		if (len > 7 && khttpd_ieq(t, 7, "http://"))
			skip = 7;
		else if (len > 8 && khttpd_ieq(t, 8, "https://"))
			skip = 8;
		else
			return -400;
		t += skip;
		len -= skip;
		for (skip = 0; skip < len && t[skip] != '/' && t[skip] != '?';
		     skip++)
			;
		if (!skip)
			return -400;	/* empty authority */
		if (skip == len || t[skip] == '?') {
			/*
			 * no path: it is "/", in the authority's last byte,
			 * and the query (if any) follows it
			 */
			t += skip - 1;
			*t = '/';
			len -= skip - 1;
		} else {
			t += skip;
			len -= skip;
		}
	}
	q = khttpd_memchr(t, '?', len);
	if (q) {
		/* kept raw for a redirect; it takes no part in the lookup */
		req->query = q + 1;
		req->query_len = t + len - req->query;
		len = q - t;
	}
	req->path = t;
	req->path_len = khttpd_normalize_path(t, len);
	return req->path_len ? 0 : -400;
}

/* A length for a u16 field, cut short: for what is only logged. */
static u16 khttpd_len16(size_t n)
{
	return n > 0xffff ? 0xffff : n;
}

/* request-line = method SP request-target SP HTTP-version */
static int khttpd_parse_request_line(char *p, char *eol,
				     struct khttpd_request *req)
{
	char *m = p, *t, *v;

	while (p < eol && khttpd_is_tchar(*p))
		p++;
	if (p == m || p == eol || *p != ' ')
		return -400;
	req->method = khttpd_parse_method(m, p - m);
	req->method_tok = m;
	req->method_len = khttpd_len16(p - m);

	t = ++p;
	while (p < eol && *p > 0x20 && *p < 0x7f)
		p++;
	if (p == t || p == eol || *p != ' ')
		return -400;
	req->target = t;
	req->target_len = khttpd_len16(p - t);

	v = p + 1;
	if (eol - v != 8 || memcmp(v, "HTTP/", 5) ||
	    v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return -400;
	if (v[5] != '1')
		return -505;
	/* a later 1.x is processed as the highest we implement (RFC 9110 2.5) */
	req->version = v[7] == '0' ? 10 : 11;

	if (req->method == KHTTPD_METHOD_GET ||
	    req->method == KHTTPD_METHOD_HEAD)
		return khttpd_parse_target(t, p - t, req);
	return 0;
}

/* Connection = #connection-option */
static void khttpd_parse_connection(const char *v, const char *end,
				    bool *close, bool *keep)
{
	while (v < end) {
		const char *tok, *tend;

		while (v < end && (khttpd_is_ows(*v) || *v == ','))
			v++;
		tok = v;
		while (v < end && *v != ',')
			v++;
		tend = v;
		while (tend > tok && khttpd_is_ows(tend[-1]))
			tend--;
		if (khttpd_ieq(tok, tend - tok, "close"))
			*close = true;
		else if (khttpd_ieq(tok, tend - tok, "keep-alive"))
			*keep = true;
	}
}

/* Content-Length = 1*DIGIT; refuse anything else, and absurd sizes. */
static bool khttpd_parse_length(const char *v, const char *end, u64 *out)
{
	u64 n = 0;

	if (v == end)
		return false;
	for (; v < end; v++) {
		if (*v < '0' || *v > '9' || n > (1ULL << 53))
			return false;
		n = n * 10 + (*v - '0');
	}
	*out = n;
	return true;
}

/*
 * Remember the first line of a field that is evaluated only if the answer
 * needs it; flag a repeated one (see KHTTPD_DUP_*).
 */
static void khttpd_keep_value(const char *v, const char *vend,
			      const char **val, u16 *len, u8 *dup, u8 bit)
{
	if (*val || vend - v > (u16)~0) {
		*dup |= bit;
		return;
	}
	*val = v;
	*len = vend - v;
}

struct khttpd_fields {
	unsigned int hosts;
	bool close, keep, te, has_cl;
	u64 cl;
};

/*
 * The end of the field value that starts at @v: the CR of the CRLF that
 * ends its line, which lies before @end.  Every byte on the way must be a
 * field-vchar, SP or HTAB: a NUL, a lone CR, any other CTL is NULL.
 * Eight bytes at a time: a word with none of 0x00-0x1f or 0x7f in it is
 * passed over whole (obs-text, 0x80 and above, is allowed).
 */
static char *khttpd_field_end(char *v, char *end)
{
	for (;;) {
		unsigned char c;

		while (end - v >= 8) {
			u64 w = khttpd_word_load(v);
			u64 m = khttpd_word_below(w, 0x20) |
				khttpd_word_zero(w ^ (KHTTPD_ONES * 0x7f));

			if (m) {
				v += khttpd_word_first(m);
				break;
			}
			v += 8;
		}
		while (v < end && (unsigned char)*v >= 0x20 && *v != 0x7f)
			v++;
		if (v == end)
			return NULL;
		c = *v;
		if (c == '\r')
			return end - v >= 2 && v[1] == '\n' ? v : NULL;
		if (c != '\t')
			return NULL;
		v++;
	}
}

/*
 * Parse the field line at @name, which ends before @end.  Returns the
 * start of the next line, or NULL for a 400.
 */
static char *khttpd_parse_field(char *name, char *end,
				struct khttpd_fields *f,
				struct khttpd_request *req)
{
	char *colon = name, *v, *vend, *eol;
	u64 cl;

	/* field-name is a token: obs-fold and "name :" fail here */
	while (khttpd_is_tchar(*colon))
		colon++;
	if (colon == name || *colon != ':')
		return NULL;
	v = colon + 1;
	while (khttpd_is_ows(*v))
		v++;
	/* field-vchar, SP and HTAB only: CR, LF, NUL and other CTLs fail */
	eol = khttpd_field_end(v, end);
	if (!eol)
		return NULL;
	vend = eol;
	while (vend > v && khttpd_is_ows(vend[-1]))
		vend--;

	switch (colon - name) {
	case 4:
		if (khttpd_ieq(name, 4, "host")) {
			/* RFC 9112 section 3.2: an invalid Host is a 400 */
			if (!khttpd_host_ok(v, vend))
				return NULL;
			f->hosts++;
		}
		break;
	case 5:
		if (khttpd_ieq(name, 5, "range"))
			khttpd_keep_value(v, vend, &req->range, &req->range_len,
					  &req->dup, KHTTPD_DUP_RANGE);
		break;
	case 8:
		if (khttpd_ieq(name, 8, "if-range"))
			khttpd_keep_value(v, vend, &req->if_range,
					  &req->if_range_len, &req->dup,
					  KHTTPD_DUP_IF_RANGE);
		break;
	case 7:
		if (khttpd_ieq(name, 7, "referer") && !req->referer) {
			req->referer = v;
			req->referer_len = khttpd_len16(vend - v);
		}
		break;
	case 10:
		if (khttpd_ieq(name, 10, "connection"))
			khttpd_parse_connection(v, vend, &f->close, &f->keep);
		else if (khttpd_ieq(name, 10, "user-agent") &&
			 !req->user_agent) {
			req->user_agent = v;
			req->user_agent_len = khttpd_len16(vend - v);
		}
		break;
	case 13:
		if (khttpd_ieq(name, 13, "if-none-match")) {
			if (req->n_inm < KHTTPD_MAX_INM) {
				req->inm[req->n_inm] = v;
				req->inm_len[req->n_inm] = vend - v;
			}
			if (req->n_inm < 255)
				req->n_inm++;
		}
		break;
	case 14:
		if (khttpd_ieq(name, 14, "content-length")) {
			if (!khttpd_parse_length(v, vend, &cl) ||
			    (f->has_cl && cl != f->cl))
				return NULL;
			f->has_cl = true;
			f->cl = cl;
		}
		break;
	case 15:
		if (khttpd_ieq(name, 15, "accept-encoding"))
			khttpd_keep_value(v, vend, &req->accept_enc,
					  &req->accept_enc_len, &req->dup,
					  KHTTPD_DUP_ACCEPT_ENC);
		break;
	case 17:
		if (khttpd_ieq(name, 17, "transfer-encoding"))
			f->te = true;
		else if (khttpd_ieq(name, 17, "if-modified-since") &&
			 !req->ims) {
			req->ims = v;
			req->ims_len = vend - v;
		}
		break;
	}
	return eol + 2;
}

/* Parse a complete head: request line at @buf, fields up to @end. */
static int khttpd_parse_head(struct khttpd_parser *p, char *buf, char *end,
			     const struct khttpd_limits *lim,
			     struct khttpd_request *req)
{
	struct khttpd_fields f = { 0 };
	char *line = buf + p->line_end;
	int ret;

	memset(req, 0, sizeof(*req));
	ret = khttpd_parse_request_line(buf, buf + p->line_end - 2, req);
	if (ret)
		return ret;

	/* each field line ends in CRLF before @end: the scans stop there */
	while (line < end) {
		line = khttpd_parse_field(line, end, &f, req);
		if (!line)
			return -400;
	}

	if (f.te)
		return f.has_cl ? -400 : -501;
	if (f.hosts > 1 || (req->version == 11 && f.hosts != 1))
		return -400;
	if (f.cl > lim->max_body)
		return -413;
	req->body_len = f.cl;
	req->keep_alive = !f.close && (req->version == 11 || f.keep);
	return 0;
}

int khttpd_http_parse(struct khttpd_parser *p, char *buf, size_t len,
		      const struct khttpd_limits *lim,
		      struct khttpd_request *req, size_t *used)
{
	size_t pos, eol, head;
	int ret;

	*used = 0;
	/* The rest of a previous request's body: skip it. */
	if (p->body_left) {
		size_t skip = len < p->body_left ? len : p->body_left;

		p->body_left -= skip;
		*used = skip;
		if (p->body_left)
			return KHTTPD_PARSE_MORE;
		buf += skip;
		len -= skip;
	}
	/*
	 * Find the end of the head, one line at a time, within the limits.
	 * p->scanned is how far we searched before, p->line_start where the
	 * incomplete line began: every byte is searched once.
	 */
	pos = p->line_start;
	for (;;) {
		char *nl = khttpd_memchr(buf + p->scanned, '\n',
					 len - p->scanned);

		if (!nl) {
			p->scanned = len;
			p->line_start = pos;
			if (!p->line_end) {
				if (len > lim->max_request_line + 1 ||
				    (len == lim->max_request_line + 1 &&
				     buf[len - 1] != '\r'))
					return -414;
			} else if (len - p->line_end > lim->max_header_bytes + 1) {
				/* (+1: the CR of the empty line may be here) */
				return -431;
			}
			return KHTTPD_PARSE_MORE;
		}
		eol = nl - buf;
		p->scanned = eol + 1;
		/* a bare LF; a lone CR inside a line fails when parsed */
		if (eol == pos || buf[eol - 1] != '\r')
			return -400;
		if (!p->line_end) {
			if (eol == 1) {
				/*
				 * empty line before the request line: drop it,
				 * but count it: a client sending only these
				 * must neither last for ever nor look idle
				 */
				if (++p->empty_lines > KHTTPD_MAX_EMPTY_LINES)
					return -400;
				buf += 2;
				len -= 2;
				*used += 2;
				p->scanned = 0;
				continue;
			}
			if (eol - 1 > lim->max_request_line)
				return -414;
			p->line_end = eol + 1;
		} else if (eol - 1 == pos) {
			head = eol + 1;
			break;
		} else if (eol + 1 - p->line_end > lim->max_header_bytes) {
			return -431;
		} else if (++p->fields > lim->max_header_fields) {
			return -431;
		}
		pos = eol + 1;
	}

	ret = khttpd_parse_head(p, buf, buf + head - 2, lim, req);
	if (ret)
		return ret;
	p->scanned = 0;
	p->line_start = 0;
	p->line_end = 0;
	p->fields = 0;
	p->empty_lines = 0;
	*used += head;
	/* A declared body is read and thrown away: skip what is here. */
	if (req->body_len) {
		size_t here = len - head;
		size_t skip = here < req->body_len ? here : req->body_len;

		*used += skip;
		p->body_left = req->body_len - skip;
	}
	return KHTTPD_PARSE_REQUEST;
}

/*
 * Fields evaluated lazily: only when an answer can depend on them, from
 * the raw values khttpd_parse_field() kept.
 */

/*
 * 1*DIGIT at *@s, before @end, into *@n.  false if there is no digit, or
 * if the number is beyond 2^64 - 1 and @saturate is false; with @saturate
 * such a number is 2^64 - 1.
 */
static bool khttpd_range_num(const char **s, const char *end, u64 *n,
			     bool saturate)
{
	const u64 max = ~(u64)0;
	const char *d = *s;
	u64 v = 0;

	for (; *s < end && **s >= '0' && **s <= '9'; (*s)++) {
		unsigned int c = **s - '0';

		/* would v * 10 + c pass 2^64 - 1? */
		if (v > max / 10 || (v == max / 10 && c > max % 10)) {
			if (!saturate)
				return false;
			v = max;
		} else {
			v = v * 10 + c;
		}
	}
	*n = v;
	return *s != d;
}

/*
 * The one range-spec of a "bytes" range-set @v (RFC 9110 section 14.1.1),
 * with OWS and empty list elements around it, against a representation
 * of @len bytes: 206 with *@r set, 416, or 200 to ignore the field.
 */
static int khttpd_range_set(const char *v, const char *end, u64 len,
			    struct khttpd_range *r)
{
	const char *spec = NULL, *spec_end = NULL;
	u64 first, last;

	while (v < end) {
		const char *e;

		while (v < end && (khttpd_is_ows(*v) || *v == ','))
			v++;
		if (v == end)
			break;
		if (spec)
			return 200;	/* a second range-spec */
		e = memchr(v, ',', end - v);
		if (!e)
			e = end;
		spec = v;
		spec_end = e;
		while (spec_end > spec && khttpd_is_ows(spec_end[-1]))
			spec_end--;
		v = e;
	}
	if (!spec)
		return 200;

	if (*spec == '-') {
		/* suffix-range = "-" suffix-length */
		v = spec + 1;
		if (!khttpd_range_num(&v, spec_end, &last, true) ||
		    v != spec_end)
			return 200;
		if (!last)
			return 416;
		if (!len)
			return 200;	/* a 206 cannot carry zero bytes */
		r->first = last < len ? len - last : 0;
		r->last = len - 1;
		return 206;
	}
	/* int-range = first-pos "-" [ last-pos ] */
	v = spec;
	if (!khttpd_range_num(&v, spec_end, &first, false) ||
	    v == spec_end || *v++ != '-')
		return 200;
	last = ~(u64)0;
	if (v != spec_end &&
	    (!khttpd_range_num(&v, spec_end, &last, true) || v != spec_end))
		return 200;
	if (last < first)
		return 200;	/* invalid (section 14.1.1): ignored */
	if (first >= len)
		return 416;
	r->first = first;
	r->last = last < len ? last : len - 1;
	return 206;
}

/*
 * If-Range = entity-tag / HTTP-date (RFC 9110 section 13.1.5), compared
 * strongly: the exact tag of @res, or exactly its mtime.
 */
static bool khttpd_if_range_match(const char *v, size_t len,
				  const struct khttpd_resource *res)
{
	u64 t;

	if (len && v[0] == '"')
		return len == res->etag_len && !memcmp(v, res->etag, len);
	if (len >= 2 && v[0] == 'W' && v[1] == '/')
		return false;	/* weak: never for a range */
	return khttpd_http_parse_date(v, len, &t) && t == res->mtime;
}

int khttpd_http_range(const struct khttpd_request *req,
		      const struct khttpd_resource *res, u64 len,
		      struct khttpd_range *r)
{
	const char *v = req->range, *eq;

	if (!v || req->method != KHTTPD_METHOD_GET ||
	    (req->dup & (KHTTPD_DUP_RANGE | KHTTPD_DUP_IF_RANGE)))
		return 200;
	if (req->if_range &&
	    !khttpd_if_range_match(req->if_range, req->if_range_len, res))
		return 200;
	/* ranges-specifier = range-unit "=" range-set */
	eq = memchr(v, '=', req->range_len);
	if (!eq || !khttpd_ieq(v, eq - v, "bytes"))
		return 200;
	return khttpd_range_set(eq + 1, v + req->range_len, len, r);
}

/*
 * qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), the
 * whole of @s..@end: 1 if above 0, 0 if zero, -1 if malformed.
 */
static int khttpd_qvalue(const char *s, const char *end)
{
	bool one, above = false;
	int n;

	if (s == end || (*s != '0' && *s != '1'))
		return -1;
	one = *s++ == '1';
	if (s < end && *s++ != '.')
		return -1;
	for (n = 0; s < end; s++, n++) {
		if (n == 3 || *s < '0' || *s > '9' || (one && *s != '0'))
			return -1;
		above |= *s != '0';
	}
	return one || above;
}

/*
 * The weight of one Accept-Encoding element @v..@end (trimmed), after
 * its coding: [ weight ], weight = OWS ";" OWS "q=" qvalue.  1 if above
 * 0, 0 if zero, -1 if malformed (another parameter, say).
 */
static int khttpd_ae_weight(const char *v, const char *end)
{
	while (v < end && khttpd_is_ows(*v))
		v++;
	if (v == end)
		return 1;	/* no weight: q=1 */
	if (*v++ != ';')
		return -1;
	while (v < end && khttpd_is_ows(*v))
		v++;
	if (end - v < 2 || khttpd_lower(v[0]) != 'q' || v[1] != '=')
		return -1;
	return khttpd_qvalue(v + 2, end);
}

/* What the elements naming one coding say of it so far. */
enum {
	KHTTPD_AE_UNLISTED,
	KHTTPD_AE_YES,		/* listed, each time with q > 0 */
	KHTTPD_AE_NO,		/* listed once at least with q=0 or malformed */
};

static void khttpd_ae_note(u8 *state, int weight)
{
	if (weight <= 0)
		*state = KHTTPD_AE_NO;
	else if (*state == KHTTPD_AE_UNLISTED)
		*state = KHTTPD_AE_YES;
}

bool khttpd_http_accepts_gzip(const struct khttpd_request *req)
{
	const char *v = req->accept_enc, *end;
	u8 gzip = KHTTPD_AE_UNLISTED, star = KHTTPD_AE_UNLISTED;

	if (!v || (req->dup & KHTTPD_DUP_ACCEPT_ENC))
		return false;
	/* Accept-Encoding = #( codings [ weight ] ) */
	end = v + req->accept_enc_len;
	while (v < end) {
		const char *e, *tok, *tend;
		int weight;

		while (v < end && (khttpd_is_ows(*v) || *v == ','))
			v++;
		if (v == end)
			break;
		/* a weight has no quoted string: a comma ends the element */
		e = memchr(v, ',', end - v);
		if (!e)
			e = end;
		for (tok = v; v < e && khttpd_is_tchar(*v); v++)
			;
		tend = v;
		while (e > v && khttpd_is_ows(e[-1]))
			e--;
		weight = khttpd_ae_weight(v, e);
		if (khttpd_ieq(tok, tend - tok, "gzip") ||
		    khttpd_ieq(tok, tend - tok, "x-gzip"))
			khttpd_ae_note(&gzip, weight);
		else if (tend - tok == 1 && *tok == '*')
			khttpd_ae_note(&star, weight);
		v = e;
	}
	/* the most specific reference decides (RFC 9110 section 12.5.3) */
	if (gzip != KHTTPD_AE_UNLISTED)
		return gzip == KHTTPD_AE_YES;
	return star == KHTTPD_AE_YES;
}
