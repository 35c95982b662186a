/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The server: one worker per CPU.  A worker is one CPU's share of the
 * server: a kthread bound to that CPU, its own SO_REUSEPORT listeners, and
 * the connections it accepted.  Socket callbacks (softirq) either answer a
 * connection's whole requests themselves, on the worker's CPU (fastpath.c),
 * or push it onto @ready and wake the thread.  A connection's state is
 * only changed while holding its socket: the thread holds lock_sock() for
 * a whole step, the fast path runs under the bh lock of a socket that no
 * thread owns.
 */
#ifndef _KHTTPD_SERVER_H
#define _KHTTPD_SERVER_H

#include <linux/list.h>
#include <linux/llist.h>
#include <linux/gfp_types.h>
#include <linux/pagevec.h>
#include <linux/time64.h>
#include <linux/types.h>
#include <linux/khttpd.h>

#include "http.h"
#include "timers.h"

struct bio_vec;
struct sock;
struct socket;
struct task_struct;
struct khttpd_start;
struct khttpd_status;

/*
 * A listening socket.  It is the sk_user_data of the listener, and so of
 * its children until they are accepted (they are clones).
 */
struct khttpd_listener {
	struct khttpd_worker *worker;
	struct socket *sock;
	void (*saved_data_ready)(struct sock *sk);
	bool tls;		/* HTTPS: its connections start with a handshake */
};

#define KHTTPD_MAX_LISTENERS	4	/* IPv4 and IPv6, HTTP and HTTPS */

/*
 * What answering needs besides the connection: buffers, the settings in
 * force and a cached Date.  A worker has two: one for its thread, one for
 * the softirq fast path on its CPU (fastpath.c), since a softirq can
 * interrupt the thread in the middle of using its own.
 */
struct khttpd_io {
	char *scratch;				/* receive buffer */
	size_t scratch_size;
	struct bio_vec *bvecs;			/* KHTTPD_BVECS, for sendmsg */
	struct folio_batch fb;			/* page cache folios they hold */
	const struct khttpd_config *cfg;
	const struct khttpd_limits *limits;	/* of @cfg, for the engine */
	gfp_t gfp;				/* for arena pages */
	time64_t date_secs;			/* second of @date */
	char date[KHTTPD_DATE_LEN];		/* cached IMF-fixdate */
};

/*
 * The fast path's state on a worker's CPU: only softirq on that CPU uses
 * it (softirqs do not nest), with a snapshot of the settings of its own,
 * taken from the seqlock when the generation moves.
 */
struct khttpd_fast {
	struct khttpd_io io;
	struct khttpd_config cfg;
	struct khttpd_limits limits;
	unsigned int cfg_gen;
	bool busy;		/* in use: a nested call leaves to the worker */
};

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

	struct khttpd_timers timers;

	/*
	 * HTTPS (tls.c): handshakes whose done callback may still run (each
	 * holds its connection); connections waiting to hand theirs over,
	 * first come first served, since the upcall's queue was full at
	 * @tls_full_at (jiffies) when @tls_full.
	 */
	atomic_t tls_dones;
	unsigned int tls_queued;
	unsigned long tls_full_at;
	bool tls_full;

	struct khttpd_io io;			/* the thread's */
	struct khttpd_fast fast;		/* softirq's, on @cpu */
};

#define KHTTPD_WORKER_ACCEPT	0	/* listener has connections waiting */
#define KHTTPD_WORKER_TIMER	1	/* the timer fired */
#define KHTTPD_WORKER_CONFIG	2	/* the settings changed */

#define KHTTPD_SCRATCH_SIZE	65536
#define KHTTPD_FAST_SCRATCH	16384	/* the fast path peeks this much */
#define KHTTPD_BVECS		256	/* page pieces per sendmsg */

const char *khttpd_io_date(struct khttpd_io *io);

int khttpd_server_init(void);
void khttpd_server_exit(void);
bool khttpd_server_running(void);
int khttpd_server_start(const struct khttpd_start *args);
int khttpd_server_stop(void);
/* GET_STATUS (the control lock held): fill @st's out fields, zeroed */
void khttpd_server_status(struct khttpd_status *st);
void khttpd_server_config_changed(void);

#endif /* _KHTTPD_SERVER_H */
