// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the MIME table (kmod/mime.c), built with ASan and
 * UBSan: the record checks of KHTTPD_CMD_SET_MIME and the lookup by
 * extension.  mime.c keeps its kernel side under __KERNEL__; the rest is
 * built here as it is, with malloc() standing in for kvmalloc().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"

struct rcu_head {
	void *next, *func;
};

#include "../../kmod/mime.c"

/* A table built from @len bytes of records @buf said to be @count. */
static int build(const void *buf, size_t len, u32 count,
		 struct khttpd_mime_table **out)
{
	struct khttpd_mime_table *t = malloc(khttpd_mime_size(count, len));
	int err;

	if (!t)
		return -ENOMEM;
	khttpd_mime_layout(t, count);
	memcpy(t->recs, buf, len);
	err = khttpd_mime_fill(t, len, count);
	if (err) {
		free(t);
		t = NULL;
	}
	*out = t;
	return err;
}

/* One record "ext" NUL "type" NUL: its result alone. */
static int one(const char *ext, const char *type)
{
	char buf[1024];
	size_t el = strlen(ext), tl = strlen(type);
	struct khttpd_mime_table *t;
	int err;

	memcpy(buf, ext, el + 1);
	memcpy(buf + el + 1, type, tl + 1);
	err = build(buf, el + tl + 2, 1, &t);
	free(t);
	return err;
}

/* The type @t gives file @name, as khttpd_mime_type() would copy it. */
static const char *type_of(const struct khttpd_mime_table *t, const char *name)
{
	const struct khttpd_mime_slot *s = khttpd_mime_lookup(t, name,
							      strlen(name));

	return s ? t->recs + s->type : khttpd_mime_default;
}

TEST(builtin_table)
{
	static const char *const want[][2] = {
		{ "index.html", "text/html" }, { "a.htm", "text/html" },
		{ "s.css", "text/css" }, { "app.js", "text/javascript" },
		{ "m.mjs", "text/javascript" }, { "d.json", "application/json" },
		{ "r.txt", "text/plain" }, { "f.xml", "application/xml" },
		{ "i.svg", "image/svg+xml" }, { "i.png", "image/png" },
		{ "i.jpg", "image/jpeg" }, { "i.jpeg", "image/jpeg" },
		{ "i.gif", "image/gif" }, { "i.webp", "image/webp" },
		{ "i.avif", "image/avif" }, { "favicon.ico", "image/x-icon" },
		{ "f.woff", "font/woff" }, { "f.woff2", "font/woff2" },
		{ "f.ttf", "font/ttf" }, { "f.otf", "font/otf" },
		{ "m.wasm", "application/wasm" }, { "d.pdf", "application/pdf" },
		{ "v.mp4", "video/mp4" }, { "v.webm", "video/webm" },
		{ "a.mp3", "audio/mpeg" }, { "a.ogg", "audio/ogg" },
		{ "z.zip", "application/zip" }, { "z.tar.gz", "application/gzip" },
		{ "z.tar", "application/x-tar" },
		/* case does not count, the last '.' of the last segment does */
		{ "INDEX.HTML", "text/html" }, { "a/b.c/Logo.PnG", "image/png" },
		{ "a.html/file", "application/octet-stream" },
		{ "README", "application/octet-stream" },
		{ ".png", "application/octet-stream" },
		{ "dir/.css", "application/octet-stream" },
		{ "x.", "application/octet-stream" },
		{ "x.exe", "application/octet-stream" },
		{ "x.htmlx", "application/octet-stream" },
		{ "x.htm", "text/html" }, { "x.ht", "application/octet-stream" },
	};
	struct khttpd_mime_table *t;
	size_t i;

	ASSERT_EQ(29, khttpd_mime_builtin_count());
	ASSERT_EQ(0, build(khttpd_mime_builtin, sizeof(khttpd_mime_builtin) - 1,
			   khttpd_mime_builtin_count(), &t));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		EXPECT_STREQ(want[i][1], type_of(t, want[i][0]))
			TH_LOG("%s", want[i][0]);
	free(t);
}

TEST(good_records)
{
	static const char *const ok[][2] = {
		{ "a", "a/b" }, { "A-b_c+9", "x/y" },
		{ "0123456789abcdef0123456789ABCDEF", "text/plain" },	/* 32 */
		{ "h", "text/html; charset=utf-8" },
		{ "h", "text/html;charset=UTF-8" },
		{ "h", "text/html  ;  charset=utf-8" },
		{ "h", "text/plain; charset=utf-8; format=flowed" },
		{ "h", "multipart/x; boundary=\"a b;c=d\\\" \\\\\"" },
		{ "h", "text/plain; a=\"\"" },
		{ "h", "application/vnd.api+json" },
		{ "h", "!#$%&'*+-.^_`|~/!#$%&'*+-.^_`|~" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ok); i++)
		EXPECT_EQ(0, one(ok[i][0], ok[i][1]))
			TH_LOG("\"%s\" \"%s\"", ok[i][0], ok[i][1]);
}

TEST(bad_records)
{
	static const char *const bad[][2] = {
		/* extensions */
		{ "", "text/plain" }, { "a.b", "text/plain" },
		{ "a b", "text/plain" }, { "a/b", "text/plain" },
		{ "\x80", "text/plain" }, { "a\t", "text/plain" },
		{ "0123456789abcdef0123456789ABCDEFx", "text/plain" },	/* 33 */
		/* types */
		{ "a", "" }, { "a", "text" }, { "a", "text/" }, { "a", "/plain" },
		{ "a", "text//plain" }, { "a", "text/plain/x" },
		{ "a", "text/plain " }, { "a", " text/plain" },
		{ "a", "text /plain" }, { "a", "text/pl ain" },
		{ "a", "text/html\r\nX-Evil: 1" }, { "a", "text/html\n" },
		{ "a", "text/ht\tml" }, { "a", "text/html\x7f" },
		{ "a", "text/h\xc3\xa9" }, { "a", "text/html;" },
		{ "a", "text/html; " }, { "a", "text/html; charset" },
		{ "a", "text/html; charset=" }, { "a", "text/html; =utf-8" },
		{ "a", "text/html; charset =utf-8" },
		{ "a", "text/html; charset= utf-8" },
		{ "a", "text/html; charset=utf-8 x" },
		{ "a", "text/html; charset=utf-8;" },
		{ "a", "text/html, text/plain" },
		{ "a", "text/html; a=\"unterminated" },
		{ "a", "text/html; a=\"x\"y" }, { "a", "text/html; a=\"x\\\"" },
		{ "a", "text/html; a=\"tab\there\"" },
		{ "a", "text/html; a=\"nl\nhere\"" },
		{ "a", "text/html; a=\"8bit\xff\"" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, one(bad[i][0], bad[i][1]))
			TH_LOG("\"%s\" \"%s\"", bad[i][0], bad[i][1]);
}

/* The longest type fits; one byte more does not. */
TEST(type_length)
{
	char type[KHTTPD_TYPE_MAX + 2];

	memcpy(type, "a/", 2);
	memset(type + 2, 'b', KHTTPD_TYPE_MAX - 2);
	type[KHTTPD_TYPE_MAX] = '\0';
	EXPECT_EQ(0, one("x", type));
	type[KHTTPD_TYPE_MAX] = 'b';
	type[KHTTPD_TYPE_MAX + 1] = '\0';
	EXPECT_EQ(-EINVAL, one("x", type));
}

/* Every byte value, in an extension and in a type. */
TEST(every_byte)
{
	char ext[2] = "", type[8];
	int c;

	for (c = 1; c < 256; c++) {
		bool ext_ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
			      c == '+';
		bool tchar = ext_ok || (c < 0x7f && strchr("!#$%&'*.^`|~", c));

		ext[0] = c;
		EXPECT_EQ(ext_ok ? 0 : -EINVAL, one(ext, "a/b")) TH_LOG("%#x", c);
		snprintf(type, sizeof(type), "a/b%c", c);
		EXPECT_EQ(tchar ? 0 : -EINVAL, one("x", type)) TH_LOG("%#x", c);
	}
}

TEST(framing)
{
	static const char two[] = "html\0text/html\0css\0text/css\0";
	struct khttpd_mime_table *t;

	/* the right count; one more or less */
	ASSERT_EQ(0, build(two, sizeof(two) - 1, 2, &t));
	EXPECT_STREQ("text/css", type_of(t, "a.CSS"));
	free(t);
	EXPECT_EQ(-EINVAL, build(two, sizeof(two) - 1, 1, &t));
	EXPECT_EQ(-EINVAL, build(two, sizeof(two) - 1, 3, &t));
	/* a record cut short, or bytes left over */
	EXPECT_EQ(-EINVAL, build(two, sizeof(two) - 2, 2, &t));
	EXPECT_EQ(-EINVAL, build(two, sizeof(two) - 10, 2, &t));
	EXPECT_EQ(-EINVAL, build(two, sizeof(two), 2, &t));	/* a NUL */
	EXPECT_EQ(-EINVAL, build("html\0text/html\0x", 16, 1, &t));
	EXPECT_EQ(-EINVAL, build("html", 4, 1, &t));
	EXPECT_EQ(-EINVAL, build("html\0", 5, 1, &t));
	EXPECT_EQ(-EINVAL, build("\0", 1, 0, &t));
	/* the empty table: everything is the default */
	ASSERT_EQ(0, build("", 0, 0, &t));
	EXPECT_STREQ("application/octet-stream", type_of(t, "a.html"));
	free(t);
	EXPECT_EQ(-EINVAL, build("", 0, 1, &t));
}

TEST(duplicates)
{
	static const char dup[] = "html\0text/html\0png\0image/png\0HtMl\0text/x\0";
	struct khttpd_mime_table *t;

	EXPECT_EQ(-EINVAL, build(dup, sizeof(dup) - 1, 3, &t));
	EXPECT_EQ(-EINVAL, build("a\0a/b\0a\0a/b\0", 12, 2, &t));
	/* a prefix is another extension */
	ASSERT_EQ(0, build("htm\0a/b\0html\0c/d\0", 17, 2, &t));
	EXPECT_STREQ("a/b", type_of(t, "x.HTM"));
	EXPECT_STREQ("c/d", type_of(t, "x.hTmL"));
	free(t);
}

/*
 * KHTTPD_MIME_MAX records, every extension found with its own type, and
 * every other case of it too; then one record more is refused.
 */
TEST(full_table)
{
	size_t cap = KHTTPD_MIME_MAX * 40, len = 0;
	char *buf = malloc(cap), name[64], want[64];
	struct khttpd_mime_table *t;
	unsigned int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < KHTTPD_MIME_MAX; i++) {
		len += sprintf(buf + len, "e%ux", i) + 1;	/* with the NUL */
		len += sprintf(buf + len, "t/n%u", i) + 1;
	}
	ASSERT_LE(len, KHTTPD_MIME_BUF_MAX);
	ASSERT_EQ(0, build(buf, len, KHTTPD_MIME_MAX, &t));
	EXPECT_EQ(2 * KHTTPD_MIME_MAX - 1, t->mask);
	for (i = 0; i < KHTTPD_MIME_MAX; i++) {
		snprintf(name, sizeof(name), "dir/f.E%uX", i);
		snprintf(want, sizeof(want), "t/n%u", i);
		ASSERT_STREQ(want, type_of(t, name));
	}
	EXPECT_STREQ("application/octet-stream", type_of(t, "f.e4096x"));
	free(t);
	EXPECT_EQ(-EINVAL, build(buf, len, KHTTPD_MIME_MAX - 1, &t));
	free(buf);
}

TEST_HARNESS_MAIN
