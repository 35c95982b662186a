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

/* @s (@len bytes) escaped for a quoted field; "-" if empty and @dash */
static void put_str(struct out *o, const char *s, size_t len, bool json,
		    bool dash)
{
	size_t i;

	if (!len && dash) {
		put(o, "-");
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (json && (c < 0x20 || c >= 0x7f || c == '"' || c == '\\'))
			put(o, c == '"' ? "\\\"" : c == '\\' ? "\\\\" :
			    "\\u%04x", c);
		else if (!json && (c < 0x20 || c >= 0x7f || c == '"' ||
				   c == '\\'))
			put(o, "\\x%02X", c);
		else
			put(o, "%c", c);
	}
}

static void addr_str(const struct khttpd_log_record *r, char *buf,
		     size_t len)
{
	if (!inet_ntop(r->family == AF_INET6 ? AF_INET6 : AF_INET, r->addr,
		       buf, len))
		snprintf(buf, len, "-");
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
	char addr[INET6_ADDRSTRLEN], when[64];
	struct tm tm;

	addr_str(r, addr, sizeof(addr));
	localtime_r(&secs, &tm);
	if (json) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		put(&o, "{\"time\":\"%s.%06u", when,
		    (unsigned int)(r->time_ns % 1000000000 / 1000));
		strftime(when, sizeof(when), "%z", &tm);
		put(&o, "%.3s:%s\",\"client\":\"%s\",\"port\":%u,\"method\":\"",
		    when, when + 3, addr, r->port);
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
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", &tm);
	put(&o, "%s - - [%s] \"", addr, when);
	if (r->version) {
		put_str(&o, m, r->method_len, false, true);
		put(&o, " ");
		put_str(&o, t, r->target_len, false, true);
		put(&o, " HTTP/1.%u", r->version == 10 ? 0 : 1);
	} else {
		put(&o, "-");
	}
	put(&o, "\" %u %llu \"", r->status, (unsigned long long)r->bytes);
	put_str(&o, ref, r->referer_len, false, true);
	put(&o, "\" \"");
	put_str(&o, ua, r->user_agent_len, false, true);
	put(&o, "\" %llu.%06llu %s/%s%s\n",
	    (unsigned long long)(r->service_ns / 1000000000),
	    (unsigned long long)(r->service_ns % 1000000000 / 1000), path,
	    from, r->flags & KHTTPD_REC_INCOMPLETE ? " incomplete" : "");
	return o.len;
}
