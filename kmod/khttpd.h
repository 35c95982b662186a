/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khttpd: internal declarations shared by the module's files.
 */
#ifndef _KHTTPD_H
#define _KHTTPD_H

#include <linux/list.h>
#include <linux/llist.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/timer.h>
#include <linux/types.h>

#include "http.h"

struct page;
struct socket;
struct sock;
struct task_struct;

/*
 * Run-time configuration.  Readers use READ_ONCE() on single fields; a
 * field may change between two requests, never within one.
 */
struct khttpd_config {
	u32 header_timeout_ms;		/* whole head must arrive within */
	u32 keepalive_timeout_ms;	/* idle between requests */
	u32 send_timeout_ms;		/* no send progress for this long */
	u32 max_conns;			/* open connections, all CPUs */
	struct khttpd_limits limits;	/* of the HTTP engine */
	bool zerocopy;			/* MSG_SPLICE_PAGES from the store */
};

extern struct khttpd_config khttpd_cfg;

/*
 * A stored response: [304 fields][200 fields][body] in pages (see
 * enum khttpd_part), immutable once published.  Page-backed so that it
 * can be handed to TCP by reference (MSG_SPLICE_PAGES): the skbs then hold
 * their own page references, and replacing or deleting the entry while it
 * is in flight is safe.
 */
struct khttpd_entry {
	struct hlist_node node;		/* in the store's hash, under RCU */
	struct rcu_head rcu;
	refcount_t ref;
	u32 hash;
	char *path;
	u32 path_len;
	struct khttpd_resource res;	/* validators, for the engine */
	char etag[KHTTPD_ETAG_MAX];
	int status;			/* 200, or the error it answers */
	u32 nm_len;			/* 304 header fields */
	u32 fields_len;			/* 200 header fields */
	u64 body_len;
	u64 size;			/* nm_len + fields_len + body_len */
	unsigned int nr_pages;
	struct page *pages[];
};

/* store.c */
int khttpd_store_init(void);
void khttpd_store_exit(void);
struct khttpd_entry *khttpd_store_get(const char *path, u32 len);
struct khttpd_entry *khttpd_store_error(int status);
void khttpd_entry_put(struct khttpd_entry *e);
void khttpd_entry_copy(const struct khttpd_entry *e, u64 off, void *dst,
		       u32 len);
unsigned int khttpd_entry_bvecs(const struct khttpd_entry *e, u64 off,
				u64 len, struct bio_vec *bv, unsigned int max,
				size_t *bytes);

/*
 * A worker is one CPU's share of the server: a kthread bound to that CPU,
 * its own SO_REUSEPORT listener, and the connections it accepted.  Socket
 * callbacks (softirq, any CPU) only push onto @ready or set a flag and wake
 * the thread; everything else about a connection happens in the thread, so
 * connection state needs no lock.
 */
enum khttpd_timer_class {
	KHTTPD_T_HEADER,	/* a request is arriving */
	KHTTPD_T_IDLE,		/* between requests, or lingering */
	KHTTPD_T_SEND,		/* waiting for the client to read */
	KHTTPD_T_CLASSES,
	KHTTPD_T_NONE = KHTTPD_T_CLASSES,
};

struct khttpd_worker {
	unsigned int cpu;
	struct task_struct *task;
	struct socket *listener;
	void (*listen_data_ready)(struct sock *sk);	/* saved original */
	unsigned long flags;			/* KHTTPD_WORKER_* bits */
	struct llist_head ready;		/* conns with pending events */
	struct list_head conns;			/* every conn we own */
	unsigned int nr_conns;

	/*
	 * Timeouts: one list per class, each in deadline order because a
	 * class has one timeout and a connection moves to the tail whenever
	 * its deadline is set.  One timer per worker, at the earliest head.
	 */
	struct list_head timeouts[KHTTPD_T_CLASSES];
	struct timer_list timer;

	time64_t date_secs;			/* second of @date */
	char date[KHTTPD_DATE_LEN];		/* cached IMF-fixdate */
	char *scratch;				/* receive buffer, see conn.c */
};

#define KHTTPD_WORKER_ACCEPT	0	/* listener has connections waiting */
#define KHTTPD_WORKER_TIMER	1	/* the timer fired */

#define KHTTPD_SCRATCH_SIZE	65536
#define KHTTPD_TX_SLOTS		32

/* A range of bytes to send: of a stored entry, or of the conn's arena. */
struct khttpd_tx {
	struct khttpd_entry *entry;	/* reference held, or NULL */
	struct page *page;		/* arena page (reference held) */
	u64 off;
	u64 len;
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

	struct list_head tnode;		/* in worker->timeouts[tclass] */
	unsigned long deadline;		/* jiffies */
	u8 tclass;			/* enum khttpd_timer_class */

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
};

#define KHTTPD_CONN_QUEUED	0	/* on worker->ready */

/* conn.c */
#define KHTTPD_RX_MAX		65536	/* largest request head kept */
bool khttpd_conn_admit(void);
void khttpd_conn_refuse(struct khttpd_worker *w, struct socket *sock);
int khttpd_conn_init(void);
void khttpd_conn_exit(void);
struct khttpd_conn *khttpd_conn_create(struct khttpd_worker *w,
				       struct socket *sock);
void khttpd_conn_queue(struct khttpd_conn *c);
void khttpd_conn_process(struct khttpd_conn *c);
void khttpd_conn_close(struct khttpd_conn *c, bool abort);
void khttpd_conn_put(struct khttpd_conn *c);

/* server.c */
void khttpd_listen_data_ready(struct sock *sk);
void khttpd_worker_set_timer(struct khttpd_worker *w, struct khttpd_conn *c,
			     enum khttpd_timer_class class, bool restart);
const char *khttpd_worker_date(struct khttpd_worker *w);
int khttpd_server_start(unsigned short port, int backlog);
void khttpd_server_stop(void);

#endif /* _KHTTPD_H */
