// SPDX-License-Identifier: GPL-2.0
/*
 * uring-httpd's connections: the per-connection state machine, from the
 * accept to the close.  Requests are answered (consume(), answer()) from
 * the receive buffer or from what was stashed, into a double buffer of
 * output sent by copy, sendmsg, zero-copy or splice; each connection is on
 * at most one of its thread's three timeout lists.  Everything runs on the
 * connection's thread, from the completions on_cqe() is handed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "uring-httpd.h"
#include "compat.h"
#include "session.h"

/* Bytes of an answer too large for the output buffer (a long redirect). */
struct heapblk {
	struct heapblk *next;
	char data[];
};

static void heap_free(struct heapblk *h)
{
	struct heapblk *next;

	for (; h; h = next) {
		next = h->next;
		free(h);
	}
}

/*
 * A zero-copy send: the kernel reads the buffers until its notification
 * CQE, which may come after the connection is gone, so the per-response
 * bytes of that send are handed over to the ticket and freed with it.
 */
struct zc_ticket {
	struct conn *c;		/* valid until the send's result CQE */
	char *bytes;
	struct heapblk *heap;
} __attribute__((aligned(16)));

#define WBUF_SIZE	4096	/* per-response bytes, copied small answers */
#define COPY_MAX	1024	/* answers up to this are copied whole */
#define FIELDS_MAX	1024	/* a 206's or 416's fields, written per answer */
#define MAX_IOV		64
#define RX_MAX		65536

/* One side of the output double buffer: built, then in flight. */
struct outbuf {
	char *bytes;		/* WBUF_SIZE, for heads and small answers */
	size_t used;
	struct iovec iov[MAX_IOV];
	int niov;
	size_t total;
	bool zc;		/* has a large body: send zero-copy */
	struct heapblk *heap;	/* bytes beyond @bytes, freed once sent */
	/*
	 * then a body to splice from the content memfd or a docroot file
	 * (seals the buffer); @sp_res holds the file open until it is sent
	 */
	int sp_fd;
	uint64_t sp_off, sp_left;
	struct dres *sp_res;
};

/*
 * A request waiting for a docroot lookup.  The parser decodes the path in
 * place and the receive buffer is recycled, so the request is copied:
 * the span of the head its pointers refer to, with the pointers moved.
 */
struct held {
	struct khttpd_request req;
	char bytes[];
};

struct conn {
	struct worker *w;		/* (calloc: 16-byte aligned) */
	int fd;			/* direct descriptor index, or fd */
	int refs;		/* operations in flight */
	bool recv_armed, sending, closing, lingering, peer_closed, dying;
	bool served, abort;
	bool rx_paused;		/* receive cancelled: too much unanswered */
	bool waiting;		/* for the docroot lookup of @held */
	struct dwait wait;
	struct held *held;	/* answered before anything after it */
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
	gnutls_session_t tls;	/* --tls-cert: until kTLS has the keys */
};

static unsigned int open_conns;	/* all threads; atomics */

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

static void out_release(struct outbuf *o)
{
	heap_free(o->heap);
	o->heap = NULL;
	if (o->sp_res)
		dres_put(o->sp_res);
	o->sp_res = NULL;
}

static void conn_free(struct conn *c)
{
	struct worker *w = c->w;

	timer_unlink(w, c);
	docroot_unwait(&c->wait);
	free(c->held);
	out_release(&c->out[0]);
	out_release(&c->out[1]);
	free(c->rx);
	free(c->rxplain);
	free(c->out[0].bytes);
	free(c->out[1].bytes);
	if (c->tls)
		gnutls_deinit(c->tls);
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
			compat_prep_cmd_sock(sqe, SOCKET_OP_SETSOCKOPT, c->fd,
					     SOL_SOCKET, SO_LINGER, &zero,
					     sizeof(zero));
			/* best effort: a failure leaves a plain close */
			sqe->flags = IOSQE_FIXED_FILE | IOSQE_CQE_SKIP_SUCCESS;
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
	docroot_unwait(&c->wait);	/* a lookup may outlive us */
	c->waiting = false;
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
			t->heap = o->heap;
			o->bytes = NULL;
			o->heap = NULL;
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
	       o->used + KHTTPD_HEAD_MAX + FIELDS_MAX + COPY_MAX <= WBUF_SIZE;
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
 * memfd or file -> pipe linked to pipe -> socket.  Both run on io-wq.
 * Offsets are 64-bit all the way: files over 4 GiB are sent like others.
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
		io_uring_prep_splice(sqe, o->sp_fd, o->sp_off, c->pipe[1], -1,
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
		/*
		 * The file ended (or failed) before the Content-Length we
		 * sent: truncated under us.  Reset, so that the client sees
		 * a broken answer, never a short one that looks whole; the
		 * linked splice to the socket is cancelled.
		 */
		conn_close(c, true);
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
	if (o->sp_res) {
		dres_put(o->sp_res);	/* the file may close now */
		o->sp_res = NULL;
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

/* Append bytes that may not fit the output buffer: then on the heap. */
static void out_append(struct outbuf *o, const void *p, size_t n)
{
	struct heapblk *h;

	if (o->used + n <= WBUF_SIZE) {
		out_copy(o, p, n);
		return;
	}
	h = malloc(sizeof(*h) + n);
	if (!h)
		die("out of memory");
	memcpy(h->data, p, n);
	h->next = o->heap;
	o->heap = h;
	o->iov[o->niov++] = (struct iovec){ h->data, n };
	o->total += n;
}

/* The copy of @req that struct held describes. */
static struct held *hold(const struct khttpd_request *req)
{
	const char *ptr[5 + KHTTPD_MAX_INM];
	size_t len[5 + KHTTPD_MAX_INM];
	const char *lo = req->path, *hi = req->path + req->path_len;
	struct held *h;
	int i, n = 0;

#define SPAN(p, l) do { ptr[n] = (p); len[n++] = (l); } while (0)
	SPAN(req->query, req->query_len);
	SPAN(req->ims, req->ims_len);
	SPAN(req->range, req->range_len);
	SPAN(req->if_range, req->if_range_len);
	SPAN(req->accept_enc, req->accept_enc_len);
	for (i = 0; i < req->n_inm && i < KHTTPD_MAX_INM; i++)
		SPAN(req->inm[i], req->inm_len[i]);
#undef SPAN
	for (i = 0; i < n; i++) {
		if (!ptr[i])
			continue;
		if (ptr[i] < lo)
			lo = ptr[i];
		if (ptr[i] + len[i] > hi)
			hi = ptr[i] + len[i];
	}
	h = malloc(sizeof(*h) + (hi - lo));
	if (!h)
		die("out of memory");
	memcpy(h->bytes, lo, hi - lo);
	h->req = *req;
#define MOVE(p) ((p) ? h->bytes + ((p) - lo) : NULL)
	h->req.path = MOVE(req->path);
	h->req.query = MOVE(req->query);
	h->req.ims = MOVE(req->ims);
	h->req.range = MOVE(req->range);
	h->req.if_range = MOVE(req->if_range);
	h->req.accept_enc = MOVE(req->accept_enc);
	for (i = 0; i < req->n_inm && i < KHTTPD_MAX_INM; i++)
		h->req.inm[i] = MOVE(req->inm[i]);
#undef MOVE
	return h;
}

/*
 * A 301 to @req's directory: built per request, since Location carries
 * the query.  A HEAD gets its fields only.
 */
static bool out_redirect(struct outbuf *o, const struct khttpd_request *req)
{
	size_t max = KHTTPD_REDIRECT_MAX(req->path_len, req->query_len);
	size_t n, fields;
	char *buf = malloc(max);

	if (!buf)
		die("out of memory");
	n = khttpd_http_redirect(buf, max, req->path, req->path_len,
				 req->query, req->query_len, &fields);
	if (n)
		out_append(o, buf, req->method == KHTTPD_METHOD_HEAD ?
			   fields : n);
	free(buf);
	return n;
}

/*
 * Queue the answer from a docroot lookup's result @d (our reference).
 * The body goes by splice from the file: the headers promise its length
 * now, and a file that turns out shorter resets the connection.
 */
static void answer_file(struct conn *c, const struct khttpd_request *req,
			struct dres *d)
{
	struct outbuf *o = &c->out[!c->cur];
	struct khttpd_range range;
	struct khttpd_answer a;
	struct dvar *v = NULL;
	char head[KHTTPD_HEAD_MAX];
	uint64_t off = 0, len = 0;
	size_t n;

	if (d->status == 200) {
		/* the gzip variant only exists if the identity does */
		v = &d->v[d->nvar > 1 && khttpd_http_accepts_gzip(req)];
		khttpd_http_answer(req, 0, &v->res, &a);
		if (a.status == 200 && req->range)
			a.status = khttpd_http_range(req, &v->res, v->size,
						     &range);
		if (a.status == 206) {
			off = range.first;
			len = range.last - range.first + 1;
		} else if (a.status == 200 && a.part == KHTTPD_PART_FULL) {
			len = v->size;
		}
		if (len && !conn_pipe(c)) {
			/* no pipe (out of descriptors): no body to send */
			v = NULL;
			len = 0;
			a.status = 503;
			a.error = true;
			a.keep_alive = false;
			a.part = KHTTPD_PART_FULL;
		}
	} else {
		/* a GET or HEAD: as the 404 of a missing resource */
		khttpd_http_answer(req, 0, NULL, &a);
		a.status = d->status;
	}
	n = khttpd_http_head(head, sizeof(head), a.status, req->version,
			     a.keep_alive, worker_date(c->w));
	out_copy(o, head, n);
	if (a.status == 301) {
		if (!out_redirect(o, req))
			die("a redirect for a %u-byte path does not fit",
			    req->path_len);
	} else if (!v) {
		struct entry *e = &errors[khttpd_http_error_index(a.status)];
		uint64_t eoff, elen;

		khttpd_http_part_range(&e->layout, a.part, &eoff, &elen);
		out_copy(o, e->buf + eoff, elen);
	} else if (a.status == 206 || a.status == 416) {
		const struct khttpd_repr rep = {
			.res = &v->res, .type = d->type, .len = v->size,
			.flags = v->flags,
		};
		char fields[FIELDS_MAX];
		size_t f, fields_len;

		if (a.status == 206)
			f = khttpd_http_fields(fields, sizeof(fields), &rep,
					       206, &range);
		else
			f = khttpd_http_unsatisfiable(fields, sizeof(fields),
						      &rep, &fields_len);
		if (!f)
			die("header fields of a %d do not fit", a.status);
		out_copy(o, fields, f);
	} else if (a.part == KHTTPD_PART_NM) {
		out_copy(o, v->fields, v->nm_len);
	} else {
		out_copy(o, v->fields + v->nm_len, v->f_len);
	}
	if (len) {
		o->sp_fd = v->fd;
		o->sp_off = off;
		o->sp_left = len;
		o->sp_res = d;		/* holds the descriptor until sent */
	} else {
		dres_put(d);
	}
	if (!a.keep_alive)
		c->closing = true;
	c->served = true;
}

/*
 * Queue the answer to one request, as the module does: from the store,
 * else from the docroot.  false: it waits for a docroot lookup (queued on
 * @c->wait, conn_wake() follows), nothing queued.
 */
static bool answer(struct conn *c, const struct khttpd_request *req,
		   int parse_status)
{
	struct outbuf *o = &c->out[!c->cur];
	struct entry *e = NULL;
	struct khttpd_range range;
	struct khttpd_answer a;
	char head[KHTTPD_HEAD_MAX];
	uint64_t off, len;
	size_t n;

	if (!o->bytes && !(o->bytes = malloc(WBUF_SIZE)))
		die("out of memory");
	if (!parse_status && (req->method == KHTTPD_METHOD_GET ||
			      req->method == KHTTPD_METHOD_HEAD)) {
		/* stored content wins over the docroot for its path */
		e = lookup(req->path, req->path_len);
		if (!e && cfg.root) {
			struct dres *d = c->wait.res;

			c->wait.res = NULL;	/* the lookup we waited for */
			if (!d)
				d = docroot_get(c->w, req->path,
						req->path_len, &c->wait);
			if (!d) {
				c->waiting = true;
				return false;
			}
			answer_file(c, req, d);
			return true;
		}
	}
	khttpd_http_answer(req, parse_status, e ? &e->res : NULL, &a);
	if (a.error)
		e = &errors[khttpd_http_error_index(a.status)];
	else if (a.status == 200 && req->range)
		a.status = khttpd_http_range(req, &e->res, e->layout.body_len,
					     &range);
	khttpd_http_part_range(&e->layout, a.part, &off, &len);
	n = khttpd_http_head(head, sizeof(head), a.status,
			     parse_status ? 11 : req->version, a.keep_alive,
			     worker_date(c->w));
	out_copy(o, head, n);
	if (a.status == 206 || a.status == 416) {
		/* fields written per request, as the module does */
		const struct khttpd_repr rep = {
			.res = &e->res, .type = e->type,
			.len = e->layout.body_len,
		};
		char fields[FIELDS_MAX];
		size_t f, fields_len;

		if (a.status == 206) {
			f = khttpd_http_fields(fields, sizeof(fields), &rep,
					       206, &range);
			khttpd_http_range_part(&e->layout, &range, &off, &len);
		} else {
			f = khttpd_http_unsatisfiable(fields, sizeof(fields),
						      &rep, &fields_len);
			len = 0;
		}
		if (!f)
			die("header fields of a %d do not fit", a.status);
		out_copy(o, fields, f);
	} else if (a.part == KHTTPD_PART_FULL && !a.error && has.splice &&
	    cfg.splice_min && e->layout.body_len >= cfg.splice_min &&
	    conn_pipe(c)) {
		/* the fields now, the body spliced from the memfd after */
		len = e->layout.fields_len;
		o->sp_fd = content_fd;
		o->sp_off = e->foff + off + len;
		o->sp_left = e->layout.body_len;
	}
	if (len <= COPY_MAX) {
		out_copy(o, e->buf + off, len);
	} else {
		o->iov[o->niov++] = (struct iovec){ e->buf + off, len };
		o->total += len;
		if (cfg.zc_min && e->layout.body_len >= cfg.zc_min)
			o->zc = true;
	}
	if (!a.keep_alive)
		c->closing = true;
	c->served = true;
	return true;
}

/* Another answer now?  Not when closing or waiting, nor without room. */
static bool may_answer(struct conn *c)
{
	return !c->closing && !c->waiting && !c->held && out_room(c);
}

/*
 * Answer the whole requests at the start of @buf while there is room,
 * as khttpd_http_consume() does, but a request that waits for a lookup
 * is kept (hold()) and ends the loop: the ones after it wait too, so
 * that answers go out in order.  Returns the bytes consumed.
 */
static size_t consume(struct conn *c, char *buf, size_t len, bool *answered)
{
	struct khttpd_request req;
	size_t done = 0, used;
	int ret;

	while (done < len && may_answer(c)) {
		ret = khttpd_http_parse(&c->parser, buf + done, len - done,
					&cfg.limits, &req, &used);
		done += used;
		if (ret == KHTTPD_PARSE_MORE)
			break;
		if (!answer(c, &req, ret < 0 ? -ret : 0)) {
			c->held = hold(&req);
			break;
		}
		*answered = true;
		if (ret < 0)
			return len;	/* nothing after a refusal counts */
	}
	return done;
}

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

	if (c->held && !c->waiting && !c->closing && out_room(c) &&
	    answer(c, &c->held->req, 0)) {
		free(c->held);
		c->held = NULL;
		answered = true;
	}
	if (c->rx_len && may_answer(c)) {
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
	} else if (c->peer_closed && !c->held) {
		/* (a request waiting for a lookup is answered first) */
		conn_close(c, false);
	} else if (!c->lingering) {
		if (c->rx_len || c->held ||
		    khttpd_http_parser_busy(&c->parser) || !c->served)
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
			/* a request waiting for a lookup is still answered */
			if (c->lingering || (!c->sending && !c->held))
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
	heap_free(o->heap);
	o->heap = NULL;
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
	if (c->peer_closed && !c->sending && !c->held && !c->dying)
		conn_close(c, false);
}

void conn_wake(struct dwait *wt)
{
	struct conn *c = (struct conn *)((char *)wt -
					 offsetof(struct conn, wait));

	c->waiting = false;
	if (c->dying)
		return;		/* closed by another waiter's answer */
	progress(c, false);
	if (c->peer_closed && !c->sending && !c->held && !c->dying)
		conn_close(c, false);
}

void arm_accept(struct worker *w)
{
	struct io_uring_sqe *sqe = get_sqe(w);

	if (has.direct && has.multishot_accept)
		io_uring_prep_multishot_accept_direct(sqe, w->listen_fd, NULL,
						      NULL, 0);
	else if (has.direct)
		compat_prep_accept_direct_alloc(sqe, w->listen_fd);
	else if (has.multishot_accept)
		io_uring_prep_multishot_accept(sqe, w->listen_fd, NULL, NULL, 0);
	else
		io_uring_prep_accept(sqe, w->listen_fd, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, UD(w, OP_ACCEPT));
	w->accept_armed = true;
}

/*
 * --tls-cert: one step of the handshake, as far as the socket lets it go,
 * then a poll for what GnuTLS waits on.  Done, the keys go to kTLS and
 * the connection reads its requests as a plain one does (the header
 * timeout, set at the accept, covers the handshake too).
 */
static void tls_step(struct conn *c)
{
	struct io_uring_sqe *sqe;
	const char *what;
	int ret;

	do {
		ret = gnutls_handshake(c->tls);
	} while (ret == GNUTLS_E_INTERRUPTED);
	if (ret == GNUTLS_E_AGAIN) {
		sqe = get_sqe(c->w);
		io_uring_prep_poll_add(sqe, c->fd,
				       gnutls_record_get_direction(c->tls) ?
				       POLLOUT : POLLIN);
		io_uring_sqe_set_data64(sqe, UD(c, OP_TLS));
		c->refs++;
		return;
	}
	/* a failed handshake or a client kTLS cannot carry: close */
	if (ret < 0 || session_install_ktls(c->tls, c->fd, &what)) {
		conn_close(c, false);
		return;
	}
	gnutls_deinit(c->tls);
	c->tls = NULL;
	arm_recv(c);
}

static void on_tls(struct conn *c, struct io_uring_cqe *cqe)
{
	conn_put_op(c);
	if (c->dying)
		return;
	if (cqe->res < 0)
		conn_close(c, false);
	else
		tls_step(c);
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
		if (cfg.tls_cert) {
			/* a 503 would need a handshake first */
			conn_close(c, false);
			return;
		}
		/* over the cap: 503 and close, as the module does */
		answer(c, NULL, 503);
		arm_recv(c);
		c->lingering = true;	/* its requests are not read */
		progress(c, false);
		return;
	}
	set_timer(c, T_HEADER, true);
	if (cfg.tls_cert) {
		if (session_new(&c->tls, c->fd) < 0) {
			conn_close(c, false);
			return;
		}
		tls_step(c);
		return;
	}
	arm_recv(c);
}

void on_cqe(struct worker *w, struct io_uring_cqe *cqe)
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
			heap_free(t->heap);
			free(t);
		} else {
			on_send(t->c, cqe);
			if (!(cqe->flags & IORING_CQE_F_MORE)) {
				/* no notification will follow */
				free(t->bytes);
				heap_free(t->heap);
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
	case OP_OPEN:
	case OP_OPEN_GZ:
		docroot_on_open(w, cqe);
		break;
	case OP_TLS:
		on_tls(p, cqe);
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

void expire(struct worker *w)
{
	int class;

	for (class = 0; class < T_CLASSES; class++) {
		while (w->thead[class] && w->thead[class]->deadline <= w->now_ms)
			conn_close(w->thead[class], class == T_SEND);
	}
}

uint64_t next_deadline(struct worker *w)
{
	uint64_t next = UINT64_MAX;
	int class;

	for (class = 0; class < T_CLASSES; class++)
		if (w->thead[class] && w->thead[class]->deadline < next)
			next = w->thead[class]->deadline;
	return next;
}
