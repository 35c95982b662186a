/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uring-httpd's internals, shared by its parts (see main.c for the design):
 *
 *   main.c   command line, settings, privileges, starting the threads
 *   store.c  the content store: every prebuilt response in one memfd
 *   docroot.c  --root: lookups by openat2, the open-file cache, MIME types
 *   conn.c   the per-connection state machine and its timeouts
 *   ring.c   each thread's ring: feature probing, setup, the event loop
 *   tls.c    --tls-cert: GnuTLS handshakes handed to kTLS (the session code
 *            is khttpd-tlsd's session.c, built in)
 *   compat.h what liburing 2.3 lacks, built by hand
 */
#ifndef _URING_HTTPD_H
#define _URING_HTTPD_H

#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <liburing.h>
#include <linux/khttpd.h>

#include "http.h"

/* ---- settings (main.c) --------------------------------------------------- */

struct settings {
	unsigned short port;
	int nthreads;
	cpu_set_t cpus;
	bool have_cpus;
	bool v4, v6;
	struct in_addr addr4;
	struct in6_addr addr6;
	int backlog;
	const char *root;		/* --root: the docroot */
	int root_fd;			/* its directory, opened at start */
	const char *mime_types;		/* --mime-types file */
	bool no_symlinks;		/* --no-symlinks: RESOLVE_NO_SYMLINKS */
	const char *user;		/* --user: who serves, once bound */
	unsigned int cache_entries;	/* open-file cache, per thread */
	unsigned int cache_valid_ms;	/* a cached lookup is trusted this long */
	unsigned int header_timeout_ms, keepalive_timeout_ms, send_timeout_ms;
	unsigned int max_conns;
	struct khttpd_limits limits;
	size_t zc_min, splice_min;
	/* techniques that may be switched off, to test the fallbacks */
	bool no_defer, no_multishot, no_bufring, no_direct, no_zc, no_regring;
	bool no_splice;
	const char *tls_cert, *tls_key;	/* --tls-cert, --tls-key: HTTPS */
};
extern struct settings cfg;

/* What the kernel turned out to support (set once, before threads run). */
struct features {
	bool defer, regring, multishot_accept, multishot_recv, bufring;
	bool direct, zc, sockopt, splice;
};
extern struct features has;	/* ring.c */

/* Print "uring-httpd: " and the message on stderr, then exit(1). */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* ---- content (store.c) --------------------------------------------------- */

/* A prebuilt response laid out as the module's: [304][200 fields][body]. */
struct entry {
	struct entry *next;
	char *path;
	uint32_t path_len;
	uint32_t hash;
	struct khttpd_resource res;
	char etag[KHTTPD_ETAG_LEN];
	char *type;		/* Content-Type, for 206 and 416 fields */
	struct khttpd_layout layout;	/* the three parts' lengths */
	uint64_t foff;		/* of buf in the content memfd */
	char *buf;		/* [304 fields][200 fields][body] */
};

extern int content_fd;		/* every site response, back to back */
/* the error responses, at khttpd_http_error_index() of their status */
extern struct entry errors[KHTTPD_N_ERRORS];

struct entry *lookup(const char *path, uint32_t len);
/* Build the error responses and, without --root, the built-in page. */
void load_content(void);

/* ---- the docroot (docroot.c) --------------------------------------------- */

/*
 * One representation of a docroot file: the identity, or its gzip
 * sibling.  Its header fields are prebuilt like a stored entry's.
 */
struct dvar {
	int fd;
	uint64_t size, ino, mtime_ns, ctime_ns;
	struct khttpd_resource res;
	char etag[KHTTPD_ETAG_LEN];
	uint8_t flags;		/* KHTTPD_REPR_* */
	char *fields;		/* [304 fields][200 fields] */
	uint32_t nm_len, f_len;
};

/*
 * What one lookup of a request path found: a file (status 200, one or two
 * variants), or the status that answers it (301, 403, 404, 500, 503: one
 * shared object each).  Immutable once built; a connection sending from
 * its descriptors holds a reference.
 */
struct dres {
	int refs;		/* < 0: a shared status, never freed */
	int status;
	const char *type;	/* Content-Type of both variants */
	int nvar;		/* 1, or 2 with the gzip one at [1] */
	struct dvar v[2];
};

/*
 * A connection waiting for a lookup: docroot_get() queues it, and calls
 * conn_wake() with the result (a reference in @res) once it is known.
 */
struct dwait {
	struct dwait *next, *prev;
	void *on;		/* the cache entry waited on, or NULL */
	struct dres *res;
};

struct dcache;
struct worker;

/* Open the docroot and load the MIME table: once, before the threads. */
void docroot_init(void);
/* The calling thread's open-file cache. */
struct dcache *docroot_cache_new(void);
/*
 * The docroot's answer for request path @path (@len bytes), with a
 * reference; or NULL when it must be looked up first: then @wt is queued
 * and conn_wake(@wt) follows.
 */
struct dres *docroot_get(struct worker *w, const char *path, uint32_t len,
			 struct dwait *wt);
/* Stop waiting (the connection closes); drops a result already handed. */
void docroot_unwait(struct dwait *wt);
void dres_put(struct dres *d);
static inline void dres_get(struct dres *d)
{
	if (d->refs >= 0)
		d->refs++;
}
/* An open of a lookup completed (OP_OPEN, OP_OPEN_GZ). */
void docroot_on_open(struct worker *w, struct io_uring_cqe *cqe);
/* conn.c: the lookup @wt waited for is done */
void conn_wake(struct dwait *wt);

/* ---- HTTPS (tls.c) ------------------------------------------------------ */

/* Load --tls-cert and --tls-key: once, before the threads (and --user). */
void tls_init(void);

/* ---- connections (conn.c) and rings (ring.c) ----------------------------- */

/* user_data: a 16-byte aligned pointer, the operation in its low bits */
enum op {
	OP_NONE, OP_ACCEPT, OP_RECV, OP_SEND, OP_SEND_ZC, OP_SHUTDOWN,
	OP_CLOSE, OP_CANCEL, OP_WAKE, OP_SPLICE_IN, OP_SPLICE_OUT,
	OP_OPEN, OP_OPEN_GZ, OP_TLS,
};
#define UD(ptr, op)	((uint64_t)(uintptr_t)(ptr) | (op))
#define UD_PTR(ud)	((void *)(uintptr_t)((ud) & ~15ULL))
#define UD_OP(ud)	((int)((ud) & 15))

enum tclass { T_HEADER, T_IDLE, T_SEND, T_CLASSES, T_NONE = T_CLASSES };

#define BUF_SIZE	4096	/* provided buffers */
#define BUF_COUNT	1024	/* per thread; a power of two */
#define BGID		1

struct conn;

struct worker {
	int id, cpu;
	pthread_t thread;
	struct io_uring ring;
	int listen_fd;		/* bound by main(), before privileges go */
	struct dcache *dc;	/* --root: this thread's open-file cache */
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

extern unsigned int ready;	/* threads listening; atomic (main.c) */

/* conn.c: what a thread's event loop calls */
void arm_accept(struct worker *w);
void on_cqe(struct worker *w, struct io_uring_cqe *cqe);
void expire(struct worker *w);
uint64_t next_deadline(struct worker *w);

/* ring.c */
int listen_socket(int cpu);
void probe(void);
void *worker_main(void *arg);
struct io_uring_sqe *get_sqe(struct worker *w);

#endif /* _URING_HTTPD_H */
