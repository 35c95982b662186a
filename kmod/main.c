// SPDX-License-Identifier: GPL-2.0
/*
 * khttpd: an in-kernel static HTTP responder.
 *
 * Module entry and exit, and the settings.  Each step of init is undone,
 * in reverse order, by the matching label on failure and by khttpd_exit().
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/khttpd.h>

#include "khttpd.h"

/* Serialises START, STOP and settings changes, from every interface. */
DEFINE_MUTEX(khttpd_ctl_lock);

struct khttpd_settings khttpd_cfg = {
	.header_timeout_ms = 10000,
	.keepalive_timeout_ms = 5000,
	.send_timeout_ms = 10000,
	.max_conns = 10000,
	.limits = {
		.max_request_line = KHTTPD_DEFAULT_MAX_REQUEST_LINE,
		.max_header_bytes = KHTTPD_DEFAULT_MAX_HEADER_BYTES,
		.max_header_fields = KHTTPD_DEFAULT_MAX_HEADER_FIELDS,
		.max_body = KHTTPD_DEFAULT_MAX_BODY,
	},
	.zerocopy = true,
	.port = 8080,
	.mem_cap = 64 << 20,
};

static bool enabled = true;
module_param(enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "start serving at load time (default 1)");

/*
 * Initial settings; later changes go through /dev/khttpd or
 * /sys/kernel/khttpd.
 */
module_param_named(port, khttpd_cfg.port, ushort, 0444);
MODULE_PARM_DESC(port, "TCP port (default 8080)");
module_param_named(header_timeout_ms, khttpd_cfg.header_timeout_ms, uint, 0444);
MODULE_PARM_DESC(header_timeout_ms, "a request head must arrive within (default 10000)");
module_param_named(keepalive_timeout_ms, khttpd_cfg.keepalive_timeout_ms, uint, 0444);
MODULE_PARM_DESC(keepalive_timeout_ms, "idle keep-alive connections close after (default 5000)");
module_param_named(send_timeout_ms, khttpd_cfg.send_timeout_ms, uint, 0444);
MODULE_PARM_DESC(send_timeout_ms, "a client that reads nothing for this long is reset (default 10000)");
module_param_named(max_conns, khttpd_cfg.max_conns, uint, 0444);
MODULE_PARM_DESC(max_conns, "open connections beyond this get 503 (default 10000)");
module_param_named(max_request_line, khttpd_cfg.limits.max_request_line, uint, 0444);
MODULE_PARM_DESC(max_request_line, "longest request line, else 414 (default 8192)");
module_param_named(max_header_bytes, khttpd_cfg.limits.max_header_bytes, uint, 0444);
MODULE_PARM_DESC(max_header_bytes, "largest header section, else 431 (default 16384)");
module_param_named(max_header_fields, khttpd_cfg.limits.max_header_fields, uint, 0444);
MODULE_PARM_DESC(max_header_fields, "most header fields, else 431 (default 100)");
module_param_named(max_body, khttpd_cfg.limits.max_body, uint, 0444);
MODULE_PARM_DESC(max_body, "largest request body read and discarded, else 413 (default 65536)");
module_param_named(zerocopy, khttpd_cfg.zerocopy, bool, 0444);
MODULE_PARM_DESC(zerocopy, "send stored content by page reference (default 1)");
module_param_named(mem_cap, khttpd_cfg.mem_cap, ullong, 0444);
MODULE_PARM_DESC(mem_cap, "bytes of memory stored content may use (default 64 MiB)");

int khttpd_settings_check(const struct khttpd_settings *s)
{
	const struct khttpd_limits *l = &s->limits;
	const u32 hour = 3600 * 1000;

	if (!s->header_timeout_ms || s->header_timeout_ms > hour ||
	    !s->keepalive_timeout_ms || s->keepalive_timeout_ms > hour ||
	    !s->send_timeout_ms || s->send_timeout_ms > hour ||
	    !s->max_conns || !s->port || s->mem_cap < (1 << 20) ||
	    !l->max_request_line || !l->max_header_bytes ||
	    !l->max_header_fields)
		return -EINVAL;
	/* A whole head must fit the largest buffer a connection keeps. */
	if ((u64)l->max_request_line + l->max_header_bytes + 4 > KHTTPD_RX_MAX)
		return -EINVAL;
	return 0;
}

/* Under khttpd_ctl_lock, after khttpd_settings_check(). */
void khttpd_settings_apply(const struct khttpd_settings *s)
{
	struct khttpd_settings *d = &khttpd_cfg;

	lockdep_assert_held(&khttpd_ctl_lock);
	WRITE_ONCE(d->header_timeout_ms, s->header_timeout_ms);
	WRITE_ONCE(d->keepalive_timeout_ms, s->keepalive_timeout_ms);
	WRITE_ONCE(d->send_timeout_ms, s->send_timeout_ms);
	WRITE_ONCE(d->max_conns, s->max_conns);
	WRITE_ONCE(d->limits.max_request_line, s->limits.max_request_line);
	WRITE_ONCE(d->limits.max_header_bytes, s->limits.max_header_bytes);
	WRITE_ONCE(d->limits.max_header_fields, s->limits.max_header_fields);
	WRITE_ONCE(d->limits.max_body, s->limits.max_body);
	WRITE_ONCE(d->zerocopy, s->zerocopy);
	WRITE_ONCE(d->port, s->port);
	WRITE_ONCE(d->mem_cap, s->mem_cap);
}

static int __init khttpd_init(void)
{
	struct khttpd_start args = { .size = sizeof(args) };
	int err;

	err = khttpd_settings_check(&khttpd_cfg);
	if (err)
		return err;
	err = khttpd_store_init();
	if (err)
		return err;
	err = khttpd_conn_init();
	if (err)
		goto err_store;
	err = khttpd_server_init();
	if (err)
		goto err_conn;
	if (enabled) {
		mutex_lock(&khttpd_ctl_lock);
		err = khttpd_server_start(&args);
		mutex_unlock(&khttpd_ctl_lock);
		if (err) {
			pr_err("cannot listen on port %u: %d\n",
			       khttpd_cfg.port, err);
			goto err_hotplug;
		}
	}
	err = khttpd_ctl_init();
	if (err)
		goto err_server;
	err = khttpd_sysfs_init();
	if (err)
		goto err_ctl;
	return 0;

err_ctl:
	khttpd_ctl_exit();
err_server:
	mutex_lock(&khttpd_ctl_lock);
	khttpd_server_stop();
	mutex_unlock(&khttpd_ctl_lock);
err_hotplug:
	khttpd_server_exit();
err_conn:
	khttpd_conn_exit();
err_store:
	khttpd_store_exit();
	return err;
}

static void __exit khttpd_exit(void)
{
	khttpd_sysfs_exit();
	khttpd_ctl_exit();
	mutex_lock(&khttpd_ctl_lock);
	khttpd_server_stop();
	mutex_unlock(&khttpd_ctl_lock);
	khttpd_server_exit();
	khttpd_conn_exit();
	khttpd_store_exit();
}

module_init(khttpd_init);
module_exit(khttpd_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(KHTTPD_RELEASE);
MODULE_DESCRIPTION("In-kernel static HTTP responder");
MODULE_AUTHOR("The khttpd authors");
