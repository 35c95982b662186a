// SPDX-License-Identifier: GPL-2.0
/*
 * Counters.  Each CPU's worker bumps its own copy without atomics; a read
 * sums them, so a reader sees each counter at some recent value.
 */
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/khttpd.h>

#include "khttpd.h"

DEFINE_PER_CPU(struct khttpd_pcpu_stats, khttpd_pcpu_stats);

void khttpd_stats_read(struct khttpd_stats *st)
{
	int cpu, i;

	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	for_each_possible_cpu(cpu) {
		const struct khttpd_pcpu_stats *p;

		p = per_cpu_ptr(&khttpd_pcpu_stats, cpu);
		st->requests += READ_ONCE(p->requests);
		for (i = 0; i < ARRAY_SIZE(st->responses); i++)
			st->responses[i] += READ_ONCE(p->responses[i]);
		st->bytes_sent += READ_ONCE(p->bytes_sent);
		st->conns_accepted += READ_ONCE(p->accepted);
		st->conns_closed += READ_ONCE(p->closed);
		st->conns_refused += READ_ONCE(p->refused);
		st->conns_timed_out += READ_ONCE(p->timed_out);
	}
	st->conns_open = st->conns_accepted - st->conns_closed;
	khttpd_store_usage(&st->entries, &st->content_bytes);
	st->running = khttpd_server_running();
}
