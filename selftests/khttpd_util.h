/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by khttpd's guest selftests: loading the module, talking
 * HTTP over real sockets, and watching the kernel log for splats.  The
 * code is in khttpd_util.c, linked into every selftest binary.
 */
#ifndef _KHTTPD_UTIL_H
#define _KHTTPD_UTIL_H

/* The tests use these too and have always had them from here. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define KHTTPD_PORT		8080
#define KHTTPD_IO_TIMEOUT_MS	10000	/* TCG guests are slow; hangs fail */

/* CLOCK_MONOTONIC in seconds. */
double khttpd_now(void);

/*
 * insmod $KHTTPD_MODULE (default /khttpd/khttpd.ko) with @params, first
 * unloading a khttpd left loaded; returns 0 or -errno.
 * $KHTTPD_EXTRA_PARAMS (space-separated key=value) is appended to @params,
 * so it overrides them: the runner reruns suites with it (fastpath=0).
 * Each of its keys must then read back, from /sys/kernel/khttpd/<key> or
 * the module parameter, as the value given: else (the module has no such
 * setting, which insmod only logs and ignores) the module is unloaded
 * again and the result is -EINVAL.  khttpd_server_start("khttpd") goes
 * through here; uring-httpd does not get them.
 */
int khttpd_load(const char *params);
/* rmmod khttpd; 0 or -errno. */
int khttpd_unload(void);
/* True if the module is loaded. */
bool khttpd_loaded(void);

/*
 * The servers under test, behind one interface so that one HTTP test suite
 * runs against each (a FIXTURE_VARIANT per server): @server is "khttpd" or
 * "uring-httpd".  @params is a space-separated list of key=value settings
 * named as the module's parameters; uring-httpd gets them as
 * --key-with-dashes=value.  Both listen on KHTTPD_PORT.
 * Start: 0 once it listens, or -errno (-ETIMEDOUT: uring-httpd never said
 * it listens; -ENOSYS: no such server).
 * Stop: 0, or -errno (-EIO: uring-httpd did not exit cleanly on SIGTERM;
 * -ESRCH: it was not started).
 */
int khttpd_server_start(const char *server, const char *params);
int khttpd_server_stop(const char *server);

/*
 * Kernel log watch.  khttpd_kmsg_mark() writes a marker line and remembers
 * where the log ends: returns an fd for khttpd_kmsg_check(), or -1.
 * khttpd_kmsg_check() reads everything logged since, closes @fd and
 * returns the number of lines that look like a kernel splat, copying the
 * first into @bad (if not NULL).
 */
int khttpd_kmsg_mark(const char *what);
int khttpd_kmsg_check(int fd, char *bad, size_t badlen);

/*
 * A blocking TCP connection to 127.0.0.1:@port (TCP_NODELAY, send and
 * receive timeouts of KHTTPD_IO_TIMEOUT_MS), or -errno.
 */
int khttpd_connect(unsigned short port);
/* Send all of @buf (retrying on EINTR); 0 or -errno. */
int khttpd_send_all(int fd, const void *buf, size_t len);
/* khttpd_send_all() of the string @s. */
int khttpd_send_str(int fd, const char *s);

struct khttpd_resp {
	int status;
	long content_length;	/* -1 if absent */
	bool conn_close;	/* "Connection: close" seen */
	char headers[8192];	/* raw header section, NUL-terminated */
	char body[65536 + 1];	/* NUL-terminated */
	size_t body_len;
};

/*
 * Per-connection receive buffer, so that bytes of a following (pipelined)
 * response read together with this one are not lost.
 */
struct khttpd_client {
	int fd;
	size_t len;
	char buf[131072];
};

/* Connect @c to @port with an empty buffer; 0 or -errno. */
int khttpd_client_open(struct khttpd_client *c, unsigned short port);
/* Close @c's socket (if open); @c->fd becomes -1. */
void khttpd_client_close(struct khttpd_client *c);
/* Read more into the buffer: >0 bytes, 0 on EOF, -errno on error. */
ssize_t khttpd_client_fill(struct khttpd_client *c);

/*
 * The value of header @name (case-insensitive) in @r, copied into @val
 * (truncated to @vlen - 1 bytes): @val, or NULL if absent.
 */
const char *khttpd_header(const struct khttpd_resp *r, const char *name,
			  char *val, size_t vlen);

/*
 * Read one response.  @head: the request was HEAD (no body follows).
 * Returns 0, or -errno / -EPROTO on a malformed response, -ENODATA on EOF
 * before any byte, -E2BIG if it does not fit @r.
 */
int khttpd_read_response(struct khttpd_client *c, struct khttpd_resp *r,
			 bool head);

/* True if the peer closes (EOF or reset) within @ms with nothing sent. */
bool khttpd_client_sees_close(struct khttpd_client *c, int ms);

/*
 * The TCP state (as in /proc/net/tcp: 1 established, 6 time-wait...) of
 * the server's end of the connection whose client end is @fd, or 0 if the
 * server has no such socket any more; -1 on error.
 */
int khttpd_server_side_state(int fd);

/* Send @req and read one response (HEAD if @req is); 0 or -errno. */
int khttpd_roundtrip(struct khttpd_client *c, const char *req,
		     struct khttpd_resp *r);

/* A file of /sys/kernel/khttpd, as a number; 0 or -errno. */
int khttpd_sysfs_read(const char *name, unsigned long long *v);

/* Write @val to a file of /sys/kernel/khttpd (or a path); 0 or -errno. */
int khttpd_sysfs_write(const char *name, const char *val);

#endif /* _KHTTPD_UTIL_H */
