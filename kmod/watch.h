/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fsnotify marks on the docroot's directories: each counts the changes to
 * the names in it (created, deleted, renamed) and to itself, so a cached
 * name knows at its next hit that its directory changed since it was
 * looked up.
 */
#ifndef _KHTTPD_WATCH_H
#define _KHTTPD_WATCH_H

#include <linux/atomic.h>
#include <linux/fsnotify_backend.h>
#include <linux/list.h>
#include <linux/mutex.h>

#define KHTTPD_WATCH_MAX	4096	/* directories watched, at most */

struct khttpd_dmark {
	struct fsnotify_mark fsn;
	struct list_head node;		/* in khttpd_watch.marks */
	atomic_t gen;			/* changes seen */
};

struct khttpd_watch {
	struct fsnotify_group *group;
	struct mutex lock;		/* @marks */
	struct list_head marks;		/* every mark, each holding a ref */
	unsigned int nr;
};

#if IS_ENABLED(CONFIG_FSNOTIFY)
int khttpd_watch_init(struct khttpd_watch *w);
/* Remove every mark; nothing may look at one after this. */
void khttpd_watch_release(struct khttpd_watch *w);
/*
 * The mark on directory @dir, added if it has none: valid until
 * khttpd_watch_release().  NULL past KHTTPD_WATCH_MAX or on failure: the
 * names in @dir then rely on the TTL alone.  Process context.
 */
struct khttpd_dmark *khttpd_watch_dir(struct khttpd_watch *w,
				      struct inode *dir);

#else
/* A kernel without fsnotify: the names of a docroot rely on the TTL. */
static inline int khttpd_watch_init(struct khttpd_watch *w)
{
	return 0;
}

static inline void khttpd_watch_release(struct khttpd_watch *w)
{
}

static inline struct khttpd_dmark *khttpd_watch_dir(struct khttpd_watch *w,
						    struct inode *dir)
{
	return NULL;
}
#endif

static inline u32 khttpd_dmark_gen(const struct khttpd_dmark *m)
{
	return atomic_read(&m->gen);
}

#endif /* _KHTTPD_WATCH_H */
