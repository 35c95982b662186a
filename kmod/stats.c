// SPDX-License-Identifier: GPL-2.0
/*
 * Counters.  Each CPU's copy is only changed on that CPU, without atomics
 * (khttpd_stat_add()); a read sums them, each CPU's set read whole under
 * its u64_stats sync, so a reader sees each counter at some recent value.
 */
#include <linux/cpumask.h>
#include <linux/errno.h>
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/u64_stats_sync.h>
#include <linux/khttpd.h>

#include "docroot.h"
#include "server.h"
#include "stats.h"
#include "store.h"

DEFINE_PER_CPU(struct khttpd_pcpu_stats, khttpd_pcpu_stats);

int khttpd_stats_read(struct khttpd_stats *st)
{
	u32 flags = st->flags, one = st->cpu;
	int cpu, i;

	if (flags & ~KHTTPD_STATS_PER_CPU)
		return -EINVAL;
	if (flags ? one >= nr_cpu_ids || !cpu_possible(one) : one)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->flags = flags;
	st->cpu = one;
	for_each_possible_cpu(cpu) {
		const struct khttpd_pcpu_stats *p;
		u64 v[27], h[KHTTPD_HIST_BUCKETS];
		unsigned int seq;

		if (flags && cpu != one)
			continue;
		p = per_cpu_ptr(&khttpd_pcpu_stats, cpu);
		do {
			seq = u64_stats_fetch_begin(&p->syncp);
			v[0] = u64_stats_read(&p->requests);
			for (i = 0; i < ARRAY_SIZE(p->responses); i++)
				v[1 + i] = u64_stats_read(&p->responses[i]);
			v[6] = u64_stats_read(&p->bytes_sent);
			v[7] = u64_stats_read(&p->accepted);
			v[8] = u64_stats_read(&p->closed);
			v[9] = u64_stats_read(&p->refused);
			v[10] = u64_stats_read(&p->timed_out);
			v[11] = u64_stats_read(&p->requests_fast);
			v[12] = u64_stats_read(&p->fast_handoffs);
			v[13] = u64_stats_read(&p->docroot_hits);
			v[14] = u64_stats_read(&p->docroot_lookups);
			v[15] = u64_stats_read(&p->docroot_reads);
			v[16] = u64_stats_read(&p->docroot_busy);
			v[17] = u64_stats_read(&p->docroot_aborts);
			v[18] = u64_stats_read(&p->tls_handshakes);
			v[19] = u64_stats_read(&p->tls_established);
			v[20] = u64_stats_read(&p->tls_failed);
			v[21] = u64_stats_read(&p->tls_timed_out);
			v[22] = u64_stats_read(&p->tls_no_agent);
			v[23] = u64_stats_read(&p->tls_busy);
			v[24] = u64_stats_read(&p->log_records);
			v[25] = u64_stats_read(&p->log_dropped);
			v[26] = u64_stats_read(&p->service_ns);
			for (i = 0; i < KHTTPD_HIST_BUCKETS; i++)
				h[i] = u64_stats_read(&p->service_hist[i]);
		} while (u64_stats_fetch_retry(&p->syncp, seq));
		st->requests += v[0];
		for (i = 0; i < ARRAY_SIZE(st->responses); i++)
			st->responses[i] += v[1 + i];
		st->bytes_sent += v[6];
		st->conns_accepted += v[7];
		st->conns_closed += v[8];
		st->conns_refused += v[9];
		st->conns_timed_out += v[10];
		st->requests_fast += v[11];
		st->fast_handoffs += v[12];
		st->docroot_hits += v[13];
		st->docroot_lookups += v[14];
		st->docroot_reads += v[15];
		st->docroot_busy += v[16];
		st->docroot_aborts += v[17];
		st->tls_handshakes += v[18];
		st->tls_established += v[19];
		st->tls_failed += v[20];
		st->tls_timed_out += v[21];
		st->tls_no_agent += v[22];
		st->tls_busy += v[23];
		st->log_records += v[24];
		st->log_dropped += v[25];
		st->service_ns += v[26];
		for (i = 0; i < KHTTPD_HIST_BUCKETS; i++)
			st->service_hist[i] += h[i];
	}
	st->conns_open = st->conns_accepted - st->conns_closed;
	khttpd_store_usage(&st->entries, &st->content_bytes);
	st->docroot_files = khttpd_docroot_files();
	st->docroot_pinned = khttpd_store_pinned();
	st->running = khttpd_server_running();
	return 0;
}

void khttpd_stats_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(&khttpd_pcpu_stats, cpu)->syncp);
}
