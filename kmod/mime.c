// SPDX-License-Identifier: GPL-2.0
/*
 * Content types of docroot files, by the extension of their name.
 *
 * A table is one allocation: a header, an open-addressing hash table of
 * slots, then the records themselves, kept as KHTTPD_CMD_SET_MIME passes
 * them ("ext" NUL "type" NUL), so that every string in it is already
 * NUL-terminated.  A published table never changes: SET_MIME builds and
 * checks a whole new one, swaps the pointer and frees the old one after a
 * grace period, so a lookup needs nothing but rcu_read_lock().  Lookups
 * come once per file cache fill; hashing the case-folded extension makes
 * them O(1), and finds a repeated extension while the table is built.
 *
 * Until the first SET_MIME the built-in table below applies.  Like nginx's
 * mime.types and Debian's /etc/mime.types (what "khttpctl mime" loads), it
 * names no charset: a header charset would override the <meta charset> of
 * a page written in another encoding, and browsers sniff or default the
 * rest.  A site that wants "; charset=utf-8" loads a table that says so.
 *
 * Everything up to "The kernel side" uses no more than the engine's shim
 * (engine/http_shim.h), so that selftests/unit/mime_test.c can build it
 * on the host, under ASan, and test the checks and the lookup directly.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "mime.h"
#endif
#include <linux/khttpd.h>

#include "http.h"

struct khttpd_mime_slot {
	u32 ext;		/* offsets into the records */
	u32 type;
	u16 type_len;
	u8 ext_len;		/* 0: a free slot */
};

struct khttpd_mime_table {
	struct rcu_head rcu;
	u32 mask;		/* slots - 1: their number is a power of two */
	char *recs;		/* the records, right after the slots */
	struct khttpd_mime_slot slots[];
};

static const char khttpd_mime_default[] = "application/octet-stream";

#define R(ext, type) ext "\0" type "\0"
static const char khttpd_mime_builtin[] =
	R("html", "text/html") R("htm", "text/html")
	R("css", "text/css")
	/* RFC 9239: text/javascript, for classic scripts and modules alike */
	R("js", "text/javascript") R("mjs", "text/javascript")
	R("json", "application/json")
	R("txt", "text/plain")
	R("xml", "application/xml")
	R("svg", "image/svg+xml")
	R("png", "image/png")
	R("jpg", "image/jpeg") R("jpeg", "image/jpeg")
	R("gif", "image/gif")
	R("webp", "image/webp")
	R("avif", "image/avif")
	R("ico", "image/x-icon")
	R("woff", "font/woff") R("woff2", "font/woff2")
	R("ttf", "font/ttf") R("otf", "font/otf")
	/* WebAssembly.instantiateStreaming() insists on exactly this */
	R("wasm", "application/wasm")
	R("pdf", "application/pdf")
	R("mp4", "video/mp4")
	R("webm", "video/webm")
	R("mp3", "audio/mpeg")
	R("ogg", "audio/ogg")
	R("zip", "application/zip")
	R("gz", "application/gzip")
	R("tar", "application/x-tar");
#undef R

/* ASCII only: extensions are, and the C library's tolower() is locale's. */
static inline unsigned char khttpd_mime_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static bool khttpd_mime_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* tchar of RFC 9110 section 5.6.2 */
static bool khttpd_mime_tchar(unsigned char c)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";

	return khttpd_mime_alnum(c) ||
	       (c && memchr(extra, c, sizeof(extra) - 1));
}

/* The length of the token at the start of @s (0: none). */
static size_t khttpd_mime_token(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && khttpd_mime_tchar(s[i]))
		i++;
	return i;
}

/*
 * The length of the quoted-string (RFC 9110 section 5.6.4) at the start of
 * @s, or 0 if there is none.  Neither HTAB nor obs-text: the type goes
 * into a header as it is, and a control or 8-bit byte there is asking for
 * trouble in whatever parses the answer.
 */
static size_t khttpd_mime_quoted(const char *s, size_t len)
{
	size_t i;

	if (!len || s[0] != '"')
		return 0;
	for (i = 1; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"')
			return i + 1;
		if (c == '\\' && ++i == len)
			return 0;
		c = s[i];
		if (c < 0x20 || c > 0x7e)
			return 0;
	}
	return 0;
}

static bool khttpd_mime_ext_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || len > KHTTPD_MIME_EXT_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!khttpd_mime_alnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '+')
			return false;
	return true;
}

/*
 * A media type: type "/" subtype *( OWS ";" OWS name "=" value ), value a
 * token or a quoted-string, OWS spaces only, and nothing after it.  RFC
 * 9110 also allows an empty parameter ("text/html;"); no server sends one.
 */
static bool khttpd_mime_type_ok(const char *s, size_t len)
{
	size_t i, n;

	if (len > KHTTPD_TYPE_MAX)
		return false;
	n = khttpd_mime_token(s, len);
	if (!n || n == len || s[n] != '/')
		return false;
	i = n + 1;
	n = khttpd_mime_token(s + i, len - i);
	if (!n)
		return false;
	for (i += n; i < len; i += n) {
		while (i < len && s[i] == ' ')
			i++;
		if (i == len || s[i] != ';')
			return false;
		i++;
		while (i < len && s[i] == ' ')
			i++;
		n = khttpd_mime_token(s + i, len - i);
		if (!n || i + n == len || s[i + n] != '=')
			return false;
		i += n + 1;
		n = khttpd_mime_quoted(s + i, len - i);
		if (!n)
			n = khttpd_mime_token(s + i, len - i);
		if (!n)
			return false;
	}
	return true;
}

/* FNV-1a of the case-folded extension */
static u32 khttpd_mime_hash(const char *s, size_t len)
{
	u32 h = 2166136261u;

	while (len--)
		h = (h ^ khttpd_mime_lower(*s++)) * 16777619u;
	return h;
}

static bool khttpd_mime_same(const char *a, const char *b, size_t len)
{
	while (len--)
		if (khttpd_mime_lower(*a++) != khttpd_mime_lower(*b++))
			return false;
	return true;
}

/*
 * Slots for @count records: a power of two at least twice as many, so
 * that a probe always ends at a free slot, and stays short.
 */
static u32 khttpd_mime_nslots(u32 count)
{
	u32 n = 1;

	while (n < 2 * count)
		n <<= 1;
	return n;
}

/* Bytes of a table of @count records, @len bytes of them. */
static size_t khttpd_mime_size(u32 count, size_t len)
{
	return sizeof(struct khttpd_mime_table) +
	       khttpd_mime_nslots(count) * sizeof(struct khttpd_mime_slot) + len;
}

/* Lay out a table for @count records at @mem; its slots are cleared. */
static struct khttpd_mime_table *khttpd_mime_layout(void *mem, u32 count)
{
	struct khttpd_mime_table *t = mem;
	u32 n = khttpd_mime_nslots(count);

	memset(t, 0, sizeof(*t) + n * sizeof(t->slots[0]));
	t->mask = n - 1;
	t->recs = (char *)&t->slots[n];
	return t;
}

/* The slot of extension @ext (@len bytes) in @t, or NULL. */
static const struct khttpd_mime_slot *
khttpd_mime_find(const struct khttpd_mime_table *t, const char *ext,
		 size_t len)
{
	u32 i = khttpd_mime_hash(ext, len) & t->mask;
	const struct khttpd_mime_slot *s;

	for (;; i = (i + 1) & t->mask) {
		s = &t->slots[i];
		if (!s->ext_len)
			return NULL;
		if (s->ext_len == len &&
		    khttpd_mime_same(t->recs + s->ext, ext, len))
			return s;
	}
}

/*
 * Check the @len bytes of records in @t->recs, which must be exactly
 * @count of them, and enter each in @t's slots (laid out for @count).
 * -EINVAL for anything the KHTTPD_CMD_SET_MIME comment does not allow.
 */
static int khttpd_mime_fill(struct khttpd_mime_table *t, size_t len,
			    u32 count)
{
	const char *p = t->recs, *end = p + len, *ext, *type, *nul;
	struct khttpd_mime_slot *s;
	size_t ext_len, type_len;
	u32 n = 0, i;

	while (p < end) {
		ext = p;
		nul = memchr(ext, '\0', end - ext);
		if (!nul)
			return -EINVAL;
		ext_len = nul - ext;
		type = nul + 1;
		nul = memchr(type, '\0', end - type);
		if (!nul)
			return -EINVAL;
		type_len = nul - type;
		p = nul + 1;
		/* before it is entered: the slots are sized for @count */
		if (++n > count || !khttpd_mime_ext_ok(ext, ext_len) ||
		    !khttpd_mime_type_ok(type, type_len) ||
		    khttpd_mime_find(t, ext, ext_len))
			return -EINVAL;
		i = khttpd_mime_hash(ext, ext_len) & t->mask;
		while (t->slots[i].ext_len)
			i = (i + 1) & t->mask;
		s = &t->slots[i];
		s->ext = ext - t->recs;
		s->ext_len = ext_len;
		s->type = type - t->recs;
		s->type_len = type_len;
	}
	return n == count ? 0 : -EINVAL;
}

/* The records of the built-in table: one NUL-terminated pair each. */
static u32 khttpd_mime_builtin_count(void)
{
	u32 nuls = 0;
	size_t i;

	for (i = 0; i < sizeof(khttpd_mime_builtin) - 1; i++)
		nuls += !khttpd_mime_builtin[i];
	return nuls / 2;
}

/* The slot for file name @name (@len bytes) in @t, or NULL. */
static const struct khttpd_mime_slot *
khttpd_mime_lookup(const struct khttpd_mime_table *t, const char *name,
		   size_t len)
{
	size_t ext_len;
	const char *ext = khttpd_http_extension(name, len, &ext_len);

	if (!ext || !ext_len || ext_len > KHTTPD_MIME_EXT_MAX)
		return NULL;
	return khttpd_mime_find(t, ext, ext_len);
}

#ifdef __KERNEL__
/* ---- The kernel side: publishing under RCU, SET_MIME, lookups --------- */

static struct khttpd_mime_table __rcu *khttpd_mime_cur;
static DEFINE_MUTEX(khttpd_mime_lock);	/* serialises the swaps */

/* Put @t in force; the table it replaces goes after a grace period. */
static void khttpd_mime_publish(struct khttpd_mime_table *t)
{
	struct khttpd_mime_table *old;

	mutex_lock(&khttpd_mime_lock);
	old = rcu_replace_pointer(khttpd_mime_cur, t,
				  lockdep_is_held(&khttpd_mime_lock));
	mutex_unlock(&khttpd_mime_lock);
	if (old)
		kvfree_rcu(old, rcu);
}

int khttpd_mime_init(void)
{
	u32 count = khttpd_mime_builtin_count();
	size_t len = sizeof(khttpd_mime_builtin) - 1;
	struct khttpd_mime_table *t;
	int err;

	t = kvmalloc(khttpd_mime_size(count, len), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	khttpd_mime_layout(t, count);
	memcpy(t->recs, khttpd_mime_builtin, len);
	/* the same checks as a caller's table: a bad built-in one is a bug */
	err = khttpd_mime_fill(t, len, count);
	if (err) {
		pr_err("built-in MIME table rejected: %d\n", err);
		kvfree(t);
		return err;
	}
	RCU_INIT_POINTER(khttpd_mime_cur, t);
	return 0;
}

void khttpd_mime_exit(void)
{
	struct khttpd_mime_table *t;

	t = rcu_replace_pointer(khttpd_mime_cur, NULL, true);
	/* the servers are stopped, but a lookup may still be finishing */
	synchronize_rcu();
	kvfree(t);
}

int khttpd_mime_set_user(const struct khttpd_mime *m)
{
	struct khttpd_mime_table *t;
	int err;

	if (m->flags || memchr_inv(m->reserved, 0, sizeof(m->reserved)) ||
	    m->count > KHTTPD_MIME_MAX || m->buf_len > KHTTPD_MIME_BUF_MAX)
		return -EINVAL;
	/*
	 * Up to a MiB, kept as long as the table is in force: charged to
	 * the caller's memory cgroup, and no allocation warning for it.
	 */
	t = kvmalloc(khttpd_mime_size(m->count, m->buf_len),
		     GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!t)
		return -ENOMEM;
	khttpd_mime_layout(t, m->count);
	err = -EFAULT;
	if (copy_from_user(t->recs, u64_to_user_ptr(m->buf), m->buf_len))
		goto fail;
	err = khttpd_mime_fill(t, m->buf_len, m->count);
	if (err)
		goto fail;
	khttpd_mime_publish(t);
	return 0;
fail:
	kvfree(t);
	return err;
}

size_t khttpd_mime_type(const char *name, size_t len, char *out)
{
	const struct khttpd_mime_table *t;
	const struct khttpd_mime_slot *s = NULL;
	size_t n;

	rcu_read_lock();
	t = rcu_dereference(khttpd_mime_cur);
	if (t)
		s = khttpd_mime_lookup(t, name, len);
	if (s) {
		n = s->type_len;
		memcpy(out, t->recs + s->type, n + 1);	/* with its NUL */
	} else {
		n = sizeof(khttpd_mime_default) - 1;
		memcpy(out, khttpd_mime_default, n + 1);
	}
	rcu_read_unlock();
	return n;
}
#endif /* __KERNEL__ */
