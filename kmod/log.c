// SPDX-License-Identifier: GPL-2.0
/*
 * The access log (log.h).  A record is a struct khttpd_log_record of at
 * most KHTTPD_REC_MAX bytes: fixed slots, so that a record's number on its
 * CPU says where it is, a reader's cursor is that number, and a ring that
 * went round is plain to see (the oldest kept is next - KHTTPD_LOG_SLOTS).
 *
 * The rings are allocated the first time access_log is set, never freed
 * before the module goes: writers need no more than a flag to know them.
 * A writer takes its own CPU's ring lock with bottom halves off (the
 * worker and the socket callback share the CPU); a reader takes each CPU's
 * in turn for a short copy, so a reader never holds up more than a
 * memcpy of one CPU's records.
 */
#include <linux/cpumask.h>
#include <linux/errno.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <net/sock.h>

#include "log.h"
#include "stats.h"

/* Copied per lock hold, at most: what a writer may have to wait for. */
#define KHTTPD_LOG_CHUNK	(64 * 1024)

struct khttpd_log_ring {
	spinlock_t lock;
	u64 next;		/* the number the next record gets (from 1) */
	u64 read;		/* the furthest any reader's cursor got */
	u8 *slots;		/* KHTTPD_LOG_SLOTS * KHTTPD_REC_MAX bytes */
};

static DEFINE_PER_CPU(struct khttpd_log_ring, khttpd_log_rings);
static DECLARE_WAIT_QUEUE_HEAD(khttpd_log_wq);
/* set once, with the control lock held, when every ring has its slots */
static bool khttpd_log_ready;

static_assert(sizeof(struct khttpd_log_record) == 72);
static_assert(KHTTPD_REC_MAX % 8 == 0);

int khttpd_log_enable(void)
{
	int cpu;

	if (khttpd_log_ready)
		return 0;
	for_each_possible_cpu(cpu) {
		struct khttpd_log_ring *r = per_cpu_ptr(&khttpd_log_rings, cpu);

		if (r->slots)
			continue;
		r->slots = kvmalloc_node(KHTTPD_LOG_SLOTS * KHTTPD_REC_MAX,
					 GFP_KERNEL, cpu_to_node(cpu));
		if (!r->slots)
			return -ENOMEM;	/* the others stay for the next try */
	}
	/* pairs with smp_load_acquire() in khttpd_log_end() */
	smp_store_release(&khttpd_log_ready, true);
	return 0;
}

/* Copy @len bytes of @s to @p, which has room for @room; returns the end. */
static char *khttpd_log_str(char *p, const char *s, u32 len, u32 room,
			    u16 *out, u8 *flags)
{
	u32 n = min(len, room);

	if (n < len)
		*flags |= KHTTPD_REC_CUT;
	if (n)
		memcpy(p, s, n);
	*out = n;
	return p + n;
}

/*
 * Share the room of a record among the four strings: each gets up to its
 * cap, and what the short ones leave goes to the target, the user agent,
 * the referer and the method, in that order of need.
 */
static void khttpd_log_share(const u32 *want, u32 *got)
{
	static const u32 cap[4] = { 32, 256, 64, 80 };
	static const int order[4] = { 1, 3, 2, 0 };
	u32 left = KHTTPD_REC_MAX - sizeof(struct khttpd_log_record);
	int i;

	static_assert(32 + 256 + 64 + 80 <=
		      KHTTPD_REC_MAX - sizeof(struct khttpd_log_record));
	for (i = 0; i < 4; i++) {
		got[i] = min(want[i], cap[i]);
		left -= got[i];
	}
	for (i = 0; i < 4; i++) {
		int k = order[i];
		u32 more = min(want[k] - got[k], left);

		got[k] += more;
		left -= more;
	}
}

struct khttpd_log_record *khttpd_log_begin(const struct khttpd_request *req,
					   int parse_status,
					   const struct sock *sk, u16 status,
					   u8 flags, u64 bytes, gfp_t gfp)
{
	struct khttpd_log_record *r;
	u32 want[4] = { 0 }, got[4];
	bool path = false;
	char *p;

	if (!parse_status) {
		want[0] = req->method_tok ? req->method_len : 0;
		path = req->path && (req->method == KHTTPD_METHOD_GET ||
				     req->method == KHTTPD_METHOD_HEAD);
		if (path)
			want[1] = req->path_len +
				  (req->query ? 1 + req->query_len : 0);
		else if (req->target)
			want[1] = req->target_len;
		want[2] = req->referer ? req->referer_len : 0;
		want[3] = req->user_agent ? req->user_agent_len : 0;
	}
	khttpd_log_share(want, got);
	/*
	 * Its own size, not the slot's: every allocation is zeroed (on
	 * Debian's kernels), and a typical record is a third of a slot.
	 */
	r = kmalloc(ALIGN(sizeof(*r) + got[0] + got[1] + got[2] + got[3], 8),
		    gfp | __GFP_NOWARN);
	if (!r) {
		khttpd_stat_inc(log_dropped);
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->status = status;
	r->flags = flags;
	r->bytes = bytes;
	r->port = ntohs(sk->sk_dport);
	r->family = sk->sk_family;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		memcpy(r->addr, &sk->sk_v6_daddr, 16);
	else
#endif
		memcpy(r->addr, &sk->sk_daddr, 4);
	p = r->data;
	if (!parse_status)
		r->version = req->version;
	p = khttpd_log_str(p, req->method_tok, want[0], got[0], &r->method_len,
			   &r->flags);
	if (path) {
		u16 a, b = 0;

		p = khttpd_log_str(p, req->path, req->path_len, got[1], &a,
				   &r->flags);
		if (req->query && a < got[1]) {
			*p++ = '?';
			p = khttpd_log_str(p, req->query, req->query_len,
					   got[1] - a - 1, &b, &r->flags);
			b++;
		} else if (req->query) {
			r->flags |= KHTTPD_REC_CUT;	/* no room for "?..." */
		}
		r->target_len = a + b;
	} else {
		p = khttpd_log_str(p, req->target, want[1], got[1],
				   &r->target_len, &r->flags);
	}
	p = khttpd_log_str(p, req->referer, want[2], got[2], &r->referer_len,
			   &r->flags);
	p = khttpd_log_str(p, req->user_agent, want[3], got[3],
			   &r->user_agent_len, &r->flags);
	r->rec_len = ALIGN(p - (char *)r, 8);
	/* the padding goes to readers too: not what the heap had there */
	memset(p, 0, (char *)r + r->rec_len - p);
	return r;
}

void khttpd_log_end(struct khttpd_log_record *r, u64 service_ns,
		    bool incomplete, u64 sent)
{
	struct khttpd_log_ring *ring;
	bool lost = false;
	u64 seq;

	r->time_ns = ktime_get_real_ns();
	r->service_ns = service_ns;
	if (incomplete) {
		r->flags |= KHTTPD_REC_INCOMPLETE;
		r->bytes = sent;
	}
	/* pairs with smp_store_release() in khttpd_log_enable() */
	if (!smp_load_acquire(&khttpd_log_ready)) {
		khttpd_stat_inc(log_dropped);
		goto out;
	}
	local_bh_disable();
	ring = this_cpu_ptr(&khttpd_log_rings);
	spin_lock(&ring->lock);
	seq = ring->next;
	/* read locklessly by waiting readers (khttpd_log_any()) */
	WRITE_ONCE(ring->next, seq + 1);
	/* the record this one overwrites: had a reader got it? */
	lost = seq > KHTTPD_LOG_SLOTS && seq - KHTTPD_LOG_SLOTS >= ring->read;
	r->seq = seq;
	r->cpu = smp_processor_id();
	memcpy(ring->slots + (seq % KHTTPD_LOG_SLOTS) * KHTTPD_REC_MAX, r,
	       r->rec_len);
	spin_unlock(&ring->lock);
	khttpd_stat_inc(log_records);
	if (lost)
		khttpd_stat_inc(log_dropped);
	local_bh_enable();
	/* a full barrier first: a reader going to sleep sees the record */
	if (wq_has_sleeper(&khttpd_log_wq))
		wake_up_interruptible(&khttpd_log_wq);
out:
	kfree(r);
}

/* Has any CPU a record past the cursor @cur gives for it? */
static bool khttpd_log_any(const u64 *cur)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct khttpd_log_ring *r;

		r = per_cpu_ptr(&khttpd_log_rings, cpu);
		if (READ_ONCE(r->next) > max(cur[cpu], 1ULL))
			return true;
	}
	return false;
}

/*
 * Copy the records of @cpu from its cursor *@cur to @kbuf, as many as
 * @cap bytes hold, and move the cursor past them.  Returns the bytes.
 */
static u32 khttpd_log_take(int cpu, u64 *cur, u8 *kbuf, u32 cap,
			   u32 *count, u64 *missed)
{
	struct khttpd_log_ring *r = per_cpu_ptr(&khttpd_log_rings, cpu);
	u64 oldest, c;
	u32 len = 0;

	spin_lock_bh(&r->lock);
	oldest = r->next > KHTTPD_LOG_SLOTS ? r->next - KHTTPD_LOG_SLOTS : 1;
	c = max(*cur, 1ULL);	/* 0: from the first record */
	if (c < oldest) {
		*missed += oldest - c;
		c = oldest;
	}
	while (c < r->next) {
		const struct khttpd_log_record *rec;

		rec = (void *)(r->slots + (c % KHTTPD_LOG_SLOTS) *
			       KHTTPD_REC_MAX);
		if (len + rec->rec_len > cap)
			break;
		memcpy(kbuf + len, rec, rec->rec_len);
		len += rec->rec_len;
		(*count)++;
		c++;
	}
	r->read = max(r->read, c);
	spin_unlock_bh(&r->lock);
	*cur = c;
	return len;
}

int khttpd_log_read(struct khttpd_read_log *rl)
{
	u8 __user *ubuf = u64_to_user_ptr(rl->buf);
	u32 room = rl->buf_len, n, count = 0;
	u64 *cur, missed = 0;
	long ret = 0;
	u8 *kbuf;
	int cpu;

	if ((rl->flags & ~KHTTPD_LOG_WAIT) || rl->count || rl->missed ||
	    memchr_inv(rl->reserved, 0, sizeof(rl->reserved)) ||
	    !rl->buf || rl->buf_len < KHTTPD_REC_MAX)
		return -EINVAL;
	if (rl->ncpus < nr_cpu_ids) {
		rl->ncpus = nr_cpu_ids;
		return -ERANGE;
	}
	cur = memdup_array_user(u64_to_user_ptr(rl->cursors), nr_cpu_ids,
				sizeof(*cur));
	if (IS_ERR(cur))
		return PTR_ERR(cur);
	for_each_possible_cpu(cpu) {
		if (cur[cpu] > READ_ONCE(per_cpu_ptr(&khttpd_log_rings,
						     cpu)->next)) {
			ret = -EINVAL;	/* a cursor we never gave */
			goto out_cur;
		}
	}
	if ((rl->flags & KHTTPD_LOG_WAIT) && rl->timeout_ms) {
		ret = wait_event_interruptible_timeout(khttpd_log_wq,
				khttpd_log_any(cur),
				msecs_to_jiffies(rl->timeout_ms));
		if (ret < 0) {
			ret = -EINTR;	/* not restarted: the timeout would be */
			goto out_cur;
		}
		ret = 0;
	}
	/* pairs with smp_store_release() in khttpd_log_enable(): the slots */
	if (!smp_load_acquire(&khttpd_log_ready))
		goto out_copy;
	kbuf = kvmalloc(min_t(u32, room, KHTTPD_LOG_CHUNK), GFP_KERNEL);
	if (!kbuf) {
		ret = -ENOMEM;
		goto out_cur;
	}
	for_each_possible_cpu(cpu) {
		do {
			n = khttpd_log_take(cpu, &cur[cpu], kbuf,
					    min_t(u32, room, KHTTPD_LOG_CHUNK),
					    &count, &missed);
			if (n && copy_to_user(ubuf, kbuf, n)) {
				ret = -EFAULT;
				break;
			}
			ubuf += n;
			room -= n;
		} while (n && room >= KHTTPD_REC_MAX);
		if (ret || room < KHTTPD_REC_MAX)
			break;
	}
	kvfree(kbuf);
	if (ret)
		goto out_cur;
out_copy:
	if (copy_to_user(u64_to_user_ptr(rl->cursors), cur,
			 nr_cpu_ids * sizeof(*cur)))
		ret = -EFAULT;
	rl->count = count;
	rl->missed = missed;
out_cur:
	kfree(cur);
	return ret;
}

int khttpd_log_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct khttpd_log_ring *r = per_cpu_ptr(&khttpd_log_rings, cpu);

		spin_lock_init(&r->lock);
		r->next = 1;
		r->read = 1;
	}
	return 0;
}

void khttpd_log_exit(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct khttpd_log_ring *r = per_cpu_ptr(&khttpd_log_rings, cpu);

		kvfree(r->slots);
		r->slots = NULL;
	}
	khttpd_log_ready = false;
}
