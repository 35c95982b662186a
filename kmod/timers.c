// SPDX-License-Identifier: GPL-2.0
/*
 * Connection timeouts, per worker (see timers.h).  Everything here runs in
 * the worker's thread except the timer callback, which only wakes it, and
 * khttpd_timeout_set() of the fast path.
 */
#include <linux/jiffies.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "conn.h"
#include "server.h"
#include "timers.h"

static void khttpd_timers_fn(struct timer_list *t)
{
	struct khttpd_worker *w = from_timer(w, t, timers.timer);

	set_bit(KHTTPD_WORKER_TIMER, &w->flags);
	wake_up_process(w->task);
}

void khttpd_timers_init(struct khttpd_worker *w)
{
	int class;

	spin_lock_init(&w->timers.lock);
	for (class = 0; class < KHTTPD_T_CLASSES; class++)
		INIT_LIST_HEAD(&w->timers.lists[class]);
	timer_setup(&w->timers.timer, khttpd_timers_fn, 0);
}

void khttpd_timers_shutdown(struct khttpd_worker *w)
{
	timer_shutdown_sync(&w->timers.timer);
}

/* Rearm for the earliest deadline of all lists, if there is one. */
static void khttpd_timers_rearm(struct khttpd_worker *w)
{
	lockdep_assert_held(&w->timers.lock);
	unsigned long next = 0;
	bool pending = false;
	int class;

	for (class = 0; class < KHTTPD_T_CLASSES; class++) {
		struct khttpd_timeout *t;

		t = list_first_entry_or_null(&w->timers.lists[class],
					     struct khttpd_timeout, node);
		if (t && (!pending || time_before(t->deadline, next))) {
			next = t->deadline;
			pending = true;
		}
	}
	if (pending)
		mod_timer(&w->timers.timer, next);
}

/*
 * New timeouts, in jiffies.  Every deadline of a class whose timeout
 * changed moves by the difference: a connection idle since T closes at T
 * plus the timeout now in force, and a list stays in deadline order
 * however the timeouts go up and down.  One pass under the lock, with
 * bottom halves off: about a nanosecond per connection, and only when an
 * operator changes a timeout.
 */
void khttpd_timers_set_timeouts(struct khttpd_worker *w,
				const unsigned long timeout[KHTTPD_T_CLASSES])
{
	int class;

	spin_lock_bh(&w->timers.lock);
	for (class = 0; class < KHTTPD_T_CLASSES; class++) {
		unsigned long delta = timeout[class] - w->timers.timeout[class];
		struct khttpd_timeout *t;

		w->timers.timeout[class] = timeout[class];
		if (!delta)
			continue;
		list_for_each_entry(t, &w->timers.lists[class], node)
			t->deadline += delta;	/* modulo: either way */
	}
	khttpd_timers_rearm(w);
	spin_unlock_bh(&w->timers.lock);
}

/*
 * Expire every connection of @class whose deadline is before @now.  The
 * lock is dropped to close each: the fast path may meanwhile answer on
 * that connection and file it again, and closing takes it off again.
 */
static void khttpd_timers_expire_class(struct khttpd_worker *w, int class,
				       unsigned long now)
{
	struct khttpd_timeout *t;

	lockdep_assert_held(&w->timers.lock);
	while ((t = list_first_entry_or_null(&w->timers.lists[class],
					     struct khttpd_timeout, node))) {
		if (time_before(now, t->deadline))
			break;
		list_del_init(&t->node);
		t->class = KHTTPD_T_NONE;
		spin_unlock_bh(&w->timers.lock);
		/* a client that stopped reading gets a reset */
		khttpd_conn_expire(t, class == KHTTPD_T_SEND);
		spin_lock_bh(&w->timers.lock);
	}
}

/* Expire every connection past its deadline; rearm for the next one. */
void khttpd_timers_expire(struct khttpd_worker *w)
{
	unsigned long now = jiffies;
	int class;

	spin_lock_bh(&w->timers.lock);
	for (class = 0; class < KHTTPD_T_CLASSES; class++)
		khttpd_timers_expire_class(w, class, now);
	khttpd_timers_rearm(w);
	spin_unlock_bh(&w->timers.lock);
}

/*
 * Expire every connection of @class now, whatever its deadline: those
 * there already, not those filed again meanwhile (their deadline is a
 * whole timeout from now).
 */
void khttpd_timers_kick(struct khttpd_worker *w, enum khttpd_timer_class class)
{
	spin_lock_bh(&w->timers.lock);
	khttpd_timers_expire_class(w, class,
				   jiffies + w->timers.timeout[class] - 1);
	khttpd_timers_rearm(w);
	spin_unlock_bh(&w->timers.lock);
}

void khttpd_timeout_init(struct khttpd_timeout *t)
{
	INIT_LIST_HEAD(&t->node);
	t->class = KHTTPD_T_NONE;
}

/*
 * Give @t the deadline of @class: now plus that class's timeout, unless it
 * is in that class already and @restart is false (a request's header clock
 * runs from its first byte, however slowly the rest trickles in).
 */
void khttpd_timeout_set(struct khttpd_worker *w, struct khttpd_timeout *t,
			enum khttpd_timer_class class, bool restart)
{
	struct timer_list *timer = &w->timers.timer;
	unsigned long deadline;

	spin_lock_bh(&w->timers.lock);
	deadline = jiffies + w->timers.timeout[class];
	/* a restart within the same jiffy changes nothing */
	if (t->class == class && (!restart || t->deadline == deadline))
		goto out;
	t->class = class;
	t->deadline = deadline;
	list_move_tail(&t->node, &w->timers.lists[class]);
	/* Deadlines only grow within a list: touch the timer rarely. */
	if (!timer_pending(timer) || time_before(t->deadline, timer->expires))
		mod_timer(timer, t->deadline);
out:
	spin_unlock_bh(&w->timers.lock);
}

void khttpd_timeout_del(struct khttpd_worker *w, struct khttpd_timeout *t)
{
	spin_lock_bh(&w->timers.lock);
	list_del_init(&t->node);
	t->class = KHTTPD_T_NONE;
	spin_unlock_bh(&w->timers.lock);
}
