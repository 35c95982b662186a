// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of khttpd.conf's parser (userspace/conf.c), the part of
 * "khttpctl apply" that must refuse a bad file whole before anything
 * changes: each kind of mistake, alone, is one error on its own line;
 * several are all reported; a good file yields the START and the
 * settings it says, every other setting its default.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "conf.h"
#include "ctl_client.h"

static char errs[8192];

/* Parse @text into @c; what it printed on stderr lands in errs. */
static unsigned int parse(const char *text, struct conf *c)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	char path[] = "/tmp/conf_test.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	unsigned int n;
	ssize_t len;

	unlink(path);
	fflush(stderr);
	dup2(fd, 2);
	conf_init(c);
	n = conf_parse(f, "t.conf", c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	len = pread(fd, errs, sizeof(errs) - 1, 0);
	errs[len > 0 ? len : 0] = '\0';
	close(fd);
	fclose(f);
	return n;
}

static const struct {
	const char *text;
	const char *error;	/* what stderr must hold */
} bad[] = {
	{ "port = 8080\nnonsense\n", "t.conf:2: expected \"key = value\"" },
	{ "\n\nfoo = 1\n", "t.conf:3: unknown key 'foo'" },
	{ "port =\n", "t.conf:1: port has no value" },
	{ "port = 0\n", "t.conf:1: port must be a number from 1 to 65535" },
	{ "port = 65536\n", "t.conf:1: port must be" },
	{ "port = 80x\n", "t.conf:1: port must be" },
	{ "port = -1\n", "t.conf:1: port must be" },
	{ "max_conns = 99999999999999999999\n", "t.conf:1: max_conns must be" },
	{ "port = 80\n#c\nport = 81\n", "t.conf:3: port given twice (first on line 1)" },
	{ "listen = 1.2.3\n", "t.conf:1: listen '1.2.3': not an IPv4" },
	{ "listen = 0.0.0.0\nlisten = 127.0.0.1\n", "t.conf:2: a second IPv4" },
	{ "listen = ::\nlisten = ::1\n", "t.conf:2: a second IPv6" },
	{ "cpus = 3-1\n", "t.conf:1: cpus '3-1': a CPU range that ends" },
	{ "cpus = 0,\n", "t.conf:1: cpus '0,': not a CPU list" },
	{ "cpus = 99999\n", "t.conf:1: cpus '99999': a CPU beyond" },
	{ "backlog = 0\n", "t.conf:1: backlog must be" },
	{ "tls_port = 8080\n", "t.conf:1: tls_port is the same as port" },
	{ "root = relative/dir\n", "t.conf:1: root 'relative/dir': not an absolute" },
	{ "root = /nonexistent-khttpd\n", "t.conf:1: root '/nonexistent-khttpd': No such file" },
	{ "root = /etc/passwd\n", "t.conf:1: root '/etc/passwd': not a directory" },
	{ "user = nobody\n", "t.conf:1: user without root" },
	{ "root = /tmp\nuser = no-such-user-here\n", "t.conf:2: user 'no-such-user-here': no such user" },
	{ "root = /tmp\nuser = 12:x\n", "t.conf:2: user '12:x': not a user name" },
	{ "symlinks = maybe\n", "t.conf:1: symlinks must be yes or no" },
	{ "symlinks = no\n", "t.conf:1: symlinks without root" },
	{ "mime = /nonexistent-khttpd\n", "t.conf:1: mime '/nonexistent-khttpd': No such file" },
	{ "mime = /tmp\n", "t.conf:1: mime '/tmp': not a regular file" },
	{ "load = /nonexistent-khttpd\n", "t.conf:1: load '/nonexistent-khttpd': No such file" },
	{ "load = /tmp static\n", "t.conf:1: load's PREFIX 'static' must start with /" },
	{ "load = /tmp /static/\n", "t.conf:1: load's PREFIX '/static/' must start" },
	{ "load = /tmp /a /b\n", "t.conf:1: load takes DIR [PREFIX]" },
	{ "max_request_line = 60000\nmax_header_bytes = 6000\n",
	  "t.conf:2: max_request_line + max_header_bytes + 4 must not exceed 65536" },
	{ "port = 8\x01" "0\n", "t.conf:1: a control character" },
};

TEST(each_mistake_alone)
{
	struct conf c;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned int n = parse(bad[i].text, &c);

		EXPECT_EQ(1, n) TH_LOG("case %zu: %s", i, errs);
		EXPECT_NE(NULL, strstr(errs, bad[i].error))
			TH_LOG("case %zu: want '%s', got '%s'", i,
			       bad[i].error, errs);
		conf_free(&c);
	}
}

TEST(every_error_reported)
{
	struct conf c;

	EXPECT_EQ(3, parse("foo = 1\nport = 0\n# fine\nlisten = x\n", &c));
	EXPECT_NE(NULL, strstr(errs, "t.conf:1:"));
	EXPECT_NE(NULL, strstr(errs, "t.conf:2:"));
	EXPECT_NE(NULL, strstr(errs, "t.conf:4:"));
	conf_free(&c);
}

TEST(defaults)
{
	struct conf c;
	size_t k;

	ASSERT_EQ(0, parse("# nothing\n\n   \n\t# indented comment\n", &c))
		TH_LOG("%s", errs);
	for (k = 0; k < khttpd_n_params; k++)
		EXPECT_EQ(khttpd_params[k].def,
			  khttpd_param_get(&khttpd_params[k], &c.cfg))
			TH_LOG("%s", khttpd_params[k].name);
	EXPECT_EQ(0, c.start.flags);
	EXPECT_EQ(0, c.start.port);
	EXPECT_EQ(0, c.nload);
	EXPECT_EQ(NULL, c.root);
	conf_free(&c);
}

TEST(good_file)
{
	static const char text[] =
		"# a whole file\n"
		"listen = 127.0.0.1\n"
		"listen=::1\n"
		"  port   =   8081  \n"
		"tls_port = 8443\n"
		"cpus = 0-2,5\n"
		"backlog = 64\n"
		"root = /tmp\n"
		"user = 1000:1001\n"
		"symlinks = no\n"
		"mime = /etc/passwd\n"
		"load = /tmp\n"
		"load = /etc /e\n"
		"keepalive_timeout_ms = 1234\r\n"
		"mem_cap = 1099511627776\n";
	struct conf c;

	ASSERT_EQ(0, parse(text, &c)) TH_LOG("%s", errs);
	EXPECT_EQ(KHTTPD_START_IPV4 | KHTTPD_START_IPV6 | KHTTPD_START_TLS |
		  KHTTPD_START_DOCROOT | KHTTPD_START_NO_SYMLINKS,
		  c.start.flags);
	EXPECT_EQ(0, memcmp(c.start.addr4, "\x7f\0\0\x01", 4));
	EXPECT_EQ(1, c.start.addr6[15]);
	EXPECT_EQ(8081, c.cfg.port);
	EXPECT_EQ(0, c.start.port);
	EXPECT_EQ(8443, c.start.tls_port);
	EXPECT_EQ(0x27, c.start.cpus[0]);
	EXPECT_EQ(64, c.start.backlog);
	EXPECT_STREQ("/tmp", c.root);
	EXPECT_EQ(1000, c.start.uid);
	EXPECT_EQ(1001, c.start.gid);
	EXPECT_STREQ("/etc/passwd", c.mime);
	ASSERT_EQ(2, c.nload);
	EXPECT_STREQ("/tmp", c.load[0].dir);
	EXPECT_STREQ("", c.load[0].prefix);
	EXPECT_STREQ("/etc", c.load[1].dir);
	EXPECT_STREQ("/e", c.load[1].prefix);
	EXPECT_EQ(1234, c.cfg.keepalive_timeout_ms);
	EXPECT_EQ(1ULL << 40, c.cfg.mem_cap);
	EXPECT_EQ(KHTTPD_CFG_HEADER_TIMEOUT_MS_DEF, c.cfg.header_timeout_ms);
	conf_free(&c);
}

TEST(root_user_default_nobody)
{
	struct conf c;

	ASSERT_EQ(0, parse("root = /tmp\n", &c)) TH_LOG("%s", errs);
	EXPECT_EQ(65534, c.start.uid);
	EXPECT_EQ(65534, c.start.gid);
	conf_free(&c);
}

TEST(cpus_round_trip)
{
	static const char *const lists[] = {
		"0", "0-3", "1,3,5", "0-2,5,7-9", "1023", "0,1023",
	};
	char buf[4096];
	size_t i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		__u64 set[KHTTPD_CPUSET_WORDS] = { 0 };

		ASSERT_EQ(NULL, conf_parse_cpus(lists[i], set));
		conf_cpus_format(set, buf, sizeof(buf));
		EXPECT_STREQ(lists[i], buf);
	}
}

TEST_HARNESS_MAIN
