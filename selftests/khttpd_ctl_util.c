// SPDX-License-Identifier: GPL-2.0
/*
 * Control-plane shorthands shared by the selftests that fill the store;
 * see khttpd_ctl_util.h.
 */
#include <stddef.h>
#include <stdint.h>
#include "khttpd_ctl_util.h"

int khttpd_put(struct khttpd_ctl *c, const char *path, const char *type,
	       const void *body, size_t len, const char *cc, __u64 mtime)
{
	struct khttpd_put p = {
		.size = sizeof(p),
		.path = (uintptr_t)path,
		.path_len = strlen(path),
		.type = (uintptr_t)type,
		.type_len = strlen(type),
		.body = (uintptr_t)body,
		.body_len = len,
		.mtime = mtime,
	};

	if (cc) {
		p.cache_control = (uintptr_t)cc;
		p.cache_control_len = strlen(cc);
	}
	return khttpd_ctl_cmd(c, KHTTPD_CMD_PUT, &p, sizeof(p));
}

int khttpd_del(struct khttpd_ctl *c, const char *path)
{
	struct khttpd_delete d = {
		.size = sizeof(d), .path = (uintptr_t)path,
		.path_len = strlen(path),
	};

	return khttpd_ctl_cmd(c, KHTTPD_CMD_DELETE, &d, sizeof(d));
}
