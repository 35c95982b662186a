// SPDX-License-Identifier: GPL-2.0
/*
 * The control plane under random input, for a bounded time: random and
 * mutated commands at /dev/khttpd through ioctl and uring_cmd (a variant
 * each: random opcodes and sizes, pointers to nothing, to the kernel and
 * across a guard page, reserved fields, paths and lengths), and random
 * writes at every sysfs knob.  Every call must come back with 0 or a
 * clean errno, a rejected call must leave the configuration and the
 * store as they were, no splat may follow, and the server must still
 * serve afterwards.
 *
 * make check: 5 s a test; KHTTPD_FULL=1 (make check-debug): 60 s.
 */
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"
#include "khttpd_ctl_util.h"

#define H "Host: t\r\n"

static double budget(void)
{
	const char *f = getenv("KHTTPD_FULL");

	return f && *f == '1' ? 60 : 5;
}

FIXTURE(fuzz) {
	int kmsg;
	bool loaded;
	struct khttpd_ctl c;
	struct khttpd_client cl;
	struct khttpd_resp r;
	unsigned char *scratch;	/* two pages, then a PROT_NONE page */
	unsigned int seed;
};

FIXTURE_VARIANT(fuzz) {
	bool use_ioctl;
};

FIXTURE_VARIANT_ADD(fuzz, ioctl) {
	.use_ioctl = true,
};

FIXTURE_VARIANT_ADD(fuzz, uring_cmd) {
	.use_ioctl = false,
};

FIXTURE_SETUP(fuzz)
{
	int ret;

	self->kmsg = khttpd_kmsg_mark(_metadata->name);
	self->cl.fd = -1;
	self->c.fd = -1;
	self->seed = 0x5eed;
	self->scratch = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->scratch);
	ASSERT_EQ(0, mprotect(self->scratch + 2 * 4096, 4096, PROT_NONE));
	ret = khttpd_load("port=8080");
	ASSERT_EQ(0, ret) TH_LOG("insmod: %s", strerror(-ret));
	self->loaded = true;
	ASSERT_EQ(0, khttpd_ctl_open(&self->c, NULL, variant->use_ioctl));
	if (!variant->use_ioctl && !self->c.uring)
		SKIP(return, "io_uring is not available");
}

FIXTURE_TEARDOWN(fuzz)
{
	char bad[512] = "";

	khttpd_client_close(&self->cl);
	khttpd_ctl_close(&self->c);
	if (self->loaded)
		EXPECT_EQ(0, khttpd_unload());
	EXPECT_EQ(0, khttpd_kmsg_check(self->kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
}

/*
 * What a rejected call must not change.  content_bytes is kept apart:
 * a replaced or deleted entry is uncharged when RCU frees it, after the
 * call that replaced it returned, so it may only go down meanwhile.
 */
struct state {
	struct khttpd_config cfg;
	__u64 entries;
	__u32 running;
	__u64 content_bytes;	/* last: not compared whole */
};

static void get_state(struct __test_metadata *_metadata,
		      struct khttpd_ctl *c, struct state *s)
{
	struct khttpd_stats st = { .size = sizeof(st) };

	memset(s, 0, sizeof(*s));
	s->cfg.size = sizeof(s->cfg);
	ASSERT_EQ(0, khttpd_ctl_cmd(c, KHTTPD_CMD_GET_CONFIG, &s->cfg, sizeof(s->cfg)));
	ASSERT_EQ(0, khttpd_ctl_cmd(c, KHTTPD_CMD_GET_STATS, &st, sizeof(st)));
	s->entries = st.entries;
	s->content_bytes = st.content_bytes;
	s->running = st.running;
}

static __u64 fuzz_ptr(FIXTURE_DATA(fuzz) *self)
{
	switch (rand_r(&self->seed) % 8) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 0xffff888000000000ULL;	/* the kernel's */
	case 3: return ~0ULL;
	case 4: return (uintptr_t)self->scratch + 2 * 4096;	/* guard */
	case 5: return (uintptr_t)self->scratch + 2 * 4096 - 1 -
		       rand_r(&self->seed) % 64;	/* runs into it */
	default: return (uintptr_t)self->scratch + 4096 +
			rand_r(&self->seed) % 2048;
	}
}

static __u64 fuzz_len(FIXTURE_DATA(fuzz) *self)
{
	switch (rand_r(&self->seed) % 6) {
	case 0: return 0;
	case 1: return rand_r(&self->seed) % 16;
	case 2: return rand_r(&self->seed) % 8192;
	case 3: return 1ULL << (rand_r(&self->seed) % 64);
	case 4: return ~0ULL >> (rand_r(&self->seed) % 64);
	default: return rand_r(&self->seed);
	}
}

/* Set @n bytes at @p to a random __u32/__u64 field value. */
static void fuzz_field(FIXTURE_DATA(fuzz) *self, void *p, int n, bool ptr)
{
	__u64 v = ptr ? fuzz_ptr(self) : fuzz_len(self);

	memcpy(p, &v, n);
}

/* After the storm: sane settings, known content, started, answering. */
static void serve_again(struct __test_metadata *_metadata,
			FIXTURE_DATA(fuzz) *self)
{
	struct khttpd_config cfg = { .size = sizeof(cfg) };
	struct khttpd_start st = { .size = sizeof(st), .port = 8080 };

	khttpd_ctl_cmd(&self->c, KHTTPD_CMD_STOP, NULL, 0);
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_GET_CONFIG, &cfg, sizeof(cfg)));
	cfg.max_request_line = 8192;
	cfg.max_header_bytes = 16384;
	cfg.max_header_fields = 100;
	cfg.max_conns = 100;
	cfg.header_timeout_ms = cfg.keepalive_timeout_ms = 10000;
	cfg.mem_cap = 64 << 20;
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &cfg, sizeof(cfg)));
	ASSERT_EQ(0, khttpd_put(&self->c, "/after", "text/plain", "alive", 5, NULL, 0));
	ASSERT_EQ(0, khttpd_ctl_cmd(&self->c, KHTTPD_CMD_START, &st, sizeof(st)));
	ASSERT_EQ(0, khttpd_client_open(&self->cl, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_roundtrip(&self->cl, "GET /after HTTP/1.1\r\n" H "\r\n", &self->r));
	EXPECT_EQ(200, self->r.status);
	EXPECT_STREQ("alive", self->r.body);
}

/* the harness's 30 s default is below the full budget */
TEST_F_TIMEOUT(fuzz, random_commands, 180)
{
	static const unsigned int ops[] = {
		KHTTPD_CMD_VERSION, KHTTPD_CMD_START, KHTTPD_CMD_STOP,
		KHTTPD_CMD_PUT, KHTTPD_CMD_DELETE, KHTTPD_CMD_LIST,
		KHTTPD_CMD_GET_STATS, KHTTPD_CMD_GET_CONFIG,
		KHTTPD_CMD_SET_CONFIG, KHTTPD_CMD_SET_MIME,
	};
	/* MIME records to cut, miscount and point into at random */
	static const char recs[] = "html\0text/html\0CSS\0text/css; charset=utf-8\0"
				   "js\0text/javascript\0HTML\0x/y\0";
	unsigned char *arg0 = self->scratch + 4096 - 512;
	double t0 = khttpd_now();
	long calls = 0, accepted = 0;
	struct state before, after;
	char path[32];

	get_state(_metadata, &self->c, &before);
	while (khttpd_now() - t0 < budget()) {
		unsigned int op = ops[rand_r(&self->seed) % ARRAY_SIZE(ops)], k;
		unsigned char *arg = arg0;
		__u32 len;
		int ret;

		/* the argument: random bytes, then plausible fields */
		for (k = 0; k < 512; k++)
			arg[k] = rand_r(&self->seed);
		switch (rand_r(&self->seed) % 4) {
		case 0:	/* a random command number near ours, or anywhere */
			op = rand_r(&self->seed) % 2 ?
			     _IOC(rand_r(&self->seed) % 4, KHTTPD_IOC_TYPE,
				  rand_r(&self->seed) % 16, rand_r(&self->seed) % 512) :
			     (unsigned int)rand_r(&self->seed);
			break;
		case 1:	/* the right size, the rest random */
			*(__u32 *)arg = _IOC_SIZE(op);
			break;
		default: /* right size, zero reserved, some fields mutated */
			memset(arg, 0, 512);
			*(__u32 *)arg = _IOC_SIZE(op);
			if (op == KHTTPD_CMD_PUT) {
				struct khttpd_put *p = (void *)arg;

				snprintf(path, sizeof(path), "/fz/%d",
					 rand_r(&self->seed) % 8);
				p->path = (uintptr_t)path;
				p->path_len = strlen(path);
				p->type = (uintptr_t)"text/plain";
				p->type_len = 10;
				p->body = (uintptr_t)self->scratch;
				p->body_len = rand_r(&self->seed) % 4096;
			}
			if (op == KHTTPD_CMD_SET_MIME) {
				struct khttpd_mime *m = (void *)arg;

				/* a few whole records, or a cut; the last repeats */
				m->buf = (uintptr_t)recs;
				m->buf_len = rand_r(&self->seed) % sizeof(recs);
				m->count = rand_r(&self->seed) % 5;
			}
			for (k = rand_r(&self->seed) % 4; k; k--) {
				unsigned int off = 4 + 4 * (rand_r(&self->seed) %
					((_IOC_SIZE(op) ? _IOC_SIZE(op) : 8) / 4));
				bool wide = !(off % 8) && rand_r(&self->seed) % 2;

				if (off + (wide ? 8 : 4) <= 512)
					fuzz_field(self, arg + off, wide ? 8 : 4, wide);
			}
			break;
		}
		/* uring_cmd's length: the struct's, mostly */
		len = _IOC_SIZE(op);
		if (rand_r(&self->seed) % 10 == 0)
			arg = (void *)(uintptr_t)fuzz_ptr(self);
		if (rand_r(&self->seed) % 4 == 0)
			len = fuzz_len(self);
		ret = khttpd_ctl_cmd(&self->c, op, arg, len);
		calls++;
		ASSERT_TRUE(ret <= 0 && ret > -4096) TH_LOG("op %#x: %d", op, ret);
		get_state(_metadata, &self->c, &after);
		if (ret < 0) {
			ASSERT_EQ(0, memcmp(&before, &after,
					    offsetof(struct state, content_bytes)))
				TH_LOG("op %#x failed with %d but changed state", op, ret);
			ASSERT_LE(after.content_bytes, before.content_bytes)
				TH_LOG("op %#x failed with %d but charged memory", op, ret);
			before.content_bytes = after.content_bytes;
		} else {
			accepted++;
			before = after;
		}
	}
	TH_LOG("%ld calls, %ld accepted", calls, accepted);
	EXPECT_GT(calls, 100);

	serve_again(_metadata, self);
}

static int sysfs_read(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY), n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n < 0 ? -errno : 0;
}

TEST_F_TIMEOUT(fuzz, random_sysfs_writes, 180)
{
	static const char *const words[] = {
		"", "0", "1", "-1", "65535", "65536", "4294967295",
		"4294967296", "18446744073709551616", "0x10", "1e3", " 7",
		"7 ", "7\n", "8080\n", "abc", "1\n2", "+5", "999999999999",
	};
	char names[64][300], before[256], after[256], val[64];
	double t0 = khttpd_now();
	int n = 0, i, k, fd;
	long writes = 0, accepted = 0;
	struct dirent *d;
	DIR *dir;

	for (k = 0; k < 2; k++) {
		const char *base = k ? "/sys/kernel/khttpd/stats" : "/sys/kernel/khttpd";

		dir = opendir(base);
		ASSERT_NE(NULL, dir);
		while ((d = readdir(dir)) && n < 64) {
			struct stat st;

			snprintf(names[n], sizeof(names[n]), "%s/%s", base, d->d_name);
			if (d->d_name[0] != '.' && !stat(names[n], &st) &&
			    S_ISREG(st.st_mode))
				n++;
		}
		closedir(dir);
	}
	ASSERT_GT(n, 10);
	while (khttpd_now() - t0 < budget()) {
		const char *name = names[rand_r(&self->seed) % n];
		size_t len;
		ssize_t w;

		if (rand_r(&self->seed) % 3) {
			snprintf(val, sizeof(val), "%s",
				 words[rand_r(&self->seed) % (sizeof(words) / sizeof(words[0]))]);
		} else {
			len = rand_r(&self->seed) % (sizeof(val) - 1);
			for (i = 0; i < (int)len; i++)
				val[i] = rand_r(&self->seed);
			val[len] = '\0';
		}
		ASSERT_EQ(0, sysfs_read(name, before, sizeof(before)));
		fd = open(name, O_WRONLY);
		if (fd < 0) {
			/* the counters are read-only */
			EXPECT_NE(NULL, strstr(name, "/stats/")) TH_LOG("%s: %s", name, strerror(errno));
			continue;
		}
		w = write(fd, val, strlen(val));
		close(fd);
		writes++;
		if (w >= 0) {
			accepted++;
			continue;
		}
		ASSERT_EQ(0, sysfs_read(name, after, sizeof(after)));
		if (!strstr(name, "/stats/"))
			EXPECT_STREQ(before, after)
				TH_LOG("%s: rejected '%s' but changed", name, val);
	}
	TH_LOG("%ld writes, %ld accepted", writes, accepted);
	EXPECT_GT(writes, 100);
	EXPECT_GT(writes, accepted);

	serve_again(_metadata, self);
}

/*
 * Extremes combined: every setting at its minimum, maximum, one past it,
 * zero or U64_MAX, several at once, then PUTs whose body length is at an
 * edge of the limits those settings make (mem_cap, KHTTPD_BODY_MAX, the
 * sums near 2^64).  A mem_cap of U64_MAX and a body of (u64)-1 used to
 * wrap the entry size and write past the entry; random commands never
 * combined the two.
 */
TEST_F_TIMEOUT(fuzz, extreme_settings_with_extreme_puts, 180)
{
	const int n = khttpd_n_params;
	double t0 = khttpd_now();
	long calls = 0, accepted = 0, puts_ok = 0;
	struct state before, after;

	get_state(_metadata, &self->c, &before);
	while (khttpd_now() - t0 < budget()) {
		struct khttpd_config c = before.cfg;
		__u64 cap, lens[14];
		int k, ret;

		/* one to four settings at an edge, the rest as they are */
		for (k = 1 + rand_r(&self->seed) % 4; k; k--) {
			const struct khttpd_param *s =
				&khttpd_params[rand_r(&self->seed) % n];
			__u64 v[6] = { s->min, s->max, s->max + 1, 0, ~0ULL,
				       s->min - 1 };

			khttpd_param_put(s, &c, v[rand_r(&self->seed) % 6]);
		}
		c.size = sizeof(c);
		ret = khttpd_ctl_cmd(&self->c, KHTTPD_CMD_SET_CONFIG, &c, sizeof(c));
		calls++;
		ASSERT_TRUE(ret == 0 || ret == -EINVAL) TH_LOG("SET_CONFIG: %d", ret);
		get_state(_metadata, &self->c, &after);
		if (ret) {
			ASSERT_EQ(0, memcmp(&before.cfg, &after.cfg, sizeof(c)))
				TH_LOG("a refused SET_CONFIG changed the settings");
		} else {
			accepted++;
			ASSERT_EQ(0, memcmp(&c, &after.cfg, sizeof(c)));
		}
		before = after;

		cap = after.cfg.mem_cap;
		lens[0] = 0;
		lens[1] = 1;
		lens[2] = 4096;
		lens[3] = 8192;			/* all of scratch, no guard */
		lens[4] = cap - 4096;
		lens[5] = cap;
		lens[6] = cap + 1;
		lens[7] = KHTTPD_BODY_MAX;
		lens[8] = KHTTPD_BODY_MAX + 1;
		lens[9] = ~0ULL;
		lens[10] = ~0ULL - 4095;
		lens[11] = ~0ULL - cap;
		lens[12] = 1ULL << (32 + rand_r(&self->seed) % 32);
		lens[13] = rand_r(&self->seed) % (3 << 20);
		for (k = 0; k < 4; k++) {
			__u64 len = lens[rand_r(&self->seed) % 14];
			char path[16];

			snprintf(path, sizeof(path), "/x%d", rand_r(&self->seed) % 4);
			ret = khttpd_put(&self->c, path, "text/plain",
					 rand_r(&self->seed) % 4 ? self->scratch : NULL,
					 len, NULL, 0);
			calls++;
			ASSERT_TRUE(ret == 0 || ret == -EFBIG || ret == -ENOSPC ||
				    ret == -ENOMEM || ret == -EFAULT)
				TH_LOG("PUT of %llu: %d", (unsigned long long)len, ret);
			get_state(_metadata, &self->c, &after);
			if (ret) {
				ASSERT_EQ(0, memcmp(&before, &after,
						    offsetof(struct state, content_bytes)))
					TH_LOG("PUT of %llu failed with %d but changed state",
					       (unsigned long long)len, ret);
				ASSERT_LE(after.content_bytes, before.content_bytes);
			} else {
				puts_ok++;
				ASSERT_LE(len, 8192);	/* only scratch is readable */
			}
			before = after;
		}
	}
	TH_LOG("%ld calls, %ld settings taken, %ld puts stored", calls,
	       accepted, puts_ok);
	EXPECT_GT(accepted, 0);
	EXPECT_GT(puts_ok, 0);

	serve_again(_metadata, self);
}

TEST_HARNESS_MAIN
