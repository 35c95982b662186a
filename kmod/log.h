/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The access log: a record per answer, built when the answer is queued
 * and finished when its last byte is handed to TCP (or the connection
 * closes first), then put in the ring of the CPU that finished it.  Each
 * CPU's ring keeps the newest KHTTPD_LOG_SLOTS records; readers come with
 * a cursor per CPU (KHTTPD_CMD_READ_LOG), so nothing a reader does can
 * hold up serving, and a slow reader misses records rather than blocking.
 */
#ifndef _KHTTPD_LOG_H
#define _KHTTPD_LOG_H

#include <linux/gfp.h>
#include <linux/types.h>
#include <linux/khttpd.h>

#include "http.h"

struct sock;

/*
 * A record for the answer @status to @req (unparsed if @parse_status),
 * @bytes long, on @sk; or NULL, counted as dropped, without memory.
 */
struct khttpd_log_record *khttpd_log_begin(const struct khttpd_request *req,
					   int parse_status,
					   const struct sock *sk, u16 status,
					   u8 flags, u64 bytes, gfp_t gfp);
/*
 * The answer of @r is over: all handed to TCP, or, @incomplete, cut short
 * with @sent bytes of it handed over.  Puts it in this CPU's ring.
 */
void khttpd_log_end(struct khttpd_log_record *r, u64 service_ns,
		    bool incomplete, u64 sent);

/* Before access_log first becomes 1: the rings.  -ENOMEM. */
int khttpd_log_enable(void);
int khttpd_log_read(struct khttpd_read_log *rl);

int khttpd_log_init(void);
void khttpd_log_exit(void);

#endif /* _KHTTPD_LOG_H */
