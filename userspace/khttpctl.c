// SPDX-License-Identifier: GPL-2.0
/*
 * khttpctl: control khttpd through /dev/khttpd.
 *
 * One wrapper per command around khttpd_ctl_cmd() (ctl_client.c), which
 * sends it as an io_uring uring_cmd, or as an ioctl with --ioctl or where
 * io_uring is unavailable.  "load" keeps many PUTs in flight per submit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "conf.h"
#include "ctl_client.h"
#include "site.h"

static struct khttpd_ctl ctl;
static bool json;

static void die(const char *step, int err)
{
	fprintf(stderr, "khttpctl: %s: %s\n", step, strerror(err < 0 ? -err : err));
	exit(1);
}

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("khttpctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see khttpctl --help)\n", stderr);
	va_end(ap);
	exit(2);
}

static void usage(void)
{
	printf(
"usage: khttpctl [--ioctl] [--json] [--device PATH] COMMAND [ARGS]\n"
"\n"
"Control the in-kernel HTTP server khttpd.\n"
"\n"
"commands:\n"
"  version                       ABI version, features, transport\n"
"  start [--addr A]... [--port P] [--cpus LIST] [--backlog N]\n"
"                                start serving; A is an IPv4 or IPv6 address\n"
"                                (default 0.0.0.0; repeat for both families),\n"
"                                P defaults to the 'port' setting, LIST like\n"
"                                0-3,6 (default: all online CPUs), N 1024\n"
"        [--root DIR [--user U] [--no-symlinks]]\n"
"                                also serve the files under DIR, read as user\n"
"                                U (a name or uid[:gid], default nobody);\n"
"                                --no-symlinks refuses every symlink in DIR\n"
"        [--tls-port P2]         also HTTPS on port P2: a handshake agent\n"
"                                (khttpd-tlsd) does each handshake, kTLS the\n"
"                                rest (needs the tls module)\n"
"  stop                          stop serving and empty the content store\n"
"  put URLPATH FILE [--type T] [--cache-control V]\n"
"                                store FILE at URLPATH; T defaults to the type\n"
"                                /etc/mime.types gives its extension\n"
"  rm URLPATH                    remove an entry\n"
"  ls [--docroot]                list the content store (--docroot: the\n"
"                                files the docroot's file cache holds)\n"
"  stats [--watch[=SEC]] [--per-cpu] [--prometheus]\n"
"                                counters (every SEC seconds, default 1);\n"
"                                each CPU's own; in Prometheus text format\n"
"  config [KEY[=VALUE]]...       show or change settings\n"
"  load DIR [--prefix P]         store every file under DIR at P/relative/path\n"
"                                (default P is empty); index.html also at its\n"
"                                directory's URL\n"
"  apply FILE                    check the whole configuration file FILE\n"
"                                (khttpd.conf(5)); if it is right, make it\n"
"                                the running configuration: settings, content,\n"
"                                and a restart only if how to listen changed\n"
"  show-config                   the running configuration, in that format\n"
"  log [--follow]                print the access log (the access_log setting\n"
"                                writes it): Combined Log Format, then the\n"
"                                service time and which path answered, or\n"
"                                JSON with --json; --follow: wait for more\n"
"  mime [FILE]                   replace the docroot's table of types by\n"
"                                extension with FILE's, in the format of\n"
"                                (and by default) /etc/mime.types\n"
"\n"
"options:\n"
"  --ioctl         send commands with ioctl instead of io_uring uring_cmd\n"
"  --json          machine-readable output\n"
"  --device PATH   the control device (default " KHTTPD_CTL_DEVICE ")\n"
"  -h, --help      this text\n");
}

/* ---- version ---------------------------------------------------------- */

static int cmd_version(int argc, char **argv)
{
	struct khttpd_version v = { .size = sizeof(v) };
	int err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_VERSION, &v, sizeof(v));

	if (err)
		die("VERSION", err);
	if (json) {
		printf("{\"abi\":%u,\"release\":\"%s\",\"features\":%" PRIu64
		       ",\"transport\":\"%s\"}\n", v.abi, v.release, (uint64_t)v.features,
		       ctl.uring ? "uring_cmd" : "ioctl");
		return 0;
	}
	printf("khttpd %s, ABI %u, transport %s\nfeatures:%s%s%s%s%s%s%s%s%s%s%s%s\n",
	       v.release, v.abi, ctl.uring ? "uring_cmd" : "ioctl",
	       v.features & KHTTPD_F_URING_CMD ? " uring_cmd" : "",
	       v.features & KHTTPD_F_IPV6 ? " ipv6" : "",
	       v.features & KHTTPD_F_ZEROCOPY ? " zerocopy" : "",
	       v.features & KHTTPD_F_CPUSET ? " cpuset" : "",
	       v.features & KHTTPD_F_FASTPATH ? " fastpath" : "",
	       v.features & KHTTPD_F_DOCROOT ? " docroot" : "",
	       v.features & KHTTPD_F_MIME ? " mime" : "",
	       v.features & KHTTPD_F_TLS ? " tls" : "",
	       v.features & KHTTPD_F_STATUS ? " status" : "",
	       v.features & KHTTPD_F_STATS_CPU ? " stats_cpu" : "",
	       v.features & KHTTPD_F_HIST ? " hist" : "",
	       v.features & KHTTPD_F_LOG ? " log" : "");
	return 0;
}

/* ---- start / stop ----------------------------------------------------- */

static unsigned long parse_num(const char *s, const char *what,
			       unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		usage_error("bad %s '%s'", what, s);
	return v;
}

static void parse_cpus(const char *list, __u64 *set)
{
	const char *why = conf_parse_cpus(list, set);

	if (why)
		usage_error("bad CPU list '%s': %s", list, why);
}

static void parse_user(const char *u, struct khttpd_start *s)
{
	const char *why = conf_parse_user(u, &s->uid, &s->gid);

	if (why)
		usage_error("bad user '%s': %s", u, why);
}

static int cmd_start(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "tls-port", required_argument, NULL, 't' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "backlog", required_argument, NULL, 'b' },
		{ "root", required_argument, NULL, 'r' },
		{ "user", required_argument, NULL, 'u' },
		{ "no-symlinks", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct khttpd_start s = { .size = sizeof(s), .root_fd = -1 };
	const char *root = NULL, *user = NULL;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			if (inet_pton(AF_INET, optarg, s.addr4) == 1)
				s.flags |= KHTTPD_START_IPV4;
			else if (inet_pton(AF_INET6, optarg, s.addr6) == 1)
				s.flags |= KHTTPD_START_IPV6;
			else
				usage_error("bad address '%s'", optarg);
			break;
		case 'p':
			s.port = parse_num(optarg, "port", 65535);
			break;
		case 't':
			s.tls_port = parse_num(optarg, "TLS port", 65535);
			if (!s.tls_port)
				usage_error("bad TLS port '%s'", optarg);
			s.flags |= KHTTPD_START_TLS;
			break;
		case 'c':
			parse_cpus(optarg, s.cpus);
			break;
		case 'b':
			s.backlog = parse_num(optarg, "backlog", INT_MAX);
			break;
		case 'r':
			root = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'S':
			s.flags |= KHTTPD_START_NO_SYMLINKS;
			break;
		default:
			usage_error("bad option for start");
		}
	}
	if (optind != argc)
		usage_error("start takes no arguments");
	if (!root && (user || (s.flags & KHTTPD_START_NO_SYMLINKS)))
		usage_error("--user and --no-symlinks need --root");
	if (root) {
		/* an O_PATH fd: the kernel resolves in our mount namespace */
		s.root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (s.root_fd < 0)
			die(root, errno);
		s.flags |= KHTTPD_START_DOCROOT;
		parse_user(user ? user : "nobody", &s);
	} else {
		s.root_fd = 0;
	}
	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_START, &s, sizeof(s));
	if (err)
		die("START", err);
	if (root)
		close(s.root_fd);
	return 0;
}

static int cmd_stop(int argc, char **argv)
{
	int err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_STOP, NULL, 0);

	if (err)
		die("STOP", err);
	return 0;
}

/* ---- content ------------------------------------------------------------ */

/* A file to PUT, mapped, and the command describing it. */
struct upload {
	struct khttpd_put put;
	char *url;
	void *map;
	size_t len;
	const char *file;
};

static int upload_prepare(struct upload *u, const char *url, const char *file,
			  const char *type, const char *cc)
{
	struct stat st;
	int fd;

	memset(u, 0, sizeof(*u));
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	u->len = st.st_size;
	if (u->len) {
		u->map = mmap(NULL, u->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (u->map == MAP_FAILED) {
			close(fd);
			return -errno;
		}
	}
	close(fd);
	u->url = strdup(url);
	u->file = file;
	u->put.size = sizeof(u->put);
	u->put.path = (uintptr_t)u->url;
	u->put.path_len = strlen(url);
	u->put.type = (uintptr_t)type;
	u->put.type_len = strlen(type);
	if (cc) {
		u->put.cache_control = (uintptr_t)cc;
		u->put.cache_control_len = strlen(cc);
	}
	u->put.body = (uintptr_t)u->map;
	u->put.body_len = u->len;
	u->put.mtime = st.st_mtime > 0 ? st.st_mtime : 0;
	return 0;
}

static void upload_done(struct upload *u)
{
	if (u->map && u->len)
		munmap(u->map, u->len);
	free(u->url);
	u->map = NULL;
	u->url = NULL;
}

static int cmd_put(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "cache-control", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *type = NULL, *cc = NULL;
	struct upload u;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 't')
			type = optarg;
		else if (opt == 'c')
			cc = optarg;
		else
			usage_error("bad option for put");
	}
	if (argc - optind != 2)
		usage_error("put needs URLPATH and FILE");
	err = upload_prepare(&u, argv[optind], argv[optind + 1],
			     type ? type : site_mime_type(argv[optind + 1]), cc);
	if (err)
		die(argv[optind + 1], err);
	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_PUT, &u.put, sizeof(u.put));
	if (err)
		die("PUT", err);
	upload_done(&u);
	return 0;
}

static int cmd_rm(int argc, char **argv)
{
	struct khttpd_delete d = { .size = sizeof(d) };
	int err;

	if (argc != 2)
		usage_error("rm needs URLPATH");
	d.path = (uintptr_t)argv[1];
	d.path_len = strlen(argv[1]);
	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_DELETE, &d, sizeof(d));
	if (err)
		die("DELETE", err);
	return 0;
}

/*
 * Call @fn for every entry LIST (with @flags) gives, a page at a time;
 * @fn must not change the store (the cursor would not survive it).
 */
static void list_each(__u32 flags,
		      void (*fn)(void *ctx, const struct khttpd_list_entry *e),
		      void *ctx)
{
	static char buf[65536] __attribute__((aligned(8)));
	struct khttpd_list l = { .size = sizeof(l), .flags = flags };
	int err;

	do {
		size_t off = 0;
		unsigned int i;

		l.buf = (uintptr_t)buf;
		l.buf_len = sizeof(buf);
		err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_LIST, &l, sizeof(l));
		if (err)
			die("LIST", err);
		for (i = 0; i < l.count; i++) {
			const struct khttpd_list_entry *e = (void *)(buf + off);

			fn(ctx, e);
			off += e->rec_len;
		}
	} while (l.cursor != KHTTPD_LIST_END);
}

static void ls_one(void *ctx, const struct khttpd_list_entry *e)
{
	bool *first = ctx;
	char when[32];
	time_t t = e->mtime;

	if (json) {
		unsigned int k;

		printf("%s{\"path\":\"", *first ? "" : ",");
		for (k = 0; k < e->path_len; k++) {
			unsigned char ch = e->path[k];

			if (ch == '"' || ch == '\\')
				printf("\\%c", ch);
			else if (ch < 0x20)
				printf("\\u%04x", ch);
			else
				putchar(ch);
		}
		printf("\",\"size\":%" PRIu64 ",\"mtime\":%" PRIu64 "}",
		       (uint64_t)e->body_len, (uint64_t)e->mtime);
	} else {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime(&t));
		printf("%12" PRIu64 "  %s  %.*s\n", (uint64_t)e->body_len, when,
		       (int)e->path_len, e->path);
	}
	*first = false;
}

static int cmd_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "docroot", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	__u32 flags = 0;
	bool first = true;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'D')
			usage_error("bad option for ls");
		flags = KHTTPD_LIST_DOCROOT;
	}
	if (optind != argc)
		usage_error("ls takes no arguments");
	if (json)
		printf("[");
	list_each(flags, ls_one, &first);
	if (json)
		printf("]\n");
	return 0;
}

/* ---- load ---------------------------------------------------------------- */

#define LOAD_INFLIGHT 32

static struct {
	const char *prefix;
	struct upload slots[LOAD_INFLIGHT];
	bool busy[LOAD_INFLIGHT];
	unsigned long files, bytes, failed;
} load;

/* Wait for one PUT in flight and release its slot. */
static void load_reap(void)
{
	uint64_t tag;
	int res, err;

	err = khttpd_ctl_reap(&ctl, &tag, &res);
	if (err)
		die("waiting for PUT", err);
	if (res) {
		fprintf(stderr, "khttpctl: PUT %s (%s): %s\n",
			load.slots[tag].url, load.slots[tag].file, strerror(-res));
		load.failed++;
	} else {
		load.files++;
		load.bytes += load.slots[tag].len;
	}
	upload_done(&load.slots[tag]);
	free((void *)load.slots[tag].file);
	load.busy[tag] = false;
}

static int load_one(void *ctx, const char *url, const char *file)
{
	struct upload *u;
	int i, err;

	for (i = 0; i < LOAD_INFLIGHT && load.busy[i]; i++)
		;
	if (i == LOAD_INFLIGHT) {
		load_reap();
		for (i = 0; load.busy[i]; i++)
			;
	}
	u = &load.slots[i];
	err = upload_prepare(u, url, file, site_mime_type(file), NULL);
	if (err) {
		fprintf(stderr, "khttpctl: %s: %s\n", file, strerror(-err));
		load.failed++;
		return 0;
	}
	u->file = strdup(file);
	if (!ctl.uring) {
		err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_PUT, &u->put,
				     sizeof(u->put));
		if (err) {
			fprintf(stderr, "khttpctl: PUT %s: %s\n", url,
				strerror(-err));
			load.failed++;
		} else {
			load.files++;
			load.bytes += u->len;
		}
		upload_done(u);
		free((void *)u->file);
		return 0;
	}
	err = khttpd_ctl_queue(&ctl, KHTTPD_CMD_PUT, &u->put, sizeof(u->put), i);
	if (err)
		die("queueing PUT", err);
	load.busy[i] = true;
	return 0;
}

static int cmd_load(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, err;

	load.prefix = "";
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'p')
			usage_error("bad option for load");
		load.prefix = optarg;
	}
	if (argc - optind != 1)
		usage_error("load needs DIR");
	if (*load.prefix && (load.prefix[0] != '/' ||
			     load.prefix[strlen(load.prefix) - 1] == '/'))
		usage_error("--prefix must start with / and not end with it");
	err = site_walk(argv[optind], load.prefix, load_one, NULL);
	if (err)
		die(argv[optind], err);
	while (ctl.inflight)
		load_reap();
	if (json)
		printf("{\"files\":%lu,\"bytes\":%lu,\"failed\":%lu}\n",
		       load.files, load.bytes, load.failed);
	else
		printf("loaded %lu files, %lu bytes; %lu failed\n",
		       load.files, load.bytes, load.failed);
	return load.failed ? 1 : 0;
}

/* ---- mime ---------------------------------------------------------------- */

/*
 * The checks of kmod/mime.c, so that one bad line of a mime.types file
 * costs that line and not the whole table: SET_MIME takes all or nothing.
 */
static bool mime_tchar(unsigned char c)
{
	return isascii(c) && (isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c)));
}

static size_t mime_token(const char *s)
{
	size_t i = 0;

	while (s[i] && mime_tchar(s[i]))
		i++;
	return i;
}

static bool mime_ext_ok(const char *e)
{
	size_t i, len = strlen(e);

	if (!len || len > KHTTPD_MIME_EXT_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isascii(e[i]) || (!isalnum(e[i]) && !strchr("-_+", e[i])))
			return false;
	return true;
}

/* type/subtype *( OWS ";" OWS name=value ), value a token or quoted */
static bool mime_type_ok(const char *s)
{
	size_t n;

	if (strlen(s) > KHTTPD_TYPE_MAX)
		return false;
	n = mime_token(s);
	if (!n || s[n] != '/')
		return false;
	s += n + 1;
	n = mime_token(s);
	if (!n)
		return false;
	for (s += n; *s; ) {
		s += strspn(s, " ");
		if (*s++ != ';')
			return false;
		s += strspn(s, " ");
		n = mime_token(s);
		if (!n || s[n] != '=')
			return false;
		s += n + 1;
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\\')
					s++;
				if (*s < 0x20 || *s > 0x7e)
					return false;	/* also the end */
			}
			s++;
		} else {
			n = mime_token(s);
			if (!n)
				return false;
			s += n;
		}
	}
	return true;
}

/* The table being built: records as SET_MIME takes them. */
static struct {
	char *buf;
	size_t len, cap;
	size_t *exts;		/* where each record's extension is */
	unsigned int count, types, skipped, repeats;
} mime;

static bool mime_has(const char *ext)
{
	unsigned int i;

	for (i = 0; i < mime.count; i++)
		if (!strcasecmp(mime.buf + mime.exts[i], ext))
			return true;
	return false;
}

static void mime_add(const char *ext, const char *type)
{
	size_t el = strlen(ext) + 1, tl = strlen(type) + 1;

	while (mime.len + el + tl > mime.cap) {
		mime.cap = mime.cap ? 2 * mime.cap : 65536;
		mime.buf = realloc(mime.buf, mime.cap);
		if (!mime.buf)
			die("mime", ENOMEM);
	}
	if (!(mime.count % 256)) {
		mime.exts = realloc(mime.exts,
				    (mime.count + 256) * sizeof(*mime.exts));
		if (!mime.exts)
			die("mime", ENOMEM);
	}
	mime.exts[mime.count++] = mime.len;
	memcpy(mime.buf + mime.len, ext, el);
	mime.len += el;
	memcpy(mime.buf + mime.len, type, tl);
	mime.len += tl;
}

/*
 * Lines "type ext1 ext2 ...", as in /etc/mime.types; a word that starts
 * with '#' starts a comment (inside a type, '#' is a tchar like any).
 * What SET_MIME would refuse is left out with a warning naming the line;
 * a repeated extension keeps its first type.
 */
static void mime_parse(FILE *f, const char *file)
{
	char *line = NULL, *save, *type, *ext;
	size_t cap = 0;
	unsigned long lineno = 0;
	bool added;

	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		type = strtok_r(line, " \t\r\n", &save);
		if (!type || type[0] == '#')
			continue;
		if (!mime_type_ok(type)) {
			fprintf(stderr, "khttpctl: %s:%lu: skipping type '%s': not a media type khttpd takes\n",
				file, lineno, type);
			mime.skipped++;
			continue;
		}
		added = false;
		while ((ext = strtok_r(NULL, " \t\r\n", &save)) &&
		       ext[0] != '#') {
			if (!mime_ext_ok(ext)) {
				/* "tar.gz": a lookup only sees what follows the last '.' */
				if (strchr(ext, '.'))
					fprintf(stderr, "khttpctl: %s:%lu: skipping extension '%s': only what follows a name's last '.' is looked up\n",
						file, lineno, ext);
				else
					fprintf(stderr, "khttpctl: %s:%lu: skipping extension '%s': not 1 to %d letters, digits, '-', '_' or '+'\n",
						file, lineno, ext, KHTTPD_MIME_EXT_MAX);
				mime.skipped++;
				continue;
			}
			if (mime_has(ext)) {
				mime.repeats++;
				continue;
			}
			if (mime.count == KHTTPD_MIME_MAX ||
			    mime.len + strlen(ext) + strlen(type) + 2 >
			    KHTTPD_MIME_BUF_MAX) {
				fprintf(stderr, "khttpctl: %s:%lu: table full (%d extensions, %u bytes): ignoring the rest\n",
					file, lineno, KHTTPD_MIME_MAX, KHTTPD_MIME_BUF_MAX);
				free(line);
				return;
			}
			mime_add(ext, type);
			added = true;
		}
		mime.types += added;
	}
	free(line);
}

/* Read @file and SET_MIME its table; @quiet: no summary line. */
static void mime_apply(const char *file, bool quiet)
{
	struct khttpd_mime m = { .size = sizeof(m) };
	FILE *f;
	int err;

	f = fopen(file, "r");
	if (!f)
		die(file, errno);
	mime_parse(f, file);
	if (ferror(f))
		die(file, EIO);
	fclose(f);
	m.count = mime.count;
	m.buf = (uintptr_t)mime.buf;
	m.buf_len = mime.len;
	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_SET_MIME, &m, sizeof(m));
	if (err)
		die("SET_MIME", err);
	if (quiet)
		;
	else if (json)
		printf("{\"extensions\":%u,\"types\":%u,\"skipped\":%u,\"repeated\":%u,\"bytes\":%zu}\n",
		       mime.count, mime.types, mime.skipped, mime.repeats, mime.len);
	else
		printf("loaded %u extensions of %u types; %u skipped, %u repeated\n",
		       mime.count, mime.types, mime.skipped, mime.repeats);
	free(mime.buf);
	free(mime.exts);
	memset(&mime, 0, sizeof(mime));
}

static int cmd_mime(int argc, char **argv)
{
	if (argc > 2)
		usage_error("mime takes at most one FILE");
	mime_apply(argc > 1 ? argv[1] : "/etc/mime.types", false);
	return 0;
}

/* ---- stats ----------------------------------------------------------- */

static void print_stats(const struct khttpd_stats *s, int cpu)
{
	static const char *const cls[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
	int i;

	if (json) {
		if (cpu >= 0)
			printf("{\"cpu\":%d,", cpu);
		else
			printf("{");
		printf("\"running\":%u,\"requests\":%llu", s->running,
		       (unsigned long long)s->requests);
		for (i = 0; i < 5; i++)
			printf(",\"responses_%s\":%llu", cls[i],
			       (unsigned long long)s->responses[i]);
		printf(",\"bytes_sent\":%llu,\"conns_accepted\":%llu,"
		       "\"conns_closed\":%llu,\"conns_open\":%llu,"
		       "\"conns_refused\":%llu,\"conns_timed_out\":%llu,"
		       "\"entries\":%llu,\"content_bytes\":%llu,"
		       "\"requests_fast\":%llu,\"fast_handoffs\":%llu,"
		       "\"docroot_hits\":%llu,\"docroot_lookups\":%llu,"
		       "\"docroot_reads\":%llu,\"docroot_files\":%llu,"
		       "\"docroot_busy\":%llu,\"docroot_aborts\":%llu,"
		       "\"docroot_pinned\":%llu,\"tls_handshakes\":%llu,"
		       "\"tls_established\":%llu,\"tls_failed\":%llu,"
		       "\"tls_timed_out\":%llu,\"tls_no_agent\":%llu,"
		       "\"tls_busy\":%llu,\"log_records\":%llu,"
		       "\"log_dropped\":%llu,\"service_ns\":%llu,"
		       "\"service_hist\":[",
		       (unsigned long long)s->bytes_sent,
		       (unsigned long long)s->conns_accepted,
		       (unsigned long long)s->conns_closed,
		       (unsigned long long)s->conns_open,
		       (unsigned long long)s->conns_refused,
		       (unsigned long long)s->conns_timed_out,
		       (unsigned long long)s->entries,
		       (unsigned long long)s->content_bytes,
		       (unsigned long long)s->requests_fast,
		       (unsigned long long)s->fast_handoffs,
		       (unsigned long long)s->docroot_hits,
		       (unsigned long long)s->docroot_lookups,
		       (unsigned long long)s->docroot_reads,
		       (unsigned long long)s->docroot_files,
		       (unsigned long long)s->docroot_busy,
		       (unsigned long long)s->docroot_aborts,
		       (unsigned long long)s->docroot_pinned,
		       (unsigned long long)s->tls_handshakes,
		       (unsigned long long)s->tls_established,
		       (unsigned long long)s->tls_failed,
		       (unsigned long long)s->tls_timed_out,
		       (unsigned long long)s->tls_no_agent,
		       (unsigned long long)s->tls_busy,
		       (unsigned long long)s->log_records,
		       (unsigned long long)s->log_dropped,
		       (unsigned long long)s->service_ns);
		for (i = 0; i < KHTTPD_HIST_BUCKETS; i++)
			printf("%s%llu", i ? "," : "",
			       (unsigned long long)s->service_hist[i]);
		printf("]}\n");
		return;
	}
	if (cpu >= 0)
		printf("cpu              %d\n", cpu);
	printf("running          %u\n", s->running);
	printf("requests         %llu\n", (unsigned long long)s->requests);
	for (i = 0; i < 5; i++)
		printf("responses_%s    %llu\n", cls[i],
		       (unsigned long long)s->responses[i]);
	printf("bytes_sent       %llu\n", (unsigned long long)s->bytes_sent);
	printf("conns_accepted   %llu\n", (unsigned long long)s->conns_accepted);
	printf("conns_closed     %llu\n", (unsigned long long)s->conns_closed);
	printf("conns_open       %llu\n", (unsigned long long)s->conns_open);
	printf("conns_refused    %llu\n", (unsigned long long)s->conns_refused);
	printf("conns_timed_out  %llu\n", (unsigned long long)s->conns_timed_out);
	printf("entries          %llu\n", (unsigned long long)s->entries);
	printf("content_bytes    %llu\n", (unsigned long long)s->content_bytes);
	printf("requests_fast    %llu\n", (unsigned long long)s->requests_fast);
	printf("fast_handoffs    %llu\n", (unsigned long long)s->fast_handoffs);
	printf("docroot_hits     %llu\n", (unsigned long long)s->docroot_hits);
	printf("docroot_lookups  %llu\n", (unsigned long long)s->docroot_lookups);
	printf("docroot_reads    %llu\n", (unsigned long long)s->docroot_reads);
	printf("docroot_files    %llu\n", (unsigned long long)s->docroot_files);
	printf("docroot_busy     %llu\n", (unsigned long long)s->docroot_busy);
	printf("docroot_aborts   %llu\n", (unsigned long long)s->docroot_aborts);
	printf("docroot_pinned   %llu\n", (unsigned long long)s->docroot_pinned);
	printf("tls_handshakes   %llu\n", (unsigned long long)s->tls_handshakes);
	printf("tls_established  %llu\n", (unsigned long long)s->tls_established);
	printf("tls_failed       %llu\n", (unsigned long long)s->tls_failed);
	printf("tls_timed_out    %llu\n", (unsigned long long)s->tls_timed_out);
	printf("tls_no_agent     %llu\n", (unsigned long long)s->tls_no_agent);
	printf("tls_busy         %llu\n", (unsigned long long)s->tls_busy);
	printf("log_records      %llu\n", (unsigned long long)s->log_records);
	printf("log_dropped      %llu\n", (unsigned long long)s->log_dropped);
	printf("service_ns       %llu\n", (unsigned long long)s->service_ns);
	/* the buckets that have answers, by their upper bound */
	printf("service_hist    ");
	for (i = 0; i < KHTTPD_HIST_BUCKETS; i++) {
		if (!s->service_hist[i])
			continue;
		if (i == KHTTPD_HIST_BUCKETS - 1)
			printf(" >=2^%d:", i + KHTTPD_HIST_SHIFT - 1);
		else
			printf(" <2^%d:", i + KHTTPD_HIST_SHIFT);
		printf("%llu", (unsigned long long)s->service_hist[i]);
	}
	printf(" (ns)\n");
}

/*
 * The Prometheus text format (for node_exporter's textfile collector):
 * each counter as khttpd_NAME_total, each level as khttpd_NAME; with
 * --per-cpu, the counters once per CPU with a cpu label.
 */
#define SF(name, gauge, help) \
	{ #name, offsetof(struct khttpd_stats, name), gauge, help }
static const struct {
	const char *name;
	size_t off;
	bool gauge;		/* a level, not a count; the module's own */
	const char *help;
} stat_fields[] = {
	SF(running, true, "1 while khttpd serves"),
	SF(requests, false, "Requests answered"),
	SF(bytes_sent, false, "Bytes handed to TCP or kTLS"),
	SF(conns_accepted, false, "Connections accepted"),
	SF(conns_closed, false, "Connections closed"),
	SF(conns_refused, false, "Connections refused over max_conns"),
	SF(conns_timed_out, false, "Connections closed by a timeout"),
	SF(requests_fast, false, "Requests answered in the socket callback"),
	SF(fast_handoffs, false, "Socket callbacks that left work to the worker"),
	SF(docroot_hits, false, "Answers from the docroot's file cache"),
	SF(docroot_lookups, false, "Docroot lookups done off the worker"),
	SF(docroot_reads, false, "Docroot reads done off the worker"),
	SF(docroot_busy, false, "503 answers: too many docroot lookups waiting"),
	SF(docroot_aborts, false, "Docroot answers cut short: the file shrank"),
	SF(tls_handshakes, false, "TLS handshakes handed to the agent"),
	SF(tls_established, false, "TLS handshakes done with kTLS set up"),
	SF(tls_failed, false, "TLS handshakes failed"),
	SF(tls_timed_out, false, "TLS handshakes cancelled at header_timeout_ms"),
	SF(tls_no_agent, false, "HTTPS connections closed: no agent"),
	SF(tls_busy, false, "TLS handshakes put off: the upcall's queue full"),
	SF(log_records, false, "Access log records written"),
	SF(log_dropped, false, "Access log records overwritten unread or not written"),
	SF(conns_open, true, "Connections open"),
	SF(entries, true, "Entries in the content store"),
	SF(content_bytes, true, "Memory the content store uses"),
	SF(docroot_files, true, "Names in the docroot's file cache"),
	SF(docroot_pinned, true, "Bytes of page cache the docroot's hot files pin"),
};
#undef SF

static __u64 stat_value(const struct khttpd_stats *s, size_t k)
{
	if (!strcmp(stat_fields[k].name, "running"))
		return s->running;
	return *(const __u64 *)((const char *)s + stat_fields[k].off);
}

/* One histogram's series, with @label ("" or cpu="N",) in each. */
static void print_hist_series(const struct khttpd_stats *s, const char *label)
{
	unsigned long long n = 0;
	int b;

	for (b = 0; b < KHTTPD_HIST_BUCKETS - 1; b++) {
		n += s->service_hist[b];
		printf("khttpd_service_seconds_bucket{%sle=\"%.9g\"} %llu\n",
		       label, (double)(1ULL << (b + KHTTPD_HIST_SHIFT)) / 1e9, n);
	}
	n += s->service_hist[b];
	printf("khttpd_service_seconds_bucket{%sle=\"+Inf\"} %llu\n", label, n);
	/* without the label's trailing comma, or no braces at all */
	if (*label)
		printf("khttpd_service_seconds_sum{%.*s} %.9f\n"
		       "khttpd_service_seconds_count{%.*s} %llu\n",
		       (int)strlen(label) - 1, label, s->service_ns / 1e9,
		       (int)strlen(label) - 1, label, n);
	else
		printf("khttpd_service_seconds_sum %.9f\n"
		       "khttpd_service_seconds_count %llu\n",
		       s->service_ns / 1e9, n);
}

static void print_histogram(const struct khttpd_stats *s, int ncpu,
			    const int *cpus)
{
	char label[32];
	int i;

	printf("# HELP khttpd_service_seconds Time from a request's first byte read to its answer's last byte handed to TCP.\n"
	       "# TYPE khttpd_service_seconds histogram\n");
	if (!ncpu)
		print_hist_series(&s[0], "");
	for (i = 0; i < ncpu; i++) {
		snprintf(label, sizeof(label), "cpu=\"%d\",", cpus[i]);
		print_hist_series(&s[1 + i], label);
	}
}

/* @s[0]: the sums; with @ncpu, @s[1 + i] CPU @cpus[i]'s own */
static void print_prometheus(const struct khttpd_stats *s, int ncpu,
			     const int *cpus)
{
	static const char *const cls[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
	size_t k;
	int i, j;

	for (k = 0; k < sizeof(stat_fields) / sizeof(stat_fields[0]); k++) {
		const char *n = stat_fields[k].name;
		bool g = stat_fields[k].gauge;

		printf("# HELP khttpd_%s%s %s.\n# TYPE khttpd_%s%s %s\n",
		       n, g ? "" : "_total", stat_fields[k].help, n,
		       g ? "" : "_total", g ? "gauge" : "counter");
		/* per CPU: the counters; conns_open is a CPU's own too */
		if (!ncpu || (g && strcmp(n, "conns_open")))
			printf("khttpd_%s%s %llu\n", n, g ? "" : "_total",
			       (unsigned long long)stat_value(&s[0], k));
		else
			for (i = 0; i < ncpu; i++)
				printf("khttpd_%s%s{cpu=\"%d\"} %llu\n", n,
				       g ? "" : "_total", cpus[i],
				       (unsigned long long)stat_value(&s[1 + i], k));
	}
	print_histogram(s, ncpu, cpus);
	printf("# HELP khttpd_responses_total Answers by status class.\n"
	       "# TYPE khttpd_responses_total counter\n");
	for (j = 0; j < 5; j++) {
		if (!ncpu)
			printf("khttpd_responses_total{class=\"%s\"} %llu\n",
			       cls[j], (unsigned long long)s[0].responses[j]);
		for (i = 0; i < ncpu; i++)
			printf("khttpd_responses_total{class=\"%s\",cpu=\"%d\"} %llu\n",
			       cls[j], cpus[i],
			       (unsigned long long)s[1 + i].responses[j]);
	}
}

/* A CPU list of sysfs (/sys/devices/system/cpu/@which) into @set. */
static void sys_cpus(const char *which, __u64 *set)
{
	char path[64], line[4096] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/%s", which);
	f = fopen(path, "re");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	if (!line[0] || conf_parse_cpus(line, set))
		die(path, EINVAL);
}

/* The possible CPUs: what --per-cpu asks about. */
static int possible_cpus(int *cpus, int max)
{
	__u64 set[KHTTPD_CPUSET_WORDS] = { 0 };
	int n = 0, c;

	sys_cpus("possible", set);
	for (c = 0; c < KHTTPD_CPUSET_WORDS * 64 && n < max; c++)
		if (set[c / 64] >> (c % 64) & 1)
			cpus[n++] = c;
	return n;
}

static void get_stats(struct khttpd_stats *s, int cpu)
{
	int err;

	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	if (cpu >= 0) {
		s->flags = KHTTPD_STATS_PER_CPU;
		s->cpu = cpu;
	}
	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_GET_STATS, s, sizeof(*s));
	if (err)
		die("GET_STATS", err);
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", optional_argument, NULL, 'w' },
		{ "per-cpu", no_argument, NULL, 'c' },
		{ "prometheus", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	static struct khttpd_stats s[1 + KHTTPD_CPUSET_WORDS * 64];
	static int cpus[KHTTPD_CPUSET_WORDS * 64];
	unsigned long every = 0;
	bool per_cpu = false, prom = false;
	int opt, ncpu = 0, i;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'c') {
			per_cpu = true;
			continue;
		}
		if (opt == 'P') {
			prom = true;
			continue;
		}
		if (opt != 'w')
			usage_error("bad option for stats");
		every = optarg ? parse_num(optarg, "interval", 3600) : 1;
		if (!every)
			usage_error("--watch needs a positive interval");
	}
	if (optind != argc)
		usage_error("stats takes no arguments");
	if (prom && json)
		usage_error("--prometheus and --json exclude each other");
	if (per_cpu)
		ncpu = possible_cpus(cpus, KHTTPD_CPUSET_WORDS * 64);
	for (;;) {
		get_stats(&s[0], -1);
		for (i = 0; i < ncpu; i++)
			get_stats(&s[1 + i], cpus[i]);
		if (prom)
			print_prometheus(s, ncpu, cpus);
		else if (!ncpu)
			print_stats(&s[0], -1);
		for (i = 0; !prom && i < ncpu; i++) {
			if (i && !json)
				printf("\n");
			print_stats(&s[1 + i], cpus[i]);
		}
		if (!every)
			return 0;
		fflush(stdout);
		sleep(every);
		if (!json)
			printf("\n");
	}
}

/* ---- log ---------------------------------------------------------------- */

/* Records of one read, in the order of their time (CPUs interleave). */
static int log_cmp(const void *a, const void *b)
{
	const struct khttpd_log_record *x = *(const void *const *)a;
	const struct khttpd_log_record *y = *(const void *const *)b;

	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return x->cpu != y->cpu ? x->cpu - y->cpu : (x->seq < y->seq ? -1 : 1);
}

/*
 * Without --follow: what the rings hold, then exit.  With it: then wait
 * for more, a second at most per read, until killed.  Records the rings
 * overwrote before we got them are counted on standard error.
 */
static int cmd_log(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "follow", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	/* a ring's worth of the largest records, of two CPUs */
	static __u8 buf[2 * KHTTPD_LOG_SLOTS * KHTTPD_REC_MAX]
		__attribute__((aligned(8)));
	static const struct khttpd_log_record *recs[sizeof(buf) /
						    sizeof(struct khttpd_log_record)];
	struct khttpd_read_log rl = { .size = sizeof(rl) };
	struct khttpd_config cfg = { 0 };
	char line[ACCESSLOG_LINE_MAX];
	__u64 *cursors = NULL;
	bool follow = false;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (opt != 'f')
			usage_error("bad option for log");
		follow = true;
	}
	if (optind != argc)
		usage_error("log takes no arguments");
	cfg.size = sizeof(cfg);
	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_GET_CONFIG, &cfg, sizeof(cfg));
	if (err)
		die("GET_CONFIG", err);
	if (!cfg.access_log)
		fprintf(stderr, "khttpctl: access_log is 0: no answer is logged (khttpctl config access_log=1)\n");
	/* how many cursors: the module says (-ERANGE) */
	rl.buf = (uintptr_t)buf;
	rl.buf_len = sizeof(buf);
	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_READ_LOG, &rl, sizeof(rl));
	if (err != -ERANGE)
		die("READ_LOG", err ? err : EPROTO);
	cursors = calloc(rl.ncpus, sizeof(*cursors));
	if (!cursors)
		die("log", ENOMEM);
	for (;;) {
		size_t off = 0, n = 0, i;
		__u32 ncpus = rl.ncpus;

		memset(&rl, 0, sizeof(rl));
		rl.size = sizeof(rl);
		rl.flags = follow ? KHTTPD_LOG_WAIT : 0;
		rl.timeout_ms = 1000;
		rl.cursors = (uintptr_t)cursors;
		rl.ncpus = ncpus;
		rl.buf = (uintptr_t)buf;
		rl.buf_len = sizeof(buf);
		err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_READ_LOG, &rl, sizeof(rl));
		if (err == -EINTR)
			continue;
		if (err)
			die("READ_LOG", err);
		for (i = 0; i < rl.count; i++) {
			const struct khttpd_log_record *r = (void *)(buf + off);

			if (!accesslog_valid(r, sizeof(buf) - off))
				die("READ_LOG: a malformed record", EPROTO);
			recs[n++] = r;
			off += r->rec_len;
		}
		qsort(recs, n, sizeof(recs[0]), log_cmp);
		for (i = 0; i < n; i++) {
			accesslog_format(recs[i], json, line, sizeof(line));
			fputs(line, stdout);
		}
		if (rl.missed)
			fprintf(stderr, "khttpctl: %llu records were overwritten before they could be read\n",
				(unsigned long long)rl.missed);
		fflush(stdout);
		if (!rl.count && !follow)
			break;
		/*
		 * Following a light load: let records gather for 20 ms
		 * rather than be woken for each one (a ring of 4096 holds
		 * 20 ms of 200,000 answers a second on its CPU).
		 */
		if (follow && rl.count < 256)
			usleep(20 * 1000);
	}
	free(cursors);
	return 0;
}

/* ---- config ------------------------------------------------------------- */

static size_t cfg_find(const char *name, size_t len)
{
	size_t k;

	for (k = 0; k < khttpd_n_params; k++)
		if (strlen(khttpd_params[k].name) == len &&
		    !strncmp(khttpd_params[k].name, name, len))
			return k;
	usage_error("unknown setting '%.*s'", (int)len, name);
	return 0;
}

static int cmd_config(int argc, char **argv)
{
	struct khttpd_config c = { .size = sizeof(c) };
	uint64_t show = 0;	/* bit k: setting k asked for */
	bool any_show = false, any_set = false;
	size_t k;
	int i, err;

	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_GET_CONFIG, &c, sizeof(c));
	if (err)
		die("GET_CONFIG", err);
	for (i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		k = cfg_find(argv[i], eq ? (size_t)(eq - argv[i]) : strlen(argv[i]));
		if (eq) {
			char *end;

			errno = 0;
			if (!isdigit((unsigned char)eq[1]))
				usage_error("bad value for %s", khttpd_params[k].name);
			unsigned long long v = strtoull(eq + 1, &end, 10);

			if (errno || *end || v < khttpd_params[k].min ||
			    v > khttpd_params[k].max)
				usage_error("%s must be %" PRIu64 "..%" PRIu64,
					    khttpd_params[k].name, khttpd_params[k].min,
					    khttpd_params[k].max);
			khttpd_param_put(&khttpd_params[k], &c, v);
			any_set = true;
		} else {
			show |= 1ULL << k;
			any_show = true;
		}
	}
	if (any_set) {
		if ((uint64_t)c.max_request_line + c.max_header_bytes + 4 >
		    KHTTPD_HEAD_LIMIT)
			usage_error("max_request_line + max_header_bytes + 4 must not exceed %d",
				    KHTTPD_HEAD_LIMIT);
		c.size = sizeof(c);
		err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c));
		if (err)
			die("SET_CONFIG", err);
	}
	if (any_set && !any_show)
		return 0;
	if (json)
		printf("{");
	for (k = 0, i = 0; k < khttpd_n_params; k++) {
		if (any_show && !(show >> k & 1))
			continue;
		if (json)
			printf("%s\"%s\":%" PRIu64, i++ ? "," : "",
			       khttpd_params[k].name,
			       khttpd_param_get(&khttpd_params[k], &c));
		else
			printf("%-22s %" PRIu64 "\n", khttpd_params[k].name,
			       khttpd_param_get(&khttpd_params[k], &c));
	}
	if (json)
		printf("}\n");
	return 0;
}

/* ---- apply / show-config ------------------------------------------------ */

/* The URLs the file's "load" lines provide, for pruning the rest. */
static struct {
	char **urls;
	size_t n, cap;
} keep;

static int apply_one(void *ctx, const char *url, const char *file)
{
	if (keep.n == keep.cap) {
		keep.cap = keep.cap ? 2 * keep.cap : 1024;
		keep.urls = realloc(keep.urls, keep.cap * sizeof(*keep.urls));
		if (!keep.urls)
			die("apply", ENOMEM);
	}
	keep.urls[keep.n] = strdup(url);
	if (!keep.urls[keep.n])
		die("apply", ENOMEM);
	keep.n++;
	return load_one(ctx, url, file);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* apply_prune()'s walk: what the loads kept, and what is to go. */
struct prune {
	bool docroot;
	char **gone;
	size_t ngone;
};

static void prune_one(void *ctx, const struct khttpd_list_entry *e)
{
	struct prune *p = ctx;
	char *key = strndup(e->path, e->path_len);

	if (!key)
		die("apply", ENOMEM);
	if ((!p->docroot && !strcmp(key, "/")) ||
	    bsearch(&key, keep.urls, keep.n, sizeof(*keep.urls), cmp_str)) {
		free(key);
		return;
	}
	p->gone = realloc(p->gone, (p->ngone + 1) * sizeof(*p->gone));
	if (!p->gone)
		die("apply", ENOMEM);
	p->gone[p->ngone++] = key;
}

/*
 * Delete every stored entry the file's loads did not provide; "/" stays
 * without a docroot (START's built-in page, unless a load replaced it).
 * Deleted after the walk, which they would disturb.  Returns how many.
 */
static unsigned long apply_prune(bool docroot)
{
	struct prune p = { .docroot = docroot };
	size_t i;
	int err;

	qsort(keep.urls, keep.n, sizeof(*keep.urls), cmp_str);
	list_each(0, prune_one, &p);
	for (i = 0; i < p.ngone; i++) {
		struct khttpd_delete d = {
			.size = sizeof(d),
			.path = (uintptr_t)p.gone[i],
			.path_len = strlen(p.gone[i]),
		};

		err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_DELETE, &d, sizeof(d));
		/* -ENOENT: someone else deleted it meanwhile */
		if (err && err != -ENOENT)
			die("DELETE", err);
		free(p.gone[i]);
	}
	free(p.gone);
	return p.ngone;
}

/* The CPUs that are online: what an empty "cpus" means. */
static void online_cpus(__u64 *set)
{
	sys_cpus("online", set);
}

/* Would the file start the server otherwise than it runs? */
static bool apply_differs(const struct conf *c, const struct khttpd_status *st,
			  const char *root)
{
	const __u32 mask = KHTTPD_START_IPV4 | KHTTPD_START_IPV6 |
			   KHTTPD_START_DOCROOT | KHTTPD_START_NO_SYMLINKS |
			   KHTTPD_START_TLS;
	const struct khttpd_start *s = &c->start;
	__u64 cpus[KHTTPD_CPUSET_WORDS] = { 0 };
	char *real;
	bool differs;

	if ((st->start_flags & mask) != (s->flags & mask) ||
	    st->port != c->cfg.port || st->tls_port != s->tls_port ||
	    st->backlog != (s->backlog ? s->backlog : 1024))
		return true;
	if (((s->flags & KHTTPD_START_IPV4) &&
	     memcmp(st->addr4, s->addr4, sizeof(s->addr4))) ||
	    ((s->flags & KHTTPD_START_IPV6) &&
	     memcmp(st->addr6, s->addr6, sizeof(s->addr6))))
		return true;
	memcpy(cpus, s->cpus, sizeof(cpus));
	if (!memcmp(cpus, (__u64[KHTTPD_CPUSET_WORDS]){ 0 }, sizeof(cpus)))
		online_cpus(cpus);
	if (memcmp(cpus, st->cpus, sizeof(cpus)))
		return true;
	if (!(s->flags & KHTTPD_START_DOCROOT))
		return false;
	if (st->uid != s->uid || st->gid != s->gid)
		return true;
	real = realpath(c->root, NULL);
	differs = !real || strcmp(real, root);
	free(real);
	return differs;
}

/* GET_STATUS with the docroot's path in @root (PATH_MAX bytes). */
static void get_status(struct khttpd_status *st, char *root)
{
	int err;

	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->root_buf = (uintptr_t)root;
	st->root_buf_len = PATH_MAX;
	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_GET_STATUS, st, sizeof(*st));
	if (err)
		die("GET_STATUS", err);
	if (!st->root_len)
		root[0] = '\0';
}

static int cmd_apply(int argc, char **argv)
{
	static char root[PATH_MAX];
	struct khttpd_status st;
	struct conf c;
	bool restart;
	unsigned int errors, i;
	unsigned long pruned = 0;
	FILE *f;
	int err;

	if (argc != 2)
		usage_error("apply needs FILE");
	f = fopen(argv[1], "re");
	if (!f)
		die(argv[1], errno);
	conf_init(&c);
	errors = conf_parse(f, argv[1], &c);
	fclose(f);
	if (errors) {
		fprintf(stderr, "khttpctl: %s: %u error%s, nothing changed\n",
			argv[1], errors, errors > 1 ? "s" : "");
		conf_free(&c);
		return 1;
	}
	get_status(&st, root);
	restart = !st.serving || apply_differs(&c, &st, root);

	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_SET_CONFIG, &c.cfg, sizeof(c.cfg));
	if (err)
		die("SET_CONFIG", err);
	if (st.serving && restart) {
		err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_STOP, NULL, 0);
		if (err)
			die("STOP", err);
	}
	if (c.mime)
		mime_apply(c.mime, true);
	/* content before START: no request finds the store empty */
	memset(&load, 0, sizeof(load));
	for (i = 0; i < c.nload; i++) {
		load.prefix = c.load[i].prefix;
		err = site_walk(c.load[i].dir, load.prefix, apply_one, NULL);
		if (err)
			die(c.load[i].dir, err);
	}
	while (ctl.inflight)
		load_reap();
	if (!restart)
		pruned = apply_prune(c.start.flags & KHTTPD_START_DOCROOT);
	if (restart) {
		c.start.root_fd = 0;
		if (c.root) {
			c.start.root_fd = open(c.root, O_PATH | O_DIRECTORY |
					       O_CLOEXEC);
			if (c.start.root_fd < 0)
				die(c.root, errno);
		}
		err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_START, &c.start,
				     sizeof(c.start));
		if (err)
			die("START", err);
		if (c.root)
			close(c.start.root_fd);
	}
	if (json)
		printf("{\"started\":%s,\"files\":%lu,\"bytes\":%lu,\"failed\":%lu,\"removed\":%lu}\n",
		       restart ? "true" : "false", load.files, load.bytes,
		       load.failed, pruned);
	else
		printf("%s: %s on port %u; loaded %lu files, %lu bytes; %lu failed; %lu removed\n",
		       argv[1], restart ? (st.serving ? "restarted" : "started") :
		       "kept serving", c.cfg.port, load.files, load.bytes,
		       load.failed, pruned);
	for (i = 0; i < keep.n; i++)
		free(keep.urls[i]);
	free(keep.urls);
	conf_free(&c);
	return load.failed ? 1 : 0;
}

static void count_one(void *ctx, const struct khttpd_list_entry *e)
{
	(*(unsigned long *)ctx)++;
}

/* How many entries the store holds. */
static unsigned long store_count(void)
{
	unsigned long n = 0;

	list_each(0, count_one, &n);
	return n;
}

static int cmd_show_config(int argc, char **argv)
{
	static char root[PATH_MAX];
	struct khttpd_config c = { .size = sizeof(c) };
	struct khttpd_status st;
	char buf[INET6_ADDRSTRLEN], cpus[4096];
	__u64 online[KHTTPD_CPUSET_WORDS] = { 0 };
	size_t k;
	int err;

	if (argc != 1)
		usage_error("show-config takes no arguments");
	err = khttpd_ctl_cmd(&ctl, KHTTPD_CMD_GET_CONFIG, &c, sizeof(c));
	if (err)
		die("GET_CONFIG", err);
	get_status(&st, root);
	printf("# khttpd's running configuration (khttpctl show-config)\n");
	if (!st.serving) {
		printf("# not serving: the settings only\n");
	} else {
		if (st.start_flags & KHTTPD_START_IPV4)
			printf("listen = %s\n",
			       inet_ntop(AF_INET, st.addr4, buf, sizeof(buf)));
		if (st.start_flags & KHTTPD_START_IPV6)
			printf("listen = %s\n",
			       inet_ntop(AF_INET6, st.addr6, buf, sizeof(buf)));
		if (st.tls_port)
			printf("tls_port = %u\n", st.tls_port);
		online_cpus(online);
		if (memcmp(online, st.cpus, sizeof(online))) {
			conf_cpus_format(st.cpus, cpus, sizeof(cpus));
			printf("cpus = %s\n", cpus);
		}
		printf("backlog = %u\n", st.backlog);
		if (st.start_flags & KHTTPD_START_DOCROOT) {
			printf("root = %s\n", root);
			printf("user = %u:%u\n", st.uid, st.gid);
			printf("symlinks = %s\n",
			       st.start_flags & KHTTPD_START_NO_SYMLINKS ?
			       "no" : "yes");
		}
	}
	for (k = 0; k < khttpd_n_params; k++) {
		uint64_t v = khttpd_param_get(&khttpd_params[k], &c);

		/* serving: the port it listens on, which START may have given */
		if (st.serving && !strcmp(khttpd_params[k].name, "port"))
			v = st.port;
		printf("%s = %" PRIu64 "\n", khttpd_params[k].name, v);
	}
	printf("# the store holds %lu entries (load lines are not kept)\n",
	       store_count());
	return 0;
}

/* ---- main ------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "version", cmd_version }, { "start", cmd_start },
	{ "stop", cmd_stop }, { "put", cmd_put }, { "rm", cmd_rm },
	{ "ls", cmd_ls }, { "stats", cmd_stats }, { "config", cmd_config },
	{ "load", cmd_load }, { "mime", cmd_mime },
	{ "apply", cmd_apply }, { "show-config", cmd_show_config },
	{ "log", cmd_log },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ioctl", no_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = KHTTPD_CTL_DEVICE;
	bool use_ioctl = false;
	size_t i;
	int opt, err;

	/* options before the command only: "+" stops at the first word */
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			use_ioctl = true;
			break;
		case 'j':
			json = true;
			break;
		case 'd':
			dev = optarg;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage_error("bad option");
		}
	}
	if (optind == argc)
		usage_error("no command given");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name))
			continue;
		err = khttpd_ctl_open(&ctl, dev, use_ioctl);
		if (err)
			die(dev, err);
		argc -= optind;
		argv += optind;
		/* 0, not 1: GNU getopt reinitialises, and permutes again */
		optind = 0;
		err = cmds[i].fn(argc, argv);
		khttpd_ctl_close(&ctl);
		return err;
	}
	usage_error("unknown command '%s'", argv[optind]);
	return 2;
}
