// SPDX-License-Identifier: GPL-2.0
/*
 * uring-httpd's content store: every prebuilt response in one memfd, laid
 * out as the module's, found by path in a hash table; and the prebuilt
 * error responses.  Loaded once, before the threads start, then read-only.
 * Today it holds the built-in page when there is no --root; the docroot's
 * files are never loaded here (docroot.c sends them from the files).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "uring-httpd.h"

/* All site responses, back to back; mapped read-only once loaded. */
int content_fd = -1;
static uint64_t content_size;

#define TABLE_SIZE 4096
static struct entry *table[TABLE_SIZE];
/* at khttpd_http_error_index() of their status */
struct entry errors[KHTTPD_N_ERRORS];

static uint32_t path_hash(const char *p, size_t len)
{
	return (uint32_t)khttpd_http_hash(KHTTPD_HASH_INIT, p, len);
}

struct entry *lookup(const char *path, uint32_t len)
{
	uint32_t h = path_hash(path, len);
	struct entry *e;

	for (e = table[h % TABLE_SIZE]; e; e = e->next)
		if (e->hash == h && e->path_len == len &&
		    !memcmp(e->path, path, len))
			return e;
	return NULL;
}

static void content_append(const void *p, uint64_t len)
{
	ssize_t n;

	while (len) {
		n = pwrite(content_fd, p, len, content_size);
		if (n <= 0)
			die("writing the content memfd: %s",
			    n ? strerror(errno) : "short write");
		p = (const char *)p + n;
		len -= n;
		content_size += n;
	}
}

static void add_entry(const char *url, const char *type, const void *body,
		      uint64_t len, uint64_t mtime)
{
	struct entry *e = calloc(1, sizeof(*e)), **slot;
	char fields[2048];
	size_t nm, f;

	if (!e)
		die("out of memory");
	if (!khttpd_http_path_ok(url, strlen(url))) {
		fprintf(stderr, "uring-httpd: skipping %s: not a valid path\n", url);
		free(e);
		return;
	}
	khttpd_http_make_etag(e->etag, khttpd_http_hash(KHTTPD_HASH_INIT, body, len),
			      len, mtime);
	e->res.etag = e->etag;
	e->res.etag_len = KHTTPD_ETAG_LEN;
	e->res.mtime = mtime;
	nm = khttpd_http_resource_fields(fields, sizeof(fields), &e->res, type,
					 NULL, len, true);
	f = khttpd_http_resource_fields(fields + nm, sizeof(fields) - nm,
					&e->res, type, NULL, len, false);
	if (!nm || !f)
		die("header fields of %s do not fit", url);
	e->foff = content_size;
	content_append(fields, nm + f);
	content_append(body, len);
	e->layout.nm_len = nm;
	e->layout.fields_len = f;
	e->layout.body_len = len;
	e->path = strdup(url);
	e->type = strdup(type);
	if (!e->path || !e->type)
		die("out of memory");
	e->path_len = strlen(url);
	e->hash = path_hash(url, e->path_len);
	/* a later file for the same URL replaces the earlier */
	for (slot = &table[e->hash % TABLE_SIZE]; *slot; slot = &(*slot)->next) {
		if ((*slot)->path_len == e->path_len &&
		    !memcmp((*slot)->path, url, e->path_len)) {
			e->next = (*slot)->next;
			*slot = e;
			return;
		}
	}
	*slot = e;
}

/* Point every entry into the mapped memfd, now that it is complete. */
static void map_content(void)
{
	char *base;
	size_t i;

	if (!content_size)
		return;		/* a docroot only: nothing stored */
	base = mmap(NULL, content_size, PROT_READ, MAP_SHARED, content_fd, 0);
	if (base == MAP_FAILED)
		die("mapping the content: %s", strerror(errno));
	for (i = 0; i < TABLE_SIZE; i++) {
		struct entry *e;

		for (e = table[i]; e; e = e->next)
			e->buf = base + e->foff;
	}
}

void load_content(void)
{
	size_t i;

	for (i = 0; i < KHTTPD_N_ERRORS; i++) {
		struct entry *e = &errors[i];
		int status = khttpd_http_error_status[i];
		size_t fields, len;

		e->buf = malloc(1024);
		len = khttpd_http_error_response(e->buf, 1024, status, &fields);
		if (!len)
			die("error response %d does not fit", status);
		e->layout.fields_len = fields;
		e->layout.body_len = len - fields;
	}
	content_fd = memfd_create("uring-httpd-content", MFD_CLOEXEC);
	if (content_fd < 0)
		die("memfd_create: %s", strerror(errno));
	/* as the module: the built-in page only where no docroot serves */
	if (!cfg.root)
		add_entry("/", "text/plain; charset=utf-8", "Hello, World!", 13,
			  time(NULL));
	map_content();
}
