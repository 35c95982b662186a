// SPDX-License-Identifier: GPL-2.0
/*
 * One client connection: its socket callbacks and its I/O.
 *
 * The callbacks run in softirq on whatever CPU the packet arrived on.  On
 * the worker's CPU, data_ready answers whole requests itself when nothing
 * else is pending (fastpath.c); otherwise, and for everything else, they
 * put the connection on its worker's ready list (once: the QUEUED bit) and
 * wake the worker.  The worker's thread does the rest of the reading,
 * parsing and sending, nonblocking and within a budget, so one busy client
 * cannot starve the others on that CPU.  It holds the socket (lock_sock)
 * for a whole step, so the two never interleave: packets arriving meanwhile
 * wait in the socket's backlog, and their data_ready, run when the thread
 * lets go, finds the socket owned and queues the connection.
 *
 * Receiving goes into the worker's scratch buffer and requests are answered
 * straight from it; only bytes of an incomplete request are copied into a
 * buffer of the connection's own, so an idle connection holds no buffer.
 *
 * Sending: each answer is a range of a stored entry (pages) preceded by its
 * status line, Date and Connection fields, written into a page of the
 * connection's (the arena).  Small answers are copied whole into the arena.
 * Everything queued goes out in one sendmsg of page vectors, by reference
 * (MSG_SPLICE_PAGES) unless zero-copy is off; TCP copies instead when the
 * route cannot take page fragments.  An arena page is reused only once no
 * skb holds it (its refcount is ours alone), since spliced bytes must not
 * change until acknowledged.
 *
 * HTTPS connections (tls.h) live the same life once their handshake is
 * over, reading and writing through kTLS; the worker then holds no socket
 * lock for its step (kTLS takes it itself) and the fast path leaves them
 * alone.  Before: QUEUED (the upcall's queue was full), HANDSHAKE (the
 * agent's).  At the end: BYE, until kTLS has given TCP everything and
 * our close_notify.
 */
#include <linux/bvec.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/pagevec.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uio.h>
#include <net/rps.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "config.h"
#include "conn.h"
#include "conn_priv.h"
#include "docroot.h"
#include "log.h"
#include "server.h"
#include "stats.h"
#include "store.h"
#include "timers.h"
#include "tls.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* Steps (a send and a receive) per wakeup before others get a turn. */
#define KHTTPD_CONN_BUDGET	16
/* Answers up to this size are copied whole into the arena. */
#define KHTTPD_COPY_MAX		1024

static_assert(KHTTPD_HEAD_MAX + KHTTPD_ANSWER_FIELDS_MAX + KHTTPD_COPY_MAX <=
	      PAGE_SIZE);
static_assert(KHTTPD_UNSATISFIABLE_MAX <= KHTTPD_ANSWER_FIELDS_MAX);

static struct kmem_cache *khttpd_conn_cache;
static atomic_t khttpd_conn_count = ATOMIC_INIT(0);

/* Count a new connection against max_conns, or refuse it. */
bool khttpd_conn_admit(struct khttpd_worker *w)
{
	if (atomic_inc_return(&khttpd_conn_count) <= w->cfg.max_conns)
		return true;
	atomic_dec(&khttpd_conn_count);
	return false;
}

/* An admitted connection that never came to be: give its place back. */
void khttpd_conn_unadmit(void)
{
	atomic_dec(&khttpd_conn_count);
}

void khttpd_conn_queue(struct khttpd_conn *c)
{
	struct khttpd_worker *w = c->worker;

	if (test_and_set_bit(KHTTPD_CONN_QUEUED, &c->flags))
		return;
	refcount_inc(&c->ref);
	/* Only the add that makes the list non-empty needs to wake. */
	if (llist_add(&c->ready_node, &w->ready))
		wake_up_process(w->task);
}

/*
 * The three callbacks share one shape: sk_user_data is only non-NULL while
 * the connection is alive and its callbacks are installed, and it is
 * cleared under the write side of sk_callback_lock before the connection
 * can go away, so holding the read side pins the connection.
 */
static void khttpd_conn_data_ready(struct sock *sk)
{
	struct khttpd_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	if (c) {
		if (!khttpd_fast_answer(c, sk))
			khttpd_conn_queue(c);
		c->saved_data_ready(sk);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void khttpd_conn_write_space(struct sock *sk)
{
	struct khttpd_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	if (c) {
		/*
		 * kTLS's first: it schedules the push of the records it
		 * holds, which khttpd_tls_bye() then waits for.
		 */
		c->saved_write_space(sk);
		if (READ_ONCE(c->tx_count) ||
		    READ_ONCE(c->tls) == KHTTPD_TLS_BYE)
			khttpd_conn_queue(c);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void khttpd_conn_state_change(struct sock *sk)
{
	struct khttpd_conn *c;

	read_lock_bh(&sk->sk_callback_lock);
	c = sk->sk_user_data;
	if (c) {
		khttpd_conn_queue(c);
		c->saved_state_change(sk);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

/* A connection for @sock on @w's list, its header clock running. */
static struct khttpd_conn *khttpd_conn_alloc(struct khttpd_worker *w,
					     struct socket *sock)
{
	struct khttpd_conn *c;

	c = kmem_cache_zalloc(khttpd_conn_cache, GFP_KERNEL);
	if (!c)
		return NULL;
	c->worker = w;
	c->sock = sock;
	refcount_set(&c->ref, 1);
	khttpd_stat_inc(accepted);
	list_add(&c->node, &w->conns);
	w->nr_conns++;
	khttpd_timeout_init(&c->timeout);
	khttpd_timeout_set(w, &c->timeout, KHTTPD_T_HEADER, true);

	/* Responses go out whole; never hold a small one back. */
	tcp_sock_set_nodelay(sock->sk);
	return c;
}

/* Our callbacks on top of those the socket has: TCP's, or kTLS's. */
static void khttpd_conn_install(struct khttpd_conn *c)
{
	struct sock *sk = c->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	c->saved_data_ready = sk->sk_data_ready;
	c->saved_write_space = sk->sk_write_space;
	c->saved_state_change = sk->sk_state_change;
	sk->sk_user_data = c;
	sk->sk_data_ready = khttpd_conn_data_ready;
	sk->sk_write_space = khttpd_conn_write_space;
	sk->sk_state_change = khttpd_conn_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

bool khttpd_conn_create(struct khttpd_worker *w, struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct khttpd_conn *c;

	c = khttpd_conn_alloc(w, sock);
	if (!c)
		return false;
	/*
	 * The fast path sends from softirq: no sleeping allocation (but see
	 * khttpd_conn_hold()), and not the page fragment of whatever task it
	 * interrupted.
	 */
	sk->sk_allocation = GFP_ATOMIC;
	sk->sk_use_task_frag = false;
	khttpd_conn_install(c);

	/* The request may have arrived before the callbacks were in place. */
	khttpd_conn_queue(c);
	return true;
}

void khttpd_conn_put(struct khttpd_conn *c)
{
	if (!refcount_dec_and_test(&c->ref))
		return;
	/* a docroot result that came after the connection closed */
	khttpd_dwait_release(&c->dw);
	kmem_cache_free(khttpd_conn_cache, c);
}

static void khttpd_tx_release(struct khttpd_tx *t)
{
	if (t->entry)
		khttpd_entry_put(t->entry);
	if (t->page)
		put_page(t->page);
	t->entry = NULL;
	t->page = NULL;
	t->t0 = 0;
	t->log = NULL;
}

/*
 * The answers still queued at a close are cut short: their records go to
 * the log with what of them was handed to TCP (the slots before each
 * answer's last hold what is left of it).
 */
static void khttpd_conn_log_cut(struct khttpd_conn *c)
{
	unsigned int i;
	u64 left = 0, now = 0;

	for (i = 0; i < c->tx_count; i++) {
		struct khttpd_tx *t = &c->tx[(c->tx_head + i) % KHTTPD_TX_SLOTS];

		left += t->len;
		if (!t->t0 && !t->log)
			continue;
		if (t->log) {
			if (!now)
				now = ktime_get_ns();
			khttpd_log_end(t->log, now - t->t0, true,
				       t->log->bytes - min(left, t->log->bytes));
			t->log = NULL;
		}
		left = 0;
	}
}

/* Drop the copied piece of body, if any (the skbs hold their own refs). */
static void khttpd_bounce_release(struct khttpd_conn *c)
{
	unsigned int i;

	for (i = 0; i < KHTTPD_BOUNCE_PAGES; i++) {
		if (c->bounce[i])
			put_page(c->bounce[i]);
		c->bounce[i] = NULL;
	}
	if (c->bounce_entry)
		khttpd_entry_put(c->bounce_entry);
	c->bounce_entry = NULL;
	c->bounce_len = 0;
}

/*
 * Close the connection: @abort resets it (SO_LINGER 0), for a client that
 * stopped reading, whose unsent data would otherwise linger in the kernel.
 */
static void khttpd_conn_close(struct khttpd_conn *c, bool abort)
{
	struct sock *sk = c->sock->sk;

	trace_khttpd_close(c, abort, c->served);
	/* (not yet on an HTTPS connection before its handshake's end) */
	if (c->saved_state_change) {
		write_lock_bh(&sk->sk_callback_lock);
		sk->sk_user_data = NULL;
		sk->sk_data_ready = c->saved_data_ready;
		sk->sk_write_space = c->saved_write_space;
		sk->sk_state_change = c->saved_state_change;
		write_unlock_bh(&sk->sk_callback_lock);
	}
	if (c->tls == KHTTPD_TLS_QUEUED)
		c->worker->tls_queued--;

	if (abort)
		sock_no_linger(sk);
	/*
	 * An HTTPS socket has a file: the socket goes with its last
	 * reference, which an agent may hold yet (a cancelled handshake).
	 */
	if (c->sock->file)
		fput(c->sock->file);
	else
		sock_release(c->sock);
	c->sock = NULL;

	khttpd_conn_log_cut(c);
	while (c->tx_count) {
		khttpd_tx_release(&c->tx[c->tx_head]);
		c->tx_head = (c->tx_head + 1) % KHTTPD_TX_SLOTS;
		c->tx_count--;
	}
	if (c->arena)
		put_page(c->arena);
	c->arena = NULL;
	kfree(c->rx);
	c->rx = NULL;
	kfree(c->held_buf);
	c->held_buf = NULL;
	khttpd_bounce_release(c);
	khttpd_timeout_del(c->worker, &c->timeout);
	list_del(&c->node);
	c->worker->nr_conns--;
	atomic_dec(&khttpd_conn_count);
	khttpd_stat_inc(closed);
	khttpd_conn_put(c);
}

static struct khttpd_tx *khttpd_tx_tail(struct khttpd_conn *c)
{
	return &c->tx[(c->tx_head + c->tx_count) % KHTTPD_TX_SLOTS];
}

/*
 * Room for @max bytes in the arena.  The bytes become a tx range once
 * khttpd_arena_commit() says how many were written.
 */
static char *khttpd_arena_reserve(struct khttpd_conn *c, unsigned int max,
				  gfp_t gfp)
{
	if (c->arena && c->arena_off + max > PAGE_SIZE) {
		if (page_ref_count(c->arena) == 1) {
			c->arena_off = 0;	/* nobody else sees it: reuse */
		} else {
			put_page(c->arena);
			c->arena = NULL;
		}
	}
	if (!c->arena) {
		c->arena = alloc_page(gfp);
		if (!c->arena)
			return NULL;
		c->arena_off = 0;
	}
	return page_address(c->arena) + c->arena_off;
}

static void khttpd_arena_commit(struct khttpd_conn *c, unsigned int len)
{
	struct khttpd_tx *t = khttpd_tx_tail(c);

	get_page(c->arena);
	t->entry = NULL;
	t->page = c->arena;
	t->off = c->arena_off;
	t->len = len;
	c->arena_off += len;
	WRITE_ONCE(c->tx_count, c->tx_count + 1);
}

/*
 * The answer to @req given the entry that has its path (a reference, or
 * NULL) and, for none, the docroot's @status for it (0 if there is no
 * docroot, else 301, 403, 404 or 503).
 */
static struct khttpd_entry *
khttpd_conn_decide(const struct khttpd_request *req, int parse_status,
		   struct khttpd_entry *e, int status, struct khttpd_answer *a,
		   struct khttpd_range *range, u64 *off, u64 *len)
{
	khttpd_http_answer(req, parse_status,
			   e ? khttpd_entry_resource(e) : NULL, a);
	if (a->error) {
		if (e)
			khttpd_entry_put(e);
		e = NULL;
		if (a->status == 404 && status == 301) {
			e = khttpd_entry_redirect(req->path, req->path_len,
						  req->query, req->query_len);
			if (IS_ERR(e)) {
				e = NULL;
				status = 503;
			} else {
				a->status = 301;
			}
		}
		if (a->status == 404 && (status == 403 || status == 503))
			a->status = status;
		if (!e)
			e = khttpd_store_error(a->status);
	} else if (a->status == 200 && req->range) {
		a->status = khttpd_http_range(req, khttpd_entry_resource(e),
					      khttpd_entry_layout(e)->body_len,
					      range);
		if (a->status == 206) {
			khttpd_http_range_part(khttpd_entry_layout(e), range,
					       off, len);
			return e;
		}
		if (a->status == 416) {
			/* written whole per request: no stored bytes */
			*off = 0;
			*len = 0;
			return e;
		}
	}
	khttpd_http_part_range(khttpd_entry_layout(e), a->part, off, len);
	return e;
}

struct khttpd_entry *khttpd_conn_pick(const struct khttpd_request *req,
				      int parse_status, bool atomic,
				      struct khttpd_answer *a,
				      struct khttpd_range *range, u64 *off,
				      u64 *len)
{
	struct khttpd_entry *e = NULL;
	int status = 0;

	if (!parse_status && (req->method == KHTTPD_METHOD_GET ||
			      req->method == KHTTPD_METHOD_HEAD)) {
		e = khttpd_store_get(req->path, req->path_len);
		if (!e)
			e = khttpd_docroot_get(req, &status);
		if (IS_ERR(e))
			return e;
		/* a redirect is built for its answer: not in softirq */
		if (atomic && status == 301)
			return ERR_PTR(-EAGAIN);
	}
	return khttpd_conn_decide(req, parse_status, e, status, a, range, off,
				  len);
}

/*
 * The header fields of a 206 or a 416, written per request at @p (room
 * for KHTTPD_ANSWER_FIELDS_MAX bytes): their Content-Range is the
 * request's.  Returns the length, 0 if they do not fit (a bug).
 */
static size_t khttpd_conn_range_fields(char *p, const struct khttpd_answer *a,
				       const struct khttpd_entry *e,
				       const struct khttpd_range *range)
{
	struct khttpd_repr rep;
	size_t fields;

	if (!khttpd_entry_repr(e, &rep))
		return 0;
	if (a->status == 206)
		return khttpd_http_fields(p, KHTTPD_ANSWER_FIELDS_MAX, &rep,
					  206, range);
	return khttpd_http_unsatisfiable(p, KHTTPD_ANSWER_FIELDS_MAX, &rep,
					 &fields);
}

bool khttpd_conn_queue_answer(struct khttpd_conn *c, struct khttpd_io *io,
			      const struct khttpd_request *req,
			      int parse_status, u64 t0, u8 version,
			      const struct khttpd_answer *a,
			      const struct khttpd_range *range,
			      struct khttpd_entry *e, u64 off, u64 len)
{
	bool partial = a->status == 206 || a->status == 416;
	struct khttpd_tx *t;
	size_t n, f = 0;
	bool logging = io->cfg->access_log;
	u8 log_flags = 0;
	bool copy;
	char *p;

	/* (before @e's reference may go with the copy of its bytes) */
	if (logging)
		log_flags = (io != &c->worker->io ? KHTTPD_REC_FAST : 0) |
			    (khttpd_entry_file(e) ? KHTTPD_REC_DOCROOT : 0) |
			    (c->tls ? KHTTPD_REC_TLS : 0) |
			    (a->keep_alive ? KHTTPD_REC_KEEPALIVE : 0);

	copy = len <= KHTTPD_COPY_MAX;
	p = khttpd_arena_reserve(c, KHTTPD_HEAD_MAX + (copy ? len : 0) +
				 (partial ? KHTTPD_ANSWER_FIELDS_MAX : 0),
				 io->gfp);
	if (!p) {
		khttpd_entry_put(e);
		return false;
	}
	n = khttpd_http_head(p, KHTTPD_HEAD_MAX, a->status, version,
			     a->keep_alive, khttpd_io_date(io));
	if (partial)
		f = khttpd_conn_range_fields(p + n, a, e, range);
	if (WARN_ON_ONCE(!n || (partial && !f))) {
		/* a bound is too small: a bug, caught by unit tests */
		khttpd_entry_put(e);
		return false;
	}
	n += f;
	if (copy && khttpd_entry_copy(e, off, p + n, len)) {
		khttpd_arena_commit(c, n + len);
		khttpd_entry_put(e);
	} else {
		khttpd_arena_commit(c, n);
		t = khttpd_tx_tail(c);
		t->entry = e;
		t->page = NULL;
		t->off = off;
		t->len = len;
		WRITE_ONCE(c->tx_count, c->tx_count + 1);
	}
	/* the answer's last range: its end is the answer's */
	t = &c->tx[(c->tx_head + c->tx_count - 1) % KHTTPD_TX_SLOTS];
	t->t0 = t0;
	if (logging)
		t->log = khttpd_log_begin(req, parse_status, c->sock->sk,
					  a->status, log_flags, n + len,
					  io->gfp);
	if (!a->keep_alive)
		c->closing = true;
	c->served = true;
	trace_khttpd_answer(c, a->status, a->keep_alive, n + len,
			    io != &c->worker->io);
	khttpd_stat_inc(requests);
	khttpd_stat_inc(responses[a->status / 100 - 1]);
	return true;
}

/* The work item has put @dw's result in place: back to the worker. */
static void khttpd_conn_dw_done(struct khttpd_dwait *dw)
{
	struct khttpd_conn *c = container_of(dw, struct khttpd_conn, dw);

	/* pairs with smp_load_acquire() in khttpd_conn_step() */
	smp_store_release(&c->dw_done, true);
	khttpd_conn_queue(c);
	khttpd_conn_put(c);
}

/* Hand @c's dw to the docroot's work items; false if it takes no more. */
static bool khttpd_conn_wait(struct khttpd_conn *c)
{
	c->dw.done = khttpd_conn_dw_done;
	c->dw_done = false;
	refcount_inc(&c->ref);
	if (!khttpd_docroot_submit(&c->dw)) {
		refcount_dec(&c->ref);	/* ours is still held: not the last */
		khttpd_dwait_release(&c->dw);
		return false;
	}
	c->waiting = true;
	return true;
}

/* The span of the buffer that the strings of @req point into. */
static void khttpd_req_span(const struct khttpd_request *req,
			    const char **lo, const char **hi)
{
	const struct {
		const char *p;
		u32 len;
	} f[] = {
		{ req->path, req->path_len }, { req->query, req->query_len },
		{ req->ims, req->ims_len }, { req->range, req->range_len },
		{ req->if_range, req->if_range_len },
		{ req->accept_enc, req->accept_enc_len },
		{ req->inm[0], req->inm_len[0] }, { req->inm[1], req->inm_len[1] },
		{ req->inm[2], req->inm_len[2] }, { req->inm[3], req->inm_len[3] },
		{ req->method_tok, req->method_len },
		{ req->target, req->target_len },
		{ req->referer, req->referer_len },
		{ req->user_agent, req->user_agent_len },
	};
	unsigned int i;

	static_assert(KHTTPD_MAX_INM == 4);
	*lo = req->path;
	*hi = req->path + req->path_len;
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		if (!f[i].p)
			continue;
		*lo = min(*lo, f[i].p);
		*hi = max(*hi, f[i].p + f[i].len);
	}
}

#define KHTTPD_REBASE(p, from, to) \
	((p) ? (to) + ((const char *)(p) - (from)) : NULL)

/*
 * @req's path is not in the docroot's file cache: keep the request (its
 * strings are in the receive buffer, which is about to be reused) and
 * have a work item look the path up.  Returns false only when out of
 * memory; a docroot that takes no more work answers 503 at once.
 */
static bool khttpd_conn_hold_request(struct khttpd_conn *c,
				     const struct khttpd_request *req)
{
	struct khttpd_request *h = &c->held;
	struct khttpd_range range;
	struct khttpd_answer a;
	struct khttpd_entry *e;
	const char *lo, *hi;
	unsigned int i;
	u64 off, len;
	char *buf;

	khttpd_req_span(req, &lo, &hi);
	buf = kmemdup(lo, hi - lo, GFP_KERNEL);
	c->dw.path = kmemdup(req->path, req->path_len, GFP_KERNEL);
	if (!buf || !c->dw.path) {
		kfree(buf);
		kfree(c->dw.path);
		c->dw.path = NULL;
		return false;
	}
	*h = *req;
	h->path = buf + (req->path - lo);
	h->query = KHTTPD_REBASE(req->query, lo, buf);
	h->ims = KHTTPD_REBASE(req->ims, lo, buf);
	h->range = KHTTPD_REBASE(req->range, lo, buf);
	h->if_range = KHTTPD_REBASE(req->if_range, lo, buf);
	h->accept_enc = KHTTPD_REBASE(req->accept_enc, lo, buf);
	for (i = 0; i < KHTTPD_MAX_INM; i++)
		h->inm[i] = KHTTPD_REBASE(req->inm[i], lo, buf);
	h->method_tok = KHTTPD_REBASE(req->method_tok, lo, buf);
	h->target = KHTTPD_REBASE(req->target, lo, buf);
	h->referer = KHTTPD_REBASE(req->referer, lo, buf);
	h->user_agent = KHTTPD_REBASE(req->user_agent, lo, buf);
	c->held_buf = buf;
	c->held_t0 = c->rx_time;
	c->dw.path_len = req->path_len;
	c->dw.read = false;
	if (khttpd_conn_wait(c))
		return true;
	kfree(c->held_buf);
	c->held_buf = NULL;
	/* stopping, or too many lookups waiting already */
	e = khttpd_conn_decide(req, 0, NULL, 503, &a, &range, &off, &len);
	return khttpd_conn_queue_answer(c, &c->worker->io, req, 0, c->rx_time,
					req->version, &a, &range, e, off, len);
}

/* The worker's answer to one request: pick it and queue it. */
static bool khttpd_conn_answer(struct khttpd_conn *c,
			       const struct khttpd_request *req,
			       int parse_status)
{
	struct khttpd_range range;
	struct khttpd_answer a;
	struct khttpd_entry *e;
	u64 off, len;

	trace_khttpd_request(c, c->sock->sk, req, parse_status, false);
	e = khttpd_conn_pick(req, parse_status, false, &a, &range, &off, &len);
	if (IS_ERR(e))
		return khttpd_conn_hold_request(c, req);
	return khttpd_conn_queue_answer(c, &c->worker->io, req, parse_status,
					c->rx_time,
					parse_status ? 11 : req->version, &a,
					&range, e, off, len);
}

/* khttpd_http_consume()'s callbacks, and what they need. */
struct khttpd_consume {
	struct khttpd_conn *c;
	bool *answered;
};

static bool khttpd_conn_more(void *ctx)
{
	const struct khttpd_conn *c = ((struct khttpd_consume *)ctx)->c;

	return !c->closing && !c->waiting && c->tx_count + 2 <= KHTTPD_TX_SLOTS;
}

static bool khttpd_conn_answer_cb(void *ctx, const struct khttpd_request *req,
				  int status)
{
	struct khttpd_consume *k = ctx;

	if (!khttpd_conn_answer(k->c, req, status))
		return false;
	/*
	 * The next request did not begin before the latest read that brought
	 * its bytes, as far as we can tell: not the first read of a
	 * buffered request, which would count the wait for the rest of this
	 * one as its own.
	 */
	k->c->rx_time = k->c->rx_last;
	*k->answered = true;
	return true;
}

/*
 * Answer the whole requests at the start of @buf, in order, while there is
 * room to queue answers.  Returns the bytes consumed, or -ENOMEM.
 */
static long khttpd_conn_consume(struct khttpd_conn *c, char *buf, size_t len,
				bool *answered)
{
	struct khttpd_consume k = { .c = c, .answered = answered };
	long n;

	n = khttpd_http_consume(&c->parser, buf, len, &c->worker->limits,
				khttpd_conn_more, khttpd_conn_answer_cb, &k);
	return n < 0 ? -ENOMEM : n;
}

/* Keep @len unconsumed bytes of the scratch buffer for the next receive. */
static int khttpd_conn_stash(struct khttpd_conn *c, const char *src,
			     size_t len)
{
	size_t cap = max_t(size_t, roundup_pow_of_two(len), 1024);

	c->rx = kmalloc(min_t(size_t, cap, KHTTPD_RX_MAX), GFP_KERNEL);
	if (!c->rx)
		return -ENOMEM;
	c->rx_cap = min_t(size_t, cap, KHTTPD_RX_MAX);
	memcpy(c->rx, src, len);
	c->rx_len = len;
	return 0;
}

/* tcp_read_sock()'s actor: copy into the buffer, as much as fits. */
static int khttpd_conn_read_actor(read_descriptor_t *desc,
				  struct sk_buff *skb, unsigned int off,
				  size_t len)
{
	char *buf = desc->arg.data;
	size_t n = min(len, desc->count);

	if (!n)
		return 0;
	if (skb_copy_bits(skb, off, buf + desc->written, n)) {
		desc->error = -EFAULT;	/* a bug in the offsets: stop */
		return 0;
	}
	desc->written += n;
	desc->count -= n;
	return n;
}

/*
 * Read up to @cap bytes into @buf, the socket held (so tcp_read_sock(),
 * not recvmsg, which would take the lock again).  Returns the bytes read,
 * 0 at the end of the stream, -EAGAIN when there is nothing yet, or an
 * error, as tcp_recvmsg() would.  Urgent data, which HTTP has no use for
 * and tcp_read_sock() stops at, is an error that closes the connection.
 */
static int khttpd_conn_read(struct sock *sk, char *buf, size_t cap)
{
	read_descriptor_t desc = { .arg.data = buf, .count = cap };
	int n;

	/* as recvmsg does: steer the flow's packets to this CPU (RFS) */
	sock_rps_record_flow(sk);
	n = tcp_read_sock(sk, &desc, khttpd_conn_read_actor);
	if (n)
		return n;
	if (desc.error)
		return desc.error;
	if (sock_flag(sk, SOCK_DONE))
		return 0;
	if (sk->sk_err)
		return sock_error(sk);
	if (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)
		return 0;
	if (sk->sk_state == TCP_CLOSE)
		return -ENOTCONN;
	if (READ_ONCE(tcp_sk(sk)->urg_data) &&
	    !skb_queue_empty(&sk->sk_receive_queue))
		return -EPROTO;
	return -EAGAIN;
}

/*
 * Receive once.  Into the connection's buffer if it holds part of a
 * request, else into the worker's scratch buffer, answering from there.
 * Returns the bytes received, 0 on EOF, or -errno.
 */
static int khttpd_conn_recv(struct khttpd_conn *c, bool *answered)
{
	struct khttpd_io *io = &c->worker->io;
	char *buf;
	size_t cap;
	long n;
	int ret;

	if (c->rx_len) {
		if (c->rx_len == c->rx_cap) {
			size_t cap = min_t(size_t, c->rx_cap * 2, KHTTPD_RX_MAX);
			char *rx;

			/* the parser refuses heads long before this */
			if (cap == c->rx_cap)
				return -E2BIG;
			rx = krealloc(c->rx, cap, GFP_KERNEL);
			if (!rx)
				return -ENOMEM;
			c->rx = rx;
			c->rx_cap = cap;
		}
		buf = c->rx + c->rx_len;
		cap = c->rx_cap - c->rx_len;
	} else {
		buf = io->scratch;
		cap = io->scratch_size;
	}
	if (c->tls)
		ret = khttpd_tls_recv(c, buf, cap);
	else
		ret = khttpd_conn_read(c->sock->sk, buf, cap);
	if (ret <= 0 || c->lingering)
		return ret;
	if (c->rx_len) {
		c->rx_len += ret;
		c->rx_last = ktime_get_ns();
		return ret;
	}
	/* the fast path saw these bytes first: they were read then */
	if (!c->rx_peeked)
		c->rx_time = ktime_get_ns();
	c->rx_last = c->rx_time;
	c->rx_peeked = false;
	n = khttpd_conn_consume(c, io->scratch, ret, answered);
	if (n < 0)
		return n;
	if (n < ret && khttpd_conn_stash(c, io->scratch + n, ret - n))
		return -ENOMEM;
	return ret;
}

/*
 * The piece of a docroot body a work item copied (for a file whose page
 * cache cannot be sent from), for the answer at the head of the queue.
 * -EAGAIN once that answer is past it.
 */
static int khttpd_bounce_bvecs(struct khttpd_conn *c, struct khttpd_tx *t,
			       struct bio_vec *bv, unsigned int max,
			       size_t *bytes)
{
	u64 end = c->bounce_off + c->bounce_len, off = t->off;
	u64 len = min(t->len, end - off);
	int n = 0;

	if (t->entry != c->bounce_entry || off < c->bounce_off || off >= end) {
		khttpd_bounce_release(c);
		return -EAGAIN;
	}
	while (len && n < max) {
		u64 at = off - c->bounce_off;
		u32 poff = offset_in_page(at);
		u32 part = min_t(u64, len, PAGE_SIZE - poff);

		bvec_set_page(&bv[n++], c->bounce[at >> PAGE_SHIFT], part, poff);
		*bytes += part;
		off += part;
		len -= part;
	}
	return n;
}

/*
 * Drop @sent bytes from the front of the tx queue, handed to TCP at @now.
 * An answer whose last byte went is served: its time goes to the
 * histogram, its record to the log.
 */
static void khttpd_conn_advance(struct khttpd_conn *c, size_t sent, u64 now)
{
	while (sent) {
		struct khttpd_tx *t = &c->tx[c->tx_head];

		if (sent < t->len) {
			t->off += sent;
			t->len -= sent;
			return;
		}
		sent -= t->len;
		if (t->t0 || t->log) {
			u64 ns = now > t->t0 ? now - t->t0 : 0;

			khttpd_stat_service(ns);
			if (t->log)
				khttpd_log_end(t->log, ns, false, 0);
		}
		khttpd_tx_release(t);
		c->tx_head = (c->tx_head + 1) % KHTTPD_TX_SLOTS;
		WRITE_ONCE(c->tx_count, c->tx_count - 1);
	}
}

/*
 * Drop the page cache folios a send described.  Not folio_batch_release():
 * it drains this CPU's LRU batches, under a lock softirq must not take.
 */
static void khttpd_io_put_folios(struct khttpd_io *io)
{
	if (!folio_batch_count(&io->fb))
		return;
	folios_put(&io->fb);
	folio_batch_reinit(&io->fb);
}

/*
 * Send what is queued, the socket held (by the thread, or the bh lock).
 * Returns 0 when everything went, -EAGAIN when the socket is full
 * (tcp_sendmsg_locked, or kTLS, has then set SOCK_NOSPACE, so write_space
 * will requeue us), or another error.  *@progress is set if bytes went.
 * MSG_NOSIGNAL always: in softirq, current is whatever task was
 * interrupted.  An HTTPS connection's go to kTLS (which takes the socket
 * itself), by reference as well: it encrypts them into pages of its own
 * and drops its references once a record is in TCP.
 */
int khttpd_conn_flush(struct khttpd_conn *c, struct khttpd_io *io,
		      bool *progress)
{
	/* @io's: on the stack, 1 KiB would be zeroed at every call */
	struct bio_vec *bv = io->bvecs;

	while (c->tx_count) {
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
		size_t total = 0, pending = 0;
		unsigned int i, n = 0;
		bool gap = false;
		int ret;

		for (i = 0; i < c->tx_count; i++) {
			struct khttpd_tx *t;
			size_t before = total;

			t = &c->tx[(c->tx_head + i) % KHTTPD_TX_SLOTS];
			pending += t->len;
			if (n == KHTTPD_BVECS || gap)
				continue;
			if (!t->entry) {
				bvec_set_page(&bv[n++], t->page, t->len, t->off);
				total += t->len;
				continue;
			}
			ret = -EAGAIN;
			if (!i && c->bounce_len)
				ret = khttpd_bounce_bvecs(c, t, bv + n,
							  KHTTPD_BVECS - n,
							  &total);
			if (ret == -EAGAIN)
				ret = khttpd_entry_bvecs(t->entry, t->off,
							 t->len, bv + n,
							 KHTTPD_BVECS - n,
							 &total, &io->fb);
			if (ret == -EAGAIN && !total)
				return -EINPROGRESS;	/* its pages first */
			if (ret < 0 && ret != -EAGAIN) {
				khttpd_io_put_folios(io);
				return ret;
			}
			n += max(ret, 0);
			/* nothing of later answers before the rest of this */
			gap = total - before < t->len;
		}
		if (io->cfg->zerocopy)
			msg.msg_flags |= MSG_SPLICE_PAGES;
		if (total < pending)
			msg.msg_flags |= MSG_MORE;	/* the rest follows now */
		iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, n, total);
		if (c->tls)
			ret = khttpd_tls_send(c, &msg);
		else
			ret = tcp_sendmsg_locked(c->sock->sk, &msg, total);
		/* the skbs took references of their own (or copied) */
		khttpd_io_put_folios(io);
		if (ret < 0)
			return ret;
		*progress = true;
		khttpd_stat_add(bytes_sent, ret);
		/*
		 * When: TCP's clock, which its push just read (tcp_write_xmit
		 * refreshes it before it sends), so this costs no clock read.
		 */
		khttpd_conn_advance(c, ret,
				    READ_ONCE(tcp_sk(c->sock->sk)->tcp_clock_cache));
	}
	return 0;
}

/*
 * The worker takes the socket for a step.  While it holds it, the fast
 * path cannot run, so its sends may sleep to allocate as any process's
 * do; GFP_ATOMIC is back before anything else can send.
 */
static void khttpd_conn_hold(struct sock *sk)
{
	lock_sock(sk);
	sk->sk_allocation = GFP_KERNEL;
}

static void khttpd_conn_let_go(struct sock *sk)
{
	sk->sk_allocation = GFP_ATOMIC;
	release_sock(sk);
}

/*
 * All answers are out and the connection is to close.  If the client sent
 * more than we read, closing now would send a RST that can destroy the
 * answer in flight at the client, so shut the write side and discard input
 * until the client closes or the idle timeout ("lingering close").
 */
static bool khttpd_conn_finish(struct khttpd_conn *c)
{
	struct sock *sk = c->sock->sk;

	c->closing = false;
	/*
	 * What arrived while we hold the socket waits in its backlog, not
	 * yet in the receive queue: that is more input too; and so is what
	 * kTLS took off the queue, a record or part of one.
	 */
	if (skb_queue_empty_lockless(&sk->sk_receive_queue) &&
	    !READ_ONCE(sk->sk_backlog.tail) &&
	    !(c->tls && khttpd_tls_readable(sk)))
		return true;
	/*
	 * shutdown() takes the socket itself (tcp_shutdown is not for
	 * modules).  Lingering first, so that the fast path, which may run
	 * while we let go, leaves the connection alone.  (An HTTPS one is
	 * not held: kTLS takes the socket itself.)
	 */
	c->lingering = true;
	if (!c->tls)
		khttpd_conn_let_go(sk);
	kernel_sock_shutdown(c->sock, SHUT_WR);
	if (!c->tls)
		khttpd_conn_hold(sk);
	khttpd_timeout_set(c->worker, &c->timeout, KHTTPD_T_IDLE, true);
	return false;
}

/*
 * An HTTPS connection is to close in order: close_notify first, after
 * what kTLS holds (khttpd_conn_bye()), then the lingering close if
 * @linger, else the close.  TCP must take something every send_timeout_ms.
 */
static void khttpd_conn_bye_begin(struct khttpd_conn *c, bool linger)
{
	WRITE_ONCE(c->tls, KHTTPD_TLS_BYE);	/* write_space reads it */
	c->tls_linger = linger;
	c->tls_deadline = jiffies +
			  msecs_to_jiffies(c->worker->cfg.send_timeout_ms);
}

/*
 * Would a receive only say -EAGAIN?  Then it is not worth its socket lock
 * and its pass through tcp_recvmsg: data arriving after this look queues
 * the connection again (data_ready), and so do an error or a FIN.
 */
static bool khttpd_conn_nothing_to_read(struct khttpd_conn *c)
{
	struct sock *sk = c->sock->sk;

	return skb_queue_empty_lockless(&sk->sk_receive_queue) &&
	       !(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) &&
	       !READ_ONCE(sk->sk_err) &&
	       !(c->tls && khttpd_tls_readable(sk));
}

/* After a wakeup's work: which timeout now runs for this connection. */
static void khttpd_conn_rearm(struct khttpd_conn *c, bool answered)
{
	struct khttpd_worker *w = c->worker;

	if (c->lingering)
		return;
	if (c->rx_len || khttpd_http_parser_busy(&c->parser) || !c->served)
		/*
		 * A request is arriving (or the first one is awaited): its
		 * clock started with it and is not reset by more bytes.
		 */
		khttpd_timeout_set(w, &c->timeout, KHTTPD_T_HEADER, answered);
	else
		khttpd_timeout_set(w, &c->timeout, KHTTPD_T_IDLE, true);
}

/*
 * The body at the head of the queue needs its pages read in (or copied):
 * a work item does it, and requeues us.  False if it cannot be queued
 * (the server is stopping): the answer cannot be finished.
 */
static bool khttpd_conn_read_in(struct khttpd_conn *c)
{
	struct khttpd_tx *t = &c->tx[c->tx_head];

	c->dw.read = true;
	c->dw.file_entry = khttpd_entry_get(t->entry);
	c->dw.pos = t->off;
	c->dw.len = t->len;
	if (khttpd_conn_wait(c))
		return true;
	c->abort = true;
	return false;
}

/*
 * The work item we waited for is done: take its result.  A body's pages
 * are in (or a copy of them is ours now); or the held request gets its
 * answer, queued before the requests that came after it.  False if the
 * connection is to close: the file ended early, or out of memory.
 */
static bool khttpd_conn_resume(struct khttpd_conn *c, bool *answered)
{
	struct khttpd_dwait *dw = &c->dw;
	struct khttpd_range range;
	struct khttpd_answer a;
	struct khttpd_entry *e;
	u64 off, len;
	bool ok;

	c->waiting = false;
	if (dw->read) {
		if (dw->err) {
			khttpd_stat_inc(docroot_aborts);
			c->abort = true;
			khttpd_dwait_release(dw);
			return false;
		}
		if (dw->bounce_len) {
			khttpd_bounce_release(c);
			memcpy(c->bounce, dw->pages, sizeof(c->bounce));
			memset(dw->pages, 0, sizeof(dw->pages));
			c->bounce_entry = dw->file_entry;
			dw->file_entry = NULL;
			c->bounce_off = dw->pos;
			c->bounce_len = dw->bounce_len;
		}
		khttpd_dwait_release(dw);
		return true;
	}
	e = dw->status == 200 ?
	    khttpd_docroot_pick(&c->held, dw->entry, dw->gz) : NULL;
	e = khttpd_conn_decide(&c->held, 0, e, dw->status, &a, &range, &off,
			       &len);
	ok = khttpd_conn_queue_answer(c, &c->worker->io, &c->held, 0,
				      c->held_t0, c->held.version, &a,
				      &range, e, off, len);
	khttpd_dwait_release(dw);
	kfree(c->held_buf);
	c->held_buf = NULL;
	*answered = true;
	return ok;
}

/*
 * One step of the worker's on a connection, the socket held: send, answer
 * what was received, receive, within the budget.  Returns true if the
 * connection is to be closed.
 */
static bool khttpd_conn_step(struct khttpd_conn *c)
{
	bool answered = false, sent = false;
	int budget = KHTTPD_CONN_BUDGET;
	long n;
	int ret;

	if (c->waiting) {
		/* pairs with smp_store_release() in khttpd_conn_dw_done() */
		if (!smp_load_acquire(&c->dw_done))
			return false;	/* woken by the socket: not yet */
		if (!khttpd_conn_resume(c, &answered))
			return true;
	}
	while (budget-- > 0) {
		ret = khttpd_conn_flush(c, &c->worker->io, &sent);
		if (ret == -EAGAIN) {
			khttpd_timeout_set(c->worker, &c->timeout,
					   KHTTPD_T_SEND, sent);
			return false;
		}
		if (ret == -EINPROGRESS) {
			/* a body page to read in: the send clock runs */
			if (!khttpd_conn_read_in(c))
				return true;
			khttpd_timeout_set(c->worker, &c->timeout,
					   KHTTPD_T_SEND, sent);
			return false;
		}
		if (ret == -EIO) {
			khttpd_stat_inc(docroot_aborts);
			c->abort = true;
		}
		if (ret)
			return true;
		if (c->waiting) {
			/* a lookup: its answer, then the rest, come after */
			khttpd_timeout_set(c->worker, &c->timeout,
					   KHTTPD_T_SEND, true);
			return false;
		}
		if (c->closing && c->tls) {
			/* close_notify first (khttpd_conn_bye()), then finish */
			c->closing = false;
			khttpd_conn_bye_begin(c, true);
			return false;
		}
		if (c->closing && khttpd_conn_finish(c))
			return true;

		if (c->lingering) {
			ret = khttpd_conn_recv(c, &answered);
			if (ret == -EAGAIN)
				return false;
			if (ret <= 0)
				return true;
			continue;
		}

		if (c->rx_len) {
			n = khttpd_conn_consume(c, c->rx, c->rx_len, &answered);
			if (n < 0)
				return true;
			c->rx_len -= n;
			memmove(c->rx, c->rx + n, c->rx_len);
			if (!c->rx_len) {
				kfree(c->rx);
				c->rx = NULL;
			}
			/* answers to send, or a lookup to wait for first */
			if (c->tx_count || c->waiting)
				continue;
		}
		if (c->peer_closed)
			return true;	/* every whole request is answered */

		if (khttpd_conn_nothing_to_read(c)) {
			khttpd_conn_rearm(c, answered);
			return false;
		}
		ret = khttpd_conn_recv(c, &answered);
		if (ret == -EAGAIN) {
			khttpd_conn_rearm(c, answered);
			return false;
		}
		if (ret < 0)
			return true;
		if (ret == 0)
			c->peer_closed = true;
	}
	/* Out of budget with work left: go to the back of the line. */
	khttpd_conn_rearm(c, answered);
	khttpd_conn_queue(c);
	return false;
}

/*
 * The bye of an HTTPS connection (khttpd_conn_bye_begin()): one more look.
 * Write space wakes us, and the RETRY clock looks again anyway, should
 * kTLS's push of its records come after our wakeup.  A client that takes
 * nothing for send_timeout_ms gets a reset.
 */
static void khttpd_conn_bye(struct khttpd_conn *c)
{
	struct khttpd_worker *w = c->worker;
	bool progress = false;

	if (khttpd_tls_bye(c, &progress) == -EAGAIN) {
		if (progress) {
			c->tls_deadline = jiffies +
				msecs_to_jiffies(w->cfg.send_timeout_ms);
		} else if (time_after_eq(jiffies, c->tls_deadline)) {
			/* once per connection: the bye may follow a timeout */
			if (!c->tls_timed)
				khttpd_stat_inc(timed_out);
			khttpd_conn_close(c, true);
			return;
		}
		khttpd_timeout_set(w, &c->timeout, KHTTPD_T_RETRY, true);
		return;
	}
	WRITE_ONCE(c->tls, KHTTPD_TLS_ON);
	if (c->tls_linger && !khttpd_conn_finish(c))
		return;		/* lingering: steps read until the end */
	khttpd_conn_close(c, false);
}

/*
 * May an HTTPS connection end with close_notify?  Not with an answer cut
 * off (a send or read error, STOP): close_notify says "all was sent", and
 * a client must see the truncation instead.
 */
static bool khttpd_conn_may_notify(struct khttpd_conn *c)
{
	return !c->tls_bye_done && !c->tx_count && !c->waiting;
}

/* Close @c: a reset if @abort, else an HTTPS one says goodbye first. */
static void khttpd_conn_end(struct khttpd_conn *c, bool abort)
{
	if (!abort && c->tls == KHTTPD_TLS_ON && khttpd_conn_may_notify(c)) {
		khttpd_conn_bye_begin(c, false);
		khttpd_conn_bye(c);
		return;
	}
	khttpd_conn_close(c, abort);
}

/* @c waits its turn to hand its handshake over (RETRY clock). */
static void khttpd_conn_tls_queue(struct khttpd_conn *c)
{
	if (c->tls != KHTTPD_TLS_QUEUED) {
		c->tls = KHTTPD_TLS_QUEUED;
		c->worker->tls_queued++;
		khttpd_stat_inc(tls_busy);
	}
	khttpd_timeout_set(c->worker, &c->timeout, KHTTPD_T_RETRY, true);
}

/*
 * Hand @c's handshake to the agent.  The upcall keeps at most a few
 * requests no agent has taken yet (about 4 in 2 GiB) and refuses more
 * with -EAGAIN: then @c waits, in order of arrival with the others of
 * its worker, until a handshake ends or its RETRY clock runs out, within
 * the handshake's deadline.  No agent at all (-ESRCH): nobody to answer.
 */
static void khttpd_conn_tls_submit(struct khttpd_conn *c)
{
	struct khttpd_worker *w = c->worker;
	int err;

	if (time_after_eq(jiffies, c->tls_deadline)) {
		khttpd_stat_inc(timed_out);
		khttpd_stat_inc(tls_timed_out);
		khttpd_conn_close(c, false);
		return;
	}
	/* full a moment ago: those after @c wait behind it */
	if (w->tls_full && !time_after(jiffies, w->tls_full_at))
		err = -EAGAIN;
	else
		err = khttpd_tls_submit(c, w->cfg.header_timeout_ms);
	if (err == -EAGAIN) {
		w->tls_full = true;
		w->tls_full_at = jiffies;
		khttpd_conn_tls_queue(c);
		return;
	}
	if (c->tls == KHTTPD_TLS_QUEUED)
		w->tls_queued--;
	c->tls = KHTTPD_TLS_HANDSHAKE;
	if (err) {
		if (err == -ESRCH) {
			khttpd_stat_inc(tls_no_agent);
		} else {
			khttpd_stat_inc(tls_failed);
			pr_warn_ratelimited("cannot start a handshake: %d\n",
					    err);
		}
		khttpd_conn_close(c, false);
		return;
	}
	w->tls_full = false;
	khttpd_stat_inc(tls_handshakes);
	khttpd_timeout_set(w, &c->timeout, KHTTPD_T_HEADER, true);
}

void khttpd_conn_accept_tls(struct khttpd_worker *w, struct socket *sock)
{
	struct khttpd_conn *c;
	struct file *file;

	/* no answering before the handshake: over max_conns, just close */
	if (!khttpd_conn_admit(w)) {
		khttpd_stat_inc(refused);
		sock_release(sock);
		return;
	}
	/* the upcall gives the agent a descriptor of it */
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file)) {
		/* (it released the socket) */
		khttpd_conn_unadmit();
		return;
	}
	c = khttpd_conn_alloc(w, sock);
	if (!c) {
		fput(file);
		khttpd_conn_unadmit();
		return;
	}
	c->tls_deadline = jiffies +
			  msecs_to_jiffies(w->cfg.header_timeout_ms);
	if (w->tls_queued)
		khttpd_conn_tls_queue(c);	/* first come, first served */
	else
		khttpd_conn_tls_submit(c);
}

/*
 * @c's handshake is over: from now on it reads and writes through kTLS,
 * our callbacks on top of kTLS's.  A request may be decrypted and waiting
 * already: the step after this reads at once.  False to close unanswered.
 */
static bool khttpd_conn_tls_up(struct khttpd_conn *c)
{
	struct khttpd_worker *w = c->worker;

	/* the agent took requests: those waiting for room go now */
	w->tls_full = false;
	if (w->tls_queued)
		khttpd_timers_kick(w, KHTTPD_T_RETRY);

	/*
	 * The agent keeps the same deadline, from its ACCEPT, and often
	 * reports it before our timer (with its slack) fires: a timeout too.
	 */
	if (c->tls_status == -ETIMEDOUT) {
		khttpd_stat_inc(tls_timed_out);
		khttpd_stat_inc(timed_out);	/* as our own clock counts it */
		return false;
	}
	if (c->tls_status) {
		khttpd_stat_inc(tls_failed);
		return false;
	}
	if (!khttpd_tls_engaged(c->sock->sk)) {
		pr_warn_ratelimited("handshake done without kTLS set up\n");
		khttpd_stat_inc(tls_failed);
		return false;
	}
	khttpd_stat_inc(tls_established);
	c->tls = KHTTPD_TLS_ON;
	khttpd_conn_install(c);
	/* the first request's clock starts now */
	khttpd_timeout_set(w, &c->timeout, KHTTPD_T_HEADER, true);
	return true;
}

/*
 * An HTTPS connection's turn: the end of its handshake, its bye, or a
 * step, without holding the socket (kTLS takes it itself, and no fast
 * path runs beside us).
 */
static void khttpd_conn_process_tls(struct khttpd_conn *c)
{
	switch (c->tls) {
	case KHTTPD_TLS_QUEUED:
		return;		/* its RETRY clock submits it */
	case KHTTPD_TLS_HANDSHAKE:
		/* pairs with smp_store_release() in khttpd_tls_done() */
		if (!smp_load_acquire(&c->tls_done))
			return;
		if (!khttpd_conn_tls_up(c)) {
			khttpd_conn_close(c, false);
			return;
		}
		break;
	case KHTTPD_TLS_BYE:
		khttpd_conn_bye(c);
		return;
	}
	if (khttpd_conn_step(c))
		khttpd_conn_end(c, c->abort);
	else if (c->tls == KHTTPD_TLS_BYE)
		khttpd_conn_bye(c);
}

static void khttpd_conn_process(struct khttpd_conn *c)
{
	struct sock *sk;
	bool close;

	if (!c->sock)
		return;		/* closed while it was queued */
	if (c->tls) {
		khttpd_conn_process_tls(c);
		return;
	}
	sk = c->sock->sk;
	khttpd_conn_hold(sk);
	close = khttpd_conn_step(c);
	/*
	 * Until khttpd_conn_close() takes the callbacks back, the fast path
	 * may run once we let go: it must not answer on a connection that
	 * is closing.
	 */
	if (close)
		c->closing = true;
	khttpd_conn_let_go(sk);
	if (close)
		khttpd_conn_close(c, c->abort);
}

/*
 * Over max_conns: answer 503 and close, without a connection structure.
 * Whatever the client already sent is read first, so that closing does not
 * turn into a reset that could destroy the answer.
 */
void khttpd_conn_refuse(struct khttpd_worker *w, struct socket *sock)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct khttpd_entry *e = khttpd_store_error(503);
	struct kvec v = { .iov_base = w->io.scratch };
	size_t n;

	u64 off, len;

	n = khttpd_http_head(w->io.scratch, KHTTPD_HEAD_MAX, 503, 11, false,
			     khttpd_io_date(&w->io));
	khttpd_http_part_range(khttpd_entry_layout(e), KHTTPD_PART_FULL, &off,
			       &len);
	khttpd_entry_copy(e, off, w->io.scratch + n, len);
	v.iov_len = n + len;
	khttpd_entry_put(e);
	khttpd_stat_inc(refused);
	khttpd_stat_inc(responses[4]);
	kernel_sendmsg(sock, &msg, &v, 1, v.iov_len);

	for (n = 0; n < 4; n++) {
		v.iov_len = w->io.scratch_size;
		if (kernel_recvmsg(sock, &msg, &v, 1, v.iov_len,
				   MSG_DONTWAIT) <= 0)
			break;
	}
	sock_release(sock);
}

/* The connections whose socket woke them, in the order they woke up. */
void khttpd_conn_run_ready(struct khttpd_worker *w)
{
	struct llist_node *list = llist_del_all(&w->ready);
	struct khttpd_conn *c, *tmp;

	/* llist is LIFO */
	list = llist_reverse_order(list);
	llist_for_each_entry_safe(c, tmp, list, ready_node) {
		/*
		 * Clear QUEUED before looking at the socket: an event after
		 * this point queues the connection again rather than being
		 * lost.
		 */
		clear_bit(KHTTPD_CONN_QUEUED, &c->flags);
		/* pairs with test_and_set_bit() in khttpd_conn_queue() */
		smp_mb__after_atomic();
		khttpd_conn_process(c);
		khttpd_conn_put(c);
	}
}

void khttpd_conn_expire(struct khttpd_timeout *t, bool abort)
{
	struct khttpd_conn *c = container_of(t, struct khttpd_conn, timeout);

	switch (c->tls) {
	case KHTTPD_TLS_QUEUED:
		khttpd_conn_tls_submit(c);
		return;
	case KHTTPD_TLS_HANDSHAKE:
		/*
		 * header_timeout_ms without its done.  Cancelling loses
		 * only to a done already under way: that one decides.
		 */
		if (!khttpd_tls_cancel(c))
			return;
		khttpd_stat_inc(tls_timed_out);
		khttpd_stat_inc(timed_out);
		khttpd_conn_close(c, false);
		return;
	case KHTTPD_TLS_BYE:
		khttpd_conn_bye(c);
		return;
	}
	khttpd_stat_inc(timed_out);
	c->tls_timed = true;
	khttpd_conn_end(c, abort);
}

void khttpd_conn_close_all(struct khttpd_worker *w)
{
	struct khttpd_conn *c, *tmp;
	struct llist_node *list;
	bool progress;

	list_for_each_entry_safe(c, tmp, &w->conns, node) {
		/* a handshake is cancelled, or its done waited for below */
		if (c->tls == KHTTPD_TLS_HANDSHAKE)
			khttpd_tls_cancel(c);
		/* close_notify if there is room; no waiting for it */
		if ((c->tls == KHTTPD_TLS_ON || c->tls == KHTTPD_TLS_BYE) &&
		    khttpd_conn_may_notify(c))
			khttpd_tls_bye(c, &progress);
		khttpd_conn_close(c, false);
	}
	khttpd_tls_wait(w);
	/* Connections that were queued hold a reference each. */
	list = llist_del_all(&w->ready);
	llist_for_each_entry_safe(c, tmp, list, ready_node)
		khttpd_conn_put(c);
}

int khttpd_conn_init(void)
{
	khttpd_conn_cache = KMEM_CACHE(khttpd_conn, 0);
	return khttpd_conn_cache ? 0 : -ENOMEM;
}

void khttpd_conn_exit(void)
{
	if (atomic_read(&khttpd_conn_count))
		pr_err("leak: %d connections not freed\n",
		       atomic_read(&khttpd_conn_count));
	kmem_cache_destroy(khttpd_conn_cache);
}
