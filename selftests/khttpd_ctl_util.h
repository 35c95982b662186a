/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Control-plane shorthands shared by the selftests that fill the store.
 * The code is in khttpd_ctl_util.c, linked into every selftest binary.
 */
#ifndef _KHTTPD_CTL_UTIL_H
#define _KHTTPD_CTL_UTIL_H

#include <string.h>
#include "ctl_client.h"

/*
 * KHTTPD_CMD_PUT of @body (@len bytes) at @path with content type @type,
 * Cache-Control @cc (none if NULL) and @mtime; 0 or -errno.
 */
int khttpd_put(struct khttpd_ctl *c, const char *path, const char *type,
	       const void *body, size_t len, const char *cc, __u64 mtime);

/* KHTTPD_CMD_DELETE of @path; 0 or -errno. */
int khttpd_del(struct khttpd_ctl *c, const char *path);

#endif /* _KHTTPD_CTL_UTIL_H */
