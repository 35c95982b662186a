// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <linux/khttpd.h>

#include "site.h"

struct mime {
	char ext[16];
	char type[96];
};

static struct mime *mimes;
static size_t nmimes;
static int mimes_loaded;

/* Extension-to-type table from /etc/mime.types (Debian's media-types). */
static void load_mime_types(void)
{
	FILE *f = fopen("/etc/mime.types", "r");
	char line[1024];

	mimes_loaded = 1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *save, *type = strtok_r(line, " \t\n", &save), *ext;

		if (!type || type[0] == '#')
			continue;
		while ((ext = strtok_r(NULL, " \t\n", &save))) {
			struct mime *m;

			if (strlen(ext) >= sizeof(m->ext) ||
			    strlen(type) >= sizeof(m->type))
				continue;
			m = realloc(mimes, (nmimes + 1) * sizeof(*mimes));
			if (!m)
				break;
			mimes = m;
			strcpy(mimes[nmimes].ext, ext);
			strcpy(mimes[nmimes].type, type);
			nmimes++;
		}
	}
	fclose(f);
}

const char *site_mime_type(const char *file)
{
	const char *dot = strrchr(file, '.'), *slash = strrchr(file, '/');
	size_t i;

	if (!mimes_loaded)
		load_mime_types();
	if (dot && (!slash || dot > slash))
		for (i = 0; i < nmimes; i++)
			if (!strcasecmp(mimes[i].ext, dot + 1))
				return mimes[i].type;
	return "application/octet-stream";
}

/* nftw() has no context argument: the walk in progress. */
static struct {
	const char *root, *prefix;
	int (*fn)(void *ctx, const char *url, const char *file);
	void *ctx;
} walk;

static int site_visit(const char *file, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	const char *rel = file + strlen(walk.root), *base;
	char url[KHTTPD_PATH_MAX + 1];
	int ret;

	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	snprintf(url, sizeof(url), "%s/%s", walk.prefix, rel + (*rel == '/'));
	ret = walk.fn(walk.ctx, url, file);
	if (ret)
		return ret;
	/* a directory's index.html answers for the directory too */
	base = strrchr(url, '/');
	if (base && !strcmp(base + 1, "index.html")) {
		url[base + 1 - url] = '\0';
		ret = walk.fn(walk.ctx, url, file);
	}
	return ret;
}

int site_walk(const char *root, const char *prefix,
	      int (*fn)(void *ctx, const char *url, const char *file),
	      void *ctx)
{
	char real[PATH_MAX];
	int ret;

	if (!realpath(root, real))
		return -errno;
	walk.root = real;
	walk.prefix = prefix;
	walk.fn = fn;
	walk.ctx = ctx;
	ret = nftw(real, site_visit, 32, FTW_PHYS);
	return ret < 0 ? -errno : ret;
}
