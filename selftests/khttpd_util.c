// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by khttpd's guest selftests: loading the module, talking
 * HTTP over real sockets, and watching the kernel log for splats.  Linked
 * into every selftest binary; see khttpd_util.h for what each returns.
 */
#include "khttpd_util.h"

static const char *khttpd_module_path(void)
{
	const char *p = getenv("KHTTPD_MODULE");

	return p ? p : "/khttpd/khttpd.ko";
}

double khttpd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The current value of setting @key: /sys/kernel/khttpd/@key, else the
 * module parameter's file; NUL-terminated and trimmed in @buf, or false.
 */
static bool khttpd_setting_text(const char *key, char *buf, size_t len)
{
	char path[256];
	ssize_t r;
	size_t n;
	int fd = -1, i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), i ? "/sys/module/khttpd/parameters/%s" :
			 "/sys/kernel/khttpd/%s", key);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			break;
	}
	if (fd < 0)
		return false;
	r = read(fd, buf, len - 1);
	close(fd);
	n = r > 0 ? r : 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

/* Both are numbers (any base strtoull takes) of the same value. */
static bool khttpd_same_number(const char *a, const char *b)
{
	char *ea, *eb;
	unsigned long long x = strtoull(a, &ea, 0), y = strtoull(b, &eb, 0);

	return *a && *b && !*ea && !*eb && x == y;
}

/*
 * The kernel ignores a parameter the module does not have (it only logs
 * "unknown parameter"): check that each of KHTTPD_EXTRA_PARAMS @extra took
 * effect, so that a rerun "with X" never passes without X.  0 or -EINVAL.
 */
static int khttpd_extra_params_took(const char *extra)
{
	char buf[512], *save, *tok, *eq, cur[128];

	snprintf(buf, sizeof(buf), "%s", extra);
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			continue;	/* a bool flag: nothing to read back */
		*eq++ = '\0';
		if (!khttpd_setting_text(tok, cur, sizeof(cur))) {
			printf("# KHTTPD_EXTRA_PARAMS: this khttpd has no setting %s\n",
			       tok);
			return -EINVAL;
		}
		if (strcmp(cur, eq) && !khttpd_same_number(cur, eq)) {
			printf("# KHTTPD_EXTRA_PARAMS: %s is %s, not %s\n",
			       tok, cur, eq);
			return -EINVAL;
		}
	}
	return 0;
}

int khttpd_load(const char *params)
{
	int fd = open(khttpd_module_path(), O_RDONLY | O_CLOEXEC);
	const char *extra = getenv("KHTTPD_EXTRA_PARAMS");
	char all[1024];
	int ret;

	if (fd < 0)
		return -errno;
	/* appended: a parameter given twice takes its last value */
	snprintf(all, sizeof(all), "%s%s%s", params ? params : "",
		 extra && *extra ? " " : "", extra ? extra : "");
	/*
	 * A test killed by its timeout skips its teardown and leaves the
	 * module loaded (and fails for it): do not fail every test after it.
	 */
	if (access("/sys/module/khttpd", F_OK) == 0) {
		printf("# khttpd was left loaded: unloading it first\n");
		syscall(SYS_delete_module, "khttpd", O_NONBLOCK);
	}
	ret = syscall(SYS_finit_module, fd, all, 0);
	ret = ret ? -errno : 0;
	close(fd);
	if (!ret && extra && *extra) {
		ret = khttpd_extra_params_took(extra);
		if (ret)
			syscall(SYS_delete_module, "khttpd", O_NONBLOCK);
	}
	return ret;
}

int khttpd_unload(void)
{
	return syscall(SYS_delete_module, "khttpd", O_NONBLOCK) ? -errno : 0;
}

bool khttpd_loaded(void)
{
	return access("/sys/module/khttpd", F_OK) == 0;
}

/* the uring-httpd child khttpd_uring_start() started, or 0 */
static pid_t khttpd_uring_pid;

static int khttpd_uring_start(const char *params)
{
	char buf[512], *argv[40], *save, *tok, log[4096];
	char opts[40][128];
	int argc = 0, i, pfd[2];
	pid_t pid;

	argv[argc++] = "/khttpd/bin/uring-httpd";
	snprintf(opts[0], sizeof(opts[0]), "--port=%d", KHTTPD_PORT);
	argv[argc++] = opts[0];
	snprintf(buf, sizeof(buf), "%s", params ? params : "");
	for (tok = strtok_r(buf, " ", &save); tok && argc < 38;
	     tok = strtok_r(NULL, " ", &save)) {
		snprintf(opts[argc], sizeof(opts[argc]), "--%s", tok);
		for (i = 2; opts[argc][i] && opts[argc][i] != '='; i++)
			if (opts[argc][i] == '_')
				opts[argc][i] = '-';
		argv[argc] = opts[argc];
		argc++;
	}
	argv[argc] = NULL;
	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(pfd[0]);
		dup2(pfd[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	/* it says "N threads, port P: ..." once every thread listens */
	for (i = 0; i < (int)sizeof(log) - 1; ) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 10000) != 1)
			break;
		n = read(pfd[0], log + i, sizeof(log) - 1 - i);
		if (n <= 0)
			break;
		i += n;
		log[i] = '\0';
		if (strstr(log, " threads, port ")) {
			close(pfd[0]);
			khttpd_uring_pid = pid;
			return 0;
		}
	}
	close(pfd[0]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -ETIMEDOUT;
}

static int khttpd_uring_stop(void)
{
	int status;

	if (khttpd_uring_pid <= 0)
		return -ESRCH;
	kill(khttpd_uring_pid, SIGTERM);
	if (waitpid(khttpd_uring_pid, &status, 0) != khttpd_uring_pid)
		return -errno;
	khttpd_uring_pid = 0;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

int khttpd_server_start(const char *server, const char *params)
{
	char p[512];

	if (!strcmp(server, "khttpd")) {
		snprintf(p, sizeof(p), "port=%d %s", KHTTPD_PORT,
			 params ? params : "");
		return khttpd_load(p);
	}
	if (!strcmp(server, "uring-httpd"))
		return khttpd_uring_start(params);
	return -ENOSYS;
}

int khttpd_server_stop(const char *server)
{
	if (!strcmp(server, "khttpd"))
		return khttpd_unload();
	if (!strcmp(server, "uring-httpd"))
		return khttpd_uring_stop();
	return -ENOSYS;
}

int khttpd_kmsg_mark(const char *what)
{
	int fd = open("/dev/kmsg", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	char line[256];

	if (fd < 0)
		return -1;
	lseek(fd, 0, SEEK_END);
	/* <6>: info level, so the marker stays off a quiet console */
	snprintf(line, sizeof(line), "<6>khttpd-selftest: begin %s\n", what);
	/* The marker is for humans reading the log: ignore failure. */
	(void)!write(fd, line, strlen(line));
	return fd;
}

int khttpd_kmsg_check(int fd, char *bad, size_t badlen)
{
	static const char *const splats[] = {
		"WARNING:", "BUG:", "Oops", "general protection fault",
		"rcu_sched detected stall", "rcu_preempt detected stall",
		"detected stalls on CPU", "possible circular locking",
		"possible recursive locking", "inconsistent lock state",
		"suspicious RCU usage", "unreferenced object",
		"Kernel panic", "UBSAN:", "KASAN:", "kernel BUG",
		"scheduling while atomic", "sleeping function called",
		"khttpd: leak",	/* the module's own accounting, on unload */
	};
	char rec[8192];
	int found = 0;

	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		unsigned int i;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: keep going */
		if (n <= 0)
			break;
		rec[n] = '\0';
		for (i = 0; i < sizeof(splats) / sizeof(splats[0]); i++) {
			if (!strstr(rec, splats[i]))
				continue;
			if (!found++ && bad)
				snprintf(bad, badlen, "%.400s", rec);
			break;
		}
	}
	close(fd);
	return found;
}

static void khttpd_set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int khttpd_connect_finish(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int n, err;

	do {
		n = poll(&p, 1, KHTTPD_IO_TIMEOUT_MS);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n ? -errno : -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return -errno;
	return -err;
}

int khttpd_connect(unsigned short port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	khttpd_set_timeouts(fd, KHTTPD_IO_TIMEOUT_MS);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		int err = -errno;

		/*
		 * With a send timeout set, a signal (io_uring's task work
		 * counts) interrupts connect() with EINTR while the handshake
		 * goes on: wait for it as for a nonblocking connect.
		 */
		if (err == -EINTR)
			err = khttpd_connect_finish(fd);
		if (err) {
			close(fd);
			return err;
		}
	}
	return fd;
}

int khttpd_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

int khttpd_send_str(int fd, const char *s)
{
	return khttpd_send_all(fd, s, strlen(s));
}

int khttpd_client_open(struct khttpd_client *c, unsigned short port)
{
	c->len = 0;
	c->fd = khttpd_connect(port);
	return c->fd < 0 ? c->fd : 0;
}

void khttpd_client_close(struct khttpd_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

ssize_t khttpd_client_fill(struct khttpd_client *c)
{
	ssize_t n;

	if (c->len == sizeof(c->buf))
		return -ENOBUFS;
	do {
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	c->len += n;
	return n;
}

const char *khttpd_header(const struct khttpd_resp *r, const char *name,
			  char *val, size_t vlen)
{
	size_t nlen = strlen(name);
	const char *p = strstr(r->headers, "\r\n");

	while (p && p[2] != '\r' && p[2] != '\0') {
		const char *line = p + 2, *e = strstr(line, "\r\n");

		if (!e)
			break;
		if (!strncasecmp(line, name, nlen) && line[nlen] == ':') {
			const char *v = line + nlen + 1;
			size_t n;

			while (*v == ' ' || *v == '\t')
				v++;
			n = e - v;
			if (n >= vlen)
				n = vlen - 1;
			memcpy(val, v, n);
			val[n] = '\0';
			return val;
		}
		p = e;
	}
	return NULL;
}

int khttpd_read_response(struct khttpd_client *c, struct khttpd_resp *r,
			 bool head)
{
	char val[256];
	char *end;
	size_t hlen;
	ssize_t n;

	memset(r, 0, offsetof(struct khttpd_resp, body));
	r->body_len = 0;
	r->body[0] = '\0';
	r->content_length = -1;
	for (;;) {
		end = c->len ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
		if (end)
			break;
		n = khttpd_client_fill(c);
		if (n < 0)
			return n;
		if (n == 0)
			return c->len ? -EPROTO : -ENODATA;
	}
	hlen = end + 4 - c->buf;
	if (hlen >= sizeof(r->headers))
		return -E2BIG;
	memcpy(r->headers, c->buf, hlen);
	r->headers[hlen] = '\0';
	if (sscanf(r->headers, "HTTP/1.%*d %d ", &r->status) != 1)
		return -EPROTO;
	if (khttpd_header(r, "Content-Length", val, sizeof(val)))
		r->content_length = strtol(val, NULL, 10);
	if (khttpd_header(r, "Connection", val, sizeof(val)))
		r->conn_close = !strcasecmp(val, "close");

	memmove(c->buf, c->buf + hlen, c->len - hlen);
	c->len -= hlen;
	if (head || r->status == 304 || r->content_length <= 0)
		return 0;
	if ((size_t)r->content_length >= sizeof(r->body))
		return -E2BIG;
	while (c->len < (size_t)r->content_length) {
		n = khttpd_client_fill(c);
		if (n <= 0)
			return n ? n : -EPROTO;
	}
	r->body_len = r->content_length;
	memcpy(r->body, c->buf, r->body_len);
	r->body[r->body_len] = '\0';
	memmove(c->buf, c->buf + r->body_len, c->len - r->body_len);
	c->len -= r->body_len;
	return 0;
}

bool khttpd_client_sees_close(struct khttpd_client *c, int ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	char b;

	if (c->len)
		return false;
	if (poll(&p, 1, ms) != 1)
		return false;
	return recv(c->fd, &b, 1, MSG_DONTWAIT) <= 0;
}

int khttpd_server_side_state(int fd)
{
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	unsigned int lport, rport, st;
	char line[512];
	int state = 0;
	FILE *f;

	if (getsockname(fd, (struct sockaddr *)&me, &len))
		return -1;
	f = fopen("/proc/net/tcp", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %*x:%x %*x:%x %x", &lport, &rport,
			   &st) != 3)
			continue;
		if (lport == KHTTPD_PORT && rport == ntohs(me.sin_port))
			state = st;
	}
	fclose(f);
	return state;
}

int khttpd_roundtrip(struct khttpd_client *c, const char *req,
		     struct khttpd_resp *r)
{
	int ret = khttpd_send_str(c->fd, req);

	if (ret)
		return ret;
	return khttpd_read_response(c, r, !strncmp(req, "HEAD ", 5));
}

int khttpd_sysfs_read(const char *name, unsigned long long *v)
{
	char path[256], buf[64];
	int fd, n;

	snprintf(path, sizeof(path), "/sys/kernel/khttpd/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*v = strtoull(buf, NULL, 10);
	return 0;
}

int khttpd_sysfs_write(const char *name, const char *val)
{
	char path[256];
	int fd, ret = 0;

	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "/sys/kernel/khttpd/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}
