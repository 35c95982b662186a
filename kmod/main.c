// SPDX-License-Identifier: GPL-2.0
/*
 * khttpd: an in-kernel static HTTP responder.
 *
 * Module entry and exit.  Each step of init is undone,
 * in reverse order, by the matching label on failure and by khttpd_exit().
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/khttpd.h>

#include "config.h"
#include "conn.h"
#include "ctl.h"
#include "docroot.h"
#include "log.h"
#include "mime.h"
#include "server.h"
#include "stats.h"
#include "store.h"

static bool enabled = true;
module_param(enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "start serving at load time (default 1)");

static int __init khttpd_init(void)
{
	struct khttpd_start args = { .size = sizeof(args) };
	int err;

	khttpd_stats_init();
	err = khttpd_log_init();
	if (err)
		return err;
	/* (the access_log parameter needs the log's rings) */
	err = khttpd_config_init();
	if (err)
		goto err_log;
	err = khttpd_store_init();
	if (err)
		goto err_log;
	err = khttpd_mime_init();
	if (err)
		goto err_store;
	err = khttpd_docroot_init();
	if (err)
		goto err_mime;
	err = khttpd_conn_init();
	if (err)
		goto err_docroot;
	err = khttpd_server_init();
	if (err)
		goto err_conn;
	if (enabled) {
		mutex_lock(&khttpd_ctl_lock);
		err = khttpd_server_start(&args);
		mutex_unlock(&khttpd_ctl_lock);
		if (err) {
			pr_err("cannot start: %d\n", err);
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
err_docroot:
	khttpd_docroot_exit();
err_mime:
	khttpd_mime_exit();
err_store:
	khttpd_store_exit();
err_log:
	khttpd_log_exit();
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
	khttpd_docroot_exit();
	khttpd_mime_exit();
	khttpd_store_exit();
	khttpd_log_exit();
}

module_init(khttpd_init);
module_exit(khttpd_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION(KHTTPD_RELEASE);
MODULE_DESCRIPTION("In-kernel static HTTP responder");
MODULE_AUTHOR("The khttpd authors");
