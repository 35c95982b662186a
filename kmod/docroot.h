/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The docroot: a directory served from the page cache, for the paths the
 * store has no entry for.  Workers only look in its file cache (RCU, never
 * blocking); what is not there, or is stale, and every page of a body not
 * in the page cache, is fetched by a work item on an unbound workqueue,
 * which then requeues the connection.
 */
#ifndef _KHTTPD_DOCROOT_H
#define _KHTTPD_DOCROOT_H

#include <linux/types.h>
#include <linux/workqueue.h>

struct khttpd_dmark;
struct khttpd_entry;
struct khttpd_request;
struct khttpd_start;
struct page;

/* Pages a copied piece of body holds (for files not in the page cache). */
#define KHTTPD_BOUNCE_PAGES	16

/*
 * One operation a connection waits for (it has at most one): resolving a
 * path, or bringing a body's pages in.  Embedded in the connection, which
 * holds a reference on itself for as long as the work may run; @done is
 * called from the work item once the result is in place.
 */
struct khttpd_dwait {
	struct work_struct work;
	void (*done)(struct khttpd_dwait *dw);
	bool read;			/* else a resolve */
	int status;			/* out: 0 (or 200), 301, 403, 404, 503 */

	/* resolve: in, the request's path; out, its entries */
	char *path;
	u32 path_len;
	u32 hash;			/* of the path */
	struct hlist_node pnode;	/* among the resolves in flight */
	struct khttpd_dwait *followers;	/* the same path's, waiting on us */
	struct khttpd_dwait *next;	/* among a leader's followers */
	struct khttpd_entry *entry, *gz;	/* references */
	struct khttpd_dmark *dmark;	/* its directory's, or NULL */
	u32 dgen;			/* the directory's changes, before */

	/* read: in, of which entry (a reference) and where in its file */
	struct khttpd_entry *file_entry;
	u64 pos, len;
	/*
	 * out: 0, or -EIO (the file ended early); and, for a file whose
	 * pages cannot be had from its page cache, a copy of the body from
	 * @pos (@bounce_len bytes in @pages).
	 */
	int err;
	struct page *pages[KHTTPD_BOUNCE_PAGES];
	u32 bounce_len;
};

int khttpd_docroot_init(void);
void khttpd_docroot_exit(void);

/* START (the control lock held): set the docroot up and publish it. */
int khttpd_docroot_start(const struct khttpd_start *s);
/* Stop taking work and wait for what was queued; the workers still run. */
void khttpd_docroot_drain(void);
/* The workers are gone: close every file and free the docroot. */
void khttpd_docroot_stop(void);
/*
 * GET_STATUS (the control lock held): the docroot's path into @buf (@len
 * bytes, NUL-terminated), its length returned; 0 without a docroot.
 */
int khttpd_docroot_path(char *buf, int len);

/*
 * The answer the docroot has for @req, from its file cache: a reference
 * to the entry to send (*@status 200), or NULL with *@status 301, 403 or
 * 404; or ERR_PTR(-EAGAIN) if it must be looked up first (the caller
 * submits a resolve, khttpd_docroot_submit()); or NULL with *@status 0
 * if there is no docroot.  Any context.
 */
struct khttpd_entry *khttpd_docroot_get(const struct khttpd_request *req,
					int *status);
/* Which of a resolve's entries answers @req: a reference, or NULL. */
struct khttpd_entry *khttpd_docroot_pick(const struct khttpd_request *req,
					 struct khttpd_entry *entry,
					 struct khttpd_entry *gz);

/* Queue @dw; false (nothing queued) when stopping or too many wait. */
bool khttpd_docroot_submit(struct khttpd_dwait *dw);
/* KHTTPD_CMD_LIST with KHTTPD_LIST_DOCROOT: the names with a file. */
struct khttpd_list;
int khttpd_docroot_list(struct khttpd_list *l);
/* How many names the file cache holds. */
u64 khttpd_docroot_files(void);
/* Release what a finished @dw still holds. */
void khttpd_dwait_release(struct khttpd_dwait *dw);

#endif /* _KHTTPD_DOCROOT_H */
