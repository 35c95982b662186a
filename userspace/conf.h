/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khttpd.conf: the whole configuration of khttpd in one file, as
 * "khttpctl apply" reads it and "khttpctl show-config" prints it.  The
 * parser checks everything it can without the module (syntax, names,
 * ranges, that directories, files and users exist) and reports each
 * problem with its line, so that a bad file changes nothing.
 */
#ifndef _KHTTPD_CONF_H
#define _KHTTPD_CONF_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/khttpd.h>

#define CONF_LOAD_MAX	64	/* "load" lines */

struct conf_load {
	char *dir;
	char *prefix;		/* "" for none */
};

struct conf {
	struct khttpd_config cfg;	/* settings: defaults, then the file's */
	/*
	 * START: flags (addresses, TLS, no-symlinks; DOCROOT when @root),
	 * tls_port, backlog, cpus, uid/gid.  Its port stays 0: the "port"
	 * setting is the port.
	 */
	struct khttpd_start start;
	char *root;			/* or NULL */
	char *mime;			/* or NULL */
	struct conf_load load[CONF_LOAD_MAX];
	unsigned int nload;
};

/* The defaults: every setting's KHTTPD_CFG_*_DEF, nothing else. */
void conf_init(struct conf *c);
void conf_free(struct conf *c);

/*
 * Read @f (named @name in messages) into @c, which conf_init() prepared.
 * Every error is printed to stderr as "NAME:LINE: message"; returns how
 * many there were.
 */
unsigned int conf_parse(FILE *f, const char *name, struct conf *c);

/* One line of the file's format for the CPU set @set ("0-3,6"). */
void conf_cpus_format(const __u64 *set, char *buf, size_t len);

/*
 * Parsers shared with khttpctl's options: NULL on success, else what is
 * wrong with the value.
 */
const char *conf_parse_cpus(const char *list, __u64 *set);
const char *conf_parse_user(const char *u, __u32 *uid, __u32 *gid);

#endif /* _KHTTPD_CONF_H */
