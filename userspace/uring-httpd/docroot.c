// SPDX-License-Identifier: GPL-2.0
/*
 * uring-httpd's docroot (--root): request paths mapped to files by the
 * engine's khttpd_http_docroot_name(), looked up with IORING_OP_OPENAT2
 * beneath the root's directory fd, and a per-thread open-file cache so
 * that a hot file costs no lookup at all.
 *
 * Lookups resolve with RESOLVE_BENEATH (no absolute or ".." escape, even
 * through a symlink), RESOLVE_NO_MAGICLINKS (no /proc/self/fd/N) and
 * RESOLVE_NO_XDEV (no mount crossed: a /proc or a device tree bound
 * inside the root stays out of reach), and RESOLVE_NO_SYMLINKS with
 * --no-symlinks.  The lookup opens O_PATH, which opens nothing: a FIFO
 * cannot hang it, a device node's driver never runs.  Only what statx
 * then says is a regular file is opened for reading, by reopening that
 * very inode through /proc/self/fd (no second lookup to race with).  The
 * identity and its "NAME.gz" sibling are looked up at the same time, with
 * the same checks.
 *
 * A cache entry, per request path, holds what the lookup found (struct
 * dres: the descriptors, statx results and prebuilt header fields of both
 * variants, or a status for a negative answer) for cfg.cache_valid_ms;
 * after that the next request looks up again (that request waits, as on
 * a miss) and the entry is replaced if the inode, size, mtime or ctime
 * changed.  At most cfg.cache_entries per thread, the least recently used
 * dropped first.  Connections waiting for a lookup queue on its entry, so
 * that a path is looked up once however many ask for it.
 *
 * Also here: the extension-to-type table, from --mime-types.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "uring-httpd.h"

/* ---- MIME types ---------------------------------------------------------- */

struct mime {
	struct mime *next;
	char *ext;		/* lower case */
	char *type;
};

#define MIME_BUCKETS 1024
static struct mime *mime_table[MIME_BUCKETS];
static const char octet_stream[] = "application/octet-stream";

/* Without a mime.types file: the common web types. */
static const char *const builtin_mime[][2] = {
	{ "html", "text/html" }, { "htm", "text/html" },
	{ "css", "text/css" }, { "js", "text/javascript" },
	{ "mjs", "text/javascript" }, { "json", "application/json" },
	{ "txt", "text/plain" }, { "xml", "application/xml" },
	{ "svg", "image/svg+xml" }, { "png", "image/png" },
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" }, { "webp", "image/webp" },
	{ "ico", "image/vnd.microsoft.icon" }, { "woff", "font/woff" },
	{ "woff2", "font/woff2" }, { "wasm", "application/wasm" },
	{ "pdf", "application/pdf" },
};

static unsigned int mime_hash(const char *ext, size_t len)
{
	unsigned int h = 0;
	size_t i;

	for (i = 0; i < len; i++)
		h = h * 31 + tolower((unsigned char)ext[i]);
	return h % MIME_BUCKETS;
}

/*
 * The rules of the module's table (KHTTPD_CMD_SET_MIME), so that both
 * servers accept the same file: an extension of letters, digits, '-', '_'
 * or '+', and a type of at most KHTTPD_TYPE_MAX bytes with a '/'.
 */
static bool mime_ok(const char *ext, const char *type)
{
	size_t i, n = strlen(ext);

	if (!n || n > KHTTPD_MIME_EXT_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)ext[i]) && !strchr("-_+", ext[i]))
			return false;
	return strlen(type) <= KHTTPD_TYPE_MAX && strchr(type, '/');
}

/* Add @ext -> @type; the first line naming an extension wins. */
static bool mime_add(const char *ext, const char *type)
{
	unsigned int h = mime_hash(ext, strlen(ext));
	struct mime *m;
	size_t i;

	if (!mime_ok(ext, type))
		return false;
	for (m = mime_table[h]; m; m = m->next)
		if (!strcasecmp(m->ext, ext))
			return false;
	m = malloc(sizeof(*m));
	if (!m)
		die("out of memory");
	m->ext = strdup(ext);
	m->type = strdup(type);
	if (!m->ext || !m->type)
		die("out of memory");
	for (i = 0; m->ext[i]; i++)
		m->ext[i] = tolower((unsigned char)m->ext[i]);
	m->next = mime_table[h];
	mime_table[h] = m;
	return true;
}

static void mime_load(void)
{
	const char *file = cfg.mime_types;
	unsigned long n = 0;
	char line[4096];
	size_t i;
	FILE *f;

	f = fopen(file, "re");
	if (!f) {
		fprintf(stderr, "uring-httpd: %s: %s: the built-in MIME types\n",
			file, strerror(errno));
		for (i = 0; i < ARRAY_SIZE(builtin_mime); i++)
			mime_add(builtin_mime[i][0], builtin_mime[i][1]);
		return;
	}
	/* a type, then its extensions; '#' starts a comment */
	while (fgets(line, sizeof(line), f)) {
		char *save, *type, *ext;

		line[strcspn(line, "#")] = '\0';
		type = strtok_r(line, " \t\r\n", &save);
		if (!type)
			continue;
		while ((ext = strtok_r(NULL, " \t\r\n", &save)))
			n += mime_add(ext, type);
	}
	fclose(f);
	fprintf(stderr, "uring-httpd: %lu MIME types from %s\n", n, file);
}

/* The Content-Type of file @name, by its extension. */
static const char *mime_type(const char *name, size_t len)
{
	size_t elen;
	const char *ext = khttpd_http_extension(name, len, &elen);
	struct mime *m;

	if (!ext)
		return octet_stream;
	for (m = mime_table[mime_hash(ext, elen)]; m; m = m->next)
		if (!strncasecmp(m->ext, ext, elen) && !m->ext[elen])
			return m->type;
	return octet_stream;
}

/* ---- results ------------------------------------------------------------- */

/* The negative answers: one shared object each, never freed. */
static struct dres st_301 = { .refs = -1, .status = 301 };
static struct dres st_403 = { .refs = -1, .status = 403 };
static struct dres st_404 = { .refs = -1, .status = 404 };
static struct dres st_500 = { .refs = -1, .status = 500 };
static struct dres st_503 = { .refs = -1, .status = 503 };

void dres_put(struct dres *d)
{
	int i;

	if (d->refs < 0 || --d->refs)
		return;
	for (i = 0; i < d->nvar; i++) {
		close(d->v[i].fd);
		free(d->v[i].fields);
	}
	free(d);
}

/*
 * What a failed open means.  A missing name is a 404; a name we may not
 * or will not open is a 403: permissions, and every escape that openat2
 * refused (EXDEV: out of the root or across a mount; ELOOP: a symlink
 * with --no-symlinks or a magic link), and a socket or a device without
 * a driver.  Running out of something is a 503, anything else a 500:
 * neither is cached.
 */
static struct dres *open_error(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return &st_404;
	case EACCES:
	case EPERM:
	case EXDEV:
	case ELOOP:
	case ENXIO:
	case ENODEV:
	case EOPNOTSUPP:
		return &st_403;
	case EMFILE:
	case ENFILE:
	case ENOMEM:
	case EAGAIN:
	case EINTR:
	case EBUSY:
		return &st_503;
	}
	return &st_500;
}

static bool transient(const struct dres *d)
{
	return d == &st_500 || d == &st_503;
}

static uint64_t ns(const struct statx_timestamp *t)
{
	return (uint64_t)t->tv_sec * 1000000000ULL + t->tv_nsec;
}

/* The FNV hash of @v's eight bytes, little-endian whatever the CPU. */
static uint64_t hash_u64(uint64_t h, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = v >> (8 * i);
	return khttpd_http_hash(h, b, 8);
}

#define DVAR_FIELDS_MAX 1024

/*
 * A variant from its open descriptor and statx.  The ETag is the engine's
 * fixed-size tag over the inode number and mtime in ns, folded with the
 * size: a change of content that keeps all three (rewritten in place
 * within one timestamp tick) is not seen, as by every server that does
 * not hash content.
 */
static void dvar_build(struct dvar *v, int fd, const struct statx *stx,
		       const char *type, uint8_t flags)
{
	struct khttpd_repr rep = { .res = &v->res, .type = type };
	uint64_t h;
	size_t nm, f;

	v->fd = fd;
	v->size = stx->stx_size;
	v->ino = stx->stx_ino;
	v->mtime_ns = ns(&stx->stx_mtime);
	v->ctime_ns = ns(&stx->stx_ctime);
	h = hash_u64(hash_u64(KHTTPD_HASH_INIT, v->ino), v->mtime_ns);
	khttpd_http_make_etag(v->etag, h, v->size, v->mtime_ns);
	v->res.etag = v->etag;
	v->res.etag_len = KHTTPD_ETAG_LEN;
	v->res.mtime = stx->stx_mtime.tv_sec < 0 ? 0 : stx->stx_mtime.tv_sec;
	v->flags = flags;
	rep.len = v->size;
	rep.flags = flags;
	v->fields = malloc(DVAR_FIELDS_MAX);
	if (!v->fields)
		die("out of memory");
	nm = khttpd_http_fields(v->fields, DVAR_FIELDS_MAX, &rep, 304, NULL);
	f = khttpd_http_fields(v->fields + nm, DVAR_FIELDS_MAX - nm, &rep, 200,
			       NULL);
	if (!nm || !f)
		die("header fields of a docroot file do not fit");
	v->nm_len = nm;
	v->f_len = f;
}

/*
 * statx of an open descriptor: the inode is in memory once open, so this
 * does not block the thread (IORING_OP_STATX would cost a round trip).
 */
static bool fd_statx(int fd, struct statx *stx)
{
	return !statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT,
		      STATX_TYPE | STATX_MODE | STATX_INO | STATX_SIZE |
		      STATX_MTIME | STATX_CTIME, stx);
}

static bool same_file(const struct dres *a, const struct dres *b)
{
	int i;

	if (a->status != b->status || a->nvar != b->nvar)
		return false;
	for (i = 0; i < a->nvar; i++)
		if (a->v[i].ino != b->v[i].ino ||
		    a->v[i].size != b->v[i].size ||
		    a->v[i].mtime_ns != b->v[i].mtime_ns ||
		    a->v[i].ctime_ns != b->v[i].ctime_ns)
			return false;
	return true;
}

/* ---- the cache ----------------------------------------------------------- */

struct dlookup;

struct dent {
	struct dent *hnext;
	struct dent *prev, *next;	/* LRU: head most recent */
	struct dres *cur;		/* NULL until the first lookup ends */
	uint64_t expires_ms;		/* trusted until (CLOCK_MONOTONIC) */
	struct dlookup *lk;		/* in flight, or NULL */
	struct dwait *waiters;
	uint32_t hash, path_len;
	char path[];
};

struct dcache {
	struct dent **table;
	unsigned int mask;
	struct dent *head, *tail;
	unsigned int n;
	bool noatime;		/* O_NOATIME until it is refused once */
};

/* One lookup: the identity [0] and the gzip sibling [1], opened at once. */
struct dlookup {
	struct dent *e;
	struct worker *w;
	struct open_how how[2];
	int res[2];
	int pending;
	bool slash;		/* the request path ends with '/' */
	char *name[2];
	size_t name_len;
	char names[];
} __attribute__((aligned(16)));	/* the op in 4 bits of user_data */

struct dcache *docroot_cache_new(void)
{
	struct dcache *dc = calloc(1, sizeof(*dc));
	unsigned int size = 16;

	while (size < 2 * cfg.cache_entries)
		size *= 2;
	if (!dc)
		die("out of memory");
	dc->table = calloc(size, sizeof(*dc->table));
	if (!dc->table)
		die("out of memory");
	dc->mask = size - 1;
	dc->noatime = true;
	return dc;
}

static void lru_unlink(struct dcache *dc, struct dent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		dc->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		dc->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_front(struct dcache *dc, struct dent *e)
{
	e->next = dc->head;
	e->prev = NULL;
	if (dc->head)
		dc->head->prev = e;
	else
		dc->tail = e;
	dc->head = e;
}

static void dent_drop(struct dcache *dc, struct dent *e)
{
	struct dent **p = &dc->table[e->hash & dc->mask];

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	lru_unlink(dc, e);
	if (e->cur)
		dres_put(e->cur);
	free(e);
	dc->n--;
}

/*
 * Over the bound: drop the least recently used entries.  One with a
 * lookup in flight stays (its waiters need it): the bound can be passed
 * by as many lookups as are in flight.
 */
static void evict(struct dcache *dc)
{
	struct dent *e = dc->tail, *prev;

	while (dc->n > cfg.cache_entries && e) {
		prev = e->prev;
		if (!e->lk)
			dent_drop(dc, e);
		e = prev;
	}
}

static void wait_on(struct dent *e, struct dwait *wt)
{
	wt->on = e;
	wt->res = NULL;
	wt->prev = NULL;
	wt->next = e->waiters;
	if (e->waiters)
		e->waiters->prev = wt;
	e->waiters = wt;
}

void docroot_unwait(struct dwait *wt)
{
	struct dent *e = wt->on;

	if (e) {
		if (wt->prev)
			wt->prev->next = wt->next;
		else
			e->waiters = wt->next;
		if (wt->next)
			wt->next->prev = wt->prev;
		wt->on = NULL;
	}
	if (wt->res) {
		dres_put(wt->res);
		wt->res = NULL;
	}
}

static void open_submit(struct dlookup *lk, int i)
{
	struct io_uring_sqe *sqe = get_sqe(lk->w);

	io_uring_prep_openat2(sqe, cfg.root_fd, lk->name[i], &lk->how[i]);
	io_uring_sqe_set_data64(sqe, UD(lk, i ? OP_OPEN_GZ : OP_OPEN));
}

/*
 * Start looking @e's path up.  Returns the result when it is known at
 * once (a name no docroot serves: 404); else NULL, the opens queued.
 */
static struct dres *lookup_start(struct worker *w, struct dent *e)
{
	char name[PATH_MAX];
	struct dlookup *lk;
	size_t n, size;
	int i;

	n = khttpd_http_docroot_name(e->path, e->path_len, name, sizeof(name));
	if (!n)
		return &st_404;
	size = sizeof(*lk) + 2 * n + 5;
	size = (size + 15) & ~(size_t)15;
	lk = aligned_alloc(16, size);
	if (!lk)
		die("out of memory");
	memset(lk, 0, sizeof(*lk));
	lk->e = e;
	lk->w = w;
	lk->slash = e->path[e->path_len - 1] == '/';
	lk->name_len = n;
	lk->name[0] = lk->names;
	lk->name[1] = lk->names + n + 1;
	memcpy(lk->name[0], name, n + 1);
	memcpy(lk->name[1], name, n);
	memcpy(lk->name[1] + n, ".gz", 4);
	for (i = 0; i < 2; i++) {
		lk->how[i].flags = O_PATH | O_CLOEXEC;
		lk->how[i].resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
				     RESOLVE_NO_XDEV |
				     (cfg.no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
		open_submit(lk, i);
	}
	lk->pending = 2;
	e->lk = lk;
	return NULL;
}

/*
 * Open for reading the regular file that O_PATH descriptor @fd is (and
 * close @fd): the inode the lookup found, whatever its name is now.
 * O_NOATIME is for the file's owner (or CAP_FOWNER): once refused, this
 * thread stops asking, rather than pay two opens for every file of
 * another owner.  A descriptor, or -1 with errno set.
 */
static int reopen(struct dcache *dc, int fd)
{
	char path[32];
	int r, err;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = open(path, O_RDONLY | O_CLOEXEC | (dc->noatime ? O_NOATIME : 0));
	if (r < 0 && errno == EPERM && dc->noatime) {
		dc->noatime = false;
		r = open(path, O_RDONLY | O_CLOEXEC);
	}
	err = errno;
	close(fd);
	errno = err;
	return r;
}

/* What the two lookups of @lk found; closes what it does not keep. */
static struct dres *lookup_result(struct dlookup *lk)
{
	struct statx stx, gz;
	struct dres *d;
	int fd = lk->res[0], gfd = lk->res[1];
	bool have_gz;

	if (fd < 0) {
		d = open_error(-fd);
		goto out;
	}
	if (!fd_statx(fd, &stx)) {
		d = open_error(errno);
		goto out;
	}
	if (S_ISDIR(stx.stx_mode)) {
		/* without the '/', the index would resolve against the parent */
		d = lk->slash ? &st_403 : &st_301;
		goto out;
	}
	if (!S_ISREG(stx.stx_mode)) {
		d = &st_403;	/* FIFO, device, socket: never read */
		goto out;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		die("out of memory");
	d->refs = 1;
	d->status = 200;
	d->type = mime_type(lk->name[0], lk->name_len);
	have_gz = gfd >= 0 && fd_statx(gfd, &gz) && S_ISREG(gz.stx_mode);
	fd = reopen(lk->w->dc, fd);
	if (fd < 0) {
		free(d);
		d = open_error(errno);
		goto out;
	}
	if (have_gz) {
		gfd = reopen(lk->w->dc, gfd);
		have_gz = gfd >= 0;
	}
	dvar_build(&d->v[0], fd, &stx, d->type,
		   have_gz ? KHTTPD_REPR_VARY : 0);
	d->nvar = 1;
	if (have_gz) {
		dvar_build(&d->v[1], gfd, &gz, d->type, KHTTPD_REPR_GZIP);
		d->nvar = 2;
		return d;
	}
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	if (gfd >= 0)
		close(gfd);
	return d;
}

/* The lookup of @e is done with @d (a reference): keep it, wake its waiters. */
static void lookup_done(struct worker *w, struct dent *e, struct dres *d)
{
	struct dcache *dc = w->dc;
	struct dwait *list, *wt, *next;

	if (e->cur && same_file(e->cur, d)) {
		/* unchanged: keep the descriptors and fields already built */
		dres_put(d);
		d = e->cur;
	} else {
		if (e->cur)
			dres_put(e->cur);
		e->cur = d;
	}
	e->expires_ms = transient(d) ? 0 : w->now_ms + cfg.cache_valid_ms;
	lru_unlink(dc, e);
	lru_front(dc, e);
	/*
	 * Every waiter gets its result before any is woken: a woken
	 * connection may look paths up, evict @e, or close another one.
	 */
	list = e->waiters;
	e->waiters = NULL;
	for (wt = list; wt; wt = wt->next) {
		wt->on = NULL;
		dres_get(d);
		wt->res = d;
	}
	for (wt = list; wt; wt = next) {
		next = wt->next;
		wt->prev = wt->next = NULL;
		conn_wake(wt);
	}
	evict(dc);
}

void docroot_on_open(struct worker *w, struct io_uring_cqe *cqe)
{
	struct dlookup *lk = UD_PTR(cqe->user_data);
	int i = UD_OP(cqe->user_data) == OP_OPEN_GZ;
	struct dent *e = lk->e;

	lk->res[i] = cqe->res;
	if (--lk->pending)
		return;
	e->lk = NULL;
	lookup_done(w, e, lookup_result(lk));
	free(lk);
}

static uint32_t path_hash(const char *p, size_t len)
{
	return (uint32_t)khttpd_http_hash(KHTTPD_HASH_INIT, p, len);
}

struct dres *docroot_get(struct worker *w, const char *path, uint32_t len,
			 struct dwait *wt)
{
	struct dcache *dc = w->dc;
	uint32_t h = path_hash(path, len);
	struct dent *e;
	struct dres *d;

	for (e = dc->table[h & dc->mask]; e; e = e->hnext)
		if (e->hash == h && e->path_len == len &&
		    !memcmp(e->path, path, len))
			break;
	if (e && !e->lk && w->now_ms < e->expires_ms) {
		/* the hot path: a hit */
		if (dc->head != e) {
			lru_unlink(dc, e);
			lru_front(dc, e);
		}
		dres_get(e->cur);
		return e->cur;
	}
	if (!e) {
		e = calloc(1, sizeof(*e) + len);
		if (!e)
			die("out of memory");
		memcpy(e->path, path, len);
		e->path_len = len;
		e->hash = h;
		e->hnext = dc->table[h & dc->mask];
		dc->table[h & dc->mask] = e;
		lru_front(dc, e);
		dc->n++;
	}
	if (!e->lk) {
		d = lookup_start(w, e);
		if (d) {
			/* known at once: cache it like any answer */
			e->expires_ms = w->now_ms + cfg.cache_valid_ms;
			if (e->cur)
				dres_put(e->cur);
			e->cur = d;
			evict(dc);
			dres_get(d);
			return d;
		}
	}
	wait_on(e, wt);
	evict(dc);
	return NULL;
}

void docroot_init(void)
{
	struct stat st;

	mime_load();
	/*
	 * O_PATH: only a starting point for lookups, opened as whoever
	 * started us, like the module's root fd; no mount is crossed from it.
	 */
	cfg.root_fd = open(cfg.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cfg.root_fd < 0)
		die("%s: %s", cfg.root, strerror(errno));
	if (fstat(cfg.root_fd, &st))
		die("%s: %s", cfg.root, strerror(errno));
}
