/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The content store: prebuilt responses keyed by URL path, and the
 * prebuilt error responses.  An entry is opaque outside store.c: a
 * reference, what the engine needs to answer with it, and its bytes as
 * copies or page pieces.
 */
#ifndef _KHTTPD_STORE_H
#define _KHTTPD_STORE_H

#include <linux/compiler_types.h>
#include <linux/types.h>

#include "http.h"

struct bio_vec;
struct khttpd_entry;
struct khttpd_list;
struct khttpd_put;

int khttpd_store_init(void);
void khttpd_store_exit(void);

/* the control plane */
int khttpd_store_put_builtin(void);
int khttpd_store_put_user(const struct khttpd_put *put);
int khttpd_store_delete_user(const char __user *path, u32 len);
int khttpd_store_list(struct khttpd_list *l);
void khttpd_store_clear(void);
void khttpd_store_usage(u64 *entries, u64 *bytes);

/* answering: each returns a reference, dropped with khttpd_entry_put() */
struct khttpd_entry *khttpd_store_get(const char *path, u32 len);
struct khttpd_entry *khttpd_store_error(int status);
void khttpd_entry_put(struct khttpd_entry *e);

const struct khttpd_resource *khttpd_entry_resource(const struct khttpd_entry *e);
const struct khttpd_layout *khttpd_entry_layout(const struct khttpd_entry *e);
/* The representation a stored resource is (false for an error response). */
bool khttpd_entry_repr(const struct khttpd_entry *e, struct khttpd_repr *rep);
void khttpd_entry_copy(const struct khttpd_entry *e, u64 off, void *dst,
		       u32 len);
unsigned int khttpd_entry_bvecs(const struct khttpd_entry *e, u64 off,
				u64 len, struct bio_vec *bv, unsigned int max,
				size_t *bytes);

#endif /* _KHTTPD_STORE_H */
