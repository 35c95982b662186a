// SPDX-License-Identifier: GPL-2.0
/*
 * Access log records as text (accesslog.h).  The strings in a record are
 * what the client sent, so every byte that could break a line or a field
 * is escaped: in the Combined format as \xHH (what web servers' logs do
 * for '"', '\' and bytes outside printable ASCII), in JSON as \uXXXX (a
 * byte above 0x7f as the code point of the same value, so that the line
 * is valid UTF-8 and JSON whatever the client sent).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "accesslog.h"

bool accesslog_valid(const struct khttpd_log_record *r, size_t avail)
{
	size_t strs;

	if (avail < sizeof(*r) || r->rec_len < sizeof(*r) ||
	    r->rec_len > avail || r->rec_len > KHTTPD_REC_MAX ||
	    r->rec_len % 8)
		return false;
	strs = (size_t)r->method_len + r->target_len + r->referer_len +
	       r->user_agent_len;
	return strs <= r->rec_len - sizeof(*r);
}

struct out {
	char *p;
	size_t left;
	size_t len;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->p, o->left, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += n;
	if ((size_t)n >= o->left)
		n = o->left ? o->left - 1 : 0;
	o->p += n;
	o->left -= n;
}

/* @n bytes as they are, as put() would: the line's bound kept. */
static void put_raw(struct out *o, const char *s, size_t n)
{
	size_t k = n < o->left ? n : (o->left ? o->left - 1 : 0);

	memcpy(o->p, s, k);
	o->p += k;
	o->left -= k;
	if (o->left)
		*o->p = '\0';
	o->len += n;
}

static void put_cstr(struct out *o, const char *s)
{
	put_raw(o, s, strlen(s));
}

/* @v in decimal, with at least @width digits (zeros in front). */
static void put_u64(struct out *o, unsigned long long v, int width)
{
	char d[24];
	int n = 0;

	do {
		d[sizeof(d) - 1 - n++] = '0' + v % 10;
		v /= 10;
	} while (v || n < width);
	put_raw(o, d + sizeof(d) - n, n);
}

/* One byte, or its escape, as put() would: the line's bound kept. */
static void put_byte(struct out *o, unsigned char c, bool json)
{
	static const char hex[] = "0123456789ABCDEF", lhex[] = "0123456789abcdef";
	char e[6];
	size_t n = 0, i;

	if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
		e[n++] = c;
	} else if (json && (c == '"' || c == '\\')) {
		e[n++] = '\\';
		e[n++] = c;
	} else if (json) {
		memcpy(e, "\\u00", 4);
		e[4] = lhex[c >> 4];
		e[5] = lhex[c & 15];
		n = 6;
	} else {
		e[n++] = '\\';
		e[n++] = 'x';
		e[n++] = hex[c >> 4];
		e[n++] = hex[c & 15];
	}
	o->len += n;
	for (i = 0; i < n && o->left > 1; i++, o->left--)
		*o->p++ = e[i];
	*o->p = '\0';
}

/*
 * @s (@len bytes) escaped for a quoted field; "-" if empty and @dash.
 * Byte by byte, not through printf: this is most of a line's work.
 */
static void put_str(struct out *o, const char *s, size_t len, bool json,
		    bool dash)
{
	size_t i;

	if (!len && dash) {
		put(o, "-");
		return;
	}
	for (i = 0; i < len; i++)
		put_byte(o, s[i], json);
}

/*
 * The second @secs in the form @json or not needs, formatted once per
 * second of records rather than once per record (localtime_r and
 * strftime cost more than the rest of a line).
 */
static const char *when_of(time_t secs, bool json)
{
	static time_t last[2] = { -1, -1 };
	static char when[2][64];
	char zone[16];
	struct tm tm;

	if (last[json] == secs)
		return when[json];
	localtime_r(&secs, &tm);
	if (json) {
		strftime(when[1], sizeof(when[1]), "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(zone, sizeof(zone), "%z", &tm);
		/* .uuuuuu goes between: keep the zone apart, as +hh:mm */
		snprintf(when[1] + strlen(when[1]), 16, "|%.3s:%s", zone,
			 zone + 3);
	} else {
		strftime(when[0], sizeof(when[0]), "%d/%b/%Y:%H:%M:%S %z", &tm);
	}
	last[json] = secs;
	return when[json];
}

/* The client's address as text; the last one is kept, as it repeats. */
static const char *addr_str(const struct khttpd_log_record *r)
{
	static unsigned char last[17] = { 0xff };
	static char buf[INET6_ADDRSTRLEN];

	if (last[0] == r->family && !memcmp(last + 1, r->addr, 16))
		return buf;
	if (!inet_ntop(r->family == AF_INET6 ? AF_INET6 : AF_INET, r->addr,
		       buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "-");
	last[0] = r->family;
	memcpy(last + 1, r->addr, 16);
	return buf;
}

size_t accesslog_format(const struct khttpd_log_record *r, bool json,
			char *out, size_t cap)
{
	const char *m = r->data, *t = m + r->method_len;
	const char *ref = t + r->target_len, *ua = ref + r->referer_len;
	const char *path = r->flags & KHTTPD_REC_FAST ? "fast" : "worker";
	const char *from = r->flags & KHTTPD_REC_DOCROOT ? "docroot" : "store";
	struct out o = { out, cap, 0 };
	time_t secs = r->time_ns / 1000000000;
	const char *addr = addr_str(r), *when = when_of(secs, json);

	if (json) {
		const char *zone = strchr(when, '|');

		put(&o, "{\"time\":\"%.*s.%06u%s\",\"client\":\"%s\",\"port\":%u,"
		    "\"method\":\"", (int)(zone - when), when,
		    (unsigned int)(r->time_ns % 1000000000 / 1000), zone + 1,
		    addr, r->port);
		put_str(&o, m, r->method_len, true, false);
		put(&o, "\",\"target\":\"");
		put_str(&o, t, r->target_len, true, false);
		put(&o, "\",\"version\":\"%s\",\"status\":%u,\"bytes\":%llu,"
		    "\"service_ns\":%llu,\"path\":\"%s\",\"from\":\"%s\","
		    "\"tls\":%s,\"keep_alive\":%s,\"complete\":%s,"
		    "\"cut\":%s,\"referer\":\"",
		    r->version == 10 ? "1.0" : r->version == 11 ? "1.1" : "",
		    r->status, (unsigned long long)r->bytes,
		    (unsigned long long)r->service_ns, path, from,
		    r->flags & KHTTPD_REC_TLS ? "true" : "false",
		    r->flags & KHTTPD_REC_KEEPALIVE ? "true" : "false",
		    r->flags & KHTTPD_REC_INCOMPLETE ? "false" : "true",
		    r->flags & KHTTPD_REC_CUT ? "true" : "false");
		put_str(&o, ref, r->referer_len, true, false);
		put(&o, "\",\"user_agent\":\"");
		put_str(&o, ua, r->user_agent_len, true, false);
		put(&o, "\",\"cpu\":%u,\"seq\":%llu}\n", r->cpu,
		    (unsigned long long)r->seq);
		return o.len;
	}
	/* the usual line: no printf, which would cost more than the rest */
	put_cstr(&o, addr);
	put_cstr(&o, " - - [");
	put_cstr(&o, when);
	put_cstr(&o, "] \"");
	if (r->version) {
		put_str(&o, m, r->method_len, false, true);
		put_cstr(&o, " ");
		put_str(&o, t, r->target_len, false, true);
		put_cstr(&o, r->version == 10 ? " HTTP/1.0" : " HTTP/1.1");
	} else {
		put_cstr(&o, "-");
	}
	put_cstr(&o, "\" ");
	put_u64(&o, r->status, 1);
	put_cstr(&o, " ");
	put_u64(&o, r->bytes, 1);
	put_cstr(&o, " \"");
	put_str(&o, ref, r->referer_len, false, true);
	put_cstr(&o, "\" \"");
	put_str(&o, ua, r->user_agent_len, false, true);
	put_cstr(&o, "\" ");
	put_u64(&o, r->service_ns / 1000000000, 1);
	put_cstr(&o, ".");
	put_u64(&o, r->service_ns % 1000000000 / 1000, 6);
	put_cstr(&o, " ");
	put_cstr(&o, path);
	put_cstr(&o, "/");
	put_cstr(&o, from);
	put_cstr(&o, r->flags & KHTTPD_REC_INCOMPLETE ? " incomplete\n" : "\n");
	return o.len;
}
