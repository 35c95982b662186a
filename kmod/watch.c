// SPDX-License-Identifier: GPL-2.0
/*
 * fsnotify marks on the docroot's directories.
 *
 * A cached name is checked at each hit against its file's inode (store.c:
 * written, truncated, chmod'ed, unlinked), but an inode cannot show what
 * happens to names: a file created where a 404 was cached, a name renamed
 * onto a directory's entry, a directory's own mode.  Those are events on
 * the directory, and a mark there counts them; a name remembers the
 * count of its directory when it was looked up, and is looked up again
 * when the count moved.  Only the directory a name is in is watched: a
 * change further up is seen within the TTL.
 *
 * Marks live until the docroot stops: a directory watched once stays
 * watched (it is pinned in the inode cache by its mark), up to
 * KHTTPD_WATCH_MAX of them.  Our list holds a reference on each, which
 * keeps its memory while cached names point at it, even if the directory
 * is deleted and fsnotify detaches the mark.
 */
#include <linux/fs.h>
#include <linux/slab.h>

#include "watch.h"

#if IS_ENABLED(CONFIG_FSNOTIFY)

#define KHTTPD_WATCH_MASK	(FS_CREATE | FS_DELETE | FS_MOVED_FROM | \
				 FS_MOVED_TO | FS_ATTRIB | FS_DELETE_SELF | \
				 FS_MOVE_SELF)

/* In the task that changed the directory: count, nothing else. */
static int khttpd_watch_event(struct fsnotify_mark *mark, u32 mask,
			      struct inode *inode, struct inode *dir,
			      const struct qstr *name, u32 cookie)
{
	atomic_inc(&container_of(mark, struct khttpd_dmark, fsn)->gen);
	return 0;
}

static void khttpd_watch_free_mark(struct fsnotify_mark *mark)
{
	kfree(container_of(mark, struct khttpd_dmark, fsn));
}

static const struct fsnotify_ops khttpd_watch_ops = {
	.handle_inode_event = khttpd_watch_event,
	.free_mark = khttpd_watch_free_mark,
};

int khttpd_watch_init(struct khttpd_watch *w)
{
	w->group = fsnotify_alloc_group(&khttpd_watch_ops, 0);
	if (IS_ERR(w->group))
		return PTR_ERR(w->group);
	mutex_init(&w->lock);
	INIT_LIST_HEAD(&w->marks);
	w->nr = 0;
	return 0;
}

void khttpd_watch_release(struct khttpd_watch *w)
{
	struct khttpd_dmark *m, *tmp;

	list_for_each_entry_safe(m, tmp, &w->marks, node) {
		list_del(&m->node);
		fsnotify_destroy_mark(&m->fsn, w->group);
		fsnotify_put_mark(&m->fsn);
	}
	w->nr = 0;
	/* the marks are freed by a work item: ours are in this module */
	fsnotify_wait_marks_destroyed();
	fsnotify_put_group(w->group);
}

struct khttpd_dmark *khttpd_watch_dir(struct khttpd_watch *w,
				      struct inode *dir)
{
	struct fsnotify_mark *found;
	struct khttpd_dmark *m = NULL;
	int err;

	mutex_lock(&w->lock);
	found = fsnotify_find_inode_mark(dir, w->group);
	if (found) {
		/* ours, and on our list, which holds it: drop find's ref */
		m = container_of(found, struct khttpd_dmark, fsn);
		fsnotify_put_mark(found);
		goto out;
	}
	if (w->nr >= KHTTPD_WATCH_MAX)
		goto out;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		goto out;
	fsnotify_init_mark(&m->fsn, w->group);
	m->fsn.mask = KHTTPD_WATCH_MASK;
	err = fsnotify_add_inode_mark(&m->fsn, dir, 0);
	if (err) {
		/* the mark was never attached: our ref is the last */
		fsnotify_put_mark(&m->fsn);
		m = NULL;
		goto out;
	}
	list_add(&m->node, &w->marks);
	w->nr++;
out:
	mutex_unlock(&w->lock);
	return m;
}
#endif /* CONFIG_FSNOTIFY */
