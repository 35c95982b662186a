/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Content types of docroot files, by file name extension: a table the
 * control plane replaces whole (KHTTPD_CMD_SET_MIME), read under RCU.
 */
#ifndef _KHTTPD_MIME_H
#define _KHTTPD_MIME_H

#include <linux/types.h>

struct khttpd_mime;

int khttpd_mime_init(void);
void khttpd_mime_exit(void);

/* KHTTPD_CMD_SET_MIME: validate every record, then publish the table. */
int khttpd_mime_set_user(const struct khttpd_mime *m);

/*
 * The Content-Type of a file named @name (@len bytes; only its extension
 * counts), copied NUL-terminated into @out, which has room for
 * KHTTPD_TYPE_MAX + 1 bytes: the table's, else application/octet-stream.
 * Returns its length.  Any context.
 */
size_t khttpd_mime_type(const char *name, size_t len, char *out);

#endif /* _KHTTPD_MIME_H */
