/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A connection's insides, shared by its two answering paths: the worker's
 * thread (conn.c) and the socket callback (fastpath.c).  Whoever holds the
 * socket may change them: the thread under lock_sock(), the callback under
 * the bh lock of a socket no thread owns.  An HTTPS connection's are the
 * thread's alone (no fast path), and tls.c's: its done callback's.
 */
#ifndef _KHTTPD_CONN_PRIV_H
#define _KHTTPD_CONN_PRIV_H

#include <linux/list.h>
#include <linux/llist.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/khttpd.h>

#include "docroot.h"
#include "http.h"
#include "timers.h"

struct khttpd_entry;
struct khttpd_io;
struct khttpd_worker;
struct sock;
struct socket;

#define KHTTPD_TX_SLOTS		32

/* Where an HTTPS connection is in its life (tls.c); plain HTTP is NONE. */
enum khttpd_tls_state {
	KHTTPD_TLS_NONE,
	KHTTPD_TLS_QUEUED,	/* to hand its handshake over: the queue was full */
	KHTTPD_TLS_HANDSHAKE,	/* the agent's: no callback of ours on the socket */
	KHTTPD_TLS_ON,		/* kTLS, our callbacks on top of its */
	KHTTPD_TLS_BYE,		/* closing: kTLS's records, close_notify, first */
};

/*
 * Room for the fields a 206 or 416 writes per request: a 200's (Content-
 * Type and Cache-Control up to KHTTPD_TYPE_MAX each, and the fixed ones)
 * and a Content-Range.
 */
#define KHTTPD_ANSWER_FIELDS_MAX	(2 * KHTTPD_TYPE_MAX + 256 + \
					 KHTTPD_RANGE_EXTRA)

/* A range of bytes to send: of a stored entry, or of the conn's arena. */
struct khttpd_tx {
	struct khttpd_entry *entry;	/* reference held, or NULL */
	struct page *page;		/* arena page (reference held) */
	u64 off;
	u64 len;
	/*
	 * The last range of an answer: when its request's first byte was
	 * read, else 0; and its access log record.  The clock is
	 * ktime_get_ns()'s, mostly as TCP read it last for the socket
	 * (tcp_clock_cache): on the receive that woke the fast path, on the
	 * push after our send; so the common case reads no clock of its own.
	 */
	u64 t0;
	struct khttpd_log_record *log;
};

struct khttpd_conn {
	struct khttpd_worker *worker;
	struct socket *sock;
	struct list_head node;		/* in worker->conns */
	struct llist_node ready_node;	/* in worker->ready while QUEUED */
	unsigned long flags;		/* KHTTPD_CONN_* bits */
	refcount_t ref;			/* one for the owner, one if queued */

	/* the socket's callbacks before we installed ours */
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);

	struct khttpd_timeout timeout;	/* in the worker's lists */

	bool served;		/* a request was answered */
	bool closing;		/* answer queued, then close */
	bool lingering;		/* write side shut, discarding until EOF */
	bool peer_closed;	/* read side saw EOF */

	/* responses waiting to be sent, oldest first (a ring) */
	struct khttpd_tx tx[KHTTPD_TX_SLOTS];
	unsigned int tx_head, tx_count;

	/* per-response bytes (status line, Date...) are written here */
	struct page *arena;
	unsigned int arena_off;

	/* bytes received and not yet consumed, when any are left over */
	struct khttpd_parser parser;
	char *rx;
	unsigned int rx_len, rx_cap;
	/*
	 * When the first of those bytes was read: with @rx_len, or when the
	 * fast path looked at bytes it left in the socket (@rx_peeked); and
	 * the last of them, which the requests after the first began in.
	 */
	u64 rx_time;
	u64 rx_last;
	bool rx_peeked;

	/*
	 * Waiting for the docroot (a lookup, or a body's pages): @dw's work
	 * holds a reference on us until @dw_done.  A request waiting for
	 * its lookup is @held, its strings copied to @held_buf; requests
	 * after it wait, unparsed, in @rx.
	 */
	bool waiting;
	bool dw_done;
	bool abort;		/* close with a reset (the file shrank) */
	struct khttpd_dwait dw;
	struct khttpd_request held;
	char *held_buf;
	u64 held_t0;		/* when its first byte was read */
	/* a copy of part of a body, for files sent from no page cache */
	struct khttpd_entry *bounce_entry;	/* whose (a reference) */
	u64 bounce_off;			/* where in it */
	u32 bounce_len;
	struct page *bounce[KHTTPD_BOUNCE_PAGES];

	/*
	 * HTTPS (tls.c).  The socket has a file (the upcall hands the agent
	 * a descriptor of it), released with fput().  The done callback only
	 * writes @tls_status, then @tls_done (release/acquire), and queues us.
	 */
	u8 tls;			/* enum khttpd_tls_state */
	bool tls_done;		/* the handshake's done ran */
	bool tls_linger;	/* after the bye, the lingering close */
	bool tls_bye_done;	/* nothing more to send: release at will */
	bool tls_notified;	/* our close_notify is queued */
	bool tls_quiet;		/* the peer broke TLS off: no close_notify */
	bool tls_timed;		/* timed_out is counted: the bye counts no more */
	int tls_status;		/* the done's status */
	u32 tls_seq;		/* TCP's write_seq at the bye's last look */
	unsigned long tls_deadline;	/* jiffies: of a wait polled at RETRY */
};

#define KHTTPD_CONN_QUEUED	0	/* on worker->ready */

/* Put @c on its worker's ready list (once) and wake the worker. */
void khttpd_conn_queue(struct khttpd_conn *c);
/* Drop a reference (the last frees the connection). */
void khttpd_conn_put(struct khttpd_conn *c);

/*
 * The answer to one request (@req, or the refusal @parse_status): its
 * entry (a reference), which part of it and where that part lies; for a
 * 206 or a 416 (a->status), the range the fields must name.  Or
 * ERR_PTR(-EAGAIN): the docroot must look the path up first (or, when
 * @atomic, the answer must be built where it may sleep).
 */
struct khttpd_entry *khttpd_conn_pick(const struct khttpd_request *req,
				      int parse_status, bool atomic,
				      struct khttpd_answer *a,
				      struct khttpd_range *range, u64 *off,
				      u64 *len);
/*
 * Queue the answer khttpd_conn_pick() chose, taking over its reference,
 * to @req (refused, if @parse_status), whose first byte was read at @t0.
 * Needs two free tx slots.  Returns false only when out of memory.
 */
bool khttpd_conn_queue_answer(struct khttpd_conn *c, struct khttpd_io *io,
			      const struct khttpd_request *req,
			      int parse_status, u64 t0, u8 version,
			      const struct khttpd_answer *a,
			      const struct khttpd_range *range,
			      struct khttpd_entry *e, u64 off, u64 len);
/* Send what is queued, the socket held; 0, -EAGAIN or another error. */
int khttpd_conn_flush(struct khttpd_conn *c, struct khttpd_io *io,
		      bool *progress);

/*
 * The socket callback's own answer (fastpath.c), from data_ready with the
 * socket's bh lock held.  Returns true if it left nothing for the worker.
 */
bool khttpd_fast_answer(struct khttpd_conn *c, struct sock *sk);

#endif /* _KHTTPD_CONN_PRIV_H */
