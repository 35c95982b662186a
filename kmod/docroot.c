// SPDX-License-Identifier: GPL-2.0
/*
 * The docroot: a directory tree served from the page cache.
 *
 * Safety first.  A path is looked up under the pinned root with
 * LOOKUP_BENEATH | LOOKUP_NO_XDEV | LOOKUP_NO_MAGICLINKS, so absolute
 * symlinks, ".." above the root, mount crossings and /proc-style magic
 * links all fail, and with KHTTPD_START_NO_SYMLINKS every symlink does.
 * Every lookup, permission check and open runs under a credential built at
 * START (the operator's uid and gid, no supplementary group, no capability
 * at all), so the kernel thread's root never reaches a file.  dentry_open()
 * checks no permission itself, so inode_permission() comes first; and only
 * regular files are opened: a FIFO would block, a device would run its
 * driver's open.
 *
 * Speed second.  Workers answer from a file cache, an RCU hash of request
 * paths, each with the entries (store.c) of its file and of its ".gz"
 * sibling, or with the status it gets (301, 403, 404): hits take no lock
 * and never block.  A miss, or a name older than KHTTPD_DOCROOT_TTL, is
 * resolved by a work item on an unbound workqueue, which requeues the
 * connection; so is a body page that is not in the page cache, which the
 * work item reads in (or, where the page cache cannot be sent from, as on
 * overlayfs, copies).  A cached file's inode tells at each hit whether it
 * was written, truncated, touched, chmod'ed or unlinked (renamed over):
 * then the name is looked up again before it is answered.  Everything
 * else (a new name, a directory's permissions, a symlink changed) is seen
 * within KHTTPD_DOCROOT_TTL.  A file replaced by rename stays open for
 * the answers in flight, which finish with the old bytes.
 */
#include <linux/bvec.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/jhash.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pagemap.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/khttpd.h>
#include <uapi/linux/magic.h>

#include "config.h"
#include "docroot.h"
#include "http.h"
#include "mime.h"
#include "stats.h"
#include "store.h"
#include "watch.h"

#define KHTTPD_DOCROOT_BITS	12
#define KHTTPD_PENDING_BITS	8
#define KHTTPD_DOCROOT_FILES	8192		/* names cached, at most */
#define KHTTPD_DOCROOT_TTL	(2 * HZ)	/* looked up again after */
#define KHTTPD_DOCROOT_ACTIVE	16		/* work items running */
#define KHTTPD_READAHEAD	(1U << 20)	/* read in per cold miss */

/* A name in the file cache. */
struct khttpd_dnode {
	struct hlist_node hnode;	/* in the hash, under RCU */
	struct list_head lru;		/* under the lock */
	struct rcu_head rcu;
	unsigned long expires;		/* jiffies */
	bool used;			/* hit since the clock hand passed */
	unsigned long renewing;		/* bit 0: a lookup again is queued */
	int status;			/* 200, 301, 403, 404 */
	struct khttpd_entry *entry, *gz;	/* the cache's references */
	struct khttpd_dmark *dmark;	/* its directory's mark, or NULL */
	u32 dgen;			/* the mark's count when looked up */
	u32 hash;
	u32 path_len;
	char path[];
};

struct khttpd_docroot {
	struct path root;
	const struct cred *cred;
	unsigned int lookup_flags;
	spinlock_t lock;		/* the hash's writers, lru, dead (bh) */
	bool dead;			/* draining: take no more work */
	atomic_t waiting;		/* resolves queued */
	unsigned int nr;		/* names cached */
	struct list_head lru;		/* oldest at the tail */
	struct khttpd_watch watch;	/* marks on the directories */
	/* resolves queued or running, by path (under the lock) */
	struct hlist_head pending[1 << KHTTPD_PENDING_BITS];
	struct hlist_head hash[1 << KHTTPD_DOCROOT_BITS];
};

static struct khttpd_docroot __rcu *khttpd_docroot;
static struct workqueue_struct *khttpd_docroot_wq;

/*
 * Filesystems a docroot may be on: those whose files are data.  Not proc,
 * sysfs, debugfs, configfs..., whose "files" run code when read; not FUSE,
 * whose daemon could hold the work items (and STOP) forever.
 */
static const unsigned long khttpd_docroot_fs[] = {
	EXT4_SUPER_MAGIC, XFS_SUPER_MAGIC, BTRFS_SUPER_MAGIC,
	F2FS_SUPER_MAGIC, TMPFS_MAGIC, RAMFS_MAGIC, OVERLAYFS_SUPER_MAGIC,
	NFS_SUPER_MAGIC, SQUASHFS_MAGIC, EROFS_SUPER_MAGIC_V1, ISOFS_SUPER_MAGIC,
	MSDOS_SUPER_MAGIC, EXFAT_SUPER_MAGIC,
};

static bool khttpd_docroot_fs_ok(const struct super_block *sb)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(khttpd_docroot_fs); i++)
		if (sb->s_magic == khttpd_docroot_fs[i])
			return true;
	return false;
}

/* The service credential: @uid and @gid, nothing else. */
static const struct cred *khttpd_docroot_cred(u32 uid, u32 gid)
{
	kuid_t kuid = make_kuid(current_user_ns(), uid);
	kgid_t kgid = make_kgid(current_user_ns(), gid);
	struct group_info *groups;
	struct cred *cred;

	if (!uid_valid(kuid) || !gid_valid(kgid))
		return ERR_PTR(-EINVAL);
	cred = prepare_kernel_cred(&init_task);
	if (!cred)
		return ERR_PTR(-ENOMEM);
	groups = groups_alloc(0);
	if (!groups) {
		abort_creds(cred);
		return ERR_PTR(-ENOMEM);
	}
	set_groups(cred, groups);
	put_group_info(groups);
	cred->uid = cred->euid = cred->suid = cred->fsuid = kuid;
	cred->gid = cred->egid = cred->sgid = cred->fsgid = kgid;
	cred->cap_inheritable = CAP_EMPTY_SET;
	cred->cap_permitted = CAP_EMPTY_SET;
	cred->cap_effective = CAP_EMPTY_SET;
	cred->cap_bset = CAP_EMPTY_SET;
	cred->cap_ambient = CAP_EMPTY_SET;
	return cred;
}

int khttpd_docroot_start(const struct khttpd_start *s)
{
	struct khttpd_docroot *d;
	const struct cred *cred;
	struct file *root;
	int err;

	if (!(s->flags & KHTTPD_START_DOCROOT)) {
		if (s->root_fd || s->uid || s->gid ||
		    (s->flags & KHTTPD_START_NO_SYMLINKS))
			return -EINVAL;
		return 0;
	}
	cred = khttpd_docroot_cred(s->uid, s->gid);
	if (IS_ERR(cred))
		return PTR_ERR(cred);
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d) {
		put_cred(cred);
		return -ENOMEM;
	}
	d->cred = cred;
	/* raw: an O_PATH fd is what khttpctl passes */
	root = s->root_fd >= 0 ? fget_raw(s->root_fd) : NULL;
	if (!root) {
		err = -EBADF;
		goto err;
	}
	d->root = root->f_path;
	path_get(&d->root);
	fput(root);
	if (!d_is_dir(d->root.dentry)) {
		err = -ENOTDIR;
		goto err_path;
	}
	if (!khttpd_docroot_fs_ok(d->root.dentry->d_sb)) {
		err = -EXDEV;
		goto err_path;
	}
	d->lookup_flags = LOOKUP_FOLLOW | LOOKUP_BENEATH | LOOKUP_NO_XDEV |
			  LOOKUP_NO_MAGICLINKS;
	if (s->flags & KHTTPD_START_NO_SYMLINKS)
		d->lookup_flags |= LOOKUP_NO_SYMLINKS;
	spin_lock_init(&d->lock);
	INIT_LIST_HEAD(&d->lru);
	err = khttpd_watch_init(&d->watch);
	if (err)
		goto err_path;
	rcu_assign_pointer(khttpd_docroot, d);
	return 0;

err_path:
	path_put(&d->root);
err:
	put_cred(d->cred);
	kfree(d);
	return err;
}

/*
 * After a grace period: no lookup can still be taking a reference from
 * the node's, so they may be the last ones now.
 */
static void khttpd_dnode_free(struct rcu_head *rcu)
{
	struct khttpd_dnode *n = container_of(rcu, struct khttpd_dnode, rcu);

	if (n->entry)
		khttpd_entry_put(n->entry);
	if (n->gz)
		khttpd_entry_put(n->gz);
	kfree(n);
}

/* Unhash @n (the lock held) and release it after a grace period. */
static void khttpd_dnode_drop(struct khttpd_docroot *d, struct khttpd_dnode *n)
{
	hlist_del_rcu(&n->hnode);
	list_del(&n->lru);
	d->nr--;
	call_rcu(&n->rcu, khttpd_dnode_free);
}

void khttpd_docroot_drain(void)
{
	struct khttpd_docroot *d = rcu_dereference_protected(khttpd_docroot,
							     true);

	if (!d)
		return;
	spin_lock_bh(&d->lock);
	d->dead = true;
	spin_unlock_bh(&d->lock);
	/* every work item queued before @dead calls its done() */
	flush_workqueue(khttpd_docroot_wq);
}

void khttpd_docroot_stop(void)
{
	struct khttpd_docroot *d = rcu_dereference_protected(khttpd_docroot,
							     true);
	struct khttpd_dnode *n, *tmp;

	if (!d)
		return;
	RCU_INIT_POINTER(khttpd_docroot, NULL);
	synchronize_rcu();
	spin_lock_bh(&d->lock);
	list_for_each_entry_safe(n, tmp, &d->lru, lru)
		khttpd_dnode_drop(d, n);
	spin_unlock_bh(&d->lock);
	/* no lookup can be reading a node's mark: synchronize_rcu() above */
	khttpd_watch_release(&d->watch);
	path_put(&d->root);
	put_cred(d->cred);
	kfree(d);
}

int khttpd_docroot_path(char *buf, int len)
{
	struct khttpd_docroot *d;
	char *p;

	/* START and STOP, the only writers, take the same lock */
	d = rcu_dereference_protected(khttpd_docroot,
				      lockdep_is_held(&khttpd_ctl_lock));
	buf[0] = '\0';
	if (!d)
		return 0;
	/* d_path() writes from the end of @buf: move it to the start */
	p = d_path(&d->root, buf, len);
	if (IS_ERR(p))
		return PTR_ERR(p);
	memmove(buf, p, buf + len - p);
	return buf + len - 1 - p;
}

static struct khttpd_dnode *khttpd_dnode_find(struct khttpd_docroot *d,
					      const char *path, u32 len,
					      u32 hash)
{
	struct khttpd_dnode *n;

	hlist_for_each_entry_rcu(n, &d->hash[hash_32(hash, KHTTPD_DOCROOT_BITS)],
				 hnode, lockdep_is_held(&d->lock))
		if (n->hash == hash && n->path_len == len &&
		    !memcmp(n->path, path, len))
			return n;
	return NULL;
}

static void khttpd_docroot_renewed(struct khttpd_dwait *dw)
{
	khttpd_dwait_release(dw);
	kfree(dw);
}

/*
 * Queue a lookup of stale @n's path, whose result replaces it (under RCU,
 * any context).  If it cannot be queued, the next request tries again.
 */
static void khttpd_docroot_renew(struct khttpd_docroot *d,
				 struct khttpd_dnode *n)
{
	struct khttpd_dwait *dw = kzalloc(sizeof(*dw), GFP_ATOMIC |
					  __GFP_NOWARN);

	if (dw)
		dw->path = kmemdup(n->path, n->path_len,
				   GFP_ATOMIC | __GFP_NOWARN);
	if (!dw || !dw->path) {
		kfree(dw);
		clear_bit(0, &n->renewing);
		return;
	}
	dw->path_len = n->path_len;
	dw->done = khttpd_docroot_renewed;
	if (!khttpd_docroot_submit(dw)) {
		kfree(dw->path);
		kfree(dw);
		clear_bit(0, &n->renewing);
	}
}

struct khttpd_entry *khttpd_docroot_pick(const struct khttpd_request *req,
					 struct khttpd_entry *entry,
					 struct khttpd_entry *gz)
{
	if (gz && khttpd_http_accepts_gzip(req))
		entry = gz;
	return entry ? khttpd_entry_get(entry) : NULL;
}

struct khttpd_entry *khttpd_docroot_get(const struct khttpd_request *req,
					int *status)
{
	struct khttpd_entry *e = ERR_PTR(-EAGAIN);
	struct khttpd_docroot *d;
	struct khttpd_dnode *n;
	u32 hash;

	*status = 0;
	rcu_read_lock();
	d = rcu_dereference(khttpd_docroot);
	if (!d) {
		rcu_read_unlock();
		return NULL;
	}
	hash = jhash(req->path, req->path_len, 0);
	n = khttpd_dnode_find(d, req->path, req->path_len, hash);
	/*
	 * A file changed in place, or unlinked (renamed over), is seen at
	 * once from its inode, a name created, deleted or renamed in its
	 * directory (or the directory's mode changed) from the directory's
	 * mark: not served, looked up again.
	 */
	if (n && ((n->dmark && khttpd_dmark_gen(n->dmark) != n->dgen) ||
		  (n->entry && khttpd_entry_file_changed(n->entry)) ||
		  (n->gz && khttpd_entry_file_changed(n->gz)))) {
		WRITE_ONCE(n->expires, jiffies);
		n = NULL;
	}
	if (n) {
		/*
		 * Stale: answered as it was while one lookup, queued by the
		 * first request to see it so, finds what the name is now;
		 * every request waiting for it would cost a lookup each.
		 */
		if (time_after_eq(jiffies, READ_ONCE(n->expires)) &&
		    !test_and_set_bit(0, &n->renewing))
			khttpd_docroot_renew(d, n);
		if (!READ_ONCE(n->used))
			WRITE_ONCE(n->used, true);
		*status = n->status;
		/* the node's references last until a grace period ends */
		e = khttpd_docroot_pick(req, n->entry, n->gz);
		khttpd_stat_inc(docroot_hits);
	}
	rcu_read_unlock();
	return e;
}

/* The status a failed lookup or open answers with. */
static int khttpd_docroot_status(int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
	case -EXDEV:		/* an escape: absolute link, "..", mount */
	case -ELOOP:		/* a symlink loop, or symlinks refused */
		return 403;
	case -ENOMEM:
	case -EAGAIN:		/* a racing rename; or a lease is held */
		return 503;
	default:
		return 404;
	}
}

/*
 * Open @name under the root, the service credential in force.  Returns
 * 200 with the file and its attributes, 301 for a directory, or the
 * status of the refusal.
 */
static int khttpd_docroot_open(struct khttpd_docroot *d, const char *name,
			       struct file **filep, struct kstat *st)
{
	struct path path;
	struct file *file;
	int err;

	err = vfs_path_lookup(d->root.dentry, d->root.mnt, name,
			      d->lookup_flags, &path);
	if (err)
		return khttpd_docroot_status(err);
	if (d_is_dir(path.dentry)) {
		path_put(&path);
		return 301;
	}
	/* never opened: a FIFO would block us, a device run its driver */
	if (!d_is_reg(path.dentry)) {
		path_put(&path);
		return 403;
	}
	err = inode_permission(mnt_idmap(path.mnt), d_inode(path.dentry),
			       MAY_OPEN | MAY_READ);
	if (err) {
		path_put(&path);
		return khttpd_docroot_status(err);
	}
	file = dentry_open(&path, O_RDONLY | O_LARGEFILE | O_NOATIME |
			   O_NONBLOCK, current_cred());
	path_put(&path);
	if (IS_ERR(file))
		return khttpd_docroot_status(PTR_ERR(file));
	err = vfs_getattr(&file->f_path, st, STATX_BASIC_STATS |
			  STATX_CHANGE_COOKIE, AT_STATX_SYNC_AS_STAT);
	if (err || !S_ISREG(st->mode)) {
		fput(file);
		return err ? khttpd_docroot_status(err) : 403;
	}
	*filep = file;
	return 200;
}

/*
 * Watch the directory @name (@len bytes) is in, and note how many changes
 * it has seen, before @name is looked up: a change from then on makes the
 * result stale.  Without a mark (a directory that does not exist, too
 * many watched), the TTL alone renews the name.
 */
static void khttpd_docroot_watch(struct khttpd_docroot *d,
				 struct khttpd_dwait *dw, char *name,
				 size_t len)
{
	char *slash = strrchr(name, '/'), c = 0;
	struct path dir;
	int err;

	if (slash) {
		c = slash[1];
		slash[1] = '\0';	/* "a/b/" */
	}
	err = vfs_path_lookup(d->root.dentry, d->root.mnt, slash ? name : ".",
			      d->lookup_flags | LOOKUP_DIRECTORY, &dir);
	if (slash)
		slash[1] = c;
	if (err)
		return;
	dw->dmark = khttpd_watch_dir(&d->watch, d_inode(dir.dentry));
	if (dw->dmark)
		dw->dgen = khttpd_dmark_gen(dw->dmark);
	path_put(&dir);
}

/*
 * The entries @dw's path has in the cache now (references), if it is a
 * file: a lookup again of a name whose file has not changed keeps them.
 */
static void khttpd_docroot_was(struct khttpd_docroot *d,
			       struct khttpd_dwait *dw,
			       struct khttpd_entry **entry,
			       struct khttpd_entry **gz)
{
	struct khttpd_dnode *n;

	rcu_read_lock();
	n = khttpd_dnode_find(d, dw->path, dw->path_len, dw->hash);
	/* the node's references last until a grace period ends */
	if (n && n->entry)
		*entry = khttpd_entry_get(n->entry);
	if (n && n->gz)
		*gz = khttpd_entry_get(n->gz);
	rcu_read_unlock();
}

/*
 * The entry for @file: @old again if it is of the same file, unchanged
 * and answered the same way (then @file is closed), so that a name renewed
 * every KHTTPD_DOCROOT_TTL keeps its entry and the pages it pins; else a
 * new one, which takes over @file, and which pins the file's pages if
 * they are all in the page cache already.
 */
static struct khttpd_entry *khttpd_docroot_entry(struct khttpd_entry *old,
						 struct file *file,
						 const struct kstat *st,
						 const char *type,
						 u8 repr_flags)
{
	struct khttpd_entry *e;

	if (old && khttpd_entry_same(old, file, st, type, repr_flags)) {
		fput(file);
		khttpd_entry_pin(old);	/* if it has become wholly cached */
		return khttpd_entry_get(old);
	}
	e = khttpd_entry_from_file(file, st, type, repr_flags);
	if (!IS_ERR(e))
		khttpd_entry_pin(e);
	return e;
}

/*
 * Resolve @dw's path: the file (and its ".gz"), or the status it gets.
 * @name has room for the path, the index name and ".gz".
 */
static void khttpd_docroot_resolve(struct khttpd_docroot *d,
				   struct khttpd_dwait *dw, char *name,
				   size_t cap)
{
	char type[KHTTPD_TYPE_MAX + 1];
	struct file *file, *gzfile = NULL;
	struct khttpd_entry *old = NULL, *oldgz = NULL;
	const struct cred *cred;
	struct kstat st, gzst;
	size_t len;
	int gz = 404;

	len = khttpd_http_docroot_name(dw->path, dw->path_len, name, cap - 3);
	if (!len) {
		dw->status = 404;
		return;
	}
	cred = override_creds(d->cred);
	khttpd_docroot_watch(d, dw, name, len);
	dw->status = khttpd_docroot_open(d, name, &file, &st);
	if (dw->status == 200) {
		memcpy(name + len, ".gz", 4);
		gz = khttpd_docroot_open(d, name, &gzfile, &gzst);
		name[len] = '\0';
	}
	revert_creds(cred);
	/* "/dir/" is "dir/index.html": a directory there is no index */
	if (dw->status == 301 && dw->path[dw->path_len - 1] == '/')
		dw->status = 404;
	if (dw->status != 200)
		return;

	khttpd_mime_type(name, len, type);
	khttpd_docroot_was(d, dw, &old, &oldgz);
	dw->entry = khttpd_docroot_entry(old, file, &st, type,
					 gz == 200 ? KHTTPD_REPR_VARY : 0);
	if (IS_ERR(dw->entry)) {
		fput(file);
		dw->entry = NULL;
		dw->status = 503;
	}
	if (gz == 200 && dw->entry)
		dw->gz = khttpd_docroot_entry(oldgz, gzfile, &gzst, type,
					      KHTTPD_REPR_VARY |
					      KHTTPD_REPR_GZIP);
	if (gz == 200 && (!dw->entry || IS_ERR(dw->gz))) {
		fput(gzfile);
		dw->gz = NULL;
	}
	if (old)
		khttpd_entry_put(old);
	if (oldgz)
		khttpd_entry_put(oldgz);
}

/* Evict by the clock: names hit since the hand passed get another turn. */
static void khttpd_docroot_evict(struct khttpd_docroot *d)
{
	unsigned int scan = d->nr;

	while (d->nr > KHTTPD_DOCROOT_FILES && scan--) {
		struct khttpd_dnode *n = list_last_entry(&d->lru,
							 struct khttpd_dnode,
							 lru);

		if (READ_ONCE(n->used)) {
			WRITE_ONCE(n->used, false);
			list_move(&n->lru, &d->lru);
			continue;
		}
		khttpd_dnode_drop(d, n);
	}
	while (d->nr > KHTTPD_DOCROOT_FILES)
		khttpd_dnode_drop(d, list_last_entry(&d->lru,
						     struct khttpd_dnode, lru));
}

/* Publish @dw's result under its path, replacing what was there. */
static void khttpd_docroot_insert(struct khttpd_docroot *d,
				  struct khttpd_dwait *dw)
{
	u32 hash = dw->hash;
	struct khttpd_dnode *n, *old;

	/* a 503 is passing: not worth remembering */
	n = dw->status == 503 ? NULL :
	    kmalloc(struct_size(n, path, dw->path_len), GFP_KERNEL);
	if (!n) {
		/* what is there stays, and may be looked up again */
		spin_lock_bh(&d->lock);
		old = khttpd_dnode_find(d, dw->path, dw->path_len, hash);
		if (old)
			clear_bit(0, &old->renewing);
		spin_unlock_bh(&d->lock);
		return;
	}
	n->expires = jiffies + KHTTPD_DOCROOT_TTL;
	n->used = false;
	n->renewing = 0;
	n->status = dw->status;
	n->entry = dw->entry ? khttpd_entry_get(dw->entry) : NULL;
	n->gz = dw->gz ? khttpd_entry_get(dw->gz) : NULL;
	n->dmark = dw->dmark;
	n->dgen = dw->dgen;
	n->hash = hash;
	n->path_len = dw->path_len;
	memcpy(n->path, dw->path, dw->path_len);

	spin_lock_bh(&d->lock);
	old = khttpd_dnode_find(d, n->path, n->path_len, hash);
	if (old)
		khttpd_dnode_drop(d, old);
	hlist_add_head_rcu(&n->hnode,
			   &d->hash[hash_32(hash, KHTTPD_DOCROOT_BITS)]);
	list_add(&n->lru, &d->lru);
	d->nr++;
	khttpd_docroot_evict(d);
	spin_unlock_bh(&d->lock);
}

/* Is the page of @file at @pos in its page cache and uptodate? */
static bool khttpd_docroot_cached(struct file *file, u64 pos)
{
	struct folio *folio;
	bool ok;

	folio = filemap_get_folio(file->f_mapping, pos >> PAGE_SHIFT);
	if (IS_ERR(folio))
		return false;
	ok = folio_test_uptodate(folio);
	folio_put(folio);
	return ok;
}

/*
 * Bring the body of @dw's entry at @pos in: read it ahead through the page
 * cache (into nowhere), and if its pages are still not there to be sent,
 * as on filesystems that read around their own page cache, copy a piece.
 * A read that ends before the promised length means the file shrank.
 */
static void khttpd_docroot_read(struct khttpd_dwait *dw)
{
	struct file *file = khttpd_entry_file(dw->file_entry);
	/* @pos is where in the entry: its header fields come first */
	u64 start = dw->pos - khttpd_entry_body_start(dw->file_entry);
	struct bio_vec bv[KHTTPD_BOUNCE_PAGES];
	size_t want = min_t(u64, dw->len, KHTTPD_READAHEAD);
	struct iov_iter iter;
	unsigned int i, nr;
	loff_t pos = start;
	ssize_t n;

	khttpd_stat_inc(docroot_reads);
	iov_iter_discard(&iter, ITER_DEST, want);
	n = vfs_iter_read(file, &iter, &pos, 0);
	if (n >= 0 && (size_t)n < want) {
		dw->err = -EIO;
		return;
	}
	/* a small file is wholly in now: later answers need no read */
	if (n >= 0)
		khttpd_entry_pin(dw->file_entry);
	if (n >= 0 && khttpd_docroot_cached(file, start))
		return;

	want = min_t(u64, dw->len, KHTTPD_BOUNCE_PAGES * PAGE_SIZE);
	nr = DIV_ROUND_UP(want, PAGE_SIZE);
	for (i = 0; i < nr; i++) {
		dw->pages[i] = alloc_page(GFP_KERNEL);
		if (!dw->pages[i]) {
			dw->err = -ENOMEM;
			return;
		}
		bvec_set_page(&bv[i], dw->pages[i],
			      min_t(size_t, PAGE_SIZE, want - i * PAGE_SIZE),
			      0);
	}
	iov_iter_bvec(&iter, ITER_DEST, bv, nr, want);
	pos = start;
	n = vfs_iter_read(file, &iter, &pos, 0);
	if (n < 0 || (size_t)n < want)
		dw->err = n < 0 && n != -EIO ? (int)n : -EIO;
	else
		dw->bounce_len = want;
}

/*
 * The resolve @dw is done and its result published: give it to the
 * requests for the same path that waited on it (each its own references).
 */
static void khttpd_docroot_followers(struct khttpd_docroot *d,
				     struct khttpd_dwait *dw)
{
	struct khttpd_dwait *f, *next;

	spin_lock_bh(&d->lock);
	hlist_del(&dw->pnode);
	f = dw->followers;
	dw->followers = NULL;
	spin_unlock_bh(&d->lock);
	for (; f; f = next) {
		next = f->next;	/* @f may be gone once done */
		f->status = dw->status;
		f->entry = dw->entry ? khttpd_entry_get(dw->entry) : NULL;
		f->gz = dw->gz ? khttpd_entry_get(dw->gz) : NULL;
		f->done(f);
	}
}

/* A resolve of @dw's path already in flight, under the lock; or NULL. */
static struct khttpd_dwait *khttpd_docroot_leader(struct khttpd_docroot *d,
						  struct khttpd_dwait *dw)
{
	struct khttpd_dwait *l;

	hlist_for_each_entry(l, &d->pending[hash_32(dw->hash,
						    KHTTPD_PENDING_BITS)],
			     pnode)
		if (l->hash == dw->hash && l->path_len == dw->path_len &&
		    !memcmp(l->path, dw->path, dw->path_len))
			return l;
	return NULL;
}

static void khttpd_docroot_work(struct work_struct *work)
{
	struct khttpd_dwait *dw = container_of(work, struct khttpd_dwait, work);
	struct khttpd_docroot *d;
	char *name;

	/* the docroot outlives its work: khttpd_docroot_drain() */
	d = rcu_dereference_protected(khttpd_docroot, true);
	if (dw->read) {
		const struct cred *old = override_creds(d->cred);

		khttpd_docroot_read(dw);
		revert_creds(old);
	} else {
		khttpd_stat_inc(docroot_lookups);
		name = kmalloc(KHTTPD_PATH_MAX + sizeof(KHTTPD_INDEX_NAME) + 3,
			       GFP_KERNEL);
		if (name) {
			khttpd_docroot_resolve(d, dw, name, KHTTPD_PATH_MAX +
					       sizeof(KHTTPD_INDEX_NAME) + 3);
			kfree(name);
		} else {
			dw->status = 503;
		}
		khttpd_docroot_insert(d, dw);
		atomic_dec(&d->waiting);
		khttpd_docroot_followers(d, dw);
	}
	dw->done(dw);
}

bool khttpd_docroot_submit(struct khttpd_dwait *dw)
{
	struct khttpd_config cfg;
	struct khttpd_docroot *d;
	bool ok = false;

	khttpd_config_read(&cfg);
	rcu_read_lock();
	d = rcu_dereference(khttpd_docroot);
	if (d) {
		struct khttpd_dwait *leader = NULL;

		if (!dw->read)
			dw->hash = jhash(dw->path, dw->path_len, 0);
		spin_lock_bh(&d->lock);
		/*
		 * A path already being resolved is not resolved again: the
		 * request waits for that result, and takes no place in the
		 * queue (a cold page that everybody asks for at once is one
		 * lookup, not a queue full of them and 503s).
		 */
		if (!d->dead && !dw->read)
			leader = khttpd_docroot_leader(d, dw);
		if (leader) {
			dw->next = leader->followers;
			leader->followers = dw;
			ok = true;
		} else if (!d->dead && (dw->read ||
				 atomic_inc_return(&d->waiting) <=
				 cfg.docroot_queue)) {
			if (!dw->read) {
				dw->followers = NULL;
				hlist_add_head(&dw->pnode,
					       &d->pending[hash_32(dw->hash,
							KHTTPD_PENDING_BITS)]);
			}
			INIT_WORK(&dw->work, khttpd_docroot_work);
			queue_work(khttpd_docroot_wq, &dw->work);
			ok = true;
		} else if (!d->dead) {
			atomic_dec(&d->waiting);
			khttpd_stat_inc(docroot_busy);
		}
		spin_unlock_bh(&d->lock);
	}
	rcu_read_unlock();
	return ok;
}

void khttpd_dwait_release(struct khttpd_dwait *dw)
{
	unsigned int i;

	if (dw->entry)
		khttpd_entry_put(dw->entry);
	if (dw->gz)
		khttpd_entry_put(dw->gz);
	if (dw->file_entry)
		khttpd_entry_put(dw->file_entry);
	for (i = 0; i < KHTTPD_BOUNCE_PAGES; i++)
		if (dw->pages[i])
			put_page(dw->pages[i]);
	kfree(dw->path);
	memset(dw, 0, sizeof(*dw));
}

int khttpd_docroot_list(struct khttpd_list *l)
{
	struct khttpd_lister w;
	struct khttpd_docroot *d;
	struct khttpd_dnode *n;
	int err;

	err = khttpd_list_begin(&w, l, 1 << KHTTPD_DOCROOT_BITS);
	if (err)
		return err;
	rcu_read_lock();
	d = rcu_dereference(khttpd_docroot);
	for (; d && w.bucket < 1 << KHTTPD_DOCROOT_BITS; khttpd_list_next(&w)) {
		hlist_for_each_entry_rcu(n, &d->hash[w.bucket], hnode)
			if (n->entry &&
			    !khttpd_list_add(&w, n->path, n->path_len,
					     khttpd_entry_layout(n->entry)->body_len,
					     khttpd_entry_resource(n->entry)->mtime))
				break;
		if (w.full)
			break;
	}
	rcu_read_unlock();
	return khttpd_list_end(&w);
}

/* How many names the file cache holds, for the counters. */
u64 khttpd_docroot_files(void)
{
	struct khttpd_docroot *d;
	u64 nr = 0;

	rcu_read_lock();
	d = rcu_dereference(khttpd_docroot);
	if (d)
		nr = READ_ONCE(d->nr);
	rcu_read_unlock();
	return nr;
}

int khttpd_docroot_init(void)
{
	khttpd_docroot_wq = alloc_workqueue("khttpd_io", WQ_UNBOUND,
					    KHTTPD_DOCROOT_ACTIVE);
	return khttpd_docroot_wq ? 0 : -ENOMEM;
}

void khttpd_docroot_exit(void)
{
	destroy_workqueue(khttpd_docroot_wq);
}
