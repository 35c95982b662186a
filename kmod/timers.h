/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Each worker's connection timeouts: one list per class, one timer.
 *
 * A class has one timeout, so a list is in deadline order as long as a
 * connection moves to its tail whenever its deadline is set; when the
 * class's timeout changes, every deadline of the list moves by the same
 * amount and the order holds.  The timer is at the earliest head, and only
 * wakes the worker: expiring runs in the worker's thread.
 *
 * The lists are the worker's, but the fast path (softirq on the worker's
 * CPU) moves a connection it answered to the idle list too, so they are
 * under a lock taken with bottom halves off.
 */
#ifndef _KHTTPD_TIMERS_H
#define _KHTTPD_TIMERS_H

#include <linux/list.h>
#include <linux/spinlock_types.h>
#include <linux/timer.h>
#include <linux/types.h>

struct khttpd_worker;

enum khttpd_timer_class {
	KHTTPD_T_HEADER,	/* a request is arriving */
	KHTTPD_T_IDLE,		/* between requests, or lingering */
	KHTTPD_T_SEND,		/* waiting for the client to read */
	KHTTPD_T_RETRY,		/* HTTPS: look again soon (tls.h) */
	KHTTPD_T_CLASSES,
	KHTTPD_T_NONE = KHTTPD_T_CLASSES,
};

/* One connection's place in its worker's lists. */
struct khttpd_timeout {
	struct list_head node;	/* in the list of @class */
	unsigned long deadline;	/* jiffies */
	u8 class;		/* enum khttpd_timer_class */
};

struct khttpd_timers {
	spinlock_t lock;	/* the lists, deadlines and classes */
	struct list_head lists[KHTTPD_T_CLASSES];
	unsigned long timeout[KHTTPD_T_CLASSES];	/* jiffies */
	struct timer_list timer;
};

void khttpd_timers_init(struct khttpd_worker *w);
void khttpd_timers_shutdown(struct khttpd_worker *w);
void khttpd_timers_set_timeouts(struct khttpd_worker *w,
				const unsigned long timeout[KHTTPD_T_CLASSES]);
void khttpd_timers_expire(struct khttpd_worker *w);
void khttpd_timers_kick(struct khttpd_worker *w,
			enum khttpd_timer_class class);

void khttpd_timeout_init(struct khttpd_timeout *t);
void khttpd_timeout_set(struct khttpd_worker *w, struct khttpd_timeout *t,
			enum khttpd_timer_class class, bool restart);
void khttpd_timeout_del(struct khttpd_worker *w, struct khttpd_timeout *t);

#endif /* _KHTTPD_TIMERS_H */
