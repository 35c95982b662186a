/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khttpd: internal declarations shared by the module's files.
 */
#ifndef _KHTTPD_H
#define _KHTTPD_H

#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>

#include "config.h"
#include "http.h"

#define KHTTPD_RELEASE "0.1.0"

struct bio_vec;
struct page;
struct socket;
struct sock;
struct task_struct;

/*
 * Counters, per CPU: each CPU's copy is only changed on that CPU (by its
 * worker or the control path), and a read sums them.  u64_stats: a 32-bit
 * reader never sees half of a carry.
 */
struct khttpd_pcpu_stats {
	u64_stats_t requests;
	u64_stats_t responses[5];
	u64_stats_t bytes_sent;
	u64_stats_t accepted;
	u64_stats_t closed;
	u64_stats_t refused;
	u64_stats_t timed_out;
	struct u64_stats_sync syncp;
};

DECLARE_PER_CPU(struct khttpd_pcpu_stats, khttpd_pcpu_stats);

static inline void khttpd_stat_add_(u64_stats_t *ctr, unsigned long n)
{
	struct khttpd_pcpu_stats *st = this_cpu_ptr(&khttpd_pcpu_stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&st->syncp);
	u64_stats_add(ctr, n);
	u64_stats_update_end_irqrestore(&st->syncp, flags);
}

/* preemption off: the counter must be the one of the CPU we are on */
#define khttpd_stat_add(f, n)	do {					\
		preempt_disable();					\
		khttpd_stat_add_(&this_cpu_ptr(&khttpd_pcpu_stats)->f, n); \
		preempt_enable();					\
	} while (0)
#define khttpd_stat_inc(f)	khttpd_stat_add(f, 1)

struct khttpd_stats;
void khttpd_stats_read(struct khttpd_stats *st);
void khttpd_stats_init(void);

/*
 * A stored response: [304 fields][200 fields][body] in pages (see
 * enum khttpd_part), immutable once published.  Page-backed so that it
 * can be handed to TCP by reference (MSG_SPLICE_PAGES): the skbs then hold
 * their own page references, and replacing or deleting the entry while it
 * is in flight is safe.
 */
struct khttpd_entry {
	struct hlist_node node;		/* in the store's hash, under RCU */
	struct rcu_work rwork;		/* frees it, after a grace period */
	refcount_t ref;
	u32 hash;
	char *path;
	u32 path_len;
	struct khttpd_resource res;	/* validators, for the engine */
	char etag[KHTTPD_ETAG_LEN];
	int status;			/* 200, or the error it answers */
	u64 charge;			/* bytes counted against mem_cap */
	u32 nm_len;			/* 304 header fields */
	u32 fields_len;			/* 200 header fields */
	u64 body_len;
	u64 size;			/* nm_len + fields_len + body_len */
	unsigned int nr_pages;		/* allocated so far */
	struct page *pages[];
};

/* The largest entry: a body of KHTTPD_BODY_MAX and its header fields. */
#define KHTTPD_ENTRY_MAX	(KHTTPD_BODY_MAX + PAGE_SIZE)

/* store.c */
struct khttpd_put;
struct khttpd_list;
int khttpd_store_init(void);
void khttpd_store_exit(void);
int khttpd_store_put_builtin(void);
int khttpd_store_put_user(const struct khttpd_put *put);
int khttpd_store_delete_user(const char __user *path, u32 len);
int khttpd_store_list(struct khttpd_list *l);
void khttpd_store_clear(void);
void khttpd_store_usage(u64 *entries, u64 *bytes);
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

/*
 * A listening socket.  It is the sk_user_data of the listener, and so of
 * its children until they are accepted (they are clones).
 */
struct khttpd_listener {
	struct khttpd_worker *worker;
	struct socket *sock;
	void (*saved_data_ready)(struct sock *sk);
};

#define KHTTPD_MAX_LISTENERS	2	/* IPv4 and IPv6 */

struct khttpd_worker {
	unsigned int cpu;
	struct task_struct *task;
	struct khttpd_listener listeners[KHTTPD_MAX_LISTENERS];
	unsigned long flags;			/* KHTTPD_WORKER_* bits */
	struct llist_head ready;		/* conns with pending events */
	struct list_head conns;			/* every conn we own */
	unsigned int nr_conns;

	/*
	 * The settings this worker works with: a snapshot, taken again when
	 * the generation moves (khttpd_worker_sync_config()), so that every
	 * request sees one validated set.
	 */
	struct khttpd_config cfg;
	unsigned int cfg_gen;
	struct khttpd_limits limits;		/* of @cfg, for the engine */

	/*
	 * Timeouts: one list per class, each in deadline order because a
	 * class has one timeout (@timeout, in jiffies) and a connection
	 * moves to the tail whenever its deadline is set.  When a timeout
	 * changes, every deadline of its list moves by the same amount, so
	 * the order holds.  One timer per worker, at the earliest head.
	 */
	struct list_head timeouts[KHTTPD_T_CLASSES];
	unsigned long timeout[KHTTPD_T_CLASSES];
	struct timer_list timer;

	time64_t date_secs;			/* second of @date */
	char date[KHTTPD_DATE_LEN];		/* cached IMF-fixdate */
	char *scratch;				/* receive buffer, see conn.c */
};

#define KHTTPD_WORKER_ACCEPT	0	/* listener has connections waiting */
#define KHTTPD_WORKER_TIMER	1	/* the timer fired */
#define KHTTPD_WORKER_CONFIG	2	/* the settings changed */

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
bool khttpd_conn_admit(struct khttpd_worker *w);
void khttpd_conn_unadmit(void);
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
struct khttpd_start;
void khttpd_listen_data_ready(struct sock *sk);
void khttpd_worker_set_timer(struct khttpd_worker *w, struct khttpd_conn *c,
			     enum khttpd_timer_class class, bool restart);
const char *khttpd_worker_date(struct khttpd_worker *w);
int khttpd_server_init(void);
void khttpd_server_exit(void);
bool khttpd_server_running(void);
void khttpd_server_config_changed(void);
int khttpd_server_start(const struct khttpd_start *args);
int khttpd_server_stop(void);

/* ctl.c */
int khttpd_ctl_init(void);
void khttpd_ctl_exit(void);

/* sysfs.c */
int khttpd_sysfs_init(void);
void khttpd_sysfs_exit(void);

#endif /* _KHTTPD_H */
