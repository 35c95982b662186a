// SPDX-License-Identifier: GPL-2.0
/*
 * The content store: prebuilt responses keyed by URL path.
 *
 * Lookups are lock-free under RCU and take a reference; writers serialise
 * on a spinlock.  Replacing a path swaps the hash node in one step, so a
 * request sees either the old entry or the new one, and answers in flight
 * keep the old one alive through their references.  An entry is freed
 * after its last reference and an RCU grace period (lookups may still be
 * reading it).  Its memory is charged against mem_cap from allocation to
 * that free, so content still in flight after a replace counts too.
 */
#include <linux/bvec.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/jhash.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/swap.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <linux/khttpd.h>

#include "config.h"
#include "store.h"

/*
 * A hot docroot file's body: a reference on each of its page cache pages,
 * taken once (khttpd_entry_pin()), so that answers describe the pages
 * straight from this array as stored content does, instead of looking
 * each one up in the mapping and taking and dropping a reference on it
 * per answer.  The pages cannot be reclaimed meanwhile: they are counted
 * against mem_cap, in what the store leaves, and let go of with the entry.
 */
struct khttpd_pin {
	u64 charge;			/* bytes counted in khttpd_pin_bytes */
	unsigned int nr;
	struct page *pages[];
};

/*
 * A stored response: [304 fields][200 fields][body] in pages (see
 * enum khttpd_part), immutable once published.  Page-backed so that it
 * can be handed to TCP by reference (MSG_SPLICE_PAGES): the skbs then hold
 * their own page references, and replacing or deleting the entry while it
 * is in flight is safe.
 */
struct khttpd_entry {
	struct hlist_node node;		/* in the store's hash, under RCU */
	struct rcu_work rwork;		/* frees it, after a grace period */
	refcount_t ref;
	u32 hash;
	char *path;
	u32 path_len;
	char *type;			/* Content-Type (NULL for an error) */
	char *cache_control;		/* or NULL */
	/*
	 * A docroot file's: its body is not in @pages but in the page cache
	 * of @file (which the entry holds open), from offset 0.
	 */
	struct file *file;
	struct khttpd_pin *pin;		/* set once, or NULL */
	struct timespec64 mtime, ctime;	/* the file's, when it was opened */
	/*
	 * Its change cookie (i_version) then, if the filesystem has one.
	 * Our getattr queried it, so the next change increments it.
	 */
	u64 change_cookie;
	bool has_cookie;
	u8 repr_flags;			/* KHTTPD_REPR_* */
	struct khttpd_resource res;	/* validators, for the engine */
	char etag[KHTTPD_ETAG_LEN];
	struct khttpd_layout layout;	/* its three parts */
	int status;			/* 200, or the error it answers */
	u64 charge;			/* bytes counted against mem_cap */
	u64 size;			/* of the three parts */
	unsigned int nr_pages;		/* allocated so far */
	struct page *pages[];
};

/* The largest entry: a body of KHTTPD_BODY_MAX and its header fields. */
#define KHTTPD_ENTRY_MAX	(KHTTPD_BODY_MAX + PAGE_SIZE)

#define KHTTPD_STORE_BITS	12

static struct hlist_head khttpd_store[1 << KHTTPD_STORE_BITS];
static DEFINE_SPINLOCK(khttpd_store_lock);
static u64 khttpd_store_entries;		/* under the lock */
static struct workqueue_struct *khttpd_store_wq;	/* frees entries */
static atomic64_t khttpd_store_bytes = ATOMIC64_INIT(0);
static atomic64_t khttpd_pin_bytes = ATOMIC64_INIT(0);	/* docroot pins */

/* Error responses, prebuilt like any entry but not reachable by path. */
static struct khttpd_entry *khttpd_errors[KHTTPD_N_ERRORS];

/* Pages released (and allocated) per step, between two cond_resched(). */
#define KHTTPD_PAGE_BATCH	512

/* Process context: a large entry is many pages, so it yields as it goes. */
static void khttpd_entry_free(struct khttpd_entry *e)
{
	unsigned int i, n;

	for (i = 0; i < e->nr_pages; i += n) {
		n = min_t(unsigned int, e->nr_pages - i, KHTTPD_PAGE_BATCH);
		release_pages(e->pages + i, n);
		cond_resched();
	}
	atomic64_sub(e->charge, &khttpd_store_bytes);
	if (e->pin) {
		for (i = 0; i < e->pin->nr; i += n) {
			n = min_t(unsigned int, e->pin->nr - i,
				  KHTTPD_PAGE_BATCH);
			release_pages(e->pin->pages + i, n);
			cond_resched();
		}
		atomic64_sub(e->pin->charge, &khttpd_pin_bytes);
		kvfree(e->pin);
	}
	if (e->file)
		fput(e->file);	/* deferred: see khttpd_store_quiesce() */
	kfree(e->path);
	kfree(e->type);
	kfree(e->cache_control);
	kvfree(e);
}

static void khttpd_entry_free_work(struct work_struct *work)
{
	khttpd_entry_free(container_of(to_rcu_work(work), struct khttpd_entry,
				       rwork));
}

/*
 * Lookups may still be reading the entry, and a large one is many pages:
 * free it from a workqueue after a grace period, never in the RCU callback
 * (softirq) itself.  References are dropped by the workers and the control
 * path, all before khttpd_store_exit() (the server is stopped first).
 */
void khttpd_entry_put(struct khttpd_entry *e)
{
	if (refcount_dec_and_test(&e->ref))
		queue_rcu_work(khttpd_store_wq, &e->rwork);
}

/*
 * An entry of @size bytes.  With @charge, its memory is counted against
 * mem_cap, and the allocation fails with -ENOSPC past it.  An entry the
 * machine could not hold is -ENOMEM before anything is allocated, and the
 * page allocations give up rather than call the OOM killer: a PUT must
 * fail, not take the machine down.  Not charged to the caller's memory
 * cgroup: content is the server's, outlives the caller and has mem_cap
 * (and __GFP_ACCOUNT would turn the bulk allocation into one per page).
 */
static struct khttpd_entry *khttpd_entry_alloc(u64 size, bool charge)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN;
	struct khttpd_config cfg;
	struct khttpd_entry *e;
	unsigned int done, got, nr;
	size_t head;
	u64 bytes;

	/* bounded first, so that no sum or count below can wrap */
	if (size > KHTTPD_ENTRY_MAX)
		return ERR_PTR(-EFBIG);
	khttpd_config_read(&cfg);
	nr = DIV_ROUND_UP_ULL(size, PAGE_SIZE);
	head = struct_size(e, pages, nr);
	bytes = (u64)nr * PAGE_SIZE + head;
	if (charge && size > cfg.mem_cap)
		return ERR_PTR(-ENOSPC);
	if (nr > si_mem_available())
		return ERR_PTR(-ENOMEM);
	if (charge && atomic64_add_return(bytes, &khttpd_store_bytes) >
		      cfg.mem_cap) {
		atomic64_sub(bytes, &khttpd_store_bytes);
		return ERR_PTR(-ENOSPC);
	}
	e = kvzalloc(head, GFP_KERNEL | __GFP_NOWARN);
	if (!e) {
		if (charge)
			atomic64_sub(bytes, &khttpd_store_bytes);
		return ERR_PTR(-ENOMEM);
	}
	e->charge = charge ? bytes : 0;
	e->size = size;
	e->status = 200;
	refcount_set(&e->ref, 1);
	INIT_RCU_WORK(&e->rwork, khttpd_entry_free_work);
	for (done = 0; done < nr; done += got) {
		got = alloc_pages_bulk_array(gfp, min_t(unsigned int, nr - done,
							KHTTPD_PAGE_BATCH),
					     e->pages + done);
		e->nr_pages = done + got;
		if (!got) {
			khttpd_entry_free(e);
			return ERR_PTR(-ENOMEM);
		}
		cond_resched();
	}
	return e;
}

static void khttpd_entry_write(struct khttpd_entry *e, u64 off,
			       const void *src, size_t len)
{
	while (len) {
		unsigned int poff = offset_in_page(off);
		size_t n = min_t(size_t, len, PAGE_SIZE - poff);

		memcpy_to_page(e->pages[off >> PAGE_SHIFT], poff, src, n);
		src += n;
		off += n;
		len -= n;
	}
}

/* Copy a body from user memory to @off, hashing it for the ETag. */
static int khttpd_entry_write_user(struct khttpd_entry *e, u64 off,
				   const void __user *src, u64 len, u64 *hash)
{
	while (len) {
		unsigned int poff = offset_in_page(off);
		size_t n = min_t(u64, len, PAGE_SIZE - poff);
		void *dst = kmap_local_page(e->pages[off >> PAGE_SHIFT]) + poff;
		unsigned long left = copy_from_user(dst, src, n);

		if (!left)
			*hash = khttpd_http_hash(*hash, dst, n);
		kunmap_local(dst);
		if (left)
			return -EFAULT;
		src += n;
		off += n;
		len -= n;
		cond_resched();
	}
	return 0;
}

/*
 * A docroot file's body bytes from @pos, from uptodate page cache folios
 * only (looked up without waiting), and only while the file still has
 * the length the answer promises.
 */
static bool khttpd_entry_file_copy(const struct khttpd_entry *e, u64 pos,
				   void *dst, u32 len)
{
	struct address_space *mapping = e->file->f_mapping;
	/* pairs with khttpd_entry_pin()'s cmpxchg_release: a whole pin */
	const struct khttpd_pin *pin = smp_load_acquire(&e->pin);

	if (i_size_read(file_inode(e->file)) < e->layout.body_len)
		return false;
	while (pin && len) {
		unsigned int poff = offset_in_page(pos);
		u32 n = min_t(u32, len, PAGE_SIZE - poff);

		memcpy_from_page(dst, pin->pages[pos >> PAGE_SHIFT], poff, n);
		dst += n;
		pos += n;
		len -= n;
	}
	while (len) {
		struct folio *folio = filemap_get_folio(mapping,
							pos >> PAGE_SHIFT);
		size_t foff;
		u32 n;

		if (IS_ERR(folio))
			return false;
		if (!folio_test_uptodate(folio)) {
			folio_put(folio);
			return false;
		}
		foff = pos - folio_pos(folio);
		n = min_t(u64, len, folio_size(folio) - foff);
		memcpy_from_folio(dst, folio, foff, n);
		folio_put(folio);
		dst += n;
		pos += n;
		len -= n;
	}
	return true;
}

bool khttpd_entry_copy(const struct khttpd_entry *e, u64 off, void *dst,
		       u32 len)
{
	u64 body = (u64)e->layout.nm_len + e->layout.fields_len;

	while (len) {
		unsigned int poff = offset_in_page(off);
		u32 n = min_t(u32, len, PAGE_SIZE - poff);

		if (e->file && off >= body)
			return khttpd_entry_file_copy(e, off - body, dst, len);
		if (e->file)
			n = min_t(u64, n, body - off);
		memcpy_from_page(dst, e->pages[off >> PAGE_SHIFT], poff, n);
		dst += n;
		off += n;
		len -= n;
	}
	return true;
}

/* Where the body starts: a docroot file's is at offset 0 of its file. */
u64 khttpd_entry_body_start(const struct khttpd_entry *e)
{
	return (u64)e->layout.nm_len + e->layout.fields_len;
}

/*
 * A docroot file's body from @pos: the uptodate folios of its page cache
 * that follow one another from there, never waiting for one (an RCU walk
 * of the mapping).  Their references go in @fb, for the caller to drop
 * once TCP has taken its own.
 */
static int khttpd_entry_file_bvecs(const struct khttpd_entry *e, u64 pos,
				   u64 len, struct bio_vec *bv,
				   unsigned int max, size_t *bytes,
				   struct folio_batch *fb)
{
	struct address_space *mapping = e->file->f_mapping;
	pgoff_t index = pos >> PAGE_SHIFT;
	pgoff_t last = (pos + len - 1) >> PAGE_SHIFT;
	unsigned int first = folio_batch_count(fb), i, n = 0;
	const struct khttpd_pin *pin;

	/*
	 * A file that now ends before the length we promised can only be
	 * answered wrongly: the caller aborts the connection.  (Growing is
	 * fine: we send what we promised.)
	 */
	if (i_size_read(file_inode(e->file)) < e->layout.body_len)
		return -EIO;
	/* pairs with khttpd_entry_pin()'s cmpxchg_release: a whole pin */
	pin = smp_load_acquire(&e->pin);
	if (pin) {
		while (len && n < max) {
			unsigned int poff = offset_in_page(pos);
			size_t part = min_t(u64, len, PAGE_SIZE - poff);

			bvec_set_page(&bv[n++], pin->pages[pos >> PAGE_SHIFT],
				      part, poff);
			*bytes += part;
			pos += part;
			len -= part;
		}
		return n;
	}
	if (!folio_batch_space(fb))
		return 0;
	filemap_get_folios_contig(mapping, &index, last, fb);
	for (i = first; i < folio_batch_count(fb); i++) {
		struct folio *folio = fb->folios[i];
		size_t foff, part;

		if (n == max || !len || !folio_test_uptodate(folio) ||
		    pos < folio_pos(folio))
			break;
		foff = pos - folio_pos(folio);
		part = min_t(u64, len, folio_size(folio) - foff);
		bvec_set_folio(&bv[n++], folio, part, foff);
		/* for reclaim; its LRU batches are not for softirq */
		if (!in_softirq())
			folio_mark_accessed(folio);
		*bytes += part;
		pos += part;
		len -= part;
	}
	/* the folios not used: not uptodate, or past what fits */
	while (folio_batch_count(fb) > first + n)
		folio_put(fb->folios[--fb->nr]);
	return n ? n : -EAGAIN;
}

/*
 * Describe up to @max page pieces of [@off, @off + @len) of @e in @bv;
 * returns how many, and adds the bytes they cover to *@bytes.  For a
 * docroot file, -EAGAIN if its next page is not in the page cache (or
 * not uptodate), -EIO if the file shrank.
 */
int khttpd_entry_bvecs(const struct khttpd_entry *e, u64 off, u64 len,
		       struct bio_vec *bv, unsigned int max, size_t *bytes,
		       struct folio_batch *fb)
{
	u64 body = khttpd_entry_body_start(e);
	int n = 0, ret;

	while (len && n < max) {
		unsigned int poff = offset_in_page(off);
		u32 part = min_t(u64, len, PAGE_SIZE - poff);

		if (e->file && off >= body) {
			ret = khttpd_entry_file_bvecs(e, off - body, len,
						      bv + n, max - n, bytes,
						      fb);
			if (ret < 0 && (ret == -EIO || !n))
				return ret;
			return n + max(ret, 0);
		}
		if (e->file)
			part = min_t(u64, part, body - off);
		bvec_set_page(&bv[n++], e->pages[off >> PAGE_SHIFT], part,
			      poff);
		*bytes += part;
		off += part;
		len -= part;
	}
	return n;
}

/* Header field values: visible ASCII, spaces and tabs only. */
static bool khttpd_field_value_ok(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
		    (unsigned char)v[i] >= 0x7f)
			return false;
	return len && v[0] != ' ' && v[0] != '\t' &&
	       v[len - 1] != ' ' && v[len - 1] != '\t';
}

/* What a PUT describes, with its strings copied into the kernel. */
struct khttpd_content {
	char *path;
	u32 path_len;
	char *type;
	char *cache_control;
	u64 body_len;
	u64 mtime;
};

/*
 * Build an entry for @c.  The header fields are made by the HTTP engine
 * (so both servers send the same bytes) with a placeholder ETag of the
 * right size: the real one needs the body's hash, and the body is copied
 * (from @kbody if set, else from user memory at @ubody) after the
 * fields' room is known.
 */
static struct khttpd_entry *khttpd_entry_build(struct khttpd_content *c,
					       const void __user *ubody,
					       const void *kbody)
{
	char etag[KHTTPD_ETAG_LEN];
	struct khttpd_resource res = {
		.etag = etag, .etag_len = KHTTPD_ETAG_LEN, .mtime = c->mtime,
	};
	u64 hash = KHTTPD_HASH_INIT;
	struct khttpd_entry *e;
	size_t nm, fields;
	char *buf;
	int err;

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	memset(etag, '0', sizeof(etag));
	nm = khttpd_http_resource_fields(buf, PAGE_SIZE / 2, &res, c->type,
					 c->cache_control, c->body_len, true);
	fields = khttpd_http_resource_fields(buf, PAGE_SIZE / 2, &res,
					     c->type, c->cache_control,
					     c->body_len, false);
	if (!nm || !fields) {
		e = ERR_PTR(-EINVAL);
		goto out;
	}
	/* (KHTTPD_BODY_MAX bounds the sum below: it cannot wrap) */
	e = khttpd_entry_alloc(nm + fields + c->body_len, true);
	if (IS_ERR(e))
		goto out;

	/* by @kbody: a user's body pointer may well be NULL */
	if (kbody) {
		hash = khttpd_http_hash(hash, kbody, c->body_len);
		khttpd_entry_write(e, nm + fields, kbody, c->body_len);
	} else {
		err = khttpd_entry_write_user(e, nm + fields, ubody,
					      c->body_len, &hash);
		if (err) {
			khttpd_entry_free(e);
			e = ERR_PTR(err);
			goto out;
		}
	}
	khttpd_http_make_etag(etag, hash, c->body_len, c->mtime);
	khttpd_http_resource_fields(buf, PAGE_SIZE / 2, &res, c->type,
				    c->cache_control, c->body_len, true);
	khttpd_entry_write(e, 0, buf, nm);
	khttpd_http_resource_fields(buf, PAGE_SIZE / 2, &res, c->type,
				    c->cache_control, c->body_len, false);
	khttpd_entry_write(e, nm, buf, fields);

	memcpy(e->etag, etag, sizeof(etag));
	e->res = res;
	e->res.etag = e->etag;
	e->layout.nm_len = nm;
	e->layout.fields_len = fields;
	e->layout.body_len = c->body_len;
	/* kept for the answers written per request: 206 and 416 */
	e->type = kstrdup(c->type, GFP_KERNEL);
	e->cache_control = c->cache_control ?
			   kstrdup(c->cache_control, GFP_KERNEL) : NULL;
	if (!e->type || (c->cache_control && !e->cache_control)) {
		khttpd_entry_free(e);
		e = ERR_PTR(-ENOMEM);
		goto out;
	}
	e->path = c->path;
	e->path_len = c->path_len;
	e->hash = jhash(c->path, c->path_len, 0);
	c->path = NULL;		/* the entry owns it now */
out:
	kfree(buf);
	return e;
}

static struct hlist_head *khttpd_bucket(u32 hash)
{
	return &khttpd_store[hash_32(hash, KHTTPD_STORE_BITS)];
}

static struct khttpd_entry *khttpd_store_find_locked(const char *path,
						     u32 len, u32 hash)
{
	struct khttpd_entry *e;

	hlist_for_each_entry(e, khttpd_bucket(hash), node)
		if (e->hash == hash && e->path_len == len &&
		    !memcmp(e->path, path, len))
			return e;
	return NULL;
}

/*
 * Publish @e under its path, replacing (and releasing) any previous one,
 * unless @only_new and there is one (then -EEXIST).
 */
static int khttpd_store_insert(struct khttpd_entry *e, bool only_new)
{
	struct khttpd_entry *old;

	spin_lock(&khttpd_store_lock);
	old = khttpd_store_find_locked(e->path, e->path_len, e->hash);
	if (old && only_new) {
		spin_unlock(&khttpd_store_lock);
		return -EEXIST;
	}
	if (old) {
		hlist_replace_rcu(&old->node, &e->node);
	} else {
		hlist_add_head_rcu(&e->node, khttpd_bucket(e->hash));
		khttpd_store_entries++;
	}
	spin_unlock(&khttpd_store_lock);
	if (old)
		khttpd_entry_put(old);
	return 0;
}

struct khttpd_entry *khttpd_store_get(const char *path, u32 len)
{
	u32 hash = jhash(path, len, 0);
	struct khttpd_entry *e;

	rcu_read_lock();
again:
	hlist_for_each_entry_rcu(e, khttpd_bucket(hash), node) {
		if (e->hash != hash || e->path_len != len ||
		    memcmp(e->path, path, len))
			continue;
		if (refcount_inc_not_zero(&e->ref))
			break;
		/*
		 * A dying match was replaced (its successor is already
		 * published) or deleted: look again rather than miss it.
		 */
		goto again;
	}
	rcu_read_unlock();
	return e;
}

/* The prebuilt error response for @status (500's if none), with a reference. */
struct khttpd_entry *khttpd_store_error(int status)
{
	struct khttpd_entry *e = khttpd_errors[khttpd_http_error_index(status)];

	refcount_inc(&e->ref);
	return e;
}

bool khttpd_entry_file_changed(const struct khttpd_entry *e)
{
	const struct inode *inode = file_inode(e->file);
	struct timespec64 m = inode_get_mtime(inode);
	struct timespec64 c = inode_get_ctime(inode);

	/*
	 * Unlocked reads: a change caught late is caught by the TTL.  The
	 * times have the clock tick's grain, so a rewrite of the same size
	 * within the tick of the last write is seen only by the i_version,
	 * which the renewal compares (khttpd_entry_same()).
	 */
	return !READ_ONCE(inode->i_nlink) ||
	       i_size_read(inode) != e->layout.body_len ||
	       !timespec64_equal(&m, &e->mtime) ||
	       !timespec64_equal(&c, &e->ctime);
}

struct khttpd_entry *khttpd_entry_get(struct khttpd_entry *e)
{
	refcount_inc(&e->ref);
	return e;
}

struct file *khttpd_entry_file(const struct khttpd_entry *e)
{
	return e->file;
}

bool khttpd_entry_same(const struct khttpd_entry *e, const struct file *file,
		       const struct kstat *st, const char *type, u8 repr_flags)
{
	bool cookie = st->result_mask & STATX_CHANGE_COOKIE;

	return e->file && file_inode(e->file) == file_inode(file) &&
	       e->repr_flags == repr_flags && !strcmp(e->type, type) &&
	       e->has_cookie == cookie &&
	       (!cookie || e->change_cookie == st->change_cookie) &&
	       !khttpd_entry_file_changed(e);
}

/*
 * Are @folio's bytes of a file of @len bytes valid?  A folio not uptodate
 * may still hold them all, as the last page of a file just written on a
 * filesystem with blocks smaller than a page does: its blocks past the
 * end were never read.  filemap_read() copies from such a folio, and so
 * may we.  Its buffers are looked at under the folio lock.
 */
static bool khttpd_folio_holds(struct address_space *mapping,
			       struct folio *folio, u64 len)
{
	bool ok;

	if (folio_test_uptodate(folio))
		return true;
	if (!mapping->a_ops->is_partially_uptodate ||
	    mapping->host->i_blkbits >= folio_shift(folio))
		return false;
	folio_lock(folio);
	ok = folio->mapping == mapping &&
	     (folio_test_uptodate(folio) ||
	      mapping->a_ops->is_partially_uptodate(folio, 0,
			min_t(u64, folio_size(folio), len - folio_pos(folio))));
	folio_unlock(folio);
	return ok;
}

/*
 * Pin @e's body if it is a docroot file of at most KHTTPD_PIN_MAX bytes,
 * wholly in the page cache and uptodate, and mem_cap has room left by the
 * store: a reference on each of its pages.  Process context (it allocates,
 * locks folios and drains LRU batches); nothing happens if any page is
 * missing, or if the entry is pinned already.
 */
void khttpd_entry_pin(struct khttpd_entry *e)
{
	u64 len = e->layout.body_len, bytes;
	struct address_space *mapping;
	struct khttpd_config cfg;
	struct folio_batch fb;
	struct khttpd_pin *pin;
	unsigned int nr, i = 0, j;
	pgoff_t index = 0;

	if (!e->file || READ_ONCE(e->pin) || !len || len > KHTTPD_PIN_MAX ||
	    i_size_read(file_inode(e->file)) < len)
		return;
	mapping = e->file->f_mapping;
	nr = DIV_ROUND_UP_ULL(len, PAGE_SIZE);
	bytes = (u64)nr * PAGE_SIZE;
	khttpd_config_read(&cfg);
	if (atomic64_read(&khttpd_store_bytes) +
	    atomic64_add_return(bytes, &khttpd_pin_bytes) > cfg.mem_cap)
		goto uncharge;
	pin = kvmalloc(struct_size(pin, pages, nr), GFP_KERNEL | __GFP_NOWARN);
	if (!pin)
		goto uncharge;
	folio_batch_init(&fb);
	while (i < nr && filemap_get_folios_contig(mapping, &index, nr - 1,
						   &fb)) {
		for (j = 0; j < folio_batch_count(&fb); j++) {
			struct folio *folio = fb.folios[j];
			unsigned int k, take;

			/* contiguous from page i, which it holds */
			if (folio->index > i ||
			    !khttpd_folio_holds(mapping, folio, len))
				break;
			k = i - folio->index;
			take = min_t(unsigned int, folio_nr_pages(folio) - k,
				     nr - i);
			folio_ref_add(folio, take);
			while (take--)
				pin->pages[i++] = folio_page(folio, k++);
		}
		j = j < folio_batch_count(&fb);	/* stopped early */
		folio_batch_release(&fb);
		if (j)
			break;
	}
	if (i < nr)
		goto release;
	pin->nr = nr;
	pin->charge = bytes;
	/* published whole: readers load it with acquire */
	if (!cmpxchg_release(&e->pin, NULL, pin))
		return;
release:
	release_pages(pin->pages, i);
	kvfree(pin);
uncharge:
	atomic64_sub(bytes, &khttpd_pin_bytes);
}

u64 khttpd_store_pinned(void)
{
	return atomic64_read(&khttpd_pin_bytes);
}

const struct khttpd_resource *khttpd_entry_resource(const struct khttpd_entry *e)
{
	return &e->res;
}

const struct khttpd_layout *khttpd_entry_layout(const struct khttpd_entry *e)
{
	return &e->layout;
}

bool khttpd_entry_repr(const struct khttpd_entry *e, struct khttpd_repr *rep)
{
	if (!e->type)
		return false;
	rep->res = &e->res;
	rep->type = e->type;
	rep->cache_control = e->cache_control;
	rep->len = e->layout.body_len;
	rep->flags = e->repr_flags;
	return true;
}

/*
 * An entry for a docroot file: its header parts prebuilt in pages, its
 * body the file's (khttpd_entry_bvecs()).  The ETag hashes what tells one
 * version of a file from another without reading it: device, inode, size
 * and the modification and change times to the nanosecond, so a file
 * replaced by rename, rewritten in place or touched gets a new one.  Not
 * charged against mem_cap: a page of fields, the body is the page
 * cache's.  Takes over @file's reference on success.
 */
struct khttpd_entry *khttpd_entry_from_file(struct file *file,
					    const struct kstat *st,
					    const char *type, u8 repr_flags)
{
	u64 mtime = st->mtime.tv_sec > 0 ? st->mtime.tv_sec : 0;
	struct khttpd_resource res = {
		.etag_len = KHTTPD_ETAG_LEN, .mtime = mtime,
	};
	struct khttpd_repr rep = {
		.res = &res, .type = type, .len = st->size,
		.flags = repr_flags,
	};
	u64 id[5] = {
		st->dev, st->ino, st->mtime.tv_sec << 30 | st->mtime.tv_nsec,
		st->ctime.tv_sec << 30 | st->ctime.tv_nsec, st->change_cookie,
	};
	struct khttpd_entry *e;
	size_t nm, fields;
	char *buf;

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	e = khttpd_entry_alloc(2 * KHTTPD_TYPE_MAX + 512, false);
	if (IS_ERR(e))
		goto out;
	khttpd_http_make_etag(e->etag, khttpd_http_hash(KHTTPD_HASH_INIT, id,
							 sizeof(id)),
			      st->size, mtime);
	res.etag = e->etag;
	nm = khttpd_http_fields(buf, PAGE_SIZE / 2, &rep, 304, NULL);
	fields = khttpd_http_fields(buf + nm, PAGE_SIZE / 2, &rep, 200, NULL);
	e->type = kstrdup(type, GFP_KERNEL);
	if (!nm || !fields || nm + fields > e->nr_pages * PAGE_SIZE ||
	    !e->type) {
		khttpd_entry_free(e);
		e = ERR_PTR(-ENOMEM);
		goto out;
	}
	khttpd_entry_write(e, 0, buf, nm + fields);
	e->res = res;
	e->layout.nm_len = nm;
	e->layout.fields_len = fields;
	e->layout.body_len = st->size;
	e->status = 200;
	e->repr_flags = repr_flags;
	e->mtime = st->mtime;
	e->ctime = st->ctime;
	e->has_cookie = st->result_mask & STATX_CHANGE_COOKIE;
	e->change_cookie = st->change_cookie;
	e->file = file;
out:
	kfree(buf);
	return e;
}

/*
 * A 301 to directory @path + "/" (and "?" @query), built for one answer
 * like an error response.  Not kept: directories are few and asked for
 * rarely without their '/', so building costs less than caching would.
 */
struct khttpd_entry *khttpd_entry_redirect(const char *path, size_t len,
					   const char *query, size_t qlen)
{
	size_t cap = KHTTPD_REDIRECT_MAX(len, qlen), n, fields;
	struct khttpd_entry *e;
	char *buf;

	buf = kvmalloc(cap, GFP_KERNEL);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	n = khttpd_http_redirect(buf, cap, path, len, query, qlen, &fields);
	e = n ? khttpd_entry_alloc(n, false) : ERR_PTR(-EINVAL);
	if (!IS_ERR(e)) {
		khttpd_entry_write(e, 0, buf, n);
		e->status = 301;
		e->layout.fields_len = fields;
		e->layout.body_len = n - fields;
	}
	kvfree(buf);
	return e;
}

/*
 * Until every docroot entry is freed and its file closed, the filesystem
 * it is on cannot be unmounted: wait for the frees queued so far (after
 * their grace periods), then for the final fput()s, which a kernel thread
 * leaves to a work item.  The file cache (docroot.c) has been emptied.
 */
void khttpd_store_quiesce(void)
{
	/* twice: a docroot node's callback queues its entries' frees */
	rcu_barrier();
	rcu_barrier();
	flush_workqueue(khttpd_store_wq);
	flush_delayed_fput();
}

/* Put the built-in page at "/", unless something is there already. */
int khttpd_store_put_builtin(void)
{
	static const char hello[] = "Hello, World!";
	struct khttpd_content c = {
		.path_len = 1,
		.type = "text/plain; charset=utf-8",
		.body_len = sizeof(hello) - 1,
		.mtime = ktime_get_real_seconds(),
	};
	struct khttpd_entry *e;
	int err;

	c.path = kstrdup("/", GFP_KERNEL);
	if (!c.path)
		return -ENOMEM;
	e = khttpd_entry_build(&c, NULL, hello);
	kfree(c.path);
	if (IS_ERR(e))
		return PTR_ERR(e);
	err = khttpd_store_insert(e, true);
	if (err)
		khttpd_entry_put(e);
	return err == -EEXIST ? 0 : err;
}

/* Copy a string argument of a command; NUL-terminated for the kernel. */
static char *khttpd_copy_arg(u64 uptr, u32 len, u32 max, int *err)
{
	char *s;

	if (len > max) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	s = memdup_user_nul(u64_to_user_ptr(uptr), len);
	if (IS_ERR(s)) {
		*err = PTR_ERR(s);
		return NULL;
	}
	return s;
}

int khttpd_store_put_user(const struct khttpd_put *put)
{
	struct khttpd_content c = {
		.path_len = put->path_len,
		.body_len = put->body_len,
		.mtime = put->mtime ? put->mtime : ktime_get_real_seconds(),
	};
	struct khttpd_entry *e;
	int err = 0;

	if (put->flags || put->reserved0 ||
	    memchr_inv(put->reserved, 0, sizeof(put->reserved)))
		return -EINVAL;
	if (put->body_len > KHTTPD_BODY_MAX)
		return -EFBIG;
	c.path = khttpd_copy_arg(put->path, put->path_len, KHTTPD_PATH_MAX,
				 &err);
	if (!c.path)
		return err;
	err = -EINVAL;
	if (!khttpd_http_path_ok(c.path, c.path_len))
		goto out;
	c.type = khttpd_copy_arg(put->type, put->type_len, KHTTPD_TYPE_MAX,
				 &err);
	if (!c.type || !khttpd_field_value_ok(c.type, put->type_len)) {
		err = c.type ? -EINVAL : err;
		goto out;
	}
	if (put->cache_control_len) {
		c.cache_control = khttpd_copy_arg(put->cache_control,
						  put->cache_control_len,
						  KHTTPD_TYPE_MAX, &err);
		if (!c.cache_control ||
		    !khttpd_field_value_ok(c.cache_control,
					   put->cache_control_len)) {
			err = c.cache_control ? -EINVAL : err;
			goto out;
		}
	} else if (put->cache_control) {
		goto out;	/* a pointer without a length */
	}

	e = khttpd_entry_build(&c, u64_to_user_ptr(put->body), NULL);
	if (IS_ERR(e)) {
		err = PTR_ERR(e);
		goto out;
	}
	err = khttpd_store_insert(e, false);
out:
	kfree(c.path);
	kfree(c.type);
	kfree(c.cache_control);
	return err;
}

int khttpd_store_delete_user(const char __user *upath, u32 len)
{
	struct khttpd_entry *e;
	int err = 0;
	char *path;
	u32 hash;

	path = khttpd_copy_arg((u64)(uintptr_t)upath, len, KHTTPD_PATH_MAX,
			       &err);
	if (!path)
		return err;
	hash = jhash(path, len, 0);
	spin_lock(&khttpd_store_lock);
	e = khttpd_store_find_locked(path, len, hash);
	if (e) {
		hlist_del_rcu(&e->node);
		khttpd_store_entries--;
	}
	spin_unlock(&khttpd_store_lock);
	kfree(path);
	if (!e)
		return -ENOENT;
	khttpd_entry_put(e);
	return 0;
}

/*
 * Listing (KHTTPD_CMD_LIST), the store's and the docroot's: one page of
 * records at a time.  The cursor is (bucket << 32 | index in bucket);
 * records are gathered under RCU into a kernel buffer, then copied out.
 */
int khttpd_list_begin(struct khttpd_lister *w, struct khttpd_list *l,
		      u32 buckets)
{
	*w = (struct khttpd_lister){
		.l = l, .cap = min_t(u32, l->buf_len, 1 << 20),
		.bucket = l->cursor >> 32, .skip = (u32)l->cursor,
	};
	if (memchr_inv(l->reserved, 0, sizeof(l->reserved)) ||
	    l->cursor == KHTTPD_LIST_END || w->bucket >= buckets)
		return -EINVAL;
	w->kbuf = kvmalloc(w->cap ? w->cap : 1, GFP_KERNEL);
	if (!w->kbuf)
		return -ENOMEM;
	l->count = 0;
	return 0;
}

bool khttpd_list_add(struct khttpd_lister *w, const char *path, u32 path_len,
		     u64 body_len, u64 mtime)
{
	struct khttpd_list_entry *r = (void *)(w->kbuf + w->used);
	size_t len = ALIGN(sizeof(*r) + path_len, 8);

	if (w->idx++ < w->skip)
		return true;	/* on an earlier page */
	if (w->used + len > w->cap) {
		w->full = true;
		w->skip = w->idx - 1;
		return false;
	}
	memset(r, 0, len);
	r->rec_len = len;
	r->path_len = path_len;
	r->body_len = body_len;
	r->mtime = mtime;
	memcpy(r->path, path, path_len);
	w->used += len;
	w->l->count++;
	return true;
}

void khttpd_list_next(struct khttpd_lister *w)
{
	w->bucket++;
	w->skip = 0;
	w->idx = 0;
}

int khttpd_list_end(struct khttpd_lister *w)
{
	struct khttpd_list *l = w->l;
	int err = 0;

	if (w->full && !l->count)
		err = -EINVAL;	/* the buffer cannot hold the next record */
	else if (w->used &&
		 copy_to_user(u64_to_user_ptr(l->buf), w->kbuf, w->used))
		err = -EFAULT;
	l->cursor = w->full ? (u64)w->bucket << 32 | w->skip : KHTTPD_LIST_END;
	kvfree(w->kbuf);
	return err;
}

int khttpd_store_list(struct khttpd_list *l)
{
	struct khttpd_lister w;
	struct khttpd_entry *e;
	int err;

	if (l->flags)
		return -EINVAL;
	err = khttpd_list_begin(&w, l, ARRAY_SIZE(khttpd_store));
	if (err)
		return err;
	rcu_read_lock();
	for (; w.bucket < ARRAY_SIZE(khttpd_store); khttpd_list_next(&w)) {
		hlist_for_each_entry_rcu(e, &khttpd_store[w.bucket], node)
			if (!khttpd_list_add(&w, e->path, e->path_len,
					     e->layout.body_len, e->res.mtime))
				break;
		if (w.full)
			break;
	}
	rcu_read_unlock();
	return khttpd_list_end(&w);
}

void khttpd_store_clear(void)
{
	struct khttpd_entry *e;
	struct hlist_node *tmp;
	unsigned int i;

	spin_lock(&khttpd_store_lock);
	for (i = 0; i < ARRAY_SIZE(khttpd_store); i++) {
		hlist_for_each_entry_safe(e, tmp, &khttpd_store[i], node) {
			hlist_del_rcu(&e->node);
			khttpd_entry_put(e);
		}
	}
	khttpd_store_entries = 0;
	spin_unlock(&khttpd_store_lock);
}

void khttpd_store_usage(u64 *entries, u64 *bytes)
{
	spin_lock(&khttpd_store_lock);
	*entries = khttpd_store_entries;
	spin_unlock(&khttpd_store_lock);
	*bytes = atomic64_read(&khttpd_store_bytes);
}

int khttpd_store_init(void)
{
	unsigned int i;
	char *buf;

	khttpd_store_wq = alloc_workqueue("khttpd_store", WQ_UNBOUND, 0);
	if (!khttpd_store_wq)
		return -ENOMEM;
	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf) {
		destroy_workqueue(khttpd_store_wq);
		return -ENOMEM;
	}
	for (i = 0; i < KHTTPD_N_ERRORS; i++) {
		struct khttpd_entry *e;
		size_t fields, len;

		len = khttpd_http_error_response(buf, PAGE_SIZE,
						 khttpd_http_error_status[i],
						 &fields);
		e = khttpd_entry_alloc(len, false);
		if (IS_ERR(e)) {
			kfree(buf);
			khttpd_store_exit();
			return PTR_ERR(e);
		}
		e->status = khttpd_http_error_status[i];
		e->layout.fields_len = fields;
		e->layout.body_len = len - fields;
		khttpd_entry_write(e, 0, buf, len);
		khttpd_errors[i] = e;
	}
	kfree(buf);
	return 0;
}

void khttpd_store_exit(void)
{
	unsigned int i;
	s64 left;

	khttpd_store_clear();
	for (i = 0; i < ARRAY_SIZE(khttpd_errors); i++) {
		if (khttpd_errors[i])
			khttpd_entry_put(khttpd_errors[i]);
		khttpd_errors[i] = NULL;
	}
	/*
	 * Entries are freed by work queued from RCU callbacks: wait for the
	 * callbacks, then for the work they queued.
	 */
	rcu_barrier();
	destroy_workqueue(khttpd_store_wq);
	left = atomic64_read(&khttpd_store_bytes);
	if (left)
		pr_err("leak: %lld bytes of content not freed\n", left);
}
