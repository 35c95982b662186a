/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Counters, per CPU: each CPU's copy is only changed on that CPU (by its
 * worker or the control path), and a read sums them.  u64_stats: a 32-bit
 * reader never sees half of a carry.
 */
#ifndef _KHTTPD_STATS_H
#define _KHTTPD_STATS_H

#include <linux/bitops.h>
#include <linux/minmax.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/u64_stats_sync.h>
#include <linux/khttpd.h>

struct khttpd_pcpu_stats {
	u64_stats_t requests;
	u64_stats_t responses[5];
	u64_stats_t bytes_sent;
	u64_stats_t accepted;
	u64_stats_t closed;
	u64_stats_t refused;
	u64_stats_t timed_out;
	u64_stats_t requests_fast;
	u64_stats_t fast_handoffs;
	u64_stats_t docroot_hits;
	u64_stats_t docroot_lookups;
	u64_stats_t docroot_reads;
	u64_stats_t docroot_busy;
	u64_stats_t docroot_aborts;
	u64_stats_t tls_handshakes;
	u64_stats_t tls_established;
	u64_stats_t tls_failed;
	u64_stats_t tls_timed_out;
	u64_stats_t tls_no_agent;
	u64_stats_t tls_busy;
	u64_stats_t log_records;
	u64_stats_t log_dropped;
	u64_stats_t service_ns;
	u64_stats_t service_hist[KHTTPD_HIST_BUCKETS];
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

/* An answer's service time, in the histogram of the CPU we are on. */
static inline void khttpd_stat_service(u64 ns)
{
	unsigned int b = min_t(unsigned int, fls64(ns >> KHTTPD_HIST_SHIFT),
			       KHTTPD_HIST_BUCKETS - 1);
	struct khttpd_pcpu_stats *st;
	unsigned long flags;

	preempt_disable();
	st = this_cpu_ptr(&khttpd_pcpu_stats);
	flags = u64_stats_update_begin_irqsave(&st->syncp);
	u64_stats_inc(&st->service_hist[b]);
	u64_stats_add(&st->service_ns, ns);
	u64_stats_update_end_irqrestore(&st->syncp, flags);
	preempt_enable();
}

struct khttpd_stats;
/* @st's flags and cpu say what to read (0: all CPUs); -EINVAL if bad */
int khttpd_stats_read(struct khttpd_stats *st);
void khttpd_stats_init(void);

#endif /* _KHTTPD_STATS_H */
