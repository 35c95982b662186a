/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khttpctl log: the module's access log records (struct khttpd_log_record,
 * KHTTPD_CMD_READ_LOG) as lines of text.
 */
#ifndef KHTTPD_ACCESSLOG_H
#define KHTTPD_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/khttpd.h>

/*
 * Is the record at @r, with @avail bytes of the buffer left from it,
 * whole: its length in bounds and its strings inside it?
 */
bool accesslog_valid(const struct khttpd_log_record *r, size_t avail);

/*
 * One line, '\n' included, NUL-terminated, into @out (@cap bytes; 4096
 * always suffice): the Combined Log Format followed by the service time
 * in seconds and which path answered ("fast/store", "worker/docroot"...),
 * or, with @json, a JSON object.  The time is local time, as
 * localtime_r() gives it.  Returns the length.
 */
size_t accesslog_format(const struct khttpd_log_record *r, bool json,
			char *out, size_t cap);

#define ACCESSLOG_LINE_MAX 4096

#endif /* KHTTPD_ACCESSLOG_H */
