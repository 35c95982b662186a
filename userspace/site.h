/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A directory tree as a web site: which URL each file answers for, and its
 * media type.  Shared by "khttpctl load" and "uring-httpd --root", so the
 * module and the userspace server serve a tree the same way.
 */
#ifndef _KHTTPD_SITE_H
#define _KHTTPD_SITE_H

/* The media type of @file by its extension, from /etc/mime.types. */
const char *site_mime_type(const char *file);

/*
 * Call @fn for every regular file under @root with the URL it answers for:
 * @prefix + "/" + its path relative to @root; an index.html is given a
 * second time for its directory's URL ("/docs/").  Stops at the first
 * non-zero return of @fn and returns it; -errno if the walk fails.
 */
int site_walk(const char *root, const char *prefix,
	      int (*fn)(void *ctx, const char *url, const char *file),
	      void *ctx);

#endif /* _KHTTPD_SITE_H */
