// SPDX-License-Identifier: GPL-2.0
/*
 * khttpd: an in-kernel static HTTP responder.
 *
 * Module entry and exit, and the configuration.  Each step of init is
 * undone, in reverse order, by the matching label on failure and by
 * khttpd_exit().
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "khttpd.h"

struct khttpd_config khttpd_cfg = {
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
};

static ushort port = 8080;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "TCP port to listen on (default 8080)");

static int backlog = 1024;
module_param(backlog, int, 0444);
MODULE_PARM_DESC(backlog, "listen backlog of each CPU's listener (default 1024)");

/* Initial configuration; later changes go through the control plane. */
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

static int khttpd_config_check(const struct khttpd_config *cfg)
{
	const struct khttpd_limits *l = &cfg->limits;

	if (!cfg->header_timeout_ms || !cfg->keepalive_timeout_ms ||
	    !cfg->send_timeout_ms || !cfg->max_conns ||
	    !l->max_request_line || !l->max_header_bytes ||
	    !l->max_header_fields)
		return -EINVAL;
	/* A whole head must fit the largest buffer a connection keeps. */
	if ((u64)l->max_request_line + l->max_header_bytes + 4 > KHTTPD_RX_MAX)
		return -EINVAL;
	return 0;
}

static int __init khttpd_init(void)
{
	int err;

	if (backlog <= 0 || khttpd_config_check(&khttpd_cfg))
		return -EINVAL;

	err = khttpd_store_init();
	if (err)
		return err;
	err = khttpd_conn_init();
	if (err)
		goto err_store;
	err = khttpd_server_start(port, backlog);
	if (err) {
		pr_err("cannot listen on port %u: %d\n", port, err);
		goto err_conn;
	}
	pr_info("listening on port %u\n", port);
	return 0;

err_conn:
	khttpd_conn_exit();
err_store:
	khttpd_store_exit();
	return err;
}

static void __exit khttpd_exit(void)
{
	khttpd_server_stop();
	khttpd_conn_exit();
	khttpd_store_exit();
	pr_info("stopped\n");
}

module_init(khttpd_init);
module_exit(khttpd_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel static HTTP responder");
MODULE_AUTHOR("The khttpd authors");
