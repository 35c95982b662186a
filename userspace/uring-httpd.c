// SPDX-License-Identifier: GPL-2.0
/*
 * uring-httpd: the userspace io_uring HTTP server khttpd is measured
 * against.  It answers with the same HTTP engine (kmod/http.c and
 * kmod/http_resp.c) from the same kind of prebuilt responses, so the two
 * servers differ only in where they run.  It has to be as fast as
 * userspace can be on this kernel, or every comparison is a lie.
 *
 * One thread per CPU (--threads, --cpus), pinned, each with its own ring
 * and its own SO_REUSEPORT listener (SO_INCOMING_CPU), sharing nothing on
 * the hot path.  Techniques, each probed at start with a fallback, and the
 * kernel that brought them:
 *
 *   IORING_SETUP_SINGLE_ISSUER + DEFER_TASKRUN  6.1  (else COOP_TASKRUN
 *                                                     + TASKRUN_FLAG, 5.19)
 *   registered ring fd                          5.18
 *   multishot accept into direct descriptors    5.19 (else accept -> fds)
 *   multishot recv from a provided buffer ring  6.0 / 5.19
 *                                                    (else one recv each)
 *   IORING_OP_SPLICE of large bodies from the   5.7  (else sendmsg of
 *     content memfd through a pipe, io-wq           5.1   the mapped body)
 *     pinned to the thread's CPU (IOWQ_AFF)
 *   IORING_OP_SENDMSG_ZC for large bodies       6.1  (else sendmsg; off
 *                                                    by default: slower
 *                                                    over loopback)
 *   socket setsockopt via uring_cmd (SO_LINGER
 *     on a direct descriptor, to reset)         6.7
 *   io_uring_submit_and_wait_timeout: one
 *     io_uring_enter per loop, timers included  5.11
 *
 * Every prebuilt response lives in one memfd, mapped read-only.  Small
 * answers are copied whole into a per-connection buffer and sent with one
 * IORING_OP_SEND; larger ones go as a sendmsg of iovecs pointing into the
 * mapping; bodies of --splice-min bytes or more are spliced from the memfd
 * into a per-connection pipe and on to the socket, the sendfile() of
 * io_uring, so that the kernel sends the page-cache pages themselves
 * instead of copying them.  Timeouts (header, keep-alive, send)
 * use three deadline-ordered lists per thread, like the module, and the
 * wait's own timeout.  SIGINT/SIGTERM stop every thread at once through an
 * eventfd each ring reads.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>
#include <linux/khttpd.h>

#include "http.h"
#include "site.h"

/* Bodies this large or larger are spliced (see cfg.splice_min). */
#define SPLICE_MIN_DEFAULT	16384

/* ---- settings ------------------------------------------------------------ */

static struct {
	unsigned short port;
	int nthreads;
	cpu_set_t cpus;
	bool have_cpus;
	bool v4, v6;
	struct in_addr addr4;
	struct in6_addr addr6;
	int backlog;
	const char *root;
	unsigned int header_timeout_ms, keepalive_timeout_ms, send_timeout_ms;
	unsigned int max_conns;
	struct khttpd_limits limits;
	size_t zc_min, splice_min;
	/* techniques that may be switched off, to test the fallbacks */
	bool no_defer, no_multishot, no_bufring, no_direct, no_zc, no_regring;
	bool no_splice;
} cfg = {
	.port = 8080,
	.backlog = 1024,
	.header_timeout_ms = 10000,
	.keepalive_timeout_ms = 5000,
	.send_timeout_ms = 10000,
	.max_conns = 10000,
	.limits = {
		.max_request_line = KHTTPD_DEFAULT_MAX_REQUEST_LINE,
		.max_header_bytes = KHTTPD_DEFAULT_MAX_HEADER_BYTES,
		.max_header_fields = KHTTPD_DEFAULT_MAX_HEADER_FIELDS,
		.max_body = KHTTPD_DEFAULT_MAX_BODY,
	},
	/*
	 * Zero-copy sends measured slower here: over loopback the receiver
	 * copies zero-copy frags anyway (skb_orphan_frags_rx), so the
	 * notification round trip is pure cost.  Off by default; a real NIC
	 * may want --zc-min 65536.
	 */
	.zc_min = 0,
	/*
	 * io_uring runs every splice on an io-wq worker (it may block), so a
	 * splice costs two thread hand-offs: worth it for large bodies only.
	 * Measured under make bench (server vCPU instructions per request,
	 * copy -> splice): 16 KiB 49.7k -> 31.5k, 1 MiB 2364k -> 396k; an
	 * earlier run saw 13 B bodies cost more spliced.
	 */
	.splice_min = SPLICE_MIN_DEFAULT,
};

/* What the kernel turned out to support (set once, before threads run). */
static struct {
	bool defer, regring, multishot_accept, multishot_recv, bufring;
	bool direct, zc, sockopt, splice;
} has;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("uring-httpd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- content ------------------------------------------------------------ */

/* A prebuilt response laid out as the module's: [304][200 fields][body]. */
struct entry {
	struct entry *next;
	char *path;
	uint32_t path_len;
	uint32_t hash;
	struct khttpd_resource res;
	char etag[KHTTPD_ETAG_LEN];
	uint32_t nm_len, fields_len;
	uint64_t body_len;
	uint64_t foff;		/* of buf in the content memfd */
	char *buf;		/* [304 fields][200 fields][body] */
};

/* All site responses, back to back; mapped read-only once loaded. */
static int content_fd = -1;
static uint64_t content_size;

#define TABLE_SIZE 4096
static struct entry *table[TABLE_SIZE];
static const int error_status[] = {
	400, 404, 405, 408, 413, 414, 431, 500, 501, 503, 505,
};
static struct entry errors[sizeof(error_status) / sizeof(error_status[0])];

static uint32_t path_hash(const char *p, size_t len)
{
	return (uint32_t)khttpd_http_hash(KHTTPD_HASH_INIT, p, len);
}

static struct entry *lookup(const char *path, uint32_t len)
{
	uint32_t h = path_hash(path, len);
	struct entry *e;

	for (e = table[h % TABLE_SIZE]; e; e = e->next)
		if (e->hash == h && e->path_len == len &&
		    !memcmp(e->path, path, len))
			return e;
	return NULL;
}

static struct entry *error_entry(int status)
{
	size_t i;

	for (i = 0; i < sizeof(error_status) / sizeof(error_status[0]); i++)
		if (error_status[i] == status)
			return &errors[i];
	return error_entry(500);
}

static void content_append(const void *p, uint64_t len)
{
	ssize_t n;

	while (len) {
		n = pwrite(content_fd, p, len, content_size);
		if (n <= 0)
			die("writing the content memfd: %s",
			    n ? strerror(errno) : "short write");
		p = (const char *)p + n;
		len -= n;
		content_size += n;
	}
}

static void add_entry(const char *url, const char *type, const void *body,
		      uint64_t len, uint64_t mtime)
{
	struct entry *e = calloc(1, sizeof(*e)), **slot;
	char fields[2048];
	size_t nm, f;

	if (!e)
		die("out of memory");
	if (!khttpd_http_path_ok(url, strlen(url))) {
		fprintf(stderr, "uring-httpd: skipping %s: not a valid path\n", url);
		free(e);
		return;
	}
	khttpd_http_make_etag(e->etag, khttpd_http_hash(KHTTPD_HASH_INIT, body, len),
			      len, mtime);
	e->res.etag = e->etag;
	e->res.etag_len = KHTTPD_ETAG_LEN;
	e->res.mtime = mtime;
	nm = khttpd_http_resource_fields(fields, sizeof(fields), &e->res, type,
					 NULL, len, true);
	f = khttpd_http_resource_fields(fields + nm, sizeof(fields) - nm,
					&e->res, type, NULL, len, false);
	if (!nm || !f)
		die("header fields of %s do not fit", url);
	e->foff = content_size;
	content_append(fields, nm + f);
	content_append(body, len);
	e->nm_len = nm;
	e->fields_len = f;
	e->body_len = len;
	e->path = strdup(url);
	e->path_len = strlen(url);
	e->hash = path_hash(url, e->path_len);
	/* a later file for the same URL replaces the earlier */
	for (slot = &table[e->hash % TABLE_SIZE]; *slot; slot = &(*slot)->next) {
		if ((*slot)->path_len == e->path_len &&
		    !memcmp((*slot)->path, url, e->path_len)) {
			e->next = (*slot)->next;
			*slot = e;
			return;
		}
	}
	*slot = e;
}

static int add_file(void *ctx, const char *url, const char *file)
{
	struct stat st;
	void *map = NULL;
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "uring-httpd: %s: %s\n", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (st.st_size) {
		map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED)
			die("%s: %s", file, strerror(errno));
	}
	close(fd);
	add_entry(url, site_mime_type(file), map, st.st_size, st.st_mtime);
	if (map)
		munmap(map, st.st_size);
	(*(unsigned long *)ctx)++;
	return 0;
}

/* Point every entry into the mapped memfd, now that it is complete. */
static void map_content(void)
{
	char *base;
	size_t i;

	base = mmap(NULL, content_size, PROT_READ, MAP_SHARED, content_fd, 0);
	if (base == MAP_FAILED)
		die("mapping the content: %s", strerror(errno));
	for (i = 0; i < TABLE_SIZE; i++) {
		struct entry *e;

		for (e = table[i]; e; e = e->next)
			e->buf = base + e->foff;
	}
}

static void load_content(void)
{
	size_t i;

	for (i = 0; i < sizeof(error_status) / sizeof(error_status[0]); i++) {
		struct entry *e = &errors[i];
		size_t fields, len;

		e->buf = malloc(1024);
		len = khttpd_http_error_response(e->buf, 1024, error_status[i],
						 &fields);
		if (!len)
			die("error response %d does not fit", error_status[i]);
		e->fields_len = fields;
		e->body_len = len - fields;
	}
	content_fd = memfd_create("uring-httpd-content", MFD_CLOEXEC);
	if (content_fd < 0)
		die("memfd_create: %s", strerror(errno));
	if (cfg.root) {
		unsigned long n = 0;
		int err = site_walk(cfg.root, "", add_file, &n);

		if (err)
			die("%s: %s", cfg.root, strerror(-err));
		fprintf(stderr, "uring-httpd: loaded %lu files from %s\n", n,
			cfg.root);
	}
	if (!lookup("/", 1))
		add_entry("/", "text/plain; charset=utf-8", "Hello, World!", 13,
			  time(NULL));
	map_content();
}

/* ---- connections -------------------------------------------------------- */

/* user_data: a 16-byte aligned pointer, the operation in its low bits */
enum op {
	OP_NONE, OP_ACCEPT, OP_RECV, OP_SEND, OP_SEND_ZC, OP_SHUTDOWN,
	OP_CLOSE, OP_CANCEL, OP_WAKE, OP_SPLICE_IN, OP_SPLICE_OUT,
};
#define UD(ptr, op)	((uint64_t)(uintptr_t)(ptr) | (op))
#define UD_PTR(ud)	((void *)(uintptr_t)((ud) & ~15ULL))
#define UD_OP(ud)	((int)((ud) & 15))

/*
 * A zero-copy send: the kernel reads the buffers until its notification
 * CQE, which may come after the connection is gone, so the per-response
 * bytes of that send are handed over to the ticket and freed with it.
 */
struct zc_ticket {
	struct conn *c;		/* valid until the send's result CQE */
	char *bytes;
} __attribute__((aligned(16)));

/* SOCKET_URING_OP_SETSOCKOPT of Linux 6.7; liburing 2.3 predates it */
#define SOCKET_OP_SETSOCKOPT 3

enum tclass { T_HEADER, T_IDLE, T_SEND, T_CLASSES, T_NONE = T_CLASSES };

#define WBUF_SIZE	4096	/* per-response bytes, copied small answers */
#define COPY_MAX	1024	/* answers up to this are copied whole */
#define MAX_IOV		64
#define RX_MAX		65536
#define BUF_SIZE	4096	/* provided buffers */
#define BUF_COUNT	1024	/* per thread; a power of two */
#define BGID		1

struct worker;

/* One side of the output double buffer: built, then in flight. */
struct outbuf {
	char *bytes;		/* WBUF_SIZE, for heads and small answers */
	size_t used;
	struct iovec iov[MAX_IOV];
	int niov;
	size_t total;
	bool zc;		/* has a large body: send zero-copy */
	/* then a body to splice from the content memfd (seals the buffer) */
	uint64_t sp_off, sp_left;
};

struct conn {
	struct worker *w;		/* (calloc: 16-byte aligned) */
	int fd;			/* direct descriptor index, or fd */
	int refs;		/* operations in flight */
	bool recv_armed, sending, closing, lingering, peer_closed, dying;
	bool served, abort;
	bool rx_paused;		/* receive cancelled: too much unanswered */
	struct khttpd_parser parser;
	char *rx;		/* leftover bytes of an incomplete request */
	uint32_t rx_len, rx_cap;
	char *rxplain;		/* receive buffer without a buffer ring */
	struct outbuf out[2];	/* [cur] in flight, [!cur] being built */
	int cur;
	struct msghdr msg;
	int pipe[2];		/* for splicing, made on first use */
	unsigned int pipe_sz;	/* 0: no pipe */
	unsigned int inpipe;	/* body bytes in the pipe, not yet sent */
	/* timeouts */
	struct conn *tprev, *tnext;
	enum tclass tclass;
	uint64_t deadline;	/* ms, CLOCK_MONOTONIC */
};

struct worker {
	int id, cpu;
	pthread_t thread;
	struct io_uring ring;
	int listen_fd;
	int wake_fd;
	uint64_t wake_buf;
	bool stop, accept_armed;
	struct io_uring_buf_ring *br;
	char *bufs;
	unsigned int nconns;
	struct conn *thead[T_CLASSES], *ttail[T_CLASSES];
	uint64_t now_ms;
	time_t date_secs;
	char date[KHTTPD_DATE_LEN];
} __attribute__((aligned(16)));

static struct worker *workers;
static unsigned int open_conns;	/* all threads; atomics */
static unsigned int ready;	/* threads listening; atomic */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static const char *worker_date(struct worker *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	if (ts.tv_sec != w->date_secs) {
		khttpd_http_date(ts.tv_sec, w->date);
		w->date_secs = ts.tv_sec;
	}
	return w->date;
}

static struct io_uring_sqe *get_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (!sqe) {
		io_uring_submit(&w->ring);
		sqe = io_uring_get_sqe(&w->ring);
		if (!sqe)
			die("submission queue full");
	}
	return sqe;
}

/* Operations on a connection's socket: direct descriptor or plain fd. */
static void fixed(struct io_uring_sqe *sqe)
{
	if (has.direct)
		sqe->flags |= IOSQE_FIXED_FILE;
}

static void timer_unlink(struct worker *w, struct conn *c)
{
	if (c->tclass == T_NONE)
		return;
	if (c->tprev)
		c->tprev->tnext = c->tnext;
	else
		w->thead[c->tclass] = c->tnext;
	if (c->tnext)
		c->tnext->tprev = c->tprev;
	else
		w->ttail[c->tclass] = c->tprev;
	c->tprev = c->tnext = NULL;
	c->tclass = T_NONE;
}

/* As in the module: keep the deadline of a class unless @restart. */
static void set_timer(struct conn *c, enum tclass class, bool restart)
{
	struct worker *w = c->w;
	unsigned int ms;

	if (c->tclass == class && !restart)
		return;
	timer_unlink(w, c);
	ms = class == T_HEADER ? cfg.header_timeout_ms :
	     class == T_SEND ? cfg.send_timeout_ms : cfg.keepalive_timeout_ms;
	c->deadline = w->now_ms + ms;
	c->tclass = class;
	c->tprev = w->ttail[class];
	if (c->tprev)
		c->tprev->tnext = c;
	else
		w->thead[class] = c;
	w->ttail[class] = c;
}

static void conn_free(struct conn *c)
{
	struct worker *w = c->w;

	timer_unlink(w, c);
	free(c->rx);
	free(c->rxplain);
	free(c->out[0].bytes);
	free(c->out[1].bytes);
	if (c->pipe_sz) {
		close(c->pipe[0]);
		close(c->pipe[1]);
	}
	free(c);
	w->nconns--;
	__atomic_sub_fetch(&open_conns, 1, __ATOMIC_RELAXED);
}

static void arm_recv(struct conn *c);

/* Nothing refers to the socket any more: close it (reset if @c->abort). */
static void do_close(struct conn *c)
{
	struct io_uring_sqe *sqe;

	if (c->abort) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (!has.direct) {
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		} else if (has.sockopt) {
			static const struct linger zero = { 1, 0 };

			/* SOCKET_URING_OP_SETSOCKOPT: no liburing 2.3 helper */
			sqe = get_sqe(c->w);
			memset(sqe, 0, sizeof(*sqe));
			sqe->opcode = IORING_OP_URING_CMD;
			sqe->fd = c->fd;
			/* best effort: a failure leaves a plain close */
			sqe->flags = IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
			sqe->cmd_op = SOCKET_OP_SETSOCKOPT;
			sqe->addr = SOL_SOCKET | (uint64_t)SO_LINGER << 32;
			sqe->file_index = sizeof(zero);	/* optlen */
			sqe->addr3 = (uintptr_t)&zero;	/* optval */
			io_uring_sqe_set_data64(sqe, UD(NULL, OP_NONE));
		}
	}
	sqe = get_sqe(c->w);
	if (has.direct)
		io_uring_prep_close_direct(sqe, c->fd);
	else
		io_uring_prep_close(sqe, c->fd);
	io_uring_sqe_set_data64(sqe, UD(c, OP_CLOSE));
	c->refs++;
}

/*
 * Close: cancel whatever is still in flight on the socket, then close it
 * once nothing refers to it.  @abort resets (SO_LINGER 0) a client that
 * stopped reading, whose unsent data would otherwise linger.
 */
static void conn_close(struct conn *c, bool abort)
{
	struct io_uring_sqe *sqe;

	if (c->dying)
		return;
	c->dying = true;
	c->abort = abort;
	timer_unlink(c->w, c);
	if (!c->refs) {
		do_close(c);
		return;
	}
	sqe = get_sqe(c->w);
	io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ALL |
			       IORING_ASYNC_CANCEL_FD);
	sqe->fd = c->fd;
	if (has.direct)
		sqe->cancel_flags |= IORING_ASYNC_CANCEL_FD_FIXED;
	io_uring_sqe_set_data64(sqe, UD(c, OP_CANCEL));
	c->refs++;
}

/* Called when an operation on @c completes: finish a close if it can. */
static void conn_put_op(struct conn *c)
{
	if (!--c->refs && c->dying)
		do_close(c);
}

/* Start sending what was built, if nothing is in flight. */
static void flush(struct conn *c)
{
	struct outbuf *o = &c->out[!c->cur];
	struct io_uring_sqe *sqe;

	if (c->sending || !o->niov || c->dying)
		return;
	c->cur = !c->cur;
	sqe = get_sqe(c->w);
	if (o->niov == 1 && !o->zc) {
		/* a spliced body follows: let TCP fill segments across both */
		io_uring_prep_send(sqe, c->fd, o->iov[0].iov_base,
				   o->iov[0].iov_len, MSG_NOSIGNAL |
				   (o->sp_left ? MSG_MORE : 0));
	} else {
		memset(&c->msg, 0, sizeof(c->msg));
		c->msg.msg_iov = o->iov;
		c->msg.msg_iovlen = o->niov;
		if (o->zc && has.zc) {
			struct zc_ticket *t = aligned_alloc(16, sizeof(*t));

			if (!t)
				die("out of memory");
			t->c = c;
			t->bytes = o->bytes;	/* the ticket frees them */
			o->bytes = NULL;
			io_uring_prep_sendmsg_zc(sqe, c->fd, &c->msg, MSG_NOSIGNAL);
			fixed(sqe);
			io_uring_sqe_set_data64(sqe, UD(t, OP_SEND_ZC));
			c->sending = true;
			c->refs++;
			return;
		}
		io_uring_prep_sendmsg(sqe, c->fd, &c->msg, MSG_NOSIGNAL |
				      (o->sp_left ? MSG_MORE : 0));
	}
	fixed(sqe);
	io_uring_sqe_set_data64(sqe, UD(c, OP_SEND));
	c->sending = true;
	c->refs++;
}

static bool out_room(struct conn *c)
{
	struct outbuf *o = &c->out[!c->cur];

	return !o->sp_left && o->niov + 2 <= MAX_IOV &&
	       o->used + KHTTPD_HEAD_MAX + COPY_MAX <= WBUF_SIZE;
}

/* The connection's pipe for splicing, made on first use. */
static bool conn_pipe(struct conn *c)
{
	int sz;

	if (c->pipe_sz)
		return true;
	if (pipe2(c->pipe, O_CLOEXEC))
		return false;		/* e.g. out of descriptors: copy */
	/* room for a whole large body: one splice pair sends it */
	fcntl(c->pipe[1], F_SETPIPE_SZ, 1 << 20);
	sz = fcntl(c->pipe[1], F_GETPIPE_SZ);
	c->pipe_sz = sz > 0 ? sz : 65536;
	return true;
}

/*
 * Send the spliced body of the buffer in flight, a pipe-full at a time:
 * memfd -> pipe linked to pipe -> socket.  Both run on io-wq.
 */
static void splice_next(struct conn *c)
{
	struct outbuf *o = &c->out[c->cur];
	struct io_uring_sqe *sqe;
	unsigned int n = c->inpipe;

	/* the pair must go in one submission to stay linked */
	if (io_uring_sq_space_left(&c->w->ring) < 2)
		io_uring_submit(&c->w->ring);
	if (!n) {
		n = o->sp_left < c->pipe_sz ? o->sp_left : c->pipe_sz;
		sqe = get_sqe(c->w);
		io_uring_prep_splice(sqe, content_fd, o->sp_off, c->pipe[1], -1,
				     n, 0);
		sqe->flags |= IOSQE_IO_LINK;
		io_uring_sqe_set_data64(sqe, UD(c, OP_SPLICE_IN));
		c->refs++;
	}
	sqe = get_sqe(c->w);
	io_uring_prep_splice(sqe, c->pipe[0], -1, c->fd, -1, n, 0);
	fixed(sqe);		/* the socket is fd_out */
	io_uring_sqe_set_data64(sqe, UD(c, OP_SPLICE_OUT));
	c->refs++;
	c->sending = true;
	set_timer(c, T_SEND, true);
}

static void on_splice_in(struct conn *c, struct io_uring_cqe *cqe)
{
	struct outbuf *o = &c->out[c->cur];

	conn_put_op(c);
	if (c->dying)
		return;
	if (cqe->res <= 0) {
		/* the linked splice to the socket is cancelled */
		conn_close(c, false);
		return;
	}
	/* short: the link breaks and splice_next() sends what is there */
	o->sp_off += cqe->res;
	o->sp_left -= cqe->res;
	c->inpipe += cqe->res;
}

static void send_done(struct conn *c);

static void on_splice_out(struct conn *c, struct io_uring_cqe *cqe)
{
	struct outbuf *o = &c->out[c->cur];
	int res = cqe->res;

	c->sending = false;
	conn_put_op(c);
	if (c->dying)
		return;
	if (res == -ECANCELED) {
		res = 0;	/* after a short splice in: carry on */
	} else if (res <= 0) {
		conn_close(c, false);
		return;
	}
	c->inpipe -= res;
	if (c->inpipe || o->sp_left) {
		splice_next(c);
		return;
	}
	send_done(c);
}

/* Append bytes to the buffer being built, merging with its last piece. */
static void out_copy(struct outbuf *o, const void *p, size_t n)
{
	char *dst = o->bytes + o->used;

	memcpy(dst, p, n);
	if (o->niov && (char *)o->iov[o->niov - 1].iov_base +
		       o->iov[o->niov - 1].iov_len == dst)
		o->iov[o->niov - 1].iov_len += n;
	else
		o->iov[o->niov++] = (struct iovec){ dst, n };
	o->used += n;
	o->total += n;
}

/* Queue the answer to one request, as the module does. */
static void answer(struct conn *c, const struct khttpd_request *req,
		   int parse_status)
{
	struct outbuf *o = &c->out[!c->cur];
	struct entry *e = NULL;
	struct khttpd_answer a;
	char head[KHTTPD_HEAD_MAX];
	uint64_t off, len;
	size_t n;

	if (!parse_status && (req->method == KHTTPD_METHOD_GET ||
			      req->method == KHTTPD_METHOD_HEAD))
		e = lookup(req->path, req->path_len);
	khttpd_http_answer(req, parse_status, e ? &e->res : NULL, &a);
	if (a.error)
		e = error_entry(a.status);
	switch (a.part) {
	case KHTTPD_PART_NM:
		off = 0;
		len = e->nm_len;
		break;
	case KHTTPD_PART_HEADERS:
		off = e->nm_len;
		len = e->fields_len;
		break;
	default:
		off = e->nm_len;
		len = e->fields_len + e->body_len;
		break;
	}
	if (!o->bytes && !(o->bytes = malloc(WBUF_SIZE)))
		die("out of memory");
	n = khttpd_http_head(head, sizeof(head), a.status,
			     parse_status ? 11 : req->version, a.keep_alive,
			     worker_date(c->w));
	out_copy(o, head, n);
	if (a.part == KHTTPD_PART_FULL && !a.error && has.splice &&
	    cfg.splice_min && e->body_len >= cfg.splice_min && conn_pipe(c)) {
		/* the fields now, the body spliced from the memfd after */
		len = e->fields_len;
		o->sp_off = e->foff + off + len;
		o->sp_left = e->body_len;
	}
	if (len <= COPY_MAX) {
		out_copy(o, e->buf + off, len);
	} else {
		o->iov[o->niov++] = (struct iovec){ e->buf + off, len };
		o->total += len;
		if (cfg.zc_min && e->body_len >= cfg.zc_min)
			o->zc = true;
	}
	if (!a.keep_alive)
		c->closing = true;
	c->served = true;
}

/*
 * Answer the whole requests at the start of @buf while there is room.
 * Returns the bytes consumed.
 */
static size_t consume(struct conn *c, char *buf, size_t len, bool *answered)
{
	struct khttpd_request req;
	size_t done = 0, used;
	int ret;

	while (done < len && !c->closing && out_room(c)) {
		ret = khttpd_http_parse(&c->parser, buf + done, len - done,
					&cfg.limits, &req, &used);
		done += used;
		if (ret == KHTTPD_PARSE_MORE)
			break;
		answer(c, &req, ret < 0 ? -ret : 0);
		*answered = true;
		if (ret < 0)
			return len;
	}
	return done;
}

static void conn_close(struct conn *c, bool abort);

/*
 * Keep unanswered bytes.  Past RX_MAX the receive is cancelled until the
 * client reads its answers (progress() re-arms it); what arrives before
 * the cancel lands is kept, and a client that still floods is cut off.
 */
static void stash(struct conn *c, const char *p, size_t n)
{
	struct io_uring_sqe *sqe;

	if (c->rx_len + n > 4 * RX_MAX + (size_t)BUF_COUNT * BUF_SIZE) {
		conn_close(c, true);
		return;
	}
	if (c->rx_len + n > RX_MAX && c->recv_armed && !c->rx_paused) {
		sqe = get_sqe(c->w);
		io_uring_prep_cancel64(sqe, UD(c, OP_RECV), 0);
		io_uring_sqe_set_data64(sqe, UD(c, OP_CANCEL));
		c->refs++;
		c->rx_paused = true;
		io_uring_submit(&c->w->ring);	/* now, not after this batch */
	}
	if (c->rx_len + n > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : 1024;
		char *rx;

		while (cap < c->rx_len + n)
			cap *= 2;
		rx = realloc(c->rx, cap);
		if (!rx)
			die("out of memory");
		c->rx = rx;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, p, n);
	c->rx_len += n;
}

/* After input or output progress: answer, send, choose the timeout. */
static void progress(struct conn *c, bool answered)
{
	size_t n;

	if (c->rx_len && !c->closing && out_room(c)) {
		n = consume(c, c->rx, c->rx_len, &answered);
		c->rx_len -= n;
		memmove(c->rx, c->rx + n, c->rx_len);
	}
	if (c->rx_paused && c->rx_len < RX_MAX / 2) {
		c->rx_paused = false;
		arm_recv(c);
	}
	flush(c);
	if (c->dying)
		return;
	if (c->sending) {
		set_timer(c, T_SEND, false);
	} else if (c->closing) {
		struct io_uring_sqe *sqe;

		/* all answered: FIN, then read until the client closes */
		c->closing = false;
		c->lingering = true;
		sqe = get_sqe(c->w);
		io_uring_prep_shutdown(sqe, c->fd, SHUT_WR);
		fixed(sqe);
		io_uring_sqe_set_data64(sqe, UD(c, OP_SHUTDOWN));
		c->refs++;
		set_timer(c, T_IDLE, true);
	} else if (c->peer_closed) {
		conn_close(c, false);
	} else if (!c->lingering) {
		if (c->rx_len || khttpd_http_parser_busy(&c->parser) ||
		    !c->served)
			set_timer(c, T_HEADER, answered);
		else
			set_timer(c, T_IDLE, true);
	}
}

static void arm_recv(struct conn *c)
{
	struct io_uring_sqe *sqe;

	if (c->recv_armed || c->dying || c->peer_closed || c->rx_paused)
		return;
	sqe = get_sqe(c->w);
	if (has.bufring) {
		if (has.multishot_recv)
			io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
		else
			io_uring_prep_recv(sqe, c->fd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = BGID;
	} else {
		if (!c->rxplain && !(c->rxplain = malloc(BUF_SIZE)))
			die("out of memory");
		io_uring_prep_recv(sqe, c->fd, c->rxplain, BUF_SIZE, 0);
	}
	fixed(sqe);
	io_uring_sqe_set_data64(sqe, UD(c, OP_RECV));
	c->recv_armed = true;
	c->refs++;
}

static void recycle_buf(struct worker *w, int bid)
{
	io_uring_buf_ring_add(w->br, w->bufs + (size_t)bid * BUF_SIZE, BUF_SIZE,
			      bid, io_uring_buf_ring_mask(BUF_COUNT), 0);
	io_uring_buf_ring_advance(w->br, 1);
}

static void on_recv(struct conn *c, struct io_uring_cqe *cqe)
{
	struct worker *w = c->w;
	bool more = cqe->flags & IORING_CQE_F_MORE, answered = false;
	int res = cqe->res, bid = -1;
	char *data;

	if (!more) {
		c->recv_armed = false;
		conn_put_op(c);
	}
	if (cqe->flags & IORING_CQE_F_BUFFER)
		bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
	if (res == -ENOBUFS) {
		/* out of provided buffers: they come back as others finish */
		if (!more && !c->dying)
			arm_recv(c);
		return;
	}
	if (res <= 0 || c->dying) {
		if (bid >= 0)
			recycle_buf(w, bid);
		if (c->dying)
			return;
		if (res == 0 || res == -ECONNRESET) {
			c->peer_closed = true;
			if (c->lingering || !c->sending)
				conn_close(c, false);
		} else if (res != -ECANCELED) {
			conn_close(c, false);
		}
		return;
	}
	data = bid >= 0 ? w->bufs + (size_t)bid * BUF_SIZE : c->rxplain;
	if (!c->lingering) {
		if (c->rx_len || c->rx_paused) {
			stash(c, data, res);
		} else {
			/* answer straight from the receive buffer */
			size_t n = consume(c, data, res, &answered);

			if (n < (size_t)res)
				stash(c, data + n, res - n);
		}
	}
	if (bid >= 0)
		recycle_buf(w, bid);
	if (c->dying)
		return;
	if (!c->recv_armed)
		arm_recv(c);
	progress(c, answered);
}

static void on_send(struct conn *c, struct io_uring_cqe *cqe)
{
	struct outbuf *o = &c->out[c->cur];
	int res = cqe->res;

	c->sending = false;
	conn_put_op(c);
	if (c->dying)
		return;
	if (res < 0) {
		conn_close(c, false);
		return;
	}
	if ((size_t)res < o->total) {
		/* short send: send the rest of the same buffer again */
		size_t left = res;
		int i = 0;

		while (left >= o->iov[i].iov_len)
			left -= o->iov[i++].iov_len;
		o->iov[i].iov_base = (char *)o->iov[i].iov_base + left;
		o->iov[i].iov_len -= left;
		memmove(o->iov, o->iov + i, (o->niov - i) * sizeof(o->iov[0]));
		o->niov -= i;
		o->total -= res;
		o->zc = false;		/* the rest goes by copy */
		c->cur = !c->cur;	/* flush() flips it back */
		/* the builder side must be empty to reuse it this way */
		if (c->out[c->cur].niov) {
			struct outbuf t = c->out[c->cur];

			c->out[c->cur] = *o;
			*o = t;
		}
		flush(c);
		set_timer(c, T_SEND, true);
		return;
	}
	o->niov = 0;
	o->used = 0;
	o->total = 0;
	o->zc = false;
	if (o->sp_left) {
		splice_next(c);
		return;
	}
	send_done(c);
}

/* The buffer in flight is all sent: on to the next. */
static void send_done(struct conn *c)
{
	progress(c, false);
	if (c->peer_closed && !c->sending && !c->dying)
		conn_close(c, false);
}

static void arm_accept(struct worker *w)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	if (has.direct && has.multishot_accept)
		io_uring_prep_multishot_accept_direct(sqe, w->listen_fd, NULL,
						      NULL, 0);
	else if (has.direct)
		/* liburing 2.3 adds one to the index: ALLOC - 1 means ALLOC */
		io_uring_prep_accept_direct(sqe, w->listen_fd, NULL, NULL, 0,
					    IORING_FILE_INDEX_ALLOC - 1);
	else if (has.multishot_accept)
		io_uring_prep_multishot_accept(sqe, w->listen_fd, NULL, NULL, 0);
	else
		io_uring_prep_accept(sqe, w->listen_fd, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, UD(w, OP_ACCEPT));
	w->accept_armed = true;
}

static void on_accept(struct worker *w, struct io_uring_cqe *cqe)
{
	struct conn *c;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		w->accept_armed = false;
	if (cqe->res < 0) {
		if (cqe->res != -ECANCELED && !w->stop)
			usleep(1000);	/* e.g. out of descriptors: pace */
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		die("out of memory");
	c->w = w;
	c->fd = cqe->res;
	c->tclass = T_NONE;
	w->nconns++;
	if (__atomic_add_fetch(&open_conns, 1, __ATOMIC_RELAXED) > cfg.max_conns) {
		/* over the cap: 503 and close, as the module does */
		answer(c, NULL, 503);
		arm_recv(c);
		c->lingering = true;	/* its requests are not read */
		progress(c, false);
		return;
	}
	set_timer(c, T_HEADER, true);
	arm_recv(c);
}

static void on_cqe(struct worker *w, struct io_uring_cqe *cqe)
{
	void *p = UD_PTR(cqe->user_data);

	switch (UD_OP(cqe->user_data)) {
	case OP_ACCEPT:
		on_accept(w, cqe);
		break;
	case OP_RECV:
		on_recv(p, cqe);
		break;
	case OP_SEND:
		on_send(p, cqe);
		break;
	case OP_SEND_ZC: {
		struct zc_ticket *t = p;

		if (cqe->flags & IORING_CQE_F_NOTIF) {
			/* the kernel is done with the bytes */
			free(t->bytes);
			free(t);
		} else {
			on_send(t->c, cqe);
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				/* no notification will follow */
				free(t->bytes);
				free(t);
			}
		}
		break;
	}
	case OP_SPLICE_IN:
		on_splice_in(p, cqe);
		break;
	case OP_SPLICE_OUT:
		on_splice_out(p, cqe);
		break;
	case OP_SHUTDOWN:
		conn_put_op(p);
		break;
	case OP_CANCEL:
		conn_put_op(p);
		break;
	case OP_CLOSE:
		conn_free(p);
		break;
	case OP_WAKE:
		w->stop = true;
		break;
	}
}

static void expire(struct worker *w)
{
	int class;

	for (class = 0; class < T_CLASSES; class++) {
		while (w->thead[class] && w->thead[class]->deadline <= w->now_ms)
			conn_close(w->thead[class], class == T_SEND);
	}
}

static uint64_t next_deadline(struct worker *w)
{
	uint64_t next = UINT64_MAX;
	int class;

	for (class = 0; class < T_CLASSES; class++)
		if (w->thead[class] && w->thead[class]->deadline < next)
			next = w->thead[class]->deadline;
	return next;
}

/* ---- threads and rings ----------------------------------------------- */

static int listen_socket(int cpu)
{
	int one = 1, fd;
	int family = cfg.v6 && !cfg.v4 ? AF_INET6 : AF_INET;
	struct sockaddr_storage ss = { 0 };
	socklen_t len;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		die("SO_REUSEPORT: %s", strerror(errno));
	if (cpu >= 0)
		setsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, sizeof(cpu));
	/* accepted sockets inherit it: no setsockopt per connection */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(cfg.port);
		s6->sin6_addr = cfg.addr6;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(cfg.port);
		s4->sin_addr = cfg.addr4;
		len = sizeof(*s4);
	}
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind port %u: %s", cfg.port, strerror(errno));
	if (listen(fd, cfg.backlog))
		die("listen: %s", strerror(errno));
	return fd;
}

static int ring_setup(struct io_uring *ring, bool probe_only)
{
	struct io_uring_params p = { 0 };
	int ret;

	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
	p.cq_entries = 16384;
	if (!cfg.no_defer) {
		p.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
		ret = io_uring_queue_init_params(2048, ring, &p);
		if (!ret) {
			if (probe_only)
				has.defer = true;
			return 0;
		}
		p.flags &= ~(IORING_SETUP_SINGLE_ISSUER |
			     IORING_SETUP_DEFER_TASKRUN);
	}
	p.flags |= IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
	ret = io_uring_queue_init_params(2048, ring, &p);
	if (ret) {
		p.flags &= ~(IORING_SETUP_COOP_TASKRUN |
			     IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL);
		ret = io_uring_queue_init_params(2048, ring, &p);
	}
	return ret;
}

/*
 * Direct descriptors per ring: a connection each, up to what
 * RLIMIT_NOFILE allows (the kernel holds a sparse table to it).
 */
static unsigned int direct_slots(void)
{
	struct rlimit rl;
	unsigned int n = cfg.max_conns + 64;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < n)
		n = rl.rlim_cur;
	return n;
}

static void worker_setup(struct worker *w)
{
	struct io_uring_sqe *sqe;
	int ret;

	if (ring_setup(&w->ring, false))
		die("io_uring_queue_init failed");
	if (has.regring && io_uring_register_ring_fd(&w->ring) < 0)
		has.regring = false;	/* the same on every thread */
	if (w->cpu >= 0) {
		cpu_set_t set;

		/*
		 * io-wq workers (the splices) run on this thread's CPU too:
		 * all of the server's work stays on the server's CPUs.
		 */
		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		io_uring_register_iowq_aff(&w->ring, sizeof(set), &set);
	}
	if (has.direct && io_uring_register_files_sparse(&w->ring, direct_slots()))
		die("registering %u direct descriptors failed", direct_slots());
	if (has.bufring) {
		struct io_uring_buf_reg reg = { 0 };
		size_t sz = BUF_COUNT * sizeof(struct io_uring_buf);
		int i;

		/* liburing 2.3 has no io_uring_setup_buf_ring: by hand */
		w->br = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		w->bufs = malloc((size_t)BUF_COUNT * BUF_SIZE);
		if (w->br == MAP_FAILED || !w->bufs)
			die("out of memory for buffers");
		reg.ring_addr = (uintptr_t)w->br;
		reg.ring_entries = BUF_COUNT;
		reg.bgid = BGID;
		ret = io_uring_register_buf_ring(&w->ring, &reg, 0);
		if (ret)
			die("io_uring_register_buf_ring: %s", strerror(-ret));
		io_uring_buf_ring_init(w->br);
		for (i = 0; i < BUF_COUNT; i++)
			io_uring_buf_ring_add(w->br, w->bufs + (size_t)i * BUF_SIZE,
					      BUF_SIZE, i,
					      io_uring_buf_ring_mask(BUF_COUNT), i);
		io_uring_buf_ring_advance(w->br, BUF_COUNT);
	}
	w->listen_fd = listen_socket(w->cpu);
	ret = eventfd(0, EFD_CLOEXEC);
	if (ret < 0)
		die("eventfd: %s", strerror(errno));
	__atomic_store_n(&w->wake_fd, ret, __ATOMIC_RELEASE);
	sqe = get_sqe(w);
	io_uring_prep_read(sqe, w->wake_fd, &w->wake_buf, sizeof(w->wake_buf), 0);
	io_uring_sqe_set_data64(sqe, UD(w, OP_WAKE));
	arm_accept(w);
	__atomic_add_fetch(&ready, 1, __ATOMIC_RELEASE);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	/* the ring is created by the thread that uses it (SINGLE_ISSUER) */
	worker_setup(w);
	while (!w->stop) {
		struct __kernel_timespec ts, *tsp = NULL;
		struct io_uring_cqe *cqe;
		uint64_t next;
		unsigned int head, n = 0;
		int ret;

		w->now_ms = mono_ms();
		expire(w);
		next = next_deadline(w);
		if (next != UINT64_MAX) {
			uint64_t ms = next > w->now_ms ? next - w->now_ms : 0;

			ts.tv_sec = ms / 1000;
			ts.tv_nsec = (ms % 1000) * 1000000;
			tsp = &ts;
		}
		if (!w->accept_armed)
			arm_accept(w);
		/* one io_uring_enter: submit everything, wait for one */
		ret = io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, tsp, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			die("io_uring_submit_and_wait: %s", strerror(-ret));
		w->now_ms = mono_ms();
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			on_cqe(w, cqe);
			n++;
		}
		io_uring_cq_advance(&w->ring, n);
	}
	/*
	 * The pending accept holds the listener, and a ring is torn down
	 * asynchronously after exit: stop listening now, so that a server
	 * started next on this port gets every new connection.
	 */
	shutdown(w->listen_fd, SHUT_RDWR);
	close(w->listen_fd);
	io_uring_queue_exit(&w->ring);
	return NULL;
}

/* What this kernel supports, decided once for every thread. */
static void probe(void)
{
	struct io_uring_probe *pr;
	struct io_uring ring;

	if (ring_setup(&ring, true))
		die("io_uring is not available");
	pr = io_uring_get_probe_ring(&ring);
	if (!pr)
		die("io_uring probe failed");
	has.regring = !cfg.no_regring;
	/* multishot accept/recv and buffer rings: 5.19/6.0, no opcode of
	 * their own to probe; IORING_OP_SEND_ZC marks 6.0+, SENDMSG_ZC 6.1 */
	has.multishot_accept = !cfg.no_multishot &&
			       io_uring_opcode_supported(pr, IORING_OP_SEND_ZC);
	has.multishot_recv = has.multishot_accept;
	has.zc = !cfg.no_zc && io_uring_opcode_supported(pr, IORING_OP_SENDMSG_ZC);
	has.splice = !cfg.no_splice && io_uring_opcode_supported(pr, IORING_OP_SPLICE);
	has.direct = !cfg.no_direct;
	has.sockopt = has.direct && io_uring_opcode_supported(pr, IORING_OP_URING_CMD);
	if (!cfg.no_bufring) {
		struct io_uring_buf_reg reg = { 0 };
		void *br = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		reg.ring_addr = (uintptr_t)br;
		reg.ring_entries = 8;
		reg.bgid = BGID;
		has.bufring = io_uring_register_buf_ring(&ring, &reg, 0) == 0;
		munmap(br, 4096);
	}
	if (has.direct && io_uring_register_files_sparse(&ring, 8))
		has.direct = has.sockopt = false;
	io_uring_free_probe(pr);
	io_uring_queue_exit(&ring);
}

/* ---- command line -------------------------------------------------------- */

static void usage(void)
{
	printf(
"usage: uring-httpd [OPTION]...\n"
"\n"
"A userspace io_uring HTTP/1.1 server with khttpd's HTTP engine, for\n"
"comparison with the in-kernel server. Serves --root, or a built-in page.\n"
"\n"
"  --port P                 TCP port (default 8080)\n"
"  --addr A                 IPv4 or IPv6 address to listen on (default 0.0.0.0)\n"
"  --root DIR               serve every file under DIR (loaded at start)\n"
"  --threads N              worker threads (default: one per CPU of --cpus)\n"
"  --cpus LIST              pin threads to these CPUs, e.g. 0-3,6 (default: all)\n"
"  --backlog N              listen backlog per thread (default 1024)\n"
"  --header-timeout-ms MS   a request head must arrive within (default 10000)\n"
"  --keepalive-timeout-ms MS  idle keep-alive connections close after (default 5000)\n"
"  --send-timeout-ms MS     a client that reads nothing is reset after (default 10000)\n"
"  --max-conns N            beyond this many connections: 503 (default 10000)\n"
"  --max-request-line N     longer request line: 414 (default 8192)\n"
"  --max-header-bytes N     larger header section: 431 (default 16384)\n"
"  --max-header-fields N    more header fields: 431 (default 100)\n"
"  --max-body N             larger request body: 413 (default 65536)\n"
"  --zc-min N               send bodies of N bytes or more zero-copy; 0: never\n"
"                           (default 0: over loopback it measured slower)\n"
"  --splice-min N           splice bodies of N bytes or more from memory to\n"
"                           the socket; 0: never (default %d)\n"
"  --no-defer-taskrun, --no-multishot, --no-buf-ring, --no-direct, --no-zc,\n"
"  --no-registered-ring, --no-splice\n"
"                           switch a technique off (to test the fallbacks)\n"
"  -h, --help               this text\n", SPLICE_MIN_DEFAULT);
}

static unsigned long num(const char *s, const char *what, unsigned long min,
			 unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "uring-httpd: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void parse_cpus(const char *list)
{
	const char *p = list;

	CPU_ZERO(&cfg.cpus);
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b;

		if (end == p)
			die("bad CPU list '%s'", list);
		b = a;
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p || b < a)
				die("bad CPU list '%s'", list);
		}
		for (; a <= b && a < CPU_SETSIZE; a++)
			CPU_SET(a, &cfg.cpus);
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			die("bad CPU list '%s'", list);
	}
	cfg.have_cpus = true;
}

static void parse_args(int argc, char **argv)
{
	enum {
		O_PORT = 256, O_ADDR, O_ROOT, O_THREADS, O_CPUS, O_BACKLOG,
		O_HT, O_KT, O_ST, O_MC, O_MRL, O_MHB, O_MHF, O_MB, O_ZC,
		O_NODEFER, O_NOMS, O_NOBR, O_NODIRECT, O_NOZC, O_NOREG,
		O_SPLICE, O_NOSPLICE,
	};
	static const struct option opts[] = {
		{ "port", required_argument, NULL, O_PORT },
		{ "addr", required_argument, NULL, O_ADDR },
		{ "root", required_argument, NULL, O_ROOT },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "backlog", required_argument, NULL, O_BACKLOG },
		{ "header-timeout-ms", required_argument, NULL, O_HT },
		{ "keepalive-timeout-ms", required_argument, NULL, O_KT },
		{ "send-timeout-ms", required_argument, NULL, O_ST },
		{ "max-conns", required_argument, NULL, O_MC },
		{ "max-request-line", required_argument, NULL, O_MRL },
		{ "max-header-bytes", required_argument, NULL, O_MHB },
		{ "max-header-fields", required_argument, NULL, O_MHF },
		{ "max-body", required_argument, NULL, O_MB },
		{ "zc-min", required_argument, NULL, O_ZC },
		{ "no-defer-taskrun", no_argument, NULL, O_NODEFER },
		{ "no-multishot", no_argument, NULL, O_NOMS },
		{ "no-buf-ring", no_argument, NULL, O_NOBR },
		{ "no-direct", no_argument, NULL, O_NODIRECT },
		{ "no-zc", no_argument, NULL, O_NOZC },
		{ "no-registered-ring", no_argument, NULL, O_NOREG },
		{ "splice-min", required_argument, NULL, O_SPLICE },
		{ "no-splice", no_argument, NULL, O_NOSPLICE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const unsigned long hour = 3600000;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case O_PORT: cfg.port = num(optarg, "port", 1, 65535); break;
		case O_ADDR:
			if (inet_pton(AF_INET, optarg, &cfg.addr4) == 1)
				cfg.v4 = true;
			else if (inet_pton(AF_INET6, optarg, &cfg.addr6) == 1)
				cfg.v6 = true;
			else
				die("bad address '%s'", optarg);
			break;
		case O_ROOT: cfg.root = optarg; break;
		case O_THREADS: cfg.nthreads = num(optarg, "thread count", 1, 1024); break;
		case O_CPUS: parse_cpus(optarg); break;
		case O_BACKLOG: cfg.backlog = num(optarg, "backlog", 1, INT_MAX); break;
		case O_HT: cfg.header_timeout_ms = num(optarg, "timeout", 1, hour); break;
		case O_KT: cfg.keepalive_timeout_ms = num(optarg, "timeout", 1, hour); break;
		case O_ST: cfg.send_timeout_ms = num(optarg, "timeout", 1, hour); break;
		case O_MC: cfg.max_conns = num(optarg, "max-conns", 1, 1 << 20); break;
		case O_MRL: cfg.limits.max_request_line = num(optarg, "limit", 1, 32768); break;
		case O_MHB: cfg.limits.max_header_bytes = num(optarg, "limit", 1, 32768); break;
		case O_MHF: cfg.limits.max_header_fields = num(optarg, "limit", 1, 10000); break;
		case O_MB: cfg.limits.max_body = num(optarg, "limit", 0, UINT32_MAX); break;
		case O_ZC: cfg.zc_min = num(optarg, "size", 0, SIZE_MAX); break;
		case O_NODEFER: cfg.no_defer = true; break;
		case O_NOMS: cfg.no_multishot = true; break;
		case O_NOBR: cfg.no_bufring = true; break;
		case O_NODIRECT: cfg.no_direct = true; break;
		case O_NOZC: cfg.no_zc = true; break;
		case O_NOREG: cfg.no_regring = true; break;
		case O_SPLICE: cfg.splice_min = num(optarg, "size", 0, SIZE_MAX); break;
		case O_NOSPLICE: cfg.no_splice = true; break;
		case 'h': usage(); exit(0);
		default: fprintf(stderr, "see uring-httpd --help\n"); exit(2);
		}
	}
	if (optind != argc)
		die("unexpected argument '%s'", argv[optind]);
	if (cfg.v4 && cfg.v6)
		die("one --addr family at a time");
	if (!cfg.v4 && !cfg.v6)
		cfg.v4 = true;	/* 0.0.0.0 */
}

int main(int argc, char **argv)
{
	cpu_set_t avail;
	sigset_t sigs;
	int i, sig, cpu = 0;

	struct rlimit rl;

	parse_args(argc, argv);
	/* as many descriptors as we may: a connection each */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!cfg.have_cpus) {
		if (sched_getaffinity(0, sizeof(avail), &avail))
			die("sched_getaffinity: %s", strerror(errno));
		cfg.cpus = avail;
	}
	if (!cfg.nthreads)
		cfg.nthreads = CPU_COUNT(&cfg.cpus);
	probe();
	load_content();

	/* signals go to this thread only, through sigwait */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	workers = aligned_alloc(16, cfg.nthreads * sizeof(*workers));
	if (!workers)
		die("out of memory");
	memset(workers, 0, cfg.nthreads * sizeof(*workers));
	for (i = 0; i < cfg.nthreads; i++) {
		while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &cfg.cpus))
			cpu++;
		workers[i].id = i;
		workers[i].cpu = cpu < CPU_SETSIZE ? cpu : -1;
		cpu++;
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]))
			die("pthread_create failed");
	}
	/* the line below means "listening": tests wait for it */
	while (__atomic_load_n(&ready, __ATOMIC_ACQUIRE) < (unsigned int)cfg.nthreads)
		usleep(1000);
	fprintf(stderr, "uring-httpd: %d threads, port %u: defer_taskrun=%s "
		"registered_ring=%s multishot_accept=%s multishot_recv=%s "
		"buf_ring=%s direct_fds=%s send_zc=%s (>= %zu bytes) "
		"splice=%s (>= %zu bytes) sockopt_cmd=%s\n", cfg.nthreads, cfg.port,
		has.defer ? "yes" : "no", has.regring ? "yes" : "no",
		has.multishot_accept ? "yes" : "no",
		has.multishot_recv ? "yes" : "no", has.bufring ? "yes" : "no",
		has.direct ? "yes" : "no", has.zc && cfg.zc_min ? "yes" : "no",
		cfg.zc_min, has.splice && cfg.splice_min ? "yes" : "no",
		cfg.splice_min, has.sockopt ? "yes" : "no");

	sigwait(&sigs, &sig);
	for (i = 0; i < cfg.nthreads; i++) {
		uint64_t one = 1;

		/* each ring has a read of its eventfd pending */
		while (!__atomic_load_n(&workers[i].wake_fd, __ATOMIC_ACQUIRE))
			usleep(1000);
		if (write(workers[i].wake_fd, &one, sizeof(one)) < 0)
			die("waking thread %d: %s", i, strerror(errno));
	}
	for (i = 0; i < cfg.nthreads; i++)
		pthread_join(workers[i].thread, NULL);
	return 0;
}
