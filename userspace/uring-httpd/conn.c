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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "uring-httpd.h"
#include "compat.h"

/*
 * A zero-copy send: the kernel reads the buffers until its notification
 * CQE, which may come after the connection is gone, so the per-response
 * bytes of that send are handed over to the ticket and freed with it.
 */
struct zc_ticket {
	struct conn *c;		/* valid until the send's result CQE */
	char *bytes;
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
	struct khttpd_range range;
	struct khttpd_answer a;
	char head[KHTTPD_HEAD_MAX];
	uint64_t off, len;
	size_t n;

	if (!parse_status && (req->method == KHTTPD_METHOD_GET ||
			      req->method == KHTTPD_METHOD_HEAD))
		e = lookup(req->path, req->path_len);
	khttpd_http_answer(req, parse_status, e ? &e->res : NULL, &a);
	if (a.error)
		e = &errors[khttpd_http_error_index(a.status)];
	else if (a.status == 200 && req->range)
		a.status = khttpd_http_range(req, &e->res, e->layout.body_len,
					     &range);
	khttpd_http_part_range(&e->layout, a.part, &off, &len);
	if (!o->bytes && !(o->bytes = malloc(WBUF_SIZE)))
		die("out of memory");
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
}

/* What khttpd_http_consume() hands consume()'s two callbacks. */
struct consume_ctx {
	struct conn *c;
	bool *answered;
};

/* Another answer now?  Not when closing, nor without output room. */
static bool consume_more(void *ctx)
{
	struct consume_ctx *x = ctx;

	return !x->c->closing && out_room(x->c);
}

static bool consume_answer(void *ctx, const struct khttpd_request *req,
			   int status)
{
	struct consume_ctx *x = ctx;

	answer(x->c, req, status);
	*x->answered = true;
	return true;		/* answer() dies rather than fail */
}

/*
 * Answer the whole requests at the start of @buf while there is room.
 * Returns the bytes consumed (never -1: consume_answer() cannot fail).
 */
static size_t consume(struct conn *c, char *buf, size_t len, bool *answered)
{
	struct consume_ctx x = { c, answered };

	return khttpd_http_consume(&c->parser, buf, len, &cfg.limits,
				   consume_more, consume_answer, &x);
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
