/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Control-plane shorthands shared by the selftests that fill the store.
 */
#ifndef _KHTTPD_CTL_UTIL_H
#define _KHTTPD_CTL_UTIL_H

#include <string.h>
#include "ctl.h"

static inline int khttpd_put(struct khttpd_ctl *c, const char *path,
			     const char *type, const void *body, size_t len,
			     const char *cc, __u64 mtime)
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

static inline int khttpd_del(struct khttpd_ctl *c, const char *path)
{
	struct khttpd_delete d = {
		.size = sizeof(d), .path = (uintptr_t)path,
		.path_len = strlen(path),
	};

	return khttpd_ctl_cmd(c, KHTTPD_CMD_DELETE, &d, sizeof(d));
}

/* Every setting with its range (the UAPI's KHTTPD_CFG_*). */
#define CFG(name, NAME) { #name, offsetof(struct khttpd_config, name), \
			  sizeof(((struct khttpd_config *)0)->name), \
			  KHTTPD_CFG_##NAME##_MIN, KHTTPD_CFG_##NAME##_MAX }
static const struct khttpd_setting {
	const char *name;
	size_t off, size;
	__u64 min, max;
} khttpd_settings[] = {
	CFG(port, PORT),
	CFG(header_timeout_ms, HEADER_TIMEOUT_MS),
	CFG(keepalive_timeout_ms, KEEPALIVE_TIMEOUT_MS),
	CFG(send_timeout_ms, SEND_TIMEOUT_MS),
	CFG(max_conns, MAX_CONNS),
	CFG(max_request_line, MAX_REQUEST_LINE),
	CFG(max_header_bytes, MAX_HEADER_BYTES),
	CFG(max_header_fields, MAX_HEADER_FIELDS),
	CFG(max_body, MAX_BODY),
	CFG(zerocopy, ZEROCOPY),
	CFG(mem_cap, MEM_CAP),
};

/* @c with setting @s at @v (truncated to the field, as a caller might). */
static inline void khttpd_cfg_put(struct khttpd_config *c,
				  const struct khttpd_setting *s, __u64 v)
{
	void *p = (char *)c + s->off;

	if (s->size == 2)
		*(__u16 *)p = v;
	else if (s->size == 4)
		*(__u32 *)p = v;
	else
		*(__u64 *)p = v;
}

#endif /* _KHTTPD_CTL_UTIL_H */
