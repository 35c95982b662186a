// SPDX-License-Identifier: GPL-2.0
/*
 * khttpd.conf, parsed and checked: see conf.h.
 *
 * One "key = value" a line; a line whose first non-blank is '#' is a
 * comment, blank lines are nothing.  A key given twice is an error unless
 * it may repeat ("load"; "listen" once per address family, as START takes
 * one address of each).  The file is the whole configuration: a setting
 * it leaves out takes its default, so deleting a line undoes it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "ctl_client.h"

void conf_init(struct conf *c)
{
	size_t k;

	memset(c, 0, sizeof(*c));
	c->cfg.size = sizeof(c->cfg);
	for (k = 0; k < khttpd_n_params; k++)
		khttpd_param_put(&khttpd_params[k], &c->cfg,
				 khttpd_params[k].def);
	c->start.size = sizeof(c->start);
}

void conf_free(struct conf *c)
{
	unsigned int i;

	free(c->root);
	free(c->mime);
	for (i = 0; i < c->nload; i++) {
		free(c->load[i].dir);
		free(c->load[i].prefix);
	}
	c->root = c->mime = NULL;
	c->nload = 0;
}

const char *conf_parse_cpus(const char *list, __u64 *set)
{
	const char *p = list;

	if (!*p)
		return "an empty CPU list";
	while (*p) {
		char *end;
		unsigned long a, b;

		if (!isdigit((unsigned char)*p))
			return "not a CPU list like 0-3,6";
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (!isdigit((unsigned char)*p))
				return "not a CPU list like 0-3,6";
			b = strtoul(p, &end, 10);
			if (b < a)
				return "a CPU range that ends before it starts";
		}
		if (b >= KHTTPD_CPUSET_WORDS * 64)
			return "a CPU beyond what khttpd supports";
		for (; a <= b; a++)
			set[a / 64] |= 1ULL << (a % 64);
		p = end;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			return "not a CPU list like 0-3,6";
	}
	return NULL;
}

void conf_cpus_format(const __u64 *set, char *buf, size_t len)
{
	unsigned int n = KHTTPD_CPUSET_WORDS * 64, a, b;
	size_t off = 0;

	buf[0] = '\0';
	for (a = 0; a < n; a = b) {
		if (!(set[a / 64] >> (a % 64) & 1)) {
			b = a + 1;
			continue;
		}
		for (b = a + 1; b < n && (set[b / 64] >> (b % 64) & 1); b++)
			;
		if (off < len)
			off += snprintf(buf + off, len - off, b - 1 > a ?
					"%s%u-%u" : "%s%u", off ? "," : "",
					a, b - 1);
	}
}

/*
 * A user name, or uid[:gid]; a name's group is its own.  Names are read
 * from /etc/passwd directly (fgetpwent), not through NSS, which a static
 * binary cannot load; "nobody" is 65534:65534 where it has no line, as on
 * Debian.
 */
const char *conf_parse_user(const char *u, __u32 *uid, __u32 *gid)
{
	const struct passwd *pw;
	unsigned long id;
	char *end;
	FILE *f;

	if (isdigit((unsigned char)*u)) {
		errno = 0;
		id = strtoul(u, &end, 10);
		if (errno || id >= UINT32_MAX || (*end && *end != ':'))
			return "not a user name or uid[:gid]";
		*uid = *gid = id;
		if (*end) {
			if (!isdigit((unsigned char)end[1]))
				return "not a user name or uid[:gid]";
			id = strtoul(end + 1, &end, 10);
			if (errno || id >= UINT32_MAX || *end)
				return "not a user name or uid[:gid]";
			*gid = id;
		}
		return NULL;
	}
	f = fopen("/etc/passwd", "re");
	while (f && (pw = fgetpwent(f))) {
		if (!strcmp(pw->pw_name, u)) {
			*uid = pw->pw_uid;
			*gid = pw->pw_gid;
			fclose(f);
			return NULL;
		}
	}
	if (f)
		fclose(f);
	if (strcmp(u, "nobody"))
		return "no such user in /etc/passwd";
	*uid = *gid = 65534;
	return NULL;
}

/* ---- the file ----------------------------------------------------------- */

enum conf_key {
	K_LISTEN, K_TLS_PORT, K_CPUS, K_BACKLOG, K_ROOT, K_USER, K_SYMLINKS,
	K_MIME, K_LOAD, K_NKEYS
};

static const char *const conf_keys[K_NKEYS] = {
	"listen", "tls_port", "cpus", "backlog", "root", "user", "symlinks",
	"mime", "load",
};

struct conf_parser {
	const char *name;
	unsigned long line;
	unsigned int errors;
	/* the line each key was first given on (0: not yet) */
	unsigned long seen[K_NKEYS + 64];
	unsigned long listen4, listen6, head_line;
	const char *user;
	unsigned long user_line, root_line;
	char *user_copy;
};

static void conf_error(struct conf_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "khttpctl: %s:%lu: ", p->name, p->line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	p->errors++;
}

/* A number: digits only, at most @max. */
static bool conf_number(const char *v, uint64_t min, uint64_t max,
			uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return !errno && !*end && *out >= min && *out <= max;
}

static bool conf_dir_ok(struct conf_parser *p, const char *key, const char *v)
{
	struct stat st;

	if (stat(v, &st)) {
		conf_error(p, "%s '%s': %s", key, v, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		conf_error(p, "%s '%s': not a directory", key, v);
		return false;
	}
	return true;
}

static void conf_setting(struct conf_parser *p, struct conf *c, size_t k,
			 const char *v)
{
	const struct khttpd_param *s = &khttpd_params[k];
	uint64_t n;

	if (!conf_number(v, s->min, s->max, &n)) {
		conf_error(p, "%s must be a number from %" PRIu64 " to %" PRIu64
			   ", not '%s'", s->name, s->min, s->max, v);
		return;
	}
	khttpd_param_put(s, &c->cfg, n);
	if (!strcmp(s->name, "max_request_line") ||
	    !strcmp(s->name, "max_header_bytes"))
		p->head_line = p->line;
}

static void conf_load_line(struct conf_parser *p, struct conf *c, char *v)
{
	char *dir = v, *prefix = v + strcspn(v, " \t");

	if (*prefix) {
		*prefix++ = '\0';
		prefix += strspn(prefix, " \t");
		if (prefix[strcspn(prefix, " \t")]) {
			conf_error(p, "load takes DIR [PREFIX], and no spaces in them");
			return;
		}
		if (prefix[0] != '/' || prefix[strlen(prefix) - 1] == '/') {
			conf_error(p, "load's PREFIX '%s' must start with / and not end with it",
				   prefix);
			return;
		}
	}
	if (c->nload == CONF_LOAD_MAX) {
		conf_error(p, "more than %d load lines", CONF_LOAD_MAX);
		return;
	}
	if (!conf_dir_ok(p, "load", dir))
		return;
	c->load[c->nload].dir = strdup(dir);
	c->load[c->nload].prefix = strdup(prefix);
	c->nload++;
}

static void conf_key(struct conf_parser *p, struct conf *c, enum conf_key key,
		     char *v)
{
	struct stat st;
	uint64_t n;
	const char *why;

	switch (key) {
	case K_LISTEN:
		if (inet_pton(AF_INET, v, c->start.addr4) == 1) {
			if (p->listen4) {
				conf_error(p, "a second IPv4 listen address (the first on line %lu): khttpd listens on one of each family",
					   p->listen4);
				return;
			}
			p->listen4 = p->line;
			c->start.flags |= KHTTPD_START_IPV4;
		} else if (inet_pton(AF_INET6, v, c->start.addr6) == 1) {
			if (p->listen6) {
				conf_error(p, "a second IPv6 listen address (the first on line %lu): khttpd listens on one of each family",
					   p->listen6);
				return;
			}
			p->listen6 = p->line;
			c->start.flags |= KHTTPD_START_IPV6;
		} else {
			conf_error(p, "listen '%s': not an IPv4 or IPv6 address", v);
		}
		return;
	case K_TLS_PORT:
		if (!conf_number(v, 1, 65535, &n)) {
			conf_error(p, "tls_port must be a number from 1 to 65535, not '%s'", v);
			return;
		}
		c->start.tls_port = n;
		c->start.flags |= KHTTPD_START_TLS;
		return;
	case K_CPUS:
		why = conf_parse_cpus(v, c->start.cpus);
		if (why)
			conf_error(p, "cpus '%s': %s", v, why);
		return;
	case K_BACKLOG:
		if (!conf_number(v, 1, INT_MAX, &n)) {
			conf_error(p, "backlog must be a number from 1 to %d, not '%s'",
				   INT_MAX, v);
			return;
		}
		c->start.backlog = n;
		return;
	case K_ROOT:
		if (v[0] != '/') {
			conf_error(p, "root '%s': not an absolute path", v);
			return;
		}
		if (conf_dir_ok(p, "root", v)) {
			c->root = strdup(v);
			c->start.flags |= KHTTPD_START_DOCROOT;
		}
		p->root_line = p->line;
		return;
	case K_USER:
		p->user_copy = strdup(v);
		p->user = p->user_copy;
		p->user_line = p->line;
		return;
	case K_SYMLINKS:
		if (!strcmp(v, "no"))
			c->start.flags |= KHTTPD_START_NO_SYMLINKS;
		else if (strcmp(v, "yes"))
			conf_error(p, "symlinks must be yes or no, not '%s'", v);
		return;
	case K_MIME:
		errno = 0;
		if (stat(v, &st) || !S_ISREG(st.st_mode) || access(v, R_OK))
			conf_error(p, "mime '%s': %s", v, errno ?
				   strerror(errno) : "not a regular file");
		else
			c->mime = strdup(v);
		return;
	case K_LOAD:
		conf_load_line(p, c, v);
		return;
	case K_NKEYS:
		break;
	}
}

static bool conf_has_ctl(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return true;
	return false;
}

/* Trim blanks at both ends, in place. */
static char *conf_trim(char *s)
{
	char *e;

	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		*--e = '\0';
	return s;
}

unsigned int conf_parse(FILE *f, const char *name, struct conf *c)
{
	struct conf_parser p = { .name = name };
	char *buf = NULL, *line, *eq, *key, *v;
	size_t cap = 0, k;
	int slot;

	while (getline(&buf, &cap, f) >= 0) {
		p.line++;
		line = conf_trim(buf);
		if (!*line || *line == '#')
			continue;
		if (conf_has_ctl(line)) {
			conf_error(&p, "a control character");
			continue;
		}
		eq = strchr(line, '=');
		if (!eq) {
			conf_error(&p, "expected \"key = value\"");
			continue;
		}
		*eq = '\0';
		key = conf_trim(line);
		v = conf_trim(eq + 1);
		if (!*v) {
			conf_error(&p, "%s has no value", *key ? key : "a key");
			continue;
		}
		slot = -1;
		for (k = 0; k < K_NKEYS; k++)
			if (!strcmp(key, conf_keys[k]))
				slot = k;
		for (k = 0; slot < 0 && k < khttpd_n_params; k++)
			if (!strcmp(key, khttpd_params[k].name))
				slot = K_NKEYS + k;
		if (slot < 0) {
			conf_error(&p, "unknown key '%s'", key);
			continue;
		}
		if (slot != K_LISTEN && slot != K_LOAD && p.seen[slot]) {
			conf_error(&p, "%s given twice (first on line %lu)", key,
				   p.seen[slot]);
			continue;
		}
		if (!p.seen[slot])
			p.seen[slot] = p.line;
		if (slot >= K_NKEYS)
			conf_setting(&p, c, slot - K_NKEYS, v);
		else
			conf_key(&p, c, slot, v);
	}
	free(buf);
	if (ferror(f)) {
		fprintf(stderr, "khttpctl: %s: %s\n", name, strerror(EIO));
		p.errors++;
	}
	/* what spans lines: reported on the last line it involves */
	if ((uint64_t)c->cfg.max_request_line + c->cfg.max_header_bytes + 4 >
	    KHTTPD_HEAD_LIMIT) {
		p.line = p.head_line;
		conf_error(&p, "max_request_line + max_header_bytes + 4 must not exceed %d",
			   KHTTPD_HEAD_LIMIT);
	}
	if (c->start.tls_port && c->start.tls_port == c->cfg.port) {
		p.line = p.seen[K_TLS_PORT];
		conf_error(&p, "tls_port is the same as port");
	}
	if (p.user && !p.seen[K_ROOT]) {
		p.line = p.user_line;
		conf_error(&p, "user without root");
	} else if (p.user || c->root) {
		p.line = p.user ? p.user_line : p.root_line;
		v = (char *)conf_parse_user(p.user ? p.user : "nobody",
					    &c->start.uid, &c->start.gid);
		if (v)
			conf_error(&p, "user '%s': %s",
				   p.user ? p.user : "nobody", v);
	}
	if ((c->start.flags & KHTTPD_START_NO_SYMLINKS) && !p.seen[K_ROOT]) {
		p.line = p.seen[K_SYMLINKS];
		conf_error(&p, "symlinks without root");
	}
	free(p.user_copy);
	return p.errors;
}
