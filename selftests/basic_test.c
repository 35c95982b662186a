// SPDX-License-Identifier: GPL-2.0
/*
 * khttpd basics: the module's threads, the built-in page, keep-alive,
 * split and pipelined requests, and unloading with connections open.
 *
 * Every test runs with the module freshly loaded on port 8080 and checks
 * afterwards that the kernel logged no warning, BUG or lockdep splat.
 */
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "khttpd_util.h"

#define GET_ROOT "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"

FIXTURE(khttpd) {
	int kmsg;
	bool loaded;
	struct khttpd_client c;
	struct khttpd_resp r;
};

FIXTURE_SETUP(khttpd)
{
	int ret;

	self->kmsg = khttpd_kmsg_mark(_metadata->name);
	self->c.fd = -1;
	ASSERT_FALSE(khttpd_loaded()) TH_LOG("khttpd already loaded");
	ret = khttpd_load("port=8080");
	ASSERT_EQ(0, ret) TH_LOG("insmod: %s", strerror(-ret));
	self->loaded = true;
}

FIXTURE_TEARDOWN(khttpd)
{
	char bad[512] = "";

	khttpd_client_close(&self->c);
	if (self->loaded)
		EXPECT_EQ(0, khttpd_unload());
	EXPECT_EQ(0, khttpd_kmsg_check(self->kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
}

/* Count khttpd/N threads and check each is bound to exactly CPU N. */
TEST_F(khttpd, one_thread_per_cpu)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	bool seen[1024] = { false };
	struct dirent *de;
	int found = 0;
	DIR *d;

	ASSERT_GT(ncpu, 0);
	ASSERT_LT(ncpu, 1024);
	d = opendir("/proc");
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		char path[300], buf[4096], *p;
		unsigned int cpu;
		FILE *f;
		size_t n;

		if (!isdigit(de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		if (sscanf(buf, "Name:\tkhttpd/%u", &cpu) != 1)
			continue;
		ASSERT_LT(cpu, ncpu);
		EXPECT_FALSE(seen[cpu]) TH_LOG("two threads for cpu %u", cpu);
		seen[cpu] = true;
		found++;
		p = strstr(buf, "Cpus_allowed_list:");
		ASSERT_NE(NULL, p);
		EXPECT_EQ(cpu, strtoul(p + strlen("Cpus_allowed_list:"), &p, 10));
		EXPECT_EQ('\n', *p) TH_LOG("khttpd/%u allowed on more CPUs", cpu);
	}
	closedir(d);
	EXPECT_EQ(ncpu, found);
}

TEST_F(khttpd, get_root)
{
	char val[128];

	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, GET_ROOT));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_EQ(13, self->r.content_length);
	ASSERT_EQ(13, self->r.body_len);
	EXPECT_EQ(0, memcmp(self->r.body, "Hello, World!", 13));
	ASSERT_NE(NULL, khttpd_header(&self->r, "Content-Type", val,
				      sizeof(val)));
	EXPECT_EQ(0, strncmp(val, "text/plain", 10));
	EXPECT_FALSE(self->r.conn_close);
}

TEST_F(khttpd, keepalive_two_requests)
{
	int i;

	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, khttpd_send_str(self->c.fd, GET_ROOT));
		ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
		EXPECT_EQ(200, self->r.status);
		EXPECT_EQ(13, self->r.body_len);
		EXPECT_FALSE(self->r.conn_close);
	}
}

/* One request in many TCP segments: every byte a separate send. */
TEST_F(khttpd, request_split_across_segments)
{
	const char *req = GET_ROOT;
	size_t i;

	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	for (i = 0; req[i]; i++) {
		ASSERT_EQ(0, khttpd_send_all(self->c.fd, &req[i], 1));
		usleep(2000);
	}
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_EQ(13, self->r.body_len);
}

TEST_F(khttpd, pipelined_requests_answered_in_order)
{
	char req[4096] = "";
	int i;

	for (i = 0; i < 20; i++)
		strcat(req, i % 2 ? "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"
				  : GET_ROOT);
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, req));
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
		EXPECT_EQ(i % 2 ? 404 : 200, self->r.status);
	}
}

TEST_F(khttpd, not_found_keeps_connection)
{
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_str(self->c.fd,
				     "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(404, self->r.status);
	EXPECT_FALSE(self->r.conn_close);
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, GET_ROOT));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
}

TEST_F(khttpd, head_has_no_body)
{
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_str(self->c.fd,
				     "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, true));
	EXPECT_EQ(200, self->r.status);
	EXPECT_EQ(13, self->r.content_length);
	/* The next bytes on the wire must be the next response. */
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, GET_ROOT));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_EQ(0, memcmp(self->r.body, "Hello, World!", 13));
}

TEST_F(khttpd, connection_close_honoured)
{
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_str(self->c.fd,
		"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_TRUE(self->r.conn_close);
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 5000));
}

TEST_F(khttpd, http10_closes_unless_keepalive)
{
	char val[64];

	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_str(self->c.fd,
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	ASSERT_NE(NULL, khttpd_header(&self->r, "Connection", val,
				      sizeof(val)));
	EXPECT_STREQ("keep-alive", val);

	ASSERT_EQ(0, khttpd_send_str(self->c.fd, "GET / HTTP/1.0\r\n\r\n"));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_TRUE(self->r.conn_close);
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 5000));
}

TEST_F(khttpd, garbage_gets_400_and_close)
{
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, "\x01\x02 nonsense\r\n\r\n"));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(400, self->r.status);
	EXPECT_TRUE(self->r.conn_close);
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 5000));
}

/* A request larger than the receive buffer is refused, not a hang. */
TEST_F(khttpd, oversized_request_refused)
{
	static char req[20000];

	memset(req, 'a', sizeof(req) - 1);
	memcpy(req, "GET /", 5);
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, req));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(414, self->r.status);
	EXPECT_TRUE(self->r.conn_close);
}

/* The client half-closes after its request: it still gets its answer. */
TEST_F(khttpd, answer_after_client_half_close)
{
	ASSERT_EQ(0, khttpd_client_open(&self->c, KHTTPD_PORT));
	ASSERT_EQ(0, khttpd_send_str(self->c.fd, GET_ROOT));
	ASSERT_EQ(0, shutdown(self->c.fd, SHUT_WR));
	ASSERT_EQ(0, khttpd_read_response(&self->c, &self->r, false));
	EXPECT_EQ(200, self->r.status);
	EXPECT_TRUE(khttpd_client_sees_close(&self->c, 5000));
}

/* Unload with idle keep-alive connections open: prompt, and they close. */
TEST_F(khttpd, rmmod_with_idle_connections)
{
	struct khttpd_client *cl;
	double t;
	int i, n = 64;

	cl = calloc(n, sizeof(*cl));
	ASSERT_NE(NULL, cl);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, khttpd_client_open(&cl[i], KHTTPD_PORT));
		/* Half of them idle after a request, half never sent one. */
		if (i % 2)
			continue;
		ASSERT_EQ(0, khttpd_send_str(cl[i].fd, GET_ROOT));
		ASSERT_EQ(0, khttpd_read_response(&cl[i], &self->r, false));
		ASSERT_EQ(200, self->r.status);
	}
	t = khttpd_now();
	ASSERT_EQ(0, khttpd_unload());
	t = khttpd_now() - t;
	self->loaded = false;
	EXPECT_LT(t, 1.0) TH_LOG("rmmod took %.3f s", t);
	for (i = 0; i < n; i++) {
		EXPECT_TRUE(khttpd_client_sees_close(&cl[i], 2000));
		khttpd_client_close(&cl[i]);
	}
	free(cl);
	/* And the port is free again. */
	EXPECT_EQ(-ECONNREFUSED, khttpd_connect(KHTTPD_PORT));
}

/* Unload while clients hammer the server: completes, promptly. */
TEST_F(khttpd, rmmod_under_load)
{
	long *served = mmap(NULL, sizeof(long), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t kids[4];
	double t;
	int i, status;

	ASSERT_NE(MAP_FAILED, served);
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		ASSERT_GE(kids[i], 0);
		if (kids[i] == 0) {
			struct khttpd_client *c = malloc(sizeof(*c));
			struct khttpd_resp *r = malloc(sizeof(*r));

			/* Until the server goes away: connect, a few GETs. */
			for (;;) {
				int k;

				if (khttpd_client_open(c, KHTTPD_PORT))
					_exit(0);
				for (k = 0; k < 8; k++) {
					if (khttpd_send_str(c->fd, GET_ROOT) ||
					    khttpd_read_response(c, r, false))
						break;
					__atomic_add_fetch(served, 1,
							   __ATOMIC_RELAXED);
				}
				khttpd_client_close(c);
			}
		}
	}
	/* Unload only once the clients are really being served. */
	for (i = 0; i < 100 && __atomic_load_n(served, __ATOMIC_RELAXED) < 100; i++)
		usleep(50 * 1000);
	ASSERT_GE(*served, 100);
	t = khttpd_now();
	ASSERT_EQ(0, khttpd_unload());
	t = khttpd_now() - t;
	self->loaded = false;
	EXPECT_LT(t, 2.0) TH_LOG("rmmod under load took %.3f s", t);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(kids[i], waitpid(kids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
	}
}

/* The port is taken by a plain (non-reuseport) socket: insmod fails. */
TEST(insmod_fails_cleanly_on_busy_port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(KHTTPD_PORT),
	};
	int kmsg = khttpd_kmsg_mark("insmod_fails_cleanly_on_busy_port");
	char bad[512] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	ASSERT_GE(fd, 0);
	/* past earlier tests' TIME_WAIT; a listener still excludes ours */
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, listen(fd, 1));
	EXPECT_EQ(-EADDRINUSE, khttpd_load("port=8080"));
	EXPECT_FALSE(khttpd_loaded());
	close(fd);
	EXPECT_EQ(0, khttpd_kmsg_check(kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
}

TEST(insmod_rmmod_20_times)
{
	int kmsg = khttpd_kmsg_mark("insmod_rmmod_20_times");
	struct khttpd_client c;
	struct khttpd_resp *r = malloc(sizeof(*r));
	char bad[512] = "";
	int i;

	ASSERT_NE(NULL, r);
	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, khttpd_load("port=8080")) TH_LOG("cycle %d", i);
		/* Leave a connection open across every other unload. */
		ASSERT_EQ(0, khttpd_client_open(&c, KHTTPD_PORT));
		ASSERT_EQ(0, khttpd_send_str(c.fd, GET_ROOT));
		ASSERT_EQ(0, khttpd_read_response(&c, r, false));
		EXPECT_EQ(200, r->status);
		if (i % 2)
			khttpd_client_close(&c);
		ASSERT_EQ(0, khttpd_unload()) TH_LOG("cycle %d", i);
		if (!(i % 2))
			khttpd_client_close(&c);
	}
	free(r);
	EXPECT_EQ(0, khttpd_kmsg_check(kmsg, bad, sizeof(bad)))
		TH_LOG("kernel log: %s", bad);
}

TEST_HARNESS_MAIN
