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
struct file;
struct folio_batch;
struct kstat;
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

/*
 * A page of LIST records, the store's or the docroot's, being written
 * under RCU from where @l's cursor points (its bucket, its index there):
 * begin (which checks the cursor against @buckets), then for each bucket
 * from w.bucket add its records until one returns false (the page is
 * full: stop), next; end copies the page out and sets the cursor.
 */
struct khttpd_lister {
	struct khttpd_list *l;
	char *kbuf;
	size_t used, cap;
	u32 bucket, skip, idx;
	bool full;
};

int khttpd_list_begin(struct khttpd_lister *w, struct khttpd_list *l,
		      u32 buckets);
bool khttpd_list_add(struct khttpd_lister *w, const char *path, u32 path_len,
		     u64 body_len, u64 mtime);
void khttpd_list_next(struct khttpd_lister *w);
int khttpd_list_end(struct khttpd_lister *w);
void khttpd_store_clear(void);
void khttpd_store_usage(u64 *entries, u64 *bytes);
void khttpd_store_quiesce(void);

/* entries of the docroot (docroot.c), and its redirects */
struct khttpd_entry *khttpd_entry_from_file(struct file *file,
					    const struct kstat *st,
					    const char *type, u8 repr_flags);
struct khttpd_entry *khttpd_entry_redirect(const char *path, size_t len,
					   const char *query, size_t qlen);

/* answering: each returns a reference, dropped with khttpd_entry_put() */
struct khttpd_entry *khttpd_store_get(const char *path, u32 len);
struct khttpd_entry *khttpd_store_error(int status);
void khttpd_entry_put(struct khttpd_entry *e);

const struct khttpd_resource *khttpd_entry_resource(const struct khttpd_entry *e);
/* Take another reference. */
struct khttpd_entry *khttpd_entry_get(struct khttpd_entry *e);
const struct khttpd_layout *khttpd_entry_layout(const struct khttpd_entry *e);
/* The representation a stored resource is (false for an error response). */
bool khttpd_entry_repr(const struct khttpd_entry *e, struct khttpd_repr *rep);
/*
 * Copy [@off, @off + @len) of @e.  False, for a docroot file, if a page
 * of it is not in the page cache (or not uptodate) or the file shrank:
 * then send it by reference, which knows how to wait for it or abort.
 */
bool khttpd_entry_copy(const struct khttpd_entry *e, u64 off, void *dst,
		       u32 len);
int khttpd_entry_bvecs(const struct khttpd_entry *e, u64 off, u64 len,
		       struct bio_vec *bv, unsigned int max, size_t *bytes,
		       struct folio_batch *fb);
/* Where in the entry the body starts (a docroot file's offset 0). */
u64 khttpd_entry_body_start(const struct khttpd_entry *e);
/*
 * Has a docroot entry's file changed since it was opened: written,
 * truncated, touched, chmod'ed, renamed, unlinked or renamed over?
 */
bool khttpd_entry_file_changed(const struct khttpd_entry *e);
/* A docroot entry's file (a borrowed pointer), or NULL. */
struct file *khttpd_entry_file(const struct khttpd_entry *e);
/*
 * Would a new entry for @file (of attributes @st), of @type, answer
 * exactly as docroot entry @e does: the same inode, unchanged since @e was
 * made (i_version too), the same fields?
 */
bool khttpd_entry_same(const struct khttpd_entry *e, const struct file *file,
		       const struct kstat *st, const char *type,
		       u8 repr_flags);
/* The largest docroot file whose pages an entry pins. */
#define KHTTPD_PIN_MAX		(4U << 20)
void khttpd_entry_pin(struct khttpd_entry *e);
/* Bytes of page cache docroot entries pin now. */
u64 khttpd_store_pinned(void);

#endif /* _KHTTPD_STORE_H */
