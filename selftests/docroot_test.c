// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel docroot (khttpctl start --root DIR): what it serves, and what
 * it refuses to.
 *
 * fixture fs runs on each filesystem a docroot may live on (tmpfs, ext4 on
 * a loop device, overlayfs over tmpfs): byte-exact bodies hot and cold,
 * validators, HEAD, ranges, directories, gzip siblings, the store's
 * precedence, files renamed, unlinked and truncated under a download, and
 * the filesystem let go of at STOP.  fixture dr (tmpfs) holds the
 * confinement: dot segments, percent-decoding, symlinks in and out, loops,
 * mount crossings, special files, permissions of the service user, hard
 * links, pseudo filesystems and the counters.  fixture cold (ext4): ten
 * thousand files read cold beside a hot one, and rmmod with cold reads in
 * flight.
 *
 * Each test loads khttpd with enabled=0 and STARTs it with a docroot
 * itself.  Everything SKIPs on a khttpd without KHTTPD_F_DOCROOT, and the
 * ext4 and overlay variants on a guest without those filesystems (their
 * modules come from /khttpd/fsmod, built by make selftests; mkfs.ext4 is in
 * the guest image).  Every filesystem is made under BASE and unmounted at
 * teardown.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <linux/loop.h>
#include <linux/magic.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"
#include "khttpd_ctl_util.h"

#define H "Host: t\r\n"
#define BASE "/tmp/dt"
#define MNT BASE "/mnt"		/* the filesystem under test */
#define ROOT MNT "/www"		/* the docroot */
#define OUT MNT "/outside"	/* same filesystem, outside the docroot */
#define NOBODY 65534
#define BIG (16 << 20)		/* far more than any socket buffers hold */
#define SLOW_RCVBUF 16384
#define FIXED_MTIME 1700000000
#define FIXED_DATE "Tue, 14 Nov 2023 22:13:20 GMT"
/* a cache may look a name up again a little later than it changed */
#define REVALIDATE_S 3.5

struct env {
	int kmsg;
	bool loaded;
	bool mime;		/* KHTTPD_F_MIME: types by extension */
	const char *fs;
	struct khttpd_ctl ctl;
	struct khttpd_client c;
	struct khttpd_resp r;
};

/*
 * @len bytes of a file with @seed: xorshift, so that no piece of one file
 * is found elsewhere in it or in a file of another seed (a body that is
 * moved, or another file's, shows as such in the log).
 */
static unsigned char *pat_buf(size_t len, unsigned int seed)
{
	unsigned char *b = malloc(len ? len : 1);
	uint64_t x = 0x9e3779b97f4a7c15ULL * (seed + 1);
	size_t i;

	if (!b)
		return NULL;
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = x >> 24;
	}
	return b;
}

/* ---- files ---------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/* @path gets exactly @len bytes of @data and @mode (not umask's). */
static int mkfile(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	int ret;

	if (fd < 0)
		return -errno;
	ret = write_all(fd, data, len);
	if (!ret && fchmod(fd, mode))
		ret = -errno;
	close(fd);
	return ret;
}

static int mkstr(const char *path, const char *s)
{
	return mkfile(path, s, strlen(s), 0644);
}

static int mkpat(const char *path, size_t len, unsigned int seed)
{
	unsigned char *b = pat_buf(len, seed);
	int ret;

	if (!b)
		return -ENOMEM;
	ret = mkfile(path, b, len, 0644);
	free(b);
	return ret;
}

static int set_mtime(const char *path, time_t t)
{
	struct timespec ts[2] = { { .tv_sec = t }, { .tv_sec = t } };

	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

/* Write back and forget the page cache, dentries and inodes: reads go cold. */
static void drop_caches(void)
{
	sync();
	khttpd_sysfs_write("/proc/sys/vm/drop_caches", "3");
}

/* ---- filesystems ---------------------------------------------------- */

/* Unmount everything under BASE, the last mounted first, and remove it. */
static void clean_base(void)
{
	char line[4096], mp[64][256];
	int n = 0, i;
	FILE *f = fopen("/proc/self/mounts", "r");

	while (f && fgets(line, sizeof(line), f) && n < 64)
		if (sscanf(line, "%*s %255s", mp[n]) == 1 &&
		    !strncmp(mp[n], BASE "/", strlen(BASE "/")))
			n++;
	if (f)
		fclose(f);
	for (i = n - 1; i >= 0; i--)
		umount2(mp[i], MNT_DETACH);
	if (system("rm -rf " BASE))
		printf("# rm -rf %s failed\n", BASE);
}

static bool have_fs(const char *name)
{
	char line[256], want[64];
	bool found = false;
	FILE *f = fopen("/proc/filesystems", "r");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "\t%s\n", name);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want) != NULL;
	fclose(f);
	return found;
}

/* Does module @path say "vermagic=<this kernel's release> "? */
static bool module_for_this_kernel(const char *path)
{
	char want[128];
	struct utsname u;
	struct stat st;
	bool ok = false;
	void *m;
	int fd;

	if (uname(&u))
		return false;
	snprintf(want, sizeof(want), "vermagic=%s ", u.release);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (!fstat(fd, &st) && st.st_size > 0) {
		m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			ok = memmem(m, st.st_size, want, strlen(want)) != NULL;
			munmap(m, st.st_size);
		}
	}
	close(fd);
	return ok;
}

/*
 * Load the filesystem modules of the guest image in their order (see the
 * Makefile's FSMODS); those already loaded or built in are fine.  Whether
 * it worked shows in have_fs() and /dev/loop-control.
 */
static void load_fs_modules(void)
{
	char name[128], path[256];
	FILE *f = fopen("/khttpd/fsmod/order", "r");

	if (!f)
		return;
	while (fscanf(f, "%127s", name) == 1) {
		int fd;

		snprintf(path, sizeof(path), "/khttpd/fsmod/%s", name);
		/* built for another kernel (the debug one): not even tried */
		if (!module_for_this_kernel(path))
			break;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
			printf("# %s: %s\n", name, strerror(errno));
		close(fd);
	}
	fclose(f);
}

/*
 * An ext4 filesystem on a loop device over a sparse image in BASE (the
 * guest's /tmp is tmpfs), mounted on MNT.  The loop device clears itself
 * when the filesystem lets go of it (LO_FLAGS_AUTOCLEAR).  NULL, or why the
 * variant cannot run.
 */
static const char *mount_ext4(struct __test_metadata *_metadata)
{
	const char *img = BASE "/ext4.img";
	struct loop_config lc = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
	char dev[64];
	int ctl, n, lfd, rfd, ifd;

	if (!have_fs("ext4") || access("/dev/loop-control", F_OK))
		load_fs_modules();
	if (!have_fs("ext4"))
		return "no ext4 in this kernel";
	if (access("/dev/loop-control", F_OK))
		return "no loop devices in this kernel";
	if (access("/usr/bin/mkfs.ext4", X_OK))
		return "no mkfs.ext4 in the guest";
	ifd = open(img, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, ifd);
	ASSERT_EQ(0, ftruncate(ifd, 256 << 20));
	ASSERT_EQ(0, system("/usr/bin/mkfs.ext4 -q -F -N 16384 -E "
			    "lazy_itable_init=1,lazy_journal_init=1,nodiscard "
			    BASE "/ext4.img >/dev/null"));
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ctl);
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	ASSERT_LE(0, n);
	close(ctl);
	snprintf(dev, sizeof(dev), "/dev/loop%d", n);
	lfd = open(dev, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, lfd) TH_LOG("%s: %s", dev, strerror(errno));
	lc.fd = ifd;
	ASSERT_EQ(0, ioctl(lfd, LOOP_CONFIGURE, &lc))
		TH_LOG("LOOP_CONFIGURE: %s", strerror(errno));
	close(ifd);
	/*
	 * A kernel without CONFIG_BLK_DEV_WRITE_MOUNTED (the debug one) will
	 * not mount a device someone has open for writing: hold the device
	 * read-only instead, so that autoclear does not undo it meanwhile.
	 */
	rfd = open(dev, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, rfd) TH_LOG("%s: %s", dev, strerror(errno));
	close(lfd);
	ASSERT_EQ(0, mount(dev, MNT, "ext4", 0, NULL))
		TH_LOG("mount ext4: %s", strerror(errno));
	close(rfd);
	return NULL;
}

/*
 * overlayfs over two tmpfs directories, with one file only in the lower
 * layer (reads of it go through to the lower filesystem).
 */
static const char *mount_overlay(struct __test_metadata *_metadata)
{
	if (!have_fs("overlay"))
		load_fs_modules();
	if (!have_fs("overlay"))
		return "no overlayfs in this kernel";
	ASSERT_EQ(0, mkdir(BASE "/lower", 0755));
	ASSERT_EQ(0, mkdir(BASE "/lower/www", 0755));
	ASSERT_EQ(0, mkdir(BASE "/upper", 0755));
	ASSERT_EQ(0, mkdir(BASE "/work", 0755));
	ASSERT_EQ(0, mkpat(BASE "/lower/www/lower.bin", 300007, 7));
	ASSERT_EQ(0, mount("overlay", MNT, "overlay", 0,
			   "lowerdir=" BASE "/lower,upperdir=" BASE "/upper,"
			   "workdir=" BASE "/work"))
		TH_LOG("mount overlay: %s", strerror(errno));
	return NULL;
}

static const char *fs_prepare(struct __test_metadata *_metadata, const char *fs)
{
	const char *why = NULL;

	ASSERT_EQ(0, mkdir(BASE, 0755));
	ASSERT_EQ(0, mkdir(MNT, 0755));
	if (!strcmp(fs, "tmpfs")) {
		ASSERT_EQ(0, mount("tmpfs", MNT, "tmpfs", 0, "mode=0755"));
	} else if (!strcmp(fs, "ext4"))
		why = mount_ext4(_metadata);
	else if (!strcmp(fs, "overlay"))
		why = mount_overlay(_metadata);
	else
		why = "unknown filesystem";
	if (why)
		return why;
	/* overlay: ROOT is there, from the lower layer */
	if (mkdir(ROOT, 0755)) {
		ASSERT_EQ(EEXIST, errno);
	}
	ASSERT_EQ(0, chmod(ROOT, 0755));
	ASSERT_EQ(0, mkdir(OUT, 0755));
	return NULL;
}

/* ---- khttpd --------------------------------------------------------- */

static void env_cleanup(struct env *e)
{
	khttpd_client_close(&e->c);
	khttpd_ctl_close(&e->ctl);
	e->ctl.fd = -1;
	clean_base();
}

/*
 * Load khttpd without serving; NULL, or why the tests cannot run (no
 * docroot in this khttpd).
 */
static const char *khttpd_prepare(struct __test_metadata *_metadata,
				  struct env *e)
{
	struct khttpd_version v = { .size = sizeof(v) };
	char params[64];
	int ret;

	snprintf(params, sizeof(params), "port=%d enabled=0", KHTTPD_PORT);
	ret = khttpd_load(params);
	ASSERT_EQ(0, ret) TH_LOG("insmod: %s", strerror(-ret));
	e->loaded = true;
	ASSERT_EQ(0, khttpd_ctl_open(&e->ctl, NULL, true));
	ASSERT_EQ(0, khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_VERSION, &v, sizeof(v)));
	/* without the MIME table every file is octet-stream: no type checks */
	e->mime = v.features & KHTTPD_F_MIME;
	if (!(v.features & KHTTPD_F_DOCROOT))
		return "this khttpd has no docroot (KHTTPD_F_DOCROOT)";
	return NULL;
}

static void env_setup(struct __test_metadata *_metadata, struct env *e,
		      const char *fs)
{
	const char *why;

	e->kmsg = khttpd_kmsg_mark(_metadata->name);
	e->c.fd = -1;
	e->ctl.fd = -1;
	e->fs = fs;
	umask(022);
	clean_base();
	why = khttpd_prepare(_metadata, e);
	if (!why)
		why = fs_prepare(_metadata, fs);
	if (why) {
		/* a setup that skips gets no teardown */
		env_cleanup(e);
		khttpd_unload();
		close(e->kmsg);
		SKIP(return, "%s", why);
	}
}

static void env_teardown(struct __test_metadata *_metadata, struct env *e)
{
	char bad[512] = "";

	khttpd_client_close(&e->c);
	khttpd_ctl_close(&e->ctl);
	e->ctl.fd = -1;
	if (e->loaded)
		EXPECT_EQ(0, khttpd_unload());
	clean_base();
	EXPECT_EQ(0, khttpd_kmsg_check(e->kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
}

/* START serving @dir as @uid/@gid with @flags besides DOCROOT; 0 or -errno. */
static int start_root(struct env *e, const char *dir, __u32 flags, __u32 uid,
		      __u32 gid)
{
	struct khttpd_start s = {
		.size = sizeof(s), .flags = KHTTPD_START_DOCROOT | flags,
		.port = KHTTPD_PORT, .uid = uid, .gid = gid,
	};
	int ret;

	s.root_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s.root_fd < 0)
		return -errno;
	ret = khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_START, &s, sizeof(s));
	close(s.root_fd);
	return ret;
}

static int stop(struct env *e)
{
	khttpd_client_close(&e->c);
	return khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_STOP, NULL, 0);
}

#define START_NOBODY(e) \
	ASSERT_EQ(0, start_root(e, ROOT, 0, NOBODY, NOBODY))

static struct khttpd_stats get_stats(struct env *e)
{
	struct khttpd_stats s = { .size = sizeof(s) };

	if (khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_GET_STATS, &s, sizeof(s)))
		memset(&s, 0xff, sizeof(s));
	return s;
}

/* ---- HTTP ----------------------------------------------------------- */

/*
 * @method @target with the extra header lines @fields on @e's connection,
 * opened if the last answer closed it.  The status, or -errno (then the
 * connection is closed); the answer is in e->r.
 */
static int req(struct env *e, const char *method, const char *target,
	       const char *fields)
{
	char buf[16384];	/* long_names' targets fit */
	int ret;

	if (e->c.fd < 0) {
		ret = khttpd_client_open(&e->c, KHTTPD_PORT);
		if (ret)
			return ret;
	}
	if (snprintf(buf, sizeof(buf), "%s %s HTTP/1.1\r\n" H "%s\r\n", method,
		     target, fields ? fields : "") >= (int)sizeof(buf))
		return -E2BIG;	/* never send a cut request */
	ret = khttpd_roundtrip(&e->c, buf, &e->r);
	if (ret || e->r.conn_close)
		khttpd_client_close(&e->c);
	return ret ? ret : e->r.status;
}

static int get(struct env *e, const char *target)
{
	return req(e, "GET", target, NULL);
}

static const char *hdr(struct env *e, const char *name)
{
	static char val[1024];

	return khttpd_header(&e->r, name, val, sizeof(val));
}

/* hdr(), or "(absent)": for comparing strings with */
static const char *hv(struct env *e, const char *name)
{
	const char *v = hdr(e, name);

	return v ? v : "(absent)";
}

static bool body_is(struct env *e, const void *want, size_t len)
{
	return e->r.body_len == len && !memcmp(e->r.body, want, len);
}

/* GET @target until it answers @status with body @body, for up to @secs. */
static bool get_until(struct env *e, const char *target, int status,
		      const char *body, double secs)
{
	double t0 = khttpd_now();

	do {
		if (get(e, target) == status &&
		    (!body || !strcmp(e->r.body, body)))
			return true;
		usleep(100000);
	} while (khttpd_now() - t0 < secs);
	return false;
}

/* GET @target until its Last-Modified is @lm, for up to REVALIDATE_S. */
static bool get_until_lm(struct env *e, const char *target, const char *lm)
{
	double t0 = khttpd_now();

	do {
		if (get(e, target) == 200 && !strcmp(hv(e, "Last-Modified"), lm))
			return true;
		usleep(100000);
	} while (khttpd_now() - t0 < REVALIDATE_S);
	return false;
}

/* Expect @status for GET @target. */
#define EXPECT_GET(e, target, status) do { \
	EXPECT_EQ(status, get(e, target)) TH_LOG("GET %s", target); \
} while (0)

/* A connection whose receive buffer is @rcvbuf bytes (0: the default). */
static int connect_rcvbuf(int rcvbuf)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(KHTTPD_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = KHTTPD_IO_TIMEOUT_MS / 1000 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -errno;
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* A download, its body checked against @want as it arrives. */
struct dl {
	struct khttpd_client c;
	struct khttpd_resp r;
	const unsigned char *want;
	size_t wantlen;
	size_t got;		/* body bytes received */
	bool same;		/* all of them as in @want */
	size_t first_bad;	/* if not: where they first differ */
	long shift;		/* and by how much they seem moved, or 0 */
	unsigned char *keep;	/* if set: the body is copied here, unchecked */
	int end;		/* 0: open; 1: EOF; -errno: reset, timeout */
};

static struct dl *dl_new(const unsigned char *want, size_t wantlen)
{
	struct dl *d = calloc(1, sizeof(*d));

	if (d) {
		d->c.fd = -1;
		d->want = want;
		d->wantlen = wantlen;
		d->same = true;
	}
	return d;
}

static void dl_free(struct dl *d)
{
	if (d) {
		khttpd_client_close(&d->c);
		free(d);
	}
}

/* Send GET @target and read the head; the status, or -errno. */
static int dl_open(struct dl *d, const char *target, int rcvbuf)
{
	char buf[512];
	int ret;

	d->c.len = 0;
	d->c.fd = connect_rcvbuf(rcvbuf);
	if (d->c.fd < 0)
		return d->c.fd;
	snprintf(buf, sizeof(buf), "GET %s HTTP/1.1\r\n" H "\r\n", target);
	ret = khttpd_send_str(d->c.fd, buf);
	if (!ret)
		ret = khttpd_read_response(&d->c, &d->r, true);
	return ret ? ret : d->r.status;
}

/*
 * For the log: @p (@n bytes at body offset @at) is @want moved by how
 * many bytes (-4096..4096), or 0 if no such shift explains 64 of them.
 */
static long dl_shift(const struct dl *d, const unsigned char *p, size_t n,
		     size_t at)
{
	size_t k = n < 64 ? n : 64;
	long s;

	for (s = -4096; s <= 4096; s++)
		if (s && (long)at + s >= 0 && at + s + k <= d->wantlen &&
		    !memcmp(p, d->want + at + s, k))
			return s;
	return 0;
}

static void dl_take(struct dl *d, const unsigned char *p, size_t n)
{
	size_t i;

	if (d->keep) {
		if (d->got + n <= d->wantlen)
			memcpy(d->keep + d->got, p, n);
		d->got += n;
		return;
	}
	if (d->same && (d->got + n > d->wantlen ||
			memcmp(p, d->want + d->got, n))) {
		d->same = false;
		for (i = 0; i < n && d->got + i < d->wantlen &&
		     p[i] == d->want[d->got + i]; i++)
			;
		d->first_bad = d->got + i;
		d->shift = dl_shift(d, p + i, n - i, d->got + i);
	}
	d->got += n;
}

/* Read about @max more bytes of the body, or until it or the connection ends. */
static void dl_read(struct dl *d, size_t max)
{
	size_t total = d->r.content_length > 0 ? d->r.content_length : 0;
	size_t start = d->got;
	static unsigned char tmp[65536];

	if (d->c.len && d->got < total) {
		size_t n = d->c.len < total - d->got ? d->c.len : total - d->got;

		dl_take(d, (unsigned char *)d->c.buf, n);
		d->c.len = 0;
	}
	while (!d->end && d->got < total && d->got - start < max) {
		size_t want = total - d->got;
		ssize_t n;

		if (want > sizeof(tmp))
			want = sizeof(tmp);
		n = recv(d->c.fd, tmp, want, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			d->end = n ? -errno : 1;
			break;
		}
		dl_take(d, tmp, n);
	}
}

/* GET @target whole on a new connection: the status; @d says the rest. */
static int dl_all(struct dl *d, const char *target)
{
	int st = dl_open(d, target, 0);

	if (st == 200)
		dl_read(d, SIZE_MAX);
	return st;
}

/* ==== fixture fs: on each filesystem ================================== */

FIXTURE(fs) {
	struct env e;
};

FIXTURE_VARIANT(fs) {
	const char *fs;
};

FIXTURE_VARIANT_ADD(fs, tmpfs) {
	.fs = "tmpfs",
};

FIXTURE_VARIANT_ADD(fs, ext4) {
	.fs = "ext4",
};

FIXTURE_VARIANT_ADD(fs, overlay) {
	.fs = "overlay",
};

FIXTURE_SETUP(fs)
{
	env_setup(_metadata, &self->e, variant->fs);
}

FIXTURE_TEARDOWN(fs)
{
	env_teardown(_metadata, &self->e);
}

/* Each body as the file has it, hot and after the caches are dropped. */
TEST_F_TIMEOUT(fs, bodies_byte_exact, 300)
{
	static const size_t sizes[] = {
		0, 1, 100, 4095, 4096, 4097, 65536, 65537, (1 << 20) + 13,
		(5 << 20) + 7,
	};
	unsigned char *want[11];
	size_t n = ARRAY_SIZE(sizes), i, len;
	char path[256], target[64];
	int pass, st;

	for (i = 0; i < n; i++) {
		want[i] = pat_buf(sizes[i], i);
		ASSERT_NE(NULL, want[i]);
		snprintf(path, sizeof(path), ROOT "/s%zu.bin", sizes[i]);
		ASSERT_EQ(0, mkfile(path, want[i], sizes[i], 0644));
	}
	want[n] = pat_buf(300007, 7);	/* overlay: in the lower layer */
	START_NOBODY(&self->e);
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i <= n; i++) {
			struct dl *d;

			if (i == n && strcmp(variant->fs, "overlay"))
				break;
			len = i < n ? sizes[i] : 300007;
			if (i < n)
				snprintf(target, sizeof(target), "/s%zu.bin", len);
			else
				snprintf(target, sizeof(target), "/lower.bin");
			d = dl_new(want[i], len);
			ASSERT_NE(NULL, d);
			st = dl_all(d, target);
			EXPECT_EQ(200, st) TH_LOG("GET %s (pass %d)", target, pass);
			EXPECT_EQ(len, d->r.content_length) TH_LOG("%s", target);
			EXPECT_EQ(len, d->got) TH_LOG("%s: end %d", target, d->end);
			EXPECT_TRUE(d->same)
				TH_LOG("%s: wrong bytes from %zu, as if moved by %ld (pass %d)",
				       target, d->first_bad, d->shift, pass);
			dl_free(d);
		}
		drop_caches();
	}
	for (i = 0; i <= n; i++)
		free(want[i]);
}

TEST_F(fs, validators_head_and_304)
{
	struct env *e = &self->e;
	char etag[128], etag2[128], f[256];

	ASSERT_EQ(0, mkstr(ROOT "/page.html", "<p>one</p>\n"));
	ASSERT_EQ(0, set_mtime(ROOT "/page.html", FIXED_MTIME));
	ASSERT_EQ(0, mkstr(ROOT "/blob.unknownext", "x"));
	START_NOBODY(e);

	ASSERT_EQ(200, get(e, "/page.html"));
	EXPECT_STREQ("<p>one</p>\n", e->r.body);
	EXPECT_EQ(11, e->r.content_length);
	if (e->mime)
		EXPECT_EQ(0, strncmp(hv(e, "Content-Type"), "text/html", 9))
			TH_LOG("Content-Type: %s", hv(e, "Content-Type"));
	EXPECT_STREQ(FIXED_DATE, hv(e, "Last-Modified"));
	EXPECT_STREQ("bytes", hv(e, "Accept-Ranges"));
	EXPECT_EQ(NULL, hdr(e, "Vary"));	/* there is no .gz */
	ASSERT_NE(NULL, hdr(e, "ETag"));
	snprintf(etag, sizeof(etag), "%s", hdr(e, "ETag"));
	EXPECT_EQ('"', etag[0]) TH_LOG("a strong ETag, not %s", etag);

	/* HEAD: the same fields, no body (the next answer follows at once) */
	ASSERT_EQ(200, req(e, "HEAD", "/page.html", NULL));
	EXPECT_STREQ(etag, hv(e, "ETag"));
	EXPECT_EQ(11, e->r.content_length);
	EXPECT_STREQ(FIXED_DATE, hv(e, "Last-Modified"));
	ASSERT_EQ(200, get(e, "/page.html"));
	EXPECT_STREQ("<p>one</p>\n", e->r.body);

	snprintf(f, sizeof(f), "If-None-Match: %s\r\n", etag);
	EXPECT_EQ(304, req(e, "GET", "/page.html", f));
	EXPECT_EQ(0, e->r.body_len);
	EXPECT_STREQ(etag, hv(e, "ETag"));
	EXPECT_EQ(NULL, hdr(e, "Content-Length"));
	EXPECT_EQ(304, req(e, "HEAD", "/page.html", f));
	EXPECT_EQ(200, req(e, "GET", "/page.html",
			   "If-None-Match: \"other\"\r\n"));
	EXPECT_EQ(304, req(e, "GET", "/page.html",
			   "If-Modified-Since: " FIXED_DATE "\r\n"));
	EXPECT_EQ(200, req(e, "GET", "/page.html",
			   "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n"));

	/* the same bytes, size and mtime in another inode: another ETag */
	ASSERT_EQ(0, mkstr(ROOT "/copy.html", "<p>one</p>\n"));
	ASSERT_EQ(0, set_mtime(ROOT "/copy.html", FIXED_MTIME));
	EXPECT_EQ(200, get(e, "/copy.html"));
	EXPECT_STREQ(FIXED_DATE, hv(e, "Last-Modified"));
	EXPECT_STRNE(etag, hv(e, "ETag"));

	/* unknown extension: the default type */
	EXPECT_EQ(200, get(e, "/blob.unknownext"));
	EXPECT_STREQ("application/octet-stream", hv(e, "Content-Type"));

	/* changed in place, same size: new body, new validators */
	ASSERT_EQ(0, mkstr(ROOT "/page.html", "<p>two</p>\n"));
	ASSERT_EQ(0, set_mtime(ROOT "/page.html", FIXED_MTIME + 86400));
	EXPECT_TRUE(get_until_lm(e, "/page.html",
				 "Wed, 15 Nov 2023 22:13:20 GMT"))
		TH_LOG("Last-Modified still %s", hv(e, "Last-Modified"));
	EXPECT_STREQ("<p>two</p>\n", e->r.body);
	snprintf(etag2, sizeof(etag2), "%s", hv(e, "ETag"));
	EXPECT_STRNE(etag, etag2);
	EXPECT_EQ(200, req(e, "GET", "/page.html", f));
}

#define RLEN 60000

TEST_F(fs, ranges)
{
	struct env *e = &self->e;
	unsigned char *want = pat_buf(RLEN, 3);
	char etag[128], lm[64], f[256], cr[64];
	static const struct { const char *spec; long first, last; } ok[] = {
		{ "bytes=0-0", 0, 0 },
		{ "bytes=1000-59000", 1000, 59000 },
		{ "bytes=-10", RLEN - 10, RLEN - 1 },
		{ "bytes=59990-", 59990, RLEN - 1 },
		{ "bytes=0-99999999", 0, RLEN - 1 },
	};
	size_t i;

	ASSERT_NE(NULL, want);
	ASSERT_EQ(0, mkfile(ROOT "/r.bin", want, RLEN, 0644));
	START_NOBODY(e);
	ASSERT_EQ(200, get(e, "/r.bin"));
	EXPECT_TRUE(body_is(e, want, RLEN));
	snprintf(etag, sizeof(etag), "%s", hv(e, "ETag"));
	snprintf(lm, sizeof(lm), "%s", hv(e, "Last-Modified"));

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		long len = ok[i].last - ok[i].first + 1;

		snprintf(f, sizeof(f), "Range: %s\r\n", ok[i].spec);
		EXPECT_EQ(206, req(e, "GET", "/r.bin", f)) TH_LOG("%s", f);
		snprintf(cr, sizeof(cr), "bytes %ld-%ld/%d", ok[i].first,
			 ok[i].last, RLEN);
		EXPECT_STREQ(cr, hv(e, "Content-Range"));
		EXPECT_EQ(len, e->r.content_length);
		EXPECT_TRUE(body_is(e, want + ok[i].first, len))
			TH_LOG("%s: wrong bytes", ok[i].spec);
	}
	EXPECT_EQ(416, req(e, "GET", "/r.bin", "Range: bytes=60000-\r\n"));
	snprintf(cr, sizeof(cr), "bytes */%d", RLEN);
	EXPECT_STREQ(cr, hv(e, "Content-Range"));
	EXPECT_FALSE(e->r.conn_close);

	snprintf(f, sizeof(f), "Range: bytes=10-19\r\nIf-Range: %s\r\n", etag);
	EXPECT_EQ(206, req(e, "GET", "/r.bin", f));
	EXPECT_TRUE(body_is(e, want + 10, 10));
	snprintf(f, sizeof(f), "Range: bytes=10-19\r\nIf-Range: %s\r\n", lm);
	EXPECT_EQ(206, req(e, "GET", "/r.bin", f));
	EXPECT_EQ(200, req(e, "GET", "/r.bin", "Range: bytes=10-19\r\n"
			   "If-Range: \"other\"\r\n"));
	EXPECT_TRUE(body_is(e, want, RLEN));
	free(want);
}

TEST_F(fs, directories_redirect_and_index)
{
	struct env *e = &self->e;

	ASSERT_EQ(0, mkdir(ROOT "/d", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/d/index.html", "index of d\n"));
	ASSERT_EQ(0, mkdir(ROOT "/empty", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/empty/secret-name.txt", "x"));
	ASSERT_EQ(0, mkdir(ROOT "/a", 0755));
	ASSERT_EQ(0, mkdir(ROOT "/a/b", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/a/b/index.html", "deep\n"));
	START_NOBODY(e);

	EXPECT_EQ(301, get(e, "/d"));
	EXPECT_STREQ("/d/", hv(e, "Location"));
	EXPECT_EQ(301, get(e, "/d?x=1&y=%41"));
	EXPECT_STREQ("/d/?x=1&y=%41", hv(e, "Location"));
	EXPECT_EQ(301, req(e, "HEAD", "/d", NULL));
	EXPECT_STREQ("/d/", hv(e, "Location"));
	EXPECT_EQ(301, get(e, "/a/b"));
	EXPECT_STREQ("/a/b/", hv(e, "Location"));

	EXPECT_EQ(200, get(e, "/d/"));
	EXPECT_STREQ("index of d\n", e->r.body);
	if (e->mime)
		EXPECT_EQ(0, strncmp(hv(e, "Content-Type"), "text/html", 9));
	EXPECT_EQ(200, get(e, "/d/?q"));
	EXPECT_STREQ("index of d\n", e->r.body);
	EXPECT_EQ(200, get(e, "/d/index.html"));
	EXPECT_EQ(200, get(e, "/a/b/"));
	EXPECT_STREQ("deep\n", e->r.body);
	/* no index: 404, never a listing */
	EXPECT_EQ(404, get(e, "/empty/"));
	EXPECT_EQ(NULL, strstr(e->r.body, "secret-name"));
	EXPECT_EQ(404, get(e, "/"));
	EXPECT_EQ(NULL, strstr(e->r.body, "empty"));
	EXPECT_EQ(404, get(e, "/missing"));
	EXPECT_EQ(404, get(e, "/missing/"));
	/* a file is no directory */
	EXPECT_EQ(404, get(e, "/d/index.html/"));
	/* an index that appears is served */
	ASSERT_EQ(0, mkstr(ROOT "/index.html", "root index\n"));
	EXPECT_TRUE(get_until(e, "/", 200, "root index\n", REVALIDATE_S));
}

TEST_F(fs, gzip_sibling)
{
	struct env *e = &self->e;
	const char *plain = "plain text, plain text, plain text\n";
	const char *gz = "\x1f\x8b pretend-gzip-bytes";
	char etag[128], etag_gz[128], f[256];

	ASSERT_EQ(0, mkstr(ROOT "/a.txt", plain));
	ASSERT_EQ(0, mkstr(ROOT "/a.txt.gz", gz));
	ASSERT_EQ(0, mkstr(ROOT "/b.txt", plain));
	START_NOBODY(e);

	EXPECT_EQ(200, get(e, "/a.txt"));
	EXPECT_STREQ(plain, e->r.body);
	EXPECT_EQ(NULL, hdr(e, "Content-Encoding"));
	EXPECT_STREQ("Accept-Encoding", hv(e, "Vary"));
	snprintf(etag, sizeof(etag), "%s", hv(e, "ETag"));

	EXPECT_EQ(200, req(e, "GET", "/a.txt", "Accept-Encoding: gzip\r\n"));
	EXPECT_STREQ(gz, e->r.body);
	EXPECT_EQ(strlen(gz), e->r.content_length);
	EXPECT_STREQ("gzip", hv(e, "Content-Encoding"));
	EXPECT_STREQ("Accept-Encoding", hv(e, "Vary"));
	if (e->mime)
		EXPECT_EQ(0, strncmp(hv(e, "Content-Type"), "text/plain", 10))
			TH_LOG("the type of a.txt, not of a .gz: %s",
			       hv(e, "Content-Type"));
	snprintf(etag_gz, sizeof(etag_gz), "%s", hv(e, "ETag"));
	EXPECT_STRNE(etag, etag_gz);

	EXPECT_EQ(200, req(e, "GET", "/a.txt", "Accept-Encoding: br, gzip;q=0.5\r\n"));
	EXPECT_STREQ(gz, e->r.body);
	EXPECT_EQ(200, req(e, "GET", "/a.txt", "Accept-Encoding: gzip;q=0\r\n"));
	EXPECT_STREQ(plain, e->r.body);
	EXPECT_EQ(NULL, hdr(e, "Content-Encoding"));
	EXPECT_STREQ("Accept-Encoding", hv(e, "Vary"));
	EXPECT_EQ(200, req(e, "GET", "/a.txt", "Accept-Encoding: identity\r\n"));
	EXPECT_STREQ(plain, e->r.body);

	EXPECT_EQ(200, req(e, "HEAD", "/a.txt", "Accept-Encoding: gzip\r\n"));
	EXPECT_EQ(strlen(gz), e->r.content_length);
	EXPECT_STREQ("gzip", hv(e, "Content-Encoding"));
	EXPECT_EQ(206, req(e, "GET", "/a.txt", "Accept-Encoding: gzip\r\n"
			   "Range: bytes=0-1\r\n"));
	EXPECT_TRUE(body_is(e, gz, 2));
	EXPECT_STREQ("gzip", hv(e, "Content-Encoding"));
	snprintf(f, sizeof(f), "Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n",
		 etag_gz);
	EXPECT_EQ(304, req(e, "GET", "/a.txt", f));
	EXPECT_STREQ("Accept-Encoding", hv(e, "Vary"));
	/* the identity validator does not match the gzip variant */
	snprintf(f, sizeof(f), "Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n",
		 etag);
	EXPECT_EQ(200, req(e, "GET", "/a.txt", f));

	/* no sibling: identity, and nothing varies */
	EXPECT_EQ(200, req(e, "GET", "/b.txt", "Accept-Encoding: gzip\r\n"));
	EXPECT_STREQ(plain, e->r.body);
	EXPECT_EQ(NULL, hdr(e, "Content-Encoding"));
	EXPECT_EQ(NULL, hdr(e, "Vary"));
}

TEST_F(fs, stored_content_wins)
{
	struct env *e = &self->e;

	ASSERT_EQ(0, mkstr(ROOT "/s.txt", "from disk\n"));
	ASSERT_EQ(0, mkstr(ROOT "/t.txt", "t from disk\n"));
	START_NOBODY(e);
	EXPECT_EQ(200, get(e, "/s.txt"));
	EXPECT_STREQ("from disk\n", e->r.body);
	ASSERT_EQ(0, khttpd_put(&e->ctl, "/s.txt", "text/plain", "from store",
				10, NULL, 0));
	EXPECT_EQ(200, get(e, "/s.txt"));
	EXPECT_STREQ("from store", e->r.body);
	EXPECT_EQ(200, get(e, "/t.txt"));
	EXPECT_STREQ("t from disk\n", e->r.body);
	/* a stored "/" over a docroot without index */
	EXPECT_EQ(404, get(e, "/"));
	ASSERT_EQ(0, khttpd_put(&e->ctl, "/", "text/html", "stored root",
				11, NULL, 0));
	EXPECT_EQ(200, get(e, "/"));
	EXPECT_STREQ("stored root", e->r.body);
	/* a stored path with no file behind it */
	ASSERT_EQ(0, khttpd_put(&e->ctl, "/only/stored", "text/plain", "st",
				2, NULL, 0));
	EXPECT_EQ(200, get(e, "/only/stored"));
	ASSERT_EQ(0, khttpd_del(&e->ctl, "/s.txt"));
	EXPECT_EQ(200, get(e, "/s.txt"));
	EXPECT_STREQ("from disk\n", e->r.body);
}

/* A file renamed over, and one unlinked, while they are sent: old bytes. */
TEST_F_TIMEOUT(fs, download_survives_rename_and_unlink, 300)
{
	struct env *e = &self->e;
	unsigned char *one = pat_buf(BIG, 1), *two = pat_buf(BIG, 2);
	unsigned char *nine = pat_buf(BIG, 9);
	struct dl *d1 = dl_new(one, BIG), *d2 = dl_new(two, BIG), *d3;
	bool fresh;
	double t0;

	ASSERT_NE(NULL, one);
	ASSERT_NE(NULL, two);
	ASSERT_NE(NULL, nine);
	ASSERT_NE(NULL, d1);
	ASSERT_NE(NULL, d2);
	ASSERT_EQ(0, mkfile(ROOT "/one.bin", one, BIG, 0644));
	ASSERT_EQ(0, mkfile(ROOT "/two.bin", two, BIG, 0644));
	drop_caches();
	START_NOBODY(e);

	ASSERT_EQ(200, dl_open(d1, "/one.bin", SLOW_RCVBUF));
	ASSERT_EQ(200, dl_open(d2, "/two.bin", SLOW_RCVBUF));
	ASSERT_EQ(BIG, d1->r.content_length);
	ASSERT_EQ(BIG, d2->r.content_length);
	/* both answers run before the names change: else nothing is tested */
	dl_read(d1, 256 << 10);
	dl_read(d2, 256 << 10);
	ASSERT_LE(256 << 10, d1->got) TH_LOG("end %d", d1->end);
	ASSERT_LE(256 << 10, d2->got) TH_LOG("end %d", d2->end);
	ASSERT_EQ(0, mkfile(ROOT "/one.new", nine, BIG, 0644));
	ASSERT_EQ(0, rename(ROOT "/one.new", ROOT "/one.bin"));
	ASSERT_EQ(0, unlink(ROOT "/two.bin"));
	drop_caches();
	/*
	 * In turns: a client that stops reading for send_timeout_ms is
	 * reset, and one 16 MiB answer can take that long on a slow guest.
	 */
	while ((d1->got < BIG && !d1->end) || (d2->got < BIG && !d2->end)) {
		dl_read(d1, 256 << 10);
		dl_read(d2, 256 << 10);
	}
	EXPECT_EQ(BIG, d1->got) TH_LOG("renamed over: end %d", d1->end);
	EXPECT_TRUE(d1->same) TH_LOG("renamed over: wrong bytes from %zu, moved by %ld",
				     d1->first_bad, d1->shift);
	EXPECT_EQ(BIG, d2->got) TH_LOG("unlinked: end %d", d2->end);
	EXPECT_TRUE(d2->same) TH_LOG("unlinked: wrong bytes from %zu, moved by %ld",
				     d2->first_bad, d2->shift);

	/*
	 * New requests see what the names are now, once the name is looked
	 * up again; until then (a stale name is served while it is renewed)
	 * an answer is the old file whole, never a mix.
	 */
	EXPECT_TRUE(get_until(e, "/two.bin", 404, NULL, REVALIDATE_S));
	t0 = khttpd_now();
	do {
		/* the whole body, to tell the old file from the new */
		d3 = dl_new(NULL, BIG);
		ASSERT_NE(NULL, d3);
		d3->keep = malloc(BIG);
		ASSERT_NE(NULL, d3->keep);
		ASSERT_EQ(200, dl_all(d3, "/one.bin"));
		ASSERT_EQ(BIG, d3->got) TH_LOG("end %d", d3->end);
		fresh = !memcmp(d3->keep, nine, BIG);
		EXPECT_TRUE(fresh || !memcmp(d3->keep, one, BIG))
			TH_LOG("after the rename: neither the old file nor the new");
		free(d3->keep);
		dl_free(d3);
	} while (!fresh && khttpd_now() - t0 < REVALIDATE_S);
	EXPECT_TRUE(fresh) TH_LOG("the old file, %.1f s after the rename",
				  khttpd_now() - t0);
	dl_free(d1);
	dl_free(d2);
	free(one);
	free(two);
	free(nine);
}

/*
 * Truncated under a slow download: the answer is cut short (fewer bytes
 * than its Content-Length, then EOF or a reset), never completed with
 * other bytes, and counted in docroot_aborts.
 */
TEST_F_TIMEOUT(fs, truncate_during_download_aborts, 300)
{
	struct env *e = &self->e;
	unsigned char *want = pat_buf(BIG, 4);
	struct khttpd_stats s0, s1;
	struct dl *d = dl_new(want, BIG);

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, mkfile(ROOT "/t.bin", want, BIG, 0644));
	drop_caches();
	START_NOBODY(e);
	s0 = get_stats(e);
	ASSERT_EQ(200, dl_open(d, "/t.bin", SLOW_RCVBUF));
	EXPECT_EQ(BIG, d->r.content_length);
	/* the answer runs before the truncate: else nothing is tested */
	dl_read(d, 256 << 10);
	ASSERT_TRUE(d->same) TH_LOG("wrong bytes from %zu, moved by %ld",
				    d->first_bad, d->shift);
	ASSERT_LE(256 << 10, d->got) TH_LOG("end %d", d->end);
	ASSERT_EQ(0, truncate(ROOT "/t.bin", 0));
	drop_caches();
	dl_read(d, SIZE_MAX);
	EXPECT_GT(BIG, d->got) TH_LOG("the whole length arrived after truncate");
	EXPECT_TRUE(d->end == 1 || d->end == -ECONNRESET)
		TH_LOG("not aborted: end %d (%s) after %zu bytes", d->end,
		       d->end < 0 ? strerror(-d->end) : "eof", d->got);
	EXPECT_TRUE(d->same) TH_LOG("bytes that were never in the file");
	s1 = get_stats(e);
	EXPECT_LT(s0.docroot_aborts, s1.docroot_aborts);
	/* and the server goes on with the file as it is now */
	EXPECT_TRUE(get_until(e, "/t.bin", 200, "", REVALIDATE_S));
	EXPECT_EQ(0, e->r.content_length);
	dl_free(d);
	free(want);
}

/* After STOP, nothing holds the filesystem: it unmounts at once. */
TEST_F(fs, stop_lets_go_of_the_filesystem)
{
	struct env *e = &self->e;
	unsigned char *want = pat_buf(BIG, 5);
	struct dl *d = dl_new(want, BIG);

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, mkfile(ROOT "/big.bin", want, BIG, 0644));
	ASSERT_EQ(0, mkstr(ROOT "/small.txt", "small\n"));
	ASSERT_EQ(0, mkdir(ROOT "/d", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/d/index.html", "i\n"));
	START_NOBODY(e);
	EXPECT_EQ(200, get(e, "/small.txt"));
	EXPECT_EQ(200, get(e, "/d/"));
	EXPECT_EQ(404, get(e, "/none"));
	/* an answer in flight when STOP comes */
	ASSERT_EQ(200, dl_open(d, "/big.bin", SLOW_RCVBUF));
	dl_read(d, 64 << 10);
	ASSERT_EQ(0, stop(e));
	dl_free(d);
	EXPECT_EQ(0, umount(MNT)) TH_LOG("umount after STOP: %s",
					 strerror(errno));
	free(want);
}

/*
 * A file rewritten shorter in place (open with O_TRUNC, write: what cp and
 * most editors do) is no download cut short: a request that comes after
 * it gets a whole answer, of the new content once the name is renewed,
 * never a reset.  The kernel knows the file shrank; it need not answer
 * from the old length.
 */
TEST_F(fs, rewritten_shorter_new_requests_whole)
{
	struct env *e = &self->e;
	unsigned char *big = pat_buf(20000, 40), *small = pat_buf(5000, 41);
	double t0;
	int resets = 0, st;

	ASSERT_NE(NULL, big);
	ASSERT_NE(NULL, small);
	ASSERT_EQ(0, mkfile(ROOT "/page.bin", big, 20000, 0644));
	START_NOBODY(e);
	ASSERT_EQ(200, get(e, "/page.bin"));
	EXPECT_TRUE(body_is(e, big, 20000));
	ASSERT_EQ(0, mkfile(ROOT "/page.bin", small, 5000, 0644));
	t0 = khttpd_now();
	do {
		st = get(e, "/page.bin");
		if (st < 0) {
			resets++;
			continue;
		}
		EXPECT_EQ(200, st);
		EXPECT_EQ(e->r.content_length, e->r.body_len);
		if (body_is(e, small, 5000))
			break;
	} while (khttpd_now() - t0 < REVALIDATE_S);
	EXPECT_EQ(0, resets) TH_LOG("%d requests after the rewrite were reset",
				    resets);
	EXPECT_TRUE(body_is(e, small, 5000))
		TH_LOG("%.1f s after the rewrite: %zu bytes", khttpd_now() - t0,
		       e->r.body_len);
	free(big);
	free(small);
}

/*
 * A file wholly in the page cache when it is looked up has its pages
 * pinned by its entry (docroot_pinned), and is answered from them: after
 * drop_caches it needs no read, yet a write in place is seen by the next
 * requests, and STOP lets every page go.  overlayfs has no pages of its
 * own to pin (its files are read through), and a file over the pin limit
 * (4 MiB) is answered from the page cache as it is.
 */
TEST_F_TIMEOUT(fs, hot_files_pinned, 120)
{
	struct env *e = &self->e;
	const size_t len = 60000, big = (5 << 20) + 7;
	unsigned char *a = pat_buf(len, 50), *b = pat_buf(len, 51);
	unsigned char *bw = pat_buf(big, 52);
	bool overlay = !strcmp(variant->fs, "overlay");
	struct khttpd_stats s0, s1;
	struct dl *d = dl_new(bw, big);
	double t0;
	int fd, i;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_NE(NULL, d);
	ASSERT_EQ(0, mkfile(ROOT "/hot.bin", a, len, 0644));
	ASSERT_EQ(0, mkfile(ROOT "/big.bin", bw, big, 0644));
	START_NOBODY(e);
	ASSERT_EQ(200, get(e, "/hot.bin"));
	EXPECT_TRUE(body_is(e, a, len));
	EXPECT_EQ(200, dl_all(d, "/big.bin"));
	EXPECT_TRUE(d->same && d->got == big);
	s0 = get_stats(e);
	/* the small file's pages, whole pages; never the big one's */
	EXPECT_EQ(overlay ? 0 : 61440, s0.docroot_pinned);

	drop_caches();
	s0 = get_stats(e);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(200, get(e, "/hot.bin"));
		EXPECT_TRUE(body_is(e, a, len)) TH_LOG("after drop_caches");
	}
	s1 = get_stats(e);
	if (!overlay)
		EXPECT_EQ(s0.docroot_reads, s1.docroot_reads)
			TH_LOG("a pinned file was read again");

	/* rewritten in place, same length: the pinned pages are not news */
	fd = open(ROOT "/hot.bin", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_all(fd, b, len));
	close(fd);
	t0 = khttpd_now();
	do {
		EXPECT_EQ(200, get(e, "/hot.bin"));
		if (body_is(e, b, len))
			break;
		usleep(100000);
	} while (khttpd_now() - t0 < REVALIDATE_S);
	EXPECT_TRUE(body_is(e, b, len)) TH_LOG("the rewrite was not seen");
	EXPECT_GE(overlay ? 0 : 2 * 61440, get_stats(e).docroot_pinned);

	ASSERT_EQ(0, stop(e));
	EXPECT_EQ(0, get_stats(e).docroot_pinned);
	dl_free(d);
	free(a);
	free(b);
	free(bw);
}

struct churn {
	bool stop;		/* __atomic: the main thread sets it */
	const unsigned char *v[2];
	size_t len[2];
	long renames, errors;
};

/* Replace churn.bin by rename, with each version in turn. */
static void *churn_loop(void *arg)
{
	struct churn *ch = arg;
	unsigned int k = 1;

	while (!__atomic_load_n(&ch->stop, __ATOMIC_RELAXED)) {
		if (mkfile(ROOT "/churn.tmp", ch->v[k], ch->len[k], 0644) ||
		    rename(ROOT "/churn.tmp", ROOT "/churn.bin"))
			ch->errors++;
		else
			ch->renames++;
		k ^= 1;
		usleep(20000);
	}
	return NULL;
}

/*
 * A name replaced by rename over and over while it is asked for: every
 * answer is one version whole, with that version's length.
 */
TEST_F_TIMEOUT(fs, rename_churn_answers_whole, 120)
{
	struct env *e = &self->e;
	struct churn ch = { .len = { 100000, 150007 } };
	long answers = 0, bad = 0;
	pthread_t th;
	double t0;

	ch.v[0] = pat_buf(ch.len[0], 30);
	ch.v[1] = pat_buf(ch.len[1], 31);
	ASSERT_NE(NULL, ch.v[0]);
	ASSERT_NE(NULL, ch.v[1]);
	ASSERT_EQ(0, mkfile(ROOT "/churn.bin", ch.v[0], ch.len[0], 0644));
	START_NOBODY(e);
	ASSERT_EQ(0, pthread_create(&th, NULL, churn_loop, &ch));
	t0 = khttpd_now();
	while (khttpd_now() - t0 < 7) {
		struct dl *d = dl_new(NULL, ch.len[1]);
		int st;

		ASSERT_NE(NULL, d);
		d->keep = malloc(ch.len[1]);
		ASSERT_NE(NULL, d->keep);
		st = dl_all(d, "/churn.bin");
		answers++;
		if (st != 200 || d->got != (size_t)d->r.content_length ||
		    !((d->got == ch.len[0] && !memcmp(d->keep, ch.v[0], d->got)) ||
		      (d->got == ch.len[1] && !memcmp(d->keep, ch.v[1], d->got)))) {
			if (!bad++)
				TH_LOG("answer %ld: status %d, %zu of %ld bytes, end %d",
				       answers, st, d->got, d->r.content_length,
				       d->end);
		}
		free(d->keep);
		dl_free(d);
	}
	__atomic_store_n(&ch.stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	TH_LOG("%ld answers, %ld renames", answers, ch.renames);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, ch.errors);
	EXPECT_LT(10, answers);
	free((void *)ch.v[0]);
	free((void *)ch.v[1]);
}

/* ==== fixture dr: confinement, on tmpfs ================================ */

FIXTURE(dr) {
	struct env e;
};

FIXTURE_SETUP(dr)
{
	env_setup(_metadata, &self->e, "tmpfs");
}

FIXTURE_TEARDOWN(dr)
{
	env_teardown(_metadata, &self->e);
}

TEST_F(dr, dot_segments_hidden)
{
	struct env *e = &self->e;

	ASSERT_EQ(0, mkstr(ROOT "/.hidden", "hidden"));
	ASSERT_EQ(0, mkstr(ROOT "/..dots", "hidden"));
	ASSERT_EQ(0, mkdir(ROOT "/d", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/d/.env", "hidden"));
	ASSERT_EQ(0, mkstr(ROOT "/d/f", "visible"));
	ASSERT_EQ(0, mkdir(ROOT "/.git", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/.git/config", "hidden"));
	ASSERT_EQ(0, mkdir(ROOT "/.well-known", 0755));
	ASSERT_EQ(0, mkdir(ROOT "/.well-known/acme-challenge", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/.well-known/acme-challenge/tok", "token"));
	START_NOBODY(e);

	EXPECT_GET(e, "/.hidden", 404);
	EXPECT_GET(e, "/..dots", 404);
	EXPECT_GET(e, "/d/.env", 404);
	EXPECT_GET(e, "/.git/config", 404);
	EXPECT_GET(e, "/.git/", 404);
	EXPECT_GET(e, "/%2ehidden", 404);
	EXPECT_GET(e, "/d/%2Eenv", 404);
	EXPECT_EQ(404, req(e, "HEAD", "/.hidden", NULL));
	EXPECT_GET(e, "/d/f", 200);
	EXPECT_STREQ("visible", e->r.body);
	EXPECT_GET(e, "/.well-known/acme-challenge/tok", 200);
	EXPECT_STREQ("token", e->r.body);
}

TEST_F(dr, percent_decoded_once)
{
	struct env *e = &self->e;

	ASSERT_EQ(0, mkstr(ROOT "/%2e", "literal percent name"));
	ASSERT_EQ(0, mkstr(ROOT "/a b", "with a space"));
	ASSERT_EQ(0, mkstr(ROOT "/f.txt", "f"));
	ASSERT_EQ(0, mkdir(ROOT "/d", 0755));
	ASSERT_EQ(0, mkstr(OUT "/secret.txt", "secret"));
	START_NOBODY(e);

	EXPECT_GET(e, "/%252e", 200);
	EXPECT_STREQ("literal percent name", e->r.body);
	EXPECT_GET(e, "/a%20b", 200);
	EXPECT_STREQ("with a space", e->r.body);
	/* climbing above / is refused by the parser */
	EXPECT_GET(e, "/%2e%2e/outside/secret.txt", 400);
	EXPECT_GET(e, "/d/%2e%2e/%2E%2E/outside/secret.txt", 400);
	EXPECT_GET(e, "/../outside/secret.txt", 400);
	/* staying under /: normalised, then served */
	EXPECT_GET(e, "/d/%2e%2e/f.txt", 200);
	EXPECT_STREQ("f", e->r.body);
	EXPECT_GET(e, "/d/../f.txt", 200);
	EXPECT_GET(e, "/%00", 400);
	EXPECT_GET(e, "/f.txt%00", 400);
	EXPECT_GET(e, "/f.txt%00.html", 400);
	EXPECT_GET(e, "/f.txt", 200);
}

/* symlinks of every kind that stay under the root */
static void make_inside_links(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, mkstr(ROOT "/f.txt", "target\n"));
	ASSERT_EQ(0, mkdir(ROOT "/d", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/d/x.txt", "x\n"));
	ASSERT_EQ(0, symlink("f.txt", ROOT "/link.txt"));
	ASSERT_EQ(0, symlink("d", ROOT "/dlink"));
	ASSERT_EQ(0, symlink("../f.txt", ROOT "/d/up.txt"));
	ASSERT_EQ(0, symlink("c2", ROOT "/c1"));
	ASSERT_EQ(0, symlink("d/../link.txt", ROOT "/c2"));
}

TEST_F(dr, symlinks_inside_served)
{
	struct env *e = &self->e;

	make_inside_links(_metadata);
	START_NOBODY(e);
	EXPECT_GET(e, "/link.txt", 200);
	EXPECT_STREQ("target\n", e->r.body);
	EXPECT_GET(e, "/dlink/x.txt", 200);
	EXPECT_STREQ("x\n", e->r.body);
	EXPECT_GET(e, "/d/up.txt", 200);
	EXPECT_STREQ("target\n", e->r.body);
	EXPECT_GET(e, "/c1", 200);
	EXPECT_STREQ("target\n", e->r.body);
	EXPECT_GET(e, "/dlink", 301);
}

TEST_F(dr, no_symlinks_refuses_every_symlink)
{
	struct env *e = &self->e;

	make_inside_links(_metadata);
	ASSERT_EQ(0, start_root(e, ROOT, KHTTPD_START_NO_SYMLINKS, NOBODY,
				NOBODY));
	EXPECT_GET(e, "/link.txt", 403);
	EXPECT_GET(e, "/dlink/x.txt", 403);
	EXPECT_GET(e, "/d/up.txt", 403);
	EXPECT_GET(e, "/c1", 403);
	EXPECT_NE(200, get(e, "/dlink"));
	EXPECT_GET(e, "/f.txt", 200);
	EXPECT_GET(e, "/d/x.txt", 200);
}

TEST_F(dr, symlinks_out_refused)
{
	struct env *e = &self->e;
	static const char *const targets[] = {
		"/abs", "/abs_inside", "/abs_etc", "/up", "/updir/secret.txt",
		"/deep", "/d/up2", "/procroot", "/absdir/f.txt",
	};
	size_t i;

	/* readable by nobody: only the confinement keeps it in */
	ASSERT_EQ(0, mkstr(OUT "/secret.txt", "secret\n"));
	ASSERT_EQ(0, mkstr(ROOT "/f.txt", "f\n"));
	ASSERT_EQ(0, mkdir(ROOT "/d", 0755));
	ASSERT_EQ(0, symlink(OUT "/secret.txt", ROOT "/abs"));
	/* absolute, even when it points under the root */
	ASSERT_EQ(0, symlink(ROOT "/f.txt", ROOT "/abs_inside"));
	ASSERT_EQ(0, symlink(ROOT, ROOT "/absdir"));
	ASSERT_EQ(0, symlink("/etc/passwd", ROOT "/abs_etc"));
	ASSERT_EQ(0, symlink("../outside/secret.txt", ROOT "/up"));
	ASSERT_EQ(0, symlink("../outside", ROOT "/updir"));
	ASSERT_EQ(0, symlink("d/../../outside/secret.txt", ROOT "/deep"));
	ASSERT_EQ(0, symlink("../../outside/secret.txt", ROOT "/d/up2"));
	ASSERT_EQ(0, symlink("/proc/self/root/etc/passwd", ROOT "/procroot"));
	START_NOBODY(e);
	for (i = 0; i < ARRAY_SIZE(targets); i++) {
		EXPECT_GET(e, targets[i], 403);
		EXPECT_EQ(NULL, strstr(e->r.body, "secret"));
		EXPECT_EQ(NULL, strstr(e->r.body, "root:"));
	}
	EXPECT_GET(e, "/f.txt", 200);
}

TEST_F(dr, symlink_loops_refused)
{
	struct env *e = &self->e;

	ASSERT_EQ(0, mkstr(ROOT "/f.txt", "f\n"));
	ASSERT_EQ(0, symlink("loop2", ROOT "/loop1"));
	ASSERT_EQ(0, symlink("loop1", ROOT "/loop2"));
	ASSERT_EQ(0, symlink("self", ROOT "/self"));
	ASSERT_EQ(0, symlink("dloop/x", ROOT "/dloop"));
	START_NOBODY(e);
	EXPECT_GET(e, "/loop1", 403);
	EXPECT_GET(e, "/loop2", 403);
	EXPECT_GET(e, "/self", 403);
	EXPECT_GET(e, "/self/x", 403);
	EXPECT_GET(e, "/dloop", 403);
	EXPECT_GET(e, "/f.txt", 200);
}

TEST_F(dr, mount_crossings_refused)
{
	struct env *e = &self->e;

	ASSERT_EQ(0, mkstr(OUT "/secret.txt", "secret\n"));
	ASSERT_EQ(0, mkstr(ROOT "/f.txt", "f\n"));
	ASSERT_EQ(0, mkdir(ROOT "/bound", 0755));
	ASSERT_EQ(0, mount(OUT, ROOT "/bound", NULL, MS_BIND, NULL));
	ASSERT_EQ(0, mkdir(ROOT "/sub", 0755));
	ASSERT_EQ(0, mount("tmpfs", ROOT "/sub", "tmpfs", 0, "mode=0755"));
	ASSERT_EQ(0, mkstr(ROOT "/sub/f.txt", "on a submount\n"));
	ASSERT_EQ(0, mkstr(ROOT "/sub/index.html", "on a submount\n"));
	ASSERT_EQ(0, mkdir(ROOT "/proc", 0755));
	ASSERT_EQ(0, mount("/proc", ROOT "/proc", NULL, MS_BIND | MS_REC, NULL));
	ASSERT_EQ(0, mkstr(ROOT "/bf.txt", "under the bind\n"));
	ASSERT_EQ(0, mount(OUT "/secret.txt", ROOT "/bf.txt", NULL, MS_BIND,
			   NULL));
	START_NOBODY(e);
	EXPECT_GET(e, "/bound/secret.txt", 403);
	EXPECT_GET(e, "/sub/f.txt", 403);
	EXPECT_GET(e, "/sub/", 403);
	EXPECT_GET(e, "/proc/version", 403);
	EXPECT_GET(e, "/proc/self/environ", 403);
	EXPECT_GET(e, "/bf.txt", 403);
	EXPECT_EQ(NULL, strstr(e->r.body, "secret"));
	/* mounted while serving */
	ASSERT_EQ(0, mkdir(ROOT "/late", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/late/f.txt", "before the mount\n"));
	EXPECT_GET(e, "/late/f.txt", 200);
	ASSERT_EQ(0, mount("tmpfs", ROOT "/late", "tmpfs", 0, "mode=0755"));
	ASSERT_EQ(0, mkstr(ROOT "/late/f.txt", "on the late mount\n"));
	EXPECT_TRUE(get_until(e, "/late/f.txt", 403, NULL, REVALIDATE_S))
		TH_LOG("got %d: %s", e->r.status, e->r.body);
	EXPECT_GET(e, "/f.txt", 200);
}

/* Is a reader holding FIFO @path open now? */
static bool fifo_has_reader(const char *path)
{
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

TEST_F(dr, special_files_never_opened)
{
	struct env *e = &self->e;
	static const char *const targets[] = {
		"/fifo", "/sock", "/null", "/zero", "/blk",
	};
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int sfd, status, i;
	pid_t writer;

	ASSERT_EQ(0, mkstr(ROOT "/f.txt", "f\n"));
	ASSERT_EQ(0, mkfifo(ROOT "/fifo", 0666));
	ASSERT_EQ(0, chmod(ROOT "/fifo", 0666));
	snprintf(sun.sun_path, sizeof(sun.sun_path), ROOT "/sock");
	sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, sfd);
	ASSERT_EQ(0, bind(sfd, (struct sockaddr *)&sun, sizeof(sun)));
	ASSERT_EQ(0, listen(sfd, 4));
	ASSERT_EQ(0, chmod(ROOT "/sock", 0666));
	ASSERT_EQ(0, mknod(ROOT "/null", S_IFCHR | 0666, makedev(1, 3)));
	ASSERT_EQ(0, mknod(ROOT "/zero", S_IFCHR | 0666, makedev(1, 5)));
	ASSERT_EQ(0, mknod(ROOT "/blk", S_IFBLK | 0666, makedev(7, 0)));
	/* a writer that waits for any reader to open the FIFO */
	writer = fork();
	ASSERT_LE(0, writer);
	if (!writer) {
		int fd = open(ROOT "/fifo", O_WRONLY | O_CLOEXEC);

		_exit(fd < 0 ? 1 : 0);
	}
	START_NOBODY(e);
	for (i = 0; i < 2; i++) {
		size_t k;

		for (k = 0; k < ARRAY_SIZE(targets); k++) {
			EXPECT_GET(e, targets[k], 403);
			EXPECT_EQ(403, req(e, "HEAD", targets[k], NULL));
			EXPECT_GET(e, "/f.txt", 200);
		}
	}
	usleep(200000);
	EXPECT_EQ(0, waitpid(writer, &status, WNOHANG))
		TH_LOG("something opened the FIFO for reading");
	EXPECT_FALSE(fifo_has_reader(ROOT "/fifo"));
	/* let the writer go */
	i = open(ROOT "/fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	waitpid(writer, &status, 0);
	if (i >= 0)
		close(i);
	close(sfd);
}

TEST_F(dr, permissions_of_nobody)
{
	struct env *e = &self->e;

	ASSERT_EQ(0, mkfile(ROOT "/secret", "s", 1, 0600));
	ASSERT_EQ(0, mkfile(ROOT "/mine", "mine", 4, 0600));
	ASSERT_EQ(0, chown(ROOT "/mine", NOBODY, NOBODY));
	ASSERT_EQ(0, mkfile(ROOT "/group", "group", 5, 0640));
	ASSERT_EQ(0, chown(ROOT "/group", 0, NOBODY));
	ASSERT_EQ(0, mkfile(ROOT "/othergroup", "og", 2, 0640));
	ASSERT_EQ(0, chown(ROOT "/othergroup", 0, 1000));
	ASSERT_EQ(0, mkfile(ROOT "/world", "world", 5, 0604));
	ASSERT_EQ(0, mkdir(ROOT "/priv", 0700));
	ASSERT_EQ(0, mkstr(ROOT "/priv/f", "in priv"));
	ASSERT_EQ(0, mkstr(ROOT "/priv/index.html", "in priv"));
	ASSERT_EQ(0, mkdir(ROOT "/xonly", 0711));
	ASSERT_EQ(0, mkstr(ROOT "/xonly/f", "search only"));
	ASSERT_EQ(0, mkdir(ROOT "/noexec", 0744));
	ASSERT_EQ(0, mkstr(ROOT "/noexec/f", "no search"));
	START_NOBODY(e);

	EXPECT_GET(e, "/secret", 403);
	EXPECT_GET(e, "/othergroup", 403);
	EXPECT_GET(e, "/priv/f", 403);
	EXPECT_GET(e, "/priv/", 403);
	EXPECT_GET(e, "/noexec/f", 403);
	EXPECT_GET(e, "/mine", 200);
	EXPECT_STREQ("mine", e->r.body);
	EXPECT_GET(e, "/group", 200);
	EXPECT_GET(e, "/world", 200);
	EXPECT_GET(e, "/xonly/f", 200);
	EXPECT_STREQ("search only", e->r.body);
	/* permissions are checked when they change, too */
	ASSERT_EQ(0, chmod(ROOT "/world", 0600));
	EXPECT_TRUE(get_until(e, "/world", 403, NULL, REVALIDATE_S));
}

/* --user, and uid 0 without capabilities: only the mode bits count. */
TEST_F(dr, service_user_has_no_capabilities)
{
	struct env *e = &self->e;

	ASSERT_EQ(0, mkfile(ROOT "/g1000", "g1000", 5, 0640));
	ASSERT_EQ(0, chown(ROOT "/g1000", 0, 1000));
	ASSERT_EQ(0, mkfile(ROOT "/nobodys", "n", 1, 0600));
	ASSERT_EQ(0, chown(ROOT "/nobodys", NOBODY, NOBODY));
	ASSERT_EQ(0, mkfile(ROOT "/u1000", "u", 1, 0600));
	ASSERT_EQ(0, chown(ROOT "/u1000", 1000, 1000));
	ASSERT_EQ(0, mkfile(ROOT "/mode0", "0", 1, 0000));
	ASSERT_EQ(0, mkfile(ROOT "/rootonly", "r", 1, 0600));
	ASSERT_EQ(0, mkdir(ROOT "/d1000", 0700));
	ASSERT_EQ(0, mkstr(ROOT "/d1000/f", "f"));
	ASSERT_EQ(0, chown(ROOT "/d1000", 1000, 1000));

	ASSERT_EQ(0, start_root(e, ROOT, 0, 1000, 1000));
	EXPECT_GET(e, "/g1000", 200);
	EXPECT_GET(e, "/u1000", 200);
	EXPECT_GET(e, "/d1000/f", 200);
	EXPECT_GET(e, "/nobodys", 403);
	EXPECT_GET(e, "/rootonly", 403);
	ASSERT_EQ(0, stop(e));

	/* root's uid without CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH */
	ASSERT_EQ(0, start_root(e, ROOT, 0, 0, 0));
	EXPECT_GET(e, "/rootonly", 200);
	EXPECT_GET(e, "/mode0", 403);
	EXPECT_GET(e, "/u1000", 403);
	EXPECT_GET(e, "/d1000/f", 403);
}

/*
 * A hard link to a file outside the root is that file: nothing tells it
 * from one created inside.  Asserted: it is served exactly when the
 * service user may read it, like any other file.
 */
TEST_F(dr, hardlinks_to_outside)
{
	struct env *e = &self->e;

	ASSERT_EQ(0, mkstr(OUT "/pub.txt", "public outside\n"));
	ASSERT_EQ(0, link(OUT "/pub.txt", ROOT "/pub.txt"));
	ASSERT_EQ(0, mkfile(OUT "/secret.txt", "secret\n", 7, 0600));
	ASSERT_EQ(0, link(OUT "/secret.txt", ROOT "/secret.txt"));
	START_NOBODY(e);
	EXPECT_GET(e, "/pub.txt", 200);
	EXPECT_STREQ("public outside\n", e->r.body);
	EXPECT_GET(e, "/secret.txt", 403);
	EXPECT_EQ(NULL, strstr(e->r.body, "secret"));
}

/* A .gz that is a FIFO or a symlink out of the root is no variant. */
TEST_F(dr, gz_sibling_that_is_no_file_ignored)
{
	struct env *e = &self->e;
	static const char *const targets[] = { "/a.txt", "/b.txt", "/c.txt" };
	size_t i;

	ASSERT_EQ(0, mkstr(ROOT "/a.txt", "identity\n"));
	ASSERT_EQ(0, mkfifo(ROOT "/a.txt.gz", 0666));
	ASSERT_EQ(0, mkstr(ROOT "/b.txt", "identity\n"));
	ASSERT_EQ(0, mkstr(OUT "/b.gz", "outside gz\n"));
	ASSERT_EQ(0, symlink("../outside/b.gz", ROOT "/b.txt.gz"));
	ASSERT_EQ(0, mkstr(ROOT "/c.txt", "identity\n"));
	ASSERT_EQ(0, symlink(OUT "/b.gz", ROOT "/c.txt.gz"));
	START_NOBODY(e);
	for (i = 0; i < ARRAY_SIZE(targets); i++) {
		EXPECT_EQ(200, req(e, "GET", targets[i],
				   "Accept-Encoding: gzip\r\n"))
			TH_LOG("%s", targets[i]);
		EXPECT_STREQ("identity\n", e->r.body) TH_LOG("%s", targets[i]);
		EXPECT_EQ(NULL, hdr(e, "Content-Encoding"))
			TH_LOG("%s", targets[i]);
	}
	EXPECT_FALSE(fifo_has_reader(ROOT "/a.txt.gz"));
}

TEST_F(dr, pseudo_filesystem_roots_exdev)
{
	struct env *e = &self->e;
	static const char *const roots[] = {
		"/proc", "/proc/sys", "/proc/self", "/sys", "/sys/kernel",
		"/sys/kernel/debug",
	};
	struct statfs sf;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		/* debugfs only if mounted (guest-init tries) */
		if (!strcmp(roots[i], "/sys/kernel/debug") &&
		    (statfs(roots[i], &sf) || sf.f_type != DEBUGFS_MAGIC))
			continue;
		EXPECT_EQ(-EXDEV, start_root(e, roots[i], 0, NOBODY, NOBODY))
			TH_LOG("START --root %s", roots[i]);
	}
	/* refused: nothing started */
	EXPECT_EQ(0, get_stats(e).running);
	ASSERT_EQ(0, mkstr(ROOT "/f.txt", "f\n"));
	START_NOBODY(e);
	EXPECT_GET(e, "/f.txt", 200);
}

TEST_F(dr, start_rejects_bad_arguments)
{
	struct env *e = &self->e;
	struct khttpd_start s = {
		.size = sizeof(s), .flags = KHTTPD_START_DOCROOT,
		.port = KHTTPD_PORT, .uid = NOBODY, .gid = NOBODY,
	};

	ASSERT_EQ(0, mkstr(ROOT "/f.txt", "f\n"));
	s.root_fd = -1;
	EXPECT_EQ(-EBADF, khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_START, &s,
					 sizeof(s)));
	s.root_fd = open(ROOT "/f.txt", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, s.root_fd);
	EXPECT_EQ(-ENOTDIR, khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_START, &s,
					   sizeof(s)));
	close(s.root_fd);
	EXPECT_EQ(-EINVAL, start_root(e, ROOT, 0, (__u32)-1, NOBODY));
	EXPECT_EQ(-EINVAL, start_root(e, ROOT, 0, NOBODY, (__u32)-1));
	/* NO_SYMLINKS without a docroot means nothing: refused */
	s.flags = KHTTPD_START_NO_SYMLINKS;
	s.root_fd = 0;
	EXPECT_EQ(-EINVAL, khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_START, &s,
					  sizeof(s)));
	EXPECT_EQ(0, get_stats(e).running);
	START_NOBODY(e);
	EXPECT_GET(e, "/f.txt", 200);
}

/*
 * Names near and past the limits: a file under 4000 bytes of path in
 * 255-byte names is served; a request path longer than the kernel's
 * PATH_MAX, or with a name over NAME_MAX, gets a complete 4xx answer.
 */
TEST_F(dr, long_names)
{
	struct env *e = &self->e;
	char seg[256], path[8192], target[8192];
	size_t n = 0;
	int i, st;

	memset(seg, 'n', 255);
	seg[255] = '\0';
	n = snprintf(path, sizeof(path), ROOT);
	for (i = 0; i < 15; i++) {
		n += snprintf(path + n, sizeof(path) - n, "/%s", seg);
		ASSERT_EQ(0, mkdir(path, 0755));
	}
	n += snprintf(path + n, sizeof(path) - n, "/f.txt");
	ASSERT_EQ(0, mkstr(path, "deep\n"));
	START_NOBODY(e);
	snprintf(target, sizeof(target), "%s", path + strlen(ROOT));
	EXPECT_GET(e, target, 200);
	EXPECT_STREQ("deep\n", e->r.body);

	/* a name over 255 bytes */
	memset(target, 'x', 300);
	target[0] = '/';
	target[300] = '\0';
	st = get(e, target);
	EXPECT_TRUE(st >= 400 && st < 500) TH_LOG("a 300-byte name: %d", st);
	/* a path over 4096 bytes, of names that exist */
	n = 0;
	for (i = 0; i < 17; i++)
		n += snprintf(target + n, sizeof(target) - n, "/%s", seg);
	st = get(e, target);
	EXPECT_TRUE(st >= 400 && st < 500) TH_LOG("a %zu-byte path: %d", n, st);
	/* the connection, or the next one, still serves */
	EXPECT_GET(e, "/nnn", 404);
}

/*
 * A client that sends its request and shuts its side at once still gets
 * the answer, though the name is looked up off the worker (a miss).
 */
TEST_F(dr, half_close_after_request_answered)
{
	struct env *e = &self->e;
	char target[32];
	int i, ret;

	for (i = 0; i < 20; i++) {
		snprintf(target, sizeof(target), ROOT "/h%d.txt", i);
		ASSERT_EQ(0, mkstr(target, "half\n"));
	}
	START_NOBODY(e);
	for (i = 0; i < 20; i++) {
		char req_buf[128];

		ASSERT_EQ(0, khttpd_client_open(&e->c, KHTTPD_PORT));
		/* two requests, the second for a name never looked up */
		snprintf(req_buf, sizeof(req_buf),
			 "GET /h%d.txt HTTP/1.1\r\n" H "\r\n"
			 "GET /h%d.txt HTTP/1.1\r\n" H "\r\n", i, (i + 1) % 20);
		ASSERT_EQ(0, khttpd_send_str(e->c.fd, req_buf));
		ASSERT_EQ(0, shutdown(e->c.fd, SHUT_WR));
		ret = khttpd_read_response(&e->c, &e->r, false);
		EXPECT_EQ(0, ret) TH_LOG("request %d: %s", i, strerror(-ret));
		EXPECT_EQ(200, e->r.status);
		EXPECT_STREQ("half\n", e->r.body);
		ret = khttpd_read_response(&e->c, &e->r, false);
		EXPECT_EQ(0, ret) TH_LOG("pipelined %d: %s", i, strerror(-ret));
		EXPECT_EQ(200, e->r.status);
		EXPECT_TRUE(khttpd_client_sees_close(&e->c, 5000));
		khttpd_client_close(&e->c);
	}
}

/* The docroot counters in /sys/kernel/khttpd/stats are those of @st. */
static void sysfs_matches(struct __test_metadata *_metadata,
			  const struct khttpd_stats *st)
{
	static const struct { const char *name; size_t off; } f[] = {
#define F(x) { #x, offsetof(struct khttpd_stats, x) }
		F(docroot_hits), F(docroot_lookups), F(docroot_reads),
		F(docroot_files), F(docroot_busy), F(docroot_aborts),
#undef F
	};
	unsigned long long v;
	char name[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		snprintf(name, sizeof(name), "stats/%s", f[i].name);
		EXPECT_EQ(0, khttpd_sysfs_read(name, &v))
			TH_LOG("/sys/kernel/khttpd/%s", name);
		EXPECT_EQ(*(const __u64 *)((const char *)st + f[i].off), v)
			TH_LOG("%s", f[i].name);
	}
}

struct flip {
	bool stop;		/* __atomic: the main thread sets it */
	long flips, errors;
};

/*
 * Exchange, atomically (RENAME_EXCHANGE), "flip" (a file) with "flip.alt"
 * (a symlink out of the root), and "fdir" (a directory) with "fdir.alt"
 * (a symlink to a directory out of the root), again and again.
 */
static void *flip_loop(void *arg)
{
	struct flip *fl = arg;

	while (!__atomic_load_n(&fl->stop, __ATOMIC_RELAXED)) {
		if (renameat2(AT_FDCWD, ROOT "/flip", AT_FDCWD, ROOT "/flip.alt",
			      RENAME_EXCHANGE) ||
		    renameat2(AT_FDCWD, ROOT "/fdir", AT_FDCWD, ROOT "/fdir.alt",
			      RENAME_EXCHANGE))
			fl->errors++;
		else
			fl->flips++;
		usleep(2000);
	}
	return NULL;
}

/*
 * Names flipping between what is inside and symlinks out of the root
 * while they are asked for: the secret outside is never answered, and
 * whatever is answered is whole.
 */
TEST_F_TIMEOUT(dr, symlink_swap_race_never_escapes, 120)
{
	struct env *e = &self->e;
	struct flip fl = { 0 };
	long answers = 0, leaks = 0, other = 0;
	pthread_t th;
	double t0;
	int st;

	ASSERT_EQ(0, mkstr(OUT "/secret.txt", "secret\n"));
	ASSERT_EQ(0, mkstr(ROOT "/flip", "inside\n"));
	ASSERT_EQ(0, mkdir(ROOT "/fdir", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/fdir/secret.txt", "inside\n"));
	ASSERT_EQ(0, symlink("../outside/secret.txt", ROOT "/flip.alt"));
	ASSERT_EQ(0, symlink("../outside", ROOT "/fdir.alt"));
	START_NOBODY(e);
	ASSERT_EQ(0, pthread_create(&th, NULL, flip_loop, &fl));
	t0 = khttpd_now();
	while (khttpd_now() - t0 < 6) {
		const char *t = answers & 1 ? "/fdir/secret.txt" : "/flip";

		st = get(e, t);
		answers++;
		if (st == 200 && strcmp(e->r.body, "inside\n"))
			leaks++;
		else if (st != 200 && st != 403 && st != 404 && st != 301)
			other++;
		if (strstr(e->r.body, "secret"))
			leaks++;
	}
	__atomic_store_n(&fl.stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	TH_LOG("%ld answers, %ld flips", answers, fl.flips);
	EXPECT_EQ(0, leaks);
	EXPECT_EQ(0, other) TH_LOG("answers that were neither 200 nor a refusal");
	EXPECT_EQ(0, fl.errors);
	EXPECT_LT(100, fl.flips);
}

static void hammer(int seconds)
{
	static const char *const t[] = {
		"/f.txt", "/a.txt", "/missing", "/d", "/d/", "/link.txt",
	};
	struct khttpd_client *c = malloc(sizeof(*c));
	struct khttpd_resp *r = malloc(sizeof(*r));
	double t0 = khttpd_now();
	unsigned int i = 0;
	char req_buf[128];

	if (!c || !r)
		_exit(1);
	c->fd = -1;
	while (khttpd_now() - t0 < seconds) {
		if (c->fd < 0 && khttpd_client_open(c, KHTTPD_PORT)) {
			usleep(1000);	/* stopped: refused */
			continue;
		}
		snprintf(req_buf, sizeof(req_buf), "GET %s HTTP/1.1\r\n" H
			 "Accept-Encoding: gzip\r\n\r\n", t[i++ % ARRAY_SIZE(t)]);
		if (khttpd_roundtrip(c, req_buf, r))
			khttpd_client_close(c);
	}
	_exit(0);
}

/* STOP and START again and again under load: nothing left behind. */
TEST_F_TIMEOUT(dr, stop_start_cycles_under_load, 300)
{
	struct env *e = &self->e;
	pid_t pid[3];
	int i, status;

	ASSERT_EQ(0, mkstr(ROOT "/f.txt", "f\n"));
	ASSERT_EQ(0, mkstr(ROOT "/a.txt", "a\n"));
	ASSERT_EQ(0, mkstr(ROOT "/a.txt.gz", "gz"));
	ASSERT_EQ(0, mkdir(ROOT "/d", 0755));
	ASSERT_EQ(0, mkstr(ROOT "/d/index.html", "i\n"));
	ASSERT_EQ(0, symlink("f.txt", ROOT "/link.txt"));
	START_NOBODY(e);
	for (i = 0; i < 3; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i]) {
			khttpd_ctl_close(&e->ctl);
			hammer(12);
		}
	}
	for (i = 0; i < 10; i++) {
		usleep(400000);
		ASSERT_EQ(0, stop(e));
		ASSERT_EQ(0, start_root(e, ROOT, i & 1 ? KHTTPD_START_NO_SYMLINKS : 0,
					NOBODY, NOBODY));
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	EXPECT_GET(e, "/f.txt", 200);
	ASSERT_EQ(0, stop(e));
	EXPECT_EQ(0, get_stats(e).docroot_files);
	EXPECT_EQ(0, umount(MNT)) TH_LOG("umount after STOP: %s",
					 strerror(errno));
}

TEST_F(dr, counters)
{
	struct env *e = &self->e;
	struct khttpd_stats s0, s1;

	ASSERT_EQ(0, mkstr(ROOT "/f.txt", "f\n"));
	ASSERT_EQ(0, mkstr(ROOT "/g.txt", "g\n"));
	START_NOBODY(e);
	s0 = get_stats(e);
	EXPECT_GET(e, "/f.txt", 200);
	EXPECT_GET(e, "/f.txt", 200);
	EXPECT_GET(e, "/f.txt", 200);
	EXPECT_GET(e, "/g.txt", 200);
	EXPECT_GET(e, "/missing", 404);
	s1 = get_stats(e);
	EXPECT_LE(s0.docroot_lookups + 2, s1.docroot_lookups)
		TH_LOG("two files looked up");
	EXPECT_LE(s0.docroot_hits + 2, s1.docroot_hits)
		TH_LOG("f.txt again, from the file cache");
	EXPECT_LE(2, s1.docroot_files);
	EXPECT_EQ(s0.docroot_busy, s1.docroot_busy);
	EXPECT_EQ(s0.docroot_aborts, s1.docroot_aborts);
	EXPECT_EQ(s0.requests + 5, s1.requests);
	/* sysfs says the same (nothing runs between the two reads) */
	sysfs_matches(_metadata, &s1);
	/* STOP empties the file cache */
	ASSERT_EQ(0, stop(e));
	EXPECT_EQ(0, get_stats(e).docroot_files);
}

/*
 * Pins take only what mem_cap leaves: with a cap of 1 MiB, two of five
 * files of 400,000 bytes are pinned at most, and all five are answered
 * whole either way.
 */
TEST_F(dr, pins_stay_within_mem_cap)
{
	struct env *e = &self->e;
	struct khttpd_config cfg = { .size = sizeof(cfg) };
	unsigned char *want[5];
	char path[64];
	__u64 pinned;
	int i;

	ASSERT_EQ(0, khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_GET_CONFIG, &cfg,
				    sizeof(cfg)));
	cfg.mem_cap = 1 << 20;
	ASSERT_EQ(0, khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_SET_CONFIG, &cfg,
				    sizeof(cfg)));
	for (i = 0; i < 5; i++) {
		want[i] = pat_buf(400000, 60 + i);
		ASSERT_NE(NULL, want[i]);
		snprintf(path, sizeof(path), ROOT "/p%d.bin", i);
		ASSERT_EQ(0, mkfile(path, want[i], 400000, 0644));
	}
	START_NOBODY(e);
	for (i = 0; i < 5; i++) {
		struct dl *d = dl_new(want[i], 400000);

		ASSERT_NE(NULL, d);
		snprintf(path, sizeof(path), "/p%d.bin", i);
		EXPECT_EQ(200, dl_all(d, path));
		EXPECT_TRUE(d->same && d->got == 400000) TH_LOG("%s", path);
		dl_free(d);
	}
	pinned = get_stats(e).docroot_pinned;
	/* 98 pages a file, and the store's built-in page beside them */
	EXPECT_LE(98 * 4096, pinned);
	EXPECT_GE(cfg.mem_cap, pinned + get_stats(e).content_bytes);
	for (i = 0; i < 5; i++)
		free(want[i]);
}

/* ==== fixture cold: ext4, caches dropped ================================ */

FIXTURE(cold) {
	struct env e;
};

FIXTURE_SETUP(cold)
{
	env_setup(_metadata, &self->e, "ext4");
}

FIXTURE_TEARDOWN(cold)
{
	env_teardown(_metadata, &self->e);
}

static void set_docroot_queue(struct __test_metadata *_metadata,
			      struct env *e, __u32 n)
{
	struct khttpd_config cfg = { .size = sizeof(cfg) };

	ASSERT_EQ(0, khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_GET_CONFIG, &cfg,
				    sizeof(cfg)));
	cfg.docroot_queue = n;
	ASSERT_EQ(0, khttpd_ctl_cmd(&e->ctl, KHTTPD_CMD_SET_CONFIG, &cfg,
				    sizeof(cfg)));
}

/* Request @i of a burst and the body its 200 must carry. */
typedef void (*burst_fn)(int i, char *req, size_t req_size, char *body,
			 size_t body_size);

/*
 * @n connections, each sends its request before any answer is read (so
 * that they reach the server together), then every answer is read in
 * turn: @ok counts the 200s with the right body, @busy the 503s, and
 * anything else is logged and counted in @bad.
 */
static void burst(struct __test_metadata *_metadata, struct env *e, int n,
		  burst_fn fn, int *ok, int *busy, int *bad)
{
	struct khttpd_client *c = malloc(sizeof(*c));
	int *fds = calloc(n, sizeof(*fds)), i;
	char req[256], body[64];

	ASSERT_NE(NULL, c);
	ASSERT_NE(NULL, fds);
	*ok = *busy = *bad = 0;
	for (i = 0; i < n; i++) {
		fds[i] = connect_rcvbuf(0);
		ASSERT_LE(0, fds[i]) TH_LOG("connection %d", i);
	}
	for (i = 0; i < n; i++) {
		fn(i, req, sizeof(req), body, sizeof(body));
		ASSERT_EQ(0, khttpd_send_str(fds[i], req));
	}
	for (i = 0; i < n; i++) {
		int ret;

		fn(i, req, sizeof(req), body, sizeof(body));
		c->fd = fds[i];
		c->len = 0;
		ret = khttpd_read_response(c, &e->r, false);
		if (!ret && e->r.status == 200 && !strcmp(e->r.body, body))
			++*ok;
		else if (!ret && e->r.status == 503)
			++*busy;
		else if (!(*bad)++)
			TH_LOG("connection %d: %s, status %d", i,
			       ret ? strerror(-ret) : "answered", e->r.status);
		close(fds[i]);
	}
	free(fds);
	free(c);
}

static void queue_req(int i, char *req, size_t req_size, char *body,
		      size_t body_size)
{
	snprintf(req, req_size, "GET /q/%d.txt HTTP/1.1\r\n" H "\r\n", i);
	snprintf(body, body_size, "q%d\n", i);
}

/*
 * More lookups waiting than docroot_queue allows answer 503, counted in
 * docroot_busy, and are not remembered: once the queue is drained the
 * same names answer 200.  With a queue of one and cold names on ext4
 * (each lookup reads the disk), requests sent together overflow it.
 */
TEST_F_TIMEOUT(cold, lookup_queue_overflow_is_503, 300)
{
	struct env *e = &self->e;
	enum { CONNS = 200 };
	int i, ok, busy, bad;
	struct khttpd_stats s0, s1;
	char path[128], body[32];

	ASSERT_EQ(0, mkdir(ROOT "/q", 0755));
	for (i = 0; i < CONNS; i++) {
		snprintf(path, sizeof(path), ROOT "/q/%d.txt", i);
		snprintf(body, sizeof(body), "q%d\n", i);
		ASSERT_EQ(0, mkstr(path, body));
	}
	set_docroot_queue(_metadata, e, 1);
	START_NOBODY(e);
	drop_caches();
	s0 = get_stats(e);
	burst(_metadata, e, CONNS, queue_req, &ok, &busy, &bad);
	s1 = get_stats(e);
	TH_LOG("%d answered, %d busy", ok, busy);
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, ok);
	EXPECT_LT(0, busy) TH_LOG("the queue of one never overflowed");
	EXPECT_EQ(busy, s1.docroot_busy - s0.docroot_busy);
	/*
	 * A 503 is not remembered: one at a time, every name answers (with
	 * the default queue again, so that a renewal of a name gone stale
	 * meanwhile, which takes a place too, cannot refuse one).
	 */
	set_docroot_queue(_metadata, e, KHTTPD_CFG_DOCROOT_QUEUE_DEF);
	for (i = 0; i < CONNS; i++) {
		snprintf(path, sizeof(path), "/q/%d.txt", i);
		snprintf(body, sizeof(body), "q%d\n", i);
		EXPECT_EQ(200, get(e, path)) TH_LOG("%s", path);
		EXPECT_STREQ(body, e->r.body);
	}
}

#define DEEP 40		/* levels of the one name */

static void deep_req(int i, char *req, size_t req_size, char *body,
		     size_t body_size)
{
	int k, n;

	n = snprintf(req, req_size, "GET /");
	for (k = 0; k < DEEP; k++)
		n += snprintf(req + n, req_size - n, "n/");
	snprintf(req + n, req_size - n, " HTTP/1.1\r\n" H "\r\n");
	snprintf(body, body_size, "launch\n");
}

/*
 * Requests for one cold name that come together are one lookup: the
 * others wait for its result and take no place in the queue, so even a
 * docroot_queue of one refuses none of them.
 */
TEST_F_TIMEOUT(cold, one_lookup_for_a_name_asked_at_once, 300)
{
	struct env *e = &self->e;
	enum { CONNS = 100 };
	char dir[sizeof(ROOT) + 3 * DEEP + 16];
	int i, ok, busy, bad;
	struct khttpd_stats s0, s1;

	/* deep, so that its lookup (cold: every level read from disk) lasts */
	strcpy(dir, ROOT);
	for (i = 0; i < DEEP; i++) {
		strcat(dir, "/n");
		ASSERT_EQ(0, mkdir(dir, 0755));
	}
	strcat(dir, "/index.html");
	ASSERT_EQ(0, mkstr(dir, "launch\n"));
	set_docroot_queue(_metadata, e, 1);
	START_NOBODY(e);
	drop_caches();
	s0 = get_stats(e);
	burst(_metadata, e, CONNS, deep_req, &ok, &busy, &bad);
	s1 = get_stats(e);
	EXPECT_EQ(CONNS, ok);
	EXPECT_EQ(0, busy);
	EXPECT_EQ(s0.docroot_busy, s1.docroot_busy);
	/* one, and one more if the name went stale meanwhile (the TTL) */
	EXPECT_GE(s0.docroot_lookups + 2, s1.docroot_lookups)
		TH_LOG("%llu lookups for one name",
		       (unsigned long long)(s1.docroot_lookups -
					    s0.docroot_lookups));
}

/*
 * A rewrite in place of the same size within the clock tick of the last
 * write leaves size, mtime and ctime as they were, to the nanosecond:
 * only the i_version tells, and the renewal after the TTL compares it.
 * The clock is set back to the file's ctime for the rewrite so that its
 * times come out the same (the guest's clock is restored after).
 */
TEST_F_TIMEOUT(cold, same_size_same_time_rewrite_seen_by_i_version, 60)
{
	struct env *e = &self->e;
	struct timespec mono0, mono1, real0;
	struct stat st0, st1;
	char etag[128], f[192];
	int fd, tries;

	ASSERT_EQ(0, mkstr(ROOT "/v.txt", "version 1\n"));
	START_NOBODY(e);
	ASSERT_EQ(200, get(e, "/v.txt"));
	EXPECT_STREQ("version 1\n", e->r.body);
	ASSERT_NE(NULL, hdr(e, "ETag"));
	snprintf(etag, sizeof(etag), "%s", hv(e, "ETag"));

	ASSERT_EQ(0, stat(ROOT "/v.txt", &st0));
	fd = open(ROOT "/v.txt", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &real0));
	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &mono0));
	for (tries = 0; tries < 20; tries++) {
		ASSERT_EQ(0, clock_settime(CLOCK_REALTIME, &st0.st_ctim));
		ASSERT_EQ(10, pwrite(fd, "version 2\n", 10, 0));
		ASSERT_EQ(0, fstat(fd, &st1));
		if (st1.st_mtim.tv_sec == st0.st_mtim.tv_sec &&
		    st1.st_mtim.tv_nsec == st0.st_mtim.tv_nsec &&
		    st1.st_ctim.tv_sec == st0.st_ctim.tv_sec &&
		    st1.st_ctim.tv_nsec == st0.st_ctim.tv_nsec)
			break;
	}
	/* the clock again, as if it had not been touched */
	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &mono1));
	real0.tv_sec += mono1.tv_sec - mono0.tv_sec;
	real0.tv_nsec += mono1.tv_nsec - mono0.tv_nsec;
	if (real0.tv_nsec < 0) {
		real0.tv_nsec += 1000000000;
		real0.tv_sec--;
	} else if (real0.tv_nsec >= 1000000000) {
		real0.tv_nsec -= 1000000000;
		real0.tv_sec++;
	}
	ASSERT_EQ(0, clock_settime(CLOCK_REALTIME, &real0));
	close(fd);
	if (tries == 20)
		SKIP(return, "no rewrite kept the file's times");

	/*
	 * Past the TTL, the first request is answered as before and has the
	 * name looked up again; what that lookup finds answers from then on.
	 */
	usleep(2500 * 1000);
	snprintf(f, sizeof(f), "If-None-Match: %s\r\n", etag);
	for (tries = 0; tries < 50; tries++) {
		if (req(e, "GET", "/v.txt", f) != 304)
			break;
		usleep(100 * 1000);
	}
	EXPECT_EQ(200, e->r.status);
	EXPECT_STREQ("version 2\n", e->r.body);
	ASSERT_NE(NULL, hdr(e, "ETag"));
	EXPECT_STRNE(etag, hv(e, "ETag"));
}

#define NCOLD 10000
#define COLD_PIPELINE 16

/* The body of cold file @i: its name, then filler, 1 to ~3000 bytes. */
static size_t cold_body(unsigned int i, char *buf)
{
	size_t len = (i * 7919u) % 3000 + 12, k;

	snprintf(buf, 13, "%011u\n", i);
	for (k = 12; k < len; k++)
		buf[k] = 'a' + (i + k) % 26;
	buf[len] = '\0';
	return len;
}

static void cold_target(unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "/c/%02u/%05u.txt", i % 100, i);
}

struct hot {
	bool stop;		/* __atomic: the main thread sets it */
	long ok, bad;
	double worst;		/* the slowest answer, seconds */
};

static void *hot_loop(void *arg)
{
	struct hot *h = arg;
	struct khttpd_client *c = malloc(sizeof(*c));
	struct khttpd_resp *r = malloc(sizeof(*r));

	if (!c || !r) {
		h->bad++;
		return NULL;
	}
	c->fd = -1;
	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED)) {
		double t0 = khttpd_now();
		int ret;

		if (c->fd < 0 && khttpd_client_open(c, KHTTPD_PORT)) {
			h->bad++;
			usleep(10000);
			continue;
		}
		ret = khttpd_roundtrip(c, "GET /hot.html HTTP/1.1\r\n" H "\r\n", r);
		if (khttpd_now() - t0 > h->worst)
			h->worst = khttpd_now() - t0;
		if (ret || r->status != 200 || strcmp(r->body, "hot\n")) {
			h->bad++;
			khttpd_client_close(c);
		} else {
			h->ok++;
		}
	}
	khttpd_client_close(c);
	free(c);
	free(r);
	return NULL;
}

/*
 * Ten thousand files nobody asked for since the caches were dropped,
 * pipelined, each with its own body; a hot file keeps being answered on
 * another connection the whole time.
 */
TEST_F_TIMEOUT(cold, ten_thousand_cold_files_beside_a_hot_one, 1200)
{
	struct env *e = &self->e;
	static char body[4096], req_buf[COLD_PIPELINE * 128];
	char path[256], target[64];
	struct khttpd_stats s0, s1;
	struct hot hot = { 0 };
	unsigned int i, k, bad = 0;
	pthread_t th;
	double t0;

	ASSERT_EQ(0, mkdir(ROOT "/c", 0755));
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), ROOT "/c/%02u", i);
		ASSERT_EQ(0, mkdir(path, 0755));
	}
	for (i = 0; i < NCOLD; i++) {
		size_t len = cold_body(i, body);

		cold_target(i, target, sizeof(target));
		snprintf(path, sizeof(path), ROOT "%s", target);
		ASSERT_EQ(0, mkfile(path, body, len, 0644)) TH_LOG("%s", path);
	}
	ASSERT_EQ(0, mkstr(ROOT "/hot.html", "hot\n"));
	drop_caches();
	START_NOBODY(e);
	s0 = get_stats(e);
	ASSERT_EQ(0, pthread_create(&th, NULL, hot_loop, &hot));
	t0 = khttpd_now();
	ASSERT_EQ(0, khttpd_client_open(&e->c, KHTTPD_PORT));
	for (i = 0; i < NCOLD; i += COLD_PIPELINE) {
		size_t n = 0;

		for (k = i; k < i + COLD_PIPELINE && k < NCOLD; k++) {
			cold_target(k, target, sizeof(target));
			n += snprintf(req_buf + n, sizeof(req_buf) - n,
				      "GET %s HTTP/1.1\r\n" H "\r\n", target);
		}
		ASSERT_EQ(0, khttpd_send_all(e->c.fd, req_buf, n));
		for (k = i; k < i + COLD_PIPELINE && k < NCOLD; k++) {
			size_t len = cold_body(k, body);
			int ret = khttpd_read_response(&e->c, &e->r, false);

			ASSERT_EQ(0, ret) TH_LOG("file %u: %s", k, strerror(-ret));
			if (e->r.status != 200 || !body_is(e, body, len)) {
				if (!bad++)
					TH_LOG("file %u: status %d, %zu bytes",
					       k, e->r.status, e->r.body_len);
			}
		}
	}
	__atomic_store_n(&hot.stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	s1 = get_stats(e);
	TH_LOG("%d cold files in %.1f s; hot: %ld answers, worst %.2f s; "
	       "lookups %llu reads %llu busy %llu", NCOLD, khttpd_now() - t0,
	       hot.ok, hot.worst,
	       (unsigned long long)(s1.docroot_lookups - s0.docroot_lookups),
	       (unsigned long long)(s1.docroot_reads - s0.docroot_reads),
	       (unsigned long long)(s1.docroot_busy - s0.docroot_busy));
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, hot.bad);
	EXPECT_LT(10, hot.ok);
	/* a hot answer waits for no cold lookup (generous: TCG) */
	EXPECT_GT(5.0, hot.worst);
	EXPECT_LT(s0.docroot_lookups, s1.docroot_lookups);
	EXPECT_LT(s0.docroot_reads, s1.docroot_reads);
	EXPECT_EQ(s0.docroot_busy, s1.docroot_busy);
}

/*
 * rmmod while cold reads are in flight: the clients see their answers
 * end, the kernel logs nothing, and the filesystem unmounts at once.
 */
TEST_F_TIMEOUT(cold, rmmod_with_cold_reads_in_flight, 300)
{
	struct env *e = &self->e;
	enum { N = 6, LEN = 8 << 20 };
	unsigned char *want[N];
	struct dl *d[N];
	char path[64];
	int i;

	for (i = 0; i < N; i++) {
		want[i] = pat_buf(LEN, 20 + i);
		ASSERT_NE(NULL, want[i]);
		snprintf(path, sizeof(path), ROOT "/f%d.bin", i);
		ASSERT_EQ(0, mkfile(path, want[i], LEN, 0644));
		d[i] = dl_new(want[i], LEN);
		ASSERT_NE(NULL, d[i]);
	}
	drop_caches();
	START_NOBODY(e);
	for (i = 0; i < N; i++) {
		snprintf(path, sizeof(path), "/f%d.bin", i);
		ASSERT_EQ(200, dl_open(d[i], path, SLOW_RCVBUF));
	}
	/* every answer runs when the module goes: else nothing is tested */
	for (i = 0; i < N; i++) {
		dl_read(d[i], 32 << 10);
		ASSERT_LE(32 << 10, d[i]->got) TH_LOG("client %d: end %d", i,
						       d[i]->end);
	}
	/* an open /dev/khttpd would hold the module */
	khttpd_ctl_close(&e->ctl);
	e->ctl.fd = -1;
	EXPECT_EQ(0, khttpd_unload());
	e->loaded = false;
	for (i = 0; i < N; i++) {
		dl_read(d[i], SIZE_MAX);
		/* all of it (it was on its way) or cut short, never a hang */
		EXPECT_TRUE(d[i]->got == LEN || d[i]->end == 1 ||
			    d[i]->end == -ECONNRESET)
			TH_LOG("client %d: end %d after %zu bytes", i,
			       d[i]->end, d[i]->got);
		EXPECT_TRUE(d[i]->same) TH_LOG("client %d: wrong bytes", i);
		dl_free(d[i]);
		free(want[i]);
	}
	EXPECT_EQ(0, umount(MNT)) TH_LOG("umount after rmmod: %s",
					 strerror(errno));
}

/*
 * STOP with lookups queued (pipelined requests for cold names on many
 * connections): it drains them, and the filesystem unmounts at once.
 */
TEST_F_TIMEOUT(cold, stop_with_lookups_queued, 300)
{
	struct env *e = &self->e;
	enum { FILES = 2000, CONNS = 8 };
	static char req_buf[FILES / CONNS * 64];
	char path[128], target[64];
	int fds[CONNS], i, k;
	size_t n;

	ASSERT_EQ(0, mkdir(ROOT "/c", 0755));
	for (i = 0; i < 100; i++) {
		snprintf(path, sizeof(path), ROOT "/c/%02u", i);
		ASSERT_EQ(0, mkdir(path, 0755));
	}
	for (i = 0; i < FILES; i++) {
		cold_target(i, target, sizeof(target));
		snprintf(path, sizeof(path), ROOT "%s", target);
		ASSERT_EQ(0, mkstr(path, "cold\n"));
	}
	drop_caches();
	START_NOBODY(e);
	for (k = 0; k < CONNS; k++) {
		fds[k] = connect_rcvbuf(0);
		ASSERT_LE(0, fds[k]);
		for (i = k, n = 0; i < FILES; i += CONNS) {
			cold_target(i, target, sizeof(target));
			n += snprintf(req_buf + n, sizeof(req_buf) - n,
				      "GET %s HTTP/1.1\r\n" H "\r\n", target);
		}
		ASSERT_EQ(0, khttpd_send_all(fds[k], req_buf, n));
	}
	ASSERT_EQ(0, stop(e));
	EXPECT_EQ(0, umount(MNT)) TH_LOG("umount after STOP: %s",
					 strerror(errno));
	for (k = 0; k < CONNS; k++)
		close(fds[k]);
}

TEST_HARNESS_MAIN
