/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The server: one worker per CPU.  A worker is one CPU's share of the
 * server: a kthread bound to that CPU, its own SO_REUSEPORT listeners, and
 * the connections it accepted.  Socket callbacks (softirq, any CPU) only
 * push onto @ready or set a flag and wake the thread; everything else about
 * a connection happens in the thread, so connection state needs no lock.
 */
#ifndef _KHTTPD_SERVER_H
#define _KHTTPD_SERVER_H

#include <linux/list.h>
#include <linux/llist.h>
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

	struct khttpd_timers timers;

	time64_t date_secs;			/* second of @date */
	char date[KHTTPD_DATE_LEN];		/* cached IMF-fixdate */
	char *scratch;				/* receive buffer, see conn.c */
	struct bio_vec *bvecs;			/* KHTTPD_BVECS, for sendmsg */
};

#define KHTTPD_WORKER_ACCEPT	0	/* listener has connections waiting */
#define KHTTPD_WORKER_TIMER	1	/* the timer fired */
#define KHTTPD_WORKER_CONFIG	2	/* the settings changed */

#define KHTTPD_SCRATCH_SIZE	65536
#define KHTTPD_BVECS		64	/* page pieces per sendmsg */

const char *khttpd_worker_date(struct khttpd_worker *w);

int khttpd_server_init(void);
void khttpd_server_exit(void);
bool khttpd_server_running(void);
int khttpd_server_start(const struct khttpd_start *args);
int khttpd_server_stop(void);
void khttpd_server_config_changed(void);

#endif /* _KHTTPD_SERVER_H */
